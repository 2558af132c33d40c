//! The [`App`] builder: handlers, shared state and settings, checked all at once by
//! [`App::build`] before anything binds a port.
//!
//! This file holds the builder's settings; `build` checks them and freezes the app into a
//! [`Service`](crate::Service), and `routes` turns handlers into the dispatcher's routes.

mod build;
mod routes;

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use crate::dispatch::{Clock, SystemClock};
use crate::error::{StartupError, StartupProblem};
use crate::handler::{AppData, Handler};
use crate::middleware::{ErasedMiddleware, Middleware};
use crate::secret::{SecretResolver, SharedResolver};
use crate::signature::DEFAULT_TOLERANCE;

/// Default largest accepted request body: 1 MiB.
pub const DEFAULT_BODY_LIMIT: usize = 1024 * 1024;
/// Default bind host.
pub const DEFAULT_HOST: &str = "127.0.0.1";
/// Default bind port.
pub const DEFAULT_PORT: u16 = 8000;

/// Builds a frameio-kit application: which handlers run, what they share, and how the server
/// listens. Everything the macros and [`serve`](crate::serve) do can be done here by hand.
///
/// ```no_run
/// use frameio_kit::App;
///
/// # async fn example() -> std::io::Result<()> {
/// App::from_registry()           // every #[webhook] / #[action] in the linked crates
///     .port(9000)
///     .path("/frameio")
///     .body_limit(256 * 1024)
///     .serve()
///     .await
/// # }
/// ```
pub struct App {
    pub(crate) handlers: Vec<Handler>,
    pub(crate) data: AppData,
    pub(crate) host: Option<String>,
    pub(crate) port: Option<u16>,
    pub(crate) path: String,
    pub(crate) body_limit: usize,
    pub(crate) tolerance: Duration,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) workers: Option<usize>,
    pub(crate) shutdown_timeout: Duration,
    body_read_timeout: Duration,
    max_connections: Option<usize>,
    middleware: Vec<Arc<dyn ErasedMiddleware>>,
    /// Where verified deliveries are recorded, if asked (and enabled by the environment).
    record_dir: Option<std::path::PathBuf>,
    /// Self-service installation, mounted by the built service.
    #[cfg(feature = "install")]
    install: Option<crate::install::Install>,
    /// The install configuration's problems, reported by `build` with the others.
    #[cfg(feature = "install")]
    install_problems: Vec<String>,
    /// Set by `worker`: `build` then requires a background handler.
    #[cfg(feature = "background")]
    worker_only: bool,
    resolver: Option<SharedResolver>,
    #[cfg(feature = "auth")]
    user_auth: Option<crate::auth::UserAuthBuilder>,
    /// The finished sign-in configuration, set by `build`.
    #[cfg(feature = "auth")]
    signed_in: Option<crate::auth::UserAuth>,
    env: EnvLookup,
    #[cfg(feature = "metrics")]
    metrics: Option<crate::telemetry::metrics::PrometheusHandle>,
    /// Where replays are looked up (default: in memory).
    pub(crate) replay: ReplayChoice,
    /// The interim Message of an action that misses its deadline.
    pub(crate) interim: crate::response::Message,
    /// Called with every late result (a handler's own hook wins).
    pub(crate) late_hook: Option<crate::delivery::deadline::LateHook>,
    /// The durable queue of background handlers and its workers.
    #[cfg(feature = "background")]
    pub(crate) queue: crate::delivery::queue::QueueSettings,
}

/// Where the replay ledger lives.
#[derive(Clone)]
pub(crate) enum ReplayChoice {
    Memory,
    /// A shared ledger, and the store under it when the app was given one (probed for
    /// reachability before serving).
    Shared(
        Arc<dyn crate::delivery::Ledger>,
        Option<Arc<dyn crate::store::Store>>,
    ),
    Off,
}

/// Reads an environment variable (the process environment, or a test's stand-in).
type EnvLookup = Arc<dyn Fn(&str) -> Option<String> + Send + Sync>;

impl Default for App {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for App {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("App")
            .field("handlers", &self.handlers)
            .field("data", &self.data)
            .field("host", &self.host)
            .field("port", &self.port)
            .field("path", &self.path)
            .field("body_limit", &self.body_limit)
            .field("tolerance", &self.tolerance)
            .field("middleware", &self.middleware.len())
            .field("secret_resolver", &self.resolver.is_some())
            .finish_non_exhaustive()
    }
}

