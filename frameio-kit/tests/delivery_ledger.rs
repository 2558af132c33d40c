//! The replay ledger across instances: two ledgers on separate connections to one Redis or
//! one PostgreSQL see each other's deliveries, so a replayed signed request runs once in a
//! fleet. The Redis and PostgreSQL tests run when `FRAMEIO_KIT_TEST_REDIS_URL` /
//! `FRAMEIO_KIT_TEST_POSTGRES_URL` are set (they say they skipped otherwise) and fail when set
//! but unreachable.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use frameio_kit::delivery::{
    Dedup, DedupOutcome, Ledger, LedgerKey, LedgerOutcome, MemoryLedger, StoreLedger, StoredAnswer,
};
use frameio_kit::signature::SigningKey;

fn unique(prefix: &str) -> String {
    format!("{prefix}_{}", uuid::Uuid::new_v4().simple())
}

/// Two instances see one replay ledger: the pair runs once, a replay while running is refused,
/// a later replay gets the first answer, and many concurrent replays let exactly one through.
async fn shared(a: Arc<dyn Ledger>, b: Arc<dyn Ledger>) {
    let key = SigningKey::new("secret");
    let timestamp = "1700000000";
    let signature = key.sign(timestamp, br#"{"type":"greet"}"#);
    let replay = LedgerKey::replay(timestamp, signature.as_bytes());
    let ttl = Duration::from_secs(30);

    assert_eq!(a.begin(&replay, ttl).await.unwrap(), LedgerOutcome::First);
    assert_eq!(
        b.begin(&replay, ttl).await.unwrap(),
        LedgerOutcome::InProgress
    );
    let answer = StoredAnswer::new(200, true, r#"{"title":"Hi","description":"there"}"#);
    a.finish(&replay, &answer, ttl).await.unwrap();
    assert_eq!(
        b.begin(&replay, ttl).await.unwrap(),
        LedgerOutcome::Replay(answer)
    );

    // A race of 40 identical requests over both instances: exactly one runs.
    let race = LedgerKey::replay("1700000001", signature.as_bytes());
    let runs = Arc::new(AtomicUsize::new(0));
    let mut tasks = Vec::new();
    for i in 0..40 {
        let ledger = if i % 2 == 0 {
            Arc::clone(&a)
        } else {
            Arc::clone(&b)
        };
        let race = race.clone();
        let runs = Arc::clone(&runs);
        tasks.push(tokio::spawn(async move {
            if ledger.begin(&race, ttl).await.unwrap() == LedgerOutcome::First {
                runs.fetch_add(1, Ordering::SeqCst);
            }
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }
    assert_eq!(runs.load(Ordering::SeqCst), 1);

    // Entries expire with the window.
    let short = LedgerKey::replay("1700000002", signature.as_bytes());
    assert_eq!(
        a.begin(&short, Duration::from_millis(200)).await.unwrap(),
        LedgerOutcome::First
    );
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert_eq!(
        b.begin(&short, Duration::from_millis(200)).await.unwrap(),
        LedgerOutcome::First
    );

    // Dedup over the shared ledger: Frame.io's retry (same body) on the other instance is
    // answered without running; a failed first run lets the retry run.
    let dedup_a = Dedup::new(Arc::clone(&a));
    let dedup_b = Dedup::new(Arc::clone(&b));
    let body = br#"{"type":"file.ready","resource":{"id":"f","type":"file"}}"#;
    let window = Duration::from_secs(30);
    let DedupOutcome::Run(ticket) = dedup_a.begin("h", body, window).await.unwrap() else {
        panic!("first body runs")
    };
    assert!(matches!(
        dedup_b.begin("h", body, window).await.unwrap(),
        DedupOutcome::Duplicate(None)
    ));
    dedup_a
        .finish(
            ticket,
            &StoredAnswer::new(500, false, "Internal Server Error"),
            window,
        )
        .await
        .unwrap();
    let DedupOutcome::Run(ticket) = dedup_b.begin("h", body, window).await.unwrap() else {
        panic!("the retry after a failure runs")
    };
    dedup_b
        .finish(ticket, &StoredAnswer::ok(), window)
        .await
        .unwrap();
    assert!(matches!(
        dedup_a.begin("h", body, window).await.unwrap(),
        DedupOutcome::Duplicate(Some(_))
    ));
}

#[tokio::test]
async fn memory_ledger_shared_by_two_users() {
    let ledger: Arc<dyn Ledger> = Arc::new(MemoryLedger::new());
    shared(Arc::clone(&ledger), ledger).await;
}

#[cfg(feature = "redis")]
#[tokio::test]
async fn redis_ledger_across_two_instances() {
    use frameio_kit::store::RedisStore;
    let Ok(url) = std::env::var("FRAMEIO_KIT_TEST_REDIS_URL") else {
        eprintln!("FRAMEIO_KIT_TEST_REDIS_URL is unset: skipping the Redis ledger test");
        return;
    };
    let prefix = format!("{}:", unique("fk-ledger"));
    let instance = || -> Arc<dyn Ledger> {
        Arc::new(StoreLedger::new(Arc::new(
            RedisStore::new(&url).unwrap().with_prefix(prefix.clone()),
        )))
    };
    shared(instance(), instance()).await;

    // Leave nothing behind (only our prefix; never a flush).
    let client = redis::Client::open(url.as_str()).unwrap();
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

#[cfg(feature = "postgres")]
#[tokio::test]
async fn postgres_ledger_across_two_instances() {
    use frameio_kit::store::PostgresStore;
    let Ok(url) = std::env::var("FRAMEIO_KIT_TEST_POSTGRES_URL") else {
        eprintln!("FRAMEIO_KIT_TEST_POSTGRES_URL is unset: skipping the PostgreSQL ledger test");
        return;
    };
    let table = unique("fk_ledger");
    let instance = || -> Arc<dyn Ledger> {
        Arc::new(StoreLedger::new(Arc::new(
            PostgresStore::new(&url)
                .unwrap()
                .with_table(&table)
                .unwrap(),
        )))
    };
    shared(instance(), instance()).await;

    let pool = sqlx::PgPool::connect(&url).await.unwrap();
    sqlx::query(sqlx::AssertSqlSafe(format!("DROP TABLE IF EXISTS {table}")))
        .execute(&pool)
        .await
        .unwrap();
}
