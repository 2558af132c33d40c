//! Retries and rate limits over real local HTTP: connections dropped without an answer,
//! `Retry-After` as an HTTP date, 408, and proactive rate limiting against a server that
//! announces its budget.
#![cfg(feature = "client")]

use std::sync::atomic::Ordering;
use std::time::{Duration, Instant, SystemTime};

use frameio_kit::client::projects::CreateProject;
use frameio_kit::client::{ApiErrorKind, Client, ClientError, RetryPolicy};
use frameio_kit_testing::mock_frameio::{Method, MockFrameio, MockResponse};
use serde_json::json;

mod support;
use support::DroppingServer;

fn fast_retries() -> RetryPolicy {
    RetryPolicy::default()
        .with_max_retries(3)
        .with_backoff(Duration::from_millis(1), Duration::from_millis(5))
}

fn client_for(base_url: &str, token: &str, policy: RetryPolicy) -> Client {
    Client::builder()
        .token(token)
        .base_url(base_url)
        .retry_policy(policy)
        .build()
        .expect("client")
}

#[tokio::test]
async fn get_on_a_stale_keep_alive_connection_is_retried() {
    // Request 0 is answered on a kept-alive connection; request 1 reuses it and the server
    // closes it without answering.
    let server = DroppingServer::start(&[1]).await;
    let c = client_for(&server.base_url, "t", fast_retries());
    c.users().me().await.expect("first");
    let me = c.users().me().await.expect("retried on a new connection");
    assert_eq!(me.id, "u1");
    assert_eq!(server.requests.load(Ordering::SeqCst), 3);
    assert_eq!(server.connections.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn first_connection_closed_without_answer_is_retried_for_get() {
    let server = DroppingServer::start(&[0]).await;
    let c = client_for(&server.base_url, "t", fast_retries());
    c.users().me().await.expect("retried");
    assert_eq!(server.requests.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn dropped_connection_fails_without_retries() {
    let server = DroppingServer::start(&[0]).await;
    let c = client_for(&server.base_url, "t", RetryPolicy::none());
    let err = c.users().me().await.expect_err("dropped");
    assert!(matches!(err, ClientError::Transport(_)), "{err:?}");
    assert_eq!(server.requests.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn dropped_post_is_retried_only_when_opted_in() {
    let server = DroppingServer::start(&[0, 2]).await;
    let c = client_for(&server.base_url, "t", fast_retries());
    let params = CreateProject::named("x");
    // The server may have acted on the POST: not repeated by default.
    let err = c
        .projects()
        .create("a1", "w1", &params)
        .await
        .expect_err("not retried");
    assert!(matches!(err, ClientError::Transport(_)), "{err:?}");
    assert_eq!(server.requests.load(Ordering::SeqCst), 1);
    // Request 1 succeeds; request 2 is dropped and, opted in, retried as request 3.
    c.projects()
        .create("a1", "w1", &params)
        .await
        .expect("answered");
    c.projects()
        .create("a1", "w1", &params)
        .retry_non_idempotent(true)
        .await
        .expect("retried");
    assert_eq!(server.requests.load(Ordering::SeqCst), 4);
}

#[tokio::test]
async fn retry_after_http_date_is_honoured() {
    let mock = MockFrameio::start().await.expect("mock");
    // Two seconds ahead: with whole-second dates the wait is between 1 and 2 s.
    let at = httpdate::fmt_http_date(SystemTime::now() + Duration::from_secs(2));
    mock.on(Method::GET, "/v4/me")
        .respond_with(MockResponse::new(429).header("retry-after", &at))
        .respond_data(200, json!({"id": "u1"}));
    let c = client_for(
        mock.base_url(),
        &mock.token(),
        fast_retries().with_max_retry_after(Duration::from_secs(10)),
    );
    let started = Instant::now();
    c.users().me().await.expect("me");
    let elapsed = started.elapsed();
    assert!(elapsed >= Duration::from_millis(900), "{elapsed:?}");
    assert!(elapsed < Duration::from_secs(5), "{elapsed:?}");
    assert_eq!(mock.requests().len(), 2);
}

#[tokio::test]
async fn api_error_reads_retry_after_date_and_rate_limit_headers() {
    let mock = MockFrameio::start().await.expect("mock");
    let at = httpdate::fmt_http_date(SystemTime::now() + Duration::from_secs(30));
    mock.on(Method::GET, "/v4/me").respond_with(
        MockResponse::error(429, "Too Many Requests", "slow down")
            .header("retry-after", &at)
            .header("x-ratelimit-limit", "10")
            .header("x-ratelimit-remaining", "0")
            .header("x-ratelimit-window", "60000")
            .header("x-ratelimit-reset", "12"),
    );
    let c = client_for(mock.base_url(), &mock.token(), RetryPolicy::none());
    let err = c.users().me().await.expect_err("429");
    let api = err.as_api().expect("api error");
    assert!(api.is_rate_limited());
    let wait = api.retry_after().expect("date parsed");
    assert!(wait > Duration::from_secs(27) && wait <= Duration::from_secs(30));
    let rl = api.rate_limit();
    assert_eq!(rl.limit, Some(10));
    assert_eq!(rl.remaining, Some(0));
    assert_eq!(rl.window, Some(Duration::from_secs(60)));
    assert_eq!(rl.reset, Some(Duration::from_secs(12)));
}

#[tokio::test]
async fn request_timeout_has_its_own_kind_and_is_retried_for_get_only() {
    let mock = MockFrameio::start().await.expect("mock");
    mock.on(Method::GET, "/v4/me")
        .respond_with(MockResponse::new(408))
        .respond_data(200, json!({"id": "u1"}));
    let c = client_for(mock.base_url(), &mock.token(), fast_retries());
    c.users().me().await.expect("retried after 408");
    assert_eq!(mock.requests().len(), 2);

    let path = "/v4/accounts/a1/workspaces/w1/projects";
    mock.on(Method::POST, path)
        .respond_with(MockResponse::error(408, "Request Timeout", "too slow"));
    mock.clear_requests();
    let err = c
        .projects()
        .create("a1", "w1", &CreateProject::named("x"))
        .await
        .expect_err("408");
    assert_eq!(
        err.as_api().map(|e| e.kind()),
        Some(ApiErrorKind::RequestTimeout)
    );
    assert!(err.as_api().is_some_and(|e| e.is_request_timeout()));
    assert_eq!(mock.requests().len(), 1);
}

/// A server allowing 4 requests per 400 ms (10 per second) with a burst of 4.
async fn limited_mock() -> MockFrameio {
    let mock = MockFrameio::start().await.expect("mock");
    mock.on(
        Method::GET,
        "/v4/accounts/{account_id}/projects/{project_id}",
    )
    .respond_data(200, json!({"id": "p1", "name": "Trailer"}));
    mock.rate_limit(4, Duration::from_millis(400));
    mock
}

#[tokio::test]
async fn proactive_rate_limiting_provokes_no_429() {
    let mock = limited_mock().await;
    // No retries: a single 429 would fail a call.
    let c = client_for(mock.base_url(), &mock.token(), RetryPolicy::none());

    // Sequential calls on one route…
    for i in 0..12 {
        c.projects()
            .show("a1", &format!("p{i}"))
            .await
            .unwrap_or_else(|e| panic!("call {i}: {e:?}"));
    }
    // …then concurrent calls from clones sharing the budget.
    let mut tasks = Vec::new();
    for t in 0..4 {
        let c = c.clone();
        tasks.push(tokio::spawn(async move {
            for i in 0..4 {
                c.projects().show("a1", &format!("q{t}-{i}")).await?;
            }
            Ok::<(), ClientError>(())
        }));
    }
    for t in tasks {
        t.await.expect("task").expect("no 429");
    }
    assert_eq!(
        mock.rate_limited(),
        0,
        "the client must wait instead of collecting 429s"
    );
    assert_eq!(mock.requests().len(), 28);
}

#[tokio::test]
async fn without_proactive_rate_limiting_the_same_load_collects_429s() {
    let mock = limited_mock().await;
    let c = Client::builder()
        .token(mock.token())
        .base_url(mock.base_url())
        .retry_policy(
            fast_retries()
                .with_max_retries(20)
                .with_max_retry_after(Duration::from_millis(20)),
        )
        .proactive_rate_limiting(false)
        .build()
        .expect("client");
    for i in 0..12 {
        c.projects()
            .show("a1", &format!("p{i}"))
            .await
            .expect("retried through 429s");
    }
    assert!(mock.rate_limited() > 0, "the load exceeds the budget");
}
