//! Log capture: each test sees its own events, with their fields, even when tests run in
//! parallel and deliveries interleave on one thread.

use std::sync::{Arc, Condvar, Mutex, PoisonError};
use std::time::{Duration, Instant};

use frameio_kit::handler::HandlerResult;
use frameio_kit::prelude::*;
use frameio_kit_testing::logs::LogCapture;
use frameio_kit_testing::{TestApp, TestError, call_handler, webhook_event};
use tracing::Level;

#[webhook("file.ready")]
async fn transcode(event: WebhookEvent) -> Result<()> {
    tracing::info!(file = event.resource_id(), attempt = 1, "transcoding");
    Ok(())
}

#[webhook("file.deleted")]
async fn cleanup(_event: WebhookEvent) -> Result<()> {
    Err("the bucket is gone".into())
}

/// Logs how long each delivery took.
struct Timing;

impl Middleware for Timing {
    async fn handle(&self, delivery: Delivery, next: Next<'_>) -> HandlerResult {
        let started = Instant::now();
        let event_type = delivery.event_type().to_owned();
        let result = next.run(delivery).await;
        let elapsed_us = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX);
        tracing::info!(%event_type, ok = result.is_ok(), elapsed_us, "timed delivery");
        result
    }
}

/// Lets two tests meet, so their deliveries overlap; gives up after a while (a run with one
/// test thread, or a filter that runs only one of them, must not hang).
fn meet() {
    static ARRIVED: Mutex<usize> = Mutex::new(0);
    static BOTH: Condvar = Condvar::new();
    let mut arrived = ARRIVED.lock().unwrap_or_else(PoisonError::into_inner);
    *arrived += 1;
    BOTH.notify_all();
    let _ = BOTH
        .wait_timeout_while(arrived, Duration::from_secs(5), |n| *n < 2)
        .unwrap_or_else(PoisonError::into_inner);
}

/// Delivers 50 events about `prefix-N` files and checks that the capture saw exactly those.
fn deliver_and_check_own_events(prefix: &str) -> std::result::Result<(), TestError> {
    meet();
    // A multi-threaded runtime: the deliveries may be polled on any of its threads.
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    runtime.block_on(async {
        let app = Arc::new(TestApp::from_registry());
        let logs = app.capture_logs();
        // Spawned: the deliveries run on the runtime's worker threads, not this one.
        let tasks: Vec<_> = (0..50)
            .map(|i| {
                let app = Arc::clone(&app);
                let file = format!("{prefix}-{i}");
                tokio::spawn(async move {
                    app.deliver(webhook_event("file.ready").resource_id(file))
                        .await
                })
            })
            .collect();
        for task in tasks {
            task.await.expect("the delivery task ends")?.assert_ok();
        }
        let files: Vec<String> = logs
            .events()
            .iter()
            .filter(|e| e.message == "transcoding")
            .filter_map(|e| e.field_str("file").map(str::to_owned))
            .collect();
        assert_eq!(files.len(), 50, "{files:?}");
        assert!(
            files.iter().all(|f| f.starts_with(&format!("{prefix}-"))),
            "another test's events leaked in: {files:?}"
        );
        Ok(())
    })
}

#[test]
fn parallel_test_one_sees_only_its_events() -> std::result::Result<(), TestError> {
    deliver_and_check_own_events("one")
}

#[test]
fn parallel_test_two_sees_only_its_events() -> std::result::Result<(), TestError> {
    deliver_and_check_own_events("two")
}

#[tokio::test]
async fn two_apps_interleaved_on_one_thread_keep_their_events_apart()
-> std::result::Result<(), TestError> {
    let (a, b) = (TestApp::from_registry(), TestApp::from_registry());
    let (logs_a, logs_b) = (a.capture_logs(), b.capture_logs());
    let (reply_a, reply_b) = tokio::join!(
        a.deliver(webhook_event("file.ready").resource_id("a")),
        b.deliver(webhook_event("file.deleted"))
    );
    reply_a?.assert_ok();
    reply_b?.assert_status(500);
    assert_eq!(
        logs_a.assert_logged("transcoding").field_str("file"),
        Some("a")
    );
    logs_a.assert_not_logged("delivery failed");
    logs_b.assert_not_logged("transcoding");
    // The pipeline's own line, with its fields.
    let failed = logs_b.assert_logged("delivery failed");
    assert_eq!(failed.level, Level::ERROR);
    assert_eq!(failed.target, "frameio_kit::delivery");
    assert_eq!(failed.field("status"), Some(&500.into()));
    assert_eq!(failed.field_str("handler"), Some("logs::cleanup"));
    assert_eq!(
        failed.field_str("reason"),
        Some("handler failed: the bucket is gone")
    );
    Ok(())
}

#[tokio::test]
async fn a_middleware_log_line_is_asserted_in_a_few_lines() -> std::result::Result<(), TestError> {
    let app = TestApp::from_registry().app(|app| app.middleware(Timing));
    let logs = app.capture_logs();
    app.deliver(webhook_event("file.ready")).await?.assert_ok();
    let timed = logs.assert_logged("timed delivery");
    assert_eq!(timed.field_str("event_type"), Some("file.ready"));
    assert_eq!(timed.field("ok"), Some(&true.into()));
    assert!(
        timed
            .field("elapsed_us")
            .is_some_and(serde_json::Value::is_u64)
    );
    Ok(())
}

#[tokio::test]
async fn a_missing_event_lists_what_was_captured() -> std::result::Result<(), TestError> {
    let app = TestApp::from_registry();
    let logs = app.capture_logs();
    app.deliver(webhook_event("file.ready").resource_id("f-1"))
        .await?;
    let err = logs.logged("transcribing").unwrap_err().to_string();
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(
        lines[0],
        "expected a message containing \"transcribing\" in the captured logs, but captured: "
    );
    assert_eq!(lines[1], "  INFO logs: transcoding attempt=1 file=\"f-1\"");
    assert!(
        lines[2].starts_with("  INFO frameio_kit::delivery: delivery handled event_type=\"file.ready\" handler=\"logs::transcode\" latency_us="),
        "{err}"
    );
    Ok(())
}

#[tokio::test]
async fn direct_calls_are_captured_with_a_guard() -> std::result::Result<(), TestError> {
    let logs = LogCapture::new();
    {
        let _guard = logs.set_default();
        call_handler("transcode", webhook_event("file.ready").resource_id("f-7")).await?;
    }
    call_handler(
        "transcode",
        webhook_event("file.ready").resource_id("after"),
    )
    .await?;
    let events = logs.events();
    assert_eq!(events.len(), 1, "{events:?}");
    assert_eq!(events[0].field_str("file"), Some("f-7"));
    Ok(())
}

#[tokio::test]
async fn without_capture_logs_nothing_is_collected() -> std::result::Result<(), TestError> {
    let app = TestApp::from_registry();
    app.deliver(webhook_event("file.ready")).await?.assert_ok();
    let logs = app.capture_logs();
    assert!(logs.events().is_empty());
    app.deliver(webhook_event("file.ready")).await?;
    assert_eq!(
        logs.events().len(),
        2,
        "the handler's line and the delivery line"
    );
    Ok(())
}
