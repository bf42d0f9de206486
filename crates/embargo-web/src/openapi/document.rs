//! The document's parts that no handler annotation gives: its head, the
//! security schemes, and the error responses every operation can answer.
//! Used only by the test that writes `openapi.json` (`super::tests`).

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
        (name = "webhooks", description = "Outgoing webhooks (Standard Webhooks) and their deliveries"),
        (name = "cra", description = "EU Cyber Resilience Act reporting clocks and the content for ENISA (the team)"),
        (name = "forges", description = "Forge webhooks: publish when the fix merges"),
    )
)]
pub(super) struct ApiDoc;

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

/// Completes what the annotations leave out, the same way for every operation:
/// a description on every response (OpenAPI 3.1 requires one; the status's
/// reason phrase where the annotation gave none), and the error responses
/// every handler can answer, each with the `{"error","message"}` body
/// (`ErrorBody`): 400 (a malformed path or query), 404 (missing, or hidden from
/// the caller), 500; 401 and 403 where a caller may be refused (all but the
/// health checks); 413, 415 and 422 where a request body is read.
pub(super) fn complete(document: &mut utoipa::openapi::OpenApi) {
    use utoipa::openapi::path::Operation;
    for (path, item) in document.paths.paths.iter_mut() {
        let public = matches!(path.as_str(), "/healthz" | "/readyz");
        let operations: [&mut Option<Operation>; 5] =
            [&mut item.get, &mut item.put, &mut item.post, &mut item.delete, &mut item.patch];
        for operation in operations.into_iter().flatten() {
            let mut statuses = vec!["400", "404", "500"];
            if !public {
                statuses.extend(["401", "403"]);
            }
            if operation.request_body.is_some() {
                statuses.extend(["413", "415", "422"]);
            }
            let responses = &mut operation.responses.responses;
            for status in statuses {
                responses.entry(status.to_owned()).or_insert_with(|| error_response(status));
            }
            for (status, response) in responses.iter_mut() {
                if let utoipa::openapi::RefOr::T(response) = response
                    && response.description.is_empty()
                {
                    response.description = reason(status).to_owned();
                }
            }
        }
    }
}

fn error_response(status: &str) -> utoipa::openapi::RefOr<utoipa::openapi::Response> {
    use utoipa::openapi::{ContentBuilder, Ref, ResponseBuilder};
    ResponseBuilder::new()
        .description(reason(status))
        .content("application/json", ContentBuilder::new().schema(Some(Ref::from_schema_name("ErrorBody"))).build())
        .build()
        .into()
}

/// The reason phrase of a status (RFC 9110, section 15).
fn reason(status: &str) -> &'static str {
    status
        .parse::<u16>()
        .ok()
        .and_then(|code| http::StatusCode::from_u16(code).ok())
        .and_then(|code| code.canonical_reason())
        .unwrap_or("Response")
}
