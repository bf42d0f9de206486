//! The one place that decides who may do what.
//!
//! Use cases ask [`decide`] before every read or change. A resource the
//! actor may not see yields [`Decision::Hidden`], which callers answer as
//! "not found", so that its existence does not leak.

use crate::collaborator::Collaboration;
use crate::id::{OrgId, ProjectId, ReportId, UserId};
use crate::user::{Role, TokenScope, TokenScopes};

/// Who is asking.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Actor {
    /// Nobody signed in.
    Anonymous,
    /// The holder of one report's secret follow-up token.
    FollowUp(ReportId),
    /// A signed-in user.
    User(UserActor),
    /// A party interested in an unsupported platform, holding the share
    /// token of one report: may read a redacted copy of it, nothing else.
    Interested(ReportId),
    /// The operator at the server's command line (`embargo admin ...`), who
    /// already holds the database: may administer, but reads no report
    /// unless acting as a user.
    Operator,
    /// The holder of an invitation link to one report (a collaborator or
    /// co-finder the team invited).
    Collaborator(Collaboration),
}

/// A signed-in user as the permission function sees them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserActor {
    /// The user.
    pub id: UserId,
    /// Instance administrator.
    pub is_admin: bool,
    /// Banned reporters may read their reports but not add to them.
    pub is_banned: bool,
    /// Organisations whose security team the user is on.
    pub team_orgs: Vec<OrgId>,
    /// Projects whose security team the user is on.
    pub team_projects: Vec<ProjectId>,
    /// The token's scopes; `None` for a browser session, which has them all.
    pub scopes: Option<TokenScopes>,
    /// The reports the user was invited to (invitations not revoked).
    pub collaborations: Vec<Collaboration>,
}

impl UserActor {
    /// A user known by id only, with no role at all: for naming them (in the
    /// audit log) where nothing is decided.
    pub fn named(id: UserId) -> Self {
        UserActor {
            id,
            is_admin: false,
            is_banned: false,
            team_orgs: Vec::new(),
            team_projects: Vec::new(),
            scopes: None,
            collaborations: Vec::new(),
        }
    }

    /// Whether the user is on the security team of `project` (directly or through its organisation).
    pub fn is_team(&self, org: OrgId, project: ProjectId) -> bool {
        self.team_orgs.contains(&org) || self.team_projects.contains(&project)
    }

    fn has(&self, scope: TokenScope) -> bool {
        self.scopes.as_ref().is_none_or(|scopes| scopes.contains(scope))
    }
}

impl Actor {
    /// The strongest role the actor holds anywhere, for display.
    pub fn role(&self) -> Role {
        match self {
            Actor::Anonymous => Role::Anonymous,
            Actor::Operator => Role::InstanceAdmin,
            Actor::FollowUp(_) | Actor::Collaborator(_) => Role::Reporter,
            Actor::Interested(_) => Role::Anonymous,
            Actor::User(user) if user.is_admin => Role::InstanceAdmin,
            Actor::User(user) if !user.team_orgs.is_empty() => Role::OrganisationTeam,
            Actor::User(user) if !user.team_projects.is_empty() => Role::ProjectTeam,
            Actor::User(_) => Role::Reporter,
        }
    }

    /// The signed-in user, if any.
    pub fn user(&self) -> Option<&UserActor> {
        match self {
            Actor::User(user) => Some(user),
            Actor::Anonymous | Actor::FollowUp(_) | Actor::Interested(_) | Actor::Operator | Actor::Collaborator(_) => {
                None
            }
        }
    }

    /// The signed-in user's id, if any.
    pub fn user_id(&self) -> Option<UserId> {
        self.user().map(|u| u.id)
    }
}

/// The facts about a report that decide access to it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReportAccess {
    /// The report.
    pub id: ReportId,
    /// Its project's organisation.
    pub org: OrgId,
    /// Its project.
    pub project: ProjectId,
    /// Its signed-in reporter, if any.
    pub reporter: Option<UserId>,
}

/// The facts about a project that decide access to its team areas.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProjectAccess {
    /// The organisation.
    pub org: OrgId,
    /// The project.
    pub project: ProjectId,
}

