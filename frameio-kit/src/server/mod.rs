//! The actix-web adapter: moves bytes between HTTP and the [`Dispatcher`]. It owns the
//! method check (`405`), the body limit (`413`), the body read deadline (`408`),
//! `GET /health` and graceful shutdown; every business rule lives in
//! [`dispatch`](crate::dispatch).
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
//!
//! Mounted that way, the connection-level protections are the host server's business: the
//! server [`Service::start`] and [`App::serve`](crate::App::serve) run also refuses an
//! oversized body announced with `Expect: 100-continue` before inviting it, and caps the
//! number of open connections below the process's file-descriptor limit.

mod run;

use std::fmt;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::Poll;
use std::time::Duration;

use actix_web::dev::RequestHead;
use actix_web::http::header::{self, HeaderMap, HeaderValue};
use actix_web::{HttpRequest, HttpResponse, web};
use bytes::{Bytes, BytesMut};
use futures_util::{Stream, StreamExt};

use crate::dispatch::{Dispatcher, Reply, TEXT_PLAIN};
use crate::handler::Headers;

pub use run::RunningServer;
pub(crate) use run::{ShutdownSignals, init_logging};

/// The metrics path, served when [`Service::metrics`] (or [`App::metrics`](crate::App::metrics))
/// is set.
#[cfg(feature = "metrics")]
pub const METRICS_PATH: &str = "/metrics";

/// The health-check path (`GET` → `200 OK`).
pub const HEALTH_PATH: &str = "/health";

/// Default time a delivery's body may take to arrive once its headers are in: 10 s.
pub const DEFAULT_BODY_READ_TIMEOUT: Duration = Duration::from_secs(10);

/// A validated, ready-to-serve application (from [`App::build`](crate::App::build)).
/// Cheap to clone: everything is shared.
#[derive(Clone)]
pub struct Service {
    dispatcher: Arc<Dispatcher>,
    path: Arc<str>,
    body_limit: usize,
    body_read_timeout: Duration,
    max_connections: Option<usize>,
    handler_count: usize,
    /// Deliveries in flight, for the shutdown log.
    flight: Arc<Flight>,
    #[cfg(feature = "auth")]
    user_auth: Option<crate::auth::UserAuth>,
    #[cfg(feature = "metrics")]
    metrics: Option<crate::telemetry::metrics::PrometheusHandle>,
    /// The manifest served at `GET /_frameio-kit/manifest`, when the operator asked for it.
    dev_manifest: Option<Arc<crate::manifest::Manifest>>,
    /// The install pages, from [`App::install`](crate::App::install).
    #[cfg(feature = "install")]
    install: Option<crate::install::Install>,
}

