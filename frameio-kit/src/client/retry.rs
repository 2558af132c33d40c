//! When and how long to wait before retrying: [`RetryPolicy`], `Retry-After` parsing and the
//! classification of failures.

use std::error::Error as StdError;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use reqwest::header::{HeaderMap, RETRY_AFTER};
use reqwest::{Method, StatusCode};

/// How failed requests are retried.
///
/// Statuses 408, 429 and 5xx, connection failures, connections dropped before any answer
/// (a stale keep-alive connection the server closed) and timeouts are retryable. Idempotent
/// methods (`GET`, `HEAD`, `PUT`, `DELETE`, `OPTIONS`) are retried on all of them. `POST` and
/// `PATCH` are retried only when the server cannot have acted on them: 429, 503 and failures
/// to connect, unless the request opts in with
/// [`ApiRequest::retry_non_idempotent`](super::ApiRequest::retry_non_idempotent). Delays grow
/// exponentially from [`initial_backoff`](Self::initial_backoff) up to
/// [`max_backoff`](Self::max_backoff), with jitter; a `Retry-After` header (seconds or an HTTP
/// date) takes precedence, capped at [`max_retry_after`](Self::max_retry_after).
///
/// ```
/// use std::time::Duration;
/// use frameio_kit::client::{Client, RetryPolicy};
///
/// let policy = RetryPolicy::default()
///     .with_max_retries(5)
///     .with_backoff(Duration::from_millis(200), Duration::from_secs(10))
///     .with_max_retry_after(Duration::from_secs(30));
/// let client = Client::builder().token("my-token").retry_policy(policy).build()?;
/// # let _ = client; Ok::<(), frameio_kit::client::ClientError>(())
/// ```
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

    /// Delay before retry number `attempt`: the response's `Retry-After` (capped) if it has
    /// one, else the exponential backoff.
    pub(crate) fn delay(&self, attempt: u32, headers: Option<&HeaderMap>) -> Duration {
        match headers.and_then(retry_after) {
            Some(d) => d.min(self.max_retry_after),
            None => self.backoff(attempt),
        }
    }
}

/// `Retry-After` as a duration from now: delay-seconds or an HTTP date (a date in the past
/// gives zero).
pub(crate) fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let value = headers.get(RETRY_AFTER)?.to_str().ok()?.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let at = httpdate::parse_http_date(value).ok()?;
    Some(
        at.duration_since(SystemTime::now())
            .unwrap_or(Duration::ZERO),
    )
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

/// Whether a request that failed without a response should be retried.
///
/// A failure to connect is always retried (nothing reached the server). A timeout or a
/// connection closed before any response (the server may have acted on the request) is
/// retried for idempotent methods and for requests that opted in.
pub(crate) fn retry_error(method: &Method, err: &reqwest::Error, opt_in: bool) -> bool {
    if err.is_connect() {
        return true;
    }
    (is_idempotent(method) || opt_in) && (err.is_timeout() || is_dropped_connection(err))
}

/// Whether `err` is a connection that closed or reset before a complete response arrived.
pub(crate) fn is_dropped_connection(err: &(dyn StdError + 'static)) -> bool {
    let mut current: Option<&(dyn StdError + 'static)> = Some(err);
    while let Some(e) = current {
        if let Some(h) = e.downcast_ref::<hyper::Error>()
            && (h.is_incomplete_message() || h.is_closed() || h.is_canceled())
        {
            return true;
        }
        if let Some(io) = e.downcast_ref::<std::io::Error>()
            && matches!(
                io.kind(),
                std::io::ErrorKind::ConnectionReset
                    | std::io::ErrorKind::ConnectionAborted
                    | std::io::ErrorKind::BrokenPipe
                    | std::io::ErrorKind::UnexpectedEof
            )
        {
            return true;
        }
        current = e.source();
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

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
    fn retry_after_accepts_http_dates() {
        let mut h = HeaderMap::new();
        let at = SystemTime::now() + Duration::from_secs(30);
        h.insert(
            RETRY_AFTER,
            httpdate::fmt_http_date(at).parse().expect("header"),
        );
        let d = retry_after(&h).expect("parsed");
        assert!(
            d > Duration::from_secs(27) && d <= Duration::from_secs(30),
            "{d:?}"
        );
        h.insert(
            RETRY_AFTER,
            "Wed, 21 Oct 2015 07:28:00 GMT".parse().expect("header"),
        );
        assert_eq!(retry_after(&h), Some(Duration::ZERO));
        h.insert(RETRY_AFTER, "soon".parse().expect("header"));
        assert_eq!(retry_after(&h), None);
    }

    #[test]
    fn io_resets_count_as_dropped_connections() {
        let reset = std::io::Error::from(std::io::ErrorKind::ConnectionReset);
        assert!(is_dropped_connection(&reset));
        let other = std::io::Error::from(std::io::ErrorKind::PermissionDenied);
        assert!(!is_dropped_connection(&other));
    }
}
