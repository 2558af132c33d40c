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

/// A bare HTTP/1.1 server on 127.0.0.1 for failures an HTTP framework will not produce: it
/// answers every request with `200 {"data": {"id": "u1"}}` on a kept-alive connection, except
/// the requests whose 0-based arrival index is in `drop`, which it reads completely and then
/// closes the connection without answering (what a server does to a stale keep-alive
/// connection).
pub(crate) struct DroppingServer {
    pub(crate) base_url: String,
    /// Requests read so far (answered or dropped).
    pub(crate) requests: std::sync::Arc<std::sync::atomic::AtomicUsize>,
    /// Connections accepted so far.
    pub(crate) connections: std::sync::Arc<std::sync::atomic::AtomicUsize>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for DroppingServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl DroppingServer {
    pub(crate) async fn start(drop: &'static [usize]) -> Self {
        use std::sync::Arc;
        use std::sync::atomic::{AtomicUsize, Ordering};
        use tokio::io::{AsyncReadExt, AsyncWriteExt};

        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let base_url = format!("http://{}", listener.local_addr().expect("addr"));
        let requests = Arc::new(AtomicUsize::new(0));
        let connections = Arc::new(AtomicUsize::new(0));
        let (reqs, conns) = (requests.clone(), connections.clone());
        let task = tokio::spawn(async move {
            loop {
                let Ok((mut sock, _)) = listener.accept().await else {
                    return;
                };
                conns.fetch_add(1, Ordering::SeqCst);
                let reqs = reqs.clone();
                tokio::spawn(async move {
                    let mut buf = Vec::new();
                    loop {
                        // Read one request head and its body.
                        let head_end = loop {
                            if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                                break i + 4;
                            }
                            let mut chunk = [0u8; 4096];
                            match sock.read(&mut chunk).await {
                                Ok(0) | Err(_) => return,
                                Ok(n) => buf.extend_from_slice(&chunk[..n]),
                            }
                        };
                        let head = String::from_utf8_lossy(&buf[..head_end]).to_ascii_lowercase();
                        let len: usize = head
                            .lines()
                            .find_map(|l| l.strip_prefix("content-length:"))
                            .and_then(|v| v.trim().parse().ok())
                            .unwrap_or(0);
                        while buf.len() < head_end + len {
                            let mut chunk = [0u8; 4096];
                            match sock.read(&mut chunk).await {
                                Ok(0) | Err(_) => return,
                                Ok(n) => buf.extend_from_slice(&chunk[..n]),
                            }
                        }
                        buf.drain(..head_end + len);
                        let index = reqs.fetch_add(1, Ordering::SeqCst);
                        if drop.contains(&index) {
                            return; // closes the connection without a byte of answer
                        }
                        let body = br#"{"data": {"id": "u1"}}"#;
                        let answer = format!(
                            "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n",
                            body.len()
                        );
                        if sock.write_all(answer.as_bytes()).await.is_err()
                            || sock.write_all(body).await.is_err()
                        {
                            return;
                        }
                    }
                });
            }
        });
        Self {
            base_url,
            requests,
            connections,
            task,
        }
    }
}
