//! The sign-in routes and the links they build follow the `web::scope` the service is mounted
//! in, with no setting; trusted proxies are given as CIDR ranges. Over real HTTP, with
//! `MockIms` and `MockFrameio`, the receiver mounted in an actix-web app of the test's own.

use std::sync::Arc;

use actix_web::{App as ActixApp, HttpServer, dev::ServerHandle, web};
use frameio_kit::auth::{UserAuth, UserAuthBuilder, UserToken};
use frameio_kit::prelude::*;
use frameio_kit::store::{EncryptionKey, KeyRing, MemoryStore};
use frameio_kit_testing::mock_frameio::Method;
use frameio_kit_testing::mock_ims::{CLIENT_ID, CLIENT_SECRET};
use frameio_kit_testing::{MockFrameio, MockIms, SignedRequest};
use serde_json::{Value, json};

const SECRET: &str = "action-secret";

async fn whoami(event: ActionEvent, token: UserToken) -> Result<Message> {
    assert!(!token.access_token().is_empty());
    Ok(Message::new("Signed in", event.user_id().to_owned()))
}

/// The receiver (at `receiver_path`) mounted in `web::scope(scope)` of an actix-web app
/// that also serves a page of its own at `/`.
struct Mounted {
    _ims: MockIms,
    _api: MockFrameio,
    handle: ServerHandle,
    origin: String,
    receiver_url: String,
    http: reqwest::Client,
}

impl Mounted {
    async fn start(
        scope: &'static str,
        receiver_path: &str,
        configure: impl FnOnce(UserAuthBuilder) -> UserAuthBuilder,
    ) -> Self {
        let ims = MockIms::start().await.unwrap();
        let api = MockFrameio::start().await.unwrap();
        api.accept_tokens(|token| !token.is_empty());
        api.on(Method::GET, "/v4/me")
            .respond_data(200, json!({"id": "u-1", "name": "Ada", "email": "a@x.io"}));
        let auth = UserAuth::builder(CLIENT_ID, CLIENT_SECRET)
            .ims_base_url(ims.base_url())
            .api_base_url(api.base_url())
            .shared_store(Arc::new(MemoryStore::new()))
            .encryption_keys(KeyRing::single(EncryptionKey::from_bytes([5; 32])));
        let service = App::new()
            .path(receiver_path)
            .user_auth(configure(auth))
            .handler(
                Handler::action("whoami", whoami)
                    .require_user_auth()
                    .secret(SECRET),
            )
            .build()
            .expect("valid sign-in configuration");
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let origin = format!("http://{}", listener.local_addr().unwrap());
        let server = HttpServer::new(move || {
            let service = service.clone();
            ActixApp::new()
                .service(web::scope(scope).configure(move |cfg| service.configure(cfg)))
                .route("/", web::get().to(|| async { "the host app" }))
        })
        .workers(1)
        .disable_signals()
        .listen(listener)
        .unwrap()
        .run();
        let handle = server.handle();
        tokio::spawn(server);
        Self {
            _ims: ims,
            _api: api,
            handle,
            receiver_url: format!("{origin}{scope}{receiver_path}"),
            origin,
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
        }
    }

