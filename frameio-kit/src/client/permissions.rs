//! Permissions: the roles of users on an account, workspaces, projects and folders.
//!
//! Group roles on workspaces and projects are part of the experimental API
//! ([`Client::experimental`](super::Client::experimental)).
//!
//! ```no_run
//! # async fn run(client: frameio_kit::client::Client) -> Result<(), frameio_kit::client::ClientError> {
//! use frameio_kit::client::permissions::Role;
//!
//! let perms = client.permissions();
//! let members = perms.project_users("account-id", "project-id").include_deactivated(false).collect_all().await?;
//! for m in &members {
//!     println!("{:?} {:?}", m.user.email, m.role);
//! }
//! perms.update_project_role("account-id", "project-id", "user-id", Role::Commenter).await?;
//! perms.remove_folder_user("account-id", "folder-id", "user-id").await?;
//! # Ok(()) }
//! ```

use serde::{Deserialize, Serialize};

use super::models::{User, open_enum};
use super::pager::Pager;
use super::request::{ApiRequest, seg};
use super::users::AccountRole;

open_enum! {
    /// Role of a user or group on a workspace, project or folder.
    ///
    /// Updates accept `full_access`, `editor`, `edit_only`, `commenter` and `viewer`, plus
    /// `workspace_admin` on workspaces; listings may also show account `admin`s and `owner`s.
    pub enum Role {
        /// Workspace administrator.
        WorkspaceAdmin => "workspace_admin",
        /// Full access.
        FullAccess => "full_access",
        /// Can edit and share.
        Editor => "editor",
        /// Can edit, not share.
        EditOnly => "edit_only",
        /// Can comment.
        Commenter => "commenter",
        /// Can view.
        Viewer => "viewer",
        /// Account administrator.
        Admin => "admin",
        /// Account owner.
        Owner => "owner",
    }
}

/// A user and their role on a resource.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct UserRole {
    /// Role.
    pub role: Option<Role>,
    /// The user.
    pub user: User,
}

/// The role returned by an update.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct RoleAssignment {
    /// The role now held.
    pub role: Option<Role>,
}

/// The account role returned by [`Permissions::update_account_role`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct AccountRoleAssignment {
    /// The role now held.
    pub role: Option<AccountRole>,
}

#[derive(Serialize)]
pub(crate) struct RoleBody<'a, R> {
    pub(crate) role: &'a R,
}

impl Pager<UserRole> {
    /// Also list deactivated users (`include_deactivated`).
    pub fn include_deactivated(self, yes: bool) -> Self {
        self.param("include_deactivated", yes)
    }
}

super::api_group! {
    /// Permission endpoints; see [`Client::permissions`](super::Client::permissions).
    Permissions
}

fn users_of(account_id: &str, kind: &str, id: &str) -> String {
    format!("/v4/accounts/{}/{kind}/{}/users", seg(account_id), seg(id))
}

fn user_of(account_id: &str, kind: &str, id: &str, user_id: &str) -> String {
    format!("{}/{}", users_of(account_id, kind, id), seg(user_id))
}

impl Permissions {
    fn list(&self, path: String) -> Pager<UserRole> {
        self.client.list(path)
    }

    fn update(&self, path: String, role: &Role) -> ApiRequest<RoleAssignment> {
        self.client.patch(path, &RoleBody { role })
    }

    fn remove(&self, path: String) -> ApiRequest<()> {
        self.client.delete(path)
    }

    /// `PATCH /v4/accounts/{account_id}/users/{user_id}`: make a user an account `admin` or
    /// `member`.
    pub fn update_account_role(
        &self,
        account_id: &str,
        user_id: &str,
        role: AccountRole,
    ) -> ApiRequest<AccountRoleAssignment> {
        let path = format!("/v4/accounts/{}/users/{}", seg(account_id), seg(user_id));
        self.client.patch(path, &RoleBody { role: &role })
    }

    /// `GET /v4/accounts/{account_id}/workspaces/{workspace_id}/users`. Sort with
    /// [`Pager::sort`] (`role_asc`, `name_desc`, `email_asc`…).
    pub fn workspace_users(&self, account_id: &str, workspace_id: &str) -> Pager<UserRole> {
        self.list(users_of(account_id, "workspaces", workspace_id))
    }

    /// `PATCH /v4/accounts/{account_id}/workspaces/{workspace_id}/users/{user_id}`.
    pub fn update_workspace_role(
        &self,
        account_id: &str,
        workspace_id: &str,
        user_id: &str,
        role: Role,
    ) -> ApiRequest<RoleAssignment> {
        self.update(
            user_of(account_id, "workspaces", workspace_id, user_id),
            &role,
        )
    }

    /// `DELETE /v4/accounts/{account_id}/workspaces/{workspace_id}/users/{user_id}`.
    pub fn remove_workspace_user(
        &self,
        account_id: &str,
        workspace_id: &str,
        user_id: &str,
    ) -> ApiRequest<()> {
        self.remove(user_of(account_id, "workspaces", workspace_id, user_id))
    }

    /// `GET /v4/accounts/{account_id}/projects/{project_id}/users`.
    pub fn project_users(&self, account_id: &str, project_id: &str) -> Pager<UserRole> {
        self.list(users_of(account_id, "projects", project_id))
    }

    /// `PATCH /v4/accounts/{account_id}/projects/{project_id}/users/{user_id}`.
    pub fn update_project_role(
        &self,
        account_id: &str,
        project_id: &str,
        user_id: &str,
        role: Role,
    ) -> ApiRequest<RoleAssignment> {
        self.update(user_of(account_id, "projects", project_id, user_id), &role)
    }

    /// `DELETE /v4/accounts/{account_id}/projects/{project_id}/users/{user_id}`.
    pub fn remove_project_user(
        &self,
        account_id: &str,
        project_id: &str,
        user_id: &str,
    ) -> ApiRequest<()> {
        self.remove(user_of(account_id, "projects", project_id, user_id))
    }

    /// `GET /v4/accounts/{account_id}/folders/{folder_id}/users`.
    pub fn folder_users(&self, account_id: &str, folder_id: &str) -> Pager<UserRole> {
        self.list(users_of(account_id, "folders", folder_id))
    }

    /// `PATCH /v4/accounts/{account_id}/folders/{folder_id}/users/{user_id}`.
    pub fn update_folder_role(
        &self,
        account_id: &str,
        folder_id: &str,
        user_id: &str,
        role: Role,
    ) -> ApiRequest<RoleAssignment> {
        self.update(user_of(account_id, "folders", folder_id, user_id), &role)
    }

    /// `DELETE /v4/accounts/{account_id}/folders/{folder_id}/users/{user_id}`.
    pub fn remove_folder_user(
        &self,
        account_id: &str,
        folder_id: &str,
        user_id: &str,
    ) -> ApiRequest<()> {
        self.remove(user_of(account_id, "folders", folder_id, user_id))
    }
}
