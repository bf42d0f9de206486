//! The CVE Services client (issue 11), against a test double of CVE Services
//! (`tests/peers/cve_services.py`, built from the published OpenAPI document
//! and schemas; it checks every request and its own answers against them),
//! proved faithful by driving it with Red Hat's `cvelib` (the `cve` command
//! CNAs use) in the same tests and seeing the state Embargo sees.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};

use embargo_testkit::{Auth, Backend};
use http::StatusCode;
use serde_json::{Value, json};

use crate::fixture::World;
use crate::webhooks::Receiver;

const SHORT_NAME: &str = "pallets";
const USER: &str = "cna@pallets.example";
const KEY: &str = "MARKER-KEY-5d1e-cve-api-key";
/// Another user of the same CNA (sharing the key in the double).
const OTHER_USER: &str = "alice@pallets.example";

/// The double, killed when dropped.
pub(crate) struct CveServices {
    child: Child,
    port: u16,
    dir: tempfile::TempDir,
}

impl CveServices {
    pub(crate) fn start() -> CveServices {
        CveServices::start_with(USER, 500)
    }

    /// The double with these users (comma-separated) and `page_size` ids a page in listings.
    fn start_with(users: &str, page_size: usize) -> CveServices {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("key"), KEY).unwrap();
        let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/peers/cve_services.py");
        let conformance = std::env::var("EMBARGO_CONFORMANCE_DIR").expect("EMBARGO_CONFORMANCE_DIR");
        let mut child = Command::new("python3")
            .arg(script)
            .arg(conformance)
            .arg(dir.path().join("log"))
            .arg(SHORT_NAME)
            .arg(users)
            .arg(dir.path().join("key"))
            .env("CVE_SERVICES_PAGE_SIZE", page_size.to_string())
            .stdout(Stdio::piped())
            .spawn()
            .expect("python3 runs the CVE Services double (pip install jsonschema)");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
        let port = line.trim().parse().unwrap_or_else(|_| panic!("the double did not start: {line:?}"));
        CveServices { child, port, dir }
    }

    /// The API's base, as Embargo takes it (the part before `/cve-id`).
    pub(crate) fn url(&self) -> String {
        format!("http://127.0.0.1:{}/api", self.port)
    }

    /// Changes the key the double accepts (an account whose key was rotated).
    fn rotate_key(&self, key: &str) {
        std::fs::write(self.dir.path().join("key"), key).unwrap();
    }

    /// Sets the double's clock to `at` (CVE Services stamps whole seconds).
    fn set_now(&self, at: time::OffsetDateTime) {
        let text = format!(
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.000Z",
            at.year(),
            u8::from(at.month()),
            at.day(),
            at.hour(),
            at.minute(),
            at.second()
        );
        std::fs::write(self.dir.path().join("now"), text).unwrap();
    }

    /// Makes the double lose its answer to the next reservation (made all the same).
    fn drop_next_answer(&self) {
        std::fs::write(self.dir.path().join("drop"), "").unwrap();
    }

    /// Every request the double answered: method, path, query, status, body.
    pub(crate) fn log(&self) -> Vec<Value> {
        let text = std::fs::read_to_string(self.dir.path().join("log")).unwrap_or_default();
        text.lines().map(|l| serde_json::from_str(l).unwrap()).collect()
    }

    pub(crate) fn count(&self, method: &str, path_end: &str) -> usize {
        self.log().iter().filter(|r| r["method"] == method && r["path"].as_str().unwrap().ends_with(path_end)).count()
    }

    /// Runs `cve ARGS... --raw`-style commands of cvelib against the double.
    fn cvelib(&self, args: &[&str]) -> String {
        self.cvelib_as(USER, args)
    }

    /// Runs cvelib as `user` of the CNA.
    fn cvelib_as(&self, user: &str, args: &[&str]) -> String {
        let out = Command::new("cve")
            .args(args)
            .env("CVE_API_URL", format!("{}/", self.url()))
            .env("CVE_ORG", SHORT_NAME)
            .env("CVE_USER", user)
            .env("CVE_API_KEY", KEY)
            .env_remove("CVE_ENVIRONMENT")
            .output()
            .expect("cvelib's `cve` command runs (pip install cvelib==1.8.0)");
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        assert!(out.status.success(), "cve {args:?}: {text} {}", String::from_utf8_lossy(&out.stderr));
        text
    }

    fn cvelib_json(&self, args: &[&str]) -> Value {
        let text = self.cvelib(args);
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("cve {args:?} printed no JSON ({e}): {text}"))
    }
}

