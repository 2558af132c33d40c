//! Direct handler calls: run one handler with a fake event and its extractors, without HTTP,
//! signatures or routing.
//!
//! A `#[webhook]` or `#[action]` function is still a plain `async fn`, so the simplest test
//! calls it directly:
//!
//! ```
//! use frameio_kit::prelude::*;
//! use frameio_kit_testing::{block_on, webhook_event};
//!
//! #[webhook("file.ready")]
//! async fn on_ready(event: WebhookEvent) -> Result<()> {
//!     assert_eq!(event.resource_id(), "f-1");
//!     Ok(())
//! }
//!
//! let event = webhook_event("file.ready").resource_id("f-1").build();
//! block_on(on_ready(event)).unwrap().unwrap();
//! ```
//!
//! When a handler takes extractors (`State<T>`, `Headers`, your own
//! [`FromDelivery`](frameio_kit::FromDelivery) types), [`call_handler`] builds them the way the
//! dispatcher does, from a registered handler found by name:
//!
//! ```
//! use frameio_kit::prelude::*;
//! use frameio_kit_testing::{TestError, action_event, block_on, call_handler};
//!
//! struct Greeting(&'static str);
//!
//! #[action(event = "greet", name = "Greet")]
//! async fn greet(event: ActionEvent, greeting: State<Greeting>) -> Result<Message> {
//!     Ok(Message::new(greeting.0, event.user_id().to_owned()))
//! }
//!
//! # fn main() -> Result<(), TestError> {
//! let answer = block_on(
//!     call_handler("greet", action_event("greet").user_id("u1")).state(Greeting("Hi")),
//! )??;
//! assert_eq!(answer, ActionResponse::Message(Message::new("Hi", "u1")));
//! # Ok(())
//! # }
//! ```

use std::future::{Future, IntoFuture};
use std::pin::Pin;
use std::sync::Arc;

use frameio_kit::handler::AppData;
use frameio_kit::{
    ActionEvent, ActionResponse, Delivery, DeliveryEvent, Handler, HandlerKind, Headers,
    WebhookEvent,
};
use serde_json::Value;

use crate::error::TestError;
use crate::event::EventBody;

/// Finds a handler registered with `#[webhook]` / `#[action]` in the linked crates by:
///
/// 1. its full function path (`my_app::handlers::on_ready`);
/// 2. else the end of the path (`on_ready`, `handlers::on_ready`), if only one matches;
/// 3. else an event type it handles (`file.ready`).
///
/// The error lists what is registered (remember `use my_app as _;` in the test file: a crate
/// nothing refers to is not linked, and its handlers vanish).
pub fn find_handler(name: &str) -> Result<Handler, TestError> {
    let handlers = frameio_kit::handler::registered();
    if let Some(handler) = handlers.iter().find(|h| h.function() == name) {
        return Ok(handler.clone());
    }
    let suffix = format!("::{name}");
    let by_suffix: Vec<&Handler> = handlers
        .iter()
        .filter(|h| h.function().ends_with(&suffix))
        .collect();
    match by_suffix.as_slice() {
        [one] => return Ok((*one).clone()),
        [] => {}
        many => {
            return Err(TestError::AmbiguousHandler {
                name: name.to_owned(),
                candidates: many
                    .iter()
                    .map(|h| h.function())
                    .collect::<Vec<_>>()
                    .join(", "),
            });
        }
    }
    if let Some(handler) = handlers
        .iter()
        .find(|h| h.events().iter().any(|e| e == name))
    {
        return Ok(handler.clone());
    }
    let registered: Vec<&str> = handlers.iter().map(Handler::function).collect();
    Err(TestError::NoSuchHandler {
        name: name.to_owned(),
        registered: if registered.is_empty() {
            "none".to_owned()
        } else {
            registered.join(", ")
        },
    })
}

