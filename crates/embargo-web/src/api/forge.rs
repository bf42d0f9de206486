//! Publish when the fix merges (issue 11): a project's forge webhook secrets
//! (`PUT`/`GET /api/v1/projects/{org}/{project}/hooks/{forge}`, the team's),
//! the forges' deliveries (`POST` on the same path, verified by signature,
//! not by a session), and a report's fix link (`GET /api/v1/reports/{id}/fix`;
//! `PATCH /api/v1/reports/{id}` with `fix_url` sets it).

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use embargo_app::{FixView, ForgeDelivery, ForgeHookView, HookAnswer, HookRefusal, parse_forge};
use embargo_core::private::Private;
use embargo_core::text::Slug;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::ToSchema;

use crate::AppState;
use crate::error::{ApiError, ErrorBody};
use crate::extract::{CurrentActor, Json, Path};

/// A forge's secret to set; without one, Embargo makes one and answers it once.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ForgeSecretRequest {
    /// The webhook secret configured on the forge (16 to 256 printable ASCII characters).
    secret: Option<String>,
}

/// Whether a forge's secret is set (never the secret).
#[derive(Serialize, ToSchema)]
pub(crate) struct ForgeHookJson {
    /// `github`, `gitlab`, `forgejo` or `gitea`.
    forge: &'static str,
    /// Whether a secret is set (deliveries are refused until one is).
    set: bool,
    /// When it was last set.
    #[serde(with = "time::serde::rfc3339::option")]
    set_at: Option<OffsetDateTime>,
    /// The secret Embargo made, when the request sent none: shown this once.
    #[serde(skip_serializing_if = "Option::is_none")]
    secret: Option<String>,
}

fn hook_json(view: &ForgeHookView, secret: Option<String>) -> ForgeHookJson {
    ForgeHookJson { forge: view.forge.as_str(), set: view.set_at.is_some(), set_at: view.set_at, secret }
}

/// What a delivery did.
#[derive(Serialize, ToSchema)]
pub(crate) struct DeliveryAnswerJson {
    /// `taken`, `ignored` (nothing in it concerns a report) or `replayed` (seen before: nothing changed).
    status: &'static str,
    /// Reports linked to the request by this delivery.
    linked: usize,
    /// Reports whose fix this delivery saw merged.
    merged: usize,
}

/// A report's link to its fix.
#[derive(Serialize, ToSchema)]
pub(crate) struct FixJson {
    /// The pull or merge request.
    fix_url: Option<String>,
    /// Who linked it: `team`, a forge (`github`, ...) or `git` (polling).
    source: Option<String>,
    /// Whether the fix was seen merged.
    merged: bool,
    /// When.
    #[serde(with = "time::serde::rfc3339::option")]
    merged_at: Option<OffsetDateTime>,
    /// The merge or fix commit.
    commit: Option<String>,
}

pub(crate) fn fix_json(view: Option<FixView>) -> FixJson {
    match view {
        None => FixJson { fix_url: None, source: None, merged: false, merged_at: None, commit: None },
        Some(v) => FixJson {
            fix_url: v.url,
            source: Some(v.source),
            merged: v.merged_at.is_some(),
            merged_at: v.merged_at,
            commit: v.commit,
        },
    }
}

/// Whether the forge's secret is set for the project (the project's team).
#[utoipa::path(
    get,
    path = "/api/v1/projects/{org}/{project}/hooks/{forge}",
    tag = "forges",
    params(("org" = String, Path), ("project" = String, Path),
        ("forge" = String, Path, pattern = "^(github|gitlab|forgejo|gitea)$",
            description = "`github`, `gitlab`, `forgejo` or `gitea`")),
    security(("session" = []), ("bearer" = [])),
    responses(
        (status = 200, body = ForgeHookJson),
        (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody, description = "No such project or forge, or not yours to manage")
    )
)]
pub(crate) async fn get_forge_hook(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    Path((org, project, forge)): Path<(Slug, Slug, String)>,
) -> Result<axum::Json<ForgeHookJson>, ApiError> {
    let forge = parse_forge(&forge)?;
    let hooks = state.app.forge_hooks(&actor, &org, &project).await?;
    let hook = hooks.iter().find(|h| h.forge == forge).ok_or_else(ApiError::not_found)?;
    Ok(axum::Json(hook_json(hook, None)))
}

