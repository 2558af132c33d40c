//! [`EventBody`]: what the delivery helpers accept as an event.

use frameio_kit::{ActionEvent, WebhookEvent};
use serde_json::Value;

use crate::builders::{ActionEventBuilder, WebhookEventBuilder};
use crate::error::TestError;

/// Anything that can be delivered as a Frame.io event: the builders
/// ([`webhook_event`](crate::webhook_event), [`action_event`](crate::action_event)), typed
/// [`WebhookEvent`] / [`ActionEvent`] values, or raw [`serde_json::Value`]s (to send
/// payloads the typed models cannot express, such as an invalid one).
///
/// ```
/// use frameio_kit_testing::{EventBody, webhook_event};
///
/// let json = webhook_event("file.ready").resource_id("f").to_json();
/// let body = json.event_body().unwrap();
/// assert!(String::from_utf8(body).unwrap().contains(r#""type":"file.ready""#));
/// ```
pub trait EventBody {
    /// The event as JSON, the way Frame.io sends it.
    fn event_json(self) -> Result<Value, TestError>;

    /// The request body: the compact JSON text.
    fn event_body(self) -> Result<Vec<u8>, TestError>
    where
        Self: Sized,
    {
        Ok(self.event_json()?.to_string().into_bytes())
    }
}

impl EventBody for Value {
    fn event_json(self) -> Result<Value, TestError> {
        Ok(self)
    }
}

impl EventBody for &Value {
    fn event_json(self) -> Result<Value, TestError> {
        Ok(self.clone())
    }
}

impl EventBody for WebhookEventBuilder {
    fn event_json(self) -> Result<Value, TestError> {
        Ok(self.to_json())
    }
}

impl EventBody for &WebhookEventBuilder {
    fn event_json(self) -> Result<Value, TestError> {
        Ok(self.to_json())
    }
}

impl EventBody for ActionEventBuilder {
    fn event_json(self) -> Result<Value, TestError> {
        Ok(self.to_json())
    }
}

impl EventBody for &ActionEventBuilder {
    fn event_json(self) -> Result<Value, TestError> {
        Ok(self.to_json())
    }
}

impl EventBody for WebhookEvent {
    fn event_json(self) -> Result<Value, TestError> {
        (&self).event_json()
    }
}

impl EventBody for &WebhookEvent {
    fn event_json(self) -> Result<Value, TestError> {
        serde_json::to_value(self).map_err(|source| TestError::InvalidEvent {
            kind: "webhook",
            source,
        })
    }
}

impl EventBody for ActionEvent {
    fn event_json(self) -> Result<Value, TestError> {
        (&self).event_json()
    }
}

impl EventBody for &ActionEvent {
    fn event_json(self) -> Result<Value, TestError> {
        serde_json::to_value(self).map_err(|source| TestError::InvalidEvent {
            kind: "action",
            source,
        })
    }
}
