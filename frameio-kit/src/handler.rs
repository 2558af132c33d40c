//! Handlers: what runs for an event, what it may take as arguments ([`FromDelivery`]) and what
//! it may return ([`WebhookOutput`], [`ActionOutput`]).
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

use std::any::{Any, TypeId, type_name};
use std::collections::HashMap;
use std::fmt;
use std::future::Future;
use std::ops::Deref;
use std::pin::Pin;
use std::sync::Arc;

use crate::error::BoxError;
use crate::event::{ActionEvent, Resource, ResourceType, WebhookEvent};
use crate::response::{ActionResponse, Form, Message};
use crate::secret::{FnResolver, ResolverFn, Secret, SecretResolver, SecretSource, SharedResolver};

/// A boxed, sendable future (what erased handlers return).
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// What an erased handler call produces: the answer, or the handler's error.
pub type HandlerResult = Result<ActionResponse, BoxError>;

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

/// The parsed event of a delivery.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum DeliveryEvent {
    /// A webhook event.
    Webhook(WebhookEvent),
    /// A custom action event.
    Action(ActionEvent),
}

/// The request headers of a delivery (names lower-cased).
///
/// Also an extractor: take `Headers` as a handler argument to read them. Stored as one
/// buffer plus offsets, so building it costs two allocations however many headers there are.
#[derive(Clone, Default)]
pub struct Headers {
    /// Every name and value, back to back.
    buf: Vec<u8>,
    /// `(name start, value start, value end)` into `buf`; a name ends where its value starts.
    entries: Vec<(usize, usize, usize)>,
}

impl Headers {
    /// An empty header list.
    pub fn new() -> Self {
        Self::default()
    }

    /// An empty header list with room for `headers` entries of `bytes` bytes in all.
    pub fn with_capacity(headers: usize, bytes: usize) -> Self {
        Self {
            buf: Vec::with_capacity(bytes),
            entries: Vec::with_capacity(headers),
        }
    }

    /// Adds a header (the name is lower-cased).
    pub fn insert(&mut self, name: &str, value: impl AsRef<[u8]>) {
        let name_start = self.buf.len();
        self.buf
            .extend(name.bytes().map(|b| b.to_ascii_lowercase()));
        let value_start = self.buf.len();
        self.buf.extend_from_slice(value.as_ref());
        self.entries.push((name_start, value_start, self.buf.len()));
    }

    /// The first value of a header, as text (`None` when absent or not UTF-8).
    pub fn get(&self, name: &str) -> Option<&str> {
        self.get_bytes(name)
            .and_then(|value| std::str::from_utf8(value).ok())
    }

    /// The first value of a header, as bytes.
    pub fn get_bytes(&self, name: &str) -> Option<&[u8]> {
        self.entries.iter().find_map(|&(n, v, end)| {
            self.buf[n..v]
                .eq_ignore_ascii_case(name.as_bytes())
                .then(|| &self.buf[v..end])
        })
    }

    /// Every header, in the order received.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &[u8])> {
        self.entries.iter().map(|&(n, v, end)| {
            // Names are inserted from `&str` and only ASCII-lower-cased, so they stay UTF-8.
            let name = std::str::from_utf8(&self.buf[n..v]).unwrap_or_default();
            (name, &self.buf[v..end])
        })
    }

    /// How many headers there are.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// `true` when there are none.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

/// Header names whose values are never shown by `Debug`.
const SENSITIVE_HEADERS: &[&str] = &[
    "authorization",
    "cookie",
    "proxy-authorization",
    "x-frameio-signature",
];

impl fmt::Debug for Headers {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut map = f.debug_map();
        for (name, value) in self.iter() {
            if SENSITIVE_HEADERS.contains(&name) {
                map.entry(&name, &"<redacted>");
            } else {
                map.entry(&name, &String::from_utf8_lossy(value));
            }
        }
        map.finish()
    }
}

/// Values shared with every handler, keyed by type (see [`State`]).
#[derive(Clone, Default)]
pub struct AppData {
    values: HashMap<TypeId, (&'static str, Arc<dyn Any + Send + Sync>)>,
}

impl AppData {
    /// Adds a value; a second value of the same type replaces the first.
    pub fn insert<T: Send + Sync + 'static>(&mut self, value: Arc<T>) {
        self.values
            .insert(TypeId::of::<T>(), (type_name::<T>(), value));
    }

