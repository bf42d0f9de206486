//! Intake limits (issue 12): new reports are counted per client address,
//! reporter account, contact address and project, in the database; past a
//! limit the API answers 429 with `Retry-After` and the page keeps the
//! draft; the team is never held back; a flood does not mail the team once
//! per report.

use std::net::SocketAddr;

use axum::body::Body;
use axum::extract::ConnectInfo;
use embargo_app::{Notice, Side};
use embargo_core::id::ReportId;
use embargo_testkit::{Auth, Backend, Reply, TestApp};
use embargo_web::WebConfig;
use http::{Request, StatusCode, header};
use serde_json::{Value, json};

const PATH: &str = "/api/v1/projects/pallets/flask/reports";

fn report(title: &str, email: &str) -> Value {
    json!({"title": title, "body": "The parser loops forever on a crafted header.", "reporter_email": email})
}

/// A report sent through the API from `peer`, as `serve` sees it.
async fn submit_from(t: &TestApp, peer: &str, body: &Value, auth: &Auth) -> Reply {
    let mut request = Request::post(PATH).header(header::CONTENT_TYPE, "application/json");
    if let Auth::Session(cookie) = auth {
        request = request.header(header::COOKIE, format!("{}={cookie}", embargo_web::SESSION_COOKIE));
    }
    let mut request = request.body(Body::from(body.to_string())).unwrap();
    request.extensions_mut().insert(ConnectInfo(peer.parse::<SocketAddr>().unwrap()));
    t.send(request).await
}

/// The report form sent from `peer` (multipart, as a browser sends it).
async fn form_from(t: &TestApp, peer: &str, fields: &[(&str, &str)]) -> Reply {
    let mut body = String::new();
    for (name, value) in fields {
        body.push_str(&format!("--XYZ\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"));
    }
    body.push_str("--XYZ--\r\n");
    let mut request = Request::post("/pallets/flask/report")
        .header(header::CONTENT_TYPE, "multipart/form-data; boundary=XYZ")
        .body(Body::from(body))
        .unwrap();
    request.extensions_mut().insert(ConnectInfo(peer.parse::<SocketAddr>().unwrap()));
    t.send(request).await
}

fn retry_after(reply: &Reply) -> u64 {
    reply.headers.get(header::RETRY_AFTER).expect("Retry-After").to_str().unwrap().parse().unwrap()
}

async fn instance(backend: Backend) -> (TestApp, Auth) {
    let t = TestApp::on(backend, WebConfig::default()).await;
    t.organisation("pallets").await;
    t.project("pallets", "flask").await;
    let team = t.user("lead@pallets.example", false).await;
    t.member("pallets/flask", "lead@pallets.example").await;
    (t, team)
}

async fn queue(t: &TestApp, team: &Auth) -> usize {
    t.get("/api/v1/reports", team).await.expect(StatusCode::OK).json.as_array().unwrap().len()
}

