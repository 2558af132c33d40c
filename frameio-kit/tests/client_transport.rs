//! Transport behaviour over real local HTTP: pagination, retries, errors, auth, headers.
#![cfg(feature = "client")]

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use frameio_kit::client::{
    AccessToken, ApiErrorKind, BoxFuture, Client, ClientError, RetryPolicy, TokenError,
    TokenProvider,
};
use frameio_kit_testing::mock_frameio::{Method, MockFrameio, MockResponse};
use futures_util::{StreamExt, TryStreamExt};
use serde_json::json;

fn fast_retries() -> RetryPolicy {
    RetryPolicy::default()
        .with_max_retries(3)
        .with_backoff(Duration::from_millis(1), Duration::from_millis(5))
        .with_max_retry_after(Duration::from_millis(30))
}

fn client(mock: &MockFrameio) -> Client {
    Client::builder()
        .token(mock.token())
        .base_url(mock.base_url())
        .retry_policy(fast_retries())
        .build()
        .expect("client")
}

fn items(n: usize) -> Vec<serde_json::Value> {
    (0..n)
        .map(|i| json!({"id": format!("p{i}"), "name": format!("Project {i}")}))
        .collect()
}

const PROJECTS: &str = "/v4/accounts/a1/projects";

#[tokio::test]
async fn pagination_follows_next_and_keeps_every_parameter() {
    let mock = MockFrameio::start().await.expect("mock");
    mock.on(Method::GET, PROJECTS).paginate(items(7), 3);
    let c = client(&mock);

    let got: Vec<_> = c
        .projects()
        .list_in_account("a1")
        .page_size(3)
        .include("owner")
        .sort("-created_at")
        .param("filters[status]", "active")
        .try_collect()
        .await
        .expect("list");
    let names: Vec<_> = got.iter().map(|p| p.id.as_str()).collect();
    assert_eq!(names, ["p0", "p1", "p2", "p3", "p4", "p5", "p6"]);

    let reqs = mock.requests_to(Method::GET, PROJECTS);
    assert_eq!(reqs.len(), 3);
    for (i, r) in reqs.iter().enumerate() {
        assert_eq!(r.query_value("page_size"), Some("3"), "page {i}");
        assert_eq!(r.query_value("include"), Some("owner"), "page {i}");
        assert_eq!(r.query_value("sort"), Some("-created_at"), "page {i}");
        assert_eq!(r.query_value("filters[status]"), Some("active"), "page {i}");
        assert_eq!(r.header("authorization"), Some("Bearer test-token"));
    }
    assert_eq!(reqs[0].query_value("after"), None);
    assert_eq!(reqs[1].query_value("after"), Some("3"));
    assert_eq!(reqs[2].query_value("after"), Some("6"));
}

#[tokio::test]
async fn pages_expose_total_count_and_headers() {
    let mock = MockFrameio::start().await.expect("mock");
    mock.on(Method::GET, PROJECTS).paginate(items(5), 2);
    let c = client(&mock);

    let mut pager = c.projects().list_in_account("a1").include_total_count(true);
    let mut sizes = Vec::new();
    while let Some(page) = pager.next_page().await.expect("page") {
        assert_eq!(page.total_count, Some(5));
        assert_eq!(page.status.as_u16(), 200);
        assert!(page.headers.get("content-type").is_some());
        sizes.push(page.items.len());
    }
    assert_eq!(sizes, [2, 2, 1]);
    assert!(pager.next_page().await.expect("done").is_none());

    let pages: Vec<_> = c
        .projects()
        .list_in_account("a1")
        .pages()
        .try_collect()
        .await
        .expect("pages");
    assert_eq!(pages.len(), 3);
    assert_eq!(pages[0].total_count, None);
    assert!(pages[2].next.is_none());
}

#[tokio::test]
async fn get_is_retried_on_429_honouring_capped_retry_after() {
    let mock = MockFrameio::start().await.expect("mock");
    mock.on(Method::GET, "/v4/accounts/a1/projects/p1")
        .respond_with(
            MockResponse::error(429, "Too Many Requests", "slow down").header("retry-after", "1"),
        )
        .respond_with(MockResponse::new(503))
        .respond_data(200, json!({"id": "p1", "name": "Trailer"}));
    let c = client(&mock);

    let started = Instant::now();
    let project = c.projects().show("a1", "p1").await.expect("show");
    assert_eq!(project.name, "Trailer");
    // Retry-After: 1 is capped to 30 ms by the policy.
    assert!(started.elapsed() < Duration::from_millis(900));
    assert_eq!(mock.requests().len(), 3);
}

