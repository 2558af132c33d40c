//! The simulator driven in headless Chromium: open an asset's menu, run the quickstart's
//! `rename` action through its form to the final Message, run `greet`, fire `file.ready` and
//! see `200 OK` in the log. Screenshots go to `target/screenshots/`.
//!
//! Runs when `chromedriver` is on PATH and says it skipped otherwise; with
//! `FRAMEIO_KIT_REQUIRE_BROWSER=1` (set by `.ci/run`) a missing chromedriver fails instead.

mod support;

use fantoccini::Locator;
use support::browser::{
    chromedriver_or_skip, click, connect, open_action, shot, start_chromedriver, wait_for,
};
use support::{RunningApp, start_simulator, temp_dir};

/// The fake project's first file.
const FILE_ID: &str = "b1c2d3e4-f5a6-4b7c-8d9e-0f1a2b3c4d5e";
/// The fake project's first folder.
const FOLDER_ID: &str = "c2d3e4f5-a6b7-4c8d-9e0f-1a2b3c4d5e6f";
/// The fake project's version stack.
const STACK_ID: &str = "d3e4f5a6-b7c8-4d9e-0f1a-2b3c4d5e6f7a";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn simulator_runs_the_quickstart_in_headless_chromium() {
    let Some(driver) = chromedriver_or_skip() else {
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
    let (mut driver, webdriver) = start_chromedriver(&driver).await;
    let profile = temp_dir("chromium-profile");
    let client = connect(&webdriver, &profile).await;

    client.goto(&page).await.unwrap();
    wait_for(&client, "body[data-ready='true']").await;
    shot(&client, "01-project").await;

    // The menu lists the app's actions, as Frame.io would.
    client
        .find(Locator::Css(&format!("#asset-{STACK_ID} .menu-button")))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let items = wait_for(&client, &format!("#asset-{STACK_ID} .menu")).await;
    let text = items.text().await.unwrap();
    assert!(
        text.contains("Rename") && text.contains("Say hello"),
        "{text}"
    );
    shot(&client, "02-menu").await;
    click(&client, "h2").await;
    click(&client, &format!("#asset-{FOLDER_ID} .menu-button")).await;
    let text = wait_for(&client, &format!("#asset-{FOLDER_ID} .menu"))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        text.contains("Say hello") && !text.contains("Rename"),
        "{text}"
    );
    click(&client, "h2").await;

    // rename: the Form, filled in and submitted, then the final Message.
    open_action(&client, FILE_ID, "rename").await;
    wait_for(&client, "#overlay:not([hidden]) #dialog[data-kind='form']").await;
    let name = wait_for(&client, "#field-new_name").await;
    assert_eq!(name.prop("value").await.unwrap().as_deref(), Some(FILE_ID));
    name.clear().await.unwrap();
    name.send_keys("Final cut").await.unwrap();
    client
        .find(Locator::Css("#field-case option[value='upper']"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    client
        .find(Locator::Css("#field-notify"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    shot(&client, "03-form").await;
    client
        .find(Locator::Css("#form-submit"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_for(
        &client,
        "#overlay:not([hidden]) #dialog[data-kind='message']",
    )
    .await;
    let title = client
        .find(Locator::Css("#dialog-title"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let description = client
        .find(Locator::Css("#dialog-description"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(title, "Renamed");
    assert_eq!(
        description,
        "The file will be renamed to \"FINAL CUT\" and collaborators notified."
    );
    shot(&client, "04-message").await;
    client
        .find(Locator::Css("#dialog-close"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();

    // greet: one click, one Message.
    open_action(&client, FILE_ID, "greet").await;
    wait_for(
        &client,
        "#overlay:not([hidden]) #dialog[data-kind='message']",
    )
    .await;
    let title = client
        .find(Locator::Css("#dialog-title"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(title, "Hello!");
    client
        .find(Locator::Css("#dialog-close"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();

    // A webhook from the panel, and its 200 OK in the log.
    client
        .find(Locator::Css("#webhook-event option[value='file.ready']"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    client
        .find(Locator::Css("#webhook-fire"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let status = wait_for(&client, "#log tbody tr[data-event='file.ready'] td.status").await;
    assert_eq!(status.text().await.unwrap(), "200 OK");
    let rows = client
        .find_all(Locator::Css("#log tbody tr"))
        .await
        .unwrap();
    assert_eq!(rows.len(), 4, "rename twice, greet, file.ready");
    shot(&client, "05-log").await;

    client.close().await.unwrap();
    driver.kill().await.unwrap();
    simulator.kill().await.unwrap();
    let _ = std::fs::remove_dir_all(&profile);
}
