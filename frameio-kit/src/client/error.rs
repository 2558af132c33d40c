//! Errors returned by the Frame.io API client.

use std::fmt;
use std::time::Duration;

use bytes::Bytes;
use reqwest::StatusCode;
use reqwest::header::HeaderMap;
use serde::Deserialize;

use super::ratelimit::RateLimitInfo;

/// Everything that can go wrong while talking to Frame.io.
///
/// Neither `Display` nor `Debug` ever prints the access token.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ClientError {
    /// Frame.io answered with a non-success status.
    #[error(transparent)]
    Api(Box<ApiError>),
    /// The request could not be sent or the response could not be read.
    #[error("http transport error")]
    Transport(#[source] reqwest::Error),
    /// The response body was not the JSON document we expected.
    #[error("could not decode the response body (status {status})")]
    Decode {
        /// Status of the response whose body failed to decode.
        status: StatusCode,
        /// The underlying JSON error.
        #[source]
        source: serde_json::Error,
    },
    /// The token provider could not produce an access token.
    #[error("could not obtain an access token")]
    Token(#[source] TokenError),
    /// The client was configured with invalid values (bad base URL, no token…).
    #[error("invalid client configuration: {0}")]
    Config(String),
    /// A local file could not be read or written.
    #[error("i/o error")]
    Io(#[from] std::io::Error),
    /// An upload or download against the storage host failed.
    #[error("transfer failed: {0}")]
    Transfer(String),
}

impl ClientError {
    /// The API error, when Frame.io answered with a non-success status.
    pub fn as_api(&self) -> Option<&ApiError> {
        match self {
            Self::Api(e) => Some(e),
            _ => None,
        }
    }

    /// The HTTP status of an API error, if any.
    pub fn status(&self) -> Option<StatusCode> {
        self.as_api().map(|e| e.status)
    }
}

impl From<ApiError> for ClientError {
    fn from(e: ApiError) -> Self {
        Self::Api(Box::new(e))
    }
}

/// Error returned by a [`TokenProvider`](super::TokenProvider).
#[derive(Debug, thiserror::Error)]
#[error("token unavailable: {message}")]
pub struct TokenError {
    message: String,
    #[source]
    source: Option<Box<dyn std::error::Error + Send + Sync + 'static>>,
}

impl TokenError {
    /// A token error with a message (which must not contain the token).
    pub fn new(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            source: None,
        }
    }

    /// A token error wrapping an underlying cause.
    pub fn with_source(
        message: impl Into<String>,
        source: impl std::error::Error + Send + Sync + 'static,
    ) -> Self {
        Self {
            message: message.into(),
            source: Some(Box::new(source)),
        }
    }
}

/// Broad category of an [`ApiError`], derived from its status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ApiErrorKind {
    /// 400.
    BadRequest,
    /// 401: the token is missing, invalid or expired.
    Unauthorized,
    /// 403: the token is valid but lacks permission.
    Forbidden,
    /// 404.
    NotFound,
    /// 408: the server timed out waiting for the request (retried for idempotent methods).
    RequestTimeout,
    /// 409.
    Conflict,
    /// 422: the request body failed validation.
    Unprocessable,
    /// 429: rate limited.
    RateLimited,
    /// 5xx.
    Server,
    /// Any other status.
    Other,
}

/// One entry of the `errors` array of a Frame.io error body.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct ErrorObject {
    /// Human readable explanation.
    pub detail: Option<String>,
    /// Short summary.
    pub title: Option<String>,
    /// Where in the request the problem was found.
    pub source: Option<ErrorSource>,
}

/// The `source` member of an [`ErrorObject`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct ErrorSource {
    /// JSON pointer into the request body (for example `/data/name`).
    pub pointer: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct ErrorBody {
    errors: Vec<ErrorObject>,
}

/// A non-success answer from Frame.io.
#[derive(Clone)]
#[non_exhaustive]
pub struct ApiError {
    /// HTTP status.
    pub status: StatusCode,
    /// Parsed `errors[]` entries (empty when the body had none).
    pub errors: Vec<ErrorObject>,
    /// The raw response body.
    pub body: Bytes,
    /// The response headers.
    pub headers: HeaderMap,
}

impl ApiError {
    pub(crate) fn from_parts(status: StatusCode, headers: HeaderMap, body: Bytes) -> Self {
        let errors = serde_json::from_slice::<ErrorBody>(&body)
            .map(|b| b.errors)
            .unwrap_or_default();
        Self {
            status,
            errors,
            body,
            headers,
        }
    }

