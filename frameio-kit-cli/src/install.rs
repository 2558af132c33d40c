//! `install plan|apply|check`: the app's webhook and custom actions, declared by its manifest,
//! made to exist in one Frame.io workspace.
//!
//! What is "ours" in the workspace: webhooks whose URL is the receiver URL or whose name is
//! the webhook name (so a webhook someone re-pointed elsewhere is still found and repaired),
//! and actions whose URL is the receiver URL or whose event key is in the manifest.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

use anyhow::Context as _;
use frameio_kit::Manifest;
use frameio_kit::client::Client;
use frameio_kit::client::custom_actions::{CreateAction, CustomAction, UpdateAction};
use frameio_kit::client::webhooks::{CreateWebhook, UpdateWebhook, Webhook};
use serde::{Deserialize, Serialize};

/// One change the plan makes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Change {
    CreateWebhook(CreateWebhook),
    UpdateWebhook {
        id: String,
        name: String,
        update: UpdateWebhook,
        why: Vec<String>,
    },
    DeleteWebhook {
        id: String,
        name: String,
        url: String,
    },
    CreateAction(CreateAction),
    UpdateAction {
        id: String,
        event: String,
        update: UpdateAction,
        why: Vec<String>,
    },
    DeleteAction {
        id: String,
        event: String,
        name: String,
    },
}

/// The plan: changes, and how many resources are already right.
#[derive(Debug, Clone, Default)]
pub(crate) struct Plan {
    pub(crate) changes: Vec<Change>,
    pub(crate) unchanged: usize,
}

impl Plan {
    pub(crate) fn is_empty(&self) -> bool {
        self.changes.is_empty()
    }

    pub(crate) fn render(&self) -> String {
        let mut out = String::new();
        for change in &self.changes {
            let _ = match change {
                Change::CreateWebhook(w) => writeln!(
                    out,
                    "+ webhook {:?} → {} ({} event types: {})",
                    w.name,
                    w.url,
                    w.events.len(),
                    w.events.join(", ")
                ),
                Change::UpdateWebhook { id, name, why, .. } => {
                    writeln!(out, "~ webhook {name:?} [{id}]: {}", why.join("; "))
                }
                Change::DeleteWebhook { id, name, url } => {
                    writeln!(out, "- webhook {name:?} [{id}] → {url} (duplicate)")
                }
                Change::CreateAction(a) => {
                    writeln!(out, "+ action {:?} ({}) → {}", a.name, a.event, a.url)
                }
                Change::UpdateAction { id, event, why, .. } => {
                    writeln!(out, "~ action {event} [{id}]: {}", why.join("; "))
                }
                Change::DeleteAction { id, event, name } => {
                    writeln!(
                        out,
                        "- action {name:?} ({event}) [{id}]: not in the manifest"
                    )
                }
            };
        }
        let count = |f: fn(&Change) -> bool| self.changes.iter().filter(|c| f(c)).count();
        let _ = writeln!(
            out,
            "Plan: {} to create, {} to update, {} to delete, {} unchanged.",
            count(|c| matches!(c, Change::CreateWebhook(_) | Change::CreateAction(_))),
            count(|c| matches!(
                c,
                Change::UpdateWebhook { .. } | Change::UpdateAction { .. }
            )),
            count(|c| matches!(
                c,
                Change::DeleteWebhook { .. } | Change::DeleteAction { .. }
            )),
            self.unchanged
        );
        out
    }
}

/// What the plan compares against.
#[derive(Debug, Clone)]
pub(crate) struct Target<'a> {
    pub(crate) manifest: &'a Manifest,
    pub(crate) url: &'a str,
    pub(crate) webhook_name: &'a str,
}

