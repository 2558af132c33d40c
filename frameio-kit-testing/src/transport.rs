//! Where a test delivery goes — in-process or over HTTP — and who signs it.
//!
//! [`TestReply`](crate::TestReply) keeps the [`Transport`] it came through so a form can be
//! submitted the same way; the sending methods live beside `TestReply` in `reply.rs`, so this
//! module depends on nothing but the signer.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, OnceLock};

use frameio_kit::Service;
use serde_json::Value;

use crate::logs::LogCapture;
use crate::signing::SignedRequest;

/// Which secret signs which delivery, and at what time.
#[derive(Clone)]
pub(crate) struct Signer {
    pub(crate) default: String,
    pub(crate) per_event: HashMap<String, String>,
    pub(crate) at: Option<i64>,
}

impl fmt::Debug for Signer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Signer")
            .field("events_with_own_secret", &self.per_event.keys())
            .field("at", &self.at)
            .finish_non_exhaustive()
    }
}

impl Signer {
    pub(crate) fn sign(&self, body: Vec<u8>) -> SignedRequest {
        let event_type = serde_json::from_slice::<Value>(&body)
            .ok()
            .and_then(|v| v.get("type").and_then(Value::as_str).map(str::to_owned));
        let secret = event_type
            .and_then(|t| self.per_event.get(&t))
            .unwrap_or(&self.default);
        let request = SignedRequest::new(secret.clone(), body);
        match self.at {
            Some(at) => request.timestamp(at),
            None => request,
        }
    }
}

/// The built service with its signer: what replies and servers share.
#[derive(Debug)]
pub(crate) struct Shared {
    pub(crate) service: Service,
    pub(crate) signer: Signer,
    /// The `Host` header of in-process deliveries (empty: none).
    pub(crate) host: String,
    /// The log capture in-process deliveries run under, once asked for.
    pub(crate) logs: Arc<OnceLock<LogCapture>>,
}

/// Where a delivery goes: the service in-process, or a served test app over HTTP.
#[derive(Clone, Debug)]
pub(crate) enum Transport {
    InProcess(Arc<Shared>),
    Http {
        shared: Arc<Shared>,
        client: reqwest::Client,
        url: Arc<str>,
    },
}

impl Transport {
    pub(crate) fn shared(&self) -> &Shared {
        match self {
            Self::InProcess(shared) | Self::Http { shared, .. } => shared,
        }
    }
}
