//! Import and export through the real binary: every PSF advisory imports,
//! exports back equal after normalisation, and every exported OSV, CVE and
//! CSAF document passes its community's validator. A bad file changes nothing.

use std::path::{Path, PathBuf};

use serde_json::{Value, json};

use crate::tools::{conformance, missing, tool, validate};
use crate::{data_dir, ok, run};

const CNA_ORG_ID: &str = "b3476cb9-2e3d-41a6-98d0-0f47421a65b6";

fn json_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    files
}

/// OSV JSON as compared after a round trip (documented in ARCHITECTURE.md,
/// "Formats"): key order and whitespace do not matter, timestamps compare as
/// instants, `schema_version` is derived, an empty list equals an absent one,
/// and an empty `database_specific.cwe_ids` equals none.
fn normalise(mut value: Value) -> Value {
    fn strip_empty(value: &mut Value) {
        match value {
            Value::Object(map) => {
                map.values_mut().for_each(strip_empty);
                map.retain(|_, v| {
                    !matches!(v, Value::Array(a) if a.is_empty()) && !matches!(v, Value::Object(o) if o.is_empty())
                });
            }
            Value::Array(items) => items.iter_mut().for_each(strip_empty),
            Value::Null | Value::Bool(_) | Value::Number(_) | Value::String(_) => {}
        }
    }
    let map = value.as_object_mut().unwrap();
    map.remove("schema_version");
    for key in ["modified", "published", "withdrawn"] {
        if let Some(Value::String(s)) = map.get(key) {
            let at = time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339).unwrap();
            map.insert(key.to_owned(), json!(at.unix_timestamp_nanos().to_string()));
        }
    }
    strip_empty(&mut value);
    value
}

/// The PSF files carry no purl; exports add the one derived from the
/// package (checked in `embargo-formats`), which the comparison leaves out.
fn without_derived_purls(mut value: Value) -> Value {
    for entry in value["affected"].as_array_mut().into_iter().flatten() {
        if let Some(package) = entry.get_mut("package").and_then(Value::as_object_mut) {
            let purl = package.remove("purl");
            assert!(purl.is_none_or(|p| p.as_str().is_some_and(|p| p.starts_with("pkg:pypi/"))));
        }
    }
    value
}

#[test]
fn rustsec_advisories_import_and_every_export_validates_issue_14() {
    let Some(shared) = conformance() else {
        return missing("rustsec_advisories_import_and_every_export_validates_issue_14", "EMBARGO_CONFORMANCE_DIR");
    };
    let rustsec = shared.join("advisories/rustsec");
    let (tmp, dir) = data_dir();
    ok(&dir, &["init"]);
    ok(&dir, &["admin", "org", "create", "rustsec", "--name", "RustSec", "--advisory-prefix", "RUSTSEC"]);
    ok(&dir, &["admin", "project", "create", "rustsec/crates", "--name", "Crates"]);
    ok(&dir, &["admin", "org", "create", "other", "--name", "Other"]);
    let imported = ok(&dir, &["import", "osv", rustsec.to_str().unwrap(), "--project", "rustsec/crates"]);
    assert_eq!(imported.trim(), "imported 150 advisories into rustsec/crates: 150 new, 0 revised, 0 unchanged");
    let out = |name: &str| tmp.path().join(name);
    ok(&dir, &["export", "osv", "--out", out("osv").to_str().unwrap()]);
    let exported = json_files(&out("osv"));
    assert_eq!(exported.len(), 150);
    let notices = exported
        .iter()
        .filter(|p| {
            let record: Value = serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap();
            assert!(record["affected"][0]["ecosystem_specific"]["affects"].is_object(), "{}", p.display());
            assert_eq!(
                record["affected"][0]["package"]["purl"].as_str().map(|s| s.starts_with("pkg:cargo/")),
                Some(true)
            );
            !record["affected"][0]["database_specific"]["informational"].is_null()
        })
        .count();
    assert_eq!(notices, 66, "informational notices stay notices");
    let cve_dir = out("cve");
    let mut cve_args = vec!["export", "cve", "--out", cve_dir.to_str().unwrap(), "--cna-org-id", CNA_ORG_ID];
    cve_args.extend(["--cna-short-name", "rustsec", "--org", "rustsec"]);
    ok(&dir, &cve_args);
    let cve_files = json_files(&cve_dir);
    assert!(cve_files.len() > 40, "every advisory with a CVE id: {}", cve_files.len());
    let other = out("cve-other");
    let mut other_args = vec!["export", "cve", "--out", other.to_str().unwrap(), "--cna-org-id", CNA_ORG_ID];
    other_args.extend(["--cna-short-name", "other", "--org", "other"]);
    ok(&dir, &other_args);
    assert!(json_files(&other).is_empty(), "another organisation exports none of these");
    match tool("validate-osv", "advisories/psf/python/PSF-2024-1.json") {
        Some(validator) => {
            let summary = validate(&validator, &[], &exported);
            assert!(summary.contains("150 valid, 0 invalid"), "{summary}");
        }
        None => missing("validate-osv", "validate-osv with Python jsonschema"),
    }
    match tool("validate-cve", "advisories/cve/cve-schema-examples/CVEv5_basic-example.json") {
        Some(validator) => {
            validate(&validator, &[], &cve_files);
            let schema = shared.join("schemas/cve/CVE_JSON_bundled_5.2.0.json");
            validate(&validator, &["--schema", schema.to_str().unwrap()], &cve_files);
        }
        None => missing("validate-cve", "validate-cve with cvelib"),
    }
}

