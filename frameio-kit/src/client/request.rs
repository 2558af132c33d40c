//! One prepared request: its route, body and [`RequestOptions`], and the awaitable
//! [`ApiRequest`] that sends it.

use std::fmt;
use std::future::IntoFuture;
use std::marker::PhantomData;
use std::time::Duration;

use bytes::Bytes;
use reqwest::header::HeaderMap;
use reqwest::{Method, StatusCode};
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::client::{BoxFuture, Client};
use super::error::ClientError;
use super::ratelimit::RateLimitInfo;

/// Per-request settings shared by [`ApiRequest`] and [`Pager`](super::Pager): query
/// parameters, extra headers, timeout and retries.
///
/// Both types offer the same setters (`include`, `query`/`param`, `experimental`, `timeout`,
/// `max_retries`, `retry_non_idempotent`), and take a whole `RequestOptions` with
/// `.options(…)`, so one set of options can be prepared once and applied to many requests:
///
/// ```no_run
/// # async fn run(client: frameio_kit::client::Client) -> Result<(), frameio_kit::client::ClientError> {
/// use std::time::Duration;
/// use frameio_kit::client::RequestOptions;
///
/// let slow = RequestOptions::default().timeout(Duration::from_secs(120)).max_retries(5);
/// let file = client.files().show("account-id", "file-id").options(slow.clone()).await?;
/// let page = client.files().list("account-id", "folder-id").options(slow).next_page().await?;
/// # let _ = (file, page); Ok(()) }
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct RequestOptions {
    pub(crate) query: Vec<(String, String)>,
    pub(crate) headers: Vec<(&'static str, String)>,
    pub(crate) timeout: Option<Duration>,
    pub(crate) max_retries: Option<u32>,
    pub(crate) retry_opt_in: bool,
}

impl RequestOptions {
    /// Set a query parameter, replacing an earlier value of the same name.
    pub fn query(mut self, key: &str, value: impl ToString) -> Self {
        self.set_query(key, value.to_string());
        self
    }

    /// Set the `include` query parameter (comma separated, e.g. `media_links.original`).
    pub fn include(self, include: impl Into<String>) -> Self {
        self.query("include", include.into())
    }

    /// Send `api-version: experimental`.
    pub fn experimental(mut self) -> Self {
        self.set_header("api-version", "experimental".into());
        self
    }

    /// Timeout of each attempt (overrides the client's).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// Maximum retries (overrides the client's [`RetryPolicy`](super::RetryPolicy)).
    pub fn max_retries(mut self, n: u32) -> Self {
        self.max_retries = Some(n);
        self
    }

    /// Allow retrying a `POST`/`PATCH` on every retryable failure (408, 5xx, timeouts, a
    /// connection dropped without an answer), not only on 429/503 and connection failures.
    /// Use when the operation is safe to repeat.
    pub fn retry_non_idempotent(mut self, yes: bool) -> Self {
        self.retry_opt_in = yes;
        self
    }

    pub(crate) fn set_query(&mut self, key: &str, value: String) {
        self.query.retain(|(k, _)| k != key);
        self.query.push((key.to_owned(), value));
    }

    pub(crate) fn set_header(&mut self, name: &'static str, value: String) {
        self.headers.retain(|(n, _)| *n != name);
        self.headers.push((name, value));
    }

    /// Apply `other` on top of these options: its query parameters and headers replace ours
    /// of the same name, its timeout and retry settings replace ours when set.
    pub(crate) fn merge(&mut self, other: RequestOptions) {
        for (k, v) in other.query {
            self.set_query(&k, v);
        }
        for (n, v) in other.headers {
            self.set_header(n, v);
        }
        if other.timeout.is_some() {
            self.timeout = other.timeout;
        }
        if other.max_retries.is_some() {
            self.max_retries = other.max_retries;
        }
        self.retry_opt_in |= other.retry_opt_in;
    }
}

/// Generates the option setters shared by [`ApiRequest`] and [`Pager`](super::Pager); both
/// keep their options in `self.spec.options`.
macro_rules! option_setters {
    ($query_setter:ident) => {
        /// Apply a whole [`RequestOptions`](crate::client::RequestOptions) (query parameters
        /// and headers it sets replace earlier ones of the same name).
        pub fn options(mut self, options: $crate::client::RequestOptions) -> Self {
            self.spec.options.merge(options);
            self
        }

        /// Set the `include` query parameter (comma separated, e.g.
        /// `media_links.original,creator`).
        pub fn include(self, include: impl Into<String>) -> Self {
            self.$query_setter("include", include.into())
        }

        /// Set any query parameter (filters, `type`…), replacing an earlier value of the
        /// same name.
        pub fn $query_setter(mut self, key: &str, value: impl ToString) -> Self {
            self.spec.options.set_query(key, value.to_string());
            self
        }

        /// Send `api-version: experimental` (for endpoints of the experimental API).
        pub fn experimental(mut self) -> Self {
            self.spec
                .options
                .set_header("api-version", "experimental".into());
            self
        }

        /// Timeout of each attempt (overrides the client's).
        pub fn timeout(mut self, timeout: std::time::Duration) -> Self {
            self.spec.options.timeout = Some(timeout);
            self
        }

        /// Maximum retries (overrides the client's policy).
        pub fn max_retries(mut self, n: u32) -> Self {
            self.spec.options.max_retries = Some(n);
            self
        }

        /// Allow retrying a `POST`/`PATCH` on every retryable failure (408, 5xx, timeouts, a
        /// connection dropped without an answer), not only on 429/503 and connection
        /// failures. Use when the operation is safe to repeat.
        pub fn retry_non_idempotent(mut self, yes: bool) -> Self {
            self.spec.options.retry_opt_in = yes;
            self
        }
    };
}
pub(crate) use option_setters;

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
    pub(crate) body: Option<serde_json::Value>,
    pub(crate) options: RequestOptions,
    /// Set when the body could not be serialized; reported when the request is sent.
    pub(crate) body_error: Option<String>,
}

