//! The one path of a report's state change, whoever asks: the team, the
//! reporter, or Embargo itself (publishing an advisory, a reporter's answer
//! to a request for information). It applies core's transition table,
//! records the history and the audit event, and emits the event, inside the
//! caller's transaction.

use embargo_core::Timestamp;
use embargo_core::deadline::DeadlineKind;
use embargo_core::lifecycle::{Performer, ReportState, TransitionRequest, check_transition};
use embargo_core::permission::Actor;
use embargo_core::policy::Policy;
use embargo_core::private::Private;
use embargo_core::report::{Report, StateChange};
use embargo_store::Writer;
use serde_json::json;

use crate::AppError;
use crate::audit::record;
use crate::entropy::Entropy;
use crate::events::{Event, emit};

/// A state change to apply, with what it is applied in.
pub(crate) struct Transition<'a> {
    /// Who asked (for the history and the audit log).
    pub actor: &'a Actor,
    /// As whom core's table judges the change.
    pub performer: Performer,
    /// Where to, and why.
    pub request: TransitionRequest,
    /// The project's effective policy (deadlines start on acceptance).
    pub policy: &'a Policy,
    /// Extra facts for the audit event (the criterion, the advisory).
    pub audit: serde_json::Value,
}

/// Moves `report` (locked by the caller) as `change` asks, or refuses by core's table.
pub(crate) async fn apply(
    tx: &mut dyn Writer,
    ids: &dyn Entropy,
    now: Timestamp,
    report: &mut Report,
    change: Transition<'_>,
) -> Result<(), AppError> {
    let Transition { actor, performer, request, policy, audit } = change;
    let (from, to) = (report.state, request.to);
    check_transition(report.id, from, &request, performer)?;
    if let Some(original) = request.duplicate_of {
        let same_project = tx.report(original).await?.is_some_and(|o| o.project_id == report.project_id);
        if !same_project {
            return Err(AppError::invalid("duplicate_of", "the id of a report of the same project"));
        }
    }
    if to == ReportState::Accepted {
        report.deadlines.on_acceptance(policy, now);
    }
    if to == ReportState::NeedsInfo {
        crate::timers::on_needs_info(tx, ids, now, report.id, policy).await?;
    }
    if to == ReportState::Accepted {
        let kinds = [DeadlineKind::Fix, DeadlineKind::Disclosure];
        crate::clocks::schedule_deadlines(tx, ids, now, report, &kinds).await?;
        crate::embargo::on_acceptance(tx, ids, now, actor, report, policy).await?;
    }
    report.state = to;
    report.duplicate_of = request.duplicate_of.or(report.duplicate_of);
    report.updated_at = now;
    tx.update_report(report).await?;
    let history = StateChange {
        report_id: report.id,
        from: Some(from),
        to,
        reason: request.reason.map(Private::new),
        actor_id: actor.user_id(),
        at: now,
    };
    tx.insert_state_change(&history).await?;
    let mut details = json!({"from": from.as_str(), "to": to.as_str()});
    if let (Some(details), serde_json::Value::Object(extra)) = (details.as_object_mut(), audit) {
        details.extend(extra);
    }
    record(tx, now, actor, "report.transitioned", format!("report:{}", report.id), details).await?;
    emit(tx, ids, now, &Event::StateChanged { report: report.id, from, to }).await
}
