//! Outgoing webhooks (issue 11): a project's team subscribes a URL, the
//! events of its reports go out signed as Standard Webhooks says, checked by
//! a receiver that uses the reference `standardwebhooks` package; failures are
//! retried with backoff, every attempt is listed with the receiver's answer,
//! and no private text leaves.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};

use embargo_testkit::Backend;
use http::StatusCode;
use serde_json::{Value, json};

use crate::fixture::World;

/// The receiver in `tests/peers/webhook_receiver.py`, killed when dropped.
pub(crate) struct Receiver {
    child: Child,
    port: u16,
    dir: tempfile::TempDir,
}

impl Receiver {
    /// Starts a receiver that answers 503 to its first `fail_first` requests.
    pub(crate) fn start(fail_first: u32) -> Receiver {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("secret"), "").unwrap();
        let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/peers/webhook_receiver.py");
        let mut child = Command::new("python3")
            .arg(script)
            .arg(dir.path().join("secret"))
            .arg(dir.path().join("log"))
            .arg(fail_first.to_string())
            .stdout(Stdio::piped())
            .spawn()
            .expect("python3 runs the webhook receiver (pip install standardwebhooks)");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
        let port = line.trim().parse().unwrap_or_else(|_| panic!("the receiver did not start: {line:?}"));
        Receiver { child, port, dir }
    }

    pub(crate) fn url(&self) -> String {
        format!("http://127.0.0.1:{}/hook", self.port)
    }

    pub(crate) fn set_secret(&self, secret: &str) {
        std::fs::write(self.dir.path().join("secret"), secret).unwrap();
    }

    /// Every request received, in order.
    pub(crate) fn received(&self) -> Vec<Value> {
        let text = std::fs::read_to_string(self.dir.path().join("log")).unwrap_or_default();
        text.lines().map(|l| serde_json::from_str(l).unwrap()).collect()
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

const EVENTS: [&str; 3] = ["report.submitted", "report.state_changed", "report.message_posted"];

#[tokio::test]
async fn deliveries_are_signed_retried_listed_and_carry_no_private_text() {
    for backend in Backend::available() {
        let w = World::on(backend).await;
        let receiver = Receiver::start(1);
        let made =
            w.t.post(
                "/api/v1/projects/pallets/flask/webhooks",
                json!({"url": receiver.url(), "events": EVENTS}),
                &w.flask_team,
            )
            .await
            .expect(StatusCode::CREATED);
        let secret = made.json["secret"].as_str().unwrap();
        assert!(secret.starts_with("whsec_"), "{secret}");
        receiver.set_secret(secret);
        // Another project's webhook hears nothing of flask.
        let jinja = Receiver::start(0);
        w.t.post(
            "/api/v1/projects/pallets/jinja/webhooks",
            json!({"url": jinja.url(), "events": EVENTS}),
            &w.jinja_team,
        )
        .await
        .expect(StatusCode::CREATED);

        let (id, _) = w.report("flask", &w.alice, "MARKER-TITLE-7f3a leaks").await;
        w.t.post(
            &format!("/api/v1/reports/{id}/messages"),
            json!({"body": "MARKER-NOTE-91c2 internal", "visibility": "internal"}),
            &w.flask_team,
        )
        .await
        .expect(StatusCode::CREATED);
        w.transition(&id, "acknowledged", &w.flask_team).await.expect(StatusCode::OK);
        w.t.run_jobs().await;

        // The first attempt met a busy receiver: listed with its answer, due again in 5 seconds.
        let listed = w.t.get("/api/v1/projects/pallets/flask/webhooks", &w.flask_team).await.expect(StatusCode::OK);
        let deliveries = listed.json[0]["deliveries"].as_array().unwrap().clone();
        assert_eq!(deliveries.len(), 3, "{deliveries:?}");
        let busy: Vec<&Value> = deliveries.iter().filter(|d| d["state"] == "pending").collect();
        assert_eq!(busy.len(), 1, "{deliveries:?}");
        assert_eq!(busy[0]["response_status"], 503);
        assert_eq!(busy[0]["response_body"], "busy, try later");
        assert_eq!(busy[0]["next_attempt_at"], "2026-05-04T09:00:05Z");
        assert!(deliveries.iter().filter(|d| d["state"] == "delivered").all(|d| d["response_status"] == 200));

        w.t.clock().advance(time::Duration::seconds(5));
        w.t.run_jobs().await;
        let listed = w.t.get("/api/v1/projects/pallets/flask/webhooks", &w.flask_team).await.expect(StatusCode::OK);
        let deliveries = listed.json[0]["deliveries"].as_array().unwrap().clone();
        assert!(deliveries.iter().all(|d| d["state"] == "delivered"), "{deliveries:?}");
        let retried = deliveries.iter().find(|d| d["id"] == busy[0]["id"]).unwrap();
        assert_eq!(retried["attempts"], 2);

        // What the receiver got: four requests, each signed right per the reference library.
        let received = receiver.received();
        assert_eq!(received.len(), 4, "{received:?}");
        assert!(received.iter().all(|r| r["verified"] == true), "{received:?}");
        // The retry carries the same webhook-id (the receiver's idempotency key), a new timestamp.
        let attempts: Vec<&Value> = received.iter().filter(|r| r["id"] == busy[0]["id"]).collect();
        assert_eq!(attempts.len(), 2);
        assert_ne!(attempts[0]["timestamp"], attempts[1]["timestamp"]);
        let mut types: Vec<String> = Vec::new();
        for request in &received {
            let body = request["body"].as_str().unwrap();
            assert!(!body.contains("MARKER"), "private text in a webhook body: {body}");
            let body: Value = serde_json::from_str(body).unwrap();
            assert_eq!(body["data"]["report_id"], id.as_str());
            assert_eq!(body["data"]["organisation"], "pallets");
            assert_eq!(body["data"]["project"], "flask");
            assert!(body["timestamp"].as_str().unwrap().starts_with("2026-05-04T09:00"));
            types.push(body["type"].as_str().unwrap().to_owned());
        }
        types.sort();
        types.dedup();
        let mut expected: Vec<String> = EVENTS.iter().map(|s| (*s).to_owned()).collect();
        expected.sort();
        assert_eq!(types, expected);
        let changed = received.iter().find(|r| r["body"].as_str().unwrap().contains("state_changed")).unwrap();
        let changed: Value = serde_json::from_str(changed["body"].as_str().unwrap()).unwrap();
        assert_eq!(changed["data"]["from"], "new");
        assert_eq!(changed["data"]["to"], "acknowledged");

        assert!(jinja.received().is_empty(), "jinja's webhook heard flask: {:?}", jinja.received());
        // The secret is shown once: the list never has it.
        assert!(!listed.text.contains(secret));
        w.finish().await;
    }
}

#[tokio::test]
async fn a_receiver_that_keeps_failing_is_retried_for_a_day_then_given_up() {
    let w = World::new().await;
    let receiver = Receiver::start(u32::MAX);
    let made =
        w.t.post(
            "/api/v1/orgs/pallets/webhooks",
            json!({"url": receiver.url(), "events": ["report.submitted"]}),
            &w.org_team,
        )
        .await
        .expect(StatusCode::CREATED);
    receiver.set_secret(made.json["secret"].as_str().unwrap());
    w.report("jinja", &w.alice, "A flaw").await;
    w.t.run_jobs().await;
    let mut waited = time::Duration::ZERO;
    for wait in embargo_app::RETRY_AFTER {
        w.t.clock().advance(wait);
        waited += wait;
        w.t.run_jobs().await;
    }
    assert!(waited < time::Duration::days(1) + time::Duration::hours(1));
    let listed = w.t.get("/api/v1/orgs/pallets/webhooks", &w.org_team).await.expect(StatusCode::OK);
    let delivery = &listed.json[0]["deliveries"][0];
    assert_eq!(delivery["state"], "failed", "{delivery}");
    assert_eq!(delivery["attempts"], embargo_app::RETRY_AFTER.len() + 1);
    assert_eq!(delivery["response_status"], 503);
    assert_eq!(delivery["next_attempt_at"], Value::Null);
    assert_eq!(receiver.received().len(), embargo_app::RETRY_AFTER.len() + 1);
    w.finish().await;
}

#[tokio::test]
async fn bad_webhooks_are_refused_and_nothing_is_stored() {
    let w = World::new().await;
    for body in [
        json!({"url": "ftp://hooks.example/", "events": ["report.submitted"]}),
        json!({"url": "https://user:password@hooks.example/", "events": ["report.submitted"]}),
        json!({"url": "https://hooks.example/", "events": []}),
        json!({"url": "https://hooks.example/", "events": ["report.deleted"]}),
    ] {
        let reply = w.t.post("/api/v1/projects/pallets/flask/webhooks", body.clone(), &w.flask_team).await;
        assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY, "{body}: {}", reply.text);
        assert!(reply.json["error"].is_string(), "{}", reply.text);
    }
    let reply =
        w.t.post("/api/v1/projects/pallets/flask/webhooks", json!({"url": "https://hooks.example/"}), &w.flask_team)
            .await;
    assert_eq!(reply.status.as_u16() / 100, 4, "{}", reply.text);
    let listed = w.t.get("/api/v1/projects/pallets/flask/webhooks", &w.flask_team).await.expect(StatusCode::OK);
    assert_eq!(listed.json, json!([]));
    // Deleting one removes it; the audit log has both changes.
    let made =
        w.t.post(
            "/api/v1/projects/pallets/flask/webhooks",
            json!({"url": "https://hooks.example/x", "events": ["advisory.published"]}),
            &w.flask_team,
        )
        .await
        .expect(StatusCode::CREATED);
    let id = made.json["id"].as_str().unwrap();
    w.t.delete(&format!("/api/v1/projects/pallets/jinja/webhooks/{id}"), &w.org_team)
        .await
        .expect(StatusCode::NOT_FOUND);
    w.t.delete(&format!("/api/v1/projects/pallets/flask/webhooks/{id}"), &w.flask_team)
        .await
        .expect(StatusCode::NO_CONTENT);
    let listed = w.t.get("/api/v1/projects/pallets/flask/webhooks", &w.flask_team).await.expect(StatusCode::OK);
    assert_eq!(listed.json, json!([]));
    let audit = w.t.get("/api/v1/audit/events", &w.admin).await.expect(StatusCode::OK);
    assert!(audit.text.contains("webhook.created") && audit.text.contains("webhook.deleted"), "{}", audit.text);
    w.finish().await;
}

