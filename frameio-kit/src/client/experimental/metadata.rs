//! Experimental API: metadata.

use serde::Serialize;

use crate::client::metadata::{self, FileMetadata, MetadataValue};
use crate::client::metadata_fields::{self, FieldDefinition};
use crate::client::request::ApiRequest;

crate::client::api_group! {
    /// Experimental metadata endpoints: update the values of one file, show one field
    /// definition.
    Metadata
}

#[derive(Serialize)]
struct Values<'a> {
    values: &'a [MetadataValue],
}

impl Metadata {
    /// `PATCH /v4/accounts/{account_id}/files/{file_id}/metadata` (experimental): set values
    /// on one file; returns its metadata.
    pub fn update(
        &self,
        account_id: &str,
        file_id: &str,
        values: &[MetadataValue],
    ) -> ApiRequest<FileMetadata> {
        self.client
            .patch(metadata::of_file(account_id, file_id), &Values { values })
    }

    /// `GET /v4/accounts/{account_id}/metadata/field_definitions/{field_definition_id}`
    /// (experimental; `include=creator` for the creator).
    pub fn field_definition(
        &self,
        account_id: &str,
        field_definition_id: &str,
    ) -> ApiRequest<FieldDefinition> {
        self.client
            .get(metadata_fields::one(account_id, field_definition_id))
    }
}
