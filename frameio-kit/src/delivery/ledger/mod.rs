//! The replay ledger: a signed request captured on the wire and sent again within the
//! signature window never runs a handler twice.
//!
//! Frame.io signs `v0:<timestamp>:<body>` and accepts a timestamp within ±5 minutes, so an
//! exact `(timestamp, signature)` pair can be replayed for that long. Frame.io's own retries
//! are signed again (new timestamp, new signature), so a pair seen twice is never a retry.
//!
//! The pipeline calls, for every verified delivery:
//!
//! 1. [`Ledger::begin`] with [`LedgerKey::replay`] right after the signature check: one atomic
//!    set-if-absent. [`LedgerOutcome::First`] means run on; [`LedgerOutcome::Replay`] carries
//!    the first delivery's answer to send again; [`LedgerOutcome::InProgress`] means the first
//!    is still running: answer [`IN_PROGRESS_STATUS`] `Delivery already in progress.`.
//! 2. [`Ledger::finish`] with the answer once it is known, so later replays get it.
//!
//! Engines: [`MemoryLedger`] (default: one instance sees its own replays, at the cost of one
//! probe of an in-memory table) and [`StoreLedger`] over any [`Store`](crate::store::Store)
//! (Redis: `SET NX PX`; PostgreSQL: `INSERT … ON CONFLICT`), which holds across a fleet.
//! Entries expire when the timestamp leaves the window ([`replay_ttl`]).
//!
//! Files: `key.rs` (the keys), `memory.rs` and `table.rs` (the in-memory engine and its
//! per-generation table), `store.rs` (the store-backed engine), `tests.rs`.
//!
//! ```
//! use std::time::Duration;
//! use frameio_kit::delivery::{Ledger, LedgerKey, LedgerOutcome, MemoryLedger, StoredAnswer};
//!
//! # async fn demo() -> Result<(), frameio_kit::delivery::LedgerError> {
//! let ledger = MemoryLedger::new();
//! let key = LedgerKey::replay("1700000000", b"v0=abc");
//! let ttl = Duration::from_secs(300);
//! assert!(matches!(ledger.begin(&key, ttl).await?, LedgerOutcome::First));
//! assert!(matches!(ledger.begin(&key, ttl).await?, LedgerOutcome::InProgress));
//! ledger.finish(&key, &StoredAnswer::ok(), ttl).await?;
//! match ledger.begin(&key, ttl).await? {
//!     LedgerOutcome::Replay(answer) => assert_eq!(answer.body().as_ref(), b"OK"),
//!     other => panic!("{other:?}"),
//! }
//! # Ok(())
//! # }
//! # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(demo()).unwrap();
//! ```

use std::fmt;
use std::time::Duration;

use bytes::Bytes;

use crate::dispatch::{APPLICATION_JSON, TEXT_PLAIN};
use crate::handler::BoxFuture;
use crate::store::StoreError;

mod key;
mod memory;
mod store;
mod table;
#[cfg(test)]
mod tests;

pub use key::LedgerKey;
pub(crate) use key::MemoryKey;
pub use memory::MemoryLedger;
pub use store::StoreLedger;

/// The status of the refusal a replay gets while the first delivery is still running.
pub const IN_PROGRESS_STATUS: u16 = 409;
/// The plain-text body of that refusal.
pub const IN_PROGRESS_BODY: &str = "Delivery already in progress.";

/// How long a replay entry must live: until its timestamp leaves the window, plus a second.
pub fn replay_ttl(timestamp: i64, now: i64, tolerance: Duration) -> Duration {
    let tolerance = i64::try_from(tolerance.as_secs()).unwrap_or(i64::MAX);
    let left = timestamp
        .saturating_add(tolerance)
        .saturating_sub(now)
        .saturating_add(1);
    Duration::from_secs(u64::try_from(left).unwrap_or(0).max(1))
}

