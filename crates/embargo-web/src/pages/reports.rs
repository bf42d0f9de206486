//! A report's page with its thread, and the forms that act on it (reply,
//! transition, the team's assessment, sharing; the lab's are in `lab.rs`).

use super::Path;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use embargo_app::{AppError, PolicyTarget, ReportView, TeamPatch, TransitionInput, ViewerRole};
use embargo_core::collaborator::CollaboratorRole;
use embargo_core::id::UserId;
use embargo_core::lifecycle::ReportState;
use embargo_core::message::{AuthorRole, Channel, Visibility};
use embargo_core::permission::Actor;
use embargo_core::report::Share;

use super::cra::{CraSection, cra_section};
use super::finders::{FinderKept, FinderSections, finder_sections};
use super::form::apply_errors;
use super::lab::{LabSection, lab_section};
use super::render::{day, deadline, written};
use super::views::{Badge, CvssView, ProjectLink};
use super::{
    Field, FieldKind, FormData, Nav, PageError, Viewer, fixable, form_status, html, html_status, see_other, when,
};
use crate::AppState;

/// The report as the viewer may see it: as themselves, else through the
/// private link they hold. Anyone else gets "not found".
pub(crate) async fn visible_report(
    state: &AppState,
    viewer: &Viewer,
    id: &str,
) -> Result<(ReportView, Actor), PageError> {
    let id = crate::extract::report_id(id)?;
    for actor in viewer.report_actors() {
        match state.app.report(actor, id).await {
            Ok(view) => return Ok((view, actor.clone())),
            Err(AppError::NotFound | AppError::Forbidden | AppError::Unauthenticated) => {}
            Err(e) => return Err(e.into()),
        }
    }
    Err(PageError::not_found())
}

/// One message of the thread.
struct MessageView {
    author: String,
    from_team: bool,
    internal: bool,
    channel: String,
    /// The message as HTML: sanitised Markdown or escaped plain text (`render::written`).
    body: String,
    at: String,
}

/// An attachment as shown.
struct AttachmentView {
    filename: String,
    text: String,
    long: bool,
}

/// A long text folds behind a summary.
fn is_long(text: &str) -> bool {
    text.lines().count() > 25 || text.len() > 3000
}

/// The team's side panel.
struct TeamPanel {
    fields: Vec<Field>,
    errors: Vec<String>,
    severity: Vec<CvssView>,
    cwes: Vec<String>,
    eligibility: String,
    cve_eligible: bool,
    /// Which affected lines get the fix by default and which on request.
    fix_lines: Option<String>,
    reporter: Option<String>,
    record: Option<String>,
    shares: Vec<(String, String, String)>,
    platforms: Vec<String>,
    duplicate_of: Option<String>,
    /// Likely duplicates: (id, title, why).
    suggestions: Vec<(String, String, String)>,
}

/// One invitation as the team's panel lists it.
struct CollaboratorRow {
    id: String,
    email: String,
    role: &'static str,
    internal: bool,
    invited: String,
    revoked: Option<String>,
}

/// The team's list of invitations and the form to invite someone.
struct CollaboratorPanel {
    rows: Vec<CollaboratorRow>,
    /// A new invitation's link, shown once: (address, link).
    new_link: Option<(String, String)>,
    errors: Vec<String>,
    email: String,
    co_finder: bool,
    internal: bool,
}

/// The team's flag on a report that appears to be about something the policy's
/// scope leaves out, with a one-click decline when the report may be declined.
struct ScopeFlag {
    /// Why: the policy's list and entry.
    why: String,
    /// The reason the decline sends to the reporter, when the report may be closed as out of scope.
    decline: Option<String>,
}

/// The flag for the team, from the notice the report got at intake.
fn scope_flag(view: &ReportView) -> Option<ScopeFlag> {
    use embargo_core::intake::IntakeNotice;
    let (why, reason) = view.intake.iter().find_map(|n| match n {
        IntakeNotice::OutOfScope { entry } => Some((
            format!("The report appears to be about \u{201c}{entry}\u{201d}, which the policy lists as out of scope."),
            format!("Out of scope under this project's security policy: \u{201c}{entry}\u{201d}."),
        )),
        IntakeNotice::NotSecurity { entry } => Some((
            format!(
                "The report appears to be about \u{201c}{entry}\u{201d}, which the policy does not treat as a security issue."
            ),
            format!("This project's security policy does not treat this as a security issue: \u{201c}{entry}\u{201d}."),
        )),
        _ => None,
    })?;
    let decline = view.allowed_transitions.contains(&ReportState::OutOfScope).then_some(reason);
    Some(ScopeFlag { why, decline })
}