/// Computes the changes that make `webhooks`/`actions` (everything in the workspace) match
/// the target. Pure: no I/O.
pub(crate) fn plan(target: &Target<'_>, webhooks: &[Webhook], actions: &[CustomAction]) -> Plan {
    let mut plan = Plan::default();
    let wanted_events = target.manifest.webhook_events.clone();

    // The webhook: ours are those at our URL or with our name; keep the best, drop the rest.
    let mut ours: Vec<&Webhook> = webhooks
        .iter()
        .filter(|w| w.url == target.url || w.name == target.webhook_name)
        .collect();
    ours.sort_by_key(|w| {
        (
            w.url != target.url,
            w.name != target.webhook_name,
            w.id.clone(),
        )
    });
    let (keep, extra) = match ours.split_first() {
        Some((keep, extra)) => (Some(*keep), extra.to_vec()),
        None => (None, Vec::new()),
    };
    match (keep, wanted_events.is_empty()) {
        (None, false) => plan.changes.push(Change::CreateWebhook(CreateWebhook::new(
            target.webhook_name,
            target.url,
            wanted_events.clone(),
        ))),
        (None, true) => {}
        (Some(existing), true) => plan.changes.push(Change::DeleteWebhook {
            id: existing.id.clone(),
            name: existing.name.clone(),
            url: existing.url.clone(),
        }),
        (Some(existing), false) => {
            let mut update = UpdateWebhook::default();
            let mut why = Vec::new();
            if existing.url != target.url {
                why.push(format!("url {} → {}", existing.url, target.url));
                update.url = Some(target.url.to_owned());
            }
            if existing.name != target.webhook_name {
                why.push(format!(
                    "name {:?} → {:?}",
                    existing.name, target.webhook_name
                ));
                update.name = Some(target.webhook_name.to_owned());
            }
            let mut have = existing.events.clone();
            have.sort();
            have.dedup();
            if have != wanted_events {
                let added: Vec<_> = wanted_events.iter().filter(|e| !have.contains(e)).collect();
                let removed: Vec<_> = have.iter().filter(|e| !wanted_events.contains(e)).collect();
                let mut parts = Vec::new();
                if !added.is_empty() {
                    parts.push(format!("+{}", join(&added)));
                }
                if !removed.is_empty() {
                    parts.push(format!("-{}", join(&removed)));
                }
                why.push(format!("events {}", parts.join(" ")));
                update.events = Some(wanted_events.clone());
            }
            if existing.active == Some(false) {
                why.push("inactive → active".to_owned());
                update.active = Some(true);
            }
            if why.is_empty() {
                plan.unchanged += 1;
            } else {
                plan.changes.push(Change::UpdateWebhook {
                    id: existing.id.clone(),
                    name: target.webhook_name.to_owned(),
                    update,
                    why,
                });
            }
        }
    }
    for duplicate in extra {
        plan.changes.push(Change::DeleteWebhook {
            id: duplicate.id.clone(),
            name: duplicate.name.clone(),
            url: duplicate.url.clone(),
        });
    }

    // Actions, matched by event key.
    let live: Vec<&CustomAction> = actions.iter().filter(|a| a.deleted_at.is_none()).collect();
    let mut matched: Vec<&str> = Vec::new();
    for wanted in &target.manifest.actions {
        let mut candidates: Vec<&&CustomAction> =
            live.iter().filter(|a| a.event == wanted.event).collect();
        candidates.sort_by_key(|a| (a.url != target.url, a.id.clone()));
        let Some(existing) = candidates.first() else {
            plan.changes.push(Change::CreateAction(CreateAction::new(
                &wanted.name,
                &wanted.description,
                &wanted.event,
                target.url,
            )));
            continue;
        };
        matched.push(&existing.id);
        let mut update = UpdateAction::default();
        let mut why = Vec::new();
        if existing.name != wanted.name {
            why.push(format!("name {:?} → {:?}", existing.name, wanted.name));
            update.name = Some(wanted.name.clone());
        }
        if existing.description != wanted.description {
            why.push(format!(
                "description {:?} → {:?}",
                existing.description, wanted.description
            ));
            update.description = Some(wanted.description.clone());
        }
        if existing.url != target.url {
            why.push(format!("url {} → {}", existing.url, target.url));
            update.url = Some(target.url.to_owned());
        }
        if existing.active == Some(false) {
            why.push("inactive → active".to_owned());
            update.active = Some(true);
        }
        if why.is_empty() {
            plan.unchanged += 1;
        } else {
            plan.changes.push(Change::UpdateAction {
                id: existing.id.clone(),
                event: wanted.event.clone(),
                update,
                why,
            });
        }
    }
    // Ours but not (or no longer) wanted: at our URL and not matched above. Duplicates of a
    // wanted event key at our URL go too.
    for action in live {
        let wanted = target.manifest.find_action(&action.event).is_some();
        let at_our_url = action.url == target.url;
        if !matched.contains(&action.id.as_str()) && (at_our_url || wanted) {
            plan.changes.push(Change::DeleteAction {
                id: action.id.clone(),
                event: action.event.clone(),
                name: action.name.clone(),
            });
        }
    }
    plan
}

