//! `embargo export csaf` writes a trusted CSAF provider (issue 14, item 4)
//! from real advisories (PyPA and RustSec): every document passes the BSI
//! validator's mandatory tests, the provider metadata its schema, every hash
//! `sha256sum -c` / `sha512sum -c`, every signature `gpg --verify` with the
//! key the metadata names; index.txt, changes.csv and the ROLIE feed list
//! exactly the documents written, advisories and their CSAF VEX documents.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

use crate::tools::{conformance, missing, provider_metadata_errors, tool, validate};
use crate::{data_dir, ok};

fn files_below(dir: &Path, ext: &str, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files_below(&path, ext, out);
        } else if path.extension().is_some_and(|e| e == ext) {
            out.push(path);
        }
    }
    out.sort();
}

/// PyPA's YAML files as OSV JSON files in `out` (Python's PyYAML, which
/// `.ci/run` installs), leaving out the one that fails the OSV schema;
/// `false` when PyYAML is missing.
fn pypa_as_json(pypa: &Path, out: &Path) -> bool {
    let script = "import sys, json, yaml, pathlib\n\
                  class L(yaml.SafeLoader): pass\n\
                  L.yaml_implicit_resolvers = {k: [r for r in v if r[0] != 'tag:yaml.org,2002:timestamp'] \
                  for k, v in yaml.SafeLoader.yaml_implicit_resolvers.items()}\n\
                  out = pathlib.Path(sys.argv[1])\n\
                  for p in sys.argv[2:]:\n    \
                  record = yaml.load(open(p), Loader=L)\n    \
                  (out / (record['id'] + '.json')).write_text(json.dumps(record))";
    let mut files = Vec::new();
    files_below(pypa, "yaml", &mut files);
    files.retain(|p| !p.ends_with("binderhub/PYSEC-2021-371.yaml"));
    std::fs::create_dir_all(out).unwrap();
    Command::new("python3").arg("-c").arg(script).arg(out).args(&files).status().is_ok_and(|s| s.success())
}

fn run_in(dir: &Path, program: &str, args: &[&str]) -> (bool, String) {
    let out = Command::new(program).current_dir(dir).args(args).output().unwrap();
    (out.status.success(), format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr)))
}

