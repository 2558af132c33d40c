//! `frameio_kit::telemetry::init()` end to end: the spans go over OTLP/HTTP (protobuf) to the
//! testing crate's in-process receiver, configured only by `OTEL_EXPORTER_OTLP_ENDPOINT` and
//! `OTEL_SERVICE_NAME`.
//!
//! `init()` installs the global subscriber and reads the environment, so the traced code runs
//! in a child process: the test starts the receiver, `MockFrameio` and `MockIms`, runs this
//! same test binary again as `otlp_child_process` with those URLs in its environment, and
//! then checks what the receiver got and what the mocks received.
#![cfg(all(feature = "otel", feature = "client", feature = "auth"))]

use std::process::Command;
use std::time::Duration;

use frameio_kit::auth::{ImsClient, ImsConfig};
use frameio_kit::client::Client;
use frameio_kit::prelude::*;
use frameio_kit::telemetry::{attributes, spans};
use frameio_kit_testing::mock_frameio::Method;
use frameio_kit_testing::mock_ims::{CLIENT_ID, CLIENT_SECRET};
use frameio_kit_testing::otlp::{OtlpReceiver, ReceivedSpan, SpanKind, SpanStatus};
use frameio_kit_testing::{MockFrameio, MockIms, SignedRequest};
use serde_json::json;

/// Set in the child's environment only.
const CHILD_ENV: &str = "FRAMEIO_KIT_TEST_OTLP_CHILD";
const FRAMEIO_URL_ENV: &str = "FRAMEIO_KIT_TEST_OTLP_FRAMEIO_URL";
const FRAMEIO_TOKEN_ENV: &str = "FRAMEIO_KIT_TEST_OTLP_FRAMEIO_TOKEN";
const IMS_URL_ENV: &str = "FRAMEIO_KIT_TEST_OTLP_IMS_URL";

const SERVICE_NAME: &str = "frameio-kit-otlp-e2e";
const SECRET: &str = "signing-secret-never-in-a-span";
const FORM_VALUE: &str = "form-value-never-in-a-span";

/// Passes every delivery on; its span encloses the handler's.
struct Pass;
impl Middleware for Pass {}

async fn whoami(_event: ActionEvent, client: Client) -> Result<Message> {
    let me = client.users().me().await?;
    Ok(Message::new("You are", me.name))
}

async fn broken(_event: WebhookEvent) -> Result<()> {
    Err("the database is down".into())
}

fn env(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| panic!("{name} is set by the parent test"))
}

/// The traced half: runs only as the child process of the test below (without
/// [`CHILD_ENV`], as in a plain `cargo test`, it has nothing to do and returns).
#[test]
fn otlp_child_process() {
    if std::env::var_os(CHILD_ENV).is_none() {
        return;
    }
    let telemetry = frameio_kit::telemetry::init().expect("telemetry::init");
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let client = Client::builder()
            .base_url(env(FRAMEIO_URL_ENV))
            .token(env(FRAMEIO_TOKEN_ENV))
            .build()
            .unwrap();
        let service = App::new()
            .client(client)
            .middleware(Pass)
            .handler(
                Handler::action("whoami", whoami)
                    .secret(SECRET)
                    .function_name("whoami"),
            )
            .handler(
                Handler::webhook(["file.ready"], broken)
                    .secret(SECRET)
                    .function_name("broken"),
            )
            .build()
            .unwrap();

        let click = SignedRequest::json(
            SECRET,
            &json!({
                "account_id": "acc-1", "action_id": "act-1", "interaction_id": "int-1",
                "project": {"id": "proj-1"}, "resource": {"id": "file-1", "type": "file"},
                "type": "whoami", "user": {"id": "user-1"}, "workspace": {"id": "ws-1"},
                "data": {"password": FORM_VALUE}
            }),
        );
        let reply = service
            .dispatch(click.headers(), click.body().to_vec().into())
            .await;
        assert_eq!(reply.status(), 200);

        let webhook = SignedRequest::json(
            SECRET,
            &json!({
                "account": {"id": "acc-2"}, "project": {"id": "proj-2"},
                "resource": {"id": "file-2", "type": "file"}, "type": "file.ready",
                "user": {"id": "user-2"}, "workspace": {"id": "ws-2"}
            }),
        );
        let reply = service
            .dispatch(webhook.headers(), webhook.body().to_vec().into())
            .await;
        assert_eq!(reply.status(), 500);

        let ims = ImsClient::new(
            ImsConfig::new(CLIENT_ID)
                .with_client_secret(CLIENT_SECRET)
                .with_ims_base_url(env(IMS_URL_ENV))
                .with_timeout(Duration::from_secs(5)),
        )
        .unwrap();
        ims.client_credentials().await.unwrap();
    });
    drop(runtime);
    // Shuts the tracer provider down: the batch still queued is exported now.
    drop(telemetry);
}

