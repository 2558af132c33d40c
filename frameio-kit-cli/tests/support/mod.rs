//! Shared test helpers: the quickstart app served in-process, a stateful stand-in for
//! Frame.io's webhooks and custom actions, and a runner for the `frameio-kit` binary.
#![allow(dead_code, unreachable_pub)]

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::Output;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use frameio_kit::actix_web::{self, HttpRequest, HttpResponse, web};
use frameio_kit::{App, Manifest};
use frameio_kit_testing::{TEST_SECRET, test_env};
use serde_json::{Value, json};

pub mod browser;

// Links the quickstart's #[webhook]/#[action] registrations.
use quickstart as _;

pub const SECRET: &str = TEST_SECRET;

/// The `frameio-kit` binary.
pub fn bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_frameio-kit"))
}

/// Runs the CLI with `args` and extra `env`, without blocking the runtime.
pub async fn cli(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut command = tokio::process::Command::new(bin());
    command
        .args(args)
        .env_remove("FRAMEIO_TOKEN")
        .env_remove("WEBHOOK_SECRET")
        .env_remove("CUSTOM_ACTION_SECRET")
        .env_remove("FRAMEIO_IMS_CLIENT_ID")
        .env_remove("FRAMEIO_IMS_CLIENT_SECRET")
        .env_remove("FRAMEIO_API_URL")
        .env_remove("FRAMEIO_IMS_URL")
        .kill_on_drop(true);
    for (k, v) in env {
        command.env(k, v);
    }
    command.output().await.expect("the frameio-kit binary runs")
}

pub fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

pub fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// Asserts that a run exited with `code` and printed `needle` (on stdout or stderr); returns
/// stdout.
#[track_caller]
pub fn expect_exit(out: &Output, code: i32, needle: &str) -> String {
    let (out_text, err_text) = (stdout(out), stderr(out));
    assert_eq!(out.status.code(), Some(code), "{out_text}{err_text}");
    assert!(
        out_text.contains(needle) || err_text.contains(needle),
        "{needle:?} not printed:\n{out_text}{err_text}"
    );
    out_text
}

/// `frameio-kit install VERB` against a [`FakeFrameio`] for account `acc-1`, workspace `ws-1`.
pub struct InstallCli<'a> {
    pub fake: &'a FakeFrameio,
    pub manifest: &'a str,
    pub env: Vec<(&'a str, &'a str)>,
}

impl InstallCli<'_> {
    /// Runs `install VERB` for the receiver `url`, with `extra` arguments.
    pub async fn run(&self, verb: &str, url: &str, extra: &[&str]) -> Output {
        let mut args = vec![
            "install",
            verb,
            "--account",
            "acc-1",
            "--workspace",
            "ws-1",
            "--url",
            url,
            "--manifest",
            self.manifest,
            "--api-url",
            &self.fake.base_url,
        ];
        args.extend(extra);
        cli(&args, &self.env).await
    }

    /// `check` exits 2 and prints `needle`; returns stdout.
    pub async fn drifted(&self, url: &str, needle: &str) -> String {
        expect_exit(&self.run("check", url, &[]).await, 2, needle)
    }

    /// `apply` succeeds, then `check` finds no drift.
    pub async fn repair(&self, url: &str) {
        let out = self.run("apply", url, &[]).await;
        assert!(out.status.success(), "{}", stderr(&out));
        expect_exit(&self.run("check", url, &[]).await, 0, "No drift.");
    }
}

/// A fresh temporary directory.
pub fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "frameio-kit-cli-{name}-{}",
        uuid::Uuid::new_v4().simple()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The quickstart example (every handler of `examples/quickstart`) served on a free port,
/// with the opt-in manifest development route mounted next to the receiver.
pub struct RunningApp {
    pub url: String,
    pub manifest: Manifest,
    /// The built app, e.g. to start its background workers.
    pub service: frameio_kit::Service,
    handle: actix_web::dev::ServerHandle,
}

impl RunningApp {
    pub async fn start() -> Self {
        Self::start_with(App::from_registry().env_lookup(test_env)).await
    }

    /// Serves `app` (already configured).
    pub async fn start_with(app: App) -> Self {
        let manifest = app.manifest();
        let service = app.build().expect("the quickstart app builds");
        let dev = manifest.clone();
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let served = service.clone();
        let server = actix_web::HttpServer::new(move || {
            let service = served.clone();
            let dev = dev.clone();
            actix_web::App::new().configure(move |cfg| {
                service.configure(cfg);
                dev.configure_dev_route(cfg);
            })
        })
        .workers(2)
        .disable_signals()
        .listen(listener)
        .unwrap()
        .run();
        let handle = server.handle();
        tokio::spawn(server);
        Self {
            url: format!("http://{addr}/"),
            manifest,
            service,
            handle,
        }
    }