    /// The value of type `T`, if one was added.
    pub fn get<T: Send + Sync + 'static>(&self) -> Option<Arc<T>> {
        let (_, value) = self.values.get(&TypeId::of::<T>())?;
        Arc::clone(value).downcast::<T>().ok()
    }

    /// `true` when a value of type `T` was added.
    pub fn contains<T: 'static>(&self) -> bool {
        self.values.contains_key(&TypeId::of::<T>())
    }
}

impl fmt::Debug for AppData {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set()
            .entries(self.values.values().map(|(name, _)| name))
            .finish()
    }
}

/// Everything a handler argument can be built from: the verified event, the request headers
/// and the application's shared values.
#[derive(Clone)]
pub struct Delivery {
    event: DeliveryEvent,
    headers: Headers,
    data: Arc<AppData>,
    extension: Option<Arc<dyn Any + Send + Sync>>,
}

impl fmt::Debug for Delivery {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Delivery")
            .field("event", &self.event)
            .field("headers", &self.headers)
            .field("data", &self.data)
            .finish_non_exhaustive()
    }
}

impl Delivery {
    /// Assembles a delivery (the dispatcher does this; tests may too).
    pub fn new(event: DeliveryEvent, headers: Headers, data: Arc<AppData>) -> Self {
        Self {
            event,
            headers,
            data,
            extension: None,
        }
    }

    /// The value an earlier pipeline step left for the extractors (the signed-in user).
    #[cfg_attr(not(feature = "auth"), allow(dead_code))]
    pub(crate) fn extension<T: Send + Sync + 'static>(&self) -> Option<&T> {
        self.extension.as_deref()?.downcast_ref::<T>()
    }

    pub(crate) fn set_extension_boxed(&mut self, value: Box<dyn Any + Send + Sync>) {
        self.extension = Some(Arc::from(value));
    }

    /// The verified event.
    pub fn event(&self) -> &DeliveryEvent {
        &self.event
    }

    /// The request headers.
    pub fn headers(&self) -> &Headers {
        &self.headers
    }

    /// The application's shared values.
    pub fn data(&self) -> &AppData {
        &self.data
    }

    /// The event type of the delivery.
    pub fn event_type(&self) -> &str {
        self.event.event_type()
    }

    /// Whether this is a webhook or a custom action delivery.
    pub fn kind(&self) -> HandlerKind {
        self.event.kind()
    }

    /// The account id, whatever the kind of delivery.
    pub fn account_id(&self) -> &str {
        self.event.account_id()
    }

    /// The id of the user behind the delivery.
    pub fn user_id(&self) -> &str {
        self.event.user_id()
    }

    /// The resource the delivery is about.
    pub fn resource(&self) -> &Resource {
        self.event.resource()
    }
}

impl DeliveryEvent {
    /// The event type.
    pub fn event_type(&self) -> &str {
        match self {
            Self::Webhook(e) => &e.event_type,
            Self::Action(e) => &e.event_type,
        }
    }

    /// Whether this is a webhook or a custom action event.
    pub fn kind(&self) -> HandlerKind {
        match self {
            Self::Webhook(_) => HandlerKind::Webhook,
            Self::Action(_) => HandlerKind::Action,
        }
    }

    /// The account id.
    pub fn account_id(&self) -> &str {
        match self {
            Self::Webhook(e) => e.account_id(),
            Self::Action(e) => e.account_id(),
        }
    }

    /// The id of the user behind the event.
    pub fn user_id(&self) -> &str {
        match self {
            Self::Webhook(e) => e.user_id(),
            Self::Action(e) => e.user_id(),
        }
    }

    /// The resource the event is about.
    pub fn resource(&self) -> &Resource {
        match self {
            Self::Webhook(e) => &e.resource,
            Self::Action(e) => &e.resource,
        }
    }
}

/// What a handler argument type is checked against when the app starts.
#[derive(Debug)]
#[non_exhaustive]
pub struct StartupContext<'a> {
    /// The kind of handler that takes the argument.
    pub kind: HandlerKind,
    /// The application's shared values.
    pub data: &'a AppData,
}

