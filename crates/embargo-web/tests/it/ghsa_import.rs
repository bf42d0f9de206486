//! `embargo import ghsa` brings GitHub advisories in as reports and
//! advisories (issue 14, item 6): each GHSA becomes a report with its
//! history, severity, CWEs and reporter, linked to its advisory; the private
//! text of drafts, reports in triage and closed ones stays private.

use embargo_app::{ImportFile, ImportOutcome, ImportedFile};
use embargo_core::permission::Actor;
use embargo_testkit::{Auth, Backend, slug_of};
use http::StatusCode;
use serde_json::{Value, json};

use crate::fixture::World;

const MARKER: &str = "PRIVATE-GHSA-MARKER-41d9";

/// GitHub's example advisory, from the conformance data.
fn example() -> Option<Value> {
    let dir = std::env::var_os("EMBARGO_CONFORMANCE_DIR")?;
    let path = std::path::Path::new(&dir).join("github-rest/repository-advisory.json");
    Some(serde_json::from_str(&std::fs::read_to_string(path).ok()?).unwrap())
}

/// The example under another id and state, its private text marked.
fn private(example: &Value, id: &str, state: &str) -> Value {
    let mut advisory = example.clone();
    advisory["ghsa_id"] = id.into();
    advisory["identifiers"] = json!([{"type": "GHSA", "value": id}]);
    advisory["cve_id"] = Value::Null;
    advisory["state"] = state.into();
    advisory["summary"] = format!("{MARKER} title of {id}").into();
    advisory["description"] = format!("{MARKER} details of {id}").into();
    advisory["published_at"] = Value::Null;
    advisory["credits_detailed"] = json!([{"user": {"login": "finder-of-bugs", "html_url": "https://github.com/finder-of-bugs"},
                "type": "reporter", "state": "accepted"}]);
    advisory
}

async fn import(w: &World, advisories: Vec<Value>) -> Result<Vec<ImportedFile>, embargo_app::AppError> {
    let file = ImportFile { name: "advisories.json".into(), text: Value::Array(advisories).to_string() };
    w.t.app.import_ghsa(&Actor::Operator, &slug_of("pallets"), &slug_of("flask"), vec![file], &|_| {}).await
}

fn filed<'a>(results: &'a [ImportedFile], id: &str) -> &'a ImportedFile {
    results.iter().find(|f| f.id.as_str() == id).unwrap_or_else(|| panic!("{id} not in {results:?}"))
}

fn history(report: &Value) -> Vec<(String, String)> {
    let steps = report["history"].as_array().unwrap();
    steps.iter().map(|h| (h["to"].as_str().unwrap().to_owned(), h["at"].as_str().unwrap().to_owned())).collect()
}

