//! Jobs after a crash (issue 13, item 8): a replica is killed (`SIGKILL`)
//! in the middle of mailing a notice and the mail is neither lost for the
//! other recipients nor sent twice to anyone.
//!
//! The relay (`tests/peers/stalling_smtp.py`, aiosmtpd) keeps the first mail
//! and never answers its end of data, so the first replica dies holding a
//! mail the relay has but the replica never heard was taken: the worst
//! moment. While it is stuck its heartbeat keeps the lease; once it is
//! killed, the other replica takes the job over a lease (3 s here) later,
//! finds the first mail noted as being sent, does not repeat it, and sends the
//! other one. On PostgreSQL two `embargo serve` share the database; on SQLite
//! (one replica) the killed server is restarted.

use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use sqlx::{Connection, Row};

use crate::mail::{have, header};
use crate::mail_flow::{Instance, Serve};

/// `stalling_smtp.py` on loopback, killed on drop.
struct StallingRelay {
    child: std::process::Child,
    dir: tempfile::TempDir,
    port: u16,
}

impl Drop for StallingRelay {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl StallingRelay {
    fn start() -> Option<StallingRelay> {
        if !have("python3", &["-c", "import aiosmtpd"]) {
            return None;
        }
        let dir = tempfile::tempdir().unwrap();
        let port = crate::free_port();
        let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/peers/stalling_smtp.py");
        let child = Command::new("python3")
            .arg(script)
            .arg(port.to_string())
            .arg(dir.path().join("maildir"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        wait_until("the relay listens", || std::net::TcpStream::connect(("127.0.0.1", port)).is_ok());
        Some(StallingRelay { child, dir, port })
    }

    /// The recipients (`To`) of every mail the relay holds.
    fn recipients(&self) -> Vec<String> {
        let Ok(entries) = std::fs::read_dir(self.dir.path().join("maildir/new")) else { return Vec::new() };
        let mut to: Vec<String> = entries
            .filter_map(Result::ok)
            .map(|e| header(&std::fs::read_to_string(e.path()).unwrap(), "To").unwrap())
            .collect();
        to.sort();
        to
    }
}

#[track_caller]
fn wait_until(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while !done() {
        assert!(Instant::now() < deadline, "waited a minute for: {what}");
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// The mail notices job, as the database holds it.
#[derive(Debug, Clone, PartialEq)]
struct MailJob {
    leased_by: Option<String>,
    lease_until: Option<String>,
    done: bool,
}

const MAIL_JOB: &str = "SELECT leased_by, CAST(lease_until AS TEXT) AS lease_until, CAST(done_at AS TEXT) AS done_at \
                        FROM jobs WHERE kind = 'mail_notices'";

fn mail_job(instance: &Instance) -> Option<MailJob> {
    let postgres = instance.postgres.as_ref().map(|pg| pg.url.clone());
    let sqlite = instance.dir.join("embargo.db");
    tokio::runtime::Runtime::new().unwrap().block_on(async move {
        let row = match postgres {
            Some(url) => {
                let mut conn = sqlx::PgConnection::connect(&url).await.unwrap();
                let row = sqlx::query(MAIL_JOB).fetch_optional(&mut conn).await.unwrap();
                row.map(|r| (r.get("leased_by"), r.get("lease_until"), r.get::<Option<String>, _>("done_at")))
            }
            None => {
                let options = sqlx::sqlite::SqliteConnectOptions::new().filename(sqlite).read_only(true);
                let mut conn = sqlx::SqliteConnection::connect_with(&options).await.unwrap();
                let row = sqlx::query(MAIL_JOB).fetch_optional(&mut conn).await.unwrap();
                row.map(|r| (r.get("leased_by"), r.get("lease_until"), r.get::<Option<String>, _>("done_at")))
            }
        };
        row.map(|(leased_by, lease_until, done_at)| MailJob { leased_by, lease_until, done: done_at.is_some() })
    })
}

fn killed_mid_delivery(instance: &Instance, second_runs_alongside: bool) {
    let Some(relay) = StallingRelay::start() else { return };
    instance.ok(&["admin", "org", "create", "pallets", "--name", "Pallets"]);
    instance.ok(&["admin", "project", "create", "pallets/flask", "--name", "Flask"]);
    instance.ok(&["mail", "route", "set", "security@flask.example", "pallets/flask"]);
    let out = instance
        .run(&["admin", "user", "create", "--email", "lead@example.org", "--name", "Lead"], b"a long password 1\n");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    instance.ok(&["admin", "member", "add", "pallets", "--email", "lead@example.org"]);
    std::fs::write(
        instance.dir.join("embargo.toml"),
        format!(
            "job_lease_secs = 3\npublic_url = \"https://security.example.org\"\n\n[mail]\n\
             from = \"security@embargo.example\"\n\n[mail.relay]\nhost = \"127.0.0.1\"\nport = {}\nsecurity = \"none\"\n",
            relay.port
        ),
    )
    .unwrap();

    let first = instance.serve();
    let report = "From: Ada <ada@example.org>\r\nTo: security@flask.example\r\nSubject: Session fixation\r\n\
                  Message-ID: <ada-crash@example.org>\r\n\r\nThe session cookie survives a password change.\r\n";
    assert!(instance.ingest(report, "security@flask.example").contains("filed as report"));
    // One notice, two recipients: Ada's receipt goes first (recipients in address order) and sticks in the relay.
    wait_until("the relay holds the first mail", || relay.recipients().len() == 1);
    assert!(relay.recipients()[0].contains("ada@example.org"), "{:?}", relay.recipients());
    let held = mail_job(instance).unwrap();
    let holder = held.leased_by.clone().unwrap();
    assert!(holder.starts_with("serve-"), "{held:?}");

    let log = tempfile::NamedTempFile::new().unwrap();
    let mut second: Option<Serve> = None;
    if second_runs_alongside {
        second = Some(instance.serve_logging(log.reopen().unwrap()));
        // Three leases later the stuck replica still holds the job: its heartbeat renews the lease.
        std::thread::sleep(Duration::from_secs(9));
        let still = mail_job(instance).unwrap();
        assert_eq!(still.leased_by.as_deref(), Some(holder.as_str()), "the living replica keeps its job");
        assert_ne!(still.lease_until, held.lease_until, "the lease was renewed");
        assert!(!still.done);
        assert_eq!(relay.recipients().len(), 1, "nothing was sent meanwhile");
    }

    drop(first); // SIGKILL: no shutdown, the lease is abandoned, not released.
    if second.is_none() {
        second = Some(instance.serve_logging(log.reopen().unwrap()));
    }
    wait_until("the other replica finishes the job", || mail_job(instance).is_some_and(|job| job.done));
    let finished = mail_job(instance).unwrap();
    assert_ne!(finished.leased_by.as_deref(), Some(holder.as_str()), "another worker finished it: {finished:?}");
    let to = relay.recipients();
    assert_eq!(to.len(), 2, "one mail per recipient, none twice: {to:?}");
    assert!(to[0].contains("ada@example.org") && to[1].contains("lead@example.org"), "{to:?}");
    drop(second);
    let log = std::fs::read_to_string(log.path()).unwrap();
    assert!(log.contains("not sent again"), "the operator is told of the mail in doubt: {log}");
}

#[test]
fn a_replica_killed_mid_delivery_on_postgres_is_taken_over_and_sends_nothing_twice() {
    let Some(instance) = Instance::postgres() else { return };
    killed_mid_delivery(&instance, true);
}

#[test]
fn a_server_killed_mid_delivery_on_sqlite_resumes_after_restart_and_sends_nothing_twice() {
    killed_mid_delivery(&Instance::sqlite(), false);
}
