//! Cyber Resilience Act reporting clocks (issue 11, item 4): started by the team with the time
//! the organisation became aware, reminded and escalated like the team's other deadlines,
//! each stage's filing and ENISA reference recorded, each stage's content produced for the
//! team only, and the organisation's role in its policy deciding whether clocks apply.
//! The fake clock drives every timer; nothing sleeps.

use embargo_app::{Deadline, Notice};
use embargo_core::permission::Actor;
use embargo_testkit::{Auth, Backend};
use http::{Method, StatusCode, header};
use serde_json::{Value, json};
use time::format_description::well_known::Rfc3339;
use time::{Duration, OffsetDateTime, UtcOffset};

use crate::fixture::World;

fn cra_deadlines(notices: &[Notice]) -> Vec<(Deadline, bool)> {
    notices
        .iter()
        .filter_map(|n| match n {
            Notice::DeadlineReminder { deadline, .. } => Some((*deadline, false)),
            Notice::DeadlinePassed { deadline, .. } => Some((*deadline, true)),
            _ => None,
        })
        .filter(|(d, _)| matches!(d, Deadline::CraEarlyWarning | Deadline::CraNotification | Deadline::CraFinalReport))
        .collect()
}

/// `at` as RFC 3339 in UTC+02:00, as a team in Berlin in summer would give it.
fn berlin(at: OffsetDateTime) -> String {
    at.to_offset(UtcOffset::from_hms(2, 0, 0).unwrap()).format(&Rfc3339).unwrap()
}

fn utc(value: &Value) -> OffsetDateTime {
    OffsetDateTime::parse(value.as_str().unwrap(), &Rfc3339).unwrap()
}

fn stage<'a>(cra: &'a Value, name: &str) -> &'a Value {
    cra["stages"].as_array().unwrap().iter().find(|s| s["stage"] == name).unwrap()
}