/// Everything an actor can ask to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Manage users and instance settings.
    ManageInstance,
    /// Read the audit log and its checkpoints (ids, actions and times; never private text).
    ReadAuditLog,
    /// Create an organisation.
    CreateOrganisation,
    /// Edit an organisation, its members, and create its projects.
    ManageOrganisation(OrgId),
    /// Edit a project, its release lines and its members.
    ManageProject(ProjectAccess),
    /// See a project's team (members, release-line administration).
    ViewProjectTeam(ProjectAccess),
    /// Submit a new report.
    SubmitReport,
    /// List the reports one may see.
    ListReports,
    /// Read a report and its reporter-visible thread.
    ViewReport(ReportAccess),
    /// Read the redacted copy of a report shared with an interested party.
    ViewShared(ReportAccess),
    /// Share a report with a platform's interested parties.
    Share(ReportAccess),
    /// Read internal notes and team fields.
    ViewInternal(ReportAccess),
    /// Post a reporter-visible message.
    Reply(ReportAccess),
    /// Post an internal note.
    AddInternalNote(ReportAccess),
    /// Move a report through the lifecycle, edit team fields.
    Triage(ReportAccess),
    /// Withdraw a report.
    Withdraw(ReportAccess),
    /// See an advisory that is not published.
    ViewDraftAdvisory(ProjectAccess),
    /// Draft or edit an advisory.
    EditAdvisory(ProjectAccess),
    /// Publish an advisory.
    PublishAdvisory(ProjectAccess),
    /// Import already public advisories (OSV files) into a project.
    ImportAdvisories(ProjectAccess),
    /// Queue evidence-lab runs of a report's PoC (release lines or a fix).
    QueueLabRuns(ReportAccess),
    /// Read a report's whole lab record: every run with its output, the grounding list.
    /// (A reporter reads only whether their PoC reproduced, through `ViewReport`.)
    ViewLab(ReportAccess),
    /// Claim lab runs and record their results: the lab worker, which runs as the operator.
    RunLab,
    /// Invite people to work on a report, list and revoke the invitations.
    ManageCollaborators(ReportAccess),
    /// Export a report's conversation, vulnerability details removed, for a code-of-conduct team.
    ExportConduct(ReportAccess),
    /// Read each release line's lab verdict (not the output): the team always; the reporter when
    /// the team shares the lab's results with them (`shared`).
    ViewLabVerdicts {
        /// The report.
        report: ReportAccess,
        /// Whether the team shares the lab's results with the reporter.
        shared: bool,
    },
    /// Share the lab's results with the reporter, or stop sharing them (the team).
    ShareLab(ReportAccess),
    /// Decline one's credit on the advisory, or choose the name shown: the
    /// report's reporter, or a co-finder the team invited to it.
    ChooseCredit(ReportAccess),
    /// See every finder's credit choice on a report (the team).
    ViewCredits(ReportAccess),
    /// Make the text of a public issue from a declined report, and mark it made public (the team).
    DraftPublicIssue(ReportAccess),
    /// Answer whether a public issue may name one (the reporter).
    AnswerPublicIssue(ReportAccess),
    /// Read a report's public-issue text and where it stands (the team and the reporter).
    ViewPublicIssue(ReportAccess),
    /// Choose the time zone one sees dates in: a signed-in user for their
    /// account, a private link's holder (reporter or invitee) for that link.
    ChooseTimeZone,
}

/// The answer to "may this actor do this?".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Go ahead.
    Allow,
    /// The actor may see the thing but not do this to it (HTTP 403).
    Forbidden,
    /// The actor may not even know the thing exists (HTTP 404).
    Hidden,
}

impl Decision {
    fn when(allowed: bool, otherwise: Decision) -> Decision {
        if allowed { Decision::Allow } else { otherwise }
    }
}

/// How the actor relates to a report.
#[derive(Clone, Copy, PartialEq, Eq)]
enum ReportRelation {
    Team,
    Reporter,
    Collaborator(Collaboration),
    Stranger,
}

