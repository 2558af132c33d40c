//! Every `frameio-kit` command end to end: the real binary against the quickstart example
//! served on a local port, a stateful stand-in for Frame.io, and MockIms.

mod support;

use std::sync::Arc;
use std::time::Duration;

use frameio_kit::{App, Handler, Headers, WebhookEvent};
use frameio_kit_testing::MockIms;
use serde_json::Value;
use support::{
    FakeFrameio, InstallCli, RunningApp, SECRET, cli, expect_exit, start_simulator, stderr, stdout,
    temp_dir,
};

const WEBHOOK_EVENTS: usize = 30;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_prints_verifiable_headers_and_a_curl_command() {
    let out = cli(
        &[
            "sign",
            "--secret",
            "s3cret",
            "--body",
            r#"{"type":"file.ready"}"#,
            "--timestamp",
            "1700000000",
        ],
        &[],
    )
    .await;
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    let expected =
        frameio_kit::signature::sign(b"s3cret", "1700000000", br#"{"type":"file.ready"}"#);
    assert_eq!(
        text,
        format!("X-Frameio-Request-Timestamp: 1700000000\nX-Frameio-Signature: {expected}\n")
    );

    let out = cli(
        &[
            "sign",
            "--secret-env",
            "MY_SECRET",
            "--body",
            "{\"it's\":1}",
            "--curl",
            "http://127.0.0.1:8000/",
        ],
        &[("MY_SECRET", "s3cret")],
    )
    .await;
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(
        text.starts_with("curl -sS -X POST 'http://127.0.0.1:8000/'"),
        "{text}"
    );
    assert!(text.contains(r#"--data-binary '{"it'\''s":1}'"#), "{text}");

    // No secret: a clear error, exit 1. A wrong flag: exit 64.
    let out = cli(&["sign", "--body", "{}"], &[]).await;
    expect_exit(&out, 1, "no signing secret");
    let out = cli(&["sign", "--nope"], &[]).await;
    assert_eq!(out.status.code(), Some(64));
    let out = cli(
        &[
            "sign",
            "--secret",
            "s",
            "--timestamp",
            "soon",
            "--body",
            "{}",
        ],
        &[],
    )
    .await;
    assert_eq!(out.status.code(), Some(1));
}

async fn all_events(_event: WebhookEvent) -> frameio_kit::Result<()> {
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn send_covers_every_webhook_event_type() {
    let list = cli(&["send", "--list-events"], &[]).await;
    assert!(list.status.success());
    let events: Vec<String> = stdout(&list)
        .lines()
        .map(|l| l.split_whitespace().next().unwrap().to_owned())
        .collect();
    assert_eq!(events.len(), WEBHOOK_EVENTS);

    // An app subscribed to every one of them: each fixture must parse, validate and verify.
    let service = App::new()
        .handler(Handler::webhook(events.clone(), all_events).secret(SECRET))
        .build()
        .unwrap();
    let server = service.start("127.0.0.1:0").unwrap();
    let url = server.url();
    for event in &events {
        let out = cli(&["send", &url, event, "--secret", SECRET], &[]).await;
        let text = stdout(&out);
        assert!(out.status.success(), "{event}: {text}{}", stderr(&out));
        assert!(text.starts_with("HTTP 200 OK"), "{event}: {text}");
        assert!(text.contains("\n\nOK\n"), "{event}: {text}");
    }
    server.stop(false).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn send_runs_the_quickstart_webhook_and_form_chain() {
    let app = RunningApp::start().await;
    let env = [("WEBHOOK_SECRET", SECRET), ("CUSTOM_ACTION_SECRET", SECRET)];

    let out = cli(&["send", &app.url, "file.ready", "--show-request"], &env).await;
    let text = stdout(&out);
    assert!(out.status.success(), "{text}{}", stderr(&out));
    assert!(text.contains(r#""type":"file.ready""#), "{text}");
    assert!(text.contains("HTTP 200 OK"), "{text}");

    // A one-click action, on a folder, for a given user.
    let out = cli(
        &[
            "send",
            &app.url,
            "greet",
            "--resource-type",
            "folder",
            "--user",
            "user-42",
        ],
        &env,
    )
    .await;
    let text = stdout(&out);
    assert!(out.status.success(), "{text}");
    assert!(text.contains("┌─ Message ─ Hello!"), "{text}");
    assert!(
        text.contains("Hello, user user-42. You clicked on folder"),
        "{text}"
    );

    // The form, then its submit with the same interaction id.
    let out = cli(
        &["send", &app.url, "rename", "--interaction", "int-7"],
        &env,
    )
    .await;
    let text = stdout(&out);
    assert!(out.status.success(), "{text}");
    assert!(text.contains("┌─ Form ─ Rename"), "{text}");
    assert!(
        text.contains("(Keep as typed=keep) | UPPER=upper | lower=lower"),
        "{text}"
    );
    assert!(text.contains("[ ] Notify collaborators"), "{text}");
    assert!(text.contains("(interaction int-7"), "{text}");
    let out = cli(
        &[
            "send",
            &app.url,
            "rename",
            "--interaction",
            "int-7",
            "--data",
            "new_name=clip.mp4",
            "--data",
            "case=upper",
            "--data",
            "notify:=true",
        ],
        &env,
    )
    .await;
    let text = stdout(&out);
    assert!(out.status.success(), "{text}");
    assert!(text.contains("┌─ Message ─ Renamed"), "{text}");
    assert!(
        text.contains(r#"renamed to \"CLIP.MP4\" and collaborators notified"#),
        "{text}"
    );

    // A wrong secret is delivered, refused, and exits 3.
    let out = cli(&["send", &app.url, "file.ready", "--secret", "wrong"], &[]).await;
    expect_exit(&out, 3, "HTTP 401 Unauthorized");
    // --data on a webhook event is a usage mistake.
    let out = cli(&["send", &app.url, "file.ready", "--data", "a=b"], &env).await;
    assert_eq!(out.status.code(), Some(1));
    // No app there: exit 1 with the reason.
    let out = cli(
        &["send", "http://127.0.0.1:9/", "file.ready", "--secret", "s"],
        &[],
    )
    .await;
    expect_exit(&out, 1, "cannot deliver to http://127.0.0.1:9/");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replay_resigns_recorded_deliveries() {
    let app = RunningApp::start().await;
    let dir = temp_dir("recordings");
    let recorder = frameio_kit::record::DeliveryRecorder::with_env(&dir, |name| {
        (name == frameio_kit::record::ENABLE_ENV).then(|| "1".to_owned())
    })
    .unwrap();
    let mut headers = Headers::new();
    headers.insert("X-Frameio-Request-Timestamp", "1000");
    headers.insert("X-Frameio-Signature", "v0=old");
    headers.insert("User-Agent", "Frame.io V4 API");
    headers.insert("X-Request-Id", "abc");
    let webhook = recorder
        .record(
            "file.ready",
            &headers,
            br#"{"account":{"id":"a"},"project":{"id":"p"},"resource":{"id":"r","type":"file"},"type":"file.ready","user":{"id":"u"},"workspace":{"id":"w"}}"#,
        )
        .await
        .unwrap();
    let action = recorder
        .record(
            "greet",
            &headers,
            br#"{"account_id":"a","action_id":"x","interaction_id":"i","project":{"id":"p"},"resource":{"id":"r","type":"file"},"type":"greet","user":{"id":"u9"},"workspace":{"id":"w"}}"#,
        )
        .await
        .unwrap();
    let env = [("WEBHOOK_SECRET", SECRET), ("CUSTOM_ACTION_SECRET", SECRET)];
    for _ in 0..2 {
        // Twice: a fresh timestamp each time, so the replay guard never sees a repeat.
        let out = cli(
            &["replay", webhook.to_str().unwrap(), "--to", &app.url],
            &env,
        )
        .await;
        assert!(out.status.success(), "{}{}", stdout(&out), stderr(&out));
        assert!(stdout(&out).contains("HTTP 200 OK"));
        tokio::time::sleep(Duration::from_millis(1100)).await;
    }
    let out = cli(
        &["replay", action.to_str().unwrap(), "--to", &app.url],
        &env,
    )
    .await;
    assert!(stdout(&out).contains("Hello, user u9."), "{}", stdout(&out));
    // The action secret was picked for the action recording: with only the webhook secret
    // set, it is missing.
    let out = cli(
        &["replay", action.to_str().unwrap(), "--to", &app.url],
        &[("WEBHOOK_SECRET", SECRET)],
    )
    .await;
    expect_exit(&out, 1, "CUSTOM_ACTION_SECRET");

    let bad = dir.join("bad.json");
    std::fs::write(&bad, "{}").unwrap();
    let out = cli(&["replay", bad.to_str().unwrap(), "--to", &app.url], &env).await;
    expect_exit(&out, 1, "not a frameio-kit delivery recording");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn manifest_from_the_dev_route_and_a_file() {
    let app = RunningApp::start().await;
    let out = cli(&["manifest", "--manifest-url", &app.url], &[]).await;
    assert!(out.status.success(), "{}", stderr(&out));
    let printed = frameio_kit::Manifest::from_json(&stdout(&out)).unwrap();
    assert_eq!(printed, app.manifest);
    assert_eq!(printed.webhook_events, ["file.ready"]);
    let events: Vec<&str> = printed.actions.iter().map(|a| a.event.as_str()).collect();
    assert_eq!(events, ["greet", "rename"]);

    let file = app.manifest_file();
    let out = cli(&["manifest", "--manifest", file.to_str().unwrap()], &[]).await;
    assert_eq!(
        frameio_kit::Manifest::from_json(&stdout(&out)).unwrap(),
        app.manifest
    );

    // An app without the route: a clear error.
    let out = cli(&["manifest", "--manifest-url", "http://127.0.0.1:9/"], &[]).await;
    assert_eq!(out.status.code(), Some(1));
    let out = cli(&["manifest"], &[]).await;
    expect_exit(&out, 1, "no manifest");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keygen_prints_a_usable_key() {
    let out = cli(&["keygen"], &[]).await;
    assert!(out.status.success());
    let key = stdout(&out);
    frameio_kit::store::EncryptionKey::from_base64(key.trim()).unwrap();
    let again = stdout(&cli(&["keygen"], &[]).await);
    assert_ne!(key, again);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn install_plan_apply_check_and_drift() {
    let app = RunningApp::start().await;
    let manifest = app.manifest_file();
    let fake = FakeFrameio::start(|token| token == "tok").await;
    let install = InstallCli {
        fake: &fake,
        manifest: manifest.to_str().unwrap(),
        env: vec![("FRAMEIO_TOKEN", "tok")],
    };
    let url = "https://app.example.com/frameio";

    let text = expect_exit(
        &install.run("plan", url, &[]).await,
        0,
        "Plan: 3 to create, 0 to update, 0 to delete, 0 unchanged.",
    );
    assert!(text.contains("+ webhook \"frameio-kit\" → https://app.example.com/frameio (1 event types: file.ready)"), "{text}");
    assert!(text.contains("+ action \"Rename\" (rename)"), "{text}");
    assert!(fake.mutations().is_empty(), "plan changes nothing");
    install.drifted(url, "+ webhook").await;

    // apply: secrets as JSON on stdout, the plan on stderr.
    let out = install.run("apply", url, &[]).await;
    assert!(out.status.success(), "{}", stderr(&out));
    let secrets: Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(secrets["webhook"]["secret"], fake.webhooks()[0]["secret"]);
    assert_eq!(
        secrets["actions"]["greet"]["secret"]
            .as_str()
            .unwrap()
            .len(),
        32
    );
    assert_eq!(secrets["actions"].as_object().unwrap().len(), 2);
    assert_eq!(
        fake.webhooks()[0]["events"],
        serde_json::json!(["file.ready"])
    );
    assert_eq!(fake.actions().len(), 2);

    // Idempotent: the second apply changes nothing and prints no secret.
    fake.clear_requests();
    let out = install.run("apply", url, &[]).await;
    let text = expect_exit(
        &out,
        0,
        "Plan: 0 to create, 0 to update, 0 to delete, 3 unchanged.",
    );
    assert_eq!(
        serde_json::from_str::<Value>(&text).unwrap(),
        serde_json::json!({"actions": {}})
    );
    assert!(fake.mutations().is_empty(), "{:?}", fake.mutations());
    expect_exit(&install.run("check", url, &[]).await, 0, "No drift.");

    // Drift 1: the webhook was deleted in Frame.io.
    fake.delete_all_webhooks();
    install.drifted(url, "+ webhook").await;
    install.repair(url).await;

    // Drift 2: an action was renamed by hand.
    fake.rename_action("rename", "Rename (old)");
    let text = install
        .drifted(url, r#"name "Rename (old)" → "Rename""#)
        .await;
    assert!(text.contains("~ action rename"), "{text}");
    install.repair(url).await;
    assert!(fake.actions().iter().all(|a| a["name"] != "Rename (old)"));

    // Drift 3: the webhook points elsewhere.
    fake.set_webhook_url("https://attacker.example/");
    install
        .drifted(
            url,
            "url https://attacker.example/ → https://app.example.com/frameio",
        )
        .await;
    install.repair(url).await;
    assert_eq!(fake.webhooks()[0]["url"], url);
    assert_eq!(fake.webhooks().len(), 1);

    // Drift 4: the app moved (a new --url): the webhook, found by name, and both actions,
    // found by event key, are re-pointed; nothing is recreated.
    let moved = "https://new-host.example.com/frameio";
    install
        .drifted(
            moved,
            "Plan: 0 to create, 3 to update, 0 to delete, 0 unchanged.",
        )
        .await;
    install.repair(moved).await;
    assert!(fake.actions().iter().all(|a| a["url"] == moved));
    assert_eq!(fake.webhooks().len(), 1);

    // Without a token: exit 1 and what to set. A token Frame.io refuses: exit 1.
    let no_token = InstallCli {
        env: vec![],
        ..install
    };
    expect_exit(
        &no_token.run("plan", url, &[]).await,
        1,
        "no Frame.io token",
    );
    let bad_token = InstallCli {
        env: vec![("FRAMEIO_TOKEN", "bad")],
        ..no_token
    };
    expect_exit(&bad_token.run("plan", url, &[]).await, 1, "401");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn install_apply_writes_a_private_secrets_file_and_uses_ims_server_to_server() {
    let app = RunningApp::start().await;
    let manifest = app.manifest_file();
    let ims = Arc::new(MockIms::start().await.unwrap());
    let checker = Arc::clone(&ims);
    let fake = FakeFrameio::start(move |token| checker.is_access_token_valid(token)).await;
    let url = "https://app.example.com/";
    let install = InstallCli {
        fake: &fake,
        manifest: manifest.to_str().unwrap(),
        env: vec![
            (
                "FRAMEIO_IMS_CLIENT_ID",
                frameio_kit_testing::mock_ims::CLIENT_ID,
            ),
            (
                "FRAMEIO_IMS_CLIENT_SECRET",
                frameio_kit_testing::mock_ims::CLIENT_SECRET,
            ),
            ("FRAMEIO_IMS_URL", ims.base_url()),
        ],
    };
    let dir = temp_dir("secrets");
    let file = dir.join("secrets.json");
    let args = ["--secrets-file", file.to_str().unwrap()];
    let out = install.run("apply", url, &args).await;
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).is_empty(), "secrets go to the file only");
    assert_eq!(ims.token_requests("client_credentials"), 1);
    let first: Value = serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    assert_eq!(first["actions"].as_object().unwrap().len(), 2);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(&file).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "{mode:o}");
    }
    // A recreated webhook replaces its entry; the actions' secrets stay.
    fake.delete_all_webhooks();
    assert!(install.run("apply", url, &args).await.status.success());
    let second: Value = serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    assert_ne!(second["webhook"]["id"], first["webhook"]["id"]);
    assert_eq!(second["webhook"]["secret"], fake.webhooks()[0]["secret"]);
    assert_eq!(second["actions"], first["actions"]);

    // IMS refusing the credential: exit 1 with the reason.
    let refused = InstallCli {
        env: vec![
            (
                "FRAMEIO_IMS_CLIENT_ID",
                frameio_kit_testing::mock_ims::CLIENT_ID,
            ),
            ("FRAMEIO_IMS_CLIENT_SECRET", "wrong"),
            ("FRAMEIO_IMS_URL", ims.base_url()),
        ],
        ..install
    };
    expect_exit(
        &refused.run("check", url, &[]).await,
        1,
        "cannot get a server-to-server token from IMS",
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn simulate_serves_the_page_and_relays_signed_deliveries() {
    let app = RunningApp::start().await;
    let manifest = app.manifest_file();
    let (mut child, page) = start_simulator(&app.url, manifest.to_str().unwrap()).await;
    let http = reqwest::Client::builder().no_proxy().build().unwrap();

    let html = http.get(&page).send().await.unwrap();
    assert_eq!(html.status(), 200);
    let csp = html.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(csp.contains("default-src 'self'"), "{csp}");
    let html = html.text().await.unwrap();
    for asset in [
        &html,
        &http
            .get(format!("{page}simulator.js"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap(),
        &http
            .get(format!("{page}simulator.css"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap(),
    ] {
        assert!(
            !asset.contains("http://") && !asset.contains("https://"),
            "external asset in {asset}"
        );
    }

    let state: Value = http
        .get(format!("{page}api/state"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(state["manifest"]["actions"][1]["event"], "rename");
    assert_eq!(
        state["webhook_events"].as_array().unwrap().len(),
        WEBHOOK_EVENTS
    );

    // A click, then the form submit with the same interaction.
    let first: Value = http
        .post(format!("{page}api/action"))
        .json(&serde_json::json!({"event": "rename", "resource_id": "f1", "resource_type": "file"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(first["entry"]["status"], 200);
    let form: Value =
        serde_json::from_str(first["entry"]["response_body"].as_str().unwrap()).unwrap();
    assert_eq!(form["fields"][0]["value"], "f1");
    let interaction = first["interaction_id"].as_str().unwrap();
    let second: Value = http
        .post(format!("{page}api/action"))
        .json(&serde_json::json!({"event": "rename", "resource_id": "f1", "resource_type": "file",
            "interaction_id": interaction, "data": {"new_name": "x", "case": "keep", "notify": false}}))
        .send().await.unwrap().json().await.unwrap();
    assert_eq!(second["interaction_id"], interaction);
    assert!(
        second["entry"]["response_body"]
            .as_str()
            .unwrap()
            .contains("renamed to \\\"x\\\"")
    );

    let hook: Value = http
        .post(format!("{page}api/webhook"))
        .json(&serde_json::json!({"event_type": "file.ready"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(hook["entry"]["status"], 200);
    assert_eq!(hook["entry"]["response_body"], "OK");
    let log: Value = http
        .get(format!("{page}api/log"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(log.as_array().unwrap().len(), 3);

    // Unknown action, foreign Host (DNS rebinding), form-encoded post (cross-site form).
    let unknown = http
        .post(format!("{page}api/action"))
        .json(&serde_json::json!({"event": "nope", "resource_id": "f", "resource_type": "file"}))
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status(), 400);
    let foreign = http
        .get(format!("{page}api/state"))
        .header("host", "evil.example:80")
        .send()
        .await
        .unwrap();
    assert_eq!(foreign.status(), 403);
    let form_post = http
        .post(format!("{page}api/webhook"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("event_type=file.ready")
        .send()
        .await
        .unwrap();
    assert!(form_post.status().is_client_error());
    child.kill().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_app_records_a_delivery_that_replay_sends_again() {
    let dir = temp_dir("app-recordings");
    let app = RunningApp::start_with(
        App::from_registry()
            .env_lookup(|name| {
                if name == frameio_kit::record::ENABLE_ENV {
                    Some("1".to_owned())
                } else {
                    frameio_kit_testing::test_env(name)
                }
            })
            .record_deliveries(&dir),
    )
    .await;
    let env = [("WEBHOOK_SECRET", SECRET), ("CUSTOM_ACTION_SECRET", SECRET)];
    let out = cli(&["send", &app.url, "file.ready"], &env).await;
    assert!(out.status.success(), "{}{}", stdout(&out), stderr(&out));
    // A delivery with a bad signature is not recorded.
    let bad = reqwest_less_bad_delivery(&app.url).await;
    assert_eq!(bad, 401);

    let files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .collect();
    assert_eq!(files.len(), 1, "{files:?}");
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let out = cli(
        &["replay", files[0].to_str().unwrap(), "--to", &app.url],
        &env,
    )
    .await;
    assert!(out.status.success(), "{}{}", stdout(&out), stderr(&out));
    assert!(stdout(&out).contains("HTTP 200 OK"), "{}", stdout(&out));
    std::fs::remove_dir_all(&dir).unwrap();
}

/// A `file.ready` delivery signed with the wrong secret: its status.
async fn reqwest_less_bad_delivery(url: &str) -> u16 {
    let out = cli(&["send", url, "file.ready", "--secret", "wrong"], &[]).await;
    let text = stdout(&out);
    if text.contains("HTTP 401") {
        401
    } else {
        panic!("{text}{}", stderr(&out))
    }
}
