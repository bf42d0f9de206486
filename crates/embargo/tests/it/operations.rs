//! Operations (issue 13): backup and restore of a running instance, metrics
//! only where the operator asks, access logs without private-link secrets,
//! `doctor`, `healthcheck`, completions, man pages, and a PostgreSQL
//! instance restored from `pg_dump` into another database.

use std::process::Stdio;
use std::time::{Duration, Instant};

use crate::serve::{Server, start_with, stop};
use crate::{data_dir, embargo, free_port, http, ok, run};

/// A directory with one project and a running server holding one report;
/// answers the server, the report's id and its follow-up token.
fn instance_with_a_report(dir: &std::path::Path, extra: &[&str]) -> (Server, String, String) {
    ok(dir, &["init"]);
    ok(dir, &["admin", "org", "create", "pallets", "--name", "Pallets"]);
    ok(dir, &["admin", "project", "create", "pallets/flask", "--name", "Flask"]);
    let server = start_with(dir, extra);
    let (status, receipt) = http(
        &server.addr,
        "POST",
        "/api/v1/projects/pallets/flask/reports",
        &[("Content-Type", "application/json")],
        r#"{"title":"Backed up","body":"It must survive the restore."}"#,
    );
    assert_eq!(status, 201, "{receipt}");
    let token = receipt.split("\"followup_token\":\"").nth(1).unwrap().split('"').next().unwrap().to_owned();
    let id = receipt.split("\"id\":\"").nth(1).unwrap().split('"').next().unwrap().to_owned();
    (server, id, token)
}

fn read_report(server: &Server, id: &str, token: &str) -> (u16, String) {
    http(&server.addr, "GET", &format!("/api/v1/reports/{id}"), &[("Authorization", &format!("Bearer {token}"))], "")
}

#[test]
fn a_backup_of_a_running_instance_restores_into_an_empty_directory() {
    let (tmp, dir) = data_dir();
    let (mut server, id, token) = instance_with_a_report(&dir, &[]);

    // Without the secret: made and checked while the server runs, with the warning.
    let plain = tmp.path().join("plain.db");
    let out = run(&dir, &["backup", "--out", plain.to_str().unwrap()], "");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("integrity ok") && stdout.contains("audit log intact"), "{stdout}");
    assert!(String::from_utf8_lossy(&out.stderr).contains("secret key is NOT in this backup"));
    let again = run(&dir, &["backup", "--out", plain.to_str().unwrap()], "");
    assert_eq!(again.status.code(), Some(1), "an existing file is never overwritten");

    // With the secret, as JSON.
    let full = tmp.path().join("full.db");
    let out = ok(&dir, &["backup", "--out", full.to_str().unwrap(), "--with-secret", "--json"]);
    let answer: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(answer["with_secret"], true);
    assert_eq!(answer["integrity"], "ok");
    assert!(answer["audit_events_verified"].as_u64().unwrap() >= 3, "{answer}");
    stop(&mut server);

    // A backup without its secret cannot be restored on its own, and leaves nothing behind.
    let empty = tmp.path().join("restored-plain");
    let out = run(&empty, &["restore", plain.to_str().unwrap()], "");
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("holds no secret key"));
    assert!(!empty.join("embargo.db").exists());
    // With the original key in place it can.
    std::fs::copy(dir.join("secret.key"), empty.join("secret.key")).unwrap();
    ok(&empty, &["restore", plain.to_str().unwrap()]);

    // Never over an existing instance.
    let out = run(&dir, &["restore", full.to_str().unwrap()], "");
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("empty data directory"));

    // The full backup restores alone; the restored instance serves the report.
    let restored = tmp.path().join("restored");
    let out = ok(&restored, &["restore", full.to_str().unwrap()]);
    assert!(out.contains("secret.key") && out.contains("audit log intact"), "{out}");
    assert_eq!(std::fs::read(restored.join("secret.key")).unwrap(), std::fs::read(dir.join("secret.key")).unwrap());
    let mut server = start_with(&restored, &[]);
    let (status, body) = read_report(&server, &id, &token);
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("Backed up"));
    stop(&mut server);
    // The secret left the restored database file.
    let bytes = std::fs::read(restored.join("embargo.db")).unwrap();
    let key = std::fs::read_to_string(restored.join("secret.key")).unwrap();
    assert!(!bytes.windows(key.trim().len()).any(|w| w == key.trim().as_bytes()));
}

