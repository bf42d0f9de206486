//! `embargo admin org cve-services` and `embargo export cve --org` (issue 11)
//! through the real binary, against the CVE Services double of the web tests
//! (`crates/embargo-web/tests/peers/cve_services.py`).

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Command, Stdio};

use serde_json::Value;

use crate::tools::{conformance, missing};
use crate::{data_dir, embargo, ok};

#[test]
fn credentials_are_set_from_the_shell_and_the_export_names_the_organisations_cna() {
    let Some(shared) = conformance() else {
        return missing("credentials_are_set_from_the_shell", "EMBARGO_CONFORMANCE_DIR");
    };
    let (tmp, dir) = data_dir();
    std::fs::write(tmp.path().join("key"), "psf-api-key\n").unwrap();
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../embargo-web/tests/peers/cve_services.py");
    let mut double = Command::new("python3")
        .arg(script)
        .arg(&shared)
        .arg(tmp.path().join("log"))
        .args(["psf", "cna@psf.example"])
        .arg(tmp.path().join("key"))
        .stdout(Stdio::piped())
        .spawn()
        .expect("python3 runs the CVE Services double");
    let mut line = String::new();
    BufReader::new(double.stdout.take().unwrap()).read_line(&mut line).unwrap();
    let url = format!("http://127.0.0.1:{}/api", line.trim());

    ok(&dir, &["init"]);
    ok(&dir, &["admin", "org", "create", "psf", "--name", "PSF"]);
    ok(&dir, &["admin", "project", "create", "psf/python", "--name", "Python"]);
    let advisories = tmp.path().join("advisories");
    std::fs::create_dir(&advisories).unwrap();
    std::fs::copy(shared.join("advisories/psf/python/PSF-2024-1.json"), advisories.join("PSF-2024-1.json")).unwrap();
    ok(&dir, &["import", "osv", advisories.to_str().unwrap(), "--project", "psf/python"]);
    let key_file = tmp.path().join("key");
    let set =
        ["admin", "org", "cve-services", "psf", "--url", &url, "--short-name", "psf", "--user", "cna@psf.example"];
    let run = |extra: &[&str], private: bool| {
        let mut command = embargo(&dir);
        command.args(set).args(extra);
        if private {
            command.env("EMBARGO_OUTBOUND_ALLOW_PRIVATE", "true");
        }
        command.output().unwrap()
    };
    // Loopback is refused unless the operator allows it; a wrong key is refused by CVE Services.
    let refused = run(&["--api-key-file", key_file.to_str().unwrap()], false);
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("outbound_allow_private"), "{refused:?}");
    let wrong = tmp.path().join("wrong");
    std::fs::write(&wrong, "nope").unwrap();
    let refused = run(&["--api-key-file", wrong.to_str().unwrap()], true);
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("refused the credentials"), "{refused:?}");
    let shown = ok(&dir, &["--json", "admin", "org", "cve-services", "psf"]);
    assert_eq!(serde_json::from_str::<Value>(&shown).unwrap()["configured"], false);

    let set_ok = run(&["--api-key-file", key_file.to_str().unwrap(), "--pool-size", "0"], true);
    assert!(set_ok.status.success(), "{set_ok:?}");
    let shown: Value = serde_json::from_str(&ok(&dir, &["--json", "admin", "org", "cve-services", "psf"])).unwrap();
    assert_eq!(shown["configured"], true);
    assert_eq!(shown["short_name"], "psf");
    assert!(!shown.to_string().contains("psf-api-key"));

    let out = tmp.path().join("cve");
    ok(&dir, &["export", "cve", "--out", out.to_str().unwrap(), "--org", "psf"]);
    let record: Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("CVE-2023-6597.json")).unwrap()).unwrap();
    assert_eq!(record["dataVersion"], "5.2");
    assert_eq!(record["cveMetadata"]["assignerShortName"], "psf");
    assert_eq!(record["cveMetadata"]["assignerOrgId"], shown["cna_org_id"]);
    let _ = double.kill();
    let _ = double.wait();
}
