//! The in-memory ledger engine.

use std::collections::{HashMap, VecDeque};
use std::fmt;
use std::hash::BuildHasherDefault;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use super::key::{KeyHashers, MemoryKey};
use super::table::{ANSWERED, ANSWERED_OK, MAX_EXPIRES_MS, Probe, RUNNING, Slot, Table};
use super::{Ledger, LedgerFuture, LedgerKey, LedgerOutcome, StoredAnswer};

/// The shards: a power of two.
const SHARDS: usize = 16;
/// The shortest time one generation takes new entries.
const MIN_SLICE_MS: u64 = 60_000;

/// The in-memory ledger: 16 mutex-guarded shards, each a short queue of *generations* (one
/// table per slice of time, at least a minute and at least a quarter of the longest TTL seen,
/// so a shard holds about five). An entry goes into the newest generation; a generation is
/// dropped whole once its last entry has expired, so expiry never walks entries.
///
/// **Entries.** A generation is an open-addressing table of 16-byte entries, no allocation
/// per entry: 64 key bits, and one word packing 20 more key bits, the expiry (milliseconds)
/// and the state (running, answered `200 OK`, answered otherwise). It is sized like the
/// generation before it (a steady rate fills it without growing) and grows by half when
/// 80 % full. Answers are kept beside the table only when they are not the webhooks'
/// `200 OK` (action Messages/Forms and failures), as [`Bytes`](bytes::Bytes). A delivery costs
/// one lock and one probe per live generation (a miss reads about as many slots as a hit:
/// see `table.rs`).
///
/// **Keys and collisions.** A replay key is 84 bits of the signature: the first 21 hex digits
/// of `v0=<hex>`, the first 64 bits mixed with the timestamp. Only deliveries whose signature
/// holds reach the ledger, so the signature is an HMAC-SHA256 under one of the app's secrets:
/// without the secret its output cannot be told from random, and nobody without it can make
/// a valid one, let alone one chosen to match another. A new delivery is therefore taken for
/// a replay of another only if its 84 bits equal those of one of the N entries held, with
/// probability at most N/2⁸⁴. At 150,000 deliveries/s (this machine's benchmark rate) the
/// 5-minute window holds N = 45 million: at most 2.3 × 10⁻¹⁸ per delivery, about 10⁻⁵ false
/// replays in a year at that rate; at 1,000 deliveries/s, 1.6 × 10⁻²⁰ per delivery. (64 bits
/// alone would give 2.4 × 10⁻¹² per delivery at 45 million entries: one false replay a month
/// at that rate, which is why the entry spends its spare 20 bits on the key.) The effect of one
/// would be a delivery answered like the other (`OK`, or 409 and retried by Frame.io) without
/// running. Keys built by a caller through [`LedgerKey::replay`] from a signature that was not
/// verified get no such guarantee. Other keys (dedup's, or a signature that is not `v0=` and
/// hex) are hashed with independently keyed SipHashes (a random key per ledger).
pub struct MemoryLedger {
    shards: Box<[Mutex<Shard>]>,
    hashers: KeyHashers,
    epoch: Instant,
}

/// Passes a [`MemoryKey`]'s hash word through (see its `Hash`).
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

/// The answers of entries in state [`ANSWERED`].
type Answers = HashMap<MemoryKey, StoredAnswer, BuildHasherDefault<KeyHasher>>;

/// The entries that came in during one slice of time.
struct Generation {
    opened_ms: u64,
    /// When its last entry expires: the whole generation is dropped then.
    expires_ms: u64,
    table: Table,
    answers: Answers,
}

impl Generation {
    /// Records `slot` (and the answer, when it is kept) for `key`, at `probe`'s place.
    fn put(&mut self, probe: Probe, key: &MemoryKey, slot: Slot, answer: Option<&StoredAnswer>) {
        self.expires_ms = self.expires_ms.max(slot.expires_ms());
        match probe {
            Probe::Found(at) => self.table.set_slot(at, slot),
            Probe::Vacant(at) => self.table.insert(at, key, slot),
        }
        match answer {
            Some(answer) => {
                self.answers.insert(*key, answer.clone());
            }
            None => {
                if !self.answers.is_empty() {
                    self.answers.remove(key);
                }
            }
        }
    }

    /// What a delivery with `key` gets when the entry holds `slot`.
    fn outcome(&self, key: &MemoryKey, slot: Slot) -> LedgerOutcome {
        match slot.state() {
            ANSWERED_OK => LedgerOutcome::Replay(StoredAnswer::ok()),
            ANSWERED => match self.answers.get(key) {
                Some(answer) => LedgerOutcome::Replay(answer.clone()),
                None => LedgerOutcome::InProgress,
            },
            _ => LedgerOutcome::InProgress,
        }
    }
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

    /// The newest generation holding `key`, where, and the entry's slot.
    fn find(&self, key: &MemoryKey) -> Option<(usize, usize, Slot)> {
        self.generations
            .iter()
            .enumerate()
            .rev()
            .find_map(|(index, generation)| match generation.table.probe(key) {
                Probe::Found(at) => Some((index, at, generation.table.slot(at))),
                Probe::Vacant(_) => None,
            })
    }

