//! Issue 9 ("one path per use case"): the `needs_info` state, the events of
//! the one transition path, withdrawing an advisory, and a regression test
//! for each defect the issue lists. Each runs on SQLite and PostgreSQL.

use embargo_app::{Event, Notice};
use embargo_testkit::{Auth, Backend};
use http::StatusCode;
use serde_json::json;

use crate::fixture::World;

#[tokio::test]
async fn issue_9_needs_info_asks_the_reporter_and_their_answer_moves_it_back_to_triage() {
    for backend in Backend::available() {
        let w = World::on(backend).await;
        let t = &w.t;
        let (id, token) = w.report("flask", &Auth::None, "Open redirect on login").await;
        let follow = Auth::Bearer(token);
        w.advance(&id, "triaging").await;

        // Asking says what is asked; the reason is required.
        let bare = w.transition(&id, "needs_info", &w.flask_team).await;
        assert_eq!(bare.status, StatusCode::CONFLICT, "{}", bare.text);
        assert!(bare.text.contains("needs a reason"), "{}", bare.text);
        let path = format!("/api/v1/reports/{id}/transitions");
        let ask = json!({"to": "needs_info", "reason": "Which version did you test?"});
        let asked = t.post(&path, ask, &w.flask_team).await.expect(StatusCode::OK);
        assert_eq!(asked.json["state"], "needs_info");

        // The reporter sees the question, at the top of their page, and the queue filters by the state.
        let seen = t.get(&format!("/api/v1/reports/{id}"), &follow).await.expect(StatusCode::OK);
        assert_eq!(seen.json["state"], "needs_info");
        let Auth::Bearer(link) = &follow else { unreachable!() };
        let page = t.get(&format!("/reports/{id}"), &Auth::Link(link.clone())).await.expect(StatusCode::OK).text;
        let asks = page.find("The security team asks you for more information").expect("the question is said");
        assert!(page[asks..].find("Which version did you test?").unwrap() < page[asks..].find("The report").unwrap());
        let waiting = t.get("/api/v1/reports?state=needs_info", &w.flask_team).await.expect(StatusCode::OK);
        assert_eq!(waiting.json.as_array().unwrap().len(), 1);
        t.run_jobs().await;
        let told = w.t.delivered();
        assert!(told.iter().any(|n| matches!(n, Notice::StateChanged { to, .. } if to.as_str() == "needs_info")));

        // A team message does not move it; the reporter's answer does, by itself.
        let messages = format!("/api/v1/reports/{id}/messages");
        t.post(&messages, json!({"body": "Any news?"}), &w.flask_team).await.expect(StatusCode::CREATED);
        let still = t.get(&format!("/api/v1/reports/{id}"), &w.flask_team).await.expect(StatusCode::OK);
        assert_eq!(still.json["state"], "needs_info");
        t.post(&messages, json!({"body": "3.1.0 on Linux."}), &follow).await.expect(StatusCode::CREATED);
        let back = t.get(&format!("/api/v1/reports/{id}"), &w.flask_team).await.expect(StatusCode::OK);
        assert_eq!(back.json["state"], "triaging");
        let states: Vec<&str> =
            back.json["history"].as_array().unwrap().iter().map(|c| c["to"].as_str().unwrap()).collect();
        assert_eq!(states, ["new", "acknowledged", "triaging", "needs_info", "triaging"]);
        w.finish().await;
    }
}

#[tokio::test]
async fn issue_9_publishing_emits_the_disclosure_and_the_publication_and_withdrawal_is_one_path() {
    for backend in Backend::available() {
        let w = World::on(backend).await;
        let t = &w.t;
        let (id, advisory) = w.drafted("Cookie kept after logout").await;
        w.transition(&id, "fixing", &w.flask_team).await.expect(StatusCode::OK);
        w.transition(&id, "fixed", &w.flask_team).await.expect(StatusCode::OK);
        t.run_jobs().await;

        // A draft cannot be withdrawn; an outsider cannot even see it.
        let withdraw = format!("/api/v1/advisories/{advisory}/withdraw");
        let early = t.post(&withdraw, json!({}), &w.flask_team).await;
        assert_eq!(early.status, StatusCode::CONFLICT, "{}", early.text);
        assert_eq!(early.json["error"], "advisory_not_published");
        t.post(&withdraw, json!({}), &w.jinja_team).await.expect(StatusCode::NOT_FOUND);

        t.post(&format!("/api/v1/advisories/{advisory}/publish"), json!({}), &w.flask_team)
            .await
            .expect(StatusCode::OK);
        let events: Vec<Event> = t.app.pending_events().await.unwrap();
        assert!(
            events.iter().any(|e| matches!(e, Event::StateChanged { to, .. } if to.as_str() == "disclosed")),
            "the report's disclosure passes the transition path and emits its event: {events:?}"
        );
        assert!(events.iter().any(|e| matches!(e, Event::AdvisoryPublished { .. })), "{events:?}");
        t.run_jobs().await;

        let withdrawn = t.post(&withdraw, json!({}), &w.flask_team).await.expect(StatusCode::OK);
        assert_eq!(withdrawn.json["state"], "withdrawn");
        let public = t.get(&format!("/api/v1/advisories/{advisory}"), &Auth::None).await.expect(StatusCode::OK);
        assert_eq!(public.json["state"], "withdrawn");
        let again = t.post(&withdraw, json!({}), &w.flask_team).await;
        assert_eq!(again.json["error"], "advisory_withdrawn");
        let events: Vec<Event> = t.app.pending_events().await.unwrap();
        assert!(events.iter().any(|e| matches!(e, Event::AdvisoryWithdrawn { .. })), "{events:?}");
        w.finish().await;
    }
}

