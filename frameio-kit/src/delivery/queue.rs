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
//! ([`RetryPolicy`], default 5 attempts); the last failure becomes a [`DeadLetter`] holding the
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

use std::collections::HashMap;
use std::fmt;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use apalis_core::backend::TaskSink;
use apalis_core::error::BoxDynError;
use apalis_core::task::builder::TaskBuilder;
use apalis_core::task::data::Data;
use apalis_core::worker::builder::WorkerBuilder;
use apalis_sqlite::SqliteStorage;
use futures_util::FutureExt;
use serde::{Deserialize, Serialize};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use tokio_util::sync::CancellationToken;

use super::RetryPolicy;
use crate::error::BoxError;
use crate::event::{ActionEvent, WebhookEvent};
use crate::handler::{
    AppData, Delivery, DeliveryEvent, FromDelivery, Handler, HandlerKind, Headers,
};

/// Headers never written to the queue: credentials, and the signature (the job is verified).
const DROPPED_HEADERS: &[&str] = &[
    "authorization",
    "cookie",
    "proxy-authorization",
    "x-frameio-signature",
];

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

/// The id of a background job: stable across its retries and re-runs, so use it as the
/// idempotency key of side effects. Also a handler argument.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct JobId(String);

impl JobId {
    fn generate() -> Self {
        Self(uuid_v4())
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for JobId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A random (version 4) UUID in its hyphenated form.
fn uuid_v4() -> String {
    let mut bytes: [u8; 16] = rand::random();
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    let hex = hex::encode(bytes);
    format!(
        "{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}

impl FromDelivery for JobId {
    async fn from_delivery(delivery: &Delivery) -> Result<Self, BoxError> {
        delivery
            .extension::<JobInfo>()
            .map(|info| info.id.clone())
            .ok_or_else(|| {
                "`JobId` is only available to background handlers run by a worker".into()
            })
    }
}

/// What a worker leaves in the delivery for the [`JobId`] and [`Attempt`] extractors.
#[derive(Debug, Clone)]
struct JobInfo {
    id: JobId,
    attempt: u32,
}

/// The attempt number (1 for the first run) of a background job; a handler argument.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Attempt(pub u32);

impl FromDelivery for Attempt {
    async fn from_delivery(delivery: &Delivery) -> Result<Self, BoxError> {
        delivery
            .extension::<JobInfo>()
            .map(|info| Attempt(info.attempt))
            .ok_or_else(|| {
                "`Attempt` is only available to background handlers run by a worker".into()
            })
    }
}

/// A queued delivery: the verified raw body and headers, and which handler runs it.
#[derive(Clone, Serialize, Deserialize)]
pub struct Job {
    id: JobId,
    handler: String,
    attempt: u32,
    timestamp: i64,
    body: String,
    headers: Vec<(String, String)>,
    /// The W3C `traceparent` of the span that queued it (feature `otel`): the run links to it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    trace: Option<String>,
}

impl fmt::Debug for Job {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Job")
            .field("id", &self.id)
            .field("handler", &self.handler)
            .field("attempt", &self.attempt)
            .finish_non_exhaustive()
    }
}

impl Job {
    /// A first attempt of `handler` for this verified delivery.
    ///
    /// # Errors
    ///
    /// [`QueueError::InvalidBody`] when the body is not UTF-8.
    pub fn new(
        handler: &str,
        body: &[u8],
        headers: &Headers,
        timestamp: i64,
    ) -> Result<Self, QueueError> {
        let body = std::str::from_utf8(body).map_err(|_| QueueError::InvalidBody)?;
        let headers = headers
            .iter()
            .filter(|(name, _)| !DROPPED_HEADERS.contains(name))
            .filter_map(|(name, value)| {
                Some((name.to_owned(), std::str::from_utf8(value).ok()?.to_owned()))
            })
            .collect();
        Ok(Self {
            id: JobId::generate(),
            handler: handler.to_owned(),
            attempt: 1,
            timestamp,
            body: body.to_owned(),
            headers,
            trace: None,
        })
    }

    /// The job's id.
    pub fn id(&self) -> &JobId {
        &self.id
    }

    /// The handler that runs it.
    pub fn handler(&self) -> &str {
        &self.handler
    }

    /// The attempt this record is for (1 for the first).
    pub fn attempt(&self) -> u32 {
        self.attempt
    }

    /// The delivery's raw body.
    pub fn body(&self) -> &str {
        &self.body
    }

    fn headers(&self) -> Headers {
        let mut headers = Headers::with_capacity(
            self.headers.len(),
            self.headers.iter().map(|(n, v)| n.len() + v.len()).sum(),
        );
        for (name, value) in &self.headers {
            headers.insert(name, value);
        }
        headers
    }

    /// Parses the stored body into the event a handler of `kind` receives.
    fn event(&self, kind: HandlerKind) -> Result<DeliveryEvent, serde_json::Error> {
        Ok(match kind {
            HandlerKind::Action => {
                let mut event: ActionEvent = serde_json::from_str(&self.body)?;
                event.timestamp = self.timestamp;
                DeliveryEvent::Action(event)
            }
            _ => {
                let mut event: WebhookEvent = serde_json::from_str(&self.body)?;
                event.timestamp = self.timestamp;
                DeliveryEvent::Webhook(event)
            }
        })
    }
}

/// A job that failed its last attempt, kept with its last error.
#[derive(Clone, Serialize, Deserialize)]
pub struct DeadLetter {
    job: Job,
    last_error: String,
    failed_at: u64,
}

impl fmt::Debug for DeadLetter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DeadLetter")
            .field("job", &self.job)
            .field("last_error", &self.last_error)
            .field("failed_at", &self.failed_at)
            .finish()
    }
}

impl DeadLetter {
    /// The job's id.
    pub fn id(&self) -> &JobId {
        &self.job.id
    }

