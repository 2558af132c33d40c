//! [`UserAuthBuilder`]: the sign-in configuration, checked when the app starts.

use std::fmt;
use std::future::Future;
use std::num::NonZeroUsize;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::complete::{self, AfterSignIn, Hooks, SignInComplete};
use super::routes::HeaderTrust;
use super::{
    DEFAULT_API_BASE_URL, DEFAULT_MANAGER_CACHE, DEFAULT_MANAGER_TTL, DEFAULT_SIGN_IN_TIMEOUT,
    DEFAULT_SQLITE_PATH, ENCRYPTION_KEY_ENV, Inner, SIGN_IN_TTL, SQLITE_PATH_ENV, UserAuth,
};
use crate::auth::{DEFAULT_LOCK_TTL, DEFAULT_WAIT_TIMEOUT, ImsClient, ImsConfig};
use crate::error::BoxError;
use crate::store::{EncryptionKey, KeyRing, MemoryStore, Store};

/// Frame.io gives an action this long to answer.
const FRAMEIO_ACTION_BUDGET: Duration = Duration::from_secs(10);

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
    mount_prefix: String,
    trust: HeaderTrust,
    /// `trusted_proxies` entries that did not parse, reported by `finish`.
    proxy_errors: Vec<String>,
    store: StoreChoice,
    keys: Option<KeyRing>,
    api_base_url: String,
    verify_user: bool,
    ttl: Duration,
    hooks: Hooks,
    wait: Duration,
    lock_ttl: Duration,
    sign_in_timeout: Duration,
    manager_cache: usize,
    manager_ttl: Duration,
    http: Option<reqwest::Client>,
}

impl fmt::Debug for UserAuthBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UserAuthBuilder")
            .field("ims", &self.ims)
            .field("public_base_url", &self.public_base_url)
            .field("mount_prefix", &self.mount_prefix)
            .field("trust", &self.trust)
            .field("api_base_url", &self.api_base_url)
            .field("verify_user", &self.verify_user)
            .field("hooks", &self.hooks)
            .finish_non_exhaustive()
    }
}

impl UserAuthBuilder {
    pub(super) fn new(client_id: String, client_secret: String) -> Self {
        Self {
            ims: ImsConfig::new(client_id).with_client_secret(client_secret),
            public_base_url: None,
            mount_prefix: String::new(),
            trust: HeaderTrust::Nobody,
            proxy_errors: Vec::new(),
            store: StoreChoice::Default,
            keys: None,
            api_base_url: DEFAULT_API_BASE_URL.to_owned(),
            verify_user: cfg!(feature = "client"),
            ttl: SIGN_IN_TTL,
            hooks: Hooks::default(),
            wait: DEFAULT_WAIT_TIMEOUT,
            lock_ttl: DEFAULT_LOCK_TTL,
            sign_in_timeout: DEFAULT_SIGN_IN_TIMEOUT,
            manager_cache: DEFAULT_MANAGER_CACHE,
            manager_ttl: DEFAULT_MANAGER_TTL,
            http: None,
        }
    }

    /// The public URL the app is reachable at (an absolute `http`/`https` URL such as
    /// `https://hooks.example.com`, checked at start-up), used to build the sign-in link and
    /// the IMS redirect URI. This is the production setting: without it, the URL is taken
    /// from request headers, which only [`trusted_proxies`](Self::trusted_proxies) or
    /// [`trust_forwarded_headers`](Self::trust_forwarded_headers) allow.
    #[must_use]
    pub fn public_base_url(mut self, url: impl Into<String>) -> Self {
        self.public_base_url = Some(url.into().trim_end_matches('/').to_owned());
        self
    }

    /// A path prefix that a reverse proxy strips before requests reach this app (e.g. `/hooks`
    /// when the proxy forwards `https://example.com/hooks/…` to the app's `/…`): the
    /// sign-in links and the redirect URI point at `{public url}{prefix}/auth/login` and
    /// `…/auth/callback`. Default: none.
    ///
    /// Not needed for a `web::scope` the service is mounted in: the routes are served below
    /// it and the links follow it, detected from each request (a service mounted in
    /// `web::scope("/frameio")` links to `{public url}/frameio/auth/login` without any
    /// setting). The two add up: `{public url}{mount prefix}{scope}/auth/login`.
    #[must_use]
    pub fn mount_prefix(mut self, prefix: impl Into<String>) -> Self {
        self.mount_prefix = prefix.into().trim_end_matches('/').to_owned();
        self
    }

