//! Fleet test, through the wired path: a receiver that runs no jobs itself
//! (`background_workers(0)`) takes 500 signed background deliveries over HTTP, and two
//! `App::worker()` processes sharing its queue — PostgreSQL, and separately Redis — run each
//! job once, spread over both. Runs when `FRAMEIO_KIT_TEST_POSTGRES_URL` /
//! `FRAMEIO_KIT_TEST_REDIS_URL` are set (says it skipped otherwise; fails when set but
//! unreachable). The workers are this test binary run again (`fleet_child`).
#![cfg(feature = "background")]

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use frameio_kit::delivery::queue::{JobId, QueueBackend};
use frameio_kit::{App, Handler, State, WebhookEvent};
use frameio_kit_testing::TestApp;

const SECRET: &str = "fleet-secret";

const JOBS: usize = 500;

/// Where the workers record each run: a PostgreSQL table or a Redis hash.
enum Recorder {
    #[cfg(feature = "postgres")]
    Postgres(sqlx::PgPool, String),
    #[cfg(feature = "redis")]
    Redis(redis::aio::ConnectionManager, String),
}

impl Recorder {
    async fn open(engine: &str, url: &str, name: &str) -> Self {
        match engine {
            #[cfg(feature = "postgres")]
            "postgres" => {
                let pool = sqlx::PgPool::connect(url).await.unwrap();
                sqlx::query(sqlx::AssertSqlSafe(format!(
                    "CREATE TABLE IF NOT EXISTS {name} (job_id TEXT NOT NULL, pid BIGINT NOT NULL)"
                )))
                .execute(&pool)
                .await
                .unwrap();
                sqlx::query(sqlx::AssertSqlSafe(format!(
                    "CREATE TABLE IF NOT EXISTS {name}_took (pid BIGINT PRIMARY KEY)"
                )))
                .execute(&pool)
                .await
                .unwrap();
                Recorder::Postgres(pool, name.to_owned())
            }
            #[cfg(feature = "redis")]
            "redis" => {
                let client = redis::Client::open(url).unwrap();
                Recorder::Redis(
                    client.get_connection_manager().await.unwrap(),
                    name.to_owned(),
                )
            }
            other => panic!("unknown engine {other}"),
        }
    }

