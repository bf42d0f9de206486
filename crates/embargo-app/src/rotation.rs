//! The coordinator rotation a project's team keeps, and auto-assignment: a
//! report nobody took up after the rotation's idle days without activity
//! goes to the next coordinator in turn (round robin, skipping those away
//! and those no longer on the team). Runs as a timer per report, scheduled
//! at intake and when the rotation is set, driven by the injected clock.

use embargo_core::text::Slug;
use std::sync::Arc;

use embargo_core::Timestamp;
use embargo_core::id::{ReportId, UserId};
use embargo_core::permission::{Action, Actor, ProjectAccess};
use embargo_core::report::Report;
use embargo_core::rotation::{Coordinator, MAX_IDLE_DAYS, Rotation};
use embargo_core::text::{Email, FieldErrors, TextError};
use embargo_core::user::{TeamScope, User};
use embargo_store::jobs::NewJob;
use embargo_store::{Reader, StoreExt, Writer};
use serde_json::json;

use crate::audit::record;
use crate::entropy::Entropy;
use crate::events::{Event, emit};
use crate::organisations::find_project;
use crate::timers::{Timer, schedule, timer_job};
use crate::{App, AppError, require};

/// A rotation as the team sets it.
#[derive(Debug, Clone, Default)]
pub struct RotationInput {
    /// Days a report may sit unassigned without activity (1 to 365).
    pub idle_days: u32,
    /// The coordinators' addresses in turn order, each with whether they are away.
    pub coordinators: Vec<(String, bool)>,
}

/// A rotation as the team reads it.
#[derive(Debug, Clone, PartialEq)]
pub struct RotationView {
    /// Days a report may sit unassigned without activity.
    pub idle_days: u32,
    /// The coordinators in turn order, with whether they are away.
    pub coordinators: Vec<(User, bool)>,
    /// Who gets the next report, if anyone can.
    pub next: Option<User>,
}

/// The security team of a project: its own members and its organisation's.
async fn team_members(
    reader: &mut dyn Reader,
    org: embargo_core::id::OrgId,
    project: embargo_core::id::ProjectId,
) -> Result<Vec<User>, AppError> {
    let mut people: Vec<User> = Vec::new();
    for scope in [TeamScope::Organisation(org), TeamScope::Project(project)] {
        for member in reader.members(scope).await? {
            if member.user.banned_at.is_none() && !people.iter().any(|u| u.id == member.user.id) {
                people.push(member.user);
            }
        }
    }
    Ok(people)
}

/// The timer that auto-assigns a new `report` when its project keeps a
/// rotation (none otherwise), for intake to write with its other jobs.
pub(crate) async fn intake_job(
    tx: &mut dyn Writer,
    ids: &dyn Entropy,
    now: Timestamp,
    report: &Report,
) -> Result<Option<NewJob>, AppError> {
    let Some(rotation) = tx.rotation(report.project_id).await? else { return Ok(None) };
    let at = now + time::Duration::days(i64::from(rotation.idle_days));
    Ok(Some(timer_job(ids, at, &Timer::AutoAssign { report: report.id })?))
}

/// Runs the auto-assignment timer of `id`: assigns the next coordinator when
/// the report is still open, unassigned and idle long enough; waits again
/// when it saw activity since.
pub(crate) async fn auto_assign(
    tx: &mut dyn Writer,
    ids: &dyn Entropy,
    now: Timestamp,
    id: ReportId,
) -> Result<(), AppError> {
    let Some(mut report) = tx.lock_report(id).await? else { return Ok(()) };
    if report.state.is_closed() || report.team.assignee.is_some() {
        return Ok(());
    }
    let Some(rotation) = tx.rotation(report.project_id).await? else { return Ok(()) };
    let idle_until = report.updated_at + time::Duration::days(i64::from(rotation.idle_days));
    if idle_until > now {
        return schedule(tx, ids, now, idle_until, &Timer::AutoAssign { report: id }).await;
    }
    let team: Vec<UserId> = team_members(tx, report.org_id, report.project_id).await?.iter().map(|u| u.id).collect();
    let Some((coordinator, next_turn)) = rotation.next(|user| team.contains(&user)) else {
        tracing::warn!(report = %id, "no coordinator of the rotation can take the report: everyone is away");
        return Ok(());
    };
    report.team.assignee = Some(coordinator);
    report.updated_at = now;
    tx.update_report(&report).await?;
    tx.set_next_turn(report.project_id, next_turn, now).await?;
    let details = json!({"assignee": coordinator.to_string(), "idle_days": rotation.idle_days});
    record(tx, now, &Actor::Operator, "report.auto_assigned", format!("report:{id}"), details).await?;
    emit(tx, ids, now, &Event::AssigneeChanged { report: id, assignee: Some(coordinator) }).await
}

