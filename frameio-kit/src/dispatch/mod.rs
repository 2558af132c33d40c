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
mod reply;
mod route;
mod semantics;

use std::borrow::Cow;
use std::collections::HashMap;
use std::fmt;
use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use bytes::Bytes;

use crate::handler::{
    AppData, BoxFuture, Delivery, DeliveryEvent, HandlerKind, HandlerResult, Headers,
};
use crate::middleware::{Chain, Next};
use crate::signature::{self, SIGNATURE_HEADER, SigningKey, TIMESTAMP_HEADER};

use body::{Inspected, Malformed};
use reply::{Failure, Stop, answer_reply, failure_stop, panic_stop};

pub use reply::{APPLICATION_JSON, Diagnosis, Reply, Stage, TEXT_PLAIN};
#[cfg(feature = "auth")]
pub(crate) use route::GateOutcome;
pub(crate) use route::{Route, SignInGate, not_available_reply};
use semantics::ReplayTicket;
pub(crate) use semantics::{ReplayLedger, Semantics, interim_json};
// Kept here for the modules that prepare routes; the secret pipeline lives in `secret`.
pub(crate) use crate::secret::RouteSecrets;

/// A source of the current time in Unix seconds; swap it in tests to pin the clock.
pub trait Clock: Send + Sync + 'static {
    /// Seconds since the Unix epoch.
    fn now(&self) -> i64;
}

/// The system clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> i64 {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
    }
}

/// A clock stuck at one instant (for tests).
#[derive(Debug, Clone, Copy)]
pub struct FixedClock(pub i64);

impl Clock for FixedClock {
    fn now(&self) -> i64 {
        self.0
    }
}