    /// The job.
    pub fn job(&self) -> &Job {
        &self.job
    }

    /// How many attempts ran.
    pub fn attempts(&self) -> u32 {
        self.job.attempt
    }

    /// The error of the last attempt.
    pub fn last_error(&self) -> &str {
        &self.last_error
    }

    /// When the last attempt failed, in Unix seconds.
    pub fn failed_at(&self) -> u64 {
        self.failed_at
    }
}

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// Timing of workers and their heartbeats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct QueueOptions {
    /// How often a worker says it is alive. A job held by a worker silent for
    /// `heartbeat × missed_heartbeats` is given to another worker. Default 10 s (apalis
    /// stores seconds: keep it ≥ 1 s).
    pub heartbeat: Duration,
    /// How many heartbeats may be missed before a worker counts as dead. Default 3.
    pub missed_heartbeats: usize,
}

impl Default for QueueOptions {
    fn default() -> Self {
        Self {
            heartbeat: Duration::from_secs(10),
            missed_heartbeats: 3,
        }
    }
}

impl QueueOptions {
    /// Sets the heartbeat interval and how many may be missed.
    #[must_use]
    pub fn heartbeat(mut self, interval: Duration, missed: usize) -> Self {
        self.heartbeat = interval.max(Duration::from_secs(1));
        self.missed_heartbeats = missed.max(1);
        self
    }
}

#[derive(Clone)]
enum Engine {
    Sqlite(SqlitePool),
    #[cfg(feature = "postgres")]
    Postgres(sqlx::PgPool),
    #[cfg(feature = "redis")]
    Redis(::redis::aio::ConnectionManager),
}

/// A durable job queue (cheap to clone; clones share connections).
#[derive(Clone)]
pub struct Queue {
    engine: Engine,
    name: Arc<str>,
    options: QueueOptions,
    /// Concurrent enqueues are written together (group commit), see [`Queue::enqueue`].
    batcher: Option<tokio::sync::mpsc::Sender<Pending>>,
}

/// Spans of background work (feature `otel`): `frameio.enqueue` (PRODUCER) inside the
/// delivery's span, and `frameio.job` (CONSUMER) around each run, linked to the span that
/// queued it through the `traceparent` kept with the job.
#[cfg(feature = "otel")]
mod trace {
    use std::collections::HashMap;

    use opentelemetry::trace::TraceContextExt as _;
    use tracing_opentelemetry::OpenTelemetrySpanExt as _;

    /// The span around storing a delivery in the queue.
    pub(super) fn enqueue_span(handler: &str) -> tracing::Span {
        tracing::info_span!(
            target: "frameio_kit::delivery",
            "frameio.enqueue",
            otel.name = "frameio enqueue",
            otel.kind = "producer",
            "frameio.handler" = handler,
        )
    }

    /// The W3C `traceparent` of the current span, by the global propagator.
    pub(super) fn current_traceparent() -> Option<String> {
        let context = tracing::Span::current().context();
        let mut carrier: HashMap<String, String> = HashMap::new();
        opentelemetry::global::get_text_map_propagator(|propagator| {
            propagator.inject_context(&context, &mut carrier);
        });
        carrier.remove("traceparent")
    }

    /// The span around one run of a job, linked to the span that queued it.
    pub(super) fn job_span(
        handler: &str,
        job: &str,
        attempt: u32,
        traceparent: Option<&str>,
    ) -> tracing::Span {
        let span = tracing::info_span!(
            target: "frameio_kit::delivery",
            "frameio.job",
            otel.name = "frameio job",
            otel.kind = "consumer",
            "frameio.handler" = handler,
            "frameio.job.id" = job,
            "frameio.job.attempt" = attempt,
        );
        if let Some(traceparent) = traceparent {
            let carrier: HashMap<String, String> =
                HashMap::from([("traceparent".to_owned(), traceparent.to_owned())]);
            let context = opentelemetry::global::get_text_map_propagator(|propagator| {
                propagator.extract(&carrier)
            });
            let queued = context.span().span_context().clone();
            if queued.is_valid() {
                span.add_link(queued);
            }
        }
        span
    }
}

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

/// A job waiting for the batcher, and who to tell when it is stored.
type Pending = (Job, tokio::sync::oneshot::Sender<Result<(), Arc<str>>>);

/// The most jobs written in one batch.
const MAX_BATCH: usize = 256;

/// Writes queued jobs in batches: whatever arrived while the previous batch was being
/// written goes in the next one (one transaction, or one Redis round trip).
async fn batch_writer(queue: Queue, mut jobs: tokio::sync::mpsc::Receiver<Pending>) {
    let mut batch = Vec::with_capacity(MAX_BATCH);
    while jobs.recv_many(&mut batch, MAX_BATCH).await > 0 {
        let (records, waiters): (Vec<_>, Vec<_>) = batch.drain(..).unzip();
        let outcome = queue
            .push_many(records.into_iter().map(|job| (job, None)).collect())
            .await
            .map_err(|e| Arc::<str>::from(error_chain(&e)));
        for waiter in waiters {
            let _ = waiter.send(outcome.clone());
        }
    }
}

impl fmt::Debug for Queue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Queue")
            .field("engine", &self.engine_name())
            .field("name", &self.name)
            .field("options", &self.options)
            .finish()
    }
}

const SQLITE_DEAD_LETTERS: &str = "CREATE TABLE IF NOT EXISTS frameio_kit_dead_letters (\
     queue TEXT NOT NULL, id TEXT NOT NULL, record TEXT NOT NULL, failed_at INTEGER NOT NULL, \
     PRIMARY KEY (queue, id))";
#[cfg(feature = "postgres")]
const POSTGRES_DEAD_LETTERS: &str = "CREATE TABLE IF NOT EXISTS frameio_kit_dead_letters (\
     queue TEXT NOT NULL, id TEXT NOT NULL, record TEXT NOT NULL, failed_at BIGINT NOT NULL, \
     PRIMARY KEY (queue, id))";

