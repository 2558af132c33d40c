//! User groups of an account.
//!
//! Groups can be given roles on workspaces and projects through the experimental API
//! ([`Client::experimental`](super::Client::experimental)), which also manages their members.
//!
//! ```no_run
//! # async fn run(client: frameio_kit::client::Client) -> Result<(), frameio_kit::client::ClientError> {
//! use frameio_kit::client::groups::{CreateGroup, UpdateGroup};
//!
//! let group = client.groups().create("account-id", &CreateGroup::new("Editors", "🎬")).await?;
//! let rename = UpdateGroup { name: Some("Senior editors".into()), ..Default::default() };
//! client.groups().update("account-id", &group.id, &rename).await?;
//! let all = client.groups().list("account-id").include("creator").sort("name_asc").collect_all().await?;
//! # let _ = all; Ok(()) }
//! ```

use serde::{Deserialize, Serialize};

use super::models::{User, open_enum};
use super::pager::Pager;
use super::request::{ApiRequest, seg};

open_enum! {
    /// Where a group is managed.
    pub enum GroupSource {
        /// Adobe (synchronised from the Adobe Admin Console).
        Adobe => "adobe",
        /// Frame.io.
        Frame => "frame",
        /// Workfront.
        Workfront => "workfront",
    }
}

open_enum! {
    /// Synchronisation state of an Adobe group.
    pub enum SyncStatus {
        /// Not started.
        NotStarted => "not_started",
        /// Running.
        InProgress => "in_progress",
        /// Done.
        Completed => "completed",
        /// Failed.
        Error => "error",
    }
}

/// A group.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct Group {
    /// Group id.
    pub id: String,
    /// Name.
    pub name: String,
    /// Emoji shown with the name.
    pub emoji: Option<String>,
    /// Number of members.
    pub member_count: Option<u64>,
    /// Where the group is managed (listings and `show`).
    pub source: Option<GroupSource>,
    /// Synchronisation state (Adobe groups).
    pub sync_status: Option<SyncStatus>,
    /// Creator id.
    pub creator_id: Option<String>,
    /// Creator (with `include=creator`).
    pub creator: Option<User>,
    /// Creation time.
    pub created_at: Option<String>,
    /// Last update time.
    pub updated_at: Option<String>,
}

/// Body of group creation.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreateGroup {
    /// Name.
    pub name: String,
    /// Emoji.
    pub emoji: String,
}

impl CreateGroup {
    /// A group named `name` shown with `emoji`.
    pub fn new(name: impl Into<String>, emoji: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            emoji: emoji.into(),
        }
    }
}

/// Body of group update; `None` fields are left unchanged.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct UpdateGroup {
    /// New name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// New emoji.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub emoji: Option<String>,
}

super::api_group! {
    /// Group endpoints; see [`Client::groups`](super::Client::groups).
    Groups
}

pub(crate) fn all(account_id: &str) -> String {
    format!("/v4/accounts/{}/groups", seg(account_id))
}

pub(crate) fn one(account_id: &str, group_id: &str) -> String {
    format!("{}/{}", all(account_id), seg(group_id))
}

impl Groups {
    /// `GET /v4/accounts/{account_id}/groups`.
    pub fn list(&self, account_id: &str) -> Pager<Group> {
        self.client.list(all(account_id))
    }

    /// `POST /v4/accounts/{account_id}/groups`.
    pub fn create(&self, account_id: &str, params: &CreateGroup) -> ApiRequest<Group> {
        self.client.post(all(account_id), params)
    }

    /// `GET /v4/accounts/{account_id}/groups/{group_id}`.
    pub fn show(&self, account_id: &str, group_id: &str) -> ApiRequest<Group> {
        self.client.get(one(account_id, group_id))
    }

    /// `PATCH /v4/accounts/{account_id}/groups/{group_id}`.
    pub fn update(
        &self,
        account_id: &str,
        group_id: &str,
        params: &UpdateGroup,
    ) -> ApiRequest<Group> {
        self.client.patch(one(account_id, group_id), params)
    }
}
