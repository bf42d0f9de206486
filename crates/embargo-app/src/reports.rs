//! Reports: intake, the team's and the reporter's views, messages,
//! transitions and the team's fields.

use std::collections::HashMap;

use embargo_core::Timestamp;
use embargo_core::advisory::AdvisoryState;
use embargo_core::id::{AdvisoryId, ReportId, UserId};
use embargo_core::lifecycle::{Performer, ReportState, TransitionRequest, allowed_transitions, check_transition};
use embargo_core::message::{AuthorRole, Channel, Message, Visibility};
use embargo_core::organisation::Organisation;
use embargo_core::permission::{Action, Actor, Decision, ReportAccess, decide};
use embargo_core::private::Private;
use embargo_core::project::Project;
use embargo_core::report::{Report, ReportContent, StateChange, Submission};
use embargo_core::severity::{Severity, SeverityLevel};
use embargo_core::text::{
    FieldErrors, MAX_SHORT_CHARS, MAX_TEXT_BYTES, TextError, one_line, plain_text, required_text,
};
use embargo_core::user::{TeamScope, User};
use embargo_store::reports::{ReportFilter, Thread, Viewer};
use embargo_store::{Reader, StoreExt, Writer};
use serde_json::json;

use crate::audit::record;
use crate::entropy::NewIds;
use crate::jobs::{Notice, enqueue};
use crate::organisations::find_project;
use crate::secret::{Token, TokenKind};
use crate::{App, AppError, require};

/// What a reporter gets back: the reference and the secret follow-up token.
#[derive(Debug, Clone)]
pub struct Receipt {
    /// The report's id.
    pub report_id: ReportId,
    /// Reads and answers this one report; shown once.
    pub followup: Token,
    /// The organisation.
    pub org: Organisation,
    /// The project.
    pub project: Project,
    /// When it was received.
    pub submitted_at: Timestamp,
}

/// How the viewer relates to a report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ViewerRole {
    /// The project's security team: sees internal notes and team fields.
    Team,
    /// The reporter: sees their report and the reporter-visible thread.
    Reporter,
}

/// A line in a list of reports.
#[derive(Debug, Clone, PartialEq)]
pub struct ReportSummary {
    /// The report.
    pub id: ReportId,
    /// Its organisation.
    pub org: Organisation,
    /// Its project.
    pub project: Project,
    /// The reporter's title.
    pub title: String,
    /// Where it stands.
    pub state: ReportState,
    /// The team's rating, for the team only.
    pub severity: Option<SeverityLevel>,
    /// Who handles it, for the team only.
    pub assignee: Option<User>,
    /// When it arrived.
    pub created_at: Timestamp,
    /// Last activity.
    pub updated_at: Timestamp,
    /// How the viewer relates to it.
    pub viewer: ViewerRole,
}

/// What only the team sees about a report.
#[derive(Debug, Clone, PartialEq)]
pub struct TeamView {
    /// The team's severity.
    pub severity: Severity,
    /// Weaknesses.
    pub cwes: Vec<embargo_core::id::CweId>,
    /// Who handles it.
    pub assignee: Option<User>,
    /// The versions the team found affected.
    pub affected_versions: Vec<String>,
    /// The original, when a duplicate.
    pub duplicate_of: Option<ReportId>,
    /// The signed-in reporter, if any.
    pub reporter: Option<User>,
}

