//! The evidence lab of a report: queue runs of its PoC (team), read the
//! affected matrix and the grounding list (team; the reporter reads only
//! whether their PoC reproduced, and each line's verdict when the team
//! shares them: `PUT`/`DELETE .../lab/share`). The server runs nothing itself:
//! `embargo lab worker` does.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use embargo_app::{AppError, LabRequest, LabView};
use embargo_core::id::ReportId;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::ToSchema;

use crate::AppState;
use crate::error::{ApiError, ErrorBody};
use crate::extract::{CurrentActor, Path};

/// Which runs to queue; an empty body runs every line of the `[lab]` policy.
#[derive(Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub(crate) struct LabRunsRequest {
    /// Only these release lines of the `[lab]` policy.
    lines: Option<Vec<String>>,
    /// A fix to verify (branch, tag or commit): one run against it.
    #[serde(rename = "ref")]
    git_ref: Option<String>,
}

/// The runs queued.
#[derive(Serialize, ToSchema)]
pub(crate) struct QueuedJson {
    /// Their ids.
    runs: Vec<String>,
}

/// One run of the report's PoC.
#[derive(Serialize, ToSchema)]
pub(crate) struct LabRunJson {
    /// Its id.
    id: String,
    /// The release line (`fix` for a fix ref named without a line).
    line: String,
    /// The ref run against.
    #[serde(rename = "ref")]
    git_ref: String,
    /// `line` or `fix`.
    purpose: String,
    /// `queued`, `running` or `done`.
    state: String,
    /// `vulnerable` (exit 1), `not_vulnerable` (exit 0) or `inconclusive`; null until done.
    result: Option<String>,
    /// Why: the exit code, a timeout, or why the lab could not run it.
    reason: Option<String>,
    /// The commit the ref was at.
    commit: Option<String>,
    /// The PoC's output (bounded).
    output: Option<String>,
    /// When it was queued.
    #[serde(with = "time::serde::rfc3339")]
    created_at: OffsetDateTime,
    /// When it finished.
    #[serde(with = "time::serde::rfc3339::option")]
    finished_at: Option<OffsetDateTime>,
}

/// One identifier the report names.
#[derive(Serialize, ToSchema)]
pub(crate) struct GroundingJson {
    /// As the report names it.
    name: String,
    /// Whether the source at the checked ref has it.
    found: bool,
    /// Where (`path:line`), when found.
    #[serde(rename = "where")]
    location: Option<String>,
}

/// A report's lab record. The reporter gets only `reproduced`.
#[derive(Serialize, ToSchema)]
pub(crate) struct LabJson {
    /// Every run (team only).
    #[serde(skip_serializing_if = "Option::is_none")]
    runs: Option<Vec<LabRunJson>>,
    /// The grounding list (team only).
    #[serde(skip_serializing_if = "Option::is_none")]
    grounding: Option<Vec<GroundingJson>>,
    /// The ref the grounding check used (team only).
    #[serde(skip_serializing_if = "Option::is_none")]
    grounding_ref: Option<String>,
    /// Most named identifiers are not in the source (team only).
    #[serde(skip_serializing_if = "Option::is_none")]
    grounding_flagged: Option<bool>,
    /// Whether the project's policy has a `[lab]` section (team only).
    #[serde(skip_serializing_if = "Option::is_none")]
    configured: Option<bool>,
    /// What the caller may do (team only).
    #[serde(skip_serializing_if = "Option::is_none")]
    actions: Option<LabActionsJson>,
    /// Whether the PoC reproduced on a release line; null when nothing conclusive ran yet.
    reproduced: Option<bool>,
    /// Whether the team shares each line's verdict with the reporter (team only).
    #[serde(skip_serializing_if = "Option::is_none")]
    shared: Option<bool>,
    /// Each release line's latest verdict: for the reporter only when the team shares them.
    #[serde(skip_serializing_if = "Option::is_none")]
    lines: Option<Vec<LineVerdictJson>>,
}

