//! What each viewer sees: the team's queue and full view, the reporter's own
//! reports, an interested party's redacted copy.

use std::collections::HashMap;

use embargo_core::advisory::AdvisoryState;
use embargo_core::eligibility::report_eligibility;
use embargo_core::id::{ReportId, UserId};
use embargo_core::lifecycle::{Performer, ReportState, allowed_transitions};
use embargo_core::organisation::Organisation;
use embargo_core::permission::{Action, Actor, Decision, ProjectAccess, decide, visible_reports};
use embargo_core::private::Private;
use embargo_core::project::Project;
use embargo_core::report::{Report, ReportContent};
use embargo_core::text::{FieldErrors, TextError};
use embargo_core::user::TeamScope;
use embargo_core::user::User;
use embargo_store::Reader;
use embargo_store::reports::{ReportCursor, ReportFilter, Thread};

use super::cursor::{self, PageCursor};
use super::search::Search;
use super::{
    ReportActions, ReportPage, ReportQuery, ReportSummary, ReportView, TeamView, ViewerRole, access, affected_lines,
    role_of,
};
use crate::organisations::{find_organisation, find_project};
use crate::policies::project_policy;
use crate::{App, AppError, require};

/// The content an interested party may read: what is wrong, not who found it.
fn redacted(content: &ReportContent) -> ReportContent {
    ReportContent { reporter_name: None, reporter_email: None, ..content.clone() }
}

/// The project's security team (its own and its organisation's), not banned,
/// by name; the current assignee is always kept among them.
async fn assignable(reader: &mut dyn Reader, report: &Report) -> Result<Vec<User>, AppError> {
    let mut people: Vec<User> = Vec::new();
    for scope in [TeamScope::Organisation(report.org_id), TeamScope::Project(report.project_id)] {
        for member in reader.members(scope).await? {
            if member.user.banned_at.is_none() && !people.iter().any(|u| u.id == member.user.id) {
                people.push(member.user);
            }
        }
    }
    if let Some(current) = report.team.assignee
        && !people.iter().any(|u| u.id == current)
        && let Some(user) = reader.user(current).await?
    {
        people.push(user);
    }
    people.sort_by(|a, b| a.name.cmp(&b.name).then(a.id.cmp(&b.id)));
    Ok(people)
}

/// Likely duplicates of a report in triage among its project's other open reports.
async fn duplicate_suggestions(
    reader: &mut dyn Reader,
    report: &Report,
) -> Result<Vec<(ReportId, String, Vec<String>)>, AppError> {
    if !report.state.is_in_triage() {
        return Ok(Vec::new());
    }
    let open: Vec<Report> =
        reader.open_reports(report.project_id).await?.into_iter().filter(|r| r.id != report.id).collect();
    let others: Vec<(ReportId, &ReportContent)> = open.iter().map(|r| (r.id, r.content.expose())).collect();
    let found = embargo_core::duplicates::suggest(report.content.expose(), &others);
    Ok(found
        .into_iter()
        .filter_map(|s| {
            let title = open.iter().find(|r| r.id == s.report)?.content.expose().title.clone();
            Some((s.report, title, s.reasons))
        })
        .collect())
}

/// What a queue may be filtered by, for one viewer.
#[derive(Debug, Clone, Default)]
pub struct QueueChoices {
    /// The projects whose reports the viewer may see as a team member (all of them for an administrator).
    pub projects: Vec<(Organisation, Project)>,
    /// The people on the viewer's teams, by name.
    pub people: Vec<(UserId, String)>,
}