#[tokio::test]
async fn the_team_page_adds_a_webhook_shows_its_secret_once_and_lists_deliveries() {
    let w = World::new().await;
    let receiver = Receiver::start(0);
    let refused = w.t.form("/pallets/flask/team/webhooks", &[("url", receiver.url().as_str())], &w.flask_team).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY, "no event chosen");
    assert!(refused.text.contains("at least one event type"), "{}", refused.text);
    let made =
        w.t.form(
            "/pallets/flask/team/webhooks",
            &[("url", receiver.url().as_str()), ("events", "report.submitted")],
            &w.flask_team,
        )
        .await;
    assert_eq!(made.status, StatusCode::CREATED, "{}", made.text);
    let start = made.text.find("whsec_").expect("the secret is shown once");
    let shown: String = made.text[start..].chars().take_while(|c| !matches!(c, '<' | '"' | ' ')).collect();
    // As a browser shows it: HTML escapes undone.
    let secret = shown.replace("&#x2f;", "/").replace("&#x2b;", "+").replace("&#x3d;", "=");
    receiver.set_secret(&secret);
    w.report("flask", &w.alice, "MARKER-TITLE-page").await;
    w.t.run_jobs().await;
    let page = w.t.get("/pallets/flask/team", &w.flask_team).await.expect(StatusCode::OK);
    assert!(page.text.contains(&receiver.url()), "the webhook is listed");
    assert!(page.text.contains("report.submitted") && page.text.contains("delivered"), "{}", page.text);
    assert!(page.text.contains("200 thanks"), "the receiver's answer is shown");
    assert!(!page.text.contains(&secret), "the secret is not shown again");
    assert!(receiver.received().iter().all(|r| r["verified"] == true));
    w.finish().await;
}

