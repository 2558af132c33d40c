//! Install, update, uninstall, drift, repair and rotation through an admin's API client.

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

/// One way Frame.io no longer matches an installation record.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum DriftItem {
    /// The webhook was deleted in Frame.io.
    WebhookMissing,
    /// The webhook was deactivated.
    WebhookInactive,
    /// The webhook delivers elsewhere.
    WebhookUrl,
    /// The webhook's event types were edited.
    WebhookEvents,
    /// The webhook was renamed.
    WebhookName,
    /// The action (event key, name) was deleted.
    ActionMissing(String, String),
    /// The action (event key, name) was edited: what differs (`name`, `description`,
    /// `url`).
    ActionChanged(String, String, Vec<&'static str>),
    /// The action (event key, name) was deactivated.
    ActionInactive(String, String),
}

impl fmt::Display for DriftItem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::WebhookMissing => f.write_str("webhook: deleted in Frame.io"),
            Self::WebhookInactive => f.write_str("webhook: inactive"),
            Self::WebhookUrl => f.write_str("webhook: delivers to another URL"),
            Self::WebhookEvents => f.write_str("webhook: event types edited"),
            Self::WebhookName => f.write_str("webhook: renamed"),
            Self::ActionMissing(_, name) => write!(f, "action {name:?}: deleted in Frame.io"),
            Self::ActionChanged(_, name, what) => {
                write!(f, "action {name:?}: {} edited", what.join(", "))
            }
            Self::ActionInactive(_, name) => write!(f, "action {name:?}: inactive"),
        }
    }
}

/// What [`Install::drift`] found; empty when Frame.io matches the record.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DriftReport {
    /// The differences.
    pub items: Vec<DriftItem>,
    /// The changes that undo them (what [`Install::repair`] carries out).
    pub plan: Plan,
}

impl DriftReport {
    /// `true` when nothing drifted.
    pub fn is_clean(&self) -> bool {
        self.items.is_empty()
    }

