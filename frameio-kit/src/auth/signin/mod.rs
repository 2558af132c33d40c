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
//! under that user's id, runs the [`UserAuthBuilder::on_auth_complete`] hook (the app's, or the
//! action's own) with the pending event and the user's token, and shows a small HTML page or
//! redirects where the hook says. The `state` is single-use: a replayed callback is refused. The next click finds the token; handlers read it with
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

//!
//! The guide `docs/user-auth.md` covers the console set-up, production settings, proxies and
//! trusted headers, stores, key rotation and timeouts.

use std::fmt;
use std::future::Future;
use std::net::IpAddr;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use tokio::time::Instant;

use crate::auth::{AuthError, ImsClient, TokenManager, error_chain};
use crate::dispatch::{GateOutcome, SignInGate};
use crate::error::{BoxError, ConfigurationError};
use crate::event::ActionEvent;
use crate::handler::{BoxFuture, Headers};
use crate::response::{Form, LinkField, Message};
use crate::store::{KeyRing, Store};

mod builder;
mod complete;
mod extract;
mod pages;
mod proxies;
mod routes;
mod seal;

pub use builder::UserAuthBuilder;
pub use complete::{AfterSignIn, SignInComplete};
pub(crate) use extract::InvalidUserAuth;
use extract::SignedIn;
#[cfg(feature = "client")]
pub use extract::UserClient;
pub use extract::UserToken;
pub use pages::AuthPage;
pub use proxies::{ProxyRange, ProxyRangeError};
pub use routes::AuthRequest;

tokio::task_local! {
    /// The `web::scope` the receiver is mounted in, for the delivery being dispatched (set
    /// by the HTTP adapter, read when the sign-in link is made).
    static SCOPE: Option<Box<str>>;
}

/// Runs `dispatch`, one delivery received at `request_path` by the receiver route
/// `receiver_path`, knowing the `web::scope` the service is mounted in (what comes before
/// the receiver route), so the sign-in link of that delivery points below the same scope.
pub(crate) fn within_scope<F: Future>(
    request_path: &str,
    receiver_path: &str,
    dispatch: F,
) -> impl Future<Output = F::Output> {
    let scope = routes::scope_of(request_path, receiver_path.trim_end_matches('/'))
        .filter(|scope| !scope.is_empty())
        .map(Box::from);
    SCOPE.scope(scope, dispatch)
}

/// The scope set by [`within_scope`] for this delivery, if any.
fn current_scope() -> Option<Box<str>> {
    SCOPE.try_with(Clone::clone).ok().flatten()
}

/// Where the sign-in link leads, below the `web::scope` the service is mounted in (detected
/// per request) and the [`UserAuthBuilder::mount_prefix`].
pub const LOGIN_PATH: &str = "/auth/login";
/// Where Adobe IMS sends the user back (below the scope and mount prefix, as
/// [`LOGIN_PATH`]).
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
/// How long the sign-in step of one click may take by default (see
/// [`UserAuthBuilder::sign_in_timeout`]).
pub const DEFAULT_SIGN_IN_TIMEOUT: Duration = Duration::from_secs(6);
/// How many users' token managers are kept in memory by default.
pub const DEFAULT_MANAGER_CACHE: usize = 10_000;
/// How long a user's token manager is kept in memory by default.
pub const DEFAULT_MANAGER_TTL: Duration = Duration::from_secs(300);

/// User sign-in, configured and validated (see the [module docs](self)).
#[derive(Clone)]
pub struct UserAuth {
    inner: Arc<Inner>,
}

struct Inner {
    ims: ImsClient,
    /// One connection pool for IMS, `GET /v4/me` and every `UserClient`.
    http: reqwest::Client,
    public_base_url: Option<String>,
    mount_prefix: String,
    trust: routes::HeaderTrust,
    store: Arc<dyn Store>,
    keys: KeyRing,
    api_base_url: String,
    verify_user: bool,
    ttl: Duration,
    hooks: complete::Hooks,
    wait: Duration,
    lock_ttl: Duration,
    sign_in_timeout: Duration,
    managers: Mutex<lru::LruCache<String, (Instant, TokenManager)>>,
    manager_ttl: Duration,
}

