//! Private stays private: who may see which report, message and draft.

use embargo_testkit::Auth;
use http::StatusCode;
use serde_json::json;

use crate::fixture::{World, strings};

#[tokio::test]
async fn a_reporter_gets_404_on_another_reporters_report() {
    let w = World::new().await;
    let (alices, _) = w.report("flask", &w.alice, "alice's flaw").await;
    let (bobs, _) = w.report("flask", &w.bob, "bob's flaw").await;
    for path in [
        format!("/api/v1/reports/{alices}"),
        format!("/api/v1/reports/{alices}/messages"),
        format!("/api/v1/reports/{alices}/transitions"),
    ] {
        let reply = if path.ends_with("messages") {
            w.t.post(&path, json!({"body": "let me in"}), &w.bob).await
        } else if path.ends_with("transitions") {
            w.t.post(&path, json!({"to": "withdrawn"}), &w.bob).await
        } else {
            w.t.get(&path, &w.bob).await
        };
        assert_eq!(reply.expect(StatusCode::NOT_FOUND).json["error"], "not_found", "{path}");
    }
    let bobs_list = w.t.get("/api/v1/reports", &w.bob).await.expect(StatusCode::OK);
    let ids: Vec<&str> = bobs_list.json.as_array().unwrap().iter().map(|r| r["id"].as_str().unwrap()).collect();
    assert_eq!(ids, [bobs.as_str()]);
    // The same answer as for a report that does not exist.
    let missing = w.t.get("/api/v1/reports/0190a0b2-7c1e-4d2a-9f3b-0a1b2c3d4e5f", &w.bob).await;
    assert_eq!(missing.expect(StatusCode::NOT_FOUND).json["error"], "not_found");
    w.finish().await;
}

#[tokio::test]
async fn a_followup_token_reads_its_report_and_no_other() {
    let w = World::new().await;
    let (first, first_token) = w.report("flask", &Auth::None, "first").await;
    let (second, _) = w.report("flask", &Auth::None, "second").await;
    let token = Auth::Bearer(first_token);
    w.t.get(&format!("/api/v1/reports/{first}"), &token).await.expect(StatusCode::OK);
    w.t.get(&format!("/api/v1/reports/{second}"), &token).await.expect(StatusCode::NOT_FOUND);
    w.t.post(&format!("/api/v1/reports/{second}/messages"), json!({"body": "hi"}), &token)
        .await
        .expect(StatusCode::NOT_FOUND);
    let list = w.t.get("/api/v1/reports", &token).await.expect(StatusCode::OK);
    assert_eq!(list.json.as_array().unwrap().len(), 1);
    assert_eq!(list.json[0]["id"], first);
    // A follow-up token is not an account: it cannot file new reports or make tokens.
    w.t.post("/api/v1/projects/pallets/flask/reports", json!({"title": "x", "body": "y"}), &token)
        .await
        .expect(StatusCode::FORBIDDEN);
    w.t.post("/api/v1/tokens", json!({"name": "x", "scopes": ["read"]}), &token).await.expect(StatusCode::UNAUTHORIZED);
    // A made-up token is refused outright.
    let forged = Auth::Bearer("embf_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA".into());
    w.t.get(&format!("/api/v1/reports/{first}"), &forged).await.expect(StatusCode::UNAUTHORIZED);
    w.finish().await;
}

#[tokio::test]
async fn a_project_team_sees_nothing_of_another_project() {
    let w = World::new().await;
    let (flask_report, _) = w.report("flask", &w.alice, "flask flaw").await;
    let (jinja_report, _) = w.report("jinja", &w.alice, "jinja flaw").await;
    w.t.get(&format!("/api/v1/reports/{flask_report}"), &w.jinja_team).await.expect(StatusCode::NOT_FOUND);
    w.t.patch(&format!("/api/v1/reports/{flask_report}"), json!({"cwes": ["CWE-79"]}), &w.jinja_team)
        .await
        .expect(StatusCode::NOT_FOUND);
    w.transition(&flask_report, "acknowledged", &w.jinja_team).await.expect(StatusCode::NOT_FOUND);
    let queue = w.t.get("/api/v1/reports", &w.jinja_team).await.expect(StatusCode::OK);
    let ids: Vec<&str> = queue.json.as_array().unwrap().iter().map(|r| r["id"].as_str().unwrap()).collect();
    assert_eq!(ids, [jinja_report.as_str()]);
    let filtered = w.t.get("/api/v1/reports?org=pallets&project=flask", &w.jinja_team).await.expect(StatusCode::OK);
    assert_eq!(filtered.json, json!([]));
    // The organisation's team sees both.
    let all = w.t.get("/api/v1/reports", &w.org_team).await.expect(StatusCode::OK);
    assert_eq!(all.json.as_array().unwrap().len(), 2);
    // An instance administrator is not a team member and sees no report.
    w.t.get(&format!("/api/v1/reports/{flask_report}"), &w.admin).await.expect(StatusCode::NOT_FOUND);
    assert_eq!(w.t.get("/api/v1/reports", &w.admin).await.expect(StatusCode::OK).json, json!([]));
    w.finish().await;
}