impl App {
    /// An app with no handlers: add them with [`App::handler`].
    pub fn new() -> Self {
        Self {
            handlers: Vec::new(),
            data: AppData::default(),
            host: None,
            port: None,
            path: "/".to_owned(),
            body_limit: DEFAULT_BODY_LIMIT,
            tolerance: DEFAULT_TOLERANCE,
            clock: Arc::new(SystemClock),
            workers: None,
            shutdown_timeout: Duration::from_secs(30),
            body_read_timeout: crate::server::DEFAULT_BODY_READ_TIMEOUT,
            max_connections: None,
            middleware: Vec::new(),
            record_dir: None,
            #[cfg(feature = "install")]
            install: None,
            #[cfg(feature = "install")]
            install_problems: Vec::new(),
            #[cfg(feature = "background")]
            worker_only: false,
            resolver: None,
            #[cfg(feature = "auth")]
            user_auth: None,
            #[cfg(feature = "auth")]
            signed_in: None,
            env: Arc::new(|name| std::env::var(name).ok()),
            #[cfg(feature = "metrics")]
            metrics: None,
            replay: ReplayChoice::Memory,
            interim: crate::delivery::default_interim_message(),
            late_hook: None,
            #[cfg(feature = "background")]
            queue: crate::delivery::queue::QueueSettings::default(),
        }
    }

    /// An app with every handler registered by `#[webhook]` and `#[action]` in the crates
    /// linked into this binary.
    pub fn from_registry() -> Self {
        Self::new().handlers(crate::handler::registered())
    }

    /// The manifest of the handlers added so far: what Frame.io must be told about this app
    /// (see [`manifest`](crate::manifest)).
    pub fn manifest(&self) -> crate::manifest::Manifest {
        crate::manifest::Manifest::from_handlers(&self.handlers)
    }

    /// Adds one handler.
    #[must_use]
    pub fn handler(mut self, handler: Handler) -> Self {
        self.handlers.push(handler);
        self
    }

    /// Adds several handlers.
    #[must_use]
    pub fn handlers(mut self, handlers: impl IntoIterator<Item = Handler>) -> Self {
        self.handlers.extend(handlers);
        self
    }

    /// Adds a middleware (see [`middleware`](crate::middleware)). The first added is the
    /// outermost: it sees each delivery first and its answer last.
    #[must_use]
    pub fn middleware(mut self, middleware: impl Middleware) -> Self {
        self.middleware.push(Arc::new(middleware));
        self
    }

    /// Resolves the secret of every handler that has no explicit secret nor resolver of its
    /// own, for each delivery (see [`secret`](crate::secret)). With it, `WEBHOOK_SECRET` and
    /// `CUSTOM_ACTION_SECRET` are not consulted.
    #[must_use]
    pub fn secret_resolver(mut self, resolver: impl SecretResolver) -> Self {
        self.resolver = Some(SharedResolver(Arc::new(resolver)));
        self
    }

    /// Enables user sign-in for actions marked `require_user_auth` and the [`UserToken`] /
    /// [`UserClient`] extractors, and serves `GET /auth/login` and `GET /auth/callback`
    /// (see [`auth::signin`](crate::auth::signin)).
    ///
    /// [`UserToken`]: crate::auth::UserToken
    /// [`UserClient`]: crate::auth::UserClient
    #[cfg(feature = "auth")]
    #[must_use]
    pub fn user_auth(mut self, config: crate::auth::UserAuthBuilder) -> Self {
        self.user_auth = Some(config);
        self
    }

