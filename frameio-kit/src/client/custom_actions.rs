//! Custom actions of a workspace.
//!
//! ```no_run
//! # async fn run(client: frameio_kit::client::Client) -> Result<(), frameio_kit::client::ClientError> {
//! use frameio_kit::client::custom_actions::{CreateAction, UpdateAction};
//!
//! let action = client
//!     .custom_actions()
//!     .create(
//!         "account-id",
//!         "workspace-id",
//!         &CreateAction::new("Transcode", "Send to the farm", "transcode.start", "https://example.com/actions"),
//!     )
//!     .await?;
//! let disable = UpdateAction { active: Some(false), ..Default::default() };
//! client.custom_actions().update("account-id", &action.id, &disable).await?;
//! # Ok(()) }
//! ```

use serde::{Deserialize, Serialize};

use super::models::User;
use super::pager::Pager;
use super::request::{ApiRequest, seg};

/// A custom action.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct CustomAction {
    /// Action id.
    pub id: String,
    /// Name shown in the menu.
    pub name: String,
    /// Description.
    pub description: String,
    /// Event name sent to the receiver.
    pub event: String,
    /// Receiver URL.
    pub url: String,
    /// Whether the action is enabled.
    pub active: Option<bool>,
    /// Whether it can run on several assets at once.
    pub multi_asset: Option<bool>,
    /// Receiver timeout in seconds.
    pub timeout: Option<u64>,
    /// Workspace id.
    pub workspace_id: Option<String>,
    /// Creator id.
    pub creator_id: Option<String>,
    /// Creator (with `include=creator`).
    pub creator: Option<User>,
    /// Signing secret (only returned on creation).
    pub secret: Option<String>,
    /// Deletion time.
    pub deleted_at: Option<String>,
    /// Creation time.
    pub created_at: Option<String>,
    /// Last update time.
    pub updated_at: Option<String>,
}

impl std::fmt::Debug for CustomAction {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CustomAction")
            .field("id", &self.id)
            .field("name", &self.name)
            .field("event", &self.event)
            .field("url", &self.url)
            .field("active", &self.active)
            .field("workspace_id", &self.workspace_id)
            .field("secret", &self.secret.as_ref().map(|_| "<redacted>"))
            .finish_non_exhaustive()
    }
}

/// Body of custom action creation.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreateAction {
    /// Name shown in the menu.
    pub name: String,
    /// Description.
    pub description: String,
    /// Event name sent to the receiver.
    pub event: String,
    /// Receiver URL.
    pub url: String,
    /// Allow running on several assets.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub multi_asset: Option<bool>,
    /// Receiver timeout in seconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timeout: Option<u64>,
}

impl CreateAction {
    /// An action with the four required fields.
    pub fn new(
        name: impl Into<String>,
        description: impl Into<String>,
        event: impl Into<String>,
        url: impl Into<String>,
    ) -> Self {
        Self {
            name: name.into(),
            description: description.into(),
            event: event.into(),
            url: url.into(),
            multi_asset: None,
            timeout: None,
        }
    }
}

/// Body of custom action update; `None` fields are left unchanged.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct UpdateAction {
    /// Enable or disable.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub active: Option<bool>,
    /// New description.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// New event name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub event: Option<String>,
    /// Multi-asset flag.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub multi_asset: Option<bool>,
    /// New name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// New timeout in seconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timeout: Option<u64>,
    /// New receiver URL.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
}

super::api_group! {
    /// Custom action endpoints; see [`Client::custom_actions`](super::Client::custom_actions).
    CustomActions
}

fn one(account_id: &str, action_id: &str) -> String {
    format!(
        "/v4/accounts/{}/actions/{}",
        seg(account_id),
        seg(action_id)
    )
}

fn in_workspace(account_id: &str, workspace_id: &str) -> String {
    format!(
        "/v4/accounts/{}/workspaces/{}/actions",
        seg(account_id),
        seg(workspace_id)
    )
}

impl CustomActions {
    /// `GET /v4/accounts/{account_id}/workspaces/{workspace_id}/actions`.
    pub fn list(&self, account_id: &str, workspace_id: &str) -> Pager<CustomAction> {
        self.client.list(in_workspace(account_id, workspace_id))
    }

    /// `POST /v4/accounts/{account_id}/workspaces/{workspace_id}/actions`.
    pub fn create(
        &self,
        account_id: &str,
        workspace_id: &str,
        params: &CreateAction,
    ) -> ApiRequest<CustomAction> {
        self.client
            .post(in_workspace(account_id, workspace_id), params)
    }

    /// `GET /v4/accounts/{account_id}/actions/{action_id}`.
    pub fn show(&self, account_id: &str, action_id: &str) -> ApiRequest<CustomAction> {
        self.client.get(one(account_id, action_id))
    }

    /// `PATCH /v4/accounts/{account_id}/actions/{action_id}`.
    pub fn update(
        &self,
        account_id: &str,
        action_id: &str,
        params: &UpdateAction,
    ) -> ApiRequest<CustomAction> {
        self.client.patch(one(account_id, action_id), params)
    }

    /// `DELETE /v4/accounts/{account_id}/actions/{action_id}`.
    pub fn delete(&self, account_id: &str, action_id: &str) -> ApiRequest<()> {
        self.client.delete(one(account_id, action_id))
    }
}