impl Drop for CveServices {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The credentials of the double's account.
pub(crate) fn credentials(double: &CveServices, key: &str) -> Value {
    json!({"url": double.url(), "short_name": SHORT_NAME, "user": USER, "api_key": key})
}

/// An organisation in `cve-services` mode with the double's credentials, and
/// a flask advisory whose report is CVE-eligible; answers (report, advisory).
pub(crate) async fn cna_world(w: &World, double: &CveServices) -> (String, String) {
    let t = &w.t;
    t.policy("pallets", "[advisories]\ncna = \"cve-services\"\n").await;
    t.put("/api/v1/orgs/pallets/cve-services", credentials(double, KEY), &w.org_team).await.expect(StatusCode::OK);
    let (report, advisory) = w.drafted("Session cookie kept after logout").await;
    let line = json!({"status": "bugfix"});
    t.put("/api/v1/projects/pallets/flask/release-lines/3.1", line, &w.flask_team).await.expect(StatusCode::OK);
    let affected = json!({"affected_versions": ["3.1"]});
    t.patch(&format!("/api/v1/reports/{report}"), affected, &w.flask_team).await.expect(StatusCode::OK);
    (report, advisory)
}

fn operations(advisory: &Value) -> Vec<Value> {
    advisory["cve_services"].as_array().cloned().unwrap_or_default()
}

/// Checks a record against a bundled CVE schema, as cvelib's validator does (jsonschema, Draft 7).
fn validate(record: &Value, schema: &str) {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("record.json");
    std::fs::write(&file, record.to_string()).unwrap();
    let schema = PathBuf::from(std::env::var("EMBARGO_CONFORMANCE_DIR").unwrap()).join("schemas/cve").join(schema);
    let check = "import json,sys\nfrom jsonschema import Draft7Validator\n\
                 s=json.load(open(sys.argv[1]));r=json.load(open(sys.argv[2]))\n\
                 e=[x.message for x in Draft7Validator(s).iter_errors(r)]\nprint(e);sys.exit(1 if e else 0)";
    let out = Command::new("python3").arg("-c").arg(check).arg(&schema).arg(&file).output().unwrap();
    assert!(out.status.success(), "{}: {}", schema.display(), String::from_utf8_lossy(&out.stdout));
}

#[tokio::test]
async fn ids_are_reserved_published_updated_and_rejected_as_cvelib_sees_them() {
    for backend in Backend::available() {
        let w = World::on(backend).await;
        let t = &w.t;
        let double = CveServices::start();
        let hooks = Receiver::start(0);
        let made = t
            .post(
                "/api/v1/orgs/pallets/webhooks",
                json!({"url": hooks.url(), "events": ["cve.reserved", "cve.published"]}),
                &w.org_team,
            )
            .await
            .expect(StatusCode::CREATED);
        hooks.set_secret(made.json["secret"].as_str().unwrap());
        let (report, advisory) = cna_world(&w, &double).await;
        let status = t.get("/api/v1/orgs/pallets/cve-services", &w.org_team).await.expect(StatusCode::OK);
        assert_eq!(status.json["configured"], true);
        assert_eq!(status.json["short_name"], SHORT_NAME);
        assert!(status.json["cna_org_id"].as_str().unwrap().len() == 36, "{}", status.text);
        assert!(!status.text.contains(KEY), "the key is never shown");

        // On demand: a reservation is queued, then made by a job.
        let asked = t.post(&format!("/api/v1/advisories/{advisory}/cve"), json!({}), &w.flask_team).await;
        let asked = asked.expect(StatusCode::OK);
        assert_eq!(operations(&asked.json)[0]["kind"], "reserve");
        assert_eq!(operations(&asked.json)[0]["state"], "pending");
        t.post(
            &format!("/api/v1/reports/{report}/messages"),
            json!({"body": "MARKER-NOTE-77aa internal", "visibility": "internal"}),
            &w.flask_team,
        )
        .await
        .expect(StatusCode::CREATED);
        t.run_jobs().await;
        let view = t.get(&format!("/api/v1/advisories/{advisory}"), &w.flask_team).await.expect(StatusCode::OK);
        let cve = view.json["draft"]["aliases"][0].as_str().unwrap().to_owned();
        assert!(cve.starts_with("CVE-2026-"), "{}", view.text);
        let op = &operations(&view.json)[0];
        assert_eq!(
            (op["kind"].as_str(), op["state"].as_str(), op["cve_id"].as_str()),
            (Some("reserve"), Some("done"), Some(cve.as_str()))
        );
        // cvelib sees the id reserved by the CNA's user.
        let shown = double.cvelib_json(&["show", &cve, "--raw"]);
        assert_eq!(shown["state"], "RESERVED");
        assert_eq!(shown["owning_cna"], SHORT_NAME);
        assert_eq!(shown["requested_by"]["user"], USER);

        // Publishing the advisory publishes the CNA container (a minute later: operations list newest first).
        t.clock().advance(time::Duration::minutes(1));
        w.transition(&report, "fixing", &w.flask_team).await.expect(StatusCode::OK);
        w.transition(&report, "fixed", &w.flask_team).await.expect(StatusCode::OK);
        t.post(&format!("/api/v1/advisories/{advisory}/publish"), json!({}), &w.flask_team)
            .await
            .expect(StatusCode::OK);
        t.run_jobs().await;
        let view = t.get(&format!("/api/v1/advisories/{advisory}"), &w.flask_team).await.expect(StatusCode::OK);
        let op = &operations(&view.json)[0];
        assert_eq!((op["kind"].as_str(), op["state"].as_str()), (Some("publish"), Some("done")), "{}", view.text);
        let record = double.cvelib_json(&["show", "--show-record", &cve, "--raw"]);
        assert_eq!(record["cveMetadata"]["state"], "PUBLISHED");
        let cna = &record["containers"]["cna"];
        assert!(cna["descriptions"][0]["value"].as_str().unwrap().contains("Upgrade to 3.1.1."), "{cna}");
        for affected in cna["affected"].as_array().unwrap() {
            if let Some(purl) = affected.get("packageURL") {
                assert_eq!(purl, "pkg:pypi/flask", "packageURL without a version");
            }
        }
        // The same record is served at the advisory, valid against CVE 5.2.0 and 5.1.1.
        let served = t.get(&format!("/advisories/{advisory}/cve.json"), &Auth::None).await.expect(StatusCode::OK);
        assert_eq!(served.json["dataVersion"], "5.2");
        assert_eq!(served.json["cveMetadata"]["cveId"], cve.as_str());
        assert_eq!(served.json["cveMetadata"]["assignerShortName"], SHORT_NAME);
        assert_eq!(served.json["containers"]["cna"]["descriptions"], cna["descriptions"]);
        validate(&served.json, "CVE_JSON_bundled_5.2.0.json");
        validate(&served.json, "CVE_JSON_bundled_5.1.1.json");

        // A draft change that is not published goes nowhere.
        t.patch(&format!("/api/v1/advisories/{advisory}"), json!({"details": "MARKER-DRAFT-31f0"}), &w.flask_team)
            .await
            .expect(StatusCode::OK);
        t.run_jobs().await;
        let served = t.get(&format!("/advisories/{advisory}/cve.json"), &Auth::None).await.expect(StatusCode::OK);
        assert!(!served.text.contains("MARKER"), "{}", served.text);
        // A new revision updates the record.
        t.clock().advance(time::Duration::minutes(1));
        t.patch(&format!("/api/v1/advisories/{advisory}"), json!({"details": "Upgrade to 3.1.2."}), &w.flask_team)
            .await
            .expect(StatusCode::OK);
        t.post(&format!("/api/v1/advisories/{advisory}/publish"), json!({}), &w.flask_team)
            .await
            .expect(StatusCode::OK);
        t.run_jobs().await;
        let record = double.cvelib_json(&["show", "--show-cna", &cve, "--raw"]);
        assert!(record["descriptions"][0]["value"].as_str().unwrap().contains("3.1.2"), "{record}");

        // Withdrawing rejects the id.
        t.clock().advance(time::Duration::minutes(1));
        t.post(&format!("/api/v1/advisories/{advisory}/withdraw"), json!({}), &w.flask_team)
            .await
            .expect(StatusCode::OK);
        t.run_jobs().await;
        let shown = double.cvelib_json(&["show", &cve, "--raw"]);
        assert_eq!(shown["state"], "REJECTED");
        let view = t.get(&format!("/api/v1/advisories/{advisory}"), &w.flask_team).await.expect(StatusCode::OK);
        let kinds: Vec<(String, String)> = operations(&view.json)
            .iter()
            .map(|o| (o["kind"].as_str().unwrap().to_owned(), o["state"].as_str().unwrap().to_owned()))
            .collect();
        let done = |k: &str| (k.to_owned(), "done".to_owned());
        assert_eq!(kinds, vec![done("reject"), done("update"), done("publish"), done("reserve")]);
        t.get(&format!("/advisories/{advisory}/cve.json"), &Auth::None).await.expect(StatusCode::NOT_FOUND);

        // Each call was made once; nothing private reached CVE Services.
        assert_eq!(double.count("POST", "/cve-id"), 1);
        assert_eq!(double.count("POST", "/cna"), 1);
        assert_eq!(double.count("PUT", "/cna"), 1);
        let sent = serde_json::to_string(&double.log()).unwrap();
        assert!(!sent.contains("MARKER-NOTE") && !sent.contains("MARKER-DRAFT"), "{sent}");
        // cvelib, driving the same double: reserve and publish one of its own, seen as Embargo sees its.
        let reserved = double.cvelib_json(&["reserve", "1", "--year", "2026", "--raw"]);
        let other = reserved["cve_ids"][0]["cve_id"].as_str().unwrap().to_owned();
        let container = json!({
            "providerMetadata": {"orgId": status.json["cna_org_id"]},
            "descriptions": [{"lang": "en", "value": "A flaw found with cvelib."}],
            "affected": [{"vendor": "pallets", "product": "flask", "packageURL": "pkg:pypi/flask",
                          "versions": [{"version": "3.0", "status": "affected"}]}],
            "references": [{"url": "https://example.org/advisory"}]
        });
        double.cvelib(&["publish", &other, "-j", &container.to_string()]);
        let listed = double.cvelib_json(&["list", "--raw"]);
        let states: Vec<(String, String)> = listed
            .as_array()
            .unwrap()
            .iter()
            .map(|c| (c["cve_id"].as_str().unwrap().to_owned(), c["state"].as_str().unwrap().to_owned()))
            .collect();
        assert!(states.contains(&(cve.clone(), "REJECTED".into())), "{states:?}");
        assert!(states.contains(&(other.clone(), "PUBLISHED".into())), "{states:?}");

        // Webhooks heard cve.reserved and cve.published, with ids and public links only.
        t.run_jobs().await;
        let received = hooks.received();
        let types: Vec<String> = received
            .iter()
            .map(|r| {
                serde_json::from_str::<Value>(r["body"].as_str().unwrap()).unwrap()["type"].as_str().unwrap().to_owned()
            })
            .collect();
        assert!(types.contains(&"cve.reserved".to_owned()) && types.contains(&"cve.published".to_owned()), "{types:?}");
        assert!(received.iter().all(|r| r["verified"] == true));
        assert!(received.iter().all(|r| !r["body"].as_str().unwrap().contains("MARKER")), "{received:?}");
        let audit = t.get("/api/v1/audit/events", &w.admin).await.expect(StatusCode::OK);
        for action in ["org.cve_services_set", "advisory.cve_assigned", "cve.reserved", "cve.published", "cve.rejected"]
        {
            assert!(audit.text.contains(action), "{action} not in the audit log");
        }
        assert!(!audit.text.contains(KEY), "the key is not in the audit log");
        drop(double);
        w.finish().await;
    }
}

#[tokio::test]
async fn bad_credentials_are_refused_clearly_and_change_nothing() {
    for backend in Backend::available() {
        let w = World::on(backend).await;
        let t = &w.t;
        let double = CveServices::start();
        t.policy("pallets", "[advisories]\ncna = \"cve-services\"\n").await;
        let refused = t.put("/api/v1/orgs/pallets/cve-services", credentials(&double, "wrong"), &w.org_team).await;
        assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", refused.text);
        assert!(refused.text.contains("refused the credentials (HTTP 401)"), "{}", refused.text);
        let mut bad_name = credentials(&double, KEY);
        bad_name["short_name"] = json!("a b");
        let refused = t.put("/api/v1/orgs/pallets/cve-services", bad_name, &w.org_team).await;
        assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", refused.text);
        let status = t.get("/api/v1/orgs/pallets/cve-services", &w.org_team).await.expect(StatusCode::OK);
        assert_eq!(status.json["configured"], false);
        // The page form says the same beside the key, and stores nothing.
        let page = t
            .form(
                "/pallets/team/cve-services",
                &[("url", &double.url()), ("short_name", SHORT_NAME), ("user", USER), ("api_key", "wrong")],
                &w.org_team,
            )
            .await;
        assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", page.text);
        assert!(page.text.contains("refused the credentials"), "{}", page.text);
        assert!(!page.text.contains("value=\"wrong\""), "the key is not echoed");
        let audit = t.get("/api/v1/audit/events", &w.admin).await.expect(StatusCode::OK);
        assert!(!audit.text.contains("org.cve_services_set"));

        // Good credentials, then the key is rotated at CVE Services: the reservation fails
        // with the reason on the advisory and in the log, and the advisory keeps no CVE id.
        let page = t
            .form(
                "/pallets/team/cve-services",
                &[("url", &double.url()), ("short_name", SHORT_NAME), ("user", USER), ("api_key", KEY)],
                &w.org_team,
            )
            .await;
        assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.text);
        let shown = t.get("/pallets/team/cve-services", &w.org_team).await.expect(StatusCode::OK);
        assert!(shown.text.contains(SHORT_NAME) && !shown.text.contains(KEY), "{}", shown.text);
        let (report, advisory) = w.drafted("Session cookie kept after logout").await;
        t.put("/api/v1/projects/pallets/flask/release-lines/3.1", json!({"status": "bugfix"}), &w.flask_team)
            .await
            .expect(StatusCode::OK);
        t.patch(&format!("/api/v1/reports/{report}"), json!({"affected_versions": ["3.1"]}), &w.flask_team)
            .await
            .expect(StatusCode::OK);
        double.rotate_key("rotated");
        t.post(&format!("/api/v1/advisories/{advisory}/cve"), json!({}), &w.flask_team).await.expect(StatusCode::OK);
        t.run_jobs().await;
        let view = t.get(&format!("/api/v1/advisories/{advisory}"), &w.flask_team).await.expect(StatusCode::OK);
        assert_eq!(view.json["draft"]["aliases"], json!([]));
        let op = &operations(&view.json)[0];
        assert_eq!(op["state"], "failed", "{}", view.text);
        assert_eq!(op["last_status"], 401);
        assert!(op["error"].as_str().unwrap().contains("refused the credentials"), "{op}");
        let page = t.get(&format!("/advisories/{advisory}/edit"), &w.flask_team).await.expect(StatusCode::OK);
        assert!(page.text.contains("refused the credentials"), "the editor shows the failure");
        let audit = t.get("/api/v1/audit/events", &w.admin).await.expect(StatusCode::OK);
        assert!(audit.text.contains("cve.operation_failed"), "{}", audit.text);
        assert_eq!(double.count("POST", "/cve-id"), 1, "a refusal is not retried");
        w.finish().await;
    }
}

