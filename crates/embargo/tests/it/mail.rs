//! The e-mail channel with real peers: `embargo mail ingest` fed the hostile
//! corpus, GnuPG encrypting to the project's key, `swaks` talking to the
//! built-in listener, and notifications caught by `aiosmtpd` on loopback and
//! decrypted with GnuPG; signatures made by GnuPG (PGP/MIME and clear-signed)
//! checked and recorded. A test whose program is missing says so and stops,
//! except under CI (`CI` set), where that is a failure: `.ci/run` installs them all.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use crate::{data_dir, embargo, free_port, ok};

pub(crate) fn corpus() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../embargo-mail/tests/corpus")
}

pub(crate) fn have(program: &str, args: &[&str]) -> bool {
    let found = Command::new(program).args(args).stdout(Stdio::null()).stderr(Stdio::null()).status();
    let ok = found.is_ok_and(|s| s.success());
    if !ok {
        crate::tools::missing(&format!("{program} {args:?}"), program);
    }
    ok
}

/// Runs the binary with raw bytes on standard input.
fn ingest(dir: &Path, mail: &[u8], recipient: &str) -> Output {
    let mut child = embargo(dir)
        .args(["mail", "ingest", "--sender", "someone@example.org", "--recipient", recipient])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(mail).unwrap();
    child.wait_with_output().unwrap()
}

pub(crate) fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// An instance with pallets/flask, its security address, and a team lead.
pub(crate) fn instance() -> (tempfile::TempDir, PathBuf) {
    let (tmp, dir) = data_dir();
    ok(&dir, &["init"]);
    ok(&dir, &["admin", "org", "create", "pallets", "--name", "Pallets"]);
    ok(&dir, &["admin", "project", "create", "pallets/flask", "--name", "Flask"]);
    ok(&dir, &["mail", "route", "set", "security@flask.example", "pallets/flask"]);
    let out = crate::run(
        &dir,
        &["admin", "user", "create", "--email", "lead@example.org", "--name", "Lead"],
        "a long password 1\n",
    );
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    ok(&dir, &["admin", "member", "add", "pallets", "--email", "lead@example.org"]);
    (tmp, dir)
}

pub(crate) fn report_ids(dir: &Path) -> Vec<String> {
    ok(dir, &["report", "list", "--as", "lead@example.org"])
        .lines()
        .filter_map(|l| l.split_whitespace().next().map(str::to_owned))
        .filter(|id| id.len() == 36)
        .collect()
}

#[test]
fn the_hostile_corpus_gets_its_expected_exit_codes_and_nothing_is_stored_twice() {
    let (_tmp, dir) = instance();
    hostile_corpus_through(&dir, |mail, recipient| ingest(&dir, mail, recipient));
}

/// Delivers the hostile corpus with `deliver` (a mail and its recipient)
/// into the `instance()` at `dir`, and checks each exit code and what was stored.
pub(crate) fn hostile_corpus_through(dir: &Path, deliver: impl Fn(&[u8], &str) -> Output) {
    let dir = dir.to_owned();
    let cases = std::fs::read_to_string(corpus().join("cases.txt")).unwrap();
    let mut filed = 0;
    for line in cases.lines().filter(|l| !l.trim().is_empty()) {
        let mut fields = line.split_whitespace();
        let (name, outcome) = (fields.next().unwrap(), fields.next().unwrap());
        let mail = match name {
            "generated:nested-10000" => nested(10_000),
            "generated:huge-headers" => huge_headers(),
            file => std::fs::read(corpus().join(file)).unwrap(),
        };
        let out = deliver(&mail, "security@flask.example");
        let code = out.status.code().unwrap();
        let expected = match outcome {
            "file" | "refused-part" | "loop" => 0,
            _ => 65,
        };
        assert_eq!(code, expected, "{name}: {}{}", stdout(&out), String::from_utf8_lossy(&out.stderr));
        if outcome == "file" || outcome == "refused-part" {
            assert!(stdout(&out).contains("filed as report"), "{name}: {}", stdout(&out));
            filed += 1;
            let report = stdout(&out).trim().rsplit(' ').next().unwrap().to_owned();
            let provenance = ok(&dir, &["mail", "show", &report, "--as", "lead@example.org"]);
            let refusals =
                provenance.lines().filter(|l| l.trim_start().starts_with("refused: an attachment (")).count();
            assert_eq!(refusals, usize::from(outcome == "refused-part"), "{name}: {provenance}");
            assert!(!provenance.contains(".zip") && !provenance.contains(".pdf"), "no file names: {provenance}");
        }
    }
    assert_eq!(report_ids(&dir).len(), filed, "loops and refusals store nothing");
    let again = deliver(&std::fs::read(corpus().join("plain.eml")).unwrap(), "security@flask.example");
    assert_eq!(again.status.code(), Some(0));
    assert!(stdout(&again).contains("already filed"));
    assert_eq!(report_ids(&dir).len(), filed, "a Message-ID is filed once");
    let unrouted = b"From: ada@example.org\r\nSubject: lost\r\nMessage-ID: <unrouted@example.org>\r\n\r\nhello\r\n";
    let stranger = deliver(unrouted, "nobody@elsewhere.example");
    assert_eq!(stranger.status.code(), Some(67), "no route: EX_NOUSER");
}

