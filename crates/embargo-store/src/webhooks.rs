//! Outgoing webhooks: the URLs an organisation or a project subscribed to
//! events (the signing secret sealed at rest, read only to sign), and each
//! event's delivery to each URL with the outcome of its last attempt.

use std::ops::DerefMut;

use embargo_core::Timestamp;
use embargo_core::id::{DeliveryId, JobId, OrgId, ProjectId, WebhookId};
use embargo_core::private::Private;

use crate::StoreError;
use crate::handle::Handle;
use crate::seal::Place;
use crate::sql::{Conn, RowRead, query};

/// A URL subscribed to events, without its secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Webhook {
    /// Its id.
    pub id: WebhookId,
    /// The organisation whose events it hears.
    pub org_id: OrgId,
    /// The project, when it hears one project's events only.
    pub project_id: Option<ProjectId>,
    /// Where deliveries are posted.
    pub url: String,
    /// The event types it wants (`report.submitted`, ...).
    pub events: Vec<String>,
    /// When it was made.
    pub created_at: Timestamp,
}

/// Where a delivery stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeliveryState {
    /// Not yet answered with a 2xx; another attempt is due.
    Pending,
    /// A 2xx came back.
    Delivered,
    /// Given up: retries ran out, or the URL may not be called.
    Failed,
}

impl DeliveryState {
    /// Its name in the database and the API.
    pub const fn as_str(self) -> &'static str {
        match self {
            DeliveryState::Pending => "pending",
            DeliveryState::Delivered => "delivered",
            DeliveryState::Failed => "failed",
        }
    }

    fn parse(text: &str) -> Result<Self, StoreError> {
        match text {
            "pending" => Ok(DeliveryState::Pending),
            "delivered" => Ok(DeliveryState::Delivered),
            "failed" => Ok(DeliveryState::Failed),
            other => Err(StoreError::corrupt("webhook_deliveries.state", other)),
        }
    }
}

/// One event's delivery to one webhook.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    /// Its id: the `webhook-id` header, the same on every attempt.
    pub id: DeliveryId,
    /// The webhook it goes to.
    pub webhook_id: WebhookId,
    /// The event type (`report.state_changed`).
    pub event_type: String,
    /// The JSON body, exactly as signed and sent.
    pub body: String,
    /// When the event was queued for this webhook.
    pub created_at: Timestamp,
    /// Where it stands.
    pub state: DeliveryState,
    /// Attempts made.
    pub attempts: u32,
    /// The last attempt's outcome.
    pub last: Option<Attempt>,
    /// When the next attempt is due, while pending after a failure.
    pub next_attempt_at: Option<Timestamp>,
}

/// What one attempt got back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attempt {
    /// When it was made.
    pub at: Timestamp,
    /// The receiver's HTTP status, when it answered.
    pub status: Option<u16>,
    /// The start of the receiver's answer.
    pub response: Option<String>,
    /// Why it failed, when it did.
    pub error: Option<String>,
}

/// Reading webhooks and deliveries.
#[async_trait::async_trait]
pub trait WebhookReads {
    /// The webhooks of an organisation (`project` none) or of one project, oldest first.
    async fn webhooks_of(&mut self, org: OrgId, project: Option<ProjectId>) -> Result<Vec<Webhook>, StoreError>;
    /// The webhooks that hear events of `project`: the organisation's and the project's own.
    async fn webhooks_hearing(&mut self, org: OrgId, project: ProjectId) -> Result<Vec<Webhook>, StoreError>;
    /// One webhook.
    async fn webhook(&mut self, id: WebhookId) -> Result<Option<Webhook>, StoreError>;
    /// A webhook's signing secret (`whsec_...`), unsealed for signing.
    async fn webhook_secret(&mut self, id: WebhookId) -> Result<Option<Private<String>>, StoreError>;
    /// One delivery.
    async fn delivery(&mut self, id: DeliveryId) -> Result<Option<Delivery>, StoreError>;
    /// A webhook's newest deliveries, newest first.
    async fn deliveries_of(&mut self, webhook: WebhookId, limit: u32) -> Result<Vec<Delivery>, StoreError>;
}

