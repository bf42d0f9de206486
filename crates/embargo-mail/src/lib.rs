//! Embargo's e-mail channel: inbound MIME and OpenPGP ([`inbound`],
//! [`openpgp`]), the built-in SMTP listener ([`listener`]), the handoff from
//! `embargo-mailgate` ([`handoff`]), and notifications sent through an SMTP
//! relay ([`outbound`]).
//!
//! [`ingest`] is the one way mail comes in, from `embargo mail ingest` (an
//! MTA's pipe), the handoff and the listener alike.

pub mod handoff;
pub mod inbound;
pub mod listener;
pub mod openpgp;
pub mod outbound;

use embargo_app::{App, AppError, MailOutcome};
use embargo_core::id::{MessageId, ReportId};

use crate::inbound::{Envelope, Limits, LoopReason, Reading, Refusal};
use crate::openpgp::Keyring;

/// What became of a received mail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ingested {
    /// A new report.
    Filed(ReportId),
    /// A message on a report.
    Replied(ReportId, MessageId),
    /// Seen before: nothing stored.
    Duplicate,
    /// Machine mail: dropped without an answer.
    Dropped(LoopReason),
}

/// Why a mail was not taken.
#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    /// The mail itself is refused; sending it again will not help.
    #[error("refused: {0}")]
    Refused(#[from] Refusal),
    /// No project takes mail for its addresses.
    #[error("no project takes mail for {0}")]
    NoProject(String),
    /// Its sender's account (or the account their address belongs to) is
    /// banned: the rule and whom to write to, for the bounce.
    #[error("the sender may not report: {0}")]
    Banned(String),
    /// Its content is not acceptable as a report ({0}).
    #[error("the mail cannot be filed: {0}")]
    Invalid(String),
    /// Something on our side failed; the MTA should try again later.
    #[error("temporary failure: {0}")]
    Temporary(String),
}

impl IngestError {
    /// The `reason` label of `embargo_mail_refused_total`: the kind, never the content.
    pub fn metric_reason(&self) -> &'static str {
        match self {
            IngestError::NoProject(_) => "no_such_address",
            IngestError::Banned(_) => "banned",
            IngestError::Invalid(_) => "invalid",
            IngestError::Temporary(_) => "temporary",
            IngestError::Refused(_) => "refused",
        }
    }

    /// Whether trying again later may succeed (so an MTA should keep the mail).
    pub fn is_temporary(&self) -> bool {
        matches!(self, IngestError::Temporary(_))
    }
}

/// Reads one mail and files it: a report, a reply, or nothing (duplicate, loop).
pub async fn ingest(app: &App, raw: &[u8], envelope: &Envelope, limits: Limits) -> Result<Ingested, IngestError> {
    let outcome = file_mail(app, raw, envelope, limits).await;
    match &outcome {
        Ok(Ingested::Filed(_) | Ingested::Replied(..)) => metrics::counter!("embargo_mail_received_total").increment(1),
        Ok(Ingested::Duplicate | Ingested::Dropped(_)) => {}
        Err(e) => metrics::counter!("embargo_mail_refused_total", "reason" => e.metric_reason()).increment(1),
    }
    outcome
}

async fn file_mail(app: &App, raw: &[u8], envelope: &Envelope, limits: Limits) -> Result<Ingested, IngestError> {
    let temporary = |e: AppError| IngestError::Temporary(e.to_string());
    // Most mail is neither encrypted nor signed: it is read without keys,
    // and read again with every stored key only when the reading asked for
    // one (so the key store is read and its keys parsed only then).
    let unkeyed = Keyring::default();
    let mut reading = inbound::read(raw, envelope, &unkeyed, limits);
    if unkeyed.consulted() {
        let keys = app.mail_keys().await.map_err(temporary)?;
        reading = inbound::read(raw, envelope, &Keyring::new(&keys.decryption, &keys.verification), limits);
    }
    let mail = match reading? {
        Reading::Loop(reason) => {
            tracing::info!(?reason, "machine mail dropped without an answer");
            return Ok(Ingested::Dropped(reason));
        }
        Reading::Mail(mail) => *mail,
    };
    let recipients = mail.recipients.join(", ");
    match app.receive_mail(mail).await {
        Ok(MailOutcome::Filed { report }) => {
            tracing::info!(%report, "mail filed as a new report");
            Ok(Ingested::Filed(report))
        }
        Ok(MailOutcome::Replied { report, message, .. }) => {
            tracing::info!(%report, %message, "mail filed as a message");
            Ok(Ingested::Replied(report, message))
        }
        Ok(MailOutcome::Duplicate) => Ok(Ingested::Duplicate),
        Err(AppError::NotFound) => Err(IngestError::NoProject(recipients)),
        Err(AppError::Banned(why)) => Err(IngestError::Banned(why.to_string())),
        Err(AppError::Forbidden) => Err(IngestError::Banned("the sender may not report".to_owned())),
        Err(AppError::Invalid(errors)) => Err(IngestError::Invalid(errors.to_string())),
        Err(other) => Err(temporary(other)),
    }
}
