//! Typed Frame.io deliveries: [`WebhookEvent`] and [`ActionEvent`], the ids and resources
//! they carry, and [`DeliveryEvent`], either of the two.
//!
//! Both are parsed straight from the raw request body after the type check and before the
//! signature check (see the crate docs for the full pipeline). Unknown JSON keys are accepted
//! and ignored, so new fields Frame.io adds never break an integration. Both are read through
//! methods (`event.event_type()`, `event.account()`, `event.resource_id()`, …).
//!
//! The request timestamp is never read from the body: it always comes from the
//! `X-Frameio-Request-Timestamp` header, which is what the signature covers.

/// The accessors both events share: they hold the same data under the same field names.
macro_rules! shared_accessors {
    () => {
        /// The same event with the request timestamp set (tests and tools; the dispatcher
        /// sets it from the `X-Frameio-Request-Timestamp` header).
        #[must_use]
        pub fn with_timestamp(mut self, unix_seconds: i64) -> Self {
            self.timestamp = unix_seconds;
            self
        }

        /// The event type (for actions, the event key chosen when the action was configured).
        pub fn event_type(&self) -> &str {
            &self.event_type
        }

        /// The account the delivery belongs to.
        pub fn account(&self) -> &Account {
            &self.account
        }

        /// The account id.
        pub fn account_id(&self) -> &str {
            &self.account.id
        }

        /// The project the delivery belongs to.
        pub fn project(&self) -> &Project {
            &self.project
        }

        /// The project id.
        pub fn project_id(&self) -> &str {
            &self.project.id
        }

        /// The object the delivery is about: its id and type (which object, event by event:
        /// see [`resource_id`](Self::resource_id)).
        pub fn resource(&self) -> &Resource {
            &self.resource
        }

        /// The id of the object the delivery is about. A webhook is about the object its
        /// event type is named after; an action, about what the user clicked on:
        ///
        /// | event | `resource_id()` is | `resource_type()` |
        /// |---|---|---|
        /// | `file.*` (`file.ready`, `file.created`, `file.upload.completed`, `file.versioned`…) | the file | `File` (`VersionStack` for a version stack) |
        /// | `folder.*` | the folder | `Folder` |
        /// | `comment.*` (`comment.created`, `comment.completed`…) | the **comment** (a reply is a comment too), not the file it is on: read the comment through the API client to find its file | the name Frame.io sends, as `Other` |
        /// | `project.*` | the project | `Other` |
        /// | `metadata.value.updated` | the file whose metadata changed | `File` |
        /// | `collection.*`, `customfield.*`, `share.*` | the collection, the custom field, the share | `Other` |
        /// | a custom action (any event key) | the file, folder or version stack the user clicked on | `File`, `Folder` or `VersionStack` |
        ///
        /// A webhook carries ids only: fetch names and content with the API client.
        pub fn resource_id(&self) -> &str {
            &self.resource.id
        }

        /// The kind of object the delivery is about (see [`resource_id`](Self::resource_id)
        /// for which object, event by event). Route on the event type rather than on this:
        /// types Frame.io does not document arrive as [`ResourceType::Other`].
        pub fn resource_type(&self) -> &ResourceType {
            &self.resource.resource_type
        }

        /// The user behind the delivery (for actions: the user who clicked).
        pub fn user(&self) -> &User {
            &self.user
        }

        /// The id of the user behind the delivery.
        pub fn user_id(&self) -> &str {
            &self.user.id
        }

        /// The workspace the delivery belongs to.
        pub fn workspace(&self) -> &Workspace {
            &self.workspace
        }

        /// The workspace id.
        pub fn workspace_id(&self) -> &str {
            &self.workspace.id
        }

        /// Unix seconds from the `X-Frameio-Request-Timestamp` header (0 until dispatch sets it).
        pub fn timestamp(&self) -> i64 {
            self.timestamp
        }
    };
}

mod action;
mod form;

pub(crate) use form::lenient_bool;
mod webhook;

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer, de};

pub use action::{ActionEvent, FormError};
pub use webhook::WebhookEvent;

/// A reference to an object by id, as Frame.io nests them (`{"id": "…"}`).
macro_rules! id_struct {
    ($(#[$meta:meta])* $name:ident) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
        #[non_exhaustive]
        pub struct $name {
            /// The object's id (a UUID string in practice).
            pub id: String,
        }

        impl $name {
            /// Creates a reference to the object with this id.
            pub fn new(id: impl Into<String>) -> Self {
                Self { id: id.into() }
            }
        }
    };
}

id_struct!(
    /// The account a delivery belongs to.
    Account
);
id_struct!(
    /// The project a delivery belongs to.
    Project
);
id_struct!(
    /// The user whose activity caused the delivery (for actions: the user who clicked).
    User
);
id_struct!(
    /// The workspace a delivery belongs to.
    Workspace
);

/// The kind of object a delivery is about.
///
/// Frame.io documents `file`, `folder` and `version_stack`; any other value is kept as
/// [`ResourceType::Other`] instead of being rejected, because Frame.io may add types.
///
/// ```
/// use frameio_kit::ResourceType;
///
/// assert_eq!(ResourceType::from("version_stack"), ResourceType::VersionStack);
/// assert_eq!(ResourceType::from("comment").as_str(), "comment");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ResourceType {
    /// A file.
    File,
    /// A folder.
    Folder,
    /// A version stack (several versions of one file).
    VersionStack,
    /// A type this version of frameio-kit does not know yet, with its wire name.
    Other(String),
}

