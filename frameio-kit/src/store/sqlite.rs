//! The embedded SQLite engine (feature `sqlite`, on by default).

use std::{
    path::{Path, PathBuf},
    sync::{
        Arc,
        atomic::{AtomicI64, Ordering},
    },
    time::Duration,
};

use sqlx::{
    AssertSqlSafe, Row,
    sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions},
};
use tokio::sync::OnceCell;

use super::{
    DEFAULT_PREFIX, Store, StoreError, StoreFuture, now_millis, ttl_millis, validate_table_name,
};

/// The table name used unless [`SqliteStore::with_table`] says otherwise.
const DEFAULT_TABLE: &str = "frameio_kit_store";
/// How often, at most, a write also purges expired rows.
const PURGE_INTERVAL_MS: i64 = 60_000;

/// A [`Store`] in an embedded SQLite database file — the default engine.
///
/// The file (and its parent directory), and the table, are created on first use. Expired
/// rows are never returned and are purged when the database is opened, at most once a
/// minute on writes, and on [`purge_expired`](SqliteStore::purge_expired).
///
/// SQLite serves one machine: to share state between instances use Redis or PostgreSQL.
///
/// ```no_run
/// use std::sync::Arc;
/// use frameio_kit::store::{SqliteStore, Store};
///
/// let store: Arc<dyn Store> = Arc::new(SqliteStore::new("data/frameio-kit.db"));
/// ```
#[derive(Debug)]
pub struct SqliteStore {
    path: PathBuf,
    prefix: String,
    table: String,
    pool: OnceCell<SqlitePool>,
    sql: Statements,
    last_purge_ms: AtomicI64,
}

#[derive(Debug)]
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
        Self {
            create: format!(
                "CREATE TABLE IF NOT EXISTS {t} (key TEXT PRIMARY KEY NOT NULL, value BLOB NOT NULL, expires_at INTEGER)"
            )
            .into(),
            get: format!(
                "SELECT value FROM {t} WHERE key = ?1 AND (expires_at IS NULL OR expires_at > ?2)"
            )
            .into(),
            set: format!(
                "INSERT INTO {t} (key, value, expires_at) VALUES (?1, ?2, ?3) \
                 ON CONFLICT (key) DO UPDATE SET value = excluded.value, expires_at = excluded.expires_at"
            )
            .into(),
            delete: format!("DELETE FROM {t} WHERE key = ?1").into(),
            set_if_absent: format!(
                "INSERT INTO {t} (key, value, expires_at) VALUES (?1, ?2, ?3) \
                 ON CONFLICT (key) DO UPDATE SET value = excluded.value, expires_at = excluded.expires_at \
                 WHERE {t}.expires_at IS NOT NULL AND {t}.expires_at <= ?4"
            )
            .into(),
            delete_if_equals: format!(
                "DELETE FROM {t} WHERE key = ?1 AND value = ?2 AND (expires_at IS NULL OR expires_at > ?3)"
            )
            .into(),
            take: format!(
                "DELETE FROM {t} WHERE key = ?1 AND (expires_at IS NULL OR expires_at > ?2) RETURNING value"
            )
            .into(),
            purge: format!("DELETE FROM {t} WHERE expires_at IS NOT NULL AND expires_at <= ?1")
                .into(),
        }
    }
}

fn q(sql: &Arc<str>) -> AssertSqlSafe<Arc<str>> {
    AssertSqlSafe(Arc::clone(sql))
}

impl SqliteStore {
    /// A store in the SQLite file at `path`, opened (and created) on first use.
    pub fn new(path: impl AsRef<Path>) -> Self {
        Self {
            path: path.as_ref().to_path_buf(),
            prefix: DEFAULT_PREFIX.to_owned(),
            table: DEFAULT_TABLE.to_owned(),
            pool: OnceCell::new(),
            sql: Statements::for_table(DEFAULT_TABLE),
            last_purge_ms: AtomicI64::new(0),
        }
    }

    /// Uses `prefix` instead of [`DEFAULT_PREFIX`] in front of every key.
    pub fn with_prefix(mut self, prefix: impl Into<String>) -> Self {
        self.prefix = prefix.into();
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

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Deletes every expired row now; returns how many were removed.
    ///
    /// # Errors
    ///
    /// [`StoreError::Database`] when the database cannot be opened or written.
    pub async fn purge_expired(&self) -> Result<u64, StoreError> {
        let pool = self.pool().await?;
        self.purge_with(pool).await
    }

    async fn purge_with(&self, pool: &SqlitePool) -> Result<u64, StoreError> {
        let now = now_millis();
        self.last_purge_ms.store(now, Ordering::Relaxed);
        let done = sqlx::query(q(&self.sql.purge))
            .bind(now)
            .execute(pool)
            .await?;
        if done.rows_affected() > 0 {
            tracing::debug!(
                table = %self.table,
                removed = done.rows_affected(),
                "purged expired store rows"
            );
        }
        Ok(done.rows_affected())
    }

    async fn pool(&self) -> Result<&SqlitePool, StoreError> {
        self.pool
            .get_or_try_init(|| async {
                if let Some(parent) = self.path.parent().filter(|p| !p.as_os_str().is_empty()) {
                    std::fs::create_dir_all(parent).map_err(|err| {
                        StoreError::Config(format!(
                            "cannot create directory {}: {err}",
                            parent.display()
                        ))
                    })?;
                }
                let options = SqliteConnectOptions::new()
                    .filename(&self.path)
                    .create_if_missing(true)
                    .journal_mode(SqliteJournalMode::Wal)
                    .busy_timeout(Duration::from_secs(5));
                let pool = SqlitePoolOptions::new()
                    .max_connections(4)
                    .connect_with(options)
                    .await?;
                sqlx::query(q(&self.sql.create)).execute(&pool).await?;
                self.purge_with(&pool).await?;
                tracing::debug!(path = %self.path.display(), table = %self.table, "opened sqlite store");
                Ok::<_, StoreError>(pool)
            })
            .await
    }

    fn key(&self, key: &str) -> String {
        format!("{}{key}", self.prefix)
    }

    async fn maybe_purge(&self, pool: &SqlitePool) -> Result<(), StoreError> {
        if now_millis() - self.last_purge_ms.load(Ordering::Relaxed) >= PURGE_INTERVAL_MS {
            self.purge_with(pool).await?;
        }
        Ok(())
    }
}

impl Store for SqliteStore {
    fn get<'a>(&'a self, key: &'a str) -> StoreFuture<'a, Option<Vec<u8>>> {
        Box::pin(async move {
            let pool = self.pool().await?;
            let row = sqlx::query(q(&self.sql.get))
                .bind(self.key(key))
                .bind(now_millis())
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
            let expires_at = ttl.map(|t| now_millis().saturating_add(ttl_millis(t)));
            sqlx::query(q(&self.sql.set))
                .bind(self.key(key))
                .bind(value)
                .bind(expires_at)
                .execute(pool)
                .await?;
            self.maybe_purge(pool).await
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
            let now = now_millis();
            let expires_at = ttl.map(|t| now.saturating_add(ttl_millis(t)));
            let done = sqlx::query(q(&self.sql.set_if_absent))
                .bind(self.key(key))
                .bind(value)
                .bind(expires_at)
                .bind(now)
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
                .bind(now_millis())
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
                .bind(now_millis())
                .fetch_optional(pool)
                .await?;
            Ok(row.map(|r| r.try_get::<Vec<u8>, _>(0)).transpose()?)
        })
    }
}
