//! A mock Adobe IMS server for tests: a real HTTP server on `127.0.0.1` with an ephemeral
//! port.
//!
//! Endpoints: `GET /ims/authorize/v2` (302 to `redirect_uri` with `code` and `state`),
//! `POST /ims/token/v3` (`authorization_code` with optional PKCE, `refresh_token`,
//! `client_credentials`) and `POST /ims/revoke`. Outcomes are programmable (failures,
//! delays, `expires_in`, expired refresh tokens) and every request is recorded, headers
//! included (e.g. to assert the W3C `traceparent` a traced token request carries).
//!
//! ```
//! use frameio_kit_testing::MockIms;
//!
//! # frameio_kit_testing::block_on(async {
//! let ims = MockIms::start().await?;
//! let base = ims.base_url(); // point ImsConfig::ims_base_url here
//! // …exercise the code under test…
//! assert_eq!(ims.token_requests("refresh_token"), 0);
//! # let _ = base;
//! # Ok::<(), std::io::Error>(())
//! # }).unwrap().unwrap();
//! ```

use std::{
    collections::{BTreeMap, HashMap, VecDeque},
    sync::{Arc, Mutex, MutexGuard, PoisonError},
    time::Duration,
};

use actix_web::{App, HttpRequest, HttpResponse, HttpServer, dev::ServerHandle, http, web};
use base64::Engine as _;
use serde_json::json;
use sha2::{Digest, Sha256};

/// The confidential client every mock knows (web-app and server-to-server flows).
pub const CLIENT_ID: &str = "mock-client-id";
/// The secret of [`CLIENT_ID`].
pub const CLIENT_SECRET: &str = "mock-client-secret";
/// A public client (no secret) that must use PKCE — the single-page-app flow.
pub const PUBLIC_CLIENT_ID: &str = "mock-public-client-id";

/// One request the mock received.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordedRequest {
    /// `GET` or `POST`.
    pub method: String,
    /// The path, e.g. `/ims/token/v3`.
    pub path: String,
    /// The query (GET) or form (POST) parameters.
    pub params: BTreeMap<String, String>,
    /// The request headers, names in lowercase, in the order received.
    pub headers: Vec<(String, String)>,
}

impl RecordedRequest {
    /// The first value of a header (the name is case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The `grant_type` parameter, if any.
    pub fn grant_type(&self) -> Option<&str> {
        self.params.get("grant_type").map(String::as_str)
    }
}

/// A programmed failure for the token endpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    status: u16,
    body: String,
    retry_after: Option<u64>,
}

impl Failure {
    /// 429 with `Retry-After: seconds`.
    pub fn rate_limited(retry_after_secs: u64) -> Self {
        Self {
            status: 429,
            body: json!({"error": "too_many_requests"}).to_string(),
            retry_after: Some(retry_after_secs),
        }
    }

    /// A 5xx (or any) status with a plain body.
    pub fn status(status: u16) -> Self {
        Self {
            status,
            body: "mock ims failure".to_owned(),
            retry_after: None,
        }
    }

    /// An OAuth error body `{"error": error}` with `status`.
    pub fn oauth(status: u16, error: &str) -> Self {
        Self {
            status,
            body: json!({"error": error, "error_description": "programmed by the test"})
                .to_string(),
            retry_after: None,
        }
    }
}

#[derive(Debug, Clone)]
struct CodeGrant {
    client_id: String,
    redirect_uri: String,
    scope: String,
    challenge: Option<String>,
}

#[derive(Debug, Clone)]
struct RefreshGrant {
    client_id: String,
    scope: String,
    valid: bool,
}

#[derive(Debug)]
struct State {
    clients: HashMap<String, Option<String>>,
    codes: HashMap<String, CodeGrant>,
    refresh_tokens: HashMap<String, RefreshGrant>,
    access_tokens: HashMap<String, bool>,
    requests: Vec<RecordedRequest>,
    expires_in: u64,
    delay: Duration,
    fail_next: VecDeque<Failure>,
    fail_always: Option<Failure>,
    rotate_refresh_tokens: bool,
    counter: u64,
}

impl State {
    fn next_id(&mut self, kind: &str) -> String {
        self.counter += 1;
        format!(
            "mock-{kind}-{}-{}",
            self.counter,
            uuid::Uuid::new_v4().simple()
        )
    }

    fn issue_tokens(
        &mut self,
        client_id: &str,
        scope: &str,
        with_refresh: bool,
    ) -> serde_json::Value {
        let access = self.next_id("access");
        self.access_tokens.insert(access.clone(), true);
        let mut body = json!({
            "access_token": access,
            "token_type": "bearer",
            "expires_in": self.expires_in,
            "scope": scope,
        });
        if with_refresh {
            let refresh = self.next_id("refresh");
            self.refresh_tokens.insert(
                refresh.clone(),
                RefreshGrant {
                    client_id: client_id.to_owned(),
                    scope: scope.to_owned(),
                    valid: true,
                },
            );
            body["refresh_token"] = json!(refresh);
        }
        body
    }
}

