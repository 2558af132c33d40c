//! Projects.
//!
//! ```no_run
//! # async fn run(client: frameio_kit::client::Client) -> Result<(), frameio_kit::client::ClientError> {
//! use frameio_kit::client::projects::{CreateProject, UpdateProject, ProjectStatus};
//!
//! let project = client
//!     .projects()
//!     .create("account-id", "workspace-id", &CreateProject::named("Trailer"))
//!     .await?;
//! let update = UpdateProject { status: Some(ProjectStatus::Inactive), ..Default::default() };
//! client.projects().update("account-id", &project.id, &update).await?;
//! # Ok(()) }
//! ```

use serde::{Deserialize, Serialize};

use super::models::{Asset, User, open_enum};
use super::pager::Pager;
use super::request::{ApiRequest, seg};

open_enum! {
    /// Whether a project is active.
    pub enum ProjectStatus {
        /// Active.
        Active => "active",
        /// Inactive (archived).
        Inactive => "inactive",
    }
}

/// A project.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct Project {
    /// Project id.
    pub id: String,
    /// Name.
    pub name: String,
    /// Description (collection and search results include it).
    pub description: Option<String>,
    /// Workspace id.
    pub workspace_id: String,
    /// Id of the project's root folder.
    pub root_folder_id: String,
    /// Status.
    pub status: Option<ProjectStatus>,
    /// Whether access is restricted.
    pub restricted: Option<bool>,
    /// Bytes stored.
    pub storage: Option<u64>,
    /// Link in the web app.
    pub view_url: Option<String>,
    /// Image URL.
    pub image: Option<String>,
    /// Adobe id.
    pub adobe_id: Option<String>,
    /// Owner (with `include=owner`).
    pub owner: Option<User>,
    /// Creation time.
    pub created_at: Option<String>,
    /// Last update time.
    pub updated_at: Option<String>,
}

/// Body of project creation.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreateProject {
    /// Name.
    pub name: String,
    /// Restrict access.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub restricted: Option<bool>,
}

impl CreateProject {
    /// A project with a name.
    pub fn named(name: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            restricted: None,
        }
    }
}

/// Body of project update; `None` fields are left unchanged.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct UpdateProject {
    /// New name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Restrict access.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub restricted: Option<bool>,
    /// New status.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<ProjectStatus>,
}

super::api_group! {
    /// Project endpoints; see [`Client::projects`](super::Client::projects).
    Projects
}

fn one(account_id: &str, project_id: &str) -> String {
    format!(
        "/v4/accounts/{}/projects/{}",
        seg(account_id),
        seg(project_id)
    )
}

impl Projects {
    /// `GET /v4/accounts/{account_id}/projects/{project_id}`.
    pub fn show(&self, account_id: &str, project_id: &str) -> ApiRequest<Project> {
        self.client.get(one(account_id, project_id))
    }

    /// `PATCH /v4/accounts/{account_id}/projects/{project_id}`.
    pub fn update(
        &self,
        account_id: &str,
        project_id: &str,
        params: &UpdateProject,
    ) -> ApiRequest<Project> {
        self.client.patch(one(account_id, project_id), params)
    }

    /// `DELETE /v4/accounts/{account_id}/projects/{project_id}`.
    pub fn delete(&self, account_id: &str, project_id: &str) -> ApiRequest<()> {
        self.client.delete(one(account_id, project_id))
    }

    /// `GET /v4/accounts/{account_id}/projects/{project_id}/recently_deleted`.
    pub fn recently_deleted(&self, account_id: &str, project_id: &str) -> Pager<Asset> {
        self.client
            .list(format!("{}/recently_deleted", one(account_id, project_id)))
    }

    /// `GET /v4/accounts/{account_id}/projects`: every project of the account.
    pub fn list_in_account(&self, account_id: &str) -> Pager<Project> {
        self.client
            .list(format!("/v4/accounts/{}/projects", seg(account_id)))
    }

    /// `GET /v4/accounts/{account_id}/invited_projects`: projects the user was invited to.
    pub fn list_invited(&self, account_id: &str) -> Pager<Project> {
        self.client
            .list(format!("/v4/accounts/{}/invited_projects", seg(account_id)))
    }

    /// `GET /v4/accounts/{account_id}/workspaces/{workspace_id}/projects`.
    pub fn list(&self, account_id: &str, workspace_id: &str) -> Pager<Project> {
        self.client.list(format!(
            "/v4/accounts/{}/workspaces/{}/projects",
            seg(account_id),
            seg(workspace_id)
        ))
    }

    /// `POST /v4/accounts/{account_id}/workspaces/{workspace_id}/projects`.
    pub fn create(
        &self,
        account_id: &str,
        workspace_id: &str,
        params: &CreateProject,
    ) -> ApiRequest<Project> {
        let path = format!(
            "/v4/accounts/{}/workspaces/{}/projects",
            seg(account_id),
            seg(workspace_id)
        );
        self.client.post(path, params)
    }
}
