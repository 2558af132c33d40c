//! An in-process OpenTelemetry collector for tests: a real HTTP server on `127.0.0.1` with an
//! ephemeral port that accepts OTLP/HTTP protobuf exports (`POST /v1/traces`, what
//! `frameio_kit::telemetry::init()` and any `opentelemetry-otlp` HTTP exporter send), decodes
//! them with `opentelemetry-proto` and keeps every span for assertions.
//!
//! Point the exporter at [`OtlpReceiver::endpoint`] (as `OTEL_EXPORTER_OTLP_ENDPOINT`, or
//! [`OtlpReceiver::traces_url`] as the exporter's endpoint), run the code under test, flush
//! or drop the tracer provider, then look at [`OtlpReceiver::spans`] (or wait for them with
//! [`OtlpReceiver::wait_for`]).
//!
//! ```
//! use frameio_kit_testing::otlp::OtlpReceiver;
//!
//! # frameio_kit_testing::block_on(async {
//! let receiver = OtlpReceiver::start().await?;
//! let endpoint = receiver.endpoint(); // OTEL_EXPORTER_OTLP_ENDPOINT for the process under test
//! // …run it, then:
//! assert!(receiver.spans().is_empty());
//! # let _ = endpoint;
//! # Ok::<(), std::io::Error>(())
//! # }).unwrap().unwrap();
//! ```
//!
//! Only the protobuf encoding is accepted, uncompressed (the OTLP/HTTP default): a JSON or
//! compressed export is answered `415` and counted in [`OtlpReceiver::rejected`], so a
//! misconfigured exporter fails the test instead of losing spans silently.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use actix_web::{App, HttpRequest, HttpResponse, HttpServer, dev::ServerHandle, web};
use bytes::Bytes;
use opentelemetry_proto::tonic::collector::trace::v1::{
    ExportTraceServiceRequest, ExportTraceServiceResponse,
};
use opentelemetry_proto::tonic::common::v1::{AnyValue, KeyValue, any_value};
use opentelemetry_proto::tonic::trace::v1::{span, status};
use prost::Message as _;

/// The path OTLP/HTTP exporters send spans to.
pub const TRACES_PATH: &str = "/v1/traces";

/// The largest export accepted (larger ones are answered `413`).
const MAX_EXPORT: usize = 32 * 1024 * 1024;

/// What a span measured, as OpenTelemetry's `SpanKind`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SpanKind {
    /// Not set by the exporter.
    Unspecified,
    /// Internal work.
    Internal,
    /// Handling a request (a delivery).
    Server,
    /// A request to another service (Frame.io, IMS).
    Client,
    /// Sending a message.
    Producer,
    /// Receiving a message.
    Consumer,
}

impl SpanKind {
    fn from_proto(kind: i32) -> Self {
        match span::SpanKind::try_from(kind) {
            Ok(span::SpanKind::Internal) => Self::Internal,
            Ok(span::SpanKind::Server) => Self::Server,
            Ok(span::SpanKind::Client) => Self::Client,
            Ok(span::SpanKind::Producer) => Self::Producer,
            Ok(span::SpanKind::Consumer) => Self::Consumer,
            Ok(span::SpanKind::Unspecified) | Err(_) => Self::Unspecified,
        }
    }
}

/// A span's status.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum SpanStatus {
    /// Not set: the default for a span that did not fail.
    Unset,
    /// Explicitly successful.
    Ok,
    /// Failed, with the status message.
    Error(String),
}

/// One event recorded on a span (e.g. an `exception`).
#[derive(Debug, Clone, PartialEq)]
pub struct SpanEvent {
    /// The event name.
    pub name: String,
    /// Its attributes, values rendered as text.
    pub attributes: BTreeMap<String, String>,
}

/// One span as the receiver decoded it. Ids are lowercase hex, as in `traceparent`.
#[derive(Debug, Clone, PartialEq)]
pub struct ReceivedSpan {
    /// The span name, e.g. `frameio whoami` or `GET /v4/me`.
    pub name: String,
    /// The trace id (32 hex digits).
    pub trace_id: String,
    /// The span id (16 hex digits).
    pub span_id: String,
    /// The parent's span id, `None` for a root span.
    pub parent_span_id: Option<String>,
    /// The span kind.
    pub kind: SpanKind,
    /// The status.
    pub status: SpanStatus,
    /// The span's attributes, values rendered as text (strings as they are, numbers and
    /// booleans in decimal, arrays as `[a, b]`).
    pub attributes: BTreeMap<String, String>,
    /// The events recorded on the span.
    pub events: Vec<SpanEvent>,
    /// The attributes of the resource that exported it (`service.name`…).
    pub resource: BTreeMap<String, String>,
    /// The instrumentation scope's name (`frameio-kit` for the kit's spans).
    pub scope: String,
    /// Start and end, nanoseconds since the Unix epoch.
    pub start_end_unix_nano: (u64, u64),
}

