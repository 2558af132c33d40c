//! Deadline-aware answers: Frame.io retries a webhook that has not answered within 5 s and
//! gives an action about 10 s, so a slow handler should answer in time and finish later.
//!
//! [`run_with_deadline`] polls a handler's future until its deadline. In time, it returns the
//! result. Past the deadline it returns `None` — the pipeline then answers an action with its
//! interim Message ([`default_interim_message`](super::default_interim_message) unless
//! configured) and a webhook with `OK` — and the work keeps running in a task tracked by
//! [`LateWork`]: its result is logged and passed to an optional [`LateHook`] (for example to
//! post a comment with the API client). Shutdown waits for late work with [`LateWork::wait`].
//!
//! Deadlines need tokio's timers. On a runtime built without `enable_time()` (a `Service`
//! mounted on a hand-built runtime), handlers run **without a deadline**: the answer waits
//! for them, and one warning per runtime says so (see [`timers_available`]).
//!
//! ```
//! use std::time::Duration;
//! use frameio_kit::delivery::{LateWork, run_with_deadline};
//! use frameio_kit::delivery::deadline::{LateContext, late_hook};
//! use frameio_kit::ActionResponse;
//!
//! # async fn demo() {
//! let late = LateWork::new();
//! let slow = Box::pin(async {
//!     tokio::time::sleep(Duration::from_secs(20)).await;
//!     Ok(ActionResponse::None)
//! });
//! let hook = late_hook(|outcome| async move {
//!     println!("{} finished after {:?}", outcome.handler, outcome.elapsed);
//! });
//! let context = LateContext::new("transcribe").hook(hook);
//! let answer = run_with_deadline(slow, Duration::from_secs(9), &late, context).await;
//! assert!(answer.is_none(), "answered with the interim message at 9 s");
//! assert!(late.wait(Duration::from_secs(60)).await, "the work finished");
//! # }
//! # tokio::runtime::Builder::new_current_thread().enable_all().start_paused(true).build().unwrap().block_on(demo());
//! ```

use std::fmt;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use futures_util::FutureExt;
use tokio_util::task::TaskTracker;

use crate::handler::{BoxFuture, Delivery, HandlerResult};

/// The default deadline of an action handler: 9 s, within Frame.io's 10 s.
pub const DEFAULT_ACTION_DEADLINE: Duration = Duration::from_secs(9);
/// The default deadline of a webhook handler that is not `background`: 4.5 s, within 5 s.
pub const DEFAULT_WEBHOOK_DEADLINE: Duration = Duration::from_millis(4500);

/// Work still running after its delivery was answered. Cheap to clone (clones share).
#[derive(Clone, Default)]
pub struct LateWork {
    tracker: TaskTracker,
}

impl fmt::Debug for LateWork {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LateWork")
            .field("running", &self.len())
            .finish()
    }
}

impl LateWork {
    /// An empty tracker.
    pub fn new() -> Self {
        Self::default()
    }

    /// Runs `work` on the tokio runtime, tracked.
    pub fn spawn<F>(&self, work: F)
    where
        F: Future<Output = ()> + Send + 'static,
    {
        drop(self.tracker.spawn(work));
    }

    /// How many pieces of late work are running.
    pub fn len(&self) -> usize {
        self.tracker.len()
    }

    /// `true` when nothing is running late.
    pub fn is_empty(&self) -> bool {
        self.tracker.is_empty()
    }

    /// Waits until every piece of late work has finished, at most `timeout`; `true` when all
    /// finished. Work spawned while waiting is waited for too. On a runtime without timers
    /// (see [`timers_available`]) the wait has no limit.
    pub async fn wait(&self, timeout: Duration) -> bool {
        self.tracker.close();
        let finished = if timers_available() {
            tokio::time::timeout(timeout, self.tracker.wait())
                .await
                .is_ok()
        } else {
            self.tracker.wait().await;
            true
        };
        self.tracker.reopen();
        finished
    }
}

/// What a [`LateHook`] receives: a handler's result that came after its delivery was answered.
#[non_exhaustive]
pub struct LateOutcome {
    /// The handler's name (as in logs).
    pub handler: Arc<str>,
    /// The delivery, when the pipeline kept a copy for the hook.
    pub delivery: Option<Delivery>,
    /// What the handler returned (a panic becomes an error).
    pub result: HandlerResult,
    /// How long the handler ran in all.
    pub elapsed: Duration,
}

impl fmt::Debug for LateOutcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LateOutcome")
            .field("handler", &self.handler)
            .field("ok", &self.result.is_ok())
            .field("elapsed", &self.elapsed)
            .finish_non_exhaustive()
    }
}

/// Called with every late result (see [`late_hook`]).
pub type LateHook = Arc<dyn Fn(LateOutcome) -> BoxFuture<'static, ()> + Send + Sync>;

