//! A slow `file.ready` handler done right.
//!
//! Frame.io retries a webhook that takes more than 5 s, so a transcode that takes a minute
//! must not run inside the delivery. Here the delivery is answered `OK` as soon as it is
//! stored in the durable queue; a [`Worker`] runs [`transcode`] from the queue, retries it with
//! back-off when it fails, and keeps it as a dead letter if it never succeeds. A worker killed
//! mid-job runs the job again later, so the side effect is keyed by the job id: it happens
//! once however often the job runs.
//!
//! (Once the `background` handler option is wired into the receiver, [`on_file_ready`]
//! disappears: `#[webhook("file.ready", background)]` on [`transcode`] does the same.)

use std::sync::Arc;
use std::time::Duration;

use frameio_kit::delivery::RetryPolicy;
use frameio_kit::delivery::queue::{Attempt, JobId, Queue, Worker};
use frameio_kit::handler::AppData;
use frameio_kit::store::{SqliteStore, Store};
use frameio_kit::{App, Handler, Headers, Result, State, WebhookEvent};

/// The handler name jobs are queued under.
pub const TRANSCODE: &str = "transcode";

/// Where transcodes record their results, and how long the pretend transcode takes.
#[derive(Debug)]
pub struct Transcoder {
    /// The results, keyed by job id (`transcoded:<job>`) and by file (`file:<id>` → job id).
    pub results: SqliteStore,
    /// How long one transcode takes.
    pub work_time: Duration,
}

/// The receiver: store the verified delivery durably, answer `OK` at once.
pub async fn on_file_ready(event: WebhookEvent, headers: Headers, queue: State<Queue>) -> Result {
    let body = serde_json::to_vec(&event)?;
    let job = queue
        .enqueue(TRANSCODE, &body, &headers, event.timestamp())
        .await?;
    tracing::info!(%job, file = event.resource_id(), "queued a transcode");
    Ok(())
}

/// The slow work, run by a worker. The job id is the idempotency key: the result is recorded
/// with `set_if_absent`, so a re-run after a crash changes nothing.
pub async fn transcode(
    event: WebhookEvent,
    job: JobId,
    attempt: Attempt,
    transcoder: State<Transcoder>,
) -> Result {
    let results = &transcoder.results;
    let marker = format!("transcoded:{job}");
    if results.get(&marker).await?.is_some() {
        tracing::info!(%job, "already transcoded by an earlier run");
        return Ok(());
    }
    tracing::info!(%job, attempt = attempt.0, file = event.resource_id(), "transcoding");
    tokio::time::sleep(transcoder.work_time).await;
    results
        .set_if_absent(&marker, event.resource_id().as_bytes(), None)
        .await?;
    let file = format!("file:{}", event.resource_id());
    results.set(&file, job.as_str().as_bytes(), None).await?;
    tracing::info!(%job, file = event.resource_id(), "transcoded");
    Ok(())
}

/// The receiving handler (its secret comes from `WEBHOOK_SECRET` unless set).
pub fn receiver() -> Handler {
    Handler::webhook(["file.ready"], on_file_ready).function_name("on_file_ready")
}

/// The receiver app around [`receiver`].
pub fn app(queue: Queue, receiver: Handler) -> App {
    App::new().state(queue).handler(receiver)
}

/// The worker running [`transcode`]: 5 attempts, 2 s doubling to at most a minute.
pub fn worker(queue: Queue, transcoder: Transcoder) -> Worker {
    let mut data = AppData::default();
    data.insert(Arc::new(transcoder));
    Worker::new(queue)
        .handler(
            Handler::webhook(["file.ready"], transcode).function_name(TRANSCODE),
            RetryPolicy::attempts(5).delays(Duration::from_secs(2), Duration::from_secs(60)),
        )
        .data(Arc::new(data))
        .concurrency(4)
}
