//! What a CSAF provider serves under `/.well-known/csaf/`, and the Atom feed:
//! published advisories only, every document reachable from the metadata.

use embargo_app::ImportFile;
use embargo_core::permission::Actor;
use embargo_testkit::Auth;
use http::StatusCode;
use serde_json::json;

use crate::fixture::World;

#[tokio::test]
async fn provider_metadata_leads_to_every_published_document() {
    let w = World::new().await;
    let record = json!({
        "id": "PSF-2026-3", "modified": "2026-03-01T12:00:00Z", "published": "2026-02-01T12:00:00Z",
        "aliases": ["CVE-2026-4242"], "summary": "Path traversal in send_file", "details": "Upgrade <now> & see.",
        "affected": [{"package": {"ecosystem": "PyPI", "name": "flask"},
                      "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "3.1.1"}]}]}],
        "database_specific": {"cwe_ids": ["CWE-22"]}
    });
    let file = ImportFile { name: "PSF-2026-3.json".into(), text: record.to_string() };
    w.t.app
        .import_osv(
            &Actor::Operator,
            &embargo_testkit::slug_of("pallets"),
            &embargo_testkit::slug_of("flask"),
            vec![file],
            &|_| {},
        )
        .await
        .unwrap();
    let (_, draft) = w.drafted("a secret flaw").await;

    let metadata = w.t.get("/.well-known/csaf/provider-metadata.json", &Auth::None).await.expect(StatusCode::OK).json;
    assert_eq!(metadata["canonical_url"], "http://127.0.0.1:8080/.well-known/csaf/provider-metadata.json");
    assert_eq!(metadata["role"], "csaf_provider");
    let feed_url = metadata["distributions"][1]["rolie"]["feeds"][0]["url"].as_str().unwrap();
    let feed_path = feed_url.strip_prefix("http://127.0.0.1:8080").unwrap();
    let feed = w.t.get(feed_path, &Auth::None).await.expect(StatusCode::OK).json;
    let entries = feed["feed"]["entry"].as_array().unwrap();
    assert_eq!(entries.len(), 2, "the advisory and its VEX document; the draft is not listed: {entries:?}");
    let document_path = entries[0]["content"]["src"].as_str().unwrap().strip_prefix("http://127.0.0.1:8080").unwrap();
    assert_eq!(document_path, "/.well-known/csaf/white/2026/psf-2026-3.json");
    let csaf = w.t.get(document_path, &Auth::None).await.expect(StatusCode::OK).json;
    assert_eq!(csaf["document"]["tracking"]["id"], "PSF-2026-3");
    assert_eq!(csaf["vulnerabilities"][0]["cve"], "CVE-2026-4242");
    assert_eq!(csaf["vulnerabilities"][0]["cwe"]["id"], "CWE-22");

    let index = w.t.get("/.well-known/csaf/white/index.txt", &Auth::None).await.expect(StatusCode::OK).text;
    assert_eq!(index, "2026/psf-2026-3.json\n2026/psf-2026-3-vex.json\n");
    let changes = w.t.get("/.well-known/csaf/white/changes.csv", &Auth::None).await.expect(StatusCode::OK).text;
    assert_eq!(
        changes,
        "\"2026/psf-2026-3-vex.json\",\"2026-03-01T12:00:00Z\"\n\"2026/psf-2026-3.json\",\"2026-03-01T12:00:00Z\"\n"
    );
    let draft_path = format!("/.well-known/csaf/white/2026/{}.json", draft.to_lowercase());
    w.t.get(&draft_path, &Auth::None).await.expect(StatusCode::NOT_FOUND);

    let atom = w.t.get("/advisories/feed.atom", &Auth::None).await.expect(StatusCode::OK);
    assert!(atom.headers[http::header::CONTENT_TYPE].to_str().unwrap().starts_with("application/atom+xml"));
    assert!(atom.text.contains("<title>PSF-2026-3: Path traversal in send_file</title>"), "{}", atom.text);
    assert!(atom.text.contains("Upgrade &lt;now&gt; &amp; see."));
    assert!(!atom.text.contains("a secret flaw"), "drafts stay out of the feed");
    w.finish().await;
}

#[tokio::test]
async fn the_cwe_list_offers_ids_with_names() {
    let w = World::new().await;
    let all = w.t.get("/api/v1/cwes", &Auth::None).await.expect(StatusCode::OK).json;
    assert!(all.as_array().unwrap().len() > 1000);
    let found = w.t.get("/api/v1/cwes?q=path%20traversal", &Auth::None).await.expect(StatusCode::OK).json;
    assert_eq!(found[0]["id"], "CWE-22");
    let by_id = w.t.get("/api/v1/cwes?q=CWE-79", &Auth::None).await.expect(StatusCode::OK).json;
    assert_eq!(by_id.as_array().unwrap().len(), 1);
    assert!(by_id[0]["name"].as_str().unwrap().contains("Cross-site Scripting"));
    w.t.get("/api/v1/cwes?wrong=1", &Auth::None).await.expect(StatusCode::BAD_REQUEST);
    w.finish().await;
}

/// Runs a command in `dir` with `stdin`; answers (success, stdout and stderr).
fn sh(dir: &std::path::Path, program: &str, args: &[&str], stdin: &[u8]) -> (bool, String) {
    use std::io::Write as _;
    let mut child = std::process::Command::new(program)
        .current_dir(dir)
        .args(args)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("{program}: {e}"));
    child.stdin.take().unwrap().write_all(stdin).unwrap();
    let out = child.wait_with_output().unwrap();
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    (out.status.success(), text)
}

#[tokio::test]
async fn a_trusted_provider_hashes_signs_and_lists_every_document_issue_14() {
    let w = World::new().await;
    let record = json!({
        "id": "PSF-2026-3", "modified": "2026-03-01T12:00:00Z", "published": "2026-02-01T12:00:00Z",
        "aliases": ["CVE-2026-4242"], "summary": "Path traversal in send_file",
        "affected": [{"package": {"ecosystem": "PyPI", "name": "flask"},
                      "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "3.1.1"}]}]}]
    });
    // Withdrawn, with no range at all (as PyPA's PYSEC-2022-15).
    let withdrawn = json!({
        "id": "PSF-2025-9", "modified": "2025-01-29T16:47:14Z", "published": "2025-01-21T11:15:00Z",
        "withdrawn": "2025-02-22T16:15:07Z", "details": "This CVE has been rejected as it was incorrectly assigned.",
        "affected": [{"package": {"ecosystem": "PyPI", "name": "flask"}}]
    });
    let files = vec![
        ImportFile { name: "PSF-2026-3.json".into(), text: record.to_string() },
        ImportFile { name: "PSF-2025-9.json".into(), text: withdrawn.to_string() },
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
    let (_, draft) = w.drafted("a secret flaw").await;

    let doc_path = "/.well-known/csaf/white/2026/psf-2026-3.json";
    let unsigned = w.t.get("/.well-known/csaf/provider-metadata.json", &Auth::None).await.expect(StatusCode::OK).json;
    assert_eq!(unsigned["role"], "csaf_provider", "no key, no signatures: not a trusted provider");
    w.t.get(&format!("{doc_path}.asc"), &Auth::None).await.expect(StatusCode::NOT_FOUND);

    let public_key = w.t.org_key("pallets").await;
    // The fake clock stands before the key's real creation time: a signature may not predate its key.
    w.t.clock().set(time::OffsetDateTime::now_utc() + time::Duration::minutes(5));
    let metadata = w.t.get("/.well-known/csaf/provider-metadata.json", &Auth::None).await.expect(StatusCode::OK).json;
    assert_eq!(metadata["role"], "csaf_trusted_provider");
    assert_eq!(metadata["publisher"]["category"], "vendor", "the documents' publisher category");
    let key = &metadata["public_openpgp_keys"][0];
    let key_path = key["url"].as_str().unwrap().strip_prefix("http://127.0.0.1:8080").unwrap();
    assert_eq!(w.t.get(key_path, &Auth::None).await.expect(StatusCode::OK).text, public_key);

    let document = w.t.get(doc_path, &Auth::None).await.expect(StatusCode::OK);
    assert_eq!(document.json["document"]["publisher"]["category"], "vendor");
    assert_eq!(document.headers["access-control-allow-origin"], "*");
    let etag = document.headers[http::header::ETAG].to_str().unwrap().to_owned();
    assert_eq!(document.headers[http::header::LAST_MODIFIED], "Sun, 01 Mar 2026 12:00:00 GMT");
    let revisions = &document.json["document"]["tracking"]["revision_history"];
    assert_eq!(revisions[0]["date"], "2026-02-01T12:00:00Z", "the first revision is dated at `published`");
    let again = http::Request::get(doc_path).header(http::header::IF_NONE_MATCH, &etag).body(Default::default());
    assert_eq!(w.t.send(again.unwrap()).await.status, StatusCode::NOT_MODIFIED);

    // The hashes and the signature check with the standard tools, over the bytes served.
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path().join("gnupg");
    std::fs::create_dir(&home).unwrap();
    std::fs::write(dir.path().join("psf-2026-3.json"), &document.text).unwrap();
    for suffix in [".sha256", ".sha512", ".asc"] {
        let file = w.t.get(&format!("{doc_path}{suffix}"), &Auth::None).await.expect(StatusCode::OK);
        std::fs::write(dir.path().join(format!("psf-2026-3.json{suffix}")), &file.text).unwrap();
    }
    let (sums_ok, sums) = sh(dir.path(), "sha256sum", &["-c", "psf-2026-3.json.sha256"], b"");
    assert!(sums_ok, "{sums}");
    let (sums_ok, sums) = sh(dir.path(), "sha512sum", &["-c", "psf-2026-3.json.sha512"], b"");
    assert!(sums_ok, "{sums}");
    let gpg = ["--homedir", home.to_str().unwrap(), "--batch", "--trust-model", "always"];
    let (imported, said) = sh(dir.path(), "gpg", &[&gpg[..], &["--import"]].concat(), public_key.as_bytes());
    assert!(imported, "{said}");
    let verify = [&gpg[..], &["--verify", "psf-2026-3.json.asc", "psf-2026-3.json"]].concat();
    let (good, said) = sh(dir.path(), "gpg", &verify, b"");
    assert!(good && said.contains("Good signature"), "{said}");
    std::fs::write(dir.path().join("psf-2026-3.json"), document.text.replace("send_file", "send_fil3")).unwrap();
    let (good, said) = sh(dir.path(), "gpg", &verify, b"");
    assert!(!good, "an altered document fails: {said}");

    // The folders are browsable, and list only published documents.
    let white = w.t.get("/.well-known/csaf/white/", &Auth::None).await.expect(StatusCode::OK).text;
    for entry in [
        "href=\"index.txt\"",
        "href=\"changes.csv\"",
        "href=\"feed-tlp-white.json\"",
        "href=\"2025/\"",
        "href=\"2026/\"",
    ] {
        assert!(white.contains(entry), "{entry}: {white}");
    }
    let year = w.t.get("/.well-known/csaf/white/2026/", &Auth::None).await.expect(StatusCode::OK).text;
    for suffix in ["", ".sha256", ".sha512", ".asc"] {
        assert!(year.contains(&format!("href=\"psf-2026-3.json{suffix}\"")), "{suffix}: {year}");
    }
    assert!(!year.contains(&draft.to_lowercase()), "drafts stay out: {year}");
    w.t.get("/.well-known/csaf/white/1999/", &Auth::None).await.expect(StatusCode::NOT_FOUND);
    let feed = w.t.get("/.well-known/csaf/white/feed-tlp-white.json", &Auth::None).await.expect(StatusCode::OK).json;
    let links: Vec<&str> =
        feed["feed"]["entry"][1]["link"].as_array().unwrap().iter().map(|l| l["rel"].as_str().unwrap()).collect();
    assert_eq!(links, ["self", "hash", "hash", "signature"]);

    // Withdrawn: one more revision, and a csaf_base document stating no product.
    let gone = w.t.get("/.well-known/csaf/white/2025/psf-2025-9.json", &Auth::None).await.expect(StatusCode::OK).json;
    let tracking = &gone["document"]["tracking"];
    assert_eq!((tracking["status"].as_str(), tracking["version"].as_str()), (Some("final"), Some("2")));
    assert_eq!(tracking["revision_history"][1]["summary"], "Withdrawn");
    assert_eq!(tracking["current_release_date"], "2025-02-22T16:15:07Z");
    assert_eq!(gone["document"]["category"], "csaf_base");
    assert!(gone.get("vulnerabilities").is_none() && gone.get("product_tree").is_none(), "{gone}");
    w.finish().await;
}

/// The official validators beside the conformance data, when configured.
fn shared_tool(name: &str) -> Option<std::path::PathBuf> {
    let dir = std::env::var_os("EMBARGO_CONFORMANCE_DIR")?;
    let path = std::path::Path::new(&dir).join("../tools").join(name);
    path.exists().then_some(path)
}

/// Errors of an OpenVEX document against the OpenVEX 0.2.0 schema of the
/// conformance data (Python `jsonschema`); `None` where either is missing.
fn openvex_errors(document: &str) -> Option<Vec<String>> {
    let dir = std::env::var_os("EMBARGO_CONFORMANCE_DIR")?;
    let schema = std::path::Path::new(&dir).join("vex/openvex_json_schema.json");
    let script = "import json, sys\n\
                  from jsonschema import Draft202012Validator\n\
                  schema = json.load(open(sys.argv[1]))\n\
                  v = Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)\n\
                  for e in v.iter_errors(json.load(sys.stdin)): print(list(e.absolute_path), e.message)";
    let dir = tempfile::tempdir().unwrap();
    let (ok, said) = sh(dir.path(), "python3", &["-c", script, schema.to_str().unwrap()], document.as_bytes());
    ok.then(|| said.lines().map(str::to_owned).collect())
}

#[tokio::test]
async fn the_team_states_release_lines_not_affected_in_both_vex_documents_issue_14() {
    let w = World::new().await;
    let record = json!({
        "id": "PSF-2026-3", "modified": "2026-03-01T12:00:00Z", "published": "2026-02-01T12:00:00Z",
        "aliases": ["CVE-2026-4242"], "summary": "Path traversal in send_file",
        "affected": [{"package": {"ecosystem": "PyPI", "name": "flask"},
                      "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "3.0.0"}, {"fixed": "3.1.1"}]}]}]
    });
    let file = ImportFile { name: "PSF-2026-3.json".into(), text: record.to_string() };
    w.t.app
        .import_osv(
            &Actor::Operator,
            &embargo_testkit::slug_of("pallets"),
            &embargo_testkit::slug_of("flask"),
            vec![file],
            &|_| {},
        )
        .await
        .unwrap();
    let marker = "PRIVATE-MARKER-7f3a";
    let (_, draft) = w.drafted(marker).await;
    w.t.patch(&format!("/api/v1/advisories/{draft}"), json!({"details": marker}), &w.flask_team)
        .await
        .expect(StatusCode::OK);
    w.t.put("/api/v1/projects/pallets/flask/release-lines/2.3", json!({"status": "security"}), &w.flask_team)
        .await
        .expect(StatusCode::OK);

    let path = "/api/v1/advisories/PSF-2026-3/vex/2.3";
    let body = json!({"justification": "vulnerable_code_not_present", "impact": "send_file came in 3.0."});
    w.t.put(path, body.clone(), &w.alice).await.expect(StatusCode::NOT_FOUND);
    w.t.put(path, body.clone(), &w.jinja_team).await.expect(StatusCode::NOT_FOUND);
    let bad = w.t.put(path, json!({"justification": "not_present"}), &w.flask_team).await;
    assert!(bad.expect(StatusCode::UNPROCESSABLE_ENTITY).text.contains("not_present"));
    let nothing = w.t.get("/.well-known/csaf/white/2026/psf-2026-3-vex.json", &Auth::None).await.expect(StatusCode::OK);
    assert!(nothing.json["vulnerabilities"][0]["product_status"]["known_not_affected"].is_null());
    let stated = w.t.put(path, body, &w.flask_team).await.expect(StatusCode::OK).json;
    assert_eq!(stated[0]["line"], "2.3");

    let csaf = w.t.get("/.well-known/csaf/white/2026/psf-2026-3-vex.json", &Auth::None).await.expect(StatusCode::OK);
    assert_eq!(csaf.json["document"]["category"], "csaf_vex");
    let v = &csaf.json["vulnerabilities"][0];
    let not_affected = v["product_status"]["known_not_affected"][0].as_str().unwrap();
    assert_eq!(v["flags"][0], json!({"label": "vulnerable_code_not_present", "product_ids": [not_affected]}));
    assert_eq!(v["threats"][0]["details"], "send_file came in 3.0.");
    let index = w.t.get("/.well-known/csaf/white/index.txt", &Auth::None).await.expect(StatusCode::OK).text;
    assert_eq!(index, "2026/psf-2026-3.json\n2026/psf-2026-3-vex.json\n", "the provider lists the VEX document");

    let openvex = w.t.get("/.well-known/csaf/openvex/2026/psf-2026-3.json", &Auth::None).await.expect(StatusCode::OK);
    let statements = openvex.json["statements"].as_array().unwrap();
    let not = statements.iter().find(|s| s["status"] == "not_affected").unwrap();
    assert_eq!(not["justification"], "vulnerable_code_not_present");
    assert_eq!(not["impact_statement"], "send_file came in 3.0.");
    assert!(statements.iter().any(|s| s["status"] == "fixed" && s["products"][0]["@id"] == "pkg:pypi/flask@3.1.1"));
    match openvex_errors(&openvex.text) {
        Some(errors) => assert!(errors.is_empty(), "OpenVEX schema: {errors:?}"),
        None => assert!(std::env::var_os("CI").is_none(), "python3 with jsonschema is needed under CI"),
    }
    match shared_tool("validate-csaf") {
        Some(tool) => {
            let dir = tempfile::tempdir().unwrap();
            std::fs::write(dir.path().join("psf-2026-3-vex.json"), &csaf.text).unwrap();
            let (valid, said) = sh(dir.path(), tool.to_str().unwrap(), &["psf-2026-3-vex.json"], b"");
            assert!(valid, "{said}");
        }
        None => assert!(std::env::var_os("CI").is_none(), "validate-csaf is needed under CI"),
    }

    // The advisory page links both; the editor takes a statement back without JavaScript.
    let page = w.t.get("/advisories/PSF-2026-3", &Auth::None).await.expect(StatusCode::OK).text;
    assert!(page.contains("/.well-known/csaf/white/2026/psf-2026-3-vex.json"), "{page}");
    assert!(page.contains("/.well-known/csaf/openvex/2026/psf-2026-3.json"), "{page}");
    let editor = w.t.get("/advisories/PSF-2026-3/edit", &w.flask_team).await.expect(StatusCode::OK).text;
    assert!(editor.contains("send_file came in 3.0."), "the editor lists the statement");
    let removed = w.t.form("/advisories/PSF-2026-3/vex/2.3/remove", &[], &w.flask_team).await;
    assert_eq!(removed.status, StatusCode::SEE_OTHER);
    let after = w.t.get("/.well-known/csaf/openvex/2026/psf-2026-3.json", &Auth::None).await.expect(StatusCode::OK);
    assert!(!after.text.contains("not_affected"), "{}", after.text);
    let restated =
        w.t.form(
            "/advisories/PSF-2026-3/vex",
            &[("line", "2.3"), ("justification", "component_not_present")],
            &w.flask_team,
        )
        .await;
    assert_eq!(restated.status, StatusCode::SEE_OTHER);

    // Nothing of the draft reaches any provider file.
    let mut seen = Vec::new();
    for listing in ["/.well-known/csaf/white/", "/.well-known/csaf/white/2026/"] {
        let text = w.t.get(listing, &Auth::None).await.expect(StatusCode::OK).text;
        for href in text.split("href=\"").skip(1).filter_map(|s| s.split('"').next()) {
            if !href.ends_with('/') {
                seen.push(format!("{listing}{href}"));
            }
        }
    }
    seen.extend([
        "/.well-known/csaf/provider-metadata.json".into(),
        "/.well-known/csaf/openvex/2026/psf-2026-3.json".into(),
    ]);
    assert!(seen.len() > 8, "{seen:?}");
    for file in &seen {
        let text = w.t.get(file, &Auth::None).await.expect(StatusCode::OK).text;
        assert!(!text.contains(marker) && !text.contains(&draft), "{file} leaks the draft");
    }
    w.finish().await;
}
