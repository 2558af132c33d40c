//! OpenTelemetry traces: set-up and the spans the pipeline, the API client and IMS sign-in
//! open.

use std::fmt;

use opentelemetry::trace::TracerProvider as _;
use opentelemetry_sdk::propagation::TraceContextPropagator;
use opentelemetry_sdk::trace::SdkTracerProvider;
use tracing::field::Empty;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

use super::{LogFormat, LogGuard, env_filter, fmt_layer, stdout_writer};
use crate::handler::DeliveryEvent;

/// Why [`init`] could not set up tracing.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum OtelError {
    /// The OTLP exporter could not be built from the `OTEL_*` settings.
    #[error("the otlp exporter could not be built: {0}")]
    Exporter(#[from] opentelemetry_otlp::ExporterBuildError),
    /// A `tracing` subscriber is already installed.
    #[error("a tracing subscriber is already installed")]
    AlreadyInstalled(#[from] tracing_subscriber::util::TryInitError),
}

/// Keeps tracing running: the tracer provider (its batch exporter) and the log writer.
/// Dropping it exports what is still queued and flushes the logs; hold it in `main`.
#[must_use = "dropping the guard stops exporting spans"]
pub struct Telemetry {
    provider: SdkTracerProvider,
    _logs: LogGuard,
}

impl fmt::Debug for Telemetry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Telemetry").finish_non_exhaustive()
    }
}

impl Telemetry {
    /// The tracer provider, e.g. to force a flush.
    pub fn provider(&self) -> &SdkTracerProvider {
        &self.provider
    }
}

impl Drop for Telemetry {
    fn drop(&mut self) {
        if let Err(err) = self.provider.shutdown() {
            eprintln!("frameio-kit: exporting the last spans failed: {err}");
        }
    }
}

/// Sets up logging ([`init_logging`](super::init_logging)'s) and OpenTelemetry tracing in one
/// call: spans are batched and exported over OTLP/HTTP (protobuf) to
/// `OTEL_EXPORTER_OTLP_ENDPOINT` (default `http://localhost:4318`, or
/// `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`), with `OTEL_SERVICE_NAME` and
/// `OTEL_RESOURCE_ATTRIBUTES` as the resource; W3C trace context is the propagator.
///
/// ```no_run
/// fn main() -> Result<(), Box<dyn std::error::Error>> {
///     let _telemetry = frameio_kit::telemetry::init()?;
///     frameio_kit::run()?;
///     Ok(())
/// }
/// ```
pub fn init() -> Result<Telemetry, OtelError> {
    let exporter = opentelemetry_otlp::SpanExporter::builder()
        .with_http()
        .build()?;
    let provider = SdkTracerProvider::builder()
        .with_batch_exporter(exporter)
        .with_resource(opentelemetry_sdk::Resource::builder().build())
        .build();
    opentelemetry::global::set_text_map_propagator(TraceContextPropagator::new());
    opentelemetry::global::set_tracer_provider(provider.clone());
    let (writer, logs) = stdout_writer();
    tracing_subscriber::registry()
        .with(env_filter())
        .with(fmt_layer(LogFormat::from_env(), writer))
        .with(layer(&provider))
        .try_init()?;
    Ok(Telemetry {
        provider,
        _logs: logs,
    })
}

/// The `tracing` layer turning the kit's spans into OpenTelemetry spans of `provider`, for
/// an application that builds its own subscriber (or a test with an in-memory exporter).
/// Outgoing `traceparent` headers use the global propagator: set
/// `opentelemetry::global::set_text_map_propagator(TraceContextPropagator::new())` too.
pub fn layer<S>(
    provider: &SdkTracerProvider,
) -> tracing_opentelemetry::OpenTelemetryLayer<S, opentelemetry_sdk::trace::Tracer>
where
    S: tracing::Subscriber + for<'a> tracing_subscriber::registry::LookupSpan<'a>,
{
    tracing_opentelemetry::layer().with_tracer(provider.tracer("frameio-kit"))
}

/// The SERVER span of one delivery; its name and attributes are recorded as the pipeline
/// learns them.
pub(crate) fn delivery_span() -> tracing::Span {
    tracing::info_span!(
        target: "frameio_kit::delivery",
        "frameio.delivery",
        otel.name = "frameio delivery",
        otel.kind = "server",
        "frameio.event.type" = Empty,
        "frameio.account.id" = Empty,
        "frameio.resource.id" = Empty,
        "frameio.resource.type" = Empty,
        "frameio.user.id" = Empty,
        "frameio.project.id" = Empty,
        "frameio.workspace.id" = Empty,
        "frameio.action.id" = Empty,
        "frameio.interaction.id" = Empty,
        "frameio.handler" = Empty,
        "frameio.refusal.reason" = Empty,
        "http.response.status_code" = Empty,
    )
}

