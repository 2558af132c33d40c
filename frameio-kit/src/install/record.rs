//! Installation records: what was installed where, kept encrypted in the store.

use std::fmt;
use std::sync::Arc;
use std::time::Instant;

use serde::{Deserialize, Serialize};

use super::{FieldValues, Install, InstallError};
use crate::secret::{Secret, Secrets};

/// The webhook of an installation.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct InstalledWebhook {
    /// Frame.io's webhook id.
    pub id: String,
    /// The URL it delivers to.
    pub url: String,
    /// Its event types, sorted.
    pub events: Vec<String>,
    pub(crate) secret: String,
    /// Secrets of resources being replaced by a rotation, still accepted.
    #[serde(default)]
    pub(crate) retiring: Vec<Retiring>,
}

/// One custom action of an installation.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct InstalledAction {
    /// Frame.io's custom action id.
    pub id: String,
    /// The event key.
    pub event: String,
    /// The menu name.
    pub name: String,
    /// The description.
    pub description: String,
    /// The URL it delivers to.
    pub url: String,
    pub(crate) secret: String,
    #[serde(default)]
    pub(crate) retiring: Vec<Retiring>,
}

/// A replaced secret still accepted: until its resource is deleted (`until: None`), then for a
/// grace period (deliveries already sent with it may still arrive).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Retiring {
    pub(crate) secret: String,
    /// Unix seconds after which it is refused.
    pub(crate) until: Option<u64>,
}

impl Retiring {
    pub(crate) fn live(&self, now: u64) -> bool {
        self.until.is_none_or(|until| now < until)
    }
}

/// The last verified delivery of an installation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Health {
    /// Unix seconds.
    pub at: u64,
    /// The delivery's event type.
    pub event_type: String,
    /// `true` when the handler succeeded.
    pub ok: bool,
}

/// What was installed in one (account, workspace). Stored encrypted as a whole;
/// `Debug` never shows a secret or a sensitive field value.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Installation {
    /// The Frame.io account.
    pub account_id: String,
    /// The workspace.
    pub workspace_id: String,
    /// The consolidated webhook (`None` when the app handles no webhook event).
    pub webhook: Option<InstalledWebhook>,
    /// One entry per custom action, sorted by event key.
    pub actions: Vec<InstalledAction>,
    /// Install field values (sensitive ones included: the record is encrypted).
    pub config: FieldValues,
    /// Who installed it (Frame.io user name and id).
    pub installed_by: String,
    /// Unix seconds.
    pub installed_at: u64,
    /// Unix seconds of the last update, repair or rotation.
    pub updated_at: u64,
}

impl fmt::Debug for InstalledWebhook {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("InstalledWebhook")
            .field("id", &self.id)
            .field("url", &self.url)
            .field("events", &self.events)
            .field("secret", &"<redacted>")
            .finish_non_exhaustive()
    }
}

impl fmt::Debug for InstalledAction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("InstalledAction")
            .field("id", &self.id)
            .field("event", &self.event)
            .field("name", &self.name)
            .field("secret", &"<redacted>")
            .finish_non_exhaustive()
    }
}

impl fmt::Debug for Installation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Installation")
            .field("account_id", &self.account_id)
            .field("workspace_id", &self.workspace_id)
            .field("webhook", &self.webhook)
            .field("actions", &self.actions)
            .field("config", &self.config.keys().collect::<Vec<_>>())
            .field("installed_by", &self.installed_by)
            .field("installed_at", &self.installed_at)
            .finish_non_exhaustive()
    }
}

impl InstalledWebhook {
    /// Every secret a delivery of this webhook may be signed with (the current one first).
    pub fn accepted_secrets(&self) -> Secrets {
        accepted(&self.secret, &self.retiring)
    }
}

impl InstalledAction {
    /// Every secret a delivery of this action may be signed with (the current one first).
    pub fn accepted_secrets(&self) -> Secrets {
        accepted(&self.secret, &self.retiring)
    }
}

fn accepted(current: &str, retiring: &[Retiring]) -> Secrets {
    let now = super::now_unix();
    let mut all = vec![Secret::new(current)];
    all.extend(
        retiring
            .iter()
            .filter(|r| r.live(now))
            .map(|r| Secret::new(r.secret.as_str())),
    );
    all.into()
}