fn join(items: &[&String]) -> String {
    items
        .iter()
        .map(|s| s.as_str())
        .collect::<Vec<_>>()
        .join(",")
}

/// The signing secrets of created resources, as written by `apply`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Secrets {
    /// The webhook's id and secret.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) webhook: Option<SecretEntry>,
    /// Per action event key.
    #[serde(default)]
    pub(crate) actions: BTreeMap<String, SecretEntry>,
}

/// One resource's id and signing secret.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct SecretEntry {
    pub(crate) id: String,
    pub(crate) secret: String,
}

impl std::fmt::Debug for SecretEntry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SecretEntry")
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}

/// Lists everything in the workspace.
pub(crate) async fn fetch(
    client: &Client,
    account: &str,
    workspace: &str,
) -> anyhow::Result<(Vec<Webhook>, Vec<CustomAction>)> {
    let webhooks = client
        .webhooks()
        .list(account, workspace)
        .collect_all()
        .await
        .context("cannot list the workspace's webhooks")?;
    let actions = client
        .custom_actions()
        .list(account, workspace)
        .collect_all()
        .await
        .context("cannot list the workspace's custom actions")?;
    Ok((webhooks, actions))
}

/// Carries out the plan and returns the secrets of what it created. `log` gets one line per
/// change done.
pub(crate) async fn apply(
    client: &Client,
    account: &str,
    workspace: &str,
    plan: &Plan,
    log: &mut dyn FnMut(String),
) -> anyhow::Result<Secrets> {
    let mut secrets = Secrets::default();
    for change in &plan.changes {
        match change {
            Change::CreateWebhook(create) => {
                let made = client
                    .webhooks()
                    .create(account, workspace, create)
                    .await
                    .context("cannot create the webhook")?;
                log(format!("created webhook {:?} [{}]", made.name, made.id));
                if let Some(secret) = made.secret {
                    secrets.webhook = Some(SecretEntry {
                        id: made.id,
                        secret,
                    });
                }
            }
            Change::UpdateWebhook { id, update, .. } => {
                client
                    .webhooks()
                    .update(account, id, update)
                    .await
                    .with_context(|| format!("cannot update webhook {id}"))?;
                log(format!("updated webhook [{id}]"));
            }
            Change::DeleteWebhook { id, .. } => {
                delete_tolerating_404(client.webhooks().delete(account, id).await)
                    .with_context(|| format!("cannot delete webhook {id}"))?;
                log(format!("deleted webhook [{id}]"));
            }
            Change::CreateAction(create) => {
                let made = client
                    .custom_actions()
                    .create(account, workspace, create)
                    .await
                    .with_context(|| format!("cannot create action {}", create.event))?;
                log(format!(
                    "created action {:?} ({}) [{}]",
                    made.name, made.event, made.id
                ));
                if let Some(secret) = made.secret {
                    secrets.actions.insert(
                        create.event.clone(),
                        SecretEntry {
                            id: made.id,
                            secret,
                        },
                    );
                }
            }
            Change::UpdateAction {
                id, event, update, ..
            } => {
                client
                    .custom_actions()
                    .update(account, id, update)
                    .await
                    .with_context(|| format!("cannot update action {event} [{id}]"))?;
                log(format!("updated action {event} [{id}]"));
            }
            Change::DeleteAction { id, event, .. } => {
                delete_tolerating_404(client.custom_actions().delete(account, id).await)
                    .with_context(|| format!("cannot delete action {event} [{id}]"))?;
                log(format!("deleted action {event} [{id}]"));
            }
        }
    }
    Ok(secrets)
}

fn delete_tolerating_404(
    result: Result<(), frameio_kit::client::ClientError>,
) -> Result<(), frameio_kit::client::ClientError> {
    match result {
        Err(err) if err.status().map(|s| s.as_u16()) == Some(404) => Ok(()),
        other => other,
    }
}