/// The transition form.
struct TransitionForm {
    options: Vec<(String, String, bool)>,
    criteria: Vec<(String, String, bool)>,
    reason: String,
    duplicate_of: String,
    errors: Vec<String>,
}

#[derive(askama::Template)]
#[template(path = "report.html")]
struct ReportPage {
    nav: Nav,
    id: String,
    title: String,
    project: ProjectLink,
    state: Badge,
    severity: Option<Badge>,
    role: &'static str,
    team: bool,
    interested: bool,
    received: String,
    channel: String,
    deadline: Option<(String, bool)>,
    /// The report's description as HTML: sanitised Markdown or escaped plain text (`render::written`).
    body: String,
    facts: Vec<(String, String)>,
    proof_of_concept: Option<AttachmentView>,
    patch: Option<AttachmentView>,
    attachments: Vec<AttachmentView>,
    notices: Vec<String>,
    messages: Vec<MessageView>,
    history: Vec<(String, Badge, Option<String>)>,
    /// Where a decision or a question stands, shown at the top: a heading and the reason given.
    decision: Option<(String, Option<String>)>,
    /// For the team: the report appears to be out of the policy's scope.
    scope_flag: Option<ScopeFlag>,
    can_reply: bool,
    reply: String,
    reply_internal: bool,
    reply_errors: Vec<String>,
    transitions: Option<TransitionForm>,
    withdraw: bool,
    panel: Option<TeamPanel>,
    advisory: Option<String>,
    can_draft: bool,
    new_shares: Vec<(String, String)>,
    share_errors: Vec<String>,
    lab: Option<LabSection>,
    collaborators: Option<CollaboratorPanel>,
    /// The embargo end, in the viewer's time zone and UTC.
    embargo: Option<String>,
    /// The time zone the viewer reads dates in, and its form (every participant but an interested party).
    zone: String,
    can_choose_zone: bool,
    zone_value: String,
    zone_errors: Vec<String>,
    can_set_embargo: bool,
    embargo_value: String,
    embargo_errors: Vec<String>,
    /// A finder's credit, the team's list of credits, the public issue (`finders.rs`).
    finders: FinderSections,
    /// The CRA reporting clocks (the team only).
    cra: Option<CraSection>,
}

/// What a re-shown page keeps from a failed form.
#[derive(Default)]
pub(super) struct Kept {
    reply: Option<(FormData, Vec<String>)>,
    transition: Option<(FormData, Vec<String>)>,
    team: Option<(FormData, AppError)>,
    share: Vec<String>,
    new_shares: Vec<(String, String)>,
    /// The lab form's problems.
    lab: Vec<String>,
    invite: Option<(FormData, Vec<String>)>,
    new_invitation: Option<(String, String)>,
    embargo: Option<(FormData, Vec<String>)>,
    finders: FinderKept,
    /// The CRA forms' problems.
    cra: Vec<String>,
    /// The time zone form's problems.
    zone: Option<(FormData, Vec<String>)>,
}

impl Kept {
    /// A page shown again with a CRA form's problems.
    pub(super) fn cra(errors: Vec<String>) -> Kept {
        Kept { cra: errors, ..Kept::default() }
    }

    /// A page shown again with the time zone form's problems.
    pub(super) fn zone(form: FormData, errors: Vec<String>) -> Kept {
        Kept { zone: Some((form, errors)), ..Kept::default() }
    }

    /// A page shown again with the lab form's problems.
    pub(super) fn lab(errors: Vec<String>) -> Kept {
        Kept { lab: errors, ..Kept::default() }
    }

    /// A page shown again with a credit or public-issue form's problems.
    pub(super) fn finders(kept: FinderKept) -> Kept {
        Kept { finders: kept, ..Kept::default() }
    }
}

fn attachment(filename: &str, text: &str) -> AttachmentView {
    AttachmentView { filename: filename.to_owned(), text: text.to_owned(), long: is_long(text) }
}