fn nested(levels: usize) -> Vec<u8> {
    let mut mail = String::from("From: eve@example.org\r\nSubject: nested\r\nMessage-ID: <nested@example.org>\r\n");
    for n in 0..levels {
        mail.push_str(&format!("Content-Type: multipart/mixed; boundary=\"b{n}\"\r\n\r\n--b{n}\r\n"));
    }
    mail.push_str("Content-Type: text/plain\r\n\r\ndeep\r\n");
    mail.into_bytes()
}

fn huge_headers() -> Vec<u8> {
    let mut mail = String::from("From: eve@example.org\r\n");
    for n in 0..16_384 {
        mail.push_str(&format!("X-Filler-{n}: {}\r\n", "a".repeat(60)));
    }
    mail.push_str("Subject: huge\r\n\r\nbody\r\n");
    mail.into_bytes()
}

/// A private GnuPG home.
pub(crate) struct Gpg {
    home: tempfile::TempDir,
}

impl Gpg {
    pub(crate) fn new() -> Gpg {
        Gpg { home: tempfile::tempdir().unwrap() }
    }

    pub(crate) fn run(&self, args: &[&str], stdin: &[u8]) -> Vec<u8> {
        let out = self.output(args, stdin);
        assert!(out.status.success(), "gpg {args:?}: {}", String::from_utf8_lossy(&out.stderr));
        out.stdout
    }

