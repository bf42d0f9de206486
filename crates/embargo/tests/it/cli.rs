//! Accounts, configuration errors and the audit check from the command line.

use sqlx::Connection;

use crate::{data_dir, ok, run};

#[test]
fn admin_user_create_reads_the_password_from_stdin() {
    let (_tmp, dir) = data_dir();
    ok(&dir, &["init"]);
    let out =
        run(&dir, &["admin", "user", "create", "--email", "Admin@Example.org", "--admin"], "a long admin password\n");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).contains("admin@example.org (administrator)"));

    let again = run(&dir, &["admin", "user", "create", "--email", "admin@example.org"], "another long password\n");
    assert_eq!(again.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&again.stderr).contains("already exists"),
        "{}",
        String::from_utf8_lossy(&again.stderr)
    );

    let short = run(&dir, &["admin", "user", "create", "--email", "short@example.org"], "short\n");
    assert_eq!(short.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&short.stderr).contains("password"));

    let list = ok(&dir, &["admin", "user", "list"]);
    assert_eq!(list.lines().count(), 1, "{list}");
    assert!(list.contains("admin@example.org") && list.contains("admin"));
}

#[test]
fn a_database_url_without_a_scheme_is_refused() {
    let (_tmp, dir) = data_dir();
    let out = run(&dir, &["--database-url", "./embargo.db", "admin", "org", "list"], "");
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("database_url"), "{stderr}");
    assert!(!dir.exists(), "nothing was created");
}

#[test]
fn commands_other_than_serve_and_init_never_create_a_database() {
    let (_tmp, dir) = data_dir();
    let out = run(&dir, &["admin", "org", "list"], "");
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("no database at"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!dir.exists());
}

#[test]
fn a_bad_config_file_names_the_setting() {
    let (_tmp, dir) = data_dir();
    ok(&dir, &["init"]);
    std::fs::write(dir.join("embargo.toml"), "max_body_bytes = 10\n").unwrap();
    let out = run(&dir, &["admin", "org", "list"], "");
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("max_body_bytes"));
    // Issue 13: a job lease too short to renew in time, from the file or the environment.
    std::fs::write(dir.join("embargo.toml"), "job_lease_secs = 1\n").unwrap();
    let out = run(&dir, &["admin", "org", "list"], "");
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("job_lease_secs: 1 must be between 3 and 600"));
    std::fs::write(dir.join("embargo.toml"), "").unwrap();
    let out =
        crate::embargo(&dir).args(["admin", "org", "list"]).env("EMBARGO_JOB_LEASE_SECS", "601").output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("job_lease_secs: 601"));
    // The commented configuration `init` writes shows the setting and its default.
    let (_tmp2, fresh) = data_dir();
    ok(&fresh, &["init"]);
    assert!(std::fs::read_to_string(fresh.join("embargo.toml")).unwrap().contains("\n# job_lease_secs = 15\n"));
}

/// Issue 15, item 5: the jobs run at once are a setting, bounded, shown in the written config.
#[test]
fn issue_15_job_concurrency_is_bounded_and_shown() {
    let (_tmp, dir) = data_dir();
    ok(&dir, &["init"]);
    assert!(std::fs::read_to_string(dir.join("embargo.toml")).unwrap().contains("\n# job_concurrency = 8\n"));
    std::fs::write(dir.join("embargo.toml"), "job_concurrency = 0\n").unwrap();
    let out = run(&dir, &["admin", "org", "list"], "");
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("job_concurrency: 0 must be between 1 and 256"));
    std::fs::write(dir.join("embargo.toml"), "").unwrap();
    let out =
        crate::embargo(&dir).args(["admin", "org", "list"]).env("EMBARGO_JOB_CONCURRENCY", "257").output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("job_concurrency: 257"));
    let out = crate::embargo(&dir).args(["admin", "org", "list"]).env("EMBARGO_JOB_CONCURRENCY", "3").output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
}

