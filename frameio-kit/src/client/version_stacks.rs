//! Version stacks.
//!
//! ```no_run
//! # async fn run(client: frameio_kit::client::Client) -> Result<(), frameio_kit::client::ClientError> {
//! use frameio_kit::client::version_stacks::CreateVersionStack;
//!
//! let stack = client
//!     .version_stacks()
//!     .create("account-id", "folder-id", &CreateVersionStack::new(vec!["v1".into(), "v2".into()]))
//!     .await?;
//! let versions = client.version_stacks().children("account-id", &stack.id).collect_all().await?;
//! # let _ = versions; Ok(()) }
//! ```

use serde::{Deserialize, Serialize};

use super::models::{Asset, CopyParams, MoveParams, VersionStack};
use super::pager::Pager;
use super::request::{ApiRequest, seg};

/// Body of version stack creation.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreateVersionStack {
    /// Files (Frame.io or Adobe ids) to stack, oldest first.
    pub file_ids: Vec<String>,
}

impl CreateVersionStack {
    /// Stack `file_ids`.
    pub fn new(file_ids: Vec<String>) -> Self {
        Self { file_ids }
    }
}

super::api_group! {
    /// Version stack endpoints; see [`Client::version_stacks`](super::Client::version_stacks).
    VersionStacks
}

fn one(account_id: &str, id: &str) -> String {
    format!(
        "/v4/accounts/{}/version_stacks/{}",
        seg(account_id),
        seg(id)
    )
}

fn in_folder(account_id: &str, folder_id: &str) -> String {
    format!(
        "/v4/accounts/{}/folders/{}/version_stacks",
        seg(account_id),
        seg(folder_id)
    )
}

impl VersionStacks {
    /// `GET /v4/accounts/{account_id}/folders/{folder_id}/version_stacks`.
    pub fn list(&self, account_id: &str, folder_id: &str) -> Pager<VersionStack> {
        self.client.list(in_folder(account_id, folder_id))
    }

    /// `POST /v4/accounts/{account_id}/folders/{folder_id}/version_stacks`.
    pub fn create(
        &self,
        account_id: &str,
        folder_id: &str,
        params: &CreateVersionStack,
    ) -> ApiRequest<VersionStack> {
        self.client.post(in_folder(account_id, folder_id), params)
    }

    /// `GET /v4/accounts/{account_id}/version_stacks/{version_stack_id}`.
    pub fn show(&self, account_id: &str, version_stack_id: &str) -> ApiRequest<VersionStack> {
        self.client.get(one(account_id, version_stack_id))
    }

    /// `GET /v4/accounts/{account_id}/version_stacks/{version_stack_id}/children`: the
    /// versions.
    pub fn children(&self, account_id: &str, version_stack_id: &str) -> Pager<Asset> {
        self.client
            .list(format!("{}/children", one(account_id, version_stack_id)))
    }

    /// `PATCH /v4/accounts/{account_id}/version_stacks/{version_stack_id}/move`.
    pub fn move_to(
        &self,
        account_id: &str,
        version_stack_id: &str,
        params: &MoveParams,
    ) -> ApiRequest<VersionStack> {
        let path = format!("{}/move", one(account_id, version_stack_id));
        self.client.patch(path, params)
    }

    /// `POST /v4/accounts/{account_id}/version_stacks/{version_stack_id}/copy` (see
    /// [`ApiRequest::copy_metadata`]).
    pub fn copy(
        &self,
        account_id: &str,
        version_stack_id: &str,
        params: &CopyParams,
    ) -> ApiRequest<VersionStack> {
        let path = format!("{}/copy", one(account_id, version_stack_id));
        self.client.post(path, params)
    }
}
