//! Outgoing webhooks: an organisation's or a project's security team
//! subscribes URLs to events; the [`Webhooks`] subscriber turns each domain
//! event into one delivery per subscribed URL, and each delivery is posted
//! by a job of its own (kind `webhook_delivery`), signed as Standard Webhooks
//! says (`signature.rs`), retried with backoff for about a day
//! ([`RETRY_AFTER`]), its outcome kept for the team page and the API.
//!
//! A delivery's id is its `webhook-id` on every attempt, so a receiver can
//! drop a repeat (the idempotency key); a retried subscriber job queues no
//! second delivery (one per webhook and job), and each attempt is a leased
//! job, so two replicas never post the same attempt.

mod payload;
mod resend;
mod signature;

use std::sync::Arc;

use async_trait::async_trait;
use embargo_core::Timestamp;
use embargo_core::id::{DeliveryId, JobId, OrgId, ProjectId, WebhookId};
use embargo_core::permission::{Action, Actor, ProjectAccess};
use embargo_core::private::Private;
use embargo_store::jobs::NewJob;
use embargo_store::webhooks::{Attempt, Delivery, DeliveryState, Webhook};
use embargo_store::{StoreExt, Writer};
use serde::{Deserialize, Serialize};
use serde_json::json;

pub use payload::EVENT_TYPES;

use crate::audit::record;
use crate::entropy::{Entropy, EntropyExt, NewIds};
use crate::events::Event;
use crate::jobs::DeliveryError;
use crate::outbound::{OutboundError, OutboundRequest, RESPONSE_KEPT};
use crate::subscribers::Subscriber;
use crate::{App, AppError, TeamRef, require};

/// The job kind of one delivery attempt.
pub(crate) const DELIVERY_KIND: &str = "webhook_delivery";

/// How long to wait before each retry after a failed attempt: the Standard
/// Webhooks example schedule (5 s, 5 min, 30 min, 2 h, 5 h, 10 h), with a
/// last wait that ends about a day after the first attempt. Then the delivery fails.
pub const RETRY_AFTER: [time::Duration; 7] = [
    time::Duration::seconds(5),
    time::Duration::minutes(5),
    time::Duration::minutes(30),
    time::Duration::hours(2),
    time::Duration::hours(5),
    time::Duration::hours(10),
    time::Duration::hours(6),
];

/// The most webhooks one organisation or project may have.
const MAX_WEBHOOKS: usize = 20;
/// The longest URL taken.
const MAX_URL: usize = 2000;
/// Deliveries shown per webhook.
const DELIVERIES_SHOWN: u32 = 20;

/// A webhook to make.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewWebhook {
    /// Where to post (`https://...`).
    pub url: String,
    /// Event types ([`EVENT_TYPES`]).
    pub events: Vec<String>,
}

/// A webhook just made, with its secret: shown this once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreatedWebhook {
    /// The webhook.
    pub webhook: Webhook,
    /// Its signing secret (`whsec_...`).
    pub secret: Private<String>,
}

/// A webhook with its newest deliveries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookView {
    /// The webhook.
    pub webhook: Webhook,
    /// Its newest deliveries, newest first.
    pub deliveries: Vec<Delivery>,
}

/// The payload of a delivery job.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct DeliveryJob {
    #[serde(with = "crate::events::as_text")]
    delivery: DeliveryId,
}

fn check_url(url: &str) -> Result<String, AppError> {
    let url = url.trim();
    let rest = url.strip_prefix("https://").or_else(|| url.strip_prefix("http://"));
    let host = rest.and_then(|r| r.split(['/', '?', '#']).next()).unwrap_or("");
    let plain = url.chars().all(|c| c.is_ascii_graphic());
    if rest.is_none() || host.is_empty() || host.contains('@') || !plain || url.len() > MAX_URL {
        return Err(AppError::invalid("url", "an http or https URL with a host, without user or password"));
    }
    Ok(url.to_owned())
}

fn check_events(events: &[String]) -> Result<Vec<String>, AppError> {
    let mut chosen: Vec<String> = Vec::new();
    for event in events {
        let Some(known) = EVENT_TYPES.iter().find(|known| **known == event.as_str()) else {
            return Err(AppError::invalid("events", "event types from the documented list (report.submitted, ...)"));
        };
        if !chosen.iter().any(|c| c == known) {
            chosen.push((*known).to_owned());
        }
    }
    if chosen.is_empty() {
        return Err(AppError::invalid("events", "at least one event type"));
    }
    Ok(chosen)
}

fn subject(webhook: &Webhook) -> String {
    format!("webhook:{}", webhook.id)
}

