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
//! Engines: [`MemoryLedger`] (default: one instance sees its own replays, at the cost of a map
//! insert) and [`StoreLedger`] over any [`Store`] (Redis: `SET NX PX`;
//! PostgreSQL: `INSERT … ON CONFLICT`), which holds across a fleet. Entries expire when the
//! timestamp leaves the window ([`replay_ttl`]).
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

use std::collections::HashMap;
use std::fmt;
use std::hash::{BuildHasher, BuildHasherDefault, RandomState};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use bytes::Bytes;
use sha2::{Digest as _, Sha256};

use crate::dispatch::{APPLICATION_JSON, TEXT_PLAIN};
use crate::handler::BoxFuture;
use crate::store::{Store, StoreError};

/// The status of the refusal a replay gets while the first delivery is still running.
pub const IN_PROGRESS_STATUS: u16 = 409;
/// The plain-text body of that refusal.
pub const IN_PROGRESS_BODY: &str = "Delivery already in progress.";

/// The key of one ledger entry.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct LedgerKey(Box<str>);

impl LedgerKey {
    /// The key of a signed request: its timestamp header exactly as received and its
    /// (verified) signature header.
    pub fn replay(timestamp: &str, signature: &[u8]) -> Self {
        let mut key = String::with_capacity(7 + timestamp.len() + signature.len());
        key.push_str("replay:");
        key.push_str(timestamp);
        key.push(':');
        // A verified signature is `v0=` and hex; anything else is kept readable anyway.
        key.push_str(&String::from_utf8_lossy(signature));
        Self(key.into_boxed_str())
    }

    /// The key of a body for one handler's retry dedup: the SHA-256 of the body.
    pub fn dedup(handler: &str, body: &[u8]) -> Self {
        let digest = Sha256::digest(body);
        Self(format!("dedup:{handler}:{}", hex::encode(digest)).into_boxed_str())
    }

    /// The key as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for LedgerKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The signature is a MAC of a request, not a secret, but there is no need to log it.
        let shown = self.0.split(':').next().unwrap_or_default();
        write!(f, "LedgerKey({shown}:…)")
    }
}

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

const SHARDS: usize = 16;

/// The in-memory ledger: 16 mutex-guarded shards of 128-bit key digests (two independently
/// keyed SipHashes, so a collision is out of reach), expired entries swept as they are met.
/// An entry costs about 70 bytes whatever the key's length.
pub struct MemoryLedger {
    shards: Box<[Mutex<Shard>]>,
    hashers: (RandomState, RandomState),
}

/// A key's 128-bit digest, already uniformly spread: the map does not hash it again.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct KeyDigest(u128);

/// Hashes a [`KeyDigest`] by taking its low bits.
#[derive(Default, Clone, Copy)]
struct DigestHasher(u64);

impl std::hash::Hasher for DigestHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        // Only `write_u128` is used (through `Digest`'s derived `Hash`); fold anything else.
        for chunk in bytes.chunks(8) {
            let mut word = [0_u8; 8];
            word[..chunk.len()].copy_from_slice(chunk);
            self.0 = self.0.rotate_left(5) ^ u64::from_le_bytes(word);
        }
    }

    fn write_u128(&mut self, value: u128) {
        // Truncation is the point: the low 64 bits of a uniform digest.
        #[allow(clippy::cast_possible_truncation)]
        {
            self.0 = value as u64;
        }
    }
}

type DigestMap =
    HashMap<KeyDigest, (Instant, Option<StoredAnswer>), BuildHasherDefault<DigestHasher>>;

#[derive(Default)]
struct Shard {
    entries: DigestMap,
    next_sweep: Option<Instant>,
}

impl Shard {
    /// Drops expired entries at most once a second.
    fn sweep(&mut self, now: Instant) {
        if self.next_sweep.is_some_and(|at| now < at) {
            return;
        }
        self.entries.retain(|_, (expires, _)| *expires > now);
        self.next_sweep = Some(now + Duration::from_secs(1));
    }
}

impl fmt::Debug for MemoryLedger {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MemoryLedger")
            .field("entries", &self.len())
            .finish()
    }
}

