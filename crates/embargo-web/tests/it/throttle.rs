//! Sign-in throttling (issue 12): per account and per client address, in
//! the database; 429 with `Retry-After` and a clear message on the API and
//! the sign-in page; the lock ends on its own.

use std::net::SocketAddr;

use axum::body::Body;
use axum::extract::ConnectInfo;
use embargo_testkit::{Auth, Backend, Reply, TestApp};
use embargo_web::WebConfig;
use http::{Request, StatusCode, header};
use serde_json::json;

const PASSWORD: &str = "correct horse battery staple";

async fn sign_in(t: &TestApp, email: &str, password: &str) -> Reply {
    t.post("/api/v1/session", json!({"email": email, "password": password}), &Auth::None).await
}

/// A sign-in sent from `peer`, as `serve` sees it.
async fn sign_in_from(t: &TestApp, peer: &str, email: &str, password: &str) -> Reply {
    let mut request = Request::post("/api/v1/session")
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(json!({"email": email, "password": password}).to_string()))
        .unwrap();
    let peer: SocketAddr = peer.parse().unwrap();
    request.extensions_mut().insert(ConnectInfo(peer));
    t.send(request).await
}

fn retry_after(reply: &Reply) -> u64 {
    reply.headers.get(header::RETRY_AFTER).expect("Retry-After").to_str().unwrap().parse().unwrap()
}

#[tokio::test]
async fn an_account_is_locked_after_five_failures_issue_12() {
    for backend in Backend::available() {
        let t = TestApp::on(backend, WebConfig::default()).await;
        t.user("alice@researcher.example", false).await;
        for _ in 0..5 {
            sign_in(&t, "alice@researcher.example", "not the password").await.expect(StatusCode::UNAUTHORIZED);
        }
        // Locked: even the right password is refused, without a password check.
        let locked = sign_in(&t, "Alice@Researcher.example", PASSWORD).await.expect(StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(locked.json["error"], "rate_limited");
        assert_eq!(
            locked.json["message"], "too many failed sign-ins for this account; try again in 60 seconds",
            "{backend:?}"
        );
        assert_eq!(retry_after(&locked), 60);
        // An unknown address is throttled alike: a lock says nothing about who has an account.
        for _ in 0..5 {
            sign_in(&t, "nobody@example.org", "whatever it is").await.expect(StatusCode::UNAUTHORIZED);
        }
        sign_in(&t, "nobody@example.org", "whatever it is").await.expect(StatusCode::TOO_MANY_REQUESTS);
        // Another account is not affected.
        t.user("bob@researcher.example", false).await;

        t.clock().advance(time::Duration::seconds(30));
        let later = sign_in(&t, "alice@researcher.example", PASSWORD).await.expect(StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(retry_after(&later), 30);
        t.clock().advance(time::Duration::seconds(31));
        sign_in(&t, "alice@researcher.example", PASSWORD).await.expect(StatusCode::OK);
        // The sign-in after a lock is marked, for the second factor to take over.
        let events = t.app.audit_events(&embargo_core::permission::Actor::Operator, Default::default()).await.unwrap();
        let session = events.iter().find(|e| e.action == "session.created").unwrap();
        let details: serde_json::Value = serde_json::from_str(&session.details).unwrap();
        assert_eq!(details["after_lock"], true, "{details}");
        // The success cleared the account's count: one more failure does not lock it again.
        sign_in(&t, "alice@researcher.example", "not the password").await.expect(StatusCode::UNAUTHORIZED);
        sign_in(&t, "alice@researcher.example", PASSWORD).await.expect(StatusCode::OK);
        t.finish().await;
    }
}

#[tokio::test]
async fn repeated_failures_lock_for_longer_issue_12() {
    let t = TestApp::new().await;
    for _ in 0..5 {
        sign_in(&t, "carol@example.org", "nope nope nope").await.expect(StatusCode::UNAUTHORIZED);
    }
    t.clock().advance(time::Duration::seconds(61));
    sign_in(&t, "carol@example.org", "nope nope nope").await.expect(StatusCode::UNAUTHORIZED);
    let locked = sign_in(&t, "carol@example.org", "nope nope nope").await.expect(StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(retry_after(&locked), 120, "the sixth failure in the window locks for two minutes");
    t.finish().await;
}

#[tokio::test]
async fn a_client_address_is_locked_after_twenty_failures_issue_12() {
    let t = TestApp::new().await;
    t.user("alice@researcher.example", false).await;
    for i in 0..20 {
        let reply = sign_in_from(&t, "192.0.2.7:5000", &format!("guess{i}@example.org"), "not it at all").await;
        reply.expect(StatusCode::UNAUTHORIZED);
    }
    let locked = sign_in_from(&t, "192.0.2.7:6000", "alice@researcher.example", PASSWORD).await;
    let locked = locked.expect(StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(locked.json["message"], "too many failed sign-ins from your network address; try again in 5 minutes");
    assert_eq!(retry_after(&locked), 300);
    // Another address, and the account itself, are fine.
    sign_in_from(&t, "198.51.100.1:5000", "alice@researcher.example", PASSWORD).await.expect(StatusCode::OK);
    // One IPv6 /64 counts as one address.
    for i in 0..20 {
        let peer = format!("[2001:db8:1:2::{i:x}]:443");
        sign_in_from(&t, &peer, &format!("v6guess{i}@example.org"), "not it at all").await;
    }
    let v6 = sign_in_from(&t, "[2001:db8:1:2:ffff::1]:443", "alice@researcher.example", PASSWORD).await;
    v6.expect(StatusCode::TOO_MANY_REQUESTS);
    t.finish().await;
}

#[tokio::test]
async fn the_sign_in_page_says_when_to_try_again_and_keeps_the_address_issue_12() {
    let t = TestApp::new().await;
    t.user("alice@researcher.example", false).await;
    let form = [("email", "alice@researcher.example"), ("password", "wrong password")];
    for _ in 0..5 {
        t.form("/login", &form, &Auth::None).await.expect(StatusCode::UNAUTHORIZED);
    }
    let page = t.form("/login", &form, &Auth::None).await.expect(StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(retry_after(&page), 60);
    assert!(page.text.contains("Too many failed sign-ins for this account; try again in 60 seconds."), "{}", page.text);
    assert!(page.text.contains("value=\"alice@researcher.example\""), "the address stays in the form");
    t.finish().await;
}