impl Queue {
    /// A queue named `name` in the SQLite file at `path` (created if missing; it may be the
    /// store's file). Runs apalis's migrations.
    ///
    /// The file is in WAL mode with `synchronous = NORMAL`: a job acknowledged by
    /// [`enqueue`](Queue::enqueue) survives the process being killed; to survive a power loss
    /// too, use [`Queue::sqlite_with`] with `durable_sync = true` (each enqueue then waits for
    /// the disk).
    ///
    /// # Errors
    ///
    /// [`QueueError::Database`] when the file cannot be opened or migrated.
    pub async fn sqlite(path: impl AsRef<Path>, name: &str) -> Result<Self, QueueError> {
        Self::sqlite_with(path, name, false).await
    }

    /// [`Queue::sqlite`], choosing whether every commit is flushed to the disk (`FULL`).
    ///
    /// # Errors
    ///
    /// [`QueueError::Database`] when the file cannot be opened or migrated.
    pub async fn sqlite_with(
        path: impl AsRef<Path>,
        name: &str,
        durable_sync: bool,
    ) -> Result<Self, QueueError> {
        let options = SqliteConnectOptions::new()
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(if durable_sync {
                SqliteSynchronous::Full
            } else {
                SqliteSynchronous::Normal
            })
            .busy_timeout(Duration::from_secs(10));
        // apalis's set-up switches `synchronous` off on the connection it runs on: run it on a
        // connection of its own and close it, so the pool keeps the setting above.
        {
            let setup = SqlitePoolOptions::new()
                .max_connections(1)
                .connect_with(options.clone())
                .await?;
            SqliteStorage::setup(&setup)
                .await
                .map_err(|e| QueueError::Engine(e.to_string()))?;
            sqlx::query(SQLITE_DEAD_LETTERS).execute(&setup).await?;
            setup.close().await;
        }
        let pool = SqlitePoolOptions::new()
            .max_connections(8)
            .connect_with(options)
            .await?;
        Ok(Self::from_engine(Engine::Sqlite(pool), name))
    }

    /// A queue named `name` in the PostgreSQL database at `url` (apalis's tables in the
    /// `apalis` schema, dead letters in `frameio_kit_dead_letters`). Every instance pointing
    /// at the same database and name shares the jobs; each job runs on one of them.
    ///
    /// # Errors
    ///
    /// [`QueueError::Database`] when the database is unreachable or cannot be migrated.
    #[cfg(feature = "postgres")]
    pub async fn postgres(url: &str, name: &str) -> Result<Self, QueueError> {
        let pool = sqlx::postgres::PgPoolOptions::new()
            .max_connections(16)
            .connect(url)
            .await?;
        apalis_postgres::PostgresStorage::<()>::setup(&pool)
            .await
            .map_err(|e| QueueError::Engine(e.to_string()))?;
        sqlx::query(POSTGRES_DEAD_LETTERS).execute(&pool).await?;
        Ok(Self::from_engine(Engine::Postgres(pool), name))
    }

    /// A queue named `name` on the Redis server at `url`. Every instance pointing at the same
    /// server and name shares the jobs; each job runs on one of them.
    ///
    /// # Errors
    ///
    /// [`QueueError::Redis`] when the URL is invalid or the server unreachable.
    #[cfg(feature = "redis")]
    pub async fn redis(url: &str, name: &str) -> Result<Self, QueueError> {
        let manager = apalis_redis::connect(url).await?;
        Ok(Self::from_engine(Engine::Redis(manager), name))
    }

    /// Must run on a tokio runtime (the constructors are async): it starts the batch writer.
    fn from_engine(engine: Engine, name: &str) -> Self {
        let mut queue = Self {
            engine,
            name: Arc::from(name),
            options: QueueOptions::default(),
            batcher: None,
        };
        let (sender, receiver) = tokio::sync::mpsc::channel(4 * MAX_BATCH);
        // The writer holds a queue without a batcher, so it ends when the last clone is dropped.
        tokio::spawn(batch_writer(queue.clone(), receiver));
        queue.batcher = Some(sender);
        queue
    }

    /// Sets worker timing (heartbeats).
    #[must_use]
    pub fn with_options(mut self, options: QueueOptions) -> Self {
        self.options = options;
        self
    }

