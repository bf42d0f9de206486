//! Domain events: what a use case did, written into the outbox in the use
//! case's own transaction. Events hold ids, states and names, never private
//! text; a subscriber that needs more reads it with the ids.
//!
//! The outbox works in two steps. A use case writes one `event` job; the job
//! runner later fans it out into one job per subscriber that wants it
//! (`crate::subscribers`), so each subscriber retries on its own and a new
//! subscriber never touches a use case.

use std::fmt::Display;
use std::str::FromStr;

use embargo_core::Timestamp;
use embargo_core::id::{AdvisoryId, CollaboratorId, CveId, MessageId, ProjectId, ReportId, ShareId, SignupId, UserId};
use embargo_core::lifecycle::ReportState;
use embargo_core::message::{Channel, Visibility};
use embargo_store::Writer;
use embargo_store::jobs::NewJob;
use serde::{Deserialize, Serialize};

use crate::AppError;
use crate::entropy::{Entropy, NewIds};

/// Something that happened, as subscribers hear of it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum Event {
    /// A report arrived.
    ReportSubmitted {
        /// The report.
        #[serde(with = "as_text")]
        report: ReportId,
        /// How it arrived.
        #[serde(with = "as_text")]
        channel: Channel,
    },
    /// A report moved to another state.
    StateChanged {
        /// The report.
        #[serde(with = "as_text")]
        report: ReportId,
        /// Where it was.
        #[serde(with = "as_text")]
        from: ReportState,
        /// Where it is now.
        #[serde(with = "as_text")]
        to: ReportState,
    },
    /// A message was posted on a report.
    MessagePosted {
        /// The report.
        #[serde(with = "as_text")]
        report: ReportId,
        /// The message.
        #[serde(with = "as_text")]
        message: MessageId,
        /// Who may read it.
        #[serde(with = "as_text")]
        visibility: Visibility,
    },
    /// A report's assignee changed.
    AssigneeChanged {
        /// The report.
        #[serde(with = "as_text")]
        report: ReportId,
        /// The new assignee, if any.
        #[serde(with = "as_optional_text")]
        assignee: Option<UserId>,
    },
    /// An advisory was drafted.
    AdvisoryDrafted {
        /// The advisory.
        #[serde(with = "as_text")]
        advisory: AdvisoryId,
    },
    /// An advisory's first revision was published.
    AdvisoryPublished {
        /// The advisory.
        #[serde(with = "as_text")]
        advisory: AdvisoryId,
    },
    /// A later revision of a published advisory was published.
    AdvisoryRevised {
        /// The advisory.
        #[serde(with = "as_text")]
        advisory: AdvisoryId,
        /// The new revision's number.
        revision: u32,
    },
    /// A published advisory was withdrawn.
    AdvisoryWithdrawn {
        /// The advisory.
        #[serde(with = "as_text")]
        advisory: AdvisoryId,
    },
    /// The day's audit checkpoint is due to go out to the administrators.
    CheckpointDue,
    /// Reports to a project arrive in a flood: from now on its team is not
    /// mailed for each one (`embargo_core::throttle::coalesced`), and hears so in one mail.
    IntakeFlood {
        /// The project.
        #[serde(with = "as_text")]
        project: ProjectId,
    },
    /// Someone asked for an account: a mail goes to the address.
    SignupRequested {
        /// The request.
        #[serde(with = "as_text")]
        request: SignupId,
    },
    /// A deadline of the team's is near (three quarters of its time passed).
    DeadlineNear {
        /// The report.
        #[serde(with = "as_text")]
        report: ReportId,
        /// Which deadline.
        #[serde(with = "as_text")]
        deadline: crate::jobs::Deadline,
        /// When it falls due (Unix seconds).
        due: i64,
    },
    /// A deadline of the team's passed with the report still waiting for it.
    DeadlinePassed {
        /// The report.
        #[serde(with = "as_text")]
        report: ReportId,
        /// Which deadline.
        #[serde(with = "as_text")]
        deadline: crate::jobs::Deadline,
        /// When it fell due (Unix seconds).
        due: i64,
    },
    /// A report's embargo end was set, moved or lifted.
    EmbargoChanged {
        /// The report.
        #[serde(with = "as_text")]
        report: ReportId,
    },
    /// A report's embargo ends soon (the policy's reminder time before).
    EmbargoEnding {
        /// The report.
        #[serde(with = "as_text")]
        report: ReportId,
    },
    /// A scheduled publication was refused (the advisory may not be published: the report is not fixed).
    PublicationRefused {
        /// The advisory.
        #[serde(with = "as_text")]
        advisory: AdvisoryId,
    },
    /// The team invited a person to work on a report.
    CollaboratorInvited {
        /// The report.
        #[serde(with = "as_text")]
        report: ReportId,
        /// The invitation.
        #[serde(with = "as_text")]
        collaborator: CollaboratorId,
    },
    /// The team stated a release line of an advisory's project not affected
    /// (VEX), restated it, or took the statement back; the advisory's VEX
    /// documents changed.
    VexChanged {
        /// The advisory.
        #[serde(with = "as_text")]
        advisory: AdvisoryId,
        /// The release line's name.
        line: String,
        /// Whether the line is now stated not affected (`false`: taken back).
        not_affected: bool,
    },
    /// The team shared a report with an interested party: the party hears by mail.
    SharedWithParty {
        /// The report.
        #[serde(with = "as_text")]
        report: ReportId,
        /// The share.
        #[serde(with = "as_text")]
        share: ShareId,
    },
    /// A finder declined their credit or chose the name shown: the team hears.
    CreditChosen {
        /// The report the choice was made on.
        #[serde(with = "as_text")]
        report: ReportId,
    },
    /// The team made a public issue's text from a declined report: the reporter is asked.
    PublicIssueProposed {
        /// The report.
        #[serde(with = "as_text")]
        report: ReportId,
    },
    /// The reporter answered whether the public issue may name them (or objected): the team hears.
    PublicIssueAnswered {
        /// The report.
        #[serde(with = "as_text")]
        report: ReportId,
    },
    /// The team started a report's CRA reporting clocks (`crate::cra`).
    CraStarted {
        /// The report.
        #[serde(with = "as_text")]
        report: ReportId,
        /// `exploited-vulnerability` or `severe-incident`.
        kind: String,
    },
    /// The team recorded a CRA stage as filed with ENISA.
    CraStageFiled {
        /// The report.
        #[serde(with = "as_text")]
        report: ReportId,
        /// `early-warning`, `notification` or `final-report`.
        stage: String,
    },
    /// A report's fix was seen merged (a forge's webhook, or git polling): issue 11.
    FixMerged {
        /// The report.
        #[serde(with = "as_text")]
        report: ReportId,
    },
    /// A CVE id reserved in CVE Services was given to an advisory.
    CveReserved {
        /// The advisory.
        #[serde(with = "as_text")]
        advisory: AdvisoryId,
        /// The CVE id.
        #[serde(with = "as_text")]
        cve: CveId,
    },
    /// An advisory's CVE record was published (or updated) in CVE Services.
    CvePublished {
        /// The advisory.
        #[serde(with = "as_text")]
        advisory: AdvisoryId,
        /// The CVE id.
        #[serde(with = "as_text")]
        cve: CveId,
    },
    /// A CVE id was rejected in CVE Services: its advisory was withdrawn, or
    /// the id was released from an advisory that never published it.
    CveRejected {
        /// The advisory it was given to.
        #[serde(with = "as_text")]
        advisory: AdvisoryId,
        /// The CVE id.
        #[serde(with = "as_text")]
        cve: CveId,
    },
}

