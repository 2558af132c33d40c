//! The delivery pipeline: raw headers and body in, a [`Reply`] out. No HTTP framework types,
//! so it is testable with plain async tests and mountable anywhere.
//!
//! The checks run in the order of the wire contract; the first failure decides the answer:
//!
//! | step | failure | status | body |
//! |---|---|---|---|
//! | parse | body is not JSON | 400 | `Invalid JSON: <parser message>` |
//! | parse | JSON but not an object | 400 | `Payload must be a JSON object` |
//! | parse | `type` missing, empty or not a string | 400 | `Payload missing 'type' field` |
//! | timestamp | header missing | 400 | `Missing X-Frameio-Request-Timestamp header` |
//! | timestamp | header not an integer | 400 | `Invalid X-Frameio-Request-Timestamp header format` |
//! | route | no handler for `type` | 404 | `No handler registered for event type '<type>'.` |
//! | validate | payload does not fit the event model | 422 | `Payload validation error.` |
//! | secret | a resolver fails or returns no secret | 503 | `Configuration error.` |
//! | verify | signature missing or wrong, timestamp outside the window | 401 | `Invalid signature.` |
//! | filter | action restricted to other resource types | 200 | Message `Action Not Available` |
//! | sign-in | action requires user sign-in and the user has none | 200 | Form `Authentication Required` |
//! | handler | middleware or handler fails with a [`ConfigurationError`] | 503 | `Configuration error.` |
//! | handler | fails otherwise, or panics | 500 | `Internal Server Error` |
//! | reply | action returns a Message or Form | 200 | its JSON |
//! | reply | webhook, or action returning nothing | 200 | `OK` |
//!
//! (The method check and the body-size limit belong to the HTTP adapter, see
//! [`server`](crate::server).) Error details never leave the process: they go to the log.

use std::borrow::Cow;
use std::collections::HashMap;
use std::fmt;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use futures_util::FutureExt;
use serde::Deserialize;
use serde::de::{self, IgnoredAny, MapAccess, SeqAccess, Visitor};

use crate::error::{BoxError, ConfigurationError};
use crate::event::{ActionEvent, ResourceType, WebhookEvent};
use crate::handler::{AppData, Delivery, DeliveryEvent, Handler, HandlerKind, Headers};
use crate::middleware::{Chain, Next};
use crate::secret::SharedResolver;
use crate::signature::{self, SIGNATURE_HEADER, SigningKey, TIMESTAMP_HEADER};

/// The content type of plain-text answers.
pub const TEXT_PLAIN: &str = "text/plain; charset=utf-8";
/// The content type of JSON answers.
pub const APPLICATION_JSON: &str = "application/json";

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

/// The answer to one delivery.
#[derive(Clone, PartialEq, Eq)]
pub struct Reply {
    status: u16,
    content_type: &'static str,
    body: Bytes,
}

impl Reply {
    fn text(status: u16, body: impl Into<Bytes>) -> Self {
        Self {
            status,
            content_type: TEXT_PLAIN,
            body: body.into(),
        }
    }

    pub(crate) fn from_parts(status: u16, content_type: &'static str, body: Bytes) -> Self {
        Self {
            status,
            content_type,
            body,
        }
    }

    fn json(body: Vec<u8>) -> Self {
        Self {
            status: 200,
            content_type: APPLICATION_JSON,
            body: body.into(),
        }
    }

    /// The HTTP status code.
    pub fn status(&self) -> u16 {
        self.status
    }

    /// The `Content-Type` header value.
    pub fn content_type(&self) -> &'static str {
        self.content_type
    }

    /// The body.
    pub fn body(&self) -> &Bytes {
        &self.body
    }

    /// The body as text (lossy for non-UTF-8 bytes, which this crate never produces).
    pub fn body_text(&self) -> Cow<'_, str> {
        String::from_utf8_lossy(&self.body)
    }

    /// `true` for a JSON body.
    pub fn is_json(&self) -> bool {
        self.content_type == APPLICATION_JSON
    }
}

impl fmt::Debug for Reply {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Reply")
            .field("status", &self.status)
            .field("content_type", &self.content_type)
            .field("body", &self.body_text())
            .finish()
    }
}

const OK: &str = "OK";

