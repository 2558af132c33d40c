//! The whole install journey in headless Chromium (Debian's `chromium` + `chromium-driver`,
//! driven with fantoccini): landing, sign-in through MockIms, account and workspace choice,
//! install fields, install, a redeploy with a new manifest and the update, drift + repair,
//! rotation, uninstall — on SQLite, and on Redis / PostgreSQL when their test URLs are set.
//! A screenshot of each page goes to `target/screenshots/install/<engine>/`.
//!
//! Runs when `chromedriver` is on `PATH` and says so when it skips; with
//! `FRAMEIO_KIT_REQUIRE_BROWSER=1` (CI) a missing driver fails the test instead.
#![cfg(feature = "install")]

mod install_support;

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};
use frameio_kit::store::Store;
use install_support::*;
use serde_json::json;

fn chromedriver() -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join("chromedriver"))
        .find(|candidate| candidate.is_file())
}

/// Kills the chromedriver this test started when dropped.
struct Driver {
    child: Child,
    url: String,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn start_driver(binary: &PathBuf) -> Driver {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let child = Command::new(binary)
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("chromedriver starts");
    let driver = Driver {
        child,
        url: format!("http://127.0.0.1:{port}"),
    };
    let deadline = Instant::now() + Duration::from_secs(20);
    while Instant::now() < deadline {
        if reqwest::get(format!("{}/status", driver.url)).await.is_ok() {
            return driver;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("chromedriver did not answer on {}", driver.url);
}

async fn browser(driver: &Driver, profile: &std::path::Path) -> Client {
    let mut caps = serde_json::Map::new();
    caps.insert(
        "goog:chromeOptions".into(),
        json!({
            "binary": "/usr/bin/chromium",
            "args": [
                "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync",
                "--window-size=1100,1400",
                format!("--user-data-dir={}", profile.display()),
            ]
        }),
    );
    ClientBuilder::rustls()
        .expect("tls")
        .capabilities(caps)
        .connect(&driver.url)
        .await
        .expect("a headless Chromium session")
}

struct Journey<'a> {
    client: &'a Client,
    shots: PathBuf,
    count: usize,
}

impl Journey<'_> {
    /// Waits until the page contains `needle` (navigation after a click is asynchronous).
    async fn expect(&self, needle: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            let source = self.client.source().await.unwrap();
            if source.contains(needle) {
                return source;
            }
            if Instant::now() > deadline {
                panic!("page never showed {needle:?}; it shows:\n{source}");
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    async fn shot(&mut self, name: &str) {
        self.count += 1;
        let png = self.client.screenshot().await.unwrap();
        assert!(png.starts_with(b"\x89PNG"), "a PNG screenshot");
        std::fs::write(
            self.shots.join(format!("{:02}-{name}.png", self.count)),
            png,
        )
        .unwrap();
    }

    async fn click(&self, css: &str) {
        self.client
            .find(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("no {css}: {e}"))
            .click()
            .await
            .unwrap();
    }
}

fn screenshots_dir(engine: &str) -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target"));
    let dir = target.join("screenshots/install").join(engine);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[tokio::test]
async fn install_journey_in_headless_chromium() {
    let Some(binary) = chromedriver() else {
        if std::env::var("FRAMEIO_KIT_REQUIRE_BROWSER").as_deref() == Ok("1") {
            panic!(
                "FRAMEIO_KIT_REQUIRE_BROWSER=1 but no chromedriver on PATH (apt-get install -y chromium chromium-driver)"
            );
        }
        // Written to the real stderr, past libtest's capture, so the skip is always seen.
        use std::io::Write as _;
        let _ = writeln!(
            std::io::stderr(),
            "SKIPPED install_journey_in_headless_chromium: no chromedriver on PATH \
             (apt-get install -y chromium chromium-driver)"
        );
        return;
    };
    // fantoccini's rustls and reqwest's bring two crypto providers; choose one.
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
    let driver = start_driver(&binary).await;
    for (engine, store) in stores() {
        println!("browser journey on {engine}");
        journey(&driver, engine, store).await;
    }
}

async fn journey(driver: &Driver, engine: &str, store: Arc<dyn Store>) {
    let mut h = Harness::start(store).await;
    let profile = std::env::temp_dir().join(format!(
        "frameio-kit-chromium-{}",
        uuid::Uuid::new_v4().simple()
    ));
    let client = browser(driver, &profile).await;
    let mut j = Journey {
        client: &client,
        shots: screenshots_dir(engine),
        count: 0,
    };

    // Landing, then sign in with Adobe (MockIms redirects straight back).
    client.goto(&format!("{}/install", h.base)).await.unwrap();
    j.expect("Sign in with Adobe").await;
    j.shot("landing").await;
    j.click("a[href='/install/login']").await;
    j.expect("Choose an account").await;
    j.shot("accounts").await;

    // Account, then workspace.
    j.click(&format!("a[href='/install/accounts/{ACCOUNT}']"))
        .await;
    j.expect("Marketing").await;
    j.shot("workspaces").await;
    j.click(&format!(
        "a[href='/install/accounts/{ACCOUNT}/workspaces/{WORKSPACE}']"
    ))
    .await;
    j.expect("Archive key").await;

    // Fill the fields and install.
    let form = client
        .form(Locator::Css("form[action$='/install']"))
        .await
        .unwrap();
    form.set_by_name("archive_key", "key-from-the-browser")
        .await
        .unwrap();
    client
        .find(Locator::Css("select[name='region']"))
        .await
        .unwrap()
        .select_by_value("us")
        .await
        .unwrap();
    form.set_by_name("label", "Browser label").await.unwrap();
    j.shot("install-form").await;
    j.click("form[action$='/install'] button").await;
    j.expect("Installed.").await;
    j.expect("Everything matches.").await;
    assert_eq!(h.mock.webhooks().len(), 1);
    assert_eq!(h.mock.actions().len(), 3);

    // A delivery verified with the installation's secret shows on the status panel.
    let secret = h.webhook_secret(WORKSPACE);
    let (status, _) = h.webhook(&secret, "file.ready", WORKSPACE).await;
    assert_eq!(status, 200);
    client.refresh().await.unwrap();
    j.expect("handled").await;
    j.shot("installed").await;

    // Redeploy with a new manifest: the panel shows the diff; Update applies it.
    h.redeploy(Options {
        version: 2,
        ..Options::default()
    })
    .await;
    client.refresh().await.unwrap();
    j.expect("+ webhook event comment.created").await;
    j.expect("- action \"Old\"").await;
    j.shot("update-diff").await;
    j.click("form[action$='/update'] button").await;
    j.expect("Updated.").await;
    j.expect("The installation matches this version of the app.")
        .await;
    j.shot("updated").await;
    assert_eq!(
        h.webhook_secret(WORKSPACE),
        secret,
        "update keeps the secret"
    );
    assert!(h.mock.actions().iter().any(|a| a.event == "acme.report"));
    assert!(h.mock.actions().iter().all(|a| a.event != "acme.old"));

    // Drift: the webhook is deleted in Frame.io; Repair recreates it.
    let webhook = h.mock.webhooks()[0].id.clone();
    h.client()
        .webhooks()
        .delete(ACCOUNT, &webhook)
        .await
        .unwrap();
    client.refresh().await.unwrap();
    j.expect("webhook: deleted in Frame.io").await;
    j.shot("drift").await;
    j.click("form[action$='/repair'] button").await;
    j.expect("Repaired.").await;
    j.expect("Everything matches.").await;
    j.shot("repaired").await;
    let repaired = h.webhook_secret(WORKSPACE);
    assert_ne!(repaired, secret);

    // Rotate secrets.
    j.click("form[action$='/rotate'] button").await;
    j.expect("Signing secrets rotated.").await;
    j.shot("rotated").await;
    let rotated = h.webhook_secret(WORKSPACE);
    assert_ne!(rotated, repaired);
    let (status, _) = h.webhook(&rotated, "file.ready", WORKSPACE).await;
    assert_eq!(status, 200);
    let (status, _) = h.webhook(&repaired, "file.ready", WORKSPACE).await;
    assert_eq!(status, 401);

    // Uninstall.
    j.click("form[action$='/uninstall'] button").await;
    j.expect("was removed from the workspace").await;
    j.shot("uninstalled").await;
    assert!(h.mock.webhooks().is_empty() && h.mock.actions().is_empty());

    client.close().await.unwrap();
    h.handle.stop(true).await;
    let _ = std::fs::remove_dir_all(&profile);
}
