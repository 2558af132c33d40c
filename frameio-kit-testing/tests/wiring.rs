//! `TestApp::from_registry()` with handlers that take a `Client` or require sign-in: one call
//! wires each mock server.

use frameio_kit::auth::{UserClient, UserToken};
use frameio_kit::client::Client;
use frameio_kit::client::comments::CreateComment;
use frameio_kit::prelude::*;
use frameio_kit_testing::mock_frameio::Method;
use frameio_kit_testing::{
    MockFrameio, MockIms, SignInExt as _, TestApp, TestError, action_event, webhook_event,
};
use serde_json::json;

#[webhook("file.ready")]
async fn comment_when_ready(event: WebhookEvent, client: Client) -> Result<()> {
    let comment = CreateComment::text("Ready for review.");
    client
        .comments()
        .create(event.account_id(), event.resource_id(), &comment)
        .await?;
    Ok(())
}

#[action(event = "whoami", name = "Who am I?", require_user_auth)]
async fn whoami(event: ActionEvent, token: UserToken) -> Result<Message> {
    Ok(Message::new(
        "Hi",
        format!(
            "{} ({} token bytes)",
            event.user_id(),
            token.access_token().len()
        ),
    ))
}

#[action(event = "note", name = "Note", require_user_auth)]
async fn note(event: ActionEvent, client: UserClient) -> Result<Message> {
    let comment = CreateComment::text("Noted.");
    client
        .comments()
        .create(event.account_id(), event.resource_id(), &comment)
        .await?;
    Ok(Message::new("Noted", ""))
}

#[tokio::test]
async fn without_the_mocks_the_app_does_not_start_and_says_what_to_attach() {
    let err = TestApp::from_registry().service().unwrap_err().to_string();
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(
        lines[0],
        "the test app does not start: frameio-kit cannot start:"
    );
    assert!(
        err.contains("wiring::comment_when_ready takes the Frame.io API `Client`"),
        "{err}"
    );
    assert!(
        err.contains("wiring::whoami requires user sign-in"),
        "{err}"
    );
    assert_eq!(
        lines[lines.len() - 2..],
        [
            "  hint: client: `TestApp::frameio(&MockFrameio)` gives handlers a client against a \
             mock Frame.io API",
            "  hint: sign-in: `TestApp::ims(&MockIms)` turns user sign-in on against a mock IMS",
        ]
    );
}

#[tokio::test]
async fn an_api_calling_webhook_against_mock_frameio() -> std::result::Result<(), TestError> {
    let frameio = MockFrameio::start().await?;
    let ims = MockIms::start().await?;
    let comments = "/v4/accounts/acc/files/f-1/comments";
    frameio
        .on(Method::POST, comments)
        .respond_data(201, json!({"id": "c-1", "text": "Ready for review."}));
    let app = TestApp::from_registry().frameio(&frameio).ims(&ims);

    app.deliver(
        webhook_event("file.ready")
            .account_id("acc")
            .resource_id("f-1"),
    )
    .await?
    .assert_ok();

    let posted = frameio.requests_to(Method::POST, comments);
    assert_eq!(posted.len(), 1);
    assert_eq!(
        posted[0].json(),
        Some(json!({"data": {"text": "Ready for review."}}))
    );
    assert_eq!(
        posted[0].header("authorization"),
        Some(format!("Bearer {}", frameio.token()).as_str())
    );
    Ok(())
}

#[tokio::test]
async fn a_failing_api_call_names_the_api_error() -> std::result::Result<(), TestError> {
    let frameio = MockFrameio::start().await?;
    let ims = MockIms::start().await?;
    let app = TestApp::from_registry().frameio(&frameio).ims(&ims);
    // No route on the mock: the API answers 404, and the diagnosis says so.
    let reply = app
        .deliver(
            webhook_event("file.ready")
                .account_id("acc")
                .resource_id("gone"),
        )
        .await?;
    let diagnosis = reply.diagnosis().expect("diagnosed");
    assert_eq!(reply.status(), 500);
    assert!(
        diagnosis.reason().starts_with("handler failed: ") && diagnosis.reason().contains("404"),
        "{diagnosis}"
    );
    Ok(())
}

#[tokio::test]
async fn a_sign_in_action_against_mock_ims() -> std::result::Result<(), TestError> {
    let frameio = MockFrameio::start().await?;
    let ims = MockIms::start().await?;
    let app = TestApp::from_registry().frameio(&frameio).ims(&ims);

    // Not signed in: the sign-in Form, its link on the test host.
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
    let hi = app
        .deliver(action_event("whoami").user_id("u-1"))
        .await?
        .message()?;
    assert!(hi.description.starts_with("u-1 ("), "{}", hi.description);
    // Another user is still asked to sign in.
    app.deliver(action_event("whoami").user_id("u-2"))
        .await?
        .assert_form("Authentication Required");
    Ok(())
}

#[tokio::test]
async fn a_user_client_calls_mock_frameio_as_the_user() -> std::result::Result<(), TestError> {
    let frameio = MockFrameio::start().await?;
    let ims = MockIms::start().await?;
    // The user's token is IMS's, not the app's: let the mock accept what IMS issued.
    frameio.accept_tokens(|_| true);
    let comments = "/v4/accounts/acc/files/f-9/comments";
    frameio
        .on(Method::POST, comments)
        .respond_data(201, json!({"id": "c-2"}));
    let app = TestApp::from_registry().frameio(&frameio).ims(&ims);
    let token = app.sign_in(&ims, "u-1").await?;

    app.deliver(
        action_event("note")
            .user_id("u-1")
            .account_id("acc")
            .resource_id("f-9"),
    )
    .await?
    .assert_message("Noted");
    let posted = frameio.requests_to(Method::POST, comments);
    assert_eq!(
        posted[0].header("authorization"),
        Some(format!("Bearer {}", token.access_token()).as_str())
    );
    Ok(())
}

#[tokio::test]
async fn wiring_after_the_first_delivery_is_an_error() -> std::result::Result<(), TestError> {
    let frameio = MockFrameio::start().await?;
    let ims = MockIms::start().await?;
    let app = TestApp::from_registry().frameio(&frameio).ims(&ims);
    app.service()?;
    let late = app.host("elsewhere.test");
    assert!(matches!(
        late.service(),
        Err(TestError::LateConfiguration("host"))
    ));
    Ok(())
}
