//! Writing audit events and checking the chain.

use embargo_core::Timestamp;
use embargo_core::permission::Actor;
use embargo_store::Writer;
use embargo_store::audit::{AuditEntry, Verification};

use crate::{App, AppError};

/// How an actor is named in the audit log.
pub(crate) fn actor_name(actor: &Actor) -> String {
    match actor {
        Actor::Anonymous => "anonymous".to_owned(),
        Actor::FollowUp(report) => format!("followup:{report}"),
        Actor::Interested(report) => format!("interested:{report}"),
        Actor::User(user) => format!("user:{}", user.id),
        Actor::Operator => "cli".to_owned(),
    }
}

/// Appends one event in the use case's transaction. `details` are
/// metadata only: never report text, messages or secrets.
pub(crate) async fn record(
    tx: &mut dyn Writer,
    at: Timestamp,
    actor: &Actor,
    action: &str,
    subject: String,
    details: serde_json::Value,
) -> Result<(), AppError> {
    tx.append_audit(AuditEntry { at, actor: actor_name(actor), action: action.to_owned(), subject, details }).await?;
    Ok(())
}

impl App {
    /// Checks the whole audit chain (`embargo audit verify`).
    pub async fn verify_audit(&self) -> Result<Verification, AppError> {
        Ok(embargo_store::audit::verify(self.store.as_ref()).await?)
    }
}