#[test]
fn metrics_are_served_only_where_the_operator_asks() {
    let (_tmp, dir) = data_dir();
    let metrics_port = free_port();
    let metrics_addr = format!("127.0.0.1:{metrics_port}");
    let (mut server, _, _) = instance_with_a_report(&dir, &["--metrics-listen", &metrics_addr]);
    assert_eq!(http(&server.addr, "GET", "/metrics", &[], "").0, 404, "not on the main listener");
    let (status, _) = http(&server.addr, "GET", "/follow/embf_SECRETSECRETSECRET", &[], "");
    assert!(status < 500);
    http(
        &server.addr,
        "POST",
        "/osv/v1/query",
        &[("Content-Type", "application/json")],
        r#"{"package":{"name":"flask","ecosystem":"PyPI"}}"#,
    );
    let (status, text) = http(&metrics_addr, "GET", "/metrics", &[], "");
    assert_eq!(status, 200, "{text}");
    for expected in [
        r#"embargo_http_requests_total{method="GET",route="/readyz",status="200"}"#,
        r#"embargo_http_requests_total{method="POST",route="/api/v1/projects/{org}/{project}/reports",status="201"}"#,
        "embargo_http_request_duration_seconds_bucket{",
        "embargo_sqlite_writer_batch_size_bucket{",
        "embargo_sqlite_writer_queue_depth",
        r#"embargo_db_pool_connections{backend="sqlite",state="idle"}"#,
        "embargo_db_pool_max_connections",
        r#"embargo_osv_queries_total{endpoint="query"} 1"#,
        "embargo_search_backlog ",
    ] {
        assert!(text.contains(expected), "no {expected} in\n{text}");
    }
    assert!(!text.contains("SECRET"), "a private link's secret reached the metrics:\n{text}");
    stop(&mut server);

    // On the main listener when the configuration says so; never by default.
    std::fs::write(dir.join("embargo.toml"), "metrics = true\n").unwrap();
    let mut server = start_with(&dir, &[]);
    let (status, text) = http(&server.addr, "GET", "/metrics", &[], "");
    assert_eq!(status, 200);
    assert!(text.contains("embargo_jobs") || text.contains("embargo_http_requests_total"), "{text}");
    stop(&mut server);
}

/// Reports filed while no server ran wait for the search index; `serve`
/// indexes them in the background, with no search asking it to, and
/// `/metrics` shows the backlog (issue 15).
#[test]
fn serve_indexes_waiting_reports_by_itself_and_metrics_show_the_backlog() {
    let (_tmp, dir) = data_dir();
    ok(&dir, &["init"]);
    ok(&dir, &["admin", "org", "create", "pallets", "--name", "Pallets"]);
    ok(&dir, &["admin", "project", "create", "pallets/flask", "--name", "Flask"]);
    for n in 0..3 {
        let title = format!("Waiting report {n}");
        ok(&dir, &["report", "submit", "pallets/flask", "--title", &title, "--body", "Filed while no server ran."]);
    }
    let metrics_addr = format!("127.0.0.1:{}", free_port());
    let mut server = start_with(&dir, &["--metrics-listen", &metrics_addr]);
    let deadline = Instant::now() + Duration::from_secs(30);
    let backlog = loop {
        let (status, text) = http(&metrics_addr, "GET", "/metrics", &[], "");
        assert_eq!(status, 200, "{text}");
        let backlog = text.lines().find_map(|l| l.strip_prefix("embargo_search_backlog ")).map(str::to_owned);
        if backlog.as_deref() == Some("0") || Instant::now() > deadline {
            break backlog;
        }
        std::thread::sleep(Duration::from_millis(200));
    };
    stop(&mut server);
    assert_eq!(backlog.as_deref(), Some("0"), "the three waiting reports were not indexed in 30 s");
}

/// Runs `serve` with its standard error in a file until `/readyz` answers.
fn serve_logging_to(dir: &std::path::Path, log: &std::path::Path, extra: &[&str]) -> (std::process::Child, String) {
    let addr = format!("127.0.0.1:{}", free_port());
    let child = embargo(dir)
        .env("EMBARGO_LOG", "info")
        .args(["serve", "--listen", &addr])
        .args(extra)
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(log).unwrap())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    while !(std::net::TcpStream::connect(&addr).is_ok() && http(&addr, "GET", "/readyz", &[], "").0 == 200) {
        assert!(Instant::now() < deadline, "the server did not become ready");
        std::thread::sleep(Duration::from_millis(100));
    }
    (child, addr)
}

