//! The testing kit against real handlers: registered with the macros in this file, and built
//! by hand with the `App` builder.

use std::future::IntoFuture;
use std::sync::atomic::{AtomicUsize, Ordering};

use frameio_kit::prelude::*;
use frameio_kit_testing::{
    SignedRequest, TEST_SECRET, TestApp, TestError, action_event, block_on, call_handler,
    find_handler, webhook_event,
};
use serde_json::json;

#[derive(Default)]
struct Seen(AtomicUsize);

#[webhook("file.ready")]
async fn on_ready(_event: WebhookEvent, seen: State<Seen>) -> Result<()> {
    seen.0.fetch_add(1, Ordering::SeqCst);
    Ok(())
}

#[webhook("comment.created", secret_env = "COMMENTS_SECRET")]
async fn on_comment(_event: WebhookEvent) -> Result<()> {
    Ok(())
}

#[webhook("file.deleted")]
async fn failing(_event: WebhookEvent) -> Result<()> {
    Err("the disk is on fire".into())
}

#[action(event = "greet", name = "Greet")]
async fn greet(event: ActionEvent) -> Result<Message> {
    Ok(Message::new("Hello!", format!("Hi {}", event.user_id())))
}

/// Echoes the interaction id and submitted data, so round trips can be checked.
#[action(event = "survey", name = "Survey", secret_env = "SURVEY_SECRET")]
async fn survey(event: ActionEvent) -> Result<ActionResponse> {
    if !event.is_form_submit() {
        return Ok(Form::new("Survey", "Tell us")
            .field(TextField::new("Name", "name"))
            .field(
                SelectField::new("Color", "color")
                    .option("Red", "red")
                    .option("Blue", "blue")
                    .value("red"),
            )
            .field(CheckboxField::new("Subscribe", "subscribe").value(false))
            .field(LinkField::new("Docs", "docs", "https://example.com"))
            .into());
    }
    let data = serde_json::Value::Object(event.data().cloned().unwrap_or_default());
    Ok(Message::new(event.interaction_id().to_owned(), data.to_string()).into())
}

mod first {
    use frameio_kit::prelude::*;

    #[webhook("folder.created")]
    pub(crate) async fn duplicate_name(_event: WebhookEvent) -> Result<()> {
        Ok(())
    }
}

mod second {
    use frameio_kit::prelude::*;

    #[webhook("folder.deleted")]
    pub(crate) async fn duplicate_name(_event: WebhookEvent) -> Result<()> {
        Ok(())
    }
}

fn app() -> TestApp {
    TestApp::from_registry().state(Seen::default())
}

#[tokio::test]
async fn registry_app_needs_no_environment() -> Result<(), TestError> {
    let app = app();
    app.deliver(webhook_event("file.ready"))
        .await?
        .assert_ok()
        .assert_text("OK");
    // A handler with its own `secret_env` is covered too.
    app.deliver(webhook_event("comment.created"))
        .await?
        .assert_status(200);
    let reply = app.deliver(action_event("greet").user_id("u1")).await?;
    assert_eq!(reply.message()?, Message::new("Hello!", "Hi u1"));
    Ok(())
}

#[tokio::test]
async fn every_spoiled_signature_is_refused() -> Result<(), TestError> {
    let app = app();
    let spoilers: [fn(SignedRequest) -> SignedRequest; 5] = [
        SignedRequest::wrong_secret,
        SignedRequest::stale,
        SignedRequest::future,
        SignedRequest::tampered,
        SignedRequest::without_signature,
    ];
    for spoil in spoilers {
        let reply = app.deliver_with(webhook_event("file.ready"), spoil).await?;
        assert_eq!(reply.status(), 401, "{reply:?}");
        assert_eq!(reply.text(), "Invalid signature.");
        assert!(!reply.is_ok());
    }
    let reply = app
        .deliver_with(action_event("greet"), SignedRequest::without_timestamp)
        .await?;
    reply.assert_status(400);
    Ok(())
}

