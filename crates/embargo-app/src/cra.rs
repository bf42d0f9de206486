//! Cyber Resilience Act reporting clocks (Regulation (EU) 2024/2847, Article 14; core's
//! `cra` module says how each clock counts and which apply to whom).
//!
//! The team flags a report as an actively exploited vulnerability or a severe incident with the
//! time the organisation became aware (`start_cra`), states its details for ENISA
//! (`update_cra`: member states, sensitivity, the nature of the exploit, measures, ...), records
//! each stage's filing with ENISA's reference (`file_cra_stage`), and takes each stage's content as
//! JSON and text (`cra_content`). Every change is audited (`report.cra_started`,
//! `report.cra_updated`, `report.cra_filed`, ids and names only) and emits an event
//! (`Event::CraStarted`, `Event::CraStageFiled`). Each stage with a due time gets the reminder
//! (three quarters of its time) and escalation timers of the team's other deadlines
//! (`crate::clocks`), which act only while the stage is unfiled and still due then.
//!
//! A vulnerability's final report counts from the time a measure became available: the one the
//! team states, else the first time the report reached `fixed` (`CraFixClock`, a subscriber,
//! schedules its timers then). An incident's counts from when its notification was filed.
//! Everything here is the team's: anyone else gets "not found" or "forbidden" as for triage.

use std::sync::Arc;

use async_trait::async_trait;
use embargo_core::Timestamp;
use embargo_core::cra::{self, ClockStart, CraKind, CraRole, CraStage, Due, Sensitivity};
use embargo_core::deadline::reminder_at;
use embargo_core::embargo::Moment;
use embargo_core::id::{JobId, ReportId};
use embargo_core::lifecycle::ReportState;
use embargo_core::permission::{Action, Actor, Decision, decide};
use embargo_core::private::Private;
use embargo_core::text::{FieldErrors, TextError, one_line, plain_text};
use embargo_formats::cra::{CraDetails, CraInput};
use embargo_store::cra::{CraClock, CraFiling};
use embargo_store::{Reader, StoreExt, Writer};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::audit::record;
use crate::entropy::Entropy;
use crate::events::{Event, emit};
use crate::jobs::{Deadline, DeliveryError};
use crate::reports::{access, policy_of};
use crate::subscribers::Subscriber;
use crate::timers::{Timer, schedule};
use crate::{App, AppError, require};

/// The longest text the team may give per detail.
const MAX_DETAIL_BYTES: usize = 8 * 1024;
/// The longest ENISA reference.
const MAX_REFERENCE_CHARS: usize = 200;

/// The team's details as a request states them (each absent one is left as it was).
#[derive(Debug, Clone, Default)]
pub struct CraDetailsInput {
    /// Member states (ISO 3166-1 alpha-2 codes; `EL` for Greece is accepted).
    pub member_states: Option<Vec<String>>,
    /// `clear`, `green`, `amber`, `amber-strict` or `red` (TLP 2.0).
    pub sensitivity: Option<String>,
    /// The general nature of the exploit, or of the incident.
    pub exploit: Option<String>,
    /// Corrective or mitigating measures taken.
    pub measures_taken: Option<String>,
    /// Corrective or mitigating measures users can take.
    pub measures_for_users: Option<String>,
    /// What is known of a malicious actor (incidents: whether malicious acts are suspected).
    pub malicious_actor: Option<String>,
    /// Severity and impact (incidents: the initial assessment).
    pub impact: Option<String>,
    /// The security update or other corrective measures made available.
    pub security_update: Option<String>,
    /// The type of threat or root cause (incidents).
    pub root_cause: Option<String>,
    /// When a corrective or mitigating measure became available (RFC 3339 with offset; empty clears).
    pub fix_available_at: Option<String>,
}

/// How the fix time is known.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FixSource {
    /// The team stated it.
    Stated,
    /// The report reached `fixed` then.
    ReportFixed,
}

/// One stage of a report's clocks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CraStageView {
    /// The stage.
    pub stage: CraStage,
    /// When it falls due (in the offset awareness was given in, and UTC), or what it waits for.
    pub due: CraDue,
    /// Its filing, once recorded.
    pub filing: Option<CraFiling>,
}

