//! Resending a webhook delivery (issue 11's leftovers): the team makes one more attempt of a
//! delivered or failed delivery, now, with the same `webhook-id` (a receiver that took it
//! already drops it as a repeat) and the same body. A resend that fails is retried only on what
//! is left of the delivery's schedule (`RETRY_AFTER`, by its attempt count: nothing once a day's
//! retries ran out), and a delivery still waiting for its next attempt is not resent (that
//! attempt comes anyway).

use embargo_core::id::{DeliveryId, WebhookId};
use embargo_core::permission::Actor;
use embargo_store::StoreExt;
use serde_json::json;

use crate::audit::record;
use crate::{App, AppError, TeamRef};

impl App {
    /// Resends one delivery of a webhook of an organisation or a project (its team).
    pub async fn resend_delivery(
        &self,
        actor: &Actor,
        owner: &TeamRef,
        webhook: &str,
        delivery: &str,
    ) -> Result<(), AppError> {
        let (org, project) = self.webhook_owner(actor, owner, false).await?;
        let webhook: WebhookId = webhook.parse().map_err(|_| AppError::NotFound)?;
        let delivery: DeliveryId = delivery.parse().map_err(|_| AppError::NotFound)?;
        let (now, actor, entropy) = (self.now(), actor.clone(), std::sync::Arc::clone(&self.entropy));
        self.store
            .write(move |tx| {
                Box::pin(async move {
                    let hook = tx.webhook(webhook).await?.ok_or(AppError::NotFound)?;
                    let found = tx.delivery(delivery).await?.ok_or(AppError::NotFound)?;
                    if hook.org_id != org || hook.project_id != project || found.webhook_id != hook.id {
                        return Err(AppError::NotFound);
                    }
                    if !tx.reopen_delivery(delivery, now).await? {
                        return Err(AppError::Conflict { what: "an attempt of this delivery waiting to be made" });
                    }
                    super::schedule_attempt(tx, entropy.as_ref(), now, now, delivery).await?;
                    let details = json!({"delivery": delivery.to_string(), "event_type": found.event_type});
                    record(tx, now, &actor, "webhook.delivery_resent", super::subject(&hook), details).await
                })
            })
            .await
    }
}
