//! The conduct export of a report (team only): its conversation for a
//! code-of-conduct team, every undisclosed vulnerability detail replaced by a
//! marker naming what was removed; as JSON or as plain text.

use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use embargo_app::ConductExport;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::{IntoParams, ToSchema};

use crate::AppState;
use crate::error::{ApiError, ErrorBody};
use crate::extract::{CurrentActor, Path, Query, report_id};

/// Which format.
#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub(crate) struct ConductQuery {
    /// `json` (default) or `text`.
    format: Option<String>,
}

/// One entry of the conversation.
#[derive(Serialize, ToSchema)]
pub(crate) struct ConductEntryJson {
    /// When.
    #[serde(with = "time::serde::rfc3339")]
    at: OffsetDateTime,
    /// Who, with their side.
    who: String,
    /// `message`, `internal note` or `state change`.
    kind: String,
    /// What they said (a marker for internal notes), or the state reached and why.
    text: String,
}

/// A report's conversation with its vulnerability details removed.
#[derive(Serialize, ToSchema)]
pub(crate) struct ConductJson {
    /// The report.
    report: String,
    /// `org/project`.
    project: String,
    /// The reporter, as known.
    reporter: String,
    /// When it arrived.
    #[serde(with = "time::serde::rfc3339")]
    received: OffsetDateTime,
    /// Where it stands.
    state: String,
    /// Markers naming what was removed from the report itself.
    removed: Vec<String>,
    /// Who said what and when, oldest first.
    entries: Vec<ConductEntryJson>,
}

fn conduct_json(e: &ConductExport) -> ConductJson {
    ConductJson {
        report: e.report.to_string(),
        project: e.project.to_string(),
        reporter: e.reporter.clone(),
        received: e.received,
        state: e.state.clone(),
        removed: e.removed.clone(),
        entries: e
            .entries
            .iter()
            .map(|x| ConductEntryJson { at: x.at, who: x.who.clone(), kind: x.kind.to_owned(), text: x.text.clone() })
            .collect(),
    }
}

/// Exports the report's conversation for a code-of-conduct team (audited).
#[utoipa::path(
    get,
    path = "/api/v1/reports/{id}/conduct-export",
    tag = "reports",
    params(("id" = String, Path), ConductQuery),
    security(("session" = []), ("bearer" = [])),
    responses(
        (status = 200, body = ConductJson, description = "JSON, or with format=text the same as plain text"),
        (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody, description = "format is neither json nor text")
    )
)]
pub(crate) async fn conduct_export(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    Path(id): Path<String>,
    Query(query): Query<ConductQuery>,
) -> Result<Response, ApiError> {
    let format = query.format.unwrap_or_else(|| "json".to_owned());
    let export = state.app.conduct_export(&actor, report_id(&id)?, &format).await?;
    Ok(if format == "text" {
        ([(header::CONTENT_TYPE, "text/plain; charset=utf-8")], export.text()).into_response()
    } else {
        axum::Json(conduct_json(&export)).into_response()
    })
}