    /// Starts the simulator for this app (with `extra` arguments) and opens it in `browser`;
    /// returns the simulator process.
    pub async fn simulate(
        &self,
        browser: &browser::Browser,
        extra: &[&str],
    ) -> tokio::process::Child {
        let manifest = self.manifest_file();
        let (child, page) =
            start_simulator_with(&self.url, manifest.to_str().unwrap(), extra).await;
        browser.open(&page).await;
        child
    }

    /// Writes the manifest to a file and returns its path.
    pub fn manifest_file(&self) -> PathBuf {
        let path = temp_dir("manifest").join("manifest.json");
        std::fs::write(&path, self.manifest.to_json_pretty()).unwrap();
        path
    }
}

impl Drop for RunningApp {
    fn drop(&mut self) {
        drop(self.handle.stop(false));
    }
}

/// A stateful stand-in for Frame.io's webhook and custom action endpoints: create returns a
/// fresh secret, list/update/delete work on what exists, 404 after delete. Every request
/// must carry a bearer token the `accept` check approves.
pub struct FakeFrameio {
    pub base_url: String,
    state: Arc<Mutex<State>>,
    handle: actix_web::dev::ServerHandle,
}

#[derive(Default)]
struct State {
    webhooks: BTreeMap<String, Value>,
    actions: BTreeMap<String, Value>,
    counter: u64,
    /// (method, path) of every request.
    requests: Vec<(String, String)>,
}

type Accept = Arc<dyn Fn(&str) -> bool + Send + Sync>;

struct Ctx {
    state: Arc<Mutex<State>>,
    accept: Accept,
}