impl App {
    /// What the viewer's queue may be filtered by.
    pub async fn queue_choices(&self, actor: &Actor) -> Result<QueueChoices, AppError> {
        let mut reader = self.store.reader().await?;
        let orgs: HashMap<_, _> = reader.organisations().await?.into_iter().map(|o| (o.id, o)).collect();
        let mut projects = Vec::new();
        for project in reader.projects(None).await? {
            let access = ProjectAccess { org: project.org_id, project: project.id };
            if decide(actor, Action::ViewProjectTeam(access)) == Decision::Allow
                && let Some(org) = orgs.get(&project.org_id)
            {
                projects.push((org.clone(), project));
            }
        }
        projects.sort_by(|(a, p), (b, q)| a.name.cmp(&b.name).then(p.name.cmp(&q.name)));
        let mut people = std::collections::BTreeMap::new();
        if let Some(user) = actor.user() {
            for membership in reader.memberships(user.id).await? {
                for member in reader.members(membership.scope).await? {
                    if member.user.banned_at.is_none() {
                        people.insert(member.user.id, member.user.name);
                    }
                }
            }
        }
        let mut people: Vec<(UserId, String)> = people.into_iter().collect();
        people.sort_by(|a, b| a.1.cmp(&b.1));
        Ok(QueueChoices { projects, people })
    }

    /// A page of the reports the actor may see, newest first (or as the query orders), and
    /// where the next page starts.
    pub async fn reports(&self, actor: &Actor, query: &ReportQuery) -> Result<ReportPage, AppError> {
        if *actor == Actor::Anonymous {
            return Err(AppError::Unauthenticated);
        }
        require(actor, Action::ListReports)?;
        // Which reports: core says, the query only filters by it.
        let scope = visible_reports(actor);
        let search = Search::read(actor, query)?;
        if !search.terms.is_empty() {
            // New reports are indexed after their commit: a search first indexes what waits.
            self.catch_up_search().await?;
        }
        let mut reader = self.store.reader().await?;
        let (org, project) = match (&search.org, &search.project) {
            (Some(org), Some(project)) => {
                let (org, project) = find_project(reader.as_mut(), org, project).await?;
                (Some(org.id), Some(project.id))
            }
            // A project is named within its organisation: without one, `project` names none.
            (None, Some(_)) => return Err(AppError::NotFound),
            (Some(org), None) => (Some(find_organisation(reader.as_mut(), org).await?.id), None),
            (None, None) => (None, None),
        };
        let state = search.state.as_deref().map(str::parse::<ReportState>).transpose().map_err(|e| {
            AppError::Invalid(FieldErrors(vec![TextError::Refused { field: "state", reason: e.to_string() }]))
        })?;
        let limit = query.limit.unwrap_or(100).clamp(1, self.config.max_page);
        let offset = query.offset.unwrap_or(0);
        // Newest first and the deadline order page by keyset (the queue's
        // indexes); the lab order by offset.
        let keyset = !query.lab_first;
        let by_deadline = query.deadline_first && keyset;
        let (after, offset) = match query.cursor.as_deref().map(PageCursor::decode).transpose()? {
            None => (None, offset),
            Some(PageCursor::After(position)) if keyset && !by_deadline => (Some(position), offset),
            Some(PageCursor::Deadline(position)) if by_deadline => (Some(position), offset),
            Some(PageCursor::Skip(skipped)) if !keyset => (None, skipped.saturating_add(offset)),
            Some(PageCursor::After(_) | PageCursor::Deadline(_) | PageCursor::Skip(_)) => {
                return Err(cursor::refused());
            }
        };
        // Every filter is applied by the query itself, so a page is never short.
        let filter = ReportFilter {
            scope,
            org,
            project,
            state,
            open_only: search.open_only,
            assignee: search.assignee,
            lab: query.lab.map(crate::lab::LabFilter::signal),
            lab_first: query.lab_first,
            deadline_first: query.deadline_first,
            // One more, to know whether a next page exists.
            limit: limit.saturating_add(1),
            offset,
            after,
            search: search.terms,
        };
        let mut reports = reader.reports(&filter).await?;
        let more = reports.len() > limit as usize;
        reports.truncate(limit as usize);
        let next = match (more, reports.last()) {
            (true, Some(last)) if by_deadline => Some(PageCursor::Deadline(ReportCursor::after(last)).encode()),
            (true, Some(last)) if keyset => Some(PageCursor::After(ReportCursor::after(last)).encode()),
            (true, Some(_)) => Some(PageCursor::Skip(offset.saturating_add(limit)).encode()),
            _ => None,
        };
        let projects: HashMap<_, _> = reader.projects(None).await?.into_iter().map(|p| (p.id, p)).collect();
        let orgs: HashMap<_, _> = reader.organisations().await?.into_iter().map(|o| (o.id, o)).collect();
        let mut users: HashMap<UserId, Option<User>> = HashMap::new();
        let mut summaries = Vec::with_capacity(reports.len());
        for report in reports {
            let viewer = role_of(actor, &report);
            let team = viewer == ViewerRole::Team;
            let assignee = match (team, report.team.assignee) {
                (true, Some(id)) => match users.get(&id) {
                    Some(known) => known.clone(),
                    None => {
                        let user = reader.user(id).await?;
                        users.insert(id, user.clone());
                        user
                    }
                },
                _ => None,
            };
            let (Some(project), Some(org)) = (projects.get(&report.project_id), orgs.get(&report.org_id)) else {
                continue;
            };
            summaries.push(ReportSummary {
                id: report.id,
                org: org.clone(),
                project: project.clone(),
                title: report.content.expose().title.clone(),
                state: report.state,
                severity: team.then(|| report.team.severity.level()).flatten(),
                assignee,
                deadline: team.then(|| report.deadlines.current(report.state)).flatten(),
                created_at: report.created_at,
                updated_at: report.updated_at,
                viewer,
            });
        }
        Ok(ReportPage { reports: summaries, next })
    }

