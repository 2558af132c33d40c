//! Durable background handlers (feature `background`), on the apalis queue engine.
//!
//! A background handler is answered `200 OK` as soon as its verified delivery is stored in the
//! queue ([`Queue::enqueue`]); a [`Worker`] — in the same process or another one pointing at
//! the same queue — rebuilds the delivery from the stored body and headers and runs the
//! handler, with the same extractors. Engines (all apalis 1.0, sharing our sqlx and redis):
//!
//! | engine | constructor | feature | notes |
//! |---|---|---|---|
//! | SQLite | [`Queue::sqlite`] | `background` | embedded default; one file, WAL |
//! | PostgreSQL | `Queue::postgres` | `background` + `postgres` | a fleet shares it |
//! | Redis | `Queue::redis` | `background` + `redis` | a fleet shares it |
//!
//! **Guarantees.** A job is never lost once [`Queue::enqueue`] returned (it is committed).
//! It runs at least once: a worker killed mid-job leaves it locked until its heartbeat is
//! missed ([`QueueOptions::heartbeat`]), then another worker (or the restarted one) runs it
//! again. So make side effects idempotent with [`JobId`] — stable across retries and re-runs —
//! as the key (take [`JobId`] as a handler argument).
//!
//! **Retries.** A failed run is retried with exponential back-off and jitter
//! ([`RetryPolicy`](crate::delivery::RetryPolicy), default 5 attempts); the last failure becomes a [`DeadLetter`] holding the
//! job and its last error, which [`Queue::dead_letters`], [`Queue::retry_dead_letter`] and
//! [`Queue::discard_dead_letter`] manage.
//!
//! **Shutdown.** [`WorkerHandle::shutdown`] stops taking jobs, lets running ones finish within
//! the worker's shutdown timeout, and leaves the rest in the queue for the next start.
//!
//! ```no_run
//! use std::time::Duration;
//! use frameio_kit::delivery::queue::{Queue, Worker};
//! use frameio_kit::delivery::RetryPolicy;
//! use frameio_kit::{Handler, WebhookEvent};
//!
//! async fn transcode(event: WebhookEvent) -> Result<(), std::io::Error> {
//!     // … minutes of work …
//!     Ok(())
//! }
//!
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! let queue = Queue::sqlite("jobs.db", "my-app").await?;
//! let worker = Worker::new(queue.clone())
//!     .handler(Handler::webhook(["file.ready"], transcode), RetryPolicy::default())
//!     .concurrency(4)
//!     .start()?;
//! // … the receiver calls queue.enqueue(…) for each delivery …
//! worker.shutdown().await;
//! # Ok(())
//! # }
//! ```

/// The apalis configuration of a queue on one engine: its name and heartbeats (the engines'
/// `Config` types share these setters).
macro_rules! apalis_config {
    ($engine:ident, $queue:expr) => {
        $engine::Config::default()
            .queue(&*$queue.name)
            .heartbeat_interval($queue.options.heartbeat)
            .missed_heartbeats($queue.options.missed_heartbeats)
    };
}

mod app;
mod dead_letters;
mod depth;
mod engine;
mod job;
#[cfg(test)]
mod tests;
#[cfg(feature = "otel")]
mod trace;
mod worker;

pub(crate) use app::{Background, QueueSettings};
pub use app::{DEFAULT_QUEUE_NAME, DEFAULT_QUEUE_SQLITE_PATH, QUEUE_SQLITE_PATH_ENV, QueueBackend};
pub use depth::QueueDepth;
pub use engine::{Queue, QueueOptions};
pub use job::{Attempt, DeadLetter, Job, JobId};
pub(crate) use worker::error_chain;
pub use worker::{Worker, WorkerHandle};

/// Errors of the queue and its workers.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum QueueError {
    /// The SQLite or PostgreSQL database failed.
    #[error("queue database error")]
    Database(#[from] sqlx::Error),
    /// The Redis server failed.
    #[cfg(feature = "redis")]
    #[error("queue redis error")]
    Redis(#[from] ::redis::RedisError),
    /// The queue engine refused the job or failed to set up.
    #[error("queue engine error: {0}")]
    Engine(String),
    /// A stored job or dead letter could not be encoded or decoded.
    #[error("queue record is not valid JSON")]
    Codec(#[from] serde_json::Error),
    /// The body to queue is not UTF-8 (a verified Frame.io delivery always is).
    #[error("delivery body is not UTF-8")]
    InvalidBody,
    /// The worker was given no handler, or a handler twice.
    #[error("invalid worker configuration: {0}")]
    Config(String),
}
