//! [`TokenManager`]: cached, refreshed-before-expiry, single-flight, optionally persisted
//! tokens; and the flow types built on it.

use std::{
    fmt,
    future::Future,
    pin::Pin,
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
    },
    time::Duration,
};

use tokio::sync::Mutex;

use super::{AuthError, ImsClient, ImsConfig, Pkce, Token, TokenTypeHint};
use crate::store::{EncryptedStore, KeyRing, Store};

/// How long a cross-instance refresh lock lives unless [`TokenManager::lock_ttl`] says
/// otherwise. It must exceed one IMS round trip.
pub const DEFAULT_LOCK_TTL: Duration = Duration::from_secs(30);
const LOCK_POLL: Duration = Duration::from_millis(50);

/// Anything that can hand out a currently valid IMS access token. Object-safe, so an API
/// client can hold an `Arc<dyn AccessTokenSource>`.
pub trait AccessTokenSource: Send + Sync {
    /// A valid access token, refreshed first when needed.
    fn access_token(&self) -> Pin<Box<dyn Future<Output = Result<String, AuthError>> + Send + '_>>;
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

struct Inner {
    client: ImsClient,
    source: Source,
    buffer: Duration,
    lock_ttl_ms: AtomicU64,
    cached: Mutex<Option<Token>>,
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
/// When a refresh fails with [`AuthError::RefreshTokenInvalid`] the token is forgotten
/// (and deleted from the store): the user must sign in again. A user token without a
/// refresh token is used until it expires, then [`AuthError::SignInRequired`] is returned. When it fails for a
/// transient reason (network, 429, 5xx, lock timeout) and the current access token has not
/// expired yet, that token is returned and the refresh is retried on the next call.
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
                cached: Mutex::new(token),
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

    /// Sets how long the cross-instance refresh lock lives (default 30 s); waiting callers
    /// give up after the same time. Applies to every clone.
    pub fn lock_ttl(self, ttl: Duration) -> Self {
        self.inner
            .lock_ttl_ms
            .store(duration_ms(ttl).max(1), Ordering::Relaxed);
        self
    }

    /// The IMS client.
    pub fn client(&self) -> &ImsClient {
        &self.inner.client
    }

    /// Replaces the token (after a sign-in), saving it to the store when there is one.
    ///
    /// # Errors
    ///
    /// [`AuthError::Store`] when saving fails.
    pub async fn set_token(&self, token: Token) -> Result<(), AuthError> {
        let mut cached = self.inner.cached.lock().await;
        if let Some(p) = &self.inner.persist {
            save(p, &token).await?;
        }
        *cached = Some(token);
        Ok(())
    }

    /// The current token, for export (loaded from the store when there is one).
    ///
    /// # Errors
    ///
    /// [`AuthError::Store`] when the store cannot be read or the value does not decrypt.
    pub async fn token(&self) -> Result<Option<Token>, AuthError> {
        let mut cached = self.inner.cached.lock().await;
        if let Some(p) = &self.inner.persist {
            *cached = load(p).await?;
        }
        Ok(cached.clone())
    }

    /// Forgets the token here and in the store, and asks IMS to revoke its refresh token
    /// (or access token when there is none). A failed revocation is logged, not returned.
    ///
    /// # Errors
    ///
    /// [`AuthError::Store`] when the store cannot be read or written.
    pub async fn sign_out(&self) -> Result<(), AuthError> {
        let mut cached = self.inner.cached.lock().await;
        let mut token = cached.take();
        if let Some(p) = &self.inner.persist {
            if let Some(stored) = load(p).await? {
                token = Some(stored);
            }
            p.tokens.delete(&p.token_key).await?;
        }
        if let Some(token) = token {
            let result = match token.refresh_token() {
                Some(rt) => {
                    self.inner
                        .client
                        .revoke(rt, TokenTypeHint::RefreshToken)
                        .await
                }
                None => {
                    self.inner
                        .client
                        .revoke(token.access_token(), TokenTypeHint::AccessToken)
                        .await
                }
            };
            if let Err(err) = result {
                tracing::warn!(error = %err, "token revocation failed during sign-out");
            }
        }
        Ok(())
    }

