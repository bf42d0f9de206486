//! The authorization matrix: every route, for every role. A resource a role
//! may not see answers 404; one it may see but not change answers 403 (401
//! when signing in would help). Statuses that are not 2xx or 4xx of this
//! kind (409, 404 for a missing item) show that authorization passed and the
//! use case itself answered.

use embargo_testkit::Auth;
use http::{Method, StatusCode};
use serde_json::{Value, json};

use crate::fixture::World;

/// The roles, in the order of every row's expected statuses.
pub const ROLES: [&str; 9] = [
    "anonymous",
    "follow-up token",
    "reporter",
    "other reporter",
    "admin",
    "org team",
    "project team",
    "other team",
    "collaborator",
];

/// One route: method, path template (as in the OpenAPI document), a concrete
/// path, a body maker (per role index, so that creations do not collide),
/// and the expected status per role.
pub struct Row {
    pub method: Method,
    pub template: &'static str,
    pub path: String,
    pub body: Option<Box<dyn Fn(usize) -> Value + Send + Sync>>,
    /// A non-JSON body: (content type, text).
    pub raw: Option<(&'static str, &'static str)>,
    pub expected: [u16; 9],
}

fn row(method: Method, template: &'static str, path: impl Into<String>, expected: [u16; 9]) -> Row {
    Row { method, template, path: path.into(), body: None, raw: None, expected }
}

fn with_toml(mut r: Row, text: &'static str) -> Row {
    r.raw = Some(("application/toml", text));
    r
}

fn with_body(mut r: Row, body: impl Fn(usize) -> Value + Send + Sync + 'static) -> Row {
    r.body = Some(Box::new(body));
    r
}

/// Whether a route belongs in the OpenAPI document (the JSON API and health
/// checks); the OSV API, `/.well-known/` files and feeds stay out of it.
pub fn documented(template: &str) -> bool {
    template.starts_with("/api/") || matches!(template, "/healthz" | "/readyz" | "/.well-known/security.txt")
}