#[tokio::test]
async fn two_instances_on_one_database_reserve_and_publish_once() {
    for backend in Backend::available() {
        if backend != Backend::Postgres {
            continue;
        }
        let w = World::on(backend).await;
        let t = &w.t;
        let double = CveServices::start();
        let (report, advisory) = cna_world(&w, &double).await;
        t.post(&format!("/api/v1/advisories/{advisory}/cve"), json!({}), &w.flask_team).await.expect(StatusCode::OK);
        let replica = t.replica().await;
        let subscribers = embargo_app::Subscribers::standard(std::sync::Arc::new(embargo_app::LogNotifier));
        let (one, two) = tokio::join!(
            t.app.run_due_jobs("replica-a", &subscribers, 1000),
            replica.run_due_jobs("replica-b", &subscribers, 1000)
        );
        one.unwrap();
        two.unwrap();
        w.transition(&report, "fixing", &w.flask_team).await.expect(StatusCode::OK);
        w.transition(&report, "fixed", &w.flask_team).await.expect(StatusCode::OK);
        t.post(&format!("/api/v1/advisories/{advisory}/publish"), json!({}), &w.flask_team)
            .await
            .expect(StatusCode::OK);
        for _ in 0..3 {
            let (one, two) = tokio::join!(
                t.app.run_due_jobs("replica-a", &subscribers, 1000),
                replica.run_due_jobs("replica-b", &subscribers, 1000)
            );
            one.unwrap();
            two.unwrap();
        }
        assert_eq!(double.count("POST", "/cve-id"), 1, "reserved once: {:?}", double.log());
        assert_eq!(double.count("POST", "/cna") + double.count("PUT", "/cna"), 1, "published once: {:?}", double.log());
        let view = t.get(&format!("/api/v1/advisories/{advisory}"), &w.flask_team).await.expect(StatusCode::OK);
        assert!(operations(&view.json).iter().all(|o| o["state"] == "done" && o["attempts"] == 1), "{}", view.text);
        drop(replica);
        w.finish().await;
    }
}

