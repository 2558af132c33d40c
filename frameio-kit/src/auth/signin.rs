//! User sign-in for custom actions: `#[action(…, require_user_auth)]`.
//!
//! When a user clicks an action that needs their Adobe identity and no token is stored for
//! them, the action answers a Form with one link, `Sign in with Adobe`. The link carries an
//! encrypted, authenticated token that binds the Frame.io user id, the interaction id and the
//! action (the whole pending event, in fact) and expires after 10 minutes — so nobody can
//! start a sign-in on behalf of someone else. The link leads to `GET /auth/login`, which
//! redirects to Adobe IMS with an equally sealed `state` (also 10 minutes);
//! `GET /auth/callback` checks it, exchanges the code, checks with Frame.io (`GET /v4/me`)
//! that the person who signed in **is** the user who clicked, stores the token encrypted
//! under that user's id, runs the [`UserAuthBuilder::on_auth_complete`] hook with the pending
//! event, and shows a small HTML page. The next click finds the token; handlers read it with
//! the [`UserToken`] or [`UserClient`] extractors, refreshed before expiry with one refresh
//! at a time across instances.
//!
//! Tokens live in a [`Store`]: SQLite by default (a file, created on first use), or Redis or
//! PostgreSQL so several instances behind a load balancer share them. They are sealed with
//! AES-256-GCM under `FRAMEIO_KIT_ENCRYPTION_KEY` (a comma-separated list of base64 keys: the
//! first encrypts, all decrypt, so keys can rotate). Without a key the app refuses to start,
//! unless the store is in memory (then a warning says tokens and sign-in links die with the
//! process).
//!
//! ```no_run
//! use frameio_kit::auth::{UserAuth, UserToken};
//! use frameio_kit::prelude::*;
//!
//! #[action(event = "whoami", name = "Who am I?", require_user_auth)]
//! async fn whoami(_event: ActionEvent, token: UserToken) -> Result<Message> {
//!     // Call any Adobe API as the user with `token.access_token()`.
//!     Ok(Message::new("Signed in", format!("{} bytes of token", token.access_token().len())))
//! }
//!
//! fn main() -> std::io::Result<()> {
//!     App::from_registry()
//!         .user_auth(
//!             UserAuth::builder("adobe-client-id", "adobe-client-secret")
//!                 .public_base_url("https://integrations.example.com"),
//!         )
//!         .run()
//! }
//! ```

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};

use crate::auth::{AuthError, ImsClient, ImsConfig, TokenManager};
use crate::dispatch::{GateOutcome, SignInGate};
use crate::error::ArgumentProblem;
use crate::error::{BoxError, ConfigurationError};
use crate::event::ActionEvent;
use crate::handler::{BoxFuture, Delivery, FromDelivery, Headers, StartupContext};
use crate::response::{Form, LinkField};
use crate::store::{EncryptionKey, KeyRing, MemoryStore, Store};

/// Where the sign-in link leads.
pub const LOGIN_PATH: &str = "/auth/login";
/// Where Adobe IMS sends the user back.
pub const CALLBACK_PATH: &str = "/auth/callback";
/// How long a sign-in link and a `state` stay valid by default.
pub const SIGN_IN_TTL: Duration = Duration::from_secs(600);
/// The environment variable holding the encryption key(s).
pub const ENCRYPTION_KEY_ENV: &str = "FRAMEIO_KIT_ENCRYPTION_KEY";
/// The environment variable naming the SQLite file of the default store.
pub const SQLITE_PATH_ENV: &str = "FRAMEIO_KIT_SQLITE_PATH";
/// The SQLite file used when [`SQLITE_PATH_ENV`] is not set.
pub const DEFAULT_SQLITE_PATH: &str = "frameio-kit.sqlite";
/// Default Frame.io API base URL (used to check who signed in).
pub const DEFAULT_API_BASE_URL: &str = "https://api.frame.io";

const LOGIN_PURPOSE: &[u8] = b"frameio-kit sign-in link v1";
const STATE_PURPOSE: &[u8] = b"frameio-kit sign-in state v1";

/// A hook run after a successful sign-in, with the action event that asked for it.
type CompleteHook =
    Arc<dyn Fn(ActionEvent) -> BoxFuture<'static, Result<(), BoxError>> + Send + Sync>;

enum StoreChoice {
    Default,
    Memory,
    Custom(Arc<dyn Store>),
}

