//! Sign-in routes under attack and `on_auth_complete`, over real HTTP with `MockIms` and
//! `MockFrameio`: replayed states, forged forwarding headers, malformed hosts, per-action
//! hooks that redirect, fail or panic, and the test sign-in helper.

use std::sync::{Arc, Mutex};

use frameio_kit::auth::{AfterSignIn, AuthRequest, UserAuth, UserAuthBuilder, UserToken};
use frameio_kit::prelude::*;
use frameio_kit::store::{EncryptionKey, KeyRing, MemoryStore};
use frameio_kit::{BoxError, Headers, RunningServer, Service};
use frameio_kit_testing::mock_frameio::Method;
use frameio_kit_testing::mock_ims::{CLIENT_ID, CLIENT_SECRET};
use frameio_kit_testing::signin::SignInExt as _;
use frameio_kit_testing::{MockFrameio, MockIms, SignedRequest, TestApp, action_event};
use serde_json::{Value, json};

const SECRET: &str = "action-secret";

async fn whoami(event: ActionEvent, token: UserToken) -> Result<Message> {
    assert!(!token.access_token().is_empty());
    Ok(Message::new("Signed in", event.user_id().to_owned()))
}

struct Harness {
    ims: MockIms,
    _api: MockFrameio,
    server: RunningServer,
    service: Service,
    http: reqwest::Client,
    hooks: Arc<Mutex<Vec<String>>>,
}

