//! Adoption: the app's webhook and actions made to exist in a workspace from outside the
//! pages (`frameio-kit install apply --secrets-store`), kept as that workspace's
//! [`Installation`] so the pages and the per-installation secrets see exactly what the pages
//! would have made.

use tracing::info;

use super::plan::{Created, Desired, Plan, PlanChange};
use super::{
    FieldValues, Install, InstallError, Installation, InstalledAction, InstalledWebhook, now_unix,
};
use crate::client::Client;
use crate::client::custom_actions::CustomAction;
use crate::client::webhooks::Webhook;

/// What [`Install::adoption_plan`] found in a workspace: its installation record (if any) and
/// the plan that makes Frame.io match the manifest and the record match Frame.io.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Adoption {
    /// The account.
    pub account_id: String,
    /// The workspace.
    pub workspace_id: String,
    /// The workspace's installation record before the plan.
    pub record: Option<Installation>,
    /// The comparison ([`Desired::adopting`] against everything listed in the workspace).
    pub plan: Plan,
    desired: Desired,
}

/// What [`Install::adopt`] left: the record, and whether the store was written.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Adopted {
    /// The workspace's installation record now.
    pub record: Installation,
    /// `false` when the record already said exactly this (nothing was written).
    pub written: bool,
}

impl Adoption {
    /// `true` when neither Frame.io nor the record needs a change.
    pub fn is_clean(&self) -> bool {
        self.plan.is_empty()
    }
}

impl Install {
    /// Lists the webhooks and custom actions of a workspace, reads its installation record
    /// and plans what [`adopt`](Self::adopt) would do: create what the manifest wants and the
    /// record does not name, patch what differs, delete leftovers at the receiver URL
    /// ([`Desired::adopting`]).
    ///
    /// # Errors
    ///
    /// [`InstallError::AccountNotAllowed`], an invalid id, or the API / store failure.
    pub async fn adoption_plan(
        &self,
        client: &Client,
        account_id: &str,
        workspace_id: &str,
    ) -> Result<Adoption, InstallError> {
        self.check_account(account_id)?;
        if !super::record::valid_id(account_id) || !super::record::valid_id(workspace_id) {
            return Err(InstallError::Field(
                "invalid account or workspace id".into(),
            ));
        }
        let record = self.installation(account_id, workspace_id).await?;
        let webhooks: Vec<Webhook> = client
            .webhooks()
            .list(account_id, workspace_id)
            .collect_all()
            .await?;
        let actions: Vec<CustomAction> = client
            .custom_actions()
            .list(account_id, workspace_id)
            .collect_all()
            .await?;
        let desired = Desired::adopting(
            &self.inner.manifest,
            self.receiver_url(),
            &self.inner.name,
            record.as_ref(),
        );
        let plan = Plan::between(&desired, &webhooks, &actions);
        Ok(Adoption {
            account_id: account_id.to_owned(),
            workspace_id: workspace_id.to_owned(),
            record,
            plan,
            desired,
        })
    }

    /// Carries out an [`Adoption`]'s plan and stores the resulting installation record (the
    /// one the pages read and [`InstallationSecrets`](super::InstallationSecrets) verifies
    /// with): every created resource's signing secret, the record's secrets for the rest. A
    /// new record gets the install fields' defaults (`installed_by` names who ran it); an
    /// existing one keeps its field values and history. Nothing is written when the record
    /// already says the same. `log` is called after each change.
    ///
    /// # Errors
    ///
    /// The API / store failure. What was done before a failure is stored, so the record
    /// matches Frame.io and running it again finishes the job.
    pub async fn adopt(
        &self,
        client: &Client,
        adoption: Adoption,
        installed_by: &str,
        log: &mut (dyn FnMut(&PlanChange) + Send),
    ) -> Result<Adopted, InstallError> {
        let Adoption {
            account_id,
            workspace_id,
            record: before,
            plan,
            desired,
        } = adoption;
        let mut created = Vec::new();
        let mut failed = None;
        for change in &plan.changes {
            match change.apply(client, &account_id, &workspace_id).await {
                Ok(made) => {
                    log(change);
                    created.extend(made);
                }
                Err(err) => {
                    failed = Some(err);
                    break;
                }
            }
        }
        let record = self.adopted_record(
            &account_id,
            &workspace_id,
            before.as_ref(),
            &desired,
            created,
            installed_by,
        );
        let written = match record {
            Ok(record) if Some(&record) == before.as_ref() => Adopted {
                record,
                written: false,
            },
            Ok(mut record) => {
                record.updated_at = now_unix();
                self.save(&record).await?;
                info!(%account_id, %workspace_id, "installation adopted");
                Adopted {
                    record,
                    written: true,
                }
            }
            Err(err) => return Err(failed.unwrap_or(err)),
        };
        match failed {
            Some(err) => Err(err),
            None => Ok(written),
        }
    }

