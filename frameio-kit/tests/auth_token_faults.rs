//! The token manager under faults: a store that refuses writes, IMS answering after the
//! caller gave up (with a rotated refresh token), IMS failing for many waiters, a PostgreSQL
//! table locked by another session, and a Redis server stopped and restarted.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use frameio_kit::auth::{AuthError, ImsClient, ImsConfig, Token, TokenManager};
use frameio_kit::store::{EncryptionKey, KeyRing, MemoryStore, Store, StoreError, StoreFuture};
use frameio_kit_testing::MockIms;
use frameio_kit_testing::mock_ims::{CLIENT_ID, CLIENT_SECRET, Failure};

const REDIRECT: &str = "https://app.example.com/auth/callback";

fn config(ims: &MockIms) -> ImsConfig {
    ImsConfig::new(CLIENT_ID)
        .with_client_secret(CLIENT_SECRET)
        .with_ims_base_url(ims.base_url())
}

fn keys() -> KeyRing {
    KeyRing::single(EncryptionKey::from_bytes([9; 32]))
}

async fn user_token(ims: &MockIms) -> Token {
    let code = ims.issue_code(CLIENT_ID, REDIRECT, None);
    ImsClient::new(config(ims))
        .unwrap()
        .exchange_code(&code, REDIRECT)
        .await
        .unwrap()
}

/// A memory store whose next `fail_sets` writes of a token fail.
#[derive(Debug, Default)]
struct FlakyStore {
    inner: MemoryStore,
    fail_sets: AtomicUsize,
}

impl FlakyStore {
    fn fail_next_sets(&self, n: usize) {
        self.fail_sets.store(n, Ordering::SeqCst);
    }
}

impl Store for FlakyStore {
    fn get<'a>(&'a self, key: &'a str) -> StoreFuture<'a, Option<Vec<u8>>> {
        self.inner.get(key)
    }

    fn set<'a>(
        &'a self,
        key: &'a str,
        value: &'a [u8],
        ttl: Option<Duration>,
    ) -> StoreFuture<'a, ()> {
        let failing = self
            .fail_sets
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
            .is_ok();
        if failing {
            return Box::pin(async { Err(StoreError::Backend("store briefly down".into())) });
        }
        self.inner.set(key, value, ttl)
    }

    fn delete<'a>(&'a self, key: &'a str) -> StoreFuture<'a, ()> {
        self.inner.delete(key)
    }

    fn set_if_absent<'a>(
        &'a self,
        key: &'a str,
        value: &'a [u8],
        ttl: Option<Duration>,
    ) -> StoreFuture<'a, bool> {
        self.inner.set_if_absent(key, value, ttl)
    }

    fn delete_if_equals<'a>(&'a self, key: &'a str, expected: &'a [u8]) -> StoreFuture<'a, bool> {
        self.inner.delete_if_equals(key, expected)
    }

    fn take<'a>(&'a self, key: &'a str) -> StoreFuture<'a, Option<Vec<u8>>> {
        self.inner.take(key)
    }
}