/// Changing webhooks and deliveries.
#[async_trait::async_trait]
pub trait WebhookWrites {
    /// Stores a new webhook with its secret, sealed.
    async fn insert_webhook(&mut self, webhook: &Webhook, secret: &Private<String>) -> Result<(), StoreError>;
    /// Removes a webhook and its deliveries; `false` if there was none.
    async fn delete_webhook(&mut self, id: WebhookId) -> Result<bool, StoreError>;
    /// Stores a pending delivery queued by the subscriber job `source`; `false`
    /// when that job already queued one for this webhook (a retried job).
    async fn insert_delivery(&mut self, delivery: &Delivery, source: JobId) -> Result<bool, StoreError>;
    /// Records an attempt: its outcome, the new state and when the next attempt is due.
    async fn record_attempt(
        &mut self,
        id: DeliveryId,
        attempt: &Attempt,
        state: DeliveryState,
        next_attempt_at: Option<Timestamp>,
    ) -> Result<(), StoreError>;
    /// Makes a delivered or failed delivery pending again, its next attempt due `at`
    /// (a resend); `false` when it is pending already or gone.
    async fn reopen_delivery(&mut self, id: DeliveryId, at: Timestamp) -> Result<bool, StoreError>;
}

fn place(row: &str) -> Place<'_> {
    Place { table: "webhooks", column: "secret", row }
}

const WEBHOOK_COLUMNS: &str = "id, org_id, project_id, url, events, created_at";
const DELIVERY_COLUMNS: &str = "id, webhook_id, event_type, body, created_at, state, attempts, last_attempt_at, \
     COALESCE(response_status, 0) AS response_status, response_body, last_error, next_attempt_at";

fn webhook_from(row: &impl RowRead) -> Result<Webhook, StoreError> {
    Ok(Webhook {
        id: WebhookId::from_uuid(row.uuid("id")?),
        org_id: OrgId::from_uuid(row.uuid("org_id")?),
        project_id: row.opt_uuid("project_id")?.map(ProjectId::from_uuid),
        url: row.text("url")?,
        events: row.text("events")?.split_whitespace().map(str::to_owned).collect(),
        created_at: row.time("created_at")?,
    })
}

fn delivery_from(row: &impl RowRead) -> Result<Delivery, StoreError> {
    let last = match row.opt_time("last_attempt_at")? {
        Some(at) => Some(Attempt {
            at,
            status: u16::try_from(row.int("response_status")?).ok().filter(|s| *s != 0),
            response: row.opt_text("response_body")?,
            error: row.opt_text("last_error")?,
        }),
        None => None,
    };
    Ok(Delivery {
        id: DeliveryId::from_uuid(row.uuid("id")?),
        webhook_id: WebhookId::from_uuid(row.uuid("webhook_id")?),
        event_type: row.text("event_type")?,
        body: row.text("body")?,
        created_at: row.time("created_at")?,
        state: DeliveryState::parse(&row.text("state")?)?,
        attempts: u32::try_from(row.int("attempts")?).map_err(|e| StoreError::corrupt("attempts", e))?,
        last,
        next_attempt_at: row.opt_time("next_attempt_at")?,
    })
}

#[async_trait::async_trait]
impl<H> WebhookReads for Handle<H>
where
    H: DerefMut + Send,
    H::Target: Conn,
{
    async fn webhooks_of(&mut self, org: OrgId, project: Option<ProjectId>) -> Result<Vec<Webhook>, StoreError> {
        const OF_ORG: &str = const_format::concatcp!(
            "SELECT ",
            WEBHOOK_COLUMNS,
            " FROM webhooks WHERE org_id = $1 AND project_id IS NULL ORDER BY created_at, id"
        );
        const OF_PROJECT: &str = const_format::concatcp!(
            "SELECT ",
            WEBHOOK_COLUMNS,
            " FROM webhooks WHERE org_id = $1 AND project_id = $2 ORDER BY created_at, id"
        );
        let q = match project {
            Some(project) => query(OF_PROJECT).bind(org).bind(project),
            None => query(OF_ORG).bind(org),
        };
        let rows = self.fetch_all(q).await?;
        rows.iter().map(webhook_from).collect()
    }

    async fn webhooks_hearing(&mut self, org: OrgId, project: ProjectId) -> Result<Vec<Webhook>, StoreError> {
        const SQL: &str = const_format::concatcp!(
            "SELECT ",
            WEBHOOK_COLUMNS,
            " FROM webhooks WHERE org_id = $1 AND (project_id IS NULL OR project_id = $2) ORDER BY created_at, id"
        );
        let rows = self.fetch_all(query(SQL).bind(org).bind(project)).await?;
        rows.iter().map(webhook_from).collect()
    }

    async fn webhook(&mut self, id: WebhookId) -> Result<Option<Webhook>, StoreError> {
        const SQL: &str = const_format::concatcp!("SELECT ", WEBHOOK_COLUMNS, " FROM webhooks WHERE id = $1");
        self.fetch_optional(query(SQL).bind(id)).await?.as_ref().map(webhook_from).transpose()
    }

    async fn webhook_secret(&mut self, id: WebhookId) -> Result<Option<Private<String>>, StoreError> {
        let Some(row) = self.fetch_optional(query("SELECT secret FROM webhooks WHERE id = $1").bind(id)).await? else {
            return Ok(None);
        };
        let row_id = id.to_string();
        Ok(Some(Private::new(self.sealer.open_text(place(&row_id), &row.bytes("secret")?)?)))
    }

    async fn delivery(&mut self, id: DeliveryId) -> Result<Option<Delivery>, StoreError> {
        const SQL: &str =
            const_format::concatcp!("SELECT ", DELIVERY_COLUMNS, " FROM webhook_deliveries WHERE id = $1");
        self.fetch_optional(query(SQL).bind(id)).await?.as_ref().map(delivery_from).transpose()
    }

    async fn deliveries_of(&mut self, webhook: WebhookId, limit: u32) -> Result<Vec<Delivery>, StoreError> {
        const SQL: &str = const_format::concatcp!(
            "SELECT ",
            DELIVERY_COLUMNS,
            " FROM webhook_deliveries WHERE webhook_id = $1 ORDER BY created_at DESC, id DESC LIMIT $2"
        );
        let rows = self.fetch_all(query(SQL).bind(webhook).bind(i64::from(limit))).await?;
        rows.iter().map(delivery_from).collect()
    }
}

