//! Issue 15: `embargo bench` at a tiny size, so the benchmark keeps working
//! (CI runs it here; the figures come from a full run on a quiet machine).

use std::process::Command;

use sqlx::Connection;

fn bench(extra: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_embargo"))
        .args(["bench", "--reports", "60", "--baseline", "30", "--rounds", "2", "--concurrency", "3"])
        .args(["--notices", "40"])
        .args(extra)
        .env_remove("EMBARGO_DATABASE_URL")
        .env("EMBARGO_LOG", "warn")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(out.status.success(), "{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    stdout
}

fn check(table: &str, backend: &str) {
    assert!(table.contains(&format!("embargo bench: {backend}, 60 reports")), "{table}");
    for row in [
        "| team queue, first page (open, 50) |",
        "| team queue, 20th page (cursor) |",
        "| state filter, rare state |",
        "| project filter (open) |",
        "| a reporter's own reports |",
        "| intake through the use case (3 at once) |",
        "| public advisory page |",
        "| OSV vulns/{id} |",
        "| notices drained into a local SMTP sink (SQLite, 40 queued, 8 at once) |",
        "| deadline order, 20th page (cursor) |",
        "| search, two words every report holds (first page) |",
        "| search, a rare word and a common one |",
    ] {
        assert!(table.contains(row), "{row} missing:\n{table}");
    }
    drained(table);
}

/// Issue 15, item 5: every notice reached the sink (a receipt each, and the
/// team's first few, after the demo's), over pooled connections: far fewer than one per mail.
fn drained(table: &str) {
    let row = table.lines().find(|l| l.starts_with("| notices drained")).unwrap();
    let counts = row.split(" mails in all over ").collect::<Vec<_>>();
    let mails: u64 = counts[0].rsplit(' ').next().unwrap().parse().unwrap();
    let connections: u64 = counts[1].split(' ').next().unwrap().parse().unwrap();
    assert!(mails >= 40, "a receipt for each of the 40 reports: {row}");
    assert!(connections >= 1 && connections * 2 <= mails, "connections are reused: {row}");
}

#[test]
fn issue_15_bench_runs_at_a_tiny_size_on_sqlite() {
    check(&bench(&[]), "SQLite");
}

#[test]
fn issue_15_bench_runs_at_a_tiny_size_on_postgres() {
    let Ok(base) = std::env::var("EMBARGO_TEST_POSTGRES_URL") else {
        eprintln!("EMBARGO_TEST_POSTGRES_URL is unset: the PostgreSQL half of this test did not run");
        return;
    };
    let mut suffix = [0u8; 6];
    getrandom::fill(&mut suffix).unwrap();
    let schema = format!("embargo_bench_{}", suffix.iter().map(|b| format!("{b:02x}")).collect::<String>());
    let run = |sql: String| {
        let base = base.clone();
        tokio::runtime::Runtime::new().unwrap().block_on(async move {
            let mut conn = sqlx::PgConnection::connect(&base).await.unwrap();
            sqlx::query(sqlx::AssertSqlSafe(sql)).execute(&mut conn).await.unwrap();
            conn.close().await.unwrap();
        });
    };
    run(format!("CREATE SCHEMA {schema}"));
    let separator = if base.contains('?') { '&' } else { '?' };
    let url = format!("{base}{separator}options=-c%20search_path%3D{schema}");
    let table = bench(&["--database-url", &url]);
    run(format!("DROP SCHEMA {schema} CASCADE"));
    check(&table, "PostgreSQL");
}

/// Runs the binary on the instance in `data` (logs at warn), answering its output.
fn on_instance(data: &std::path::Path, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_embargo"))
        .arg("--data-dir")
        .arg(data)
        .args(args)
        .env_remove("EMBARGO_DATABASE_URL")
        .env("EMBARGO_LOG", "warn")
        .output()
        .unwrap()
}

fn json_of(out: &std::process::Output) -> serde_json::Value {
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_str(stdout.trim()).unwrap_or_else(|e| panic!("not one JSON object ({e}): {stdout}"))
}

#[test]
fn issue_15_bench_load_files_numbered_reports_the_team_then_sees_and_a_second_load_continues() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    assert!(on_instance(&data, &["init"]).status.success());

    let first = json_of(&on_instance(&data, &["bench", "load", "--add", "5", "--concurrency", "2"]));
    assert_eq!(first["created"], true, "{first}");
    assert_eq!(first["team"]["email"], "team@demo.embargo.example", "{first}");
    assert!(first["team"]["password"].as_str().is_some_and(|p| p.len() >= 12), "{first}");
    assert!(first["advisory"].as_str().is_some_and(|id| !id.is_empty()), "the demo publishes an advisory: {first}");
    assert_eq!(first["filed"], 5);

    let second = json_of(&on_instance(&data, &["bench", "load", "--add", "3", "--start", "5"]));
    assert_eq!(second["created"], false, "the demo is loaded once: {second}");
    assert!(second["team"].is_null(), "passwords are printed on the first load only: {second}");

    let out = on_instance(&data, &["report", "list", "--as", "team@demo.embargo.example", "--limit", "100"]);
    let list = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{list}\n{}", String::from_utf8_lossy(&out.stderr));
    for n in 0..8 {
        assert_eq!(list.matches(&format!("(bench {n})")).count(), 1, "report {n} once:\n{list}");
    }
    assert!(!list.contains("(bench 8)"), "{list}");

    // The bench's organisations allow the policy maximum, so that intake rounds from one address are counted, not refused.
    let out = on_instance(&data, &["policy", "show", "lanternworks"]);
    let policy = String::from_utf8_lossy(&out.stdout);
    assert!(policy.contains("per_address = 100000") && policy.contains("per_project = 100000"), "{policy}");
}

#[test]
fn issue_15_bench_bare_serves_the_same_bytes_at_every_path() {
    use std::io::{Read, Write};
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("page.html");
    let body = "<!doctype html><title>LANTERN-2026-1</title><p>the very same bytes</p>\n".repeat(30);
    std::fs::write(&file, &body).unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let mut server = Command::new(env!("CARGO_BIN_EXE_embargo"))
        .args([
            "bench",
            "bare",
            "--address",
            &format!("127.0.0.1:{port}"),
            "--content-type",
            "text/html; charset=utf-8",
        ])
        .arg("--file")
        .arg(&file)
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut answers = Vec::new();
    for path in ["/advisories/LANTERN-2026-1", "/osv/v1/vulns/x"] {
        let mut stream = None;
        for _ in 0..100 {
            match std::net::TcpStream::connect(("127.0.0.1", port)) {
                Ok(s) => {
                    stream = Some(s);
                    break;
                }
                Err(_) => std::thread::sleep(std::time::Duration::from_millis(100)),
            }
        }
        let mut stream = stream.expect("bench bare listens");
        write!(stream, "GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n").unwrap();
        let mut answer = String::new();
        stream.read_to_string(&mut answer).unwrap();
        answers.push(answer);
    }
    server.kill().unwrap();
    server.wait().unwrap();
    for answer in answers {
        let (head, got) = answer.split_once("\r\n\r\n").unwrap();
        assert!(head.starts_with("HTTP/1.1 200"), "{head}");
        assert!(head.to_ascii_lowercase().contains("content-type: text/html; charset=utf-8"), "{head}");
        assert_eq!(got, body);
    }
}