#[tokio::test]
async fn cra_clocks_remind_escalate_and_record_each_filing_issue_11() {
    for backend in Backend::available() {
        let w = World::on(backend).await;
        let t = &w.t;
        t.policy("pallets", "[cra]\nrole = \"manufacturer\"\n").await;
        let (id, _) = w.report("flask", &w.alice, "Exploited template injection").await;
        t.run_jobs().await;
        let aware = t.app.now() - Duration::hours(2);
        let path = format!("/api/v1/reports/{id}/cra");
        let started = t
            .post(
                &path,
                json!({
                    "kind": "exploited-vulnerability",
                    "aware_at": berlin(aware),
                    "member_states": ["de", "EL", "DE"],
                    "sensitivity": "amber"
                }),
                &w.flask_team,
            )
            .await
            .expect(StatusCode::CREATED);
        let cra = &started.json;
        assert_eq!(cra["role"], "manufacturer");
        assert_eq!(utc(&cra["aware_at_utc"]), aware.replace_nanosecond(0).unwrap());
        assert!(cra["aware_at"].as_str().unwrap().ends_with("+02:00"), "kept in the offset given: {cra}");
        let early = stage(cra, "early-warning");
        assert_eq!(utc(&early["due_utc"]), aware.replace_nanosecond(0).unwrap() + Duration::hours(24));
        let shown = early["due_shown"].as_str().unwrap();
        assert!(shown.contains("(UTC+02:00)") && shown.ends_with(" UTC"), "both zones: {shown}");
        assert_eq!(
            utc(&stage(cra, "notification")["due_utc"]),
            aware.replace_nanosecond(0).unwrap() + Duration::hours(72)
        );
        assert_eq!(stage(cra, "final-report")["waits_for"], "fix");
        assert_eq!(cra["details"]["member_states"], json!(["DE", "GR"]));
        assert_eq!(cra["details"]["sensitivity"], "amber");

        // Once only.
        let again = json!({"kind": "severe-incident", "aware_at": berlin(aware)});
        t.post(&path, again, &w.flask_team).await.expect(StatusCode::CONFLICT);

        // Three quarters of 24 hours after awareness: the team is reminded; nothing escalates yet.
        t.clock().advance(Duration::hours(16) + Duration::minutes(1));
        t.run_jobs().await;
        assert_eq!(cra_deadlines(&t.delivered()), vec![(Deadline::CraEarlyWarning, false)]);

        // The early warning is filed: its escalation never comes.
        let filed = t
            .post(&format!("{path}/stages/early-warning"), json!({"reference": "ENISA-EW-0042"}), &w.flask_team)
            .await
            .expect(StatusCode::OK);
        assert_eq!(stage(&filed.json, "early-warning")["reference"], "ENISA-EW-0042");
        assert_eq!(stage(&filed.json, "early-warning")["overdue"], false);
        t.clock().advance(Duration::hours(7));
        t.run_jobs().await;
        assert_eq!(cra_deadlines(&t.delivered()), vec![(Deadline::CraEarlyWarning, false)]);

        // The notification is not filed: reminded at 54 hours, escalated at 72.
        t.clock().set(aware + Duration::hours(72) + Duration::minutes(1));
        t.run_jobs().await;
        // Both fell due while the runner waited: they come in either order.
        let mut told = cra_deadlines(&t.delivered());
        told.sort_by_key(|(d, passed)| (format!("{d:?}"), *passed));
        assert_eq!(
            told,
            vec![
                (Deadline::CraEarlyWarning, false),
                (Deadline::CraNotification, false),
                (Deadline::CraNotification, true)
            ]
        );
        let late = t.get(&path, &w.flask_team).await.expect(StatusCode::OK);
        assert_eq!(stage(&late.json, "notification")["overdue"], true);
        let filed_at = berlin(aware + Duration::hours(71));
        t.post(
            &format!("{path}/stages/notification"),
            json!({"reference": "ENISA-N-0042", "filed_at": filed_at}),
            &w.flask_team,
        )
        .await
        .expect(StatusCode::OK);

        // The fix: the final report falls due 14 days after the report reached fixed.
        w.advance(&id, "fixed").await;
        let fixed_at = t.app.now();
        t.run_jobs().await;
        let fixed = t.get(&path, &w.flask_team).await.expect(StatusCode::OK);
        assert_eq!(fixed.json["fix_source"], "report_fixed");
        assert_eq!(
            utc(&stage(&fixed.json, "final-report")["due_utc"]),
            fixed_at.replace_nanosecond(0).unwrap() + Duration::days(14)
        );
        t.clock().set(fixed_at + Duration::days(14) + Duration::minutes(1));
        t.run_jobs().await;
        let mut told = cra_deadlines(&t.delivered())[3..].to_vec();
        told.sort_by_key(|(_, passed)| *passed);
        assert_eq!(told, [(Deadline::CraFinalReport, false), (Deadline::CraFinalReport, true)]);

        // Every change is audited, with names and references only.
        // (Two weeks on, the administrator signs in again.)
        let admin = t.sign_in("admin@example.org").await;
        let events = t.get(&format!("/api/v1/audit/events?report={id}"), &admin).await.expect(StatusCode::OK);
        let actions: Vec<&str> =
            events.json.as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap()).collect();
        for action in ["report.cra_started", "report.cra_filed"] {
            assert!(actions.contains(&action), "{action} in {actions:?}");
        }
        w.finish().await;
    }
}

