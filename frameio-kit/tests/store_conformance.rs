//! One conformance suite, run against every store engine.
//!
//! SQLite and memory always run. Redis and PostgreSQL run when
//! `FRAMEIO_KIT_TEST_REDIS_URL` / `FRAMEIO_KIT_TEST_POSTGRES_URL` are set; when set but
//! unreachable the tests fail.

use std::{sync::Arc, time::Duration};

use frameio_kit::store::{
    CryptoError, EncryptedStore, EncryptionKey, KeyRing, MemoryStore, Store, StoreError,
};

fn unique(tag: &str) -> String {
    format!("{tag}_{}", uuid::Uuid::new_v4().simple())
}

/// The shared suite. `store` and `other` must share a backend but use different key prefixes.
async fn conformance(store: Arc<dyn Store>, other: Arc<dyn Store>) {
    // Absent keys.
    assert_eq!(store.get("absent").await.unwrap(), None);
    assert_eq!(store.take("absent").await.unwrap(), None);
    store.delete("absent").await.unwrap();
    assert!(!store.delete_if_equals("absent", b"x").await.unwrap());

    // Round trips, overwrite, binary and empty values, unicode keys.
    store.set("a", b"one", None).await.unwrap();
    assert_eq!(store.get("a").await.unwrap().as_deref(), Some(&b"one"[..]));
    store.set("a", b"two", None).await.unwrap();
    assert_eq!(store.get("a").await.unwrap().as_deref(), Some(&b"two"[..]));
    let binary = [0u8, 255, 0, 10, 13, 0];
    store.set("bin", &binary, None).await.unwrap();
    assert_eq!(
        store.get("bin").await.unwrap().as_deref(),
        Some(&binary[..])
    );
    store.set("empty", b"", None).await.unwrap();
    assert_eq!(store.get("empty").await.unwrap().as_deref(), Some(&b""[..]));
    store.set("clé:ünïcode/ключ", b"u", None).await.unwrap();
    assert_eq!(
        store.get("clé:ünïcode/ключ").await.unwrap().as_deref(),
        Some(&b"u"[..])
    );

    // Prefix isolation.
    assert_eq!(other.get("a").await.unwrap(), None);
    other.set("a", b"other", None).await.unwrap();
    assert_eq!(store.get("a").await.unwrap().as_deref(), Some(&b"two"[..]));
    other.delete("a").await.unwrap();
    assert_eq!(store.get("a").await.unwrap().as_deref(), Some(&b"two"[..]));

    // Delete.
    store.delete("a").await.unwrap();
    assert_eq!(store.get("a").await.unwrap(), None);

    // set_if_absent.
    assert!(store.set_if_absent("lock", b"me", None).await.unwrap());
    assert!(!store.set_if_absent("lock", b"you", None).await.unwrap());
    assert_eq!(
        store.get("lock").await.unwrap().as_deref(),
        Some(&b"me"[..])
    );

    // delete_if_equals.
    assert!(!store.delete_if_equals("lock", b"you").await.unwrap());
    assert_eq!(
        store.get("lock").await.unwrap().as_deref(),
        Some(&b"me"[..])
    );
    assert!(store.delete_if_equals("lock", b"me").await.unwrap());
    assert_eq!(store.get("lock").await.unwrap(), None);
    assert!(!store.delete_if_equals("lock", b"me").await.unwrap());
    assert!(store.set_if_absent("lock", b"again", None).await.unwrap());

    // take.
    store.set("once", b"v", None).await.unwrap();
    assert_eq!(
        store.take("once").await.unwrap().as_deref(),
        Some(&b"v"[..])
    );
    assert_eq!(store.take("once").await.unwrap(), None);
    assert_eq!(store.get("once").await.unwrap(), None);

    // Set without TTL removes an earlier TTL.
    store
        .set("persist", b"x", Some(Duration::from_millis(200)))
        .await
        .unwrap();
    store.set("persist", b"y", None).await.unwrap();

    // Expiry: several keys set to expire, one shared wait.
    let short = Some(Duration::from_millis(200));
    let long = Some(Duration::from_secs(60));
    store.set("ttl", b"soon", short).await.unwrap();
    store.set("ttl-long", b"later", long).await.unwrap();
    store.set("ttl-take", b"soon", short).await.unwrap();
    store.set("ttl-cas", b"soon", short).await.unwrap();
    assert!(
        store
            .set_if_absent("ttl-lock", b"old", short)
            .await
            .unwrap()
    );
    store
        .set("ttl-zero", b"z", Some(Duration::ZERO))
        .await
        .unwrap();
    assert_eq!(
        store.get("ttl").await.unwrap().as_deref(),
        Some(&b"soon"[..])
    );
    assert!(
        !store
            .set_if_absent("ttl-lock", b"new", short)
            .await
            .unwrap()
    );
    tokio::time::sleep(Duration::from_millis(450)).await;
    assert_eq!(
        store.get("ttl").await.unwrap(),
        None,
        "expired value returned"
    );
    assert_eq!(store.get("ttl-zero").await.unwrap(), None);
    assert_eq!(
        store.get("ttl-long").await.unwrap().as_deref(),
        Some(&b"later"[..])
    );
    assert_eq!(
        store.get("persist").await.unwrap().as_deref(),
        Some(&b"y"[..])
    );
    assert_eq!(store.take("ttl-take").await.unwrap(), None);
    assert!(!store.delete_if_equals("ttl-cas", b"soon").await.unwrap());
    assert!(
        store.set_if_absent("ttl-lock", b"new", long).await.unwrap(),
        "an expired lock must be takeable"
    );
    assert_eq!(
        store.get("ttl-lock").await.unwrap().as_deref(),
        Some(&b"new"[..])
    );
    // Overwriting an expired key with set works too.
    store.set("ttl", b"back", None).await.unwrap();
    assert_eq!(
        store.get("ttl").await.unwrap().as_deref(),
        Some(&b"back"[..])
    );

    // Exactly one of many concurrent set_if_absent callers wins.
    let mut tasks = Vec::new();
    for i in 0..20u8 {
        let store = Arc::clone(&store);
        tasks.push(tokio::spawn(async move {
            store
                .set_if_absent("race", &[i], Some(Duration::from_secs(30)))
                .await
                .unwrap()
        }));
    }
    let mut winners = 0;
    for task in tasks {
        if task.await.unwrap() {
            winners += 1;
        }
    }
    assert_eq!(winners, 1);

    // Exactly one of many concurrent take callers gets the value.
    store.set("one-time", b"t", None).await.unwrap();
    let mut tasks = Vec::new();
    for _ in 0..10 {
        let store = Arc::clone(&store);
        tasks.push(tokio::spawn(async move {
            store.take("one-time").await.unwrap()
        }));
    }
    let mut got = 0;
    for task in tasks {
        if task.await.unwrap().is_some() {
            got += 1;
        }
    }
    assert_eq!(got, 1);
}

