//! The mock Frame.io server's own behaviour, driven with a plain HTTP client.

use frameio_kit_testing::mock_frameio::{Method, MockFrameio, MockResponse};
use serde_json::{Value, json};

async fn send(
    mock: &MockFrameio,
    method: reqwest::Method,
    path: &str,
    token: Option<&str>,
    body: Option<Value>,
) -> (u16, Value) {
    let mut rb = reqwest::Client::new().request(method, format!("{}{path}", mock.base_url()));
    if let Some(t) = token {
        rb = rb.bearer_auth(t);
    }
    if let Some(b) = body {
        rb = rb.json(&b);
    }
    let resp = rb.send().await.expect("send");
    let status = resp.status().as_u16();
    let text = resp.text().await.expect("body");
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

const WORKSPACES: &str = "/v4/accounts/a/workspaces";

#[tokio::test]
async fn validates_auth_body_shape_and_routes() {
    let mock = MockFrameio::start_with_token("tok").await.expect("mock");
    mock.on(Method::POST, "/v4/accounts/{account_id}/workspaces")
        .respond_data(201, json!({"id": "w1"}));

    let (status, body) = send(&mock, reqwest::Method::POST, WORKSPACES, None, None).await;
    assert_eq!(status, 401);
    assert_eq!(body["errors"][0]["title"], "Unauthorized");

    let (status, _) = send(
        &mock,
        reqwest::Method::POST,
        WORKSPACES,
        Some("other"),
        None,
    )
    .await;
    assert_eq!(status, 401);

    let unwrapped = Some(json!({"name": "unwrapped"}));
    let (status, body) = send(
        &mock,
        reqwest::Method::POST,
        WORKSPACES,
        Some("tok"),
        unwrapped,
    )
    .await;
    assert_eq!(status, 422);
    assert_eq!(body["errors"][0]["source"]["pointer"], "/data");

    let wrapped = Some(json!({"data": {"name": "ok"}}));
    let (status, body) = send(
        &mock,
        reqwest::Method::POST,
        WORKSPACES,
        Some("tok"),
        wrapped,
    )
    .await;
    assert_eq!(status, 201);
    assert_eq!(body["data"]["id"], "w1");

    let (status, body) = send(
        &mock,
        reqwest::Method::GET,
        "/v4/nowhere",
        Some("tok"),
        None,
    )
    .await;
    assert_eq!(status, 404);
    assert!(
        body["errors"][0]["detail"]
            .as_str()
            .is_some_and(|d| d.contains("/v4/nowhere"))
    );

    let reqs = mock.requests();
    assert_eq!(reqs.len(), 5, "rejected requests are recorded too");
    assert_eq!(reqs[3].json(), Some(json!({"data": {"name": "ok"}})));
    assert_eq!(reqs[3].header("Authorization"), Some("Bearer tok"));
    assert_eq!(
        mock.requests_to(Method::POST, "/v4/accounts/{id}/workspaces")
            .len(),
        4
    );
}

#[tokio::test]
async fn queued_responses_then_last_repeats() {
    let mock = MockFrameio::start().await.expect("mock");
    mock.on(Method::GET, "/v4/me")
        .respond_with(MockResponse::new(429).header("retry-after", "1"))
        .respond_data(200, json!({"id": "u1"}));
    let t = mock.token();
    let mut statuses = Vec::new();
    for _ in 0..3 {
        statuses.push(
            send(&mock, reqwest::Method::GET, "/v4/me", Some(&t), None)
                .await
                .0,
        );
    }
    assert_eq!(statuses, [429, 200, 200]);
}

#[tokio::test]
async fn experimental_routes_require_the_header() {
    let mock = MockFrameio::start().await.expect("mock");
    mock.on(Method::GET, "/v4/x")
        .experimental()
        .respond_data(200, json!({}));
    let (status, _) = send(
        &mock,
        reqwest::Method::GET,
        "/v4/x",
        Some("test-token"),
        None,
    )
    .await;
    assert_eq!(status, 400);
    let resp = reqwest::Client::new()
        .get(format!("{}/v4/x", mock.base_url()))
        .bearer_auth("test-token")
        .header("api-version", "experimental")
        .send()
        .await
        .expect("send");
    assert_eq!(resp.status().as_u16(), 200);
}

#[tokio::test]
async fn paginates_with_links_next() {
    let mock = MockFrameio::start().await.expect("mock");
    let items: Vec<_> = (0..5).map(|i| json!({"id": i})).collect();
    mock.on(Method::GET, "/v4/accounts/{id}/projects")
        .paginate(items, 2);
    let first = "/v4/accounts/a/projects?include_total_count=true";
    let (_, page) = send(&mock, reqwest::Method::GET, first, Some("test-token"), None).await;
    assert_eq!(page["data"].as_array().map(Vec::len), Some(2));
    assert_eq!(page["total_count"], 5);
    assert_eq!(page["links"]["next"], "/v4/accounts/a/projects?after=2");
    let last = "/v4/accounts/a/projects?after=4";
    let (_, page) = send(&mock, reqwest::Method::GET, last, Some("test-token"), None).await;
    assert_eq!(page["data"], json!([{"id": 4}]));
    assert!(page["links"]["next"].is_null());
}

#[tokio::test]
async fn storage_host_accepts_bytes_and_rejects_tokens() {
    let mock = MockFrameio::start().await.expect("mock");
    let http = reqwest::Client::new();
    let ok = http
        .put(mock.upload_url("p0"))
        .body(vec![1u8, 2, 3])
        .send()
        .await
        .expect("put");
    assert_eq!(ok.status().as_u16(), 200);
    assert_eq!(mock.uploaded("p0").as_deref(), Some(&[1u8, 2, 3][..]));

    let denied = http
        .put(mock.upload_url("p1"))
        .bearer_auth("test-token")
        .body(vec![9u8])
        .send()
        .await
        .expect("put");
    assert_eq!(denied.status().as_u16(), 403);
    assert!(mock.uploaded("p1").is_none());

    let url = mock.serve_download("f", vec![5u8; 4]);
    let got = http
        .get(&url)
        .send()
        .await
        .expect("get")
        .bytes()
        .await
        .expect("bytes");
    assert_eq!(&got[..], &[5u8; 4]);
    let denied = http.get(&url).bearer_auth("x").send().await.expect("get");
    assert_eq!(denied.status().as_u16(), 403);
}
