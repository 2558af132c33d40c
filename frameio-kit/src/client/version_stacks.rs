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

use reqwest::Method;
use serde::{Deserialize, Serialize};

use super::models::{Asset, CopyParams, MoveParams, VersionStack};
use super::pager::Pager;
use super::transport::{ApiRequest, Client, RequestSpec, seg};

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

/// Version stack endpoints; see [`Client::version_stacks`].
#[derive(Debug, Clone)]
pub struct VersionStacks {
    pub(crate) client: Client,
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
        Pager::new(
            &self.client,
            RequestSpec::new(Method::GET, in_folder(account_id, folder_id)),
        )
    }

    /// `POST /v4/accounts/{account_id}/folders/{folder_id}/version_stacks`.
    pub fn create(
        &self,
        account_id: &str,
        folder_id: &str,
        params: &CreateVersionStack,
    ) -> ApiRequest<VersionStack> {
        ApiRequest::json(
            &self.client,
            RequestSpec::new(Method::POST, in_folder(account_id, folder_id)).data(params),
        )
    }

    /// `GET /v4/accounts/{account_id}/version_stacks/{version_stack_id}`.
    pub fn show(&self, account_id: &str, version_stack_id: &str) -> ApiRequest<VersionStack> {
        ApiRequest::json(
            &self.client,
            RequestSpec::new(Method::GET, one(account_id, version_stack_id)),
        )
    }

    /// `GET /v4/accounts/{account_id}/version_stacks/{version_stack_id}/children`: the
    /// versions.
    pub fn children(&self, account_id: &str, version_stack_id: &str) -> Pager<Asset> {
        Pager::new(
            &self.client,
            RequestSpec::new(
                Method::GET,
                format!("{}/children", one(account_id, version_stack_id)),
            ),
        )
    }

    /// `PATCH /v4/accounts/{account_id}/version_stacks/{version_stack_id}/move`.
    pub fn move_to(
        &self,
        account_id: &str,
        version_stack_id: &str,
        params: &MoveParams,
    ) -> ApiRequest<VersionStack> {
        let path = format!("{}/move", one(account_id, version_stack_id));
        ApiRequest::json(
            &self.client,
            RequestSpec::new(Method::PATCH, path).data(params),
        )
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
        ApiRequest::json(
            &self.client,
            RequestSpec::new(Method::POST, path).data(params),
        )
    }
}