/// Prepares a direct call of the registered handler `name` (see [`find_handler`]) with this
/// event. Add state and headers, then `.await` it (or pass it to
/// [`block_on`](crate::block_on)) to get the handler's [`ActionResponse`]
/// ([`ActionResponse::None`] for webhooks).
pub fn call_handler(name: &str, event: impl EventBody) -> HandlerCall {
    HandlerCall {
        handler: find_handler(name),
        event: event.event_json(),
        headers: Headers::new(),
        data: AppData::default(),
        timestamp: crate::signing::now(),
    }
}

/// A direct handler call being prepared; see [`call_handler`]. Await it to run the handler.
#[must_use = "a handler call does nothing until it is awaited"]
pub struct HandlerCall {
    handler: Result<Handler, TestError>,
    event: Result<Value, TestError>,
    headers: Headers,
    data: AppData,
    timestamp: i64,
}

impl std::fmt::Debug for HandlerCall {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HandlerCall")
            .field("handler", &self.handler)
            .field("headers", &self.headers)
            .field("data", &self.data)
            .finish_non_exhaustive()
    }
}

impl HandlerCall {
    /// A direct call of a handler you built (`Handler::webhook(…)`, `Handler::action(…)`).
    ///
    /// ```
    /// use frameio_kit::{ActionEvent, ActionResponse, Handler, Message};
    /// use frameio_kit_testing::{HandlerCall, action_event, block_on};
    ///
    /// async fn ping(_event: ActionEvent) -> frameio_kit::Result<Message> {
    ///     Ok(Message::new("pong", ""))
    /// }
    ///
    /// let call = HandlerCall::new(Handler::action("ping", ping), action_event("ping"));
    /// let answer = block_on(call).unwrap().unwrap();
    /// assert!(matches!(answer, ActionResponse::Message(m) if m.title == "pong"));
    /// ```
    pub fn new(handler: Handler, event: impl EventBody) -> Self {
        Self {
            handler: Ok(handler),
            event: event.event_json(),
            headers: Headers::new(),
            data: AppData::default(),
            timestamp: crate::signing::now(),
        }
    }

    /// Shares a value with the handler's `State<T>` arguments.
    pub fn state<T: Send + Sync + 'static>(mut self, value: T) -> Self {
        self.data.insert(Arc::new(value));
        self
    }

    /// Adds a request header for the handler's `Headers` argument.
    pub fn header(mut self, name: &str, value: impl Into<Vec<u8>>) -> Self {
        self.headers.insert(name, value.into());
        self
    }

    /// The `timestamp` the event carries (default: now).
    pub fn timestamp(mut self, unix_seconds: i64) -> Self {
        self.timestamp = unix_seconds;
        self
    }

    /// Runs the handler; its error, or an extractor's, is [`TestError::Handler`].
    pub async fn run(self) -> Result<ActionResponse, TestError> {
        let handler = self.handler?;
        let json = self.event?;
        let event = match handler.kind() {
            HandlerKind::Action => {
                let event: ActionEvent =
                    serde_json::from_value(json).map_err(|source| TestError::InvalidEvent {
                        kind: "action",
                        source,
                    })?;
                DeliveryEvent::Action(event.with_timestamp(self.timestamp))
            }
            _ => {
                let event: WebhookEvent =
                    serde_json::from_value(json).map_err(|source| TestError::InvalidEvent {
                        kind: "webhook",
                        source,
                    })?;
                DeliveryEvent::Webhook(event.with_timestamp(self.timestamp))
            }
        };
        let delivery = Delivery::new(event, self.headers, Arc::new(self.data));
        handler.call(delivery).await.map_err(TestError::Handler)
    }
}

impl IntoFuture for HandlerCall {
    type Output = Result<ActionResponse, TestError>;
    type IntoFuture = Pin<Box<dyn Future<Output = Self::Output> + Send>>;

    fn into_future(self) -> Self::IntoFuture {
        Box::pin(self.run())
    }
}
