//! What an update changes: the installation record against the current manifest.

use std::fmt;

use super::Installation;
use super::plan::{Desired, Difference, Plan, PlanChange, Prune};
use crate::client::custom_actions::CustomAction;
use crate::client::webhooks::Webhook;
use crate::manifest::{Manifest, ManifestAction};

/// One change an update applies.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Change {
    /// The webhook gains an event type.
    AddEvent(String),
    /// The webhook loses an event type.
    RemoveEvent(String),
    /// The webhook's URL changes (the public URL moved).
    WebhookUrl,
    /// A new action is created.
    AddAction(ManifestAction),
    /// An action is deleted: (event key, name).
    RemoveAction(String, String),
    /// An action is patched: the new definition and what differs (`name`, `description`,
    /// `url`).
    ChangeAction(ManifestAction, Vec<&'static str>),
}

impl fmt::Display for Change {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::AddEvent(e) => write!(f, "+ webhook event {e}"),
            Self::RemoveEvent(e) => write!(f, "- webhook event {e}"),
            Self::WebhookUrl => write!(f, "~ webhook (url)"),
            Self::AddAction(a) => write!(f, "+ action {:?}", a.name),
            Self::RemoveAction(_, name) => write!(f, "- action {name:?}"),
            Self::ChangeAction(a, what) => write!(f, "~ action {:?} ({})", a.name, what.join(", ")),
        }
    }
}

/// Every change between an installation and a manifest; empty when up to date.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ManifestDiff {
    /// The changes, webhook first, then actions by event key.
    pub changes: Vec<Change>,
}

impl ManifestDiff {
    /// Compares what `record` has with what `manifest` wants, both delivering to `url`.
    ///
    /// This is [`Plan::between`] with the manifest's [`Desired`] state, pinned to the record's
    /// ids, against the record's resources, told as update changes.
    pub fn between(record: &Installation, manifest: &Manifest, url: &str) -> Self {
        // The record keeps no webhook name: the same (empty) one on both sides.
        let mut desired = Desired::from_manifest(manifest, url, "");
        desired.prune = Prune::All;
        if let (Some(wanted), Some(have)) = (&mut desired.webhook, &record.webhook) {
            wanted.id = Some(have.id.clone());
        }
        for wanted in &mut desired.actions {
            wanted.id = record.action(&wanted.event).map(|a| a.id.clone());
        }
        let webhooks: Vec<Webhook> = record
            .webhook
            .iter()
            .map(|w| Webhook {
                id: w.id.clone(),
                url: w.url.clone(),
                events: w.events.clone(),
                ..Webhook::default()
            })
            .collect();
        let actions: Vec<CustomAction> = record
            .actions
            .iter()
            .map(|a| CustomAction {
                id: a.id.clone(),
                event: a.event.clone(),
                name: a.name.clone(),
                description: a.description.clone(),
                url: a.url.clone(),
                ..CustomAction::default()
            })
            .collect();
        let plan = Plan::between(&desired, &webhooks, &actions);
        let wanted = |event: &str| {
            manifest
                .find_action(event)
                .cloned()
                .unwrap_or_else(|| ManifestAction::new(event, "", ""))
        };
        let mut webhook = Vec::new();
        let mut changes = Vec::new();
        for change in plan.changes {
            match change {
                PlanChange::CreateWebhook { create, .. } => {
                    webhook.extend(create.events.into_iter().map(Change::AddEvent));
                }
                PlanChange::UpdateWebhook { differences, .. } => {
                    let mut moved = false;
                    for d in differences {
                        match d {
                            Difference::Events { added, removed } => {
                                webhook.extend(added.into_iter().map(Change::AddEvent));
                                webhook.extend(removed.into_iter().map(Change::RemoveEvent));
                            }
                            Difference::Url { .. } => moved = true,
                            _ => {}
                        }
                    }
                    if moved {
                        webhook.push(Change::WebhookUrl);
                    }
                }
                PlanChange::DeleteWebhook { .. } => {
                    let events = record.webhook.as_ref().map_or(&[][..], |w| &w.events);
                    webhook.extend(events.iter().cloned().map(Change::RemoveEvent));
                }
                PlanChange::CreateAction { create, .. } => {
                    changes.push(Change::AddAction(wanted(&create.event)));
                }
                PlanChange::UpdateAction {
                    event, differences, ..
                } => {
                    let what = differences.iter().map(Difference::field).collect();
                    changes.push(Change::ChangeAction(wanted(&event), what));
                }
                PlanChange::DeleteAction { event, name, .. } => {
                    changes.push(Change::RemoveAction(event, name));
                }
            }
        }
        webhook.extend(changes);
        Self { changes: webhook }
    }

    /// `true` when nothing would change.
    pub fn is_empty(&self) -> bool {
        self.changes.is_empty()
    }

    /// `true` when the webhook's event types or URL change.
    pub fn touches_webhook(&self) -> bool {
        self.changes.iter().any(|c| {
            matches!(
                c,
                Change::AddEvent(_) | Change::RemoveEvent(_) | Change::WebhookUrl
            )
        })
    }
}

impl fmt::Display for ManifestDiff {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for change in &self.changes {
            writeln!(f, "{change}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::install::{FieldValues, InstalledAction, InstalledWebhook};

    fn action(event: &str, name: &str, description: &str) -> InstalledAction {
        InstalledAction {
            id: format!("id-{event}"),
            event: event.into(),
            name: name.into(),
            description: description.into(),
            url: "https://x/".into(),
            secret: "s".into(),
            retiring: vec![],
        }
    }

    #[test]
    fn lines_match_the_documented_format() {
        let record = Installation {
            account_id: "a".into(),
            workspace_id: "w".into(),
            webhook: Some(InstalledWebhook {
                id: "wh".into(),
                url: "https://x/".into(),
                events: vec!["file.ready".into()],
                secret: "s".into(),
                retiring: vec![],
            }),
            actions: vec![
                action("old", "Old", ""),
                action("transcribe", "Transcribe", "v1"),
            ],
            config: FieldValues::new(),
            installed_by: "u".into(),
            installed_at: 0,
            updated_at: 0,
        };
        let manifest = Manifest::new()
            .webhook_events(["file.ready", "comment.created"])
            .action(ManifestAction::new("export", "Export", ""))
            .action(ManifestAction::new("transcribe", "Transcribe", "v2"));
        let diff = ManifestDiff::between(&record, &manifest, "https://x/");
        assert_eq!(
            diff.to_string(),
            "+ webhook event comment.created\n+ action \"Export\"\n~ action \"Transcribe\" (description)\n- action \"Old\"\n"
        );
        assert!(diff.touches_webhook());
        let same = Manifest::new()
            .webhook_events(["file.ready"])
            .action(ManifestAction::new("old", "Old", ""))
            .action(ManifestAction::new("transcribe", "Transcribe", "v1"));
        assert!(ManifestDiff::between(&record, &same, "https://x/").is_empty());
        let moved = ManifestDiff::between(&record, &same, "https://y/");
        assert_eq!(
            moved.to_string(),
            "~ webhook (url)\n~ action \"Old\" (url)\n~ action \"Transcribe\" (url)\n"
        );
    }
}