impl RequestSpec {
    pub(crate) fn new(method: Method, path: String) -> Self {
        Self {
            method,
            path,
            body: None,
            options: RequestOptions::default(),
            body_error: None,
        }
    }

    /// Wrap `body` as `{"data": body}`.
    pub(crate) fn data<B: Serialize + ?Sized>(mut self, body: &B) -> Self {
        match serde_json::to_value(body) {
            Ok(value) => self.body = Some(serde_json::json!({ "data": value })),
            Err(e) => self.body_error = Some(e.to_string()),
        }
        self
    }

    /// Send `body` as the JSON body as it is, without the `data` wrapper.
    pub(crate) fn json_body<B: Serialize + ?Sized>(mut self, body: &B) -> Self {
        match serde_json::to_value(body) {
            Ok(value) => self.body = Some(value),
            Err(e) => self.body_error = Some(e.to_string()),
        }
        self
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

impl<T> Response<T> {
    /// The response's `x-ratelimit-*` headers.
    pub fn rate_limit(&self) -> RateLimitInfo {
        RateLimitInfo::from_headers(&self.headers)
    }
}

type Decoder<T> = fn(&RawResponse) -> Result<T, ClientError>;

#[derive(serde::Deserialize)]
struct Envelope<T> {
    data: T,
}

fn decode_data<T: DeserializeOwned>(raw: &RawResponse) -> Result<T, ClientError> {
    serde_json::from_slice::<Envelope<T>>(&raw.body)
        .map(|e| e.data)
        .map_err(|source| ClientError::Decode {
            status: raw.status,
            source,
        })
}

fn decode_whole<T: DeserializeOwned>(raw: &RawResponse) -> Result<T, ClientError> {
    serde_json::from_slice::<T>(&raw.body).map_err(|source| ClientError::Decode {
        status: raw.status,
        source,
    })
}

fn decode_unit(_raw: &RawResponse) -> Result<(), ClientError> {
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
    pub(crate) spec: RequestSpec,
    decode: Decoder<T>,
    _marker: PhantomData<fn() -> T>,
}

impl<T> fmt::Debug for ApiRequest<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ApiRequest")
            .field("method", &self.spec.method)
            .field("path", &self.spec.path)
            .field("query", &self.spec.options.query)
            .finish_non_exhaustive()
    }
}

impl<T: DeserializeOwned> ApiRequest<T> {
    /// A request whose response's `data` member decodes to `T`.
    pub(crate) fn data(client: &Client, spec: RequestSpec) -> Self {
        Self::with_decoder(client, spec, decode_data::<T>)
    }

    /// A request whose whole response body (not only `data`) decodes to `T`.
    pub(crate) fn whole(client: &Client, spec: RequestSpec) -> Self {
        Self::with_decoder(client, spec, decode_whole::<T>)
    }
}

impl ApiRequest<()> {
    /// A request whose response body is ignored.
    pub(crate) fn empty(client: &Client, spec: RequestSpec) -> Self {
        Self::with_decoder(client, spec, decode_unit)
    }
}

impl<T> ApiRequest<T> {
    fn with_decoder(client: &Client, spec: RequestSpec, decode: Decoder<T>) -> Self {
        Self {
            client: client.clone(),
            spec,
            decode,
            _marker: PhantomData,
        }
    }

    option_setters!(query);

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
    fn options_merge_replaces_by_name() {
        let mut base = RequestOptions::default()
            .include("owner")
            .query("page_size", 5);
        base.merge(
            RequestOptions::default()
                .include("creator")
                .experimental()
                .max_retries(1),
        );
        assert_eq!(
            base.query,
            vec![
                ("page_size".to_owned(), "5".to_owned()),
                ("include".to_owned(), "creator".to_owned()),
            ]
        );
        assert_eq!(
            base.headers,
            vec![("api-version", "experimental".to_owned())]
        );
        assert_eq!(base.max_retries, Some(1));
        assert_eq!(base.timeout, None);
    }
}