fn terminate(mut child: std::process::Child) {
    std::process::Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap();
    child.wait().unwrap();
}

#[test]
fn every_request_has_an_access_log_line_without_private_link_secrets() {
    let (tmp, dir) = data_dir();
    ok(&dir, &["init"]);
    let log = tmp.path().join("json.log");
    let (child, addr) = serve_logging_to(&dir, &log, &["--log-format", "json"]);
    http(&addr, "GET", "/follow/embf_SECRETSECRETSECRET", &[], "");
    http(&addr, "GET", "/healthz", &[("X-Request-Id", "req-4711")], "");
    terminate(child);
    let text = std::fs::read_to_string(&log).unwrap();
    assert!(!text.contains("SECRET"), "a private link's secret was logged:\n{text}");
    let lines: Vec<serde_json::Value> = text.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let access = lines
        .iter()
        .find(|l| l["route"] == "/healthz")
        .unwrap_or_else(|| panic!("no access line for /healthz:\n{text}"));
    assert_eq!(access["level"], "INFO");
    assert_eq!(access["status"], 200);
    assert_eq!(access["method"], "GET");
    assert_eq!(access["request_id"], "req-4711");
    assert!(access["ms"].as_f64().is_some());
    assert!(lines.iter().any(|l| l["path"] == "/follow/[redacted]"), "{text}");

    // Text to a file: no colour codes.
    let log = tmp.path().join("text.log");
    let (child, addr) = serve_logging_to(&dir, &log, &[]);
    http(&addr, "GET", "/healthz", &[], "");
    terminate(child);
    let text = std::fs::read_to_string(&log).unwrap();
    assert!(text.contains("route=/healthz") && text.contains("status=200"), "{text}");
    assert!(!text.contains('\u{1b}'), "colour codes in a file:\n{text}");

    // An invalid filter stops the program naming it.
    let out = embargo(&dir).env("EMBARGO_LOG", "embargo=loud").args(["doctor"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("embargo=loud"));
}

#[test]
fn doctor_fails_on_a_problem_and_healthcheck_asks_the_server() {
    let (_tmp, dir) = data_dir();
    let out = run(&dir, &["doctor"], "");
    assert_eq!(out.status.code(), Some(1), "no instance yet");
    ok(&dir, &["init"]);
    let report = ok(&dir, &["doctor", "--json"]);
    let answer: serde_json::Value = serde_json::from_str(&report).unwrap();
    assert_eq!(answer["ok"], true, "{answer}");
    let names: Vec<&str> = answer["checks"].as_array().unwrap().iter().map(|c| c["check"].as_str().unwrap()).collect();
    for name in ["permissions", "secret key", "database", "migrations", "mail relay", "public_url", "clock"] {
        assert!(names.contains(&name), "no {name} check: {names:?}");
    }
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(dir.join("secret.key"), std::fs::Permissions::from_mode(0o644)).unwrap();
    let out = run(&dir, &["doctor"], "");
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stdout).contains("fail  permissions"));
    std::fs::set_permissions(dir.join("secret.key"), std::fs::Permissions::from_mode(0o600)).unwrap();
    std::fs::write(dir.join("secret.key"), "not a key\n").unwrap();
    let out = run(&dir, &["doctor"], "");
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stdout).contains("fail  secret key"));

    let (_tmp2, dir) = data_dir();
    ok(&dir, &["init"]);
    let mut server = start_with(&dir, &[]);
    assert!(ok(&dir, &["healthcheck", "--url", &format!("http://{}", server.addr)]).contains("ready"));
    // The global --listen is where healthcheck looks by default, and any command accepts it.
    assert!(ok(&dir, &["--listen", &server.addr, "healthcheck"]).contains("ready"));
    ok(&dir, &["--listen", &server.addr, "admin", "org", "create", "pallets", "--name", "Pallets"]);
    // --json goes before or after the command, like every global option.
    for args in [&["--json", "admin", "org", "list"][..], &["admin", "org", "list", "--json"][..]] {
        let list: serde_json::Value = serde_json::from_str(&ok(&dir, args)).unwrap();
        assert_eq!(list[0]["slug"], "pallets", "{list}");
        assert_eq!(list[0]["advisory_prefix"], "PALLETS", "{list}");
    }
    for args in [
        &["admin", "user", "list", "--json"][..],
        &["admin", "project", "list", "--json"][..],
        &["mail", "route", "list", "--json"][..],
        &["mail", "key", "list", "--json"][..],
    ] {
        let list: serde_json::Value = serde_json::from_str(&ok(&dir, args)).unwrap();
        assert!(list.is_array(), "{args:?}: {list}");
    }
    stop(&mut server);
    let out = run(&dir, &["healthcheck", "--url", &format!("http://127.0.0.1:{}", free_port())], "");
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn completions_and_man_pages_come_from_the_command_definitions() {
    let (tmp, dir) = data_dir();
    for (shell, marker) in [("bash", "_embargo()"), ("zsh", "#compdef embargo"), ("fish", "complete -c embargo")] {
        let script = ok(&dir, &["completions", shell]);
        assert!(script.contains(marker) && script.contains("backup"), "{shell}: {script}");
    }
    let page = ok(&dir, &["man"]);
    assert!(page.contains(".TH embargo 1") && page.contains("doctor"), "{page}");
    let out = tmp.path().join("man");
    ok(&dir, &["man", "--out", out.to_str().unwrap()]);
    assert!(out.join("embargo.1").exists() && out.join("embargo-admin-user-list.1").exists());
    assert!(!dir.exists(), "neither needs a data directory");
}

