//! The one path of an advisory's state change: drafted, published (first
//! or a new revision) or withdrawn. Each records its audit event and emits
//! its domain event inside the caller's transaction; publishing moves a
//! fixed report to disclosed through the report's own transition path.

use embargo_core::Timestamp;
use embargo_core::advisory::{Advisory, AdvisoryState, Revision, check_publish, check_withdraw};
use embargo_core::lifecycle::{Performer, ReportState, TransitionRequest};
use embargo_core::permission::Actor;
use embargo_core::report::Report;
use embargo_store::Writer;
use serde_json::json;

use crate::AppError;
use crate::audit::record;
use crate::entropy::Entropy;
use crate::events::{Event, emit};
use crate::reports::policy_of;
use crate::reports::transition::{self, Transition};

/// Where an advisory goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum AdvisoryChange {
    /// A new draft, just inserted by the caller.
    Drafted,
    /// Its working copy becomes a new public revision.
    Published,
    /// It is withdrawn (kept, marked withdrawn).
    Withdrawn,
}

/// Applies `change` to `advisory` (locked by the caller; with its report, locked too, if it has one).
pub(crate) async fn apply(
    tx: &mut dyn Writer,
    ids: &dyn Entropy,
    now: Timestamp,
    actor: &Actor,
    advisory: &mut Advisory,
    report: Option<&mut Report>,
    change: AdvisoryChange,
) -> Result<(), AppError> {
    let id = advisory.id.clone();
    match change {
        AdvisoryChange::Drafted => {
            let details = json!({"report": advisory.report_id.map(|r| r.to_string())});
            record(tx, now, actor, "advisory.drafted", format!("advisory:{id}"), details).await?;
            emit(tx, ids, now, &Event::AdvisoryDrafted { advisory: id }).await
        }
        AdvisoryChange::Published => {
            check_publish(advisory, report.as_ref().map(|r| r.state))?;
            let number = advisory.published.as_ref().map_or(1, |r| r.number + 1);
            let revision = Revision { number, content: advisory.draft.clone(), published_at: now };
            tx.insert_revision(&id, &revision).await?;
            advisory.state = AdvisoryState::Published;
            advisory.first_published_at = advisory.first_published_at.or(Some(now));
            advisory.updated_at = now;
            tx.update_advisory(advisory).await?;
            if let Some(report) = report.filter(|r| r.state == ReportState::Fixed) {
                let policy = policy_of(tx, report).await?;
                let disclose = Transition {
                    actor,
                    performer: Performer::System,
                    request: TransitionRequest { to: ReportState::Disclosed, reason: None, duplicate_of: None },
                    policy: &policy,
                    audit: json!({"advisory": id.as_str()}),
                };
                transition::apply(tx, ids, now, report, disclose).await?;
            }
            record(tx, now, actor, "advisory.published", format!("advisory:{id}"), json!({"revision": number})).await?;
            let event = if number == 1 {
                Event::AdvisoryPublished { advisory: id }
            } else {
                Event::AdvisoryRevised { advisory: id, revision: number }
            };
            emit(tx, ids, now, &event).await
        }
        AdvisoryChange::Withdrawn => {
            check_withdraw(advisory)?;
            advisory.state = AdvisoryState::Withdrawn;
            advisory.withdrawn_at = Some(now);
            advisory.updated_at = now;
            tx.update_advisory(advisory).await?;
            record(tx, now, actor, "advisory.withdrawn", format!("advisory:{id}"), json!({})).await?;
            emit(tx, ids, now, &Event::AdvisoryWithdrawn { advisory: id }).await
        }
    }
}
