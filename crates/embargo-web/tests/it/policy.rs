//! The example policies drive the process: each of the three organisations'
//! own way of working runs through the API.

use embargo_testkit::{Auth, Backend, TestApp};
use embargo_web::WebConfig;
use http::{Method, StatusCode};
use serde_json::{Value, json};

fn example(name: &str) -> String {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/policies").join(name);
    std::fs::read_to_string(path).unwrap()
}

/// An instance with one example organisation, its project, a team member and a reporter.
async fn instance(org: &str, project: &str, files: &[(&str, &str)]) -> (TestApp, Auth, Auth) {
    instance_at("http://127.0.0.1:8080", org, project, files).await
}

async fn instance_at(public_url: &str, org: &str, project: &str, files: &[(&str, &str)]) -> (TestApp, Auth, Auth) {
    let config = WebConfig { public_url: public_url.into(), ..WebConfig::default() };
    let t = TestApp::on(Backend::Sqlite, config).await;
    t.organisation(org).await;
    t.project(org, project).await;
    for (target, file) in files {
        t.policy(target, &example(file)).await;
    }
    let team = t.user(&format!("team@{org}.example"), false).await;
    t.member(org, &format!("team@{org}.example")).await;
    let reporter = t.user("reporter@researcher.example", false).await;
    (t, team, reporter)
}

async fn submit(t: &TestApp, path: &str, body: Value, auth: &Auth) -> Value {
    t.post(&format!("/api/v1/projects/{path}/reports"), body, auth).await.expect(StatusCode::CREATED).json
}

async fn advance(t: &TestApp, id: &str, team: &Auth, states: &[&str]) {
    for to in states {
        t.post(&format!("/api/v1/reports/{id}/transitions"), json!({"to": to}), team).await.expect(StatusCode::OK);
    }
}

fn codes(notices: &Value) -> Vec<String> {
    notices.as_array().unwrap().iter().map(|n| n["code"].as_str().unwrap().to_owned()).collect()
}

#[tokio::test]
async fn shared_policy_organisation_backports_to_the_previous_line_on_request() {
    let (t, team, reporter) = instance(
        "lanternworks",
        "lantern",
        &[("lanternworks", "lanternworks.toml"), ("lanternworks/lantern", "lanternworks-lantern.toml")],
    )
    .await;
    // A second project inherits the whole organisation policy.
    t.project("lanternworks", "wick").await;
    let wick = t.get("/api/v1/projects/lanternworks/wick/policy", &Auth::None).await.expect(StatusCode::OK).json;
    assert_eq!(wick["sources"]["releases.fix_on_request"], "organisation");
    assert_eq!(wick["policy"]["channels"]["email"], "security@lanternworks.example");

    let receipt = submit(
        &t,
        "lanternworks/lantern",
        json!({"title": "Open redirect after sign-in", "body": "next= accepts absolute URLs.", "lines": ["3.2", "3.1"]}),
        &reporter,
    )
    .await;
    assert_eq!(codes(&receipt["notices"]), ["missing_field", "missing_field"], "versions and PoC are asked for");
    let id = receipt["id"].as_str().unwrap().to_owned();
    advance(&t, &id, &team, &["acknowledged", "triaging", "accepted"]).await;

    let report = t.get(&format!("/api/v1/reports/{id}"), &team).await.expect(StatusCode::OK).json;
    let eligibility = &report["team"]["eligibility"];
    assert_eq!(eligibility["cve"], true);
    assert_eq!(eligibility["fix_by_default"], json!(["3.2"]));
    assert_eq!(eligibility["fix_on_request"], json!(["3.1"]), "the previous line gets the fix only on request");

    t.post(&format!("/api/v1/reports/{id}/messages"), json!({"body": "Please backport to 3.1: we run it."}), &reporter)
        .await
        .expect(StatusCode::CREATED);
    let decided = t
        .patch(&format!("/api/v1/reports/{id}"), json!({"fix_lines": ["3.2", "3.1"]}), &team)
        .await
        .expect(StatusCode::OK)
        .json;
    assert_eq!(decided["team"]["fix_lines"], json!(["3.2", "3.1"]));
    let unknown = t.patch(&format!("/api/v1/reports/{id}"), json!({"fix_lines": ["2.0"]}), &team).await;
    assert_eq!(unknown.expect(StatusCode::UNPROCESSABLE_ENTITY).json["fields"][0]["field"], "fix_lines");
    t.run_jobs().await;
    t.finish().await;
}

