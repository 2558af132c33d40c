//! The public [`Client`]: configuration, authentication, request execution with retries and
//! proactive rate limiting, and the verb helpers (`get`, `post`, `patch`, `delete`, `list`)
//! every endpoint is written with.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use reqwest::header::{ACCEPT, USER_AGENT};
use reqwest::{Method, Url};
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::error::{ApiError, ClientError, TokenError};
use super::pager::Pager;
use super::ratelimit::RateLimiter;
use super::request::{ApiRequest, RawResponse, RequestSpec};
use super::retry::{RetryPolicy, retry_error, retry_status};

/// Default base URL of the Frame.io API.
pub const DEFAULT_BASE_URL: &str = "https://api.frame.io";

/// User agent sent with every request.
pub const USER_AGENT_VALUE: &str = concat!("frameio-kit-rust/", env!("CARGO_PKG_VERSION"));

/// A boxed, `Send` future, as returned by [`TokenProvider::token`].
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// A bearer access token. `Debug` and `Display` never show its value.
#[derive(Clone, PartialEq, Eq)]
pub struct AccessToken(String);

impl AccessToken {
    /// Wrap a token string.
    pub fn new(token: impl Into<String>) -> Self {
        Self(token.into())
    }

    /// The token itself; send it only to Frame.io.
    pub fn secret(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for AccessToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("AccessToken(<redacted>)")
    }
}

impl From<String> for AccessToken {
    fn from(s: String) -> Self {
        Self(s)
    }
}

impl From<&str> for AccessToken {
    fn from(s: &str) -> Self {
        Self(s.to_owned())
    }
}

/// The one source of access tokens the API client takes: a static token, an IMS flow, or a
/// signed-in user's token.
///
/// Implemented by
/// - [`AccessToken`] (a fixed token; [`ClientBuilder::token`] uses it),
/// - with the `auth` feature, every IMS token holder:
///   [`ServerToServer`](crate::auth::ServerToServer), a
///   [`TokenManager`](crate::auth::TokenManager) (from [`WebAppFlow`](crate::auth::WebAppFlow),
///   [`SpaFlow`](crate::auth::SpaFlow) or [`UserAuth::manager_for`](crate::auth::UserAuth::manager_for))
///   and a signed-in user's [`UserToken`](crate::auth::UserToken), which refresh themselves,
/// - `Arc<T>` for any `T` that implements it (so `Arc<dyn TokenProvider>` too),
/// - and your own types.
///
/// Give one to [`ClientBuilder::token_provider`]. It is asked before every attempt of every
/// request, so implementations should cache. An IMS failure comes back as a [`TokenError`]
/// whose [`source`](std::error::Error::source) is the [`AuthError`](crate::auth::AuthError).
///
/// ```
/// use frameio_kit::client::{AccessToken, BoxFuture, TokenError, TokenProvider};
///
/// struct FromEnv;
///
/// impl TokenProvider for FromEnv {
///     fn token(&self) -> BoxFuture<'_, Result<AccessToken, TokenError>> {
///         Box::pin(async {
///             std::env::var("FRAMEIO_TOKEN")
///                 .map(AccessToken::new)
///                 .map_err(|e| TokenError::with_source("FRAMEIO_TOKEN is not set", e))
///         })
///     }
/// }
/// ```
pub trait TokenProvider: Send + Sync + 'static {
    /// Return a currently valid access token.
    fn token(&self) -> BoxFuture<'_, Result<AccessToken, TokenError>>;
}

/// A fixed token: always the same.
impl TokenProvider for AccessToken {
    fn token(&self) -> BoxFuture<'_, Result<AccessToken, TokenError>> {
        let token = self.clone();
        Box::pin(async move { Ok(token) })
    }
}

impl<T: TokenProvider + ?Sized> TokenProvider for Arc<T> {
    fn token(&self) -> BoxFuture<'_, Result<AccessToken, TokenError>> {
        (**self).token()
    }
}

