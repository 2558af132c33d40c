//! The app's side of the queue: where it lives ([`QueueBackend`]), and the background
//! handlers with their in-process workers.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use tokio_util::sync::CancellationToken;

#[cfg(feature = "otel")]
use super::trace;
use super::worker::error_chain;
use super::{JobId, Queue, QueueError, QueueOptions, Worker, WorkerHandle};
use crate::delivery::RetryPolicy;
use crate::handler::{AppData, Delivery, DeliveryEvent, Handler};

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

/// Opens the app's queue and (feature `metrics`) starts its depth gauges there, so a
/// receiver that runs no worker reports them too.
async fn open_sampled(backend: &QueueBackend) -> Result<Queue, QueueError> {
    let queue = backend.open().await?;
    #[cfg(feature = "metrics")]
    queue.start_depth_gauge();
    Ok(queue)
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
                            .spawn(async move { open_sampled(&backend).await })
                            .await
                            .map_err(|err| QueueError::Engine(err.to_string()))?
                    }
                    None => open_sampled(&self.backend).await,
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