fn team_fields(view: &ReportView, kept: Option<&FormData>, people: &[(UserId, String)]) -> Vec<Field> {
    let team = view.team.as_ref();
    let current = |name: &str| -> String {
        let Some(t) = team else { return String::new() };
        match name {
            "cvss_v3" => t.severity.cvss_v3.as_ref().map(|c| c.vector().to_owned()).unwrap_or_default(),
            "cvss_v4" => t.severity.cvss_v4.as_ref().map(|c| c.vector().to_owned()).unwrap_or_default(),
            "cwes" => t.cwes.iter().map(ToString::to_string).collect::<Vec<_>>().join(", "),
            "affected_versions" => t.affected_versions.join(", "),
            "fix_lines" => t.fix_lines.join(", "),
            "assignee" => t.assignee.as_ref().map(|u| u.id.to_string()).unwrap_or_default(),
            _ => String::new(),
        }
    };
    let value = |name: &str| kept.map_or_else(|| current(name), |f| f.get(name));
    let mut options = vec![(String::new(), "Nobody".to_owned())];
    options.extend(people.iter().map(|(id, name)| (id.to_string(), name.clone())));
    vec![
        Field::new("assignee", "Assignee", FieldKind::Select(options)).value(value("assignee")),
        Field::new("cvss_v3", "CVSS 3.1 vector", FieldKind::Text)
            .hint("For example CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H")
            .value(value("cvss_v3")),
        Field::new("cvss_v4", "CVSS 4.0 vector", FieldKind::Text)
            .hint("For example CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N")
            .value(value("cvss_v4")),
        Field::new("cwes", "Weaknesses (CWE)", FieldKind::Text)
            .hint("Comma-separated, like CWE-79, CWE-22")
            .value(value("cwes")),
        Field::new("affected_versions", "Affected versions or release lines", FieldKind::Text)
            .hint("Comma-separated; release line names decide CVE eligibility.")
            .value(value("affected_versions")),
        Field::new("fix_lines", "Release lines that get the fix", FieldKind::Text)
            .hint("Comma-separated release line names.")
            .value(value("fix_lines")),
    ]
}

