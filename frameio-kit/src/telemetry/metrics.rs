//! Prometheus metrics through the `metrics` facade: what the kit records, and a
//! recorder to serve them at `GET /metrics` ([`App::metrics`](crate::App::metrics)).
//!
//! | name | type | labels |
//! |---|---|---|
//! | `frameio_deliveries_total` | counter | `event_type`, `handler`, `status` |
//! | `frameio_delivery_duration_seconds` | histogram | `event_type`, `handler` |
//! | `frameio_deliveries_in_flight` | gauge | |
//! | `frameio_api_requests_total` | counter | `method`, `route`, `status` |
//! | `frameio_api_retries_total` | counter | `method`, `route` |
//! | `frameio_api_rate_limit_waits_total` | counter | `route` |
//! | `frameio_ims_requests_total` | counter | `path` (`/ims/token/v3`: sign-ins and refreshes), `status` |
//! | `frameio_jobs_enqueued_total` | counter | `handler` (background deliveries queued) |
//! | `frameio_jobs_total` | counter | `handler`, `outcome` (`done`, `retry`, `dead`) |
//! | `frameio_job_attempts` | histogram | `handler` (the attempt a job finished on, done or dead) |
//! | `frameio_jobs_running` | gauge | `handler` (jobs this process's workers are running) |
//! | `frameio_queue_depth` | gauge | `engine`, `queue` (jobs waiting for a worker, sampled) |
//! | `frameio_queue_dead_letters` | gauge | `engine`, `queue` (dead letters kept, sampled) |
//! | `frameio_late_runs_total` | counter | `handler` (runs that missed their deadline) |
//!
//! `event_type` and `handler` are `-` for a delivery refused before they were known, and
//! an unrouted event type is counted as `-` too, so a sender cannot grow the label set.
//! `status` of an API or IMS request is `error` when no answer came.

use std::time::Duration;

pub use metrics_exporter_prometheus::PrometheusHandle;

/// Deliveries answered, by event type, handler and HTTP status.
pub const DELIVERIES: &str = "frameio_deliveries_total";
/// Time from the body's arrival to the answer, in seconds.
pub const DELIVERY_DURATION: &str = "frameio_delivery_duration_seconds";
/// Deliveries being processed now.
pub const IN_FLIGHT: &str = "frameio_deliveries_in_flight";
/// Frame.io API requests, by method, route template and final status.
pub const API_REQUESTS: &str = "frameio_api_requests_total";
/// Frame.io API request retries, by method and route template.
pub const API_RETRIES: &str = "frameio_api_retries_total";
/// Proactive waits for a spent rate-limit budget, by route.
pub const RATE_LIMIT_WAITS: &str = "frameio_api_rate_limit_waits_total";
/// Adobe IMS requests (token: sign-in codes and refreshes; revoke), by path and status.
pub const IMS_REQUESTS: &str = "frameio_ims_requests_total";

/// Background deliveries queued, by handler.
pub const JOBS_ENQUEUED: &str = "frameio_jobs_enqueued_total";
/// Background job runs, by handler and outcome (`done`, `retry`, `dead`).
pub const JOBS: &str = "frameio_jobs_total";
/// The attempt a background job finished on (succeeded or became a dead letter), by handler.
pub const JOB_ATTEMPTS: &str = "frameio_job_attempts";
/// Background jobs this process's workers are running, by handler.
pub const JOBS_RUNNING: &str = "frameio_jobs_running";
/// Jobs waiting in a queue for a worker (retries scheduled for later included), by engine and
/// queue name: sampled from the queue every
/// [`QueueOptions::depth_every`](crate::delivery::queue::QueueOptions::depth_every).
pub const QUEUE_DEPTH: &str = "frameio_queue_depth";
/// Dead letters kept by a queue, by engine and queue name (sampled like [`QUEUE_DEPTH`]).
pub const QUEUE_DEAD_LETTERS: &str = "frameio_queue_dead_letters";
/// Handler runs that missed their deadline (answered early, still running), by handler.
pub const LATE_RUNS: &str = "frameio_late_runs_total";

