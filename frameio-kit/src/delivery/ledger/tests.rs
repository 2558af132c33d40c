//! The ledger's unit tests: both engines through the trait, the in-memory table with a fixed
//! clock (collisions, growth, removal, expiry), answers and keys.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;

use super::key::{CHECK_BITS, KEY_WORDS, MemoryKey, hex_word};
use super::table::{Probe, RUNNING, Slot, Table};
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
    assert!(format!("{ledger:?}").contains("entries: 3"), "{ledger:?}");
}

/// The pipeline's key of a request is the key of its `LedgerKey`: for real signatures (bits
/// of the signature, the first word mixed with the timestamp) and anything else (hashed).
#[test]
fn memory_keys() {
    let ledger = MemoryLedger::new();
    let signature = format!("v0={}", "ab".repeat(32));
    let key = LedgerKey::replay("1700000000", signature.as_bytes());
    let memory_key = ledger.replay_key("1700000000", signature.as_bytes());
    assert!(memory_key == ledger.key_of(&key));
    assert_eq!(
        memory_key.words[0],
        0xabab_abab_abab_abab ^ 1_700_000_000_u64.wrapping_mul(0x9e37_79b9_7f4a_7c15)
    );
    assert!(
        memory_key.words[1..]
            .iter()
            .all(|&w| w == 0xabab_abab_abab_abab)
    );
    assert_eq!(memory_key.check, 0x000a_baba >> (20 - CHECK_BITS));
    // The same bits under the same timestamp however it is written; another timestamp,
    // another key.
    assert!(
        memory_key
            == ledger.replay_key_parsed("01700000000", Some(1_700_000_000), signature.as_bytes())
    );
    assert!(memory_key != ledger.replay_key("1700000001", signature.as_bytes()));
    // A signature too short to fill the key is hashed, the same way from either side.
    let short = LedgerKey::replay("1700000000", b"v0=00ff");
    assert!(ledger.replay_key("1700000000", b"v0=00ff") == ledger.key_of(&short));
    assert!(ledger.replay_key("1700000000", b"v0=00fe") != ledger.key_of(&short));
    // Another ledger hashes with other keys.
    assert!(MemoryLedger::new().key_of(&short) != ledger.key_of(&short));
    assert!(!format!("{memory_key:?}").contains("ab"));

    assert_eq!(hex_word(b"0123456789abcdef"), Some(0x0123_4567_89ab_cdef));
    assert_eq!(hex_word(b"FEDCBA98"), Some(0xfedc_ba98));
    assert_eq!(hex_word(b"0123g"), None);
    assert_eq!(hex_word(b""), Some(0));
    let not_hex = format!("v0={}g{}", "a".repeat(16), "a".repeat(47));
    assert!(MemoryKey::of_signature(1, not_hex.as_bytes()).is_none());
    assert!(MemoryKey::of_signature(1, b"v1=0123456789abcdef01234").is_none());
}

/// One signature under many timestamps: distinct keys spread over shards and home slots
/// (they must not pile into one run of the table).
#[test]
fn keys_sharing_their_bits_spread_apart() {
    let ledger = MemoryLedger::new();
    let signature = format!("v0={}", "ab".repeat(32));
    let keys: Vec<MemoryKey> = (0..1000)
        .map(|n| ledger.replay_key(&n.to_string(), signature.as_bytes()))
        .collect();
    let firsts: std::collections::HashSet<u64> = keys.iter().map(|k| k.words[0]).collect();
    assert_eq!(firsts.len(), 1000);
    let shards: std::collections::HashSet<usize> = keys.iter().map(|k| k.shard(16)).collect();
    assert_eq!(shards.len(), 16);
    let tops: std::collections::HashSet<u64> = keys.iter().map(|k| k.words[0] >> 54).collect();
    assert!(tops.len() > 600, "{} distinct top bits", tops.len());
}

/// A key with these words (the first one given, the others 0) and check bits.
fn key(first: u64, check: u32) -> MemoryKey {
    let mut words = [0; KEY_WORDS];
    words[0] = first;
    MemoryKey { words, check }
}

