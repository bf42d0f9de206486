//! The whole process run from a shell: set up, report, triage, publish.

use crate::{data_dir, ok, run};

fn field<'a>(output: &'a str, name: &str) -> &'a str {
    output.lines().find_map(|l| l.strip_prefix(name)).map(str::trim).unwrap_or_else(|| panic!("no {name} in {output}"))
}

#[test]
fn report_to_advisory_from_the_shell() {
    let (tmp, dir) = data_dir();
    ok(&dir, &["init"]);
    let lead = "lead@pallets.example";
    let created = run(&dir, &["admin", "user", "create", "--email", lead, "--name", "Lead"], "a long lead password\n");
    assert!(created.status.success());
    ok(&dir, &["admin", "org", "create", "pallets", "--name", "Pallets"]);
    ok(&dir, &["admin", "project", "create", "pallets/flask", "--name", "Flask", "--package", "PyPI:flask"]);
    ok(&dir, &["admin", "member", "add", "pallets", "--email", lead]);
    assert!(ok(&dir, &["admin", "member", "list", "pallets"]).contains(lead));
    ok(
        &dir,
        &["admin", "release-line", "set", "pallets/flask", "3.1", "--status", "bugfix", "--released-on", "2024-11-13"],
    );
    assert!(ok(&dir, &["admin", "release-line", "list", "pallets/flask"]).contains("bugfix"));

    let poc = tmp.path().join("poc.sh");
    std::fs::write(&poc, "#!/bin/sh\nexit 1\n").unwrap();
    let receipt = ok(
        &dir,
        &[
            "report",
            "submit",
            "pallets/flask",
            "--title",
            "Debugger PIN bypass",
            "--body",
            "The PIN can be guessed.",
            "--poc-file",
            poc.to_str().unwrap(),
            "--reporter-name",
            "Grace Hopper",
        ],
    );
    let id = field(&receipt, "id").to_owned();
    assert!(field(&receipt, "followup_token").starts_with("embf_"));

    let as_lead = ["--as", lead];
    let queue = ok(&dir, &[&["report", "list", "--state", "new"][..], &as_lead].concat());
    assert!(queue.contains(&id) && queue.contains("Debugger PIN bypass"), "{queue}");
    for state in ["acknowledged", "triaging", "accepted"] {
        assert!(ok(&dir, &[&["report", "transition", &id, state][..], &as_lead].concat()).contains(state));
    }
    let refused = run(&dir, &[&["report", "transition", &id, "disclosed"][..], &as_lead].concat(), "");
    assert_eq!(refused.status.code(), Some(1));
    ok(&dir, &[&["report", "message", &id, "--body", "Confirmed, thank you."][..], &as_lead].concat());
    ok(&dir, &[&["report", "message", &id, "--body", "Needs a backport.", "--internal"][..], &as_lead].concat());
    let updated = ok(
        &dir,
        &[
            &["report", "update", &id, "--cvss-v3", "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", "--cwe", "CWE-330"]
                [..],
            &["--assignee", lead],
            &as_lead,
        ]
        .concat(),
    );
    assert!(updated.contains("9.8 critical"), "{updated}");
    assert!(updated.contains("[INTERNAL]"), "the team sees its note: {updated}");

    let draft = ok(&dir, &[&["advisory", "draft", &id][..], &as_lead].concat());
    let advisory = field(&draft, "id").to_owned();
    assert!(advisory.starts_with("PALLETS-2026-") || advisory.starts_with("PALLETS-"), "{draft}");
    assert!(draft.contains("Grace Hopper (REPORTER)"), "{draft}");
    let details = tmp.path().join("details.md");
    std::fs::write(&details, "The debugger PIN had too little entropy.\n").unwrap();
    ok(
        &dir,
        &[
            &["advisory", "edit", &advisory, "--details-file", details.to_str().unwrap()][..],
            &["--affected", "PyPI:flask:0:3.1.1", "--reference", "FIX=https://github.com/pallets/flask/pull/1"],
            &as_lead,
        ]
        .concat(),
    );
    let early = run(&dir, &[&["advisory", "publish", &advisory][..], &as_lead].concat(), "");
    assert_eq!(early.status.code(), Some(1), "not before the fix is public");
    for state in ["fixing", "fixed"] {
        ok(&dir, &[&["report", "transition", &id, state][..], &as_lead].concat());
    }
    assert!(ok(&dir, &[&["advisory", "publish", &advisory][..], &as_lead].concat()).contains("revision 1"));
    let shown = ok(&dir, &[&["report", "show", &id][..], &as_lead].concat());
    assert!(shown.contains("disclosed") && shown.contains(&advisory), "{shown}");
    assert!(ok(&dir, &["audit", "verify"]).contains("intact"));
}
