//! OpenPGP in mail against real GnuPG, both ways (issue 16): what GnuPG
//! signs inside an encrypted mail verifies against imported keys; PGP/MIME
//! boundaries count only at line starts; a decrypted body without MIME
//! headers is kept whole; and the mail we send is signed with the
//! organisation's key (PGP/MIME, RFC 3156), which GnuPG verifies.
//!
//! Without `gpg` (or `python3` with aiosmtpd for the SMTP sink) a test says so
//! and does not run, except under CI, where that is a failure.

use std::io::Write as _;
use std::process::{Command, Output, Stdio};

use embargo_app::{KeyFor, NewKey};
use embargo_core::permission::Actor;
use embargo_mail::inbound::{self, Envelope, Limits, Reading};
use embargo_mail::openpgp::{self, Keyring};
use embargo_mail::outbound::{MailNotifier, OutboundConfig, Security};
use embargo_store::mail::SignatureState;

use crate::{Sink, fixture, have, subject};

/// A private GnuPG home.
struct Gpg {
    home: tempfile::TempDir,
}

impl Gpg {
    fn new() -> Gpg {
        Gpg { home: tempfile::tempdir().unwrap() }
    }

    /// Runs gpg; answers what it did, failed or not.
    fn output(&self, args: &[&str], stdin: &[u8]) -> Output {
        let mut child = Command::new("gpg")
            .arg("--homedir")
            .arg(self.home.path())
            .args(["--batch", "--yes", "--pinentry-mode", "loopback", "--passphrase", "", "--trust-model", "always"])
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        child.stdin.take().unwrap().write_all(stdin).unwrap();
        child.wait_with_output().unwrap()
    }

    fn run(&self, args: &[&str], stdin: &[u8]) -> Vec<u8> {
        let out = self.output(args, stdin);
        assert!(out.status.success(), "gpg {args:?}: {}", String::from_utf8_lossy(&out.stderr));
        out.stdout
    }

    fn generate(&self, user_id: &str) {
        self.run(&["--quick-gen-key", user_id, "default", "default", "never"], b"");
    }

    fn export(&self, who: &str) -> String {
        String::from_utf8(self.run(&["--armor", "--export", who], b"")).unwrap()
    }
}

/// The organisation's key pair made here, and a reporter's made by GnuPG,
/// which has imported the organisation's public key.
fn keys() -> (openpgp::KeyMaterial, Gpg) {
    let ours = openpgp::generate_key("Pallets security <security@pallets.example>").unwrap();
    let gpg = Gpg::new();
    gpg.generate("Ada Reporter <ada@example.org>");
    gpg.run(&["--import"], ours.public_key.as_bytes());
    (ours, gpg)
}

fn read(raw: &[u8], ring: &Keyring) -> embargo_app::InboundMail {
    let envelope =
        Envelope { sender: Some("ada@example.org".into()), recipients: vec!["security@flask.example".into()] };
    match inbound::read(raw, &envelope, ring, Limits::default()) {
        Ok(Reading::Mail(mail)) => *mail,
        other => panic!("expected a mail, got {other:?}"),
    }
}

fn pgp_mime(boundary: &str, armored: &str) -> Vec<u8> {
    format!(
        "From: Ada Reporter <ada@example.org>\r\nTo: security@flask.example\r\nSubject: encrypted\r\n\
         Message-ID: <{boundary}@example.org>\r\nMIME-Version: 1.0\r\n\
         Content-Type: multipart/encrypted; protocol=\"application/pgp-encrypted\"; boundary=\"{boundary}\"\r\n\r\n\
         --{boundary}\r\nContent-Type: application/pgp-encrypted\r\n\r\nVersion: 1\r\n\
         --{boundary}\r\nContent-Type: application/octet-stream\r\n\r\n{}\r\n--{boundary}--\r\n",
        armored.replace("\r\n", "\n").replace('\n', "\r\n").trim_end()
    )
    .into_bytes()
}

