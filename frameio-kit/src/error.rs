//! Errors: what handlers may fail with, and why an app refuses to start.

use std::fmt;

use crate::event::HandlerKind;

/// Any error a handler may return, boxed. `anyhow::Error`, `std::io::Error` and every
/// `thiserror` type convert into it.
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// A handler (or middleware, or extractor) failing because the integration is misconfigured
/// rather than because the work failed: the delivery is answered `503 Configuration error.`
/// instead of `500`, so Frame.io retries it and operators can tell the two apart.
///
/// ```
/// use frameio_kit::{ConfigurationError, WebhookEvent};
///
/// async fn on_ready(_event: WebhookEvent) -> Result<(), frameio_kit::BoxError> {
///     let bucket = std::env::var("BUCKET")
///         .map_err(|_| ConfigurationError::new("BUCKET is not set"))?;
///     println!("uploading to {bucket}");
///     Ok(())
/// }
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("configuration error: {reason}")]
pub struct ConfigurationError {
    reason: String,
}

impl ConfigurationError {
    /// Creates the error with a reason (logged, never sent to Frame.io).
    pub fn new(reason: impl Into<String>) -> Self {
        Self {
            reason: reason.into(),
        }
    }

    /// The reason.
    pub fn reason(&self) -> &str {
        &self.reason
    }

    /// `true` when `error` or any error in its source chain is a `ConfigurationError`
    /// (also inside an `anyhow::Error` a handler returned, with the `anyhow` feature).
    pub fn is_in(error: &(dyn std::error::Error + 'static)) -> bool {
        let mut current = Some(error);
        while let Some(err) = current {
            if err.is::<ConfigurationError>() {
                return true;
            }
            #[cfg(feature = "anyhow")]
            if let Some(wrapped) = err.downcast_ref::<AnyhowError>() {
                return wrapped.0.chain().any(|e| e.is::<ConfigurationError>());
            }
            current = err.source();
        }
        false
    }
}

/// Boxes a handler's error. `anyhow::Error` loses its inner types when boxed the usual way,
/// so it is kept whole (behind a thin wrapper) to stay searchable.
pub(crate) fn box_error<E: Into<BoxError> + 'static>(error: E) -> BoxError {
    #[cfg(feature = "anyhow")]
    {
        let mut slot = Some(error);
        if let Some(anyhow_error) = (&mut slot as &mut dyn std::any::Any)
            .downcast_mut::<Option<anyhow::Error>>()
            .and_then(Option::take)
        {
            return Box::new(AnyhowError(anyhow_error));
        }
        // Not an anyhow error: `slot` still holds it.
        match slot {
            Some(error) => error.into(),
            None => Box::new(ConfigurationError::new("error lost while boxing")),
        }
    }
    #[cfg(not(feature = "anyhow"))]
    {
        error.into()
    }
}

/// An `anyhow::Error` returned by a handler, kept whole.
#[cfg(feature = "anyhow")]
struct AnyhowError(anyhow::Error);

#[cfg(feature = "anyhow")]
impl fmt::Debug for AnyhowError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.0, f)
    }
}

#[cfg(feature = "anyhow")]
impl fmt::Display for AnyhowError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

#[cfg(feature = "anyhow")]
impl std::error::Error for AnyhowError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.0.source()
    }
}

/// Why a handler argument cannot be provided, found when the app starts: what
/// [`FromDelivery::check`](crate::FromDelivery::check) returns. A plain sentence converts into
/// [`ArgumentProblem::Custom`], so `Err("…".into())` is enough in your own extractors.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ArgumentProblem {
    /// The handler takes the event of the other kind (`WebhookEvent` in an action, or
    /// `ActionEvent` in a webhook).
    #[error("{}", wrong_event(.takes))]
    WrongEvent {
        /// The kind of handler the argument is for.
        takes: HandlerKind,
    },
    /// The handler takes `State<T>`, but no `T` was registered with `App::state`.
    #[error(
        "takes `State<{type_name}>`, but no such state is registered (add it with `App::state`)"
    )]
    MissingState {
        /// The type of the missing state.
        type_name: &'static str,
    },
    /// The argument needs user sign-in, which is not configured.
    #[error("takes `{argument}`, but user sign-in is not configured (call `App::user_auth`)")]
    SignInNotConfigured {
        /// The argument type (e.g. `UserToken`).
        argument: &'static str,
    },
    /// Anything else, in the extractor's own words.
    #[error("{0}")]
    Custom(String),
}

fn wrong_event(takes: &HandlerKind) -> &'static str {
    match takes {
        HandlerKind::Action => "takes `ActionEvent`, but webhooks receive `WebhookEvent`",
        _ => "takes `WebhookEvent`, but actions receive `ActionEvent`",
    }
}

impl From<String> for ArgumentProblem {
    fn from(message: String) -> Self {
        Self::Custom(message)
    }
}

impl From<&str> for ArgumentProblem {
    fn from(message: &str) -> Self {
        Self::Custom(message.to_owned())
    }
}

