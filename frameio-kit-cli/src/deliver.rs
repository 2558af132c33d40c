//! Signing and sending deliveries, and showing what the app answered.

use std::fmt::Write as _;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::Context as _;
use serde::Serialize;
use serde_json::Value;

/// Header names Frame.io uses.
pub(crate) const TIMESTAMP_HEADER: &str = "X-Frameio-Request-Timestamp";
pub(crate) const SIGNATURE_HEADER: &str = "X-Frameio-Signature";
pub(crate) const USER_AGENT: &str = "Frame.io V4 API";

/// The current Unix time in seconds, as Frame.io writes it.
pub(crate) fn now_timestamp() -> String {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
        .to_string()
}

/// The headers of a signed delivery.
#[derive(Debug, Clone)]
pub(crate) struct Signed {
    pub(crate) timestamp: String,
    pub(crate) signature: String,
}

pub(crate) fn sign(secret: &str, timestamp: &str, body: &[u8]) -> Signed {
    Signed {
        timestamp: timestamp.to_owned(),
        signature: frameio_kit::signature::sign(secret.as_bytes(), timestamp, body),
    }
}

/// What the app answered, with the time it took.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Answer {
    pub(crate) status: u16,
    pub(crate) reason: String,
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) body: String,
    pub(crate) latency_ms: f64,
}

impl Answer {
    pub(crate) fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }
}

/// An HTTP client for deliveries: no proxy (deliveries go to a local app), a 30 s timeout.
pub(crate) fn http_client() -> anyhow::Result<reqwest::Client> {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .no_proxy()
        .build()
        .context("cannot build the HTTP client")
}

/// POSTs `body` to `url`, signed with `secret` and a fresh timestamp. `extra` headers (e.g.
/// from a recording) are sent too, except those this function sets.
pub(crate) async fn post_signed(
    client: &reqwest::Client,
    url: &str,
    secret: &str,
    body: Vec<u8>,
    extra: &[(String, String)],
) -> anyhow::Result<Answer> {
    let signed = sign(secret, &now_timestamp(), &body);
    let mut request = client
        .post(url)
        .header("content-type", "application/json")
        .header("user-agent", USER_AGENT);
    for (name, value) in extra {
        let lower = name.to_ascii_lowercase();
        if matches!(
            lower.as_str(),
            "x-frameio-request-timestamp"
                | "x-frameio-signature"
                | "content-type"
                | "content-length"
                | "user-agent"
                | "host"
                | "connection"
                | "transfer-encoding"
                | "expect"
        ) {
            continue;
        }
        request = request.header(name.as_str(), value.as_str());
    }
    let started = Instant::now();
    let response = request
        .header(TIMESTAMP_HEADER, &signed.timestamp)
        .header(SIGNATURE_HEADER, &signed.signature)
        .body(body)
        .send()
        .await
        .with_context(|| format!("cannot deliver to {url}"))?;
    let status = response.status();
    let headers = response
        .headers()
        .iter()
        .map(|(name, value)| {
            (
                name.as_str().to_owned(),
                String::from_utf8_lossy(value.as_bytes()).into_owned(),
            )
        })
        .collect();
    let body = response
        .text()
        .await
        .with_context(|| format!("cannot read the answer from {url}"))?;
    Ok(Answer {
        status: status.as_u16(),
        reason: status.canonical_reason().unwrap_or("").to_owned(),
        headers,
        body,
        latency_ms: started.elapsed().as_secs_f64() * 1000.0,
    })
}

/// The answer as a terminal shows it: status line, headers, body, then a readable Message or
/// Form when the body is one.
pub(crate) fn render_answer(answer: &Answer) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "HTTP {} {} ({:.0} ms)",
        answer.status, answer.reason, answer.latency_ms
    );
    for (name, value) in &answer.headers {
        let _ = writeln!(out, "{name}: {value}");
    }
    let _ = writeln!(out);
    let _ = writeln!(out, "{}", answer.body);
    if let Some(shown) = render_action_response(&answer.body) {
        let _ = writeln!(out);
        out.push_str(&shown);
    }
    out
}

