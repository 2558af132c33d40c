//! User sign-in inside actions, end to end over real HTTP: the receiver, `/auth/login`,
//! `/auth/callback`, `MockIms` for Adobe and `MockFrameio` for `GET /v4/me`, with every store
//! engine (Redis and PostgreSQL when their test URLs are set).

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use frameio_kit::auth::{UserAuth, UserAuthBuilder, UserClient, UserToken};
use frameio_kit::prelude::*;
use frameio_kit::store::{EncryptionKey, KeyRing, MemoryStore, SqliteStore, Store};
use frameio_kit::{RunningServer, Service};
use frameio_kit_testing::mock_frameio::Method;
use frameio_kit_testing::mock_ims::{CLIENT_ID, CLIENT_SECRET};
use frameio_kit_testing::{MockFrameio, MockIms, SignedRequest};
use serde_json::{Value, json};

const SECRET: &str = "action-secret";

async fn whoami(event: ActionEvent, token: UserToken, client: UserClient) -> Result<Message> {
    assert!(!token.access_token().is_empty());
    let me = client.users().me().await?;
    Ok(Message::new(
        "Signed in",
        format!("{} clicked as {}", event.user_id(), me.name),
    ))
}

struct Harness {
    ims: Arc<MockIms>,
    api: MockFrameio,
    server: RunningServer,
    service: Service,
    http: reqwest::Client,
    completed: Arc<Mutex<Vec<ActionEvent>>>,
    store: Arc<dyn Store>,
}

fn keys() -> KeyRing {
    KeyRing::single(EncryptionKey::from_bytes([7; 32]))
}

impl Harness {
    async fn start(store: Arc<dyn Store>) -> Self {
        Self::start_with(store, |auth| auth).await
    }

    async fn start_with(
        store: Arc<dyn Store>,
        configure: impl FnOnce(UserAuthBuilder) -> UserAuthBuilder,
    ) -> Self {
        Self::start_full(store, Arc::new(MockIms::start().await.unwrap()), configure).await
    }

    /// A harness talking to an existing IMS (an app restart keeps the identity provider).
    async fn start_full(
        store: Arc<dyn Store>,
        ims: Arc<MockIms>,
        configure: impl FnOnce(UserAuthBuilder) -> UserAuthBuilder,
    ) -> Self {
        let api = MockFrameio::start().await.unwrap();
        let issued = Arc::clone(&ims);
        api.accept_tokens(move |token| issued.is_access_token_valid(token));
        api.on(Method::GET, "/v4/me").respond_data(
            200,
            json!({"id": "u-1", "name": "Ada", "email": "ada@example.com"}),
        );
        let completed = Arc::new(Mutex::new(Vec::new()));
        let hook_log = Arc::clone(&completed);
        let auth = UserAuth::builder(CLIENT_ID, CLIENT_SECRET)
            .ims_base_url(ims.base_url())
            .api_base_url(api.base_url())
            .shared_store(Arc::clone(&store))
            .encryption_keys(keys())
            // The test server's address is only known once bound: take it from `Host`.
            .trust_forwarded_headers()
            .on_auth_complete(move |done| {
                let log = Arc::clone(&hook_log);
                async move {
                    assert!(!done.token().access_token().is_empty());
                    log.lock().unwrap().push(done.event().clone());
                    Ok(())
                }
            });
        let service = App::new()
            .user_auth(configure(auth))
            .handler(
                Handler::action("whoami", whoami)
                    .require_user_auth()
                    .secret(SECRET),
            )
            .build()
            .expect("valid sign-in configuration");
        let server = service.start(("127.0.0.1", 0)).unwrap();
        Self {
            ims,
            api,
            server,
            service,
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            completed,
            store,
        }
    }

    fn base(&self) -> String {
        format!("http://{}", self.server.local_addr())
    }

