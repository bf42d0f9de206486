//! One report: reading it, and the team's changes to its fields (assessment, assignee, embargo end).

use axum::extract::State;
use embargo_app::TeamPatch;
use serde::Deserialize;
use utoipa::ToSchema;

use super::bodies::*;
use crate::AppState;
use crate::error::{ApiError, ErrorBody};
use crate::extract::{CurrentActor, Json, Path, double_option};

/// Changes to the team's fields; `null` clears a field.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ReportPatchRequest {
    /// A CVSS 3.x vector.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>, nullable)]
    cvss_v3: Option<Option<String>>,
    /// A CVSS 4.0 vector.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>, nullable)]
    cvss_v4: Option<Option<String>>,
    /// CWE ids (`CWE-79`).
    cwes: Option<Vec<String>>,
    /// The user id of a team member.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>, nullable, format = Uuid)]
    assignee: Option<Option<String>>,
    /// Affected versions or release lines.
    affected_versions: Option<Vec<String>>,
    /// Release lines that get the fix.
    fix_lines: Option<Vec<String>>,
    /// The embargo end: RFC 3339 with the offset it is meant in (`2026-06-01T14:00:00+02:00`); `null` lifts it.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>, nullable)]
    embargo_until: Option<Option<String>>,
    /// The pull or merge request that fixes the report (`https://...`); `null` unlinks it.
    /// When the forge tells Embargo it merged, the report moves to fixed (issue 11).
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>, nullable)]
    fix_url: Option<Option<String>>,
}

impl ReportPatchRequest {
    /// Whether the patch holds nothing but the fix link and the embargo end (each its own use case).
    fn only_fix_or_embargo(&self) -> bool {
        self.cvss_v3.is_none()
            && self.cvss_v4.is_none()
            && self.cwes.is_none()
            && self.assignee.is_none()
            && self.affected_versions.is_none()
            && self.fix_lines.is_none()
    }
}

/// One report with its thread.
#[utoipa::path(
    get,
    path = "/api/v1/reports/{id}",
    tag = "reports",
    params(("id" = String, Path)),
    security(("session" = []), ("bearer" = [])),
    responses((status = 200, body = ReportJson), (status = 404, body = ErrorBody))
)]
pub(crate) async fn get_report(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    Path(id): Path<String>,
) -> Result<axum::Json<ReportJson>, ApiError> {
    Ok(axum::Json(report_json(&state.app.report(&actor, crate::extract::report_id(&id)?).await?, state.app.now())))
}

/// Changes the team's fields: severity vectors, CWE, assignee, affected versions.
#[utoipa::path(
    patch,
    path = "/api/v1/reports/{id}",
    tag = "reports",
    params(("id" = String, Path)),
    security(("session" = []), ("bearer" = [])),
    request_body = ReportPatchRequest,
    responses(
        (status = 200, body = ReportJson),
        (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody)
    )
)]
pub(crate) async fn update_report(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    Path(id): Path<String>,
    Json(mut body): Json<ReportPatchRequest>,
) -> Result<axum::Json<ReportJson>, ApiError> {
    let report = crate::extract::report_id(&id)?;
    if let Some(url) = body.fix_url.take() {
        state.app.link_fix(&actor, report, url.as_deref()).await?;
        if body.only_fix_or_embargo() && body.embargo_until.is_none() {
            return Ok(axum::Json(report_json(&state.app.report(&actor, report).await?, state.app.now())));
        }
    }
    if let Some(view) = update_embargo(&state, &actor, report, &mut body).await? {
        return Ok(axum::Json(report_json(&view, state.app.now())));
    }
    let assignee = match body.assignee {
        None => None,
        Some(None) => Some(None),
        Some(Some(user)) => Some(Some(user.parse().map_err(|_| {
            ApiError::from(embargo_app::AppError::invalid("assignee", "the user id of a team member"))
        })?)),
    };
    let patch = TeamPatch {
        cvss_v3: body.cvss_v3,
        cvss_v4: body.cvss_v4,
        cwes: body.cwes,
        assignee,
        affected_versions: body.affected_versions,
        fix_lines: body.fix_lines,
    };
    Ok(axum::Json(report_json(
        &state.app.update_report(&actor, crate::extract::report_id(&id)?, patch).await?,
        state.app.now(),
    )))
}

/// Applies the patch's `embargo_until`, if it has one (its own use case:
/// audited, told to the participants). Answers the report when the patch
/// held nothing else.
async fn update_embargo(
    state: &AppState,
    actor: &embargo_core::permission::Actor,
    report: embargo_core::id::ReportId,
    body: &mut ReportPatchRequest,
) -> Result<Option<embargo_app::ReportView>, ApiError> {
    let Some(until) = body.embargo_until.take() else { return Ok(None) };
    state.app.set_embargo(actor, report, until.as_deref()).await?;
    let only = body.cvss_v3.is_none()
        && body.cvss_v4.is_none()
        && body.cwes.is_none()
        && body.assignee.is_none()
        && body.affected_versions.is_none()
        && body.fix_lines.is_none();
    Ok(if only { Some(state.app.report(actor, report).await?) } else { None })
}
