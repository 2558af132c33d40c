//! The transport: configuration, authentication, retries and request execution.

use std::fmt;
use std::future::{Future, IntoFuture};
use std::marker::PhantomData;
use std::pin::Pin;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use reqwest::header::{ACCEPT, HeaderMap, RETRY_AFTER, USER_AGENT};
use reqwest::{Method, StatusCode, Url};
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::error::{ApiError, ClientError, TokenError};

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

/// Supplies access tokens, for example refreshing OAuth tokens.
///
/// Called before every attempt of every request, so implementations should cache.
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

#[derive(Clone)]
enum Auth {
    Static(AccessToken),
    Provider(Arc<dyn TokenProvider>),
}

impl Auth {
    async fn token(&self) -> Result<AccessToken, ClientError> {
        match self {
            Self::Static(t) => Ok(t.clone()),
            Self::Provider(p) => p.token().await.map_err(ClientError::Token),
        }
    }
}

/// How failed requests are retried.
///
/// Statuses 408, 429 and 5xx, connection failures and timeouts are retryable. Idempotent
/// methods (`GET`, `HEAD`, `PUT`, `DELETE`, `OPTIONS`) are retried on all of them. `POST` and
/// `PATCH` are retried only when the server cannot have acted on them: 429, 503 and connection
/// failures, unless the request opts in with
/// [`ApiRequest::retry_non_idempotent`]. Delays grow exponentially from
/// [`initial_backoff`](Self::initial_backoff) up to [`max_backoff`](Self::max_backoff), with
/// jitter; a `Retry-After` header (seconds) takes precedence, capped at
/// [`max_retry_after`](Self::max_retry_after).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct RetryPolicy {
    /// Retries after the first attempt (0 disables retrying).
    pub max_retries: u32,
    /// Delay before the first retry.
    pub initial_backoff: Duration,
    /// Upper bound of the exponential delay.
    pub max_backoff: Duration,
    /// Upper bound applied to `Retry-After`.
    pub max_retry_after: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_retries: 3,
            initial_backoff: Duration::from_millis(500),
            max_backoff: Duration::from_secs(30),
            max_retry_after: Duration::from_secs(60),
        }
    }
}

impl RetryPolicy {
    /// A policy that never retries.
    pub fn none() -> Self {
        Self {
            max_retries: 0,
            ..Self::default()
        }
    }

    /// Set [`max_retries`](Self::max_retries).
    pub fn with_max_retries(mut self, n: u32) -> Self {
        self.max_retries = n;
        self
    }

    /// Set the initial and maximum exponential delays.
    pub fn with_backoff(mut self, initial: Duration, max: Duration) -> Self {
        self.initial_backoff = initial;
        self.max_backoff = max.max(initial);
        self
    }

    /// Set the cap applied to `Retry-After`.
    pub fn with_max_retry_after(mut self, cap: Duration) -> Self {
        self.max_retry_after = cap;
        self
    }

    /// Delay before retry number `attempt` (0-based), between half and all of the exponential
    /// value.
    pub(crate) fn backoff(&self, attempt: u32) -> Duration {
        let factor = 2u32.saturating_pow(attempt.min(20));
        let exp = self
            .initial_backoff
            .saturating_mul(factor)
            .min(self.max_backoff);
        let half = exp / 2;
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
        let span = half.as_nanos().max(1);
        let jitter = u64::try_from(u128::from(nanos) % span).unwrap_or(0);
        half + Duration::from_nanos(jitter)
    }

    fn delay(&self, attempt: u32, headers: Option<&HeaderMap>) -> Duration {
        let retry_after = headers
            .and_then(|h| h.get(RETRY_AFTER))
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok())
            .map(Duration::from_secs);
        match retry_after {
            Some(d) => d.min(self.max_retry_after),
            None => self.backoff(attempt),
        }
    }
}

pub(crate) fn is_idempotent(method: &Method) -> bool {
    matches!(
        *method,
        Method::GET | Method::HEAD | Method::PUT | Method::DELETE | Method::OPTIONS
    )
}

/// Whether a response with `status` to a `method` request should be retried.
pub(crate) fn retry_status(method: &Method, status: StatusCode, opt_in: bool) -> bool {
    let retryable = status == StatusCode::REQUEST_TIMEOUT
        || status == StatusCode::TOO_MANY_REQUESTS
        || status.is_server_error();
    if !retryable {
        return false;
    }
    is_idempotent(method)
        || opt_in
        || status == StatusCode::TOO_MANY_REQUESTS
        || status == StatusCode::SERVICE_UNAVAILABLE
}

