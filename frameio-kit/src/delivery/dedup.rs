//! Optional retry dedup: Frame.io retries one event with the same body under a new signature,
//! so a handler that opts in (`dedup = "10m"`, [`HandlerOptions::dedup`](super::HandlerOptions::dedup))
//! runs once per distinct body within its window.
//!
//! **Trade-off:** two genuinely separate events with byte-identical bodies inside the window
//! collapse into one. Frame.io's webhook bodies carry ids but no time or delivery id, so for
//! example two `file.updated` events for one file in ten minutes look the same. Pick the window
//! accordingly (a few times Frame.io's retry span, which is about 4 minutes for 5 attempts).
//!
//! The pipeline calls [`Dedup::begin`] after the replay ledger, and [`Dedup::finish`] with the
//! answer. A failed run (status ≥ 500) is forgotten so Frame.io's retry runs again.
//!
//! ```
//! use std::{sync::Arc, time::Duration};
//! use frameio_kit::delivery::{Dedup, DedupOutcome, MemoryLedger, StoredAnswer};
//!
//! # async fn demo() -> Result<(), frameio_kit::delivery::LedgerError> {
//! let dedup = Dedup::new(Arc::new(MemoryLedger::new()));
//! let window = Duration::from_secs(600);
//! let body = br#"{"type":"file.ready","resource":{"id":"f1","type":"file"}}"#;
//! let DedupOutcome::Run(ticket) = dedup.begin("on_ready", body, window).await? else { panic!() };
//! // A retry while the first still runs, or after it succeeded: answered without running.
//! assert!(matches!(dedup.begin("on_ready", body, window).await?, DedupOutcome::Duplicate(None)));
//! dedup.finish(ticket, &StoredAnswer::ok(), window).await?;
//! assert!(matches!(dedup.begin("on_ready", body, window).await?, DedupOutcome::Duplicate(Some(_))));
//! # Ok(())
//! # }
//! # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(demo()).unwrap();
//! ```

use std::sync::Arc;
use std::time::Duration;

use super::ledger::{Ledger, LedgerError, LedgerKey, LedgerOutcome, StoredAnswer};

/// Body-hash dedup over a [`Ledger`] (the same engine as the replay ledger, its own keys).
#[derive(Debug, Clone)]
pub struct Dedup {
    ledger: Arc<dyn Ledger>,
}

/// What [`Dedup::begin`] decided.
#[derive(Debug)]
#[non_exhaustive]
pub enum DedupOutcome {
    /// A new body: run the handler, then pass the ticket to [`Dedup::finish`].
    Run(DedupTicket),
    /// The same body was accepted within the window. `Some` is the first run's answer (send it
    /// again); `None` means the first run is still going: answer webhooks `OK` (so Frame.io
    /// stops retrying) and actions the interim Message.
    Duplicate(Option<StoredAnswer>),
}

/// Proof that this delivery is the first with its body; give it back to [`Dedup::finish`].
#[derive(Debug)]
#[must_use = "pass the ticket to Dedup::finish, or the body stays marked as running until the window ends"]
pub struct DedupTicket(LedgerKey);

impl Dedup {
    /// Dedup over this ledger.
    pub fn new(ledger: Arc<dyn Ledger>) -> Self {
        Self { ledger }
    }

    /// Records `body` for `handler` unless it was seen within `window`.
    pub async fn begin(
        &self,
        handler: &str,
        body: &[u8],
        window: Duration,
    ) -> Result<DedupOutcome, LedgerError> {
        let key = LedgerKey::dedup(handler, body);
        Ok(match self.ledger.begin(&key, window).await? {
            LedgerOutcome::First => DedupOutcome::Run(DedupTicket(key)),
            LedgerOutcome::Replay(answer) => DedupOutcome::Duplicate(Some(answer)),
            _ => DedupOutcome::Duplicate(None),
        })
    }

    /// Records the answer of the run; a failure (status ≥ 500) is forgotten instead, so the
    /// next retry of the same body runs.
    pub async fn finish(
        &self,
        ticket: DedupTicket,
        answer: &StoredAnswer,
        window: Duration,
    ) -> Result<(), LedgerError> {
        if answer.status() >= 500 {
            self.ledger.forget(&ticket.0).await
        } else {
            self.ledger.finish(&ticket.0, answer, window).await
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::delivery::MemoryLedger;

    #[tokio::test]
    async fn failures_are_forgotten_and_handlers_are_separate() {
        let dedup = Dedup::new(Arc::new(MemoryLedger::new()));
        let window = Duration::from_secs(60);
        let DedupOutcome::Run(ticket) = dedup.begin("a", b"{}", window).await.unwrap() else {
            panic!("first run expected")
        };
        // Another handler with the same body runs.
        let DedupOutcome::Run(other) = dedup.begin("b", b"{}", window).await.unwrap() else {
            panic!("other handler runs")
        };
        dedup
            .finish(
                ticket,
                &StoredAnswer::new(500, false, "Internal Server Error"),
                window,
            )
            .await
            .unwrap();
        // After a failure the retry runs again.
        let DedupOutcome::Run(again) = dedup.begin("a", b"{}", window).await.unwrap() else {
            panic!("retry after failure runs")
        };
        dedup
            .finish(again, &StoredAnswer::ok(), window)
            .await
            .unwrap();
        dedup
            .finish(other, &StoredAnswer::ok(), window)
            .await
            .unwrap();
        match dedup.begin("a", b"{}", window).await.unwrap() {
            DedupOutcome::Duplicate(Some(answer)) => assert_eq!(answer, StoredAnswer::ok()),
            other => panic!("{other:?}"),
        }
    }
}
