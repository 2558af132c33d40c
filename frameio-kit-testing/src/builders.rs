//! Event builders: realistic Frame.io deliveries with every field overridable.
//!
//! Start from [`webhook_event`] or [`action_event`]; every id defaults to a fresh random
//! UUID v4 and the resource type to `file`, so a test only names what it cares about.
//! [`build`](WebhookEventBuilder::build) gives the typed event (for direct handler calls),
//! [`to_json`](WebhookEventBuilder::to_json) and [`body`](WebhookEventBuilder::body) give
//! exactly what Frame.io sends (protocol.md §1).
//!
//! ```
//! use frameio_kit_testing::{action_event, webhook_event};
//! use serde_json::json;
//!
//! let ready = webhook_event("file.ready").resource_id("f-1").build();
//! assert_eq!(ready.event_type(), "file.ready");
//! assert_eq!(ready.resource_id(), "f-1");
//!
//! // Webhooks nest the account; actions carry a flat `account_id`.
//! let wire = webhook_event("file.ready").account_id("acc").to_json();
//! assert_eq!(wire["account"]["id"], "acc");
//! let wire = action_event("transcribe").account_id("acc").to_json();
//! assert_eq!(wire["account_id"], "acc");
//!
//! // A form submit: the same interaction, with values in `data`.
//! let submit = action_event("transcribe")
//!     .interaction_id("i-1")
//!     .data(json!({"language": "en"}))
//!     .build();
//! assert_eq!(submit.field_str("language"), Some("en"));
//! ```

use frameio_kit::{
    Account, ActionEvent, Project, Resource, ResourceType, User, WebhookEvent, Workspace,
};
use serde_json::{Map, Value};

/// A fresh random id, shaped like Frame.io's (a UUID v4 string).
pub fn random_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// The fields webhooks and actions share.
#[derive(Debug, Clone)]
struct Common {
    event_type: String,
    account_id: String,
    workspace_id: String,
    project_id: String,
    user_id: String,
    resource_id: String,
    resource_type: ResourceType,
    extra: Map<String, Value>,
}

impl Common {
    fn new(event_type: String) -> Self {
        Self {
            event_type,
            account_id: random_id(),
            workspace_id: random_id(),
            project_id: random_id(),
            user_id: random_id(),
            resource_id: random_id(),
            resource_type: ResourceType::File,
            extra: Map::new(),
        }
    }

    fn resource_json(&self) -> Value {
        serde_json::json!({"id": self.resource_id, "type": self.resource_type.as_str()})
    }

    /// Adds the extra keys; extra keys never replace the modelled ones.
    fn with_extra(&self, mut object: Map<String, Value>) -> Value {
        for (key, value) in &self.extra {
            object.entry(key.clone()).or_insert_with(|| value.clone());
        }
        Value::Object(object)
    }
}

/// Implements the setters both builders share.
macro_rules! common_setters {
    () => {
        /// The event type (a webhook's `file.ready`, an action's event key).
        pub fn event_type(mut self, event_type: impl Into<String>) -> Self {
            self.common.event_type = event_type.into();
            self
        }

        /// The account id.
        pub fn account_id(mut self, id: impl Into<String>) -> Self {
            self.common.account_id = id.into();
            self
        }

        /// The workspace id.
        pub fn workspace_id(mut self, id: impl Into<String>) -> Self {
            self.common.workspace_id = id.into();
            self
        }

        /// The project id.
        pub fn project_id(mut self, id: impl Into<String>) -> Self {
            self.common.project_id = id.into();
            self
        }

        /// The id of the user (who caused the event, or who clicked).
        pub fn user_id(mut self, id: impl Into<String>) -> Self {
            self.common.user_id = id.into();
            self
        }

        /// The id of the resource the event is about.
        pub fn resource_id(mut self, id: impl Into<String>) -> Self {
            self.common.resource_id = id.into();
            self
        }

        /// The resource type (default `file`): `"folder"`, `"version_stack"`, a
        /// [`ResourceType`], or any other string.
        pub fn resource_type(mut self, resource_type: impl Into<ResourceType>) -> Self {
            self.common.resource_type = resource_type.into();
            self
        }

        /// Adds a top-level key frameio-kit does not model (Frame.io may add some at any
        /// time; the receiver must accept them). It appears in [`to_json`](Self::to_json) and
        /// [`body`](Self::body), never replaces a modelled key, and is dropped by `build()`.
        pub fn extra(mut self, key: impl Into<String>, value: impl Into<Value>) -> Self {
            self.common.extra.insert(key.into(), value.into());
            self
        }

        /// The wire body as bytes: what Frame.io POSTs (compact JSON).
        pub fn body(&self) -> Vec<u8> {
            self.to_json().to_string().into_bytes()
        }
    };
}

