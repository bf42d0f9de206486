//! Passkeys and security keys on the pages (issue 12), without a browser:
//! the script and the Content-Security-Policy it works under, the options a
//! registration starts with, refusal of bad names and forged answers (nothing
//! stored), the walk-through at sign-in offering a key, and the message on an
//! instance whose `public_url` is an IP address. The ceremonies themselves
//! run in Chromium with a virtual authenticator (the binary's `browser_webauthn`).

use embargo_testkit::{Auth, Backend};
use embargo_web::WebConfig;
use http::StatusCode;
use serde_json::json;

use crate::fixture::World;

fn on_localhost() -> WebConfig {
    WebConfig { public_url: "http://localhost:8080".into(), ..WebConfig::default() }
}

/// The value of the `data-options` attribute, unescaped.
fn options(html: &str) -> serde_json::Value {
    let start = html.find("data-options=\"").expect("a form with options") + "data-options=\"".len();
    let raw = &html[start..start + html[start..].find('"').unwrap()];
    let text = raw.replace("&#34;", "\"").replace("&quot;", "\"").replace("&#39;", "'").replace("&amp;", "&");
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("options are JSON ({e}): {text}"))
}

#[tokio::test]
async fn adding_a_key_starts_with_options_for_this_site_and_refuses_bad_names_and_forged_answers() {
    for backend in Backend::available() {
        let w = World::on_with(backend, on_localhost()).await;
        let account = w.t.get("/account", &w.alice).await.expect(StatusCode::OK);
        assert!(account.text.contains("No passkeys or security keys."), "{}", account.text);
        assert!(account.text.contains("action=\"/account/webauthn\""));

        // A name is required and short.
        let refused = w.t.form("/account/webauthn", &[("name", "  ")], &w.alice).await;
        assert!(refused.expect(StatusCode::UNPROCESSABLE_ENTITY).text.contains("a name for the key"));
        let long = "k".repeat(61);
        w.t.form("/account/webauthn", &[("name", long.as_str())], &w.alice)
            .await
            .expect(StatusCode::UNPROCESSABLE_ENTITY);

        // A good name leads to the step that asks the browser, with options for this site.
        let step = w.t.form("/account/webauthn", &[("name", "Blue YubiKey")], &w.alice).await.expect(StatusCode::OK);
        assert!(step.text.contains("data-webauthn=\"register\""), "{}", step.text);
        assert!(step.text.contains("<script src=\"/assets/webauthn.js\" defer></script>"));
        assert!(step.text.contains("needs JavaScript, which is off or blocked"), "the no-script message is there");
        let csp = step.headers.get("content-security-policy").unwrap().to_str().unwrap().to_owned();
        assert!(csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"), "{csp}");
        let options = options(&step.text);
        let key = &options["publicKey"];
        assert_eq!(key["rp"]["id"], "localhost", "{options}");
        assert_eq!(key["user"]["name"], "alice@researcher.example");
        assert_eq!(key["authenticatorSelection"]["userVerification"], "required");
        assert!(key["challenge"].as_str().is_some_and(|c| c.len() >= 43), "a 32-byte challenge: {options}");

        // Answers that are not a key's signed answer store nothing.
        for forged in [
            "not json".to_owned(),
            json!({"id": "AAAA", "rawId": "AAAA", "type": "public-key",
                   "response": {"attestationObject": "AAAA", "clientDataJSON": "AAAA"}})
            .to_string(),
        ] {
            let again = w.t.form("/account/webauthn", &[("name", "Blue YubiKey")], &w.alice).await;
            again.expect(StatusCode::OK);
            let reply = w.t.form("/account/webauthn/finish", &[("credential", forged.as_str())], &w.alice).await;
            let reply = reply.expect(StatusCode::UNPROCESSABLE_ENTITY);
            assert!(reply.text.contains("could not be checked"), "{}", reply.text);
        }
        let account = w.t.get("/account", &w.alice).await.expect(StatusCode::OK);
        assert!(account.text.contains("No passkeys or security keys."), "nothing was stored");
        assert_eq!(w.t.get("/api/v1/session", &w.alice).await.status, StatusCode::OK, "the session is kept");
        let listed = w.t.get("/api/v1/security-keys", &w.alice).await.expect(StatusCode::OK);
        assert_eq!(listed.json, json!([]), "the API lists no key either");

        // Nobody removes a key that is not theirs, and a malformed id is not found either.
        let missing = uuid::Uuid::nil();
        w.t.form(&format!("/account/webauthn/{missing}/remove"), &[], &w.alice).await.expect(StatusCode::NOT_FOUND);
        w.t.form("/account/webauthn/not-an-id/remove", &[], &w.alice).await.expect(StatusCode::NOT_FOUND);

        // The script is ours, served as JavaScript.
        let script = w.t.get("/assets/webauthn.js", &Auth::None).await.expect(StatusCode::OK);
        assert!(script.headers["content-type"].to_str().unwrap().starts_with("text/javascript"));
        assert!(script.text.contains("navigator.credentials.create"));
        w.finish().await;
    }
}

#[tokio::test]
async fn a_required_factor_can_be_a_key_and_an_ip_address_instance_says_keys_are_unavailable() {
    let w = World::on_with(Backend::Sqlite, on_localhost()).await;
    let settings = json!({"signup_open": false, "second_factor_required": true});
    w.t.put("/api/v1/settings", settings, &w.admin).await.expect(StatusCode::OK);
    let reply =
        w.t.form(
            "/login",
            &[("email", "flask-maintainer@pallets.example"), ("password", "correct horse battery staple")],
            &Auth::None,
        )
        .await
        .expect(StatusCode::SEE_OTHER);
    let pending = Auth::Session(reply.session_cookie().unwrap());
    let enrol = w.t.get("/login/enrol", &pending).await.expect(StatusCode::OK);
    assert!(enrol.text.contains("href=\"/account/webauthn\""), "the walk-through offers a key: {}", enrol.text);
    assert!(enrol.text.contains("action=\"/account/totp\""), "and an authenticator app");
    let name = w.t.get("/account/webauthn", &pending).await.expect(StatusCode::OK);
    assert!(name.text.contains("Name of the key"));
    let step = w.t.form("/account/webauthn", &[("name", "Laptop")], &pending).await.expect(StatusCode::OK);
    assert!(step.text.contains("data-webauthn=\"register\""));
    assert_eq!(w.t.get("/api/v1/session", &pending).await.status, StatusCode::UNAUTHORIZED, "still waiting");
    w.finish().await;

    let w = World::new().await;
    let account = w.t.get("/account", &w.alice).await.expect(StatusCode::OK);
    assert!(account.text.contains("need the instance's public_url to be a domain name"), "{}", account.text);
    let page = w.t.form("/account/webauthn", &[("name", "Blue YubiKey")], &w.alice).await.expect(StatusCode::OK);
    assert!(page.text.contains("Keys are not available here"), "{}", page.text);
    w.finish().await;
}