/// The client's token source, and what `Debug` says about it.
#[derive(Clone)]
struct Auth {
    provider: Arc<dyn TokenProvider>,
    kind: &'static str,
}

impl Auth {
    async fn token(&self) -> Result<AccessToken, ClientError> {
        self.provider.token().await.map_err(ClientError::Token)
    }
}

pub(crate) struct Inner {
    http: reqwest::Client,
    base_url: Url,
    auth: Auth,
    retry: RetryPolicy,
    timeout: Option<Duration>,
    /// `None` when proactive rate limiting is turned off.
    limiter: Option<Arc<RateLimiter>>,
}

/// A Frame.io API client. Cheap to clone (an `Arc` inside), `Send` and `Sync`.
///
/// ```no_run
/// # async fn run() -> Result<(), frameio_kit::client::ClientError> {
/// use frameio_kit::client::Client;
///
/// let client = Client::builder()
///     .token("my-token")
///     .timeout(std::time::Duration::from_secs(30))
///     .build()?;
/// let me = client.users().me().await?;
/// println!("signed in as {}", me.email);
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Client {
    pub(crate) inner: Arc<Inner>,
    /// Sent as `api-version` with every request (the experimental sub-APIs set it).
    api_version: Option<&'static str>,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let auth = self.inner.auth.kind;
        f.debug_struct("Client")
            .field("base_url", &self.inner.base_url.as_str())
            .field("auth", &auth)
            .field("retry", &self.inner.retry)
            .field("timeout", &self.inner.timeout)
            .field("rate_limiting", &self.inner.limiter.is_some())
            .field("api_version", &self.api_version)
            .finish()
    }
}

impl Client {
    /// A client for `https://api.frame.io` with a static token and default settings.
    pub fn new(token: impl Into<String>) -> Result<Self, ClientError> {
        Self::builder().token(token).build()
    }

    /// Start configuring a client.
    pub fn builder() -> ClientBuilder {
        ClientBuilder::default()
    }

    /// The base URL requests are sent to.
    pub fn base_url(&self) -> &str {
        self.inner.base_url.as_str()
    }

    /// The retry policy of this client.
    pub fn retry_policy(&self) -> &RetryPolicy {
        &self.inner.retry
    }

    pub(crate) fn http(&self) -> &reqwest::Client {
        &self.inner.http
    }

    /// Resolve a path (or a link returned by the API) against the base URL. Only the path and
    /// query of absolute links are kept, so the token is never sent to another host.
    pub(crate) fn url_for(&self, path_and_query: &str) -> Result<Url, ClientError> {
        let relative = match Url::parse(path_and_query) {
            Ok(abs) => match abs.query() {
                Some(q) => format!("{}?{q}", abs.path()),
                None => abs.path().to_owned(),
            },
            Err(_) => path_and_query.to_owned(),
        };
        let base = self.inner.base_url.as_str().trim_end_matches('/');
        let sep = if relative.starts_with('/') { "" } else { "/" };
        Url::parse(&format!("{base}{sep}{relative}"))
            .map_err(|e| ClientError::Config(format!("invalid request path {relative:?}: {e}")))
    }

    /// This client, sending `api-version: experimental` with every request.
    pub(crate) fn experimental_api(&self) -> Self {
        Self {
            inner: self.inner.clone(),
            api_version: Some("experimental"),
        }
    }

    fn spec(&self, method: Method, path: String) -> RequestSpec {
        let mut spec = RequestSpec::new(method, path);
        if let Some(v) = self.api_version {
            spec.options.set_header("api-version", v.to_owned());
        }
        spec
    }

    /// `GET path`; the response's `data` member decodes to `T`.
    pub(crate) fn get<T: DeserializeOwned>(&self, path: String) -> ApiRequest<T> {
        ApiRequest::data(self, self.spec(Method::GET, path))
    }

    /// `POST path` with `{"data": body}`.
    pub(crate) fn post<T: DeserializeOwned, B: Serialize + ?Sized>(
        &self,
        path: String,
        body: &B,
    ) -> ApiRequest<T> {
        ApiRequest::data(self, self.spec(Method::POST, path).data(body))
    }