#[tokio::test]
async fn a_refreshed_token_survives_a_failed_store_write() {
    let ims = MockIms::start().await.unwrap();
    ims.set_rotate_refresh_tokens(true);
    ims.set_expires_in(1); // inside the refresh buffer: the next use refreshes
    let store = Arc::new(FlakyStore::default());
    let manager = TokenManager::persistent(
        ImsClient::new(config(&ims)).unwrap(),
        store.clone(),
        keys(),
        "u-1",
    );
    let first = user_token(&ims).await;
    manager.set_token(first.clone()).await.unwrap();
    ims.set_expires_in(3600);

    // The refresh succeeds, every save of its result fails (retries included).
    store.fail_next_sets(10);
    let refreshed = manager.access_token().await.unwrap();
    assert_ne!(refreshed, first.access_token());
    assert_eq!(ims.token_requests("refresh_token"), 1);
    assert!(
        !ims.is_refresh_token_valid(first.refresh_token().unwrap()),
        "IMS rotated the refresh token: the stored one is dead"
    );

    // The store is back. The next call keeps the newer token (never the stale stored one),
    // saves it, and does not refresh from the dead refresh token.
    store.fail_next_sets(0);
    assert_eq!(manager.access_token().await.unwrap(), refreshed);
    assert_eq!(ims.token_requests("refresh_token"), 1);
    let other_instance =
        TokenManager::persistent(ImsClient::new(config(&ims)).unwrap(), store, keys(), "u-1");
    // The save happens in the background, right after that call.
    let mut stored = None;
    for _ in 0..100 {
        stored = other_instance.token().await.unwrap();
        if stored
            .as_ref()
            .is_some_and(|t| t.access_token() == refreshed)
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let stored = stored.expect("saved");
    assert_eq!(stored.access_token(), refreshed);
    assert!(ims.is_refresh_token_valid(stored.refresh_token().unwrap()));
    assert_eq!(other_instance.access_token().await.unwrap(), refreshed);
}

#[tokio::test]
async fn a_failed_write_is_retried_before_giving_up() {
    let ims = MockIms::start().await.unwrap();
    ims.set_expires_in(1);
    let store = Arc::new(FlakyStore::default());
    let manager = TokenManager::persistent(
        ImsClient::new(config(&ims)).unwrap(),
        store.clone(),
        keys(),
        "u-1",
    );
    manager.set_token(user_token(&ims).await).await.unwrap();
    ims.set_expires_in(3600);
    store.fail_next_sets(1); // one failure, then the retry succeeds
    let refreshed = manager.access_token().await.unwrap();
    let stored =
        TokenManager::persistent(ImsClient::new(config(&ims)).unwrap(), store, keys(), "u-1")
            .token()
            .await
            .unwrap()
            .unwrap();
    assert_eq!(stored.access_token(), refreshed);
}

#[tokio::test]
async fn an_ims_answer_after_the_caller_gave_up_is_kept() {
    let ims = MockIms::start().await.unwrap();
    ims.set_rotate_refresh_tokens(true);
    ims.set_expires_in(0); // expired: a refresh is needed, no token to fall back on
    let store: Arc<dyn Store> = Arc::new(MemoryStore::new());
    let manager = TokenManager::persistent(
        ImsClient::new(config(&ims)).unwrap(),
        Arc::clone(&store),
        keys(),
        "u-1",
    )
    .wait_timeout(Duration::from_millis(200));
    let first = user_token(&ims).await;
    manager.set_token(first.clone()).await.unwrap();
    ims.set_expires_in(3600);

    // IMS answers after the caller's wait: the caller hears a timeout...
    ims.set_delay(Duration::from_millis(800));
    let err = manager.access_token().await.unwrap_err();
    assert!(matches!(err, AuthError::Timeout { .. }), "{err:?}");
    assert!(err.is_transient());

    // ...but the refresh went on and kept IMS's answer (with its rotated refresh token).
    tokio::time::sleep(Duration::from_millis(1200)).await;
    ims.set_delay(Duration::ZERO);
    let access = manager.access_token().await.unwrap();
    assert_eq!(
        ims.token_requests("refresh_token"),
        1,
        "no refresh from the dead token"
    );
    let stored =
        TokenManager::persistent(ImsClient::new(config(&ims)).unwrap(), store, keys(), "u-1")
            .token()
            .await
            .unwrap()
            .expect("the user is still signed in");
    assert_eq!(stored.access_token(), access);
    assert!(ims.is_refresh_token_valid(stored.refresh_token().unwrap()));
}

#[tokio::test]
async fn ten_waiters_share_one_ims_failure() {
    let ims = MockIms::start().await.unwrap();
    ims.set_expires_in(0);
    let manager = TokenManager::persistent(
        ImsClient::new(config(&ims)).unwrap(),
        Arc::new(MemoryStore::new()),
        keys(),
        "u-1",
    );
    manager.set_token(user_token(&ims).await).await.unwrap();
    ims.fail_always(Some(Failure::status(503)));
    let calls: Vec<_> = (0..10)
        .map(|_| {
            let m = manager.clone();
            tokio::spawn(async move { m.access_token().await })
        })
        .collect();
    for call in calls {
        let err = call.await.unwrap().unwrap_err();
        assert!(
            matches!(
                err,
                AuthError::Server { status: 503 } | AuthError::Unavailable { .. }
            ),
            "{err:?}"
        );
    }
    assert_eq!(
        ims.token_requests("refresh_token"),
        1,
        "one request to a failing IMS, not one per waiter"
    );

    // After the back-off IMS is asked again, and a recovered IMS is used.
    ims.fail_always(None);
    ims.set_expires_in(3600);
    tokio::time::sleep(frameio_kit::auth::FAILURE_BACKOFF).await;
    assert!(manager.access_token().await.is_ok());
    assert_eq!(ims.token_requests("refresh_token"), 2);
}

#[tokio::test]
async fn the_lock_is_released_and_a_newer_token_is_never_deleted() {
    // Two instances; IMS rotates refresh tokens. Instance A refreshes; instance B, holding
    // the old token in memory, must adopt A's newer token rather than refresh from the dead
    // one (and must not delete the stored token on `invalid_grant`).
    let ims = MockIms::start().await.unwrap();
    ims.set_rotate_refresh_tokens(true);
    ims.set_expires_in(1);
    let store: Arc<dyn Store> = Arc::new(MemoryStore::new());
    let a = TokenManager::persistent(
        ImsClient::new(config(&ims)).unwrap(),
        Arc::clone(&store),
        keys(),
        "u-1",
    );
    let b = TokenManager::persistent(
        ImsClient::new(config(&ims)).unwrap(),
        Arc::clone(&store),
        keys(),
        "u-1",
    );
    a.set_token(user_token(&ims).await).await.unwrap();
    assert!(b.token().await.unwrap().is_some(), "B caches the old token");
    ims.set_expires_in(3600);
    let from_a = a.access_token().await.unwrap();
    assert_eq!(b.access_token().await.unwrap(), from_a);
    assert_eq!(ims.token_requests("refresh_token"), 1);
    // The lock is free: a third instance takes it at once.
    assert!(
        store
            .set_if_absent("ims:refresh-lock:u-1", b"x", Some(Duration::from_secs(1)))
            .await
            .unwrap()
    );
}

#[cfg(feature = "postgres")]
#[tokio::test]
async fn a_locked_postgres_table_fails_fast() {
    use frameio_kit::store::PostgresStore;
    use sqlx::Connection as _;

    let Ok(url) = std::env::var("FRAMEIO_KIT_TEST_POSTGRES_URL") else {
        eprintln!("skipped: FRAMEIO_KIT_TEST_POSTGRES_URL is not set");
        return;
    };
    let table = format!("fk_lock_{}", uuid::Uuid::new_v4().simple());
    let store = PostgresStore::new(&url)
        .unwrap()
        .with_table(table.clone())
        .unwrap()
        .with_statement_timeouts(Duration::from_millis(800), Duration::from_millis(300));
    store.set("k", b"v", None).await.unwrap();

    // A second session locks the table and keeps it.
    let mut other = sqlx::PgConnection::connect(&url).await.unwrap();
    sqlx::query("BEGIN").execute(&mut other).await.unwrap();
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "LOCK TABLE {table} IN ACCESS EXCLUSIVE MODE"
    )))
    .execute(&mut other)
    .await
    .unwrap();

    let result = tokio::time::timeout(Duration::from_secs(5), store.get("k"))
        .await
        .expect("the lock timeout ends the call, not the caller's patience");
    let err = result.unwrap_err();
    let chain = {
        let mut text = err.to_string();
        let mut source = std::error::Error::source(&err);
        while let Some(cause) = source {
            text.push_str(": ");
            text.push_str(&cause.to_string());
            source = cause.source();
        }
        text
    };
    assert!(chain.contains("lock timeout"), "{chain}");

    sqlx::query("ROLLBACK").execute(&mut other).await.unwrap();
    assert_eq!(store.get("k").await.unwrap().as_deref(), Some(&b"v"[..]));
    sqlx::query(sqlx::AssertSqlSafe(format!("DROP TABLE {table}")))
        .execute(&mut other)
        .await
        .unwrap();
}

