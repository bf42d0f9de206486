//! The list of reports: the security team's queue (filtered by project,
//! state and assignee, with the deadline that matters) or a reporter's own.

use axum::extract::{RawQuery, State};
use axum::response::Response;
use embargo_app::{AppError, LabFilter, QueueChoices, ReportQuery};
use embargo_core::id::UserId;
use embargo_core::lifecycle::ReportState;
use embargo_core::permission::Actor;
use embargo_core::text::OrgOrProject;

use super::render::{ago, deadline};
use super::views::{Badge, ProjectLink};
use super::{FormData, Nav, PageError, Viewer, html, see_other};
use crate::AppState;

/// How many reports one page of a list shows.
const PAGE_SIZE: u32 = 50;

/// A line of a report list.
struct ReportRow {
    id: String,
    short_id: String,
    title: String,
    project: ProjectLink,
    state: Badge,
    severity: Option<Badge>,
    assignee: String,
    age: String,
    updated: String,
    deadline: Option<(String, bool)>,
    /// The next CRA stage to file (team only): what and when, and whether it is overdue.
    cra: Option<(String, bool)>,
    /// The lab's signal (team only): a badge, and whether the grounding check flagged it.
    lab: Option<(Badge, bool)>,
}

/// The lab's signal of a report, as a badge, and whether the grounding check flagged it.
fn lab_badge(signals: Option<&embargo_store::lab::LabSignals>) -> (Badge, bool) {
    let flagged = signals.is_some_and(embargo_app::lab_flagged);
    let (class, label) = if LabFilter::Reproduced.matches(signals) {
        ("lab-reproduced", "Reproduced")
    } else if LabFilter::NotReproduced.matches(signals) {
        ("lab-not-reproduced", "Not reproduced")
    } else {
        ("lab-not-run", "Not run")
    };
    (Badge { class: class.to_owned(), label: label.to_owned() }, flagged)
}

#[derive(askama::Template)]
#[template(path = "reports.html")]
struct ReportsPage {
    nav: Nav,
    team: bool,
    rows: Vec<ReportRow>,
    projects: Vec<(String, String, bool)>,
    states: Vec<(String, String, bool)>,
    /// Whether every state (closed ones too) was asked for.
    any_state: bool,
    assignees: Vec<(String, String, bool)>,
    labs: Vec<(String, String, bool)>,
    sort_lab: bool,
    sort_deadline: bool,
    /// The search as typed.
    q: String,
    filtered: bool,
    error: Option<String>,
    /// Old numbered links (`page`) still go back a page; cursor pages go back to the first.
    previous: Option<String>,
    first: Option<String>,
    next: Option<String>,
}

/// The query string of a list page with `page` changed (and no cursor).
fn page_link(params: &FormData, page: u32) -> String {
    let mut out = form_urlencoded::Serializer::new(String::new());
    for (k, v) in params.pairs().filter(|(k, v)| *k != "page" && *k != "cursor" && !v.is_empty()) {
        out.append_pair(k, v);
    }
    if page > 0 {
        out.append_pair("page", &page.to_string());
    }
    format!("/reports?{}", out.finish())
}

/// The query string of the page a cursor starts (the same filters, no `page`).
fn cursor_link(params: &FormData, cursor: &str) -> String {
    let mut out = form_urlencoded::Serializer::new(String::new());
    for (k, v) in params.pairs().filter(|(k, v)| *k != "page" && *k != "cursor" && !v.is_empty()) {
        out.append_pair(k, v);
    }
    out.append_pair("cursor", cursor);
    format!("/reports?{}", out.finish())
}

/// The state filter's value for every state, closed ones too.
const ANY_STATE: &str = "any";