    /// Runs gpg and answers what it did, failed or not.
    pub(crate) fn output(&self, args: &[&str], stdin: &[u8]) -> Output {
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

    pub(crate) fn generate(&self, user_id: &str) {
        self.run(&["--quick-gen-key", user_id, "default", "default", "never"], b"");
    }
}

#[test]
fn mail_encrypted_with_gnupg_to_the_project_key_is_decrypted_and_its_signature_recorded() {
    if !have("gpg", &["--version"]) {
        return;
    }
    let (_tmp, dir) = instance();
    let gpg = Gpg::new();
    // The project's key is made by GnuPG and imported; the reporter's public key is known.
    gpg.generate("Flask security <security@flask.example>");
    gpg.generate("Ada Reporter <ada@example.org>");
    let secret = gpg.run(&["--armor", "--export-secret-keys", "security@flask.example"], b"");
    let out = crate::run(
        &dir,
        &["mail", "key", "import", "--project", "pallets/flask", "-"],
        &String::from_utf8(secret).unwrap(),
    );
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let ada = gpg.run(&["--armor", "--export", "ada@example.org"], b"");
    let out = crate::run(
        &dir,
        &["mail", "key", "import", "--email", "ada@example.org", "-"],
        &String::from_utf8(ada).unwrap(),
    );
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));

    // PGP/MIME (RFC 3156), signed and encrypted.
    let entity = "Content-Type: text/plain; charset=utf-8\r\n\r\nThe debugger PIN is derived from the MAC address.\r\n";
    let armored = gpg.run(
        &["--armor", "--local-user", "ada@example.org", "--recipient", "security@flask.example", "--sign", "--encrypt"],
        entity.as_bytes(),
    );
    let mail = format!(
        "From: Ada Reporter <ada@example.org>\r\nTo: security@flask.example\r\nSubject: encrypted report\r\n\
         Message-ID: <gpg-mime@example.org>\r\nMIME-Version: 1.0\r\n\
         Content-Type: multipart/encrypted; protocol=\"application/pgp-encrypted\"; boundary=\"enc\"\r\n\r\n\
         --enc\r\nContent-Type: application/pgp-encrypted\r\n\r\nVersion: 1\r\n\
         --enc\r\nContent-Type: application/octet-stream\r\n\r\n{}\r\n--enc--\r\n",
        String::from_utf8(armored).unwrap()
    );
    let out = ingest(&dir, mail.as_bytes(), "security@flask.example");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let report = stdout(&out).trim().rsplit(' ').next().unwrap().to_owned();
    let shown = ok(&dir, &["report", "show", &report, "--as", "lead@example.org"]);
    assert!(shown.contains("derived from the MAC address"), "{shown}");
    let provenance = ok(&dir, &["mail", "show", &report, "--as", "lead@example.org"]);
    assert!(provenance.contains("encrypted, signature good"), "{provenance}");

    // Inline OpenPGP to a key we made ourselves and published.
    let ours = ok(&dir, &["mail", "key", "generate", "pallets/flask", "--user-id", "Flask <security@flask.example>"]);
    let fresh = Gpg::new();
    fresh.run(&["--import"], ours.as_bytes());
    let armored =
        fresh.run(&["--armor", "--recipient", "security@flask.example", "--encrypt"], b"Inline secret: exit 1\n");
    let mail = format!(
        "From: ada@example.org\r\nTo: security@flask.example\r\nSubject: inline\r\nMessage-ID: <gpg-inline@example.org>\r\n\r\n{}",
        String::from_utf8(armored).unwrap()
    );
    let out = ingest(&dir, mail.as_bytes(), "security@flask.example");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let report = stdout(&out).trim().rsplit(' ').next().unwrap().to_owned();
    assert!(ok(&dir, &["report", "show", &report, "--as", "lead@example.org"]).contains("Inline secret: exit 1"));

    // Encrypted to a key we do not hold: refused (the MTA bounces it), nothing stored.
    let stranger = Gpg::new();
    stranger.generate("Someone <someone@example.net>");
    let armored = stranger.run(&["--armor", "--recipient", "someone@example.net", "--encrypt"], b"x");
    let mail = format!(
        "From: ada@example.org\r\nSubject: lost\r\nMessage-ID: <gpg-lost@example.org>\r\n\r\n{}",
        String::from_utf8(armored).unwrap()
    );
    let out = ingest(&dir, mail.as_bytes(), "security@flask.example");
    assert_eq!(out.status.code(), Some(65));
    assert!(String::from_utf8_lossy(&out.stderr).contains("does not hold"));
}

/// A running `embargo serve`, killed on drop.
pub(crate) struct Serve(Child);

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

pub(crate) fn serve(dir: &Path, smtp: Option<&str>) -> Serve {
    let listen = format!("127.0.0.1:{}", free_port());
    let mut command = embargo(dir);
    command.args(["serve", "--listen", &listen]).env("EMBARGO_JOB_INTERVAL_SECS", "1");
    if let Some(smtp) = smtp {
        command.args(["--smtp-listen", smtp]);
    }
    let child = command.stdout(Stdio::null()).stderr(Stdio::null()).spawn().unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    let wait_for = smtp.unwrap_or(&listen).to_owned();
    while std::net::TcpStream::connect(&wait_for).is_err() {
        assert!(Instant::now() < deadline, "serve did not start");
        std::thread::sleep(Duration::from_millis(100));
    }
    Serve(child)
}