    /// The queue's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The engine's name: `sqlite`, `postgres` or `redis`.
    pub fn engine_name(&self) -> &'static str {
        match &self.engine {
            Engine::Sqlite(_) => "sqlite",
            #[cfg(feature = "postgres")]
            Engine::Postgres(_) => "postgres",
            #[cfg(feature = "redis")]
            Engine::Redis(_) => "redis",
        }
    }

    /// Stores a verified delivery for `handler` (its [`Handler::function`] name); when this
    /// returns, the job is committed and the delivery may be answered `OK`.
    ///
    /// Deliveries enqueued at the same time are written together in one transaction (one
    /// round trip for Redis), which is what lets the queue keep up with many deliveries per
    /// second; each call still returns only once its own job is stored.
    ///
    /// # Errors
    ///
    /// [`QueueError::InvalidBody`] for a non-UTF-8 body; engine errors when the job could not
    /// be stored (answer the delivery 503 so Frame.io retries).
    pub async fn enqueue(
        &self,
        handler: &str,
        body: &[u8],
        headers: &Headers,
        timestamp: i64,
    ) -> Result<JobId, QueueError> {
        #[cfg_attr(not(feature = "otel"), allow(unused_mut))]
        let mut job = Job::new(handler, body, headers, timestamp)?;
        #[cfg(feature = "otel")]
        {
            job.trace = trace::current_traceparent();
        }
        let id = job.id.clone();
        match &self.batcher {
            Some(batcher) => {
                let (done, stored) = tokio::sync::oneshot::channel();
                batcher
                    .send((job, done))
                    .await
                    .map_err(|_| QueueError::Engine("the queue's writer stopped".to_owned()))?;
                stored
                    .await
                    .map_err(|_| QueueError::Engine("the queue's writer stopped".to_owned()))?
                    .map_err(|e| QueueError::Engine(e.to_string()))?;
            }
            None => self.push(job, None).await?,
        }
        Ok(id)
    }

    /// Stores a job, to run after `delay` when given.
    async fn push(&self, job: Job, delay: Option<Duration>) -> Result<(), QueueError> {
        self.push_many(vec![(job, delay)]).await
    }

    /// Stores jobs in one batch, each to run after its delay when given.
    async fn push_many(&self, jobs: Vec<(Job, Option<Duration>)>) -> Result<(), QueueError> {
        let tasks = jobs.into_iter().map(|(job, delay)| {
            let mut task = TaskBuilder::new(job).max_attempts(3);
            if let Some(delay) = delay {
                task = task.run_after(delay);
            }
            task.build()
        });
        let mut tasks = futures_util::stream::iter(tasks);
        let engine_error = |e: &dyn fmt::Display| QueueError::Engine(e.to_string());
        match &self.engine {
            Engine::Sqlite(pool) => {
                let mut storage = SqliteStorage::<Job>::new(pool)
                    .with_config(apalis_config!(apalis_sqlite, self));
                storage
                    .push_all(&mut tasks)
                    .await
                    .map_err(|e| engine_error(&e))
            }
            #[cfg(feature = "postgres")]
            Engine::Postgres(pool) => {
                let mut storage = apalis_postgres::PostgresStorage::<Job>::new(pool)
                    .with_config(apalis_config!(apalis_postgres, self));
                storage
                    .push_all(&mut tasks)
                    .await
                    .map_err(|e| engine_error(&e))
            }
            #[cfg(feature = "redis")]
            Engine::Redis(manager) => {
                let mut storage = apalis_redis::RedisStorage::<Job, _>::new(manager.clone())
                    .with_config(apalis_config!(apalis_redis, self));
                storage
                    .push_all(&mut tasks)
                    .await
                    .map_err(|e| engine_error(&e))
            }
        }
    }

    #[cfg(feature = "redis")]
    fn dead_key(&self) -> String {
        format!("{}:frameio-kit:dead-letters", self.name)
    }

    async fn put_dead_letter(&self, letter: &DeadLetter) -> Result<(), QueueError> {
        let record = serde_json::to_string(letter)?;
        let failed_at = i64::try_from(letter.failed_at).unwrap_or(i64::MAX);
        match &self.engine {
            Engine::Sqlite(pool) => {
                sqlx::query(
                    "INSERT OR REPLACE INTO frameio_kit_dead_letters (queue, id, record, failed_at) \
                     VALUES (?, ?, ?, ?)",
                )
                .bind(&*self.name)
                .bind(letter.id().as_str())
                .bind(&record)
                .bind(failed_at)
                .execute(pool)
                .await?;
            }
            #[cfg(feature = "postgres")]
            Engine::Postgres(pool) => {
                sqlx::query(
                    "INSERT INTO frameio_kit_dead_letters (queue, id, record, failed_at) \
                     VALUES ($1, $2, $3, $4) ON CONFLICT (queue, id) DO UPDATE \
                     SET record = EXCLUDED.record, failed_at = EXCLUDED.failed_at",
                )
                .bind(&*self.name)
                .bind(letter.id().as_str())
                .bind(&record)
                .bind(failed_at)
                .execute(pool)
                .await?;
            }
            #[cfg(feature = "redis")]
            Engine::Redis(manager) => {
                let mut conn = manager.clone();
                let _: i64 = ::redis::cmd("HSET")
                    .arg(self.dead_key())
                    .arg(letter.id().as_str())
                    .arg(&record)
                    .query_async(&mut conn)
                    .await?;
            }
        }
        Ok(())
    }

    /// Every dead letter of this queue, oldest failure first.
    ///
    /// # Errors
    ///
    /// Engine errors, or [`QueueError::Codec`] for a record this version cannot read.
    pub async fn dead_letters(&self) -> Result<Vec<DeadLetter>, QueueError> {
        let records: Vec<String> = match &self.engine {
            Engine::Sqlite(pool) => sqlx::query_scalar(
                "SELECT record FROM frameio_kit_dead_letters WHERE queue = ? ORDER BY failed_at, id",
            )
            .bind(&*self.name)
            .fetch_all(pool)
            .await?,
            #[cfg(feature = "postgres")]
            Engine::Postgres(pool) => sqlx::query_scalar(
                "SELECT record FROM frameio_kit_dead_letters WHERE queue = $1 ORDER BY failed_at, id",
            )
            .bind(&*self.name)
            .fetch_all(pool)
            .await?,
            #[cfg(feature = "redis")]
            Engine::Redis(manager) => {
                let mut conn = manager.clone();
                ::redis::cmd("HVALS")
                    .arg(self.dead_key())
                    .query_async(&mut conn)
                    .await?
            }
        };
        let mut letters = records
            .iter()
            .map(|r| serde_json::from_str::<DeadLetter>(r))
            .collect::<Result<Vec<_>, _>>()?;
        letters.sort_by(|a, b| (a.failed_at, &a.job.id.0).cmp(&(b.failed_at, &b.job.id.0)));
        Ok(letters)
    }

    /// Removes a dead letter; `true` when it existed.
    ///
    /// # Errors
    ///
    /// Engine errors.
    pub async fn discard_dead_letter(&self, id: &JobId) -> Result<bool, QueueError> {
        Ok(match &self.engine {
            Engine::Sqlite(pool) => {
                sqlx::query("DELETE FROM frameio_kit_dead_letters WHERE queue = ? AND id = ?")
                    .bind(&*self.name)
                    .bind(id.as_str())
                    .execute(pool)
                    .await?
                    .rows_affected()
                    > 0
            }
            #[cfg(feature = "postgres")]
            Engine::Postgres(pool) => {
                sqlx::query("DELETE FROM frameio_kit_dead_letters WHERE queue = $1 AND id = $2")
                    .bind(&*self.name)
                    .bind(id.as_str())
                    .execute(pool)
                    .await?
                    .rows_affected()
                    > 0
            }
            #[cfg(feature = "redis")]
            Engine::Redis(manager) => {
                let mut conn = manager.clone();
                let removed: i64 = ::redis::cmd("HDEL")
                    .arg(self.dead_key())
                    .arg(id.as_str())
                    .query_async(&mut conn)
                    .await?;
                removed > 0
            }
        })
    }

    /// Puts a dead letter back in the queue as a fresh first attempt (same [`JobId`]) and
    /// removes it; `false` when there was no such dead letter.
    ///
    /// # Errors
    ///
    /// Engine errors.
    pub async fn retry_dead_letter(&self, id: &JobId) -> Result<bool, QueueError> {
        let Some(letter) = self
            .dead_letters()
            .await?
            .into_iter()
            .find(|l| &l.job.id == id)
        else {
            return Ok(false);
        };
        let mut job = letter.job;
        job.attempt = 1;
        self.push(job, None).await?;
        self.discard_dead_letter(id).await
    }
}

