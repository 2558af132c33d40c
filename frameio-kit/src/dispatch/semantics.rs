//! The delivery-semantics steps of the pipeline: the replay ledger after `verify`, retry dedup
//! and deadlines around `handle` (engines in [`crate::delivery`]).

use std::fmt;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::task::Poll;
use std::time::Duration;

use bytes::Bytes;
use futures_util::FutureExt;

use crate::delivery::deadline::{LateContext, LateHook, spawn_late, timers_available};
use crate::delivery::ledger::{MemoryKey, replay_ttl};
use crate::delivery::{
    Dedup, LateWork, Ledger, LedgerKey, LedgerOutcome, MemoryLedger, StoredAnswer,
};
use crate::handler::{BoxFuture, Delivery, HandlerResult};

use super::reply::{Failure, Stop};
use super::{APPLICATION_JSON, Reply};

/// Where replays are looked up.
pub(crate) enum ReplayLedger {
    /// Turned off by the app.
    Off,
    /// In this process (the default): a synchronous map insert.
    Memory(MemoryLedger),
    /// A shared engine (a [`StoreLedger`](crate::delivery::StoreLedger) on Redis or
    /// PostgreSQL), so a fleet sees each other's deliveries.
    Shared(Arc<dyn Ledger>),
}

impl fmt::Debug for ReplayLedger {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Off => f.write_str("Off"),
            Self::Memory(ledger) => f.debug_tuple("Memory").field(ledger).finish(),
            Self::Shared(ledger) => f.debug_tuple("Shared").field(ledger).finish(),
        }
    }
}

/// Proof that this delivery is the first with its `(timestamp, signature)`: the answer is
/// recorded under it once known.
pub(crate) struct ReplayTicket {
    key: TicketKey,
    ttl: Duration,
}

enum TicketKey {
    Memory(MemoryKey),
    Shared(LedgerKey),
}

/// The app-wide delivery settings the dispatcher holds.
pub(crate) struct Semantics {
    pub(crate) ledger: ReplayLedger,
    /// Present when at least one handler uses dedup.
    pub(crate) dedup: Option<Dedup>,
    pub(crate) late: LateWork,
    /// The app's late-result hook (a handler's own hook wins).
    pub(crate) late_hook: Option<LateHook>,
    /// The durable queue and its workers, when a handler runs in the background.
    #[cfg(feature = "background")]
    pub(crate) background: Option<Arc<crate::delivery::queue::Background>>,
}

impl Default for Semantics {
    fn default() -> Self {
        Self {
            ledger: ReplayLedger::Memory(MemoryLedger::new()),
            dedup: None,
            late: LateWork::new(),
            late_hook: None,
            #[cfg(feature = "background")]
            background: None,
        }
    }
}

impl fmt::Debug for Semantics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Semantics")
            .field("ledger", &self.ledger)
            .field("dedup", &self.dedup.is_some())
            .field("late", &self.late)
            .field("late_hook", &self.late_hook.is_some())
            .finish_non_exhaustive()
    }
}

fn stored(reply: &Reply) -> StoredAnswer {
    StoredAnswer::from_parts(reply.status(), reply.content_type(), reply.body().clone())
}

/// A first delivery gets its ticket; a replay ends the pipeline with the first answer, or
/// the in-progress refusal.
fn ticket_or_stop(
    outcome: LedgerOutcome,
    key: TicketKey,
    ttl: Duration,
) -> Result<Option<ReplayTicket>, Stop> {
    match outcome {
        LedgerOutcome::First => Ok(Some(ReplayTicket { key, ttl })),
        LedgerOutcome::Replay(answer) => Err(Stop::refuse(
            replayed(&answer),
            Failure::Rejected("replay of an accepted request: sent the first answer again"),
        )),
        _ => Err(Stop::refuse(
            replayed(&StoredAnswer::in_progress()),
            Failure::Rejected("replay of a request still being handled"),
        )),
    }
}

/// The reply that repeats a stored answer.
pub(super) fn replayed(answer: &StoredAnswer) -> Reply {
    let content_type = if answer.content_type() == APPLICATION_JSON {
        APPLICATION_JSON
    } else {
        super::TEXT_PLAIN
    };
    Reply::from_parts(answer.status(), content_type, answer.body().clone())
}

