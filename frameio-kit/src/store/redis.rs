//! The Redis engine (feature `redis`).

use std::time::Duration;

use redis::{
    Client,
    aio::{ConnectionManager, ConnectionManagerConfig},
};
use tokio::sync::OnceCell;

use super::{DEFAULT_PREFIX, Store, StoreError, StoreFuture, ttl_millis};

/// Deletes KEYS[1] only when its value is ARGV[1].
const DELETE_IF_EQUALS: &str = "if redis.call('GET', KEYS[1]) == ARGV[1] then \
     return redis.call('DEL', KEYS[1]) else return 0 end";
/// Returns and deletes KEYS[1] (GETDEL needs Redis 6.2; this works everywhere).
const TAKE: &str = "local v = redis.call('GET', KEYS[1]) \
     if v then redis.call('DEL', KEYS[1]) end return v";

/// A [`Store`] in Redis, shared by every instance that points at it.
///
/// Time-to-live uses Redis's own expiry (`PX`), [`Store::set_if_absent`] is `SET NX PX`,
/// and [`Store::delete_if_equals`] and [`Store::take`] are small Lua scripts, so each
/// operation is atomic on the server. The connection (a [`ConnectionManager`] that
/// reconnects by itself) is opened on first use.
///
/// ```no_run
/// use std::sync::Arc;
/// use frameio_kit::store::{RedisStore, Store};
///
/// # fn demo() -> Result<(), frameio_kit::store::StoreError> {
/// let store: Arc<dyn Store> = Arc::new(RedisStore::new("redis://127.0.0.1:6379/")?.with_prefix("my-app:"));
/// # Ok(())
/// # }
/// ```
pub struct RedisStore {
    client: Client,
    prefix: String,
    manager: OnceCell<ConnectionManager>,
    connect_timeout: Duration,
    response_timeout: Duration,
}

/// How long connecting to Redis may take by default.
pub const REDIS_CONNECT_TIMEOUT: Duration = Duration::from_secs(1);
/// How long one Redis command may take by default.
pub const REDIS_RESPONSE_TIMEOUT: Duration = Duration::from_secs(2);

impl std::fmt::Debug for RedisStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The connection info may carry a password: show only the prefix.
        f.debug_struct("RedisStore")
            .field("prefix", &self.prefix)
            .finish_non_exhaustive()
    }
}

impl RedisStore {
    /// A store on the server at `url` (`redis://[:password@]host:port/db`).
    ///
    /// # Errors
    ///
    /// [`StoreError::Redis`] when the URL cannot be parsed.
    pub fn new(url: &str) -> Result<Self, StoreError> {
        Ok(Self::from_client(Client::open(url)?))
    }

    /// A store using an existing client.
    pub fn from_client(client: Client) -> Self {
        Self {
            client,
            prefix: DEFAULT_PREFIX.to_owned(),
            manager: OnceCell::new(),
            connect_timeout: REDIS_CONNECT_TIMEOUT,
            response_timeout: REDIS_RESPONSE_TIMEOUT,
        }
    }

    /// Bounds connecting (default 1 s) and each command (default 2 s), so an unreachable
    /// server fails the call well inside Frame.io's 10 s action budget. The connection is
    /// re-established by itself when the server comes back.
    pub fn with_timeouts(mut self, connect: Duration, response: Duration) -> Self {
        self.connect_timeout = connect;
        self.response_timeout = response;
        self
    }

    /// Uses `prefix` instead of [`DEFAULT_PREFIX`] in front of every key.
    pub fn with_prefix(mut self, prefix: impl Into<String>) -> Self {
        self.prefix = prefix.into();
        self
    }

    async fn conn(&self) -> Result<ConnectionManager, StoreError> {
        let manager = self
            .manager
            .get_or_try_init(|| async {
                let config = ConnectionManagerConfig::new()
                    .set_connection_timeout(Some(self.connect_timeout))
                    .set_response_timeout(Some(self.response_timeout))
                    .set_number_of_retries(1);
                ConnectionManager::new_with_config(self.client.clone(), config).await
            })
            .await?;
        Ok(manager.clone())
    }

    fn key(&self, key: &str) -> String {
        format!("{}{key}", self.prefix)
    }
}

impl Store for RedisStore {
    fn get<'a>(&'a self, key: &'a str) -> StoreFuture<'a, Option<Vec<u8>>> {
        Box::pin(async move {
            let mut conn = self.conn().await?;
            let value: Option<Vec<u8>> = redis::cmd("GET")
                .arg(self.key(key))
                .query_async(&mut conn)
                .await?;
            Ok(value)
        })
    }

    fn set<'a>(
        &'a self,
        key: &'a str,
        value: &'a [u8],
        ttl: Option<Duration>,
    ) -> StoreFuture<'a, ()> {
        Box::pin(async move {
            let mut conn = self.conn().await?;
            let mut cmd = redis::cmd("SET");
            cmd.arg(self.key(key)).arg(value);
            if let Some(ttl) = ttl {
                cmd.arg("PX").arg(ttl_millis(ttl));
            }
            let () = cmd.query_async(&mut conn).await?;
            Ok(())
        })
    }

    fn delete<'a>(&'a self, key: &'a str) -> StoreFuture<'a, ()> {
        Box::pin(async move {
            let mut conn = self.conn().await?;
            let _: i64 = redis::cmd("DEL")
                .arg(self.key(key))
                .query_async(&mut conn)
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
            let mut conn = self.conn().await?;
            let mut cmd = redis::cmd("SET");
            cmd.arg(self.key(key)).arg(value).arg("NX");
            if let Some(ttl) = ttl {
                cmd.arg("PX").arg(ttl_millis(ttl));
            }
            let reply: Option<String> = cmd.query_async(&mut conn).await?;
            Ok(reply.is_some())
        })
    }

    fn delete_if_equals<'a>(&'a self, key: &'a str, expected: &'a [u8]) -> StoreFuture<'a, bool> {
        Box::pin(async move {
            let mut conn = self.conn().await?;
            let deleted: i64 = redis::cmd("EVAL")
                .arg(DELETE_IF_EQUALS)
                .arg(1)
                .arg(self.key(key))
                .arg(expected)
                .query_async(&mut conn)
                .await?;
            Ok(deleted == 1)
        })
    }

    fn take<'a>(&'a self, key: &'a str) -> StoreFuture<'a, Option<Vec<u8>>> {
        Box::pin(async move {
            let mut conn = self.conn().await?;
            let value: Option<Vec<u8>> = redis::cmd("EVAL")
                .arg(TAKE)
                .arg(1)
                .arg(self.key(key))
                .query_async(&mut conn)
                .await?;
            Ok(value)
        })
    }
}