/// The suite again through an [`EncryptedStore`], plus a check that the raw store never holds
/// the plaintext.
async fn encrypted_conformance(raw: Arc<dyn Store>, raw_other: Arc<dyn Store>) {
    let ring = KeyRing::single(EncryptionKey::generate());
    let store: Arc<dyn Store> = Arc::new(EncryptedStore::new(Arc::clone(&raw), ring.clone()));
    let other: Arc<dyn Store> = Arc::new(EncryptedStore::new(raw_other, ring));
    conformance(Arc::clone(&store), other).await;

    let secret = b"access-token-PLAINTEXT-1234567890";
    store.set("secret", secret, None).await.unwrap();
    let sealed = raw.get("secret").await.unwrap().expect("raw value present");
    assert!(
        !sealed.windows(secret.len()).any(|w| w == secret),
        "raw store holds the plaintext"
    );
    // A different key cannot read it, and says so.
    let stranger =
        EncryptedStore::new(Arc::clone(&raw), KeyRing::single(EncryptionKey::generate()));
    assert!(matches!(
        stranger.get("secret").await,
        Err(StoreError::Crypto(CryptoError::UnknownKey { .. }))
    ));
    // A value moved to another key does not decrypt.
    raw.set("moved", &sealed, None).await.unwrap();
    assert!(matches!(
        store.get("moved").await,
        Err(StoreError::Crypto(CryptoError::DecryptionFailed))
    ));
    // Garbage is an error, not a panic.
    raw.set("garbage", b"not sealed at all", None)
        .await
        .unwrap();
    assert!(matches!(
        store.get("garbage").await,
        Err(StoreError::Crypto(_))
    ));
}

#[tokio::test]
async fn memory_engine() {
    conformance(Arc::new(MemoryStore::new()), Arc::new(MemoryStore::new())).await;
}

#[tokio::test]
async fn memory_engine_encrypted() {
    encrypted_conformance(Arc::new(MemoryStore::new()), Arc::new(MemoryStore::new())).await;
}

#[cfg(feature = "sqlite")]
mod sqlite {
    use super::*;
    use frameio_kit::store::SqliteStore;

