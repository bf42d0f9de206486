//! Tidy checks over the whole workspace: the crate dependency rule of
//! ARCHITECTURE.md, a `//!` header on every source file, no ignored tests.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").canonicalize().unwrap()
}

/// The workspace crates each crate may depend on (normal dependencies).
fn allowed() -> BTreeMap<&'static str, Vec<&'static str>> {
    BTreeMap::from([
        ("embargo-core", vec![]),
        ("embargo-formats", vec!["embargo-core"]),
        ("embargo-store", vec!["embargo-core"]),
        ("embargo-app", vec!["embargo-core", "embargo-store", "embargo-formats"]),
        ("embargo-web", vec!["embargo-core", "embargo-store", "embargo-app", "embargo-formats"]),
        ("embargo-mail", vec!["embargo-core", "embargo-store", "embargo-app", "embargo-formats"]),
        // The evidence lab runs untrusted code: only the worker (the binary) uses it, never the server's web layer.
        ("embargo-lab", vec!["embargo-core", "embargo-store", "embargo-app"]),
        (
            "embargo-testkit",
            vec!["embargo-core", "embargo-store", "embargo-app", "embargo-web", "embargo-formats", "embargo-mail"],
        ),
        (
            "embargo",
            vec![
                "embargo-core",
                "embargo-store",
                "embargo-app",
                "embargo-web",
                "embargo-formats",
                "embargo-mail",
                "embargo-lab",
            ],
        ),
    ])
}

/// The `embargo-*` names in one dependency table of a manifest.
fn workspace_deps(manifest: &str, table: &str) -> Vec<String> {
    let mut in_table = false;
    let mut deps = Vec::new();
    for line in manifest.lines() {
        let line = line.trim();
        if line.starts_with('[') {
            in_table = line == format!("[{table}]");
            continue;
        }
        if in_table && line.starts_with("embargo") {
            let name = line.split(['.', ' ', '=']).next().unwrap();
            deps.push(name.to_owned());
        }
    }
    deps
}

#[test]
fn crate_edges_point_down_only() {
    let crates = workspace().join("crates");
    let allowed = allowed();
    let mut seen = Vec::new();
    for entry in std::fs::read_dir(&crates).unwrap() {
        let dir = entry.unwrap().path();
        let name = dir.file_name().unwrap().to_string_lossy().into_owned();
        let manifest = std::fs::read_to_string(dir.join("Cargo.toml")).unwrap();
        assert!(manifest.contains(&format!("name = \"{name}\"")), "crates/{name}: directory name = crate name");
        let may = allowed
            .get(name.as_str())
            .unwrap_or_else(|| panic!("crates/{name} is not in the layer map of this test and ARCHITECTURE.md"));
        for dep in workspace_deps(&manifest, "dependencies") {
            assert!(may.contains(&dep.as_str()), "{name} may not depend on {dep} (ARCHITECTURE.md, dependency rule)");
            assert_ne!(dep, "embargo-testkit", "{name}: the testkit is a dev-dependency only");
        }
        seen.push(name);
    }
    for layer in
        ["embargo-core", "embargo-formats", "embargo-store", "embargo-app", "embargo-web", "embargo-testkit", "embargo"]
    {
        assert!(seen.iter().any(|s| s == layer), "missing crate {layer}");
    }
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            if path.file_name().is_some_and(|n| n == "target") {
                continue;
            }
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

#[test]
fn every_source_file_says_what_it_holds_and_no_test_is_ignored() {
    let mut files = Vec::new();
    rust_files(&workspace().join("crates"), &mut files);
    assert!(files.len() > 30);
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        let first = text.lines().next().unwrap_or("");
        // Unit-test files beside a module (`foo/tests.rs`) are documented by their parent.
        let is_unit_tests = file.file_name().is_some_and(|n| n == "tests.rs");
        assert!(
            is_unit_tests || first.starts_with("//!"),
            "{} must open with a //! line saying what it holds",
            file.display()
        );
        let ignore = ["#[", "ignore"].concat();
        assert!(!text.contains(&ignore), "{} ignores a test", file.display());
    }
}