#[tokio::test]
async fn retry_after_is_honoured_up_to_the_cap() {
    let mock = MockFrameio::start().await.expect("mock");
    mock.on(Method::GET, "/v4/me")
        .respond_with(MockResponse::new(429).header("retry-after", "1"))
        .respond_data(200, json!({"id": "u1"}));
    let c = Client::builder()
        .token(mock.token())
        .base_url(mock.base_url())
        .retry_policy(fast_retries().with_max_retry_after(Duration::from_millis(200)))
        .build()
        .expect("client");
    let started = Instant::now();
    c.users().me().await.expect("me");
    let elapsed = started.elapsed();
    assert!(elapsed >= Duration::from_millis(200), "{elapsed:?}");
    assert!(elapsed < Duration::from_millis(900), "{elapsed:?}");
}

#[tokio::test]
async fn post_is_not_retried_on_500_but_is_on_429() {
    let mock = MockFrameio::start().await.expect("mock");
    let path = "/v4/accounts/a1/workspaces/w1/projects";
    mock.on(Method::POST, path)
        .respond_with(MockResponse::error(500, "Internal", "boom"))
        .respond_data(201, json!({"id": "p1"}));
    let c = client(&mock);
    let params = frameio_kit::client::projects::CreateProject::named("x");

    let err = c
        .projects()
        .create("a1", "w1", &params)
        .await
        .expect_err("500");
    assert_eq!(err.status().map(|s| s.as_u16()), Some(500));
    assert_eq!(mock.requests().len(), 1, "POST must not be retried on 500");

    // Opting in retries it.
    mock.on(Method::POST, path)
        .respond_with(MockResponse::new(500))
        .respond_data(201, json!({"id": "p2"}));
    mock.clear_requests();
    let p = c
        .projects()
        .create("a1", "w1", &params)
        .retry_non_idempotent(true)
        .await
        .expect("retried");
    assert_eq!(p.id, "p2");
    assert_eq!(mock.requests().len(), 2);

    // 429 is always safe to retry.
    mock.on(Method::POST, path)
        .respond_with(MockResponse::new(429).header("retry-after", "1"))
        .respond_data(201, json!({"id": "p3"}));
    mock.clear_requests();
    let p = c.projects().create("a1", "w1", &params).await.expect("429");
    assert_eq!(p.id, "p3");
    assert_eq!(mock.requests().len(), 2);
}

#[tokio::test]
async fn retries_stop_at_the_limit() {
    let mock = MockFrameio::start().await.expect("mock");
    mock.on(Method::GET, "/v4/me")
        .respond_with(MockResponse::new(502));
    let c = client(&mock);
    let err = c.users().me().await.expect_err("502");
    assert_eq!(err.as_api().map(|e| e.kind()), Some(ApiErrorKind::Server));
    assert_eq!(mock.requests().len(), 4, "1 attempt + 3 retries");

    mock.clear_requests();
    let err = c.users().me().max_retries(1).await.expect_err("502");
    assert!(err.as_api().is_some());
    assert_eq!(mock.requests().len(), 2);
}

#[tokio::test]
async fn api_errors_are_parsed() {
    let mock = MockFrameio::start().await.expect("mock");
    mock.on(Method::POST, "/v4/accounts/a1/workspaces")
        .respond_with(
            MockResponse::json(
                422,
                json!({"errors": [{"title": "Invalid", "detail": "name is too long",
                                   "source": {"pointer": "/data/name"}}]}),
            )
            .header("x-ratelimit-remaining", "41")
            .header("x-ratelimit-limit", "100")
            .header("x-ratelimit-window", "60000"),
        );
    let c = client(&mock);
    let params = frameio_kit::client::workspaces::WorkspaceParams::named("x");
    let err = c.workspaces().create("a1", &params).await.expect_err("422");
    let api = err.as_api().expect("api error");
    assert!(api.is_unprocessable());
    assert_eq!(api.errors[0].detail.as_deref(), Some("name is too long"));
    assert_eq!(
        api.errors[0]
            .source
            .as_ref()
            .and_then(|s| s.pointer.as_deref()),
        Some("/data/name")
    );
    assert_eq!(api.rate_limit_remaining(), Some(41));
    assert_eq!(api.rate_limit_limit(), Some(100));
    assert_eq!(api.rate_limit_window(), Some(60000));
    assert!(api.body_text().contains("too long"));
    assert!(err.to_string().contains("name is too long"));

    // 404 from an unmatched route, and helpers.
    let err = c.folders().show("a1", "nope").await.expect_err("404");
    assert!(err.as_api().is_some_and(|e| e.is_not_found()));
}

#[tokio::test]
async fn wrong_token_is_unauthorized_and_never_printed() {
    let mock = MockFrameio::start().await.expect("mock");
    mock.on(Method::GET, "/v4/me")
        .respond_data(200, json!({"id": "u1"}));
    let c = Client::builder()
        .token("wrong-secret-token")
        .base_url(mock.base_url())
        .retry_policy(fast_retries())
        .build()
        .expect("client");
    let err = c.users().me().await.expect_err("401");
    assert!(err.as_api().is_some_and(|e| e.is_unauthorized()));
    assert_eq!(mock.requests().len(), 1, "401 is not retried");
    for text in [format!("{err}"), format!("{err:?}"), format!("{c:?}")] {
        assert!(!text.contains("wrong-secret-token"), "{text}");
    }
}

