//! Shared harness of the install tests: MockFrameio (stateful resources), MockIms, and an
//! actix server with the receiver and the install pages mounted side by side, as an app
//! mounts them. (Each test file compiles this module; not every file uses all of it.)
#![allow(dead_code, unreachable_pub)]

use std::sync::{Arc, Mutex};

use frameio_kit::BoxError;
use frameio_kit::actix_web::dev::ServerHandle;
use frameio_kit::actix_web::{App as ActixApp, HttpServer};
use frameio_kit::auth::ImsConfig;
use frameio_kit::client::{Client, RetryPolicy};
use frameio_kit::install::{Branding, FieldValues, Install, InstallConfig, InstallField};
use frameio_kit::manifest::Manifest;
use frameio_kit::prelude::*;
use frameio_kit::store::{EncryptionKey, KeyRing, Store};
use frameio_kit_testing::mock_ims::{CLIENT_ID, CLIENT_SECRET};
use frameio_kit_testing::{MockFrameio, MockIms, SignedRequest};

pub const ACCOUNT: &str = "acc-1";
pub const OTHER_ACCOUNT: &str = "acc-2";
pub const WORKSPACE: &str = "ws-1";
pub const WORKSPACE_2: &str = "ws-2";

#[derive(Debug, serde::Deserialize)]
pub struct Settings {
    pub archive_key: String,
    pub region: Option<String>,
}

pub type Log = Arc<Mutex<Vec<String>>>;

/// The app's handlers; `version` 2 is the "redeployed" app: one more webhook event, one new
/// action, one action gone, one description changed.
pub fn handlers(version: u8, log: &Log) -> Vec<Handler> {
    let hook_log = Arc::clone(log);
    let export_log = Arc::clone(log);
    let on_event = move |event: WebhookEvent| {
        let log = Arc::clone(&hook_log);
        async move {
            log.lock().unwrap().push(format!(
                "webhook {} {}",
                event.event_type(),
                event.workspace_id()
            ));
            Ok::<(), BoxError>(())
        }
    };
    let export = move |event: ActionEvent, config: InstallConfig<Settings>| {
        let log = Arc::clone(&export_log);
        async move {
            log.lock().unwrap().push(format!(
                "export {} key={} region={:?}",
                event.workspace_id(),
                config.archive_key,
                config.region
            ));
            Ok::<Message, BoxError>(Message::new(
                "Exported",
                format!("key {}", config.archive_key),
            ))
        }
    };
    let simple =
        |_event: ActionEvent| async { Ok::<Message, BoxError>(Message::new("OK", "done")) };
    let mut out = Vec::new();
    if version == 1 {
        out.push(Handler::webhook(["file.ready"], on_event));
        out.push(
            Handler::action("acme.export", export)
                .name("Export")
                .description("Send to the archive"),
        );
        out.push(
            Handler::action("acme.old", simple)
                .name("Old")
                .description("Going away"),
        );
        out.push(
            Handler::action("acme.transcribe", simple)
                .name("Transcribe")
                .description("v1"),
        );
    } else {
        out.push(Handler::webhook(
            ["file.ready", "comment.created"],
            on_event,
        ));
        out.push(
            Handler::action("acme.export", export)
                .name("Export")
                .description("Send to the archive"),
        );
        out.push(
            Handler::action("acme.report", simple)
                .name("Report")
                .description("New in v2"),
        );
        out.push(
            Handler::action("acme.transcribe", simple)
                .name("Transcribe")
                .description("v2 — better"),
        );
    }
    out
}

/// Install field values from pairs.
pub fn values(pairs: &[(&str, &str)]) -> FieldValues {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

pub fn keys() -> KeyRing {
    KeyRing::single(EncryptionKey::from_bytes([42; 32]))
}

pub fn fields() -> Vec<InstallField> {
    vec![
        InstallField::password("archive_key", "Archive key")
            .required()
            .description("From your archive's settings"),
        InstallField::select(
            "region",
            "Region",
            [("eu", "Europe"), ("us", "United States")],
        )
        .default_value("eu"),
        InstallField::textarea("notes", "Notes"),
        InstallField::text("label", "Label").description("Shown on exports"),
    ]
}

pub struct Harness {
    pub mock: MockFrameio,
    pub ims: Arc<MockIms>,
    pub store: Arc<dyn Store>,
    pub install: Install,
    pub base: String,
    pub port: u16,
    pub handle: ServerHandle,
    pub log: Log,
    pub http: reqwest::Client,
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

pub struct Options {
    pub version: u8,
    pub allowed: Option<Vec<String>>,
    pub branding: Branding,
    pub public_url: Option<String>,
    pub description: String,
    pub rotation_grace: std::time::Duration,
    pub session_ttl: Option<std::time::Duration>,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            version: 1,
            allowed: None,
            branding: Branding::default(),
            public_url: None,
            description: "Archives finished files.".into(),
            // Old secrets are refused as soon as a rotation ends, unless a test asks for more.
            rotation_grace: std::time::Duration::ZERO,
            session_ttl: None,
        }
    }
}

