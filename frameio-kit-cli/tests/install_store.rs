//! `frameio-kit install apply --secrets-store`: the CLI installs the app against MockFrameio
//! and records the installation in the app's own store (SQLite, and Redis / PostgreSQL when
//! `FRAMEIO_KIT_TEST_REDIS_URL` / `FRAMEIO_KIT_TEST_POSTGRES_URL` are set). The app, running
//! with its install pages over that store, then verifies deliveries signed with the secrets
//! Frame.io issued to the CLI, and its install page shows the installation with no drift.
//! A second `apply` changes nothing, in Frame.io or in the store.

mod support;

// The install tests' harness: MockFrameio, MockIms and the app with its pages mounted.
#[allow(unexpected_cfgs)]
#[path = "../../frameio-kit/tests/install_support/mod.rs"]
mod install_support;

use std::sync::Arc;

use frameio_kit::manifest::Manifest;
use frameio_kit::store::Store;
use install_support::{ACCOUNT, Harness, Log, WORKSPACE, handlers};
use serde_json::Value;
use support::{cli, expect_exit, stderr, stdout, temp_dir};

/// (name, store for the app, `--secrets-store` value, `--store-prefix` value)
fn stores(dir: &std::path::Path) -> Vec<(&'static str, Arc<dyn Store>, String, String)> {
    let unique = uuid::Uuid::new_v4().simple().to_string();
    let default_prefix = frameio_kit::store::DEFAULT_PREFIX.to_owned();
    let path = dir.join("app.sqlite");
    let mut out: Vec<(&'static str, Arc<dyn Store>, String, String)> = vec![(
        "sqlite",
        Arc::new(frameio_kit::store::SqliteStore::new(&path)),
        format!("sqlite:{}", path.display()),
        default_prefix,
    )];
    let prefix = format!("fk-cli-store-{unique}:");
    if let Ok(url) = std::env::var("FRAMEIO_KIT_TEST_REDIS_URL") {
        let store = frameio_kit::store::RedisStore::new(&url)
            .unwrap()
            .with_prefix(prefix.clone());
        out.push(("redis", Arc::new(store), url, prefix.clone()));
    }
    if let Ok(url) = std::env::var("FRAMEIO_KIT_TEST_POSTGRES_URL") {
        let store = frameio_kit::store::PostgresStore::new(&url)
            .unwrap()
            .with_prefix(prefix.clone());
        out.push(("postgres", Arc::new(store), url, prefix));
    }
    out
}

/// Signs in to the install pages through MockIms and returns the session cookie.
async fn sign_in(h: &Harness) -> String {
    let login = h
        .http
        .get(format!("{}/install/login", h.base))
        .send()
        .await
        .unwrap();
    assert_eq!(login.status().as_u16(), 307);
    let ims = h
        .http
        .get(login.headers()["location"].to_str().unwrap())
        .send()
        .await
        .unwrap();
    let back = ims.headers()["location"].to_str().unwrap().to_owned();
    let callback = h.http.get(back).send().await.unwrap();
    assert_eq!(callback.status().as_u16(), 303);
    let set = callback.headers()["set-cookie"].to_str().unwrap();
    set.split(';').next().unwrap().to_owned()
}

