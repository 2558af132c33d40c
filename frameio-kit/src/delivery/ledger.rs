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

use std::collections::{HashMap, VecDeque};
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
/// The shortest time one generation takes new entries.
const MIN_SLICE_MS: u64 = 60_000;

/// The in-memory ledger: 16 mutex-guarded shards, each a short queue of *generations* (one
/// map per slice of time, at least a minute and at least a quarter of the longest TTL seen,
/// so a shard holds about five). An entry goes into the newest generation; a generation is
/// dropped whole once its last entry has expired, so expiry never walks entries.
///
/// An entry is 32 bytes: a fixed-size key and its expiry and state packed in one word.
/// Answers are kept beside it only when they are not the webhooks' `200 OK` (action
/// Messages/Forms and failures), as [`Bytes`].
///
/// **Keys.** A replay key is the first 16 bytes of the decoded signature plus the timestamp.
/// Only deliveries whose signature holds reach the ledger, so the signature is an
/// HMAC-SHA256 under one of the app's secrets: without the secret its output cannot be told
/// from random, and nobody without it can make a valid one. Two distinct requests therefore
/// share a 128-bit prefix with probability 2⁻¹²⁸; with 9 million entries held (30k requests/s
/// over the 5-minute window) the chance of any collision is about n²/2¹²⁹ ≈ 10⁻²⁵. Other
/// keys (dedup's, or a signature that is not `v0=` and hex) are hashed with two independently
/// keyed SipHashes to 128 bits.
pub struct MemoryLedger {
    shards: Box<[Mutex<Shard>]>,
    hashers: (RandomState, RandomState),
    epoch: Instant,
}

/// A ledger entry's fixed-size key (see [`MemoryLedger`]).
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) struct MemoryKey {
    /// 128 uniformly random bits.
    bits: [u64; 2],
    /// The timestamp of a replay key, [`u64::MAX`] for a hashed key.
    tag: u64,
}

impl std::hash::Hash for MemoryKey {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        // Already uniform: 64 of the random bits, mixed with the timestamp so that keys
        // sharing their bits (one signature under many timestamps, which cannot all verify
        // but can be built through `LedgerKey::replay`) still spread over the map.
        state.write_u64(self.bits[0] ^ self.tag.wrapping_mul(0x9e37_79b9_7f4a_7c15));
    }
}

/// Passes a [`MemoryKey`]'s hash word through.
#[derive(Default, Clone, Copy)]
struct KeyHasher(u64);

impl std::hash::Hasher for KeyHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        // Only `write_u64` is used (by `MemoryKey`'s `Hash`); fold anything else.
        for chunk in bytes.chunks(8) {
            let mut word = [0_u8; 8];
            word[..chunk.len()].copy_from_slice(chunk);
            self.0 = self.0.rotate_left(5) ^ u64::from_le_bytes(word);
        }
    }

    fn write_u64(&mut self, value: u64) {
        self.0 = value;
    }
}

type KeyMap<V> = HashMap<MemoryKey, V, BuildHasherDefault<KeyHasher>>;

/// An entry's state, in the low bits of its [`Slot`].
const RUNNING: u64 = 0;
const ANSWERED_OK: u64 = 1;
const ANSWERED: u64 = 2;
const STATE_BITS: u32 = 2;

/// An entry's expiry (milliseconds since the ledger's epoch) and state in one word.
#[derive(Clone, Copy)]
struct Slot(u64);

impl Slot {
    fn new(expires_ms: u64, state: u64) -> Self {
        Self((expires_ms << STATE_BITS) | state)
    }

    fn expires_ms(self) -> u64 {
        self.0 >> STATE_BITS
    }

    fn state(self) -> u64 {
        self.0 & ((1 << STATE_BITS) - 1)
    }
}

/// The entries that came in during one slice of time.
struct Generation {
    opened_ms: u64,
    /// When its last entry expires: the whole generation is dropped then.
    expires_ms: u64,
    entries: KeyMap<Slot>,
    /// The answers of entries in state [`ANSWERED`].
    answers: KeyMap<StoredAnswer>,
}

#[derive(Default)]
struct Shard {
    /// Oldest first.
    generations: VecDeque<Generation>,
    slice_ms: u64,
}

impl Shard {
    /// Takes out the generations whose entries have all expired (dropped by the caller, after
    /// the lock). Looks at the oldest only: a generation outlived by an older one waits for it.
    fn expire(&mut self, now_ms: u64) -> Vec<Generation> {
        let mut expired = Vec::new();
        while self
            .generations
            .front()
            .is_some_and(|oldest| oldest.expires_ms <= now_ms)
        {
            expired.extend(self.generations.pop_front());
        }
        expired
    }

