//! The pipeline's steps before the handler that are plain functions (parse, timestamp,
//! validate, secret), and the delivery's log line.

use std::borrow::Cow;

use crate::handler::{DeliveryEvent, HandlerKind, Headers};
use crate::signature::{self, SIGNATURE_HEADER, SigningKey, TIMESTAMP_HEADER};

use super::body::{self, Inspected, Malformed};
use super::reply::{Failure, Stop};
use super::{Route, Seen, Timestamp};

/// parse: UTF-8 JSON object with a non-empty string `type` (400).
pub(super) fn parse(body: &[u8]) -> Result<Inspected<'_>, Stop> {
    body::inspect(body).map_err(|malformed| match malformed {
        Malformed::Json(message) => Stop::text(
            400,
            format!("Invalid JSON: {message}"),
            Failure::Rejected("body is not UTF-8 JSON"),
        ),
        Malformed::NotObject => Stop::text(
            400,
            "Payload must be a JSON object",
            Failure::Rejected("body is not a JSON object"),
        ),
        Malformed::NoType => Stop::text(
            400,
            "Payload missing 'type' field",
            Failure::Rejected("payload has no usable `type`"),
        ),
    })
}

/// timestamp: the header is present and an integer (400). An integer too large for 64 bits
/// is an integer: it is refused later, as outside the window (401).
pub(super) fn timestamp(headers: &Headers) -> Result<Timestamp<'_>, Stop> {
    let Some(raw) = headers.get_bytes(TIMESTAMP_HEADER) else {
        return Err(Stop::text(
            400,
            "Missing X-Frameio-Request-Timestamp header",
            Failure::Rejected("timestamp header missing"),
        ));
    };
    std::str::from_utf8(raw)
        .ok()
        .and_then(|raw| {
            let value = signature::parse_timestamp(raw).ok()?;
            Some(Timestamp {
                raw,
                value,
                signature: headers.get_bytes(SIGNATURE_HEADER),
            })
        })
        .ok_or_else(|| {
            Stop::text(
                400,
                "Invalid X-Frameio-Request-Timestamp header format",
                Failure::Rejected("timestamp header is not an integer"),
            )
        })
}

/// validate: the body fits the handler's event model (422), decided by `parse`'s pass.
pub(super) fn validate(inspected: &Inspected<'_>, kind: HandlerKind) -> Result<(), Stop> {
    inspected
        .fits(kind)
        .map_err(|misfit| Stop::text(422, "Payload validation error.", Failure::Misfit(misfit)))
}

/// secret: the keys prepared at start-up, or resolved now (503).
pub(super) async fn secret<'r>(
    route: &'r Route,
    head: Option<&DeliveryEvent>,
) -> Result<Cow<'r, [SigningKey]>, Stop> {
    route
        .secrets
        .keys(head)
        .await
        .map_err(|why| Stop::text(503, "Configuration error.", Failure::Secret(why)))
}

/// The timestamp header as received (`check` made sure it is there and UTF-8).
pub(super) fn timestamp_raw(headers: &Headers) -> &str {
    headers
        .get_bytes(TIMESTAMP_HEADER)
        .and_then(|raw| std::str::from_utf8(raw).ok())
        .unwrap_or_default()
}

pub(super) fn invalid_payload(err: serde_json::Error) -> Stop {
    Stop::text(422, "Payload validation error.", Failure::Invalid(err))
}

/// One line per delivery: `info` when handled, `error` for a 5xx, `debug` for an unknown type
/// (a 404 is routine for an app that handles a few types), `warn` for other refusals.
pub(super) fn log_delivery(
    seen: &Seen<'_, '_>,
    status: u16,
    latency_us: u64,
    failure: Option<&Failure>,
) {
    let event_type = seen.event_type.as_deref().unwrap_or("-");
    let handler = seen.handler.unwrap_or("-");
    match failure {
        // The message as a plain `&str` field (first, where the macro puts a message): the
        // formatter copies it instead of running `format_args!` through `core::fmt`.
        None => tracing::info!(
            target: "frameio_kit::delivery",
            message = "delivery handled", event_type, handler, status, latency_us
        ),
        Some(failure) if status >= 500 => tracing::error!(
            target: "frameio_kit::delivery",
            event_type, handler, status, latency_us, reason = %failure, "delivery failed"
        ),
        Some(failure) if status == 404 => tracing::debug!(
            target: "frameio_kit::delivery",
            event_type, handler, status, latency_us, reason = %failure, "delivery refused"
        ),
        Some(failure) => tracing::warn!(
            target: "frameio_kit::delivery",
            event_type, handler, status, latency_us, reason = %failure, "delivery refused"
        ),
    }
}