impl Semantics {
    /// replay with the in-memory ledger: one synchronous set-if-absent. A replay ends the
    /// pipeline with the first answer, or the in-progress refusal.
    pub(super) fn replay_begin_memory(
        &self,
        ledger: &MemoryLedger,
        timestamp: &str,
        timestamp_value: i64,
        signature: &[u8],
        now: i64,
        tolerance: Duration,
    ) -> Result<Option<ReplayTicket>, Stop> {
        let ttl = replay_ttl(timestamp_value, now, tolerance);
        let key = ledger.replay_key_parsed(timestamp, Some(timestamp_value), signature);
        let outcome = ledger.begin_key(key, ttl);
        ticket_or_stop(outcome, TicketKey::Memory(key), ttl)
    }

    /// replay with a shared ledger: one atomic set-if-absent in the store. `Ok(None)` when the
    /// ledger is not shared.
    pub(super) async fn replay_begin(
        &self,
        timestamp: &str,
        timestamp_value: i64,
        signature: &[u8],
        now: i64,
        tolerance: Duration,
    ) -> Result<Option<ReplayTicket>, Stop> {
        let ReplayLedger::Shared(ledger) = &self.ledger else {
            return Ok(None);
        };
        let ttl = replay_ttl(timestamp_value, now, tolerance);
        let key = LedgerKey::replay(timestamp, signature);
        match ledger.begin(&key, ttl).await {
            Ok(outcome) => ticket_or_stop(outcome, TicketKey::Shared(key), ttl),
            Err(err) => {
                tracing::error!(
                    target: "frameio_kit::delivery",
                    error = %super::reply::ErrorChain(&err),
                    "replay ledger unavailable: refusing the delivery (Frame.io retries it)"
                );
                Err(Stop::text(
                    503,
                    "Configuration error.",
                    Failure::Rejected("replay ledger unavailable"),
                ))
            }
        }
    }

    /// Records the answer of the first delivery in the in-memory ledger; `false` when the
    /// ticket is a shared ledger's (then [`replay_finish`](Self::replay_finish) does it).
    pub(super) fn replay_finish_now(&self, ticket: &ReplayTicket, reply: &Reply) -> bool {
        match (&self.ledger, &ticket.key) {
            (ReplayLedger::Memory(ledger), TicketKey::Memory(key)) => {
                ledger.finish_key(*key, &stored(reply), ticket.ttl);
                true
            }
            (ReplayLedger::Shared(_), TicketKey::Shared(_)) => false,
            _ => true,
        }
    }

    /// Records the answer of the first delivery in a shared ledger for its replays.
    pub(super) async fn replay_finish(&self, ticket: ReplayTicket, reply: &Reply) {
        if let (ReplayLedger::Shared(ledger), TicketKey::Shared(key)) = (&self.ledger, ticket.key)
            && let Err(err) = ledger.finish(&key, &stored(reply), ticket.ttl).await
        {
            tracing::warn!(
                target: "frameio_kit::delivery",
                error = %super::reply::ErrorChain(&err),
                "replay ledger: cannot record the answer (a replay will be refused as in progress)"
            );
        }
    }

    /// Records a run's answer for dedup (a failure is forgotten, so the retry runs).
    pub(super) async fn dedup_finish(
        &self,
        ticket: crate::delivery::dedup::DedupTicket,
        reply: &Reply,
        window: Duration,
    ) {
        if let Some(dedup) = &self.dedup
            && let Err(err) = dedup.finish(ticket, &stored(reply), window).await
        {
            tracing::warn!(
                target: "frameio_kit::delivery",
                error = %super::reply::ErrorChain(&err),
                "dedup: cannot record the answer"
            );
        }
    }
}

/// A run of the handler (and its middleware), with or without a deadline.
pub(super) enum Ran {
    /// It finished in time.
    Done(HandlerResult),
    /// It missed its deadline and runs on.
    Late,
}

/// Runs `work` to its end, or until `deadline` when there is one. A timer is armed only when
/// the work did not finish on its first poll (most handlers do not wait on anything long).
/// `context` is built only when the work is late. A panic (before the deadline) is returned
/// as `Err` with its payload.
///
/// A hand-written future rather than an `async fn`: it is part of every delivery's future,
/// and an `async fn` keeps its arguments twice (as arguments and as locals).
pub(super) fn run<'l, F>(
    work: BoxFuture<'static, HandlerResult>,
    deadline: Option<Duration>,
    late: &'l LateWork,
    context: F,
) -> Run<'l, F>
where
    F: FnOnce() -> LateContext + Send + Unpin + 'l,
{
    Run::First {
        work,
        deadline,
        late,
        context,
    }
}

