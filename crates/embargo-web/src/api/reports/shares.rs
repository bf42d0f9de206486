//! Sharing a report with a platform's interested parties.

use axum::extract::State;
use axum::http::StatusCode;
use serde::Deserialize;
use utoipa::ToSchema;

use super::bodies::*;
use crate::AppState;
use crate::error::{ApiError, ErrorBody};
use crate::extract::{CurrentActor, Json, Path};

/// Shares a report with a platform's interested parties.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ShareRequest {
    /// An unsupported platform of the policy.
    platform: String,
}

/// Shares a report, redacted and read-only, with the parties the policy lists
/// for an unsupported platform. Each share's token is shown once.
#[utoipa::path(
    post,
    path = "/api/v1/reports/{id}/shares",
    tag = "reports",
    params(("id" = String, Path)),
    security(("session" = []), ("bearer" = [])),
    request_body = ShareRequest,
    responses(
        (status = 201, body = [ShareJson]),
        (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody)
    )
)]
pub(crate) async fn share_report(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    Path(id): Path<String>,
    Json(body): Json<ShareRequest>,
) -> Result<(StatusCode, axum::Json<Vec<ShareJson>>), ApiError> {
    let shares = state.app.share_report(&actor, crate::extract::report_id(&id)?, &body.platform).await?;
    Ok((StatusCode::CREATED, axum::Json(shares.iter().map(|(s, t)| share_json(s, Some(t.expose()))).collect())))
}
