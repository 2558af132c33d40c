//! An opt-in recorder of verified deliveries, for `frameio-kit replay FILE`.
//!
//! Each delivery whose signature checked out is written to its own JSON file: the request
//! headers **without** the signature (nor `Authorization`/`Cookie`), and the raw body as
//! received. Replaying re-signs the body with a fresh timestamp, so a recording is never a
//! usable signed request by itself.
//!
//! Recording production traffic copies user data to disk, so a recorder is refused unless the
//! operator enabled it explicitly with [`ENABLE_ENV`]`=1`, even when the code asks for one.
//!
//! ```
//! use frameio_kit::Headers;
//! use frameio_kit::record::{DeliveryRecorder, RecordError, RecordedDelivery};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let dir = std::env::temp_dir().join(format!("frameio-kit-doc-{}", std::process::id()));
//! // Refused: nobody enabled recording.
//! assert!(matches!(DeliveryRecorder::with_env(&dir, |_| None), Err(RecordError::NotEnabled)));
//!
//! let recorder = DeliveryRecorder::with_env(&dir, |name| {
//!     (name == "FRAMEIO_KIT_RECORD_DELIVERIES").then(|| "1".to_owned())
//! })?;
//! let mut headers = Headers::new();
//! headers.insert("X-Frameio-Request-Timestamp", "1700000000");
//! headers.insert("X-Frameio-Signature", "v0=abc");
//! let path = recorder.record("file.ready", &headers, br#"{"type":"file.ready"}"#).await?;
//!
//! let recorded = RecordedDelivery::from_json(&std::fs::read_to_string(&path)?)?;
//! assert_eq!(recorded.body, r#"{"type":"file.ready"}"#);
//! assert!(recorded.headers.contains_key("x-frameio-request-timestamp"));
//! assert!(!recorded.headers.contains_key("x-frameio-signature"));
//! # std::fs::remove_dir_all(&dir)?;
//! # Ok(()) }
//! ```

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

use crate::handler::Headers;

/// The environment variable that must be `1` (or `true`/`yes`) for a recorder to be created.
pub const ENABLE_ENV: &str = "FRAMEIO_KIT_RECORD_DELIVERIES";

/// The `format` value of a recording written by this release.
pub const FORMAT: &str = "frameio-kit.delivery.v1";

/// Headers never written to a recording.
const DROPPED_HEADERS: &[&str] = &[
    "x-frameio-signature",
    "authorization",
    "proxy-authorization",
    "cookie",
];

/// Recording failed or was refused.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RecordError {
    /// [`ENABLE_ENV`] is not set to `1`.
    #[error("recording deliveries is disabled; set {ENABLE_ENV}=1 to enable it")]
    NotEnabled,
    /// The directory or file could not be written.
    #[error("cannot write the recording: {0}")]
    Io(#[from] std::io::Error),
    /// A recording file is not in the expected format.
    #[error("not a frameio-kit delivery recording: {0}")]
    Invalid(String),
}

/// One recorded delivery, as stored on disk.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct RecordedDelivery {
    /// Always [`FORMAT`].
    pub format: String,
    /// Unix seconds when it was recorded.
    pub recorded_at: u64,
    /// The delivery's `type`.
    pub event_type: String,
    /// Request headers (lower-case names), without the signature or credentials.
    pub headers: BTreeMap<String, String>,
    /// The raw request body, exactly as received.
    pub body: String,
}

impl RecordedDelivery {
    /// Parses a recording file's text.
    ///
    /// # Errors
    ///
    /// [`RecordError::Invalid`] when it is not JSON of this shape or of another format.
    pub fn from_json(text: &str) -> Result<Self, RecordError> {
        let recorded: Self =
            serde_json::from_str(text).map_err(|err| RecordError::Invalid(err.to_string()))?;
        if recorded.format != FORMAT {
            return Err(RecordError::Invalid(format!(
                "unknown format {:?} (expected {FORMAT:?})",
                recorded.format
            )));
        }
        Ok(recorded)
    }

    /// Pretty JSON, as written to disk.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_default()
    }
}

/// Writes verified deliveries to a directory, one JSON file each.
#[derive(Debug)]
pub struct DeliveryRecorder {
    dir: PathBuf,
    sequence: AtomicU64,
}

impl DeliveryRecorder {
    /// A recorder writing into `dir` (created if missing), if the process environment has
    /// [`ENABLE_ENV`]`=1`.
    ///
    /// # Errors
    ///
    /// [`RecordError::NotEnabled`] without the variable; [`RecordError::Io`] when the
    /// directory cannot be created.
    pub fn new(dir: impl AsRef<Path>) -> Result<Self, RecordError> {
        Self::with_env(dir, |name| std::env::var(name).ok())
    }

