//! Experimental API: group permissions.

use serde::{Deserialize, Serialize};

use super::account;
use crate::client::groups::Group;
use crate::client::pager::Pager;
use crate::client::permissions::{Role, RoleAssignment, RoleBody};
use crate::client::request::{ApiRequest, seg};

crate::client::api_group! {
    /// Experimental permission endpoints: group roles on workspaces and projects.
    Permissions
}

/// A group and its role on a workspace or project.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct GroupRole {
    /// Role.
    pub role: Option<Role>,
    /// The group.
    pub group: Group,
}

fn groups_of(account_id: &str, kind: &str, id: &str) -> String {
    format!("{}/{kind}/{}/groups", account(account_id), seg(id))
}

impl Permissions {
    fn list(&self, path: String) -> Pager<GroupRole> {
        self.client.list(path)
    }

    fn update(&self, path: String, role: Role) -> ApiRequest<RoleAssignment> {
        self.client.patch(path, &RoleBody { role: &role })
    }

    /// `GET /v4/accounts/{account_id}/workspaces/{workspace_id}/groups` (experimental).
    pub fn workspace_groups(&self, account_id: &str, workspace_id: &str) -> Pager<GroupRole> {
        self.list(groups_of(account_id, "workspaces", workspace_id))
    }

    /// `PATCH /v4/accounts/{account_id}/workspaces/{workspace_id}/groups/{group_id}`
    /// (experimental).
    pub fn update_workspace_group_role(
        &self,
        account_id: &str,
        workspace_id: &str,
        group_id: &str,
        role: Role,
    ) -> ApiRequest<RoleAssignment> {
        let path = format!(
            "{}/{}",
            groups_of(account_id, "workspaces", workspace_id),
            seg(group_id)
        );
        self.update(path, role)
    }

    /// `DELETE /v4/accounts/{account_id}/workspaces/{workspace_id}/groups/{group_id}`
    /// (experimental).
    pub fn remove_workspace_group(
        &self,
        account_id: &str,
        workspace_id: &str,
        group_id: &str,
    ) -> ApiRequest<()> {
        let path = format!(
            "{}/{}",
            groups_of(account_id, "workspaces", workspace_id),
            seg(group_id)
        );
        self.client.delete(path)
    }

    /// `GET /v4/accounts/{account_id}/projects/{project_id}/groups` (experimental).
    pub fn project_groups(&self, account_id: &str, project_id: &str) -> Pager<GroupRole> {
        self.list(groups_of(account_id, "projects", project_id))
    }

    /// `PATCH /v4/accounts/{account_id}/projects/{project_id}/groups/{group_id}`
    /// (experimental).
    pub fn update_project_group_role(
        &self,
        account_id: &str,
        project_id: &str,
        group_id: &str,
        role: Role,
    ) -> ApiRequest<RoleAssignment> {
        let path = format!(
            "{}/{}",
            groups_of(account_id, "projects", project_id),
            seg(group_id)
        );
        self.update(path, role)
    }

    /// `DELETE /v4/accounts/{account_id}/projects/{project_id}/groups/{group_id}`
    /// (experimental).
    pub fn remove_project_group(
        &self,
        account_id: &str,
        project_id: &str,
        group_id: &str,
    ) -> ApiRequest<()> {
        let path = format!(
            "{}/{}",
            groups_of(account_id, "projects", project_id),
            seg(group_id)
        );
        self.client.delete(path)
    }
}
