//! `install plan|apply|check`: the app's webhook and custom actions, declared by its manifest,
//! made to exist in one Frame.io workspace.
//!
//! The comparison is the kit's own, [`frameio_kit::install::Plan::between`] with
//! [`frameio_kit::install::Desired::from_manifest`] over everything listed in the workspace
//! (the install pages' drift check and repair use the same plan): what is "ours" there are
//! webhooks whose URL is the receiver URL or whose name is the webhook name (so a webhook
//! someone re-pointed elsewhere is still found and repaired), and actions whose URL is the
//! receiver URL or whose event key is in the manifest. This module lists, applies and keeps
//! the secrets file.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::Context as _;
use frameio_kit::client::Client;
use frameio_kit::client::custom_actions::CustomAction;
use frameio_kit::client::webhooks::Webhook;
use frameio_kit::install::{Created, Plan, PlanChange};
use serde::{Deserialize, Serialize};

/// The signing secrets of created resources, as written by `apply`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Secrets {
    /// The webhook's id and secret.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) webhook: Option<SecretEntry>,
    /// Per action event key.
    #[serde(default)]
    pub(crate) actions: BTreeMap<String, SecretEntry>,
}

/// One resource's id and signing secret.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct SecretEntry {
    pub(crate) id: String,
    pub(crate) secret: String,
}

impl std::fmt::Debug for SecretEntry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SecretEntry")
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}

/// Lists everything in the workspace.
pub(crate) async fn fetch(
    client: &Client,
    account: &str,
    workspace: &str,
) -> anyhow::Result<(Vec<Webhook>, Vec<CustomAction>)> {
    let webhooks = client
        .webhooks()
        .list(account, workspace)
        .collect_all()
        .await
        .context("cannot list the workspace's webhooks")?;
    let actions = client
        .custom_actions()
        .list(account, workspace)
        .collect_all()
        .await
        .context("cannot list the workspace's custom actions")?;
    Ok((webhooks, actions))
}

/// Carries out the plan and returns the secrets of what it created. `log` gets one line per
/// change done.
pub(crate) async fn apply(
    client: &Client,
    account: &str,
    workspace: &str,
    plan: &Plan,
    log: &mut dyn FnMut(String),
) -> anyhow::Result<Secrets> {
    let mut secrets = Secrets::default();
    for change in &plan.changes {
        let created = change
            .apply(client, account, workspace)
            .await
            .with_context(|| format!("cannot carry out `{change}`"))?;
        let entry =
            |id: String, secret: Option<String>| secret.map(|secret| SecretEntry { id, secret });
        match created {
            Some(Created::Webhook(made)) => {
                log(format!("created webhook {:?} [{}]", made.name, made.id));
                secrets.webhook = entry(made.id, made.secret);
            }
            Some(Created::Action(made)) => {
                log(format!(
                    "created action {:?} ({}) [{}]",
                    made.name, made.event, made.id
                ));
                if let Some(e) = entry(made.id, made.secret) {
                    secrets.actions.insert(made.event, e);
                }
            }
            _ => log(format!("done: {change}")),
        }
    }
    Ok(secrets)
}

/// Reads a secrets file written by [`write_secrets_file`].
pub(crate) fn read_secrets_file(path: &Path) -> anyhow::Result<Secrets> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    serde_json::from_str::<Secrets>(&text)
        .with_context(|| format!("{} is not a secrets file", path.display()))
}

/// Merges new secrets into a JSON file (created with mode 0600), dropping entries of deleted
/// resources, so the file always holds one secret per live resource.
pub(crate) fn write_secrets_file(path: &Path, new: &Secrets, plan: &Plan) -> anyhow::Result<()> {
    let mut all = match std::fs::metadata(path) {
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => Secrets::default(),
        _ => read_secrets_file(path)?,
    };
    for change in &plan.changes {
        match change {
            PlanChange::DeleteWebhook { id, .. }
                if all.webhook.as_ref().is_some_and(|w| &w.id == id) =>
            {
                all.webhook = None;
            }
            PlanChange::DeleteAction { id, .. } => {
                all.actions.retain(|_, entry| &entry.id != id);
            }
            _ => {}
        }
    }
    if let Some(webhook) = &new.webhook {
        all.webhook = Some(webhook.clone());
    }
    all.actions
        .extend(new.actions.iter().map(|(k, v)| (k.clone(), v.clone())));
    let text = serde_json::to_string_pretty(&all)?;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    let mut file = options
        .open(path)
        .with_context(|| format!("cannot write {}", path.display()))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        file.set_permissions(std::fs::Permissions::from_mode(0o600))?;
    }
    std::io::Write::write_all(&mut file, format!("{text}\n").as_bytes())
        .with_context(|| format!("cannot write {}", path.display()))?;
    Ok(())
}

