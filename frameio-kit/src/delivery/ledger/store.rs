//! The store-backed ledger engine: the ledger in a shared [`Store`], for a fleet.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use sha2::{Digest as _, Sha256};

use super::{Ledger, LedgerFuture, LedgerKey, LedgerOutcome, StoredAnswer};
use crate::store::Store;

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
    pub(super) fn full_key(&self, key: &LedgerKey) -> String {
        let kind = key.kind();
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