impl ResourceType {
    /// The wire name, e.g. `"version_stack"`.
    pub fn as_str(&self) -> &str {
        match self {
            Self::File => "file",
            Self::Folder => "folder",
            Self::VersionStack => "version_stack",
            Self::Other(other) => other,
        }
    }
}

impl From<&str> for ResourceType {
    fn from(value: &str) -> Self {
        match value {
            "file" => Self::File,
            "folder" => Self::Folder,
            "version_stack" => Self::VersionStack,
            other => Self::Other(other.to_owned()),
        }
    }
}

impl From<String> for ResourceType {
    fn from(value: String) -> Self {
        match value.as_str() {
            "file" | "folder" | "version_stack" => Self::from(value.as_str()),
            _ => Self::Other(value),
        }
    }
}

impl fmt::Display for ResourceType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for ResourceType {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for ResourceType {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        // A visitor rather than a `String`: the documented types allocate nothing.
        deserializer.deserialize_string(ResourceTypeVisitor)
    }
}

struct ResourceTypeVisitor;

impl de::Visitor<'_> for ResourceTypeVisitor {
    type Value = ResourceType;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // What `String`'s visitor says, so error messages stay as they were.
        f.write_str("a string")
    }

    fn visit_str<E: de::Error>(self, value: &str) -> Result<ResourceType, E> {
        Ok(ResourceType::from(value))
    }

    fn visit_string<E: de::Error>(self, value: String) -> Result<ResourceType, E> {
        Ok(ResourceType::from(value))
    }

    fn visit_bytes<E: de::Error>(self, value: &[u8]) -> Result<ResourceType, E> {
        std::str::from_utf8(value)
            .map(ResourceType::from)
            .map_err(|_| E::invalid_value(de::Unexpected::Bytes(value), &self))
    }

    fn visit_byte_buf<E: de::Error>(self, value: Vec<u8>) -> Result<ResourceType, E> {
        String::from_utf8(value)
            .map(ResourceType::from)
            .map_err(|err| E::invalid_value(de::Unexpected::Bytes(&err.into_bytes()), &self))
    }
}

/// The object a delivery is about.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Resource {
    /// The object's id.
    pub id: String,
    /// What kind of object it is.
    #[serde(rename = "type")]
    pub resource_type: ResourceType,
}

impl Resource {
    /// Creates a resource reference.
    pub fn new(id: impl Into<String>, resource_type: impl Into<ResourceType>) -> Self {
        Self {
            id: id.into(),
            resource_type: resource_type.into(),
        }
    }
}

/// Whether a handler answers webhooks or custom actions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum HandlerKind {
    /// A webhook handler (`#[webhook]`).
    Webhook,
    /// A custom action handler (`#[action]`).
    Action,
}

impl HandlerKind {
    /// `"webhook"` or `"action"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Webhook => "webhook",
            Self::Action => "action",
        }
    }
}

impl fmt::Display for HandlerKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The parsed event of a delivery: a webhook or a custom action.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum DeliveryEvent {
    /// A webhook event.
    Webhook(WebhookEvent),
    /// A custom action event.
    Action(ActionEvent),
}

impl DeliveryEvent {
    /// The event type.
    pub fn event_type(&self) -> &str {
        match self {
            Self::Webhook(e) => e.event_type(),
            Self::Action(e) => e.event_type(),
        }
    }

    /// Whether this is a webhook or a custom action event.
    pub fn kind(&self) -> HandlerKind {
        match self {
            Self::Webhook(_) => HandlerKind::Webhook,
            Self::Action(_) => HandlerKind::Action,
        }
    }

    /// The account the event belongs to.
    pub fn account(&self) -> &Account {
        match self {
            Self::Webhook(e) => e.account(),
            Self::Action(e) => e.account(),
        }
    }

    /// The account id.
    pub fn account_id(&self) -> &str {
        &self.account().id
    }

    /// The id of the user behind the event.
    pub fn user_id(&self) -> &str {
        match self {
            Self::Webhook(e) => e.user_id(),
            Self::Action(e) => e.user_id(),
        }
    }

    /// The resource the event is about (which one, event by event: see
    /// [`WebhookEvent::resource_id`]).
    pub fn resource(&self) -> &Resource {
        match self {
            Self::Webhook(e) => e.resource(),
            Self::Action(e) => e.resource(),
        }
    }
}

#[cfg(test)]
mod tests;