    async fn click(&self, user: &str) -> (u16, Value) {
        static CLICKS: AtomicI64 = AtomicI64::new(0);
        let request = SignedRequest::json(
            SECRET,
            &json!({
                "account_id": "acc", "action_id": "act", "interaction_id": "int-7",
                "project": {"id": "p"}, "resource": {"id": "r", "type": "file"},
                "type": "whoami", "user": {"id": user}, "workspace": {"id": "w"}
            }),
        )
        // Each click is signed at its own time, as Frame.io does: the same signed request
        // twice would be a replay.
        .timestamp(frameio_kit_testing::signing::now() - CLICKS.fetch_add(1, Ordering::Relaxed));
        let mut builder = self
            .http
            .post(self.server.url())
            .body(request.body().to_vec());
        for (name, value) in request.header_pairs() {
            builder = builder.header(name, value);
        }
        let response = builder.send().await.unwrap();
        let status = response.status().as_u16();
        (status, response.json().await.unwrap())
    }

    async fn get(&self, url: &str) -> (u16, Option<String>, String) {
        let response = self.http.get(url).send().await.unwrap();
        let status = response.status().as_u16();
        let location = response
            .headers()
            .get("location")
            .map(|v| v.to_str().unwrap().to_owned());
        (status, location, response.text().await.unwrap())
    }

    /// Clicks, follows the sign-in link through IMS and back; returns the final page.
    async fn sign_in(&self, user: &str) -> (u16, String) {
        let (status, form) = self.click(user).await;
        assert_eq!(status, 200);
        let login_url = login_url(&form);
        let (status, to_ims, _) = self.get(&login_url).await;
        assert_eq!(status, 307, "login redirects to IMS");
        let to_ims = to_ims.unwrap();
        assert!(to_ims.starts_with(self.ims.base_url()), "{to_ims}");
        let (status, to_callback, _) = self.get(&to_ims).await;
        assert_eq!(status, 302, "the mock IMS signs the user in");
        let (status, _, page) = self.get(&to_callback.unwrap()).await;
        (status, page)
    }

    async fn stop(self) {
        self.server.stop(true).await.unwrap();
    }
}

fn login_url(form: &Value) -> String {
    assert_eq!(form["title"], "Authentication Required", "{form}");
    assert_eq!(
        form["description"],
        "Please click the link below to sign in with Adobe and continue."
    );
    let field = &form["fields"][0];
    assert_eq!(field["label"], "Sign in with Adobe");
    assert_eq!(field["name"], "login_url");
    assert_eq!(field["type"], "link");
    field["value"].as_str().unwrap().to_owned()
}

/// Runs the whole sign-in story; returns the IMS it signed in with.
async fn end_to_end(store: Arc<dyn Store>) -> Arc<MockIms> {
    let h = Harness::start(Arc::clone(&store)).await;

    // First click: no token yet, so the sign-in Form (and the handler does not run).
    let (_, form) = h.click("u-1").await;
    let link = login_url(&form);
    assert!(
        link.starts_with(&format!("{}/auth/login?t=", h.base())),
        "{link}"
    );
    assert!(
        !link.contains("u-1"),
        "the link does not expose its binding in clear"
    );

    // Login redirects to IMS with our callback and a state.
    let (status, location, _) = h.get(&link).await;
    assert_eq!(status, 307);
    let location = location.unwrap();
    let authorize = reqwest::Url::parse(&location).unwrap();
    let query: std::collections::HashMap<_, _> = authorize.query_pairs().into_owned().collect();
    assert_eq!(authorize.path(), "/ims/authorize/v2");
    assert_eq!(query["client_id"], CLIENT_ID);
    assert_eq!(query["response_type"], "code");
    assert_eq!(query["redirect_uri"], format!("{}/auth/callback", h.base()));
    assert!(query["scope"].contains("offline_access"));
    assert!(!query["state"].is_empty());

    // The full round trip signs the user in and runs the hook with the pending event.
    let (status, page) = h.sign_in("u-1").await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("You are signed in"), "{page}");
    {
        let completed = h.completed.lock().unwrap();
        assert_eq!(completed.len(), 1);
        assert_eq!(completed[0].interaction_id(), "int-7");
        assert_eq!(completed[0].user_id(), "u-1");
    }

    // The token is stored encrypted: the raw store never holds it in clear.
    let auth = h.service.user_auth().unwrap();
    let token = auth
        .manager_for("u-1")
        .token()
        .await
        .unwrap()
        .expect("stored");
    let raw = h
        .store
        .get("ims:token:user:u-1")
        .await
        .unwrap()
        .expect("stored under the user's id");
    let needle = token.access_token().as_bytes();
    assert!(
        !raw.windows(needle.len()).any(|w| w == needle),
        "plaintext token in the store"
    );

    // Next click: the handler runs, with a user client Frame.io accepts.
    let (status, answer) = h.click("u-1").await;
    assert_eq!(status, 200);
    assert_eq!(
        answer,
        json!({"title": "Signed in", "description": "u-1 clicked as Ada"})
    );
    let me_calls = h.api.requests_to(Method::GET, "/v4/me");
    assert_eq!(
        me_calls.last().unwrap().header("authorization"),
        Some(format!("Bearer {}", token.access_token()).as_str())
    );

    // Another user still has to sign in.
    let (_, form) = h.click("u-2").await;
    login_url(&form);
    let ims = Arc::clone(&h.ims);
    h.stop().await;
    ims
}

