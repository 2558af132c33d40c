//! Two middleware every production integration ends up writing, and an app that uses them:
//!
//! - [`Timing`] logs how long each delivery took and how it ended;
//! - [`AllowList`] lets only some Frame.io accounts use the actions, answering everyone else
//!   with a Message — without running the handler.
//!
//! Run it with `WEBHOOK_SECRET=… CUSTOM_ACTION_SECRET=… ALLOWED_ACCOUNTS=acc-1,acc-2 cargo run
//! -p middleware-example`.

use std::time::Instant;

use frameio_kit::handler::HandlerResult;
use frameio_kit::prelude::*;

/// Logs the event type, outcome and duration of every delivery.
#[derive(Debug, Default)]
pub struct Timing;

impl Middleware for Timing {
    async fn handle(&self, delivery: Delivery, next: Next<'_>) -> HandlerResult {
        let started = Instant::now();
        let event_type = delivery.event_type().to_owned();
        let result = next.run(delivery).await;
        let elapsed_us = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX);
        let outcome = if result.is_ok() { "ok" } else { "error" };
        tracing::info!(%event_type, outcome, elapsed_us, "timed delivery");
        result
    }
}

/// Only these accounts may use the actions; webhooks are not affected.
#[derive(Debug, Clone)]
pub struct AllowList {
    accounts: Vec<String>,
}

impl AllowList {
    /// Allows the given account ids.
    pub fn new<I: IntoIterator<Item = S>, S: Into<String>>(accounts: I) -> Self {
        Self {
            accounts: accounts.into_iter().map(Into::into).collect(),
        }
    }

    /// Reads a comma-separated list of account ids.
    pub fn parse(list: &str) -> Self {
        Self::new(list.split(',').map(str::trim).filter(|id| !id.is_empty()))
    }
}

impl Middleware for AllowList {
    async fn action(&self, delivery: Delivery, next: Next<'_>) -> HandlerResult {
        if self.accounts.iter().any(|id| id == delivery.account_id()) {
            return next.run(delivery).await;
        }
        tracing::warn!(
            account = delivery.account_id(),
            "action refused by the allow-list"
        );
        Ok(Message::new(
            "Not available",
            "This action is not enabled for your account. Ask your administrator.",
        )
        .into())
    }
}

/// A file.ready webhook.
#[webhook("file.ready")]
pub async fn on_ready(event: WebhookEvent) -> Result<()> {
    tracing::info!(file = event.resource_id(), "file is ready");
    Ok(())
}

/// An action only allowed accounts can use.
#[action(event = "archive", name = "Archive", description = "Archive this file")]
pub async fn archive(event: ActionEvent) -> Result<Message> {
    Ok(Message::new(
        "Archived",
        format!("{} will be archived.", event.resource_id()),
    ))
}

/// The app: the registered handlers with timing outermost, then the allow-list.
pub fn app(allowed_accounts: &str) -> App {
    App::from_registry()
        .middleware(Timing)
        .middleware(AllowList::parse(allowed_accounts))
}