impl Harness {
    pub async fn start(store: Arc<dyn Store>) -> Self {
        Self::start_with(store, Options::default()).await
    }

    pub async fn start_with(store: Arc<dyn Store>, options: Options) -> Self {
        let mock = MockFrameio::start().await.unwrap();
        let ims = Arc::new(MockIms::start().await.unwrap());
        let issued = Arc::clone(&ims);
        mock.accept_tokens(move |token| issued.is_access_token_valid(token));
        mock.set_me("user-1", "Ada Admin", "ada@example.com");
        mock.add_account(ACCOUNT, "Acme Studios");
        mock.add_account(OTHER_ACCOUNT, "Other Corp");
        mock.add_workspace(ACCOUNT, WORKSPACE, "Marketing");
        mock.add_workspace(ACCOUNT, WORKSPACE_2, "Post-production");
        mock.add_workspace(OTHER_ACCOUNT, "ws-9", "Elsewhere");
        let log: Log = Arc::default();
        // Open the store's connection on the test's runtime, not inside a server worker that a
        // redeploy stops.
        store.get("warm-up").await.expect("the store answers");
        let port = free_port();
        let install = build_install(&mock, &ims, &store, port, &options);
        let handle = start_server(port, install.clone(), handlers(options.version, &log)).await;
        Self {
            install,
            mock,
            ims,
            store,
            base: format!("http://127.0.0.1:{port}"),
            port,
            handle,
            log,
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
        }
    }

    /// Redeploys the app with other handlers (a new manifest) on the same address and store.
    pub async fn redeploy(&mut self, options: Options) {
        self.handle.stop(true).await;
        self.install = build_install(&self.mock, &self.ims, &self.store, self.port, &options);
        self.handle = start_server(
            self.port,
            self.install.clone(),
            handlers(options.version, &self.log),
        )
        .await;
    }

    /// A client with the mock's own token (an admin acting through the API).
    pub fn client(&self) -> Client {
        Client::builder()
            .token(self.mock.token())
            .base_url(self.mock.base_url())
            .retry_policy(RetryPolicy::none())
            .build()
            .unwrap()
    }

    pub async fn post_delivery(&self, secret: &str, body: Vec<u8>) -> (u16, String) {
        let request = SignedRequest::new(secret, body);
        let mut builder = self
            .http
            .post(format!("{}/", self.base))
            .body(request.body().to_vec());
        for (name, value) in request.header_pairs() {
            builder = builder.header(name, value);
        }
        let response = builder.send().await.unwrap();
        let status = response.status().as_u16();
        (status, response.text().await.unwrap())
    }

    /// Posts a `event` webhook for [`ACCOUNT`] and `workspace`, signed with `secret`;
    /// returns the status and body.
    pub async fn webhook(&self, secret: &str, event: &str, workspace: &str) -> (u16, String) {
        self.post_delivery(secret, self.webhook_body(event, ACCOUNT, workspace))
            .await
    }

    /// Posts a `event` action click for [`ACCOUNT`] and `workspace`, signed with `secret`;
    /// returns the status and body.
    pub async fn action(&self, secret: &str, event: &str, workspace: &str) -> (u16, String) {
        self.post_delivery(secret, self.action_body(event, ACCOUNT, workspace))
            .await
    }

    pub fn webhook_body(&self, event: &str, account: &str, workspace: &str) -> Vec<u8> {
        frameio_kit_testing::webhook_event(event)
            .account_id(account)
            .workspace_id(workspace)
            .body()
    }

    pub fn action_body(&self, event: &str, account: &str, workspace: &str) -> Vec<u8> {
        frameio_kit_testing::action_event(event)
            .account_id(account)
            .workspace_id(workspace)
            .body()
    }