#[tokio::test]
async fn each_stage_content_carries_article_14_fields_for_the_team_only_issue_11() {
    for backend in Backend::available() {
        let w = World::on(backend).await;
        let t = &w.t;
        t.policy("pallets", "[cra]\nrole = \"manufacturer\"\n").await;
        let (id, _) = w.report("flask", &w.alice, "Exploited template injection").await;
        let path = format!("/api/v1/reports/{id}/cra");
        let body = json!({
            "kind": "exploited-vulnerability",
            "aware_at": berlin(t.app.now() - Duration::hours(1)),
            "member_states": ["FR", "IE"],
            "sensitivity": "amber-strict",
            "exploit": "CRA-MARKER-EXPLOIT remote code execution through a crafted template",
            "measures_taken": "CRA-MARKER-MEASURES patched in 3.1.1",
            "measures_for_users": "Upgrade to 3.1.1"
        });
        t.post(&path, body, &w.flask_team).await.expect(StatusCode::CREATED);
        let content = t.get(&format!("{path}/stages/notification"), &w.flask_team).await.expect(StatusCode::OK);
        let c = &content.json["content"];
        assert_eq!(c["article"], "Article 14(2)(b)");
        assert_eq!(c["product"]["name"], "flask");
        assert_eq!(c["member_states"], json!([{"code": "FR", "name": "France"}, {"code": "IE", "name": "Ireland"}]));
        assert_eq!(c["sensitivity"], "TLP:AMBER+STRICT");
        assert_eq!(c["measures_for_users"], "Upgrade to 3.1.1");
        assert!(c["nature_of_exploit"].as_str().unwrap().contains("CRA-MARKER-EXPLOIT"));
        let text = t
            .call(Method::GET, &format!("{path}/stages/notification?format=text"), None, &w.flask_team)
            .await
            .expect(StatusCode::OK);
        assert!(text.headers[header::CONTENT_TYPE].to_str().unwrap().starts_with("text/plain"));
        assert!(
            text.text.contains("Member states where the product is available: France (FR), Ireland (IE)"),
            "{}",
            text.text
        );
        let final_report = t.get(&format!("{path}/stages/final-report"), &w.flask_team).await.expect(StatusCode::OK);
        for key in ["severity_and_impact", "malicious_actor", "security_update"] {
            assert!(final_report.json["content"].get(key).is_some(), "{key}");
        }
        t.get(&format!("{path}/stages/postmortem"), &w.flask_team).await.expect(StatusCode::UNPROCESSABLE_ENTITY);

        // Nobody but the team reads any of it.
        let collaborator = w.collaborator(&id).await;
        for (who, auth) in [("reporter", &w.alice), ("other team", &w.jinja_team), ("invitee", &collaborator)] {
            for url in [path.clone(), format!("{path}/stages/notification")] {
                let reply = t.get(&url, auth).await;
                assert!(
                    matches!(reply.status, StatusCode::NOT_FOUND | StatusCode::FORBIDDEN),
                    "{who} {url}: {}",
                    reply.status
                );
                assert!(!reply.text.contains("CRA-MARKER"), "{who} {url}");
            }
            let report = t.get(&format!("/api/v1/reports/{id}"), auth).await;
            assert!(!report.text.contains("CRA-MARKER"), "{who}");
            let page = t.get(&format!("/reports/{id}"), auth).await;
            assert!(!page.text.contains("CRA-MARKER"), "{who} page");
        }
        t.get(&path, &Auth::None).await.expect(StatusCode::NOT_FOUND);
        w.finish().await;
    }
}

#[tokio::test]
async fn cra_details_never_reach_webhooks_or_mail_issue_11() {
    let w = World::new().await;
    let t = &w.t;
    t.policy("pallets", "[cra]\nrole = \"manufacturer\"\n").await;
    let events =
        json!(["report.submitted", "report.state_changed", "report.message_posted", "report.assignee_changed"]);
    t.post("/api/v1/orgs/pallets/webhooks", json!({"url": "http://127.0.0.1:9/hook", "events": events}), &w.org_team)
        .await
        .expect(StatusCode::CREATED);
    let (id, _) = w.report("flask", &w.alice, "Exploited template injection").await;
    let path = format!("/api/v1/reports/{id}/cra");
    let marker = "CRA-MARKER-PRIVATE";
    let body = json!({
        "kind": "severe-incident",
        "aware_at": berlin(t.app.now() - Duration::hours(1)),
        "exploit": marker, "measures_taken": marker, "measures_for_users": marker, "malicious_actor": marker,
        "impact": marker, "security_update": marker, "root_cause": marker
    });
    t.post(&path, body, &w.flask_team).await.expect(StatusCode::CREATED);
    t.post(&format!("{path}/stages/early-warning"), json!({"reference": "ENISA-1"}), &w.flask_team)
        .await
        .expect(StatusCode::OK);
    w.advance(&id, "fixed").await;
    t.clock().advance(Duration::hours(80));
    t.run_jobs().await;
    let hooks = t.get("/api/v1/orgs/pallets/webhooks", &w.org_team).await.expect(StatusCode::OK);
    assert!(!hooks.text.contains(marker), "webhook bodies: {}", hooks.text);
    assert!(!hooks.text.contains("cra"), "no CRA event goes out: {}", hooks.text);
    for notice in t.delivered() {
        if let Some(mail) = t.app.notice_mail(&notice).await.unwrap() {
            assert!(!format!("{:?}", mail.news).contains(marker), "{notice:?}");
            assert!(!format!("{:?}", mail.details.expose()).contains(marker), "{notice:?}");
        }
    }
    w.finish().await;
}

