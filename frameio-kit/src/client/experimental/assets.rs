//! Experimental API: files, folders, version stacks.

use serde::{Deserialize, Serialize};

use super::account;
use crate::client::models::{Asset, File, Folder, VersionStack, open_enum};
use crate::client::request::{ApiRequest, seg};

crate::client::api_group! {
    /// Experimental file endpoints: bulk get, restore.
    Files
}

crate::client::api_group! {
    /// Experimental folder endpoints: restore.
    Folders
}

crate::client::api_group! {
    /// Experimental version stack endpoints: restore, reorder versions.
    VersionStacks
}

/// Why one file of a bulk get could not be returned.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct BulkFileError {
    /// Short title.
    pub title: String,
    /// Detail.
    pub detail: String,
}

/// One entry of a bulk get: the file or an error, with a per-file status.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct BulkFileResult {
    /// Requested file id.
    pub id: String,
    /// HTTP-like status of this entry.
    pub status: u16,
    /// The file, when found.
    pub file: Option<File>,
    /// The error, when not.
    pub error: Option<BulkFileError>,
}

#[derive(Serialize)]
struct FileIds<'a> {
    file_ids: &'a [String],
}

impl Files {
    /// `POST /v4/accounts/{account_id}/files/bulk_get` (experimental): several files at once.
    /// Use [`ApiRequest::include`] for `media_links.…`, `creator`…
    pub fn bulk_get(
        &self,
        account_id: &str,
        file_ids: &[String],
    ) -> ApiRequest<Vec<BulkFileResult>> {
        self.client.post(
            format!("{}/files/bulk_get", account(account_id)),
            &FileIds { file_ids },
        )
    }

    /// `PATCH /v4/accounts/{account_id}/files/{file_id}/restore` (experimental): restore a
    /// deleted file.
    pub fn restore(&self, account_id: &str, file_id: &str) -> ApiRequest<File> {
        self.client.patch_bare(format!(
            "{}/files/{}/restore",
            account(account_id),
            seg(file_id)
        ))
    }
}

impl Folders {
    /// `PATCH /v4/accounts/{account_id}/folders/{folder_id}/restore` (experimental).
    pub fn restore(&self, account_id: &str, folder_id: &str) -> ApiRequest<Folder> {
        self.client.patch_bare(format!(
            "{}/folders/{}/restore",
            account(account_id),
            seg(folder_id)
        ))
    }
}

open_enum! {
    /// Where [`ReorderVersions::move_to`] puts a version.
    pub enum MoveTo {
        /// First (newest) position.
        Top => "top",
        /// Last position.
        Bottom => "bottom",
    }
}

/// Body of [`VersionStacks::reorder`]: move `target_file_id` above or below another version,
/// or to the top or bottom.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReorderVersions {
    /// The version to move.
    pub target_file_id: String,
    /// Place it directly above this version.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub move_above_file_id: Option<String>,
    /// Place it directly below this version.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub move_below_file_id: Option<String>,
    /// Place it at the top or bottom.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub move_to: Option<MoveTo>,
}

impl ReorderVersions {
    /// Move `target_file_id` to the top or bottom.
    pub fn to(target_file_id: impl Into<String>, position: MoveTo) -> Self {
        Self {
            target_file_id: target_file_id.into(),
            move_to: Some(position),
            ..Self::default()
        }
    }
}

impl VersionStacks {
    /// `PATCH /v4/accounts/{account_id}/version_stacks/{version_stack_id}/restore`
    /// (experimental).
    pub fn restore(&self, account_id: &str, version_stack_id: &str) -> ApiRequest<VersionStack> {
        self.client.patch_bare(format!(
            "{}/version_stacks/{}/restore",
            account(account_id),
            seg(version_stack_id)
        ))
    }

    /// `PATCH /v4/accounts/{account_id}/version_stacks/{version_stack_id}/versions`
    /// (experimental): reorder the versions; returns them in their new order.
    pub fn reorder(
        &self,
        account_id: &str,
        version_stack_id: &str,
        params: &ReorderVersions,
    ) -> ApiRequest<Vec<Asset>> {
        self.client.patch(
            format!(
                "{}/version_stacks/{}/versions",
                account(account_id),
                seg(version_stack_id)
            ),
            params,
        )
    }
}