/// Records the ids of a verified event on the current (delivery) span. Only ids: never the
/// form data or anything else from the body.
pub(crate) fn record_event(event: &DeliveryEvent) {
    let span = tracing::Span::current();
    span.record("frameio.account.id", event.account_id());
    span.record("frameio.user.id", event.user_id());
    let resource = event.resource();
    span.record("frameio.resource.id", resource.id.as_str());
    span.record("frameio.resource.type", resource.resource_type.as_str());
    match event {
        DeliveryEvent::Webhook(e) => {
            span.record("frameio.project.id", e.project.id.as_str());
            span.record("frameio.workspace.id", e.workspace.id.as_str());
        }
        DeliveryEvent::Action(e) => {
            span.record("frameio.project.id", e.project.id.as_str());
            span.record("frameio.workspace.id", e.workspace.id.as_str());
            span.record("frameio.action.id", e.action_id.as_str());
            span.record("frameio.interaction.id", e.interaction_id.as_str());
        }
    }
}

/// Records how a delivery ended: its name, handler, status and, for a refusal or failure,
/// the reason (a 5xx also sets the error status).
pub(crate) fn record_delivery(
    span: &tracing::Span,
    event_type: Option<&str>,
    handler: Option<&str>,
    status: u16,
    reason: Option<&dyn fmt::Display>,
) {
    use opentelemetry::trace::TraceContextExt as _;
    use tracing_opentelemetry::OpenTelemetrySpanExt as _;
    // The OpenTelemetry span has started: its name changes through its context.
    let context = span.context();
    let otel_span = context.span();
    if let Some(event_type) = event_type {
        otel_span.update_name(format!("frameio {event_type}"));
        span.record("frameio.event.type", event_type);
    }
    if let Some(handler) = handler {
        span.record("frameio.handler", handler);
    }
    span.record("http.response.status_code", status);
    if let Some(reason) = reason {
        span.record("frameio.refusal.reason", tracing::field::display(reason));
        if status >= 500 {
            let message = reason.to_string();
            otel_span.add_event(
                "exception",
                vec![opentelemetry::KeyValue::new(
                    "exception.message",
                    message.clone(),
                )],
            );
            otel_span.set_status(opentelemetry::trace::Status::error(message));
        }
    }
}

/// The CLIENT span of one outgoing request, and the `traceparent` it hands on.
#[cfg(any(feature = "client", feature = "auth"))]
pub(crate) struct ApiSpan {
    span: tracing::Span,
}

#[cfg(any(feature = "client", feature = "auth"))]
impl ApiSpan {
    /// A Frame.io API request: `<METHOD> <route template>`.
    #[cfg_attr(not(feature = "client"), allow(dead_code))]
    pub(crate) fn api(method: &str, route: &str) -> Self {
        let span = tracing::info_span!(
            target: "frameio_kit::client",
            "frameio.api",
            otel.name = format_args!("{method} {route}"),
            otel.kind = "client",
            otel.status_code = Empty,
            "http.request.method" = method,
            "http.route" = route,
            "http.response.status_code" = Empty,
            "http.request.resend_count" = Empty,
        );
        Self { span }
    }

    /// An Adobe IMS token request.
    #[cfg_attr(not(feature = "auth"), allow(dead_code))]
    pub(crate) fn ims(path: &str) -> Self {
        let span = tracing::info_span!(
            target: "frameio_kit::auth",
            "frameio.ims",
            otel.name = format_args!("POST ims {path}"),
            otel.kind = "client",
            otel.status_code = Empty,
            "http.request.method" = "POST",
            "http.route" = path,
            "http.response.status_code" = Empty,
        );
        Self { span }
    }

    /// The span, to instrument the request's future with.
    pub(crate) fn span(&self) -> tracing::Span {
        self.span.clone()
    }

    /// The W3C `traceparent` (and `tracestate`) headers of this span.
    #[cfg_attr(not(feature = "auth"), allow(dead_code))]
    pub(crate) fn headers(&self) -> reqwest::header::HeaderMap {
        trace_headers(&self.span)
    }

    /// Records the answer (or its absence) and the retries.
    pub(crate) fn finish(&self, status: Option<u16>, retries: u32, failed: bool) {
        if let Some(status) = status {
            self.span.record("http.response.status_code", status);
        }
        if retries > 0 {
            self.span.record("http.request.resend_count", retries);
        }
        if failed {
            self.span.record("otel.status_code", "ERROR");
        }
    }
}

/// The W3C trace-context headers of `span`, by the global propagator.
#[cfg(any(feature = "client", feature = "auth"))]
pub(crate) fn trace_headers(span: &tracing::Span) -> reqwest::header::HeaderMap {
    use tracing_opentelemetry::OpenTelemetrySpanExt as _;
    let mut headers = reqwest::header::HeaderMap::new();
    let context = span.context();
    opentelemetry::global::get_text_map_propagator(|propagator| {
        propagator.inject_context(&context, &mut HeaderInjector(&mut headers));
    });
    headers
}

#[cfg(any(feature = "client", feature = "auth"))]
struct HeaderInjector<'a>(&'a mut reqwest::header::HeaderMap);

#[cfg(any(feature = "client", feature = "auth"))]
impl opentelemetry::propagation::Injector for HeaderInjector<'_> {
    fn set(&mut self, key: &str, value: String) {
        if let (Ok(name), Ok(value)) = (
            reqwest::header::HeaderName::from_bytes(key.as_bytes()),
            reqwest::header::HeaderValue::from_str(&value),
        ) {
            self.0.insert(name, value);
        }
    }
}
