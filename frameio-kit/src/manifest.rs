//! The app's manifest: what Frame.io must be told about this app.
//!
//! One consolidated webhook subscribed to every webhook event type the app handles, and one
//! custom action per action handler (event key, menu name, description, resource types). The
//! install pages, the `frameio-kit install plan|apply|check` command and the
//! `frameio-kit simulate` page all read this one description.
//!
//! ```
//! use frameio_kit::manifest::Manifest;
//! use frameio_kit::{ActionEvent, Handler, Message, WebhookEvent};
//!
//! async fn on_ready(_event: WebhookEvent) -> frameio_kit::Result<()> {
//!     Ok(())
//! }
//! async fn export(_event: ActionEvent) -> frameio_kit::Result<Message> {
//!     Ok(Message::new("Exported", "Done"))
//! }
//!
//! let handlers = [
//!     Handler::webhook(["file.ready", "comment.created"], on_ready),
//!     Handler::action("my_app.export", export)
//!         .name("Export")
//!         .description("Send to the archive")
//!         .resource_types(["file"]),
//! ];
//! let manifest = Manifest::from_handlers(&handlers);
//! assert_eq!(manifest.webhook_events, ["comment.created", "file.ready"]);
//! assert_eq!(manifest.actions[0].event, "my_app.export");
//! assert_eq!(
//!     manifest.to_json(),
//!     r#"{"version":1,"webhook_events":["comment.created","file.ready"],"actions":[{"event":"my_app.export","name":"Export","description":"Send to the archive","resource_types":["file"]}]}"#
//! );
//! assert_eq!(Manifest::from_json(&manifest.to_json()).unwrap(), manifest);
//! ```
//!
//! # Getting a manifest out of a built app
//!
//! - Run the app's binary with `FRAMEIO_KIT_PRINT_MANIFEST=1`: an app that calls
//!   [`print_if_requested`] at start-up prints its manifest as JSON and exits with status 0
//!   (this is what `frameio-kit manifest --exec ./my-app` does).
//! - Or mount the opt-in development route [`DEV_ROUTE_PATH`] with
//!   [`Manifest::configure_dev_route`] (what `frameio-kit manifest --url http://127.0.0.1:8000/`
//!   reads).

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use crate::handler::{Handler, HandlerKind};

/// The environment variable that makes [`print_if_requested`] print the manifest and exit.
pub const PRINT_ENV: &str = "FRAMEIO_KIT_PRINT_MANIFEST";

/// The path of the opt-in development route that serves the manifest as JSON.
pub const DEV_ROUTE_PATH: &str = "/_frameio-kit/manifest";

/// The environment variable that, set to `1`, asks the server to mount [`DEV_ROUTE_PATH`]
/// (test it with [`is_requested`]). Development only.
pub const DEV_ROUTE_ENV: &str = "FRAMEIO_KIT_DEV_MANIFEST_ROUTE";

/// The manifest format version written by this release.
pub const FORMAT_VERSION: u32 = 1;

/// Every webhook event type and every custom action of an app. See the [module](self) docs.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Manifest {
    /// Format version ([`FORMAT_VERSION`]).
    #[serde(default = "default_version")]
    pub version: u32,
    /// The event types of the one consolidated webhook, sorted, without duplicates.
    #[serde(default)]
    pub webhook_events: Vec<String>,
    /// One entry per action handler, sorted by event key.
    #[serde(default)]
    pub actions: Vec<ManifestAction>,
}

fn default_version() -> u32 {
    FORMAT_VERSION
}

/// One custom action as Frame.io must be configured for it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ManifestAction {
    /// The event key Frame.io sends as the delivery's `type`.
    pub event: String,
    /// The name shown in Frame.io's menu (the event key when the handler has none).
    pub name: String,
    /// The description (empty when the handler has none).
    #[serde(default)]
    pub description: String,
    /// The resource types the action is offered on; absent means every type.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource_types: Option<Vec<String>>,
}

impl ManifestAction {
    /// An action with a name and description, offered on every resource type.
    pub fn new(
        event: impl Into<String>,
        name: impl Into<String>,
        description: impl Into<String>,
    ) -> Self {
        Self {
            event: event.into(),
            name: name.into(),
            description: description.into(),
            resource_types: None,
        }
    }

