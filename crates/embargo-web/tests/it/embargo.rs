//! Embargo ends and scheduled publication (issue 10): stored in UTC, shown
//! in the team's offset and in UTC (daylight saving included), bounded by
//! the policy, told to every participant, reminded before the end; a
//! scheduled publication happens once, or is refused when the report is not fixed.

use std::sync::Arc;

use embargo_app::{LogNotifier, Notice, Side, Subscribers};
use embargo_testkit::Backend;
use http::StatusCode;
use serde_json::json;
use time::Duration;

use crate::fixture::World;

#[tokio::test]
async fn an_embargo_end_is_kept_in_utc_shown_in_both_zones_and_told_to_everyone() {
    for backend in Backend::available() {
        let w = World::on(backend).await;
        let t = &w.t;
        t.policy("pallets", "[disclosure]\nmax_embargo = \"26w\"\nembargo_reminder = \"2d\"\n").await;
        let (id, _) = w.report("flask", &w.alice, "the report").await;
        let path = format!("/api/v1/reports/{id}");
        let carol = w.collaborator(&id).await;

        // Europe/Berlin on the night daylight saving ends (25 October 2026, 03:00 CEST → 02:00 CET).
        let summer = t.patch(&path, json!({"embargo_until": "2026-10-25T01:30:00+02:00"}), &w.flask_team).await;
        let summer = summer.expect(StatusCode::OK);
        assert_eq!(summer.json["embargo"]["until"], "2026-10-25T01:30:00+02:00");
        assert_eq!(summer.json["embargo"]["until_utc"], "2026-10-24T23:30:00Z");
        assert_eq!(summer.json["embargo"]["shown"], "2026-10-25 01:30 (UTC+02:00), 2026-10-24 23:30 UTC");
        let winter = t.patch(&path, json!({"embargo_until": "2026-10-26T01:30:00+01:00"}), &w.flask_team).await;
        assert_eq!(winter.expect(StatusCode::OK).json["embargo"]["until_utc"], "2026-10-26T00:30:00Z");

        // The reporter and the invitee see it, and may not change it.
        for who in [&w.alice, &carol] {
            let seen = t.get(&path, who).await.expect(StatusCode::OK);
            assert_eq!(seen.json["embargo"]["shown"], "2026-10-26 01:30 (UTC+01:00), 2026-10-26 00:30 UTC");
            t.patch(&path, json!({"embargo_until": "2026-10-27T00:00:00Z"}), who).await.expect(StatusCode::FORBIDDEN);
        }
        let page = t.get(&format!("/reports/{id}"), &w.alice).await.expect(StatusCode::OK);
        // Pages show it in the viewer's own time zone: UTC until they choose one (see `time_zones.rs`).
        assert!(page.text.contains("Embargo ends 2026-10-26 00:30 UTC."));

        // Refused: no offset, in the past, past the policy's longest embargo; nothing changes.
        for bad in ["2026-10-27 00:00", "2026-10-27T00:00:00", "2026-01-01T00:00:00Z", "2027-06-01T00:00:00Z"] {
            let reply = t.patch(&path, json!({"embargo_until": bad}), &w.flask_team).await;
            assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}: {}", reply.text);
            assert!(reply.json["message"].as_str().unwrap().contains("embargo_until"), "{}", reply.text);
        }
        let kept = t.get(&path, &w.flask_team).await.expect(StatusCode::OK);
        assert_eq!(kept.json["embargo"]["until_utc"], "2026-10-26T00:30:00Z");

        // Every change reaches the reporter, the team and the invitee.
        t.run_jobs().await;
        let changes: Vec<Notice> =
            t.delivered().into_iter().filter(|n| matches!(n, Notice::EmbargoChanged { .. })).collect();
        assert_eq!(changes.len(), 2);
        let mail = t.app.notice_mail(&changes[1]).await.unwrap().unwrap();
        let sides: Vec<(String, Side)> = mail.recipients.iter().map(|r| (r.email.to_string(), r.side)).collect();
        assert!(sides.contains(&("alice@researcher.example".into(), Side::Reporter)), "{sides:?}");
        assert!(sides.contains(&("carol@upstream.example".into(), Side::Collaborator)), "{sides:?}");
        assert!(sides.contains(&("flask-maintainer@pallets.example".into(), Side::Team)), "{sides:?}");

        // The policy's reminder time before the end (two days), for the end that still holds.
        t.clock().set(time::macros::datetime!(2026-10-24 00:31 UTC));
        t.run_jobs().await;
        let ending = t.delivered().iter().filter(|n| matches!(n, Notice::EmbargoEnding { .. })).count();
        assert_eq!(ending, 1, "the first end's reminder was stale: only the current one reminds");

        // Lifted with null; audited. (Months later: the sessions of May have expired.)
        let team = t.sign_in("flask-maintainer@pallets.example").await;
        let admin = t.sign_in("admin@example.org").await;
        let lifted = t.patch(&path, json!({"embargo_until": null}), &team).await.expect(StatusCode::OK);
        assert!(lifted.json["embargo"].is_null());
        let audit = t.get(&format!("/api/v1/audit/events?report={id}"), &admin).await.expect(StatusCode::OK);
        let set = audit.json.as_array().unwrap().iter().filter(|e| e["action"] == "report.embargo_set").count();
        assert_eq!(set, 3);
        w.finish().await;
    }
}