fn relation(actor: &Actor, report: &ReportAccess) -> ReportRelation {
    match actor {
        Actor::Anonymous | Actor::Operator | Actor::Interested(_) => ReportRelation::Stranger,
        Actor::FollowUp(id) if *id == report.id => ReportRelation::Reporter,
        Actor::FollowUp(_) => ReportRelation::Stranger,
        Actor::Collaborator(grant) if grant.report == report.id => ReportRelation::Collaborator(*grant),
        Actor::Collaborator(_) => ReportRelation::Stranger,
        Actor::User(user) if user.is_team(report.org, report.project) => ReportRelation::Team,
        Actor::User(user) if report.reporter == Some(user.id) => ReportRelation::Reporter,
        Actor::User(user) => match user.collaborations.iter().find(|c| c.report == report.id) {
            Some(grant) => ReportRelation::Collaborator(*grant),
            None => ReportRelation::Stranger,
        },
    }
}

/// The invitation through which `actor` works on `report`, when they are
/// neither on its team nor its reporter: views show them a collaborator's view.
pub fn collaboration(actor: &Actor, report: &ReportAccess) -> Option<Collaboration> {
    match relation(actor, report) {
        ReportRelation::Collaborator(grant) => Some(grant),
        ReportRelation::Team | ReportRelation::Reporter | ReportRelation::Stranger => None,
    }
}

/// Whether the actor's token carries `scope` (sessions and follow-up tokens carry all they can use).
fn scoped(actor: &Actor, scope: TokenScope) -> bool {
    match actor {
        Actor::User(user) => user.has(scope),
        Actor::Anonymous | Actor::FollowUp(_) | Actor::Interested(_) | Actor::Operator | Actor::Collaborator(_) => true,
    }
}

/// Whether `actor` sits on any security team: the queue and team pages are
/// theirs to open (what each holds is still decided per report and project).
pub fn on_a_team(actor: &Actor) -> bool {
    actor.user().is_some_and(|u| !u.team_orgs.is_empty() || !u.team_projects.is_empty())
}

/// What asks for second factors: the instance setting, and the
/// organisations and projects whose policy requires one of their security
/// team (`conduct.team_second_factor`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FactorRule {
    /// The instance requires one of administrators and every security team.
    pub instance: bool,
    /// Organisations whose policy requires one of their team.
    pub orgs: Vec<OrgId>,
    /// Projects whose (effective) policy requires one of their team.
    pub projects: Vec<ProjectId>,
}

/// Whether `rule` requires a second factor of `actor`: with the instance
/// setting, administrators and security-team members (who can read what is
/// unpublished); with a policy's, the members of that organisation's or
/// project's team.
pub fn second_factor_required(actor: &Actor, rule: &FactorRule) -> bool {
    let Some(u) = actor.user() else { return false };
    let privileged = u.is_admin || !u.team_orgs.is_empty() || !u.team_projects.is_empty();
    (rule.instance && privileged)
        || u.team_orgs.iter().any(|org| rule.orgs.contains(org))
        || u.team_projects.iter().any(|project| rule.projects.contains(project))
}

/// Whether the intake limits count `actor`'s new report for `project`: they
/// never hold back the project's own team or an administrator (issue 12).
pub fn intake_limits_apply(actor: &Actor, project: ProjectAccess) -> bool {
    !actor.user().is_some_and(|u| u.is_admin || u.is_team(project.org, project.project))
}

/// Whether `actor` is a banned user: [`decide`] refuses them every
/// [`Action::SubmitReport`] and reply, and the refusal then says why.
pub fn banned(actor: &Actor) -> bool {
    actor.user().is_some_and(|u| u.is_banned)
}

/// The reports a listing may hold for an actor: exactly those
/// [`Action::ViewReport`] allows, stated once here so that the store filters
/// by it and restates no rule (a property test holds the two together).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReportScope {
    /// These reports by id (a follow-up token's own report, the reports a
    /// person was invited to work on).
    pub reports: Vec<ReportId>,
    /// Every report this user filed.
    pub reporter: Option<UserId>,
    /// Every report of these organisations (their security teams).
    pub orgs: Vec<OrgId>,
    /// Every report of these projects (their security teams).
    pub projects: Vec<ProjectId>,
}

impl ReportScope {
    /// Whether the scope holds `report`.
    pub fn contains(&self, report: &ReportAccess) -> bool {
        self.reports.contains(&report.id)
            || (self.reporter.is_some() && report.reporter == self.reporter)
            || self.orgs.contains(&report.org)
            || self.projects.contains(&report.project)
    }

    /// Whether it holds no report at all.
    pub fn is_empty(&self) -> bool {
        self.reports.is_empty() && self.reporter.is_none() && self.orgs.is_empty() && self.projects.is_empty()
    }
}

