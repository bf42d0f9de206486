//! Resending one delivery of an organisation's or a project's webhook (the team): one more
//! attempt now, with the same `webhook-id` and body.

use axum::extract::State;
use axum::http::StatusCode;
use embargo_app::TeamRef;
use embargo_core::text::Slug;

use crate::AppState;
use crate::error::{ApiError, ErrorBody};
use crate::extract::{CurrentActor, Path};

/// Resends a delivered or failed delivery of one of the organisation's webhooks.
#[utoipa::path(
    post,
    path = "/api/v1/orgs/{org}/webhooks/{id}/deliveries/{delivery}/resend",
    tag = "webhooks",
    params(("org" = String, Path), ("id" = String, Path), ("delivery" = String, Path)),
    security(("session" = []), ("bearer" = [])),
    responses(
        (status = 202, description = "An attempt is queued"),
        (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody, description = "An attempt is waiting already")
    )
)]
pub(crate) async fn resend_org_delivery(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    Path((org, id, delivery)): Path<(Slug, String, String)>,
) -> Result<StatusCode, ApiError> {
    state.app.resend_delivery(&actor, &TeamRef::Organisation(org), &id, &delivery).await?;
    Ok(StatusCode::ACCEPTED)
}

/// Resends a delivered or failed delivery of one of the project's webhooks.
#[utoipa::path(
    post,
    path = "/api/v1/projects/{org}/{project}/webhooks/{id}/deliveries/{delivery}/resend",
    tag = "webhooks",
    params(("org" = String, Path), ("project" = String, Path), ("id" = String, Path), ("delivery" = String, Path)),
    security(("session" = []), ("bearer" = [])),
    responses(
        (status = 202, description = "An attempt is queued"),
        (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody, description = "An attempt is waiting already")
    )
)]
pub(crate) async fn resend_project_delivery(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    Path((org, project, id, delivery)): Path<(Slug, Slug, String, String)>,
) -> Result<StatusCode, ApiError> {
    state.app.resend_delivery(&actor, &TeamRef::Project(org, project), &id, &delivery).await?;
    Ok(StatusCode::ACCEPTED)
}
