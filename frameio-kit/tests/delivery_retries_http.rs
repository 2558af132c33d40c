//! Retries and dead letters through the wired path, on every queue engine: a real server (the
//! testing kit's) takes signed background deliveries over HTTP and answers `OK` once queued;
//! the in-process workers run a handler that fails twice then succeeds (three attempts, one
//! job id) and one that always fails, which ends as a dead letter with its last error, listed
//! by `Service::queue()`.
//!
//! SQLite always runs. PostgreSQL and Redis run when `FRAMEIO_KIT_TEST_POSTGRES_URL` /
//! `FRAMEIO_KIT_TEST_REDIS_URL` are set (the test says it skipped otherwise) and fail when set
//! but unreachable. Backoff timing with a paused clock is in `delivery_retries.rs`.
#![cfg(feature = "background")]

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use frameio_kit::delivery::RetryPolicy;
use frameio_kit::delivery::queue::{Attempt, DeadLetter, JobId, QueueBackend};
use frameio_kit::{App, Handler, State, WebhookEvent};
use frameio_kit_testing::{TestApp, webhook_event};

const SECRET: &str = "retries-secret";
/// Attempts in all, per job.
const ATTEMPTS: u32 = 3;
/// How many times `recovers` fails before it succeeds.
const FAILS: u32 = ATTEMPTS - 1;

/// One run: its attempt number, its job id and whether it succeeded.
type Run = (u32, String, bool);

/// The runs each resource saw.
#[derive(Default)]
struct Seen(Mutex<HashMap<String, Vec<Run>>>);

impl Seen {
    fn runs(&self, resource: &str) -> Vec<Run> {
        self.0
            .lock()
            .unwrap()
            .get(resource)
            .cloned()
            .unwrap_or_default()
    }
}

/// Fails `FAILS` times then succeeds for a resource whose id starts with `recovers`; always
/// fails for any other.
async fn flaky(
    event: WebhookEvent,
    job: JobId,
    attempt: Attempt,
    seen: State<Seen>,
) -> Result<(), std::io::Error> {
    let resource = event.resource_id().to_owned();
    let succeeds = resource.starts_with("recovers") && attempt.0 > FAILS;
    seen.0
        .lock()
        .unwrap()
        .entry(resource.clone())
        .or_default()
        .push((attempt.0, job.to_string(), succeeds));
    if succeeds {
        Ok(())
    } else {
        Err(std::io::Error::other(format!(
            "upstream refused {resource} (attempt {})",
            attempt.0
        )))
    }
}

async fn wait_for<T>(what: &str, mut probe: impl AsyncFnMut() -> Option<T>) -> T {
    let started = Instant::now();
    loop {
        if let Some(found) = probe().await {
            return found;
        }
        assert!(
            started.elapsed() < Duration::from_secs(90),
            "timed out waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The scenario on one queue engine. `backend` must be a queue of its own (a fresh name).
async fn retries_and_dead_letters(backend: QueueBackend) {
    let seen = Arc::new(Seen::default());
    let policy = RetryPolicy::attempts(ATTEMPTS)
        .delays(Duration::from_millis(20), Duration::from_millis(80))
        .jitter(0.0);
    let app = App::new()
        .handler(
            Handler::webhook(["file.ready"], flaky)
                .secret(SECRET)
                .retries(policy)
                .function_name("flaky"),
        )
        .queue(backend)
        .state_arc(Arc::clone(&seen));
    let test = TestApp::new(app).secret(SECRET);
    let server = test.serve().await.expect("the server starts on this queue");
    let tag = uuid::Uuid::new_v4().simple().to_string();
    let recovers = format!("recovers-{tag}");
    let doomed = format!("doomed-{tag}");
    for resource in [&recovers, &doomed] {
        server
            .deliver(webhook_event("file.ready").resource_id(resource.as_str()))
            .await
            .unwrap()
            .assert_ok()
            .assert_text("OK");
    }

    // Fails twice, then succeeds on the third attempt: three runs of one job, then no more.
    let runs = wait_for("the flaky job to succeed", async || {
        let runs = seen.runs(&recovers);
        runs.iter().any(|run| run.2).then_some(runs)
    })
    .await;
    let attempts: Vec<(u32, bool)> = runs.iter().map(|run| (run.0, run.2)).collect();
    assert_eq!(attempts, [(1, false), (2, false), (3, true)]);
    assert!(
        runs.iter().all(|run| run.1 == runs[0].1),
        "every attempt carries the same job id (the idempotency key): {runs:?}"
    );

    // Always fails: a dead letter after three attempts, with the last error.
    let service = test.service().unwrap();
    let queue = service
        .queue()
        .await
        .expect("a background app has a queue")
        .expect("the queue is open");
    let letters: Vec<DeadLetter> = wait_for("the dead letter", async || {
        let letters = queue.dead_letters().await.unwrap();
        (!letters.is_empty()).then_some(letters)
    })
    .await;
    assert_eq!(letters.len(), 1, "only the doomed job is dead");
    let letter = &letters[0];
    assert_eq!(letter.attempts(), ATTEMPTS);
    assert!(
        letter.job().body().contains(&doomed),
        "the dead letter keeps the delivery: {}",
        letter.job().body()
    );
    let expected = format!("upstream refused {doomed} (attempt {ATTEMPTS})");
    assert!(
        letter.last_error().contains(&expected),
        "{}",
        letter.last_error()
    );
    let runs = seen.runs(&doomed);
    assert_eq!(
        runs.iter().map(|run| run.0).collect::<Vec<_>>(),
        (1..=ATTEMPTS).collect::<Vec<_>>()
    );
    assert_eq!(letter.id().to_string(), runs[0].1, "the same job");

    // The recovered job never returns, and the dead one runs no more.
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(seen.runs(&recovers).len(), ATTEMPTS as usize);
    assert_eq!(seen.runs(&doomed).len(), ATTEMPTS as usize);

    // Discarded through the public API, it is gone.
    assert!(queue.discard_dead_letter(letter.id()).await.unwrap());
    assert!(queue.dead_letters().await.unwrap().is_empty());
    server.stop().await.unwrap();
}

fn queue_name() -> String {
    format!("retries_{}", uuid::Uuid::new_v4().simple())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_retries_then_dead_letters() {
    let dir = std::env::temp_dir().join(format!("fk-retries-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    retries_and_dead_letters(QueueBackend::sqlite(dir.join("queue.db")).name(queue_name())).await;
    let _ = std::fs::remove_dir_all(dir);
}

#[cfg(feature = "postgres")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_retries_then_dead_letters() {
    let Ok(url) = std::env::var("FRAMEIO_KIT_TEST_POSTGRES_URL") else {
        eprintln!("FRAMEIO_KIT_TEST_POSTGRES_URL is unset: skipping the PostgreSQL retry test");
        return;
    };
    retries_and_dead_letters(QueueBackend::postgres(url).name(queue_name())).await;
}

#[cfg(feature = "redis")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_retries_then_dead_letters() {
    let Ok(url) = std::env::var("FRAMEIO_KIT_TEST_REDIS_URL") else {
        eprintln!("FRAMEIO_KIT_TEST_REDIS_URL is unset: skipping the Redis retry test");
        return;
    };
    retries_and_dead_letters(QueueBackend::redis(url).name(queue_name())).await;
}
