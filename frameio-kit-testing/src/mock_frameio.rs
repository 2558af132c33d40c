//! A mock Frame.io API served over real local HTTP.
//!
//! [`MockFrameio::start`] binds `127.0.0.1` on an ephemeral port and serves:
//!
//! - **API routes** (`/v4/…`) that a test programs with [`MockFrameio::on`]: queued responses
//!   (the last one repeats), paginated lists with `links.next`, and routes that require
//!   `api-version: experimental`. Every API request must carry `Authorization: Bearer <token>`
//!   with the configured token (else 401), and a `POST`/`PATCH`/`PUT` JSON body must be
//!   wrapped as `{"data": …}` (else 422), except on routes marked
//!   [`unwrapped_body`](RouteBuilder::unwrapped_body). An unmatched route answers 404. Error bodies use
//!   Frame.io's `{"errors": [{"title", "detail", "source": {"pointer"}}]}` shape.
//! - **A presigned upload host**: `PUT /upload/{name}` (see [`MockFrameio::upload_url`])
//!   stores the bytes and rejects any request that carries an `Authorization` header.
//! - **A download host**: `GET /download/{name}` serves bytes registered with
//!   [`MockFrameio::serve_download`], also refusing an `Authorization` header.
//!
//! Every request, accepted or not, is recorded ([`MockFrameio::requests`]).
//!
//! Optional behaviours: a Frame.io-style leaky-bucket **rate limit** on the API routes
//! ([`MockFrameio::rate_limit`]: `x-ratelimit-*` headers on every answer, 429 when the
//! bucket is empty), and **slow uploads** with a log of when each part `PUT` started and
//! finished ([`MockFrameio::delay_uploads`], [`MockFrameio::upload_log`]), to check that
//! parts travel in parallel.
//!
//! ```
//! use frameio_kit_testing::mock_frameio::{Method, MockFrameio, MockResponse};
//! use serde_json::json;
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> std::io::Result<()> {
//! let mock = MockFrameio::start().await?;
//! mock.on(Method::GET, "/v4/accounts/{account_id}/projects/{project_id}")
//!     .respond_with(MockResponse::new(429).header("retry-after", "1"))
//!     .respond(200, json!({"data": {"id": "p1", "name": "Trailer"}}));
//! // point the client at mock.base_url() with mock.token() …
//! assert!(mock.base_url().starts_with("http://127.0.0.1:"));
//! # Ok(()) }
//! ```

use std::collections::{HashMap, VecDeque};
use std::net::TcpListener;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use actix_web::dev::ServerHandle;
use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use bytes::Bytes;
use serde_json::{Value, json};

pub use actix_web::http::Method;

/// Token the mock accepts unless another one is given to [`MockFrameio::start_with_token`].
pub const DEFAULT_TOKEN: &str = "test-token";

/// A programmed response.
#[derive(Debug, Clone, PartialEq)]
pub struct MockResponse {
    status: u16,
    headers: Vec<(String, String)>,
    body: Option<Value>,
}

impl MockResponse {
    /// A response with `status` and no body.
    pub fn new(status: u16) -> Self {
        Self {
            status,
            headers: Vec::new(),
            body: None,
        }
    }

    /// A response with `status` and a JSON body.
    pub fn json(status: u16, body: Value) -> Self {
        Self {
            body: Some(body),
            ..Self::new(status)
        }
    }

    /// A response with `status` and the body `{"data": data}`.
    pub fn data(status: u16, data: Value) -> Self {
        Self::json(status, json!({ "data": data }))
    }

    /// A Frame.io style error body with one entry.
    pub fn error(status: u16, title: &str, detail: &str) -> Self {
        Self::json(status, error_body(title, detail, None))
    }

    /// Add a response header.
    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }

    fn into_http(self) -> HttpResponse {
        let status = actix_web::http::StatusCode::from_u16(self.status)
            .unwrap_or(actix_web::http::StatusCode::INTERNAL_SERVER_ERROR);
        let mut builder = HttpResponse::build(status);
        for (name, value) in &self.headers {
            builder.append_header((name.as_str(), value.as_str()));
        }
        match self.body {
            Some(body) => builder.json(body),
            None => builder.finish(),
        }
    }
}