/// Opens the store named by `--secrets-store`: `sqlite:PATH`, `redis://…` / `rediss://…` or
/// `postgres://…` / `postgresql://…`, with the key prefix the app's store uses.
pub(crate) fn open_store(
    spec: &str,
    prefix: &str,
) -> anyhow::Result<std::sync::Arc<dyn frameio_kit::store::Store>> {
    use frameio_kit::store::{PostgresStore, RedisStore, SqliteStore};
    let spec = spec.trim();
    if let Some(path) = spec
        .strip_prefix("sqlite://")
        .or_else(|| spec.strip_prefix("sqlite:"))
    {
        if path.is_empty() {
            anyhow::bail!(
                "--secrets-store sqlite: needs a file path, e.g. sqlite:frameio-kit.sqlite"
            );
        }
        return Ok(std::sync::Arc::new(
            SqliteStore::new(path).with_prefix(prefix),
        ));
    }
    if spec.starts_with("redis://") || spec.starts_with("rediss://") {
        let store = RedisStore::new(spec).context("--secrets-store: invalid Redis URL")?;
        return Ok(std::sync::Arc::new(store.with_prefix(prefix)));
    }
    if spec.starts_with("postgres://") || spec.starts_with("postgresql://") {
        let store = PostgresStore::new(spec).context("--secrets-store: invalid PostgreSQL URL")?;
        return Ok(std::sync::Arc::new(store.with_prefix(prefix)));
    }
    anyhow::bail!(
        "--secrets-store must be sqlite:PATH, redis://… or postgres://… (got a value starting {:?})",
        spec.chars().take(12).collect::<String>()
    )
}

/// The install configuration the app's pages use, as far as `install apply` needs it: the
/// name (the webhook's), the receiver URL, the manifest, the store and its keys (from
/// `FRAMEIO_KIT_ENCRYPTION_KEY`, as the app reads them).
pub(crate) fn store_install(
    name: &str,
    receiver_url: &str,
    manifest: frameio_kit::manifest::Manifest,
    store: std::sync::Arc<dyn frameio_kit::store::Store>,
    api_url: &str,
) -> anyhow::Result<frameio_kit::install::Install> {
    use frameio_kit::store::{ENCRYPTION_KEY_ENV, KeyRing};
    let keys = KeyRing::from_env().with_context(|| {
        format!("--secrets-store needs the app's encryption key in {ENCRYPTION_KEY_ENV}")
    })?;
    let url = reqwest::Url::parse(receiver_url)
        .with_context(|| format!("--url {receiver_url:?} is not a URL"))?;
    let origin = url.origin().ascii_serialization();
    let mut path = url.path().to_owned();
    if let Some(query) = url.query() {
        path = format!("{path}?{query}");
    }
    frameio_kit::install::Install::builder(name, origin)
        .receiver_path(path)
        .manifest(manifest)
        .store(store, keys)
        .api_base_url(api_url)
        .build()
        .context("cannot set up the install store")
}

/// The ids `install apply --secrets-store` prints (never the secrets: they stay in the store).
#[derive(Debug, Serialize)]
pub(crate) struct StoreSummary {
    pub(crate) account: String,
    pub(crate) workspace: String,
    pub(crate) webhook: Option<String>,
    pub(crate) actions: BTreeMap<String, String>,
    /// `false` when the store already held exactly this record.
    pub(crate) written: bool,
}

impl StoreSummary {
    pub(crate) fn of(adopted: &frameio_kit::install::Adopted) -> Self {
        let record = &adopted.record;
        Self {
            account: record.account_id.clone(),
            workspace: record.workspace_id.clone(),
            webhook: record.webhook.as_ref().map(|w| w.id.clone()),
            actions: record
                .actions
                .iter()
                .map(|a| (a.event.clone(), a.id.clone()))
                .collect(),
            written: adopted.written,
        }
    }
}
