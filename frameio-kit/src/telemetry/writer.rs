//! The log writer behind [`init_logging`](super::init_logging): each thread appends its log
//! lines to a buffer of its own and a writer thread writes the buffers out in batches, every
//! [`FLUSH_INTERVAL`] or as soon as one buffer holds [`BATCH_BYTES`].
//!
//! Why not `tracing_appender::non_blocking`: it hands each line to its writer thread through a
//! channel, as a fresh allocation, and wakes that thread for almost every line when the
//! server is busy (the thread drains the channel faster than lines arrive, then sleeps). On
//! a 2-core machine that wake-up and the context switch it causes cost more than formatting
//! the line: measured with `bench/run.sh` (PERFORMANCE.md, "Production logging"), the default
//! INFO configuration ran at 0.75× the bare yardstick with it. Here a line costs an
//! uncontended lock and a copy into memory only its own thread writes between batches (one
//! buffer shared by all threads cost every line two cache misses, its lock and its tail
//! written by the other core: "Session 5" in PERFORMANCE.md), and the writer thread wakes a
//! few dozen times a second at most.
//!
//! Order: the lines of one thread are never reordered. A batch writes each thread's lines as
//! one group, the groups in the order of their first line, so lines of different threads are
//! in order to within one batch (at most [`FLUSH_INTERVAL`] apart). When the writer cannot
//! keep up (standard output blocked), a thread's buffer stops growing at
//! [`MAX_PENDING_BYTES`]: further lines are dropped rather than slowing deliveries down, and
//! the number dropped is written once the writer catches up.

use std::cell::RefCell;
use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError, Weak};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use tracing_subscriber::fmt::MakeWriter;

/// The longest a line waits in its buffer before it is written.
pub(crate) const FLUSH_INTERVAL: Duration = Duration::from_millis(50);
/// A thread's buffer this full is written at once, without waiting for the interval. (At
/// 100k lines a second a 32 KiB batch woke the writer thread 500 times a second, each wake a
/// context switch on a core the receiver needs.)
pub(crate) const BATCH_BYTES: usize = 128 * 1024;
/// The most bytes waiting in one thread's buffer; lines beyond are dropped (and counted).
pub(crate) const MAX_PENDING_BYTES: usize = 8 * 1024 * 1024;

/// Locks `mutex`, keeping on after a panic elsewhere (the buffers stay intact).
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// What the writer thread and the logging threads share.
#[derive(Default)]
struct State {
    /// One buffer per thread that has logged (and not yet exited and been drained).
    slots: Vec<Arc<Slot>>,
    /// A buffer became non-empty since the writer thread last looked.
    waiting: bool,
    /// A buffer reached [`BATCH_BYTES`]: write now.
    full: bool,
    closed: bool,
}

#[derive(Default)]
struct Shared {
    /// Set with `State::closed`, read without the lock by every line: once there is no writer
    /// thread (it could not start, or the guard was dropped) lines would pile up unseen, so
    /// they are refused.
    closed: AtomicBool,
    state: Mutex<State>,
    /// Signalled when a buffer gets its first line, when one reaches a batch and when the
    /// writer is closed.
    ready: Condvar,
}

/// One thread's buffer.
struct Slot {
    lines: Mutex<Lines>,
    /// Set when the owner thread has exited: drained once more, then forgotten.
    retired: AtomicBool,
}

#[derive(Default)]
struct Lines {
    bytes: Vec<u8>,
    /// When the first line now in `bytes` arrived (orders the groups of a batch).
    since: Option<Instant>,
    dropped: u64,
}

impl Slot {
    fn new() -> Self {
        Self {
            lines: Mutex::default(),
            retired: AtomicBool::new(false),
        }
    }

    /// Appends `line`; says whether the writer thread must hear of it (first line of an
    /// empty buffer) and whether it should write now (the buffer reached a batch).
    fn push(&self, line: &[u8]) -> (bool, bool) {
        let mut lines = lock(&self.lines);
        let before = lines.bytes.len();
        if before + line.len() > MAX_PENDING_BYTES {
            lines.dropped += 1;
            return (false, false);
        }
        if before == 0 {
            lines.since = Some(Instant::now());
        }
        lines.bytes.extend_from_slice(line);
        (
            before == 0,
            before < BATCH_BYTES && lines.bytes.len() >= BATCH_BYTES,
        )
    }
}

thread_local! {
    /// This thread's buffers, one per writer it has logged to (almost always one).
    static SLOTS: RefCell<ThreadSlots> = const { RefCell::new(ThreadSlots(Vec::new())) };
}