    /// The reports marked as duplicates of `original`, oldest first (for the notices to their reporters).
    pub(crate) async fn duplicates_of(&self, original: ReportId) -> Result<Vec<ReportId>, AppError> {
        Ok(self.store.reader().await?.duplicates_of(original).await?.into_iter().map(|r| r.id).collect())
    }

    /// One report as the actor may see it.
    pub async fn report(&self, actor: &Actor, id: ReportId) -> Result<ReportView, AppError> {
        let mut reader = self.store.reader().await?;
        let report = reader.report(id).await?.ok_or(AppError::NotFound)?;
        require(actor, Action::ViewShared(access(&report)))?;
        self.view(reader.as_mut(), actor, report).await
    }

    async fn view(&self, reader: &mut dyn Reader, actor: &Actor, report: Report) -> Result<ReportView, AppError> {
        let viewer = role_of(actor, &report);
        let internal = decide(actor, Action::ViewInternal(access(&report))) == Decision::Allow;
        let messages = match viewer {
            ViewerRole::Team => reader.messages(report.id, Thread::WithInternal).await?,
            ViewerRole::Collaborator if internal => reader.messages(report.id, Thread::WithInternal).await?,
            ViewerRole::Reporter | ViewerRole::Collaborator => {
                reader.messages(report.id, Thread::ReporterVisible).await?
            }
            ViewerRole::InterestedParty => Vec::new(),
        };
        let authors: HashMap<UserId, String> = match viewer {
            ViewerRole::InterestedParty => HashMap::new(),
            ViewerRole::Team | ViewerRole::Reporter | ViewerRole::Collaborator => {
                reader.message_authors(report.id).await?.into_iter().collect()
            }
        };
        let mut history = reader.state_changes(report.id).await?;
        if viewer == ViewerRole::InterestedParty {
            for change in &mut history {
                change.reason = None;
                change.actor_id = None;
            }
        }
        let org = reader.organisation(report.org_id).await?.ok_or(AppError::NotFound)?;
        let project = reader.project(report.project_id).await?.ok_or(AppError::NotFound)?;
        let advisory = reader
            .advisory_for_report(report.id)
            .await?
            .filter(|a| viewer == ViewerRole::Team || a.state != AdvisoryState::Draft)
            .map(|a| a.id);
        let attachments = reader.attachments(report.id).await?;
        let team = match viewer {
            ViewerRole::Team => Some(self.report_team_view(reader, &org, &project, &report).await?),
            ViewerRole::Reporter | ViewerRole::Collaborator | ViewerRole::InterestedParty => None,
        };
        let allowed = if decide(actor, Action::Triage(access(&report))) == Decision::Allow {
            allowed_transitions(report.state, Performer::Team)
        } else if decide(actor, Action::Withdraw(access(&report))) == Decision::Allow {
            allowed_transitions(report.state, Performer::Reporter)
        } else {
            Vec::new()
        };
        let access = access(&report);
        let allow = |action| decide(actor, action) == Decision::Allow;
        let project_access = ProjectAccess { org: report.org_id, project: report.project_id };
        let actions = ReportActions {
            reply: allow(Action::Reply(access)),
            internal_note: allow(Action::AddInternalNote(access)),
            assess: allow(Action::Triage(access)),
            share: allow(Action::Share(access)),
            draft_advisory: allow(Action::EditAdvisory(project_access))
                && report.state.is_accepted()
                && advisory.is_none(),
        };
        let embargo = match viewer {
            ViewerRole::InterestedParty => None,
            ViewerRole::Team | ViewerRole::Reporter | ViewerRole::Collaborator => reader.embargo(report.id).await?,
        };
        let (content, deadline, intake) = match viewer {
            ViewerRole::InterestedParty => (Private::new(redacted(report.content.expose())), None, Vec::new()),
            ViewerRole::Team | ViewerRole::Reporter => {
                (report.content.clone(), report.deadlines.current(report.state), report.intake.clone())
            }
            // An invitee reads what is wrong, not the reporter's contact details.
            ViewerRole::Collaborator => (
                Private::new(redacted(report.content.expose())),
                report.deadlines.current(report.state),
                report.intake.clone(),
            ),
        };
        Ok(ReportView {
            id: report.id,
            org,
            project,
            state: report.state,
            channel: report.channel,
            content,
            attachments,
            created_at: report.created_at,
            updated_at: report.updated_at,
            viewer,
            deadline,
            intake,
            team,
            messages,
            authors,
            history,
            allowed_transitions: allowed,
            actions,
            advisory,
            embargo,
        })
    }

