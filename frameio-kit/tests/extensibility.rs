//! Middleware, secret resolvers, resource-type filters and extractors, over real HTTP.

use std::sync::{Arc, Mutex};

use frameio_kit::handler::HandlerResult;
use frameio_kit::prelude::*;
use frameio_kit::{BoxError, ResourceType, SecretResolver, Secrets, Service, StartupProblem};
use frameio_kit_testing::SignedRequest;
use serde_json::{Value, json};

type Log = Arc<Mutex<Vec<String>>>;

fn webhook_body(account: &str) -> Value {
    json!({
        "account": {"id": account}, "project": {"id": "p"},
        "resource": {"id": "r", "type": "file"}, "type": "file.ready",
        "user": {"id": "u"}, "workspace": {"id": "w"}
    })
}

fn action_body(event_type: &str, resource_type: &str) -> Value {
    json!({
        "account_id": "acc-1", "action_id": "b", "interaction_id": "c",
        "project": {"id": "p"}, "resource": {"id": "r", "type": resource_type},
        "type": event_type, "user": {"id": "u"}, "workspace": {"id": "w"}
    })
}

/// Builds the app, serves it on a free port, sends each request, stops it.
async fn over_http(service: Service, requests: &[SignedRequest]) -> Vec<(u16, String)> {
    let server = service.start(("127.0.0.1", 0)).expect("bind");
    let client = reqwest::Client::new();
    let mut replies = Vec::new();
    for request in requests {
        let mut builder = client.post(server.url()).body(request.body().to_vec());
        for (name, value) in request.header_pairs() {
            builder = builder.header(name, value);
        }
        let response = builder.send().await.expect("request");
        let status = response.status().as_u16();
        replies.push((status, response.text().await.unwrap()));
    }
    server.stop(true).await.unwrap();
    replies
}

async fn one(service: Service, request: SignedRequest) -> (u16, String) {
    over_http(service, &[request]).await.remove(0)
}

// ---------------------------------------------------------------- middleware

struct Recorder {
    name: &'static str,
    log: Log,
}

impl Recorder {
    fn push(&self, what: &str) {
        self.log
            .lock()
            .unwrap()
            .push(format!("{}.{what}", self.name));
    }
}

impl Middleware for Recorder {
    async fn handle(&self, delivery: Delivery, next: Next<'_>) -> HandlerResult {
        self.push("handle");
        let result = next.run(delivery).await;
        self.push("handle-after");
        result
    }

    async fn webhook(&self, delivery: Delivery, next: Next<'_>) -> HandlerResult {
        self.push("webhook");
        next.run(delivery).await
    }

    async fn action(&self, delivery: Delivery, next: Next<'_>) -> HandlerResult {
        self.push("action");
        next.run(delivery).await
    }
}

fn recording_app(log: &Log) -> App {
    let handler_log = Arc::clone(log);
    let action_log = Arc::clone(log);
    App::new()
        .middleware(Recorder {
            name: "A",
            log: Arc::clone(log),
        })
        .middleware(Recorder {
            name: "B",
            log: Arc::clone(log),
        })
        .handler(
            Handler::webhook(["file.ready"], move |_e: WebhookEvent| {
                let log = Arc::clone(&handler_log);
                async move {
                    log.lock().unwrap().push("handler".into());
                    Ok::<_, BoxError>(())
                }
            })
            .secret("wh"),
        )
        .handler(
            Handler::action("greet", move |_e: ActionEvent| {
                let log = Arc::clone(&action_log);
                async move {
                    log.lock().unwrap().push("handler".into());
                    Ok::<_, BoxError>(Message::new("Hi", "there"))
                }
            })
            .secret("act"),
        )
}