/// When a stage falls due.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CraDue {
    /// At this moment.
    At(Moment),
    /// Fourteen days after a measure is available.
    AfterFix,
    /// One month after the notification is filed.
    AfterNotification,
}

impl CraStageView {
    /// Whether the stage is past due and unfiled at `now`.
    pub fn overdue(&self, now: Timestamp) -> bool {
        self.filing.is_none() && matches!(self.due, CraDue::At(m) if m.at <= now)
    }
}

/// A report's clocks, for the team.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CraView {
    /// The report.
    pub report: ReportId,
    /// Exploited vulnerability or severe incident.
    pub kind: CraKind,
    /// The organisation's role.
    pub role: CraRole,
    /// When the organisation became aware.
    pub aware_at: Moment,
    /// When the clocks were started.
    pub started_at: Timestamp,
    /// When a measure became available, and how that is known.
    pub fix_available_at: Option<(Timestamp, FixSource)>,
    /// The stages, in order.
    pub stages: Vec<CraStageView>,
    /// The team's details.
    pub details: CraDetails,
}

impl CraView {
    /// The earliest unfiled stage with a due time: what the team must do next.
    pub fn next(&self) -> Option<&CraStageView> {
        self.stages.iter().find(|s| s.filing.is_none())
    }
}

/// A stage's content for ENISA.
#[derive(Debug, Clone, PartialEq)]
pub struct CraContent {
    /// The stage.
    pub stage: CraStage,
    /// As JSON.
    pub json: serde_json::Value,
    /// As text.
    pub text: String,
}

/// The details as kept (sealed) in the store.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct StoredDetails {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    member_states: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    sensitivity: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    exploit: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    measures_taken: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    measures_for_users: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    malicious_actor: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    impact: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    security_update: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    root_cause: Option<String>,
}

impl StoredDetails {
    fn from_domain(d: &CraDetails) -> Self {
        StoredDetails {
            member_states: d.member_states.clone(),
            sensitivity: d.sensitivity.map(|s| s.as_str().to_owned()),
            exploit: d.exploit.clone(),
            measures_taken: d.measures_taken.clone(),
            measures_for_users: d.measures_for_users.clone(),
            malicious_actor: d.malicious_actor.clone(),
            impact: d.impact.clone(),
            security_update: d.security_update.clone(),
            root_cause: d.root_cause.clone(),
        }
    }

    fn into_domain(self) -> Result<CraDetails, AppError> {
        let sensitivity = self
            .sensitivity
            .map(|s| s.parse::<Sensitivity>())
            .transpose()
            .map_err(|e| AppError::Internal(format!("stored CRA sensitivity: {e}")))?;
        Ok(CraDetails {
            member_states: self.member_states,
            sensitivity,
            exploit: self.exploit,
            measures_taken: self.measures_taken,
            measures_for_users: self.measures_for_users,
            malicious_actor: self.malicious_actor,
            impact: self.impact,
            security_update: self.security_update,
            root_cause: self.root_cause,
        })
    }
}

fn refused(field: &'static str, reason: impl Into<String>) -> AppError {
    AppError::Invalid(FieldErrors(vec![TextError::Refused { field, reason: reason.into() }]))
}

fn details_of(clock: &CraClock) -> Result<CraDetails, AppError> {
    let stored: StoredDetails = serde_json::from_str(clock.details.expose())
        .map_err(|e| AppError::Internal(format!("stored CRA details: {e}")))?;
    stored.into_domain()
}

fn seal_details(details: &CraDetails) -> Result<Private<String>, AppError> {
    serde_json::to_string(&StoredDetails::from_domain(details))
        .map(Private::new)
        .map_err(|e| AppError::Internal(format!("CRA details: {e}")))
}

/// A moment in the past (or now), for `field`.
fn past_moment(field: &'static str, text: &str, now: Timestamp) -> Result<Moment, AppError> {
    let moment = Moment::parse(field, text).map_err(|e| refused(field, e.to_string()))?;
    if moment.at > now {
        return Err(refused(field, format!("{field} lies in the future: give the time it happened")));
    }
    Ok(moment)
}

