//! [`TokenManager`]: cached, refreshed-before-expiry, single-flight, optionally persisted
//! tokens; and the flow types built on it.
//!
//! | file | what |
//! |---|---|
//! | `mod.rs` | [`TokenManager`], its settings and its public API |
//! | `refresh.rs` | the cache, the single-flight and cross-instance refresh, persistence |
//! | `flows.rs` | [`ServerToServer`], [`WebAppFlow`] and [`SpaFlow`] |

use std::{
    fmt,
    sync::{
        Arc, Mutex as StdMutex, RwLock,
        atomic::{AtomicBool, AtomicU64, Ordering},
    },
    time::Duration,
};

use tokio::{sync::Mutex, time::Instant};

use super::{AuthError, ImsClient, Token, TokenTypeHint, error_chain};
use crate::store::{EncryptedStore, KeyRing, Store};

/// How long a cross-instance refresh lock lives unless [`TokenManager::lock_ttl`] says
/// otherwise. It must exceed one IMS request ([`ImsConfig::with_timeout`](super::ImsConfig::with_timeout), default 8 s): the
/// lock is always released when the refresh ends, this is only the bound for a crashed holder.
pub const DEFAULT_LOCK_TTL: Duration = Duration::from_secs(12);
/// How long a caller waits for a token (its own refresh, or another caller's or instance's)
/// unless [`TokenManager::wait_timeout`] says otherwise. It fits inside Frame.io's 10 s action
/// budget with room for the handler.
pub const DEFAULT_WAIT_TIMEOUT: Duration = Duration::from_secs(5);
/// How long a failed IMS refresh (network, 5xx, 429) is shared with the callers that come
/// next, instead of each of them asking IMS again. A longer `Retry-After` wins (up to 30 s).
pub const FAILURE_BACKOFF: Duration = Duration::from_secs(2);
const MAX_SHARED_RETRY_AFTER: Duration = Duration::from_secs(30);
const LOCK_POLL: Duration = Duration::from_millis(50);
const SAVE_ATTEMPTS: u32 = 3;
const SAVE_BACKOFF: Duration = Duration::from_millis(100);

/// Implements [`client::TokenProvider`](crate::client::TokenProvider) for an IMS token
/// holder whose inherent `access_token()` gives a fresh token: the IMS error is kept as the
/// [`TokenError`](crate::client::TokenError)'s source.
macro_rules! token_provider {
    ($($ty:ty),+ $(,)?) => {$(
        #[cfg(feature = "client")]
        impl crate::client::TokenProvider for $ty {
            fn token(
                &self,
            ) -> crate::client::BoxFuture<
                '_,
                Result<crate::client::AccessToken, crate::client::TokenError>,
            > {
                Box::pin(async move {
                    self.access_token()
                        .await
                        .map(crate::client::AccessToken::new)
                        .map_err(|err| {
                            crate::client::TokenError::with_source("no IMS access token", err)
                        })
                })
            }
        }
    )+};
}

mod flows;
mod refresh;

pub use flows::{ServerToServer, SpaFlow, WebAppFlow};
use refresh::{duration_ms, load, save_with_retry};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Source {
    /// A signed-in user's token, renewed with its refresh token.
    User,
    /// The credential's own token, renewed with `client_credentials`.
    ClientCredentials,
}

struct Persist {
    tokens: EncryptedStore,
    locks: Arc<dyn Store>,
    token_key: String,
    lock_key: String,
}

/// The token held in memory. `unsaved` marks a token the store has not taken yet (its write
/// failed): it is newer than the stored one and must never be replaced by it.
#[derive(Default)]
struct Cached {
    token: Option<Token>,
    unsaved: bool,
}

/// What the cache can answer without waiting.
enum Fresh {
    /// A token not due for refresh, and stored.
    Ready(String),
    /// A token not due for refresh that the store has not taken yet.
    Unsaved(String),
    /// Nothing usable without looking further.
    Stale,
}