/// A thread's buffers, retired when the thread exits.
struct ThreadSlots(Vec<(Weak<Shared>, Arc<Slot>)>);

impl Drop for ThreadSlots {
    fn drop(&mut self) {
        for (_, slot) in &self.0 {
            slot.retired.store(true, Ordering::Release);
        }
    }
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        lock(&self.state)
    }

    /// This thread's buffer for this writer, registered on first use.
    fn slot(self: &Arc<Self>, cached: &mut ThreadSlots) -> Arc<Slot> {
        // A live `Weak` keeps its allocation, so no other writer can have the same address.
        if let Some((_, slot)) = cached
            .0
            .iter()
            .find(|(shared, _)| std::ptr::eq(shared.as_ptr(), Arc::as_ptr(self)))
        {
            return Arc::clone(slot);
        }
        cached.0.retain(|(shared, _)| shared.strong_count() > 0);
        let slot = Arc::new(Slot::new());
        self.lock().slots.push(Arc::clone(&slot));
        cached.0.push((Arc::downgrade(self), Arc::clone(&slot)));
        slot
    }

    /// Marks the writer closed (see [`Shared::closed`]).
    fn close(&self) {
        self.closed.store(true, Ordering::Relaxed);
        self.lock().closed = true;
    }

    fn append(self: &Arc<Self>, line: &[u8]) {
        if self.closed.load(Ordering::Relaxed) {
            return;
        }
        let pushed = SLOTS.try_with(|cached| {
            let mut cached = cached.borrow_mut();
            match cached.0.first() {
                // The usual case: one writer, its buffer first.
                Some((shared, slot)) if std::ptr::eq(shared.as_ptr(), Arc::as_ptr(self)) => {
                    slot.push(line)
                }
                _ => self.slot(&mut cached).push(line),
            }
        });
        let (first, full) = pushed.unwrap_or_else(|_| {
            // The thread is exiting and its buffers are gone: a buffer of its own for
            // this line, drained and forgotten with the next batch.
            let slot = Arc::new(Slot::new());
            slot.retired.store(true, Ordering::Release);
            let pushed = slot.push(line);
            self.lock().slots.push(slot);
            pushed
        });
        if first || full {
            let mut state = self.lock();
            state.waiting = true;
            state.full |= full;
            drop(state);
            self.ready.notify_one();
        }
    }
}

/// The [`MakeWriter`] handed to the fmt layer: appends each line to the calling thread's
/// buffer.
#[derive(Clone)]
pub(crate) struct BatchWriter {
    shared: Arc<Shared>,
}

/// Stops the writer thread when dropped, after it has written every line logged before.
pub(crate) struct BatchGuard {
    shared: Arc<Shared>,
    thread: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for BatchGuard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BatchGuard").finish_non_exhaustive()
    }
}

/// A writer of lines to `out` through a background thread (`frameio-kit-log`). If the
/// thread cannot be started, lines are dropped.
pub(crate) fn batch_writer<W: Write + Send + 'static>(out: W) -> (BatchWriter, BatchGuard) {
    let shared = Arc::new(Shared::default());
    let thread = {
        let shared = Arc::clone(&shared);
        std::thread::Builder::new()
            .name("frameio-kit-log".to_owned())
            .spawn(move || write_batches(&shared, out))
            .ok()
    };
    if thread.is_none() {
        shared.close();
    }
    (
        BatchWriter {
            shared: Arc::clone(&shared),
        },
        BatchGuard { shared, thread },
    )
}