/// Displays an error and its sources on one line.
#[cfg(feature = "auth")]
pub(crate) fn error_chain(error: &(dyn std::error::Error + 'static)) -> String {
    reply::ErrorChain(error).to_string()
}

/// The configured pipeline. Built by [`App::build`](crate::App::build); cheap to share.
pub struct Dispatcher {
    routes: HashMap<Box<str>, Arc<Route>>,
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
enum Checked<'s, 'h> {
    /// The signature holds (keys known at start-up).
    Verified {
        route: &'s Arc<Route>,
        timestamp: Timestamp<'h>,
    },
    /// The route's keys come from a resolver, which reads `head`.
    Resolve {
        route: &'s Arc<Route>,
        timestamp: Timestamp<'h>,
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
            routes,
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
        let (route, timestamp, head) = match self.check(&headers, body, seen)? {
            Checked::Verified { route, timestamp } => (route, timestamp, None),
            Checked::Resolve {
                route,
                timestamp,
                head,
            } => {
                Box::pin(self.resolve_and_verify(route, &headers, body, &head)).await?;
                (route, timestamp, Some(head))
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
            Box::pin(self.accepted(route, event_type, headers, body, peer, value, head)).await
        } else {
            // build, filter, handle: one future made and awaited in place (see `handle`).
            reply_of(
                route,
                self.build_and_handle(route, headers, body, peer, value, head)
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
    ) -> Result<Checked<'s, 'h>, Stop> {
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
                Ok(Checked::Verified { route, timestamp })
            }
            // A resolver needs the event before the signature can be checked: build only
            // what it reads.
            _ => Ok(Checked::Resolve {
                route,
                head: Box::new(body::head(body, kind, timestamp.value).map_err(invalid_payload)?),
                timestamp,
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

    /// Everything after the replay check when the recorder or dedup awaits before the
    /// handler: record, build, filter, dedup, handle, reply.
    #[allow(clippy::too_many_arguments)]
    async fn accepted(
        &self,
        route: &Arc<Route>,
        event_type: &str,
        headers: Headers,
        body: &Bytes,
        peer: Option<std::net::IpAddr>,
        timestamp: i64,
        head: Option<Box<DeliveryEvent>>,
    ) -> Result<Reply, Stop> {
        if let Some(recorder) = &self.recorder {
            recorder.record_logged(event_type, &headers, body).await;
        }
        let event = build_and_filter(route, body, timestamp, head)?;
        match route.dedup {
            None => {
                let handled = self.handle(route, event, headers, peer, body).await;
                reply_of(route, handled)
            }
            Some(window) => {
                self.deduped(route, event, headers, peer, body, window)
                    .await
            }
        }
    }

    /// handle, for a handler with a dedup window: the check first, the answer recorded after.
    async fn deduped(
        &self,
        route: &Arc<Route>,
        event: DeliveryEvent,
        headers: Headers,
        peer: Option<std::net::IpAddr>,
        body: &Bytes,
        window: Duration,
    ) -> Result<Reply, Stop> {
        let ticket = self.dedup(route, body, window).await?;
        let handled = self.handle(route, event, headers, peer, body).await;
        let result = reply_of(route, handled);
        if let Some(ticket) = ticket {
            let reply = match &result {
                Ok(reply) => reply,
                Err(stop) => &stop.reply,
            };
            self.semantics.dedup_finish(ticket, reply, window).await;
        }
        result
    }

    /// dedup: a body accepted within the window is answered without running again: with the
    /// first run's answer, or, while it runs, `OK` (webhooks) or the interim Message.
    async fn dedup(
        &self,
        route: &Route,
        body: &[u8],
        window: Duration,
    ) -> Result<Option<crate::delivery::dedup::DedupTicket>, Stop> {
        use crate::delivery::DedupOutcome;
        let Some(dedup) = &self.semantics.dedup else {
            return Ok(None);
        };
        let reply = match dedup.begin(&route.handler.function, body, window).await {
            Ok(DedupOutcome::Run(ticket)) => return Ok(Some(ticket)),
            Ok(DedupOutcome::Duplicate(Some(answer))) => semantics::replayed(&answer),
            Ok(_) if route.handler.kind == HandlerKind::Webhook => Reply::ok(),
            Ok(_) => Reply::from_parts(200, APPLICATION_JSON, route.interim.clone()),
            Err(err) => {
                // Dedup only saves work: without its engine, run the handler.
                tracing::warn!(
                    target: "frameio_kit::delivery",
                    handler = %route.handler.function,
                    error = %reply::ErrorChain(&err),
                    "dedup unavailable: running the handler"
                );
                return Ok(None);
            }
        };
        tracing::info!(
            target: "frameio_kit::delivery",
            handler = %route.handler.function,
            "same body as a delivery accepted within the dedup window: answered without running"
        );
        Err(Stop::answer(reply))
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
        signature::verify(
            keys,
            timestamp.raw,
            timestamp.signature,
            body,
            self.clock.now(),
            self.tolerance,
        )
        .map_err(|err| Stop::text(401, "Invalid signature.", Failure::Signature(err)))
    }

    /// build, filter and handle, as one future: a ready refusal when the event cannot be built
    /// or the filter answers.
    fn build_and_handle<'s>(
        &'s self,
        route: &'s Arc<Route>,
        headers: Headers,
        body: &Bytes,
        peer: Option<std::net::IpAddr>,
        timestamp: i64,
        head: Option<Box<DeliveryEvent>>,
    ) -> impl Future<Output = Result<Option<crate::response::ActionResponse>, Stop>> + Send + 's
    {
        use futures_util::future::{Either, ready};
        match build_and_filter(route, body, timestamp, head) {
            Ok(event) => Either::Left(self.handle(route, event, headers, peer, body)),
            Err(stop) => Either::Right(ready(Err(stop))),
        }
    }

    /// handle: middleware and the handler; a panic costs this delivery a 500, not the server.
    /// `Ok(None)` when the handler missed its deadline (it runs on, tracked as late work).
    ///
    /// Not an `async fn`: its arguments would stay in the future's state (and so in every
    /// delivery's allocation) for the whole handler run. The delivery is built before the
    /// future, which only holds the boxed handler future.
    fn handle<'s>(
        &'s self,
        route: &'s Arc<Route>,
        event: DeliveryEvent,
        headers: Headers,
        peer: Option<std::net::IpAddr>,
        body: &Bytes,
    ) -> impl Future<Output = Result<Option<crate::response::ActionResponse>, Stop>> + Send + 's
    {
        let mut delivery = Delivery::new(event, headers, Arc::clone(&self.data));
        delivery.set_peer(peer);
        if route.keep_body {
            delivery.set_raw_body(body.clone());
        }
        let hook = route
            .handler
            .late_hook
            .as_ref()
            .or(self.semantics.late_hook.as_ref());
        // The hook gets a copy of the delivery: made only when there is a hook to get it.
        let copy = match (route.deadline, hook) {
            (Some(_), Some(_)) => Some(Box::new(delivery.clone())),
            _ => None,
        };
        let work = self.work(route, delivery);
        let function = route.handler.function.as_str();
        let running = semantics::run(work, route.deadline, &self.semantics.late, move || {
            semantics::late_context(function, hook, copy)
        });
        // A combinator, not an `async` block: the block would hold `running` twice.
        futures_util::FutureExt::map(running, |ran| match ran {
            Ok(semantics::Ran::Done(Ok(answer))) => Ok(Some(answer)),
            Ok(semantics::Ran::Done(Err(err))) => Err(failure_stop(err)),
            Ok(semantics::Ran::Late) => Ok(None),
            Err(panic) => Err(panic_stop(panic.as_ref())),
        })
    }

    /// The middleware chain and the handler as one owned future, so a run that misses its
    /// deadline can go on after the answer. Without middleware or sign-in it is the
    /// handler's own future (no extra allocation).
    fn work(&self, route: &Arc<Route>, delivery: Delivery) -> BoxFuture<'static, HandlerResult> {
        if self.middleware.is_empty() && route.sign_in.is_none() {
            #[cfg(feature = "otel")]
            {
                let route = Arc::clone(route);
                return crate::telemetry::in_span(
                    tracing::info_span!(target: "frameio_kit::delivery", "frameio.handler", "frameio.handler" = route.handler.function()),
                    move || route.handler.call(delivery),
                );
            }
            #[cfg(not(feature = "otel"))]
            return route.handler.call(delivery);
        }
        let route = Arc::clone(route);
        let chain = Arc::clone(&self.middleware);
        Box::pin(async move {
            // The sign-in step is the innermost step of the chain (protocol.md §3):
            // middleware sees the sign-in Form and may answer before it.
            Next::new(&chain, &route.handler)
                .with_sign_in(route.sign_in.as_deref())
                .run(delivery)
                .await
        })
    }
}

/// reply: webhooks `OK`; actions their Message or Form, or the interim Message when the
/// handler missed its deadline (`None`).
fn reply_of(
    route: &Route,
    handled: Result<Option<crate::response::ActionResponse>, Stop>,
) -> Result<Reply, Stop> {
    match handled {
        Ok(_) if route.handler.kind == HandlerKind::Webhook => Ok(Reply::ok()),
        Ok(Some(answer)) => answer_reply(&answer),
        Ok(None) => Ok(Reply::from_parts(
            200,
            APPLICATION_JSON,
            route.interim.clone(),
        )),
        Err(stop) => Err(stop),
    }
}

/// parse: UTF-8 JSON object with a non-empty string `type` (400).
fn parse(body: &[u8]) -> Result<Inspected<'_>, Stop> {
    body::inspect(body).map_err(|malformed| match malformed {
        Malformed::Json(message) => Stop::text(
            400,
            format!("Invalid JSON: {message}"),
            Failure::Rejected("body is not UTF-8 JSON"),
        ),
        Malformed::NotObject => Stop::text(
            400,
            "Payload must be a JSON object",
            Failure::Rejected("body is not a JSON object"),
        ),
        Malformed::NoType => Stop::text(
            400,
            "Payload missing 'type' field",
            Failure::Rejected("payload has no usable `type`"),
        ),
    })
}

/// timestamp: the header is present and an integer (400). An integer too large for 64 bits
/// is an integer: it is refused later, as outside the window (401).
fn timestamp(headers: &Headers) -> Result<Timestamp<'_>, Stop> {
    let Some(raw) = headers.get_bytes(TIMESTAMP_HEADER) else {
        return Err(Stop::text(
            400,
            "Missing X-Frameio-Request-Timestamp header",
            Failure::Rejected("timestamp header missing"),
        ));
    };
    std::str::from_utf8(raw)
        .ok()
        .and_then(|raw| {
            let value = signature::parse_timestamp(raw).ok()?;
            Some(Timestamp {
                raw,
                value,
                signature: headers.get_bytes(SIGNATURE_HEADER),
            })
        })
        .ok_or_else(|| {
            Stop::text(
                400,
                "Invalid X-Frameio-Request-Timestamp header format",
                Failure::Rejected("timestamp header is not an integer"),
            )
        })
}

/// validate: the body fits the handler's event model (422), decided by `parse`'s pass.
fn validate(inspected: &Inspected<'_>, kind: HandlerKind) -> Result<(), Stop> {
    inspected
        .fits(kind)
        .map_err(|misfit| Stop::text(422, "Payload validation error.", Failure::Misfit(misfit)))
}

/// secret: the keys prepared at start-up, or resolved now (503).
async fn secret<'r>(
    route: &'r Route,
    head: Option<&DeliveryEvent>,
) -> Result<Cow<'r, [SigningKey]>, Stop> {
    route
        .secrets
        .keys(head)
        .await
        .map_err(|why| Stop::text(503, "Configuration error.", Failure::Secret(why)))
}

