//! The list of reports: the security team's queue (filtered by project,
//! state and assignee, with the deadline that matters) or a reporter's own.

use axum::extract::{RawQuery, State};
use axum::response::Response;
use embargo_app::{AppError, QueueChoices, ReportQuery};
use embargo_core::id::UserId;
use embargo_core::lifecycle::ReportState;
use embargo_core::permission::Actor;

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
}

#[derive(askama::Template)]
#[template(path = "reports.html")]
struct ReportsPage {
    nav: Nav,
    team: bool,
    rows: Vec<ReportRow>,
    projects: Vec<(String, String, bool)>,
    states: Vec<(String, String, bool)>,
    assignees: Vec<(String, String, bool)>,
    filtered: bool,
    error: Option<String>,
    previous: Option<String>,
    next: Option<String>,
}

/// The query string of a list page with `page` changed.
fn page_link(params: &FormData, page: u32) -> String {
    let mut out = form_urlencoded::Serializer::new(String::new());
    for (k, v) in params.pairs().filter(|(k, v)| *k != "page" && !v.is_empty()) {
        out.append_pair(k, v);
    }
    if page > 0 {
        out.append_pair("page", &page.to_string());
    }
    format!("/reports?{}", out.finish())
}

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
    let mut report_query = ReportQuery { limit: Some(PAGE_SIZE + 1), ..ReportQuery::default() };
    let page: u32 = match params.opt("page").map(|p| p.parse::<u32>()) {
        None => 0,
        Some(Ok(p)) if p < 10_000 => p,
        Some(_) => {
            error = Some("That page does not exist; showing the first.".to_owned());
            0
        }
    };
    report_query.offset = Some(page * PAGE_SIZE);
    if let Some(project) = params.opt("project") {
        match project.split_once('/') {
            Some((org, slug)) => {
                report_query.org = Some(org.to_owned());
                report_query.project = Some(slug.to_owned());
            }
            None => report_query.org = Some(project),
        }
    }
    if let Some(s) = params.opt("state") {
        if s.parse::<ReportState>().is_ok() {
            report_query.state = Some(s);
        } else {
            error = Some("Choose a state from the list.".to_owned());
        }
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
    let mut summaries = match state.app.reports(&viewer.actor, &report_query).await {
        Ok(list) => list,
        Err(AppError::NotFound) => {
            error = Some("Choose a project from the list.".to_owned());
            Vec::new()
        }
        Err(e) => return Err(e.into()),
    };
    let more = summaries.len() > PAGE_SIZE as usize;
    summaries.truncate(PAGE_SIZE as usize);
    let now = state.app.now();
    let rows = summaries
        .iter()
        .map(|s| ReportRow {
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
    let page = ReportsPage {
        nav,
        team,
        rows,
        projects,
        states,
        assignees,
        filtered: ["project", "state", "assignee"].iter().any(|k| params.opt(k).is_some()),
        error,
        previous: (page > 0).then(|| page_link(&params, page - 1)),
        next: more.then(|| page_link(&params, page + 1)),
    };
    Ok(html(&page))
}