/// Runs jobs: the handlers a worker knows, keyed by name.
struct Runner {
    handlers: HashMap<String, (Handler, RetryPolicy)>,
    data: Arc<AppData>,
    queue: Queue,
}

impl Runner {
    /// Runs one job; errors only when the outcome could not be recorded (apalis then runs it
    /// again).
    async fn run(&self, job: Job) -> Result<(), QueueError> {
        let Some((handler, policy)) = self.handlers.get(&job.handler) else {
            let error = format!(
                "no background handler named `{}` in this worker",
                job.handler
            );
            return self.dead(job, error).await;
        };
        let event = match job.event(handler.kind()) {
            Ok(event) => event,
            Err(err) => {
                return self
                    .dead(
                        job,
                        format!("stored body does not fit the event model: {err}"),
                    )
                    .await;
            }
        };
        let mut delivery = Delivery::new(event, job.headers(), Arc::clone(&self.data));
        delivery.set_extension_boxed(Box::new(JobInfo {
            id: job.id.clone(),
            attempt: job.attempt,
        }));
        let running = AssertUnwindSafe(handler.call(delivery)).catch_unwind();
        #[cfg(feature = "otel")]
        let running = tracing::Instrument::instrument(
            running,
            trace::job_span(
                &job.handler,
                job.id.as_str(),
                job.attempt,
                job.trace.as_deref(),
            ),
        );
        let outcome = running.await;
        let error = match outcome {
            Ok(Ok(_)) => {
                tracing::info!(
                    target: "frameio_kit::delivery",
                    job = %job.id, handler = %job.handler, attempt = job.attempt,
                    "background job done"
                );
                #[cfg(feature = "metrics")]
                crate::telemetry::metrics::job_run(&job.handler, "done", job.attempt);
                return Ok(());
            }
            Ok(Err(err)) => error_chain(err.as_ref()),
            Err(panic) => format!("handler panicked: {}", panic_text(panic.as_ref())),
        };
        if job.attempt >= policy.max_attempts {
            tracing::error!(
                target: "frameio_kit::delivery",
                job = %job.id, handler = %job.handler, attempt = job.attempt, %error,
                "background job failed its last attempt: kept as a dead letter"
            );
            #[cfg(feature = "metrics")]
            crate::telemetry::metrics::job_run(&job.handler, "dead", job.attempt);
            return self.dead(job, error).await;
        }
        let delay = policy.delay_after(job.attempt, rand::random());
        tracing::warn!(
            target: "frameio_kit::delivery",
            job = %job.id, handler = %job.handler, attempt = job.attempt,
            retry_in_ms = u64::try_from(delay.as_millis()).unwrap_or(u64::MAX), %error,
            "background job failed: will retry"
        );
        #[cfg(feature = "metrics")]
        crate::telemetry::metrics::job_run(&job.handler, "retry", job.attempt);
        let mut next = job;
        next.attempt += 1;
        self.queue.push(next, Some(delay)).await
    }

    async fn dead(&self, job: Job, last_error: String) -> Result<(), QueueError> {
        let letter = DeadLetter {
            job,
            last_error,
            failed_at: unix_now(),
        };
        self.queue.put_dead_letter(&letter).await
    }
}

pub(crate) fn error_chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(err) = source {
        text.push_str(": ");
        text.push_str(&err.to_string());
        source = err.source();
    }
    text
}

fn panic_text(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&'static str>() {
        (*s).to_owned()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "non-string panic payload".to_owned()
    }
}

/// The apalis task function: one job.
async fn run_job(job: Job, runner: Data<Arc<Runner>>) -> Result<(), BoxDynError> {
    runner
        .0
        .run(job)
        .await
        .map_err(|e| Box::new(e) as BoxDynError)
}

/// Runs background handlers from a [`Queue`]: in the receiver's process (the default when the
/// app has background handlers) or in a process of its own (`App::worker()`), as many as you
/// like against one queue.
pub struct Worker {
    queue: Queue,
    handlers: Vec<(Handler, RetryPolicy)>,
    data: Arc<AppData>,
    concurrency: usize,
    shutdown_timeout: Duration,
    name: String,
}

impl fmt::Debug for Worker {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Worker")
            .field("queue", &self.queue)
            .field(
                "handlers",
                &self
                    .handlers
                    .iter()
                    .map(|(h, _)| h.function())
                    .collect::<Vec<_>>(),
            )
            .field("concurrency", &self.concurrency)
            .field("shutdown_timeout", &self.shutdown_timeout)
            .field("name", &self.name)
            .finish()
    }
}

