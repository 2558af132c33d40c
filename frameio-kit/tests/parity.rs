//! One handler path: `#[webhook]` / `#[action]` build their handlers with the public builder, so
//! a handler registered by the macro and the same handler built by hand are indistinguishable.
//! Each case builds one both ways and compares every observable property: kind, events,
//! function name, display name, description, secret source, resource types, sign-in, the
//! outcome of the start-up argument checks, and the answer to the same delivery.

use frameio_kit::prelude::*;
use frameio_kit::{ResourceType, SecretResolver, Secrets, StartupProblem};
use frameio_kit_testing::SignedRequest;
use serde_json::json;

struct Greeting(&'static str);

#[action(
    event = "greet",
    name = "Greet",
    description = "Say hello",
    secret_env = "GREET_SECRET",
    resource_types = ["file", "version_stack"],
    require_user_auth
)]
async fn greet(event: ActionEvent, greeting: State<Greeting>) -> Result<Message> {
    Ok(Message::new(greeting.0, event.user_id().to_owned()))
}

#[action(event = "plain")]
async fn plain(_event: ActionEvent) {}

async fn per_account(event: &WebhookEvent) -> Result<String> {
    Ok(format!("secret-of-{}", event.account_id()))
}

#[webhook("file.ready", "file.created", secret = per_account)]
async fn on_file(_event: WebhookEvent, _headers: Headers) -> Result<()> {
    Ok(())
}

/// What a user writes by hand for `secret = per_account`.
struct PerAccount;

impl SecretResolver for PerAccount {
    async fn webhook_secret(&self, event: &WebhookEvent) -> Result<Secrets, BoxError> {
        per_account(event).await.map(Into::into)
    }

    async fn action_secret(&self, _event: &ActionEvent) -> Result<Secrets, BoxError> {
        Ok(Secrets::none())
    }
}

fn registered(function: &str) -> Handler {
    frameio_kit::handler::registered()
        .into_iter()
        .find(|h| h.function() == function)
        .unwrap_or_else(|| panic!("{function} is registered"))
}

/// Every property a handler exposes, plus its `Debug` (which shows the secret source without
/// the secret).
fn properties(handler: &Handler) -> String {
    format!(
        "kind={} events={:?} function={} name={:?} description={:?} resource_types={:?} \
         sign_in={} debug={handler:?}",
        handler.kind(),
        handler.events(),
        handler.function(),
        handler.display_name(),
        handler.action_description(),
        handler.allowed_resource_types(),
        handler.requires_user_auth(),
    )
}

/// The start-up problems of an app holding only this handler, with no environment.
fn start_up(handler: Handler) -> Vec<StartupProblem> {
    match App::new().env_lookup(|_| None).handler(handler).build() {
        Ok(_) => Vec::new(),
        Err(err) => err.problems().to_vec(),
    }
}

#[test]
fn an_action_with_every_option_is_the_same_both_ways() {
    let by_macro = registered("parity::greet");
    let by_hand = Handler::action("greet", greet)
        .name("Greet")
        .description("Say hello")
        .secret_env("GREET_SECRET")
        .resource_types(["file", "version_stack"])
        .require_user_auth()
        .function_name("parity::greet");
    assert_eq!(properties(&by_macro), properties(&by_hand));
    assert_eq!(
        by_macro.allowed_resource_types(),
        Some(&[ResourceType::File, ResourceType::VersionStack][..])
    );
    assert!(properties(&by_macro).contains("Env(\"GREET_SECRET\")"));

    let problems = start_up(by_macro);
    assert_eq!(problems, start_up(by_hand));
    let handler = || "parity::greet".to_owned();
    assert_eq!(
        problems,
        [
            StartupProblem::Argument {
                handler: handler(),
                problem: ArgumentProblem::MissingState {
                    type_name: "parity::Greeting"
                },
            },
            StartupProblem::MissingSecret {
                handler: handler(),
                reason: "has no secret: environment variable `GREET_SECRET` is not set".into(),
            },
            StartupProblem::SignInNotConfigured { handler: handler() },
        ]
    );
}

