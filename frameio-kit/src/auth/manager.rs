//! [`TokenManager`]: cached, refreshed-before-expiry, single-flight, optionally persisted
//! tokens; and the flow types built on it.

use std::{
    fmt,
    panic::AssertUnwindSafe,
    sync::{
        Arc, Mutex as StdMutex, PoisonError, RwLock,
        atomic::{AtomicBool, AtomicU64, Ordering},
    },
    time::Duration,
};

use futures_util::FutureExt as _;
use tokio::{sync::Mutex, time::Instant};

use super::{AuthError, ImsClient, ImsConfig, Pkce, Token, TokenTypeHint, error_chain};
use crate::store::{EncryptedStore, KeyRing, Store};

/// How long a cross-instance refresh lock lives unless [`TokenManager::lock_ttl`] says
/// otherwise. It must exceed one IMS request ([`ImsConfig::with_timeout`], default 8 s): the
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

impl Inner {
    fn read(&self) -> std::sync::RwLockReadGuard<'_, Cached> {
        self.cached.read().unwrap_or_else(PoisonError::into_inner)
    }

    fn snapshot(&self) -> (Option<Token>, bool) {
        let cached = self.read();
        (cached.token.clone(), cached.unsaved)
    }

    fn set_cached(&self, token: Option<Token>, unsaved: bool) {
        let mut cached = self.cached.write().unwrap_or_else(PoisonError::into_inner);
        cached.token = token;
        cached.unsaved = unsaved;
    }

    /// The cached access token when it is not due for refresh.
    fn fresh(&self) -> Fresh {
        let cached = self.read();
        match cached
            .token
            .as_ref()
            .filter(|t| !t.needs_refresh(self.buffer))
        {
            None => Fresh::Stale,
            Some(token) if cached.unsaved => Fresh::Unsaved(token.access_token().to_owned()),
            Some(token) => Fresh::Ready(token.access_token().to_owned()),
        }
    }

    /// The cached access token while it has not expired.
    fn unexpired(&self) -> Option<String> {
        self.read()
            .token
            .as_ref()
            .filter(|t| !t.is_expired())
            .map(|t| t.access_token().to_owned())
    }

    fn lock_ttl(&self) -> Duration {
        Duration::from_millis(self.lock_ttl_ms.load(Ordering::Relaxed))
    }

    fn recent_failure(&self) -> Option<AuthError> {
        let failure = (*self.failure.lock().unwrap_or_else(PoisonError::into_inner))?;
        let now = Instant::now();
        if now >= failure.until {
            return None;
        }
        let retry_after = failure.until - now;
        Some(if failure.rate_limited {
            AuthError::RateLimited {
                retry_after: Some(retry_after),
            }
        } else {
            AuthError::Unavailable { retry_after }
        })
    }

    fn record_failure(&self, err: &AuthError) {
        let (pause, rate_limited) = match err {
            AuthError::RateLimited { retry_after } => (
                retry_after
                    .unwrap_or(FAILURE_BACKOFF)
                    .clamp(FAILURE_BACKOFF, MAX_SHARED_RETRY_AFTER),
                true,
            ),
            AuthError::Network(_) | AuthError::Server { .. } => (FAILURE_BACKOFF, false),
            _ => return,
        };
        *self.failure.lock().unwrap_or_else(PoisonError::into_inner) = Some(SharedFailure {
            until: Instant::now() + pause,
            rate_limited,
        });
    }

    fn clear_failure(&self) {
        *self.failure.lock().unwrap_or_else(PoisonError::into_inner) = None;
    }

    /// The current token when `err` is transient and it has not expired; otherwise `err`.
    fn fallback(&self, current: Option<&Token>, err: AuthError) -> Result<String, AuthError> {
        match current.filter(|t| !t.is_expired()) {
            Some(token) if !err.requires_sign_in() => {
                tracing::warn!(
                    error = %error_chain(&err),
                    "token refresh failed; using the current token until it expires"
                );
                Ok(token.access_token().to_owned())
            }
            _ => Err(err),
        }
    }

    /// Looks past the cache, one caller at a time.
    async fn obtain(&self) -> Result<String, AuthError> {
        let _flight = self.flight.lock().await;
        let (cached, mut unsaved) = self.snapshot();
        if let (Some(p), true, Some(token)) = (&self.persist, unsaved, &cached) {
            // A refreshed token the store has not taken yet: try again, once per call.
            match save(p, token).await {
                Ok(()) => {
                    tracing::info!("saved the refreshed token after an earlier failure");
                    self.set_cached(cached.clone(), false);
                    unsaved = false;
                }
                Err(err) => tracing::warn!(
                    error = %error_chain(&err),
                    "the token store still refuses the refreshed token; keeping it in memory"
                ),
            }
        }
        if let Some(token) = cached.as_ref().filter(|t| !t.needs_refresh(self.buffer)) {
            return Ok(token.access_token().to_owned());
        }
        let mut best = cached;
        if let Some(p) = &self.persist {
            // Another instance may have stored a fresher token (or signed the user out).
            let stored = match load(p).await {
                Ok(stored) => stored,
                Err(err) => {
                    tracing::warn!(error = %error_chain(&err), "cannot read the token store");
                    return self.fallback(best.as_ref(), err);
                }
            };
            match (best.take(), stored) {
                (_, None) if !unsaved => {
                    if self.source == Source::User {
                        self.set_cached(None, false);
                        return Err(AuthError::SignInRequired);
                    }
                }
                (Some(ours), Some(stored)) if !stored.is_newer_than(&ours) && stored != ours => {
                    // The store holds an older token (an earlier save failed): keep ours.
                    unsaved = true;
                    best = Some(ours);
                }
                (ours, None) => best = ours,
                (_, Some(stored)) => {
                    unsaved = false;
                    best = Some(stored);
                }
            }
            if let Some(token) = best.as_ref().filter(|t| !t.needs_refresh(self.buffer)) {
                let access = token.access_token().to_owned();
                self.set_cached(best.clone(), unsaved);
                return Ok(access);
            }
        }
        if self.source == Source::User {
            match best.as_ref() {
                None => return Err(AuthError::SignInRequired),
                Some(token) if token.refresh_token().is_none() => {
                    // Nothing to refresh with: use the token while it lasts, then sign in.
                    if !token.is_expired() {
                        return Ok(token.access_token().to_owned());
                    }
                    self.set_cached(None, false);
                    if let Some(p) = &self.persist
                        && let Err(err) = delete_if_unchanged(p, token).await
                    {
                        tracing::warn!(error = %error_chain(&err), "cannot remove an expired token");
                    }
                    return Err(AuthError::SignInRequired);
                }
                Some(_) => {}
            }
        }
        if let Some(err) = self.recent_failure() {
            return self.fallback(best.as_ref(), err);
        }
        let result = match &self.persist {
            None => self.fetch(best.as_ref()).await.map(|t| (t, true)),
            Some(p) => self.fetch_shared(p, best.as_ref()).await,
        };
        match result {
            Ok((token, saved)) => {
                self.clear_failure();
                let access = token.access_token().to_owned();
                self.set_cached(Some(token), !saved);
                Ok(access)
            }
            Err(err) if err.requires_sign_in() => {
                self.set_cached(None, false);
                Err(err)
            }
            Err(err) => {
                tracing::warn!(error = %error_chain(&err), "token refresh failed");
                self.record_failure(&err);
                self.fallback(best.as_ref(), err)
            }
        }
    }

    /// One request to IMS for a new token.
    async fn fetch(&self, current: Option<&Token>) -> Result<Token, AuthError> {
        match self.source {
            Source::ClientCredentials => self.client.client_credentials().await,
            Source::User => match current.and_then(Token::refresh_token) {
                Some(refresh_token) => {
                    tracing::debug!("refreshing user access token");
                    self.client.refresh(refresh_token).await
                }
                None => Err(AuthError::SignInRequired),
            },
        }
    }

    /// Refreshes under the store lock so that one instance refreshes and the others reuse it.
    /// Returns the token and whether the store holds it.
    async fn fetch_shared(
        &self,
        p: &Persist,
        current: Option<&Token>,
    ) -> Result<(Token, bool), AuthError> {
        let owner: [u8; 16] = rand::random();
        let lock_ttl = self.lock_ttl();
        let deadline = Instant::now() + lock_ttl;
        loop {
            if p.locks
                .set_if_absent(&p.lock_key, &owner, Some(lock_ttl))
                .await?
            {
                let result = AssertUnwindSafe(self.refresh_locked(p, current))
                    .catch_unwind()
                    .await;
                // Released on every path (this task is never cancelled half-way).
                if let Err(err) = p.locks.delete_if_equals(&p.lock_key, &owner).await {
                    tracing::warn!(
                        error = %error_chain(&err),
                        "could not release the token refresh lock; it will expire"
                    );
                }
                return result.unwrap_or_else(|_| {
                    Err(AuthError::InvalidResponse(
                        "the token refresh panicked".into(),
                    ))
                });
            }
            tokio::time::sleep(LOCK_POLL).await;
            match load(p).await? {
                Some(token)
                    if !token.needs_refresh(self.buffer)
                        && current.is_none_or(|c| !c.is_newer_than(&token)) =>
                {
                    return Ok((token, true));
                }
                None if self.source == Source::User && current.is_none() => {
                    return Err(AuthError::SignInRequired);
                }
                _ => {}
            }
            if Instant::now() >= deadline {
                return Err(AuthError::LockTimeout);
            }
        }
    }

    async fn refresh_locked(
        &self,
        p: &Persist,
        current: Option<&Token>,
    ) -> Result<(Token, bool), AuthError> {
        // Re-read under the lock: the previous holder may have just stored a fresh token.
        let stored = load(p).await?;
        let base = match (current, stored.as_ref()) {
            (Some(c), Some(s)) if c.is_newer_than(s) => Some(c),
            (c, s) => s.or(c),
        };
        if let Some(token) = base.filter(|t| !t.needs_refresh(self.buffer)) {
            let saved = stored.as_ref() == Some(token) || save_with_retry(p, token).await.is_ok();
            return Ok((token.clone(), saved));
        }
        let token = match self.fetch(base).await {
            Ok(token) => token,
            Err(err) if err.requires_sign_in() => {
                // Delete only when no newer token exists anywhere: another instance (or a
                // refresh that outlived its lock) may have stored one meanwhile.
                match load(p).await {
                    Ok(Some(newer)) if base.is_none_or(|b| newer.is_newer_than(b)) => {
                        if !newer.needs_refresh(self.buffer) {
                            return Ok((newer, true));
                        }
                        // Refresh from the newer token instead (its own errors stand).
                        self.fetch(Some(&newer)).await?
                    }
                    Ok(Some(unchanged)) => {
                        if Some(&unchanged) == base
                            && let Err(del) = delete_if_unchanged(p, &unchanged).await
                        {
                            tracing::warn!(error = %error_chain(&del), "cannot remove the dead token");
                        }
                        return Err(err);
                    }
                    Ok(None) => return Err(err),
                    Err(load_err) => {
                        tracing::warn!(
                            error = %error_chain(&load_err),
                            "cannot check the store for a newer token; keeping the stored one"
                        );
                        return Err(err);
                    }
                }
            }
            Err(err) => return Err(err),
        };
        let saved = match save_with_retry(p, &token).await {
            Ok(()) => true,
            Err(err) => {
                // The new token (and a rotated refresh token) is good: keep it in memory,
                // never let the older stored one replace it, and save it on the next call.
                tracing::error!(
                    error = %error_chain(&err),
                    "could not save the refreshed token; keeping it in memory and retrying"
                );
                false
            }
        };
        Ok((token, saved))
    }
}