#[tokio::test]
async fn routing_and_handler_failures_surface_as_statuses() -> Result<(), TestError> {
    let app = app();
    let reply = app.deliver(webhook_event("file.nothing")).await?;
    reply
        .assert_status(404)
        .assert_text("No handler registered for event type 'file.nothing'.");
    app.deliver(webhook_event("file.deleted"))
        .await?
        .assert_status(500);
    let invalid = json!({"type": "file.ready", "account": "not an object"});
    app.deliver(invalid).await?.assert_status(422);
    Ok(())
}

#[tokio::test]
async fn reading_the_wrong_kind_of_answer_says_what_came() -> Result<(), TestError> {
    let app = app();
    let form_reply = app.deliver(action_event("survey")).await?;
    let err = form_reply.message().unwrap_err().to_string();
    assert_eq!(
        err,
        "expected a Message, but the reply is 200, a Form titled \"Survey\""
    );
    let greet_reply = app.deliver(action_event("greet")).await?;
    let err = greet_reply.form().unwrap_err().to_string();
    assert!(err.contains("a Message titled \"Hello!\""), "{err}");
    let refused = app
        .deliver_with(action_event("greet"), SignedRequest::wrong_secret)
        .await?;
    let err = refused.message().unwrap_err().to_string();
    assert!(
        err.contains("401") && err.contains("Invalid signature."),
        "{err}"
    );
    assert!(
        app.deliver(webhook_event("file.ready"))
            .await?
            .json()
            .is_err()
    );
    Ok(())
}

#[tokio::test]
#[should_panic(expected = "expected a Message titled \"Bye\", but the reply is 200, a Message")]
async fn assert_message_panics_with_the_reply() {
    let reply = app().deliver(action_event("greet")).await.unwrap();
    reply.assert_message("Bye");
}

#[tokio::test]
#[should_panic(expected = "expected status 200, but the reply is 401")]
async fn assert_status_panics_with_the_reply() {
    let reply = app()
        .deliver_with(webhook_event("file.ready"), SignedRequest::stale)
        .await
        .unwrap();
    reply.assert_status(200);
}

#[tokio::test]
async fn form_fields_are_readable_by_name() -> Result<(), TestError> {
    let form = app().deliver(action_event("survey")).await?.form()?;
    assert_eq!(form.title, "Survey");
    assert_eq!(form.fields.len(), 4);
    let color = form.field("color")?;
    assert_eq!(
        (color.label.as_str(), color.field_type.as_str()),
        ("Color", "select")
    );
    assert_eq!(color.value_str(), Some("red"));
    assert_eq!(color.option_values(), ["red", "blue"]);
    assert_eq!(form.field("subscribe")?.value, Some(json!(false)));
    assert_eq!(form.field("name")?.value, None);
    let err = form.field("colour").unwrap_err().to_string();
    assert!(err.contains("name, color, subscribe, docs"), "{err}");
    Ok(())
}

#[tokio::test]
async fn form_round_trip_keeps_the_interaction_and_merges_defaults() -> Result<(), TestError> {
    let app = app();
    let first = action_event("survey").interaction_id("i-42");
    let form = app.deliver(&first).await?.form()?;
    let reply = form.submit(json!({"name": "Ada", "color": "blue"})).await?;
    let message = reply.message()?;
    assert_eq!(message.title, "i-42");
    let data: serde_json::Value = serde_json::from_str(&message.description).unwrap();
    assert_eq!(
        data,
        json!({"name": "Ada", "color": "blue", "subscribe": false})
    );
    let submitted = reply.request().unwrap();
    assert_eq!(submitted["action_id"], first.to_json()["action_id"]);
    Ok(())
}

#[tokio::test]
async fn bad_submissions_are_errors() -> Result<(), TestError> {
    let form = app().deliver(action_event("survey")).await?.form()?;
    let err = form.submit(json!({"nmae": "typo"})).await.unwrap_err();
    assert!(matches!(err, TestError::NoSuchField { ref name, .. } if name == "nmae"));
    let err = form
        .submit(json!(["not", "an", "object"]))
        .await
        .unwrap_err();
    assert!(matches!(err, TestError::InvalidSubmission(_)), "{err}");
    Ok(())
}

