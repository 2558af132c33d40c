//! Install, deliveries with per-installation secrets, update, drift + repair, rotation under
//! continuous deliveries, and uninstall — through the `Install` operations against
//! MockFrameio over real HTTP, with the receiver verifying every delivery.
#![cfg(feature = "install")]

mod install_support;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use frameio_kit::client::custom_actions::UpdateAction;
use frameio_kit::client::webhooks::UpdateWebhook;
use frameio_kit::install::{DriftItem, InstallConfig, InstallError};
use frameio_kit::prelude::*;
use frameio_kit::store::MemoryStore;
use install_support::*;

#[tokio::test]
async fn install_deliver_update_drift_repair_rotate_uninstall() {
    for (engine, store) in stores() {
        println!("engine: {engine}");
        full_flow(store).await;
    }
}

async fn full_flow(store: Arc<dyn frameio_kit::store::Store>) {
    let mut h = Harness::start(store).await;
    let client = h.client();
    let install = h.install.clone();

    // Install in two workspaces.
    let record = install
        .install(
            &client,
            ACCOUNT,
            WORKSPACE,
            &values(&[("archive_key", "k-one"), ("region", "us")]),
            "Ada",
        )
        .await
        .unwrap();
    assert_eq!(record.actions.len(), 3);
    install
        .install(
            &client,
            ACCOUNT,
            WORKSPACE_2,
            &values(&[("archive_key", "k-two")]),
            "Ada",
        )
        .await
        .unwrap();
    assert!(matches!(
        install
            .install(
                &client,
                ACCOUNT,
                WORKSPACE,
                &values(&[("archive_key", "x")]),
                "Ada"
            )
            .await,
        Err(InstallError::AlreadyInstalled)
    ));
    assert!(matches!(
        install
            .install(&client, ACCOUNT, "ws-3", &values(&[]), "Ada")
            .await,
        Err(InstallError::Field(_))
    ));
    let hooks = h.mock.webhooks();
    assert_eq!(hooks.len(), 2);
    assert_eq!(hooks[0].events, ["file.ready"]);
    assert_eq!(hooks[0].url, format!("{}/", h.base));
    assert_eq!(h.mock.actions().len(), 6);
    // The record is encrypted at rest: no secret or field value in the stored bytes.
    let raw = h
        .store
        .get(&format!("install:record:{ACCOUNT}:{WORKSPACE}"))
        .await
        .unwrap()
        .expect("a record");
    let raw = String::from_utf8_lossy(&raw);
    assert!(!raw.contains(&hooks[0].secret) && !raw.contains("k-one"));
    assert!(!format!("{record:?}").contains("k-one"));

    // Deliveries signed with each installation's secret reach the handlers.
    let s1 = h.webhook_secret(WORKSPACE);
    let s2 = h.webhook_secret(WORKSPACE_2);
    let (status, _) = h.webhook(&s1, "file.ready", WORKSPACE).await;
    assert_eq!(status, 200);
    let (status, _) = h.webhook(&s2, "file.ready", WORKSPACE_2).await;
    assert_eq!(status, 200);
    // Another installation's secret, an unknown workspace: 401 like a bad signature.
    let (status, body) = h.webhook(&s2, "file.ready", WORKSPACE).await;
    assert_eq!((status, body.as_str()), (401, "Invalid signature."));
    let (status, _) = h.webhook(&s1, "file.ready", "ws-unknown").await;
    assert_eq!(status, 401);
    // Actions: their own secret, and InstallConfig<T> gives the typed field values.
    let a1 = h.action_secret(WORKSPACE, "acme.export");
    let (status, body) = h.action(&a1, "acme.export", WORKSPACE).await;
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("key k-one"), "{body}");
    let (status, _) = h.action(&s1, "acme.export", WORKSPACE).await;
    assert_eq!(status, 401, "the webhook's secret does not sign actions");
    {
        let log = h.log.lock().unwrap();
        assert!(log.contains(&format!("webhook file.ready {WORKSPACE}")));
        assert!(log.contains(&format!("webhook file.ready {WORKSPACE_2}")));
        assert!(log.contains(&format!("export {WORKSPACE} key=k-one region=Some(\"us\")")));
        assert_eq!(log.len(), 3, "{log:?}");
    }
    // Health: the last verified delivery.
    let health = install
        .last_delivery(ACCOUNT, WORKSPACE)
        .await
        .unwrap()
        .expect("health recorded");
    assert_eq!(health.event_type, "acme.export");
    assert!(health.ok);

    // Redeploy with a new manifest: the diff, then an update that keeps existing secrets.
    h.redeploy(Options {
        version: 2,
        ..Options::default()
    })
    .await;
    let install = h.install.clone();
    let diff = install.plan_update(ACCOUNT, WORKSPACE).await.unwrap();
    assert_eq!(
        diff.to_string(),
        "+ webhook event comment.created\n+ action \"Report\"\n~ action \"Transcribe\" (description)\n- action \"Old\"\n"
    );
    let webhook_before = h.mock.webhooks()[0].clone();
    let (updated, _) = install
        .update(&client, ACCOUNT, WORKSPACE, &values(&[("archive_key", "")]))
        .await
        .unwrap();
    assert_eq!(
        updated.config["archive_key"], "k-one",
        "empty sensitive keeps"
    );
    assert_eq!(updated.config["region"], "", "plain fields follow the form");
    let webhook_after = h
        .mock
        .webhooks()
        .into_iter()
        .find(|w| w.workspace_id == WORKSPACE)
        .unwrap();
    assert_eq!(webhook_after.id, webhook_before.id);
    assert_eq!(webhook_after.secret, webhook_before.secret);
    assert_eq!(webhook_after.events, ["comment.created", "file.ready"]);
    let actions: Vec<_> = h
        .mock
        .actions()
        .into_iter()
        .filter(|a| a.workspace_id == WORKSPACE)
        .map(|a| (a.event, a.description))
        .collect();
    assert_eq!(actions.len(), 3);
    assert!(actions.contains(&("acme.report".into(), "New in v2".into())));
    assert!(actions.contains(&("acme.transcribe".into(), "v2 — better".into())));
    assert!(
        install
            .plan_update(ACCOUNT, WORKSPACE)
            .await
            .unwrap()
            .is_empty()
    );
    let (status, _) = h.webhook(&s1, "comment.created", WORKSPACE).await;
    assert_eq!(status, 200, "the kept secret verifies the new event type");

    // Drift: someone deletes the webhook and renames an action in Frame.io.
    assert!(
        install
            .drift(&client, ACCOUNT, WORKSPACE)
            .await
            .unwrap()
            .is_clean()
    );
    client
        .webhooks()
        .delete(ACCOUNT, &webhook_after.id)
        .await
        .unwrap();
    let report_id = updated.action("acme.report").unwrap().id.clone();
    client
        .custom_actions()
        .update(
            ACCOUNT,
            &report_id,
            &UpdateAction {
                name: Some("Renamed by hand".into()),
                ..UpdateAction::default()
            },
        )
        .await
        .unwrap();
    let drift = install.drift(&client, ACCOUNT, WORKSPACE).await.unwrap();
    assert_eq!(
        drift.items,
        [
            DriftItem::WebhookMissing,
            DriftItem::ActionChanged("acme.report".into(), "Report".into(), vec!["name"])
        ]
    );
    install.repair(&client, ACCOUNT, WORKSPACE).await.unwrap();
    assert!(
        install
            .drift(&client, ACCOUNT, WORKSPACE)
            .await
            .unwrap()
            .is_clean()
    );
    let new_secret = h.webhook_secret(WORKSPACE);
    assert_ne!(new_secret, s1, "a recreated webhook has a new secret");
    let (status, _) = h.webhook(&new_secret, "file.ready", WORKSPACE).await;
    assert_eq!(status, 200, "the recreated webhook's secret is stored");
    let (status, _) = h.webhook(&s1, "file.ready", WORKSPACE).await;
    assert_eq!(status, 401, "the deleted webhook's secret is gone");

    // Uninstall: everything in Frame.io and the record go; deliveries are refused.
    install
        .uninstall(&client, ACCOUNT, WORKSPACE)
        .await
        .unwrap();
    assert!(
        h.mock
            .webhooks()
            .iter()
            .all(|w| w.workspace_id != WORKSPACE)
    );
    assert!(h.mock.actions().iter().all(|a| a.workspace_id != WORKSPACE));
    assert!(
        install
            .installation(ACCOUNT, WORKSPACE)
            .await
            .unwrap()
            .is_none()
    );
    let (status, _) = h.webhook(&new_secret, "file.ready", WORKSPACE).await;
    assert_eq!(status, 401);
    // Already gone in Frame.io (404) is fine.
    let ws2 = install
        .installation(ACCOUNT, WORKSPACE_2)
        .await
        .unwrap()
        .unwrap();
    client
        .webhooks()
        .delete(ACCOUNT, &ws2.webhook.unwrap().id)
        .await
        .unwrap();
    install
        .uninstall(&client, ACCOUNT, WORKSPACE_2)
        .await
        .unwrap();
    assert!(h.mock.webhooks().is_empty() && h.mock.actions().is_empty());
    h.handle.stop(true).await;
}