    /// The secret Frame.io signs this workspace's webhook deliveries with (the oldest
    /// webhook still there).
    pub fn webhook_secret(&self, workspace: &str) -> String {
        self.mock
            .webhooks()
            .into_iter()
            .find(|w| w.workspace_id == workspace)
            .expect("a webhook in the workspace")
            .secret
    }

    pub fn action_secret(&self, workspace: &str, event: &str) -> String {
        self.mock
            .actions()
            .into_iter()
            .find(|a| a.workspace_id == workspace && a.event == event)
            .expect("an action in the workspace")
            .secret
    }
}

fn build_install(
    mock: &MockFrameio,
    ims: &MockIms,
    store: &Arc<dyn Store>,
    port: u16,
    options: &Options,
) -> Install {
    let log = Log::default();
    let manifest = Manifest::from_handlers(&handlers(options.version, &log));
    let public = options
        .public_url
        .clone()
        .unwrap_or_else(|| format!("http://127.0.0.1:{port}"));
    let mut builder = Install::builder("Acme Archive", public)
        .description(options.description.clone())
        .manifest(manifest)
        .store(Arc::clone(store), keys())
        .api_base_url(mock.base_url())
        .branding(options.branding.clone())
        .rotation_grace(options.rotation_grace)
        .ims(
            ImsConfig::new(CLIENT_ID)
                .with_client_secret(CLIENT_SECRET)
                .with_ims_base_url(ims.base_url()),
        );
    for field in fields() {
        builder = builder.field(field);
    }
    if let Some(ttl) = options.session_ttl {
        builder = builder.session_ttl(ttl);
    }
    if let Some(allowed) = &options.allowed {
        builder = builder.allowed_accounts(allowed.clone());
    }
    builder.build().unwrap()
}

async fn start_server(port: u16, install: Install, handlers: Vec<Handler>) -> ServerHandle {
    let service = install
        .register(App::new().handlers(handlers))
        .build()
        .expect("the app builds");
    let mut attempts = 0;
    let server = loop {
        let service = service.clone();
        let install = install.clone();
        let bound = HttpServer::new(move || {
            let (service, install) = (service.clone(), install.clone());
            ActixApp::new().configure(move |cfg| {
                service.configure(cfg);
                install.configure(cfg);
            })
        })
        .workers(2)
        .disable_signals()
        .shutdown_timeout(1)
        .bind(("127.0.0.1", port));
        match bound {
            Ok(server) => break server.run(),
            // A redeploy rebinds the port the previous server just released.
            Err(_) if attempts < 50 => {
                attempts += 1;
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            }
            Err(err) => panic!("cannot bind 127.0.0.1:{port}: {err}"),
        }
    };
    let handle = server.handle();
    tokio::spawn(server);
    handle
}

/// Every store engine to run against: SQLite always (a fresh file), Redis and PostgreSQL when
/// `FRAMEIO_KIT_TEST_REDIS_URL` / `FRAMEIO_KIT_TEST_POSTGRES_URL` are set (each run under a
/// unique key prefix; nothing is flushed).
pub fn stores() -> Vec<(&'static str, Arc<dyn Store>)> {
    let unique = uuid::Uuid::new_v4().simple().to_string();
    let mut out: Vec<(&'static str, Arc<dyn Store>)> = Vec::new();
    let path = std::env::temp_dir().join(format!("frameio-kit-install-{unique}.sqlite"));
    out.push((
        "sqlite",
        Arc::new(frameio_kit::store::SqliteStore::new(path)),
    ));
    #[cfg(feature = "redis")]
    if let Ok(url) = std::env::var("FRAMEIO_KIT_TEST_REDIS_URL") {
        let store = frameio_kit::store::RedisStore::new(&url)
            .expect("redis url")
            .with_prefix(format!("fk-install-test-{unique}:"));
        out.push(("redis", Arc::new(store)));
    }
    #[cfg(feature = "postgres")]
    if let Ok(url) = std::env::var("FRAMEIO_KIT_TEST_POSTGRES_URL") {
        let store = frameio_kit::store::PostgresStore::new(&url)
            .expect("postgres url")
            .with_prefix(format!("fk-install-test-{unique}:"));
        out.push(("postgres", Arc::new(store)));
    }
    out
}
