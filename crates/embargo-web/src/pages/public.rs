//! Public pages: the start page, organisations, projects and their
//! policies, and published advisories.

use super::Path;
use axum::extract::{RawQuery, State};
use axum::response::Response;
use embargo_app::{AdvisoryQuery, AdvisoryView, PolicyTarget};
use embargo_core::advisory::{AdvisoryContent, AdvisoryState, RangeEvent};
use embargo_core::severity::SeverityLevel;
use embargo_core::text::{ProjectPath, Slug};

use super::views::{Badge, CvssView, ProjectLink};
use super::{FormData, Nav, PageError, Viewer, html, markdown, render};
use crate::AppState;

/// An organisation with its projects.
struct OrgCard {
    name: String,
    path: String,
    projects: Vec<ProjectLink>,
}

/// A line of an advisory list.
pub(crate) struct AdvisoryRow {
    id: String,
    summary: String,
    project: ProjectLink,
    severity: Option<Badge>,
    aliases: Vec<String>,
    published: String,
    withdrawn: bool,
    /// A RustSec informational notice (unmaintained, unsound): shown as a
    /// notice, not as a vulnerability.
    notice: Option<&'static str>,
}

impl AdvisoryRow {
    fn new(view: &AdvisoryView) -> Option<Self> {
        let revision = view.published.as_ref()?;
        Some(AdvisoryRow {
            id: view.id.to_string(),
            summary: revision.content.summary.clone(),
            project: ProjectLink::new(&view.org, &view.project),
            severity: revision.content.severity.level().map(Badge::severity),
            aliases: revision.content.aliases.iter().map(ToString::to_string).collect(),
            published: render::day(view.first_published_at.unwrap_or(revision.published_at)),
            withdrawn: view.state == AdvisoryState::Withdrawn,
            notice: revision.content.informational().map(|i| i.label()),
        })
    }
}

#[derive(askama::Template)]
#[template(path = "home.html")]
struct HomePage {
    nav: Nav,
    setup_pending: bool,
    orgs: Vec<OrgCard>,
    rows: Vec<AdvisoryRow>,
}

async fn org_cards(state: &AppState, only: Option<&Slug>) -> Result<Vec<OrgCard>, PageError> {
    let orgs = match only {
        Some(slug) => vec![state.app.organisation(slug).await?],
        None => state.app.organisations().await?,
    };
    let mut cards = Vec::with_capacity(orgs.len());
    for org in orgs {
        let projects = state.app.projects(Some(&org.slug)).await?;
        cards.push(OrgCard {
            name: org.name.clone(),
            path: format!("/{}", org.slug),
            projects: projects.iter().map(|p| ProjectLink::new(&org, p)).collect(),
        });
    }
    Ok(cards)
}

/// `GET /`: organisations and projects, each with its report action.
pub(crate) async fn home(State(state): State<AppState>, viewer: Viewer) -> Result<Response, PageError> {
    let orgs = org_cards(&state, None).await?;
    let mut rows: Vec<AdvisoryRow> = state
        .app
        .advisories(&viewer.actor, &AdvisoryQuery::default())
        .await?
        .iter()
        .filter_map(AdvisoryRow::new)
        .collect();
    rows.truncate(5);
    let page = HomePage { nav: viewer.nav(false), setup_pending: state.app.setup_pending().await?, orgs, rows };
    Ok(html(&page))
}

#[derive(askama::Template)]
#[template(path = "organisation.html")]
struct OrganisationPage {
    nav: Nav,
    org: OrgCard,
    slug: Slug,
    choose: bool,
}

/// `GET /{org}`: an organisation's projects.
pub(crate) async fn organisation(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(org): Path<Slug>,
) -> Result<Response, PageError> {
    let card = org_cards(&state, Some(&org)).await?.pop().ok_or_else(PageError::not_found)?;
    Ok(html(&OrganisationPage { nav: viewer.nav(false), org: card, slug: org, choose: false }))
}

/// `GET /{org}/report`: which project is the report about (straight to the
/// form when there is only one).
pub(crate) async fn choose_project(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(org): Path<Slug>,
) -> Result<Response, PageError> {
    let card = org_cards(&state, Some(&org)).await?.pop().ok_or_else(PageError::not_found)?;
    if let [only] = card.projects.as_slice() {
        return Ok(super::see_other(&format!("{}/report", only.path)));
    }
    Ok(html(&OrganisationPage { nav: viewer.nav(false), org: card, slug: org, choose: true }))
}