impl Default for MemoryLedger {
    fn default() -> Self {
        Self::new()
    }
}

impl MemoryLedger {
    /// An empty ledger.
    pub fn new() -> Self {
        Self {
            shards: (0..SHARDS).map(|_| Mutex::default()).collect(),
            hashers: (RandomState::new(), RandomState::new()),
        }
    }

    /// How many entries are held (expired ones not swept yet included).
    pub fn len(&self) -> usize {
        self.shards
            .iter()
            .map(|s| {
                s.lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .entries
                    .len()
            })
            .sum()
    }

    /// `true` when no entry is held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The digest of a key made of these parts, back to back.
    fn digest(&self, parts: &[&[u8]]) -> KeyDigest {
        let mut a = self.hashers.0.build_hasher();
        let mut b = self.hashers.1.build_hasher();
        for part in parts {
            // SipHash's `write` streams: parts hash as their concatenation.
            std::hash::Hasher::write(&mut a, part);
            std::hash::Hasher::write(&mut b, part);
        }
        let (a, b) = (std::hash::Hasher::finish(&a), std::hash::Hasher::finish(&b));
        KeyDigest((u128::from(a) << 64) | u128::from(b))
    }

    /// The digest of the replay key of a signed request, the same as
    /// [`LedgerKey::replay`]'s, without building the key.
    pub(crate) fn replay_digest(&self, timestamp: &str, signature: &[u8]) -> KeyDigest {
        self.digest(&[b"replay:", timestamp.as_bytes(), b":", signature])
    }

    fn key_digest(&self, key: &LedgerKey) -> KeyDigest {
        self.digest(&[key.0.as_bytes()])
    }

    fn shard(&self, digest: KeyDigest) -> std::sync::MutexGuard<'_, Shard> {
        let index = usize::try_from((digest.0 >> 64) % SHARDS as u128).unwrap_or(0);
        self.shards[index]
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// The synchronous core of [`Ledger::begin`], by digest.
    pub(crate) fn begin_digest(&self, digest: KeyDigest, ttl: Duration) -> LedgerOutcome {
        let now = Instant::now();
        let mut shard = self.shard(digest);
        shard.sweep(now);
        match shard.entries.entry(digest) {
            std::collections::hash_map::Entry::Occupied(mut entry) => {
                let (expires, answer) = entry.get();
                if *expires > now {
                    match answer {
                        Some(answer) => LedgerOutcome::Replay(answer.clone()),
                        None => LedgerOutcome::InProgress,
                    }
                } else {
                    entry.insert((now + ttl, None));
                    LedgerOutcome::First
                }
            }
            std::collections::hash_map::Entry::Vacant(entry) => {
                entry.insert((now + ttl, None));
                LedgerOutcome::First
            }
        }
    }

    /// The synchronous core of [`Ledger::finish`], by digest.
    pub(crate) fn finish_digest(&self, digest: KeyDigest, answer: &StoredAnswer, ttl: Duration) {
        let expires = Instant::now() + ttl;
        self.shard(digest)
            .entries
            .insert(digest, (expires, Some(answer.clone())));
    }

    /// The synchronous core of [`Ledger::begin`].
    pub fn begin_now(&self, key: &LedgerKey, ttl: Duration) -> LedgerOutcome {
        self.begin_digest(self.key_digest(key), ttl)
    }

    /// The synchronous core of [`Ledger::finish`].
    pub fn finish_now(&self, key: &LedgerKey, answer: &StoredAnswer, ttl: Duration) {
        self.finish_digest(self.key_digest(key), answer, ttl);
    }
}

impl Ledger for MemoryLedger {
    fn begin<'a>(&'a self, key: &'a LedgerKey, ttl: Duration) -> LedgerFuture<'a, LedgerOutcome> {
        let outcome = self.begin_now(key, ttl);
        Box::pin(std::future::ready(Ok(outcome)))
    }

