//! Experimental API: groups.

use serde::{Deserialize, Serialize};

use super::account;
use crate::client::groups::{self, Group};
use crate::client::models::User;
use crate::client::pager::Pager;
use crate::client::request::{ApiRequest, seg};

crate::client::api_group! {
    /// Experimental group endpoints: delete, members, Adobe groups.
    Groups
}

/// An Adobe (Admin Console) group that can be added to the account.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct AdobeGroup {
    /// Adobe group id.
    pub adobe_group_id: String,
    /// Name.
    pub name: String,
}

/// Response of [`Groups::add_adobe_group`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct AdobeGroupAdded {
    /// The synchronised group.
    pub data: Group,
    /// Message from the server (e.g. about the synchronisation).
    pub message: Option<String>,
}

#[derive(Serialize)]
struct UserIds<'a> {
    user_ids: &'a [String],
}

#[derive(Serialize)]
struct AdobeGroupId<'a> {
    adobe_group_id: &'a str,
}

impl Groups {
    /// `DELETE /v4/accounts/{account_id}/groups/{group_id}` (experimental).
    pub fn delete(&self, account_id: &str, group_id: &str) -> ApiRequest<()> {
        self.client.delete(groups::one(account_id, group_id))
    }

    /// `GET /v4/accounts/{account_id}/groups/{group_id}/users` (experimental).
    pub fn members(&self, account_id: &str, group_id: &str) -> Pager<User> {
        self.client
            .list(format!("{}/users", groups::one(account_id, group_id)))
    }

    /// `POST /v4/accounts/{account_id}/groups/{group_id}/users` (experimental).
    pub fn add_members(
        &self,
        account_id: &str,
        group_id: &str,
        user_ids: &[String],
    ) -> ApiRequest<()> {
        self.client.post_empty(
            format!("{}/users", groups::one(account_id, group_id)),
            &UserIds { user_ids },
        )
    }

    /// `DELETE /v4/accounts/{account_id}/groups/{group_id}/users/{user_id}` (experimental).
    pub fn remove_member(&self, account_id: &str, group_id: &str, user_id: &str) -> ApiRequest<()> {
        self.client.delete(format!(
            "{}/users/{}",
            groups::one(account_id, group_id),
            seg(user_id)
        ))
    }

    /// `GET /v4/accounts/{account_id}/adobe_groups` (experimental): Adobe groups that can
    /// be added.
    pub fn adobe_groups(&self, account_id: &str) -> Pager<AdobeGroup> {
        self.client
            .list(format!("{}/adobe_groups", account(account_id)))
    }

    /// `POST /v4/accounts/{account_id}/adobe_groups` (experimental): add and synchronise an
    /// Adobe group.
    pub fn add_adobe_group(
        &self,
        account_id: &str,
        adobe_group_id: &str,
    ) -> ApiRequest<AdobeGroupAdded> {
        self.client.post_whole(
            format!("{}/adobe_groups", account(account_id)),
            &AdobeGroupId { adobe_group_id },
        )
    }
}
