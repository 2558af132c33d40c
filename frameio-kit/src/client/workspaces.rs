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

use reqwest::Method;
use serde::{Deserialize, Serialize};

use super::models::User;
use super::pager::Pager;
use super::transport::{ApiRequest, Client, RequestSpec, seg};

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

/// Workspace endpoints; see [`Client::workspaces`].
#[derive(Debug, Clone)]
pub struct Workspaces {
    pub(crate) client: Client,
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
        Pager::new(
            &self.client,
            RequestSpec::new(
                Method::GET,
                format!("/v4/accounts/{}/workspaces", seg(account_id)),
            ),
        )
    }

    /// `POST /v4/accounts/{account_id}/workspaces`.
    pub fn create(&self, account_id: &str, params: &WorkspaceParams) -> ApiRequest<Workspace> {
        let path = format!("/v4/accounts/{}/workspaces", seg(account_id));
        ApiRequest::json(
            &self.client,
            RequestSpec::new(Method::POST, path).data(params),
        )
    }

    /// `GET /v4/accounts/{account_id}/workspaces/{workspace_id}`.
    pub fn show(&self, account_id: &str, workspace_id: &str) -> ApiRequest<Workspace> {
        ApiRequest::json(
            &self.client,
            RequestSpec::new(Method::GET, one(account_id, workspace_id)),
        )
    }

    /// `PATCH /v4/accounts/{account_id}/workspaces/{workspace_id}`.
    pub fn update(
        &self,
        account_id: &str,
        workspace_id: &str,
        params: &WorkspaceParams,
    ) -> ApiRequest<Workspace> {
        ApiRequest::json(
            &self.client,
            RequestSpec::new(Method::PATCH, one(account_id, workspace_id)).data(params),
        )
    }

    /// `DELETE /v4/accounts/{account_id}/workspaces/{workspace_id}`.
    pub fn delete(&self, account_id: &str, workspace_id: &str) -> ApiRequest<()> {
        ApiRequest::empty(
            &self.client,
            RequestSpec::new(Method::DELETE, one(account_id, workspace_id)),
        )
    }
}
