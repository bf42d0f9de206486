//! Listing the reports the caller may see, with the queue's filters and orders.

use axum::extract::{RawQuery, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
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
    /// Skip this many (prefer `cursor`: newest first, a cursor costs the same at any depth).
    #[param(value_type = Option<u64>, maximum = 4294967295.0)]
    offset: Option<u32>,
    /// Where the page starts: the opaque `cursor` of the previous answer's `Link: <…>; rel="next"`,
    /// given for the same filters and sort.
    #[param(pattern = r"^[A-Za-z0-9_-]{1,200}$")]
    cursor: Option<String>,
    /// A private search: words (each finds the words it begins, 3 characters or more; quoted phrases count as
    /// their words; at most 8) and the filters `state:`, `project:ORG[/PROJECT]`, `cwe:`, `assignee:me|ID`,
    /// `cve:CVE-YYYY-N` (the report the advisory holding that CVE id was drafted from; the team's only).
    /// Only the reports the caller may see are searched; a reporter's search matches their reports' text and
    /// reporter-visible messages only.
    #[param(max_length = 500)]
    q: Option<String>,
}

/// The query string of the next page: the same query with `cursor` set (and no `offset`, which the cursor counts).
fn next_link(raw: Option<&str>, cursor: &str) -> String {
    let mut out = form_urlencoded::Serializer::new(String::new());
    for (k, v) in form_urlencoded::parse(raw.unwrap_or_default().as_bytes()) {
        if k != "cursor" && k != "offset" {
            out.append_pair(&k, &v);
        }
    }
    out.append_pair("cursor", cursor);
    format!("</api/v1/reports?{}>; rel=\"next\"", out.finish())
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
        (status = 200, body = [ReportSummaryJson], headers(
            ("Link" = String, description = "`</api/v1/reports?…&cursor=…>; rel=\"next\"` when there is a next page"),
        )),
        (status = 400, description = "A query parameter is malformed", body = ErrorBody),
        (status = 401, body = ErrorBody),
        (status = 404, description = "`org` or `org` and `project` name no organisation or project (or `project` came without `org`)", body = ErrorBody),
        (status = 422, description = "`state` is not a report state nor `open`, `cursor` is not one this listing gave for this sort, or `q` is not a search (a word under 3 characters, an unknown filter, a `cve:` that is not a CVE id)", body = ErrorBody),
    )
)]
pub(crate) async fn list_reports(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    RawQuery(raw): RawQuery,
    Query(query): Query<ReportListQuery>,
) -> Result<Response, ApiError> {
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
        cursor: query.cursor,
        q: query.q,
    };
    let page = state.app.reports(&actor, &query).await?;
    let now = state.app.now();
    let body = axum::Json(page.reports.iter().map(|r| summary_json(r, now)).collect::<Vec<_>>());
    let link = page.next.map(|next| next_link(raw.as_deref(), &next));
    let mut response = body.into_response();
    if let Some(link) = link.and_then(|l| HeaderValue::from_str(&l).ok()) {
        response.headers_mut().insert(header::LINK, link);
    }
    Ok(response)
}
