//! The in-memory replay ledger alone: what one set-if-absent costs with N entries held, and
//! how many bytes an entry takes.
//!
//! ```sh
//! cargo build --release -p frameio-kit-bench --bin ledger-bench
//! target/release/ledger-bench 1000000      # N entries (default 1,000,000); one run per process
//! ```
//!
//! Fills a fresh [`MemoryLedger`] with N distinct deliveries the way the pipeline records
//! them (`begin` then `finish` with `200 OK`, 5-minute TTL, one timestamp, signatures
//! `v0=` and 64 hex digits that look random, as HMAC-SHA256 outputs do), then asks for 1
//! million of those keys again (replays). Prints one line:
//!
//! * `insert_ns`: nanoseconds per new delivery (`begin` + `finish`), minus `key_ns`;
//! * `key_ns`: nanoseconds to build one `LedgerKey` (measured on its own over the same keys:
//!   the pipeline builds its key without this allocation);
//! * `replay_ns`: nanoseconds per `begin` of a key already held, minus `key_ns`;
//! * `rss_mib`, `bytes_per_entry`: the resident set grown by the filled ledger (VmRSS after
//!   minus before) and that over N; `peak_mib`: the process's peak resident set (VmHWM).
//!
//! Wall-clock figures on a shared machine are noisy: compare runs made one after the other.

use std::hint::black_box;
use std::time::{Duration, Instant};

use frameio_kit::delivery::{LedgerKey, LedgerOutcome, MemoryLedger, StoredAnswer};

const TIMESTAMP: &str = "1700000000";
const REPLAYS: u64 = 1_000_000;

/// A signature header for delivery `n`: `v0=` and 64 hex digits of splitmix64 output.
fn signature(n: u64, out: &mut String) {
    use std::fmt::Write as _;
    out.clear();
    out.push_str("v0=");
    let mut z = n.wrapping_mul(0x9E37_79B9_7F4A_7C15);
    for _ in 0..4 {
        z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut x = z;
        x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        x ^= x >> 31;
        let _ = write!(out, "{x:016x}");
    }
}

/// A field of /proc/self/status, in KiB.
fn status_kib(field: &str) -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|line| line.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

fn per_op(elapsed: Duration, ops: u64) -> f64 {
    elapsed.as_secs_f64() * 1e9 / ops as f64
}

fn main() -> Result<(), String> {
    let entries: u64 = match std::env::args().nth(1) {
        Some(raw) => raw
            .replace('_', "")
            .parse()
            .map_err(|_| format!("bad entry count `{raw}`"))?,
        None => 1_000_000,
    };
    let ttl = Duration::from_secs(300);
    let ok = StoredAnswer::ok();
    let mut sig = String::with_capacity(67);

    // The key alone (built and dropped), over the same keys.
    let start = Instant::now();
    for n in 0..entries {
        signature(n, &mut sig);
        black_box(LedgerKey::replay(TIMESTAMP, sig.as_bytes()));
    }
    let key_ns = per_op(start.elapsed(), entries);

    let ledger = MemoryLedger::new();
    let rss_before = status_kib("VmRSS");
    let start = Instant::now();
    for n in 0..entries {
        signature(n, &mut sig);
        let key = LedgerKey::replay(TIMESTAMP, sig.as_bytes());
        if ledger.begin_now(&key, ttl) != LedgerOutcome::First {
            return Err(format!("delivery {n} was not new"));
        }
        ledger.finish_now(&key, &ok, ttl);
    }
    let insert_ns = per_op(start.elapsed(), entries) - key_ns;
    let rss_after = status_kib("VmRSS");
    if ledger.len() != usize::try_from(entries).unwrap_or(usize::MAX) {
        return Err(format!("{} entries held, {entries} expected", ledger.len()));
    }

    let replays = REPLAYS.min(entries);
    let step = (entries / replays).max(1);
    let start = Instant::now();
    for i in 0..replays {
        signature(i * step, &mut sig);
        let key = LedgerKey::replay(TIMESTAMP, sig.as_bytes());
        if ledger.begin_now(&key, ttl) != LedgerOutcome::Replay(StoredAnswer::ok()) {
            return Err(format!("delivery {} was not a replay", i * step));
        }
    }
    let replay_ns = per_op(start.elapsed(), replays) - key_ns;

    let grown = rss_after.saturating_sub(rss_before) * 1024;
    println!(
        "ledger-bench entries={entries} insert_ns={insert_ns:.0} replay_ns={replay_ns:.0} key_ns={key_ns:.0} rss_mib={:.1} bytes_per_entry={:.1} peak_mib={:.1}",
        grown as f64 / (1024.0 * 1024.0),
        grown as f64 / entries as f64,
        status_kib("VmHWM") as f64 / 1024.0,
    );
    Ok(())
}