#[tokio::test]
async fn the_organisations_role_decides_which_clocks_apply_issue_11() {
    for backend in Backend::available() {
        let w = World::on(backend).await;
        let t = &w.t;
        let (id, _) = w.report("flask", &w.alice, "Incident at the build farm").await;
        let path = format!("/api/v1/reports/{id}/cra");
        let aware = OffsetDateTime::parse("2026-03-30T10:00:00Z", &Rfc3339).unwrap();
        let start = json!({"kind": "severe-incident", "aware_at": berlin(aware)});

        // No role stated: the Act's clocks do not apply, and the answer says what to set.
        let refused = t.post(&path, start.clone(), &w.flask_team).await.expect(StatusCode::UNPROCESSABLE_ENTITY);
        assert!(refused.text.contains("cra.role"), "{}", refused.text);
        // The role is the organisation's: a project cannot state one.
        let target = embargo_app::PolicyTarget::parse("pallets/flask").unwrap();
        let error =
            t.app.apply_policy(&Actor::Operator, &target, "[cra]\nrole = \"manufacturer\"\n").await.unwrap_err();
        assert!(error.to_string().contains("cra.role"), "{error}");
        let target = embargo_app::PolicyTarget::parse("pallets").unwrap();
        let error = t.app.apply_policy(&Actor::Operator, &target, "[cra]\nrole = \"vendor\"\n").await.unwrap_err();
        assert!(error.to_string().contains("manufacturer or open-source-steward"), "{error}");

        // Bad input changes nothing.
        t.policy("pallets", "[cra]\nrole = \"open-source-steward\"\n").await;
        for bad in [
            json!({"kind": "zero-day", "aware_at": berlin(aware)}),
            json!({"kind": "severe-incident", "aware_at": "yesterday"}),
            json!({"kind": "severe-incident", "aware_at": berlin(t.app.now() + Duration::hours(1))}),
            json!({"kind": "severe-incident", "aware_at": berlin(aware), "member_states": ["UK"]}),
            json!({"kind": "severe-incident", "aware_at": berlin(aware), "sensitivity": "secret"}),
        ] {
            t.post(&path, bad, &w.flask_team).await.expect(StatusCode::UNPROCESSABLE_ENTITY);
        }
        t.get(&path, &w.flask_team).await.expect(StatusCode::NOT_FOUND);

        // A steward reports incidents too; the final report counts a month from the notification's filing.
        let started = t.post(&path, start, &w.flask_team).await.expect(StatusCode::CREATED);
        assert_eq!(started.json["role"], "open-source-steward");
        assert_eq!(stage(&started.json, "final-report")["waits_for"], "notification");
        let filed_at = OffsetDateTime::parse("2026-03-31T10:00:00Z", &Rfc3339).unwrap();
        let filed = t
            .post(
                &format!("{path}/stages/notification"),
                json!({"reference": "N-7", "filed_at": berlin(filed_at)}),
                &w.flask_team,
            )
            .await
            .expect(StatusCode::OK);
        // 31 March plus one month is 30 April (the month's last day), long past: overdue at once.
        let final_report = stage(&filed.json, "final-report");
        assert_eq!(utc(&final_report["due_utc"]), OffsetDateTime::parse("2026-04-30T10:00:00Z", &Rfc3339).unwrap());
        assert_eq!(final_report["overdue"], true);
        let content =
            t.get(&format!("{path}/stages/early-warning?format=text"), &w.flask_team).await.expect(StatusCode::OK);
        assert!(content.text.contains("Article 24(3)"), "{}", content.text);
        assert!(content.text.contains("Article 14(4)(a)"), "{}", content.text);
        // A reference is needed; a filing before awareness is refused.
        t.post(&format!("{path}/stages/final-report"), json!({"reference": " "}), &w.flask_team)
            .await
            .expect(StatusCode::UNPROCESSABLE_ENTITY);
        t.post(
            &format!("{path}/stages/final-report"),
            json!({"reference": "F-1", "filed_at": berlin(aware - Duration::hours(1))}),
            &w.flask_team,
        )
        .await
        .expect(StatusCode::UNPROCESSABLE_ENTITY);
        let after = t.get(&path, &w.flask_team).await.expect(StatusCode::OK);
        assert_eq!(stage(&after.json, "final-report")["reference"], Value::Null);
        w.finish().await;
    }
}