impl App {
    /// A project's rotation (its team only); `None` when it keeps none.
    pub async fn rotation(&self, actor: &Actor, org: &Slug, project: &Slug) -> Result<Option<RotationView>, AppError> {
        let mut reader = self.store.reader().await?;
        let (org, project) = find_project(reader.as_mut(), org, project).await?;
        require(actor, Action::ViewProjectTeam(ProjectAccess { org: org.id, project: project.id }))?;
        let Some(rotation) = reader.rotation(project.id).await? else { return Ok(None) };
        let team = team_members(reader.as_mut(), org.id, project.id).await?;
        let mut coordinators = Vec::new();
        for c in &rotation.coordinators {
            if let Some(user) = reader.user(c.user).await? {
                coordinators.push((user, c.away));
            }
        }
        let next = rotation
            .next(|u| team.iter().any(|t| t.id == u))
            .and_then(|(u, _)| coordinators.iter().find(|(c, _)| c.id == u).map(|(c, _)| c.clone()));
        Ok(Some(RotationView { idle_days: rotation.idle_days, coordinators, next }))
    }

    /// Sets a project's rotation (its team); an empty list removes it. The
    /// project's open unassigned reports get their auto-assignment scheduled.
    pub async fn set_rotation(
        &self,
        actor: &Actor,
        org: &Slug,
        project: &Slug,
        input: RotationInput,
    ) -> Result<Option<RotationView>, AppError> {
        let (org_slug, project_slug) = (org.clone(), project.clone());
        let now = self.now();
        let (tx_actor, entropy) = (actor.clone(), Arc::clone(&self.entropy));
        self.store
            .write(move |tx| {
                Box::pin(async move {
                    let actor = tx_actor;
                    let (org, project) = find_project(tx, &org_slug, &project_slug).await?;
                    require(&actor, Action::ManageProject(ProjectAccess { org: org.id, project: project.id }))?;
                    let team = team_members(tx, org.id, project.id).await?;
                    let mut errors = Vec::new();
                    if !(1..=MAX_IDLE_DAYS).contains(&input.idle_days) {
                        errors.push(TextError::Malformed {
                            field: "idle_days",
                            expected: "a number of days from 1 to 365",
                        });
                    }
                    let mut coordinators: Vec<Coordinator> = Vec::new();
                    for (email, away) in &input.coordinators {
                        let member = email.parse::<Email>().ok().and_then(|e| team.iter().find(|u| u.email == e));
                        match member {
                            Some(user) if !coordinators.iter().any(|c| c.user == user.id) => {
                                coordinators.push(Coordinator { user: user.id, away: *away });
                            }
                            Some(_) => errors.push(TextError::Malformed {
                                field: "coordinators",
                                expected: "each member of the team once",
                            }),
                            None => errors.push(TextError::Malformed {
                                field: "coordinators",
                                expected: "addresses of members of the project's security team",
                            }),
                        }
                    }
                    if !errors.is_empty() {
                        return Err(AppError::Invalid(FieldErrors(errors)));
                    }
                    let next_turn = tx.rotation(project.id).await?.map_or(0, |r| r.next_turn);
                    let count = u32::try_from(coordinators.len()).unwrap_or(u32::MAX).max(1);
                    let rotation = Rotation {
                        project: project.id,
                        idle_days: input.idle_days,
                        coordinators,
                        next_turn: next_turn % count,
                    };
                    tx.put_rotation(&rotation, now).await?;
                    let away = rotation.coordinators.iter().filter(|c| c.away).count();
                    let details = json!({
                        "coordinators": rotation.coordinators.len(),
                        "away": away,
                        "idle_days": rotation.idle_days,
                    });
                    record(tx, now, &actor, "project.rotation_set", format!("project:{}", project.id), details).await?;
                    if !rotation.coordinators.is_empty() {
                        let idle = time::Duration::days(i64::from(rotation.idle_days));
                        for (report, updated_at) in tx.unassigned_open_reports(project.id).await? {
                            let at = (updated_at + idle).max(now);
                            schedule(tx, entropy.as_ref(), now, at, &Timer::AutoAssign { report }).await?;
                        }
                    }
                    Ok(())
                })
            })
            .await?;
        self.rotation(actor, org, project).await
    }
}