#[tokio::test]
async fn the_record_is_served_for_published_advisories_only_and_exported_per_organisation() {
    let w = World::new().await;
    let t = &w.t;
    let double = CveServices::start();
    let (report, advisory) = cna_world(&w, &double).await;
    // A draft with a CVE alias: no record.
    t.patch(&format!("/api/v1/advisories/{advisory}"), json!({"aliases": ["CVE-2026-4242"]}), &w.flask_team)
        .await
        .expect(StatusCode::OK);
    t.get(&format!("/advisories/{advisory}/cve.json"), &Auth::None).await.expect(StatusCode::NOT_FOUND);
    t.get("/advisories/PALLETS-2026-999/cve.json", &Auth::None).await.expect(StatusCode::NOT_FOUND);
    w.transition(&report, "fixing", &w.flask_team).await.expect(StatusCode::OK);
    w.transition(&report, "fixed", &w.flask_team).await.expect(StatusCode::OK);
    t.post(&format!("/api/v1/advisories/{advisory}/publish"), json!({}), &w.flask_team).await.expect(StatusCode::OK);
    let served = t.get(&format!("/advisories/{advisory}/cve.json"), &Auth::None).await.expect(StatusCode::OK);
    assert_eq!(served.json["cveMetadata"]["cveId"], "CVE-2026-4242");
    // The id was not reserved in CVE Services: publishing it there is refused, once, and says why.
    t.run_jobs().await;
    assert_eq!(double.count("POST", "/cna"), 1, "{:?}", double.log());
    let view = t.get(&format!("/api/v1/advisories/{advisory}"), &w.flask_team).await.expect(StatusCode::OK);
    let op = &operations(&view.json)[0];
    assert_eq!(op["kind"], "publish");
    assert_eq!(op["state"], "failed", "{op}");
    assert_eq!(op["last_status"], 404);
    assert!(op["error"].as_str().unwrap().contains("CVEID_DNE"), "{op}");
    w.finish().await;
}

