//! Organisations, projects, security teams and release lines.

use axum::extract::State;
use axum::http::StatusCode;
use embargo_app::{NewOrganisation, NewProject, OrganisationPatch, ProjectPatch, ReleaseLineInput, TeamRef};
use embargo_core::id::UserId;
use embargo_core::organisation::Organisation;
use embargo_core::project::{Project, ReleaseLine};
use embargo_core::text::Slug;
use embargo_store::organisations::Member;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::ToSchema;

use super::json::{UserJson, iso_date};
use crate::AppState;
use crate::error::{ApiError, ErrorBody};
use crate::extract::{CurrentActor, Json, Path, double_option};

/// An organisation.
#[derive(Serialize, ToSchema)]
pub(crate) struct OrganisationJson {
    /// Its URL name.
    slug: String,
    /// Its display name.
    name: String,
    /// The prefix of its advisory ids.
    advisory_prefix: String,
    /// When it was made.
    #[serde(with = "time::serde::rfc3339")]
    created_at: OffsetDateTime,
}

impl From<&Organisation> for OrganisationJson {
    fn from(o: &Organisation) -> Self {
        OrganisationJson {
            slug: o.slug.to_string(),
            name: o.name.clone(),
            advisory_prefix: o.advisory_prefix.to_string(),
            created_at: o.created_at,
        }
    }
}

/// A package a project ships (OSV `affected[].package`).
#[derive(Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct PackageJson {
    /// The OSV ecosystem (`PyPI`, `crates.io`, `npm`, ...).
    ecosystem: String,
    /// The package name.
    name: String,
}

/// A project.
#[derive(Serialize, ToSchema)]
pub(crate) struct ProjectJson {
    /// The organisation's slug.
    organisation: String,
    /// Its URL name.
    slug: String,
    /// Its display name.
    name: String,
    /// Where its source lives.
    repository_url: Option<String>,
    /// The packages it ships.
    packages: Vec<PackageJson>,
    /// When it was made.
    #[serde(with = "time::serde::rfc3339")]
    created_at: OffsetDateTime,
}

pub(crate) fn project_json(org: &Slug, p: &Project) -> ProjectJson {
    ProjectJson {
        organisation: org.to_string(),
        slug: p.slug.to_string(),
        name: p.name.clone(),
        repository_url: p.repository_url.clone(),
        packages: p
            .packages
            .iter()
            .map(|k| PackageJson { ecosystem: k.ecosystem.clone(), name: k.name.clone() })
            .collect(),
        created_at: p.created_at,
    }
}

/// A security-team member.
#[derive(Serialize, ToSchema)]
pub(crate) struct MemberJson {
    /// The account.
    user: UserJson,
    /// Since when.
    #[serde(with = "time::serde::rfc3339")]
    since: OffsetDateTime,
}

impl From<&Member> for MemberJson {
    fn from(m: &Member) -> Self {
        MemberJson { user: UserJson::from(&m.user), since: m.since }
    }
}

/// A release line.
#[derive(Serialize, ToSchema)]
pub(crate) struct ReleaseLineJson {
    /// Its name (`3.13`, `2.x`, `main`).
    name: String,
    /// `feature`, `prerelease`, `bugfix`, `security` or `end-of-life`.
    status: String,
    /// First release.
    #[serde(with = "iso_date::option")]
    #[schema(value_type = Option<String>, format = Date)]
    released_on: Option<time::Date>,
    /// End of support.
    #[serde(with = "iso_date::option")]
    #[schema(value_type = Option<String>, format = Date)]
    end_of_life_on: Option<time::Date>,
}

impl From<&ReleaseLine> for ReleaseLineJson {
    fn from(l: &ReleaseLine) -> Self {
        ReleaseLineJson {
            name: l.name.to_string(),
            status: l.status.as_str().to_owned(),
            released_on: l.released_on,
            end_of_life_on: l.end_of_life_on,
        }
    }
}

/// A new organisation.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct OrganisationRequest {
    /// URL name: lower-case letters, digits, hyphens.
    slug: String,
    /// Display name.
    name: String,
    /// Advisory id prefix (default: from the slug).
    advisory_prefix: Option<String>,
}

/// Changes to an organisation.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct OrganisationPatchRequest {
    /// New display name.
    name: Option<String>,
    /// New advisory id prefix.
    advisory_prefix: Option<String>,
}

