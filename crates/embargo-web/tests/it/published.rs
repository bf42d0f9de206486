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
    assert_eq!(entries.len(), 1, "the draft is not listed: {entries:?}");
    let document_path = entries[0]["content"]["src"].as_str().unwrap().strip_prefix("http://127.0.0.1:8080").unwrap();
    assert_eq!(document_path, "/.well-known/csaf/white/2026/psf-2026-3.json");
    let csaf = w.t.get(document_path, &Auth::None).await.expect(StatusCode::OK).json;
    assert_eq!(csaf["document"]["tracking"]["id"], "PSF-2026-3");
    assert_eq!(csaf["vulnerabilities"][0]["cve"], "CVE-2026-4242");
    assert_eq!(csaf["vulnerabilities"][0]["cwe"]["id"], "CWE-22");

    let index = w.t.get("/.well-known/csaf/white/index.txt", &Auth::None).await.expect(StatusCode::OK).text;
    assert_eq!(index, "2026/psf-2026-3.json\n");
    let changes = w.t.get("/.well-known/csaf/white/changes.csv", &Auth::None).await.expect(StatusCode::OK).text;
    assert_eq!(changes, "\"2026/psf-2026-3.json\",\"2026-03-01T12:00:00Z\"\n");
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