    async fn report_team_view(
        &self,
        reader: &mut dyn Reader,
        org: &embargo_core::organisation::Organisation,
        project: &embargo_core::project::Project,
        report: &Report,
    ) -> Result<TeamView, AppError> {
        let policy = project_policy(reader, org, project).await?;
        let lines = reader.release_lines(project.id).await?;
        let affected = affected_lines(report, &lines, &policy.releases.latest.value);
        let assignee = match report.team.assignee {
            Some(id) => reader.user(id).await?,
            None => None,
        };
        let reporter = match report.reporter_id {
            Some(id) => reader.user(id).await?,
            None => None,
        };
        let reporter_record = match &reporter {
            Some(user) => {
                let record = reader.reporter_record(user.id).await?;
                let threshold = policy.conduct.ban_after.value;
                let suggested = threshold.is_some_and(|t| record.spam + record.declined >= u64::from(t));
                Some((record, suggested))
            }
            None => None,
        };
        Ok(TeamView {
            severity: report.team.severity.clone(),
            cwes: report.team.cwes.clone(),
            assignee,
            affected_versions: report.team.affected_versions.clone(),
            fix_lines: report.team.fix_lines.clone(),
            duplicate_of: report.duplicate_of,
            reporter,
            reporter_record,
            eligibility: report_eligibility(&policy, &lines, &affected, report.content.expose()),
            shares: reader.shares(report.id).await?,
            assignable: assignable(reader, report).await?,
            duplicate_suggestions: duplicate_suggestions(reader, report).await?,
        })
    }
}
