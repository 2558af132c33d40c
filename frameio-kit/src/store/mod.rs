//! A small asynchronous key-value store and its engines.
//!
//! Anything that must survive a restart or be shared between instances of an integration
//! (user tokens, sign-in state, refresh locks) goes through the object-safe [`Store`] trait,
//! usually as an `Arc<dyn Store>`. Engines:
//!
//! | engine | feature | notes |
//! |---|---|---|
//! | [`MemoryStore`] | always | process-local, for tests and single-instance development |
//! | [`SqliteStore`] | `sqlite` (default) | embedded file database, created on first use |
//! | `RedisStore` | `redis` | native TTL, shared between instances |
//! | `PostgresStore` | `postgres` | table created on first use, shared between instances |
//!
//! Every engine namespaces its keys with a configurable prefix (default [`DEFAULT_PREFIX`]),
//! honours time-to-live values (an expired value is never returned) and implements the two
//! atomic operations a cross-instance lock needs: [`Store::set_if_absent`] and
//! [`Store::delete_if_equals`].
//!
//! Values are bytes. Wrap any engine in an [`EncryptedStore`] to encrypt them at rest.
//!
//! # Example
//!
//! ```
//! use std::{sync::Arc, time::Duration};
//! use frameio_kit::store::{MemoryStore, Store};
//!
//! # async fn demo() -> Result<(), frameio_kit::store::StoreError> {
//! let store: Arc<dyn Store> = Arc::new(MemoryStore::new());
//! store.set("greeting", b"hello", Some(Duration::from_secs(60))).await?;
//! assert_eq!(store.get("greeting").await?.as_deref(), Some(&b"hello"[..]));
//!
//! // A short lock: only one caller wins until it is released or expires.
//! assert!(store.set_if_absent("lock", b"me", Some(Duration::from_secs(5))).await?);
//! assert!(!store.set_if_absent("lock", b"you", Some(Duration::from_secs(5))).await?);
//! assert!(store.delete_if_equals("lock", b"me").await?);
//! # Ok(())
//! # }
//! # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(demo()).unwrap();
//! ```

use std::{future::Future, pin::Pin, time::Duration};

mod encrypted;
mod memory;
#[cfg(feature = "postgres")]
mod postgres;
#[cfg(feature = "redis")]
mod redis;
#[cfg(feature = "sqlite")]
mod sqlite;

pub use encrypted::{
    CryptoError, ENCRYPTION_KEY_ENV, EncryptedStore, EncryptionKey, KeyRing, generate_key,
};
pub use memory::MemoryStore;
#[cfg(feature = "postgres")]
pub use postgres::{
    POSTGRES_ACQUIRE_TIMEOUT, POSTGRES_LOCK_TIMEOUT, POSTGRES_STATEMENT_TIMEOUT, PostgresStore,
};
#[cfg(feature = "redis")]
pub use redis::{REDIS_CONNECT_TIMEOUT, REDIS_RESPONSE_TIMEOUT, RedisStore};
#[cfg(feature = "sqlite")]
pub use sqlite::SqliteStore;

/// The key prefix every engine uses unless told otherwise.
pub const DEFAULT_PREFIX: &str = "frameio-kit:";

/// The boxed future every [`Store`] method returns, so the trait stays object-safe.
pub type StoreFuture<'a, T> = Pin<Box<dyn Future<Output = Result<T, StoreError>> + Send + 'a>>;

/// An asynchronous key-value store with expiry, usable as `Arc<dyn Store>`.
///
/// Keys are UTF-8 strings (each engine adds its own prefix); values are bytes. A `ttl` of
/// `None` means the value never expires; a value whose time-to-live has passed behaves
/// exactly as if it were absent. Durations are honoured with millisecond precision and a
/// zero duration is rounded up to one millisecond.
pub trait Store: Send + Sync + std::fmt::Debug {
    /// Returns the value stored under `key`, or `None` when it is absent or expired.
    fn get<'a>(&'a self, key: &'a str) -> StoreFuture<'a, Option<Vec<u8>>>;