struct CountingProvider {
    calls: Arc<AtomicUsize>,
    token: String,
}

impl TokenProvider for CountingProvider {
    fn token(&self) -> BoxFuture<'_, Result<AccessToken, TokenError>> {
        Box::pin(async move {
            self.calls.fetch_add(1, Ordering::SeqCst);
            Ok(AccessToken::new(self.token.clone()))
        })
    }
}

struct FailingProvider;

impl TokenProvider for FailingProvider {
    fn token(&self) -> BoxFuture<'_, Result<AccessToken, TokenError>> {
        Box::pin(async { Err(TokenError::new("refresh token expired")) })
    }
}

#[tokio::test]
async fn token_provider_is_asked_for_each_attempt() {
    let mock = MockFrameio::start().await.expect("mock");
    mock.on(Method::GET, "/v4/me")
        .respond_with(MockResponse::new(503))
        .respond_data(200, json!({"id": "u1", "email": "e@x.io"}));
    let calls = Arc::new(AtomicUsize::new(0));
    let c = Client::builder()
        .token_provider(CountingProvider {
            calls: calls.clone(),
            token: mock.token(),
        })
        .base_url(mock.base_url())
        .retry_policy(fast_retries())
        .build()
        .expect("client");
    let me = c.users().me().await.expect("me");
    assert_eq!(me.email, "e@x.io");
    assert_eq!(calls.load(Ordering::SeqCst), 2);

    let c = Client::builder()
        .token_provider(FailingProvider)
        .base_url(mock.base_url())
        .build()
        .expect("client");
    let err = c.users().me().await.expect_err("token");
    assert!(matches!(err, ClientError::Token(_)), "{err:?}");
}

#[tokio::test]
async fn with_headers_returns_status_and_headers() {
    let mock = MockFrameio::start().await.expect("mock");
    mock.on(Method::GET, "/v4/accounts/a1/projects/p1")
        .respond_with(
            MockResponse::data(200, json!({"id": "p1"})).header("x-ratelimit-remaining", "9"),
        );
    let c = client(&mock);
    let resp = c
        .projects()
        .show("a1", "p1")
        .with_headers()
        .await
        .expect("show");
    assert_eq!(resp.data.id, "p1");
    assert_eq!(resp.status.as_u16(), 200);
    assert_eq!(
        resp.headers
            .get("x-ratelimit-remaining")
            .and_then(|v| v.to_str().ok()),
        Some("9")
    );
}

#[tokio::test]
async fn experimental_header_and_stream_errors() {
    let mock = MockFrameio::start().await.expect("mock");
    mock.on(Method::GET, "/v4/me")
        .experimental()
        .respond_data(200, json!({"id": "u1"}));
    let c = client(&mock);
    let err = c.users().me().await.expect_err("needs header");
    assert_eq!(err.status().map(|s| s.as_u16()), Some(400));
    let me = c.users().me().experimental().await.expect("with header");
    assert_eq!(me.id, "u1");

    // A failing page ends the stream after yielding the error.
    mock.on(Method::GET, PROJECTS)
        .respond_with(MockResponse::error(403, "Forbidden", "no access"));
    let mut stream = c.projects().list_in_account("a1");
    let first = stream.next().await.expect("an item");
    assert!(first.is_err_and(|e| e.as_api().is_some_and(|a| a.is_forbidden())));
    assert!(stream.next().await.is_none());
}

#[tokio::test]
async fn per_request_timeout_applies() {
    // A listener that accepts but never answers.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let server = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((sock, _)) = listener.accept().await {
            held.push(sock);
        }
    });
    let c = Client::builder()
        .token("t")
        .base_url(format!("http://{addr}"))
        .retry_policy(RetryPolicy::none())
        .build()
        .expect("client");
    let started = Instant::now();
    let err = c
        .users()
        .me()
        .timeout(Duration::from_millis(100))
        .await
        .expect_err("timeout");
    assert!(matches!(err, ClientError::Transport(_)), "{err:?}");
    assert!(started.elapsed() < Duration::from_secs(3));
    server.abort();
}

#[tokio::test]
async fn builder_rejects_bad_configuration() {
    let err = Client::builder().build().expect_err("no token");
    assert!(matches!(err, ClientError::Config(_)));
    let err = Client::builder()
        .token("t")
        .base_url("not a url")
        .build()
        .expect_err("bad url");
    assert!(matches!(err, ClientError::Config(_)));
    let c = Client::new("t").expect("default");
    assert_eq!(c.base_url(), "https://api.frame.io/");
}