/// The reports `actor` may see in a list: the same ones, one by one, that
/// `decide(actor, Action::ViewReport(..))` allows.
pub fn visible_reports(actor: &Actor) -> ReportScope {
    if !scoped(actor, TokenScope::Read) {
        return ReportScope::default();
    }
    match actor {
        Actor::FollowUp(report) => ReportScope { reports: vec![*report], ..ReportScope::default() },
        Actor::Collaborator(grant) => ReportScope { reports: vec![grant.report], ..ReportScope::default() },
        Actor::User(user) => ReportScope {
            reports: user.collaborations.iter().map(|grant| grant.report).collect(),
            reporter: Some(user.id),
            orgs: user.team_orgs.clone(),
            projects: user.team_projects.clone(),
        },
        Actor::Anonymous | Actor::Interested(_) | Actor::Operator => ReportScope::default(),
    }
}

/// Decides whether `actor` may do `action`.
pub fn decide(actor: &Actor, action: Action) -> Decision {
    if *actor == Actor::Operator {
        return operator(action);
    }
    if let Actor::Interested(report) = actor {
        return interested(*report, action);
    }
    match action {
        Action::ManageInstance | Action::CreateOrganisation => {
            let admin = actor.user().is_some_and(|u| u.is_admin && u.has(TokenScope::Admin));
            Decision::when(admin, Decision::Forbidden)
        }
        Action::ManageOrganisation(org) => {
            let allowed =
                actor.user().is_some_and(|u| (u.is_admin || u.team_orgs.contains(&org)) && u.has(TokenScope::Admin));
            Decision::when(allowed, Decision::Forbidden)
        }
        Action::ManageProject(p) => {
            let allowed =
                actor.user().is_some_and(|u| (u.is_admin || u.is_team(p.org, p.project)) && u.has(TokenScope::Admin));
            Decision::when(allowed, Decision::Forbidden)
        }
        Action::ViewProjectTeam(p) => {
            let allowed =
                actor.user().is_some_and(|u| (u.is_admin || u.is_team(p.org, p.project)) && u.has(TokenScope::Read));
            Decision::when(allowed, Decision::Hidden)
        }
        Action::ReadAuditLog => {
            let admin = actor.user().is_some_and(|u| u.is_admin && u.has(TokenScope::Admin));
            Decision::when(admin, Decision::Hidden)
        }
        Action::SubmitReport => match actor {
            Actor::Anonymous => Decision::Allow,
            Actor::FollowUp(_) | Actor::Interested(_) | Actor::Operator | Actor::Collaborator(_) => Decision::Forbidden,
            Actor::User(user) => Decision::when(!user.is_banned && user.has(TokenScope::Report), Decision::Forbidden),
        },
        Action::ListReports => match actor {
            Actor::Anonymous | Actor::Interested(_) | Actor::Operator => Decision::Hidden,
            Actor::FollowUp(_) | Actor::Collaborator(_) => Decision::Allow,
            Actor::User(user) => Decision::when(user.has(TokenScope::Read), Decision::Hidden),
        },
        Action::ViewReport(report) => {
            let visible = relation(actor, &report) != ReportRelation::Stranger;
            Decision::when(visible && scoped(actor, TokenScope::Read), Decision::Hidden)
        }
        Action::ViewShared(report) => {
            // Those who may see the report itself see more than the shared copy.
            let visible = relation(actor, &report) != ReportRelation::Stranger;
            Decision::when(visible && scoped(actor, TokenScope::Read), Decision::Hidden)
        }
        Action::ViewInternal(report) => {
            let allowed = match relation(actor, &report) {
                ReportRelation::Team => true,
                ReportRelation::Collaborator(grant) => grant.sees_internal,
                ReportRelation::Reporter | ReportRelation::Stranger => false,
            };
            Decision::when(allowed && scoped(actor, TokenScope::Read), Decision::Hidden)
        }
        Action::Reply(report) | Action::Withdraw(report) => match relation(actor, &report) {
            ReportRelation::Team => Decision::when(scoped(actor, TokenScope::Triage), Decision::Forbidden),
            ReportRelation::Reporter => {
                let banned = actor.user().is_some_and(|u| u.is_banned);
                Decision::when(!banned && scoped(actor, TokenScope::Report), Decision::Forbidden)
            }
            // An invitee posts on the thread but does not withdraw the reporter's report.
            ReportRelation::Collaborator(_) => {
                let banned = actor.user().is_some_and(|u| u.is_banned);
                let reply = matches!(action, Action::Reply(_));
                Decision::when(reply && !banned && scoped(actor, TokenScope::Report), Decision::Forbidden)
            }
            ReportRelation::Stranger => Decision::Hidden,
        },
        Action::AddInternalNote(report)
        | Action::Triage(report)
        | Action::Share(report)
        | Action::ManageCollaborators(report) => match relation(actor, &report) {
            ReportRelation::Team => Decision::when(scoped(actor, TokenScope::Triage), Decision::Forbidden),
            ReportRelation::Reporter | ReportRelation::Collaborator(_) => Decision::Forbidden,
            ReportRelation::Stranger => Decision::Hidden,
        },
        Action::ViewDraftAdvisory(p) => {
            let team = actor.user().is_some_and(|u| u.is_team(p.org, p.project) && u.has(TokenScope::Read));
            Decision::when(team, Decision::Hidden)
        }
        Action::EditAdvisory(p) | Action::PublishAdvisory(p) | Action::ImportAdvisories(p) => match actor.user() {
            Some(u) if u.is_team(p.org, p.project) => Decision::when(u.has(TokenScope::Publish), Decision::Forbidden),
            Some(_) | None => Decision::Hidden,
        },
        Action::QueueLabRuns(report) => match relation(actor, &report) {
            ReportRelation::Team => Decision::when(scoped(actor, TokenScope::Triage), Decision::Forbidden),
            ReportRelation::Reporter | ReportRelation::Collaborator(_) => Decision::Forbidden,
            ReportRelation::Stranger => Decision::Hidden,
        },
        Action::ViewLab(report) => {
            let team = relation(actor, &report) == ReportRelation::Team;
            Decision::when(team && scoped(actor, TokenScope::Read), Decision::Hidden)
        }
        Action::ExportConduct(report) => match relation(actor, &report) {
            ReportRelation::Team => Decision::when(scoped(actor, TokenScope::Read), Decision::Hidden),
            ReportRelation::Reporter | ReportRelation::Collaborator(_) => Decision::Forbidden,
            ReportRelation::Stranger => Decision::Hidden,
        },
        // Untrusted code runs only in the worker, which holds the database as the operator does.
        Action::RunLab => Decision::Forbidden,
        Action::ViewLabVerdicts { report, shared } => {
            let allowed = match relation(actor, &report) {
                ReportRelation::Team => true,
                ReportRelation::Reporter => shared,
                ReportRelation::Collaborator(_) | ReportRelation::Stranger => false,
            };
            Decision::when(allowed && scoped(actor, TokenScope::Read), Decision::Hidden)
        }
        Action::ShareLab(report) => match relation(actor, &report) {
            ReportRelation::Team => Decision::when(scoped(actor, TokenScope::Triage), Decision::Forbidden),
            ReportRelation::Reporter | ReportRelation::Collaborator(_) => Decision::Forbidden,
            ReportRelation::Stranger => Decision::Hidden,
        },
        Action::ChooseCredit(report) => match relation(actor, &report) {
            ReportRelation::Reporter => Decision::when(scoped(actor, TokenScope::Report), Decision::Forbidden),
            ReportRelation::Collaborator(grant) => Decision::when(
                grant.role == crate::collaborator::CollaboratorRole::Reporter && scoped(actor, TokenScope::Report),
                Decision::Forbidden,
            ),
            ReportRelation::Team => Decision::Forbidden,
            ReportRelation::Stranger => Decision::Hidden,
        },
        Action::ViewCredits(report) => match relation(actor, &report) {
            ReportRelation::Team => Decision::when(scoped(actor, TokenScope::Read), Decision::Hidden),
            ReportRelation::Reporter | ReportRelation::Collaborator(_) => Decision::Forbidden,
            ReportRelation::Stranger => Decision::Hidden,
        },
        Action::DraftPublicIssue(report) => match relation(actor, &report) {
            ReportRelation::Team => Decision::when(scoped(actor, TokenScope::Triage), Decision::Forbidden),
            ReportRelation::Reporter | ReportRelation::Collaborator(_) => Decision::Forbidden,
            ReportRelation::Stranger => Decision::Hidden,
        },
        Action::AnswerPublicIssue(report) => match relation(actor, &report) {
            ReportRelation::Reporter => Decision::when(scoped(actor, TokenScope::Report), Decision::Forbidden),
            ReportRelation::Team | ReportRelation::Collaborator(_) => Decision::Forbidden,
            ReportRelation::Stranger => Decision::Hidden,
        },
        Action::ViewPublicIssue(report) => match relation(actor, &report) {
            ReportRelation::Team | ReportRelation::Reporter => {
                Decision::when(scoped(actor, TokenScope::Read), Decision::Hidden)
            }
            ReportRelation::Collaborator(_) => Decision::Forbidden,
            ReportRelation::Stranger => Decision::Hidden,
        },
        // A preference of one's own: every participant, whatever their token's scopes.
        Action::ChooseTimeZone => match actor {
            Actor::User(_) | Actor::FollowUp(_) | Actor::Collaborator(_) => Decision::Allow,
            Actor::Anonymous | Actor::Interested(_) | Actor::Operator => Decision::Forbidden,
        },
    }
}

