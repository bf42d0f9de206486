//! Sign-up (issue 12): off on a new instance, and passwords checked against
//! the bundled list of common and breached passwords and a strength estimate,
//! with a message that helps.

use embargo_testkit::Auth;
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

    w.t.post("/api/v1/users", body("tulip orbit gravel mosaic"), &Auth::None).await.expect(StatusCode::CREATED);
    w.finish().await;
}
