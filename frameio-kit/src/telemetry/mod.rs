//! Observability: production logging, OpenTelemetry traces (feature `otel`) and Prometheus
//! metrics (feature `metrics`). The guide is `docs/observability.md`.
//!
//! - [`init_logging`] installs the kit's log subscriber: `RUST_LOG` filtering (default
//!   `info`), a non-blocking writer so a delivery never waits on standard output, JSON lines
//!   when `FRAMEIO_KIT_LOG_FORMAT=json`, colour only on a terminal. [`App::serve`](crate::App::serve)
//!   calls it unless a subscriber is already set.
//! - With `otel`, `init` does the same plus an OpenTelemetry layer exporting over OTLP/HTTP,
//!   configured from the standard `OTEL_*` variables. The receiver then opens a SERVER span
//!   per delivery (named `frameio <event type>`, attributes below), child spans for the
//!   signature check, each middleware and the handler, and the API client and IMS sign-in
//!   open CLIENT spans whose context goes out as a W3C `traceparent` header.
//! - With `metrics`, `metrics::install` installs a Prometheus recorder and `App::metrics`
//!   serves it at `GET /metrics`.
//!
//! Without the features none of the span or metric code is compiled in.

use std::io::IsTerminal;

use tracing_subscriber::EnvFilter;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

#[cfg(feature = "metrics")]
pub mod metrics;
#[cfg(feature = "otel")]
mod otel;
mod text;
mod writer;
#[cfg(feature = "otel")]
#[cfg(all(feature = "otel", any(feature = "client", feature = "auth")))]
pub(crate) use otel::{ApiSpan, trace_headers};
#[cfg(feature = "otel")]
pub use otel::{OtelError, Telemetry, init, layer};
#[cfg(feature = "otel")]
pub(crate) use otel::{delivery_span, record_delivery, record_event};

/// Makes a boxed future inside `span` and runs it there (the pipeline's middleware and
/// handler spans). Made inside too: a middleware may call `next.run` before its first poll.
#[cfg(feature = "otel")]
pub(crate) fn in_span<'a, T: 'a>(
    span: tracing::Span,
    make: impl FnOnce() -> std::pin::Pin<Box<dyn Future<Output = T> + Send + 'a>>,
) -> std::pin::Pin<Box<dyn Future<Output = T> + Send + 'a>> {
    let future = span.in_scope(make);
    Box::pin(tracing::Instrument::instrument(future, span))
}

/// Sends an Adobe IMS request inside a CLIENT span carrying `traceparent`, and counts it.
#[cfg(all(any(feature = "otel", feature = "metrics"), feature = "auth"))]
pub(crate) async fn ims_request(
    path: &str,
    request: reqwest::RequestBuilder,
) -> Result<reqwest::Response, reqwest::Error> {
    #[cfg(feature = "otel")]
    let span = ApiSpan::ims(path);
    #[cfg(feature = "otel")]
    let request = request.headers(span.headers());
    let sending = request.send();
    #[cfg(feature = "otel")]
    let sending = tracing::Instrument::instrument(sending, span.span());
    let result = sending.await;
    let status = result.as_ref().ok().map(|r| r.status().as_u16());
    #[cfg(feature = "otel")]
    span.finish(status, 0, status.is_none_or(|s| s >= 400));
    #[cfg(feature = "metrics")]
    metrics::ims_request(path, status);
    result
}

/// Names of the span attributes the kit sets (the Python frameio-kit's names where it has
/// them). None of them ever holds a secret, a token or a body.
pub mod attributes {
    /// The event type, e.g. `file.ready`.
    pub const EVENT_TYPE: &str = "frameio.event.type";
    /// The account id.
    pub const ACCOUNT_ID: &str = "frameio.account.id";
    /// The resource id.
    pub const RESOURCE_ID: &str = "frameio.resource.id";
    /// The resource type (`file`, `folder`, `version_stack`).
    pub const RESOURCE_TYPE: &str = "frameio.resource.type";
    /// The id of the user whose act caused the delivery.
    pub const USER_ID: &str = "frameio.user.id";
    /// The project id.
    pub const PROJECT_ID: &str = "frameio.project.id";
    /// The workspace id.
    pub const WORKSPACE_ID: &str = "frameio.workspace.id";
    /// Custom actions only: the action id.
    pub const ACTION_ID: &str = "frameio.action.id";
    /// Custom actions only: the interaction id (shared by a click and its form submits).
    pub const INTERACTION_ID: &str = "frameio.interaction.id";
    /// The handler function's name.
    pub const HANDLER: &str = "frameio.handler";
    /// Why a delivery was refused or failed (a short, secret-free reason).
    pub const REFUSAL_REASON: &str = "frameio.refusal.reason";
    /// The HTTP status answered (SERVER span) or received (CLIENT span).
    pub const HTTP_STATUS: &str = "http.response.status_code";
    /// The HTTP method of an outgoing request.
    pub const HTTP_METHOD: &str = "http.request.method";
    /// The route template of an outgoing API request, ids replaced by `{id}`.
    pub const HTTP_ROUTE: &str = "http.route";
    /// How many times an outgoing request was retried.
    pub const RETRY_COUNT: &str = "http.request.resend_count";
    /// The host an outgoing request went to.
    pub const SERVER_ADDRESS: &str = "server.address";
    /// The name of a middleware (its type name).
    pub const MIDDLEWARE: &str = "frameio.middleware";
}

