//! The one comparison between what should exist in a Frame.io workspace (a webhook and custom
//! actions) and what does, and the API calls that close the gap.
//!
//! Both views of an installation use it: the install pages' drift check and repair
//! ([`Install::drift`](super::Install::drift), [`Install::repair`](super::Install::repair)),
//! which compare an [`Installation`] record with the resources it names, their update diff
//! ([`ManifestDiff`](super::ManifestDiff), the manifest against the record), and
//! `frameio-kit install plan|apply|check`, which compares an app's [`Manifest`] with
//! everything listed in a workspace.

use std::fmt;

use super::{InstallError, Installation};
use crate::client::custom_actions::{CreateAction, CustomAction, UpdateAction};
use crate::client::webhooks::{CreateWebhook, UpdateWebhook, Webhook};
use crate::client::{Client, ClientError};
use crate::manifest::Manifest;

/// The webhook that should exist.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WantedWebhook {
    /// Its id when it is known (an installation record): then only the webhook with this id
    /// is it, and a missing one is recreated. `None`: found by URL or name.
    pub id: Option<String>,
    /// Its name in Frame.io.
    pub name: String,
    /// Where it delivers.
    pub url: String,
    /// Its event types, sorted and without duplicates. Empty: no webhook should exist, and
    /// one that does is deleted.
    pub events: Vec<String>,
}

/// A custom action that should exist.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WantedAction {
    /// Its id when it is known (an installation record): then only the action with this id
    /// is it, and a missing one is recreated. `None`: found by event key.
    pub id: Option<String>,
    /// The event key sent to the receiver.
    pub event: String,
    /// The name shown in the menu.
    pub name: String,
    /// Its description.
    pub description: String,
    /// Where it delivers.
    pub url: String,
}

/// What should exist in one workspace; see [`Plan::between`].
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Desired {
    /// The webhook, if the app has one.
    pub webhook: Option<WantedWebhook>,
    /// The actions.
    pub actions: Vec<WantedAction>,
    /// Which live actions that nothing wants are deleted.
    pub prune: Prune,
}

/// Which live actions that no wanted action matched a [`Plan`] deletes.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Prune {
    /// None: the resources compared against are the ones fetched by known ids.
    #[default]
    Nothing,
    /// Those at this URL, and second actions with a wanted event key: the resources compared
    /// against are everything listed in a workspace.
    AtUrl(String),
    /// All of them: the resources compared against are all the app's own.
    All,
}

impl Desired {
    /// What a manifest asks for when the app receives at `url`: a webhook named
    /// `webhook_name` with every event type of the manifest (none, and any existing one is
    /// deleted, when it has none) and one action per manifest action. Nothing is known by id:
    /// the webhook is found by URL or name, each action by event key, and leftovers at `url`
    /// are deleted.
    pub fn from_manifest(manifest: &Manifest, url: &str, webhook_name: &str) -> Self {
        let mut events = manifest.webhook_events.clone();
        events.sort();
        events.dedup();
        Self {
            webhook: Some(WantedWebhook {
                id: None,
                name: webhook_name.to_owned(),
                url: url.to_owned(),
                events,
            }),
            actions: manifest
                .actions
                .iter()
                .map(|a| WantedAction {
                    id: None,
                    event: a.event.clone(),
                    name: a.name.clone(),
                    description: a.description.clone(),
                    url: url.to_owned(),
                })
                .collect(),
            prune: Prune::AtUrl(url.to_owned()),
        }
    }

    /// What an installation record says exists, each resource known by its id; the webhook
    /// is named `webhook_name` (the app's name).
    pub fn from_installation(record: &Installation, webhook_name: &str) -> Self {
        Self {
            webhook: record.webhook.as_ref().map(|w| {
                let mut events = w.events.clone();
                events.sort();
                events.dedup();
                WantedWebhook {
                    id: Some(w.id.clone()),
                    name: webhook_name.to_owned(),
                    url: w.url.clone(),
                    events,
                }
            }),
            actions: record
                .actions
                .iter()
                .map(|a| WantedAction {
                    id: Some(a.id.clone()),
                    event: a.event.clone(),
                    name: a.name.clone(),
                    description: a.description.clone(),
                    url: a.url.clone(),
                })
                .collect(),
            prune: Prune::Nothing,
        }
    }
}

