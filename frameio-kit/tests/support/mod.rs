//! Shared harness of the client endpoint tests: program one mock route, make one call, check
//! the request it produced. (Each test file compiles this module; not every file uses all of it.)
#![allow(dead_code)]

use std::future::Future;

use frameio_kit::client::{Client, ClientError, RetryPolicy};
use frameio_kit_testing::mock_frameio::{Method, MockFrameio, MockResponse, RecordedRequest};
use serde_json::{Value, json};

/// A client for the mock, without retries (a failure must show at once).
pub(crate) fn client(mock: &MockFrameio) -> Client {
    Client::builder()
        .token(mock.token())
        .base_url(mock.base_url())
        .retry_policy(RetryPolicy::none())
        .build()
        .expect("client")
}

/// Programs the stable route `method path` with `resp`, runs `call`, and returns its output
/// and the single request it made, checking the common headers (and that the experimental
/// API is not asked for).
pub(crate) async fn run<T, F>(
    mock: &MockFrameio,
    method: Method,
    path: &str,
    resp: MockResponse,
    call: F,
) -> (T, RecordedRequest)
where
    F: Future<Output = Result<T, ClientError>>,
{
    mock.on(method.clone(), path).respond_with(resp);
    let (out, r) = one_request(mock, method.clone(), path, call).await;
    assert_ne!(
        r.header("api-version"),
        Some("experimental"),
        "{method} {path}"
    );
    (out, r)
}

/// The same for an experimental route: the mock refuses calls without
/// `api-version: experimental`.
pub(crate) async fn run_experimental<T, F>(
    mock: &MockFrameio,
    method: Method,
    path: &str,
    resp: MockResponse,
    call: F,
) -> (T, RecordedRequest)
where
    F: Future<Output = Result<T, ClientError>>,
{
    mock.on(method.clone(), path)
        .experimental()
        .respond_with(resp);
    let (out, r) = one_request(mock, method, path, call).await;
    assert_eq!(r.header("api-version"), Some("experimental"));
    (out, r)
}

async fn one_request<T, F>(
    mock: &MockFrameio,
    method: Method,
    path: &str,
    call: F,
) -> (T, RecordedRequest)
where
    F: Future<Output = Result<T, ClientError>>,
{
    mock.clear_requests();
    let out = call
        .await
        .unwrap_or_else(|e| panic!("{method} {path}: {e:?}"));
    let reqs = mock.requests();
    assert_eq!(reqs.len(), 1, "{method} {path}: {reqs:?}");
    let r = reqs.into_iter().next().expect("one request");
    assert_eq!(r.method, method, "{path}");
    assert_eq!(r.path, path);
    assert_eq!(r.header("authorization"), Some("Bearer test-token"));
    assert!(
        r.header("user-agent")
            .is_some_and(|ua| ua.starts_with("frameio-kit-rust/"))
    );
    (out, r)
}

/// A 200 answer wrapping `v` in `data`.
pub(crate) fn data(v: Value) -> MockResponse {
    MockResponse::data(200, v)
}

/// A one-page list answer.
pub(crate) fn list(items: Value) -> MockResponse {
    MockResponse::json(200, json!({ "data": items, "links": { "next": null } }))
}

/// The query of a request as pairs.
pub(crate) fn q(r: &RecordedRequest) -> Vec<(&str, &str)> {
    r.query
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect()
}
