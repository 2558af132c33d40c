//! The replay ledger through the real pipeline, over HTTP: a signed request sent again never
//! runs its handler twice. The replay gets the first answer (webhooks `OK`, actions the same
//! bytes), or `409 Delivery already in progress.` while the first still runs; two app
//! instances sharing Redis or PostgreSQL see each other's deliveries. The Redis and PostgreSQL
//! cases run when `FRAMEIO_KIT_TEST_REDIS_URL` / `FRAMEIO_KIT_TEST_POSTGRES_URL` are set (they
//! say they skipped otherwise).

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use frameio_kit::store::Store;
use frameio_kit::{ActionEvent, App, Handler, Message, State, WebhookEvent};
use frameio_kit_testing::{TestApp, action_event, webhook_event};

const SECRET: &str = "replay-secret";

#[derive(Default)]
struct Runs(AtomicUsize);

async fn count(_event: WebhookEvent, runs: State<Runs>) -> Result<(), std::io::Error> {
    runs.0.fetch_add(1, Ordering::SeqCst);
    Ok(())
}

async fn numbered(_event: ActionEvent, runs: State<Runs>) -> Result<Message, std::io::Error> {
    let n = runs.0.fetch_add(1, Ordering::SeqCst) + 1;
    Ok(Message::new("Run", format!("run number {n}")))
}

async fn slow(_event: ActionEvent, runs: State<Runs>) -> Result<Message, std::io::Error> {
    runs.0.fetch_add(1, Ordering::SeqCst);
    tokio::time::sleep(Duration::from_millis(600)).await;
    Ok(Message::new("Slow", "done"))
}

fn app(runs: &Arc<Runs>) -> App {
    App::new()
        .handler(Handler::webhook(["file.ready"], count).secret(SECRET))
        .handler(Handler::action("number", numbered).secret(SECRET))
        .handler(Handler::action("slow", slow).secret(SECRET))
        .state_arc(Arc::clone(runs))
}

#[tokio::test]
async fn a_replayed_webhook_gets_ok_without_running_again() {
    let runs = Arc::new(Runs::default());
    let test = TestApp::new(app(&runs)).secret(SECRET);
    let server = test.serve().await.unwrap();
    let request = server.sign(webhook_event("file.ready")).unwrap();
    for _ in 0..3 {
        server
            .deliver_signed(&request)
            .await
            .unwrap()
            .assert_ok()
            .assert_text("OK");
    }
    assert_eq!(runs.0.load(Ordering::SeqCst), 1, "the handler ran once");
    // Another delivery of the same event (as Frame.io's retry: signed again) runs.
    server
        .deliver(webhook_event("file.ready"))
        .await
        .unwrap()
        .assert_ok();
    assert_eq!(runs.0.load(Ordering::SeqCst), 2);
    server.stop().await.unwrap();
}

#[tokio::test]
async fn a_replayed_action_gets_the_same_bytes() {
    let runs = Arc::new(Runs::default());
    let test = TestApp::new(app(&runs)).secret(SECRET);
    let server = test.serve().await.unwrap();
    let request = server.sign(action_event("number")).unwrap();
    let first = server.deliver_signed(&request).await.unwrap();
    first.assert_message("Run");
    let again = server.deliver_signed(&request).await.unwrap();
    assert_eq!(again.status(), 200);
    assert_eq!(
        again.body(),
        first.body(),
        "the first answer, byte for byte"
    );
    assert_eq!(again.content_type(), first.content_type());
    assert_eq!(runs.0.load(Ordering::SeqCst), 1);
    server.stop().await.unwrap();
}

