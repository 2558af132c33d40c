//! The quickstart's handlers, delivered in-process with real signatures by frameio-kit-testing.

// Links the library so its #[webhook]/#[action] registrations are in this test binary.
use quickstart as _;

use frameio_kit_testing::{SignedRequest, TestApp, TestError, action_event, webhook_event};
use serde_json::json;

#[tokio::test]
async fn file_ready_is_acknowledged() -> Result<(), TestError> {
    let reply = TestApp::from_registry()
        .deliver(webhook_event("file.ready"))
        .await?;
    reply.assert_ok().assert_text("OK");
    Ok(())
}

#[tokio::test]
async fn greet_answers_a_message() -> Result<(), TestError> {
    let event = action_event("greet").user_id("u1").resource_id("clip.mov");
    let message = TestApp::from_registry().deliver(event).await?.message()?;
    assert_eq!(message.title, "Hello!");
    assert_eq!(
        message.description,
        "Hello, user u1. You clicked on file clip.mov."
    );
    Ok(())
}

#[tokio::test]
async fn rename_asks_then_confirms() -> Result<(), TestError> {
    let first_click = action_event("rename").resource_id("clip.mov");
    let reply = TestApp::from_registry().deliver(first_click).await?;
    let form = reply.form()?;
    assert_eq!(form.field("new_name")?.value_str(), Some("clip.mov"));
    let values = json!({"new_name": "Final Cut", "case": "upper", "notify": "on"});
    let message = form.submit(values).await?.message()?;
    let expected = "The file will be renamed to \"FINAL CUT\" and collaborators notified.";
    assert_eq!(message.description, expected);
    Ok(())
}

#[tokio::test]
async fn rename_shows_problems_without_running_the_handler() -> Result<(), TestError> {
    let first_click = action_event("rename").resource_id("clip.mov");
    let form = TestApp::from_registry()
        .deliver(first_click)
        .await?
        .form()?;
    let again = form
        .submit(json!({"new_name": "a/b", "case": "lower"}))
        .await?
        .form()?;
    assert_eq!(
        again.field("new_name")?.label,
        "New name — is not in the expected format"
    );
    assert_eq!(again.field("new_name")?.value_str(), Some("a/b"));
    assert_eq!(again.field("case")?.value_str(), Some("lower"));
    let message = again.submit(json!({"new_name": "Clip"})).await?.message()?;
    assert_eq!(message.description, "The file will be renamed to \"clip\".");
    Ok(())
}

#[tokio::test]
async fn forged_deliveries_are_refused() -> Result<(), TestError> {
    let app = TestApp::from_registry();
    let reply = app.deliver_with(action_event("greet"), SignedRequest::wrong_secret);
    reply.await?.assert_status(401);
    Ok(())
}
