//! Handlers: what runs for an event, what it may take as arguments ([`FromDelivery`]) and what
//! it may return ([`WebhookOutput`], [`ActionOutput`]).
//!
//! By concern: the [`Handler`] builder lives here; [`Delivery`], [`Headers`] and [`AppData`] in
//! `delivery`; the [`FromDelivery`] extractors and [`State`] in `extractors`; what handlers
//! return and the function traits in `outputs`; the link-time registry in `registry`.
//!
//! The attribute macros [`webhook`](crate::webhook) and [`action`](crate::action) register
//! handlers at link time. Everything they do can also be done by hand with
//! [`Handler::webhook`] / [`Handler::action`] and the [`App`](crate::App) builder, which is how
//! tests build isolated apps:
//!
//! ```
//! use frameio_kit::{App, Handler, Message, ActionEvent, WebhookEvent};
//!
//! async fn on_ready(event: WebhookEvent) -> Result<(), std::io::Error> {
//!     println!("{} is ready", event.resource_id());
//!     Ok(())
//! }
//!
//! async fn greet(event: ActionEvent) -> Result<Message, std::io::Error> {
//!     Ok(Message::new("Hello", format!("Hello, user {}", event.user_id())))
//! }
//!
//! let app = App::new()
//!     .handler(Handler::webhook(["file.ready"], on_ready).secret("webhook-secret"))
//!     .handler(
//!         Handler::action("greet", greet)
//!             .name("Greet")
//!             .description("Say hello")
//!             .secret("action-secret"),
//!     );
//! let service = app.build().expect("valid configuration");
//! assert_eq!(service.handler_count(), 2);
//! ```

mod delivery;
mod extractors;
mod outputs;
mod registry;

use std::any::type_name;
use std::fmt;
use std::sync::Arc;

use std::time::Duration;

use crate::delivery::deadline::LateHook;
use crate::delivery::{HandlerOptions, RetryPolicy};
use crate::error::BoxError;
use crate::event::ResourceType;
use crate::response::ActionResponse;
use crate::response::Message;
use crate::secret::{Secret, SecretResolver, SecretSource, SharedResolver};

pub use crate::BoxFuture;
pub use crate::event::{DeliveryEvent, HandlerKind};
pub use delivery::{AppData, Delivery, Headers};
pub use extractors::{ArgCheck, FromDelivery, StartupContext, State};
pub use outputs::{ActionFn, ActionOutput, WebhookFn, WebhookOutput};
#[doc(hidden)]
pub use registry::Registered;
pub use registry::registered;

/// What an erased handler call produces: the answer, or the handler's error.
pub type HandlerResult = Result<ActionResponse, BoxError>;

type ErasedCall = Arc<dyn Fn(Delivery) -> BoxFuture<'static, HandlerResult> + Send + Sync>;

/// A handler ready to be added to an [`App`](crate::App): its event types, its secret source
/// and the function to run.
///
/// Built by the macros' registry, or by hand with [`Handler::webhook`] and [`Handler::action`].
#[derive(Clone)]
pub struct Handler {
    pub(crate) kind: HandlerKind,
    pub(crate) events: Vec<String>,
    pub(crate) function: String,
    pub(crate) name: Option<String>,
    pub(crate) description: Option<String>,
    pub(crate) secret: SecretSource,
    pub(crate) resource_types: Option<Vec<ResourceType>>,
    pub(crate) require_user_auth: bool,
    pub(crate) checks: Vec<ArgCheck>,
    pub(crate) call: ErasedCall,
    /// The delivery switches: background, retries, dedup, deadline, interim Message.
    pub(crate) options: HandlerOptions,
    /// Called with the result of a run that finished after its deadline.
    pub(crate) late_hook: Option<LateHook>,
}

impl Handler {
    /// A handler with every option at its default, named after the function's type.
    fn new<F>(
        kind: HandlerKind,
        events: Vec<String>,
        checks: Vec<ArgCheck>,
        call: ErasedCall,
    ) -> Self {
        Self {
            kind,
            events,
            function: type_name::<F>().to_owned(),
            name: None,
            description: None,
            secret: SecretSource::Default,
            resource_types: None,
            require_user_auth: false,
            checks,
            call,
            options: HandlerOptions::default(),
            late_hook: None,
        }
    }