/// The PostgreSQL backup that README documents: `pg_dump` of a live
/// instance, restored with `psql` into another database, which the
/// application then reads and whose audit log verifies.
#[test]
fn a_postgres_instance_restores_from_pg_dump_into_another_database() {
    let Ok(base) = std::env::var("EMBARGO_TEST_POSTGRES_URL") else {
        eprintln!("EMBARGO_TEST_POSTGRES_URL is unset: the PostgreSQL restore test did not run");
        return;
    };
    let (_tmp, dir) = data_dir();
    let secret = ok(&dir, &["init", "--print-secret"]).trim().to_owned();
    let suffix = format!("{}_{}", std::process::id(), free_port());
    let source = format!("embargo_backup_src_{suffix}");
    let target = format!("embargo_backup_dst_{suffix}");
    let psql = |url: &str, sql: &str| {
        let out = std::process::Command::new("psql").args([url, "-v", "ON_ERROR_STOP=1", "-qc", sql]).output().unwrap();
        assert!(out.status.success(), "{sql}: {}", String::from_utf8_lossy(&out.stderr));
    };
    psql(&base, &format!("CREATE DATABASE {source}"));
    psql(&base, &format!("CREATE DATABASE {target}"));
    let (prefix, _) = base.rsplit_once('/').unwrap();
    let source_url = format!("{prefix}/{source}");
    let target_url = format!("{prefix}/{target}");
    let on = |url: &str, args: &[&str]| {
        let out = embargo(&dir)
            .env("EMBARGO_SECRET_KEY", &secret)
            .arg("--database-url")
            .arg(url)
            .args(args)
            .output()
            .unwrap();
        assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stdout).unwrap()
    };
    on(&source_url, &["admin", "org", "create", "pallets", "--name", "Pallets"]);
    on(&source_url, &["admin", "project", "create", "pallets/flask", "--name", "Flask"]);
    let before = on(&source_url, &["audit", "verify"]);

    let dump = std::process::Command::new("pg_dump").args(["--no-owner", "--dbname", &source_url]).output().unwrap();
    assert!(dump.status.success(), "{}", String::from_utf8_lossy(&dump.stderr));
    let mut restore = std::process::Command::new("psql")
        .args([target_url.as_str(), "-v", "ON_ERROR_STOP=1", "-q"])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::io::Write::write_all(&mut restore.stdin.take().unwrap(), &dump.stdout).unwrap();
    let restored = restore.wait_with_output().unwrap();
    assert!(restored.status.success(), "{}", String::from_utf8_lossy(&restored.stderr));

    assert!(on(&target_url, &["admin", "org", "list"]).contains("pallets"));
    assert!(on(&target_url, &["admin", "project", "list"]).contains("pallets/flask"));
    assert_eq!(on(&target_url, &["audit", "verify"]), before, "the same chain, intact");
    psql(&base, &format!("DROP DATABASE {source} WITH (FORCE)"));
    psql(&base, &format!("DROP DATABASE {target} WITH (FORCE)"));
}