/// A start-up check of one handler argument type: `Err` says what is wrong.
pub type ArgCheck = fn(&StartupContext<'_>) -> Result<(), String>;

/// A type that can be a handler argument: built for each delivery from the [`Delivery`].
///
/// Implement it for your own types to give handlers what they need (a tenant looked up from
/// the account id, a database connection, …). Failing with an error gives the delivery a 500,
/// or a 503 for a [`ConfigurationError`](crate::ConfigurationError).
///
/// ```
/// use frameio_kit::{BoxError, Delivery, FromDelivery};
///
/// /// The account id of the delivery, whatever its kind.
/// struct AccountId(String);
///
/// impl FromDelivery for AccountId {
///     async fn from_delivery(delivery: &Delivery) -> Result<Self, BoxError> {
///         let id = match delivery.event() {
///             frameio_kit::DeliveryEvent::Webhook(e) => e.account_id(),
///             frameio_kit::DeliveryEvent::Action(e) => e.account_id(),
///             _ => return Err("unknown delivery kind".into()),
///         };
///         Ok(AccountId(id.to_owned()))
///     }
/// }
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be a frameio-kit handler argument",
    label = "not a handler argument",
    note = "handler arguments implement `frameio_kit::FromDelivery`: the event (`WebhookEvent` for webhooks, `ActionEvent` for actions), `State<T>`, `Headers`, the API `Client`, or your own type"
)]
pub trait FromDelivery: Sized + Send + 'static {
    /// Builds the argument for one delivery.
    fn from_delivery(delivery: &Delivery) -> impl Future<Output = Result<Self, BoxError>> + Send;

    /// Checked once per handler when the app starts; return `Err` with a sentence saying what
    /// is missing (for example shared state nobody registered).
    fn check(_cx: &StartupContext<'_>) -> Result<(), String> {
        Ok(())
    }
}

impl FromDelivery for WebhookEvent {
    async fn from_delivery(delivery: &Delivery) -> Result<Self, BoxError> {
        match &delivery.event {
            DeliveryEvent::Webhook(event) => Ok(event.clone()),
            DeliveryEvent::Action(_) => Err("a webhook handler received an action event".into()),
        }
    }

    fn check(cx: &StartupContext<'_>) -> Result<(), String> {
        match cx.kind {
            HandlerKind::Webhook => Ok(()),
            HandlerKind::Action => {
                Err("takes `WebhookEvent`, but actions receive `ActionEvent`".to_owned())
            }
        }
    }
}

impl FromDelivery for ActionEvent {
    async fn from_delivery(delivery: &Delivery) -> Result<Self, BoxError> {
        match &delivery.event {
            DeliveryEvent::Action(event) => Ok(event.clone()),
            DeliveryEvent::Webhook(_) => Err("an action handler received a webhook event".into()),
        }
    }

    fn check(cx: &StartupContext<'_>) -> Result<(), String> {
        match cx.kind {
            HandlerKind::Action => Ok(()),
            HandlerKind::Webhook => {
                Err("takes `ActionEvent`, but webhooks receive `WebhookEvent`".to_owned())
            }
        }
    }
}

impl FromDelivery for Headers {
    async fn from_delivery(delivery: &Delivery) -> Result<Self, BoxError> {
        Ok(delivery.headers.clone())
    }
}

/// Shared application state: register a value with [`App::state`](crate::App::state) and
/// take `State<T>` as a handler argument. A handler asking for state nobody registered is a
/// start-up error that names it.
///
/// ```
/// use frameio_kit::{App, Handler, State, WebhookEvent};
///
/// struct Config { greeting: String }
///
/// async fn on_ready(_event: WebhookEvent, config: State<Config>) -> Result<(), std::io::Error> {
///     println!("{}", config.greeting);
///     Ok(())
/// }
///
/// let service = App::new()
///     .state(Config { greeting: "hi".into() })
///     .handler(Handler::webhook(["file.ready"], on_ready).secret("s"))
///     .build();
/// assert!(service.is_ok());
///
/// // Without the state, the app refuses to start and says why.
/// let err = App::new()
///     .handler(Handler::webhook(["file.ready"], on_ready).secret("s"))
///     .build()
///     .unwrap_err();
/// assert!(err.to_string().contains("Config"));
/// ```
pub struct State<T: ?Sized>(Arc<T>);

impl<T: ?Sized> State<T> {
    /// Wraps a shared value (tests calling handlers directly build `State`s this way).
    pub fn new(value: Arc<T>) -> Self {
        Self(value)
    }

    /// The shared value's `Arc`, e.g. to move it into a spawned task.
    pub fn arc(&self) -> &Arc<T> {
        &self.0
    }

    /// Unwraps the `Arc`.
    pub fn into_inner(self) -> Arc<T> {
        self.0
    }
}