    /// The record after an adoption: the wanted resources, each with the secret Frame.io
    /// returned when it was created now, or the one the record kept.
    fn adopted_record(
        &self,
        account_id: &str,
        workspace_id: &str,
        before: Option<&Installation>,
        desired: &Desired,
        created: Vec<Created>,
        installed_by: &str,
    ) -> Result<Installation, InstallError> {
        let now = now_unix();
        let mut record = before.cloned().unwrap_or_else(|| Installation {
            account_id: account_id.to_owned(),
            workspace_id: workspace_id.to_owned(),
            webhook: None,
            actions: Vec::new(),
            // The fields' defaults; the admin fills in the rest on the install page's
            // Update form.
            config: self
                .inner
                .fields
                .iter()
                .filter_map(|f| Some((f.name.clone(), f.default.clone()?)))
                .collect::<FieldValues>(),
            installed_by: installed_by.to_owned(),
            installed_at: now,
            updated_at: now,
        });
        let url = self.receiver_url().to_owned();
        let mut new_webhook = None;
        let mut new_actions = Vec::new();
        for made in created {
            match made {
                Created::Webhook(w) => new_webhook = Some(w),
                Created::Action(a) => new_actions.push(a),
            }
        }
        let wanted_webhook = desired.webhook.as_ref().filter(|w| !w.events.is_empty());
        record.webhook = match (wanted_webhook, new_webhook) {
            (None, _) => None,
            (Some(wanted), Some(made)) => Some(InstalledWebhook {
                id: made.id,
                url: url.clone(),
                events: wanted.events.clone(),
                secret: made.secret.ok_or_else(|| missing_secret("webhook"))?,
                retiring: Vec::new(),
            }),
            (Some(wanted), None) => record.webhook.take().map(|mut have| {
                have.url.clone_from(&url);
                have.events.clone_from(&wanted.events);
                have
            }),
        };
        let mut actions = Vec::new();
        for wanted in &desired.actions {
            let made = new_actions
                .iter()
                .position(|a| a.event == wanted.event)
                .map(|i| new_actions.swap_remove(i));
            let action = match made {
                Some(made) => Some(InstalledAction {
                    id: made.id,
                    event: wanted.event.clone(),
                    name: wanted.name.clone(),
                    description: wanted.description.clone(),
                    url: url.clone(),
                    secret: made.secret.ok_or_else(|| missing_secret("action"))?,
                    retiring: Vec::new(),
                }),
                None => record
                    .action(&wanted.event)
                    .filter(|have| wanted.id.as_deref() == Some(have.id.as_str()))
                    .cloned()
                    .map(|mut have| {
                        have.name.clone_from(&wanted.name);
                        have.description.clone_from(&wanted.description);
                        have.url.clone_from(&url);
                        have
                    }),
            };
            actions.extend(action);
        }
        actions.sort_by(|a, b| a.event.cmp(&b.event));
        record.actions = actions;
        Ok(record)
    }
}

fn missing_secret(what: &str) -> InstallError {
    InstallError::Config(format!(
        "frame.io returned no signing secret for the new {what}"
    ))
}