#[tokio::test]
async fn rotation_refuses_no_delivery() {
    let grace = std::time::Duration::from_secs(2);
    let h = Harness::start_with(
        Arc::new(MemoryStore::new()),
        Options {
            rotation_grace: grace,
            ..Options::default()
        },
    )
    .await;
    let client = h.client();
    h.install
        .install(
            &client,
            ACCOUNT,
            WORKSPACE,
            &values(&[("archive_key", "k")]),
            "Ada",
        )
        .await
        .unwrap();
    let old_webhook = h.webhook_secret(WORKSPACE);
    let old_action = h.action_secret(WORKSPACE, "acme.transcribe");

    // Frame.io keeps delivering while the rotation runs: every delivery is signed with the
    // secret of a webhook / action that exists in Frame.io at that moment.
    let h = Arc::new(h);
    let stop = Arc::new(AtomicBool::new(false));
    let sent = Arc::new(AtomicUsize::new(0));
    let deliverer = {
        let (h, stop, sent) = (Arc::clone(&h), Arc::clone(&stop), Arc::clone(&sent));
        tokio::spawn(async move {
            let mut refused = Vec::new();
            while !stop.load(Ordering::SeqCst) {
                let webhook = h.webhook_secret(WORKSPACE);
                let action = h.action_secret(WORKSPACE, "acme.transcribe");
                let (a, _) = h.webhook(&webhook, "file.ready", WORKSPACE).await;
                let (b, _) = h.action(&action, "acme.transcribe", WORKSPACE).await;
                sent.fetch_add(2, Ordering::SeqCst);
                refused.extend([a, b].into_iter().filter(|s| *s != 200));
            }
            refused
        })
    };
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    let rotated = h.install.rotate(&client, ACCOUNT, WORKSPACE).await.unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    stop.store(true, Ordering::SeqCst);
    let refused = deliverer.await.unwrap();
    assert!(refused.is_empty(), "refused during rotation: {refused:?}");
    assert!(
        sent.load(Ordering::SeqCst) >= 8,
        "deliveries ran throughout"
    );

    let new_webhook = h.webhook_secret(WORKSPACE);
    assert_ne!(new_webhook, old_webhook);
    assert_ne!(h.action_secret(WORKSPACE, "acme.transcribe"), old_action);
    assert_eq!(h.mock.webhooks().len(), 1, "the old webhook is deleted");
    assert_eq!(h.mock.actions().len(), 3, "the old actions are deleted");
    // A delivery signed with the old secret just before the deletion may still arrive: it is
    // accepted during the grace period, then refused.
    assert_eq!(
        rotated
            .webhook
            .as_ref()
            .unwrap()
            .accepted_secrets()
            .as_slice()
            .len(),
        2
    );
    let (status, _) = h.webhook(&old_webhook, "file.ready", WORKSPACE).await;
    assert_eq!(status, 200, "within the grace period");
    tokio::time::sleep(grace + std::time::Duration::from_millis(1100)).await;
    assert_eq!(
        rotated
            .webhook
            .as_ref()
            .unwrap()
            .accepted_secrets()
            .as_slice()
            .len(),
        1
    );
    let (status, _) = h.webhook(&old_webhook, "file.ready", WORKSPACE).await;
    assert_eq!(status, 401, "the old secret is dropped after the switch");
}