/// `GET /reports`: the team's queue, or the reporter's own reports.
pub(crate) async fn list(
    State(state): State<AppState>,
    viewer: Viewer,
    RawQuery(query): RawQuery,
) -> Result<Response, PageError> {
    if matches!(viewer.actor, Actor::Anonymous) {
        return Ok(see_other("/login?next=/reports"));
    }
    let nav = viewer.nav(true);
    let team = nav.team;
    let params = FormData::from_query(query.as_deref());
    let mut error = None;
    let mut report_query = ReportQuery { limit: Some(PAGE_SIZE), ..ReportQuery::default() };
    let page: u32 = match params.opt("page").map(|p| p.parse::<u32>()) {
        None => 0,
        Some(Ok(p)) if p < 10_000 => p,
        Some(_) => {
            error = Some("That page does not exist; showing the first.".to_owned());
            0
        }
    };
    report_query.offset = Some(page * PAGE_SIZE);
    // The next pages are named by the listing's cursor; `page` keeps older links working.
    report_query.cursor = params.opt("cursor");
    report_query.q = params.opt("q");
    match params.opt("project").map(|p| p.parse::<OrgOrProject>()) {
        None => {}
        Some(Ok(OrgOrProject::Organisation(org))) => report_query.org = Some(org),
        Some(Ok(OrgOrProject::Project(path))) => {
            report_query.org = Some(path.org);
            report_query.project = Some(path.project);
        }
        Some(Err(_)) => error = Some("Choose a project from the list.".to_owned()),
    }
    // The team's queue shows open reports unless asked for a state, or for every state.
    match params.opt("state").as_deref() {
        None => report_query.open_only = team,
        Some(ANY_STATE) => {}
        Some(s) if s.parse::<ReportState>().is_ok() => report_query.state = Some(s.to_owned()),
        Some(_) => error = Some("Choose a state from the list.".to_owned()),
    }
    let me = viewer.actor.user().map(|u| u.id);
    match params.opt("assignee").as_deref() {
        None => {}
        Some("me") => report_query.assignee = me,
        Some(id) => match id.parse::<UserId>() {
            Ok(id) => report_query.assignee = Some(id),
            Err(_) => error = Some("Choose an assignee from the list.".to_owned()),
        },
    }
    // The lab's signals filter and sort in the store's query, over every report of the viewer's teams.
    let lab_filter = match params.opt("lab") {
        None => None,
        Some(value) => {
            let parsed = LabFilter::parse(&value);
            if parsed.is_none() {
                error = Some("Choose a lab signal from the list.".to_owned());
            }
            parsed
        }
    };
    let sort_lab = params.get("sort") == "lab";
    let sort_deadline = params.get("sort") == "deadline";
    report_query.deadline_first = sort_deadline;
    if team {
        report_query.lab = lab_filter;
        report_query.lab_first = sort_lab;
    }
    let (summaries, next_cursor) = match state.app.reports(&viewer.actor, &report_query).await {
        Ok(page) => (page.reports, page.next),
        Err(AppError::NotFound) => {
            error = Some("Choose a project from the list.".to_owned());
            (Vec::new(), None)
        }
        Err(AppError::Invalid(e)) if report_query.q.is_some() => {
            error = Some(format!("That search cannot run: {e}"));
            (Vec::new(), None)
        }
        Err(AppError::Invalid(_)) if report_query.cursor.is_some() => {
            error = Some("That page link is out of date; showing the first page.".to_owned());
            report_query.cursor = None;
            report_query.offset = None;
            let page = state.app.reports(&viewer.actor, &report_query).await?;
            (page.reports, page.next)
        }
        Err(e) => return Err(e.into()),
    };
    let ids: Vec<_> = summaries.iter().map(|s| s.id).collect();
    let signals = if team { state.app.lab_signals(&viewer.actor, &ids).await? } else { Vec::new() };
    let signal_of = |id| signals.iter().find(|(r, _)| *r == id).map(|(_, s)| s);
    let cra = if team { state.app.cra_next(&viewer.actor, &ids).await? } else { Vec::new() };
    let cra_of = |id| {
        cra.iter().find(|(r, _)| *r == id).map(|(_, s)| {
            let due = match s.due {
                embargo_app::CraDue::At(m) => m.both(),
                embargo_app::CraDue::AfterFix => "14 days after a fix".to_owned(),
                embargo_app::CraDue::AfterNotification => "a month after the notification".to_owned(),
            };
            (format!("{}: {due}", s.stage.title()), s.overdue(state.app.now()))
        })
    };
    let now = state.app.now();
    let rows = summaries
        .iter()
        .map(|s| ReportRow {
            lab: team.then(|| lab_badge(signal_of(s.id))),
            id: s.id.to_string(),
            short_id: s.id.to_string().chars().take(8).collect(),
            title: s.title.clone(),
            project: ProjectLink::new(&s.org, &s.project),
            state: Badge::state(s.state),
            severity: s.severity.map(Badge::severity),
            assignee: s.assignee.as_ref().map(|u| u.name.clone()).unwrap_or_default(),
            age: ago(s.created_at, now),
            updated: ago(s.updated_at, now),
            deadline: s.deadline.as_ref().map(|d| deadline(d, now)),
            cra: cra_of(s.id),
        })
        .collect();
    let choices = if team { state.app.queue_choices(&viewer.actor).await? } else { QueueChoices::default() };
    let projects = choices
        .projects
        .iter()
        .map(|(org, p)| {
            let link = ProjectLink::new(org, p);
            let selected = params.get("project") == link.key;
            (link.key.clone(), format!("{} — {}", link.org_name, link.name), selected)
        })
        .collect();
    let chosen_state = params.get("state");
    let states = ReportState::ALL
        .iter()
        .map(|s| (s.as_str().to_owned(), s.label().to_owned(), chosen_state == s.as_str()))
        .collect();
    let chosen_assignee = params.get("assignee");
    let mut assignees = vec![("me".to_owned(), "Me".to_owned(), chosen_assignee == "me")];
    if team {
        for (id, name) in choices.people {
            if Some(id) != me {
                let value = id.to_string();
                let selected = chosen_assignee == value;
                assignees.push((value, name, selected));
            }
        }
    }
    let chosen_lab = params.get("lab");
    let labs = [
        (LabFilter::Reproduced, "Reproduced"),
        (LabFilter::NotReproduced, "Not reproduced"),
        (LabFilter::NotRun, "Not run"),
        (LabFilter::GroundingFlagged, "Names things not in the source"),
    ]
    .into_iter()
    .map(|(f, label)| (f.as_str().to_owned(), label.to_owned(), chosen_lab == f.as_str()))
    .collect();
    let page = ReportsPage {
        nav,
        team,
        rows,
        projects,
        states,
        any_state: params.get("state") == ANY_STATE,
        assignees,
        labs,
        sort_lab,
        sort_deadline,
        q: params.get("q"),
        filtered: ["project", "state", "assignee", "lab", "sort", "q"].iter().any(|k| params.opt(k).is_some()),
        error,
        previous: (page > 0 && report_query.cursor.is_none()).then(|| page_link(&params, page - 1)),
        first: report_query.cursor.is_some().then(|| page_link(&params, 0)),
        next: next_cursor.map(|cursor| cursor_link(&params, &cursor)),
    };
    Ok(html(&page))
}