#[tokio::test]
async fn two_workers_on_one_database_post_each_delivery_once() {
    for backend in Backend::available() {
        let w = World::on(backend).await;
        let receiver = Receiver::start(0);
        let made =
            w.t.post(
                "/api/v1/orgs/pallets/webhooks",
                json!({"url": receiver.url(), "events": ["report.submitted", "report.state_changed"]}),
                &w.org_team,
            )
            .await
            .expect(StatusCode::CREATED);
        receiver.set_secret(made.json["secret"].as_str().unwrap());
        for n in 0..4 {
            let (id, _) = w.report(if n % 2 == 0 { "flask" } else { "jinja" }, &w.alice, "A flaw").await;
            let team = if n % 2 == 0 { &w.flask_team } else { &w.jinja_team };
            w.transition(&id, "acknowledged", team).await.expect(StatusCode::OK);
        }
        // Two replicas' job runners at once, on the same database and the same receiver.
        let subscribers = embargo_app::Subscribers::standard(std::sync::Arc::new(embargo_app::LogNotifier));
        let (a, b) = (w.t.app.clone(), w.t.app.clone());
        let (one, two) = tokio::join!(
            a.run_due_jobs("replica-a", &subscribers, 1000),
            b.run_due_jobs("replica-b", &subscribers, 1000)
        );
        one.unwrap();
        two.unwrap();
        w.t.run_jobs().await;
        let received = receiver.received();
        assert_eq!(received.len(), 8, "four reports, two events each, each posted once: {received:?}");
        let mut ids: Vec<&str> = received.iter().map(|r| r["id"].as_str().unwrap()).collect();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), 8, "no delivery posted twice");
        w.finish().await;
    }
}