/// A new project.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ProjectRequest {
    /// URL name within the organisation.
    slug: String,
    /// Display name.
    name: String,
    /// Where its source lives.
    repository_url: Option<String>,
    /// The packages it ships.
    #[serde(default)]
    packages: Vec<PackageJson>,
}

/// Changes to a project.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ProjectPatchRequest {
    /// New display name.
    name: Option<String>,
    /// New repository URL; `null` removes it.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>, nullable)]
    repository_url: Option<Option<String>>,
    /// The new list of packages.
    packages: Option<Vec<PackageJson>>,
}

/// Adds a member by address.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct MemberRequest {
    /// The address of an existing account.
    email: String,
}

/// A release line's status and dates.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ReleaseLineRequest {
    /// `feature`, `prerelease`, `bugfix`, `security` or `end-of-life`.
    status: String,
    /// First release (`YYYY-MM-DD`).
    #[serde(default, with = "iso_date::option")]
    #[schema(value_type = Option<String>, format = Date)]
    released_on: Option<time::Date>,
    /// End of support (`YYYY-MM-DD`).
    #[serde(default, with = "iso_date::option")]
    #[schema(value_type = Option<String>, format = Date)]
    end_of_life_on: Option<time::Date>,
}

fn packages(list: Vec<PackageJson>) -> Vec<(String, String)> {
    list.into_iter().map(|p| (p.ecosystem, p.name)).collect()
}

fn parse_user(id: &str) -> Result<UserId, ApiError> {
    id.parse().map_err(|_| ApiError::not_found())
}

/// Every organisation.
#[utoipa::path(get, path = "/api/v1/orgs", tag = "organisations", responses((status = 200, body = [OrganisationJson])))]
pub(crate) async fn list_organisations(
    State(state): State<AppState>,
) -> Result<axum::Json<Vec<OrganisationJson>>, ApiError> {
    Ok(axum::Json(state.app.organisations().await?.iter().map(OrganisationJson::from).collect()))
}

/// Creates an organisation (administrators).
#[utoipa::path(
    post,
    path = "/api/v1/orgs",
    tag = "organisations",
    security(("session" = []), ("bearer" = [])),
    request_body = OrganisationRequest,
    responses(
        (status = 201, body = OrganisationJson),
        (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody),
        (status = 409, body = ErrorBody),
        (status = 422, body = ErrorBody)
    )
)]
pub(crate) async fn create_organisation(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    Json(body): Json<OrganisationRequest>,
) -> Result<(StatusCode, axum::Json<OrganisationJson>), ApiError> {
    let new = NewOrganisation { slug: body.slug, name: body.name, advisory_prefix: body.advisory_prefix };
    let org = state.app.create_organisation(&actor, new).await?;
    Ok((StatusCode::CREATED, axum::Json(OrganisationJson::from(&org))))
}

/// One organisation.
#[utoipa::path(
    get,
    path = "/api/v1/orgs/{org}",
    tag = "organisations",
    params(("org" = String, Path)),
    responses((status = 200, body = OrganisationJson), (status = 404, body = ErrorBody))
)]
pub(crate) async fn get_organisation(
    State(state): State<AppState>,
    Path(org): Path<Slug>,
) -> Result<axum::Json<OrganisationJson>, ApiError> {
    Ok(axum::Json(OrganisationJson::from(&state.app.organisation(&org).await?)))
}

/// Changes an organisation (administrators and its team).
#[utoipa::path(
    patch,
    path = "/api/v1/orgs/{org}",
    tag = "organisations",
    params(("org" = String, Path)),
    security(("session" = []), ("bearer" = [])),
    request_body = OrganisationPatchRequest,
    responses((status = 200, body = OrganisationJson), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody))
)]
pub(crate) async fn update_organisation(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    Path(org): Path<Slug>,
    Json(body): Json<OrganisationPatchRequest>,
) -> Result<axum::Json<OrganisationJson>, ApiError> {
    let patch = OrganisationPatch { name: body.name, advisory_prefix: body.advisory_prefix };
    Ok(axum::Json(OrganisationJson::from(&state.app.update_organisation(&actor, &org, patch).await?)))
}

/// An organisation's projects.
#[utoipa::path(
    get,
    path = "/api/v1/orgs/{org}/projects",
    tag = "organisations",
    params(("org" = String, Path)),
    responses((status = 200, body = [ProjectJson]), (status = 404, body = ErrorBody))
)]
pub(crate) async fn list_projects(
    State(state): State<AppState>,
    Path(org): Path<Slug>,
) -> Result<axum::Json<Vec<ProjectJson>>, ApiError> {
    let projects = state.app.projects(Some(&org)).await?;
    Ok(axum::Json(projects.iter().map(|p| project_json(&org, p)).collect()))
}

