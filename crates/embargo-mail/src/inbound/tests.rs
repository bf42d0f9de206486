//! Reading mail: the hostile corpus under `tests/corpus`, each case with its
//! expected outcome, and OpenPGP round trips with keys made here.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing, reason = "tests")]

use std::path::PathBuf;

use embargo_core::attachment::{ContentKind, classify};

use super::*;
use crate::openpgp::{encrypt, generate_key};

fn corpus_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/corpus")
}

/// The corpus: (name, bytes, outcome, expected text).
pub(crate) fn corpus() -> Vec<(String, Vec<u8>, String, String)> {
    let cases = std::fs::read_to_string(corpus_dir().join("cases.txt")).unwrap();
    cases
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|line| {
            let mut fields = line.split_whitespace();
            let name = fields.next().unwrap().to_owned();
            let outcome = fields.next().unwrap().to_owned();
            let expected = fields.collect::<Vec<_>>().join(" ");
            let bytes = generated(&name).unwrap_or_else(|| std::fs::read(corpus_dir().join(&name)).unwrap());
            (name, bytes, outcome, expected)
        })
        .collect()
}

/// The two cases too large to keep as files.
pub(crate) fn generated(name: &str) -> Option<Vec<u8>> {
    match name {
        "generated:nested-10000" => {
            let mut mail = String::from("From: eve@example.org\r\nTo: security@flask.example\r\nSubject: nested\r\n");
            mail.push_str("Message-ID: <nested-1@example.org>\r\nMIME-Version: 1.0\r\n");
            for n in 0..10_000 {
                mail.push_str(&format!("Content-Type: multipart/mixed; boundary=\"b{n}\"\r\n\r\n--b{n}\r\n"));
            }
            mail.push_str("Content-Type: text/plain\r\n\r\ndeep\r\n");
            for n in (0..10_000).rev() {
                mail.push_str(&format!("--b{n}--\r\n"));
            }
            Some(mail.into_bytes())
        }
        "generated:huge-headers" => {
            let mut mail = String::from("From: eve@example.org\r\nTo: security@flask.example\r\n");
            for n in 0..16_384 {
                mail.push_str(&format!("X-Filler-{n}: {}\r\n", "a".repeat(60)));
            }
            mail.push_str("Subject: huge\r\n\r\nbody\r\n");
            Some(mail.into_bytes())
        }
        _ => None,
    }
}

fn envelope() -> Envelope {
    Envelope { sender: Some("someone@example.org".into()), recipients: vec!["security@flask.example".into()] }
}

#[test]
fn every_corpus_case_has_its_expected_outcome() {
    let ring = Keyring::default();
    for (name, bytes, outcome, expected) in corpus() {
        let started = std::time::Instant::now();
        let result = read(&bytes, &envelope(), &ring, Limits::default());
        assert!(started.elapsed().as_secs() < 5, "{name} took {:?}", started.elapsed());
        match (outcome.as_str(), result) {
            ("file", Ok(Reading::Mail(mail))) => {
                assert!(mail.body.expose().contains(&expected), "{name}: {:?}", mail.body.expose());
                let kinds: Vec<ContentKind> = mail.attachments.expose().iter().map(|a| classify(&a.bytes)).collect();
                assert!(kinds.iter().all(|k| *k == ContentKind::Text), "{name}: {kinds:?}");
            }
            ("refused-part", Ok(Reading::Mail(mail))) => {
                assert!(mail.body.expose().contains(&expected), "{name}: {:?}", mail.body.expose());
                // Handed over as received; the policy's rules (core's classification) refuse one.
                let kinds: Vec<ContentKind> = mail.attachments.expose().iter().map(|a| classify(&a.bytes)).collect();
                assert_eq!(kinds.iter().filter(|k| **k != ContentKind::Text).count(), 1, "{name}: {kinds:?}");
            }
            ("loop", Ok(Reading::Loop(_))) | ("refuse", Err(_)) => {}
            (outcome, other) => panic!("{name}: expected {outcome}, got {other:?}"),
        }
    }
}

fn mail(extra_headers: &str, body: &str) -> Vec<u8> {
    format!(
        "From: Ada <ada@example.org>\r\nTo: security@flask.example\r\nSubject: s\r\nMessage-ID: <m@example.org>\r\n{extra_headers}\r\n{body}"
    )
    .into_bytes()
}

fn read_mail(bytes: &[u8], ring: &Keyring) -> InboundMail {
    match read(bytes, &envelope(), ring, Limits::default()) {
        Ok(Reading::Mail(mail)) => *mail,
        other => panic!("expected a mail, got {other:?}"),
    }
}

#[test]
fn html_only_mail_becomes_text_without_markup_or_scripts() {
    let bytes = std::fs::read(corpus_dir().join("html-only.eml")).unwrap();
    let mail = read_mail(&bytes, &Keyring::default());
    let body = mail.body.expose();
    assert!(body.contains("The login form & its link leak tokens."), "{body}");
    for markup in ["<", "alert(", "javascript:", "color:red"] {
        assert!(!body.contains(markup), "{markup} in {body}");
    }
}

#[test]
fn encoded_headers_and_charsets_are_decoded() {
    let bytes = std::fs::read(corpus_dir().join("encoded-headers-latin1.eml")).unwrap();
    let mail = read_mail(&bytes, &Keyring::default());
    assert_eq!(mail.from_name.expose().as_deref(), Some("René Zürcher"));
    assert_eq!(mail.subject.expose().as_deref(), Some("SSRF in der Bücherei"));
    assert_eq!(mail.key, "latin1-1@example.org");
}