#[tokio::test]
async fn a_pool_of_reserved_ids_is_kept_topped_up() {
    for backend in Backend::available() {
        let w = World::on(backend).await;
        let t = &w.t;
        let double = CveServices::start();
        let (_, advisory) = cna_world(&w, &double).await;
        let mut with_pool = credentials(&double, KEY);
        with_pool["pool_size"] = json!(2);
        t.put("/api/v1/orgs/pallets/cve-services", with_pool, &w.admin).await.expect(StatusCode::OK);
        t.run_jobs().await;
        let status = t.get("/api/v1/orgs/pallets/cve-services", &w.org_team).await.expect(StatusCode::OK);
        assert_eq!(status.json["pool_size"], 2);
        assert_eq!(status.json["unassigned"].as_array().unwrap().len(), 2, "{}", status.text);
        // An id at hand is given at once; the pool is topped up again by a job.
        let taken = t.post(&format!("/api/v1/advisories/{advisory}/cve"), json!({}), &w.flask_team).await;
        let taken = taken.expect(StatusCode::OK);
        assert_eq!(taken.json["draft"]["aliases"][0], status.json["unassigned"][0]);
        t.run_jobs().await;
        let status = t.get("/api/v1/orgs/pallets/cve-services", &w.org_team).await.expect(StatusCode::OK);
        assert_eq!(status.json["unassigned"].as_array().unwrap().len(), 2, "{}", status.text);
        assert_eq!(double.count("POST", "/cve-id"), 2, "two reservations: the pool, then one to top it up");
        let listed = double.cvelib_json(&["list", "--raw"]);
        assert_eq!(listed.as_array().unwrap().len(), 3, "cvelib sees the three reserved ids: {listed}");
        w.finish().await;
    }
}

