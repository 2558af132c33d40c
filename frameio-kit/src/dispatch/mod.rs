//! The delivery pipeline: raw headers and body in, a [`Reply`] out. No HTTP framework types,
//! so it is testable with plain async tests and mountable anywhere.
//!
//! The checks run in the order of the wire contract (protocol.md §3); the first failure
//! decides the answer. [`Dispatcher`]'s steps are named after the first column:
//!
//! | step | failure | status | body |
//! |---|---|---|---|
//! | *(HTTP)* | method is not POST | 405 | (with `Allow: POST`) |
//! | *(HTTP)* | body larger than the limit (default 1 MiB); with `Expect: 100-continue`, refused without inviting the body | 413 | `Payload too large.` |
//! | *(HTTP)* | body not received within the read deadline (default 10 s) | 408 | `Request timeout.` |
//! | parse | body is not UTF-8 JSON (anywhere in it, skipped fields included) | 400 | `Invalid JSON: <parser message>` |
//! | parse | JSON but not an object | 400 | `Payload must be a JSON object` |
//! | parse | `type` missing, empty or not a string | 400 | `Payload missing 'type' field` |
//! | timestamp | header missing | 400 | `Missing X-Frameio-Request-Timestamp header` |
//! | timestamp | header not an integer | 400 | `Invalid X-Frameio-Request-Timestamp header format` |
//! | route | no handler for `type` | 404 | `No handler registered for event type '<type>'.` |
//! | validate | payload does not fit the event model | 422 | `Payload validation error.` |
//! | secret | a resolver fails or returns no secret | 503 | `Configuration error.` |
//! | verify | signature missing or wrong, timestamp outside the window (an integer too large for 64 bits is outside it) | 401 | `Invalid signature.` |
//! | filter | action restricted to other resource types | 200 | Message `Action Not Available` |
//! | sign-in | action requires user sign-in and the user has none (innermost step of the middleware chain) | 200 | Form `Authentication Required` |
//! | handle | middleware or handler fails with a [`ConfigurationError`](crate::ConfigurationError) | 503 | `Configuration error.` |
//! | handle | fails otherwise, or panics | 500 | `Internal Server Error` |
//! | reply | action returns a Message or Form | 200 | its JSON |
//! | reply | webhook, or action returning nothing | 200 | `OK` |
//!
//! The *(HTTP)* rows belong to the HTTP adapter, see [`server`](crate::server). Error details
//! never leave the process: they go to the log.
//!
//! Refusing costs little: `parse` checks the whole body in one pass that builds nothing and
//! already knows whether the body fits each event model, so `validate` is a lookup; the event
//! is built only after `verify` (a secret resolver gets it earlier, without an action's
//! form `data`).

mod body;
mod clock;
mod handle;
mod reply;
mod route;
mod semantics;
mod steps;

use std::borrow::Cow;
use std::collections::HashMap;
use std::fmt;
use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;

use crate::handler::{AppData, DeliveryEvent, Headers};
use crate::middleware::Chain;
use crate::signature::{self, SIGNATURE_HEADER, SigningKey};

use handle::reply_of;
use reply::{Failure, Stop};
use steps::{invalid_payload, log_delivery, parse, secret, timestamp, timestamp_raw, validate};

pub use clock::{Clock, FixedClock, SystemClock};
pub use reply::{APPLICATION_JSON, Diagnosis, Reply, Stage, TEXT_PLAIN};
#[cfg(feature = "auth")]
pub(crate) use route::GateOutcome;
pub(crate) use route::{Route, SignInGate, not_available_reply};
use semantics::ReplayTicket;
pub(crate) use semantics::{ReplayLedger, Semantics, interim_json};
// Kept here for the modules that prepare routes; the secret pipeline lives in `secret`.
pub(crate) use crate::secret::RouteSecrets;

