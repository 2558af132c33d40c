//! Handlers called directly: no HTTP, no signatures, no routing.

use testing_example as _;

use std::sync::Arc;

use frameio_kit::{ActionResponse, State};
use frameio_kit_testing::{TestError, action_event, call_handler, webhook_event};
use testing_example::{Jobs, queue_transcription};

#[tokio::test]
async fn an_annotated_handler_is_still_a_plain_async_fn() {
    let jobs = Arc::new(Jobs::default());
    let event = webhook_event("file.ready").resource_id("f1").build();
    queue_transcription(event, State::new(Arc::clone(&jobs)))
        .await
        .unwrap();
    assert_eq!(jobs.all()[0].file_id, "f1");
}

#[tokio::test]
async fn call_handler_builds_the_extractors() -> Result<(), TestError> {
    let submit = action_event("transcribe").field("language", "fr");
    let answer = call_handler("transcribe", submit)
        .state(Jobs::default())
        .await?;
    let ActionResponse::Message(message) = answer else {
        panic!("not a message: {answer:?}")
    };
    assert_eq!(message.description, "Transcribing in fr.");
    Ok(())
}

#[tokio::test]
async fn a_missing_state_is_reported() {
    let err = call_handler("queue_transcription", webhook_event("file.ready"))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("no state of type"), "{err}");
}