impl App {
    /// The organisation and project (none for an organisation's webhooks) of
    /// `owner`, once `actor` may manage it. Those who may not even see the
    /// team are told it is not found when `listing`.
    async fn webhook_owner(
        &self,
        actor: &Actor,
        owner: &TeamRef,
        listing: bool,
    ) -> Result<(OrgId, Option<ProjectId>), AppError> {
        let (org, project, action) = match owner {
            TeamRef::Organisation(slug) => {
                let org = self.organisation(slug).await?;
                (org.id, None, Action::ManageOrganisation(org.id))
            }
            TeamRef::Project(org, project) => {
                let (org, project) = self.project(org, project).await?;
                (org.id, Some(project.id), Action::ManageProject(ProjectAccess { org: org.id, project: project.id }))
            }
        };
        require(actor, action).map_err(|e| match (listing, e) {
            (true, AppError::Forbidden) => AppError::NotFound,
            (_, e) => e,
        })?;
        Ok((org, project))
    }

    /// Subscribes a URL to events of an organisation or a project. The
    /// answer holds the signing secret, which is never shown again.
    pub async fn create_webhook(
        &self,
        actor: &Actor,
        owner: &TeamRef,
        new: NewWebhook,
    ) -> Result<CreatedWebhook, AppError> {
        let (org_id, project_id) = self.webhook_owner(actor, owner, false).await?;
        let url = check_url(&new.url)?;
        let events = check_events(&new.events)?;
        let webhook =
            Webhook { id: self.entropy.webhook_id()?, org_id, project_id, url, events, created_at: self.now() };
        let secret = Private::new(signature::secret_from(&self.entropy.bytes::<32>()?));
        let (now, actor, stored, sealed) = (self.now(), actor.clone(), webhook.clone(), secret.clone());
        self.store
            .write(move |tx| {
                Box::pin(async move {
                    if tx.webhooks_of(stored.org_id, stored.project_id).await?.len() >= MAX_WEBHOOKS {
                        return Err(AppError::invalid("url", "at most 20 webhooks per organisation or project"));
                    }
                    tx.insert_webhook(&stored, &sealed).await?;
                    let details = json!({"events": stored.events, "project": stored.project_id.map(|p| p.to_string())});
                    record(tx, now, &actor, "webhook.created", subject(&stored), details).await
                })
            })
            .await?;
        Ok(CreatedWebhook { webhook, secret })
    }

    /// The webhooks of an organisation or a project, each with its newest deliveries.
    pub async fn webhooks(&self, actor: &Actor, owner: &TeamRef) -> Result<Vec<WebhookView>, AppError> {
        let (org, project) = self.webhook_owner(actor, owner, true).await?;
        let mut reader = self.store.reader().await?;
        let mut views = Vec::new();
        for webhook in reader.webhooks_of(org, project).await? {
            let deliveries = reader.deliveries_of(webhook.id, DELIVERIES_SHOWN).await?;
            views.push(WebhookView { webhook, deliveries });
        }
        Ok(views)
    }

    /// Removes a webhook of an organisation or a project, with its deliveries.
    pub async fn delete_webhook(&self, actor: &Actor, owner: &TeamRef, id: &str) -> Result<(), AppError> {
        let (org, project) = self.webhook_owner(actor, owner, false).await?;
        let id: WebhookId = id.parse().map_err(|_| AppError::NotFound)?;
        let (now, actor) = (self.now(), actor.clone());
        self.store
            .write(move |tx| {
                Box::pin(async move {
                    let webhook = tx.webhook(id).await?.ok_or(AppError::NotFound)?;
                    if webhook.org_id != org || webhook.project_id != project {
                        return Err(AppError::NotFound);
                    }
                    tx.delete_webhook(id).await?;
                    record(tx, now, &actor, "webhook.deleted", subject(&webhook), json!({})).await
                })
            })
            .await
    }

    /// Queues one delivery of `event` per webhook that hears it (the
    /// [`Webhooks`] subscriber's work). A retried `job` queues none twice.
    async fn queue_webhook_deliveries(&self, job: JobId, event: &Event) -> Result<(), AppError> {
        let (now, entropy, public_url, event) =
            (self.now(), Arc::clone(&self.entropy), self.config.public_url.clone(), event.clone());
        self.store
            .write(move |tx| {
                Box::pin(async move {
                    let Some(out) = payload::outgoing(tx, &public_url, now, &event).await? else { return Ok(()) };
                    for webhook in tx.webhooks_hearing(out.org, out.project).await? {
                        if !webhook.events.iter().any(|e| e == out.event_type) {
                            continue;
                        }
                        let delivery = Delivery {
                            id: entropy.delivery_id()?,
                            webhook_id: webhook.id,
                            event_type: out.event_type.to_owned(),
                            body: out.body.clone(),
                            created_at: now,
                            state: DeliveryState::Pending,
                            attempts: 0,
                            last: None,
                            next_attempt_at: None,
                        };
                        if tx.insert_delivery(&delivery, job).await? {
                            schedule_attempt(tx, entropy.as_ref(), now, now, delivery.id).await?;
                        }
                    }
                    Ok(())
                })
            })
            .await
    }

