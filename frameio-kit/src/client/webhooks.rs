//! Webhooks of a workspace.
//!
//! ```no_run
//! # async fn run(client: frameio_kit::client::Client) -> Result<(), frameio_kit::client::ClientError> {
//! use frameio_kit::client::webhooks::CreateWebhook;
//!
//! let hook = client
//!     .webhooks()
//!     .create(
//!         "account-id",
//!         "workspace-id",
//!         &CreateWebhook::new("uploads", "https://example.com/hooks", vec!["file.ready".into()]),
//!     )
//!     .await?;
//! // The signing secret is only returned on creation: store it.
//! let _secret = hook.secret;
//! # Ok(()) }
//! ```

use serde::{Deserialize, Serialize};

use super::models::User;
use super::pager::Pager;
use super::request::{ApiRequest, seg};

/// A webhook subscription.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct Webhook {
    /// Webhook id.
    pub id: String,
    /// Name.
    pub name: String,
    /// Receiver URL.
    pub url: String,
    /// Subscribed event types (e.g. `file.ready`).
    pub events: Vec<String>,
    /// Whether deliveries are enabled.
    pub active: Option<bool>,
    /// Workspace id.
    pub workspace_id: Option<String>,
    /// Signing secret (only returned on creation).
    pub secret: Option<String>,
    /// Creator (with `include=creator`).
    pub creator: Option<User>,
    /// Creation time.
    pub created_at: Option<String>,
    /// Last update time.
    pub updated_at: Option<String>,
}

impl std::fmt::Debug for Webhook {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Webhook")
            .field("id", &self.id)
            .field("name", &self.name)
            .field("url", &self.url)
            .field("events", &self.events)
            .field("active", &self.active)
            .field("workspace_id", &self.workspace_id)
            .field("secret", &self.secret.as_ref().map(|_| "<redacted>"))
            .finish_non_exhaustive()
    }
}

/// Body of webhook creation.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreateWebhook {
    /// Name.
    pub name: String,
    /// Receiver URL.
    pub url: String,
    /// Event types.
    pub events: Vec<String>,
}

impl CreateWebhook {
    /// A webhook for `events` delivered to `url`.
    pub fn new(name: impl Into<String>, url: impl Into<String>, events: Vec<String>) -> Self {
        Self {
            name: name.into(),
            url: url.into(),
            events,
        }
    }
}

/// Body of webhook update; `None` fields are left unchanged.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct UpdateWebhook {
    /// Enable or disable deliveries.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub active: Option<bool>,
    /// New event types.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub events: Option<Vec<String>>,
    /// New name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// New receiver URL.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
}

super::api_group! {
    /// Webhook endpoints; see [`Client::webhooks`](super::Client::webhooks).
    Webhooks
}

fn one(account_id: &str, webhook_id: &str) -> String {
    format!(
        "/v4/accounts/{}/webhooks/{}",
        seg(account_id),
        seg(webhook_id)
    )
}

fn in_workspace(account_id: &str, workspace_id: &str) -> String {
    format!(
        "/v4/accounts/{}/workspaces/{}/webhooks",
        seg(account_id),
        seg(workspace_id)
    )
}

impl Webhooks {
    /// `GET /v4/accounts/{account_id}/workspaces/{workspace_id}/webhooks`.
    pub fn list(&self, account_id: &str, workspace_id: &str) -> Pager<Webhook> {
        self.client.list(in_workspace(account_id, workspace_id))
    }

    /// `POST /v4/accounts/{account_id}/workspaces/{workspace_id}/webhooks`.
    pub fn create(
        &self,
        account_id: &str,
        workspace_id: &str,
        params: &CreateWebhook,
    ) -> ApiRequest<Webhook> {
        self.client
            .post(in_workspace(account_id, workspace_id), params)
    }

    /// `GET /v4/accounts/{account_id}/webhooks/{webhook_id}`.
    pub fn show(&self, account_id: &str, webhook_id: &str) -> ApiRequest<Webhook> {
        self.client.get(one(account_id, webhook_id))
    }

    /// `PATCH /v4/accounts/{account_id}/webhooks/{webhook_id}`.
    pub fn update(
        &self,
        account_id: &str,
        webhook_id: &str,
        params: &UpdateWebhook,
    ) -> ApiRequest<Webhook> {
        self.client.patch(one(account_id, webhook_id), params)
    }

    /// `DELETE /v4/accounts/{account_id}/webhooks/{webhook_id}`.
    pub fn delete(&self, account_id: &str, webhook_id: &str) -> ApiRequest<()> {
        self.client.delete(one(account_id, webhook_id))
    }
}