fn audit_actions(audit: &Value, action: &str) -> Vec<Value> {
    audit.as_array().unwrap().iter().filter(|e| e["action"] == action).cloned().collect()
}

#[tokio::test]
async fn released_ids_are_rejected_and_pool_ids_kept_as_cvelib_sees_them() {
    for backend in Backend::available() {
        let w = World::on(backend).await;
        let t = &w.t;
        let double = CveServices::start();
        let hooks = Receiver::start(0);
        let made = t
            .post("/api/v1/orgs/pallets/webhooks", json!({"url": hooks.url(), "events": ["cve.rejected"]}), &w.org_team)
            .await
            .expect(StatusCode::CREATED);
        hooks.set_secret(made.json["secret"].as_str().unwrap());
        let (report, advisory) = cna_world(&w, &double).await;
        t.patch(&format!("/api/v1/advisories/{advisory}"), json!({"details": "MARKER-DRAFT-9c2e"}), &w.flask_team)
            .await
            .expect(StatusCode::OK);
        let mut with_pool = credentials(&double, KEY);
        with_pool["pool_size"] = json!(1);
        t.put("/api/v1/orgs/pallets/cve-services", with_pool, &w.admin).await.expect(StatusCode::OK);
        t.run_jobs().await;

        // The team takes an id from the pool, then takes it off the draft: it is released.
        let taken = t.post(&format!("/api/v1/advisories/{advisory}/cve"), json!({}), &w.flask_team).await;
        let first = taken.expect(StatusCode::OK).json["draft"]["aliases"][0].as_str().unwrap().to_owned();
        t.run_jobs().await;
        let status = t.get("/api/v1/orgs/pallets/cve-services", &w.org_team).await.expect(StatusCode::OK);
        let pooled = status.json["unassigned"][0].as_str().unwrap().to_owned();
        t.clock().advance(time::Duration::minutes(1));
        t.patch(&format!("/api/v1/advisories/{advisory}"), json!({"aliases": []}), &w.flask_team)
            .await
            .expect(StatusCode::OK);
        t.run_jobs().await;
        let shown = double.cvelib_json(&["show", &first, "--raw"]);
        assert_eq!(shown["state"], "REJECTED", "{shown}");
        let record = double.cvelib_json(&["show", "--show-record", &first, "--raw"]);
        assert_eq!(record["cveMetadata"]["state"], "REJECTED");
        let reason = record["containers"]["cna"]["rejectedReasons"][0]["value"].as_str().unwrap();
        assert!(reason.contains("not used"), "{reason}");
        let sent = serde_json::to_string(&double.log()).unwrap();
        assert!(!sent.contains("MARKER") && !sent.contains(&advisory), "nothing of the draft goes out: {sent}");
        let view = t.get(&format!("/api/v1/advisories/{advisory}"), &w.flask_team).await.expect(StatusCode::OK);
        let op = &operations(&view.json)[0];
        assert_eq!(
            (op["kind"].as_str(), op["state"].as_str(), op["cve_id"].as_str()),
            (Some("release"), Some("done"), Some(first.as_str())),
            "{}",
            view.text
        );
        // The id never given to an advisory stays reserved, in the pool.
        assert_eq!(double.cvelib_json(&["show", &pooled, "--raw"])["state"], "RESERVED");
        let status = t.get("/api/v1/orgs/pallets/cve-services", &w.org_team).await.expect(StatusCode::OK);
        assert_eq!(status.json["unassigned"], json!([pooled]), "{}", status.text);

        // An id typed in by hand and taken off again is left alone.
        t.patch(&format!("/api/v1/advisories/{advisory}"), json!({"aliases": ["CVE-2026-4242"]}), &w.flask_team)
            .await
            .expect(StatusCode::OK);
        t.patch(&format!("/api/v1/advisories/{advisory}"), json!({"aliases": []}), &w.flask_team)
            .await
            .expect(StatusCode::OK);
        t.run_jobs().await;
        assert_eq!(double.count("POST", "/reject"), 1, "{:?}", double.log());

        // The report is declined: the draft's id is taken off it and released; the pool is topped up again.
        t.clock().advance(time::Duration::minutes(1));
        let taken = t.post(&format!("/api/v1/advisories/{advisory}/cve"), json!({}), &w.flask_team).await;
        assert_eq!(taken.expect(StatusCode::OK).json["draft"]["aliases"][0], pooled.as_str());
        t.run_jobs().await;
        let decline = json!({"to": "not_vulnerable", "reason": "MARKER-REASON only a dev server crash"});
        t.post(&format!("/api/v1/reports/{report}/transitions"), decline, &w.flask_team).await.expect(StatusCode::OK);
        t.run_jobs().await;
        let view = t.get(&format!("/api/v1/advisories/{advisory}"), &w.flask_team).await.expect(StatusCode::OK);
        assert_eq!(view.json["draft"]["aliases"], json!([]), "{}", view.text);
        assert_eq!(double.cvelib_json(&["show", &pooled, "--raw"])["state"], "REJECTED");
        let listed = double.cvelib_json(&["list", "--state", "reserved", "--raw"]);
        let reserved: Vec<&str> = listed.as_array().unwrap().iter().map(|c| c["cve_id"].as_str().unwrap()).collect();
        let status = t.get("/api/v1/orgs/pallets/cve-services", &w.org_team).await.expect(StatusCode::OK);
        assert_eq!(json!(reserved), status.json["unassigned"], "the pool is what cvelib sees reserved");
        assert_eq!(reserved.len(), 1);
        let sent = serde_json::to_string(&double.log()).unwrap();
        assert!(!sent.contains("MARKER"), "{sent}");

        // Webhooks heard both rejections, with ids only; the audit log tells why.
        t.run_jobs().await;
        let received = hooks.received();
        let rejected: Vec<Value> = received
            .iter()
            .map(|r| serde_json::from_str::<Value>(r["body"].as_str().unwrap()).unwrap())
            .filter(|b| b["type"] == "cve.rejected")
            .map(|b| b["data"]["cve_id"].clone())
            .collect();
        assert_eq!(rejected, vec![json!(first), json!(pooled)], "{received:?}");
        assert!(received.iter().all(|r| r["verified"] == true && !r["body"].as_str().unwrap().contains("MARKER")));
        let audit = t.get("/api/v1/audit/events?limit=500", &w.admin).await.expect(StatusCode::OK);
        assert_eq!(audit_actions(&audit.json, "advisory.cve_released").len(), 2, "{}", audit.text);
        assert_eq!(audit_actions(&audit.json, "cve.rejected").len(), 2, "{}", audit.text);
        w.finish().await;
    }
}

