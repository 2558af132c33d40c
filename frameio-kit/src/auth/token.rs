//! The token model: what IMS returns and what gets persisted.

use std::{
    fmt,
    time::{Duration, SystemTime, UNIX_EPOCH},
};

use serde::{Deserialize, Serialize};

use super::AuthError;

/// The lifetime IMS means when a token response has no `expires_in`.
pub const DEFAULT_EXPIRES_IN: u64 = 3600;

/// An IMS access token with its refresh token, expiry and scopes.
///
/// Serialize it (`serde_json`) to persist it and deserialize it to import it again; the
/// serialized form contains the tokens, so store it encrypted (the
/// [`TokenManager`](super::TokenManager) does). `Debug` never shows the tokens.
///
/// ```
/// use frameio_kit::auth::Token;
///
/// let json = r#"{"access_token":"at","refresh_token":"rt","expires_in":3600,"scope":"openid email"}"#;
/// let token = Token::from_response_json(json).unwrap();
/// assert_eq!(token.scopes(), ["openid", "email"]);
/// assert!(!format!("{token:?}").contains("at\""));
/// let exported = serde_json::to_string(&token).unwrap();
/// let imported: Token = serde_json::from_str(&exported).unwrap();
/// assert_eq!(imported, token);
/// ```
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Token {
    access_token: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    refresh_token: Option<String>,
    /// Unix seconds.
    expires_at: u64,
    #[serde(default)]
    scopes: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    token_type: Option<String>,
    /// When this token was obtained, in Unix milliseconds (0 for tokens saved before this
    /// field existed). Decides which of two tokens is newer.
    #[serde(default, skip_serializing_if = "is_zero")]
    issued_at_ms: u64,
}

fn is_zero(v: &u64) -> bool {
    *v == 0
}

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Token")
            .field("access_token", &"[redacted]")
            .field(
                "refresh_token",
                &self.refresh_token.as_ref().map(|_| "[redacted]"),
            )
            .field("expires_at", &self.expires_at)
            .field("scopes", &self.scopes)
            .field("token_type", &self.token_type)
            .field("issued_at_ms", &self.issued_at_ms)
            .finish()
    }
}

/// The body of a successful IMS token response.
#[derive(Deserialize)]
pub(crate) struct TokenResponse {
    access_token: String,
    #[serde(default)]
    refresh_token: Option<String>,
    #[serde(default)]
    expires_in: Option<u64>,
    #[serde(default)]
    scope: Option<String>,
    #[serde(default)]
    token_type: Option<String>,
}

pub(crate) fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

pub(crate) fn unix_now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
        .unwrap_or(0)
}

impl Token {
    /// A token built by hand (for example from another source of IMS tokens).
    pub fn new(
        access_token: impl Into<String>,
        refresh_token: Option<String>,
        expires_in: Duration,
        scopes: Vec<String>,
    ) -> Self {
        Self {
            access_token: access_token.into(),
            refresh_token,
            expires_at: unix_now().saturating_add(expires_in.as_secs()),
            scopes,
            token_type: Some("bearer".to_owned()),
            issued_at_ms: unix_now_ms(),
        }
    }

    pub(crate) fn from_response(resp: TokenResponse) -> Result<Self, AuthError> {
        if resp.access_token.is_empty() {
            return Err(AuthError::InvalidResponse(
                "token response has an empty access_token".into(),
            ));
        }
        let expires_in = resp.expires_in.unwrap_or(DEFAULT_EXPIRES_IN);
        Ok(Self {
            access_token: resp.access_token,
            refresh_token: resp.refresh_token.filter(|t| !t.is_empty()),
            expires_at: unix_now().saturating_add(expires_in),
            scopes: resp
                .scope
                .unwrap_or_default()
                .split([' ', ','])
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect(),
            token_type: resp.token_type,
            issued_at_ms: unix_now_ms(),
        })
    }

    /// Parses an IMS token response body (`access_token` required; `expires_in` defaults to
    /// 3600 seconds; `scope` is space separated).
    ///
    /// # Errors
    ///
    /// [`AuthError::InvalidResponse`] when the body is not a token response.
    pub fn from_response_json(body: &str) -> Result<Self, AuthError> {
        let resp: TokenResponse = serde_json::from_str(body).map_err(|err| {
            AuthError::InvalidResponse(format!("token response is not valid: {err}"))
        })?;
        Self::from_response(resp)
    }

    /// The bearer access token. Treat it as a secret.
    pub fn access_token(&self) -> &str {
        &self.access_token
    }