impl Harness {
    async fn start(configure: impl FnOnce(UserAuthBuilder) -> UserAuthBuilder) -> Self {
        let ims = MockIms::start().await.unwrap();
        let api = MockFrameio::start().await.unwrap();
        api.accept_tokens(|token| !token.is_empty());
        api.on(Method::GET, "/v4/me")
            .respond_data(200, json!({"id": "u-1", "name": "Ada", "email": "a@x.io"}));
        let hooks = Arc::new(Mutex::new(Vec::new()));
        let log = Arc::clone(&hooks);
        let auth = UserAuth::builder(CLIENT_ID, CLIENT_SECRET)
            .ims_base_url(ims.base_url())
            .api_base_url(api.base_url())
            .shared_store(Arc::new(MemoryStore::new()))
            .encryption_keys(KeyRing::single(EncryptionKey::from_bytes([3; 32])))
            .on_auth_complete(move |done| {
                let log = Arc::clone(&log);
                async move {
                    log.lock()
                        .unwrap()
                        .push(format!("app:{}", done.event().event_type()));
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
            .handler(
                Handler::action("export", whoami)
                    .require_user_auth()
                    .secret(SECRET),
            )
            .handler(
                Handler::action("broken", whoami)
                    .require_user_auth()
                    .secret(SECRET),
            )
            .handler(
                Handler::action("panics", whoami)
                    .require_user_auth()
                    .secret(SECRET),
            )
            .build()
            .expect("valid sign-in configuration");
        let server = service.start(("127.0.0.1", 0)).unwrap();
        Self {
            ims,
            _api: api,
            server,
            service,
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            hooks,
        }
    }

    fn base(&self) -> String {
        format!("http://{}", self.server.local_addr())
    }

    async fn click_with(&self, action: &str, user: &str, headers: &[(&str, &str)]) -> Value {
        let request = SignedRequest::json(
            SECRET,
            &json!({
                "account_id": "acc", "action_id": "act", "interaction_id": "int-1",
                "project": {"id": "p"}, "resource": {"id": "r", "type": "file"},
                "type": action, "user": {"id": user}, "workspace": {"id": "w"}
            }),
        );
        let mut builder = self
            .http
            .post(self.server.url())
            .body(request.body().to_vec());
        for (name, value) in request.header_pairs() {
            builder = builder.header(name, value);
        }
        for (name, value) in headers {
            builder = builder.header(*name, *value);
        }
        let response = builder.send().await.unwrap();
        assert_eq!(response.status(), 200);
        response.json().await.unwrap()
    }

    async fn get_with(&self, url: &str, headers: &[(&str, &str)]) -> (u16, Option<String>, String) {
        let mut builder = self.http.get(url);
        for (name, value) in headers {
            builder = builder.header(*name, *value);
        }
        let response = builder.send().await.unwrap();
        let status = response.status().as_u16();
        let location = response
            .headers()
            .get("location")
            .map(|v| v.to_str().unwrap().to_owned());
        (status, location, response.text().await.unwrap())
    }

    async fn get(&self, url: &str) -> (u16, Option<String>, String) {
        self.get_with(url, &[]).await
    }

    /// Clicks `action`, follows the link through IMS; returns the callback URL.
    async fn callback_url(&self, action: &str) -> String {
        self.callback_url_for(action, "u-1").await
    }

    async fn callback_url_for(&self, action: &str, user: &str) -> String {
        let form = self.click_with(action, user, &[]).await;
        let link = login_url(&form);
        let (status, to_ims, page) = self.get(&link).await;
        assert_eq!(status, 307, "{page}");
        let (status, to_callback, _) = self.get(&to_ims.unwrap()).await;
        assert_eq!(status, 302);
        to_callback.unwrap()
    }
}

fn login_url(form: &Value) -> String {
    assert_eq!(form["title"], "Authentication Required", "{form}");
    form["fields"][0]["value"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn a_state_cannot_be_used_twice() {
    let h = Harness::start(|a| a.trust_forwarded_headers()).await;
    let callback = h.callback_url("whoami").await;
    let (status, _, page) = h.get(&callback).await;
    assert_eq!(status, 200, "{page}");
    // The same callback again (a replay, even by the same user): refused, hook not rerun.
    let (status, _, page) = h.get(&callback).await;
    assert_eq!(status, 400, "{page}");
    assert!(page.contains("already used"), "{page}");
    assert_eq!(*h.hooks.lock().unwrap(), ["app:whoami"]);
    h.server.stop(true).await.unwrap();
}

#[tokio::test]
async fn forged_forwarding_headers_do_not_choose_the_links() {
    let h = Harness::start(|a| a.public_base_url("https://hooks.example.com")).await;
    let forged = [
        ("x-forwarded-host", "evil.example.net"),
        ("x-forwarded-proto", "http"),
    ];
    let form = h.click_with("whoami", "u-1", &forged).await;
    let link = login_url(&form);
    assert!(
        link.starts_with("https://hooks.example.com/auth/login?t="),
        "{link}"
    );
    // Follow the link on the test server, again with forged headers.
    let local = link.replace("https://hooks.example.com", &h.base());
    let (status, to_ims, _) = h.get_with(&local, &forged).await;
    assert_eq!(status, 307);
    let to_ims = to_ims.unwrap();
    assert!(
        to_ims.contains("redirect_uri=https%3A%2F%2Fhooks.example.com%2Fauth%2Fcallback"),
        "{to_ims}"
    );
    assert!(!to_ims.contains("evil"), "{to_ims}");
    h.server.stop(true).await.unwrap();
}

#[tokio::test]
async fn only_trusted_proxies_choose_the_public_url() {
    let proxy: std::net::IpAddr = "10.1.2.3".parse().unwrap();
    let h = Harness::start(move |a| a.trusted_proxies([proxy]).mount_prefix("/hooks")).await;
    let auth = h.service.user_auth().unwrap().clone();
    let mut headers = Headers::new();
    headers.insert("x-forwarded-host", b"hooks.example.com");
    headers.insert("x-forwarded-proto", b"https");
    let code_less = "t=whatever";

    // From somebody else: refused with 400, whatever the headers say.
    let page = auth
        .handle(AuthRequest::new(
            "/hooks/auth/login",
            code_less,
            &headers,
            Some("198.51.100.7".parse().unwrap()),
        ))
        .await
        .expect("a sign-in route");
    assert_eq!(page.status, 400, "{}", page.html);

    // Other paths are not sign-in routes; what comes before `/auth/login` is the scope the
    // service is mounted in.
    for other in ["/auth/logins", "/hooks/auth", "/hooks/xauth/login"] {
        assert!(
            auth.handle(AuthRequest::new(other, "", &headers, None))
                .await
                .is_none(),
            "{other}"
        );
    }
    assert_eq!(auth.callback_path(), "/hooks/auth/callback");
    h.server.stop(true).await.unwrap();
}

#[tokio::test]
async fn a_malformed_host_is_a_400_not_a_500() {
    let h = Harness::start(|a| a.trust_forwarded_headers()).await;
    let form = h.click_with("whoami", "u-1", &[]).await;
    let link = login_url(&form);
    let (status, _, page) = h
        .get_with(&link, &[("x-forwarded-host", "evil.com/x?y=")])
        .await;
    assert_eq!(status, 400, "{page}");
    assert!(page.contains("Host"), "{page}");
    h.server.stop(true).await.unwrap();
}

#[test]
fn a_public_url_that_is_not_absolute_is_refused_at_start_up() {
    let err = App::new()
        .user_auth(
            UserAuth::builder("id", "secret")
                .memory_store()
                .public_base_url(""),
        )
        .handler(
            Handler::action("whoami", whoami)
                .require_user_auth()
                .secret(SECRET),
        )
        .build()
        .unwrap_err()
        .to_string();
    assert!(err.contains("absolute http(s) URL"), "{err}");
    // Neither a public URL nor trusted proxies: refused too.
    let err = App::new()
        .user_auth(UserAuth::builder("id", "secret").memory_store())
        .handler(
            Handler::action("whoami", whoami)
                .require_user_auth()
                .secret(SECRET),
        )
        .build()
        .unwrap_err()
        .to_string();
    assert!(err.contains("public_base_url"), "{err}");
}

#[tokio::test]
async fn hooks_per_action_redirect_and_failures_show_the_error_page() {
    let h = Harness::start(|a| {
        a.trust_forwarded_headers()
            // One user per action below (each signs in once); no `/v4/me` identity check.
            .verify_frameio_user(false)
            .on_auth_complete_for("export", |done| async move {
                assert!(!done.token().access_token().is_empty());
                Ok(AfterSignIn::redirect(format!(
                    "https://next.frame.io/project/{}",
                    done.event().project().id
                )))
            })
            .on_auth_complete_for("broken", |_done| async move {
                Err::<(), BoxError>("the export service is down".into())
            })
            .on_auth_complete_for("panics", |_done| async move {
                if true {
                    panic!("hook bug");
                }
                Ok(())
            })
    })
    .await;

    // Per action: a redirect of the hook's choosing.
    let (status, location, _) = h.get(&h.callback_url("export").await).await;
    assert_eq!(status, 303);
    assert_eq!(location.as_deref(), Some("https://next.frame.io/project/p"));

    // A failing hook: error page, the token is still stored (the next click runs).
    let (status, _, page) = h.get(&h.callback_url_for("broken", "u-2").await).await;
    assert_eq!(status, 500, "{page}");
    assert!(page.contains("could not finish"), "{page}");
    assert!(!page.contains("export service"), "no details: {page}");

    // A panicking hook: the same, and the server keeps serving.
    let (status, _, page) = h.get(&h.callback_url_for("panics", "u-3").await).await;
    assert_eq!(status, 500, "{page}");
    for user in ["u-1", "u-2", "u-3"] {
        let answer = h.click_with("whoami", user, &[]).await;
        assert_eq!(answer["title"], "Signed in", "{answer}");
    }

    // The app hook ran for none of them.
    assert!(h.hooks.lock().unwrap().is_empty());
    assert_eq!(h.ims.token_requests("authorization_code"), 3);
    h.server.stop(true).await.unwrap();
}

#[tokio::test]
async fn the_test_helper_signs_a_user_in_in_one_line() {
    let ims = MockIms::start().await.unwrap();
    let app = TestApp::new(
        App::new()
            .user_auth(
                UserAuth::builder(CLIENT_ID, CLIENT_SECRET)
                    .ims_base_url(ims.base_url())
                    .public_base_url("https://hooks.example.com")
                    .verify_frameio_user(false)
                    .memory_store(),
            )
            .handler(
                Handler::action("whoami", whoami)
                    .require_user_auth()
                    .secret("s"),
            ),
    )
    .secret("s");

    // Not signed in: the Form.
    let form = app
        .deliver(action_event("whoami").user_id("u-9"))
        .await
        .unwrap()
        .form()
        .unwrap();
    assert_eq!(form.title, "Authentication Required");

    let token = app.sign_in(&ims, "u-9").await.unwrap();
    assert!(ims.is_access_token_valid(token.access_token()));
    let message = app
        .deliver(action_event("whoami").user_id("u-9"))
        .await
        .unwrap()
        .message()
        .unwrap();
    assert_eq!(message.description, "u-9");
    let stored = app.service().unwrap().user_auth().unwrap().store().clone();
    assert!(stored.get("ims:token:user:u-9").await.unwrap().is_some());
}

#[tokio::test]
async fn a_sign_in_that_cannot_finish_in_time_answers_a_message() {
    let ims = MockIms::start().await.unwrap();
    let app = TestApp::new(
        App::new()
            .user_auth(
                UserAuth::builder(CLIENT_ID, CLIENT_SECRET)
                    .ims_base_url(ims.base_url())
                    .public_base_url("https://hooks.example.com")
                    .verify_frameio_user(false)
                    .token_wait(std::time::Duration::from_millis(300))
                    .sign_in_timeout(std::time::Duration::from_millis(600))
                    .memory_store(),
            )
            .handler(
                Handler::action("whoami", whoami)
                    .require_user_auth()
                    .secret("s"),
            ),
    )
    .secret("s");
    // Signed in with a token that has expired: the click must refresh, and IMS is slow.
    ims.set_expires_in(0);
    app.sign_in(&ims, "u-1").await.unwrap();
    ims.set_expires_in(3600);
    ims.set_delay(std::time::Duration::from_secs(2));
    let message = app
        .deliver(action_event("whoami").user_id("u-1"))
        .await
        .unwrap()
        .message()
        .unwrap();
    assert_eq!(message.title, "Sign-in Unavailable");

    // IMS failing outright: the same Message, not a 500.
    ims.set_delay(std::time::Duration::ZERO);
    let user = "u-2";
    ims.set_expires_in(0);
    app.sign_in(&ims, user).await.unwrap();
    ims.fail_always(Some(frameio_kit_testing::mock_ims::Failure::status(503)));
    let message = app
        .deliver(action_event("whoami").user_id(user))
        .await
        .unwrap()
        .message()
        .unwrap();
    assert_eq!(message.title, "Sign-in Unavailable");
}

#[cfg(feature = "postgres")]
#[tokio::test]
async fn a_locked_postgres_store_answers_a_message_within_the_budget() {
    use frameio_kit::store::PostgresStore;
    use sqlx::Connection as _;

    let Ok(url) = std::env::var("FRAMEIO_KIT_TEST_POSTGRES_URL") else {
        eprintln!("skipped: FRAMEIO_KIT_TEST_POSTGRES_URL is not set");
        return;
    };
    let table = format!("fk_gate_{}", uuid::Uuid::new_v4().simple());
    let store = PostgresStore::new(&url)
        .unwrap()
        .with_table(table.clone())
        .unwrap()
        .with_statement_timeouts(
            std::time::Duration::from_millis(800),
            std::time::Duration::from_millis(300),
        );
    let ims = MockIms::start().await.unwrap();
    let app = TestApp::new(
        App::new()
            .user_auth(
                UserAuth::builder(CLIENT_ID, CLIENT_SECRET)
                    .ims_base_url(ims.base_url())
                    .public_base_url("https://hooks.example.com")
                    .verify_frameio_user(false)
                    .encryption_keys(KeyRing::single(EncryptionKey::from_bytes([5; 32])))
                    .store(store),
            )
            .handler(
                Handler::action("whoami", whoami)
                    .require_user_auth()
                    .secret("s"),
            ),
    )
    .secret("s");
    ims.set_expires_in(0); // the next click must look past the cache
    app.sign_in(&ims, "u-1").await.unwrap();

    // Another session locks the table: the click gets a clear Message, not a timeout.
    let mut other = sqlx::PgConnection::connect(&url).await.unwrap();
    sqlx::query("BEGIN").execute(&mut other).await.unwrap();
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "LOCK TABLE {table} IN ACCESS EXCLUSIVE MODE"
    )))
    .execute(&mut other)
    .await
    .unwrap();
    let message = tokio::time::timeout(
        std::time::Duration::from_secs(9),
        app.deliver(action_event("whoami").user_id("u-1")),
    )
    .await
    .expect("answered inside Frame.io's budget")
    .unwrap()
    .message()
    .unwrap();
    assert_eq!(message.title, "Sign-in Unavailable");
    sqlx::query("ROLLBACK").execute(&mut other).await.unwrap();

    // Unlocked: the click refreshes and runs the handler.
    ims.set_expires_in(3600);
    let message = app
        .deliver(action_event("whoami").user_id("u-1"))
        .await
        .unwrap()
        .message()
        .unwrap();
    assert_eq!(message.title, "Signed in");
    sqlx::query(sqlx::AssertSqlSafe(format!("DROP TABLE {table}")))
        .execute(&mut other)
        .await
        .unwrap();
}

#[tokio::test]
async fn a_trusted_local_proxy_sets_the_sign_in_link_over_http() {
    let local: std::net::IpAddr = "127.0.0.1".parse().unwrap();
    let h = Harness::start(move |a| a.trusted_proxies([local])).await;
    let form = h
        .click_with(
            "whoami",
            "u-9",
            &[
                ("x-forwarded-host", "hooks.example.com"),
                ("x-forwarded-proto", "https"),
            ],
        )
        .await;
    let link = login_url(&form);
    assert!(
        link.starts_with("https://hooks.example.com/auth/login?"),
        "{link}"
    );
    h.server.stop(true).await.unwrap();
}
