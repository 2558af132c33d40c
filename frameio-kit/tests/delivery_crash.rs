//! Crash test of the embedded SQLite queue, through the wired path: a child process — an
//! app serving a `background` webhook over HTTP — receives 200 signed deliveries, acknowledges
//! each once it is queued, starts working them, is killed with SIGKILL mid-run, and
//! restarts. Every job's side effect happens at least once and — keyed by its job id in a
//! table with a unique constraint — exactly once.
//!
//! The child is this test binary run again (`crash_child`, ignored unless asked for).
#![cfg(feature = "background")]

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use frameio_kit::delivery::queue::{JobId, QueueBackend, QueueOptions};
use frameio_kit::{App, Handler, State, WebhookEvent};
use frameio_kit_testing::SignedRequest;
use sqlx::SqlitePool;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode};

const JOBS: usize = 200;
const SECRET: &str = "crash-secret";

async fn effects_db(dir: &Path) -> SqlitePool {
    let options = SqliteConnectOptions::new()
        .filename(dir.join("effects.db"))
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .busy_timeout(Duration::from_secs(10));
    let pool = SqlitePool::connect_with(options).await.unwrap();
    // `runs` logs every run; `effects` is the idempotent side effect, unique per job id.
    sqlx::query("CREATE TABLE IF NOT EXISTS runs (job_id TEXT NOT NULL, resource TEXT NOT NULL)")
        .execute(&pool)
        .await
        .unwrap();
    sqlx::query(
        "CREATE TABLE IF NOT EXISTS effects (job_id TEXT PRIMARY KEY, resource TEXT NOT NULL UNIQUE)",
    )
    .execute(&pool)
    .await
    .unwrap();
    pool
}

/// The background handler: slow, then an idempotent write keyed by the job id.
async fn record(event: WebhookEvent, id: JobId, db: State<SqlitePool>) -> Result<(), sqlx::Error> {
    tokio::time::sleep(Duration::from_millis(100)).await;
    sqlx::query("INSERT INTO runs (job_id, resource) VALUES (?, ?)")
        .bind(id.as_str())
        .bind(event.resource_id())
        .execute(&*db)
        .await?;
    sqlx::query(
        "INSERT INTO effects (job_id, resource) VALUES (?, ?) ON CONFLICT (job_id) DO NOTHING",
    )
    .bind(id.as_str())
    .bind(event.resource_id())
    .execute(&*db)
    .await?;
    Ok(())
}

fn body(i: usize) -> String {
    format!(
        r#"{{"type":"file.ready","account":{{"id":"a"}},"project":{{"id":"p"}},"user":{{"id":"u"}},"workspace":{{"id":"w"}},"resource":{{"id":"file-{i}","type":"file"}}}}"#
    )
}

/// The child process: the app, serving HTTP with its in-process workers, until killed. It
/// writes its address to `addr` once listening.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "the child process of crash_kill_and_restart_runs_every_job_once"]
async fn crash_child() {
    let dir = PathBuf::from(std::env::var("FK_CRASH_DIR").expect("run by the crash test"));
    let service = App::new()
        .handler(
            Handler::webhook(["file.ready"], record)
                .secret(SECRET)
                .background()
                .function_name("record"),
        )
        .queue(
            QueueBackend::sqlite(dir.join("queue.db"))
                .name("crash")
                .options(QueueOptions::default().heartbeat(Duration::from_secs(1), 2)),
        )
        .background_workers(4)
        .state(effects_db(&dir).await)
        .build()
        .unwrap();
    let running = service.start(("127.0.0.1", 0)).unwrap();
    let addr = dir.join(format!("addr-{}", std::process::id()));
    std::fs::write(&addr, running.url()).unwrap();
    // Work until the parent kills us.
    tokio::time::sleep(Duration::from_secs(120)).await;
    running.stop(true).await.unwrap();
}

fn spawn_child(dir: &Path) -> Child {
    Command::new(std::env::current_exe().unwrap())
        .args([
            "crash_child",
            "--exact",
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env("FK_CRASH_DIR", dir)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

/// The child's receiver URL, once it is listening.
async fn url_of(dir: &Path, child: &Child) -> String {
    let file = dir.join(format!("addr-{}", child.id()));
    let started = Instant::now();
    loop {
        if let Ok(url) = std::fs::read_to_string(&file)
            && !url.is_empty()
        {
            return url;
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "the child did not start"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn count(pool: &SqlitePool, sql: &str) -> i64 {
    sqlx::query_scalar(sqlx::AssertSqlSafe(sql.to_owned()))
        .fetch_one(pool)
        .await
        .unwrap_or(0)
}

async fn wait_for(pool: &SqlitePool, at_least: i64, timeout: Duration) -> i64 {
    let started = Instant::now();
    loop {
        let done = count(pool, "SELECT COUNT(*) FROM effects").await;
        if done >= at_least || started.elapsed() > timeout {
            return done;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn crash_kill_and_restart_runs_every_job_once() {
    let dir = std::env::temp_dir().join(format!("fk-crash-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    let effects = effects_db(&dir).await;

    let mut first = spawn_child(&dir);
    let url = url_of(&dir, &first).await;
    // Frame.io's side: 200 signed deliveries, each acknowledged once durably queued.
    let client = reqwest::Client::new();
    let posts = (0..JOBS).map(|i| {
        let request = SignedRequest::new(SECRET, body(i));
        let mut post = client.post(&url).body(request.body().to_vec());
        for (name, value) in request.header_pairs() {
            post = post.header(name, value);
        }
        async move {
            let reply = post.send().await.unwrap();
            (reply.status().as_u16(), reply.text().await.unwrap())
        }
    });
    let replies: Vec<(u16, String)> = futures_util::StreamExt::collect(
        futures_util::StreamExt::buffer_unordered(futures_util::stream::iter(posts), 16),
    )
    .await;
    assert!(
        replies
            .iter()
            .all(|(status, text)| *status == 200 && text == "OK"),
        "every delivery acknowledged once queued"
    );
    let before_kill = wait_for(&effects, 30, Duration::from_secs(120)).await;
    first.kill().unwrap(); // SIGKILL
    first.wait().unwrap();
    let at_kill = count(&effects, "SELECT COUNT(*) FROM effects").await;
    assert!(
        before_kill >= 30,
        "the first child did some work ({before_kill})"
    );
    assert!(
        at_kill < JOBS as i64,
        "the child was killed mid-run, with jobs left ({at_kill} of {JOBS} done)"
    );

    let mut second = spawn_child(&dir);
    let done = wait_for(&effects, JOBS as i64, Duration::from_secs(120)).await;
    // Let anything still running finish its write, then stop the child.
    tokio::time::sleep(Duration::from_millis(300)).await;
    second.kill().unwrap();
    second.wait().unwrap();

    assert_eq!(done, JOBS as i64, "every job's side effect happened");
    assert_eq!(
        count(&effects, "SELECT COUNT(*) FROM effects").await,
        JOBS as i64
    );
    assert_eq!(
        count(&effects, "SELECT COUNT(DISTINCT resource) FROM effects").await,
        JOBS as i64,
        "one effect per delivery"
    );
    let runs = count(&effects, "SELECT COUNT(*) FROM runs").await;
    let distinct_runs = count(&effects, "SELECT COUNT(DISTINCT job_id) FROM runs").await;
    assert_eq!(distinct_runs, JOBS as i64, "every job ran at least once");
    assert!(runs >= JOBS as i64);
    println!("{at_kill} effects at the kill; {runs} runs for {JOBS} jobs in all");
    effects.close().await;
    let _ = std::fs::remove_dir_all(dir);
}
