//! Comments on files, and their attachments.
//!
//! ```no_run
//! # async fn run(client: frameio_kit::client::Client) -> Result<(), frameio_kit::client::ClientError> {
//! use frameio_kit::client::comments::{CommentTimestamp, CreateComment};
//!
//! let mut comment = CreateComment::text("Cut here");
//! comment.timestamp = Some(CommentTimestamp::Frames(120));
//! client.comments().create("account-id", "file-id", &comment).await?;
//! let all = client.comments().list("account-id", "file-id").timestamp_as_timecode(true).collect_all().await?;
//! # let _ = all; Ok(()) }
//! ```

use serde::{Deserialize, Serialize};

use super::models::{Patch, User, open_enum};
use super::pager::Pager;
use super::request::{ApiRequest, seg};

/// Position of a comment on a frame, in fractions of the frame size.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Anchor {
    /// Horizontal position (0.0 to 1.0).
    pub x: f64,
    /// Vertical position (0.0 to 1.0).
    pub y: f64,
}

impl Anchor {
    /// An anchor at `(x, y)`.
    pub fn new(x: f64, y: f64) -> Self {
        Self { x, y }
    }
}

/// Where in the media a comment applies: a frame number or a timecode string.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum CommentTimestamp {
    /// Frame number.
    Frames(i64),
    /// Timecode such as `00:00:05:00` (with `timestamp_as_timecode`).
    Timecode(String),
}

/// A comment attachment.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct CommentAttachment {
    /// Attachment id.
    pub id: String,
    /// File name.
    pub name: String,
    /// Size in bytes.
    pub file_size: u64,
    /// Media type.
    pub media_type: Option<String>,
    /// Presigned URLs to upload the attachment's bytes to.
    pub upload_urls: Option<Vec<String>>,
    /// Creation time.
    pub created_at: Option<String>,
}

/// Description of an attachment to create.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttachmentInput {
    /// File name.
    pub name: String,
    /// Size in bytes.
    pub file_size: u64,
    /// Media type.
    pub media_type: String,
}

impl AttachmentInput {
    /// An attachment description.
    pub fn new(name: impl Into<String>, file_size: u64, media_type: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            file_size,
            media_type: media_type.into(),
        }
    }
}

/// A comment.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct Comment {
    /// Comment id.
    pub id: String,
    /// File commented on.
    pub file_id: String,
    /// Text.
    pub text: String,
    /// Frame or timecode.
    pub timestamp: Option<CommentTimestamp>,
    /// Duration in frames (range comments).
    pub duration: Option<i64>,
    /// Page (documents).
    pub page: Option<i64>,
    /// Position on the frame.
    pub anchor: Option<Anchor>,
    /// Drawing annotation (JSON string).
    pub annotation: Option<String>,
    /// Attachments.
    pub attachments: Option<Vec<CommentAttachment>>,
    /// Mentions.
    pub mentions: Option<Vec<serde_json::Value>>,
    /// Links in the text.
    pub links: Option<Vec<serde_json::Value>>,
    /// When it was marked completed.
    pub completed_at: Option<String>,
    /// Who completed it.
    pub completer_id: Option<String>,
    /// When the text was last edited.
    pub text_edited_at: Option<String>,
    /// Author (with `include=owner`).
    pub owner: Option<User>,
    /// Creation time.
    pub created_at: Option<String>,
    /// Last update time.
    pub updated_at: Option<String>,
}

/// Body of comment creation.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CreateComment {
    /// Text.
    pub text: String,
    /// Frame or timecode.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timestamp: Option<CommentTimestamp>,
    /// Duration in frames.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub duration: Option<i64>,
    /// Page (documents).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub page: Option<i64>,
    /// Position on the frame.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub anchor: Option<Anchor>,
    /// Drawing annotation (JSON string).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub annotation: Option<String>,
    /// Mark as completed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub completed: Option<bool>,
    /// Attachments to create with the comment.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub attachments: Option<Vec<AttachmentInput>>,
    /// Links inside the text.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub links: Option<Vec<CommentLink>>,
    /// Text review annotation (documents): a highlighted range and a suggestion.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub text_review_annotation: Option<TextReviewAnnotation>,
}

/// A link inside a comment's text: the characters `start_index..end_index` point to `url`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommentLink {
    /// Index of the first character of the link text.
    pub start_index: u64,
    /// Index after the last character of the link text.
    pub end_index: u64,
    /// Target URL.
    pub url: String,
}

impl CommentLink {
    /// Link the characters `start_index..end_index` to `url`.
    pub fn new(start_index: u64, end_index: u64, url: impl Into<String>) -> Self {
        Self {
            start_index,
            end_index,
            url: url.into(),
        }
    }
}

open_enum! {
    /// Kind of a text review annotation.
    pub enum TextReviewAnnotationType {
        /// Highlight the selection.
        Highlight => "highlight",
        /// Insert the suggested text.
        Insert => "insert",
        /// Remove the selection.
        Remove => "remove",
        /// Replace the selection with the suggested text.
        Replace => "replace",
    }
}

/// One rectangle of a text selection (origin at the lower-left corner).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TextBounds {
    /// Left edge.
    pub x: f64,
    /// Bottom edge.
    pub y: f64,
    /// Width.
    pub width: f64,
    /// Height.
    pub height: f64,
}

/// A text review annotation of a new comment on a document.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TextReviewAnnotation {
    /// The rectangles of the (possibly multi-line) selection.
    pub bounds: Vec<TextBounds>,
    /// What kind of suggestion it is.
    pub text_review_annotation_type: TextReviewAnnotationType,
    /// The selected text.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub selection_text: Option<String>,
    /// The suggested replacement or insertion.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub suggested_text: Option<String>,
}