/// The full event, built once the signature holds.
fn build(
    body: &[u8],
    kind: HandlerKind,
    timestamp: i64,
    head: Option<DeliveryEvent>,
) -> Result<DeliveryEvent, Stop> {
    // `parse` checked the shape, so this fails only on what a shape check cannot see (a
    // number out of range inside an action's `data`): still the contract's 422.
    body::complete(body, kind, timestamp, head).map_err(invalid_payload)
}

/// build and filter: the full event, refused when the action is restricted to other
/// resource types.
fn build_and_filter(
    route: &Route,
    body: &[u8],
    timestamp: i64,
    head: Option<Box<DeliveryEvent>>,
) -> Result<DeliveryEvent, Stop> {
    let event = build(body, route.handler.kind, timestamp, head.map(|head| *head))?;
    #[cfg(feature = "otel")]
    crate::telemetry::record_event(&event);
    filter(route, &event)?;
    Ok(event)
}

/// The timestamp header as received (`check` made sure it is there and UTF-8).
fn timestamp_raw(headers: &Headers) -> &str {
    headers
        .get_bytes(TIMESTAMP_HEADER)
        .and_then(|raw| std::str::from_utf8(raw).ok())
        .unwrap_or_default()
}

fn invalid_payload(err: serde_json::Error) -> Stop {
    Stop::text(422, "Payload validation error.", Failure::Invalid(err))
}

