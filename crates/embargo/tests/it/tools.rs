//! The shared conformance data and the official validators beside the
//! project (`../shared/conformance`, `../shared/tools`). A test that needs
//! one says so and does not run where it is missing, except under CI
//! (`CI` set), where a missing tool is a failure: `.ci/run` installs them.

use std::path::PathBuf;
use std::process::{Command, Stdio};

/// The conformance data directory, if configured.
pub fn conformance() -> Option<PathBuf> {
    std::env::var_os("EMBARGO_CONFORMANCE_DIR").map(PathBuf::from).filter(|p| p.is_dir())
}

/// A validator script from `../shared/tools`, if it is there and its
/// libraries are installed (it validates `probe`, a file known to be valid).
pub fn tool(name: &str, probe: &str) -> Option<PathBuf> {
    let tools = std::env::var_os("EMBARGO_TOOLS_DIR")
        .map(PathBuf::from)
        .or_else(|| conformance().map(|c| c.join("../tools")))?;
    let path = tools.join(name);
    let probe = conformance()?.join(probe);
    let ok =
        Command::new(&path).arg(&probe).stdout(Stdio::null()).stderr(Stdio::null()).status().is_ok_and(|s| s.success());
    ok.then_some(path)
}

/// Says that a test did not run for want of `what`; under CI that is a failure.
pub fn missing(test: &str, what: &str) {
    assert!(std::env::var_os("CI").is_none(), "{test}: {what} is missing under CI; .ci/run installs it");
    eprintln!("{test}: {what} is missing: this test did not run");
}

/// Runs a validator on files; panics with its output unless all are valid.
pub fn validate(tool: &PathBuf, args: &[&str], files: &[PathBuf]) -> String {
    let out = Command::new(tool).args(args).args(files).output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "{} found invalid documents:\n{stdout}\n{stderr}", tool.display());
    stderr
}