/// Merges new secrets into a JSON file (created with mode 0600), dropping entries of deleted
/// resources, so the file always holds one secret per live resource.
pub(crate) fn write_secrets_file(path: &Path, new: &Secrets, plan: &Plan) -> anyhow::Result<()> {
    let mut all = match std::fs::read_to_string(path) {
        Ok(text) => serde_json::from_str::<Secrets>(&text)
            .with_context(|| format!("{} is not a secrets file", path.display()))?,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => Secrets::default(),
        Err(err) => return Err(err).with_context(|| format!("cannot read {}", path.display())),
    };
    for change in &plan.changes {
        match change {
            Change::DeleteWebhook { id, .. }
                if all.webhook.as_ref().is_some_and(|w| &w.id == id) =>
            {
                all.webhook = None;
            }
            Change::DeleteAction { id, .. } => all.actions.retain(|_, entry| &entry.id != id),
            _ => {}
        }
    }
    if let Some(webhook) = &new.webhook {
        all.webhook = Some(webhook.clone());
    }
    all.actions
        .extend(new.actions.iter().map(|(k, v)| (k.clone(), v.clone())));
    let text = serde_json::to_string_pretty(&all)?;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    let mut file = options
        .open(path)
        .with_context(|| format!("cannot write {}", path.display()))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        file.set_permissions(std::fs::Permissions::from_mode(0o600))?;
    }
    std::io::Write::write_all(&mut file, format!("{text}\n").as_bytes())
        .with_context(|| format!("cannot write {}", path.display()))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use frameio_kit::manifest::ManifestAction;

    fn webhook(id: &str, name: &str, url: &str, events: &[&str]) -> Webhook {
        let mut w = Webhook::default();
        w.id = id.into();
        w.name = name.into();
        w.url = url.into();
        w.events = events.iter().map(|e| (*e).to_owned()).collect();
        w.active = Some(true);
        w
    }

    fn action(id: &str, event: &str, name: &str, url: &str) -> CustomAction {
        let mut a = CustomAction::default();
        a.id = id.into();
        a.event = event.into();
        a.name = name.into();
        a.description = "d".into();
        a.url = url.into();
        a
    }

    fn manifest() -> Manifest {
        Manifest::new()
            .webhook_events(["file.ready", "comment.created"])
            .action(ManifestAction::new("rename", "Rename", "d"))
    }

    const URL: &str = "https://app.example.com/";

    #[test]
    fn empty_workspace_creates_everything() {
        let m = manifest();
        let t = Target {
            manifest: &m,
            url: URL,
            webhook_name: "kit",
        };
        let p = plan(&t, &[], &[]);
        assert_eq!(p.changes.len(), 2);
        assert!(
            p.render()
                .contains("Plan: 2 to create, 0 to update, 0 to delete, 0 unchanged.")
        );
    }

    #[test]
    fn matching_workspace_is_unchanged_and_drift_is_found() {
        let m = manifest();
        let t = Target {
            manifest: &m,
            url: URL,
            webhook_name: "kit",
        };
        let hooks = [webhook(
            "w1",
            "kit",
            URL,
            &["file.ready", "comment.created"],
        )];
        let actions = [action("a1", "rename", "Rename", URL)];
        let p = plan(&t, &hooks, &actions);
        assert!(p.is_empty(), "{}", p.render());
        assert_eq!(p.unchanged, 2);

        // Renamed action, re-pointed webhook, deleted event, a stray action at our URL.
        let hooks = [webhook("w1", "kit", "https://elsewhere/", &["file.ready"])];
        let actions = [
            action("a1", "rename", "Renamed by hand", URL),
            action("a2", "old", "Old", URL),
            action("a3", "theirs", "Theirs", "https://other/"),
        ];
        let p = plan(&t, &hooks, &actions);
        let text = p.render();
        assert!(
            text.contains("url https://elsewhere/ → https://app.example.com/"),
            "{text}"
        );
        assert!(text.contains("events +comment.created"), "{text}");
        assert!(
            text.contains("name \"Renamed by hand\" → \"Rename\""),
            "{text}"
        );
        assert!(text.contains("- action \"Old\" (old) [a2]"), "{text}");
        assert!(!text.contains("theirs"), "{text}");
    }
}
