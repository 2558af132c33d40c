//! Adobe IMS OAuth 2.0: configuration, flows, tokens and a token manager.
//!
//! Usable on its own (without the action runtime):
//!
//! - **server-to-server** ([`ServerToServer`]): `grant_type=client_credentials`;
//! - **web app** ([`WebAppFlow`]): authorization URL, then code exchange with the secret;
//! - **single-page app** ([`SpaFlow`]): the same with PKCE (`S256`) instead of a secret;
//! - **refresh** and **revoke** on [`ImsClient`];
//! - [`TokenManager`]: refreshes before expiry (buffer default 300 s), single-flight, and
//!   with a [`Store`](crate::store::Store) keeps tokens encrypted and locks refreshes across
//!   instances.
//!
//! Endpoints used, relative to the IMS host (default `https://ims-na1.adobelogin.com`):
//! `GET /ims/authorize/v2`, `POST /ims/token/v3` (form-encoded, client id and secret in the
//! body) and `POST /ims/revoke` (form-encoded `token`, `token_type_hint`, `client_id`,
//! `client_secret`).
//!
//! Every flow and the manager expose `access_token()`. With the `client` feature they (and a
//! signed-in user's [`UserToken`]) are [`TokenProvider`]s, the one token-source trait a
//! Frame.io API client takes: give them to
//! [`ClientBuilder::token_provider`](crate::client::ClientBuilder::token_provider).
//!
//! ```no_run
//! use frameio_kit::auth::{AuthError, ImsConfig, ServerToServer};
//!
//! # async fn demo() -> Result<(), AuthError> {
//! let s2s = ServerToServer::new(ImsConfig::new("client-id").with_client_secret("secret"))?;
//! match s2s.access_token().await {
//!     Ok(bearer) => { let _ = bearer; }
//!     Err(AuthError::RateLimited { retry_after }) => { let _ = retry_after; }
//!     Err(err) => return Err(err),
//! }
//! # Ok(())
//! # }
//! ```

use std::time::Duration;

use crate::store::StoreError;

mod ims;
mod manager;
pub mod signin;
mod token;

pub use ims::{
    AUTHORIZE_PATH, DEFAULT_IMS_BASE_URL, DEFAULT_IMS_TIMEOUT, DEFAULT_REFRESH_BUFFER,
    DEFAULT_USER_SCOPES, ImsClient, ImsConfig, Pkce, REVOKE_PATH, TOKEN_PATH, TokenTypeHint,
    pkce_challenge,
};
pub use manager::{
    DEFAULT_LOCK_TTL, DEFAULT_WAIT_TIMEOUT, FAILURE_BACKOFF, ServerToServer, SpaFlow, TokenManager,
    WebAppFlow,
};
#[cfg(feature = "client")]
pub use signin::UserClient;
pub use signin::{
    AfterSignIn, AuthPage, AuthRequest, CALLBACK_PATH, LOGIN_PATH, ProxyRange, ProxyRangeError,
    SignInComplete, UserAuth, UserAuthBuilder, UserToken,
};
pub use token::{DEFAULT_EXPIRES_IN, Token};

/// The token-source trait of the API client, re-exported here: IMS flows, token managers and
/// [`UserToken`] implement it.
#[cfg(feature = "client")]
pub use crate::client::TokenProvider;

/// Displays an error and its sources on one line, for logs.
pub(crate) use crate::dispatch::error_chain;

/// Errors from IMS flows and the token manager. Never contains a token or secret.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AuthError {
    /// IMS rejected the credentials, code or verifier (4xx other than 429).
    #[error("ims authentication failed ({status}): {error}")]
    Authentication {
        /// HTTP status.
        status: u16,
        /// The OAuth `error` code, e.g. `invalid_client`, `invalid_grant`.
        error: String,
        /// IMS's `error_description`, if any.
        description: Option<String>,
    },
    /// The refresh token is expired, revoked or unknown: the user must sign in again.
    #[error("refresh token is expired or invalid; the user must sign in again")]
    RefreshTokenInvalid {
        /// The OAuth `error` code (usually `invalid_grant`).
        error: String,
        /// IMS's `error_description`, if any.
        description: Option<String>,
    },
    /// No token is available for this user: they must sign in.
    #[error("no token available; the user must sign in")]
    SignInRequired,
    /// The configuration is incomplete or invalid.
    #[error("invalid ims configuration: {0}")]
    Config(String),
    /// IMS could not be reached, or the connection failed.
    #[error("could not reach ims")]
    Network(#[source] reqwest::Error),
    /// IMS answered 429.
    #[error("ims rate limit exceeded")]
    RateLimited {
        /// The `Retry-After` delay, when IMS sent one in seconds.
        retry_after: Option<Duration>,
    },
    /// IMS answered with a 5xx status.
    #[error("ims server error ({status})")]
    Server {
        /// HTTP status.
        status: u16,
    },
    /// IMS (or the store) returned something that is not a valid token.
    #[error("unexpected token data: {0}")]
    InvalidResponse(String),
    /// Another instance holds the refresh lock and did not finish in time.
    #[error("timed out waiting for another instance to refresh the token")]
    LockTimeout,
    /// No token came within the caller's wait
    /// ([`TokenManager::wait_timeout`]); the refresh goes on in the background.
    #[error("timed out after {waited:?} waiting for a token")]
    Timeout {
        /// How long the caller waited.
        waited: Duration,
    },
    /// IMS failed moments ago (network or 5xx); callers are not sent to it again until the
    /// back-off ends.
    #[error("ims failed moments ago; retry in {retry_after:?}")]
    Unavailable {
        /// How long until IMS is tried again.
        retry_after: Duration,
    },
    /// The token store failed.
    #[error("token store error")]
    Store(#[from] StoreError),
}

impl AuthError {
    /// Whether the user has to sign in (again) to recover.
    pub fn requires_sign_in(&self) -> bool {
        matches!(
            self,
            AuthError::SignInRequired | AuthError::RefreshTokenInvalid { .. }
        )
    }

    /// Whether retrying later may succeed (network, rate limit, server error, lock timeout).
    pub fn is_transient(&self) -> bool {
        matches!(
            self,
            AuthError::Network(_)
                | AuthError::RateLimited { .. }
                | AuthError::Server { .. }
                | AuthError::LockTimeout
                | AuthError::Timeout { .. }
                | AuthError::Unavailable { .. }
        )
    }
}
