//! The CWE list that ships with the binary, for the advisory editor: every
//! entry, or those matching what was typed.

use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::extract::Query;

/// A CWE entry.
#[derive(Serialize, ToSchema)]
pub(crate) struct CweJson {
    /// `CWE-79`.
    id: String,
    /// MITRE's name.
    name: &'static str,
}

/// What to look for.
#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub(crate) struct CweQuery {
    /// An id (`79`, `CWE-79`) or words of the name; absent for the whole list.
    q: Option<String>,
}

/// The CWE list (MITRE's CWE 4.14): every entry, or those matching `q`.
#[utoipa::path(
    get,
    path = "/api/v1/cwes",
    tag = "advisories",
    params(CweQuery),
    responses((status = 200, body = [CweJson]), (status = 400, body = crate::ErrorBody))
)]
pub(crate) async fn list_cwes(Query(query): Query<CweQuery>) -> axum::Json<Vec<CweJson>> {
    let entries = match query.q.as_deref().map(str::trim).filter(|q| !q.is_empty()) {
        Some(q) => embargo_core::cwe::search(q),
        None => embargo_core::cwe::entries().collect(),
    };
    axum::Json(entries.into_iter().map(|e| CweJson { id: e.id.to_string(), name: e.name }).collect())
}
