//! What an update changes: the installation record against the current manifest.

use std::fmt;

use super::Installation;
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
    pub fn between(record: &Installation, manifest: &Manifest, url: &str) -> Self {
        let mut changes = Vec::new();
        let installed: &[String] = record.webhook.as_ref().map_or(&[], |w| &w.events);
        for e in &manifest.webhook_events {
            if !installed.contains(e) {
                changes.push(Change::AddEvent(e.clone()));
            }
        }
        for e in installed {
            if !manifest.webhook_events.contains(e) {
                changes.push(Change::RemoveEvent(e.clone()));
            }
        }
        if let Some(w) = &record.webhook
            && w.url != url
            && !manifest.webhook_events.is_empty()
        {
            changes.push(Change::WebhookUrl);
        }
        for wanted in &manifest.actions {
            match record.action(&wanted.event) {
                None => changes.push(Change::AddAction(wanted.clone())),
                Some(have) => {
                    let mut what = Vec::new();
                    if have.name != wanted.name {
                        what.push("name");
                    }
                    if have.description != wanted.description {
                        what.push("description");
                    }
                    if have.url != url {
                        what.push("url");
                    }
                    if !what.is_empty() {
                        changes.push(Change::ChangeAction(wanted.clone(), what));
                    }
                }
            }
        }
        for have in &record.actions {
            if !manifest.actions.iter().any(|a| a.event == have.event) {
                changes.push(Change::RemoveAction(have.event.clone(), have.name.clone()));
            }
        }
        Self { changes }
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