fn error_body(title: &str, detail: &str, pointer: Option<&str>) -> Value {
    let mut entry = json!({ "title": title, "detail": detail });
    if let Some(p) = pointer {
        entry["source"] = json!({ "pointer": p });
    }
    json!({ "errors": [entry] })
}

/// One request received by the mock.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct RecordedRequest {
    /// HTTP method.
    pub method: Method,
    /// Path, percent-encoded as received.
    pub path: String,
    /// Decoded query parameters in order.
    pub query: Vec<(String, String)>,
    /// Headers with lowercase names.
    pub headers: Vec<(String, String)>,
    /// Raw body.
    pub body: Bytes,
}

impl RecordedRequest {
    /// First value of a header (name is case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        let name = name.to_ascii_lowercase();
        self.headers
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.as_str())
    }

    /// First value of a query parameter.
    pub fn query_value(&self, key: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// The body parsed as JSON, if it is JSON.
    pub fn json(&self) -> Option<Value> {
        serde_json::from_slice(&self.body).ok()
    }
}

#[derive(Debug)]
struct PagedList {
    items: Vec<Value>,
    page_size: usize,
}

#[derive(Debug)]
struct Route {
    method: Method,
    pattern: Vec<String>,
    experimental: bool,
    unwrapped_body: bool,
    queue: VecDeque<MockResponse>,
    list: Option<PagedList>,
}

impl Route {
    fn matches(&self, method: &Method, path: &str) -> bool {
        if self.method != *method {
            return false;
        }
        let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
        segments.len() == self.pattern.len()
            && self
                .pattern
                .iter()
                .zip(&segments)
                .all(|(p, s)| (p.starts_with('{') && p.ends_with('}')) || p == s)
    }
}

/// Decides whether a bearer token (other than the configured one) is accepted.
#[derive(Clone)]
struct TokenCheck(Arc<dyn Fn(&str) -> bool + Send + Sync>);

impl std::fmt::Debug for TokenCheck {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TokenCheck")
    }
}

#[derive(Debug, Default)]
struct State {
    token: String,
    extra_tokens: Option<TokenCheck>,
    routes: Vec<Route>,
    requests: Vec<RecordedRequest>,
    uploads: HashMap<String, Bytes>,
    downloads: HashMap<String, Bytes>,
    rate_limit: Option<RateLimit>,
    upload_delay: Option<Duration>,
    upload_log: Vec<UploadTiming>,
    resources: crate::mock_frameio_state::Resources,
}

/// Leaky bucket per bearer token, like Frame.io's.
#[derive(Debug)]
struct RateLimit {
    limit: u64,
    window: Duration,
    buckets: HashMap<String, (f64, Instant)>,
    rejected: usize,
}

impl RateLimit {
    /// Take one unit for `token`; returns the units left, or `None` when the bucket is empty.
    fn take(&mut self, token: &str) -> Option<u64> {
        let now = Instant::now();
        let rate = self.limit as f64 / self.window.as_secs_f64().max(1e-9);
        let limit = self.limit as f64;
        let (level, at) = self.buckets.entry(token.to_owned()).or_insert((limit, now));
        *level = (*level + now.duration_since(*at).as_secs_f64() * rate).min(limit);
        *at = now;
        if *level >= 1.0 {
            *level -= 1.0;
            Some(level.floor() as u64)
        } else {
            self.rejected += 1;
            None
        }
    }
}

/// When one presigned part `PUT` was received and answered (see [`MockFrameio::upload_log`]).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct UploadTiming {
    /// The part name (`/upload/{name}`).
    pub name: String,
    /// When the request head arrived, before its body was read.
    pub started: Instant,
    /// When the answer was sent.
    pub finished: Instant,
    /// Bytes received.
    pub len: usize,
}

type Shared = Arc<Mutex<State>>;

fn lock(state: &Shared) -> MutexGuard<'_, State> {
    state.lock().unwrap_or_else(|e| e.into_inner())
}

/// A running mock Frame.io server; stopped when dropped.
#[derive(Debug)]
pub struct MockFrameio {
    state: Shared,
    base_url: String,
    handle: ServerHandle,
}