/// A renamed, deactivated webhook and a deactivated action: drift names each, its plan
/// patches them (nothing is recreated, so the secrets stay), and repair leaves no drift.
#[tokio::test]
async fn drift_sees_renamed_and_deactivated_resources_and_repair_patches_them() {
    let h = Harness::start(Arc::new(MemoryStore::new())).await;
    let client = h.client();
    let record = h
        .install
        .install(
            &client,
            ACCOUNT,
            WORKSPACE,
            &values(&[("archive_key", "k")]),
            "Ada",
        )
        .await
        .unwrap();
    let webhook = record.webhook.clone().unwrap();
    client
        .webhooks()
        .update(
            ACCOUNT,
            &webhook.id,
            &UpdateWebhook {
                name: Some("Renamed".into()),
                active: Some(false),
                ..UpdateWebhook::default()
            },
        )
        .await
        .unwrap();
    let export = record.action("acme.export").unwrap().id.clone();
    client
        .custom_actions()
        .update(
            ACCOUNT,
            &export,
            &UpdateAction {
                active: Some(false),
                ..UpdateAction::default()
            },
        )
        .await
        .unwrap();
    let drift = h.install.drift(&client, ACCOUNT, WORKSPACE).await.unwrap();
    assert_eq!(
        drift.items,
        [
            DriftItem::WebhookName,
            DriftItem::WebhookInactive,
            DriftItem::ActionInactive("acme.export".into(), "Export".into()),
        ]
    );
    assert_eq!(drift.plan.counts(), (0, 2, 0), "{}", drift.plan);
    let secret = h.webhook_secret(WORKSPACE);
    h.install.repair(&client, ACCOUNT, WORKSPACE).await.unwrap();
    assert!(
        h.install
            .drift(&client, ACCOUNT, WORKSPACE)
            .await
            .unwrap()
            .is_clean()
    );
    let hooks = h.mock.webhooks();
    assert_eq!(hooks.len(), 1);
    assert_eq!(hooks[0].name, "Acme Archive");
    assert!(hooks[0].active && h.mock.actions().iter().all(|a| a.active));
    assert_eq!(
        h.webhook_secret(WORKSPACE),
        secret,
        "patched, not recreated"
    );
    let (status, _) = h.webhook(&secret, "file.ready", WORKSPACE).await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn allowed_accounts_are_enforced_by_the_operations() {
    let h = Harness::start_with(
        Arc::new(MemoryStore::new()),
        Options {
            allowed: Some(vec![ACCOUNT.into()]),
            ..Options::default()
        },
    )
    .await;
    let err = h
        .install
        .install(
            &h.client(),
            OTHER_ACCOUNT,
            "ws-9",
            &values(&[("archive_key", "k")]),
            "Ada",
        )
        .await
        .unwrap_err();
    assert!(matches!(err, InstallError::AccountNotAllowed));
    assert!(h.mock.webhooks().is_empty());
}

#[derive(serde::Deserialize)]
struct Cfg {
    #[allow(dead_code)]
    key: String,
}

async fn needs_config(_event: ActionEvent, _config: InstallConfig<Cfg>) -> Result<Message> {
    Ok(Message::new("t", "d"))
}

#[test]
fn install_config_without_install_is_a_startup_error() {
    let err = App::new()
        .handler(Handler::action("x", needs_config).secret("s"))
        .build()
        .unwrap_err();
    assert!(
        err.to_string().contains("install is not configured"),
        "{err}"
    );
}

/// A store that counts reads of installation records.
#[derive(Debug, Default)]
struct CountingStore {
    inner: MemoryStore,
    record_reads: AtomicUsize,
    health_writes: AtomicUsize,
}

impl frameio_kit::store::Store for CountingStore {
    fn get<'a>(&'a self, key: &'a str) -> frameio_kit::store::StoreFuture<'a, Option<Vec<u8>>> {
        if key.starts_with("install:record:") {
            self.record_reads.fetch_add(1, Ordering::SeqCst);
        }
        self.inner.get(key)
    }
    fn set<'a>(
        &'a self,
        key: &'a str,
        value: &'a [u8],
        ttl: Option<std::time::Duration>,
    ) -> frameio_kit::store::StoreFuture<'a, ()> {
        if key.starts_with("install:health:") {
            self.health_writes.fetch_add(1, Ordering::SeqCst);
        }
        self.inner.set(key, value, ttl)
    }
    fn delete<'a>(&'a self, key: &'a str) -> frameio_kit::store::StoreFuture<'a, ()> {
        self.inner.delete(key)
    }
    fn set_if_absent<'a>(
        &'a self,
        key: &'a str,
        value: &'a [u8],
        ttl: Option<std::time::Duration>,
    ) -> frameio_kit::store::StoreFuture<'a, bool> {
        self.inner.set_if_absent(key, value, ttl)
    }
    fn delete_if_equals<'a>(
        &'a self,
        key: &'a str,
        expected: &'a [u8],
    ) -> frameio_kit::store::StoreFuture<'a, bool> {
        self.inner.delete_if_equals(key, expected)
    }
    fn take<'a>(&'a self, key: &'a str) -> frameio_kit::store::StoreFuture<'a, Option<Vec<u8>>> {
        self.inner.take(key)
    }
}

