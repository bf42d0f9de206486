//! Cyber Resilience Act reporting clocks of a report (the team only): start them, read them,
//! state the details for ENISA, record each stage's filing, and take each stage's content as
//! JSON or text, ready to paste into ENISA's single reporting platform.

use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use embargo_app::{AppError, CraDetailsInput, CraDue, CraView, FixSource};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::{IntoParams, ToSchema};

use crate::AppState;
use crate::error::{ApiError, ErrorBody};
use crate::extract::{CurrentActor, Json, Path, Query, report_id};

/// The team's details for ENISA; each absent field is left as it was, an empty one is cleared.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct CraDetailsJson {
    /// Member states where the product has been made available (ISO 3166-1 alpha-2: `DE`, `FR`; `EL` is Greece too).
    member_states: Option<Vec<String>>,
    /// How sensitive the information is, as TLP 2.0: `clear`, `green`, `amber`, `amber-strict` or `red`.
    sensitivity: Option<String>,
    /// The general nature of the exploit (incidents: of the incident).
    exploit: Option<String>,
    /// Corrective or mitigating measures taken.
    measures_taken: Option<String>,
    /// Corrective or mitigating measures users can take.
    measures_for_users: Option<String>,
    /// What is known of a malicious actor (incidents: whether unlawful or malicious acts are suspected).
    malicious_actor: Option<String>,
    /// Severity and impact (incidents: the initial assessment).
    impact: Option<String>,
    /// The security update or other corrective measures made available.
    security_update: Option<String>,
    /// The type of threat or root cause (incidents).
    root_cause: Option<String>,
    /// When a corrective or mitigating measure became available (RFC 3339 with offset); else when the report reached `fixed`.
    fix_available_at: Option<String>,
}

impl CraDetailsJson {
    fn into_input(self) -> CraDetailsInput {
        CraDetailsInput {
            member_states: self.member_states,
            sensitivity: self.sensitivity,
            exploit: self.exploit,
            measures_taken: self.measures_taken,
            measures_for_users: self.measures_for_users,
            malicious_actor: self.malicious_actor,
            impact: self.impact,
            security_update: self.security_update,
            root_cause: self.root_cause,
            fix_available_at: self.fix_available_at,
        }
    }
}

/// Starts the clocks.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct CraStartRequest {
    /// `exploited-vulnerability` or `severe-incident`.
    kind: String,
    /// When the organisation became aware: RFC 3339 with its offset (`2026-10-01T09:30:00+02:00`), not in the future.
    aware_at: String,
    /// Member states where the product has been made available (see the PATCH body).
    member_states: Option<Vec<String>>,
    /// TLP 2.0: `clear`, `green`, `amber`, `amber-strict` or `red`.
    sensitivity: Option<String>,
    /// The general nature of the exploit (incidents: of the incident).
    exploit: Option<String>,
    /// Corrective or mitigating measures taken.
    measures_taken: Option<String>,
    /// Corrective or mitigating measures users can take.
    measures_for_users: Option<String>,
    /// What is known of a malicious actor.
    malicious_actor: Option<String>,
    /// Severity and impact.
    impact: Option<String>,
    /// The security update or other corrective measures made available.
    security_update: Option<String>,
    /// The type of threat or root cause (incidents).
    root_cause: Option<String>,
    /// When a corrective or mitigating measure became available (RFC 3339 with offset).
    fix_available_at: Option<String>,
}

/// Records a stage as filed with ENISA.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct CraFilingRequest {
    /// The reference ENISA's platform gave the submission.
    reference: String,
    /// When it was filed (RFC 3339 with offset, not in the future); now when absent.
    filed_at: Option<String>,
}

/// One stage of the clocks.
#[derive(Serialize, ToSchema)]
pub(crate) struct CraStageJson {
    /// `early-warning`, `notification` or `final-report`.
    stage: String,
    /// The paragraph of Article 14 that sets it.
    article: String,
    /// When it falls due, RFC 3339 in the offset awareness was given in; null while it waits.
    due: Option<String>,
    /// The same instant in UTC.
    #[serde(with = "time::serde::rfc3339::option")]
    due_utc: Option<OffsetDateTime>,
    /// For people: in that offset and in UTC, or what it waits for.
    due_shown: String,
    /// `fix` (14 days after a measure is available) or `notification` (a month after it is filed) while no time is known.
    waits_for: Option<String>,
    /// Past due and not filed.
    overdue: bool,
    /// When it was filed.
    #[serde(with = "time::serde::rfc3339::option")]
    filed_at: Option<OffsetDateTime>,
    /// ENISA's reference.
    reference: Option<String>,
}

