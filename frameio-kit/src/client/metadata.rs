//! Metadata values of files.
//!
//! ```no_run
//! # async fn run(client: frameio_kit::client::Client) -> Result<(), frameio_kit::client::ClientError> {
//! use frameio_kit::client::metadata::{BulkUpdateMetadata, MetadataValue};
//!
//! let meta = client.metadata().show("account-id", "file-id").show_null(true).await?;
//! for field in &meta.metadata {
//!     println!("{} ({}) = {}", field.field_definition_name, field.field_type, field.value);
//! }
//! let update = BulkUpdateMetadata::new(
//!     vec!["file-id".into()],
//!     vec![MetadataValue::new("field-definition-id", "Approved by legal")],
//! );
//! client.metadata().bulk_update("account-id", "project-id", &update).await?;
//! # Ok(()) }
//! ```

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::metadata_fields::{FieldType, MemberOptions, MemberRef};
use super::request::{ApiRequest, seg};

/// A chosen or available option of a select field.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct SelectOption {
    /// Option id.
    pub id: String,
    /// Label.
    pub display_name: String,
}

/// The value of one metadata field of a file.
///
/// The shape of [`value`](Self::value) depends on [`field_type`](Self::field_type): a string
/// (`text`, `long_text`, `date`), a number (`number`, `rating`), a boolean (`toggle`), a list
/// of [`SelectOption`]s (`select`, `select_multi`) or of [`MemberRef`]s (user fields); `null`
/// when unset. The typed accessors read it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct MetadataField {
    /// Field definition id.
    pub field_definition_id: String,
    /// Field name.
    pub field_definition_name: String,
    /// Kind.
    pub field_type: FieldType,
    /// Whether it can be changed.
    pub mutable: Option<bool>,
    /// The value as sent.
    pub value: Value,
    /// Options of select fields.
    pub field_options: Option<Vec<SelectOption>>,
    /// Members offered by user fields.
    pub custom_members: Option<Vec<MemberRef>>,
    /// Which members user fields offer.
    pub member_options_type: Option<MemberOptions>,
}

impl MetadataField {
    /// The value as text (`text`, `long_text`, `date`).
    pub fn as_str(&self) -> Option<&str> {
        self.value.as_str()
    }

    /// The value as a number (`number`, `rating`).
    pub fn as_f64(&self) -> Option<f64> {
        self.value.as_f64()
    }

    /// The value as a boolean (`toggle`).
    pub fn as_bool(&self) -> Option<bool> {
        self.value.as_bool()
    }

    /// The chosen options (`select`, `select_multi`); empty for other kinds.
    pub fn selected(&self) -> Vec<SelectOption> {
        serde_json::from_value(self.value.clone()).unwrap_or_default()
    }

    /// The chosen users and groups (user fields); empty for other kinds.
    pub fn members(&self) -> Vec<MemberRef> {
        serde_json::from_value(self.value.clone()).unwrap_or_default()
    }
}

/// The metadata of a file.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct FileMetadata {
    /// File id.
    pub file_id: String,
    /// Fields.
    pub metadata: Vec<MetadataField>,
}

/// A value to set on one field.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct MetadataValue {
    /// Field definition id.
    pub field_definition_id: String,
    /// New value, shaped as for [`MetadataField::value`] (select fields take option ids,
    /// user fields [`MemberRef`]s); `null` clears it.
    pub value: Value,
}

impl MetadataValue {
    /// Set `field_definition_id` to `value`.
    pub fn new(field_definition_id: impl Into<String>, value: impl Into<Value>) -> Self {
        Self {
            field_definition_id: field_definition_id.into(),
            value: value.into(),
        }
    }
}

/// Body of [`Metadata::bulk_update`]: the same values on several files.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct BulkUpdateMetadata {
    /// Files to change.
    pub file_ids: Vec<String>,
    /// Values to set.
    pub values: Vec<MetadataValue>,
}

impl BulkUpdateMetadata {
    /// Set `values` on `file_ids`.
    pub fn new(file_ids: Vec<String>, values: Vec<MetadataValue>) -> Self {
        Self { file_ids, values }
    }
}

impl ApiRequest<FileMetadata> {
    /// Also return fields without a value (`show_null`).
    pub fn show_null(self, yes: bool) -> Self {
        self.query("show_null", yes)
    }
}

super::api_group! {
    /// Metadata value endpoints; see [`Client::metadata`](super::Client::metadata).
    Metadata
}

pub(crate) fn of_file(account_id: &str, file_id: &str) -> String {
    format!(
        "/v4/accounts/{}/files/{}/metadata",
        seg(account_id),
        seg(file_id)
    )
}

impl Metadata {
    /// `GET /v4/accounts/{account_id}/files/{file_id}/metadata`.
    pub fn show(&self, account_id: &str, file_id: &str) -> ApiRequest<FileMetadata> {
        self.client.get(of_file(account_id, file_id))
    }

    /// `PATCH /v4/accounts/{account_id}/projects/{project_id}/metadata/values`: set the same
    /// values on several files of a project.
    pub fn bulk_update(
        &self,
        account_id: &str,
        project_id: &str,
        params: &BulkUpdateMetadata,
    ) -> ApiRequest<()> {
        let path = format!(
            "/v4/accounts/{}/projects/{}/metadata/values",
            seg(account_id),
            seg(project_id)
        );
        self.client.patch_empty(path, params)
    }
}
