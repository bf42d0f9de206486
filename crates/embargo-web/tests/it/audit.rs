//! The audit log in the API (issue 12): administrators read events filtered
//! by report, person and time, and fetch a signed checkpoint that verifies.

use embargo_testkit::Auth;
use http::{Method, StatusCode};

use crate::fixture::World;

async fn events(w: &World, query: &str) -> Vec<serde_json::Value> {
    let reply = w.t.get(&format!("/api/v1/audit/events{query}"), &w.admin).await.expect(StatusCode::OK);
    reply.json.as_array().unwrap().clone()
}

async fn user_id(w: &World, auth: &Auth) -> String {
    let me = w.t.get("/api/v1/session", auth).await.expect(StatusCode::OK);
    me.json["user"]["id"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn administrators_filter_the_audit_log_by_report_person_and_time_issue_12() {
    let w = World::new().await;
    let (first, _) = w.report("flask", &w.alice, "PRIVATE-MARKER-TITLE one").await;
    let (second, _) = w.report("flask", &w.bob, "PRIVATE-MARKER-TITLE two").await;
    w.transition(&first, "acknowledged", &w.flask_team).await.expect(StatusCode::OK);

    let about_first = events(&w, &format!("?report={first}")).await;
    let actions: Vec<&str> = about_first.iter().map(|e| e["action"].as_str().unwrap()).collect();
    assert_eq!(actions, ["report.transitioned", "report.submitted"], "newest first: {about_first:?}");
    assert!(about_first.iter().all(|e| e["subject"] == format!("report:{first}")));

    let team = user_id(&w, &w.flask_team).await;
    let by_team = events(&w, &format!("?person={team}")).await;
    assert_eq!(by_team.len(), 1, "{by_team:?}");
    assert_eq!(by_team[0]["actor"], format!("user:{team}"));

    let all = events(&w, "").await;
    assert!(all.iter().any(|e| e["subject"] == format!("report:{second}")));
    let later =
        (w.t.app.now() + time::Duration::minutes(1)).format(&time::format_description::well_known::Rfc3339).unwrap();
    assert!(events(&w, &format!("?since={later}")).await.is_empty());
    assert_eq!(events(&w, &format!("?until={later}&limit=2")).await.len(), 2);
    let newest = all[0]["seq"].as_u64().unwrap();
    let page = events(&w, &format!("?before={newest}&limit=1")).await;
    assert_eq!(page[0]["seq"].as_u64().unwrap(), newest - 1);

    let whole = w.t.get("/api/v1/audit/events?limit=500", &w.admin).await.expect(StatusCode::OK);
    assert!(!whole.text.contains("PRIVATE-MARKER"), "no private text in the audit log: {}", whole.text);

    for bad in ["?since=yesterday", "?report=nope", "?person=nope", "?colour=red"] {
        let reply = w.t.get(&format!("/api/v1/audit/events{bad}"), &w.admin).await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{bad}: {}", reply.text);
    }
    w.finish().await;
}

#[tokio::test]
async fn the_checkpoint_from_the_api_verifies_issue_12() {
    let w = World::new().await;
    w.report("flask", &w.alice, "Checkpointed").await;
    let reply = w.t.get("/api/v1/audit/checkpoint", &w.admin).await.expect(StatusCode::OK);
    let text = reply.json["text"].as_str().unwrap().to_owned();
    let events = reply.json["events"].as_u64().unwrap();
    assert!(events > 0);
    assert!(text.starts_with(&format!("embargo audit checkpoint v1\nevents: {events}\nhead: ")), "{text}");
    assert_eq!(reply.json["head"].as_str().unwrap().len(), 64);
    w.report("flask", &w.bob, "After the checkpoint").await;
    let outcome = w.t.app.verify_audit_checkpoint(&text).await.unwrap().unwrap();
    assert_eq!((outcome.chain.problem, outcome.problem), (None, None));
    let not_admin = w.t.call(Method::GET, "/api/v1/audit/checkpoint", None, &w.org_team).await;
    assert_eq!(not_admin.status, StatusCode::NOT_FOUND);
    w.finish().await;
}
