//! [`TestApp`]: your handlers in-process (or on a local port), every delivery signed for you.
//!
//! ```
//! use frameio_kit::{App, Handler, WebhookEvent};
//! use frameio_kit_testing::{SignedRequest, TestApp, TestError, block_on, webhook_event};
//!
//! async fn on_ready(_event: WebhookEvent) -> frameio_kit::Result<()> {
//!     Ok(())
//! }
//!
//! # fn main() -> Result<(), TestError> {
//! let app = TestApp::new(App::new().handler(Handler::webhook(["file.ready"], on_ready).secret("s")))
//!     .secret("s");
//! block_on(async {
//!     app.deliver(webhook_event("file.ready")).await?.assert_ok().assert_text("OK");
//!     // Every way a delivery can be refused, with the same helpers:
//!     let forged = app.deliver_with(webhook_event("file.ready"), SignedRequest::wrong_secret).await?;
//!     assert_eq!(forged.status(), 401);
//!     let stale = app.deliver_with(webhook_event("file.ready"), SignedRequest::stale).await?;
//!     assert_eq!(stale.status(), 401);
//!     Ok(())
//! })?
//! # }
//! ```

use std::collections::{BTreeSet, HashMap};
use std::fmt;
use std::future::IntoFuture;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

use frameio_kit::auth::{UserAuth, UserAuthBuilder};
use frameio_kit::client::Client;
use frameio_kit::dispatch::FixedClock;
use frameio_kit::{App, ArgumentProblem, RunningServer, Service, StartupError, StartupProblem};

use crate::error::TestError;
use crate::event::EventBody;
use crate::logs::LogCapture;
use crate::mock_frameio::MockFrameio;
use crate::mock_ims::{CLIENT_ID, CLIENT_SECRET, MockIms};
use crate::reply::TestReply;
use crate::signing::SignedRequest;
use crate::transport::{Shared, Signer, Transport};

/// The secret a [`TestApp::from_registry`] app accepts and signs with, unless changed with
/// [`TestApp::secret`].
pub const TEST_SECRET: &str = "frameio-kit-test-secret";

/// An environment stand-in for [`App::env_lookup`]: every secret variable (`WEBHOOK_SECRET`,
/// `CUSTOM_ACTION_SECRET`, any `secret_env` name) reads as [`TEST_SECRET`]. Server and
/// framework settings read as unset: `HOST`, `PORT`, `FRAMEIO_TOKEN` (configure a client
/// against `MockFrameio` with `App::client` instead) and every `FRAMEIO_KIT_*` variable
/// (encryption keys, store paths).
///
/// ```
/// use frameio_kit::App;
/// use frameio_kit_testing::{TEST_SECRET, test_env};
///
/// let app = App::new().env_lookup(test_env);
/// # let _ = app;
/// assert_eq!(test_env("CUSTOM_ACTION_SECRET").as_deref(), Some(TEST_SECRET));
/// assert_eq!(test_env("PORT"), None);
/// assert_eq!(test_env("FRAMEIO_KIT_ENCRYPTION_KEY"), None);
/// ```
pub fn test_env(name: &str) -> Option<String> {
    env_with_secret(TEST_SECRET)(name)
}

fn env_with_secret(secret: &str) -> impl Fn(&str) -> Option<String> + Send + Sync + 'static {
    let secret = secret.to_owned();
    move |name| match name {
        "HOST" | "PORT" | "FRAMEIO_TOKEN" => None,
        _ if name.starts_with("FRAMEIO_KIT_") => None,
        _ => Some(secret.clone()),
    }
}

/// Runs a future (or a [`HandlerCall`](crate::HandlerCall)) to completion on a new current-thread tokio runtime, so plain `#[test]`
/// functions can use the async helpers.
///
/// Returns the future's output, or [`TestError::Io`] if the runtime cannot be created; a test
/// returning `Result<(), TestError>` can end with `block_on(async { …; Ok(()) })?`.
///
/// ```
/// let answer = frameio_kit_testing::block_on(async { 6 * 7 }).unwrap();
/// assert_eq!(answer, 42);
/// ```
pub fn block_on<F: IntoFuture>(future: F) -> Result<F::Output, TestError> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    Ok(runtime.block_on(future.into_future()))
}

