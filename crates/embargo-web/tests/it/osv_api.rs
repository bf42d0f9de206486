//! The OSV-compatible API: OSV.dev's request and response shapes, published
//! advisories only, ecosystem-aware version matching, clear client errors.

use embargo_app::ImportFile;
use embargo_core::permission::Actor;
use embargo_testkit::Auth;
use http::{Method, Request, StatusCode, header};
use serde_json::{Value, json};

use crate::fixture::World;

const COMMIT: &str = "0123456789abcdef0123456789abcdef01234567";

fn osv_file(id: &str, modified: &str, affected: Value) -> ImportFile {
    let record = json!({
        "id": id,
        "modified": modified,
        "published": "2026-01-10T08:00:00Z",
        "aliases": [format!("CVE-2026-{}", 1000 + id.len())],
        "summary": format!("{id} summary"),
        "details": "Upgrade.",
        "affected": affected,
    });
    ImportFile { name: format!("{id}.json"), text: record.to_string() }
}

/// Two published flask advisories (imported), and the world's draft.
async fn world_with_advisories() -> (World, String) {
    let w = World::new().await;
    let files = vec![
        osv_file(
            "PSF-2026-1",
            "2026-02-01T10:00:00Z",
            json!([{"package": {"ecosystem": "PyPI", "name": "Flask"},
                    "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "2.3.9"}]}]}]),
        ),
        osv_file(
            "PALLETS-2026-7",
            "2026-02-02T10:00:00Z",
            json!([{"package": {"ecosystem": "PyPI", "name": "flask"},
                    "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "3.0.0"}, {"fixed": "3.1.1"}]},
                               {"type": "GIT", "repo": "https://github.com/pallets/flask",
                                "events": [{"introduced": COMMIT}, {"fixed": "89abcdef0123456789abcdef0123456789abcdef"}]}]}]),
        ),
    ];
    w.t.app
        .import_osv(
            &Actor::Operator,
            &embargo_testkit::slug_of("pallets"),
            &embargo_testkit::slug_of("flask"),
            files,
            &|_| {},
        )
        .await
        .unwrap();
    let (_, draft) = w.drafted("an unpublished flaw").await;
    let affected = json!([{"package": {"ecosystem": "PyPI", "name": "flask"},
                           "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "9.9"}]}]}]);
    w.t.patch(&format!("/api/v1/advisories/{draft}"), json!({"affected": affected}), &w.flask_team)
        .await
        .expect(StatusCode::OK);
    (w, draft)
}

fn ids(reply: &Value) -> Vec<String> {
    let mut ids: Vec<String> =
        reply["vulns"].as_array().into_iter().flatten().map(|v| v["id"].as_str().unwrap().to_owned()).collect();
    ids.sort();
    ids
}

async fn query(w: &World, body: Value) -> Value {
    w.t.post("/osv/v1/query", body, &Auth::None).await.expect(StatusCode::OK).json
}

async fn package_version(w: &World, name: &str, version: &str) -> Vec<String> {
    ids(&query(w, json!({"package": {"ecosystem": "PyPI", "name": name}, "version": version})).await)
}

#[tokio::test]
async fn published_advisories_answer_queries_by_version_package_and_commit() {
    let (w, draft) = world_with_advisories().await;
    assert_eq!(package_version(&w, "flask", "2.3.8").await, vec!["PSF-2026-1"]);
    assert_eq!(package_version(&w, "flask", "2.3.9").await, Vec::<String>::new());
    assert_eq!(package_version(&w, "flask", "3.1.0rc1").await, vec!["x_PALLETS-2026-7"]);
    assert_eq!(package_version(&w, "Flask", "0.12").await, vec!["PSF-2026-1"], "PyPI names are normalised");
    assert_eq!(package_version(&w, "flask", "5.0").await, Vec::<String>::new(), "only the draft covers 5.0");

    let none = query(&w, json!({"package": {"ecosystem": "PyPI", "name": "flask"}, "version": "3.1.1"})).await;
    assert_eq!(none, json!({}), "no vulnerabilities: an empty object, as OSV.dev answers");

    let all = query(&w, json!({"package": {"ecosystem": "PyPI", "name": "flask"}})).await;
    assert_eq!(ids(&all), vec!["PSF-2026-1", "x_PALLETS-2026-7"]);
    let record = all["vulns"].as_array().unwrap().iter().find(|v| v["id"] == "PSF-2026-1").unwrap();
    assert_eq!(record["modified"], "2026-02-01T10:00:00Z");
    assert_eq!(record["affected"][0]["ranges"][0]["events"][1]["fixed"], "2.3.9");
    assert_eq!(record["schema_version"], "1.7.0");

    let purl = query(&w, json!({"package": {"purl": "pkg:pypi/flask@2.0.0"}})).await;
    assert_eq!(ids(&purl), vec!["PSF-2026-1"]);
    let by_commit = query(&w, json!({"commit": COMMIT})).await;
    assert_eq!(ids(&by_commit), vec!["x_PALLETS-2026-7"]);

    let batch =
        w.t.post(
            "/osv/v1/querybatch",
            json!({"queries": [
                {"package": {"ecosystem": "PyPI", "name": "flask"}, "version": "3.0.0"},
                {"package": {"ecosystem": "PyPI", "name": "flask"}, "version": "3.2.0"},
                {"package": {"ecosystem": "npm", "name": "flask"}, "version": "1.0.0"},
                {"commit": COMMIT}
            ]}),
            &Auth::None,
        )
        .await
        .expect(StatusCode::OK)
        .json;
    assert_eq!(
        batch,
        json!({"results": [
            {"vulns": [{"id": "x_PALLETS-2026-7", "modified": "2026-02-02T10:00:00Z"}]},
            {},
            {},
            {"vulns": [{"id": "x_PALLETS-2026-7", "modified": "2026-02-02T10:00:00Z"}]}
        ]})
    );

    let one = w.t.get("/osv/v1/vulns/x_PALLETS-2026-7", &Auth::None).await.expect(StatusCode::OK).json;
    assert_eq!(one["id"], "x_PALLETS-2026-7");
    let same = w.t.get("/osv/v1/vulns/PALLETS-2026-7", &Auth::None).await.expect(StatusCode::OK).json;
    assert_eq!(same, one);
    for auth in [Auth::None, w.flask_team.clone()] {
        w.t.get(&format!("/osv/v1/vulns/{draft}"), &auth).await.expect(StatusCode::NOT_FOUND);
    }
    w.finish().await;
}

#[tokio::test]
async fn a_publication_shows_in_the_next_answer() {
    let (w, draft) = world_with_advisories().await;
    assert_eq!(package_version(&w, "flask", "5.0").await, Vec::<String>::new());
    assert!(
        w.t.app.advisory(&Actor::Operator, &draft.parse().unwrap()).await.is_err(),
        "the operator does not see drafts either"
    );
    let reports = w.t.get("/api/v1/reports", &w.flask_team).await.expect(StatusCode::OK).json;
    let report_id = reports.as_array().unwrap()[0]["id"].as_str().unwrap().to_owned();
    for state in ["fixing", "fixed"] {
        w.transition(&report_id, state, &w.flask_team).await.expect(StatusCode::OK);
    }
    w.t.post(&format!("/api/v1/advisories/{draft}/publish"), json!({}), &w.flask_team).await.expect(StatusCode::OK);
    assert_eq!(package_version(&w, "flask", "5.0").await, vec![format!("x_{draft}")]);
    w.finish().await;
}

#[tokio::test]
async fn bad_queries_are_client_errors_and_no_content_type_is_needed() {
    let (w, _) = world_with_advisories().await;
    let raw = |body: &str, content_type: Option<&str>| {
        let mut builder = Request::builder().method(Method::POST).uri("/osv/v1/query");
        if let Some(t) = content_type {
            builder = builder.header(header::CONTENT_TYPE, t);
        }
        builder.body(axum::body::Body::from(body.to_owned())).unwrap()
    };
    // pip-audit posts its JSON without a Content-Type.
    let reply = w.t.send(raw(r#"{"package": {"name": "flask", "ecosystem": "PyPI"}, "version": "2.0"}"#, None)).await;
    assert_eq!((reply.status, ids(&reply.json)), (StatusCode::OK, vec!["PSF-2026-1".to_owned()]));

    // OSV.dev answers bad queries 400 with gRPC's INVALID_ARGUMENT (3).
    for body in [
        "{",
        r#"{"package": {"name": "flask"}, "version": "1"}"#,
        r#"{"version": "1"}"#,
        r#"{}"#,
        r#"{"commit": "abc", "version": "1", "package": {"name": "a", "ecosystem": "PyPI"}}"#,
        r#"{"package": {"purl": "not a purl"}}"#,
        r#"{"package": {"purl": "pkg:unknowntype/x"}}"#,
        r#"{"package": {"name": "a", "ecosystem": "PyPI"}, "page_token": "next"}"#,
        r#"{"package": {"name": "a", "ecosystem": "PyPI"}, "surprise": 1}"#,
        r#"{"version": 3}"#,
    ] {
        let reply = w.t.send(raw(body, Some("application/json"))).await;
        assert_eq!((reply.status, &reply.json["code"]), (StatusCode::BAD_REQUEST, &json!(3)), "{body}: {}", reply.text);
        assert!(reply.json["message"].as_str().is_some_and(|m| !m.is_empty()));
        assert_eq!(reply.json.as_object().unwrap().len(), 2, "only code and message, as OSV.dev");
    }
    let too_many: Vec<Value> = (0..1001).map(|_| json!({"package": {"ecosystem": "PyPI", "name": "flask"}})).collect();
    let reply = w.t.post("/osv/v1/querybatch", json!({"queries": too_many}), &Auth::None).await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{}", reply.text);
    assert!(reply.json["message"].as_str().unwrap().contains("1000"));
    let missing = w.t.get("/osv/v1/vulns/not-an-id", &Auth::None).await.expect(StatusCode::NOT_FOUND);
    assert_eq!(missing.json, json!({"code": 5, "message": "Bug not found."}));
    w.finish().await;
}

#[tokio::test]
async fn withdrawn_records_are_served_by_id_only_issue_14() {
    let w = World::new().await;
    let mut withdrawn = osv_file(
        "PSF-2026-9",
        "2026-03-01T10:00:00Z",
        json!([{"package": {"ecosystem": "PyPI", "name": "flask"},
                "ranges": [{"type": "GIT", "repo": "https://github.com/pallets/flask",
                            "events": [{"introduced": COMMIT}]}]}]),
    );
    let mut record: Value = serde_json::from_str(&withdrawn.text).unwrap();
    record["withdrawn"] = json!("2026-03-02T10:00:00Z");
    withdrawn.text = record.to_string();
    w.t.app
        .import_osv(
            &Actor::Operator,
            &embargo_testkit::slug_of("pallets"),
            &embargo_testkit::slug_of("flask"),
            vec![withdrawn],
            &|_| {},
        )
        .await
        .unwrap();
    assert_eq!(query(&w, json!({"package": {"ecosystem": "PyPI", "name": "flask"}})).await, json!({}));
    assert_eq!(query(&w, json!({"commit": COMMIT})).await, json!({}));
    let batch = w.t.post("/osv/v1/querybatch", json!({"queries": [{"commit": COMMIT}]}), &Auth::None).await;
    assert_eq!(batch.expect(StatusCode::OK).json, json!({"results": [{}]}));
    let one = w.t.get("/osv/v1/vulns/PSF-2026-9", &Auth::None).await.expect(StatusCode::OK).json;
    assert_eq!(one["withdrawn"], "2026-03-02T10:00:00Z");
    w.finish().await;
}

#[tokio::test]
async fn abbreviated_commits_and_purls_match_issue_14() {
    let (w, _) = world_with_advisories().await;
    for commit in [&COMMIT[..7], &COMMIT[..12], &COMMIT.to_ascii_uppercase()] {
        assert_eq!(ids(&query(&w, json!({"commit": commit})).await), vec!["x_PALLETS-2026-7"], "{commit}");
    }
    assert_eq!(query(&w, json!({"commit": &COMMIT[..6]})).await, json!({}), "six digits name nothing");
    assert_eq!(query(&w, json!({"commit": "89abcdef0123456789abcdef0123456789abcdef"})).await, json!({}), "fixed");
    let purl = query(&w, json!({"package": {"purl": "pkg:pypi/Flask@3.1.0?extension=whl"}})).await;
    assert_eq!(ids(&purl), vec!["x_PALLETS-2026-7"], "qualifiers are ignored and names normalised");
    let all = query(&w, json!({"package": {"purl": "pkg:pypi/flask"}})).await;
    assert_eq!(ids(&all), vec!["PSF-2026-1", "x_PALLETS-2026-7"]);
    assert_eq!(all["vulns"][0]["affected"][0]["package"]["purl"], "pkg:pypi/flask", "records carry the purl");
    w.finish().await;
}

#[tokio::test]
async fn more_than_a_thousand_results_are_paged_issue_14() {
    let w = World::new().await;
    let files: Vec<ImportFile> = (0..1001)
        .map(|i| {
            osv_file(
                &format!("PSF-2026-{}", 100 + i),
                "2026-02-01T10:00:00Z",
                json!([{"package": {"ecosystem": "PyPI", "name": "flask"},
                        "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}]}]}]),
            )
        })
        .collect();
    w.t.app
        .import_osv(
            &Actor::Operator,
            &embargo_testkit::slug_of("pallets"),
            &embargo_testkit::slug_of("flask"),
            files,
            &|_| {},
        )
        .await
        .unwrap();
    let q = json!({"package": {"ecosystem": "PyPI", "name": "flask"}, "version": "1.0"});
    let first = query(&w, q.clone()).await;
    assert_eq!(first["vulns"].as_array().unwrap().len(), 1000);
    let token = first["next_page_token"].as_str().unwrap().to_owned();
    let mut next = q.clone();
    next["page_token"] = json!(token);
    let second = query(&w, next.clone()).await;
    assert_eq!(second["vulns"].as_array().unwrap().len(), 1);
    assert!(second.get("next_page_token").is_none());
    let mut seen = ids(&first);
    seen.extend(ids(&second));
    seen.sort();
    seen.dedup();
    assert_eq!(seen.len(), 1001, "every record once");
    let batch = w.t.post("/osv/v1/querybatch", json!({"queries": [q, next]}), &Auth::None).await.expect(StatusCode::OK);
    assert_eq!(batch.json["results"][0]["vulns"].as_array().unwrap().len(), 1000);
    assert_eq!(batch.json["results"][0]["next_page_token"], json!(token));
    assert_eq!(batch.json["results"][1]["vulns"].as_array().unwrap().len(), 1);
    w.finish().await;
}

#[tokio::test]
async fn rustsec_notices_are_shown_as_notices_issue_14() {
    let w = World::new().await;
    let mut record = json!({
        "id": "RUSTSEC-2021-0060", "modified": "2021-04-29T12:00:00Z", "summary": "`aes-soft` has been merged into `aes`",
        "affected": [{"package": {"ecosystem": "crates.io", "name": "aes-soft"},
                      "ranges": [{"type": "SEMVER", "events": [{"introduced": "0.0.0-0"}]}],
                      "database_specific": {"categories": [], "cvss": null, "informational": "unmaintained"}}],
    });
    let file = |record: &Value| ImportFile { name: "notice.json".into(), text: record.to_string() };
    w.t.app
        .import_osv(
            &Actor::Operator,
            &embargo_testkit::slug_of("pallets"),
            &embargo_testkit::slug_of("flask"),
            vec![file(&record)],
            &|_| {},
        )
        .await
        .unwrap();
    let page = w.t.get("/advisories/RUSTSEC-2021-0060", &Auth::None).await.expect(StatusCode::OK);
    assert!(page.text.contains("Notice: unmaintained"), "{}", page.text);
    assert!(page.text.contains("not a vulnerability"));
    let list = w.t.get("/advisories", &Auth::None).await.expect(StatusCode::OK);
    assert!(list.text.contains("Notice: unmaintained"));
    record["id"] = json!("RUSTSEC-2021-0061");
    record["affected"][0]["database_specific"]["informational"] = Value::Null;
    w.t.app
        .import_osv(
            &Actor::Operator,
            &embargo_testkit::slug_of("pallets"),
            &embargo_testkit::slug_of("flask"),
            vec![file(&record)],
            &|_| {},
        )
        .await
        .unwrap();
    let page = w.t.get("/advisories/RUSTSEC-2021-0061", &Auth::None).await.expect(StatusCode::OK);
    assert!(!page.text.contains("Notice:"), "a vulnerability is not a notice");
    w.finish().await;
}

#[tokio::test]
async fn distribution_purls_and_ecosystems_without_release_match_issue_14() {
    let w = World::new().await;
    let package =
        |ecosystem: &str| json!([{"package": {"ecosystem": ecosystem, "name": "openssl"}, "versions": ["3.0.11-1"]}]);
    let files = vec![
        osv_file("PSF-2026-21", "2026-02-01T10:00:00Z", package("Debian:12")),
        osv_file("PSF-2026-22", "2026-02-01T10:00:00Z", package("Ubuntu:22.04")),
    ];
    w.t.app
        .import_osv(
            &Actor::Operator,
            &embargo_testkit::slug_of("pallets"),
            &embargo_testkit::slug_of("flask"),
            files,
            &|_| {},
        )
        .await
        .unwrap();
    let ecosystems = |reply: &Value| -> Vec<String> {
        reply["vulns"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|v| v["affected"][0]["package"]["ecosystem"].as_str().unwrap().to_owned())
            .collect()
    };
    let debian = query(&w, json!({"package": {"purl": "pkg:deb/debian/openssl@3.0.11-1?arch=amd64"}})).await;
    assert_eq!(ecosystems(&debian), ["Debian:12"]);
    let ubuntu = query(&w, json!({"package": {"purl": "pkg:deb/ubuntu/openssl"}})).await;
    assert_eq!(ecosystems(&ubuntu), ["Ubuntu:22.04"]);
    let by_name = query(&w, json!({"package": {"ecosystem": "Debian", "name": "openssl"}})).await;
    assert_eq!(ecosystems(&by_name), ["Debian:12"], "the ecosystem without its release finds every release");
    assert_eq!(query(&w, json!({"package": {"ecosystem": "Debian:11", "name": "openssl"}})).await, json!({}));
    assert_eq!(query(&w, json!({"package": {"purl": "pkg:rpm/redhat/openssl"}})).await, json!({}));
    let unknown = w.t.post("/osv/v1/query", json!({"package": {"purl": "pkg:rpm/fedora/openssl"}}), &Auth::None).await;
    assert_eq!(unknown.expect(StatusCode::BAD_REQUEST).json["code"], 3);
    w.finish().await;
}
