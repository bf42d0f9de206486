//! The signed-in user's passkeys and security keys (WebAuthn), listed. Adding
//! and removing keys happens on the account page, where the browser's
//! WebAuthn call can be made.

use axum::extract::State;
use embargo_app::SecurityKeyView;
use serde::Serialize;
use time::OffsetDateTime;
use utoipa::ToSchema;

use crate::AppState;
use crate::error::{ApiError, ErrorBody};
use crate::extract::CurrentActor;

/// A registered passkey or security key (never its credential).
#[derive(Serialize, ToSchema)]
pub(crate) struct SecurityKeyJson {
    /// Its id.
    id: String,
    /// The name its owner gave it.
    name: String,
    /// When it was added.
    #[serde(with = "time::serde::rfc3339")]
    created_at: OffsetDateTime,
    /// When it last signed its owner in.
    #[serde(with = "time::serde::rfc3339::option")]
    last_used_at: Option<OffsetDateTime>,
}

impl From<SecurityKeyView> for SecurityKeyJson {
    fn from(k: SecurityKeyView) -> Self {
        SecurityKeyJson { id: k.id.to_string(), name: k.name, created_at: k.created_at, last_used_at: k.last_used_at }
    }
}

/// The signed-in user's passkeys and security keys, oldest first.
#[utoipa::path(
    get,
    path = "/api/v1/security-keys",
    tag = "accounts",
    security(("session" = []), ("bearer" = [])),
    responses((status = 200, body = [SecurityKeyJson]), (status = 401, body = ErrorBody))
)]
pub(crate) async fn list_security_keys(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
) -> Result<axum::Json<Vec<SecurityKeyJson>>, ApiError> {
    let keys = state.app.security_keys(&actor).await?;
    Ok(axum::Json(keys.into_iter().map(SecurityKeyJson::from).collect()))
}