impl Worker {
    /// A worker on `queue` with no handler yet, 4 jobs at a time and a 30 s shutdown timeout.
    pub fn new(queue: Queue) -> Self {
        Self {
            queue,
            handlers: Vec::new(),
            data: Arc::new(AppData::default()),
            concurrency: 4,
            shutdown_timeout: Duration::from_secs(30),
            name: format!("frameio-kit-{}", uuid_v4()),
        }
    }

    /// Runs jobs queued for `handler` (matched by [`Handler::function`]) with this policy.
    #[must_use]
    pub fn handler(mut self, handler: Handler, policy: RetryPolicy) -> Self {
        self.handlers.push((handler, policy));
        self
    }

    /// The shared values the handlers' extractors read (the app's `State`s, client…).
    #[must_use]
    pub fn data(mut self, data: Arc<AppData>) -> Self {
        self.data = data;
        self
    }

    /// How many jobs run at once (at least 1).
    #[must_use]
    pub fn concurrency(mut self, jobs: usize) -> Self {
        self.concurrency = jobs.max(1);
        self
    }

    /// How long shutdown waits for running jobs before leaving them to be re-run elsewhere.
    #[must_use]
    pub fn shutdown_timeout(mut self, timeout: Duration) -> Self {
        self.shutdown_timeout = timeout;
        self
    }

    /// Starts the worker on the current tokio runtime.
    ///
    /// # Errors
    ///
    /// [`QueueError::Config`] with no handler or a handler name given twice.
    pub fn start(self) -> Result<WorkerHandle, QueueError> {
        if self.handlers.is_empty() {
            return Err(QueueError::Config("the worker has no handler".to_owned()));
        }
        let mut handlers = HashMap::new();
        for (handler, policy) in self.handlers {
            let name = handler.function().to_owned();
            if handlers.insert(name.clone(), (handler, policy)).is_some() {
                return Err(QueueError::Config(format!(
                    "handler `{name}` is given twice"
                )));
            }
        }
        let runner = Arc::new(Runner {
            handlers,
            data: self.data,
            queue: self.queue.clone(),
        });
        let token = CancellationToken::new();
        let task = tokio::spawn(drive(
            self.queue,
            runner,
            self.name,
            self.concurrency,
            self.shutdown_timeout,
            token.clone(),
        ));
        Ok(WorkerHandle { token, task })
    }

    /// Runs the worker until `signal` completes, then shuts it down gracefully.
    ///
    /// # Errors
    ///
    /// As [`Worker::start`].
    pub async fn run_until<F>(self, signal: F) -> Result<(), QueueError>
    where
        F: Future<Output = ()> + Send,
    {
        let handle = self.start()?;
        signal.await;
        handle.shutdown().await;
        Ok(())
    }
}

/// Running background workers: a [`Worker`] started with [`Worker::start`], or this
/// process's workers from [`Service::start_workers`](crate::Service::start_workers).
/// Dropping it leaves them running; stop them with [`WorkerHandle::shutdown`].
#[derive(Debug)]
pub struct WorkerHandle {
    token: CancellationToken,
    task: tokio::task::JoinHandle<()>,
}

impl WorkerHandle {
    /// Stops taking jobs, waits for running ones (at most the shutdown timeout) and returns.
    /// Jobs not finished stay in the queue and run again after the heartbeat timeout.
    pub async fn shutdown(self) {
        self.token.cancel();
        if let Err(err) = self.task.await {
            tracing::error!(target: "frameio_kit::delivery", error = %err, "worker task failed");
        }
    }

    /// Stops at once: running jobs are dropped and run again elsewhere once this worker has
    /// missed its heartbeats.
    pub fn stop_now(self) {
        self.token.cancel();
        self.task.abort();
    }
}

macro_rules! run_apalis {
    ($backend:expr, $name:expr, $runner:expr, $concurrency:expr, $timeout:expr, $token:expr) => {{
        let worker = WorkerBuilder::new($name.as_str())
            .backend($backend)
            .data(Arc::clone(&$runner))
            .layer(tower::limit::ConcurrencyLimitLayer::new($concurrency))
            .build(run_job);
        let stop = $token.clone();
        let signal = async move {
            stop.cancelled().await;
            Ok::<(), std::io::Error>(())
        };
        let run = worker.run_until(signal);
        tokio::pin!(run);
        let deadline = async {
            $token.cancelled().await;
            tokio::time::sleep($timeout).await;
        };
        tokio::select! {
            result = &mut run => {
                if let Err(err) = result {
                    tracing::error!(target: "frameio_kit::delivery", worker = %$name, error = %err, "worker stopped with an error");
                }
            }
            () = deadline => tracing::warn!(
                target: "frameio_kit::delivery", worker = %$name,
                "shutdown timeout: jobs still running are left for another worker"
            ),
        }
    }};
}

/// Runs the apalis worker for the queue's engine until cancelled (and drained or timed out).
async fn drive(
    queue: Queue,
    runner: Arc<Runner>,
    name: String,
    concurrency: usize,
    timeout: Duration,
    token: CancellationToken,
) {
    tracing::info!(target: "frameio_kit::delivery", worker = %name, queue = %queue.name, concurrency, "worker started");
    match &queue.engine {
        Engine::Sqlite(pool) => {
            let backend = SqliteStorage::<Job>::new(pool)
                .with_config(apalis_config!(apalis_sqlite, queue).batch_size(concurrency));
            run_apalis!(backend, name, runner, concurrency, timeout, token);
        }
        #[cfg(feature = "postgres")]
        Engine::Postgres(pool) => {
            let backend = apalis_postgres::PostgresStorage::<Job>::new(pool)
                .with_config(apalis_config!(apalis_postgres, queue).batch_size(concurrency));
            run_apalis!(backend, name, runner, concurrency, timeout, token);
        }
        #[cfg(feature = "redis")]
        Engine::Redis(manager) => {
            let backend = apalis_redis::RedisStorage::<Job, _>::new(manager.clone())
                .with_config(apalis_config!(apalis_redis, queue).batch_size(concurrency));
            run_apalis!(backend, name, runner, concurrency, timeout, token);
        }
    }
    tracing::info!(target: "frameio_kit::delivery", worker = %name, "worker stopped");
}