impl Event {
    /// The event's name, as in payloads and logs.
    pub const fn name(&self) -> &'static str {
        match self {
            Event::ReportSubmitted { .. } => "report_submitted",
            Event::StateChanged { .. } => "state_changed",
            Event::MessagePosted { .. } => "message_posted",
            Event::AssigneeChanged { .. } => "assignee_changed",
            Event::AdvisoryDrafted { .. } => "advisory_drafted",
            Event::AdvisoryPublished { .. } => "advisory_published",
            Event::AdvisoryRevised { .. } => "advisory_revised",
            Event::AdvisoryWithdrawn { .. } => "advisory_withdrawn",
            Event::CheckpointDue => "checkpoint_due",
            Event::SignupRequested { .. } => "signup_requested",
            Event::IntakeFlood { .. } => "intake_flood",
            Event::CollaboratorInvited { .. } => "collaborator_invited",
            Event::DeadlineNear { .. } => "deadline_near",
            Event::EmbargoChanged { .. } => "embargo_changed",
            Event::EmbargoEnding { .. } => "embargo_ending",
            Event::PublicationRefused { .. } => "publication_refused",
            Event::DeadlinePassed { .. } => "deadline_passed",
            Event::VexChanged { .. } => "vex_changed",
            Event::SharedWithParty { .. } => "shared_with_party",
            Event::CreditChosen { .. } => "credit_chosen",
            Event::PublicIssueProposed { .. } => "public_issue_proposed",
            Event::PublicIssueAnswered { .. } => "public_issue_answered",
            Event::CraStarted { .. } => "cra_started",
            Event::CraStageFiled { .. } => "cra_stage_filed",
            Event::FixMerged { .. } => "fix_merged",
            Event::CveReserved { .. } => "cve_reserved",
            Event::CvePublished { .. } => "cve_published",
            Event::CveRejected { .. } => "cve_rejected",
        }
    }
}

/// The job kind of an event waiting to be fanned out to subscribers.
pub(crate) const EVENT_KIND: &str = "event";

/// Writes `event` into the outbox, in the use case's transaction.
pub(crate) async fn emit(
    tx: &mut dyn Writer,
    ids: &dyn Entropy,
    now: Timestamp,
    event: &Event,
) -> Result<(), AppError> {
    enqueue(tx, ids, now, EVENT_KIND, event).await
}