    fn temp_db() -> std::path::PathBuf {
        std::env::temp_dir()
            .join(unique("frameio-kit-store"))
            .join("nested")
            .join("store.db")
    }

    #[tokio::test]
    async fn sqlite_engine() {
        let path = temp_db();
        let store = Arc::new(SqliteStore::new(&path).with_prefix("a:"));
        let other = Arc::new(SqliteStore::new(&path).with_prefix("b:"));
        conformance(store, other).await;
        assert!(path.exists(), "database file created on first use");
        let _ = std::fs::remove_dir_all(path.parent().and_then(|p| p.parent()).unwrap());
    }

    #[tokio::test]
    async fn sqlite_engine_encrypted() {
        let path = temp_db();
        let store = Arc::new(SqliteStore::new(&path).with_table("custom_table").unwrap());
        let other = Arc::new(
            SqliteStore::new(&path)
                .with_table("custom_table")
                .unwrap()
                .with_prefix("other:"),
        );
        encrypted_conformance(store, other).await;
        let _ = std::fs::remove_dir_all(path.parent().and_then(|p| p.parent()).unwrap());
    }

    #[tokio::test]
    async fn sqlite_values_survive_reopening_the_file() {
        let path = temp_db();
        let key = KeyRing::single(EncryptionKey::generate());
        {
            let store = SqliteStore::new(&path);
            store.set("kept", b"value", None).await.unwrap();
            store
                .set("kept-ttl", b"value", Some(Duration::from_secs(60)))
                .await
                .unwrap();
            store
                .set("gone", b"value", Some(Duration::from_millis(50)))
                .await
                .unwrap();
            let enc = EncryptedStore::new(Arc::new(store), key.clone());
            enc.set("sealed", b"secret", None).await.unwrap();
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        let reopened = SqliteStore::new(&path);
        assert_eq!(
            reopened.get("kept").await.unwrap().as_deref(),
            Some(&b"value"[..])
        );
        assert_eq!(
            reopened.get("kept-ttl").await.unwrap().as_deref(),
            Some(&b"value"[..])
        );
        assert_eq!(reopened.get("gone").await.unwrap(), None);
        // Opening purged the expired row already.
        assert_eq!(reopened.purge_expired().await.unwrap(), 0);
        let enc = EncryptedStore::new(Arc::new(reopened), key);
        assert_eq!(
            enc.get("sealed").await.unwrap().as_deref(),
            Some(&b"secret"[..])
        );
        let _ = std::fs::remove_dir_all(path.parent().and_then(|p| p.parent()).unwrap());
    }

    #[tokio::test]
    async fn sqlite_purges_expired_rows() {
        let path = temp_db();
        let store = SqliteStore::new(&path);
        store
            .set("x", b"1", Some(Duration::from_millis(10)))
            .await
            .unwrap();
        store
            .set("y", b"1", Some(Duration::from_millis(10)))
            .await
            .unwrap();
        store.set("z", b"1", None).await.unwrap();
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert_eq!(store.purge_expired().await.unwrap(), 2);
        assert_eq!(store.get("z").await.unwrap().as_deref(), Some(&b"1"[..]));
        let _ = std::fs::remove_dir_all(path.parent().and_then(|p| p.parent()).unwrap());
    }

    #[test]
    fn sqlite_rejects_unsafe_table_names() {
        assert!(matches!(
            SqliteStore::new("x.db").with_table("t; DROP TABLE users"),
            Err(StoreError::Config(_))
        ));
    }

    #[tokio::test]
    async fn sqlite_reports_an_unusable_path() {
        // A directory where the file should be: opening fails with an error, not a panic.
        let dir = std::env::temp_dir().join(unique("frameio-kit-dir"));
        std::fs::create_dir_all(&dir).unwrap();
        let store = SqliteStore::new(&dir);
        assert!(store.get("k").await.is_err());
        let _ = std::fs::remove_dir_all(dir);
    }
}

#[cfg(feature = "redis")]
mod redis_engine {
    use super::*;
    use frameio_kit::store::RedisStore;

    fn url() -> Option<String> {
        match std::env::var("FRAMEIO_KIT_TEST_REDIS_URL") {
            Ok(url) if !url.is_empty() => Some(url),
            _ => {
                eprintln!("FRAMEIO_KIT_TEST_REDIS_URL is unset: skipping the Redis store test");
                None
            }
        }
    }

