//! [`WebhookEvent`]: what a webhook delivery carries.

use serde::{Deserialize, Serialize};

use super::{Account, Project, Resource, ResourceType, User, Workspace};

/// A webhook delivery, such as `file.ready` or `comment.created`. Read it through its methods.
///
/// ```
/// use frameio_kit::WebhookEvent;
///
/// let body = r#"{"account":{"id":"a1"},"project":{"id":"p1"},
///   "resource":{"id":"f1","type":"file"},"type":"file.ready",
///   "user":{"id":"u1"},"workspace":{"id":"w1"},"something_new":true}"#;
/// let event: WebhookEvent = serde_json::from_str(body).unwrap();
/// assert_eq!(event.event_type(), "file.ready");
/// assert_eq!(event.resource_id(), "f1");
/// assert_eq!(event.account_id(), "a1");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct WebhookEvent {
    #[serde(rename = "type")]
    pub(crate) event_type: String,
    pub(crate) account: Account,
    pub(crate) project: Project,
    pub(crate) resource: Resource,
    pub(crate) user: User,
    pub(crate) workspace: Workspace,
    #[serde(skip)]
    pub(crate) timestamp: i64,
}

impl WebhookEvent {
    /// Builds an event by hand (tests and tools; the dispatcher parses real ones).
    pub fn new(
        event_type: impl Into<String>,
        account: Account,
        workspace: Workspace,
        project: Project,
        resource: Resource,
        user: User,
    ) -> Self {
        Self {
            event_type: event_type.into(),
            account,
            project,
            resource,
            user,
            workspace,
            timestamp: 0,
        }
    }

    shared_accessors!();
}
