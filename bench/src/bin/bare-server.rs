//! The yardstick of the load benchmark: one hand-written actix-web handler doing the same
//! work as the frameio-kit app (read the body, find the event type, check the timestamp
//! window and the HMAC in constant time, parse the JSON into equivalent structs, answer `OK`
//! or the greeting Message), with no framework around it.
//!
//! 127.0.0.1, `--port`/`PORT`, `--workers`/`WORKERS` (default 8000 and 2).

use std::borrow::Cow;
use std::time::{SystemTime, UNIX_EPOCH};

use actix_web::http::header::{ContentType, HeaderValue};
use actix_web::{HttpRequest, HttpResponse, HttpServer, web};
use frameio_kit_bench::{
    ACTION_EVENT, ACTION_SECRET, GREETING_TITLE, Settings, WEBHOOK_EVENT, WEBHOOK_SECRET, greeting,
    quiet_logging,
};
use hmac::{Hmac, KeyInit, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use subtle::ConstantTimeEq;

const TIMESTAMP: &str = "x-frameio-request-timestamp";
const SIGNATURE: &str = "x-frameio-signature";
const TOLERANCE_SECS: u64 = 300;
const BODY_LIMIT: usize = 1024 * 1024;
const TEXT_PLAIN: &str = "text/plain; charset=utf-8";

/// The HMAC key schedules, computed once.
#[derive(Clone)]
struct Keys {
    webhook: Hmac<Sha256>,
    action: Hmac<Sha256>,
}

#[derive(Deserialize)]
struct Kind<'a> {
    #[serde(rename = "type", borrow)]
    kind: Cow<'a, str>,
}

// The structs mirror frameio-kit's event models; every field is parsed, not all are read.
#[allow(dead_code)]
#[derive(Deserialize)]
struct Id {
    id: String,
}

#[allow(dead_code)]
#[derive(Deserialize)]
struct Resource {
    id: String,
    #[serde(rename = "type")]
    kind: String,
}

#[allow(dead_code)]
#[derive(Deserialize)]
struct Webhook {
    #[serde(rename = "type")]
    kind: String,
    account: Id,
    project: Id,
    resource: Resource,
    user: Id,
    workspace: Id,
}

#[allow(dead_code)]
#[derive(Deserialize)]
struct Action {
    #[serde(rename = "type")]
    kind: String,
    account_id: String,
    action_id: String,
    interaction_id: String,
    project: Id,
    resource: Resource,
    user: Id,
    workspace: Id,
    #[serde(default)]
    data: Option<serde_json::Map<String, serde_json::Value>>,
}

#[derive(Serialize)]
struct Message<'a> {
    title: &'a str,
    description: &'a str,
}

fn text(status: u16, body: &'static str) -> HttpResponse {
    let status = actix_web::http::StatusCode::from_u16(status)
        .unwrap_or(actix_web::http::StatusCode::INTERNAL_SERVER_ERROR);
    HttpResponse::build(status)
        .insert_header((
            actix_web::http::header::CONTENT_TYPE,
            HeaderValue::from_static(TEXT_PLAIN),
        ))
        .body(body)
}

fn signature_matches(key: &Hmac<Sha256>, timestamp: &str, body: &[u8], signature: &[u8]) -> bool {
    let mut mac = key.clone();
    mac.update(b"v0:");
    mac.update(timestamp.as_bytes());
    mac.update(b":");
    mac.update(body);
    let digest = mac.finalize().into_bytes();
    let mut expected = [0u8; 67];
    expected[..3].copy_from_slice(b"v0=");
    if hex::encode_to_slice(digest.as_slice(), &mut expected[3..]).is_err() {
        return false;
    }
    // Slices of different lengths compare unequal.
    expected.as_slice().ct_eq(signature).into()
}

async fn receive(req: HttpRequest, body: web::Bytes, keys: web::Data<Keys>) -> HttpResponse {
    let Ok(Kind { kind }) = serde_json::from_slice::<Kind<'_>>(&body) else {
        return text(400, "Invalid JSON");
    };
    let (key, is_action) = match &*kind {
        WEBHOOK_EVENT => (&keys.webhook, false),
        ACTION_EVENT => (&keys.action, true),
        _ => return text(404, "No handler registered for this event type."),
    };
    let Some(timestamp) = req.headers().get(TIMESTAMP).and_then(|v| v.to_str().ok()) else {
        return text(400, "Missing X-Frameio-Request-Timestamp header");
    };
    let Ok(parsed) = timestamp.parse::<i64>() else {
        return text(400, "Invalid X-Frameio-Request-Timestamp header format");
    };
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX));
    let signed = req
        .headers()
        .get(SIGNATURE)
        .is_some_and(|sig| signature_matches(key, timestamp, &body, sig.as_bytes()));
    if parsed <= 0 || now.abs_diff(parsed) > TOLERANCE_SECS || !signed {
        return text(401, "Invalid signature.");
    }
    if is_action {
        let Ok(event) = serde_json::from_slice::<Action>(&body) else {
            return text(422, "Payload validation error.");
        };
        let description = greeting(&event.user.id);
        match serde_json::to_vec(&Message {
            title: GREETING_TITLE,
            description: &description,
        }) {
            Ok(json) => HttpResponse::Ok()
                .insert_header(ContentType::json())
                .body(json),
            Err(_) => text(500, "Internal Server Error"),
        }
    } else {
        let Ok(event) = serde_json::from_slice::<Webhook>(&body) else {
            return text(422, "Payload validation error.");
        };
        std::hint::black_box(&event.resource.id);
        text(200, "OK")
    }
}

#[actix_web::main]
async fn main() -> std::io::Result<()> {
    let settings = Settings::from_env_and_args().map_err(std::io::Error::other)?;
    quiet_logging();
    let keys = web::Data::new(Keys {
        webhook: <Hmac<Sha256> as KeyInit>::new_from_slice(WEBHOOK_SECRET.as_bytes())
            .map_err(std::io::Error::other)?,
        action: <Hmac<Sha256> as KeyInit>::new_from_slice(ACTION_SECRET.as_bytes())
            .map_err(std::io::Error::other)?,
    });
    HttpServer::new(move || {
        actix_web::App::new()
            .app_data(keys.clone())
            .app_data(web::PayloadConfig::new(BODY_LIMIT))
            .route("/", web::post().to(receive))
    })
    .workers(settings.workers)
    .bind(("127.0.0.1", settings.port))?
    .run()
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checks_signatures_like_frameio_kit() {
        let key = <Hmac<Sha256> as KeyInit>::new_from_slice(WEBHOOK_SECRET.as_bytes()).unwrap();
        let body = frameio_kit_bench::delivery(0).body;
        let good =
            frameio_kit::signature::sign(WEBHOOK_SECRET.as_bytes(), "1700000000", body.as_bytes());
        assert!(signature_matches(
            &key,
            "1700000000",
            body.as_bytes(),
            good.as_bytes()
        ));
        assert!(!signature_matches(
            &key,
            "1700000001",
            body.as_bytes(),
            good.as_bytes()
        ));
        assert!(!signature_matches(
            &key,
            "1700000000",
            b"{}",
            good.as_bytes()
        ));
        assert!(!signature_matches(
            &key,
            "1700000000",
            body.as_bytes(),
            good.to_uppercase().as_bytes()
        ));
        assert!(!signature_matches(
            &key,
            "1700000000",
            body.as_bytes(),
            &good.as_bytes()[..66]
        ));
    }
}
