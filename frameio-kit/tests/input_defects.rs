//! Regression tests for the five input-handling defects of issue #11, each over real HTTP
//! against a server bound on 127.0.0.1:0.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use frameio_kit::RunningServer;
use frameio_kit::prelude::*;
use frameio_kit::secret::{SecretResolver, Secrets};
use frameio_kit_testing::SignedRequest;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const SECRET: &str = "webhook-secret";
const ACTION_SECRET: &str = "action-secret";
const LIMIT: usize = 64 * 1024;

async fn on_ready(_event: WebhookEvent) -> Result<()> {
    Ok(())
}

async fn greet(_event: ActionEvent) -> Result<Message> {
    Ok(Message::new("Hello", "hi"))
}

fn webhook_json() -> Value {
    json!({
        "account": {"id": "acc"}, "project": {"id": "prj"},
        "resource": {"id": "file-1", "type": "file"}, "type": "file.ready",
        "user": {"id": "usr"}, "workspace": {"id": "wsp"}
    })
}

fn action_json(event_type: &str) -> Value {
    json!({
        "account_id": "acc", "action_id": "act", "interaction_id": "int-1",
        "project": {"id": "prj"}, "resource": {"id": "file-1", "type": "file"},
        "type": event_type, "user": {"id": "usr"}, "workspace": {"id": "wsp"}
    })
}

/// Records what the secret resolver saw of each action before its signature was checked.
#[derive(Default, Clone)]
struct Recording {
    saw_data: Arc<Mutex<Vec<bool>>>,
}

impl SecretResolver for Recording {
    async fn webhook_secret(&self, _event: &WebhookEvent) -> Result<Secrets> {
        Ok(SECRET.into())
    }

    async fn action_secret(&self, event: &ActionEvent) -> Result<Secrets> {
        self.saw_data.lock().unwrap().push(event.data().is_some());
        Ok(ACTION_SECRET.into())
    }
}

struct Server {
    running: RunningServer,
    client: reqwest::Client,
    recording: Recording,
}

async fn start(configure: impl FnOnce(App) -> App) -> Server {
    let recording = Recording::default();
    let app = App::new()
        .body_limit(LIMIT)
        .handler(Handler::webhook(["file.ready"], on_ready).secret(SECRET))
        .handler(Handler::action("greet", greet).secret(ACTION_SECRET))
        .handler(Handler::action("resolved", greet).secret_resolver(recording.clone()));
    let running = configure(app)
        .build()
        .expect("valid app")
        .start(("127.0.0.1", 0))
        .expect("bind");
    Server {
        running,
        client: reqwest::Client::new(),
        recording,
    }
}

impl Server {
    async fn send(&self, request: &SignedRequest) -> (u16, String) {
        let mut builder = self
            .client
            .post(self.running.url())
            .body(request.body().to_vec());
        for (name, value) in request.header_pairs() {
            builder = builder.header(name, value);
        }
        let response = builder.send().await.expect("request");
        let status = response.status().as_u16();
        (status, response.text().await.unwrap())
    }

    async fn stop(self) {
        self.running.stop(false).await.expect("stop");
    }
}

/// Replaces the placeholder `"@"` in a JSON text with raw (invalid UTF-8) bytes.
fn with_bytes(json: &str, bytes: &[u8]) -> Vec<u8> {
    let at = json.find("\"@\"").expect("placeholder") + 1;
    let mut body = json.as_bytes()[..at].to_vec();
    body.extend_from_slice(bytes);
    body.extend_from_slice(&json.as_bytes()[at + 1..]);
    body
}