#[tokio::test]
async fn a_reservation_whose_answer_was_lost_is_adopted_once() {
    for backend in Backend::available() {
        let w = World::on(backend).await;
        let t = &w.t;
        // Two users of the CNA, and two ids a page so listings take pages.
        let double = CveServices::start_with(&format!("{USER},{OTHER_USER}"), 2);
        let now = || embargo_app::clock::Clock::now(t.clock());
        double.set_now(now());
        let (_, advisory) = cna_world(&w, &double).await;
        // Before the intent, the same user reserves one with cvelib: never adopted.
        let before = double.cvelib_json(&["reserve", "1", "--year", "2026", "--raw"])["cve_ids"][0]["cve_id"].clone();

        // Embargo's reservation is made, but its answer is lost with the connection.
        t.clock().advance(time::Duration::minutes(1));
        double.set_now(now());
        double.drop_next_answer();
        t.post(&format!("/api/v1/advisories/{advisory}/cve"), json!({}), &w.flask_team).await.expect(StatusCode::OK);
        t.run_jobs().await;
        let dropped: Vec<Value> = double.log().into_iter().filter(|r| r["dropped"] == true).collect();
        assert_eq!(dropped.len(), 1, "{:?}", double.log());
        let view = t.get(&format!("/api/v1/advisories/{advisory}"), &w.flask_team).await.expect(StatusCode::OK);
        assert_eq!(view.json["draft"]["aliases"], json!([]));
        assert_eq!(operations(&view.json)[0]["state"], "pending", "retried: {}", view.text);
        let lost = double.cvelib_json(&["list", "--state", "reserved", "--raw"]);
        let lost: Vec<Value> =
            lost.as_array().unwrap().iter().map(|c| c["cve_id"].clone()).filter(|c| *c != before).collect();
        assert_eq!(lost.len(), 1, "CVE Services reserved it: {lost:?}");
        let lost = lost[0].as_str().unwrap().to_owned();
        // After the intent: another user's id, then one more of the same user's than was asked for.
        let other = double.cvelib_as(OTHER_USER, &["reserve", "1", "--year", "2026", "--raw"]);
        t.clock().advance(time::Duration::minutes(1));
        double.set_now(now());
        let extra = double.cvelib_json(&["reserve", "1", "--year", "2026", "--raw"])["cve_ids"][0]["cve_id"].clone();

        // The reconciliation (two replicas on PostgreSQL) adopts exactly the lost id, once.
        t.clock().advance(time::Duration::minutes(2));
        double.set_now(now());
        if backend == Backend::Postgres {
            let replica = t.replica().await;
            let subscribers = embargo_app::Subscribers::standard(std::sync::Arc::new(embargo_app::LogNotifier));
            for _ in 0..3 {
                let (one, two) = tokio::join!(
                    t.app.run_due_jobs("replica-a", &subscribers, 1000),
                    replica.run_due_jobs("replica-b", &subscribers, 1000)
                );
                one.unwrap();
                two.unwrap();
            }
            drop(replica);
        } else {
            t.run_jobs().await;
        }
        // The waiting reservation then gives it to the advisory without calling again.
        t.clock().advance(time::Duration::minutes(1));
        double.set_now(now());
        t.run_jobs().await;
        let view = t.get(&format!("/api/v1/advisories/{advisory}"), &w.flask_team).await.expect(StatusCode::OK);
        assert_eq!(view.json["draft"]["aliases"], json!([lost]), "{}", view.text);
        let op = &operations(&view.json)[0];
        assert_eq!((op["kind"].as_str(), op["state"].as_str()), (Some("reserve"), Some("done")), "{op}");
        let embargo_reservations =
            double.log().iter().filter(|r| r["method"] == "POST" && r["path"] == "/api/cve-id").count();
        assert_eq!(embargo_reservations, 4, "Embargo reserved once, cvelib thrice: {:?}", double.log());
        let pages: Vec<String> = double
            .log()
            .iter()
            .filter(|r| {
                r["method"] == "GET"
                    && r["path"] == "/api/cve-id"
                    && r["query"].as_str().unwrap().contains("time_reserved.gt")
            })
            .map(|r| r["query"].as_str().unwrap().to_owned())
            .collect();
        assert!(pages.iter().any(|q| q.contains("page=2")), "the listing was read page by page: {pages:?}");
        let status = t.get("/api/v1/orgs/pallets/cve-services", &w.org_team).await.expect(StatusCode::OK);
        assert_eq!(status.json["unassigned"], json!([]), "nothing else adopted: {}", status.text);
        // cvelib sees the others still reserved, untouched.
        let listed = double.cvelib_json(&["list", "--state", "reserved", "--raw"]);
        let reserved: Vec<Value> = listed.as_array().unwrap().iter().map(|c| c["cve_id"].clone()).collect();
        let other: Value = serde_json::from_str::<Value>(&other).unwrap()["cve_ids"][0]["cve_id"].clone();
        for id in [&before, &other, &extra, &json!(lost)] {
            assert!(reserved.contains(id), "{id} in {reserved:?}");
        }
        let audit = t.get("/api/v1/audit/events?limit=500", &w.admin).await.expect(StatusCode::OK);
        let reconciled = audit_actions(&audit.json, "cve.reconciled");
        assert_eq!(reconciled.len(), 1, "{}", audit.text);
        assert_eq!(reconciled[0]["details"]["adopted"], json!([lost]));
        w.finish().await;
    }
}
