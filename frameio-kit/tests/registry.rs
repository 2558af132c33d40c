//! The attribute macros end to end: registration, stacking, extractors, secrets from the
//! environment, and the start-up checks of `App::from_registry`.

use std::collections::HashMap;

use frameio_kit::prelude::*;
use frameio_kit::{ArgumentProblem, Delivery, DeliveryEvent, HandlerKind, Headers, StartupProblem};
use frameio_kit_testing::SignedRequest;
use serde_json::json;

#[webhook("file.ready")]
async fn on_ready(event: WebhookEvent) -> Result<()> {
    assert_eq!(event.event_type(), "file.ready");
    Ok(())
}

/// Two attributes on one function, one of them with two event types.
#[webhook("file.created", "file.updated")]
#[webhook("file.deleted", secret_env = "DELETES_SECRET")]
async fn on_change(event: WebhookEvent, headers: Headers) -> anyhow::Result<()> {
    anyhow::ensure!(headers.get("user-agent") == Some("Frame.io V4 API"));
    anyhow::ensure!(event.event_type().starts_with("file."));
    Ok(())
}

struct Greeting(&'static str);

#[action(
    event = "greet",
    name = "Greet",
    description = "Say hello",
    secret_env = "GREET_SECRET"
)]
async fn greet(event: ActionEvent, greeting: State<Greeting>) -> Result<Message> {
    Ok(Message::new(greeting.0, event.user_id().to_owned()))
}

#[action(event = "plain", name = "Plain")]
async fn plain(_event: ActionEvent) {}

fn env(vars: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> + Send + Sync + 'static {
    let vars: HashMap<String, String> = vars
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    move |name| vars.get(name).cloned()
}

fn full_env() -> impl Fn(&str) -> Option<String> + Send + Sync + 'static {
    env(&[
        ("WEBHOOK_SECRET", "wh"),
        ("DELETES_SECRET", "del"),
        ("GREET_SECRET", "greet"),
        ("CUSTOM_ACTION_SECRET", "act"),
    ])
}

fn webhook_body(event_type: &str) -> serde_json::Value {
    json!({
        "account": {"id": "a"}, "project": {"id": "p"},
        "resource": {"id": "r", "type": "file"}, "type": event_type,
        "user": {"id": "u"}, "workspace": {"id": "w"}
    })
}

fn action_body(event_type: &str) -> serde_json::Value {
    json!({
        "account_id": "a", "action_id": "b", "interaction_id": "c",
        "project": {"id": "p"}, "resource": {"id": "r", "type": "file"},
        "type": event_type, "user": {"id": "u-42"}, "workspace": {"id": "w"}
    })
}

#[test]
fn macros_register_every_handler_with_its_metadata() {
    let handlers = frameio_kit::handler::registered();
    let summary: Vec<(HandlerKind, Vec<String>, String)> = handlers
        .iter()
        .map(|h| (h.kind(), h.events().to_vec(), h.function().to_owned()))
        .collect();
    let expect = |kind, events: &[&str], function: &str| {
        (
            kind,
            events.iter().map(|e| (*e).to_owned()).collect::<Vec<_>>(),
            function.to_owned(),
        )
    };
    assert_eq!(
        summary,
        vec![
            expect(HandlerKind::Action, &["greet"], "registry::greet"),
            expect(
                HandlerKind::Webhook,
                &["file.created", "file.updated"],
                "registry::on_change"
            ),
            expect(
                HandlerKind::Webhook,
                &["file.deleted"],
                "registry::on_change"
            ),
            expect(HandlerKind::Webhook, &["file.ready"], "registry::on_ready"),
            expect(HandlerKind::Action, &["plain"], "registry::plain"),
        ]
    );
    let greet = handlers
        .iter()
        .find(|h| h.function() == "registry::greet")
        .unwrap();
    assert_eq!(greet.display_name(), Some("Greet"));
    assert_eq!(greet.action_description(), Some("Say hello"));
}

#[tokio::test]
async fn registered_handlers_are_served_with_their_own_secrets() {
    let service = App::from_registry()
        .env_lookup(full_env())
        .state(Greeting("Hello"))
        .build()
        .expect("valid registry");
    assert_eq!(service.handler_count(), 5);

    let cases = [
        ("wh", webhook_body("file.ready"), 200, "OK"),
        ("wh", webhook_body("file.updated"), 200, "OK"),
        ("del", webhook_body("file.deleted"), 200, "OK"),
        // file.deleted has its own secret: the shared one is refused.
        (
            "wh",
            webhook_body("file.deleted"),
            401,
            "Invalid signature.",
        ),
        (
            "greet",
            action_body("greet"),
            200,
            r#"{"title":"Hello","description":"u-42"}"#,
        ),
        ("act", action_body("greet"), 401, "Invalid signature."),
        ("act", action_body("plain"), 200, "OK"),
    ];
    for (secret, body, status, text) in cases {
        let request = SignedRequest::json(secret, &body);
        let reply = service
            .dispatch(request.headers(), request.body().to_vec().into())
            .await;
        assert_eq!(
            (reply.status(), reply.body_text().as_ref()),
            (status, text),
            "{secret} {body}"
        );
    }
}

#[test]
fn start_up_names_every_handler_missing_a_secret_or_state() {
    let err = App::from_registry()
        .env_lookup(env(&[("WEBHOOK_SECRET", "wh")]))
        .build()
        .unwrap_err();
    let text = err.to_string();
    assert!(text.starts_with("frameio-kit cannot start:"), "{text}");
    let missing_secret = |handler: &str, variable: &str| {
        err.problems().iter().any(|p| {
            matches!(p, StartupProblem::MissingSecret { handler: h, reason }
                if h == handler && reason.contains(variable))
        })
    };
    assert!(
        missing_secret("registry::greet", "`GREET_SECRET` is not set"),
        "{text}"
    );
    assert!(
        missing_secret("registry::on_change", "`DELETES_SECRET` is not set"),
        "{text}"
    );
    assert!(
        missing_secret("registry::plain", "CUSTOM_ACTION_SECRET"),
        "{text}"
    );
    assert!(
        err.problems().iter().any(|p| matches!(
            p,
            StartupProblem::Argument {
                handler,
                problem: ArgumentProblem::MissingState { type_name: "registry::Greeting" },
            } if handler == "registry::greet"
        )),
        "{text}"
    );
    assert_eq!(err.problems().len(), 4, "{text}");
    // The message still names the handler and what is missing.
    assert!(
        text.contains(
            "registry::greet takes `State<registry::Greeting>`, but no such state is registered"
        ),
        "{text}"
    );
}

#[tokio::test]
async fn a_macro_handler_can_be_called_directly() {
    let handlers = frameio_kit::handler::registered();
    let greet = handlers
        .iter()
        .find(|h| h.function() == "registry::greet")
        .unwrap();
    let mut data = frameio_kit::handler::AppData::default();
    data.insert(std::sync::Arc::new(Greeting("Hi")));
    let event: ActionEvent = serde_json::from_value(action_body("greet")).unwrap();
    let delivery = Delivery::new(DeliveryEvent::Action(event), Headers::new(), data.into());
    let answer = greet.call(delivery).await.unwrap();
    assert_eq!(answer, Message::new("Hi", "u-42").into());
}