#[test]
fn an_action_without_name_or_description_has_none_either_way() {
    let by_macro = registered("parity::plain");
    let by_hand = Handler::action("plain", plain).function_name("parity::plain");
    assert_eq!(properties(&by_macro), properties(&by_hand));
    assert_eq!(by_macro.display_name(), None);
    assert_eq!(by_macro.action_description(), None);
    // A name is optional for both: with a secret, both start.
    for handler in [by_macro, by_hand] {
        let app = App::new().handler(handler.secret("s"));
        assert!(app.build().is_ok());
    }
}

#[tokio::test]
async fn a_webhook_with_a_resolver_is_the_same_both_ways() {
    let by_macro = registered("parity::on_file");
    let by_hand = Handler::webhook(["file.ready", "file.created"], on_file)
        .secret_resolver(PerAccount)
        .function_name("parity::on_file");
    assert_eq!(properties(&by_macro), properties(&by_hand));
    assert_eq!(start_up(by_macro.clone()), start_up(by_hand.clone()));
    assert_eq!(start_up(by_macro.clone()), []);

    let body = json!({
        "account": {"id": "acc-1"}, "project": {"id": "p"},
        "resource": {"id": "r", "type": "file"}, "type": "file.created",
        "user": {"id": "u"}, "workspace": {"id": "w"}
    });
    for handler in [by_macro, by_hand] {
        let service = App::new().handler(handler).build().unwrap();
        let mut answers = Vec::new();
        for secret in ["secret-of-acc-1", "wrong"] {
            let request = SignedRequest::json(secret, &body);
            let reply = service
                .dispatch(request.headers(), request.body().to_vec().into())
                .await;
            answers.push((reply.status(), reply.body_text().into_owned()));
        }
        assert_eq!(
            answers,
            [
                (200, "OK".to_owned()),
                (401, "Invalid signature.".to_owned())
            ]
        );
    }
}

#[test]
fn argument_checks_are_typed_and_custom_messages_still_work() {
    /// An extractor whose start-up check answers with a plain sentence.
    struct Pool;

    impl FromDelivery for Pool {
        async fn from_delivery(_delivery: &Delivery) -> Result<Self, BoxError> {
            Ok(Pool)
        }

        fn check(_cx: &StartupContext<'_>) -> Result<(), ArgumentProblem> {
            Err("needs a database pool".into())
        }
    }

    async fn uses_pool(_event: WebhookEvent, _pool: Pool) -> Result<()> {
        Ok(())
    }

    let problems = start_up(
        Handler::webhook(["file.ready"], uses_pool)
            .secret("s")
            .function_name("app::pool"),
    );
    assert_eq!(
        problems,
        [StartupProblem::Argument {
            handler: "app::pool".into(),
            problem: ArgumentProblem::Custom("needs a database pool".into()),
        }]
    );
    assert_eq!(problems[0].handler(), Some("app::pool"));
    assert_eq!(problems[0].to_string(), "app::pool needs a database pool");

    // The event of the other kind.
    let problems = start_up(
        Handler::action("a", |_event: WebhookEvent| async { Ok::<_, BoxError>(()) })
            .secret("s")
            .function_name("app::mixed"),
    );
    assert_eq!(
        problems,
        [StartupProblem::Argument {
            handler: "app::mixed".into(),
            problem: ArgumentProblem::WrongEvent {
                takes: HandlerKind::Webhook
            },
        }]
    );
}

#[webhook("file.ready", background, retries = 3, dedup = "10m")]
async fn transcode(_event: WebhookEvent) -> Result<()> {
    Ok(())
}

#[action(event = "transcribe", deadline = "4.5s", dedup = "90s")]
async fn transcribe(_event: ActionEvent) -> Result<Message> {
    Ok(Message::new("Done", "transcribed"))
}

#[action(event = "summarize", interim = "Summarizing…")]
async fn summarize(_event: ActionEvent) -> Result<Message> {
    Ok(Message::new("Done", "summarized"))
}

#[action(
    event = "caption",
    deadline = "3s",
    interim = ("Captioning", "The captions follow as a comment.")
)]
async fn caption(_event: ActionEvent) -> Result<Message> {
    Ok(Message::new("Done", "captioned"))
}

#[webhook("file.deleted", no_deadline)]
async fn cleanup(_event: WebhookEvent) -> Result<()> {
    Ok(())
}

