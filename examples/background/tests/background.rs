//! The delivery is answered at once; the worker then runs the slow handler from the queue,
//! and the side effect happens once.

use std::time::{Duration, Instant};

use background::Transcoder;
use frameio_kit::delivery::queue::Queue;
use frameio_kit::store::{SqliteStore, Store};
use frameio_kit_testing::{TEST_SECRET, TestApp, TestError, webhook_event};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn answered_at_once_then_transcoded_in_the_background() -> Result<(), TestError> {
    let dir = std::env::temp_dir().join(format!("fk-bg-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("background.db");
    let queue = Queue::sqlite(&path, "background").await.unwrap();
    let work_time = Duration::from_secs(2);

    // Answered before the 2 s of work could have run (no worker is running yet).
    let reply = TestApp::new(background::app(
        queue.clone(),
        background::receiver().secret(TEST_SECRET),
    ))
    .deliver(webhook_event("file.ready").resource_id("clip.mov"))
    .await?;
    reply.assert_ok().assert_text("OK");
    let results = SqliteStore::new(&path);
    assert_eq!(results.get("file:clip.mov").await.unwrap(), None);

    // The worker runs the job from the queue.
    let transcoder = Transcoder {
        results: SqliteStore::new(&path),
        work_time,
    };
    let worker = background::worker(queue, transcoder).start().unwrap();
    let started = Instant::now();
    let job = loop {
        if let Some(job) = results.get("file:clip.mov").await.unwrap() {
            break String::from_utf8(job).unwrap();
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "the job never ran"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert!(started.elapsed() >= work_time);
    let marker = format!("transcoded:{job}");
    assert_eq!(
        results.get(&marker).await.unwrap().as_deref(),
        Some(&b"clip.mov"[..])
    );
    worker.shutdown().await;
    let _ = std::fs::remove_dir_all(dir);
    Ok(())
}