/// Configures user sign-in; give it to [`App::user_auth`](crate::App::user_auth). Checked
/// when the app starts.
pub struct UserAuthBuilder {
    ims: ImsConfig,
    public_base_url: Option<String>,
    store: StoreChoice,
    keys: Option<KeyRing>,
    api_base_url: String,
    verify_user: bool,
    ttl: Duration,
    on_complete: Option<CompleteHook>,
}

impl fmt::Debug for UserAuthBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UserAuthBuilder")
            .field("ims", &self.ims)
            .field("public_base_url", &self.public_base_url)
            .field("api_base_url", &self.api_base_url)
            .field("verify_user", &self.verify_user)
            .finish_non_exhaustive()
    }
}

impl UserAuthBuilder {
    /// The public URL the app is reachable at (e.g. `https://hooks.example.com`), used to
    /// build the sign-in link and the IMS redirect URI. Without it, they are inferred from each
    /// request's `X-Forwarded-Proto` / `X-Forwarded-Host` or `Host` headers.
    #[must_use]
    pub fn public_base_url(mut self, url: impl Into<String>) -> Self {
        self.public_base_url = Some(url.into().trim_end_matches('/').to_owned());
        self
    }

    /// The OAuth scopes (default: `additional_info.roles offline_access profile email openid`).
    #[must_use]
    pub fn scopes<I, S>(mut self, scopes: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.ims = self.ims.with_scopes(scopes);
        self
    }

    /// The IMS host (default `https://ims-na1.adobelogin.com`; tests point it at `MockIms`).
    #[must_use]
    pub fn ims_base_url(mut self, url: impl Into<String>) -> Self {
        self.ims = self.ims.with_ims_base_url(url);
        self
    }

    /// Refresh a stored token when it expires within this long (default 300 s).
    #[must_use]
    pub fn refresh_buffer(mut self, buffer: Duration) -> Self {
        self.ims = self.ims.with_refresh_buffer(buffer);
        self
    }

    /// Keep tokens in this store (Redis or PostgreSQL to share them between instances).
    /// Default: SQLite at `FRAMEIO_KIT_SQLITE_PATH`, else `frameio-kit.sqlite`.
    #[must_use]
    pub fn store(mut self, store: impl Store + 'static) -> Self {
        self.store = StoreChoice::Custom(Arc::new(store));
        self
    }

    /// Keep tokens in a store you also use elsewhere.
    #[must_use]
    pub fn shared_store(mut self, store: Arc<dyn Store>) -> Self {
        self.store = StoreChoice::Custom(store);
        self
    }

    /// How long a sign-in link and the IMS `state` stay valid (default 10 minutes).
    #[must_use]
    pub fn sign_in_ttl(mut self, ttl: Duration) -> Self {
        self.ttl = ttl;
        self
    }

    /// Keep tokens in memory only (development): they are lost on restart, and without an
    /// encryption key a random one is made, so sign-in links die with the process too.
    #[must_use]
    pub fn memory_store(mut self) -> Self {
        self.store = StoreChoice::Memory;
        self
    }

    /// The encryption keys (default: from `FRAMEIO_KIT_ENCRYPTION_KEY`).
    #[must_use]
    pub fn encryption_keys(mut self, keys: KeyRing) -> Self {
        self.keys = Some(keys);
        self
    }

    /// The Frame.io API base URL used to check who signed in (tests point it at
    /// `MockFrameio`).
    #[must_use]
    pub fn api_base_url(mut self, url: impl Into<String>) -> Self {
        self.api_base_url = url.into().trim_end_matches('/').to_owned();
        self
    }

    /// Whether to check with Frame.io (`GET /v4/me`) that the person who signed in is the
    /// user who clicked (default: yes). Turning it off lets anyone holding someone's sign-in
    /// link store their own token under that user's id; keep it on in production.
    #[must_use]
    pub fn verify_frameio_user(mut self, verify: bool) -> Self {
        self.verify_user = verify;
        self
    }

    /// Runs after each successful sign-in with the action event that asked for it (for
    /// example to start the work the user wanted). Its errors are logged; the user still
    /// sees the success page.
    #[must_use]
    pub fn on_auth_complete<F, Fut>(mut self, hook: F) -> Self
    where
        F: Fn(ActionEvent) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<(), BoxError>> + Send + 'static,
    {
        self.on_complete = Some(Arc::new(move |event| Box::pin(hook(event))));
        self
    }

