//! Traces of background work (features `otel` and `background`): the delivery's SERVER span
//! encloses a `frameio.enqueue` PRODUCER span, and the worker's run is a `frameio.job`
//! CONSUMER span in a trace of its own, linked to the enqueue span.
#![cfg(all(feature = "otel", feature = "background"))]

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use frameio_kit::delivery::queue::QueueBackend;
use frameio_kit::{App, Handler, State, WebhookEvent};
use frameio_kit_testing::{EventBody, SignedRequest, webhook_event};
use opentelemetry::trace::SpanKind;
use opentelemetry_sdk::propagation::TraceContextPropagator;
use opentelemetry_sdk::trace::{InMemorySpanExporter, SdkTracerProvider};
use tracing_subscriber::layer::SubscriberExt;

const SECRET: &str = "traces-secret";

async fn transcode(_event: WebhookEvent, runs: State<AtomicUsize>) -> Result<(), std::io::Error> {
    runs.fetch_add(1, Ordering::SeqCst);
    Ok(())
}

#[tokio::test]
async fn the_job_run_is_linked_to_the_delivery_that_queued_it() {
    opentelemetry::global::set_text_map_propagator(TraceContextPropagator::new());
    let exporter = InMemorySpanExporter::default();
    let provider = SdkTracerProvider::builder()
        .with_simple_exporter(exporter.clone())
        .build();
    let subscriber = tracing_subscriber::registry().with(frameio_kit::telemetry::layer(&provider));
    // This test's runtime has one thread: the delivery, the queue and the worker run on it.
    let _default = tracing::subscriber::set_default(subscriber);

    let dir = std::env::temp_dir().join(format!("fk-traces-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    let service = App::new()
        .handler(
            Handler::webhook(["file.ready"], transcode)
                .secret(SECRET)
                .background()
                .function_name("transcode"),
        )
        .queue(QueueBackend::sqlite(dir.join("queue.db")))
        .state(AtomicUsize::new(0))
        .build()
        .unwrap();
    // Started for its workers (spawned on this runtime); the delivery goes in-process.
    let running = service.start(("127.0.0.1", 0)).unwrap();
    let request = SignedRequest::new(SECRET, webhook_event("file.ready").event_body().unwrap());
    let reply = service
        .dispatch(request.headers(), request.body().to_vec().into())
        .await;
    assert_eq!(reply.status(), 200);

    let started = Instant::now();
    let spans = loop {
        provider.force_flush().unwrap();
        let spans = exporter.get_finished_spans().unwrap();
        if spans.iter().any(|s| s.name == "frameio job") {
            break spans;
        }
        assert!(started.elapsed() < Duration::from_secs(60), "no job span");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let find = |name: &str| {
        spans.iter().find(|s| s.name == name).unwrap_or_else(|| {
            panic!(
                "{name}: {:?}",
                spans.iter().map(|s| &s.name).collect::<Vec<_>>()
            )
        })
    };
    let delivery = spans
        .iter()
        .find(|s| s.span_kind == SpanKind::Server)
        .expect("the delivery's span");
    let enqueue = find("frameio enqueue");
    let job = find("frameio job");
    assert_eq!(enqueue.span_kind, SpanKind::Producer);
    assert_eq!(
        enqueue.span_context.trace_id(),
        delivery.span_context.trace_id(),
        "queued inside the delivery's trace"
    );
    assert_eq!(job.span_kind, SpanKind::Consumer);
    let linked: Vec<_> = job
        .links
        .links
        .iter()
        .map(|l| l.span_context.span_id())
        .collect();
    assert_eq!(
        linked,
        [enqueue.span_context.span_id()],
        "linked to the enqueue"
    );
    assert!(
        job.attributes
            .iter()
            .any(|kv| kv.key.as_str() == "frameio.job.id"),
        "{:?}",
        job.attributes
    );
    running.stop(true).await.unwrap();
    let _ = std::fs::remove_dir_all(dir);
}
