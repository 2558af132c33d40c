//! Workers: run queued jobs through their handlers, retry failures with back-off, and keep
//! what finally fails as a dead letter.

use std::collections::HashMap;
use std::fmt;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::time::Duration;

use apalis_core::error::BoxDynError;
use apalis_core::task::data::Data;
use apalis_core::worker::builder::WorkerBuilder;
use apalis_sqlite::SqliteStorage;
use futures_util::FutureExt;
use tokio_util::sync::CancellationToken;

use super::engine::Engine;
use super::job::{JobInfo, unix_now, uuid_v4};
#[cfg(feature = "otel")]
use super::trace;
use super::{DeadLetter, Job, Queue, QueueError};
use crate::delivery::RetryPolicy;
use crate::handler::{AppData, Delivery, Handler};

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
        #[cfg(feature = "metrics")]
        let _running = crate::telemetry::metrics::JobRunning::enter(&job.handler);
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
            Err(panic) => format!(
                "handler panicked: {}",
                crate::error::panic_message(panic.as_ref())
            ),
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
        #[cfg(feature = "metrics")]
        self.queue.start_depth_gauge();
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
    pub(super) token: CancellationToken,
    pub(super) task: tokio::task::JoinHandle<()>,
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
        Engine::Sqlite { writer, .. } => {
            let backend = SqliteStorage::<Job>::new(writer)
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