#[derive(askama::Template)]
#[template(path = "policy.html")]
struct PolicyPage {
    nav: Nav,
    title: String,
    crumbs: Vec<(String, String)>,
    report_path: Option<String>,
    projects: Vec<ProjectLink>,
    body: String,
    /// How fast the team answered over the last twelve months: (what, sentence).
    response_times: Vec<(&'static str, String)>,
}

/// The response times as sentences; figures over too few reports say so.
fn response_lines(times: &embargo_app::ResponseTimes) -> Vec<(&'static str, String)> {
    use embargo_core::deadline::human;
    let figure = |f: embargo_core::response_times::Figure| match (f.median, f.p90) {
        (Some(median), Some(p90)) => {
            format!("{} (median; 9 in 10 within {}), over {} reports", human(median), human(p90), f.reports)
        }
        _ => format!("not shown: fewer than {} reports", embargo_core::response_times::MIN_REPORTS),
    };
    let share = |s: embargo_core::response_times::Share| match s.within {
        Some(within) => format!("{within} of {} reports", s.reports),
        None => format!("not shown: fewer than {} reports", embargo_core::response_times::MIN_REPORTS),
    };
    vec![
        ("Time to acknowledge", figure(times.stats.acknowledge)),
        ("Time to a decision", figure(times.stats.triage)),
        ("Time to disclosure", figure(times.stats.disclosure)),
        ("Acknowledged within the promised time", share(times.stats.acknowledged_in_time)),
        ("Decided within the promised time", share(times.stats.decided_in_time)),
    ]
}

/// `GET /{org}/{project}` and `GET /{org}/{project}/policy`: the project's
/// security policy, with the report action first.
pub(crate) async fn project_policy(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((org, project)): Path<(Slug, Slug)>,
) -> Result<Response, PageError> {
    let (o, p) = state.app.project(&org, &project).await?;
    let document = state.app.security_md(&org, &project).await?;
    let page = PolicyPage {
        nav: viewer.nav(false),
        title: format!("{} security policy", p.name),
        crumbs: vec![(o.name.clone(), format!("/{}", o.slug))],
        report_path: Some(format!("/{}/{}/report", o.slug, p.slug)),
        projects: Vec::new(),
        body: markdown(strip_title(&document)),
        response_times: response_lines(&state.app.project_response_times(&org, &project).await?),
    };
    Ok(html(&page))
}

/// `GET /{org}/policy`: the organisation's policy, which its projects inherit.
pub(crate) async fn org_policy(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(org): Path<Slug>,
) -> Result<Response, PageError> {
    let effective = state.app.effective_policy(&PolicyTarget::Organisation(org.clone())).await?;
    let document = state.app.org_security_md(&org).await?;
    let card = org_cards(&state, Some(&org)).await?.pop().ok_or_else(PageError::not_found)?;
    let page = PolicyPage {
        nav: viewer.nav(false),
        title: format!("{} security policy", effective.org.name),
        crumbs: vec![(effective.org.name.clone(), format!("/{}", effective.org.slug))],
        report_path: effective.policy.channels.web_form.value.then(|| format!("/{}/report", effective.org.slug)),
        projects: card.projects,
        body: markdown(strip_title(&document)),
        response_times: response_lines(&state.app.organisation_response_times(&org).await?),
    };
    Ok(html(&page))
}

/// The document without its `# Security policy` title (the page has its own).
fn strip_title(document: &str) -> &str {
    document.strip_prefix("# Security policy\n").unwrap_or(document)
}

#[derive(askama::Template)]
#[template(path = "advisories.html")]
struct AdvisoriesPage {
    nav: Nav,
    rows: Vec<AdvisoryRow>,
    projects: Vec<(String, String, bool)>,
    severities: Vec<(String, String, bool)>,
    filtered: bool,
    error: Option<String>,
}

/// `GET /advisories?project=ORG/PROJECT&severity=LEVEL`: published advisories.
pub(crate) async fn advisories(
    State(state): State<AppState>,
    viewer: Viewer,
    RawQuery(query): RawQuery,
) -> Result<Response, PageError> {
    let params = FormData::from_query(query.as_deref());
    let (project, severity) = (params.opt("project"), params.opt("severity"));
    let mut error = None;
    let level = match severity.as_deref().map(str::parse::<SeverityLevel>).transpose() {
        Ok(level) => level,
        Err(_) => {
            error = Some("Choose a severity from the list.".to_owned());
            None
        }
    };
    let mut advisory_query = AdvisoryQuery::default();
    if let Some(path) = project.as_deref().and_then(|p| p.parse::<ProjectPath>().ok()) {
        advisory_query.org = Some(path.org);
        advisory_query.project = Some(path.project);
    } else if project.is_some() {
        error = Some("Choose a project from the list.".to_owned());
    }
    let listed = match state.app.advisories(&viewer.actor, &advisory_query).await {
        Ok(list) => list,
        Err(embargo_app::AppError::NotFound) => {
            error = Some("Choose a project from the list.".to_owned());
            Vec::new()
        }
        Err(e) => return Err(e.into()),
    };
    let rows = listed
        .iter()
        .filter(|a| level.is_none() || a.published.as_ref().and_then(|r| r.content.severity.level()) == level)
        .filter_map(AdvisoryRow::new)
        .collect();
    let mut projects = Vec::new();
    for org in state.app.organisations().await? {
        for p in state.app.projects(Some(&org.slug)).await? {
            let link = ProjectLink::new(&org, &p);
            let selected = project.as_deref() == Some(link.key.as_str());
            projects.push((link.key, format!("{} — {}", link.org_name, link.name), selected));
        }
    }
    let severities = SeverityLevel::ALL
        .iter()
        .rev()
        .map(|l| (l.as_str().to_owned(), Badge::severity(*l).label, Some(*l) == level))
        .collect();
    let page = AdvisoriesPage {
        nav: viewer.nav(false),
        rows,
        projects,
        severities,
        filtered: project.is_some() || severity.is_some(),
        error,
    };
    Ok(html(&page))
}

/// One affected package as a table row.
pub(crate) struct AffectedRow {
    pub(crate) package: String,
    pub(crate) ecosystem: String,
    pub(crate) affected: Vec<String>,
    pub(crate) fixed: Vec<String>,
}

fn affected_rows(content: &AdvisoryContent) -> Vec<AffectedRow> {
    content
        .affected
        .iter()
        .map(|a| {
            let mut affected = Vec::new();
            let mut fixed = Vec::new();
            for range in &a.ranges {
                let mut parts: Vec<String> = Vec::new();
                for event in &range.events {
                    match event {
                        RangeEvent::Introduced(v) if v == "0" => parts.push("all versions".to_owned()),
                        RangeEvent::Introduced(v) => parts.push(format!("from {v}")),
                        RangeEvent::Fixed(v) => {
                            parts.push(format!("before {v}"));
                            fixed.push(v.clone());
                        }
                        RangeEvent::LastAffected(v) => parts.push(format!("up to and including {v}")),
                        RangeEvent::Limit(v) => parts.push(format!("before {v} (limit)")),
                    }
                }
                let mut text = parts.join(" ");
                if let Some(repo) = &range.repo {
                    text.push_str(&format!(" in {repo}"));
                }
                affected.push(text);
            }
            if !a.versions.is_empty() {
                affected.push(format!("versions {}", a.versions.join(", ")));
            }
            let (package, ecosystem) = match &a.package {
                Some(p) => (p.name.clone(), p.ecosystem.clone()),
                None => {
                    let repo = a.ranges.iter().find_map(|r| r.repo.clone()).unwrap_or_default();
                    (repo, "Git".to_owned())
                }
            };
            AffectedRow { package, ecosystem, affected, fixed }
        })
        .collect()
}

/// Where an alias is described: CVE ids at cve.org, GHSA ids at GitHub; others nowhere we know.
fn alias_url(alias: &embargo_core::id::AliasId) -> String {
    if let Some(cve) = alias.cve() {
        format!("https://www.cve.org/CVERecord?id={cve}")
    } else if alias.as_str().starts_with("GHSA-") {
        format!("https://github.com/advisories/{alias}")
    } else {
        String::new()
    }
}

/// An advisory's content as shown.
pub(crate) struct AdvisoryBody {
    pub(crate) summary: String,
    pub(crate) details: String,
    pub(crate) affected: Vec<AffectedRow>,
    pub(crate) severity: Vec<CvssView>,
    pub(crate) level: Option<Badge>,
    pub(crate) cwes: Vec<(String, String, String)>,
    pub(crate) aliases: Vec<(String, String)>,
    pub(crate) credits: Vec<(String, String)>,
    pub(crate) references: Vec<(String, String)>,
    /// The fix strategy's kinds in words (`Patch and mitigation`), when the team named some.
    pub(crate) fix_kinds: Option<String>,
    /// What users do, one sentence per kind of fix (empty when the team said nothing).
    pub(crate) fix_steps: Vec<String>,
    /// The team's own words on the fix, as sanitised HTML (empty when none).
    pub(crate) fix_text: String,
}

impl AdvisoryBody {
    /// Whether any affected package lists a fixed version.
    pub(crate) fn has_fix(&self) -> bool {
        self.affected.iter().any(|a| !a.fixed.is_empty())
    }