/// One reason an app cannot start. Every variant about a handler names it (`module::function`
/// for macro handlers), so the message says where to look.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum StartupProblem {
    /// No handler is registered: usually the crate holding them was not linked.
    #[error(
        "no handlers are registered: add #[webhook]/#[action] functions, and make sure the crate \
         that defines them is linked (e.g. `use my_app as _;` in main.rs)"
    )]
    NoHandlers,
    /// Several handlers claim one event type.
    #[error("event type `{event}` is handled by more than one handler: {}", .handlers.join(", "))]
    DuplicateEvent {
        /// The event type.
        event: String,
        /// Every handler claiming it.
        handlers: Vec<String>,
    },
    /// An event type that Frame.io could never send.
    #[error("{handler}: invalid event type `{event}`")]
    InvalidEventType {
        /// The handler.
        handler: String,
        /// The event type as written.
        event: String,
    },
    /// A handler with no event type at all.
    #[error("{handler} handles no event type")]
    NoEventType {
        /// The handler.
        handler: String,
    },
    /// An action handler given several event keys.
    #[error("{handler} is an action with several event types; register one handler per action")]
    SeveralActionEvents {
        /// The handler.
        handler: String,
    },
    /// The handler's secret cannot be found (unset or empty variable, empty literal).
    #[error("{handler} {reason}")]
    MissingSecret {
        /// The handler.
        handler: String,
        /// Which source was tried and what was wrong with it.
        reason: String,
    },
    /// The handler requires user sign-in, but the app has none configured (or the `auth`
    /// feature is off).
    #[error(
        "{handler} requires user sign-in, but sign-in is not configured ({})",
        sign_in_hint()
    )]
    SignInNotConfigured {
        /// The handler.
        handler: String,
    },
    /// A webhook marked as requiring user sign-in: only actions have a user to sign in.
    #[error("{handler} requires user sign-in, which only actions can do")]
    SignInOnWebhook {
        /// The handler.
        handler: String,
    },
    /// A webhook restricted to resource types: only actions can be.
    #[error("{handler} restricts resource types, which only actions can do")]
    ResourceTypesOnWebhook {
        /// The handler.
        handler: String,
    },
    /// An action restricted to an empty list of resource types.
    #[error("{handler} restricts resource types to an empty list")]
    NoResourceTypes {
        /// The handler.
        handler: String,
    },
    /// An action restricted to a resource type Frame.io does not offer actions on.
    #[error(
        "{handler} restricts resource types to unknown type `{resource_type}`; expected `file`, `folder` or `version_stack`"
    )]
    UnknownResourceType {
        /// The handler.
        handler: String,
        /// The type as written.
        resource_type: String,
    },
    /// One of the handler's arguments cannot be provided.
    #[error("{handler} {problem}")]
    Argument {
        /// The handler.
        handler: String,
        /// What is wrong with the argument.
        problem: ArgumentProblem,
    },
    /// A server setting is invalid.
    #[error("{0}")]
    Config(String),
    /// An action marked `background`: only webhooks can be answered before they run.
    #[error(
        "{handler} runs in the background, which only webhooks can do (an action's answer is what it returns)"
    )]
    BackgroundOnAction {
        /// The handler.
        handler: String,
    },
    /// A background handler in a build without the `background` feature.
    #[error(
        "{handler} runs in the background, but frameio-kit was built without the `background` feature (add `features = [\"background\"]` to the dependency)"
    )]
    BackgroundNeedsFeature {
        /// The handler.
        handler: String,
    },
    /// A background handler given a deadline or an interim Message: it is answered as soon
    /// as it is queued, so neither applies.
    #[error(
        "{handler} runs in the background: it is answered once queued, so `{option}` does not apply"
    )]
    BackgroundWithDeadline {
        /// The handler.
        handler: String,
        /// The option that does not apply (`deadline`, `no_deadline`, `interim`).
        option: &'static str,
    },
    /// A delivery option with an unusable value (a zero window or deadline, an interim
    /// Message on a webhook).
    #[error("{handler} {reason}")]
    InvalidDeliveryOption {
        /// The handler.
        handler: String,
        /// What is wrong.
        reason: String,
    },
    /// The background queue cannot be reached or set up.
    #[error("the background queue ({engine}) is unreachable: {reason}")]
    QueueUnreachable {
        /// The engine: `sqlite`, `postgres` or `redis`.
        engine: &'static str,
        /// The engine's error.
        reason: String,
    },
    /// The install configuration given to `App::install` is unusable (one problem each).
    #[error("install: {reason}")]
    Install {
        /// What is wrong, naming the setting.
        reason: String,
    },
    /// A store the app needs cannot be reached (found by
    /// [`App::build_and_connect`](crate::App::build_and_connect), before the port is bound).
    #[error("the {purpose} store is unreachable: {reason}")]
    StoreUnreachable {
        /// What the store is for (`install`, `sign-in`, `replay ledger`).
        purpose: &'static str,
        /// The engine's error.
        reason: String,
    },
    /// `App::worker` was asked to run an app with no background handler.
    #[error("App::worker: the app has no background handler to run (mark a webhook `background`)")]
    NoBackgroundHandlers,
}