/// Creates a project (administrators and the organisation's team).
#[utoipa::path(
    post,
    path = "/api/v1/orgs/{org}/projects",
    tag = "organisations",
    params(("org" = String, Path)),
    security(("session" = []), ("bearer" = [])),
    request_body = ProjectRequest,
    responses(
        (status = 201, body = ProjectJson),
        (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody),
        (status = 422, body = ErrorBody)
    )
)]
pub(crate) async fn create_project(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    Path(org): Path<Slug>,
    Json(body): Json<ProjectRequest>,
) -> Result<(StatusCode, axum::Json<ProjectJson>), ApiError> {
    let new = NewProject {
        slug: body.slug,
        name: body.name,
        repository_url: body.repository_url,
        packages: packages(body.packages),
    };
    let project = state.app.create_project(&actor, &org, new).await?;
    Ok((StatusCode::CREATED, axum::Json(project_json(&org, &project))))
}

/// The organisation's security team (administrators and that team).
#[utoipa::path(
    get,
    path = "/api/v1/orgs/{org}/members",
    tag = "organisations",
    params(("org" = String, Path)),
    security(("session" = []), ("bearer" = [])),
    responses((status = 200, body = [MemberJson]), (status = 404, body = ErrorBody))
)]
pub(crate) async fn list_org_members(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    Path(org): Path<Slug>,
) -> Result<axum::Json<Vec<MemberJson>>, ApiError> {
    let members = state.app.members(&actor, &TeamRef::Organisation(org)).await?;
    Ok(axum::Json(members.iter().map(MemberJson::from).collect()))
}

/// Adds a member to the organisation's security team.
#[utoipa::path(
    post,
    path = "/api/v1/orgs/{org}/members",
    tag = "organisations",
    params(("org" = String, Path)),
    security(("session" = []), ("bearer" = [])),
    request_body = MemberRequest,
    responses((status = 201, body = MemberJson), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody))
)]
pub(crate) async fn add_org_member(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    Path(org): Path<Slug>,
    Json(body): Json<MemberRequest>,
) -> Result<(StatusCode, axum::Json<MemberJson>), ApiError> {
    let member = state.app.add_member(&actor, &TeamRef::Organisation(org), &body.email).await?;
    Ok((StatusCode::CREATED, axum::Json(MemberJson::from(&member))))
}

/// Removes a member from the organisation's security team.
#[utoipa::path(
    delete,
    path = "/api/v1/orgs/{org}/members/{user}",
    tag = "organisations",
    params(("org" = String, Path), ("user" = String, Path, description = "The member's user id")),
    security(("session" = []), ("bearer" = [])),
    responses((status = 204, description = "Removed"), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody))
)]
pub(crate) async fn remove_org_member(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    Path((org, user)): Path<(Slug, String)>,
) -> Result<StatusCode, ApiError> {
    state.app.remove_member(&actor, &TeamRef::Organisation(org), parse_user(&user)?).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// One project.
#[utoipa::path(
    get,
    path = "/api/v1/projects/{org}/{project}",
    tag = "organisations",
    params(("org" = String, Path), ("project" = String, Path)),
    responses((status = 200, body = ProjectJson), (status = 404, body = ErrorBody))
)]
pub(crate) async fn get_project(
    State(state): State<AppState>,
    Path((org, project)): Path<(Slug, Slug)>,
) -> Result<axum::Json<ProjectJson>, ApiError> {
    let (_, project) = state.app.project(&org, &project).await?;
    Ok(axum::Json(project_json(&org, &project)))
}

/// Changes a project (administrators and its teams).
#[utoipa::path(
    patch,
    path = "/api/v1/projects/{org}/{project}",
    tag = "organisations",
    params(("org" = String, Path), ("project" = String, Path)),
    security(("session" = []), ("bearer" = [])),
    request_body = ProjectPatchRequest,
    responses((status = 200, body = ProjectJson), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody))
)]
pub(crate) async fn update_project(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    Path((org, project)): Path<(Slug, Slug)>,
    Json(body): Json<ProjectPatchRequest>,
) -> Result<axum::Json<ProjectJson>, ApiError> {
    let patch =
        ProjectPatch { name: body.name, repository_url: body.repository_url, packages: body.packages.map(packages) };
    let project = state.app.update_project(&actor, &org, &project, patch).await?;
    Ok(axum::Json(project_json(&org, &project)))
}

