//! Retries and dead letters of background jobs on the embedded SQLite queue: a handler that
//! fails N times succeeds on attempt N + 1; one that always fails becomes a dead letter with
//! its last error after the policy's attempts, and the dead-letter API lists, retries and
//! discards it. Backoff delays separate the attempts.
#![cfg(feature = "background")]

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use frameio_kit::delivery::RetryPolicy;
use frameio_kit::delivery::queue::{Attempt, JobId, Queue, Worker};
use frameio_kit::handler::AppData;
use frameio_kit::{Handler, Headers, State, WebhookEvent};

/// One run: its attempt number, when it started and its job id.
type Run = (u32, Instant, String);

/// What the handler saw: the attempts of each job (by resource id) and when they ran.
#[derive(Default)]
struct Seen {
    attempts: Mutex<HashMap<String, Vec<Run>>>,
    /// Resource id → how many times it fails before succeeding (absent: always fails).
    failures: Mutex<HashMap<String, u32>>,
}

async fn flaky(
    event: WebhookEvent,
    id: JobId,
    attempt: Attempt,
    seen: State<Seen>,
) -> Result<(), String> {
    let resource = event.resource_id().to_owned();
    seen.attempts
        .lock()
        .unwrap()
        .entry(resource.clone())
        .or_default()
        .push((attempt.0, Instant::now(), id.to_string()));
    let fails = seen.failures.lock().unwrap().get(&resource).copied();
    match fails {
        Some(n) if attempt.0 > n => Ok(()),
        _ => Err(format!("failure {} of {resource}", attempt.0)),
    }
}

fn body(resource: &str) -> String {
    format!(
        r#"{{"type":"file.ready","account":{{"id":"a"}},"project":{{"id":"p"}},"user":{{"id":"u"}},"workspace":{{"id":"w"}},"resource":{{"id":"{resource}","type":"file"}}}}"#
    )
}

