//! Logging and shutdown defaults of the quickstart binary: no colour codes when its output is
//! not a terminal, a delivery still in flight is waited for on the first signal, and a second
//! signal stops at once.

use std::io::{BufRead, BufReader, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// Starts the binary with its output piped (so not a terminal) and `NO_COLOR` unset; returns
/// it, its address and its log lines.
fn start() -> (Child, String, mpsc::Receiver<String>) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_quickstart"))
        .env("WEBHOOK_SECRET", "dev-webhook-secret")
        .env("CUSTOM_ACTION_SECRET", "dev-action-secret")
        .env("PORT", "0")
        .env("RUST_LOG", "info")
        .env_remove("NO_COLOR")
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
    let address = loop {
        let line = lines
            .recv_timeout(deadline.saturating_duration_since(Instant::now()))
            .expect("the server logs its address");
        if let Some(rest) = line.split("listening on http://").nth(1) {
            break rest.split('/').next().unwrap_or_default().to_owned();
        }
    };
    (child, address, lines)
}

fn signal(child: &Child, signal: &str) {
    let status = Command::new("kill")
        .args([signal, &child.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(status.success());
}

#[test]
fn a_second_signal_stops_at_once_and_logs_carry_no_colour_codes() {
    let (mut child, address, lines) = start();
    // A delivery whose body is still coming keeps a graceful shutdown waiting (up to the
    // 10 s body read deadline).
    let mut stalled = TcpStream::connect(&address).expect("connect");
    write!(
        stalled,
        "POST / HTTP/1.1\r\nHost: {address}\r\nContent-Length: 200\r\n\r\n{{\"type\":"
    )
    .expect("write");
    std::thread::sleep(Duration::from_millis(300));

    signal(&child, "-TERM");
    std::thread::sleep(Duration::from_millis(700));
    assert!(
        child.try_wait().unwrap().is_none(),
        "the first signal waits for the delivery in flight"
    );

    signal(&child, "-INT");
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "still running after the second signal"
        );
        std::thread::sleep(Duration::from_millis(20));
    };
    assert!(status.success(), "{status}");
    // The log's last batch is written as the process ends: read to the end of its output.
    let logs: Vec<String> =
        std::iter::from_fn(|| lines.recv_timeout(Duration::from_secs(5)).ok()).collect();
    assert!(
        logs.iter().any(|l| l.contains("second shutdown signal")),
        "{logs:#?}"
    );
    assert!(
        logs.iter().any(|l| l.contains("cut off unanswered")),
        "the cut-off delivery is logged: {logs:#?}"
    );
    assert!(
        logs.iter().all(|l| !l.contains('\u{1b}')),
        "no ANSI codes when stdout is not a terminal: {logs:#?}"
    );
}
