//! Public response times (issue 10): medians and 90th percentiles from
//! report history, the share answered in the promised time, and figures
//! withheld below five reports so that no single report can be inferred.

use embargo_testkit::Auth;
use http::StatusCode;
use time::Duration;

use crate::fixture::World;

#[tokio::test]
async fn response_times_are_public_computed_from_history_and_hidden_below_five_reports() {
    let w = World::new().await;
    let t = &w.t;
    t.policy("pallets", "[response]\nacknowledge = \"2d\"\n").await;
    let path = "/api/v1/projects/pallets/flask/response-times";
    // Six flask reports, acknowledged after 10, 20, ... 60 hours; one jinja report.
    let mut ids = Vec::new();
    for i in 0..6 {
        ids.push(w.report("flask", &w.alice, &format!("report {i}")).await.0);
    }
    w.report("jinja", &w.alice, "elsewhere").await;
    let start = t.app.now();
    for (i, id) in ids.iter().enumerate() {
        let hours = 10 * (i64::try_from(i).unwrap() + 1);
        t.clock().set(start + Duration::hours(hours));
        w.transition(id, "acknowledged", &w.flask_team).await.expect(StatusCode::OK);
        if i < 4 {
            // Only four are decided: too few for a decision figure.
            w.transition(id, "triaging", &w.flask_team).await.expect(StatusCode::OK);
            w.transition(id, "accepted", &w.flask_team).await.expect(StatusCode::OK);
        }
    }
    let times = t.get(path, &Auth::None).await.expect(StatusCode::OK);
    assert_eq!(times.json["reports"], 6);
    assert_eq!(times.json["acknowledge"]["median_seconds"], 30 * 3600, "{}", times.text);
    assert_eq!(times.json["acknowledge"]["p90_seconds"], 60 * 3600);
    assert_eq!(times.json["acknowledged_in_time"]["within"], 4, "10 to 40 hours of 48");
    assert_eq!(times.json["triage"]["reports"], 4);
    assert!(times.json["triage"]["median_seconds"].is_null(), "four decisions are too few to show");
    assert!(times.json["disclosure"]["median_seconds"].is_null());

    let org = t.get("/api/v1/orgs/pallets/response-times", &Auth::None).await.expect(StatusCode::OK);
    assert_eq!(org.json["reports"], 7, "the organisation counts every project");
    let jinja = t.get("/api/v1/projects/pallets/jinja/response-times", &Auth::None).await.expect(StatusCode::OK);
    assert!(jinja.json["acknowledge"]["median_seconds"].is_null(), "one report: nothing shown");

    let page = t.get("/pallets/flask", &Auth::None).await.expect(StatusCode::OK);
    assert!(page.text.contains("Time to acknowledge"), "the project page shows them");
    assert!(page.text.contains("1 day (median; 9 in 10 within 2 days), over 6 reports"), "{}", page.text);

    // A year later the window is empty.
    t.clock().set(start + Duration::days(400));
    let later = t.get(path, &Auth::None).await.expect(StatusCode::OK);
    assert_eq!(later.json["reports"], 0);
    t.get("/api/v1/projects/pallets/nothing/response-times", &Auth::None).await.expect(StatusCode::NOT_FOUND);
    w.finish().await;
}
