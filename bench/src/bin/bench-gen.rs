//! Helper for `bench/run.sh`.
//!
//! * `bench-gen requests N FILE`: writes N deliveries signed now, one per line as
//!   `timestamp<TAB>signature<TAB>body`, for `bench/requests.lua`.
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
        ["requests", count, file] => {
            let count: u64 = count.parse().map_err(|_| format!("bad count `{count}`"))?;
            write_requests(count, file).map_err(|err| format!("{file}: {err}"))
        }
        ["free-port"] => {
            let listener = std::net::TcpListener::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
            let port = listener.local_addr().map_err(|e| e.to_string())?.port();
            println!("{port}");
            Ok(())
        }
        _ => Err("usage: bench-gen requests N FILE | bench-gen free-port".to_owned()),
    }
}

fn write_requests(count: u64, file: &str) -> std::io::Result<()> {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_err(std::io::Error::other)?
        .as_secs();
    let timestamp = now.to_string();
    let webhook = SigningKey::new(WEBHOOK_SECRET);
    let action = SigningKey::new(ACTION_SECRET);
    let mut out = BufWriter::new(std::fs::File::create(file)?);
    for n in 0..count {
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