    /// The newest generation holding `key`, and the entry.
    fn find(&mut self, key: &MemoryKey) -> Option<(&mut Generation, Slot)> {
        self.generations.iter_mut().rev().find_map(|generation| {
            let slot = *generation.entries.get(key)?;
            Some((generation, slot))
        })
    }

    /// The generation new entries go to, opened when the newest is older than a slice.
    fn newest(&mut self, now_ms: u64, ttl_ms: u64) -> &mut Generation {
        self.slice_ms = self.slice_ms.max(MIN_SLICE_MS).max(ttl_ms / 4);
        let open = self
            .generations
            .back()
            .is_none_or(|newest| newest.opened_ms.saturating_add(self.slice_ms) <= now_ms);
        if open {
            // Sized like the previous one: a steady rate fills it without rehashing.
            let expected = self.generations.back().map_or(0, |g| g.entries.len());
            self.generations.push_back(Generation {
                opened_ms: now_ms,
                expires_ms: 0,
                entries: KeyMap::with_capacity_and_hasher(expected, BuildHasherDefault::default()),
                answers: KeyMap::default(),
            });
        }
        self.generations
            .back_mut()
            .expect("a generation was just opened if there was none")
    }
}

impl Generation {
    fn put(&mut self, key: MemoryKey, slot: Slot, answer: Option<&StoredAnswer>) {
        self.expires_ms = self.expires_ms.max(slot.expires_ms());
        self.entries.insert(key, slot);
        match answer {
            Some(answer) => {
                self.answers.insert(key, answer.clone());
            }
            None => {
                if !self.answers.is_empty() {
                    self.answers.remove(&key);
                }
            }
        }
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

fn millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}

/// The largest expiry a [`Slot`] holds (about 2 million years after the epoch).
const MAX_EXPIRES_MS: u64 = u64::MAX >> STATE_BITS;

impl MemoryLedger {
    /// An empty ledger.
    pub fn new() -> Self {
        Self {
            shards: (0..SHARDS).map(|_| Mutex::default()).collect(),
            hashers: (RandomState::new(), RandomState::new()),
            epoch: Instant::now(),
        }
    }

    /// How many entries are held (expired ones whose generation is not dropped yet included).
    pub fn len(&self) -> usize {
        self.shards
            .iter()
            .map(|s| {
                s.lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .generations
                    .iter()
                    .map(|generation| generation.entries.len())
                    .sum::<usize>()
            })
            .sum()
    }

    /// `true` when no entry is held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn now_ms(&self) -> u64 {
        millis(self.epoch.elapsed())
    }

    /// The key of a signed request: its timestamp and the first 16 bytes of its signature
    /// (`v0=` and hex); a hashed key for anything else.
    pub(crate) fn replay_key(&self, timestamp: &str, signature: &[u8]) -> MemoryKey {
        self.replay_key_parsed(timestamp, timestamp.parse().ok(), signature)
    }

    /// [`replay_key`](Self::replay_key) with the timestamp already parsed (`value`).
    pub(crate) fn replay_key_parsed(
        &self,
        timestamp: &str,
        value: Option<i64>,
        signature: &[u8],
    ) -> MemoryKey {
        let bits = signature.strip_prefix(b"v0=").and_then(hex_prefix);
        match (value, bits) {
            // A timestamp that verified is within minutes of now: never u64::MAX.
            (Some(value), Some(bits)) => MemoryKey {
                bits,
                tag: value.cast_unsigned(),
            },
            _ => self.hashed(&[b"replay:", timestamp.as_bytes(), b":", signature]),
        }
    }

    /// The 128-bit keyed hash of a key made of these parts, back to back.
    fn hashed(&self, parts: &[&[u8]]) -> MemoryKey {
        let mut a = self.hashers.0.build_hasher();
        let mut b = self.hashers.1.build_hasher();
        for part in parts {
            // SipHash's `write` streams: parts hash as their concatenation.
            std::hash::Hasher::write(&mut a, part);
            std::hash::Hasher::write(&mut b, part);
        }
        MemoryKey {
            bits: [std::hash::Hasher::finish(&a), std::hash::Hasher::finish(&b)],
            tag: u64::MAX,
        }
    }

    /// The key of a [`LedgerKey`]: a replay key's is the one the pipeline computes.
    fn key_of(&self, key: &LedgerKey) -> MemoryKey {
        if let Some((timestamp, signature)) = key
            .0
            .strip_prefix("replay:")
            .and_then(|rest| rest.split_once(':'))
        {
            return self.replay_key(timestamp, signature.as_bytes());
        }
        self.hashed(&[key.0.as_bytes()])
    }