/// Your handlers, ready to receive signed deliveries in a test: in-process through
/// [`Service::dispatch`](frameio_kit::Service::dispatch) (fast, no port), or over real HTTP
/// with [`serve`](Self::serve).
///
/// - [`TestApp::from_registry`] takes every `#[webhook]` / `#[action]` linked into the test
///   binary and answers every secret environment variable with [`TEST_SECRET`], so tests
///   need no environment at all.
/// - [`TestApp::new`] takes an `App` you built; tell it the secret(s) your handlers accept
///   with [`secret`](Self::secret) / [`secret_for`](Self::secret_for) (or give the `App`
///   [`test_env`] as its `env_lookup`, which reads [`TEST_SECRET`], the default).
///
/// - [`frameio`](Self::frameio) and [`ims`](Self::ims) wire the app to a [`MockFrameio`]
///   (handlers taking a `Client`) and a [`MockIms`] (actions marked `require_user_auth`).
///
/// Configure ([`state`](Self::state), [`secret`](Self::secret), [`at`](Self::at),
/// [`frameio`](Self::frameio), [`ims`](Self::ims)…) before the first delivery: the app is
/// built then, and a later change is reported as [`TestError::LateConfiguration`].
///
/// In-process deliveries carry a `Host` header ([`TEST_HOST`], see [`host`](Self::host)),
/// and their replies carry the pipeline's reason for a refusal or a failure
/// ([`TestReply::diagnosis`]), which every error and assertion message shows.
pub struct TestApp {
    setup: Mutex<Option<Setup>>,
    inject_env: bool,
    signer: Signer,
    host: String,
    logs: Arc<OnceLock<LogCapture>>,
    late: Option<&'static str>,
    shared: OnceLock<Result<Arc<Shared>, String>>,
}

/// What the app is built from: the `App`, and the mock servers it is wired to.
struct Setup {
    app: App,
    frameio: Option<FrameioLink>,
    ims: Option<ImsLink>,
}

/// The API client's target: a [`MockFrameio`]'s base URL and token.
struct FrameioLink {
    base_url: String,
    token: String,
}

/// Sign-in against a [`MockIms`], with the test's own changes to the configuration.
struct ImsLink {
    base_url: String,
    change: Box<dyn FnOnce(UserAuthBuilder) -> UserAuthBuilder + Send>,
}

/// The `Host` header in-process deliveries carry unless [`TestApp::host`] says otherwise.
pub const TEST_HOST: &str = "frameio-kit.test";

impl fmt::Debug for TestApp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TestApp")
            .field("from_registry", &self.inject_env)
            .field("signer", &self.signer)
            .field("host", &self.host)
            .field("built", &self.shared.get().is_some())
            .finish_non_exhaustive()
    }
}

impl TestApp {
    /// Every handler registered with `#[webhook]` / `#[action]` in the crates linked into the
    /// test binary (start the test file with `use my_crate as _;`). Every secret variable reads
    /// as the test secret, and every delivery is signed with it.
    pub fn from_registry() -> Self {
        Self::with(App::from_registry(), true)
    }

    /// An app you built (explicit handlers, middleware, settings). It is used as it is:
    /// deliveries are signed with [`TEST_SECRET`] unless you say otherwise with
    /// [`secret`](Self::secret) or [`secret_for`](Self::secret_for).
    pub fn new(app: App) -> Self {
        Self::with(app, false)
    }

    fn with(app: App, inject_env: bool) -> Self {
        Self {
            setup: Mutex::new(Some(Setup {
                app,
                frameio: None,
                ims: None,
            })),
            inject_env,
            signer: Signer {
                default: TEST_SECRET.to_owned(),
                per_event: HashMap::new(),
                at: None,
            },
            host: TEST_HOST.to_owned(),
            logs: Arc::new(OnceLock::new()),
            late: None,
            shared: OnceLock::new(),
        }
    }

    fn configure(mut self, what: &'static str, change: impl FnOnce(&mut Setup)) -> Self {
        let built = self.shared.get().is_some();
        let slot = self.setup.get_mut().unwrap_or_else(PoisonError::into_inner);
        match slot.as_mut() {
            Some(setup) if !built => change(setup),
            _ => self.late = Some(what),
        }
        self
    }

    fn configure_app(self, what: &'static str, change: impl FnOnce(App) -> App) -> Self {
        self.configure(what, |setup| {
            let app = std::mem::take(&mut setup.app);
            setup.app = change(app);
        })
    }