impl fmt::Debug for UserAuth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UserAuth")
            .field("client_id", &self.inner.ims.config().client_id())
            .field("public_base_url", &self.inner.public_base_url)
            .field("mount_prefix", &self.inner.mount_prefix)
            .field("api_base_url", &self.inner.api_base_url)
            .finish_non_exhaustive()
    }
}

impl UserAuth {
    /// Starts a configuration with the Adobe credential's client id and secret.
    pub fn builder(
        client_id: impl Into<String>,
        client_secret: impl Into<String>,
    ) -> UserAuthBuilder {
        UserAuthBuilder::new(client_id.into(), client_secret.into())
    }

    /// The token manager of one Frame.io user (tokens kept encrypted in the store under the
    /// user id; refreshes are single-flight across instances). Managers are cached per user
    /// (bounded, least recently used out, see [`UserAuthBuilder::token_cache`]), so a warm
    /// click neither reads the store nor decrypts.
    pub fn manager_for(&self, user_id: &str) -> TokenManager {
        let inner = &*self.inner;
        let now = Instant::now();
        let mut managers = inner
            .managers
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if let Some((born, manager)) = managers.get(user_id)
            && now.duration_since(*born) < inner.manager_ttl
        {
            return manager.clone();
        }
        let manager = TokenManager::persistent(
            inner.ims.clone(),
            Arc::clone(&inner.store),
            inner.keys.clone(),
            &format!("user:{user_id}"),
        )
        .lock_ttl(inner.lock_ttl)
        .wait_timeout(inner.wait);
        managers.put(user_id.to_owned(), (now, manager.clone()));
        manager
    }

    /// The IMS client (shares the sign-in's HTTP connection pool).
    pub fn ims(&self) -> &ImsClient {
        &self.inner.ims
    }

    /// The HTTP client shared by IMS, the sign-in's `GET /v4/me` and every `UserClient`: use
    /// it to call other Adobe APIs on the same connection pool.
    pub fn http_client(&self) -> &reqwest::Client {
        &self.inner.http
    }

    /// The store the tokens (and the ledger of used sign-in states) live in.
    pub fn store(&self) -> &Arc<dyn Store> {
        &self.inner.store
    }

    /// A Frame.io API client acting with `tokens` (e.g. a user's [`TokenManager`]), on the
    /// configured API URL and the shared HTTP connection pool.
    ///
    /// # Errors
    ///
    /// When the API base URL is invalid.
    #[cfg(feature = "client")]
    pub fn api_client(
        &self,
        tokens: impl crate::client::TokenProvider,
    ) -> Result<crate::client::Client, crate::client::ClientError> {
        crate::client::Client::builder()
            .base_url(self.inner.api_base_url.clone())
            .http_client(self.inner.http.clone())
            .token_provider(tokens)
            .build()
    }

    /// Signs a user out: forgets their token and asks IMS to revoke it.
    ///
    /// # Errors
    ///
    /// [`AuthError::Store`] when the store cannot be read or written.
    pub async fn sign_out(&self, user_id: &str) -> Result<(), AuthError> {
        let result = self.manager_for(user_id).sign_out().await;
        self.inner
            .managers
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .pop(user_id);
        result
    }

    /// The Form of protocol.md §3 row 9: one link to sign in.
    fn login_form(
        &self,
        event: &ActionEvent,
        headers: &Headers,
        peer: Option<IpAddr>,
    ) -> Result<crate::response::ActionResponse, BoxError> {
        let scope = current_scope();
        let base = match self.base_url(headers, peer, scope.as_deref().unwrap_or_default()) {
            Ok(base) => base,
            Err(routes::BaseUrlError::BadHost | routes::BaseUrlError::BadPath) => {
                return Ok(Message::new(
                    "Sign-in Unavailable",
                    "The request's Host header or path is not valid, so no sign-in link can be \
                     made.",
                )
                .into());
            }
            Err(err) => {
                return Err(ConfigurationError::new(format!(
                    "cannot build the sign-in link ({err:?}): set \
                     `UserAuthBuilder::public_base_url`, or list the proxy in `trusted_proxies`"
                ))
                .into());
            }
        };
        let link = format!(
            "{base}{LOGIN_PATH}?t={}",
            seal::seal(&self.inner.keys, self.inner.ttl, seal::LOGIN_PURPOSE, event)?
        );
        Ok(Form::new(
            "Authentication Required",
            "Please click the link below to sign in with Adobe and continue.",
        )
        .field(LinkField::new("Sign in with Adobe", "login_url", link))
        .into())
    }

