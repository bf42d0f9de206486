//! The OpenAPI document: collected from the handlers' annotations.

use std::sync::Arc;

use axum::Json;
use axum::response::IntoResponse;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

/// The document's fixed parts; paths come from the router.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "Embargo",
        description = "Private vulnerability reports in, coordinated advisories out. \
                       Authenticate with `Authorization: Bearer` (an API token `emba_…`, or a report's \
                       follow-up token `embf_…`) or with the browser session cookie.",
        license(name = "Apache-2.0", identifier = "Apache-2.0")
    ),
    modifiers(&SecuritySchemes),
    tags(
        (name = "health", description = "Liveness and readiness"),
        (name = "accounts", description = "Setup, sign-up, sessions, API tokens, settings"),
        (name = "organisations", description = "Organisations, projects, teams, release lines"),
        (name = "policies", description = "Security policies, SECURITY.md and security.txt"),
        (name = "reports", description = "Private vulnerability reports"),
        (name = "advisories", description = "Advisories: drafts for the team, published for everyone"),
        (name = "lab", description = "The evidence lab: PoC runs per release line, fix verification, grounding"),
        (name = "audit", description = "The audit log and its signed checkpoints (administrators)"),
    )
)]
pub(crate) struct ApiDoc;

struct SecuritySchemes;

impl Modify for SecuritySchemes {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
        components.add_security_scheme(
            "session",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::new(crate::extract::SESSION_COOKIE))),
        );
    }
}

pub(crate) async fn serve(document: Arc<utoipa::openapi::OpenApi>) -> impl IntoResponse {
    Json(document.as_ref().clone())
}