#[tokio::test]
async fn known_installations_are_verified_from_memory() {
    let store = Arc::new(CountingStore::default());
    let h = Harness::start(store.clone()).await;
    let client = h.client();
    h.install
        .install(
            &client,
            ACCOUNT,
            WORKSPACE,
            &values(&[("archive_key", "k")]),
            "Ada",
        )
        .await
        .unwrap();
    let secret = h.webhook_secret(WORKSPACE);
    let before = store.record_reads.load(Ordering::SeqCst);
    for _ in 0..10 {
        let (status, _) = h.webhook(&secret, "file.ready", WORKSPACE).await;
        assert_eq!(status, 200);
    }
    assert_eq!(
        store.record_reads.load(Ordering::SeqCst),
        before,
        "the hot path reads no record from the store"
    );
    // Ten identical outcomes within a second or two: the health is written once per second.
    let writes = store.health_writes.load(Ordering::SeqCst);
    assert!((1..=3).contains(&writes), "{writes} health writes");
    // An uninstall through the same Install drops the cached secret at once.
    h.install
        .uninstall(&client, ACCOUNT, WORKSPACE)
        .await
        .unwrap();
    let (status, _) = h.webhook(&secret, "file.ready", WORKSPACE).await;
    assert_eq!(status, 401);
}

