//! `simulate APP_URL`: a local page that plays Frame.io's side.
//!
//! The page is three static files embedded in the binary (HTML, CSS, JavaScript; no external
//! asset). It talks to this server's small JSON API, which signs and sends deliveries to the
//! app and keeps a log of every exchange. The server binds 127.0.0.1 only and refuses requests
//! whose `Host` is not the address it serves (no DNS rebinding) and API calls that are not
//! JSON (no cross-site form posts).

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{SystemTime, UNIX_EPOCH};

use frameio_kit::Manifest;
use frameio_kit::actix_web::{self, HttpRequest, HttpResponse, web};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use crate::deliver::{Answer, http_client, post_signed};
use crate::fixtures::{self, Ids, WEBHOOK_EVENTS};
use crate::install::SecretEntry;

const INDEX_HTML: &str = include_str!("../assets/simulator.html");
const STYLE_CSS: &str = include_str!("../assets/simulator.css");
const APP_JS: &str = include_str!("../assets/simulator.js");

/// What the simulator needs to run.
#[derive(Clone)]
pub(crate) struct Simulator {
    pub(crate) app_url: String,
    pub(crate) manifest: Manifest,
    pub(crate) webhook_secret: Option<String>,
    pub(crate) action_secret: Option<String>,
    /// Per action event key: the action's id and secret (from `--secrets-file`), used
    /// instead of `action_secret`.
    pub(crate) action_secrets: BTreeMap<String, SecretEntry>,
    pub(crate) ids: Ids,
}

struct Shared {
    sim: Simulator,
    client: reqwest::Client,
    log: Mutex<Vec<LogEntry>>,
    host: String,
}

#[derive(Debug, Clone, Serialize)]
struct LogEntry {
    id: usize,
    at: u64,
    kind: &'static str,
    event_type: String,
    url: String,
    request_body: String,
    status: Option<u16>,
    reason: String,
    latency_ms: f64,
    response_body: String,
    error: Option<String>,
}

/// One asset of the fake project.
#[derive(Debug, Clone, Serialize)]
struct Asset {
    id: &'static str,
    name: &'static str,
    #[serde(rename = "type")]
    kind: &'static str,
    depth: u8,
}

const PROJECT: &[Asset] = &[
    Asset {
        id: "c2d3e4f5-a6b7-4c8d-9e0f-1a2b3c4d5e6f",
        name: "Dailies",
        kind: "folder",
        depth: 0,
    },
    Asset {
        id: "b1c2d3e4-f5a6-4b7c-8d9e-0f1a2b3c4d5e",
        name: "A001_C002.mov",
        kind: "file",
        depth: 1,
    },
    Asset {
        id: "b1c2d3e4-f5a6-4b7c-8d9e-0f1a2b3c4d60",
        name: "A001_C003.mov",
        kind: "file",
        depth: 1,
    },
    Asset {
        id: "c2d3e4f5-a6b7-4c8d-9e0f-1a2b3c4d5e70",
        name: "Edit",
        kind: "folder",
        depth: 0,
    },
    Asset {
        id: "d3e4f5a6-b7c8-4d9e-0f1a-2b3c4d5e6f7a",
        name: "Trailer (2 versions)",
        kind: "version_stack",
        depth: 1,
    },
    Asset {
        id: "b1c2d3e4-f5a6-4b7c-8d9e-0f1a2b3c4d61",
        name: "Trailer_v2.mp4",
        kind: "file",
        depth: 2,
    },
    Asset {
        id: "b1c2d3e4-f5a6-4b7c-8d9e-0f1a2b3c4d62",
        name: "Trailer_v1.mp4",
        kind: "file",
        depth: 2,
    },
    Asset {
        id: "b1c2d3e4-f5a6-4b7c-8d9e-0f1a2b3c4d63",
        name: "poster.png",
        kind: "file",
        depth: 0,
    },
];

#[derive(Debug, Deserialize)]
struct ActionRequest {
    event: String,
    resource_id: String,
    resource_type: String,
    #[serde(default)]
    interaction_id: Option<String>,
    #[serde(default)]
    data: Option<Map<String, Value>>,
}