/// A Message or Form answer drawn as text; `None` for any other body.
pub(crate) fn render_action_response(body: &str) -> Option<String> {
    let value: Value = serde_json::from_str(body).ok()?;
    let object = value.as_object()?;
    let title = object.get("title")?.as_str()?;
    let description = object
        .get("description")
        .and_then(Value::as_str)
        .unwrap_or("");
    let mut out = String::new();
    match object.get("fields").and_then(Value::as_array) {
        None => {
            let _ = writeln!(out, "┌─ Message ─ {title}");
            for line in description.lines() {
                let _ = writeln!(out, "│ {line}");
            }
            let _ = writeln!(out, "└─");
        }
        Some(fields) => {
            let _ = writeln!(out, "┌─ Form ─ {title}");
            for line in description.lines() {
                let _ = writeln!(out, "│ {line}");
            }
            for field in fields {
                let _ = writeln!(out, "│ {}", render_field(field));
            }
            let _ = writeln!(
                out,
                "└─ submit with: --interaction <same id> --data <name>=<value> …"
            );
        }
    }
    Some(out)
}

fn render_field(field: &Value) -> String {
    let text = |key: &str| field.get(key).and_then(Value::as_str).unwrap_or("");
    let (label, name, kind) = (text("label"), text("name"), text("type"));
    let value = field.get("value");
    match kind {
        "checkbox" | "boolean" => {
            let checked = matches!(value, Some(Value::Bool(true)))
                || matches!(value.and_then(Value::as_str), Some("true" | "on"));
            format!("[{}] {label}  ({name})", if checked { "x" } else { " " })
        }
        "select" => {
            let current = value.and_then(Value::as_str).unwrap_or("");
            let options: Vec<String> = field
                .get("options")
                .and_then(Value::as_array)
                .map(|options| {
                    options
                        .iter()
                        .map(|o| {
                            let v = o.get("value").and_then(Value::as_str).unwrap_or("");
                            let n = o.get("name").and_then(Value::as_str).unwrap_or(v);
                            if v == current {
                                format!("({n}={v})")
                            } else {
                                format!("{n}={v}")
                            }
                        })
                        .collect()
                })
                .unwrap_or_default();
            format!("{label}  ({name}, select): {}", options.join(" | "))
        }
        "link" => format!("{label}  → {}", value.and_then(Value::as_str).unwrap_or("")),
        _ => {
            let shown = match value {
                Some(Value::String(s)) => format!("{s:?}"),
                Some(other) => other.to_string(),
                None => "\"\"".to_owned(),
            };
            format!("{label}  ({name}, {kind}): {shown}")
        }
    }
}

/// A POSIX shell single-quoted word.
pub(crate) fn shell_quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', r"'\''"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_message_and_form() {
        let message =
            render_action_response(r#"{"title":"Done","description":"It worked."}"#).unwrap();
        assert!(message.contains("Message ─ Done"));
        assert!(message.contains("│ It worked."));
        let form = render_action_response(
            r#"{"title":"Rename","description":"d","fields":[
            {"label":"New name","name":"new_name","type":"text","value":"a.mp4"},
            {"label":"Case","name":"case","type":"select","options":[{"name":"Keep","value":"keep"},{"name":"UP","value":"upper"}],"value":"keep"},
            {"label":"Notify","name":"notify","type":"checkbox","value":true},
            {"label":"Open","name":"l","type":"link","value":"https://e.com"}]}"#,
        )
        .unwrap();
        assert!(
            form.contains("New name  (new_name, text): \"a.mp4\""),
            "{form}"
        );
        assert!(form.contains("(Keep=keep) | UP=upper"), "{form}");
        assert!(form.contains("[x] Notify"), "{form}");
        assert!(form.contains("→ https://e.com"), "{form}");
        assert!(render_action_response("OK").is_none());
        assert!(render_action_response("[1]").is_none());
    }

    #[test]
    fn signs_like_the_kit_verifies() {
        let signed = sign("s3cret", "1700000000", b"{}");
        assert!(signed.signature.starts_with("v0="));
        assert_eq!(
            signed.signature,
            frameio_kit::signature::sign(b"s3cret", "1700000000", b"{}")
        );
    }

    #[test]
    fn quotes_for_the_shell() {
        assert_eq!(shell_quote("it's"), r"'it'\''s'");
    }
}
