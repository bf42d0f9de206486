//! The server-rendered pages: who may open and post what (the page matrix,
//! every page route for every role), the security headers on every HTML
//! answer, text shown as text, forms that keep input and mark errors, and
//! cross-site form posts refused.

use embargo_testkit::{Auth, TestApp};
use http::{Method, StatusCode};
use serde_json::json;

use crate::authorization::ROLES;
use crate::fixture::World;

/// One page route: method, template, concrete path, form fields, and the
/// expected status per role (in the order of [`ROLES`]).
struct PageRow {
    method: Method,
    template: &'static str,
    path: String,
    form: Vec<(&'static str, String)>,
    expected: [u16; 9],
}

fn get(template: &'static str, path: impl Into<String>, expected: [u16; 9]) -> PageRow {
    PageRow { method: Method::GET, template, path: path.into(), form: Vec::new(), expected }
}

fn post(template: &'static str, path: impl Into<String>, form: &[(&'static str, &str)], expected: [u16; 9]) -> PageRow {
    let form = form.iter().map(|(k, v)| (*k, (*v).to_owned())).collect();
    PageRow { method: Method::POST, template, path: path.into(), form, expected }
}

/// Every page route; `report` is alice's new flask report (its follow-up
/// token is the second role), `advisory` a draft of another flask report.
fn page_matrix(report: &str, advisory: &str, token: &str, outsider: &str, member: &str) -> Vec<PageRow> {
    const ALL_OK: [u16; 9] = [200; 9];
    const REPORT_READERS: [u16; 9] = [404, 200, 200, 404, 404, 200, 200, 404, 200];
    const TEAM_ONLY: [u16; 9] = [404, 404, 404, 404, 404, 200, 200, 404, 404];
    const ADMIN_ONLY: [u16; 9] = [303, 404, 404, 404, 303, 404, 404, 404, 404];
    const SIGNED_IN_OK: [u16; 9] = [303, 303, 200, 200, 200, 200, 200, 200, 200];
    const SIGNED_IN_401: [u16; 9] = [303, 303, 401, 401, 401, 401, 401, 401, 401];
    const SIGNED_IN_404: [u16; 9] = [303, 303, 404, 404, 404, 404, 404, 404, 404];
    const SIGNED_IN_422: [u16; 9] = [303, 303, 422, 422, 422, 422, 422, 422, 422];
    vec![
        get("/", "/", ALL_OK),
        get("/assets/style.css", "/assets/style.css", ALL_OK),
        get("/assets/app.js", "/assets/app.js", ALL_OK),
        get("/advisories", "/advisories?project=pallets/flask&severity=high", ALL_OK),
        get("/advisories/{id}", format!("/advisories/{advisory}"), TEAM_ONLY),
        get("/advisories/{id}/edit", format!("/advisories/{advisory}/edit"), TEAM_ONLY),
        post(
            "/advisories/{id}/edit",
            format!("/advisories/{advisory}/edit"),
            &[("summary", "Session fixation"), ("details", "Upgrade.")],
            [404, 404, 404, 404, 404, 303, 303, 404, 404],
        ),
        // The report is accepted, not fixed: publishing must wait, and the editor says so.
        post(
            "/advisories/{id}/publish",
            format!("/advisories/{advisory}/publish"),
            &[],
            [404, 404, 404, 404, 404, 409, 409, 404, 404],
        ),
        post(
            "/advisories/{id}/schedule",
            format!("/advisories/{advisory}/schedule"),
            &[("at", "2030-01-01T09:00:00+01:00")],
            [404, 404, 404, 404, 404, 303, 303, 404, 404],
        ),
        // A draft cannot be withdrawn: the editor says so.
        post(
            "/advisories/{id}/withdraw",
            format!("/advisories/{advisory}/withdraw"),
            &[],
            [404, 404, 404, 404, 404, 409, 409, 404, 404],
        ),
        // The default policy takes CVE ids elsewhere: the editor says so.
        post(
            "/advisories/{id}/cve",
            format!("/advisories/{advisory}/cve"),
            &[],
            [404, 404, 404, 404, 404, 409, 409, 404, 404],
        ),
        // VEX (issue 14): the team is told 9.9 is no release line; everyone else finds nothing.
        post(
            "/advisories/{id}/vex",
            format!("/advisories/{advisory}/vex"),
            &[("line", "9.9"), ("justification", "component_not_present")],
            [404, 404, 404, 404, 404, 422, 422, 404, 404],
        ),
        post("/advisories/{id}/vex/{line}/remove", format!("/advisories/{advisory}/vex/9.9/remove"), &[], [404; 9]),
        get("/login", "/login?next=/reports", ALL_OK),
        // Every role tries alice's account with a wrong password: the sixth try is throttled (issue 12).
        post(
            "/login",
            "/login",
            &[("email", "alice@researcher.example"), ("password", "wrong")],
            [401, 401, 401, 401, 401, 429, 429, 429, 429],
        ),
        // Sign-up is closed on a new instance (the settings row below opens it).
        get("/signup", "/signup", [403; 9]),
        post(
            "/signup",
            "/signup",
            &[("name", "X"), ("email", "not an address"), ("password", "long enough pass")],
            [403; 9],
        ),
        // A sign-up link that is not (or no longer) valid is not found for anyone.
        get("/signup/confirm/{token}", "/signup/confirm/embu_not_a_real_token", [404; 9]),
        post("/signup/confirm/{token}", "/signup/confirm/embu_not_a_real_token", &[], [404; 9]),
        // An administrator exists: setup is over.
        get("/setup", "/setup", [303; 9]),
        post("/setup", "/setup", &[("token", "embi_x")], [303; 9]),
        get("/follow/{token}", format!("/follow/{token}"), [303; 9]),
        get("/shared/{token}", "/shared/embx_not_a_share_token_at_all", [404; 9]),
        get("/reports", "/reports", [303, 200, 200, 200, 200, 200, 200, 200, 200]),
        get("/reports/{id}", format!("/reports/{report}"), REPORT_READERS),
        get("/reports/{id}/receipt", format!("/reports/{report}/receipt"), REPORT_READERS),
        post(
            "/reports/{id}/messages",
            format!("/reports/{report}/messages"),
            &[("body", "A message.")],
            [404, 303, 303, 404, 404, 303, 303, 404, 303],
        ),
        post(
            "/reports/{id}/transition",
            format!("/reports/{report}/transition"),
            &[("to", "fixed")],
            [404, 403, 403, 404, 404, 409, 409, 404, 403],
        ),
        post(
            "/reports/{id}/team",
            format!("/reports/{report}/team"),
            &[("cwes", "CWE-79")],
            [404, 403, 403, 404, 404, 303, 303, 404, 403],
        ),
        post(
            "/reports/{id}/share",
            format!("/reports/{report}/share"),
            &[("platform", "AIX")],
            [404, 403, 403, 404, 404, 422, 422, 404, 403],
        ),
        // The embargo end (issue 10): the team sets it.
        post(
            "/reports/{id}/embargo",
            format!("/reports/{report}/embargo"),
            &[("until", "2030-01-01T09:00:00+01:00")],
            [404, 403, 403, 404, 404, 303, 303, 404, 403],
        ),
        // Collaborators (issue 10): only the team invites and revokes.
        post(
            "/reports/{id}/collaborators",
            format!("/reports/{report}/collaborators"),
            &[("email", "not an address"), ("role", "collaborator")],
            [404, 403, 403, 404, 404, 422, 422, 404, 403],
        ),
        post(
            "/reports/{id}/collaborators/{collaborator}/revoke",
            format!("/reports/{report}/collaborators/{outsider}/revoke"),
            &[],
            [404, 403, 403, 404, 404, 404, 404, 404, 403],
        ),
        // Finders' credit (issue 10): the reporter (or a co-finder) chooses; the team may not choose for them.
        post(
            "/reports/{id}/credit",
            format!("/reports/{report}/credit"),
            &[("credit", "named"), ("name", "A finder")],
            [404, 303, 303, 404, 404, 403, 403, 404, 403],
        ),
        // A public issue (issue 10): the report is not declined (422 for the team); none was made to answer.
        post(
            "/reports/{id}/public-issue",
            format!("/reports/{report}/public-issue"),
            &[],
            [404, 403, 403, 404, 404, 422, 422, 404, 403],
        ),
        post(
            "/reports/{id}/public-issue/answer",
            format!("/reports/{report}/public-issue/answer"),
            &[("answer", "anonymous")],
            [404, 404, 404, 404, 404, 403, 403, 404, 403],
        ),
        post(
            "/reports/{id}/public-issue/published",
            format!("/reports/{report}/public-issue/published"),
            &[("url", "https://github.com/pallets/flask/issues/1")],
            [404, 403, 403, 404, 404, 404, 404, 404, 403],
        ),
        post(
            "/reports/{id}/advisory",
            format!("/reports/{report}/advisory"),
            &[],
            [404, 404, 404, 404, 404, 409, 409, 404, 404],
        ),
        // The project has no [lab] policy: the team is let through and told so (422).
        post(
            "/reports/{id}/lab/runs",
            format!("/reports/{report}/lab/runs"),
            &[("line", "")],
            [404, 403, 403, 404, 404, 422, 422, 404, 403],
        ),
        // Nothing ran: nothing to accept (422).
        post(
            "/reports/{id}/lab/accept",
            format!("/reports/{report}/lab/accept"),
            &[],
            [404, 403, 403, 404, 404, 422, 422, 404, 403],
        ),
        // Sharing the lab's verdicts with the reporter (issue 17): the team only.
        post(
            "/reports/{id}/lab/share",
            format!("/reports/{report}/lab/share"),
            &[("share", "yes")],
            [404, 403, 403, 404, 404, 303, 303, 404, 403],
        ),
        // CRA reporting clocks (issue 11): the team's alone. The organisation states no role here,
        // so the team is let through and told to set one (422); nothing started, nothing to change (404).
        post(
            "/reports/{id}/cra",
            format!("/reports/{report}/cra"),
            &[("kind", "exploited-vulnerability"), ("aware_at", "2026-01-01T09:00:00+01:00")],
            [404, 403, 403, 404, 404, 422, 422, 404, 403],
        ),
        post(
            "/reports/{id}/cra/details",
            format!("/reports/{report}/cra/details"),
            &[("member_states", "DE")],
            [404, 403, 403, 404, 404, 404, 404, 404, 403],
        ),
        post(
            "/reports/{id}/cra/stages/{stage}",
            format!("/reports/{report}/cra/stages/early-warning"),
            &[("reference", "ENISA-1")],
            [404, 403, 403, 404, 404, 404, 404, 404, 403],
        ),
        get("/admin", "/admin", [303, 404, 404, 404, 200, 404, 404, 404, 404]),
        get("/admin/audit", "/admin/audit?since=2020-01-01", [303, 404, 404, 404, 200, 404, 404, 404, 404]),
        get("/admin", "/admin", [303, 404, 404, 404, 200, 404, 404, 404, 404]),
        post("/admin/organisations", "/admin/organisations", &[("slug", "werkzeug"), ("name", "Werkzeug")], ADMIN_ONLY),
        post(
            "/admin/projects",
            "/admin/projects",
            &[("org", "pallets"), ("slug", "click"), ("name", "Click")],
            ADMIN_ONLY,
        ),
        post(
            "/admin/users",
            "/admin/users",
            &[("name", "New"), ("email", "new@example.org"), ("password", "a long password")],
            ADMIN_ONLY,
        ),
        post("/admin/users/{id}/ban", format!("/admin/users/{outsider}/ban"), &[("banned", "false")], ADMIN_ONLY),
        post("/admin/settings", "/admin/settings", &[("signup_open", "yes")], ADMIN_ONLY),
        get("/{org}", "/pallets", ALL_OK),
        get("/{org}/policy", "/pallets/policy", ALL_OK),
        // Issue 16: the team reads and edits its own level; a preview stores nothing, so the world stays as it is.
        get("/{org}/policy/edit", "/pallets/policy/edit", [401, 403, 403, 403, 200, 200, 403, 403, 403]),
        post(
            "/{org}/policy/edit",
            "/pallets/policy/edit",
            &[("policy", "[channels]\nweb_form = true\n"), ("action", "preview")],
            [401, 403, 403, 403, 200, 200, 403, 403, 403],
        ),
        // Two projects: the page asks which.
        get("/{org}/report", "/pallets/report", ALL_OK),
        get("/{org}/team", "/pallets/team", [401, 404, 404, 404, 200, 200, 404, 404, 404]),
        post(
            "/{org}/team/members",
            "/pallets/team/members",
            &[("email", "extra@example.org")],
            [401, 403, 403, 403, 303, 303, 403, 403, 403],
        ),
        post(
            "/{org}/team/members/{user}/remove",
            format!("/pallets/team/members/{outsider}/remove"),
            &[],
            [401, 403, 403, 403, 404, 404, 403, 403, 403],
        ),
        // Webhooks made here hear only `cve.*` events, which nothing in this walk emits.
        post(
            "/{org}/team/webhooks",
            "/pallets/team/webhooks",
            &[("url", "https://hooks.example/org"), ("events", "cve.published")],
            [401, 403, 403, 403, 201, 201, 403, 403, 403],
        ),
        post(
            "/{org}/team/webhooks/{id}/remove",
            format!("/pallets/team/webhooks/{outsider}/remove"),
            &[],
            [401, 403, 403, 403, 404, 404, 403, 403, 403],
        ),
        // Resending a delivery (issue 11): the managers find no such webhook here.
        post(
            "/{org}/team/webhooks/{id}/deliveries/{delivery}/resend",
            format!("/pallets/team/webhooks/{outsider}/deliveries/{outsider}/resend"),
            &[],
            [401, 403, 403, 403, 404, 404, 403, 403, 403],
        ),
        // CVE Services (issue 11): the organisation's administrators; nothing listens at 127.0.0.1:9,
        // so a permitted save is refused with the reason beside the URL (422).
        get("/{org}/team/cve-services", "/pallets/team/cve-services", [401, 404, 404, 404, 200, 200, 404, 404, 404]),
        post(
            "/{org}/team/cve-services",
            "/pallets/team/cve-services",
            &[("url", "http://127.0.0.1:9/api"), ("short_name", "pallets"), ("user", "u"), ("api_key", "k")],
            [401, 404, 404, 404, 422, 422, 404, 404, 404],
        ),
        get("/{org}/{project}", "/pallets/flask", ALL_OK),
        get("/{org}/{project}/policy", "/pallets/flask/policy", ALL_OK),
        get(
            "/{org}/{project}/policy/edit",
            "/pallets/flask/policy/edit",
            [401, 403, 403, 403, 200, 200, 200, 403, 403],
        ),
        post(
            "/{org}/{project}/policy/edit",
            "/pallets/flask/policy/edit",
            &[("policy", "[report]\nrecommended = [\"proof_of_concept\"]\n"), ("action", "preview")],
            [401, 403, 403, 403, 200, 200, 200, 403, 403],
        ),
        get("/{org}/{project}/report", "/pallets/flask/report", ALL_OK),
        get("/{org}/{project}/team", "/pallets/flask/team", [404, 404, 404, 404, 200, 200, 200, 404, 404]),
        post(
            "/{org}/{project}/team/members",
            "/pallets/flask/team/members",
            &[("email", "extra@example.org")],
            [401, 403, 403, 403, 303, 303, 303, 403, 403],
        ),
        post(
            "/{org}/{project}/team/members/{user}/remove",
            format!("/pallets/flask/team/members/{member}/remove"),
            &[],
            [401, 403, 403, 403, 303, 404, 404, 403, 403],
        ),
        post(
            "/{org}/{project}/team/release-lines",
            "/pallets/flask/team/release-lines",
            &[("name", "3.1"), ("status", "bugfix"), ("released_on", "2024-11-13")],
            [401, 403, 403, 403, 303, 303, 303, 403, 403],
        ),
        post(
            "/{org}/{project}/team/rotation",
            "/pallets/flask/team/rotation",
            &[("idle_days", "3"), ("coordinators", "")],
            [401, 403, 403, 403, 303, 303, 303, 403, 403],
        ),
        post(
            "/{org}/{project}/team/release-lines/{name}/remove",
            "/pallets/flask/team/release-lines/9.9/remove",
            &[],
            [401, 403, 403, 403, 404, 404, 404, 403, 403],
        ),
        post(
            "/{org}/{project}/team/webhooks",
            "/pallets/flask/team/webhooks",
            &[("url", "https://hooks.example/flask"), ("events", "cve.reserved")],
            [401, 403, 403, 403, 201, 201, 201, 403, 403],
        ),
        post(
            "/{org}/{project}/team/webhooks/{id}/remove",
            format!("/pallets/flask/team/webhooks/{outsider}/remove"),
            &[],
            [401, 403, 403, 403, 404, 404, 404, 403, 403],
        ),
        post(
            "/{org}/{project}/team/webhooks/{id}/deliveries/{delivery}/resend",
            format!("/pallets/flask/team/webhooks/{outsider}/deliveries/{outsider}/resend"),
            &[],
            [401, 403, 403, 403, 404, 404, 404, 403, 403],
        ),
        // Forges and fixes (issue 11): the project's team sets the secrets and the polled repository.
        get(
            "/{org}/{project}/team/forges",
            "/pallets/flask/team/forges",
            [401, 404, 404, 404, 200, 200, 200, 404, 404],
        ),
        post(
            "/{org}/{project}/team/forges",
            "/pallets/flask/team/forges",
            &[("forge", "github"), ("secret", "a secret of some length")],
            [401, 403, 403, 403, 303, 303, 303, 403, 403],
        ),
        post(
            "/{org}/{project}/team/fix-polling",
            "/pallets/flask/team/fix-polling",
            &[("repository", "/nonexistent/flask.git"), ("branch", "main")],
            [401, 403, 403, 403, 303, 303, 303, 403, 403],
        ),
        // Second factors, sessions and tokens (issue 12). Nobody here has a session waiting for a
        // step, so the sign-in steps send everyone back to the sign-in page.
        get("/login/second-factor", "/login/second-factor", [303; 9]),
        post("/login/second-factor", "/login/second-factor", &[("code", "123456")], [303; 9]),
        get("/login/enrol", "/login/enrol", [303; 9]),
        get("/account", "/account", SIGNED_IN_OK),
        // Starting a setup leads to its page; no code is pending before it.
        get("/account/totp", "/account/totp", [303; 9]),
        post("/account/totp", "/account/totp", &[], [303; 9]),
        post("/account/totp/confirm", "/account/totp/confirm", &[("code", "not a code")], SIGNED_IN_422),
        post("/account/totp/remove", "/account/totp/remove", &[("code", "not a code")], SIGNED_IN_401),
        post("/account/recovery-codes", "/account/recovery-codes", &[("code", "not a code")], SIGNED_IN_401),
        post(
            "/account/password",
            "/account/password",
            &[("current_password", "not the password"), ("new_password", "a new long password")],
            SIGNED_IN_422,
        ),
        post("/account/sessions/{id}/end", format!("/account/sessions/{outsider}/end"), &[], SIGNED_IN_404),
        post("/account/sessions/end-others", "/account/sessions/end-others", &[], [303; 9]),
        post(
            "/account/tokens",
            "/account/tokens",
            &[("name", "ci"), ("scopes", "read")],
            [303, 303, 201, 201, 201, 201, 201, 201, 201],
        ),
        post("/account/tokens/{id}/revoke", format!("/account/tokens/{outsider}/revoke"), &[], SIGNED_IN_404),
        // Passkeys and security keys (issue 12). This instance's public_url is an IP address, so
        // the pages say keys are not available; another user's key is not found.
        get("/assets/webauthn.js", "/assets/webauthn.js", ALL_OK),
        get("/account/webauthn", "/account/webauthn", SIGNED_IN_OK),
        post("/account/webauthn", "/account/webauthn", &[("name", "Blue key")], SIGNED_IN_OK),
        post("/account/webauthn/finish", "/account/webauthn/finish", &[("credential", "{}")], SIGNED_IN_OK),
        post("/account/webauthn/{id}/remove", format!("/account/webauthn/{outsider}/remove"), &[], SIGNED_IN_404),
        post("/login/second-factor/webauthn", "/login/second-factor/webauthn", &[("credential", "{}")], [303; 9]),
        // Single sign-on (issue 12): this instance has no provider, so both are not found for
        // everyone; `sso.rs` walks them with a provider for every kind of viewer.
        get("/login/sso", "/login/sso", [404; 9]),
        get("/login/sso/callback", "/login/sso/callback?state=a&code=b", [404; 9]),
        // Issue 15: the queue's search box and cursor pages (a bad cursor shows the first page).
        get("/reports", "/reports?q=report+state%3Anew", [303, 200, 200, 200, 200, 200, 200, 200, 200]),
        get("/reports", "/reports?cursor=bm90LWEtY3Vyc29y", [303, 200, 200, 200, 200, 200, 200, 200, 200]),
        // Time zones (issue 10): an account's on its page; on a report's page, whoever reads it
        // sets their own (a link's holder their link's); those who cannot read it find nothing.
        post("/account/time-zone", "/account/time-zone", &[("time_zone", "Europe/Berlin")], [303; 9]),
        post(
            "/reports/{id}/time-zone",
            format!("/reports/{report}/time-zone"),
            &[("time_zone", "America/New_York")],
            [404, 303, 303, 404, 404, 303, 303, 404, 303],
        ),
        // Near the end: it signs the other reporter out everywhere.
        post("/admin/users/{id}/sessions/end", format!("/admin/users/{outsider}/sessions/end"), &[], ADMIN_ONLY),
        // Last: it ends the sessions the rows above use.
        post("/logout", "/logout", &[], [303; 9]),
    ]
}

