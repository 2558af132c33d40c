//! Files: metadata, create, upload, copy, move, delete.
//!
//! For moving bytes, see [`Files::upload`], [`Files::upload_remote`] and
//! [`Files::download`] (in the `transfer` module).
//!
//! ```no_run
//! # async fn run(client: frameio_kit::client::Client) -> Result<(), frameio_kit::client::ClientError> {
//! use frameio_kit::client::files::FileUpdate;
//!
//! let file = client.files().show("account-id", "file-id").include("media_links.original").await?;
//! client.files().update("account-id", &file.id, &FileUpdate::renamed("final.mov")).await?;
//! # Ok(()) }
//! ```

use serde::{Deserialize, Serialize};

use super::models::{Asset, CopyParams, File, MoveParams};
use super::pager::Pager;
use super::request::{ApiRequest, seg};

/// Body of a local upload: the file is created and presigned part URLs are returned.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LocalUpload {
    /// File name.
    pub name: String,
    /// Size in bytes.
    pub file_size: u64,
}

impl LocalUpload {
    /// A local upload of `file_size` bytes named `name`.
    pub fn new(name: impl Into<String>, file_size: u64) -> Self {
        Self {
            name: name.into(),
            file_size,
        }
    }
}

/// Body of a remote upload: Frame.io fetches `source_url` itself.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RemoteUpload {
    /// File name.
    pub name: String,
    /// Publicly reachable URL of the bytes.
    pub source_url: String,
}

impl RemoteUpload {
    /// Import `source_url` as `name`.
    pub fn new(name: impl Into<String>, source_url: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            source_url: source_url.into(),
        }
    }
}

/// Body of `POST …/files` (the older create endpoint).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreateFile {
    /// File name.
    pub name: String,
    /// Size in bytes.
    pub file_size: u64,
    /// Media type, e.g. `video/mp4`.
    pub media_type: String,
    /// Optional URL Frame.io fetches the bytes from.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source_url: Option<String>,
}

impl CreateFile {
    /// A file record without `source_url`.
    pub fn new(name: impl Into<String>, file_size: u64, media_type: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            file_size,
            media_type: media_type.into(),
            source_url: None,
        }
    }
}

/// Body of an import from connected storage.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportFile {
    /// Object key in the storage location.
    pub key: String,
    /// File name.
    pub name: String,
    /// Storage location id.
    pub storage_location: String,
}

impl ImportFile {
    /// Import `key` from `storage_location` as `name`.
    pub fn new(
        key: impl Into<String>,
        name: impl Into<String>,
        storage_location: impl Into<String>,
    ) -> Self {
        Self {
            key: key.into(),
            name: name.into(),
            storage_location: storage_location.into(),
        }
    }
}

/// Body of file update.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileUpdate {
    /// New name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

impl FileUpdate {
    /// Rename the file.
    pub fn renamed(name: impl Into<String>) -> Self {
        Self {
            name: Some(name.into()),
        }
    }
}

/// Body of the bulk file copy and move endpoints.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BulkFiles {
    /// Files to copy or move.
    pub file_ids: Vec<String>,
    /// Destination folder.
    pub parent_id: String,
}

impl BulkFiles {
    /// Copy or move `file_ids` into `parent_id`.
    pub fn new(file_ids: Vec<String>, parent_id: impl Into<String>) -> Self {
        Self {
            file_ids,
            parent_id: parent_id.into(),
        }
    }
}

/// One result of a bulk file copy.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct FileCopyResult {
    /// The new file.
    pub file: File,
    /// The file it was copied from.
    pub source_file_id: String,
}

/// Upload state of a file.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct UploadStatus {
    /// File id.
    pub id: String,
    /// Detected file type.
    pub filetype: Option<String>,
    /// Whether every byte arrived.
    pub upload_complete: bool,
    /// Whether the upload failed.
    pub upload_failed: bool,
    /// When the upload completed.
    pub upload_completed_at: Option<String>,
    /// When the upload started.
    pub uploaded_at: Option<String>,
}

super::api_group! {
    /// File endpoints; see [`Client::files`](super::Client::files).
    Files
}

fn base(account_id: &str) -> String {
    format!("/v4/accounts/{}/files", seg(account_id))
}

fn one(account_id: &str, file_id: &str) -> String {
    format!("{}/{}", base(account_id), seg(file_id))
}