    async fn record(&self, job: &str) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
        let pid = i64::from(std::process::id());
        match self {
            #[cfg(feature = "postgres")]
            Recorder::Postgres(pool, table) => {
                sqlx::query(sqlx::AssertSqlSafe(format!(
                    "INSERT INTO {table} (job_id, pid) VALUES ($1, $2)"
                )))
                .bind(job)
                .bind(pid)
                .execute(pool)
                .await?;
            }
            #[cfg(feature = "redis")]
            Recorder::Redis(conn, key) => {
                let mut conn = conn.clone();
                let _: i64 = redis::cmd("HINCRBY")
                    .arg(format!("{key}:runs"))
                    .arg(job)
                    .arg(1)
                    .query_async(&mut conn)
                    .await?;
                let _: i64 = redis::cmd("HINCRBY")
                    .arg(format!("{key}:pids"))
                    .arg(pid)
                    .arg(1)
                    .query_async(&mut conn)
                    .await?;
            }
        }
        Ok(())
    }

    /// Notes that this process has taken a job (before running it).
    async fn took(&self) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
        let pid = i64::from(std::process::id());
        match self {
            #[cfg(feature = "postgres")]
            Recorder::Postgres(pool, table) => {
                sqlx::query(sqlx::AssertSqlSafe(format!(
                    "INSERT INTO {table}_took (pid) VALUES ($1) ON CONFLICT DO NOTHING"
                )))
                .bind(pid)
                .execute(pool)
                .await?;
            }
            #[cfg(feature = "redis")]
            Recorder::Redis(conn, key) => {
                let mut conn = conn.clone();
                let _: i64 = redis::cmd("SADD")
                    .arg(format!("{key}:took"))
                    .arg(pid)
                    .query_async(&mut conn)
                    .await?;
            }
        }
        Ok(())
    }

    /// How many processes have taken a job so far.
    async fn processes_that_took(&self) -> Result<i64, Box<dyn std::error::Error + Send + Sync>> {
        Ok(match self {
            #[cfg(feature = "postgres")]
            Recorder::Postgres(pool, table) => {
                sqlx::query_scalar::<_, i64>(sqlx::AssertSqlSafe(format!(
                    "SELECT COUNT(*) FROM {table}_took"
                )))
                .fetch_one(pool)
                .await?
            }
            #[cfg(feature = "redis")]
            Recorder::Redis(conn, key) => {
                let mut conn = conn.clone();
                redis::cmd("SCARD")
                    .arg(format!("{key}:took"))
                    .query_async(&mut conn)
                    .await?
            }
        })
    }

    /// (runs in all, distinct jobs, jobs run more than once, processes that ran jobs)
    async fn tally(&self) -> (i64, i64, i64, i64) {
        match self {
            #[cfg(feature = "postgres")]
            Recorder::Postgres(pool, table) => {
                let one = |sql: String| async move {
                    sqlx::query_scalar::<_, i64>(sqlx::AssertSqlSafe(sql))
                        .fetch_one(pool)
                        .await
                        .unwrap()
                };
                (
                    one(format!("SELECT COUNT(*) FROM {table}")).await,
                    one(format!("SELECT COUNT(DISTINCT job_id) FROM {table}")).await,
                    one(format!(
                        "SELECT COUNT(*) FROM (SELECT job_id FROM {table} GROUP BY job_id HAVING COUNT(*) > 1) d"
                    ))
                    .await,
                    one(format!("SELECT COUNT(DISTINCT pid) FROM {table}")).await,
                )
            }
            #[cfg(feature = "redis")]
            Recorder::Redis(conn, key) => {
                let mut conn = conn.clone();
                let runs: std::collections::HashMap<String, i64> = redis::cmd("HGETALL")
                    .arg(format!("{key}:runs"))
                    .query_async(&mut conn)
                    .await
                    .unwrap();
                let pids: std::collections::HashMap<String, i64> = redis::cmd("HGETALL")
                    .arg(format!("{key}:pids"))
                    .query_async(&mut conn)
                    .await
                    .unwrap();
                (
                    runs.values().sum(),
                    runs.len() as i64,
                    runs.values().filter(|n| **n > 1).count() as i64,
                    pids.len() as i64,
                )
            }
        }
    }
}

/// Set in a worker process once both processes are known to have taken a job.
static BOTH_TOOK: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

