//! OpenTelemetry traces (feature `otel`): the SERVER span of a delivery, its children, the
//! CLIENT spans of API and IMS requests with `traceparent` sent on, error status, and no
//! secret anywhere in an attribute. Spans go to the SDK's in-memory exporter.
#![cfg(all(feature = "otel", feature = "client", feature = "auth"))]

use std::time::Duration;

use frameio_kit::auth::{ImsClient, ImsConfig};
use frameio_kit::client::Client;
use frameio_kit::prelude::*;
use frameio_kit::telemetry::{attributes, spans};
use frameio_kit_testing::mock_frameio::Method;
use frameio_kit_testing::mock_ims::{CLIENT_ID, CLIENT_SECRET};
use frameio_kit_testing::{MockFrameio, MockIms, SignedRequest};
use opentelemetry::trace::{SpanKind, Status};
use opentelemetry_sdk::propagation::TraceContextPropagator;
use opentelemetry_sdk::trace::{InMemorySpanExporter, SdkTracerProvider, SpanData};
use serde_json::json;
use tracing_subscriber::layer::SubscriberExt;

const SECRET: &str = "signing-secret-never-in-a-span";
const FORM_VALUE: &str = "form-value-never-in-a-span";

/// Spans of everything run on this thread while it lives.
struct Traced {
    exporter: InMemorySpanExporter,
    provider: SdkTracerProvider,
    _default: tracing::subscriber::DefaultGuard,
}

impl Traced {
    fn start() -> Self {
        opentelemetry::global::set_text_map_propagator(TraceContextPropagator::new());
        let exporter = InMemorySpanExporter::default();
        let provider = SdkTracerProvider::builder()
            .with_simple_exporter(exporter.clone())
            .build();
        let subscriber =
            tracing_subscriber::registry().with(frameio_kit::telemetry::layer(&provider));
        let default = tracing::subscriber::set_default(subscriber);
        Self {
            exporter,
            provider,
            _default: default,
        }
    }

    fn spans(&self) -> Vec<SpanData> {
        self.provider.force_flush().unwrap();
        self.exporter.get_finished_spans().unwrap()
    }
}

fn attr(span: &SpanData, key: &str) -> Option<String> {
    span.attributes
        .iter()
        .find(|kv| kv.key.as_str() == key)
        .map(|kv| kv.value.to_string())
}

fn one<'a>(spans: &'a [SpanData], name: &str) -> &'a SpanData {
    let found: Vec<&SpanData> = spans.iter().filter(|s| s.name == name).collect();
    assert_eq!(
        found.len(),
        1,
        "one span named {name:?} expected, spans: {:?}",
        spans.iter().map(|s| &s.name).collect::<Vec<_>>()
    );
    found[0]
}

fn is_child(child: &SpanData, parent: &SpanData) -> bool {
    child.parent_span_id == parent.span_context.span_id()
        && child.span_context.trace_id() == parent.span_context.trace_id()
}

/// Passes every delivery on; its span must enclose the handler's.
struct Pass;
impl Middleware for Pass {}

async fn whoami(_event: ActionEvent, client: Client) -> Result<Message> {
    let me = client.users().me().await?;
    Ok(Message::new("You are", me.name))
}

async fn broken(_event: WebhookEvent) -> Result<()> {
    Err("the database is down".into())
}

fn click() -> SignedRequest {
    SignedRequest::json(
        SECRET,
        &json!({
            "account_id": "acc-1", "action_id": "act-1", "interaction_id": "int-1",
            "project": {"id": "proj-1"}, "resource": {"id": "file-1", "type": "file"},
            "type": "whoami", "user": {"id": "user-1"}, "workspace": {"id": "ws-1"},
            "data": {"password": FORM_VALUE}
        }),
    )
}

#[tokio::test]
async fn a_delivery_is_one_server_span_with_children_and_a_propagated_client_span() {
    let traced = Traced::start();
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
    let service = App::new()
        .client(client)
        .middleware(Pass)
        .handler(
            Handler::action("whoami", whoami)
                .secret(SECRET)
                .function_name("whoami"),
        )
        .build()
        .unwrap();
    let request = click();
    let reply = service
        .dispatch(request.headers(), request.body().to_vec().into())
        .await;
    assert_eq!(reply.status(), 200);

    let spans = traced.spans();
    let server = one(&spans, "frameio whoami");
    assert_eq!(server.span_kind, SpanKind::Server);
    assert_eq!(server.status, Status::Unset);
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
        assert_eq!(attr(server, key).as_deref(), Some(value), "{key}");
    }
    assert_eq!(attr(server, attributes::REFUSAL_REASON), None);

    let signature = one(&spans, spans::SIGNATURE);
    assert!(is_child(signature, server));
    let middleware = one(&spans, spans::MIDDLEWARE);
    assert!(is_child(middleware, server));
    assert!(
        attr(middleware, attributes::MIDDLEWARE)
            .unwrap()
            .ends_with("Pass")
    );
    let handler = one(&spans, spans::HANDLER);
    assert!(
        is_child(handler, middleware),
        "the handler runs inside the middleware"
    );

    let api = one(&spans, "GET /v4/me");
    assert_eq!(api.span_kind, SpanKind::Client);
    assert!(is_child(api, handler));
    assert_eq!(attr(api, attributes::HTTP_METHOD).as_deref(), Some("GET"));
    assert_eq!(attr(api, attributes::HTTP_ROUTE).as_deref(), Some("/v4/me"));
    assert_eq!(attr(api, attributes::HTTP_STATUS).as_deref(), Some("200"));

    // The API request carried the CLIENT span's context.
    let received = mock.requests_to(Method::GET, "/v4/me");
    assert_eq!(received.len(), 1);
    let expected = format!(
        "00-{}-{}-01",
        api.span_context.trace_id(),
        api.span_context.span_id()
    );
    assert_eq!(received[0].header("traceparent"), Some(expected.as_str()));

    // Nothing secret in any attribute: not the signing secret, the token, the signature, the
    // form data or the body.
    let token = mock.token();
    let signature_header = request
        .header_pairs()
        .into_iter()
        .find(|(name, _)| name.eq_ignore_ascii_case("x-frameio-signature"))
        .map(|(_, value)| value)
        .unwrap();
    let body = String::from_utf8(request.body().to_vec()).unwrap();
    for span in &spans {
        for kv in &span.attributes {
            let value = kv.value.to_string();
            for secret in [
                SECRET,
                token.as_str(),
                signature_header.as_str(),
                FORM_VALUE,
            ] {
                assert!(
                    !value.contains(secret),
                    "{} of {} holds a secret",
                    kv.key,
                    span.name
                );
            }
            assert_ne!(value, body, "{} of {} holds the body", kv.key, span.name);
        }
    }
}

