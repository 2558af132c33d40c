//! Install, update, uninstall, drift, repair and rotation through an admin's API client.
//! This file: install, update, uninstall; `drift`: drift and repair; `rotate`: rotation.

use std::fmt;

use tracing::{info, warn};

use super::diff::{Change, ManifestDiff};
use super::fields::merge_values;
use super::plan::{Created, Desired, Difference, Plan, PlanChange};
use super::record::Retiring;
use super::{
    FieldValues, Install, InstallError, Installation, InstalledAction, InstalledWebhook, now_unix,
};
use crate::client::custom_actions::{CreateAction, CustomAction, UpdateAction};
use crate::client::webhooks::{CreateWebhook, UpdateWebhook, Webhook};
use crate::client::{Client, ClientError};
use crate::manifest::ManifestAction;

mod drift;
mod rotate;

pub use drift::{DriftItem, DriftReport};

fn not_found(err: &ClientError) -> bool {
    err.status().is_some_and(|s| s.as_u16() == 404)
}

/// A 404 on delete means "already gone".
async fn delete_ok(result: Result<(), ClientError>, what: &str) -> Result<(), InstallError> {
    match result {
        Ok(()) => Ok(()),
        Err(err) if not_found(&err) => {
            info!(resource = what, "already deleted in Frame.io");
            Ok(())
        }
        Err(err) => Err(err.into()),
    }
}

fn missing_secret(what: &str) -> InstallError {
    InstallError::Config(format!(
        "frame.io returned no signing secret for the new {what}"
    ))
}

impl Install {
    pub(super) fn check_account(&self, account_id: &str) -> Result<(), InstallError> {
        if self.account_allowed(account_id) {
            Ok(())
        } else {
            Err(InstallError::AccountNotAllowed)
        }
    }

    async fn create_webhook(
        &self,
        client: &Client,
        account_id: &str,
        workspace_id: &str,
        events: Vec<String>,
    ) -> Result<InstalledWebhook, InstallError> {
        let params = CreateWebhook::new(&self.inner.name, self.receiver_url(), events.clone());
        let created: Webhook = client
            .webhooks()
            .create(account_id, workspace_id, &params)
            .await?;
        let secret = created.secret.ok_or_else(|| missing_secret("webhook"))?;
        Ok(InstalledWebhook {
            id: created.id,
            url: self.receiver_url().to_owned(),
            events,
            secret,
            retiring: Vec::new(),
        })
    }

    async fn create_action(
        &self,
        client: &Client,
        account_id: &str,
        workspace_id: &str,
        action: &ManifestAction,
    ) -> Result<InstalledAction, InstallError> {
        let params = CreateAction::new(
            &action.name,
            &action.description,
            &action.event,
            self.receiver_url(),
        );
        let created: CustomAction = client
            .custom_actions()
            .create(account_id, workspace_id, &params)
            .await?;
        let secret = created.secret.ok_or_else(|| missing_secret("action"))?;
        Ok(InstalledAction {
            id: created.id,
            event: action.event.clone(),
            name: action.name.clone(),
            description: action.description.clone(),
            url: self.receiver_url().to_owned(),
            secret,
            retiring: Vec::new(),
        })
    }

    /// Installs the app in a workspace with the admin's `client`: creates the webhook (every
    /// event type of the manifest) and one custom action per manifest action, then stores the
    /// record. If Frame.io refuses part way, what was created is deleted again.
    ///
    /// # Errors
    ///
    /// [`InstallError::AccountNotAllowed`], [`InstallError::AlreadyInstalled`], a
    /// [`InstallError::Field`] for a missing or invalid value, or the API / store failure.
    pub async fn install(
        &self,
        client: &Client,
        account_id: &str,
        workspace_id: &str,
        values: &FieldValues,
        installed_by: &str,
    ) -> Result<Installation, InstallError> {
        self.check_account(account_id)?;
        if !super::record::valid_id(account_id) || !super::record::valid_id(workspace_id) {
            return Err(InstallError::Field(
                "invalid account or workspace id".into(),
            ));
        }
        if self.installation(account_id, workspace_id).await?.is_some() {
            return Err(InstallError::AlreadyInstalled);
        }
        let config = merge_values(&self.inner.fields, values, None)?;
        let now = now_unix();
        let mut record = Installation {
            account_id: account_id.to_owned(),
            workspace_id: workspace_id.to_owned(),
            webhook: None,
            actions: Vec::new(),
            config,
            installed_by: installed_by.to_owned(),
            installed_at: now,
            updated_at: now,
        };
        let created = async {
            let manifest = &self.inner.manifest;
            if !manifest.webhook_events.is_empty() {
                record.webhook = Some(
                    self.create_webhook(
                        client,
                        account_id,
                        workspace_id,
                        manifest.webhook_events.clone(),
                    )
                    .await?,
                );
            }
            for action in &manifest.actions {
                let made = self
                    .create_action(client, account_id, workspace_id, action)
                    .await?;
                record.actions.push(made);
            }
            self.save(&record).await
        }
        .await;
        if let Err(err) = created {
            warn!(account_id, workspace_id, error = %err, "install failed; removing what was created");
            self.delete_resources(client, &record).await;
            return Err(err);
        }
        info!(account_id, workspace_id, "installed");
        Ok(record)
    }