    /// Shares a value with handlers taking `State<T>` (passed to [`App::state`]).
    #[must_use]
    pub fn state<T: Send + Sync + 'static>(self, value: T) -> Self {
        self.configure_app("state", |app| app.state(value))
    }

    /// Shares a value that is already behind an `Arc` (passed to [`App::state_arc`]): keep a
    /// clone to look at what the handlers did.
    #[must_use]
    pub fn state_arc<T: Send + Sync + 'static>(self, value: Arc<T>) -> Self {
        self.configure_app("state_arc", |app| app.state_arc(value))
    }

    /// Changes anything else on the `App` before it is built (path, body limit, tolerance…).
    ///
    /// ```
    /// use frameio_kit_testing::TestApp;
    /// let app = TestApp::from_registry().app(|app| app.body_limit(16 * 1024));
    /// # let _ = app;
    /// ```
    #[must_use]
    pub fn app(self, change: impl FnOnce(App) -> App) -> Self {
        self.configure_app("app", change)
    }

    /// Signs deliveries with this secret. For [`TestApp::from_registry`] it is also the value
    /// of every secret environment variable, so the handlers accept it.
    #[must_use]
    pub fn secret(mut self, secret: impl Into<String>) -> Self {
        if self.shared.get().is_some() {
            self.late = Some("secret");
        }
        self.signer.default = secret.into();
        self
    }

    /// Signs deliveries of this event type with their own secret (for an `App` whose handlers
    /// have different literal secrets).
    #[must_use]
    pub fn secret_for(mut self, event_type: impl Into<String>, secret: impl Into<String>) -> Self {
        if self.shared.get().is_some() {
            self.late = Some("secret_for");
        }
        self.signer
            .per_event
            .insert(event_type.into(), secret.into());
        self
    }

    /// Pins the app's clock to this Unix time and signs every delivery at it: deterministic
    /// tests, and a way to test the ±300 s window.
    #[must_use]
    pub fn at(mut self, unix_seconds: i64) -> Self {
        self.signer.at = Some(unix_seconds);
        self.configure_app("at", |app| app.clock(FixedClock(unix_seconds)))
    }

    /// The `Host` header of in-process deliveries (default [`TEST_HOST`],
    /// `frameio-kit.test`); an empty string sends none. With
    /// [`trust_forwarded_headers`](UserAuthBuilder::trust_forwarded_headers) (what
    /// [`ims`](Self::ims) sets up), sign-in links point at `http://{host}/auth/login?t=…`.
    /// Deliveries over HTTP ([`serve`](Self::serve)) carry the server's real address instead.
    #[must_use]
    pub fn host(mut self, host: impl Into<String>) -> Self {
        if self.shared.get().is_some() {
            self.late = Some("host");
        }
        self.host = host.into();
        self
    }

    /// Wires the app's Frame.io API client to `mock`: handlers taking a
    /// [`Client`] call the mock with its token, and so does
    /// the [`UserClient`](frameio_kit::auth::UserClient) of [`ims`](Self::ims) sign-in.
    /// It replaces any client the `App` was given.
    ///
    /// ```standalone_crate
    /// use frameio_kit::client::Client;
    /// use frameio_kit::client::comments::CreateComment;
    /// use frameio_kit::prelude::*;
    /// use frameio_kit_testing::mock_frameio::Method;
    /// use frameio_kit_testing::{MockFrameio, TestApp, block_on, webhook_event};
    /// use serde_json::json;
    ///
    /// #[webhook("file.ready")]
    /// async fn on_ready(event: WebhookEvent, client: Client) -> Result<()> {
    ///     let comment = CreateComment::text("Ready for review.");
    ///     client.comments().create(event.account_id(), event.resource_id(), &comment).await?;
    ///     Ok(())
    /// }
    ///
    /// block_on(async {
    ///     let frameio = MockFrameio::start().await?;
    ///     let path = "/v4/accounts/acc/files/f-1/comments";
    ///     frameio.on(Method::POST, path).respond_data(201, json!({"id": "c-1"}));
    ///     let app = TestApp::from_registry().frameio(&frameio);
    ///     app.deliver(webhook_event("file.ready").account_id("acc").resource_id("f-1"))
    ///         .await?
    ///         .assert_ok();
    ///     let posted = frameio.requests_to(Method::POST, path);
    ///     assert_eq!(posted[0].json(), Some(json!({"data": {"text": "Ready for review."}})));
    ///     Ok::<_, Box<dyn std::error::Error>>(())
    /// })
    /// .unwrap()
    /// .unwrap();
    /// ```
    #[must_use]
    pub fn frameio(self, mock: &MockFrameio) -> Self {
        let link = FrameioLink {
            base_url: mock.base_url().to_owned(),
            token: mock.token(),
        };
        self.configure("frameio", |setup| setup.frameio = Some(link))
    }

    /// Turns user sign-in on against `mock` (an Adobe IMS stand-in), so actions marked
    /// `require_user_auth` run: the app gets `UserAuth::builder(CLIENT_ID, CLIENT_SECRET)`
    /// with the mock's URL, an in-memory token store,
    /// [`trust_forwarded_headers`](UserAuthBuilder::trust_forwarded_headers) (sign-in links
    /// are built from the [`host`](Self::host) header) and no Frame.io user check; with
    /// [`frameio`](Self::frameio), `UserClient` calls that mock. It replaces any
    /// `App::user_auth` the app was given; change the configuration with
    /// [`ims_with`](Self::ims_with).
    ///
    /// Sign a user in with [`SignInExt::sign_in`](crate::signin::SignInExt::sign_in)
    /// (`app.sign_in(&ims, "user-id")`); until then the action answers the sign-in Form.
    ///
    /// ```standalone_crate
    /// use frameio_kit::auth::UserToken;
    /// use frameio_kit::prelude::*;
    /// use frameio_kit_testing::signin::SignInExt as _;
    /// use frameio_kit_testing::{MockIms, TestApp, action_event, block_on};
    ///
    /// #[action(event = "whoami", name = "Who am I?", require_user_auth)]
    /// async fn whoami(event: ActionEvent, _token: UserToken) -> Result<Message> {
    ///     Ok(Message::new("Hi", event.user_id().to_owned()))
    /// }
    ///
    /// block_on(async {
    ///     let ims = MockIms::start().await?;
    ///     let app = TestApp::from_registry().ims(&ims);
    ///     // Not signed in yet: the sign-in Form, its link on the test host.
    ///     let form = app.deliver(action_event("whoami").user_id("u-1")).await?.form()?;
    ///     let link = form.field("login_url")?.value_str().unwrap_or_default().to_owned();
    ///     assert!(link.starts_with("http://frameio-kit.test/auth/login?t="));
    ///     // Signed in: the handler runs.
    ///     app.sign_in(&ims, "u-1").await?;
    ///     app.deliver(action_event("whoami").user_id("u-1")).await?.assert_message("Hi");
    ///     Ok::<_, Box<dyn std::error::Error>>(())
    /// })
    /// .unwrap()
    /// .unwrap();
    /// ```
    #[must_use]
    pub fn ims(self, mock: &MockIms) -> Self {
        self.ims_with(mock, |builder| builder)
    }

    /// [`ims`](Self::ims), then `change` on the sign-in configuration (scopes, hooks, a
    /// `public_base_url`, a real store…).
    ///
    /// ```
    /// use frameio_kit_testing::{MockIms, TestApp, block_on};
    ///
    /// block_on(async {
    ///     let ims = MockIms::start().await?;
    ///     let app = TestApp::from_registry()
    ///         .ims_with(&ims, |auth| auth.public_base_url("https://hooks.example.com"));
    ///     # let _ = app;
    ///     Ok::<_, std::io::Error>(())
    /// })
    /// .unwrap()
    /// .unwrap();
    /// ```
    #[must_use]
    pub fn ims_with(
        self,
        mock: &MockIms,
        change: impl FnOnce(UserAuthBuilder) -> UserAuthBuilder + Send + 'static,
    ) -> Self {
        let link = ImsLink {
            base_url: mock.base_url().to_owned(),
            change: Box::new(change),
        };
        self.configure("ims", |setup| setup.ims = Some(link))
    }

    /// Starts capturing the log events of this app's in-process deliveries (and of the
    /// forms they answer), and returns the capture to assert on; calling it again returns
    /// the same capture. See [`LogCapture`] for what is captured and why parallel tests do
    /// not see each other's events.
    ///
    /// ```standalone_crate
    /// use frameio_kit::prelude::*;
    /// use frameio_kit_testing::{TestApp, block_on, webhook_event};
    ///
    /// #[webhook("file.ready")]
    /// async fn on_ready(event: WebhookEvent) -> Result<()> {
    ///     tracing::info!(file = event.resource_id(), "transcoding");
    ///     Ok(())
    /// }
    ///
    /// block_on(async {
    ///     let app = TestApp::from_registry();
    ///     let logs = app.capture_logs();
    ///     app.deliver(webhook_event("file.ready").resource_id("f-1")).await?;
    ///     let event = logs.assert_logged("transcoding");
    ///     assert_eq!(event.field("file"), Some(&"f-1".into()));
    ///     Ok::<_, frameio_kit_testing::TestError>(())
    /// })
    /// .unwrap()
    /// .unwrap();
    /// ```
    pub fn capture_logs(&self) -> LogCapture {
        self.logs.get_or_init(LogCapture::new).clone()
    }

    fn shared(&self) -> Result<Arc<Shared>, TestError> {
        if let Some(what) = self.late {
            return Err(TestError::LateConfiguration(what));
        }
        let built = self.shared.get_or_init(|| {
            let setup = self
                .setup
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .take()
                .ok_or_else(|| "the app was already consumed".to_owned())?;
            let app = self.wire(setup)?;
            let service = app.build().map_err(|err| with_test_hints(&err))?;
            Ok(Arc::new(Shared {
                service,
                signer: self.signer.clone(),
                host: self.host.clone(),
                logs: Arc::clone(&self.logs),
            }))
        });
        built.clone().map_err(TestError::Startup)
    }

    /// The `App` with the test environment and the mock servers wired in.
    fn wire(&self, setup: Setup) -> Result<App, String> {
        let Setup {
            mut app,
            frameio,
            ims,
        } = setup;
        if self.inject_env {
            app = app.env_lookup(env_with_secret(&self.signer.default));
        }
        if let Some(link) = &frameio {
            let client = Client::builder()
                .base_url(&link.base_url)
                .token(&link.token)
                .build()
                .map_err(|err| format!("cannot build the client for MockFrameio: {err}"))?;
            app = app.client(client);
        }
        if let Some(link) = ims {
            let mut auth = UserAuth::builder(CLIENT_ID, CLIENT_SECRET)
                .ims_base_url(link.base_url)
                .trust_forwarded_headers()
                .verify_frameio_user(false)
                .memory_store();
            if let Some(frameio) = &frameio {
                auth = auth.api_base_url(&frameio.base_url);
            }
            app = app.user_auth((link.change)(auth));
        }
        Ok(app)
    }

    /// Builds the app (once) and returns the service, e.g. to check
    /// [`handler_count`](Service::handler_count). Fails with [`TestError::Startup`] when
    /// `App::build` refuses the configuration.
    pub fn service(&self) -> Result<Service, TestError> {
        Ok(self.shared()?.service.clone())
    }

    #[cfg(test)]
    pub(crate) fn transport(&self) -> Result<Transport, TestError> {
        Ok(Transport::InProcess(self.shared()?))
    }

    /// The signed request [`deliver`](Self::deliver) would send for this event (to send it
    /// with your own HTTP client, or to spoil it first).
    pub fn sign(&self, event: impl EventBody) -> Result<SignedRequest, TestError> {
        Ok(self.signer.sign(event.event_body()?))
    }

    /// Delivers an event (a builder, a typed event or JSON), signed like Frame.io would,
    /// through the whole pipeline in-process.
    pub async fn deliver(&self, event: impl EventBody) -> Result<TestReply, TestError> {
        let request = self.sign(event)?;
        self.deliver_signed(&request).await
    }

    /// Delivers an event after changing its signed request: pass
    /// [`SignedRequest::wrong_secret`], [`SignedRequest::stale`], [`SignedRequest::future`],
    /// [`SignedRequest::tampered`] or your own closure.
    pub async fn deliver_with(
        &self,
        event: impl EventBody,
        change: impl FnOnce(SignedRequest) -> SignedRequest,
    ) -> Result<TestReply, TestError> {
        let request = change(self.sign(event)?);
        self.deliver_signed(&request).await
    }

    /// Delivers a request exactly as given (any body, any headers).
    pub async fn deliver_signed(&self, request: &SignedRequest) -> Result<TestReply, TestError> {
        Transport::InProcess(self.shared()?).send(request).await
    }

    /// Serves the app on `127.0.0.1` at a free port; the returned [`TestServer`] delivers
    /// over real HTTP with the same helpers. Call it inside a tokio runtime (`#[tokio::test]`
    /// or [`block_on`]).
    pub async fn serve(&self) -> Result<TestServer, TestError> {
        let shared = self.shared()?;
        let client = reqwest::Client::builder().build()?;
        let running = shared.service.start(("127.0.0.1", 0))?;
        let url: Arc<str> = running.url().into();
        Ok(TestServer {
            running: Some(running),
            transport: Transport::Http {
                shared,
                client,
                url,
            },
        })
    }
}