    /// The category of this error.
    pub fn kind(&self) -> ApiErrorKind {
        match self.status.as_u16() {
            400 => ApiErrorKind::BadRequest,
            401 => ApiErrorKind::Unauthorized,
            403 => ApiErrorKind::Forbidden,
            404 => ApiErrorKind::NotFound,
            408 => ApiErrorKind::RequestTimeout,
            409 => ApiErrorKind::Conflict,
            422 => ApiErrorKind::Unprocessable,
            429 => ApiErrorKind::RateLimited,
            500..=599 => ApiErrorKind::Server,
            _ => ApiErrorKind::Other,
        }
    }

    /// 401.
    pub fn is_unauthorized(&self) -> bool {
        self.kind() == ApiErrorKind::Unauthorized
    }
    /// 403.
    pub fn is_forbidden(&self) -> bool {
        self.kind() == ApiErrorKind::Forbidden
    }
    /// 404.
    pub fn is_not_found(&self) -> bool {
        self.kind() == ApiErrorKind::NotFound
    }
    /// 408.
    pub fn is_request_timeout(&self) -> bool {
        self.kind() == ApiErrorKind::RequestTimeout
    }
    /// 409.
    pub fn is_conflict(&self) -> bool {
        self.kind() == ApiErrorKind::Conflict
    }
    /// 422.
    pub fn is_unprocessable(&self) -> bool {
        self.kind() == ApiErrorKind::Unprocessable
    }
    /// 429.
    pub fn is_rate_limited(&self) -> bool {
        self.kind() == ApiErrorKind::RateLimited
    }

    /// The raw body as text (lossy).
    pub fn body_text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    fn header_u64(&self, name: &str) -> Option<u64> {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse().ok())
    }

    /// `x-ratelimit-limit`: requests allowed in the current window.
    pub fn rate_limit_limit(&self) -> Option<u64> {
        self.header_u64("x-ratelimit-limit")
    }
    /// `x-ratelimit-remaining`: requests left in the current window.
    pub fn rate_limit_remaining(&self) -> Option<u64> {
        self.header_u64("x-ratelimit-remaining")
    }
    /// `x-ratelimit-window`: length of the rate-limit window, in milliseconds.
    pub fn rate_limit_window(&self) -> Option<u64> {
        self.header_u64("x-ratelimit-window")
    }
    /// `x-ratelimit-reset`: time until the rate-limit budget refills.
    pub fn rate_limit_reset(&self) -> Option<Duration> {
        self.rate_limit().reset
    }
    /// Every `x-ratelimit-*` header of the response.
    pub fn rate_limit(&self) -> RateLimitInfo {
        RateLimitInfo::from_headers(&self.headers)
    }
    /// `Retry-After`, given as delay-seconds or as an HTTP date (a past date gives zero).
    pub fn retry_after(&self) -> Option<Duration> {
        super::retry::retry_after(&self.headers)
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "frame.io api returned {}", self.status)?;
        if let Some(first) = self.errors.first() {
            if let Some(detail) = first.detail.as_deref().or(first.title.as_deref()) {
                write!(f, ": {detail}")?;
            }
            if let Some(pointer) = first.source.as_ref().and_then(|s| s.pointer.as_deref()) {
                write!(f, " (at {pointer})")?;
            }
        }
        Ok(())
    }
}

impl fmt::Debug for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ApiError")
            .field("status", &self.status)
            .field("errors", &self.errors)
            .field("body", &self.body_text())
            .finish_non_exhaustive()
    }
}

impl std::error::Error for ApiError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_errors_and_kind() {
        let body = br#"{"errors":[{"detail":"name is required","title":"Invalid","source":{"pointer":"/data/name"}}]}"#;
        let mut headers = HeaderMap::new();
        headers.insert("x-ratelimit-remaining", "7".parse().expect("header"));
        let e = ApiError::from_parts(
            StatusCode::UNPROCESSABLE_ENTITY,
            headers,
            Bytes::from_static(body),
        );
        assert!(e.is_unprocessable());
        assert_eq!(e.rate_limit_remaining(), Some(7));
        assert_eq!(
            e.to_string(),
            "frame.io api returned 422 Unprocessable Entity: name is required (at /data/name)"
        );
    }

    #[test]
    fn tolerates_non_json_body() {
        let e = ApiError::from_parts(
            StatusCode::BAD_GATEWAY,
            HeaderMap::new(),
            Bytes::from_static(b"<html>"),
        );
        assert!(e.errors.is_empty());
        assert_eq!(e.kind(), ApiErrorKind::Server);
    }

    #[test]
    fn request_timeout_has_its_own_kind() {
        let e = ApiError::from_parts(StatusCode::REQUEST_TIMEOUT, HeaderMap::new(), Bytes::new());
        assert_eq!(e.kind(), ApiErrorKind::RequestTimeout);
        assert!(e.is_request_timeout());
    }
}
