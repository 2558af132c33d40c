//! The same app on a real local port, and from a plain `#[test]` with `block_on`.

use testing_example as _;

use frameio_kit_testing::{
    SignedRequest, TestApp, TestError, action_event, block_on, webhook_event,
};
use serde_json::json;
use testing_example::Jobs;

#[tokio::test]
async fn deliveries_over_http() -> Result<(), TestError> {
    let server = TestApp::from_registry()
        .state(Jobs::default())
        .serve()
        .await?;
    server
        .deliver(webhook_event("file.ready"))
        .await?
        .assert_text("OK");
    let form = server.deliver(action_event("transcribe")).await?.form()?;
    form.submit(json!({"language": "en"}))
        .await?
        .assert_message("Queued");
    let forged = server.deliver_with(webhook_event("file.ready"), SignedRequest::wrong_secret);
    forged.await?.assert_status(401);
    server.stop().await
}

#[test]
fn plain_test_with_block_on() -> Result<(), TestError> {
    let app = TestApp::from_registry().state(Jobs::default());
    block_on(async {
        app.deliver(action_event("transcribe"))
            .await?
            .assert_form("Transcribe");
        Ok(())
    })?
}
