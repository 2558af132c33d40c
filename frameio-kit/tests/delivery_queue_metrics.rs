//! Queue metrics (features `metrics` + `background`): `/metrics` after a known sequence shows
//! the exact queue depth and dead letters — N deliveries queued while no worker runs, then
//! 0 waiting once workers ran them — and `Queue::depth` counts exactly on SQLite, and on
//! PostgreSQL and Redis when `FRAMEIO_KIT_TEST_POSTGRES_URL` / `FRAMEIO_KIT_TEST_REDIS_URL`
//! are set (says it skipped otherwise).
#![cfg(all(feature = "metrics", feature = "background"))]

use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use frameio_kit::delivery::RetryPolicy;
use frameio_kit::delivery::queue::{Queue, QueueBackend, QueueDepth, QueueOptions, Worker};
use frameio_kit::{App, Handler, Headers, WebhookEvent};
use frameio_kit_testing::{TestApp, webhook_event};

const SECRET: &str = "queue-metrics-secret";

static DONE: AtomicUsize = AtomicUsize::new(0);
static DOOMED: AtomicUsize = AtomicUsize::new(0);

async fn work(_event: WebhookEvent) -> Result<(), std::io::Error> {
    DONE.fetch_add(1, Ordering::SeqCst);
    Ok(())
}

async fn doomed(_event: WebhookEvent) -> Result<(), std::io::Error> {
    Err(std::io::Error::other("the upstream refuses this one"))
}

/// The other test's handlers: names of their own, so the two tests (one binary, one global
/// recorder) never count each other's runs.
async fn depth_work(_event: WebhookEvent) -> Result<(), std::io::Error> {
    Ok(())
}

async fn depth_doomed(_event: WebhookEvent) -> Result<(), std::io::Error> {
    DOOMED.fetch_add(1, Ordering::SeqCst);
    Err(std::io::Error::other("the upstream refuses this one"))
}

fn work_handler() -> Handler {
    Handler::webhook(["file.ready"], work)
        .secret(SECRET)
        .background()
        .function_name("work")
}

fn doomed_handler() -> Handler {
    Handler::webhook(["file.deleted"], doomed)
        .secret(SECRET)
        .retries(RetryPolicy::attempts(1))
        .function_name("doomed")
}

fn depth_handler(name: &'static str) -> Handler {
    match name {
        "depth_work" => Handler::webhook(["file.ready"], depth_work),
        _ => Handler::webhook(["file.deleted"], depth_doomed),
    }
    .secret(SECRET)
    .background()
    .function_name(name)
}

