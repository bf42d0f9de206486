//! Advisories: drafted from a report, edited and published by the team;
//! the public sees published revisions only. Content follows OSV's shape.

use axum::extract::State;
use axum::http::StatusCode;
use embargo_app::{AdvisoryPatch, AdvisoryQuery, AdvisoryView, AffectedInput, RangeInput};
use embargo_core::advisory::{AdvisoryContent, RangeEvent, Revision};
use embargo_core::text::Slug;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::{IntoParams, ToSchema};

use super::json::ProjectRef;
use super::reports::CvssJson;
use crate::AppState;
use crate::error::{ApiError, ErrorBody};
use crate::extract::{CurrentActor, Json, Path, Query, double_option};

/// An affected package (OSV `affected[].package`).
#[derive(Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct PackageRef {
    /// The OSV ecosystem.
    ecosystem: String,
    /// The package name.
    name: String,
}

/// One range event: exactly one of the fields (OSV `ranges[].events[]`).
#[derive(Serialize, Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub(crate) struct EventJson {
    /// Affected from this version (`"0"`: from the start).
    #[serde(skip_serializing_if = "Option::is_none")]
    introduced: Option<String>,
    /// Fixed in this version.
    #[serde(skip_serializing_if = "Option::is_none")]
    fixed: Option<String>,
    /// The last affected version.
    #[serde(skip_serializing_if = "Option::is_none")]
    last_affected: Option<String>,
    /// An upper limit (git branches).
    #[serde(skip_serializing_if = "Option::is_none")]
    limit: Option<String>,
}

/// A version range (OSV `ranges[]`).
#[derive(Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct RangeJson {
    /// `SEMVER`, `ECOSYSTEM` or `GIT`.
    #[serde(rename = "type")]
    kind: String,
    /// The repository, for `GIT`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    repo: Option<String>,
    /// The events, in order.
    events: Vec<EventJson>,
}

/// An affected package with its versions (OSV `affected[]`).
#[derive(Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct AffectedJson {
    /// The package; absent for an entry with `GIT` ranges only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    package: Option<PackageRef>,
    /// Version ranges.
    #[serde(default)]
    ranges: Vec<RangeJson>,
    /// Versions one by one.
    #[serde(default)]
    versions: Vec<String>,
}

/// A reference (OSV `references[]`).
#[derive(Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ReferenceJson {
    /// `ADVISORY`, `ARTICLE`, `FIX`, `REPORT`, `WEB`, ...
    #[serde(rename = "type")]
    kind: String,
    /// An http(s) URL.
    url: String,
}

/// A credit (OSV `credits[]`).
#[derive(Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct CreditJson {
    /// The name to print.
    name: String,
    /// `FINDER`, `REPORTER`, `REMEDIATION_DEVELOPER`, ...
    #[serde(rename = "type")]
    kind: String,
    /// Public ways to reach them.
    #[serde(default)]
    contact: Vec<String>,
}

/// The team's severity.
#[derive(Serialize, ToSchema)]
pub(crate) struct SeverityJson {
    /// CVSS 3.x.
    cvss_v3: Option<CvssJson>,
    /// CVSS 4.0.
    cvss_v4: Option<CvssJson>,
}

/// What an advisory says.
#[derive(Serialize, ToSchema)]
pub(crate) struct ContentJson {
    /// One line.
    summary: String,
    /// Markdown.
    details: String,
    /// Other ids of the vulnerability (CVE, GHSA, ...).
    aliases: Vec<String>,
    /// Affected packages.
    affected: Vec<AffectedJson>,
    /// The team's severity.
    severity: SeverityJson,
    /// CWE ids.
    cwes: Vec<String>,
    /// Links.
    references: Vec<ReferenceJson>,
    /// Credits.
    credits: Vec<CreditJson>,
    /// How the risk is removed.
    fix: FixJson,
}

/// An advisory's fix strategy.
#[derive(Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct FixJson {
    /// Any of `patch`, `dependency-update`, `mitigation` (none: the team has not said; read as "upgrade").
    #[serde(default)]
    #[schema(example = json!(["dependency-update", "mitigation"]))]
    kinds: Vec<String>,
    /// What users should do, in the team's words (Markdown).
    #[serde(default)]
    text: String,
}

