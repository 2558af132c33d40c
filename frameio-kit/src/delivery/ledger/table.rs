//! One generation's entries: an open-addressing table of fixed-size entries, with no
//! allocation per entry.
//!
//! Ordered linear probing over a monotone placement: a key's home slot is its first word
//! scaled to the table (`word × capacity / 2⁶⁴`), so homes grow with the word, and the table
//! keeps its entries sorted by that word. A lookup scans from the home slot and stops at an
//! empty slot or at a larger word: a miss (every new delivery) reads about as few slots as a
//! hit, even at a high load. An insert shifts the rest of its run one slot to the right;
//! [`SLACK`] slots after the last home slot take the runs that would run off the end (a run
//! that reaches the last slot makes the table grow), so nothing wraps around, and growing is
//! one ordered pass.

use super::key::{CHECK_BITS, KEY_WORDS, MemoryKey};

/// An entry: the key's words, then its [`Slot`] word.
type Entry = [u64; WORDS];
const WORDS: usize = KEY_WORDS + 1;
/// An empty slot (a slot word of 0).
const EMPTY: Entry = [0; WORDS];

/// Slots after the last home slot, for the runs that reach past it.
const SLACK: usize = 64;
/// The fewest home slots a table has.
const SMALLEST: usize = 64;

/// An entry's state: its delivery is still running.
pub(super) const RUNNING: u64 = 0;
/// Answered with the webhooks' `200 OK` (not kept as bytes).
pub(super) const ANSWERED_OK: u64 = 1;
/// Answered with something else, kept beside the table.
pub(super) const ANSWERED: u64 = 2;
const STATE_BITS: u32 = 2;
const EXPIRY_SHIFT: u32 = STATE_BITS + CHECK_BITS;
const CHECK_MASK: u64 = (1 << CHECK_BITS) - 1;
/// The latest expiry a [`Slot`] holds: 2⁴² ms, about 139 years after the ledger's epoch.
pub(super) const MAX_EXPIRES_MS: u64 = u64::MAX >> EXPIRY_SHIFT;

/// An entry's slot word: its expiry (milliseconds since the ledger's epoch, at least 1), the
/// key's check bits and the state. Never 0, which marks an empty slot.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(super) struct Slot(u64);

impl Slot {
    /// The slot of `key`, expiring at `expires_ms` (kept within 1..=[`MAX_EXPIRES_MS`]).
    pub(super) fn new(expires_ms: u64, state: u64, key: &MemoryKey) -> Self {
        let expires_ms = expires_ms.clamp(1, MAX_EXPIRES_MS);
        Self(
            (expires_ms << EXPIRY_SHIFT)
                | ((u64::from(key.check) & CHECK_MASK) << STATE_BITS)
                | (state & ((1 << STATE_BITS) - 1)),
        )
    }

    pub(super) fn expires_ms(self) -> u64 {
        self.0 >> EXPIRY_SHIFT
    }

    pub(super) fn state(self) -> u64 {
        self.0 & ((1 << STATE_BITS) - 1)
    }

    fn check(self) -> u64 {
        (self.0 >> STATE_BITS) & CHECK_MASK
    }
}

/// The home slot of an entry whose first word is `first` in a table of `capacity` home
/// slots: `first × capacity / 2⁶⁴`, monotone in `first`.
fn home(first: u64, capacity: usize) -> usize {
    // < capacity, so the cast cannot truncate.
    ((u128::from(first) * capacity as u128) >> 64) as usize
}

/// Where a key is, or where it goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Probe {
    /// At this slot.
    Found(usize),
    /// Absent; [`Table::insert`] puts it at this slot.
    Vacant(usize),
}

/// The table (see the module docs).
pub(super) struct Table {
    /// At least `capacity + SLACK` slots.
    slots: Box<[Entry]>,
    /// The home slots.
    capacity: usize,
    len: usize,
    /// The entries it holds before it grows: a load of 0.8.
    limit: usize,
}

impl Table {
    /// A table for about `entries` entries, at a load of 0.7.
    pub(super) fn with_capacity(entries: usize) -> Self {
        Self::of_capacity((entries.saturating_mul(10) / 7).max(SMALLEST), 0, SLACK)
    }

    /// An empty table of `capacity` home slots, its slots reaching `slack` past `end` (and
    /// past the last home slot).
    fn of_capacity(capacity: usize, end: usize, slack: usize) -> Self {
        Self {
            // All zeros: allocated zeroed, its pages mapped as they are first written.
            slots: vec![EMPTY; capacity.max(end).saturating_add(slack)].into_boxed_slice(),
            capacity,
            len: 0,
            limit: capacity / 5 * 4,
        }
    }

    /// The entries held.
    pub(super) fn len(&self) -> usize {
        self.len
    }

    /// The bytes of its slots.
    pub(super) fn bytes(&self) -> usize {
        std::mem::size_of_val(&*self.slots)
    }

    fn home(&self, first: u64) -> usize {
        home(first, self.capacity)
    }

