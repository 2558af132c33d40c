//! The input rules that [frameio-kit](https://docs.rs/frameio-kit) checks twice: at compile
//! time in its attribute macros (`#[webhook]`, `#[action]`) and at start-up in its runtime
//! (handlers built with the `Handler` builder). Both crates call these functions, so the two
//! checks cannot drift apart.
//!
//! A proc-macro crate can export nothing but macros, and the runtime depends on the macros, so
//! the rules live in this small crate that both depend on. It has no dependencies and is not
//! meant to be used directly: the runtime re-exports what users need
//! (`frameio_kit::app::is_valid_event_type`).

/// The resource types Frame.io documents, by wire name: what an action can be restricted to.
pub const RESOURCE_TYPES: [&str; 3] = ["file", "folder", "version_stack"];

/// `true` when `name` is one of [`RESOURCE_TYPES`].
///
/// ```
/// assert!(frameio_kit_rules::is_known_resource_type("version_stack"));
/// assert!(!frameio_kit_rules::is_known_resource_type("comment"));
/// ```
pub fn is_known_resource_type(name: &str) -> bool {
    RESOURCE_TYPES.contains(&name)
}

/// The longest event type accepted, in bytes.
pub const MAX_EVENT_TYPE_LEN: usize = 256;

/// Why Frame.io could never send `event` as an event type, or `None` when it could: an event
/// type is 1 to 256 ASCII letters, digits and `_ . : -`, and no `.`-separated segment is
/// empty (so it neither starts nor ends with `.`, nor holds `..`).
///
/// ```
/// use frameio_kit_rules::event_type_problem;
///
/// assert_eq!(event_type_problem("file.ready"), None);
/// assert_eq!(event_type_problem("my_app.transcribe"), None);
/// assert!(event_type_problem("file ready").is_some());
/// assert!(event_type_problem("file..ready").is_some());
/// ```
pub fn event_type_problem(event: &str) -> Option<&'static str> {
    if event.is_empty() {
        return Some("event type cannot be empty");
    }
    if event.len() > MAX_EVENT_TYPE_LEN {
        return Some("event type is too long (at most 256 characters)");
    }
    if !event
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b':' | b'-'))
    {
        return Some(
            "event type may only contain ASCII letters, digits and `_ . : -` (e.g. \"file.ready\")",
        );
    }
    if event.split('.').any(str::is_empty) {
        return Some("event type cannot start or end with `.` or contain `..`");
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn event_type_rules() {
        for ok in [
            "file.ready",
            "my_app.transcribe",
            "a",
            "x:y-z",
            "comment.created",
        ] {
            assert_eq!(event_type_problem(ok), None, "{ok}");
        }
        assert_eq!(event_type_problem(&"a".repeat(MAX_EVENT_TYPE_LEN)), None);
        for bad in [
            "",
            " ",
            "file ready",
            ".file",
            "file.",
            "a..b",
            "é",
            &"a".repeat(MAX_EVENT_TYPE_LEN + 1),
        ] {
            assert!(event_type_problem(bad).is_some(), "{bad:?}");
        }
    }

    #[test]
    fn resource_types() {
        for name in RESOURCE_TYPES {
            assert!(is_known_resource_type(name));
        }
        for unknown in ["", "File", "comment", "version stack"] {
            assert!(!is_known_resource_type(unknown), "{unknown:?}");
        }
    }
}