async fn explicit_greet(event: ActionEvent) -> Result<Message> {
    Ok(Message::new("Explicit", event.resource_id().to_owned()))
}

async fn explicit_ready(_event: WebhookEvent) -> Result<()> {
    Ok(())
}

fn explicit_app() -> App {
    App::new()
        .handler(Handler::action("explicit.greet", explicit_greet).secret("action-secret"))
        .handler(Handler::webhook(["explicit.ready"], explicit_ready).secret("webhook-secret"))
}

#[tokio::test]
async fn explicit_app_signs_with_the_secrets_it_is_told() -> Result<(), TestError> {
    let app = TestApp::new(explicit_app())
        .secret("webhook-secret")
        .secret_for("explicit.greet", "action-secret");
    app.deliver(webhook_event("explicit.ready"))
        .await?
        .assert_ok();
    app.deliver(action_event("explicit.greet").resource_id("r"))
        .await?
        .assert_message("Explicit");
    // Not told: signed with TEST_SECRET, which these handlers do not accept.
    let untold = TestApp::new(explicit_app());
    untold
        .deliver(webhook_event("explicit.ready"))
        .await?
        .assert_status(401);
    Ok(())
}

#[tokio::test]
async fn explicit_app_with_test_env_accepts_the_test_secret() -> Result<(), TestError> {
    let app = TestApp::new(
        App::new()
            .handler(Handler::webhook(["explicit.ready"], explicit_ready))
            .env_lookup(frameio_kit_testing::test_env),
    );
    app.deliver(webhook_event("explicit.ready"))
        .await?
        .assert_ok();
    assert_eq!(app.sign(webhook_event("x"))?.body().first(), Some(&b'{'));
    let signed = app.sign(webhook_event("explicit.ready"))?;
    assert_eq!(
        signed.signature_header(),
        SignedRequest::new(TEST_SECRET, signed.body().to_vec())
            .timestamp(signed.timestamp_header().parse().unwrap())
            .signature_header()
    );
    Ok(())
}

#[tokio::test]
async fn configuration_problems_are_errors_not_panics() {
    let err = TestApp::new(App::new())
        .deliver(webhook_event("file.ready"))
        .await
        .unwrap_err();
    assert!(matches!(err, TestError::Startup(_)), "{err}");
    assert!(err.to_string().contains("does not start"), "{err}");

    // State<Seen> is missing: App::build names the handler.
    let err = TestApp::from_registry().service().unwrap_err().to_string();
    assert!(err.contains("on_ready") && err.contains("Seen"), "{err}");

    let app = app();
    app.deliver(webhook_event("file.ready")).await.unwrap();
    let late = app.state(42_u32);
    let err = late.deliver(webhook_event("file.ready")).await.unwrap_err();
    assert!(
        matches!(err, TestError::LateConfiguration("state")),
        "{err}"
    );
}

#[tokio::test]
async fn state_reaches_the_handlers() -> Result<(), TestError> {
    let seen = std::sync::Arc::new(Seen::default());
    let app = TestApp::from_registry().state_arc(seen.clone());
    for _ in 0..3 {
        app.deliver(webhook_event("file.ready")).await?.assert_ok();
    }
    assert_eq!(seen.0.load(Ordering::SeqCst), 3);
    assert_eq!(app.service()?.handler_count(), 7);
    Ok(())
}

#[tokio::test]
async fn a_pinned_clock_tests_the_window() -> Result<(), TestError> {
    let app = app().at(1_000_000);
    app.deliver(webhook_event("file.ready")).await?.assert_ok();
    let late = app
        .deliver_with(webhook_event("file.ready"), |r| {
            r.timestamp(1_000_000 - 301)
        })
        .await?;
    late.assert_status(401);
    let edge = app
        .deliver_with(webhook_event("file.ready"), |r| {
            r.timestamp(1_000_000 + 300)
        })
        .await?;
    edge.assert_ok();
    Ok(())
}

