//! Log assertions: [`LogCapture`] collects the `tracing` events of one test — level, target,
//! message, fields and enclosing spans — so a test can check what a handler or a middleware
//! logged.
//!
//! # Why parallel tests do not see each other's events
//!
//! `cargo test` runs tests in parallel threads of one process, and a `tracing` subscriber set
//! process-wide would collect every test's events in one heap. A capture is never global:
//! it is its own [`Dispatch`], active only
//!
//! - while a future runs under [`LogCapture::scope`]: `tracing` makes it the default
//!   subscriber for each poll of that future, on whichever thread polls it, and restores the
//!   previous default afterwards. [`TestApp::capture_logs`](crate::TestApp::capture_logs)
//!   runs every in-process delivery of its app (and the forms those answer) this way, so two
//!   tests — or two apps interleaved in one `tokio::join!` — each see only their own
//!   deliveries;
//! - on the current thread while the guard of [`LogCapture::set_default`] lives (for code
//!   you call directly, such as a handler or [`call_handler`](crate::call_handler)).
//!
//! What runs outside those scopes is not captured: tasks a handler spawns with
//! `tokio::spawn` (pass them the capture with
//! [`WithSubscriber::with_current_subscriber`](tracing::instrument::WithSubscriber::with_current_subscriber)),
//! and deliveries over HTTP ([`TestApp::serve`](crate::TestApp::serve)), which the server
//! handles on its own threads. A subscriber your test installs globally keeps receiving
//! everything else.
//!
//! ```
//! use frameio_kit_testing::logs::LogCapture;
//!
//! let logs = LogCapture::new();
//! {
//!     let _guard = logs.set_default();
//!     tracing::warn!(target: "my_app", user = "u-1", attempts = 3, "sign-in refused");
//! }
//! tracing::warn!("after the guard: not captured");
//!
//! let event = logs.assert_logged("sign-in refused");
//! assert_eq!(event.level, tracing::Level::WARN);
//! assert_eq!(event.target, "my_app");
//! assert_eq!(event.field_str("user"), Some("u-1"));
//! assert_eq!(event.field("attempts"), Some(&3.into()));
//! assert_eq!(logs.events().len(), 1);
//! ```

use std::collections::BTreeMap;
use std::fmt;
use std::future::Future;
use std::sync::{Arc, Mutex, PoisonError};

use serde_json::Value;
use tracing::field::{Field, Visit};
use tracing::instrument::{WithDispatch, WithSubscriber as _};
use tracing::subscriber::DefaultGuard;
use tracing::{Dispatch, Event, Level, Subscriber};
use tracing_subscriber::filter::LevelFilter;
use tracing_subscriber::layer::{Context, Layer, SubscriberExt as _};
use tracing_subscriber::registry::{LookupSpan, Registry};

use crate::error::TestError;

/// One captured `tracing` event.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct LogEvent {
    /// `ERROR`, `WARN`, `INFO`, `DEBUG` or `TRACE`.
    pub level: Level,
    /// The target (by default the module path, e.g. `frameio_kit::delivery`).
    pub target: String,
    /// The message (empty for an event without one).
    pub message: String,
    /// The other fields by name: integers, floats and booleans as JSON numbers and booleans,
    /// strings as strings, `%display` / `?debug` values and errors as their text.
    pub fields: BTreeMap<String, Value>,
    /// The names of the spans the event happened in, outermost first.
    pub spans: Vec<String>,
}

impl LogEvent {
    /// The field named `name`.
    pub fn field(&self, name: &str) -> Option<&Value> {
        self.fields.get(name)
    }

    /// The field named `name`, if it is a string.
    pub fn field_str(&self, name: &str) -> Option<&str> {
        self.field(name)?.as_str()
    }
}

impl fmt::Display for LogEvent {
    /// `WARN my_app: sign-in refused user="u-1" attempts=3`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}: {}", self.level, self.target, self.message)?;
        for (name, value) in &self.fields {
            write!(f, " {name}={value}")?;
        }
        Ok(())
    }
}

type Events = Arc<Mutex<Vec<LogEvent>>>;

/// The events of one test, for assertions; see the [module documentation](self) for what is
/// captured and how it stays per test. Cheap to clone: clones share the events.
#[derive(Clone)]
pub struct LogCapture {
    events: Events,
    dispatch: Dispatch,
}

impl fmt::Debug for LogCapture {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LogCapture")
            .field("events", &lock(&self.events).len())
            .finish_non_exhaustive()
    }
}

impl Default for LogCapture {
    fn default() -> Self {
        Self::new()
    }
}

impl LogCapture {
    /// A capture of `DEBUG` events and above.
    pub fn new() -> Self {
        Self::with_level(Level::DEBUG)
    }