async fn world_with_report() -> (World, String, String, String, Vec<Auth>) {
    let w = World::new().await;
    w.t.user("extra@example.org", false).await;
    let (report, token) = w.report("flask", &w.alice, "the report").await;
    let (_, advisory) = w.drafted("the advisory's report").await;
    let roles = vec![
        Auth::None,
        Auth::Link(token.clone()),
        w.alice.clone(),
        w.bob.clone(),
        w.admin.clone(),
        w.org_team.clone(),
        w.flask_team.clone(),
        w.jinja_team.clone(),
        w.collaborator(&report).await,
    ];
    (w, report, advisory, token, roles)
}

#[tokio::test]
async fn every_page_for_every_role() {
    let (w, report, advisory, token, roles) = world_with_report().await;
    let outsider = w.t.app.user_by_email(&embargo_core::permission::Actor::Operator, "bob@researcher.example").await;
    let outsider = outsider.unwrap().id.to_string();
    // A flask team member only the administrator removes (first), so later removals find nobody.
    w.t.user("leaving@pallets.example", false).await;
    w.t.member("pallets/flask", "leaving@pallets.example").await;
    let member = w.t.app.user_by_email(&embargo_core::permission::Actor::Operator, "leaving@pallets.example").await;
    let member = member.unwrap().id.to_string();
    let mut failures = Vec::new();
    for r in page_matrix(&report, &advisory, &token, &outsider, &member) {
        for (i, auth) in roles.iter().enumerate() {
            let reply = if r.method == Method::GET {
                w.t.get(&r.path, auth).await
            } else {
                let fields: Vec<(&str, &str)> = r.form.iter().map(|(k, v)| (*k, v.as_str())).collect();
                w.t.form(&r.path, &fields, auth).await
            };
            let expected = StatusCode::from_u16(r.expected[i]).unwrap();
            if reply.status != expected {
                let excerpt: String = reply.text.chars().take(300).collect();
                failures.push(format!(
                    "{} {} as {}: {} (expected {expected}): {excerpt}",
                    r.method, r.path, ROLES[i], reply.status
                ));
            }
            let html =
                reply.headers.get("content-type").is_some_and(|v| v.to_str().unwrap_or("").starts_with("text/html"));
            if reply.status.is_client_error() && !html {
                failures
                    .push(format!("{} {} as {}: an error a person sees must be a page", r.method, r.path, ROLES[i]));
            }
        }
    }
    assert!(failures.is_empty(), "{} mismatches:\n{}", failures.len(), failures.join("\n"));
    w.finish().await;
}