/// Displays an error and its sources on one line.
#[cfg(feature = "auth")]
pub(crate) fn error_chain(error: &(dyn std::error::Error + 'static)) -> String {
    reply::ErrorChain(error).to_string()
}

/// The configured pipeline. Built by [`App::build`](crate::App::build); cheap to share.
pub struct Dispatcher {
    routes: HashMap<Box<str>, Arc<Route>, route::RouteHash>,
    tolerance: Duration,
    clock: Arc<dyn Clock>,
    data: Arc<AppData>,
    middleware: Chain,
    recorder: Option<Arc<crate::record::DeliveryRecorder>>,
    semantics: Semantics,
}

impl fmt::Debug for Dispatcher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut events: Vec<&str> = self.routes.keys().map(AsRef::as_ref).collect();
        events.sort_unstable();
        f.debug_struct("Dispatcher")
            .field("events", &events)
            .field("tolerance", &self.tolerance)
            .field("middleware", &self.middleware.len())
            .finish_non_exhaustive()
    }
}

/// What the log line of a delivery names, filled in as the pipeline learns it.
#[derive(Default)]
struct Seen<'b, 's> {
    event_type: Option<Cow<'b, str>>,
    handler: Option<&'s str>,
}

/// What the steps before the first await found.
///
/// Both carry the body as text (`parse` checked that it is UTF-8): the event is built from it
/// without checking its strings' encoding again.
enum Checked<'b, 's, 'h> {
    /// The signature holds (keys known at start-up).
    Verified {
        route: &'s Arc<Route>,
        timestamp: Timestamp<'h>,
        text: &'b str,
    },
    /// The route's keys come from a resolver, which reads `head`.
    Resolve {
        route: &'s Arc<Route>,
        timestamp: Timestamp<'h>,
        text: &'b str,
        head: Box<DeliveryEvent>,
    },
}

/// The request timestamp: the header exactly as received (the signature covers it) and its
/// value.
struct Timestamp<'h> {
    raw: &'h str,
    value: i64,
    /// The signature header as received, read once for `verify` and the replay ledger.
    signature: Option<&'h [u8]>,
}

impl Dispatcher {
    pub(crate) fn new(
        routes: HashMap<Box<str>, Arc<Route>>,
        tolerance: Duration,
        clock: Arc<dyn Clock>,
        data: Arc<AppData>,
        middleware: Chain,
    ) -> Self {
        Self {
            routes: routes.into_iter().collect(),
            tolerance,
            clock,
            data,
            middleware,
            recorder: None,
            semantics: Semantics::default(),
        }
    }

    /// Sets the replay ledger, dedup, late work and background queue.
    pub(crate) fn with_semantics(mut self, semantics: Semantics) -> Self {
        self.semantics = semantics;
        self
    }

    /// The app's shared values (what worker-run handlers' extractors read too).
    #[cfg_attr(not(feature = "background"), allow(dead_code))]
    pub(crate) fn data(&self) -> &Arc<AppData> {
        &self.data
    }

    /// Handler runs that missed their deadline and are still going (shutdown waits for them).
    pub fn late_work(&self) -> &crate::delivery::LateWork {
        &self.semantics.late
    }

    /// The background queue and its workers, when a handler runs in the background.
    #[cfg(feature = "background")]
    pub(crate) fn background(&self) -> Option<&Arc<crate::delivery::queue::Background>> {
        self.semantics.background.as_ref()
    }

    /// Records every delivery whose signature holds.
    pub(crate) fn with_recorder(
        mut self,
        recorder: Option<crate::record::DeliveryRecorder>,
    ) -> Self {
        self.recorder = recorder.map(Arc::new);
        self
    }

    /// The event types this dispatcher routes.
    pub fn event_types(&self) -> impl Iterator<Item = &str> {
        self.routes.keys().map(AsRef::as_ref)
    }