/// Starts a webhook delivery of this type (e.g. `"file.ready"`) with random ids.
///
/// ```
/// let event = frameio_kit_testing::webhook_event("comment.created")
///     .resource_type("folder")
///     .build();
/// assert_eq!(event.resource_type().as_str(), "folder");
/// ```
pub fn webhook_event(event_type: impl Into<String>) -> WebhookEventBuilder {
    WebhookEventBuilder {
        common: Common::new(event_type.into()),
    }
}

/// Starts a custom action delivery for this event key (e.g. `"transcribe"`) with random ids
/// and no `data` (a first click).
///
/// ```
/// let event = frameio_kit_testing::action_event("transcribe").build();
/// assert!(!event.is_form_submit());
/// assert_eq!(event.resource_type().as_str(), "file");
/// ```
pub fn action_event(event_type: impl Into<String>) -> ActionEventBuilder {
    ActionEventBuilder {
        common: Common::new(event_type.into()),
        action_id: random_id(),
        interaction_id: random_id(),
        data: None,
    }
}

/// Builds a webhook delivery; see [`webhook_event`].
#[derive(Debug, Clone)]
#[must_use]
pub struct WebhookEventBuilder {
    common: Common,
}

impl WebhookEventBuilder {
    common_setters!();

    /// The typed event, as a handler receives it (its `timestamp` is 0, as before dispatch).
    pub fn build(&self) -> WebhookEvent {
        let c = &self.common;
        WebhookEvent::new(
            c.event_type.clone(),
            Account::new(c.account_id.clone()),
            Workspace::new(c.workspace_id.clone()),
            Project::new(c.project_id.clone()),
            Resource::new(c.resource_id.clone(), c.resource_type.clone()),
            User::new(c.user_id.clone()),
        )
    }

    /// The wire JSON: nested `account`, `project`, `resource`, `user`, `workspace` objects
    /// and `type`, plus any [`extra`](Self::extra) keys.
    ///
    /// ```
    /// let json = frameio_kit_testing::webhook_event("file.ready")
    ///     .resource_id("f")
    ///     .extra("origin", "upload")
    ///     .to_json();
    /// assert_eq!(json["resource"], serde_json::json!({"id": "f", "type": "file"}));
    /// assert_eq!(json["origin"], "upload");
    /// ```
    pub fn to_json(&self) -> Value {
        let c = &self.common;
        let mut object = Map::new();
        object.insert("account".into(), id_object(&c.account_id));
        object.insert("project".into(), id_object(&c.project_id));
        object.insert("resource".into(), c.resource_json());
        object.insert("type".into(), Value::String(c.event_type.clone()));
        object.insert("user".into(), id_object(&c.user_id));
        object.insert("workspace".into(), id_object(&c.workspace_id));
        c.with_extra(object)
    }
}

/// Builds a custom action delivery; see [`action_event`].
#[derive(Debug, Clone)]
#[must_use]
pub struct ActionEventBuilder {
    common: Common,
    action_id: String,
    interaction_id: String,
    data: Option<Map<String, Value>>,
}

impl ActionEventBuilder {
    common_setters!();

    /// The custom action's id.
    pub fn action_id(mut self, id: impl Into<String>) -> Self {
        self.action_id = id.into();
        self
    }

    /// The interaction id (it stays the same through a chain of forms).
    pub fn interaction_id(mut self, id: impl Into<String>) -> Self {
        self.interaction_id = id.into();
        self
    }

    /// Submitted form values (field `name` → value), making this a form submit. A value that
    /// is not a JSON object is ignored and the delivery stays a first click.
    pub fn data(mut self, values: Value) -> Self {
        self.data = match values {
            Value::Object(map) => Some(map),
            _ => None,
        };
        self
    }

    /// Adds one submitted form value, making this a form submit.
    ///
    /// ```
    /// let event = frameio_kit_testing::action_event("rename")
    ///     .field("new_name", "clip")
    ///     .field("notify", true)
    ///     .build();
    /// assert_eq!(event.field_str("new_name"), Some("clip"));
    /// ```
    pub fn field(mut self, name: impl Into<String>, value: impl Into<Value>) -> Self {
        self.data
            .get_or_insert_with(Map::new)
            .insert(name.into(), value.into());
        self
    }