/// The details as stated.
#[derive(Serialize, ToSchema)]
pub(crate) struct CraDetailsOut {
    member_states: Vec<String>,
    sensitivity: Option<String>,
    exploit: Option<String>,
    measures_taken: Option<String>,
    measures_for_users: Option<String>,
    malicious_actor: Option<String>,
    impact: Option<String>,
    security_update: Option<String>,
    root_cause: Option<String>,
}

/// A report's clocks.
#[derive(Serialize, ToSchema)]
pub(crate) struct CraJson {
    /// The report.
    report: String,
    /// `exploited-vulnerability` or `severe-incident`.
    kind: String,
    /// The organisation's role: `manufacturer` or `open-source-steward`.
    role: String,
    /// When the organisation became aware, RFC 3339 in the offset given.
    aware_at: String,
    /// The same instant in UTC.
    #[serde(with = "time::serde::rfc3339")]
    aware_at_utc: OffsetDateTime,
    /// When the clocks were started.
    #[serde(with = "time::serde::rfc3339")]
    started_at: OffsetDateTime,
    /// When a corrective or mitigating measure became available.
    #[serde(with = "time::serde::rfc3339::option")]
    fix_available_at: Option<OffsetDateTime>,
    /// `stated` by the team, or `report_fixed` (when the report reached fixed).
    fix_source: Option<String>,
    /// The three stages.
    stages: Vec<CraStageJson>,
    /// The team's details for ENISA.
    details: CraDetailsOut,
}

pub(crate) fn cra_json(view: &CraView, now: OffsetDateTime) -> CraJson {
    let d = &view.details;
    CraJson {
        report: view.report.to_string(),
        kind: view.kind.as_str().to_owned(),
        role: view.role.as_str().to_owned(),
        aware_at: view.aware_at.rfc3339(),
        aware_at_utc: view.aware_at.at,
        started_at: view.started_at,
        fix_available_at: view.fix_available_at.map(|(at, _)| at),
        fix_source: view.fix_available_at.map(|(_, source)| {
            match source {
                FixSource::Stated => "stated",
                FixSource::ReportFixed => "report_fixed",
            }
            .to_owned()
        }),
        stages: view
            .stages
            .iter()
            .map(|s| {
                let (due, due_utc, due_shown, waits_for) = match s.due {
                    CraDue::At(m) => (Some(m.rfc3339()), Some(m.at), m.both(), None),
                    CraDue::AfterFix => {
                        (None, None, "14 days after a fix or mitigation is available".to_owned(), Some("fix"))
                    }
                    CraDue::AfterNotification => {
                        (None, None, "one month after the notification is filed".to_owned(), Some("notification"))
                    }
                };
                CraStageJson {
                    stage: s.stage.as_str().to_owned(),
                    article: view.kind.article(s.stage).to_owned(),
                    due,
                    due_utc,
                    due_shown,
                    waits_for: waits_for.map(str::to_owned),
                    overdue: s.overdue(now),
                    filed_at: s.filing.as_ref().map(|f| f.filed_at),
                    reference: s.filing.as_ref().map(|f| f.reference.clone()),
                }
            })
            .collect(),
        details: CraDetailsOut {
            member_states: d.member_states.clone(),
            sensitivity: d.sensitivity.map(|s| s.as_str().to_owned()),
            exploit: d.exploit.clone(),
            measures_taken: d.measures_taken.clone(),
            measures_for_users: d.measures_for_users.clone(),
            malicious_actor: d.malicious_actor.clone(),
            impact: d.impact.clone(),
            security_update: d.security_update.clone(),
            root_cause: d.root_cause.clone(),
        },
    }
}

/// Starts the report's CRA reporting clocks (the team; the organisation's policy must state `cra.role`).
#[utoipa::path(
    post,
    path = "/api/v1/reports/{id}/cra",
    tag = "cra",
    params(("id" = String, Path)),
    security(("session" = []), ("bearer" = [])),
    request_body = CraStartRequest,
    responses(
        (status = 201, body = CraJson),
        (status = 400, body = ErrorBody, description = "Not JSON"),
        (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody, description = "The clocks were started already"),
        (status = 422, body = ErrorBody, description = "A bad kind, time or detail, or no role in the policy")
    )
)]
pub(crate) async fn start_cra(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    Path(id): Path<String>,
    Json(body): Json<CraStartRequest>,
) -> Result<(StatusCode, axum::Json<CraJson>), ApiError> {
    let input = CraDetailsInput {
        member_states: body.member_states,
        sensitivity: body.sensitivity,
        exploit: body.exploit,
        measures_taken: body.measures_taken,
        measures_for_users: body.measures_for_users,
        malicious_actor: body.malicious_actor,
        impact: body.impact,
        security_update: body.security_update,
        root_cause: body.root_cause,
        fix_available_at: body.fix_available_at,
    };
    let view = state.app.start_cra(&actor, report_id(&id)?, &body.kind, &body.aware_at, &input).await?;
    Ok((StatusCode::CREATED, axum::Json(cra_json(&view, state.app.now()))))
}