    /// A valid access token, refreshed first when it expires within the refresh buffer.
    ///
    /// # Errors
    ///
    /// [`AuthError::SignInRequired`] / [`AuthError::RefreshTokenInvalid`] when the user
    /// must sign in (again); otherwise the errors of the IMS call or the store.
    pub async fn access_token(&self) -> Result<String, AuthError> {
        let inner = &*self.inner;
        let mut cached = inner.cached.lock().await;
        if let Some(token) = cached.as_ref().filter(|t| !t.needs_refresh(inner.buffer)) {
            return Ok(token.access_token().to_owned());
        }
        if let Some(p) = &inner.persist {
            // Another instance may have stored a fresher token (or signed the user out).
            let stored = load(p).await?;
            if let Some(token) = stored.as_ref().filter(|t| !t.needs_refresh(inner.buffer)) {
                let access = token.access_token().to_owned();
                *cached = stored;
                return Ok(access);
            }
            if stored.is_none() && inner.source == Source::User {
                *cached = None;
                return Err(AuthError::SignInRequired);
            }
            *cached = stored;
        }
        let current = cached.clone();
        if inner.source == Source::User
            && let Some(token) = current.as_ref().filter(|t| t.refresh_token().is_none())
        {
            // Nothing to refresh with: use the token while it lasts, then ask for a sign-in.
            if !token.is_expired() {
                return Ok(token.access_token().to_owned());
            }
            *cached = None;
            if let Some(p) = &inner.persist {
                delete_if_unchanged(p, token).await?;
            }
            return Err(AuthError::SignInRequired);
        }
        let result = match &inner.persist {
            None => self.fetch(current.as_ref()).await,
            Some(p) => self.fetch_shared(p, current.as_ref()).await,
        };
        match result {
            Ok(token) => {
                let access = token.access_token().to_owned();
                *cached = Some(token);
                Ok(access)
            }
            Err(err) if err.requires_sign_in() => {
                // With a store, `refresh_locked` already removed the dead token there.
                *cached = None;
                Err(err)
            }
            Err(err) => match current.filter(|t| !t.is_expired()) {
                Some(token) => {
                    tracing::warn!(error = %err, "token refresh failed; using the current token until it expires");
                    Ok(token.access_token().to_owned())
                }
                None => Err(err),
            },
        }
    }

    /// One request to IMS for a new token.
    async fn fetch(&self, current: Option<&Token>) -> Result<Token, AuthError> {
        let client = &self.inner.client;
        match self.inner.source {
            Source::ClientCredentials => client.client_credentials().await,
            Source::User => match current.and_then(Token::refresh_token) {
                Some(refresh_token) => {
                    tracing::debug!("refreshing user access token");
                    client.refresh(refresh_token).await
                }
                None => Err(AuthError::SignInRequired),
            },
        }
    }

    /// Refreshes under the store lock so that one instance refreshes and the others reuse it.
    async fn fetch_shared(&self, p: &Persist, current: Option<&Token>) -> Result<Token, AuthError> {
        let inner = &*self.inner;
        let owner: [u8; 16] = rand::random();
        let lock_ttl = Duration::from_millis(inner.lock_ttl_ms.load(Ordering::Relaxed));
        let deadline = tokio::time::Instant::now() + lock_ttl;
        loop {
            if p.locks
                .set_if_absent(&p.lock_key, &owner, Some(lock_ttl))
                .await?
            {
                let result = self.refresh_locked(p, current).await;
                if let Err(err) = p.locks.delete_if_equals(&p.lock_key, &owner).await {
                    tracing::warn!(error = %err, "could not release the token refresh lock; it will expire");
                }
                return result;
            }
            tokio::time::sleep(LOCK_POLL).await;
            match load(p).await? {
                Some(token) if !token.needs_refresh(inner.buffer) => return Ok(token),
                None if inner.source == Source::User => return Err(AuthError::SignInRequired),
                _ => {}
            }
            if tokio::time::Instant::now() >= deadline {
                return Err(AuthError::LockTimeout);
            }
        }
    }

    async fn refresh_locked(
        &self,
        p: &Persist,
        current: Option<&Token>,
    ) -> Result<Token, AuthError> {
        // Re-read under the lock: the previous holder may have just stored a fresh token.
        let stored = load(p).await?;
        if let Some(token) = stored
            .as_ref()
            .filter(|t| !t.needs_refresh(self.inner.buffer))
        {
            return Ok(token.clone());
        }
        let base = stored.as_ref().or(current);
        let token = match self.fetch(base).await {
            Ok(token) => token,
            Err(err) if err.requires_sign_in() => {
                // If another instance stored a new token meanwhile (its lock expired during a
                // slow refresh), use it; otherwise remove the dead token, unless it changed.
                if let Some(newer) = load(p)
                    .await?
                    .filter(|t| !t.needs_refresh(self.inner.buffer) && Some(t) != base)
                {
                    return Ok(newer);
                }
                if let Some(base) = base {
                    delete_if_unchanged(p, base).await?;
                }
                return Err(err);
            }
            Err(err) => return Err(err),
        };
        if let Err(err) = save(p, &token).await {
            // The new token (and a rotated refresh token) is still good here: keep using it
            // and try to save it again at the next refresh.
            tracing::error!(error = %err, "could not save the refreshed token to the store");
        }
        Ok(token)
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

impl AccessTokenSource for TokenManager {
    fn access_token(&self) -> Pin<Box<dyn Future<Output = Result<String, AuthError>> + Send + '_>> {
        Box::pin(TokenManager::access_token(self))
    }
}

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

impl AccessTokenSource for ServerToServer {
    fn access_token(&self) -> Pin<Box<dyn Future<Output = Result<String, AuthError>> + Send + '_>> {
        Box::pin(self.manager.access_token())
    }
}

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
