//! Delivery semantics: what happens around a handler so that Frame.io's retries, replays and
//! deadlines do no harm.
//!
//! Frame.io gives a webhook 5 s and an action about 10 s to answer, retries a failed or slow
//! delivery up to 5 times, and sends no delivery id. This module holds the engines the
//! pipeline uses to cope (see `docs/delivery.md` for the guide):
//!
//! | piece | module | what it does |
//! |---|---|---|
//! | replay ledger | [`ledger`] | an exact `(timestamp, signature)` pair runs a handler at most once; the replay gets the first answer |
//! | retry dedup | [`dedup`] | per handler, a byte-identical body within a window is answered `OK` without running again |
//! | deadlines | [`deadline`] | an action still running at its deadline gets an interim Message; a webhook past 4.5 s gets `OK`; the work runs on, tracked by [`LateWork`] |
//! | background jobs | `queue` (feature `background`) | the verified delivery is stored durably (apalis on SQLite, PostgreSQL or Redis) and answered at once; workers run the handler with retries and dead letters |
//!
//! All of it runs in the receiver's pipeline: the replay ledger on every verified delivery (in
//! memory, or shared with [`App::replay_store`](crate::App::replay_store)), the rest per
//! handler, switched on with the `Handler` builder (`background()`, `retries(…)`, `dedup(…)`,
//! `deadline(…)`, `no_deadline()`, `interim(…)`, `on_late_result(…)`) or the macro arguments of
//! the same names; they are stored in [`HandlerOptions`].

use std::time::Duration;

use crate::response::Message;

pub mod deadline;
pub mod dedup;
pub mod ledger;
#[cfg(feature = "background")]
pub mod queue;

pub use deadline::{
    DEFAULT_ACTION_DEADLINE, DEFAULT_WEBHOOK_DEADLINE, LateWork, run_with_deadline,
};
pub use dedup::{Dedup, DedupOutcome};
pub use ledger::{
    IN_PROGRESS_BODY, IN_PROGRESS_STATUS, Ledger, LedgerError, LedgerKey, LedgerOutcome,
    MemoryLedger, StoreLedger, StoredAnswer,
};

/// The default interim Message an action gets when its handler misses its deadline.
pub fn default_interim_message() -> Message {
    Message::new(
        "Still working",
        "This is taking longer than usual. It will finish in the background.",
    )
}

/// How background jobs of one handler are retried.
///
/// Attempt `n` (counting from 1) that fails waits `initial_delay × 2^(n-1)`, capped at
/// `max_delay`, with up to ±`jitter` of that delay added at random, before attempt `n + 1`.
/// After `max_attempts` failures the job becomes a dead letter.
#[derive(Debug, Clone, Copy, PartialEq)]
#[non_exhaustive]
pub struct RetryPolicy {
    /// How many times the handler runs at most (at least 1). Default 5.
    pub max_attempts: u32,
    /// The delay after the first failure. Default 1 s.
    pub initial_delay: Duration,
    /// The longest delay between two attempts. Default 5 minutes.
    pub max_delay: Duration,
    /// The share of each delay drawn at random in both directions (0.0 to 1.0). Default 0.2.
    pub jitter: f64,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 5,
            initial_delay: Duration::from_secs(1),
            max_delay: Duration::from_secs(300),
            jitter: 0.2,
        }
    }
}

impl RetryPolicy {
    /// A policy with this many attempts in all and the default delays.
    pub fn attempts(max_attempts: u32) -> Self {
        Self {
            max_attempts: max_attempts.max(1),
            ..Self::default()
        }
    }

    /// Sets the delay after the first failure and the cap of every delay.
    #[must_use]
    pub fn delays(mut self, initial: Duration, max: Duration) -> Self {
        self.initial_delay = initial;
        self.max_delay = max.max(initial);
        self
    }

    /// Sets the random share of each delay (clamped to 0.0..=1.0).
    #[must_use]
    pub fn jitter(mut self, jitter: f64) -> Self {
        self.jitter = if jitter.is_finite() {
            jitter.clamp(0.0, 1.0)
        } else {
            0.0
        };
        self
    }

    /// The delay before attempt `failed + 1`, given `failed` attempts so far (≥ 1) and a random
    /// number in `0.0..1.0` (pass `rand::random()`; tests pass fixed values).
    pub fn delay_after(&self, failed: u32, random: f64) -> Duration {
        let exponent = failed.saturating_sub(1).min(30);
        let base = self
            .initial_delay
            .saturating_mul(1_u32 << exponent)
            .min(self.max_delay);
        let spread = (random.clamp(0.0, 1.0) * 2.0 - 1.0) * self.jitter;
        base.mul_f64((1.0 + spread).max(0.0))
            .min(self.max_delay.mul_f64(1.0 + self.jitter))
    }
}

impl From<u32> for RetryPolicy {
    /// `n` attempts in all, with the default delays.
    fn from(max_attempts: u32) -> Self {
        Self::attempts(max_attempts)
    }
}