#[tokio::test]
async fn one_address_is_limited_to_ten_reports_an_hour_issue_12() {
    for backend in Backend::available() {
        let (t, team) = instance(backend).await;
        for n in 0..10 {
            let body = report(&format!("loop {n}"), &format!("r{n}@researcher.example"));
            submit_from(&t, "192.0.2.7:40000", &body, &Auth::None).await.expect(StatusCode::CREATED);
        }
        let body = report("loop 10", "r10@researcher.example");
        let refused =
            submit_from(&t, "192.0.2.7:40001", &body, &Auth::None).await.expect(StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(refused.json["error"], "rate_limited", "{backend:?}");
        assert_eq!(
            refused.json["message"],
            "too many reports from your network address; nothing was filed; try again in 60 minutes"
        );
        assert_eq!(retry_after(&refused), 3600);
        assert_eq!(queue(&t, &team).await, 10, "nothing was filed");
        // Another address is not held back, nor is the project's own team from the same address.
        submit_from(&t, "198.51.100.1:1", &body, &Auth::None).await.expect(StatusCode::CREATED);
        submit_from(&t, "192.0.2.7:40002", &report("triage copy", "lead@pallets.example"), &team)
            .await
            .expect(StatusCode::CREATED);
        // The page keeps the draft and says when to try again.
        let page = form_from(&t, "192.0.2.7:40003", &[("title", "My careful draft"), ("body", "Steps to reproduce")])
            .await
            .expect(StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(retry_after(&page), 3600);
        assert!(page.text.contains("My careful draft") && page.text.contains("Steps to reproduce"), "{}", page.text);
        assert!(page.text.contains("Too many reports from your network address"), "{}", page.text);
        // The window ends: the address may report again.
        t.clock().advance(time::Duration::minutes(45));
        let later = submit_from(&t, "192.0.2.7:40004", &body, &Auth::None).await.expect(StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(retry_after(&later), 900);
        t.clock().advance(time::Duration::minutes(15));
        submit_from(&t, "192.0.2.7:40005", &body, &Auth::None).await.expect(StatusCode::CREATED);
        t.run_jobs().await;
        t.finish().await;
    }
}

#[tokio::test]
async fn one_contact_address_and_one_account_are_limited_wherever_they_send_from_issue_12() {
    let (t, team) = instance(Backend::Sqlite).await;
    for n in 0..10 {
        let peer = format!("203.0.113.{n}:5000");
        submit_from(&t, &peer, &report(&format!("dup {n}"), "Same@Researcher.example"), &Auth::None)
            .await
            .expect(StatusCode::CREATED);
    }
    let refused = submit_from(&t, "203.0.113.99:5000", &report("dup 10", "same@researcher.example"), &Auth::None)
        .await
        .expect(StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(
        refused.json["message"],
        "too many reports from your e-mail address; nothing was filed; try again in 60 minutes"
    );
    let reporter = t.user("ada@researcher.example", false).await;
    for n in 0..10 {
        let body = json!({"title": format!("mine {n}"), "body": "Details."});
        submit_from(&t, &format!("198.51.100.{n}:1"), &body, &reporter).await.expect(StatusCode::CREATED);
    }
    let body = json!({"title": "mine 10", "body": "Details."});
    let refused = submit_from(&t, "198.51.100.50:1", &body, &reporter).await.expect(StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(
        refused.json["message"],
        "too many reports from your account; nothing was filed; try again in 60 minutes"
    );
    assert_eq!(queue(&t, &team).await, 20);
    t.run_jobs().await;
    t.finish().await;
}

#[tokio::test]
async fn a_flood_to_one_project_is_capped_and_the_team_is_mailed_for_the_first_few_only_issue_12() {
    let (t, team) = instance(Backend::Sqlite).await;
    let mut filed = Vec::new();
    for n in 0..100 {
        let peer = format!("10.0.{}.{}:1", n / 200, n % 200);
        let reply = submit_from(&t, &peer, &report(&format!("flood {n}"), &format!("f{n}@spam.example")), &Auth::None)
            .await
            .expect(StatusCode::CREATED);
        filed.push(reply.json["id"].as_str().unwrap().parse::<ReportId>().unwrap());
        t.clock().advance(time::Duration::seconds(1));
    }
    let refused = submit_from(&t, "10.9.9.9:1", &report("flood 100", "late@spam.example"), &Auth::None)
        .await
        .expect(StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(
        refused.json["message"],
        "this project is receiving too many reports right now; nothing was filed; try again in 59 minutes"
    );
    // The team's own work goes on.
    submit_from(&t, "10.9.9.9:2", &report("from the team", "lead@pallets.example"), &team)
        .await
        .expect(StatusCode::CREATED);
    // Each reporter gets their receipt; the team is mailed for the first three only.
    let mut team_mails = 0;
    for id in &filed {
        let mail = t.app.notice_mail(&Notice::ReportReceived { report: *id }).await.unwrap().unwrap();
        assert!(mail.recipients.iter().any(|r| r.side == Side::Reporter), "every reporter gets a receipt");
        team_mails += usize::from(mail.recipients.iter().any(|r| r.side == Side::Team));
    }
    assert_eq!(team_mails, 3);
    // One mail tells the team, once, that notices are held and where the reports are.
    t.run_jobs().await;
    let floods: Vec<_> = t
        .delivered()
        .into_iter()
        .filter_map(|n| if let Notice::IntakeFlood { project } = n { Some(project) } else { None })
        .collect();
    assert_eq!(floods.len(), 1, "one flood notice, not one per report");
    let flood = t.app.flood_mail(floods[0]).await.unwrap().unwrap();
    assert_eq!(flood.project.slug.as_str(), "flask");
    let to: Vec<&str> = flood.recipients.iter().map(|(e, _)| e.as_str()).collect();
    assert_eq!(to, ["lead@pallets.example"]);
    // Once the flood has passed, the team hears of each report again.
    t.clock().advance(time::Duration::minutes(61));
    let quiet = submit_from(&t, "10.9.9.9:3", &report("a real one", "ada@researcher.example"), &Auth::None)
        .await
        .expect(StatusCode::CREATED);
    let id: ReportId = quiet.json["id"].as_str().unwrap().parse().unwrap();
    let mail = t.app.notice_mail(&Notice::ReportReceived { report: id }).await.unwrap().unwrap();
    assert!(mail.recipients.iter().any(|r| r.side == Side::Team));
    t.run_jobs().await;
    t.finish().await;
}

/// A policy sets its own limits (`[limits]`, reports an hour): a project may
/// take fewer from one address, an organisation more from everyone, and a
/// limit out of range is refused naming the field.
#[tokio::test]
async fn a_policy_overrides_the_intake_limits_issue_12() {
    for backend in Backend::available() {
        let (t, team) = instance(backend).await;
        t.policy("pallets", "[limits]\nper_address = 50\nper_project = 4\n").await;
        t.policy("pallets/flask", "[limits]\nper_address = 2\n").await;
        for n in 0..2 {
            let body = report(&format!("loop {n}"), &format!("r{n}@researcher.example"));
            submit_from(&t, "192.0.2.7:40000", &body, &Auth::None).await.expect(StatusCode::CREATED);
        }
        let body = report("loop 2", "r2@researcher.example");
        let refused = submit_from(&t, "192.0.2.7:40000", &body, &Auth::None).await;
        assert_eq!(refused.status, StatusCode::TOO_MANY_REQUESTS, "{backend:?}: the project's own limit");
        assert!(refused.json["message"].as_str().unwrap().contains("your network address"));
        // The organisation's project limit still holds: 4 an hour from everyone.
        for n in 3..5 {
            let body = report(&format!("loop {n}"), &format!("r{n}@researcher.example"));
            submit_from(&t, &format!("198.51.100.{n}:40000"), &body, &Auth::None).await.expect(StatusCode::CREATED);
        }
        let body = report("loop 5", "r5@researcher.example");
        let refused = submit_from(&t, "198.51.100.5:40000", &body, &Auth::None).await;
        assert_eq!(refused.status, StatusCode::TOO_MANY_REQUESTS);
        assert!(refused.json["message"].as_str().unwrap().contains("this project is receiving too many reports"));
        assert_eq!(queue(&t, &team).await, 4, "nothing past a limit was filed");

        // The effective policy says where each limit comes from.
        let shown = t.get("/api/v1/projects/pallets/flask/policy", &Auth::None).await.expect(StatusCode::OK);
        assert!(shown.text.contains("per_address"), "{}", shown.text);
        let bad = t
            .call_raw(
                http::Method::PUT,
                "/api/v1/projects/pallets/flask/policy",
                "application/toml",
                "[limits]\nper_email = 0\n",
                &team,
            )
            .await;
        assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", bad.text);
        assert!(bad.text.contains("limits.per_email"), "{}", bad.text);
        t.run_jobs().await;
        t.finish().await;
    }
}