impl MockFrameio {
    /// Start a server that accepts the token [`DEFAULT_TOKEN`].
    pub async fn start() -> std::io::Result<Self> {
        Self::start_with_token(DEFAULT_TOKEN).await
    }

    /// Start a server that accepts `token`.
    pub async fn start_with_token(token: &str) -> std::io::Result<Self> {
        let state: Shared = Arc::new(Mutex::new(State {
            token: token.to_owned(),
            ..State::default()
        }));
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let addr = listener.local_addr()?;
        let (tx, rx) = tokio::sync::oneshot::channel::<std::io::Result<ServerHandle>>();
        let app_state = state.clone();
        std::thread::Builder::new()
            .name("mock-frameio".into())
            .spawn(move || {
                let system = actix_rt::System::new();
                system.block_on(async move {
                    let built = HttpServer::new(move || {
                        App::new()
                            .app_data(web::Data::new(app_state.clone()))
                            .app_data(web::PayloadConfig::new(256 * 1024 * 1024))
                            .default_service(web::to(handle))
                    })
                    .workers(1)
                    .disable_signals()
                    .listen(listener);
                    match built {
                        Ok(server) => {
                            let server = server.run();
                            let _ = tx.send(Ok(server.handle()));
                            let _ = server.await;
                        }
                        Err(e) => {
                            let _ = tx.send(Err(e));
                        }
                    }
                });
            })?;
        let handle = rx
            .await
            .map_err(|_| std::io::Error::other("mock server thread stopped"))??;
        Ok(Self {
            state,
            base_url: format!("http://{addr}"),
            handle,
        })
    }

    pub(crate) fn with_resources<R>(
        &self,
        f: impl FnOnce(&mut crate::mock_frameio_state::Resources) -> R,
    ) -> R {
        f(&mut lock(&self.state).resources)
    }

    /// `http://127.0.0.1:<port>`, to use as the client's base URL.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// Also accepts every bearer token `check` approves — for example the access tokens a
    /// `MockIms` issued (`move |t| ims.is_access_token_valid(t)`), so user tokens obtained
    /// through a sign-in work against this mock like against Frame.io.
    pub fn accept_tokens(&self, check: impl Fn(&str) -> bool + Send + Sync + 'static) {
        lock(&self.state).extra_tokens = Some(TokenCheck(Arc::new(check)));
    }

    /// The bearer token the mock accepts.
    pub fn token(&self) -> String {
        lock(&self.state).token.clone()
    }