    fn finish<'a>(
        &'a self,
        key: &'a LedgerKey,
        answer: &'a StoredAnswer,
        ttl: Duration,
    ) -> LedgerFuture<'a, ()> {
        self.finish_now(key, answer, ttl);
        Box::pin(std::future::ready(Ok(())))
    }

    fn forget<'a>(&'a self, key: &'a LedgerKey) -> LedgerFuture<'a, ()> {
        let digest = self.key_digest(key);
        self.shard(digest).entries.remove(&digest);
        Box::pin(std::future::ready(Ok(())))
    }
}

/// The marker of a delivery still running.
const RUNNING: &[u8] = b"R";

/// A ledger in a shared [`Store`]: every instance pointing at the same Redis or PostgreSQL
/// sees the others' deliveries. [`Ledger::begin`] is one `set_if_absent` (Redis `SET NX PX`,
/// PostgreSQL `INSERT … ON CONFLICT`), plus one read when the key is already there.
#[derive(Clone)]
pub struct StoreLedger {
    store: Arc<dyn Store>,
    prefix: String,
}

impl fmt::Debug for StoreLedger {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StoreLedger")
            .field("store", &self.store)
            .field("prefix", &self.prefix)
            .finish()
    }
}

impl StoreLedger {
    /// A ledger in `store`, its keys under `ledger:` (after the store's own prefix).
    pub fn new(store: Arc<dyn Store>) -> Self {
        Self {
            store,
            prefix: "ledger:".to_owned(),
        }
    }

    /// Puts the keys under another prefix (after the store's own).
    #[must_use]
    pub fn with_prefix(mut self, prefix: impl Into<String>) -> Self {
        self.prefix = prefix.into();
        self
    }

    /// The store key: the prefix, the key's kind and the SHA-256 of the key, so a request's
    /// signature never appears in the store (nor in its logs).
    fn full_key(&self, key: &LedgerKey) -> String {
        let kind = key.0.split(':').next().unwrap_or_default();
        let digest = hex::encode(Sha256::digest(key.0.as_bytes()));
        let mut full = String::with_capacity(self.prefix.len() + kind.len() + 1 + digest.len());
        full.push_str(&self.prefix);
        full.push_str(kind);
        full.push(':');
        full.push_str(&digest);
        full
    }
}

impl Ledger for StoreLedger {
    fn begin<'a>(&'a self, key: &'a LedgerKey, ttl: Duration) -> LedgerFuture<'a, LedgerOutcome> {
        Box::pin(async move {
            let full = self.full_key(key);
            // Two rounds at most: the entry may expire between the insert and the read.
            for _ in 0..2 {
                if self.store.set_if_absent(&full, RUNNING, Some(ttl)).await? {
                    return Ok(LedgerOutcome::First);
                }
                match self.store.get(&full).await? {
                    Some(raw) if raw == RUNNING => return Ok(LedgerOutcome::InProgress),
                    Some(raw) => {
                        return Ok(match StoredAnswer::decode(&raw) {
                            Some(answer) => LedgerOutcome::Replay(answer),
                            // Not ours: refuse rather than run twice.
                            None => LedgerOutcome::InProgress,
                        });
                    }
                    None => continue,
                }
            }
            Ok(LedgerOutcome::InProgress)
        })
    }