    /// The sign-in step of a delivery to an action that requires user sign-in (protocol.md §3
    /// row 9): go on with the user's token, or answer the sign-in Form, or — when the token
    /// cannot be had within [`UserAuthBuilder::sign_in_timeout`] or IMS / the store is
    /// failing — a Message asking to try again. `peer` is the address the delivery came from
    /// (used with [`UserAuthBuilder::trusted_proxies`]).
    pub(crate) async fn sign_in_step(
        &self,
        event: &ActionEvent,
        headers: &Headers,
        peer: Option<IpAddr>,
    ) -> Result<GateOutcome, BoxError> {
        let manager = self.manager_for(&event.user.id);
        let budget = self.inner.sign_in_timeout;
        let failure = match tokio::time::timeout(budget, manager.access_token()).await {
            Ok(Ok(access_token)) => {
                return Ok(GateOutcome::Proceed(Box::new(SignedIn {
                    access_token,
                    manager,
                })));
            }
            Ok(Err(err)) if err.requires_sign_in() => {
                return Ok(GateOutcome::Answer(self.login_form(event, headers, peer)?));
            }
            Ok(Err(err)) if err.is_transient() || matches!(err, AuthError::Store(_)) => {
                error_chain(&err)
            }
            Ok(Err(err)) => return Err(err.into()),
            Err(_) => format!("no token within the sign-in budget of {budget:?}"),
        };
        tracing::warn!(
            target: "frameio_kit::auth",
            user = ?event.user.id,
            error = %failure,
            "sign-in step could not finish; asking the user to try again"
        );
        Ok(GateOutcome::Answer(
            Message::new(
                "Sign-in Unavailable",
                "Adobe sign-in is not responding right now. Try the action again in a moment.",
            )
            .into(),
        ))
    }
}

impl UserAuth {
    /// Runs the sign-in step **inside** the middleware chain: for an action delivery, goes on
    /// to `run` (usually the handler) with the user's token left in the delivery for the
    /// extractors, or answers the sign-in Form / "Sign-in Unavailable" Message without
    /// calling it. Webhooks go straight to `run`. The dispatcher calls this as the last step
    /// of the chain, so middleware sees (and may refuse before) the sign-in prompt. `peer` is
    /// the address the delivery came from, for [`UserAuthBuilder::trusted_proxies`].
    pub(crate) async fn guard<F, Fut>(
        &self,
        mut delivery: crate::handler::Delivery,
        peer: Option<IpAddr>,
        run: F,
    ) -> crate::handler::HandlerResult
    where
        F: FnOnce(crate::handler::Delivery) -> Fut,
        Fut: Future<Output = crate::handler::HandlerResult>,
    {
        let crate::handler::DeliveryEvent::Action(action) = delivery.event() else {
            return run(delivery).await;
        };
        match self.sign_in_step(action, delivery.headers(), peer).await? {
            GateOutcome::Proceed(signed_in) => {
                delivery.set_extension_boxed(signed_in);
                run(delivery).await
            }
            GateOutcome::Answer(answer) => Ok(answer),
        }
    }
}