async fn report_page(
    state: &AppState,
    viewer: &Viewer,
    view: ReportView,
    actor: &Actor,
    kept: Kept,
) -> Result<ReportPage, PageError> {
    let now = state.app.now();
    let zone = state.app.time_zone(actor).await?;
    let content = view.content.expose();
    let team = view.viewer == ViewerRole::Team;
    let interested = view.viewer == ViewerRole::InterestedParty;
    let mut facts = Vec::new();
    let mut fact = |label: &str, value: Option<&String>| {
        if let Some(v) = value.filter(|v| !v.is_empty()) {
            facts.push((label.to_owned(), v.clone()));
        }
    };
    fact("Component", content.component.as_ref());
    fact("Versions tested", content.versions_tested.as_ref());
    fact("Found vulnerable", content.versions_vulnerable.as_ref());
    let lines = content.lines.join(", ");
    fact("Release lines", Some(&lines));
    fact("Platform", content.platform.as_ref());
    fact("Threat model", content.threat_model.as_ref());
    fact("Credit as", content.reporter_name.as_ref());
    let email = content.reporter_email.as_ref().map(ToString::to_string);
    fact("Contact", email.as_ref());
    let messages = view
        .messages
        .iter()
        .map(|m| {
            let from_team = m.author_role == AuthorRole::Team;
            let name = m.author_id.and_then(|id| view.authors.get(&id).cloned());
            let author = match (from_team, name) {
                (true, Some(name)) => format!("{name} (security team)"),
                (true, None) => "Security team".to_owned(),
                (false, Some(name)) => format!("{name} (reporter)"),
                (false, None) => "Reporter".to_owned(),
            };
            MessageView {
                author,
                from_team,
                internal: m.visibility == Visibility::Internal,
                channel: m.channel.as_str().to_owned(),
                body: written(m.body.expose()),
                at: when(m.created_at),
            }
        })
        .collect();
    let history = view
        .history
        .iter()
        .map(|c| (when(c.at), Badge::state(c.to), c.reason.as_ref().map(|r| r.expose().clone())))
        .collect();
    let can_reply = view.actions.reply;
    // A decision or a question is said at the top, not only in the history (issue 16).
    let last_reason = view.history.last().and_then(|c| c.reason.as_ref()).map(|r| r.expose().clone());
    let decision = match view.state {
        ReportState::NeedsInfo if team => {
            Some(("The team asked the reporter for more information".to_owned(), last_reason))
        }
        ReportState::NeedsInfo => Some(("The security team asks you for more information".to_owned(), last_reason)),
        ReportState::NotVulnerable | ReportState::Duplicate | ReportState::OutOfScope | ReportState::Withdrawn => {
            Some((format!("Closed: {}", view.state.label().to_lowercase()), last_reason))
        }
        ReportState::New
        | ReportState::Acknowledged
        | ReportState::Triaging
        | ReportState::Accepted
        | ReportState::Fixing
        | ReportState::Fixed
        | ReportState::Disclosed
        | ReportState::Spam => None,
    };
    let (reply, reply_internal, reply_errors) = match kept.reply {
        Some((form, errors)) => (form.get("body"), form.get("visibility") == "internal", errors),
        None => (String::new(), false, Vec::new()),
    };
    let mut transitions = None;
    let mut withdraw = false;
    let policy = if team {
        let target = PolicyTarget::Project(view.org.slug.clone(), view.project.slug.clone());
        Some(state.app.effective_policy(&target).await?.policy)
    } else {
        None
    };
    if let Some(policy) = policy.as_ref().filter(|_| !view.allowed_transitions.is_empty()) {
        let (form, errors) = kept.transition.unwrap_or_default();
        let chosen = form.get("to");
        let chosen_criterion = form.get("criterion");
        transitions = Some(TransitionForm {
            options: view
                .allowed_transitions
                .iter()
                .map(|s| (s.as_str().to_owned(), s.label().to_owned(), chosen == s.as_str()))
                .collect(),
            criteria: policy
                .criteria
                .value
                .iter()
                .map(|c| (c.id.clone(), c.title.clone(), chosen_criterion == c.id))
                .collect(),
            reason: form.get("reason"),
            duplicate_of: form.get("duplicate_of"),
            errors,
        });
    } else if !team && view.allowed_transitions.contains(&ReportState::Withdrawn) {
        withdraw = true;
    }
    let panel = match (&view.team, &policy) {
        (Some(t), Some(policy)) => {
            let people: Vec<(UserId, String)> = t.assignable.iter().map(|u| (u.id, u.name.clone())).collect();
            let (kept_form, kept_error) = match &kept.team {
                Some((form, error)) => (Some(form), Some(error)),
                None => (None, None),
            };
            let mut fields = team_fields(&view, kept_form, &people);
            let errors = kept_error.map(|e| apply_errors(&mut fields, e)).unwrap_or_default();
            Some(TeamPanel {
                fields,
                errors,
                severity: t.severity.cvss_v4.iter().chain(t.severity.cvss_v3.iter()).map(CvssView::new).collect(),
                cwes: t.cwes.iter().map(ToString::to_string).collect(),
                eligibility: t.eligibility.explanation.clone(),
                cve_eligible: t.eligibility.cve,
                fix_lines: embargo_core::eligibility::fix_lines_sentence(&t.eligibility),
                reporter: t.reporter.as_ref().map(|u| format!("{} <{}>", u.name, u.email)),
                record: t.reporter_record.as_ref().map(|(r, ban)| {
                    let mut text = format!(
                        "{} reports: {} accepted, {} declined, {} spam",
                        r.total, r.accepted, r.declined, r.spam
                    );
                    if *ban {
                        text.push_str(". The policy's ban threshold is reached.");
                    }
                    text
                }),
                shares: t.shares.iter().map(share_row).collect(),
                platforms: policy
                    .platforms
                    .value
                    .iter()
                    .filter(|p| !p.interested_parties.is_empty())
                    .map(|p| p.name.clone())
                    .collect(),
                duplicate_of: t.duplicate_of.map(|d| d.to_string()),
                suggestions: t
                    .duplicate_suggestions
                    .iter()
                    .map(|(id, title, why)| (id.to_string(), title.clone(), why.join(", ")))
                    .collect(),
            })
        }
        _ => None,
    };
    let collaborators = collaborator_panel(state, actor, &view, kept.invite, kept.new_invitation).await?;
    let can_draft = view.actions.draft_advisory;
    let finders = finder_sections(state, actor, &view, kept.finders).await?;
    let lab =
        if interested { None } else { state.app.view_lab(actor, view.id).await.ok().map(|v| lab_section(v, kept.lab)) };
    let cra = if team { state.app.cra(actor, view.id).await.ok().map(|v| cra_section(v, now, kept.cra)) } else { None };
    Ok(ReportPage {
        nav: viewer.nav(true),
        id: view.id.to_string(),
        title: content.title.clone(),
        project: ProjectLink::new(&view.org, &view.project),
        state: Badge::state(view.state),
        severity: view.team.as_ref().and_then(|t| t.severity.level()).map(Badge::severity),
        role: match view.viewer {
            ViewerRole::Team => "You are on this project's security team.",
            ViewerRole::Reporter => "You sent this report. Only you and the project's security team can see it.",
            ViewerRole::Collaborator => {
                "The security team invited you to work on this report. Keep it private until it is disclosed."
            }
            ViewerRole::InterestedParty => {
                "A read-only copy shared with you because it concerns a platform you maintain. Do not share it further."
            }
        },
        team,
        interested,
        received: when(view.created_at),
        channel: match view.channel {
            Channel::Web => "web form",
            Channel::Api => "API",
            Channel::Email => "e-mail",
            Channel::Cli => "command line",
        }
        .to_owned(),
        deadline: view.deadline.as_ref().map(|d| deadline(d, now)),
        body: written(&content.body),
        facts,
        proof_of_concept: content.proof_of_concept.as_deref().map(|t| attachment("Proof of concept", t)),
        patch: content.patch.as_deref().map(|t| attachment("Patch", t)),
        attachments: view.attachments.iter().map(|a| attachment(&a.filename, a.text.expose())).collect(),
        notices: view.intake.iter().map(|n| n.message()).collect(),
        messages,
        history,
        decision,
        scope_flag: if team { scope_flag(&view) } else { None },
        can_reply,
        reply,
        reply_internal,
        reply_errors,
        transitions,
        withdraw,
        panel,
        advisory: view.advisory.as_ref().map(ToString::to_string),
        can_draft,
        new_shares: kept.new_shares,
        lab,
        share_errors: kept.share,
        collaborators,
        embargo: view.embargo.as_ref().map(|m| zone.show(m.at)),
        can_choose_zone: !interested,
        zone_value: kept.zone.as_ref().map_or_else(|| zone.name().to_owned(), |(f, _)| f.get("time_zone")),
        zone_errors: kept.zone.map(|(_, e)| e).unwrap_or_default(),
        zone: zone.name().to_owned(),
        can_set_embargo: view.actions.assess,
        embargo_value: kept
            .embargo
            .as_ref()
            .map_or_else(|| view.embargo.as_ref().map(|m| m.rfc3339()).unwrap_or_default(), |(f, _)| f.get("until")),
        embargo_errors: kept.embargo.map(|(_, e)| e).unwrap_or_default(),
        finders,
        cra,
    })
}

