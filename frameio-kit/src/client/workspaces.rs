//! Workspaces of an account.
//!
//! ```no_run
//! # async fn run(client: frameio_kit::client::Client) -> Result<(), frameio_kit::client::ClientError> {
//! use frameio_kit::client::workspaces::WorkspaceParams;
//!
//! let ws = client.workspaces().create("account-id", &WorkspaceParams::named("Dailies")).await?;
//! client.workspaces().update("account-id", &ws.id, &WorkspaceParams::named("Dailies 2")).await?;
//! # Ok(()) }
//! ```

use serde::{Deserialize, Serialize};

use super::models::User;
use super::pager::Pager;
use super::request::{ApiRequest, seg};

/// A workspace.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct Workspace {
    /// Workspace id.
    pub id: String,
    /// Account id.
    pub account_id: String,
    /// Name.
    pub name: String,
    /// Image URL.
    pub image: Option<String>,
    /// Creator (with `include=creator`).
    pub creator: Option<User>,
    /// Creation time.
    pub created_at: Option<String>,
    /// Last update time.
    pub updated_at: Option<String>,
}

/// Body of workspace create and update.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorkspaceParams {
    /// Name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

impl WorkspaceParams {
    /// Parameters with a name.
    pub fn named(name: impl Into<String>) -> Self {
        Self {
            name: Some(name.into()),
        }
    }
}

super::api_group! {
    /// Workspace endpoints; see [`Client::workspaces`](super::Client::workspaces).
    Workspaces
}

fn one(account_id: &str, workspace_id: &str) -> String {
    format!(
        "/v4/accounts/{}/workspaces/{}",
        seg(account_id),
        seg(workspace_id)
    )
}

impl Workspaces {
    /// `GET /v4/accounts/{account_id}/workspaces`.
    pub fn list(&self, account_id: &str) -> Pager<Workspace> {
        self.client
            .list(format!("/v4/accounts/{}/workspaces", seg(account_id)))
    }

    /// `POST /v4/accounts/{account_id}/workspaces`.
    pub fn create(&self, account_id: &str, params: &WorkspaceParams) -> ApiRequest<Workspace> {
        let path = format!("/v4/accounts/{}/workspaces", seg(account_id));
        self.client.post(path, params)
    }

    /// `GET /v4/accounts/{account_id}/workspaces/{workspace_id}`.
    pub fn show(&self, account_id: &str, workspace_id: &str) -> ApiRequest<Workspace> {
        self.client.get(one(account_id, workspace_id))
    }

    /// `PATCH /v4/accounts/{account_id}/workspaces/{workspace_id}`.
    pub fn update(
        &self,
        account_id: &str,
        workspace_id: &str,
        params: &WorkspaceParams,
    ) -> ApiRequest<Workspace> {
        self.client.patch(one(account_id, workspace_id), params)
    }

    /// `DELETE /v4/accounts/{account_id}/workspaces/{workspace_id}`.
    pub fn delete(&self, account_id: &str, workspace_id: &str) -> ApiRequest<()> {
        self.client.delete(one(account_id, workspace_id))
    }
}
