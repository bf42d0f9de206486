//! A project's coordinator rotation (its team): who gets reports nobody took
//! up after the idle days, in turn, skipping those away.

use axum::extract::State;
use embargo_app::{RotationInput, RotationView};
use embargo_core::text::Slug;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::AppState;
use crate::error::{ApiError, ErrorBody};
use crate::extract::{CurrentActor, Json, Path};

/// One coordinator, in turn order.
#[derive(Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct CoordinatorJson {
    /// The team member's address.
    email: String,
    /// Away: skipped until back.
    #[serde(default)]
    away: bool,
}

/// A rotation to set; an empty list of coordinators removes it.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct RotationRequest {
    /// Days a report may sit unassigned without activity before it is assigned (1 to 365).
    idle_days: u32,
    /// The coordinators, in turn order: members of the project's security team.
    coordinators: Vec<CoordinatorJson>,
}

/// A project's rotation.
#[derive(Serialize, ToSchema)]
pub(crate) struct RotationJson {
    /// Days a report may sit unassigned without activity before it is assigned.
    idle_days: Option<u32>,
    /// The coordinators, in turn order.
    coordinators: Vec<CoordinatorJson>,
    /// The address of who gets the next report, if anyone can.
    next: Option<String>,
}

fn rotation_json(view: Option<RotationView>) -> RotationJson {
    match view {
        None => RotationJson { idle_days: None, coordinators: Vec::new(), next: None },
        Some(v) => RotationJson {
            idle_days: Some(v.idle_days),
            coordinators: v
                .coordinators
                .iter()
                .map(|(u, away)| CoordinatorJson { email: u.email.to_string(), away: *away })
                .collect(),
            next: v.next.map(|u| u.email.to_string()),
        },
    }
}

/// The project's coordinator rotation (empty when it keeps none).
#[utoipa::path(
    get,
    path = "/api/v1/projects/{org}/{project}/rotation",
    tag = "organisations",
    params(("org" = String, Path), ("project" = String, Path)),
    security(("session" = []), ("bearer" = [])),
    responses((status = 200, body = RotationJson), (status = 404, body = ErrorBody))
)]
pub(crate) async fn get_rotation(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    Path((org, project)): Path<(Slug, Slug)>,
) -> Result<axum::Json<RotationJson>, ApiError> {
    Ok(axum::Json(rotation_json(state.app.rotation(&actor, &org, &project).await?)))
}

/// Sets the project's coordinator rotation; its open unassigned reports get their auto-assignment scheduled.
#[utoipa::path(
    put,
    path = "/api/v1/projects/{org}/{project}/rotation",
    tag = "organisations",
    params(("org" = String, Path), ("project" = String, Path)),
    security(("session" = []), ("bearer" = [])),
    request_body = RotationRequest,
    responses(
        (status = 200, body = RotationJson),
        (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody)
    )
)]
pub(crate) async fn put_rotation(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    Path((org, project)): Path<(Slug, Slug)>,
    Json(body): Json<RotationRequest>,
) -> Result<axum::Json<RotationJson>, ApiError> {
    let input = RotationInput {
        idle_days: body.idle_days,
        coordinators: body.coordinators.into_iter().map(|c| (c.email, c.away)).collect(),
    };
    Ok(axum::Json(rotation_json(state.app.set_rotation(&actor, &org, &project, input).await?)))
}