/// A published revision.
#[derive(Serialize, ToSchema)]
pub(crate) struct RevisionJson {
    /// 1 for the first publication.
    number: u32,
    /// When.
    #[serde(with = "time::serde::rfc3339")]
    published_at: OffsetDateTime,
    /// What was published.
    content: ContentJson,
}

/// An advisory as the caller may see it.
#[derive(Serialize, ToSchema)]
pub(crate) struct AdvisoryJson {
    /// `PREFIX-YEAR-N`.
    id: String,
    /// Where it belongs.
    project: ProjectRef,
    /// `draft`, `published` or `withdrawn`.
    state: String,
    /// The latest published revision: what the public sees.
    published: Option<RevisionJson>,
    /// The working copy (team only).
    #[serde(skip_serializing_if = "Option::is_none")]
    draft: Option<ContentJson>,
    /// The report it came from (team only).
    #[serde(skip_serializing_if = "Option::is_none")]
    report: Option<String>,
    /// When first published.
    #[serde(with = "time::serde::rfc3339::option")]
    first_published_at: Option<OffsetDateTime>,
    /// When withdrawn.
    #[serde(with = "time::serde::rfc3339::option")]
    withdrawn_at: Option<OffsetDateTime>,
    /// What the policy says about CVE ids and fixes for the report's affected lines (team only).
    #[serde(skip_serializing_if = "Option::is_none")]
    eligibility: Option<super::reports::EligibilityJson>,
    /// Its operations in CVE Services (reserve, publish, update, reject) with their outcomes, newest first (team only).
    #[serde(skip_serializing_if = "Option::is_none")]
    cve_services: Option<Vec<super::cve_services::CveOperationJson>>,
}

/// Changes to the working copy; absent fields stay, `null` clears a vector.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct AdvisoryPatchRequest {
    /// One line.
    summary: Option<String>,
    /// Markdown.
    details: Option<String>,
    /// CVE ids.
    aliases: Option<Vec<String>>,
    /// Affected packages.
    affected: Option<Vec<AffectedJson>>,
    /// A CVSS 3.x vector.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>, nullable)]
    cvss_v3: Option<Option<String>>,
    /// A CVSS 4.0 vector.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>, nullable)]
    cvss_v4: Option<Option<String>>,
    /// CWE ids.
    cwes: Option<Vec<String>>,
    /// Links.
    references: Option<Vec<ReferenceJson>>,
    /// Credits.
    credits: Option<Vec<CreditJson>>,
    /// The fix strategy (replaces the kinds and text).
    fix: Option<FixJson>,
}

/// Which advisories to list.
#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub(crate) struct AdvisoryListQuery {
    /// Only this organisation's.
    #[param(value_type = Option<String>, pattern = r"^[a-z0-9]([a-z0-9-]{0,38}[a-z0-9])?$")]
    org: Option<Slug>,
    /// Only this project's, with `org` (a project is named within its organisation: without `org`, 404).
    #[param(value_type = Option<String>, pattern = r"^[a-z0-9]([a-z0-9-]{0,38}[a-z0-9])?$")]
    project: Option<Slug>,
}

fn event_json(e: &RangeEvent) -> EventJson {
    match e {
        RangeEvent::Introduced(v) => EventJson { introduced: Some(v.clone()), ..EventJson::default() },
        RangeEvent::Fixed(v) => EventJson { fixed: Some(v.clone()), ..EventJson::default() },
        RangeEvent::LastAffected(v) => EventJson { last_affected: Some(v.clone()), ..EventJson::default() },
        RangeEvent::Limit(v) => EventJson { limit: Some(v.clone()), ..EventJson::default() },
    }
}