impl SignInGate for UserAuth {
    fn guard<'a>(
        &'a self,
        delivery: crate::handler::Delivery,
        handler: &'a crate::handler::Handler,
    ) -> BoxFuture<'a, crate::handler::HandlerResult> {
        let peer = delivery.peer();
        Box::pin(UserAuth::guard(self, delivery, peer, |d| handler.call(d)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::EncryptionKey;

    fn builder() -> UserAuthBuilder {
        UserAuth::builder("id", "secret")
            .memory_store()
            .encryption_keys(KeyRing::single(EncryptionKey::generate()))
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
    fn the_public_url_is_checked_at_start_up() {
        for bad in [
            "",
            "hooks.example.com",
            "ftp://x.example.com",
            "https://x.example.com/?a=1",
            "https://u:p@x.example.com",
        ] {
            let err = builder()
                .public_base_url(bad)
                .finish(&|_| None)
                .unwrap_err();
            assert!(err.contains("public_base_url"), "{bad}: {err}");
        }
        let err = builder().finish(&|_| None).unwrap_err();
        assert!(err.contains("public_base_url"), "{err}");
        assert!(
            builder()
                .public_base_url("https://x.example.com")
                .finish(&|_| None)
                .is_ok()
        );
        assert!(
            builder()
                .trust_forwarded_headers()
                .finish(&|_| None)
                .is_ok()
        );
        let err = builder()
            .trust_forwarded_headers()
            .mount_prefix("hooks")
            .finish(&|_| None)
            .unwrap_err();
        assert!(err.contains("mount_prefix"), "{err}");
    }

    #[test]
    fn timeouts_must_fit_frameio_budget() {
        let ok = || builder().trust_forwarded_headers();
        let err = ok()
            .sign_in_timeout(Duration::from_secs(10))
            .finish(&|_| None)
            .unwrap_err();
        assert!(err.contains("budget"), "{err}");
        let err = ok()
            .ims_timeout(Duration::from_secs(20))
            .finish(&|_| None)
            .unwrap_err();
        assert!(err.contains("refresh_lock_ttl"), "{err}");
        let err = ok()
            .token_wait(Duration::ZERO)
            .finish(&|_| None)
            .unwrap_err();
        assert!(err.contains("token_wait"), "{err}");
    }

    #[tokio::test]
    async fn the_guard_answers_the_form_or_runs_with_the_token() {
        use crate::handler::{AppData, Delivery, DeliveryEvent, FromDelivery};
        use crate::response::ActionResponse;

        let auth = builder()
            .public_base_url("https://hooks.example.com")
            .finish(&|_| None)
            .unwrap();
        let mut data = AppData::default();
        data.insert(Arc::new(auth.clone()));
        let data = Arc::new(data);
        let event: ActionEvent = serde_json::from_value(serde_json::json!({
            "account_id": "a", "action_id": "b", "interaction_id": "i",
            "project": {"id": "p"}, "resource": {"id": "r", "type": "file"},
            "type": "t", "user": {"id": "u-1"}, "workspace": {"id": "w"}
        }))
        .unwrap();
        let delivery = || {
            Delivery::new(
                DeliveryEvent::Action(event.clone()),
                Headers::new(),
                Arc::clone(&data),
            )
        };

        // No token: the Form, and `run` is not called.
        let answer = auth
            .guard(delivery(), None, |_| async {
                panic!("the handler must not run")
            })
            .await
            .unwrap();
        let json = answer.to_json().unwrap().unwrap();
        assert!(
            String::from_utf8_lossy(&json).contains("Authentication Required"),
            "{}",
            String::from_utf8_lossy(&json)
        );

        // Signed in: `run` gets the delivery with the user's token.
        let token = crate::auth::Token::new(
            "access-1",
            Some("refresh-1".into()),
            Duration::from_secs(3600),
            vec![],
        );
        auth.manager_for("u-1").set_token(token).await.unwrap();
        let answer = auth
            .guard(delivery(), None, |d| async move {
                let token = UserToken::from_delivery(&d).await?;
                Ok(Message::new("ran", token.access_token().to_owned()).into())
            })
            .await
            .unwrap();
        assert_eq!(
            answer,
            ActionResponse::from(Message::new("ran", "access-1"))
        );
    }

    #[tokio::test]
    async fn managers_are_cached_per_user_and_expire() {
        let auth = builder()
            .trust_forwarded_headers()
            .token_cache(2, Duration::from_secs(60))
            .finish(&|_| None)
            .unwrap();
        let a = auth.manager_for("a");
        assert!(a.shares_cache_with(&auth.manager_for("a")));
        auth.manager_for("b");
        auth.manager_for("c"); // evicts "a", the least recently used
        assert!(!a.shares_cache_with(&auth.manager_for("a")));

        let short = builder()
            .trust_forwarded_headers()
            .token_cache(10, Duration::from_millis(1))
            .finish(&|_| None)
            .unwrap();
        let first = short.manager_for("a");
        tokio::time::sleep(Duration::from_millis(5)).await;
        assert!(!first.shares_cache_with(&short.manager_for("a")));
    }
}

/// The guide `docs/user-auth.md`, compiled and run with the doctests.
#[cfg(doctest)]
#[doc = include_str!("../../../../docs/user-auth.md")]
struct UserAuthGuide;
