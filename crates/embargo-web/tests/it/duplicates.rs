//! Duplicates with credit (issue 10): the triage view suggests likely
//! duplicates with why; marking one tells its reporter which report it
//! duplicates (by reference) and later how that report ended; the advisory
//! drafted from the original credits every finder, in order of report time.

use embargo_app::Notice;
use http::StatusCode;
use serde_json::json;

use crate::fixture::World;

#[tokio::test]
async fn duplicates_are_suggested_referenced_told_how_the_original_ended_and_credited() {
    let w = World::new().await;
    let t = &w.t;
    let first =
        json!({"title": "XSS in the login form", "body": "The next parameter is reflected.", "component": "auth"});
    let original = t.post("/api/v1/projects/pallets/flask/reports", first, &w.alice).await.expect(StatusCode::CREATED);
    let original = original.json["id"].as_str().unwrap().to_owned();
    t.clock().advance(time::Duration::minutes(5));
    let second =
        json!({"title": "Reflected XSS in login form", "body": "MARK-DUP-BODY next parameter.", "component": "auth"});
    let duplicate = t.post("/api/v1/projects/pallets/flask/reports", second, &w.bob).await.expect(StatusCode::CREATED);
    let duplicate = duplicate.json["id"].as_str().unwrap().to_owned();

    // The triage view suggests the other one, saying why.
    let view = t.get(&format!("/api/v1/reports/{duplicate}"), &w.flask_team).await.expect(StatusCode::OK);
    let suggested = &view.json["team"]["duplicate_suggestions"][0];
    assert_eq!(suggested["report"], original.as_str(), "{}", view.text);
    let why = suggested["reasons"].as_array().unwrap();
    assert!(why.iter().any(|r| r == "same component"), "{why:?}");
    assert!(why.iter().any(|r| r.as_str().unwrap().starts_with("similar title")), "{why:?}");
    let page = t.get(&format!("/reports/{duplicate}"), &w.flask_team).await.expect(StatusCode::OK);
    assert!(page.text.contains("Likely duplicates"));
    let mine = t.get(&format!("/api/v1/reports/{duplicate}"), &w.bob).await.expect(StatusCode::OK);
    assert!(mine.json["team"].is_null(), "suggestions are the team's");

    // Marked a duplicate: its reporter hears which report, by reference only.
    w.advance(&duplicate, "triaging").await;
    let mark = json!({"to": "duplicate", "duplicate_of": original, "reason": "Reported before."});
    t.post(&format!("/api/v1/reports/{duplicate}/transitions"), mark, &w.flask_team).await.expect(StatusCode::OK);
    t.run_jobs().await;
    let marked = t
        .delivered()
        .into_iter()
        .find(|n| matches!(n, Notice::StateChanged { to, .. } if to.as_str() == "duplicate"))
        .unwrap();
    let mail = t.app.notice_mail(&marked).await.unwrap().unwrap();
    assert_eq!(mail.duplicate_of.map(|d| d.to_string()), Some(original.clone()));
    assert_eq!(mail.recipients.len(), 1);
    assert_eq!(mail.recipients[0].email.to_string(), "bob@researcher.example");

    // The advisory drafted from the original credits both finders, in order of report time.
    w.advance(&original, "accepted").await;
    let draft = t.post(&format!("/api/v1/reports/{original}/advisory"), json!({}), &w.flask_team).await;
    let draft = draft.expect(StatusCode::CREATED);
    let credits: Vec<&str> =
        draft.json["draft"]["credits"].as_array().unwrap().iter().map(|c| c["name"].as_str().unwrap()).collect();
    assert_eq!(credits, ["alice", "bob"]);
    let advisory = draft.json["id"].as_str().unwrap().to_owned();

    // Disclosed: the duplicate's reporter hears how the original ended.
    t.patch(&format!("/api/v1/advisories/{advisory}"), json!({"details": "Upgrade."}), &w.flask_team)
        .await
        .expect(StatusCode::OK);
    w.transition(&original, "fixing", &w.flask_team).await.expect(StatusCode::OK);
    w.transition(&original, "fixed", &w.flask_team).await.expect(StatusCode::OK);
    t.call(http::Method::POST, &format!("/api/v1/advisories/{advisory}/publish"), None, &w.flask_team)
        .await
        .expect(StatusCode::OK);
    t.run_jobs().await;
    let ended = t.delivered().into_iter().find(|n| matches!(n, Notice::OriginalEnded { .. })).unwrap();
    let Notice::OriginalEnded { report, to, .. } = &ended else { unreachable!() };
    assert_eq!(report.to_string(), duplicate);
    assert_eq!(to.as_str(), "disclosed");
    let mail = t.app.notice_mail(&ended).await.unwrap().unwrap();
    assert_eq!(mail.recipients.iter().map(|r| r.email.to_string()).collect::<Vec<_>>(), ["bob@researcher.example"]);
    w.finish().await;
}