    /// Takes the public URL from `X-Forwarded-Proto` / `X-Forwarded-Host` (else `Host`) only
    /// on requests whose peer address is one of these proxies: IP addresses or CIDR ranges,
    /// as [`IpAddr`](std::net::IpAddr)s, [`ProxyRange`](super::ProxyRange)s or text (`"10.0.0.2"`,
    /// `"10.0.0.0/8"`, `"::1/128"`). Requests from other peers are refused. A range that does
    /// not parse stops the app at start-up with the reason. Use it when the app has several
    /// public names; otherwise prefer [`public_base_url`](Self::public_base_url).
    ///
    /// ```
    /// use frameio_kit::auth::UserAuth;
    ///
    /// let auth = UserAuth::builder("client-id", "client-secret")
    ///     .trusted_proxies(["10.0.0.0/8", "fd00::/8", "::1"]);
    /// # let _ = auth;
    /// ```
    #[must_use]
    pub fn trusted_proxies<I, P>(mut self, proxies: I) -> Self
    where
        I: IntoIterator<Item = P>,
        P: TryInto<super::ProxyRange>,
        P::Error: fmt::Display,
    {
        let mut ranges = Vec::new();
        self.proxy_errors.clear();
        for proxy in proxies {
            match proxy.try_into() {
                Ok(range) => ranges.push(range),
                Err(err) => self.proxy_errors.push(err.to_string()),
            }
        }
        self.trust = HeaderTrust::Proxies(ranges);
        self
    }