/// A report as one viewer may see it.
#[derive(Debug, Clone)]
pub struct ReportView {
    /// The report.
    pub id: ReportId,
    /// Its organisation.
    pub org: Organisation,
    /// Its project.
    pub project: Project,
    /// Where it stands.
    pub state: ReportState,
    /// How it arrived.
    pub channel: Channel,
    /// What the reporter wrote.
    pub content: Private<ReportContent>,
    /// When it arrived.
    pub created_at: Timestamp,
    /// Last activity.
    pub updated_at: Timestamp,
    /// How the viewer relates to it.
    pub viewer: ViewerRole,
    /// Team fields, for the team only.
    pub team: Option<TeamView>,
    /// The thread: with internal notes for the team, without for the reporter.
    pub messages: Vec<Message>,
    /// Display names of message authors.
    pub authors: HashMap<UserId, String>,
    /// The states it went through.
    pub history: Vec<StateChange>,
    /// Where the viewer may move it now.
    pub allowed_transitions: Vec<ReportState>,
    /// Its advisory: any for the team, published ones for the reporter.
    pub advisory: Option<AdvisoryId>,
}

/// Which reports to list.
#[derive(Debug, Clone, Default)]
pub struct ReportQuery {
    /// Only this organisation's (with `project`: that project's).
    pub org: Option<String>,
    /// Only this project's (needs `org`).
    pub project: Option<String>,
    /// Only in this state.
    pub state: Option<String>,
    /// Only assigned to this user.
    pub assignee: Option<UserId>,
    /// At most this many (default 100).
    pub limit: Option<u32>,
    /// Skip this many.
    pub offset: Option<u32>,
}

/// Changes to the team's fields; absent fields stay, `Some(None)` clears.
#[derive(Debug, Clone, Default)]
pub struct TeamPatch {
    /// A CVSS 3.x vector.
    pub cvss_v3: Option<Option<String>>,
    /// A CVSS 4.0 vector.
    pub cvss_v4: Option<Option<String>>,
    /// CWE ids.
    pub cwes: Option<Vec<String>>,
    /// The team member handling it.
    pub assignee: Option<Option<UserId>>,
    /// Affected versions or release lines.
    pub affected_versions: Option<Vec<String>>,
}

fn access(report: &Report) -> ReportAccess {
    ReportAccess { id: report.id, org: report.org_id, project: report.project_id, reporter: report.reporter_id }
}

fn parse_report_id(id: &str) -> Result<ReportId, AppError> {
    id.parse().map_err(|_| AppError::NotFound)
}

fn role_of(actor: &Actor, report: &Report) -> ViewerRole {
    if decide(actor, Action::ViewInternal(access(report))) == Decision::Allow {
        ViewerRole::Team
    } else {
        ViewerRole::Reporter
    }
}

/// Whether `user` is on the security team of the report's project.
async fn is_team_member(tx: &mut dyn Writer, user: UserId, report: &Report) -> Result<bool, AppError> {
    Ok(tx.memberships(user).await?.iter().any(|m| match m.scope {
        TeamScope::Organisation(org) => org == report.org_id,
        TeamScope::Project(project) => project == report.project_id,
    }))
}

impl App {
    /// Takes in a new report, from anyone, through `channel`.
    pub async fn submit_report(
        &self,
        actor: &Actor,
        org: &str,
        project: &str,
        submission: Submission,
        channel: Channel,
    ) -> Result<Receipt, AppError> {
        let (org, project) = self.project(org, project).await?;
        require(actor, Action::SubmitReport)?;
        let content = ReportContent::from_submission(&submission)?;
        let now = self.now();
        let report = Report {
            id: self.entropy.report_id()?,
            org_id: org.id,
            project_id: project.id,
            reporter_id: actor.user_id(),
            channel,
            content: Private::new(content),
            state: ReportState::New,
            team: Default::default(),
            duplicate_of: None,
            created_at: now,
            updated_at: now,
        };
        let followup = Token::generate(TokenKind::FollowUp, self.entropy.as_ref())?;
        let (hash, job, actor) = (followup.hash(), self.entropy.job_id()?, actor.clone());
        let receipt = Receipt { report_id: report.id, followup, org, project, submitted_at: now };
        self.store
            .write(move |tx| {
                Box::pin(async move {
                    tx.insert_report(&report, &hash).await?;
                    let change = StateChange {
                        report_id: report.id,
                        from: None,
                        to: ReportState::New,
                        reason: None,
                        actor_id: actor.user_id(),
                        at: now,
                    };
                    tx.insert_state_change(&change).await?;
                    let details = json!({"project": report.project_id.to_string(), "channel": channel.as_str()});
                    record(tx, now, &actor, "report.submitted", format!("report:{}", report.id), details).await?;
                    enqueue(tx, job, now, &Notice::ReportReceived { report: report.id }).await
                })
            })
            .await?;
        Ok(receipt)
    }