impl FakeFrameio {
    pub async fn start(accept: impl Fn(&str) -> bool + Send + Sync + 'static) -> Self {
        let state = Arc::new(Mutex::new(State::default()));
        let ctx = web::Data::new(Ctx {
            state: Arc::clone(&state),
            accept: Arc::new(accept),
        });
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let server = actix_web::HttpServer::new(move || {
            actix_web::App::new()
                .app_data(ctx.clone())
                .default_service(web::to(route))
        })
        .workers(1)
        .disable_signals()
        .listen(listener)
        .unwrap()
        .run();
        let handle = server.handle();
        tokio::spawn(server);
        Self {
            base_url: format!("http://{addr}"),
            state,
            handle,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub fn webhooks(&self) -> Vec<Value> {
        self.lock().webhooks.values().cloned().collect()
    }

    pub fn actions(&self) -> Vec<Value> {
        self.lock().actions.values().cloned().collect()
    }

    /// Requests that changed something (POST, PATCH, DELETE).
    pub fn mutations(&self) -> Vec<(String, String)> {
        self.lock()
            .requests
            .iter()
            .filter(|(m, _)| m != "GET")
            .cloned()
            .collect()
    }

    pub fn clear_requests(&self) {
        self.lock().requests.clear();
    }

    /// Someone deleted every webhook in the Frame.io UI.
    pub fn delete_all_webhooks(&self) {
        self.lock().webhooks.clear();
    }

    /// Someone renamed the action with this event key.
    pub fn rename_action(&self, event: &str, name: &str) {
        for action in self.lock().actions.values_mut() {
            if action["event"] == event {
                action["name"] = json!(name);
            }
        }
    }

    /// Someone pointed every webhook somewhere else.
    pub fn set_webhook_url(&self, url: &str) {
        for webhook in self.lock().webhooks.values_mut() {
            webhook["url"] = json!(url);
        }
    }
}

impl Drop for FakeFrameio {
    fn drop(&mut self) {
        drop(self.handle.stop(false));
    }
}

fn error(status: u16, detail: &str) -> HttpResponse {
    HttpResponse::build(actix_web::http::StatusCode::from_u16(status).unwrap())
        .json(json!({"errors": [{"title": "Error", "detail": detail}]}))
}

async fn route(ctx: web::Data<Ctx>, req: HttpRequest, body: web::Bytes) -> HttpResponse {
    let method = req.method().as_str().to_owned();
    let path = req.path().to_owned();
    let mut state = ctx.state.lock().unwrap_or_else(PoisonError::into_inner);
    state.requests.push((method.clone(), path.clone()));
    let token = req
        .headers()
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or("");
    if !(ctx.accept)(token) {
        return error(401, "invalid token");
    }
    let parts: Vec<&str> = path.trim_matches('/').split('/').collect();
    let data = || -> Option<Value> {
        serde_json::from_slice::<Value>(&body)
            .ok()
            .and_then(|v| v.get("data").cloned())
    };
    // /v4/accounts/{a}/workspaces/{w}/{webhooks|actions}
    if let [
        "v4",
        "accounts",
        _a,
        "workspaces",
        w,
        kind @ ("webhooks" | "actions"),
    ] = parts.as_slice()
    {
        let (w, kind) = ((*w).to_owned(), *kind);
        return match method.as_str() {
            "GET" => {
                let map = if kind == "webhooks" {
                    &state.webhooks
                } else {
                    &state.actions
                };
                let items: Vec<Value> = map
                    .values()
                    .filter(|v| v["workspace_id"] == w.as_str())
                    .map(|v| {
                        let mut v = v.clone();
                        v.as_object_mut().unwrap().remove("secret");
                        v
                    })
                    .collect();
                HttpResponse::Ok().json(json!({"data": items, "links": {"next": null}}))
            }
            "POST" => {
                let Some(mut data) = data() else {
                    return error(422, "body must be {\"data\": …}");
                };
                state.counter += 1;
                let id = format!("{}-{}", &kind[..kind.len() - 1], state.counter);
                let secret = uuid::Uuid::new_v4().simple().to_string();
                let object = data.as_object_mut().unwrap();
                object.insert("id".into(), json!(id));
                object.insert("workspace_id".into(), json!(w));
                object.insert("active".into(), json!(true));
                object.insert("secret".into(), json!(secret));
                if kind == "webhooks" {
                    state.webhooks.insert(id, data.clone());
                } else {
                    state.actions.insert(id, data.clone());
                }
                HttpResponse::Created().json(json!({"data": data}))
            }
            _ => error(405, "method not allowed"),
        };
    }
    // /v4/accounts/{a}/{webhooks|actions}/{id}
    if let ["v4", "accounts", _a, kind @ ("webhooks" | "actions"), id] = parts.as_slice() {
        let (kind, id) = (*kind, (*id).to_owned());
        let map = if kind == "webhooks" {
            &mut state.webhooks
        } else {
            &mut state.actions
        };
        return match method.as_str() {
            "GET" => match map.get(&id) {
                Some(v) => HttpResponse::Ok().json(json!({"data": v})),
                None => error(404, "not found"),
            },
            "PATCH" => {
                let Some(data) = data() else {
                    return error(422, "body must be {\"data\": …}");
                };
                match map.get_mut(&id) {
                    Some(v) => {
                        for (k, value) in data.as_object().unwrap() {
                            v[k] = value.clone();
                        }
                        let mut shown = v.clone();
                        shown.as_object_mut().unwrap().remove("secret");
                        HttpResponse::Ok().json(json!({"data": shown}))
                    }
                    None => error(404, "not found"),
                }
            }
            "DELETE" => match map.remove(&id) {
                Some(_) => HttpResponse::NoContent().finish(),
                None => error(404, "not found"),
            },
            _ => error(405, "method not allowed"),
        };
    }
    error(404, "no such route")
}

/// Starts `frameio-kit simulate` and returns the child and the page's URL.
pub async fn start_simulator(app_url: &str, manifest: &str) -> (tokio::process::Child, String) {
    start_simulator_with(app_url, manifest, &[]).await
}

/// [`start_simulator`] with more arguments.
pub async fn start_simulator_with(
    app_url: &str,
    manifest: &str,
    extra: &[&str],
) -> (tokio::process::Child, String) {
    use tokio::io::AsyncBufReadExt as _;
    let mut child = tokio::process::Command::new(bin())
        .args([
            "simulate",
            app_url,
            "--manifest",
            manifest,
            "--port",
            "0",
            "--secret",
            SECRET,
        ])
        .args(extra)
        .stdout(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut lines = tokio::io::BufReader::new(stdout).lines();
    let first = tokio::time::timeout(Duration::from_secs(30), lines.next_line())
        .await
        .expect("the simulator starts")
        .unwrap()
        .unwrap();
    // Keep reading so the simulator never writes to a closed pipe.
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    let url = first.rsplit(" on ").next().unwrap().trim().to_owned();
    assert!(url.starts_with("http://127.0.0.1:"), "{first}");
    (child, url)
}
