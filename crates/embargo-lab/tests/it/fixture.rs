//! A working sandbox or the reason there is none, and a small Python project
//! with two tagged release lines (1.0 vulnerable, 2.0 fixed).

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;

use embargo_lab::sandbox::{DEFAULT_SANDBOX_UID, Sandbox};

/// Sandboxes of this test binary run one at a time: they share the sandbox
/// user, whose process count the process limit bounds (as one worker does).
static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// A working sandbox, held for the test's duration.
pub struct Lab {
    /// The sandbox.
    pub sandbox: Sandbox,
    _turn: tokio::sync::MutexGuard<'static, ()>,
}

impl std::ops::Deref for Lab {
    type Target = Sandbox;

    fn deref(&self) -> &Sandbox {
        &self.sandbox
    }
}

/// The sandbox, or `None` (after saying so) where it cannot run; under
/// `CI=true` a missing sandbox fails the test with the reason.
pub async fn sandbox() -> Option<Lab> {
    let turn = ONE_AT_A_TIME.lock().await;
    match Sandbox::probe(DEFAULT_SANDBOX_UID).await {
        Ok(sandbox) => Some(Lab { sandbox, _turn: turn }),
        Err(e) if std::env::var("CI").is_ok_and(|v| v == "true") => panic!("the lab needs a sandbox under CI: {e}"),
        Err(e) => {
            eprintln!("lab test did not run: {e}");
            None
        }
    }
}

/// A temporary directory the sandbox user can enter.
pub fn open_tempdir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    dir
}

fn git(dir: &Path, args: &[&str]) {
    let out = Command::new("git")
        .args(args)
        .current_dir(dir)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_AUTHOR_NAME", "Fixture")
        .env("GIT_AUTHOR_EMAIL", "fixture@example.org")
        .env("GIT_COMMITTER_NAME", "Fixture")
        .env("GIT_COMMITTER_EMAIL", "fixture@example.org")
        .output()
        .unwrap();
    assert!(out.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&out.stderr));
}

pub const PARSER_V1: &str = "\"\"\"tinyparse: reads headers.\"\"\"\n\nMAX_LEN = None\n\n\ndef parse_header(data):\n    \"\"\"Returns the header, cut to MAX_LEN.\"\"\"\n    if MAX_LEN is None:\n        return data\n    return data[:MAX_LEN]\n";
pub const PARSER_V2: &str = "\"\"\"tinyparse: reads headers.\"\"\"\n\nMAX_LEN = 64\n\n\ndef parse_header(data):\n    \"\"\"Returns the header, cut to MAX_LEN.\"\"\"\n    if MAX_LEN is None:\n        return data\n    return data[:MAX_LEN]\n";

/// The PoC: exits 1 when `parse_header` returns more than 64 characters.
/// It runs with the venv's Python that the setup command made.
pub const POC: &str = "#!/bin/sh\nexec .venv/bin/python - <<'PY'\nimport sys\nfrom tinyparse import parse_header\nsys.exit(1 if len(parse_header('A' * 1000)) > 64 else 0)\nPY\n";

/// A setup command: a venv (no pip, no network) whose site-packages points at the checkout.
pub const SETUP: &str = "python3 -m venv --without-pip .venv && printf '%s\\n' \"$EMBARGO_LAB_SOURCE\" > \"$(echo .venv/lib/python3*/site-packages)/tinyparse.pth\" && date +%s%N > .venv/prepared-at";

/// Makes the fixture repository in `dir`: tags v1.0.0 and v2.0.0, branch `fix-header` at 2.0.
pub fn project(dir: &Path) -> PathBuf {
    let repo = dir.join("tinyparse");
    std::fs::create_dir_all(repo.join("tinyparse")).unwrap();
    git(&repo, &["init", "--quiet", "--initial-branch=main"]);
    std::fs::write(repo.join("pyproject.toml"), "[project]\nname = \"tinyparse\"\nversion = \"1.0.0\"\n").unwrap();
    std::fs::write(repo.join("tinyparse/__init__.py"), PARSER_V1).unwrap();
    std::fs::write(repo.join("README.md"), "Use --strict-headers to refuse long headers.\n").unwrap();
    git(&repo, &["add", "."]);
    git(&repo, &["commit", "--quiet", "-m", "1.0.0"]);
    git(&repo, &["tag", "v1.0.0"]);
    git(&repo, &["checkout", "--quiet", "-b", "fix-header"]);
    std::fs::write(repo.join("tinyparse/__init__.py"), PARSER_V2).unwrap();
    git(&repo, &["commit", "--quiet", "-am", "2.0.0: cut headers to 64 characters"]);
    git(&repo, &["tag", "v2.0.0"]);
    git(&repo, &["checkout", "--quiet", "main"]);
    repo
}
