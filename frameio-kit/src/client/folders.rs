//! Folders: show, create, update, delete, move and copy, and listing children.
//!
//! ```no_run
//! # async fn run(client: frameio_kit::client::Client) -> Result<(), frameio_kit::client::ClientError> {
//! use frameio_kit::client::folders::FolderParams;
//! use frameio_kit::client::models::AssetType;
//!
//! let folder = client
//!     .folders()
//!     .create("account-id", "parent-folder-id", &FolderParams::named("Selects"))
//!     .await?;
//! let files = client
//!     .folders()
//!     .children("account-id", &folder.id)
//!     .asset_type(AssetType::File)
//!     .include("media_links.thumbnail")
//!     .collect_all()
//!     .await?;
//! # let _ = files; Ok(()) }
//! ```

use reqwest::Method;
use serde::{Deserialize, Serialize};

use super::models::{Asset, AssetType, CopyParams, Folder, MoveParams};
use super::pager::Pager;
use super::transport::{ApiRequest, Client, RequestSpec, seg};

/// Body of folder create and update.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FolderParams {
    /// Name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

impl FolderParams {
    /// Parameters with a name.
    pub fn named(name: impl Into<String>) -> Self {
        Self {
            name: Some(name.into()),
        }
    }
}

/// Body of the bulk folder copy and move endpoints.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BulkFolders {
    /// Folders to copy or move.
    pub folder_ids: Vec<String>,
    /// Destination folder.
    pub parent_id: String,
}

impl BulkFolders {
    /// Copy or move `folder_ids` into `parent_id`.
    pub fn new(folder_ids: Vec<String>, parent_id: impl Into<String>) -> Self {
        Self {
            folder_ids,
            parent_id: parent_id.into(),
        }
    }
}

/// One result of a bulk folder copy.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct FolderCopyResult {
    /// The new folder.
    pub folder: Folder,
    /// The folder it was copied from.
    pub source_folder_id: String,
}

/// Folder endpoints; see [`Client::folders`].
#[derive(Debug, Clone)]
pub struct Folders {
    pub(crate) client: Client,
}

fn base(account_id: &str) -> String {
    format!("/v4/accounts/{}/folders", seg(account_id))
}

fn one(account_id: &str, folder_id: &str) -> String {
    format!("{}/{}", base(account_id), seg(folder_id))
}

impl Pager<Asset> {
    /// Only list children of this type (`type` query parameter).
    pub fn asset_type(self, asset_type: AssetType) -> Self {
        self.param("type", asset_type)
    }
}

impl<T> ApiRequest<T> {
    /// Also copy metadata (`copy_metadata`, copy endpoints).
    pub fn copy_metadata(self, yes: bool) -> Self {
        self.query("copy_metadata", yes)
    }

    /// Also copy comments (`copy_comments`, file copy endpoints).
    pub fn copy_comments(self, yes: bool) -> Self {
        self.query("copy_comments", yes)
    }
}

impl Folders {
    /// `GET /v4/accounts/{account_id}/folders/{folder_id}`.
    pub fn show(&self, account_id: &str, folder_id: &str) -> ApiRequest<Folder> {
        ApiRequest::json(
            &self.client,
            RequestSpec::new(Method::GET, one(account_id, folder_id)),
        )
    }

    /// `PATCH /v4/accounts/{account_id}/folders/{folder_id}`.
    pub fn update(
        &self,
        account_id: &str,
        folder_id: &str,
        params: &FolderParams,
    ) -> ApiRequest<Folder> {
        ApiRequest::json(
            &self.client,
            RequestSpec::new(Method::PATCH, one(account_id, folder_id)).data(params),
        )
    }

    /// `DELETE /v4/accounts/{account_id}/folders/{folder_id}`.
    pub fn delete(&self, account_id: &str, folder_id: &str) -> ApiRequest<()> {
        ApiRequest::empty(
            &self.client,
            RequestSpec::new(Method::DELETE, one(account_id, folder_id)),
        )
    }

    /// `GET /v4/accounts/{account_id}/folders/{folder_id}/children`: files, folders and
    /// version stacks in a folder.
    pub fn children(&self, account_id: &str, folder_id: &str) -> Pager<Asset> {
        Pager::new(
            &self.client,
            RequestSpec::new(
                Method::GET,
                format!("{}/children", one(account_id, folder_id)),
            ),
        )
    }

    /// `GET /v4/accounts/{account_id}/folders/{folder_id}/folders`: sub-folders.
    pub fn list(&self, account_id: &str, folder_id: &str) -> Pager<Folder> {
        Pager::new(
            &self.client,
            RequestSpec::new(
                Method::GET,
                format!("{}/folders", one(account_id, folder_id)),
            ),
        )
    }

    /// `POST /v4/accounts/{account_id}/folders/{folder_id}/folders`: create a sub-folder.
    pub fn create(
        &self,
        account_id: &str,
        parent_folder_id: &str,
        params: &FolderParams,
    ) -> ApiRequest<Folder> {
        let path = format!("{}/folders", one(account_id, parent_folder_id));
        ApiRequest::json(
            &self.client,
            RequestSpec::new(Method::POST, path).data(params),
        )
    }

    /// `PATCH /v4/accounts/{account_id}/folders/{folder_id}/move`.
    pub fn move_to(
        &self,
        account_id: &str,
        folder_id: &str,
        params: &MoveParams,
    ) -> ApiRequest<Folder> {
        let path = format!("{}/move", one(account_id, folder_id));
        ApiRequest::json(
            &self.client,
            RequestSpec::new(Method::PATCH, path).data(params),
        )
    }

    /// `POST /v4/accounts/{account_id}/folders/{folder_id}/copy` (see
    /// [`ApiRequest::copy_metadata`]).
    pub fn copy(
        &self,
        account_id: &str,
        folder_id: &str,
        params: &CopyParams,
    ) -> ApiRequest<Folder> {
        let path = format!("{}/copy", one(account_id, folder_id));
        ApiRequest::json(
            &self.client,
            RequestSpec::new(Method::POST, path).data(params),
        )
    }

    /// `PATCH /v4/accounts/{account_id}/folders/move`: move several folders.
    pub fn bulk_move(&self, account_id: &str, params: &BulkFolders) -> ApiRequest<Vec<Folder>> {
        let path = format!("{}/move", base(account_id));
        ApiRequest::json(
            &self.client,
            RequestSpec::new(Method::PATCH, path).data(params),
        )
    }

    /// `POST /v4/accounts/{account_id}/folders/copy`: copy several folders (see
    /// [`ApiRequest::copy_metadata`] and [`ApiRequest::copy_comments`]).
    pub fn bulk_copy(
        &self,
        account_id: &str,
        params: &BulkFolders,
    ) -> ApiRequest<Vec<FolderCopyResult>> {
        let path = format!("{}/copy", base(account_id));
        ApiRequest::json(
            &self.client,
            RequestSpec::new(Method::POST, path).data(params),
        )
    }
}
