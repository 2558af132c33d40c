//! The one error type of the testing kit.

/// Why a test helper could not do what it was asked. Every message says what was expected and
/// what was found, so a failing test explains itself.
///
/// Test functions can return `Result<(), TestError>` and use `?` throughout.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TestError {
    /// The app's configuration was refused by `App::build` (no handlers, a missing secret…).
    #[error("the test app does not start: {0}")]
    Startup(String),
    /// The test app was configured after its first delivery.
    #[error("the test app was changed after its first delivery: {0}")]
    LateConfiguration(&'static str),
    /// A tokio runtime or a server socket could not be created.
    #[error("cannot start the test runtime or server: {0}")]
    Io(#[from] std::io::Error),
    /// An HTTP request to a served test app failed.
    #[error("the HTTP request to the test server failed: {0}")]
    Http(#[from] reqwest::Error),
    /// The reply was not what the helper reads (a Message, a Form, JSON…).
    #[error("expected {expected}, but the reply is {found}")]
    UnexpectedReply {
        /// What the helper needed.
        expected: &'static str,
        /// The actual reply, and, when the pipeline refused or failed the delivery, its
        /// diagnosis (step, event, handler, reason), one item per line.
        found: String,
    },
    /// A form has no field of this name.
    #[error("the form has no field named `{name}` (its fields: {available})")]
    NoSuchField {
        /// The name asked for.
        name: String,
        /// The form's field names, comma separated.
        available: String,
    },
    /// Submitted values must be a JSON object mapping field names to values.
    #[error("form values must be a JSON object of field name → value, got {0}")]
    InvalidSubmission(String),
    /// The event JSON does not fit frameio-kit's event model.
    #[error("the event does not fit the {kind} event model: {source}")]
    InvalidEvent {
        /// `webhook` or `action`.
        kind: &'static str,
        /// What serde said.
        #[source]
        source: serde_json::Error,
    },
    /// No registered handler has this name or event type.
    #[error("no registered handler is named or handles `{name}` (registered: {registered})")]
    NoSuchHandler {
        /// The name asked for.
        name: String,
        /// The registered handlers as `module::function`, comma separated, or `none`.
        registered: String,
    },
    /// Several registered handlers end with this name.
    #[error("`{name}` is ambiguous, use the full path: {candidates}")]
    AmbiguousHandler {
        /// The name asked for.
        name: String,
        /// The matching handlers, comma separated.
        candidates: String,
    },
    /// No captured log event matched (see [`LogCapture`](crate::logs::LogCapture)).
    #[error("expected {expected} in the captured logs, but captured: {captured}")]
    NotLogged {
        /// What was looked for.
        expected: String,
        /// The captured events, one per line, or `none`.
        captured: String,
    },
    /// A handler called directly returned an error (or an extractor failed).
    #[error("the handler failed: {0}")]
    Handler(#[source] frameio_kit::BoxError),
}