/// The page matrix covers every page route the router serves.
#[tokio::test]
async fn the_page_matrix_names_every_page_route() {
    let served = [
        "/",
        "/assets/style.css",
        "/assets/app.js",
        "/advisories",
        "/advisories/{id}",
        "/advisories/{id}/edit",
        "/advisories/{id}/publish",
        "/advisories/{id}/schedule",
        "/advisories/{id}/withdraw",
        "/advisories/{id}/cve",
        "/advisories/{id}/vex",
        "/advisories/{id}/vex/{line}/remove",
        "/login",
        "/logout",
        "/signup",
        "/signup/confirm/{token}",
        "/setup",
        "/follow/{token}",
        "/shared/{token}",
        "/reports",
        "/reports/{id}",
        "/reports/{id}/receipt",
        "/reports/{id}/messages",
        "/reports/{id}/transition",
        "/reports/{id}/team",
        "/reports/{id}/share",
        "/reports/{id}/collaborators",
        "/reports/{id}/collaborators/{collaborator}/revoke",
        "/reports/{id}/embargo",
        "/reports/{id}/advisory",
        "/reports/{id}/lab/runs",
        "/reports/{id}/lab/accept",
        "/reports/{id}/lab/share",
        "/reports/{id}/credit",
        "/reports/{id}/public-issue",
        "/reports/{id}/public-issue/answer",
        "/reports/{id}/public-issue/published",
        "/admin",
        "/admin/organisations",
        "/admin/projects",
        "/admin/users",
        "/admin/users/{id}/ban",
        "/admin/users/{id}/sessions/end",
        "/admin/settings",
        "/admin/audit",
        "/login/second-factor",
        "/login/enrol",
        "/account",
        "/account/totp",
        "/account/totp/confirm",
        "/account/totp/remove",
        "/account/recovery-codes",
        "/account/password",
        "/account/sessions/{id}/end",
        "/account/sessions/end-others",
        "/account/tokens",
        "/account/tokens/{id}/revoke",
        "/{org}",
        "/{org}/policy",
        "/{org}/policy/edit",
        "/{org}/report",
        "/{org}/team",
        "/{org}/team/members",
        "/{org}/team/members/{user}/remove",
        "/{org}/team/webhooks",
        "/{org}/team/webhooks/{id}/remove",
        "/{org}/team/cve-services",
        "/{org}/{project}",
        "/{org}/{project}/policy",
        "/{org}/{project}/policy/edit",
        "/{org}/{project}/report",
        "/{org}/{project}/team",
        "/{org}/{project}/team/members",
        "/{org}/{project}/team/members/{user}/remove",
        "/{org}/{project}/team/release-lines",
        "/{org}/{project}/team/release-lines/{name}/remove",
        "/{org}/{project}/team/webhooks",
        "/{org}/{project}/team/webhooks/{id}/remove",
        "/{org}/{project}/team/rotation",
        "/reports/{id}/cra",
        "/reports/{id}/cra/details",
        "/reports/{id}/cra/stages/{stage}",
        "/{org}/team/webhooks/{id}/deliveries/{delivery}/resend",
        "/{org}/{project}/team/webhooks/{id}/deliveries/{delivery}/resend",
        "/{org}/{project}/team/forges",
        "/{org}/{project}/team/fix-polling",
        "/assets/webauthn.js",
        "/account/webauthn",
        "/account/webauthn/finish",
        "/account/webauthn/{id}/remove",
        "/login/second-factor/webauthn",
        "/login/sso",
        "/login/sso/callback",
        "/account/time-zone",
        "/reports/{id}/time-zone",
    ];
    let source = include_str!("../../src/pages/mod.rs");
    let routed: Vec<&str> =
        source.lines().filter_map(|l| l.trim().strip_prefix(".route(\"")).filter_map(|l| l.split('"').next()).collect();
    let mut listed: Vec<&str> = served.to_vec();
    listed.sort_unstable();
    let mut in_router = routed.clone();
    in_router.sort_unstable();
    in_router.dedup();
    assert_eq!(listed, in_router, "the router and this list differ");
    let matrix: Vec<&str> = page_matrix("r", "a", "t", "u", "m").iter().map(|r| r.template).collect();
    for route in served {
        assert!(matrix.contains(&route), "{route} has no row in the page matrix");
    }
}