    /// Program a route. `path` may contain `{placeholders}` that match one segment. The most
    /// recently registered matching route wins.
    pub fn on(&self, method: Method, path: &str) -> RouteBuilder<'_> {
        let pattern = path
            .trim_matches('/')
            .split('/')
            .map(str::to_owned)
            .collect();
        let mut state = lock(&self.state);
        state.routes.push(Route {
            method,
            pattern,
            experimental: false,
            unwrapped_body: false,
            queue: VecDeque::new(),
            list: None,
        });
        RouteBuilder {
            mock: self,
            index: state.routes.len() - 1,
        }
    }

    /// Presigned-style URL for an upload part named `name` (served by this mock).
    pub fn upload_url(&self, name: &str) -> String {
        format!("{}/upload/{name}", self.base_url)
    }

    /// Bytes received by `PUT /upload/{name}`.
    pub fn uploaded(&self, name: &str) -> Option<Bytes> {
        lock(&self.state).uploads.get(name).cloned()
    }

    /// Serve `bytes` at `GET /download/{name}` and return that URL.
    pub fn serve_download(&self, name: &str, bytes: impl Into<Bytes>) -> String {
        lock(&self.state)
            .downloads
            .insert(name.to_owned(), bytes.into());
        format!("{}/download/{name}", self.base_url)
    }

    /// Every request received so far, in order.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        lock(&self.state).requests.clone()
    }

    /// Requests received with `method` on a path matching `pattern` (same syntax as
    /// [`on`](Self::on)).
    pub fn requests_to(&self, method: Method, pattern: &str) -> Vec<RecordedRequest> {
        let route = Route {
            method: method.clone(),
            pattern: pattern
                .trim_matches('/')
                .split('/')
                .map(str::to_owned)
                .collect(),
            experimental: false,
            unwrapped_body: false,
            queue: VecDeque::new(),
            list: None,
        };
        lock(&self.state)
            .requests
            .iter()
            .filter(|r| route.matches(&r.method, &r.path))
            .cloned()
            .collect()
    }

    /// Forget recorded requests.
    pub fn clear_requests(&self) {
        lock(&self.state).requests.clear();
    }

    /// Rate-limit the API routes like Frame.io: a leaky bucket per bearer token holding
    /// `limit` requests and refilling at `limit` per `window`. Every API answer carries
    /// `x-ratelimit-limit`, `x-ratelimit-remaining` and `x-ratelimit-window` (milliseconds);
    /// a request that finds the bucket empty gets 429 with `Retry-After` and is counted in
    /// [`rate_limited`](Self::rate_limited).
    pub fn rate_limit(&self, limit: u64, window: Duration) {
        lock(&self.state).rate_limit = Some(RateLimit {
            limit: limit.max(1),
            window,
            buckets: HashMap::new(),
            rejected: 0,
        });
    }

    /// How many requests the rate limit answered with 429.
    pub fn rate_limited(&self) -> usize {
        lock(&self.state)
            .rate_limit
            .as_ref()
            .map_or(0, |r| r.rejected)
    }

    /// Hold every presigned part `PUT` for `delay` after its body arrived, before answering.
    pub fn delay_uploads(&self, delay: Duration) {
        lock(&self.state).upload_delay = Some(delay);
    }

    /// Start and end times of every accepted part `PUT`, in the order they finished.
    pub fn upload_log(&self) -> Vec<UploadTiming> {
        lock(&self.state).upload_log.clone()
    }
}

impl Drop for MockFrameio {
    fn drop(&mut self) {
        // `stop` sends the command immediately; the returned future only awaits completion.
        drop(self.handle.stop(false));
    }
}

/// Programs one route; returned by [`MockFrameio::on`].
#[derive(Debug)]
pub struct RouteBuilder<'a> {
    mock: &'a MockFrameio,
    index: usize,
}

impl RouteBuilder<'_> {
    fn with_route(self, f: impl FnOnce(&mut Route)) -> Self {
        {
            let mut state = lock(&self.mock.state);
            if let Some(route) = state.routes.get_mut(self.index) {
                f(route);
            }
        }
        self
    }

    /// Queue a JSON response. Responses are served in order; the last one repeats.
    pub fn respond(self, status: u16, body: Value) -> Self {
        self.respond_with(MockResponse::json(status, body))
    }

    /// Queue a response `{"data": data}`.
    pub fn respond_data(self, status: u16, data: Value) -> Self {
        self.respond_with(MockResponse::data(status, data))
    }

    /// Queue any response.
    pub fn respond_with(self, response: MockResponse) -> Self {
        self.with_route(|r| r.queue.push_back(response))
    }

    /// Serve `items` as a paginated list: pages of `page_size` (or the request's `page_size`),
    /// `links.next` carrying only an `after` cursor, and `total_count` when the request has
    /// `include_total_count=true`. Queued responses, if any, are served first.
    pub fn paginate(self, items: Vec<Value>, page_size: usize) -> Self {
        self.with_route(|r| {
            r.list = Some(PagedList {
                items,
                page_size: page_size.max(1),
            })
        })
    }

    /// Require `api-version: experimental` on this route (else 400).
    pub fn experimental(self) -> Self {
        self.with_route(|r| r.experimental = true)
    }

    /// This route takes a JSON body that is *not* wrapped in `data` (like `POST …/search`):
    /// a body with a top-level `data` member is rejected with 422 instead.
    pub fn unwrapped_body(self) -> Self {
        self.with_route(|r| r.unwrapped_body = true)
    }
}

fn record(req: &HttpRequest, body: &Bytes) -> RecordedRequest {
    let query = url_pairs(req.query_string());
    let headers = req
        .headers()
        .iter()
        .map(|(n, v)| {
            (
                n.as_str().to_ascii_lowercase(),
                String::from_utf8_lossy(v.as_bytes()).into_owned(),
            )
        })
        .collect();
    RecordedRequest {
        method: req.method().clone(),
        path: req.path().to_owned(),
        query,
        headers,
        body: body.clone(),
    }
}

