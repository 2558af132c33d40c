//! What should exist in a workspace: from a manifest, from an installation record, or both.

use super::super::Installation;
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

/// What should exist in one workspace; see [`Plan::between`](super::Plan::between).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Desired {
    /// The webhook, if the app has one.
    pub webhook: Option<WantedWebhook>,
    /// The actions.
    pub actions: Vec<WantedAction>,
    /// Which live actions that nothing wants are deleted.
    pub prune: Prune,
}

/// Which live actions that no wanted action matched a [`Plan`](super::Plan) deletes.
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
    /// Adoption into an installation record (see [`Desired::adopting`]): only a wanted
    /// resource with a known id matches (one without is created), and every other webhook at
    /// this URL or with the wanted name, and every other action at this URL or with a wanted
    /// event key, is deleted — so what remains is exactly what the record names.
    Adopt(String),
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

    /// What a manifest asks for when the result is kept in an installation record (`record`,
    /// if the workspace has one): as [`from_manifest`](Self::from_manifest), but a resource
    /// the record names is known by its id (its signing secret is in the record), and one it
    /// does not name is created, never taken over — a resource whose secret nobody kept could
    /// not be verified. Leftovers at `url` are deleted ([`Prune::Adopt`]). Used by
    /// [`Install::adoption_plan`](super::super::Install::adoption_plan).
    pub fn adopting(
        manifest: &Manifest,
        url: &str,
        webhook_name: &str,
        record: Option<&Installation>,
    ) -> Self {
        let mut desired = Self::from_manifest(manifest, url, webhook_name);
        if let Some(record) = record {
            if let (Some(wanted), Some(have)) = (&mut desired.webhook, &record.webhook) {
                wanted.id = Some(have.id.clone());
            }
            for wanted in &mut desired.actions {
                wanted.id = record.action(&wanted.event).map(|a| a.id.clone());
            }
        }
        desired.prune = Prune::Adopt(url.to_owned());
        desired
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