/// The start-up error, followed by what a test does about each kind of problem in it.
fn with_test_hints(err: &StartupError) -> String {
    let mut hints = BTreeSet::new();
    for problem in err.problems() {
        let hint = match problem {
            StartupProblem::NoHandlers => {
                "no handlers: start the test file with `use my_app as _;` so the crate's \
                 #[webhook]/#[action] handlers are linked"
            }
            StartupProblem::SignInNotConfigured { .. }
            | StartupProblem::Argument {
                problem: ArgumentProblem::SignInNotConfigured { .. },
                ..
            } => "sign-in: `TestApp::ims(&MockIms)` turns user sign-in on against a mock IMS",
            StartupProblem::Argument {
                problem: ArgumentProblem::MissingState { .. },
                ..
            } => "state: `TestApp::state(value)` shares a value with `State<T>` arguments",
            StartupProblem::Argument {
                problem: ArgumentProblem::Custom(text),
                ..
            } if text.contains("`Client`") => {
                "client: `TestApp::frameio(&MockFrameio)` gives handlers a client against a mock \
                 Frame.io API"
            }
            _ => continue,
        };
        hints.insert(hint);
    }
    let mut text = err.to_string();
    for hint in hints {
        text.push_str("\n  hint: ");
        text.push_str(hint);
    }
    text
}

