//! Every row of the wire contract's receiver table that the core implements, over real HTTP.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use frameio_kit::prelude::*;
use frameio_kit::{ConfigurationError, RunningServer};
use frameio_kit_testing::SignedRequest;
use serde_json::{Value, json};

const WEBHOOK_SECRET: &str = "webhook-secret";
const ACTION_SECRET: &str = "action-secret";
const TEXT: &str = "text/plain; charset=utf-8";

fn webhook_body(event_type: &str) -> Value {
    json!({
        "account": {"id": "acc"}, "project": {"id": "prj"},
        "resource": {"id": "file-1", "type": "file"}, "type": event_type,
        "user": {"id": "usr"}, "workspace": {"id": "wsp"}
    })
}

fn action_body(event_type: &str, data: Option<Value>) -> Value {
    let mut body = json!({
        "account_id": "acc", "action_id": "act", "interaction_id": "int-1",
        "project": {"id": "prj"}, "resource": {"id": "file-1", "type": "file"},
        "type": event_type, "user": {"id": "usr"}, "workspace": {"id": "wsp"}
    });
    if let Some(data) = data {
        body["data"] = data;
    }
    body
}

#[derive(Default)]
struct Calls {
    count: AtomicUsize,
}

async fn on_ready(event: WebhookEvent, calls: State<Calls>) -> Result<()> {
    assert_eq!(event.resource_id(), "file-1");
    assert!(event.timestamp() > 0, "timestamp comes from the header");
    calls.count.fetch_add(1, Ordering::SeqCst);
    Ok(())
}

async fn on_comment(event: WebhookEvent) -> Result<()> {
    assert_eq!(
        *event.resource_type(),
        frameio_kit::ResourceType::Other("comment".into())
    );
    Ok(())
}

async fn failing(_event: WebhookEvent) -> Result<()> {
    Err("database is down: password=hunter2".into())
}

async fn misconfigured(_event: WebhookEvent) -> Result<()> {
    Err(ConfigurationError::new("BUCKET is not set").into())
}

async fn anyhow_misconfigured(_event: WebhookEvent) -> anyhow::Result<()> {
    Err(anyhow::Error::new(ConfigurationError::new(
        "wrapped by anyhow",
    )))
}

async fn panicking(_event: WebhookEvent) -> Result<()> {
    panic!("handler bug");
}

async fn greet(event: ActionEvent) -> Result<Message> {
    Ok(Message::new("Hello", format!("Hi {}", event.user_id())))
}

async fn two_step(event: ActionEvent) -> Result<ActionResponse> {
    if event.is_form_submit() {
        #[derive(serde::Deserialize)]
        struct Submitted {
            title: String,
            notify: bool,
        }
        let submitted: Submitted = event.form()?;
        return Ok(Message::new(
            "Saved",
            format!("{} (notify: {})", submitted.title, submitted.notify),
        )
        .into());
    }
    Ok(Form::new("Details", "Fill this in")
        .field(TextField::new("Title", "title").value("clip.mp4"))
        .field(CheckboxField::new("Notify", "notify").value(false))
        .into())
}

async fn silent(_event: ActionEvent) -> Result<()> {
    Ok(())
}

async fn empty_form(_event: ActionEvent) -> Result<Form> {
    Ok(Form::new("Nothing", "to fill"))
}

async fn slow(_event: WebhookEvent) -> Result<()> {
    tokio::time::sleep(Duration::from_millis(400)).await;
    Ok(())
}

struct TestServer {
    server: Option<RunningServer>,
    url: String,
    base: String,
    client: reqwest::Client,
    calls: Arc<Calls>,
}

impl TestServer {
    async fn start() -> Self {
        Self::start_with(|app| app).await
    }

