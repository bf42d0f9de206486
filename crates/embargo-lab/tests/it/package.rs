//! Package environments (issue 17, item 1): a project's `[lab]` policy names
//! a package (`pypi:tinyparse`) and a directory of wheels built by the test
//! (a real local package index: `pip --no-index --find-links`); each line's
//! version is installed once in the sandbox, without the network, and the
//! PoC runs against it through the real worker.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use embargo_core::policy::LabPackage;
use embargo_lab::environment::{Environments, PrepareError};
use embargo_lab::package::PackageWant;
use embargo_lab::sandbox::DEFAULT_SANDBOX_UID;
use embargo_lab::worker::{Worker, WorkerConfig};
use embargo_testkit::TestApp;
use http::StatusCode;
use serde_json::{Value, json};

use crate::fixture::{PARSER_V1, PARSER_V2, POC, open_tempdir, sandbox};

/// Writes a wheel of `name` `version` whose module is `code` (PEP 427: the
/// files, METADATA, WHEEL and a RECORD of their hashes).
const MAKE_WHEEL: &str = r#"
import base64, hashlib, sys, zipfile
out, name, version, code = sys.argv[1:5]
dist = f"{name}-{version}.dist-info"
files = {
    f"{name}/__init__.py": code,
    f"{dist}/METADATA": f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n",
    f"{dist}/WHEEL": "Wheel-Version: 1.0\nGenerator: embargo-test\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
}
record = []
for path, text in files.items():
    digest = base64.urlsafe_b64encode(hashlib.sha256(text.encode()).digest()).rstrip(b"=").decode()
    record.append(f"{path},sha256={digest},{len(text.encode())}")
record.append(f"{dist}/RECORD,,")
files[f"{dist}/RECORD"] = "\n".join(record) + "\n"
with zipfile.ZipFile(f"{out}/{name}-{version}-py3-none-any.whl", "w") as z:
    for path, text in files.items():
        z.writestr(path, text)
"#;

fn wheel(dir: &Path, version: &str, code: &str) {
    let out = Command::new("python3")
        .args(["-c", MAKE_WHEEL, dir.to_str().unwrap(), "tinyparse", version, code])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
}

fn run_of<'a>(lab: &'a Value, line: &str) -> &'a Value {
    lab["runs"].as_array().unwrap().iter().find(|r| r["line"] == line).unwrap()
}

#[tokio::test]
async fn a_package_lab_installs_each_lines_version_offline_issue_17() {
    let Some(lab) = sandbox().await else { return };
    let dir = open_tempdir();
    let wheels = dir.path().join("wheels");
    std::fs::create_dir(&wheels).unwrap();
    wheel(&wheels, "1.0.0", PARSER_V1);
    wheel(&wheels, "2.0.0", PARSER_V2);
    // Not a distribution file: never copied into an environment.
    std::fs::write(wheels.join("secret.key"), "SECRET-MARKER").unwrap();

    let t = TestApp::new().await;
    t.organisation("lab").await;
    t.project("lab", "tinyparse").await;
    let team = t.user("maintainer@lab.example", false).await;
    t.member("lab/tinyparse", "maintainer@lab.example").await;
    let alice = t.user("alice@researcher.example", false).await;
    let index = wheels.to_str().unwrap();
    let policy = format!(
        "[lab]\npackage = \"pypi:tinyparse\"\nindex = '{index}'\n\n\
         [[lab.lines]]\nname = \"2.0\"\nversion = \"2.0.0\"\n\n[[lab.lines]]\nname = \"1.0\"\nversion = \"1.0.0\"\n"
    );
    t.policy("lab/tinyparse", &policy).await;
    let reply = t
        .post(
            "/api/v1/projects/lab/tinyparse/reports",
            json!({"title": "Long headers", "body": "parse_header ignores MAX_LEN.", "proof_of_concept": POC}),
            &alice,
        )
        .await
        .expect(StatusCode::CREATED);
    t.run_jobs().await;
    let id = reply.json["id"].as_str().unwrap().to_owned();

    let cache = dir.path().join("lab-cache");
    let mut config = WorkerConfig::new("package-worker".into(), cache.clone());
    config.poll = Duration::from_millis(50);
    let worker = Worker::new(t.app.clone(), config).await.unwrap();
    assert_eq!(worker.run_queued().await.unwrap(), 2);
    let lab_path = format!("/api/v1/reports/{id}/lab");
    let seen = t.get(&lab_path, &team).await.expect(StatusCode::OK).json;
    let old = run_of(&seen, "1.0");
    assert_eq!((&old["result"], &old["ref"]), (&json!("vulnerable"), &json!("1.0.0")), "{seen}");
    assert_eq!(old["commit"], "tinyparse==1.0.0", "the run names what was installed");
    assert_eq!(run_of(&seen, "2.0")["result"], "not_vulnerable", "{seen}");
    assert_eq!(seen["grounding"], json!([]), "no git source: no grounding check");

    // A fix is a version to install.
    let runs = format!("/api/v1/reports/{id}/lab/runs");
    t.post(&runs, json!({"ref": "2.0;id"}), &team).await.expect(StatusCode::UNPROCESSABLE_ENTITY);
    t.post(&runs, json!({"ref": "2.0.0"}), &team).await.expect(StatusCode::ACCEPTED);
    assert_eq!(worker.run_queued().await.unwrap(), 1);
    let seen = t.get(&lab_path, &team).await.expect(StatusCode::OK).json;
    assert_eq!(run_of(&seen, "fix")["result"], "not_vulnerable", "the fix is verified: {seen}");

    // Prepared once per version: the worker's cache answers without installing again.
    let envs = Environments::new(cache, Some(DEFAULT_SANDBOX_UID)).unwrap();
    let package: LabPackage = "pypi:tinyparse".parse().unwrap();
    let want =
        |version| PackageWant { package: &package, version, index: Some(index), setup: None, setup_network: false };
    let v1 = envs.prepare_package(&lab, want("1.0.0")).await.unwrap();
    let log = v1.path.with_extension("setup.log");
    let stamp = std::fs::metadata(&log).unwrap().modified().unwrap();
    assert_eq!(envs.prepare_package(&lab, want("1.0.0")).await.unwrap(), v1);
    assert_eq!(std::fs::metadata(&log).unwrap().modified().unwrap(), stamp, "not installed again");
    assert!(v1.path.join(".venv/bin/python").exists());
    assert!(!v1.path.join(".lab-index").exists(), "the copied index is gone before any PoC runs");
    let listing = Command::new("grep").args(["-rl", "SECRET-MARKER", v1.path.to_str().unwrap()]).output().unwrap();
    assert!(listing.stdout.is_empty(), "a file that is not a distribution was copied");

    // Offline: a version the directory lacks is not fetched from anywhere else.
    match envs.prepare_package(&lab, want("3.0.0")).await {
        Err(PrepareError::Setup { output, .. }) => {
            assert!(output.contains("No matching distribution") || output.contains("3.0.0"), "{output}");
        }
        other => panic!("installed a version the index lacks: {other:?}"),
    }
    assert!(matches!(
        envs.prepare_package(&lab, want("1.0;id")).await,
        Err(PrepareError::Unsafe { field: "version", .. })
    ));
    t.finish().await;
}
