//! Proactive rate limiting: wait before sending when the server's announced budget is spent.
//!
//! Frame.io limits each resource path with a leaky bucket and reports it on every response
//! (`x-ratelimit-limit` requests per `x-ratelimit-window` milliseconds, `x-ratelimit-remaining`
//! left). The client mirrors that bucket per token and route: each request it sends takes one
//! unit, the bucket refills at `limit / window`, and every response re-synchronises it with
//! the server's count (less the requests still in flight). When less than one unit is left,
//! the next request waits for the refill instead of collecting a 429. Until a route's first
//! answer arrives its budget is unknown, so concurrent requests on it wait for that answer
//! rather than burst. A 429 (or a response
//! with nothing remaining and an `x-ratelimit-reset`) blocks the route for every clone of
//! the client until the announced time.

use std::collections::HashMap;
use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, SystemTime};

use tokio::time::Instant;

use reqwest::header::HeaderMap;
use reqwest::{Method, StatusCode};

use super::retry::retry_after;

/// How often a request waiting for a route's first answer checks again.
const PROBE_POLL: Duration = Duration::from_millis(5);

/// Upper bound of one proactive wait, whatever the headers say.
const MAX_WAIT: Duration = Duration::from_secs(120);

/// The rate-limit headers of one response.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct RateLimitInfo {
    /// `x-ratelimit-limit`: requests allowed per window.
    pub limit: Option<u64>,
    /// `x-ratelimit-remaining`: requests left now.
    pub remaining: Option<u64>,
    /// `x-ratelimit-window`: the window, from milliseconds.
    pub window: Option<Duration>,
    /// `x-ratelimit-reset`: time until the budget is refilled (delay-seconds, a Unix time in
    /// seconds, or an HTTP date).
    pub reset: Option<Duration>,
}

impl RateLimitInfo {
    /// Read the `x-ratelimit-*` headers (missing or malformed values are `None`).
    pub fn from_headers(headers: &HeaderMap) -> Self {
        let num = |name: &str| -> Option<u64> {
            headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.trim().parse::<f64>().ok())
                .filter(|v| v.is_finite() && *v >= 0.0)
                .map(|v| v as u64)
        };
        let reset = headers
            .get("x-ratelimit-reset")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| parse_reset(v.trim()));
        Self {
            limit: num("x-ratelimit-limit"),
            remaining: num("x-ratelimit-remaining"),
            window: num("x-ratelimit-window").map(Duration::from_millis),
            reset,
        }
    }
}