#[test]
fn psf_advisories_round_trip_and_every_export_validates() {
    let Some(shared) = conformance() else {
        return missing("psf_advisories_round_trip_and_every_export_validates", "EMBARGO_CONFORMANCE_DIR");
    };
    let psf = shared.join("advisories/psf/python");
    let (tmp, dir) = data_dir();
    ok(&dir, &["init"]);
    ok(&dir, &["admin", "org", "create", "python", "--name", "Python Software Foundation", "--advisory-prefix", "PSF"]);
    ok(&dir, &["admin", "project", "create", "python/cpython", "--name", "CPython"]);
    let imported = ok(&dir, &["import", "osv", psf.to_str().unwrap(), "--project", "python/cpython"]);
    assert_eq!(imported.trim(), "imported 132 advisories into python/cpython: 132 new, 0 revised, 0 unchanged");
    let again = ok(&dir, &["import", "osv", psf.to_str().unwrap(), "--project", "python/cpython"]);
    assert!(again.contains("0 new, 0 revised, 132 unchanged"), "{again}");

    let out = |name: &str| tmp.path().join(name);
    ok(&dir, &["export", "osv", "--out", out("osv").to_str().unwrap()]);
    let exported = json_files(&out("osv"));
    assert_eq!(exported.len(), 132);
    for original in json_files(&psf) {
        let name = original.file_name().unwrap();
        let text = std::fs::read_to_string(out("osv").join(name)).unwrap();
        let back = normalise(without_derived_purls(serde_json::from_str(&text).unwrap()));
        let expected = normalise(serde_json::from_str(&std::fs::read_to_string(&original).unwrap()).unwrap());
        assert_eq!(back, expected, "{}", name.to_string_lossy());
    }
    let cve_dir = out("cve");
    let cve_args =
        ["export", "cve", "--out", cve_dir.to_str().unwrap(), "--cna-org-id", CNA_ORG_ID, "--cna-short-name", "PSF"];
    let cve = run(&dir, &cve_args, "");
    assert!(cve.status.success());
    let notes = String::from_utf8_lossy(&cve.stderr);
    assert!(notes.contains("names CVE-2022-48566, whose record was written for PSF-2023-"), "{notes}");
    let written = String::from_utf8_lossy(&cve.stdout).into_owned();
    ok(&dir, &["export", "csaf", "--out", out("csaf").to_str().unwrap()]);
    let cve_files = json_files(&out("cve"));
    assert!(cve_files.len() > 100, "every advisory with a CVE id: {}", cve_files.len());
    assert!(written.starts_with(&format!("wrote {} cve", cve_files.len())), "one file per CVE id: {written}");
    let csaf_files: Vec<PathBuf> = std::fs::read_to_string(out("csaf").join("white/index.txt"))
        .unwrap()
        .lines()
        .map(|path| out("csaf").join("white").join(path))
        .collect();
    assert_eq!(csaf_files.len(), 264, "every advisory and its VEX document");
    assert_eq!(csaf_files.iter().filter(|p| !p.to_string_lossy().ends_with("-vex.json")).count(), 132);

    match tool("validate-osv", "advisories/psf/python/PSF-2024-1.json") {
        Some(validator) => {
            let summary = validate(&validator, &[], &exported);
            assert!(summary.contains("132 valid, 0 invalid"), "{summary}");
        }
        None => missing("validate-osv", "validate-osv with Python jsonschema"),
    }
    match tool("validate-cve", "advisories/cve/cve-schema-examples/CVEv5_basic-example.json") {
        Some(validator) => {
            validate(&validator, &[], &cve_files);
            let schema = shared.join("schemas/cve/CVE_JSON_bundled_5.2.0.json");
            validate(&validator, &["--schema", schema.to_str().unwrap()], &cve_files);
        }
        None => missing("validate-cve", "validate-cve with cvelib"),
    }
    match tool("validate-csaf", "advisories/csaf/oasis-examples/bsi-2022-0001.json") {
        Some(validator) => {
            validate(&validator, &[], &csaf_files);
        }
        None => missing("validate-csaf", "validate-csaf with @secvisogram/csaf-validator-lib"),
    }
}

