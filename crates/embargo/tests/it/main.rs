//! Tests of the `embargo` binary itself: the real executable, a real data
//! directory, real signals.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::print_stderr,
    reason = "tests may unwrap (STYLE.md, Tests)"
)]

mod bench;
mod browser;
mod browser_webauthn;
mod cli;
mod cra_cli;
mod csaf_provider;
mod cve_services;
mod cvss;
mod finders_shell;
mod formats;
mod help;
mod jobs_crash;
mod lab;
mod mail;
mod mail_flow;
mod mail_gate;
mod operations;
mod pip_audit;
mod policy;
mod security_txt;
mod serve;
mod shell_flow;
mod show_json;
mod tidy;
mod tools;
mod zones_shell;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

/// The binary under test.
pub fn embargo(data_dir: &Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_embargo"));
    command
        .arg("--data-dir")
        .arg(data_dir)
        .env_remove("EMBARGO_DATABASE_URL")
        .env_remove("EMBARGO_AS")
        .env("EMBARGO_LOG", "warn");
    command
}

/// Runs the binary with `args`, feeding `stdin`.
pub fn run(data_dir: &Path, args: &[&str], stdin: &str) -> Output {
    let mut child = embargo(data_dir)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(stdin.as_bytes()).unwrap();
    child.wait_with_output().unwrap()
}

/// Runs and expects success; answers standard output.
#[track_caller]
pub fn ok(data_dir: &Path, args: &[&str]) -> String {
    let out = run(data_dir, args, "");
    assert!(out.status.success(), "{args:?} failed: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

/// A fresh data directory (not yet created) inside a temporary one.
pub fn data_dir() -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("embargo-data");
    (tmp, dir)
}

/// A minimal HTTP/1.1 exchange: answers (status, body).
pub fn http(addr: &str, method: &str, path: &str, headers: &[(&str, &str)], body: &str) -> (u16, String) {
    let mut stream = TcpStream::connect(addr).unwrap();
    let mut request =
        format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Length: {}\r\n", body.len());
    for (name, value) in headers {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    request.push_str("\r\n");
    request.push_str(body);
    stream.write_all(request.as_bytes()).unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    let status = response.split_whitespace().nth(1).unwrap().parse().unwrap();
    let body = response.split_once("\r\n\r\n").map(|(_, b)| b.to_owned()).unwrap_or_default();
    (status, body)
}

/// A free port on loopback.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}