/// Whether `html` holds `text` escaped (by name or by number), as a browser shows it as text.
fn shows_as_text(html: &str, text: &str) -> bool {
    let by_name = text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;");
    let by_number = text.replace('&', "&#38;").replace('<', "&#60;").replace('>', "&#62;");
    html.contains(&by_name) || html.contains(&by_number)
}

#[tokio::test]
async fn every_html_answer_carries_the_security_headers_and_shows_text_as_text() {
    let w = World::new().await;
    let hostile = "<script>alert(1)</script> & \"quotes\"";
    let (report, token) = w.report("flask", &Auth::None, hostile).await;
    w.t.post(&format!("/api/v1/reports/{report}/messages"), json!({"body": hostile}), &w.flask_team)
        .await
        .expect(StatusCode::CREATED);
    let (_, advisory) = w.drafted("advisory").await;
    w.t.patch(
        &format!("/api/v1/advisories/{advisory}"),
        json!({"summary": hostile, "details": format!("{hostile}\n\n[x](javascript:alert(1))")}),
        &w.flask_team,
    )
    .await
    .expect(StatusCode::OK);
    let pages = [
        ("/", Auth::None),
        ("/advisories", Auth::None),
        ("/pallets/flask/report", Auth::None),
        ("/pallets/flask/policy", Auth::None),
        ("/login", Auth::None),
        ("/nope/nope/nope/nope", Auth::None),
        (&*format!("/reports/{report}"), Auth::Link(token.clone())),
        (&*format!("/reports/{report}"), w.flask_team.clone()),
        ("/reports", w.flask_team.clone()),
        (&*format!("/advisories/{advisory}"), w.flask_team.clone()),
        (&*format!("/advisories/{advisory}/edit"), w.flask_team.clone()),
        ("/admin", w.admin.clone()),
        ("/pallets/flask/team", w.flask_team.clone()),
    ]
    .map(|(p, a)| (p.to_owned(), a));
    for (path, auth) in &pages {
        let reply = w.t.get(path, auth).await;
        let header = |name: &str| reply.headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
        assert!(header("content-type").starts_with("text/html"), "{path}: {}", header("content-type"));
        let csp = header("content-security-policy");
        assert!(csp.contains("default-src 'self'") && csp.contains("frame-ancestors 'none'"), "{path}: {csp}");
        assert!(!csp.contains("unsafe-inline"), "{path}: {csp}");
        assert_eq!(header("x-content-type-options"), "nosniff", "{path}");
        assert_eq!(header("referrer-policy"), "no-referrer", "{path}");
        assert_eq!(header("x-frame-options"), "DENY", "{path}");
        assert!(!reply.text.contains("<script>alert"), "{path} shows markup from a user as markup");
        assert!(!reply.text.to_lowercase().contains("href=\"javascript:"), "{path} keeps a javascript: link");
        let inline_scripts = reply.text.matches("<script").count();
        let own_script = reply.text.matches("<script src=\"/assets/app.js\" defer></script>").count();
        assert_eq!(inline_scripts, own_script, "{path} has a script that is not ours");
    }
    for path in [format!("/reports/{report}"), format!("/advisories/{advisory}/edit")] {
        let text = w.t.get(&path, &w.flask_team).await.text;
        assert!(shows_as_text(&text, "<script>alert(1)</script>"), "{path} does not show the text as text");
    }
    let reporter = w.t.get(&format!("/reports/{report}"), &Auth::Link(token)).await;
    assert!(shows_as_text(&reporter.text, "<script>alert(1)</script>"));
    w.finish().await;
}

