//! Collaborators: the team invites a person to one report by e-mail, as a
//! collaborator or a co-finder; the invitation is a private link (mailed by
//! the `CollaboratorInvited` event's notice), listed on the report, revocable,
//! and audited.

use std::sync::Arc;

use embargo_core::collaborator::{Collaborator, CollaboratorRole};
use embargo_core::id::{CollaboratorId, ReportId};
use embargo_core::permission::{Action, Actor};
use embargo_core::private::Private;
use embargo_core::text::{Email, FieldErrors, TextError};
use embargo_store::StoreExt;
use serde_json::json;

use super::access;
use crate::audit::record;
use crate::entropy::NewIds;
use crate::events::{Event, emit};
use crate::secret::{Token, TokenKind};
use crate::{App, AppError, require};

/// An invitation as the team asks for it.
#[derive(Debug, Clone, Default)]
pub struct NewCollaborator {
    /// Where to send the invitation.
    pub email: String,
    /// `collaborator` or `reporter` (a co-finder).
    pub role: String,
    /// Whether they may read internal notes.
    pub sees_internal: bool,
}

/// A new invitation with its link's token (shown once; also mailed to the invitee).
#[derive(Debug, Clone)]
pub struct Invitation {
    /// The invitation.
    pub collaborator: Collaborator,
    /// The private link's token.
    pub token: Token,
}

fn role(text: &str) -> Result<CollaboratorRole, AppError> {
    text.trim().parse().map_err(|e: embargo_core::text::UnknownName| {
        AppError::Invalid(FieldErrors(vec![TextError::Refused { field: "role", reason: e.to_string() }]))
    })
}

impl App {
    /// Invites a person to work on one report (team only). An account with the
    /// address sees the report under its own session from now on; everyone
    /// gets the private link by mail.
    pub async fn invite_collaborator(
        &self,
        actor: &Actor,
        id: ReportId,
        new: NewCollaborator,
    ) -> Result<Invitation, AppError> {
        let mut errors = Vec::new();
        let email = new.email.parse::<Email>().map_err(|e| errors.push(e)).ok();
        let role = match role(&new.role) {
            Ok(role) => Some(role),
            Err(AppError::Invalid(FieldErrors(mut more))) => {
                errors.append(&mut more);
                None
            }
            Err(other) => return Err(other),
        };
        let now = self.now();
        let (tx_actor, entropy) = (actor.clone(), Arc::clone(&self.entropy));
        let token = Token::generate(TokenKind::Invitation, self.entropy.as_ref())?;
        let collaborator_id = self.entropy.collaborator_id()?;
        self.store
            .write(move |tx| {
                Box::pin(async move {
                    let actor = tx_actor;
                    let report = tx.lock_report(id).await?.ok_or(AppError::NotFound)?;
                    require(&actor, Action::ManageCollaborators(access(&report)))?;
                    let (Some(email), Some(role)) = (email, role) else {
                        return Err(AppError::Invalid(FieldErrors(errors)));
                    };
                    let invited = tx.collaborators(id).await?;
                    if invited.iter().any(|c| c.revoked_at.is_none() && c.email == email) {
                        return Err(AppError::Conflict { what: "an invitation for this address" });
                    }
                    let user_id = tx.user_by_email(&email).await?.map(|u| u.id);
                    let collaborator = Collaborator {
                        id: collaborator_id,
                        report_id: id,
                        email,
                        user_id,
                        role,
                        sees_internal: new.sees_internal,
                        invited_by: actor.user_id(),
                        created_at: now,
                        revoked_at: None,
                    };
                    tx.insert_collaborator(&collaborator, &token.hash(), &Private::new(token.expose().to_owned()))
                        .await?;
                    let details = json!({
                        "collaborator": collaborator_id.to_string(),
                        "role": role.as_str(),
                        "sees_internal": new.sees_internal,
                        "account": user_id.is_some(),
                    });
                    record(tx, now, &actor, "report.collaborator_invited", format!("report:{id}"), details).await?;
                    let event = Event::CollaboratorInvited { report: id, collaborator: collaborator_id };
                    emit(tx, entropy.as_ref(), now, &event).await?;
                    Ok(Invitation { collaborator, token })
                })
            })
            .await
    }

    /// A report's invitations, revoked ones included (team only).
    pub async fn collaborators(&self, actor: &Actor, id: ReportId) -> Result<Vec<Collaborator>, AppError> {
        let mut reader = self.store.reader().await?;
        let report = reader.report(id).await?.ok_or(AppError::NotFound)?;
        require(actor, Action::ManageCollaborators(access(&report)))?;
        Ok(reader.collaborators(id).await?)
    }

    /// Revokes an invitation (team only): its link and the account's access end at once.
    pub async fn revoke_collaborator(
        &self,
        actor: &Actor,
        id: ReportId,
        collaborator: CollaboratorId,
    ) -> Result<(), AppError> {
        let now = self.now();
        let tx_actor = actor.clone();
        self.store
            .write(move |tx| {
                Box::pin(async move {
                    let actor = tx_actor;
                    let report = tx.lock_report(id).await?.ok_or(AppError::NotFound)?;
                    require(&actor, Action::ManageCollaborators(access(&report)))?;
                    let Some(found) = tx.collaborator(collaborator).await?.filter(|c| c.report_id == id) else {
                        return Err(AppError::NotFound);
                    };
                    if !tx.revoke_collaborator(found.id, now).await? {
                        return Err(AppError::NotFound);
                    }
                    let details = json!({"collaborator": found.id.to_string(), "role": found.role.as_str()});
                    record(tx, now, &actor, "report.collaborator_revoked", format!("report:{id}"), details).await
                })
            })
            .await
    }

    /// Notes that a share's mail went out to its party, and forgets the link token kept for it.
    pub async fn share_mailed(&self, share: embargo_core::id::ShareId) -> Result<(), AppError> {
        let now = self.now();
        Ok(self.store.write(move |tx| Box::pin(async move { tx.share_mailed(share, now).await })).await?)
    }

    /// Forgets the link token kept for an invitation's mail, once the mail went out.
    pub async fn invitation_sent(&self, collaborator: CollaboratorId) -> Result<(), AppError> {
        Ok(self.store.write(move |tx| Box::pin(async move { tx.clear_invitation_token(collaborator).await })).await?)
    }
}
