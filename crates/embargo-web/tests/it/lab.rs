//! The evidence lab on the pages: the team's matrix and grounding list on the
//! report page, the reporter's one sentence, the queue's lab filters, and
//! (issue 17) running the PoC again and accepting the matrix, from the page
//! and the API.
//! Results are recorded through the worker's own use cases (as the operator);
//! the sandbox itself is tested in `embargo-lab`.

use embargo_app::{LabRecord, LabRequest};
use embargo_core::id::ReportId;
use embargo_core::lab::{Grounding, LabResult};
use embargo_core::permission::Actor;
use embargo_core::private::Private;
use embargo_testkit::{Auth, Backend};
use http::StatusCode;
use serde_json::json;

use crate::fixture::World;

const POLICY: &str = "[lab]\nrepository = \"https://example.org/flask.git\"\n\n\
                      [[lab.lines]]\nname = \"3.1\"\nref = \"3.1.0-REF-MARKER\"\n\n\
                      [[lab.lines]]\nname = \"3.0\"\nref = \"3.0.3\"\n";

async fn work(w: &World, result: LabResult, grounding: bool) {
    let task = w.t.app.claim_lab_run(&Actor::Operator, "w", time::Duration::minutes(5)).await.unwrap().unwrap();
    let found = LabRecord {
        result,
        reason: "exit code 1".into(),
        output: Private::new("OUTPUT-MARKER".into()),
        commit: Some("c".repeat(40)),
        grounding: (grounding && task.names.is_some()).then(|| {
            let names = ["invented_NAME_MARKER", "also_invented", "not_there_either"];
            (task.git_ref.clone(), names.map(|n| Grounding { name: n.into(), found: false, location: None }).to_vec())
        }),
    };
    assert!(w.t.app.record_lab_result(&Actor::Operator, "w", task.id, task.report_id, found).await.unwrap());
}

#[tokio::test]
async fn the_team_sees_the_matrix_and_the_reporter_only_whether_it_reproduced() {
    let w = World::new().await;
    w.t.policy("pallets/flask", POLICY).await;
    let (id, token) = w.report("flask", &w.alice, "Header overflow").await;
    let (quiet, _) = w.report("jinja", &w.alice, "Not in the lab").await;
    // The lab hears of new reports through the outbox.
    w.t.run_jobs().await;
    work(&w, LabResult::Vulnerable, true).await;
    work(&w, LabResult::NotVulnerable, true).await;

    let team = w.t.get(&format!("/reports/{id}"), &w.flask_team).await.expect(StatusCode::OK).text;
    for shown in [
        "Evidence lab",
        "Vulnerable",
        "Not vulnerable",
        "3.1.0-REF-MARKER",
        "invented_NAME_MARKER",
        "names things not in the source",
    ] {
        assert!(team.contains(shown), "{shown} missing from the team's page");
    }
    for auth in [&w.alice, &Auth::Link(token)] {
        let mine = w.t.get(&format!("/reports/{id}"), auth).await.expect(StatusCode::OK).text;
        assert!(mine.contains("Your proof of concept reproduced the issue."));
        for private in ["OUTPUT-MARKER", "3.1.0-REF-MARKER", "invented_NAME_MARKER", "exit code", "Affected matrix"] {
            assert!(!mine.contains(private), "{private} leaked to the reporter");
        }
    }

    // The queue: filter and sort by the lab's signals.
    assert!(queue(&w, "lab=reproduced").await.contains(&id));
    assert!(!queue(&w, "lab=reproduced").await.contains(&quiet));
    assert!(queue(&w, "lab=not_run").await.contains(&quiet));
    assert!(!queue(&w, "lab=not_run").await.contains(&id));
    assert!(queue(&w, "lab=grounding_flagged").await.contains(&id));
    assert!(!queue(&w, "lab=not_reproduced").await.contains(&id));
    let sorted = queue(&w, "sort=lab").await;
    assert!(sorted.find(&id).unwrap() < sorted.find(&quiet).unwrap(), "reproduced first");
    assert!(queue(&w, "lab=bogus").await.contains("Choose a lab signal from the list."));

    // Fix verification shows as such.
    let report: ReportId = id.parse().unwrap();
    let lead = w.t.app.authenticate(Some(&embargo_app::Credential::Session(session(&w.flask_team)))).await.unwrap();
    let request = LabRequest { lines: None, fix_ref: Some("fix-branch".into()) };
    w.t.app.queue_lab_runs(&lead, report, request).await.unwrap();
    work(&w, LabResult::NotVulnerable, false).await;
    let team = w.t.get(&format!("/reports/{id}"), &w.flask_team).await.expect(StatusCode::OK).text;
    assert!(team.contains("Fix verified") && team.contains("fix-branch"));
    w.finish().await;
}

