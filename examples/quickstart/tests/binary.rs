//! The quickstart binary as a newcomer runs it: starts, answers a hand-signed delivery, and
//! shuts down cleanly on SIGTERM and SIGINT.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use frameio_kit_testing::{SignedRequest, webhook_event};

struct Server {
    child: Child,
    url: String,
    lines: mpsc::Receiver<String>,
}

fn start() -> Server {
    let mut child = Command::new(env!("CARGO_BIN_EXE_quickstart"))
        .env("WEBHOOK_SECRET", "dev-webhook-secret")
        .env("CUSTOM_ACTION_SECRET", "dev-action-secret")
        .env("PORT", "0")
        .env("RUST_LOG", "info")
        .env("NO_COLOR", "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("the quickstart binary starts");
    let stdout = child.stdout.take().expect("stdout");
    let (tx, lines) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let deadline = Instant::now() + Duration::from_secs(20);
    let url = loop {
        let line = lines
            .recv_timeout(deadline.saturating_duration_since(Instant::now()))
            .expect("the server logs its address");
        if let Some(rest) = line.split("listening on ").nth(1) {
            break rest
                .split_whitespace()
                .next()
                .unwrap_or_default()
                .to_owned();
        }
    };
    Server { child, url, lines }
}

fn signal_and_wait(mut server: Server, signal: &str) -> Vec<String> {
    let status = Command::new("kill")
        .args([signal, &server.child.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(status.success());
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        if let Some(status) = server.child.try_wait().unwrap() {
            assert!(status.success(), "clean exit after {signal}: {status}");
            break;
        }
        assert!(Instant::now() < deadline, "still running after {signal}");
        std::thread::sleep(Duration::from_millis(50));
    }
    // The log is written in batches and its last one as the process ends: read to the end
    // of its output (the reader thread ends there, which closes the channel).
    let mut lines = Vec::new();
    while let Ok(line) = server
        .lines
        .recv_timeout(deadline.saturating_duration_since(Instant::now()))
    {
        lines.push(line);
    }
    lines
}

#[tokio::test]
async fn serves_a_signed_delivery_and_stops_on_sigterm() {
    let server = start();
    let event = webhook_event("file.ready").resource_id("file-1");
    let request = SignedRequest::new("dev-webhook-secret", event.body());
    let mut builder = reqwest::Client::new()
        .post(&server.url)
        .body(request.body().to_vec());
    for (name, value) in request.header_pairs() {
        builder = builder.header(name, value);
    }
    let response = builder.send().await.expect("delivery");
    assert_eq!(response.status().as_u16(), 200);
    assert_eq!(response.text().await.unwrap(), "OK");

    let logs = signal_and_wait(server, "-TERM");
    assert!(
        logs.iter().any(|l| l.contains("file is ready")),
        "{logs:#?}"
    );
    assert!(logs.iter().any(|l| l.contains("stopped")), "{logs:#?}");
}

#[test]
fn stops_on_sigint_too() {
    let logs = signal_and_wait(start(), "-INT");
    assert!(
        logs.iter().any(|l| l.contains("shutdown signal received")),
        "{logs:#?}"
    );
}
