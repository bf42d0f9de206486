//! Sessions as people manage them: each person lists and ends their own
//! sessions, an administrator ends someone else's, and changing a password
//! ends every other session of its account.

use embargo_core::id::{SessionId, UserId};
use embargo_core::permission::{Action, Actor};
use embargo_core::private::Private;
use embargo_core::text::TextError;
use embargo_store::StoreExt;
use embargo_store::sessions::Session;
use serde_json::json;

use crate::audit::record;
use crate::secret::{TokenKind, check_password, hash_password, hash_token, token_kind, verify_password};
use crate::{App, AppError, require};

/// A session as its holder sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionView {
    /// The session.
    pub session: Session,
    /// It is the one the request came with.
    pub current: bool,
}

impl App {
    /// The id of the session a cookie holds, if it is a live session of `user`.
    async fn session_id_of(&self, user: UserId, token: Option<&str>) -> Result<Option<SessionId>, AppError> {
        let Some(token) = token.filter(|t| token_kind(t) == Some(TokenKind::Session)) else {
            return Ok(None);
        };
        let session = self.store.reader().await?.session(&hash_token(token), self.now()).await?;
        Ok(session.filter(|s| s.user_id == user).map(|s| s.id))
    }

    /// The signed-in user's live sessions, newest first; `current` is the
    /// session cookie sent with the request, to mark it.
    pub async fn sessions(&self, actor: &Actor, current: Option<&str>) -> Result<Vec<SessionView>, AppError> {
        let user = actor.user().ok_or(AppError::Unauthenticated)?.id;
        let current = self.session_id_of(user, current).await?;
        let sessions = self.store.reader().await?.sessions(user, self.now()).await?;
        Ok(sessions.into_iter().map(|session| SessionView { current: Some(session.id) == current, session }).collect())
    }

    /// Ends one of the signed-in user's sessions (another's is "not found").
    pub async fn end_session(&self, actor: &Actor, id: SessionId) -> Result<(), AppError> {
        let user = actor.user().ok_or(AppError::Unauthenticated)?.id;
        let (now, actor) = (self.now(), actor.clone());
        self.store
            .write(move |tx| {
                Box::pin(async move {
                    if !tx.end_session(user, id).await? {
                        return Err(AppError::NotFound);
                    }
                    record(tx, now, &actor, "session.ended", format!("session:{id}"), json!({})).await
                })
            })
            .await
    }

    /// Ends every session of the signed-in user but the one the request came with.
    pub async fn end_other_sessions(&self, actor: &Actor, current: Option<&str>) -> Result<u64, AppError> {
        let user = actor.user().ok_or(AppError::Unauthenticated)?.id;
        let keep = self.session_id_of(user, current).await?;
        let (now, actor) = (self.now(), actor.clone());
        self.store
            .write(move |tx| {
                Box::pin(async move {
                    let ended = tx.end_sessions(user, keep).await?;
                    let details = json!({"sessions_ended": ended});
                    record(tx, now, &actor, "session.ended_others", format!("user:{user}"), details).await?;
                    Ok(ended)
                })
            })
            .await
    }

    /// An administrator signs someone out everywhere: every session ends and
    /// every API token is revoked. Answers (sessions ended, tokens revoked).
    pub async fn end_user_sessions(&self, actor: &Actor, user: UserId) -> Result<(u64, u64), AppError> {
        require(actor, Action::ManageInstance)?;
        let (now, actor) = (self.now(), actor.clone());
        self.store
            .write(move |tx| {
                Box::pin(async move {
                    tx.user(user).await?.ok_or(AppError::NotFound)?;
                    let ended = tx.end_sessions(user, None).await?;
                    let revoked = tx.revoke_api_tokens(user, now).await?;
                    let details = json!({"sessions_ended": ended, "tokens_revoked": revoked});
                    record(tx, now, &actor, "user.signed_out", format!("user:{user}"), details).await?;
                    Ok((ended, revoked))
                })
            })
            .await
    }

    /// Changes the signed-in user's password, given the current one. Every
    /// other session of the account ends.
    pub async fn change_password(
        &self,
        actor: &Actor,
        current_session: Option<&str>,
        current: Private<String>,
        new: Private<String>,
    ) -> Result<(), AppError> {
        let user_id = actor.user().ok_or(AppError::Unauthenticated)?.id;
        let mut reader = self.store.reader().await?;
        let user = reader.user(user_id).await?.ok_or(AppError::Unauthenticated)?;
        let credentials = reader.credentials(&user.email).await?.ok_or(AppError::Unauthenticated)?;
        drop(reader);
        if !verify_password(current, credentials.password_hash).await? {
            return Err(AppError::invalid("current_password", "your current password"));
        }
        check_password(new.expose(), &[user.email.as_str(), user.name.as_str()]).map_err(|e| match e {
            // The form names the new password `new_password`.
            AppError::Invalid(mut errors) => {
                for error in &mut errors.0 {
                    if let TextError::Malformed { field, .. } | TextError::Refused { field, .. } = error {
                        *field = "new_password";
                    }
                }
                AppError::Invalid(errors)
            }
            other => other,
        })?;
        let hash = hash_password(new).await?;
        let keep = self.session_id_of(user_id, current_session).await?;
        let (now, actor) = (self.now(), actor.clone());
        self.store
            .write(move |tx| {
                Box::pin(async move {
                    tx.set_password(user_id, hash).await?;
                    let ended = tx.end_sessions(user_id, keep).await?;
                    let details = json!({"sessions_ended": ended});
                    record(tx, now, &actor, "user.password_changed", format!("user:{user_id}"), details).await
                })
            })
            .await
    }
}
