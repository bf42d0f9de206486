//! `embargo policy` and `serve --demo` through the real binary.

use crate::{data_dir, ok, run};

fn example(name: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/policies").join(name)
}

#[test]
fn every_example_policy_checks() {
    let (_tmp, dir) = data_dir();
    for (file, project) in [
        ("lanternworks.toml", false),
        ("lanternworks-lantern.toml", true),
        ("lanternworks-wick.toml", true),
        ("orbit.toml", false),
        ("orbit-orbit.toml", true),
        ("harbor-relay.toml", false),
        ("harbor-relay-relay.toml", true),
    ] {
        let path = example(file);
        let mut args = vec!["policy", "check", path.to_str().unwrap()];
        if project {
            args.push("--project");
        }
        assert!(ok(&dir, &args).contains("valid"), "{file}");
    }
}

#[test]
fn check_names_the_line_and_column() {
    let (tmp, dir) = data_dir();
    let file = tmp.path().join("bad.toml");
    std::fs::write(&file, "[channels]\nweb_form = true\n\n[response]\nacknowlege = \"2d\"\n").unwrap();
    let out = run(&dir, &["policy", "check", file.to_str().unwrap()], "");
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("line 5, column 1") && stderr.contains("acknowlege"), "{stderr}");
    let lines_in_org = example("orbit-orbit.toml");
    let out = run(&dir, &["policy", "check", lines_in_org.to_str().unwrap()], "");
    assert!(String::from_utf8_lossy(&out.stderr).contains("release lines belong to projects"));
}

#[test]
fn apply_then_show_round_trips() {
    let (tmp, dir) = data_dir();
    ok(&dir, &["init"]);
    ok(&dir, &["admin", "org", "create", "orbit-lang", "--name", "Orbit"]);
    ok(&dir, &["admin", "project", "create", "orbit-lang/orbit", "--name", "Orbit"]);
    ok(&dir, &["policy", "apply", "orbit-lang", example("orbit.toml").to_str().unwrap()]);
    assert!(
        ok(&dir, &["policy", "apply", "orbit-lang/orbit", example("orbit-orbit.toml").to_str().unwrap()])
            .contains("6 release line(s)")
    );
    let shown = ok(&dir, &["policy", "show", "orbit-lang"]);
    let file = tmp.path().join("shown.toml");
    std::fs::write(&file, &shown).unwrap();
    ok(&dir, &["policy", "apply", "orbit-lang", file.to_str().unwrap()]);
    assert_eq!(ok(&dir, &["policy", "show", "orbit-lang"]), shown, "show after apply gives the same TOML");
    let sources = ok(&dir, &["policy", "show", "orbit-lang/orbit", "--sources"]);
    assert!(sources.contains("# threat_models: threat_models from the organisation"), "{sources}");
    assert!(ok(&dir, &["admin", "release-line", "list", "orbit-lang/orbit"]).starts_with("4.0"));
    let md = ok(&dir, &["policy", "security-md", "orbit-lang/orbit"]);
    assert!(md.contains("| 3.14 | bugfix | yes | yes |"), "{md}");
    assert!(ok(&dir, &["audit", "verify"]).contains("intact"));
}