/// Wraps an async function as a [`LateHook`].
pub fn late_hook<F, Fut>(hook: F) -> LateHook
where
    F: Fn(LateOutcome) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    Arc::new(move |outcome| Box::pin(hook(outcome)))
}

/// Who the work belongs to, for the log line and the hook.
#[derive(Clone)]
pub struct LateContext {
    handler: Arc<str>,
    delivery: Option<Delivery>,
    hook: Option<LateHook>,
}

impl fmt::Debug for LateContext {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LateContext")
            .field("handler", &self.handler)
            .field("hook", &self.hook.is_some())
            .finish_non_exhaustive()
    }
}

impl LateContext {
    /// Late work of this handler, logged only.
    pub fn new(handler: impl Into<Arc<str>>) -> Self {
        Self {
            handler: handler.into(),
            delivery: None,
            hook: None,
        }
    }

    /// Also passes the late result to `hook`.
    #[must_use]
    pub fn hook(mut self, hook: LateHook) -> Self {
        self.hook = Some(hook);
        self
    }

    /// Gives the hook a copy of the delivery (clone it only when a hook is set).
    #[must_use]
    pub fn delivery(mut self, delivery: Delivery) -> Self {
        self.delivery = Some(delivery);
        self
    }

    /// `true` when a hook is set (so the pipeline knows whether to keep the delivery).
    pub fn has_hook(&self) -> bool {
        self.hook.is_some()
    }
}

/// Runs `work` until `deadline`: `Some(result)` when it finished in time; `None` when the
/// deadline passed, in which case it runs on under `late` and its result is logged and handed
/// to the context's hook. A panic before the deadline reaches the caller (the pipeline turns
/// it into a 500); a panic after it is logged and reported to the hook as an error. On a
/// runtime without timers (see [`timers_available`]) there is no deadline: `work` runs to
/// completion and its result is returned.
pub async fn run_with_deadline(
    mut work: BoxFuture<'static, HandlerResult>,
    deadline: Duration,
    late: &LateWork,
    context: LateContext,
) -> Option<HandlerResult> {
    if !timers_available() {
        return Some(work.await);
    }
    let started = tokio::time::Instant::now();
    if let Ok(result) = tokio::time::timeout(deadline, &mut work).await {
        return Some(result);
    }
    spawn_late(work, started, deadline, late, context);
    None
}

/// Lets `work`, which missed its `deadline`, run on under `late`: logs that it did, then its
/// result, and hands the result to the context's hook. A panic is logged and reported to the
/// hook as an error.
pub(crate) fn spawn_late(
    work: BoxFuture<'static, HandlerResult>,
    started: tokio::time::Instant,
    deadline: Duration,
    late: &LateWork,
    context: LateContext,
) {
    tracing::info!(
        target: "frameio_kit::delivery",
        handler = %context.handler,
        deadline_ms = u64::try_from(deadline.as_millis()).unwrap_or(u64::MAX),
        "handler missed its deadline: answered now, still running"
    );
    #[cfg(feature = "metrics")]
    crate::telemetry::metrics::late_run(&context.handler);
    late.spawn(async move {
        let result = match AssertUnwindSafe(work).catch_unwind().await {
            Ok(result) => result,
            Err(panic) => Err(panic_text(panic.as_ref()).into()),
        };
        let elapsed = started.elapsed();
        let elapsed_ms = u64::try_from(elapsed.as_millis()).unwrap_or(u64::MAX);
        match &result {
            Ok(_) => tracing::info!(
                target: "frameio_kit::delivery",
                handler = %context.handler, elapsed_ms, "late handler finished"
            ),
            Err(err) => tracing::error!(
                target: "frameio_kit::delivery",
                handler = %context.handler, elapsed_ms, error = %err, "late handler failed"
            ),
        }
        if let Some(hook) = context.hook {
            let outcome = LateOutcome {
                handler: context.handler,
                delivery: context.delivery,
                result,
                elapsed,
            };
            if let Err(panic) = AssertUnwindSafe(hook(outcome)).catch_unwind().await {
                tracing::error!(
                    target: "frameio_kit::delivery",
                    panic = %panic_text(panic.as_ref()),
                    "late-result hook panicked"
                );
            }
        }
    });
}