/// Defect 1: invalid UTF-8 in a string the parser skips was accepted (200, handler ran).
#[tokio::test]
async fn invalid_utf8_anywhere_in_the_body_gets_400() {
    let server = start(|app| app).await;
    let mut places = Vec::new();
    // An unknown field's value, a nested unknown value, a key inside those.
    let mut unknown = webhook_json();
    unknown["note"] = json!("@");
    places.push(unknown.to_string());
    let mut nested = webhook_json();
    nested["extra"] = json!({"list": [1, {"deep": "@"}]});
    places.push(nested.to_string());
    places.push(
        webhook_json()
            .to_string()
            .replacen('{', r#"{"x":{"@":1},"#, 1),
    );
    // And inside an action's form data.
    let mut data = action_json("greet");
    data["data"] = json!({"comment": "@"});
    places.push(data.to_string());
    for (i, json) in places.iter().enumerate() {
        for bytes in [&b"\xff"[..], b"\xc3\x28", b"\xed\xa0\x80", b"ok\xe2\x82"] {
            let secret = if json.contains("account_id") {
                ACTION_SECRET
            } else {
                SECRET
            };
            let request = SignedRequest::new(secret, with_bytes(json, bytes));
            let (status, body) = server.send(&request).await;
            assert_eq!(status, 400, "place {i}, bytes {bytes:?}: {body}");
            assert!(
                body.starts_with("Invalid JSON: invalid UTF-8 at line 1 column "),
                "{body}"
            );
        }
    }
    // The same bodies with valid text are served.
    let mut fine = webhook_json();
    fine["note"] = json!("é ✓");
    let (status, _) = server.send(&SignedRequest::json(SECRET, &fine)).await;
    assert_eq!(status, 200);
    server.stop().await;
}

/// Defect 2: a timestamp with more digits than i64 holds answered 400 "Invalid … format".
#[tokio::test]
async fn a_timestamp_too_large_for_64_bits_is_outside_the_window() {
    let server = start(|app| app).await;
    for huge in [
        "1".repeat(40),
        "9223372036854775808".to_owned(),
        format!("-{}", "7".repeat(30)),
    ] {
        let request = SignedRequest::json(SECRET, &webhook_json()).raw_timestamp(huge.clone());
        let (status, body) = server.send(&request).await;
        assert_eq!(
            (status, body.as_str()),
            (401, "Invalid signature."),
            "{huge}"
        );
    }
    // Not an integer at all is still the 400.
    let request = SignedRequest::json(SECRET, &webhook_json()).raw_timestamp("12e3");
    let (status, _) = server.send(&request).await;
    assert_eq!(status, 400);
    server.stop().await;
}

/// Opens a connection and sends a delivery's headers announcing 200 bytes, then 20 of them.
async fn stalled_body(addr: std::net::SocketAddr) -> TcpStream {
    let mut stream = TcpStream::connect(addr).await.expect("connect");
    let head = format!(
        "POST / HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\n\
         Content-Length: 200\r\n\r\n{{\"type\":\"file.ready\","
    );
    stream.write_all(head.as_bytes()).await.expect("write");
    stream
}

/// Reads until the server closes the connection; `None` if it does not within `wait`.
async fn read_to_close(stream: &mut TcpStream, wait: Duration) -> Option<String> {
    let mut answer = Vec::new();
    tokio::time::timeout(wait, stream.read_to_end(&mut answer))
        .await
        .ok()?
        .ok()?;
    Some(String::from_utf8_lossy(&answer).into_owned())
}

/// Defect 3: a stalled body was never timed out, so enough of them exhausted the file
/// descriptors. Now each gets `408 Request timeout.` after the read deadline and its
/// connection is closed, while other clients are served meanwhile.
#[tokio::test]
async fn stalled_bodies_get_408_and_are_closed_while_others_are_served() {
    let deadline = Duration::from_millis(1500);
    let server = start(|app| app.body_read_timeout(deadline)).await;
    let addr = server.running.local_addr();
    let mut stalled = Vec::new();
    for _ in 0..300 {
        stalled.push(stalled_body(addr).await);
    }
    // A legitimate delivery is served while they are held.
    let (status, body) = server
        .send(&SignedRequest::json(SECRET, &webhook_json()))
        .await;
    assert_eq!((status, body.as_str()), (200, "OK"));
    // Every stalled one is answered 408 and closed by the server.
    let answers = futures_util::future::join_all(
        stalled
            .iter_mut()
            .map(|stream| read_to_close(stream, deadline * 10)),
    )
    .await;
    for (i, answer) in answers.into_iter().enumerate() {
        let answer = answer.unwrap_or_else(|| panic!("connection {i} still open"));
        assert!(answer.starts_with("HTTP/1.1 408"), "{i}: {answer}");
        assert!(answer.contains("text/plain; charset=utf-8"), "{answer}");
        assert!(answer.ends_with("Request timeout."), "{answer}");
    }
    // And the server still serves.
    let (status, _) = server
        .send(&SignedRequest::json(SECRET, &webhook_json()))
        .await;
    assert_eq!(status, 200);
    server.stop().await;
}

/// Defect 3, second half: connections beyond the cap wait (in the listen backlog) instead
/// of taking file descriptors; they are served once a held connection is freed.
#[tokio::test]
async fn connections_beyond_the_cap_wait_for_a_free_slot() {
    let deadline = Duration::from_millis(1500);
    let workers = std::thread::available_parallelism().map_or(1, usize::from);
    let server = start(|app| app.body_read_timeout(deadline).max_connections(workers)).await;
    let addr = server.running.local_addr();
    // Hold every slot (one per worker; the accept loop hands connections out in turn).
    let mut stalled = Vec::new();
    for _ in 0..workers {
        stalled.push(stalled_body(addr).await);
    }
    tokio::time::sleep(Duration::from_millis(100)).await;
    let request = SignedRequest::json(SECRET, &webhook_json());
    let served = tokio::spawn({
        let client = server.client.clone();
        let url = server.running.url();
        let pairs = request.header_pairs();
        let body = request.body().to_vec();
        async move {
            let mut builder = client.post(url).body(body);
            for (name, value) in pairs {
                builder = builder.header(name, value);
            }
            builder.send().await.map(|r| r.status().as_u16())
        }
    });
    // While every slot is held, the new connection waits (uncapped, it is served in
    // milliseconds).
    tokio::time::sleep(deadline / 2).await;
    assert!(!served.is_finished(), "served while every slot was held");
    // The held connections are answered 408 and closed; then the waiting one is served.
    for stream in &mut stalled {
        let answer = read_to_close(stream, deadline * 10).await.expect("closed");
        assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    }
    assert_eq!(served.await.unwrap().expect("served"), 200);
    server.stop().await;
}

/// Defect 4: over the limit with `Expect: 100-continue`, the server sent `100 Continue`
/// before its 413.
#[tokio::test]
async fn an_oversized_body_announced_with_expect_is_refused_without_100_continue() {
    let server = start(|app| app).await;
    let addr = server.running.local_addr();
    let mut stream = TcpStream::connect(addr).await.expect("connect");
    let head = format!(
        "POST / HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\n\
         Expect: 100-continue\r\nContent-Length: {}\r\n\r\n",
        LIMIT + 1
    );
    stream.write_all(head.as_bytes()).await.expect("write");
    let answer = read_to_close(&mut stream, Duration::from_secs(10))
        .await
        .expect("answered and closed");
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    assert!(!answer.contains("100 Continue"), "{answer}");
    assert!(answer.ends_with("Payload too large."), "{answer}");

    // Within the limit, the body is invited and the delivery served.
    let request = SignedRequest::json(SECRET, &webhook_json());
    let mut stream = TcpStream::connect(addr).await.expect("connect");
    let mut head = format!(
        "POST / HTTP/1.1\r\nHost: {addr}\r\nExpect: 100-continue\r\nConnection: close\r\n\
         Content-Length: {}\r\n",
        request.body().len()
    );
    for (name, value) in request.header_pairs() {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes()).await.expect("write");
    let mut buf = [0_u8; 64];
    let n = stream.read(&mut buf).await.expect("read");
    assert!(
        buf[..n].starts_with(b"HTTP/1.1 100 Continue"),
        "{:?}",
        String::from_utf8_lossy(&buf[..n])
    );
    stream.write_all(request.body()).await.expect("write body");
    let answer = read_to_close(&mut stream, Duration::from_secs(10))
        .await
        .expect("closed");
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    server.stop().await;
}

/// A 1 MiB-class action: `data` holds many submitted values.
fn big_action(event_type: &str) -> Value {
    let mut action = action_json(event_type);
    let values: serde_json::Map<String, Value> = (0..12_000)
        .map(|i| {
            (
                format!("field_{i}"),
                json!({"value": i, "label": "x".repeat(40)}),
            )
        })
        .collect();
    action["data"] = Value::Object(values);
    action
}

/// Defect 5: a forged delivery was fully built (its `data` map included) before its
/// signature was checked. The contract's order still holds (422 before 401), and a secret
/// resolver sees the event without the unverified form data.
#[tokio::test]
async fn forged_deliveries_are_refused_before_the_event_is_built() {
    let server = start(|app| app.body_limit(2 * 1024 * 1024)).await;
    let forged = SignedRequest::json(ACTION_SECRET, &big_action("greet")).wrong_secret();
    assert!(forged.body().len() > 700 * 1024);
    assert_eq!(
        server.send(&forged).await,
        (401, "Invalid signature.".into())
    );

    // A forged body that does not fit the model is still 422, not 401.
    let mut misfit = big_action("greet");
    misfit["action_id"] = json!(42);
    let forged = SignedRequest::json(ACTION_SECRET, &misfit).wrong_secret();
    assert_eq!(
        server.send(&forged).await,
        (422, "Payload validation error.".into())
    );

    // A resolver runs before verification: it sees no form data, and the handler (after
    // verification) gets all of it.
    let signed = SignedRequest::json(ACTION_SECRET, &big_action("resolved"));
    assert_eq!(server.send(&signed).await.0, 200);
    let forged = SignedRequest::json(ACTION_SECRET, &big_action("resolved")).wrong_secret();
    assert_eq!(server.send(&forged).await.0, 401);
    assert_eq!(
        *server.recording.saw_data.lock().unwrap(),
        vec![false, false]
    );
    server.stop().await;
}
