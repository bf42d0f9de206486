//! Policies: the effective policy of an organisation or project (with where
//! each field comes from), applying a policy file, and what is published
//! from it: SECURITY.md, security.txt and the OpenPGP key.

use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use embargo_app::{EffectivePolicy, PolicyTarget};
use embargo_core::text::Slug;
use serde::Serialize;
use utoipa::ToSchema;

use crate::AppState;
use crate::error::{ApiError, ErrorBody};
use crate::extract::{CurrentActor, Path, TomlBody};

/// An effective policy.
#[derive(Serialize, ToSchema)]
pub(crate) struct PolicyJson {
    /// The organisation's slug.
    organisation: String,
    /// The project's slug, for a project's policy.
    #[serde(skip_serializing_if = "Option::is_none")]
    project: Option<String>,
    /// The policy, in the shape of the policy file.
    #[schema(value_type = Object)]
    policy: serde_json::Value,
    /// Where each field comes from (`default`, `organisation`, `project`), by `section.field`.
    #[schema(value_type = Object)]
    sources: serde_json::Value,
}

pub(crate) fn policy_json(effective: &EffectivePolicy) -> PolicyJson {
    let json = effective.to_json();
    PolicyJson {
        organisation: effective.org.slug.to_string(),
        project: effective.project.as_ref().map(|p| p.slug.to_string()),
        policy: json.get("policy").cloned().unwrap_or_default(),
        sources: json.get("sources").cloned().unwrap_or_default(),
    }
}

fn text(content_type: &'static str, body: String) -> Response {
    let mut response = body.into_response();
    response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    response
}

fn org(slug: Slug) -> PolicyTarget {
    PolicyTarget::Organisation(slug)
}

fn project(org: Slug, project: Slug) -> PolicyTarget {
    PolicyTarget::Project(org, project)
}

/// An organisation's policy (public).
#[utoipa::path(
    get,
    path = "/api/v1/orgs/{org}/policy",
    tag = "policies",
    params(("org" = String, Path)),
    responses((status = 200, body = PolicyJson), (status = 404, body = ErrorBody))
)]
pub(crate) async fn get_org_policy(
    State(state): State<AppState>,
    Path(slug): Path<Slug>,
) -> Result<axum::Json<PolicyJson>, ApiError> {
    Ok(axum::Json(policy_json(&state.app.effective_policy(&org(slug)).await?)))
}

/// Replaces an organisation's policy with a policy file (TOML).
#[utoipa::path(
    put,
    path = "/api/v1/orgs/{org}/policy",
    tag = "policies",
    params(("org" = String, Path)),
    security(("session" = []), ("bearer" = [])),
    request_body(
        content = String,
        content_type = "application/toml",
        description = "A policy file in TOML (UTF-8): the sections `[channels]`, `[scope]`, `[releases]`, \
                       `[report]`, `[response]`, `[disclosure]`, `[advisories]`, `[conduct]`, `[[criteria]]`, \
                       `[[threat_models]]`, `[[platforms]]` and `[limits]` (reports an hour: `per_address`, \
                       `per_account`, `per_email`, `per_project`), each optional; a \
                       field left out is inherited. `GET …/policy.toml` answers the effective policy in this \
                       form, and `embargo policy check FILE` checks one offline. An unknown section or field, or a \
                       value of the wrong type, is refused naming its line and column.",
        example = "[response]\nacknowledge = \"3d\"\n\n[report]\nrecommended = [\"proof_of_concept\"]\n"
    ),
    responses(
        (status = 200, body = PolicyJson),
        (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 422, description = "The file names the line and field at fault", body = ErrorBody)
    )
)]
pub(crate) async fn put_org_policy(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    Path(slug): Path<Slug>,
    TomlBody(file): TomlBody,
) -> Result<axum::Json<PolicyJson>, ApiError> {
    Ok(axum::Json(policy_json(&state.app.apply_policy(&actor, &org(slug), &file).await?)))
}

/// An organisation's policy as a policy file (TOML that PUT accepts back unchanged).
#[utoipa::path(
    get,
    path = "/api/v1/orgs/{org}/policy.toml",
    tag = "policies",
    params(("org" = String, Path)),
    responses((status = 200, content_type = "application/toml", body = String), (status = 404, body = ErrorBody))
)]
pub(crate) async fn get_org_policy_toml(
    State(state): State<AppState>,
    Path(slug): Path<Slug>,
) -> Result<Response, ApiError> {
    Ok(text("application/toml; charset=utf-8", state.app.effective_policy(&org(slug)).await?.to_toml(false)))
}