async fn wait_until(timeout: Duration, mut done: impl FnMut() -> bool) {
    let started = Instant::now();
    while !done() {
        assert!(started.elapsed() < timeout, "timed out");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn attempts(seen: &Seen, resource: &str) -> Vec<u32> {
    seen.attempts
        .lock()
        .unwrap()
        .get(resource)
        .map(|v| v.iter().map(|(a, _, _)| *a).collect())
        .unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failures_retry_then_dead_letter_and_the_api_manages_them() {
    let dir = std::env::temp_dir().join(format!("fk-retries-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    let queue = Queue::sqlite(dir.join("queue.db"), "retries")
        .await
        .unwrap();

    let seen = Arc::new(Seen::default());
    seen.failures.lock().unwrap().insert("twice".into(), 2);
    seen.failures.lock().unwrap().insert("never".into(), 0);
    let mut data = AppData::default();
    data.insert(Arc::clone(&seen));
    // 3 attempts, ~0 s apart (SQLite schedules in whole seconds).
    let policy = RetryPolicy::attempts(3)
        .delays(Duration::from_millis(1), Duration::from_millis(1))
        .jitter(0.0);
    let worker = Worker::new(queue.clone())
        .handler(
            Handler::webhook(["file.ready"], flaky).function_name("flaky"),
            policy,
        )
        .data(Arc::new(data))
        .concurrency(2)
        .start()
        .unwrap();

    let headers = Headers::new();
    let never = queue
        .enqueue("flaky", body("never").as_bytes(), &headers, 1)
        .await
        .unwrap();
    let twice = queue
        .enqueue("flaky", body("twice").as_bytes(), &headers, 1)
        .await
        .unwrap();
    let always = queue
        .enqueue("flaky", body("always").as_bytes(), &headers, 1)
        .await
        .unwrap();
    let unknown = queue
        .enqueue("gone", body("x").as_bytes(), &headers, 1)
        .await
        .unwrap();

    wait_until(Duration::from_secs(60), || {
        attempts(&seen, "twice").len() == 3 && attempts(&seen, "always").len() == 3
    })
    .await;
    assert_eq!(attempts(&seen, "never"), [1], "a success runs once");
    assert_eq!(
        attempts(&seen, "twice"),
        [1, 2, 3],
        "fails twice, then succeeds"
    );
    assert_eq!(
        attempts(&seen, "always"),
        [1, 2, 3],
        "stops after the policy's attempts"
    );
    // The job id is the same on every attempt: the idempotency key.
    let ids: Vec<String> = seen.attempts.lock().unwrap()["twice"]
        .iter()
        .map(|a| a.2.clone())
        .collect();
    assert!(ids.iter().all(|i| i == twice.as_str()), "{ids:?}");

    // Dead letters: the one that always failed, with its last error, and the job no
    // handler claims.
    let mut letters = Vec::new();
    let started = Instant::now();
    while letters.len() < 2 {
        letters = queue.dead_letters().await.unwrap();
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "dead letters: {letters:?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    letters.sort_by_key(|l| l.job().handler().to_owned());
    assert_eq!(letters.len(), 2, "{letters:?}");
    assert_eq!(letters[0].id(), &always);
    assert_eq!(letters[0].attempts(), 3);
    assert_eq!(letters[0].last_error(), "failure 3 of always");
    assert_eq!(letters[1].id(), &unknown);
    assert!(
        letters[1]
            .last_error()
            .contains("no background handler named `gone`")
    );
    assert!(!letters.iter().any(|l| l.id() == &never || l.id() == &twice));

    // Retry: the job runs again from attempt 1 (now it succeeds) and leaves the dead letters.
    seen.failures.lock().unwrap().insert("always".into(), 0);
    assert!(queue.retry_dead_letter(&always).await.unwrap());
    wait_until(Duration::from_secs(30), || {
        attempts(&seen, "always").len() == 4
    })
    .await;
    assert_eq!(attempts(&seen, "always"), [1, 2, 3, 1]);
    // Discard the other; both operations say when there was nothing to do.
    assert!(queue.discard_dead_letter(&unknown).await.unwrap());
    assert!(!queue.discard_dead_letter(&unknown).await.unwrap());
    assert!(!queue.retry_dead_letter(&unknown).await.unwrap());
    assert!(queue.dead_letters().await.unwrap().is_empty());

    worker.shutdown().await;
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn backoff_spaces_the_attempts() {
    let dir = std::env::temp_dir().join(format!("fk-backoff-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    let queue = Queue::sqlite(dir.join("queue.db"), "backoff")
        .await
        .unwrap();
    let seen = Arc::new(Seen::default());
    seen.failures.lock().unwrap().insert("slow".into(), 1);
    let mut data = AppData::default();
    data.insert(Arc::clone(&seen));
    // One retry 2 s after the failure (whole seconds in SQLite: at least 1 s apart).
    let policy = RetryPolicy::attempts(2)
        .delays(Duration::from_secs(2), Duration::from_secs(2))
        .jitter(0.0);
    let worker = Worker::new(queue.clone())
        .handler(
            Handler::webhook(["file.ready"], flaky).function_name("flaky"),
            policy,
        )
        .data(Arc::new(data))
        .start()
        .unwrap();
    queue
        .enqueue("flaky", body("slow").as_bytes(), &Headers::new(), 1)
        .await
        .unwrap();
    wait_until(Duration::from_secs(30), || {
        attempts(&seen, "slow").len() == 2
    })
    .await;
    let runs = seen.attempts.lock().unwrap()["slow"].clone();
    let gap = runs[1].1 - runs[0].1;
    assert!(gap >= Duration::from_secs(1), "retried after {gap:?}");
    worker.shutdown().await;
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_lets_running_jobs_finish_and_leaves_the_rest() {
    let dir = std::env::temp_dir().join(format!("fk-shutdown-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    let queue = Queue::sqlite(dir.join("queue.db"), "shutdown")
        .await
        .unwrap();

    #[derive(Default)]
    struct Log(Mutex<Vec<(String, &'static str)>>);
    async fn slow(event: WebhookEvent, log: State<Log>) -> Result<(), std::io::Error> {
        log.0
            .lock()
            .unwrap()
            .push((event.resource_id().to_owned(), "start"));
        tokio::time::sleep(Duration::from_millis(800)).await;
        log.0
            .lock()
            .unwrap()
            .push((event.resource_id().to_owned(), "end"));
        Ok(())
    }
    let log = Arc::new(Log::default());
    let mut data = AppData::default();
    data.insert(Arc::clone(&log));
    let data = Arc::new(data);
    let handler = || Handler::webhook(["file.ready"], slow).function_name("slow");
    let worker = Worker::new(queue.clone())
        .handler(handler(), RetryPolicy::default())
        .data(Arc::clone(&data))
        .concurrency(1)
        .start()
        .unwrap();
    for i in 0..3 {
        queue
            .enqueue(
                "slow",
                body(&format!("f{i}")).as_bytes(),
                &Headers::new(),
                1,
            )
            .await
            .unwrap();
    }
    let started = Instant::now();
    wait_until(Duration::from_secs(30), || {
        !log.0.lock().unwrap().is_empty()
    })
    .await;
    worker.shutdown().await;
    let events = log.0.lock().unwrap().clone();
    assert_eq!(
        events.len(),
        2,
        "the running job finished, no other started: {events:?}"
    );
    assert_eq!(events[1].1, "end");
    assert!(started.elapsed() < Duration::from_secs(30));

    // The rest runs on the next start (a new worker takes the jobs the old one had fetched
    // once its heartbeat is missed, or at once if they were never fetched).
    let worker = Worker::new(queue.with_options(
        frameio_kit::delivery::queue::QueueOptions::default().heartbeat(Duration::from_secs(1), 1),
    ))
    .handler(handler(), RetryPolicy::default())
    .data(data)
    .concurrency(2)
    .start()
    .unwrap();
    wait_until(Duration::from_secs(60), || {
        log.0
            .lock()
            .unwrap()
            .iter()
            .filter(|e| e.1 == "end")
            .count()
            == 3
    })
    .await;
    worker.shutdown().await;
    let _ = std::fs::remove_dir_all(dir);
}