    /// Validates the configuration with `env` standing in for the environment.
    pub(crate) fn finish(self, env: &dyn Fn(&str) -> Option<String>) -> Result<UserAuth, String> {
        if self.ims.client_id().trim().is_empty() {
            return Err("user sign-in needs an Adobe client id".to_owned());
        }
        if !self.ims.has_client_secret() {
            return Err("user sign-in needs the Adobe client secret".to_owned());
        }
        let keys =
            match (
                self.keys,
                env(ENCRYPTION_KEY_ENV).filter(|k| !k.trim().is_empty()),
            ) {
                (Some(keys), _) => Some(keys),
                (None, Some(list)) => Some(KeyRing::from_base64_list(&list).map_err(|err| {
                    format!("`{ENCRYPTION_KEY_ENV}` is not a valid key list: {err}")
                })?),
                (None, None) => None,
            };
        let (store, keys): (Arc<dyn Store>, KeyRing) = match (self.store, keys) {
            (StoreChoice::Memory, keys) => {
                let keys = keys.unwrap_or_else(|| {
                    tracing::warn!(
                        target: "frameio_kit::auth",
                        "user sign-in keeps tokens IN MEMORY with a random key: every restart \
                         signs every user out and voids pending sign-in links. Use a store and \
                         set {ENCRYPTION_KEY_ENV} in production."
                    );
                    KeyRing::single(EncryptionKey::generate())
                });
                (Arc::new(MemoryStore::new()), keys)
            }
            (_, None) => {
                return Err(format!(
                    "user sign-in stores tokens encrypted, but no key is set: set \
                     `{ENCRYPTION_KEY_ENV}` (generate one with \
                     `frameio_kit::store::generate_key()`) or call `UserAuthBuilder::encryption_keys`"
                ));
            }
            (StoreChoice::Custom(store), Some(keys)) => (store, keys),
            (StoreChoice::Default, Some(keys)) => (default_store(env)?, keys),
        };
        let ims = ImsClient::new(self.ims).map_err(|err| format!("user sign-in: {err}"))?;
        Ok(UserAuth {
            inner: Arc::new(Inner {
                ims,
                public_base_url: self.public_base_url,
                store,
                keys,
                api_base_url: self.api_base_url,
                verify_user: self.verify_user,
                ttl: self.ttl,
                on_complete: self.on_complete,
            }),
        })
    }
}

#[cfg(feature = "sqlite")]
fn default_store(env: &dyn Fn(&str) -> Option<String>) -> Result<Arc<dyn Store>, String> {
    let path = env(SQLITE_PATH_ENV)
        .filter(|p| !p.trim().is_empty())
        .unwrap_or_else(|| DEFAULT_SQLITE_PATH.to_owned());
    Ok(Arc::new(crate::store::SqliteStore::new(path)))
}

#[cfg(not(feature = "sqlite"))]
fn default_store(_env: &dyn Fn(&str) -> Option<String>) -> Result<Arc<dyn Store>, String> {
    Err(
        "user sign-in needs a store: enable the `sqlite` feature or call \
         `UserAuthBuilder::store` / `memory_store`"
            .to_owned(),
    )
}

/// User sign-in, configured and validated (see the [module docs](self)).
#[derive(Clone)]
pub struct UserAuth {
    inner: Arc<Inner>,
}

struct Inner {
    ims: ImsClient,
    public_base_url: Option<String>,
    store: Arc<dyn Store>,
    keys: KeyRing,
    api_base_url: String,
    verify_user: bool,
    ttl: Duration,
    on_complete: Option<CompleteHook>,
}

impl fmt::Debug for UserAuth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UserAuth")
            .field("client_id", &self.inner.ims.config().client_id())
            .field("public_base_url", &self.inner.public_base_url)
            .field("api_base_url", &self.inner.api_base_url)
            .finish_non_exhaustive()
    }
}

/// The answer of a sign-in route: a redirect or an HTML page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthPage {
    /// HTTP status.
    pub status: u16,
    /// `Location` for redirects.
    pub location: Option<String>,
    /// The HTML body (empty for redirects).
    pub html: String,
}

/// The pending sign-in sealed into links and states.
#[derive(Serialize, Deserialize)]
struct Pending {
    exp: u64,
    nonce: String,
    event: ActionEvent,
}

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

