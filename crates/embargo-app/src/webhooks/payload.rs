//! What a webhook receiver is told of an event: the Standard Webhooks body
//! `{"type", "timestamp", "data"}` with ids, states, slugs and public links
//! only. Report titles, messages and drafts never go out: a receiver that
//! needs them fetches them with an API token.

use embargo_core::Timestamp;
use embargo_core::id::{OrgId, ProjectId};
use embargo_store::Reader;
use serde_json::{Value, json};
use time::format_description::well_known::Rfc3339;

use crate::AppError;
use crate::events::Event;

/// Every event type a webhook may subscribe to. `cve.*` come from the CVE
/// Services client (`crate::cve_services`).
pub const EVENT_TYPES: [&str; 11] = [
    "report.submitted",
    "report.state_changed",
    "report.message_posted",
    "report.assignee_changed",
    "advisory.published",
    "advisory.revised",
    "advisory.withdrawn",
    "cve.reserved",
    "cve.published",
    "advisory.vex_changed",
    "cve.rejected",
];

/// The webhook event type of a domain event; `None` for events no receiver hears (drafts).
pub(crate) fn event_type(event: &Event) -> Option<&'static str> {
    match event {
        Event::ReportSubmitted { .. } => Some("report.submitted"),
        Event::StateChanged { .. } => Some("report.state_changed"),
        Event::MessagePosted { .. } => Some("report.message_posted"),
        Event::AssigneeChanged { .. } => Some("report.assignee_changed"),
        Event::AdvisoryDrafted { .. } => None,
        Event::AdvisoryPublished { .. } => Some("advisory.published"),
        Event::AdvisoryRevised { .. } => Some("advisory.revised"),
        Event::AdvisoryWithdrawn { .. } => Some("advisory.withdrawn"),
        Event::CveReserved { .. } => Some("cve.reserved"),
        Event::CvePublished { .. } => Some("cve.published"),
        // Instance housekeeping and the team's own coordination: no receiver follows these.
        Event::CheckpointDue
        | Event::IntakeFlood { .. }
        | Event::SignupRequested { .. }
        | Event::DeadlineNear { .. }
        | Event::DeadlinePassed { .. }
        | Event::EmbargoChanged { .. }
        | Event::EmbargoEnding { .. }
        | Event::PublicationRefused { .. }
        | Event::CollaboratorInvited { .. }
        | Event::SharedWithParty { .. }
        | Event::CreditChosen { .. }
        | Event::PublicIssueProposed { .. }
        | Event::PublicIssueAnswered { .. }
        | Event::FixMerged { .. } => None,
        // A VEX statement changes the published VEX documents; of a draft, nobody outside hears.
        Event::VexChanged { .. } => Some("advisory.vex_changed"),
        // CRA reporting is the team's business with the authorities: nothing of it goes out.
        Event::CraStarted { .. } | Event::CraStageFiled { .. } => None,
        Event::CveRejected { .. } => Some("cve.rejected"),
    }
}

/// An event ready to go out: whose it is and the body to send.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Outgoing {
    /// The organisation it belongs to.
    pub(crate) org: OrgId,
    /// The project it belongs to.
    pub(crate) project: ProjectId,
    /// Its type (`report.submitted`).
    pub(crate) event_type: &'static str,
    /// The JSON body.
    pub(crate) body: String,
}

/// Builds the body of `event`, reading the ids it needs; `None` when no
/// receiver hears it or what it names is gone.
pub(crate) async fn outgoing(
    reader: &mut dyn Reader,
    public_url: &str,
    now: Timestamp,
    event: &Event,
) -> Result<Option<Outgoing>, AppError> {
    let Some(event_type) = event_type(event) else { return Ok(None) };
    let (org, project, mut data) = match event {
        Event::ReportSubmitted { report, .. }
        | Event::StateChanged { report, .. }
        | Event::MessagePosted { report, .. }
        | Event::AssigneeChanged { report, .. } => {
            let Some(found) = reader.report(*report).await? else { return Ok(None) };
            (found.org_id, found.project_id, json!({"report_id": report.to_string()}))
        }
        Event::AdvisoryDrafted { advisory }
        | Event::AdvisoryPublished { advisory }
        | Event::AdvisoryRevised { advisory, .. }
        | Event::AdvisoryWithdrawn { advisory } => {
            let Some(found) = reader.advisory(advisory).await? else { return Ok(None) };
            let url = format!("{public_url}/advisories/{advisory}");
            (found.org_id, found.project_id, json!({"advisory_id": advisory.to_string(), "url": url}))
        }
        // A reserved id may belong to a draft: its page is not linked until published.
        Event::CveReserved { advisory, cve } | Event::CveRejected { advisory, cve } => {
            let Some(found) = reader.advisory(advisory).await? else { return Ok(None) };
            (found.org_id, found.project_id, json!({"advisory_id": advisory.to_string(), "cve_id": cve.as_str()}))
        }
        Event::CvePublished { advisory, cve } => {
            let Some(found) = reader.advisory(advisory).await? else { return Ok(None) };
            let url = format!("{public_url}/advisories/{advisory}");
            let record = format!("{url}/cve.json");
            let data =
                json!({"advisory_id": advisory.to_string(), "cve_id": cve.as_str(), "url": url, "record": record});
            (found.org_id, found.project_id, data)
        }
        Event::VexChanged { advisory, line, not_affected } => {
            // Only a published advisory's statements are public (its VEX documents are served).
            let Some(found) = reader.published_advisory(advisory).await? else { return Ok(None) };
            let url = format!("{public_url}/advisories/{advisory}");
            let data =
                json!({"advisory_id": advisory.to_string(), "url": url, "line": line, "not_affected": not_affected});
            (found.org_id, found.project_id, data)
        }
        _ => return Ok(None),
    };
    let (Some(organisation), Some(project_record)) = (reader.organisation(org).await?, reader.project(project).await?)
    else {
        return Ok(None);
    };
    if let Value::Object(fields) = &mut data {
        fields.insert("organisation".into(), json!(organisation.slug.as_str()));
        fields.insert("project".into(), json!(project_record.slug.as_str()));
        match event {
            Event::ReportSubmitted { channel, .. } => {
                fields.insert("channel".into(), json!(channel.to_string()));
            }
            Event::StateChanged { from, to, .. } => {
                fields.insert("from".into(), json!(from.to_string()));
                fields.insert("to".into(), json!(to.to_string()));
            }
            Event::MessagePosted { message, visibility, .. } => {
                fields.insert("message_id".into(), json!(message.to_string()));
                fields.insert("visibility".into(), json!(visibility.to_string()));
            }
            Event::AssigneeChanged { assignee, .. } => {
                fields.insert("assignee_id".into(), json!(assignee.map(|a| a.to_string())));
            }
            Event::AdvisoryRevised { revision, .. } => {
                fields.insert("revision".into(), json!(revision));
            }
            _ => {}
        }
    }
    let timestamp = now.format(&Rfc3339).map_err(|e| AppError::Internal(format!("timestamp: {e}")))?;
    let body = json!({"type": event_type, "timestamp": timestamp, "data": data});
    let body = serde_json::to_string(&body).map_err(|e| AppError::Internal(format!("webhook body: {e}")))?;
    Ok(Some(Outgoing { org, project, event_type, body }))
}
