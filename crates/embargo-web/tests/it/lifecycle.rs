//! The lifecycle through the API: illegal steps and premature advisories are refused.

use http::StatusCode;
use serde_json::json;

use crate::fixture::World;

#[tokio::test]
async fn illegal_transitions_are_refused_and_change_nothing() {
    let w = World::new().await;
    let (id, _) = w.report("flask", &w.alice, "flaw").await;
    for (to, code) in
        [("accepted", "illegal_transition"), ("fixed", "illegal_transition"), ("disclosed", "illegal_transition")]
    {
        let reply = w.transition(&id, to, &w.flask_team).await.expect(StatusCode::CONFLICT);
        assert_eq!(reply.json["error"], code, "{to}");
        assert!(reply.json["message"].as_str().unwrap().contains(&format!("from new to {to}")), "{}", reply.text);
    }
    let reply = w.transition(&id, "not_vulnerable", &w.flask_team).await.expect(StatusCode::CONFLICT);
    assert_eq!(reply.json["message"], "moving a report to not_vulnerable needs a reason");
    let reply = w.transition(&id, "duplicate", &w.flask_team).await.expect(StatusCode::CONFLICT);
    assert!(reply.json["message"].as_str().unwrap().contains("duplicate_of"));
    let reply = w.transition(&id, "closed", &w.flask_team).await.expect(StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(reply.json["fields"][0]["field"], "to");
    // The reporter may withdraw, not accept.
    w.transition(&id, "accepted", &w.alice).await.expect(StatusCode::FORBIDDEN);
    let unchanged = w.t.get(&format!("/api/v1/reports/{id}"), &w.flask_team).await.expect(StatusCode::OK);
    assert_eq!(unchanged.json["state"], "new");
    assert_eq!(unchanged.json["history"].as_array().unwrap().len(), 1);

    // Declining with a reason tells the reporter why.
    w.t.post(
        &format!("/api/v1/reports/{id}/transitions"),
        json!({"to": "not_vulnerable", "reason": "Documented behaviour: see the security docs."}),
        &w.flask_team,
    )
    .await
    .expect(StatusCode::OK);
    let mine = w.t.get(&format!("/api/v1/reports/{id}"), &w.alice).await.expect(StatusCode::OK);
    assert_eq!(mine.json["history"][1]["reason"], "Documented behaviour: see the security docs.");
    w.finish().await;
}

#[tokio::test]
async fn duplicates_point_at_a_report_of_the_same_project() {
    let w = World::new().await;
    let (original, _) = w.report("flask", &w.alice, "original").await;
    let (copy, _) = w.report("flask", &w.bob, "copy").await;
    let (elsewhere, _) = w.report("jinja", &w.bob, "elsewhere").await;
    let path = format!("/api/v1/reports/{copy}/transitions");
    let reply = w.t.post(&path, json!({"to": "duplicate", "duplicate_of": elsewhere}), &w.org_team).await;
    assert_eq!(reply.expect(StatusCode::UNPROCESSABLE_ENTITY).json["fields"][0]["field"], "duplicate_of");
    let marked =
        w.t.post(&path, json!({"to": "duplicate", "duplicate_of": original}), &w.org_team).await.expect(StatusCode::OK);
    assert_eq!(marked.json["team"]["duplicate_of"], original);
    w.finish().await;
}

#[tokio::test]
async fn advisories_need_an_accepted_report_and_a_public_fix() {
    let w = World::new().await;
    let (id, _) = w.report("flask", &w.alice, "flaw").await;
    w.advance(&id, "triaging").await;
    let early = w.t.post(&format!("/api/v1/reports/{id}/advisory"), json!({}), &w.flask_team).await;
    assert_eq!(early.expect(StatusCode::CONFLICT).json["error"], "report_not_accepted");

    // A draft whose report is declined after a closer look cannot be published.
    let (declined, advisory) = w.drafted("turned out fine").await;
    w.t.post(
        &format!("/api/v1/reports/{declined}/transitions"),
        json!({"to": "not_vulnerable", "reason": "Needs a malicious launch condition."}),
        &w.flask_team,
    )
    .await
    .expect(StatusCode::OK);
    let refused = w.t.post(&format!("/api/v1/advisories/{advisory}/publish"), json!({}), &w.flask_team).await;
    let refused = refused.expect(StatusCode::CONFLICT);
    assert_eq!(refused.json["error"], "report_not_accepted");
    w.t.get(&format!("/api/v1/advisories/{advisory}"), &embargo_testkit::Auth::None)
        .await
        .expect(StatusCode::NOT_FOUND);

    // A second draft for the same report is refused.
    let (accepted, _) = w.drafted("real flaw").await;
    let again = w.t.post(&format!("/api/v1/reports/{accepted}/advisory"), json!({}), &w.flask_team).await;
    assert_eq!(again.expect(StatusCode::CONFLICT).json["error"], "conflict");
    w.finish().await;
}