/// `POST /reports/{id}/embargo`: sets the embargo end, or lifts it (`lift=yes`).
pub(crate) async fn embargo(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    form: FormData,
) -> Result<Response, PageError> {
    let (_, actor) = visible_report(&state, &viewer, &id).await?;
    let until = if form.get("lift") == "yes" { None } else { Some(form.get("until")) };
    match state.app.set_embargo(&actor, crate::extract::report_id(&id)?, until.as_deref()).await {
        Ok(_) => Ok(see_other(&format!("/reports/{id}#embargo"))),
        Err(e) if fixable(&e) => {
            let errors = apply_errors(&mut [], &e);
            let status = form_status(&e);
            reshow(&state, &viewer, &id, Kept { embargo: Some((form, errors)), ..Kept::default() }, status).await
        }
        Err(e) => Err(e.into()),
    }
}

/// The invitations panel, for those who may manage them (the team).
async fn collaborator_panel(
    state: &AppState,
    actor: &Actor,
    view: &ReportView,
    kept: Option<(FormData, Vec<String>)>,
    new_link: Option<(String, String)>,
) -> Result<Option<CollaboratorPanel>, PageError> {
    let list = match state.app.collaborators(actor, view.id).await {
        Ok(list) => list,
        Err(AppError::NotFound | AppError::Forbidden | AppError::Unauthenticated) => return Ok(None),
        Err(e) => return Err(e.into()),
    };
    let rows = list
        .iter()
        .map(|c| CollaboratorRow {
            id: c.id.to_string(),
            email: c.email.to_string(),
            role: match c.role {
                CollaboratorRole::Collaborator => "collaborator",
                CollaboratorRole::Reporter => "co-finder",
            },
            internal: c.sees_internal,
            invited: day(c.created_at),
            revoked: c.revoked_at.map(day),
        })
        .collect();
    let (form, errors) = kept.unwrap_or_default();
    Ok(Some(CollaboratorPanel {
        rows,
        new_link,
        errors,
        email: form.get("email"),
        co_finder: form.get("role") == "reporter",
        internal: form.get("sees_internal") == "yes",
    }))
}

