//! Finders' credit (issue 10, item 4): a finder reads and sets their own
//! credit (decline it, or the name shown); the team lists every finder's.

use axum::extract::State;
use embargo_app::{CreditInput, FinderCredit};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::ToSchema;

use crate::AppState;
use crate::error::{ApiError, ErrorBody};
use crate::extract::{CurrentActor, Json, Path, report_id};

/// A finder's choice.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct CreditRequest {
    /// Decline to be credited.
    declined: bool,
    /// The name to show instead of the one given with the report or the account (ignored when declining).
    #[serde(default)]
    name: Option<String>,
}

/// A finder's credit.
#[derive(Serialize, ToSchema)]
pub(crate) struct CreditJson {
    /// `report:ID` (the reporter of that report) or `collaborator:ID` (a co-finder).
    finder: String,
    /// The report they found.
    report: String,
    /// `reporter` or `co-finder`.
    kind: String,
    /// They declined the credit.
    declined: bool,
    /// The name they chose, if any.
    name: Option<String>,
    /// The name an advisory credits (none when declined, or when no name is known).
    credited_as: Option<String>,
    /// When they last chose, if ever.
    #[serde(with = "time::serde::rfc3339::option")]
    updated_at: Option<OffsetDateTime>,
}

fn credit_json(c: &FinderCredit) -> CreditJson {
    CreditJson {
        finder: c.finder.to_string(),
        report: c.report.to_string(),
        kind: c.kind.to_owned(),
        declined: c.declined,
        name: c.name.clone(),
        credited_as: c.credited_as.clone(),
        updated_at: c.updated_at,
    }
}

/// The caller's own credit on a report they found (its reporter or a co-finder).
#[utoipa::path(
    get,
    path = "/api/v1/reports/{id}/credit",
    tag = "reports",
    params(("id" = String, Path)),
    security(("session" = []), ("bearer" = [])),
    responses(
        (status = 200, body = CreditJson),
        (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)
    )
)]
pub(crate) async fn get_credit(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    Path(id): Path<String>,
) -> Result<axum::Json<CreditJson>, ApiError> {
    Ok(axum::Json(credit_json(&state.app.my_credit(&actor, report_id(&id)?).await?)))
}

/// Declines the caller's credit, or chooses the name shown. The advisory's
/// draft follows at once; once it is published, its credits are the team's.
#[utoipa::path(
    put,
    path = "/api/v1/reports/{id}/credit",
    tag = "reports",
    params(("id" = String, Path)),
    security(("session" = []), ("bearer" = [])),
    request_body = CreditRequest,
    responses(
        (status = 200, body = CreditJson),
        (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 415, body = ErrorBody),
        (status = 422, body = ErrorBody, description = "A bad name, or the advisory is published already")
    )
)]
pub(crate) async fn put_credit(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    Path(id): Path<String>,
    Json(body): Json<CreditRequest>,
) -> Result<axum::Json<CreditJson>, ApiError> {
    let input = CreditInput { declined: body.declined, name: body.name };
    Ok(axum::Json(credit_json(&state.app.choose_credit(&actor, report_id(&id)?, input).await?)))
}

/// Every finder's credit on a report: its reporter, the reporters of its duplicates, the co-finders (the team).
#[utoipa::path(
    get,
    path = "/api/v1/reports/{id}/credits",
    tag = "reports",
    params(("id" = String, Path)),
    security(("session" = []), ("bearer" = [])),
    responses(
        (status = 200, body = [CreditJson]),
        (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)
    )
)]
pub(crate) async fn list_credits(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    Path(id): Path<String>,
) -> Result<axum::Json<Vec<CreditJson>>, ApiError> {
    Ok(axum::Json(state.app.credits(&actor, report_id(&id)?).await?.iter().map(credit_json).collect()))
}
