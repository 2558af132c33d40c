//! Deliveries through the whole pipeline, in-process: signatures, routing, state, forms.

// The linking rule: refer to the crate so its #[webhook]/#[action] handlers are linked.
use testing_example as _;

use std::sync::Arc;

use frameio_kit_testing::{SignedRequest, TestApp, TestError, action_event, webhook_event};
use serde_json::json;
use testing_example::{Job, Jobs};

/// The registry app with a job queue the test keeps a handle on. No environment needed:
/// `WEBHOOK_SECRET` and `TRANSCRIBE_SECRET` both read as the test secret.
fn app() -> (TestApp, Arc<Jobs>) {
    let jobs = Arc::new(Jobs::default());
    (TestApp::from_registry().state_arc(Arc::clone(&jobs)), jobs)
}

#[tokio::test]
async fn a_ready_file_is_queued_in_english() -> Result<(), TestError> {
    let (app, jobs) = app();
    let reply = app
        .deliver(webhook_event("file.ready").resource_id("f1"))
        .await?;
    reply.assert_ok().assert_text("OK");
    let expected = Job {
        file_id: "f1".into(),
        language: "en".into(),
    };
    assert_eq!(jobs.all(), [expected]);
    Ok(())
}

#[tokio::test]
async fn a_ready_folder_is_ignored() -> Result<(), TestError> {
    let (app, jobs) = app();
    let folder = webhook_event("file.ready").resource_type("folder");
    app.deliver(folder).await?.assert_ok();
    assert!(jobs.all().is_empty());
    Ok(())
}

#[tokio::test]
async fn transcribe_asks_for_a_language_then_queues() -> Result<(), TestError> {
    let (app, jobs) = app();
    let form = app
        .deliver(action_event("transcribe").resource_id("f2"))
        .await?
        .form()?;
    assert_eq!(form.field("language")?.option_values(), ["en", "fr"]);
    let reply = form.submit(json!({"language": "fr"})).await?;
    reply.assert_message("Queued");
    assert_eq!(jobs.all()[0].language, "fr");
    Ok(())
}

#[tokio::test]
async fn transcribe_refuses_folders() -> Result<(), TestError> {
    let (app, _jobs) = app();
    let reply = app
        .deliver(action_event("transcribe").resource_type("folder"))
        .await?;
    assert_eq!(reply.message()?.title, "Not a file");
    Ok(())
}

#[tokio::test]
async fn forged_and_stale_deliveries_never_reach_the_handler() -> Result<(), TestError> {
    let (app, jobs) = app();
    for spoil in [
        SignedRequest::wrong_secret,
        SignedRequest::stale,
        SignedRequest::tampered,
    ] {
        app.deliver_with(webhook_event("file.ready"), spoil)
            .await?
            .assert_status(401);
    }
    assert!(jobs.all().is_empty());
    Ok(())
}
