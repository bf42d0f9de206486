//! Public documents outside the JSON API: what a CSAF provider serves under
//! `/.well-known/csaf/` (CSAF 2.0 section 7.1: provider metadata, the
//! TLP:WHITE directory with `index.txt`, `changes.csv`, one document per
//! advisory and a ROLIE feed) and the Atom feed `/advisories/feed.atom`.
//! Published revisions only.

use axum::Router;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use embargo_app::PublishedDocument;
use embargo_formats::{atom, csaf};

use crate::AppState;
use crate::error::ApiError;
use crate::extract::Path;

/// The public document routes.
pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/.well-known/csaf/provider-metadata.json", get(provider_metadata))
        .route("/.well-known/csaf/white/index.txt", get(index_txt))
        .route("/.well-known/csaf/white/changes.csv", get(changes_csv))
        .route("/.well-known/csaf/white/feed-tlp-white.json", get(rolie_feed))
        .route("/.well-known/csaf/white/{year}/{file}", get(csaf_document))
        .route("/advisories/feed.atom", get(atom_feed))
}

fn base(state: &AppState) -> &str {
    state.config.public_url.trim_end_matches('/')
}

/// The advisory's public page.
pub(crate) fn page_url(base: &str, id: &str) -> String {
    format!("{base}/advisories/{id}")
}

fn csaf_base(state: &AppState) -> String {
    format!("{}/.well-known/csaf/", base(state))
}

fn publisher(state: &AppState) -> csaf::Publisher {
    let host = base(state).split_once("://").map_or(base(state), |(_, host)| host);
    csaf::Publisher { name: format!("Embargo at {host}"), namespace: base(state).to_owned() }
}

fn listed(base: &str, documents: &[PublishedDocument]) -> Vec<csaf::Listed> {
    documents
        .iter()
        .map(|d| {
            let page = page_url(base, d.advisory.id.as_str());
            let doc = d.document(&page);
            csaf::Listed {
                id: d.advisory.id.to_string(),
                title: doc.title().to_owned(),
                path: csaf::file_path(&doc),
                published: doc.published,
                modified: doc.modified,
            }
        })
        .collect()
}

fn typed(content_type: &'static str, body: String) -> Response {
    ([(header::CONTENT_TYPE, content_type), (header::CACHE_CONTROL, "public, max-age=300")], body).into_response()
}

fn json(value: &serde_json::Value) -> Response {
    typed("application/json", value.to_string())
}

fn last_updated(documents: &[PublishedDocument], state: &AppState) -> time::OffsetDateTime {
    documents.iter().map(|d| d.advisory.revision.published_at).max().unwrap_or_else(|| state.app.now())
}

async fn provider_metadata(State(state): State<AppState>) -> Result<Response, ApiError> {
    let documents = state.app.published_documents(false).await?;
    Ok(json(&csaf::provider_metadata(&publisher(&state), &csaf_base(&state), last_updated(&documents, &state))))
}

async fn index_txt(State(state): State<AppState>) -> Result<Response, ApiError> {
    let documents = state.app.published_documents(false).await?;
    Ok(typed("text/plain; charset=utf-8", csaf::index_txt(&listed(base(&state), &documents))))
}

async fn changes_csv(State(state): State<AppState>) -> Result<Response, ApiError> {
    let documents = state.app.published_documents(false).await?;
    Ok(typed("text/csv; charset=utf-8", csaf::changes_csv(&listed(base(&state), &documents))))
}

async fn rolie_feed(State(state): State<AppState>) -> Result<Response, ApiError> {
    let documents = state.app.published_documents(false).await?;
    let feed =
        csaf::rolie_feed(&csaf_base(&state), &listed(base(&state), &documents), last_updated(&documents, &state));
    Ok(json(&feed))
}

async fn csaf_document(
    State(state): State<AppState>,
    Path((year, file)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let path = format!("{year}/{file}");
    let documents = state.app.published_documents(false).await?;
    let found =
        listed(base(&state), &documents).into_iter().find(|l| l.path == path).ok_or_else(ApiError::not_found)?;
    let document = state.app.published_document(&found.id).await?;
    let page = page_url(base(&state), &found.id);
    let url = format!("{}{}/{path}", csaf_base(&state), csaf::WHITE_DIR);
    Ok(json(&csaf::document(&document.document(&page), &publisher(&state), &url)))
}

async fn atom_feed(State(state): State<AppState>) -> Result<Response, ApiError> {
    let documents = state.app.published_documents(false).await?;
    let pages: Vec<String> = documents.iter().map(|d| page_url(base(&state), d.advisory.id.as_str())).collect();
    let docs: Vec<embargo_formats::Document<'_>> =
        documents.iter().zip(&pages).map(|(d, page)| d.document(page)).collect();
    let url = format!("{}/advisories/feed.atom", base(&state));
    let host = base(&state).split_once("://").map_or(base(&state), |(_, host)| host);
    let feed =
        atom::Feed { url: &url, title: "Security advisories", author: host, updated: last_updated(&documents, &state) };
    Ok(typed("application/atom+xml; charset=utf-8", atom::feed(&feed, &docs)))
}