/// What a run answers: the handler's result, or that it is late; `Err` is a panic's payload.
pub(super) type RunOutput = Result<Ran, Box<dyn std::any::Any + Send>>;

/// The future of [`run`].
pub(super) enum Run<'l, F> {
    /// Not polled yet, or finished on no poll so far.
    First {
        work: BoxFuture<'static, HandlerResult>,
        deadline: Option<Duration>,
        late: &'l LateWork,
        context: F,
    },
    /// It did not finish on its first poll: waiting, up to the deadline.
    Slow(BoxFuture<'l, RunOutput>),
    /// Answered.
    Done,
}

impl<'l, F> std::future::Future for Run<'l, F>
where
    F: FnOnce() -> LateContext + Send + Unpin + 'l,
{
    type Output = RunOutput;

    fn poll(self: std::pin::Pin<&mut Self>, cx: &mut std::task::Context<'_>) -> Poll<RunOutput> {
        let this = self.get_mut();
        let first = match this {
            Run::Slow(slow) => {
                let out = std::task::ready!(slow.as_mut().poll(cx));
                *this = Run::Done;
                return Poll::Ready(out);
            }
            Run::First { work, .. } => {
                std::panic::catch_unwind(AssertUnwindSafe(|| work.as_mut().poll(cx)))
            }
            Run::Done => panic!("a handler run polled after it answered"),
        };
        match first {
            Ok(Poll::Ready(result)) => {
                *this = Run::Done;
                Poll::Ready(Ok(Ran::Done(result)))
            }
            Err(panic) => {
                *this = Run::Done;
                Poll::Ready(Err(panic))
            }
            Ok(Poll::Pending) => {
                let Run::First {
                    work,
                    deadline,
                    late,
                    context,
                } = std::mem::replace(this, Run::Done)
                else {
                    return Poll::Pending;
                };
                // The slow path is boxed: its timer would otherwise grow every delivery's
                // future. Polled now, so the timer is armed.
                let mut slow = slow(work, deadline, late, context);
                match slow.as_mut().poll(cx) {
                    Poll::Ready(out) => Poll::Ready(out),
                    Poll::Pending => {
                        *this = Run::Slow(slow);
                        Poll::Pending
                    }
                }
            }
        }
    }
}

/// A handler that did not finish on its first poll: wait for it, up to its deadline.
fn slow<'l>(
    mut work: BoxFuture<'static, HandlerResult>,
    deadline: Option<Duration>,
    late: &'l LateWork,
    context: impl FnOnce() -> LateContext + Send + 'l,
) -> BoxFuture<'l, Result<Ran, Box<dyn std::any::Any + Send>>> {
    Box::pin(async move {
        // No deadline when turned off, or on a runtime without timers (warned once).
        let Some(deadline) = deadline.filter(|_| timers_available()) else {
            return AssertUnwindSafe(&mut work)
                .catch_unwind()
                .await
                .map(Ran::Done);
        };
        let started = tokio::time::Instant::now();
        match tokio::time::timeout(deadline, AssertUnwindSafe(&mut work).catch_unwind()).await {
            Ok(done) => done.map(Ran::Done),
            Err(_) => {
                spawn_late(work, started, deadline, late, context());
                Ok(Ran::Late)
            }
        }
    })
}

/// The late-work context of a handler: its name, the hook (the handler's, else the app's)
/// and, when there is a hook, a copy of the delivery for it.
pub(super) fn late_context(
    function: &str,
    hook: Option<&LateHook>,
    delivery: Option<Box<Delivery>>,
) -> LateContext {
    let mut context = LateContext::new(function);
    if let Some(hook) = hook {
        context = context.hook(Arc::clone(hook));
        if let Some(delivery) = delivery {
            context = context.delivery(*delivery);
        }
    }
    context
}

/// The JSON of an interim Message.
pub(crate) fn interim_json(message: &crate::response::Message) -> Bytes {
    Bytes::from(serde_json::to_vec(message).unwrap_or_default())
}