    async fn delete_resources(&self, client: &Client, record: &Installation) {
        if let Some(w) = &record.webhook
            && let Err(err) = delete_ok(
                client.webhooks().delete(&record.account_id, &w.id).await,
                "webhook",
            )
            .await
        {
            warn!(error = %err, "could not delete the webhook");
        }
        for a in &record.actions {
            if let Err(err) = delete_ok(
                client
                    .custom_actions()
                    .delete(&record.account_id, &a.id)
                    .await,
                "action",
            )
            .await
            {
                warn!(error = %err, "could not delete an action");
            }
        }
    }

    fn require(record: Option<Installation>) -> Result<Installation, InstallError> {
        record.ok_or(InstallError::NotInstalled)
    }

    /// What [`update`](Self::update) would change in a workspace.
    ///
    /// # Errors
    ///
    /// [`InstallError::NotInstalled`] or a store failure.
    pub async fn plan_update(
        &self,
        account_id: &str,
        workspace_id: &str,
    ) -> Result<ManifestDiff, InstallError> {
        let record = Self::require(self.installation(account_id, workspace_id).await?)?;
        Ok(ManifestDiff::between(
            &record,
            &self.inner.manifest,
            self.receiver_url(),
        ))
    }

    /// Brings an installation in line with the current manifest and `values` (an empty
    /// sensitive value keeps the stored one). Only what changed is touched; existing
    /// resources keep their secrets.
    ///
    /// # Errors
    ///
    /// As [`install`](Self::install), or [`InstallError::NotInstalled`].
    pub async fn update(
        &self,
        client: &Client,
        account_id: &str,
        workspace_id: &str,
        values: &FieldValues,
    ) -> Result<(Installation, ManifestDiff), InstallError> {
        self.check_account(account_id)?;
        let mut record = Self::require(self.installation(account_id, workspace_id).await?)?;
        record.config = merge_values(&self.inner.fields, values, Some(&record.config))?;
        let diff = ManifestDiff::between(&record, &self.inner.manifest, self.receiver_url());
        let applied = self.apply(client, &mut record, &diff).await;
        record.updated_at = now_unix();
        // Save what was done even when a later step failed, so the record matches Frame.io.
        self.save(&record).await?;
        applied?;
        info!(
            account_id,
            workspace_id,
            changes = diff.changes.len(),
            "updated"
        );
        Ok((record, diff))
    }

    async fn apply(
        &self,
        client: &Client,
        record: &mut Installation,
        diff: &ManifestDiff,
    ) -> Result<(), InstallError> {
        let account = record.account_id.clone();
        let workspace = record.workspace_id.clone();
        let events = self.inner.manifest.webhook_events.clone();
        if diff.touches_webhook() {
            match (&mut record.webhook, events.is_empty()) {
                (Some(w), true) => {
                    delete_ok(client.webhooks().delete(&account, &w.id).await, "webhook").await?;
                    record.webhook = None;
                }
                (Some(w), false) => {
                    let patch = UpdateWebhook {
                        events: Some(events.clone()),
                        url: Some(self.receiver_url().to_owned()),
                        ..UpdateWebhook::default()
                    };
                    client.webhooks().update(&account, &w.id, &patch).await?;
                    w.events = events;
                    w.url = self.receiver_url().to_owned();
                }
                (None, false) => {
                    record.webhook = Some(
                        self.create_webhook(client, &account, &workspace, events)
                            .await?,
                    );
                }
                (None, true) => {}
            }
        }
        for change in &diff.changes {
            match change {
                Change::AddAction(action) => {
                    let made = self
                        .create_action(client, &account, &workspace, action)
                        .await?;
                    record.actions.push(made);
                }
                Change::RemoveAction(event, _) => {
                    if let Some(pos) = record.actions.iter().position(|a| a.event == *event) {
                        let id = record.actions[pos].id.clone();
                        delete_ok(
                            client.custom_actions().delete(&account, &id).await,
                            "action",
                        )
                        .await?;
                        record.actions.remove(pos);
                    }
                }
                Change::ChangeAction(action, _) => {
                    if let Some(have) = record.actions.iter_mut().find(|a| a.event == action.event)
                    {
                        let patch = UpdateAction {
                            name: Some(action.name.clone()),
                            description: Some(action.description.clone()),
                            url: Some(self.receiver_url().to_owned()),
                            ..UpdateAction::default()
                        };
                        client
                            .custom_actions()
                            .update(&account, &have.id, &patch)
                            .await?;
                        have.name = action.name.clone();
                        have.description = action.description.clone();
                        have.url = self.receiver_url().to_owned();
                    }
                }
                _ => {}
            }
        }
        record.actions.sort_by(|a, b| a.event.cmp(&b.event));
        Ok(())
    }

    /// Deletes the webhook and actions in Frame.io (a 404 there is fine: already gone), then
    /// the record.
    ///
    /// # Errors
    ///
    /// [`InstallError::NotInstalled`], or the API / store failure (the record is kept when
    /// Frame.io refuses, so the admin can retry).
    pub async fn uninstall(
        &self,
        client: &Client,
        account_id: &str,
        workspace_id: &str,
    ) -> Result<(), InstallError> {
        self.check_account(account_id)?;
        let record = Self::require(self.installation(account_id, workspace_id).await?)?;
        if let Some(w) = &record.webhook {
            delete_ok(client.webhooks().delete(account_id, &w.id).await, "webhook").await?;
        }
        for a in &record.actions {
            delete_ok(
                client.custom_actions().delete(account_id, &a.id).await,
                "action",
            )
            .await?;
        }
        self.forget(account_id, workspace_id).await?;
        info!(account_id, workspace_id, "uninstalled");
        Ok(())
    }
}
