//! Models shared by several resource groups.
//!
//! Response models tolerate missing and unknown fields: every field has a default and unknown
//! keys are ignored. Timestamps are kept as the RFC 3339 strings Frame.io sends.

use serde::{Deserialize, Serialize};

/// Define a string enum that keeps unknown values as `Other(String)`.
macro_rules! open_enum {
    (
        $(#[$meta:meta])*
        pub enum $name:ident { $( $(#[$vmeta:meta])* $variant:ident => $text:literal ),+ $(,)? }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum $name {
            $( $(#[$vmeta])* $variant, )+
            /// A value this version of the crate does not know.
            Other(String),
        }

        impl $name {
            /// The wire value.
            pub fn as_str(&self) -> &str {
                match self {
                    $( Self::$variant => $text, )+
                    Self::Other(s) => s.as_str(),
                }
            }
        }

        impl From<&str> for $name {
            fn from(s: &str) -> Self {
                match s {
                    $( $text => Self::$variant, )+
                    other => Self::Other(other.to_owned()),
                }
            }
        }

        impl Default for $name {
            fn default() -> Self {
                Self::Other(String::new())
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl ::serde::Serialize for $name {
            fn serialize<S: ::serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<'de> ::serde::Deserialize<'de> for $name {
            fn deserialize<D: ::serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = <String as ::serde::Deserialize>::deserialize(d)?;
                Ok(Self::from(s.as_str()))
            }
        }
    };
}
pub(crate) use open_enum;

open_enum! {
    /// Kind of an asset.
    pub enum AssetType {
        /// A file.
        File => "file",
        /// A folder.
        Folder => "folder",
        /// A version stack.
        VersionStack => "version_stack",
    }
}

open_enum! {
    /// Processing state of a file.
    pub enum FileStatus {
        /// The file record exists; the upload may not be finished.
        Created => "created",
        /// Every byte was uploaded.
        Uploaded => "uploaded",
        /// Renditions are ready.
        Transcoded => "transcoded",
    }
}

/// A Frame.io user as embedded in other resources.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct User {
    /// User id.
    pub id: Option<String>,
    /// Display name.
    pub name: Option<String>,
    /// Email address.
    pub email: Option<String>,
    /// Avatar URL.
    pub avatar_url: Option<String>,
    /// Adobe user id.
    pub adobe_user_id: Option<String>,
    /// Whether the user is active.
    pub active: Option<bool>,
}

/// One media link (original file or a rendition).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct MediaLink {
    /// URL that downloads the bytes.
    pub download_url: Option<String>,
    /// URL suitable for inline display (original only).
    pub inline_url: Option<String>,
    /// URL of a rendition.
    pub url: Option<String>,
}

/// Media links of a file, present when requested with `include=media_links.<name>`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct MediaLinks {
    /// The uploaded original.
    pub original: Option<MediaLink>,
    /// Efficient transcode.
    pub efficient: Option<MediaLink>,
    /// High quality transcode.
    pub high_quality: Option<MediaLink>,
    /// Scrub sheet.
    pub scrub_sheet: Option<MediaLink>,
    /// Thumbnail.
    pub thumbnail: Option<MediaLink>,
    /// High quality thumbnail.
    pub thumbnail_high_quality: Option<MediaLink>,
}

/// A presigned URL for one part of a local upload.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct UploadUrl {
    /// Number of bytes this part must contain.
    pub size: u64,
    /// Presigned URL to `PUT` the part to.
    pub url: String,
}

/// A file.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct File {
    /// File id.
    pub id: String,
    /// Asset type (always `file`).
    #[serde(rename = "type")]
    pub asset_type: Option<AssetType>,
    /// File name.
    pub name: String,
    /// Parent folder id.
    pub parent_id: Option<String>,
    /// Project id.
    pub project_id: Option<String>,
    /// Size in bytes.
    pub file_size: u64,
    /// Media (MIME) type.
    pub media_type: Option<String>,
    /// Processing state.
    pub status: Option<FileStatus>,
    /// Link to the file in the web app.
    pub view_url: Option<String>,
    /// Adobe id.
    pub adobe_id: Option<String>,
    /// Adobe version id.
    pub adobe_version_id: Option<String>,
    /// Media links (with `include=media_links.…`).
    pub media_links: Option<MediaLinks>,
    /// Creator (with `include=creator`).
    pub creator: Option<User>,
    /// Presigned part URLs (only on file creation for local uploads).
    pub upload_urls: Option<Vec<UploadUrl>>,
    /// Metadata fields (with `include=metadata`).
    pub metadata: Option<serde_json::Value>,
    /// Creation time.
    pub created_at: Option<String>,
    /// Last update time.
    pub updated_at: Option<String>,
}

/// A folder.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct Folder {
    /// Folder id.
    pub id: String,
    /// Asset type (always `folder`).
    #[serde(rename = "type")]
    pub asset_type: Option<AssetType>,
    /// Folder name.
    pub name: String,
    /// Parent folder id.
    pub parent_id: Option<String>,
    /// Project id.
    pub project_id: Option<String>,
    /// Whether access is restricted.
    pub restricted: Option<bool>,
    /// File used as cover.
    pub cover_file_id: Option<String>,
    /// Link to the folder in the web app.
    pub view_url: Option<String>,
    /// Adobe id.
    pub adobe_id: Option<String>,
    /// Creator (with `include=creator`).
    pub creator: Option<User>,
    /// Creation time.
    pub created_at: Option<String>,
    /// Last update time.
    pub updated_at: Option<String>,
}

/// A version stack: several files shown as versions of one asset.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct VersionStack {
    /// Version stack id.
    pub id: String,
    /// Asset type (always `version_stack`).
    #[serde(rename = "type")]
    pub asset_type: Option<AssetType>,
    /// Name.
    pub name: String,
    /// Parent folder id.
    pub parent_id: Option<String>,
    /// Project id.
    pub project_id: Option<String>,
    /// The current version.
    pub head_version: Option<File>,
    /// Link in the web app.
    pub view_url: Option<String>,
    /// Adobe id.
    pub adobe_id: Option<String>,
    /// Creator (with `include=creator`).
    pub creator: Option<User>,
    /// Creation time.
    pub created_at: Option<String>,
    /// Last update time.
    pub updated_at: Option<String>,
}

