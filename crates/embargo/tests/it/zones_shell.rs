//! Issue 10 from a shell: an account chooses its time zone, and the embargo
//! end it sets is printed in that zone (summer and winter offsets) beside UTC;
//! an unknown zone is refused and changes nothing.

use crate::{data_dir, ok, run};

#[test]
fn an_account_chooses_its_time_zone_and_reads_embargo_ends_in_it() {
    let (_tmp, dir) = data_dir();
    ok(&dir, &["init"]);
    let lead = "lead@pallets.example";
    let created =
        run(&dir, &["admin", "user", "create", "--email", lead, "--name", "Lead"], "a long enough password\n");
    assert!(created.status.success(), "{}", String::from_utf8_lossy(&created.stderr));
    ok(&dir, &["admin", "org", "create", "pallets", "--name", "Pallets"]);
    ok(&dir, &["admin", "project", "create", "pallets/flask", "--name", "Flask"]);
    ok(&dir, &["admin", "member", "add", "pallets", "--email", lead]);
    let receipt = ok(&dir, &["report", "submit", "pallets/flask", "--title", "A flaw", "--body", "Details."]);
    let id = receipt.lines().find_map(|l| l.strip_prefix("id")).unwrap().trim().to_owned();
    let as_lead = ["--as", lead];

    let shown = ok(&dir, &[&["admin", "user", "time-zone"][..], &as_lead].concat());
    assert!(shown.contains("reads dates in UTC"), "{shown}");
    let chosen = ok(&dir, &[&["admin", "user", "time-zone", "europe/berlin"][..], &as_lead].concat());
    assert!(chosen.contains("reads dates in Europe/Berlin"), "{chosen}");
    let refused = run(&dir, &[&["admin", "user", "time-zone", "Mars/Olympus_Mons"][..], &as_lead].concat(), "");
    assert!(!refused.status.success());
    let why = String::from_utf8_lossy(&refused.stderr);
    assert!(why.contains("is not a time zone name"), "{why}");
    let kept = ok(&dir, &[&["admin", "user", "time-zone"][..], &as_lead].concat());
    assert!(kept.contains("reads dates in Europe/Berlin"), "{kept}");

    // Far ahead, so that the wall clock of the run never reaches them: summer time, then winter time.
    for (until, expected) in [
        ("2040-07-01T12:00:00Z", "2040-07-01 14:00 Europe/Berlin (UTC+02:00), 2040-07-01 12:00 UTC"),
        ("2040-12-01T12:00:00Z", "2040-12-01 13:00 Europe/Berlin (UTC+01:00), 2040-12-01 12:00 UTC"),
    ] {
        let set = ok(&dir, &[&["report", "embargo", &id, "--until", until][..], &as_lead].concat());
        assert!(set.contains(&format!("ends {expected}")), "{set}");
    }
}