async fn work(
    _event: WebhookEvent,
    id: JobId,
    recorder: State<Recorder>,
) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    // A rendezvous instead of a head start: a process's first jobs wait (up to 60 s) until
    // the other process has taken one too, so a process that starts polling late on a busy
    // machine still gets its share, and "both processes took jobs" does not depend on timing.
    if !BOTH_TOOK.load(std::sync::atomic::Ordering::Relaxed) {
        recorder.took().await?;
        let started = Instant::now();
        while recorder.processes_that_took().await? < 2 {
            if started.elapsed() > Duration::from_secs(60) {
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        BOTH_TOOK.store(true, std::sync::atomic::Ordering::Relaxed);
    }
    tokio::time::sleep(Duration::from_millis(5)).await;
    recorder.record(id.as_str()).await
}

fn backend(engine: &str, url: &str, name: &str) -> QueueBackend {
    match engine {
        #[cfg(feature = "postgres")]
        "postgres" => QueueBackend::postgres(url).name(name),
        #[cfg(feature = "redis")]
        "redis" => QueueBackend::redis(url).name(name),
        other => panic!("unknown engine {other} ({url}, {name})"),
    }
}

/// The app both the receiver and the workers run: one background webhook.
fn app(engine: &str, url: &str, name: &str) -> App {
    App::new()
        .handler(
            Handler::webhook(["file.ready"], work)
                .secret(SECRET)
                .background()
                .function_name("work"),
        )
        .queue(backend(engine, url, name))
}

/// One worker process of the fleet (`App::worker`): works until killed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "a worker process of the fleet tests"]
async fn fleet_child() {
    let var = |name: &str| std::env::var(name).expect("run by a fleet test");
    let (engine, url, name) = (
        var("FK_FLEET_ENGINE"),
        var("FK_FLEET_URL"),
        var("FK_FLEET_NAME"),
    );
    let recorder = Recorder::open(&engine, &url, &name).await;
    app(&engine, &url, &name)
        .state(recorder)
        .background_workers(8)
        .worker()
        .await
        .unwrap();
}

fn spawn(engine: &str, url: &str, name: &str) -> Child {
    Command::new(std::env::current_exe().unwrap())
        .args([
            "fleet_child",
            "--exact",
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env("FK_FLEET_ENGINE", engine)
        .env("FK_FLEET_URL", url)
        .env("FK_FLEET_NAME", name)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

async fn fleet(engine: &str, url: &str) -> Recorder {
    let name = format!("fk_fleet_{}", uuid::Uuid::new_v4().simple());
    let recorder = Recorder::open(engine, url, &name).await;
    // The receiver: queues and answers, runs nothing itself.
    let receiver = TestApp::new(
        app(engine, url, &name)
            .state(Recorder::open(engine, url, &name).await)
            .background_workers(0),
    )
    .secret(SECRET);
    let server = receiver.serve().await.unwrap();
    let mut children = [spawn(engine, url, &name), spawn(engine, url, &name)];
    // Both processes need not be polling yet: `work` holds the first jobs until both took one.
    let body = |i: usize| {
        serde_json::json!({
            "type": "file.ready", "account": {"id": "a"}, "project": {"id": "p"},
            "user": {"id": "u"}, "workspace": {"id": "w"},
            "resource": {"id": format!("file-{i}"), "type": "file"}
        })
    };
    let server = &server;
    let posts = (0..JOBS).map(|i| async move { server.deliver(body(i)).await.unwrap() });
    let replies: Vec<_> = futures_util::StreamExt::collect(
        futures_util::StreamExt::buffer_unordered(futures_util::stream::iter(posts), 16),
    )
    .await;
    assert!(
        replies.iter().all(|reply| reply.status() == 200),
        "every delivery acknowledged once queued"
    );
    let started = Instant::now();
    loop {
        let (runs, ..) = recorder.tally().await;
        if runs >= JOBS as i64 || started.elapsed() > Duration::from_secs(120) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // Anything that would run twice has had time to do so.
    tokio::time::sleep(Duration::from_secs(1)).await;
    for child in &mut children {
        child.kill().unwrap();
        child.wait().unwrap();
    }
    let (runs, distinct, repeated, processes) = recorder.tally().await;
    assert_eq!(distinct, JOBS as i64, "every job ran");
    assert_eq!(repeated, 0, "no job ran twice");
    assert_eq!(runs, JOBS as i64);
    assert_eq!(processes, 2, "both processes took jobs");
    println!("{engine}: {JOBS} jobs, each once, over {processes} processes");
    recorder
}

#[cfg(feature = "postgres")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_fleet_runs_each_job_once() {
    let Ok(url) = std::env::var("FRAMEIO_KIT_TEST_POSTGRES_URL") else {
        eprintln!("FRAMEIO_KIT_TEST_POSTGRES_URL is unset: skipping the PostgreSQL fleet test");
        return;
    };
    if let Recorder::Postgres(pool, table) = fleet("postgres", &url).await {
        // Leave nothing behind: our record table and the queue's rows.
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "DROP TABLE IF EXISTS {table}, {table}_took"
        )))
        .execute(&pool)
        .await
        .unwrap();
        for sql in [
            "DELETE FROM apalis.jobs WHERE job_type = $1",
            "DELETE FROM apalis.workers WHERE worker_type = $1",
        ] {
            sqlx::query(sql).bind(&table).execute(&pool).await.unwrap();
        }
    }
}

#[cfg(feature = "redis")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_fleet_runs_each_job_once() {
    let Ok(url) = std::env::var("FRAMEIO_KIT_TEST_REDIS_URL") else {
        eprintln!("FRAMEIO_KIT_TEST_REDIS_URL is unset: skipping the Redis fleet test");
        return;
    };
    #[allow(irrefutable_let_patterns)]
    if let Recorder::Redis(conn, key) = fleet("redis", &url).await {
        // Leave nothing behind: every key of this test's queue (never a flush).
        let mut conn = conn.clone();
        let keys: Vec<String> = redis::cmd("KEYS")
            .arg(format!("{key}*"))
            .query_async(&mut conn)
            .await
            .unwrap();
        for chunk in keys.chunks(200) {
            let _: i64 = redis::cmd("DEL")
                .arg(chunk)
                .query_async(&mut conn)
                .await
                .unwrap();
        }
    }
}