/// A [`TestApp`] served over HTTP on `127.0.0.1` (see [`TestApp::serve`]). It stops when
/// [`stop`](Self::stop) is called; dropped inside a tokio runtime, it is stopped in the
/// background.
///
/// ```
/// use frameio_kit::{App, Handler, WebhookEvent};
/// use frameio_kit_testing::{TestApp, TestError, block_on, webhook_event};
///
/// async fn on_ready(_event: WebhookEvent) -> frameio_kit::Result<()> {
///     Ok(())
/// }
///
/// # fn main() -> Result<(), TestError> {
/// let app = TestApp::new(App::new().handler(Handler::webhook(["file.ready"], on_ready).secret("s")))
///     .secret("s");
/// block_on(async {
///     let server = app.serve().await?;
///     assert!(server.url().starts_with("http://127.0.0.1:"));
///     server.deliver(webhook_event("file.ready")).await?.assert_text("OK");
///     server.stop().await
/// })?
/// # }
/// ```
#[derive(Debug)]
pub struct TestServer {
    running: Option<RunningServer>,
    transport: Transport,
}

impl TestServer {
    /// The receiver URL, e.g. `http://127.0.0.1:41234/`.
    pub fn url(&self) -> String {
        match &self.transport {
            Transport::Http { url, .. } => url.to_string(),
            Transport::InProcess(_) => String::new(),
        }
    }

