//! The conduct export (issue 10): who said what and when, for a
//! code-of-conduct team, with every undisclosed vulnerability detail removed.
//! Every private field holds a marker; none may appear in either format.

use http::StatusCode;
use serde_json::json;

use crate::fixture::World;

const MARKERS: [&str; 11] = [
    "MARK-TITLE",
    "MARK-BODY",
    "MARK-COMPONENT",
    "MARK-VTESTED",
    "MARK-VVULN",
    "MARK-POC",
    "MARK-PATCH",
    "MARK-ATTACHMENT",
    "MARK-INTERNAL",
    "MARK-ADVSUMMARY",
    "MARK-ADVDETAILS",
];

#[tokio::test]
async fn the_conduct_export_says_who_said_what_and_removes_every_vulnerability_detail() {
    let w = World::new().await;
    let t = &w.t;
    let report = json!({
        "title": "MARK-TITLE",
        "body": "MARK-BODY",
        "component": "MARK-COMPONENT",
        "versions_tested": "MARK-VTESTED",
        "versions_vulnerable": "MARK-VVULN",
        "proof_of_concept": "MARK-POC",
        "patch": "MARK-PATCH",
        "attachments": [{"filename": "notes.txt", "content_base64": "TUFSSy1BVFRBQ0hNRU5U"}],
    });
    let filed = t.post("/api/v1/projects/pallets/flask/reports", report, &w.alice).await.expect(StatusCode::CREATED);
    let id = filed.json["id"].as_str().unwrap().to_owned();
    let messages = format!("/api/v1/reports/{id}/messages");
    t.post(&messages, json!({"body": "MARK-INTERNAL", "visibility": "internal"}), &w.flask_team)
        .await
        .expect(StatusCode::CREATED);
    t.post(&messages, json!({"body": "Answer me now or I go public tonight."}), &w.alice)
        .await
        .expect(StatusCode::CREATED);
    t.post(&messages, json!({"body": "Please keep it civil; we are on it."}), &w.flask_team)
        .await
        .expect(StatusCode::CREATED);
    w.advance(&id, "accepted").await;
    let draft = t.post(&format!("/api/v1/reports/{id}/advisory"), json!({}), &w.flask_team).await;
    let advisory = draft.expect(StatusCode::CREATED).json["id"].as_str().unwrap().to_owned();
    t.patch(
        &format!("/api/v1/advisories/{advisory}"),
        json!({"summary": "MARK-ADVSUMMARY", "details": "MARK-ADVDETAILS"}),
        &w.flask_team,
    )
    .await
    .expect(StatusCode::OK);

    let path = format!("/api/v1/reports/{id}/conduct-export");
    let as_json = t.get(&format!("{path}?format=json"), &w.flask_team).await.expect(StatusCode::OK);
    let as_text = t.get(&format!("{path}?format=text"), &w.org_team).await.expect(StatusCode::OK);
    assert!(as_text.headers["content-type"].to_str().unwrap().starts_with("text/plain"));
    for body in [&as_json.text, &as_text.text] {
        for marker in MARKERS {
            assert!(!body.contains(marker), "{marker} leaked into the conduct export:\n{body}");
        }
        assert!(body.contains("Answer me now or I go public tonight."), "who said what is kept:\n{body}");
        assert!(body.contains("Please keep it civil; we are on it."));
        assert!(body.contains("alice (reporter)"), "{body}");
        assert!(body.contains("flask-maintainer (security team)"), "{body}");
        for removed in [
            "[removed: title]",
            "[removed: description]",
            "[removed: proof of concept]",
            "[removed: patch]",
            "[removed: component]",
            "[removed: 1 attachment(s)]",
            "[removed: internal note]",
            "[removed: unpublished advisory text]",
        ] {
            assert!(body.contains(removed), "{removed} is not named:\n{body}");
        }
    }
    let kinds: Vec<&str> =
        as_json.json["entries"].as_array().unwrap().iter().map(|e| e["kind"].as_str().unwrap()).collect();
    assert!(kinds.contains(&"internal note") && kinds.contains(&"state change") && kinds.contains(&"message"));

    // Team only; a bad format is refused; each export is audited.
    t.get(&path, &w.alice).await.expect(StatusCode::FORBIDDEN);
    t.get(&path, &w.jinja_team).await.expect(StatusCode::NOT_FOUND);
    t.get(&format!("{path}?format=xml"), &w.flask_team).await.expect(StatusCode::UNPROCESSABLE_ENTITY);
    let audit = t.get(&format!("/api/v1/audit/events?report={id}"), &w.admin).await.expect(StatusCode::OK);
    let exports = audit.json.as_array().unwrap().iter().filter(|e| e["action"] == "report.conduct_exported").count();
    assert_eq!(exports, 2);
    w.finish().await;
}