    async fn start_with(configure: impl FnOnce(App) -> App) -> Self {
        let calls = Arc::new(Calls::default());
        let app = App::new()
            .state_arc(Arc::clone(&calls))
            .body_limit(64 * 1024)
            .handler(Handler::webhook(["file.ready"], on_ready).secret(WEBHOOK_SECRET))
            .handler(Handler::webhook(["comment.created"], on_comment).secret(WEBHOOK_SECRET))
            .handler(Handler::webhook(["test.fails"], failing).secret(WEBHOOK_SECRET))
            .handler(Handler::webhook(["test.config"], misconfigured).secret(WEBHOOK_SECRET))
            .handler(
                Handler::webhook(["test.anyhow_config"], anyhow_misconfigured)
                    .secret(WEBHOOK_SECRET),
            )
            .handler(Handler::webhook(["test.panics"], panicking).secret(WEBHOOK_SECRET))
            .handler(Handler::webhook(["test.slow"], slow).secret(WEBHOOK_SECRET))
            .handler(Handler::action("greet", greet).secret(ACTION_SECRET))
            .handler(Handler::action("two_step", two_step).secret(ACTION_SECRET))
            .handler(Handler::action("silent", silent).secret(ACTION_SECRET))
            .handler(Handler::action("empty_form", empty_form).secret(ACTION_SECRET));
        let service = configure(app).build().expect("valid app");
        let server = service.start(("127.0.0.1", 0)).expect("bind");
        let url = server.url();
        let base = format!("http://{}", server.local_addr());
        Self {
            server: Some(server),
            url,
            base,
            client: reqwest::Client::new(),
            calls,
        }
    }

    async fn send(&self, request: &SignedRequest) -> (u16, String, String) {
        let mut builder = self.client.post(&self.url).body(request.body().to_vec());
        for (name, value) in request.header_pairs() {
            builder = builder.header(name, value);
        }
        read(builder.send().await.expect("request")).await
    }

    async fn send_raw(&self, body: &str, headers: &[(&str, &str)]) -> (u16, String, String) {
        let mut builder = self.client.post(&self.url).body(body.to_owned());
        for (name, value) in headers {
            builder = builder.header(*name, *value);
        }
        read(builder.send().await.expect("request")).await
    }

    async fn stop(mut self) {
        if let Some(server) = self.server.take() {
            server.stop(true).await.expect("stop");
        }
    }
}

async fn read(response: reqwest::Response) -> (u16, String, String) {
    let status = response.status().as_u16();
    let content_type = response
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    (status, content_type, response.text().await.unwrap())
}

fn webhook(event_type: &str) -> SignedRequest {
    SignedRequest::json(WEBHOOK_SECRET, &webhook_body(event_type))
}

fn action(event_type: &str, data: Option<Value>) -> SignedRequest {
    SignedRequest::json(ACTION_SECRET, &action_body(event_type, data))
}

#[tokio::test]
async fn row0_only_post_is_allowed() {
    let server = TestServer::start().await;
    for method in [
        reqwest::Method::GET,
        reqwest::Method::PUT,
        reqwest::Method::DELETE,
    ] {
        let response = server
            .client
            .request(method.clone(), &server.url)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), 405, "{method}");
        assert_eq!(response.headers()["allow"], "POST");
    }
    server.stop().await;
}

#[tokio::test]
async fn row1_bodies_over_the_limit_get_413() {
    let server = TestServer::start().await;
    let big = "x".repeat(64 * 1024 + 1);
    let (status, content_type, body) = server.send_raw(&big, &[]).await;
    assert_eq!(
        (status, content_type.as_str(), body.as_str()),
        (413, TEXT, "Payload too large.")
    );

    // Chunked (no Content-Length): still refused once the limit is crossed.
    let chunks: Vec<Result<Vec<u8>, std::io::Error>> =
        (0..65).map(|_| Ok(vec![b' '; 1024])).collect();
    let response = server
        .client
        .post(&server.url)
        .body(reqwest::Body::wrap_stream(futures_util::stream::iter(
            chunks,
        )))
        .send()
        .await
        .unwrap();
    let (status, _, body) = read(response).await;
    assert_eq!((status, body.as_str()), (413, "Payload too large."));

    // Exactly at the limit is fine (it is then judged as JSON).
    let at_limit = " ".repeat(64 * 1024);
    let (status, _, body) = server.send_raw(&at_limit, &[]).await;
    assert_eq!(status, 400);
    assert!(body.starts_with("Invalid JSON: "), "{body}");
    server.stop().await;
}

