//! The evidence lab on the pages: the team's matrix and grounding list on the
//! report page, the reporter's one sentence, and the queue's lab filters.
//! Results are recorded through the worker's own use cases (as the operator);
//! the sandbox itself is tested in `embargo-lab`.

use embargo_app::{LabRecord, LabRequest};
use embargo_core::id::ReportId;
use embargo_core::lab::{Grounding, LabResult};
use embargo_core::permission::Actor;
use embargo_core::private::Private;
use embargo_testkit::Auth;
use http::StatusCode;

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