    /// `PATCH path` with `{"data": body}`.
    pub(crate) fn patch<T: DeserializeOwned, B: Serialize + ?Sized>(
        &self,
        path: String,
        body: &B,
    ) -> ApiRequest<T> {
        ApiRequest::data(self, self.spec(Method::PATCH, path).data(body))
    }

    /// `POST path` with `{"data": body}`; the response body is ignored.
    pub(crate) fn post_empty<B: Serialize + ?Sized>(
        &self,
        path: String,
        body: &B,
    ) -> ApiRequest<()> {
        ApiRequest::empty(self, self.spec(Method::POST, path).data(body))
    }

    /// `PATCH path` with `{"data": body}`; the response body is ignored.
    pub(crate) fn patch_empty<B: Serialize + ?Sized>(
        &self,
        path: String,
        body: &B,
    ) -> ApiRequest<()> {
        ApiRequest::empty(self, self.spec(Method::PATCH, path).data(body))
    }

    /// `PATCH path` without a body.
    pub(crate) fn patch_bare<T: DeserializeOwned>(&self, path: String) -> ApiRequest<T> {
        ApiRequest::data(self, self.spec(Method::PATCH, path))
    }

    /// `POST path` with `{"data": body}`; the whole response body decodes to `T`.
    pub(crate) fn post_whole<T: DeserializeOwned, B: Serialize + ?Sized>(
        &self,
        path: String,
        body: &B,
    ) -> ApiRequest<T> {
        ApiRequest::whole(self, self.spec(Method::POST, path).data(body))
    }

    /// `DELETE path`; the response body is ignored.
    pub(crate) fn delete(&self, path: String) -> ApiRequest<()> {
        ApiRequest::empty(self, self.spec(Method::DELETE, path))
    }

    /// `DELETE path`; the response's `data` member decodes to `T`.
    pub(crate) fn delete_returning<T: DeserializeOwned>(&self, path: String) -> ApiRequest<T> {
        ApiRequest::data(self, self.spec(Method::DELETE, path))
    }

    /// `DELETE path` with `{"data": body}`; the response body is ignored.
    pub(crate) fn delete_with<B: Serialize + ?Sized>(
        &self,
        path: String,
        body: &B,
    ) -> ApiRequest<()> {
        ApiRequest::empty(self, self.spec(Method::DELETE, path).data(body))
    }