/// Whether deadlines can be timed here: `true` inside a tokio runtime with its time driver.
///
/// tokio has no query for its time driver; creating a timer on a runtime built without
/// `enable_time()` panics. So the first call on such a runtime creates one inside
/// [`std::panic::catch_unwind`] (the panic hook prints tokio's message, *"timers are
/// disabled. Call `enable_time` on the runtime builder"*, once), logs a warning, and
/// remembers the runtime: later calls on it answer `false` without trying again, and the
/// pipeline runs its handlers without a deadline. Outside any tokio runtime the answer is
/// `false` with a warning too. A build with `panic = "abort"` cannot catch tokio's panic, so
/// there the runtime must have timers (`enable_time()` or `enable_all()`).
///
/// On a runtime with timers this costs the creation of one unarmed timer.
pub fn timers_available() -> bool {
    /// Set once a runtime without timers was seen, so the common case skips the lock.
    static ANY_WITHOUT: AtomicBool = AtomicBool::new(false);
    /// The runtimes seen without timers (the most recent few).
    static WITHOUT: Mutex<Vec<tokio::runtime::Id>> = Mutex::new(Vec::new());
    const REMEMBERED: usize = 64;

    let Ok(runtime) = tokio::runtime::Handle::try_current() else {
        static WARNED: AtomicBool = AtomicBool::new(false);
        if !WARNED.swap(true, Ordering::Relaxed) {
            tracing::warn!(
                target: "frameio_kit::delivery",
                "not inside a tokio runtime: handlers run without a deadline"
            );
        }
        return false;
    };
    let id = runtime.id();
    if ANY_WITHOUT.load(Ordering::Acquire)
        && WITHOUT
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .contains(&id)
    {
        return false;
    }
    if !cfg!(panic = "unwind") {
        // Nothing to catch with: trust the runtime.
        return true;
    }
    let probe = std::panic::catch_unwind(|| drop(tokio::time::sleep(Duration::ZERO)));
    if probe.is_ok() {
        return true;
    }
    let mut without = WITHOUT.lock().unwrap_or_else(PoisonError::into_inner);
    if !without.contains(&id) {
        if without.len() == REMEMBERED {
            without.remove(0);
        }
        without.push(id);
        ANY_WITHOUT.store(true, Ordering::Release);
        tracing::warn!(
            target: "frameio_kit::delivery",
            runtime = %id,
            "the tokio runtime has no time driver (build it with `enable_time()` or \
             `enable_all()`): handlers run without a deadline, so a slow one may make \
             Frame.io retry"
        );
    }
    false
}

fn panic_text(payload: &(dyn std::any::Any + Send)) -> String {
    format!("handler panicked: {}", crate::error::panic_message(payload))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::response::{ActionResponse, Message};
    use std::sync::Mutex;

    fn sleeper(secs: u64) -> BoxFuture<'static, HandlerResult> {
        Box::pin(async move {
            tokio::time::sleep(Duration::from_secs(secs)).await;
            Ok(ActionResponse::from(Message::new(
                "done",
                format!("{secs}"),
            )))
        })
    }

    #[tokio::test(start_paused = true)]
    async fn in_time_answers_directly() {
        let late = LateWork::new();
        let result = run_with_deadline(
            sleeper(3),
            DEFAULT_ACTION_DEADLINE,
            &late,
            LateContext::new("h"),
        )
        .await;
        assert!(matches!(result, Some(Ok(ActionResponse::Message(_)))));
        assert!(late.is_empty());
    }

    #[tokio::test(start_paused = true)]
    async fn late_work_runs_on_and_reaches_the_hook() {
        let late = LateWork::new();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let hook = {
            let seen = Arc::clone(&seen);
            late_hook(move |outcome: LateOutcome| {
                let seen = Arc::clone(&seen);
                async move {
                    seen.lock().unwrap().push((
                        outcome.handler.to_string(),
                        outcome.result.is_ok(),
                        outcome.elapsed,
                    ));
                }
            })
        };
        let start = tokio::time::Instant::now();
        let context = LateContext::new("slow").hook(hook.clone());
        assert!(
            run_with_deadline(sleeper(20), DEFAULT_ACTION_DEADLINE, &late, context)
                .await
                .is_none()
        );
        assert_eq!(start.elapsed(), DEFAULT_ACTION_DEADLINE);
        assert_eq!(late.len(), 1);

        let panicking: BoxFuture<'static, HandlerResult> = Box::pin(async {
            tokio::time::sleep(Duration::from_secs(10)).await;
            panic!("boom")
        });
        let context = LateContext::new("panics").hook(hook);
        assert!(
            run_with_deadline(panicking, DEFAULT_WEBHOOK_DEADLINE, &late, context)
                .await
                .is_none()
        );
        assert!(late.wait(Duration::from_secs(60)).await);
        let mut seen = seen.lock().unwrap().clone();
        seen.sort_by(|a, b| a.0.cmp(&b.0));
        assert_eq!(
            seen,
            [
                ("panics".to_owned(), false, Duration::from_secs(10)),
                ("slow".to_owned(), true, Duration::from_secs(20)),
            ]
        );
        // The tracker takes new work after a wait.
        assert!(
            run_with_deadline(
                sleeper(5),
                Duration::from_secs(1),
                &late,
                LateContext::new("x")
            )
            .await
            .is_none()
        );
        assert!(
            !late.wait(Duration::from_secs(1)).await,
            "times out while work runs"
        );
        assert!(late.wait(Duration::from_secs(10)).await);
    }
}
