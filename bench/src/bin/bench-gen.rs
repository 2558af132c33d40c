//! Helper for `bench/run.sh`.
//!
//! * `bench-gen requests N FILE [FIRST]`: writes N deliveries signed now (deliveries FIRST to
//!   FIRST+N-1, default FIRST 0: files with disjoint ranges hold no request twice), one per
//!   line as `timestamp<TAB>signature<TAB>body`, for `bench/requests.lua`.
//! * `bench-gen free-port`: prints a port on 127.0.0.1 that was free a moment ago.

use std::io::{BufWriter, Write};
use std::time::{SystemTime, UNIX_EPOCH};

use frameio_kit::signature::SigningKey;
use frameio_kit_bench::{ACTION_SECRET, WEBHOOK_SECRET, delivery};

fn main() -> Result<(), String> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .as_slice()
    {
        ["requests", count, file, rest @ ..] if rest.len() <= 1 => {
            let count: u64 = count.parse().map_err(|_| format!("bad count `{count}`"))?;
            let first: u64 = match rest {
                [first] => first.parse().map_err(|_| format!("bad first `{first}`"))?,
                _ => 0,
            };
            write_requests(first, count, file).map_err(|err| format!("{file}: {err}"))
        }
        ["free-port"] => {
            let listener = std::net::TcpListener::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
            let port = listener.local_addr().map_err(|e| e.to_string())?.port();
            println!("{port}");
            Ok(())
        }
        _ => Err("usage: bench-gen requests N FILE [FIRST] | bench-gen free-port".to_owned()),
    }
}

fn write_requests(first: u64, count: u64, file: &str) -> std::io::Result<()> {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_err(std::io::Error::other)?
        .as_secs();
    let timestamp = now.to_string();
    let webhook = SigningKey::new(WEBHOOK_SECRET);
    let action = SigningKey::new(ACTION_SECRET);
    let mut out = BufWriter::new(std::fs::File::create(file)?);
    for n in first..first.saturating_add(count) {
        let d = delivery(n);
        let key = if d.secret == ACTION_SECRET {
            &action
        } else {
            &webhook
        };
        let signature = key.sign(&timestamp, d.body.as_bytes());
        writeln!(out, "{timestamp}\t{signature}\t{}", d.body)?;
    }
    out.flush()
}