/// Sets or rotates the forge's secret for the project (the project's team).
#[utoipa::path(
    put,
    path = "/api/v1/projects/{org}/{project}/hooks/{forge}",
    tag = "forges",
    params(("org" = String, Path), ("project" = String, Path),
        ("forge" = String, Path, pattern = "^(github|gitlab|forgejo|gitea)$",
            description = "`github`, `gitlab`, `forgejo` or `gitea`")),
    security(("session" = []), ("bearer" = [])),
    request_body = ForgeSecretRequest,
    responses(
        (status = 200, body = ForgeHookJson),
        (status = 400, body = ErrorBody, description = "The body is not JSON of this shape"),
        (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody, description = "A secret that is too short, too long or not printable ASCII")
    )
)]
pub(crate) async fn put_forge_hook(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    Path((org, project, forge)): Path<(Slug, Slug, String)>,
    Json(body): Json<ForgeSecretRequest>,
) -> Result<axum::Json<ForgeHookJson>, ApiError> {
    let forge = parse_forge(&forge)?;
    let set = state.app.set_forge_secret(&actor, &org, &project, forge, body.secret.map(Private::new)).await?;
    Ok(axum::Json(hook_json(&set.hook, set.secret.map(|s| s.expose().clone()))))
}

/// The headers a delivery is read with (names in lower case).
const DELIVERY_HEADERS: [&str; 16] = [
    "x-github-event",
    "x-github-delivery",
    "x-hub-signature-256",
    "x-gitlab-event",
    "x-gitlab-token",
    "x-gitlab-event-uuid",
    "idempotency-key",
    "x-forgejo-event",
    "x-forgejo-delivery",
    "x-forgejo-signature",
    "x-gitea-event",
    "x-gitea-delivery",
    "x-gitea-signature",
    "x-gogs-event",
    "x-gogs-delivery",
    "content-type",
];

fn refusal(refused: &HookRefusal) -> ApiError {
    let (status, code) = match refused {
        HookRefusal::NotFound => (StatusCode::NOT_FOUND, "not_found"),
        HookRefusal::Unsigned => (StatusCode::UNAUTHORIZED, "unsigned"),
        HookRefusal::NoSecret => (StatusCode::FORBIDDEN, "no_secret"),
        HookRefusal::BadSignature => (StatusCode::FORBIDDEN, "bad_signature"),
        HookRefusal::Malformed(_) => (StatusCode::BAD_REQUEST, "invalid_body"),
        HookRefusal::Unavailable => (StatusCode::SERVICE_UNAVAILABLE, "unavailable"),
    };
    ApiError::new(status, code, refused.to_string())
}

/// A forge's webhook delivery (GitHub `X-Hub-Signature-256`, GitLab `X-Gitlab-Token`,
/// Forgejo/Gitea `X-Forgejo-Signature`/`X-Gitea-Signature`), verified with the
/// project's secret. A merged pull or merge request that names a report's id or
/// its advisory's id (or that the team linked) marks the fix merged.
#[utoipa::path(
    post,
    path = "/api/v1/projects/{org}/{project}/hooks/{forge}",
    tag = "forges",
    params(("org" = String, Path), ("project" = String, Path),
        ("forge" = String, Path, pattern = "^(github|gitlab|forgejo|gitea)$",
            description = "`github`, `gitlab`, `forgejo` or `gitea`")),
    request_body(content = String, content_type = "application/json",
        description = "The forge's payload, exactly as signed"),
    responses(
        (status = 200, body = DeliveryAnswerJson, description = "Taken, ignored or replayed"),
        (status = 400, body = ErrorBody, description = "The body is not a JSON payload"),
        (status = 401, body = ErrorBody, description = "The delivery is not signed"),
        (status = 403, body = ErrorBody, description = "The signature does not match, or no secret is set"),
        (status = 404, body = ErrorBody, description = "No such project or forge"),
        (status = 503, body = ErrorBody, description = "Try again shortly")
    )
)]
pub(crate) async fn receive_forge_delivery(
    State(state): State<AppState>,
    Path((org, project, forge)): Path<(Slug, Slug, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<axum::Json<DeliveryAnswerJson>, ApiError> {
    let headers = DELIVERY_HEADERS
        .iter()
        .filter_map(|name| {
            let value = headers.get(*name)?.to_str().ok()?;
            Some(((*name).to_owned(), value.to_owned()))
        })
        .collect();
    let delivery = ForgeDelivery { headers, body: body.to_vec() };
    let answer = state.app.receive_forge_delivery(&org, &project, &forge, delivery).await.map_err(|e| refusal(&e))?;
    let json = match answer {
        HookAnswer::Taken { linked, merged } => DeliveryAnswerJson { status: "taken", linked, merged },
        HookAnswer::Ignored => DeliveryAnswerJson { status: "ignored", linked: 0, merged: 0 },
        HookAnswer::Replayed => DeliveryAnswerJson { status: "replayed", linked: 0, merged: 0 },
    };
    Ok(axum::Json(json))
}

/// A report's link to its fix (those who read the team's fields).
#[utoipa::path(
    get,
    path = "/api/v1/reports/{id}/fix",
    tag = "forges",
    params(("id" = String, Path)),
    security(("session" = []), ("bearer" = [])),
    responses((status = 200, body = FixJson), (status = 404, body = ErrorBody))
)]
pub(crate) async fn get_fix(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    Path(id): Path<String>,
) -> Result<axum::Json<FixJson>, ApiError> {
    let id = crate::extract::report_id(&id)?;
    Ok(axum::Json(fix_json(state.app.fix_of(&actor, id).await?)))
}