impl UserAuth {
    /// Starts a configuration with the Adobe credential's client id and secret.
    pub fn builder(
        client_id: impl Into<String>,
        client_secret: impl Into<String>,
    ) -> UserAuthBuilder {
        UserAuthBuilder {
            ims: ImsConfig::new(client_id).with_client_secret(client_secret),
            public_base_url: None,
            store: StoreChoice::Default,
            keys: None,
            api_base_url: DEFAULT_API_BASE_URL.to_owned(),
            verify_user: cfg!(feature = "client"),
            ttl: SIGN_IN_TTL,
            on_complete: None,
        }
    }

    /// The token manager of one Frame.io user (tokens kept encrypted in the store under the
    /// user id; refreshes are single-flight across instances).
    pub fn manager_for(&self, user_id: &str) -> TokenManager {
        TokenManager::persistent(
            self.inner.ims.clone(),
            Arc::clone(&self.inner.store),
            self.inner.keys.clone(),
            &format!("user:{user_id}"),
        )
    }

    /// Signs a user out: forgets their token and asks IMS to revoke it.
    pub async fn sign_out(&self, user_id: &str) -> Result<(), AuthError> {
        self.manager_for(user_id).sign_out().await
    }

    fn seal(&self, purpose: &[u8], event: &ActionEvent) -> Result<String, BoxError> {
        let nonce = EncryptionKey::generate().id();
        let pending = Pending {
            exp: unix_now() + self.inner.ttl.as_secs(),
            nonce,
            event: event.clone(),
        };
        let json = serde_json::to_vec(&pending)?;
        let sealed = self.inner.keys.encrypt(&json, purpose)?;
        Ok(URL_SAFE_NO_PAD.encode(sealed))
    }

