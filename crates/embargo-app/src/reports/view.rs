//! What each viewer sees: the team's queue and full view, the reporter's own
//! reports, an interested party's redacted copy.

use std::collections::HashMap;

use embargo_core::advisory::AdvisoryState;
use embargo_core::eligibility::report_eligibility;
use embargo_core::id::UserId;
use embargo_core::lifecycle::{Performer, ReportState, allowed_transitions};
use embargo_core::permission::{Action, Actor, Decision, decide};
use embargo_core::private::Private;
use embargo_core::report::{Report, ReportContent};
use embargo_core::text::{FieldErrors, TextError};
use embargo_core::user::User;
use embargo_store::Reader;
use embargo_store::reports::{ReportFilter, Thread, Viewer};

use super::{
    ReportQuery, ReportSummary, ReportView, TeamView, ViewerRole, access, affected_lines, parse_report_id, role_of,
};
use crate::organisations::find_project;
use crate::policies::project_policy;
use crate::{App, AppError, require};

/// The content an interested party may read: what is wrong, not who found it.
fn redacted(content: &ReportContent) -> ReportContent {
    ReportContent { reporter_name: None, reporter_email: None, ..content.clone() }
}

impl App {
    /// The reports the actor may see, newest first.
    pub async fn reports(&self, actor: &Actor, query: &ReportQuery) -> Result<Vec<ReportSummary>, AppError> {
        if *actor == Actor::Anonymous {
            return Err(AppError::Unauthenticated);
        }
        require(actor, Action::ListReports)?;
        let viewer = match actor {
            Actor::FollowUp(report) => Viewer::FollowUp(*report),
            Actor::User(user) => Viewer::User(user.id),
            Actor::Anonymous | Actor::Interested(_) | Actor::Operator => return Err(AppError::NotFound),
        };
        let mut reader = self.store.reader().await?;
        let project = match (&query.org, &query.project) {
            (Some(org), Some(project)) => Some(find_project(reader.as_mut(), org, project).await?.1.id),
            (None, Some(_)) => return Err(AppError::invalid("project", "given together with org")),
            (Some(_) | None, None) => None,
        };
        let state = query.state.as_deref().map(str::parse::<ReportState>).transpose().map_err(|e| {
            AppError::Invalid(FieldErrors(vec![TextError::Refused { field: "state", reason: e.to_string() }]))
        })?;
        let limit = query.limit.unwrap_or(100).clamp(1, self.config.max_page);
        let filter =
            ReportFilter { viewer, project, state, assignee: query.assignee, limit, offset: query.offset.unwrap_or(0) };
        let reports = reader.reports(&filter).await?;
        let projects: HashMap<_, _> = reader.projects(None).await?.into_iter().map(|p| (p.id, p)).collect();
        let orgs: HashMap<_, _> = reader.organisations().await?.into_iter().map(|o| (o.id, o)).collect();
        let mut users: HashMap<UserId, Option<User>> = HashMap::new();
        let mut summaries = Vec::with_capacity(reports.len());
        for report in reports {
            if let Some(org) = query.org.as_deref()
                && orgs.get(&report.org_id).is_none_or(|o| o.slug.as_str() != org)
            {
                continue;
            }
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
        Ok(summaries)
    }

    /// One report as the actor may see it.
    pub async fn report(&self, actor: &Actor, id: &str) -> Result<ReportView, AppError> {
        let id = parse_report_id(id)?;
        let mut reader = self.store.reader().await?;
        let report = reader.report(id).await?.ok_or(AppError::NotFound)?;
        require(actor, Action::ViewShared(access(&report)))?;
        self.view(reader.as_mut(), actor, report).await
    }

    async fn view(&self, reader: &mut dyn Reader, actor: &Actor, report: Report) -> Result<ReportView, AppError> {
        let viewer = role_of(actor, &report);
        let messages = match viewer {
            ViewerRole::Team => reader.messages(report.id, Thread::WithInternal).await?,
            ViewerRole::Reporter => reader.messages(report.id, Thread::ReporterVisible).await?,
            ViewerRole::InterestedParty => Vec::new(),
        };
        let mut authors = HashMap::new();
        for author in messages.iter().filter_map(|m| m.author_id) {
            if !authors.contains_key(&author)
                && let Some(user) = reader.user(author).await?
            {
                authors.insert(author, user.name);
            }
        }
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
            ViewerRole::Reporter | ViewerRole::InterestedParty => None,
        };
        let allowed = if decide(actor, Action::Triage(access(&report))) == Decision::Allow {
            allowed_transitions(report.state, Performer::Team)
        } else if decide(actor, Action::Withdraw(access(&report))) == Decision::Allow {
            allowed_transitions(report.state, Performer::Reporter)
        } else {
            Vec::new()
        };
        let (content, deadline, intake) = match viewer {
            ViewerRole::InterestedParty => (Private::new(redacted(report.content.expose())), None, Vec::new()),
            ViewerRole::Team | ViewerRole::Reporter => {
                (report.content.clone(), report.deadlines.current(report.state), report.intake.clone())
            }
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
            advisory,
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
        })
    }
}