    /// `GET path` as a paginated list.
    pub(crate) fn list<T: DeserializeOwned + Send + 'static>(&self, path: String) -> Pager<T> {
        Pager::new(self, self.spec(Method::GET, path))
    }

    /// `POST path` with an unwrapped JSON body, as a paginated list.
    pub(crate) fn list_post<T: DeserializeOwned + Send + 'static, B: Serialize + ?Sized>(
        &self,
        path: String,
        body: &B,
    ) -> Pager<T> {
        Pager::new(self, self.spec(Method::POST, path).json_body(body))
    }

    /// Send a request with retries; returns the successful response or an error.
    pub(crate) async fn execute(&self, spec: &RequestSpec) -> Result<RawResponse, ClientError> {
        #[cfg(not(any(feature = "otel", feature = "metrics")))]
        return self.attempts(spec, &mut 0).await;
        // telemetry: a CLIENT span around every attempt, and the request and retry counters.
        #[cfg(any(feature = "otel", feature = "metrics"))]
        {
            let route = crate::telemetry::route_template(&spec.path);
            #[cfg(feature = "otel")]
            let span = crate::telemetry::ApiSpan::api(spec.method.as_str(), &route);
            let mut retries = 0;
            let running = self.attempts(spec, &mut retries);
            #[cfg(feature = "otel")]
            let running = tracing::Instrument::instrument(running, span.span());
            let result = running.await;
            let status = match &result {
                Ok(raw) => Some(raw.status.as_u16()),
                Err(err) => err.status().map(|s| s.as_u16()),
            };
            #[cfg(feature = "otel")]
            span.finish(status, retries, result.is_err());
            #[cfg(feature = "metrics")]
            crate::telemetry::metrics::api_request(spec.method.as_str(), &route, status, retries);
            result
        }
    }

    /// The attempts of one request; `retries` counts the attempts after the first.
    async fn attempts(
        &self,
        spec: &RequestSpec,
        retries: &mut u32,
    ) -> Result<RawResponse, ClientError> {
        if let Some(e) = &spec.body_error {
            return Err(ClientError::Config(format!(
                "request body could not be serialized: {e}"
            )));
        }
        let url = self.url_for(&spec.path)?;
        let policy = &self.inner.retry;
        let opts = &spec.options;
        let max = opts.max_retries.unwrap_or(policy.max_retries);
        let mut attempt: u32 = 0;
        loop {
            let token = self.inner.auth.token().await?;
            let permit = match &self.inner.limiter {
                Some(l) => Some(l.acquire(token.secret(), &spec.method, &spec.path).await),
                None => None,
            };
            let mut rb = self
                .inner
                .http
                .request(spec.method.clone(), url.clone())
                .bearer_auth(token.secret())
                .header(ACCEPT, "application/json")
                .header(USER_AGENT, USER_AGENT_VALUE);
            if !opts.query.is_empty() {
                rb = rb.query(&opts.query);
            }
            for (name, value) in &opts.headers {
                rb = rb.header(*name, value);
            }
            if let Some(body) = &spec.body {
                rb = rb.json(body);
            }
            if let Some(t) = opts.timeout.or(self.inner.timeout) {
                rb = rb.timeout(t);
            }
            #[cfg(feature = "otel")]
            {
                rb = rb.headers(crate::telemetry::trace_headers(&tracing::Span::current()));
            }
            tracing::debug!(method = %spec.method, path = %spec.path, attempt, "frame.io request");
            match rb.send().await {
                Ok(resp) => {
                    let status = resp.status();
                    let headers = resp.headers().clone();
                    if let Some(p) = permit {
                        p.finish(status, &headers, policy.max_retry_after);
                    }
                    if status.is_success() {
                        let body = resp.bytes().await.map_err(ClientError::Transport)?;
                        return Ok(RawResponse {
                            status,
                            headers,
                            body,
                        });
                    }
                    if attempt < max && retry_status(&spec.method, status, opts.retry_opt_in) {
                        let delay = policy.delay(attempt, Some(&headers));
                        tracing::warn!(
                            method = %spec.method, path = %spec.path, %status, attempt,
                            delay_ms = delay.as_millis() as u64,
                            "frame.io request failed, retrying"
                        );
                        tokio::time::sleep(delay).await;
                        attempt += 1;
                        *retries = attempt;
                        continue;
                    }
                    let body = resp.bytes().await.unwrap_or_default();
                    tracing::debug!(method = %spec.method, path = %spec.path, %status, "frame.io request failed");
                    return Err(ApiError::from_parts(status, headers, body).into());
                }
                Err(err) => {
                    drop(permit);
                    if attempt < max && retry_error(&spec.method, &err, opts.retry_opt_in) {
                        let delay = policy.delay(attempt, None);
                        tracing::warn!(
                            method = %spec.method, path = %spec.path, attempt,
                            error = %err, "frame.io request could not be completed, retrying"
                        );
                        tokio::time::sleep(delay).await;
                        attempt += 1;
                        *retries = attempt;
                        continue;
                    }
                    return Err(ClientError::Transport(err));
                }
            }
        }
    }
}

/// Configures a [`Client`].
#[derive(Default)]
pub struct ClientBuilder {
    auth: Option<Auth>,
    base_url: Option<String>,
    timeout: Option<Duration>,
    connect_timeout: Option<Duration>,
    http: Option<reqwest::Client>,
    retry: RetryPolicy,
    no_rate_limiting: bool,
}

impl fmt::Debug for ClientBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientBuilder")
            .field("has_auth", &self.auth.is_some())
            .field("base_url", &self.base_url)
            .field("timeout", &self.timeout)
            .field("retry", &self.retry)
            .finish_non_exhaustive()
    }
}