fn in_folder(account_id: &str, folder_id: &str) -> String {
    format!(
        "/v4/accounts/{}/folders/{}/files",
        seg(account_id),
        seg(folder_id)
    )
}

impl Files {
    /// `GET /v4/accounts/{account_id}/files/{file_id}`.
    pub fn show(&self, account_id: &str, file_id: &str) -> ApiRequest<File> {
        self.client.get(one(account_id, file_id))
    }

    /// `PATCH /v4/accounts/{account_id}/files/{file_id}`.
    pub fn update(&self, account_id: &str, file_id: &str, params: &FileUpdate) -> ApiRequest<File> {
        self.client.patch(one(account_id, file_id), params)
    }

    /// `DELETE /v4/accounts/{account_id}/files/{file_id}`.
    pub fn delete(&self, account_id: &str, file_id: &str) -> ApiRequest<()> {
        self.client.delete(one(account_id, file_id))
    }

    /// `GET /v4/accounts/{account_id}/files/{file_id}/status`.
    pub fn upload_status(&self, account_id: &str, file_id: &str) -> ApiRequest<UploadStatus> {
        self.client
            .get(format!("{}/status", one(account_id, file_id)))
    }

    /// `PATCH /v4/accounts/{account_id}/files/{file_id}/move`.
    pub fn move_to(
        &self,
        account_id: &str,
        file_id: &str,
        params: &MoveParams,
    ) -> ApiRequest<File> {
        let path = format!("{}/move", one(account_id, file_id));
        self.client.patch(path, params)
    }

    /// `POST /v4/accounts/{account_id}/files/{file_id}/copy` (see
    /// [`ApiRequest::copy_metadata`] and [`ApiRequest::copy_comments`]).
    pub fn copy(&self, account_id: &str, file_id: &str, params: &CopyParams) -> ApiRequest<File> {
        let path = format!("{}/copy", one(account_id, file_id));
        self.client.post(path, params)
    }

    /// `PATCH /v4/accounts/{account_id}/files/move`: move several files.
    pub fn bulk_move(&self, account_id: &str, params: &BulkFiles) -> ApiRequest<Vec<File>> {
        let path = format!("{}/move", base(account_id));
        self.client.patch(path, params)
    }

    /// `POST /v4/accounts/{account_id}/files/copy`: copy several files.
    pub fn bulk_copy(
        &self,
        account_id: &str,
        params: &BulkFiles,
    ) -> ApiRequest<Vec<FileCopyResult>> {
        let path = format!("{}/copy", base(account_id));
        self.client.post(path, params)
    }

    /// `GET /v4/accounts/{account_id}/folders/{folder_id}/files`.
    pub fn list(&self, account_id: &str, folder_id: &str) -> Pager<Asset> {
        self.client.list(in_folder(account_id, folder_id))
    }

    /// `POST /v4/accounts/{account_id}/folders/{folder_id}/files`.
    pub fn create(
        &self,
        account_id: &str,
        folder_id: &str,
        params: &CreateFile,
    ) -> ApiRequest<File> {
        self.client.post(in_folder(account_id, folder_id), params)
    }

    /// `POST /v4/accounts/{account_id}/folders/{folder_id}/files/local_upload`: create the
    /// file and get presigned part URLs ([`File::upload_urls`]). [`Files::upload`] does the
    /// whole upload.
    pub fn create_local_upload(
        &self,
        account_id: &str,
        folder_id: &str,
        params: &LocalUpload,
    ) -> ApiRequest<File> {
        let path = format!("{}/local_upload", in_folder(account_id, folder_id));
        self.client.post(path, params)
    }

    /// `POST /v4/accounts/{account_id}/folders/{folder_id}/files/remote_upload`: Frame.io
    /// fetches the bytes from a URL.
    pub fn upload_remote(
        &self,
        account_id: &str,
        folder_id: &str,
        params: &RemoteUpload,
    ) -> ApiRequest<File> {
        let path = format!("{}/remote_upload", in_folder(account_id, folder_id));
        self.client.post(path, params)
    }

    /// `POST /v4/accounts/{account_id}/folders/{folder_id}/files/import`: import from
    /// connected storage.
    pub fn import(
        &self,
        account_id: &str,
        folder_id: &str,
        params: &ImportFile,
    ) -> ApiRequest<File> {
        let path = format!("{}/import", in_folder(account_id, folder_id));
        self.client.post(path, params)
    }
}