/// One way an existing resource differs from what is wanted.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Difference {
    /// The name.
    Name {
        /// What Frame.io has.
        have: String,
        /// What is wanted.
        want: String,
    },
    /// An action's description.
    Description {
        /// What Frame.io has.
        have: String,
        /// What is wanted.
        want: String,
    },
    /// The receiver URL.
    Url {
        /// What Frame.io has.
        have: String,
        /// What is wanted.
        want: String,
    },
    /// A webhook's event types.
    Events {
        /// Wanted but missing.
        added: Vec<String>,
        /// There but not wanted.
        removed: Vec<String>,
    },
    /// The resource is deactivated.
    Inactive,
}

impl Difference {
    /// The field that differs: `name`, `description`, `url`, `events` or `active`.
    pub fn field(&self) -> &'static str {
        match self {
            Self::Name { .. } => "name",
            Self::Description { .. } => "description",
            Self::Url { .. } => "url",
            Self::Events { .. } => "events",
            Self::Inactive => "active",
        }
    }
}

impl fmt::Display for Difference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Name { have, want } => write!(f, "name {have:?} → {want:?}"),
            Self::Description { have, want } => write!(f, "description {have:?} → {want:?}"),
            Self::Url { have, want } => write!(f, "url {have} → {want}"),
            Self::Events { added, removed } => {
                f.write_str("events")?;
                if !added.is_empty() {
                    write!(f, " +{}", added.join(","))?;
                }
                if !removed.is_empty() {
                    write!(f, " -{}", removed.join(","))?;
                }
                Ok(())
            }
            Self::Inactive => f.write_str("inactive → active"),
        }
    }
}

/// One change a [`Plan`] makes.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum PlanChange {
    /// Create the webhook.
    CreateWebhook {
        /// The known id of the webhook this one replaces (it was deleted in Frame.io).
        replaces: Option<String>,
        /// What to create.
        create: CreateWebhook,
    },
    /// Patch the webhook.
    UpdateWebhook {
        /// Its id.
        id: String,
        /// Its wanted name.
        name: String,
        /// The patch.
        update: UpdateWebhook,
        /// What differs (never empty).
        differences: Vec<Difference>,
    },
    /// Delete a webhook: a duplicate, or one the app no longer needs.
    DeleteWebhook {
        /// Its id.
        id: String,
        /// Its name.
        name: String,
        /// Where it delivers.
        url: String,
    },
    /// Create an action.
    CreateAction {
        /// The known id of the action this one replaces (it was deleted in Frame.io).
        replaces: Option<String>,
        /// What to create.
        create: CreateAction,
    },
    /// Patch an action.
    UpdateAction {
        /// Its id.
        id: String,
        /// Its event key.
        event: String,
        /// The patch.
        update: UpdateAction,
        /// What differs (never empty).
        differences: Vec<Difference>,
    },
    /// Delete an action nothing wants (or a duplicate of a wanted event key).
    DeleteAction {
        /// Its id.
        id: String,
        /// Its event key.
        event: String,
        /// Its name.
        name: String,
    },
}

impl fmt::Display for PlanChange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let why = |d: &[Difference]| {
            d.iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("; ")
        };
        match self {
            Self::CreateWebhook { create, .. } => write!(
                f,
                "+ webhook {:?} → {} ({} event types: {})",
                create.name,
                create.url,
                create.events.len(),
                create.events.join(", ")
            ),
            Self::UpdateWebhook {
                id,
                name,
                differences,
                ..
            } => write!(f, "~ webhook {name:?} [{id}]: {}", why(differences)),
            Self::DeleteWebhook { id, name, url } => {
                write!(f, "- webhook {name:?} [{id}] → {url}")
            }
            Self::CreateAction { create, .. } => {
                write!(
                    f,
                    "+ action {:?} ({}) → {}",
                    create.name, create.event, create.url
                )
            }
            Self::UpdateAction {
                id,
                event,
                differences,
                ..
            } => write!(f, "~ action {event} [{id}]: {}", why(differences)),
            Self::DeleteAction { id, event, name } => {
                write!(f, "- action {name:?} ({event}) [{id}]")
            }
        }
    }
}