/// `POST /reports/{id}/collaborators`: invites a person by e-mail, showing their link once.
pub(crate) async fn invite(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    form: FormData,
) -> Result<Response, PageError> {
    let (_, actor) = visible_report(&state, &viewer, &id).await?;
    let new = embargo_app::NewCollaborator {
        email: form.get("email"),
        role: form.get("role"),
        sees_internal: form.get("sees_internal") == "yes",
    };
    match state.app.invite_collaborator(&actor, crate::extract::report_id(&id)?, new).await {
        Ok(invitation) => {
            let base = state.config.public_url.trim_end_matches('/');
            let link = format!("{base}/follow/{}", invitation.token.expose());
            let kept =
                Kept { new_invitation: Some((invitation.collaborator.email.to_string(), link)), ..Kept::default() };
            reshow(&state, &viewer, &id, kept, StatusCode::OK).await
        }
        Err(e) if fixable(&e) || matches!(e, AppError::Conflict { .. }) => {
            let errors = match &e {
                AppError::Conflict { .. } => vec![e.to_string()],
                _ => apply_errors(&mut [], &e),
            };
            let status = form_status(&e);
            reshow(&state, &viewer, &id, Kept { invite: Some((form, errors)), ..Kept::default() }, status).await
        }
        Err(e) => Err(e.into()),
    }
}

/// `POST /reports/{id}/collaborators/{collaborator}/revoke`: ends an invitation.
pub(crate) async fn revoke(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((id, collaborator)): Path<(String, String)>,
) -> Result<Response, PageError> {
    let (_, actor) = visible_report(&state, &viewer, &id).await?;
    let report = crate::extract::report_id(&id)?;
    state.app.revoke_collaborator(&actor, report, crate::extract::collaborator_id(&collaborator)?).await?;
    Ok(see_other(&format!("/reports/{id}#collaborators")))
}

fn share_row(share: &Share) -> (String, String, String) {
    let mut told = format!("shared {}", day(share.created_at));
    match share.mailed_at {
        Some(at) => told.push_str(&format!(", link mailed {}", when(at))),
        None => told.push_str(", link not mailed yet"),
    }
    match (share.first_opened_at, share.last_opened_at) {
        (Some(first), Some(last)) if first != last => {
            told.push_str(&format!(", first opened {}, last opened {}", when(first), when(last)));
        }
        (Some(first), _) => told.push_str(&format!(", opened {}", when(first))),
        (None, _) => told.push_str(", not opened yet"),
    }
    (share.party.to_string(), share.platform.clone(), told)
}

/// `GET /reports/{id}`
pub(crate) async fn show(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let (view, actor) = visible_report(&state, &viewer, &id).await?;
    Ok(html(&report_page(&state, &viewer, view, &actor, Kept::default()).await?))
}

/// Re-shows the report page with a form's problems, keeping the input.
pub(super) async fn reshow(
    state: &AppState,
    viewer: &Viewer,
    id: &str,
    kept: Kept,
    status: StatusCode,
) -> Result<Response, PageError> {
    let (view, actor) = visible_report(state, viewer, id).await?;
    Ok(html_status(status, &report_page(state, viewer, view, &actor, kept).await?))
}

/// `POST /reports/{id}/messages`: a reply, or (team) an internal note.
pub(crate) async fn message(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    form: FormData,
) -> Result<Response, PageError> {
    let (_, actor) = visible_report(&state, &viewer, &id).await?;
    let visibility =
        if form.get("visibility") == "internal" { Visibility::Internal } else { Visibility::ReporterVisible };
    match state
        .app
        .post_message(&actor, crate::extract::report_id(&id)?, &form.get("body"), visibility, Channel::Web)
        .await
    {
        Ok(message) => Ok(see_other(&format!("/reports/{id}#message-{}", message.id))),
        Err(e) if fixable(&e) => {
            let errors = vec![reply_error(&e)];
            reshow(&state, &viewer, &id, Kept { reply: Some((form, errors)), ..Kept::default() }, form_status(&e)).await
        }
        Err(e) => Err(e.into()),
    }
}