    fn open(&self, purpose: &[u8], token: &str) -> Result<ActionEvent, &'static str> {
        let sealed = URL_SAFE_NO_PAD
            .decode(token.trim())
            .map_err(|_| "The sign-in link is malformed.")?;
        let json = self
            .inner
            .keys
            .decrypt(&sealed, purpose)
            .map_err(|_| "The sign-in link is not valid.")?;
        let pending: Pending =
            serde_json::from_slice(&json).map_err(|_| "The sign-in link is not valid.")?;
        if pending.exp < unix_now() {
            return Err("The sign-in link has expired. Click the action again in Frame.io.");
        }
        Ok(pending.event)
    }

    fn base_url(&self, headers: &Headers) -> Result<String, ConfigurationError> {
        if let Some(url) = &self.inner.public_base_url {
            return Ok(url.clone());
        }
        let first = |name: &str| {
            headers
                .get(name)
                .and_then(|v| v.split(',').next())
                .map(str::trim)
                .filter(|v| !v.is_empty())
        };
        let host = first("x-forwarded-host")
            .or_else(|| first("host"))
            .ok_or_else(|| {
                ConfigurationError::new(
                    "cannot build the sign-in link: no Host header and no public base URL \
                 (UserAuthBuilder::public_base_url)",
                )
            })?;
        if !host
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b':' | b'[' | b']'))
        {
            return Err(ConfigurationError::new(
                "cannot build the sign-in link: the Host header is not a host name",
            ));
        }
        let proto = match first("x-forwarded-proto") {
            Some("https") => "https",
            _ if first("x-forwarded-host").is_some() => "https",
            _ => "http",
        };
        Ok(format!("{proto}://{host}"))
    }

    /// The Form of protocol.md §3 row 9: one link to sign in.
    fn login_form(&self, event: &ActionEvent, headers: &Headers) -> Result<Form, BoxError> {
        let link = format!(
            "{}{LOGIN_PATH}?t={}",
            self.base_url(headers)?,
            self.seal(LOGIN_PURPOSE, event)?
        );
        Ok(Form::new(
            "Authentication Required",
            "Please click the link below to sign in with Adobe and continue.",
        )
        .field(LinkField::new("Sign in with Adobe", "login_url", link)))
    }

    /// `GET /auth/login?t=…`: checks the link and redirects to Adobe IMS.
    pub fn login(&self, query: &str, headers: &Headers) -> AuthPage {
        let Some(token) = query_param(query, "t") else {
            return page(400, "Sign-in failed", "The sign-in link is incomplete.");
        };
        let event = match self.open(LOGIN_PURPOSE, &token) {
            Ok(event) => event,
            Err(why) => return page(400, "Sign-in failed", why),
        };
        let redirect = match self.base_url(headers) {
            Ok(base) => format!("{base}{CALLBACK_PATH}"),
            Err(err) => {
                tracing::error!(target: "frameio_kit::auth", "{err}");
                return page(500, "Sign-in failed", "The integration is misconfigured.");
            }
        };
        let url = self
            .seal(STATE_PURPOSE, &event)
            .and_then(|state| Ok(self.inner.ims.authorization_url(&redirect, &state)?));
        match url {
            Ok(url) => AuthPage {
                status: 307,
                location: Some(url),
                html: String::new(),
            },
            Err(err) => {
                tracing::error!(target: "frameio_kit::auth", error = %err, "cannot start sign-in");
                page(500, "Sign-in failed", "The integration is misconfigured.")
            }
        }
    }

    /// `GET /auth/callback?code=…&state=…`: finishes the sign-in.
    pub async fn callback(&self, query: &str, headers: &Headers) -> AuthPage {
        if let Some(error) = query_param(query, "error") {
            let detail = query_param(query, "error_description").unwrap_or_default();
            tracing::warn!(target: "frameio_kit::auth", %error, %detail, "sign-in refused by IMS");
            return page(
                400,
                "Sign-in failed",
                &format!("Adobe did not sign you in ({error}). {detail}"),
            );
        }
        let Some(state) = query_param(query, "state") else {
            return page(400, "Sign-in failed", "The sign-in response has no state.");
        };
        let event = match self.open(STATE_PURPOSE, &state) {
            Ok(event) => event,
            Err(why) => return page(400, "Sign-in failed", why),
        };
        let Some(code) = query_param(query, "code").filter(|c| !c.is_empty()) else {
            return page(400, "Sign-in failed", "The sign-in response has no code.");
        };
        let redirect = match self.base_url(headers) {
            Ok(base) => format!("{base}{CALLBACK_PATH}"),
            Err(err) => {
                tracing::error!(target: "frameio_kit::auth", "{err}");
                return page(500, "Sign-in failed", "The integration is misconfigured.");
            }
        };
        let token = match self.inner.ims.exchange_code(&code, &redirect).await {
            Ok(token) => token,
            Err(err) => {
                tracing::error!(target: "frameio_kit::auth", error = %err, "code exchange failed");
                return page(
                    500,
                    "Sign-in failed",
                    "Adobe sign-in could not be completed. Try again.",
                );
            }
        };
        if self.inner.verify_user {
            match self.frameio_user_id(token.access_token()).await {
                Ok(id) if id == event.user.id => {}
                Ok(_) => {
                    tracing::warn!(
                        target: "frameio_kit::auth",
                        user = %event.user.id,
                        "sign-in refused: a different Frame.io user signed in"
                    );
                    return page(
                        400,
                        "Sign-in failed",
                        "You signed in as a different Frame.io user than the one who clicked the \
                         action. Sign in with your own account.",
                    );
                }
                Err(err) => {
                    tracing::error!(target: "frameio_kit::auth", error = %err, "cannot check who signed in");
                    return page(
                        500,
                        "Sign-in failed",
                        "Frame.io could not confirm who signed in. Try again.",
                    );
                }
            }
        }
        if let Err(err) = self.manager_for(&event.user.id).set_token(token).await {
            tracing::error!(target: "frameio_kit::auth", error = %err, "cannot store the token");
            return page(
                500,
                "Sign-in failed",
                "Your sign-in could not be saved. Try again.",
            );
        }
        tracing::info!(target: "frameio_kit::auth", user = %event.user.id, action = %event.event_type, "user signed in");
        if let Some(hook) = &self.inner.on_complete
            && let Err(err) = hook(event).await
        {
            tracing::error!(target: "frameio_kit::auth", error = %crate::dispatch::error_chain(err.as_ref()), "on_auth_complete failed");
        }
        page(
            200,
            "Signed in",
            "You are signed in. Close this tab and go back to Frame.io.",
        )
    }

    #[cfg(feature = "client")]
    async fn frameio_user_id(&self, access_token: &str) -> Result<String, BoxError> {
        let client = crate::client::Client::builder()
            .base_url(self.inner.api_base_url.clone())
            .token(access_token)
            .build()?;
        Ok(client.users().me().await?.id)
    }

    #[cfg(not(feature = "client"))]
    async fn frameio_user_id(&self, _access_token: &str) -> Result<String, BoxError> {
        Err("checking the signed-in user needs the `client` feature".into())
    }
}

