//! What the pipeline answers ([`Reply`]) and what it logs about a refusal or failure.

use std::borrow::Cow;
use std::fmt;
use std::sync::Arc;

use bytes::Bytes;

use crate::error::{BoxError, ConfigurationError};
use crate::response::ActionResponse;
use crate::secret::ResolveFailure;
use crate::signature::SignatureError;

use super::body::Misfit;

/// The content type of plain-text answers.
pub const TEXT_PLAIN: &str = "text/plain; charset=utf-8";
/// The content type of JSON answers.
pub const APPLICATION_JSON: &str = "application/json";

const OK: &str = "OK";

/// The answer to one delivery: what is sent (status, content type, body) and, for a refusal
/// or a failure, the [`Diagnosis`] that was logged with it (never sent).
///
/// Two replies are equal when they send the same answer: the diagnosis is not compared.
#[derive(Clone)]
pub struct Reply {
    status: u16,
    content_type: &'static str,
    body: Bytes,
    /// `None` for every delivery that was handled: a successful delivery allocates nothing
    /// here.
    diagnosis: Option<Arc<Diagnosis>>,
}

impl PartialEq for Reply {
    fn eq(&self, other: &Self) -> bool {
        self.status == other.status
            && self.content_type == other.content_type
            && self.body == other.body
    }
}

impl Eq for Reply {}

impl Reply {
    pub(crate) fn text(status: u16, body: impl Into<Bytes>) -> Self {
        Self {
            status,
            content_type: TEXT_PLAIN,
            body: body.into(),
            diagnosis: None,
        }
    }

    pub(crate) fn from_parts(status: u16, content_type: &'static str, body: Bytes) -> Self {
        Self {
            status,
            content_type,
            body,
            diagnosis: None,
        }
    }

    pub(crate) fn ok() -> Self {
        Self::text(200, OK)
    }

    /// `413 Payload too large.` (row 1).
    pub(crate) fn payload_too_large() -> Self {
        Self::text(413, Bytes::from_static(b"Payload too large."))
    }

    /// `408 Request timeout.` (row 1: the body did not arrive within the read deadline).
    pub(crate) fn request_timeout() -> Self {
        Self::text(408, Bytes::from_static(b"Request timeout."))
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

    /// The body, taken out of the reply (the HTTP adapter sends it without a copy).
    pub(crate) fn into_body(self) -> Bytes {
        self.body
    }

    /// The body as text (lossy for non-UTF-8 bytes, which this crate never produces).
    pub fn body_text(&self) -> Cow<'_, str> {
        String::from_utf8_lossy(&self.body)
    }

    /// `true` for a JSON body.
    pub fn is_json(&self) -> bool {
        self.content_type == APPLICATION_JSON
    }

    /// Why the pipeline refused or failed this delivery — the reason it logged, with the step
    /// and the handler — or `None` when the delivery was handled (including a filter's
    /// Message and the sign-in Form, which are answers, not failures).
    ///
    /// It stays in the process: the HTTP adapter sends only the status, content type and
    /// body. Tests read it to explain a failing delivery (`frameio-kit-testing` shows it in
    /// its error messages).
    ///
    /// ```
    /// use frameio_kit::{App, Handler, Headers, WebhookEvent};
    /// use frameio_kit::dispatch::Stage;
    ///
    /// async fn on_ready(_event: WebhookEvent) -> frameio_kit::Result<()> {
    ///     Err("the bucket is gone".into())
    /// }
    ///
    /// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// let service = App::new()
    ///     .handler(Handler::webhook(["file.ready"], on_ready).secret("s"))
    ///     .build()
    ///     .unwrap();
    /// let reply = service.dispatch(Headers::new(), r#"{"type":"file.ready"}"#.into()).await;
    /// assert_eq!(reply.status(), 400); // no timestamp header
    /// let diagnosis = reply.diagnosis().unwrap();
    /// assert_eq!(diagnosis.stage(), Stage::Timestamp);
    /// assert_eq!(diagnosis.reason(), "timestamp header missing");
    /// # });
    /// ```
    pub fn diagnosis(&self) -> Option<&Diagnosis> {
        self.diagnosis.as_deref()
    }

