//! `embargo-mailgate` (issue 15): an MTA's pipe hands each mail to the
//! running server over the data directory's socket and gets `mail ingest`'s
//! outcomes; with no server, the gate runs `mail ingest` itself.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use crate::mail::{corpus, hostile_corpus_through, instance, report_ids, serve, stdout};

/// Runs the gate at `program` with `mail` on standard input, and no `embargo` on the search path.
fn gate(program: &Path, dir: &Path, args: &[&str], mail: &[u8]) -> Output {
    let mut child = Command::new(program)
        .arg("--data-dir")
        .arg(dir)
        .args(args)
        .env_clear()
        .env("PATH", "/nonexistent")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // A gate refused before it reads (a usage error) closes its input: a failed write is its answer.
    let _ = child.stdin.take().unwrap().write_all(mail);
    child.wait_with_output().unwrap()
}

fn deliver(program: &Path, dir: &Path, mail: &[u8], recipient: &str) -> Output {
    gate(program, dir, &["--sender", "someone@example.org", "--recipient", recipient], mail)
}

/// A copy of the gate alone in a folder: with no `embargo` beside it nor on
/// the search path, only a running server can file what it is given.
fn lone_gate(tmp: &Path) -> PathBuf {
    let folder = tmp.join("lone");
    std::fs::create_dir_all(&folder).unwrap();
    let copy = folder.join("embargo-mailgate");
    std::fs::copy(env!("CARGO_BIN_EXE_embargo-mailgate"), &copy).unwrap();
    copy
}

fn wait_for_socket(dir: &Path) -> PathBuf {
    let socket = dir.join("mail.sock");
    let deadline = Instant::now() + Duration::from_secs(30);
    while !socket.exists() {
        assert!(Instant::now() < deadline, "serve did not open {}", socket.display());
        std::thread::sleep(Duration::from_millis(50));
    }
    socket
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn issue_15_the_mail_gate_hands_mail_to_the_running_server_with_the_outcomes_of_mail_ingest() {
    let (tmp, dir) = instance();
    let _server = serve(&dir, None);
    let socket = wait_for_socket(&dir);
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(&socket).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600, "only the server's own user may hand mail over");
    let program = lone_gate(tmp.path());
    hostile_corpus_through(&dir, |mail, recipient| deliver(&program, &dir, mail, recipient));

    // What the gate prints names the report, never what the mail said.
    let marker = "PRIVATE-MARKER-3b9e1c";
    let mail = format!(
        "From: ada@example.org\r\nTo: security@flask.example\r\nSubject: {marker} overflow\r\n\
         Message-ID: <gate-marker@example.org>\r\n\r\nThe parser {marker} overflows.\r\n"
    );
    let out = gate(&program, &dir, &[], mail.as_bytes());
    assert!(out.status.success(), "routed by its headers: {}", stderr(&out));
    let said = format!("{}{}", stdout(&out), stderr(&out));
    assert!(said.starts_with("filed as report "), "{said}");
    assert!(!said.contains(marker), "the gate's output leaks the mail: {said}");
    let report = stdout(&out).trim().rsplit(' ').next().unwrap().to_owned();
    let shown = crate::ok(&dir, &["report", "show", &report, "--as", "lead@example.org"]);
    assert!(shown.contains(&format!("{marker} overflow")), "the server filed the mail itself: {shown}");

    // The envelope's recipient routes, as with `mail ingest`; a mail past the size limit is refused.
    let big = format!("From: ada@example.org\r\nSubject: big\r\n\r\n{}\r\n", "x".repeat(11 * 1024 * 1024));
    let out = deliver(&program, &dir, big.as_bytes(), "security@flask.example");
    assert_eq!(out.status.code(), Some(65), "{}", stderr(&out));
    assert!(stderr(&out).contains("larger than"), "{}", stderr(&out));
}

#[test]
fn issue_15_with_no_server_the_mail_gate_runs_mail_ingest_or_asks_the_mta_to_retry() {
    let (tmp, dir) = instance();
    let mail = std::fs::read(corpus().join("plain.eml")).unwrap();
    let beside = Path::new(env!("CARGO_BIN_EXE_embargo-mailgate"));
    let out = deliver(beside, &dir, &mail, "security@flask.example");
    assert!(out.status.success(), "`embargo mail ingest` beside the gate filed it: {}", stderr(&out));
    assert!(stdout(&out).starts_with("filed as report "), "{}", stdout(&out));
    assert_eq!(report_ids(&dir).len(), 1);
    assert!(!dir.join("mail.sock").exists());

    let alone = deliver(&lone_gate(tmp.path()), &dir, &mail, "security@flask.example");
    assert_eq!(alone.status.code(), Some(75), "the MTA keeps the mail: {}", stderr(&alone));
    assert!(stderr(&alone).contains("no server takes mail"), "{}", stderr(&alone));

    for args in [&["--bogus"][..], &["--sender"], &["--sender", "a", "--sender", "b"]] {
        let out = gate(beside, &dir, args, &mail);
        assert_eq!(out.status.code(), Some(64), "{args:?}: {}", stderr(&out));
    }
    let help = gate(beside, &dir, &["--help"], b"");
    assert!(help.status.success() && stdout(&help).contains("Example (Postfix)"), "{}", stdout(&help));
    assert_eq!(report_ids(&dir).len(), 1, "usage errors store nothing");
}