#[test]
fn attachments_are_handed_over_apart_from_the_text() {
    let bytes = std::fs::read(corpus_dir().join("attachments.eml")).unwrap();
    let mail = read_mail(&bytes, &Keyring::default());
    assert_eq!(mail.body.expose().trim(), "See the attached PoC.", "attachments are not appended to the text");
    let files: Vec<(&str, ContentKind)> =
        mail.attachments.expose().iter().map(|a| (a.filename.as_str(), classify(&a.bytes))).collect();
    assert_eq!(files, [("poc.py", ContentKind::Text), ("writeup.pdf", ContentKind::Pdf)]);
    let zip = read_mail(&std::fs::read(corpus_dir().join("zip-bomb.eml")).unwrap(), &Keyring::default());
    let archive = &zip.attachments.expose()[0];
    assert_eq!(classify(&archive.bytes), ContentKind::Archive("zip"));
    assert!(archive.bytes.len() < 1024 * 1024, "the zip bomb is handed over as sent, never inflated");
}

#[test]
fn attachment_names_are_plain_and_never_missing() {
    let body = "--b\r\nContent-Type: text/plain\r\n\r\nsee files\r\n\
                --b\r\nContent-Type: text/plain\r\nContent-Disposition: attachment; filename=\"../../etc/poc.sh\"\r\n\r\nexit 1\r\n\
                --b\r\nContent-Type: text/plain\r\nContent-Disposition: attachment; filename=\"..\"\r\n\r\nexit 0\r\n\
                --b--\r\n";
    let bytes = mail("MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b\"\r\n", body);
    let mail = read_mail(&bytes, &Keyring::default());
    let names: Vec<&str> = mail.attachments.expose().iter().map(|a| a.filename.as_str()).collect();
    assert_eq!(names, ["poc.sh", "attachment-2"]);
}

#[test]
fn an_encrypted_text_attachment_is_opened() {
    let key = generate_key("Flask <security@flask.example>").unwrap();
    let ring = Keyring::new(&[key.secret_key.clone().unwrap()], &[]);
    let armored = encrypt(&key.public_key, b"#!/bin/sh\nexit 1\n").unwrap();
    let body = format!(
        "--b\r\nContent-Type: text/plain\r\n\r\nPoC attached.\r\n\
         --b\r\nContent-Type: application/octet-stream; name=\"poc.sh.asc\"\r\n\
         Content-Disposition: attachment; filename=\"poc.sh.asc\"\r\n\r\n{armored}\r\n--b--\r\n"
    );
    let bytes = mail("MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b\"\r\n", &body);
    let mail = read_mail(&bytes, &ring);
    assert!(mail.encrypted);
    let files = mail.attachments.expose();
    assert_eq!(files.len(), 1);
    assert_eq!(String::from_utf8_lossy(&files[0].bytes).trim(), "#!/bin/sh\nexit 1");
}

#[test]
fn a_mail_without_message_id_is_keyed_by_its_bytes() {
    let bytes = b"From: a@example.org\r\nSubject: x\r\n\r\nhello\r\n".to_vec();
    let mail = read_mail(&bytes, &Keyring::default());
    assert!(mail.key.starts_with("sha256:") && mail.key.len() == 71, "{}", mail.key);
}

#[test]
fn replies_carry_their_references() {
    let bytes = mail("In-Reply-To: <out.1@embargo.example>\r\nReferences: <root@x> <out.1@embargo.example>\r\n", "ok");
    let mail = read_mail(&bytes, &Keyring::default());
    assert_eq!(mail.references, vec!["out.1@embargo.example", "root@x", "out.1@embargo.example"]);
}

#[test]
fn null_senders_and_size_limits() {
    let bytes = mail("", "hello");
    let bounce = Envelope { sender: Some(String::new()), ..envelope() };
    assert!(matches!(
        read(&bytes, &bounce, &Keyring::default(), Limits::default()),
        Ok(Reading::Loop(LoopReason::NullSender))
    ));
    let small = Limits { max_bytes: 10, ..Limits::default() };
    assert_eq!(read(&bytes, &envelope(), &Keyring::default(), small).unwrap_err(), Refusal::TooLarge { max: 10 });
}

#[test]
fn inline_and_pgp_mime_encrypted_mail_is_decrypted() {
    let key = generate_key("Flask <security@flask.example>").unwrap();
    let ring = Keyring::new(&[key.secret_key.clone().unwrap()], &[]);
    let armored = encrypt(&key.public_key, "The secret PoC: exit 1".as_bytes()).unwrap();
    let inline = read_mail(&mail("", &format!("Hello,\r\n{armored}\r\n")), &ring);
    assert!(inline.encrypted);
    assert!(inline.body.expose().contains("The secret PoC: exit 1"), "{:?}", inline.body.expose());
    let entity = "Content-Type: text/plain; charset=utf-8\r\n\r\nPGP/MIME secret text\r\n";
    let armored = encrypt(&key.public_key, entity.as_bytes()).unwrap();
    let pgp_mime = mail(
        "MIME-Version: 1.0\r\nContent-Type: multipart/encrypted; protocol=\"application/pgp-encrypted\"; boundary=\"e\"\r\n",
        &format!(
            "--e\r\nContent-Type: application/pgp-encrypted\r\n\r\nVersion: 1\r\n--e\r\nContent-Type: application/octet-stream\r\n\r\n{armored}\r\n--e--\r\n"
        ),
    );
    let mail = read_mail(&pgp_mime, &ring);
    assert!(mail.encrypted);
    assert_eq!(mail.body.expose().trim(), "PGP/MIME secret text");
    let stranger = Keyring::default();
    assert_eq!(
        read(&pgp_mime, &envelope(), &stranger, Limits::default()).unwrap_err(),
        Refusal::Encryption(PgpError::NoKey)
    );
}