    /// Makes one attempt of a delivery and records it; a failure schedules the
    /// next attempt, or fails the delivery when the retries ran out.
    pub(crate) async fn attempt_delivery(&self, job: DeliveryJob) -> Result<(), DeliveryError> {
        let temporary = |e: AppError| DeliveryError::Temporary(e.to_string());
        let mut reader = self.store.reader().await.map_err(|e| temporary(e.into()))?;
        let Some(delivery) = reader.delivery(job.delivery).await.map_err(|e| temporary(e.into()))? else {
            return Ok(());
        };
        if delivery.state != DeliveryState::Pending {
            return Ok(());
        }
        let webhook = reader.webhook(delivery.webhook_id).await.map_err(|e| temporary(e.into()))?;
        let secret = reader.webhook_secret(delivery.webhook_id).await.map_err(|e| temporary(e.into()))?;
        drop(reader);
        let (Some(webhook), Some(secret)) = (webhook, secret) else { return Ok(()) };
        let now = self.now();
        let (id, timestamp) = (delivery.id.to_string(), now.unix_timestamp());
        let signed = signature::sign(secret.expose(), &id, timestamp, &delivery.body)
            .map_err(|e| DeliveryError::Permanent(e.to_string()))?;
        let request = OutboundRequest {
            url: webhook.url.clone(),
            headers: vec![
                ("content-type", "application/json".to_owned()),
                ("webhook-id", id),
                ("webhook-timestamp", timestamp.to_string()),
                ("webhook-signature", signed),
            ],
            body: delivery.body.clone(),
        };
        let outcome = self.outbound.post(request).await;
        let attempt = match &outcome {
            Ok(response) => Attempt {
                at: now,
                status: Some(response.status),
                response: Some(response.body.chars().take(RESPONSE_KEPT).collect()),
                error: None,
            },
            Err(error) => Attempt { at: now, status: None, response: None, error: Some(error.to_string()) },
        };
        let delivered = matches!(&outcome, Ok(r) if (200..300).contains(&r.status));
        let refused = matches!(&outcome, Err(OutboundError::Refused(_)));
        let wait = RETRY_AFTER.get(usize::try_from(delivery.attempts).unwrap_or(usize::MAX));
        let (state, next) = match (delivered, refused, wait) {
            (true, _, _) => (DeliveryState::Delivered, None),
            (false, false, Some(wait)) => (DeliveryState::Pending, Some(now + *wait)),
            (false, _, _) => (DeliveryState::Failed, None),
        };
        if state == DeliveryState::Failed {
            tracing::warn!(delivery = %delivery.id, webhook = %webhook.id, "webhook delivery failed for good");
        }
        let (entropy, delivery_id) = (Arc::clone(&self.entropy), delivery.id);
        self.store
            .write(move |tx| {
                Box::pin(async move {
                    tx.record_attempt(delivery_id, &attempt, state, next).await?;
                    if let Some(at) = next {
                        schedule_attempt(tx, entropy.as_ref(), now, at, delivery_id).await?;
                    }
                    Ok::<(), AppError>(())
                })
            })
            .await
            .map_err(temporary)
    }
}

/// Queues the job of one attempt at `at`.
async fn schedule_attempt(
    tx: &mut dyn Writer,
    ids: &dyn Entropy,
    now: Timestamp,
    at: Timestamp,
    delivery: DeliveryId,
) -> Result<(), AppError> {
    let payload = serde_json::to_value(DeliveryJob { delivery })
        .map_err(|e| AppError::Internal(format!("delivery payload: {e}")))?;
    tx.enqueue_job(&NewJob { id: ids.job_id()?, kind: DELIVERY_KIND.to_owned(), payload, run_at: at }, now).await?;
    Ok(())
}

/// Hears every event a webhook may subscribe to and queues its deliveries.
#[derive(Debug)]
pub struct Webhooks;

#[async_trait]
impl Subscriber for Webhooks {
    fn name(&self) -> &'static str {
        "webhooks"
    }

    fn wants(&self, event: &Event) -> bool {
        payload::event_type(event).is_some()
    }

    async fn handle(&self, app: &App, job: JobId, event: &Event) -> Result<(), DeliveryError> {
        app.queue_webhook_deliveries(job, event).await.map_err(|e| DeliveryError::Temporary(e.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_must_be_http_with_a_host_and_no_credentials() {
        assert!(check_url("https://hooks.example/in?x=1").is_ok());
        assert!(check_url("http://127.0.0.1:9/").is_ok());
        for bad in ["ftp://x/", "https://", "https:///path", "https://user:pw@host/", "https://a b/", "hooks.example"] {
            assert!(check_url(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn events_are_from_the_list_deduplicated_and_not_empty() {
        let events = |list: &[&str]| check_events(&list.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>());
        assert_eq!(events(&["report.submitted", "report.submitted"]).unwrap(), vec!["report.submitted"]);
        assert!(events(&[]).is_err());
        assert!(events(&["report.deleted"]).is_err());
    }

    #[test]
    fn retries_last_about_a_day() {
        let total: time::Duration = RETRY_AFTER.iter().copied().sum();
        assert!(total > time::Duration::hours(23) && total <= time::Duration::hours(24), "{total}");
    }
}
