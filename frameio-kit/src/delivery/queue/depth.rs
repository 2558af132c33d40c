//! How many jobs wait in a queue and how many dead letters it keeps: [`Queue::depth`], and
//! (feature `metrics`) the gauges a sampler keeps up to date from it.

use super::engine::Engine;
use super::{Queue, QueueError};

/// What a queue holds at one moment ([`Queue::depth`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct QueueDepth {
    /// Jobs no worker has taken yet, retries scheduled for later included.
    pub pending: u64,
    /// Dead letters kept ([`Queue::dead_letters`]).
    pub dead_letters: u64,
}

/// Jobs waiting in apalis's SQLite table: what its fetch takes (`Queued` and `Running` jobs
/// are a worker's; `Done`, `Killed` and spent `Failed` ones are finished).
const SQLITE_PENDING: &str = "SELECT COUNT(*) FROM Jobs WHERE job_type = ?1 AND \
     (status = 'Pending' OR (status = 'Failed' AND attempts < max_attempts))";
const SQLITE_DEAD: &str = "SELECT COUNT(*) FROM frameio_kit_dead_letters WHERE queue = ?1";
/// Jobs waiting in apalis's PostgreSQL table: exactly the predicate of its partial index
/// `idx_apalis_jobs_fetch_partial`, so the count reads the index, not the done jobs.
#[cfg(feature = "postgres")]
const POSTGRES_PENDING: &str = "SELECT COUNT(*) FROM apalis.jobs WHERE job_type = $1 AND \
     (status = 'Pending' OR (status = 'Failed' AND attempts < max_attempts))";
#[cfg(feature = "postgres")]
const POSTGRES_DEAD: &str = "SELECT COUNT(*) FROM frameio_kit_dead_letters WHERE queue = $1";

impl Queue {
    /// Counts the jobs waiting for a worker and the dead letters: one or two indexed counts
    /// (SQLite, PostgreSQL) or one round trip (Redis). Jobs a worker is running are in
    /// neither number.
    ///
    /// # Errors
    ///
    /// Engine errors.
    pub async fn depth(&self) -> Result<QueueDepth, QueueError> {
        let count = |n: i64| u64::try_from(n).unwrap_or(0);
        Ok(match &self.engine {
            Engine::Sqlite { reader, .. } => {
                let pending: i64 = sqlx::query_scalar(SQLITE_PENDING)
                    .bind(&*self.name)
                    .fetch_one(reader)
                    .await?;
                let dead: i64 = sqlx::query_scalar(SQLITE_DEAD)
                    .bind(&*self.name)
                    .fetch_one(reader)
                    .await?;
                QueueDepth {
                    pending: count(pending),
                    dead_letters: count(dead),
                }
            }
            #[cfg(feature = "postgres")]
            Engine::Postgres(pool) => {
                let pending: i64 = sqlx::query_scalar(POSTGRES_PENDING)
                    .bind(&*self.name)
                    .fetch_one(pool)
                    .await?;
                let dead: i64 = sqlx::query_scalar(POSTGRES_DEAD)
                    .bind(&*self.name)
                    .fetch_one(pool)
                    .await?;
                QueueDepth {
                    pending: count(pending),
                    dead_letters: count(dead),
                }
            }
            #[cfg(feature = "redis")]
            Engine::Redis(manager) => {
                // apalis keeps ready jobs in a list and delayed ones (retries) in a sorted set.
                let config = apalis_config!(apalis_redis, self);
                let mut conn = manager.clone();
                let (active, scheduled, dead): (i64, i64, i64) = ::redis::pipe()
                    .cmd("LLEN")
                    .arg(config.active_jobs_list())
                    .cmd("ZCARD")
                    .arg(config.scheduled_jobs_set())
                    .cmd("HLEN")
                    .arg(self.dead_key())
                    .query_async(&mut conn)
                    .await?;
                QueueDepth {
                    pending: count(active) + count(scheduled),
                    dead_letters: count(dead),
                }
            }
        })
    }
}

/// The sampler behind the `frameio_queue_depth` and `frameio_queue_dead_letters` gauges.
#[cfg(feature = "metrics")]
pub(super) mod gauge {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};

    use super::super::Queue;
    use super::super::worker::error_chain;

    /// Shared by a queue's clones: whether its sampler runs. The sampler holds it weakly and
    /// stops once every clone of the queue is gone.
    #[derive(Debug, Default)]
    pub(in super::super) struct Sampling(AtomicBool);

    impl Queue {
        /// Starts sampling [`Queue::depth`] into the gauges every
        /// [`QueueOptions::depth_every`](super::super::QueueOptions::depth_every), once per
        /// queue (its clones share the sampler). Called by the workers and by an app that
        /// opens its queue; must run on a tokio runtime.
        pub(in super::super) fn start_depth_gauge(&self) {
            let Some(sampling) = &self.sampling else {
                return;
            };
            if sampling.0.swap(true, Ordering::AcqRel) {
                return;
            }
            let alive = Arc::downgrade(sampling);
            let mut queue = self.clone();
            // The sampler's copy must not keep the queue (its writer, its sampler) alive.
            queue.batcher = None;
            queue.sampling = None;
            let every = self.options.depth_every;
            tokio::spawn(async move {
                let mut tick = tokio::time::interval(every);
                tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
                let mut failing = false;
                loop {
                    tick.tick().await;
                    if alive.strong_count() == 0 {
                        break;
                    }
                    match queue.depth().await {
                        Ok(depth) => {
                            failing = false;
                            crate::telemetry::metrics::queue_depth(
                                queue.engine_name(),
                                queue.name(),
                                depth.pending,
                                depth.dead_letters,
                            );
                        }
                        // Said once per outage, not at every tick.
                        Err(err) if !failing => {
                            failing = true;
                            tracing::warn!(
                                target: "frameio_kit::delivery",
                                queue = %queue.name(), error = %error_chain(&err),
                                "queue depth cannot be read: the gauges keep their last value"
                            );
                        }
                        Err(_) => {}
                    }
                }
            });
        }
    }
}
