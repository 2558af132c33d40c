//! The log writer behind [`init_logging`](super::init_logging): log lines are appended to one
//! shared buffer and a writer thread writes the buffer out in batches, every
//! [`FLUSH_INTERVAL`] or as soon as [`BATCH_BYTES`] are waiting.
//!
//! Why not `tracing_appender::non_blocking`: it hands each line to its writer thread through a
//! channel, as a fresh allocation, and wakes that thread for almost every line when the
//! server is busy (the thread drains the channel faster than lines arrive, then sleeps). On
//! a 2-core machine that wake-up and the context switch it causes cost more than formatting
//! the line: measured with `bench/run.sh` (PERFORMANCE.md, "Production logging"), the default
//! INFO configuration ran at 0.75× the bare yardstick with it. Here a line costs an
//! uncontended lock and a copy, and the writer thread wakes a few dozen times a second at
//! most.
//!
//! Lines are never reordered. When the writer cannot keep up (standard output blocked),
//! the buffer stops growing at [`MAX_PENDING_BYTES`]: further lines are dropped rather than
//! slowing deliveries down, and the number dropped is written once the writer catches up.

use std::io::Write;
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::thread::JoinHandle;
use std::time::Duration;

use tracing_subscriber::fmt::MakeWriter;

/// The longest a line waits in the buffer before it is written.
pub(crate) const FLUSH_INTERVAL: Duration = Duration::from_millis(50);
/// A buffer this full is written at once, without waiting for the interval.
pub(crate) const BATCH_BYTES: usize = 32 * 1024;
/// The most bytes waiting at once; lines beyond are dropped (and counted).
pub(crate) const MAX_PENDING_BYTES: usize = 8 * 1024 * 1024;

#[derive(Default)]
struct State {
    pending: Vec<u8>,
    dropped: u64,
    closed: bool,
}

#[derive(Default)]
struct Shared {
    state: Mutex<State>,
    /// Signalled when the first line lands in an empty buffer, when the buffer reaches a
    /// batch and when the writer is closed.
    ready: Condvar,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic while holding the lock leaves the buffer intact: keep logging.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn append(&self, line: &[u8]) {
        let signal = {
            let mut state = self.lock();
            if state.closed {
                return;
            }
            if state.pending.len() + line.len() > MAX_PENDING_BYTES {
                state.dropped += 1;
                return;
            }
            let was_empty = state.pending.is_empty();
            let before = state.pending.len();
            state.pending.extend_from_slice(line);
            was_empty || (before < BATCH_BYTES && state.pending.len() >= BATCH_BYTES)
        };
        if signal {
            self.ready.notify_one();
        }
    }
}

/// A [`MakeWriter`] appending each formatted line to the shared buffer. Cheap to clone.
#[derive(Clone)]
pub(crate) struct BatchWriter {
    shared: Arc<Shared>,
}

/// Stops the writer thread and writes what is still buffered, when dropped.
pub(crate) struct BatchGuard {
    shared: Arc<Shared>,
    thread: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for BatchGuard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BatchGuard").finish_non_exhaustive()
    }
}

/// A batching writer to `out`, and the guard that flushes it.
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
        // No thread, no writer: lines would pile up unseen. Refuse them instead.
        shared.lock().closed = true;
    }
    (
        BatchWriter {
            shared: Arc::clone(&shared),
        },
        BatchGuard { shared, thread },
    )
}

/// The writer thread: waits for a first line, lets a batch gather for up to
/// [`FLUSH_INTERVAL`], writes it, and repeats until closed and drained.
fn write_batches<W: Write>(shared: &Shared, mut out: W) {
    let mut batch = Vec::with_capacity(BATCH_BYTES);
    loop {
        let dropped = {
            let mut state = shared.lock();
            while state.pending.is_empty() && !state.closed {
                state = shared
                    .ready
                    .wait(state)
                    .unwrap_or_else(PoisonError::into_inner);
            }
            if !state.closed {
                state = shared
                    .ready
                    .wait_timeout_while(state, FLUSH_INTERVAL, |s| {
                        s.pending.len() < BATCH_BYTES && !s.closed
                    })
                    .unwrap_or_else(PoisonError::into_inner)
                    .0;
            }
            if state.pending.is_empty() && state.closed {
                return;
            }
            std::mem::swap(&mut batch, &mut state.pending);
            std::mem::take(&mut state.dropped)
        };
        // Standard output failing leaves nowhere to report it: the lines are lost.
        let _ = out.write_all(&batch);
        if dropped > 0 {
            let _ = writeln!(
                out,
                "frameio-kit: {dropped} log line(s) dropped: the log output could not keep up"
            );
        }
        let _ = out.flush();
        batch.clear();
        // Give back what a burst grew, so a quiet server does not keep megabytes.
        batch.shrink_to(BATCH_BYTES * 2);
    }
}

impl Drop for BatchGuard {
    fn drop(&mut self) {
        self.shared.lock().closed = true;
        self.shared.ready.notify_one();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// One event's writer: formatted lines arrive through `write`, usually in a single call.
pub(crate) struct LineWriter<'a> {
    shared: &'a Shared,
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
        let gate = Arc::new((Mutex::new(false), Condvar::new()));
        let sink = Sink::default();
        let (writer, guard) = batch_writer(Blocked(Arc::clone(&gate), sink.clone()));
        // The first line is taken by the writer thread, which then blocks on it.
        writer.make_writer().write_all(b"first\n").unwrap();
        while !writer.shared.lock().pending.is_empty() {
            std::thread::yield_now();
        }
        let line = vec![b'x'; 1023];
        let fits = MAX_PENDING_BYTES / 1024;
        for _ in 0..fits + 10 {
            let mut l = line.clone();
            l.push(b'\n');
            writer.make_writer().write_all(&l).unwrap();
        }
        assert_eq!(writer.shared.lock().dropped, 10);
        *gate.0.lock().unwrap() = true;
        gate.1.notify_all();
        drop(guard);
        let out = String::from_utf8(sink.0.lock().unwrap().clone()).unwrap();
        assert_eq!(out.lines().filter(|l| l.starts_with('x')).count(), fits);
        assert!(
            out.contains("10 log line(s) dropped"),
            "{}",
            &out[out.len() - 200..]
        );
    }
}