    /// Shares a value with every handler that takes [`State<T>`](crate::State).
    #[must_use]
    pub fn state<T: Send + Sync + 'static>(mut self, value: T) -> Self {
        self.data.insert(Arc::new(value));
        self
    }

    /// Shares a value that is already behind an `Arc`.
    #[must_use]
    pub fn state_arc<T: Send + Sync + 'static>(mut self, value: Arc<T>) -> Self {
        self.data.insert(value);
        self
    }

    /// The Frame.io API client handlers receive when they take
    /// [`Client`](crate::client::Client) as an argument. Without it, a client is built from
    /// `FRAMEIO_TOKEN` when that variable is set.
    #[cfg(feature = "client")]
    #[must_use]
    pub fn client(mut self, client: crate::client::Client) -> Self {
        self.data.insert(Arc::new(client));
        self
    }

    /// The host to bind (default: `HOST`, else `127.0.0.1`).
    #[must_use]
    pub fn host(mut self, host: impl Into<String>) -> Self {
        self.host = Some(host.into());
        self
    }

    /// The port to bind (default: `PORT`, else 8000; 0 picks a free port).
    #[must_use]
    pub fn port(mut self, port: u16) -> Self {
        self.port = Some(port);
        self
    }

    /// The path Frame.io posts to (default `/`).
    #[must_use]
    pub fn path(mut self, path: impl Into<String>) -> Self {
        self.path = path.into();
        self
    }

    /// The largest accepted body in bytes (default 1 MiB); larger ones get `413`.
    #[must_use]
    pub fn body_limit(mut self, bytes: usize) -> Self {
        self.body_limit = bytes;
        self
    }

    /// How far a request timestamp may be from the server clock (default ±300 s).
    #[must_use]
    pub fn tolerance(mut self, tolerance: Duration) -> Self {
        self.tolerance = tolerance;
        self
    }

    /// The clock signatures are checked against (tests pin it with
    /// [`FixedClock`](crate::dispatch::FixedClock)).
    #[must_use]
    pub fn clock(mut self, clock: impl Clock) -> Self {
        self.clock = Arc::new(clock);
        self
    }

    /// The number of worker threads (default: one per physical core).
    #[must_use]
    pub fn workers(mut self, workers: usize) -> Self {
        self.workers = Some(workers);
        self
    }

    /// How long a delivery's body may take to arrive (default 10 s); see
    /// [`Service::body_read_timeout`](crate::Service::body_read_timeout).
    #[must_use]
    pub fn body_read_timeout(mut self, timeout: Duration) -> Self {
        self.body_read_timeout = timeout;
        self
    }

    /// Serves `handle`'s metrics at `GET /metrics` (Prometheus text format), beside
    /// `/health`; get it from [`telemetry::metrics::install`](crate::telemetry::metrics::install).
    #[cfg(feature = "metrics")]
    #[must_use]
    pub fn metrics(mut self, handle: crate::telemetry::metrics::PrometheusHandle) -> Self {
        self.metrics = Some(handle);
        self
    }

    /// The most connections kept open at once (default: below the open-file limit); see
    /// [`Service::max_connections`](crate::Service::max_connections).
    #[must_use]
    pub fn max_connections(mut self, connections: usize) -> Self {
        self.max_connections = Some(connections);
        self
    }

    /// How long a graceful shutdown waits for in-flight deliveries (default 30 s).
    #[must_use]
    pub fn shutdown_timeout(mut self, timeout: Duration) -> Self {
        self.shutdown_timeout = timeout;
        self
    }

    /// Reads environment variables (secrets, `HOST`, `PORT`) through `lookup` instead of the
    /// process environment: lets tests avoid global state.
    #[must_use]
    pub fn env_lookup(
        mut self,
        lookup: impl Fn(&str) -> Option<String> + Send + Sync + 'static,
    ) -> Self {
        self.env = Arc::new(lookup);
        self
    }

    /// Records every delivery whose signature holds into `dir`, one JSON file each, for
    /// `frameio-kit replay FILE` (see [`record`](crate::record)). Recording happens only when
    /// the operator also sets `FRAMEIO_KIT_RECORD_DELIVERIES=1`; otherwise `build` logs a
    /// warning and records nothing.
    #[must_use]
    pub fn record_deliveries(mut self, dir: impl Into<std::path::PathBuf>) -> Self {
        self.record_dir = Some(dir.into());
        self
    }

    /// Adds self-service installation: wires the per-installation secrets, the health
    /// middleware and [`InstallConfig`](crate::install::InstallConfig) state
    /// ([`Install::register`](crate::install::Install::register)), and makes the built
    /// service serve the install pages next to the receiver (see `docs/install.md`).
    ///
    /// Takes a built [`Install`](crate::install::Install) or the
    /// [`InstallBuilder`](crate::install::InstallBuilder) itself: then its configuration
    /// problems are reported by [`App::build`] together with every other start-up problem.
    #[cfg(feature = "install")]
    #[must_use]
    pub fn install(mut self, install: impl crate::install::IntoInstall) -> Self {
        let env = Arc::clone(&self.env);
        match install.into_install(&|name| env(name)) {
            Ok(install) => {
                let mut app = install.register(self);
                app.install = Some(install);
                app
            }
            Err(problems) => {
                self.install_problems.extend(problems);
                self.state(crate::install::InvalidInstall)
            }
        }
    }

    /// Keeps the replay ledger in a shared engine instead of this process's memory, so every
    /// instance of a fleet refuses the others' replays: usually
    /// `Arc::new(StoreLedger::new(store))` over the Redis or PostgreSQL store the instances
    /// share (see [`App::replay_store`]). The ledger is on by default, in memory.
    #[must_use]
    pub fn replay_ledger(mut self, ledger: Arc<dyn crate::delivery::Ledger>) -> Self {
        self.replay = ReplayChoice::Shared(ledger, None);
        self
    }

    /// Keeps the replay ledger in this shared store (a
    /// [`StoreLedger`](crate::delivery::StoreLedger): Redis `SET NX PX`, PostgreSQL
    /// `INSERT … ON CONFLICT`). Dedup windows live there too.
    #[must_use]
    pub fn replay_store(mut self, store: Arc<dyn crate::store::Store>) -> Self {
        let ledger = Arc::new(crate::delivery::StoreLedger::new(Arc::clone(&store)));
        self.replay = ReplayChoice::Shared(ledger, Some(store));
        self
    }

    /// Turns the replay ledger off: a signed request replayed within the signature window
    /// runs its handler again. Only for a receiver behind something that already refuses
    /// replays.
    #[must_use]
    pub fn without_replay_ledger(mut self) -> Self {
        self.replay = ReplayChoice::Off;
        self
    }

    /// Where background handlers' jobs are queued (default: SQLite in the store's file,
    /// `FRAMEIO_KIT_SQLITE_PATH` or `frameio-kit.sqlite`). With PostgreSQL or Redis, a fleet
    /// of instances (and separate [`worker`](App::worker) processes) shares the jobs.
    #[cfg(feature = "background")]
    #[must_use]
    pub fn queue(mut self, backend: crate::delivery::queue::QueueBackend) -> Self {
        self.queue.backend = Some(backend);
        self
    }

    /// How many background jobs this process runs at once (default 4). `0` runs none here:
    /// deliveries are only queued, for [`worker`](App::worker) processes to run.
    #[cfg(feature = "background")]
    #[must_use]
    pub fn background_workers(mut self, jobs: usize) -> Self {
        self.queue.workers = jobs;
        self
    }

    /// The Message an action gets when its handler misses its deadline (default
    /// [`default_interim_message`](crate::delivery::default_interim_message)); a handler's
    /// own [`Handler::interim`] wins.
    #[must_use]
    pub fn interim_message(mut self, message: crate::response::Message) -> Self {
        self.interim = message;
        self
    }

    /// Called with the result of every handler run that finished after its deadline (the
    /// answer was already sent), unless the handler has its own
    /// [`Handler::on_late_result`]. Late results are logged either way.
    #[must_use]
    pub fn on_late_result(mut self, hook: crate::delivery::deadline::LateHook) -> Self {
        self.late_hook = Some(hook);
        self
    }

    pub(crate) fn read_env(&self, name: &str) -> Option<String> {
        (self.env)(name)
    }

    /// The address [`App::serve`] binds: builder settings first, then `HOST` / `PORT`.
    pub fn bind_address(&self) -> Result<(String, u16), StartupError> {
        let host = self
            .host
            .clone()
            .or_else(|| self.read_env("HOST").filter(|h| !h.trim().is_empty()))
            .unwrap_or_else(|| DEFAULT_HOST.to_owned());
        let port = match self.port {
            Some(port) => port,
            None => match self.read_env("PORT") {
                None => DEFAULT_PORT,
                Some(raw) => raw.trim().parse::<u16>().map_err(|_| {
                    StartupError::new(vec![StartupProblem::Config(format!(
                        "PORT must be a number from 0 to 65535, got `{raw}`"
                    ))])
                })?,
            },
        };
        Ok((host, port))
    }

    /// Validates, binds and serves until SIGINT or SIGTERM, then shuts down gracefully
    /// (in-flight deliveries finish). Installs a `tracing` subscriber (filtered by `RUST_LOG`,
    /// default `info`) unless one is already set.
    ///
    /// First of all, when `FRAMEIO_KIT_PRINT_MANIFEST=1` is set, prints the app's manifest and
    /// exits (see [`manifest::print_if_requested`](crate::manifest::print_if_requested)).
    pub async fn serve(self) -> std::io::Result<()> {
        crate::manifest::print_if_requested(&self.handlers);
        let _logs = crate::server::init_logging();
        let address = self.bind_address();
        let workers = self.workers;
        let shutdown_timeout = self.shutdown_timeout;
        // Every problem at once: the bind address's, the configuration's, reachability.
        let built = self.build_and_connect().await;
        let (service, (host, port)) = match (built, address) {
            (Ok(service), Ok(address)) => (service, address),
            (built, address) => {
                let mut problems = address
                    .err()
                    .map_or_else(Vec::new, |e| e.problems().to_vec());
                problems.extend(built.err().map_or_else(Vec::new, |e| e.problems().to_vec()));
                let error = StartupError::new(problems);
                log_startup_error(&error);
                return Err(error.into());
            }
        };
        // Listen for SIGINT/SIGTERM before binding: from the first "listening" line on, a
        // signal means a graceful stop, never the default exit.
        let signals = crate::server::ShutdownSignals::install();
        let server = service.bind_with((host.as_str(), port), workers, shutdown_timeout)?;
        server.run_until(signals).await
    }

    /// Blocking version of [`App::serve`], for a plain `fn main` (no async runtime needed).
    pub fn run(self) -> std::io::Result<()> {
        crate::manifest::print_if_requested(&self.handlers);
        actix_web::rt::System::new().block_on(self.serve())
    }

    /// Runs only background workers, in a process of their own: no HTTP server. Checks the
    /// configuration like [`App::serve`], opens the queue (an unreachable one is a start-up
    /// error), runs the app's background handlers with [`background_workers`] jobs at once
    /// (4 unless set) until SIGINT or SIGTERM, then stops taking jobs and lets running ones
    /// finish within the shutdown timeout. Any number of worker processes and receivers
    /// can share one PostgreSQL or Redis queue; each job runs on one of them.
    ///
    /// [`background_workers`]: App::background_workers
    #[cfg(feature = "background")]
    pub async fn worker(mut self) -> std::io::Result<()> {
        let _logs = crate::server::init_logging();
        if self.queue.workers == 0 {
            self.queue.workers = crate::delivery::queue::QueueSettings::default().workers;
        }
        self.worker_only = true;
        let service = self
            .build_and_connect()
            .await
            .inspect_err(log_startup_error)?;
        let Some(background) = service.dispatcher().background() else {
            // `build` refuses a worker without background handlers.
            let error = StartupError::new(vec![StartupProblem::NoBackgroundHandlers]);
            log_startup_error(&error);
            return Err(error.into());
        };
        let mut signals = crate::server::ShutdownSignals::install();
        let workers = background.start_workers(Arc::clone(service.dispatcher().data()));
        tracing::info!(
            target: "frameio_kit::delivery",
            engine = background.engine_name(),
            "background workers running; SIGINT or SIGTERM stops them"
        );
        signals.recv().await;
        tracing::info!(
            target: "frameio_kit::delivery",
            "shutdown signal received; finishing running jobs"
        );
        if let Some(workers) = workers {
            tokio::select! {
                () = workers.shutdown() => {}
                () = signals.recv() => tracing::warn!(
                    target: "frameio_kit::delivery",
                    "second shutdown signal: running jobs are left for another worker"
                ),
            }
        }
        Ok(())
    }

    /// Blocking version of [`App::worker`], for a plain `fn main`.
    #[cfg(feature = "background")]
    pub fn run_worker(self) -> std::io::Result<()> {
        actix_web::rt::System::new().block_on(self.worker())
    }
}

fn log_startup_error(error: &StartupError) {
    tracing::error!(target: "frameio_kit::startup", "{error}");
}

/// `true` for an event type Frame.io could send: 1 to 256 ASCII letters, digits and `_ . : -`,
/// not starting or ending with `.`, with no empty segment. The `#[webhook]` and `#[action]`
/// macros check the same rule at compile time (both call `frameio_kit_rules`).
///
/// ```
/// use frameio_kit::app::is_valid_event_type;
///
/// assert!(is_valid_event_type("file.ready"));
/// assert!(is_valid_event_type("my_app.transcribe"));
/// assert!(!is_valid_event_type(""));
/// assert!(!is_valid_event_type("file ready"));
/// assert!(!is_valid_event_type("file..ready"));
/// ```
pub fn is_valid_event_type(event: &str) -> bool {
    frameio_kit_rules::event_type_problem(event).is_none()
}