/// Writes a job of `kind` carrying `event`, due now.
pub(crate) async fn enqueue(
    tx: &mut dyn Writer,
    ids: &dyn Entropy,
    now: Timestamp,
    kind: &str,
    event: &Event,
) -> Result<(), AppError> {
    let job = event_job(ids, now, kind, event)?;
    tx.enqueue_job(&job, now).await?;
    Ok(())
}

/// The job of `kind` carrying `event`, due now, for a use case that writes
/// several jobs at once (`Writer::enqueue_jobs`).
pub(crate) fn event_job(ids: &dyn Entropy, now: Timestamp, kind: &str, event: &Event) -> Result<NewJob, AppError> {
    let payload = serde_json::to_value(event).map_err(|e| AppError::Internal(format!("event payload: {e}")))?;
    Ok(NewJob { id: ids.job_id()?, kind: kind.to_owned(), payload, run_at: now })
}

/// Serde through a type's canonical `Display` and `FromStr`, for ids and
/// names in stored payloads (domain types derive no serde themselves).
pub(crate) mod as_text {
    use super::{Deserialize, Display, FromStr};

    pub(crate) fn serialize<T: Display, S: serde::Serializer>(value: &T, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(value)
    }

    pub(crate) fn deserialize<'de, T, D>(d: D) -> Result<T, D::Error>
    where
        T: FromStr,
        T::Err: Display,
        D: serde::Deserializer<'de>,
    {
        let text = String::deserialize(d)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

/// [`as_text`] for an optional value.
mod as_optional_text {
    use super::{Deserialize, Display, FromStr};

    pub(super) fn serialize<T: Display, S: serde::Serializer>(value: &Option<T>, s: S) -> Result<S::Ok, S::Error> {
        match value {
            Some(value) => s.collect_str(value),
            None => s.serialize_none(),
        }
    }

    pub(super) fn deserialize<'de, T, D>(d: D) -> Result<Option<T>, D::Error>
    where
        T: FromStr,
        T::Err: Display,
        D: serde::Deserializer<'de>,
    {
        match Option::<String>::deserialize(d)? {
            Some(text) => text.parse().map(Some).map_err(serde::de::Error::custom),
            None => Ok(None),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use uuid::Uuid;

    #[test]
    fn events_round_trip_through_payloads() {
        let report = ReportId::from_uuid(Uuid::from_u128(7));
        let advisory: AdvisoryId = "PSF-2026-1".parse().unwrap();
        for event in [
            Event::ReportSubmitted { report, channel: Channel::Email },
            Event::StateChanged { report, from: ReportState::New, to: ReportState::Acknowledged },
            Event::MessagePosted {
                report,
                message: MessageId::from_uuid(Uuid::from_u128(8)),
                visibility: Visibility::Internal,
            },
            Event::AssigneeChanged { report, assignee: Some(UserId::from_uuid(Uuid::from_u128(9))) },
            Event::AssigneeChanged { report, assignee: None },
            Event::AdvisoryDrafted { advisory: advisory.clone() },
            Event::AdvisoryPublished { advisory: advisory.clone() },
            Event::AdvisoryRevised { advisory: advisory.clone(), revision: 2 },
            Event::AdvisoryWithdrawn { advisory: advisory.clone() },
            Event::CheckpointDue,
            Event::IntakeFlood { project: ProjectId::from_uuid(Uuid::from_u128(11)) },
            Event::SignupRequested { request: SignupId::from_uuid(Uuid::from_u128(10)) },
            Event::CollaboratorInvited { report, collaborator: CollaboratorId::from_uuid(Uuid::from_u128(10)) },
            Event::DeadlineNear { report, deadline: crate::jobs::Deadline::Triage, due: 1_780_000_000 },
            Event::EmbargoChanged { report },
            Event::EmbargoEnding { report },
            Event::PublicationRefused { advisory },
            Event::DeadlinePassed { report, deadline: crate::jobs::Deadline::Fix, due: 1_780_000_000 },
            Event::VexChanged { advisory: "PSF-2026-2".parse().unwrap(), line: "2.3".into(), not_affected: true },
            Event::SharedWithParty { report, share: embargo_core::id::ShareId::from_uuid(Uuid::from_u128(12)) },
            Event::CreditChosen { report },
            Event::PublicIssueProposed { report },
            Event::PublicIssueAnswered { report },
            Event::DeadlineNear { report, deadline: crate::jobs::Deadline::CraFinalReport, due: 1_780_000_000 },
            Event::CraStarted { report, kind: "severe-incident".to_owned() },
            Event::CraStageFiled { report, stage: "early-warning".to_owned() },
            Event::FixMerged { report },
        ] {
            let payload = serde_json::to_value(&event).unwrap();
            assert_eq!(payload["event"], event.name());
            assert_eq!(serde_json::from_value::<Event>(payload).unwrap(), event);
        }
    }

    #[test]
    fn an_unknown_or_malformed_payload_is_refused() {
        assert!(serde_json::from_value::<Event>(serde_json::json!({"event": "unknown"})).is_err());
        let bad = serde_json::json!({"event": "state_changed", "report": "x", "from": "new", "to": "nowhere"});
        assert!(serde_json::from_value::<Event>(bad).is_err());
    }
}
