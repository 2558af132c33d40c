//! Background handlers through the real pipeline, over HTTP, on the embedded SQLite queue: a
//! delivery is answered `OK` once queued, after the middleware; the in-process workers run
//! the handler with the same extractors; failures are retried and end as dead letters, which
//! the public API lists, retries and discards; an unreachable queue stops the start.
#![cfg(feature = "background")]

use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use frameio_kit::delivery::RetryPolicy;
use frameio_kit::delivery::queue::{Attempt, JobId, QueueBackend};
use frameio_kit::handler::HandlerResult;
use frameio_kit::middleware::{Middleware, Next};
use frameio_kit::{App, Delivery, Handler, Headers, State, WebhookEvent};
use frameio_kit_testing::{TestApp, webhook_event};

const SECRET: &str = "background-secret";

fn temp_dir() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("fk-bg-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[derive(Default)]
struct Seen {
    jobs: Mutex<Vec<(String, String, Option<String>)>>,
    failures: AtomicUsize,
}

async fn transcode(
    event: WebhookEvent,
    job: JobId,
    headers: Headers,
    seen: State<Seen>,
) -> Result<(), std::io::Error> {
    tokio::time::sleep(Duration::from_millis(20)).await;
    seen.jobs.lock().unwrap().push((
        job.to_string(),
        event.resource_id().to_owned(),
        headers.get("x-trace").map(str::to_owned),
    ));
    Ok(())
}

async fn always_fails(
    _event: WebhookEvent,
    attempt: Attempt,
    seen: State<Seen>,
) -> Result<(), std::io::Error> {
    seen.failures.fetch_add(1, Ordering::SeqCst);
    Err(std::io::Error::other(format!(
        "upstream refused (attempt {})",
        attempt.0
    )))
}

/// Counts deliveries and answers `file.deleted` by itself (nothing is queued then).
#[derive(Default)]
struct Gate(Arc<AtomicUsize>);

impl Middleware for Gate {
    async fn webhook(&self, delivery: Delivery, next: Next<'_>) -> HandlerResult {
        self.0.fetch_add(1, Ordering::SeqCst);
        if delivery.event_type() == "file.deleted" {
            return Ok(frameio_kit::ActionResponse::None);
        }
        next.run(delivery).await
    }
}

async fn wait_until(what: &str, mut done: impl FnMut() -> bool) {
    let started = Instant::now();
    while !done() {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "timed out: {what}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deliveries_are_queued_answered_and_run_by_workers() {
    let dir = temp_dir();
    let seen = Arc::new(Seen::default());
    let gate = Arc::new(AtomicUsize::new(0));
    let app = App::new()
        .handler(
            Handler::webhook(["file.ready", "file.deleted"], transcode)
                .secret(SECRET)
                .background()
                .function_name("transcode"),
        )
        .queue(QueueBackend::sqlite(dir.join("queue.db")))
        .middleware(Gate(Arc::clone(&gate)))
        .state_arc(Arc::clone(&seen));
    let test = TestApp::new(app).secret(SECRET);
    let server = test.serve().await.unwrap();

    for i in 0..20 {
        let reply = server
            .deliver(webhook_event("file.ready").resource_id(format!("file-{i}")))
            .await
            .unwrap();
        reply.assert_ok().assert_text("OK");
    }
    wait_until("20 jobs run", || seen.jobs.lock().unwrap().len() == 20).await;
    let jobs = seen.jobs.lock().unwrap().clone();
    let mut resources: Vec<&str> = jobs.iter().map(|(_, r, _)| r.as_str()).collect();
    resources.sort_unstable();
    resources.dedup();
    assert_eq!(resources.len(), 20, "every delivery ran once");
    let mut ids: Vec<&str> = jobs.iter().map(|(id, _, _)| id.as_str()).collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), 20, "each job has its own id");
    assert_eq!(
        gate.load(Ordering::SeqCst),
        20,
        "middleware ran before queuing"
    );

    // A middleware answering by itself: nothing is queued.
    server
        .deliver(webhook_event("file.deleted"))
        .await
        .unwrap()
        .assert_ok();
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(seen.jobs.lock().unwrap().len(), 20);
    server.stop().await.unwrap();
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failures_are_retried_then_kept_as_dead_letters() {
    let dir = temp_dir();
    let seen = Arc::new(Seen::default());
    let policy = RetryPolicy::attempts(2)
        .delays(Duration::from_millis(10), Duration::from_millis(20))
        .jitter(0.0);
    let app = App::new()
        .handler(
            Handler::webhook(["file.ready"], always_fails)
                .secret(SECRET)
                .retries(policy)
                .function_name("always_fails"),
        )
        .queue(QueueBackend::sqlite(dir.join("queue.db")))
        .state_arc(Arc::clone(&seen));
    let test = TestApp::new(app).secret(SECRET);
    let server = test.serve().await.unwrap();
    server
        .deliver(webhook_event("file.ready").resource_id("doomed"))
        .await
        .unwrap()
        .assert_ok();

    let service = test.service().unwrap();
    let queue = service.queue().await.expect("a background app").unwrap();
    let started = Instant::now();
    let letters = loop {
        let letters = queue.dead_letters().await.unwrap();
        if !letters.is_empty() || started.elapsed() > Duration::from_secs(60) {
            break letters;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(letters.len(), 1, "the job is a dead letter");
    let letter = &letters[0];
    assert_eq!(letter.attempts(), 2);
    assert_eq!(
        seen.failures.load(Ordering::SeqCst),
        2,
        "two attempts in all"
    );
    assert!(
        letter.last_error().contains("upstream refused (attempt 2)"),
        "{}",
        letter.last_error()
    );

    // Retry it: it runs again (and fails again, twice more).
    assert!(queue.retry_dead_letter(letter.id()).await.unwrap());
    wait_until("the retried job runs", || {
        seen.failures.load(Ordering::SeqCst) >= 3
    })
    .await;
    let started = Instant::now();
    while queue.dead_letters().await.unwrap().is_empty() {
        assert!(started.elapsed() < Duration::from_secs(60));
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(queue.discard_dead_letter(letter.id()).await.unwrap());
    assert!(queue.dead_letters().await.unwrap().is_empty());
    server.stop().await.unwrap();
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn an_unreachable_queue_stops_the_start() {
    let app = App::new()
        .handler(
            Handler::webhook(["file.ready"], transcode)
                .secret(SECRET)
                .background()
                .function_name("transcode"),
        )
        .queue(QueueBackend::sqlite("/nonexistent/frameio-kit/queue.db"))
        .state(Seen::default());
    let error = app.worker().await.expect_err("the queue cannot be opened");
    let text = error.to_string();
    assert!(
        text.contains("the background queue (sqlite) is unreachable"),
        "{text}"
    );
}
