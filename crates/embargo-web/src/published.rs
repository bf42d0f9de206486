//! Public documents outside the JSON API: what a CSAF provider serves under
//! `/.well-known/csaf/` (CSAF 2.0 section 7.1; built by the app's
//! `csaf_provider.rs`: provider metadata, the signing keys, the TLP:WHITE
//! directory with `index.txt`, `changes.csv`, a ROLIE feed, a folder per
//! year and per document its JSON, hashes and signature, and listings of the
//! folders) and the Atom feed `/advisories/feed.atom`. Published revisions
//! only. The CSAF files carry `Last-Modified`, an `ETag` (a matching
//! `If-None-Match` answers 304) and `Access-Control-Allow-Origin: *`
//! (requirement 7 wants the provider metadata readable from any origin, and
//! nothing here is private).

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use embargo_app::{ProviderFile, PublishedDocument};
use embargo_formats::atom;
use sha2::{Digest, Sha256};
use time::macros::format_description;

use crate::AppState;
use crate::error::ApiError;

/// The public document routes.
pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/.well-known/csaf/provider-metadata.json", get(csaf_file))
        .route("/.well-known/csaf/openpgp/{file}", get(csaf_file))
        .route("/.well-known/csaf/openvex/{year}/{file}", get(csaf_file))
        .route("/.well-known/csaf/white/", get(csaf_file))
        .route("/.well-known/csaf/white/{file}", get(csaf_file))
        .route("/.well-known/csaf/white/{year}/", get(csaf_file))
        .route("/.well-known/csaf/white/{year}/{file}", get(csaf_file))
        .route("/advisories/feed.atom", get(atom_feed))
        .route("/advisories/{id}/cve.json", get(cve_record))
}

fn base(state: &AppState) -> &str {
    state.config.public_url.trim_end_matches('/')
}

/// The advisory's public page.
pub(crate) fn page_url(base: &str, id: &str) -> String {
    format!("{base}/advisories/{id}")
}

fn typed(content_type: &'static str, body: String) -> Response {
    ([(header::CONTENT_TYPE, content_type), (header::CACHE_CONTROL, "public, max-age=300")], body).into_response()
}

/// The newest change of the published advisories: a revision or a withdrawal.
fn last_updated(documents: &[PublishedDocument], state: &AppState) -> time::OffsetDateTime {
    documents
        .iter()
        .flat_map(|d| std::iter::once(d.advisory.revision.published_at).chain(d.advisory.withdrawn_at))
        .max()
        .unwrap_or_else(|| state.app.now())
}

/// RFC 9110 section 5.6.7 IMF-fixdate.
const IMF_FIXDATE: &[time::format_description::BorrowedFormatItem<'_>] =
    format_description!("[weekday repr:short], [day] [month repr:short] [year] [hour]:[minute]:[second] GMT");

/// RFC 9110 section 5.6.7 IMF-fixdate.
pub(crate) fn http_date(at: time::OffsetDateTime) -> String {
    at.to_offset(time::UtcOffset::UTC).format(IMF_FIXDATE).unwrap_or_default()
}

/// An IMF-fixdate (the form RFC 9110 section 5.6.7 says senders use); `None` otherwise.
pub(crate) fn parse_http_date(text: &str) -> Option<time::OffsetDateTime> {
    time::PrimitiveDateTime::parse(text.trim(), IMF_FIXDATE).ok().map(time::PrimitiveDateTime::assume_utc)
}

/// `Last-Modified` for a time, when it can be written.
pub(crate) fn last_modified(at: time::OffsetDateTime) -> Option<(header::HeaderName, HeaderValue)> {
    HeaderValue::from_str(&http_date(at)).ok().map(|value| (header::LAST_MODIFIED, value))
}

async fn csaf_file(State(state): State<AppState>, uri: Uri, headers: HeaderMap) -> Result<Response, ApiError> {
    let path = uri.path().strip_prefix("/.well-known/csaf/").ok_or_else(ApiError::not_found)?;
    let file: ProviderFile = state.app.csaf_file(path).await?;
    let digest = Sha256::digest(&file.body);
    let etag = format!("\"{}\"", digest.iter().take(16).map(|b| format!("{b:02x}")).collect::<String>());
    let mut response = if headers.get(header::IF_NONE_MATCH).is_some_and(|v| v.as_bytes() == etag.as_bytes()) {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        ([(header::CONTENT_TYPE, file.content_type)], file.body).into_response()
    };
    let out = response.headers_mut();
    out.insert(header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=300"));
    out.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, HeaderValue::from_static("*"));
    if let Ok(value) = HeaderValue::from_str(&etag) {
        out.insert(header::ETAG, value);
    }
    if let Ok(value) = HeaderValue::from_str(&http_date(file.modified)) {
        out.insert(header::LAST_MODIFIED, value);
    }
    Ok(response)
}

/// The CVE JSON 5.2 record of a published advisory with a CVE alias, whose
/// organisation has its CNA identity from CVE Services; 404 otherwise (drafts too).
async fn cve_record(
    State(state): State<AppState>,
    axum::extract::Path(id): axum::extract::Path<String>,
) -> Result<Response, ApiError> {
    let record = state.app.cve_record(&id).await?;
    let mut text = serde_json::to_string_pretty(&record)
        .map_err(|e| ApiError::from(embargo_app::AppError::Internal(format!("CVE record: {e}"))))?;
    text.push('\n');
    let mut response = typed("application/json", text);
    response.headers_mut().insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, HeaderValue::from_static("*"));
    Ok(response)
}

async fn atom_feed(State(state): State<AppState>) -> Result<Response, ApiError> {
    let documents = state.app.published_documents(false).await?;
    let pages: Vec<String> = documents.iter().map(|d| page_url(base(&state), d.advisory.id.as_str())).collect();
    let docs: Vec<embargo_formats::Document<'_>> =
        documents.iter().zip(&pages).map(|(d, page)| d.document(page)).collect();
    let url = format!("{}/advisories/feed.atom", base(&state));
    let host = base(&state).split_once("://").map_or(base(&state), |(_, host)| host);
    let updated = last_updated(&documents, &state);
    let feed = atom::Feed { url: &url, title: "Security advisories", author: host, updated };
    let mut response = typed("application/atom+xml; charset=utf-8", atom::feed(&feed, &docs));
    if !documents.is_empty()
        && let Some((name, value)) = last_modified(updated)
    {
        response.headers_mut().insert(name, value);
    }
    Ok(response)
}