fn url_pairs(query: &str) -> Vec<(String, String)> {
    web::Query::<Vec<(String, String)>>::from_query(query)
        .map(|q| q.into_inner())
        .unwrap_or_default()
}

fn json_response(status: u16, body: Value) -> HttpResponse {
    MockResponse::json(status, body).into_http()
}

async fn handle(req: HttpRequest, payload: web::Payload, state: web::Data<Shared>) -> HttpResponse {
    let started = Instant::now();
    let body = match payload.to_bytes_limited(MAX_BODY).await {
        Ok(Ok(body)) => body,
        Ok(Err(e)) => {
            return json_response(
                400,
                error_body("Bad Request", &format!("unreadable body: {e}"), None),
            );
        }
        Err(_) => return json_response(413, error_body("Too Large", "body too large", None)),
    };
    if req.path().starts_with("/upload/") && req.method() == Method::PUT {
        let delay = lock(&state).upload_delay;
        if let Some(d) = delay {
            actix_rt::time::sleep(d).await;
        }
    }
    let response = answer(&req, &body, &state);
    if response.status().is_success()
        && req.method() == Method::PUT
        && let Some(name) = req.path().strip_prefix("/upload/")
    {
        lock(&state).upload_log.push(UploadTiming {
            name: name.to_owned(),
            started,
            finished: Instant::now(),
            len: body.len(),
        });
    }
    response
}

/// Largest request body the mock accepts.
const MAX_BODY: usize = 256 * 1024 * 1024;

fn answer(req: &HttpRequest, body: &Bytes, state: &Shared) -> HttpResponse {
    let recorded = record(req, body);
    let mut st = lock(state);
    st.requests.push(recorded.clone());
    let path = req.path().to_owned();
    let method = req.method().clone();
    let has_auth = recorded.header("authorization").is_some();

    let route_index = st.routes.iter().rposition(|r| r.matches(&method, &path));

    // Storage host: presigned uploads and downloads never carry the bearer token.
    if let Some(name) = path.strip_prefix("/upload/") {
        if has_auth {
            return json_response(
                403,
                error_body(
                    "Forbidden",
                    "storage requests must not carry Authorization",
                    None,
                ),
            );
        }
        if method == Method::PUT {
            let queued = route_index.and_then(|i| next_queued(&mut st.routes[i]));
            if let Some(resp) = queued.filter(|r| r.status >= 300) {
                return resp.into_http();
            }
            st.uploads.insert(name.to_owned(), recorded.body.clone());
            return HttpResponse::Ok().finish();
        }
    }
    if let Some(name) = path.strip_prefix("/download/") {
        if has_auth {
            return json_response(
                403,
                error_body(
                    "Forbidden",
                    "storage requests must not carry Authorization",
                    None,
                ),
            );
        }
        if method == Method::GET {
            return match st.downloads.get(name) {
                Some(bytes) => HttpResponse::Ok()
                    .content_type("application/octet-stream")
                    .body(bytes.clone()),
                None => json_response(404, error_body("Not Found", "no such download", None)),
            };
        }
    }

    let expected = format!("Bearer {}", st.token);
    let presented = recorded.header("authorization");
    let accepted = presented == Some(expected.as_str())
        || match (
            &st.extra_tokens,
            presented.and_then(|h| h.strip_prefix("Bearer ")),
        ) {
            (Some(check), Some(token)) => (check.0)(token),
            _ => false,
        };
    if !accepted {
        return json_response(
            401,
            error_body("Unauthorized", "missing or invalid bearer token", None),
        );
    }
    let rate_headers = match st.rate_limit.as_mut() {
        None => None,
        Some(rl) => {
            let token = presented.unwrap_or_default().to_owned();
            let (limit, window) = (rl.limit, rl.window);
            let headers = move |remaining: u64| {
                vec![
                    ("x-ratelimit-limit", limit.to_string()),
                    ("x-ratelimit-remaining", remaining.to_string()),
                    ("x-ratelimit-window", window.as_millis().to_string()),
                ]
            };
            match rl.take(&token) {
                Some(remaining) => Some(headers(remaining)),
                None => {
                    let per_unit = window.as_secs_f64() / limit as f64;
                    let mut resp = json_response(
                        429,
                        error_body("Too Many Requests", "rate limit exceeded", None),
                    );
                    for (name, value) in headers(0) {
                        insert_header(&mut resp, name, &value);
                    }
                    insert_header(
                        &mut resp,
                        "retry-after",
                        &(per_unit.ceil() as u64).max(1).to_string(),
                    );
                    return resp;
                }
            }
        }
    };
    let mut resp = api_answer(&mut st, &method, &path, &recorded, route_index);
    for (name, value) in rate_headers.unwrap_or_default() {
        insert_header(&mut resp, name, &value);
    }
    resp
}

