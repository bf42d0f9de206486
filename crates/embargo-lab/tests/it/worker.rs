//! The lab end to end: a project's `[lab]` policy, a report with a PoC
//! through the API (intake queues its runs), `embargo lab worker`'s loop in
//! the real sandbox against the fixture project, the affected matrix and
//! grounding list in the API, fix verification, and what the reporter sees.

use std::time::Duration;

use embargo_app::{Credential, LabFilter};
use embargo_core::id::ReportId;
use embargo_core::permission::Actor;
use embargo_lab::worker::{Worker, WorkerConfig};
use embargo_testkit::{Auth, TestApp};
use http::StatusCode;
use serde_json::{Value, json};

use crate::fixture::{POC, SETUP, open_tempdir, project, sandbox};

fn policy(repository: &str) -> String {
    format!(
        "[lab]\nrepository = '{repository}'\n\n\
         [[lab.lines]]\nname = \"2.0\"\nref = \"v2.0.0\"\nsetup = '''{SETUP}'''\n\n\
         [[lab.lines]]\nname = \"1.0\"\nref = \"v1.0.0\"\nsetup = '''{SETUP}'''\n"
    )
}

async fn submit(t: &TestApp, auth: &Auth, body: &str, poc: &str) -> String {
    let reply = t
        .post(
            "/api/v1/projects/lab/tinyparse/reports",
            json!({"title": "Long headers", "body": body, "component": "tinyparse", "proof_of_concept": poc}),
            auth,
        )
        .await
        .expect(StatusCode::CREATED);
    // The lab hears of the report through the outbox (its `lab_intake` subscriber).
    t.run_jobs().await;
    reply.json["id"].as_str().unwrap().to_owned()
}

fn run_of<'a>(lab: &'a Value, line: &str, purpose: &str) -> &'a Value {
    lab["runs"].as_array().unwrap().iter().find(|r| r["line"] == line && r["purpose"] == purpose).unwrap()
}