impl ReceivedSpan {
    /// An attribute's value as text.
    pub fn attribute(&self, key: &str) -> Option<&str> {
        self.attributes.get(key).map(String::as_str)
    }

    /// A resource attribute's value, e.g. `service.name`.
    pub fn resource_attribute(&self, key: &str) -> Option<&str> {
        self.resource.get(key).map(String::as_str)
    }

    /// Whether this span is a direct child of `parent` (same trace, parent id).
    pub fn is_child_of(&self, parent: &ReceivedSpan) -> bool {
        self.trace_id == parent.trace_id
            && self.parent_span_id.as_deref() == Some(parent.span_id.as_str())
    }

    /// The W3C `traceparent` a request sent inside this span carries (sampled):
    /// `00-{trace id}-{span id}-01`.
    pub fn traceparent(&self) -> String {
        format!("00-{}-{}-01", self.trace_id, self.span_id)
    }

    /// Every text the span holds (name, attribute and event values, status message), to
    /// check that none of them contains a secret.
    pub fn texts(&self) -> impl Iterator<Item = &str> {
        let status = match &self.status {
            SpanStatus::Error(message) => Some(message.as_str()),
            _ => None,
        };
        std::iter::once(self.name.as_str())
            .chain(self.attributes.values().map(String::as_str))
            .chain(self.events.iter().flat_map(|e| {
                std::iter::once(e.name.as_str()).chain(e.attributes.values().map(String::as_str))
            }))
            .chain(status)
    }
}

#[derive(Debug, Default)]
struct State {
    spans: Vec<ReceivedSpan>,
    exports: usize,
    rejected: usize,
}

type Shared = Arc<Mutex<State>>;

fn lock(state: &Shared) -> MutexGuard<'_, State> {
    state.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The receiver; stops when dropped.
pub struct OtlpReceiver {
    base_url: String,
    state: Shared,
    handle: ServerHandle,
}

impl fmt::Debug for OtlpReceiver {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OtlpReceiver")
            .field("base_url", &self.base_url)
            .finish_non_exhaustive()
    }
}

impl Drop for OtlpReceiver {
    fn drop(&mut self) {
        // `stop` sends the command at once; the returned future only waits for completion.
        drop(self.handle.stop(false));
    }
}

impl OtlpReceiver {
    /// Starts a receiver on `127.0.0.1` with an ephemeral port. Needs a Tokio runtime.
    ///
    /// # Errors
    ///
    /// When no port can be bound.
    pub async fn start() -> std::io::Result<Self> {
        let state: Shared = Arc::default();
        let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
        let port = listener.local_addr()?.port();
        let data = web::Data::new(Arc::clone(&state));
        let server = HttpServer::new(move || {
            App::new()
                .app_data(data.clone())
                .app_data(web::PayloadConfig::new(MAX_EXPORT))
                .route(TRACES_PATH, web::post().to(export))
        })
        .workers(1)
        .disable_signals()
        .shutdown_timeout(1)
        .listen(listener)?
        .run();
        let handle = server.handle();
        tokio::spawn(server);
        Ok(Self {
            base_url: format!("http://127.0.0.1:{port}"),
            state,
            handle,
        })
    }

    /// The base URL, for `OTEL_EXPORTER_OTLP_ENDPOINT` (the exporter adds `/v1/traces`).
    pub fn endpoint(&self) -> &str {
        &self.base_url
    }

    /// The full traces URL, for `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` or an exporter's
    /// `with_endpoint`.
    pub fn traces_url(&self) -> String {
        format!("{}{TRACES_PATH}", self.base_url)
    }

    /// Every span received so far, in the order received.
    pub fn spans(&self) -> Vec<ReceivedSpan> {
        lock(&self.state).spans.clone()
    }

    /// The spans named `name`.
    pub fn spans_named(&self, name: &str) -> Vec<ReceivedSpan> {
        lock(&self.state)
            .spans
            .iter()
            .filter(|s| s.name == name)
            .cloned()
            .collect()
    }

    /// How many exports were accepted.
    pub fn exports(&self) -> usize {
        lock(&self.state).exports
    }

    /// How many requests were refused (not protobuf, compressed, or undecodable).
    pub fn rejected(&self) -> usize {
        lock(&self.state).rejected
    }