fn retry_error(method: &Method, err: &reqwest::Error, opt_in: bool) -> bool {
    err.is_connect() || ((is_idempotent(method) || opt_in) && err.is_timeout())
}

pub(crate) struct Inner {
    http: reqwest::Client,
    base_url: Url,
    auth: Auth,
    retry: RetryPolicy,
    timeout: Option<Duration>,
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
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let auth = match self.inner.auth {
            Auth::Static(_) => "static token (redacted)",
            Auth::Provider(_) => "token provider",
        };
        f.debug_struct("Client")
            .field("base_url", &self.inner.base_url.as_str())
            .field("auth", &auth)
            .field("retry", &self.inner.retry)
            .field("timeout", &self.inner.timeout)
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

    /// Send a request with retries; returns the successful response or an error.
    pub(crate) async fn execute(&self, spec: &RequestSpec) -> Result<RawResponse, ClientError> {
        if let Some(e) = &spec.body_error {
            return Err(ClientError::Config(format!(
                "request body could not be serialized: {e}"
            )));
        }
        let url = self.url_for(&spec.path)?;
        let policy = &self.inner.retry;
        let max = spec.max_retries.unwrap_or(policy.max_retries);
        let mut attempt: u32 = 0;
        loop {
            let token = self.inner.auth.token().await?;
            let mut rb = self
                .inner
                .http
                .request(spec.method.clone(), url.clone())
                .bearer_auth(token.secret())
                .header(ACCEPT, "application/json")
                .header(USER_AGENT, USER_AGENT_VALUE);
            if !spec.query.is_empty() {
                rb = rb.query(&spec.query);
            }
            for (name, value) in &spec.headers {
                rb = rb.header(*name, value);
            }
            if let Some(body) = &spec.body {
                rb = rb.json(body);
            }
            if let Some(t) = spec.timeout.or(self.inner.timeout) {
                rb = rb.timeout(t);
            }
            tracing::debug!(method = %spec.method, path = %spec.path, attempt, "frame.io request");
            match rb.send().await {
                Ok(resp) => {
                    let status = resp.status();
                    let headers = resp.headers().clone();
                    if status.is_success() {
                        let body = resp.bytes().await.map_err(ClientError::Transport)?;
                        return Ok(RawResponse {
                            status,
                            headers,
                            body,
                        });
                    }
                    if attempt < max && retry_status(&spec.method, status, spec.retry_opt_in) {
                        let delay = policy.delay(attempt, Some(&headers));
                        tracing::warn!(
                            method = %spec.method, path = %spec.path, %status, attempt,
                            delay_ms = delay.as_millis() as u64,
                            "frame.io request failed, retrying"
                        );
                        tokio::time::sleep(delay).await;
                        attempt += 1;
                        continue;
                    }
                    let body = resp.bytes().await.unwrap_or_default();
                    tracing::debug!(method = %spec.method, path = %spec.path, %status, "frame.io request failed");
                    return Err(ApiError::from_parts(status, headers, body).into());
                }
                Err(err) => {
                    if attempt < max && retry_error(&spec.method, &err, spec.retry_opt_in) {
                        let delay = policy.delay(attempt, None);
                        tracing::warn!(
                            method = %spec.method, path = %spec.path, attempt,
                            error = %err, "frame.io request could not be sent, retrying"
                        );
                        tokio::time::sleep(delay).await;
                        attempt += 1;
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
        self.auth = Some(Auth::Static(AccessToken::new(token)));
        self
    }

    /// Ask `provider` for a token before each request (for refreshing OAuth tokens).
    pub fn token_provider(mut self, provider: impl TokenProvider) -> Self {
        self.auth = Some(Auth::Provider(Arc::new(provider)));
        self
    }

    /// Same as [`token_provider`](Self::token_provider) with an already shared provider.
    pub fn shared_token_provider(mut self, provider: Arc<dyn TokenProvider>) -> Self {
        self.auth = Some(Auth::Provider(provider));
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
            }),
        })
    }
}

/// A successful response before decoding.
#[derive(Debug)]
pub(crate) struct RawResponse {
    pub(crate) status: StatusCode,
    pub(crate) headers: HeaderMap,
    pub(crate) body: Bytes,
}