/// What a [`PlanChange`] created, with its signing secret (Frame.io shows it only once).
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum Created {
    /// A webhook.
    Webhook(Webhook),
    /// A custom action.
    Action(CustomAction),
}

impl PlanChange {
    /// `true` for a creation.
    pub fn is_create(&self) -> bool {
        matches!(self, Self::CreateWebhook { .. } | Self::CreateAction { .. })
    }

    /// `true` for a patch.
    pub fn is_update(&self) -> bool {
        matches!(self, Self::UpdateWebhook { .. } | Self::UpdateAction { .. })
    }

    /// `true` for a deletion.
    pub fn is_delete(&self) -> bool {
        matches!(self, Self::DeleteWebhook { .. } | Self::DeleteAction { .. })
    }

    /// Makes this change in `account_id`/`workspace_id` with `client`; returns what it
    /// created. Deleting what is already gone (404) succeeds.
    ///
    /// # Errors
    ///
    /// [`InstallError::Api`] when Frame.io refuses.
    pub async fn apply(
        &self,
        client: &Client,
        account_id: &str,
        workspace_id: &str,
    ) -> Result<Option<Created>, InstallError> {
        match self {
            Self::CreateWebhook { create, .. } => {
                let made = client
                    .webhooks()
                    .create(account_id, workspace_id, create)
                    .await?;
                Ok(Some(Created::Webhook(made)))
            }
            Self::UpdateWebhook { id, update, .. } => {
                client.webhooks().update(account_id, id, update).await?;
                Ok(None)
            }
            Self::DeleteWebhook { id, .. } => {
                gone_is_fine(client.webhooks().delete(account_id, id).await)?;
                Ok(None)
            }
            Self::CreateAction { create, .. } => {
                let made = client
                    .custom_actions()
                    .create(account_id, workspace_id, create)
                    .await?;
                Ok(Some(Created::Action(made)))
            }
            Self::UpdateAction { id, update, .. } => {
                client
                    .custom_actions()
                    .update(account_id, id, update)
                    .await?;
                Ok(None)
            }
            Self::DeleteAction { id, .. } => {
                gone_is_fine(client.custom_actions().delete(account_id, id).await)?;
                Ok(None)
            }
        }
    }
}

/// A 404 on delete means "already gone".
pub(crate) fn gone_is_fine(result: Result<(), ClientError>) -> Result<(), ClientError> {
    match result {
        Err(err) if err.status().is_some_and(|s| s.as_u16() == 404) => {
            tracing::info!("already deleted in Frame.io");
            Ok(())
        }
        other => other,
    }
}

/// The changes that make a workspace match a [`Desired`] state; empty when it matches.
///
/// ```
/// use frameio_kit::client::webhooks::Webhook;
/// use frameio_kit::install::{Desired, Plan};
/// use frameio_kit::manifest::{Manifest, ManifestAction};
///
/// let manifest = Manifest::new()
///     .webhook_events(["file.ready"])
///     .action(ManifestAction::new("acme.export", "Export", "Send to the archive"));
/// let desired = Desired::from_manifest(&manifest, "https://acme.example.com/", "Acme");
/// // Someone re-pointed the webhook; the action was deleted.
/// let mut webhook = Webhook::default();
/// webhook.id = "w1".into();
/// webhook.name = "Acme".into();
/// webhook.url = "https://elsewhere.example/".into();
/// webhook.events = vec!["file.ready".into()];
/// let plan = Plan::between(&desired, &[webhook], &[]);
/// assert_eq!(
///     plan.to_string(),
///     "~ webhook \"Acme\" [w1]: url https://elsewhere.example/ → https://acme.example.com/\n\
///      + action \"Export\" (acme.export) → https://acme.example.com/\n\
///      Plan: 1 to create, 1 to update, 0 to delete, 0 unchanged.\n"
/// );
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Plan {
    /// The changes: the webhook's first, then the actions' in the wanted order, then
    /// deletions of leftovers.
    pub changes: Vec<PlanChange>,
    /// How many wanted resources already match.
    pub unchanged: usize,
}

