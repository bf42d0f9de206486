//! VEX statements (issue 14, item 5): the team states that a release line
//! of the advisory's project is not affected, with OpenVEX's justification.
//! The statements feed the advisory's CSAF VEX and OpenVEX documents
//! (`vex_documents`), which the advisory page links and the CSAF provider
//! lists. Stating and taking back are audited and emit
//! [`Event::VexChanged`] (webhooks: `advisory.vex_changed`, for published advisories).

use embargo_core::advisory::AdvisoryState;
use embargo_core::id::AdvisoryId;
use embargo_core::permission::{Action, Actor};
use embargo_core::text::{FieldErrors, TextError};
use embargo_core::vex::{Justification, NotAffected};
use embargo_store::StoreExt;
use serde_json::json;

use super::project_access;
use crate::audit::record;
use crate::events::{Event, emit};
use crate::{App, AppError, require};

/// The longest impact statement taken.
pub const MAX_IMPACT: usize = 2_000;

/// "This release line is not affected", as typed.
#[derive(Debug, Clone, Default)]
pub struct NotAffectedInput {
    /// The release line's name (one of the project's).
    pub line: String,
    /// One of OpenVEX's justifications.
    pub justification: String,
    /// Optional words on why (OpenVEX `impact_statement`).
    pub impact: Option<String>,
}

fn refused(field: &'static str, reason: impl Into<String>) -> TextError {
    TextError::Refused { field, reason: reason.into() }
}

impl App {
    /// States a release line of the advisory's project not affected (or
    /// restates it); answers every statement. The advisory must not be
    /// withdrawn; the line must be one of the project's.
    pub async fn state_not_affected(
        &self,
        actor: &Actor,
        id: &AdvisoryId,
        input: NotAffectedInput,
    ) -> Result<Vec<NotAffected>, AppError> {
        let (now, actor, id) = (self.now(), actor.clone(), id.clone());
        let entropy = std::sync::Arc::clone(&self.entropy);
        self.store
            .write(move |tx| {
                Box::pin(async move {
                    let advisory = tx.lock_advisory(&id).await?.ok_or(AppError::NotFound)?;
                    require(&actor, Action::EditAdvisory(project_access(&advisory)))?;
                    let mut errors = Vec::new();
                    if advisory.state == AdvisoryState::Withdrawn {
                        errors.push(refused("line", "the advisory is withdrawn"));
                    }
                    let lines = tx.release_lines(advisory.project_id).await?;
                    let line = input.line.trim().to_owned();
                    if !lines.iter().any(|l| l.name.as_str() == line) {
                        let names: Vec<&str> = lines.iter().map(|l| l.name.as_str()).collect();
                        let known = if names.is_empty() { "none".to_owned() } else { names.join(", ") };
                        errors
                            .push(refused("line", format!("{line:?} is not a release line of the project ({known})")));
                    }
                    let justification = input.justification.parse::<Justification>();
                    if let Err(e) = &justification {
                        errors.push(refused("justification", e.to_string()));
                    }
                    let impact = input.impact.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty());
                    if impact.as_ref().is_some_and(|s| s.chars().count() > MAX_IMPACT) {
                        errors.push(refused("impact", format!("at most {MAX_IMPACT} characters")));
                    }
                    let (Ok(justification), true) = (justification, errors.is_empty()) else {
                        return Err(AppError::Invalid(FieldErrors(errors)));
                    };
                    let statement = NotAffected { line, justification, impact, stated_at: now };
                    tx.put_vex_statement(&id, &statement).await?;
                    let details = json!({"line": statement.line, "justification": justification.as_str()});
                    record(tx, now, &actor, "advisory.vex_not_affected", format!("advisory:{id}"), details).await?;
                    let event =
                        Event::VexChanged { advisory: id.clone(), line: statement.line.clone(), not_affected: true };
                    emit(tx, entropy.as_ref(), now, &event).await?;
                    Ok(tx.vex_statements(&id).await?)
                })
            })
            .await
    }

    /// Takes back what was stated for a release line; answers what remains.
    pub async fn take_back_not_affected(
        &self,
        actor: &Actor,
        id: &AdvisoryId,
        line: &str,
    ) -> Result<Vec<NotAffected>, AppError> {
        let (now, actor, id, line) = (self.now(), actor.clone(), id.clone(), line.to_owned());
        let entropy = std::sync::Arc::clone(&self.entropy);
        self.store
            .write(move |tx| {
                Box::pin(async move {
                    let advisory = tx.lock_advisory(&id).await?.ok_or(AppError::NotFound)?;
                    require(&actor, Action::EditAdvisory(project_access(&advisory)))?;
                    if !tx.remove_vex_statement(&id, &line).await? {
                        return Err(AppError::NotFound);
                    }
                    let details = json!({"line": line});
                    record(tx, now, &actor, "advisory.vex_taken_back", format!("advisory:{id}"), details).await?;
                    let event = Event::VexChanged { advisory: id.clone(), line, not_affected: false };
                    emit(tx, entropy.as_ref(), now, &event).await?;
                    Ok(tx.vex_statements(&id).await?)
                })
            })
            .await
    }

    /// What the team stated about a published advisory (public, as its VEX
    /// documents are); [`AppError::NotFound`] for drafts and unknown ids.
    pub async fn vex_statements(&self, id: &AdvisoryId) -> Result<Vec<NotAffected>, AppError> {
        let mut reader = self.store.reader().await?;
        reader.published_advisory(id).await?.ok_or(AppError::NotFound)?;
        Ok(reader.vex_statements(id).await?)
    }
}