/// One release line's latest verdict (no output, no reason).
#[derive(Serialize, ToSchema)]
pub(crate) struct LineVerdictJson {
    /// The release line.
    line: String,
    /// `vulnerable`, `not_vulnerable` or `inconclusive`.
    result: String,
    /// When its latest run finished.
    #[serde(with = "time::serde::rfc3339::option")]
    finished_at: Option<OffsetDateTime>,
}

/// Whether the lab's verdicts are shared with the reporter.
#[derive(Serialize, ToSchema)]
pub(crate) struct LabSharedJson {
    /// `true` after `PUT`, `false` after `DELETE`.
    shared: bool,
}

/// What the caller may do with the lab record.
#[derive(Serialize, ToSchema)]
pub(crate) struct LabActionsJson {
    /// Queue runs (`POST .../lab/runs`).
    queue: bool,
    /// Accept the matrix (`POST .../lab/accept`).
    accept: bool,
    /// Share the verdicts with the reporter (`PUT`/`DELETE .../lab/share`).
    share: bool,
}

/// The release lines an accepted matrix found vulnerable, now among the report's affected versions.
#[derive(Serialize, ToSchema)]
pub(crate) struct AcceptedJson {
    /// The lines.
    lines: Vec<String>,
}

fn report_id(id: &str) -> Result<ReportId, ApiError> {
    id.parse().map_err(|_| ApiError::not_found())
}

/// Queues runs of the report's PoC against the release lines of the
/// project's `[lab]` policy, some of them (`lines`), or a fix (`ref`).
#[utoipa::path(
    post,
    path = "/api/v1/reports/{id}/lab/runs",
    tag = "lab",
    params(("id" = String, Path)),
    security(("session" = []), ("bearer" = [])),
    request_body(content = Option<LabRunsRequest>, description = "optional: empty runs every line"),
    responses(
        (status = 202, body = QueuedJson),
        (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody)
    )
)]
pub(crate) async fn queue_lab_runs(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<(StatusCode, axum::Json<QueuedJson>), ApiError> {
    let id = report_id(&id)?;
    let request: LabRunsRequest = if body.iter().all(u8::is_ascii_whitespace) {
        LabRunsRequest::default()
    } else {
        serde_json::from_slice(&body).map_err(|_| {
            ApiError::from(AppError::invalid("body", "a JSON object with optional lines (a list) and ref (a string)"))
        })?
    };
    let request = LabRequest { lines: request.lines, fix_ref: request.git_ref };
    let runs = state.app.queue_lab_runs(&actor, id, request).await?;
    Ok((StatusCode::ACCEPTED, axum::Json(QueuedJson { runs: runs.iter().map(ToString::to_string).collect() })))
}

/// The report's affected matrix and grounding list (team); for the reporter,
/// whether their PoC reproduced.
#[utoipa::path(
    get,
    path = "/api/v1/reports/{id}/lab",
    tag = "lab",
    params(("id" = String, Path)),
    security(("session" = []), ("bearer" = [])),
    responses((status = 200, body = LabJson), (status = 404, body = ErrorBody))
)]
pub(crate) async fn get_lab(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    Path(id): Path<String>,
) -> Result<axum::Json<LabJson>, ApiError> {
    let id = report_id(&id)?;
    let json = match state.app.view_lab(&actor, id).await? {
        LabView::Reporter { reproduced, lines } => LabJson {
            runs: None,
            grounding: None,
            grounding_ref: None,
            grounding_flagged: None,
            configured: None,
            actions: None,
            reproduced,
            shared: None,
            lines: lines.map(|lines| {
                lines
                    .into_iter()
                    .map(|v| LineVerdictJson {
                        line: v.line,
                        result: v.result.as_str().to_owned(),
                        finished_at: v.finished_at,
                    })
                    .collect()
            }),
        },
        LabView::Team { runs, grounding, grounding_ref, grounding_flagged, configured, actions, shared, .. } => {
            let reproduced = reproduced(&runs);
            LabJson {
                runs: Some(
                    runs.into_iter()
                        .map(|r| LabRunJson {
                            id: r.id.to_string(),
                            line: r.line,
                            git_ref: r.git_ref,
                            purpose: r.purpose.as_str().to_owned(),
                            state: r.state.as_str().to_owned(),
                            result: r.result.map(|x| x.as_str().to_owned()),
                            reason: r.reason,
                            commit: r.commit,
                            output: r.output.map(|o| o.into_inner()),
                            created_at: r.created_at,
                            finished_at: r.finished_at,
                        })
                        .collect(),
                ),
                grounding: Some(
                    grounding
                        .into_iter()
                        .map(|g| GroundingJson { name: g.name, found: g.found, location: g.location })
                        .collect(),
                ),
                grounding_ref,
                grounding_flagged: Some(grounding_flagged),
                configured: Some(configured),
                actions: Some(LabActionsJson { queue: actions.queue, accept: actions.accept, share: actions.share }),
                reproduced,
                shared: Some(shared),
                lines: None,
            }
        }
    };
    Ok(axum::Json(json))
}

