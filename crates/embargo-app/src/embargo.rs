//! Embargo ends and scheduled publication. A report may carry an embargo end
//! (set by the team, or the policy's default embargo on acceptance under the
//! `embargo-date` rule, never past the policy's longest embargo); changing it
//! tells the participants, and they are reminded the policy's
//! `disclosure.embargo_reminder` before it ends. An advisory's publication may
//! be scheduled: a timer publishes it then, once across replicas (the
//! schedule is settled in the publishing transaction), or refuses and tells
//! the team when the report is not fixed.

use std::sync::Arc;

use embargo_core::Timestamp;
use embargo_core::advisory::check_publish;
use embargo_core::embargo::{Moment, MomentError};
use embargo_core::id::{AdvisoryId, ReportId};
use embargo_core::permission::{Action, Actor};
use embargo_core::policy::{DisclosureRule, Policy};
use embargo_core::report::Report;
use embargo_core::text::{FieldErrors, TextError};
use embargo_store::embargoes::Schedule;
use embargo_store::{StoreExt, Writer};
use serde_json::json;
use time::UtcOffset;

use crate::advisories::lifecycle::{self, AdvisoryChange};
use crate::advisories::project_access;
use crate::audit::record;
use crate::entropy::Entropy;
use crate::events::{Event, emit};
use crate::reports::{access, policy_of};
use crate::timers::{Timer, schedule};
use crate::{App, AppError, require};

fn invalid(error: &MomentError) -> AppError {
    let field = match error {
        MomentError::Malformed { field } | MomentError::Past { field } | MomentError::TooLate { field, .. } => *field,
    };
    AppError::Invalid(FieldErrors(vec![TextError::Refused { field, reason: error.to_string() }]))
}

/// Sets (or clears) `report`'s embargo end inside the caller's transaction:
/// stored, audited, told to the participants, its reminder scheduled.
pub(crate) async fn put(
    tx: &mut dyn Writer,
    ids: &dyn Entropy,
    now: Timestamp,
    actor: &Actor,
    report: &Report,
    policy: &Policy,
    until: Option<Moment>,
) -> Result<(), AppError> {
    tx.put_embargo(report.id, until, now).await?;
    let details = json!({"until": until.map(|u| u.rfc3339())});
    record(tx, now, actor, "report.embargo_set", format!("report:{}", report.id), details).await?;
    emit(tx, ids, now, &Event::EmbargoChanged { report: report.id }).await?;
    if let Some(until) = until {
        let remind = until.at - policy.disclosure.embargo_reminder.value.duration();
        if remind > now {
            let timer = Timer::EmbargoReminder { report: report.id, until: until.at.unix_timestamp() };
            schedule(tx, ids, now, remind, &timer).await?;
        }
    }
    Ok(())
}

/// On acceptance under the `embargo-date` rule, a report without an embargo
/// end gets the policy's default embargo (in UTC).
pub(crate) async fn on_acceptance(
    tx: &mut dyn Writer,
    ids: &dyn Entropy,
    now: Timestamp,
    actor: &Actor,
    report: &Report,
    policy: &Policy,
) -> Result<(), AppError> {
    if policy.disclosure.rule.value != DisclosureRule::EmbargoDate || tx.embargo(report.id).await?.is_some() {
        return Ok(());
    }
    let until = Moment { at: now + policy.disclosure.embargo.value.duration(), offset: UtcOffset::UTC };
    put(tx, ids, now, actor, report, policy, Some(until)).await
}

/// The embargo reminder timer: tells the participants when the embargo still ends at `until`.
pub(crate) async fn remind(
    tx: &mut dyn Writer,
    ids: &dyn Entropy,
    now: Timestamp,
    id: ReportId,
    until: i64,
) -> Result<(), AppError> {
    let current = tx.embargo(id).await?;
    if current.is_some_and(|m| m.at.unix_timestamp() == until) {
        emit(tx, ids, now, &Event::EmbargoEnding { report: id }).await?;
    }
    Ok(())
}