    /// This reply with the diagnosis of `failure` (what the pipeline just logged), if any.
    pub(super) fn diagnosed(
        mut self,
        failure: Option<Failure>,
        seen: &super::Seen<'_, '_>,
    ) -> Self {
        if let Some(failure) = failure {
            let stage = failure.stage(self.status, &self.body, seen);
            self.diagnosis = Some(Arc::new(Diagnosis {
                stage,
                event_type: seen.event_type.as_deref().map(Box::from),
                handler: seen.handler.map(Box::from),
                reason: failure.to_string(),
            }));
        }
        self
    }
}

impl fmt::Debug for Reply {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut debug = f.debug_struct("Reply");
        debug
            .field("status", &self.status)
            .field("content_type", &self.content_type)
            .field("body", &self.body_text());
        if let Some(diagnosis) = &self.diagnosis {
            debug.field("diagnosis", diagnosis);
        }
        debug.finish()
    }
}

/// The step of the pipeline that refused or failed a delivery: the first column of the
/// table in [`dispatch`](crate::dispatch).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Stage {
    /// The body is not a JSON object with a usable `type` (400).
    Parse,
    /// The timestamp header is missing or not an integer (400).
    Timestamp,
    /// No handler for the event type (404).
    Route,
    /// The payload does not fit the event model (422).
    Validate,
    /// The signing secret could not be resolved (503).
    Secret,
    /// The signature or the timestamp window was refused (401).
    Verify,
    /// A middleware, the sign-in step or the handler failed or panicked (503 or 500).
    Handle,
    /// The handler's answer could not be serialized (500).
    Reply,
}

impl Stage {
    /// The step's name as the dispatch table writes it (`parse`, `verify`, `handle`…).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Parse => "parse",
            Self::Timestamp => "timestamp",
            Self::Route => "route",
            Self::Validate => "validate",
            Self::Secret => "secret",
            Self::Verify => "verify",
            Self::Handle => "handle",
            Self::Reply => "reply",
        }
    }
}

impl fmt::Display for Stage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a delivery was refused or failed, as the pipeline logged it: see
/// [`Reply::diagnosis`]. Never sent over HTTP.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnosis {
    stage: Stage,
    event_type: Option<Box<str>>,
    handler: Option<Box<str>>,
    reason: String,
}

impl Diagnosis {
    /// The step that refused or failed.
    pub fn stage(&self) -> Stage {
        self.stage
    }

    /// The delivery's event type, once the body was parsed far enough to know it.
    pub fn event_type(&self) -> Option<&str> {
        self.event_type.as_deref()
    }

    /// The handler the delivery was routed to (`module::function`), once routed.
    pub fn handler(&self) -> Option<&str> {
        self.handler.as_deref()
    }

    /// The reason, exactly as logged (`reason` field of the delivery's log line), with the
    /// error's sources.
    pub fn reason(&self) -> &str {
        &self.reason
    }
}

impl fmt::Display for Diagnosis {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.stage, self.reason)?;
        if let Some(handler) = &self.handler {
            write!(f, " (handler `{handler}`)")?;
        }
        Ok(())
    }
}