    async fn click(&self, headers: &[(&str, &str)]) -> (u16, Value) {
        // Each click is a new interaction, as in Frame.io: two clicks in the same second
        // would otherwise be one signed request, and the second a replay.
        static CLICKS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let click = CLICKS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let request = SignedRequest::json(
            SECRET,
            &json!({
                "account_id": "acc", "action_id": "act", "interaction_id": format!("int-{click}"),
                "project": {"id": "p"}, "resource": {"id": "r", "type": "file"},
                "type": "whoami", "user": {"id": "u-1"}, "workspace": {"id": "w"}
            }),
        );
        let mut builder = self
            .http
            .post(&self.receiver_url)
            .body(request.body().to_vec());
        for (name, value) in request.header_pairs() {
            builder = builder.header(name, value);
        }
        for (name, value) in headers {
            builder = builder.header(*name, *value);
        }
        let response = builder.send().await.unwrap();
        let status = response.status().as_u16();
        let text = response.text().await.unwrap();
        (
            status,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        )
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

    async fn stop(self) {
        self.handle.stop(true).await;
    }
}

fn login_url(form: &Value) -> String {
    assert_eq!(form["title"], "Authentication Required", "{form}");
    form["fields"][0]["value"].as_str().unwrap().to_owned()
}

fn redirect_uri(to_ims: &str) -> String {
    url::Url::parse(to_ims)
        .unwrap()
        .query_pairs()
        .find(|(k, _)| k == "redirect_uri")
        .map(|(_, v)| v.into_owned())
        .expect("a redirect_uri")
}

#[tokio::test]
async fn a_service_mounted_in_a_scope_signs_in_below_it() {
    let app = Mounted::start("/frameio", "/actions", |a| a.trust_forwarded_headers()).await;

    // The sign-in link points below the scope, with no setting.
    let (status, form) = app.click(&[]).await;
    assert_eq!(status, 200);
    let link = login_url(&form);
    assert!(
        link.starts_with(&format!("{}/frameio/auth/login?t=", app.origin)),
        "{link}"
    );

    // The login route answers there, and the redirect URI it sends to IMS is below the
    // scope too.
    let (status, to_ims, page) = app.get(&link).await;
    assert_eq!(status, 307, "{page}");
    let to_ims = to_ims.unwrap();
    assert_eq!(
        redirect_uri(&to_ims),
        format!("{}/frameio/auth/callback", app.origin)
    );

    // IMS sends the browser back to the scoped callback, which finishes the sign-in (the
    // code exchange repeats the same redirect URI, or MockIms refuses it).
    let (status, to_callback, _) = app.get(&to_ims).await;
    assert_eq!(status, 302);
    let callback = to_callback.unwrap();
    assert!(
        callback.starts_with(&format!("{}/frameio/auth/callback?", app.origin)),
        "{callback}"
    );
    let (status, _, page) = app.get(&callback).await;
    assert_eq!(status, 200, "{page}");

    // Signed in: the next click runs the handler.
    let (status, answer) = app.click(&[]).await;
    assert_eq!(status, 200);
    assert_eq!(answer["title"], "Signed in", "{answer}");

    // Nothing is served at the root's /auth/*: the routes live in the scope.
    let (status, _, _) = app.get(&format!("{}/auth/login?t=x", app.origin)).await;
    assert_eq!(status, 404);
    let (status, _, body) = app.get(&format!("{}/", app.origin)).await;
    assert_eq!((status, body.as_str()), (200, "the host app"));
    app.stop().await;
}

#[tokio::test]
async fn the_scope_comes_after_the_public_url_and_mount_prefix() {
    // A proxy serves the app at https://hooks.example.com/ext/…, stripping `/ext`; the app
    // mounts the service in `web::scope("/frameio")` and its receiver at `/`.
    let app = Mounted::start("/frameio", "/", |a| {
        a.public_base_url("https://hooks.example.com")
            .mount_prefix("/ext")
    })
    .await;
    let (status, form) = app.click(&[]).await;
    assert_eq!(status, 200);
    let link = login_url(&form);
    assert!(
        link.starts_with("https://hooks.example.com/ext/frameio/auth/login?t="),
        "{link}"
    );
    // Followed on the app itself (as the proxy would forward it, prefix stripped).
    let local = link.replace("https://hooks.example.com/ext", &app.origin);
    let (status, to_ims, page) = app.get(&local).await;
    assert_eq!(status, 307, "{page}");
    assert_eq!(
        redirect_uri(&to_ims.unwrap()),
        "https://hooks.example.com/ext/frameio/auth/callback"
    );
    app.stop().await;
}

#[tokio::test]
async fn trusted_proxies_are_cidr_ranges() {
    let forwarded = [
        ("x-forwarded-host", "hooks.example.com"),
        ("x-forwarded-proto", "https"),
    ];

    // The test client connects from 127.0.0.1: inside 127.0.0.0/8, so its forwarding
    // headers choose the links.
    let app = Mounted::start("/frameio", "/", |a| {
        a.trusted_proxies(["10.0.0.0/8", "127.0.0.0/8", "::1/128"])
    })
    .await;
    let (status, form) = app.click(&forwarded).await;
    assert_eq!(status, 200);
    let link = login_url(&form);
    assert!(
        link.starts_with("https://hooks.example.com/frameio/auth/login?t="),
        "{link}"
    );
    app.stop().await;

    // Outside every range: the headers are not trusted, no link is made from them.
    let app = Mounted::start("/frameio", "/", |a| {
        a.trusted_proxies(["10.0.0.0/8", "192.168.0.0/16", "::1/128"])
    })
    .await;
    let (status, answer) = app.click(&forwarded).await;
    assert_ne!(status, 200, "{answer}");
    assert!(
        !answer.to_string().contains("hooks.example.com"),
        "{answer}"
    );
    app.stop().await;
}

#[test]
fn a_bad_proxy_range_stops_the_app_at_start_up() {
    for (bad, expected) in [
        ("10.0.0.0/33", "prefix length is at most 32"),
        ("10.0.0.1/8", "did you mean 10.0.0.0/8"),
        ("proxy.internal", "not an IP address or a CIDR range"),
    ] {
        let err = App::new()
            .user_auth(
                UserAuth::builder("id", "secret")
                    .memory_store()
                    .trusted_proxies(["127.0.0.1", bad]),
            )
            .handler(
                Handler::action("whoami", whoami)
                    .require_user_auth()
                    .secret(SECRET),
            )
            .build()
            .unwrap_err()
            .to_string();
        assert!(err.contains("trusted_proxies"), "{bad}: {err}");
        assert!(err.contains(expected), "{bad}: {err}");
    }
    // An empty list without a public URL would trust nobody: refused too.
    let err = App::new()
        .user_auth(
            UserAuth::builder("id", "secret")
                .memory_store()
                .trusted_proxies(Vec::<std::net::IpAddr>::new()),
        )
        .handler(
            Handler::action("whoami", whoami)
                .require_user_auth()
                .secret(SECRET),
        )
        .build()
        .unwrap_err()
        .to_string();
    assert!(err.contains("trusted_proxies"), "{err}");
}