type Shared = Arc<Mutex<State>>;

fn lock(state: &Shared) -> MutexGuard<'_, State> {
    state.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The running mock IMS server. Stops when dropped.
#[derive(Debug)]
pub struct MockIms {
    base_url: String,
    state: Shared,
    handle: ServerHandle,
}

impl Drop for MockIms {
    fn drop(&mut self) {
        // `stop` sends the command at once; the returned future only waits for completion.
        drop(self.handle.stop(false));
    }
}

impl MockIms {
    /// Starts a server on `127.0.0.1` with an ephemeral port. Needs a Tokio runtime.
    ///
    /// # Errors
    ///
    /// When no port can be bound.
    pub async fn start() -> std::io::Result<Self> {
        let mut clients = HashMap::new();
        clients.insert(CLIENT_ID.to_owned(), Some(CLIENT_SECRET.to_owned()));
        clients.insert(PUBLIC_CLIENT_ID.to_owned(), None);
        let state: Shared = Arc::new(Mutex::new(State {
            clients,
            codes: HashMap::new(),
            refresh_tokens: HashMap::new(),
            access_tokens: HashMap::new(),
            requests: Vec::new(),
            expires_in: 3600,
            delay: Duration::ZERO,
            fail_next: VecDeque::new(),
            fail_always: None,
            rotate_refresh_tokens: true,
            counter: 0,
        }));
        let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
        let port = listener.local_addr()?.port();
        let data = web::Data::new(Arc::clone(&state));
        let server = HttpServer::new(move || {
            App::new()
                .app_data(data.clone())
                .route("/ims/authorize/v2", web::get().to(authorize))
                .route("/ims/token/v3", web::post().to(token))
                .route("/ims/revoke", web::post().to(revoke))
        })
        .workers(1)
        .disable_signals()
        .shutdown_timeout(1)
        .listen(listener)?
        .run();
        let handle = server.handle();
        tokio::spawn(server);
        Ok(Self {
            base_url: format!("http://127.0.0.1:{port}"),
            state,
            handle,
        })
    }

    /// `http://127.0.0.1:PORT`, to use as the IMS base URL.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// Registers another client; `secret: None` makes it public (PKCE required).
    pub fn add_client(&self, client_id: &str, secret: Option<&str>) {
        lock(&self.state)
            .clients
            .insert(client_id.to_owned(), secret.map(str::to_owned));
    }

    /// Sets the `expires_in` of tokens issued from now on (default 3600).
    pub fn set_expires_in(&self, seconds: u64) {
        lock(&self.state).expires_in = seconds;
    }

    /// Delays every answer by `delay` (default none).
    pub fn set_delay(&self, delay: Duration) {
        lock(&self.state).delay = delay;
    }

    /// Whether a refresh returns a new refresh token (default true) or none.
    pub fn set_rotate_refresh_tokens(&self, rotate: bool) {
        lock(&self.state).rotate_refresh_tokens = rotate;
    }

    /// Makes the next token-endpoint request fail with `failure` (queued, one each).
    pub fn fail_next(&self, failure: Failure) {
        lock(&self.state).fail_next.push_back(failure);
    }

    /// Makes every token-endpoint request fail with `failure` until called with `None`.
    pub fn fail_always(&self, failure: Option<Failure>) {
        lock(&self.state).fail_always = failure;
    }

    /// Marks every refresh token issued so far as expired (refreshing answers 400
    /// `invalid_grant`).
    pub fn expire_refresh_tokens(&self) {
        for grant in lock(&self.state).refresh_tokens.values_mut() {
            grant.valid = false;
        }
    }

    /// Issues an authorization code directly (as if the user had signed in).
    pub fn issue_code(
        &self,
        client_id: &str,
        redirect_uri: &str,
        code_challenge: Option<&str>,
    ) -> String {
        let mut state = lock(&self.state);
        let code = state.next_id("code");
        state.codes.insert(
            code.clone(),
            CodeGrant {
                client_id: client_id.to_owned(),
                redirect_uri: redirect_uri.to_owned(),
                scope: "openid".to_owned(),
                challenge: code_challenge.map(str::to_owned),
            },
        );
        code
    }

    /// Whether `token` is an access token this mock issued and has not revoked.
    pub fn is_access_token_valid(&self, token: &str) -> bool {
        lock(&self.state)
            .access_tokens
            .get(token)
            .copied()
            .unwrap_or(false)
    }

