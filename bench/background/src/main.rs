//! Background-delivery benchmark: how many verified deliveries per second the durable queue
//! acknowledges (what a `background` handler costs before its `OK`), and the ack latency
//! p50/p99, for the SQLite, PostgreSQL and Redis queues.
//!
//! ```sh
//! cargo run --release -p frameio-kit-bench-background            # SQLite only
//! FRAMEIO_KIT_TEST_POSTGRES_URL=postgres://postgres@127.0.0.1:5432/test \
//! FRAMEIO_KIT_TEST_REDIS_URL=redis://127.0.0.1:6379/ \
//! cargo run --release -p frameio-kit-bench-background            # all three
//! ```
//!
//! Settings (environment): `DURATION` seconds measured (10), `CONCURRENCY` deliveries in
//! flight (64, like the receiver benchmark's connections), `WORKER` (`1`: a worker with 4
//! slots drains the queue during the run, as in production; `0`: enqueue only), `WRITERS`
//! batches written at once (unset: the engine's default, `QueueOptions::writers`),
//! `ENGINES` (comma-separated, default `sqlite,postgres,redis`), `LEDGER` (`1`: also the replay
//! ledger's cost, the default; `0`: the queues only). Each run uses a fresh queue (a temporary
//! SQLite file; a unique queue name in PostgreSQL/Redis, removed afterwards).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use frameio_kit::delivery::queue::{Queue, QueueOptions, Worker};
use frameio_kit::delivery::{
    Ledger, LedgerKey, LedgerOutcome, MemoryLedger, RetryPolicy, StoreLedger, StoredAnswer,
};
use frameio_kit::store::{PostgresStore, RedisStore};
use frameio_kit::{Handler, Headers, WebhookEvent};

fn setting(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// A 315-byte `file.ready` body like the receiver benchmark's, distinct per delivery.
fn body(i: u64) -> Vec<u8> {
    format!(
        r#"{{"account":{{"id":"6f2d6b1e-0000-4000-8000-{i:012}"}},"project":{{"id":"1b8c1a52-0000-4000-8000-{i:012}"}},"resource":{{"id":"9d3f9c60-0000-4000-8000-{i:012}","type":"file"}},"type":"file.ready","user":{{"id":"c5b1e0b4-0000-4000-8000-{i:012}"}},"workspace":{{"id":"0e8f6a2c-0000-4000-8000-{i:012}"}}}}"#
    )
    .into_bytes()
}

async fn drain(_event: WebhookEvent) -> Result<(), std::io::Error> {
    Ok(())
}

struct Outcome {
    acked: u64,
    errors: u64,
    seconds: f64,
    p50_us: u64,
    p99_us: u64,
    max_us: u64,
}

async fn run(queue: Queue, duration: Duration, concurrency: u64, with_worker: bool) -> Outcome {
    let queue = match setting("WRITERS", 0) {
        0 => queue,
        writers => queue
            .with_options(QueueOptions::default().writers(usize::try_from(writers).unwrap_or(1))),
    };
    let worker = with_worker.then(|| {
        Worker::new(queue.clone())
            .handler(
                Handler::webhook(["file.ready"], drain).function_name("drain"),
                RetryPolicy::default(),
            )
            .concurrency(4)
            .start()
            .expect("worker starts")
    });
    let mut headers = Headers::new();
    headers.insert("user-agent", "Frame.io V4 API");
    headers.insert("content-type", "application/json");
    headers.insert("x-frameio-request-timestamp", "1700000000");
    let headers = Arc::new(headers);
    let stop = Arc::new(AtomicBool::new(false));
    let errors = Arc::new(AtomicU64::new(0));
    let next = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..concurrency {
        let (queue, headers, stop, errors, next) = (
            queue.clone(),
            Arc::clone(&headers),
            Arc::clone(&stop),
            Arc::clone(&errors),
            Arc::clone(&next),
        );
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::with_capacity(4096);
            while !stop.load(Ordering::Relaxed) {
                let body = body(next.fetch_add(1, Ordering::Relaxed));
                let sent = Instant::now();
                match queue.enqueue("drain", &body, &headers, 1_700_000_000).await {
                    Ok(_) => latencies
                        .push(u64::try_from(sent.elapsed().as_micros()).unwrap_or(u64::MAX)),
                    Err(err) => {
                        if errors.fetch_add(1, Ordering::Relaxed) == 0 {
                            eprintln!("enqueue failed: {err}");
                        }
                    }
                }
            }
            latencies
        }));
    }
    tokio::time::sleep(duration).await;
    stop.store(true, Ordering::Relaxed);
    let mut latencies = Vec::new();
    for task in tasks {
        latencies.extend(task.await.expect("enqueue task"));
    }
    let seconds = started.elapsed().as_secs_f64();
    if let Some(worker) = worker {
        worker.shutdown().await;
    }
    latencies.sort_unstable();
    let at = |q: f64| {
        latencies
            .get(((latencies.len() as f64 * q) as usize).min(latencies.len().saturating_sub(1)))
            .copied()
            .unwrap_or(0)
    };
    Outcome {
        acked: latencies.len() as u64,
        errors: errors.load(Ordering::Relaxed),
        seconds,
        p50_us: at(0.50),
        p99_us: at(0.99),
        max_us: latencies.last().copied().unwrap_or(0),
    }
}

