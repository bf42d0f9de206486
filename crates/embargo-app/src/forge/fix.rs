//! Acting on a merged fix ([`Event::FixMerged`]), as the [`FixMerged`]
//! subscriber: in one transaction the report moves to fixed through the one
//! transition path (accepted → fixing → fixed), and its drafted advisory is
//! published through the one publishing path where the policy discloses once
//! the fix is public (`disclosure.rule = "fix-public"`) and no embargo end lies
//! ahead; with an embargo end ahead, publication is scheduled for it instead
//! (the `ScheduledPublication` timer of issue 10). Under the `embargo-date`
//! rule an advisory whose embargo has ended is published, and one without an
//! embargo end is left to the team. Then the lab runs the report's PoC
//! against the merge commit, so the report shows whether the fix is verified.
//!
//! Idempotent: a report already fixed is not moved again, a published
//! advisory or one already scheduled is left alone, and a retried job
//! repeats none of it.

use std::sync::Arc;

use async_trait::async_trait;
use embargo_core::Timestamp;
use embargo_core::advisory::{AdvisoryState, check_publish};
use embargo_core::embargo::Moment;
use embargo_core::id::{JobId, ReportId};
use embargo_core::lifecycle::{Performer, ReportState, TransitionRequest};
use embargo_core::permission::Actor;
use embargo_core::policy::DisclosureRule;
use embargo_core::report::Report;
use embargo_store::{StoreExt, Writer};
use serde_json::json;

use crate::advisories::lifecycle::{self, AdvisoryChange};
use crate::audit::record;
use crate::entropy::Entropy;
use crate::events::{Event, emit};
use crate::jobs::DeliveryError;
use crate::reports::policy_of;
use crate::reports::transition::{self, Transition};
use crate::subscribers::Subscriber;
use crate::timers::{Timer, schedule};
use crate::{App, AppError};

/// What the policy and the embargo say to do with the advisory once the fix is merged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Publication {
    Now,
    At(Moment),
    LeftToTeam,
}

fn publication(rule: DisclosureRule, embargo: Option<Moment>, now: Timestamp) -> Publication {
    match (rule, embargo) {
        (_, Some(until)) if until.at > now => Publication::At(until),
        (DisclosureRule::FixPublic, _) | (DisclosureRule::EmbargoDate, Some(_)) => Publication::Now,
        (DisclosureRule::EmbargoDate, None) => Publication::LeftToTeam,
    }
}

/// Moves `report` (locked) to fixed through the transition path, as Embargo itself.
async fn to_fixed(tx: &mut dyn Writer, ids: &dyn Entropy, now: Timestamp, report: &mut Report) -> Result<(), AppError> {
    let steps: &[ReportState] = match report.state {
        ReportState::Accepted => &[ReportState::Fixing, ReportState::Fixed],
        ReportState::Fixing => &[ReportState::Fixed],
        ReportState::New
        | ReportState::Acknowledged
        | ReportState::Triaging
        | ReportState::NeedsInfo
        | ReportState::Fixed
        | ReportState::Disclosed
        | ReportState::NotVulnerable
        | ReportState::Duplicate
        | ReportState::OutOfScope
        | ReportState::Spam
        | ReportState::Withdrawn => &[],
    };
    let policy = policy_of(tx, report).await?;
    for to in steps {
        let change = Transition {
            actor: &Actor::Operator,
            performer: Performer::System,
            request: TransitionRequest { to: *to, reason: None, duplicate_of: None },
            policy: &policy,
            audit: json!({"fix": "merged"}),
        };
        transition::apply(tx, ids, now, report, change).await?;
    }
    Ok(())
}