/// Changes to a comment's text review annotation; `None` fields keep their stored value.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TextReviewAnnotationUpdate {
    /// New selection rectangles.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bounds: Option<Vec<TextBounds>>,
    /// New kind.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub text_review_annotation_type: Option<TextReviewAnnotationType>,
    /// New selected text.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub selection_text: Option<String>,
    /// New suggestion.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub suggested_text: Option<String>,
}

impl CreateComment {
    /// A comment with only text.
    pub fn text(text: impl Into<String>) -> Self {
        Self {
            text: text.into(),
            ..Self::default()
        }
    }
}

/// Body of comment update. `None` / [`Patch::Unchanged`] fields are left unchanged; the
/// [`Patch`] fields can also be cleared (sent as `null`).
///
/// ```
/// use frameio_kit::client::Patch;
/// use frameio_kit::client::comments::UpdateComment;
///
/// // Turn a range comment back into a comment on the whole file.
/// let update = UpdateComment {
///     timestamp: Patch::Clear,
///     duration: Patch::Clear,
///     ..Default::default()
/// };
/// assert_eq!(
///     serde_json::to_string(&update).unwrap(),
///     r#"{"timestamp":null,"duration":null}"#
/// );
/// ```
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct UpdateComment {
    /// New text.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    /// Frame or timecode.
    #[serde(skip_serializing_if = "Patch::is_unchanged")]
    pub timestamp: Patch<CommentTimestamp>,
    /// Duration in frames.
    #[serde(skip_serializing_if = "Patch::is_unchanged")]
    pub duration: Patch<i64>,
    /// Page (documents).
    #[serde(skip_serializing_if = "Patch::is_unchanged")]
    pub page: Patch<i64>,
    /// Position on the frame.
    #[serde(skip_serializing_if = "Patch::is_unchanged")]
    pub anchor: Patch<Anchor>,
    /// Drawing annotation (JSON string).
    #[serde(skip_serializing_if = "Patch::is_unchanged")]
    pub annotation: Patch<String>,
    /// Completed flag.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub completed: Option<bool>,
    /// Links inside the text.
    #[serde(skip_serializing_if = "Patch::is_unchanged")]
    pub links: Patch<Vec<CommentLink>>,
    /// Text review annotation changes.
    #[serde(skip_serializing_if = "Patch::is_unchanged")]
    pub text_review_annotation: Patch<TextReviewAnnotationUpdate>,
}

super::api_group! {
    /// Comment endpoints; see [`Client::comments`](super::Client::comments).
    Comments
}

fn one(account_id: &str, comment_id: &str) -> String {
    format!(
        "/v4/accounts/{}/comments/{}",
        seg(account_id),
        seg(comment_id)
    )
}

fn on_file(account_id: &str, file_id: &str) -> String {
    format!(
        "/v4/accounts/{}/files/{}/comments",
        seg(account_id),
        seg(file_id)
    )
}

impl Pager<Comment> {
    /// Return timestamps as timecodes (`timestamp_as_timecode`).
    pub fn timestamp_as_timecode(self, yes: bool) -> Self {
        self.param("timestamp_as_timecode", yes)
    }
}

impl ApiRequest<Comment> {
    /// Return timestamps as timecodes (`timestamp_as_timecode`).
    pub fn timestamp_as_timecode(self, yes: bool) -> Self {
        self.query("timestamp_as_timecode", yes)
    }
}

impl Comments {
    /// `GET /v4/accounts/{account_id}/files/{file_id}/comments`.
    pub fn list(&self, account_id: &str, file_id: &str) -> Pager<Comment> {
        self.client.list(on_file(account_id, file_id))
    }

    /// `POST /v4/accounts/{account_id}/files/{file_id}/comments`.
    pub fn create(
        &self,
        account_id: &str,
        file_id: &str,
        params: &CreateComment,
    ) -> ApiRequest<Comment> {
        self.client.post(on_file(account_id, file_id), params)
    }

    /// `GET /v4/accounts/{account_id}/comments/{comment_id}`.
    pub fn show(&self, account_id: &str, comment_id: &str) -> ApiRequest<Comment> {
        self.client.get(one(account_id, comment_id))
    }

    /// `PATCH /v4/accounts/{account_id}/comments/{comment_id}`.
    pub fn update(
        &self,
        account_id: &str,
        comment_id: &str,
        params: &UpdateComment,
    ) -> ApiRequest<Comment> {
        self.client.patch(one(account_id, comment_id), params)
    }

    /// `DELETE /v4/accounts/{account_id}/comments/{comment_id}`.
    pub fn delete(&self, account_id: &str, comment_id: &str) -> ApiRequest<()> {
        self.client.delete(one(account_id, comment_id))
    }

    /// `POST /v4/accounts/{account_id}/comments/{comment_id}/attachments`.
    pub fn create_attachment(
        &self,
        account_id: &str,
        comment_id: &str,
        params: &AttachmentInput,
    ) -> ApiRequest<CommentAttachment> {
        let path = format!("{}/attachments", one(account_id, comment_id));
        self.client.post(path, params)
    }

    /// `DELETE /v4/accounts/{account_id}/comments/{comment_id}/attachments/{attachment_id}`.
    pub fn delete_attachment(
        &self,
        account_id: &str,
        comment_id: &str,
        attachment_id: &str,
    ) -> ApiRequest<()> {
        let path = format!(
            "{}/attachments/{}",
            one(account_id, comment_id),
            seg(attachment_id)
        );
        self.client.delete(path)
    }
}
