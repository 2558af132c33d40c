//! The example's middleware, through the real pipeline.

use frameio_kit_testing::{TestApp, TestError, action_event, webhook_event};

fn app() -> TestApp {
    // Our own App (with its middleware); every secret variable reads as the test secret.
    TestApp::new(middleware_example::app("acc-1, acc-2"))
        .app(|app| app.env_lookup(frameio_kit_testing::test_env))
}

#[tokio::test]
async fn allowed_accounts_reach_the_handler() -> Result<(), TestError> {
    let event = action_event("archive")
        .account_id("acc-2")
        .resource_id("clip.mov");
    let message = app().deliver(event).await?.message()?;
    assert_eq!(message.title, "Archived");
    assert_eq!(message.description, "clip.mov will be archived.");
    Ok(())
}

#[tokio::test]
async fn other_accounts_get_a_message_instead() -> Result<(), TestError> {
    let event = action_event("archive").account_id("acc-9");
    let message = app().deliver(event).await?.message()?;
    assert_eq!(message.title, "Not available");
    Ok(())
}

#[tokio::test]
async fn webhooks_are_not_filtered() -> Result<(), TestError> {
    let event = webhook_event("file.ready").account_id("acc-9");
    app().deliver(event).await?.assert_ok().assert_text("OK");
    Ok(())
}