    /// The reports the actor may see, newest first.
    pub async fn reports(&self, actor: &Actor, query: &ReportQuery) -> Result<Vec<ReportSummary>, AppError> {
        if *actor == Actor::Anonymous {
            return Err(AppError::Unauthenticated);
        }
        require(actor, Action::ListReports)?;
        let viewer = match actor {
            Actor::FollowUp(report) => Viewer::FollowUp(*report),
            Actor::User(user) => Viewer::User(user.id),
            Actor::Anonymous | Actor::Operator => return Err(AppError::NotFound),
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
            let assignee = match (viewer, report.team.assignee) {
                (ViewerRole::Team, Some(id)) => match users.get(&id) {
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
                severity: (viewer == ViewerRole::Team).then(|| report.team.severity.level()).flatten(),
                assignee,
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
        require(actor, Action::ViewReport(access(&report)))?;
        self.view(reader.as_mut(), actor, report).await
    }

    async fn view(&self, reader: &mut dyn Reader, actor: &Actor, report: Report) -> Result<ReportView, AppError> {
        let viewer = role_of(actor, &report);
        let thread = match viewer {
            ViewerRole::Team => Thread::WithInternal,
            ViewerRole::Reporter => Thread::ReporterVisible,
        };
        let messages = reader.messages(report.id, thread).await?;
        let mut authors = HashMap::new();
        for author in messages.iter().filter_map(|m| m.author_id) {
            if !authors.contains_key(&author)
                && let Some(user) = reader.user(author).await?
            {
                authors.insert(author, user.name);
            }
        }
        let history = reader.state_changes(report.id).await?;
        let org = reader.organisation(report.org_id).await?.ok_or(AppError::NotFound)?;
        let project = reader.project(report.project_id).await?.ok_or(AppError::NotFound)?;
        let advisory = reader
            .advisory_for_report(report.id)
            .await?
            .filter(|a| viewer == ViewerRole::Team || a.state != AdvisoryState::Draft)
            .map(|a| a.id);
        let team = match viewer {
            ViewerRole::Team => {
                let assignee = match report.team.assignee {
                    Some(id) => reader.user(id).await?,
                    None => None,
                };
                let reporter = match report.reporter_id {
                    Some(id) => reader.user(id).await?,
                    None => None,
                };
                Some(TeamView {
                    severity: report.team.severity.clone(),
                    cwes: report.team.cwes.clone(),
                    assignee,
                    affected_versions: report.team.affected_versions.clone(),
                    duplicate_of: report.duplicate_of,
                    reporter,
                })
            }
            ViewerRole::Reporter => None,
        };
        let allowed = if decide(actor, Action::Triage(access(&report))) == Decision::Allow {
            allowed_transitions(report.state, Performer::Team)
        } else if decide(actor, Action::Withdraw(access(&report))) == Decision::Allow {
            allowed_transitions(report.state, Performer::Reporter)
        } else {
            Vec::new()
        };
        Ok(ReportView {
            id: report.id,
            org,
            project,
            state: report.state,
            channel: report.channel,
            content: report.content,
            created_at: report.created_at,
            updated_at: report.updated_at,
            viewer,
            team,
            messages,
            authors,
            history,
            allowed_transitions: allowed,
            advisory,
        })
    }

    /// Posts a message: reporter-visible (both sides) or internal (team only).
    pub async fn post_message(
        &self,
        actor: &Actor,
        id: &str,
        body: &str,
        visibility: Visibility,
        channel: Channel,
    ) -> Result<Message, AppError> {
        let id = parse_report_id(id)?;
        let body = required_text("body", body, MAX_TEXT_BYTES)?;
        let now = self.now();
        let (message_id, job, actor) = (self.entropy.message_id()?, self.entropy.job_id()?, actor.clone());
        self.store
            .write(move |tx| {
                Box::pin(async move {
                    let mut report = tx.lock_report(id).await?.ok_or(AppError::NotFound)?;
                    let access = access(&report);
                    require(&actor, Action::ViewReport(access))?;
                    match visibility {
                        Visibility::ReporterVisible => require(&actor, Action::Reply(access))?,
                        Visibility::Internal => require(&actor, Action::AddInternalNote(access))?,
                    }
                    let author_role = match role_of(&actor, &report) {
                        ViewerRole::Team => AuthorRole::Team,
                        ViewerRole::Reporter => AuthorRole::Reporter,
                    };
                    let message = Message {
                        id: message_id,
                        report_id: id,
                        author_id: actor.user_id(),
                        author_role,
                        visibility,
                        channel,
                        body: Private::new(body),
                        created_at: now,
                    };
                    tx.insert_message(&message).await?;
                    report.updated_at = now;
                    tx.update_report(&report).await?;
                    let details = json!({"visibility": visibility.as_str(), "message": message_id.to_string()});
                    record(tx, now, &actor, "report.message_posted", format!("report:{id}"), details).await?;
                    enqueue(tx, job, now, &Notice::MessagePosted { report: id, message: message_id }).await?;
                    Ok(message)
                })
            })
            .await
    }

    /// Moves a report through the lifecycle.
    pub async fn transition_report(
        &self,
        actor: &Actor,
        id: &str,
        to: &str,
        reason: Option<&str>,
        duplicate_of: Option<&str>,
    ) -> Result<ReportView, AppError> {
        let id = parse_report_id(id)?;
        let mut errors = FieldErrors(Vec::new());
        let to = errors
            .take(to.parse::<ReportState>().map_err(|e| TextError::Refused { field: "to", reason: e.to_string() }));
        let reason = errors.take(reason.map(|r| plain_text("reason", r, 16 * 1024)).transpose());
        let duplicate_of = errors.take(
            duplicate_of
                .map(|d| d.parse::<ReportId>())
                .transpose()
                .map_err(|_| TextError::Malformed { field: "duplicate_of", expected: "a report id" }),
        );
        let (to, reason, duplicate_of) = errors.finish(|| Some((to?, reason?, duplicate_of?)))?;
        let request = TransitionRequest { to, reason: reason.filter(|r| !r.trim().is_empty()), duplicate_of };
        let (now, job, tx_actor) = (self.now(), self.entropy.job_id()?, actor.clone());
        self.store
            .write(move |tx| {
                Box::pin(async move {
                    let actor = tx_actor;
                    let mut report = tx.lock_report(id).await?.ok_or(AppError::NotFound)?;
                    let access = access(&report);
                    let performer = if decide(&actor, Action::Triage(access)) == Decision::Allow {
                        Performer::Team
                    } else if request.to == ReportState::Withdrawn {
                        require(&actor, Action::Withdraw(access))?;
                        Performer::Reporter
                    } else {
                        require(&actor, Action::Triage(access))?;
                        Performer::Team
                    };
                    let from = report.state;
                    check_transition(id, from, &request, performer)?;
                    if let Some(original) = request.duplicate_of {
                        let same_project =
                            tx.report(original).await?.is_some_and(|o| o.project_id == report.project_id);
                        if !same_project {
                            return Err(AppError::invalid("duplicate_of", "the id of a report of the same project"));
                        }
                    }
                    report.state = request.to;
                    report.duplicate_of = request.duplicate_of.or(report.duplicate_of);
                    report.updated_at = now;
                    tx.update_report(&report).await?;
                    let change = StateChange {
                        report_id: id,
                        from: Some(from),
                        to: request.to,
                        reason: request.reason.map(Private::new),
                        actor_id: actor.user_id(),
                        at: now,
                    };
                    tx.insert_state_change(&change).await?;
                    let details = json!({"from": from.as_str(), "to": request.to.as_str()});
                    record(tx, now, &actor, "report.transitioned", format!("report:{id}"), details).await?;
                    enqueue(tx, job, now, &Notice::StateChanged { report: id, to: request.to }).await
                })
            })
            .await?;
        self.report(actor, &id.to_string()).await
    }

    /// Changes the team's fields: severity, CWEs, assignee, affected versions.
    pub async fn update_report(&self, actor: &Actor, id: &str, patch: TeamPatch) -> Result<ReportView, AppError> {
        let id = parse_report_id(id)?;
        let mut errors = FieldErrors(Vec::new());
        let refused = |field: &'static str| {
            move |e: embargo_core::severity::SeverityError| TextError::Refused { field, reason: e.to_string() }
        };
        let cvss_v3 = errors.take(
            patch
                .cvss_v3
                .as_ref()
                .map(|v| Severity::parse(v.as_deref(), None).map(|s| s.cvss_v3))
                .transpose()
                .map_err(refused("cvss_v3")),
        );
        let cvss_v4 = errors.take(
            patch
                .cvss_v4
                .as_ref()
                .map(|v| Severity::parse(None, v.as_deref()).map(|s| s.cvss_v4))
                .transpose()
                .map_err(refused("cvss_v4")),
        );
        let cwes = errors.take(
            patch
                .cwes
                .as_ref()
                .map(|list| list.iter().map(|c| c.parse::<embargo_core::id::CweId>()).collect::<Result<Vec<_>, _>>())
                .transpose()
                .map_err(|e| TextError::Refused { field: "cwes", reason: e.to_string() }),
        );
        let affected = errors.take(
            patch
                .affected_versions
                .as_ref()
                .map(|list| {
                    list.iter()
                        .map(|v| one_line("affected_versions", v, MAX_SHORT_CHARS))
                        .collect::<Result<Vec<_>, _>>()
                })
                .transpose(),
        );
        let (cvss_v3, cvss_v4, cwes, affected) = errors.finish(|| Some((cvss_v3?, cvss_v4?, cwes?, affected?)))?;
        let (now, tx_actor, assignee) = (self.now(), actor.clone(), patch.assignee);
        self.store
            .write(move |tx| {
                Box::pin(async move {
                    let actor = tx_actor;
                    let mut report = tx.lock_report(id).await?.ok_or(AppError::NotFound)?;
                    require(&actor, Action::Triage(access(&report)))?;
                    let mut changed = Vec::new();
                    if let Some(v) = cvss_v3 {
                        report.team.severity.cvss_v3 = v;
                        changed.push("cvss_v3");
                    }
                    if let Some(v) = cvss_v4 {
                        report.team.severity.cvss_v4 = v;
                        changed.push("cvss_v4");
                    }
                    if let Some(v) = cwes {
                        report.team.cwes = v;
                        changed.push("cwes");
                    }
                    if let Some(v) = affected {
                        report.team.affected_versions = v;
                        changed.push("affected_versions");
                    }
                    if let Some(v) = assignee {
                        if let Some(user) = v
                            && !is_team_member(tx, user, &report).await?
                        {
                            return Err(AppError::invalid("assignee", "a member of the project's security team"));
                        }
                        report.team.assignee = v;
                        changed.push("assignee");
                    }
                    report.updated_at = now;
                    tx.update_report(&report).await?;
                    record(tx, now, &actor, "report.updated", format!("report:{id}"), json!({"fields": changed})).await
                })
            })
            .await?;
        self.report(actor, &id.to_string()).await
    }
}