/// The operator administers the instance but sees no private report.
fn operator(action: Action) -> Decision {
    match action {
        Action::ManageInstance
        | Action::ReadAuditLog
        | Action::CreateOrganisation
        | Action::ManageOrganisation(_)
        | Action::ManageProject(_)
        | Action::ViewProjectTeam(_)
        // Imported advisories are public already: the operator may load a project's history.
        | Action::ImportAdvisories(_)
        // The lab worker: it reads a queued run's PoC to run it, and records the result.
        | Action::RunLab => Decision::Allow,
        Action::SubmitReport | Action::ChooseTimeZone => Decision::Forbidden,
        Action::ListReports
        | Action::ViewReport(_)
        | Action::ViewShared(_)
        | Action::Share(_)
        | Action::ViewInternal(_)
        | Action::Reply(_)
        | Action::AddInternalNote(_)
        | Action::Triage(_)
        | Action::Withdraw(_)
        | Action::ViewDraftAdvisory(_)
        | Action::EditAdvisory(_)
        | Action::PublishAdvisory(_)
        | Action::QueueLabRuns(_)
        | Action::ViewLab(_)
        | Action::ManageCollaborators(_)
        | Action::ExportConduct(_)
        | Action::ViewLabVerdicts { .. }
        | Action::ShareLab(_)
        | Action::ChooseCredit(_)
        | Action::ViewCredits(_)
        | Action::DraftPublicIssue(_)
        | Action::AnswerPublicIssue(_)
        | Action::ViewPublicIssue(_) => Decision::Hidden,
    }
}