/// Applies `input` over `details`, checking every field; every problem is answered at once.
fn apply_details(details: &mut CraDetails, input: &CraDetailsInput) -> Result<(), AppError> {
    let mut errors = Vec::new();
    if let Some(states) = &input.member_states {
        let mut codes = Vec::new();
        for code in states.iter().filter(|c| !c.trim().is_empty()) {
            match cra::member_state(code) {
                Some(c) if !codes.contains(&c.to_owned()) => codes.push(c.to_owned()),
                Some(_) => {}
                None => errors.push(TextError::Refused {
                    field: "member_states",
                    reason: format!("{code:?} is not an EU member state's two-letter code (such as DE, FR or IE)"),
                }),
            }
        }
        details.member_states = codes;
    }
    if let Some(sensitivity) = &input.sensitivity {
        if sensitivity.trim().is_empty() {
            details.sensitivity = None;
        } else {
            match sensitivity.parse() {
                Ok(s) => details.sensitivity = Some(s),
                Err(e) => errors.push(TextError::Refused { field: "sensitivity", reason: e.to_string() }),
            }
        }
    }
    let texts: [(&'static str, &Option<String>, &mut Option<String>); 7] = [
        ("exploit", &input.exploit, &mut details.exploit),
        ("measures_taken", &input.measures_taken, &mut details.measures_taken),
        ("measures_for_users", &input.measures_for_users, &mut details.measures_for_users),
        ("malicious_actor", &input.malicious_actor, &mut details.malicious_actor),
        ("impact", &input.impact, &mut details.impact),
        ("security_update", &input.security_update, &mut details.security_update),
        ("root_cause", &input.root_cause, &mut details.root_cause),
    ];
    for (field, given, kept) in texts {
        let Some(given) = given else { continue };
        if given.trim().is_empty() {
            *kept = None;
            continue;
        }
        match plain_text(field, given, MAX_DETAIL_BYTES) {
            Ok(text) => *kept = Some(text),
            Err(e) => errors.push(e),
        }
    }
    if errors.is_empty() { Ok(()) } else { Err(AppError::Invalid(FieldErrors(errors))) }
}

/// When a measure became available: stated, else the first time the report reached `fixed`.
async fn fix_time(reader: &mut dyn Reader, clock: &CraClock) -> Result<Option<(Timestamp, FixSource)>, AppError> {
    if let Some(at) = clock.fix_available_at {
        return Ok(Some((at, FixSource::Stated)));
    }
    let changes = reader.state_changes(clock.report_id).await?;
    Ok(changes.iter().find(|c| c.to == ReportState::Fixed).map(|c| (c.at, FixSource::ReportFixed)))
}

fn start_of(clock: &CraClock, fix: Option<Timestamp>, filings: &[CraFiling]) -> ClockStart {
    ClockStart {
        kind: clock.kind,
        aware_at: clock.aware_at.at,
        fix_available_at: fix,
        notification_filed_at: filings.iter().find(|f| f.stage == CraStage::Notification).map(|f| f.filed_at),
    }
}

/// The view of a report's clocks, read in `reader`.
async fn view(reader: &mut dyn Reader, role: CraRole, clock: &CraClock) -> Result<CraView, AppError> {
    let filings = reader.cra_filings(clock.report_id).await?;
    let fix = fix_time(reader, clock).await?;
    let start = start_of(clock, fix.map(|(at, _)| at), &filings);
    let stages = CraStage::ALL
        .into_iter()
        .map(|stage| CraStageView {
            stage,
            due: match cra::due(&start, stage) {
                Due::At(at) => CraDue::At(Moment { at, offset: clock.aware_at.offset }),
                Due::AfterFix => CraDue::AfterFix,
                Due::AfterNotification => CraDue::AfterNotification,
            },
            filing: filings.iter().find(|f| f.stage == stage).cloned(),
        })
        .collect();
    Ok(CraView {
        report: clock.report_id,
        kind: clock.kind,
        role,
        aware_at: clock.aware_at,
        started_at: clock.started_at,
        fix_available_at: fix,
        stages,
        details: details_of(clock)?,
    })
}

const fn deadline_of(stage: CraStage) -> Deadline {
    match stage {
        CraStage::EarlyWarning => Deadline::CraEarlyWarning,
        CraStage::Notification => Deadline::CraNotification,
        CraStage::FinalReport => Deadline::CraFinalReport,
    }
}

const fn stage_of(deadline: Deadline) -> Option<CraStage> {
    match deadline {
        Deadline::CraEarlyWarning => Some(CraStage::EarlyWarning),
        Deadline::CraNotification => Some(CraStage::Notification),
        Deadline::CraFinalReport => Some(CraStage::FinalReport),
        Deadline::Acknowledge | Deadline::Triage | Deadline::Fix | Deadline::Disclosure => None,
    }
}

/// Schedules the reminder and escalation of each of `stages` that has a due time in the future
/// and is not filed, counting the reminder from `from` (when the clock started to run).
async fn schedule_stages(
    tx: &mut dyn Writer,
    ids: &dyn Entropy,
    now: Timestamp,
    report: ReportId,
    stages: &[CraStage],
) -> Result<(), AppError> {
    let Some(clock) = tx.cra_clock(report).await? else { return Ok(()) };
    let filings = tx.cra_filings(report).await?;
    let fix = fix_time(tx, &clock).await?;
    let start = start_of(&clock, fix.map(|(at, _)| at), &filings);
    for stage in stages {
        if filings.iter().any(|f| f.stage == *stage) {
            continue;
        }
        let Due::At(due) = cra::due(&start, *stage) else { continue };
        if due <= now {
            continue;
        }
        // The clock runs from awareness, the fix, or the notification's filing: from then, three quarters.
        let from = match stage {
            CraStage::EarlyWarning | CraStage::Notification => clock.aware_at.at,
            CraStage::FinalReport => start
                .fix_available_at
                .filter(|_| clock.kind == CraKind::ExploitedVulnerability)
                .or(start.notification_filed_at)
                .unwrap_or(now),
        };
        let (deadline, at) = (deadline_of(*stage), due.unix_timestamp());
        let remind = reminder_at(from, due);
        if remind > now {
            schedule(tx, ids, now, remind, &Timer::DeadlineReminder { report, deadline, due: at }).await?;
        }
        schedule(tx, ids, now, due, &Timer::DeadlineEscalation { report, deadline, due: at }).await?;
    }
    Ok(())
}

/// Emits a CRA deadline's reminder or escalation when its stage is still unfiled and due at the
/// time the timer was set for (a stated fix time or a refiled notification may have moved it).
pub(crate) async fn tell_if_still_due(
    tx: &mut dyn Writer,
    ids: &dyn Entropy,
    now: Timestamp,
    event: Event,
) -> Result<(), AppError> {
    let (Event::DeadlineNear { report, deadline, due } | Event::DeadlinePassed { report, deadline, due }) = &event
    else {
        return Ok(());
    };
    let Some(stage) = stage_of(*deadline) else { return Ok(()) };
    let Some(clock) = tx.cra_clock(*report).await? else { return Ok(()) };
    let filings = tx.cra_filings(*report).await?;
    if filings.iter().any(|f| f.stage == stage) {
        return Ok(());
    }
    let fix = fix_time(tx, &clock).await?;
    let start = start_of(&clock, fix.map(|(at, _)| at), &filings);
    if cra::due(&start, stage)
        == Due::At(Timestamp::from_unix_timestamp(*due).map_err(|e| AppError::Internal(e.to_string()))?)
    {
        emit(tx, ids, now, &event).await?;
    }
    Ok(())
}

/// Whether `deadline` is one of the CRA clocks.
pub(crate) const fn is_cra(deadline: Deadline) -> bool {
    stage_of(deadline).is_some()
}

/// The organisation's role, or the refusal that names the policy field to set.
fn role_for(policy: &embargo_core::policy::Policy, kind: CraKind) -> Result<CraRole, AppError> {
    match policy.cra.role.value {
        Some(role) if cra::applies(Some(role), kind) => Ok(role),
        Some(_) | None => Err(refused(
            "kind",
            "the organisation's policy states no role under the Cyber Resilience Act: set cra.role to \
             manufacturer or open-source-steward in the organisation's policy first",
        )),
    }
}

fn role_of(policy: &embargo_core::policy::Policy) -> Result<CraRole, AppError> {
    policy.cra.role.value.ok_or(AppError::NotFound)
}

impl App {
    /// Starts a report's CRA clocks (the team): `kind` is `exploited-vulnerability` or
    /// `severe-incident`, `aware_at` RFC 3339 with its offset, not in the future.
    pub async fn start_cra(
        &self,
        actor: &Actor,
        id: ReportId,
        kind: &str,
        aware_at: &str,
        details: &CraDetailsInput,
    ) -> Result<CraView, AppError> {
        let now = self.now();
        let kind: CraKind = kind.parse().map_err(|e: cra::UnknownCraName| refused("kind", e.to_string()))?;
        let aware_at = past_moment("aware_at", aware_at, now)?;
        let (tx_actor, entropy, input) = (actor.clone(), Arc::clone(&self.entropy), details.clone());
        self.store
            .write(move |tx| {
                Box::pin(async move {
                    let actor = tx_actor;
                    let report = tx.lock_report(id).await?.ok_or(AppError::NotFound)?;
                    require(&actor, Action::Triage(access(&report)))?;
                    let policy = policy_of(tx, &report).await?;
                    let role = role_for(&policy, kind)?;
                    let mut details = CraDetails::default();
                    apply_details(&mut details, &input)?;
                    let fix_available_at = match input.fix_available_at.as_deref().filter(|t| !t.trim().is_empty()) {
                        Some(t) => Some(past_moment("fix_available_at", t, now)?.at),
                        None => None,
                    };
                    let clock = CraClock {
                        report_id: id,
                        kind,
                        aware_at,
                        fix_available_at,
                        details: seal_details(&details)?,
                        started_at: now,
                    };
                    if !tx.insert_cra_clock(&clock).await? {
                        return Err(AppError::Conflict { what: "a reporting clock for this report" });
                    }
                    let audit = json!({"kind": kind.as_str(), "aware_at": aware_at.rfc3339(), "role": role.as_str()});
                    record(tx, now, &actor, "report.cra_started", format!("report:{id}"), audit).await?;
                    emit(tx, entropy.as_ref(), now, &Event::CraStarted { report: id, kind: kind.as_str().to_owned() })
                        .await?;
                    schedule_stages(tx, entropy.as_ref(), now, id, &CraStage::ALL).await?;
                    view(tx, role, &clock).await
                })
            })
            .await
    }

    /// A report's CRA clocks (the team), if started.
    pub async fn cra(&self, actor: &Actor, id: ReportId) -> Result<Option<CraView>, AppError> {
        let mut reader = self.store.reader().await?;
        let report = reader.report(id).await?.ok_or(AppError::NotFound)?;
        require(actor, Action::Triage(access(&report)))?;
        let Some(clock) = reader.cra_clock(id).await? else { return Ok(None) };
        let org = reader.organisation(report.org_id).await?.ok_or(AppError::NotFound)?;
        let project = reader.project(report.project_id).await?.ok_or(AppError::NotFound)?;
        let policy = crate::policies::project_policy(reader.as_mut(), &org, &project).await?;
        // A role taken out of the policy later leaves the clocks as they were, shown as a manufacturer's.
        let role = policy.cra.role.value.unwrap_or(CraRole::Manufacturer);
        Ok(Some(view(reader.as_mut(), role, &clock).await?))
    }

    /// Changes the team's details for ENISA and the time a measure became available (the team).
    pub async fn update_cra(&self, actor: &Actor, id: ReportId, input: &CraDetailsInput) -> Result<CraView, AppError> {
        let now = self.now();
        let (tx_actor, entropy, input) = (actor.clone(), Arc::clone(&self.entropy), input.clone());
        self.store
            .write(move |tx| {
                Box::pin(async move {
                    let actor = tx_actor;
                    let report = tx.lock_report(id).await?.ok_or(AppError::NotFound)?;
                    require(&actor, Action::Triage(access(&report)))?;
                    let clock = tx.cra_clock(id).await?.ok_or(AppError::NotFound)?;
                    let policy = policy_of(tx, &report).await?;
                    let role = role_of(&policy).unwrap_or(CraRole::Manufacturer);
                    let mut details = details_of(&clock)?;
                    apply_details(&mut details, &input)?;
                    let fix_available_at = match input.fix_available_at.as_deref() {
                        Some(t) if t.trim().is_empty() => None,
                        Some(t) => Some(past_moment("fix_available_at", t, now)?.at),
                        None => clock.fix_available_at,
                    };
                    tx.update_cra_clock(id, &seal_details(&details)?, fix_available_at).await?;
                    let changed: Vec<&str> = [
                        ("member_states", input.member_states.is_some()),
                        ("sensitivity", input.sensitivity.is_some()),
                        ("exploit", input.exploit.is_some()),
                        ("measures_taken", input.measures_taken.is_some()),
                        ("measures_for_users", input.measures_for_users.is_some()),
                        ("malicious_actor", input.malicious_actor.is_some()),
                        ("impact", input.impact.is_some()),
                        ("security_update", input.security_update.is_some()),
                        ("root_cause", input.root_cause.is_some()),
                        ("fix_available_at", input.fix_available_at.is_some()),
                    ]
                    .into_iter()
                    .filter_map(|(name, given)| given.then_some(name))
                    .collect();
                    let audit = json!({"fields": changed});
                    record(tx, now, &actor, "report.cra_updated", format!("report:{id}"), audit).await?;
                    if fix_available_at != clock.fix_available_at {
                        schedule_stages(tx, entropy.as_ref(), now, id, &[CraStage::FinalReport]).await?;
                    }
                    let clock = tx.cra_clock(id).await?.ok_or(AppError::NotFound)?;
                    view(tx, role, &clock).await
                })
            })
            .await
    }

    /// Records that `stage` was filed with ENISA (the team): its reference and when
    /// (RFC 3339 with offset, not in the future; none: now). Filing again corrects the record.
    pub async fn file_cra_stage(
        &self,
        actor: &Actor,
        id: ReportId,
        stage: &str,
        reference: &str,
        filed_at: Option<&str>,
    ) -> Result<CraView, AppError> {
        let now = self.now();
        let stage: CraStage = stage.parse().map_err(|e: cra::UnknownCraName| refused("stage", e.to_string()))?;
        let reference = one_line("reference", reference, MAX_REFERENCE_CHARS)
            .map_err(|e| AppError::Invalid(FieldErrors(vec![e])))?;
        if reference.trim().is_empty() {
            return Err(refused("reference", "give the reference ENISA's platform gave the submission"));
        }
        let filed_at = match filed_at.filter(|t| !t.trim().is_empty()) {
            Some(t) => past_moment("filed_at", t, now)?.at,
            None => now,
        };
        let (tx_actor, entropy) = (actor.clone(), Arc::clone(&self.entropy));
        self.store
            .write(move |tx| {
                Box::pin(async move {
                    let actor = tx_actor;
                    let report = tx.lock_report(id).await?.ok_or(AppError::NotFound)?;
                    require(&actor, Action::Triage(access(&report)))?;
                    let clock = tx.cra_clock(id).await?.ok_or(AppError::NotFound)?;
                    if filed_at < clock.aware_at.at {
                        return Err(refused("filed_at", "filed_at lies before the organisation became aware"));
                    }
                    let policy = policy_of(tx, &report).await?;
                    let role = role_of(&policy).unwrap_or(CraRole::Manufacturer);
                    let filing = CraFiling { stage, filed_at, reference: reference.clone(), recorded_at: now };
                    tx.put_cra_filing(id, &filing).await?;
                    let audit =
                        json!({"stage": stage.as_str(), "reference": reference, "filed_at": filed_at.unix_timestamp()});
                    record(tx, now, &actor, "report.cra_filed", format!("report:{id}"), audit).await?;
                    emit(
                        tx,
                        entropy.as_ref(),
                        now,
                        &Event::CraStageFiled { report: id, stage: stage.as_str().to_owned() },
                    )
                    .await?;
                    if stage == CraStage::Notification && clock.kind == CraKind::SevereIncident {
                        schedule_stages(tx, entropy.as_ref(), now, id, &[CraStage::FinalReport]).await?;
                    }
                    view(tx, role, &clock).await
                })
            })
            .await
    }

    /// A stage's content for ENISA's platform, as JSON and text (the team).
    pub async fn cra_content(&self, actor: &Actor, id: ReportId, stage: &str) -> Result<CraContent, AppError> {
        let stage: CraStage = stage.parse().map_err(|e: cra::UnknownCraName| refused("stage", e.to_string()))?;
        let view = self.cra(actor, id).await?.ok_or(AppError::NotFound)?;
        let mut reader = self.store.reader().await?;
        let report = reader.report(id).await?.ok_or(AppError::NotFound)?;
        let org = reader.organisation(report.org_id).await?.ok_or(AppError::NotFound)?;
        let project = reader.project(report.project_id).await?.ok_or(AppError::NotFound)?;
        let advisory = reader.advisory_for_report(id).await?;
        let content = report.content.expose();
        let mut versions = report.team.affected_versions.clone();
        if versions.is_empty() {
            versions.extend(content.versions_vulnerable.clone());
        }
        let mut identifiers = Vec::new();
        if let Some(published) = advisory.as_ref().and_then(|a| a.published.as_ref()) {
            identifiers.extend(published.content.aliases.iter().map(ToString::to_string));
            if let Some(a) = &advisory {
                identifiers.push(a.id.to_string());
            }
        }
        let cvss: Vec<String> = [&report.team.severity.cvss_v3, &report.team.severity.cvss_v4]
            .into_iter()
            .flatten()
            .map(|c| format!("{} ({:.1})", c.vector(), c.score()))
            .collect();
        let input = CraInput {
            kind: view.kind,
            stage,
            role: view.role,
            organisation: &org.name,
            product: &project.name,
            packages: project.packages.iter().map(|p| format!("{}/{}", p.ecosystem, p.name)).collect(),
            repository: project.repository_url.as_deref(),
            versions,
            report: id.to_string(),
            title: &content.title,
            cwes: report.team.cwes.iter().map(ToString::to_string).collect(),
            cvss,
            identifiers,
            aware_at: view.aware_at.both(),
            fix_available_at: view.fix_available_at.map(|(at, _)| Moment { at, offset: view.aware_at.offset }.both()),
            details: &view.details,
        };
        Ok(CraContent {
            stage,
            json: embargo_formats::cra::to_json(&input),
            text: embargo_formats::cra::to_text(&input),
        })
    }

    /// The next unfiled CRA stage of each of `reports` whose clocks run and which the actor may
    /// triage (the queue shows it beside the deadline).
    pub async fn cra_next(
        &self,
        actor: &Actor,
        reports: &[ReportId],
    ) -> Result<Vec<(ReportId, CraStageView)>, AppError> {
        let mut reader = self.store.reader().await?;
        let mut out = Vec::new();
        for id in reports {
            let Some(report) = reader.report(*id).await? else { continue };
            if decide(actor, Action::Triage(access(&report))) != Decision::Allow {
                continue;
            }
            let Some(clock) = reader.cra_clock(*id).await? else { continue };
            let view = view(reader.as_mut(), CraRole::Manufacturer, &clock).await?;
            if let Some(next) = view.next() {
                out.push((*id, next.clone()));
            }
        }
        Ok(out)
    }

    /// Schedules a vulnerability's final-report timers once its report reached `fixed` (the
    /// `CraFixClock` subscriber), when the team stated no other time.
    pub(crate) async fn cra_on_fixed(&self, id: ReportId) -> Result<(), AppError> {
        let (now, entropy) = (self.now(), Arc::clone(&self.entropy));
        self.store
            .write(move |tx| {
                Box::pin(async move {
                    let Some(clock) = tx.cra_clock(id).await? else { return Ok(()) };
                    if clock.kind != CraKind::ExploitedVulnerability || clock.fix_available_at.is_some() {
                        return Ok(());
                    }
                    let first_fixed = tx.state_changes(id).await?.iter().filter(|c| c.to == ReportState::Fixed).count();
                    // Only the first time: a report fixed again keeps the first fix's clock.
                    if first_fixed != 1 {
                        return Ok(());
                    }
                    schedule_stages(tx, entropy.as_ref(), now, id, &[CraStage::FinalReport]).await
                })
            })
            .await
    }
}

/// Starts a vulnerability's final-report clock when its report reaches `fixed`.
#[derive(Debug)]
pub struct CraFixClock;

#[async_trait]
impl Subscriber for CraFixClock {
    fn name(&self) -> &'static str {
        "cra_fix_clock"
    }

    fn wants(&self, event: &Event) -> bool {
        matches!(event, Event::StateChanged { to: ReportState::Fixed, .. })
    }

    async fn handle(&self, app: &App, _job: JobId, event: &Event) -> Result<(), DeliveryError> {
        if let Event::StateChanged { report, to: ReportState::Fixed, .. } = event {
            app.cra_on_fixed(*report).await.map_err(|e| DeliveryError::Temporary(e.to_string()))?;
        }
        Ok(())
    }
}
