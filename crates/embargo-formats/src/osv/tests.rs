#![allow(clippy::print_stderr, reason = "tests say when conformance data is missing")]

use embargo_core::advisory::{
    Affected as DomainAffected, Credit as DomainCredit, CreditKind, Range as DomainRange, RangeKind,
};
use embargo_core::project::Package as DomainPackage;
use embargo_core::severity::Severity as DomainSeverity;
use serde_json::{Value, json};
use time::macros::datetime;

use super::*;

#[test]
fn a_published_revision_becomes_an_osv_record() {
    let id: AdvisoryId = "PALLETS-2026-1".parse().unwrap();
    let content = AdvisoryContent {
        summary: "Session cookie accepted after logout".into(),
        details: "Upgrade to 3.1.1.".into(),
        aliases: vec!["CVE-2026-12345".parse().unwrap()],
        affected: vec![DomainAffected {
            package: Some(DomainPackage::new("PyPI", "flask").unwrap()),
            ranges: vec![DomainRange {
                kind: RangeKind::Ecosystem,
                repo: None,
                events: vec![RangeEvent::Introduced("0".into()), RangeEvent::Fixed("3.1.1".into())],
                database_specific: None,
            }],
            versions: vec![],
            source: Default::default(),
        }],
        severity: DomainSeverity::parse(Some("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:N"), None).unwrap(),
        cwes: vec!["CWE-613".parse().unwrap()],
        references: vec![],
        credits: vec![DomainCredit { name: "Ada".into(), kind: CreditKind::Reporter, contact: vec![] }],
        fix: Default::default(),
        source: Default::default(),
    };
    let published = Published {
        id: &id,
        content: &content,
        published: datetime!(2026-05-04 9:00 UTC),
        modified: datetime!(2026-05-05 10:30 UTC),
        withdrawn: None,
    };
    let value: Value = serde_json::from_str(&to_json(published).unwrap()).unwrap();
    assert_eq!(
        value,
        json!({
            "schema_version": "1.7.0",
            "id": "x_PALLETS-2026-1",
            "modified": "2026-05-05T10:30:00Z",
            "published": "2026-05-04T09:00:00Z",
            "aliases": ["CVE-2026-12345"],
            "summary": "Session cookie accepted after logout",
            "details": "Upgrade to 3.1.1.",
            "severity": [{"type": "CVSS_V3", "score": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:N"}],
            "affected": [{
                "package": {"ecosystem": "PyPI", "name": "flask", "purl": "pkg:pypi/flask"},
                "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "3.1.1"}]}]
            }],
            "credits": [{"name": "Ada", "type": "REPORTER"}],
            "database_specific": {"cwe_ids": ["CWE-613"]}
        })
    );
    let back = parse(&to_json(published).unwrap()).unwrap();
    assert_eq!(
        (&back.id, &back.content, back.published, back.modified),
        (&id, &content, published.published, published.modified)
    );
    assert!(back.dropped.is_empty());
}

#[test]
fn the_fix_strategy_goes_to_database_specific_and_back_issue_16() {
    use embargo_core::advisory::{FixKind, FixStrategy};
    let id: AdvisoryId = "RELAY-2026-1".parse().unwrap();
    let content = AdvisoryContent {
        summary: "Base image with a vulnerable zlib".into(),
        cwes: vec!["CWE-787".parse().unwrap()],
        fix: FixStrategy::new([FixKind::DependencyUpdate, FixKind::Mitigation], "Pull the new image."),
        ..AdvisoryContent::default()
    };
    let published = Published {
        id: &id,
        content: &content,
        published: datetime!(2026-05-04 9:00 UTC),
        modified: datetime!(2026-05-04 9:00 UTC),
        withdrawn: None,
    };
    let value: Value = serde_json::from_str(&to_json(published).unwrap()).unwrap();
    assert_eq!(
        value["database_specific"],
        json!({"cwe_ids": ["CWE-787"], "fix_strategy": {"kinds": ["dependency-update", "mitigation"], "text": "Pull the new image."}})
    );
    let back = parse(&to_json(published).unwrap()).unwrap();
    assert_eq!(back.content, content, "read back as the fix strategy, not kept as a source field");
    let mut bad = value.clone();
    bad["database_specific"]["fix_strategy"]["kinds"] = json!(["upgrade"]);
    check_refused(&bad.to_string(), "database_specific.fix_strategy.kinds[0]");
}

fn check_refused(text: &str, expected_field: &str) {
    match parse(text) {
        Err(OsvError::Field { field, .. }) => assert_eq!(field, expected_field, "{text}"),
        other => panic!("expected a refusal of {expected_field}, got {other:?}"),
    }
}

#[test]
fn unregistered_prefixes_get_x_() {
    let id = |s: &str| s.parse::<AdvisoryId>().unwrap();
    assert_eq!(osv_id(&id("PSF-2024-1")), "PSF-2024-1");
    assert_eq!(osv_id(&id("GHSA-aaaa-bbbb-cccc")), "GHSA-aaaa-bbbb-cccc");
    assert_eq!(osv_id(&id("PALLETS-2026-1")), "x_PALLETS-2026-1");
    assert_eq!(osv_id(&id("PSFX-2026-1")), "x_PSFX-2026-1");
    assert_eq!(advisory_id("x_PALLETS-2026-1"), Some(id("PALLETS-2026-1")));
    assert_eq!(advisory_id("PSF-2024-1"), Some(id("PSF-2024-1")));
    assert_eq!(advisory_id("x_"), None);
}

#[test]
fn bad_files_are_refused_naming_the_field() {
    let base = |extra: &str| format!(r#"{{"id": "PSF-2024-1", "modified": "2024-06-13T19:24:11.289Z"{extra}}}"#);
    assert!(parse(&base("")).is_ok());
    assert!(matches!(parse("{"), Err(OsvError::Shape { .. })));
    assert!(matches!(parse("[]"), Err(OsvError::Shape { .. })));
    let missing_id = parse(r#"{"modified": "2024-06-13T19:24:11Z"}"#).unwrap_err();
    assert!(missing_id.to_string().contains("`id`"), "{missing_id}");
    let bad_time = parse(r#"{"id": "PSF-2024-1", "modified": "yesterday"}"#).unwrap_err();
    assert!(matches!(bad_time, OsvError::Shape { .. }), "{bad_time}");
    check_refused(r#"{"id": "no dash", "modified": "2024-06-13T19:24:11Z"}"#, "id");
    check_refused(&base(r#", "aliases": ["not an id"]"#), "aliases[0]");
    check_refused(
        &base(
            r#", "affected": [{"package": {"ecosystem": "PyPI", "name": "x"}, "ranges": [{"type": "SEMVER2", "events": [{"introduced": "0"}]}]}]"#,
        ),
        "affected[0].ranges[0].type",
    );
    check_refused(
        &base(
            r#", "affected": [{"package": {"ecosystem": "PyPI", "name": "x"}, "ranges": [{"type": "ECOSYSTEM", "events": [{"fixed": "1"}]}]}]"#,
        ),
        "affected[0].ranges[0].events",
    );
    check_refused(&base(r#", "affected": [{"versions": ["1"]}]"#), "affected[0]");
    check_refused(&base(r#", "severity": [{"type": "CVSS_V3", "score": "CVSS:3.1/AV:N"}]"#), "severity[0].score");
    check_refused(&base(r#", "references": [{"type": "WEB", "url": "javascript:alert(1)"}]"#), "references");
    check_refused(&base(r#", "summary": "two\nlines""#), "summary");
    check_refused(&base(r#", "database_specific": {"cwe_ids": ["CWE-X"]}"#), "database_specific.cwe_ids[0]");
    let huge = base(&format!(r#", "details": "{}""#, "a".repeat(MAX_FILE_BYTES)));
    assert!(matches!(parse(&huge), Err(OsvError::TooLarge { .. })));
}

#[test]
fn every_osv_field_is_kept() {
    let text = r#"{"id": "GHSA-aaaa-bbbb-cccc", "modified": "2024-06-13T19:24:11Z", "related": ["X-1"], "upstream": ["CVE-2024-1"],
        "affected": [{"package": {"ecosystem": "PyPI", "name": "x", "purl": "pkg:pypi/x", "extra": 1},
                      "severity": [{"type": "Ubuntu", "score": "high"}],
                      "ecosystem_specific": {"a": 1}, "database_specific": {"b": [2]},
                      "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}], "database_specific": {"c": null}}]}],
        "database_specific": {"cwe_ids": ["CWE-79"], "github_reviewed": true}}"#;
    let imported = parse(text).unwrap();
    assert_eq!(imported.dropped, vec!["affected[0].package.extra"], "only what OSV 1.7 does not define");
    assert_eq!(imported.content.cwes, vec!["CWE-79".parse().unwrap()]);
    let exported: Value = serde_json::from_str(
        &to_json(Published {
            id: &imported.id,
            content: &imported.content,
            published: imported.published,
            modified: imported.modified,
            withdrawn: None,
        })
        .unwrap(),
    )
    .unwrap();
    assert_eq!(exported["related"], json!(["X-1"]));
    assert_eq!(exported["upstream"], json!(["CVE-2024-1"]));
    assert_eq!(exported["affected"][0]["package"]["purl"], json!("pkg:pypi/x"));
    assert_eq!(exported["affected"][0]["severity"], json!([{"type": "Ubuntu", "score": "high"}]));
    assert_eq!(exported["affected"][0]["ecosystem_specific"], json!({"a": 1}));
    assert_eq!(exported["affected"][0]["database_specific"], json!({"b": [2]}));
    assert_eq!(exported["affected"][0]["ranges"][0]["database_specific"], json!({"c": null}));
    assert_eq!(exported["database_specific"], json!({"cwe_ids": ["CWE-79"], "github_reviewed": true}));
}

#[test]
fn schema_invalid_records_are_refused_by_field() {
    let base = |affected: &str| {
        format!(
            r#"{{"id": "PYSEC-2021-371", "modified": "2021-09-01T12:23:00Z", "affected": [{{"package": {{"ecosystem": "PyPI", "name": "binderhub"}}, "ranges": [{affected}]}}]}}"#
        )
    };
    let git = |fixed: &str| {
        base(&format!(
            r#"{{"type": "GIT", "repo": "https://github.com/jupyterhub/binderhub", "events": [{{"introduced": "0"}}, {{"fixed": "{fixed}"}}]}}"#
        ))
    };
    assert!(parse(&git("195caac172690456dcdc8cc7a6ca50e05abf8182")).is_ok());
    check_refused(&git("195caac172690456dcdc8cc7a6ca50e05abf8182.patch"), "affected[0].ranges[0].events[1].fixed");
    check_refused(&git("195caac"), "affected[0].ranges[0].events[1].fixed");
    check_refused(
        &base(r#"{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "1"}, {"last_affected": "2"}]}"#),
        "affected[0].ranges[0].events",
    );
    let record = |extra: &str| format!(r#"{{"id": "PSF-2024-1", "modified": "2024-06-13T19:24:11Z"{extra}}}"#);
    check_refused(&record(r#", "unknown_field": 1"#), "unknown_field");
    check_refused(&record(r#", "severity": [{"type": "CVSS_V9", "score": "x"}]"#), "severity[0].type");
    check_refused(&record(r#", "severity": [{"type": "Ubuntu", "score": "dire"}]"#), "severity[0].score");
    check_refused(
        &record(
            r#", "severity": [{"type": "Ubuntu", "score": "low"}], "affected": [{"package": {"ecosystem": "PyPI", "name": "x"}, "severity": [{"type": "Ubuntu", "score": "low"}]}]"#,
        ),
        "severity",
    );
    check_refused(
        &record(r#", "affected": [{"package": {"ecosystem": "PyPI", "name": "x", "purl": "not a purl"}}]"#),
        "affected[0].package.purl",
    );
    check_refused(
        &record(
            r#", "affected": [{"package": {"ecosystem": "crates.io", "name": "x"}, "database_specific": {"informational": "boring"}}]"#,
        ),
        "affected[0].database_specific.informational",
    );
}

/// OSV JSON as compared after a round trip: key order and whitespace do not
/// matter (serde_json compares maps by key), timestamps are compared as
/// instants, `schema_version` is derived, `published` defaults to
/// `modified`, an empty list equals an absent one, and an empty
/// `database_specific.cwe_ids` equals none.
pub fn normalise(mut value: Value) -> Value {
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
    let Some(map) = value.as_object_mut() else { return value };
    map.remove("schema_version");
    for key in ["modified", "published", "withdrawn"] {
        if let Some(Value::String(s)) = map.get(key) {
            let instant = time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339).unwrap();
            map.insert(key.to_owned(), json!(instant.unix_timestamp_nanos().to_string()));
        }
    }
    if !map.contains_key("published") {
        let modified = map.get("modified").cloned().unwrap_or(Value::Null);
        map.insert("published".into(), modified);
    }
    map.retain(|_, v| !v.is_null());
    if let Some(Value::Array(severity)) = map.get_mut("severity") {
        severity.sort_by_key(ToString::to_string);
    }
    strip_empty(&mut value);
    value
}

/// Removes from an export the purls the source did not have (the export
/// derives one from ecosystem and name), after checking they are the
/// derived ones.
pub fn without_derived_purls(original: &Value, mut exported: Value) -> Value {
    let Some(affected) = exported.get_mut("affected").and_then(Value::as_array_mut) else { return exported };
    for (i, entry) in affected.iter_mut().enumerate() {
        let had = original["affected"][i]["package"].get("purl").is_some();
        if let Some(package) = entry.get_mut("package").and_then(Value::as_object_mut)
            && !had
            && let Some(purl) = package.remove("purl")
        {
            let derived = crate::purl::of_package(
                &DomainPackage::new(package["ecosystem"].as_str().unwrap(), package["name"].as_str().unwrap()).unwrap(),
            );
            assert_eq!(purl.as_str(), derived.as_deref(), "an exported purl is the derived one");
        }
    }
    exported
}

fn round_trip(name: &str, original: Value) {
    let imported = parse(&original.to_string()).unwrap_or_else(|e| panic!("{name}: {e}"));
    assert!(imported.dropped.is_empty(), "{name}: dropped {:?}", imported.dropped);
    let exported = to_json(Published {
        id: &imported.id,
        content: &imported.content,
        published: imported.published,
        modified: imported.modified,
        withdrawn: imported.withdrawn,
    })
    .unwrap();
    let exported = without_derived_purls(&original, serde_json::from_str(&exported).unwrap());
    assert_eq!(normalise(exported), normalise(original), "{name}");
}

fn conformance() -> Option<std::path::PathBuf> {
    match std::env::var("EMBARGO_CONFORMANCE_DIR") {
        Ok(dir) => Some(dir.into()),
        Err(_) => {
            eprintln!("EMBARGO_CONFORMANCE_DIR is unset: the conformance round trips did not run");
            None
        }
    }
}

fn files_below(dir: &std::path::Path, extension: &str, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files_below(&path, extension, out);
        } else if path.extension().is_some_and(|e| e == extension) {
            out.push(path);
        }
    }
    out.sort();
}

#[test]
fn every_rustsec_advisory_survives_a_round_trip_and_notices_stay_notices() {
    let Some(dir) = conformance() else { return };
    let mut files = Vec::new();
    files_below(&dir.join("advisories/rustsec"), "md", &mut files);
    let mut notices = 0;
    for path in &files {
        let text = std::fs::read_to_string(path).unwrap();
        let record = crate::rustsec::to_osv(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let informational = record["affected"][0]["database_specific"]["informational"].as_str().map(str::to_owned);
        round_trip(&path.display().to_string(), record.clone());
        let imported = parse(&record.to_string()).unwrap();
        assert_eq!(imported.content.informational().map(|i| i.as_str().to_owned()), informational);
        notices += usize::from(informational.is_some());
    }
    assert_eq!(files.len(), 150, "every RustSec file");
    assert_eq!(notices, 66, "36 unmaintained, 28 unsound, 2 notices");
}

/// PyPA's YAML read by Python's `yaml` (PyYAML, which `.ci/run` installs
/// for the validators), all files in one run.
fn pypa_records(files: &[std::path::PathBuf]) -> Option<Vec<Value>> {
    // Timestamps stay the text the file holds: PyYAML would make them datetimes.
    let script = "import sys, json, yaml\n\
                  class L(yaml.SafeLoader): pass\n\
                  L.yaml_implicit_resolvers = {k: [r for r in v if r[0] != 'tag:yaml.org,2002:timestamp'] \
                  for k, v in yaml.SafeLoader.yaml_implicit_resolvers.items()}\n\
                  print(json.dumps([yaml.load(open(p), Loader=L) for p in sys.argv[1:]]))";
    match std::process::Command::new("python3").arg("-c").arg(script).args(files).output() {
        Ok(out) if out.status.success() => Some(serde_json::from_slice(&out.stdout).unwrap()),
        other => {
            assert!(std::env::var_os("CI").is_none(), "python3 with PyYAML is needed under CI: {other:?}");
            eprintln!("python3 with PyYAML is missing: the PyPA round trip did not run");
            None
        }
    }
}

#[test]
fn every_pypa_advisory_survives_a_round_trip_but_the_schema_invalid_one() {
    let Some(dir) = conformance() else { return };
    let mut files = Vec::new();
    files_below(&dir.join("advisories/pypa"), "yaml", &mut files);
    assert_eq!(files.len(), 300, "every PyPA file");
    let Some(records) = pypa_records(&files) else { return };
    for (path, record) in files.iter().zip(records) {
        if path.ends_with("binderhub/PYSEC-2021-371.yaml") {
            match parse(&record.to_string()) {
                Err(OsvError::Field { field, .. }) => assert_eq!(field, "affected[0].ranges[0].events[1].fixed"),
                other => panic!("PYSEC-2021-371 fails the OSV schema and must be refused: {other:?}"),
            }
            continue;
        }
        round_trip(&path.display().to_string(), record);
    }
}

#[test]
fn every_psf_advisory_survives_a_round_trip() {
    let Ok(dir) = std::env::var("EMBARGO_CONFORMANCE_DIR") else {
        eprintln!("EMBARGO_CONFORMANCE_DIR is unset: the PSF round trip did not run");
        return;
    };
    let dir = std::path::Path::new(&dir).join("advisories/psf/python");
    let mut checked = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let text = std::fs::read_to_string(&path).unwrap();
        let imported = parse(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        assert!(imported.dropped.is_empty(), "{}: dropped {:?}", path.display(), imported.dropped);
        let exported = to_json(Published {
            id: &imported.id,
            content: &imported.content,
            published: imported.published,
            modified: imported.modified,
            withdrawn: imported.withdrawn,
        })
        .unwrap();
        let original = normalise(serde_json::from_str(&text).unwrap());
        let again = normalise(serde_json::from_str(&exported).unwrap());
        assert_eq!(again, original, "{}", path.display());
        checked += 1;
    }
    assert_eq!(checked, 132, "every PSF file");
}
