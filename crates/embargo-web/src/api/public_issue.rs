//! A public issue from a declined report (issue 10, item 6): the team makes
//! its text and marks it made public; the reporter answers whether to be
//! named, stay anonymous or object.

use axum::extract::State;
use embargo_app::PublicIssueView;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::ToSchema;

use crate::AppState;
use crate::error::{ApiError, ErrorBody};
use crate::extract::{CurrentActor, Json, Path, report_id};

/// What the team includes in the text.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct DraftRequest {
    /// Include the proof of concept (default: no).
    #[serde(default)]
    include_poc: bool,
}

/// The reporter's answer.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct AnswerRequest {
    /// `named`, `anonymous` or `objected`.
    answer: String,
}

/// Where the issue was made public.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct PublishedRequest {
    /// The public issue's URL (http or https).
    url: String,
}

/// A public issue made from a declined report.
#[derive(Serialize, ToSchema)]
pub(crate) struct PublicIssueJson {
    /// The report.
    report: String,
    /// The issue's title.
    title: String,
    /// The issue's body, in Markdown.
    body: String,
    /// Whether the proof of concept is included.
    include_poc: bool,
    /// The reporter's answer: `pending`, `named`, `anonymous` or `objected`.
    answer: String,
    /// When the team made the text.
    #[serde(with = "time::serde::rfc3339")]
    drafted_at: OffsetDateTime,
    /// When the reporter answered.
    #[serde(with = "time::serde::rfc3339::option")]
    answered_at: Option<OffsetDateTime>,
    /// The public issue, once made public.
    url: Option<String>,
    /// When it was marked made public.
    #[serde(with = "time::serde::rfc3339::option")]
    published_at: Option<OffsetDateTime>,
}

fn issue_json(v: &PublicIssueView) -> PublicIssueJson {
    PublicIssueJson {
        report: v.report.to_string(),
        title: v.text.title.clone(),
        body: v.text.body.clone(),
        include_poc: v.include_poc,
        answer: v.answer.as_str().to_owned(),
        drafted_at: v.drafted_at,
        answered_at: v.answered_at,
        url: v.url.clone(),
        published_at: v.published_at,
    }
}

/// The report's public issue (the team and the reporter); 404 when none was made.
#[utoipa::path(
    get,
    path = "/api/v1/reports/{id}/public-issue",
    tag = "reports",
    params(("id" = String, Path)),
    security(("session" = []), ("bearer" = [])),
    responses(
        (status = 200, body = PublicIssueJson),
        (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)
    )
)]
pub(crate) async fn get_public_issue(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    Path(id): Path<String>,
) -> Result<axum::Json<PublicIssueJson>, ApiError> {
    let view = state.app.public_issue(&actor, report_id(&id)?).await?.ok_or(embargo_app::AppError::NotFound)?;
    Ok(axum::Json(issue_json(&view)))
}

/// Makes (or makes again) the public issue's text from a report declined as
/// not a vulnerability or out of scope, and asks the reporter (the team).
#[utoipa::path(
    post,
    path = "/api/v1/reports/{id}/public-issue",
    tag = "reports",
    params(("id" = String, Path)),
    security(("session" = []), ("bearer" = [])),
    request_body = DraftRequest,
    responses(
        (status = 200, body = PublicIssueJson),
        (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody, description = "It was made public already"),
        (status = 415, body = ErrorBody),
        (status = 422, body = ErrorBody, description = "The report was not declined as an ordinary bug")
    )
)]
pub(crate) async fn draft_public_issue(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    Path(id): Path<String>,
    Json(body): Json<DraftRequest>,
) -> Result<axum::Json<PublicIssueJson>, ApiError> {
    Ok(axum::Json(issue_json(&state.app.draft_public_issue(&actor, report_id(&id)?, body.include_poc).await?)))
}

/// The reporter's answer: to be named, to stay anonymous, or to object.
#[utoipa::path(
    post,
    path = "/api/v1/reports/{id}/public-issue/answer",
    tag = "reports",
    params(("id" = String, Path)),
    security(("session" = []), ("bearer" = [])),
    request_body = AnswerRequest,
    responses(
        (status = 200, body = PublicIssueJson),
        (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody, description = "It was made public already"),
        (status = 415, body = ErrorBody),
        (status = 422, body = ErrorBody)
    )
)]
pub(crate) async fn answer_public_issue(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    Path(id): Path<String>,
    Json(body): Json<AnswerRequest>,
) -> Result<axum::Json<PublicIssueJson>, ApiError> {
    Ok(axum::Json(issue_json(&state.app.answer_public_issue(&actor, report_id(&id)?, &body.answer).await?)))
}

/// Marks the public issue made public at its URL (the team), once the reporter agreed.
#[utoipa::path(
    post,
    path = "/api/v1/reports/{id}/public-issue/published",
    tag = "reports",
    params(("id" = String, Path)),
    security(("session" = []), ("bearer" = [])),
    request_body = PublishedRequest,
    responses(
        (status = 200, body = PublicIssueJson),
        (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody, description = "It was made public already"),
        (status = 415, body = ErrorBody),
        (status = 422, body = ErrorBody, description = "A bad URL, or the reporter has not agreed")
    )
)]
pub(crate) async fn mark_public_issue(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    Path(id): Path<String>,
    Json(body): Json<PublishedRequest>,
) -> Result<axum::Json<PublicIssueJson>, ApiError> {
    Ok(axum::Json(issue_json(&state.app.mark_public_issue(&actor, report_id(&id)?, &body.url).await?)))
}