#[tokio::test]
async fn a_report_form_with_problems_keeps_the_input_and_stores_nothing() {
    let w = World::new().await;
    let before = w.t.get("/api/v1/reports", &w.flask_team).await.json.as_array().unwrap().len();
    let reply = w
        .t
        .call_raw(
            Method::POST,
            "/pallets/flask/report",
            "multipart/form-data; boundary=XYZ",
            "--XYZ\r\nContent-Disposition: form-data; name=\"title\"\r\n\r\n\r\n--XYZ\r\n\
             Content-Disposition: form-data; name=\"body\"\r\n\r\nThe parser trusts the length <b>field</b>.\r\n--XYZ\r\n\
             Content-Disposition: form-data; name=\"attachments\"; filename=\"poc.png\"\r\n\r\n\u{89}PNG\r\n\u{1a}\n\0\0\0\rIHDR\r\n--XYZ--\r\n",
            &Auth::None,
        )
        .await
        .expect(StatusCode::UNPROCESSABLE_ENTITY);
    assert!(reply.text.contains("There is a problem"), "no error summary");
    assert!(reply.text.contains("href=\"#title\""), "the summary links to the title field");
    assert!(reply.text.contains("Enter summary"), "the title error says how to fix it: {}", reply.text);
    assert!(
        shows_as_text(&reply.text, "The parser trusts the length <b>field</b>."),
        "the description was lost: {}",
        reply.text
    );
    assert!(reply.text.contains("Choose your files again"), "the reporter is not told to choose the files again");
    let after = w.t.get("/api/v1/reports", &w.flask_team).await.json.as_array().unwrap().len();
    assert_eq!(before, after, "a refused form stored a report");
    w.finish().await;
}