#[test]
fn the_builder_names_every_problem_at_once() {
    use frameio_kit::install::{Install, InstallField};
    let err = Install::builder("Acme", "ftp://acme.example")
        .prefix("install")
        .field(InstallField::text("bad name", "Bad"))
        .field(InstallField::text("region", "Region"))
        .field(InstallField::text("region", "Region again"))
        .build()
        .unwrap_err();
    let text = err.to_string();
    for needle in [
        "no store",
        "must start with http:// or https://",
        "prefix \"install\" must start with `/`",
        "`region` is declared twice",
    ] {
        assert!(text.contains(needle), "{needle:?} missing from {text}");
    }
    assert_eq!(text.matches("; ").count(), 4, "{text}");
    // The key read through the app's environment: missing, then malformed.
    let with_env_keys = || {
        Install::builder("Acme", "https://acme.example")
            .store_with_env_keys(Arc::new(MemoryStore::new()))
    };
    let no_key = App::new()
        .env_lookup(|_| None)
        .handler(
            Handler::webhook(["file.ready"], |_e: WebhookEvent| async {
                Ok::<(), frameio_kit::BoxError>(())
            })
            .secret("s"),
        )
        .install(with_env_keys())
        .build()
        .unwrap_err();
    assert!(
        no_key
            .to_string()
            .contains("install: the install records are encrypted, but no key is set"),
        "{no_key}"
    );
    let key = frameio_kit::store::EncryptionKey::generate().to_base64();
    let app = App::new()
        .env_lookup(move |name| (name == "FRAMEIO_KIT_ENCRYPTION_KEY").then(|| key.clone()))
        .handler(Handler::webhook(["file.ready"], |_e: WebhookEvent| async {
            Ok::<(), frameio_kit::BoxError>(())
        }))
        .install(with_env_keys());
    assert!(
        app.build().is_ok(),
        "the install's resolver gives the handler its secret"
    );
}