#[test]
fn audit_verify_finds_a_modified_event() {
    let (_tmp, dir) = data_dir();
    ok(&dir, &["init"]);
    ok(&dir, &["admin", "org", "create", "pallets", "--name", "Pallets"]);
    ok(&dir, &["admin", "org", "create", "python", "--name", "Python"]);
    ok(&dir, &["admin", "project", "create", "python/cpython", "--name", "CPython"]);
    let report = ok(&dir, &["audit", "verify"]);
    assert!(report.contains("audit log intact: 3 events checked"), "{report}");

    let db = format!("sqlite://{}", dir.join("embargo.db").display());
    tokio::runtime::Runtime::new().unwrap().block_on(async {
        let mut conn = sqlx::SqliteConnection::connect(&db).await.unwrap();
        sqlx::query("UPDATE audit_events SET actor = 'user:someone-else' WHERE seq = 2")
            .execute(&mut conn)
            .await
            .unwrap();
        conn.close().await.unwrap();
    });
    let out = run(&dir, &["audit", "verify"], "");
    assert_eq!(out.status.code(), Some(3));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("event 2 was modified"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Runs SQL on the data directory's SQLite database behind embargo's back.
fn tamper(dir: &std::path::Path, statements: &[&str]) {
    let db = format!("sqlite://{}", dir.join("embargo.db").display());
    tokio::runtime::Runtime::new().unwrap().block_on(async {
        let mut conn = sqlx::SqliteConnection::connect(&db).await.unwrap();
        for sql in statements {
            sqlx::query(sqlx::AssertSqlSafe(sql.to_string())).execute(&mut conn).await.unwrap();
        }
        conn.close().await.unwrap();
    });
}

/// Runs `audit verify` with extra arguments: (exit code, stdout, stderr).
fn verify(dir: &std::path::Path, extra: &[&str]) -> (Option<i32>, String, String) {
    let out = run(dir, &[&["audit", "verify"], extra].concat(), "");
    (out.status.code(), String::from_utf8_lossy(&out.stdout).into(), String::from_utf8_lossy(&out.stderr).into())
}

#[test]
fn a_checkpoint_catches_a_cut_tail_and_a_wiped_log_issue_12() {
    let (tmp, dir) = data_dir();
    ok(&dir, &["init"]);
    for org in ["alpha", "bravo", "charlie", "delta"] {
        ok(&dir, &["admin", "org", "create", org, "--name", org]);
    }
    let text = ok(&dir, &["audit", "checkpoint"]);
    assert!(text.starts_with("embargo audit checkpoint v1\nevents: 4\nhead: "), "{text}");
    let file = tmp.path().join("offsite.checkpoint");
    std::fs::write(&file, &text).unwrap();
    let file = file.to_str().unwrap();
    ok(&dir, &["admin", "org", "create", "echo", "--name", "echo"]);
    let (code, stdout, _) = verify(&dir, &["--checkpoint", file]);
    assert_eq!(code, Some(0));
    assert!(stdout.contains("5 events checked; it extends the checkpoint of 4 events"), "{stdout}");

    // A cut tail with the head row moved back passes the chain check alone ...
    tamper(
        &dir,
        &[
            "DELETE FROM audit_events WHERE seq > 2",
            "UPDATE audit_head SET seq = 2, hash = (SELECT hash FROM audit_events WHERE seq = 2)",
        ],
    );
    assert_eq!(verify(&dir, &[]).0, Some(0), "the chain alone cannot see a cut tail");
    // ... but not the checkpoint.
    let (code, _, stderr) = verify(&dir, &["--checkpoint", file]);
    assert_eq!(code, Some(3));
    assert!(stderr.contains("held 4 events then and holds 2 now"), "{stderr}");

    tamper(&dir, &["DELETE FROM audit_events", "DELETE FROM audit_head"]);
    assert_eq!(verify(&dir, &[]).0, Some(0), "the chain alone cannot see a wiped log");
    let (code, _, stderr) = verify(&dir, &["--checkpoint", file]);
    assert_eq!(code, Some(3));
    assert!(stderr.contains("held 4 events then and holds 0 now"), "{stderr}");

    std::fs::write(file, text.replace("events: 4", "events: 1")).unwrap();
    let (code, _, stderr) = verify(&dir, &["--checkpoint", file]);
    assert_eq!(code, Some(3));
    assert!(stderr.contains("signature does not match"), "{stderr}");
    std::fs::write(file, "embargo audit checkpoint v1\nevents: lots\n").unwrap();
    let (code, _, stderr) = verify(&dir, &["--checkpoint", file]);
    assert_eq!(code, Some(3));
    assert!(stderr.contains("line 2"), "{stderr}");
}

#[test]
fn a_malformed_audit_row_is_named_issue_12() {
    let (_tmp, dir) = data_dir();
    ok(&dir, &["init"]);
    for org in ["alpha", "bravo", "charlie"] {
        ok(&dir, &["admin", "org", "create", org, "--name", org]);
    }
    tamper(&dir, &["UPDATE audit_events SET at = 'yesterday' WHERE seq = 2"]);
    let (code, _, stderr) = verify(&dir, &[]);
    assert_eq!(code, Some(3));
    assert!(stderr.contains("event 2 is malformed: column at holds an invalid value"), "{stderr}");
    assert!(!stderr.contains("internal error"), "{stderr}");
}

#[test]
fn postgres_is_chosen_by_the_url_scheme() {
    let Ok(base) = std::env::var("EMBARGO_TEST_POSTGRES_URL") else {
        eprintln!("EMBARGO_TEST_POSTGRES_URL is unset: this test did not run");
        return;
    };
    let schema = format!("embargo_cli_{}", std::process::id());
    tokio::runtime::Runtime::new().unwrap().block_on(async {
        let mut conn = sqlx::PgConnection::connect(&base).await.unwrap();
        for sql in [format!("DROP SCHEMA IF EXISTS {schema} CASCADE"), format!("CREATE SCHEMA {schema}")] {
            sqlx::query(sqlx::AssertSqlSafe(sql)).execute(&mut conn).await.unwrap();
        }
        conn.close().await.unwrap();
    });
    let separator = if base.contains('?') { '&' } else { '?' };
    let url = format!("{base}{separator}options=-c%20search_path%3D{schema}");
    let (_tmp, dir) = data_dir();
    // Without a shared secret, PostgreSQL mode refuses to start.
    let out = run(&dir, &["--database-url", &url, "admin", "org", "list"], "");
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("EMBARGO_SECRET_KEY"));
    let secret = ok(&dir, &["init", "--print-secret"]);
    let with_secret = |args: &[&str]| {
        let out = crate::embargo(&dir)
            .args(["--database-url", &url])
            .args(args)
            .env("EMBARGO_SECRET_KEY", secret.trim())
            .output()
            .unwrap();
        assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stdout).unwrap()
    };
    with_secret(&["admin", "org", "create", "pallets", "--name", "Pallets"]);
    assert!(with_secret(&["admin", "org", "list"]).contains("pallets"));
    assert!(with_secret(&["audit", "verify"]).contains("intact"));
    assert!(!dir.join("embargo.db").exists(), "no SQLite file when the URL says postgres");
}