/// Everything needed to send one request.
#[derive(Debug, Clone)]
pub(crate) struct RequestSpec {
    pub(crate) method: Method,
    pub(crate) path: String,
    pub(crate) query: Vec<(String, String)>,
    pub(crate) headers: Vec<(&'static str, String)>,
    pub(crate) body: Option<serde_json::Value>,
    pub(crate) timeout: Option<Duration>,
    pub(crate) max_retries: Option<u32>,
    pub(crate) retry_opt_in: bool,
    /// Set when the body could not be serialized; reported when the request is sent.
    pub(crate) body_error: Option<String>,
}

impl RequestSpec {
    pub(crate) fn new(method: Method, path: String) -> Self {
        Self {
            method,
            path,
            query: Vec::new(),
            headers: Vec::new(),
            body: None,
            timeout: None,
            max_retries: None,
            retry_opt_in: false,
            body_error: None,
        }
    }

    /// Wrap `body` as `{"data": body}`.
    pub(crate) fn data<B: Serialize>(mut self, body: &B) -> Self {
        match serde_json::to_value(body) {
            Ok(value) => self.body = Some(serde_json::json!({ "data": value })),
            Err(e) => self.body_error = Some(e.to_string()),
        }
        self
    }

    /// Send `body` as the JSON body as it is, without the `data` wrapper.
    pub(crate) fn json_body<B: Serialize>(mut self, body: &B) -> Self {
        match serde_json::to_value(body) {
            Ok(value) => self.body = Some(value),
            Err(e) => self.body_error = Some(e.to_string()),
        }
        self
    }

    pub(crate) fn set_query(&mut self, key: &str, value: String) {
        self.query.retain(|(k, _)| k != key);
        self.query.push((key.to_owned(), value));
    }
}

/// Percent-encode one path segment (everything but RFC 3986 unreserved characters).
pub(crate) fn seg(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// A decoded response together with its status and headers.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Response<T> {
    /// The decoded `data` member.
    pub data: T,
    /// HTTP status.
    pub status: StatusCode,
    /// Response headers (rate-limit headers, request ids…).
    pub headers: HeaderMap,
}

type Decoder<T> = fn(&RawResponse) -> Result<T, ClientError>;

#[derive(serde::Deserialize)]
struct Envelope<T> {
    data: T,
}

pub(crate) fn decode_data<T: DeserializeOwned>(raw: &RawResponse) -> Result<T, ClientError> {
    serde_json::from_slice::<Envelope<T>>(&raw.body)
        .map(|e| e.data)
        .map_err(|source| ClientError::Decode {
            status: raw.status,
            source,
        })
}

pub(crate) fn decode_whole<T: DeserializeOwned>(raw: &RawResponse) -> Result<T, ClientError> {
    serde_json::from_slice::<T>(&raw.body).map_err(|source| ClientError::Decode {
        status: raw.status,
        source,
    })
}

pub(crate) fn decode_unit(_raw: &RawResponse) -> Result<(), ClientError> {
    Ok(())
}

/// A prepared request. Await it for the data, or call
/// [`with_headers`](Self::with_headers) to get status and headers too.
///
/// Every endpoint method of the client returns either an `ApiRequest` or a
/// [`Pager`](super::Pager); nothing is sent until it is awaited.
#[must_use = "requests do nothing unless awaited"]
pub struct ApiRequest<T> {
    client: Client,
    spec: RequestSpec,
    decode: Decoder<T>,
    _marker: PhantomData<fn() -> T>,
}

impl<T> fmt::Debug for ApiRequest<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ApiRequest")
            .field("method", &self.spec.method)
            .field("path", &self.spec.path)
            .field("query", &self.spec.query)
            .finish_non_exhaustive()
    }
}

impl<T: DeserializeOwned> ApiRequest<T> {
    pub(crate) fn json(client: &Client, spec: RequestSpec) -> Self {
        Self {
            client: client.clone(),
            spec,
            decode: decode_data::<T>,
            _marker: PhantomData,
        }
    }
}

impl<T: DeserializeOwned> ApiRequest<T> {
    /// A request whose whole response body (not only `data`) decodes to `T`.
    pub(crate) fn whole(client: &Client, spec: RequestSpec) -> Self {
        Self {
            client: client.clone(),
            spec,
            decode: decode_whole::<T>,
            _marker: PhantomData,
        }
    }
}

impl ApiRequest<()> {
    pub(crate) fn empty(client: &Client, spec: RequestSpec) -> Self {
        Self {
            client: client.clone(),
            spec,
            decode: decode_unit,
            _marker: PhantomData,
        }
    }
}