impl Plan {
    /// Compares `desired` with the resources Frame.io has (`webhooks`, `actions`: everything
    /// listed in the workspace, or the ones fetched by the known ids). Pure: no I/O.
    ///
    /// A wanted resource with a known id is matched by that id only; without one, the
    /// webhook is the one at the wanted URL or with the wanted name (the URL first, then the
    /// name, then the lowest id; the others are deleted as duplicates) and an action is the
    /// live one with the same event key (one at the wanted URL first). A matched resource is
    /// patched where its name, description (actions), URL, event types (webhook) or active
    /// flag differ; an unmatched wanted one is created. Deleted actions (`deleted_at`) count
    /// as missing.
    pub fn between(desired: &Desired, webhooks: &[Webhook], actions: &[CustomAction]) -> Self {
        let mut plan = Self::default();
        if let Some(wanted) = &desired.webhook {
            plan.webhook(wanted, webhooks);
        }
        let live: Vec<&CustomAction> = actions.iter().filter(|a| a.deleted_at.is_none()).collect();
        let mut matched: Vec<&str> = Vec::new();
        for wanted in &desired.actions {
            let mut candidates: Vec<&CustomAction> = live
                .iter()
                .copied()
                .filter(|a| match &wanted.id {
                    Some(id) => a.id == *id,
                    None => a.event == wanted.event && !matched.contains(&a.id.as_str()),
                })
                .collect();
            candidates
                .sort_by(|a, b| (a.url != wanted.url, &a.id).cmp(&(b.url != wanted.url, &b.id)));
            let Some(existing) = candidates.first() else {
                plan.changes.push(PlanChange::CreateAction {
                    replaces: wanted.id.clone(),
                    create: CreateAction::new(
                        &wanted.name,
                        &wanted.description,
                        &wanted.event,
                        &wanted.url,
                    ),
                });
                continue;
            };
            matched.push(&existing.id);
            let mut update = UpdateAction::default();
            let mut differences = Vec::new();
            differ(
                &mut differences,
                &mut update.name,
                &existing.name,
                &wanted.name,
                |have, want| Difference::Name { have, want },
            );
            differ(
                &mut differences,
                &mut update.description,
                &existing.description,
                &wanted.description,
                |have, want| Difference::Description { have, want },
            );
            differ(
                &mut differences,
                &mut update.url,
                &existing.url,
                &wanted.url,
                |have, want| Difference::Url { have, want },
            );
            if existing.active == Some(false) {
                differences.push(Difference::Inactive);
                update.active = Some(true);
            }
            if differences.is_empty() {
                plan.unchanged += 1;
            } else {
                plan.changes.push(PlanChange::UpdateAction {
                    id: existing.id.clone(),
                    event: wanted.event.clone(),
                    update,
                    differences,
                });
            }
        }
        if desired.prune != Prune::Nothing {
            for action in live {
                let prune = match &desired.prune {
                    Prune::AtUrl(url) => {
                        action.url == *url
                            || desired.actions.iter().any(|w| w.event == action.event)
                    }
                    _ => true,
                };
                if !matched.contains(&action.id.as_str()) && prune {
                    plan.changes.push(PlanChange::DeleteAction {
                        id: action.id.clone(),
                        event: action.event.clone(),
                        name: action.name.clone(),
                    });
                }
            }
        }
        plan
    }