/// What the sign-in step decided for an action that requires a signed-in user.
#[cfg_attr(not(feature = "auth"), allow(dead_code))]
pub(crate) enum GateOutcome {
    /// Go on; the value is left in the delivery's extensions for the extractors.
    Proceed(Box<dyn std::any::Any + Send + Sync>),
    /// Answer this instead (the sign-in Form).
    Answer(crate::response::ActionResponse),
}

/// The user sign-in step (protocol.md §3 row 9), provided by the `auth` module.
pub(crate) trait SignInGate: Send + Sync + 'static {
    fn check<'a>(
        &'a self,
        event: &'a ActionEvent,
        headers: &'a Headers,
    ) -> crate::handler::BoxFuture<'a, Result<GateOutcome, BoxError>>;
}

/// Displays an error and its sources on one line.
#[cfg(feature = "auth")]
pub(crate) fn error_chain(error: &(dyn std::error::Error + 'static)) -> String {
    ErrorChain(error).to_string()
}

/// Where a route's signing keys come from.
#[derive(Debug, Clone)]
pub(crate) enum RouteSecrets {
    /// Resolved at start-up.
    Static(Arc<[SigningKey]>),
    /// Resolved for each delivery.
    Dynamic(SharedResolver),
}

/// One routed handler with its secrets prepared.
pub(crate) struct Route {
    pub(crate) handler: Handler,
    pub(crate) secrets: RouteSecrets,
    /// The allowed resource types and the answer for any other type.
    pub(crate) filter: Option<(Vec<ResourceType>, Bytes)>,
    /// The sign-in step, for actions that require a signed-in user.
    pub(crate) sign_in: Option<Arc<dyn SignInGate>>,
}

impl fmt::Debug for Route {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Route")
            .field("handler", &self.handler)
            .field("secrets", &self.secrets)
            .field("filter", &self.filter.as_ref().map(|(types, _)| types))
            .field("sign_in", &self.sign_in.is_some())
            .finish()
    }
}

/// The answer to an action used on a resource type it is not for.
pub(crate) fn not_available_reply(types: &[ResourceType]) -> Bytes {
    let mut names: Vec<&str> = types.iter().map(ResourceType::as_str).collect();
    names.sort_unstable();
    names.dedup();
    let message = crate::response::Message::new(
        "Action Not Available",
        format!("This action is only available for: {}.", names.join(", ")),
    );
    Bytes::from(serde_json::to_vec(&message).unwrap_or_default())
}

/// The configured pipeline. Built by [`App::build`](crate::App::build); cheap to share.
pub struct Dispatcher {
    routes: HashMap<Box<str>, Arc<Route>>,
    tolerance: Duration,
    clock: Arc<dyn Clock>,
    data: Arc<AppData>,
    middleware: Chain,
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

/// Why a delivery was refused or failed: logged, never sent.
enum Failure {
    Rejected(&'static str),
    Secret(String),
    Signature(signature::SignatureError),
    Invalid(serde_json::Error),
    Handler(BoxError),
    Response(crate::response::ResponseError),
    Panic(String),
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Rejected(why) => f.write_str(why),
            Self::Secret(why) => write!(f, "secret could not be resolved: {why}"),
            Self::Signature(err) => write!(f, "signature refused: {err}"),
            Self::Invalid(err) => write!(f, "payload does not fit the event model: {err}"),
            Self::Handler(err) => write!(f, "handler failed: {}", ErrorChain(err.as_ref())),
            Self::Response(err) => write!(f, "handler answer cannot be sent: {err}"),
            Self::Panic(message) => write!(f, "handler panicked: {message}"),
        }
    }
}

