//! Clocks that act (issue 10): reminders before the team's deadlines,
//! escalations once they passed, auto-assignment of idle reports to the
//! coordinator rotation, and the queue sorted by deadline. The fake clock
//! drives every timer; nothing sleeps.

use embargo_app::{Deadline, Notice, Side};
use embargo_testkit::Backend;
use http::StatusCode;
use serde_json::json;
use time::Duration;

use crate::fixture::World;

fn reminders(notices: &[Notice]) -> Vec<(Deadline, bool)> {
    notices
        .iter()
        .filter_map(|n| match n {
            Notice::DeadlineReminder { deadline, .. } => Some((*deadline, false)),
            Notice::DeadlinePassed { deadline, .. } => Some((*deadline, true)),
            _ => None,
        })
        .collect()
}

#[tokio::test]
async fn deadlines_remind_before_and_escalate_after_unless_the_report_moved_on() {
    for backend in Backend::available() {
        let w = World::on(backend).await;
        let t = &w.t;
        t.policy("pallets", "[response]\nacknowledge = \"2d\"\ntriage = \"8d\"\n").await;
        let start = t.app.now();
        let (id, _) = w.report("flask", &w.alice, "the report").await;
        t.run_jobs().await;
        assert_eq!(reminders(&t.delivered()), vec![]);

        // Three quarters of two days: the assignee (nobody yet: the team) is reminded.
        t.clock().advance(Duration::hours(36) + Duration::minutes(1));
        t.run_jobs().await;
        assert_eq!(reminders(&t.delivered()), vec![(Deadline::Acknowledge, false)]);
        let reminder = t.delivered().into_iter().find(|n| matches!(n, Notice::DeadlineReminder { .. })).unwrap();
        let Notice::DeadlineReminder { due, .. } = reminder else { unreachable!() };
        assert_eq!(due, start + Duration::days(2));

        // Two days: nobody acknowledged it, so the whole team hears.
        t.clock().advance(Duration::hours(12));
        t.run_jobs().await;
        assert_eq!(reminders(&t.delivered()), vec![(Deadline::Acknowledge, false), (Deadline::Acknowledge, true)]);
        let passed = t.delivered().into_iter().find(|n| matches!(n, Notice::DeadlinePassed { .. })).unwrap();
        let mail = t.app.notice_mail(&passed).await.unwrap().unwrap();
        let mut to: Vec<String> = mail.recipients.iter().map(|r| r.email.to_string()).collect();
        to.sort();
        assert_eq!(to, ["flask-maintainer@pallets.example", "lead@pallets.example"]);
        assert!(mail.recipients.iter().all(|r| r.side == Side::Team), "never the reporter");

        // The team acknowledges and decides before the triage deadline: the reminder
        // (six days in) still comes while it triages, the escalation never does.
        w.advance(&id, "triaging").await;
        t.clock().set(start + Duration::days(6) + Duration::minutes(1));
        t.run_jobs().await;
        assert_eq!(reminders(&t.delivered()).last(), Some(&(Deadline::Triage, false)));
        w.t.post(&format!("/api/v1/reports/{id}/transitions"), json!({"to": "accepted"}), &w.flask_team)
            .await
            .expect(StatusCode::OK);
        t.clock().set(start + Duration::days(8) + Duration::minutes(1));
        t.run_jobs().await;
        assert_eq!(reminders(&t.delivered()).len(), 3, "no triage escalation: {:?}", reminders(&t.delivered()));
        w.finish().await;
    }
}

async fn assignee(w: &World, id: &str) -> Option<String> {
    let view = w.t.get(&format!("/api/v1/reports/{id}"), &w.org_team).await.expect(StatusCode::OK);
    view.json["team"]["assignee"]["name"].as_str().map(str::to_owned)
}

