//! Running the server: binding, the connection cap, the `Expect` check, signals and shutdown.

use std::fmt;
use std::net::{SocketAddr, ToSocketAddrs};
use std::rc::Rc;
use std::sync::Arc;
use std::time::Duration;

use actix_http::{HttpMessage, HttpService, Request};
use actix_service::{IntoServiceFactory, ServiceFactory, fn_service};
use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{AppConfig, ServiceResponse};
use actix_web::http::Method;
use actix_web::{HttpResponse, web};
use futures_util::future::LocalBoxFuture;

use super::{Receiver, Service, to_response};
use crate::dispatch::Reply;

/// How long a client may take to send its request headers (actix-web's default).
const HEADER_TIMEOUT: Duration = Duration::from_secs(5);
/// How long a closing connection may take to shut down (actix-web's default).
const DISCONNECT_TIMEOUT: Duration = Duration::from_secs(1);
/// Connections the kernel queues before they are accepted (actix-web's default); the ones
/// over the connection cap wait here.
const BACKLOG: i32 = 1024;

/// Binds a listening socket on the first of `addr`'s addresses that works, like actix-web
/// does (address reuse, a backlog of [`BACKLOG`]).
fn listen(addr: impl ToSocketAddrs) -> std::io::Result<std::net::TcpListener> {
    use socket2::{Domain, Protocol, Socket, Type};
    let mut last_error = None;
    for addr in addr.to_socket_addrs()? {
        let bound = Socket::new(Domain::for_address(addr), Type::STREAM, Some(Protocol::TCP))
            .and_then(|socket| {
                #[cfg(not(windows))]
                socket.set_reuse_address(true)?;
                socket.bind(&addr.into())?;
                socket.listen(BACKLOG)?;
                Ok(socket)
            });
        match bound {
            Ok(socket) => return Ok(socket.into()),
            Err(err) => last_error = Some(err),
        }
    }
    Err(last_error.unwrap_or_else(|| {
        std::io::Error::new(
            std::io::ErrorKind::AddrNotAvailable,
            "the address resolved to nothing",
        )
    }))
}

impl Service {
    /// Binds an HTTP server on `addr` (port 0 picks a free one) and starts it in the
    /// background. Signals are not handled: stop it with [`RunningServer::stop`].
    pub fn start(&self, addr: impl ToSocketAddrs) -> std::io::Result<RunningServer> {
        self.bind_with(addr, None, Duration::from_secs(30))
    }

    pub(crate) fn bind_with(
        &self,
        addr: impl ToSocketAddrs,
        workers: Option<usize>,
        shutdown_timeout: Duration,
    ) -> std::io::Result<RunningServer> {
        let workers = workers
            .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, Into::into))
            .clamp(1, 512);
        let max_connections = self.max_connections.unwrap_or_else(default_max_connections);
        let listener = listen(addr)?;
        let local_addr = listener.local_addr()?;
        let builder = actix_server::Server::build();
        let graceful = builder.graceful_shutdown_signal();
        let service = self.clone();
        let server = builder
            .workers(workers)
            .max_concurrent_connections(max_connections.div_ceil(workers))
            .disable_signals()
            .shutdown_timeout(shutdown_timeout.as_secs())
            .listen("frameio-kit", listener, move || {
                let graceful = graceful.clone();
                let expect = ExpectCheck {
                    path: Arc::clone(&service.path),
                    limit: service.body_limit,
                };
                let receiver = service.clone();
                let app = actix_web::App::new()
                    .configure(move |cfg| receiver.configure(cfg))
                    .default_service(web::to(not_found))
                    .into_factory();
                let root = RootFactory {
                    app,
                    service: service.clone(),
                };
                HttpService::build()
                    .client_request_timeout(HEADER_TIMEOUT)
                    .client_disconnect_timeout(DISCONNECT_TIMEOUT)
                    .local_addr(local_addr)
                    .graceful_shutdown_signal(move || {
                        let graceful = graceful.clone();
                        async move { graceful.notified().await }
                    })
                    .expect(fn_service(move |req: Request| {
                        let refused = expect.refuses(&req);
                        async move {
                            match refused {
                                Some(response) => Err(response),
                                None => Ok(req),
                            }
                        }
                    }))
                    .finish(root)
                    .tcp()
            })?
            .run();
        let handle = server.handle();
        let task = tokio::spawn(server);
        #[cfg(feature = "background")]
        let workers = self.start_workers();
        tracing::info!(
            target: "frameio_kit::server",
            address = %local_addr,
            path = %self.path,
            handlers = self.handler_count,
            max_connections,
            "frameio-kit listening on http://{local_addr}{} with {} handler(s)",
            self.path,
            self.handler_count
        );
        Ok(RunningServer {
            local_addr,
            path: Arc::clone(&self.path),
            handle,
            task,
            service: self.clone(),
            shutdown_timeout,
            #[cfg(feature = "background")]
            workers,
        })
    }

    /// The app's background queue, opened if it was not yet: to list, retry and discard
    /// dead letters ([`Queue::dead_letters`](crate::delivery::queue::Queue::dead_letters)
    /// and friends). `None` when no handler runs in the background.
    ///
    /// # Errors
    ///
    /// The engine's, when the queue is unreachable.
    #[cfg(feature = "background")]
    pub async fn queue(
        &self,
    ) -> Option<Result<crate::delivery::queue::Queue, crate::delivery::queue::QueueError>> {
        let background = self.dispatcher.background()?;
        Some(background.queue().await.cloned())
    }

    /// Starts this process's background workers, when the app has background handlers (and
    /// did not ask for none here). [`Service::start`] and [`App::serve`](crate::App::serve)
    /// call it; call it yourself when you mount the service in your own actix-web server,
    /// and shut them down when it stops. `None` when there is nothing to run here. Needs a
    /// Tokio runtime (call it inside your server's async `main`).
    #[cfg(feature = "background")]
    pub fn start_workers(&self) -> Option<crate::delivery::queue::WorkerHandle> {
        let background = self.dispatcher.background()?;
        background.pin_runtime();
        background.start_workers(Arc::clone(self.dispatcher.data()))
    }
}