#[test]
fn delivery_switches_are_the_same_both_ways() {
    use frameio_kit::delivery::{HandlerOptions, RetryPolicy};
    use std::time::Duration;

    let by_macro = registered("parity::transcode");
    let by_hand = Handler::webhook(["file.ready"], transcode)
        .background()
        .retries(3)
        .dedup(Duration::from_secs(600))
        .function_name("parity::transcode");
    assert_eq!(properties(&by_macro), properties(&by_hand));
    assert_eq!(by_macro.options(), by_hand.options());
    assert_eq!(
        by_macro.options(),
        &HandlerOptions::new()
            .retries(RetryPolicy::attempts(3))
            .dedup(Duration::from_secs(600))
    );
    assert!(by_macro.is_background());

    let by_macro = registered("parity::transcribe");
    let by_hand = Handler::action("transcribe", transcribe)
        .deadline(Duration::from_millis(4500))
        .dedup(Duration::from_secs(90))
        .function_name("parity::transcribe");
    assert_eq!(properties(&by_macro), properties(&by_hand));
    assert_eq!(by_macro.options(), by_hand.options());
    assert_eq!(
        by_macro.options().effective_deadline(HandlerKind::Action),
        Some(Duration::from_millis(4500))
    );

    let by_macro = registered("parity::summarize");
    let default_description = frameio_kit::delivery::default_interim_message().description;
    let by_hand = Handler::action("summarize", summarize)
        .interim(Message::new("Summarizing…", default_description.clone()))
        .function_name("parity::summarize");
    assert_eq!(properties(&by_macro), properties(&by_hand));
    assert_eq!(by_macro.options(), by_hand.options());
    assert_eq!(
        by_macro.options().interim,
        Some(Message::new("Summarizing…", default_description))
    );

    let by_macro = registered("parity::caption");
    let by_hand = Handler::action("caption", caption)
        .deadline(Duration::from_secs(3))
        .interim(Message::new(
            "Captioning",
            "The captions follow as a comment.",
        ))
        .function_name("parity::caption");
    assert_eq!(properties(&by_macro), properties(&by_hand));
    assert_eq!(by_macro.options(), by_hand.options());

    let by_macro = registered("parity::cleanup");
    let by_hand = Handler::webhook(["file.deleted"], cleanup)
        .no_deadline()
        .function_name("parity::cleanup");
    assert_eq!(properties(&by_macro), properties(&by_hand));
    assert_eq!(
        by_macro.options().effective_deadline(HandlerKind::Webhook),
        None
    );
}

#[test]
fn delivery_switches_that_cannot_apply_stop_the_start() {
    use std::time::Duration;
    async fn act(_event: ActionEvent) -> Result<Message> {
        Ok(Message::new("a", "b"))
    }
    async fn hook(_event: WebhookEvent) -> Result<()> {
        Ok(())
    }
    let problems = start_up(
        Handler::action("a", act)
            .secret("s")
            .background()
            .function_name("app::act"),
    );
    assert_eq!(
        problems,
        [StartupProblem::BackgroundOnAction {
            handler: "app::act".into()
        }]
    );
    let problems = start_up(
        Handler::webhook(["file.ready"], hook)
            .secret("s")
            .deadline(Duration::ZERO)
            .dedup(Duration::ZERO)
            .interim(Message::new("a", "b"))
            .function_name("app::hook"),
    );
    assert_eq!(problems.len(), 3, "{problems:?}");
    assert!(problems.iter().all(|p| matches!(
        p,
        StartupProblem::InvalidDeliveryOption { handler, .. } if handler == "app::hook"
    )));
    let problems = start_up(
        Handler::action("a", act)
            .secret("s")
            .no_deadline()
            .interim(Message::new("Working", "never shown"))
            .function_name("app::never_interim"),
    );
    assert!(
        matches!(
            problems.as_slice(),
            [StartupProblem::InvalidDeliveryOption { handler, reason }]
                if handler == "app::never_interim" && reason.contains("no_deadline")
        ),
        "{problems:?}"
    );
    let problems = start_up(
        Handler::webhook(["file.ready"], hook)
            .secret("s")
            .deadline(Duration::from_secs(1))
            .background()
            .function_name("app::both"),
    );
    assert!(
        problems.contains(&StartupProblem::BackgroundWithDeadline {
            handler: "app::both".into(),
            option: "deadline"
        }),
        "{problems:?}"
    );
}