#[tokio::test]
async fn issue_9_the_org_filter_is_applied_before_paging_so_pages_are_full() {
    for backend in Backend::available() {
        let w = World::on(backend).await;
        let t = &w.t;
        t.organisation("acme").await;
        t.project("acme", "rocket").await;
        t.member("acme", "lead@pallets.example").await;
        // Older pallets reports, then newer acme ones: the newest page is all acme.
        for n in 0..3 {
            w.report("flask", &Auth::None, &format!("pallets {n}")).await;
            t.clock().advance(time::Duration::minutes(1));
        }
        for n in 0..3 {
            let body = json!({"title": format!("acme {n}"), "body": "details"});
            t.post("/api/v1/projects/acme/rocket/reports", body, &Auth::None).await.expect(StatusCode::CREATED);
            t.clock().advance(time::Duration::minutes(1));
        }
        let first = t.get("/api/v1/reports?org=pallets&limit=2", &w.org_team).await.expect(StatusCode::OK);
        let titles: Vec<&str> = first.json.as_array().unwrap().iter().map(|r| r["title"].as_str().unwrap()).collect();
        assert_eq!(titles, ["pallets 2", "pallets 1"]);
        let second = t.get("/api/v1/reports?org=pallets&limit=2&offset=2", &w.org_team).await.expect(StatusCode::OK);
        assert_eq!(second.json.as_array().unwrap().len(), 1);
        let unknown = t.get("/api/v1/reports?org=nobody", &w.org_team).await;
        assert_eq!(unknown.status, StatusCode::NOT_FOUND);
        w.finish().await;
    }
}