    fn finish<'a>(
        &'a self,
        key: &'a LedgerKey,
        answer: &'a StoredAnswer,
        ttl: Duration,
    ) -> LedgerFuture<'a, ()> {
        Box::pin(async move {
            let full = self.full_key(key);
            self.store.set(&full, &answer.encode(), Some(ttl)).await?;
            Ok(())
        })
    }

    fn forget<'a>(&'a self, key: &'a LedgerKey) -> LedgerFuture<'a, ()> {
        Box::pin(async move {
            self.store.delete(&self.full_key(key)).await?;
            Ok(())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::MemoryStore;

    async fn exercise(ledger: &dyn Ledger) {
        let key = LedgerKey::replay("1700000000", b"v0=00ff");
        let other = LedgerKey::replay("1700000001", b"v0=00ff");
        let ttl = Duration::from_secs(60);
        assert_eq!(ledger.begin(&key, ttl).await.unwrap(), LedgerOutcome::First);
        assert_eq!(
            ledger.begin(&other, ttl).await.unwrap(),
            LedgerOutcome::First
        );
        assert_eq!(
            ledger.begin(&key, ttl).await.unwrap(),
            LedgerOutcome::InProgress
        );
        let answer = StoredAnswer::from_parts(
            200,
            APPLICATION_JSON,
            Bytes::from_static(br#"{"title":"a","description":"b"}"#),
        );
        ledger.finish(&key, &answer, ttl).await.unwrap();
        assert_eq!(
            ledger.begin(&key, ttl).await.unwrap(),
            LedgerOutcome::Replay(answer.clone())
        );
        ledger.forget(&key).await.unwrap();
        assert_eq!(ledger.begin(&key, ttl).await.unwrap(), LedgerOutcome::First);

        // Entries expire.
        let short = LedgerKey::replay("1", b"v0=1");
        let tiny = Duration::from_millis(30);
        assert_eq!(
            ledger.begin(&short, tiny).await.unwrap(),
            LedgerOutcome::First
        );
        tokio::time::sleep(Duration::from_millis(80)).await;
        assert_eq!(
            ledger.begin(&short, tiny).await.unwrap(),
            LedgerOutcome::First
        );
    }

    #[tokio::test]
    async fn memory_ledger() {
        let ledger = MemoryLedger::new();
        exercise(&ledger).await;
        assert!(!ledger.is_empty());
        // The pipeline's digest of a request is the digest of its key.
        let key = LedgerKey::replay("1700000000", b"v0=00ff");
        assert_eq!(
            ledger.replay_digest("1700000000", b"v0=00ff").0,
            ledger.key_digest(&key).0
        );
        assert_ne!(
            ledger.replay_digest("1700000000", b"v0=00fe").0,
            ledger.key_digest(&key).0
        );
    }

    #[tokio::test]
    async fn store_ledger_over_memory_store() {
        exercise(&StoreLedger::new(Arc::new(MemoryStore::new()))).await;
        let ledger = StoreLedger::new(Arc::new(MemoryStore::new()));
        let full = ledger.full_key(&LedgerKey::replay("17", b"v0=deadbeef"));
        assert!(
            full.starts_with("ledger:replay:") && !full.contains("deadbeef"),
            "{full}"
        );
    }

    #[test]
    fn answers_round_trip_and_garbage_is_refused() {
        for answer in [
            StoredAnswer::ok(),
            StoredAnswer::in_progress(),
            StoredAnswer::new(500, false, "Internal Server Error"),
            StoredAnswer::new(200, true, ""),
        ] {
            assert_eq!(StoredAnswer::decode(&answer.encode()), Some(answer));
        }
        assert_eq!(StoredAnswer::decode(b""), None);
        assert_eq!(StoredAnswer::decode(b"R"), None);
        assert_eq!(StoredAnswer::decode(b"D\x00\xc8\x07x"), None);
        assert_eq!(StoredAnswer::in_progress().status(), 409);
        assert_eq!(StoredAnswer::ok().content_type(), TEXT_PLAIN);
    }

    #[test]
    fn ttl_covers_the_rest_of_the_window() {
        let window = Duration::from_secs(300);
        assert_eq!(replay_ttl(1000, 1000, window), Duration::from_secs(301));
        assert_eq!(replay_ttl(1000, 1290, window), Duration::from_secs(11));
        assert_eq!(replay_ttl(1300, 1000, window), Duration::from_secs(601));
        assert_eq!(replay_ttl(0, 10_000, window), Duration::from_secs(1));
        assert_eq!(
            replay_ttl(i64::MAX, 0, window),
            Duration::from_secs(i64::MAX as u64)
        );
    }

    #[test]
    fn keys_do_not_show_signatures() {
        let key = LedgerKey::replay("17", b"v0=deadbeef");
        assert!(!format!("{key:?}").contains("deadbeef"));
        assert_eq!(key.as_str(), "replay:17:v0=deadbeef");
        let a = LedgerKey::dedup("h", b"body");
        assert_eq!(a, LedgerKey::dedup("h", b"body"));
        assert_ne!(a, LedgerKey::dedup("h", b"body2"));
        assert_ne!(a, LedgerKey::dedup("g", b"body"));
    }
}