/// Once the HTTP server stops accepting (and before its worker threads, where late handler
/// runs live, are stopped): stops the background workers (running jobs finish within
/// `timeout`, the rest stay queued) and waits for late handler runs, within `timeout` too.
/// A zero `timeout` stops the workers at once.
async fn finish_background(
    service: &Service,
    #[cfg(feature = "background")] workers: Option<crate::delivery::queue::WorkerHandle>,
    timeout: Duration,
) {
    let late = service.dispatcher.late_work();
    let waiting = late.len();
    if waiting > 0 {
        tracing::info!(
            target: "frameio_kit::server",
            handlers = waiting,
            "waiting for handler runs that missed their deadline"
        );
    }
    let late_done = late.wait(timeout);
    #[cfg(feature = "background")]
    let workers_done = async move {
        match workers {
            Some(workers) if timeout.is_zero() => workers.stop_now(),
            Some(workers) => workers.shutdown().await,
            None => {}
        }
    };
    #[cfg(not(feature = "background"))]
    let workers_done = std::future::ready(());
    let (finished, ()) = tokio::join!(late_done, workers_done);
    if !finished {
        tracing::warn!(
            target: "frameio_kit::server",
            handlers = late.len(),
            "shutdown timeout: handler runs that missed their deadline were cut off"
        );
    }
}

/// Decides, before `100 Continue` is sent, whether to refuse a body announced with
/// `Expect: 100-continue` (protocol.md §3 row 1): refused without inviting it.
#[derive(Clone)]
struct ExpectCheck {
    path: Arc<str>,
    limit: usize,
}

impl ExpectCheck {
    fn refuses(&self, req: &Request) -> Option<actix_http::Response<actix_web::body::BoxBody>> {
        let declared = req
            .headers()
            .get(actix_web::http::header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<usize>().ok())?;
        if req.method() != Method::POST || req.path() != &*self.path || declared <= self.limit {
            return None;
        }
        tracing::debug!(
            target: "frameio_kit::server",
            declared, "request body over the limit, refused before `100 Continue`: 413"
        );
        let mut response: actix_http::Response<_> = to_response(Reply::payload_too_large()).into();
        response
            .head_mut()
            .set_connection_type(actix_http::ConnectionType::Close);
        Some(response)
    }
}

/// The server's root service factory (one service per worker): deliveries (`POST` to the
/// receiver path) go from actix-http straight to [`Service::receive`]; every other request
/// (`/health`, sign-in, install pages, other methods, other paths) goes through the actix-web
/// app [`Service::configure`] builds, which also serves the receiver path, so answers are
/// the same either way. The shortcut skips actix-web's per-request work (its request object,
/// router, guards, extractors and boxed handler future) on the one route that carries load.
struct RootFactory<F> {
    app: F,
    service: Service,
}

