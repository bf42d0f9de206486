//! The advisory editor: drafting from a report, editing with a preview,
//! taking a CVE id from the pool, publishing.

use super::Path;
use axum::extract::State;
use axum::response::Response;
use embargo_app::{AdvisoryPatch, AdvisoryView, AffectedInput, AppError, RangeInput};
use embargo_core::advisory::{
    AdvisoryContent, AdvisoryState, CreditKind, FixKind, RangeEvent, RangeKind, ReferenceKind,
};

use super::form::{apply_errors, split_list};
use super::public::AdvisoryBody;
use super::views::{Badge, ProjectLink};
use super::{
    Field, FieldKind, FieldsExt, FormData, Nav, PageError, Viewer, fixable, form_status, html, html_status, see_other,
};
use crate::AppState;

/// Blank rows offered after the filled ones, so that one more can be added without script.
const BLANK_ROWS: usize = 2;

/// One affected range as a row of the editor.
#[derive(Default)]
struct AffectedRow {
    ecosystem: String,
    name: String,
    kind: String,
    repo: String,
    introduced: String,
    fixed: String,
    last_affected: String,
    versions: String,
}

/// One reference row.
#[derive(Default)]
struct ReferenceRow {
    kind: String,
    url: String,
}

/// One credit row.
#[derive(Default)]
struct CreditRow {
    name: String,
    kind: String,
    contact: String,
}

