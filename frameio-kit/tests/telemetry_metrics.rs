//! Prometheus metrics (feature `metrics`): `/metrics` after a known sequence of deliveries
//! and API requests shows exact counts. One test: the recorder is global to this binary.
#![cfg(all(feature = "metrics", feature = "client"))]

use frameio_kit::client::Client;
use frameio_kit::prelude::*;
use frameio_kit_testing::mock_frameio::Method;
use frameio_kit_testing::{MockFrameio, SignedRequest, TestApp};
use serde_json::json;

const SECRET: &str = "metrics-test-secret";

async fn on_ready(_event: WebhookEvent) -> Result<()> {
    Ok(())
}

async fn whoami(_event: ActionEvent, client: Client) -> Result<Message> {
    let me = client.users().me().await?;
    Ok(Message::new("You are", me.name))
}

async fn broken(_event: WebhookEvent) -> Result<()> {
    Err("the database is down".into())
}

fn webhook(event_type: &str, secret: &str) -> SignedRequest {
    SignedRequest::json(
        secret,
        &json!({
            "account": {"id": "acc-1"}, "project": {"id": "proj-1"},
            "resource": {"id": "file-1", "type": "file"}, "type": event_type,
            "user": {"id": "user-1"}, "workspace": {"id": "ws-1"}
        }),
    )
    .timestamp(signed_at())
}

/// Each delivery signed at its own time, as Frame.io does: one signed request sent twice is
/// a replay, answered without running the handler.
fn signed_at() -> i64 {
    static SENT: std::sync::atomic::AtomicI64 = std::sync::atomic::AtomicI64::new(0);
    frameio_kit_testing::signing::now() - SENT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
}

fn click() -> SignedRequest {
    SignedRequest::json(
        SECRET,
        &json!({
            "account_id": "acc-1", "action_id": "act-1", "interaction_id": "int-1",
            "project": {"id": "proj-1"}, "resource": {"id": "file-1", "type": "file"},
            "type": "whoami", "user": {"id": "user-1"}, "workspace": {"id": "ws-1"}
        }),
    )
    .timestamp(signed_at())
}

/// The value of the sample of `name` whose labels include every one of `labels`.
fn sample(text: &str, name: &str, labels: &[(&str, &str)]) -> Option<f64> {
    text.lines()
        .filter(|line| !line.starts_with('#'))
        .filter_map(|line| line.rsplit_once(' '))
        .find(|(series, _)| {
            let Some(rest) = series.strip_prefix(name) else {
                return false;
            };
            let set = rest.strip_prefix('{').and_then(|r| r.strip_suffix('}'));
            match set {
                Some(set) => {
                    labels
                        .iter()
                        .all(|(k, v)| set.split(',').any(|pair| pair == format!("{k}=\"{v}\"")))
                        && set.split(',').count() == labels.len()
                }
                None => rest.is_empty() && labels.is_empty(),
            }
        })
        .and_then(|(_, value)| value.parse().ok())
}

#[tokio::test]
async fn metrics_count_deliveries_and_api_requests_exactly() {
    let handle = frameio_kit::telemetry::metrics::install().unwrap();
    assert!(
        frameio_kit::telemetry::metrics::install().is_ok(),
        "installing twice returns the same handle"
    );
    let mock = MockFrameio::start().await.unwrap();
    mock.on(Method::GET, "/v4/me").respond_data(
        200,
        json!({"id": "user-1", "name": "Ada", "email": "ada@example.com"}),
    );
    let client = Client::builder()
        .base_url(mock.base_url())
        .token(mock.token())
        .build()
        .unwrap();
    let app = App::new()
        .client(client)
        .metrics(handle)
        .handler(
            Handler::webhook(["file.ready"], on_ready)
                .secret(SECRET)
                .function_name("on_ready"),
        )
        .handler(
            Handler::webhook(["file.deleted"], broken)
                .secret(SECRET)
                .function_name("broken"),
        )
        .handler(
            Handler::action("whoami", whoami)
                .secret(SECRET)
                .function_name("whoami"),
        );
    let server = TestApp::new(app).secret(SECRET).serve().await.unwrap();

    for _ in 0..3 {
        let reply = server
            .deliver_signed(&webhook("file.ready", SECRET))
            .await
            .unwrap();
        assert_eq!(reply.status(), 200);
    }
    let forged = server
        .deliver_signed(&webhook("file.ready", "wrong-secret"))
        .await
        .unwrap();
    assert_eq!(forged.status(), 401);
    let failed = server
        .deliver_signed(&webhook("file.deleted", SECRET))
        .await
        .unwrap();
    assert_eq!(failed.status(), 500);
    let unknown = server
        .deliver_signed(&webhook("made.up.type", SECRET))
        .await
        .unwrap();
    assert_eq!(unknown.status(), 404);
    for _ in 0..2 {
        let reply = server.deliver_signed(&click()).await.unwrap();
        assert_eq!(reply.status(), 200);
    }

    let scraped = reqwest::get(format!("{}metrics", server.url()))
        .await
        .unwrap();
    assert_eq!(scraped.status(), 200);
    assert!(
        scraped.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain")
    );
    let text = scraped.text().await.unwrap();
    let deliveries = |event_type: &str, handler: &str, status: &str| {
        sample(
            &text,
            "frameio_deliveries_total",
            &[
                ("event_type", event_type),
                ("handler", handler),
                ("status", status),
            ],
        )
    };
    assert_eq!(
        deliveries("file.ready", "on_ready", "200"),
        Some(3.0),
        "{text}"
    );
    assert_eq!(
        deliveries("file.ready", "on_ready", "401"),
        Some(1.0),
        "{text}"
    );
    assert_eq!(
        deliveries("file.deleted", "broken", "500"),
        Some(1.0),
        "{text}"
    );
    // An unrouted type is not a label: the sender chose it.
    assert_eq!(deliveries("-", "-", "404"), Some(1.0), "{text}");
    assert!(!text.contains("made.up.type"), "{text}");
    assert_eq!(deliveries("whoami", "whoami", "200"), Some(2.0), "{text}");
    assert_eq!(
        sample(
            &text,
            "frameio_delivery_duration_seconds_count",
            &[("event_type", "file.ready"), ("handler", "on_ready")]
        ),
        Some(4.0),
        "{text}"
    );
    assert_eq!(
        sample(&text, "frameio_deliveries_in_flight", &[]),
        Some(0.0),
        "{text}"
    );
    assert_eq!(
        sample(
            &text,
            "frameio_api_requests_total",
            &[("method", "GET"), ("route", "/v4/me"), ("status", "200")]
        ),
        Some(2.0),
        "{text}"
    );
    assert!(!text.contains(SECRET) && !text.contains(&mock.token()));
    server.stop().await.unwrap();
}
