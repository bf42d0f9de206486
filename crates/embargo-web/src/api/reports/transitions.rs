//! Moving a report through its lifecycle.

use axum::extract::State;
use embargo_app::TransitionInput;
use serde::Deserialize;
use utoipa::ToSchema;

use super::bodies::*;
use crate::AppState;
use crate::error::{ApiError, ErrorBody};
use crate::extract::{CurrentActor, Json, Path};

/// A lifecycle transition.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct TransitionRequest {
    /// The target state.
    to: String,
    /// Why; required for `out_of_scope` (and for `not_vulnerable` when the policy has no criteria), sent to the reporter.
    reason: Option<String>,
    /// The original report, for `duplicate`.
    duplicate_of: Option<String>,
    /// The policy's acceptance criterion that applies, for `not_vulnerable`; its explanation goes to the reporter.
    criterion: Option<String>,
}

/// Moves a report through its lifecycle.
#[utoipa::path(
    post,
    path = "/api/v1/reports/{id}/transitions",
    tag = "reports",
    params(("id" = String, Path)),
    security(("session" = []), ("bearer" = [])),
    request_body = TransitionRequest,
    responses(
        (status = 200, body = ReportJson),
        (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 409, description = "Not allowed from the current state", body = ErrorBody),
        (status = 422, body = ErrorBody)
    )
)]
pub(crate) async fn transition_report(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    Path(id): Path<String>,
    Json(body): Json<TransitionRequest>,
) -> Result<axum::Json<ReportJson>, ApiError> {
    let input = TransitionInput {
        to: body.to,
        reason: body.reason,
        duplicate_of: body.duplicate_of,
        criterion: body.criterion,
    };
    let view = state.app.transition_report(&actor, crate::extract::report_id(&id)?, input).await?;
    Ok(axum::Json(report_json(&view, state.app.now())))
}