#[test]
fn swaks_delivers_to_the_built_in_listener() {
    if !have("swaks", &["--version"]) {
        return;
    }
    let (_tmp, dir) = instance();
    let smtp = format!("127.0.0.1:{}", free_port());
    let _server = serve(&dir, Some(&smtp));
    let swaks = |to: &str, subject: &str| {
        Command::new("swaks")
            .args(["--server", &smtp, "--from", "ada@example.org", "--to", to])
            .args(["--header", &format!("Subject: {subject}"), "--body", "Reached by SMTP.\n"])
            .output()
            .unwrap()
    };
    let out = swaks("security@flask.example", "Found over SMTP");
    assert!(out.status.success(), "{}", stdout(&out));
    assert!(stdout(&out).contains("250 Message accepted"), "{}", stdout(&out));
    let listed = ok(&dir, &["report", "list", "--as", "lead@example.org"]);
    assert!(listed.contains("Found over SMTP"), "{listed}");
    let refused = swaks("nobody@elsewhere.example", "lost");
    assert!(!refused.status.success());
    assert!(stdout(&refused).contains("550"), "{}", stdout(&refused));
}

/// `aiosmtpd` saving every mail into a maildir.
pub(crate) struct Sink {
    child: Child,
    dir: tempfile::TempDir,
    pub(crate) port: u16,
}

impl Drop for Sink {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Sink {
    pub(crate) fn start() -> Option<Sink> {
        if !have("python3", &["-c", "import aiosmtpd"]) {
            return None;
        }
        let dir = tempfile::tempdir().unwrap();
        let port = free_port();
        let child = Command::new("python3")
            .args(["-m", "aiosmtpd", "-n", "-l", &format!("127.0.0.1:{port}"), "-c", "aiosmtpd.handlers.Mailbox"])
            .arg(dir.path().join("maildir"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let deadline = Instant::now() + Duration::from_secs(20);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "aiosmtpd did not start");
            std::thread::sleep(Duration::from_millis(100));
        }
        Some(Sink { child, dir, port })
    }

    /// Every mail that arrived so far.
    pub(crate) fn mails(&self) -> Vec<String> {
        std::fs::read_dir(self.dir.path().join("maildir/new"))
            .map(|entries| entries.filter_map(Result::ok).map(|e| std::fs::read_to_string(e.path()).unwrap()).collect())
            .unwrap_or_default()
    }