async fn page(h: &Harness, cookie: &str, path: &str) -> String {
    let response = h
        .http
        .get(format!("{}{path}", h.base))
        .header("cookie", cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200, "{path}");
    response.text().await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn apply_records_the_installation_the_app_and_its_pages_use() {
    let dir = temp_dir("install-store");
    let manifest_file = dir.join("manifest.json");
    std::fs::write(
        &manifest_file,
        Manifest::from_handlers(&handlers(1, &Log::default())).to_json_pretty(),
    )
    .unwrap();
    let key = frameio_kit::store::EncryptionKey::from_bytes([42; 32]).to_base64();
    for (engine, store, spec, prefix) in stores(&dir) {
        let h = Harness::start(Arc::clone(&store)).await;
        let token = h.mock.token();
        let url = format!("{}/", h.base);
        let run = |verb: &'static str, env: Vec<(&'static str, String)>| {
            let args = [
                "install",
                verb,
                "--account",
                ACCOUNT,
                "--workspace",
                WORKSPACE,
                "--url",
                &url,
                "--webhook-name",
                "Acme Archive",
                "--manifest",
                manifest_file.to_str().unwrap(),
                "--api-url",
                h.mock.base_url(),
                "--secrets-store",
                &spec,
                "--store-prefix",
                &prefix,
                "--installed-by",
                "CI deploy",
            ]
            .map(str::to_owned);
            async move {
                let args: Vec<&str> = args.iter().map(String::as_str).collect();
                let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
                cli(&args, &env).await
            }
        };
        let env = vec![
            ("FRAMEIO_TOKEN", token.clone()),
            ("FRAMEIO_KIT_ENCRYPTION_KEY", key.clone()),
        ];

        // Before: a plan of 4 creations, and `check` finds the drift.
        let text = expect_exit(
            &run("plan", env.clone()).await,
            0,
            "Plan: 4 to create, 0 to update, 0 to delete, 0 unchanged.",
        );
        assert!(
            text.contains("+ webhook \"Acme Archive\""),
            "{engine}: {text}"
        );
        expect_exit(&run("check", env.clone()).await, 2, "Drift");

        // apply: ids on stdout, never a secret; the record is in the app's store.
        let out = run("apply", env.clone()).await;
        assert!(out.status.success(), "{engine}: {}", stderr(&out));
        assert!(
            stderr(&out).contains("installation recorded in the store"),
            "{engine}: {}",
            stderr(&out)
        );
        let summary: Value = serde_json::from_str(&stdout(&out)).unwrap();
        let webhook_secret = h.webhook_secret(WORKSPACE);
        let export_secret = h.action_secret(WORKSPACE, "acme.export");
        assert!(!stdout(&out).contains(&webhook_secret), "{engine}");
        assert_eq!(summary["written"], true, "{engine}");
        assert_eq!(summary["webhook"], h.mock.webhooks()[0].id.as_str());
        assert_eq!(summary["actions"].as_object().unwrap().len(), 3);

        let record = h
            .install
            .installation(ACCOUNT, WORKSPACE)
            .await
            .unwrap()
            .expect("the CLI's installation is in the app's store");
        assert_eq!(record.installed_by, "CI deploy");
        // The CLI does not know the app's install fields: the admin fills them in with the
        // page's Update.
        assert!(record.config.is_empty(), "{engine}");

        // The app verifies deliveries signed with the secrets Frame.io gave the CLI…
        let (status, body) = h.webhook(&webhook_secret, "file.ready", WORKSPACE).await;
        assert_eq!(status, 200, "{engine}: {body}");
        let transcribe = h.action_secret(WORKSPACE, "acme.transcribe");
        let (status, body) = h.action(&transcribe, "acme.transcribe", WORKSPACE).await;
        assert_eq!(status, 200, "{engine}: {body}");
        // … and refuses another action's secret.
        let (status, _) = h.action(&export_secret, "acme.transcribe", WORKSPACE).await;
        assert_eq!(status, 401, "{engine}");

        // The install page shows the installation, matching Frame.io and the manifest.
        let cookie = sign_in(&h).await;
        let list = page(&h, &cookie, &format!("/install/accounts/{ACCOUNT}")).await;
        assert!(list.contains("installed"), "{engine}: {list}");
        let status_page = page(
            &h,
            &cookie,
            &format!("/install/accounts/{ACCOUNT}/workspaces/{WORKSPACE}"),
        )
        .await;
        assert!(
            status_page.contains("Acme Archive is installed"),
            "{engine}: {status_page}"
        );
        assert!(status_page.contains("Installed by CI deploy"), "{engine}");
        assert!(status_page.contains("Everything matches."), "{engine}");
        assert!(
            status_page.contains("The installation matches this version of the app."),
            "{engine}"
        );

        // apply twice: nothing changes in Frame.io, nothing is written.
        let sealed = store
            .get(&format!("install:record:{ACCOUNT}:{WORKSPACE}"))
            .await
            .unwrap();
        h.mock.clear_requests();
        let out = run("apply", env.clone()).await;
        assert!(out.status.success(), "{engine}: {}", stderr(&out));
        assert!(
            stderr(&out).contains("Plan: 0 to create, 0 to update, 0 to delete, 4 unchanged."),
            "{engine}: {}",
            stderr(&out)
        );
        assert!(stderr(&out).contains("nothing written"), "{engine}");
        let mutations: Vec<_> = h
            .mock
            .requests()
            .into_iter()
            .filter(|r| r.method != "GET")
            .collect();
        assert!(mutations.is_empty(), "{engine}: {mutations:?}");
        let again = store
            .get(&format!("install:record:{ACCOUNT}:{WORKSPACE}"))
            .await
            .unwrap();
        assert_eq!(again, sealed, "{engine}: the record was rewritten");
        expect_exit(&run("check", env.clone()).await, 0, "No drift.");

        // A webhook deleted in Frame.io: check sees it; apply recreates it and stores the
        // new secret, which the app then accepts.
        let old = h.mock.webhooks()[0].clone();
        h.client()
            .webhooks()
            .delete(ACCOUNT, &old.id)
            .await
            .unwrap();
        expect_exit(&run("check", env.clone()).await, 2, "+ webhook");
        let out = run("apply", env.clone()).await;
        assert!(out.status.success(), "{engine}: {}", stderr(&out));
        let fresh = h.webhook_secret(WORKSPACE);
        assert_ne!(fresh, old.secret);
        h.install.invalidate(ACCOUNT, WORKSPACE);
        let (status, _) = h.webhook(&fresh, "file.ready", WORKSPACE).await;
        assert_eq!(status, 200, "{engine}");

        // Without the app's key the store cannot be used: exit 1 naming the variable.
        let no_key = vec![("FRAMEIO_TOKEN", token.clone())];
        expect_exit(&run("apply", no_key).await, 1, "FRAMEIO_KIT_ENCRYPTION_KEY");
        h.handle.stop(true).await;
    }
    let bad = cli(
        &[
            "install",
            "plan",
            "--account",
            "a",
            "--workspace",
            "w",
            "--url",
            "https://x.example/",
            "--manifest",
            manifest_file.to_str().unwrap(),
            "--secrets-store",
            "mysql://nope",
        ],
        &[("FRAMEIO_TOKEN", "t")],
    )
    .await;
    expect_exit(&bad, 1, "--secrets-store must be sqlite:PATH");
    std::fs::remove_dir_all(&dir).unwrap();
}
