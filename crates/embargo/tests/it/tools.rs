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

/// Validates a CSAF `provider-metadata.json` against the CSAF 2.0 provider
/// schema of the conformance data with Python `jsonschema` (the schema's
/// `$ref`s registered to the local copies, as the conformance README says);
/// `None` when Python `jsonschema` is missing, else the errors found.
pub fn provider_metadata_errors(document: &std::path::Path) -> Option<Vec<String>> {
    const CHECK: &str = r#"
import json, sys, pathlib
try:
    import referencing, referencing.jsonschema
    from jsonschema import Draft202012Validator
except ImportError:
    sys.exit(2)
base = pathlib.Path(sys.argv[1])
load = lambda p: json.loads((base / p).read_text())
resources = [("https://docs.oasis-open.org/csaf/csaf/v2.0/csaf_json_schema.json", load("csaf_json_schema.json"))]
resources += [(f"https://www.first.org/cvss/cvss-v{v}.json", load(f"first/cvss-v{v}.json")) for v in ("2.0", "3.0", "3.1")]
registry = referencing.Registry().with_resources(
    [(url, referencing.Resource.from_contents(c, default_specification=referencing.jsonschema.DRAFT202012)) for url, c in resources])
validator = Draft202012Validator(load("provider_json_schema.json"), registry=registry,
                                 format_checker=Draft202012Validator.FORMAT_CHECKER)
for error in validator.iter_errors(json.loads(pathlib.Path(sys.argv[2]).read_text())):
    print(list(error.absolute_path), error.message)
"#;
    let schemas = conformance()?.join("schemas/csaf");
    let out = Command::new("python3").arg("-c").arg(CHECK).arg(&schemas).arg(document).output().ok()?;
    if out.status.code() == Some(2) {
        return None;
    }
    Some(String::from_utf8_lossy(&out.stdout).lines().map(str::to_owned).collect())
}
