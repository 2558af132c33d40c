//! The delivery is answered at once; a worker then runs the slow handler from the queue, and
//! the side effect happens once — over real HTTP, through `#[webhook(…, background)]`.

use std::time::{Duration, Instant};

use frameio_kit::store::{SqliteStore, Store};
use frameio_kit_testing::{TestApp, TestError, webhook_event};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn answered_at_once_then_transcoded_in_the_background() -> Result<(), TestError> {
    let dir = std::env::temp_dir().join(format!("fk-bg-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("background.db");
    let work_time = Duration::from_secs(2);
    let app = background::app(&path, work_time);
    // Every secret variable reads as the test secret.
    let test = TestApp::new(app.env_lookup(frameio_kit_testing::test_env));
    let server = test.serve().await?;

    let reply = server
        .deliver(webhook_event("file.ready").resource_id("clip.mov"))
        .await?;
    reply.assert_ok().assert_text("OK");
    let results = SqliteStore::new(&path);
    assert_eq!(
        results.get("file:clip.mov").await.unwrap(),
        None,
        "answered before the work was done"
    );

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
    let marker = format!("transcoded:{job}");
    assert_eq!(
        results.get(&marker).await.unwrap().as_deref(),
        Some(&b"clip.mov"[..])
    );
    server.stop().await?;
    let _ = std::fs::remove_dir_all(dir);
    Ok(())
}
