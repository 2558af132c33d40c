//! The simulator drives every other example app's custom actions in headless Chromium:
//! `middleware` (archive, behind its allow-list), `testing` (transcribe: a select form, then a
//! Message) and `user_auth` (whoami: the sign-in Form with its link). The quickstart's are in
//! `simulator_browser.rs`. Skips without chromedriver unless `FRAMEIO_KIT_REQUIRE_BROWSER=1`.

mod support;

use frameio_kit::{App, Handler};
use frameio_kit_testing::test_env;
use support::browser::{
    chromedriver_or_skip, click, connect, open_action, shot, start_chromedriver, wait_for,
};
use support::{RunningApp, start_simulator, temp_dir};

// Link every example's registrations; each app below takes only its own crate's handlers.
use middleware_example as _;
use testing_example as _;
use user_auth_example as _;

/// The fake project's first file.
const FILE_ID: &str = "b1c2d3e4-f5a6-4b7c-8d9e-0f1a2b3c4d5e";
/// The account id the simulator sends unless told otherwise.
const SIMULATED_ACCOUNT: &str = "5b1a3c4d-2e6f-4a7b-8c9d-0e1f2a3b4c5d";

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

async fn dialog_text(client: &fantoccini::Client) -> (String, String) {
    let title = wait_for(client, "#dialog-title")
        .await
        .text()
        .await
        .unwrap();
    let description = wait_for(client, "#dialog-description")
        .await
        .text()
        .await
        .unwrap();
    (title, description)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn simulator_runs_every_other_example_app() {
    let Some(driver) = chromedriver_or_skip() else {
        return;
    };
    let (mut driver, webdriver) = start_chromedriver(&driver).await;
    let profile = temp_dir("chromium-profile");
    let client = connect(&webdriver, &profile).await;

    // middleware: the allow-list admits the simulated account; the action answers a Message.
    let app = RunningApp::start_with(
        App::new()
            .handlers(only("middleware_example"))
            .middleware(middleware_example::Timing)
            .middleware(middleware_example::AllowList::new([SIMULATED_ACCOUNT]))
            .env_lookup(test_env),
    )
    .await;
    let (mut simulator, page) =
        start_simulator(&app.url, app.manifest_file().to_str().unwrap()).await;
    client.goto(&page).await.unwrap();
    wait_for(&client, "body[data-ready='true']").await;
    open_action(&client, FILE_ID, "archive").await;
    wait_for(
        &client,
        "#overlay:not([hidden]) #dialog[data-kind='message']",
    )
    .await;
    let (title, description) = dialog_text(&client).await;
    assert_eq!(title, "Archived");
    assert_eq!(description, format!("{FILE_ID} will be archived."));
    shot(&client, "example-middleware").await;
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
    let (mut simulator, page) =
        start_simulator(&app.url, app.manifest_file().to_str().unwrap()).await;
    client.goto(&page).await.unwrap();
    wait_for(&client, "body[data-ready='true']").await;
    open_action(&client, FILE_ID, "transcribe").await;
    wait_for(&client, "#overlay:not([hidden]) #dialog[data-kind='form']").await;
    click(&client, "#field-language option[value='fr']").await;
    shot(&client, "example-testing-form").await;
    click(&client, "#form-submit").await;
    wait_for(
        &client,
        "#overlay:not([hidden]) #dialog[data-kind='message']",
    )
    .await;
    let (title, description) = dialog_text(&client).await;
    assert_eq!(title, "Queued");
    assert_eq!(description, "Transcribing in fr.");
    shot(&client, "example-testing-message").await;
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
    let (mut simulator, page) =
        start_simulator(&app.url, app.manifest_file().to_str().unwrap()).await;
    client.goto(&page).await.unwrap();
    wait_for(&client, "body[data-ready='true']").await;
    open_action(&client, FILE_ID, "whoami").await;
    wait_for(&client, "#overlay:not([hidden]) #dialog[data-kind='form']").await;
    let (title, _) = dialog_text(&client).await;
    assert_eq!(title, "Authentication Required");
    let link = wait_for(&client, "#dialog-form a[data-name='login_url']").await;
    let href = link.attr("href").await.unwrap().unwrap_or_default();
    assert!(
        href.starts_with("https://hooks.example.com/auth/login?"),
        "{href}"
    );
    shot(&client, "example-user-auth").await;
    simulator.kill().await.unwrap();
    drop(app);

    client.close().await.unwrap();
    driver.kill().await.unwrap();
    let _ = std::fs::remove_dir_all(&profile);
}