/// filter: an action restricted to other resource types answers without running middleware
/// or the handler.
fn filter(route: &Route, event: &DeliveryEvent) -> Result<(), Stop> {
    match &route.filter {
        Some((allowed, answer)) if !allowed.contains(&event.resource().resource_type) => Err(
            Stop::answer(Reply::from_parts(200, APPLICATION_JSON, answer.clone())),
        ),
        _ => Ok(()),
    }
}

/// One line per delivery: `info` when handled, `error` for a 5xx, `debug` for an unknown type
/// (a 404 is routine for an app that handles a few types), `warn` for other refusals.
fn log_delivery(seen: &Seen<'_, '_>, status: u16, latency_us: u64, failure: Option<&Failure>) {
    let event_type = seen.event_type.as_deref().unwrap_or("-");
    let handler = seen.handler.unwrap_or("-");
    match failure {
        None => tracing::info!(
            target: "frameio_kit::delivery",
            event_type, handler, status, latency_us, "delivery handled"
        ),
        Some(failure) if status >= 500 => tracing::error!(
            target: "frameio_kit::delivery",
            event_type, handler, status, latency_us, reason = %failure, "delivery failed"
        ),
        Some(failure) if status == 404 => tracing::debug!(
            target: "frameio_kit::delivery",
            event_type, handler, status, latency_us, reason = %failure, "delivery refused"
        ),
        Some(failure) => tracing::warn!(
            target: "frameio_kit::delivery",
            event_type, handler, status, latency_us, reason = %failure, "delivery refused"
        ),
    }
}