/// Any asset (file, folder or version stack), as returned by mixed listings.
///
/// Fields that do not apply to the asset's [`asset_type`](Self::asset_type) are `None`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct Asset {
    /// Asset id.
    pub id: String,
    /// Kind of asset.
    #[serde(rename = "type")]
    pub asset_type: AssetType,
    /// Name.
    pub name: String,
    /// Parent folder id.
    pub parent_id: Option<String>,
    /// Project id.
    pub project_id: Option<String>,
    /// Link in the web app.
    pub view_url: Option<String>,
    /// Adobe id.
    pub adobe_id: Option<String>,
    /// Size in bytes (files).
    pub file_size: Option<u64>,
    /// Media type (files).
    pub media_type: Option<String>,
    /// Processing state (files).
    pub status: Option<FileStatus>,
    /// Media links (files, with `include=media_links.…`).
    pub media_links: Option<MediaLinks>,
    /// Whether access is restricted (folders).
    pub restricted: Option<bool>,
    /// Cover file (folders).
    pub cover_file_id: Option<String>,
    /// Current version (version stacks).
    pub head_version: Option<File>,
    /// Creator (with `include=creator`).
    pub creator: Option<User>,
    /// Deletion time (recently deleted listings).
    pub deleted_at: Option<String>,
    /// Creation time.
    pub created_at: Option<String>,
    /// Last update time.
    pub updated_at: Option<String>,
}

/// Body of the move endpoints: the new parent folder.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MoveParams {
    /// Destination folder id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parent_id: Option<String>,
}

impl MoveParams {
    /// Move into `parent_id`.
    pub fn to(parent_id: impl Into<String>) -> Self {
        Self {
            parent_id: Some(parent_id.into()),
        }
    }
}

/// Body of the single copy endpoints: the destination folder (`None`: same folder).
pub type CopyParams = MoveParams;

open_enum! {
    /// Which comments a copy takes along (`copy_comments` query parameter of the file copy,
    /// bulk file copy and bulk folder copy endpoints).
    ///
    /// ```no_run
    /// # async fn run(client: frameio_kit::client::Client) -> Result<(), frameio_kit::client::ClientError> {
    /// use frameio_kit::client::CopyComments;
    /// use frameio_kit::client::models::CopyParams;
    ///
    /// // POST …/files/{id}/copy?copy_comments=internal
    /// client
    ///     .files()
    ///     .copy("account-id", "file-id", &CopyParams::to("folder-id"))
    ///     .copy_comments(CopyComments::Internal)
    ///     .await?;
    /// # Ok(()) }
    /// ```
    pub enum CopyComments {
        /// No comments.
        None => "none",
        /// Only internal comments.
        Internal => "internal",
        /// Only public comments (made on shares).
        Public => "public",
        /// Every comment.
        All => "all",
    }
}

