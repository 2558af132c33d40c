//! What a queue stores: a verified delivery as a [`Job`], its [`JobId`], and a
//! [`DeadLetter`] when its last attempt failed.

use std::fmt;
use std::time::{SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

use super::QueueError;
use crate::error::BoxError;
use crate::event::{ActionEvent, WebhookEvent};
use crate::handler::{Delivery, DeliveryEvent, FromDelivery, HandlerKind, Headers};

/// Headers never written to the queue: credentials, and the signature (the job is verified).
const DROPPED_HEADERS: &[&str] = &[
    "authorization",
    "cookie",
    "proxy-authorization",
    "x-frameio-signature",
];

/// The id of a background job: stable across its retries and re-runs, so use it as the
/// idempotency key of side effects. Also a handler argument.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct JobId(pub(super) String);

impl JobId {
    pub(super) fn generate() -> Self {
        Self(uuid_v4())
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for JobId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A random (version 4) UUID in its hyphenated form.
pub(super) fn uuid_v4() -> String {
    let mut bytes: [u8; 16] = rand::random();
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    let hex = hex::encode(bytes);
    format!(
        "{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}

impl FromDelivery for JobId {
    async fn from_delivery(delivery: &Delivery) -> Result<Self, BoxError> {
        delivery
            .extension::<JobInfo>()
            .map(|info| info.id.clone())
            .ok_or_else(|| {
                "`JobId` is only available to background handlers run by a worker".into()
            })
    }
}

/// What a worker leaves in the delivery for the [`JobId`] and [`Attempt`] extractors.
#[derive(Debug, Clone)]
pub(super) struct JobInfo {
    pub(super) id: JobId,
    pub(super) attempt: u32,
}

/// The attempt number (1 for the first run) of a background job; a handler argument.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Attempt(pub u32);

impl FromDelivery for Attempt {
    async fn from_delivery(delivery: &Delivery) -> Result<Self, BoxError> {
        delivery
            .extension::<JobInfo>()
            .map(|info| Attempt(info.attempt))
            .ok_or_else(|| {
                "`Attempt` is only available to background handlers run by a worker".into()
            })
    }
}

/// A queued delivery: the verified raw body and headers, and which handler runs it.
#[derive(Clone, Serialize, Deserialize)]
pub struct Job {
    pub(super) id: JobId,
    pub(super) handler: String,
    pub(super) attempt: u32,
    timestamp: i64,
    body: String,
    headers: Vec<(String, String)>,
    /// The W3C `traceparent` of the span that queued it (feature `otel`): the run links to it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) trace: Option<String>,
}

impl fmt::Debug for Job {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Job")
            .field("id", &self.id)
            .field("handler", &self.handler)
            .field("attempt", &self.attempt)
            .finish_non_exhaustive()
    }
}

impl Job {
    /// A first attempt of `handler` for this verified delivery.
    ///
    /// # Errors
    ///
    /// [`QueueError::InvalidBody`] when the body is not UTF-8.
    pub fn new(
        handler: &str,
        body: &[u8],
        headers: &Headers,
        timestamp: i64,
    ) -> Result<Self, QueueError> {
        let body = std::str::from_utf8(body).map_err(|_| QueueError::InvalidBody)?;
        let headers = headers
            .iter()
            .filter(|(name, _)| !DROPPED_HEADERS.contains(name))
            .filter_map(|(name, value)| {
                Some((name.to_owned(), std::str::from_utf8(value).ok()?.to_owned()))
            })
            .collect();
        Ok(Self {
            id: JobId::generate(),
            handler: handler.to_owned(),
            attempt: 1,
            timestamp,
            body: body.to_owned(),
            headers,
            trace: None,
        })
    }

    /// The job's id.
    pub fn id(&self) -> &JobId {
        &self.id
    }

    /// The handler that runs it.
    pub fn handler(&self) -> &str {
        &self.handler
    }

    /// The attempt this record is for (1 for the first).
    pub fn attempt(&self) -> u32 {
        self.attempt
    }

    /// The delivery's raw body.
    pub fn body(&self) -> &str {
        &self.body
    }

    pub(super) fn headers(&self) -> Headers {
        let mut headers = Headers::with_capacity(
            self.headers.len(),
            self.headers.iter().map(|(n, v)| n.len() + v.len()).sum(),
        );
        for (name, value) in &self.headers {
            headers.insert(name, value);
        }
        headers
    }

    /// Parses the stored body into the event a handler of `kind` receives.
    pub(super) fn event(&self, kind: HandlerKind) -> Result<DeliveryEvent, serde_json::Error> {
        Ok(match kind {
            HandlerKind::Action => {
                let mut event: ActionEvent = serde_json::from_str(&self.body)?;
                event.timestamp = self.timestamp;
                DeliveryEvent::Action(event)
            }
            _ => {
                let mut event: WebhookEvent = serde_json::from_str(&self.body)?;
                event.timestamp = self.timestamp;
                DeliveryEvent::Webhook(event)
            }
        })
    }
}

/// A job that failed its last attempt, kept with its last error.
#[derive(Clone, Serialize, Deserialize)]
pub struct DeadLetter {
    pub(super) job: Job,
    pub(super) last_error: String,
    pub(super) failed_at: u64,
}

impl fmt::Debug for DeadLetter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DeadLetter")
            .field("job", &self.job)
            .field("last_error", &self.last_error)
            .field("failed_at", &self.failed_at)
            .finish()
    }
}

impl DeadLetter {
    /// The job's id.
    pub fn id(&self) -> &JobId {
        &self.job.id
    }

    /// The job.
    pub fn job(&self) -> &Job {
        &self.job
    }

    /// How many attempts ran.
    pub fn attempts(&self) -> u32 {
        self.job.attempt
    }

    /// The error of the last attempt.
    pub fn last_error(&self) -> &str {
        &self.last_error
    }

    /// When the last attempt failed, in Unix seconds.
    pub fn failed_at(&self) -> u64 {
        self.failed_at
    }
}

pub(super) fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}