/// The replay ledger's cost per delivery (`begin` + `finish`), in memory and over the stores.
async fn ledger_cost(name: &str, ledger: Arc<dyn Ledger>, deliveries: u64, concurrency: u64) {
    let ttl = Duration::from_secs(300);
    let next = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..concurrency {
        let (ledger, next) = (Arc::clone(&ledger), Arc::clone(&next));
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= deliveries {
                    break latencies;
                }
                let key = LedgerKey::replay("1700000000", format!("v0={i:064x}").as_bytes());
                let sent = Instant::now();
                let outcome = ledger.begin(&key, ttl).await.expect("ledger begin");
                assert_eq!(outcome, LedgerOutcome::First);
                ledger
                    .finish(&key, &StoredAnswer::ok(), ttl)
                    .await
                    .expect("ledger finish");
                latencies.push(u64::try_from(sent.elapsed().as_nanos()).unwrap_or(u64::MAX));
            }
        }));
    }
    let mut latencies = Vec::new();
    for task in tasks {
        latencies.extend(task.await.expect("ledger task"));
    }
    let seconds = started.elapsed().as_secs_f64();
    latencies.sort_unstable();
    let at = |q: f64| latencies[((latencies.len() as f64 * q) as usize).min(latencies.len() - 1)];
    println!(
        "ledger {name:<9} {:>9.0} deliveries/s  p50 {:>8.1} µs  p99 {:>8.1} µs  ({deliveries} deliveries, {concurrency} in flight)",
        deliveries as f64 / seconds,
        at(0.50) as f64 / 1000.0,
        at(0.99) as f64 / 1000.0,
    );
}