fn temp_dir() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("fk-qm-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The value of the sample of `name` whose labels are exactly `labels`.
fn sample(text: &str, name: &str, labels: &[(&str, &str)]) -> Option<f64> {
    text.lines()
        .filter(|line| !line.starts_with('#'))
        .filter_map(|line| line.rsplit_once(' '))
        .find(|(series, _)| {
            let Some(set) = series
                .strip_prefix(name)
                .and_then(|rest| rest.strip_prefix('{'))
                .and_then(|rest| rest.strip_suffix('}'))
            else {
                return false;
            };
            set.split(',').count() == labels.len()
                && labels
                    .iter()
                    .all(|(k, v)| set.split(',').any(|pair| pair == format!("{k}=\"{v}\"")))
        })
        .and_then(|(_, value)| value.parse().ok())
}

async fn scrape(url: &str) -> String {
    let reply = reqwest::get(format!("{url}metrics")).await.unwrap();
    assert_eq!(reply.status(), 200);
    reply.text().await.unwrap()
}

/// Scrapes until the queue gauges read `(pending, dead)` (they are sampled every 50 ms);
/// fails with the last scrape after 30 s.
async fn wait_for_gauges(url: &str, queue: &str, pending: f64, dead: f64) -> String {
    let labels = [("engine", "sqlite"), ("queue", queue)];
    let started = Instant::now();
    loop {
        let text = scrape(url).await;
        let seen = (
            sample(&text, "frameio_queue_depth", &labels),
            sample(&text, "frameio_queue_dead_letters", &labels),
        );
        if seen == (Some(pending), Some(dead)) {
            return text;
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "queue gauges {seen:?}, expected ({pending}, {dead}):\n{text}"
        );
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_show_the_exact_queue_depth_and_dead_letters() {
    let handle = frameio_kit::telemetry::metrics::install().unwrap();
    let dir = temp_dir();
    let options = QueueOptions::default().depth_every(Duration::from_millis(50));
    let app = App::new()
        .metrics(handle)
        .handler(work_handler())
        .handler(doomed_handler())
        .queue(
            QueueBackend::sqlite(dir.join("queue.db"))
                .name("metered")
                .options(options),
        )
        // Deliveries are only queued here: no worker runs in the receiver.
        .background_workers(0);
    let test = TestApp::new(app).secret(SECRET);
    let server = test.serve().await.unwrap();
    let url = server.url().to_string();

    for i in 0..5 {
        server
            .deliver(webhook_event("file.ready").resource_id(format!("file-{i}")))
            .await
            .unwrap()
            .assert_ok();
    }
    server
        .deliver(webhook_event("file.deleted").resource_id("gone"))
        .await
        .unwrap()
        .assert_ok();
    // Six waiting, none run, none dead; and it stays so while no worker runs.
    wait_for_gauges(&url, "metered", 6.0, 0.0).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let text = wait_for_gauges(&url, "metered", 6.0, 0.0).await;
    assert_eq!(DONE.load(Ordering::SeqCst), 0);
    assert_eq!(
        sample(&text, "frameio_jobs_enqueued_total", &[("handler", "work")]),
        Some(5.0)
    );
    assert_eq!(
        sample(
            &text,
            "frameio_jobs_enqueued_total",
            &[("handler", "doomed")]
        ),
        Some(1.0)
    );

    // A worker of its own on the same queue runs them: 0 waiting, 1 dead letter.
    let queue = test
        .service()
        .unwrap()
        .queue()
        .await
        .expect("a background app")
        .unwrap();
    let worker = Worker::new(queue.clone())
        .handler(work_handler(), RetryPolicy::default())
        .handler(doomed_handler(), RetryPolicy::attempts(1))
        .concurrency(2)
        .start()
        .unwrap();
    let text = wait_for_gauges(&url, "metered", 0.0, 1.0).await;
    worker.shutdown().await;
    assert_eq!(DONE.load(Ordering::SeqCst), 5);
    let outcome = |handler: &str, outcome: &str| {
        sample(
            &text,
            "frameio_jobs_total",
            &[("handler", handler), ("outcome", outcome)],
        )
    };
    assert_eq!(outcome("work", "done"), Some(5.0));
    assert_eq!(outcome("doomed", "dead"), Some(1.0));
    assert_eq!(outcome("work", "retry"), None);
    assert_eq!(
        sample(&text, "frameio_jobs_running", &[("handler", "work")]),
        Some(0.0)
    );
    assert_eq!(
        queue.depth().await.unwrap(),
        expected(0, 1),
        "the gauges read what the queue holds"
    );
    server.stop().await.unwrap();
    let _ = std::fs::remove_dir_all(dir);
}

fn expected(pending: u64, dead_letters: u64) -> QueueDepth {
    let mut depth = QueueDepth::default();
    depth.pending = pending;
    depth.dead_letters = dead_letters;
    depth
}

/// Three jobs queued with no worker → 3 waiting; a worker runs them (one fails its only
/// attempt) → 0 waiting, 1 dead letter; a retry scheduled for later counts as waiting.
async fn depth_counts_exactly(queue: Queue) {
    let mut headers = Headers::new();
    headers.insert("user-agent", "Frame.io V4 API");
    let body = |kind: &str, i: usize| {
        format!(
            r#"{{"account":{{"id":"a"}},"project":{{"id":"p"}},"resource":{{"id":"r{i}","type":"file"}},"type":"{kind}","user":{{"id":"u"}},"workspace":{{"id":"w"}}}}"#
        )
    };
    assert_eq!(queue.depth().await.unwrap(), expected(0, 0));
    for (i, (handler, kind)) in [
        ("depth_work", "file.ready"),
        ("depth_work", "file.ready"),
        ("depth_doomed", "file.deleted"),
    ]
    .into_iter()
    .enumerate()
    {
        queue
            .enqueue(handler, body(kind, i).as_bytes(), &headers, 1_700_000_000)
            .await
            .unwrap();
    }
    assert_eq!(queue.depth().await.unwrap(), expected(3, 0));

    let worker = Worker::new(queue.clone())
        .handler(depth_handler("depth_work"), RetryPolicy::default())
        .handler(depth_handler("depth_doomed"), RetryPolicy::attempts(1))
        .start()
        .unwrap();
    let started = Instant::now();
    while queue.depth().await.unwrap() != expected(0, 1) {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "{:?} on {}",
            queue.depth().await,
            queue.engine_name()
        );
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    worker.shutdown().await;

    // A failure retried in an hour waits in the queue meanwhile.
    let letter = queue.dead_letters().await.unwrap().remove(0);
    let patient = RetryPolicy::attempts(2)
        .delays(Duration::from_secs(3600), Duration::from_secs(3600))
        .jitter(0.0);
    assert!(queue.retry_dead_letter(letter.id()).await.unwrap());
    assert_eq!(queue.depth().await.unwrap(), expected(1, 0));
    let runs = DOOMED.load(Ordering::SeqCst);
    let worker = Worker::new(queue.clone())
        .handler(depth_handler("depth_doomed"), patient)
        .start()
        .unwrap();
    let started = Instant::now();
    // Taken, failed once, put back for later: waiting again, not dead.
    while DOOMED.load(Ordering::SeqCst) == runs || queue.depth().await.unwrap() != expected(1, 0) {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "{:?} on {}",
            queue.depth().await,
            queue.engine_name()
        );
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    worker.shutdown().await;
    assert_eq!(DOOMED.load(Ordering::SeqCst), runs + 1);
    assert_eq!(queue.depth().await.unwrap(), expected(1, 0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn depth_counts_exactly_on_every_engine() {
    let dir = temp_dir();
    depth_counts_exactly(Queue::sqlite(dir.join("q.db"), "depth").await.unwrap()).await;
    let _ = std::fs::remove_dir_all(&dir);
    let unique = format!("fk_depth_{}", uuid::Uuid::new_v4().simple());

    #[cfg(feature = "postgres")]
    match std::env::var("FRAMEIO_KIT_TEST_POSTGRES_URL") {
        Ok(url) => depth_counts_exactly(Queue::postgres(&url, &unique).await.unwrap()).await,
        Err(_) => eprintln!("PostgreSQL part skipped: FRAMEIO_KIT_TEST_POSTGRES_URL is unset"),
    }
    #[cfg(feature = "redis")]
    match std::env::var("FRAMEIO_KIT_TEST_REDIS_URL") {
        Ok(url) => depth_counts_exactly(Queue::redis(&url, &unique).await.unwrap()).await,
        Err(_) => eprintln!("Redis part skipped: FRAMEIO_KIT_TEST_REDIS_URL is unset"),
    }
}
