//! The audit log in the API (issue 12): administrators read events filtered
//! by report, person and time, and fetch a signed checkpoint that verifies.

use embargo_app::Notice;
use embargo_testkit::Auth;
use http::{Method, StatusCode};
use serde_json::json;

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

#[tokio::test]
async fn administrators_read_the_audit_log_on_a_page_filtered_and_paged_without_script_issue_12() {
    let w = World::new().await;
    let (first, _) = w.report("flask", &w.alice, "PRIVATE-MARKER-TITLE one").await;
    for n in 0..55 {
        if n % 10 == 9 {
            // Past the intake limit of one account an hour.
            w.t.clock().advance(time::Duration::minutes(61));
        }
        w.report("flask", &w.bob, &format!("PRIVATE-MARKER-TITLE {n}")).await;
    }
    let page = w.t.get("/admin/audit", &w.admin).await.expect(StatusCode::OK);
    assert!(page.text.contains("report.submitted"));
    assert!(!page.text.contains("PRIVATE-MARKER"), "events hold ids, never private text");
    assert!(page.text.contains("embargo audit checkpoint v1"), "the current checkpoint, to keep elsewhere");
    // Paged: the newest 50, then a plain link to the older ones.
    let rows = |text: &str| text.matches("<td data-label=\"#\">").count();
    assert_eq!(rows(&page.text), 50);
    let start = page.text.find("/admin/audit?before=").expect("a link to older events");
    let link = &page.text[start..page.text[start..].find('"').unwrap() + start];
    let older = w.t.get(&link.replace("&amp;", "&"), &w.admin).await.expect(StatusCode::OK);
    assert!(rows(&older.text) > 0 && !older.text.contains("/admin/audit?before="), "the last page has no older link");
    // Filtered by report with the GET form's fields.
    let about = w.t.get(&format!("/admin/audit?report={first}&since=&until="), &w.admin).await.expect(StatusCode::OK);
    assert_eq!(rows(&about.text), 1);
    assert!(about.text.contains(&format!("report:{first}")));
    // A bad filter is named, not a failure.
    let bad = w.t.get("/admin/audit?since=yesterday", &w.admin).await.expect(StatusCode::OK);
    assert!(bad.text.contains("From: enter a day as YYYY-MM-DD."), "{}", bad.text);
    // Others are not told the page exists.
    w.t.get("/admin/audit", &w.alice).await.expect(StatusCode::NOT_FOUND);
    w.t.get("/admin/audit", &w.org_team).await.expect(StatusCode::NOT_FOUND);
    w.finish().await;
}

#[tokio::test]
async fn the_daily_checkpoint_mail_goes_to_the_administrators_once_a_day_while_it_is_on_issue_12() {
    for backend in embargo_testkit::Backend::available() {
        let w = World::on(backend).await;
        let settings = w.t.get("/api/v1/settings", &Auth::None).await.expect(StatusCode::OK).json;
        assert_eq!(settings["checkpoint_mail"], false, "off on a new instance");
        let on = json!({"signup_open": false, "checkpoint_mail": true});
        w.t.put("/api/v1/settings", on.clone(), &w.org_team).await.expect(StatusCode::FORBIDDEN);
        let saved = w.t.put("/api/v1/settings", on.clone(), &w.admin).await.expect(StatusCode::OK);
        assert_eq!(saved.json["checkpoint_mail"], true);
        // Turning it on again schedules nothing more.
        w.t.put("/api/v1/settings", on, &w.admin).await.expect(StatusCode::OK);
        let checkpoints = |w: &World| w.t.delivered().iter().filter(|n| **n == Notice::AuditCheckpoint).count();
        // The first goes out at once; the next a day later, not before.
        w.t.run_jobs().await;
        assert_eq!(checkpoints(&w), 1, "{backend:?}");
        w.t.clock().advance(time::Duration::hours(23));
        w.t.run_jobs().await;
        assert_eq!(checkpoints(&w), 1);
        w.t.clock().advance(time::Duration::hours(1));
        w.t.run_jobs().await;
        assert_eq!(checkpoints(&w), 2);
        // It goes to the administrators only, and verifies against the log.
        let mail = w.t.app.checkpoint_mail().await.unwrap();
        let to: Vec<&str> = mail.recipients.iter().map(|e| e.as_str()).collect();
        assert_eq!(to, ["admin@example.org"]);
        let verified = w.t.app.verify_audit_checkpoint(&mail.checkpoint.text).await.unwrap().unwrap();
        assert_eq!(verified.problem, None);
        // Off: the waiting timer finds the setting changed and mails nothing.
        let off = json!({"signup_open": false, "checkpoint_mail": false});
        w.t.put("/api/v1/settings", off, &w.admin).await.expect(StatusCode::OK);
        w.t.clock().advance(time::Duration::days(1));
        w.t.run_jobs().await;
        assert_eq!(checkpoints(&w), 2);
        w.finish().await;
    }
}
