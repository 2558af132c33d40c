//! The queue on its engine (SQLite, PostgreSQL, Redis): opening it, and storing jobs in
//! batches (group commit).

use std::fmt;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use apalis_core::backend::TaskSink;
use apalis_core::task::builder::TaskBuilder;
use apalis_sqlite::SqliteStorage;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};

#[cfg(feature = "postgres")]
use super::dead_letters::POSTGRES_DEAD_LETTERS;
use super::dead_letters::SQLITE_DEAD_LETTERS;
#[cfg(feature = "otel")]
use super::trace;
use super::{Job, JobId, QueueError, error_chain};
use crate::handler::Headers;

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
    /// How many batches of enqueued jobs are written at once; 0 (the default) leaves the
    /// engine's choice: 1 on SQLite, 4 on PostgreSQL and Redis. Each job is still answered
    /// only once its own batch is committed.
    pub writers: usize,
    /// How often (feature `metrics`) the queue's depth is read into the
    /// `frameio_queue_depth` and `frameio_queue_dead_letters` gauges. Default 10 s.
    pub depth_every: Duration,
}

impl Default for QueueOptions {
    fn default() -> Self {
        Self {
            heartbeat: Duration::from_secs(10),
            missed_heartbeats: 3,
            depth_every: Duration::from_secs(10),
            writers: 0,
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

    /// How many batches of enqueued jobs are written at once (at least 1; see
    /// [`QueueOptions::writers`]).
    #[must_use]
    pub fn writers(mut self, batches: usize) -> Self {
        self.writers = batches.max(1);
        self
    }

    /// How often the depth gauges are sampled (feature `metrics`; at least every 10 ms): one
    /// indexed count per tick ([`Queue::depth`]).
    #[must_use]
    pub fn depth_every(mut self, interval: Duration) -> Self {
        self.depth_every = interval.max(Duration::from_millis(10));
        self
    }
}

#[derive(Clone)]
pub(super) enum Engine {
    /// One connection for every write, so writers queue in order rather than racing for the
    /// file lock (see [`Queue::sqlite_with`]); a few for reads.
    Sqlite {
        writer: SqlitePool,
        reader: SqlitePool,
    },
    #[cfg(feature = "postgres")]
    Postgres(sqlx::PgPool),
    #[cfg(feature = "redis")]
    Redis(::redis::aio::ConnectionManager),
}

/// A durable job queue (cheap to clone; clones share connections).
#[derive(Clone)]
pub struct Queue {
    pub(super) engine: Engine,
    pub(super) name: Arc<str>,
    pub(super) options: QueueOptions,
    /// Concurrent enqueues are written together (group commit), see [`Queue::enqueue`].
    pub(super) batcher: Option<tokio::sync::mpsc::Sender<Pending>>,
    /// How many batches the writer stores at once (shared with it).
    writers: Arc<AtomicUsize>,
    /// Whether the depth gauges' sampler runs (shared by clones; see `depth::gauge`).
    #[cfg(feature = "metrics")]
    pub(super) sampling: Option<Arc<super::depth::gauge::Sampling>>,
}

/// A job waiting for the batcher, and who to tell when it is stored.
type Pending = (Job, tokio::sync::oneshot::Sender<Result<(), Arc<str>>>);

/// The most jobs written in one batch.
const MAX_BATCH: usize = 256;

/// Writes queued jobs in batches: whatever arrived while the writes in progress were being
/// made goes in the next one (one transaction, or one Redis round trip), with at most
/// `writers` batches being written at once.
async fn batch_writer(
    queue: Queue,
    mut jobs: tokio::sync::mpsc::Receiver<Pending>,
    writers: Arc<AtomicUsize>,
) {
    let mut writing = tokio::task::JoinSet::new();
    let mut batch = Vec::with_capacity(MAX_BATCH);
    loop {
        // With every writer busy, jobs wait in the channel and make the next batch bigger.
        while writing.len() >= writers.load(Ordering::Relaxed).max(1) {
            writing.join_next().await;
        }
        // `recv_many` is cancel-safe: a finished write taken first leaves the jobs queued.
        let received = tokio::select! {
            received = jobs.recv_many(&mut batch, MAX_BATCH) => received,
            Some(_) = writing.join_next(), if !writing.is_empty() => continue,
        };
        if received == 0 {
            break;
        }
        let taken = std::mem::replace(&mut batch, Vec::with_capacity(MAX_BATCH));
        writing.spawn(write_batch(queue.clone(), taken));
    }
    while writing.join_next().await.is_some() {}
}

/// Stores one batch, then tells each caller how it went: every job of the batch is committed,
/// or none.
async fn write_batch(queue: Queue, batch: Vec<Pending>) {
    let (records, waiters): (Vec<_>, Vec<_>) = batch.into_iter().unzip();
    let outcome = queue
        .push_many(records.into_iter().map(|job| (job, None)).collect())
        .await
        .map_err(|e| Arc::<str>::from(error_chain(&e)));
    for waiter in waiters {
        let _ = waiter.send(outcome.clone());
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
        // Every write (enqueue batches, and the workers' fetch, lock, ack and heartbeat
        // transactions) goes through one connection, taken in turn from sqlx's first-come
        // first-served pool. With a connection per writer they raced for SQLite's file lock
        // instead, and a writer that found it taken slept in the busy handler (backing off to
        // 100 ms naps) while the others kept taking it: enqueue batches waited up to seconds
        // behind a busy worker. SQLite writes one transaction at a time anyway.
        let writer = SqlitePoolOptions::new()
            .max_connections(1)
            // An embedded database has no connection to go stale: no ping before each use.
            .test_before_acquire(false)
            .connect_with(options.clone())
            .await?;
        // Reads (depth, dead letters) see the last commit in WAL mode without waiting for it.
        let reader = SqlitePoolOptions::new()
            .max_connections(2)
            .test_before_acquire(false)
            .connect_lazy_with(options);
        Ok(Self::from_engine(Engine::Sqlite { writer, reader }, name))
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
            writers: Arc::new(AtomicUsize::new(0)),
            #[cfg(feature = "metrics")]
            sampling: None,
        };
        queue
            .writers
            .store(queue.default_writers(), Ordering::Relaxed);
        let (sender, receiver) = tokio::sync::mpsc::channel(4 * MAX_BATCH);
        // The writer holds a queue without a batcher, so it ends when the last clone is dropped.
        tokio::spawn(batch_writer(
            queue.clone(),
            receiver,
            Arc::clone(&queue.writers),
        ));
        queue.batcher = Some(sender);
        #[cfg(feature = "metrics")]
        {
            queue.sampling = Some(Arc::default());
        }
        queue
    }

    /// Sets worker timing (heartbeats), the depth gauges' interval and, when
    /// [`QueueOptions::writers`] is set, how many batches the queue's writer stores at once
    /// (for every clone of this queue).
    #[must_use]
    pub fn with_options(mut self, options: QueueOptions) -> Self {
        self.options = options;
        if options.writers > 0 {
            self.writers.store(options.writers, Ordering::Relaxed);
        }
        self
    }

    /// How many batches are written at once unless [`QueueOptions::writers`] says otherwise:
    /// 1 on SQLite (its writes share one connection; a second batch would only wait for it), 4 on
    /// PostgreSQL and Redis, whose round trips then overlap (see `PERFORMANCE.md`, "Session 4:
    /// PostgreSQL queue").
    fn default_writers(&self) -> usize {
        match &self.engine {
            Engine::Sqlite { .. } => 1,
            #[cfg(feature = "postgres")]
            Engine::Postgres(_) => 4,
            #[cfg(feature = "redis")]
            Engine::Redis(_) => 4,
        }
    }

    /// The queue's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The engine's name: `sqlite`, `postgres` or `redis`.
    pub fn engine_name(&self) -> &'static str {
        match &self.engine {
            Engine::Sqlite { .. } => "sqlite",
            #[cfg(feature = "postgres")]
            Engine::Postgres(_) => "postgres",
            #[cfg(feature = "redis")]
            Engine::Redis(_) => "redis",
        }
    }

    /// Stores a verified delivery for `handler` (its [`Handler::function`](crate::Handler::function) name); when this
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
    pub(super) async fn push(&self, job: Job, delay: Option<Duration>) -> Result<(), QueueError> {
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
            Engine::Sqlite { writer, .. } => {
                let mut storage = SqliteStorage::<Job>::new(writer)
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
}