fn content_json(c: &AdvisoryContent) -> ContentJson {
    ContentJson {
        summary: c.summary.clone(),
        details: c.details.clone(),
        aliases: c.aliases.iter().map(ToString::to_string).collect(),
        affected: c
            .affected
            .iter()
            .map(|a| AffectedJson {
                package: a
                    .package
                    .as_ref()
                    .map(|p| PackageRef { ecosystem: p.ecosystem.clone(), name: p.name.clone() }),
                ranges: a
                    .ranges
                    .iter()
                    .map(|r| RangeJson {
                        kind: r.kind.as_str().to_owned(),
                        repo: r.repo.clone(),
                        events: r.events.iter().map(event_json).collect(),
                    })
                    .collect(),
                versions: a.versions.clone(),
            })
            .collect(),
        severity: SeverityJson {
            cvss_v3: c.severity.cvss_v3.as_ref().map(CvssJson::from),
            cvss_v4: c.severity.cvss_v4.as_ref().map(CvssJson::from),
        },
        cwes: c.cwes.iter().map(ToString::to_string).collect(),
        references: c
            .references
            .iter()
            .map(|r| ReferenceJson { kind: r.kind.as_str().to_owned(), url: r.url.clone() })
            .collect(),
        credits: c
            .credits
            .iter()
            .map(|cr| CreditJson {
                name: cr.name.clone(),
                kind: cr.kind.as_str().to_owned(),
                contact: cr.contact.clone(),
            })
            .collect(),
        fix: FixJson { kinds: c.fix.kinds.iter().map(|k| k.as_str().to_owned()).collect(), text: c.fix.text.clone() },
    }
}

fn revision_json(r: &Revision) -> RevisionJson {
    RevisionJson { number: r.number, published_at: r.published_at, content: content_json(&r.content) }
}

pub(crate) fn advisory_json(v: &AdvisoryView) -> AdvisoryJson {
    AdvisoryJson {
        id: v.id.to_string(),
        project: ProjectRef::new(&v.org, &v.project),
        state: v.state.as_str().to_owned(),
        published: v.published.as_ref().map(revision_json),
        draft: v.draft.as_ref().map(content_json),
        report: v.report_id.map(|r| r.to_string()),
        first_published_at: v.first_published_at,
        withdrawn_at: v.withdrawn_at,
        eligibility: v.eligibility.as_ref().map(super::reports::eligibility_json),
        cve_services: v
            .draft
            .as_ref()
            .map(|_| v.cve_operations.iter().map(super::cve_services::CveOperationJson::from).collect()),
    }
}

fn event_input(e: EventJson) -> Result<(String, String), ApiError> {
    let set =
        [("introduced", e.introduced), ("fixed", e.fixed), ("last_affected", e.last_affected), ("limit", e.limit)];
    let mut given = set.into_iter().filter_map(|(name, v)| v.map(|v| (name.to_owned(), v)));
    match (given.next(), given.next()) {
        (Some(event), None) => Ok(event),
        _ => Err(ApiError::from(embargo_app::AppError::invalid(
            "affected",
            "each range event has exactly one of introduced, fixed, last_affected, limit",
        ))),
    }
}

fn affected_input(a: AffectedJson) -> Result<AffectedInput, ApiError> {
    Ok(AffectedInput {
        package: a.package.map(|p| (p.ecosystem, p.name)),
        ranges: a
            .ranges
            .into_iter()
            .map(|r| {
                Ok(RangeInput {
                    kind: r.kind,
                    repo: r.repo,
                    events: r.events.into_iter().map(event_input).collect::<Result<_, ApiError>>()?,
                })
            })
            .collect::<Result<_, ApiError>>()?,
        versions: a.versions,
    })
}

/// Drafts an advisory from an accepted report (the report's team only).
#[utoipa::path(
    post,
    path = "/api/v1/reports/{id}/advisory",
    tag = "advisories",
    params(("id" = String, Path, description = "The report's id")),
    security(("session" = []), ("bearer" = [])),
    responses(
        (status = 201, body = AdvisoryJson),
        (status = 404, body = ErrorBody),
        (status = 409, description = "The report is not accepted, or has an advisory", body = ErrorBody)
    )
)]
pub(crate) async fn draft_advisory(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    Path(id): Path<String>,
) -> Result<(StatusCode, axum::Json<AdvisoryJson>), ApiError> {
    let view = state.app.draft_advisory(&actor, crate::extract::report_id(&id)?).await?;
    Ok((StatusCode::CREATED, axum::Json(advisory_json(&view))))
}

/// Published advisories, newest first; a team member also gets the drafts of
/// their projects.
#[utoipa::path(
    get,
    path = "/api/v1/advisories",
    tag = "advisories",
    params(AdvisoryListQuery),
    responses((status = 200, body = [AdvisoryJson]), (status = 404, body = ErrorBody))
)]
pub(crate) async fn list_advisories(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    Query(query): Query<AdvisoryListQuery>,
) -> Result<axum::Json<Vec<AdvisoryJson>>, ApiError> {
    let views = state.app.advisories(&actor, &AdvisoryQuery { org: query.org, project: query.project }).await?;
    Ok(axum::Json(views.iter().map(advisory_json).collect()))
}

