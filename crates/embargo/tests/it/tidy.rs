//! Tidy checks over the whole workspace: the crate dependency rule of
//! ARCHITECTURE.md, a `//!` header on every source file, no ignored tests.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").canonicalize().unwrap()
}

/// The workspace crates each crate may depend on (normal dependencies), read
/// from the crate map in ARCHITECTURE.md, so that the document and the build
/// cannot drift apart. A map line reads `NAME  what it holds  → a, b (why), c`,
/// where `a` stands for `embargo-a`, `everything` for every other crate and
/// `(nothing of ours)` for none.
fn allowed() -> BTreeMap<String, Vec<String>> {
    let architecture = std::fs::read_to_string(workspace().join("ARCHITECTURE.md")).unwrap();
    let map = architecture.split("## Crates").nth(1).expect("ARCHITECTURE.md has a Crates section");
    let block = map.split("```").nth(1).expect("the Crates section opens with the crate map in a code block");
    let mut names = Vec::new();
    let mut edges = Vec::new();
    for line in block.lines().filter(|l| l.contains('→')) {
        let name = line.split_whitespace().next().unwrap().to_owned();
        let targets = line.rsplit('→').next().unwrap();
        names.push(name.clone());
        edges.push((name, targets.to_owned()));
    }
    edges
        .into_iter()
        .map(|(name, targets)| {
            let mut deps = Vec::new();
            for target in targets.split(',') {
                // Drop a parenthetical remark such as "(record types)".
                let target = target.split('(').next().unwrap().trim();
                match target {
                    "" => {}
                    "everything" => deps.extend(names.iter().filter(|n| **n != name).cloned()),
                    short => deps.push(format!("embargo-{short}")),
                }
            }
            (name, deps)
        })
        .collect()
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
            assert!(may.contains(&dep), "{name} may not depend on {dep} (ARCHITECTURE.md, dependency rule)");
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

/// Who may do what is decided in `embargo_core::permission` only. Outside
/// core, nothing reads the roles of a signed-in actor to decide: the team
/// memberships, the administrator flag or the ban of an `AuthUser`. The app's
/// `auth.rs` builds the `AuthUser` and is the one exception.
#[test]
fn role_and_admin_checks_live_in_core_only() {
    let forbidden =
        ["team_orgs", "team_projects", ".is_team(", "is_banned", "is_some_and(|u| u.is_admin", "u) if u.is_admin"];
    let mut files = Vec::new();
    rust_files(&workspace().join("crates"), &mut files);
    let crates = workspace().join("crates");
    for file in files {
        let relative = file.strip_prefix(&crates).unwrap().to_string_lossy().replace('\\', "/");
        let exempt = relative.starts_with("embargo-core/")
            || relative == "embargo-app/src/auth.rs"
            || relative.contains("/tests/")
            || relative.ends_with("/tests.rs");
        if exempt {
            continue;
        }
        let text = std::fs::read_to_string(&file).unwrap();
        for (n, line) in text.lines().enumerate() {
            for word in forbidden {
                assert!(
                    !line.contains(word),
                    "crates/{relative}:{}: `{word}` decides by role outside embargo_core::permission: {line}",
                    n + 1
                );
            }
        }
    }
}

#[test]
fn slugs_cross_the_app_boundary_typed() {
    // Organisation and project slugs are parsed once, where they arrive (path
    // extractors, clap arguments, query strings), and the app takes them as
    // `Slug`; a use case taking text would parse (or forget to parse) again.
    let untyped = regex_lite_free_patterns();
    let mut files = Vec::new();
    rust_files(&workspace().join("crates/embargo-app/src"), &mut files);
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        for (n, line) in text.lines().enumerate() {
            for pattern in &untyped {
                assert!(
                    !line.contains(pattern.as_str()),
                    "{}:{}: an organisation or project slug taken as text (`{pattern}`); take `&Slug`: {line}",
                    file.display(),
                    n + 1
                );
            }
        }
    }
}

/// `org: &str`, `project: Option<String>` and their like.
fn regex_lite_free_patterns() -> Vec<String> {
    let mut patterns = Vec::new();
    for name in ["org", "project", "org_slug", "project_slug"] {
        for ty in ["&str", "String", "Option<&str>", "Option<String>"] {
            patterns.push(format!(" {name}: {ty},"));
            patterns.push(format!(" {name}: {ty})"));
        }
    }
    patterns
}