    /// The refresh token, when IMS issued one (user flows with `offline_access`).
    pub fn refresh_token(&self) -> Option<&str> {
        self.refresh_token.as_deref()
    }

    /// When the access token expires, in Unix seconds.
    pub fn expires_at_unix(&self) -> u64 {
        self.expires_at
    }

    /// When the access token expires.
    pub fn expires_at(&self) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(self.expires_at)
    }

    /// How long the access token is still valid (zero once expired).
    pub fn expires_in(&self) -> Duration {
        Duration::from_secs(self.expires_at.saturating_sub(unix_now()))
    }

    /// The granted scopes.
    pub fn scopes(&self) -> &[String] {
        &self.scopes
    }

    /// The token type IMS reported (usually `bearer`).
    pub fn token_type(&self) -> Option<&str> {
        self.token_type.as_deref()
    }

    /// Whether the access token has expired.
    pub fn is_expired(&self) -> bool {
        unix_now() >= self.expires_at
    }

    /// Whether the access token expires within `buffer` (and so should be refreshed now).
    pub fn needs_refresh(&self, buffer: Duration) -> bool {
        unix_now().saturating_add(buffer.as_secs()) >= self.expires_at
    }

    /// When this token was obtained, in Unix milliseconds (0 when unknown).
    pub fn issued_at_unix_ms(&self) -> u64 {
        self.issued_at_ms
    }

    /// Whether this token was obtained after `other` (by issue time, then expiry): a newer
    /// token is never replaced by an older one.
    pub fn is_newer_than(&self, other: &Token) -> bool {
        (self.issued_at_ms, self.expires_at) > (other.issued_at_ms, other.expires_at)
    }

    /// Keeps `previous` as the refresh token when a refresh response did not rotate it.
    pub(crate) fn keep_refresh_token(mut self, previous: Option<&str>) -> Self {
        if self.refresh_token.is_none() {
            self.refresh_token = previous.map(str::to_owned);
        }
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_and_expiry() {
        let t = Token::from_response_json(r#"{"access_token":"a"}"#).unwrap();
        assert!(t.expires_in() > Duration::from_secs(3590));
        assert!(t.refresh_token().is_none());
        assert!(t.scopes().is_empty());
        assert!(!t.is_expired());
        assert!(!t.needs_refresh(Duration::from_secs(300)));
        assert!(t.needs_refresh(Duration::from_secs(3600)));

        let t = Token::from_response_json(r#"{"access_token":"a","expires_in":0}"#).unwrap();
        assert!(t.is_expired());
    }

    #[test]
    fn rejects_bad_bodies() {
        assert!(Token::from_response_json("{}").is_err());
        assert!(Token::from_response_json(r#"{"access_token":""}"#).is_err());
        assert!(Token::from_response_json("not json").is_err());
    }

    #[test]
    fn debug_redacts() {
        let t = Token::new(
            "secret-access",
            Some("secret-refresh".into()),
            Duration::from_secs(10),
            vec![],
        );
        let dbg = format!("{t:?}");
        assert!(!dbg.contains("secret-access"));
        assert!(!dbg.contains("secret-refresh"));
        assert!(dbg.contains("redacted"));
    }

    #[test]
    fn newer_tokens_win_by_issue_time_then_expiry() {
        let mut old = Token::new("a", None, Duration::from_secs(100), vec![]);
        let mut new = Token::new("b", None, Duration::from_secs(100), vec![]);
        old.issued_at_ms = 1_000;
        new.issued_at_ms = 2_000;
        assert!(new.is_newer_than(&old));
        assert!(!old.is_newer_than(&new));
        assert!(!new.is_newer_than(&new.clone()));
        // Tokens saved before the issue time existed compare by expiry.
        old.issued_at_ms = 0;
        new.issued_at_ms = 0;
        new.expires_at = old.expires_at + 5;
        assert!(new.is_newer_than(&old));
    }

    #[test]
    fn refresh_token_is_kept_when_not_rotated() {
        let t = Token::from_response_json(r#"{"access_token":"a"}"#)
            .unwrap()
            .keep_refresh_token(Some("old"));
        assert_eq!(t.refresh_token(), Some("old"));
        let t = Token::from_response_json(r#"{"access_token":"a","refresh_token":"new"}"#)
            .unwrap()
            .keep_refresh_token(Some("old"));
        assert_eq!(t.refresh_token(), Some("new"));
    }
}
