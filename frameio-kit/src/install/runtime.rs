//! What runs per delivery: the per-installation secret resolver, the health recorder and the
//! `InstallConfig<T>` extractor.

use std::any::type_name;
use std::fmt;
use std::marker::PhantomData;
use std::ops::Deref;

use serde::de::DeserializeOwned;
use tracing::warn;

use super::record::health_key;
use super::{Health, Install, now_unix, random_token};
use crate::error::BoxError;
use crate::event::{ActionEvent, WebhookEvent};
use crate::handler::{Delivery, DeliveryEvent, FromDelivery, HandlerResult, StartupContext};
use crate::middleware::{Middleware, Next};
use crate::secret::{SecretResolver, Secrets};

/// Verifies each delivery with the secret of the installation its (account, workspace)
/// belongs to. Give it to [`App::secret_resolver`](crate::App::secret_resolver) (or call
/// [`Install::register`]); handlers with an explicit secret keep theirs.
///
/// A known installation is served from memory (no store read on the hot path); the cache is
/// refreshed on every install, update, repair, rotation and uninstall made through this
/// [`Install`], and entries older than the cache TTL are read again (for changes made by other
/// instances). A delivery for an unknown (account, workspace) — or for an action the
/// installation does not have — gets a fresh random secret nobody knows, so it is answered
/// `401 Invalid signature.` exactly like a bad signature; the reason is logged.
#[derive(Debug, Clone)]
pub struct InstallationSecrets {
    install: Install,
}

impl InstallationSecrets {
    pub(crate) fn new(install: Install) -> Self {
        Self { install }
    }

    fn refuse(reason: &str, account_id: &str, workspace_id: &str, event_type: &str) -> Secrets {
        warn!(
            account_id,
            workspace_id, event_type, "delivery refused: {reason}"
        );
        Secrets::from(random_token(32))
    }
}

impl SecretResolver for InstallationSecrets {
    async fn webhook_secret(&self, event: &WebhookEvent) -> Result<Secrets, BoxError> {
        let (account, workspace) = (event.account_id(), event.workspace_id());
        let record = self.install.cached(account, workspace).await?;
        Ok(match record.as_ref().and_then(|r| r.webhook.as_ref()) {
            Some(webhook) => webhook.accepted_secrets(),
            None => Self::refuse(
                "no installation with a webhook for this account and workspace",
                account,
                workspace,
                &event.event_type,
            ),
        })
    }

    async fn action_secret(&self, event: &ActionEvent) -> Result<Secrets, BoxError> {
        let (account, workspace) = (event.account_id(), event.workspace_id());
        let record = self.install.cached(account, workspace).await?;
        Ok(
            match record.as_ref().and_then(|r| r.action(&event.event_type)) {
                Some(action) => action.accepted_secrets(),
                None => Self::refuse(
                    "no installation with this action for this account and workspace",
                    account,
                    workspace,
                    &event.event_type,
                ),
            },
        )
    }
}

fn workspace_of(event: &DeliveryEvent) -> &str {
    match event {
        DeliveryEvent::Webhook(e) => e.workspace_id(),
        DeliveryEvent::Action(e) => e.workspace_id(),
    }
}

/// Records the time and outcome of the last verified delivery of each installation, shown on
/// the status page. Middleware runs only after the signature check, so only verified
/// deliveries count. Give it to [`App::middleware`](crate::App::middleware) (or call
/// [`Install::register`]).
#[derive(Debug, Clone)]
pub struct DeliveryHealth {
    install: Install,
}

/// Installations remembered by the write throttle before it starts over.
const THROTTLE_ENTRIES: usize = 10_000;

impl DeliveryHealth {
    pub(crate) fn new(install: Install) -> Self {
        Self { install }
    }

