//! A `Service` mounted on a tokio runtime built without `enable_time()`: a handler that does
//! not finish on its first poll used to panic (tokio's timer creation) and now runs without a
//! deadline, with one warning per runtime saying why.

use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use frameio_kit::delivery::LateWork;
use frameio_kit::delivery::deadline::{LateContext, timers_available};
use frameio_kit::prelude::*;
use frameio_kit::{ActionResponse, Service};
use frameio_kit_testing::{LogCapture, SignedRequest, action_event, webhook_event};

const SECRET: &str = "no-timers";
const WARNING: &str = "has no time driver";

/// The tests of this file take turns. `tracing` caches, process-wide, whether anybody listens
/// at a log call site; a test that reaches the warning's call site for the first time while
/// another registers its capture can leave that capture deaf to it (seen: the count below
/// read 0 in about half the parallel runs).
fn one_at_a_time() -> MutexGuard<'static, ()> {
    static TURN: Mutex<()> = Mutex::new(());
    TURN.lock().unwrap_or_else(PoisonError::into_inner)
}

async fn slow_action(event: ActionEvent) -> Result<Message> {
    // Pending on the first poll: the pipeline reaches its deadline path.
    tokio::task::yield_now().await;
    Ok(Message::new("Done", event.resource_id().to_owned()))
}

async fn slow_webhook(_event: WebhookEvent) -> Result<()> {
    tokio::task::yield_now().await;
    tokio::task::yield_now().await;
    Ok(())
}

fn service() -> Service {
    App::new()
        .handler(Handler::action("convert", slow_action).secret(SECRET))
        .handler(Handler::webhook(["file.ready"], slow_webhook).secret(SECRET))
        .build()
        .expect("the app builds")
}

fn runtime_without_timers() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("a current-thread runtime")
}

async fn deliver(service: &Service, body: Vec<u8>) -> frameio_kit::dispatch::Reply {
    let request = SignedRequest::new(SECRET, body);
    service
        .dispatch(request.headers(), request.body().to_vec().into())
        .await
}

#[test]
fn handlers_run_without_a_deadline_and_one_warning_says_why() {
    let _turn = one_at_a_time();
    let service = service();
    let logs = LogCapture::new();
    let runtime = runtime_without_timers();
    runtime.block_on(logs.scope(async {
        assert!(!timers_available());
        let action = action_event("convert").resource_id("file-7");
        let reply = deliver(&service, action.body()).await;
        assert_eq!(reply.status(), 200, "{}", reply.body_text());
        assert_eq!(
            reply.body_text(),
            r#"{"title":"Done","description":"file-7"}"#,
            "the handler's own answer, not an interim one"
        );
        let reply = deliver(&service, webhook_event("file.ready").body()).await;
        assert_eq!(reply.status(), 200, "{}", reply.body_text());
        let reply = deliver(&service, action_event("convert").body()).await;
        assert_eq!(reply.status(), 200, "{}", reply.body_text());
    }));
    let warnings = logs
        .events()
        .into_iter()
        .filter(|event| event.message.contains(WARNING))
        .count();
    assert_eq!(warnings, 1, "one warning for the runtime");
    logs.assert_logged("enable_time()");

    // A second runtime without timers is warned about too; one with timers is not.
    runtime_without_timers().block_on(logs.scope(async {
        let reply = deliver(&service, action_event("convert").body()).await;
        assert_eq!(reply.status(), 200);
    }));
    let with_timers = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .unwrap();
    with_timers.block_on(logs.scope(async {
        assert!(timers_available());
        let reply = deliver(&service, action_event("convert").body()).await;
        assert_eq!(reply.status(), 200);
    }));
    let warnings = logs
        .events()
        .into_iter()
        .filter(|event| event.message.contains(WARNING))
        .count();
    assert_eq!(warnings, 2, "one warning per runtime without timers");
}

#[test]
fn the_deadline_engine_runs_to_completion_without_timers() {
    let _turn = one_at_a_time();
    runtime_without_timers().block_on(async {
        let late = LateWork::new();
        let work = Box::pin(async {
            tokio::task::yield_now().await;
            Ok(ActionResponse::from(Message::new("late", "but answered")))
        });
        let answer = frameio_kit::delivery::run_with_deadline(
            work,
            Duration::from_millis(1),
            &late,
            LateContext::new("engine"),
        )
        .await;
        assert!(
            matches!(answer, Some(Ok(ActionResponse::Message(_)))),
            "no deadline: the result itself"
        );
        late.spawn(async { tokio::task::yield_now().await });
        assert!(
            late.wait(Duration::from_secs(1)).await,
            "waits without a limit"
        );
        assert!(late.is_empty());
    });
}

#[test]
fn outside_any_runtime_there_are_no_timers() {
    let _turn = one_at_a_time();
    assert!(!timers_available());
}