    fn webhook(&mut self, wanted: &WantedWebhook, webhooks: &[Webhook]) {
        let mut ours: Vec<&Webhook> = webhooks
            .iter()
            .filter(|w| match &wanted.id {
                Some(id) => w.id == *id,
                None => w.url == wanted.url || w.name == wanted.name,
            })
            .collect();
        ours.sort_by(|a, b| {
            let key = |w: &Webhook| (w.url != wanted.url, w.name != wanted.name, w.id.clone());
            key(a).cmp(&key(b))
        });
        let delete = |w: &Webhook| PlanChange::DeleteWebhook {
            id: w.id.clone(),
            name: w.name.clone(),
            url: w.url.clone(),
        };
        let Some((existing, duplicates)) = ours.split_first() else {
            if !wanted.events.is_empty() {
                self.changes.push(PlanChange::CreateWebhook {
                    replaces: wanted.id.clone(),
                    create: CreateWebhook::new(&wanted.name, &wanted.url, wanted.events.clone()),
                });
            }
            return;
        };
        if wanted.events.is_empty() {
            self.changes.extend(ours.iter().map(|w| delete(w)));
            return;
        }
        let mut update = UpdateWebhook::default();
        let mut differences = Vec::new();
        differ(
            &mut differences,
            &mut update.name,
            &existing.name,
            &wanted.name,
            |have, want| Difference::Name { have, want },
        );
        differ(
            &mut differences,
            &mut update.url,
            &existing.url,
            &wanted.url,
            |have, want| Difference::Url { have, want },
        );
        let mut have = existing.events.clone();
        have.sort();
        have.dedup();
        if have != wanted.events {
            differences.push(Difference::Events {
                added: (wanted.events.iter())
                    .filter(|e| !have.contains(e))
                    .cloned()
                    .collect(),
                removed: have
                    .iter()
                    .filter(|e| !wanted.events.contains(e))
                    .cloned()
                    .collect(),
            });
            update.events = Some(wanted.events.clone());
        }
        if existing.active == Some(false) {
            differences.push(Difference::Inactive);
            update.active = Some(true);
        }
        if differences.is_empty() {
            self.unchanged += 1;
        } else {
            self.changes.push(PlanChange::UpdateWebhook {
                id: existing.id.clone(),
                name: wanted.name.clone(),
                update,
                differences,
            });
        }
        self.changes.extend(duplicates.iter().map(|w| delete(w)));
    }

    /// `true` when nothing would change.
    pub fn is_empty(&self) -> bool {
        self.changes.is_empty()
    }

    /// How many changes are creations, patches and deletions.
    pub fn counts(&self) -> (usize, usize, usize) {
        let count = |f: fn(&PlanChange) -> bool| self.changes.iter().filter(|c| f(c)).count();
        (
            count(PlanChange::is_create),
            count(PlanChange::is_update),
            count(PlanChange::is_delete),
        )
    }
}

/// Notes a difference and sets the patch's field when `have` is not `want`.
fn differ(
    differences: &mut Vec<Difference>,
    patch: &mut Option<String>,
    have: &str,
    want: &str,
    difference: fn(String, String) -> Difference,
) {
    if have != want {
        differences.push(difference(have.to_owned(), want.to_owned()));
        *patch = Some(want.to_owned());
    }
}