    /// Finds `key`.
    pub(super) fn probe(&self, key: &MemoryKey) -> Probe {
        let first = key.words[0];
        let mut at = self.home(first);
        while let Some(entry) = self.slots.get(at) {
            let slot = entry[KEY_WORDS];
            if slot == 0 || entry[0] > first {
                return Probe::Vacant(at);
            }
            if entry[0] == first
                && entry[1..KEY_WORDS] == key.words[1..]
                && Slot(slot).check() == u64::from(key.check)
            {
                return Probe::Found(at);
            }
            at += 1;
        }
        Probe::Vacant(at)
    }

    /// The slot word at `at` (from [`Probe::Found`]).
    pub(super) fn slot(&self, at: usize) -> Slot {
        Slot(self.slots[at][KEY_WORDS])
    }

    /// Replaces the slot word at `at` (from [`Probe::Found`]), for the same key.
    pub(super) fn set_slot(&mut self, at: usize, slot: Slot) {
        self.slots[at][KEY_WORDS] = slot.0;
    }

    /// Puts `key`, absent, at `at` (from [`Probe::Vacant`] with no change since). A full table
    /// grows first; a run that reaches the last slot gets more slots after it (the keys are
    /// not spread: not verified signatures), the home slots unchanged.
    pub(super) fn insert(&mut self, at: usize, key: &MemoryKey, slot: Slot) {
        if self.len < self.limit && self.insert_at(at, key, slot) {
            return;
        }
        *self = if self.len < self.limit {
            self.rebuilt(self.capacity, SLACK.max(self.len / 4))
        } else {
            self.rebuilt(self.capacity.saturating_add(self.capacity / 2), SLACK)
        };
        // The slots now reach past the last entry: the insert fits.
        match self.probe(key) {
            Probe::Found(at) => self.set_slot(at, slot),
            Probe::Vacant(at) => {
                let fitted = self.insert_at(at, key, slot);
                debug_assert!(
                    fitted,
                    "a rebuilt table has empty slots after its last entry"
                );
            }
        }
    }

    /// Shifts the run from `at` one slot right and puts the entry at `at`; `false` when the
    /// run reaches the last slot.
    fn insert_at(&mut self, at: usize, key: &MemoryKey, slot: Slot) -> bool {
        let Some(empty) = self
            .slots
            .get(at..)
            .and_then(|rest| rest.iter().position(|entry| entry[KEY_WORDS] == 0))
            .map(|offset| at + offset)
        else {
            return false;
        };
        self.slots.copy_within(at..empty, at + 1);
        let entry = &mut self.slots[at];
        entry[..KEY_WORDS].copy_from_slice(&key.words);
        entry[KEY_WORDS] = slot.0;
        self.len += 1;
        true
    }

    /// The entries in a table of `capacity` home slots: one pass in order, each entry at its
    /// home or right after the one before, with at least `slack` empty slots after the last.
    fn rebuilt(&self, capacity: usize, slack: usize) -> Self {
        let occupied = || self.slots.iter().filter(|entry| entry[KEY_WORDS] != 0);
        let end = occupied().fold(0, |next, entry| home(entry[0], capacity).max(next) + 1);
        let mut table = Self::of_capacity(capacity, end, slack);
        let mut next = 0;
        for entry in occupied() {
            let at = home(entry[0], capacity).max(next);
            table.slots[at] = *entry;
            next = at + 1;
        }
        table.len = self.len;
        table
    }

    /// Removes `key`; `false` when it was not there. The entries after it that are not at
    /// their home slot move one slot left, so no lookup meets a hole before its key.
    pub(super) fn remove(&mut self, key: &MemoryKey) -> bool {
        let Probe::Found(mut at) = self.probe(key) else {
            return false;
        };
        while let Some(&next) = self.slots.get(at + 1) {
            if next[KEY_WORDS] == 0 || self.home(next[0]) > at {
                break;
            }
            self.slots[at] = next;
            at += 1;
        }
        self.slots[at] = EMPTY;
        self.len -= 1;
        true
    }

    /// Checks the table's invariants (tests): entries ordered by their first word, each at or
    /// after its home slot with no empty slot in between, `len` of them.
    #[cfg(test)]
    pub(super) fn assert_invariants(&self) {
        let mut count = 0;
        let mut previous = None;
        for (at, entry) in self.slots.iter().enumerate() {
            if entry[KEY_WORDS] == 0 {
                continue;
            }
            count += 1;
            let home = self.home(entry[0]);
            assert!(home <= at, "entry at {at} before its home {home}");
            assert!(
                self.slots[home..at].iter().all(|e| e[KEY_WORDS] != 0),
                "a hole between the home {home} and the entry at {at}"
            );
            assert!(previous <= Some(entry[0]), "entries out of order at {at}");
            previous = Some(entry[0]);
        }
        assert_eq!(count, self.len);
        assert!(self.len <= self.limit);
    }

    /// The home slots (tests).
    #[cfg(test)]
    pub(super) fn capacity(&self) -> usize {
        self.capacity
    }
}
