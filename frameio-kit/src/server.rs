//! The actix-web adapter: moves bytes between HTTP and the [`Dispatcher`]. It owns the
//! method check (`405`), the body limit (`413`), `GET /health` and graceful shutdown; every
//! business rule lives in [`dispatch`](crate::dispatch).
//!
//! Mount the receiver into an existing actix-web app with [`Service::configure`]:
//!
//! ```no_run
//! use actix_web::{App as ActixApp, HttpServer, web};
//!
//! # async fn example() -> std::io::Result<()> {
//! let service = frameio_kit::App::from_registry().path("/frameio").build()?;
//! HttpServer::new(move || {
//!     ActixApp::new()
//!         .configure(|cfg| service.configure(cfg))
//!         .route("/", web::get().to(|| async { "my other routes" }))
//! })
//! .bind(("127.0.0.1", 8000))?
//! .run()
//! .await
//! # }
//! ```

use std::fmt;
use std::net::{SocketAddr, ToSocketAddrs};
use std::sync::Arc;
use std::time::Duration;

use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpRequest, HttpResponse, web};
use bytes::{Bytes, BytesMut};
use futures_util::StreamExt;

use crate::dispatch::{Dispatcher, Reply, TEXT_PLAIN};
use crate::handler::Headers;

/// The health-check path (`GET` → `200 OK`).
pub const HEALTH_PATH: &str = "/health";

/// A validated, ready-to-serve application (from [`App::build`](crate::App::build)).
/// Cheap to clone: everything is shared.
#[derive(Clone)]
pub struct Service {
    dispatcher: Arc<Dispatcher>,
    path: Arc<str>,
    body_limit: usize,
    handler_count: usize,
    #[cfg(feature = "auth")]
    user_auth: Option<crate::auth::UserAuth>,
}

impl fmt::Debug for Service {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Service")
            .field("dispatcher", &self.dispatcher)
            .field("path", &self.path)
            .field("body_limit", &self.body_limit)
            .finish()
    }
}

impl Service {
    pub(crate) fn new(
        dispatcher: Arc<Dispatcher>,
        path: String,
        body_limit: usize,
        handler_count: usize,
    ) -> Self {
        Self {
            dispatcher,
            path: path.into(),
            body_limit,
            handler_count,
            #[cfg(feature = "auth")]
            user_auth: None,
        }
    }

    #[cfg(feature = "auth")]
    pub(crate) fn with_user_auth(mut self, auth: crate::auth::UserAuth) -> Self {
        self.user_auth = Some(auth);
        self
    }

    /// The user sign-in configuration, when [`App::user_auth`](crate::App::user_auth) was used.
    #[cfg(feature = "auth")]
    pub fn user_auth(&self) -> Option<&crate::auth::UserAuth> {
        self.user_auth.as_ref()
    }

    /// How many handlers are served.
    pub fn handler_count(&self) -> usize {
        self.handler_count
    }

    /// The receiver path.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// The pipeline itself, for delivering without HTTP.
    pub fn dispatcher(&self) -> &Dispatcher {
        &self.dispatcher
    }

    /// Runs one delivery through the pipeline without HTTP (the body limit still applies).
    pub async fn dispatch(&self, headers: Headers, body: Bytes) -> Reply {
        if body.len() > self.body_limit {
            return payload_too_large();
        }
        self.dispatcher.dispatch(headers, body).await
    }

    /// Mounts the receiver (`POST {path}`, other methods `405`), `GET /health` and, with user
    /// sign-in, `GET /auth/login` and `GET /auth/callback` into an actix-web app.
    pub fn configure(&self, cfg: &mut web::ServiceConfig) {
        #[cfg(feature = "auth")]
        if let Some(auth) = &self.user_auth {
            let login = auth.clone();
            let callback = auth.clone();
            cfg.route(
                crate::auth::LOGIN_PATH,
                web::get().to(move |req: HttpRequest| {
                    let auth = login.clone();
                    async move { auth_page(auth.login(req.query_string(), &headers_of(&req))) }
                }),
            )
            .route(
                crate::auth::CALLBACK_PATH,
                web::get().to(move |req: HttpRequest| {
                    let auth = callback.clone();
                    async move {
                        auth_page(auth.callback(req.query_string(), &headers_of(&req)).await)
                    }
                }),
            );
        }
        let dispatcher = Arc::clone(&self.dispatcher);
        let limit = self.body_limit;
        cfg.service(
            web::resource(&*self.path)
                .route(
                    web::post().to(move |req: HttpRequest, payload: web::Payload| {
                        let dispatcher = Arc::clone(&dispatcher);
                        async move { receive(&dispatcher, limit, req, payload).await }
                    }),
                )
                .default_service(web::to(method_not_allowed)),
        )
        .service(
            web::resource(HEALTH_PATH)
                .route(web::get().to(health))
                .route(web::head().to(health)),
        );
    }

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
        let service = self.clone();
        let mut server = actix_web::HttpServer::new(move || {
            let service = service.clone();
            actix_web::App::new().configure(move |cfg| service.configure(cfg))
        })
        .disable_signals()
        .shutdown_timeout(shutdown_timeout.as_secs());
        if let Some(workers) = workers {
            server = server.workers(workers.max(1));
        }
        let server = server.bind(addr)?;
        let addrs = server.addrs();
        let server = server.run();
        let handle = server.handle();
        let task = tokio::spawn(server);
        let local_addr = addrs.first().copied().ok_or_else(|| {
            std::io::Error::new(std::io::ErrorKind::AddrNotAvailable, "no address bound")
        })?;
        tracing::info!(
            target: "frameio_kit::server",
            address = %local_addr,
            path = %self.path,
            handlers = self.handler_count,
            "frameio-kit listening on http://{local_addr}{} with {} handler(s)",
            self.path,
            self.handler_count
        );
        Ok(RunningServer {
            local_addr,
            path: Arc::clone(&self.path),
            handle,
            task,
        })
    }
}