    /// Forgets the spans received so far.
    pub fn clear(&self) {
        let mut state = lock(&self.state);
        state.spans.clear();
        state.exports = 0;
        state.rejected = 0;
    }

    /// Waits until `done` holds for the spans received (checked every 20 ms), at most
    /// `timeout` (exporters batch in the background), and returns them. On timeout it
    /// returns what it has, so the test's own assertion says what is missing.
    pub async fn wait_for(
        &self,
        timeout: Duration,
        done: impl Fn(&[ReceivedSpan]) -> bool,
    ) -> Vec<ReceivedSpan> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let spans = self.spans();
            if done(&spans) || tokio::time::Instant::now() >= deadline {
                return spans;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Stops the server and waits for it.
    pub async fn stop(self) {
        self.handle.stop(true).await;
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn text(value: Option<&AnyValue>) -> String {
    match value.and_then(|v| v.value.as_ref()) {
        None => String::new(),
        Some(any_value::Value::StringValue(s)) => s.clone(),
        Some(any_value::Value::BoolValue(b)) => b.to_string(),
        Some(any_value::Value::IntValue(i)) => i.to_string(),
        Some(any_value::Value::DoubleValue(d)) => d.to_string(),
        Some(any_value::Value::BytesValue(b)) => hex(b),
        // An index into a string table (profiles only); traces do not use it.
        Some(any_value::Value::StringValueStrindex(i)) => format!("<string #{i}>"),
        Some(any_value::Value::ArrayValue(a)) => format!(
            "[{}]",
            a.values
                .iter()
                .map(|v| text(Some(v)))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        Some(any_value::Value::KvlistValue(list)) => format!(
            "{{{}}}",
            list.values
                .iter()
                .map(|kv| format!("{}: {}", kv.key, text(kv.value.as_ref())))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

fn attributes(list: &[KeyValue]) -> BTreeMap<String, String> {
    list.iter()
        .map(|kv| (kv.key.clone(), text(kv.value.as_ref())))
        .collect()
}

fn decode(request: ExportTraceServiceRequest) -> Vec<ReceivedSpan> {
    let mut spans = Vec::new();
    for resource_spans in request.resource_spans {
        let resource = resource_spans
            .resource
            .map(|r| attributes(&r.attributes))
            .unwrap_or_default();
        for scope_spans in resource_spans.scope_spans {
            let scope = scope_spans.scope.map(|s| s.name).unwrap_or_default();
            for s in scope_spans.spans {
                let status = match s.status {
                    Some(st) if st.code == status::StatusCode::Error as i32 => {
                        SpanStatus::Error(st.message)
                    }
                    Some(st) if st.code == status::StatusCode::Ok as i32 => SpanStatus::Ok,
                    _ => SpanStatus::Unset,
                };
                spans.push(ReceivedSpan {
                    name: s.name,
                    trace_id: hex(&s.trace_id),
                    span_id: hex(&s.span_id),
                    parent_span_id: (!s.parent_span_id.is_empty()).then(|| hex(&s.parent_span_id)),
                    kind: SpanKind::from_proto(s.kind),
                    status,
                    attributes: attributes(&s.attributes),
                    events: s
                        .events
                        .iter()
                        .map(|e| SpanEvent {
                            name: e.name.clone(),
                            attributes: attributes(&e.attributes),
                        })
                        .collect(),
                    resource: resource.clone(),
                    scope: scope.clone(),
                    start_end_unix_nano: (s.start_time_unix_nano, s.end_time_unix_nano),
                });
            }
        }
    }
    spans
}

fn refuse(state: &Shared, status: actix_web::http::StatusCode, why: &str) -> HttpResponse {
    lock(state).rejected += 1;
    HttpResponse::build(status)
        .content_type("text/plain; charset=utf-8")
        .body(why.to_owned())
}

async fn export(state: web::Data<Shared>, req: HttpRequest, body: Bytes) -> HttpResponse {
    use actix_web::http::StatusCode;
    let header = |name: &str| {
        req.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_ascii_lowercase()
    };
    let content_type = header("content-type");
    if !content_type.starts_with("application/x-protobuf") {
        return refuse(
            &state,
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "this receiver accepts application/x-protobuf only",
        );
    }
    let encoding = header("content-encoding");
    if !(encoding.is_empty() || encoding == "identity") {
        return refuse(
            &state,
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "this receiver accepts uncompressed exports only",
        );
    }
    let request = match ExportTraceServiceRequest::decode(body) {
        Ok(request) => request,
        Err(err) => {
            return refuse(
                &state,
                StatusCode::BAD_REQUEST,
                &format!("not an OTLP trace export: {err}"),
            );
        }
    };
    let spans = decode(request);
    {
        let mut st = lock(&state);
        st.exports += 1;
        st.spans.extend(spans);
    }
    HttpResponse::Ok()
        .content_type("application/x-protobuf")
        .body(ExportTraceServiceResponse::default().encode_to_vec())
}

#[cfg(test)]
mod tests {
    use super::*;
    use opentelemetry_proto::tonic::common::v1::InstrumentationScope;
    use opentelemetry_proto::tonic::resource::v1::Resource;
    use opentelemetry_proto::tonic::trace::v1::{ResourceSpans, ScopeSpans, Span, Status};

    fn kv(key: &str, value: any_value::Value) -> KeyValue {
        KeyValue {
            key: key.to_owned(),
            value: Some(AnyValue { value: Some(value) }),
            ..Default::default()
        }
    }

    #[tokio::test]
    async fn decodes_a_protobuf_export_and_refuses_anything_else() {
        let receiver = OtlpReceiver::start().await.unwrap();
        let export = ExportTraceServiceRequest {
            resource_spans: vec![ResourceSpans {
                resource: Some(Resource {
                    attributes: vec![kv(
                        "service.name",
                        any_value::Value::StringValue("svc".into()),
                    )],
                    ..Default::default()
                }),
                scope_spans: vec![ScopeSpans {
                    scope: Some(InstrumentationScope {
                        name: "frameio-kit".into(),
                        ..Default::default()
                    }),
                    spans: vec![
                        Span {
                            trace_id: vec![0xab; 16],
                            span_id: vec![1; 8],
                            name: "root".into(),
                            kind: span::SpanKind::Server as i32,
                            attributes: vec![
                                kv("http.response.status_code", any_value::Value::IntValue(500)),
                                kv("ok", any_value::Value::BoolValue(false)),
                            ],
                            status: Some(Status {
                                message: "boom".into(),
                                code: status::StatusCode::Error as i32,
                            }),
                            ..Default::default()
                        },
                        Span {
                            trace_id: vec![0xab; 16],
                            span_id: vec![2; 8],
                            parent_span_id: vec![1; 8],
                            name: "child".into(),
                            kind: span::SpanKind::Client as i32,
                            ..Default::default()
                        },
                    ],
                    ..Default::default()
                }],
                ..Default::default()
            }],
        };
        let http = reqwest::Client::new();
        let answer = http
            .post(receiver.traces_url())
            .header("content-type", "application/x-protobuf")
            .body(export.encode_to_vec())
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status(), 200);
        let body = answer.bytes().await.unwrap();
        ExportTraceServiceResponse::decode(body).unwrap();

        let spans = receiver.spans();
        assert_eq!(spans.len(), 2);
        let (root, child) = (&spans[0], &spans[1]);
        assert_eq!(root.trace_id, "ab".repeat(16));
        assert_eq!(root.span_id, "0101010101010101");
        assert_eq!(root.parent_span_id, None);
        assert_eq!(root.kind, SpanKind::Server);
        assert_eq!(root.status, SpanStatus::Error("boom".into()));
        assert_eq!(root.attribute("http.response.status_code"), Some("500"));
        assert_eq!(root.attribute("ok"), Some("false"));
        assert_eq!(root.resource_attribute("service.name"), Some("svc"));
        assert_eq!(root.scope, "frameio-kit");
        assert!(child.is_child_of(root));
        assert!(!root.is_child_of(child));
        assert_eq!(child.kind, SpanKind::Client);
        assert_eq!(child.status, SpanStatus::Unset);
        assert_eq!(
            root.traceparent(),
            format!("00-{}-0101010101010101-01", "ab".repeat(16))
        );
        assert_eq!(receiver.spans_named("child").len(), 1);
        assert_eq!(receiver.exports(), 1);

        // JSON, compressed and garbage exports are refused, and counted.
        for (content_type, encoding, body) in [
            ("application/json", "", b"{}".to_vec()),
            ("application/x-protobuf", "gzip", export.encode_to_vec()),
            (
                "application/x-protobuf",
                "",
                b"\xff\xff\xff not protobuf".to_vec(),
            ),
        ] {
            let mut request = http
                .post(receiver.traces_url())
                .header("content-type", content_type)
                .body(body);
            if !encoding.is_empty() {
                request = request.header("content-encoding", encoding);
            }
            let status = request.send().await.unwrap().status();
            assert!(
                status.is_client_error(),
                "{content_type} {encoding}: {status}"
            );
        }
        assert_eq!(receiver.rejected(), 3);
        assert_eq!(receiver.spans().len(), 2);

        receiver.clear();
        assert!(receiver.spans().is_empty());
        receiver.stop().await;
    }
}
