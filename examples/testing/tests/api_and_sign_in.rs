//! The guide's recipes for a webhook that calls the Frame.io API (against `MockFrameio`) and an
//! action that requires sign-in (against `MockIms`), each a few lines on top of the handler's
//! own assertions.
//!
//! The handlers live in this file, so only this test binary registers them (it does not link
//! `testing_example`): in your integration they sit in `src/lib.rs` with the others, and every
//! test app of the crate then attaches the mocks — `App::build` refuses an app whose handlers
//! would miss a client or sign-in, and the error's hints say which call to add.

use frameio_kit::auth::UserToken;
use frameio_kit::client::Client;
use frameio_kit::client::comments::CreateComment;
use frameio_kit::prelude::*;
use frameio_kit_testing::mock_frameio::Method;
use frameio_kit_testing::{
    MockFrameio, MockIms, SignInExt as _, TestApp, TestError, action_event, webhook_event,
};
use serde_json::json;

/// Tells the uploader, in a comment on the file (`resource_id()` of a `file.*` event), that a
/// transcription can be requested.
#[webhook("file.upload.completed")]
async fn comment_on_upload(event: WebhookEvent, client: Client) -> Result<()> {
    let comment = CreateComment::text("Uploaded: use Transcribe to get a transcript.");
    client
        .comments()
        .create(event.account_id(), event.resource_id(), &comment)
        .await?;
    Ok(())
}

/// Answers only users signed in with Adobe; others get the sign-in Form.
#[allow(clippy::unused_async)] // frameio-kit handlers are async by contract
#[action(event = "whoami", name = "Who am I?", require_user_auth)]
async fn whoami(event: ActionEvent, _token: UserToken) -> Result<Message> {
    Ok(Message::new("Hi", format!("You are {}.", event.user_id())))
}

#[tokio::test]
async fn an_upload_gets_a_comment_through_the_api() -> Result<(), TestError> {
    let (frameio, ims) = (MockFrameio::start().await?, MockIms::start().await?);
    let comments = "/v4/accounts/acc/files/f-1/comments";
    frameio
        .on(Method::POST, comments)
        .respond_data(201, json!({"id": "c-1"}));
    let app = TestApp::from_registry().frameio(&frameio).ims(&ims);

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
    let app = TestApp::from_registry().frameio(&frameio).ims(&ims);

    let upload = webhook_event("file.upload.completed")
        .account_id("acc")
        .resource_id("gone");
    let reply = app.deliver(upload).await?;
    reply.assert_status(500);
    // The wire answer is a bare 500; the diagnosis names the handler and the API's answer.
    let diagnosis = reply.diagnosis().expect("a failure is diagnosed");
    assert_eq!(
        diagnosis.handler(),
        Some("api_and_sign_in::comment_on_upload")
    );
    assert!(diagnosis.reason().contains("no such file"), "{diagnosis}");
    Ok(())
}

#[tokio::test]
async fn whoami_asks_for_sign_in_then_answers() -> Result<(), TestError> {
    let (frameio, ims) = (MockFrameio::start().await?, MockIms::start().await?);
    let app = TestApp::from_registry().frameio(&frameio).ims(&ims);

    let form = app
        .deliver(action_event("whoami").user_id("u-1"))
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
        .deliver(action_event("whoami").user_id("u-1"))
        .await?
        .message()?;
    assert_eq!(answer.description, "You are u-1.");
    Ok(())
}

#[tokio::test]
async fn without_the_mocks_the_error_says_what_to_attach() {
    let err = TestApp::from_registry().service().unwrap_err().to_string();
    assert!(
        err.contains("hint: client: `TestApp::frameio(&MockFrameio)`"),
        "{err}"
    );
    assert!(
        err.contains("hint: sign-in: `TestApp::ims(&MockIms)`"),
        "{err}"
    );
}