    /// The bound address.
    pub fn local_addr(&self) -> Option<SocketAddr> {
        self.running.as_ref().map(RunningServer::local_addr)
    }

    /// The signed request [`deliver`](Self::deliver) would POST for this event.
    pub fn sign(&self, event: impl EventBody) -> Result<SignedRequest, TestError> {
        Ok(self.transport.shared().signer.sign(event.event_body()?))
    }

    /// POSTs an event, signed, to the server.
    pub async fn deliver(&self, event: impl EventBody) -> Result<TestReply, TestError> {
        let request = self.sign(event)?;
        self.transport.send(&request).await
    }

    /// POSTs an event after changing its signed request (see [`TestApp::deliver_with`]).
    pub async fn deliver_with(
        &self,
        event: impl EventBody,
        change: impl FnOnce(SignedRequest) -> SignedRequest,
    ) -> Result<TestReply, TestError> {
        let request = change(self.sign(event)?);
        self.transport.send(&request).await
    }

    /// POSTs a request exactly as given.
    pub async fn deliver_signed(&self, request: &SignedRequest) -> Result<TestReply, TestError> {
        self.transport.send(request).await
    }

    /// Stops the server, dropping open connections.
    pub async fn stop(mut self) -> Result<(), TestError> {
        match self.running.take() {
            Some(running) => Ok(running.stop(false).await?),
            None => Ok(()),
        }
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(running) = self.running.take()
            && let Ok(runtime) = tokio::runtime::Handle::try_current()
        {
            runtime.spawn(async move {
                let _ = running.stop(false).await;
            });
        }
    }
}
