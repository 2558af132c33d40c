//! Drift (Frame.io against an installation record) and its repair.

#[allow(clippy::wildcard_imports)]
use super::*;

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

impl Install {
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
}
