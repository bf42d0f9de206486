//! Issue 10 from a shell: a finder declines their credit, the team lists the
//! finders' choices, and a declined report becomes a public issue once its
//! reporter agreed.

use crate::{data_dir, ok, run};

#[test]
fn credit_and_a_public_issue_from_the_shell() {
    let (_tmp, dir) = data_dir();
    ok(&dir, &["init"]);
    let (lead, ada) = ("lead@pallets.example", "ada@researcher.example");
    for (email, name) in [(lead, "Lead"), (ada, "Ada Lovelace")] {
        let created =
            run(&dir, &["admin", "user", "create", "--email", email, "--name", name], "a long enough password\n");
        assert!(created.status.success(), "{}", String::from_utf8_lossy(&created.stderr));
    }
    ok(&dir, &["admin", "org", "create", "pallets", "--name", "Pallets"]);
    ok(&dir, &["admin", "project", "create", "pallets/flask", "--name", "Flask"]);
    ok(&dir, &["admin", "member", "add", "pallets", "--email", lead]);
    let receipt = ok(
        &dir,
        &[
            "report",
            "submit",
            "pallets/flask",
            "--title",
            "Crash on an empty header",
            "--body",
            "The dev server crashes. Ada Lovelace, ada@researcher.example",
            "--as",
            ada,
        ],
    );
    let id = receipt.lines().find_map(|l| l.strip_prefix("id")).unwrap().trim().to_owned();
    let (as_lead, as_ada) = (["--as", lead], ["--as", ada]);

    // The finder's credit: shown, declined; the team sees the choice.
    let mine = ok(&dir, &[&["report", "credit", &id][..], &as_ada].concat());
    assert!(mine.contains("credited as Ada Lovelace"), "{mine}");
    let declined = ok(&dir, &[&["report", "credit", &id, "--decline"][..], &as_ada].concat());
    assert!(declined.contains("declined"), "{declined}");
    let listed = ok(&dir, &[&["report", "credits", &id][..], &as_lead].concat());
    assert!(listed.contains(&format!("report:{id}")) && listed.contains("declined"), "{listed}");
    let refused = run(&dir, &[&["report", "credits", &id][..], &as_ada].concat(), "");
    assert!(!refused.status.success(), "the finders' list is the team's");

    // Declined as an ordinary bug: the text leaves the reporter out until they agree.
    for state in ["acknowledged", "triaging"] {
        ok(&dir, &[&["report", "transition", &id, state][..], &as_lead].concat());
    }
    ok(&dir, &[&["report", "transition", &id, "not_vulnerable", "--reason", "A crash only."][..], &as_lead].concat());
    let text = ok(&dir, &[&["report", "public-issue", "draft", &id][..], &as_lead].concat());
    assert!(text.starts_with("# Crash on an empty header"), "{text}");
    assert!(!text.contains("Ada") && !text.contains("ada@"), "{text}");
    let early = run(
        &dir,
        &[&["report", "public-issue", "published", &id, "https://github.com/pallets/flask/issues/7"][..], &as_lead]
            .concat(),
        "",
    );
    assert!(!early.status.success(), "not before the reporter agreed");
    ok(&dir, &[&["report", "public-issue", "answer", &id, "anonymous"][..], &as_ada].concat());
    let done = run(
        &dir,
        &[&["report", "public-issue", "published", &id, "https://github.com/pallets/flask/issues/7"][..], &as_lead]
            .concat(),
        "",
    );
    assert!(done.status.success(), "{}", String::from_utf8_lossy(&done.stderr));
    assert!(String::from_utf8_lossy(&done.stderr).contains("made public"));
}
