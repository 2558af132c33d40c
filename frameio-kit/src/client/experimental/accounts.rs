//! Experimental API: accounts and account users.

use serde::{Deserialize, Serialize};

use super::account;
use crate::client::accounts::Account;
use crate::client::models::{User, open_enum};
use crate::client::pager::Pager;
use crate::client::permissions::Role;
use crate::client::request::{ApiRequest, seg};
use crate::client::users::AccountRole;

crate::client::api_group! {
    /// Experimental account endpoints: one account, one account user, their memberships.
    Accounts
}

/// A user as returned by the experimental account user endpoints.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct AccountMemberUser {
    /// The user.
    #[serde(flatten)]
    pub user: User,
    /// When the user joined the account.
    pub joined_at: Option<String>,
    /// Last activity.
    pub last_active_at: Option<String>,
    /// Time zone.
    pub timezone: Option<String>,
}

/// A user of an account and their account role.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct AccountMember {
    /// Account role.
    pub role: Option<AccountRole>,
    /// The user.
    pub user: AccountMemberUser,
}

open_enum! {
    /// Kind of a membership.
    pub enum MembershipType {
        /// Member of a group.
        Group => "group",
        /// Member of a project.
        Project => "project",
        /// Member of a workspace.
        Workspace => "workspace",
    }
}

/// A group, project or workspace a user belongs to.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct Membership {
    /// Id of the group, project or workspace.
    pub id: String,
    /// Its name.
    pub name: String,
    /// Kind.
    #[serde(rename = "type")]
    pub membership_type: MembershipType,
    /// Role (projects and workspaces).
    pub role: Option<Role>,
}

impl Pager<Membership> {
    /// Only memberships of one kind (`type`: `group`, `project` or `workspace`).
    pub fn membership_type(self, kind: MembershipType) -> Self {
        self.param("type", kind)
    }
}

impl Accounts {
    /// `GET /v4/accounts/{account_id}` (experimental).
    pub fn show(&self, account_id: &str) -> ApiRequest<Account> {
        self.client.get(account(account_id))
    }

    /// `GET /v4/accounts/{account_id}/users/{user_id}` (experimental).
    pub fn user(&self, account_id: &str, user_id: &str) -> ApiRequest<AccountMember> {
        self.client
            .get(format!("{}/users/{}", account(account_id), seg(user_id)))
    }

    /// `GET /v4/accounts/{account_id}/users/{user_id}/memberships` (experimental). Filter
    /// with [`Pager::membership_type`](Pager#method.membership_type).
    pub fn user_memberships(&self, account_id: &str, user_id: &str) -> Pager<Membership> {
        self.client.list(format!(
            "{}/users/{}/memberships",
            account(account_id),
            seg(user_id)
        ))
    }
}
