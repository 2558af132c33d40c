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

use serde::{Deserialize, Serialize};

use super::models::{Asset, AssetType, CopyComments, CopyParams, Folder, MoveParams};
use super::pager::Pager;
use super::request::{ApiRequest, seg};

/// Body of folder create and update.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FolderParams {
    /// Name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Restrict the folder to the users and groups given access to it (experimental API
    /// feature; the stable API ignores it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub restricted: Option<bool>,
}

impl FolderParams {
    /// Parameters with a name.
    pub fn named(name: impl Into<String>) -> Self {
        Self {
            name: Some(name.into()),
            restricted: None,
        }
    }

    /// Set [`restricted`](Self::restricted).
    pub fn restricted(mut self, yes: bool) -> Self {
        self.restricted = Some(yes);
        self
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

super::api_group! {
    /// Folder endpoints; see [`Client::folders`](super::Client::folders).
    Folders
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

    /// Which comments to copy along (`copy_comments`: `none`, `internal`, `public` or `all`;
    /// file copy, bulk file copy and bulk folder copy endpoints).
    pub fn copy_comments(self, which: CopyComments) -> Self {
        self.query("copy_comments", which)
    }
}

impl Folders {
    /// `GET /v4/accounts/{account_id}/folders/{folder_id}`.
    pub fn show(&self, account_id: &str, folder_id: &str) -> ApiRequest<Folder> {
        self.client.get(one(account_id, folder_id))
    }

    /// `PATCH /v4/accounts/{account_id}/folders/{folder_id}`.
    pub fn update(
        &self,
        account_id: &str,
        folder_id: &str,
        params: &FolderParams,
    ) -> ApiRequest<Folder> {
        self.client.patch(one(account_id, folder_id), params)
    }

    /// `DELETE /v4/accounts/{account_id}/folders/{folder_id}`.
    pub fn delete(&self, account_id: &str, folder_id: &str) -> ApiRequest<()> {
        self.client.delete(one(account_id, folder_id))
    }

    /// `GET /v4/accounts/{account_id}/folders/{folder_id}/children`: files, folders and
    /// version stacks in a folder.
    pub fn children(&self, account_id: &str, folder_id: &str) -> Pager<Asset> {
        self.client
            .list(format!("{}/children", one(account_id, folder_id)))
    }

    /// `GET /v4/accounts/{account_id}/folders/{folder_id}/folders`: sub-folders.
    pub fn list(&self, account_id: &str, folder_id: &str) -> Pager<Folder> {
        self.client
            .list(format!("{}/folders", one(account_id, folder_id)))
    }

    /// `POST /v4/accounts/{account_id}/folders/{folder_id}/folders`: create a sub-folder.
    pub fn create(
        &self,
        account_id: &str,
        parent_folder_id: &str,
        params: &FolderParams,
    ) -> ApiRequest<Folder> {
        let path = format!("{}/folders", one(account_id, parent_folder_id));
        self.client.post(path, params)
    }

    /// `PATCH /v4/accounts/{account_id}/folders/{folder_id}/move`.
    pub fn move_to(
        &self,
        account_id: &str,
        folder_id: &str,
        params: &MoveParams,
    ) -> ApiRequest<Folder> {
        let path = format!("{}/move", one(account_id, folder_id));
        self.client.patch(path, params)
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
        self.client.post(path, params)
    }

    /// `PATCH /v4/accounts/{account_id}/folders/move`: move several folders.
    pub fn bulk_move(&self, account_id: &str, params: &BulkFolders) -> ApiRequest<Vec<Folder>> {
        let path = format!("{}/move", base(account_id));
        self.client.patch(path, params)
    }

    /// `POST /v4/accounts/{account_id}/folders/copy`: copy several folders (see
    /// [`ApiRequest::copy_metadata`] and [`ApiRequest::copy_comments`]).
    pub fn bulk_copy(
        &self,
        account_id: &str,
        params: &BulkFolders,
    ) -> ApiRequest<Vec<FolderCopyResult>> {
        let path = format!("{}/copy", base(account_id));
        self.client.post(path, params)
    }
}