#[derive(Clone, Copy)]
struct SharedFailure {
    until: Instant,
    rate_limited: bool,
}

struct Inner {
    client: ImsClient,
    source: Source,
    buffer: Duration,
    lock_ttl_ms: AtomicU64,
    wait_ms: AtomicU64,
    cached: RwLock<Cached>,
    /// Single flight: one caller at a time looks past the cache.
    flight: Mutex<()>,
    failure: StdMutex<Option<SharedFailure>>,
    /// A background save of an unsaved token is under way.
    saving: AtomicBool,
    persist: Option<Persist>,
}

/// Hands out valid access tokens: refreshes `refresh_buffer` before expiry, lets exactly one
/// caller refresh at a time (the others wait and reuse its result), and — given a
/// [`Store`] — keeps the token encrypted there and takes a short lock in the store
/// ([`Store::set_if_absent`]) so that only one instance refreshes a shared token.
///
/// Cloning is cheap and clones share the cache.
///
/// With a store, the token lives under `ims:token:{key}` (sealed with the [`KeyRing`]) and
/// the refresh lock under `ims:refresh-lock:{key}` (a random owner id, expiring after
/// [`lock_ttl`](Self::lock_ttl)); the store adds its own prefix. A cached token that is not
/// yet due for refresh is used without reading the store.
///
/// A refreshed token is never lost:
///
/// - the refresh runs in its own task, so a caller that stops waiting (after
///   [`wait_timeout`](Self::wait_timeout), default 5 s) does not cancel it: a slow IMS answer
///   (with a rotated refresh token) is still kept, and the lock is released on every path;
/// - when saving it fails, the save is retried, then the token is kept in memory and saved
///   again on the next call; a stored token is only adopted when it is newer (by issue time,
///   then expiry, see [`Token::is_newer_than`]);
/// - on `invalid_grant` the stored token is deleted only when no newer token exists.
///
/// When a refresh fails with [`AuthError::RefreshTokenInvalid`] the token is forgotten: the
/// user must sign in again. A user token without a refresh token is used until it expires,
/// then [`AuthError::SignInRequired`] is returned. When it fails for a transient reason
/// (network, 429, 5xx, lock timeout) and the current access token has not expired yet, that
/// token is returned and the refresh is retried later; the failure is shared with the callers
/// of the next [`FAILURE_BACKOFF`] (or `Retry-After`) instead of each asking IMS again.
///
/// ```no_run
/// use std::sync::Arc;
/// use frameio_kit::auth::{ImsClient, ImsConfig, TokenManager};
/// use frameio_kit::store::{KeyRing, SqliteStore, Store};
///
/// # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
/// let ims = ImsClient::new(ImsConfig::new("client-id").with_client_secret("secret"))?;
/// let store: Arc<dyn Store> = Arc::new(SqliteStore::new("data/tokens.db"));
/// let user = TokenManager::persistent(ims.clone(), store, KeyRing::from_env()?, "user-42");
///
/// // After the OAuth callback:
/// let token = ims.exchange_code("code", "https://example.com/auth/callback").await?;
/// user.set_token(token).await?;
///
/// // Any time later, on any instance sharing the store:
/// let bearer = user.access_token().await?;
/// # let _ = bearer;
/// # Ok(())
/// # }
/// ```
#[derive(Clone)]
pub struct TokenManager {
    inner: Arc<Inner>,
}

impl fmt::Debug for TokenManager {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenManager")
            .field("client_id", &self.inner.client.config().client_id())
            .field("source", &self.inner.source)
            .field(
                "store_key",
                &self.inner.persist.as_ref().map(|p| &p.token_key),
            )
            .finish_non_exhaustive()
    }
}

