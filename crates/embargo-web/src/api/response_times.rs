//! Public response times of a project and of an organisation: medians and
//! 90th percentiles to acknowledge, to decide and to disclose over the last
//! twelve months, and the share answered within the promised times; a
//! figure over fewer than five reports is null.

use axum::extract::State;
use embargo_app::ResponseTimes;
use embargo_core::response_times::{Figure, Share};
use embargo_core::text::Slug;
use serde::Serialize;
use time::OffsetDateTime;
use utoipa::ToSchema;

use crate::AppState;
use crate::error::{ApiError, ErrorBody};
use crate::extract::Path;

/// A median and a 90th percentile, in seconds.
#[derive(Serialize, ToSchema)]
pub(crate) struct FigureJson {
    /// How many reports it is computed from.
    reports: usize,
    /// The median (nearest rank); null below five reports.
    median_seconds: Option<i64>,
    /// The 90th percentile (nearest rank); null below five reports.
    p90_seconds: Option<i64>,
}

/// Reports answered within the policy's promised time.
#[derive(Serialize, ToSchema)]
pub(crate) struct InTimeJson {
    /// Reports with a promised time that came or was met.
    reports: usize,
    /// Of those, answered in time; null below five reports.
    within: Option<usize>,
}

/// Public response times.
#[derive(Serialize, ToSchema)]
pub(crate) struct ResponseTimesJson {
    /// The window's start.
    #[serde(with = "time::serde::rfc3339")]
    since: OffsetDateTime,
    /// The window's end (now).
    #[serde(with = "time::serde::rfc3339")]
    until: OffsetDateTime,
    /// Reports received in the window (spam left out).
    reports: usize,
    /// From arrival to the first answer.
    acknowledge: FigureJson,
    /// From arrival to a decision (accepted or declined).
    triage: FigureJson,
    /// From arrival to disclosure.
    disclosure: FigureJson,
    /// Acknowledged within the promised time.
    acknowledged_in_time: InTimeJson,
    /// Decided within the promised time.
    decided_in_time: InTimeJson,
}

fn figure(f: Figure) -> FigureJson {
    FigureJson {
        reports: f.reports,
        median_seconds: f.median.map(|d| d.whole_seconds()),
        p90_seconds: f.p90.map(|d| d.whole_seconds()),
    }
}

fn share(s: Share) -> InTimeJson {
    InTimeJson { reports: s.reports, within: s.within }
}

pub(crate) fn response_times_json(r: &ResponseTimes) -> ResponseTimesJson {
    ResponseTimesJson {
        since: r.since,
        until: r.until,
        reports: r.stats.reports,
        acknowledge: figure(r.stats.acknowledge),
        triage: figure(r.stats.triage),
        disclosure: figure(r.stats.disclosure),
        acknowledged_in_time: share(r.stats.acknowledged_in_time),
        decided_in_time: share(r.stats.decided_in_time),
    }
}

/// A project's public response times over the last twelve months.
#[utoipa::path(
    get,
    path = "/api/v1/projects/{org}/{project}/response-times",
    tag = "organisations",
    params(("org" = String, Path), ("project" = String, Path)),
    responses((status = 200, body = ResponseTimesJson), (status = 404, body = ErrorBody))
)]
pub(crate) async fn project_response_times(
    State(state): State<AppState>,
    Path((org, project)): Path<(Slug, Slug)>,
) -> Result<axum::Json<ResponseTimesJson>, ApiError> {
    Ok(axum::Json(response_times_json(&state.app.project_response_times(&org, &project).await?)))
}

/// An organisation's public response times over the last twelve months (all its projects).
#[utoipa::path(
    get,
    path = "/api/v1/orgs/{org}/response-times",
    tag = "organisations",
    params(("org" = String, Path)),
    responses((status = 200, body = ResponseTimesJson), (status = 404, body = ErrorBody))
)]
pub(crate) async fn organisation_response_times(
    State(state): State<AppState>,
    Path(org): Path<Slug>,
) -> Result<axum::Json<ResponseTimesJson>, ApiError> {
    Ok(axum::Json(response_times_json(&state.app.organisation_response_times(&org).await?)))
}