#[tokio::test]
async fn issue_9_the_assignee_list_offers_the_project_team_and_saving_keeps_the_assignee() {
    for backend in Backend::available() {
        let w = World::on(backend).await;
        let t = &w.t;
        let (id, _) = w.report("flask", &Auth::None, "XSS in the debugger").await;
        let flask = t.get("/api/v1/session", &w.flask_team).await.expect(StatusCode::OK);
        let flask_id = flask.json["user"]["id"].as_str().unwrap().to_owned();
        t.patch(&format!("/api/v1/reports/{id}"), json!({"assignee": flask_id}), &w.flask_team)
            .await
            .expect(StatusCode::OK);

        // The organisation's lead sees both teams' people, the current assignee chosen.
        let page = t.get(&format!("/reports/{id}"), &w.org_team).await.expect(StatusCode::OK);
        assert!(
            page.text.contains(&format!(r#"<option value="{flask_id}" selected>flask-maintainer</option>"#)),
            "{}",
            page.text
        );
        assert!(page.text.contains(">lead</option>"), "the lead can assign themself");
        assert!(!page.text.contains("jinja-maintainer"), "no one from an unrelated team");

        // Saving the assessment as shown keeps the assignee set by someone else.
        let form = [
            ("assignee", flask_id.as_str()),
            ("cvss_v3", ""),
            ("cvss_v4", ""),
            ("cwes", ""),
            ("affected_versions", ""),
            ("fix_lines", ""),
        ];
        let saved = t.form(&format!("/reports/{id}/team"), &form, &w.org_team).await;
        assert!(saved.status.is_redirection(), "{} {}", saved.status, saved.text);
        let view = t.get(&format!("/api/v1/reports/{id}"), &w.org_team).await.expect(StatusCode::OK);
        assert_eq!(view.json["team"]["assignee"]["id"], flask_id.as_str());
        w.finish().await;
    }
}

#[tokio::test]
async fn issue_9_the_cve_pool_is_offered_only_in_id_pool_mode() {
    let w = World::new().await;
    let t = &w.t;
    let (report, advisory) = w.drafted("Path traversal in send_file").await;
    let line = json!({"status": "bugfix"});
    t.put("/api/v1/projects/pallets/flask/release-lines/3.1", line, &w.flask_team).await.expect(StatusCode::OK);
    let affected = json!({"affected_versions": ["3.1"]});
    t.patch(&format!("/api/v1/reports/{report}"), affected, &w.flask_team).await.expect(StatusCode::OK);
    let page = t.get(&format!("/advisories/{advisory}/edit"), &w.flask_team).await.expect(StatusCode::OK);
    assert!(!page.text.contains("Take a CVE id from the pool"), "the default CNA mode is none");
    t.policy("pallets", "[advisories]\ncna = \"id-pool\"\ncve_pool = [\"CVE-2026-10001\"]\n").await;
    let page = t.get(&format!("/advisories/{advisory}/edit"), &w.flask_team).await.expect(StatusCode::OK);
    assert!(page.text.contains("Take a CVE id from the pool"), "{}", page.text);
    w.finish().await;
}

#[tokio::test]
async fn issue_9_saving_a_release_line_again_keeps_its_dates() {
    for backend in Backend::available() {
        let w = World::on(backend).await;
        let t = &w.t;
        let line = "/api/v1/projects/pallets/flask/release-lines/3.1";
        let first = json!({"status": "bugfix", "released_on": "2026-01-15", "end_of_life_on": "2027-01-15"});
        t.put(line, first, &w.flask_team).await.expect(StatusCode::OK);
        let again = t.put(line, json!({"status": "security"}), &w.flask_team).await.expect(StatusCode::OK);
        assert_eq!(again.json["status"], "security");
        assert_eq!(again.json["released_on"], "2026-01-15");
        assert_eq!(again.json["end_of_life_on"], "2027-01-15");
        let bad = t.put(line, json!({"status": "security", "end_of_life_on": "2025-01-01"}), &w.flask_team).await;
        assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", bad.text);
        let lines = t.get("/api/v1/projects/pallets/flask/release-lines", &Auth::None).await.expect(StatusCode::OK);
        assert_eq!(lines.json[0]["end_of_life_on"], "2027-01-15", "a refused save changes nothing");
        w.finish().await;
    }
}

#[tokio::test]
async fn issue_9_an_unanswered_request_for_information_is_closed_after_a_reminder_when_the_policy_says_so() {
    for backend in Backend::available() {
        let w = World::on(backend).await;
        let t = &w.t;
        t.policy("pallets", "[response]\nclose_unanswered = \"8d\"\n").await;
        let (answered, answered_token) = w.report("flask", &Auth::None, "Answered in time").await;
        let (silent, silent_token) = w.report("flask", &Auth::None, "Never answered").await;
        for id in [&answered, &silent] {
            w.advance(id, "triaging").await;
            let ask = json!({"to": "needs_info", "reason": "Which version?"});
            t.post(&format!("/api/v1/reports/{id}/transitions"), ask, &w.flask_team).await.expect(StatusCode::OK);
        }
        t.run_jobs().await;
        t.post(
            &format!("/api/v1/reports/{answered}/messages"),
            json!({"body": "3.1.0"}),
            &Auth::Bearer(answered_token),
        )
        .await
        .expect(StatusCode::CREATED);

        // After six days (three quarters of eight) the silent reporter is reminded, on the report itself.
        t.clock().advance(time::Duration::days(6) + time::Duration::minutes(1));
        t.run_jobs().await;
        let silent_follow = Auth::Bearer(silent_token);
        let view = t.get(&format!("/api/v1/reports/{silent}"), &silent_follow).await.expect(StatusCode::OK);
        assert_eq!(view.json["state"], "needs_info");
        let last = view.json["messages"].as_array().unwrap().last().unwrap()["body"].as_str().unwrap().to_owned();
        assert!(last.contains("will be closed on"), "{last}");

        // After eight days the silent report is closed, telling the reporter why; the answered one is untouched.
        t.clock().advance(time::Duration::days(2));
        t.run_jobs().await;
        let closed = t.get(&format!("/api/v1/reports/{silent}"), &silent_follow).await.expect(StatusCode::OK);
        assert_eq!(closed.json["state"], "withdrawn");
        let reason = closed.json["history"].as_array().unwrap().last().unwrap()["reason"].as_str().unwrap().to_owned();
        assert!(reason.contains("Closed after 8 days"), "{reason}");
        let kept = t.get(&format!("/api/v1/reports/{answered}"), &w.flask_team).await.expect(StatusCode::OK);
        assert_eq!(kept.json["state"], "triaging");
        let told = t.delivered();
        assert!(told.iter().any(|n| matches!(n, Notice::StateChanged { to, .. } if to.as_str() == "withdrawn")));
        w.finish().await;
    }
}

#[tokio::test]
async fn issue_16_the_decline_reason_is_shown_to_the_reporter_at_the_top() {
    let w = World::new().await;
    let t = &w.t;
    let (id, token) = w.report("flask", &Auth::None, "Debug mode leaks paths").await;
    w.advance(&id, "triaging").await;
    let decline = json!({"to": "out_of_scope", "reason": "Debug mode is documented as unsafe for production."});
    t.post(&format!("/api/v1/reports/{id}/transitions"), decline, &w.flask_team).await.expect(StatusCode::OK);
    let page = t.get(&format!("/reports/{id}"), &Auth::Link(token)).await.expect(StatusCode::OK).text;
    let top = page.find("Closed: out of scope").expect("the decision is said at the top");
    let reason = page.find("Debug mode is documented as unsafe for production.").unwrap();
    let body = page.find(r#"<h2 id="report">"#).unwrap();
    assert!(top < reason && reason < body, "the reason comes before the report's text");
    w.finish().await;
}

#[tokio::test]
async fn issue_16_the_queue_shows_open_reports_with_closed_ones_one_click_away() {
    let w = World::new().await;
    let t = &w.t;
    w.report("flask", &Auth::None, "Still open report").await;
    let (closed, _) = w.report("flask", &Auth::None, "Already declined report").await;
    w.advance(&closed, "triaging").await;
    let decline = json!({"to": "out_of_scope", "reason": "Not ours."});
    t.post(&format!("/api/v1/reports/{closed}/transitions"), decline, &w.flask_team).await.expect(StatusCode::OK);
    let queue = t.get("/reports", &w.flask_team).await.expect(StatusCode::OK).text;
    assert!(queue.contains("Still open report") && !queue.contains("Already declined report"), "{queue}");
    assert!(queue.contains(r#"href="/reports?state=any""#), "closed reports are one click away");
    let every = t.get("/reports?state=any", &w.flask_team).await.expect(StatusCode::OK).text;
    assert!(every.contains("Still open report") && every.contains("Already declined report"));
    let declined = t.get("/reports?state=out_of_scope", &w.flask_team).await.expect(StatusCode::OK).text;
    assert!(declined.contains("Already declined report") && !declined.contains("Still open report"));
    let api = t.get("/api/v1/reports?state=open", &w.flask_team).await.expect(StatusCode::OK);
    assert_eq!(api.json.as_array().unwrap().len(), 1, "the API asks for open reports with state=open");
    w.finish().await;
}

#[tokio::test]
async fn issue_9_slugs_are_parsed_where_they_arrive_and_a_malformed_one_names_nothing() {
    for backend in Backend::available() {
        let w = World::on(backend).await;
        let t = &w.t;
        // Well formed: the pages and the API find the organisation and project.
        t.get("/pallets/flask/report", &Auth::None).await.expect(StatusCode::OK);
        t.get("/api/v1/projects/pallets/flask/policy", &Auth::None).await.expect(StatusCode::OK);
        // Malformed (upper case, a dot, too long): "not found", as a page and as the API's error body,
        // never a 400 that tells a slug's rules apart from an unknown name, and never a 500.
        let long = "a".repeat(41);
        for bad in ["Pallets", "pal.lets", long.as_str()] {
            let page = t.get(&format!("/{bad}/flask/report"), &Auth::None).await.expect(StatusCode::NOT_FOUND);
            assert!(page.text.contains("Page not found"), "{}", page.text);
            let api = t.get(&format!("/api/v1/projects/{bad}/flask/policy"), &Auth::None).await;
            assert_eq!(api.status, StatusCode::NOT_FOUND, "{bad}: {}", api.text);
            assert_eq!(api.json["error"], "not_found", "{}", api.text);
            let team = t.get(&format!("/{bad}/team"), &w.flask_team).await;
            assert_eq!(team.status, StatusCode::NOT_FOUND, "{bad}: {}", team.text);
        }
        // In a query string a malformed slug is the client's mistake, said plainly.
        let listed = t.get("/api/v1/reports?org=Pallets", &w.flask_team).await;
        assert_eq!(listed.status, StatusCode::BAD_REQUEST, "{}", listed.text);
        assert!(listed.text.contains("slug"), "{}", listed.text);
        w.finish().await;
    }
}