#[tokio::test]
async fn cross_site_form_posts_are_refused_and_same_site_ones_pass() {
    let w = World::new().await;
    let (report, _) = w.report("flask", &w.alice, "csrf target").await;
    let path = format!("/reports/{report}/messages");
    let send = |site: &'static str, origin: &'static str| {
        let mut request = http::Request::builder()
            .method(Method::POST)
            .uri(path.clone())
            .header("host", "127.0.0.1:8080")
            .header("content-type", "application/x-www-form-urlencoded")
            .header("sec-fetch-site", site)
            .header("origin", origin);
        if let Auth::Session(cookie) = &w.alice {
            request = request.header("cookie", format!("{}={cookie}", embargo_web::SESSION_COOKIE));
        }
        request.body(axum::body::Body::from("body=hello")).unwrap()
    };
    let refused = w.t.send(send("cross-site", "https://evil.example")).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert!(refused.text.contains("another site"), "{}", refused.text);
    let accepted = w.t.send(send("same-origin", "http://127.0.0.1:8080")).await;
    assert_eq!(accepted.status, StatusCode::SEE_OTHER, "{}", accepted.text);
    let thread = w.t.get(&format!("/api/v1/reports/{report}"), &w.alice).await.json["messages"].clone();
    assert_eq!(thread.as_array().unwrap().len(), 1, "exactly the same-site message was posted: {thread}");
    w.finish().await;
}

