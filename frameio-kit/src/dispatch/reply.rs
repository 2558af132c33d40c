//! What the pipeline answers ([`Reply`]) and what it logs about a refusal or failure.

use std::borrow::Cow;
use std::fmt;

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

/// The answer to one delivery.
#[derive(Clone, PartialEq, Eq)]
pub struct Reply {
    status: u16,
    content_type: &'static str,
    body: Bytes,
}

impl Reply {
    pub(crate) fn text(status: u16, body: impl Into<Bytes>) -> Self {
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
                panic_message(panic.as_ref())
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
        Failure::Panic(panic_message(payload)),
    )
}

pub(super) fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&'static str>() {
        (*s).to_owned()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "non-string panic payload".to_owned()
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn panic_messages_are_extracted() {
        assert_eq!(panic_message(&"static"), "static");
        assert_eq!(panic_message(&String::from("owned")), "owned");
        assert_eq!(panic_message(&42_u8), "non-string panic payload");
    }
}