    fn shard(&self, key: &MemoryKey) -> std::sync::MutexGuard<'_, Shard> {
        // Other bits than the map's hash.
        let index = usize::try_from(key.bits[1] % SHARDS as u64).unwrap_or(0);
        self.shards[index]
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// The synchronous core of [`Ledger::begin`], by key.
    pub(crate) fn begin_key(&self, key: MemoryKey, ttl: Duration) -> LedgerOutcome {
        self.begin_at(key, ttl, self.now_ms())
    }

    fn begin_at(&self, key: MemoryKey, ttl: Duration, now_ms: u64) -> LedgerOutcome {
        let mut shard = self.shard(&key);
        let expired = shard.expire(now_ms);
        let outcome = match shard.find(&key) {
            Some((generation, slot)) if slot.expires_ms() > now_ms => match slot.state() {
                ANSWERED_OK => LedgerOutcome::Replay(StoredAnswer::ok()),
                ANSWERED => match generation.answers.get(&key) {
                    Some(answer) => LedgerOutcome::Replay(answer.clone()),
                    None => LedgerOutcome::InProgress,
                },
                _ => LedgerOutcome::InProgress,
            },
            _ => {
                let ttl_ms = millis(ttl);
                let slot = Slot::new(expiry(now_ms, ttl_ms), RUNNING);
                shard.newest(now_ms, ttl_ms).put(key, slot, None);
                LedgerOutcome::First
            }
        };
        drop(shard);
        // Whole generations are freed outside the lock.
        drop(expired);
        outcome
    }

    /// The synchronous core of [`Ledger::finish`], by key.
    pub(crate) fn finish_key(&self, key: MemoryKey, answer: &StoredAnswer, ttl: Duration) {
        self.finish_at(key, answer, ttl, self.now_ms());
    }

    fn finish_at(&self, key: MemoryKey, answer: &StoredAnswer, ttl: Duration, now_ms: u64) {
        let ttl_ms = millis(ttl);
        let (state, kept) = if *answer == StoredAnswer::ok() {
            (ANSWERED_OK, None)
        } else {
            (ANSWERED, Some(answer))
        };
        let slot = Slot::new(expiry(now_ms, ttl_ms), state);
        let mut shard = self.shard(&key);
        match shard.find(&key) {
            Some((generation, _)) => generation.put(key, slot, kept),
            None => shard.newest(now_ms, ttl_ms).put(key, slot, kept),
        }
    }

    fn forget_key(&self, key: &MemoryKey) {
        let mut shard = self.shard(key);
        for generation in &mut shard.generations {
            generation.entries.remove(key);
            generation.answers.remove(key);
        }
    }

    /// The synchronous core of [`Ledger::begin`].
    pub fn begin_now(&self, key: &LedgerKey, ttl: Duration) -> LedgerOutcome {
        self.begin_key(self.key_of(key), ttl)
    }

    /// The synchronous core of [`Ledger::finish`].
    pub fn finish_now(&self, key: &LedgerKey, answer: &StoredAnswer, ttl: Duration) {
        self.finish_key(self.key_of(key), answer, ttl);
    }
}

/// The first 32 hex digits as two words (the first digit the highest nibble); `None` when
/// there are fewer or one is not a hex digit.
fn hex_prefix(digits: &[u8]) -> Option<[u64; 2]> {
    let digits = digits.get(..32)?;
    let mut words = [0_u64; 2];
    for (word, chunk) in words.iter_mut().zip(digits.chunks_exact(16)) {
        for &c in chunk {
            let nibble = match c {
                b'0'..=b'9' => c - b'0',
                b'a'..=b'f' => c - b'a' + 10,
                b'A'..=b'F' => c - b'A' + 10,
                _ => return None,
            };
            *word = (*word << 4) | u64::from(nibble);
        }
    }
    Some(words)
}

fn expiry(now_ms: u64, ttl_ms: u64) -> u64 {
    now_ms.saturating_add(ttl_ms).min(MAX_EXPIRES_MS)
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
        self.forget_key(&self.key_of(key));
        Box::pin(std::future::ready(Ok(())))
    }
}