/// A project's effective policy: its overrides over its organisation's policy (public).
#[utoipa::path(
    get,
    path = "/api/v1/projects/{org}/{project}/policy",
    tag = "policies",
    params(("org" = String, Path), ("project" = String, Path)),
    responses((status = 200, body = PolicyJson), (status = 404, body = ErrorBody))
)]
pub(crate) async fn get_project_policy(
    State(state): State<AppState>,
    Path((o, p)): Path<(Slug, Slug)>,
) -> Result<axum::Json<PolicyJson>, ApiError> {
    Ok(axum::Json(policy_json(&state.app.effective_policy(&project(o, p)).await?)))
}

/// Replaces a project's overrides (and, when listed, its release lines) with a policy file.
#[utoipa::path(
    put,
    path = "/api/v1/projects/{org}/{project}/policy",
    tag = "policies",
    params(("org" = String, Path), ("project" = String, Path)),
    security(("session" = []), ("bearer" = [])),
    request_body(
        content = String,
        content_type = "application/toml",
        description = "A policy file in TOML (UTF-8): the sections `[channels]`, `[scope]`, `[releases]`, \
                       `[report]`, `[response]`, `[disclosure]`, `[advisories]`, `[conduct]`, `[[criteria]]`, \
                       `[[threat_models]]`, `[[platforms]]` and `[limits]` (reports an hour: `per_address`, \
                       `per_account`, `per_email`, `per_project`), each optional (a project's file may \
                       also list `[[releases.lines]]`); a \
                       field left out is inherited. `GET …/policy.toml` answers the effective policy in this \
                       form, and `embargo policy check FILE` checks one offline. An unknown section or field, or a \
                       value of the wrong type, is refused naming its line and column.",
        example = "[response]\nacknowledge = \"3d\"\n\n[report]\nrecommended = [\"proof_of_concept\"]\n"
    ),
    responses(
        (status = 200, body = PolicyJson),
        (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody)
    )
)]
pub(crate) async fn put_project_policy(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    Path((o, p)): Path<(Slug, Slug)>,
    TomlBody(file): TomlBody,
) -> Result<axum::Json<PolicyJson>, ApiError> {
    Ok(axum::Json(policy_json(&state.app.apply_policy(&actor, &project(o, p), &file).await?)))
}

/// A project's effective policy as a policy file (TOML that PUT accepts back unchanged).
#[utoipa::path(
    get,
    path = "/api/v1/projects/{org}/{project}/policy.toml",
    tag = "policies",
    params(("org" = String, Path), ("project" = String, Path)),
    responses((status = 200, content_type = "application/toml", body = String), (status = 404, body = ErrorBody))
)]
pub(crate) async fn get_project_policy_toml(
    State(state): State<AppState>,
    Path((o, p)): Path<(Slug, Slug)>,
) -> Result<Response, ApiError> {
    Ok(text("application/toml; charset=utf-8", state.app.effective_policy(&project(o, p)).await?.to_toml(false)))
}

/// A SECURITY.md the project can commit, rendered from its effective policy.
#[utoipa::path(
    get,
    path = "/api/v1/projects/{org}/{project}/security.md",
    tag = "policies",
    params(("org" = String, Path), ("project" = String, Path)),
    responses((status = 200, content_type = "text/markdown", body = String), (status = 404, body = ErrorBody))
)]
pub(crate) async fn get_security_md(
    State(state): State<AppState>,
    Path((o, p)): Path<(Slug, Slug)>,
) -> Result<Response, ApiError> {
    Ok(text("text/markdown; charset=utf-8", state.app.security_md(&o, &p).await?))
}

/// The organisation's OpenPGP public key.
///
/// The key its policy names, else the public part of the key pair the instance holds for it,
/// which signs its security.txt.
#[utoipa::path(
    get,
    path = "/api/v1/orgs/{org}/openpgp.asc",
    tag = "policies",
    params(("org" = String, Path)),
    responses((status = 200, content_type = "application/pgp-keys", body = String), (status = 404, body = ErrorBody))
)]
pub(crate) async fn get_openpgp_key(
    State(state): State<AppState>,
    Path(slug): Path<Slug>,
) -> Result<Response, ApiError> {
    Ok(text("application/pgp-keys", state.app.openpgp_key(&slug).await?))
}

/// RFC 9116 security.txt for this instance.
///
/// Clear-signed (RFC 9116 section 2.3) when the instance holds the key pair of the organisation it speaks for.
#[utoipa::path(
    get,
    path = "/.well-known/security.txt",
    tag = "policies",
    responses((status = 200, content_type = "text/plain", body = String), (status = 404, body = ErrorBody))
)]
pub(crate) async fn get_security_txt(State(state): State<AppState>) -> Result<Response, ApiError> {
    Ok(text("text/plain; charset=utf-8", state.app.security_txt().await?))
}
