//! What sign-in writes to the logs, captured at trace level for every crate: no token, code,
//! secret, key, link or state ever appears, and untrusted text cannot forge a log line.

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use base64::Engine as _;
use frameio_kit::auth::{UserAuth, UserToken};
use frameio_kit::prelude::*;
use frameio_kit::store::{EncryptionKey, KeyRing, MemoryStore};
use frameio_kit_testing::mock_frameio::Method;
use frameio_kit_testing::mock_ims::{CLIENT_ID, CLIENT_SECRET};
use frameio_kit_testing::{MockFrameio, MockIms, SignedRequest};
use serde_json::{Value, json};

const SECRET: &str = "action-secret-for-logs";
const KEY: [u8; 32] = [42; 32];

#[derive(Clone, Default)]
struct Capture(Arc<Mutex<Vec<u8>>>);

impl Write for Capture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

async fn whoami(event: ActionEvent, token: UserToken) -> Result<Message> {
    Ok(Message::new(
        "Signed in",
        format!("{} ({} bytes)", event.user_id(), token.access_token().len()),
    ))
}

#[tokio::test]
async fn a_trace_level_run_logs_no_secret_and_no_forged_line() {
    let capture = Capture::default();
    let writer = capture.clone();
    tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .init();

    let ims = Arc::new(MockIms::start().await.unwrap());
    ims.set_rotate_refresh_tokens(true);
    let api = MockFrameio::start().await.unwrap();
    let issued = Arc::clone(&ims);
    api.accept_tokens(move |token| issued.is_access_token_valid(token));
    api.on(Method::GET, "/v4/me")
        .respond_data(200, json!({"id": "u-1", "name": "Ada", "email": "a@x.io"}));
    let service = App::new()
        .user_auth(
            UserAuth::builder(CLIENT_ID, CLIENT_SECRET)
                .ims_base_url(ims.base_url())
                .api_base_url(api.base_url())
                .trust_forwarded_headers()
                .shared_store(Arc::new(MemoryStore::new()))
                .encryption_keys(KeyRing::single(EncryptionKey::from_bytes(KEY))),
        )
        .handler(
            Handler::action("whoami", whoami)
                .require_user_auth()
                .secret(SECRET),
        )
        .build()
        .unwrap();
    let server = service.start(("127.0.0.1", 0)).unwrap();
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let clicks = std::sync::atomic::AtomicI64::new(0);
    let click = || async {
        let request = SignedRequest::json(
            SECRET,
            &json!({
                "account_id": "acc", "action_id": "act", "interaction_id": "int-1",
                "project": {"id": "p"}, "resource": {"id": "r", "type": "file"},
                "type": "whoami", "user": {"id": "u-1"}, "workspace": {"id": "w"}
            }),
        )
        // Each click signed at its own time: the same signed request twice is a replay.
        .timestamp(
            frameio_kit_testing::signing::now()
                - clicks.fetch_add(1, std::sync::atomic::Ordering::Relaxed),
        );
        let mut builder = http.post(server.url()).body(request.body().to_vec());
        for (name, value) in request.header_pairs() {
            builder = builder.header(name, value);
        }
        (
            request,
            builder.send().await.unwrap().json::<Value>().await.unwrap(),
        )
    };
    let location =
        |response: &reqwest::Response| response.headers()["location"].to_str().unwrap().to_owned();

    // Sign in, with tokens that are due for refresh at once.
    ims.set_expires_in(1);
    let (first_request, form) = click().await;
    let link = form["fields"][0]["value"].as_str().unwrap().to_owned();
    let to_ims = location(&http.get(&link).send().await.unwrap());
    let callback = location(&http.get(&to_ims).send().await.unwrap());
    let page = http.get(&callback).send().await.unwrap();
    assert_eq!(page.status(), 200);
    let callback = reqwest::Url::parse(&callback).unwrap();
    let param = |url: &reqwest::Url, name: &str| {
        url.query_pairs()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.into_owned())
            .unwrap()
    };
    let code = param(&callback, "code");
    let state = param(&callback, "state");
    let t = param(&reqwest::Url::parse(&link).unwrap(), "t");
    let auth = service.user_auth().unwrap();
    let signed_in = auth.manager_for("u-1").token().await.unwrap().unwrap();

    // A click refreshes (rotating the refresh token) and runs the handler.
    ims.set_expires_in(3600);
    let (_, answer) = click().await;
    assert_eq!(answer["title"], "Signed in", "{answer}");
    let refreshed = auth.manager_for("u-1").token().await.unwrap().unwrap();
    assert_ne!(refreshed.access_token(), signed_in.access_token());

    // An IMS error carrying a forged log line.
    let forged = format!(
        "{}/auth/callback?error=access_denied%0AFORGED%20INFO%20admin%20logged%20in&state={state}",
        server.url().trim_end_matches('/')
    );
    let page = http.get(&forged).send().await.unwrap();
    assert_eq!(page.status(), 400);
    let page = page.text().await.unwrap();
    assert!(!page.contains("FORGED"), "{page}");

    server.stop(true).await.unwrap();
    tokio::time::sleep(Duration::from_millis(100)).await;

    let logs = String::from_utf8(capture.0.lock().unwrap().clone()).unwrap();
    assert!(
        logs.contains("sign-in refused by IMS"),
        "the refusal is logged"
    );
    assert!(
        !logs.lines().any(|line| line.starts_with("FORGED")),
        "a newline in `error` must not start a log line:\n{logs}"
    );
    let secrets = [
        ("access token", signed_in.access_token().to_owned()),
        (
            "refresh token",
            signed_in.refresh_token().unwrap().to_owned(),
        ),
        (
            "refreshed access token",
            refreshed.access_token().to_owned(),
        ),
        (
            "rotated refresh token",
            refreshed.refresh_token().unwrap().to_owned(),
        ),
        ("authorization code", code),
        ("state", state),
        ("sign-in link", t),
        ("client secret", CLIENT_SECRET.to_owned()),
        ("action secret", SECRET.to_owned()),
        (
            "signature",
            first_request
                .header_pairs()
                .into_iter()
                .find(|(name, _)| name.eq_ignore_ascii_case("x-frameio-signature"))
                .map(|(_, value)| value)
                .unwrap(),
        ),
        (
            "encryption key",
            base64::engine::general_purpose::STANDARD.encode(KEY),
        ),
    ];
    for (what, secret) in secrets {
        assert!(
            !logs.contains(&secret),
            "the {what} appears in the trace-level logs"
        );
    }
}