/// The answer a delivery got, kept for its replays.
#[derive(Clone, PartialEq, Eq)]
pub struct StoredAnswer {
    status: u16,
    json: bool,
    body: Bytes,
}

impl StoredAnswer {
    /// An answer with a plain-text (`json == false`) or JSON body.
    pub fn new(status: u16, json: bool, body: impl Into<Bytes>) -> Self {
        Self {
            status,
            json,
            body: body.into(),
        }
    }

    /// The answer from a content type as the pipeline writes it (JSON or anything else as text).
    pub fn from_parts(status: u16, content_type: &str, body: Bytes) -> Self {
        Self::new(status, content_type == APPLICATION_JSON, body)
    }

    /// `200 OK`, the answer of every webhook.
    pub fn ok() -> Self {
        Self::new(200, false, Bytes::from_static(b"OK"))
    }

    /// The refusal of a replay while the first delivery runs: 409 `Delivery already in progress.`
    pub fn in_progress() -> Self {
        Self::new(
            IN_PROGRESS_STATUS,
            false,
            Bytes::from_static(IN_PROGRESS_BODY.as_bytes()),
        )
    }

    /// The HTTP status.
    pub fn status(&self) -> u16 {
        self.status
    }

    /// The content type: [`APPLICATION_JSON`] or [`TEXT_PLAIN`].
    pub fn content_type(&self) -> &'static str {
        if self.json {
            APPLICATION_JSON
        } else {
            TEXT_PLAIN
        }
    }

    /// The body.
    pub fn body(&self) -> &Bytes {
        &self.body
    }

    fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(4 + self.body.len());
        out.push(b'D');
        out.extend_from_slice(&self.status.to_be_bytes());
        out.push(u8::from(self.json));
        out.extend_from_slice(&self.body);
        out
    }

    fn decode(raw: &[u8]) -> Option<Self> {
        match raw {
            [b'D', hi, lo, json @ (0 | 1), body @ ..] => Some(Self {
                status: u16::from_be_bytes([*hi, *lo]),
                json: *json == 1,
                body: Bytes::copy_from_slice(body),
            }),
            _ => None,
        }
    }
}

impl fmt::Debug for StoredAnswer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StoredAnswer")
            .field("status", &self.status)
            .field("content_type", &self.content_type())
            .field("body", &String::from_utf8_lossy(&self.body))
            .finish()
    }
}

/// What [`Ledger::begin`] found.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum LedgerOutcome {
    /// The key was new: run the handler, then call [`Ledger::finish`].
    First,
    /// Seen before and finished: send this answer again without running anything.
    Replay(StoredAnswer),
    /// Seen before and still running: refuse ([`StoredAnswer::in_progress`]).
    InProgress,
}

/// A ledger engine failed (the store behind it was unreachable, or held foreign data).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LedgerError {
    /// The store failed.
    #[error("replay ledger store failed")]
    Store(#[from] StoreError),
}

/// The future every [`Ledger`] method returns.
pub type LedgerFuture<'a, T> = BoxFuture<'a, Result<T, LedgerError>>;

/// A replay ledger engine, usable as `Arc<dyn Ledger>`.
pub trait Ledger: Send + Sync + fmt::Debug + 'static {
    /// Atomically records `key` as running unless it is already known; `ttl` is how long the
    /// entry lives.
    fn begin<'a>(&'a self, key: &'a LedgerKey, ttl: Duration) -> LedgerFuture<'a, LedgerOutcome>;

    /// Records the answer of the delivery that got [`LedgerOutcome::First`].
    fn finish<'a>(
        &'a self,
        key: &'a LedgerKey,
        answer: &'a StoredAnswer,
        ttl: Duration,
    ) -> LedgerFuture<'a, ()>;

    /// Forgets `key`, so the next delivery with it runs (used by dedup when a run failed).
    fn forget<'a>(&'a self, key: &'a LedgerKey) -> LedgerFuture<'a, ()>;
}
