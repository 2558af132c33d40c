//! One change a plan makes, why, and the API call that makes it.

use std::fmt;

use super::super::InstallError;
use crate::client::custom_actions::{CreateAction, CustomAction, UpdateAction};
use crate::client::webhooks::{CreateWebhook, UpdateWebhook, Webhook};
use crate::client::{Client, ClientError};

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

/// One change a [`Plan`](super::Plan) makes.
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