#[tokio::test]
async fn a_private_link_opens_its_report_and_leaves_the_address_bar() {
    let w = World::new().await;
    let (report, token) = w.report("flask", &Auth::None, "anonymous report").await;
    let reply = w.t.get(&format!("/follow/{token}"), &Auth::None).await.expect(StatusCode::SEE_OTHER);
    assert_eq!(reply.headers["location"], format!("/reports/{report}"));
    let cookie = reply.headers.get_all("set-cookie").iter().map(|v| v.to_str().unwrap().to_owned()).collect::<Vec<_>>();
    assert!(
        cookie.iter().any(|c| c.starts_with(&format!("embargo_link={token};"))
            && c.contains("HttpOnly")
            && c.contains("SameSite=Lax")),
        "{cookie:?}"
    );
    let page = w.t.get(&format!("/reports/{report}"), &Auth::Link(token)).await.expect(StatusCode::OK);
    assert!(page.text.contains("anonymous report"));
    // A follow-up token of one report opens no other.
    let (other, _) = w.report("flask", &w.alice, "alice's").await;
    let (_, second) = w.report("flask", &Auth::None, "second anonymous").await;
    w.t.get(&format!("/reports/{other}"), &Auth::Link(second)).await.expect(StatusCode::NOT_FOUND);
    w.finish().await;
}

#[tokio::test]
async fn issue_16_setup_email_hint_speaks_to_the_administrator_not_a_reporter() {
    let t = TestApp::new().await;
    let token = t.app.issue_setup_token().await.unwrap().unwrap();
    let page = t.get(&format!("/setup?token={}", token.expose()), &Auth::None).await.expect(StatusCode::OK).text;
    let page = page.replace("&#39;", "'");
    assert!(page.contains("You sign in with it as this instance's first administrator."), "{page}");
    assert!(!page.contains("updates on your reports"), "{page}");
    t.finish().await;
}

#[tokio::test]
async fn issue_16_long_vectors_wrap_and_the_range_type_select_is_not_cut() {
    let t = TestApp::new().await;
    let css = t.get("/assets/style.css", &Auth::None).await.expect(StatusCode::OK).text;
    assert!(css.contains("code, .mono { overflow-wrap: anywhere; }"), "vectors and ids wrap");
    assert!(css.contains("table.rows select { min-width: 12ch;"), "the range type select fits ECOSYSTEM");
    t.finish().await;
}