    /// Whether `token` is a refresh token this mock issued that is neither expired nor revoked.
    pub fn is_refresh_token_valid(&self, token: &str) -> bool {
        lock(&self.state)
            .refresh_tokens
            .get(token)
            .is_some_and(|g| g.valid)
    }

    /// Every request so far, in order.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        lock(&self.state).requests.clone()
    }

    /// How many requests reached `path`.
    pub fn request_count(&self, path: &str) -> usize {
        lock(&self.state)
            .requests
            .iter()
            .filter(|r| r.path == path)
            .count()
    }

    /// How many token-endpoint requests used `grant_type`.
    pub fn token_requests(&self, grant_type: &str) -> usize {
        lock(&self.state)
            .requests
            .iter()
            .filter(|r| r.path == "/ims/token/v3" && r.grant_type() == Some(grant_type))
            .count()
    }

    /// Forgets the recorded requests.
    pub fn clear_requests(&self) {
        lock(&self.state).requests.clear();
    }

    /// Stops the server and waits until it has stopped.
    pub async fn stop(self) {
        self.handle.stop(false).await;
    }
}

/// A `400 invalid_grant` answer (unknown, used, expired or mismatched code or token).
fn invalid_grant(description: &str) -> HttpResponse {
    oauth_error(http::StatusCode::BAD_REQUEST, "invalid_grant", description)
}

fn oauth_error(status: http::StatusCode, error: &str, description: &str) -> HttpResponse {
    HttpResponse::build(status).json(json!({"error": error, "error_description": description}))
}

fn record(state: &Shared, req: &HttpRequest, params: &BTreeMap<String, String>) -> Duration {
    let mut state = lock(state);
    state.requests.push(RecordedRequest {
        method: req.method().to_string(),
        path: req.path().to_owned(),
        params: params.clone(),
        headers: req
            .headers()
            .iter()
            .map(|(name, value)| {
                (
                    name.as_str().to_ascii_lowercase(),
                    String::from_utf8_lossy(value.as_bytes()).into_owned(),
                )
            })
            .collect(),
    });
    state.delay
}

/// Checks the client id and secret: `Ok(is_public)`, or the reason for a 401
/// `invalid_client`.
fn check_client(state: &State, params: &BTreeMap<String, String>) -> Result<bool, &'static str> {
    let id = params
        .get("client_id")
        .map(String::as_str)
        .unwrap_or_default();
    match state.clients.get(id) {
        None => Err("unknown client"),
        Some(None) => Ok(true),
        Some(Some(secret)) if params.get("client_secret") == Some(secret) => Ok(false),
        Some(Some(_)) => Err("client authentication failed"),
    }
}

fn invalid_client(reason: &str) -> HttpResponse {
    oauth_error(http::StatusCode::UNAUTHORIZED, "invalid_client", reason)
}

async fn authorize(
    req: HttpRequest,
    query: web::Query<BTreeMap<String, String>>,
    state: web::Data<Shared>,
) -> HttpResponse {
    let params = query.into_inner();
    let delay = record(&state, &req, &params);
    tokio::time::sleep(delay).await;
    let mut st = lock(&state);
    let client_id = params.get("client_id").cloned().unwrap_or_default();
    if !st.clients.contains_key(&client_id) {
        return oauth_error(
            http::StatusCode::BAD_REQUEST,
            "invalid_client",
            "unknown client",
        );
    }
    if params.get("response_type").map(String::as_str) != Some("code") {
        return oauth_error(
            http::StatusCode::BAD_REQUEST,
            "unsupported_response_type",
            "response_type must be code",
        );
    }
    let Some(redirect) = params
        .get("redirect_uri")
        .and_then(|r| url::Url::parse(r).ok())
    else {
        return oauth_error(
            http::StatusCode::BAD_REQUEST,
            "invalid_request",
            "redirect_uri is missing or invalid",
        );
    };
    let challenge = params.get("code_challenge").cloned();
    if challenge.is_some()
        && params.get("code_challenge_method").map(String::as_str) != Some("S256")
    {
        return oauth_error(
            http::StatusCode::BAD_REQUEST,
            "invalid_request",
            "only S256 is supported",
        );
    }
    if challenge.is_none() && st.clients.get(&client_id).is_some_and(Option::is_none) {
        return oauth_error(
            http::StatusCode::BAD_REQUEST,
            "invalid_request",
            "public clients must use pkce",
        );
    }
    let code = st.next_id("code");
    st.codes.insert(
        code.clone(),
        CodeGrant {
            client_id,
            redirect_uri: redirect.to_string(),
            scope: params.get("scope").cloned().unwrap_or_default(),
            challenge,
        },
    );
    let mut location = redirect;
    location.query_pairs_mut().append_pair("code", &code);
    if let Some(s) = params.get("state") {
        location.query_pairs_mut().append_pair("state", s);
    }
    HttpResponse::Found()
        .insert_header((http::header::LOCATION, location.to_string()))
        .finish()
}