impl<T: ?Sized> Clone for State<T> {
    fn clone(&self) -> Self {
        Self(Arc::clone(&self.0))
    }
}

impl<T: ?Sized> Deref for State<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for State<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("State").field(&&*self.0).finish()
    }
}

impl<T: Send + Sync + 'static> FromDelivery for State<T> {
    async fn from_delivery(delivery: &Delivery) -> Result<Self, BoxError> {
        delivery.data.get::<T>().map(State).ok_or_else(|| {
            crate::ConfigurationError::new(format!(
                "no state of type `{}` is registered",
                type_name::<T>()
            ))
            .into()
        })
    }

    fn check(cx: &StartupContext<'_>) -> Result<(), String> {
        if cx.data.contains::<T>() {
            Ok(())
        } else {
            Err(format!(
                "takes `State<{}>`, but no such state is registered (add it with `App::state`)",
                type_name::<T>()
            ))
        }
    }
}

/// What a webhook handler may return: `Result<(), E>` for any error `E` convertible into a
/// boxed error (`anyhow::Error`, `std::io::Error`, your `thiserror` enum…), or `()`.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a valid webhook handler return type",
    label = "webhook handlers return `Result<(), E>` or `()`",
    note = "`E` may be any error convertible into `Box<dyn std::error::Error + Send + Sync>`, such as `anyhow::Error`"
)]
pub trait WebhookOutput {
    /// Converts the handler's return value.
    fn into_result(self) -> Result<(), BoxError>;
}

impl WebhookOutput for () {
    fn into_result(self) -> Result<(), BoxError> {
        Ok(())
    }
}

impl<E: Into<BoxError> + 'static> WebhookOutput for Result<(), E> {
    fn into_result(self) -> Result<(), BoxError> {
        self.map_err(crate::error::box_error)
    }
}

/// What an action handler may return: `Result<T, E>` where `T` is a [`Message`], a [`Form`],
/// an [`ActionResponse`], an `Option` of those, or `()`; or any of those directly.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a valid action handler return type",
    label = "action handlers return `Result<T, E>` where `T: Into<ActionResponse>`",
    note = "`T` may be `Message`, `Form`, `ActionResponse`, `Option<_>` of those, or `()`; `E` any error convertible into `Box<dyn std::error::Error + Send + Sync>`"
)]
pub trait ActionOutput {
    /// Converts the handler's return value.
    fn into_result(self) -> Result<ActionResponse, BoxError>;
}

impl<T: Into<ActionResponse>, E: Into<BoxError> + 'static> ActionOutput for Result<T, E> {
    fn into_result(self) -> Result<ActionResponse, BoxError> {
        self.map(Into::into).map_err(crate::error::box_error)
    }
}

macro_rules! direct_action_output {
    ($($ty:ty),*) => {$(
        impl ActionOutput for $ty {
            fn into_result(self) -> Result<ActionResponse, BoxError> {
                Ok(self.into())
            }
        }
    )*};
}
direct_action_output!(Message, Form, ActionResponse, ());

impl<T: Into<ActionResponse>> ActionOutput for Option<T> {
    fn into_result(self) -> Result<ActionResponse, BoxError> {
        Ok(self.into())
    }
}

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
}

impl Handler {
    /// A webhook handler for one or more event types, from an async function whose arguments
    /// are all [`FromDelivery`] types.
    pub fn webhook<I, S, F, Args>(events: I, function: F) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
        F: WebhookFn<Args>,
    {
        Self {
            kind: HandlerKind::Webhook,
            events: events.into_iter().map(Into::into).collect(),
            function: type_name::<F>().to_owned(),
            name: None,
            description: None,
            secret: SecretSource::Default,
            resource_types: None,
            require_user_auth: false,
            checks: F::checks(),
            call: function.erase(),
        }
    }

    /// A custom action handler for one event key.
    pub fn action<F, Args>(event: impl Into<String>, function: F) -> Self
    where
        F: ActionFn<Args>,
    {
        Self {
            kind: HandlerKind::Action,
            events: vec![event.into()],
            function: type_name::<F>().to_owned(),
            name: None,
            description: None,
            secret: SecretSource::Default,
            resource_types: None,
            require_user_auth: false,
            checks: F::checks(),
            call: function.erase(),
        }
    }

    /// The action's display name (what users see in the menu). Actions only.
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