    /// Restricts the action to these resource types (`file`, `folder`, `version_stack`).
    #[must_use]
    pub fn resource_types<I, S>(mut self, types: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.resource_types = Some(types.into_iter().map(Into::into).collect());
        self
    }

    /// `true` when Frame.io would offer the action on a resource of this type.
    pub fn offered_on(&self, resource_type: &str) -> bool {
        self.resource_types
            .as_ref()
            .is_none_or(|types| types.iter().any(|t| t == resource_type))
    }
}

/// Reading a manifest failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ManifestError {
    /// The text is not a manifest.
    #[error("not a frameio-kit manifest: {0}")]
    Invalid(#[source] serde_json::Error),
    /// The JSON is not an object.
    #[error("not a frameio-kit manifest: expected a JSON object")]
    NotAnObject,
    /// The manifest was written by a newer release.
    #[error(
        "manifest format version {0} is newer than this release understands ({FORMAT_VERSION})"
    )]
    UnsupportedVersion(u32),
}

impl Manifest {
    /// An empty manifest (no webhook events, no actions).
    pub fn new() -> Self {
        Self {
            version: FORMAT_VERSION,
            ..Self::default()
        }
    }

    /// The manifest of these handlers: the union of every webhook handler's event types, and
    /// one action per action handler.
    pub fn from_handlers(handlers: &[Handler]) -> Self {
        let mut events = BTreeSet::new();
        let mut actions = Vec::new();
        for handler in handlers {
            match handler.kind() {
                HandlerKind::Webhook => events.extend(handler.events().iter().cloned()),
                HandlerKind::Action => {
                    for event in handler.events() {
                        actions.push(ManifestAction {
                            event: event.clone(),
                            name: handler.display_name().unwrap_or(event).to_owned(),
                            description: handler.action_description().unwrap_or("").to_owned(),
                            resource_types: handler.allowed_resource_types().map(|types| {
                                let mut names: Vec<String> =
                                    types.iter().map(|t| t.as_str().to_owned()).collect();
                                names.sort();
                                names.dedup();
                                names
                            }),
                        });
                    }
                }
            }
        }
        actions.sort_by(|a, b| a.event.cmp(&b.event));
        Self {
            version: FORMAT_VERSION,
            webhook_events: events.into_iter().collect(),
            actions,
        }
    }

    /// Adds webhook event types (kept sorted and unique).
    #[must_use]
    pub fn webhook_events<I, S>(mut self, events: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let mut all: BTreeSet<String> = self.webhook_events.into_iter().collect();
        all.extend(events.into_iter().map(Into::into));
        self.webhook_events = all.into_iter().collect();
        self
    }

    /// Adds an action (kept sorted by event key).
    #[must_use]
    pub fn action(mut self, action: ManifestAction) -> Self {
        self.actions.push(action);
        self.actions.sort_by(|a, b| a.event.cmp(&b.event));
        self
    }

    /// The action with this event key.
    pub fn find_action(&self, event: &str) -> Option<&ManifestAction> {
        self.actions.iter().find(|a| a.event == event)
    }

    /// Compact JSON.
    pub fn to_json(&self) -> String {
        // A struct of strings and vectors always serializes.
        serde_json::to_string(self).unwrap_or_default()
    }

    /// Indented JSON, for people.
    pub fn to_json_pretty(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_default()
    }

    /// Parses a manifest.
    ///
    /// # Errors
    ///
    /// [`ManifestError::NotAnObject`] or [`ManifestError::Invalid`] for anything but a
    /// manifest object,
    /// [`ManifestError::UnsupportedVersion`] for a newer format.
    pub fn from_json(text: &str) -> Result<Self, ManifestError> {
        let value: serde_json::Value =
            serde_json::from_str(text).map_err(ManifestError::Invalid)?;
        if !value.is_object() {
            return Err(ManifestError::NotAnObject);
        }
        let manifest: Self = serde_json::from_value(value).map_err(ManifestError::Invalid)?;
        if manifest.version > FORMAT_VERSION {
            return Err(ManifestError::UnsupportedVersion(manifest.version));
        }
        Ok(manifest)
    }