/// Displays an error with its sources.
struct ErrorChain<'a>(&'a (dyn std::error::Error + 'static));

impl fmt::Display for ErrorChain<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)?;
        let mut source = self.0.source();
        while let Some(err) = source {
            write!(f, ": {err}")?;
            source = err.source();
        }
        Ok(())
    }
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
        }
    }

    /// The event types this dispatcher routes.
    pub fn event_types(&self) -> impl Iterator<Item = &str> {
        self.routes.keys().map(AsRef::as_ref)
    }

    /// Runs one delivery through the pipeline and logs one line about it.
    pub async fn dispatch(&self, headers: Headers, body: Bytes) -> Reply {
        let started = Instant::now();
        let mut event_type = None;
        let mut handler = None;
        let (reply, failure) = self
            .run(headers, &body, &mut event_type, &mut handler)
            .await;
        let latency_us = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX);
        let event_type = event_type.as_deref().unwrap_or("-");
        let handler = handler.unwrap_or("-");
        let status = reply.status;
        match failure {
            None => tracing::info!(
                target: "frameio_kit::delivery",
                event_type, handler, status, latency_us, "delivery handled"
            ),
            Some(failure) if status >= 500 => tracing::error!(
                target: "frameio_kit::delivery",
                event_type, handler, status, latency_us, reason = %failure, "delivery failed"
            ),
            Some(failure) => tracing::warn!(
                target: "frameio_kit::delivery",
                event_type, handler, status, latency_us, reason = %failure, "delivery refused"
            ),
        }
        reply
    }

    async fn run<'b, 's>(
        &'s self,
        headers: Headers,
        body: &'b [u8],
        event_type_out: &mut Option<Cow<'b, str>>,
        handler_out: &mut Option<&'s str>,
    ) -> (Reply, Option<Failure>) {
        // 1. The body must be a JSON object with a non-empty string `type`.
        let event_type = match serde_json::from_slice::<Probe<'b>>(body) {
            Err(err) => {
                return (
                    Reply::text(400, format!("Invalid JSON: {err}")),
                    Some(Failure::Rejected("body is not JSON")),
                );
            }
            Ok(Probe::NotObject) => {
                return (
                    Reply::text(400, "Payload must be a JSON object"),
                    Some(Failure::Rejected("body is not a JSON object")),
                );
            }
            Ok(Probe::Object(Some(event_type))) if !event_type.is_empty() => event_type,
            Ok(Probe::Object(_)) => {
                return (
                    Reply::text(400, "Payload missing 'type' field"),
                    Some(Failure::Rejected("payload has no usable `type`")),
                );
            }
        };
        *event_type_out = Some(event_type);
        let event_type: &str = event_type_out.as_deref().unwrap_or_default();

        // 2. The timestamp header must be present and an integer.
        let Some(raw_timestamp) = headers.get_bytes(TIMESTAMP_HEADER) else {
            return (
                Reply::text(400, "Missing X-Frameio-Request-Timestamp header"),
                Some(Failure::Rejected("timestamp header missing")),
            );
        };
        let Some((raw_timestamp, timestamp)) = std::str::from_utf8(raw_timestamp)
            .ok()
            .and_then(|raw| Some((raw, signature::parse_timestamp(raw).ok()?)))
        else {
            return (
                Reply::text(400, "Invalid X-Frameio-Request-Timestamp header format"),
                Some(Failure::Rejected("timestamp header is not an integer")),
            );
        };

        // 3. Route by type.
        let Some(route) = self.routes.get(event_type) else {
            return (
                Reply::text(
                    404,
                    format!("No handler registered for event type '{event_type}'."),
                ),
                Some(Failure::Rejected("no handler for this event type")),
            );
        };
        *handler_out = Some(route.handler.function.as_str());

        // 4. The payload must fit the handler's event model.
        // (Scoped so that `parsed` takes no room in this future's state across the awaits
        // below: the state is boxed for every delivery, and the allocator is much slower
        // past 1 KiB.)
        let event = {
            let parsed = match route.handler.kind {
                HandlerKind::Webhook => {
                    serde_json::from_slice::<WebhookEvent>(body).map(|mut e| {
                        e.timestamp = timestamp;
                        DeliveryEvent::Webhook(e)
                    })
                }
                HandlerKind::Action => serde_json::from_slice::<ActionEvent>(body).map(|mut e| {
                    e.timestamp = timestamp;
                    DeliveryEvent::Action(e)
                }),
            };
            match parsed {
                Ok(event) => event,
                Err(err) => {
                    return (
                        Reply::text(422, "Payload validation error."),
                        Some(Failure::Invalid(err)),
                    );
                }
            }
        };

        // 5. The secret: prepared at start-up, or resolved now.
        let resolved;
        let keys: &[SigningKey] = match &route.secrets {
            RouteSecrets::Static(keys) => keys,
            RouteSecrets::Dynamic(resolver) => {
                match AssertUnwindSafe(resolver.0.resolve(&event))
                    .catch_unwind()
                    .await
                {
                    Ok(Ok(secrets)) if !secrets.is_unusable() => {
                        resolved = secrets
                            .as_slice()
                            .iter()
                            .filter(|s| !s.expose().is_empty())
                            .map(|s| SigningKey::new(s.expose()))
                            .collect::<Vec<_>>();
                        &resolved
                    }
                    outcome => {
                        let why = match outcome {
                            Ok(Ok(_)) => "the resolver returned no secret".to_owned(),
                            Ok(Err(err)) => ErrorChain(err.as_ref()).to_string(),
                            Err(panic) => {
                                format!("the resolver panicked: {}", panic_message(panic.as_ref()))
                            }
                        };
                        return (
                            Reply::text(503, "Configuration error."),
                            Some(Failure::Secret(why)),
                        );
                    }
                }
            }
        };

        // 6. Verify the signature.
        if let Err(err) = signature::verify(
            keys,
            raw_timestamp,
            headers.get_bytes(SIGNATURE_HEADER),
            body,
            self.clock.now(),
            self.tolerance,
        ) {
            return (
                Reply::text(401, "Invalid signature."),
                Some(Failure::Signature(err)),
            );
        }

        // 7. Resource-type filters answer without running middleware or the handler.
        if let Some((allowed, answer)) = &route.filter
            && !allowed.contains(&event.resource().resource_type)
        {
            return (
                Reply::from_parts(200, APPLICATION_JSON, answer.clone()),
                None,
            );
        }

        // 8. Actions that need the user's own Adobe token: sign in first.
        let mut extension = None;
        if let (Some(gate), DeliveryEvent::Action(action)) = (&route.sign_in, &event) {
            match AssertUnwindSafe(gate.check(action, &headers))
                .catch_unwind()
                .await
            {
                Ok(Ok(GateOutcome::Proceed(value))) => extension = Some(value),
                Ok(Ok(GateOutcome::Answer(answer))) => return answer_reply(&answer),
                Ok(Err(err)) => return failure_reply(err),
                Err(panic) => return panic_reply(panic.as_ref()),
            }
        }

        // 9. Run middleware and the handler; a panic costs this delivery a 500, not the server.
        //    (The delivery is built in a block so it takes no room in this future's state.)
        let handling = {
            let mut delivery = Delivery::new(event, headers, Arc::clone(&self.data));
            if let Some(extension) = extension {
                delivery.set_extension_boxed(extension);
            }
            AssertUnwindSafe(Next::new(&self.middleware, &route.handler).run(delivery))
                .catch_unwind()
        };
        let outcome = handling.await;
        let answer = match outcome {
            Ok(Ok(answer)) => answer,
            Ok(Err(err)) => return failure_reply(err),
            Err(panic) => return panic_reply(panic.as_ref()),
        };

        // 10. Answer.
        if route.handler.kind == HandlerKind::Webhook {
            return (Reply::text(200, OK), None);
        }
        answer_reply(&answer)
    }
}