#[derive(askama::Template)]
#[template(path = "advisory_edit.html")]
struct EditorPage {
    nav: Nav,
    id: String,
    project: ProjectLink,
    state: Badge,
    report: Option<String>,
    published: bool,
    eligibility: Option<(bool, String)>,
    /// Whether to offer a CVE id from the pool.
    can_take_cve: bool,
    /// Its operations in CVE Services: (what, CVE id, state, attempts, last attempt, error).
    cve_operations: Vec<(String, String, String, String, String, String)>,
    /// Whether it is published (and so may be withdrawn).
    withdrawable: bool,
    errors: Vec<String>,
    fields: Vec<Field>,
    group_errors: Vec<(String, String)>,
    affected: Vec<AffectedRow>,
    references: Vec<ReferenceRow>,
    credits: Vec<CreditRow>,
    range_kinds: Vec<&'static str>,
    reference_kinds: Vec<(&'static str, &'static str)>,
    credit_kinds: Vec<(&'static str, &'static str)>,
    preview: AdvisoryBody,
    /// The release lines stated not affected: (line, why, details).
    vex: Vec<(String, &'static str, String)>,
    /// OpenVEX's justifications as (value, label).
    justifications: Vec<(&'static str, &'static str)>,
    /// The scheduled publication and the report's embargo end, in the viewer's zone and UTC.
    timing: Timing,
}

/// When the advisory is due out, as the viewer reads dates (issue 10).
#[derive(Default)]
struct Timing {
    /// The scheduled publication, and what became of it once the time came.
    schedule: Option<(String, Option<String>)>,
    /// The report's embargo end.
    embargo: Option<String>,
    /// The viewer's time zone.
    zone: String,
}

/// The schedule and the embargo end, shown in the viewer's own time zone.
async fn timing(state: &AppState, viewer: &Viewer, view: &AdvisoryView) -> Result<Timing, PageError> {
    let actor = &viewer.actor;
    let zone = state.app.time_zone(actor).await?;
    let schedule = state.app.publication_schedule(actor, &view.id).await?;
    let embargo = match view.report_id {
        Some(report) => state.app.report(actor, report).await.ok().and_then(|r| r.embargo),
        None => None,
    };
    Ok(Timing {
        schedule: schedule.map(|s| (zone.show(s.at.at), s.outcome)),
        embargo: embargo.map(|m| zone.show(m.at)),
        zone: zone.name().to_owned(),
    })
}

impl EditorPage {
    /// The error of a group of rows (`affected`, `references`, `credits`, `severity`).
    fn group_error(&self, group: &str) -> String {
        self.group_errors.iter().filter(|(g, _)| g == group).map(|(_, e)| e.as_str()).collect::<Vec<_>>().join(" ")
    }
}

fn rows_from(content: &AdvisoryContent) -> (Vec<AffectedRow>, Vec<ReferenceRow>, Vec<CreditRow>) {
    let mut affected = Vec::new();
    for a in &content.affected {
        let (ecosystem, name) = a.package.as_ref().map(|p| (p.ecosystem.clone(), p.name.clone())).unwrap_or_default();
        let versions = a.versions.join(", ");
        let base = |kind: RangeKind, repo: &Option<String>| AffectedRow {
            ecosystem: ecosystem.clone(),
            name: name.clone(),
            kind: kind.as_str().to_owned(),
            repo: repo.clone().unwrap_or_default(),
            ..AffectedRow::default()
        };
        let mut rows: Vec<AffectedRow> = Vec::new();
        for range in &a.ranges {
            for event in &range.events {
                match event {
                    RangeEvent::Introduced(v) => {
                        rows.push(AffectedRow { introduced: v.clone(), ..base(range.kind, &range.repo) })
                    }
                    RangeEvent::Fixed(v) => match rows.last_mut() {
                        Some(row) if row.fixed.is_empty() && row.last_affected.is_empty() => row.fixed = v.clone(),
                        _ => rows.push(AffectedRow { fixed: v.clone(), ..base(range.kind, &range.repo) }),
                    },
                    RangeEvent::LastAffected(v) => match rows.last_mut() {
                        Some(row) if row.fixed.is_empty() && row.last_affected.is_empty() => {
                            row.last_affected = v.clone()
                        }
                        _ => rows.push(AffectedRow { last_affected: v.clone(), ..base(range.kind, &range.repo) }),
                    },
                    RangeEvent::Limit(_) => {}
                }
            }
        }
        if rows.is_empty() {
            rows.push(AffectedRow { ecosystem: ecosystem.clone(), name: name.clone(), ..AffectedRow::default() });
        }
        if let Some(first) = rows.first_mut() {
            first.versions = versions;
        }
        affected.extend(rows);
    }
    let references = content
        .references
        .iter()
        .map(|r| ReferenceRow { kind: r.kind.as_str().to_owned(), url: r.url.clone() })
        .collect();
    let credits = content
        .credits
        .iter()
        .map(|c| CreditRow { name: c.name.clone(), kind: c.kind.as_str().to_owned(), contact: c.contact.join(", ") })
        .collect();
    (affected, references, credits)
}

fn rows_from_form(form: &FormData) -> (Vec<AffectedRow>, Vec<ReferenceRow>, Vec<CreditRow>) {
    // Rows are numbered from 0 without gaps; at most 200 of each are read.
    let numbered = |prefix: &str| (0..200).take_while(|i| form.has(&format!("{prefix}{i}"))).count();
    let affected = (0..numbered("name_"))
        .map(|i| AffectedRow {
            ecosystem: form.get(&format!("ecosystem_{i}")),
            name: form.get(&format!("name_{i}")),
            kind: form.get(&format!("kind_{i}")),
            repo: form.get(&format!("repo_{i}")),
            introduced: form.get(&format!("introduced_{i}")),
            fixed: form.get(&format!("fixed_{i}")),
            last_affected: form.get(&format!("last_affected_{i}")),
            versions: form.get(&format!("versions_{i}")),
        })
        .filter(|r| !is_blank_affected(r))
        .collect();
    let references = (0..numbered("ref_url_"))
        .map(|i| ReferenceRow { kind: form.get(&format!("ref_kind_{i}")), url: form.get(&format!("ref_url_{i}")) })
        .filter(|r| !r.url.trim().is_empty())
        .collect();
    let credits = (0..numbered("credit_name_"))
        .map(|i| CreditRow {
            name: form.get(&format!("credit_name_{i}")),
            kind: form.get(&format!("credit_kind_{i}")),
            contact: form.get(&format!("credit_contact_{i}")),
        })
        .filter(|c| !c.name.trim().is_empty())
        .collect();
    (affected, references, credits)
}

fn is_blank_affected(r: &AffectedRow) -> bool {
    [&r.ecosystem, &r.name, &r.repo, &r.introduced, &r.fixed, &r.last_affected, &r.versions]
        .iter()
        .all(|v| v.trim().is_empty())
}

fn opt(text: &str) -> Option<String> {
    Some(text.trim().to_owned()).filter(|t| !t.is_empty())
}

/// The rows as the app's input: rows of the same package (and repository) become one
/// affected entry with one range per row.
fn affected_input(rows: &[AffectedRow]) -> Vec<AffectedInput> {
    let mut out: Vec<AffectedInput> = Vec::new();
    for row in rows {
        let package = match (opt(&row.ecosystem), opt(&row.name)) {
            (None, None) => None,
            (ecosystem, name) => Some((ecosystem.unwrap_or_default(), name.unwrap_or_default())),
        };
        let mut events = Vec::new();
        if let Some(v) = opt(&row.introduced) {
            events.push(("introduced".to_owned(), v));
        }
        if let Some(v) = opt(&row.fixed) {
            events.push(("fixed".to_owned(), v));
        }
        if let Some(v) = opt(&row.last_affected) {
            events.push(("last_affected".to_owned(), v));
        }
        let range = (!events.is_empty()).then(|| RangeInput {
            kind: opt(&row.kind).unwrap_or_else(|| "ECOSYSTEM".to_owned()),
            repo: opt(&row.repo),
            events,
        });
        let versions = split_list(&row.versions);
        match out.iter_mut().find(|a| a.package == package && package.is_some()) {
            Some(entry) => {
                entry.ranges.extend(range);
                entry.versions.extend(versions);
            }
            None => out.push(AffectedInput { package, ranges: range.into_iter().collect(), versions }),
        }
    }
    out
}

fn patch_of(form: &FormData) -> AdvisoryPatch {
    let (affected, references, credits) = rows_from_form(form);
    AdvisoryPatch {
        summary: Some(form.get("summary")),
        details: Some(form.get("details")),
        aliases: Some(form.list("aliases")),
        affected: Some(affected_input(&affected)),
        cvss_v3: Some(form.opt("cvss_v3")),
        cvss_v4: Some(form.opt("cvss_v4")),
        cwes: Some(form.list("cwes")),
        references: Some(references.iter().map(|r| (r.kind.clone(), r.url.trim().to_owned())).collect()),
        credits: Some(credits.iter().map(|c| (c.name.clone(), c.kind.clone(), split_list(&c.contact))).collect()),
        fix_kinds: Some(form.all("fix")),
        fix_text: Some(form.get("fix_text")),
    }
}

fn simple_fields(content: &AdvisoryContent, form: Option<&FormData>) -> Vec<Field> {
    let value = |name: &str, current: String| form.map_or(current, |f| f.get(name));
    let vector =
        |c: &Option<embargo_core::severity::Cvss>| c.as_ref().map(|c| c.vector().to_owned()).unwrap_or_default();
    vec![
        Field::new("summary", "Summary", FieldKind::Text)
            .hint("One line that tells a reader whether to care: what, where, impact.")
            .value(value("summary", content.summary.clone()))
            .required(),
        Field::new("details", "Details", FieldKind::TextArea { rows: 12, code: false })
            .hint("Markdown. What is wrong, who is affected, how to mitigate before upgrading.")
            .value(value("details", content.details.clone())),
        Field::new("aliases", "Aliases", FieldKind::Text)
            .hint("CVE and other ids of the same vulnerability, comma-separated.")
            .value(value("aliases", content.aliases.iter().map(ToString::to_string).collect::<Vec<_>>().join(", "))),
        Field::new("cvss_v3", "CVSS 3.1 vector", FieldKind::Text)
            .value(value("cvss_v3", vector(&content.severity.cvss_v3))),
        Field::new("cvss_v4", "CVSS 4.0 vector", FieldKind::Text)
            .value(value("cvss_v4", vector(&content.severity.cvss_v4))),
        Field::new("cwes", "Weaknesses (CWE)", FieldKind::Text)
            .hint("Comma-separated, like CWE-22.")
            .value(value("cwes", content.cwes.iter().map(ToString::to_string).collect::<Vec<_>>().join(", "))),
        Field::new(
            "fix",
            "Fix strategy",
            FieldKind::Checkboxes(
                FixKind::ALL
                    .iter()
                    .map(|k| {
                        let checked = form.map_or(content.fix.has(*k), |f| f.all("fix").iter().any(|v| v == k.as_str()));
                        (k.as_str().to_owned(), k.label().to_owned(), checked)
                    })
                    .collect(),
            ),
        )
        .hint("How the risk is removed; any combination. Shown under \u{201c}What to do\u{201d} and in OSV, CSAF and CVE exports."),
        Field::new("fix_text", "What users should do", FieldKind::TextArea { rows: 4, code: false })
            .hint("Markdown, optional: the mitigation's steps, or which dependency to update.")
            .value(value("fix_text", content.fix.text.clone())),
    ]
}

fn editor(
    viewer: &Viewer,
    view: &AdvisoryView,
    form: Option<&FormData>,
    error: Option<&AppError>,
) -> Result<EditorPage, PageError> {
    let draft = view.draft.as_ref().ok_or_else(PageError::not_found)?;
    let mut fields = simple_fields(draft, form);
    let simple = fields.len();
    let (mut affected, mut references, mut credits) = match form {
        Some(f) => rows_from_form(f),
        None => rows_from(draft),
    };
    affected.extend((0..BLANK_ROWS).map(|_| AffectedRow { kind: "ECOSYSTEM".into(), ..AffectedRow::default() }));
    references.extend((0..BLANK_ROWS).map(|_| ReferenceRow { kind: "WEB".into(), ..ReferenceRow::default() }));
    credits.extend((0..BLANK_ROWS).map(|_| CreditRow { kind: "FINDER".into(), ..CreditRow::default() }));
    let mut groups: Vec<Field> = ["affected", "references", "credits", "severity"]
        .into_iter()
        .map(|g| Field::new(g, g, FieldKind::Text))
        .collect();
    let mut errors = Vec::new();
    if let Some(e) = error {
        let mut all: Vec<Field> = fields.drain(..).chain(groups.drain(..)).collect();
        errors = apply_errors(&mut all, e);
        groups = all.split_off(simple);
        fields = all;
    }
    let group_errors = groups.into_iter().filter_map(|g| g.error.map(|e| (g.name.to_owned(), e))).collect();
    Ok(EditorPage {
        nav: viewer.nav(true),
        id: view.id.to_string(),
        project: ProjectLink::new(&view.org, &view.project),
        state: Badge::advisory(view.state),
        report: view.report_id.map(|r| r.to_string()),
        published: view.published.is_some(),
        eligibility: view.eligibility.as_ref().map(|e| (e.cve, e.explanation.clone())),
        can_take_cve: view.can_take_cve,
        cve_operations: view
            .cve_operations
            .iter()
            .map(|o| {
                (
                    o.kind.as_str().to_owned(),
                    o.cve_id.as_ref().map(|c| c.as_str().to_owned()).unwrap_or_default(),
                    o.state.as_str().to_owned(),
                    o.attempts.to_string(),
                    o.last_attempt_at.map(super::render::when).unwrap_or_default(),
                    o.last_error.clone().unwrap_or_default(),
                )
            })
            .collect(),
        withdrawable: view.state == AdvisoryState::Published,
        errors,
        fields,
        group_errors,
        affected,
        references,
        credits,
        range_kinds: vec!["ECOSYSTEM", "SEMVER", "GIT"],
        reference_kinds: ReferenceKind::ALL.iter().map(|k| (k.as_str(), k.label())).collect(),
        credit_kinds: CreditKind::ALL.iter().map(|k| (k.as_str(), k.label())).collect(),
        preview: AdvisoryBody::new(draft),
        vex: Vec::new(),
        justifications: embargo_core::vex::Justification::ALL.iter().map(|j| (j.as_str(), j.label())).collect(),
        timing: Timing::default(),
    })
}

/// `GET /advisories/{id}/edit`
pub(crate) async fn edit(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let view = state.app.advisory(&viewer.actor, &crate::extract::advisory_id(&id)?).await?;
    let mut page = editor(&viewer, &view, None, None)?;
    page.vex = vex_rows(&state, &view).await?;
    page.timing = timing(&state, &viewer, &view).await?;
    Ok(html(&page))
}

/// The VEX statements of a published advisory, for the editor.
async fn vex_rows(state: &AppState, view: &AdvisoryView) -> Result<Vec<(String, &'static str, String)>, PageError> {
    if view.published.is_none() {
        return Ok(Vec::new());
    }
    let statements = state.app.vex_statements(&view.id).await?;
    Ok(statements.into_iter().map(|n| (n.line, n.justification.label(), n.impact.unwrap_or_default())).collect())
}

/// `POST /advisories/{id}/vex`: states a release line not affected.
pub(crate) async fn state_not_affected(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    form: FormData,
) -> Result<Response, PageError> {
    let input = embargo_app::NotAffectedInput {
        line: form.get("line"),
        justification: form.get("justification"),
        impact: Some(form.get("impact")),
    };
    match state.app.state_not_affected(&viewer.actor, &crate::extract::advisory_id(&id)?, input).await {
        Ok(_) => Ok(see_other(&format!("/advisories/{id}/edit#vex"))),
        Err(e) if fixable(&e) => reshow(&state, &viewer, &id, None, &e).await,
        Err(e) => Err(e.into()),
    }
}

/// `POST /advisories/{id}/vex/{line}/remove`: takes a statement back.
pub(crate) async fn take_back_not_affected(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((id, line)): Path<(String, String)>,
) -> Result<Response, PageError> {
    state.app.take_back_not_affected(&viewer.actor, &crate::extract::advisory_id(&id)?, &line).await?;
    Ok(see_other(&format!("/advisories/{id}/edit#vex")))
}

/// Shows the editor again with the problem, keeping what was typed.
async fn reshow(
    state: &AppState,
    viewer: &Viewer,
    id: &str,
    form: Option<&FormData>,
    error: &AppError,
) -> Result<Response, PageError> {
    let view = state.app.advisory(&viewer.actor, &crate::extract::advisory_id(id)?).await?;
    let mut page = editor(viewer, &view, form, Some(error))?;
    page.vex = vex_rows(state, &view).await?;
    page.timing = timing(state, viewer, &view).await?;
    Ok(html_status(form_status(error), &page))
}

/// `POST /advisories/{id}/edit`: saves the draft (the preview shows it).
pub(crate) async fn save(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    form: FormData,
) -> Result<Response, PageError> {
    // Not the team's advisory: not found, before anything is parsed.
    state
        .app
        .advisory(&viewer.actor, &crate::extract::advisory_id(&id)?)
        .await?
        .draft
        .ok_or_else(PageError::not_found)?;
    match state.app.update_advisory(&viewer.actor, &crate::extract::advisory_id(&id)?, patch_of(&form)).await {
        Ok(_) => Ok(see_other(&format!("/advisories/{id}/edit#preview"))),
        Err(e) if fixable(&e) => reshow(&state, &viewer, &id, Some(&form), &e).await,
        Err(e) => Err(e.into()),
    }
}

/// `POST /advisories/{id}/publish`
pub(crate) async fn publish(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    match state.app.publish_advisory(&viewer.actor, &crate::extract::advisory_id(&id)?).await {
        Ok(view) => Ok(see_other(&format!("/advisories/{}", view.id))),
        Err(e) if fixable(&e) => reshow(&state, &viewer, &id, None, &e).await,
        Err(e) => Err(e.into()),
    }
}

/// `POST /advisories/{id}/schedule`: schedules the publication of the saved draft.
pub(crate) async fn schedule(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    form: FormData,
) -> Result<Response, PageError> {
    match state.app.schedule_publication(&viewer.actor, &crate::extract::advisory_id(&id)?, &form.get("at")).await {
        Ok(_) => Ok(see_other(&format!("/advisories/{id}/edit#schedule"))),
        Err(e) if fixable(&e) => reshow(&state, &viewer, &id, None, &e).await,
        Err(e) => Err(e.into()),
    }
}

/// `POST /advisories/{id}/withdraw`
pub(crate) async fn withdraw(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    match state.app.withdraw_advisory(&viewer.actor, &crate::extract::advisory_id(&id)?).await {
        Ok(view) => Ok(see_other(&format!("/advisories/{}", view.id))),
        Err(e) if fixable(&e) => reshow(&state, &viewer, &id, None, &e).await,
        Err(e) => Err(e.into()),
    }
}

/// `POST /advisories/{id}/cve`: takes the next CVE id from the organisation's pool.
pub(crate) async fn assign_cve(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    match state.app.assign_cve(&viewer.actor, &crate::extract::advisory_id(&id)?).await {
        Ok(_) => Ok(see_other(&format!("/advisories/{id}/edit"))),
        Err(e) if fixable(&e) => reshow(&state, &viewer, &id, None, &e).await,
        Err(e) => Err(e.into()),
    }
}

/// `POST /reports/{id}/advisory`: drafts the advisory of an accepted report.
pub(crate) async fn draft(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let view = state.app.draft_advisory(&viewer.actor, crate::extract::report_id(&id)?).await?;
    Ok(see_other(&format!("/advisories/{}/edit", view.id)))
}
