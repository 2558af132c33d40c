//! A slow `file.ready` handler done right.
//!
//! Frame.io retries a webhook that takes more than 5 s, so a transcode that takes a minute
//! must not run inside the delivery. `#[webhook("file.ready", background)]` makes the
//! receiver store the verified delivery in a durable queue and answer `OK` at once; a worker
//! (started with the server, or in a process of its own with `App::worker`) runs
//! [`transcode`] from the queue, retries it with back-off when it fails, and keeps it as a
//! dead letter if it never succeeds. A worker killed mid-job runs the job again later, so the
//! side effect is keyed by the job id: it happens once however often the job runs.

use std::path::Path;
use std::time::Duration;

use frameio_kit::delivery::queue::{Attempt, JobId, QueueBackend};
use frameio_kit::store::{SqliteStore, Store};
use frameio_kit::{App, Result, State, WebhookEvent, webhook};

/// Where transcodes record their results, and how long the pretend transcode takes.
#[derive(Debug)]
pub struct Transcoder {
    /// The results, keyed by job id (`transcoded:<job>`) and by file (`file:<id>` → job id).
    pub results: SqliteStore,
    /// How long one transcode takes.
    pub work_time: Duration,
}

/// The slow work, run by a worker: answered `OK` as soon as it is queued, then retried up to
/// 5 attempts in all. The job id is the idempotency key: the result is recorded with
/// `set_if_absent`, so a re-run after a crash changes nothing.
#[webhook("file.ready", background, retries = 5)]
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

/// The app: every registered handler, the jobs queued in the SQLite file at `path` (the
/// results live there too), 4 jobs at a time.
pub fn app(path: &Path, work_time: Duration) -> App {
    App::from_registry()
        .state(Transcoder {
            results: SqliteStore::new(path),
            work_time,
        })
        .queue(QueueBackend::sqlite(path).name("background"))
        .background_workers(4)
}