    /// Records one delivery's outcome (what the middleware does after the handler).
    ///
    /// # Errors
    ///
    /// A store failure.
    pub async fn record(
        &self,
        account_id: &str,
        workspace_id: &str,
        event_type: &str,
        ok: bool,
    ) -> Result<(), super::InstallError> {
        if !super::record::valid_id(account_id) || !super::record::valid_id(workspace_id) {
            return Ok(());
        }
        let health = Health {
            at: now_unix(),
            event_type: event_type.to_owned(),
            ok,
        };
        let key = (account_id.to_owned(), workspace_id.to_owned());
        // A burst of identical outcomes within one second is written once, so a busy
        // installation does not cost a store write per delivery.
        if let Ok(mut written) = self.install.inner.health_written.lock() {
            if written.get(&key) == Some(&health) {
                return Ok(());
            }
            if written.len() >= THROTTLE_ENTRIES {
                written.clear();
            }
            written.insert(key, health.clone());
        }
        let bytes = serde_json::to_vec(&health).map_err(super::InstallError::Corrupt)?;
        self.install
            .inner
            .store
            .set(&health_key(account_id, workspace_id), &bytes, None)
            .await?;
        Ok(())
    }
}

impl Middleware for DeliveryHealth {
    async fn handle(&self, delivery: Delivery, next: Next<'_>) -> HandlerResult {
        let event = delivery.event().clone();
        let result = next.run(delivery).await;
        if let Err(err) = self
            .record(
                event.account_id(),
                workspace_of(&event),
                event.event_type(),
                result.is_ok(),
            )
            .await
        {
            warn!(error = %err, "could not record delivery health");
        }
        result
    }
}

/// The install field values of the delivery's installation, deserialized into `T` (every
/// value is a string; use `Option<String>` for optional fields).
///
/// Available only after the signature check (it is a handler argument). An app whose handler
/// takes it without install configured refuses to start.
///
/// ```
/// use frameio_kit::install::InstallConfig;
/// use frameio_kit::{Message, ActionEvent};
///
/// #[derive(serde::Deserialize)]
/// struct Settings {
///     api_key: String,
/// }
///
/// async fn export(_event: ActionEvent, config: InstallConfig<Settings>) -> frameio_kit::Result<Message> {
///     let key_len = config.api_key.len();
///     Ok(Message::new("Exported", format!("with a key of {key_len} characters")))
/// }
/// ```
pub struct InstallConfig<T>(T, PhantomData<fn() -> T>);

impl<T> InstallConfig<T> {
    /// Unwraps the value.
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T> Deref for InstallConfig<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T> fmt::Debug for InstallConfig<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Field values may be secrets.
        write!(f, "InstallConfig<{}>(<redacted>)", type_name::<T>())
    }
}

impl<T: DeserializeOwned + Send + 'static> FromDelivery for InstallConfig<T> {
    async fn from_delivery(delivery: &Delivery) -> Result<Self, BoxError> {
        let install = delivery.data().get::<Install>().ok_or_else(|| {
            crate::ConfigurationError::new(
                "InstallConfig needs the install state (Install::register)",
            )
        })?;
        let event = delivery.event();
        let record = install
            .cached(event.account_id(), workspace_of(event))
            .await?
            .ok_or("no installation for this delivery's account and workspace")?;
        let map: serde_json::Map<String, serde_json::Value> = record
            .config
            .iter()
            .filter(|(_, v)| !v.is_empty())
            .map(|(k, v)| (k.clone(), serde_json::Value::String(v.clone())))
            .collect();
        let value = T::deserialize(serde_json::Value::Object(map)).map_err(|e| {
            crate::ConfigurationError::new(format!(
                "install config does not fit `{}`: {e}",
                type_name::<T>()
            ))
        })?;
        Ok(Self(value, PhantomData))
    }

    fn check(cx: &StartupContext<'_>) -> Result<(), crate::error::ArgumentProblem> {
        // An invalid install configuration is reported once, as its own problem.
        if cx.data.contains::<Install>() || cx.data.contains::<super::InvalidInstall>() {
            Ok(())
        } else {
            Err(crate::error::ArgumentProblem::Custom(format!(
                "takes `InstallConfig<{}>`, but install is not configured (call `Install::register` on the app)",
                type_name::<T>()
            )))
        }
    }
}