    /// Opens a generation for new entries when the newest is older than a slice; its index.
    fn newest(&mut self, now_ms: u64, ttl_ms: u64) -> usize {
        self.slice_ms = self.slice_ms.max(MIN_SLICE_MS).max(ttl_ms / 4);
        let open = self
            .generations
            .back()
            .is_none_or(|newest| newest.opened_ms.saturating_add(self.slice_ms) <= now_ms);
        if open {
            // Sized like the previous one: a steady rate fills it without growing.
            let expected = self.generations.back().map_or(0, |g| g.table.len());
            self.generations.push_back(Generation {
                opened_ms: now_ms,
                expires_ms: 0,
                table: Table::with_capacity(expected),
                answers: Answers::default(),
            });
        }
        self.generations.len() - 1
    }
}

impl fmt::Debug for MemoryLedger {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MemoryLedger")
            .field("entries", &self.len())
            .field("table_bytes", &self.table_bytes())
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

fn expiry(now_ms: u64, ttl_ms: u64) -> u64 {
    now_ms.saturating_add(ttl_ms).clamp(1, MAX_EXPIRES_MS)
}

impl MemoryLedger {
    /// An empty ledger.
    pub fn new() -> Self {
        Self {
            shards: (0..SHARDS).map(|_| Mutex::default()).collect(),
            hashers: KeyHashers::new(),
            epoch: Instant::now(),
        }
    }

    /// How many entries are held (expired ones whose generation is not dropped yet included).
    pub fn len(&self) -> usize {
        self.sum(|generation| generation.table.len())
    }

    /// `true` when no entry is held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The bytes of the tables' slots (not the answers kept beside them).
    pub(super) fn table_bytes(&self) -> usize {
        self.sum(|generation| generation.table.bytes())
    }

    /// The generations held (tests).
    #[cfg(test)]
    pub(super) fn generations(&self) -> usize {
        self.sum(|_| 1)
    }

    fn sum(&self, of: impl Fn(&Generation) -> usize) -> usize {
        self.shards
            .iter()
            .map(|shard| {
                let shard = shard.lock().unwrap_or_else(PoisonError::into_inner);
                shard.generations.iter().map(&of).sum::<usize>()
            })
            .sum()
    }

    fn now_ms(&self) -> u64 {
        millis(self.epoch.elapsed())
    }

    /// The key of a signed request: its timestamp and 84 bits of its signature (`v0=` and
    /// hex); a hashed key for anything else.
    #[cfg(test)]
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
        self.hashers.replay(timestamp, value, signature)
    }

    /// The key of a [`LedgerKey`]: a replay key's is the one the pipeline computes.
    pub(super) fn key_of(&self, key: &LedgerKey) -> MemoryKey {
        self.hashers.of(key)
    }

    fn shard(&self, key: &MemoryKey) -> MutexGuard<'_, Shard> {
        self.shards[key.shard(SHARDS)]
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// The synchronous core of [`Ledger::begin`], by key.
    pub(crate) fn begin_key(&self, key: MemoryKey, ttl: Duration) -> LedgerOutcome {
        self.begin_at(key, ttl, self.now_ms())
    }

    pub(super) fn begin_at(&self, key: MemoryKey, ttl: Duration, now_ms: u64) -> LedgerOutcome {
        let ttl_ms = millis(ttl);
        let running = Slot::new(expiry(now_ms, ttl_ms), RUNNING, &key);
        let mut shard = self.shard(&key);
        let expired = shard.expire(now_ms);
        // Newest generation first: the newest copy of a key is the one that counts (an older
        // copy had expired when it was put again); where the key would go in the newest.
        let last = shard.generations.len().checked_sub(1);
        let mut found = None;
        let mut vacant = None;
        for (index, generation) in shard.generations.iter().enumerate().rev() {
            match generation.table.probe(&key) {
                Probe::Found(at) => {
                    found = Some((index, at, generation.table.slot(at)));
                    break;
                }
                Probe::Vacant(at) if Some(index) == last => vacant = Some(at),
                Probe::Vacant(_) => {}
            }
        }
        let outcome = match found {
            Some((index, _, slot)) if slot.expires_ms() > now_ms => {
                shard.generations[index].outcome(&key, slot)
            }
            _ => {
                let newest = shard.newest(now_ms, ttl_ms);
                let generation = &mut shard.generations[newest];
                let probe = match (found, vacant) {
                    // Expired in the newest generation: taken again in place.
                    (Some((index, at, _)), _) if index == newest => Probe::Found(at),
                    (_, Some(at)) if Some(newest) == last => Probe::Vacant(at),
                    // A generation just opened.
                    _ => generation.table.probe(&key),
                };
                generation.put(probe, &key, running, None);
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

    pub(super) fn finish_at(
        &self,
        key: MemoryKey,
        answer: &StoredAnswer,
        ttl: Duration,
        now_ms: u64,
    ) {
        let ttl_ms = millis(ttl);
        let (state, kept) = if *answer == StoredAnswer::ok() {
            (ANSWERED_OK, None)
        } else {
            (ANSWERED, Some(answer))
        };
        let slot = Slot::new(expiry(now_ms, ttl_ms), state, &key);
        let mut shard = self.shard(&key);
        match shard.find(&key) {
            Some((index, at, _)) => {
                shard.generations[index].put(Probe::Found(at), &key, slot, kept);
            }
            None => {
                let newest = shard.newest(now_ms, ttl_ms);
                let generation = &mut shard.generations[newest];
                let probe = generation.table.probe(&key);
                generation.put(probe, &key, slot, kept);
            }
        }
    }

    pub(super) fn forget_key(&self, key: &MemoryKey) {
        let mut shard = self.shard(key);
        for generation in &mut shard.generations {
            generation.table.remove(key);
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