/// The writer thread: waits for lines, gives them up to [`FLUSH_INTERVAL`] to gather (less
/// when a buffer fills a batch), then writes every thread's buffer.
fn write_batches<W: Write>(shared: &Shared, mut out: W) {
    let mut slots: Vec<Arc<Slot>> = Vec::new();
    let mut drained: Vec<(Instant, Vec<u8>)> = Vec::new();
    let mut spare: Vec<Vec<u8>> = Vec::new();
    loop {
        let closing = {
            let mut state = shared.lock();
            while !state.waiting && !state.closed {
                state = shared
                    .ready
                    .wait(state)
                    .unwrap_or_else(PoisonError::into_inner);
            }
            if !state.closed && !state.full {
                state = shared
                    .ready
                    .wait_timeout_while(state, FLUSH_INTERVAL, |s| !s.full && !s.closed)
                    .unwrap_or_else(PoisonError::into_inner)
                    .0;
            }
            state.waiting = false;
            state.full = false;
            slots.clear();
            slots.extend(state.slots.iter().cloned());
            // A retired buffer gets no more lines: this batch is its last.
            state
                .slots
                .retain(|slot| !slot.retired.load(Ordering::Acquire));
            state.closed
        };
        let mut dropped = 0;
        for slot in &slots {
            let mut lines = lock(&slot.lines);
            dropped += std::mem::take(&mut lines.dropped);
            if lines.bytes.is_empty() {
                continue;
            }
            let since = lines.since.take().unwrap_or_else(Instant::now);
            let bytes = std::mem::replace(&mut lines.bytes, spare.pop().unwrap_or_default());
            drop(lines);
            drained.push((since, bytes));
        }
        drained.sort_by_key(|(since, _)| *since);
        for (_, mut bytes) in drained.drain(..) {
            // Standard output failing leaves nowhere to report it: the lines are lost.
            let _ = out.write_all(&bytes);
            bytes.clear();
            // Give back what a burst grew, so a quiet server does not keep megabytes.
            bytes.shrink_to(BATCH_BYTES * 2);
            spare.push(bytes);
        }
        spare.truncate(slots.len());
        if dropped > 0 {
            let _ = writeln!(
                out,
                "frameio-kit: {dropped} log line(s) dropped: the log output could not keep up"
            );
        }
        let _ = out.flush();
        if closing {
            return;
        }
    }
}