/// `x-ratelimit-reset` as a delay from now.
fn parse_reset(value: &str) -> Option<Duration> {
    if let Ok(n) = value.parse::<u64>() {
        // Large values are Unix times (seconds); small ones are delays.
        if n > 1_000_000_000 {
            let at = SystemTime::UNIX_EPOCH + Duration::from_secs(n);
            return Some(at.duration_since(SystemTime::now()).unwrap_or_default());
        }
        return Some(Duration::from_secs(n));
    }
    let at = httpdate::parse_http_date(value).ok()?;
    Some(at.duration_since(SystemTime::now()).unwrap_or_default())
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct Key {
    token: u64,
    method: Method,
    route: String,
}

/// The client's mirror of one server bucket.
#[derive(Debug)]
struct Bucket {
    /// Units left at `updated` (may be negative while requests are in flight).
    tokens: f64,
    /// Refill rate in units per second, when the server announced limit and window.
    rate: Option<f64>,
    capacity: f64,
    updated: Instant,
    in_flight: u32,
    blocked_until: Option<Instant>,
    /// The first request of the route is in flight and nothing is known yet: the others
    /// wait for its answer instead of bursting past a budget the server has not announced.
    probing: bool,
}

impl Bucket {
    fn refill(&mut self, now: Instant) {
        if let Some(rate) = self.rate {
            let elapsed = now.saturating_duration_since(self.updated).as_secs_f64();
            self.tokens = (self.tokens + elapsed * rate).min(self.capacity);
        }
        self.updated = now;
    }
}

/// Buckets per token and route; shared by every clone of a client.
#[derive(Debug, Default)]
pub(crate) struct RateLimiter {
    buckets: Mutex<HashMap<Key, Bucket>>,
}

/// A request admitted by the limiter; report its response with [`finish`](Self::finish).
/// Dropping it unreported (a failure without response, a cancelled future) only releases its
/// in-flight slot.
pub(crate) struct Permit {
    limiter: Arc<RateLimiter>,
    key: Key,
    done: bool,
}

impl RateLimiter {
    fn lock(&self) -> MutexGuard<'_, HashMap<Key, Bucket>> {
        self.buckets.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Wait until the route has budget for one more request, then take it.
    pub(crate) async fn acquire(
        self: &Arc<Self>,
        token: &str,
        method: &Method,
        path: &str,
    ) -> Permit {
        let key = Key {
            token: token_key(token),
            method: method.clone(),
            route: route_of(path),
        };
        loop {
            let wait = {
                let mut buckets = self.lock();
                let now = Instant::now();
                match buckets.get_mut(&key) {
                    None => {
                        buckets.insert(
                            key.clone(),
                            Bucket {
                                tokens: 0.0,
                                rate: None,
                                capacity: f64::MAX,
                                updated: now,
                                in_flight: 1,
                                blocked_until: None,
                                probing: true,
                            },
                        );
                        None
                    }
                    Some(b) if b.probing => Some(PROBE_POLL),
                    Some(b) => {
                        b.refill(now);
                        match b.blocked_until.filter(|t| *t > now) {
                            Some(until) => Some(until - now),
                            None => {
                                b.blocked_until = None;
                                match b.rate {
                                    Some(rate) if b.tokens < 1.0 => Some(Duration::from_secs_f64(
                                        ((1.0 - b.tokens) / rate).max(0.001),
                                    )),
                                    _ => {
                                        b.tokens -= 1.0;
                                        b.in_flight += 1;
                                        None
                                    }
                                }
                            }
                        }
                    }
                }
            };
            match wait {
                None => break,
                Some(d) => {
                    let d = d.min(MAX_WAIT);
                    tracing::debug!(
                        route = %key.route, wait_ms = d.as_millis() as u64,
                        "frame.io rate limit nearly spent, waiting before sending"
                    );
                    #[cfg(feature = "metrics")]
                    crate::telemetry::metrics::rate_limit_wait(&key.route);
                    tokio::time::sleep(d).await;
                }
            }
        }
        Permit {
            limiter: self.clone(),
            key,
            done: false,
        }
    }

    fn release(&self, key: &Key) {
        if let Some(b) = self.lock().get_mut(key) {
            b.in_flight = b.in_flight.saturating_sub(1);
            b.probing = false;
        }
    }

    fn observe(&self, key: &Key, status: StatusCode, headers: &HeaderMap, max_block: Duration) {
        let info = RateLimitInfo::from_headers(headers);
        let now = Instant::now();
        let mut buckets = self.lock();
        let Some(b) = buckets.get_mut(key) else {
            return;
        };
        b.probing = false;
        b.in_flight = b.in_flight.saturating_sub(1);
        b.refill(now);
        if let (Some(limit), Some(window)) = (info.limit, info.window)
            && limit > 0
            && !window.is_zero()
        {
            b.rate = Some(limit as f64 / window.as_secs_f64());
            b.capacity = limit as f64;
        }
        if let Some(remaining) = info.remaining {
            b.tokens = remaining as f64 - f64::from(b.in_flight);
        }
        let mut block = None;
        if status == StatusCode::TOO_MANY_REQUESTS {
            b.tokens = b.tokens.min(0.0);
            block = retry_after(headers)
                .or(info.reset)
                .or_else(|| b.rate.map(|r| Duration::from_secs_f64(1.0 / r)));
        } else if info.remaining == Some(0) && b.rate.is_none() {
            block = info.reset;
        }
        if let Some(d) = block {
            let until = now + d.min(max_block).min(MAX_WAIT);
            b.blocked_until = Some(b.blocked_until.map_or(until, |t| t.max(until)));
        }
    }
}

impl Permit {
    /// Report the response of the admitted request. A 429 blocks the route for its
    /// `Retry-After` (or `x-ratelimit-reset`), at most `max_block`.
    pub(crate) fn finish(mut self, status: StatusCode, headers: &HeaderMap, max_block: Duration) {
        self.done = true;
        self.limiter.observe(&self.key, status, headers, max_block);
    }
}

impl Drop for Permit {
    fn drop(&mut self) {
        if !self.done {
            self.limiter.release(&self.key);
        }
    }
}

fn token_key(token: &str) -> u64 {
    let mut h = DefaultHasher::new();
    token.hash(&mut h);
    h.finish()
}

/// The resource path a limit applies to: ids (every second segment after `/v4`) replaced by
/// `{}`, so `…/files/abc` and `…/files/def` share one bucket.
fn route_of(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    let mut segments = path.trim_start_matches('/').split('/');
    if let Some(first) = segments.next() {
        out.push('/');
        out.push_str(first);
    }
    for (i, s) in segments.enumerate() {
        out.push('/');
        out.push_str(if i % 2 == 1 { "{}" } else { s });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, v.parse().expect("header"));
        }
        h
    }

    #[test]
    fn routes_hide_ids() {
        assert_eq!(
            route_of("/v4/accounts/a1/files/f1/comments"),
            "/v4/accounts/{}/files/{}/comments"
        );
        assert_eq!(route_of("/v4/me"), "/v4/me");
        assert_eq!(route_of("/v4/accounts"), "/v4/accounts");
    }

    #[test]
    fn reads_headers() {
        let info = RateLimitInfo::from_headers(&headers(&[
            ("x-ratelimit-limit", "10"),
            ("x-ratelimit-remaining", "3"),
            ("x-ratelimit-window", "60000"),
            ("x-ratelimit-reset", "5"),
        ]));
        assert_eq!(info.limit, Some(10));
        assert_eq!(info.remaining, Some(3));
        assert_eq!(info.window, Some(Duration::from_secs(60)));
        assert_eq!(info.reset, Some(Duration::from_secs(5)));
        let empty = RateLimitInfo::from_headers(&HeaderMap::new());
        assert_eq!(empty, RateLimitInfo::default());
    }

    #[tokio::test]
    async fn waits_for_refill_when_spent() {
        let limiter = Arc::new(RateLimiter::default());
        let p = limiter.acquire("t", &Method::GET, "/v4/me").await;
        p.finish(
            StatusCode::OK,
            &headers(&[
                ("x-ratelimit-limit", "2"),
                ("x-ratelimit-remaining", "0"),
                ("x-ratelimit-window", "100"),
            ]),
            MAX_WAIT,
        );
        let start = Instant::now();
        let p = limiter.acquire("t", &Method::GET, "/v4/me").await;
        // two per 100 ms: one unit takes 50 ms
        assert!(
            start.elapsed() >= Duration::from_millis(45),
            "{:?}",
            start.elapsed()
        );
        drop(p);
        // another token has its own bucket, and a new route sends its first request at once
        let start = Instant::now();
        let _p = limiter.acquire("other", &Method::GET, "/v4/me").await;
        let _q = limiter
            .acquire("t", &Method::GET, "/v4/accounts/a/projects")
            .await;
        assert!(start.elapsed() < Duration::from_millis(45));
    }

    #[tokio::test]
    async fn a_429_blocks_the_route_for_its_retry_after() {
        let limiter = Arc::new(RateLimiter::default());
        let p = limiter.acquire("t", &Method::GET, "/v4/me").await;
        p.finish(
            StatusCode::TOO_MANY_REQUESTS,
            &headers(&[("retry-after", "1")]),
            Duration::from_millis(60),
        );
        let start = Instant::now();
        let _p = limiter.acquire("t", &Method::GET, "/v4/me").await;
        // Retry-After 1 s, capped by the policy at 60 ms
        let waited = start.elapsed();
        assert!(waited >= Duration::from_millis(55), "{waited:?}");
        assert!(waited < Duration::from_millis(900), "{waited:?}");
    }
}