impl Installation {
    /// The installed action with this event key.
    pub fn action(&self, event: &str) -> Option<&InstalledAction> {
        self.actions.iter().find(|a| a.event == event)
    }
}

/// `true` for ids safe to put in a store key (Frame.io ids are UUIDs).
pub(crate) fn valid_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 128
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

pub(crate) fn record_key(account_id: &str, workspace_id: &str) -> String {
    format!("install:record:{account_id}:{workspace_id}")
}

pub(crate) fn health_key(account_id: &str, workspace_id: &str) -> String {
    format!("install:health:{account_id}:{workspace_id}")
}

impl Install {
    /// Reads the installation of (account, workspace) from the store.
    ///
    /// # Errors
    ///
    /// A store or decryption failure; an absent installation is `Ok(None)`.
    pub async fn installation(
        &self,
        account_id: &str,
        workspace_id: &str,
    ) -> Result<Option<Installation>, InstallError> {
        if !valid_id(account_id) || !valid_id(workspace_id) {
            return Ok(None);
        }
        let key = record_key(account_id, workspace_id);
        let Some(sealed) = self.inner.store.get(&key).await? else {
            return Ok(None);
        };
        let plain = self.inner.keys.decrypt(&sealed, key.as_bytes())?;
        let record = serde_json::from_slice(&plain).map_err(InstallError::Corrupt)?;
        Ok(Some(record))
    }

    /// The installation, from the in-memory cache when it is fresh.
    pub(crate) async fn cached(
        &self,
        account_id: &str,
        workspace_id: &str,
    ) -> Result<Option<Arc<Installation>>, InstallError> {
        let key = (account_id.to_owned(), workspace_id.to_owned());
        if let Ok(cache) = self.inner.cache.read()
            && let Some((record, at)) = cache.get(&key)
            && at.elapsed() < self.inner.cache_ttl
        {
            return Ok(Some(Arc::clone(record)));
        }
        let Some(record) = self.installation(account_id, workspace_id).await? else {
            return Ok(None);
        };
        let record = Arc::new(record);
        if let Ok(mut cache) = self.inner.cache.write() {
            cache.insert(key, (Arc::clone(&record), Instant::now()));
        }
        Ok(Some(record))
    }

    /// Writes a record and refreshes the cache with it.
    pub(crate) async fn save(&self, record: &Installation) -> Result<(), InstallError> {
        let key = record_key(&record.account_id, &record.workspace_id);
        let plain = serde_json::to_vec(record).map_err(InstallError::Corrupt)?;
        let sealed = self.inner.keys.encrypt(&plain, key.as_bytes())?;
        self.inner.store.set(&key, &sealed, None).await?;
        if let Ok(mut cache) = self.inner.cache.write() {
            cache.insert(
                (record.account_id.clone(), record.workspace_id.clone()),
                (Arc::new(record.clone()), Instant::now()),
            );
        }
        Ok(())
    }

    /// Removes a record (and its health) and forgets it.
    pub(crate) async fn forget(
        &self,
        account_id: &str,
        workspace_id: &str,
    ) -> Result<(), InstallError> {
        self.inner
            .store
            .delete(&record_key(account_id, workspace_id))
            .await?;
        self.inner
            .store
            .delete(&health_key(account_id, workspace_id))
            .await?;
        self.invalidate(account_id, workspace_id);
        if let Ok(mut written) = self.inner.health_written.lock() {
            written.remove(&(account_id.to_owned(), workspace_id.to_owned()));
        }
        Ok(())
    }

    /// The last verified delivery of an installation, if any was recorded.
    ///
    /// # Errors
    ///
    /// A store failure.
    pub async fn last_delivery(
        &self,
        account_id: &str,
        workspace_id: &str,
    ) -> Result<Option<Health>, InstallError> {
        if !valid_id(account_id) || !valid_id(workspace_id) {
            return Ok(None);
        }
        let Some(bytes) = self
            .inner
            .store
            .get(&health_key(account_id, workspace_id))
            .await?
        else {
            return Ok(None);
        };
        Ok(serde_json::from_slice(&bytes).ok())
    }
}