    /// Removes every key under `prefix` so test runs leave nothing behind.
    async fn cleanup(url: &str, prefix: &str) {
        let client = redis::Client::open(url).unwrap();
        let mut conn = client.get_multiplexed_async_connection().await.unwrap();
        let keys: Vec<String> = redis::cmd("KEYS")
            .arg(format!("{prefix}*"))
            .query_async(&mut conn)
            .await
            .unwrap();
        if !keys.is_empty() {
            let _: i64 = redis::cmd("DEL")
                .arg(keys)
                .query_async(&mut conn)
                .await
                .unwrap();
        }
    }

    #[tokio::test]
    async fn redis_engine() {
        let Some(url) = url() else { return };
        let prefix = unique("fk-test");
        let store = Arc::new(
            RedisStore::new(&url)
                .unwrap()
                .with_prefix(format!("{prefix}:a:")),
        );
        let other = Arc::new(
            RedisStore::new(&url)
                .unwrap()
                .with_prefix(format!("{prefix}:b:")),
        );
        conformance(store, other).await;
        cleanup(&url, &prefix).await;
    }

    #[tokio::test]
    async fn redis_engine_encrypted() {
        let Some(url) = url() else { return };
        let prefix = unique("fk-test");
        let store = Arc::new(
            RedisStore::new(&url)
                .unwrap()
                .with_prefix(format!("{prefix}:a:")),
        );
        let other = Arc::new(
            RedisStore::new(&url)
                .unwrap()
                .with_prefix(format!("{prefix}:b:")),
        );
        encrypted_conformance(store, other).await;
        cleanup(&url, &prefix).await;
    }
}

#[cfg(feature = "postgres")]
mod postgres_engine {
    use super::*;
    use frameio_kit::store::PostgresStore;

    fn url() -> Option<String> {
        match std::env::var("FRAMEIO_KIT_TEST_POSTGRES_URL") {
            Ok(url) if !url.is_empty() => Some(url),
            _ => {
                eprintln!(
                    "FRAMEIO_KIT_TEST_POSTGRES_URL is unset: skipping the PostgreSQL store test"
                );
                None
            }
        }
    }

    /// A store on its own test table.
    fn store_in(url: &str, table: &str) -> PostgresStore {
        PostgresStore::new(url).unwrap().with_table(table).unwrap()
    }

    async fn drop_table(url: &str, table: &str) {
        let pool = sqlx::PgPool::connect(url).await.unwrap();
        sqlx::query(sqlx::AssertSqlSafe(format!("DROP TABLE IF EXISTS {table}")))
            .execute(&pool)
            .await
            .unwrap();
    }

    #[tokio::test]
    async fn postgres_engine() {
        let Some(url) = url() else { return };
        let table = unique("fk_test");
        let store = Arc::new(store_in(&url, &table));
        let other = Arc::new(store_in(&url, &table).with_prefix("other:"));
        conformance(store, other).await;
        drop_table(&url, &table).await;
    }

    #[tokio::test]
    async fn postgres_engine_encrypted() {
        let Some(url) = url() else { return };
        let table = unique("fk_test");
        let store = Arc::new(store_in(&url, &table));
        let other = Arc::new(store_in(&url, &table).with_prefix("other:"));
        encrypted_conformance(store, other).await;
        drop_table(&url, &table).await;
    }

    #[tokio::test]
    async fn postgres_values_survive_a_new_store() {
        let Some(url) = url() else { return };
        let table = unique("fk_test");
        {
            let store = store_in(&url, &table);
            store.set("kept", b"v", None).await.unwrap();
            store
                .set("gone", b"v", Some(Duration::from_millis(20)))
                .await
                .unwrap();
        }
        tokio::time::sleep(Duration::from_millis(60)).await;
        let store = store_in(&url, &table);
        assert_eq!(store.get("kept").await.unwrap().as_deref(), Some(&b"v"[..]));
        assert_eq!(store.get("gone").await.unwrap(), None);
        drop_table(&url, &table).await;
    }
}

#[cfg(feature = "postgres")]
#[test]
fn postgres_debug_hides_the_password() {
    let store =
        frameio_kit::store::PostgresStore::new("postgres://app:hunter2secret@127.0.0.1:1/db")
            .unwrap();
    let text = format!("{store:?}");
    assert!(!text.contains("hunter2secret"), "{text}");
}

#[cfg(feature = "redis")]
#[test]
fn redis_debug_hides_the_password() {
    let store = frameio_kit::store::RedisStore::new("redis://:hunter2secret@127.0.0.1:1/").unwrap();
    let text = format!("{store:?}");
    assert!(!text.contains("hunter2secret"), "{text}");
}