/// Histogram buckets of [`DELIVERY_DURATION`], in seconds.
pub const DURATION_BUCKETS: &[f64] = &[
    0.000_5, 0.001, 0.002_5, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// Why [`install`] failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum MetricsError {
    /// Another `metrics` recorder is installed already.
    #[error("the metrics recorder could not be installed: {0}")]
    Install(#[from] metrics_exporter_prometheus::BuildError),
}

/// Installs a Prometheus recorder as the global `metrics` recorder and returns the handle
/// that renders it; pass it to [`App::metrics`](crate::App::metrics). Calling it again
/// returns the same handle.
///
/// ```no_run
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let handle = frameio_kit::telemetry::metrics::install()?;
/// frameio_kit::App::from_registry().metrics(handle).run()?;
/// # Ok(())
/// # }
/// ```
pub fn install() -> Result<PrometheusHandle, MetricsError> {
    static HANDLE: std::sync::OnceLock<PrometheusHandle> = std::sync::OnceLock::new();
    if let Some(handle) = HANDLE.get() {
        return Ok(handle.clone());
    }
    let handle = metrics_exporter_prometheus::PrometheusBuilder::new()
        .set_buckets_for_metric(
            metrics_exporter_prometheus::Matcher::Full(DELIVERY_DURATION.to_owned()),
            DURATION_BUCKETS,
        )?
        .install_recorder()?;
    Ok(HANDLE.get_or_init(|| handle).clone())
}

/// Counts one delivery in flight until dropped.
pub(crate) struct InFlight(());

impl InFlight {
    pub(crate) fn enter() -> Self {
        ::metrics::gauge!(IN_FLIGHT).increment(1.0);
        Self(())
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        ::metrics::gauge!(IN_FLIGHT).decrement(1.0);
    }
}

/// Records one answered delivery.
pub(crate) fn delivery(
    event_type: Option<&str>,
    handler: Option<&str>,
    status: u16,
    latency: Duration,
) {
    // Without a handler the type was not routed: its name came from the sender, so it is not
    // a label.
    let (event_type, handler) = match handler {
        Some(handler) => (event_type.unwrap_or("-").to_owned(), handler.to_owned()),
        None => ("-".to_owned(), "-".to_owned()),
    };
    ::metrics::counter!(
        DELIVERIES,
        "event_type" => event_type.clone(),
        "handler" => handler.clone(),
        "status" => status.to_string()
    )
    .increment(1);
    ::metrics::histogram!(
        DELIVERY_DURATION,
        "event_type" => event_type,
        "handler" => handler
    )
    .record(latency.as_secs_f64());
}

/// Records one finished API request.
#[cfg(feature = "client")]
pub(crate) fn api_request(method: &str, route: &str, status: Option<u16>, retries: u32) {
    let status = status.map_or_else(|| "error".to_owned(), |s| s.to_string());
    ::metrics::counter!(
        API_REQUESTS,
        "method" => method.to_owned(),
        "route" => route.to_owned(),
        "status" => status
    )
    .increment(1);
    if retries > 0 {
        ::metrics::counter!(
            API_RETRIES,
            "method" => method.to_owned(),
            "route" => route.to_owned()
        )
        .increment(u64::from(retries));
    }
}

/// Records one proactive rate-limit wait.
#[cfg(feature = "client")]
pub(crate) fn rate_limit_wait(route: &str) {
    ::metrics::counter!(RATE_LIMIT_WAITS, "route" => super::route_template(route)).increment(1);
}

/// Records one IMS request.
#[cfg(feature = "auth")]
pub(crate) fn ims_request(path: &str, status: Option<u16>) {
    let status = status.map_or_else(|| "error".to_owned(), |s| s.to_string());
    ::metrics::counter!(IMS_REQUESTS, "path" => path.to_owned(), "status" => status).increment(1);
}

/// Records one queued background delivery.
#[cfg(feature = "background")]
pub(crate) fn job_enqueued(handler: &str) {
    ::metrics::counter!(JOBS_ENQUEUED, "handler" => handler.to_owned()).increment(1);
}

/// Records one background job run: `done`, `retry` or `dead` on attempt `attempt`.
#[cfg(feature = "background")]
pub(crate) fn job_run(handler: &str, outcome: &'static str, attempt: u32) {
    ::metrics::counter!(JOBS, "handler" => handler.to_owned(), "outcome" => outcome).increment(1);
    if outcome != "retry" {
        ::metrics::histogram!(JOB_ATTEMPTS, "handler" => handler.to_owned())
            .record(f64::from(attempt));
    }
}

/// Counts one background job running until dropped.
#[cfg(feature = "background")]
pub(crate) struct JobRunning(String);

#[cfg(feature = "background")]
impl JobRunning {
    pub(crate) fn enter(handler: &str) -> Self {
        ::metrics::gauge!(JOBS_RUNNING, "handler" => handler.to_owned()).increment(1.0);
        Self(handler.to_owned())
    }
}

#[cfg(feature = "background")]
impl Drop for JobRunning {
    fn drop(&mut self) {
        ::metrics::gauge!(JOBS_RUNNING, "handler" => std::mem::take(&mut self.0)).decrement(1.0);
    }
}

/// Records a sample of a queue's depth.
#[cfg(feature = "background")]
pub(crate) fn queue_depth(engine: &'static str, queue: &str, pending: u64, dead_letters: u64) {
    ::metrics::gauge!(QUEUE_DEPTH, "engine" => engine, "queue" => queue.to_owned())
        .set(pending as f64);
    ::metrics::gauge!(QUEUE_DEAD_LETTERS, "engine" => engine, "queue" => queue.to_owned())
        .set(dead_letters as f64);
}

/// Records one handler run that missed its deadline.
pub(crate) fn late_run(handler: &str) {
    ::metrics::counter!(LATE_RUNS, "handler" => handler.to_owned()).increment(1);
}