fn splitmix(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

fn insert(table: &mut Table, key: &MemoryKey, expires_ms: u64) {
    match table.probe(key) {
        Probe::Vacant(at) => table.insert(at, key, Slot::new(expires_ms, RUNNING, key)),
        Probe::Found(_) => panic!("already there"),
    }
}

/// Keys whose 64-bit words collide but whose check bits differ are two entries; keys that
/// differ in one check bit only too.
#[test]
fn colliding_words_are_told_apart_by_the_check_bits() {
    let mut table = Table::with_capacity(0);
    let word = 0x8000_0000_0000_0000;
    for check in [0, 1, 1 << (CHECK_BITS - 1), (1 << CHECK_BITS) - 1] {
        insert(&mut table, &key(word, check), 7);
    }
    assert_eq!(table.len(), 4);
    table.assert_invariants();
    for check in [0, 1, 1 << (CHECK_BITS - 1), (1 << CHECK_BITS) - 1] {
        let Probe::Found(at) = table.probe(&key(word, check)) else {
            panic!("{check} lost");
        };
        assert_eq!(table.slot(at).expires_ms(), 7);
    }
    assert!(matches!(table.probe(&key(word, 2)), Probe::Vacant(_)));
    assert!(matches!(table.probe(&key(word + 1, 0)), Probe::Vacant(_)));
    // Removing one leaves the others findable.
    assert!(table.remove(&key(word, 1)));
    assert!(!table.remove(&key(word, 1)));
    table.assert_invariants();
    assert!(matches!(table.probe(&key(word, 0)), Probe::Found(_)));
    assert!(matches!(
        table.probe(&key(word, (1 << CHECK_BITS) - 1)),
        Probe::Found(_)
    ));

    // Through the ledger: two deliveries whose signatures share their first 64 bits but not
    // the next 20 are two deliveries.
    let ledger = MemoryLedger::new();
    let ttl = Duration::from_secs(300);
    let a = ledger.replay_key(
        "17",
        format!("v0={}{}", "0".repeat(16), "1".repeat(48)).as_bytes(),
    );
    let b = ledger.replay_key(
        "17",
        format!("v0={}{}", "0".repeat(16), "2".repeat(48)).as_bytes(),
    );
    assert_eq!(a.words[0], b.words[0]);
    assert_eq!(ledger.begin_at(a, ttl, 0), LedgerOutcome::First);
    assert_eq!(ledger.begin_at(b, ttl, 0), LedgerOutcome::First);
    assert_eq!(ledger.begin_at(b, ttl, 1), LedgerOutcome::InProgress);
}

/// A table grows from its smallest size through many entries, keeps them all and stays
/// ordered; random removals and re-insertions agree with a `HashMap` model.
#[test]
fn tables_grow_and_agree_with_a_model() {
    let mut table = Table::with_capacity(0);
    let first_capacity = table.capacity();
    let mut model = HashMap::new();
    let mut rng = 1_u64;
    for n in 0..20_000_u64 {
        let k = key(
            splitmix(&mut rng),
            u32::try_from(n % (1 << CHECK_BITS)).unwrap(),
        );
        insert(&mut table, &k, n + 1);
        model.insert((k.words, k.check), n + 1);
    }
    table.assert_invariants();
    assert!(table.capacity() > first_capacity);
    assert!(table.len() * 10 <= table.capacity() * 8, "load at most 0.8");
    let keys: Vec<_> = model.keys().copied().collect();
    for (i, (words, check)) in keys.iter().enumerate() {
        let k = MemoryKey {
            words: *words,
            check: *check,
        };
        match i % 3 {
            0 => {
                assert!(table.remove(&k));
                model.remove(&(k.words, k.check));
            }
            1 => {
                let Probe::Found(at) = table.probe(&k) else {
                    panic!("lost")
                };
                table.set_slot(at, Slot::new(1_000_000, RUNNING, &k));
                model.insert((k.words, k.check), 1_000_000);
            }
            _ => {}
        }
    }
    table.assert_invariants();
    assert_eq!(table.len(), model.len());
    for ((words, check), expires) in &model {
        let k = MemoryKey {
            words: *words,
            check: *check,
        };
        let Probe::Found(at) = table.probe(&k) else {
            panic!("lost")
        };
        assert_eq!(table.slot(at).expires_ms(), *expires);
    }
    // Presized: 10,000 entries fit without growing.
    let mut presized = Table::with_capacity(10_000);
    let capacity = presized.capacity();
    for _ in 0..10_000 {
        insert(&mut presized, &key(splitmix(&mut rng), 0), 1);
    }
    assert_eq!(presized.capacity(), capacity);
}

/// Keys that are not spread (built, not verified) pile into one run at the last home slot:
/// still correct, the run gets more slots after it, and the table grows only as it fills.
#[test]
fn a_run_reaching_the_end_gets_more_slots() {
    let mut table = Table::with_capacity(0);
    for n in 0..2_000 {
        insert(&mut table, &key(u64::MAX - n, 0), 1);
    }
    table.assert_invariants();
    // Grown for the load (2,000 entries at most 0.8 full), not once per run overflow.
    assert!(table.capacity() >= 2_500 && table.capacity() < 2_000 * 4);
    assert!(table.bytes() < 2_000 * 16 * 8);
    for n in 0..2_000 {
        assert!(matches!(
            table.probe(&key(u64::MAX - n, 0)),
            Probe::Found(_)
        ));
    }
    for n in (0..2_000).step_by(2) {
        assert!(table.remove(&key(u64::MAX - n, 0)));
    }
    table.assert_invariants();
    assert_eq!(table.len(), 1_000);
}

/// Slots keep expiry, check bits and state apart, and never read as empty.
#[test]
fn slots_pack_and_clamp() {
    let k = key(5, (1 << CHECK_BITS) - 1);
    let slot = Slot::new(123_456, RUNNING, &k);
    assert_eq!((slot.expires_ms(), slot.state()), (123_456, RUNNING));
    assert_eq!(Slot::new(0, RUNNING, &key(0, 0)).expires_ms(), 1);
    assert_eq!(
        Slot::new(u64::MAX, super::table::ANSWERED, &k).expires_ms(),
        super::table::MAX_EXPIRES_MS
    );
}

/// Expiry with a fixed clock: entries go into one generation per slice (a minute here),
/// and a generation is dropped whole once its last entry has expired.
#[test]
fn generations_expire_whole() {
    let ledger = MemoryLedger::new();
    let ttl = Duration::from_secs(301);
    // One shard (the low bits of the first word are 0).
    let k = |n: u64| key(n.wrapping_mul(0x9e37_79b9_7f4a_7c15) << 4, 0);
    // 100 keys at t=0 s, 100 at t=30 s, 100 at t=90 s.
    for (first, at) in [(0, 0), (100, 30_000), (200, 90_000)] {
        for n in first..first + 100 {
            assert_eq!(ledger.begin_at(k(n), ttl, at), LedgerOutcome::First);
        }
    }
    assert_eq!(ledger.generations(), 2, "0-60 s, then 90 s");
    assert_eq!(ledger.len(), 300);
    // Answers: a webhook's `OK` is a state, an action's bytes are kept beside.
    let message = StoredAnswer::new(200, true, Bytes::from_static(b"{}"));
    ledger.finish_at(k(0), &StoredAnswer::ok(), ttl, 1_000);
    ledger.finish_at(k(1), &message, ttl, 1_000);
    assert_eq!(
        ledger.begin_at(k(0), ttl, 2_000),
        LedgerOutcome::Replay(StoredAnswer::ok())
    );
    assert_eq!(
        ledger.begin_at(k(1), ttl, 2_000),
        LedgerOutcome::Replay(message.clone())
    );
    assert_eq!(ledger.begin_at(k(2), ttl, 2_000), LedgerOutcome::InProgress);
    // At 331 s the keys of t=30 s have just expired (301 s), but the first generation
    // lives until its last entry (t=30 s + 301 s) is gone: still there, each key refused
    // by its own expiry no more.
    assert_eq!(
        ledger.begin_at(k(150), ttl, 330_999),
        LedgerOutcome::InProgress
    );
    assert_eq!(ledger.generations(), 2);
    // Past 331 s the first generation goes at once, with its 200 entries; the third
    // generation holds the key that came again.
    assert_eq!(ledger.begin_at(k(150), ttl, 331_001), LedgerOutcome::First);
    assert_eq!(ledger.len(), 101);
    assert_eq!(ledger.generations(), 2, "90 s, then 331 s");
    assert_eq!(
        ledger.begin_at(k(250), ttl, 331_001),
        LedgerOutcome::InProgress
    );
    // An expired entry in the newest generation is taken again in place.
    let short = Duration::from_secs(1);
    assert_eq!(
        ledger.begin_at(k(900), short, 331_002),
        LedgerOutcome::First
    );
    assert_eq!(
        ledger.begin_at(k(900), short, 332_002),
        LedgerOutcome::First
    );
    assert_eq!(ledger.len(), 102);
    // Past 391 s the 90 s generation goes too; the key of 331 s is still a replay.
    assert_eq!(
        ledger.begin_at(k(150), ttl, 391_001),
        LedgerOutcome::InProgress
    );
    assert_eq!(ledger.len(), 2);
    assert_eq!(ledger.begin_at(k(250), ttl, 391_002), LedgerOutcome::First);
}

/// An answer recorded for a key whose entry is gone (forgotten, or its generation dropped)
/// is put in the newest generation; a key answered after an older copy expired is found in
/// the newest generation first.
#[test]
fn finish_without_an_entry_and_newest_copy_wins() {
    let ledger = MemoryLedger::new();
    let ttl = Duration::from_secs(120);
    let k = key(0x1234_5678_9abc_def0, 3);
    let message = StoredAnswer::new(500, false, "Internal Server Error");
    ledger.finish_at(k, &message, ttl, 10);
    assert_eq!(
        ledger.begin_at(k, ttl, 20),
        LedgerOutcome::Replay(message.clone())
    );
    assert_eq!(
        ledger.begin_at(k, ttl, 119_000),
        LedgerOutcome::Replay(message)
    );
    // At 130 s the copy of 10 ms has expired; its generation (0-60 s) is gone at 120.01 s.
    assert_eq!(ledger.begin_at(k, ttl, 130_000), LedgerOutcome::First);
    ledger.finish_at(k, &StoredAnswer::ok(), ttl, 130_500);
    assert_eq!(
        ledger.begin_at(k, ttl, 131_000),
        LedgerOutcome::Replay(StoredAnswer::ok())
    );
    ledger.forget_key(&k);
    assert_eq!(ledger.begin_at(k, ttl, 131_500), LedgerOutcome::First);
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