#[tokio::test]
async fn the_same_helpers_work_over_http() -> Result<(), TestError> {
    let app = app();
    let server = app.serve().await?;
    assert!(
        server.url().starts_with("http://127.0.0.1:"),
        "{}",
        server.url()
    );
    assert!(server.local_addr().is_some());
    let reply = server.deliver(webhook_event("file.ready")).await?;
    reply.assert_ok().assert_text("OK");
    assert_eq!(reply.content_type(), "text/plain; charset=utf-8");
    let form = server
        .deliver(action_event("survey").interaction_id("i-http"))
        .await?
        .form()?;
    form.submit(json!({"name": "Grace"}))
        .await?
        .assert_message("i-http");
    server
        .deliver_with(webhook_event("file.ready"), SignedRequest::wrong_secret)
        .await?
        .assert_status(401);
    server.stop().await
}

#[test]
fn plain_tests_use_block_on() -> Result<(), TestError> {
    let app = app();
    block_on(async {
        app.deliver(action_event("greet").user_id("u9"))
            .await?
            .assert_message("Hello!");
        Ok(())
    })?
}

#[tokio::test]
async fn registered_handlers_are_found_by_path_suffix_or_event() -> Result<(), TestError> {
    assert_eq!(find_handler("kit::greet")?.function(), "kit::greet");
    assert_eq!(find_handler("greet")?.function(), "kit::greet");
    assert_eq!(
        find_handler("first::duplicate_name")?.events(),
        ["folder.created"]
    );
    assert_eq!(find_handler("survey")?.events(), ["survey"]);
    assert_eq!(
        find_handler("comment.created")?.function(),
        "kit::on_comment"
    );
    let err = find_handler("duplicate_name").unwrap_err().to_string();
    assert!(
        err.contains("kit::first::duplicate_name, kit::second::duplicate_name"),
        "{err}"
    );
    let err = find_handler("nope").unwrap_err().to_string();
    assert!(err.contains("registered: kit::failing"), "{err}");
    Ok(())
}

#[tokio::test]
async fn handlers_are_called_directly_with_their_extractors() -> Result<(), TestError> {
    let answer = call_handler("greet", action_event("greet").user_id("u2")).await?;
    assert_eq!(
        answer,
        ActionResponse::Message(Message::new("Hello!", "Hi u2"))
    );

    let answer = call_handler("on_ready", webhook_event("file.ready"))
        .state(Seen::default())
        .await?;
    assert_eq!(answer, ActionResponse::None);

    // Missing state, a failing handler and a mismatched event are errors.
    let err = call_handler("on_ready", webhook_event("file.ready"))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("no state of type"), "{err}");
    let err = call_handler("failing", webhook_event("file.deleted"))
        .await
        .unwrap_err();
    assert_eq!(err.to_string(), "the handler failed: the disk is on fire");
    let err = call_handler("greet", webhook_event("file.ready"))
        .await
        .unwrap_err();
    assert!(
        matches!(err, TestError::InvalidEvent { kind: "action", .. }),
        "{err}"
    );
    Ok(())
}

#[tokio::test]
async fn annotated_handlers_stay_plain_async_functions() {
    let event = webhook_event("file.ready").build();
    on_ready(event, State::new(std::sync::Arc::new(Seen::default())))
        .await
        .unwrap();
    let message = greet(action_event("greet").user_id("u3").build())
        .await
        .unwrap();
    assert_eq!(message.description, "Hi u3");
}

#[tokio::test]
async fn test_apps_and_their_futures_can_cross_threads() -> Result<(), TestError> {
    fn send_sync<T: Send + Sync>(_: &T) {}
    let app = std::sync::Arc::new(app());
    send_sync(&*app);
    let task = {
        let app = std::sync::Arc::clone(&app);
        tokio::spawn(async move { app.deliver(action_event("greet")).await })
    };
    let reply = task.await.expect("the task ran")?;
    send_sync(&reply);
    send_sync(&app.deliver(action_event("survey")).await?.form()?);
    let call = tokio::spawn(call_handler("greet", action_event("greet")).into_future());
    assert!(matches!(
        call.await.expect("the task ran")?,
        ActionResponse::Message(_)
    ));
    Ok(())
}