impl<F, B> ServiceFactory<Request> for RootFactory<F>
where
    F: ServiceFactory<
            Request,
            Config = AppConfig,
            Response = ServiceResponse<B>,
            Error = actix_web::Error,
            InitError = (),
        >,
    F::Future: 'static,
    F::Service: 'static,
    B: MessageBody + 'static,
{
    type Response = actix_http::Response<BoxBody>;
    type Error = actix_http::Response<BoxBody>;
    type Config = ();
    type Service = RootService<F::Service>;
    type InitError = ();
    type Future = LocalBoxFuture<'static, Result<Self::Service, ()>>;

    fn new_service(&self, (): ()) -> Self::Future {
        let app = self.app.new_service(AppConfig::default());
        let receiver = Rc::new(Receiver::new(&self.service));
        Box::pin(async move {
            Ok(RootService {
                app: app.await?,
                receiver,
            })
        })
    }
}

/// One worker's root service (see [`RootFactory`]).
struct RootService<S> {
    app: S,
    receiver: Rc<Receiver>,
}

impl<S, B> actix_service::Service<Request> for RootService<S>
where
    S: actix_service::Service<Request, Response = ServiceResponse<B>, Error = actix_web::Error>,
    S::Future: 'static,
    B: MessageBody + 'static,
{
    type Response = actix_http::Response<BoxBody>;
    type Error = actix_http::Response<BoxBody>;
    type Future = LocalBoxFuture<'static, Result<Self::Response, Self::Error>>;

    actix_service::forward_ready!(app);

    fn call(&self, mut req: Request) -> Self::Future {
        if req.method() == Method::POST && req.path() == self.receiver.path() {
            let receiver = Rc::clone(&self.receiver);
            return Box::pin(async move {
                let payload = req.take_payload();
                let response = receiver.receive(req.head(), payload).await;
                Ok(response.into())
            });
        }
        let answer = self.app.call(req);
        Box::pin(async move {
            match answer.await {
                Ok(response) => Ok(response.map_into_boxed_body().into()),
                Err(err) => Err(err.error_response().into()),
            }
        })
    }
}

/// Any path the server does not serve.
async fn not_found(req: actix_web::HttpRequest) -> HttpResponse {
    tracing::debug!(
        target: "frameio_kit::server",
        method = %req.method(), path = req.path(), "no such path: 404"
    );
    HttpResponse::NotFound().finish()
}

/// The default connection cap: the open-file limit minus a tenth (and 64) for everything
/// else the process opens: store connections, files, the listener itself.
fn default_max_connections() -> usize {
    let limit = open_file_limit().unwrap_or(1024);
    limit.saturating_sub(limit / 10 + 64).max(16)
}

#[cfg(unix)]
fn open_file_limit() -> Option<usize> {
    let limit = rustix::process::getrlimit(rustix::process::Resource::Nofile).current?;
    // "Unlimited" in practice: actix-server's own default per worker is 25,000.
    Some(usize::try_from(limit).unwrap_or(usize::MAX).min(1 << 20))
}

#[cfg(not(unix))]
fn open_file_limit() -> Option<usize> {
    None
}

/// A server started by [`Service::start`].
pub struct RunningServer {
    local_addr: SocketAddr,
    path: Arc<str>,
    handle: actix_server::ServerHandle,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
    service: Service,
    shutdown_timeout: Duration,
    #[cfg(feature = "background")]
    workers: Option<crate::delivery::queue::WorkerHandle>,
}

impl fmt::Debug for RunningServer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RunningServer")
            .field("local_addr", &self.local_addr)
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

impl RunningServer {
    /// The bound address.
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// The receiver URL, e.g. `http://127.0.0.1:41234/`.
    pub fn url(&self) -> String {
        format!("http://{}{}", self.local_addr, self.path)
    }

    /// Stops the server. Graceful: stop accepting, let in-flight deliveries finish (up to the
    /// shutdown timeout; one cut off by it is logged). Not graceful: drop connections now.
    ///
    /// Then the background workers stop taking jobs (running ones finish within the shutdown
    /// timeout; the rest stay queued) and handler runs that missed their deadline are waited
    /// for, within the same timeout (none when not graceful).
    pub async fn stop(self, graceful: bool) -> std::io::Result<()> {
        let Self {
            handle,
            task,
            service,
            shutdown_timeout,
            #[cfg(feature = "background")]
            workers,
            ..
        } = self;
        service.flight.begin_stop();
        // Late work runs on the server's worker threads: stop accepting, let it finish, then
        // stop the workers.
        if graceful {
            handle.pause().await;
        }
        let timeout = if graceful {
            shutdown_timeout
        } else {
            Duration::ZERO
        };
        finish_background(
            &service,
            #[cfg(feature = "background")]
            workers,
            timeout,
        )
        .await;
        handle.stop(graceful).await;
        let result = match task.await {
            Ok(result) => result,
            Err(err) => Err(std::io::Error::other(err)),
        };
        service.flight.report_cut_off();
        result
    }