/// A server started by [`Service::start`].
pub struct RunningServer {
    local_addr: SocketAddr,
    path: Arc<str>,
    handle: actix_web::dev::ServerHandle,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
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
    /// shutdown timeout). Not graceful: drop connections now.
    pub async fn stop(self, graceful: bool) -> std::io::Result<()> {
        self.handle.stop(graceful).await;
        self.join().await
    }

    async fn join(self) -> std::io::Result<()> {
        match self.task.await {
            Ok(result) => result,
            Err(err) => Err(std::io::Error::other(err)),
        }
    }

    /// Waits for SIGINT or SIGTERM, then shuts down gracefully.
    ///
    /// The signal handlers are installed when this is called; [`App::serve`](crate::App::serve)
    /// installs them before binding instead, so a signal during start-up is never lost.
    pub async fn run_until_signal(self) -> std::io::Result<()> {
        self.run_until(ShutdownSignals::install()).await
    }

    pub(crate) async fn run_until(self, signals: ShutdownSignals) -> std::io::Result<()> {
        signals.recv().await;
        tracing::info!(
            target: "frameio_kit::server",
            "shutdown signal received; finishing in-flight deliveries"
        );
        self.stop(true).await?;
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

    async fn recv(self) {
        #[cfg(unix)]
        if let Some((mut interrupt, mut terminate)) = self.streams {
            tokio::select! {
                _ = interrupt.recv() => {}
                _ = terminate.recv() => {}
            }
            return;
        }
        let _ = tokio::signal::ctrl_c().await;
    }
}

async fn receive(
    dispatcher: &Dispatcher,
    limit: usize,
    req: HttpRequest,
    mut payload: web::Payload,
) -> HttpResponse {
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|len| len > limit) {
        return to_response(payload_too_large());
    }
    // A small body usually arrives as one chunk: keep it as is (no copy) and only gather
    // into a buffer when a second chunk comes.
    let mut first: Option<Bytes> = None;
    let mut gathered: Option<BytesMut> = None;
    let mut received = 0_usize;
    while let Some(chunk) = payload.next().await {
        let Ok(chunk) = chunk else {
            return HttpResponse::BadRequest()
                .content_type(TEXT_PLAIN)
                .body("Invalid request body");
        };
        received += chunk.len();
        if received > limit {
            return to_response(payload_too_large());
        }
        if let Some(buffer) = &mut gathered {
            buffer.extend_from_slice(&chunk);
        } else if let Some(head) = first.take() {
            let mut buffer =
                BytesMut::with_capacity(declared.unwrap_or(received).clamp(received, limit));
            buffer.extend_from_slice(&head);
            buffer.extend_from_slice(&chunk);
            gathered = Some(buffer);
        } else {
            first = Some(chunk);
        }
    }
    let body = match (gathered, first) {
        (Some(buffer), _) => buffer.freeze(),
        (None, Some(chunk)) => chunk,
        (None, None) => Bytes::new(),
    };
    to_response(dispatcher.dispatch(headers_of(&req), body).await)
}

fn headers_of(req: &HttpRequest) -> Headers {
    let bytes = req
        .headers()
        .iter()
        .map(|(name, value)| name.as_str().len() + value.len())
        .sum();
    let mut headers = Headers::with_capacity(req.headers().len(), bytes);
    for (name, value) in req.headers() {
        headers.insert(name.as_str(), value.as_bytes());
    }
    headers
}

#[cfg(feature = "auth")]
fn auth_page(page: crate::auth::AuthPage) -> HttpResponse {
    let status = actix_web::http::StatusCode::from_u16(page.status)
        .unwrap_or(actix_web::http::StatusCode::INTERNAL_SERVER_ERROR);
    let mut response = HttpResponse::build(status);
    response.insert_header((header::CACHE_CONTROL, "no-store"));
    if let Some(location) = page.location {
        response.insert_header((header::LOCATION, location));
    }
    response
        .content_type("text/html; charset=utf-8")
        .body(page.html)
}

fn payload_too_large() -> Reply {
    Reply::from_parts(413, TEXT_PLAIN, Bytes::from_static(b"Payload too large."))
}

fn to_response(reply: Reply) -> HttpResponse {
    let status = actix_web::http::StatusCode::from_u16(reply.status())
        .unwrap_or(actix_web::http::StatusCode::INTERNAL_SERVER_ERROR);
    HttpResponse::build(status)
        .insert_header((
            header::CONTENT_TYPE,
            HeaderValue::from_static(reply.content_type()),
        ))
        .body(reply.body().clone())
}

async fn method_not_allowed() -> HttpResponse {
    HttpResponse::MethodNotAllowed()
        .insert_header((header::ALLOW, HeaderValue::from_static("POST")))
        .finish()
}

async fn health() -> HttpResponse {
    HttpResponse::Ok().content_type(TEXT_PLAIN).body("OK")
}

/// Installs a `fmt` subscriber filtered by `RUST_LOG` (default `info`) unless one is set.
pub(crate) fn init_logging() {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt().with_env_filter(filter).try_init();
}