    pub(crate) fn from_registration(reg: &'static Registration) -> Self {
        let call = reg.call;
        Self {
            kind: reg.kind,
            events: reg.events.iter().map(|e| (*e).to_owned()).collect(),
            function: reg.function.to_owned(),
            name: reg.name.map(str::to_owned),
            description: reg.description.map(str::to_owned),
            secret: match (reg.secret_env, reg.resolver) {
                (Some(variable), _) => SecretSource::Env(variable.to_owned()),
                (None, Some(resolver)) => {
                    SecretSource::Resolver(SharedResolver(Arc::new(FnResolver(resolver))))
                }
                (None, None) => SecretSource::Default,
            },
            resource_types: reg
                .resource_types
                .map(|types| types.iter().map(|t| ResourceType::from(*t)).collect()),
            require_user_auth: reg.require_user_auth,
            checks: reg.checks.to_vec(),
            call: Arc::new(move |delivery| call(delivery)),
        }
    }
}

impl fmt::Debug for Handler {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Handler")
            .field("kind", &self.kind)
            .field("events", &self.events)
            .field("function", &self.function)
            .field("name", &self.name)
            .field("secret", &self.secret)
            .field("resource_types", &self.resource_types)
            .field("require_user_auth", &self.require_user_auth)
            .finish_non_exhaustive()
    }
}

/// An async function usable as a webhook handler: every argument is [`FromDelivery`] and it
/// returns a [`WebhookOutput`]. Implemented for functions of 1 to 8 arguments.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a valid webhook handler",
    note = "a webhook handler is an `async fn` whose arguments implement `FromDelivery` and that returns `Result<(), E>`; its future must be `Send`"
)]
pub trait WebhookFn<Args>: Send + Sync + 'static {
    /// Boxes the function behind a uniform signature.
    fn erase(self) -> ErasedCall;
    /// The start-up checks of its argument types.
    fn checks() -> Vec<ArgCheck>;
}

/// An async function usable as an action handler: every argument is [`FromDelivery`] and it
/// returns an [`ActionOutput`]. Implemented for functions of 1 to 8 arguments.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a valid action handler",
    note = "an action handler is an `async fn` whose arguments implement `FromDelivery` and that returns `Result<T, E>` with `T: Into<ActionResponse>`; its future must be `Send`"
)]
pub trait ActionFn<Args>: Send + Sync + 'static {
    /// Boxes the function behind a uniform signature.
    fn erase(self) -> ErasedCall;
    /// The start-up checks of its argument types.
    fn checks() -> Vec<ArgCheck>;
}

macro_rules! impl_handler_fns {
    ($($arg:ident),+) => {
        impl<Func, Fut, $($arg),+> WebhookFn<($($arg,)+)> for Func
        where
            Func: Fn($($arg),+) -> Fut + Send + Sync + 'static,
            Fut: Future + Send + 'static,
            Fut::Output: WebhookOutput,
            $($arg: FromDelivery,)+
        {
            fn erase(self) -> ErasedCall {
                let function = Arc::new(self);
                Arc::new(move |delivery: Delivery| {
                    let function = Arc::clone(&function);
                    Box::pin(async move {
                        #[allow(non_snake_case)]
                        let ($($arg,)+) = ($($arg::from_delivery(&delivery).await?,)+);
                        function($($arg),+).await.into_result()?;
                        Ok(ActionResponse::None)
                    })
                })
            }

            fn checks() -> Vec<ArgCheck> {
                vec![$(<$arg as FromDelivery>::check),+]
            }
        }

        impl<Func, Fut, $($arg),+> ActionFn<($($arg,)+)> for Func
        where
            Func: Fn($($arg),+) -> Fut + Send + Sync + 'static,
            Fut: Future + Send + 'static,
            Fut::Output: ActionOutput,
            $($arg: FromDelivery,)+
        {
            fn erase(self) -> ErasedCall {
                let function = Arc::new(self);
                Arc::new(move |delivery: Delivery| {
                    let function = Arc::clone(&function);
                    Box::pin(async move {
                        #[allow(non_snake_case)]
                        let ($($arg,)+) = ($($arg::from_delivery(&delivery).await?,)+);
                        function($($arg),+).await.into_result()
                    })
                })
            }

            fn checks() -> Vec<ArgCheck> {
                vec![$(<$arg as FromDelivery>::check),+]
            }
        }
    };
}

