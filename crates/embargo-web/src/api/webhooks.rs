//! Outgoing webhooks of an organisation or a project: subscribe a URL to
//! events (the answer shows the signing secret once), list them with their
//! newest deliveries and what the receiver answered, remove one.

use axum::extract::State;
use axum::http::StatusCode;
use embargo_app::{CreatedWebhook, NewWebhook, TeamRef, WebhookView};
use embargo_core::text::Slug;
use embargo_store::webhooks::{Delivery, Webhook};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::ToSchema;

use crate::AppState;
use crate::error::{ApiError, ErrorBody};
use crate::extract::{CurrentActor, Json, Path};

/// A URL to subscribe.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct WebhookRequest {
    /// Where deliveries are posted (`https://...`).
    url: String,
    /// The event types: `report.submitted`, `report.state_changed`, `report.message_posted`,
    /// `report.assignee_changed`, `advisory.published`, `advisory.revised`, `advisory.withdrawn`,
    /// `cve.reserved`, `cve.published`, `advisory.vex_changed` (a published advisory's VEX statement),
    /// `cve.rejected` (a CVE id rejected in CVE Services: withdrawn, or released unused).
    events: Vec<String>,
}

/// A webhook just made.
#[derive(Serialize, ToSchema)]
pub(crate) struct CreatedWebhookJson {
    /// Its id.
    id: String,
    /// Where deliveries are posted.
    url: String,
    /// The event types it hears.
    events: Vec<String>,
    /// The Standard Webhooks signing secret (`whsec_...`). Shown this once.
    secret: String,
}

/// One delivery attempt's outcome.
#[derive(Serialize, ToSchema)]
pub(crate) struct DeliveryJson {
    /// Its id: the `webhook-id` header of every attempt.
    id: String,
    /// The event type.
    #[serde(rename = "type")]
    event_type: String,
    /// `pending`, `delivered` or `failed`.
    state: &'static str,
    /// Attempts made.
    attempts: u32,
    /// When the event was queued.
    #[serde(with = "time::serde::rfc3339")]
    created_at: OffsetDateTime,
    /// When the last attempt was made.
    #[serde(with = "time::serde::rfc3339::option")]
    last_attempt_at: Option<OffsetDateTime>,
    /// The receiver's HTTP status at the last attempt.
    response_status: Option<u16>,
    /// The start of the receiver's answer at the last attempt.
    response_body: Option<String>,
    /// Why the last attempt got no answer.
    error: Option<String>,
    /// When the next attempt is due.
    #[serde(with = "time::serde::rfc3339::option")]
    next_attempt_at: Option<OffsetDateTime>,
    /// The body sent (ids, states and public data only).
    body: String,
}

impl From<&Delivery> for DeliveryJson {
    fn from(d: &Delivery) -> Self {
        DeliveryJson {
            id: d.id.to_string(),
            event_type: d.event_type.clone(),
            state: d.state.as_str(),
            attempts: d.attempts,
            created_at: d.created_at,
            last_attempt_at: d.last.as_ref().map(|a| a.at),
            response_status: d.last.as_ref().and_then(|a| a.status),
            response_body: d.last.as_ref().and_then(|a| a.response.clone()),
            error: d.last.as_ref().and_then(|a| a.error.clone()),
            next_attempt_at: d.next_attempt_at,
            body: d.body.clone(),
        }
    }
}

/// A webhook with its newest deliveries.
#[derive(Serialize, ToSchema)]
pub(crate) struct WebhookJson {
    /// Its id.
    id: String,
    /// Where deliveries are posted.
    url: String,
    /// The event types it hears.
    events: Vec<String>,
    /// When it was made.
    #[serde(with = "time::serde::rfc3339")]
    created_at: OffsetDateTime,
    /// Its newest deliveries, newest first (at most 20).
    deliveries: Vec<DeliveryJson>,
}

impl From<&WebhookView> for WebhookJson {
    fn from(v: &WebhookView) -> Self {
        let Webhook { id, url, events, created_at, .. } = &v.webhook;
        WebhookJson {
            id: id.to_string(),
            url: url.clone(),
            events: events.clone(),
            created_at: *created_at,
            deliveries: v.deliveries.iter().map(DeliveryJson::from).collect(),
        }
    }
}

fn created(c: &CreatedWebhook) -> CreatedWebhookJson {
    CreatedWebhookJson {
        id: c.webhook.id.to_string(),
        url: c.webhook.url.clone(),
        events: c.webhook.events.clone(),
        secret: c.secret.expose().clone(),
    }
}