/// The marker of a delivery still running.
const RUNNING_MARK: &[u8] = b"R";

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
                if self
                    .store
                    .set_if_absent(&full, RUNNING_MARK, Some(ttl))
                    .await?
                {
                    return Ok(LedgerOutcome::First);
                }
                match self.store.get(&full).await? {
                    Some(raw) if raw == RUNNING_MARK => return Ok(LedgerOutcome::InProgress),
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
        // The pipeline's key of a request is the key of its `LedgerKey`, for real signatures
        // (16 bytes of the signature and the timestamp) and anything else (hashed).
        let signature = format!("v0={}", "ab".repeat(32));
        let key = LedgerKey::replay("1700000000", signature.as_bytes());
        let memory_key = ledger.replay_key("1700000000", signature.as_bytes());
        assert!(memory_key == ledger.key_of(&key));
        assert_eq!(memory_key.tag, 1_700_000_000);
        assert_eq!(memory_key.bits, [0xabab_abab_abab_abab; 2]);
        assert!(memory_key != ledger.replay_key("1700000001", signature.as_bytes()));
        let short = LedgerKey::replay("1700000000", b"v0=00ff");
        assert!(ledger.replay_key("1700000000", b"v0=00ff") == ledger.key_of(&short));
        assert_eq!(ledger.key_of(&short).tag, u64::MAX);
        assert!(ledger.replay_key("1700000000", b"v0=00fe") != ledger.key_of(&short));
        assert_eq!(
            hex_prefix(b"0123456789abcdefFEDCBA9876543210tail"),
            Some([0x0123_4567_89ab_cdef, 0xfedc_ba98_7654_3210])
        );
        assert_eq!(hex_prefix(b"0123456789abcdefFEDCBA987654321g"), None);
        assert_eq!(hex_prefix(b"0123"), None);
    }

    /// One signature under many timestamps: distinct keys that must not share one hash (the
    /// map would probe linearly through all of them).
    #[test]
    fn keys_sharing_their_bits_hash_apart() {
        use std::hash::BuildHasher as _;
        let ledger = MemoryLedger::new();
        let signature = format!("v0={}", "ab".repeat(32));
        let hasher = BuildHasherDefault::<KeyHasher>::default();
        let hashes: std::collections::HashSet<u64> = (0..1000)
            .map(|n| hasher.hash_one(ledger.replay_key(&n.to_string(), signature.as_bytes())))
            .collect();
        assert_eq!(hashes.len(), 1000);
    }

    fn generations(ledger: &MemoryLedger) -> usize {
        ledger
            .shards
            .iter()
            .map(|s| s.lock().unwrap().generations.len())
            .sum()
    }

    /// Expiry with a fixed clock: entries go into one generation per slice (a minute here),
    /// and a generation is dropped whole once its last entry has expired.
    #[test]
    fn generations_expire_whole() {
        let ledger = MemoryLedger::new();
        let ttl = Duration::from_secs(301);
        let key = |n: u64| MemoryKey {
            bits: [n.wrapping_mul(0x9e37_79b9_7f4a_7c15), 0],
            tag: 1,
        };
        // One shard (bits[1] == 0): 100 keys at t=0 s, 100 at t=30 s, 100 at t=90 s.
        for (first, at) in [(0, 0), (100, 30_000), (200, 90_000)] {
            for n in first..first + 100 {
                assert_eq!(ledger.begin_at(key(n), ttl, at), LedgerOutcome::First);
            }
        }
        assert_eq!(generations(&ledger), 2, "0-60 s, then 90 s");
        assert_eq!(ledger.len(), 300);
        // Answers: a webhook's `OK` is a state, an action's bytes are kept beside.
        let message = StoredAnswer::new(200, true, Bytes::from_static(b"{}"));
        ledger.finish_at(key(0), &StoredAnswer::ok(), ttl, 1_000);
        ledger.finish_at(key(1), &message, ttl, 1_000);
        assert_eq!(
            ledger.begin_at(key(0), ttl, 2_000),
            LedgerOutcome::Replay(StoredAnswer::ok())
        );
        assert_eq!(
            ledger.begin_at(key(1), ttl, 2_000),
            LedgerOutcome::Replay(message.clone())
        );
        assert_eq!(
            ledger.begin_at(key(2), ttl, 2_000),
            LedgerOutcome::InProgress
        );
        // At 331 s the keys of t=30 s have just expired (301 s), but the first generation
        // lives until its last entry (t=30 s + 301 s) is gone: still there, each key refused
        // by its own expiry no more.
        assert_eq!(
            ledger.begin_at(key(150), ttl, 330_999),
            LedgerOutcome::InProgress
        );
        assert_eq!(generations(&ledger), 2);
        // Past 331 s the first generation goes at once, with its 200 entries; the third
        // generation holds the key that came again.
        assert_eq!(
            ledger.begin_at(key(150), ttl, 331_001),
            LedgerOutcome::First
        );
        assert_eq!(ledger.len(), 101);
        assert_eq!(generations(&ledger), 2, "90 s, then 331 s");
        assert_eq!(
            ledger.begin_at(key(250), ttl, 331_001),
            LedgerOutcome::InProgress
        );
        // Past 391 s the 90 s generation goes too; the key of 331 s is still a replay.
        assert_eq!(
            ledger.begin_at(key(150), ttl, 391_001),
            LedgerOutcome::InProgress
        );
        assert_eq!(ledger.len(), 1);
        assert_eq!(
            ledger.begin_at(key(250), ttl, 391_002),
            LedgerOutcome::First
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
