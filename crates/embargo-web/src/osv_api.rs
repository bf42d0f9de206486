//! The OSV-compatible API under `/osv/v1` (OSV.dev's `/v1/query`,
//! `/v1/querybatch` and `/v1/vulns/{id}`, same request and response
//! shapes): published advisories only, for scanners such as pip-audit
//! (`pip-audit -s osv --osv-url https://HOST/osv/v1/query`).
//!
//! Like OSV.dev, bodies are read as JSON whatever their Content-Type
//! (pip-audit sends none), a query without results answers `{}`, withdrawn
//! records are left out of `query` and `querybatch` (served by id), and
//! errors answer OSV.dev's body `{"code": N, "message": text}` (gRPC status
//! codes: 3 invalid argument, 5 not found).
//! Paging as OSV.dev's: a query with more than [`PAGE_SIZE`] results answers
//! that many and a `next_page_token`; the same query with `page_token` set
//! to it answers the next page. The token is the offset, as text.

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use embargo_app::{OsvError, OsvQuery};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::AppState;
use crate::error::ApiError;
use crate::extract::Path;

/// OSV.dev's package object.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PackageJson {
    name: Option<String>,
    ecosystem: Option<String>,
    purl: Option<String>,
}

/// OSV.dev's query object.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct QueryJson {
    commit: Option<String>,
    version: Option<String>,
    package: Option<PackageJson>,
    page_token: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct BatchJson {
    queries: Vec<QueryJson>,
}

/// Results per query and page.
pub const PAGE_SIZE: usize = 1000;

#[derive(Serialize)]
struct VulnsJson<T> {
    #[serde(skip_serializing_if = "Vec::is_empty")]
    vulns: Vec<T>,
    #[serde(skip_serializing_if = "Option::is_none")]
    next_page_token: Option<String>,
}

/// One page of a query's results, and the token of the next page.
fn page<T>(mut all: Vec<T>, offset: usize) -> VulnsJson<T> {
    let rest = all.split_off(offset.min(all.len()));
    let more = rest.len() > PAGE_SIZE;
    let vulns: Vec<T> = rest.into_iter().take(PAGE_SIZE).collect();
    VulnsJson { vulns, next_page_token: more.then(|| (offset + PAGE_SIZE).to_string()) }
}

/// An OSV route's failure: OSV.dev's error body, or (for the service's own
/// failures) the common [`ApiError`], which logs and reveals nothing.
enum OsvFailure {
    Osv { status: StatusCode, code: u8, message: String },
    Api(ApiError),
}

/// gRPC status `INVALID_ARGUMENT`, as OSV.dev answers bad queries.
const INVALID_ARGUMENT: u8 = 3;
/// gRPC status `NOT_FOUND`.
const NOT_FOUND: u8 = 5;

fn invalid(message: impl Into<String>) -> OsvFailure {
    OsvFailure::Osv { status: StatusCode::BAD_REQUEST, code: INVALID_ARGUMENT, message: message.into() }
}

#[derive(Serialize)]
struct ErrorJson<'a> {
    code: u8,
    message: &'a str,
}

impl IntoResponse for OsvFailure {
    fn into_response(self) -> Response {
        match self {
            OsvFailure::Osv { status, code, message } => {
                (status, axum::Json(ErrorJson { code, message: &message })).into_response()
            }
            OsvFailure::Api(e) => e.into_response(),
        }
    }
}

impl From<ApiError> for OsvFailure {
    fn from(e: ApiError) -> Self {
        OsvFailure::Api(e)
    }
}

#[derive(Serialize)]
struct ShortVulnJson {
    id: String,
    #[serde(with = "time::serde::rfc3339")]
    modified: time::OffsetDateTime,
}

#[derive(Serialize)]
struct ResultsJson {
    results: Vec<VulnsJson<ShortVulnJson>>,
}

/// The OSV routes.
pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/osv/v1/query", post(query))
        .route("/osv/v1/querybatch", post(querybatch))
        .route("/osv/v1/vulns/{id}", get(vulnerability))
}

