//! Headless Chromium helpers for the simulator's browser tests.

use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::json;

pub const WAIT: Duration = Duration::from_secs(20);

/// `chromedriver` on PATH; `None` means skip, unless `FRAMEIO_KIT_REQUIRE_BROWSER=1`, which
/// fails the test instead.
pub fn chromedriver_or_skip() -> Option<PathBuf> {
    match chromedriver() {
        Some(path) => Some(path),
        None if std::env::var("FRAMEIO_KIT_REQUIRE_BROWSER").as_deref() == Ok("1") => {
            panic!(
                "FRAMEIO_KIT_REQUIRE_BROWSER=1 but chromedriver is not on PATH (apt-get install chromium chromium-driver)"
            )
        }
        None => {
            eprintln!(
                "skipped: chromedriver is not on PATH (apt-get install chromium chromium-driver)"
            );
            None
        }
    }
}

fn chromedriver() -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join("chromedriver"))
        .find(|candidate| candidate.is_file())
}

pub fn screenshots_dir() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target"));
    let dir = target.join("screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

pub async fn shot(client: &Client, name: &str) {
    let png = client.screenshot().await.unwrap();
    std::fs::write(screenshots_dir().join(format!("simulator-{name}.png")), png).unwrap();
}

pub async fn start_chromedriver(path: &PathBuf) -> (tokio::process::Child, String) {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let child = tokio::process::Command::new(path)
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("chromedriver starts");
    let url = format!("http://127.0.0.1:{port}");
    let http = reqwest::Client::builder().no_proxy().build().unwrap();
    for _ in 0..100 {
        if let Ok(response) = http.get(format!("{url}/status")).send().await
            && response.status().is_success()
        {
            return (child, url);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("chromedriver did not answer on {url}");
}

pub async fn connect(webdriver: &str, profile: &std::path::Path) -> Client {
    let mut args = vec![
        "--headless".to_owned(),
        "--no-sandbox".to_owned(),
        "--disable-gpu".to_owned(),
        "--disable-quic".to_owned(),
        "--no-first-run".to_owned(),
        "--disable-background-networking".to_owned(),
        "--disable-component-update".to_owned(),
        "--disable-sync".to_owned(),
        "--window-size=1280,900".to_owned(),
    ];
    args.push(format!("--user-data-dir={}", profile.display()));
    let mut options = json!({ "args": args });
    if std::path::Path::new("/usr/bin/chromium").exists() {
        options["binary"] = json!("/usr/bin/chromium");
    }
    let mut caps = serde_json::Map::new();
    caps.insert("goog:chromeOptions".to_owned(), options);
    // Several crypto providers are linked; choose one (an error means one is already set).
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
    ClientBuilder::rustls()
        .unwrap()
        .capabilities(caps)
        .connect(webdriver)
        .await
        .expect("a headless Chromium session")
}

pub async fn wait_for(client: &Client, css: &str) -> fantoccini::elements::Element {
    client
        .wait()
        .at_most(WAIT)
        .for_element(Locator::Css(css))
        .await
        .unwrap_or_else(|err| panic!("{css} never appeared: {err}"))
}

pub async fn click(client: &Client, css: &str) {
    client
        .find(Locator::Css(css))
        .await
        .unwrap_or_else(|err| panic!("no {css}: {err}"))
        .click()
        .await
        .unwrap();
}

pub async fn open_action(client: &Client, asset: &str, event: &str) {
    client
        .find(Locator::Css(&format!("#asset-{asset} .menu-button")))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_for(
        client,
        &format!("#asset-{asset} .menu-item[data-event='{event}']"),
    )
    .await
    .click()
    .await
    .unwrap();
}

/// A headless Chromium session under its own chromedriver, with a throw-away profile.
pub struct Browser {
    pub client: Client,
    driver: tokio::process::Child,
    profile: PathBuf,
}

impl std::ops::Deref for Browser {
    type Target = Client;

    fn deref(&self) -> &Client {
        &self.client
    }
}

impl Browser {
    /// Starts chromedriver and a session; `None` (skip) when chromedriver is missing, unless
    /// `FRAMEIO_KIT_REQUIRE_BROWSER=1`.
    pub async fn start() -> Option<Self> {
        let path = chromedriver_or_skip()?;
        let (driver, webdriver) = start_chromedriver(&path).await;
        let profile = super::temp_dir("chromium-profile");
        let client = connect(&webdriver, &profile).await;
        Some(Self {
            client,
            driver,
            profile,
        })
    }

    /// Ends the session and chromedriver, and removes the profile.
    pub async fn finish(mut self) {
        self.client.clone().close().await.unwrap();
        self.driver.kill().await.unwrap();
        let _ = std::fs::remove_dir_all(&self.profile);
    }

    /// Opens the simulator page and waits until it has loaded the app's manifest.
    pub async fn open(&self, page: &str) {
        self.client.goto(page).await.unwrap();
        wait_for(&self.client, "body[data-ready='true']").await;
    }

    /// The text of the element `css` once it appears.
    pub async fn text(&self, css: &str) -> String {
        wait_for(&self.client, css).await.text().await.unwrap()
    }

    /// Waits for the dialog of `kind` (`message` or `form`); returns its title and
    /// description.
    pub async fn dialog(&self, kind: &str) -> (String, String) {
        wait_for(
            &self.client,
            &format!("#overlay:not([hidden]) #dialog[data-kind='{kind}']"),
        )
        .await;
        (
            self.text("#dialog-title").await,
            self.text("#dialog-description").await,
        )
    }

    /// Types `value` into the form field `name`, replacing what it held.
    pub async fn fill(&self, name: &str, value: &str) {
        let field = wait_for(&self.client, &format!("#field-{name}")).await;
        field.clear().await.unwrap();
        field.send_keys(value).await.unwrap();
    }

    /// Fires a webhook from the panel; returns the status its log row shows.
    pub async fn fire_webhook(&self, event: &str) -> String {
        click(
            &self.client,
            &format!("#webhook-event option[value='{event}']"),
        )
        .await;
        click(&self.client, "#webhook-fire").await;
        self.text(&format!("#log tbody tr[data-event='{event}'] td.status"))
            .await
    }

    /// Saves a screenshot as `simulator-{name}.png`.
    pub async fn shot(&self, name: &str) {
        shot(&self.client, name).await;
    }
}