    /// A capture of events at `level` and above (`Level::TRACE` for everything).
    pub fn with_level(level: Level) -> Self {
        let events = Events::default();
        let subscriber = Registry::default()
            .with(LevelFilter::from_level(level))
            .with(Collect {
                events: Arc::clone(&events),
            });
        Self {
            events,
            dispatch: Dispatch::new(subscriber),
        }
    }

    /// Runs `future` with this capture as its subscriber, on every thread that polls it.
    pub fn scope<F: Future>(&self, future: F) -> WithDispatch<F> {
        future.with_subscriber(self.dispatch.clone())
    }

    /// Captures the events of the current thread until the guard is dropped.
    #[must_use = "events are captured only while the guard lives"]
    pub fn set_default(&self) -> DefaultGuard {
        tracing::dispatcher::set_default(&self.dispatch)
    }

    /// Every event captured so far, in order.
    pub fn events(&self) -> Vec<LogEvent> {
        lock(&self.events).clone()
    }

    /// Forgets the events captured so far.
    pub fn clear(&self) {
        lock(&self.events).clear();
    }

    /// The first event for which `matches` is true.
    pub fn find(&self, matches: impl Fn(&LogEvent) -> bool) -> Option<LogEvent> {
        lock(&self.events).iter().find(|e| matches(e)).cloned()
    }

    /// The first event whose message contains `text`; the error lists what was captured.
    pub fn logged(&self, text: &str) -> Result<LogEvent, TestError> {
        self.find(|event| event.message.contains(text))
            .ok_or_else(|| TestError::NotLogged {
                expected: format!("a message containing {text:?}"),
                captured: self.listing(),
            })
    }

    /// The first event whose message contains `text`.
    ///
    /// # Panics
    /// When there is none; the message lists every captured event.
    #[track_caller]
    pub fn assert_logged(&self, text: &str) -> LogEvent {
        match self.logged(text) {
            Ok(event) => event,
            Err(err) => panic!("{err}"),
        }
    }

    /// Asserts that no event's message contains `text`.
    ///
    /// # Panics
    /// When one does; the message shows it.
    #[track_caller]
    pub fn assert_not_logged(&self, text: &str) {
        if let Some(event) = self.find(|event| event.message.contains(text)) {
            panic!("expected no log message containing {text:?}, but captured: {event}");
        }
    }

    /// The captured events, one per line, for error messages.
    fn listing(&self) -> String {
        let events = lock(&self.events);
        if events.is_empty() {
            return "none".to_owned();
        }
        let mut text = String::new();
        for event in events.iter() {
            text.push_str("\n  ");
            text.push_str(&event.to_string());
        }
        text
    }
}

fn lock(events: &Events) -> std::sync::MutexGuard<'_, Vec<LogEvent>> {
    events.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The layer that records events into a capture.
struct Collect {
    events: Events,
}

impl<S> Layer<S> for Collect
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    fn on_event(&self, event: &Event<'_>, ctx: Context<'_, S>) {
        let mut fields = Fields::default();
        event.record(&mut fields);
        let spans = ctx
            .event_scope(event)
            .map(|scope| {
                scope
                    .from_root()
                    .map(|span| span.name().to_owned())
                    .collect()
            })
            .unwrap_or_default();
        let metadata = event.metadata();
        let captured = LogEvent {
            level: *metadata.level(),
            target: metadata.target().to_owned(),
            message: fields.message,
            fields: fields.values,
            spans,
        };
        lock(&self.events).push(captured);
    }
}

/// An event's fields, as they are recorded.
#[derive(Default)]
struct Fields {
    message: String,
    values: BTreeMap<String, Value>,
}

impl Fields {
    fn put(&mut self, field: &Field, value: Value) {
        if field.name() == "message" {
            self.message = match value {
                Value::String(text) => text,
                other => other.to_string(),
            };
        } else {
            self.values.insert(field.name().to_owned(), value);
        }
    }
}

impl Visit for Fields {
    fn record_f64(&mut self, field: &Field, value: f64) {
        let value = serde_json::Number::from_f64(value)
            .map_or_else(|| Value::String(value.to_string()), Value::Number);
        self.put(field, value);
    }

    fn record_i64(&mut self, field: &Field, value: i64) {
        self.put(field, value.into());
    }

    fn record_u64(&mut self, field: &Field, value: u64) {
        self.put(field, value.into());
    }

    fn record_bool(&mut self, field: &Field, value: bool) {
        self.put(field, value.into());
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        self.put(field, value.into());
    }

    fn record_error(&mut self, field: &Field, value: &(dyn std::error::Error + 'static)) {
        let mut text = value.to_string();
        let mut source = value.source();
        while let Some(err) = source {
            text.push_str(": ");
            text.push_str(&err.to_string());
            source = err.source();
        }
        self.put(field, Value::String(text));
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        self.put(field, Value::String(format!("{value:?}")));
    }
}
