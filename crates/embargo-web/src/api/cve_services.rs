//! An organisation's CVE Services credentials (issue 11): set them (checked
//! against CVE Services first; the API key sealed at rest) and see whether
//! they are set (never the key), with the reserved ids at hand.

use axum::extract::State;
use embargo_app::{CveServicesInput, CveServicesStatus};
use embargo_core::private::Private;
use embargo_core::text::Slug;
use embargo_store::cve_services::CveOperation;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::ToSchema;

use crate::AppState;
use crate::error::{ApiError, ErrorBody};
use crate::extract::{CurrentActor, Json, Path};

/// Credentials for CVE Services.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct CveServicesRequest {
    /// The API's base URL: the part before `/cve-id` (`https://cveawg.mitre.org/api`).
    #[schema(example = "https://cveawg.mitre.org/api")]
    url: String,
    /// The CNA's short name (`CVE-API-ORG`).
    short_name: String,
    /// The CVE Services user (`CVE-API-USER`).
    user: String,
    /// The API key (`CVE-API-KEY`). Sealed at rest, never shown again.
    api_key: String,
    /// How many reserved ids to keep at hand for new advisories (0 to 20; 0, the default, reserves on demand only).
    #[schema(minimum = 0, maximum = 20)]
    pool_size: Option<u32>,
}

/// Whether an organisation's CVE Services credentials are set (never the key).
#[derive(Serialize, ToSchema)]
pub(crate) struct CveServicesJson {
    /// Whether credentials are set.
    configured: bool,
    /// The API's base URL.
    url: Option<String>,
    /// The CNA's short name.
    short_name: Option<String>,
    /// The CVE Services user.
    user: Option<String>,
    /// The CNA's organisation UUID, as CVE Services answered it.
    cna_org_id: Option<String>,
    /// Reserved ids kept at hand.
    pool_size: u32,
    /// When the credentials were set.
    #[serde(with = "time::serde::rfc3339::option")]
    updated_at: Option<OffsetDateTime>,
    /// Reserved ids no advisory has yet.
    unassigned: Vec<String>,
}

impl From<&CveServicesStatus> for CveServicesJson {
    fn from(s: &CveServicesStatus) -> Self {
        let a = s.account.as_ref();
        CveServicesJson {
            configured: a.is_some(),
            url: a.map(|a| a.url.clone()),
            short_name: a.map(|a| a.short_name.clone()),
            user: a.map(|a| a.user.clone()),
            cna_org_id: a.map(|a| a.cna_org_id.clone()),
            pool_size: a.map_or(0, |a| a.pool_size),
            updated_at: a.map(|a| a.updated_at),
            unassigned: s.unassigned.iter().map(|c| c.as_str().to_owned()).collect(),
        }
    }
}

/// One operation in CVE Services for an advisory, with its outcome.
#[derive(Serialize, ToSchema)]
pub(crate) struct CveOperationJson {
    /// Its id (the operation's idempotency key).
    id: String,
    /// `reserve`, `publish`, `update` or `reject`.
    kind: &'static str,
    /// The CVE id it is about (for a reservation: the id given, once reserved).
    cve_id: Option<String>,
    /// `pending`, `done` or `failed`.
    state: &'static str,
    /// Attempts made.
    attempts: u32,
    /// When it was queued.
    #[serde(with = "time::serde::rfc3339")]
    created_at: OffsetDateTime,
    /// When the last attempt was made.
    #[serde(with = "time::serde::rfc3339::option")]
    last_attempt_at: Option<OffsetDateTime>,
    /// CVE Services' HTTP status at the last attempt.
    last_status: Option<u16>,
    /// Why the last attempt did not succeed.
    error: Option<String>,
    /// When it was done or given up.
    #[serde(with = "time::serde::rfc3339::option")]
    finished_at: Option<OffsetDateTime>,
}

impl From<&CveOperation> for CveOperationJson {
    fn from(o: &CveOperation) -> Self {
        CveOperationJson {
            id: o.id.to_string(),
            kind: o.kind.as_str(),
            cve_id: o.cve_id.as_ref().map(|c| c.as_str().to_owned()),
            state: o.state.as_str(),
            attempts: o.attempts,
            created_at: o.created_at,
            last_attempt_at: o.last_attempt_at,
            last_status: o.last_status,
            error: o.last_error.clone(),
            finished_at: o.finished_at,
        }
    }
}

/// Whether the organisation's CVE Services credentials are set (its administrators).
#[utoipa::path(
    get,
    path = "/api/v1/orgs/{org}/cve-services",
    tag = "organisations",
    params(("org" = String, Path)),
    security(("session" = []), ("bearer" = [])),
    responses(
        (status = 200, body = CveServicesJson),
        (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody, description = "No such organisation, or not yours to administer")
    )
)]
pub(crate) async fn get_cve_services(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    Path(org): Path<Slug>,
) -> Result<axum::Json<CveServicesJson>, ApiError> {
    Ok(axum::Json(CveServicesJson::from(&state.app.cve_services(&actor, &org).await?)))
}

/// Sets the organisation's CVE Services credentials (its administrators),
/// once CVE Services accepts them; credentials it refuses are not stored.
#[utoipa::path(
    put,
    path = "/api/v1/orgs/{org}/cve-services",
    tag = "organisations",
    params(("org" = String, Path)),
    security(("session" = []), ("bearer" = [])),
    request_body = CveServicesRequest,
    responses(
        (status = 200, body = CveServicesJson),
        (status = 400, body = ErrorBody, description = "The body is not JSON of this shape"),
        (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody, description = "No such organisation, or not yours to administer"),
        (status = 422, body = ErrorBody, description = "A field that is not valid, or credentials CVE Services refused")
    )
)]
pub(crate) async fn put_cve_services(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    Path(org): Path<Slug>,
    Json(body): Json<CveServicesRequest>,
) -> Result<axum::Json<CveServicesJson>, ApiError> {
    let input = CveServicesInput {
        url: body.url,
        short_name: body.short_name,
        user: body.user,
        api_key: Private::new(body.api_key),
        pool_size: body.pool_size,
    };
    Ok(axum::Json(CveServicesJson::from(&state.app.set_cve_services(&actor, &org, input).await?)))
}
