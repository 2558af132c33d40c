//! A multi-tenant integration that workspace admins install from `/install`: one webhook
//! (`file.ready`), two custom actions and one install field (the customer's archive API key).
//!
//! Handlers carry no secret: each delivery is verified with the secret of the installation it
//! belongs to ([`frameio_kit::install::InstallationSecrets`]).

use frameio_kit::install::{Install, InstallConfig, InstallError, InstallField};
use frameio_kit::prelude::*;
use frameio_kit::store::{KeyRing, SqliteStore};
use std::sync::Arc;

/// What the admin types in when installing.
#[derive(Debug, serde::Deserialize)]
pub struct Settings {
    /// The customer's archive API key (a password field: stored encrypted).
    pub archive_key: String,
}

/// Logs every file that finished processing, in every workspace the app is installed in.
#[webhook("file.ready")]
pub async fn on_file_ready(event: WebhookEvent) -> Result<()> {
    tracing::info!(
        workspace = event.workspace_id(),
        file = event.resource_id(),
        "file ready"
    );
    Ok(())
}

/// Sends a file to the customer's archive with the key given at install time.
#[action(
    event = "acme.archive",
    name = "Archive",
    description = "Send this file to the Acme archive"
)]
pub async fn archive(event: ActionEvent, settings: InstallConfig<Settings>) -> Result<Message> {
    let key_hint = settings.archive_key.chars().take(2).collect::<String>();
    Ok(Message::new(
        "Archived",
        format!("{} was sent with key {key_hint}…", event.resource_id()),
    ))
}

/// Shows what the archive knows about a file.
#[action(
    event = "acme.status",
    name = "Archive status",
    description = "Is this file archived?"
)]
pub async fn status(event: ActionEvent) -> Result<Message> {
    Ok(Message::new(
        "Archive status",
        format!("{} is not archived yet.", event.resource_id()),
    ))
}

/// The install configuration of this app.
///
/// `public_url` is where Frame.io reaches the app; `keys` encrypt installation records
/// (secrets, field values) at rest.
pub fn install(
    manifest: frameio_kit::manifest::Manifest,
    public_url: &str,
    store: Arc<dyn frameio_kit::store::Store>,
    keys: KeyRing,
    ims: frameio_kit::auth::ImsConfig,
) -> std::result::Result<Install, InstallError> {
    Install::builder("Acme Archive", public_url)
        .description("Archive finished files to Acme with one click.")
        .manifest(manifest)
        .field(
            InstallField::password("archive_key", "Acme archive API key")
                .required()
                .description("Find it under Settings → API in your Acme account."),
        )
        .store(store, keys)
        .ims(ims)
        .build()
}

/// The default store: a SQLite file next to the binary.
pub fn default_store() -> Arc<dyn frameio_kit::store::Store> {
    Arc::new(SqliteStore::new("install-example.sqlite"))
}
