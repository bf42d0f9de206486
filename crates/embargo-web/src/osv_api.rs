//! The OSV-compatible API under `/osv/v1` (OSV.dev's `/v1/query`,
//! `/v1/querybatch` and `/v1/vulns/{id}`, same request and response
//! shapes): published advisories only, for scanners such as pip-audit
//! (`pip-audit -s osv --osv-url https://HOST/osv/v1/query`).
//!
//! Like OSV.dev, bodies are read as JSON whatever their Content-Type
//! (pip-audit sends none), and a query without results answers `{}`.
//! Answers are not paged: `page_token` is accepted only empty.

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

#[derive(Serialize)]
struct VulnsJson<T> {
    #[serde(skip_serializing_if = "Vec::is_empty")]
    vulns: Vec<T>,
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
fn body<T: DeserializeOwned>(bytes: &Bytes) -> Result<T, ApiError> {
    serde_json::from_slice(bytes).map_err(|e| {
        let (status, code) = match e.classify() {
            serde_json::error::Category::Data => (StatusCode::UNPROCESSABLE_ENTITY, "invalid_input"),
            serde_json::error::Category::Io
            | serde_json::error::Category::Syntax
            | serde_json::error::Category::Eof => (StatusCode::BAD_REQUEST, "invalid_json"),
        };
        ApiError::new(status, code, format!("the body is not an OSV query: {e}"))
    })
}

fn osv_error(error: OsvError) -> ApiError {
    match error {
        OsvError::Query(e) => ApiError::new(StatusCode::BAD_REQUEST, "invalid_query", e.to_string()),
        OsvError::App(e) => ApiError::from(e),
    }
}

fn to_query(q: QueryJson) -> Result<OsvQuery, ApiError> {
    if q.page_token.as_deref().is_some_and(|t| !t.is_empty()) {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalid_query",
            "unknown page_token: answers are not paged",
        ));
    }
    let package = q.package.unwrap_or(PackageJson { name: None, ecosystem: None, purl: None });
    Ok(OsvQuery {
        ecosystem: package.ecosystem,
        name: package.name,
        purl: package.purl,
        version: q.version,
        commit: q.commit,
    })
}

fn json_response<T: Serialize>(value: &T) -> Result<Response, ApiError> {
    let bytes = serde_json::to_vec(value)
        .map_err(|e| ApiError::from(embargo_app::AppError::Internal(format!("cannot encode an OSV answer: {e}"))))?;
    Ok(([(axum::http::header::CONTENT_TYPE, "application/json")], bytes).into_response())
}

async fn query(State(state): State<AppState>, bytes: Bytes) -> Result<Response, ApiError> {
    metrics::counter!("embargo_osv_queries_total", "endpoint" => "query").increment(1);
    let query = to_query(body::<QueryJson>(&bytes)?)?;
    let vulns = state.app.osv_query(&query).await.map_err(osv_error)?;
    let records: Vec<&embargo_formats::osv::Record> = vulns.iter().map(AsRef::as_ref).collect();
    json_response(&VulnsJson { vulns: records })
}

async fn querybatch(State(state): State<AppState>, bytes: Bytes) -> Result<Response, ApiError> {
    metrics::counter!("embargo_osv_queries_total", "endpoint" => "querybatch").increment(1);
    let batch = body::<BatchJson>(&bytes)?;
    let queries = batch.queries.into_iter().map(to_query).collect::<Result<Vec<_>, _>>()?;
    let results = state.app.osv_query_batch(&queries).await.map_err(osv_error)?;
    json_response(&ResultsJson {
        results: results
            .iter()
            .map(|vulns| VulnsJson {
                vulns: vulns.iter().map(|r| ShortVulnJson { id: r.id().to_owned(), modified: r.modified() }).collect(),
            })
            .collect(),
    })
}

async fn vulnerability(State(state): State<AppState>, Path(id): Path<String>) -> Result<Response, ApiError> {
    metrics::counter!("embargo_osv_queries_total", "endpoint" => "vulns").increment(1);
    let record = state.app.osv_vulnerability(&id).await?;
    json_response(record.as_ref())
}