fn report(engine: &str, outcome: &Outcome) {
    println!(
        "{engine:<10} {:>9.0} acks/s  p50 {:>6.2} ms  p99 {:>6.2} ms  max {:>7.2} ms  ({} acked, {} errors, {:.1} s)",
        outcome.acked as f64 / outcome.seconds,
        outcome.p50_us as f64 / 1000.0,
        outcome.p99_us as f64 / 1000.0,
        outcome.max_us as f64 / 1000.0,
        outcome.acked,
        outcome.errors,
        outcome.seconds,
    );
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let duration = Duration::from_secs(setting("DURATION", 10));
    let concurrency = setting("CONCURRENCY", 64).max(1);
    let with_worker = setting("WORKER", 1) == 1;
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    let unique = format!("fk_bench_{}_{nanos}", std::process::id());
    println!(
        "background enqueue benchmark: {} s, {concurrency} in flight, worker {}",
        duration.as_secs(),
        if with_worker { "on" } else { "off" }
    );

    let engines = std::env::var("ENGINES").unwrap_or_else(|_| "sqlite,postgres,redis".to_owned());
    let engine = |name: &str| engines.split(',').any(|e| e.trim() == name);
    let ledger = setting("LEDGER", 1) == 1;
    let ledger_table = format!("{unique}_ledger");

    // The replay ledger, per delivery: in memory, then over Redis and PostgreSQL.
    if ledger {
        ledger_cost(
            "memory",
            Arc::new(MemoryLedger::new()),
            1_000_000,
            concurrency,
        )
        .await;
        if let Ok(url) = std::env::var("FRAMEIO_KIT_TEST_REDIS_URL") {
            let store = RedisStore::new(&url)
                .expect("Redis URL")
                .with_prefix(format!("{unique}:"));
            ledger_cost(
                "redis",
                Arc::new(StoreLedger::new(Arc::new(store))),
                50_000,
                concurrency,
            )
            .await;
        }
        if let Ok(url) = std::env::var("FRAMEIO_KIT_TEST_POSTGRES_URL") {
            let store = PostgresStore::new(&url)
                .expect("PostgreSQL URL")
                .with_table(&ledger_table)
                .expect("table name");
            ledger_cost(
                "postgres",
                Arc::new(StoreLedger::new(Arc::new(store))),
                20_000,
                concurrency,
            )
            .await;
        }
    }

    if engine("sqlite") {
        let dir = std::env::temp_dir().join(&unique);
        std::fs::create_dir_all(&dir).expect("temporary directory");
        let sqlite = Queue::sqlite(dir.join("queue.db"), "bench")
            .await
            .expect("SQLite queue");
        report(
            "sqlite",
            &run(sqlite, duration, concurrency, with_worker).await,
        );
        let _ = std::fs::remove_dir_all(&dir);
    }

    match std::env::var("FRAMEIO_KIT_TEST_POSTGRES_URL") {
        Ok(_) if !engine("postgres") => {}
        Ok(url) => {
            let queue = Queue::postgres(&url, &unique)
                .await
                .expect("PostgreSQL queue");
            report(
                "postgres",
                &run(queue, duration, concurrency, with_worker).await,
            );
            let pool = sqlx::PgPool::connect(&url).await.expect("PostgreSQL");
            sqlx::query(sqlx::AssertSqlSafe(format!(
                "DROP TABLE IF EXISTS {ledger_table}"
            )))
            .execute(&pool)
            .await
            .expect("clean-up");
            for sql in [
                "DELETE FROM apalis.jobs WHERE job_type = $1",
                "DELETE FROM apalis.workers WHERE worker_type = $1",
            ] {
                sqlx::query(sql)
                    .bind(&unique)
                    .execute(&pool)
                    .await
                    .expect("clean-up");
            }
        }
        Err(_) => println!("postgres   skipped (FRAMEIO_KIT_TEST_POSTGRES_URL is unset)"),
    }

    match std::env::var("FRAMEIO_KIT_TEST_REDIS_URL") {
        Ok(_) if !engine("redis") => {}
        Ok(url) => {
            let queue = Queue::redis(&url, &unique).await.expect("Redis queue");
            report(
                "redis",
                &run(queue, duration, concurrency, with_worker).await,
            );
            let client = redis::Client::open(url.as_str()).expect("Redis URL");
            let mut conn = client
                .get_multiplexed_async_connection()
                .await
                .expect("Redis");
            let keys: Vec<String> = redis::cmd("KEYS")
                .arg(format!("{unique}*"))
                .query_async(&mut conn)
                .await
                .expect("keys");
            for chunk in keys.chunks(500) {
                let _: i64 = redis::cmd("DEL")
                    .arg(chunk)
                    .query_async(&mut conn)
                    .await
                    .expect("del");
            }
        }
        Err(_) => println!("redis      skipped (FRAMEIO_KIT_TEST_REDIS_URL is unset)"),
    }
}