fn reply_error(error: &AppError) -> String {
    let mut fields = [Field::new("body", "Your message", FieldKind::Text)];
    let mut general = apply_errors(&mut fields, error);
    general.extend(fields[0].error.take());
    general.join(" ")
}

/// `POST /reports/{id}/transition`
pub(crate) async fn transition(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    form: FormData,
) -> Result<Response, PageError> {
    let (_, actor) = visible_report(&state, &viewer, &id).await?;
    let to = form.get("to");
    if to.is_empty() {
        let kept =
            Kept { transition: Some((form, vec!["Choose what happens to the report.".into()])), ..Kept::default() };
        return reshow(&state, &viewer, &id, kept, StatusCode::UNPROCESSABLE_ENTITY).await;
    }
    let input = TransitionInput {
        to,
        reason: form.opt("reason"),
        duplicate_of: form.opt("duplicate_of"),
        criterion: form.opt("criterion"),
    };
    match state.app.transition_report(&actor, crate::extract::report_id(&id)?, input).await {
        Ok(_) => Ok(see_other(&format!("/reports/{id}"))),
        Err(e) if fixable(&e) => {
            let mut fields = [
                Field::new("to", "New state", FieldKind::Text),
                Field::new("reason", "Reason", FieldKind::Text),
                Field::new("criterion", "Criterion", FieldKind::Text),
                Field::new("duplicate_of", "Original report", FieldKind::Text),
            ];
            let mut errors = apply_errors(&mut fields, &e);
            errors.extend(fields.iter_mut().filter_map(|f| f.error.take()));
            let status = form_status(&e);
            reshow(&state, &viewer, &id, Kept { transition: Some((form, errors)), ..Kept::default() }, status).await
        }
        Err(e) => Err(e.into()),
    }
}

/// `POST /reports/{id}/team`: assignee, severity, weaknesses, affected and fix lines.
pub(crate) async fn team_fields_save(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    form: FormData,
) -> Result<Response, PageError> {
    let (_, actor) = visible_report(&state, &viewer, &id).await?;
    let assignee = match form.opt("assignee") {
        None => None,
        Some(text) => match text.parse::<UserId>() {
            Ok(id) => Some(id),
            Err(_) => {
                let e = AppError::invalid("assignee", "a member of the security team");
                return reshow(
                    &state,
                    &viewer,
                    &id,
                    Kept { team: Some((form, e)), ..Kept::default() },
                    StatusCode::UNPROCESSABLE_ENTITY,
                )
                .await;
            }
        },
    };
    let patch = TeamPatch {
        cvss_v3: Some(form.opt("cvss_v3")),
        cvss_v4: Some(form.opt("cvss_v4")),
        cwes: Some(form.list("cwes")),
        assignee: Some(assignee),
        affected_versions: Some(form.list("affected_versions")),
        fix_lines: Some(form.list("fix_lines")),
    };
    match state.app.update_report(&actor, crate::extract::report_id(&id)?, patch).await {
        Ok(_) => Ok(see_other(&format!("/reports/{id}#team"))),
        Err(e) if fixable(&e) => {
            let status = form_status(&e);
            reshow(&state, &viewer, &id, Kept { team: Some((form, e)), ..Kept::default() }, status).await
        }
        Err(e) => Err(e.into()),
    }
}

/// `POST /reports/{id}/share`: shares a redacted copy with the parties
/// interested in a platform, showing their links once.
pub(crate) async fn share(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    form: FormData,
) -> Result<Response, PageError> {
    let (_, actor) = visible_report(&state, &viewer, &id).await?;
    match state.app.share_report(&actor, crate::extract::report_id(&id)?, &form.get("platform")).await {
        Ok(shares) => {
            let base = state.config.public_url.trim_end_matches('/');
            let new_shares = shares
                .iter()
                .map(|(s, token)| (s.party.to_string(), format!("{base}/shared/{}", token.expose())))
                .collect();
            reshow(&state, &viewer, &id, Kept { new_shares, ..Kept::default() }, StatusCode::OK).await
        }
        Err(e) if fixable(&e) => {
            let errors = apply_errors(&mut [], &e);
            let status = form_status(&e);
            reshow(&state, &viewer, &id, Kept { share: errors, ..Kept::default() }, status).await
        }
        Err(e) => Err(e.into()),
    }
}
