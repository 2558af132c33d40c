//! Spans of background work (feature `otel`): `frameio.enqueue` (PRODUCER) inside the
//! delivery's span, and `frameio.job` (CONSUMER) around each run, linked to the span that
//! queued it through the `traceparent` kept with the job.
use std::collections::HashMap;

use opentelemetry::trace::TraceContextExt as _;
use tracing_opentelemetry::OpenTelemetrySpanExt as _;

/// The span around storing a delivery in the queue.
pub(crate) fn enqueue_span(handler: &str) -> tracing::Span {
    tracing::info_span!(
        target: "frameio_kit::delivery",
        "frameio.enqueue",
        otel.name = "frameio enqueue",
        otel.kind = "producer",
        "frameio.handler" = handler,
    )
}

/// The W3C `traceparent` of the current span, by the global propagator.
pub(crate) fn current_traceparent() -> Option<String> {
    let context = tracing::Span::current().context();
    let mut carrier: HashMap<String, String> = HashMap::new();
    opentelemetry::global::get_text_map_propagator(|propagator| {
        propagator.inject_context(&context, &mut carrier);
    });
    carrier.remove("traceparent")
}

/// The span around one run of a job, linked to the span that queued it.
pub(crate) fn job_span(
    handler: &str,
    job: &str,
    attempt: u32,
    traceparent: Option<&str>,
) -> tracing::Span {
    let span = tracing::info_span!(
        target: "frameio_kit::delivery",
        "frameio.job",
        otel.name = "frameio job",
        otel.kind = "consumer",
        "frameio.handler" = handler,
        "frameio.job.id" = job,
        "frameio.job.attempt" = attempt,
    );
    if let Some(traceparent) = traceparent {
        let carrier: HashMap<String, String> =
            HashMap::from([("traceparent".to_owned(), traceparent.to_owned())]);
        let context = opentelemetry::global::get_text_map_propagator(|propagator| {
            propagator.extract(&carrier)
        });
        let queued = context.span().span_context().clone();
        if queued.is_valid() {
            span.add_link(queued);
        }
    }
    span
}