/// The report's CRA reporting clocks (the team); 404 when none were started.
#[utoipa::path(
    get,
    path = "/api/v1/reports/{id}/cra",
    tag = "cra",
    params(("id" = String, Path)),
    security(("session" = []), ("bearer" = [])),
    responses(
        (status = 200, body = CraJson),
        (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)
    )
)]
pub(crate) async fn get_cra(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    Path(id): Path<String>,
) -> Result<axum::Json<CraJson>, ApiError> {
    let view = state.app.cra(&actor, report_id(&id)?).await?.ok_or(AppError::NotFound)?;
    Ok(axum::Json(cra_json(&view, state.app.now())))
}

/// Changes the details for ENISA and the time a fix or mitigation became available (the team).
#[utoipa::path(
    patch,
    path = "/api/v1/reports/{id}/cra",
    tag = "cra",
    params(("id" = String, Path)),
    security(("session" = []), ("bearer" = [])),
    request_body = CraDetailsJson,
    responses(
        (status = 200, body = CraJson),
        (status = 400, body = ErrorBody, description = "Not JSON"),
        (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody)
    )
)]
pub(crate) async fn update_cra(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    Path(id): Path<String>,
    Json(body): Json<CraDetailsJson>,
) -> Result<axum::Json<CraJson>, ApiError> {
    let view = state.app.update_cra(&actor, report_id(&id)?, &body.into_input()).await?;
    Ok(axum::Json(cra_json(&view, state.app.now())))
}

/// Records a stage as filed with ENISA, with its reference (the team); filing again corrects it.
#[utoipa::path(
    post,
    path = "/api/v1/reports/{id}/cra/stages/{stage}",
    tag = "cra",
    params(("id" = String, Path), ("stage" = String, Path, description = "early-warning, notification or final-report")),
    security(("session" = []), ("bearer" = [])),
    request_body = CraFilingRequest,
    responses(
        (status = 200, body = CraJson),
        (status = 400, body = ErrorBody, description = "Not JSON"),
        (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody, description = "An unknown stage, an empty reference or a bad time")
    )
)]
pub(crate) async fn file_cra_stage(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    Path((id, stage)): Path<(String, String)>,
    Json(body): Json<CraFilingRequest>,
) -> Result<axum::Json<CraJson>, ApiError> {
    let id = report_id(&id)?;
    let view = state.app.file_cra_stage(&actor, id, &stage, &body.reference, body.filed_at.as_deref()).await?;
    Ok(axum::Json(cra_json(&view, state.app.now())))
}

/// Which format.
#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub(crate) struct CraContentQuery {
    /// `json` (default) or `text`.
    format: Option<String>,
}

/// A stage's content for ENISA's platform.
#[derive(Serialize, ToSchema)]
pub(crate) struct CraContentJson {
    /// The stage.
    stage: String,
    /// The fields Article 14 names for it.
    #[schema(value_type = Object)]
    content: serde_json::Value,
    /// The same as text, ready to paste.
    text: String,
}

/// A stage's content for ENISA's single reporting platform, as JSON or (`format=text`) plain text (the team).
#[utoipa::path(
    get,
    path = "/api/v1/reports/{id}/cra/stages/{stage}",
    tag = "cra",
    params(
        ("id" = String, Path),
        ("stage" = String, Path, description = "early-warning, notification or final-report"),
        CraContentQuery
    ),
    security(("session" = []), ("bearer" = [])),
    responses(
        (status = 200, body = CraContentJson, description = "JSON, or with format=text the text alone"),
        (status = 400, body = ErrorBody, description = "An unknown query parameter"),
        (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody, description = "An unknown stage or format")
    )
)]
pub(crate) async fn cra_content(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    Path((id, stage)): Path<(String, String)>,
    Query(query): Query<CraContentQuery>,
) -> Result<Response, ApiError> {
    let format = query.format.unwrap_or_else(|| "json".to_owned());
    if format != "json" && format != "text" {
        return Err(AppError::invalid("format", "use json or text").into());
    }
    let content = state.app.cra_content(&actor, report_id(&id)?, &stage).await?;
    Ok(if format == "text" {
        ([(header::CONTENT_TYPE, "text/plain; charset=utf-8")], content.text).into_response()
    } else {
        axum::Json(CraContentJson {
            stage: content.stage.as_str().to_owned(),
            content: content.json,
            text: content.text,
        })
        .into_response()
    })
}
