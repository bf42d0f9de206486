//! Sign-up (issue 12): off on a new instance, passwords checked against the
//! bundled list of common and breached passwords and a strength estimate,
//! with a message that helps, and the address confirmed by mail with one
//! answer whether or not it has an account.

use embargo_app::{Notice, SignupMailKind};
use embargo_core::id::SignupId;
use embargo_testkit::{Auth, Backend};
use http::StatusCode;
use serde_json::json;

use crate::fixture::World;

#[tokio::test]
async fn sign_up_is_off_until_an_admin_turns_it_on_and_weak_passwords_are_refused_with_help() {
    let w = World::new().await;
    let settings = w.t.get("/api/v1/settings", &Auth::None).await.expect(StatusCode::OK);
    assert_eq!(settings.json["signup_open"], false, "off on a new instance");
    let body = |password: &str| json!({"email": "carol@researcher.example", "name": "Carol", "password": password});
    let closed = w.t.post("/api/v1/users", body("tulip orbit gravel mosaic"), &Auth::None).await;
    assert_eq!(closed.expect(StatusCode::FORBIDDEN).json["error"], "signup_closed");
    let page = w.t.get("/signup", &Auth::None).await.expect(StatusCode::FORBIDDEN);
    assert!(page.text.contains("ask an administrator"), "the page says what to do");
    let login = w.t.get("/login", &Auth::None).await.expect(StatusCode::OK);
    assert!(!login.text.contains("href=\"/signup\""), "no sign-up link while it is off");

    w.t.put("/api/v1/settings", json!({"signup_open": true}), &w.admin).await.expect(StatusCode::OK);
    for weak in ["aaaaaaaaaa", "password1234", "carolcarol1"] {
        let refused = w.t.post("/api/v1/users", body(weak), &Auth::None).await.expect(StatusCode::UNPROCESSABLE_ENTITY);
        let message = refused.json["message"].as_str().unwrap();
        assert!(message.contains("add a few unrelated words"), "{weak}: {message}");
    }
    let common = w.t.post("/api/v1/users", body("password1234"), &Auth::None).await;
    assert!(common.json["message"].as_str().unwrap().contains("breached passwords"), "{}", common.text);
    let fields = [("name", "Carol"), ("email", "carol@researcher.example"), ("password", "aaaaaaaaaa")];
    let form = w.t.form("/signup", &fields, &Auth::None).await.expect(StatusCode::UNPROCESSABLE_ENTITY);
    assert!(form.text.contains("too easy to guess"), "the form says why");
    assert!(form.text.contains("value=\"carol@researcher.example\""), "the input is kept");
    let users = w.t.get("/api/v1/users", &w.admin).await.json;
    assert!(!users.to_string().contains("carol@"), "nothing stored");

    w.t.post("/api/v1/users", body("tulip orbit gravel mosaic"), &Auth::None).await.expect(StatusCode::ACCEPTED);
    w.t.run_jobs().await;
    w.finish().await;
}

/// The sign-up requests whose mails were handed to the notifier.
fn signup_requests(w: &World) -> Vec<SignupId> {
    w.t.delivered()
        .into_iter()
        .filter_map(|n| match n {
            Notice::SignupConfirmation { request } => Some(request),
            _ => None,
        })
        .collect()
}