/// The SQLite file the queue uses by default: the store's (`FRAMEIO_KIT_SQLITE_PATH`, else
/// [`DEFAULT_QUEUE_SQLITE_PATH`]).
pub const QUEUE_SQLITE_PATH_ENV: &str = "FRAMEIO_KIT_SQLITE_PATH";
/// The default SQLite file, the same as the default store's.
pub const DEFAULT_QUEUE_SQLITE_PATH: &str = "frameio-kit.sqlite";
/// The queue name an app uses unless told otherwise.
pub const DEFAULT_QUEUE_NAME: &str = "frameio-kit";

/// Where an app's background queue lives ([`App::queue`](crate::App::queue)): opened when the
/// app starts, so an unreachable queue stops it with a clear start-up problem.
#[derive(Clone)]
pub struct QueueBackend {
    engine: BackendEngine,
    name: String,
    options: QueueOptions,
}

#[derive(Clone)]
enum BackendEngine {
    Sqlite {
        path: std::path::PathBuf,
        durable: bool,
    },
    #[cfg(feature = "postgres")]
    Postgres(String),
    #[cfg(feature = "redis")]
    Redis(String),
    Opened(Queue),
}

impl fmt::Debug for QueueBackend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // URLs may hold passwords: only the engine is shown.
        f.debug_struct("QueueBackend")
            .field("engine", &self.engine_name())
            .field("name", &self.name)
            .field("options", &self.options)
            .finish()
    }
}

impl QueueBackend {
    fn with_engine(engine: BackendEngine) -> Self {
        Self {
            engine,
            name: DEFAULT_QUEUE_NAME.to_owned(),
            options: QueueOptions::default(),
        }
    }

    /// The embedded SQLite queue in this file (it may be the store's file).
    pub fn sqlite(path: impl Into<std::path::PathBuf>) -> Self {
        Self::with_engine(BackendEngine::Sqlite {
            path: path.into(),
            durable: false,
        })
    }

    /// [`QueueBackend::sqlite`] with every commit flushed to the disk, so a queued job also
    /// survives a power loss (see [`Queue::sqlite_with`]).
    pub fn sqlite_durable(path: impl Into<std::path::PathBuf>) -> Self {
        Self::with_engine(BackendEngine::Sqlite {
            path: path.into(),
            durable: true,
        })
    }

    /// The PostgreSQL queue at `url`: every instance pointing at it shares the jobs.
    #[cfg(feature = "postgres")]
    pub fn postgres(url: impl Into<String>) -> Self {
        Self::with_engine(BackendEngine::Postgres(url.into()))
    }

    /// The Redis queue at `url`: every instance pointing at it shares the jobs.
    #[cfg(feature = "redis")]
    pub fn redis(url: impl Into<String>) -> Self {
        Self::with_engine(BackendEngine::Redis(url.into()))
    }

    /// A queue you opened yourself (its name and options are its own).
    pub fn opened(queue: Queue) -> Self {
        let name = queue.name().to_owned();
        let options = queue.options;
        Self {
            engine: BackendEngine::Opened(queue),
            name,
            options,
        }
    }

    /// The queue's name (default [`DEFAULT_QUEUE_NAME`]): apps sharing a database keep their
    /// jobs apart by name.
    #[must_use]
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.name = name.into();
        self
    }

    /// Worker timing (heartbeats).
    #[must_use]
    pub fn options(mut self, options: QueueOptions) -> Self {
        self.options = options;
        self
    }

    /// The engine's name, for logs and start-up problems.
    pub fn engine_name(&self) -> &'static str {
        match &self.engine {
            BackendEngine::Sqlite { .. } => "sqlite",
            #[cfg(feature = "postgres")]
            BackendEngine::Postgres(_) => "postgres",
            #[cfg(feature = "redis")]
            BackendEngine::Redis(_) => "redis",
            BackendEngine::Opened(queue) => queue.engine_name(),
        }
    }

    /// Opens (and migrates) the queue.
    ///
    /// # Errors
    ///
    /// The engine's, when it is unreachable or cannot be set up.
    pub async fn open(&self) -> Result<Queue, QueueError> {
        let queue = match &self.engine {
            BackendEngine::Sqlite { path, durable } => {
                Queue::sqlite_with(path, &self.name, *durable).await?
            }
            #[cfg(feature = "postgres")]
            BackendEngine::Postgres(url) => Queue::postgres(url, &self.name).await?,
            #[cfg(feature = "redis")]
            BackendEngine::Redis(url) => Queue::redis(url, &self.name).await?,
            BackendEngine::Opened(queue) => return Ok(queue.clone()),
        };
        Ok(queue.with_options(self.options))
    }
}

/// The app's queue settings (`App::queue`, `App::background_workers`).
#[derive(Debug, Clone)]
pub(crate) struct QueueSettings {
    /// `None`: SQLite in the store's file.
    pub(crate) backend: Option<QueueBackend>,
    /// Jobs run at once by the in-process workers; 0 runs none in this process.
    pub(crate) workers: usize,
}

impl Default for QueueSettings {
    fn default() -> Self {
        Self {
            backend: None,
            workers: 4,
        }
    }
}