    /// Runs one delivery through the pipeline and logs one line about it.
    ///
    /// (Not an `async fn`, so the future is [`dispatch_from`](Self::dispatch_from)'s own,
    /// without a second copy of the headers and body in its state.)
    pub fn dispatch(
        &self,
        headers: Headers,
        body: Bytes,
    ) -> impl Future<Output = Reply> + Send + '_ {
        self.dispatch_from(headers, body, None)
    }

    /// [`dispatch`](Self::dispatch) for a delivery that came from `peer` (the TCP peer's
    /// address), which the sign-in step checks against
    /// [`trusted_proxies`](crate::auth::UserAuthBuilder::trusted_proxies).
    pub async fn dispatch_from(
        &self,
        headers: Headers,
        body: Bytes,
        peer: Option<std::net::IpAddr>,
    ) -> Reply {
        let started = Instant::now();
        let mut seen = Seen::default();
        #[cfg(feature = "metrics")]
        let in_flight = crate::telemetry::metrics::InFlight::enter();
        // telemetry: the delivery's SERVER span encloses the pipeline and its log line.
        #[cfg(feature = "otel")]
        let span = crate::telemetry::delivery_span();
        // The pipeline's future is awaited where it is made: a binding would keep a second
        // copy of it in this future's state.
        #[cfg(feature = "otel")]
        let outcome = tracing::Instrument::instrument(
            self.run(headers, &body, peer, &mut seen),
            span.clone(),
        )
        .await;
        #[cfg(not(feature = "otel"))]
        let outcome = self.run(headers, &body, peer, &mut seen).await;
        let (reply, failure) = match outcome {
            Ok(reply) => (reply, None),
            Err(stop) => (stop.reply, stop.failure),
        };
        let latency = started.elapsed();
        #[cfg(feature = "metrics")]
        {
            drop(in_flight);
            let status = reply.status();
            crate::telemetry::metrics::delivery(
                seen.event_type.as_deref(),
                seen.handler,
                status,
                latency,
            );
        }
        #[cfg(feature = "otel")]
        let _entered = span.enter();
        #[cfg(feature = "otel")]
        crate::telemetry::record_delivery(
            &span,
            seen.event_type.as_deref(),
            seen.handler,
            reply.status(),
            failure.as_ref().map(|f| f as &dyn fmt::Display),
        );
        let latency_us = u64::try_from(latency.as_micros()).unwrap_or(u64::MAX);
        log_delivery(&seen, reply.status(), latency_us, failure.as_ref());
        reply.diagnosed(failure, &seen)
    }

    /// The pipeline, one step per row group of the contract.
    ///
    /// Every byte of this future's state is allocated for every delivery (actix boxes it), so
    /// the steps that need no await are plain functions, and the rarely taken awaits (a secret
    /// resolver, a shared ledger, the recorder, dedup) are boxed: what stays across the one
    /// common await (the handler) is the route, the replay ticket and the handler's future.
    async fn run<'b, 's>(
        &'s self,
        headers: Headers,
        body: &'b Bytes,
        peer: Option<std::net::IpAddr>,
        seen: &mut Seen<'b, 's>,
    ) -> Result<Reply, Stop> {
        let (route, timestamp, text, head) = match self.check(&headers, body, seen)? {
            Checked::Verified {
                route,
                timestamp,
                text,
            } => (route, timestamp, text, None),
            Checked::Resolve {
                route,
                timestamp,
                text,
                head,
            } => {
                Box::pin(self.resolve_and_verify(route, &headers, body, &head)).await?;
                (route, timestamp, text, Some(head))
            }
        };
        let value = timestamp.value;
        // replay (row 7a): one set-if-absent on the exact (timestamp, signature) pair.
        let ticket = match &self.semantics.ledger {
            ReplayLedger::Off => None,
            ReplayLedger::Memory(ledger) => self.semantics.replay_begin_memory(
                ledger,
                timestamp.raw,
                value,
                timestamp.signature.unwrap_or_default(),
                self.clock.now(),
                self.tolerance,
            )?,
            ReplayLedger::Shared(_) => Box::pin(self.replay_begin_shared(&headers, value)).await?,
        };
        let event_type = seen.event_type.as_deref().unwrap_or_default();
        let result = if self.recorder.is_some() || route.dedup.is_some() {
            Box::pin(self.accepted(route, event_type, headers, body, text, peer, value, head)).await
        } else {
            // build, filter, handle: one future made and awaited in place (see `handle`).
            reply_of(
                route,
                self.build_and_handle(route, headers, body, text, peer, value, head)
                    .await,
            )
        };
        if let Some(ticket) = ticket {
            let reply = match &result {
                Ok(reply) => reply,
                Err(stop) => &stop.reply,
            };
            if !self.semantics.replay_finish_now(&ticket, reply) {
                Box::pin(self.semantics.replay_finish(ticket, reply)).await;
            }
        }
        result
    }

    /// parse, timestamp, route, validate and, for a route whose keys are known, verify: every
    /// step before the first await.
    fn check<'b, 's, 'h>(
        &'s self,
        headers: &'h Headers,
        body: &'b Bytes,
        seen: &mut Seen<'b, 's>,
    ) -> Result<Checked<'b, 's, 'h>, Stop> {
        let inspected = parse(body)?;
        let timestamp = timestamp(headers)?;
        let event_type = seen.event_type.insert(inspected.event_type.clone());
        let route = self.route(event_type)?;
        seen.handler = Some(route.handler.function.as_str());
        let kind = route.handler.kind;
        validate(&inspected, kind)?;
        match &route.secrets {
            RouteSecrets::Static(keys) => {
                self.verify(keys, &timestamp, body)?;
                Ok(Checked::Verified {
                    route,
                    timestamp,
                    text: inspected.text,
                })
            }
            // A resolver needs the event before the signature can be checked: build only
            // what it reads.
            _ => Ok(Checked::Resolve {
                route,
                head: Box::new(
                    body::head(inspected.text, kind, timestamp.value).map_err(invalid_payload)?,
                ),
                timestamp,
                text: inspected.text,
            }),
        }
    }

    /// secret and verify for a route whose keys a resolver gives per delivery.
    async fn resolve_and_verify(
        &self,
        route: &Route,
        headers: &Headers,
        body: &[u8],
        head: &DeliveryEvent,
    ) -> Result<(), Stop> {
        let keys = secret(route, Some(head)).await?;
        self.verify(&keys, &timestamp(headers)?, body)
    }

    /// replay with a shared ledger (a store round trip).
    async fn replay_begin_shared(
        &self,
        headers: &Headers,
        timestamp: i64,
    ) -> Result<Option<ReplayTicket>, Stop> {
        self.semantics
            .replay_begin(
                timestamp_raw(headers),
                timestamp,
                headers.get_bytes(SIGNATURE_HEADER).unwrap_or_default(),
                self.clock.now(),
                self.tolerance,
            )
            .await
    }

    /// route: the handler for this type (404 without one).
    fn route(&self, event_type: &str) -> Result<&Arc<Route>, Stop> {
        self.routes.get(event_type).ok_or_else(|| {
            Stop::text(
                404,
                format!("No handler registered for event type '{event_type}'."),
                Failure::Rejected("no handler for this event type"),
            )
        })
    }

    /// verify: the signature and the timestamp window (401).
    fn verify(
        &self,
        keys: &[SigningKey],
        timestamp: &Timestamp<'_>,
        body: &[u8],
    ) -> Result<(), Stop> {
        #[cfg(feature = "otel")]
        let _span =
            tracing::info_span!(target: "frameio_kit::delivery", "frameio.signature").entered();
        signature::verify_parsed(
            keys,
            timestamp.raw,
            timestamp.value,
            timestamp.signature,
            body,
            self.clock.now(),
            self.tolerance,
        )
        .map_err(|err| Stop::text(401, "Invalid signature.", Failure::Signature(err)))
    }
}