impl fmt::Debug for Service {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Service")
            .field("dispatcher", &self.dispatcher)
            .field("path", &self.path)
            .field("body_limit", &self.body_limit)
            .field("body_read_timeout", &self.body_read_timeout)
            .field("max_connections", &self.max_connections)
            .finish_non_exhaustive()
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
            body_read_timeout: DEFAULT_BODY_READ_TIMEOUT,
            max_connections: None,
            handler_count,
            flight: Arc::default(),
            #[cfg(feature = "auth")]
            user_auth: None,
            #[cfg(feature = "metrics")]
            metrics: None,
            dev_manifest: None,
            #[cfg(feature = "install")]
            install: None,
        }
    }

    #[cfg(feature = "install")]
    pub(crate) fn with_install(mut self, install: Option<crate::install::Install>) -> Self {
        self.install = install;
        self
    }

    /// Serves `manifest` at [`DEV_ROUTE_PATH`](crate::manifest::DEV_ROUTE_PATH) (set by
    /// `App::build` when [`DEV_ROUTE_ENV`](crate::manifest::DEV_ROUTE_ENV) asks for it).
    pub(crate) fn dev_manifest(mut self, manifest: Option<crate::manifest::Manifest>) -> Self {
        self.dev_manifest = manifest.map(Arc::new);
        self
    }

    #[cfg(feature = "auth")]
    pub(crate) fn with_user_auth(mut self, auth: crate::auth::UserAuth) -> Self {
        self.user_auth = Some(auth);
        self
    }

    /// Serves `handle`'s metrics at `GET /metrics` ([`METRICS_PATH`]).
    #[cfg(feature = "metrics")]
    #[must_use]
    pub fn metrics(mut self, handle: crate::telemetry::metrics::PrometheusHandle) -> Self {
        self.metrics = Some(handle);
        self
    }

    /// How long a delivery's body may take to arrive once its headers are in (default
    /// [`DEFAULT_BODY_READ_TIMEOUT`]); a slower one is answered `408 Request timeout.` and
    /// its connection closed. (Slow headers are cut at 5 s by actix-web.)
    #[must_use]
    pub fn body_read_timeout(mut self, timeout: Duration) -> Self {
        self.body_read_timeout = timeout;
        self
    }

    /// The most connections the server started by [`Service::start`] or
    /// [`App::serve`](crate::App::serve) keeps open at once; more wait in the listen
    /// backlog. Defaults to a tenth below the process's open-file limit (`ulimit -n`), so
    /// idle or stalled clients can never use up the file descriptors.
    #[must_use]
    pub fn max_connections(mut self, connections: usize) -> Self {
        self.max_connections = Some(connections.max(1));
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
    ///
    /// (Not an `async fn`, so the future is the dispatcher's own, without a second copy of
    /// the headers and body in its state.)
    pub fn dispatch(
        &self,
        headers: Headers,
        body: Bytes,
    ) -> impl std::future::Future<Output = Reply> + Send + '_ {
        use futures_util::future::{Either, ready};
        if body.len() > self.body_limit {
            return Either::Left(ready(Reply::payload_too_large()));
        }
        Either::Right(self.dispatcher.dispatch(headers, body))
    }

    /// Mounts the receiver (`POST {path}`, other methods `405`), `GET /health` and, with user
    /// sign-in, `GET /auth/login` and `GET /auth/callback` into an actix-web app.
    pub fn configure(&self, cfg: &mut web::ServiceConfig) {
        #[cfg(feature = "metrics")]
        if let Some(handle) = &self.metrics {
            let handle = handle.clone();
            cfg.route(
                METRICS_PATH,
                web::get().to(move || {
                    let body = handle.render();
                    async move {
                        HttpResponse::Ok()
                            .content_type("text/plain; version=0.0.4; charset=utf-8")
                            .body(body)
                    }
                }),
            );
        }
        if let Some(manifest) = &self.dev_manifest {
            manifest.configure_dev_route(cfg);
        }
        #[cfg(feature = "install")]
        if let Some(install) = &self.install {
            install.configure(cfg);
        }
        #[cfg(feature = "auth")]
        if let Some(auth) = &self.user_auth {
            let login = auth.clone();
            let callback = auth.clone();
            cfg.route(
                crate::auth::LOGIN_PATH,
                web::get().to(move |req: HttpRequest| {
                    let auth = login.clone();
                    async move {
                        let headers = headers_of(&req);
                        let peer = req.peer_addr().map(|a| a.ip());
                        auth_page(auth.login_request(crate::auth::AuthRequest::new(
                            req.path(),
                            req.query_string(),
                            &headers,
                            peer,
                        )))
                    }
                }),
            )
            .route(
                crate::auth::CALLBACK_PATH,
                web::get().to(move |req: HttpRequest| {
                    let auth = callback.clone();
                    async move {
                        let headers = headers_of(&req);
                        let peer = req.peer_addr().map(|a| a.ip());
                        let request = crate::auth::AuthRequest::new(
                            req.path(),
                            req.query_string(),
                            &headers,
                            peer,
                        );
                        auth_page(auth.callback_request(request).await)
                    }
                }),
            );
        }
        // One per worker (each calls `configure`): the per-request clone and the in-flight
        // count touch no cache line another worker writes.
        let worker = Arc::new(Receiver::new(self));
        cfg.service(
            web::resource(&*self.path)
                .route(
                    web::post().to(move |req: HttpRequest, payload: web::Payload| {
                        let worker = Arc::clone(&worker);
                        async move { worker.receive(req.head(), payload).await }
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

    /// One delivery over HTTP: read the body (within the limit and the deadline), dispatch it.
    /// `head` is the request's; `payload` its body.
    async fn receive<S, E>(
        &self,
        in_flight: &AtomicUsize,
        head: &RequestHead,
        payload: S,
    ) -> HttpResponse
    where
        S: Stream<Item = Result<Bytes, E>> + Unpin,
    {
        let mut watch = InFlight::new(&self.flight, in_flight);
        let mut read = std::pin::pin!(read_body(&head.headers, payload, self.body_limit));
        // A normal delivery's body has arrived with its headers: only start the deadline's
        // timer when it has not.
        let first = std::future::poll_fn(|cx| Poll::Ready(read.as_mut().poll(cx))).await;
        let read = match first {
            Poll::Ready(read) => Some(read),
            Poll::Pending => {
                // The body usually sits in the same read buffer as the headers, and actix
                // feeds it to the payload just after this first poll. Be polled once more
                // (waking ourselves is free when that feed already woke the task) and arm the
                // deadline's timer only for a body that is still missing then.
                let mut yielded = false;
                std::future::poll_fn(|cx| {
                    if std::mem::replace(&mut yielded, true) {
                        Poll::Ready(())
                    } else {
                        cx.waker().wake_by_ref();
                        Poll::Pending
                    }
                })
                .await;
                match std::future::poll_fn(|cx| Poll::Ready(read.as_mut().poll(cx))).await {
                    Poll::Ready(read) => Some(read),
                    Poll::Pending => actix_web::rt::time::timeout(self.body_read_timeout, read)
                        .await
                        .ok(),
                }
            }
        };
        let reply = match read {
            Some(Ok(body)) => {
                let peer = head.peer_addr.map(|a| a.ip());
                let dispatch =
                    self.dispatcher
                        .dispatch_from(headers_of_map(&head.headers), body, peer);
                // The sign-in link follows the `web::scope` the service is mounted in. Mounted
                // at the root, the request path is the receiver path: no scope to set (what
                // the sign-in step reads when none is set), and no task-local per delivery.
                #[cfg(feature = "auth")]
                if self.user_auth.is_some() && head.uri.path() != &*self.path {
                    return self.answer(
                        &mut watch,
                        crate::auth::signin::within_scope(head.uri.path(), &self.path, dispatch)
                            .await,
                    );
                }
                dispatch.await
            }
            Some(Err(refusal)) => refusal,
            None => {
                tracing::debug!(
                    target: "frameio_kit::server",
                    timeout_ms = u64::try_from(self.body_read_timeout.as_millis()).unwrap_or(u64::MAX),
                    "request body not received in time: 408"
                );
                Reply::request_timeout()
            }
        };
        self.answer(&mut watch, reply)
    }

    /// The HTTP answer to a delivery.
    fn answer(&self, watch: &mut InFlight<'_>, reply: Reply) -> HttpResponse {
        watch.answered = true;
        let mut response = to_response(reply);
        if response.status() == actix_web::http::StatusCode::REQUEST_TIMEOUT {
            // The rest of the body may never come: do not wait for it on this connection.
            response
                .head_mut()
                .set_connection_type(actix_web::http::ConnectionType::Close);
        }
        response
    }
}

/// One worker's receiver: the service and the worker's own in-flight count (so counting
/// touches no cache line another worker writes). Reached through actix-web's router when
/// mounted with [`Service::configure`], straight from actix-http in the server
/// [`Service::start`] runs.
pub(crate) struct Receiver {
    service: Service,
    in_flight: Arc<AtomicUsize>,
}

impl Receiver {
    pub(crate) fn new(service: &Service) -> Self {
        Self {
            service: service.clone(),
            in_flight: service.flight.worker_counter(),
        }
    }

    /// The receiver path.
    pub(crate) fn path(&self) -> &str {
        &self.service.path
    }

    /// One delivery: see [`Service::receive`].
    pub(crate) async fn receive<S, E>(&self, head: &RequestHead, payload: S) -> HttpResponse
    where
        S: Stream<Item = Result<Bytes, E>> + Unpin,
    {
        self.service.receive(&self.in_flight, head, payload).await
    }
}

/// Deliveries in flight and those cut off unanswered by a stop.
#[derive(Debug, Default)]
pub(crate) struct Flight {
    /// Set when a stop begins.
    stopping: AtomicBool,
    /// One in-flight count per worker.
    in_flight: Mutex<Vec<Arc<AtomicUsize>>>,
    cut_off: AtomicUsize,
}

impl Flight {
    /// A new worker's in-flight count.
    fn worker_counter(&self) -> Arc<AtomicUsize> {
        let counter = Arc::new(AtomicUsize::new(0));
        if let Ok(mut counters) = self.in_flight.lock() {
            counters.push(Arc::clone(&counter));
        }
        counter
    }

    fn in_flight(&self) -> usize {
        self.in_flight.lock().map_or(0, |counters| {
            counters.iter().map(|c| c.load(Ordering::SeqCst)).sum()
        })
    }

    pub(crate) fn begin_stop(&self) {
        self.stopping.store(true, Ordering::SeqCst);
    }

    /// Logs the deliveries a stop cut off before they were answered: those dropped during the
    /// stop and those still in flight after it.
    pub(crate) fn report_cut_off(&self) {
        let cut = self.cut_off.load(Ordering::SeqCst) + self.in_flight();
        if cut > 0 {
            tracing::warn!(
                target: "frameio_kit::server",
                deliveries = cut,
                "{cut} delivery(ies) cut off unanswered by the shutdown (shutdown timeout or \
                 second signal); Frame.io will retry them"
            );
        }
    }
}

/// One delivery in flight; dropping it unanswered counts it as cut off (during a stop) or
/// logs that the client went away.
struct InFlight<'a> {
    flight: &'a Flight,
    counter: &'a AtomicUsize,
    answered: bool,
}

impl<'a> InFlight<'a> {
    fn new(flight: &'a Flight, counter: &'a AtomicUsize) -> Self {
        counter.fetch_add(1, Ordering::Relaxed);
        Self {
            flight,
            counter,
            answered: false,
        }
    }
}

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        if !self.answered {
            if self.flight.stopping.load(Ordering::SeqCst) {
                self.flight.cut_off.fetch_add(1, Ordering::SeqCst);
            } else {
                tracing::debug!(
                    target: "frameio_kit::server",
                    "delivery abandoned unanswered: the client went away"
                );
            }
        }
        self.counter.fetch_sub(1, Ordering::Release);
    }
}

/// Reads a request body up to `limit` bytes (413 beyond, announced or not).
async fn read_body<S, E>(headers: &HeaderMap, mut payload: S, limit: usize) -> Result<Bytes, Reply>
where
    S: Stream<Item = Result<Bytes, E>> + Unpin,
{
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|len| len > limit) {
        return Err(too_large(declared));
    }
    // A small body usually arrives as one chunk: keep it as is (no copy) and only gather
    // into a buffer when a second chunk comes.
    let mut first: Option<Bytes> = None;
    let mut gathered: Option<BytesMut> = None;
    let mut received = 0_usize;
    while let Some(chunk) = payload.next().await {
        let Ok(chunk) = chunk else {
            tracing::debug!(target: "frameio_kit::server", "request body could not be read: 400");
            return Err(Reply::text(400, "Invalid request body"));
        };
        received += chunk.len();
        if received > limit {
            return Err(too_large(None));
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
    Ok(match (gathered, first) {
        (Some(buffer), _) => buffer.freeze(),
        (None, Some(chunk)) => chunk,
        (None, None) => Bytes::new(),
    })
}

/// The 413 answer, with its debug line.
fn too_large(declared: Option<usize>) -> Reply {
    tracing::debug!(target: "frameio_kit::server", declared, "request body over the limit: 413");
    Reply::payload_too_large()
}

#[cfg(feature = "auth")]
fn headers_of(req: &HttpRequest) -> Headers {
    headers_of_map(req.headers())
}

fn headers_of_map(map: &HeaderMap) -> Headers {
    // One pass: sized by the number of names (known without walking the map), growing if
    // the headers are longer than usual.
    let mut headers = Headers::for_count(map.len_keys());
    for (name, value) in map {
        // `HeaderName`s are lower-case already.
        headers.insert_lowercase(name.as_str(), value.as_bytes());
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

pub(crate) fn to_response(reply: Reply) -> HttpResponse {
    let status = actix_web::http::StatusCode::from_u16(reply.status())
        .unwrap_or(actix_web::http::StatusCode::INTERNAL_SERVER_ERROR);
    HttpResponse::build(status)
        .insert_header((
            header::CONTENT_TYPE,
            HeaderValue::from_static(reply.content_type()),
        ))
        .body(reply.into_body())
}

async fn method_not_allowed(req: HttpRequest) -> HttpResponse {
    tracing::debug!(
        target: "frameio_kit::server",
        method = %req.method(), path = req.path(), "method not allowed: 405"
    );
    HttpResponse::MethodNotAllowed()
        .insert_header((header::ALLOW, HeaderValue::from_static("POST")))
        .finish()
}

async fn health() -> HttpResponse {
    HttpResponse::Ok().content_type(TEXT_PLAIN).body("OK")
}