/// Every route the API serves, with what each role gets.
pub fn matrix(report: &str, advisory: &str, outsider: &str) -> Vec<Row> {
    use Method as M;
    vec![
        row(M::GET, "/healthz", "/healthz", [200; 9]),
        row(M::GET, "/readyz", "/readyz", [200; 9]),
        // Metrics are never public by default: only the operator's setting serves them.
        row(M::GET, "/metrics", "/metrics", [404; 9]),
        // Before an administrator makes a second organisation below: with one, it speaks for it.
        row(M::GET, "/.well-known/security.txt", "/.well-known/security.txt", [200; 9]),
        with_body(
            row(M::POST, "/api/v1/setup", "/api/v1/setup", [404; 9]),
            |_| json!({"token": "embi_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "email": "x@example.org", "name": "x", "password": "long enough pw"}),
        ),
        with_body(
            row(M::POST, "/api/v1/session", "/api/v1/session", [401; 9]),
            // One address per role: five failures for one account would lock it (issue 12).
            |i| json!({"email": format!("nobody{i}@example.org"), "password": "not a password"}),
        ),
        row(M::GET, "/api/v1/session", "/api/v1/session", [401, 401, 200, 200, 200, 200, 200, 200, 200]),
        with_body(
            // Sign-up is closed on a new instance: only an administrator makes accounts.
            row(M::POST, "/api/v1/users", "/api/v1/users", [403, 403, 403, 403, 201, 403, 403, 403, 403]),
            |i| json!({"email": format!("signup{i}@example.org"), "name": "New", "password": "long enough pw"}),
        ),
        row(M::GET, "/api/v1/users", "/api/v1/users", [401, 403, 403, 403, 200, 403, 403, 403, 403]),
        with_body(
            // No link was mailed: a made-up one is not found, whoever asks.
            row(M::POST, "/api/v1/signup/confirm", "/api/v1/signup/confirm", [404; 9]),
            |_| json!({"token": "embu_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"}),
        ),
        with_body(
            row(M::POST, "/api/v1/tokens", "/api/v1/tokens", [401, 401, 201, 201, 201, 201, 201, 201, 201]),
            |_| json!({"name": "ci", "scopes": ["read"]}),
        ),
        row(M::GET, "/api/v1/tokens", "/api/v1/tokens", [401, 401, 200, 200, 200, 200, 200, 200, 200]),
        row(
            M::DELETE,
            "/api/v1/tokens/{id}",
            format!("/api/v1/tokens/{outsider}"),
            [401, 401, 404, 404, 404, 404, 404, 404, 404],
        ),
        row(M::GET, "/api/v1/settings", "/api/v1/settings", [200; 9]),
        with_body(
            row(M::PUT, "/api/v1/settings", "/api/v1/settings", [401, 403, 403, 403, 200, 403, 403, 403, 403]),
            |_| json!({"signup_open": true}),
        ),
        row(M::GET, "/api/v1/orgs", "/api/v1/orgs", [200; 9]),
        with_body(
            row(M::POST, "/api/v1/orgs", "/api/v1/orgs", [401, 403, 403, 403, 201, 403, 403, 403, 403]),
            |i| json!({"slug": format!("org-{i}"), "name": "New organisation"}),
        ),
        row(M::GET, "/api/v1/orgs/{org}", "/api/v1/orgs/pallets", [200; 9]),
        with_body(
            row(M::PATCH, "/api/v1/orgs/{org}", "/api/v1/orgs/pallets", [401, 403, 403, 403, 200, 200, 403, 403, 403]),
            |_| json!({"name": "Pallets"}),
        ),
        row(M::GET, "/api/v1/orgs/{org}/projects", "/api/v1/orgs/pallets/projects", [200; 9]),
        with_body(
            row(
                M::POST,
                "/api/v1/orgs/{org}/projects",
                "/api/v1/orgs/pallets/projects",
                [401, 403, 403, 403, 201, 201, 403, 403, 403],
            ),
            |i| json!({"slug": format!("project-{i}"), "name": "New project"}),
        ),
        row(
            M::GET,
            "/api/v1/orgs/{org}/members",
            "/api/v1/orgs/pallets/members",
            [401, 404, 404, 404, 200, 200, 404, 404, 404],
        ),
        with_body(
            row(
                M::POST,
                "/api/v1/orgs/{org}/members",
                "/api/v1/orgs/pallets/members",
                [401, 403, 403, 403, 201, 201, 403, 403, 403],
            ),
            |_| json!({"email": "extra@example.org"}),
        ),
        row(
            M::DELETE,
            "/api/v1/orgs/{org}/members/{user}",
            format!("/api/v1/orgs/pallets/members/{outsider}"),
            [401, 403, 403, 403, 404, 404, 403, 403, 403],
        ),
        row(M::GET, "/api/v1/projects/{org}/{project}", "/api/v1/projects/pallets/flask", [200; 9]),
        with_body(
            row(
                M::PATCH,
                "/api/v1/projects/{org}/{project}",
                "/api/v1/projects/pallets/flask",
                [401, 403, 403, 403, 200, 200, 200, 403, 403],
            ),
            |_| json!({"name": "Flask"}),
        ),
        row(
            M::GET,
            "/api/v1/projects/{org}/{project}/members",
            "/api/v1/projects/pallets/flask/members",
            [404, 404, 404, 404, 200, 200, 200, 404, 404],
        ),
        with_body(
            row(
                M::POST,
                "/api/v1/projects/{org}/{project}/members",
                "/api/v1/projects/pallets/flask/members",
                [401, 403, 403, 403, 201, 201, 201, 403, 403],
            ),
            |_| json!({"email": "extra@example.org"}),
        ),
        row(
            M::DELETE,
            "/api/v1/projects/{org}/{project}/members/{user}",
            format!("/api/v1/projects/pallets/flask/members/{outsider}"),
            [401, 403, 403, 403, 404, 404, 404, 403, 403],
        ),
        // Public response times (issue 10).
        row(
            M::GET,
            "/api/v1/projects/{org}/{project}/response-times",
            "/api/v1/projects/pallets/flask/response-times",
            [200; 9],
        ),
        row(M::GET, "/api/v1/orgs/{org}/response-times", "/api/v1/orgs/pallets/response-times", [200; 9]),
        // The coordinator rotation (issue 10): the project's team reads and sets it.
        row(
            M::GET,
            "/api/v1/projects/{org}/{project}/rotation",
            "/api/v1/projects/pallets/flask/rotation",
            [404, 404, 404, 404, 200, 200, 200, 404, 404],
        ),
        with_body(
            row(
                M::PUT,
                "/api/v1/projects/{org}/{project}/rotation",
                "/api/v1/projects/pallets/flask/rotation",
                [401, 403, 403, 403, 200, 200, 200, 403, 403],
            ),
            |_| json!({"idle_days": 3, "coordinators": []}),
        ),
        row(
            M::GET,
            "/api/v1/projects/{org}/{project}/release-lines",
            "/api/v1/projects/pallets/flask/release-lines",
            [200; 9],
        ),
        with_body(
            row(
                M::PUT,
                "/api/v1/projects/{org}/{project}/release-lines/{name}",
                "/api/v1/projects/pallets/flask/release-lines/3.1",
                [401, 403, 403, 403, 200, 200, 200, 403, 403],
            ),
            |_| json!({"status": "bugfix", "released_on": "2024-11-13"}),
        ),
        row(
            M::DELETE,
            "/api/v1/projects/{org}/{project}/release-lines/{name}",
            "/api/v1/projects/pallets/flask/release-lines/9.9",
            [401, 403, 403, 403, 404, 404, 404, 403, 403],
        ),
        // Webhooks made here hear only `cve.*` events, which nothing in this walk emits, so no delivery is queued.
        row(
            M::GET,
            "/api/v1/orgs/{org}/webhooks",
            "/api/v1/orgs/pallets/webhooks",
            [401, 404, 404, 404, 200, 200, 404, 404, 404],
        ),
        with_body(
            row(
                M::POST,
                "/api/v1/orgs/{org}/webhooks",
                "/api/v1/orgs/pallets/webhooks",
                [401, 403, 403, 403, 201, 201, 403, 403, 403],
            ),
            |i| json!({"url": format!("https://hooks.example/org/{i}"), "events": ["cve.published"]}),
        ),
        row(
            M::DELETE,
            "/api/v1/orgs/{org}/webhooks/{id}",
            format!("/api/v1/orgs/pallets/webhooks/{outsider}"),
            [401, 403, 403, 403, 404, 404, 403, 403, 403],
        ),
        row(
            M::GET,
            "/api/v1/projects/{org}/{project}/webhooks",
            "/api/v1/projects/pallets/flask/webhooks",
            [401, 404, 404, 404, 200, 200, 200, 404, 404],
        ),
        with_body(
            row(
                M::POST,
                "/api/v1/projects/{org}/{project}/webhooks",
                "/api/v1/projects/pallets/flask/webhooks",
                [401, 403, 403, 403, 201, 201, 201, 403, 403],
            ),
            |i| json!({"url": format!("https://hooks.example/project/{i}"), "events": ["cve.reserved"]}),
        ),
        row(
            M::DELETE,
            "/api/v1/projects/{org}/{project}/webhooks/{id}",
            format!("/api/v1/projects/pallets/flask/webhooks/{outsider}"),
            [401, 403, 403, 403, 404, 404, 404, 403, 403],
        ),
        with_body(
            row(
                M::POST,
                "/api/v1/projects/{org}/{project}/reports",
                "/api/v1/projects/pallets/flask/reports",
                [201, 403, 201, 201, 201, 201, 201, 201, 201],
            ),
            |_| json!({"title": "A flaw", "body": "Details."}),
        ),
        row(M::GET, "/api/v1/reports", "/api/v1/reports", [401, 200, 200, 200, 200, 200, 200, 200, 200]),
        row(
            M::GET,
            "/api/v1/reports/{id}",
            format!("/api/v1/reports/{report}"),
            [404, 200, 200, 404, 404, 200, 200, 404, 200],
        ),
        with_body(
            row(
                M::PATCH,
                "/api/v1/reports/{id}",
                format!("/api/v1/reports/{report}"),
                [404, 403, 403, 404, 404, 200, 200, 404, 403],
            ),
            |_| json!({"cwes": ["CWE-79"]}),
        ),
        with_body(
            row(
                M::POST,
                "/api/v1/reports/{id}/messages",
                format!("/api/v1/reports/{report}/messages"),
                [404, 201, 201, 404, 404, 201, 201, 404, 201],
            ),
            |_| json!({"body": "A message."}),
        ),
        with_body(
            row(
                M::POST,
                "/api/v1/reports/{id}/transitions",
                format!("/api/v1/reports/{report}/transitions"),
                [404, 403, 403, 404, 404, 409, 409, 404, 403],
            ),
            |_| json!({"to": "fixed"}),
        ),
        row(
            M::POST,
            "/api/v1/reports/{id}/advisory",
            format!("/api/v1/reports/{report}/advisory"),
            [404, 404, 404, 404, 404, 409, 409, 404, 404],
        ),
        row(M::GET, "/api/v1/advisories", "/api/v1/advisories", [200; 9]),
        row(
            M::GET,
            "/api/v1/advisories/{id}",
            format!("/api/v1/advisories/{advisory}"),
            [404, 404, 404, 404, 404, 200, 200, 404, 404],
        ),
        with_body(
            row(
                M::PATCH,
                "/api/v1/advisories/{id}",
                format!("/api/v1/advisories/{advisory}"),
                [404, 404, 404, 404, 404, 200, 200, 404, 404],
            ),
            |_| json!({"details": "Upgrade."}),
        ),
        row(
            M::POST,
            "/api/v1/advisories/{id}/publish",
            format!("/api/v1/advisories/{advisory}/publish"),
            [404, 404, 404, 404, 404, 409, 409, 404, 404],
        ),
        // Scheduling needs no fixed report yet: the publication is refused then if it still is not (issue 10).
        with_body(
            row(
                M::POST,
                "/api/v1/advisories/{id}/schedule",
                format!("/api/v1/advisories/{advisory}/schedule"),
                [404, 404, 404, 404, 404, 201, 201, 404, 404],
            ),
            |_| json!({"at": "2030-01-01T09:00:00+01:00"}),
        ),
        // VEX (issue 14): the team hears that 9.9 is no release line; everyone else finds nothing.
        with_body(
            row(
                M::PUT,
                "/api/v1/advisories/{id}/vex/{line}",
                format!("/api/v1/advisories/{advisory}/vex/9.9"),
                [404, 404, 404, 404, 404, 422, 422, 404, 404],
            ),
            |_| json!({"justification": "component_not_present"}),
        ),
        row(
            M::DELETE,
            "/api/v1/advisories/{id}/vex/{line}",
            format!("/api/v1/advisories/{advisory}/vex/9.9"),
            [404; 9],
        ),
        // A draft cannot be withdrawn: the team hears why, everyone else finds nothing.
        row(
            M::POST,
            "/api/v1/advisories/{id}/withdraw",
            format!("/api/v1/advisories/{advisory}/withdraw"),
            [404, 404, 404, 404, 404, 409, 409, 404, 404],
        ),
        with_body(
            row(
                M::POST,
                "/api/v1/projects/{org}/{project}/reports/check",
                "/api/v1/projects/pallets/flask/reports/check",
                [200, 403, 200, 200, 200, 200, 200, 200, 200],
            ),
            |_| json!({"title": "A flaw", "body": "Details."}),
        ),
        with_body(
            row(
                M::POST,
                "/api/v1/reports/{id}/shares",
                format!("/api/v1/reports/{report}/shares"),
                [404, 403, 403, 404, 404, 422, 422, 404, 403],
            ),
            |_| json!({"platform": "AIX"}),
        ),
        // The conduct export (issue 10): the team's alone.
        row(
            M::GET,
            "/api/v1/reports/{id}/conduct-export",
            format!("/api/v1/reports/{report}/conduct-export?format=text"),
            [404, 403, 403, 404, 404, 200, 200, 404, 403],
        ),
        // Collaborators (issue 10): the team invites, lists and revokes; an invitee may not.
        with_body(
            row(
                M::POST,
                "/api/v1/reports/{id}/collaborators",
                format!("/api/v1/reports/{report}/collaborators"),
                [404, 403, 403, 404, 404, 201, 201, 404, 403],
            ),
            |i| json!({"email": format!("invitee{i}@example.org"), "role": "collaborator"}),
        ),
        row(
            M::GET,
            "/api/v1/reports/{id}/collaborators",
            format!("/api/v1/reports/{report}/collaborators"),
            [404, 403, 403, 404, 404, 200, 200, 404, 403],
        ),
        // No such invitation: the team is let through and finds none.
        row(
            M::DELETE,
            "/api/v1/reports/{id}/collaborators/{collaborator}",
            format!("/api/v1/reports/{report}/collaborators/{outsider}"),
            [404, 403, 403, 404, 404, 404, 404, 404, 403],
        ),
        // The project has no [lab] policy: the team is let through and told so (422).
        with_body(
            row(
                M::POST,
                "/api/v1/reports/{id}/lab/runs",
                format!("/api/v1/reports/{report}/lab/runs"),
                [404, 403, 403, 404, 404, 422, 422, 404, 403],
            ),
            |_| json!({"lines": ["2.0"]}),
        ),
        row(
            M::GET,
            "/api/v1/reports/{id}/lab",
            format!("/api/v1/reports/{report}/lab"),
            [404, 200, 200, 404, 404, 200, 200, 404, 200],
        ),
        // Nothing ran: the team is let through and told there is nothing to accept (422).
        row(
            M::POST,
            "/api/v1/reports/{id}/lab/accept",
            format!("/api/v1/reports/{report}/lab/accept"),
            [404, 403, 403, 404, 404, 422, 422, 404, 403],
        ),
        // Sharing the lab's verdicts with the reporter (issue 17): the team only.
        row(
            M::PUT,
            "/api/v1/reports/{id}/lab/share",
            format!("/api/v1/reports/{report}/lab/share"),
            [404, 403, 403, 404, 404, 200, 200, 404, 403],
        ),
        row(
            M::DELETE,
            "/api/v1/reports/{id}/lab/share",
            format!("/api/v1/reports/{report}/lab/share"),
            [404, 403, 403, 404, 404, 200, 200, 404, 403],
        ),
        // Finders' credit (issue 10): the report's finders (its reporter, co-finders) choose; the team sees all.
        row(
            M::GET,
            "/api/v1/reports/{id}/credit",
            format!("/api/v1/reports/{report}/credit"),
            [404, 200, 200, 404, 404, 403, 403, 404, 403],
        ),
        with_body(
            row(
                M::PUT,
                "/api/v1/reports/{id}/credit",
                format!("/api/v1/reports/{report}/credit"),
                [404, 200, 200, 404, 404, 403, 403, 404, 403],
            ),
            |i| json!({"declined": false, "name": format!("Finder {i}")}),
        ),
        row(
            M::GET,
            "/api/v1/reports/{id}/credits",
            format!("/api/v1/reports/{report}/credits"),
            [404, 403, 403, 404, 404, 200, 200, 404, 403],
        ),
        // A public issue (issue 10): none was made, so those who may see one find none.
        row(
            M::GET,
            "/api/v1/reports/{id}/public-issue",
            format!("/api/v1/reports/{report}/public-issue"),
            [404, 404, 404, 404, 404, 404, 404, 404, 403],
        ),
        // The report was not declined: the team is let through and told so (422).
        with_body(
            row(
                M::POST,
                "/api/v1/reports/{id}/public-issue",
                format!("/api/v1/reports/{report}/public-issue"),
                [404, 403, 403, 404, 404, 422, 422, 404, 403],
            ),
            |_| json!({"include_poc": false}),
        ),
        with_body(
            row(
                M::POST,
                "/api/v1/reports/{id}/public-issue/answer",
                format!("/api/v1/reports/{report}/public-issue/answer"),
                [404, 404, 404, 404, 404, 403, 403, 404, 403],
            ),
            |_| json!({"answer": "anonymous"}),
        ),
        with_body(
            row(
                M::POST,
                "/api/v1/reports/{id}/public-issue/published",
                format!("/api/v1/reports/{report}/public-issue/published"),
                [404, 403, 403, 404, 404, 404, 404, 404, 403],
            ),
            |_| json!({"url": "https://github.com/pallets/flask/issues/1"}),
        ),
        row(M::GET, "/api/v1/orgs/{org}/policy", "/api/v1/orgs/pallets/policy", [200; 9]),
        with_toml(
            row(
                M::PUT,
                "/api/v1/orgs/{org}/policy",
                "/api/v1/orgs/pallets/policy",
                [401, 403, 403, 403, 200, 200, 403, 403, 403],
            ),
            "[response]\nacknowledge = \"3d\"\n",
        ),
        row(M::GET, "/api/v1/orgs/{org}/policy.toml", "/api/v1/orgs/pallets/policy.toml", [200; 9]),
        row(M::GET, "/api/v1/projects/{org}/{project}/policy", "/api/v1/projects/pallets/flask/policy", [200; 9]),
        with_toml(
            row(
                M::PUT,
                "/api/v1/projects/{org}/{project}/policy",
                "/api/v1/projects/pallets/flask/policy",
                [401, 403, 403, 403, 200, 200, 200, 403, 403],
            ),
            "[report]\nrecommended = [\"proof_of_concept\"]\n",
        ),
        row(
            M::GET,
            "/api/v1/projects/{org}/{project}/policy.toml",
            "/api/v1/projects/pallets/flask/policy.toml",
            [200; 9],
        ),
        row(
            M::GET,
            "/api/v1/projects/{org}/{project}/security.md",
            "/api/v1/projects/pallets/flask/security.md",
            [200; 9],
        ),
        row(M::GET, "/api/v1/orgs/{org}/openpgp.asc", "/api/v1/orgs/pallets/openpgp.asc", [404; 9]),
        row(
            M::POST,
            "/api/v1/advisories/{id}/cve",
            format!("/api/v1/advisories/{advisory}/cve"),
            [404, 404, 404, 404, 404, 409, 409, 404, 404],
        ),
        with_body(
            row(
                M::PUT,
                "/api/v1/users/{id}/ban",
                format!("/api/v1/users/{outsider}/ban"),
                [401, 403, 403, 403, 200, 403, 403, 403, 403],
            ),
            |_| json!({"banned": false}),
        ),
        row(M::GET, "/api/v1/cwes", "/api/v1/cwes?q=79", [200; 9]),
        // The audit log is the administrators' alone; others are not told it exists.
        row(
            M::GET,
            "/api/v1/audit/checkpoint",
            "/api/v1/audit/checkpoint",
            [404, 404, 404, 404, 200, 404, 404, 404, 404],
        ),
        row(
            M::GET,
            "/api/v1/audit/events",
            format!("/api/v1/audit/events?report={report}"),
            [404, 404, 404, 404, 200, 404, 404, 404, 404],
        ),
        // Public documents outside /api/v1 (not in the OpenAPI document): published advisories
        // only, so the drafted advisory is not found for anyone, its team included.
        with_body(
            row(M::POST, "/osv/v1/query", "/osv/v1/query", [200; 9]),
            |_| json!({"package": {"ecosystem": "PyPI", "name": "flask"}, "version": "1.0"}),
        ),
        with_body(
            row(M::POST, "/osv/v1/querybatch", "/osv/v1/querybatch", [200; 9]),
            |_| json!({"queries": [{"package": {"ecosystem": "PyPI", "name": "flask"}, "version": "1.0"}]}),
        ),
        row(M::GET, "/osv/v1/vulns/{id}", format!("/osv/v1/vulns/{advisory}"), [404; 9]),
        row(M::GET, "/.well-known/csaf/provider-metadata.json", "/.well-known/csaf/provider-metadata.json", [200; 9]),
        row(M::GET, "/.well-known/csaf/openpgp/{file}", "/.well-known/csaf/openpgp/0123456789ABCDEF.asc", [404; 9]),
        row(
            M::GET,
            "/.well-known/csaf/openvex/{year}/{file}",
            format!("/.well-known/csaf/openvex/2026/{}.json", advisory.to_lowercase()),
            [404; 9],
        ),
        row(M::GET, "/.well-known/csaf/white/", "/.well-known/csaf/white/", [200; 9]),
        row(M::GET, "/.well-known/csaf/white/{file}", "/.well-known/csaf/white/index.txt", [200; 9]),
        row(M::GET, "/.well-known/csaf/white/{file}", "/.well-known/csaf/white/changes.csv", [200; 9]),
        row(M::GET, "/.well-known/csaf/white/{file}", "/.well-known/csaf/white/feed-tlp-white.json", [200; 9]),
        row(M::GET, "/.well-known/csaf/white/{year}/", "/.well-known/csaf/white/2026/", [404; 9]),
        row(
            M::GET,
            "/.well-known/csaf/white/{year}/{file}",
            format!("/.well-known/csaf/white/2026/{}.json", advisory.to_lowercase()),
            [404; 9],
        ),
        row(M::GET, "/advisories/feed.atom", "/advisories/feed.atom", [200; 9]),
        // CRA reporting clocks (issue 11): the team's alone. The policy rows above leave the
        // organisation without a role, so the team is let through and told to state one (422);
        // with nothing started, the team finds no clocks (404). `cra.rs` walks the started ones.
        with_body(
            row(
                M::POST,
                "/api/v1/reports/{id}/cra",
                format!("/api/v1/reports/{report}/cra"),
                [404, 403, 403, 404, 404, 422, 422, 404, 403],
            ),
            |_| json!({"kind": "exploited-vulnerability", "aware_at": "2026-01-01T09:00:00+01:00"}),
        ),
        row(
            M::GET,
            "/api/v1/reports/{id}/cra",
            format!("/api/v1/reports/{report}/cra"),
            [404, 403, 403, 404, 404, 404, 404, 404, 403],
        ),
        with_body(
            row(
                M::PATCH,
                "/api/v1/reports/{id}/cra",
                format!("/api/v1/reports/{report}/cra"),
                [404, 403, 403, 404, 404, 404, 404, 404, 403],
            ),
            |_| json!({"member_states": ["DE"]}),
        ),
        with_body(
            row(
                M::POST,
                "/api/v1/reports/{id}/cra/stages/{stage}",
                format!("/api/v1/reports/{report}/cra/stages/early-warning"),
                [404, 403, 403, 404, 404, 404, 404, 404, 403],
            ),
            |_| json!({"reference": "ENISA-1"}),
        ),
        row(
            M::GET,
            "/api/v1/reports/{id}/cra/stages/{stage}",
            format!("/api/v1/reports/{report}/cra/stages/notification"),
            [404, 403, 403, 404, 404, 404, 404, 404, 403],
        ),
        // Resending a webhook delivery (issue 11): the managers find no such webhook here.
        row(
            M::POST,
            "/api/v1/orgs/{org}/webhooks/{id}/deliveries/{delivery}/resend",
            format!("/api/v1/orgs/pallets/webhooks/{outsider}/deliveries/{outsider}/resend"),
            [401, 403, 403, 403, 404, 404, 403, 403, 403],
        ),
        row(
            M::POST,
            "/api/v1/projects/{org}/{project}/webhooks/{id}/deliveries/{delivery}/resend",
            format!("/api/v1/projects/pallets/flask/webhooks/{outsider}/deliveries/{outsider}/resend"),
            [401, 403, 403, 403, 404, 404, 404, 403, 403],
        ),
        // Forge hooks (issue 11): the project's team sets the secret; deliveries are verified by signature,
        // so an unsigned one is refused alike for every role once a secret is set.
        row(
            M::GET,
            "/api/v1/projects/{org}/{project}/hooks/{forge}",
            "/api/v1/projects/pallets/flask/hooks/github",
            [401, 404, 404, 404, 200, 200, 200, 404, 404],
        ),
        with_body(
            row(
                M::PUT,
                "/api/v1/projects/{org}/{project}/hooks/{forge}",
                "/api/v1/projects/pallets/flask/hooks/github",
                [401, 403, 403, 403, 200, 200, 200, 403, 403],
            ),
            |i| json!({"secret": format!("a secret of some length {i}")}),
        ),
        with_body(
            row(
                M::POST,
                "/api/v1/projects/{org}/{project}/hooks/{forge}",
                "/api/v1/projects/pallets/flask/hooks/github",
                [401; 9],
            ),
            |_| json!({"zen": "Keep it logically awesome."}),
        ),
        row(
            M::GET,
            "/api/v1/reports/{id}/fix",
            format!("/api/v1/reports/{report}/fix"),
            [404, 404, 404, 404, 404, 200, 200, 404, 404],
        ),
        with_body(
            row(
                M::PUT,
                "/api/v1/projects/{org}/{project}/fix-polling",
                "/api/v1/projects/pallets/flask/fix-polling",
                [401, 403, 403, 403, 200, 200, 200, 403, 403],
            ),
            |_| json!({"repository": "/nonexistent/flask.git", "branch": "main"}),
        ),
        row(
            M::GET,
            "/api/v1/projects/{org}/{project}/fix-polling",
            "/api/v1/projects/pallets/flask/fix-polling",
            [401, 404, 404, 404, 200, 200, 200, 404, 404],
        ),
        // CVE Services (issue 11): the organisation's administrators only; others are not told it exists.
        // Nothing listens at 127.0.0.1:9, so a permitted PUT gets past authorization and is refused (422).
        row(M::GET, "/advisories/{id}/cve.json", format!("/advisories/{advisory}/cve.json"), [404; 9]),
        row(
            M::GET,
            "/api/v1/orgs/{org}/cve-services",
            "/api/v1/orgs/pallets/cve-services",
            [401, 404, 404, 404, 200, 200, 404, 404, 404],
        ),
        with_body(
            row(
                M::PUT,
                "/api/v1/orgs/{org}/cve-services",
                "/api/v1/orgs/pallets/cve-services",
                [401, 404, 404, 404, 422, 422, 404, 404, 404],
            ),
            |_| json!({"url": "http://127.0.0.1:9/api", "short_name": "pallets", "user": "u", "api_key": "k"}),
        ),
        // Sessions (issue 12): one's own, listed and ended; an administrator signs another out.
        row(M::GET, "/api/v1/sessions", "/api/v1/sessions", [401, 401, 200, 200, 200, 200, 200, 200, 200]),
        row(
            M::DELETE,
            "/api/v1/sessions/{id}",
            format!("/api/v1/sessions/{outsider}"),
            [401, 401, 404, 404, 404, 404, 404, 404, 404],
        ),
        // Passkeys and security keys (issue 12): one's own, listed.
        row(M::GET, "/api/v1/security-keys", "/api/v1/security-keys", [401, 401, 200, 200, 200, 200, 200, 200, 200]),
        // Issue 15: the search and the cursor (one this listing did not give is refused as such).
        row(
            M::GET,
            "/api/v1/reports",
            "/api/v1/reports?q=report%20state%3Anew&limit=1",
            [401, 200, 200, 200, 200, 200, 200, 200, 200],
        ),
        row(
            M::GET,
            "/api/v1/reports",
            "/api/v1/reports?cursor=bm90LWEtY3Vyc29y",
            [401, 422, 422, 422, 422, 422, 422, 422, 422],
        ),
        // Time zones (issue 10): every participant's own, a link's holder's for their link.
        row(M::GET, "/api/v1/time-zone", "/api/v1/time-zone", [401, 200, 200, 200, 200, 200, 200, 200, 200]),
        with_body(
            row(M::PUT, "/api/v1/time-zone", "/api/v1/time-zone", [401, 200, 200, 200, 200, 200, 200, 200, 200]),
            |_| json!({"time_zone": "Europe/Berlin"}),
        ),
        // Near the end: it signs the other reporter out everywhere.
        row(
            M::DELETE,
            "/api/v1/users/{id}/sessions",
            format!("/api/v1/users/{outsider}/sessions"),
            [401, 403, 403, 403, 200, 403, 403, 403, 403],
        ),
        // Last: it ends each role's session.
        row(M::DELETE, "/api/v1/session", "/api/v1/session", [204; 9]),
    ]
}

#[tokio::test]
async fn every_route_for_every_role() {
    let w = World::new().await;
    w.t.user("extra@example.org", false).await;
    let outsider =
        w.t.app.user_by_email(&embargo_core::permission::Actor::Operator, "bob@researcher.example").await.unwrap().id;
    let (report, token) = w.report("flask", &w.alice, "the report").await;
    let (_, advisory) = w.drafted("the advisory's report").await;
    let collaborator = w.collaborator(&report).await;
    let roles = [
        Auth::None,
        Auth::Bearer(token),
        w.alice.clone(),
        w.bob.clone(),
        w.admin.clone(),
        w.org_team.clone(),
        w.flask_team.clone(),
        w.jinja_team.clone(),
        collaborator,
    ];
    let mut failures = Vec::new();
    for r in matrix(&report, &advisory, &outsider.to_string()) {
        for (i, auth) in roles.iter().enumerate() {
            let reply = match r.raw {
                Some((content_type, text)) => w.t.call_raw(r.method.clone(), &r.path, content_type, text, auth).await,
                None => w.t.call(r.method.clone(), &r.path, r.body.as_ref().map(|make| make(i)), auth).await,
            };
            let expected = StatusCode::from_u16(r.expected[i]).unwrap();
            if reply.status != expected {
                failures.push(format!(
                    "{} {} as {}: {} (expected {expected}): {}",
                    r.method, r.path, ROLES[i], reply.status, reply.text
                ));
            }
            if reply.status.is_client_error() {
                // The OSV API answers OSV.dev's error body instead (issue 14).
                let shaped = if r.path.starts_with("/osv/") {
                    reply.json["code"].is_u64() && reply.json["message"].is_string()
                } else {
                    reply.json["error"].is_string() && reply.json["message"].is_string()
                };
                if !shaped {
                    failures.push(format!(
                        "{} {} as {}: error body not in the error shape: {}",
                        r.method, r.path, ROLES[i], reply.text
                    ));
                }
            }
        }
    }
    assert!(failures.is_empty(), "{} mismatches:\n{}", failures.len(), failures.join("\n"));
    w.finish().await;
}