#[tokio::test]
async fn end_to_end_with_the_memory_store() {
    end_to_end(Arc::new(MemoryStore::new())).await;
}

#[tokio::test]
async fn end_to_end_with_sqlite_and_tokens_survive_a_restart() {
    let dir = std::env::temp_dir().join(format!("fk-user-auth-{}", std::process::id()));
    let path = dir.join("tokens.sqlite");
    let ims = end_to_end(Arc::new(SqliteStore::new(&path))).await;
    // A new process (new store handle, same file and key): the user is still signed in.
    let h = Harness::start_full(Arc::new(SqliteStore::new(&path)), ims, |auth| auth).await;
    let (status, answer) = h.click("u-1").await;
    assert_eq!(status, 200);
    assert_eq!(answer["title"], "Signed in", "{answer}");
    h.stop().await;
    let _ = std::fs::remove_dir_all(dir);
}

#[cfg(feature = "redis")]
#[tokio::test]
async fn end_to_end_with_redis() {
    let Ok(url) = std::env::var("FRAMEIO_KIT_TEST_REDIS_URL") else {
        eprintln!("skipped: FRAMEIO_KIT_TEST_REDIS_URL is not set");
        return;
    };
    let prefix = format!("fk-user-auth-{}:", std::process::id());
    let store = frameio_kit::store::RedisStore::new(&url)
        .expect("FRAMEIO_KIT_TEST_REDIS_URL is set, so Redis must be reachable")
        .with_prefix(prefix);
    end_to_end(Arc::new(store)).await;
}

#[cfg(feature = "postgres")]
#[tokio::test]
async fn end_to_end_with_postgres() {
    let Ok(url) = std::env::var("FRAMEIO_KIT_TEST_POSTGRES_URL") else {
        eprintln!("skipped: FRAMEIO_KIT_TEST_POSTGRES_URL is not set");
        return;
    };
    let store = frameio_kit::store::PostgresStore::new(&url)
        .expect("FRAMEIO_KIT_TEST_POSTGRES_URL is set, so PostgreSQL must be reachable")
        .with_prefix(format!("fk-user-auth-{}:", std::process::id()));
    end_to_end(Arc::new(store)).await;
}