    /// The typed event, as a handler receives it (its `timestamp` is 0, as before dispatch).
    pub fn build(&self) -> ActionEvent {
        let c = &self.common;
        ActionEvent::new(
            c.event_type.clone(),
            c.account_id.clone(),
            self.action_id.clone(),
            self.interaction_id.clone(),
            Workspace::new(c.workspace_id.clone()),
            Project::new(c.project_id.clone()),
            Resource::new(c.resource_id.clone(), c.resource_type.clone()),
            User::new(c.user_id.clone()),
        )
        .with_data(self.data.clone())
    }

    /// The wire JSON: flat `account_id`, `action_id`, `interaction_id`, nested `project`,
    /// `resource`, `user`, `workspace`, `type`, `data` when set, plus any
    /// [`extra`](Self::extra) keys.
    ///
    /// ```
    /// let json = frameio_kit_testing::action_event("transcribe")
    ///     .interaction_id("i-1")
    ///     .to_json();
    /// assert_eq!(json["interaction_id"], "i-1");
    /// assert!(json.get("data").is_none());
    /// assert!(json.get("account").is_none());
    /// ```
    pub fn to_json(&self) -> Value {
        let c = &self.common;
        let mut object = Map::new();
        object.insert("account_id".into(), Value::String(c.account_id.clone()));
        object.insert("action_id".into(), Value::String(self.action_id.clone()));
        object.insert(
            "interaction_id".into(),
            Value::String(self.interaction_id.clone()),
        );
        object.insert("project".into(), id_object(&c.project_id));
        object.insert("resource".into(), c.resource_json());
        object.insert("type".into(), Value::String(c.event_type.clone()));
        object.insert("user".into(), id_object(&c.user_id));
        object.insert("workspace".into(), id_object(&c.workspace_id));
        if let Some(data) = &self.data {
            object.insert("data".into(), Value::Object(data.clone()));
        }
        c.with_extra(object)
    }
}

fn id_object(id: &str) -> Value {
    serde_json::json!({ "id": id })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn webhook_wire_shape_round_trips_through_the_core_model() {
        let builder = webhook_event("file.ready")
            .account_id("a")
            .workspace_id("w")
            .project_id("p")
            .user_id("u")
            .resource_id("r")
            .resource_type("version_stack");
        assert_eq!(
            builder.to_json(),
            json!({"account": {"id": "a"}, "project": {"id": "p"},
                   "resource": {"id": "r", "type": "version_stack"}, "type": "file.ready",
                   "user": {"id": "u"}, "workspace": {"id": "w"}})
        );
        let parsed: WebhookEvent = serde_json::from_slice(&builder.body()).unwrap();
        assert_eq!(parsed, builder.build());
        assert_eq!(parsed.resource_type(), &ResourceType::VersionStack);
    }

    #[test]
    fn action_wire_shape_round_trips_through_the_core_model() {
        let builder = action_event("transcribe")
            .account_id("a")
            .action_id("b")
            .interaction_id("c")
            .data(json!({"language": "en"}));
        let json = builder.to_json();
        assert_eq!(json["account_id"], "a");
        assert_eq!(json["action_id"], "b");
        assert_eq!(json["interaction_id"], "c");
        assert_eq!(json["data"], json!({"language": "en"}));
        let parsed: ActionEvent = serde_json::from_slice(&builder.body()).unwrap();
        assert_eq!(parsed, builder.build());
    }

    #[test]
    fn defaults_are_random_uuids_and_a_file() {
        let a = action_event("x").build();
        let b = action_event("x").build();
        assert_ne!(a.interaction_id(), b.interaction_id());
        assert_ne!(a.account_id(), a.user_id());
        assert_eq!(a.resource_type(), &ResourceType::File);
        for id in [a.account_id(), a.action_id(), a.interaction_id()] {
            let parsed = uuid::Uuid::parse_str(id).unwrap();
            assert_eq!(parsed.get_version_num(), 4);
        }
        assert_eq!(webhook_event("file.ready").build().resource_id().len(), 36);
    }

    #[test]
    fn extra_keys_are_sent_but_never_replace_modelled_ones() {
        let json = webhook_event("file.ready")
            .resource_id("r")
            .extra("new_thing", json!({"x": 1}))
            .extra("type", "hijacked")
            .to_json();
        assert_eq!(json["new_thing"], json!({"x": 1}));
        assert_eq!(json["type"], "file.ready");
        let parsed: WebhookEvent = serde_json::from_value(json).unwrap();
        assert_eq!(parsed.resource_id(), "r");
    }

    #[test]
    fn non_object_data_keeps_a_first_click() {
        let event = action_event("x").data(json!("nope")).build();
        assert!(!event.is_form_submit());
        assert!(action_event("x").field("a", 1).build().is_form_submit());
    }
}