#[tokio::test]
async fn the_report_page_starts_the_clocks_and_records_filings_without_script_issue_11() {
    let w = World::new().await;
    let t = &w.t;
    let (id, _) = w.report("flask", &w.alice, "Exploited template injection").await;
    let page = format!("/reports/{id}");
    let aware = berlin(t.app.now() - Duration::hours(30));

    // No role yet: the form comes back saying which policy field to set, and nothing starts.
    let refused = t
        .form(&format!("{page}/cra"), &[("kind", "exploited-vulnerability"), ("aware_at", &aware)], &w.flask_team)
        .await;
    let refused = refused.expect(StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.text.contains("cra.role"), "{}", refused.text);
    t.policy("pallets", "[cra]\nrole = \"manufacturer\"\n").await;
    t.form(&format!("{page}/cra"), &[("kind", "exploited-vulnerability"), ("aware_at", &aware)], &w.flask_team)
        .await
        .expect(StatusCode::SEE_OTHER);
    let shown = t.get(&page, &w.flask_team).await.expect(StatusCode::OK);
    assert!(shown.text.contains("Cyber Resilience Act reporting"));
    assert!(shown.text.contains("Overdue"), "the early warning was due six hours ago");
    assert!(shown.text.contains("(UTC+02:00)"), "in the offset given, and UTC");

    t.form(
        &format!("{page}/cra/stages/early-warning"),
        &[("reference", "ENISA-EW-7"), ("filed_at", "")],
        &w.flask_team,
    )
    .await
    .expect(StatusCode::SEE_OTHER);
    let details = [("member_states", "DE, AT"), ("sensitivity", "green"), ("exploit", "CRA-MARKER-PAGE exploit")];
    t.form(&format!("{page}/cra/details"), &details, &w.flask_team).await.expect(StatusCode::SEE_OTHER);
    let bad = t.form(&format!("{page}/cra/details"), &[("member_states", "XX")], &w.flask_team).await;
    bad.expect(StatusCode::UNPROCESSABLE_ENTITY);
    let shown = t.get(&page, &w.flask_team).await.expect(StatusCode::OK);
    assert!(shown.text.contains("ENISA-EW-7"));
    assert!(shown.text.contains("DE, AT"), "kept after the refused form");
    let queue = t.get("/reports", &w.flask_team).await.expect(StatusCode::OK);
    assert!(queue.text.contains("CRA Notification: "), "the queue shows the next stage to file");
    let reporter = t.get(&page, &w.alice).await.expect(StatusCode::OK);
    assert!(!reporter.text.contains("Cyber Resilience Act") && !reporter.text.contains("CRA-MARKER"));
    w.finish().await;
}

#[tokio::test]
async fn the_policy_editor_takes_and_checks_the_organisations_cra_role_issue_11() {
    let w = World::new().await;
    let t = &w.t;
    let org = "/pallets/policy/edit";
    let bad = t.form(org, &[("policy", "[cra]\nrole = \"vendor\"\n"), ("action", "save")], &w.org_team).await;
    let bad = bad.expect(StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.text.contains("line 2") && bad.text.contains("manufacturer or open-source-steward"), "{}", bad.text);
    let project = "/pallets/flask/policy/edit";
    let refused =
        t.form(project, &[("policy", "[cra]\nrole = \"manufacturer\"\n"), ("action", "save")], &w.org_team).await;
    let refused = refused.expect(StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.text.contains("cra.role"), "{}", refused.text);
    t.form(org, &[("policy", "[cra]\nrole = \"open-source-steward\"\n"), ("action", "save")], &w.org_team)
        .await
        .expect(StatusCode::SEE_OTHER);
    let policy = t.get("/api/v1/projects/pallets/flask/policy", &Auth::None).await.expect(StatusCode::OK).json;
    assert_eq!(policy["sources"]["cra.role"], "organisation", "{policy}");
    let edit = t.get(org, &w.org_team).await.expect(StatusCode::OK).text;
    assert!(edit.contains("open-source-steward"), "the editor shows what the organisation says");
    w.finish().await;
}