/// Names of the spans the kit opens, besides the SERVER span `frameio <event type>`.
pub mod spans {
    /// The signature and timestamp check, child of the delivery's span.
    pub const SIGNATURE: &str = "frameio.signature";
    /// One middleware (it encloses the rest of the chain).
    pub const MIDDLEWARE: &str = "frameio.middleware";
    /// The handler.
    pub const HANDLER: &str = "frameio.handler";
    /// A Frame.io API request (CLIENT), named `<METHOD> <route template>` when exported.
    pub const API_REQUEST: &str = "frameio.api";
    /// An Adobe IMS token request (CLIENT), named `POST ims token` when exported.
    pub const IMS_TOKEN: &str = "frameio.ims.token";
}

/// The environment variable choosing the log format: `json` for one JSON object per line,
/// anything else (or unset) for text.
pub const LOG_FORMAT_ENV: &str = "FRAMEIO_KIT_LOG_FORMAT";

/// Keeps the non-blocking log writer running; dropping it flushes what is queued. Hold it
/// for the life of the program (`let _guard = …;` in `main`).
#[must_use = "dropping the guard stops the log writer"]
#[derive(Debug)]
pub struct LogGuard {
    _writer: writer::BatchGuard,
}

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum LogFormat {
    /// Human-readable text, coloured only when standard output is a terminal.
    Text,
    /// One JSON object per line, for log shippers.
    Json,
}

impl LogFormat {
    /// The format `FRAMEIO_KIT_LOG_FORMAT` asks for (`json`, case-insensitive; text
    /// otherwise).
    pub fn from_env() -> Self {
        match std::env::var(LOG_FORMAT_ENV) {
            Ok(v) if v.trim().eq_ignore_ascii_case("json") => Self::Json,
            _ => Self::Text,
        }
    }
}

/// A `fmt` layer writing to `writer` in `format`, with colour only on a terminal (and
/// `NO_COLOR` unset). Boxed so callers can stack it with others.
fn fmt_layer<S>(
    format: LogFormat,
    writer: writer::BatchWriter,
) -> Box<dyn tracing_subscriber::Layer<S> + Send + Sync>
where
    S: tracing::Subscriber + for<'a> tracing_subscriber::registry::LookupSpan<'a>,
{
    match format {
        LogFormat::Json => Box::new(
            tracing_subscriber::fmt::layer()
                .json()
                .with_current_span(false)
                .with_span_list(false)
                .with_writer(writer),
        ),
        LogFormat::Text => {
            let colour = std::io::stdout().is_terminal()
                && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
            if colour {
                Box::new(
                    tracing_subscriber::fmt::layer()
                        .with_ansi(true)
                        .with_writer(writer),
                )
            } else {
                Box::new(
                    tracing_subscriber::fmt::layer()
                        .event_format(text::PlainText)
                        .with_writer(writer),
                )
            }
        }
    }
}

/// A non-blocking writer to standard output: lines are gathered in a buffer that a writer
/// thread writes out in batches (see [`writer`] for why not `tracing-appender`). Lines beyond
/// what the buffer holds are dropped, and counted, rather than slowing deliveries down.
fn stdout_writer() -> (writer::BatchWriter, LogGuard) {
    let (writer, guard) = writer::batch_writer(std::io::stdout());
    (writer, LogGuard { _writer: guard })
}

fn env_filter() -> EnvFilter {
    EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"))
}

/// Installs the kit's log subscriber: filtered by `RUST_LOG` (default `info`), written by a
/// non-blocking writer to standard output, as text or as JSON ([`LOG_FORMAT_ENV`]). Returns
/// `None`, changing nothing, when a subscriber is already set.
///
/// ```no_run
/// fn main() -> std::io::Result<()> {
///     let _logs = frameio_kit::telemetry::init_logging();
///     frameio_kit::run()
/// }
/// ```
pub fn init_logging() -> Option<LogGuard> {
    let (writer, guard) = stdout_writer();
    tracing_subscriber::registry()
        .with(env_filter())
        .with(fmt_layer(LogFormat::from_env(), writer))
        .try_init()
        .ok()
        .map(|()| guard)
}

/// The route template of an API path: every segment that is not a plain lowercase word
/// (`accounts`, `version_stacks`, `me`) or an API version (`v4`) becomes `{id}`, so metrics
/// and span names stay few.
#[cfg(any(feature = "otel", feature = "metrics"))]
#[cfg_attr(not(feature = "client"), allow(dead_code))]
pub(crate) fn route_template(path: &str) -> String {
    // A pagination link is absolute: keep its path.
    let path = match path.split_once("://") {
        Some((_, rest)) => rest.find('/').map_or("/", |at| &rest[at..]),
        None => path,
    };
    let path = path.split(['?', '#']).next().unwrap_or(path);
    let mut out = String::with_capacity(path.len());
    for segment in path.split('/').filter(|s| !s.is_empty()) {
        out.push('/');
        let word = segment
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b == b'_' || b == b'-');
        let version = segment.len() > 1
            && segment.starts_with('v')
            && segment[1..].bytes().all(|b| b.is_ascii_digit());
        if word || version {
            out.push_str(segment);
        } else {
            out.push_str("{id}");
        }
    }
    if out.is_empty() {
        out.push('/');
    }
    out
}

#[cfg(all(test, any(feature = "otel", feature = "metrics")))]
mod tests {
    use super::route_template;

    #[test]
    fn ids_become_placeholders() {
        assert_eq!(
            route_template("/v4/accounts/1f2e-33/files/ab12?include=x"),
            "/v4/accounts/{id}/files/{id}"
        );
        assert_eq!(route_template("/v4/me"), "/v4/me");
        assert_eq!(
            route_template("https://api.frame.io/v4/accounts/Acc/projects?after=x"),
            "/v4/accounts/{id}/projects"
        );
        assert_eq!(route_template(""), "/");
    }
}