impl TokenManager {
    fn build(
        client: ImsClient,
        source: Source,
        token: Option<Token>,
        persist: Option<Persist>,
    ) -> Self {
        let buffer = client.config().refresh_buffer();
        Self {
            inner: Arc::new(Inner {
                client,
                source,
                buffer,
                lock_ttl_ms: AtomicU64::new(duration_ms(DEFAULT_LOCK_TTL)),
                wait_ms: AtomicU64::new(duration_ms(DEFAULT_WAIT_TIMEOUT)),
                cached: RwLock::new(Cached {
                    token,
                    unsaved: false,
                }),
                flight: Mutex::new(()),
                failure: StdMutex::new(None),
                saving: AtomicBool::new(false),
                persist,
            }),
        }
    }

    /// Manages a user's token in memory (from a code exchange or an imported [`Token`]).
    pub fn new(client: ImsClient, token: Token) -> Self {
        Self::build(client, Source::User, Some(token), None)
    }

    /// Manages the credential's own token (server-to-server), fetched on first use.
    pub fn client_credentials(client: ImsClient) -> Self {
        Self::build(client, Source::ClientCredentials, None, None)
    }

    /// Manages a user's token kept encrypted with `keys` in `store` under `key` (for example
    /// the Frame.io user id). Until a token is stored ([`set_token`](Self::set_token)),
    /// [`access_token`](Self::access_token) answers [`AuthError::SignInRequired`].
    pub fn persistent(client: ImsClient, store: Arc<dyn Store>, keys: KeyRing, key: &str) -> Self {
        let persist = Self::persist(store, keys, key);
        Self::build(client, Source::User, None, Some(persist))
    }

    /// Like [`client_credentials`](Self::client_credentials), but shares the token between
    /// instances through `store` (encrypted with `keys`) under `key`.
    pub fn client_credentials_persistent(
        client: ImsClient,
        store: Arc<dyn Store>,
        keys: KeyRing,
        key: &str,
    ) -> Self {
        let persist = Self::persist(store, keys, key);
        Self::build(client, Source::ClientCredentials, None, Some(persist))
    }

    fn persist(store: Arc<dyn Store>, keys: KeyRing, key: &str) -> Persist {
        Persist {
            tokens: EncryptedStore::new(Arc::clone(&store), keys),
            locks: store,
            token_key: format!("ims:token:{key}"),
            lock_key: format!("ims:refresh-lock:{key}"),
        }
    }

    /// Sets how long the cross-instance refresh lock lives (default [`DEFAULT_LOCK_TTL`],
    /// 12 s); a refresh waiting for another instance's lock gives up after the same time.
    /// Keep it above the IMS request timeout. Applies to every clone.
    pub fn lock_ttl(self, ttl: Duration) -> Self {
        self.inner
            .lock_ttl_ms
            .store(duration_ms(ttl).max(1), Ordering::Relaxed);
        self
    }

    /// Sets how long [`access_token`](Self::access_token) waits for a token (default
    /// [`DEFAULT_WAIT_TIMEOUT`], 5 s). When it runs out, the current token is returned if it
    /// has not expired, else [`AuthError::Timeout`]; the refresh itself goes on and keeps its
    /// result. Applies to every clone.
    pub fn wait_timeout(self, wait: Duration) -> Self {
        self.inner
            .wait_ms
            .store(duration_ms(wait).max(1), Ordering::Relaxed);
        self
    }

    /// The IMS client.
    pub fn client(&self) -> &ImsClient {
        &self.inner.client
    }

    /// Whether `other` is a clone of this manager (they share one cache).
    pub fn shares_cache_with(&self, other: &TokenManager) -> bool {
        Arc::ptr_eq(&self.inner, &other.inner)
    }

    /// Replaces the token (after a sign-in), saving it to the store when there is one (a
    /// failed write is retried a few times).
    ///
    /// # Errors
    ///
    /// [`AuthError::Store`] when saving fails.
    pub async fn set_token(&self, token: Token) -> Result<(), AuthError> {
        let inner = &*self.inner;
        let _flight = inner.flight.lock().await;
        if let Some(p) = &inner.persist {
            save_with_retry(p, &token).await?;
        }
        inner.set_cached(Some(token), false);
        inner.clear_failure();
        Ok(())
    }