/// A repository and branch to poll for fix commits.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct FixPollingRequest {
    /// The repository: an https (or http, git, ssh) URL; local paths and private
    /// addresses only where the operator allows them.
    repository: String,
    /// The branch fixes land on (`main`).
    branch: String,
}

/// The polled repository and how the last poll went.
#[derive(Serialize, ToSchema)]
pub(crate) struct FixPollingJson {
    /// The repository.
    repository: String,
    /// The branch.
    branch: String,
    /// The branch's commit at the last poll.
    last_commit: Option<String>,
    /// When it was last polled.
    #[serde(with = "time::serde::rfc3339::option")]
    polled_at: Option<OffsetDateTime>,
    /// Why the last poll failed, when it did.
    last_error: Option<String>,
}

fn polling_json(v: embargo_app::FixPollView) -> FixPollingJson {
    FixPollingJson {
        repository: v.repository,
        branch: v.branch,
        last_commit: v.last_commit,
        polled_at: v.polled_at,
        last_error: v.last_error,
    }
}

/// The repository and branch polled for fix commits, if any (the project's team).
#[utoipa::path(
    get,
    path = "/api/v1/projects/{org}/{project}/fix-polling",
    tag = "forges",
    params(("org" = String, Path), ("project" = String, Path)),
    security(("session" = []), ("bearer" = [])),
    responses(
        (status = 200, body = FixPollingJson),
        (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody, description = "No such project, not yours to manage, or nothing polled")
    )
)]
pub(crate) async fn get_fix_polling(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    Path((org, project)): Path<(Slug, Slug)>,
) -> Result<axum::Json<FixPollingJson>, ApiError> {
    let view = state.app.fix_polling(&actor, &org, &project).await?.ok_or_else(ApiError::not_found)?;
    Ok(axum::Json(polling_json(view)))
}

/// Names the repository and branch to poll for fix commits, for forges without
/// webhooks (the project's team); the first poll runs at once, then every five minutes.
#[utoipa::path(
    put,
    path = "/api/v1/projects/{org}/{project}/fix-polling",
    tag = "forges",
    params(("org" = String, Path), ("project" = String, Path)),
    security(("session" = []), ("bearer" = [])),
    request_body = FixPollingRequest,
    responses(
        (status = 200, body = FixPollingJson),
        (status = 400, body = ErrorBody, description = "The body is not JSON of this shape"),
        (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody, description = "A repository or branch that is not valid")
    )
)]
pub(crate) async fn put_fix_polling(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    Path((org, project)): Path<(Slug, Slug)>,
    Json(body): Json<FixPollingRequest>,
) -> Result<axum::Json<FixPollingJson>, ApiError> {
    let view = state.app.set_fix_polling(&actor, &org, &project, &body.repository, &body.branch).await?;
    Ok(axum::Json(polling_json(view)))
}
