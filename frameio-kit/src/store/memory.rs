//! The in-memory engine.

use std::{
    collections::HashMap,
    sync::Mutex,
    time::{Duration, Instant},
};

use super::{Store, StoreError, StoreFuture};

#[derive(Debug)]
struct Entry {
    value: Vec<u8>,
    expires_at: Option<Instant>,
}

impl Entry {
    fn is_live(&self, now: Instant) -> bool {
        self.expires_at.is_none_or(|at| at > now)
    }
}

/// A process-local [`Store`] kept in a hash map; expiry is honoured.
///
/// Values vanish when the process stops and are not shared between instances: use it for
/// tests and single-instance development. Expired entries are purged on writes.
#[derive(Debug, Default)]
pub struct MemoryStore {
    entries: Mutex<HashMap<String, Entry>>,
}

impl MemoryStore {
    /// Creates an empty store.
    pub fn new() -> Self {
        Self::default()
    }

    /// The number of unexpired entries.
    pub fn len(&self) -> usize {
        let now = Instant::now();
        self.lock().values().filter(|e| e.is_live(now)).count()
    }

    /// Whether the store holds no unexpired entry.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Entry>> {
        // A poisoned map is still structurally valid: every mutation is a single call.
        self.entries
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn expiry(ttl: Option<Duration>) -> Option<Instant> {
        ttl.map(|ttl| {
            let ttl = ttl.max(Duration::from_millis(1));
            Instant::now()
                .checked_add(ttl)
                .unwrap_or_else(|| Instant::now() + Duration::from_secs(100 * 365 * 24 * 3600))
        })
    }

    fn get_now(&self, key: &str) -> Option<Vec<u8>> {
        let now = Instant::now();
        let map = self.lock();
        map.get(key)
            .filter(|e| e.is_live(now))
            .map(|e| e.value.clone())
    }

    fn set_now(&self, key: &str, value: &[u8], ttl: Option<Duration>) {
        let now = Instant::now();
        let mut map = self.lock();
        map.retain(|_, e| e.is_live(now));
        map.insert(
            key.to_owned(),
            Entry {
                value: value.to_vec(),
                expires_at: Self::expiry(ttl),
            },
        );
    }

    fn set_if_absent_now(&self, key: &str, value: &[u8], ttl: Option<Duration>) -> bool {
        let now = Instant::now();
        let mut map = self.lock();
        if map.get(key).is_some_and(|e| e.is_live(now)) {
            return false;
        }
        map.insert(
            key.to_owned(),
            Entry {
                value: value.to_vec(),
                expires_at: Self::expiry(ttl),
            },
        );
        true
    }

    fn delete_if_equals_now(&self, key: &str, expected: &[u8]) -> bool {
        let now = Instant::now();
        let mut map = self.lock();
        if map
            .get(key)
            .is_some_and(|e| e.is_live(now) && e.value == expected)
        {
            map.remove(key);
            true
        } else {
            false
        }
    }

    fn take_now(&self, key: &str) -> Option<Vec<u8>> {
        let now = Instant::now();
        self.lock()
            .remove(key)
            .filter(|e| e.is_live(now))
            .map(|e| e.value)
    }
}

impl Store for MemoryStore {
    fn get<'a>(&'a self, key: &'a str) -> StoreFuture<'a, Option<Vec<u8>>> {
        Box::pin(async move { Ok::<_, StoreError>(self.get_now(key)) })
    }

    fn set<'a>(
        &'a self,
        key: &'a str,
        value: &'a [u8],
        ttl: Option<Duration>,
    ) -> StoreFuture<'a, ()> {
        Box::pin(async move {
            self.set_now(key, value, ttl);
            Ok(())
        })
    }

    fn delete<'a>(&'a self, key: &'a str) -> StoreFuture<'a, ()> {
        Box::pin(async move {
            self.lock().remove(key);
            Ok(())
        })
    }

    fn set_if_absent<'a>(
        &'a self,
        key: &'a str,
        value: &'a [u8],
        ttl: Option<Duration>,
    ) -> StoreFuture<'a, bool> {
        Box::pin(async move { Ok(self.set_if_absent_now(key, value, ttl)) })
    }

    fn delete_if_equals<'a>(&'a self, key: &'a str, expected: &'a [u8]) -> StoreFuture<'a, bool> {
        Box::pin(async move { Ok(self.delete_if_equals_now(key, expected)) })
    }

    fn take<'a>(&'a self, key: &'a str) -> StoreFuture<'a, Option<Vec<u8>>> {
        Box::pin(async move { Ok(self.take_now(key)) })
    }
}