impl<T> ApiRequest<T> {
    /// Set the `include` query parameter (comma separated, e.g. `media_links.original`).
    pub fn include(mut self, include: impl Into<String>) -> Self {
        self.spec.set_query("include", include.into());
        self
    }

    /// Set any query parameter (replacing an earlier value of the same name).
    pub fn query(mut self, key: &str, value: impl ToString) -> Self {
        self.spec.set_query(key, value.to_string());
        self
    }

    /// Send `api-version: experimental` (for endpoints of the experimental API).
    pub fn experimental(mut self) -> Self {
        self.spec.headers.retain(|(n, _)| *n != "api-version");
        self.spec
            .headers
            .push(("api-version", "experimental".into()));
        self
    }

    /// Timeout of each attempt of this request (overrides the client's).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.spec.timeout = Some(timeout);
        self
    }

    /// Maximum retries of this request (overrides the client's policy).
    pub fn max_retries(mut self, n: u32) -> Self {
        self.spec.max_retries = Some(n);
        self
    }

    /// Allow retrying a `POST`/`PATCH` on every retryable failure (408, 5xx, timeouts), not
    /// only on 429/503 and connection errors. Use when the operation is safe to repeat.
    pub fn retry_non_idempotent(mut self, yes: bool) -> Self {
        self.spec.retry_opt_in = yes;
        self
    }

    /// Send the request and return the data with the response status and headers.
    pub async fn with_headers(self) -> Result<Response<T>, ClientError> {
        let raw = self.client.execute(&self.spec).await?;
        let data = (self.decode)(&raw)?;
        Ok(Response {
            data,
            status: raw.status,
            headers: raw.headers,
        })
    }

    /// Send the request and return the data (same as `.await`).
    pub async fn send(self) -> Result<T, ClientError> {
        let raw = self.client.execute(&self.spec).await?;
        (self.decode)(&raw)
    }
}

impl<T: Send + 'static> IntoFuture for ApiRequest<T> {
    type Output = Result<T, ClientError>;
    type IntoFuture = BoxFuture<'static, Result<T, ClientError>>;

    fn into_future(self) -> Self::IntoFuture {
        Box::pin(self.send())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn segments_are_percent_encoded() {
        assert_eq!(seg("abc-123_x.y~"), "abc-123_x.y~");
        assert_eq!(seg("a/b c?"), "a%2Fb%20c%3F");
        assert_eq!(seg("é"), "%C3%A9");
    }

    #[test]
    fn post_is_retried_only_on_429_and_503() {
        assert!(retry_status(
            &Method::POST,
            StatusCode::TOO_MANY_REQUESTS,
            false
        ));
        assert!(retry_status(
            &Method::POST,
            StatusCode::SERVICE_UNAVAILABLE,
            false
        ));
        assert!(!retry_status(
            &Method::POST,
            StatusCode::INTERNAL_SERVER_ERROR,
            false
        ));
        assert!(retry_status(
            &Method::POST,
            StatusCode::INTERNAL_SERVER_ERROR,
            true
        ));
        assert!(retry_status(&Method::GET, StatusCode::BAD_GATEWAY, false));
        assert!(retry_status(
            &Method::DELETE,
            StatusCode::REQUEST_TIMEOUT,
            false
        ));
        assert!(!retry_status(&Method::GET, StatusCode::NOT_FOUND, false));
    }

    #[test]
    fn backoff_grows_and_is_capped() {
        let p = RetryPolicy::default()
            .with_backoff(Duration::from_millis(100), Duration::from_millis(400));
        for attempt in 0..10 {
            let d = p.backoff(attempt);
            let exp = (100u64 << attempt.min(10)).min(400);
            assert!(d >= Duration::from_millis(exp / 2), "{attempt}: {d:?}");
            assert!(d <= Duration::from_millis(exp), "{attempt}: {d:?}");
        }
    }

    #[test]
    fn retry_after_is_capped() {
        let p = RetryPolicy::default().with_max_retry_after(Duration::from_millis(20));
        let mut h = HeaderMap::new();
        h.insert(RETRY_AFTER, "120".parse().expect("header"));
        assert_eq!(p.delay(0, Some(&h)), Duration::from_millis(20));
    }

    #[test]
    fn debug_hides_token() {
        let c = Client::new("super-secret-token").expect("client");
        assert!(!format!("{c:?}").contains("super-secret"));
        assert!(!format!("{:?}", AccessToken::new("super-secret")).contains("super-secret"));
    }
}
