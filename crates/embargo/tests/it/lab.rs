//! `embargo lab worker --once` against the real binary: a project with a
//! `[lab]` policy on a git repository made here, a report with a PoC, and the
//! worker running it in the real sandbox. Where no sandbox can be made the
//! worker refuses and says why (the test fails under `CI=true`).

use std::process::Command;

use crate::{data_dir, ok, run};

fn git(dir: &std::path::Path, args: &[&str]) {
    let status = Command::new("git")
        .args(args)
        .current_dir(dir)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_AUTHOR_NAME", "t")
        .env("GIT_AUTHOR_EMAIL", "t@example.org")
        .env("GIT_COMMITTER_NAME", "t")
        .env("GIT_COMMITTER_EMAIL", "t@example.org")
        .status()
        .unwrap();
    assert!(status.success(), "git {args:?}");
}

#[test]
fn the_worker_runs_what_intake_queued_and_exits() {
    let (tmp, dir) = data_dir();
    let repo = tmp.path().join("repo");
    std::fs::create_dir_all(&repo).unwrap();
    git(&repo, &["init", "--quiet"]);
    std::fs::write(repo.join("vulnerable.txt"), "yes\n").unwrap();
    git(&repo, &["add", "."]);
    git(&repo, &["commit", "--quiet", "-m", "one"]);
    git(&repo, &["tag", "v1"]);
    ok(&dir, &["init"]);
    ok(&dir, &["admin", "org", "create", "pallets", "--name", "Pallets"]);
    ok(&dir, &["admin", "project", "create", "pallets/flask", "--name", "Flask"]);
    let policy = tmp.path().join("flask.toml");
    let text = format!("[lab]\nrepository = '{}'\n\n[[lab.lines]]\nname = \"1.0\"\nref = \"v1\"\n", repo.display());
    std::fs::write(&policy, text).unwrap();
    ok(&dir, &["policy", "apply", "pallets/flask", policy.to_str().unwrap()]);
    let poc = tmp.path().join("poc.sh");
    std::fs::write(&poc, "#!/bin/sh\ntest -f vulnerable.txt && exit 1\nexit 0\n").unwrap();
    let args = ["report", "submit", "pallets/flask", "--title", "T", "--body", "Broken.", "--poc-file"];
    let receipt = ok(&dir, &[&args[..], &[poc.to_str().unwrap()]].concat());
    let id = receipt.lines().find_map(|l| l.strip_prefix("id")).unwrap().trim().to_owned();
    let lead = ["admin", "user", "create", "--email", "lead@example.org", "--name", "Lead"];
    assert!(run(&dir, &lead, "a long password 1\n").status.success());
    ok(&dir, &["admin", "member", "add", "pallets/flask", "--email", "lead@example.org"]);
    // The lab hears of the report through the outbox, which `serve` (or `jobs run`) works off.
    ok(&dir, &["jobs", "run"]);

    // The lab directory (and the fixture repository) must be reachable by the sandbox user.
    std::fs::set_permissions(tmp.path(), std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let lab_dir = tmp.path().join("lab");
    let worker = ["lab", "worker", "--once", "--lab-dir", lab_dir.to_str().unwrap()];
    let out = run(&dir, &worker, "");
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    if !out.status.success() && stderr.contains("cannot create a sandbox") {
        assert!(std::env::var("CI").map_or(true, |v| v != "true"), "the lab needs a sandbox under CI: {stderr}");
        eprintln!("lab test did not run: {stderr}");
        return;
    }
    assert!(out.status.success() && stderr.contains("1 lab run(s) done"), "{stderr}");
    let again = run(&dir, &worker, "");
    assert!(String::from_utf8_lossy(&again.stderr).contains("0 lab run(s) done"), "nothing is left to run");

    let db = format!("sqlite://{}", dir.join("embargo.db").display());
    let results: Vec<(String, String)> = tokio::runtime::Runtime::new().unwrap().block_on(async {
        use sqlx::Connection;
        let mut conn = sqlx::SqliteConnection::connect(&db).await.unwrap();
        sqlx::query_as("SELECT result, reason FROM lab_runs").fetch_all(&mut conn).await.unwrap()
    });
    assert_eq!(results, vec![("vulnerable".to_owned(), "exit code 1".to_owned())]);

    // Issue 17: the team, from the shell: the matrix, accepting it, running the PoC again.
    let as_lead = ["--as", "lead@example.org"];
    let shown = ok(&dir, &[&["lab", "show", &id][..], &as_lead].concat());
    assert!(shown.contains("1.0") && shown.contains("vulnerable") && shown.contains("exit code 1"), "{shown}");
    let accepted = ok(&dir, &[&["lab", "accept", &id][..], &as_lead].concat());
    assert_eq!(accepted.trim(), "affected  1.0");
    let report = ok(&dir, &[&["report", "show", &id][..], &as_lead].concat());
    assert!(report.lines().any(|l| l.contains("1.0") && l.to_lowercase().contains("affected")), "{report}");
    let queued = ok(&dir, &[&["lab", "run", &id, "--line", "1.0"][..], &as_lead].concat());
    assert_eq!(queued.lines().count(), 1, "one run queued: {queued}");
    let shown = ok(&dir, &[&["lab", "show", &id][..], &as_lead].concat());
    assert!(shown.contains("queued"), "{shown}");
    let refused = run(&dir, &["lab", "run", &id, "--line", "9.9", "--as", "lead@example.org"], "");
    assert!(!refused.status.success(), "a line the policy does not name");
}