    /// The view of some content (published or a draft being previewed).
    pub(crate) fn new(content: &AdvisoryContent) -> Self {
        let severity =
            content.severity.cvss_v4.iter().chain(content.severity.cvss_v3.iter()).map(CvssView::new).collect();
        AdvisoryBody {
            summary: content.summary.clone(),
            details: markdown(&content.details),
            affected: affected_rows(content),
            severity,
            level: content.severity.level().map(Badge::severity),
            cwes: content
                .cwes
                .iter()
                .map(|c| {
                    let url = format!("https://cwe.mitre.org/data/definitions/{}.html", c.number());
                    (c.to_string(), url, embargo_core::cwe::name(*c).unwrap_or_default().to_owned())
                })
                .collect(),
            aliases: content.aliases.iter().map(|a| (a.to_string(), alias_url(a))).collect(),
            credits: content.credits.iter().map(|c| (c.name.clone(), c.kind.label().to_owned())).collect(),
            references: content.references.iter().map(|r| (r.kind.label().to_owned(), r.url.clone())).collect(),
            fix_kinds: content.fix.kinds_sentence(),
            fix_steps: if content.fix.kinds.is_empty() {
                Vec::new()
            } else {
                let upgrade = if affected_rows(content).iter().any(|a| !a.fixed.is_empty()) {
                    "Upgrade to a fixed version listed above."
                } else {
                    "No fixed version is listed yet."
                };
                content.fix.steps(upgrade)
            },
            fix_text: if content.fix.text.is_empty() { String::new() } else { markdown(&content.fix.text) },
        }
    }
}

#[derive(askama::Template)]
#[template(path = "advisory.html")]
struct AdvisoryPage {
    nav: Nav,
    id: String,
    project: ProjectLink,
    state: Badge,
    published: Option<String>,
    revision: u32,
    withdrawn: Option<String>,
    notice: Option<&'static str>,
    draft: bool,
    editable: bool,
    body: AdvisoryBody,
    machine: Vec<(String, String)>,
}

/// `GET /advisories/{id}`: a published advisory (the team also sees its draft here, marked).
pub(crate) async fn advisory(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let view = state.app.advisory(&viewer.actor, &crate::extract::advisory_id(&id)?).await?;
    let editable = view.draft.is_some();
    let (content, draft) = match (&view.published, &view.draft) {
        (Some(revision), _) => (&revision.content, false),
        (None, Some(draft)) => (draft, true),
        (None, None) => return Err(PageError::not_found()),
    };
    let page = AdvisoryPage {
        nav: viewer.nav(draft),
        id: view.id.to_string(),
        project: ProjectLink::new(&view.org, &view.project),
        state: Badge::advisory(view.state),
        published: view.first_published_at.map(render::day),
        revision: view.published.as_ref().map_or(0, |r| r.number),
        withdrawn: view.withdrawn_at.map(render::day),
        notice: content.informational().map(|i| i.label()),
        draft,
        editable,
        body: AdvisoryBody::new(content),
        machine: if draft { Vec::new() } else { machine_links(&view) },
    };
    let mut response = html(&page);
    // For the public cache's revalidation (`public_cache.rs`): the newest
    // published revision or the withdrawal; a draft has none.
    let changed = view.published.as_ref().map(|r| view.withdrawn_at.map_or(r.published_at, |w| w.max(r.published_at)));
    if !draft && let Some((name, value)) = changed.and_then(crate::published::last_modified) {
        response.headers_mut().insert(name, value);
    }
    Ok(response)
}

/// The machine-readable forms of a published advisory.
fn machine_links(view: &AdvisoryView) -> Vec<(String, String)> {
    let mut links = vec![("OSV JSON".to_owned(), format!("/osv/v1/vulns/{}", view.id))];
    if let Some(published) = view.first_published_at {
        let path = embargo_formats::csaf::file_path_of(&view.id, published);
        links.push(("CSAF 2.0".to_owned(), format!("/.well-known/csaf/{}/{path}", embargo_formats::csaf::WHITE_DIR)));
        if view.withdrawn_at.is_none() {
            let vex = format!("{}-vex.json", path.trim_end_matches(".json"));
            links
                .push(("CSAF VEX".to_owned(), format!("/.well-known/csaf/{}/{vex}", embargo_formats::csaf::WHITE_DIR)));
            links.push((
                "OpenVEX".to_owned(),
                format!("/.well-known/csaf/{}/{path}", embargo_formats::vex::OPENVEX_DIR),
            ));
        }
    }
    links.push(("Embargo API (JSON)".to_owned(), format!("/api/v1/advisories/{}", view.id)));
    links.push(("Atom feed of all advisories".to_owned(), "/advisories/feed.atom".to_owned()));
    links
}
