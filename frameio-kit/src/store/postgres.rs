//! The PostgreSQL engine (feature `postgres`).

use std::{sync::Arc, time::Duration};

use sqlx::{
    AssertSqlSafe, Row,
    postgres::{PgConnectOptions, PgPool, PgPoolOptions},
};
use tokio::sync::OnceCell;

use super::{DEFAULT_PREFIX, Store, StoreError, StoreFuture, ttl_millis, validate_table_name};

const DEFAULT_TABLE: &str = "frameio_kit_store";
/// The database server's clock in Unix milliseconds, so every instance agrees on expiry.
const NOW_MS: &str = "(EXTRACT(EPOCH FROM clock_timestamp()) * 1000)::BIGINT";

/// A [`Store`] in a PostgreSQL table, shared by every instance that points at it.
///
/// The table is created on first use. Expiry is computed with the database server's clock;
/// expired rows are never returned, are replaced by [`Store::set_if_absent`] as if absent,
/// and are deleted by [`purge_expired`](PostgresStore::purge_expired).
///
/// ```no_run
/// use std::sync::Arc;
/// use frameio_kit::store::{PostgresStore, Store};
///
/// # fn demo() -> Result<(), frameio_kit::store::StoreError> {
/// let store: Arc<dyn Store> = Arc::new(PostgresStore::new("postgres://app@db/app")?);
/// # Ok(())
/// # }
/// ```
pub struct PostgresStore {
    options: Option<PgConnectOptions>,
    pool: OnceCell<PgPool>,
    prefix: String,
    table: String,
    ready: OnceCell<()>,
    sql: Statements,
    timeouts: PgTimeouts,
}

/// Server- and pool-side bounds, so a locked table or a saturated pool fails fast instead of
/// outliving Frame.io's 10 s action budget.
#[derive(Debug, Clone, Copy)]
struct PgTimeouts {
    statement: Duration,
    lock: Duration,
    acquire: Duration,
}

/// How long one statement may run by default (`statement_timeout`).
pub const POSTGRES_STATEMENT_TIMEOUT: Duration = Duration::from_secs(2);
/// How long a statement may wait for a lock by default (`lock_timeout`).
pub const POSTGRES_LOCK_TIMEOUT: Duration = Duration::from_secs(1);
/// How long to wait for a pooled connection by default.
pub const POSTGRES_ACQUIRE_TIMEOUT: Duration = Duration::from_secs(2);

impl std::fmt::Debug for PostgresStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The pool's connect options hold the password: show only table and prefix.
        f.debug_struct("PostgresStore")
            .field("table", &self.table)
            .field("prefix", &self.prefix)
            .finish_non_exhaustive()
    }
}

struct Statements {
    create: Arc<str>,
    get: Arc<str>,
    set: Arc<str>,
    delete: Arc<str>,
    set_if_absent: Arc<str>,
    delete_if_equals: Arc<str>,
    take: Arc<str>,
    purge: Arc<str>,
}

impl Statements {
    fn for_table(t: &str) -> Self {
        let live = format!("(expires_at IS NULL OR expires_at > {NOW_MS})");
        Self {
            create: format!(
                "CREATE TABLE IF NOT EXISTS {t} (key TEXT PRIMARY KEY, value BYTEA NOT NULL, expires_at BIGINT)"
            )
            .into(),
            get: format!("SELECT value FROM {t} WHERE key = $1 AND {live}").into(),
            set: format!(
                "INSERT INTO {t} (key, value, expires_at) VALUES ($1, $2, {NOW_MS} + $3::BIGINT) \
                 ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value, expires_at = EXCLUDED.expires_at"
            )
            .into(),
            delete: format!("DELETE FROM {t} WHERE key = $1").into(),
            set_if_absent: format!(
                "INSERT INTO {t} (key, value, expires_at) VALUES ($1, $2, {NOW_MS} + $3::BIGINT) \
                 ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value, expires_at = EXCLUDED.expires_at \
                 WHERE {t}.expires_at IS NOT NULL AND {t}.expires_at <= {NOW_MS}"
            )
            .into(),
            delete_if_equals: format!("DELETE FROM {t} WHERE key = $1 AND value = $2 AND {live}")
                .into(),
            take: format!("DELETE FROM {t} WHERE key = $1 AND {live} RETURNING value").into(),
            purge: format!(
                "DELETE FROM {t} WHERE expires_at IS NOT NULL AND expires_at <= {NOW_MS}"
            )
            .into(),
        }
    }
}

