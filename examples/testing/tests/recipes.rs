//! The guide's recipes for handlers that call the Frame.io API, actions that require sign-in,
//! middleware, and log assertions — each a few lines on top of the handler's own assertions.

use testing_example as _;

use frameio_kit_testing::mock_frameio::Method;
use frameio_kit_testing::{
    MockFrameio, MockIms, SignInExt as _, TestApp, TestError, action_event, webhook_event,
};
use serde_json::json;
use testing_example::{Jobs, Timing};

#[tokio::test]
async fn an_upload_gets_a_comment_through_the_api() -> Result<(), TestError> {
    let (frameio, ims) = (MockFrameio::start().await?, MockIms::start().await?);
    let comments = "/v4/accounts/acc/files/f-1/comments";
    frameio
        .on(Method::POST, comments)
        .respond_data(201, json!({"id": "c-1"}));
    let app = TestApp::from_registry()
        .state(Jobs::default())
        .frameio(&frameio)
        .ims(&ims);

    let upload = webhook_event("file.upload.completed")
        .account_id("acc")
        .resource_id("f-1");
    app.deliver(upload).await?.assert_ok();

    let posted = frameio.requests_to(Method::POST, comments);
    let text = "Uploaded: use Transcribe to get a transcript.";
    assert_eq!(posted[0].json(), Some(json!({"data": {"text": text}})));
    Ok(())
}

#[tokio::test]
async fn a_failing_api_call_says_which_call_failed() -> Result<(), TestError> {
    let (frameio, ims) = (MockFrameio::start().await?, MockIms::start().await?);
    frameio
        .on(Method::POST, "/v4/accounts/acc/files/gone/comments")
        .respond(
            404,
            json!({"errors": [{"title": "Not Found", "detail": "no such file"}]}),
        );
    let app = TestApp::from_registry()
        .state(Jobs::default())
        .frameio(&frameio)
        .ims(&ims);

    let upload = webhook_event("file.upload.completed")
        .account_id("acc")
        .resource_id("gone");
    let reply = app.deliver(upload).await?;
    reply.assert_status(500);
    // The wire answer is a bare 500; the diagnosis names the handler and the API's answer.
    let diagnosis = reply.diagnosis().expect("a failure is diagnosed");
    assert_eq!(
        diagnosis.handler(),
        Some("testing_example::comment_on_upload")
    );
    assert!(diagnosis.reason().contains("no such file"), "{diagnosis}");
    Ok(())
}

#[tokio::test]
async fn my_jobs_asks_for_sign_in_then_answers() -> Result<(), TestError> {
    let (frameio, ims) = (MockFrameio::start().await?, MockIms::start().await?);
    let app = TestApp::from_registry()
        .state(Jobs::default())
        .frameio(&frameio)
        .ims(&ims);

    let form = app
        .deliver(action_event("my-jobs").user_id("u-1"))
        .await?
        .form()?;
    assert_eq!(form.title, "Authentication Required");
    let link = form.field("login_url")?.value_str().unwrap_or_default();
    assert!(
        link.starts_with("http://frameio-kit.test/auth/login?t="),
        "{link}"
    );

    app.sign_in(&ims, "u-1").await?;
    let answer = app
        .deliver(action_event("my-jobs").user_id("u-1"))
        .await?
        .message()?;
    assert_eq!(answer.description, "0 jobs queued; you are u-1.");
    Ok(())
}

#[tokio::test]
async fn the_timing_middleware_logs_every_delivery() -> Result<(), TestError> {
    let (frameio, ims) = (MockFrameio::start().await?, MockIms::start().await?);
    let app = TestApp::from_registry()
        .state(Jobs::default())
        .frameio(&frameio)
        .ims(&ims)
        .app(|app| app.middleware(Timing));
    let logs = app.capture_logs();

    app.deliver(webhook_event("file.ready")).await?.assert_ok();

    let timed = logs.assert_logged("timed delivery");
    assert_eq!(timed.field_str("event_type"), Some("file.ready"));
    assert_eq!(timed.field("ok"), Some(&true.into()));
    assert!(timed.field("elapsed_us").is_some());
    Ok(())
}
