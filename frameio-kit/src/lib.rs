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
pub mod handler;
pub mod middleware;
pub mod response;
pub mod secret;
pub mod server;
pub mod signature;
pub mod store;

pub use app::App;
pub use error::{BoxError, ConfigurationError, StartupError, StartupProblem};
pub use event::{
    Account, ActionEvent, FormError, Project, Resource, ResourceType, User, WebhookEvent, Workspace,
};
pub use handler::{
    ActionOutput, Delivery, DeliveryEvent, FromDelivery, Handler, HandlerKind, Headers, State,
    WebhookOutput,
};
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
///     println!("{} {}", event.event_type, event.resource_id());
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
/// | `crate = "path"` | where frameio-kit is, if you renamed the dependency |
///
/// The function must be a free `async fn` whose arguments implement
/// [`FromDelivery`] (the first is usually [`WebhookEvent`]) and which returns
/// `Result<(), E>` (or `()`), `E` being any error convertible into [`BoxError`]. It expands to
/// the function unchanged plus a registration record collected at link time; nothing else.
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
/// | `name = "…"` | the name shown in the Frame.io menu (required) |
/// | `description = "…"` | a longer description |
/// | `secret_env = "NAME"` | read the signing secret from `NAME` at start-up instead of `CUSTOM_ACTION_SECRET` |
/// | `secret = path::to::resolver` | resolve the secret per delivery: `async fn(&ActionEvent) -> Result<S, E>` with `S: Into<Secrets>` |
/// | `resource_types = ["file", …]` | only offer the action on these types (`file`, `folder`, `version_stack`); other clicks get an "Action Not Available" message |
/// | `require_user_auth` | run only for users signed in with Adobe; others get a sign-in Form first (needs [`App::user_auth`]) |
/// | `crate = "path"` | where frameio-kit is, if you renamed the dependency |
///
/// The function must be a free `async fn` whose arguments implement [`FromDelivery`] (the first
/// is usually [`ActionEvent`]) and which returns `Result<T, E>` with `T` one of [`Message`],
/// [`Form`], [`ActionResponse`], `Option` of those or `()`.
pub use frameio_kit_macros::action;

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

/// Everything a handler file usually needs: `use frameio_kit::prelude::*;`.
pub mod prelude {
    pub use crate::{
        ActionEvent, ActionResponse, App, CheckboxField, ConfigurationError, Delivery, Form,
        Handler, Headers, LinkField, Message, Middleware, Next, Result, SelectField, State,
        TextField, TextareaField, WebhookEvent, action, webhook,
    };
}

/// Re-exported so users can mount the receiver without naming another version of actix-web.
pub use actix_web;

/// Support for the attribute macros. **Not public API**: it may change in any release.
#[doc(hidden)]
pub mod __private {
    pub use crate::error::BoxError;
    pub use crate::handler::DeliveryEvent;
    pub use crate::handler::{
        ArgCheck, BoxFuture, Delivery, FromDelivery, HandlerResult, Registration,
    };
    pub use crate::response::ActionResponse;
    pub use crate::secret::Secrets;
    pub use inventory;

    use crate::event::{ActionEvent, WebhookEvent};
    use crate::handler::{ActionOutput, WebhookOutput};

    /// The webhook event a `secret = …` resolver of a webhook handler receives.
    pub fn webhook_event(event: &DeliveryEvent) -> Result<&WebhookEvent, BoxError> {
        match event {
            DeliveryEvent::Webhook(event) => Ok(event),
            DeliveryEvent::Action(_) => Err("a webhook secret resolver got an action event".into()),
        }
    }

    /// The action event a `secret = …` resolver of an action handler receives.
    pub fn action_event(event: &DeliveryEvent) -> Result<&ActionEvent, BoxError> {
        match event {
            DeliveryEvent::Action(event) => Ok(event),
            DeliveryEvent::Webhook(_) => {
                Err("an action secret resolver got a webhook event".into())
            }
        }
    }

    /// Converts what a `secret = …` resolver returned.
    pub fn resolved<S, E>(result: Result<S, E>) -> Result<Secrets, BoxError>
    where
        S: Into<Secrets>,
        E: Into<BoxError> + 'static,
    {
        result.map(Into::into).map_err(crate::error::box_error)
    }

    /// Boxes a handler future, requiring it to be `Send`.
    pub fn boxed<F>(future: F) -> BoxFuture<'static, HandlerResult>
    where
        F: Future<Output = HandlerResult> + Send + 'static,
    {
        Box::pin(future)
    }

    /// Converts a webhook handler's return value.
    pub fn webhook_output<O: WebhookOutput>(output: O) -> HandlerResult {
        output.into_result().map(|()| ActionResponse::None)
    }

    /// Converts an action handler's return value.
    pub fn action_output<O: ActionOutput>(output: O) -> HandlerResult {
        output.into_result()
    }
}