#[tokio::test]
async fn middleware_runs_first_added_outermost_with_kind_hooks_inside() {
    let log = Log::default();
    let replies = over_http(
        recording_app(&log).build().unwrap(),
        &[
            SignedRequest::json("wh", &webhook_body("acc-1")),
            SignedRequest::json("act", &action_body("greet", "file")),
        ],
    )
    .await;
    assert_eq!(replies[0], (200, "OK".into()));
    assert_eq!(
        replies[1],
        (200, r#"{"title":"Hi","description":"there"}"#.into())
    );
    let expected = [
        "A.handle",
        "A.webhook",
        "B.handle",
        "B.webhook",
        "handler",
        "B.handle-after",
        "A.handle-after",
        "A.handle",
        "A.action",
        "B.handle",
        "B.action",
        "handler",
        "B.handle-after",
        "A.handle-after",
    ];
    assert_eq!(*log.lock().unwrap(), expected);
}

#[tokio::test]
async fn middleware_never_sees_unverified_deliveries() {
    let log = Log::default();
    let (status, _) = one(
        recording_app(&log).build().unwrap(),
        SignedRequest::json("wh", &webhook_body("acc-1")).wrong_secret(),
    )
    .await;
    assert_eq!(status, 401);
    assert!(log.lock().unwrap().is_empty());
}

/// Answers actions of unknown accounts itself; lets the rest through and tags the answer.
struct AllowList {
    accounts: Vec<&'static str>,
}

impl Middleware for AllowList {
    async fn action(&self, delivery: Delivery, next: Next<'_>) -> HandlerResult {
        if !self.accounts.contains(&delivery.account_id()) {
            return Ok(Message::new("Not available", "Your account cannot use this.").into());
        }
        match next.run(delivery).await? {
            ActionResponse::Message(message) => {
                Ok(Message::new(format!("[ok] {}", message.title), message.description).into())
            }
            other => Ok(other),
        }
    }
}

fn guarded_app(accounts: Vec<&'static str>, ran: &Arc<Mutex<u32>>) -> Service {
    let ran = Arc::clone(ran);
    App::new()
        .middleware(AllowList { accounts })
        .handler(
            Handler::action("greet", move |_e: ActionEvent| {
                let ran = Arc::clone(&ran);
                async move {
                    *ran.lock().unwrap() += 1;
                    Ok::<_, BoxError>(Message::new("Hi", "there"))
                }
            })
            .secret("act"),
        )
        .build()
        .unwrap()
}

#[tokio::test]
async fn middleware_can_short_circuit_or_replace_the_answer() {
    let ran = Arc::new(Mutex::new(0));
    let request = SignedRequest::json("act", &action_body("greet", "file"));
    let (status, body) = one(guarded_app(vec!["someone-else"], &ran), request.clone()).await;
    assert_eq!(status, 200);
    assert_eq!(
        body,
        r#"{"title":"Not available","description":"Your account cannot use this."}"#
    );
    assert_eq!(*ran.lock().unwrap(), 0, "the handler did not run");

    let (status, body) = one(guarded_app(vec!["acc-1"], &ran), request).await;
    assert_eq!(
        (status, body.as_str()),
        (200, r#"{"title":"[ok] Hi","description":"there"}"#)
    );
    assert_eq!(*ran.lock().unwrap(), 1);
}

struct Failing(&'static str);

impl Middleware for Failing {
    async fn handle(&self, _delivery: Delivery, _next: Next<'_>) -> HandlerResult {
        match self.0 {
            "config" => Err(ConfigurationError::new("metrics endpoint unset").into()),
            "panic" => panic!("middleware bug"),
            _ => Err("middleware failed".into()),
        }
    }
}

#[tokio::test]
async fn middleware_errors_are_handled_like_handler_errors() {
    for (mode, expected) in [
        ("config", (503, "Configuration error.")),
        ("error", (500, "Internal Server Error")),
        ("panic", (500, "Internal Server Error")),
    ] {
        let service = App::new()
            .middleware(Failing(mode))
            .handler(
                Handler::webhook(["file.ready"], |_e: WebhookEvent| async {
                    Ok::<_, BoxError>(())
                })
                .secret("wh"),
            )
            .build()
            .unwrap();
        let (status, body) = one(service, SignedRequest::json("wh", &webhook_body("a"))).await;
        assert_eq!((status, body.as_str()), expected, "{mode}");
    }
}

// ---------------------------------------------------------------- secret resolvers

/// Secrets per account; counts calls; can fail on demand.
struct PerAccount {
    calls: Arc<Mutex<u32>>,
}

impl SecretResolver for PerAccount {
    async fn webhook_secret(&self, event: &WebhookEvent) -> Result<Secrets, BoxError> {
        *self.calls.lock().unwrap() += 1;
        match event.account_id() {
            "acc-1" => Ok("secret-1".into()),
            "rotating" => Ok(vec!["old", "new"].into()),
            "empty" => Ok(Secrets::none()),
            "blank" => Ok("".into()),
            "panics" => panic!("resolver bug"),
            _ => Err("no such account: password=hunter2".into()),
        }
    }

    async fn action_secret(&self, _event: &ActionEvent) -> Result<Secrets, BoxError> {
        Ok("action-secret".into())
    }
}

async fn webhook_ok(_event: WebhookEvent) -> Result<()> {
    Ok(())
}

#[tokio::test]
async fn app_resolver_covers_handlers_without_their_own_secret() {
    let calls = Arc::new(Mutex::new(0));
    let service = App::new()
        // No WEBHOOK_SECRET anywhere: the resolver is the source.
        .env_lookup(|_| None)
        .secret_resolver(PerAccount {
            calls: Arc::clone(&calls),
        })
        .handler(Handler::webhook(["file.ready"], webhook_ok))
        .build()
        .expect("a resolver is a secret source");
    let replies = over_http(
        service,
        &[
            SignedRequest::json("secret-1", &webhook_body("acc-1")),
            SignedRequest::json("other", &webhook_body("acc-1")),
            SignedRequest::json("old", &webhook_body("rotating")),
            SignedRequest::json("new", &webhook_body("rotating")),
            SignedRequest::json("x", &webhook_body("empty")),
            SignedRequest::json("x", &webhook_body("blank")),
            SignedRequest::json("x", &webhook_body("unknown")),
            SignedRequest::json("x", &webhook_body("panics")),
            // The resolver runs before the signature check, so it decides even here.
            SignedRequest::json("x", &webhook_body("unknown")).wrong_secret(),
        ],
    )
    .await;
    let statuses: Vec<u16> = replies.iter().map(|r| r.0).collect();
    assert_eq!(statuses, [200, 401, 200, 200, 503, 503, 503, 503, 503]);
    for (status, body) in &replies {
        if *status == 503 {
            assert_eq!(body, "Configuration error.");
        }
    }
    assert_eq!(*calls.lock().unwrap(), 9);
}

#[tokio::test]
async fn explicit_secrets_and_handler_resolvers_beat_the_app_resolver() {
    struct Fixed(&'static str);
    impl SecretResolver for Fixed {
        async fn webhook_secret(&self, _e: &WebhookEvent) -> Result<Secrets, BoxError> {
            Ok(self.0.into())
        }
        async fn action_secret(&self, _e: &ActionEvent) -> Result<Secrets, BoxError> {
            Ok(self.0.into())
        }
    }
    let service = App::new()
        .secret_resolver(Fixed("app"))
        .handler(Handler::webhook(["a.literal"], webhook_ok).secret("literal"))
        .handler(Handler::webhook(["a.own"], webhook_ok).secret_resolver(Fixed("own")))
        .handler(Handler::webhook(["a.default"], webhook_ok))
        .build()
        .unwrap();
    let send = |event: &str, secret: &str| {
        let mut body = webhook_body("x");
        body["type"] = json!(event);
        SignedRequest::json(secret, &body)
    };
    let replies = over_http(
        service,
        &[
            send("a.literal", "literal"),
            send("a.literal", "app"),
            send("a.own", "own"),
            send("a.own", "app"),
            send("a.default", "app"),
        ],
    )
    .await;
    let statuses: Vec<u16> = replies.iter().map(|r| r.0).collect();
    assert_eq!(statuses, [200, 401, 200, 401, 200]);
}

// ---------------------------------------------------------------- resource filters

#[tokio::test]
async fn filtered_actions_answer_not_available_without_running_anything() {
    let log = Log::default();
    let ran = Arc::new(Mutex::new(0));
    let ran_in = Arc::clone(&ran);
    let service = App::new()
        .middleware(Recorder {
            name: "M",
            log: Arc::clone(&log),
        })
        .handler(
            Handler::action("transcribe", move |_e: ActionEvent| {
                let ran = Arc::clone(&ran_in);
                async move {
                    *ran.lock().unwrap() += 1;
                    Ok::<_, BoxError>(Message::new("Started", "ok"))
                }
            })
            .resource_types([ResourceType::VersionStack, ResourceType::File])
            .secret("act"),
        )
        .build()
        .unwrap();
    let replies = over_http(
        service,
        &[
            SignedRequest::json("act", &action_body("transcribe", "folder")),
            SignedRequest::json("act", &action_body("transcribe", "comment")),
            SignedRequest::json("act", &action_body("transcribe", "folder")).wrong_secret(),
            SignedRequest::json("act", &action_body("transcribe", "version_stack")),
        ],
    )
    .await;
    let not_available = r#"{"title":"Action Not Available","description":"This action is only available for: file, version_stack."}"#;
    assert_eq!(replies[0], (200, not_available.into()));
    assert_eq!(replies[1], (200, not_available.into()));
    assert_eq!(replies[2].0, 401, "the signature is checked first");
    assert_eq!(
        replies[3],
        (200, r#"{"title":"Started","description":"ok"}"#.into())
    );
    assert_eq!(*ran.lock().unwrap(), 1);
    assert_eq!(
        *log.lock().unwrap(),
        ["M.handle", "M.action", "M.handle-after"],
        "middleware ran only for the allowed type"
    );
}

#[test]
fn filter_mistakes_are_start_up_errors() {
    let err = App::new()
        .handler(
            Handler::webhook(["file.ready"], webhook_ok)
                .secret("s")
                .resource_types([ResourceType::File])
                .function_name("app::hook"),
        )
        .handler(
            Handler::action("a", |_e: ActionEvent| async { Ok::<_, BoxError>(()) })
                .secret("s")
                .resource_types(Vec::<ResourceType>::new())
                .function_name("app::act"),
        )
        .handler(
            Handler::action("b", |_e: ActionEvent| async { Ok::<_, BoxError>(()) })
                .secret("s")
                .resource_types(["file", "clip"])
                .function_name("app::clip"),
        )
        .build()
        .unwrap_err();
    assert_eq!(
        err.problems(),
        &[
            StartupProblem::ResourceTypesOnWebhook {
                handler: "app::hook".into()
            },
            StartupProblem::NoResourceTypes {
                handler: "app::act".into()
            },
            StartupProblem::UnknownResourceType {
                handler: "app::clip".into(),
                resource_type: "clip".into()
            },
        ],
        "{err}"
    );
}

// ---------------------------------------------------------------- extractors

/// A user-written extractor: the tenant of the delivery's account.
struct Tenant(String);

impl FromDelivery for Tenant {
    async fn from_delivery(delivery: &Delivery) -> Result<Self, BoxError> {
        match delivery.account_id() {
            "acc-1" => Ok(Tenant("Studio One".into())),
            other => Err(format!("unknown tenant for {other}").into()),
        }
    }
}

use frameio_kit::FromDelivery;

struct Greeting(&'static str);

async fn tenant_greeting(
    event: ActionEvent,
    tenant: Tenant,
    greeting: State<Greeting>,
    headers: Headers,
) -> Result<Message> {
    Ok(Message::new(
        format!("{} {}", greeting.0, tenant.0),
        format!(
            "{} via {}",
            event.user_id(),
            headers.get("user-agent").unwrap_or("?")
        ),
    ))
}

#[tokio::test]
async fn extractors_state_headers_and_custom_types() {
    let service = App::new()
        .state(Greeting("Welcome,"))
        .handler(Handler::action("greet", tenant_greeting).secret("act"))
        .build()
        .unwrap();
    let mut unknown = action_body("greet", "file");
    unknown["account_id"] = json!("acc-9");
    let replies = over_http(
        service,
        &[
            SignedRequest::json("act", &action_body("greet", "file")),
            SignedRequest::json("act", &unknown),
        ],
    )
    .await;
    assert_eq!(
        replies[0],
        (
            200,
            r#"{"title":"Welcome, Studio One","description":"u via Frame.io V4 API"}"#.into()
        )
    );
    assert_eq!(
        replies[1],
        (500, "Internal Server Error".into()),
        "extractor failure"
    );
}