    /// Stores `value` under `key`, replacing any previous value and its expiry.
    fn set<'a>(
        &'a self,
        key: &'a str,
        value: &'a [u8],
        ttl: Option<Duration>,
    ) -> StoreFuture<'a, ()>;

    /// Removes `key`. Removing an absent key is not an error.
    fn delete<'a>(&'a self, key: &'a str) -> StoreFuture<'a, ()>;

    /// Atomically stores `value` only when `key` is absent (or expired).
    ///
    /// Returns `true` when the value was stored. Used as a short lock: the caller that gets
    /// `true` owns the key until it deletes it or the time-to-live passes.
    fn set_if_absent<'a>(
        &'a self,
        key: &'a str,
        value: &'a [u8],
        ttl: Option<Duration>,
    ) -> StoreFuture<'a, bool>;

    /// Atomically removes `key` only when its current (unexpired) value equals `expected`.
    ///
    /// Returns `true` when the key was removed. Releases a lock taken with
    /// [`set_if_absent`](Store::set_if_absent) without removing somebody else's lock.
    fn delete_if_equals<'a>(&'a self, key: &'a str, expected: &'a [u8]) -> StoreFuture<'a, bool>;

    /// Atomically returns and removes the value under `key` (for one-time values).
    fn take<'a>(&'a self, key: &'a str) -> StoreFuture<'a, Option<Vec<u8>>>;
}

/// Errors from a [`Store`].
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The store is misconfigured (bad table name, bad path, bad URL…).
    #[error("invalid store configuration: {0}")]
    Config(String),
    /// The SQLite or PostgreSQL engine failed.
    #[cfg(any(feature = "sqlite", feature = "postgres"))]
    #[error("database error")]
    Database(#[source] sqlx::Error),
    /// The Redis engine failed.
    #[cfg(feature = "redis")]
    #[error("redis error")]
    Redis(#[source] ::redis::RedisError),
    /// Encrypting or decrypting a value failed (wrong key, tampered or foreign data).
    #[error("encryption error")]
    Crypto(#[from] CryptoError),
    /// Any other engine failure (for engines outside this crate).
    #[error("store backend error")]
    Backend(#[source] Box<dyn std::error::Error + Send + Sync>),
}

#[cfg(any(feature = "sqlite", feature = "postgres"))]
impl From<sqlx::Error> for StoreError {
    fn from(err: sqlx::Error) -> Self {
        StoreError::Database(err)
    }
}

#[cfg(feature = "redis")]
impl From<::redis::RedisError> for StoreError {
    fn from(err: ::redis::RedisError) -> Self {
        StoreError::Redis(err)
    }
}

/// A time-to-live in whole milliseconds, at least one.
#[cfg(any(feature = "sqlite", feature = "postgres", feature = "redis"))]
pub(crate) fn ttl_millis(ttl: Duration) -> i64 {
    i64::try_from(ttl.as_millis()).unwrap_or(i64::MAX).max(1)
}

/// Milliseconds since the Unix epoch according to this machine's clock.
#[cfg(feature = "sqlite")]
pub(crate) fn now_millis() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// Checks that a SQL table name is a plain identifier (it is interpolated into statements).
#[cfg(any(feature = "sqlite", feature = "postgres"))]
pub(crate) fn validate_table_name(name: &str) -> Result<(), StoreError> {
    let mut chars = name.chars();
    let first_ok = chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_');
    if first_ok && name.len() <= 63 && chars.all(|c| c.is_ascii_alphanumeric() || c == '_') {
        Ok(())
    } else {
        Err(StoreError::Config(format!(
            "table name {name:?} must be 1 to 63 ASCII letters, digits or underscores and not start with a digit"
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(any(feature = "sqlite", feature = "postgres", feature = "redis"))]
    #[test]
    fn ttl_rounds_up_to_one_millisecond() {
        assert_eq!(ttl_millis(Duration::ZERO), 1);
        assert_eq!(ttl_millis(Duration::from_micros(10)), 1);
        assert_eq!(ttl_millis(Duration::from_secs(2)), 2000);
        assert_eq!(ttl_millis(Duration::MAX), i64::MAX);
    }

    #[cfg(any(feature = "sqlite", feature = "postgres"))]
    #[test]
    fn table_names_are_validated() {
        assert!(validate_table_name("frameio_kit_store").is_ok());
        assert!(validate_table_name("_t1").is_ok());
        assert!(validate_table_name("").is_err());
        assert!(validate_table_name("1abc").is_err());
        assert!(validate_table_name("a; DROP TABLE x").is_err());
        assert!(validate_table_name("a-b").is_err());
    }
}