    /// The drift items of a plan made with [`Desired::from_installation`] (`record` gives
    /// the names of missing actions).
    pub fn from_plan(plan: Plan, record: &Installation) -> Self {
        let mut items = Vec::new();
        for change in &plan.changes {
            match change {
                PlanChange::CreateWebhook { .. } => items.push(DriftItem::WebhookMissing),
                PlanChange::UpdateWebhook { differences, .. } => {
                    for d in differences {
                        items.push(match d {
                            Difference::Inactive => DriftItem::WebhookInactive,
                            Difference::Url { .. } => DriftItem::WebhookUrl,
                            Difference::Events { .. } => DriftItem::WebhookEvents,
                            _ => DriftItem::WebhookName,
                        });
                    }
                }
                PlanChange::CreateAction { create, replaces } => {
                    let name = replaces
                        .as_ref()
                        .and_then(|id| record.actions.iter().find(|a| a.id == *id))
                        .map_or_else(|| create.name.clone(), |a| a.name.clone());
                    items.push(DriftItem::ActionMissing(create.event.clone(), name));
                }
                PlanChange::UpdateAction {
                    event, differences, ..
                } => {
                    let name = record
                        .action(event)
                        .map_or_else(|| event.clone(), |a| a.name.clone());
                    let mut what: Vec<&'static str> = Vec::new();
                    for d in differences {
                        if matches!(d, Difference::Inactive) {
                            items.push(DriftItem::ActionInactive(event.clone(), name.clone()));
                        } else {
                            what.push(d.field());
                        }
                    }
                    if !what.is_empty() {
                        items.push(DriftItem::ActionChanged(event.clone(), name, what));
                    }
                }
                PlanChange::DeleteWebhook { .. } | PlanChange::DeleteAction { .. } => {}
            }
        }
        Self { items, plan }
    }
}

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
    fn check_account(&self, account_id: &str) -> Result<(), InstallError> {
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

    /// Compares an installation with what Frame.io has now: the webhook exists, is active,
    /// has the app's name, the same URL and event types; each action exists with the same
    /// name, description and URL. The comparison is [`Plan::between`] with
    /// [`Desired::from_installation`] over the resources fetched by the record's ids; the
    /// report carries that plan, which [`repair`](Self::repair) carries out.
    ///
    /// # Errors
    ///
    /// [`InstallError::NotInstalled`], or an API failure other than 404.
    pub async fn drift(
        &self,
        client: &Client,
        account_id: &str,
        workspace_id: &str,
    ) -> Result<DriftReport, InstallError> {
        let record = Self::require(self.installation(account_id, workspace_id).await?)?;
        self.drift_of(client, &record).await
    }

    async fn drift_of(
        &self,
        client: &Client,
        record: &Installation,
    ) -> Result<DriftReport, InstallError> {
        let account_id = &record.account_id;
        let mut webhooks = Vec::new();
        if let Some(w) = &record.webhook {
            match client.webhooks().show(account_id, &w.id).await {
                Err(err) if not_found(&err) => {}
                Err(err) => return Err(err.into()),
                Ok(now) => webhooks.push(now),
            }
        }
        let mut actions = Vec::new();
        for a in &record.actions {
            match client.custom_actions().show(account_id, &a.id).await {
                Err(err) if not_found(&err) => {}
                Err(err) => return Err(err.into()),
                Ok(now) => actions.push(now),
            }
        }
        let desired = Desired::from_installation(record, &self.inner.name);
        let plan = Plan::between(&desired, &webhooks, &actions);
        Ok(DriftReport::from_plan(plan, record))
    }

    /// Fixes what [`drift`](Self::drift) finds by carrying out its plan: recreates what was
    /// deleted (a recreated resource has a new secret, which is stored) and patches what was
    /// edited.
    ///
    /// # Errors
    ///
    /// As [`drift`](Self::drift).
    pub async fn repair(
        &self,
        client: &Client,
        account_id: &str,
        workspace_id: &str,
    ) -> Result<DriftReport, InstallError> {
        self.check_account(account_id)?;
        let mut record = Self::require(self.installation(account_id, workspace_id).await?)?;
        let report = self.drift_of(client, &record).await?;
        if report.is_clean() {
            return Ok(report);
        }
        let result = async {
            for change in &report.plan.changes {
                let created = change.apply(client, account_id, workspace_id).await?;
                match (change, created) {
                    (PlanChange::CreateWebhook { .. }, Some(Created::Webhook(made))) => {
                        let secret = made.secret.ok_or_else(|| missing_secret("webhook"))?;
                        if let Some(w) = &mut record.webhook {
                            w.id = made.id;
                            w.secret = secret;
                            w.retiring.clear();
                        }
                    }
                    (
                        PlanChange::CreateAction {
                            replaces: Some(old),
                            ..
                        },
                        Some(Created::Action(made)),
                    ) => {
                        let secret = made.secret.ok_or_else(|| missing_secret("action"))?;
                        if let Some(a) = record.actions.iter_mut().find(|a| a.id == *old) {
                            a.id = made.id;
                            a.secret = secret;
                            a.retiring.clear();
                        }
                    }
                    _ => {}
                }
            }
            Ok::<(), InstallError>(())
        }
        .await;
        record.updated_at = now_unix();
        self.save(&record).await?;
        result?;
        info!(
            account_id,
            workspace_id,
            repaired = report.items.len(),
            "repaired"
        );
        Ok(report)
    }

    /// Rotates every signing secret without refusing a delivery: creates a replacement for the
    /// webhook and each action, accepts the old and new secrets side by side, deletes the old
    /// resources, then drops the old secrets once the rotation grace period
    /// ([`InstallBuilder::rotation_grace`](super::InstallBuilder::rotation_grace)) has passed.
    ///
    /// # Errors
    ///
    /// [`InstallError::NotInstalled`] or an API / store failure. A failure after the
    /// replacements exist leaves both secrets accepted; rotating again finishes the job.
    pub async fn rotate(
        &self,
        client: &Client,
        account_id: &str,
        workspace_id: &str,
    ) -> Result<Installation, InstallError> {
        self.check_account(account_id)?;
        let mut record = Self::require(self.installation(account_id, workspace_id).await?)?;
        // 1. Replacements; old secrets still accepted.
        let mut old_webhook = None;
        if let Some(w) = record.webhook.clone() {
            let fresh = self
                .create_webhook(client, account_id, workspace_id, w.events.clone())
                .await?;
            let mut retiring = w.retiring.clone();
            retiring.push(Retiring {
                secret: w.secret.clone(),
                until: None,
            });
            record.webhook = Some(InstalledWebhook { retiring, ..fresh });
            old_webhook = Some(w.id);
            self.save(&record).await?;
        }
        let mut old_actions = Vec::new();
        for i in 0..record.actions.len() {
            let have = record.actions[i].clone();
            let wanted = ManifestAction::new(&have.event, &have.name, &have.description);
            let fresh = self
                .create_action(client, account_id, workspace_id, &wanted)
                .await?;
            let mut retiring = have.retiring.clone();
            retiring.push(Retiring {
                secret: have.secret.clone(),
                until: None,
            });
            record.actions[i] = InstalledAction { retiring, ..fresh };
            old_actions.push(have.id);
            self.save(&record).await?;
        }
        // 2. The old resources stop delivering.
        if let Some(id) = old_webhook {
            delete_ok(client.webhooks().delete(account_id, &id).await, "webhook").await?;
        }
        for id in old_actions {
            delete_ok(
                client.custom_actions().delete(account_id, &id).await,
                "action",
            )
            .await?;
        }
        // 3. The old secrets are accepted for the grace period only (a delivery sent just
        //    before the deletion may still be on its way), then dropped.
        let now = now_unix();
        let until = now + self.inner.rotation_grace.as_secs();
        let settle = |retiring: &mut Vec<Retiring>| {
            retiring.retain(|r| r.live(now));
            for r in retiring.iter_mut() {
                r.until = Some(r.until.map_or(until, |u| u.min(until)));
            }
            retiring.retain(|r| r.live(now));
        };
        if let Some(w) = &mut record.webhook {
            settle(&mut w.retiring);
        }
        for a in &mut record.actions {
            settle(&mut a.retiring);
        }
        record.updated_at = now_unix();
        self.save(&record).await?;
        info!(account_id, workspace_id, "secrets rotated");
        Ok(record)
    }
}