/// A field of an update body that can be left unchanged, set, or cleared.
///
/// Update endpoints change only the fields present in the body, so a plain `Option` can say
/// "leave it" (absent) or "set it" (a value) but not "remove the value". `Patch` adds the
/// third state: with `#[serde(skip_serializing_if = "Patch::is_unchanged")]` (as on every
/// nullable field of the `Update*` bodies), [`Unchanged`](Patch::Unchanged) is left out of the
/// body, [`Set`](Patch::Set) is sent as the value and [`Clear`](Patch::Clear) as `null`.
///
/// ```
/// use frameio_kit::client::Patch;
/// use frameio_kit::client::shares::UpdateShare;
///
/// let update = UpdateShare {
///     description: Patch::Set("Final cut".into()), // "description": "Final cut"
///     expiration: Patch::Clear,                    // "expiration": null
///     ..Default::default()                         // everything else left out
/// };
/// assert_eq!(
///     serde_json::to_value(&update).unwrap(),
///     serde_json::json!({"description": "Final cut", "expiration": null}),
/// );
/// // `From` conversions: a value sets, `None` clears.
/// let set: Patch<String> = "x".to_string().into();
/// let cleared: Patch<String> = None.into();
/// assert_eq!((set, cleared), (Patch::Set("x".into()), Patch::Clear));
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub enum Patch<T> {
    /// Leave the field as it is (not sent).
    #[default]
    Unchanged,
    /// Set the field to this value.
    Set(T),
    /// Remove the field's value (sent as `null`).
    Clear,
}

impl<T> Patch<T> {
    /// Whether the field is left out of the body.
    pub fn is_unchanged(&self) -> bool {
        matches!(self, Self::Unchanged)
    }

    /// The value being set, if any.
    pub fn as_set(&self) -> Option<&T> {
        match self {
            Self::Set(v) => Some(v),
            _ => None,
        }
    }
}

impl<T> From<T> for Patch<T> {
    fn from(v: T) -> Self {
        Self::Set(v)
    }
}

impl<T> From<Option<T>> for Patch<T> {
    /// `Some(v)` sets the field, `None` clears it.
    fn from(v: Option<T>) -> Self {
        v.map_or(Self::Clear, Self::Set)
    }
}

impl<T: Serialize> Serialize for Patch<T> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Self::Set(v) => v.serialize(s),
            Self::Unchanged | Self::Clear => s.serialize_none(),
        }
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Patch<T> {
    /// `null` is [`Clear`](Patch::Clear), a value is [`Set`](Patch::Set); a missing field
    /// (with `#[serde(default)]`) is [`Unchanged`](Patch::Unchanged).
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(Option::<T>::deserialize(d)?.into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patch_is_absent_value_or_null() {
        #[derive(Serialize, Deserialize, Default, Debug, PartialEq)]
        struct Body {
            #[serde(default, skip_serializing_if = "Patch::is_unchanged")]
            f: Patch<u32>,
        }
        let ser = |f| serde_json::to_string(&Body { f }).expect("ser");
        assert_eq!(ser(Patch::Unchanged), "{}");
        assert_eq!(ser(Patch::Set(3)), r#"{"f":3}"#);
        assert_eq!(ser(Patch::Clear), r#"{"f":null}"#);
        let de = |s: &str| serde_json::from_str::<Body>(s).expect("de").f;
        assert_eq!(de("{}"), Patch::Unchanged);
        assert_eq!(de(r#"{"f":null}"#), Patch::Clear);
        assert_eq!(de(r#"{"f":4}"#), Patch::Set(4));
        assert_eq!(
            serde_json::to_string(&CopyComments::Public).expect("ser"),
            r#""public""#
        );
    }

    #[test]
    fn open_enum_keeps_unknown_values() {
        let s: FileStatus = serde_json::from_str("\"quantum\"").expect("parse");
        assert_eq!(s, FileStatus::Other("quantum".into()));
        assert_eq!(serde_json::to_string(&s).expect("ser"), "\"quantum\"");
        let t: AssetType = serde_json::from_str("\"version_stack\"").expect("parse");
        assert_eq!(t, AssetType::VersionStack);
    }

    #[test]
    fn asset_tolerates_missing_and_unknown_fields() {
        let a: Asset =
            serde_json::from_str(r#"{"id":"x","type":"folder","brand_new":1}"#).expect("parse");
        assert_eq!(a.asset_type, AssetType::Folder);
        assert!(a.file_size.is_none());
    }
}