impl_handler_fns!(A1);
impl_handler_fns!(A1, A2);
impl_handler_fns!(A1, A2, A3);
impl_handler_fns!(A1, A2, A3, A4);
impl_handler_fns!(A1, A2, A3, A4, A5);
impl_handler_fns!(A1, A2, A3, A4, A5, A6);
impl_handler_fns!(A1, A2, A3, A4, A5, A6, A7);
impl_handler_fns!(A1, A2, A3, A4, A5, A6, A7, A8);

/// The record the attribute macros submit to the link-time registry. Not public API: build
/// handlers with [`Handler`] instead.
#[doc(hidden)]
#[derive(Debug)]
pub struct Registration {
    kind: HandlerKind,
    events: &'static [&'static str],
    function: &'static str,
    name: Option<&'static str>,
    description: Option<&'static str>,
    secret_env: Option<&'static str>,
    resolver: Option<ResolverFn>,
    resource_types: Option<&'static [&'static str]>,
    require_user_auth: bool,
    checks: &'static [ArgCheck],
    call: fn(Delivery) -> BoxFuture<'static, HandlerResult>,
}

impl Registration {
    /// A webhook registration.
    pub const fn webhook(
        function: &'static str,
        events: &'static [&'static str],
        checks: &'static [ArgCheck],
        call: fn(Delivery) -> BoxFuture<'static, HandlerResult>,
    ) -> Self {
        Self {
            kind: HandlerKind::Webhook,
            events,
            function,
            name: None,
            description: None,
            secret_env: None,
            resolver: None,
            resource_types: None,
            require_user_auth: false,
            checks,
            call,
        }
    }

    /// An action registration.
    pub const fn action(
        function: &'static str,
        events: &'static [&'static str],
        checks: &'static [ArgCheck],
        call: fn(Delivery) -> BoxFuture<'static, HandlerResult>,
    ) -> Self {
        Self {
            kind: HandlerKind::Action,
            events,
            function,
            name: None,
            description: None,
            secret_env: None,
            resolver: None,
            resource_types: None,
            require_user_auth: false,
            checks,
            call,
        }
    }

    /// Sets the action's display name and description.
    pub const fn describe(mut self, name: &'static str, description: &'static str) -> Self {
        self.name = Some(name);
        self.description = Some(description);
        self
    }

    /// Reads the secret from this environment variable.
    pub const fn secret_env(mut self, variable: &'static str) -> Self {
        self.secret_env = Some(variable);
        self
    }

    /// Resolves the secret for each delivery with this function.
    pub const fn secret_resolver(mut self, resolver: ResolverFn) -> Self {
        self.resolver = Some(resolver);
        self
    }

    /// Requires a signed-in user.
    pub const fn require_user_auth(mut self) -> Self {
        self.require_user_auth = true;
        self
    }

    /// Restricts the action to these resource types (wire names).
    pub const fn resource_types(mut self, types: &'static [&'static str]) -> Self {
        self.resource_types = Some(types);
        self
    }
}

inventory::collect!(Registration);

/// Every handler registered with the attribute macros in the linked crates, in a stable
/// order (by function name, then event).
pub fn registered() -> Vec<Handler> {
    let mut handlers: Vec<Handler> = inventory::iter::<Registration>
        .into_iter()
        .map(Handler::from_registration)
        .collect();
    handlers.sort_by(|a, b| (&a.function, &a.events).cmp(&(&b.function, &b.events)));
    handlers
}

#[cfg(test)]
mod header_tests {
    use super::Headers;

    #[test]
    fn headers_are_case_insensitive_ordered_and_redacted() {
        let mut headers = Headers::with_capacity(3, 64);
        headers.insert("X-Frameio-Signature", "v0=abc");
        headers.insert("Content-Type", "application/json");
        headers.insert("x-custom", [0xff, 0x00]);
        headers.insert("content-type", "second");
        assert_eq!(headers.len(), 4);
        assert_eq!(headers.get("CONTENT-TYPE"), Some("application/json"));
        assert_eq!(headers.get("x-custom"), None, "not UTF-8");
        assert_eq!(headers.get_bytes("x-custom"), Some(&[0xff, 0x00][..]));
        assert_eq!(headers.get("missing"), None);
        let names: Vec<&str> = headers.iter().map(|(n, _)| n).collect();
        assert_eq!(
            names,
            [
                "x-frameio-signature",
                "content-type",
                "x-custom",
                "content-type"
            ]
        );
        let shown = format!("{headers:?}");
        assert!(
            !shown.contains("v0=abc") && shown.contains("<redacted>"),
            "{shown}"
        );
        assert!(Headers::new().is_empty());
    }
}