/// Why a delivery was refused or failed: logged, never sent.
pub(super) enum Failure {
    Rejected(&'static str),
    Secret(ResolveFailure),
    Signature(SignatureError),
    Misfit(Misfit),
    Invalid(serde_json::Error),
    Handler(BoxError),
    Response(crate::response::ResponseError),
    Panic(String),
}

impl Failure {
    /// The step that produced this failure. The early refusals share one variant: the steps
    /// run in a fixed order, so what the pipeline had learned (`seen`) and the reply (whose
    /// bodies protocol.md fixes) tell them apart.
    fn stage(&self, status: u16, body: &[u8], seen: &super::Seen<'_, '_>) -> Stage {
        match self {
            Self::Rejected(_) if status == 404 && seen.handler.is_none() => Stage::Route,
            Self::Rejected(_) if contains(body, b"X-Frameio-Request-Timestamp") => Stage::Timestamp,
            Self::Rejected(_) => Stage::Parse,
            Self::Secret(_) => Stage::Secret,
            Self::Signature(_) => Stage::Verify,
            Self::Misfit(_) | Self::Invalid(_) => Stage::Validate,
            Self::Handler(_) | Self::Panic(_) => Stage::Handle,
            Self::Response(_) => Stage::Reply,
        }
    }
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack
        .windows(needle.len())
        .any(|window| window == needle)
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Rejected(why) => f.write_str(why),
            Self::Secret(ResolveFailure::NoSecret) => {
                f.write_str("secret could not be resolved: the resolver returned no secret")
            }
            Self::Secret(ResolveFailure::Error(err)) => {
                write!(
                    f,
                    "secret could not be resolved: {}",
                    ErrorChain(err.as_ref())
                )
            }
            Self::Secret(ResolveFailure::Panic(panic)) => write!(
                f,
                "secret could not be resolved: the resolver panicked: {}",
                crate::error::panic_message(panic.as_ref())
            ),
            Self::Signature(err) => write!(f, "signature refused: {err}"),
            Self::Misfit(misfit) => write!(f, "payload does not fit the event model: {misfit}"),
            Self::Invalid(err) => write!(f, "payload does not fit the event model: {err}"),
            Self::Handler(err) => write!(f, "handler failed: {}", ErrorChain(err.as_ref())),
            Self::Response(err) => write!(f, "handler answer cannot be sent: {err}"),
            Self::Panic(message) => write!(f, "handler panicked: {message}"),
        }
    }
}

/// An answer that ends the pipeline early, with what to log about it.
pub(super) struct Stop {
    pub(super) reply: Reply,
    pub(super) failure: Option<Failure>,
}

impl Stop {
    /// A refusal: `reply` is sent, `failure` logged.
    pub(super) fn refuse(reply: Reply, failure: Failure) -> Self {
        Self {
            reply,
            failure: Some(failure),
        }
    }

    /// A plain-text refusal.
    pub(super) fn text(status: u16, body: impl Into<Bytes>, failure: Failure) -> Self {
        Self::refuse(Reply::text(status, body), failure)
    }

    /// An answer that is not a failure (a filter's Message, the sign-in Form).
    pub(super) fn answer(reply: Reply) -> Self {
        Self {
            reply,
            failure: None,
        }
    }
}

/// The reply to an action's answer (a Message or Form as JSON, nothing as `OK`).
pub(super) fn answer_reply(answer: &ActionResponse) -> Result<Reply, Stop> {
    match answer.to_json() {
        Ok(Some(json)) => Ok(Reply::from_parts(200, APPLICATION_JSON, json.into())),
        Ok(None) => Ok(Reply::ok()),
        Err(err) => Err(Stop::text(
            500,
            "Internal Server Error",
            Failure::Response(err),
        )),
    }
}

/// The reply to a failure of the sign-in step, middleware or a handler (protocol.md §3 row 10).
pub(super) fn failure_stop(err: BoxError) -> Stop {
    // A typed form answering in the handler's place (first click, invalid submit).
    if let Some(answer) = crate::forms::FormAnswer::find(err.as_ref()) {
        return match answer_reply(answer.response()) {
            Ok(reply) => Stop::answer(reply),
            Err(stop) => stop,
        };
    }
    let reply = if ConfigurationError::is_in(err.as_ref()) {
        Reply::text(503, "Configuration error.")
    } else {
        Reply::text(500, "Internal Server Error")
    };
    Stop::refuse(reply, Failure::Handler(err))
}

/// The reply to a panic: one 500, the server keeps serving.
pub(super) fn panic_stop(payload: &(dyn std::any::Any + Send)) -> Stop {
    Stop::text(
        500,
        "Internal Server Error",
        Failure::Panic(crate::error::panic_message(payload)),
    )
}

/// Displays an error with its sources.
pub(super) struct ErrorChain<'a>(pub(super) &'a (dyn std::error::Error + 'static));

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