    /// Like [`new`](Self::new), reading [`ENABLE_ENV`] through `env` (an app's environment
    /// lookup, or a test's).
    ///
    /// # Errors
    ///
    /// As for [`new`](Self::new).
    pub fn with_env(
        dir: impl AsRef<Path>,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<Self, RecordError> {
        if !crate::manifest::is_requested(env(ENABLE_ENV).as_deref()) {
            return Err(RecordError::NotEnabled);
        }
        let dir = dir.as_ref().to_path_buf();
        create_private_dir(&dir)?;
        Ok(Self {
            dir,
            sequence: AtomicU64::new(0),
        })
    }

    /// The directory recordings go to.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Writes one delivery and returns the file's path. Call it only after the delivery's
    /// signature was verified.
    ///
    /// # Errors
    ///
    /// [`RecordError::Io`] when the file cannot be written.
    pub async fn record(
        &self,
        event_type: &str,
        headers: &Headers,
        body: &[u8],
    ) -> Result<PathBuf, RecordError> {
        let recorded_at = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        let headers = headers
            .iter()
            .filter(|(name, _)| !DROPPED_HEADERS.contains(name))
            .filter_map(|(name, value)| {
                std::str::from_utf8(value)
                    .ok()
                    .map(|value| (name.to_owned(), value.to_owned()))
            })
            .collect();
        let recorded = RecordedDelivery {
            format: FORMAT.to_owned(),
            recorded_at,
            event_type: event_type.to_owned(),
            headers,
            body: String::from_utf8_lossy(body).into_owned(),
        };
        let sequence = self.sequence.fetch_add(1, Ordering::Relaxed);
        let name = format!(
            "{recorded_at}-{}-{}-{sequence:04}.json",
            safe_file_part(event_type),
            std::process::id()
        );
        let path = self.dir.join(name);
        write_private(&path, recorded.to_json().into_bytes()).await?;
        Ok(path)
    }

    /// [`record`](Self::record), logging a failure instead of returning it: what the
    /// dispatcher calls, so a full disk never refuses a delivery.
    pub async fn record_logged(&self, event_type: &str, headers: &Headers, body: &[u8]) {
        match self.record(event_type, headers, body).await {
            Ok(path) => tracing::debug!(
                target: "frameio_kit::record",
                event_type,
                path = %path.display(),
                "delivery recorded"
            ),
            Err(err) => tracing::warn!(
                target: "frameio_kit::record",
                event_type,
                error = %err,
                "delivery not recorded"
            ),
        }
    }
}

/// Keeps letters, digits, `.`, `_` and `-`; replaces anything else by `_`.
fn safe_file_part(text: &str) -> String {
    let cleaned: String = text
        .chars()
        .take(80)
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') {
                c
            } else {
                '_'
            }
        })
        .collect();
    if cleaned.is_empty() || cleaned.starts_with('.') {
        format!("_{cleaned}")
    } else {
        cleaned
    }
}

fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt as _;
        builder.mode(0o700);
    }
    builder.create(dir)
}

async fn write_private(path: &Path, bytes: Vec<u8>) -> std::io::Result<()> {
    let mut options = tokio::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    options.mode(0o600);
    let mut file = options.open(path).await?;
    tokio::io::AsyncWriteExt::write_all(&mut file, &bytes).await?;
    tokio::io::AsyncWriteExt::flush(&mut file).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn enabled(name: &str) -> Option<String> {
        (name == ENABLE_ENV).then(|| "1".to_owned())
    }

    #[test]
    fn refused_unless_enabled() {
        let dir = std::env::temp_dir().join("frameio-kit-record-refused");
        assert!(matches!(
            DeliveryRecorder::with_env(&dir, |_| None),
            Err(RecordError::NotEnabled)
        ));
        assert!(matches!(
            DeliveryRecorder::with_env(&dir, |_| Some("0".into())),
            Err(RecordError::NotEnabled)
        ));
    }

    #[tokio::test]
    async fn writes_private_files_without_the_signature() {
        let dir = std::env::temp_dir().join(format!(
            "frameio-kit-record-{}-{}",
            std::process::id(),
            line!()
        ));
        let recorder = DeliveryRecorder::with_env(&dir, enabled).unwrap();
        let mut headers = Headers::new();
        headers.insert("X-Frameio-Request-Timestamp", "1700000000");
        headers.insert("X-Frameio-Signature", "v0=secret-looking");
        headers.insert("Authorization", "Bearer x");
        headers.insert("User-Agent", "Frame.io V4 API");
        let body = br#"{"type":"a/../b","x": 1}"#;
        let first = recorder.record("a/../b", &headers, body).await.unwrap();
        let second = recorder.record("a/../b", &headers, body).await.unwrap();
        assert_ne!(first, second);
        assert_eq!(first.parent().unwrap(), dir.as_path(), "no path traversal");
        let text = std::fs::read_to_string(&first).unwrap();
        assert!(!text.contains("secret-looking"));
        assert!(!text.contains("Bearer"));
        let recorded = RecordedDelivery::from_json(&text).unwrap();
        assert_eq!(recorded.body.as_bytes(), body);
        assert_eq!(recorded.headers["user-agent"], "Frame.io V4 API");
        assert_eq!(recorded.event_type, "a/../b");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = std::fs::metadata(&first).unwrap().permissions().mode();
            assert_eq!(mode & 0o077, 0, "readable by others: {mode:o}");
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn rejects_other_formats() {
        assert!(RecordedDelivery::from_json("{}").is_err());
        let other = r#"{"format":"x","recorded_at":1,"event_type":"t","headers":{},"body":""}"#;
        assert!(matches!(
            RecordedDelivery::from_json(other),
            Err(RecordError::Invalid(_))
        ));
    }
}