/// An interested party reads the shared copy of their one report.
fn interested(shared: ReportId, action: Action) -> Decision {
    match action {
        Action::ViewShared(report) if report.id == shared => Decision::Allow,
        Action::SubmitReport | Action::ListReports => Decision::Forbidden,
        Action::ManageInstance
        | Action::CreateOrganisation
        | Action::ManageOrganisation(_)
        | Action::ManageProject(_)
        | Action::RunLab
        | Action::ChooseTimeZone => Decision::Forbidden,
        Action::ViewProjectTeam(_)
        | Action::ReadAuditLog
        | Action::ViewReport(_)
        | Action::ViewShared(_)
        | Action::Share(_)
        | Action::ViewInternal(_)
        | Action::Reply(_)
        | Action::AddInternalNote(_)
        | Action::Triage(_)
        | Action::Withdraw(_)
        | Action::ViewDraftAdvisory(_)
        | Action::EditAdvisory(_)
        | Action::PublishAdvisory(_)
        | Action::ImportAdvisories(_)
        | Action::QueueLabRuns(_)
        | Action::ViewLab(_)
        | Action::ManageCollaborators(_)
        | Action::ExportConduct(_)
        | Action::ViewLabVerdicts { .. }
        | Action::ShareLab(_)
        | Action::ChooseCredit(_)
        | Action::ViewCredits(_)
        | Action::DraftPublicIssue(_)
        | Action::AnswerPublicIssue(_)
        | Action::ViewPublicIssue(_) => Decision::Hidden,
    }
}

#[cfg(test)]
mod tests;