/// The delivery switches of one handler: what the `Handler` builder's `background()`,
/// `dedup(…)`, `deadline(…)` and friends (and the macro arguments of the same names) store.
#[derive(Debug, Clone, Default, PartialEq)]
#[non_exhaustive]
pub struct HandlerOptions {
    /// Run the handler in a worker from the durable queue, answering `OK` once queued
    /// (webhooks only), with this retry policy.
    pub background: Option<RetryPolicy>,
    /// Answer `OK` without running when a byte-identical body was accepted within this window.
    pub dedup: Option<Duration>,
    /// The handler's deadline; `None` means the default for its kind
    /// ([`DEFAULT_ACTION_DEADLINE`] or [`DEFAULT_WEBHOOK_DEADLINE`]).
    pub deadline: Option<Duration>,
    /// `true` turns the deadline off: the answer waits for the handler however long it runs.
    pub no_deadline: bool,
    /// The interim Message of an action that misses its deadline (`None`: the app's default).
    pub interim: Option<Message>,
}

impl HandlerOptions {
    /// The defaults: not in the background, no dedup, the default deadline.
    pub fn new() -> Self {
        Self::default()
    }

    /// Runs the handler from the durable queue with the default retry policy.
    #[must_use]
    pub fn background(mut self) -> Self {
        self.background = Some(self.background.unwrap_or_default());
        self
    }

    /// Runs the handler from the durable queue with this retry policy.
    #[must_use]
    pub fn retries(mut self, policy: RetryPolicy) -> Self {
        self.background = Some(policy);
        self
    }

    /// Collapses byte-identical bodies within `window`.
    #[must_use]
    pub fn dedup(mut self, window: Duration) -> Self {
        self.dedup = Some(window);
        self
    }

    /// Sets the deadline.
    #[must_use]
    pub fn deadline(mut self, deadline: Duration) -> Self {
        self.deadline = Some(deadline);
        self.no_deadline = false;
        self
    }

    /// Waits for the handler however long it runs (Frame.io may then retry it).
    #[must_use]
    pub fn no_deadline(mut self) -> Self {
        self.no_deadline = true;
        self
    }

    /// Sets the interim Message of an action that misses its deadline.
    #[must_use]
    pub fn interim(mut self, message: Message) -> Self {
        self.interim = Some(message);
        self
    }

    /// The deadline that applies to a handler of this kind, or `None` when turned off.
    pub fn effective_deadline(&self, kind: crate::HandlerKind) -> Option<Duration> {
        if self.no_deadline {
            return None;
        }
        Some(self.deadline.unwrap_or(match kind {
            crate::HandlerKind::Webhook => DEFAULT_WEBHOOK_DEADLINE,
            _ => DEFAULT_ACTION_DEADLINE,
        }))
    }
}

/// The guide `docs/delivery.md`, whose examples run as doctests.
#[cfg(all(doctest, feature = "background"))]
#[doc = include_str!("../../../docs/delivery.md")]
pub struct DeliveryGuide;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_caps_and_jitters_within_bounds() {
        let policy = RetryPolicy::attempts(5)
            .delays(Duration::from_secs(1), Duration::from_secs(10))
            .jitter(0.0);
        let delays: Vec<u64> = (1..=6)
            .map(|n| policy.delay_after(n, 0.5).as_secs())
            .collect();
        assert_eq!(delays, [1, 2, 4, 8, 10, 10]);

        let jittery = policy.jitter(0.5);
        assert_eq!(jittery.delay_after(2, 0.0), Duration::from_secs(1));
        assert_eq!(jittery.delay_after(2, 1.0), Duration::from_secs(3));
        assert_eq!(jittery.delay_after(2, 0.5), Duration::from_secs(2));
        assert!(jittery.delay_after(9, 1.0) <= Duration::from_secs(15));
        assert_eq!(RetryPolicy::attempts(0).max_attempts, 1);
        assert_eq!(RetryPolicy::default().jitter(f64::NAN).jitter, 0.0);
    }

    #[test]
    fn options_pick_the_deadline_by_kind() {
        let options = HandlerOptions::new();
        assert_eq!(
            options.effective_deadline(crate::HandlerKind::Action),
            Some(DEFAULT_ACTION_DEADLINE)
        );
        assert_eq!(
            options.effective_deadline(crate::HandlerKind::Webhook),
            Some(DEFAULT_WEBHOOK_DEADLINE)
        );
        let custom = HandlerOptions::new().deadline(Duration::from_secs(2));
        assert_eq!(
            custom.effective_deadline(crate::HandlerKind::Action),
            Some(Duration::from_secs(2))
        );
        assert_eq!(
            HandlerOptions::new()
                .no_deadline()
                .effective_deadline(crate::HandlerKind::Action),
            None
        );
        let background = HandlerOptions::new()
            .background()
            .dedup(Duration::from_secs(600));
        assert_eq!(background.background, Some(RetryPolicy::default()));
        assert_eq!(background.dedup, Some(Duration::from_secs(600)));
    }
}