#[tokio::test]
async fn internal_notes_never_reach_the_reporter_or_the_public() {
    let w = World::new().await;
    const SECRET: &str = "INTERNAL-ONLY: upstream CVE pending, do not tell";
    let (id, token) = w.report("flask", &w.alice, "flaw").await;
    w.t.post(
        &format!("/api/v1/reports/{id}/messages"),
        json!({"body": SECRET, "visibility": "internal"}),
        &w.flask_team,
    )
    .await
    .expect(StatusCode::CREATED);
    // A reporter may not post internal notes.
    w.t.post(&format!("/api/v1/reports/{id}/messages"), json!({"body": "x", "visibility": "internal"}), &w.alice)
        .await
        .expect(StatusCode::FORBIDDEN);
    w.advance(&id, "fixed").await;
    let draft =
        w.t.post(&format!("/api/v1/reports/{id}/advisory"), json!({}), &w.flask_team).await.expect(StatusCode::CREATED);
    let advisory = draft.json["id"].as_str().unwrap().to_owned();
    w.t.patch(&format!("/api/v1/advisories/{advisory}"), json!({"details": "Fixed in 3.1.1."}), &w.flask_team)
        .await
        .expect(StatusCode::OK);
    w.t.post(&format!("/api/v1/advisories/{advisory}/publish"), json!({}), &w.flask_team).await.expect(StatusCode::OK);

    let team_view = w.t.get(&format!("/api/v1/reports/{id}"), &w.flask_team).await.expect(StatusCode::OK);
    assert!(strings(&team_view.json).iter().any(|s| s == SECRET), "the team sees its note");

    let follow = Auth::Bearer(token);
    let everything_a_reporter_or_the_public_gets = [
        w.t.get(&format!("/api/v1/reports/{id}"), &w.alice).await,
        w.t.get(&format!("/api/v1/reports/{id}"), &follow).await,
        w.t.get("/api/v1/reports", &w.alice).await,
        w.t.get("/api/v1/reports", &follow).await,
        w.t.get(&format!("/api/v1/advisories/{advisory}"), &Auth::None).await,
        w.t.get(&format!("/api/v1/advisories/{advisory}"), &w.alice).await,
        w.t.get("/api/v1/advisories", &Auth::None).await,
        w.t.get("/api/v1/advisories", &w.alice).await,
    ];
    for reply in everything_a_reporter_or_the_public_gets {
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
        assert!(!reply.text.contains("INTERNAL-ONLY"), "leaked: {}", reply.text);
        assert!(!reply.text.contains("\"internal\""), "an internal message was listed: {}", reply.text);
    }
    w.finish().await;
}

#[tokio::test]
async fn a_draft_advisory_is_invisible_until_published() {
    let w = World::new().await;
    let (id, advisory) = w.drafted("draft flaw").await;
    for auth in [&Auth::None, &w.alice, &w.bob, &w.jinja_team, &w.admin] {
        w.t.get(&format!("/api/v1/advisories/{advisory}"), auth).await.expect(StatusCode::NOT_FOUND);
        let list = w.t.get("/api/v1/advisories", auth).await.expect(StatusCode::OK);
        assert_eq!(list.json, json!([]));
    }
    // Its reporter does not learn the draft's id either.
    let report = w.t.get(&format!("/api/v1/reports/{id}"), &w.alice).await.expect(StatusCode::OK);
    assert_eq!(report.json["advisory"], json!(null));
    // The team does.
    let team = w.t.get("/api/v1/advisories", &w.flask_team).await.expect(StatusCode::OK);
    assert_eq!(team.json[0]["state"], "draft");
    assert_eq!(team.json[0]["draft"]["details"], "Upgrade to 3.1.1.");
    w.advance_from_accepted(&id).await;
    w.t.post(&format!("/api/v1/advisories/{advisory}/publish"), json!({}), &w.flask_team).await.expect(StatusCode::OK);
    w.t.get(&format!("/api/v1/advisories/{advisory}"), &Auth::None).await.expect(StatusCode::OK);
    // Later edits to the working copy stay private until published again.
    w.t.patch(&format!("/api/v1/advisories/{advisory}"), json!({"summary": "SECRET NEW SUMMARY"}), &w.flask_team)
        .await
        .expect(StatusCode::OK);
    let public = w.t.get(&format!("/api/v1/advisories/{advisory}"), &Auth::None).await.expect(StatusCode::OK);
    assert!(!public.text.contains("SECRET NEW SUMMARY"));
    let republished =
        w.t.post(&format!("/api/v1/advisories/{advisory}/publish"), json!({}), &w.flask_team)
            .await
            .expect(StatusCode::OK);
    assert_eq!(republished.json["published"]["number"], 2);
    let public = w.t.get(&format!("/api/v1/advisories/{advisory}"), &Auth::None).await.expect(StatusCode::OK);
    assert_eq!(public.json["published"]["content"]["summary"], "SECRET NEW SUMMARY");
    w.finish().await;
}

impl World {
    async fn advance_from_accepted(&self, id: &str) {
        for state in ["fixing", "fixed"] {
            self.transition(id, state, &self.flask_team).await.expect(StatusCode::OK);
        }
    }
}