fn duration_ms(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

async fn load(p: &Persist) -> Result<Option<Token>, AuthError> {
    match p.tokens.get(&p.token_key).await? {
        None => Ok(None),
        Some(bytes) => serde_json::from_slice(&bytes).map(Some).map_err(|err| {
            AuthError::InvalidResponse(format!("stored token cannot be read: {err}"))
        }),
    }
}

/// Deletes the stored token only if it is still `token` (compare-and-delete).
async fn delete_if_unchanged(p: &Persist, token: &Token) -> Result<(), AuthError> {
    let bytes = serde_json::to_vec(token)
        .map_err(|err| AuthError::InvalidResponse(format!("token cannot be serialized: {err}")))?;
    p.tokens.delete_if_equals(&p.token_key, &bytes).await?;
    Ok(())
}

async fn save(p: &Persist, token: &Token) -> Result<(), AuthError> {
    let bytes = serde_json::to_vec(token)
        .map_err(|err| AuthError::InvalidResponse(format!("token cannot be serialized: {err}")))?;
    p.tokens.set(&p.token_key, &bytes, None).await?;
    Ok(())
}

/// Saves, trying again a few times (100 ms, then 200 ms apart) when the store fails.
async fn save_with_retry(p: &Persist, token: &Token) -> Result<(), AuthError> {
    let mut attempt = 1;
    loop {
        match save(p, token).await {
            Ok(()) => return Ok(()),
            Err(err) if attempt >= SAVE_ATTEMPTS => return Err(err),
            Err(err) => {
                tracing::warn!(attempt, error = %error_chain(&err), "saving the token failed; retrying");
                tokio::time::sleep(SAVE_BACKOFF * attempt).await;
                attempt += 1;
            }
        }
    }
}

token_provider!(TokenManager);

/// The server-to-server flow (`client_credentials`): the integration acts as itself.
///
/// ```no_run
/// use frameio_kit::auth::{ImsConfig, ServerToServer};
///
/// # async fn demo() -> Result<(), frameio_kit::auth::AuthError> {
/// let s2s = ServerToServer::new(
///     ImsConfig::new("client-id")
///         .with_client_secret("secret")
///         .with_scopes(["openid", "AdobeID", "frame.s2s.all"]),
/// )?;
/// let bearer = s2s.access_token().await?; // cached; renewed before expiry
/// # let _ = bearer;
/// # Ok(())
/// # }
/// ```
#[derive(Clone, Debug)]
pub struct ServerToServer {
    manager: TokenManager,
}

impl ServerToServer {
    /// The flow for `config`, which must have a client secret.
    ///
    /// # Errors
    ///
    /// [`AuthError::Config`] when the secret is missing or the settings are invalid.
    pub fn new(config: ImsConfig) -> Result<Self, AuthError> {
        if !config.has_client_secret() {
            return Err(AuthError::Config(
                "server-to-server needs a client secret".into(),
            ));
        }
        Ok(Self {
            manager: TokenManager::client_credentials(ImsClient::new(config)?),
        })
    }

    /// The same flow, sharing its token between instances through `store`.
    ///
    /// # Errors
    ///
    /// [`AuthError::Config`] when the secret is missing or the settings are invalid.
    pub fn with_store(
        config: ImsConfig,
        store: Arc<dyn Store>,
        keys: KeyRing,
    ) -> Result<Self, AuthError> {
        if !config.has_client_secret() {
            return Err(AuthError::Config(
                "server-to-server needs a client secret".into(),
            ));
        }
        let key = format!("s2s:{}", config.client_id());
        Ok(Self {
            manager: TokenManager::client_credentials_persistent(
                ImsClient::new(config)?,
                store,
                keys,
                &key,
            ),
        })
    }

    /// A valid access token for the credential.
    ///
    /// # Errors
    ///
    /// The errors of [`TokenManager::access_token`].
    pub async fn access_token(&self) -> Result<String, AuthError> {
        self.manager.access_token().await
    }

    /// The underlying manager.
    pub fn manager(&self) -> &TokenManager {
        &self.manager
    }
}

token_provider!(ServerToServer);

/// The web-app flow (authorization code with a client secret).
///
/// ```no_run
/// use frameio_kit::auth::{ImsConfig, WebAppFlow};
///
/// # async fn demo() -> Result<(), frameio_kit::auth::AuthError> {
/// let flow = WebAppFlow::new(ImsConfig::new("client-id").with_client_secret("secret"))?;
/// let redirect = "https://example.com/auth/callback";
/// let url = flow.authorization_url(redirect, "opaque-state")?;
/// // …send the user to `url`; IMS redirects back with ?code=…&state=…
/// let user = flow.sign_in("code", redirect).await?;
/// let bearer = user.access_token().await?;
/// # let _ = (url, bearer);
/// # Ok(())
/// # }
/// ```
#[derive(Clone, Debug)]
pub struct WebAppFlow {
    client: ImsClient,
}

impl WebAppFlow {
    /// The flow for `config`, which must have a client secret.
    ///
    /// # Errors
    ///
    /// [`AuthError::Config`] when the secret is missing or the settings are invalid.
    pub fn new(config: ImsConfig) -> Result<Self, AuthError> {
        if !config.has_client_secret() {
            return Err(AuthError::Config(
                "the web-app flow needs a client secret".into(),
            ));
        }
        Ok(Self {
            client: ImsClient::new(config)?,
        })
    }

    /// The IMS client.
    pub fn client(&self) -> &ImsClient {
        &self.client
    }

    /// Where to send the user.
    ///
    /// # Errors
    ///
    /// [`AuthError::Config`] when `redirect_uri` is not an absolute URL.
    pub fn authorization_url(&self, redirect_uri: &str, state: &str) -> Result<String, AuthError> {
        self.client.authorization_url(redirect_uri, state)
    }

    /// Exchanges the code from the callback for a token.
    ///
    /// # Errors
    ///
    /// The errors of [`ImsClient::exchange_code`].
    pub async fn exchange_code(&self, code: &str, redirect_uri: &str) -> Result<Token, AuthError> {
        self.client.exchange_code(code, redirect_uri).await
    }

    /// Exchanges the code and returns an in-memory [`TokenManager`] for the user.
    ///
    /// # Errors
    ///
    /// The errors of [`ImsClient::exchange_code`].
    pub async fn sign_in(&self, code: &str, redirect_uri: &str) -> Result<TokenManager, AuthError> {
        let token = self.exchange_code(code, redirect_uri).await?;
        Ok(TokenManager::new(self.client.clone(), token))
    }
}

/// The single-page-app flow (authorization code with PKCE, no client secret needed).
///
/// ```no_run
/// use frameio_kit::auth::{ImsConfig, SpaFlow};
///
/// # async fn demo() -> Result<(), frameio_kit::auth::AuthError> {
/// let flow = SpaFlow::new(ImsConfig::new("public-client-id"))?;
/// let redirect = "https://example.com/callback";
/// let (url, pkce) = flow.authorization_url(redirect, "opaque-state")?;
/// // keep `pkce.verifier()` until the callback, then:
/// let token = flow.exchange_code("code", redirect, &pkce).await?;
/// # let _ = (url, token);
/// # Ok(())
/// # }
/// ```
#[derive(Clone, Debug)]
pub struct SpaFlow {
    client: ImsClient,
}

impl SpaFlow {
    /// The flow for `config` (a client secret is optional and sent when present).
    ///
    /// # Errors
    ///
    /// [`AuthError::Config`] when the settings are invalid.
    pub fn new(config: ImsConfig) -> Result<Self, AuthError> {
        Ok(Self {
            client: ImsClient::new(config)?,
        })
    }

    /// The IMS client.
    pub fn client(&self) -> &ImsClient {
        &self.client
    }

    /// Where to send the user, with a fresh PKCE pair to keep until the callback.
    ///
    /// # Errors
    ///
    /// [`AuthError::Config`] when `redirect_uri` is not an absolute URL.
    pub fn authorization_url(
        &self,
        redirect_uri: &str,
        state: &str,
    ) -> Result<(String, Pkce), AuthError> {
        let pkce = Pkce::generate();
        let url = self
            .client
            .authorization_url_with_pkce(redirect_uri, state, &pkce)?;
        Ok((url, pkce))
    }

    /// Exchanges the code with the PKCE verifier.
    ///
    /// # Errors
    ///
    /// The errors of [`ImsClient::exchange_code_with_pkce`].
    pub async fn exchange_code(
        &self,
        code: &str,
        redirect_uri: &str,
        pkce: &Pkce,
    ) -> Result<Token, AuthError> {
        self.client
            .exchange_code_with_pkce(code, redirect_uri, pkce)
            .await
    }

    /// Exchanges the code and returns an in-memory [`TokenManager`] for the user.
    ///
    /// # Errors
    ///
    /// The errors of [`ImsClient::exchange_code_with_pkce`].
    pub async fn sign_in(
        &self,
        code: &str,
        redirect_uri: &str,
        pkce: &Pkce,
    ) -> Result<TokenManager, AuthError> {
        let token = self.exchange_code(code, redirect_uri, pkce).await?;
        Ok(TokenManager::new(self.client.clone(), token))
    }
}