#[tokio::test]
async fn runtime_declines_for_a_named_criterion_and_gives_cves_only_to_stable_lines() {
    let (t, team, reporter) =
        instance("orbit-lang", "orbit", &[("orbit-lang", "orbit.toml"), ("orbit-lang/orbit", "orbit-orbit.toml")])
            .await;
    let base = json!({"title": "Crash in the tokenizer", "body": "A long literal crashes the tokenizer."});

    // The policy requires the versions tested and found vulnerable.
    let refused = t.post("/api/v1/projects/orbit-lang/orbit/reports", base.clone(), &reporter).await;
    let fields: Vec<String> = refused.expect(StatusCode::UNPROCESSABLE_ENTITY).json["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["field"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(fields, ["versions_tested", "versions_vulnerable"]);
    let unknown_model = t
        .post(
            "/api/v1/projects/orbit-lang/orbit/reports/check",
            json!({"title": "x", "body": "y", "versions_tested": "3.14", "versions_vulnerable": "3.14", "threat_model": "mine"}),
            &reporter,
        )
        .await;
    assert!(unknown_model.expect(StatusCode::UNPROCESSABLE_ENTITY).text.contains("untrusted-input"));

    // Declined for a named criterion; the reporter receives its explanation.
    let mut declined = base.clone();
    declined["versions_tested"] = json!("3.14.2");
    declined["versions_vulnerable"] = json!("3.14.2");
    declined["body"] = json!("Setting ORBITPATH to a hostile directory runs its code. CVSS 9.8");
    let receipt = submit(&t, "orbit-lang/orbit", declined, &reporter).await;
    assert!(codes(&receipt["notices"]).contains(&"reporter_severity".to_owned()));
    let id = receipt["id"].as_str().unwrap().to_owned();
    advance(&t, &id, &team, &["acknowledged", "triaging"]).await;
    let without = t
        .post(&format!("/api/v1/reports/{id}/transitions"), json!({"to": "not_vulnerable", "reason": "no"}), &team)
        .await;
    let message =
        without.expect(StatusCode::UNPROCESSABLE_ENTITY).json["fields"][0]["message"].as_str().unwrap().to_owned();
    assert!(message.contains("launch-conditions"), "{message}");
    t.post(
        &format!("/api/v1/reports/{id}/transitions"),
        json!({"to": "not_vulnerable", "criterion": "launch-conditions"}),
        &team,
    )
    .await
    .expect(StatusCode::OK);
    let seen = t.get(&format!("/api/v1/reports/{id}"), &reporter).await.expect(StatusCode::OK).json;
    let reason = seen["history"][3]["reason"].as_str().unwrap();
    assert!(reason.starts_with("Needs control of how the runtime is launched:"), "{reason}");

    // Accepted: a CVE only for the bugfix and security lines.
    let receipt = submit(
        &t,
        "orbit-lang/orbit",
        json!({
            "title": "Heap overflow in string literals",
            "body": "Literals over 2 GiB overflow a 32-bit counter.",
            "versions_tested": "3.15.0a3, 3.14.2, 3.13.9, 3.11.12",
            "versions_vulnerable": "all",
            "lines": ["3.15", "3.14", "3.13", "3.11"],
            "threat_model": "untrusted-input",
            "proof_of_concept": "exit 1"
        }),
        &reporter,
    )
    .await;
    assert_eq!(codes(&receipt["notices"]), Vec::<String>::new());
    let id = receipt["id"].as_str().unwrap().to_owned();
    advance(&t, &id, &team, &["acknowledged", "triaging", "accepted"]).await;
    let report = t.get(&format!("/api/v1/reports/{id}"), &team).await.expect(StatusCode::OK).json;
    assert_eq!(report["team"]["eligibility"]["cve_lines"], json!(["3.14", "3.13"]));
    assert_eq!(report["team"]["eligibility"]["unsupported"], json!(["3.15", "3.11"]));
    let advisory =
        t.post(&format!("/api/v1/reports/{id}/advisory"), json!({}), &team).await.expect(StatusCode::CREATED).json;
    let advisory_id = advisory["id"].as_str().unwrap().to_owned();
    assert!(advisory_id.starts_with("ORBIT-"), "the organisation's prefix: {advisory_id}");
    assert_eq!(advisory["eligibility"]["cve"], true);
    let with_cve =
        t.post(&format!("/api/v1/advisories/{advisory_id}/cve"), json!({}), &team).await.expect(StatusCode::OK).json;
    assert_eq!(with_cve["draft"]["aliases"], json!(["CVE-2026-55001"]));
    let again = t.post(&format!("/api/v1/advisories/{advisory_id}/cve"), json!({}), &team).await;
    assert_eq!(again.expect(StatusCode::CONFLICT).json["error"], "cve_unavailable");

    // A report on the prerelease only is told so, and gets no CVE.
    let receipt = submit(
        &t,
        "orbit-lang/orbit",
        json!({"title": "Crash in 3.15", "body": "b", "versions_tested": "3.15.0a3", "versions_vulnerable": "3.15.0a3", "lines": ["3.15"]}),
        &reporter,
    )
    .await;
    assert!(codes(&receipt["notices"]).contains(&"unsupported_lines".to_owned()));
    let id = receipt["id"].as_str().unwrap().to_owned();
    advance(&t, &id, &team, &["acknowledged", "triaging", "accepted"]).await;
    let advisory =
        t.post(&format!("/api/v1/reports/{id}/advisory"), json!({}), &team).await.expect(StatusCode::CREATED).json;
    let refused =
        t.post(&format!("/api/v1/advisories/{}/cve", advisory["id"].as_str().unwrap()), json!({}), &team).await;
    assert!(refused.expect(StatusCode::CONFLICT).json["message"].as_str().unwrap().contains("not eligible"));
    t.run_jobs().await;
    t.finish().await;
}

#[tokio::test]
async fn container_service_tells_reporters_of_old_builds_that_only_the_latest_is_supported() {
    let (t, team, reporter) = instance(
        "harbor-relay",
        "relay",
        &[("harbor-relay", "harbor-relay.toml"), ("harbor-relay/relay", "harbor-relay-relay.toml")],
    )
    .await;
    let receipt = submit(
        &t,
        "harbor-relay/relay",
        json!({"title": "Unbounded job payloads", "body": "A 2 GB payload exhausts memory.", "component": "API", "lines": ["older"]}),
        &reporter,
    )
    .await;
    let notice = receipt["notices"].as_array().unwrap().iter().find(|n| n["code"] == "only_latest_supported").unwrap();
    assert!(notice["message"].as_str().unwrap().contains("Only the latest build (main) is supported"));
    assert!(receipt["acknowledge_by"].is_string(), "the policy promises an acknowledgement");
    let id = receipt["id"].as_str().unwrap().to_owned();
    let mine = t.get(&format!("/api/v1/reports/{id}"), &reporter).await.expect(StatusCode::OK).json;
    assert!(codes(&mine["notices"]).contains(&"only_latest_supported".to_owned()), "the notice stays on the report");
    let teams = t.get(&format!("/api/v1/reports/{id}"), &team).await.expect(StatusCode::OK).json;
    assert_eq!(teams["team"]["eligibility"]["cve"], false);
    let bad = t
        .post(
            "/api/v1/projects/harbor-relay/relay/reports",
            json!({"title": "t", "body": "b", "lines": ["v1.2"]}),
            &reporter,
        )
        .await;
    assert!(bad.expect(StatusCode::UNPROCESSABLE_ENTITY).text.contains("main, older"));
    let md = t.get("/api/v1/projects/harbor-relay/relay/security.md", &Auth::None).await.expect(StatusCode::OK);
    assert!(md.text.contains("Only the latest build (main) is supported"));
    assert!(md.text.contains("Denial of service through unrealistic traffic volumes"));
    t.run_jobs().await;
    t.finish().await;
}

#[tokio::test]
async fn policy_files_round_trip_through_the_api_and_errors_name_the_line() {
    let (t, team, _) = instance("orbit-lang", "orbit", &[]).await;
    let admin = t.user("admin@example.org", true).await;
    let put = |path: &'static str, body: String, auth: Auth| {
        let t = &t;
        async move { t.call_raw(Method::PUT, path, "application/toml", &body, &auth).await }
    };
    put("/api/v1/orgs/orbit-lang/policy", example("orbit.toml"), team.clone()).await.expect(StatusCode::OK);
    let shown = t.get("/api/v1/orgs/orbit-lang/policy.toml", &Auth::None).await.expect(StatusCode::OK);
    assert_eq!(shown.headers["content-type"], "application/toml; charset=utf-8");
    put("/api/v1/orgs/orbit-lang/policy", shown.text.clone(), admin.clone()).await.expect(StatusCode::OK);
    let again = t.get("/api/v1/orgs/orbit-lang/policy.toml", &Auth::None).await.expect(StatusCode::OK);
    assert_eq!(again.text, shown.text, "show after apply gives the same TOML");

    let broken =
        put("/api/v1/orgs/orbit-lang/policy", "[channels]\nweb_form = true\nwebfrom = false\n".into(), team.clone())
            .await;
    let message =
        broken.expect(StatusCode::UNPROCESSABLE_ENTITY).json["fields"][0]["message"].as_str().unwrap().to_owned();
    assert!(message.contains("line 3") && message.contains("webfrom"), "{message}");
    let json_body = t.put("/api/v1/orgs/orbit-lang/policy", json!({"channels": {}}), &team).await;
    assert_eq!(json_body.expect(StatusCode::UNSUPPORTED_MEDIA_TYPE).json["error"], "unsupported_media_type");
    let unchanged = t.get("/api/v1/orgs/orbit-lang/policy.toml", &Auth::None).await.expect(StatusCode::OK);
    assert_eq!(unchanged.text, shown.text, "a refused file changes nothing");

    // A project's file lists its lines; provenance says what is overridden.
    put("/api/v1/projects/orbit-lang/orbit/policy", example("orbit-orbit.toml"), team.clone())
        .await
        .expect(StatusCode::OK);
    let lines = t.get("/api/v1/projects/orbit-lang/orbit/release-lines", &Auth::None).await.expect(StatusCode::OK).json;
    let names: Vec<&str> = lines.as_array().unwrap().iter().map(|l| l["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["4.0", "3.15", "3.14", "3.13", "3.12", "3.11"], "newest first");
    let project = t.get("/api/v1/projects/orbit-lang/orbit/policy.toml", &Auth::None).await.expect(StatusCode::OK);
    assert!(!project.text.contains("cve_pool"), "organisation-only fields are not offered to projects");
    let sources = t.get("/api/v1/projects/orbit-lang/orbit/policy", &Auth::None).await.expect(StatusCode::OK).json;
    assert_eq!(sources["sources"]["threat_models"], "organisation");
    assert_eq!(sources["sources"]["disclosure.embargo"], "organisation", "made explicit by re-applying the shown file");
    assert_eq!(sources["sources"]["channels.openpgp_key"], "default");
    t.finish().await;
}

#[tokio::test]
async fn attachments_are_text_only_and_shares_are_redacted() {
    use base64::Engine as _;
    let b64 = |bytes: &[u8]| base64::engine::general_purpose::STANDARD.encode(bytes);
    let (t, team, reporter) =
        instance("orbit-lang", "orbit", &[("orbit-lang", "orbit.toml"), ("orbit-lang/orbit", "orbit-orbit.toml")])
            .await;
    let report = |attachments: Value| {
        json!({"title": "Crash on Haiku", "body": "The tokenizer crashes.", "versions_tested": "3.14.2",
               "versions_vulnerable": "3.14.2", "platform": "Haiku", "reporter_name": "Ada Lovelace",
               "attachments": attachments})
    };
    let pdf = t
        .post(
            "/api/v1/projects/orbit-lang/orbit/reports",
            report(json!([{"filename": "poc.txt", "content_base64": b64(b"%PDF-1.7 ...")}])),
            &reporter,
        )
        .await;
    let message =
        pdf.expect(StatusCode::UNPROCESSABLE_ENTITY).json["fields"][0]["message"].as_str().unwrap().to_owned();
    assert!(message.contains("poc.txt looks like a PDF document"), "{message}");
    let receipt = submit(
        &t,
        "orbit-lang/orbit",
        report(json!([{"filename": "poc.orb", "content_base64": b64(b"print('x' * 2**31)\n")}])),
        &reporter,
    )
    .await;
    assert!(codes(&receipt["notices"]).contains(&"unsupported_platform".to_owned()));
    let id = receipt["id"].as_str().unwrap().to_owned();
    t.post(
        &format!("/api/v1/reports/{id}/messages"),
        json!({"body": "Internal: port owners know", "visibility": "internal"}),
        &team,
    )
    .await
    .expect(StatusCode::CREATED);

    let shares = t
        .post(&format!("/api/v1/reports/{id}/shares"), json!({"platform": "haiku"}), &team)
        .await
        .expect(StatusCode::CREATED);
    assert_eq!(shares.json[0]["party"], "orbit-haiku@ports.example");
    let token = Auth::Bearer(shares.json[0]["token"].as_str().unwrap().to_owned());
    let copy = t.get(&format!("/api/v1/reports/{id}"), &token).await.expect(StatusCode::OK);
    assert_eq!(copy.json["viewer"], "interested-party");
    assert_eq!(copy.json["reporter_name"], json!(null), "who reported it is redacted");
    assert_eq!(copy.json["messages"], json!([]));
    assert_eq!(copy.json["attachments"][0]["text"], "print('x' * 2**31)\n");
    assert!(!copy.text.contains("Ada Lovelace") && !copy.text.contains("Internal"));
    t.post(&format!("/api/v1/reports/{id}/messages"), json!({"body": "hi"}), &token)
        .await
        .expect(StatusCode::NOT_FOUND);
    t.get("/api/v1/reports", &token).await.expect(StatusCode::FORBIDDEN);
    let teams = t.get(&format!("/api/v1/reports/{id}"), &team).await.expect(StatusCode::OK).json;
    assert_eq!(teams["team"]["shares"][0]["platform"], "Haiku");
    assert!(teams["team"]["shares"][0].get("token").is_none(), "tokens are shown once");
    t.run_jobs().await;
    t.finish().await;
}

/// A `multipart/form-data` body of text fields, as a browser sends the report form.
fn multipart(fields: &[(&str, &str)]) -> String {
    let mut body = String::new();
    for (name, value) in fields {
        body.push_str(&format!("--XYZ\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"));
    }
    body.push_str("--XYZ--\r\n");
    body
}

#[tokio::test]
async fn the_report_form_checks_against_the_policy_before_sending_and_stores_nothing() {
    let (t, team, _) =
        instance("orbit-lang", "orbit", &[("orbit-lang", "orbit.toml"), ("orbit-lang/orbit", "orbit-orbit.toml")])
            .await;
    let fields = [
        ("title", "Crash on Haiku"),
        ("body", "The tokenizer crashes. CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"),
        ("versions_tested", "3.11.4"),
        ("versions_vulnerable", "3.11.4"),
        ("lines", "3.11"),
        ("platform", "Haiku"),
        ("action", "check"),
    ];
    let checked = t
        .call_raw(
            Method::POST,
            "/orbit-lang/orbit/report",
            "multipart/form-data; boundary=XYZ",
            &multipart(&fields),
            &Auth::None,
        )
        .await
        .expect(StatusCode::OK);
    assert!(checked.text.contains("What the policy says about your report"), "{}", checked.text);
    for said in ["not the team", "Haiku", "3.11"] {
        assert!(checked.text.contains(said), "the check does not mention {said}");
    }
    assert!(checked.text.contains("value=\"3.11.4\""), "the input is kept");
    let queue = t.get("/api/v1/reports", &team).await.expect(StatusCode::OK).json;
    assert_eq!(queue.as_array().unwrap().len(), 0, "checking stored a report");
    let mut send = fields.to_vec();
    send.pop();
    send.push(("action", "send"));
    let sent = t
        .call_raw(
            Method::POST,
            "/orbit-lang/orbit/report",
            "multipart/form-data; boundary=XYZ",
            &multipart(&send),
            &Auth::None,
        )
        .await
        .expect(StatusCode::SEE_OTHER);
    assert!(sent.headers["location"].to_str().unwrap().ends_with("/receipt"));
    let queue = t.get("/api/v1/reports", &team).await.expect(StatusCode::OK).json;
    assert_eq!(queue.as_array().unwrap().len(), 1);
    t.run_jobs().await;
    t.finish().await;
}

#[tokio::test]
async fn a_share_made_on_the_report_page_opens_a_redacted_read_only_page() {
    let (t, team, reporter) =
        instance("orbit-lang", "orbit", &[("orbit-lang", "orbit.toml"), ("orbit-lang/orbit", "orbit-orbit.toml")])
            .await;
    let body = json!({"title": "Crash on Haiku", "body": "The tokenizer crashes.", "versions_tested": "3.14.2",
                      "versions_vulnerable": "3.14.2", "platform": "Haiku", "reporter_name": "Ada Lovelace"});
    let id = submit(&t, "orbit-lang/orbit", body, &reporter).await["id"].as_str().unwrap().to_owned();
    t.form(
        &format!("/reports/{id}/messages"),
        &[("body", "Internal: port owners know"), ("visibility", "internal")],
        &team,
    )
    .await
    .expect(StatusCode::SEE_OTHER);
    let shared = t.form(&format!("/reports/{id}/share"), &[("platform", "Haiku")], &team).await.expect(StatusCode::OK);
    let link = shared.text.split("/shared/").nth(1).and_then(|rest| rest.split('<').next()).unwrap().to_owned();
    assert!(shared.text.contains("orbit-haiku@ports.example") && shared.text.contains("not shown again"));
    let again = t.get(&format!("/reports/{id}"), &team).await.expect(StatusCode::OK);
    assert!(!again.text.contains(&link), "a share link is shown once");

    let opened = t.get(&format!("/shared/{link}"), &Auth::None).await.expect(StatusCode::SEE_OTHER);
    assert_eq!(opened.headers["location"], format!("/reports/{id}"));
    let party = Auth::Link(link);
    let copy = t.get(&format!("/reports/{id}"), &party).await.expect(StatusCode::OK);
    assert!(copy.text.contains("read-only copy") && copy.text.contains("The tokenizer crashes."));
    for private in ["Ada Lovelace", "port owners know", "Conversation", "name=\"body\""] {
        assert!(!copy.text.contains(private), "the shared copy shows {private}");
    }
    t.form(&format!("/reports/{id}/messages"), &[("body", "hi")], &party).await.expect(StatusCode::NOT_FOUND);
    t.get("/reports", &party).await.expect(StatusCode::FORBIDDEN);
    t.run_jobs().await;
    t.finish().await;
}

#[tokio::test]
async fn deadlines_show_in_the_queue_and_closed_channels_refuse() {
    let (t, team, reporter) =
        instance("orbit-lang", "orbit", &[("orbit-lang", "orbit.toml"), ("orbit-lang/orbit", "orbit-orbit.toml")])
            .await;
    let receipt = submit(
        &t,
        "orbit-lang/orbit",
        json!({"title": "t", "body": "b", "versions_tested": "3.14", "versions_vulnerable": "3.14"}),
        &reporter,
    )
    .await;
    let queue = t.get("/api/v1/reports", &team).await.expect(StatusCode::OK).json;
    assert_eq!(queue[0]["deadline"]["kind"], "acknowledge");
    assert_eq!(queue[0]["deadline"]["overdue"], false);
    t.clock().advance(time::Duration::days(8));
    let queue = t.get("/api/v1/reports", &team).await.expect(StatusCode::OK).json;
    assert_eq!(queue[0]["deadline"]["overdue"], true, "seven days promised, eight passed");
    advance(&t, receipt["id"].as_str().unwrap(), &team, &["acknowledged"]).await;
    let queue = t.get("/api/v1/reports", &team).await.expect(StatusCode::OK).json;
    assert_eq!(queue[0]["deadline"]["kind"], "triage");

    t.policy("orbit-lang/orbit", "[channels]\napi = false\n").await;
    let closed =
        t.post("/api/v1/projects/orbit-lang/orbit/reports", json!({"title": "t", "body": "b"}), &reporter).await;
    assert_eq!(closed.expect(StatusCode::FORBIDDEN).json["error"], "channel_closed");
    t.run_jobs().await;
    t.finish().await;
}

#[tokio::test]
async fn banned_reporters_may_read_but_not_submit() {
    let (t, team, reporter) =
        instance("orbit-lang", "orbit", &[("orbit-lang", "orbit.toml"), ("orbit-lang/orbit", "orbit-orbit.toml")])
            .await;
    let admin = t.user("admin@example.org", true).await;
    let body = json!({"title": "spam", "body": "buy now", "versions_tested": "x", "versions_vulnerable": "x"});
    let mut last = String::new();
    for _ in 0..3 {
        last = submit(&t, "orbit-lang/orbit", body.clone(), &reporter).await["id"].as_str().unwrap().to_owned();
        advance(&t, &last, &team, &["spam"]).await;
    }
    let seen = t.get(&format!("/api/v1/reports/{last}"), &team).await.expect(StatusCode::OK).json;
    assert_eq!(seen["team"]["reporter_record"]["spam"], 3);
    assert_eq!(seen["team"]["reporter_record"]["ban_suggested"], true, "the policy bans after three");
    let me = t.get("/api/v1/session", &reporter).await.expect(StatusCode::OK).json;
    let id = me["user"]["id"].as_str().unwrap();
    t.put(&format!("/api/v1/users/{id}/ban"), json!({"banned": true}), &admin).await.expect(StatusCode::OK);
    let refused = t
        .post("/api/v1/projects/orbit-lang/orbit/reports", body.clone(), &reporter)
        .await
        .expect(StatusCode::FORBIDDEN);
    // The refusal names the policy's rule and whom to write to (issue 12).
    assert_eq!(refused.json["error"], "banned");
    let message = refused.json["message"].as_str().unwrap();
    assert!(message.contains("https://orbit-lang.example/community/conduct"), "{message}");
    assert!(message.contains("after 3 reports declined"), "{message}");
    assert!(message.contains("to appeal, write to security@orbit-lang.example"), "{message}");
    t.get(&format!("/api/v1/reports/{last}"), &reporter).await.expect(StatusCode::OK);
    t.run_jobs().await;
    t.finish().await;
}

#[tokio::test]
async fn a_ban_holds_for_the_same_address_reporting_anonymously_issue_12() {
    let (t, team, reporter) =
        instance("orbit-lang", "orbit", &[("orbit-lang", "orbit.toml"), ("orbit-lang/orbit", "orbit-orbit.toml")])
            .await;
    let admin = t.user("admin@example.org", true).await;
    let me = t.get("/api/v1/session", &reporter).await.expect(StatusCode::OK).json;
    let id = me["user"]["id"].as_str().unwrap();
    t.put(&format!("/api/v1/users/{id}/ban"), json!({"banned": true}), &admin).await.expect(StatusCode::OK);
    let queue =
        || async { t.get("/api/v1/reports", &team).await.expect(StatusCode::OK).json.as_array().unwrap().len() };
    let before = queue().await;
    let anonymous = |email: &str| {
        json!({"title": "again", "body": "buy now", "versions_tested": "x", "versions_vulnerable": "x",
               "reporter_email": email})
    };
    // The API: the same address, written otherwise, is refused with the rule.
    let refused = t
        .post("/api/v1/projects/orbit-lang/orbit/reports", anonymous("Reporter@Researcher.example"), &Auth::None)
        .await
        .expect(StatusCode::FORBIDDEN);
    assert_eq!(refused.json["error"], "banned");
    assert!(refused.json["message"].as_str().unwrap().contains("to appeal, write to security@orbit-lang.example"));
    // The page: the same refusal, said on a page (no script needed).
    let fields = [
        ("title", "again"),
        ("body", "buy now"),
        ("versions_tested", "x"),
        ("versions_vulnerable", "x"),
        ("reporter_email", "reporter@researcher.example"),
    ];
    let page = t
        .call_raw(
            Method::POST,
            "/orbit-lang/orbit/report",
            "multipart/form-data; boundary=XYZ",
            &multipart(&fields),
            &Auth::None,
        )
        .await
        .expect(StatusCode::FORBIDDEN);
    assert!(page.text.contains("You may not report here"), "{}", page.text);
    assert!(page.text.contains("https://orbit-lang.example/community/conduct"), "{}", page.text);
    assert!(!page.text.contains("reporter@researcher.example"), "the page does not repeat whose address it is");
    assert_eq!(queue().await, before, "nothing was filed");
    // Anyone else still reports anonymously.
    submit(&t, "orbit-lang/orbit", anonymous("someone@else.example"), &Auth::None).await;
    assert_eq!(queue().await, before + 1);
    t.run_jobs().await;
    t.finish().await;
}

#[tokio::test]
async fn security_txt_passes_the_validator() {
    // Over plain HTTP the file may hold no web URIs (RFC 9116 section 2.5.3).
    let (plain, _, _) = instance("orbit-lang", "orbit", &[("orbit-lang", "orbit.toml")]).await;
    let reply = plain.get("/.well-known/security.txt", &Auth::None).await.expect(StatusCode::OK);
    assert!(reply.text.contains("Contact: mailto:security@orbit-lang.example\n"));
    assert!(!reply.text.contains("http://"), "{}", reply.text);
    plain.finish().await;

    let base = "https://security.orbit-lang.example";
    let (t, _, _) = instance_at(base, "orbit-lang", "orbit", &[("orbit-lang", "orbit.toml")]).await;
    t.clock().set(time::OffsetDateTime::now_utc());
    let reply = t.get("/.well-known/security.txt", &Auth::None).await.expect(StatusCode::OK);
    assert!(reply.text.contains("Contact: https://security.orbit-lang.example/orbit-lang/report\n"));
    assert!(reply.text.contains("Canonical: https://security.orbit-lang.example/.well-known/security.txt\n"));
    let Some(tool) = std::env::var("EMBARGO_CONFORMANCE_DIR")
        .ok()
        .map(|dir| std::path::Path::new(&dir).join("../tools/validate-securitytxt"))
        .filter(|p| p.exists())
    else {
        eprintln!("EMBARGO_CONFORMANCE_DIR is unset: security.txt was not run through the sectxt validator");
        t.finish().await;
        return;
    };
    let file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(file.path(), &reply.text).unwrap();
    let out = std::process::Command::new(tool)
        .arg("--canonical-url")
        .arg(format!("{base}/.well-known/security.txt"))
        .arg(file.path())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "sectxt: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    t.finish().await;
}

#[tokio::test]
async fn security_txt_is_clear_signed_with_the_organisation_key_once_per_text() {
    let base = "https://security.orbit-lang.example";
    let (t, _, _) = instance_at(base, "orbit-lang", "orbit", &[("orbit-lang", "orbit.toml")]).await;
    t.clock().set(time::macros::datetime!(2026-11-22 09:30 UTC));
    let get = || async { t.get("/.well-known/security.txt", &Auth::None).await.expect(StatusCode::OK).text };
    let plain = get().await;
    assert!(!plain.contains("PGP") && !plain.contains("Encryption:"), "no key, no signature: {plain}");
    assert!(plain.contains("Expires: 2027-05-21T00:00:00.000Z\n"), "180 days from the start of the day: {plain}");
    t.get("/api/v1/orgs/orbit-lang/openpgp.asc", &Auth::None).await.expect(StatusCode::NOT_FOUND);

    let public_key = t.org_key("orbit-lang").await;
    let served_key = t.get("/api/v1/orgs/orbit-lang/openpgp.asc", &Auth::None).await.expect(StatusCode::OK);
    assert_eq!(served_key.text, public_key, "the key it is signed with is published");
    let signed = get().await;
    let body = plain.replace(
        "Acknowledgments:",
        &format!("Encryption: {base}/api/v1/orgs/orbit-lang/openpgp.asc\nAcknowledgments:"),
    );
    let head = format!("-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA256\n\n{body}-----BEGIN PGP SIGNATURE-----\n");
    assert!(signed.starts_with(&head), "{signed}");
    assert!(signed.ends_with("-----END PGP SIGNATURE-----\n"), "{signed}");

    t.clock().advance(time::Duration::hours(2));
    assert_eq!(get().await, signed, "the same text keeps its signature");
    t.clock().advance(time::Duration::days(1));
    let tomorrow = get().await;
    assert!(tomorrow.contains("Expires: 2027-05-22T00:00:00.000Z\n"), "{tomorrow}");
    assert!(tomorrow.starts_with("-----BEGIN PGP SIGNED MESSAGE-----\n"), "{tomorrow}");

    let languages = example("orbit.toml").replace(r#"languages = ["en"]"#, r#"languages = ["en", "de"]"#);
    t.policy("orbit-lang", &languages).await;
    let changed = get().await;
    assert!(changed.contains("Preferred-Languages: en, de\n") && changed.contains("BEGIN PGP SIGNATURE"), "{changed}");

    let owner = embargo_app::KeyFor::Organisation(embargo_testkit::slug_of("orbit-lang"));
    t.app.remove_openpgp_key(&embargo_core::permission::Actor::Operator, &owner).await.unwrap();
    let unsigned = get().await;
    assert!(!unsigned.contains("PGP"), "without the key, unsigned again: {unsigned}");
    t.finish().await;
}

#[tokio::test]
async fn issue_16_experimental_reports_get_no_cve_and_the_report_page_names_fix_lines() {
    let (t, team, reporter) =
        instance("orbit-lang", "orbit", &[("orbit-lang", "orbit.toml"), ("orbit-lang/orbit", "orbit-orbit.toml")])
            .await;
    let receipt = submit(
        &t,
        "orbit-lang/orbit",
        json!({
            "title": "JIT miscompiles bounds checks",
            "body": "The JIT drops a bounds check.",
            "component": "the jit compiler",
            "versions_tested": "3.14.2",
            "versions_vulnerable": "3.14.2",
            "lines": ["3.14", "3.13"]
        }),
        &reporter,
    )
    .await;
    assert!(codes(&receipt["notices"]).contains(&"experimental_feature".to_owned()));
    let id = receipt["id"].as_str().unwrap().to_owned();
    advance(&t, &id, &team, &["acknowledged", "triaging", "accepted"]).await;
    let report = t.get(&format!("/api/v1/reports/{id}"), &team).await.expect(StatusCode::OK).json;
    assert_eq!(report["team"]["eligibility"]["cve"], false, "{report}");
    let page = t.get(&format!("/reports/{id}"), &team).await.expect(StatusCode::OK).text;
    assert!(page.contains("jit is an experimental feature"), "the page says why");
    assert!(!page.contains("A CVE may be requested"), "no CVE sentence for an experimental feature");
    assert!(page.contains("Fixed by default in 3.14, 3.13."), "the fix lines are named");
    assert!(page.contains("What the reporter was told at intake"), "the team reads what the reporter was told");
    // Issue 16: the reporter's page speaks to the reporter.
    let mine = t.get(&format!("/reports/{id}"), &reporter).await.expect(StatusCode::OK).text;
    assert!(mine.contains("What the security policy says about your report"), "addressed to the reader");
    assert!(!mine.contains("What the reporter was told"), "not in the third person");
    let advisory = t.post(&format!("/api/v1/reports/{id}/advisory"), json!({}), &team).await;
    let advisory = advisory.expect(StatusCode::CREATED).json;
    let refused =
        t.post(&format!("/api/v1/advisories/{}/cve", advisory["id"].as_str().unwrap()), json!({}), &team).await;
    assert!(refused.expect(StatusCode::CONFLICT).json["message"].as_str().unwrap().contains("experimental feature"));
    t.run_jobs().await;
    t.finish().await;
}

#[tokio::test]
async fn issue_16_response_expectations_show_in_security_md_the_policy_page_and_the_form() {
    let (t, _team, _reporter) = instance(
        "harbor-relay",
        "relay",
        &[("harbor-relay", "harbor-relay.toml"), ("harbor-relay/relay", "harbor-relay-relay.toml")],
    )
    .await;
    let said = "Disclosure is coordinated with you once the fixed image is published.";
    for path in ["/harbor-relay/relay/policy", "/harbor-relay/relay/report", "/harbor-relay/policy"] {
        let page = t.get(path, &Auth::None).await.expect(StatusCode::OK).text;
        assert!(page.contains(said), "{path} states the response expectations");
        assert!(!page.contains("cannot promise a timeline"), "{path}");
    }
    let policy = t.get("/api/v1/projects/harbor-relay/relay/policy", &Auth::None).await.expect(StatusCode::OK).json;
    assert_eq!(policy["sources"]["response.expectations"], "organisation", "{policy}");
    t.finish().await;
}

/// Submits a report about `component` and answers its id and notice codes.
async fn about(t: &TestApp, path: &str, component: &str, extra: Value, reporter: &Auth) -> (String, Vec<String>) {
    let mut body =
        json!({"title": "Unexpected behaviour", "body": "Steps in the attached text.", "component": component});
    for (k, v) in extra.as_object().unwrap() {
        body[k] = v.clone();
    }
    let receipt = submit(t, path, body, reporter).await;
    (receipt["id"].as_str().unwrap().to_owned(), codes(&receipt["notices"]))
}

#[tokio::test]
async fn issue_16_scope_is_applied_at_intake_with_the_three_seed_policies() {
    // The container-first team: an out-of-scope component is flagged, the team declines it in one click.
    let (t, team, reporter) = instance(
        "harbor-relay",
        "relay",
        &[("harbor-relay", "harbor-relay.toml"), ("harbor-relay/relay", "harbor-relay-relay.toml")],
    )
    .await;
    let path = "harbor-relay/relay";
    let (id, notices) = about(&t, path, "infrastructure operated by users", json!({}), &reporter).await;
    assert!(notices.contains(&"out_of_scope".to_owned()), "{notices:?}");
    let mine = t.get(&format!("/api/v1/reports/{id}"), &reporter).await.expect(StatusCode::OK).json;
    let told = mine["notices"].as_array().unwrap().iter().find(|n| n["code"] == "out_of_scope").unwrap();
    assert!(told["message"].as_str().unwrap().contains("Infrastructure operated by users of the image"), "{told}");
    let reporter_page = t.get(&format!("/reports/{id}"), &reporter).await.expect(StatusCode::OK).text;
    assert!(!reporter_page.contains("scope-flag"), "the flag and its button are the team's");
    let page = t.get(&format!("/reports/{id}"), &team).await.expect(StatusCode::OK).text;
    assert!(page.contains("Possibly out of scope."), "the team sees the flag");
    assert!(page.contains("which the policy lists as out of scope"), "and why");
    assert!(page.contains("Decline as out of scope"), "with a one-click decline");
    let reason = "Out of scope under this project's security policy: \u{201c}Infrastructure operated by users of the image\u{201d}.";
    assert!(page.contains(&reason.replace('\'', "&#x27;")) || page.contains(&reason.replace('\'', "&#39;")), "{page}");
    t.form(&format!("/reports/{id}/transition"), &[("to", "out_of_scope"), ("reason", reason)], &team).await;
    let closed = t.get(&format!("/api/v1/reports/{id}"), &reporter).await.expect(StatusCode::OK).json;
    assert_eq!(closed["state"], "out_of_scope", "{closed}");
    let top = t.get(&format!("/reports/{id}"), &reporter).await.expect(StatusCode::OK).text;
    assert!(top.contains("Closed: out of scope"), "the reporter reads the decision at the top");
    assert!(top.contains("Infrastructure operated by users of the image"), "with the scope reason");
    // In scope: no flag.
    let (id, notices) = about(&t, path, "the published container image configuration", json!({}), &reporter).await;
    assert!(!notices.iter().any(|c| c == "out_of_scope" || c == "not_security"), "{notices:?}");
    let page = t.get(&format!("/reports/{id}"), &team).await.expect(StatusCode::OK).text;
    assert!(!page.contains("Possibly out of scope."));
    t.run_jobs().await;
    t.finish().await;

    // The shared-policy organisation: its not-security list applies to every project.
    let (t, team, reporter) = instance(
        "lanternworks",
        "lantern",
        &[("lanternworks", "lanternworks.toml"), ("lanternworks/lantern", "lanternworks-lantern.toml")],
    )
    .await;
    let (id, notices) =
        about(&t, "lanternworks/lantern", "interactive debugger information", json!({}), &reporter).await;
    assert!(notices.contains(&"not_security".to_owned()), "{notices:?}");
    let page = t.get(&format!("/reports/{id}"), &team).await.expect(StatusCode::OK).text;
    assert!(page.contains("which the policy does not treat as a security issue"));
    let (_, notices) = about(&t, "lanternworks/lantern", "code shown in a tutorial", json!({}), &reporter).await;
    assert!(notices.contains(&"out_of_scope".to_owned()), "{notices:?}");
    let (_, notices) = about(&t, "lanternworks/lantern", "released package routing", json!({}), &reporter).await;
    assert!(!notices.iter().any(|c| c == "out_of_scope" || c == "not_security"), "{notices:?}");
    t.run_jobs().await;
    t.finish().await;

    // The runtime: a third-party package is out of scope, the standard library is not.
    let (t, _team, reporter) =
        instance("orbit-lang", "orbit", &[("orbit-lang", "orbit.toml"), ("orbit-lang/orbit", "orbit-orbit.toml")])
            .await;
    let versions = json!({"versions_tested": "3.14.2", "versions_vulnerable": "3.14.2"});
    let (_, notices) =
        about(&t, "orbit-lang/orbit", "a third-party package from the index", versions.clone(), &reporter).await;
    assert!(notices.contains(&"out_of_scope".to_owned()), "{notices:?}");
    let (_, notices) = about(&t, "orbit-lang/orbit", "running untrusted code", versions.clone(), &reporter).await;
    assert!(notices.contains(&"not_security".to_owned()), "{notices:?}");
    let (_, notices) = about(&t, "orbit-lang/orbit", "standard library json module", versions, &reporter).await;
    assert!(!notices.iter().any(|c| c == "out_of_scope" || c == "not_security"), "{notices:?}");
    t.run_jobs().await;
    t.finish().await;
}

#[tokio::test]
async fn issue_16_report_bodies_written_in_markdown_render_sanitised_and_plain_text_stays_plain() {
    let (t, team, reporter) = instance(
        "harbor-relay",
        "relay",
        &[("harbor-relay", "harbor-relay.toml"), ("harbor-relay/relay", "harbor-relay-relay.toml")],
    )
    .await;
    let hostile = "## Steps\n\n1. Send **two** requests\n2. Read `GET /jobs`\n\n<script>alert('s')</script>\n\n\
                   <iframe src=\"https://evil.example/\"></iframe>\n\n[click](javascript:alert('j')) \
                   [docs](https://relay.example/docs) <a href=\"javascript:alert('a')\">raw</a>";
    let receipt = submit(&t, "harbor-relay/relay", json!({"title": "Markdown", "body": hostile}), &reporter).await;
    let id = receipt["id"].as_str().unwrap().to_owned();
    let plain = "Line one\nline two with <b>tags</b> shown as written";
    t.post(&format!("/api/v1/reports/{id}/messages"), json!({"body": plain}), &reporter)
        .await
        .expect(StatusCode::CREATED);
    let stored = t.get(&format!("/api/v1/reports/{id}"), &team).await.expect(StatusCode::OK).json;
    assert_eq!(stored["body"], hostile, "Markdown is stored as written");
    for auth in [&team, &reporter] {
        let page = t.get(&format!("/reports/{id}"), auth).await.expect(StatusCode::OK).text;
        assert!(page.contains("<h2>Steps</h2>") && page.contains("<strong>two</strong>"), "rendered: {page}");
        assert!(page.contains("<code>GET /jobs</code>"));
        assert!(page.contains(r#"<a href="https://relay.example/docs" rel="noopener noreferrer nofollow">docs</a>"#));
        assert!(!page.contains("alert("), "no script, handler or javascript: link survives");
        assert!(!page.contains("<iframe") && !page.contains("javascript:"));
        assert!(page.contains("Line one\nline two with &lt;b&gt;tags&lt;/b&gt; shown as written"), "plain stays plain");
    }
    t.run_jobs().await;
    t.finish().await;
}

#[tokio::test]
async fn issue_16_fix_strategy_is_edited_on_the_page_and_the_api_and_shown_under_what_to_do() {
    let (t, team, reporter) = instance(
        "harbor-relay",
        "relay",
        &[("harbor-relay", "harbor-relay.toml"), ("harbor-relay/relay", "harbor-relay-relay.toml")],
    )
    .await;
    let receipt =
        submit(&t, "harbor-relay/relay", json!({"title": "zlib overflow in the image", "body": "b"}), &reporter).await;
    let report = receipt["id"].as_str().unwrap().to_owned();
    advance(&t, &report, &team, &["acknowledged", "triaging", "accepted"]).await;
    let advisory =
        t.post(&format!("/api/v1/reports/{report}/advisory"), json!({}), &team).await.expect(StatusCode::CREATED).json;
    let id = advisory["id"].as_str().unwrap().to_owned();
    assert_eq!(advisory["draft"]["fix"], json!({"kinds": [], "text": ""}), "nothing said yet");

    // The page: the container-first team's three kinds, any combination.
    let editor = t.get(&format!("/advisories/{id}/edit"), &team).await.expect(StatusCode::OK).text;
    for kind in ["patch", "dependency-update", "mitigation"] {
        assert!(editor.contains(&format!("value=\"{kind}\"")), "{kind} is offered");
    }
    let text = "Pull the new image; until then refuse **compressed uploads** at the proxy.";
    let saved = t
        .form(
            &format!("/advisories/{id}/edit"),
            &[
                ("summary", "zlib overflow in the published image"),
                ("details", "Inflating a crafted stream overflows a buffer."),
                ("fix", "dependency-update"),
                ("fix", "mitigation"),
                ("fix_text", text),
            ],
            &team,
        )
        .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.text);
    let stored = t.get(&format!("/api/v1/advisories/{id}"), &team).await.expect(StatusCode::OK).json;
    assert_eq!(stored["draft"]["fix"], json!({"kinds": ["dependency-update", "mitigation"], "text": text}));
    let preview = t.get(&format!("/advisories/{id}/edit"), &team).await.expect(StatusCode::OK).text;
    assert!(preview.contains("<strong>Fix strategy:</strong> Dependency update and mitigation."), "{preview}");
    assert!(preview.contains("The fix updates a dependency"), "the steps say what to do");
    assert!(preview.contains("<strong>compressed uploads</strong>"), "the team's text is Markdown");
    assert!(!preview.contains("Upgrade to a fixed version listed above.</p>"), "no longer the fixed sentence");

    // A bad kind is refused, nothing changes.
    let refused =
        t.patch(&format!("/api/v1/advisories/{id}"), json!({"fix": {"kinds": ["upgrade"], "text": ""}}), &team).await;
    let refused = refused.expect(StatusCode::UNPROCESSABLE_ENTITY).json;
    assert_eq!(refused["fields"][0]["field"], "fix", "{refused}");
    let page = t
        .form(&format!("/advisories/{id}/edit"), &[("summary", "s"), ("fix", "upgrade"), ("fix_text", "x")], &team)
        .await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.text.contains("patch, dependency-update or mitigation"), "the error is shown on the page");
    let unchanged = t.get(&format!("/api/v1/advisories/{id}"), &team).await.expect(StatusCode::OK).json;
    assert_eq!(unchanged["draft"]["fix"], stored["draft"]["fix"]);

    // The API: a patch alone.
    let patched = t
        .patch(&format!("/api/v1/advisories/{id}"), json!({"fix": {"kinds": ["patch"], "text": ""}}), &team)
        .await
        .expect(StatusCode::OK)
        .json;
    assert_eq!(patched["draft"]["fix"], json!({"kinds": ["patch"], "text": ""}));
    let outsider = t.user("outsider@example.org", false).await;
    let hidden = t.patch(&format!("/api/v1/advisories/{id}"), json!({"fix": {"kinds": ["patch"]}}), &outsider).await;
    hidden.expect(StatusCode::NOT_FOUND);
    t.run_jobs().await;
    t.finish().await;
}

#[tokio::test]
async fn issue_16_the_team_reads_and_edits_its_policy_on_the_pages() {
    let (t, team, reporter) = instance(
        "harbor-relay",
        "relay",
        &[("harbor-relay", "harbor-relay.toml"), ("harbor-relay/relay", "harbor-relay-relay.toml")],
    )
    .await;
    let path = "/harbor-relay/relay/policy/edit";
    let team_page = t.get("/harbor-relay/relay/team", &team).await.expect(StatusCode::OK).text;
    assert!(team_page.contains(r#"href="/harbor-relay/relay/policy/edit""#), "the team page leads to the editor");
    let editor = t.get(path, &team).await.expect(StatusCode::OK).text;
    assert!(editor.contains("# scope: in_scope, out_of_scope from the organisation"), "provenance: {editor}");
    let own = t.get("/api/v1/projects/harbor-relay/relay/policy", &Auth::None).await.expect(StatusCode::OK).json;
    assert_eq!(own["sources"]["releases.latest"], "organisation", "{own}");

    // A broken file: every error with its line and column, nothing saved.
    let broken = "[releases]\nsupport = \"latest-only\"\nlatest = \"main\"\n\n[report]\nmax_attachments = -3\n";
    let refused = t.form(path, &[("policy", broken), ("action", "save")], &team).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.text.contains("The policy was not saved"), "{}", refused.text);
    assert!(refused.text.contains("line 6, column"), "the error names its line and column: {}", refused.text);
    assert!(refused.text.contains("max_attachments = -3"), "the text sent is kept");
    let syntax = t.form(path, &[("policy", "[report\nx = 1\n"), ("action", "save")], &team).await;
    assert_eq!(syntax.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(syntax.text.contains("line 1, column"), "{}", syntax.text);
    let after = t.get("/api/v1/projects/harbor-relay/relay/policy", &Auth::None).await.expect(StatusCode::OK).json;
    assert_eq!(after, own, "nothing saved on error");

    // A preview shows SECURITY.md from the text sent, and saves nothing.
    let text = "[releases]\nsupport = \"latest-only\"\nlatest = \"main\"\n\n[response]\nexpectations = [\"We answer within a week.\"]\n";
    let preview = t.form(path, &[("policy", text), ("action", "preview")], &team).await.expect(StatusCode::OK).text;
    assert!(preview.contains("Preview: SECURITY.md") && preview.contains("We answer within a week."), "{preview}");
    let policy_page = t.get("/harbor-relay/relay/policy", &Auth::None).await.expect(StatusCode::OK).text;
    assert!(!policy_page.contains("We answer within a week."), "a preview saves nothing");
    let org_preview = t
        .form(
            "/harbor-relay/policy/edit",
            &[("policy", "[channels]\nlanguages = [\"en\", \"nl\"]\n"), ("action", "preview")],
            &team,
        )
        .await
        .expect(StatusCode::OK)
        .text;
    assert!(org_preview.contains("Preferred-Languages: en, nl"), "the organisation's security.txt: {org_preview}");

    // Saved: the policy says it, the rest stays inherited, the change is audited.
    let saved = t.form(path, &[("policy", text), ("action", "save")], &team).await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER);
    let policy_page = t.get("/harbor-relay/relay/policy", &Auth::None).await.expect(StatusCode::OK).text;
    assert!(policy_page.contains("We answer within a week."));
    let now = t.get("/api/v1/projects/harbor-relay/relay/policy", &Auth::None).await.expect(StatusCode::OK).json;
    assert_eq!(now["sources"]["response.expectations"], "project");
    assert_eq!(now["sources"]["scope.out_of_scope"], "organisation", "still inherited");
    let again = t.get(&format!("{path}?saved=1"), &team).await.expect(StatusCode::OK).text;
    assert!(again.contains("Saved.") && again.contains("We answer within a week."));
    let admin = t.user("admin@harbor-relay.example", true).await;
    let me = t.get("/api/v1/session", &team).await.expect(StatusCode::OK).json;
    let person = me["user"]["id"].as_str().unwrap().to_owned();
    let events = t.get(&format!("/api/v1/audit/events?person={person}"), &admin).await.expect(StatusCode::OK).json;
    assert!(events.as_array().unwrap().iter().any(|e| e["action"] == "policy.applied"), "{events}");

    // Someone else may not.
    let stranger = t.form(path, &[("policy", "[channels]\nweb_form = false\n"), ("action", "save")], &reporter).await;
    assert_eq!(stranger.status, StatusCode::FORBIDDEN);
    let unchanged = t.get("/api/v1/projects/harbor-relay/relay/policy", &Auth::None).await.expect(StatusCode::OK).json;
    assert_eq!(unchanged, now);
    t.finish().await;
}

/// Intake keeps what it reads about a project in memory (issue 15). A policy
/// changed elsewhere (another replica, the command line in another process)
/// holds from the next report on: the project settings sequence moved.
#[tokio::test]
async fn intake_follows_a_policy_changed_on_another_replica() {
    for backend in Backend::available() {
        let t = TestApp::on(backend, WebConfig::default()).await;
        t.organisation("orbit-lang").await;
        t.project("orbit-lang", "orbit").await;
        let reporter = t.user("reporter@researcher.example", false).await;
        let path = "/api/v1/projects/orbit-lang/orbit/reports";
        let body = json!({"title": "Overflow in the parser", "body": "Details follow."});
        t.post(path, body.clone(), &reporter).await.expect(StatusCode::CREATED);

        let replica = t.replica().await;
        let project = embargo_app::PolicyTarget::parse("orbit-lang/orbit").unwrap();
        let operator = embargo_core::permission::Actor::Operator;
        replica.apply_policy(&operator, &project, "[channels]\napi = false\n").await.unwrap();
        let closed = t.post(path, body.clone(), &reporter).await.expect(StatusCode::FORBIDDEN);
        assert_eq!(closed.json["error"], "channel_closed", "{backend:?}");

        replica.apply_policy(&operator, &project, "[channels]\napi = true\n").await.unwrap();
        t.post(path, body, &reporter).await.expect(StatusCode::CREATED);
        t.run_jobs().await;
        t.finish().await;
    }
}
