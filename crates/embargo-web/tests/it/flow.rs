//! The whole process through the API: an anonymous report becomes a
//! published, credited advisory; on SQLite and on PostgreSQL.

use embargo_app::Notice;
use embargo_testkit::{Auth, Backend};
use http::StatusCode;
use serde_json::json;

use crate::fixture::World;

#[tokio::test]
async fn anonymous_report_to_published_advisory() {
    for backend in Backend::available() {
        full_flow(World::on(backend).await).await;
    }
}

async fn full_flow(w: World) {
    let t = &w.t;
    // An anonymous reporter submits, and keeps the follow-up token.
    let receipt = t
        .post(
            "/api/v1/projects/pallets/flask/reports",
            json!({
                "title": "Session cookie accepted after logout",
                "body": "After logout the old session cookie still works.",
                "versions_tested": "3.0.0, 3.1.0",
                "versions_vulnerable": "3.0.0, 3.1.0",
                "proof_of_concept": "#!/bin/sh\nexit 1\n",
                "reporter_name": "Ada Lovelace"
            }),
            &Auth::None,
        )
        .await
        .expect(StatusCode::CREATED);
    let id = receipt.json["id"].as_str().unwrap().to_owned();
    let follow = Auth::Bearer(receipt.json["followup_token"].as_str().unwrap().to_owned());
    assert_eq!(receipt.json["state"], "new");
    assert_eq!(receipt.json["project"]["project"], "flask");

    // The reporter reads it back with the token alone.
    let mine = t.get(&format!("/api/v1/reports/{id}"), &follow).await.expect(StatusCode::OK);
    assert_eq!(mine.json["title"], "Session cookie accepted after logout");
    assert_eq!(mine.json["viewer"], "reporter");
    assert!(mine.json.get("team").is_none());
    assert_eq!(mine.json["allowed_transitions"], json!(["withdrawn"]));

    // The team sees it in its queue, acknowledges, talks to the reporter, notes internally.
    let queue = t.get("/api/v1/reports?org=pallets&project=flask", &w.flask_team).await.expect(StatusCode::OK);
    assert_eq!(queue.json.as_array().unwrap().len(), 1);
    assert_eq!(queue.json[0]["state"], "new");
    w.transition(&id, "acknowledged", &w.flask_team).await.expect(StatusCode::OK);
    t.post(&format!("/api/v1/reports/{id}/messages"), json!({"body": "Thanks, we can reproduce it."}), &w.flask_team)
        .await
        .expect(StatusCode::CREATED);
    t.post(
        &format!("/api/v1/reports/{id}/messages"),
        json!({"body": "Same root cause as the 2019 fix.", "visibility": "internal"}),
        &w.flask_team,
    )
    .await
    .expect(StatusCode::CREATED);
    t.post(&format!("/api/v1/reports/{id}/messages"), json!({"body": "Glad to help."}), &follow)
        .await
        .expect(StatusCode::CREATED);

    // Triage, accept, score.
    w.transition(&id, "triaging", &w.flask_team).await.expect(StatusCode::OK);
    let accepted = w.transition(&id, "accepted", &w.flask_team).await.expect(StatusCode::OK);
    assert_eq!(accepted.json["allowed_transitions"], json!(["fixing", "not_vulnerable", "duplicate"]));
    let scored = t
        .patch(
            &format!("/api/v1/reports/{id}"),
            json!({"cvss_v3": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:N", "cwes": ["CWE-613"], "affected_versions": ["< 3.1.1"]}),
            &w.flask_team,
        )
        .await
        .expect(StatusCode::OK);
    assert_eq!(scored.json["team"]["cvss_v3"]["score"], 9.1);
    assert_eq!(scored.json["team"]["cvss_v3"]["rating"], "critical");

    // Draft the advisory: prefilled from the report, credited to the reporter.
    let draft =
        t.post(&format!("/api/v1/reports/{id}/advisory"), json!({}), &w.flask_team).await.expect(StatusCode::CREATED);
    let advisory = draft.json["id"].as_str().unwrap().to_owned();
    assert!(advisory.starts_with("PALLETS-2026-"), "{advisory}");
    assert_eq!(draft.json["state"], "draft");
    assert_eq!(draft.json["draft"]["summary"], "Session cookie accepted after logout");
    assert_eq!(draft.json["draft"]["credits"], json!([{"name": "Ada Lovelace", "type": "REPORTER", "contact": []}]));
    assert_eq!(draft.json["draft"]["cwes"], json!(["CWE-613"]));
    t.get(&format!("/api/v1/advisories/{advisory}"), &Auth::None).await.expect(StatusCode::NOT_FOUND);

    t.patch(
        &format!("/api/v1/advisories/{advisory}"),
        json!({
            "details": "Flask did not invalidate server-side sessions on logout.\n\nUpgrade to 3.1.1.",
            "aliases": ["CVE-2026-12345"],
            "affected": [{
                "package": {"ecosystem": "PyPI", "name": "flask"},
                "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "3.1.1"}]}]
            }],
            "references": [{"type": "FIX", "url": "https://github.com/pallets/flask/pull/5000"}]
        }),
        &w.flask_team,
    )
    .await
    .expect(StatusCode::OK);

    // Not before the fix is public.
    let early = t.post(&format!("/api/v1/advisories/{advisory}/publish"), json!({}), &w.flask_team).await;
    assert_eq!(early.expect(StatusCode::CONFLICT).json["error"], "fix_not_public");
    w.transition(&id, "fixing", &w.flask_team).await.expect(StatusCode::OK);
    w.transition(&id, "fixed", &w.flask_team).await.expect(StatusCode::OK);
    let published = t
        .post(&format!("/api/v1/advisories/{advisory}/publish"), json!({}), &w.flask_team)
        .await
        .expect(StatusCode::OK);
    assert_eq!(published.json["state"], "published");
    assert_eq!(published.json["published"]["number"], 1);

    // The public sees it; the reporter sees the report disclosed and the advisory linked.
    let public = t.get(&format!("/api/v1/advisories/{advisory}"), &Auth::None).await.expect(StatusCode::OK);
    assert_eq!(public.json["published"]["content"]["aliases"], json!(["CVE-2026-12345"]));
    assert_eq!(public.json["published"]["content"]["severity"]["cvss_v3"]["score"], 9.1);
    assert!(public.json.get("draft").is_none());
    assert!(public.json.get("report").is_none(), "the public never learns the report id");
    let listed = t.get("/api/v1/advisories", &Auth::None).await.expect(StatusCode::OK);
    assert_eq!(listed.json.as_array().unwrap().len(), 1);
    let disclosed = t.get(&format!("/api/v1/reports/{id}"), &follow).await.expect(StatusCode::OK);
    assert_eq!(disclosed.json["state"], "disclosed");
    assert_eq!(disclosed.json["advisory"], advisory);
    let states: Vec<&str> =
        disclosed.json["history"].as_array().unwrap().iter().map(|h| h["to"].as_str().unwrap()).collect();
    assert_eq!(states, ["new", "acknowledged", "triaging", "accepted", "fixing", "fixed", "disclosed"]);

    // Every step was announced through the outbox.
    let run = t.run_jobs().await;
    assert_eq!(run.abandoned, 0);
    let notices = t.delivered();
    assert!(notices.contains(&Notice::ReportReceived { report: id.parse().unwrap() }));
    assert!(notices.contains(&Notice::AdvisoryPublished { advisory: advisory.parse().unwrap() }));
    assert_eq!(notices.iter().filter(|n| matches!(n, Notice::MessagePosted { .. })).count(), 3);

    // And the audit chain holds.
    let audit = t.app.verify_audit().await.unwrap();
    assert_eq!(audit.problem, None);
    assert!(audit.checked > 20);
    w.finish().await;
}