fn q(sql: &Arc<str>) -> AssertSqlSafe<Arc<str>> {
    AssertSqlSafe(Arc::clone(sql))
}

impl PostgresStore {
    /// A store on the database at `url` (`postgres://user:password@host/db`); connections are
    /// opened on first use.
    ///
    /// # Errors
    ///
    /// [`StoreError::Database`] when the URL cannot be parsed.
    pub fn new(url: &str) -> Result<Self, StoreError> {
        let options: PgConnectOptions = url.parse()?;
        Ok(Self::build(Some(options), OnceCell::new()))
    }

    /// A store on an existing connection pool.
    pub fn from_pool(pool: PgPool) -> Self {
        Self::build(None, OnceCell::new_with(Some(pool)))
    }

    fn build(options: Option<PgConnectOptions>, pool: OnceCell<PgPool>) -> Self {
        Self {
            options,
            pool,
            prefix: DEFAULT_PREFIX.to_owned(),
            table: DEFAULT_TABLE.to_owned(),
            ready: OnceCell::new(),
            sql: Statements::for_table(DEFAULT_TABLE),
            timeouts: PgTimeouts {
                statement: POSTGRES_STATEMENT_TIMEOUT,
                lock: POSTGRES_LOCK_TIMEOUT,
                acquire: POSTGRES_ACQUIRE_TIMEOUT,
            },
        }
    }

    /// Uses `prefix` instead of [`DEFAULT_PREFIX`] in front of every key.
    pub fn with_prefix(mut self, prefix: impl Into<String>) -> Self {
        self.prefix = prefix.into();
        self
    }

    /// Bounds each statement (`statement_timeout`, default 2 s) and its wait for a lock
    /// (`lock_timeout`, default 1 s), so that a table locked by another session fails the call
    /// quickly instead of blocking it. Applies to connections this store opens from a URL; a
    /// pool given to [`from_pool`](Self::from_pool) keeps its own settings.
    pub fn with_statement_timeouts(mut self, statement: Duration, lock: Duration) -> Self {
        self.timeouts.statement = statement;
        self.timeouts.lock = lock;
        self
    }

    /// How long to wait for a connection from the pool (default 2 s; URL stores only).
    pub fn with_acquire_timeout(mut self, timeout: Duration) -> Self {
        self.timeouts.acquire = timeout;
        self
    }

    /// Uses table `table` (default `frameio_kit_store`).
    ///
    /// # Errors
    ///
    /// [`StoreError::Config`] when the name is not a plain SQL identifier.
    pub fn with_table(mut self, table: impl Into<String>) -> Result<Self, StoreError> {
        let table = table.into();
        validate_table_name(&table)?;
        self.sql = Statements::for_table(&table);
        self.table = table;
        Ok(self)
    }

    /// Deletes every expired row now; returns how many were removed.
    ///
    /// # Errors
    ///
    /// [`StoreError::Database`] when the database cannot be reached.
    pub async fn purge_expired(&self) -> Result<u64, StoreError> {
        let pool = self.pool().await?;
        let done = sqlx::query(q(&self.sql.purge)).execute(pool).await?;
        Ok(done.rows_affected())
    }