/// An app's background handlers, their queue (opened once, on first need) and its workers.
pub(crate) struct Background {
    backend: QueueBackend,
    queue: tokio::sync::OnceCell<Queue>,
    handlers: Vec<(Handler, RetryPolicy)>,
    workers: usize,
    shutdown_timeout: Duration,
    /// The runtime the queue is opened on: the one the server was started from, which
    /// outlives the HTTP worker threads (whose runtimes end with the server).
    runtime: std::sync::OnceLock<tokio::runtime::Handle>,
}

impl fmt::Debug for Background {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Background")
            .field("backend", &self.backend)
            .field("handlers", &self.handlers.len())
            .field("workers", &self.workers)
            .finish_non_exhaustive()
    }
}

impl Background {
    pub(crate) fn new(
        backend: QueueBackend,
        handlers: Vec<(Handler, RetryPolicy)>,
        workers: usize,
        shutdown_timeout: Duration,
    ) -> Self {
        Self {
            backend,
            queue: tokio::sync::OnceCell::new(),
            handlers,
            workers,
            shutdown_timeout,
            runtime: std::sync::OnceLock::new(),
        }
    }

    /// Opens the queue on the current runtime from now on (call it where the server is
    /// started, not on an HTTP worker thread).
    pub(crate) fn pin_runtime(&self) {
        if let Ok(handle) = tokio::runtime::Handle::try_current() {
            let _ = self.runtime.set(handle);
        }
    }

    /// The backend's engine name.
    pub(crate) fn engine_name(&self) -> &'static str {
        self.backend.engine_name()
    }

    /// The queue, opened on first use (a failed open is tried again next time).
    pub(crate) async fn queue(&self) -> Result<&Queue, QueueError> {
        self.queue
            .get_or_try_init(|| async {
                // The queue's connections and batch writer live on the runtime they are
                // opened on: the pinned one, when there is one.
                match self.runtime.get() {
                    Some(runtime) => {
                        let backend = self.backend.clone();
                        runtime
                            .spawn(async move { backend.open().await })
                            .await
                            .map_err(|err| QueueError::Engine(err.to_string()))?
                    }
                    None => self.backend.open().await,
                }
            })
            .await
    }

    /// Stores a verified delivery for the background handler `function`.
    pub(crate) async fn enqueue(
        &self,
        function: &str,
        delivery: &Delivery,
    ) -> Result<JobId, QueueError> {
        let body = delivery.raw_body().ok_or(QueueError::InvalidBody)?;
        let timestamp = match delivery.event() {
            DeliveryEvent::Webhook(event) => event.timestamp(),
            DeliveryEvent::Action(event) => event.timestamp(),
        };
        let queue = self.queue().await?;
        let enqueue = queue.enqueue(function, body, delivery.headers(), timestamp);
        #[cfg(feature = "otel")]
        let enqueue = tracing::Instrument::instrument(enqueue, trace::enqueue_span(function));
        let id = enqueue.await?;
        tracing::debug!(
            target: "frameio_kit::delivery",
            job = %id, handler = function, "background job queued"
        );
        #[cfg(feature = "metrics")]
        crate::telemetry::metrics::job_enqueued(function);
        Ok(id)
    }

    /// Starts this process's workers (none when the app asked for 0): a task that opens the
    /// queue (trying again while it is unreachable) and runs the handlers until shut down.
    pub(crate) fn start_workers(self: &Arc<Self>, data: Arc<AppData>) -> Option<WorkerHandle> {
        if self.workers == 0 {
            return None;
        }
        let token = CancellationToken::new();
        let stop = token.clone();
        let this = Arc::clone(self);
        let task = tokio::spawn(async move {
            let mut wait = Duration::from_millis(500);
            let queue = loop {
                match this.queue().await {
                    Ok(queue) => break queue.clone(),
                    Err(err) => {
                        tracing::error!(
                            target: "frameio_kit::delivery",
                            engine = this.engine_name(), error = %error_chain(&err),
                            "background queue unreachable: workers will try again"
                        );
                        tokio::select! {
                            () = stop.cancelled() => return,
                            () = tokio::time::sleep(wait) => {}
                        }
                        wait = (wait * 2).min(Duration::from_secs(30));
                    }
                }
            };
            let mut worker = Worker::new(queue)
                .data(data)
                .concurrency(this.workers)
                .shutdown_timeout(this.shutdown_timeout);
            for (handler, policy) in &this.handlers {
                worker = worker.handler(handler.clone(), *policy);
            }
            match worker.start() {
                Ok(handle) => {
                    stop.cancelled().await;
                    handle.shutdown().await;
                }
                Err(err) => tracing::error!(
                    target: "frameio_kit::delivery",
                    error = %error_chain(&err), "background workers cannot start"
                ),
            }
        });
        Some(WorkerHandle { token, task })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jobs_keep_body_and_safe_headers_only() {
        let mut headers = Headers::new();
        headers.insert("X-Frameio-Signature", "v0=abc");
        headers.insert("Authorization", "Bearer secret");
        headers.insert("User-Agent", "Frame.io V4 API");
        headers.insert("x-binary", [0xff]);
        let job = Job::new("h", br#"{"type":"file.ready"}"#, &headers, 17).unwrap();
        assert_eq!(job.attempt(), 1);
        let kept = job.headers();
        assert_eq!(kept.len(), 1);
        assert_eq!(kept.get("user-agent"), Some("Frame.io V4 API"));
        let json = serde_json::to_string(&job).unwrap();
        assert!(
            !json.contains("secret") && !json.contains("v0=abc"),
            "{json}"
        );
        assert!(matches!(
            Job::new("h", &[0xff, 0xfe], &headers, 1),
            Err(QueueError::InvalidBody)
        ));
        let a = JobId::generate();
        assert_eq!(a.as_str().len(), 36);
        assert_ne!(a, JobId::generate());
        assert!(!format!("{job:?}").contains("file.ready"));
    }
}