#[derive(Debug, Deserialize)]
struct WebhookRequest {
    event_type: String,
    #[serde(default)]
    resource_id: Option<String>,
    #[serde(default)]
    resource_type: Option<String>,
}

/// Binds `127.0.0.1:port` and serves until Ctrl-C. `ready` gets the page's URL once bound.
pub(crate) async fn run(sim: Simulator, port: u16, ready: impl FnOnce(&str)) -> anyhow::Result<()> {
    let listener = std::net::TcpListener::bind(("127.0.0.1", port)).map_err(|err| {
        anyhow::anyhow!("cannot listen on 127.0.0.1:{port} ({err}); choose another --port")
    })?;
    let addr = listener.local_addr()?;
    let shared = Arc::new(Shared {
        sim,
        client: http_client()?,
        log: Mutex::new(Vec::new()),
        host: addr.to_string(),
    });
    let data = web::Data::from(shared);
    let server = actix_web::HttpServer::new(move || {
        actix_web::App::new()
            .app_data(data.clone())
            .app_data(web::JsonConfig::default().limit(256 * 1024))
            .route("/", web::get().to(index))
            .route("/simulator.css", web::get().to(style))
            .route("/simulator.js", web::get().to(script))
            .route("/api/state", web::get().to(state))
            .route("/api/log", web::get().to(log))
            .route("/api/action", web::post().to(action))
            .route("/api/webhook", web::post().to(webhook))
    })
    .workers(2)
    .disable_signals()
    .listen(listener)?
    .run();
    let handle = server.handle();
    let task = tokio::spawn(server);
    ready(&format!("http://{addr}/"));
    tokio::select! {
        result = task => { result??; }
        _ = tokio::signal::ctrl_c() => { handle.stop(true).await; }
    }
    Ok(())
}

/// Refuses a request whose Host is not the simulator's own address.
fn host_ok(shared: &Shared, req: &HttpRequest) -> bool {
    let host = req
        .headers()
        .get("host")
        .and_then(|h| h.to_str().ok())
        .unwrap_or("");
    let port = shared.host.rsplit(':').next().unwrap_or("");
    host == shared.host || host == format!("localhost:{port}")
}

fn refused() -> HttpResponse {
    HttpResponse::Forbidden()
        .content_type("text/plain; charset=utf-8")
        .body("The simulator only answers on its own 127.0.0.1 address.")
}

fn static_file(content_type: &str, body: &'static str) -> HttpResponse {
    HttpResponse::Ok()
        .content_type(content_type)
        .insert_header(("cache-control", "no-store"))
        .insert_header((
            "content-security-policy",
            "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; \
             connect-src 'self'; form-action 'none'; frame-ancestors 'none'; base-uri 'none'",
        ))
        .insert_header(("x-content-type-options", "nosniff"))
        .body(body)
}

async fn index(shared: web::Data<Shared>, req: HttpRequest) -> HttpResponse {
    if !host_ok(&shared, &req) {
        return refused();
    }
    static_file("text/html; charset=utf-8", INDEX_HTML)
}

async fn style(shared: web::Data<Shared>, req: HttpRequest) -> HttpResponse {
    if !host_ok(&shared, &req) {
        return refused();
    }
    static_file("text/css; charset=utf-8", STYLE_CSS)
}

async fn script(shared: web::Data<Shared>, req: HttpRequest) -> HttpResponse {
    if !host_ok(&shared, &req) {
        return refused();
    }
    static_file("text/javascript; charset=utf-8", APP_JS)
}

async fn state(shared: web::Data<Shared>, req: HttpRequest) -> HttpResponse {
    if !host_ok(&shared, &req) {
        return refused();
    }
    HttpResponse::Ok().json(json!({
        "app_url": shared.sim.app_url,
        "manifest": shared.sim.manifest,
        "webhook_events": WEBHOOK_EVENTS,
        "project": {"name": "Spring Campaign", "assets": PROJECT},
        "secrets": {
            "webhook": shared.sim.webhook_secret.is_some(),
            "action": shared.sim.action_secret.is_some() || !shared.sim.action_secrets.is_empty(),
        },
    }))
}

