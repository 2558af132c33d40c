//! What a handler may take as arguments: the [`FromDelivery`] trait, its start-up check and
//! the built-in extractors (the events, [`Headers`], [`State`]).

use std::any::type_name;
use std::fmt;
use std::future::Future;
use std::ops::Deref;
use std::sync::Arc;

use super::{AppData, Delivery, DeliveryEvent, HandlerKind, Headers};
use crate::error::{ArgumentProblem, BoxError};
use crate::event::{ActionEvent, WebhookEvent};

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
pub type ArgCheck = fn(&StartupContext<'_>) -> Result<(), ArgumentProblem>;

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

    /// Checked once per handler when the app starts; return `Err` saying what is missing.
    /// A plain sentence converts: `Err("needs a database pool".into())` (it becomes
    /// [`ArgumentProblem::Custom`]); the app names the handler and refuses to start.
    fn check(_cx: &StartupContext<'_>) -> Result<(), ArgumentProblem> {
        Ok(())
    }

    /// Builds the argument from the delivery itself: called for a handler's last argument,
    /// once the others are built, so an extractor that only moves a part out (the event,
    /// the headers) need not clone it. Same result as [`from_delivery`](Self::from_delivery),
    /// which it calls unless overridden.
    #[doc(hidden)]
    fn from_delivery_owned(
        delivery: Delivery,
    ) -> impl Future<Output = Result<Self, BoxError>> + Send {
        async move { Self::from_delivery(&delivery).await }
    }
}

const WEBHOOK_GOT_ACTION: &str = "a webhook handler received an action event";
const ACTION_GOT_WEBHOOK: &str = "an action handler received a webhook event";

impl FromDelivery for WebhookEvent {
    async fn from_delivery(delivery: &Delivery) -> Result<Self, BoxError> {
        match &delivery.event {
            DeliveryEvent::Webhook(event) => Ok(event.clone()),
            DeliveryEvent::Action(_) => Err(WEBHOOK_GOT_ACTION.into()),
        }
    }

    fn from_delivery_owned(
        delivery: Delivery,
    ) -> impl Future<Output = Result<Self, BoxError>> + Send {
        std::future::ready(match delivery.event {
            DeliveryEvent::Webhook(event) => Ok(event),
            DeliveryEvent::Action(_) => Err(WEBHOOK_GOT_ACTION.into()),
        })
    }

    fn check(cx: &StartupContext<'_>) -> Result<(), ArgumentProblem> {
        match cx.kind {
            HandlerKind::Webhook => Ok(()),
            _ => Err(ArgumentProblem::WrongEvent {
                takes: HandlerKind::Webhook,
            }),
        }
    }
}

impl FromDelivery for ActionEvent {
    async fn from_delivery(delivery: &Delivery) -> Result<Self, BoxError> {
        match &delivery.event {
            DeliveryEvent::Action(event) => Ok(event.clone()),
            DeliveryEvent::Webhook(_) => Err(ACTION_GOT_WEBHOOK.into()),
        }
    }

    fn from_delivery_owned(
        delivery: Delivery,
    ) -> impl Future<Output = Result<Self, BoxError>> + Send {
        std::future::ready(match delivery.event {
            DeliveryEvent::Action(event) => Ok(event),
            DeliveryEvent::Webhook(_) => Err(ACTION_GOT_WEBHOOK.into()),
        })
    }

    fn check(cx: &StartupContext<'_>) -> Result<(), ArgumentProblem> {
        match cx.kind {
            HandlerKind::Action => Ok(()),
            _ => Err(ArgumentProblem::WrongEvent {
                takes: HandlerKind::Action,
            }),
        }
    }
}

impl FromDelivery for Headers {
    async fn from_delivery(delivery: &Delivery) -> Result<Self, BoxError> {
        Ok(delivery.headers.clone())
    }

    fn from_delivery_owned(
        delivery: Delivery,
    ) -> impl Future<Output = Result<Self, BoxError>> + Send {
        std::future::ready(Ok(delivery.headers))
    }
}

/// Shared application state: register a value with [`App::state`](crate::App::state) and
/// take `State<T>` as a handler argument. A handler asking for state nobody registered is a
/// start-up error that names it.
///
/// ```
/// use frameio_kit::{App, ArgumentProblem, Handler, StartupProblem, State, WebhookEvent};
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
/// assert!(matches!(
///     err.problems(),
///     [StartupProblem::Argument { problem: ArgumentProblem::MissingState { .. }, .. }]
/// ));
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

    fn check(cx: &StartupContext<'_>) -> Result<(), ArgumentProblem> {
        if cx.data.contains::<T>() {
            Ok(())
        } else {
            Err(ArgumentProblem::MissingState {
                type_name: type_name::<T>(),
            })
        }
    }
}