/// Reads a JSON body whatever its Content-Type.
fn body<T: DeserializeOwned>(bytes: &Bytes) -> Result<T, OsvFailure> {
    serde_json::from_slice(bytes).map_err(|e| invalid(format!("the body is not an OSV query: {e}")))
}

fn osv_error(error: OsvError) -> OsvFailure {
    match error {
        OsvError::Query(e) => invalid(e.to_string()),
        OsvError::App(e) => OsvFailure::Api(ApiError::from(e)),
    }
}

/// A query and the offset its page token names.
fn to_query(q: QueryJson) -> Result<(OsvQuery, usize), OsvFailure> {
    let offset = match q.page_token.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
        None => 0,
        Some(token) => token.parse::<usize>().map_err(|_| invalid("Invalid page token."))?,
    };
    let package = q.package.unwrap_or(PackageJson { name: None, ecosystem: None, purl: None });
    let query = OsvQuery {
        ecosystem: package.ecosystem,
        name: package.name,
        purl: package.purl,
        version: q.version,
        commit: q.commit,
    };
    Ok((query, offset))
}

fn json_response<T: Serialize>(value: &T) -> Result<Response, ApiError> {
    let bytes = serde_json::to_vec(value)
        .map_err(|e| ApiError::from(embargo_app::AppError::Internal(format!("cannot encode an OSV answer: {e}"))))?;
    Ok(([(axum::http::header::CONTENT_TYPE, "application/json")], bytes).into_response())
}

/// When a record last changed: its newest revision or its withdrawal.
fn changed(record: &embargo_formats::osv::Record) -> time::OffsetDateTime {
    record.withdrawn().map_or(record.modified(), |withdrawn| withdrawn.max(record.modified()))
}

/// Adds `Last-Modified` (for the public cache's revalidation, `public_cache.rs`).
fn with_last_modified(mut response: Response, at: Option<time::OffsetDateTime>) -> Response {
    if let Some((name, value)) = at.and_then(crate::published::last_modified) {
        response.headers_mut().insert(name, value);
    }
    response
}

async fn query(State(state): State<AppState>, bytes: Bytes) -> Result<Response, OsvFailure> {
    metrics::counter!("embargo_osv_queries_total", "endpoint" => "query").increment(1);
    let (query, offset) = to_query(body::<QueryJson>(&bytes)?)?;
    let vulns = state.app.osv_query(&query).await.map_err(osv_error)?;
    let records: Vec<&embargo_formats::osv::Record> = vulns.iter().map(AsRef::as_ref).collect();
    let newest = records.iter().map(|r| changed(r)).max();
    Ok(with_last_modified(json_response(&page(records, offset))?, newest))
}

async fn querybatch(State(state): State<AppState>, bytes: Bytes) -> Result<Response, OsvFailure> {
    metrics::counter!("embargo_osv_queries_total", "endpoint" => "querybatch").increment(1);
    let batch = body::<BatchJson>(&bytes)?;
    let (queries, offsets): (Vec<_>, Vec<_>) =
        batch.queries.into_iter().map(to_query).collect::<Result<Vec<_>, _>>()?.into_iter().unzip();
    let results = state.app.osv_query_batch(&queries).await.map_err(osv_error)?;
    Ok(json_response(&ResultsJson {
        results: results
            .iter()
            .zip(offsets)
            .map(|(vulns, offset)| {
                let short =
                    vulns.iter().map(|r| ShortVulnJson { id: r.id().to_owned(), modified: r.modified() }).collect();
                page(short, offset)
            })
            .collect(),
    })?)
}

async fn vulnerability(State(state): State<AppState>, Path(id): Path<String>) -> Result<Response, OsvFailure> {
    metrics::counter!("embargo_osv_queries_total", "endpoint" => "vulns").increment(1);
    match state.app.osv_vulnerability(&id).await {
        Ok(record) => Ok(with_last_modified(json_response(record.as_ref())?, Some(changed(&record)))),
        Err(embargo_app::AppError::NotFound) => {
            Err(OsvFailure::Osv { status: StatusCode::NOT_FOUND, code: NOT_FOUND, message: "Bug not found.".into() })
        }
        Err(e) => Err(OsvFailure::Api(ApiError::from(e))),
    }
}