/// Publishes or schedules the advisory of a fixed `report` (locked) as the policy says.
async fn disclose(tx: &mut dyn Writer, ids: &dyn Entropy, now: Timestamp, report: &mut Report) -> Result<(), AppError> {
    let Some(found) = tx.advisory_for_report(report.id).await? else { return Ok(()) };
    let Some(mut advisory) = tx.lock_advisory(&found.id).await? else { return Ok(()) };
    if advisory.state != AdvisoryState::Draft {
        return Ok(());
    }
    let policy = policy_of(tx, report).await?;
    let embargo = tx.embargo(report.id).await?;
    let id = advisory.id.clone();
    match publication(policy.disclosure.rule.value, embargo, now) {
        Publication::LeftToTeam => Ok(()),
        Publication::At(until) => {
            if tx.schedule(&id).await?.is_some_and(|s| s.outcome.is_none() && s.at.at == until.at) {
                return Ok(());
            }
            tx.put_schedule(&id, until, now).await?;
            let details = json!({"at": until.rfc3339(), "why": "fix merged, embargo ahead"});
            record(tx, now, &Actor::Operator, "advisory.publication_scheduled", format!("advisory:{id}"), details)
                .await?;
            let timer = Timer::ScheduledPublication { advisory: id, at: until.at.unix_timestamp() };
            schedule(tx, ids, now, until.at, &timer).await
        }
        Publication::Now => {
            if let Err(refusal) = check_publish(&advisory, Some(report.state)) {
                let details = json!({"why": refusal.to_string()});
                record(tx, now, &Actor::Operator, "advisory.publication_refused", format!("advisory:{id}"), details)
                    .await?;
                return emit(tx, ids, now, &Event::PublicationRefused { advisory: id }).await;
            }
            lifecycle::apply(tx, ids, now, &Actor::Operator, &mut advisory, Some(report), AdvisoryChange::Published)
                .await
        }
    }
}

impl App {
    /// Acts on a report's merged fix: fixed, then published or scheduled as
    /// the policy says; answers the fix commit for the lab.
    pub(crate) async fn act_on_fix(&self, id: ReportId) -> Result<Option<String>, AppError> {
        let (now, entropy) = (self.now(), Arc::clone(&self.entropy));
        self.store
            .write(move |tx| {
                Box::pin(async move {
                    let Some(link) = tx.fix_link(id).await?.filter(|l| l.merged_at.is_some()) else {
                        return Ok(None);
                    };
                    let Some(mut report) = tx.lock_report(id).await? else { return Ok(None) };
                    if !matches!(report.state, ReportState::Accepted | ReportState::Fixing | ReportState::Fixed) {
                        return Ok(None);
                    }
                    to_fixed(tx, entropy.as_ref(), now, &mut report).await?;
                    disclose(tx, entropy.as_ref(), now, &mut report).await?;
                    Ok(link.commit)
                })
            })
            .await
    }
}

/// Hears of merged fixes and acts on them (see the module's documentation).
#[derive(Debug)]
pub struct FixMerged;

#[async_trait]
impl Subscriber for FixMerged {
    fn name(&self) -> &'static str {
        "fix_merged"
    }

    fn wants(&self, event: &Event) -> bool {
        matches!(event, Event::FixMerged { .. })
    }

    async fn handle(&self, app: &App, _job: JobId, event: &Event) -> Result<(), DeliveryError> {
        let Event::FixMerged { report } = event else { return Ok(()) };
        let commit = app.act_on_fix(*report).await.map_err(|e| DeliveryError::Temporary(e.to_string()))?;
        if let Some(commit) = commit {
            app.queue_fix_verification(*report, &commit).await;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::UtcOffset;

    #[test]
    fn the_policy_and_the_embargo_decide() {
        let now = Timestamp::UNIX_EPOCH + time::Duration::days(20_000);
        let at = |days| Moment { at: now + time::Duration::days(days), offset: UtcOffset::UTC };
        assert_eq!(publication(DisclosureRule::FixPublic, None, now), Publication::Now);
        assert_eq!(publication(DisclosureRule::FixPublic, Some(at(-1)), now), Publication::Now);
        assert_eq!(publication(DisclosureRule::FixPublic, Some(at(7)), now), Publication::At(at(7)));
        assert_eq!(publication(DisclosureRule::EmbargoDate, Some(at(7)), now), Publication::At(at(7)));
        assert_eq!(publication(DisclosureRule::EmbargoDate, Some(at(-1)), now), Publication::Now);
        assert_eq!(publication(DisclosureRule::EmbargoDate, None, now), Publication::LeftToTeam);
    }
}