#[tokio::test]
async fn idle_reports_go_round_the_coordinator_rotation_skipping_those_away() {
    for backend in Backend::available() {
        let w = World::on(backend).await;
        let t = &w.t;
        let rotation = "/api/v1/projects/pallets/flask/rotation";
        let (before, _) = w.report("flask", &w.alice, "filed before the rotation").await;

        // Only members of the project's team may take turns; nothing is stored when refused.
        let refused = t
            .put(
                rotation,
                json!({"idle_days": 3, "coordinators": [{"email": "jinja-maintainer@pallets.example"}]}),
                &w.flask_team,
            )
            .await;
        assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", refused.text);
        let refused = t.put(rotation, json!({"idle_days": 0, "coordinators": []}), &w.flask_team).await;
        assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", refused.text);
        assert!(t.get(rotation, &w.flask_team).await.json["idle_days"].is_null());

        let body = json!({"idle_days": 3, "coordinators": [
            {"email": "lead@pallets.example"},
            {"email": "flask-maintainer@pallets.example"},
        ]});
        let set = t.put(rotation, body, &w.flask_team).await.expect(StatusCode::OK);
        assert_eq!(set.json["next"], "lead@pallets.example");
        t.clock().advance(Duration::minutes(1));
        let (after, _) = w.report("flask", &w.alice, "filed after").await;
        t.clock().advance(Duration::minutes(1));
        let (busy, _) = w.report("flask", &w.alice, "with activity").await;
        t.run_jobs().await;

        // Two days in, someone writes on one of them: its idle time starts again.
        t.clock().advance(Duration::days(2));
        t.post(&format!("/api/v1/reports/{busy}/messages"), json!({"body": "Any news?"}), &w.alice)
            .await
            .expect(StatusCode::CREATED);
        t.clock().advance(Duration::days(1) + Duration::minutes(5));
        t.run_jobs().await;
        assert_eq!(assignee(&w, &before).await.as_deref(), Some("lead"));
        assert_eq!(assignee(&w, &after).await.as_deref(), Some("flask-maintainer"));
        assert_eq!(assignee(&w, &busy).await, None, "it saw activity a day ago");

        // The lead is away now: the next turn (theirs) is skipped.
        let body = json!({"idle_days": 3, "coordinators": [
            {"email": "lead@pallets.example", "away": true},
            {"email": "flask-maintainer@pallets.example"},
        ]});
        let set = t.put(rotation, body, &w.org_team).await.expect(StatusCode::OK);
        assert_eq!(set.json["next"], "flask-maintainer@pallets.example");
        t.clock().advance(Duration::days(2));
        t.run_jobs().await;
        assert_eq!(assignee(&w, &busy).await.as_deref(), Some("flask-maintainer"));

        let audit = t.get(&format!("/api/v1/audit/events?report={before}"), &w.admin).await.expect(StatusCode::OK);
        assert!(audit.text.contains("report.auto_assigned"), "{}", audit.text);
        let assigned = t.delivered().iter().filter(|n| matches!(n, Notice::StateChanged { .. })).count();
        assert_eq!(assigned, 0, "assignment is no news for the reporter");
        w.finish().await;
    }
}

#[tokio::test]
async fn the_queue_puts_the_soonest_deadline_first() {
    let w = World::new().await;
    let t = &w.t;
    t.policy("pallets/flask", "[response]\nacknowledge = \"5d\"\n").await;
    t.policy("pallets/jinja", "[response]\nacknowledge = \"1d\"\n").await;
    w.report("jinja", &w.alice, "jinja, due in a day").await;
    // A minute later, so that "newest first" has one answer (ids do not order reports made in one instant).
    t.clock().advance(Duration::minutes(1));
    w.report("flask", &w.alice, "flask, due in five days").await;
    let titles = |reply: &embargo_testkit::Reply| -> Vec<String> {
        reply.json.as_array().unwrap().iter().map(|r| r["title"].as_str().unwrap().to_owned()).collect()
    };
    let newest = t.get("/api/v1/reports", &w.org_team).await.expect(StatusCode::OK);
    assert_eq!(titles(&newest), ["flask, due in five days", "jinja, due in a day"]);
    let by_deadline = t.get("/api/v1/reports?sort=deadline", &w.org_team).await.expect(StatusCode::OK);
    assert_eq!(titles(&by_deadline), ["jinja, due in a day", "flask, due in five days"]);
    t.get("/api/v1/reports?sort=sideways", &w.org_team).await.expect(StatusCode::BAD_REQUEST);
    let page = t.get("/reports?sort=deadline", &w.org_team).await.expect(StatusCode::OK);
    let (jinja, flask) =
        (page.text.find("jinja, due in a day").unwrap(), page.text.find("flask, due in five").unwrap());
    assert!(jinja < flask, "the page sorts as the API does");
    assert!(page.text.contains("<option value=\"deadline\" selected>"));
    w.finish().await;
}

#[tokio::test]
async fn the_team_page_sets_the_rotation_without_javascript() {
    let w = World::new().await;
    let page = w.t.get("/pallets/flask/team", &w.flask_team).await.expect(StatusCode::OK);
    assert!(page.text.contains("action=\"/pallets/flask/team/rotation\""));
    let refused =
        w.t.form(
            "/pallets/flask/team/rotation",
            &[("idle_days", "4"), ("coordinators", "nobody@example.org")],
            &w.flask_team,
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.text.contains("nobody@example.org"), "the input is kept");
    w.t.form(
        "/pallets/flask/team/rotation",
        &[("idle_days", "4"), ("coordinators", "lead@pallets.example away\nflask-maintainer@pallets.example")],
        &w.flask_team,
    )
    .await
    .expect(StatusCode::SEE_OTHER);
    let page = w.t.get("/pallets/flask/team", &w.flask_team).await.expect(StatusCode::OK);
    assert!(page.text.contains("Next: flask-maintainer"), "{}", page.text);
    assert!(page.text.contains("— away"));
    w.t.form("/pallets/flask/team/rotation", &[("idle_days", "4")], &w.alice).await.expect(StatusCode::FORBIDDEN);
    w.finish().await;
}