    async fn pool(&self) -> Result<&PgPool, StoreError> {
        let pool = self
            .pool
            .get_or_try_init(|| async {
                let options = self.options.clone().ok_or_else(|| {
                    StoreError::Config("postgres store has neither a pool nor a url".into())
                })?;
                let ms = |d: Duration| d.as_millis().max(1).to_string();
                let options = options.options([
                    ("statement_timeout", ms(self.timeouts.statement)),
                    ("lock_timeout", ms(self.timeouts.lock)),
                ]);
                Ok::<_, StoreError>(
                    PgPoolOptions::new()
                        .max_connections(5)
                        .acquire_timeout(self.timeouts.acquire)
                        .connect_lazy_with(options),
                )
            })
            .await?;
        self.ready
            .get_or_try_init(|| async {
                // Two instances creating the table at once can race inside PostgreSQL's
                // catalog; the loser sees a unique violation and simply tries again.
                match sqlx::query(q(&self.sql.create)).execute(pool).await {
                    Ok(_) => {}
                    Err(sqlx::Error::Database(_)) => {
                        sqlx::query(q(&self.sql.create)).execute(pool).await?;
                    }
                    Err(err) => return Err(err.into()),
                }
                sqlx::query(q(&self.sql.purge)).execute(pool).await?;
                tracing::debug!(table = %self.table, "postgres store ready");
                Ok::<_, StoreError>(())
            })
            .await?;
        Ok(pool)
    }

    fn key(&self, key: &str) -> String {
        format!("{}{key}", self.prefix)
    }
}

impl Store for PostgresStore {
    fn get<'a>(&'a self, key: &'a str) -> StoreFuture<'a, Option<Vec<u8>>> {
        Box::pin(async move {
            let pool = self.pool().await?;
            let row = sqlx::query(q(&self.sql.get))
                .bind(self.key(key))
                .fetch_optional(pool)
                .await?;
            Ok(row.map(|r| r.try_get::<Vec<u8>, _>(0)).transpose()?)
        })
    }

    fn set<'a>(
        &'a self,
        key: &'a str,
        value: &'a [u8],
        ttl: Option<Duration>,
    ) -> StoreFuture<'a, ()> {
        Box::pin(async move {
            let pool = self.pool().await?;
            sqlx::query(q(&self.sql.set))
                .bind(self.key(key))
                .bind(value)
                .bind(ttl.map(ttl_millis))
                .execute(pool)
                .await?;
            Ok(())
        })
    }

    fn delete<'a>(&'a self, key: &'a str) -> StoreFuture<'a, ()> {
        Box::pin(async move {
            let pool = self.pool().await?;
            sqlx::query(q(&self.sql.delete))
                .bind(self.key(key))
                .execute(pool)
                .await?;
            Ok(())
        })
    }

    fn set_if_absent<'a>(
        &'a self,
        key: &'a str,
        value: &'a [u8],
        ttl: Option<Duration>,
    ) -> StoreFuture<'a, bool> {
        Box::pin(async move {
            let pool = self.pool().await?;
            let done = sqlx::query(q(&self.sql.set_if_absent))
                .bind(self.key(key))
                .bind(value)
                .bind(ttl.map(ttl_millis))
                .execute(pool)
                .await?;
            Ok(done.rows_affected() == 1)
        })
    }

    fn delete_if_equals<'a>(&'a self, key: &'a str, expected: &'a [u8]) -> StoreFuture<'a, bool> {
        Box::pin(async move {
            let pool = self.pool().await?;
            let done = sqlx::query(q(&self.sql.delete_if_equals))
                .bind(self.key(key))
                .bind(expected)
                .execute(pool)
                .await?;
            Ok(done.rows_affected() == 1)
        })
    }

    fn take<'a>(&'a self, key: &'a str) -> StoreFuture<'a, Option<Vec<u8>>> {
        Box::pin(async move {
            let pool = self.pool().await?;
            let row = sqlx::query(q(&self.sql.take))
                .bind(self.key(key))
                .fetch_optional(pool)
                .await?;
            Ok(row.map(|r| r.try_get::<Vec<u8>, _>(0)).transpose()?)
        })
    }
}
