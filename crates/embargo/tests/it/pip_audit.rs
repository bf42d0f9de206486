//! The real client against a running instance: `pip-audit -s osv
//! --osv-url URL` finds exactly the advisories that cover the pinned
//! versions of a requirements file, and none for fixed versions.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::tools::{missing, provider_metadata_errors, tool, validate};
use crate::{data_dir, embargo, free_port, http, ok};

struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn pip_audit_available() -> bool {
    Command::new("python3")
        .args(["-m", "pip_audit", "--version"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

fn advisory(id: &str, package: &str, introduced: &str, fixed: &str) -> Value {
    json!({
        "id": id, "modified": "2026-03-01T12:00:00Z", "published": "2026-03-01T12:00:00Z",
        "aliases": [], "summary": format!("{package} flaw"), "details": "Upgrade.",
        "affected": [{"package": {"ecosystem": "PyPI", "name": package},
                      "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": introduced}, {"fixed": fixed}]}]}]
    })
}

/// Runs pip-audit on a requirements file; answers (exit code, advisory ids per package).
fn audit(url: &str, dir: &std::path::Path, requirements: &str) -> (Option<i32>, Vec<(String, Vec<String>)>) {
    let file = dir.join("requirements.txt");
    std::fs::write(&file, requirements).unwrap();
    let out = Command::new("python3")
        .args(["-m", "pip_audit", "-r"])
        .arg(&file)
        .args(["--no-deps", "--disable-pip", "--progress-spinner", "off", "-f", "json", "-s", "osv", "--osv-url", url])
        .arg("--cache-dir")
        .arg(dir.join("cache"))
        .output()
        .unwrap();
    let report: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|_| panic!("pip-audit said: {}", String::from_utf8_lossy(&out.stderr)));
    let mut found: Vec<(String, Vec<String>)> = report["dependencies"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            let mut ids: Vec<String> =
                d["vulns"].as_array().unwrap().iter().map(|v| v["id"].as_str().unwrap().to_owned()).collect();
            ids.sort();
            (d["name"].as_str().unwrap().to_owned(), ids)
        })
        .collect();
    found.sort();
    (out.status.code(), found)
}

#[test]
fn pip_audit_finds_exactly_the_published_advisories() {
    if !pip_audit_available() {
        return missing("pip_audit_finds_exactly_the_published_advisories", "pip-audit (pip install pip-audit)");
    }
    let (tmp, dir) = data_dir();
    ok(&dir, &["init"]);
    ok(&dir, &["admin", "org", "create", "pallets", "--name", "Pallets"]);
    ok(&dir, &["admin", "project", "create", "pallets/flask", "--name", "Flask", "--package", "PyPI:flask"]);
    let osv = tmp.path().join("osv");
    std::fs::create_dir_all(&osv).unwrap();
    for record in [
        advisory("PSF-2026-11", "flask", "0", "2.3.3"),
        advisory("PSF-2026-12", "flask", "2.0.0", "3.1.1"),
        advisory("PALLETS-2026-1", "jinja2", "3.0.0", "3.1.5"),
        advisory("PALLETS-2026-2", "werkzeug", "0", "2.0.0"),
    ] {
        std::fs::write(osv.join(format!("{}.json", record["id"].as_str().unwrap())), record.to_string()).unwrap();
    }
    ok(&dir, &["import", "osv", osv.to_str().unwrap(), "--project", "pallets/flask"]);

    let addr = format!("127.0.0.1:{}", free_port());
    let mut child =
        embargo(&dir).args(["serve", "--listen", &addr]).stdout(Stdio::piped()).stderr(Stdio::null()).spawn().unwrap();
    let stdout = child.stdout.take().unwrap();
    std::thread::spawn(move || BufReader::new(stdout).lines().map_while(Result::ok).for_each(drop));
    let _server = Server(child);
    let deadline = Instant::now() + Duration::from_secs(30);
    while std::net::TcpStream::connect(&addr).is_err() || http(&addr, "GET", "/readyz", &[], "").0 != 200 {
        assert!(Instant::now() < deadline, "the server did not become ready");
        std::thread::sleep(Duration::from_millis(100));
    }
    let url = format!("http://{addr}/osv/v1/query");

    let (code, found) = audit(&url, tmp.path(), "flask==2.3.2\njinja2==3.1.4\nwerkzeug==3.0.6\n");
    assert_eq!(
        found,
        vec![
            ("flask".to_owned(), vec!["PSF-2026-11".to_owned(), "PSF-2026-12".to_owned()]),
            ("jinja2".to_owned(), vec!["x_PALLETS-2026-1".to_owned()]),
            ("werkzeug".to_owned(), vec![]),
        ]
    );
    assert_eq!(code, Some(1), "pip-audit exits 1 when it finds vulnerabilities");

    let (code, found) = audit(&url, tmp.path(), "flask==3.1.1\njinja2==3.1.5\n");
    assert_eq!(found, vec![("flask".to_owned(), vec![]), ("jinja2".to_owned(), vec![])]);
    assert_eq!(code, Some(0));

    // The same instance as a CSAF provider: the metadata validates, and the
    // documents its ROLIE feed lists pass the BSI validator.
    let (status, metadata) = http(&addr, "GET", "/.well-known/csaf/provider-metadata.json", &[], "");
    assert_eq!(status, 200);
    let metadata_file = tmp.path().join("provider-metadata.json");
    std::fs::write(&metadata_file, &metadata).unwrap();
    match provider_metadata_errors(&metadata_file) {
        Some(errors) => assert!(errors.is_empty(), "provider-metadata.json: {errors:?}"),
        None => missing("provider metadata check", "Python jsonschema"),
    }
    let (_, feed) = http(&addr, "GET", "/.well-known/csaf/white/feed-tlp-white.json", &[], "");
    let feed: Value = serde_json::from_str(&feed).unwrap();
    let mut documents = Vec::new();
    for entry in feed["feed"]["entry"].as_array().unwrap() {
        let src = entry["content"]["src"].as_str().unwrap();
        let path = src.split_once(addr.as_str()).map_or(src, |(_, path)| path);
        let (status, body) = http(&addr, "GET", path, &[], "");
        assert_eq!(status, 200, "{path}");
        let file = tmp.path().join(format!("served-{}.json", documents.len()));
        std::fs::write(&file, body).unwrap();
        documents.push(file);
    }
    // Four advisories and, since issue 14, each one's VEX document.
    assert_eq!(documents.len(), 8);
    match tool("validate-csaf", "advisories/csaf/oasis-examples/bsi-2022-0001.json") {
        Some(validator) => {
            validate(&validator, &[], &documents);
        }
        None => missing("validate-csaf of served documents", "validate-csaf with @secvisogram/csaf-validator-lib"),
    }
}
