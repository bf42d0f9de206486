//! Environments per release line from a real git repository, set up in the
//! sandbox, cached per commit; the PoC against each line.

use std::time::Duration;

use embargo_core::lab::Ending;
use embargo_lab::environment::{Environments, PrepareError, Want};
use embargo_lab::sandbox::{DEFAULT_SANDBOX_UID, Limits, Program, RunSpec, Sandbox};

use crate::fixture::{POC, SETUP, open_tempdir, project, sandbox};

fn want<'a>(repository: &'a str, git_ref: &'a str, setup: Option<&'a str>) -> Want<'a> {
    Want { repository, git_ref, setup, setup_network: false }
}

async fn poc(sandbox: &Sandbox, source: &std::path::Path) -> Ending {
    let scratch = open_tempdir();
    let limits = Limits { time: Duration::from_secs(20), ..Limits::poc() };
    let spec = RunSpec {
        program: Program::Script(POC.as_bytes()),
        source,
        writable_source: false,
        network: false,
        limits: &limits,
        scratch: scratch.path(),
    };
    let out = sandbox.run(&spec).await.unwrap();
    assert!(matches!(out.ending, Ending::Exited(0 | 1)), "{:?}: {}", out.ending, String::from_utf8_lossy(&out.output));
    out.ending
}

#[tokio::test]
async fn each_line_is_prepared_once_and_the_poc_tells_vulnerable_from_fixed() {
    let Some(sandbox) = sandbox().await else { return };
    let dir = open_tempdir();
    let repo = project(dir.path());
    let repo = repo.to_str().unwrap();
    let envs = Environments::new(dir.path().join("lab"), Some(DEFAULT_SANDBOX_UID)).unwrap();

    let v1 = envs.prepare(&sandbox, want(repo, "v1.0.0", Some(SETUP))).await.unwrap();
    let v2 = envs.prepare(&sandbox, want(repo, "v2.0.0", Some(SETUP))).await.unwrap();
    assert_ne!(v1.commit, v2.commit);
    assert!(v1.path.join(".venv/bin/python").exists(), "the setup command ran in the checkout");
    assert!(!v1.path.join(".git").exists(), "the checkout carries no repository");
    assert_eq!(poc(&sandbox, &v1.path).await, Ending::Exited(1), "1.0 is vulnerable");
    assert_eq!(poc(&sandbox, &v2.path).await, Ending::Exited(0), "2.0 is not");

    // Cached: the same ref again neither checks out nor runs the setup again.
    let stamp = std::fs::read_to_string(v1.path.join(".venv/prepared-at")).unwrap();
    let again = envs.prepare(&sandbox, want(repo, "v1.0.0", Some(SETUP))).await.unwrap();
    assert_eq!(again, v1);
    assert_eq!(std::fs::read_to_string(v1.path.join(".venv/prepared-at")).unwrap(), stamp);

    // A branch (the fix) resolves to its commit: the same tree as 2.0, so the same environment.
    let fix = envs.prepare(&sandbox, want(repo, "fix-header", Some(SETUP))).await.unwrap();
    assert_eq!(fix.commit, v2.commit);
    assert_eq!(poc(&sandbox, &fix.path).await, Ending::Exited(0), "the fix is verified");
}

#[tokio::test]
async fn bad_refs_and_repositories_are_refused_by_name() {
    let Some(sandbox) = sandbox().await else { return };
    let dir = open_tempdir();
    let repo = project(dir.path());
    let repo = repo.to_str().unwrap();
    let envs = Environments::new(dir.path().join("lab"), Some(DEFAULT_SANDBOX_UID)).unwrap();
    let err = envs.prepare(&sandbox, want(repo, "v9.9.9", None)).await.unwrap_err();
    assert!(matches!(err, PrepareError::UnknownRef(ref r) if r == "v9.9.9"), "{err}");
    let err = envs.prepare(&sandbox, want(repo, "--upload-pack=touch /tmp/x", None)).await.unwrap_err();
    assert!(matches!(err, PrepareError::Unsafe { field: "ref", .. }), "{err}");
    let err = envs.prepare(&sandbox, want("--upload-pack=x", "v1.0.0", None)).await.unwrap_err();
    assert!(matches!(err, PrepareError::Unsafe { field: "repository", .. }), "{err}");
    let missing = dir.path().join("nothing-here");
    let err = envs.prepare(&sandbox, want(missing.to_str().unwrap(), "v1.0.0", None)).await.unwrap_err();
    assert!(matches!(err, PrepareError::Command { step: "git clone", .. }), "{err}");
}

#[tokio::test]
async fn a_setup_command_gets_no_network_unless_the_policy_allows_it() {
    let Some(sandbox) = sandbox().await else { return };
    let dir = open_tempdir();
    let repo = project(dir.path());
    let repo = repo.to_str().unwrap();
    let envs = Environments::new(dir.path().join("lab"), Some(DEFAULT_SANDBOX_UID)).unwrap();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let setup = format!("python3 -c \"import socket; socket.create_connection(('127.0.0.1', {port}), timeout=2)\"");
    let err = envs.prepare(&sandbox, want(repo, "v1.0.0", Some(&setup))).await.unwrap_err();
    assert!(matches!(err, PrepareError::Setup { ending: Ending::Exited(1), .. }), "{err}");
    let allowed = Want { setup_network: true, ..want(repo, "v1.0.0", Some(&setup)) };
    envs.prepare(&sandbox, allowed).await.unwrap();
}
