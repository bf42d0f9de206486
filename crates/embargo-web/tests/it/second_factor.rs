//! Second factors and sessions (issue 12): TOTP enrolment and sign-in with
//! codes made by an independent implementation (`oathtool`), recovery codes,
//! replay refusal, enrolment at next sign-in when the instance requires a
//! factor, the recent factor that making an API token needs, and sessions
//! that are listed, ended, and end when a password or factor changes.

use std::process::Command;

use embargo_testkit::{Auth, Backend, Reply};
use http::StatusCode;
use serde_json::json;

use crate::fixture::World;

/// The TOTP code for `secret` (base32) at the test clock's time, from oathtool.
fn oathtool(w: &World, secret: &str) -> String {
    let unix = w.t.app.now().unix_timestamp();
    let out = Command::new("oathtool")
        .args(["--totp", "--base32", secret, "--now", &format!("@{unix}")])
        .output()
        .expect("oathtool is installed (Debian package oathtool; .ci/run installs it)");
    assert!(out.status.success(), "oathtool failed: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

fn location(reply: &Reply) -> String {
    reply.headers.get("location").map(|v| v.to_str().unwrap().to_owned()).unwrap_or_default()
}

/// The text inside the element with `id` (a `<code id=…>` or a `<ul id=…>` of codes), tags removed.
fn element_text(html: &str, id: &str) -> String {
    let start = html.find(&format!("id=\"{id}\"")).unwrap_or_else(|| panic!("no #{id} in the page"));
    let rest = &html[start..];
    let body = &rest[rest.find('>').unwrap() + 1..];
    let close = if id == "recovery-codes" { "</ul>" } else { "</code>" };
    let inner = &body[..body.find(close).unwrap()];
    let mut text = String::new();
    let mut in_tag = false;
    for c in inner.chars() {
        match c {
            '<' => {
                in_tag = true;
                text.push(' ');
            }
            '>' => in_tag = false,
            c if !in_tag => text.push(c),
            _ => {}
        }
    }
    text.trim().to_owned()
}

/// Sets up an authenticator app for `auth` through the pages; answers (secret, recovery codes).
async fn enrol(w: &World, auth: &Auth) -> (String, Vec<String>) {
    let begun = w.t.form("/account/totp", &[], auth).await.expect(StatusCode::SEE_OTHER);
    assert_eq!(location(&begun), "/account/totp");
    let page = w.t.get("/account/totp", auth).await.expect(StatusCode::OK);
    let secret = element_text(&page.text, "totp-secret");
    assert!(page.text.contains("otpauth://totp/Embargo:"), "the page offers the otpauth URI");
    let wrong = w.t.form("/account/totp/confirm", &[("code", "000000 not a code")], auth).await;
    wrong.expect(StatusCode::UNPROCESSABLE_ENTITY);
    let code = oathtool(w, &secret);
    let confirmed = w.t.form("/account/totp/confirm", &[("code", code.as_str())], auth).await.expect(StatusCode::OK);
    let codes: Vec<String> =
        element_text(&confirmed.text, "recovery-codes").split_whitespace().map(str::to_owned).collect();
    assert_eq!(codes.len(), 10, "ten recovery codes: {codes:?}");
    (secret, codes)
}

/// Signs in through the sign-in page; answers the reply and its session cookie.
async fn page_sign_in(w: &World, email: &str) -> (Reply, Auth) {
    let reply =
        w.t.form("/login", &[("email", email), ("password", "correct horse battery staple")], &Auth::None).await;
    let reply = reply.expect(StatusCode::SEE_OTHER);
    let cookie = reply.session_cookie().expect("a session cookie");
    (reply, Auth::Session(cookie))
}

async fn whoami(w: &World, auth: &Auth) -> StatusCode {
    w.t.get("/api/v1/session", auth).await.status
}

#[tokio::test]
async fn totp_codes_from_another_implementation_sign_in_once_each_and_recovery_codes_work_once() {
    for backend in Backend::available() {
        let w = World::on(backend).await;
        let email = "alice@researcher.example";
        let other_browser = w.t.sign_in(email).await;
        let (secret, codes) = enrol(&w, &w.alice).await;
        assert_eq!(whoami(&w, &w.alice).await, StatusCode::OK, "the enrolling session stays");
        assert_eq!(whoami(&w, &other_browser).await, StatusCode::UNAUTHORIZED, "adding a factor ends other sessions");

        // The password alone now opens a session that acts as nobody until the code is given.
        w.t.clock().advance(time::Duration::seconds(30));
        let (reply, pending) = page_sign_in(&w, email).await;
        assert_eq!(location(&reply), "/login/second-factor");
        assert_eq!(whoami(&w, &pending).await, StatusCode::UNAUTHORIZED);
        let list = w.t.get("/reports", &pending).await;
        assert!(!list.text.contains("the details"), "a waiting session sees no reports");
        w.t.get("/login/second-factor", &pending).await.expect(StatusCode::OK);
        let code = oathtool(&w, &secret);
        let done = w.t.form("/login/second-factor", &[("code", code.as_str())], &pending).await;
        assert_eq!(location(&done.expect(StatusCode::SEE_OTHER)), "/reports");
        assert_eq!(whoami(&w, &pending).await, StatusCode::OK);

        // The same code is never accepted twice (RFC 6238 section 5.2).
        let (_, again) = page_sign_in(&w, email).await;
        let replay = w.t.form("/login/second-factor", &[("code", code.as_str())], &again).await;
        replay.expect(StatusCode::UNAUTHORIZED);
        assert_eq!(whoami(&w, &again).await, StatusCode::UNAUTHORIZED);

        // Five wrong codes end the waiting session: the password must be given again.
        let (_, guessing) = page_sign_in(&w, email).await;
        for _ in 0..4 {
            let wrong = w.t.form("/login/second-factor", &[("code", "abcdef")], &guessing).await;
            assert!(wrong.expect(StatusCode::UNAUTHORIZED).text.contains("id=\"login-code\""), "asked again");
        }
        let last = w.t.form("/login/second-factor", &[("code", "abcdef")], &guessing).await;
        assert!(last.expect(StatusCode::UNAUTHORIZED).text.contains("Sign in again"));
        w.t.clock().advance(time::Duration::seconds(30));
        let fresh = oathtool(&w, &secret);
        let late = w.t.form("/login/second-factor", &[("code", fresh.as_str())], &guessing).await;
        assert_eq!(location(&late.expect(StatusCode::SEE_OTHER)), "/login", "the right code no longer helps");
        assert_eq!(whoami(&w, &guessing).await, StatusCode::UNAUTHORIZED);

        // A recovery code works once, written in any case.
        let upper = codes[0].to_uppercase();
        let ok = w.t.form("/login/second-factor", &[("code", upper.as_str())], &again).await;
        ok.expect(StatusCode::SEE_OTHER);
        assert_eq!(whoami(&w, &again).await, StatusCode::OK);
        let (_, third) = page_sign_in(&w, email).await;
        let reused = w.t.form("/login/second-factor", &[("code", codes[0].as_str())], &third).await;
        reused.expect(StatusCode::UNAUTHORIZED);
        let account = w.t.get("/account", &again).await.expect(StatusCode::OK);
        assert!(account.text.contains("9 unused recovery codes left"), "{}", account.text);

        // The API asks for the code with the password.
        let body = json!({"email": email, "password": "correct horse battery staple"});
        let refused = w.t.post("/api/v1/session", body.clone(), &Auth::None).await.expect(StatusCode::UNAUTHORIZED);
        assert_eq!(refused.json["error"], "second_factor_required");
        assert!(refused.session_cookie().is_none());
        w.t.clock().advance(time::Duration::seconds(30));
        let mut with_code = body.clone();
        with_code["code"] = json!(oathtool(&w, &secret));
        let api = w.t.post("/api/v1/session", with_code, &Auth::None).await.expect(StatusCode::OK);
        let api_session = Auth::Session(api.session_cookie().unwrap());
        let mut wrong = body;
        wrong["code"] = json!("123456");
        let wrong = w.t.post("/api/v1/session", wrong, &Auth::None).await;
        if wrong.status != StatusCode::OK {
            assert_eq!(wrong.expect(StatusCode::UNAUTHORIZED).json["error"], "invalid_second_factor");
        }

        // Making an API token needs a recent factor: the fresh session has one; later, a code.
        let token = json!({"name": "ci", "scopes": ["read"]});
        w.t.post("/api/v1/tokens", token.clone(), &api_session).await.expect(StatusCode::CREATED);
        w.t.clock().advance(time::Duration::minutes(16));
        let stale = w.t.post("/api/v1/tokens", token.clone(), &api_session).await.expect(StatusCode::FORBIDDEN);
        assert_eq!(stale.json["error"], "second_factor_required");
        let mut with_code = token.clone();
        with_code["code"] = json!(oathtool(&w, &secret));
        let made = w.t.post("/api/v1/tokens", with_code, &api_session).await.expect(StatusCode::CREATED);
        let bearer = Auth::Bearer(made.json["secret"].as_str().unwrap().to_owned());
        let by_token = w.t.post("/api/v1/tokens", token, &bearer).await.expect(StatusCode::FORBIDDEN);
        assert_eq!(by_token.json["error"], "second_factor_required", "an API token cannot stand in for the factor");

        // Removing the app needs a code and ends the other sessions.
        w.t.clock().advance(time::Duration::seconds(30));
        let code = oathtool(&w, &secret);
        let removed = w.t.form("/account/totp/remove", &[("code", code.as_str())], &again).await;
        removed.expect(StatusCode::SEE_OTHER);
        assert_eq!(whoami(&w, &api_session).await, StatusCode::UNAUTHORIZED, "removing a factor ends other sessions");
        assert_eq!(whoami(&w, &again).await, StatusCode::OK);
        let (reply, _) = page_sign_in(&w, email).await;
        assert_eq!(location(&reply), "/reports", "the password alone is enough again");
        w.finish().await;
    }
}

#[tokio::test]
async fn a_required_factor_is_set_up_at_the_next_sign_in_of_team_members_and_admins() {
    let w = World::on(Backend::Sqlite).await;
    let settings = json!({"signup_open": false, "second_factor_required": true});
    let saved = w.t.put("/api/v1/settings", settings, &w.admin).await.expect(StatusCode::OK);
    assert_eq!(saved.json["second_factor_required"], true);

    // A reporter is not asked.
    let (reply, _) = page_sign_in(&w, "alice@researcher.example").await;
    assert_eq!(location(&reply), "/reports");

    // A team member is walked through setting up an app, then is signed in.
    let (reply, pending) = page_sign_in(&w, "flask-maintainer@pallets.example").await;
    assert_eq!(location(&reply), "/login/enrol");
    assert_eq!(whoami(&w, &pending).await, StatusCode::UNAUTHORIZED, "no access before enrolment");
    let page = w.t.get("/login/enrol", &pending).await.expect(StatusCode::OK);
    assert!(page.text.contains("requires security-team members and administrators"));
    let (secret, _) = enrol(&w, &pending).await;
    assert_eq!(whoami(&w, &pending).await, StatusCode::OK);
    assert_eq!(whoami(&w, &w.flask_team).await, StatusCode::UNAUTHORIZED, "the older session ended");

    // The next sign-in asks for the code; the app cannot be removed while it is required.
    w.t.clock().advance(time::Duration::seconds(30));
    let (reply, _) = page_sign_in(&w, "flask-maintainer@pallets.example").await;
    assert_eq!(location(&reply), "/login/second-factor");
    let code = oathtool(&w, &secret);
    let refused = w.t.form("/account/totp/remove", &[("code", code.as_str())], &pending).await;
    refused.expect(StatusCode::FORBIDDEN);

    // An administrator without a factor cannot sign in through the API (enrolment is on the pages).
    let body = json!({"email": "admin@example.org", "password": "correct horse battery staple"});
    let api = w.t.post("/api/v1/session", body, &Auth::None).await.expect(StatusCode::FORBIDDEN);
    assert_eq!(api.json["error"], "second_factor_required");
    // Sessions made before the setting was turned on cannot make API tokens until a factor is set up.
    let token = w.t.post("/api/v1/tokens", json!({"name": "ci", "scopes": ["read"]}), &w.org_team).await;
    assert_eq!(token.expect(StatusCode::FORBIDDEN).json["error"], "second_factor_required");
    w.finish().await;
}

#[tokio::test]
async fn sessions_are_listed_and_ended_by_their_owner_an_admin_or_a_password_change() {
    for backend in Backend::available() {
        let w = World::on(backend).await;
        let email = "alice@researcher.example";
        let second = w.t.sign_in(email).await;
        let third = w.t.sign_in(email).await;
        let list = w.t.get("/api/v1/sessions", &w.alice).await.expect(StatusCode::OK);
        let sessions = list.json.as_array().unwrap();
        assert_eq!(sessions.len(), 3);
        assert_eq!(sessions.iter().filter(|s| s["current"] == true).count(), 1);
        let other_id = |reply: &Reply| {
            reply.json.as_array().unwrap().iter().find(|s| s["current"] == false).unwrap()["id"]
                .as_str()
                .unwrap()
                .to_owned()
        };

        // Another person cannot end it, nor see it.
        let theirs = other_id(&list);
        let bobs = w.t.get("/api/v1/sessions", &w.bob).await.expect(StatusCode::OK);
        assert!(!bobs.text.contains(&theirs));
        w.t.delete(&format!("/api/v1/sessions/{theirs}"), &w.bob).await.expect(StatusCode::NOT_FOUND);

        // The owner ends one from the page and the rest through the API.
        w.t.form(&format!("/account/sessions/{theirs}/end"), &[], &w.alice).await.expect(StatusCode::SEE_OTHER);
        let alive = [whoami(&w, &second).await, whoami(&w, &third).await];
        assert_eq!(alive.iter().filter(|s| **s == StatusCode::OK).count(), 1, "one session ended: {alive:?}");
        let list = w.t.get("/api/v1/sessions", &w.alice).await;
        let next = other_id(&list);
        w.t.delete(&format!("/api/v1/sessions/{next}"), &w.alice).await.expect(StatusCode::NO_CONTENT);
        assert_eq!(whoami(&w, &second).await, StatusCode::UNAUTHORIZED);
        assert_eq!(whoami(&w, &third).await, StatusCode::UNAUTHORIZED);

        // A password change ends every other session; the old password stops working.
        let other = w.t.sign_in(email).await;
        let page = w.t.get("/account", &w.alice).await.expect(StatusCode::OK);
        assert!(page.text.contains("This browser"));
        let wrong = [("current_password", "not my password"), ("new_password", "a brand new passphrase")];
        w.t.form("/account/password", &wrong, &w.alice).await.expect(StatusCode::UNPROCESSABLE_ENTITY);
        let short = [("current_password", "correct horse battery staple"), ("new_password", "short")];
        let short = w.t.form("/account/password", &short, &w.alice).await.expect(StatusCode::UNPROCESSABLE_ENTITY);
        assert!(short.text.contains("New password"), "the error names the field");
        assert_eq!(whoami(&w, &other).await, StatusCode::OK, "a refused change ends nothing");
        let right = [("current_password", "correct horse battery staple"), ("new_password", "a brand new passphrase")];
        w.t.form("/account/password", &right, &w.alice).await.expect(StatusCode::SEE_OTHER);
        assert_eq!(whoami(&w, &other).await, StatusCode::UNAUTHORIZED);
        assert_eq!(whoami(&w, &w.alice).await, StatusCode::OK);
        let old = json!({"email": email, "password": "correct horse battery staple"});
        w.t.post("/api/v1/session", old, &Auth::None).await.expect(StatusCode::UNAUTHORIZED);

        // An administrator signs someone out everywhere: sessions end, tokens are revoked.
        let token = w.t.post("/api/v1/tokens", json!({"name": "ci", "scopes": ["read"]}), &w.alice).await;
        let bearer = Auth::Bearer(token.expect(StatusCode::CREATED).json["secret"].as_str().unwrap().to_owned());
        let alice_id = w.t.get("/api/v1/session", &w.alice).await.json["user"]["id"].as_str().unwrap().to_owned();
        let path = format!("/api/v1/users/{alice_id}/sessions");
        w.t.delete(&path, &w.flask_team).await.expect(StatusCode::FORBIDDEN);
        let ended = w.t.delete(&path, &w.admin).await.expect(StatusCode::OK);
        assert_eq!(ended.json, json!({"sessions_ended": 1, "tokens_revoked": 1}));
        assert_eq!(whoami(&w, &w.alice).await, StatusCode::UNAUTHORIZED);
        assert_eq!(whoami(&w, &bearer).await, StatusCode::UNAUTHORIZED);
        w.finish().await;
    }
}

#[tokio::test]
async fn tokens_are_made_and_revoked_on_the_account_page_and_the_secret_shows_once() {
    let w = World::on(Backend::Sqlite).await;
    let made = w.t.form("/account/tokens", &[("name", "nightly-job"), ("scopes", "read")], &w.alice).await;
    let made = made.expect(StatusCode::CREATED);
    let secret = element_text(&made.text, "new-token");
    assert!(secret.starts_with("emba_"), "{secret}");
    let bearer = Auth::Bearer(secret.clone());
    assert_eq!(whoami(&w, &bearer).await, StatusCode::OK);
    let page = w.t.get("/account", &w.alice).await.expect(StatusCode::OK);
    assert!(page.text.contains("nightly-job") && !page.text.contains(&secret), "listed, secret not shown again");
    let bad = w.t.form("/account/tokens", &[("name", "x"), ("scopes", "read"), ("expires_in_days", "soon")], &w.alice);
    bad.await.expect(StatusCode::UNPROCESSABLE_ENTITY);
    let tokens = w.t.get("/api/v1/tokens", &w.alice).await.json;
    let id = tokens[0]["id"].as_str().unwrap().to_owned();
    w.t.form(&format!("/account/tokens/{id}/revoke"), &[], &w.bob).await.expect(StatusCode::NOT_FOUND);
    w.t.form(&format!("/account/tokens/{id}/revoke"), &[], &w.alice).await.expect(StatusCode::SEE_OTHER);
    assert_eq!(whoami(&w, &bearer).await, StatusCode::UNAUTHORIZED);
    w.finish().await;
}

#[tokio::test]
async fn the_setup_key_and_recovery_codes_show_only_on_their_own_pages() {
    let w = World::on(Backend::Sqlite).await;
    let (secret, codes) = enrol(&w, &w.alice).await;
    let account = w.t.get("/account", &w.alice).await.expect(StatusCode::OK);
    for marker in std::iter::once(&secret).chain(codes.iter()) {
        assert!(!account.text.contains(marker.as_str()), "the account page shows no secret");
    }
    // Pages that are not the setup page never show the key, even to its owner.
    let admin = w.t.get("/admin", &w.admin).await.expect(StatusCode::OK);
    assert!(!admin.text.contains(&secret));
    w.finish().await;
}

#[tokio::test]
async fn an_organisations_policy_requires_a_factor_of_its_own_team_only_issue_12() {
    for backend in Backend::available() {
        let w = World::on(backend).await;
        w.t.policy("pallets", "[conduct]\nteam_second_factor = true\n").await;
        let policy = w.t.get("/api/v1/projects/pallets/flask/policy", &Auth::None).await.expect(StatusCode::OK).json;
        assert_eq!(policy["policy"]["conduct"]["team_second_factor"], true, "{policy}");
        assert_eq!(policy["sources"]["conduct.team_second_factor"], "organisation");
        // Its team members (of the organisation and of its projects) are walked through enrolment.
        for member in ["lead@pallets.example", "flask-maintainer@pallets.example"] {
            let (reply, pending) = page_sign_in(&w, member).await;
            assert_eq!(location(&reply), "/login/enrol", "{member}");
            assert_eq!(whoami(&w, &pending).await, StatusCode::UNAUTHORIZED, "no access before enrolment");
        }
        let (_, pending) = page_sign_in(&w, "lead@pallets.example").await;
        enrol(&w, &pending).await;
        assert_eq!(whoami(&w, &pending).await, StatusCode::OK);
        // A reporter, and an administrator on no team, are not asked (the instance setting is off).
        for other in ["alice@researcher.example", "admin@example.org"] {
            let (reply, _) = page_sign_in(&w, other).await;
            assert_ne!(location(&reply), "/login/enrol", "{other}");
        }
        // A project cannot ask less of its team than its organisation does.
        w.t.policy("pallets/flask", "[conduct]\nteam_second_factor = false\n").await;
        let (reply, _) = page_sign_in(&w, "flask-maintainer@pallets.example").await;
        assert_eq!(location(&reply), "/login/enrol");
        w.finish().await;
    }
}