#[tokio::test]
async fn accepted_reports_get_the_policy_default_embargo_under_the_embargo_date_rule() {
    let w = World::new().await;
    let t = &w.t;
    t.policy("pallets/flask", "[disclosure]\nrule = \"embargo-date\"\nembargo = \"45d\"\n").await;
    let (id, _) = w.report("flask", &w.alice, "the report").await;
    w.advance(&id, "triaging").await;
    let before = t.get(&format!("/api/v1/reports/{id}"), &w.flask_team).await.expect(StatusCode::OK);
    assert!(before.json["embargo"].is_null(), "none before acceptance");
    let accepted_at = t.app.now();
    w.transition(&id, "accepted", &w.flask_team).await.expect(StatusCode::OK);
    let after = t.get(&format!("/api/v1/reports/{id}"), &w.flask_team).await.expect(StatusCode::OK);
    let until = time::OffsetDateTime::parse(
        after.json["embargo"]["until_utc"].as_str().unwrap(),
        &time::format_description::well_known::Rfc3339,
    )
    .unwrap();
    assert_eq!(until, accepted_at + Duration::days(45));
    w.finish().await;
}

#[tokio::test]
async fn a_scheduled_publication_happens_once_or_is_refused_while_the_report_is_not_fixed() {
    for backend in Backend::available() {
        let w = World::on(backend).await;
        let t = &w.t;
        let (report, advisory) = w.drafted("the report").await;
        let schedule = format!("/api/v1/advisories/{advisory}/schedule");
        t.post(&schedule, json!({"at": "2026-05-04T12:00:00"}), &w.flask_team)
            .await
            .expect(StatusCode::UNPROCESSABLE_ENTITY);
        t.post(&schedule, json!({"at": "2026-05-01T12:00:00+02:00"}), &w.flask_team)
            .await
            .expect(StatusCode::UNPROCESSABLE_ENTITY);
        t.post(&schedule, json!({"at": "2026-05-05T12:00:00+02:00"}), &w.alice).await.expect(StatusCode::NOT_FOUND);

        // Due tomorrow, the report still not fixed: refused, and the team is told.
        let first = t.post(&schedule, json!({"at": "2026-05-05T12:00:00+02:00"}), &w.flask_team).await;
        assert_eq!(
            first.expect(StatusCode::CREATED).json["shown"],
            "2026-05-05 12:00 (UTC+02:00), 2026-05-05 10:00 UTC"
        );
        t.clock().set(time::macros::datetime!(2026-05-05 10:01 UTC));
        t.run_jobs().await;
        let view = t.get(&format!("/api/v1/advisories/{advisory}"), &w.flask_team).await.expect(StatusCode::OK);
        assert_eq!(view.json["state"], "draft");
        assert!(t.delivered().iter().any(|n| matches!(n, Notice::PublicationRefused { .. })));
        let refused = t.delivered().into_iter().find(|n| matches!(n, Notice::PublicationRefused { .. })).unwrap();
        let mail = t.app.notice_mail(&refused).await.unwrap().unwrap();
        assert!(mail.recipients.iter().all(|r| r.side == Side::Team) && !mail.recipients.is_empty());

        // Scheduled again and rescheduled; the report is fixed by then. Two replicas run the
        // timers at once: the advisory is published once, by the latest schedule only.
        t.post(&schedule, json!({"at": "2026-05-06T09:00:00+02:00"}), &w.flask_team).await.expect(StatusCode::CREATED);
        t.post(&schedule, json!({"at": "2026-05-06T10:00:00+02:00"}), &w.flask_team).await.expect(StatusCode::CREATED);
        for state in ["fixing", "fixed"] {
            w.transition(&report, state, &w.flask_team).await.expect(StatusCode::OK);
        }
        t.clock().set(time::macros::datetime!(2026-05-06 07:30 UTC));
        t.run_jobs().await;
        let early = t.get(&format!("/api/v1/advisories/{advisory}"), &w.flask_team).await.expect(StatusCode::OK);
        assert_eq!(early.json["state"], "draft", "the replaced schedule does nothing");
        t.clock().set(time::macros::datetime!(2026-05-06 08:01 UTC));
        let subscribers = Subscribers::standard(Arc::new(LogNotifier));
        let (a, b) = tokio::join!(
            t.app.run_due_jobs("replica-a", &subscribers, 100),
            t.app.run_due_jobs("replica-b", &subscribers, 100)
        );
        a.unwrap();
        b.unwrap();
        let published = t.get(&format!("/api/v1/advisories/{advisory}"), &w.flask_team).await.expect(StatusCode::OK);
        assert_eq!(published.json["state"], "published");
        assert_eq!(published.json["published"]["number"], 1, "one revision: {}", published.text);
        let disclosed = t.get(&format!("/api/v1/reports/{report}"), &w.alice).await.expect(StatusCode::OK);
        assert_eq!(disclosed.json["state"], "disclosed");
        let audit = t.get("/api/v1/audit/events?limit=500", &w.admin).await.expect(StatusCode::OK);
        let published_events =
            audit.json.as_array().unwrap().iter().filter(|e| e["action"] == "advisory.published").count();
        assert_eq!(published_events, 1);
        w.finish().await;
    }
}
