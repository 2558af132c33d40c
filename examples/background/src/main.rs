//! Serves the receiver on http://127.0.0.1:8000/ and runs the worker in the same process.
//! `QUEUE_PATH` (default `background.db`) holds the jobs and the results.

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let path = std::env::var("QUEUE_PATH").unwrap_or_else(|_| "background.db".to_owned());
    let queue = frameio_kit::delivery::queue::Queue::sqlite(&path, "background").await?;
    let transcoder = background::Transcoder {
        results: frameio_kit::store::SqliteStore::new(&path),
        work_time: std::time::Duration::from_secs(3),
    };
    let worker = background::worker(queue.clone(), transcoder).start()?;
    let served = background::app(queue, background::receiver()).serve().await;
    // Stop taking jobs; running ones finish (the rest run at the next start).
    worker.shutdown().await;
    Ok(served?)
}