    /// The current token, for export (the newer of the cached and the stored one).
    ///
    /// # Errors
    ///
    /// [`AuthError::Store`] when the store cannot be read or the value does not decrypt.
    pub async fn token(&self) -> Result<Option<Token>, AuthError> {
        let inner = &*self.inner;
        let _flight = inner.flight.lock().await;
        let (cached, unsaved) = inner.snapshot();
        let Some(p) = &inner.persist else {
            return Ok(cached);
        };
        let stored = load(p).await?;
        let best = match (cached, stored) {
            (cached, None) if !unsaved => {
                // Signed out elsewhere.
                let _ = cached;
                None
            }
            (Some(c), Some(s)) if !s.is_newer_than(&c) && s != c => {
                return Ok(Some(c));
            }
            (cached, stored) => stored.or(cached),
        };
        inner.set_cached(best.clone(), false);
        Ok(best)
    }

    /// Forgets the token here and in the store, and asks IMS to revoke its refresh token
    /// (or access token when there is none). A failed revocation is logged, not returned.
    ///
    /// # Errors
    ///
    /// [`AuthError::Store`] when the store cannot be read or written.
    pub async fn sign_out(&self) -> Result<(), AuthError> {
        let inner = &*self.inner;
        let _flight = inner.flight.lock().await;
        let (mut token, _) = inner.snapshot();
        if let Some(p) = &inner.persist {
            if let Some(stored) = load(p).await?
                && token.as_ref().is_none_or(|t| !t.is_newer_than(&stored))
            {
                token = Some(stored);
            }
            p.tokens.delete(&p.token_key).await?;
        }
        inner.set_cached(None, false);
        if let Some(token) = token {
            let result = match token.refresh_token() {
                Some(rt) => inner.client.revoke(rt, TokenTypeHint::RefreshToken).await,
                None => {
                    inner
                        .client
                        .revoke(token.access_token(), TokenTypeHint::AccessToken)
                        .await
                }
            };
            if let Err(err) = result {
                tracing::warn!(error = %error_chain(&err), "token revocation failed during sign-out");
            }
        }
        Ok(())
    }

    /// A valid access token, refreshed first when it expires within the refresh buffer.
    ///
    /// # Errors
    ///
    /// [`AuthError::SignInRequired`] / [`AuthError::RefreshTokenInvalid`] when the user
    /// must sign in (again); [`AuthError::Timeout`] when no token came within
    /// [`wait_timeout`](Self::wait_timeout); otherwise the errors of the IMS call or the store.
    pub async fn access_token(&self) -> Result<String, AuthError> {
        match self.inner.fresh() {
            Fresh::Ready(access) => return Ok(access),
            Fresh::Unsaved(access) => {
                // Good to use; the store has not taken it yet: save it in the background.
                if !self.inner.saving.swap(true, Ordering::AcqRel) {
                    let inner = Arc::clone(&self.inner);
                    tokio::spawn(async move {
                        let _ = inner.obtain().await;
                        inner.saving.store(false, Ordering::Release);
                    });
                }
                return Ok(access);
            }
            Fresh::Stale => {}
        }
        let wait = Duration::from_millis(self.inner.wait_ms.load(Ordering::Relaxed));
        let inner = Arc::clone(&self.inner);
        // Its own task: a caller that stops waiting never cancels a refresh half-way.
        let task = tokio::spawn(async move { inner.obtain().await });
        match tokio::time::timeout(wait, task).await {
            Ok(Ok(result)) => result,
            Ok(Err(join)) => Err(AuthError::InvalidResponse(format!(
                "the token refresh task failed: {join}"
            ))),
            Err(_) => match self.inner.unexpired() {
                Some(access) => {
                    tracing::warn!(
                        waited_ms = duration_ms(wait),
                        "token refresh is slow; using the current token while it finishes"
                    );
                    Ok(access)
                }
                None => Err(AuthError::Timeout { waited: wait }),
            },
        }
    }
}

token_provider!(TokenManager);