async fn token(
    req: HttpRequest,
    form: web::Form<BTreeMap<String, String>>,
    state: web::Data<Shared>,
) -> HttpResponse {
    let params = form.into_inner();
    let delay = record(&state, &req, &params);
    tokio::time::sleep(delay).await;
    let mut st = lock(&state);
    let forced = st.fail_next.pop_front().or_else(|| st.fail_always.clone());
    if let Some(failure) = forced {
        let status = http::StatusCode::from_u16(failure.status)
            .unwrap_or(http::StatusCode::INTERNAL_SERVER_ERROR);
        let mut resp = HttpResponse::build(status);
        if let Some(secs) = failure.retry_after {
            resp.insert_header((http::header::RETRY_AFTER, secs.to_string()));
        }
        return resp.content_type("application/json").body(failure.body);
    }
    let is_public = match check_client(&st, &params) {
        Ok(p) => p,
        Err(reason) => return invalid_client(reason),
    };
    let client_id = params.get("client_id").cloned().unwrap_or_default();
    match params.get("grant_type").map(String::as_str) {
        Some("authorization_code") => {
            let code = params.get("code").cloned().unwrap_or_default();
            // A code is single-use, whatever the outcome.
            let Some(grant) = st.codes.remove(&code) else {
                return invalid_grant("unknown or used code");
            };
            if grant.client_id != client_id {
                return invalid_grant("code issued to another client");
            }
            let redirect_ok = params
                .get("redirect_uri")
                .and_then(|r| url::Url::parse(r).ok())
                .is_some_and(|r| r.as_str() == grant.redirect_uri);
            if !redirect_ok {
                return invalid_grant("redirect_uri mismatch");
            }
            match (&grant.challenge, params.get("code_verifier")) {
                (Some(challenge), Some(verifier)) => {
                    let computed = base64::engine::general_purpose::URL_SAFE_NO_PAD
                        .encode(Sha256::digest(verifier.as_bytes()));
                    if &computed != challenge {
                        return invalid_grant("code verifier mismatch");
                    }
                }
                (Some(_), None) => {
                    return invalid_grant("code verifier missing");
                }
                (None, _) if is_public => {
                    return invalid_grant("public clients must use pkce");
                }
                (None, _) => {}
            }
            let body = st.issue_tokens(&client_id, &grant.scope, true);
            HttpResponse::Ok().json(body)
        }
        Some("refresh_token") => {
            let rt = params.get("refresh_token").cloned().unwrap_or_default();
            let Some(grant) = st.refresh_tokens.get(&rt).cloned() else {
                return invalid_grant("unknown refresh token");
            };
            if !grant.valid {
                return invalid_grant("refresh token expired");
            }
            if grant.client_id != client_id {
                return invalid_grant("refresh token issued to another client");
            }
            let rotate = st.rotate_refresh_tokens;
            if rotate && let Some(old) = st.refresh_tokens.get_mut(&rt) {
                old.valid = false;
            }
            let body = st.issue_tokens(&client_id, &grant.scope, rotate);
            HttpResponse::Ok().json(body)
        }
        Some("client_credentials") => {
            if is_public {
                return oauth_error(
                    http::StatusCode::UNAUTHORIZED,
                    "invalid_client",
                    "public clients cannot use client_credentials",
                );
            }
            let scope = params
                .get("scope")
                .cloned()
                .unwrap_or_default()
                .replace(',', " ");
            let body = st.issue_tokens(&client_id, &scope, false);
            HttpResponse::Ok().json(body)
        }
        _ => oauth_error(
            http::StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
            "unsupported grant_type",
        ),
    }
}

async fn revoke(
    req: HttpRequest,
    form: web::Form<BTreeMap<String, String>>,
    state: web::Data<Shared>,
) -> HttpResponse {
    let params = form.into_inner();
    let delay = record(&state, &req, &params);
    tokio::time::sleep(delay).await;
    let mut st = lock(&state);
    if let Err(reason) = check_client(&st, &params) {
        return invalid_client(reason);
    }
    let Some(token) = params.get("token").cloned() else {
        return oauth_error(
            http::StatusCode::BAD_REQUEST,
            "invalid_request",
            "token is missing",
        );
    };
    if let Some(grant) = st.refresh_tokens.get_mut(&token) {
        grant.valid = false;
    }
    if let Some(valid) = st.access_tokens.get_mut(&token) {
        *valid = false;
    }
    // RFC 7009: unknown tokens are not an error.
    HttpResponse::Ok().finish()
}