#[async_trait::async_trait]
impl<H> WebhookWrites for Handle<H>
where
    H: DerefMut + Send,
    H::Target: Conn,
{
    async fn insert_webhook(&mut self, webhook: &Webhook, secret: &Private<String>) -> Result<(), StoreError> {
        let row_id = webhook.id.to_string();
        let sealed = self.sealer.seal_text(place(&row_id), secret.expose())?;
        self.execute(
            query(
                "INSERT INTO webhooks (id, org_id, project_id, url, events, secret, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7)",
            )
            .bind(webhook.id)
            .bind(webhook.org_id)
            .bind(webhook.project_id)
            .bind(webhook.url.as_str())
            .bind(webhook.events.join(" "))
            .bind(sealed)
            .bind(webhook.created_at),
        )
        .await
        .map(drop)
    }

    async fn delete_webhook(&mut self, id: WebhookId) -> Result<bool, StoreError> {
        self.execute(query("DELETE FROM webhook_deliveries WHERE webhook_id = $1").bind(id)).await?;
        Ok(self.execute(query("DELETE FROM webhooks WHERE id = $1").bind(id)).await? > 0)
    }

    async fn insert_delivery(&mut self, delivery: &Delivery, source: JobId) -> Result<bool, StoreError> {
        let changed = self
            .execute(
                query(
                    "INSERT INTO webhook_deliveries (id, webhook_id, source_job, event_type, body, created_at, state, \
                     attempts) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
                     ON CONFLICT (webhook_id, source_job) DO NOTHING",
                )
                .bind(delivery.id)
                .bind(delivery.webhook_id)
                .bind(source)
                .bind(delivery.event_type.as_str())
                .bind(delivery.body.as_str())
                .bind(delivery.created_at)
                .bind(delivery.state.as_str())
                .bind(i64::from(delivery.attempts)),
            )
            .await?;
        Ok(changed > 0)
    }

    async fn record_attempt(
        &mut self,
        id: DeliveryId,
        attempt: &Attempt,
        state: DeliveryState,
        next_attempt_at: Option<Timestamp>,
    ) -> Result<(), StoreError> {
        self.execute_one(
            query(
                "UPDATE webhook_deliveries SET attempts = attempts + 1, last_attempt_at = $1, response_status = $2, \
                 response_body = $3, last_error = $4, state = $5, next_attempt_at = $6 WHERE id = $7",
            )
            .bind(attempt.at)
            .bind(attempt.status.map(i64::from))
            .bind(attempt.response.clone())
            .bind(attempt.error.clone())
            .bind(state.as_str())
            .bind(next_attempt_at)
            .bind(id),
        )
        .await
    }

    async fn reopen_delivery(&mut self, id: DeliveryId, at: Timestamp) -> Result<bool, StoreError> {
        let changed = self
            .execute(
                query(
                    "UPDATE webhook_deliveries SET state = 'pending', next_attempt_at = $2 \
                     WHERE id = $1 AND state <> 'pending'",
                )
                .bind(id)
                .bind(at),
            )
            .await?;
        Ok(changed > 0)
    }
}