#[test]
fn pypa_and_rustsec_export_as_a_trusted_csaf_provider_issue_14() {
    let test = "pypa_and_rustsec_export_as_a_trusted_csaf_provider_issue_14";
    let Some(shared) = conformance() else {
        return missing(test, "EMBARGO_CONFORMANCE_DIR");
    };
    let (tmp, dir) = data_dir();
    let pypa = tmp.path().join("pypa");
    if !pypa_as_json(&shared.join("advisories/pypa"), &pypa) {
        return missing(test, "python3 with PyYAML");
    }
    ok(&dir, &["init"]);
    ok(&dir, &["admin", "org", "create", "pypa", "--name", "Python Packaging Authority", "--advisory-prefix", "PYSEC"]);
    ok(&dir, &["admin", "project", "create", "pypa/packages", "--name", "PyPI packages"]);
    ok(&dir, &["admin", "org", "create", "rustsec", "--name", "RustSec", "--advisory-prefix", "RUSTSEC"]);
    ok(&dir, &["admin", "project", "create", "rustsec/crates", "--name", "Crates"]);
    ok(&dir, &["import", "osv", pypa.to_str().unwrap(), "--project", "pypa/packages"]);
    let rustsec = shared.join("advisories/rustsec");
    ok(&dir, &["import", "osv", rustsec.to_str().unwrap(), "--project", "rustsec/crates"]);
    ok(&dir, &["mail", "key", "generate", "--org", "pypa", "--user-id", "PyPA security <security@pypa.example>"]);

    // One organisation without a key: its documents are hashed but not signed.
    let out = tmp.path().join("csaf");
    let written = ok(&dir, &["export", "csaf", "--out", out.to_str().unwrap()]);
    let counts = |written: &str| -> (usize, usize) {
        let words: Vec<&str> = written.split_whitespace().collect();
        let at = words.iter().position(|w| *w == "document(s),").unwrap();
        (words[at - 1].parse().unwrap(), words[at + 1].parse().unwrap())
    };
    let (documents_written, signed) = counts(&written);
    assert!(signed > 0 && signed < documents_written, "{written}");
    let metadata: Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("provider-metadata.json")).unwrap()).unwrap();
    assert_eq!(metadata["role"], "csaf_provider", "not every document is signed");

    ok(&dir, &["mail", "key", "generate", "--org", "rustsec", "--user-id", "RustSec <security@rustsec.example>"]);
    std::fs::remove_dir_all(&out).unwrap();
    let written = ok(&dir, &["export", "csaf", "--out", out.to_str().unwrap()]);
    assert_eq!(counts(&written), (documents_written, documents_written), "{written}");
    let metadata: Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("provider-metadata.json")).unwrap()).unwrap();
    assert_eq!(metadata["role"], "csaf_trusted_provider");
    if let Some(errors) = provider_metadata_errors(&out.join("provider-metadata.json")) {
        assert!(errors.is_empty(), "provider-metadata.json: {errors:?}");
    } else {
        missing(test, "python3 with jsonschema (provider metadata schema)");
    }

    // index.txt, changes.csv and the feed name exactly the documents written.
    let white = out.join("white");
    let index: BTreeSet<String> =
        std::fs::read_to_string(white.join("index.txt")).unwrap().lines().map(str::to_owned).collect();
    let mut documents = Vec::new();
    files_below(&white, "json", &mut documents);
    documents.retain(|p| p.parent() != Some(white.as_path()));
    let written: BTreeSet<String> =
        documents.iter().map(|p| p.strip_prefix(&white).unwrap().to_string_lossy().into_owned()).collect();
    assert_eq!(index, written);
    assert_eq!(index.len(), documents_written);
    let advisories = index.iter().filter(|p| !p.ends_with("-vex.json")).count();
    assert_eq!(advisories, 449, "every advisory, and a VEX document for each one not withdrawn");
    let changes: BTreeSet<String> = std::fs::read_to_string(white.join("changes.csv"))
        .unwrap()
        .lines()
        .map(|l| l.split(',').next().unwrap().trim_matches('"').to_owned())
        .collect();
    assert_eq!(changes, index);
    let feed: Value =
        serde_json::from_str(&std::fs::read_to_string(white.join("feed-tlp-white.json")).unwrap()).unwrap();
    assert_eq!(feed["feed"]["entry"].as_array().unwrap().len(), documents_written);

    // Every hash checks, every signature verifies with a key the metadata names.
    let years: BTreeSet<PathBuf> = documents.iter().map(|p| p.parent().unwrap().to_path_buf()).collect();
    for year in &years {
        for (tool, ext) in [("sha256sum", "sha256"), ("sha512sum", "sha512")] {
            let mut sums = Vec::new();
            files_below(year, ext, &mut sums);
            let names: Vec<String> =
                sums.iter().map(|p| p.file_name().unwrap().to_string_lossy().into_owned()).collect();
            let args: Vec<&str> = std::iter::once("-c").chain(names.iter().map(String::as_str)).collect();
            let (good, said) = run_in(year, tool, &args);
            assert!(good, "{tool} in {}: {said}", year.display());
        }
    }
    let home = tempfile::tempdir().unwrap();
    let gpg = |args: &[&str]| {
        let mut all = vec!["--homedir", home.path().to_str().unwrap(), "--batch", "--trust-model", "always"];
        all.extend(args);
        run_in(tmp.path(), "gpg", &all)
    };
    let keys = metadata["public_openpgp_keys"].as_array().unwrap();
    assert_eq!(keys.len(), 2, "{keys:?}");
    for key in keys {
        let fingerprint = key["fingerprint"].as_str().unwrap();
        assert!(key["url"].as_str().unwrap().ends_with(&format!("/.well-known/csaf/openpgp/{fingerprint}.asc")));
        let (imported, said) = gpg(&["--import", out.join(format!("openpgp/{fingerprint}.asc")).to_str().unwrap()]);
        assert!(imported, "{said}");
    }
    for document in &documents {
        let signature = format!("{}.asc", document.display());
        let (good, said) = gpg(&["--verify", &signature, document.to_str().unwrap()]);
        assert!(good && said.contains("Good signature"), "{}: {said}", document.display());
    }

    // Revisions follow CSAF 2.0: the first dated at `published`; a withdrawn
    // advisory is a last revision of category csaf_base.
    for document in &documents {
        let csaf: Value = serde_json::from_str(&std::fs::read_to_string(document).unwrap()).unwrap();
        let tracking = &csaf["document"]["tracking"];
        assert_eq!(tracking["revision_history"][0]["date"], tracking["initial_release_date"], "{}", document.display());
        assert_eq!(csaf["document"]["publisher"]["category"], metadata["publisher"]["category"]);
    }
    let withdrawn: Value =
        serde_json::from_str(&std::fs::read_to_string(white.join("2022/pysec-2022-15.json")).unwrap()).unwrap();
    assert_eq!(withdrawn["document"]["category"], "csaf_base");
    assert_eq!(withdrawn["document"]["tracking"]["revision_history"][1]["summary"], "Withdrawn");
    assert!(!index.contains("2022/pysec-2022-15-vex.json"), "no VEX for a withdrawn advisory");
    let withdrawn_count = documents
        .iter()
        .filter(|p| {
            let csaf: Value = serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap();
            csaf["document"]["category"] == "csaf_base"
        })
        .count();
    assert_eq!(documents_written, 449 + 449 - withdrawn_count);

    match tool("validate-csaf", "advisories/csaf/oasis-examples/bsi-2022-0001.json") {
        Some(validator) => {
            let summary = validate(&validator, &[], &documents);
            eprintln!("{summary}");
        }
        None => missing("validate-csaf", "validate-csaf with @secvisogram/csaf-validator-lib"),
    }
}

