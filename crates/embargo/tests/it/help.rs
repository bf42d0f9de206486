//! Every command explains itself with an example.

use std::process::Command;

const COMMANDS: &[&[&str]] = &[
    &[],
    &["serve"],
    &["init"],
    &["admin", "user", "create"],
    &["admin", "user", "list"],
    &["admin", "org", "create"],
    &["admin", "org", "list"],
    &["admin", "org", "show"],
    &["admin", "project", "create"],
    &["admin", "project", "list"],
    &["admin", "project", "show"],
    &["admin", "member", "add"],
    &["admin", "member", "remove"],
    &["admin", "member", "list"],
    &["admin", "release-line", "set"],
    &["admin", "release-line", "list"],
    &["admin", "rotation", "set"],
    &["admin", "rotation", "show"],
    &["admin", "settings"],
    &["report", "submit"],
    &["report", "list"],
    &["report", "show"],
    &["report", "transition"],
    &["report", "message"],
    &["report", "update"],
    &["report", "invite"],
    &["report", "embargo"],
    &["report", "conduct-export"],
    &["advisory", "schedule"],
    &["report", "collaborators"],
    &["report", "revoke"],
    &["report", "credit"],
    &["report", "credits"],
    &["report", "public-issue", "draft"],
    &["report", "public-issue", "show"],
    &["report", "public-issue", "answer"],
    &["report", "public-issue", "published"],
    &["advisory", "draft"],
    &["advisory", "list"],
    &["advisory", "show"],
    &["advisory", "edit"],
    &["advisory", "publish"],
    &["advisory", "not-affected"],
    &["import", "osv"],
    &["import", "ghsa"],
    &["export"],
    &["audit", "verify"],
    &["audit", "checkpoint"],
    &["mail", "ingest"],
    &["mail", "route", "set"],
    &["mail", "route", "remove"],
    &["mail", "route", "list"],
    &["mail", "key", "generate"],
    &["mail", "key", "import"],
    &["mail", "key", "export"],
    &["mail", "key", "remove"],
    &["mail", "key", "list"],
    &["mail", "show"],
    &["lab", "worker"],
    &["lab", "run"],
    &["lab", "show"],
    &["lab", "accept"],
    &["lab", "share"],
    &["backup"],
    &["restore"],
    &["doctor"],
    &["healthcheck"],
    &["completions"],
    &["man"],
    &["report", "cra", "start"],
    &["report", "cra", "show"],
    &["report", "cra", "details"],
    &["report", "cra", "file"],
    &["report", "cra", "content"],
    &["webhook", "list"],
    &["webhook", "add"],
    &["webhook", "remove"],
    &["webhook", "deliveries"],
    &["webhook", "resend"],
    &["bench"],
    &["bench", "load"],
    &["bench", "bare"],
    &["admin", "user", "time-zone"],
];

#[test]
fn every_command_has_help_with_an_example() {
    for command in COMMANDS {
        let out = Command::new(env!("CARGO_BIN_EXE_embargo")).args(*command).arg("--help").output().unwrap();
        assert!(out.status.success(), "{command:?}");
        let help = String::from_utf8(out.stdout).unwrap();
        assert!(help.contains("Example"), "{command:?} --help has no example:\n{help}");
    }
}

#[test]
fn the_top_level_help_lists_exit_codes() {
    let out = Command::new(env!("CARGO_BIN_EXE_embargo")).arg("--help").output().unwrap();
    let help = String::from_utf8(out.stdout).unwrap();
    assert!(help.contains("Exit codes") && help.contains("3  the audit log was tampered with"));
}