#[tokio::test]
async fn github_advisories_come_in_as_reports_linked_to_their_advisories_issue_14() {
    let Some(example) = example() else {
        assert!(std::env::var_os("CI").is_none(), "EMBARGO_CONFORMANCE_DIR is needed under CI");
        return;
    };
    for backend in Backend::available() {
        let w = World::on(backend).await;
        let mut closed = private(&example, "GHSA-ffff-3333-gggg", "closed");
        closed["closed_at"] = "2020-02-01T00:00:00Z".into();
        let advisories = vec![
            example.clone(),
            private(&example, "GHSA-tttt-1111-aaaa", "triage"),
            private(&example, "GHSA-dddd-2222-eeee", "draft"),
            closed,
        ];
        let results = import(&w, advisories.clone()).await.unwrap();
        assert_eq!(results.len(), 4, "{results:?}");
        let expected = [
            ("GHSA-abcd-1234-efgh", ImportOutcome::Created, "disclosed"),
            ("GHSA-tttt-1111-aaaa", ImportOutcome::Draft, "triaging"),
            ("GHSA-dddd-2222-eeee", ImportOutcome::Draft, "accepted"),
            ("GHSA-ffff-3333-gggg", ImportOutcome::Declined, "not_vulnerable"),
        ];
        let mut reports = Vec::new();
        for (id, outcome, state) in expected {
            let file = filed(&results, id);
            assert_eq!(file.outcome, outcome, "{id}");
            let (report, new) = file.report.unwrap_or_else(|| panic!("{id} filed no report"));
            assert!(new, "{id}");
            let seen = w.t.get(&format!("/api/v1/reports/{report}"), &w.flask_team).await.expect(StatusCode::OK).json;
            assert_eq!(seen["state"], state, "{id}");
            // Nobody else sees the report: not a reporter, not another project's team, not the public.
            w.t.get(&format!("/api/v1/reports/{report}"), &w.alice).await.expect(StatusCode::NOT_FOUND);
            w.t.get(&format!("/api/v1/reports/{report}"), &w.jinja_team).await.expect(StatusCode::NOT_FOUND);
            reports.push((id, report, seen));
        }

        // The published one: its history as GitHub dated it, severity, CWE, packages, linked to its advisory.
        let (_, _, published) = &reports[0];
        assert_eq!(published["title"], "A short summary of the advisory.");
        assert_eq!(published["body"], "A detailed description of what the advisory entails.");
        assert_eq!(published["component"], "a-package, another-package");
        assert_eq!(published["versions_vulnerable"], ">= 1.0.0, < 1.0.1; >= 1.0.0, < 1.0.2");
        assert_eq!(published["created_at"], "2020-01-01T00:00:00Z");
        assert_eq!(
            history(published),
            [
                ("new".to_owned(), "2020-01-01T00:00:00Z".to_owned()),
                ("accepted".to_owned(), "2020-01-01T00:00:00Z".to_owned()),
                ("disclosed".to_owned(), "2020-01-03T00:00:00Z".to_owned())
            ]
        );
        assert_eq!(published["team"]["cwes"], json!(["CWE-123"]));
        assert_eq!(published["team"]["cvss_v3"]["vector"], "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H");
        assert_eq!(published["advisory"], "GHSA-abcd-1234-efgh");
        // The closed one: declined at closed_at, saying why; no advisory.
        let (_, _, closed) = &reports[3];
        assert_eq!(history(closed).last().unwrap(), &("not_vulnerable".to_owned(), "2020-02-01T00:00:00Z".to_owned()));
        assert!(closed["history"][1]["reason"].as_str().unwrap().contains("closed"), "{}", closed["history"]);
        assert_eq!(closed["reporter_name"], "finder-of-bugs");
        assert!(closed["advisory"].is_null());
        w.t.get("/api/v1/advisories/GHSA-ffff-3333-gggg", &w.flask_team).await.expect(StatusCode::NOT_FOUND);
        // The draft advisory is the team's, linked to its report.
        let draft = w.t.get("/api/v1/advisories/GHSA-dddd-2222-eeee", &w.flask_team).await.expect(StatusCode::OK);
        assert_eq!(draft.json["state"], "draft");

        // No private text reaches anything public.
        for path in [
            "/advisories",
            "/advisories/GHSA-abcd-1234-efgh",
            "/advisories/feed.atom",
            "/osv/v1/vulns/GHSA-abcd-1234-efgh",
            "/.well-known/csaf/white/index.txt",
            "/.well-known/csaf/white/changes.csv",
            "/.well-known/csaf/white/feed-tlp-white.json",
            "/pallets/flask",
        ] {
            let text = w.t.get(path, &Auth::None).await.expect(StatusCode::OK).text;
            assert!(!text.contains(MARKER), "{path} leaks private text");
        }
        for private in ["GHSA-tttt-1111-aaaa", "GHSA-dddd-2222-eeee", "GHSA-ffff-3333-gggg"] {
            w.t.get(&format!("/advisories/{private}"), &Auth::None).await.expect(StatusCode::NOT_FOUND);
            w.t.get(&format!("/osv/v1/vulns/{private}"), &Auth::None).await.expect(StatusCode::NOT_FOUND);
            w.t.get(&format!("/api/v1/advisories/{private}"), &w.alice).await.expect(StatusCode::NOT_FOUND);
        }
        let query = json!({"package": {"ecosystem": "PyPI", "name": "a-package"}, "version": "1.0.0"});
        let found = w.t.post("/osv/v1/query", query, &Auth::None).await.expect(StatusCode::OK);
        assert!(!found.text.contains(MARKER), "{}", found.text);
        assert_eq!(found.json["vulns"].as_array().map(Vec::len), Some(1), "{}", found.text);

        // Importing again files no report twice and changes nothing.
        let again = import(&w, advisories).await.unwrap();
        for (id, report, _) in &reports {
            assert_eq!(filed(&again, id).report, Some((*report, false)), "{id}");
        }
        assert_eq!(filed(&again, "GHSA-abcd-1234-efgh").outcome, ImportOutcome::Unchanged);

        // All or nothing: one record whose report cannot be filed (a date that is not one) and nothing is stored.
        let fresh = private(&example, "GHSA-nnnn-4444-pppp", "triage");
        let mut bad = private(&example, "GHSA-bbbb-5555-qqqq", "triage");
        bad["created_at"] = "last tuesday".into();
        let refused = match import(&w, vec![fresh, bad]).await {
            Err(embargo_app::AppError::Invalid(errors)) => errors.0.iter().map(ToString::to_string).collect::<Vec<_>>(),
            other => panic!("{other:?}"),
        };
        assert!(refused.iter().any(|e| e.contains("GHSA-bbbb-5555-qqqq.created_at")), "{refused:?}");
        w.t.get("/api/v1/advisories/GHSA-nnnn-4444-pppp", &w.flask_team).await.expect(StatusCode::NOT_FOUND);
        let listed = w.t.get("/api/v1/reports", &w.flask_team).await.expect(StatusCode::OK);
        assert!(!listed.text.contains("GHSA-nnnn"), "nothing of the refused import is stored");
        w.finish().await;
    }
}