#[tokio::test]
async fn forged_expired_and_failed_sign_ins_get_error_pages() {
    let h = Harness::start(Arc::new(MemoryStore::new())).await;
    let (_, form) = h.click("u-1").await;
    let link = login_url(&form);

    // A forged link: one character changed.
    let mut forged = link.clone();
    let last = forged.pop().unwrap();
    forged.push(if last == 'A' { 'B' } else { 'A' });
    let (status, _, page) = h.get(&forged).await;
    assert_eq!(status, 400);
    assert!(page.contains("not valid"), "{page}");
    let (status, _, _) = h.get(&format!("{}/auth/login", h.base())).await;
    assert_eq!(status, 400, "no token at all");

    // The callback refuses a forged state, a missing code and an IMS error.
    let (_, location, _) = h.get(&link).await;
    let authorize = reqwest::Url::parse(&location.unwrap()).unwrap();
    let state = authorize
        .query_pairs()
        .find(|(k, _)| k == "state")
        .unwrap()
        .1
        .into_owned();
    let callback = format!("{}/auth/callback", h.base());
    let (status, _, page) = h.get(&format!("{callback}?code=abc&state=garbage")).await;
    assert_eq!(status, 400, "{page}");
    let (status, _, page) = h.get(&format!("{callback}?state={state}")).await;
    assert_eq!(status, 400);
    assert!(page.contains("no code"), "{page}");
    let (status, _, page) = h
        .get(&format!(
            "{callback}?error=access_denied&error_description=%3Cscript%3Ealert(1)%3C%2Fscript%3E&state={state}"
        ))
        .await;
    assert_eq!(status, 400);
    assert!(
        page.contains("Adobe did not complete the sign-in"),
        "{page}"
    );
    assert!(
        !page.contains("script") && !page.contains("access_denied"),
        "a fixed message, never the untrusted text: {page}"
    );

    // A code IMS refuses: 500, and nothing stored.
    let (status, _, page) = h
        .get(&format!("{callback}?code=never-issued&state={state}"))
        .await;
    assert_eq!(status, 500, "{page}");
    assert!(h.completed.lock().unwrap().is_empty());
    let (_, form) = h.click("u-1").await;
    login_url(&form);
    h.stop().await;
}

#[tokio::test]
async fn expired_links_are_refused() {
    let h = Harness::start_with(Arc::new(MemoryStore::new()), |auth| {
        auth.sign_in_ttl(Duration::from_secs(0))
    })
    .await;
    let (_, form) = h.click("u-1").await;
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let (status, _, page) = h.get(&login_url(&form)).await;
    assert_eq!(status, 400);
    assert!(page.contains("expired"), "{page}");
    h.stop().await;
}

#[tokio::test]
async fn a_different_frameio_user_cannot_claim_the_sign_in() {
    let h = Harness::start(Arc::new(MemoryStore::new())).await;
    // Frame.io says the person who signed in is someone else than the user who clicked.
    h.api.on(Method::GET, "/v4/me").respond_data(
        200,
        json!({"id": "intruder", "name": "Eve", "email": "eve@example.com"}),
    );
    let (status, page) = h.sign_in("u-1").await;
    assert_eq!(status, 400);
    assert!(page.contains("different Frame.io user"), "{page}");
    assert!(h.completed.lock().unwrap().is_empty());
    let auth = h.service.user_auth().unwrap();
    assert!(
        auth.manager_for("u-1").token().await.unwrap().is_none(),
        "nothing stored"
    );
    h.stop().await;
}

#[tokio::test]
async fn tokens_refresh_and_an_expired_refresh_token_asks_to_sign_in_again() {
    let h = Harness::start(Arc::new(MemoryStore::new())).await;
    // Tokens that expire at once (inside the 300 s refresh buffer): every use refreshes.
    h.ims.set_expires_in(1);
    assert_eq!(h.sign_in("u-1").await.0, 200);
    let (status, answer) = h.click("u-1").await;
    assert_eq!((status, &answer["title"]), (200, &json!("Signed in")));
    assert!(h.ims.token_requests("refresh_token") >= 1);

    // The refresh token dies: the next click shows the sign-in Form again.
    h.ims.expire_refresh_tokens();
    let (status, form) = h.click("u-1").await;
    assert_eq!(status, 200);
    login_url(&form);
    h.stop().await;
}