    /// Waits for SIGINT or SIGTERM, then shuts down gracefully; a second signal during the
    /// graceful shutdown stops at once.
    ///
    /// The signal handlers are installed when this is called; [`App::serve`](crate::App::serve)
    /// installs them before binding instead, so a signal during start-up is never lost.
    pub async fn run_until_signal(self) -> std::io::Result<()> {
        self.run_until(ShutdownSignals::install()).await
    }

    pub(crate) async fn run_until(self, mut signals: ShutdownSignals) -> std::io::Result<()> {
        signals.recv().await;
        tracing::info!(
            target: "frameio_kit::server",
            "shutdown signal received; finishing in-flight deliveries (send it again to stop now)"
        );
        let Self {
            handle,
            task,
            service,
            shutdown_timeout,
            #[cfg(feature = "background")]
            workers,
            ..
        } = self;
        service.flight.begin_stop();
        // Stop accepting; late work (on the server's worker threads) and background jobs get
        // the shutdown timeout, then the server stops. A second signal cuts everything off.
        handle.pause().await;
        let mut hurried = false;
        tokio::select! {
            () = finish_background(
                &service,
                #[cfg(feature = "background")]
                workers,
                shutdown_timeout,
            ) => {}
            () = signals.recv() => {
                hurried = true;
                tracing::warn!(
                    target: "frameio_kit::server",
                    "second shutdown signal: stopping now; in-flight deliveries, background jobs and late handler runs are cut off"
                );
            }
        }
        let finished = if hurried {
            task.abort();
            task.await
        } else {
            let graceful = handle.stop(true);
            tokio::select! {
                () = graceful => task.await,
                () = signals.recv() => {
                    tracing::warn!(
                        target: "frameio_kit::server",
                        "second shutdown signal: stopping now; in-flight deliveries are cut off"
                    );
                    // Dropping the server stops its workers at once, even mid-way through a
                    // graceful stop.
                    task.abort();
                    task.await
                }
            }
        };
        service.flight.report_cut_off();
        match finished {
            Ok(result) => result?,
            Err(err) if err.is_cancelled() => {}
            Err(err) => return Err(std::io::Error::other(err)),
        }
        tracing::info!(target: "frameio_kit::server", "stopped");
        Ok(())
    }
}

/// SIGINT and SIGTERM listeners. Creating them replaces the default action (exit at once), so
/// they are installed before the server binds.
pub(crate) struct ShutdownSignals {
    #[cfg(unix)]
    streams: Option<(tokio::signal::unix::Signal, tokio::signal::unix::Signal)>,
}

impl ShutdownSignals {
    pub(crate) fn install() -> Self {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{SignalKind, signal};
            let streams = match (
                signal(SignalKind::interrupt()),
                signal(SignalKind::terminate()),
            ) {
                (Ok(interrupt), Ok(terminate)) => Some((interrupt, terminate)),
                (Err(err), _) | (_, Err(err)) => {
                    tracing::warn!(
                        target: "frameio_kit::server",
                        "cannot listen for SIGINT/SIGTERM ({err}); falling back to Ctrl-C only"
                    );
                    None
                }
            };
            Self { streams }
        }
        #[cfg(not(unix))]
        {
            Self {}
        }
    }

    /// The next SIGINT or SIGTERM.
    pub(crate) async fn recv(&mut self) {
        #[cfg(unix)]
        if let Some((interrupt, terminate)) = &mut self.streams {
            tokio::select! {
                _ = interrupt.recv() => {}
                _ = terminate.recv() => {}
            }
            return;
        }
        let _ = tokio::signal::ctrl_c().await;
    }
}

/// Installs the kit's log subscriber ([`crate::telemetry::init_logging`]) unless one is set;
/// hold the guard while serving so queued lines are written.
pub(crate) fn init_logging() -> Option<crate::telemetry::LogGuard> {
    crate::telemetry::init_logging()
}