#[tokio::test]
async fn row1_bodies_arriving_in_several_chunks_are_gathered_before_verifying() {
    let server = TestServer::start().await;
    // A signed body well past one read buffer (padded with JSON whitespace), sent with a
    // Content-Length, and the same body streamed in uneven chunks without one.
    let mut body = serde_json::to_vec(&webhook_body("file.ready")).unwrap();
    body.splice(1..1, std::iter::repeat_n(b' ', 48 * 1024));
    let request = SignedRequest::new(WEBHOOK_SECRET, body.clone());
    assert_eq!(
        server.send(&request).await,
        (200, TEXT.to_owned(), "OK".to_owned())
    );

    let chunks: Vec<Result<Vec<u8>, std::io::Error>> = body
        .chunks(7 * 1024 + 3)
        .map(|chunk| Ok(chunk.to_vec()))
        .collect();
    let mut builder = server
        .client
        .post(&server.url)
        .body(reqwest::Body::wrap_stream(futures_util::stream::iter(
            chunks,
        )));
    // Signed again (another timestamp): the same signed request would be a replay (row 7a).
    let request = SignedRequest::new(WEBHOOK_SECRET, body.clone())
        .timestamp(frameio_kit_testing::signing::now() - 1);
    for (name, value) in request.header_pairs() {
        builder = builder.header(name, value);
    }
    let answer = read(builder.send().await.unwrap()).await;
    assert_eq!(answer, (200, TEXT.to_owned(), "OK".to_owned()));
    assert_eq!(server.calls.count.load(Ordering::SeqCst), 2);
    server.stop().await;
}

#[tokio::test]
async fn row2_body_must_be_an_object_with_a_type() {
    let server = TestServer::start().await;
    let (status, content_type, body) = server.send_raw("{not json", &[]).await;
    assert_eq!((status, content_type.as_str()), (400, TEXT));
    assert!(body.starts_with("Invalid JSON: "), "{body}");
    assert!(
        body.contains("line 1 column"),
        "parser message is included: {body}"
    );

    for not_object in ["[1,2]", "\"file.ready\"", "42", "null"] {
        let (status, content_type, body) = server.send_raw(not_object, &[]).await;
        assert_eq!(
            (status, content_type.as_str(), body.as_str()),
            (400, TEXT, "Payload must be a JSON object"),
            "{not_object}"
        );
    }
    for no_type in [
        r#"{}"#,
        r#"{"type":""}"#,
        r#"{"type":5}"#,
        r#"{"type":null}"#,
    ] {
        let (status, _, body) = server.send_raw(no_type, &[]).await;
        assert_eq!(
            (status, body.as_str()),
            (400, "Payload missing 'type' field"),
            "{no_type}"
        );
    }
    server.stop().await;
}

#[tokio::test]
async fn row3_timestamp_header_must_be_an_integer() {
    let server = TestServer::start().await;
    let body = webhook_body("file.ready").to_string();
    let (status, content_type, text) = server.send_raw(&body, &[]).await;
    assert_eq!(
        (status, content_type.as_str(), text.as_str()),
        (400, TEXT, "Missing X-Frameio-Request-Timestamp header")
    );
    for bad in ["soon", "12.5", "", "1e9"] {
        let request = webhook("file.ready").raw_timestamp(bad);
        let (status, _, text) = server.send(&request).await;
        assert_eq!(
            (status, text.as_str()),
            (400, "Invalid X-Frameio-Request-Timestamp header format"),
            "{bad:?}"
        );
    }
    server.stop().await;
}

#[tokio::test]
async fn row4_unknown_event_types_get_404() {
    let server = TestServer::start().await;
    let (status, content_type, body) = server.send(&webhook("project.deleted")).await;
    assert_eq!(
        (status, content_type.as_str(), body.as_str()),
        (
            404,
            TEXT,
            "No handler registered for event type 'project.deleted'."
        )
    );
    // Routing comes before the signature check.
    let (status, _, _) = server
        .send(&webhook("project.deleted").wrong_secret())
        .await;
    assert_eq!(status, 404);
    server.stop().await;
}

#[tokio::test]
async fn row5_payloads_that_do_not_fit_the_model_get_422() {
    let server = TestServer::start().await;
    let mut body = webhook_body("file.ready");
    body.as_object_mut().unwrap().remove("resource");
    let (status, content_type, text) = server
        .send(&SignedRequest::json(WEBHOOK_SECRET, &body))
        .await;
    assert_eq!(
        (status, content_type.as_str(), text.as_str()),
        (422, TEXT, "Payload validation error.")
    );
    // An action payload sent to an action event without its ids.
    let mut body = action_body("greet", None);
    body.as_object_mut().unwrap().remove("interaction_id");
    let (status, _, _) = server
        .send(&SignedRequest::json(ACTION_SECRET, &body))
        .await;
    assert_eq!(status, 422);
    // Validation comes before the signature check.
    let mut body = webhook_body("file.ready");
    body["resource"] = json!("not an object");
    let (status, _, _) = server
        .send(&SignedRequest::json(WEBHOOK_SECRET, &body).wrong_secret())
        .await;
    assert_eq!(status, 422);
    server.stop().await;
}