#[test]
fn issue_16_a_signature_inside_encrypted_mail_verifies_against_the_imported_key() {
    if !have("gpg", &["--version"]) {
        return;
    }
    let (ours, gpg) = keys();
    let ada = gpg.export("ada@example.org");
    let ed = Gpg::new();
    ed.run(&["--import"], ours.public_key.as_bytes());
    ed.run(&["--quick-gen-key", "Eddie <eddie@example.org>", "ed25519", "sign", "never"], b"");
    let fpr = String::from_utf8(ed.run(&["--with-colons", "--list-keys", "eddie@example.org"], b"")).unwrap();
    let fpr = fpr.lines().find_map(|l| l.strip_prefix("fpr:::::::::")).unwrap().trim_end_matches(':').to_owned();
    ed.run(&["--quick-add-key", &fpr, "ed25519", "sign", "never"], b"");
    ed.run(&["--quick-add-key", &fpr, "cv25519", "encr", "never"], b"");
    let eddie = ed.export("eddie@example.org");
    let ring = Keyring::new(&[ours.secret_key.clone().unwrap()], &[eddie.clone(), ada.clone()]);
    for nested in [false, true] {
        let inner = b"Content-Type: text/plain\r\n\r\nSigned by a subkey.\r\n";
        let plain = if nested {
            let sig = String::from_utf8(
                ed.run(&["--armor", "--local-user", "eddie@example.org", "--detach-sign"], inner.trim_ascii_end()),
            )
            .unwrap();
            format!("Content-Type: multipart/signed; micalg=pgp-sha256; protocol=\"application/pgp-signature\"; boundary=\"s\"\r\n\r\n--s\r\n{}\r\n--s\r\nContent-Type: application/pgp-signature\r\n\r\n{sig}\r\n--s--\r\n", std::str::from_utf8(inner).unwrap().trim_end()).into_bytes()
        } else {
            inner.to_vec()
        };
        let mut args = vec!["--armor", "--recipient", "security@pallets.example", "--encrypt"];
        if !nested {
            args.extend(["--local-user", "eddie@example.org", "--sign"]);
        }
        let armored = String::from_utf8(ed.run(&args, &plain)).unwrap();
        let mail = read(&pgp_mime("enc", &armored), &ring);
        assert!(mail.body.expose().contains("Signed by a subkey."), "{:?}", mail.body.expose());
        assert_eq!(mail.signature, Some((SignatureState::Good, fpr.clone())), "nested {nested}");
    }
    // A key made by Embargo states its preferences: GnuPG then signs with SHA-256, not SHA-1
    // (which Ed25519 refuses). Where it still signs with SHA-1, the known signer's
    // signature reads as bad, never as by an unknown key.
    let weak = String::from_utf8(
        ed.run(
            &["--armor", "--recipient", "security@pallets.example", "--local-user", "eddie@example.org"]
                .into_iter()
                .chain(["--digest-algo", "SHA1", "--sign", "--encrypt"])
                .collect::<Vec<_>>(),
            b"Content-Type: text/plain\r\n\r\nweak\r\n",
        ),
    )
    .unwrap();
    assert_eq!(read(&pgp_mime("enc", &weak), &ring).signature, Some((SignatureState::Bad, fpr.clone())));
    let ada_fingerprint = openpgp::read_public_key(&ada).unwrap().fingerprint;
    let ring = Keyring::new(&[ours.secret_key.clone().unwrap()], std::slice::from_ref(&ada));
    let sign_and_encrypt = |plain: &[u8], extra: &[&str]| {
        let mut args = vec!["--armor", "--local-user", "ada@example.org", "--recipient", "security@pallets.example"];
        args.extend_from_slice(extra);
        args.extend(["--sign", "--encrypt"]);
        String::from_utf8(gpg.run(&args, plain)).unwrap()
    };
    let entity = b"Content-Type: text/plain; charset=utf-8\r\n\r\nThe PIN is derived from the MAC address.\r\n";
    for extra in [&[][..], &["--textmode"], &["--compress-algo", "none"], &["--digest-algo", "SHA512"]] {
        let mail = read(&pgp_mime("enc", &sign_and_encrypt(entity, extra)), &ring);
        assert!(mail.encrypted && mail.body.expose().contains("derived from the MAC"), "{extra:?}");
        assert_eq!(mail.signature, Some((SignatureState::Good, ada_fingerprint.clone())), "PGP/MIME, {extra:?}");
        let inline = format!(
            "From: ada@example.org\r\nSubject: inline\r\nMessage-ID: <inline@example.org>\r\n\r\n{}",
            sign_and_encrypt(b"Inline: exit 1\n", extra)
        );
        let mail = read(inline.as_bytes(), &ring);
        assert!(mail.body.expose().contains("Inline: exit 1"), "{extra:?}");
        assert_eq!(mail.signature, Some((SignatureState::Good, ada_fingerprint.clone())), "inline, {extra:?}");
    }
    // Without Ada's key the signature is unknown, not good; the text is still read.
    let stranger = Keyring::new(&[ours.secret_key.clone().unwrap()], &[]);
    let mail = read(&pgp_mime("enc", &sign_and_encrypt(entity, &[])), &stranger);
    assert_eq!(mail.signature.map(|s| s.0), Some(SignatureState::UnknownKey));
}