/// One advisory: a draft only for its team, else the published revision.
#[utoipa::path(
    get,
    path = "/api/v1/advisories/{id}",
    tag = "advisories",
    params(("id" = String, Path)),
    responses((status = 200, body = AdvisoryJson), (status = 404, body = ErrorBody))
)]
pub(crate) async fn get_advisory(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    Path(id): Path<String>,
) -> Result<axum::Json<AdvisoryJson>, ApiError> {
    Ok(axum::Json(advisory_json(&state.app.advisory(&actor, &crate::extract::advisory_id(&id)?).await?)))
}

/// Edits the working copy (the project's team).
#[utoipa::path(
    patch,
    path = "/api/v1/advisories/{id}",
    tag = "advisories",
    params(("id" = String, Path)),
    security(("session" = []), ("bearer" = [])),
    request_body = AdvisoryPatchRequest,
    responses(
        (status = 200, body = AdvisoryJson),
        (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody),
        (status = 422, body = ErrorBody)
    )
)]
pub(crate) async fn update_advisory(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    Path(id): Path<String>,
    Json(body): Json<AdvisoryPatchRequest>,
) -> Result<axum::Json<AdvisoryJson>, ApiError> {
    let patch = AdvisoryPatch {
        summary: body.summary,
        details: body.details,
        aliases: body.aliases,
        affected: body.affected.map(|list| list.into_iter().map(affected_input).collect()).transpose()?,
        cvss_v3: body.cvss_v3,
        cvss_v4: body.cvss_v4,
        cwes: body.cwes,
        references: body.references.map(|list| list.into_iter().map(|r| (r.kind, r.url)).collect()),
        credits: body.credits.map(|list| list.into_iter().map(|c| (c.name, c.kind, c.contact)).collect()),
        fix_kinds: body.fix.as_ref().map(|f| f.kinds.clone()),
        fix_text: body.fix.map(|f| f.text),
    };
    Ok(axum::Json(advisory_json(&state.app.update_advisory(&actor, &crate::extract::advisory_id(&id)?, patch).await?)))
}

/// Publishes the working copy as a new revision; its report becomes disclosed.
#[utoipa::path(
    post,
    path = "/api/v1/advisories/{id}/publish",
    tag = "advisories",
    params(("id" = String, Path)),
    security(("session" = []), ("bearer" = [])),
    responses(
        (status = 200, body = AdvisoryJson),
        (status = 404, body = ErrorBody),
        (status = 409, description = "The report is not accepted or not fixed, or nothing changed", body = ErrorBody),
        (status = 422, description = "A required part is missing", body = ErrorBody)
    )
)]
pub(crate) async fn publish_advisory(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    Path(id): Path<String>,
) -> Result<axum::Json<AdvisoryJson>, ApiError> {
    Ok(axum::Json(advisory_json(&state.app.publish_advisory(&actor, &crate::extract::advisory_id(&id)?).await?)))
}

/// Withdraws a published advisory: it stays public, marked withdrawn, and
/// scanners stop matching it. A draft cannot be withdrawn, only left unpublished.
#[utoipa::path(
    post,
    path = "/api/v1/advisories/{id}/withdraw",
    tag = "advisories",
    params(("id" = String, Path)),
    security(("session" = []), ("bearer" = [])),
    responses(
        (status = 200, body = AdvisoryJson),
        (status = 401, description = "Sign in or present a token", body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 409, description = "The advisory is a draft or already withdrawn", body = ErrorBody)
    )
)]
pub(crate) async fn withdraw_advisory(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    Path(id): Path<String>,
) -> Result<axum::Json<AdvisoryJson>, ApiError> {
    Ok(axum::Json(advisory_json(&state.app.withdraw_advisory(&actor, &crate::extract::advisory_id(&id)?).await?)))
}