    /// A webhook handler for one or more event types, from an async function whose arguments
    /// are all [`FromDelivery`] types.
    pub fn webhook<I, S, F, Args>(events: I, function: F) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
        F: WebhookFn<Args>,
    {
        let events = events.into_iter().map(Into::into).collect();
        Self::new::<F>(HandlerKind::Webhook, events, F::checks(), function.erase())
    }

    /// A custom action handler for one event key.
    pub fn action<F, Args>(event: impl Into<String>, function: F) -> Self
    where
        F: ActionFn<Args>,
    {
        let events = vec![event.into()];
        Self::new::<F>(HandlerKind::Action, events, F::checks(), function.erase())
    }

    /// The action's display name (what users see in the menu). Actions only; optional for
    /// both the builder and `#[action]`: Frame.io keeps its own copy, set when the action is
    /// created there, so the kit records it (for logs and manifests) without requiring it.
    #[must_use]
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }

    /// The action's description. Actions only.
    #[must_use]
    pub fn description(mut self, description: impl Into<String>) -> Self {
        self.description = Some(description.into());
        self
    }

    /// Accepts this signing secret. Call it several times to accept several secrets while
    /// rotating. Meant for tests and tools: in production prefer [`Handler::secret_env`], so
    /// secrets stay out of source code.
    #[must_use]
    pub fn secret(mut self, secret: impl Into<Secret>) -> Self {
        self.secret = match self.secret {
            SecretSource::Literal(mut secrets) => {
                secrets.push(secret.into());
                SecretSource::Literal(secrets)
            }
            _ => SecretSource::Literal(vec![secret.into()]),
        };
        self
    }

    /// Reads the signing secret from this environment variable when the app starts.
    #[must_use]
    pub fn secret_env(mut self, variable: impl Into<String>) -> Self {
        self.secret = SecretSource::Env(variable.into());
        self
    }

    /// Resolves this handler's secret for each delivery (see [`secret`](crate::secret) for the
    /// order of sources). Only the resolver method matching the handler's kind is called.
    #[must_use]
    pub fn secret_resolver(mut self, resolver: impl SecretResolver) -> Self {
        self.secret = SecretSource::Resolver(SharedResolver(Arc::new(resolver)));
        self
    }

    /// Restricts an action to these resource types. A click on any other type is answered
    /// with a Message saying which types the action is for, without running middleware or
    /// the handler. Actions only; the list may not be empty.
    #[must_use]
    pub fn resource_types<I, T>(mut self, types: I) -> Self
    where
        I: IntoIterator<Item = T>,
        T: Into<ResourceType>,
    {
        self.resource_types = Some(types.into_iter().map(Into::into).collect());
        self
    }

    /// Runs this action only for users who signed in with Adobe: others get the sign-in Form
    /// first (see [`auth::signin`](crate::auth)). Needs [`App::user_auth`](crate::App::user_auth).
    #[must_use]
    pub fn require_user_auth(mut self) -> Self {
        self.require_user_auth = true;
        self
    }

    /// `true` when the action requires a signed-in user.
    pub fn requires_user_auth(&self) -> bool {
        self.require_user_auth
    }

    /// The resource types an action is restricted to, if any.
    pub fn allowed_resource_types(&self) -> Option<&[ResourceType]> {
        self.resource_types.as_deref()
    }

    /// Runs this webhook in the background: once the delivery has passed the checks and the
    /// middleware, it is stored in the app's durable queue and answered `200 OK` at once; a
    /// worker runs the handler later, with the same extractors, retrying failures with the
    /// default [`RetryPolicy`] (5 attempts). Webhooks only; needs the `background` feature
    /// (see `docs/delivery.md`). Macro: `#[webhook("…", background)]`.
    #[must_use]
    pub fn background(mut self) -> Self {
        self.options = self.options.background();
        self
    }

    /// Runs this webhook in the background (see [`Handler::background`]) with this retry
    /// policy, or this many attempts in all: `.retries(3)`. Macro: `background, retries = 3`.
    #[must_use]
    pub fn retries(mut self, policy: impl Into<RetryPolicy>) -> Self {
        self.options = self.options.retries(policy.into());
        self
    }

    /// Answers `OK` without running when a delivery with a byte-identical body was accepted
    /// within `window` (Frame.io's retries of one event carry the same body). Two genuinely
    /// separate events with identical bodies inside the window collapse into one. Macro:
    /// `dedup = "10m"`.
    #[must_use]
    pub fn dedup(mut self, window: Duration) -> Self {
        self.options = self.options.dedup(window);
        self
    }

    /// Answers in time when the handler is slow: an action still running at `deadline`
    /// (default 9 s) gets its interim Message, a webhook (default 4.5 s) `OK`; the handler
    /// keeps running and its late result is logged and passed to the late-result hook.
    /// Macro: `deadline = "8s"`.
    #[must_use]
    pub fn deadline(mut self, deadline: Duration) -> Self {
        self.options = self.options.deadline(deadline);
        self
    }

    /// Waits for the handler however long it runs (Frame.io may then give up and retry).
    /// Macro: `no_deadline`.
    #[must_use]
    pub fn no_deadline(mut self) -> Self {
        self.options = self.options.no_deadline();
        self
    }

    /// The Message an action gets when it misses its deadline (default: the app's
    /// [`interim_message`](crate::App::interim_message)). Actions only.
    #[must_use]
    pub fn interim(mut self, message: Message) -> Self {
        self.options = self.options.interim(message);
        self
    }

    /// Called with the result of a run that finished after its deadline (instead of the
    /// app's [`on_late_result`](crate::App::on_late_result) hook), e.g. to tell the user with
    /// a comment. Build it with [`late_hook`](crate::delivery::deadline::late_hook).
    #[must_use]
    pub fn on_late_result(mut self, hook: LateHook) -> Self {
        self.late_hook = Some(hook);
        self
    }

    /// The delivery switches set with [`background`](Self::background),
    /// [`dedup`](Self::dedup), [`deadline`](Self::deadline) and the others.
    pub fn options(&self) -> &HandlerOptions {
        &self.options
    }

    /// `true` when the handler runs in the background.
    pub fn is_background(&self) -> bool {
        self.options.background.is_some()
    }

    /// The name shown in logs and start-up errors (for macro handlers, `module::function`).
    #[must_use]
    pub fn function_name(mut self, name: impl Into<String>) -> Self {
        self.function = name.into();
        self
    }

    /// Whether this handler answers webhooks or actions.
    pub fn kind(&self) -> HandlerKind {
        self.kind
    }

    /// The event types it handles.
    pub fn events(&self) -> &[String] {
        &self.events
    }

    /// The name shown in logs and start-up errors.
    pub fn function(&self) -> &str {
        &self.function
    }

    /// The action's display name, if any.
    pub fn display_name(&self) -> Option<&str> {
        self.name.as_deref()
    }

    /// The action's description, if any.
    pub fn action_description(&self) -> Option<&str> {
        self.description.as_deref()
    }

    /// Calls the handler directly with a delivery, bypassing HTTP, signatures and routing
    /// (useful in tests).
    pub fn call(&self, delivery: Delivery) -> BoxFuture<'static, HandlerResult> {
        (self.call)(delivery)
    }
}

impl fmt::Debug for Handler {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Handler")
            .field("kind", &self.kind)
            .field("events", &self.events)
            .field("function", &self.function)
            .field("name", &self.name)
            .field("description", &self.description)
            .field("secret", &self.secret)
            .field("resource_types", &self.resource_types)
            .field("require_user_auth", &self.require_user_auth)
            .field("options", &self.options)
            .field("late_hook", &self.late_hook.is_some())
            .finish_non_exhaustive()
    }
}