#[test]
fn start_up_refuses_incomplete_sign_in_configurations() {
    let action = || {
        Handler::action("whoami", whoami)
            .require_user_auth()
            .secret(SECRET)
            .function_name("app::whoami")
    };
    // Sign-in required but not configured.
    let err = App::new().handler(action()).build().unwrap_err();
    assert_eq!(
        err.problems(),
        &[
            StartupProblem::Argument {
                handler: "app::whoami".into(),
                problem: ArgumentProblem::SignInNotConfigured {
                    argument: "UserToken"
                },
            },
            StartupProblem::Argument {
                handler: "app::whoami".into(),
                problem: ArgumentProblem::SignInNotConfigured {
                    argument: "UserClient"
                },
            },
            StartupProblem::SignInNotConfigured {
                handler: "app::whoami".into()
            },
        ],
        "{err}"
    );

    // A persistent store without an encryption key.
    let err = App::new()
        .env_lookup(|_| None)
        .user_auth(
            UserAuth::builder("id", "secret")
                .public_base_url("https://hooks.example.com")
                .shared_store(Arc::new(MemoryStore::new())),
        )
        .handler(action())
        .build()
        .unwrap_err()
        .to_string();
    assert!(err.contains("FRAMEIO_KIT_ENCRYPTION_KEY"), "{err}");
    assert!(
        !err.contains("not configured"),
        "no misleading cascade: {err}"
    );

    // The key from the environment, a bad one.
    let err = App::new()
        .env_lookup(|name| (name == "FRAMEIO_KIT_ENCRYPTION_KEY").then(|| "not base64!".into()))
        .user_auth(UserAuth::builder("id", "secret").public_base_url("https://hooks.example.com"))
        .handler(action())
        .build()
        .unwrap_err()
        .to_string();
    assert!(err.contains("not a valid key list"), "{err}");

    // The in-memory store works without a key (with a loud warning).
    assert!(
        App::new()
            .env_lookup(|_| None)
            .user_auth(
                UserAuth::builder("id", "secret")
                    .public_base_url("https://hooks.example.com")
                    .memory_store()
            )
            .handler(action())
            .build()
            .is_ok()
    );

    // Webhooks have no user to sign in.
    let err = App::new()
        .user_auth(
            UserAuth::builder("id", "secret")
                .public_base_url("https://hooks.example.com")
                .memory_store(),
        )
        .handler(
            Handler::webhook(["file.ready"], |_e: WebhookEvent| async {
                Ok::<_, BoxError>(())
            })
            .require_user_auth()
            .secret("s")
            .function_name("app::hook"),
        )
        .build()
        .unwrap_err();
    assert_eq!(
        err.problems(),
        &[StartupProblem::SignInOnWebhook {
            handler: "app::hook".into()
        }],
        "{err}"
    );
}

use frameio_kit::{ArgumentProblem, BoxError, StartupProblem};

#[tokio::test]
async fn any_ims_flow_can_feed_the_api_client() {
    use frameio_kit::auth::{ImsConfig, ServerToServer};
    use frameio_kit::client::Client;

    let ims = Arc::new(MockIms::start().await.unwrap());
    let api = MockFrameio::start().await.unwrap();
    let issued = Arc::clone(&ims);
    api.accept_tokens(move |token| issued.is_access_token_valid(token));
    api.on(Method::GET, "/v4/me").respond_data(
        200,
        json!({"id": "svc", "name": "Service", "email": "svc@example.com"}),
    );
    let s2s = ServerToServer::new(
        ImsConfig::new(CLIENT_ID)
            .with_client_secret(CLIENT_SECRET)
            .with_ims_base_url(ims.base_url()),
    )
    .unwrap();
    let client = Client::builder()
        .base_url(api.base_url())
        // Every IMS flow is a token provider by itself: no adapter.
        .token_provider(s2s)
        .build()
        .unwrap();
    for _ in 0..3 {
        assert_eq!(client.users().me().await.unwrap().name, "Service");
    }
    assert_eq!(
        ims.token_requests("client_credentials"),
        1,
        "the token is cached"
    );
}