/// `embargo import ghsa` (issue 14, item 6) with GitHub's own examples: the
/// list and the single advisory both hold GHSA-abcd-1234-efgh, so importing
/// both is refused whole; the list alone imports, keeping CVE, CVSS 3.1 and
/// 4.0, CWE, credits, ranges and dates, and naming what it leaves out.
#[test]
fn github_repository_advisories_import_all_or_nothing_issue_14() {
    let test = "github_repository_advisories_import_all_or_nothing_issue_14";
    let Some(shared) = conformance() else {
        return missing(test, "EMBARGO_CONFORMANCE_DIR");
    };
    let github = shared.join("github-rest");
    let (tmp, dir) = data_dir();
    ok(&dir, &["init"]);
    ok(&dir, &["admin", "org", "create", "octo", "--name", "Octo"]);
    ok(&dir, &["admin", "project", "create", "octo/a-package", "--name", "A package"]);
    let both = crate::run(&dir, &["import", "ghsa", github.to_str().unwrap(), "--project", "octo/a-package"], "");
    assert!(!both.status.success());
    let said = String::from_utf8_lossy(&both.stderr);
    assert!(said.contains("GHSA-abcd-1234-efgh appears in two files"), "{said}");
    assert!(said.contains("nothing was imported"), "{said}");

    let list = github.join("list-repository-advisories.json");
    let imported = ok(&dir, &["import", "ghsa", list.to_str().unwrap(), "--project", "octo/a-package"]);
    assert!(imported.starts_with("imported 2 advisories into octo/a-package: 2 new"), "{imported}");
    let out = tmp.path().join("osv");
    ok(&dir, &["export", "osv", "--out", out.to_str().unwrap()]);
    let record: Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("GHSA-abcd-1234-efgh.json")).unwrap()).unwrap();
    assert_eq!(record["aliases"], serde_json::json!(["CVE-2050-00000"]));
    assert_eq!(record["published"], "2020-01-03T00:00:00Z");
    assert_eq!(record["modified"], "2020-01-02T00:00:00Z");
    let severities: Vec<&str> =
        record["severity"].as_array().unwrap().iter().map(|s| s["type"].as_str().unwrap()).collect();
    assert_eq!(severities, ["CVSS_V3", "CVSS_V4"]);
    assert_eq!(record["database_specific"]["cwe_ids"], serde_json::json!(["CWE-123"]));
    assert_eq!(record["credits"][0]["name"], "octocat");
    assert_eq!(record["credits"][0]["type"], "ANALYST");
    assert_eq!(
        record["affected"][0]["package"],
        serde_json::json!({"ecosystem": "PyPI", "name": "a-package", "purl": "pkg:pypi/a-package"})
    );
    assert_eq!(
        record["affected"][0]["ranges"][0]["events"],
        serde_json::json!([{"introduced": "1.0.0"}, {"fixed": "1.0.1"}])
    );
    assert_eq!(record["affected"][0]["ecosystem_specific"]["affected_functions"], serde_json::json!(["function1"]));
    if let Some(validator) = tool("validate-osv", "advisories/psf/python/PSF-2024-1.json") {
        let mut files = Vec::new();
        files_below(&out, "json", &mut files);
        validate(&validator, &[], &files);
    } else {
        missing("validate-osv", "validate-osv with Python jsonschema");
    }
    let again = ok(&dir, &["import", "ghsa", list.to_str().unwrap(), "--project", "octo/a-package"]);
    assert!(again.contains("0 new, 0 revised, 2 unchanged"), "{again}");

    // A private draft becomes a draft advisory nobody outside the team sees; a closed one a declined report only.
    let single: Value =
        serde_json::from_str(&std::fs::read_to_string(github.join("repository-advisory.json")).unwrap()).unwrap();
    let mut draft = single.clone();
    draft["ghsa_id"] = "GHSA-dddd-2222-eeee".into();
    draft["state"] = "draft".into();
    draft["summary"] = "PRIVATE DRAFT MARKER".into();
    draft["published_at"] = Value::Null;
    let mut closed = single;
    closed["ghsa_id"] = "GHSA-ffff-3333-gggg".into();
    closed["state"] = "closed".into();
    let more = tmp.path().join("more.json");
    std::fs::write(&more, serde_json::json!([draft, closed]).to_string()).unwrap();
    let run = crate::run(&dir, &["import", "ghsa", more.to_str().unwrap(), "--project", "octo/a-package"], "");
    assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));
    let said = String::from_utf8_lossy(&run.stdout);
    assert!(
        said.contains("1 private draft(s), 1 closed (a declined report, no advisory); 2 report(s) filed"),
        "{said}"
    );
    let notes = String::from_utf8_lossy(&run.stderr);
    assert!(notes.contains("GHSA-ffff-3333-gggg") && notes.contains("closed on GitHub"), "{notes}");
    assert!(notes.contains("GHSA-dddd-2222-eeee.author"), "people are named as not kept: {notes}");
    let out = tmp.path().join("osv-again");
    ok(&dir, &["export", "osv", "--out", out.to_str().unwrap()]);
    let mut exported = Vec::new();
    files_below(&out, "json", &mut exported);
    assert_eq!(exported.len(), 2, "the draft stays private and the closed one out");
    for file in exported {
        assert!(!std::fs::read_to_string(&file).unwrap().contains("PRIVATE DRAFT MARKER"), "{}", file.display());
    }
}
