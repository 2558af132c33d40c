//! The simulator driven in headless Chromium: open an asset's menu, run the quickstart's
//! `rename` action through its form to the final Message, run `greet`, fire `file.ready` and
//! see `200 OK` in the log. Screenshots go to `target/screenshots/`.
//!
//! Runs when `chromedriver` is on PATH and says it skipped otherwise; with
//! `FRAMEIO_KIT_REQUIRE_BROWSER=1` (set by `.ci/run`) a missing chromedriver fails instead.

mod support;

use support::browser::{Browser, click, open_action, wait_for};
use support::{RunningApp, start_simulator, temp_dir};

/// The fake project's first file.
const FILE_ID: &str = "b1c2d3e4-f5a6-4b7c-8d9e-0f1a2b3c4d5e";
/// The fake project's first folder.
const FOLDER_ID: &str = "c2d3e4f5-a6b7-4c8d-9e0f-1a2b3c4d5e6f";
/// The fake project's version stack.
const STACK_ID: &str = "d3e4f5a6-b7c8-4d9e-0f1a-2b3c4d5e6f7a";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn simulator_runs_the_quickstart_in_headless_chromium() {
    let Some(browser) = Browser::start().await else {
        return;
    };
    let app = RunningApp::start().await;
    // As if `rename` were declared with `resource_types = ["file", "version_stack"]`: the
    // simulator must leave it out of a folder's menu, as Frame.io would.
    let mut restricted = app.manifest.clone();
    restricted.actions[1].resource_types = Some(vec!["file".into(), "version_stack".into()]);
    assert_eq!(restricted.actions[1].event, "rename");
    let manifest = temp_dir("restricted").join("manifest.json");
    std::fs::write(&manifest, restricted.to_json()).unwrap();
    let (mut simulator, page) = start_simulator(&app.url, manifest.to_str().unwrap()).await;

    browser.open(&page).await;
    browser.shot("01-project").await;

    // The menu lists the app's actions, as Frame.io would.
    click(&browser, &format!("#asset-{STACK_ID} .menu-button")).await;
    let text = browser.text(&format!("#asset-{STACK_ID} .menu")).await;
    assert!(
        text.contains("Rename") && text.contains("Say hello"),
        "{text}"
    );
    browser.shot("02-menu").await;
    click(&browser, "h2").await;
    click(&browser, &format!("#asset-{FOLDER_ID} .menu-button")).await;
    let text = browser.text(&format!("#asset-{FOLDER_ID} .menu")).await;
    assert!(
        text.contains("Say hello") && !text.contains("Rename"),
        "{text}"
    );
    click(&browser, "h2").await;

    // rename: the Form, filled in and submitted, then the final Message.
    open_action(&browser, FILE_ID, "rename").await;
    browser.dialog("form").await;
    let name = wait_for(&browser, "#field-new_name").await;
    assert_eq!(name.prop("value").await.unwrap().as_deref(), Some(FILE_ID));
    browser.fill("new_name", "Final cut").await;
    click(&browser, "#field-case option[value='upper']").await;
    click(&browser, "#field-notify").await;
    browser.shot("03-form").await;
    click(&browser, "#form-submit").await;
    let (title, description) = browser.dialog("message").await;
    assert_eq!(title, "Renamed");
    assert_eq!(
        description,
        "The file will be renamed to \"FINAL CUT\" and collaborators notified."
    );
    browser.shot("04-message").await;
    click(&browser, "#dialog-close").await;

    // greet: one click, one Message.
    open_action(&browser, FILE_ID, "greet").await;
    let (title, _) = browser.dialog("message").await;
    assert_eq!(title, "Hello!");
    click(&browser, "#dialog-close").await;

    // A webhook from the panel, and its 200 OK in the log.
    assert_eq!(browser.fire_webhook("file.ready").await, "200 OK");
    let rows = browser
        .find_all(fantoccini::Locator::Css("#log tbody tr"))
        .await
        .unwrap();
    assert_eq!(rows.len(), 4, "rename twice, greet, file.ready");
    browser.shot("05-log").await;

    browser.finish().await;
    simulator.kill().await.unwrap();
}
