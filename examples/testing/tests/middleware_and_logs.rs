//! The guide's middleware recipe: add the middleware the way the app does, deliver, and assert
//! on what it logged.

use testing_example as _;

use frameio_kit_testing::{TestApp, TestError, action_event, webhook_event};
use testing_example::{Jobs, Timing};

#[tokio::test]
async fn the_timing_middleware_logs_every_delivery() -> Result<(), TestError> {
    let app = TestApp::from_registry()
        .state(Jobs::default())
        .app(|app| app.middleware(Timing));
    let logs = app.capture_logs();

    app.deliver(webhook_event("file.ready")).await?.assert_ok();

    let timed = logs.assert_logged("timed delivery");
    assert_eq!(timed.field_str("event_type"), Some("file.ready"));
    assert_eq!(timed.field("ok"), Some(&true.into()));
    assert!(timed.field("elapsed_us").is_some());
    Ok(())
}

#[tokio::test]
async fn an_answer_without_a_job_is_logged_too() -> Result<(), TestError> {
    // A folder: the action answers a Message without queuing, and the middleware still logs.
    let app = TestApp::from_registry()
        .state(Jobs::default())
        .app(|app| app.middleware(Timing));
    let logs = app.capture_logs();

    let not_a_file = action_event("transcribe").resource_type("folder");
    app.deliver(not_a_file).await?.assert_message("Not a file");

    let timed = logs.assert_logged("timed delivery");
    assert_eq!(timed.field_str("event_type"), Some("transcribe"));
    assert_eq!(timed.field("ok"), Some(&true.into()));
    logs.assert_not_logged("delivery failed");
    Ok(())
}
