//! Benchmarks for frameio-kit: what the load servers, the request generator and the
//! micro-benchmarks share.
//!
//! The load benchmark (`bench/run.sh`) compares two servers doing the same work on the same
//! deliveries:
//!
//! * `kit-server`: a frameio-kit [`App`] with a `file.ready` webhook and a `bench.greet`
//!   action answering a Message ([`kit_app`]);
//! * `bare-server`: a hand-written actix-web handler that reads the body, checks the
//!   timestamp window and the HMAC, parses the JSON into equivalent structs and answers the
//!   same bytes.
//!
//! `bench-gen` writes the pre-signed deliveries both are loaded with ([`delivery`]).

use std::fmt::Write as _;

use frameio_kit::{ActionEvent, App, Handler, Message, WebhookEvent};

/// The signing secret of the benchmark webhook.
pub const WEBHOOK_SECRET: &str = "bench-webhook-secret";
/// The signing secret of the benchmark action.
pub const ACTION_SECRET: &str = "bench-action-secret";
/// The webhook's event type.
pub const WEBHOOK_EVENT: &str = "file.ready";
/// The action's event key.
pub const ACTION_EVENT: &str = "bench.greet";
/// The action's answer title.
pub const GREETING_TITLE: &str = "Hello!";
/// One delivery in this many is an action click; the others are webhooks.
pub const ACTION_EVERY: u64 = 4;

/// The action's answer description for a user.
pub fn greeting(user_id: &str) -> String {
    format!("Hello, user {user_id}.")
}

/// The benchmark webhook: touches the event and succeeds.
pub async fn on_file_ready(event: WebhookEvent) -> frameio_kit::Result<()> {
    std::hint::black_box(event.resource_id());
    Ok(())
}

/// The benchmark action: answers a Message naming the user.
pub async fn greet(event: ActionEvent) -> frameio_kit::Result<Message> {
    Ok(Message::new(GREETING_TITLE, greeting(event.user_id())))
}

/// The frameio-kit app under test: the webhook and the action with their secrets.
pub fn kit_app() -> App {
    App::new()
        .handler(Handler::webhook([WEBHOOK_EVENT], on_file_ready).secret(WEBHOOK_SECRET))
        .handler(
            Handler::action(ACTION_EVENT, greet)
                .name("Greet")
                .secret(ACTION_SECRET),
        )
}

/// Where and how a load server listens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Settings {
    /// The port on 127.0.0.1.
    pub port: u16,
    /// The number of worker threads.
    pub workers: usize,
    /// Whether the replay ledger is on (the kit's default). The load benchmark cycles through a
    /// fixed set of signed deliveries, which are replays after one cycle: bench/run.sh turns
    /// the ledger off unless `LEDGER=on`.
    pub ledger: bool,
}

impl Settings {
    /// Reads `--port N` / `--workers N` / `--ledger on|off` from the arguments, else `PORT` /
    /// `WORKERS` / `LEDGER` from the environment, else port 8000, 2 workers and the ledger on.
    pub fn from_env_and_args() -> Result<Self, String> {
        let mut port = std::env::var("PORT").ok();
        let mut workers = std::env::var("WORKERS").ok();
        let mut ledger = std::env::var("LEDGER").ok();
        let mut args = std::env::args().skip(1);
        while let Some(arg) = args.next() {
            let slot = match arg.as_str() {
                "--port" => &mut port,
                "--workers" => &mut workers,
                "--ledger" => &mut ledger,
                other => return Err(format!("unknown argument `{other}`")),
            };
            *slot = Some(args.next().ok_or_else(|| format!("{arg} needs a value"))?);
        }
        let port = match port {
            Some(raw) => raw
                .trim()
                .parse()
                .map_err(|_| format!("bad port `{raw}`"))?,
            None => 8000,
        };
        let workers = match workers {
            Some(raw) => raw
                .trim()
                .parse::<usize>()
                .ok()
                .filter(|&n| n > 0)
                .ok_or_else(|| format!("bad worker count `{raw}`"))?,
            None => 2,
        };
        let ledger = match ledger.as_deref().map(str::trim) {
            None | Some("on") => true,
            Some("off") => false,
            Some(other) => return Err(format!("bad ledger setting `{other}` (on or off)")),
        };
        Ok(Self {
            port,
            workers,
            ledger,
        })
    }
}

/// Installs a `warn` subscriber (or `RUST_LOG`'s filter): no per-delivery log lines.
pub fn quiet_logging() {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("warn"));
    let _ = tracing_subscriber::fmt().with_env_filter(filter).try_init();
}

/// A pseudo-random but reproducible UUID-shaped id for delivery `n`, field `salt`.
fn id(n: u64, salt: u64) -> String {
    // splitmix64: distinct inputs give well-spread, distinct-looking outputs.
    let mut z = n
        .wrapping_mul(0x9E37_79B9_7F4A_7C15)
        .wrapping_add(salt.wrapping_mul(0xBF58_476D_1CE4_E5B9));
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^= z >> 31;
    let hi = z;
    let lo = n.wrapping_add(salt << 48);
    format!(
        "{:08x}-{:04x}-4{:03x}-8{:03x}-{:012x}",
        hi >> 32,
        (hi >> 16) & 0xffff,
        hi & 0xfff,
        (lo >> 48) & 0xfff,
        lo & 0xffff_ffff_ffff
    )
}

/// One benchmark delivery: which secret signs it and its JSON body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    /// The signing secret.
    pub secret: &'static str,
    /// The raw JSON body (compact, no tabs or newlines).
    pub body: String,
}

/// Delivery number `n`: every [`ACTION_EVERY`]th is an action click, the rest `file.ready`
/// webhooks; ids differ for every `n`.
pub fn delivery(n: u64) -> Delivery {
    let mut body = String::with_capacity(400);
    if n % ACTION_EVERY == ACTION_EVERY - 1 {
        let _ = write!(
            body,
            r#"{{"account_id":"{}","action_id":"{}","interaction_id":"{}","project":{{"id":"{}"}},"resource":{{"id":"{}","type":"file"}},"type":"{ACTION_EVENT}","user":{{"id":"{}"}},"workspace":{{"id":"{}"}}}}"#,
            id(n, 1),
            id(n, 2),
            id(n, 3),
            id(n, 4),
            id(n, 5),
            id(n, 6),
            id(n, 7),
        );
        Delivery {
            secret: ACTION_SECRET,
            body,
        }
    } else {
        let _ = write!(
            body,
            r#"{{"account":{{"id":"{}"}},"project":{{"id":"{}"}},"resource":{{"id":"{}","type":"file"}},"type":"{WEBHOOK_EVENT}","user":{{"id":"{}"}},"workspace":{{"id":"{}"}}}}"#,
            id(n, 1),
            id(n, 4),
            id(n, 5),
            id(n, 6),
            id(n, 7),
        );
        Delivery {
            secret: WEBHOOK_SECRET,
            body,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deliveries_are_distinct_and_parse() {
        let mut seen = std::collections::HashSet::new();
        for n in 0..1000 {
            let d = delivery(n);
            assert!(!d.body.contains(['\t', '\n']));
            assert!(seen.insert(d.body.clone()));
            if d.secret == ACTION_SECRET {
                let e: ActionEvent = serde_json::from_str(&d.body).unwrap();
                assert_eq!(e.event_type(), ACTION_EVENT);
            } else {
                let e: WebhookEvent = serde_json::from_str(&d.body).unwrap();
                assert_eq!(e.event_type(), WEBHOOK_EVENT);
            }
        }
    }
}