impl SignInGate for UserAuth {
    fn check<'a>(
        &'a self,
        event: &'a ActionEvent,
        headers: &'a Headers,
    ) -> BoxFuture<'a, Result<GateOutcome, BoxError>> {
        Box::pin(async move {
            let manager = self.manager_for(&event.user.id);
            match manager.access_token().await {
                Ok(access_token) => Ok(GateOutcome::Proceed(Box::new(SignedIn {
                    access_token,
                    manager,
                }))),
                Err(err) if err.requires_sign_in() => {
                    Ok(GateOutcome::Answer(self.login_form(event, headers)?.into()))
                }
                Err(err) => Err(err.into()),
            }
        })
    }
}

/// What the sign-in step leaves for the extractors.
#[derive(Clone)]
pub(crate) struct SignedIn {
    access_token: String,
    manager: TokenManager,
}

/// The clicking user's Adobe access token, fresh. Take it as an action handler argument
/// (with `require_user_auth`, the handler only runs once the user has signed in).
#[derive(Clone)]
pub struct UserToken {
    access_token: String,
    manager: TokenManager,
}

impl fmt::Debug for UserToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("UserToken(<redacted>)")
    }
}

impl UserToken {
    /// The bearer token. Keep it out of logs.
    pub fn access_token(&self) -> &str {
        &self.access_token
    }

    /// The user's token manager (refresh, export, sign-out).
    pub fn manager(&self) -> &TokenManager {
        &self.manager
    }
}

fn user_token(delivery: &Delivery) -> Option<UserToken> {
    let signed_in = delivery.extension::<SignedIn>()?;
    Some(UserToken {
        access_token: signed_in.access_token.clone(),
        manager: signed_in.manager.clone(),
    })
}

/// Marks an app whose sign-in configuration was given but is invalid (already reported).
pub(crate) struct InvalidUserAuth;

fn sign_in_check(cx: &StartupContext<'_>, what: &'static str) -> Result<(), ArgumentProblem> {
    if !cx.data.contains::<UserAuth>() && !cx.data.contains::<InvalidUserAuth>() {
        return Err(ArgumentProblem::SignInNotConfigured { argument: what });
    }
    Ok(())
}

impl FromDelivery for UserToken {
    async fn from_delivery(delivery: &Delivery) -> Result<Self, BoxError> {
        if let Some(token) = user_token(delivery) {
            return Ok(token);
        }
        // Without `require_user_auth`: use a stored token if there is one.
        let auth = delivery
            .data()
            .get::<UserAuth>()
            .ok_or_else(|| ConfigurationError::new("user sign-in is not configured"))?;
        let manager = auth.manager_for(delivery.user_id());
        let access_token = manager.access_token().await?;
        Ok(UserToken {
            access_token,
            manager,
        })
    }

    fn check(cx: &StartupContext<'_>) -> Result<(), ArgumentProblem> {
        sign_in_check(cx, "UserToken")
    }
}

/// A Frame.io API client acting as the clicking user (their permissions, their name on
/// comments). Its token refreshes itself.
#[cfg(feature = "client")]
#[derive(Debug, Clone)]
pub struct UserClient(crate::client::Client);

#[cfg(feature = "client")]
impl std::ops::Deref for UserClient {
    type Target = crate::client::Client;

    fn deref(&self) -> &Self::Target {
        &self.0
    }
}

#[cfg(feature = "client")]
impl FromDelivery for UserClient {
    async fn from_delivery(delivery: &Delivery) -> Result<Self, BoxError> {
        let token = UserToken::from_delivery(delivery).await?;
        let auth = delivery
            .data()
            .get::<UserAuth>()
            .ok_or_else(|| ConfigurationError::new("user sign-in is not configured"))?;
        let client = crate::client::Client::builder()
            .base_url(auth.inner.api_base_url.clone())
            .token_provider(super::ImsTokens(token.manager))
            .build()?;
        Ok(UserClient(client))
    }

    fn check(cx: &StartupContext<'_>) -> Result<(), ArgumentProblem> {
        sign_in_check(cx, "UserClient")
    }
}

/// Reads one query parameter, percent-decoded.
fn query_param(query: &str, name: &str) -> Option<String> {
    url::form_urlencoded::parse(query.as_bytes())
        .find(|(key, _)| key == name)
        .map(|(_, value)| value.into_owned())
}

