//! The OpenAPI document at `/api/v1/openapi.json`.
//!
//! The handlers' `#[utoipa::path]` annotations describe the API; the test in
//! `openapi/tests.rs` collects them (`api::documented`, `document`) into
//! `openapi.json` beside this crate's manifest, and fails when that file is
//! not what they describe (`EMBARGO_WRITE_OPENAPI=1` rewrites it). The server
//! serves the file, minified by `build.rs`: building the description at run
//! time took over a megabyte of the binary (issue 13: the container image).
//! The routes are registered from the same annotations (`api::routes`), so
//! the served paths and methods are the described ones.

use axum::http::header;
use axum::response::IntoResponse;

#[cfg(test)]
mod document;
#[cfg(test)]
mod tests;

/// `openapi.json`, minified at build time.
const DOCUMENT: &str = include_str!(concat!(env!("OUT_DIR"), "/openapi.min.json"));

/// Answers the document.
pub(crate) async fn serve() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "application/json")], DOCUMENT)
}