/// Takes the next CVE id from the organisation's pool (CNA mode `id-pool`) for
/// an advisory whose report the policy makes CVE-eligible; it becomes an alias.
#[utoipa::path(
    post,
    path = "/api/v1/advisories/{id}/cve",
    tag = "advisories",
    params(("id" = String, Path)),
    security(("session" = []), ("bearer" = [])),
    responses(
        (status = 200, body = AdvisoryJson),
        (status = 404, body = ErrorBody),
        (status = 409, description = "Not eligible, not an id-pool or cve-services CNA, the pool is used up, no CVE Services credentials, or a CVE is set", body = ErrorBody)
    )
)]
pub(crate) async fn assign_cve(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    Path(id): Path<String>,
) -> Result<axum::Json<AdvisoryJson>, ApiError> {
    Ok(axum::Json(advisory_json(&state.app.assign_cve(&actor, &crate::extract::advisory_id(&id)?).await?)))
}

/// A release line the team stated not affected (VEX).
#[derive(Serialize, ToSchema)]
pub(crate) struct NotAffectedJson {
    /// The release line.
    line: String,
    /// OpenVEX's justification.
    #[schema(example = "vulnerable_code_not_present")]
    justification: String,
    /// More words on why, if given.
    impact: Option<String>,
    /// When it was stated.
    #[serde(with = "time::serde::rfc3339")]
    stated_at: OffsetDateTime,
}

fn not_affected_json(list: Vec<embargo_core::vex::NotAffected>) -> Vec<NotAffectedJson> {
    list.into_iter()
        .map(|n| NotAffectedJson {
            line: n.line,
            justification: n.justification.as_str().to_owned(),
            impact: n.impact,
            stated_at: n.stated_at,
        })
        .collect()
}

/// Why a release line is not affected.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct NotAffectedRequest {
    /// One of OpenVEX's: `component_not_present`, `vulnerable_code_not_present`,
    /// `vulnerable_code_not_in_execute_path`, `vulnerable_code_cannot_be_controlled_by_adversary`,
    /// `inline_mitigations_already_exist`.
    justification: String,
    /// More words on why (at most 2,000 characters).
    impact: Option<String>,
}

/// States a release line of the advisory's project not affected (VEX; the
/// project's team). The advisory's CSAF VEX and OpenVEX documents carry it.
#[utoipa::path(
    put,
    path = "/api/v1/advisories/{id}/vex/{line}",
    tag = "advisories",
    params(("id" = String, Path), ("line" = String, Path, description = "A release line of the project")),
    security(("session" = []), ("bearer" = [])),
    request_body = NotAffectedRequest,
    responses(
        (status = 200, description = "Every statement on the advisory", body = Vec<NotAffectedJson>),
        (status = 401, description = "Sign in or present a token", body = ErrorBody),
        (status = 403, description = "Not on the project's team", body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 422, description = "Unknown line or justification, or the advisory is withdrawn", body = ErrorBody)
    )
)]
pub(crate) async fn state_not_affected(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    Path((id, line)): Path<(String, String)>,
    Json(body): Json<NotAffectedRequest>,
) -> Result<axum::Json<Vec<NotAffectedJson>>, ApiError> {
    let input = embargo_app::NotAffectedInput { line, justification: body.justification, impact: body.impact };
    let list = state.app.state_not_affected(&actor, &crate::extract::advisory_id(&id)?, input).await?;
    Ok(axum::Json(not_affected_json(list)))
}

/// Takes back a "not affected" statement (the project's team).
#[utoipa::path(
    delete,
    path = "/api/v1/advisories/{id}/vex/{line}",
    tag = "advisories",
    params(("id" = String, Path), ("line" = String, Path)),
    security(("session" = []), ("bearer" = [])),
    responses(
        (status = 200, description = "The statements that remain", body = Vec<NotAffectedJson>),
        (status = 401, description = "Sign in or present a token", body = ErrorBody),
        (status = 403, description = "Not on the project's team", body = ErrorBody),
        (status = 404, description = "No such advisory, or nothing stated for the line", body = ErrorBody)
    )
)]
pub(crate) async fn take_back_not_affected(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    Path((id, line)): Path<(String, String)>,
) -> Result<axum::Json<Vec<NotAffectedJson>>, ApiError> {
    let list = state.app.take_back_not_affected(&actor, &crate::extract::advisory_id(&id)?, &line).await?;
    Ok(axum::Json(not_affected_json(list)))
}