#[tokio::test]
async fn row7_bad_signatures_get_401() {
    let server = TestServer::start().await;
    let good = webhook("file.ready");
    let cases = [
        ("wrong secret", good.clone().wrong_secret()),
        ("tampered body", good.clone().tampered()),
        ("stale", good.clone().stale()),
        ("future", good.clone().future()),
        ("zero timestamp", good.clone().timestamp(0)),
        ("garbage signature", good.clone().signature("v0=nope")),
        (
            "action secret on a webhook",
            SignedRequest::json(ACTION_SECRET, &webhook_body("file.ready")),
        ),
    ];
    for (name, request) in cases {
        let (status, content_type, body) = server.send(&request).await;
        assert_eq!(
            (status, content_type.as_str(), body.as_str()),
            (401, TEXT, "Invalid signature."),
            "{name}"
        );
    }
    // Missing signature header.
    let body = webhook_body("file.ready").to_string();
    let ts = frameio_kit_testing::signing::now().to_string();
    let (status, _, text) = server
        .send_raw(&body, &[("x-frameio-request-timestamp", ts.as_str())])
        .await;
    assert_eq!((status, text.as_str()), (401, "Invalid signature."));
    assert_eq!(
        server.calls.count.load(Ordering::SeqCst),
        0,
        "no handler ran"
    );
    server.stop().await;
}

#[tokio::test]
async fn row10_handler_failures_map_to_500_or_503_without_leaking() {
    let server = TestServer::start().await;
    let (status, content_type, body) = server.send(&webhook("test.fails")).await;
    assert_eq!(
        (status, content_type.as_str(), body.as_str()),
        (500, TEXT, "Internal Server Error")
    );
    assert!(!body.contains("hunter2"));
    let (status, content_type, body) = server.send(&webhook("test.config")).await;
    assert_eq!(
        (status, content_type.as_str(), body.as_str()),
        (503, TEXT, "Configuration error.")
    );
    let (status, _, body) = server.send(&webhook("test.anyhow_config")).await;
    assert_eq!((status, body.as_str()), (503, "Configuration error."));
    // An action answering a Form that cannot be sent is a server error too.
    let (status, _, body) = server.send(&action("empty_form", None)).await;
    assert_eq!((status, body.as_str()), (500, "Internal Server Error"));
    server.stop().await;
}

#[tokio::test]
async fn row10_a_panicking_handler_costs_one_500_not_the_server() {
    let server = TestServer::start().await;
    for _ in 0..3 {
        let (status, _, body) = server.send(&webhook("test.panics")).await;
        assert_eq!((status, body.as_str()), (500, "Internal Server Error"));
    }
    let (status, _, body) = server.send(&webhook("file.ready")).await;
    assert_eq!((status, body.as_str()), (200, "OK"));
    server.stop().await;
}