impl ClientBuilder {
    /// Use a static bearer token.
    pub fn token(mut self, token: impl Into<String>) -> Self {
        self.auth = Some(Auth {
            provider: Arc::new(AccessToken::new(token)),
            kind: "static token (redacted)",
        });
        self
    }

    /// Ask `provider` for a token before each request: an IMS flow such as
    /// [`ServerToServer`](crate::auth::ServerToServer), a
    /// [`TokenManager`](crate::auth::TokenManager), a user's
    /// [`UserToken`](crate::auth::UserToken), or any other [`TokenProvider`].
    pub fn token_provider(mut self, provider: impl TokenProvider) -> Self {
        self.auth = Some(Auth {
            provider: Arc::new(provider),
            kind: "token provider",
        });
        self
    }

    /// Same as [`token_provider`](Self::token_provider) with an already shared provider.
    pub fn shared_token_provider(mut self, provider: Arc<dyn TokenProvider>) -> Self {
        self.auth = Some(Auth {
            provider,
            kind: "token provider",
        });
        self
    }

    /// Send requests to another base URL (default [`DEFAULT_BASE_URL`]).
    pub fn base_url(mut self, url: impl Into<String>) -> Self {
        self.base_url = Some(url.into());
        self
    }

    /// Total timeout of each attempt of each request (default: none).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// Connection timeout; ignored when [`http_client`](Self::http_client) is used.
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = Some(timeout);
        self
    }

    /// Use a caller-supplied `reqwest::Client` (proxies, TLS settings, connection pool…).
    pub fn http_client(mut self, client: reqwest::Client) -> Self {
        self.http = Some(client);
        self
    }

    /// Replace the retry policy.
    pub fn retry_policy(mut self, policy: RetryPolicy) -> Self {
        self.retry = policy;
        self
    }

    /// Turn proactive rate limiting on (the default) or off.
    ///
    /// When on, the client reads the `x-ratelimit-*` headers of every response and, when a
    /// route's announced budget for the token is spent, waits for it to refill before sending
    /// the next request on that route, instead of provoking a 429. The state is shared by
    /// every clone of the client. When off, rate limits are only handled by retrying 429s.
    pub fn proactive_rate_limiting(mut self, on: bool) -> Self {
        self.no_rate_limiting = !on;
        self
    }

    /// Shortcut for setting [`RetryPolicy::max_retries`].
    pub fn max_retries(mut self, n: u32) -> Self {
        self.retry.max_retries = n;
        self
    }

    /// Build the client.
    pub fn build(self) -> Result<Client, ClientError> {
        let auth = self.auth.ok_or_else(|| {
            ClientError::Config("no token or token provider was configured".into())
        })?;
        let raw = self.base_url.as_deref().unwrap_or(DEFAULT_BASE_URL);
        let base_url = Url::parse(raw.trim_end_matches('/'))
            .map_err(|e| ClientError::Config(format!("invalid base url {raw:?}: {e}")))?;
        if base_url.cannot_be_a_base() {
            return Err(ClientError::Config(format!("invalid base url {raw:?}")));
        }
        let http = match self.http {
            Some(c) => c,
            None => {
                let mut b = reqwest::Client::builder().user_agent(USER_AGENT_VALUE);
                if let Some(t) = self.connect_timeout {
                    b = b.connect_timeout(t);
                }
                b.build().map_err(ClientError::Transport)?
            }
        };
        Ok(Client {
            inner: Arc::new(Inner {
                http,
                base_url,
                auth,
                retry: self.retry,
                timeout: self.timeout,
                limiter: (!self.no_rate_limiting).then(|| Arc::new(RateLimiter::default())),
            }),
            api_version: None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_hides_token() {
        let c = Client::new("super-secret-token").expect("client");
        assert!(!format!("{c:?}").contains("super-secret"));
        assert!(!format!("{:?}", AccessToken::new("super-secret")).contains("super-secret"));
    }
}
