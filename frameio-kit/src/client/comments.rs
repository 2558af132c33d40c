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

use reqwest::Method;
use serde::{Deserialize, Serialize};

use super::models::User;
use super::pager::Pager;
use super::transport::{ApiRequest, Client, RequestSpec, seg};

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

/// Body of comment update; `None` fields are left unchanged.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct UpdateComment {
    /// New text.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
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
    /// Completed flag.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub completed: Option<bool>,
}

/// Comment endpoints; see [`Client::comments`].
#[derive(Debug, Clone)]
pub struct Comments {
    pub(crate) client: Client,
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
        Pager::new(
            &self.client,
            RequestSpec::new(Method::GET, on_file(account_id, file_id)),
        )
    }

    /// `POST /v4/accounts/{account_id}/files/{file_id}/comments`.
    pub fn create(
        &self,
        account_id: &str,
        file_id: &str,
        params: &CreateComment,
    ) -> ApiRequest<Comment> {
        ApiRequest::json(
            &self.client,
            RequestSpec::new(Method::POST, on_file(account_id, file_id)).data(params),
        )
    }

    /// `GET /v4/accounts/{account_id}/comments/{comment_id}`.
    pub fn show(&self, account_id: &str, comment_id: &str) -> ApiRequest<Comment> {
        ApiRequest::json(
            &self.client,
            RequestSpec::new(Method::GET, one(account_id, comment_id)),
        )
    }

    /// `PATCH /v4/accounts/{account_id}/comments/{comment_id}`.
    pub fn update(
        &self,
        account_id: &str,
        comment_id: &str,
        params: &UpdateComment,
    ) -> ApiRequest<Comment> {
        ApiRequest::json(
            &self.client,
            RequestSpec::new(Method::PATCH, one(account_id, comment_id)).data(params),
        )
    }

    /// `DELETE /v4/accounts/{account_id}/comments/{comment_id}`.
    pub fn delete(&self, account_id: &str, comment_id: &str) -> ApiRequest<()> {
        ApiRequest::empty(
            &self.client,
            RequestSpec::new(Method::DELETE, one(account_id, comment_id)),
        )
    }

    /// `POST /v4/accounts/{account_id}/comments/{comment_id}/attachments`.
    pub fn create_attachment(
        &self,
        account_id: &str,
        comment_id: &str,
        params: &AttachmentInput,
    ) -> ApiRequest<CommentAttachment> {
        let path = format!("{}/attachments", one(account_id, comment_id));
        ApiRequest::json(
            &self.client,
            RequestSpec::new(Method::POST, path).data(params),
        )
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
        ApiRequest::empty(&self.client, RequestSpec::new(Method::DELETE, path))
    }
}