/// The reply to an action's answer (a Message or Form as JSON, nothing as `OK`).
fn answer_reply(answer: &crate::response::ActionResponse) -> (Reply, Option<Failure>) {
    match answer.to_json() {
        Ok(Some(json)) => (Reply::json(json), None),
        Ok(None) => (Reply::text(200, OK), None),
        Err(err) => (
            Reply::text(500, "Internal Server Error"),
            Some(Failure::Response(err)),
        ),
    }
}

/// The reply to a failure of the sign-in step, middleware or a handler (protocol.md §3 row 10).
fn failure_reply(err: BoxError) -> (Reply, Option<Failure>) {
    // A typed form answering in the handler's place (first click, invalid submit).
    if let Some(answer) = crate::forms::FormAnswer::find(err.as_ref()) {
        return answer_reply(answer.response());
    }
    let reply = if ConfigurationError::is_in(err.as_ref()) {
        Reply::text(503, "Configuration error.")
    } else {
        Reply::text(500, "Internal Server Error")
    };
    (reply, Some(Failure::Handler(err)))
}

/// The reply to a panic: one 500, the server keeps serving.
fn panic_reply(payload: &(dyn std::any::Any + Send)) -> (Reply, Option<Failure>) {
    (
        Reply::text(500, "Internal Server Error"),
        Some(Failure::Panic(panic_message(payload))),
    )
}

fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&'static str>() {
        (*s).to_owned()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "non-string panic payload".to_owned()
    }
}

/// The first look at a body: is it a JSON object, and what is its `type`? Validates the whole
/// document without building it.
enum Probe<'a> {
    NotObject,
    Object(Option<Cow<'a, str>>),
}

impl<'de> Deserialize<'de> for Probe<'de> {
    fn deserialize<D: de::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(ProbeVisitor)
    }
}

struct ProbeVisitor;

macro_rules! not_object {
    ($($method:ident: $ty:ty),*) => {$(
        fn $method<E: de::Error>(self, _value: $ty) -> Result<Self::Value, E> {
            Ok(Probe::NotObject)
        }
    )*};
}

impl<'de> Visitor<'de> for ProbeVisitor {
    type Value = Probe<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    not_object!(visit_bool: bool, visit_i64: i64, visit_u64: u64, visit_f64: f64, visit_str: &str);

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(Probe::NotObject)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(Probe::NotObject)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut event_type = None;
        while let Some(key) = map.next_key::<MaybeStr<'de>>()? {
            if key.0.as_deref() == Some("type") {
                event_type = map.next_value::<MaybeStr<'de>>()?.0;
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(Probe::Object(event_type))
    }
}

/// A string borrowed from the body when it has no escapes; `None` for any other JSON value.
struct MaybeStr<'a>(Option<Cow<'a, str>>);

impl<'de> Deserialize<'de> for MaybeStr<'de> {
    fn deserialize<D: de::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(MaybeStrVisitor)
    }
}

struct MaybeStrVisitor;

macro_rules! not_str {
    ($($method:ident: $ty:ty),*) => {$(
        fn $method<E: de::Error>(self, _value: $ty) -> Result<Self::Value, E> {
            Ok(MaybeStr(None))
        }
    )*};
}

impl<'de> Visitor<'de> for MaybeStrVisitor {
    type Value = MaybeStr<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_borrowed_str<E: de::Error>(self, value: &'de str) -> Result<Self::Value, E> {
        Ok(MaybeStr(Some(Cow::Borrowed(value))))
    }

    fn visit_str<E: de::Error>(self, value: &str) -> Result<Self::Value, E> {
        Ok(MaybeStr(Some(Cow::Owned(value.to_owned()))))
    }

    not_str!(visit_bool: bool, visit_i64: i64, visit_u64: u64, visit_f64: f64);

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(MaybeStr(None))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(MaybeStr(None))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(MaybeStr(None))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn probe(body: &str) -> Result<Option<Option<String>>, String> {
        match serde_json::from_str::<Probe<'_>>(body) {
            Err(err) => Err(err.to_string()),
            Ok(Probe::NotObject) => Ok(None),
            Ok(Probe::Object(t)) => Ok(Some(t.map(Cow::into_owned))),
        }
    }

    #[test]
    fn probe_reads_type_without_building_the_document() {
        assert_eq!(
            probe(r#"{"a":[1,{"b":null}],"type":"file.ready","c":{}}"#),
            Ok(Some(Some("file.ready".into())))
        );
        assert_eq!(probe(r#"{"type":"a\u0062"}"#), Ok(Some(Some("ab".into()))));
        assert_eq!(probe(r#"{"type":7}"#), Ok(Some(None)));
        assert_eq!(probe(r#"{"type":{"x":1}}"#), Ok(Some(None)));
        assert_eq!(probe(r#"{"other":1}"#), Ok(Some(None)));
        assert_eq!(
            probe(r#"{"type":"a","type":"b"}"#),
            Ok(Some(Some("b".into())))
        );
        for not_object in ["[1,2]", "\"x\"", "1", "true", "null", "1.5", "[]"] {
            assert_eq!(probe(not_object), Ok(None), "{not_object}");
        }
        for broken in ["", "{", "{\"type\":}", "[1,", "{} {}", "nope"] {
            assert!(probe(broken).is_err(), "{broken}");
        }
    }

    #[test]
    fn panic_messages_are_extracted() {
        assert_eq!(panic_message(&"static"), "static");
        assert_eq!(panic_message(&String::from("owned")), "owned");
        assert_eq!(panic_message(&42_u8), "non-string panic payload");
    }
}
