//! `/.well-known/security.txt` from the running binary, checked by real
//! peers: GnuPG verifies the clear-signed file against the organisation's
//! exported public key and rejects a tampered copy, and the `sectxt`
//! validator accepts the file signed and unsigned (RFC 9116 section 2.3).
//! Keys come from `embargo mail key generate --org` (rPGP) and from GnuPG
//! (`mail key import --org`). A missing peer makes the test say that it did
//! not run, except under CI (`CI` set), where that is a failure.

use std::path::{Path, PathBuf};

use crate::mail::{Gpg, have};
use crate::serve::{start_with, stop};
use crate::tools::{missing, tool, validate};
use crate::{data_dir, http, ok};

const BASE: &str = "https://security.pallets.example";

const POLICY: &str = "\
[channels]
web_form = true
email = \"security@pallets.example\"
languages = [\"en\", \"de\"]
";

/// The file as served.
fn fetch(addr: &str) -> String {
    let (status, body) = http(addr, "GET", "/.well-known/security.txt", &[], "");
    assert_eq!(status, 200, "{body}");
    body
}

/// Runs the validator on `text`, as served at the canonical URL; `strict`
/// fails on its recommendations too (an unsigned file earns `not_signed`).
fn valid(validator: &PathBuf, dir: &Path, text: &str, strict: bool) {
    let file = dir.join("served-security.txt");
    std::fs::write(&file, text).unwrap();
    let canonical = format!("{BASE}/.well-known/security.txt");
    let mut args = vec!["--canonical-url", canonical.as_str()];
    if strict {
        args.push("--strict");
    }
    validate(validator, &args, &[file]);
}

/// `gpg --verify` on `text`: whether it succeeded, and its status lines.
fn verify(gpg: &Gpg, dir: &Path, text: &str) -> (bool, String) {
    let file = dir.join("signed-security.txt");
    std::fs::write(&file, text).unwrap();
    let out = gpg.output(&["--status-fd", "1", "--verify", file.to_str().unwrap()], b"");
    (out.status.success(), String::from_utf8_lossy(&out.stdout).into_owned())
}

/// The fingerprint of the only key in a GnuPG home.
fn fingerprint(gpg: &Gpg) -> String {
    let listing = String::from_utf8(gpg.run(&["--with-colons", "--fingerprint"], b"")).unwrap();
    listing.lines().find_map(|l| l.strip_prefix("fpr:")).unwrap().trim_matches(':').to_owned()
}

#[test]
fn security_txt_is_clear_signed_with_the_organisation_key_and_gnupg_verifies_it() {
    if !have("gpg", &["--version"]) {
        return;
    }
    let Some(validator) = tool("validate-securitytxt", "securitytxt/valid-security.txt") else {
        missing(
            "security_txt_is_clear_signed",
            "the sectxt validator (EMBARGO_CONFORMANCE_DIR, python3 -m pip install sectxt)",
        );
        return;
    };
    let (tmp, dir) = data_dir();
    ok(&dir, &["init"]);
    let config = dir.join("embargo.toml");
    let written = std::fs::read_to_string(&config).unwrap();
    std::fs::write(&config, format!("public_url = \"{BASE}\"\n{written}")).unwrap();
    ok(&dir, &["admin", "org", "create", "pallets", "--name", "Pallets"]);
    let policy = tmp.path().join("pallets.toml");
    std::fs::write(&policy, POLICY).unwrap();
    ok(&dir, &["policy", "apply", "pallets", policy.to_str().unwrap()]);
    let mut server = start_with(&dir, &[]);
    let addr = server.addr.clone();

    // No key: the plain file, valid.
    let plain = fetch(&addr);
    assert!(plain.starts_with("Contact: mailto:security@pallets.example\n") && !plain.contains("PGP"), "{plain}");
    assert!(!plain.contains("Encryption:"), "{plain}");
    valid(&validator, tmp.path(), &plain, false);

    // A key pair made by embargo: the file is signed from the next request on.
    let printed =
        ok(&dir, &["mail", "key", "generate", "--org", "pallets", "--user-id", "Pallets <security@pallets.example>"]);
    let exported = ok(&dir, &["mail", "key", "export", "--org", "pallets"]);
    assert_eq!(printed, exported);
    let (status, published) = http(&addr, "GET", "/api/v1/orgs/pallets/openpgp.asc", &[], "");
    assert_eq!((status, published.as_str()), (200, exported.as_str()), "the Encryption URL serves the key");
    assert!(ok(&dir, &["mail", "key", "list"]).contains("pallets\t"), "listed by organisation slug");
    let signed = fetch(&addr);
    assert!(signed.starts_with("-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA256\n\nContact: "), "{signed}");
    assert!(signed.contains(&format!("Encryption: {BASE}/api/v1/orgs/pallets/openpgp.asc\n")), "{signed}");
    assert!(signed.contains(&format!("Canonical: {BASE}/.well-known/security.txt\n")), "{signed}");
    valid(&validator, tmp.path(), &signed, true);

    let researcher = Gpg::new();
    researcher.run(&["--import"], exported.as_bytes());
    let key = fingerprint(&researcher);
    let (good, status) = verify(&researcher, tmp.path(), &signed);
    assert!(good && status.contains("[GNUPG:] GOODSIG"), "{status}");
    assert!(status.lines().any(|l| l.starts_with("[GNUPG:] VALIDSIG") && l.ends_with(&key)), "{status}\n{key}");
    let tampered = signed.replace("mailto:security@pallets.example", "mailto:security@attacker.example");
    assert_ne!(tampered, signed);
    let (good, status) = verify(&researcher, tmp.path(), &tampered);
    assert!(!good && status.contains("[GNUPG:] BADSIG"), "a tampered copy fails: {status}");

    // Kept, not signed again: the signature's time would differ a second later.
    std::thread::sleep(std::time::Duration::from_millis(1100));
    assert_eq!(fetch(&addr), signed, "the same text and key keep their signature");

    // A key GnuPG made (RSA), imported for the organisation, replaces it.
    let team = Gpg::new();
    team.run(&["--quick-gen-key", "Pallets security <security@pallets.example>", "rsa3072", "sign", "never"], b"");
    let secret = team.run(&["--armor", "--export-secret-keys", "security@pallets.example"], b"");
    let out =
        crate::run(&dir, &["mail", "key", "import", "--org", "pallets", "-"], &String::from_utf8(secret).unwrap());
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let resigned = fetch(&addr);
    assert_ne!(resigned, signed);
    let (good, status) = verify(&team, tmp.path(), &resigned);
    assert!(good && status.lines().any(|l| l.starts_with("[GNUPG:] VALIDSIG") && l.ends_with(&fingerprint(&team))));
    let (good, _) = verify(&researcher, tmp.path(), &resigned);
    assert!(!good, "the old key does not verify the new signature");
    valid(&validator, tmp.path(), &resigned, true);

    // Keys that cannot sign here are refused at import, and the key pair stays:
    // one protected by a passphrase, one that may only certify, a public key.
    let refused = Gpg::new();
    refused.run(
        &["--passphrase", "hunter2", "--quick-gen-key", "Protected <p@pallets.example>", "ed25519", "sign", "never"],
        b"",
    );
    refused.run(&["--quick-gen-key", "Certify only <c@pallets.example>", "ed25519", "cert", "never"], b"");
    for (args, why) in [
        (
            &["--passphrase", "hunter2", "--armor", "--export-secret-keys", "p@pallets.example"][..],
            "protected by a passphrase",
        ),
        (&["--armor", "--export-secret-keys", "c@pallets.example"][..], "no key that may sign"),
        (&["--armor", "--export", "security@pallets.example"][..], "unprotected secret key"),
    ] {
        let gpg = if args.contains(&"--export") { &team } else { &refused };
        let armored = String::from_utf8(gpg.run(args, b"")).unwrap();
        let out = crate::run(&dir, &["mail", "key", "import", "--org", "pallets", "-"], &armored);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success() && stderr.contains(why), "{args:?}: {stderr}");
    }
    assert_eq!(fetch(&addr), resigned);

    // Without the key, plain again.
    ok(&dir, &["mail", "key", "remove", "--org", "pallets"]);
    let unsigned = fetch(&addr);
    assert!(!unsigned.contains("PGP") && !unsigned.contains("Encryption:"), "{unsigned}");
    valid(&validator, tmp.path(), &unsigned, false);
    let (status, _) = http(&addr, "GET", "/api/v1/orgs/pallets/openpgp.asc", &[], "");
    assert_eq!(status, 404);
    stop(&mut server);
    assert!(ok(&dir, &["audit", "verify"]).contains("intact"));
}