#[tokio::test]
async fn sign_up_answers_alike_for_known_and_new_addresses_and_needs_the_mailed_link_issue_12() {
    for backend in Backend::available() {
        let w = World::on(backend).await;
        w.t.put("/api/v1/settings", json!({"signup_open": true}), &w.admin).await.expect(StatusCode::OK);
        let body = |email: &str| json!({"email": email, "name": "Carol", "password": "tulip orbit gravel mosaic"});
        // The same answer for an address with an account and one without.
        let new = w.t.post("/api/v1/users", body("carol@researcher.example"), &Auth::None).await;
        let known = w.t.post("/api/v1/users", body("alice@researcher.example"), &Auth::None).await;
        assert_eq!(new.status, StatusCode::ACCEPTED, "{backend:?}");
        assert_eq!(known.status, StatusCode::ACCEPTED);
        assert_eq!(new.json, known.json, "nothing tells the two apart");
        let page_new =
            w.t.form(
                "/signup",
                &[("name", "C"), ("email", "carol@researcher.example"), ("password", "tulip orbit gravel mosaic")],
                &Auth::None,
            )
            .await;
        let page_known =
            w.t.form(
                "/signup",
                &[("name", "C"), ("email", "alice@researcher.example"), ("password", "tulip orbit gravel mosaic")],
                &Auth::None,
            )
            .await;
        assert_eq!(page_new.status, StatusCode::OK);
        assert_eq!(page_new.text, page_known.text, "the pages are the same too");
        assert!(page_new.text.contains("Check your mail"));
        // Nothing can sign in before the link is used.
        let sign_in = json!({"email": "carol@researcher.example", "password": "tulip orbit gravel mosaic"});
        w.t.post("/api/v1/session", sign_in.clone(), &Auth::None).await.expect(StatusCode::UNAUTHORIZED);

        w.t.run_jobs().await;
        let requests = signup_requests(&w);
        assert_eq!(requests.len(), 4, "one mail per request");
        let mut links = Vec::new();
        for request in requests {
            let mail = w.t.app.signup_mail(request).await.unwrap().expect("a mail to send");
            match mail.kind {
                SignupMailKind::Confirm { token } => {
                    assert_eq!(mail.email.as_str(), "carol@researcher.example");
                    links.push(token.expose().clone());
                }
                SignupMailKind::AlreadyRegistered => assert_eq!(mail.email.as_str(), "alice@researcher.example"),
            }
            // Once sent, the token is forgotten: a retried job sends no second link.
            w.t.app.signup_mail_sent(request).await.unwrap();
            assert_eq!(w.t.app.signup_mail(request).await.unwrap(), None);
        }
        assert_eq!(links.len(), 2, "the known address gets no link");
        // A wrong or made-up link is not found; following the link only asks (a scanner changes nothing).
        w.t.get("/signup/confirm/embu_not_a_real_token", &Auth::None).await.expect(StatusCode::NOT_FOUND);
        let asked = w.t.get(&format!("/signup/confirm/{}", links[0]), &Auth::None).await.expect(StatusCode::OK);
        assert!(asked.text.contains("Create my account"));
        w.t.post("/api/v1/session", sign_in.clone(), &Auth::None).await.expect(StatusCode::UNAUTHORIZED);
        // Confirming makes the account and signs in; the link works once.
        let made =
            w.t.form(&format!("/signup/confirm/{}", links[0]), &[], &Auth::None).await.expect(StatusCode::SEE_OTHER);
        assert!(made.session_cookie().is_some());
        w.t.form(&format!("/signup/confirm/{}", links[0]), &[], &Auth::None).await.expect(StatusCode::NOT_FOUND);
        w.t.post("/api/v1/session", sign_in, &Auth::None).await.expect(StatusCode::OK);
        // The second request for the same address: the address has an account now.
        let again = w.t.post("/api/v1/signup/confirm", json!({"token": links[1]}), &Auth::None).await;
        assert_eq!(again.expect(StatusCode::CONFLICT).json["error"], "conflict");
        // A link older than a day does not work.
        w.t.post("/api/v1/users", body("dora@researcher.example"), &Auth::None).await.expect(StatusCode::ACCEPTED);
        w.t.run_jobs().await;
        let request = *signup_requests(&w).last().unwrap();
        let Some(SignupMailKind::Confirm { token }) = w.t.app.signup_mail(request).await.unwrap().map(|m| m.kind)
        else {
            panic!("a link for a new address")
        };
        w.t.clock().advance(time::Duration::hours(25));
        let late = w.t.post("/api/v1/signup/confirm", json!({"token": token.expose()}), &Auth::None).await;
        late.expect(StatusCode::NOT_FOUND);
        w.finish().await;
    }
}

#[tokio::test]
async fn sign_up_mails_to_one_address_are_capped_with_the_same_answer_issue_12() {
    for backend in Backend::available() {
        let w = World::on(backend).await;
        w.t.put("/api/v1/settings", json!({"signup_open": true}), &w.admin).await.expect(StatusCode::OK);
        let body = |email: &str| json!({"email": email, "name": "Dora", "password": "tulip orbit gravel mosaic"});
        let cap = usize::try_from(embargo_app::SIGNUP_MAILS_PER_ADDRESS).unwrap();
        let first = w.t.post("/api/v1/users", body("dora@researcher.example"), &Auth::None).await;
        for email in ["dora@researcher.example", "DORA@researcher.example", "dora@researcher.example"] {
            let again = w.t.post("/api/v1/users", body(email), &Auth::None).await.expect(StatusCode::ACCEPTED);
            assert_eq!(again.json, first.json, "the answer never changes");
        }
        w.t.run_jobs().await;
        assert_eq!(signup_requests(&w).len(), cap, "no more mails than the cap, in any letter case");
        // Another address is not held back, and a day later the address gets mail again.
        w.t.post("/api/v1/users", body("erin@researcher.example"), &Auth::None).await.expect(StatusCode::ACCEPTED);
        w.t.clock().advance(time::Duration::hours(25));
        w.t.post("/api/v1/users", body("dora@researcher.example"), &Auth::None).await.expect(StatusCode::ACCEPTED);
        w.t.run_jobs().await;
        assert_eq!(signup_requests(&w).len(), cap + 2);
        w.finish().await;
    }
}
