//! Middleware: code that runs around handlers, for logging, metrics, access control…
//!
//! A middleware sees every verified delivery before its handler and the answer after it. It
//! may call the rest of the chain ([`Next::run`]) and change what comes back, or answer by
//! itself without calling it (short-circuit). Its errors and panics are treated exactly like a
//! handler's: `503 Configuration error.` for a [`ConfigurationError`](crate::ConfigurationError),
//! `500 Internal Server Error` otherwise.
//!
//! Each middleware has three hooks, all optional: [`Middleware::handle`] around every
//! delivery, and inside it [`Middleware::webhook`] or [`Middleware::action`] by kind. The
//! first middleware added is the outermost:
//!
//! ```text
//! A.handle → A.webhook → B.handle → B.webhook → handler → B … → A …
//! ```
//!
//! Middleware runs after the signature check (and after resource-type filters), so it only
//! ever sees authentic deliveries.
//!
//! ```
//! use std::time::Instant;
//! use frameio_kit::middleware::{Middleware, Next};
//! use frameio_kit::handler::HandlerResult;
//! use frameio_kit::{App, Delivery, Message};
//!
//! /// Logs how long each delivery took.
//! struct Timing;
//!
//! impl Middleware for Timing {
//!     async fn handle(&self, delivery: Delivery, next: Next<'_>) -> HandlerResult {
//!         let started = Instant::now();
//!         let event_type = delivery.event_type().to_owned();
//!         let result = next.run(delivery).await;
//!         println!("{event_type} took {:?}", started.elapsed());
//!         result
//!     }
//! }
//!
//! /// Answers actions from unknown accounts itself.
//! struct AllowList(Vec<String>);
//!
//! impl Middleware for AllowList {
//!     async fn action(&self, delivery: Delivery, next: Next<'_>) -> HandlerResult {
//!         if self.0.iter().any(|id| id == delivery.account_id()) {
//!             next.run(delivery).await
//!         } else {
//!             Ok(Message::new("Not available", "Your account cannot use this action.").into())
//!         }
//!     }
//! }
//!
//! let app = App::new().middleware(Timing).middleware(AllowList(vec!["acc-1".into()]));
//! # let _ = app;
//! ```

use std::future::Future;
use std::sync::Arc;

use crate::handler::{BoxFuture, Delivery, DeliveryEvent, Handler, HandlerResult};

/// Code that runs around handlers. Implement any of the three hooks; each defaults to calling
/// the rest of the chain unchanged.
pub trait Middleware: Send + Sync + 'static {
    /// Runs around every delivery, webhooks and actions alike.
    fn handle(
        &self,
        delivery: Delivery,
        next: Next<'_>,
    ) -> impl Future<Output = HandlerResult> + Send {
        next.run(delivery)
    }

    /// Runs around webhook deliveries (inside [`Middleware::handle`]).
    fn webhook(
        &self,
        delivery: Delivery,
        next: Next<'_>,
    ) -> impl Future<Output = HandlerResult> + Send {
        next.run(delivery)
    }

    /// Runs around custom action deliveries (inside [`Middleware::handle`]).
    fn action(
        &self,
        delivery: Delivery,
        next: Next<'_>,
    ) -> impl Future<Output = HandlerResult> + Send {
        next.run(delivery)
    }
}

/// The object-safe form every [`Middleware`] is stored as.
pub(crate) trait ErasedMiddleware: Send + Sync + 'static {
    fn handle<'a>(&'a self, delivery: Delivery, next: Next<'a>) -> BoxFuture<'a, HandlerResult>;
    fn webhook<'a>(&'a self, delivery: Delivery, next: Next<'a>) -> BoxFuture<'a, HandlerResult>;
    fn action<'a>(&'a self, delivery: Delivery, next: Next<'a>) -> BoxFuture<'a, HandlerResult>;
    /// The middleware's type name, for its span.
    #[cfg(feature = "otel")]
    fn name(&self) -> &'static str;
}

impl<M: Middleware> ErasedMiddleware for M {
    fn handle<'a>(&'a self, delivery: Delivery, next: Next<'a>) -> BoxFuture<'a, HandlerResult> {
        Box::pin(Middleware::handle(self, delivery, next))
    }

    fn webhook<'a>(&'a self, delivery: Delivery, next: Next<'a>) -> BoxFuture<'a, HandlerResult> {
        Box::pin(Middleware::webhook(self, delivery, next))
    }

    fn action<'a>(&'a self, delivery: Delivery, next: Next<'a>) -> BoxFuture<'a, HandlerResult> {
        Box::pin(Middleware::action(self, delivery, next))
    }

    #[cfg(feature = "otel")]
    fn name(&self) -> &'static str {
        std::any::type_name::<M>()
    }
}

/// The shared, ordered middleware list of an app.
pub(crate) type Chain = Arc<[Arc<dyn ErasedMiddleware>]>;

/// The rest of the chain: the remaining middleware, then the handler.
pub struct Next<'a> {
    chain: &'a [Arc<dyn ErasedMiddleware>],
    /// `true` once the first middleware's `handle` hook has run and its kind hook is next.
    inside: bool,
    handler: &'a Handler,
    /// The sign-in step run around the handler, for actions that require a signed-in user.
    gate: Option<&'a dyn crate::dispatch::SignInGate>,
}

impl std::fmt::Debug for Next<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Next")
            .field("remaining_middleware", &self.chain.len())
            .field("handler", &self.handler.function())
            .finish()
    }
}

impl<'a> Next<'a> {
    pub(crate) fn new(chain: &'a [Arc<dyn ErasedMiddleware>], handler: &'a Handler) -> Self {
        Self {
            chain,
            inside: false,
            handler,
            gate: None,
        }
    }

    /// Ends the chain in the sign-in step, which runs the handler or answers by itself.
    pub(crate) fn with_sign_in(
        mut self,
        gate: Option<&'a dyn crate::dispatch::SignInGate>,
    ) -> Self {
        self.gate = gate;
        self
    }

    /// The handler the chain ends in.
    pub fn handler(&self) -> &Handler {
        self.handler
    }

    /// Runs the rest of the chain and returns its answer.
    pub fn run(self, delivery: Delivery) -> BoxFuture<'a, HandlerResult> {
        let Some((first, rest)) = self.chain.split_first() else {
            let gate = self.gate;
            let handler = self.handler;
            let call = move || match gate {
                Some(gate) => gate.guard(delivery, handler),
                None => handler.call(delivery),
            };
            #[cfg(feature = "otel")]
            return crate::telemetry::in_span(
                tracing::info_span!(target: "frameio_kit::delivery", "frameio.handler", "frameio.handler" = handler.function()),
                call,
            );
            #[cfg(not(feature = "otel"))]
            return call();
        };
        if self.inside {
            let next = Next {
                chain: rest,
                inside: false,
                handler: self.handler,
                gate: self.gate,
            };
            match delivery.event() {
                DeliveryEvent::Webhook(_) => first.webhook(delivery, next),
                DeliveryEvent::Action(_) => first.action(delivery, next),
            }
        } else {
            let next = Next {
                chain: self.chain,
                inside: true,
                handler: self.handler,
                gate: self.gate,
            };
            #[cfg(feature = "otel")]
            return crate::telemetry::in_span(
                tracing::info_span!(target: "frameio_kit::delivery", "frameio.middleware", "frameio.middleware" = first.name()),
                || first.handle(delivery, next),
            );
            #[cfg(not(feature = "otel"))]
            first.handle(delivery, next)
        }
    }
}