#[tokio::test]
async fn a_replay_while_the_first_runs_is_refused_then_answered() {
    let runs = Arc::new(Runs::default());
    let test = TestApp::new(app(&runs)).secret(SECRET);
    let server = Arc::new(test.serve().await.unwrap());
    let request = server.sign(action_event("slow")).unwrap();
    let first = {
        let server = Arc::clone(&server);
        let request = request.clone();
        tokio::spawn(async move { server.deliver_signed(&request).await.unwrap() })
    };
    // Wait until the first is running.
    while runs.0.load(Ordering::SeqCst) == 0 {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let refused = server.deliver_signed(&request).await.unwrap();
    refused
        .assert_status(409)
        .assert_text("Delivery already in progress.");
    let first = first.await.unwrap();
    first.assert_message("Slow");
    let later = server.deliver_signed(&request).await.unwrap();
    assert_eq!(later.body(), first.body());
    assert_eq!(runs.0.load(Ordering::SeqCst), 1, "the handler ran once");
}

#[tokio::test]
async fn the_ledger_can_be_turned_off() {
    let runs = Arc::new(Runs::default());
    let test = TestApp::new(app(&runs).without_replay_ledger()).secret(SECRET);
    let server = test.serve().await.unwrap();
    let request = server.sign(webhook_event("file.ready")).unwrap();
    server.deliver_signed(&request).await.unwrap().assert_ok();
    server.deliver_signed(&request).await.unwrap().assert_ok();
    assert_eq!(runs.0.load(Ordering::SeqCst), 2, "no ledger: it runs again");
    server.stop().await.unwrap();
}

/// Two instances on one shared store: a request accepted by one is a replay for the other,
/// and a race of the same request over both runs the handler once.
async fn two_instances(store: impl Fn() -> Arc<dyn Store>) {
    let runs = Arc::new(Runs::default());
    let a = TestApp::new(app(&runs).replay_store(store())).secret(SECRET);
    let b = TestApp::new(app(&runs).replay_store(store())).secret(SECRET);
    let a = Arc::new(a.serve().await.unwrap());
    let b = Arc::new(b.serve().await.unwrap());

    let request = a.sign(action_event("number")).unwrap();
    let first = a.deliver_signed(&request).await.unwrap();
    first.assert_message("Run");
    let replay = b.deliver_signed(&request).await.unwrap();
    assert_eq!(replay.body(), first.body(), "instance B sends A's answer");
    assert_eq!(runs.0.load(Ordering::SeqCst), 1);

    let race = a.sign(webhook_event("file.ready")).unwrap();
    let mut tasks = Vec::new();
    for i in 0..20 {
        let server = Arc::clone(if i % 2 == 0 { &a } else { &b });
        let race = race.clone();
        tasks.push(tokio::spawn(async move {
            server.deliver_signed(&race).await.unwrap().status()
        }));
    }
    for task in tasks {
        let status = task.await.unwrap();
        assert!(status == 200 || status == 409, "{status}");
    }
    assert_eq!(
        runs.0.load(Ordering::SeqCst),
        2,
        "the raced webhook ran once across both instances"
    );
}

#[cfg(feature = "redis")]
#[tokio::test]
async fn two_instances_share_a_redis_ledger() {
    use frameio_kit::store::RedisStore;
    let Ok(url) = std::env::var("FRAMEIO_KIT_TEST_REDIS_URL") else {
        eprintln!("FRAMEIO_KIT_TEST_REDIS_URL is unset: skipping");
        return;
    };
    let prefix = format!("fk-replay-{}:", uuid::Uuid::new_v4().simple());
    two_instances(|| Arc::new(RedisStore::new(&url).unwrap().with_prefix(prefix.clone()))).await;
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
async fn two_instances_share_a_postgres_ledger() {
    use frameio_kit::store::PostgresStore;
    let Ok(url) = std::env::var("FRAMEIO_KIT_TEST_POSTGRES_URL") else {
        eprintln!("FRAMEIO_KIT_TEST_POSTGRES_URL is unset: skipping");
        return;
    };
    let table = format!("fk_replay_{}", uuid::Uuid::new_v4().simple());
    two_instances(|| {
        Arc::new(
            PostgresStore::new(&url)
                .unwrap()
                .with_table(&table)
                .unwrap(),
        )
    })
    .await;
    let pool = sqlx::PgPool::connect(&url).await.unwrap();
    sqlx::query(sqlx::AssertSqlSafe(format!("DROP TABLE IF EXISTS {table}")))
        .execute(&pool)
        .await
        .unwrap();
}

/// Fails its first run, succeeds after.
async fn flaky(_event: WebhookEvent, runs: State<Runs>) -> Result<(), std::io::Error> {
    if runs.0.fetch_add(1, Ordering::SeqCst) == 0 {
        return Err(std::io::Error::other("first run fails"));
    }
    Ok(())
}

#[tokio::test]
async fn dedup_answers_frameio_retries_without_running_again() {
    use frameio_kit_testing::{EventBody, SignedRequest};
    let runs = Arc::new(Runs::default());
    let flaky_runs = Arc::new(Runs::default());
    let window = Duration::from_secs(600);
    let app = App::new()
        .handler(
            Handler::webhook(["file.ready"], count)
                .secret(SECRET)
                .dedup(window),
        )
        .handler(
            Handler::action("number", numbered)
                .secret(SECRET)
                .dedup(window),
        )
        .state_arc(Arc::clone(&runs));
    let server = TestApp::new(app).secret(SECRET).serve().await.unwrap();
    let now = frameio_kit_testing::signing::now();

    // Frame.io's retry: the same body, signed again at another time.
    let body = webhook_event("file.ready").event_body().unwrap();
    for offset in 0..3 {
        let retry = SignedRequest::new(SECRET, body.clone()).timestamp(now - offset);
        server
            .deliver_signed(&retry)
            .await
            .unwrap()
            .assert_text("OK");
    }
    assert_eq!(
        runs.0.load(Ordering::SeqCst),
        1,
        "one run for three deliveries"
    );
    // Another body runs.
    server.deliver(webhook_event("file.ready")).await.unwrap();
    assert_eq!(runs.0.load(Ordering::SeqCst), 2);

    let body = action_event("number").event_body().unwrap();
    let first = server
        .deliver_signed(&SignedRequest::new(SECRET, body.clone()).timestamp(now))
        .await
        .unwrap();
    let retry = server
        .deliver_signed(&SignedRequest::new(SECRET, body).timestamp(now - 7))
        .await
        .unwrap();
    assert_eq!(retry.body(), first.body(), "the first run's answer");
    assert_eq!(runs.0.load(Ordering::SeqCst), 3);
    server.stop().await.unwrap();

    // A failed first run is forgotten: the retry runs.
    let app = App::new()
        .handler(
            Handler::webhook(["file.ready"], flaky)
                .secret(SECRET)
                .dedup(window),
        )
        .state_arc(Arc::clone(&flaky_runs));
    let server = TestApp::new(app).secret(SECRET).serve().await.unwrap();
    let body = webhook_event("file.ready").event_body().unwrap();
    let failed = server
        .deliver_signed(&SignedRequest::new(SECRET, body.clone()).timestamp(now))
        .await
        .unwrap();
    failed.assert_status(500);
    for offset in 1..3 {
        server
            .deliver_signed(&SignedRequest::new(SECRET, body.clone()).timestamp(now - offset))
            .await
            .unwrap()
            .assert_ok();
    }
    assert_eq!(
        flaky_runs.0.load(Ordering::SeqCst),
        2,
        "failed once, then ran once"
    );
    server.stop().await.unwrap();
}