fn sign_in_hint() -> &'static str {
    if cfg!(feature = "auth") {
        "call `App::user_auth`"
    } else {
        "it needs the `auth` feature"
    }
}

impl StartupProblem {
    /// The handler at fault, when the problem is about one handler.
    pub fn handler(&self) -> Option<&str> {
        match self {
            Self::InvalidEventType { handler, .. }
            | Self::NoEventType { handler }
            | Self::SeveralActionEvents { handler }
            | Self::MissingSecret { handler, .. }
            | Self::SignInNotConfigured { handler }
            | Self::SignInOnWebhook { handler }
            | Self::ResourceTypesOnWebhook { handler }
            | Self::NoResourceTypes { handler }
            | Self::UnknownResourceType { handler, .. }
            | Self::Argument { handler, .. }
            | Self::BackgroundOnAction { handler }
            | Self::BackgroundNeedsFeature { handler }
            | Self::BackgroundWithDeadline { handler, .. }
            | Self::InvalidDeliveryOption { handler, .. } => Some(handler),
            Self::NoHandlers
            | Self::DuplicateEvent { .. }
            | Self::Config(_)
            | Self::QueueUnreachable { .. }
            | Self::Install { .. }
            | Self::StoreUnreachable { .. }
            | Self::NoBackgroundHandlers => None,
        }
    }
}

/// Why an app refused to start: every problem found, not just the first.
#[derive(Clone, PartialEq, Eq, thiserror::Error)]
pub struct StartupError {
    problems: Vec<StartupProblem>,
}

impl StartupError {
    pub(crate) fn new(problems: Vec<StartupProblem>) -> Self {
        Self { problems }
    }

    /// Every problem found.
    pub fn problems(&self) -> &[StartupProblem] {
        &self.problems
    }
}

impl fmt::Display for StartupError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("frameio-kit cannot start:")?;
        for problem in &self.problems {
            write!(f, "\n  - {problem}")?;
        }
        Ok(())
    }
}

// `fn main() -> Result<…>` prints errors with `Debug`: show the readable list there too.
impl fmt::Debug for StartupError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl From<StartupError> for std::io::Error {
    fn from(error: StartupError) -> Self {
        std::io::Error::new(std::io::ErrorKind::InvalidInput, error)
    }
}

/// The text of a caught panic's payload (`panic!` gives a `&str` or a `String`).
pub(crate) fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&'static str>() {
        (*s).to_owned()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "non-string panic payload".to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn panic_messages_are_extracted() {
        assert_eq!(panic_message(&"static"), "static");
        assert_eq!(panic_message(&String::from("owned")), "owned");
        assert_eq!(panic_message(&42_u8), "non-string panic payload");
    }

    #[derive(Debug, thiserror::Error)]
    #[error("outer")]
    struct Outer(#[source] ConfigurationError);

    #[test]
    fn configuration_errors_are_found_in_the_chain() {
        let direct: BoxError = ConfigurationError::new("x").into();
        assert!(ConfigurationError::is_in(direct.as_ref()));
        let wrapped: BoxError = Outer(ConfigurationError::new("x")).into();
        assert!(ConfigurationError::is_in(wrapped.as_ref()));
        let other: BoxError = "boom".into();
        assert!(!ConfigurationError::is_in(other.as_ref()));
    }

    #[cfg(feature = "anyhow")]
    #[test]
    fn anyhow_errors_stay_searchable() {
        let plain = box_error(anyhow::Error::new(ConfigurationError::new("x")));
        assert!(ConfigurationError::is_in(plain.as_ref()));
        let with_context =
            box_error(anyhow::Error::new(ConfigurationError::new("x")).context("loading config"));
        assert!(ConfigurationError::is_in(with_context.as_ref()));
        assert_eq!(with_context.to_string(), "loading config");
        assert_eq!(
            with_context.source().map(ToString::to_string).as_deref(),
            Some("configuration error: x")
        );
        let other = box_error(anyhow::anyhow!("boom"));
        assert!(!ConfigurationError::is_in(other.as_ref()));
        let io = box_error(std::io::Error::other("io"));
        assert_eq!(io.to_string(), "io");
    }

    #[test]
    fn startup_error_lists_every_problem() {
        let err = StartupError::new(vec![
            StartupProblem::NoHandlers,
            StartupProblem::DuplicateEvent {
                event: "file.ready".into(),
                handlers: vec!["a::f".into(), "b::g".into()],
            },
        ]);
        let text = format!("{err:?}");
        assert!(text.contains("no handlers"));
        assert!(text.contains("`file.ready` is handled by more than one handler: a::f, b::g"));
    }
}