/// Accepts the lab's matrix: every release line whose latest run found the
/// report's flaw joins its affected versions, and so its CVE eligibility and
/// fix lines (team, triage scope). 422 when no line was found vulnerable.
#[utoipa::path(
    post,
    path = "/api/v1/reports/{id}/lab/accept",
    tag = "lab",
    params(("id" = String, Path)),
    security(("session" = []), ("bearer" = [])),
    responses(
        (status = 200, body = AcceptedJson),
        (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody)
    )
)]
pub(crate) async fn accept_lab_matrix(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    Path(id): Path<String>,
) -> Result<axum::Json<AcceptedJson>, ApiError> {
    let lines = state.app.accept_lab_matrix(&actor, report_id(&id)?).await?;
    Ok(axum::Json(AcceptedJson { lines }))
}

/// Shares each release line's latest verdict with the reporter (the team,
/// triage scope): the reporter's `GET .../lab` then has `lines`. Audited.
#[utoipa::path(
    put,
    path = "/api/v1/reports/{id}/lab/share",
    tag = "lab",
    params(("id" = String, Path)),
    security(("session" = []), ("bearer" = [])),
    responses(
        (status = 200, body = LabSharedJson),
        (status = 401, description = "Sign in or present a token", body = ErrorBody),
        (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)
    )
)]
pub(crate) async fn share_lab(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    Path(id): Path<String>,
) -> Result<axum::Json<LabSharedJson>, ApiError> {
    let shared = state.app.share_lab_results(&actor, report_id(&id)?, true).await?;
    Ok(axum::Json(LabSharedJson { shared }))
}

/// Stops sharing the verdicts: the reporter sees only whether their PoC reproduced again.
#[utoipa::path(
    delete,
    path = "/api/v1/reports/{id}/lab/share",
    tag = "lab",
    params(("id" = String, Path)),
    security(("session" = []), ("bearer" = [])),
    responses(
        (status = 200, body = LabSharedJson),
        (status = 401, description = "Sign in or present a token", body = ErrorBody),
        (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)
    )
)]
pub(crate) async fn unshare_lab(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    Path(id): Path<String>,
) -> Result<axum::Json<LabSharedJson>, ApiError> {
    let shared = state.app.share_lab_results(&actor, report_id(&id)?, false).await?;
    Ok(axum::Json(LabSharedJson { shared }))
}

/// Whether any release-line run found it vulnerable (`Some(false)`: runs
/// finished and none did; `None`: nothing conclusive yet).
pub(crate) fn reproduced(runs: &[embargo_app::LabRunView]) -> Option<bool> {
    use embargo_core::lab::{LabResult, RunPurpose};
    let lines = runs.iter().filter(|r| r.purpose == RunPurpose::Line).filter_map(|r| r.result);
    let (mut yes, mut no) = (false, false);
    for result in lines {
        yes |= result == LabResult::Vulnerable;
        no |= result == LabResult::NotVulnerable;
    }
    if yes { Some(true) } else { no.then_some(false) }
}
