#![doc = include_str!("../README.md")]
#![cfg_attr(docsrs, feature(doc_cfg))]
#![deny(missing_docs)]

// Lets the macros' `::frameio_kit::…` paths resolve inside this crate's own tests.
#[allow(unused_extern_crates)]
extern crate self as frameio_kit;

pub mod app;
#[cfg(feature = "auth")]
pub mod auth;
#[cfg(feature = "client")]
pub mod client;
pub mod delivery;
pub mod dispatch;
pub mod error;
pub mod event;
pub mod forms;
pub mod handler;
#[cfg(feature = "install")]
pub mod install;
pub mod manifest;
pub mod middleware;
pub mod record;
pub mod response;
pub mod secret;
pub mod server;
pub mod signature;
pub mod store;
pub mod telemetry;

pub use app::App;
pub use error::{ArgumentProblem, BoxError, ConfigurationError, StartupError, StartupProblem};
pub use event::{
    Account, ActionEvent, DeliveryEvent, FormError, HandlerKind, Project, Resource, ResourceType,
    User, WebhookEvent, Workspace,
};
pub use forms::{ActionForm, FormChoice, Submitted};
pub use handler::{
    ActionOutput, AppData, Delivery, FromDelivery, Handler, HandlerResult, Headers, StartupContext,
    State, WebhookOutput,
};
pub use manifest::Manifest;
pub use middleware::{Middleware, Next};
pub use response::{
    ActionResponse, CheckboxField, Form, FormField, LinkField, Message, ResponseError, SelectField,
    SelectOption, TextField, TextareaField,
};
pub use secret::{Secret, SecretResolver, Secrets};
pub use server::{RunningServer, Service};

/// Registers an async function as the webhook handler for one or more event types.
///
/// ```
/// use frameio_kit::prelude::*;
///
/// #[webhook("file.ready", "file.upload.completed", secret_env = "FILES_WEBHOOK_SECRET")]
/// async fn on_file(event: WebhookEvent) -> Result<()> {
///     println!("{} {}", event.event_type(), event.resource_id());
///     Ok(())
/// }
/// ```
///
/// Arguments, all optional but the event types:
///
/// | argument | meaning |
/// |---|---|
/// | `"type"`, … | one or more event types (at least one); stack several `#[webhook]` to split them |
/// | `secret_env = "NAME"` | read the signing secret from `NAME` at start-up instead of `WEBHOOK_SECRET` |
/// | `secret = path::to::resolver` | resolve the secret per delivery: `async fn(&WebhookEvent) -> Result<S, E>` with `S: Into<Secrets>` |
/// | `background` | answer `OK` once the delivery is durably queued; a worker runs the handler ([`Handler::background`], feature `background`) |
/// | `retries = 3` | with `background`: attempts in all before the job becomes a dead letter (default 5; [`Handler::retries`]) |
/// | `dedup = "10m"` | answer a byte-identical body accepted within the window `OK` without running ([`Handler::dedup`]) |
/// | `deadline = "3s"` | answer `OK` once this long has passed and let the handler run on (default 4.5 s; [`Handler::deadline`]) |
/// | `no_deadline` | wait for the handler however long it runs ([`Handler::no_deadline`]) |
/// | `crate = "path"` | where frameio-kit is, if you renamed the dependency |
///
/// Durations are numbers with units: `"500ms"`, `"8s"`, `"4.5s"`, `"10m"`, `"1h"`, `"1m30s"`.
///
/// The function must be a free `async fn` whose arguments implement
/// [`FromDelivery`] (the first is usually [`WebhookEvent`]) and which returns
/// `Result<(), E>` (or `()`), `E` being any error convertible into [`BoxError`]. It expands to
/// the function unchanged plus one `inventory` registration of a `fn() -> Handler` that calls
/// [`Handler::webhook`] and its builder methods, exactly what you would write by hand.
pub use frameio_kit_macros::webhook;