/// The scheduled publication timer: publishes the advisory when the schedule
/// still says `at` and nothing acted on it yet; refuses, telling the team,
/// when the advisory may not be published (the report is not fixed).
pub(crate) async fn publish_on_schedule(
    tx: &mut dyn Writer,
    ids: &dyn Entropy,
    now: Timestamp,
    id: AdvisoryId,
    at: i64,
) -> Result<(), AppError> {
    let Some(mut advisory) = tx.lock_advisory(&id).await? else { return Ok(()) };
    let Some(schedule) = tx.schedule(&id).await?.filter(|s| s.outcome.is_none() && s.at.at.unix_timestamp() == at)
    else {
        return Ok(());
    };
    let mut report = match advisory.report_id {
        Some(report) => tx.lock_report(report).await?,
        None => None,
    };
    let actor = Actor::Operator;
    if let Err(refusal) = check_publish(&advisory, report.as_ref().map(|r| r.state)) {
        if tx.settle_schedule(&id, schedule.at.at, "refused", now).await? {
            let details = json!({"at": schedule.at.rfc3339(), "why": refusal.to_string()});
            record(tx, now, &actor, "advisory.scheduled_publication_refused", format!("advisory:{id}"), details)
                .await?;
            emit(tx, ids, now, &Event::PublicationRefused { advisory: id }).await?;
        }
        return Ok(());
    }
    if !tx.settle_schedule(&id, schedule.at.at, "published", now).await? {
        return Ok(());
    }
    lifecycle::apply(tx, ids, now, &actor, &mut advisory, report.as_mut(), AdvisoryChange::Published).await
}

impl App {
    /// Sets a report's embargo end (RFC 3339 with its offset), or clears it with `None` (the team).
    pub async fn set_embargo(
        &self,
        actor: &Actor,
        id: ReportId,
        until: Option<&str>,
    ) -> Result<Option<Moment>, AppError> {
        let until = until.map(|u| Moment::parse("embargo_until", u)).transpose().map_err(|e| invalid(&e))?;
        let (now, tx_actor, entropy) = (self.now(), actor.clone(), Arc::clone(&self.entropy));
        self.store
            .write(move |tx| {
                Box::pin(async move {
                    let actor = tx_actor;
                    let report = tx.lock_report(id).await?.ok_or(AppError::NotFound)?;
                    require(&actor, Action::Triage(access(&report)))?;
                    let policy = policy_of(tx, &report).await?;
                    if let Some(until) = until {
                        until
                            .check("embargo_until", now, policy.disclosure.max_embargo.value)
                            .map_err(|e| invalid(&e))?;
                    }
                    put(tx, entropy.as_ref(), now, &actor, &report, &policy, until).await?;
                    Ok(until)
                })
            })
            .await
    }

    /// Schedules an advisory's publication at `at` (RFC 3339 with its offset), replacing any schedule.
    pub async fn schedule_publication(&self, actor: &Actor, id: &AdvisoryId, at: &str) -> Result<Schedule, AppError> {
        let at = Moment::parse("at", at).map_err(|e| invalid(&e))?;
        let (now, tx_actor, entropy, id) = (self.now(), actor.clone(), Arc::clone(&self.entropy), id.clone());
        self.store
            .write(move |tx| {
                Box::pin(async move {
                    let actor = tx_actor;
                    let advisory = tx.lock_advisory(&id).await?.ok_or(AppError::NotFound)?;
                    require(&actor, Action::PublishAdvisory(project_access(&advisory)))?;
                    at.check("at", now, None).map_err(|e| invalid(&e))?;
                    tx.put_schedule(&id, at, now).await?;
                    let details = json!({"at": at.rfc3339()});
                    record(tx, now, &actor, "advisory.publication_scheduled", format!("advisory:{id}"), details)
                        .await?;
                    let timer = Timer::ScheduledPublication { advisory: id.clone(), at: at.at.unix_timestamp() };
                    schedule(tx, entropy.as_ref(), now, at.at, &timer).await?;
                    Ok(Schedule { advisory: id, at, outcome: None })
                })
            })
            .await
    }

    /// An advisory's scheduled publication, for those who may see its draft.
    pub async fn publication_schedule(&self, actor: &Actor, id: &AdvisoryId) -> Result<Option<Schedule>, AppError> {
        let mut reader = self.store.reader().await?;
        let advisory = reader.advisory(id).await?.ok_or(AppError::NotFound)?;
        require(actor, Action::ViewDraftAdvisory(project_access(&advisory)))?;
        Ok(reader.schedule(id).await?)
    }
}