#[test]
fn one_bad_file_and_nothing_is_imported() {
    let (tmp, dir) = data_dir();
    ok(&dir, &["init"]);
    ok(&dir, &["admin", "org", "create", "pallets", "--name", "Pallets"]);
    ok(&dir, &["admin", "project", "create", "pallets/flask", "--name", "Flask", "--package", "PyPI:flask"]);
    let files = tmp.path().join("osv");
    std::fs::create_dir_all(files.join("nested")).unwrap();
    let good = json!({"id": "PSF-2026-1", "modified": "2026-01-01T00:00:00Z", "summary": "fine",
                      "affected": [{"package": {"ecosystem": "PyPI", "name": "flask"},
                                    "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "1.0"}]}]}]});
    std::fs::write(files.join("PSF-2026-1.json"), good.to_string()).unwrap();
    std::fs::write(files.join("nested/bad.json"), r#"{"id": "PSF-2026-2", "modified": "yesterday"}"#).unwrap();
    std::fs::write(
        files.join("nested/worse.json"),
        r#"{"id": "PSF-2026-3", "modified": "2026-01-01T00:00:00Z", "aliases": ["not an id"]}"#,
    )
    .unwrap();
    let out = run(&dir, &["import", "osv", files.to_str().unwrap(), "--project", "pallets/flask"], "");
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("nested/bad.json"), "{stderr}");
    assert!(stderr.contains("nested/worse.json: aliases[0]"), "{stderr}");
    assert!(stderr.contains("nothing was imported: 2 file(s) refused"), "{stderr}");
    let export = tmp.path().join("export");
    let written = ok(&dir, &["export", "osv", "--out", export.to_str().unwrap()]);
    assert!(written.starts_with("wrote 0 osv"), "the good file was not stored either: {written}");

    std::fs::remove_dir_all(files.join("nested")).unwrap();
    let imported = ok(&dir, &["import", "osv", files.to_str().unwrap(), "--project", "pallets/flask"]);
    assert!(imported.contains("1 new"), "{imported}");
    let missing_project = run(&dir, &["import", "osv", files.to_str().unwrap(), "--project", "pallets/nope"], "");
    assert_eq!(missing_project.status.code(), Some(1));
    let cve = run(&dir, &["export", "cve", "--out", export.to_str().unwrap()], "");
    assert!(String::from_utf8_lossy(&cve.stderr).contains("--cna-org-id"), "cve export names what it needs");
}

#[test]
fn fix_strategy_set_from_the_shell_reaches_osv_csaf_and_cve_and_validates_issue_16() {
    let (tmp, dir) = data_dir();
    ok(&dir, &["init"]);
    let lead = "lead@harbor.example";
    assert!(
        run(&dir, &["admin", "user", "create", "--email", lead, "--name", "Lead"], "a long lead password\n")
            .status
            .success()
    );
    ok(&dir, &["admin", "org", "create", "harbor", "--name", "Harbor Relay", "--advisory-prefix", "PSF"]);
    ok(&dir, &["admin", "project", "create", "harbor/relay", "--name", "Relay", "--package", "PyPI:harbor-relay"]);
    ok(&dir, &["admin", "member", "add", "harbor", "--email", lead]);
    let files = tmp.path().join("osv");
    std::fs::create_dir_all(&files).unwrap();
    let record = json!({"id": "PSF-2026-7", "modified": "2026-03-01T00:00:00Z", "published": "2026-03-01T00:00:00Z",
                        "aliases": ["CVE-2026-55007"], "summary": "The image ships a zlib with a heap overflow",
                        "details": "Inflating a crafted stream overflows a buffer.",
                        "affected": [{"package": {"ecosystem": "PyPI", "name": "harbor-relay"},
                                      "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "2.4.1"}]}]}]});
    std::fs::write(files.join("PSF-2026-7.json"), record.to_string()).unwrap();
    ok(&dir, &["import", "osv", files.to_str().unwrap(), "--project", "harbor/relay"]);
    let mitigation = "Until you upgrade, refuse compressed uploads at the proxy.";
    let edit = [
        "advisory",
        "edit",
        "PSF-2026-7",
        "--fix",
        "dependency-update",
        "--fix",
        "mitigation",
        "--fix-text",
        mitigation,
        "--as",
        lead,
    ];
    ok(&dir, &edit);
    let bad = run(&dir, &["advisory", "edit", "PSF-2026-7", "--fix", "upgrade", "--as", lead], "");
    assert_eq!(bad.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("patch, dependency-update or mitigation"));
    assert!(ok(&dir, &["advisory", "publish", "PSF-2026-7", "--as", lead]).contains("revision 2"));

    let out = |name: &str| tmp.path().join(name);
    ok(&dir, &["export", "osv", "--out", out("osv").to_str().unwrap()]);
    ok(&dir, &["export", "csaf", "--out", out("csaf").to_str().unwrap()]);
    let cve_dir = out("cve");
    let cve_args =
        ["export", "cve", "--out", cve_dir.to_str().unwrap(), "--cna-org-id", CNA_ORG_ID, "--cna-short-name", "Harbor"];
    ok(&dir, &cve_args);
    let read = |path: &Path| serde_json::from_str::<Value>(&std::fs::read_to_string(path).unwrap()).unwrap();
    // The CSAF export is a provider tree (issue 14): the advisory and its VEX document sit in a year folder.
    let csaf_year =
        std::fs::read_dir(out("csaf").join("white")).unwrap().map(|e| e.unwrap().path()).find(|p| p.is_dir());
    let csaf_all = json_files(&csaf_year.expect("a year folder in white/"));
    let csaf_files: Vec<PathBuf> =
        csaf_all.iter().filter(|p| !p.to_string_lossy().ends_with("-vex.json")).cloned().collect();
    assert_eq!((csaf_all.len(), csaf_files.len()), (2, 1), "{csaf_all:?}");
    let (osv_files, cve_files) = (json_files(&out("osv")), json_files(&out("cve")));
    let osv = read(&osv_files[0]);
    assert_eq!(
        osv["database_specific"]["fix_strategy"],
        json!({"kinds": ["dependency-update", "mitigation"], "text": mitigation})
    );
    let csaf = read(&csaf_files[0]);
    let categories: Vec<&str> = csaf["vulnerabilities"][0]["remediations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["category"].as_str().unwrap())
        .collect();
    assert_eq!(categories, ["vendor_fix", "mitigation"]);
    let cve = read(&cve_files[0]);
    assert_eq!(cve["containers"]["cna"]["workarounds"][0]["value"], mitigation);
    assert!(cve["containers"]["cna"]["solutions"][0]["value"].as_str().unwrap().contains("Upgrade to 2.4.1 or later"));

    match tool("validate-osv", "advisories/psf/python/PSF-2024-1.json") {
        Some(validator) => assert!(validate(&validator, &[], &osv_files).contains("1 valid, 0 invalid")),
        None => missing("validate-osv", "validate-osv with Python jsonschema"),
    }
    match tool("validate-cve", "advisories/cve/cve-schema-examples/CVEv5_basic-example.json") {
        Some(validator) => {
            validate(&validator, &[], &cve_files);
            if let Some(shared) = conformance() {
                let schema = shared.join("schemas/cve/CVE_JSON_bundled_5.2.0.json");
                validate(&validator, &["--schema", schema.to_str().unwrap()], &cve_files);
            }
        }
        None => missing("validate-cve", "validate-cve with cvelib"),
    }
    match tool("validate-csaf", "advisories/csaf/oasis-examples/bsi-2022-0001.json") {
        Some(validator) => {
            validate(&validator, &[], &csaf_all);
        }
        None => missing("validate-csaf", "validate-csaf with @secvisogram/csaf-validator-lib"),
    }
}