    /// Takes the public URL from `X-Forwarded-*` / `Host` on every request, whoever sent it.
    /// Anyone who can reach the app can then choose where sign-in links point: use it only in
    /// development and tests, or behind a proxy that overwrites those headers.
    #[must_use]
    pub fn trust_forwarded_headers(mut self) -> Self {
        self.trust = HeaderTrust::Everyone;
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

    /// The timeout of each request to IMS (default 8 s). A refresh outliving
    /// [`token_wait`](Self::token_wait) finishes in the background and keeps its token.
    #[must_use]
    pub fn ims_timeout(mut self, timeout: Duration) -> Self {
        self.ims = self.ims.with_timeout(timeout);
        self
    }

    /// How long a click waits for the user's token (its refresh, or another instance's)
    /// before answering with the current token or a "try again" Message (default 5 s).
    #[must_use]
    pub fn token_wait(mut self, wait: Duration) -> Self {
        self.wait = wait;
        self
    }

    /// How long the cross-instance refresh lock lives at most (default 12 s; it is released
    /// as soon as the refresh ends). Must exceed the IMS timeout.
    #[must_use]
    pub fn refresh_lock_ttl(mut self, ttl: Duration) -> Self {
        self.lock_ttl = ttl;
        self
    }

    /// The whole sign-in step of a click (cache, store, refresh) must end within this
    /// (default 6 s, leaving the handler room inside Frame.io's 10 s); past it the click is
    /// answered with a Message asking to try again.
    #[must_use]
    pub fn sign_in_timeout(mut self, timeout: Duration) -> Self {
        self.sign_in_timeout = timeout;
        self
    }

    /// Keeps at most `capacity` users' token managers in memory (least recently used first
    /// out), each for at most `ttl` (default 10 000 users, 5 minutes). A cached manager
    /// answers without reading the store until its token is due for refresh, so a sign-out
    /// on another instance is seen after at most `ttl`.
    #[must_use]
    pub fn token_cache(mut self, capacity: usize, ttl: Duration) -> Self {
        self.manager_cache = capacity;
        self.manager_ttl = ttl;
        self
    }

    /// The HTTP client shared by the IMS calls and every [`UserClient`](super::UserClient)
    /// (default: one built at start-up).
    #[must_use]
    pub fn http_client(mut self, client: reqwest::Client) -> Self {
        self.http = Some(client);
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

    /// The Frame.io API base URL used to check who signed in and by
    /// [`UserClient`](super::UserClient) (tests point it at `MockFrameio`).
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

    /// Runs after each successful sign-in (unless the action has its own hook, see
    /// [`on_auth_complete_for`](Self::on_auth_complete_for)) with the action event that asked
    /// for it and the user's token. It decides what the browser shows: return `()` (or
    /// [`AfterSignIn::success`]) for the default page, [`AfterSignIn::page`] or
    /// [`AfterSignIn::redirect`]. An error or a panic is logged and shows the error page; the
    /// token stays stored.
    ///
    /// ```
    /// use frameio_kit::auth::{AfterSignIn, UserAuth};
    ///
    /// let auth = UserAuth::builder("client-id", "client-secret")
    ///     .public_base_url("https://hooks.example.com")
    ///     .on_auth_complete(|done| async move {
    ///         tracing::info!(user = done.user_id(), "signed in");
    ///         Ok(AfterSignIn::redirect("https://next.frame.io/"))
    ///     });
    /// # let _ = auth;
    /// ```
    #[must_use]
    pub fn on_auth_complete<F, Fut, R>(mut self, hook: F) -> Self
    where
        F: Fn(SignInComplete) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<R, BoxError>> + Send + 'static,
        R: Into<AfterSignIn>,
    {
        self.hooks.app = Some(complete::hook(hook));
        self
    }

    /// Like [`on_auth_complete`](Self::on_auth_complete), for the sign-ins started by the
    /// action whose event type is `event_type` only (it replaces the app's hook for them).
    #[must_use]
    pub fn on_auth_complete_for<F, Fut, R>(mut self, event_type: impl Into<String>, hook: F) -> Self
    where
        F: Fn(SignInComplete) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<R, BoxError>> + Send + 'static,
        R: Into<AfterSignIn>,
    {
        let event_type = event_type.into();
        self.hooks.per_action.retain(|(t, _)| *t != event_type);
        self.hooks
            .per_action
            .push((event_type, complete::hook(hook)));
        self
    }

    fn check_urls(&self) -> Result<(), String> {
        if !self.proxy_errors.is_empty() {
            return Err(format!(
                "user sign-in: `trusted_proxies`: {}",
                self.proxy_errors.join("; ")
            ));
        }
        if self.public_base_url.is_none()
            && matches!(&self.trust, HeaderTrust::Proxies(ranges) if ranges.is_empty())
        {
            return Err(
                "user sign-in: `trusted_proxies` is empty, so no request could choose the public \
                 URL: list your proxies or set `public_base_url`"
                    .to_owned(),
            );
        }
        if let Some(url) = &self.public_base_url {
            let parsed = url::Url::parse(url).map_err(|_| {
                format!("`public_base_url` must be an absolute http(s) URL, got {url:?}")
            })?;
            if !matches!(parsed.scheme(), "http" | "https")
                || parsed.host_str().is_none_or(str::is_empty)
                || parsed.query().is_some()
                || parsed.fragment().is_some()
                || !parsed.username().is_empty()
            {
                return Err(format!(
                    "`public_base_url` must be an absolute http(s) URL without query, fragment \
                     or credentials, got {url:?}"
                ));
            }
        } else if matches!(self.trust, HeaderTrust::Nobody) {
            return Err(
                "user sign-in needs `UserAuthBuilder::public_base_url` (the https URL Frame.io \
                 and browsers reach this app at), or `trusted_proxies` to take it from your \
                 proxies' forwarding headers"
                    .to_owned(),
            );
        }
        if !self.mount_prefix.is_empty()
            && (!self.mount_prefix.starts_with('/') || self.mount_prefix.contains(['?', '#', ' ']))
        {
            return Err(format!(
                "`mount_prefix` must be a path starting with `/`, got {:?}",
                self.mount_prefix
            ));
        }
        Ok(())
    }

    fn check_timeouts(&self) -> Result<(), String> {
        let zero = [
            ("token_wait", self.wait),
            ("refresh_lock_ttl", self.lock_ttl),
            ("sign_in_timeout", self.sign_in_timeout),
            ("ims_timeout", self.ims.timeout()),
        ];
        if let Some((name, _)) = zero.iter().find(|(_, d)| d.is_zero()) {
            return Err(format!("user sign-in: `{name}` must be more than zero"));
        }
        if self.lock_ttl <= self.ims.timeout() {
            return Err(format!(
                "user sign-in: `refresh_lock_ttl` ({:?}) must exceed `ims_timeout` ({:?}), or a \
                 second instance could refresh while the first still waits for IMS",
                self.lock_ttl,
                self.ims.timeout()
            ));
        }
        if self.sign_in_timeout >= FRAMEIO_ACTION_BUDGET {
            return Err(format!(
                "user sign-in: `sign_in_timeout` ({:?}) must stay below Frame.io's {:?} action \
                 budget",
                self.sign_in_timeout, FRAMEIO_ACTION_BUDGET
            ));
        }
        if self.manager_cache == 0 {
            return Err("user sign-in: the token cache needs room for at least one user".into());
        }
        Ok(())
    }

    /// Validates the configuration with `env` standing in for the environment (every problem,
    /// joined by `; `).
    #[cfg(test)]
    pub(crate) fn finish(self, env: &dyn Fn(&str) -> Option<String>) -> Result<UserAuth, String> {
        self.finish_all(env).map_err(|problems| problems.join("; "))
    }

    /// Validates the configuration with `env` standing in for the environment, reporting
    /// every problem at once (the app adds each to its start-up report).
    pub(crate) fn finish_all(
        self,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<UserAuth, Vec<String>> {
        let mut problems = Vec::new();
        if self.ims.client_id().trim().is_empty() {
            problems.push("user sign-in needs an Adobe client id".to_owned());
        }
        if !self.ims.has_client_secret() {
            problems.push("user sign-in needs the Adobe client secret".to_owned());
        }
        // IMS's own check would repeat these two: it runs only when they pass.
        let credentials_ok = problems.is_empty();
        problems.extend(self.check_urls().err());
        problems.extend(self.check_timeouts().err());
        let keys = match (
            self.keys,
            env(ENCRYPTION_KEY_ENV).filter(|k| !k.trim().is_empty()),
        ) {
            (Some(keys), _) => Ok(Some(keys)),
            (None, Some(list)) => KeyRing::from_base64_list(&list).map(Some).map_err(|err| {
                format!(
                    "`{ENCRYPTION_KEY_ENV}` is not a valid key list: {err}; {KEY_COMMAND_HINT}"
                )
            }),
            (None, None) => Ok(None),
        };
        /// Where tokens will live, once every check has passed.
        enum Chosen {
            Memory(Option<KeyRing>),
            Kept(Arc<dyn Store>, KeyRing),
        }
        let store = match (self.store, keys) {
            (_, Err(problem)) => Err(problem),
            (StoreChoice::Memory, Ok(keys)) => Ok(Chosen::Memory(keys)),
            (StoreChoice::Custom(store), Ok(Some(keys))) => Ok(Chosen::Kept(store, keys)),
            (StoreChoice::Default, Ok(Some(keys))) => {
                default_store(env).map(|store| Chosen::Kept(store, keys))
            }
            (_, Ok(None)) => Err(format!(
                "user sign-in stores tokens encrypted, but no key is set: set \
                 `{ENCRYPTION_KEY_ENV}` ({KEY_COMMAND_HINT}) or call \
                 `UserAuthBuilder::encryption_keys`"
            )),
        };
        let http = match self.http {
            Some(http) => Ok(http),
            None => reqwest::Client::builder()
                .build()
                .map_err(|err| format!("user sign-in: cannot build the http client: {err}")),
        };
        let ims = http.as_ref().ok().filter(|_| credentials_ok).map(|http| {
            ImsClient::with_http_client(self.ims, http.clone())
                .map_err(|err| format!("user sign-in: {err}"))
        });
        let (store, http, ims) = match (store, http, ims) {
            (Ok(store), Ok(http), Some(Ok(ims))) if problems.is_empty() => (store, http, ims),
            (store, http, ims) => {
                problems.extend(store.err());
                problems.extend(http.err());
                problems.extend(ims.and_then(Result::err));
                return Err(problems);
            }
        };
        let (store, keys): (Arc<dyn Store>, KeyRing) = match store {
            Chosen::Kept(store, keys) => (store, keys),
            Chosen::Memory(keys) => {
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
        };
        let capacity = NonZeroUsize::new(self.manager_cache).unwrap_or(NonZeroUsize::MIN);
        Ok(UserAuth {
            inner: Arc::new(Inner {
                ims,
                http,
                public_base_url: self.public_base_url,
                mount_prefix: self.mount_prefix,
                trust: self.trust,
                store,
                keys,
                api_base_url: self.api_base_url,
                verify_user: self.verify_user,
                ttl: self.ttl,
                hooks: self.hooks,
                wait: self.wait,
                lock_ttl: self.lock_ttl,
                sign_in_timeout: self.sign_in_timeout,
                managers: Mutex::new(lru::LruCache::new(capacity)),
                manager_ttl: self.manager_ttl,
            }),
        })
    }
}

/// How to make an encryption key from a shell, for the start-up problems that need one.
const KEY_COMMAND_HINT: &str =
    "generate one with `frameio-kit keygen` or `openssl rand -base64 32`";

#[cfg(feature = "sqlite")]
fn default_store(env: &dyn Fn(&str) -> Option<String>) -> Result<Arc<dyn Store>, String> {
    let path = env(SQLITE_PATH_ENV)
        .filter(|p| !p.trim().is_empty())
        .unwrap_or_else(|| DEFAULT_SQLITE_PATH.to_owned());
    Ok(Arc::new(crate::store::SqliteStore::new(path)))
}

#[cfg(not(feature = "sqlite"))]
fn default_store(_env: &dyn Fn(&str) -> Option<String>) -> Result<Arc<dyn Store>, String> {
    let _ = (SQLITE_PATH_ENV, DEFAULT_SQLITE_PATH);
    Err(
        "user sign-in needs a store: enable the `sqlite` feature or call \
         `UserAuthBuilder::store` / `memory_store`"
            .to_owned(),
    )
}