/// Registers an async function as the handler of a custom action.
///
/// ```
/// use frameio_kit::prelude::*;
///
/// #[action(event = "greet", name = "Greet", description = "Say hello")]
/// async fn greet(event: ActionEvent) -> Result<Message> {
///     Ok(Message::new("Hello!", format!("Hello, user {}", event.user_id())))
/// }
/// ```
///
/// | argument | meaning |
/// |---|---|
/// | `event = "key"` | the event key chosen when the action was configured in Frame.io (required) |
/// | `name = "…"` | the name shown in the Frame.io menu; optional, as with [`Handler::name`] (Frame.io keeps its own copy, set when the action is created there) |
/// | `description = "…"` | a longer description; without it the handler has none, as with [`Handler::description`] |
/// | `secret_env = "NAME"` | read the signing secret from `NAME` at start-up instead of `CUSTOM_ACTION_SECRET` |
/// | `secret = path::to::resolver` | resolve the secret per delivery: `async fn(&ActionEvent) -> Result<S, E>` with `S: Into<Secrets>` |
/// | `resource_types = ["file", …]` | only offer the action on these types (`file`, `folder`, `version_stack`); other clicks get an "Action Not Available" message |
/// | `require_user_auth` | run only for users signed in with Adobe; others get a sign-in Form first (needs [`App::user_auth`]) |
/// | `deadline = "8s"` | answer with the interim Message once this long has passed and let the handler run on (default 9 s; [`Handler::deadline`]) |
/// | `no_deadline` | wait for the handler however long it runs ([`Handler::no_deadline`]) |
/// | `interim = "title"` or `interim = ("title", "description")` | the Message shown at the deadline (default: the app's; a title alone keeps the default description; [`Handler::interim`]) |
/// | `dedup = "10m"` | answer a byte-identical body accepted within the window with the first answer, without running ([`Handler::dedup`]) |
/// | `crate = "path"` | where frameio-kit is, if you renamed the dependency |
///
/// The function must be a free `async fn` whose arguments implement [`FromDelivery`] (the first
/// is usually [`ActionEvent`]) and which returns `Result<T, E>` with `T` one of [`Message`],
/// [`Form`], [`ActionResponse`], `Option` of those or `()`. Like `#[webhook]`, it expands to the
/// function unchanged plus one registration of a `fn() -> Handler` built with
/// [`Handler::action`]; without `description`, the handler has none (`None`), as with the
/// builder.
pub use frameio_kit_macros::action;

/// A boxed, sendable future (what erased handlers, resolvers and middleware return). Also at
/// `frameio_kit::handler::BoxFuture`.
pub type BoxFuture<'a, T> = std::pin::Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// A result whose error is any boxed error: the default handler return type.
pub type Result<T = (), E = BoxError> = std::result::Result<T, E>;

/// Serves every registered handler: validates the configuration (refusing to start, with one
/// message naming every offender, on zero handlers, duplicate event types or a missing
/// secret), binds `HOST`:`PORT` (default `127.0.0.1:8000`) and runs until SIGINT/SIGTERM,
/// then finishes in-flight deliveries.
///
/// Works under `#[tokio::main]` or `#[actix_web::main]`; see [`run`] for a plain `fn main`.
/// For settings beyond the environment, use [`App::from_registry`].
pub async fn serve() -> std::io::Result<()> {
    App::from_registry().serve().await
}

/// Blocking version of [`serve`]: `fn main() -> std::io::Result<()> { frameio_kit::run() }`.
pub fn run() -> std::io::Result<()> {
    App::from_registry().run()
}

/// Everything a handler, extractor or middleware file usually needs:
/// `use frameio_kit::prelude::*;`.
pub mod prelude {
    pub use crate::forms::{ActionForm, FormChoice, Submitted};
    pub use crate::{
        ActionEvent, ActionResponse, App, ArgumentProblem, BoxError, CheckboxField,
        ConfigurationError, Delivery, DeliveryEvent, Form, FromDelivery, Handler, HandlerKind,
        HandlerResult, Headers, LinkField, Message, Middleware, Next, Result, SelectField,
        SelectOption, StartupContext, State, TextField, TextareaField, WebhookEvent, action,
        webhook,
    };
}

/// Re-exported so users can mount the receiver without naming another version of actix-web.
pub use actix_web;

/// Support for the attribute macros. **Not public API**: it may change in any release.
///
/// The macros expand to the user's function plus one `inventory` submission of a
/// `fn() -> Handler` built with the public [`Handler`] builder; this module only names what
/// that expansion mentions.
#[doc(hidden)]
pub mod __private {
    pub use crate::error::BoxError;
    pub use crate::event::{ActionEvent, WebhookEvent};
    pub use crate::forms::__support as forms;
    pub use crate::handler::{ActionOutput, FromDelivery, Handler, Registered, WebhookOutput};
    pub use crate::secret::{SecretResolver, Secrets};
    pub use inventory;

    /// Converts what a `secret = …` resolver returned.
    pub fn resolved<S, E>(result: Result<S, E>) -> Result<Secrets, BoxError>
    where
        S: Into<Secrets>,
        E: Into<BoxError> + 'static,
    {
        result.map(Into::into).map_err(crate::error::box_error)
    }
}