async fn log(shared: web::Data<Shared>, req: HttpRequest) -> HttpResponse {
    if !host_ok(&shared, &req) {
        return refused();
    }
    let entries = shared
        .log
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .clone();
    HttpResponse::Ok().json(entries)
}

async fn action(
    shared: web::Data<Shared>,
    req: HttpRequest,
    body: web::Json<ActionRequest>,
) -> HttpResponse {
    if !host_ok(&shared, &req) {
        return refused();
    }
    let body = body.into_inner();
    if shared.sim.manifest.find_action(&body.event).is_none() {
        return bad_request(format!("the app's manifest has no action {:?}", body.event));
    }
    let (action_id, secret) = match (
        shared.sim.action_secrets.get(&body.event),
        &shared.sim.action_secret,
    ) {
        (Some(entry), _) => (entry.id.clone(), entry.secret.clone()),
        (None, Some(secret)) => (fixtures::ACTION_ID.to_owned(), secret.clone()),
        (None, None) => {
            return bad_request(format!(
                "no secret for action {:?}: start the simulator with --secret, \
                 CUSTOM_ACTION_SECRET or a --secrets-file that has it",
                body.event
            ));
        }
    };
    let interaction_id = body
        .interaction_id
        .filter(|id| !id.is_empty())
        .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
    let ids = Ids {
        resource_id: Some(body.resource_id),
        resource_type: Some(body.resource_type),
        ..shared.sim.ids.clone()
    };
    let payload = fixtures::action_body(
        &body.event,
        &ids,
        &action_id,
        &interaction_id,
        body.data.as_ref(),
    );
    let entry = exchange(&shared, "action", &body.event, &secret, &payload).await;
    HttpResponse::Ok().json(json!({"interaction_id": interaction_id, "entry": entry}))
}

async fn webhook(
    shared: web::Data<Shared>,
    req: HttpRequest,
    body: web::Json<WebhookRequest>,
) -> HttpResponse {
    if !host_ok(&shared, &req) {
        return refused();
    }
    let body = body.into_inner();
    if body.event_type.is_empty() {
        return bad_request("no event type".into());
    }
    let Some(secret) = shared.sim.webhook_secret.clone() else {
        return bad_request(
            "no webhook secret: start the simulator with --secret or WEBHOOK_SECRET".into(),
        );
    };
    let ids = Ids {
        resource_id: body.resource_id.filter(|s| !s.is_empty()),
        resource_type: body.resource_type.filter(|s| !s.is_empty()),
        ..shared.sim.ids.clone()
    };
    let payload = fixtures::webhook_body(&body.event_type, &ids);
    let entry = exchange(&shared, "webhook", &body.event_type, &secret, &payload).await;
    HttpResponse::Ok().json(json!({"entry": entry}))
}

fn bad_request(message: String) -> HttpResponse {
    HttpResponse::BadRequest().json(json!({"error": message}))
}

async fn exchange(
    shared: &Shared,
    kind: &'static str,
    event_type: &str,
    secret: &str,
    payload: &Value,
) -> LogEntry {
    let request_body = payload.to_string();
    let result = post_signed(
        &shared.client,
        &shared.sim.app_url,
        secret,
        request_body.clone().into_bytes(),
        &[],
    )
    .await;
    let at = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let mut log = shared.log.lock().unwrap_or_else(PoisonError::into_inner);
    let (status, reason, latency_ms, response_body, error) = match result {
        Ok(Answer {
            status,
            reason,
            latency_ms,
            body,
            ..
        }) => (Some(status), reason, latency_ms, body, None),
        Err(err) => (
            None,
            String::new(),
            0.0,
            String::new(),
            Some(format!("{err:#}")),
        ),
    };
    let entry = LogEntry {
        id: log.len() + 1,
        at,
        kind,
        event_type: event_type.to_owned(),
        url: shared.sim.app_url.clone(),
        request_body,
        status,
        reason,
        latency_ms,
        response_body,
        error,
    };
    log.push(entry.clone());
    entry
}