/// The organisation's webhooks, with their newest deliveries.
#[utoipa::path(
    get,
    path = "/api/v1/orgs/{org}/webhooks",
    tag = "webhooks",
    params(("org" = String, Path)),
    security(("session" = []), ("bearer" = [])),
    responses(
        (status = 200, body = [WebhookJson]),
        (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody, description = "No such organisation, or not yours to manage")
    )
)]
pub(crate) async fn list_org_webhooks(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    Path(org): Path<Slug>,
) -> Result<axum::Json<Vec<WebhookJson>>, ApiError> {
    let views = state.app.webhooks(&actor, &TeamRef::Organisation(org)).await?;
    Ok(axum::Json(views.iter().map(WebhookJson::from).collect()))
}

/// Subscribes a URL to the organisation's events (every project's).
#[utoipa::path(
    post,
    path = "/api/v1/orgs/{org}/webhooks",
    tag = "webhooks",
    params(("org" = String, Path)),
    security(("session" = []), ("bearer" = [])),
    request_body = WebhookRequest,
    responses(
        (status = 201, body = CreatedWebhookJson),
        (status = 400, body = ErrorBody, description = "The body is not JSON of this shape"),
        (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody, description = "A URL or event type that is not valid")
    )
)]
pub(crate) async fn create_org_webhook(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    Path(org): Path<Slug>,
    Json(body): Json<WebhookRequest>,
) -> Result<(StatusCode, axum::Json<CreatedWebhookJson>), ApiError> {
    let new = NewWebhook { url: body.url, events: body.events };
    let made = state.app.create_webhook(&actor, &TeamRef::Organisation(org), new).await?;
    Ok((StatusCode::CREATED, axum::Json(created(&made))))
}

/// Removes one of the organisation's webhooks.
#[utoipa::path(
    delete,
    path = "/api/v1/orgs/{org}/webhooks/{id}",
    tag = "webhooks",
    params(("org" = String, Path), ("id" = String, Path)),
    security(("session" = []), ("bearer" = [])),
    responses(
        (status = 204, description = "Removed"),
        (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)
    )
)]
pub(crate) async fn delete_org_webhook(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    Path((org, id)): Path<(Slug, String)>,
) -> Result<StatusCode, ApiError> {
    state.app.delete_webhook(&actor, &TeamRef::Organisation(org), &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The project's webhooks, with their newest deliveries.
#[utoipa::path(
    get,
    path = "/api/v1/projects/{org}/{project}/webhooks",
    tag = "webhooks",
    params(("org" = String, Path), ("project" = String, Path)),
    security(("session" = []), ("bearer" = [])),
    responses(
        (status = 200, body = [WebhookJson]),
        (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody, description = "No such project, or not yours to manage")
    )
)]
pub(crate) async fn list_project_webhooks(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    Path((org, project)): Path<(Slug, Slug)>,
) -> Result<axum::Json<Vec<WebhookJson>>, ApiError> {
    let views = state.app.webhooks(&actor, &TeamRef::Project(org, project)).await?;
    Ok(axum::Json(views.iter().map(WebhookJson::from).collect()))
}

/// Subscribes a URL to the project's events.
#[utoipa::path(
    post,
    path = "/api/v1/projects/{org}/{project}/webhooks",
    tag = "webhooks",
    params(("org" = String, Path), ("project" = String, Path)),
    security(("session" = []), ("bearer" = [])),
    request_body = WebhookRequest,
    responses(
        (status = 201, body = CreatedWebhookJson),
        (status = 400, body = ErrorBody, description = "The body is not JSON of this shape"),
        (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody, description = "A URL or event type that is not valid")
    )
)]
pub(crate) async fn create_project_webhook(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    Path((org, project)): Path<(Slug, Slug)>,
    Json(body): Json<WebhookRequest>,
) -> Result<(StatusCode, axum::Json<CreatedWebhookJson>), ApiError> {
    let new = NewWebhook { url: body.url, events: body.events };
    let made = state.app.create_webhook(&actor, &TeamRef::Project(org, project), new).await?;
    Ok((StatusCode::CREATED, axum::Json(created(&made))))
}

/// Removes one of the project's webhooks.
#[utoipa::path(
    delete,
    path = "/api/v1/projects/{org}/{project}/webhooks/{id}",
    tag = "webhooks",
    params(("org" = String, Path), ("project" = String, Path), ("id" = String, Path)),
    security(("session" = []), ("bearer" = [])),
    responses(
        (status = 204, description = "Removed"),
        (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)
    )
)]
pub(crate) async fn delete_project_webhook(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    Path((org, project, id)): Path<(Slug, Slug, String)>,
) -> Result<StatusCode, ApiError> {
    state.app.delete_webhook(&actor, &TeamRef::Project(org, project), &id).await?;
    Ok(StatusCode::NO_CONTENT)
}