impl Drop for BatchGuard {
    fn drop(&mut self) {
        self.shared.close();
        self.shared.ready.notify_one();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// One line's writer (the fmt layer writes a whole line at once).
pub(crate) struct LineWriter<'a> {
    shared: &'a Arc<Shared>,
}

impl Write for LineWriter<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.shared.append(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for BatchWriter {
    type Writer = LineWriter<'a>;

    fn make_writer(&'a self) -> Self::Writer {
        LineWriter {
            shared: &self.shared,
        }
    }
}

#[cfg(test)]
impl Shared {
    /// Bytes waiting in every buffer.
    fn pending_bytes(&self) -> usize {
        let state = self.lock();
        state.slots.iter().map(|s| lock(&s.lines).bytes.len()).sum()
    }

    /// Lines dropped and not yet reported.
    fn dropped(&self) -> u64 {
        let state = self.lock();
        state.slots.iter().map(|s| lock(&s.lines).dropped).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An output the test can read while the writer thread holds its other end.
    #[derive(Clone, Default)]
    struct Sink(Arc<Mutex<Vec<u8>>>);

    impl Write for Sink {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn every_line_is_written_in_order_by_the_time_the_guard_drops() {
        let sink = Sink::default();
        let (writer, guard) = batch_writer(sink.clone());
        let threads: Vec<_> = (0..4)
            .map(|t| {
                let writer = writer.clone();
                std::thread::spawn(move || {
                    for i in 0..5_000 {
                        let line = format!("thread {t} line {i}\n");
                        writer.make_writer().write_all(line.as_bytes()).unwrap();
                    }
                })
            })
            .collect();
        for thread in threads {
            thread.join().unwrap();
        }
        drop(guard);
        let out = String::from_utf8(sink.0.lock().unwrap().clone()).unwrap();
        assert_eq!(out.lines().count(), 20_000);
        for t in 0..4 {
            let prefix = format!("thread {t} line ");
            let numbers: Vec<usize> = out
                .lines()
                .filter_map(|l| l.strip_prefix(&prefix))
                .map(|n| n.parse().unwrap())
                .collect();
            assert_eq!(numbers, (0..5_000).collect::<Vec<_>>(), "thread {t}");
        }
    }

    #[test]
    fn a_lone_line_is_written_within_the_flush_interval() {
        let sink = Sink::default();
        let (writer, _guard) = batch_writer(sink.clone());
        writer.make_writer().write_all(b"one\n").unwrap();
        // Polled, not timed: the line must appear without the guard being dropped.
        for _ in 0..200 {
            if sink.0.lock().unwrap().as_slice() == b"one\n" {
                return;
            }
            std::thread::sleep(FLUSH_INTERVAL / 5);
        }
        panic!("the line was never written");
    }

    /// An output that blocks until the test lets it go.
    struct Blocked(Arc<(Mutex<bool>, Condvar)>, Sink);

    impl Write for Blocked {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            let (open, cv) = &*self.0;
            let mut open = open.lock().unwrap();
            while !*open {
                open = cv.wait(open).unwrap();
            }
            self.1.write(buf)
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn a_stuck_output_drops_lines_past_the_cap_and_says_how_many() {
        let (writer, guard, gate, sink) = stuck();
        let line = vec![b'x'; 1023];
        let fits = MAX_PENDING_BYTES / 1024;
        for _ in 0..fits + 10 {
            let mut l = line.clone();
            l.push(b'\n');
            writer.make_writer().write_all(&l).unwrap();
        }
        assert_eq!(writer.shared.dropped(), 10);
        release(&gate);
        drop(guard);
        let out = String::from_utf8(sink.0.lock().unwrap().clone()).unwrap();
        assert_eq!(out.lines().filter(|l| l.starts_with('x')).count(), fits);
        assert!(
            out.contains("10 log line(s) dropped"),
            "{}",
            &out[out.len() - 200..]
        );
    }

    /// Lets a [`Blocked`] output go.
    fn release(gate: &(Mutex<bool>, Condvar)) {
        *gate.0.lock().unwrap() = true;
        gate.1.notify_all();
    }

    /// A writer whose thread is stuck writing `first` (taken by the writer thread, which then
    /// blocks on it), with the gate to let it go.
    fn stuck() -> (BatchWriter, BatchGuard, Arc<(Mutex<bool>, Condvar)>, Sink) {
        let gate = Arc::new((Mutex::new(false), Condvar::new()));
        let sink = Sink::default();
        let (writer, guard) = batch_writer(Blocked(Arc::clone(&gate), sink.clone()));
        writer.make_writer().write_all(b"first\n").unwrap();
        while writer.shared.pending_bytes() > 0 {
            std::thread::yield_now();
        }
        (writer, guard, gate, sink)
    }

    fn on_thread(writer: &BatchWriter, line: &'static str) {
        let writer = writer.clone();
        std::thread::spawn(move || writer.make_writer().write_all(line.as_bytes()).unwrap())
            .join()
            .unwrap();
    }

    #[test]
    fn a_batch_writes_each_threads_lines_together_in_order_of_their_first() {
        let (writer, guard, gate, sink) = stuck();
        let a = writer.clone();
        let (to_a, a_waits) = std::sync::mpsc::channel::<&'static str>();
        let thread_a = std::thread::spawn(move || {
            for line in a_waits {
                a.make_writer().write_all(line.as_bytes()).unwrap();
            }
        });
        let sent = |line| {
            to_a.send(line).unwrap();
            while !String::from_utf8_lossy(&pending(&writer)).contains(line) {
                std::thread::yield_now();
            }
        };
        sent("a1\n");
        on_thread(&writer, "b1\n");
        sent("a2\n");
        on_thread(&writer, "c1\n");
        drop(to_a);
        thread_a.join().unwrap();
        release(&gate);
        drop(guard);
        let out = String::from_utf8(sink.0.lock().unwrap().clone()).unwrap();
        assert_eq!(out, "first\na1\na2\nb1\nc1\n");
    }

    /// Every line waiting, buffer by buffer.
    fn pending(writer: &BatchWriter) -> Vec<u8> {
        let state = writer.shared.lock();
        state
            .slots
            .iter()
            .flat_map(|s| lock(&s.lines).bytes.clone())
            .collect()
    }

    #[test]
    fn buffers_of_exited_threads_are_written_then_forgotten() {
        let sink = Sink::default();
        let (writer, _guard) = batch_writer(sink.clone());
        for _ in 0..20 {
            on_thread(&writer, "from a short-lived thread\n");
        }
        // The threads have exited (joined): the batch that writes this line forgets them.
        writer.make_writer().write_all(b"last\n").unwrap();
        for _ in 0..200 {
            let out = String::from_utf8(sink.0.lock().unwrap().clone()).unwrap();
            if out.ends_with("last\n") {
                assert_eq!(out.lines().count(), 21, "{out}");
                assert_eq!(
                    writer.shared.lock().slots.len(),
                    1,
                    "only this thread's buffer"
                );
                return;
            }
            std::thread::sleep(FLUSH_INTERVAL / 5);
        }
        panic!("the lines were never written");
    }

    #[test]
    fn lines_after_the_guard_dropped_are_refused_not_kept() {
        let sink = Sink::default();
        let (writer, guard) = batch_writer(sink.clone());
        drop(guard);
        writer.make_writer().write_all(b"too late\n").unwrap();
        assert_eq!(writer.shared.pending_bytes(), 0);
        assert!(sink.0.lock().unwrap().is_empty());
    }
}
