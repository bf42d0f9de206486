//! Scheduled publication of an advisory: published by the job runner at the
//! given moment (once across replicas), or refused with the team told when
//! its report is not fixed by then.

use axum::extract::State;
use axum::http::StatusCode;
use embargo_store::embargoes::Schedule;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::ToSchema;

use crate::AppState;
use crate::error::{ApiError, ErrorBody};
use crate::extract::{CurrentActor, Json, Path, advisory_id};

/// When to publish.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ScheduleRequest {
    /// RFC 3339 with the offset it is meant in (`2026-06-01T14:00:00+02:00`); in the future.
    at: String,
}

/// A scheduled publication.
#[derive(Serialize, ToSchema)]
pub(crate) struct ScheduleJson {
    /// The advisory.
    advisory: String,
    /// RFC 3339 in the offset given.
    at: String,
    /// The same instant in UTC.
    #[serde(with = "time::serde::rfc3339")]
    at_utc: OffsetDateTime,
    /// For people: in the offset given and in UTC.
    shown: String,
    /// `published` or `refused` once the time came; absent before.
    #[serde(skip_serializing_if = "Option::is_none")]
    outcome: Option<String>,
}

fn schedule_json(s: &Schedule) -> ScheduleJson {
    ScheduleJson {
        advisory: s.advisory.to_string(),
        at: s.at.rfc3339(),
        at_utc: s.at.at,
        shown: s.at.both(),
        outcome: s.outcome.clone(),
    }
}

/// Schedules the advisory's publication (replacing any schedule it had).
#[utoipa::path(
    post,
    path = "/api/v1/advisories/{id}/schedule",
    tag = "advisories",
    params(("id" = String, Path)),
    security(("session" = []), ("bearer" = [])),
    request_body = ScheduleRequest,
    responses(
        (status = 201, body = ScheduleJson),
        (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 422, description = "Not RFC 3339 with an offset, or not in the future", body = ErrorBody)
    )
)]
pub(crate) async fn schedule_publication(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    Path(id): Path<String>,
    Json(body): Json<ScheduleRequest>,
) -> Result<(StatusCode, axum::Json<ScheduleJson>), ApiError> {
    let schedule = state.app.schedule_publication(&actor, &advisory_id(&id)?, &body.at).await?;
    Ok((StatusCode::CREATED, axum::Json(schedule_json(&schedule))))
}