/// A VEX statement (issue 14, item 3) emits `vex_changed`; a webhook that
/// subscribed `advisory.vex_changed` hears it for a published advisory, with
/// the line and whether it is stated not affected, and hears nothing of a draft's.
#[tokio::test]
async fn vex_statements_reach_webhooks_for_published_advisories_only_issue_14() {
    for backend in Backend::available() {
        let w = World::on(backend).await;
        let receiver = Receiver::start(0);
        let made =
            w.t.post(
                "/api/v1/projects/pallets/flask/webhooks",
                json!({"url": receiver.url(), "events": ["advisory.vex_changed"]}),
                &w.flask_team,
            )
            .await
            .expect(StatusCode::CREATED);
        receiver.set_secret(made.json["secret"].as_str().unwrap());
        let record = json!({
            "id": "PSF-2026-3", "modified": "2026-03-01T12:00:00Z", "published": "2026-02-01T12:00:00Z",
            "summary": "Path traversal in send_file",
            "affected": [{"package": {"ecosystem": "PyPI", "name": "flask"},
                          "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "3.0.0"}, {"fixed": "3.1.1"}]}]}]
        });
        let file = embargo_app::ImportFile { name: "PSF-2026-3.json".into(), text: record.to_string() };
        w.t.app
            .import_osv(
                &embargo_core::permission::Actor::Operator,
                &embargo_testkit::slug_of("pallets"),
                &embargo_testkit::slug_of("flask"),
                vec![file],
                &|_| {},
            )
            .await
            .unwrap();
        w.t.put("/api/v1/projects/pallets/flask/release-lines/2.3", json!({"status": "security"}), &w.flask_team)
            .await
            .expect(StatusCode::OK);
        let (_, draft) = w.drafted("MARKER-DRAFT-5e1d").await;
        let statement = json!({"justification": "vulnerable_code_not_present"});
        w.t.put(&format!("/api/v1/advisories/{draft}/vex/2.3"), statement.clone(), &w.flask_team)
            .await
            .expect(StatusCode::OK);
        w.t.run_jobs().await;
        assert!(receiver.received().is_empty(), "a draft's statement went out: {:?}", receiver.received());

        w.t.put("/api/v1/advisories/PSF-2026-3/vex/2.3", statement, &w.flask_team).await.expect(StatusCode::OK);
        w.t.delete("/api/v1/advisories/PSF-2026-3/vex/2.3", &w.flask_team).await.expect(StatusCode::OK);
        w.t.run_jobs().await;
        let received = receiver.received();
        assert_eq!(received.len(), 2, "{received:?}");
        let mut said = Vec::new();
        for request in &received {
            assert_eq!(request["verified"], true);
            let body: Value = serde_json::from_str(request["body"].as_str().unwrap()).unwrap();
            assert_eq!(body["type"], "advisory.vex_changed");
            assert_eq!(body["data"]["advisory_id"], "PSF-2026-3");
            assert_eq!(body["data"]["line"], "2.3");
            assert_eq!(body["data"]["project"], "flask");
            said.push(body["data"]["not_affected"].as_bool().unwrap());
        }
        said.sort_unstable();
        assert_eq!(said, [false, true]);
        w.finish().await;
    }
}

#[tokio::test]
async fn the_team_resends_a_delivery_with_the_same_webhook_id_issue_11() {
    for backend in Backend::available() {
        let w = World::on(backend).await;
        // Fails every attempt of the first day, then answers.
        let attempts = u32::try_from(embargo_app::RETRY_AFTER.len()).unwrap() + 1;
        let receiver = Receiver::start(attempts);
        let made =
            w.t.post(
                "/api/v1/projects/pallets/flask/webhooks",
                json!({"url": receiver.url(), "events": ["report.submitted"]}),
                &w.flask_team,
            )
            .await
            .expect(StatusCode::CREATED);
        receiver.set_secret(made.json["secret"].as_str().unwrap());
        let hook = made.json["id"].as_str().unwrap().to_owned();
        w.report("flask", &w.alice, "A flaw").await;
        w.t.run_jobs().await;
        for wait in embargo_app::RETRY_AFTER {
            w.t.clock().advance(wait);
            w.t.run_jobs().await;
        }
        let listed = w.t.get("/api/v1/projects/pallets/flask/webhooks", &w.flask_team).await.expect(StatusCode::OK);
        let delivery = listed.json[0]["deliveries"][0]["id"].as_str().unwrap().to_owned();
        assert_eq!(listed.json[0]["deliveries"][0]["state"], "failed");

        // The team page offers a resend of the failed delivery; the receiver now takes it.
        let page = w.t.get("/pallets/flask/team", &w.flask_team).await.expect(StatusCode::OK);
        let action = format!("/pallets/flask/team/webhooks/{hook}/deliveries/{delivery}/resend");
        assert!(page.text.contains(&action), "a resend button");
        w.t.form(&action, &[], &w.flask_team).await.expect(StatusCode::SEE_OTHER);
        w.t.run_jobs().await;
        let listed = w.t.get("/api/v1/projects/pallets/flask/webhooks", &w.flask_team).await.expect(StatusCode::OK);
        assert_eq!(listed.json[0]["deliveries"][0]["state"], "delivered", "{}", listed.text);

        // The API resends a delivered one too; one waiting already is not resent twice.
        let api = format!("/api/v1/projects/pallets/flask/webhooks/{hook}/deliveries/{delivery}/resend");
        w.t.post(&api, json!({}), &w.flask_team).await.expect(StatusCode::ACCEPTED);
        w.t.post(&api, json!({}), &w.flask_team).await.expect(StatusCode::CONFLICT);
        w.t.post(&api, json!({}), &w.jinja_team).await.expect(StatusCode::FORBIDDEN);
        w.t.run_jobs().await;
        let received = receiver.received();
        assert_eq!(received.len(), usize::try_from(attempts).unwrap() + 2);
        assert!(received.iter().all(|r| r["id"] == received[0]["id"] && r["verified"] == true), "{received:?}");
        let events = w.t.get("/api/v1/audit/events", &w.admin).await.expect(StatusCode::OK);
        assert_eq!(
            events.json.as_array().unwrap().iter().filter(|e| e["action"] == "webhook.delivery_resent").count(),
            2
        );
        w.finish().await;
    }
}
