//! The one comparison between what should exist in a Frame.io workspace (a webhook and custom
//! actions) and what does, and the API calls that close the gap.
//!
//! Both views of an installation use it: the install pages' drift check and repair
//! ([`Install::drift`](super::Install::drift), [`Install::repair`](super::Install::repair)),
//! which compare an [`Installation`](super::Installation) record with the resources it names, their update diff
//! ([`ManifestDiff`](super::ManifestDiff), the manifest against the record), and
//! `frameio-kit install plan|apply|check`, which compares an app's [`Manifest`](crate::manifest::Manifest) with
//! everything listed in a workspace.

use std::fmt;

use crate::client::custom_actions::{CreateAction, CustomAction, UpdateAction};
use crate::client::webhooks::{CreateWebhook, UpdateWebhook, Webhook};

mod change;
mod desired;
#[cfg(test)]
mod tests;

pub use change::{Created, Difference, PlanChange};
pub use desired::{Desired, Prune, WantedAction, WantedWebhook};

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
        let adopt = matches!(desired.prune, Prune::Adopt(_));
        if let Some(wanted) = &desired.webhook {
            plan.webhook(wanted, webhooks, &desired.prune);
        }
        let live: Vec<&CustomAction> = actions.iter().filter(|a| a.deleted_at.is_none()).collect();
        let mut matched: Vec<&str> = Vec::new();
        for wanted in &desired.actions {
            let mut candidates: Vec<&CustomAction> = live
                .iter()
                .copied()
                .filter(|a| match &wanted.id {
                    Some(id) => a.id == *id,
                    None => !adopt && a.event == wanted.event && !matched.contains(&a.id.as_str()),
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
                    Prune::AtUrl(url) | Prune::Adopt(url) => {
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

    fn webhook(&mut self, wanted: &WantedWebhook, webhooks: &[Webhook], prune: &Prune) {
        let adopt_url = match prune {
            Prune::Adopt(url) => Some(url.as_str()),
            _ => None,
        };
        let mut ours: Vec<&Webhook> = webhooks
            .iter()
            .filter(|w| match &wanted.id {
                Some(id) => w.id == *id,
                None => adopt_url.is_none() && (w.url == wanted.url || w.name == wanted.name),
            })
            .collect();
        // Adopting: the other webhooks at the URL or with the name are leftovers whose
        // secrets nobody kept.
        let leftovers: Vec<&Webhook> = adopt_url.map_or_else(Vec::new, |url| {
            webhooks
                .iter()
                .filter(|w| {
                    (w.url == url || w.name == wanted.name)
                        && wanted.id.as_deref() != Some(w.id.as_str())
                })
                .collect()
        });
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
            self.changes.extend(leftovers.iter().map(|w| delete(w)));
            return;
        };
        if wanted.events.is_empty() {
            self.changes.extend(ours.iter().map(|w| delete(w)));
            self.changes.extend(leftovers.iter().map(|w| delete(w)));
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
        self.changes.extend(leftovers.iter().map(|w| delete(w)));
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