    /// Waits for a mail to `to` whose subject contains `subject`; answers it.
    pub(crate) fn wait_for_mail(&self, to: &str, subject: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let found = self.mails().into_iter().find(|m| {
                header(m, "To").is_some_and(|t| t.contains(to))
                    && header(m, "Subject").is_some_and(|s| s.contains(subject))
            });
            if let Some(mail) = found {
                return mail;
            }
            assert!(Instant::now() < deadline, "no mail to {to} about {subject:?} arrived");
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    /// Waits until `n` mails arrived; answers them all.
    fn wait_for(&self, n: usize) -> Vec<String> {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let mails = self.mails();
            if mails.len() >= n {
                return mails;
            }
            assert!(Instant::now() < deadline, "{} of {n} mails arrived", mails.len());
            std::thread::sleep(Duration::from_millis(200));
        }
    }
}

/// A header's value, unfolded (RFC 5322 section 2.2.3).
pub(crate) fn header(mail: &str, name: &str) -> Option<String> {
    let head = mail.split("\r\n\r\n").next().unwrap_or(mail).split("\n\n").next().unwrap_or(mail);
    let unfolded = head.replace("\r\n ", " ").replace("\n ", " ").replace("\r\n\t", " ").replace("\n\t", " ");
    unfolded.lines().find_map(|l| l.strip_prefix(&format!("{name}: ")).map(str::to_owned))
}

#[test]
fn notifications_reach_a_real_smtp_server_encrypted_when_the_key_is_known_and_replies_thread_back() {
    if !have("gpg", &["--version"]) {
        return;
    }
    let Some(sink) = Sink::start() else { return };
    let (_tmp, dir) = instance();
    let config = format!(
        "public_url = \"https://security.example.org\"\n\n[mail]\nfrom = \"security@embargo.example\"\n\n\
         [mail.relay]\nhost = \"127.0.0.1\"\nport = {}\nsecurity = \"none\"\n",
        sink.port
    );
    std::fs::write(dir.join("embargo.toml"), config).unwrap();
    let gpg = Gpg::new();
    gpg.generate("Ada Reporter <ada@example.org>");
    let ada = gpg.run(&["--armor", "--export", "ada@example.org"], b"");
    crate::run(&dir, &["mail", "key", "import", "--email", "ada@example.org", "-"], &String::from_utf8(ada).unwrap());
    let _server = serve(&dir, None);

    let out = ingest(&dir, &std::fs::read(corpus().join("plain.eml")).unwrap(), "security@flask.example");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let report = stdout(&out).trim().rsplit(' ').next().unwrap().to_owned();
    let mails = sink.wait_for(2);
    let to = |who: &str| mails.iter().find(|m| header(m, "To").is_some_and(|t| t.contains(who))).unwrap().clone();
    let (receipt, team) = (to("ada@example.org"), to("lead@example.org"));

    // Headers: threading, reply address, loop protection.
    for mail in [&receipt, &team] {
        assert_eq!(header(mail, "Auto-Submitted").as_deref(), Some("auto-generated"));
        let references = header(mail, "References").unwrap();
        assert!(references.contains(&format!("<report.{report}@embargo.example>")), "{references}");
        assert!(references.contains("<plain-1@example.org>"), "the reporter's mail starts the thread");
        assert_eq!(header(mail, "In-Reply-To").as_deref(), Some("<plain-1@example.org>"));
        let reply_to = header(mail, "Reply-To").unwrap();
        assert!(reply_to.starts_with("security+") && reply_to.ends_with("@embargo.example"), "{reply_to}");
        assert!(!mail.contains("send_file follows"), "no private text in clear");
        assert!(!header(mail, "Subject").unwrap().contains("traversal"), "no title in the subject");
    }
    assert!(team.contains("Read it at https://security.example.org/reports/"), "{team}");
    // The reporter's key is known: the receipt is PGP/MIME and GnuPG opens it.
    assert!(header(&receipt, "Content-Type").unwrap().starts_with("multipart/encrypted"), "{receipt}");
    let armored = &receipt
        [receipt.find("-----BEGIN PGP MESSAGE-----").unwrap()..receipt.find("-----END PGP MESSAGE-----").unwrap() + 25];
    let plain = String::from_utf8(gpg.run(&["--decrypt"], armored.replace("\r\n", "\n").as_bytes())).unwrap();
    assert!(plain.contains("send_file follows ../ sequences."), "{plain}");
    assert!(plain.contains("embf_"), "the receipt hands over the follow-up token: {plain}");

    // The reporter answers the receipt: a message on the report, and the team hears of it.
    let reply_to = header(&receipt, "Reply-To").unwrap().to_owned();
    let reply = format!(
        "From: ada@example.org\r\nTo: {reply_to}\r\nSubject: Re: report\r\nMessage-ID: <reply-1@example.org>\r\n\
         In-Reply-To: {}\r\n\r\nHere is a second PoC.\r\n",
        header(&receipt, "Message-ID").unwrap()
    );
    let out = ingest(&dir, reply.as_bytes(), &reply_to);
    assert!(stdout(&out).contains(&format!("on report {report}")), "{}", stdout(&out));
    // Someone else writing to the same reply address does not get into the report.
    let intruder = reply.replace("ada@example.org", "mallory@example.net").replace("reply-1@", "reply-2@");
    let out = ingest(&dir, intruder.as_bytes(), &reply_to);
    assert!(stdout(&out).contains("filed as report") && !stdout(&out).contains(&report), "{}", stdout(&out));
    let shown = ok(&dir, &["report", "show", &report, "--as", "lead@example.org"]);
    assert!(shown.contains("Here is a second PoC.") && !shown.contains("mallory"), "{shown}");
    let mails = sink.wait_for(5);
    assert!(
        mails.iter().any(|m| header(m, "Subject").is_some_and(|s| s.contains("the reporter wrote a message"))),
        "the team hears of the reply"
    );
}

/// The signature result `mail show` records for the report a mail was filed as.
fn signature_of(dir: &Path, mail: &str) -> (String, String) {
    let out = ingest(dir, mail.as_bytes(), "security@flask.example");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let report = stdout(&out).trim().rsplit(' ').next().unwrap().to_owned();
    let provenance = ok(dir, &["mail", "show", &report, "--as", "lead@example.org"]);
    let shown = ok(dir, &["report", "show", &report, "--as", "lead@example.org"]);
    (provenance, shown)
}

#[test]
fn signatures_made_by_gnupg_are_verified_and_recorded_good_bad_or_unknown() {
    if !have("gpg", &["--version"]) {
        return;
    }
    let (_tmp, dir) = instance();
    let gpg = Gpg::new();
    gpg.generate("Ada Reporter <ada@example.org>");
    gpg.generate("Someone Else <else@example.net>");
    let ada = gpg.run(&["--armor", "--export", "ada@example.org"], b"");
    let out = crate::run(
        &dir,
        &["mail", "key", "import", "--email", "ada@example.org", "-"],
        &String::from_utf8(ada).unwrap(),
    );
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let fingerprint = String::from_utf8(gpg.run(&["--with-colons", "--fingerprint", "ada@example.org"], b""))
        .unwrap()
        .lines()
        .find_map(|l| l.strip_prefix("fpr:").map(|f| f.trim_matches(':').to_owned()))
        .unwrap();

    // PGP/MIME (RFC 3156 section 5): a detached signature over the first part, lines ending in CRLF.
    let multipart_signed = |n: usize, signer: &str, signed: &str, sent: &str| {
        let signature = gpg.run(&["--armor", "--local-user", signer, "--detach-sign"], signed.as_bytes());
        format!(
            "From: Ada Reporter <ada@example.org>\r\nTo: security@flask.example\r\nSubject: signed {n}\r\n\
             Message-ID: <signed-mime-{n}@example.org>\r\nMIME-Version: 1.0\r\n\
             Content-Type: multipart/signed; micalg=pgp-sha256; protocol=\"application/pgp-signature\"; boundary=\"sig\"\r\n\r\n\
             --sig\r\n{sent}\r\n--sig\r\nContent-Type: application/pgp-signature; name=\"signature.asc\"\r\n\r\n{}\r\n--sig--\r\n",
            String::from_utf8(signature).unwrap()
        )
    };
    let entity = "Content-Type: text/plain; charset=utf-8\r\n\r\nThe cookie is not bound to the session.\r\n";
    let (good, shown) = signature_of(&dir, &multipart_signed(1, "ada@example.org", entity, entity));
    assert!(good.contains(&format!("signature good ({fingerprint})")), "{good}");
    assert!(shown.contains("The cookie is not bound to the session."), "{shown}");
    let tampered = entity.replace("not bound", "never bound");
    let (bad, _) = signature_of(&dir, &multipart_signed(2, "ada@example.org", entity, &tampered));
    assert!(bad.contains(&format!("signature bad ({fingerprint})")), "a changed text does not verify: {bad}");
    let (unknown, _) = signature_of(&dir, &multipart_signed(3, "else@example.net", entity, entity));
    assert!(unknown.contains("signature unknown-key"), "a key we do not hold: {unknown}");
    assert!(!unknown.contains(&fingerprint), "{unknown}");

    // Inline: clear-signed text (RFC 4880 section 7).
    let clear_signed = |n: usize, signer: &str, tamper: bool| {
        let armored = String::from_utf8(gpg.run(
            &["--local-user", signer, "--clearsign"],
            b"The reset token never expires.\nPoC: exit 1 when vulnerable.\n",
        ))
        .unwrap();
        let armored = if tamper { armored.replace("never expires", "rarely expires") } else { armored };
        format!(
            "From: ada@example.org\r\nTo: security@flask.example\r\nSubject: clear {n}\r\n\
             Message-ID: <clear-signed-{n}@example.org>\r\n\r\nHello,\r\n\r\n{armored}"
        )
    };
    let (good, shown) = signature_of(&dir, &clear_signed(1, "ada@example.org", false));
    assert!(good.contains(&format!("signature good ({fingerprint})")), "{good}");
    assert!(shown.contains("The reset token never expires.") && !shown.contains("BEGIN PGP"), "{shown}");
    let (bad, _) = signature_of(&dir, &clear_signed(2, "ada@example.org", true));
    assert!(bad.contains(&format!("signature bad ({fingerprint})")), "{bad}");
    let (unknown, _) = signature_of(&dir, &clear_signed(3, "else@example.net", false));
    assert!(unknown.contains("signature unknown-key"), "{unknown}");
    let (unsigned, _) = signature_of(
        &dir,
        "From: ada@example.org\r\nTo: security@flask.example\r\nSubject: plain\r\nMessage-ID: <unsigned@example.org>\r\n\r\nhi\r\n",
    );
    assert!(unsigned.contains("not signed"), "{unsigned}");
}

#[test]
fn a_sender_past_the_intake_limit_gets_a_temporary_failure_that_says_why_issue_12() {
    let (_tmp, dir) = instance();
    let mail = |n: usize| {
        format!(
            "From: Flood <flood@example.net>\r\nTo: security@flask.example\r\nSubject: finding {n}\r\n\
             Message-ID: <flood-{n}@example.net>\r\n\r\nThe parser loops forever.\r\n"
        )
    };
    for n in 0..10 {
        let out = ingest(&dir, mail(n).as_bytes(), "security@flask.example");
        assert_eq!(out.status.code(), Some(0), "{n}: {}", String::from_utf8_lossy(&out.stderr));
    }
    let out = ingest(&dir, mail(10).as_bytes(), "security@flask.example");
    assert_eq!(out.status.code(), Some(75), "EX_TEMPFAIL: the MTA keeps the mail and tries again later");
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(said.contains("too many reports from your e-mail address; nothing was filed; try again in"), "{said}");
    assert_eq!(report_ids(&dir).len(), 10, "the eleventh is not filed");
    // Someone else's mail is taken.
    let other = "From: ada@example.org\r\nTo: security@flask.example\r\nSubject: mine\r\n\
                 Message-ID: <ada-own@example.org>\r\n\r\nA different flaw.\r\n";
    assert_eq!(ingest(&dir, other.as_bytes(), "security@flask.example").status.code(), Some(0));
}

#[test]
fn the_audit_checkpoint_is_mailed_to_the_administrators_and_verifies_issue_12() {
    let Some(sink) = Sink::start() else {
        eprintln!("aiosmtpd is not installed: the checkpoint mail was not sent to a real SMTP server");
        return;
    };
    let (_tmp, dir) = instance();
    let config = format!(
        "public_url = \"https://security.example.org\"\n\n[mail]\nfrom = \"security@embargo.example\"\n\n\
         [mail.relay]\nhost = \"127.0.0.1\"\nport = {}\nsecurity = \"none\"\n",
        sink.port
    );
    std::fs::write(dir.join("embargo.toml"), config).unwrap();
    let out = crate::run(
        &dir,
        &["admin", "user", "create", "--email", "root@example.org", "--name", "Root", "--admin"],
        "a long password 3\n",
    );
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let said = ok(&dir, &["admin", "settings", "--checkpoint-mail", "daily"]);
    assert!(said.contains("checkpoint_mail   daily"), "{said}");
    ok(&dir, &["jobs", "run"]);
    let mails = sink.wait_for(1);
    assert_eq!(mails.len(), 1, "one mail, to the one administrator (the team lead gets none)");
    let mail = &mails[0];
    assert_eq!(header(mail, "To").as_deref(), Some("root@example.org"));
    assert!(header(mail, "Subject").unwrap().starts_with("Audit checkpoint: "), "{mail}");
    // The checkpoint in the mail verifies against the log.
    let body = crate::mail_flow::body(mail).replace("\r\n", "\n");
    let start = body.find("embargo audit checkpoint v1").expect("the checkpoint text");
    let end = body[start..].find("\n\n").map_or(body.len(), |n| start + n);
    let file = dir.join("checkpoint.txt");
    std::fs::write(&file, format!("{}\n", &body[start..end])).unwrap();
    let verified = crate::run(&dir, &["audit", "verify", "--checkpoint", file.to_str().unwrap()], "");
    assert!(verified.status.success(), "{}{}", stdout(&verified), String::from_utf8_lossy(&verified.stderr));
    // The next one is a day away: nothing more goes out now.
    ok(&dir, &["jobs", "run"]);
    assert_eq!(sink.mails().len(), 1);
}

#[test]
fn sign_up_mails_a_link_to_a_new_address_and_a_note_to_a_known_one_issue_12() {
    let Some(sink) = Sink::start() else {
        eprintln!("aiosmtpd is not installed: the sign-up mails were not sent to a real SMTP server");
        return;
    };
    let (_tmp, dir) = instance();
    let config = format!(
        "public_url = \"https://security.example.org\"\n\n[mail]\nfrom = \"security@embargo.example\"\n\n\
         [mail.relay]\nhost = \"127.0.0.1\"\nport = {}\nsecurity = \"none\"\n",
        sink.port
    );
    std::fs::write(dir.join("embargo.toml"), config).unwrap();
    ok(&dir, &["admin", "settings", "--signup", "open"]);
    let listen = format!("127.0.0.1:{}", free_port());
    let mut command = embargo(&dir);
    command.args(["serve", "--listen", &listen]).env("EMBARGO_JOB_INTERVAL_SECS", "1");
    let _server = Serve(command.stdout(Stdio::null()).stderr(Stdio::null()).spawn().unwrap());
    let deadline = Instant::now() + Duration::from_secs(30);
    while std::net::TcpStream::connect(&listen).is_err() {
        assert!(Instant::now() < deadline, "serve did not start");
        std::thread::sleep(Duration::from_millis(100));
    }
    let json = [("Content-Type", "application/json")];
    let sign_up = |email: &str| {
        let body = format!(r#"{{"email":"{email}","name":"Carol","password":"tulip orbit gravel mosaic"}}"#);
        crate::http(&listen, "POST", "/api/v1/users", &json, &body)
    };
    let new = sign_up("carol@researcher.example");
    let known = sign_up("lead@example.org");
    assert_eq!((new.0, known.0), (202, 202));
    assert_eq!(new.1, known.1, "the same answer whether or not the address has an account");

    let note = sink.wait_for_mail("lead@example.org", "You already have an account");
    assert!(!note.contains("embu_"), "no link for an address with an account");
    let mail = crate::mail_flow::body(&sink.wait_for_mail("carol@researcher.example", "Confirm your address"));
    let start = mail.find("/signup/confirm/embu_").expect("the link") + "/signup/confirm/".len();
    let token: String =
        mail[start..].chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '-').collect();
    assert_eq!(token.len(), 48, "{mail}");
    let confirmed = crate::http(&listen, "POST", "/api/v1/signup/confirm", &json, &format!(r#"{{"token":"{token}"}}"#));
    assert_eq!(confirmed.0, 201, "{}", confirmed.1);
    let body = r#"{"email":"carol@researcher.example","password":"tulip orbit gravel mosaic"}"#;
    assert_eq!(crate::http(&listen, "POST", "/api/v1/session", &json, body).0, 200);
}

/// Every command closes the database as it ends, the writer's connection
/// last, so SQLite folds its write-ahead log into the file and removes it.
/// Before, every command left the log behind, and the next one (a mail
/// ingest, once per mail) read all of it back: a few hundred mails in, each
/// ingest read 37 MB and ran at half its speed.
#[test]
fn issue_15_each_command_closes_the_database_and_leaves_no_log_behind() {
    let (_tmp, dir) = instance();
    let wal = dir.join("embargo.db-wal");
    assert!(!wal.exists(), "after the setup commands, a write-ahead log is left: {}", wal.display());
    let mail = std::fs::read(corpus().join("plain.eml")).unwrap();
    for round in 0..3 {
        let out = ingest(&dir, &mail, "security@flask.example");
        assert!(out.status.success(), "round {round}: {}", String::from_utf8_lossy(&out.stderr));
        assert!(!wal.exists(), "round {round}: mail ingest left its write-ahead log");
    }
    assert_eq!(report_ids(&dir).len(), 1, "one report, the same mail twice more is a duplicate");
    assert!(!wal.exists(), "report list left a write-ahead log");
}