#[tokio::test]
async fn a_failing_handler_sets_the_error_status() {
    let traced = Traced::start();
    let service = App::new()
        .handler(
            Handler::webhook(["file.ready"], broken)
                .secret(SECRET)
                .function_name("broken"),
        )
        .build()
        .unwrap();
    let request = SignedRequest::json(
        SECRET,
        &json!({
            "account": {"id": "acc-1"}, "project": {"id": "proj-1"},
            "resource": {"id": "file-1", "type": "file"}, "type": "file.ready",
            "user": {"id": "user-1"}, "workspace": {"id": "ws-1"}
        }),
    );
    let reply = service
        .dispatch(request.headers(), request.body().to_vec().into())
        .await;
    assert_eq!(reply.status(), 500);

    let spans = traced.spans();
    let server = one(&spans, "frameio file.ready");
    assert!(
        matches!(&server.status, Status::Error { description } if description.contains("the database is down")),
        "{:?}",
        server.status
    );
    assert_eq!(
        attr(server, attributes::HTTP_STATUS).as_deref(),
        Some("500")
    );
    assert!(
        attr(server, attributes::REFUSAL_REASON)
            .unwrap()
            .contains("the database is down")
    );
    assert_eq!(
        attr(server, attributes::ACCOUNT_ID).as_deref(),
        Some("acc-1")
    );
    assert!(is_child(one(&spans, spans::HANDLER), server));
}

#[tokio::test]
async fn a_refused_delivery_names_the_reason_without_an_error_status() {
    let traced = Traced::start();
    let service = App::new()
        .handler(Handler::webhook(["file.ready"], broken).secret(SECRET))
        .build()
        .unwrap();
    let forged = SignedRequest::json(
        "another-secret",
        &json!({
            "account": {"id": "acc-1"}, "project": {"id": "proj-1"},
            "resource": {"id": "file-1", "type": "file"}, "type": "file.ready",
            "user": {"id": "user-1"}, "workspace": {"id": "ws-1"}
        }),
    );
    let reply = service
        .dispatch(forged.headers(), forged.body().to_vec().into())
        .await;
    assert_eq!(reply.status(), 401);

    let spans = traced.spans();
    let server = one(&spans, "frameio file.ready");
    assert_eq!(server.status, Status::Unset);
    assert_eq!(
        attr(server, attributes::HTTP_STATUS).as_deref(),
        Some("401")
    );
    assert!(attr(server, attributes::REFUSAL_REASON).is_some());
    // Unverified: none of the body's ids is trusted enough to record.
    assert_eq!(attr(server, attributes::ACCOUNT_ID), None);
    assert!(spans.iter().all(|s| s.name != spans::HANDLER));
}

#[tokio::test]
async fn an_ims_token_request_is_a_client_span_without_the_client_secret() {
    let traced = Traced::start();
    let ims = MockIms::start().await.unwrap();
    let client = ImsClient::new(
        ImsConfig::new(CLIENT_ID)
            .with_client_secret(CLIENT_SECRET)
            .with_ims_base_url(ims.base_url())
            .with_timeout(Duration::from_secs(5)),
    )
    .unwrap();
    let token = client.client_credentials().await.unwrap();

    let spans = traced.spans();
    let span = one(&spans, "POST ims /ims/token/v3");
    assert_eq!(span.span_kind, SpanKind::Client);
    assert_eq!(attr(span, attributes::HTTP_STATUS).as_deref(), Some("200"));
    // MockIms received the CLIENT span's context as W3C `traceparent`.
    let requests = ims.requests();
    assert_eq!(requests.len(), 1);
    let expected = format!(
        "00-{}-{}-01",
        span.span_context.trace_id(),
        span.span_context.span_id()
    );
    assert_eq!(requests[0].header("traceparent"), Some(expected.as_str()));
    let access = token.access_token().to_owned();
    for kv in &span.attributes {
        let value = kv.value.to_string();
        assert!(!value.contains(CLIENT_SECRET), "{}", kv.key);
        assert!(!value.contains(&access), "{}", kv.key);
    }
}