    /// Mounts `GET` [`DEV_ROUTE_PATH`], answering this manifest as JSON. Development only:
    /// mount it when the operator asked for it (the manifest names every action but holds no
    /// secret).
    pub fn configure_dev_route(&self, cfg: &mut actix_web::web::ServiceConfig) {
        let body = self.to_json();
        cfg.route(
            DEV_ROUTE_PATH,
            actix_web::web::get().to(move || {
                let body = body.clone();
                async move {
                    actix_web::HttpResponse::Ok()
                        .content_type("application/json")
                        .body(body)
                }
            }),
        );
    }
}

/// `true` when `value` (of [`PRINT_ENV`] or [`DEV_ROUTE_ENV`]) asks for it: `1`, `true` or
/// `yes`, in any case, spaces around ignored.
pub fn is_requested(value: Option<&str>) -> bool {
    matches!(
        value.map(|v| v.trim().to_ascii_lowercase()).as_deref(),
        Some("1" | "true" | "yes")
    )
}

/// When [`PRINT_ENV`] is set to `1`, prints the manifest of `handlers` as JSON on stdout and
/// exits the process with status 0; otherwise does nothing. Call it first thing at start-up
/// (before binding a port or reading secrets) so `frameio-kit manifest --exec ./my-app`
/// works without any configuration.
pub fn print_if_requested(handlers: &[Handler]) {
    if !is_requested(std::env::var(PRINT_ENV).ok().as_deref()) {
        return;
    }
    use std::io::Write as _;
    let mut out = std::io::stdout().lock();
    let written = writeln!(
        out,
        "{}",
        Manifest::from_handlers(handlers).to_json_pretty()
    )
    .and_then(|()| out.flush());
    std::process::exit(if written.is_ok() { 0 } else { 1 });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::{ActionEvent, WebhookEvent};
    use crate::response::Message;

    async fn hook(_event: WebhookEvent) -> crate::Result<()> {
        Ok(())
    }
    async fn act(_event: ActionEvent) -> crate::Result<Message> {
        Ok(Message::new("t", "d"))
    }

    #[test]
    fn consolidates_webhook_events_and_sorts_actions() {
        let handlers = [
            Handler::webhook(["file.ready", "comment.created"], hook),
            Handler::webhook(["file.ready", "project.created"], hook),
            Handler::action("zz", act).name("Last"),
            Handler::action("aa", act)
                .resource_types(["version_stack", "file"])
                .description("first"),
        ];
        let m = Manifest::from_handlers(&handlers);
        assert_eq!(
            m.webhook_events,
            ["comment.created", "file.ready", "project.created"]
        );
        assert_eq!(m.actions.len(), 2);
        assert_eq!(m.actions[0].event, "aa");
        assert_eq!(m.actions[0].name, "aa", "falls back to the event key");
        assert_eq!(m.actions[0].description, "first");
        assert_eq!(
            m.actions[0].resource_types.as_deref(),
            Some(&["file".to_owned(), "version_stack".to_owned()][..])
        );
        assert!(m.actions[0].offered_on("file"));
        assert!(!m.actions[0].offered_on("folder"));
        assert_eq!(m.actions[1].name, "Last");
        assert_eq!(m.actions[1].description, "");
        assert!(m.actions[1].offered_on("folder"));
    }

    #[test]
    fn json_round_trip_and_errors() {
        let m = Manifest::new()
            .webhook_events(["file.ready"])
            .action(ManifestAction::new("x", "X", "").resource_types(["file"]));
        assert_eq!(Manifest::from_json(&m.to_json()).unwrap(), m);
        assert_eq!(Manifest::from_json(&m.to_json_pretty()).unwrap(), m);
        assert!(matches!(
            Manifest::from_json("[1]"),
            Err(ManifestError::NotAnObject)
        ));
        assert!(matches!(
            Manifest::from_json(r#"{"version": 99}"#),
            Err(ManifestError::UnsupportedVersion(99))
        ));
        // A minimal hand-written manifest is accepted.
        let m = Manifest::from_json(r#"{"actions":[{"event":"e","name":"E"}]}"#).unwrap();
        assert_eq!(m.version, FORMAT_VERSION);
        assert_eq!(m.actions[0].description, "");
    }

    #[test]
    fn print_request_values() {
        assert!(is_requested(Some("1")));
        assert!(is_requested(Some(" TRUE ")));
        assert!(!is_requested(Some("0")));
        assert!(!is_requested(Some("")));
        assert!(!is_requested(None));
    }
}
