//! Signed deliveries for tests: the headers Frame.io would send, and helpers for every way a
//! delivery can be wrong.
//!
//! ```
//! use frameio_kit_testing::signing::SignedRequest;
//!
//! let request = SignedRequest::new("my-secret", r#"{"type":"file.ready"}"#).timestamp(1_700_000_000);
//! assert_eq!(request.timestamp_header(), "1700000000");
//! assert!(request.signature_header().starts_with("v0="));
//! // A copy signed 10 minutes ago, with another secret, or with a tampered body:
//! let _stale = request.clone().stale();
//! let _forged = request.clone().wrong_secret();
//! let _tampered = request.tampered();
//! ```

use std::time::{SystemTime, UNIX_EPOCH};

use frameio_kit::Headers;
use frameio_kit::signature::{SIGNATURE_HEADER, TIMESTAMP_HEADER};

/// The current time in Unix seconds.
pub fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

/// Signs `body` like Frame.io: returns the `X-Frameio-Signature` value.
pub fn sign(secret: &str, timestamp: i64, body: &[u8]) -> String {
    frameio_kit::signature::sign(secret.as_bytes(), &timestamp.to_string(), body)
}

/// A delivery body with the headers Frame.io would send for it.
#[derive(Clone)]
pub struct SignedRequest {
    secret: String,
    body: Vec<u8>,
    timestamp: String,
    signature: Option<String>,
    signed_body: Option<Vec<u8>>,
    omitted: Vec<&'static str>,
}

impl std::fmt::Debug for SignedRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SignedRequest")
            .field("body", &String::from_utf8_lossy(&self.body))
            .field("timestamp", &self.timestamp)
            .finish_non_exhaustive()
    }
}

impl SignedRequest {
    /// A request for `body`, signed with `secret` at the current time.
    pub fn new(secret: impl Into<String>, body: impl Into<Vec<u8>>) -> Self {
        Self {
            secret: secret.into(),
            body: body.into(),
            timestamp: now().to_string(),
            signature: None,
            signed_body: None,
            omitted: Vec::new(),
        }
    }

    /// A request for a JSON value.
    pub fn json(secret: impl Into<String>, body: &serde_json::Value) -> Self {
        Self::new(secret, body.to_string())
    }

    /// Signs at this Unix time instead of now.
    #[must_use]
    pub fn timestamp(mut self, unix_seconds: i64) -> Self {
        self.timestamp = unix_seconds.to_string();
        self
    }

    /// Sends this exact timestamp header (for malformed-header tests); the signature covers it.
    #[must_use]
    pub fn raw_timestamp(mut self, header: impl Into<String>) -> Self {
        self.timestamp = header.into();
        self
    }

    /// Signed 10 minutes in the past: outside the default ±300 s window.
    #[must_use]
    pub fn stale(self) -> Self {
        self.timestamp(now() - 600)
    }

    /// Signed 10 minutes in the future: outside the default ±300 s window.
    #[must_use]
    pub fn future(self) -> Self {
        self.timestamp(now() + 600)
    }

    /// Signed with a secret the server does not know.
    #[must_use]
    pub fn wrong_secret(mut self) -> Self {
        self.secret = format!("not-{}", self.secret);
        self
    }

    /// Signs the original body, then changes one byte of what is sent (the signature no
    /// longer matches).
    #[must_use]
    pub fn tampered(mut self) -> Self {
        let original = self.body.clone();
        let Some(last) = self.body.iter().rposition(|b| b.is_ascii_alphanumeric()) else {
            self.body.push(b' ');
            self.signed_body = Some(original);
            return self;
        };
        self.body[last] = if self.body[last] == b'x' { b'y' } else { b'x' };
        self.signed_body = Some(original);
        self
    }

    /// Sends this exact signature header instead of a computed one.
    #[must_use]
    pub fn signature(mut self, header: impl Into<String>) -> Self {
        self.signature = Some(header.into());
        self
    }

    /// Sends no `X-Frameio-Signature` header (the receiver answers 401).
    #[must_use]
    pub fn without_signature(mut self) -> Self {
        self.omitted.push(SIGNATURE_HEADER);
        self
    }

    /// Sends no `X-Frameio-Request-Timestamp` header (the receiver answers 400).
    #[must_use]
    pub fn without_timestamp(mut self) -> Self {
        self.omitted.push(TIMESTAMP_HEADER);
        self
    }

    /// The body that is sent.
    pub fn body(&self) -> &[u8] {
        &self.body
    }

    /// The `X-Frameio-Request-Timestamp` value.
    pub fn timestamp_header(&self) -> &str {
        &self.timestamp
    }

    /// The `X-Frameio-Signature` value.
    pub fn signature_header(&self) -> String {
        if let Some(signature) = &self.signature {
            return signature.clone();
        }
        let signed = self.signed_body.as_deref().unwrap_or(&self.body);
        frameio_kit::signature::sign(self.secret.as_bytes(), &self.timestamp, signed)
    }

    /// Every header Frame.io sends, as `(name, value)` pairs, less any removed with
    /// [`without_signature`](Self::without_signature) / [`without_timestamp`](Self::without_timestamp).
    pub fn header_pairs(&self) -> Vec<(&'static str, String)> {
        let mut pairs = vec![
            (TIMESTAMP_HEADER, self.timestamp.clone()),
            (SIGNATURE_HEADER, self.signature_header()),
            ("user-agent", "Frame.io V4 API".to_owned()),
            ("content-type", "application/json".to_owned()),
        ];
        pairs.retain(|(name, _)| !self.omitted.contains(name));
        pairs
    }

    /// The headers as frameio-kit's [`Headers`], for in-process dispatch.
    pub fn headers(&self) -> Headers {
        let mut headers = Headers::new();
        for (name, value) in self.header_pairs() {
            headers.insert(name, value.into_bytes());
        }
        headers
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use frameio_kit::signature::{DEFAULT_TOLERANCE, SigningKey, verify};

    fn check(request: &SignedRequest) -> bool {
        verify(
            &[SigningKey::new("s")],
            request.timestamp_header(),
            Some(request.signature_header().as_bytes()),
            request.body(),
            now(),
            DEFAULT_TOLERANCE,
        )
        .is_ok()
    }

    #[test]
    fn good_and_bad_requests() {
        let good = SignedRequest::new("s", "{\"type\":\"x\"}");
        assert!(check(&good));
        assert!(!check(&good.clone().stale()));
        assert!(!check(&good.clone().future()));
        assert!(!check(&good.clone().wrong_secret()));
        let tampered = good.clone().tampered();
        assert_ne!(tampered.body(), good.body());
        assert!(!check(&tampered));
        assert!(!check(&good.clone().signature("v0=00")));
    }

    #[test]
    fn headers_can_be_left_out() {
        let good = SignedRequest::new("s", "{}");
        assert_eq!(good.header_pairs().len(), 4);
        let bare = good.clone().without_signature().without_timestamp();
        assert!(bare.headers().get(SIGNATURE_HEADER).is_none());
        assert!(bare.headers().get(TIMESTAMP_HEADER).is_none());
        assert_eq!(bare.headers().get("user-agent"), Some("Frame.io V4 API"));
        assert_eq!(
            sign("s", 1, b"{}"),
            SignedRequest::new("s", "{}")
                .timestamp(1)
                .signature_header()
        );
    }
}
