//! The simulator drives every other example app in headless Chromium (the quickstart's are in
//! `simulator_browser.rs`):
//!
//! - `middleware` (archive, behind its allow-list), `testing` (transcribe: a select form, then
//!   a Message) and `user_auth` (whoami: the sign-in Form with its link);
//! - `wizard` (deliver: three forms, an invalid submit, then the final Message) and `install`
//!   (its two actions and its webhook, signed with the installation's own secrets);
//! - `background` and `client`, which register a webhook only: `file.ready` fired from the
//!   panel, `200 OK` in the log, and the side effect (the job run, the comment posted).
//!
//! Skips without chromedriver unless `FRAMEIO_KIT_REQUIRE_BROWSER=1`.

mod support;

use std::sync::Arc;
use std::time::Duration;

use frameio_kit::{App, Handler};
use frameio_kit_testing::mock_frameio::Method;
use frameio_kit_testing::{MockFrameio, test_env};
use serde_json::json;
use support::browser::{Browser, WAIT, click, open_action};
use support::{FakeFrameio, RunningApp, temp_dir};

// Link every example's registrations; each app below takes only its own crate's handlers.
use client_example as _;
use install_example as _;
use middleware_example as _;
use testing_example as _;
use user_auth_example as _;
use wizard as _;

/// The fake project's first file.
const FILE_ID: &str = "b1c2d3e4-f5a6-4b7c-8d9e-0f1a2b3c4d5e";
/// The account id the simulator sends unless told otherwise.
const SIMULATED_ACCOUNT: &str = "5b1a3c4d-2e6f-4a7b-8c9d-0e1f2a3b4c5d";
/// The workspace id the simulator sends unless told otherwise.
const SIMULATED_WORKSPACE: &str = "7c2d4e5f-3a6b-4c8d-9e0f-1a2b3c4d5e6f";

/// The registered handlers of one crate.
fn only(krate: &str) -> Vec<Handler> {
    let prefix = format!("{krate}::");
    let handlers: Vec<Handler> = frameio_kit::handler::registered()
        .into_iter()
        .filter(|h| h.function().starts_with(&prefix))
        .collect();
    assert!(!handlers.is_empty(), "no handler registered by {krate}");
    handlers
}

