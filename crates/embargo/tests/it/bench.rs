//! Issue 15: `embargo bench` at a tiny size, so the benchmark keeps working
//! (CI runs it here; the figures come from a full run on a quiet machine).

use std::process::Command;

use sqlx::Connection;

fn bench(extra: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_embargo"))
        .args(["bench", "--reports", "60", "--baseline", "30", "--rounds", "2", "--concurrency", "3"])
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
        "| deadline order, 20th page (cursor) |",
        "| search, two words every report holds (first page) |",
        "| search, a rare word and a common one |",
    ] {
        assert!(table.contains(row), "{row} missing:\n{table}");
    }
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
