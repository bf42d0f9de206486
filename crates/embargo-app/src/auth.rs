//! Who is asking: turning a presented credential into an [`Actor`].

use embargo_core::permission::{Actor, UserActor};
use embargo_core::user::{TeamScope, User};
use embargo_store::{Reader, StoreExt};

use crate::secret::{TokenKind, hash_token, token_kind};
use crate::{App, AppError};

/// A credential as presented with a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Credential {
    /// The session cookie of a browser.
    Session(String),
    /// An `Authorization: Bearer` token: an API token or a follow-up token.
    Bearer(String),
}

impl App {
    /// The actor behind a credential. No credential, or an expired session
    /// cookie, is anonymous; a bearer token that is not valid is refused.
    pub async fn authenticate(&self, credential: Option<&Credential>) -> Result<Actor, AppError> {
        let Some(credential) = credential else {
            return Ok(Actor::Anonymous);
        };
        let now = self.now();
        let mut reader = self.store.reader().await?;
        match credential {
            Credential::Session(token) => {
                if token_kind(token) != Some(TokenKind::Session) {
                    return Ok(Actor::Anonymous);
                }
                let Some(user_id) = reader.session_user(&hash_token(token), now).await? else {
                    return Ok(Actor::Anonymous);
                };
                let Some(user) = reader.user(user_id).await? else {
                    return Ok(Actor::Anonymous);
                };
                Ok(Actor::User(user_actor(reader.as_mut(), &user, None).await?))
            }
            Credential::Bearer(token) => match token_kind(token) {
                Some(TokenKind::Api) => {
                    let api = reader.api_token(&hash_token(token), now).await?.ok_or(AppError::Unauthenticated)?;
                    let user = reader.user(api.user_id).await?.ok_or(AppError::Unauthenticated)?;
                    Ok(Actor::User(user_actor(reader.as_mut(), &user, Some(api.scopes)).await?))
                }
                Some(TokenKind::FollowUp) => {
                    let report =
                        reader.report_by_followup(&hash_token(token)).await?.ok_or(AppError::Unauthenticated)?;
                    Ok(Actor::FollowUp(report))
                }
                Some(TokenKind::Share) => {
                    let hash = hash_token(token);
                    let share = reader.share_by_token(&hash).await?.ok_or(AppError::Unauthenticated)?;
                    drop(reader);
                    // The team sees when the party first and last used their link.
                    self.store.write(move |tx| Box::pin(async move { tx.share_opened(&hash, now).await })).await?;
                    Ok(Actor::Interested(share.report_id))
                }
                Some(TokenKind::Invitation) => {
                    let grant =
                        reader.collaboration_by_token(&hash_token(token)).await?.ok_or(AppError::Unauthenticated)?;
                    Ok(Actor::Collaborator(grant))
                }
                Some(TokenKind::Session | TokenKind::Setup | TokenKind::Signup) | None => {
                    Err(AppError::Unauthenticated)
                }
            },
        }
    }
}

impl App {
    /// The actor for a user named on the server's command line
    /// (`embargo report --as EMAIL`): the operator already holds the
    /// database, so no password is asked; every action is audited as that user.
    pub async fn act_as(&self, email: &str) -> Result<Actor, AppError> {
        let email: embargo_core::text::Email = email.parse()?;
        let mut reader = self.store.reader().await?;
        let user = reader
            .user_by_email(&email)
            .await?
            .ok_or_else(|| AppError::invalid("as", "the address of an existing account"))?;
        Ok(Actor::User(user_actor(reader.as_mut(), &user, None).await?))
    }
}

/// A user as the permission function sees them: their teams, the reports
/// they were invited to, and token scopes.
pub(crate) async fn user_actor(
    reader: &mut dyn Reader,
    user: &User,
    scopes: Option<embargo_core::user::TokenScopes>,
) -> Result<UserActor, AppError> {
    let memberships = reader.memberships(user.id).await?;
    let (mut team_orgs, mut team_projects) = (Vec::new(), Vec::new());
    for m in memberships {
        match m.scope {
            TeamScope::Organisation(org) => team_orgs.push(org),
            TeamScope::Project(project) => team_projects.push(project),
        }
    }
    let collaborations = reader.collaborations(user.id).await?;
    Ok(UserActor {
        id: user.id,
        is_admin: user.is_admin,
        is_banned: user.banned_at.is_some(),
        team_orgs,
        team_projects,
        scopes,
        collaborations,
    })
}