/// The project's security team.
#[utoipa::path(
    get,
    path = "/api/v1/projects/{org}/{project}/members",
    tag = "organisations",
    params(("org" = String, Path), ("project" = String, Path)),
    security(("session" = []), ("bearer" = [])),
    responses((status = 200, body = [MemberJson]), (status = 404, body = ErrorBody))
)]
pub(crate) async fn list_project_members(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    Path((org, project)): Path<(Slug, Slug)>,
) -> Result<axum::Json<Vec<MemberJson>>, ApiError> {
    let members = state.app.members(&actor, &TeamRef::Project(org, project)).await?;
    Ok(axum::Json(members.iter().map(MemberJson::from).collect()))
}

/// Adds a member to the project's security team.
#[utoipa::path(
    post,
    path = "/api/v1/projects/{org}/{project}/members",
    tag = "organisations",
    params(("org" = String, Path), ("project" = String, Path)),
    security(("session" = []), ("bearer" = [])),
    request_body = MemberRequest,
    responses((status = 201, body = MemberJson), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody))
)]
pub(crate) async fn add_project_member(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    Path((org, project)): Path<(Slug, Slug)>,
    Json(body): Json<MemberRequest>,
) -> Result<(StatusCode, axum::Json<MemberJson>), ApiError> {
    let member = state.app.add_member(&actor, &TeamRef::Project(org, project), &body.email).await?;
    Ok((StatusCode::CREATED, axum::Json(MemberJson::from(&member))))
}

/// Removes a member from the project's security team.
#[utoipa::path(
    delete,
    path = "/api/v1/projects/{org}/{project}/members/{user}",
    tag = "organisations",
    params(("org" = String, Path), ("project" = String, Path), ("user" = String, Path)),
    security(("session" = []), ("bearer" = [])),
    responses((status = 204, description = "Removed"), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody))
)]
pub(crate) async fn remove_project_member(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    Path((org, project, user)): Path<(Slug, Slug, String)>,
) -> Result<StatusCode, ApiError> {
    state.app.remove_member(&actor, &TeamRef::Project(org, project), parse_user(&user)?).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The project's release lines (public: which versions are supported).
#[utoipa::path(
    get,
    path = "/api/v1/projects/{org}/{project}/release-lines",
    tag = "organisations",
    params(("org" = String, Path), ("project" = String, Path)),
    responses((status = 200, body = [ReleaseLineJson]), (status = 404, body = ErrorBody))
)]
pub(crate) async fn list_release_lines(
    State(state): State<AppState>,
    Path((org, project)): Path<(Slug, Slug)>,
) -> Result<axum::Json<Vec<ReleaseLineJson>>, ApiError> {
    let lines = state.app.release_lines(&org, &project).await?;
    Ok(axum::Json(lines.iter().map(ReleaseLineJson::from).collect()))
}

/// Adds or changes a release line.
#[utoipa::path(
    put,
    path = "/api/v1/projects/{org}/{project}/release-lines/{name}",
    tag = "organisations",
    params(("org" = String, Path), ("project" = String, Path), ("name" = String, Path)),
    security(("session" = []), ("bearer" = [])),
    request_body = ReleaseLineRequest,
    responses((status = 200, body = ReleaseLineJson), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody))
)]
pub(crate) async fn put_release_line(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    Path((org, project, name)): Path<(Slug, Slug, String)>,
    Json(body): Json<ReleaseLineRequest>,
) -> Result<axum::Json<ReleaseLineJson>, ApiError> {
    let input =
        ReleaseLineInput { status: body.status, released_on: body.released_on, end_of_life_on: body.end_of_life_on };
    let line = state.app.put_release_line(&actor, &org, &project, &name, input).await?;
    Ok(axum::Json(ReleaseLineJson::from(&line)))
}

/// Removes a release line.
#[utoipa::path(
    delete,
    path = "/api/v1/projects/{org}/{project}/release-lines/{name}",
    tag = "organisations",
    params(("org" = String, Path), ("project" = String, Path), ("name" = String, Path)),
    security(("session" = []), ("bearer" = [])),
    responses((status = 204, description = "Removed"), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody))
)]
pub(crate) async fn delete_release_line(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    Path((org, project, name)): Path<(Slug, Slug, String)>,
) -> Result<StatusCode, ApiError> {
    state.app.delete_release_line(&actor, &org, &project, &name).await?;
    Ok(StatusCode::NO_CONTENT)
}