#[test]
fn issue_16_a_boundary_inside_the_armor_footer_is_not_a_delimiter() {
    if !have("gpg", &["--version"]) {
        return;
    }
    let (ours, gpg) = keys();
    let ring = Keyring::new(&[ours.secret_key.clone().unwrap()], &[]);
    let entity = b"Content-Type: text/plain; charset=utf-8\r\n\r\nBoundaries only at line starts.\r\n";
    let armored =
        String::from_utf8(gpg.run(&["--armor", "--recipient", "security@pallets.example", "--encrypt"], entity))
            .unwrap();
    // `--` and each boundary occur inside the armor's lines, never at their start
    // followed by nothing but white space.
    for boundary in ["END PGP MESSAGE", "---END PGP MESSAGE", "---", "PGP", "=", "BEGIN PGP MESSAGE-----"] {
        let mail = read(&pgp_mime(boundary, &armored), &ring);
        assert_eq!(mail.body.expose().trim(), "Boundaries only at line starts.", "boundary {boundary:?}");
    }
}

#[test]
fn issue_16_a_pgp_mime_body_without_headers_keeps_its_first_paragraph() {
    if !have("gpg", &["--version"]) {
        return;
    }
    let (ours, gpg) = keys();
    let ring = Keyring::new(&[ours.secret_key.clone().unwrap()], &[]);
    let encrypt = |plain: &[u8]| {
        String::from_utf8(gpg.run(&["--armor", "--recipient", "security@pallets.example", "--encrypt"], plain)).unwrap()
    };
    let cases: [(&[u8], &str); 4] = [
        (b"First paragraph: the bug.\r\n\r\nSecond paragraph: the PoC.\r\n", "First paragraph: the bug."),
        (b"Summary: a header-like first line\nof plain text.\n\nMore.\n", "Summary: a header-like first line"),
        (b"\r\nAfter an empty header block.\r\n", "After an empty header block."),
        (b"Content-Type: text/plain\r\n\r\nWith a header.\r\n", "With a header."),
    ];
    for (plain, first) in cases {
        let mail = read(&pgp_mime("b", &encrypt(plain)), &ring);
        let body = mail.body.expose();
        assert!(body.trim_start().starts_with(first), "{body:?}");
        assert!(!body.contains("Content-Type"), "{body:?}");
    }
    let mail = read(&pgp_mime("b", &encrypt(cases[0].0)), &ring);
    assert!(mail.body.expose().contains("Second paragraph: the PoC."));
}

