//! Failing deliveries explain themselves: the pipeline's reason (step, event, handler, what it
//! logged) travels with the in-process reply and every error and assertion message shows it.
//! The messages are compared whole: they are what a newcomer reads when a test fails.

use frameio_kit::auth::{UserAuth, UserToken};
use frameio_kit::dispatch::Stage;
use frameio_kit::prelude::*;
use frameio_kit_testing::mock_ims::{CLIENT_ID, CLIENT_SECRET};
use frameio_kit_testing::{
    MockIms, SignedRequest, TestApp, TestError, action_event, webhook_event,
};

async fn burning(_event: WebhookEvent) -> Result<()> {
    Err("the disk is on fire".into())
}

async fn ready(_event: WebhookEvent) -> Result<()> {
    Ok(())
}

async fn whoami(event: ActionEvent, _token: UserToken) -> Result<Message> {
    Ok(Message::new("Hi", event.user_id().to_owned()))
}

fn app() -> TestApp {
    TestApp::new(
        App::new()
            .handler(Handler::webhook(["file.deleted"], burning).secret("s"))
            .handler(Handler::webhook(["file.ready"], ready).secret("s")),
    )
    .secret("s")
}

/// An app whose sign-in takes the link's host from the request, as in development.
fn sign_in_app(ims: &MockIms) -> TestApp {
    TestApp::new(
        App::new()
            .user_auth(
                UserAuth::builder(CLIENT_ID, CLIENT_SECRET)
                    .ims_base_url(ims.base_url())
                    .trust_forwarded_headers()
                    .verify_frameio_user(false)
                    .memory_store(),
            )
            .handler(
                Handler::action("whoami", whoami)
                    .function_name("my_app::whoami")
                    .require_user_auth()
                    .secret("s"),
            ),
    )
    .secret("s")
}

#[tokio::test]
async fn a_handler_failure_names_the_handler_and_its_error() -> std::result::Result<(), TestError> {
    let reply = app().deliver(webhook_event("file.deleted")).await?;
    let err = reply.message().unwrap_err().to_string();
    assert_eq!(
        err,
        "expected a Message, but the reply is 500 text/plain; charset=utf-8: \"Internal Server Error\"
  step:    handle
  event:   file.deleted
  handler: diagnosis::burning
  reason:  handler failed: the disk is on fire"
    );
    let diagnosis = reply.diagnosis().expect("a failure is diagnosed");
    assert_eq!(diagnosis.stage(), Stage::Handle);
    assert_eq!(diagnosis.handler(), Some("diagnosis::burning"));
    Ok(())
}

#[tokio::test]
async fn a_sign_in_link_without_a_host_says_so() -> std::result::Result<(), TestError> {
    let ims = MockIms::start().await?;
    // The first hour: no Host header, so no sign-in link, and a bare 503.
    let app = sign_in_app(&ims).host("");
    let reply = app.deliver(action_event("whoami").user_id("u-1")).await?;
    let err = reply.form().unwrap_err().to_string();
    assert_eq!(
        err,
        "expected a Form, but the reply is 503 text/plain; charset=utf-8: \"Configuration error.\"
  step:    handle
  event:   whoami
  handler: my_app::whoami
  reason:  handler failed: configuration error: cannot build the sign-in link (NoHost): set \
`UserAuthBuilder::public_base_url`, or list the proxy in `trusted_proxies`"
    );
    Ok(())
}

#[tokio::test]
async fn in_process_deliveries_carry_a_host_so_sign_in_links_are_built()
-> std::result::Result<(), TestError> {
    let ims = MockIms::start().await?;
    let app = sign_in_app(&ims);
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

    let elsewhere = sign_in_app(&ims).host("hooks.example.com:8443");
    let form = elsewhere
        .deliver(action_event("whoami").user_id("u-1"))
        .await?
        .form()?;
    let link = form.field("login_url")?.value_str().unwrap_or_default();
    assert!(
        link.starts_with("http://hooks.example.com:8443/auth/login?t="),
        "{link}"
    );
    Ok(())
}

#[tokio::test]
async fn refusals_name_their_step() -> std::result::Result<(), TestError> {
    let app = app();
    let forged = app
        .deliver_with(webhook_event("file.ready"), SignedRequest::wrong_secret)
        .await?;
    assert_eq!(
        forged.json().unwrap_err().to_string(),
        "expected a JSON body, but the reply is 401 text/plain; charset=utf-8: \"Invalid signature.\"
  step:    verify
  event:   file.ready
  handler: diagnosis::ready
  reason:  signature refused: signature does not match"
    );

    let untimed = app
        .deliver_with(
            webhook_event("file.ready"),
            SignedRequest::without_timestamp,
        )
        .await?;
    assert_eq!(
        untimed.diagnosis().map(|d| (d.stage(), d.reason())),
        Some((Stage::Timestamp, "timestamp header missing"))
    );

    let unparsable = app
        .deliver_signed(&SignedRequest::new("s", "{not json"))
        .await?;
    assert_eq!(
        unparsable.diagnosis().map(|d| (d.stage(), d.event_type())),
        Some((Stage::Parse, None))
    );

    let misfit = app
        .deliver(serde_json::json!({"type": "file.ready"}))
        .await?;
    assert_eq!(misfit.diagnosis().map(|d| d.stage()), Some(Stage::Validate));
    Ok(())
}

#[tokio::test]
async fn an_unknown_event_type_lists_what_the_app_handles() -> std::result::Result<(), TestError> {
    let reply = app().deliver(webhook_event("comment.created")).await?;
    assert_eq!(
        reply.json().unwrap_err().to_string(),
        "expected a JSON body, but the reply is 404 text/plain; charset=utf-8: \"No handler registered for event type 'comment.created'.\"
  step:    route
  event:   comment.created
  reason:  no handler for this event type
  hint:    the app handles file.deleted, file.ready; a crate whose handlers are missing must be \
linked into the test (`use my_app as _;`)"
    );
    Ok(())
}

#[tokio::test]
async fn handled_deliveries_carry_no_diagnosis() -> std::result::Result<(), TestError> {
    let reply = app().deliver(webhook_event("file.ready")).await?;
    reply.assert_ok();
    assert!(reply.diagnosis().is_none());
    Ok(())
}

#[tokio::test]
#[should_panic(expected = "expected a 2xx status, but the reply is 500 text/plain; \
                           charset=utf-8: \"Internal Server Error\"\n  step:    handle\n  \
                           event:   file.deleted\n  handler: diagnosis::burning\n  \
                           reason:  handler failed: the disk is on fire")]
async fn assertions_show_the_diagnosis_too() {
    app()
        .deliver(webhook_event("file.deleted"))
        .await
        .unwrap()
        .assert_ok();
}

#[tokio::test]
async fn over_http_the_reason_stays_in_the_server_log() -> std::result::Result<(), TestError> {
    let server = app().serve().await?;
    let reply = server.deliver(webhook_event("file.deleted")).await?;
    assert_eq!(reply.status(), 500);
    assert!(reply.diagnosis().is_none());
    server.stop().await
}