/// Polls `check` until it holds (at most [`WAIT`]).
async fn eventually<F, Fut>(what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + WAIT;
    while !check().await {
        assert!(tokio::time::Instant::now() < deadline, "never: {what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Waits until the open dialog's title is `title`; returns its description.
async fn dialog_titled(browser: &Browser, kind: &str, title: &str) -> String {
    eventually(&format!("a {kind} titled {title:?}"), || async {
        browser.dialog(kind).await.0 == title
    })
    .await;
    browser.dialog(kind).await.1
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn simulator_runs_the_middleware_testing_and_user_auth_examples() {
    let Some(browser) = Browser::start().await else {
        return;
    };

    // middleware: the allow-list admits the simulated account; the action answers a Message.
    let app = RunningApp::start_with(
        App::new()
            .handlers(only("middleware_example"))
            .middleware(middleware_example::Timing)
            .middleware(middleware_example::AllowList::new([SIMULATED_ACCOUNT]))
            .env_lookup(test_env),
    )
    .await;
    let mut simulator = app.simulate(&browser, &[]).await;
    open_action(&browser, FILE_ID, "archive").await;
    let (title, description) = browser.dialog("message").await;
    assert_eq!(title, "Archived");
    assert_eq!(description, format!("{FILE_ID} will be archived."));
    browser.shot("example-middleware").await;
    simulator.kill().await.unwrap();
    drop(app);

    // testing: a select form, then the Message built from the choice.
    let app = RunningApp::start_with(
        App::new()
            .handlers(only("testing_example"))
            .state(testing_example::Jobs::default())
            .env_lookup(test_env),
    )
    .await;
    let mut simulator = app.simulate(&browser, &[]).await;
    open_action(&browser, FILE_ID, "transcribe").await;
    browser.dialog("form").await;
    click(&browser, "#field-language option[value='fr']").await;
    browser.shot("example-testing-form").await;
    click(&browser, "#form-submit").await;
    let (title, description) = browser.dialog("message").await;
    assert_eq!(title, "Queued");
    assert_eq!(description, "Transcribing in fr.");
    browser.shot("example-testing-message").await;
    simulator.kill().await.unwrap();
    drop(app);

    // user_auth: a user without a token gets the sign-in Form and its link.
    let auth =
        user_auth_example::sign_in("id", "secret", "https://hooks.example.com").memory_store();
    let app = RunningApp::start_with(
        App::new()
            .handlers(only("user_auth_example"))
            .user_auth(auth)
            .env_lookup(test_env),
    )
    .await;
    let mut simulator = app.simulate(&browser, &[]).await;
    open_action(&browser, FILE_ID, "whoami").await;
    let (title, _) = browser.dialog("form").await;
    assert_eq!(title, "Authentication Required");
    let link = support::browser::wait_for(&browser, "#dialog-form a[data-name='login_url']").await;
    let href = link.attr("href").await.unwrap().unwrap_or_default();
    assert!(
        href.starts_with("https://hooks.example.com/auth/login?"),
        "{href}"
    );
    browser.shot("example-user-auth").await;
    simulator.kill().await.unwrap();
    drop(app);

    browser.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn simulator_runs_the_wizard_and_install_examples() {
    let Some(browser) = Browser::start().await else {
        return;
    };

    // wizard: three steps kept in SQLite between deliveries, then the final Message.
    let dir = temp_dir("wizard");
    let db = dir.join("wizard.db");
    let app = RunningApp::start_with(
        App::new()
            .handlers(only("wizard"))
            .state(wizard::step_store(db.to_str().unwrap()))
            .env_lookup(test_env),
    )
    .await;
    let mut simulator = app.simulate(&browser, &[]).await;
    open_action(&browser, FILE_ID, "deliver").await;
    let description = dialog_titled(&browser, "form", "Deliver (1/3)").await;
    assert_eq!(description, "Who receives the file?");
    browser.fill("client", "ACME").await;
    click(&browser, "#field-kind option[value='download']").await;
    browser.shot("example-wizard-1").await;
    click(&browser, "#form-submit").await;
    let description = dialog_titled(&browser, "form", "Deliver (2/3)").await;
    assert_eq!(description, "Details of the delivery to ACME");
    let title = support::browser::wait_for(&browser, "#field-title").await;
    assert_eq!(
        title.prop("value").await.unwrap().as_deref(),
        Some(format!("{FILE_ID} for ACME").as_str()),
        "prefilled from step 1"
    );
    browser.fill("title", "Final cut").await;
    browser.fill("expires_days", "14").await;
    browser.fill("note", "Thanks!").await;
    browser.shot("example-wizard-2").await;
    click(&browser, "#form-submit").await;
    let description = dialog_titled(&browser, "form", "Deliver (3/3)").await;
    assert_eq!(description, "Send \"Final cut\", expiring in 14 days?");
    // Unchecked: the same form again, saying why.
    click(&browser, "#form-submit").await;
    eventually("the confirmation's error", || async {
        browser
            .text("#dialog-form")
            .await
            .contains("must be checked")
    })
    .await;
    browser.shot("example-wizard-3").await;
    click(&browser, "#field-confirm").await;
    click(&browser, "#form-submit").await;
    let description = dialog_titled(&browser, "message", "Sent").await;
    assert_eq!(
        description,
        "\"Final cut\" is on its way to ACME (download, 14 days)."
    );
    browser.shot("example-wizard-message").await;
    simulator.kill().await.unwrap();
    drop(app);
    let _ = std::fs::remove_dir_all(&dir);

    // install: installed in the simulated workspace through Frame.io's API (a stand-in); every
    // delivery is verified with that installation's own secrets, which the simulator signs
    // with from a secrets file, as `install apply --secrets-file` writes it.
    let fake = FakeFrameio::start(|token| token == "tok").await;
    let client = frameio_kit::client::Client::builder()
        .token("tok")
        .base_url(fake.base_url.clone())
        .build()
        .unwrap();
    let handlers = only("install_example");
    let install = install_example::install(
        App::new().handlers(handlers.clone()).manifest(),
        "https://acme.example.com",
        Arc::new(frameio_kit::store::MemoryStore::new()),
        frameio_kit::store::KeyRing::single(frameio_kit::store::EncryptionKey::generate()),
        frameio_kit::auth::ImsConfig::new("id").with_client_secret("secret"),
    )
    .unwrap();
    install
        .install(
            &client,
            SIMULATED_ACCOUNT,
            SIMULATED_WORKSPACE,
            &[("archive_key".to_owned(), "k-one".to_owned())].into(),
            "Ada",
        )
        .await
        .unwrap();
    let secrets = temp_dir("install").join("secrets.json");
    let hook = &fake.webhooks()[0];
    let actions: serde_json::Map<String, serde_json::Value> = fake
        .actions()
        .iter()
        .map(|a| {
            let event = a["event"].as_str().unwrap().to_owned();
            (event, json!({"id": a["id"], "secret": a["secret"]}))
        })
        .collect();
    std::fs::write(
        &secrets,
        json!({"webhook": {"id": hook["id"], "secret": hook["secret"]}, "actions": actions})
            .to_string(),
    )
    .unwrap();
    let app = RunningApp::start_with(
        App::new()
            .handlers(handlers)
            .env_lookup(test_env)
            .install(install),
    )
    .await;
    let mut simulator = app
        .simulate(&browser, &["--secrets-file", secrets.to_str().unwrap()])
        .await;
    click(&browser, &format!("#asset-{FILE_ID} .menu-button")).await;
    let menu = browser.text(&format!("#asset-{FILE_ID} .menu")).await;
    assert!(
        menu.contains("Archive") && menu.contains("Archive status"),
        "{menu}"
    );
    click(&browser, "h2").await;
    open_action(&browser, FILE_ID, "acme.archive").await;
    let (title, description) = browser.dialog("message").await;
    assert_eq!(title, "Archived");
    assert_eq!(
        description,
        format!("{FILE_ID} was sent with key k-…"),
        "the installation's field value"
    );
    browser.shot("example-install-archive").await;
    click(&browser, "#dialog-close").await;
    open_action(&browser, FILE_ID, "acme.status").await;
    let description = dialog_titled(&browser, "message", "Archive status").await;
    assert_eq!(description, format!("{FILE_ID} is not archived yet."));
    click(&browser, "#dialog-close").await;
    assert_eq!(browser.fire_webhook("file.ready").await, "200 OK");
    browser.shot("example-install-log").await;
    simulator.kill().await.unwrap();
    drop(app);
    let _ = std::fs::remove_dir_all(secrets.parent().unwrap());

    browser.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn simulator_fires_the_webhooks_of_the_background_and_client_examples() {
    let Some(browser) = Browser::start().await else {
        return;
    };

    // background: the delivery is answered once queued; the worker then runs the transcode.
    let dir = temp_dir("background");
    let db = dir.join("background.db");
    let results = frameio_kit::store::SqliteStore::new(db.to_str().unwrap());
    let app = App::new()
        .handlers(only("background"))
        .state(background::Transcoder {
            results: frameio_kit::store::SqliteStore::new(db.to_str().unwrap()),
            work_time: Duration::ZERO,
        })
        .queue(frameio_kit::delivery::queue::QueueBackend::sqlite(&db).name("background-browser"))
        .background_workers(1)
        .env_lookup(test_env);
    // Mounted in the test's own server: the workers are started by hand.
    let app = RunningApp::start_with(app).await;
    let worker = app
        .service
        .start_workers()
        .expect("a background handler to run");
    assert!(app.manifest.actions.is_empty(), "a webhook-only app");
    let mut simulator = app.simulate(&browser, &[]).await;
    assert_eq!(browser.fire_webhook("file.ready").await, "200 OK");
    browser.shot("example-background").await;
    eventually("the transcode ran", || async {
        use frameio_kit::store::Store as _;
        results
            .get(&format!("file:{FILE_ID}"))
            .await
            .unwrap()
            .is_some()
    })
    .await;
    simulator.kill().await.unwrap();
    drop(app);
    worker.shutdown().await;
    let _ = std::fs::remove_dir_all(&dir);

    // client: the webhook comments on the file through the Frame.io API (the mock).
    let mock = MockFrameio::start().await.unwrap();
    let comments = format!("/v4/accounts/{SIMULATED_ACCOUNT}/files/{FILE_ID}/comments");
    mock.on(Method::POST, &comments)
        .respond_data(201, json!({"id": "c-1", "text": "Ready for review."}));
    let api = frameio_kit::client::Client::builder()
        .base_url(mock.base_url())
        .token(mock.token())
        .build()
        .unwrap();
    let app = RunningApp::start_with(
        App::new()
            .handlers(only("client_example"))
            .client(api)
            .env_lookup(test_env),
    )
    .await;
    assert!(app.manifest.actions.is_empty(), "a webhook-only app");
    let mut simulator = app.simulate(&browser, &[]).await;
    assert_eq!(browser.fire_webhook("file.ready").await, "200 OK");
    browser.shot("example-client").await;
    assert_eq!(mock.requests_to(Method::POST, &comments).len(), 1);
    simulator.kill().await.unwrap();
    drop(app);

    browser.finish().await;
}
