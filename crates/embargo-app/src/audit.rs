//! Writing audit events and checking the chain.

use embargo_core::Timestamp;
use embargo_core::id::{ReportId, UserId};
use embargo_core::permission::{Action, Actor, Decision, decide};
use embargo_core::text::Email;
use embargo_store::Writer;
use embargo_store::audit::{AuditEntry, AuditFilter, AuditRecord, Verification};
use embargo_store::checkpoint::{Checkpoint, CheckpointError, CheckpointProblem};

use crate::auth::user_actor;
use crate::{App, AppError, require};

/// How an actor is named in the audit log.
pub(crate) fn actor_name(actor: &Actor) -> String {
    match actor {
        Actor::Anonymous => "anonymous".to_owned(),
        Actor::FollowUp(report) => format!("followup:{report}"),
        Actor::Interested(report) => format!("interested:{report}"),
        Actor::Collaborator(grant) => format!("collaborator:{}", grant.id),
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
    /// The daily checkpoint mail: the current checkpoint, to everyone the
    /// permission function lets read the audit log. Sent by the mail channel
    /// when a `CheckpointDue` event reaches it.
    pub async fn checkpoint_mail(&self) -> Result<CheckpointMail, AppError> {
        let mut reader = self.store.reader().await?;
        let mut recipients = Vec::new();
        for user in reader.users().await? {
            let actor = Actor::User(user_actor(reader.as_mut(), &user, None).await?);
            if decide(&actor, Action::ReadAuditLog) == Decision::Allow {
                recipients.push(user.email);
            }
        }
        drop(reader);
        let checkpoint = self.audit_checkpoint(&Actor::Operator).await?;
        Ok(CheckpointMail { recipients, checkpoint })
    }

    /// Checks the whole audit chain (`embargo audit verify`).
    pub async fn verify_audit(&self) -> Result<Verification, AppError> {
        Ok(embargo_store::audit::verify(self.store.as_ref()).await?)
    }
}

/// The current checkpoint of the audit log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditCheckpoint {
    /// What it says.
    pub checkpoint: Checkpoint,
    /// The signed text (`embargo audit checkpoint`'s output).
    pub text: String,
}

/// The daily checkpoint mail (issue 12): who gets it and what it says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckpointMail {
    /// Everyone who may read the audit log (the administrators).
    pub recipients: Vec<Email>,
    /// The log's checkpoint as it stands now.
    pub checkpoint: AuditCheckpoint,
}

/// The outcome of `embargo audit verify --checkpoint FILE`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckpointVerification {
    /// The chain's own check.
    pub chain: Verification,
    /// The checkpoint that was read.
    pub checkpoint: Checkpoint,
    /// Where the log fails to extend the checkpoint, if it does.
    pub problem: Option<CheckpointProblem>,
}

/// Which audit events to list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditQuery {
    /// Only events about this report.
    pub report: Option<ReportId>,
    /// Only events done by this person.
    pub person: Option<UserId>,
    /// Only events at or after this time.
    pub since: Option<Timestamp>,
    /// Only events before this time.
    pub until: Option<Timestamp>,
    /// Only events before this sequence number (the next page).
    pub before: Option<u64>,
    /// At most this many (capped by the instance's page size).
    pub limit: Option<u32>,
}

impl App {
    /// A signed checkpoint of the audit log as it stands now.
    pub async fn audit_checkpoint(&self, actor: &Actor) -> Result<AuditCheckpoint, AppError> {
        require(actor, Action::ReadAuditLog)?;
        let (checkpoint, text) = embargo_store::audit::checkpoint(self.store.as_ref(), self.now()).await?;
        Ok(AuditCheckpoint { checkpoint, text })
    }

    /// Checks the chain and that the log still extends the checkpoint `text`.
    /// A checkpoint that is malformed, or not signed by this instance, is
    /// answered as the inner error, naming the line or the signature.
    pub async fn verify_audit_checkpoint(
        &self,
        text: &str,
    ) -> Result<Result<CheckpointVerification, CheckpointError>, AppError> {
        let checkpoint = match self.store.audit_check().read_checkpoint(text) {
            Ok(checkpoint) => checkpoint,
            Err(refused) => return Ok(Err(refused)),
        };
        let chain = self.verify_audit().await?;
        let problem = embargo_store::audit::compare_checkpoint(self.store.as_ref(), &checkpoint).await?;
        Ok(Ok(CheckpointVerification { chain, checkpoint, problem }))
    }

    /// Audit events, newest first (administrators).
    pub async fn audit_events(&self, actor: &Actor, query: AuditQuery) -> Result<Vec<AuditRecord>, AppError> {
        require(actor, Action::ReadAuditLog)?;
        let limit = query.limit.unwrap_or(100).clamp(1, self.config.max_page);
        let filter = AuditFilter {
            subject: query.report.map(|r| format!("report:{r}")),
            actor: query.person.map(|u| format!("user:{u}")),
            since: query.since,
            until: query.until,
            before: query.before,
            limit,
        };
        Ok(self.store.reader().await?.audit_search(&filter).await?)
    }
}
