//! Secret rotation without a refused delivery.

#[allow(clippy::wildcard_imports)]
use super::*;

impl Install {
    /// Rotates every signing secret without refusing a delivery: creates a replacement for the
    /// webhook and each action, accepts the old and new secrets side by side, deletes the old
    /// resources, then drops the old secrets once the rotation grace period
    /// ([`InstallBuilder::rotation_grace`](crate::install::InstallBuilder::rotation_grace)) has passed.
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
