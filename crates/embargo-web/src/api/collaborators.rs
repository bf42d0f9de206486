//! The people invited to work on one report (team only): invite by e-mail,
//! list, revoke. The invitee gets the private link by mail; the answer to the
//! invitation shows it once too.

use axum::extract::State;
use axum::http::StatusCode;
use embargo_app::NewCollaborator;
use embargo_core::collaborator::Collaborator;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::ToSchema;

use crate::AppState;
use crate::error::{ApiError, ErrorBody};
use crate::extract::{CurrentActor, Json, Path, collaborator_id, report_id};

/// An invitation to ask for.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct CollaboratorRequest {
    /// Where to send the invitation.
    email: String,
    /// `collaborator` (reads, posts) or `reporter` (a co-finder, credited).
    role: String,
    /// Whether they may read the team's internal notes (default: no).
    #[serde(default)]
    sees_internal: bool,
}

/// An invitation.
#[derive(Serialize, ToSchema)]
pub(crate) struct CollaboratorJson {
    /// Its id.
    id: String,
    /// Where the invitation went.
    email: String,
    /// `collaborator` or `reporter`.
    role: String,
    /// Whether they read internal notes.
    sees_internal: bool,
    /// Whether an account had the address (it sees the report under its own session).
    account: bool,
    /// When.
    #[serde(with = "time::serde::rfc3339")]
    created_at: OffsetDateTime,
    /// When it was revoked, if it was.
    #[serde(with = "time::serde::rfc3339::option")]
    revoked_at: Option<OffsetDateTime>,
    /// The private link's token (only in the answer to the invitation).
    #[serde(skip_serializing_if = "Option::is_none")]
    token: Option<String>,
}

fn collaborator_json(c: &Collaborator, token: Option<&str>) -> CollaboratorJson {
    CollaboratorJson {
        id: c.id.to_string(),
        email: c.email.to_string(),
        role: c.role.as_str().to_owned(),
        sees_internal: c.sees_internal,
        account: c.user_id.is_some(),
        created_at: c.created_at,
        revoked_at: c.revoked_at,
        token: token.map(str::to_owned),
    }
}

/// Invites a person to work on the report; they get the private link by mail.
#[utoipa::path(
    post,
    path = "/api/v1/reports/{id}/collaborators",
    tag = "reports",
    params(("id" = String, Path)),
    security(("session" = []), ("bearer" = [])),
    request_body = CollaboratorRequest,
    responses(
        (status = 201, body = CollaboratorJson),
        (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody, description = "The address is invited already"),
        (status = 422, body = ErrorBody)
    )
)]
pub(crate) async fn invite_collaborator(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    Path(id): Path<String>,
    Json(body): Json<CollaboratorRequest>,
) -> Result<(StatusCode, axum::Json<CollaboratorJson>), ApiError> {
    let new = NewCollaborator { email: body.email, role: body.role, sees_internal: body.sees_internal };
    let invitation = state.app.invite_collaborator(&actor, report_id(&id)?, new).await?;
    let json = collaborator_json(&invitation.collaborator, Some(invitation.token.expose()));
    Ok((StatusCode::CREATED, axum::Json(json)))
}

/// The report's invitations, revoked ones included.
#[utoipa::path(
    get,
    path = "/api/v1/reports/{id}/collaborators",
    tag = "reports",
    params(("id" = String, Path)),
    security(("session" = []), ("bearer" = [])),
    responses(
        (status = 200, body = [CollaboratorJson]),
        (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)
    )
)]
pub(crate) async fn list_collaborators(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    Path(id): Path<String>,
) -> Result<axum::Json<Vec<CollaboratorJson>>, ApiError> {
    let list = state.app.collaborators(&actor, report_id(&id)?).await?;
    Ok(axum::Json(list.iter().map(|c| collaborator_json(c, None)).collect()))
}

/// Revokes an invitation: its link and the invitee's access end at once.
#[utoipa::path(
    delete,
    path = "/api/v1/reports/{id}/collaborators/{collaborator}",
    tag = "reports",
    params(("id" = String, Path), ("collaborator" = String, Path, description = "The invitation's id")),
    security(("session" = []), ("bearer" = [])),
    responses(
        (status = 204, description = "Revoked"),
        (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)
    )
)]
pub(crate) async fn revoke_collaborator(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    Path((id, collaborator)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    state.app.revoke_collaborator(&actor, report_id(&id)?, collaborator_id(&collaborator)?).await?;
    Ok(StatusCode::NO_CONTENT)
}
