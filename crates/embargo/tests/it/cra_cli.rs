//! The CRA reporting clocks and the outgoing webhooks from the shell (issue 11).

use crate::{data_dir, ok, run};

#[test]
fn cra_clocks_and_webhooks_from_the_shell_issue_11() {
    let (tmp, dir) = data_dir();
    ok(&dir, &["init"]);
    let lead = "lead@pallets.example";
    let created = run(&dir, &["admin", "user", "create", "--email", lead, "--name", "Lead"], "a long lead password\n");
    assert!(created.status.success());
    ok(&dir, &["admin", "org", "create", "pallets", "--name", "Pallets"]);
    ok(&dir, &["admin", "project", "create", "pallets/flask", "--name", "Flask", "--package", "PyPI:flask"]);
    ok(&dir, &["admin", "member", "add", "pallets", "--email", lead]);
    let policy = tmp.path().join("policy.toml");
    std::fs::write(&policy, "[cra]\nrole = \"manufacturer\"\n").unwrap();
    ok(&dir, &["policy", "apply", "pallets", policy.to_str().unwrap()]);
    let receipt = ok(
        &dir,
        &["report", "submit", "pallets/flask", "--title", "Exploited PIN bypass", "--body", "Seen in the wild."],
    );
    let id = receipt.lines().find_map(|l| l.strip_prefix("id")).unwrap().trim().to_owned();
    let as_lead = ["--as", lead];

    let started = ok(
        &dir,
        &[
            &["report", "cra", "start", &id, "--kind", "exploited-vulnerability"][..],
            &["--aware-at", "2026-01-05T09:30:00+01:00", "--member-state", "DE", "--sensitivity", "amber"],
            &as_lead,
        ]
        .concat(),
    );
    assert!(started.contains("Actively exploited vulnerability") && started.contains("manufacturer"), "{started}");
    assert!(started.contains("2026-01-06 09:30 (UTC+01:00), 2026-01-06 08:30 UTC"), "due in both zones: {started}");
    let refused = run(
        &dir,
        &[&["report", "cra", "start", &id, "--kind", "zero-day", "--aware-at", "x"][..], &as_lead].concat(),
        "",
    );
    assert_eq!(refused.status.code(), Some(1), "{}", String::from_utf8_lossy(&refused.stderr));
    ok(&dir, &[&["report", "cra", "file", &id, "early-warning", "--reference", "ENISA-EW-9"][..], &as_lead].concat());
    ok(&dir, &[&["report", "cra", "details", &id, "--measures-for-users", "Upgrade to 3.1.1"][..], &as_lead].concat());
    let shown = ok(&dir, &[&["report", "cra", "show", &id][..], &as_lead].concat());
    assert!(shown.contains("ENISA-EW-9") && shown.contains("OVERDUE"), "the notification is late: {shown}");
    let text = ok(&dir, &[&["report", "cra", "content", &id, "notification"][..], &as_lead].concat());
    assert!(text.contains("Corrective or mitigating measures users can take: Upgrade to 3.1.1"), "{text}");
    assert!(text.contains("Member states where the product is available: Germany (DE)"), "{text}");
    let json =
        ok(&dir, &[&["report", "cra", "content", &id, "final-report", "--format", "json"][..], &as_lead].concat());
    let json: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(json["article"], "Article 14(2)(c)");

    let added = ok(
        &dir,
        &[
            &["webhook", "add", "pallets/flask", "--url", "https://hooks.example/flask", "--event", "report.submitted"]
                [..],
            &as_lead,
        ]
        .concat(),
    );
    let (hook, secret) = added.trim().split_once("  ").unwrap();
    assert!(secret.starts_with("whsec_"), "{added}");
    let listed = ok(&dir, &[&["webhook", "list", "pallets/flask"][..], &as_lead].concat());
    assert!(listed.contains(hook) && listed.contains("https://hooks.example/flask") && !listed.contains(secret));
    ok(&dir, &[&["webhook", "deliveries", "pallets/flask", hook][..], &as_lead].concat());
    let missing = run(&dir, &[&["webhook", "resend", "pallets/flask", hook, hook][..], &as_lead].concat(), "");
    assert_eq!(missing.status.code(), Some(1));
    ok(&dir, &[&["webhook", "remove", "pallets/flask", hook][..], &as_lead].concat());
    assert!(!ok(&dir, &[&["webhook", "list", "pallets/flask"][..], &as_lead].concat()).contains(hook));
}