#[cfg(feature = "redis")]
mod redis_restart {
    use super::*;
    use frameio_kit::store::RedisStore;
    use std::process::{Child, Command, Stdio};

    const PORT: u16 = 6391;

    fn start_redis() -> Option<Child> {
        let child = Command::new("redis-server")
            .args([
                "--port",
                &PORT.to_string(),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .ok()?;
        Some(child)
    }

    async fn wait_until_up(store: &RedisStore) {
        for _ in 0..50 {
            if store.set("probe", b"1", None).await.is_ok() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("our redis-server on port {PORT} did not come up");
    }

    #[tokio::test]
    async fn a_stopped_redis_fails_fast_and_a_restarted_one_is_used_again() {
        if std::env::var("FRAMEIO_KIT_TEST_REDIS_URL").is_err() {
            eprintln!("skipped: FRAMEIO_KIT_TEST_REDIS_URL is not set");
            return;
        }
        let Some(mut server) = start_redis() else {
            panic!("FRAMEIO_KIT_TEST_REDIS_URL is set, so redis-server must be installed");
        };
        let store = RedisStore::new(&format!("redis://127.0.0.1:{PORT}/"))
            .unwrap()
            .with_timeouts(Duration::from_millis(500), Duration::from_millis(800));
        wait_until_up(&store).await;
        store.set("k", b"v", None).await.unwrap();

        // Stopped: calls fail with the cause, well inside an action's budget.
        server.kill().unwrap();
        server.wait().unwrap();
        let result = tokio::time::timeout(Duration::from_secs(5), store.get("k"))
            .await
            .expect("a stopped redis fails the call quickly");
        assert!(result.is_err(), "{result:?}");

        // Restarted: the same store reconnects by itself.
        let mut server = start_redis().unwrap();
        let mut back = false;
        for _ in 0..50 {
            if store.set("k", b"again", None).await.is_ok() {
                back = true;
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        server.kill().unwrap();
        server.wait().unwrap();
        assert!(back, "the store reconnects after a restart");
    }
}