async fn queue(w: &World, query: &str) -> String {
    w.t.get(&format!("/reports?{query}"), &w.org_team).await.expect(StatusCode::OK).text
}

fn session(auth: &Auth) -> String {
    match auth {
        Auth::Session(cookie) => cookie.clone(),
        _ => unreachable!("a session"),
    }
}

async fn lab_json(w: &World, id: &str) -> serde_json::Value {
    w.t.get(&format!("/api/v1/reports/{id}/lab"), &w.flask_team).await.expect(StatusCode::OK).json
}

#[tokio::test]
async fn issue_17_accepting_the_matrix_reaches_cve_eligibility_and_the_fix_lines() {
    for backend in Backend::available() {
        let w = World::on(backend).await;
        w.t.policy("pallets/flask", POLICY).await;
        let lines = "/api/v1/projects/pallets/flask/release-lines";
        w.t.put(&format!("{lines}/3.1"), json!({"status": "bugfix"}), &w.flask_team).await.expect(StatusCode::OK);
        w.t.put(&format!("{lines}/3.0"), json!({"status": "end-of-life"}), &w.flask_team).await.expect(StatusCode::OK);
        let (id, token) = w.report("flask", &w.alice, "Header overflow").await;
        w.t.run_jobs().await;
        let accept = format!("/api/v1/reports/{id}/lab/accept");

        // Nothing has run: nothing to accept, and nothing changes.
        let early = w.t.post(&accept, json!({}), &w.flask_team).await;
        assert_eq!(early.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", early.text);
        let page = w.t.get(&format!("/reports/{id}"), &w.flask_team).await.expect(StatusCode::OK).text;
        assert!(!page.contains("Accept the matrix"), "no line found vulnerable yet");

        work(&w, LabResult::Vulnerable, false).await;
        work(&w, LabResult::Vulnerable, false).await;
        let before = w.t.get(&format!("/api/v1/reports/{id}"), &w.flask_team).await.expect(StatusCode::OK).json;
        assert_eq!(before["team"]["eligibility"]["cve"], false, "{before}");
        assert_eq!(lab_json(&w, &id).await["actions"], json!({"queue": true, "accept": true, "share": true}));

        // Only the team accepts: the reporter is refused, others find nothing.
        let (bearer, link) = (Auth::Bearer(token.clone()), Auth::Link(token.clone()));
        for (api, page, status) in [
            (&w.alice, &w.alice, StatusCode::FORBIDDEN),
            (&bearer, &link, StatusCode::FORBIDDEN),
            (&w.bob, &w.bob, StatusCode::NOT_FOUND),
            (&w.jinja_team, &w.jinja_team, StatusCode::NOT_FOUND),
        ] {
            assert_eq!(w.t.post(&accept, json!({}), api).await.status, status);
            assert_eq!(w.t.form(&format!("/reports/{id}/lab/accept"), &[], page).await.status, status);
        }

        // From the page, without JavaScript: a plain form.
        let page = w.t.get(&format!("/reports/{id}"), &w.flask_team).await.expect(StatusCode::OK).text;
        assert!(page.contains(&format!("action=\"/reports/{id}/lab/accept\"")) && page.contains("Accept the matrix"));
        w.t.form(&format!("/reports/{id}/lab/accept"), &[], &w.flask_team).await.expect(StatusCode::SEE_OTHER);

        let after = w.t.get(&format!("/api/v1/reports/{id}"), &w.flask_team).await.expect(StatusCode::OK).json;
        let mut affected: Vec<String> = serde_json::from_value(after["team"]["affected_versions"].clone()).unwrap();
        affected.sort();
        assert_eq!(affected, ["3.0", "3.1"]);
        let eligibility = &after["team"]["eligibility"];
        assert_eq!(eligibility["cve"], true, "{eligibility}");
        assert_eq!(eligibility["cve_lines"], json!(["3.1"]));
        assert_eq!(eligibility["fix_by_default"], json!(["3.1"]));
        assert_eq!(eligibility["unsupported"], json!(["3.0"]), "an end-of-life line gets neither");
        let page = w.t.get(&format!("/reports/{id}"), &w.flask_team).await.expect(StatusCode::OK).text;
        assert!(page.contains("Fixed by default in 3.1."), "the fix lines sentence");

        // The API answers the lines; accepting again adds nothing twice.
        let again = w.t.post(&accept, json!({}), &w.org_team).await.expect(StatusCode::OK).json;
        assert_eq!(again["lines"].as_array().unwrap().len(), 2);
        let same = w.t.get(&format!("/api/v1/reports/{id}"), &w.flask_team).await.expect(StatusCode::OK).json;
        assert_eq!(same["team"]["affected_versions"].as_array().unwrap().len(), 2);

        let audit = w.t.get(&format!("/api/v1/audit/events?report={id}"), &w.admin).await.expect(StatusCode::OK);
        let accepted = audit.json.as_array().unwrap().iter().filter(|e| e["action"] == "lab.accepted").count();
        assert_eq!(accepted, 2, "each acceptance is audited, the refused ones are not: {}", audit.text);
        w.finish().await;
    }
}

#[tokio::test]
async fn issue_17_the_team_runs_the_poc_again_from_the_page() {
    let w = World::new().await;
    w.t.policy("pallets/flask", POLICY).await;
    let (id, token) = w.report("flask", &w.alice, "Header overflow").await;
    w.t.run_jobs().await;
    assert_eq!(lab_json(&w, &id).await["runs"].as_array().unwrap().len(), 2, "both lines on intake");
    let runs = format!("/reports/{id}/lab/runs");

    let page = w.t.get(&format!("/reports/{id}"), &w.flask_team).await.expect(StatusCode::OK).text;
    assert!(page.contains(&format!("action=\"{runs}\"")) && page.contains("<option value=\"3.0\">3.0</option>"));
    for auth in [&w.alice, &Auth::Link(token.clone())] {
        let mine = w.t.get(&format!("/reports/{id}"), auth).await.expect(StatusCode::OK).text;
        assert!(!mine.contains("/lab/runs") && !mine.contains("/lab/accept"), "the reporter gets no lab form");
    }

    // One line again, then a fix: each a plain form post.
    w.t.form(&runs, &[("line", "3.0"), ("ref", "")], &w.flask_team).await.expect(StatusCode::SEE_OTHER);
    w.t.form(&runs, &[("line", ""), ("ref", "fix-branch")], &w.flask_team).await.expect(StatusCode::SEE_OTHER);
    let lab = lab_json(&w, &id).await;
    let mut listed: Vec<(&str, &str, &str)> = lab["runs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["line"].as_str().unwrap(), r["ref"].as_str().unwrap(), r["purpose"].as_str().unwrap()))
        .collect();
    listed.sort_unstable();
    let expected = [
        ("3.0", "3.0.3", "line"),
        ("3.0", "3.0.3", "line"),
        ("3.1", "3.1.0-REF-MARKER", "line"),
        ("fix", "fix-branch", "fix"),
    ];
    assert_eq!(listed, expected, "intake's two runs, the line again, and the fix");

    // A line the policy does not name: the page says so and queues nothing.
    let bad = w.t.form(&runs, &[("line", "9.9")], &w.flask_team).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.text.contains("release lines named in the project"), "{}", bad.text);
    for (auth, status) in [(&w.alice, StatusCode::FORBIDDEN), (&w.bob, StatusCode::NOT_FOUND)] {
        assert_eq!(w.t.form(&runs, &[("line", "3.0")], auth).await.status, status);
    }
    assert_eq!(lab_json(&w, &id).await["runs"].as_array().unwrap().len(), 4, "refused posts queue nothing");
    w.finish().await;
}
