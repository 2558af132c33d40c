//! Dead letters: jobs that failed their last attempt, kept with their last error, listed,
//! retried and discarded through [`Queue`].

use super::engine::Engine;
use super::{DeadLetter, JobId, Queue, QueueError};

pub(super) const SQLITE_DEAD_LETTERS: &str = "CREATE TABLE IF NOT EXISTS frameio_kit_dead_letters (\
     queue TEXT NOT NULL, id TEXT NOT NULL, record TEXT NOT NULL, failed_at INTEGER NOT NULL, \
     PRIMARY KEY (queue, id))";
#[cfg(feature = "postgres")]
pub(super) const POSTGRES_DEAD_LETTERS: &str = "CREATE TABLE IF NOT EXISTS frameio_kit_dead_letters (\
     queue TEXT NOT NULL, id TEXT NOT NULL, record TEXT NOT NULL, failed_at BIGINT NOT NULL, \
     PRIMARY KEY (queue, id))";

impl Queue {
    #[cfg(feature = "redis")]
    pub(super) fn dead_key(&self) -> String {
        format!("{}:frameio-kit:dead-letters", self.name)
    }

    pub(super) async fn put_dead_letter(&self, letter: &DeadLetter) -> Result<(), QueueError> {
        let record = serde_json::to_string(letter)?;
        let failed_at = i64::try_from(letter.failed_at).unwrap_or(i64::MAX);
        match &self.engine {
            Engine::Sqlite { writer, .. } => {
                sqlx::query(
                    "INSERT OR REPLACE INTO frameio_kit_dead_letters (queue, id, record, failed_at) \
                     VALUES (?, ?, ?, ?)",
                )
                .bind(&*self.name)
                .bind(letter.id().as_str())
                .bind(&record)
                .bind(failed_at)
                .execute(writer)
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
            Engine::Sqlite { reader, .. } => sqlx::query_scalar(
                "SELECT record FROM frameio_kit_dead_letters WHERE queue = ? ORDER BY failed_at, id",
            )
            .bind(&*self.name)
            .fetch_all(reader)
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
            Engine::Sqlite { writer, .. } => {
                sqlx::query("DELETE FROM frameio_kit_dead_letters WHERE queue = ? AND id = ?")
                    .bind(&*self.name)
                    .bind(id.as_str())
                    .execute(writer)
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
