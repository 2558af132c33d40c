//! Ledger keys: the engine-independent [`LedgerKey`], and the in-memory ledger's fixed-size
//! [`MemoryKey`] with how it is derived.

use std::fmt;
use std::hash::{BuildHasher, RandomState};

use sha2::{Digest as _, Sha256};

/// The key of one ledger entry.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct LedgerKey(pub(super) Box<str>);

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

    /// The kind of key: `replay` or `dedup`.
    pub(super) fn kind(&self) -> &str {
        self.0.split(':').next().unwrap_or_default()
    }
}

impl fmt::Debug for LedgerKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The signature is a MAC of a request, not a secret, but there is no need to log it.
        write!(f, "LedgerKey({}:…)", self.kind())
    }
}

/// How many 64-bit words of a key an in-memory entry holds, beside its [`CHECK_BITS`].
///
/// 1: an entry is 16 bytes and compares 84 key bits (the collision argument is in
/// [`MemoryLedger`](super::MemoryLedger)'s docs). Set to 2 to measure 148-bit keys in 24-byte
/// entries (PERFORMANCE.md, "Session 4: replay ledger"); nothing else changes.
pub(super) const KEY_WORDS: usize = 1;

/// Key bits an entry keeps in its slot word, beside the expiry and the state.
pub(super) const CHECK_BITS: u32 = 20;
/// The hex digits that fill [`CHECK_BITS`].
const CHECK_DIGITS: usize = (CHECK_BITS / 4) as usize;
/// Spreads the timestamp over the first key word (an odd multiplier: a bijection).
const TIMESTAMP_MIX: u64 = 0x9e37_79b9_7f4a_7c15;

/// The in-memory ledger's key of an entry: `64 × KEY_WORDS + CHECK_BITS` uniformly random
/// bits (see [`MemoryLedger`](super::MemoryLedger) for where they come from).
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) struct MemoryKey {
    /// `words[0]` also places the entry: its low bits pick the shard, its high bits the home
    /// slot in a table, and tables keep their entries ordered by it.
    pub(super) words: [u64; KEY_WORDS],
    /// [`CHECK_BITS`] more bits, compared on a match of the words.
    pub(super) check: u32,
}

impl MemoryKey {
    /// The key of a signed request whose signature is `v0=` and hex: the first
    /// `16 × KEY_WORDS + 5` hex digits of the signature, the first word mixed with the
    /// timestamp's value. `None` for any other signature.
    pub(super) fn of_signature(timestamp: i64, signature: &[u8]) -> Option<Self> {
        let digits = signature
            .strip_prefix(b"v0=")?
            .get(..16 * KEY_WORDS + CHECK_DIGITS)?;
        let mut words = [0_u64; KEY_WORDS];
        for (word, chunk) in words.iter_mut().zip(digits.chunks_exact(16)) {
            *word = hex_word(chunk)?;
        }
        let check = u32::try_from(hex_word(&digits[16 * KEY_WORDS..])?).ok()?;
        // Distinct timestamps under one signature give distinct first words: a verified
        // signature covers its timestamp, but `LedgerKey::replay` can pair them freely.
        words[0] ^= timestamp.cast_unsigned().wrapping_mul(TIMESTAMP_MIX);
        Some(Self { words, check })
    }

    /// The shard of `shards` (a power of two) that holds this key.
    pub(super) fn shard(&self, shards: usize) -> usize {
        // The low bits: tables place entries by the high ones.
        usize::try_from(self.words[0] & (shards as u64 - 1)).unwrap_or(0)
    }
}

impl std::hash::Hash for MemoryKey {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        // For the answers' map (hashbrown takes its bucket from the low bits and its tag from
        // the top seven): the words are uniform, but the low bits are the shard's, alike in
        // one shard's maps; rotated, the middle bits serve.
        state.write_u64(self.words[0].rotate_left(32) ^ u64::from(self.check));
    }
}

impl fmt::Debug for MemoryKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Bits of a signature: no need to show them.
        f.write_str("MemoryKey(…)")
    }
}

/// Up to 16 hex digits as a number (the first digit the highest nibble); `None` when one is
/// not a hex digit.
pub(super) fn hex_word(digits: &[u8]) -> Option<u64> {
    digits.iter().try_fold(0_u64, |word, &c| {
        let nibble = match c {
            b'0'..=b'9' => c - b'0',
            b'a'..=b'f' => c - b'a' + 10,
            b'A'..=b'F' => c - b'A' + 10,
            _ => return None,
        };
        Some((word << 4) | u64::from(nibble))
    })
}

/// Independently keyed SipHashes (a random key per ledger), for keys that are not verified
/// signatures.
pub(super) struct KeyHashers([RandomState; KEY_WORDS + 1]);

impl KeyHashers {
    pub(super) fn new() -> Self {
        Self(std::array::from_fn(|_| RandomState::new()))
    }

    /// The key of a ledger key made of these parts, back to back.
    pub(super) fn hashed(&self, parts: &[&[u8]]) -> MemoryKey {
        let mut hashes = [0_u64; KEY_WORDS + 1];
        for (hash, state) in hashes.iter_mut().zip(&self.0) {
            let mut hasher = state.build_hasher();
            for part in parts {
                // SipHash's `write` streams: parts hash as their concatenation.
                std::hash::Hasher::write(&mut hasher, part);
            }
            *hash = std::hash::Hasher::finish(&hasher);
        }
        let mut words = [0_u64; KEY_WORDS];
        words.copy_from_slice(&hashes[..KEY_WORDS]);
        let check = u32::try_from(hashes[KEY_WORDS] >> (64 - CHECK_BITS)).unwrap_or(0);
        MemoryKey { words, check }
    }

    /// The key of a replay: from the signature when it is `v0=` and hex and the timestamp
    /// parsed (`value`), else hashed.
    pub(super) fn replay(
        &self,
        timestamp: &str,
        value: Option<i64>,
        signature: &[u8],
    ) -> MemoryKey {
        value
            .and_then(|value| MemoryKey::of_signature(value, signature))
            .unwrap_or_else(|| self.hashed(&[b"replay:", timestamp.as_bytes(), b":", signature]))
    }

    /// The key of any [`LedgerKey`]: a replay key's is the one the pipeline computes from the
    /// request's headers.
    pub(super) fn of(&self, key: &LedgerKey) -> MemoryKey {
        if let Some((timestamp, signature)) = key
            .0
            .strip_prefix("replay:")
            .and_then(|rest| rest.split_once(':'))
        {
            return self.replay(timestamp, timestamp.parse().ok(), signature.as_bytes());
        }
        self.hashed(&[key.0.as_bytes()])
    }
}