#[tokio::test]
async fn row11_answers() {
    let server = TestServer::start().await;
    // Webhook: OK, and unknown keys plus unknown resource types are accepted.
    let (status, content_type, body) = server.send(&webhook("file.ready")).await;
    assert_eq!(
        (status, content_type.as_str(), body.as_str()),
        (200, TEXT, "OK")
    );
    assert_eq!(server.calls.count.load(Ordering::SeqCst), 1);
    let mut comment = webhook_body("comment.created");
    comment["resource"]["type"] = json!("comment");
    comment["brand_new_field"] = json!({"nested": [1, 2]});
    let (status, _, body) = server
        .send(&SignedRequest::json(WEBHOOK_SECRET, &comment))
        .await;
    assert_eq!((status, body.as_str()), (200, "OK"));

    // Action returning a Message.
    let (status, content_type, body) = server.send(&action("greet", None)).await;
    assert_eq!(
        (status, content_type.as_str(), body.as_str()),
        (
            200,
            "application/json",
            r#"{"title":"Hello","description":"Hi usr"}"#
        )
    );

    // Two-step action: a Form, then the Message built from the submitted values.
    let (status, content_type, body) = server.send(&action("two_step", None)).await;
    assert_eq!((status, content_type.as_str()), (200, "application/json"));
    assert_eq!(
        body,
        concat!(
            r#"{"title":"Details","description":"Fill this in","fields":["#,
            r#"{"label":"Title","name":"title","type":"text","value":"clip.mp4"},"#,
            r#"{"label":"Notify","name":"notify","type":"checkbox","value":false}]}"#
        )
    );
    let submit = action(
        "two_step",
        Some(json!({"title": "final.mov", "notify": "on"})),
    );
    let (status, _, body) = server.send(&submit).await;
    assert_eq!(
        (status, body.as_str()),
        (
            200,
            r#"{"title":"Saved","description":"final.mov (notify: true)"}"#
        )
    );

    // Action returning nothing.
    let (status, content_type, body) = server.send(&action("silent", None)).await;
    assert_eq!(
        (status, content_type.as_str(), body.as_str()),
        (200, TEXT, "OK")
    );
    server.stop().await;
}

#[tokio::test]
async fn health_check_answers_ok() {
    let server = TestServer::start().await;
    let response = server
        .client
        .get(format!("{}/health", server.base))
        .send()
        .await
        .unwrap();
    let (status, content_type, body) = read(response).await;
    assert_eq!(
        (status, content_type.as_str(), body.as_str()),
        (200, TEXT, "OK")
    );
    server.stop().await;
}

#[tokio::test]
async fn custom_path_and_tolerance() {
    let server = TestServer::start_with(|app| {
        app.path("/hooks/frameio")
            .tolerance(Duration::from_secs(30))
    })
    .await;
    assert!(server.url.ends_with("/hooks/frameio"));
    let ok = webhook("file.ready");
    assert_eq!(server.send(&ok).await.0, 200);
    let a_minute_old = webhook("file.ready").timestamp(frameio_kit_testing::signing::now() - 60);
    assert_eq!(server.send(&a_minute_old).await.0, 401);
    let root = format!("{}/", server.base);
    let response = server.client.post(root).body("{}").send().await.unwrap();
    assert_eq!(
        response.status().as_u16(),
        404,
        "nothing is mounted at / any more"
    );
    server.stop().await;
}

#[tokio::test]
async fn several_secrets_are_accepted_while_rotating() {
    let rotating = App::new().handler(
        Handler::webhook(["file.ready"], |_e: WebhookEvent| async {
            Ok::<_, BoxErr>(())
        })
        .secret("old")
        .secret("new"),
    );
    let service = rotating.build().unwrap();
    for secret in ["old", "new"] {
        let request = SignedRequest::json(secret, &webhook_body("file.ready"));
        let reply = service
            .dispatch(request.headers(), request.body().to_vec().into())
            .await;
        assert_eq!(reply.status(), 200, "{secret}");
    }
    let request = SignedRequest::json("other", &webhook_body("file.ready"));
    let reply = service
        .dispatch(request.headers(), request.body().to_vec().into())
        .await;
    assert_eq!(reply.status(), 401);
}

type BoxErr = frameio_kit::BoxError;

#[tokio::test]
async fn graceful_stop_finishes_in_flight_deliveries() {
    let server = TestServer::start().await;
    let url = server.url.clone();
    let client = server.client.clone();
    let request = webhook("test.slow");
    let in_flight = tokio::spawn(async move {
        let mut builder = client.post(&url).body(request.body().to_vec());
        for (name, value) in request.header_pairs() {
            builder = builder.header(name, value);
        }
        read(builder.send().await.expect("in-flight request completes")).await
    });
    tokio::time::sleep(Duration::from_millis(100)).await;
    server.stop().await;
    let (status, _, body) = in_flight.await.unwrap();
    assert_eq!((status, body.as_str()), (200, "OK"));
}

