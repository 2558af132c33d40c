//! IMS configuration, the low-level [`ImsClient`] and PKCE helpers.
//!
//! | file | what |
//! |---|---|
//! | `mod.rs` | the IMS endpoints' defaults and [`ImsConfig`] |
//! | `client.rs` | [`ImsClient`]: authorization URLs, token grants, revocation, IMS errors |
//! | `pkce.rs` | [`Pkce`] and [`pkce_challenge`] |

use std::{fmt, time::Duration};

use super::AuthError;

mod client;
mod pkce;

pub use client::{ImsClient, TokenTypeHint};
pub use pkce::{Pkce, pkce_challenge};

/// The default IMS host.
pub const DEFAULT_IMS_BASE_URL: &str = "https://ims-na1.adobelogin.com";
/// The default scopes for user sign-in.
pub const DEFAULT_USER_SCOPES: &[&str] = &[
    "additional_info.roles",
    "offline_access",
    "profile",
    "email",
    "openid",
];
/// The default time before expiry at which a token is refreshed.
pub const DEFAULT_REFRESH_BUFFER: Duration = Duration::from_secs(300);

/// Path of the authorization endpoint (user is sent here in a browser).
pub const AUTHORIZE_PATH: &str = "/ims/authorize/v2";
/// Path of the token endpoint (code exchange, refresh, client credentials).
pub const TOKEN_PATH: &str = "/ims/token/v3";
/// Path of the revocation endpoint. Adobe documents `POST /ims/revoke` with a form body of
/// `token`, `client_id`, `client_secret` (confidential clients) and optional `token_type_hint`.
pub const REVOKE_PATH: &str = "/ims/revoke";

/// Adobe IMS settings for one OAuth client (credential) in the Adobe Developer Console.
///
/// `Debug` never shows the client secret.
///
/// ```
/// use std::time::Duration;
/// use frameio_kit::auth::ImsConfig;
///
/// let config = ImsConfig::new("my-client-id")
///     .with_client_secret("my-secret")
///     .with_refresh_buffer(Duration::from_secs(120));
/// assert_eq!(config.ims_base_url(), "https://ims-na1.adobelogin.com");
/// assert!(!format!("{config:?}").contains("my-secret"));
/// ```
#[derive(Clone)]
pub struct ImsConfig {
    client_id: String,
    client_secret: Option<String>,
    scopes: Vec<String>,
    ims_base_url: String,
    refresh_buffer: Duration,
    timeout: Duration,
}

impl fmt::Debug for ImsConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ImsConfig")
            .field("client_id", &self.client_id)
            .field(
                "client_secret",
                &self.client_secret.as_ref().map(|_| "[redacted]"),
            )
            .field("scopes", &self.scopes)
            .field("ims_base_url", &self.ims_base_url)
            .field("refresh_buffer", &self.refresh_buffer)
            .field("timeout", &self.timeout)
            .finish()
    }
}

/// How long one request to IMS may take unless [`ImsConfig::with_timeout`] says otherwise.
pub const DEFAULT_IMS_TIMEOUT: Duration = Duration::from_secs(8);

impl ImsConfig {
    /// Settings for `client_id` with the default scopes, host and refresh buffer, and no
    /// secret (a public, single-page-app client until [`with_client_secret`](Self::with_client_secret)).
    pub fn new(client_id: impl Into<String>) -> Self {
        Self {
            client_id: client_id.into(),
            client_secret: None,
            scopes: DEFAULT_USER_SCOPES
                .iter()
                .map(|s| (*s).to_owned())
                .collect(),
            ims_base_url: DEFAULT_IMS_BASE_URL.to_owned(),
            refresh_buffer: DEFAULT_REFRESH_BUFFER,
            timeout: DEFAULT_IMS_TIMEOUT,
        }
    }

    /// Sets the client secret (web-app and server-to-server credentials).
    pub fn with_client_secret(mut self, secret: impl Into<String>) -> Self {
        self.client_secret = Some(secret.into());
        self
    }

    /// Replaces the scopes.
    pub fn with_scopes<I, S>(mut self, scopes: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.scopes = scopes.into_iter().map(Into::into).collect();
        self
    }

    /// Uses another IMS host (another region, or a mock server in tests).
    pub fn with_ims_base_url(mut self, url: impl Into<String>) -> Self {
        self.ims_base_url = url.into().trim_end_matches('/').to_owned();
        self
    }

    /// Refreshes tokens this long before they expire (default 300 s).
    pub fn with_refresh_buffer(mut self, buffer: Duration) -> Self {
        self.refresh_buffer = buffer;
        self
    }

    /// Timeout for each request to IMS (default [`DEFAULT_IMS_TIMEOUT`], 8 s). A refresh that
    /// outlives the caller's wait ([`TokenManager::wait_timeout`](super::TokenManager::wait_timeout))
    /// finishes in the background and keeps its (possibly rotated) token, so this may exceed
    /// the caller's budget; it must stay below the refresh lock's lifetime.
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// The client id.
    pub fn client_id(&self) -> &str {
        &self.client_id
    }

    /// Whether a client secret is configured.
    pub fn has_client_secret(&self) -> bool {
        self.client_secret.is_some()
    }

    /// The scopes.
    pub fn scopes(&self) -> &[String] {
        &self.scopes
    }

    /// The IMS host, without a trailing slash.
    pub fn ims_base_url(&self) -> &str {
        &self.ims_base_url
    }

    /// The refresh buffer.
    pub fn refresh_buffer(&self) -> Duration {
        self.refresh_buffer
    }

    /// The timeout for each request to IMS.
    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    fn validate(&self) -> Result<(), AuthError> {
        if self.client_id.trim().is_empty() {
            return Err(AuthError::Config("client id is empty".into()));
        }
        if self.client_secret.as_deref().is_some_and(str::is_empty) {
            return Err(AuthError::Config("client secret is empty".into()));
        }
        let url = url::Url::parse(&self.ims_base_url)
            .map_err(|err| AuthError::Config(format!("ims base url is invalid: {err}")))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(AuthError::Config(
                "ims base url must be http or https".into(),
            ));
        }
        Ok(())
    }
}