/// One line per change, then `Plan: N to create, N to update, N to delete, N unchanged.`
impl fmt::Display for Plan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for change in &self.changes {
            writeln!(f, "{change}")?;
        }
        let (create, update, delete) = self.counts();
        writeln!(
            f,
            "Plan: {create} to create, {update} to update, {delete} to delete, {} unchanged.",
            self.unchanged
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::install::{FieldValues, InstalledAction, InstalledWebhook};
    use crate::manifest::ManifestAction;

    const URL: &str = "https://app.example.com/";

    fn webhook(id: &str, name: &str, url: &str, events: &[&str]) -> Webhook {
        Webhook {
            id: id.into(),
            name: name.into(),
            url: url.into(),
            events: events.iter().map(|e| (*e).to_owned()).collect(),
            active: Some(true),
            ..Webhook::default()
        }
    }

    fn action(id: &str, event: &str, name: &str, url: &str) -> CustomAction {
        CustomAction {
            id: id.into(),
            event: event.into(),
            name: name.into(),
            description: "d".into(),
            url: url.into(),
            ..CustomAction::default()
        }
    }

    fn manifest() -> Manifest {
        Manifest::new()
            .webhook_events(["file.ready", "comment.created"])
            .action(ManifestAction::new("rename", "Rename", "d"))
    }

    #[test]
    fn an_empty_workspace_gets_everything() {
        let plan = Plan::between(&Desired::from_manifest(&manifest(), URL, "kit"), &[], &[]);
        assert_eq!(plan.changes.len(), 2);
        assert!(
            plan.to_string()
                .ends_with("Plan: 2 to create, 0 to update, 0 to delete, 0 unchanged.\n")
        );
    }

    #[test]
    fn a_matching_workspace_is_unchanged_and_drift_is_found() {
        let desired = Desired::from_manifest(&manifest(), URL, "kit");
        let hooks = [webhook(
            "w1",
            "kit",
            URL,
            &["file.ready", "comment.created"],
        )];
        let actions = [action("a1", "rename", "Rename", URL)];
        let plan = Plan::between(&desired, &hooks, &actions);
        assert!(plan.is_empty(), "{plan}");
        assert_eq!(plan.unchanged, 2);

        // Re-pointed webhook with an event removed, a renamed action, a stray action at our
        // URL, a duplicate webhook by name, someone else's action.
        let hooks = [
            webhook("w1", "kit", "https://elsewhere/", &["file.ready"]),
            webhook("w2", "kit", "https://third/", &["file.ready"]),
        ];
        let actions = [
            action("a1", "rename", "Renamed by hand", URL),
            action("a2", "old", "Old", URL),
            action("a3", "theirs", "Theirs", "https://other/"),
        ];
        let text = Plan::between(&desired, &hooks, &actions).to_string();
        assert_eq!(
            text,
            "~ webhook \"kit\" [w1]: url https://elsewhere/ → https://app.example.com/; events +comment.created\n\
             - webhook \"kit\" [w2] → https://third/\n\
             ~ action rename [a1]: name \"Renamed by hand\" → \"Rename\"\n\
             - action \"Old\" (old) [a2]\n\
             Plan: 0 to create, 2 to update, 2 to delete, 0 unchanged.\n"
        );
    }

    #[test]
    fn no_event_types_delete_the_webhook() {
        let manifest = Manifest::new().action(ManifestAction::new("rename", "Rename", "d"));
        let desired = Desired::from_manifest(&manifest, URL, "kit");
        let hooks = [webhook("w1", "kit", URL, &["file.ready"])];
        let actions = [action("a1", "rename", "Rename", URL)];
        let plan = Plan::between(&desired, &hooks, &actions);
        assert_eq!(plan.counts(), (0, 0, 1));
        assert!(Plan::between(&desired, &[], &actions).is_empty());
    }

    #[test]
    fn a_record_is_matched_by_id_only() {
        let record = Installation {
            account_id: "a".into(),
            workspace_id: "w".into(),
            webhook: Some(InstalledWebhook {
                id: "w1".into(),
                url: URL.into(),
                events: vec!["file.ready".into()],
                secret: "s".into(),
                retiring: vec![],
            }),
            actions: vec![InstalledAction {
                id: "a1".into(),
                event: "rename".into(),
                name: "Rename".into(),
                description: "d".into(),
                url: URL.into(),
                secret: "s".into(),
                retiring: vec![],
            }],
            config: FieldValues::new(),
            installed_by: "u".into(),
            installed_at: 0,
            updated_at: 0,
        };
        let desired = Desired::from_installation(&record, "Acme");
        let hooks = [webhook("w1", "Acme", URL, &["file.ready"])];
        let actions = [action("a1", "rename", "Rename", URL)];
        assert!(Plan::between(&desired, &hooks, &actions).is_empty());
        // Another webhook at the same URL and a second `rename` action are not this one.
        let hooks = [webhook("w9", "Acme", URL, &["file.ready"])];
        let actions = [action("a9", "rename", "Rename", URL)];
        let plan = Plan::between(&desired, &hooks, &actions);
        assert_eq!(plan.counts(), (2, 0, 0), "{plan}");
        assert!(matches!(
            &plan.changes[0],
            PlanChange::CreateWebhook { replaces: Some(id), .. } if id == "w1"
        ));
        // A deleted action counts as missing; a deactivated webhook is patched.
        let mut hook = webhook("w1", "Acme", URL, &["file.ready"]);
        hook.active = Some(false);
        let mut gone = action("a1", "rename", "Rename", URL);
        gone.deleted_at = Some("2026-01-01T00:00:00Z".into());
        let plan = Plan::between(&desired, &[hook], &[gone]);
        assert_eq!(
            plan.to_string(),
            "~ webhook \"Acme\" [w1]: inactive → active\n\
             + action \"Rename\" (rename) → https://app.example.com/\n\
             Plan: 1 to create, 1 to update, 0 to delete, 0 unchanged.\n"
        );
    }
}