/// A small, self-contained HTML page (no external assets; every text escaped).
fn page(status: u16, title: &str, message: &str) -> AuthPage {
    let html = format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{title}</title><style>body{{font-family:system-ui,sans-serif;max-width:32rem;\
         margin:4rem auto;padding:0 1rem;color:#1d1d1f}}h1{{font-size:1.4rem}}</style></head>\
         <body><h1>{title}</h1><p>{message}</p></body></html>",
        title = escape(title),
        message = escape(message),
    );
    AuthPage {
        status,
        location: None,
        html,
    }
}

fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_escape_everything() {
        let p = page(400, "<b>", "a & \"b\" <script>alert('x')</script>");
        assert!(p.html.contains("&lt;b&gt;"));
        assert!(
            p.html
                .contains("a &amp; &quot;b&quot; &lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;")
        );
        assert!(!p.html.contains("<script>"));
        assert!(!p.html.contains("http"), "no external assets");
    }

    fn headers(pairs: &[(&str, &str)]) -> Headers {
        let mut headers = Headers::new();
        for (name, value) in pairs {
            headers.insert(name, value.as_bytes());
        }
        headers
    }

    #[test]
    fn the_public_url_is_configured_or_inferred_from_forwarding_headers() {
        let auth = UserAuth::builder("id", "secret")
            .memory_store()
            .encryption_keys(KeyRing::single(EncryptionKey::generate()))
            .finish(&|_| None)
            .unwrap();
        let base =
            |pairs: &[(&str, &str)]| auth.base_url(&headers(pairs)).map_err(|e| e.to_string());
        assert_eq!(
            base(&[("host", "127.0.0.1:8000")]).unwrap(),
            "http://127.0.0.1:8000"
        );
        assert_eq!(
            base(&[
                ("host", "10.0.0.5:8000"),
                ("x-forwarded-host", "hooks.example.com, proxy.internal"),
                ("x-forwarded-proto", "https"),
            ])
            .unwrap(),
            "https://hooks.example.com"
        );
        // Behind a proxy that forwards the host, plain http is not assumed.
        assert_eq!(
            base(&[("x-forwarded-host", "hooks.example.com")]).unwrap(),
            "https://hooks.example.com"
        );
        assert!(base(&[]).unwrap_err().contains("no Host header"));
        assert!(
            base(&[("host", "evil.com/path?x=")])
                .unwrap_err()
                .contains("not a host name")
        );

        let configured = UserAuth::builder("id", "secret")
            .memory_store()
            .public_base_url("https://fixed.example.com/")
            .finish(&|_| None)
            .unwrap();
        assert_eq!(
            configured.base_url(&headers(&[("host", "other")])).unwrap(),
            "https://fixed.example.com"
        );
    }

    #[test]
    fn missing_credentials_are_refused() {
        let err = UserAuth::builder("", "secret")
            .memory_store()
            .finish(&|_| None)
            .unwrap_err();
        assert!(err.contains("client id"), "{err}");
    }

    #[test]
    fn sealed_links_round_trip_and_resist_tampering() {
        let auth = UserAuth::builder("id", "secret")
            .memory_store()
            .encryption_keys(KeyRing::single(EncryptionKey::generate()))
            .finish(&|_| None)
            .unwrap();
        let event: ActionEvent = serde_json::from_value(serde_json::json!({
            "account_id": "a", "action_id": "b", "interaction_id": "i-1",
            "project": {"id": "p"}, "resource": {"id": "r", "type": "file"},
            "type": "t", "user": {"id": "u-1"}, "workspace": {"id": "w"}
        }))
        .unwrap();
        let link = auth.seal(LOGIN_PURPOSE, &event).unwrap();
        assert_eq!(auth.open(LOGIN_PURPOSE, &link).unwrap(), event);
        // A login link is not a state, and vice versa.
        assert!(auth.open(STATE_PURPOSE, &link).is_err());
        let mut bytes = URL_SAFE_NO_PAD.decode(&link).unwrap();
        let last = bytes.len() - 1;
        bytes[last] ^= 1;
        assert!(
            auth.open(LOGIN_PURPOSE, &URL_SAFE_NO_PAD.encode(bytes))
                .is_err()
        );
    }

    #[test]
    fn query_params_are_decoded() {
        assert_eq!(query_param("a=1&t=x%2By&b", "t").as_deref(), Some("x+y"));
        assert_eq!(query_param("a=1", "t"), None);
    }
}