#[tokio::test]
async fn a_reports_poc_runs_against_every_line_and_the_fix_is_verified() {
    let Some(_turn) = sandbox().await else { return };
    let dir = open_tempdir();
    let repo = project(dir.path());
    let t = TestApp::new().await;
    t.organisation("lab").await;
    t.project("lab", "tinyparse").await;
    let team = t.user("maintainer@lab.example", false).await;
    t.member("lab/tinyparse", "maintainer@lab.example").await;
    let alice = t.user("alice@researcher.example", false).await;
    t.policy("lab/tinyparse", &policy(repo.to_str().unwrap())).await;

    let poc = POC.replacen("#!/bin/sh\n", "#!/bin/sh\necho OUTPUT-MARKER >&2\n", 1);
    let body = "BODY-MARKER: parse_header in tinyparse/__init__.py ignores MAX_LEN and returns the whole header.";
    let id = submit(&t, &alice, body, &poc).await;
    let lab_path = format!("/api/v1/reports/{id}/lab");
    let queued = t.get(&lab_path, &team).await.expect(StatusCode::OK).json;
    assert_eq!(queued["runs"].as_array().unwrap().len(), 2, "intake queued a run per line: {queued}");
    assert_eq!(run_of(&queued, "1.0", "line")["state"], "queued");
    assert_eq!(t.get(&lab_path, &alice).await.expect(StatusCode::OK).json, json!({"reproduced": null}));

    let mut config = WorkerConfig::new("test-worker".into(), dir.path().join("lab-cache"));
    config.poll = Duration::from_millis(50);
    let worker = Worker::new(t.app.clone(), config).await.unwrap();
    assert_eq!(worker.run_queued().await.unwrap(), 2);

    let lab = t.get(&lab_path, &team).await.expect(StatusCode::OK).json;
    let old = run_of(&lab, "1.0", "line");
    assert_eq!(
        (&old["result"], &old["reason"], &old["ref"]),
        (&json!("vulnerable"), &json!("exit code 1"), &json!("v1.0.0"))
    );
    assert!(old["output"].as_str().unwrap().contains("OUTPUT-MARKER"), "the team reads the output");
    assert_eq!(old["commit"].as_str().unwrap().len(), 40);
    let new = run_of(&lab, "2.0", "line");
    assert_eq!((&new["result"], &new["state"]), (&json!("not_vulnerable"), &json!("done")));
    assert_eq!(lab["reproduced"], true);
    let grounding = lab["grounding"].as_array().unwrap();
    let named = |name: &str| grounding.iter().find(|g| g["name"] == name).cloned().unwrap();
    assert_eq!(
        named("parse_header"),
        json!({"name": "parse_header", "found": true, "where": "tinyparse/__init__.py:6"})
    );
    assert_eq!(named("MAX_LEN")["found"], true);
    assert_eq!(lab["grounding_ref"], "v2.0.0", "checked at the first line of the policy");
    assert_eq!(lab["grounding_flagged"], false);

    // The reporter learns that their PoC reproduced, and nothing else.
    let mine = t.get(&lab_path, &alice).await.expect(StatusCode::OK);
    assert_eq!(mine.json, json!({"reproduced": true}));
    for private in ["OUTPUT-MARKER", "parse_header", "v1.0.0", "exit code", "grounding"] {
        assert!(!mine.text.contains(private), "{private} leaked to the reporter: {}", mine.text);
    }

    // The team shares the lab's results (issue 17): the reporter then sees each line's verdict, never the output.
    let share = format!("/api/v1/reports/{id}/lab/share");
    t.put(&share, json!({}), &alice).await.expect(StatusCode::FORBIDDEN);
    assert_eq!(t.put(&share, json!({}), &team).await.expect(StatusCode::OK).json, json!({"shared": true}));
    assert_eq!(t.get(&lab_path, &team).await.expect(StatusCode::OK).json["shared"], true);
    let mine = t.get(&lab_path, &alice).await.expect(StatusCode::OK);
    assert_eq!(mine.json["reproduced"], true);
    let mut lines: Vec<(String, String)> = mine.json["lines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| (l["line"].as_str().unwrap().to_owned(), l["result"].as_str().unwrap().to_owned()))
        .collect();
    lines.sort();
    assert_eq!(lines, [("1.0".into(), "vulnerable".into()), ("2.0".into(), "not_vulnerable".into())]);
    for private in ["OUTPUT-MARKER", "parse_header", "v1.0.0", "exit code", "grounding"] {
        assert!(!mine.text.contains(private), "{private} leaked to the reporter: {}", mine.text);
    }
    let page = t.get(&format!("/reports/{id}"), &alice).await.expect(StatusCode::OK).text;
    assert!(page.contains("shares the result on each release line"), "{page}");
    // The reporter's own PoC (on the page) prints OUTPUT-MARKER; the run's output and reasons stay off the page.
    assert!(!page.contains("exit code") && !page.contains("v1.0.0"), "the page keeps the output private");
    // Stopping: back to one sentence.
    assert_eq!(t.delete(&share, &team).await.expect(StatusCode::OK).json, json!({"shared": false}));
    assert_eq!(t.get(&lab_path, &alice).await.expect(StatusCode::OK).json, json!({"reproduced": true}));

    // Fix verification: one run against the branch the team names.
    let fix = t.post(&format!("/api/v1/reports/{id}/lab/runs"), json!({"ref": "fix-header"}), &team).await;
    assert_eq!(fix.status, StatusCode::ACCEPTED, "{}", fix.text);
    assert_eq!(worker.run_queued().await.unwrap(), 1);
    let lab = t.get(&lab_path, &team).await.expect(StatusCode::OK).json;
    let verified = run_of(&lab, "fix", "fix");
    assert_eq!((&verified["result"], &verified["ref"]), (&json!("not_vulnerable"), &json!("fix-header")));

    // Refused requests store nothing.
    let runs = |lab: &Value| lab["runs"].as_array().unwrap().len();
    for bad in
        [json!({"lines": ["9.9"]}), json!({"ref": "--upload-pack=x"}), json!({"ref": "a b"}), json!({"bogus": 1})]
    {
        let reply = t.post(&format!("/api/v1/reports/{id}/lab/runs"), bad.clone(), &team).await;
        assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}: {}", reply.text);
    }
    assert_eq!(runs(&t.get(&lab_path, &team).await.json), 3);
    assert_eq!(
        t.post(&format!("/api/v1/reports/{id}/lab/runs"), json!({}), &alice).await.status,
        StatusCode::FORBIDDEN
    );

    // The team accepts the matrix: the lines found vulnerable become the report's affected versions.
    let report: ReportId = id.parse().unwrap();
    let Auth::Session(cookie) = &team else { unreachable!("a session") };
    let team_actor = t.app.authenticate(Some(&Credential::Session(cookie.clone()))).await.unwrap();
    assert_eq!(t.app.accept_lab_matrix(&team_actor, report).await.unwrap(), vec!["1.0".to_owned()]);
    let shown = t.get(&format!("/api/v1/reports/{id}"), &team).await.expect(StatusCode::OK).json;
    assert!(shown.to_string().contains("\"1.0\""), "{shown}");

    // A report naming things that are not in the source is flagged, and the queue filters find both.
    let invented = "The sanitize_header_block helper in tinyparse/validate.py calls HeaderValidator.check_bounds() \
                    when --max-header-size is set.";
    let other = submit(&t, &alice, invented, "#!/bin/sh\nexit 0\n").await;
    assert_eq!(worker.run_queued().await.unwrap(), 2);
    let flagged = t.get(&format!("/api/v1/reports/{other}/lab"), &team).await.expect(StatusCode::OK).json;
    assert_eq!((&flagged["grounding_flagged"], &flagged["reproduced"]), (&json!(true), &json!(false)));
    let other: ReportId = other.parse().unwrap();
    let signals = t.app.lab_signals(&team_actor, &[report, other]).await.unwrap();
    let matching = |filter: LabFilter| -> Vec<ReportId> {
        [report, other]
            .into_iter()
            .filter(|r| filter.matches(signals.iter().find(|(id, _)| id == r).map(|(_, s)| s)))
            .collect()
    };
    assert_eq!(matching(LabFilter::Reproduced), vec![report]);
    assert_eq!(matching(LabFilter::NotReproduced), vec![other]);
    assert_eq!(matching(LabFilter::GroundingFlagged), vec![other]);
    assert!(matching(LabFilter::NotRun).is_empty());
    assert!(t.app.lab_signals(&Actor::Anonymous, &[report]).await.unwrap().is_empty(), "only the team sees signals");
    assert!(matches!(t.app.view_lab(&Actor::Operator, report).await, Err(embargo_app::AppError::NotFound)));

    t.run_jobs().await;
    t.finish().await;
}
