//! Listing the reports the caller may see, with the queue's filters and orders.

use axum::extract::State;
use axum::http::StatusCode;
use embargo_app::ReportQuery;
use embargo_core::text::Slug;
use serde::Deserialize;
use utoipa::IntoParams;

use super::bodies::*;
use crate::AppState;
use crate::error::{ApiError, ErrorBody};
use crate::extract::{CurrentActor, Query};

/// Which reports to list.
#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub(crate) struct ReportListQuery {
    /// Only this organisation's.
    #[param(value_type = Option<String>, pattern = r"^[a-z0-9]([a-z0-9-]{0,38}[a-z0-9])?$")]
    org: Option<Slug>,
    /// Only this project's, with `org` (a project is named within its organisation: without `org`, 404).
    #[param(value_type = Option<String>, pattern = r"^[a-z0-9]([a-z0-9-]{0,38}[a-z0-9])?$")]
    project: Option<Slug>,
    /// Only in this state, or `open` for every state that is not closed.
    state: Option<String>,
    /// Only assigned to this user id.
    #[param(format = Uuid)]
    assignee: Option<String>,
    /// Only the reports of the caller's teams with this evidence-lab signal:
    /// `reproduced`, `not_reproduced`, `not_run` or `grounding_flagged`.
    #[param(pattern = r"^(reproduced|not_reproduced|not_run|grounding_flagged)$")]
    lab: Option<String>,
    /// `newest` (default) or `deadline`: the soonest deadline that matters in each report's state first.
    #[param(pattern = r"^(newest|deadline)$")]
    sort: Option<String>,
    /// At most this many (default 100, at most 500).
    #[param(value_type = Option<u64>, maximum = 4294967295.0)]
    limit: Option<u32>,
    /// Skip this many.
    #[param(value_type = Option<u64>, maximum = 4294967295.0)]
    offset: Option<u32>,
}

/// The reports the caller may see: a team's queue, a reporter's own reports,
/// or with a follow-up token that one report.
#[utoipa::path(
    get,
    path = "/api/v1/reports",
    tag = "reports",
    params(ReportListQuery),
    security(("session" = []), ("bearer" = [])),
    responses(
        (status = 200, body = [ReportSummaryJson]),
        (status = 400, description = "A query parameter is malformed", body = ErrorBody),
        (status = 401, body = ErrorBody),
        (status = 404, description = "`org` or `org` and `project` name no organisation or project (or `project` came without `org`)", body = ErrorBody),
        (status = 422, description = "`state` is not a report state nor `open`", body = ErrorBody),
    )
)]
pub(crate) async fn list_reports(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    Query(query): Query<ReportListQuery>,
) -> Result<axum::Json<Vec<ReportSummaryJson>>, ApiError> {
    let assignee = query
        .assignee
        .as_deref()
        .map(str::parse)
        .transpose()
        .map_err(|_| ApiError::new(StatusCode::BAD_REQUEST, "invalid_query", "assignee must be a user id"))?;
    let lab =
        query.lab.as_deref().map(|value| embargo_app::LabFilter::parse(value).ok_or(())).transpose().map_err(|()| {
            ApiError::new(
                StatusCode::BAD_REQUEST,
                "invalid_query",
                "lab must be reproduced, not_reproduced, not_run or grounding_flagged",
            )
        })?;
    // `state=open` asks for the open reports, as the queue page shows by default.
    let open_only = query.state.as_deref() == Some("open");
    let deadline_first = match query.sort.as_deref() {
        None | Some("newest") => false,
        Some("deadline") => true,
        Some(_) => {
            return Err(ApiError::new(StatusCode::BAD_REQUEST, "invalid_query", "sort must be newest or deadline"));
        }
    };
    let query = ReportQuery {
        deadline_first,
        org: query.org,
        project: query.project,
        state: query.state.filter(|_| !open_only),
        open_only,
        assignee,
        lab,
        lab_first: false,
        limit: query.limit,
        offset: query.offset,
    };
    let reports = state.app.reports(&actor, &query).await?;
    let now = state.app.now();
    Ok(axum::Json(reports.iter().map(|r| summary_json(r, now)).collect()))
}