/// The first part and the signature of a `multipart/signed` mail as stored
/// by the sink, and the mail's boundary.
fn signed_parts(mail: &str) -> (String, String) {
    let content_type = crate::header_value(mail, "Content-Type").unwrap();
    assert!(content_type.starts_with("multipart/signed"), "{content_type}");
    assert!(content_type.contains("protocol=\"application/pgp-signature\""), "{content_type}");
    assert!(content_type.contains("micalg=\"pgp-sha256\"") || content_type.contains("micalg=pgp-sha256"));
    let boundary = content_type.split("boundary=\"").nth(1).unwrap().split('"').next().unwrap().to_owned();
    let mail = mail.replace("\r\n", "\n");
    let delimiter = format!("\n--{boundary}\n");
    let mut pieces = mail.split(&delimiter).skip(1);
    let first = pieces.next().unwrap().to_owned();
    let second = pieces.next().unwrap().split(&format!("\n--{boundary}--")).next().unwrap().to_owned();
    let signature = second[second.find("-----BEGIN PGP SIGNATURE-----").unwrap()..].to_owned();
    (first.replace('\n', "\r\n"), signature)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn issue_16_outgoing_mail_is_signed_with_the_organisations_key_and_gnupg_verifies_it() {
    if !have("gpg", &["--version"]) {
        return;
    }
    let Some(sink) = Sink::start() else { return };
    let (_tmp, app, _report) = fixture().await;
    let (ours, gpg) = keys();
    let org = KeyFor::Organisation("pallets".parse().unwrap());
    let new_key = |k: &openpgp::KeyMaterial| NewKey {
        fingerprint: k.fingerprint.clone(),
        public_key: k.public_key.clone(),
        secret_key: k.secret_key.clone(),
    };
    app.put_openpgp_key(&Actor::Operator, &org, new_key(&ours)).await.unwrap();
    // The reporter's key is known: what goes to her is signed and encrypted.
    let ada = openpgp::read_public_key(&gpg.export("ada@example.org")).unwrap();
    app.put_openpgp_key(&Actor::Operator, &KeyFor::Email("ada@example.org".into()), new_key(&ada)).await.unwrap();
    let notifier = MailNotifier::new(OutboundConfig {
        host: "127.0.0.1".into(),
        port: sink.port,
        security: Security::None,
        username: None,
        password: None,
        ca_file: None,
        from: "security@embargo.example".parse().unwrap(),
        public_url: "https://security.example.org".into(),
        link_only: false,
        receipts_per_hour: 5,
    })
    .unwrap();
    app.run_due_jobs("test", &embargo_app::Subscribers::standard(std::sync::Arc::new(notifier.clone())), 10)
        .await
        .unwrap();
    let mails = sink.mails();
    assert_eq!(mails.len(), 2, "{mails:?}");
    let to = |who: &str| mails.iter().find(|m| m.contains(&format!("To: {who}"))).unwrap().clone();
    let (receipt, team) = (to("ada@example.org"), to("Lead <lead@example.org>"));

    // The team member's key is unknown: multipart/signed, which GnuPG verifies.
    let (part, signature) = signed_parts(&team);
    assert!(part.contains("Read it at https://security.example.org/reports/"), "{part}");
    assert!(!part.contains("Secret"), "signed, not encrypted: no private text");
    let dir = tempfile::tempdir().unwrap();
    let (part_file, signature_file) = (dir.path().join("part"), dir.path().join("part.asc"));
    std::fs::write(&part_file, &part).unwrap();
    std::fs::write(&signature_file, &signature).unwrap();
    let verify = |part: &std::path::Path| {
        gpg.output(&["--status-fd", "1", "--verify", signature_file.to_str().unwrap(), part.to_str().unwrap()], b"")
    };
    let out = verify(&part_file);
    let status = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{status} {}", String::from_utf8_lossy(&out.stderr));
    assert!(status.contains(&format!("VALIDSIG {}", ours.fingerprint)), "{status}");
    std::fs::write(&part_file, part.replace("Read it at", "Read it  at")).unwrap();
    assert!(!verify(&part_file).status.success(), "an altered part fails");
    // And we read our own signed mail back as signed by the organisation.
    let ring = Keyring::new(&[], std::slice::from_ref(&ours.public_key));
    // (As if forwarded by hand: an automatic mail would be dropped as a loop.)
    let forwarded = team.replace("Auto-Submitted: auto-generated\n", "").replace("\r\n", "\n").replace('\n', "\r\n");
    let back = read(forwarded.as_bytes(), &ring);
    assert_eq!(back.signature, Some((SignatureState::Good, ours.fingerprint.clone())));
    assert!(back.body.expose().contains("Read it at"), "{:?}", back.body.expose());

    // The reporter's: encrypted to her key, signed inside by the organisation's.
    assert!(crate::header_value(&receipt, "Content-Type").unwrap().starts_with("multipart/encrypted"));
    let armored = &receipt
        [receipt.find("-----BEGIN PGP MESSAGE-----").unwrap()..receipt.find("-----END PGP MESSAGE-----").unwrap() + 25];
    let out = gpg.output(&["--status-fd", "2", "--decrypt"], armored.replace("\r\n", "\n").as_bytes());
    let status = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{status}");
    assert!(status.contains(&format!("VALIDSIG {}", ours.fingerprint)), "{status}");
    assert!(String::from_utf8_lossy(&out.stdout).contains("Secret body"), "the receipt holds the report");
    assert!(subject(&receipt).contains("your report was received"));
}