fn insert_header(resp: &mut HttpResponse, name: &'static str, value: &str) {
    if let Ok(v) = actix_web::http::header::HeaderValue::from_str(value) {
        resp.headers_mut()
            .insert(actix_web::http::header::HeaderName::from_static(name), v);
    }
}

fn api_answer(
    st: &mut State,
    method: &Method,
    path: &str,
    recorded: &RecordedRequest,
    route_index: Option<usize>,
) -> HttpResponse {
    if matches!(*method, Method::POST | Method::PATCH | Method::PUT) && !recorded.body.is_empty() {
        let wrapped = recorded
            .json()
            .and_then(|v| v.as_object().map(|o| o.contains_key("data")))
            .unwrap_or(false);
        let unwrapped_route = route_index.is_some_and(|i| st.routes[i].unwrapped_body);
        if unwrapped_route && (wrapped || recorded.json().is_none()) {
            return json_response(
                422,
                error_body(
                    "Invalid request",
                    "this endpoint takes a JSON body that is not wrapped in {\"data\": ...}",
                    None,
                ),
            );
        }
        if !wrapped && !unwrapped_route {
            return json_response(
                422,
                error_body(
                    "Invalid request",
                    "request body must be a JSON object wrapped as {\"data\": ...}",
                    Some("/data"),
                ),
            );
        }
    }

    let Some(i) = route_index else {
        if let Some(resp) = st.resources.handle(method, path, recorded.json()) {
            return resp.into_http();
        }
        return json_response(
            404,
            error_body(
                "Not Found",
                &format!("no mock route for {method} {path}"),
                None,
            ),
        );
    };
    let route = &mut st.routes[i];
    if route.experimental && recorded.header("api-version") != Some("experimental") {
        return json_response(
            400,
            error_body(
                "Bad Request",
                "this endpoint requires the header api-version: experimental",
                None,
            ),
        );
    }
    if let Some(resp) = next_queued(route) {
        return resp.into_http();
    }
    if let Some(list) = &route.list {
        return page_response(list, recorded);
    }
    HttpResponse::NoContent().finish()
}

/// Pop the next queued response; the last one stays (it repeats). With a paginated list,
/// the queue is drained completely before the list is served.
fn next_queued(route: &mut Route) -> Option<MockResponse> {
    if route.queue.len() > 1 || (route.list.is_some() && !route.queue.is_empty()) {
        route.queue.pop_front()
    } else {
        route.queue.front().cloned()
    }
}

fn page_response(list: &PagedList, req: &RecordedRequest) -> HttpResponse {
    let start: usize = req
        .query_value("after")
        .and_then(|a| a.parse().ok())
        .unwrap_or(0);
    let size: usize = req
        .query_value("page_size")
        .and_then(|a| a.parse().ok())
        .filter(|n| *n > 0)
        .unwrap_or(list.page_size);
    let start = start.min(list.items.len());
    let end = (start + size).min(list.items.len());
    let next = (end < list.items.len()).then(|| format!("{}?after={end}", req.path));
    let mut body = json!({
        "data": list.items[start..end].to_vec(),
        "links": { "next": next },
    });
    if req.query_value("include_total_count") == Some("true") {
        body["total_count"] = json!(list.items.len());
    }
    json_response(200, body)
}
