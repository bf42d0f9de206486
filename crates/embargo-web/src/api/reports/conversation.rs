//! The report's thread: posting a message or an internal note.

use axum::extract::State;
use axum::http::StatusCode;
use embargo_core::message::{Channel, Visibility};
use serde::Deserialize;
use utoipa::ToSchema;

use super::bodies::*;
use crate::AppState;
use crate::error::{ApiError, ErrorBody};
use crate::extract::{CurrentActor, Json, Path};

/// A new message.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct MessageRequest {
    /// Plain text.
    body: String,
    /// `reporter-visible` (default) or `internal` (team only).
    #[schema(value_type = Option<MessageVisibility>)]
    visibility: Option<String>,
}

/// Who may read a message: the reporter and the team, or the team only.
#[derive(ToSchema)]
#[schema(rename_all = "kebab-case")]
#[expect(dead_code, reason = "describes the accepted values in the OpenAPI document only")]
pub(crate) enum MessageVisibility {
    /// The reporter and the team.
    ReporterVisible,
    /// The team only.
    Internal,
}

/// Posts a message: reporter-visible, or an internal note (team only).
#[utoipa::path(
    post,
    path = "/api/v1/reports/{id}/messages",
    tag = "reports",
    params(("id" = String, Path)),
    security(("session" = []), ("bearer" = [])),
    request_body = MessageRequest,
    responses(
        (status = 201, body = MessageJson),
        (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody)
    )
)]
pub(crate) async fn post_message(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    Path(id): Path<String>,
    Json(body): Json<MessageRequest>,
) -> Result<(StatusCode, axum::Json<MessageJson>), ApiError> {
    let visibility = match body.visibility.as_deref() {
        None => Visibility::ReporterVisible,
        Some(v) => v.parse::<Visibility>().map_err(|e| {
            ApiError::from(embargo_app::AppError::Invalid(embargo_core::text::FieldErrors(vec![
                embargo_core::text::TextError::Refused { field: "visibility", reason: e.to_string() },
            ])))
        })?,
    };
    let message =
        state.app.post_message(&actor, crate::extract::report_id(&id)?, &body.body, visibility, Channel::Api).await?;
    let view = state.app.report(&actor, crate::extract::report_id(&id)?).await?;
    Ok((StatusCode::CREATED, axum::Json(message_json(&message, &view))))
}