fn one<'a>(spans: &'a [ReceivedSpan], name: &str) -> &'a ReceivedSpan {
    let found: Vec<&ReceivedSpan> = spans.iter().filter(|s| s.name == name).collect();
    assert_eq!(
        found.len(),
        1,
        "one span named {name:?} expected, got {:?}",
        spans.iter().map(|s| &s.name).collect::<Vec<_>>()
    );
    found[0]
}

fn child_of<'a>(spans: &'a [ReceivedSpan], name: &str, parent: &ReceivedSpan) -> &'a ReceivedSpan {
    spans
        .iter()
        .find(|s| s.name == name && s.is_child_of(parent))
        .unwrap_or_else(|| panic!("no {name:?} span under {:?}", parent.name))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn telemetry_init_exports_the_kit_spans_over_otlp() {
    let receiver = OtlpReceiver::start().await.unwrap();
    let frameio = MockFrameio::start().await.unwrap();
    frameio.on(Method::GET, "/v4/me").respond_data(
        200,
        json!({"id": "user-1", "name": "Ada", "email": "ada@example.com"}),
    );
    let ims = MockIms::start().await.unwrap();

    let mut child = Command::new(std::env::current_exe().unwrap());
    child
        .args([
            "--exact",
            "otlp_child_process",
            "--nocapture",
            "--test-threads",
            "1",
        ])
        .env(CHILD_ENV, "1")
        .env(FRAMEIO_URL_ENV, frameio.base_url())
        .env(FRAMEIO_TOKEN_ENV, frameio.token())
        .env(IMS_URL_ENV, ims.base_url())
        .env("OTEL_EXPORTER_OTLP_ENDPOINT", receiver.endpoint())
        .env("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf")
        .env("OTEL_SERVICE_NAME", SERVICE_NAME)
        .env("OTEL_TRACES_SAMPLER", "always_on")
        .env("OTEL_BSP_SCHEDULE_DELAY", "100")
        .env("RUST_LOG", "info")
        .env_remove("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")
        .env_remove("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL")
        .env_remove("OTEL_EXPORTER_OTLP_COMPRESSION")
        .env_remove("OTEL_EXPORTER_OTLP_TRACES_COMPRESSION")
        .env_remove("OTEL_SDK_DISABLED")
        .env_remove("OTEL_RESOURCE_ATTRIBUTES");
    let output = tokio::task::spawn_blocking(move || child.output())
        .await
        .unwrap()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "the traced child failed:\n{stdout}\n{stderr}"
    );
    assert!(
        stdout.contains("1 passed"),
        "the child ran its test:\n{stdout}"
    );

    // The child exported before it exited (shutdown flushes); wait a little in case the
    // last answer is still being read.
    let expected = [
        "frameio whoami",
        "frameio file.ready",
        "GET /v4/me",
        "POST ims /ims/token/v3",
    ];
    let spans = receiver
        .wait_for(Duration::from_secs(10), |spans| {
            expected
                .iter()
                .all(|name| spans.iter().any(|s| s.name == *name))
        })
        .await;
    assert_eq!(receiver.rejected(), 0, "every export was protobuf");
    assert!(receiver.exports() >= 1);

    // The SERVER span of the click, its attributes and its children.
    let click = one(&spans, "frameio whoami");
    assert_eq!(click.kind, SpanKind::Server);
    assert_eq!(click.status, SpanStatus::Unset);
    assert_eq!(click.parent_span_id, None);
    assert_eq!(click.resource_attribute("service.name"), Some(SERVICE_NAME));
    assert_eq!(click.scope, "frameio-kit");
    for (key, value) in [
        (attributes::EVENT_TYPE, "whoami"),
        (attributes::ACCOUNT_ID, "acc-1"),
        (attributes::ACTION_ID, "act-1"),
        (attributes::INTERACTION_ID, "int-1"),
        (attributes::PROJECT_ID, "proj-1"),
        (attributes::RESOURCE_ID, "file-1"),
        (attributes::RESOURCE_TYPE, "file"),
        (attributes::USER_ID, "user-1"),
        (attributes::WORKSPACE_ID, "ws-1"),
        (attributes::HANDLER, "whoami"),
        (attributes::HTTP_STATUS, "200"),
    ] {
        assert_eq!(click.attribute(key), Some(value), "{key}");
    }
    child_of(&spans, spans::SIGNATURE, click);
    let middleware = child_of(&spans, spans::MIDDLEWARE, click);
    let handler = child_of(&spans, spans::HANDLER, middleware);
    let api = one(&spans, "GET /v4/me");
    assert_eq!(api.kind, SpanKind::Client);
    assert!(
        api.is_child_of(handler),
        "the API call is inside the handler"
    );
    assert_eq!(api.attribute(attributes::HTTP_ROUTE), Some("/v4/me"));
    assert_eq!(api.attribute(attributes::HTTP_STATUS), Some("200"));

    // MockFrameio received the CLIENT span's context as `traceparent`.
    let received = frameio.requests_to(Method::GET, "/v4/me");
    assert_eq!(received.len(), 1);
    assert_eq!(
        received[0].header("traceparent"),
        Some(api.traceparent().as_str())
    );

    // The failing handler: error status and reason on its SERVER span.
    let failed = one(&spans, "frameio file.ready");
    assert_eq!(failed.kind, SpanKind::Server);
    assert!(
        matches!(&failed.status, SpanStatus::Error(message) if message.contains("the database is down")),
        "{:?}",
        failed.status
    );
    assert_eq!(failed.attribute(attributes::HTTP_STATUS), Some("500"));
    assert_eq!(failed.attribute(attributes::ACCOUNT_ID), Some("acc-2"));
    child_of(
        &spans,
        spans::HANDLER,
        child_of(&spans, spans::MIDDLEWARE, failed),
    );
    assert_ne!(failed.trace_id, click.trace_id, "one trace per delivery");

    // The IMS token request: a CLIENT span, and its context went to IMS.
    let token = one(&spans, "POST ims /ims/token/v3");
    assert_eq!(token.kind, SpanKind::Client);
    assert_eq!(token.attribute(attributes::HTTP_STATUS), Some("200"));
    let requests = ims.requests();
    let token_request = requests
        .iter()
        .find(|r| r.grant_type() == Some("client_credentials"))
        .expect("the token request");
    assert_eq!(
        token_request.header("traceparent"),
        Some(token.traceparent().as_str())
    );

    // No secret or token anywhere: not the signing secret, the API token, the IMS client
    // secret or any token IMS issued, nor the form data.
    let frameio_token = frameio.token();
    for span in &spans {
        for text in span.texts() {
            for secret in [
                SECRET,
                FORM_VALUE,
                frameio_token.as_str(),
                CLIENT_SECRET,
                "mock-access-",
                "mock-refresh-",
            ] {
                assert!(
                    !text.contains(secret),
                    "span {:?} holds a secret: {text:?}",
                    span.name
                );
            }
        }
    }
}
