//! The audit log for administrators (issue 12): its events newest first,
//! filtered by report, person and day with a plain GET form, paged by
//! sequence number ("older events"), and the current signed checkpoint to
//! keep outside the server. Events hold ids, actions and states, never
//! private text. Works without script.

use axum::extract::{RawQuery, State};
use axum::response::Response;
use embargo_app::AuditQuery;
use embargo_core::Timestamp;
use embargo_core::permission::Actor;
use embargo_store::audit::AuditRecord;
use time::{Date, Duration, Time};

use super::render::when;
use super::{FormData, Nav, PageError, Viewer, html, see_other};
use crate::AppState;

/// Events per page.
const PAGE_SIZE: u32 = 50;

/// One event, as shown.
struct EventRow {
    seq: u64,
    at: String,
    actor: String,
    action: String,
    subject: String,
    details: String,
}

impl From<&AuditRecord> for EventRow {
    fn from(r: &AuditRecord) -> Self {
        EventRow {
            seq: r.seq,
            at: when(r.at),
            actor: r.actor.clone(),
            action: r.action.clone(),
            subject: r.subject.clone(),
            details: r.details.clone(),
        }
    }
}

#[derive(askama::Template)]
#[template(path = "audit.html")]
struct AuditPage {
    nav: Nav,
    /// The filters as given, to fill the form again.
    report: String,
    person: String,
    since: String,
    until: String,
    /// What was wrong with the filters, if anything.
    errors: Vec<String>,
    events: Vec<EventRow>,
    /// The query of the next (older) page, when there is one.
    older: Option<String>,
    /// The current checkpoint's text.
    checkpoint: String,
}

/// A `YYYY-MM-DD` day's first instant (UTC).
fn day_start(value: &str) -> Option<Timestamp> {
    let format = time::macros::format_description!("[year]-[month]-[day]");
    Date::parse(value, format).ok().map(|d| d.with_time(Time::MIDNIGHT).assume_utc())
}

/// The filters of `params` as a query, each problem named (the filter is then left out).
fn filters(params: &FormData, errors: &mut Vec<String>) -> AuditQuery {
    let mut query = AuditQuery { limit: Some(PAGE_SIZE + 1), ..AuditQuery::default() };
    if let Some(report) = params.opt("report") {
        match report.trim().parse() {
            Ok(id) => query.report = Some(id),
            Err(_) => errors.push("Report: enter a report id, like the one in a report's address.".to_owned()),
        }
    }
    if let Some(person) = params.opt("person") {
        match person.trim().trim_start_matches("user:").parse() {
            Ok(id) => query.person = Some(id),
            Err(_) => errors.push("Person: enter a user id, as the Actor column shows it.".to_owned()),
        }
    }
    if let Some(since) = params.opt("since") {
        match day_start(&since) {
            Some(t) => query.since = Some(t),
            None => errors.push("From: enter a day as YYYY-MM-DD.".to_owned()),
        }
    }
    if let Some(until) = params.opt("until") {
        // The day given is included.
        match day_start(&until) {
            Some(t) => query.until = Some(t + Duration::days(1)),
            None => errors.push("To: enter a day as YYYY-MM-DD.".to_owned()),
        }
    }
    if let Some(before) = params.opt("before") {
        match before.parse::<u64>() {
            Ok(seq) => query.before = Some(seq),
            Err(_) => errors.push("That page does not exist; showing the newest events.".to_owned()),
        }
    }
    query
}

/// `GET /admin/audit`: the audit log, newest first (administrators; others are not told it exists).
pub(crate) async fn page(
    State(state): State<AppState>,
    viewer: Viewer,
    RawQuery(raw): RawQuery,
) -> Result<Response, PageError> {
    if matches!(viewer.actor, Actor::Anonymous) {
        return Ok(see_other("/login?next=/admin/audit"));
    }
    let checkpoint = state.app.audit_checkpoint(&viewer.actor).await?;
    let params = FormData::from_query(raw.as_deref());
    let mut errors = Vec::new();
    let query = filters(&params, &mut errors);
    let mut records = state.app.audit_events(&viewer.actor, query).await?;
    let more = records.len() > PAGE_SIZE as usize;
    records.truncate(PAGE_SIZE as usize);
    let older = match (more, records.last()) {
        (true, Some(last)) => {
            let mut next = form_urlencoded::Serializer::new(String::new());
            for name in ["report", "person", "since", "until"] {
                if let Some(value) = params.opt(name) {
                    next.append_pair(name, &value);
                }
            }
            next.append_pair("before", &last.seq.to_string());
            Some(next.finish())
        }
        _ => None,
    };
    Ok(html(&AuditPage {
        nav: viewer.nav(true),
        report: params.get("report"),
        person: params.get("person"),
        since: params.get("since"),
        until: params.get("until"),
        errors,
        events: records.iter().map(EventRow::from).collect(),
        older,
        checkpoint: checkpoint.text,
    }))
}