#[actix_web::test]
async fn mounts_into_an_existing_actix_web_app() {
    use frameio_kit::actix_web::{self, test, web};

    let service = App::new()
        .path("/frameio")
        .handler(Handler::webhook(["file.ready"], on_ready).secret(WEBHOOK_SECRET))
        .state(Calls::default())
        .build()
        .unwrap();
    let app = test::init_service(
        actix_web::App::new()
            .configure(|cfg| service.configure(cfg))
            .route("/", web::get().to(|| async { "my own page" })),
    )
    .await;

    let own = test::call_and_read_body(&app, test::TestRequest::get().uri("/").to_request()).await;
    assert_eq!(own, "my own page");

    let request = webhook("file.ready");
    let mut delivery = test::TestRequest::post()
        .uri("/frameio")
        .set_payload(request.body().to_vec());
    for (name, value) in request.header_pairs() {
        delivery = delivery.insert_header((name, value));
    }
    let response = test::call_service(&app, delivery.to_request()).await;
    assert_eq!(response.status().as_u16(), 200);
    assert_eq!(test::read_body(response).await, "OK");

    let health =
        test::call_service(&app, test::TestRequest::get().uri("/health").to_request()).await;
    assert_eq!(health.status().as_u16(), 200);
}

/// The server `Service::start` runs hands deliveries from actix-http straight to the
/// pipeline; mounted with `Service::configure`, they go through actix-web's router. Both must
/// answer every request alike.
#[actix_web::test]
async fn own_server_and_mounted_service_answer_alike() {
    use frameio_kit::actix_web::{self, test};

    let service = App::new()
        .state(Calls::default())
        .without_replay_ledger()
        .handler(Handler::webhook(["file.ready"], on_ready).secret(WEBHOOK_SECRET))
        .handler(Handler::action("greet", greet).secret(ACTION_SECRET))
        .build()
        .unwrap();
    let server = service.start(("127.0.0.1", 0)).expect("bind");
    let base = format!("http://{}", server.local_addr());
    let mounted =
        test::init_service(actix_web::App::new().configure(|cfg| service.configure(cfg))).await;
    let client = reqwest::Client::new();

    let signed = |request: SignedRequest| {
        let headers: Vec<(String, String)> = request
            .header_pairs()
            .into_iter()
            .map(|(n, v)| (n.to_string(), v.to_string()))
            .collect();
        (request.body().to_vec(), headers)
    };
    let forged = {
        let (body, mut headers) = signed(webhook("file.ready"));
        for (name, value) in &mut headers {
            if name.eq_ignore_ascii_case("x-frameio-signature") {
                *value = format!("v0={}", "0".repeat(64));
            }
        }
        (body, headers)
    };
    let nothing = || (Vec::new(), Vec::new());
    let cases = [
        ("POST", "/", signed(webhook("file.ready"))),
        ("POST", "/?from=query", signed(webhook("file.ready"))),
        ("POST", "/", signed(action("greet", None))),
        ("POST", "/", signed(webhook("no.such"))),
        ("POST", "/", forged),
        ("POST", "/", (b"not json".to_vec(), Vec::new())),
        ("GET", "/", nothing()),
        ("GET", "/health", nothing()),
        ("POST", "/elsewhere", nothing()),
    ];
    for (method, path, (body, headers)) in cases {
        let method_of =
            frameio_kit::actix_web::http::Method::from_bytes(method.as_bytes()).unwrap();
        let mut own = client
            .request(
                reqwest::Method::from_bytes(method.as_bytes()).unwrap(),
                format!("{base}{path}"),
            )
            .body(body.clone());
        let mut there = test::TestRequest::default()
            .method(method_of)
            .uri(path)
            .set_payload(body.clone());
        for (name, value) in &headers {
            own = own.header(name, value);
            there = there.insert_header((name.as_str(), value.as_str()));
        }
        let own = own.send().await.unwrap();
        let own_allow = own
            .headers()
            .get("allow")
            .map(|v| v.to_str().unwrap().to_owned());
        let own = read(own).await;
        let there = test::call_service(&mounted, there.to_request()).await;
        let there_allow = there
            .headers()
            .get("allow")
            .map(|v| v.to_str().unwrap().to_owned());
        let there_status = there.status().as_u16();
        let there_type = there
            .headers()
            .get("content-type")
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default();
        let there_body = String::from_utf8(test::read_body(there).await.to_vec()).unwrap();
        assert_eq!(
            own,
            (there_status, there_type, there_body),
            "{method} {path}"
        );
        assert_eq!(own_allow, there_allow, "{method} {path}");
    }
    server.stop(true).await.unwrap();
}
