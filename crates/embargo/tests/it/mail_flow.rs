//! A mail report end to end on each database, with real peers: filed by
//! `embargo mail ingest` under the project's policy (deadlines, intake
//! notices, attachment rules), answered by receipts that `embargo serve` sends
//! through `aiosmtpd` (in clear, and encrypted to a known key and opened with
//! GnuPG), a reply with files, a duplicate, triage from the shell, and the
//! publication notice with the credit line. SQLite always; PostgreSQL when
//! `EMBARGO_TEST_POSTGRES_URL` is set.

use std::io::Write;
use std::path::PathBuf;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use sqlx::Connection;

use crate::mail::{Gpg, Sink, have, header, stdout};
use crate::{embargo, free_port};

/// A data directory and, on PostgreSQL, the database URL, secret and schema to drop.
pub(crate) struct Instance {
    _tmp: tempfile::TempDir,
    pub(crate) dir: PathBuf,
    pub(crate) postgres: Option<Postgres>,
}

/// An instance's PostgreSQL schema.
pub(crate) struct Postgres {
    base: String,
    schema: String,
    pub(crate) url: String,
    pub(crate) secret: String,
}

impl Drop for Instance {
    fn drop(&mut self) {
        if let Some(pg) = &self.postgres {
            let (base, schema) = (pg.base.clone(), pg.schema.clone());
            tokio::runtime::Runtime::new().unwrap().block_on(async move {
                let mut conn = sqlx::PgConnection::connect(&base).await.unwrap();
                let sql = format!("DROP SCHEMA IF EXISTS {schema} CASCADE");
                sqlx::query(sqlx::AssertSqlSafe(sql)).execute(&mut conn).await.unwrap();
                conn.close().await.unwrap();
            });
        }
    }
}

impl Instance {
    pub(crate) fn sqlite() -> Instance {
        let (tmp, dir) = crate::data_dir();
        let instance = Instance { _tmp: tmp, dir, postgres: None };
        instance.ok(&["init"]);
        instance
    }

    pub(crate) fn postgres() -> Option<Instance> {
        let Ok(base) = std::env::var("EMBARGO_TEST_POSTGRES_URL") else {
            eprintln!("EMBARGO_TEST_POSTGRES_URL is unset: the PostgreSQL half of this test did not run");
            return None;
        };
        let mut suffix = [0u8; 6];
        getrandom::fill(&mut suffix).unwrap();
        let schema = format!("embargo_mail_{}", suffix.iter().map(|b| format!("{b:02x}")).collect::<String>());
        let create = format!("CREATE SCHEMA {schema}");
        let base_url = base.clone();
        tokio::runtime::Runtime::new().unwrap().block_on(async move {
            let mut conn = sqlx::PgConnection::connect(&base_url).await.unwrap();
            sqlx::query(sqlx::AssertSqlSafe(create)).execute(&mut conn).await.unwrap();
            conn.close().await.unwrap();
        });
        let separator = if base.contains('?') { '&' } else { '?' };
        let url = format!("{base}{separator}options=-c%20search_path%3D{schema}");
        let (tmp, dir) = crate::data_dir();
        // Private, as `serve` demands of a data directory (issue 12).
        std::os::unix::fs::DirBuilderExt::mode(std::fs::DirBuilder::new().recursive(true), 0o700).create(&dir).unwrap();
        let secret = crate::ok(&dir, &["init", "--print-secret"]).trim().to_owned();
        Some(Instance { _tmp: tmp, dir, postgres: Some(Postgres { base, schema, url, secret }) })
    }

    fn command(&self) -> Command {
        let mut command = embargo(&self.dir);
        if let Some(pg) = &self.postgres {
            command.args(["--database-url", &pg.url]).env("EMBARGO_SECRET_KEY", &pg.secret);
        }
        command
    }

    pub(crate) fn run(&self, args: &[&str], stdin: &[u8]) -> Output {
        let mut child = self
            .command()
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        child.stdin.take().unwrap().write_all(stdin).unwrap();
        child.wait_with_output().unwrap()
    }

    #[track_caller]
    pub(crate) fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args, b"");
        assert!(out.status.success(), "{args:?} failed: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stdout).unwrap()
    }

    fn lead(&self, args: &[&str]) -> String {
        self.ok(&[args, &["--as", "lead@example.org"]].concat())
    }

    /// Feeds one mail to `embargo mail ingest`; answers its standard output.
    #[track_caller]
    pub(crate) fn ingest(&self, mail: &str, recipient: &str) -> String {
        let out =
            self.run(&["mail", "ingest", "--sender", "someone@example.org", "--recipient", recipient], mail.as_bytes());
        assert!(out.status.success(), "ingest: {}{}", stdout(&out), String::from_utf8_lossy(&out.stderr));
        stdout(&out)
    }

    pub(crate) fn serve(&self) -> Serve {
        self.serve_logging(Stdio::null())
    }

    /// `embargo serve` with its log (warnings and errors) going to `log`.
    pub(crate) fn serve_logging(&self, log: impl Into<Stdio>) -> Serve {
        let listen = format!("127.0.0.1:{}", free_port());
        let child = self
            .command()
            .args(["serve", "--listen", &listen])
            .env("EMBARGO_JOB_INTERVAL_SECS", "1")
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .unwrap();
        let deadline = Instant::now() + Duration::from_secs(30);
        while std::net::TcpStream::connect(&listen).is_err() {
            assert!(Instant::now() < deadline, "serve did not start");
            std::thread::sleep(Duration::from_millis(100));
        }
        Serve(child)
    }
}

/// A running `embargo serve`, killed (SIGKILL) on drop.
pub(crate) struct Serve(pub(crate) Child);

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

const POLICY: &str = r#"
[channels]
email = "security@flask.example"

[report]
recommended = ["versions_tested"]
max_attachments = 2
max_attachment_bytes = 4096

[response]
acknowledge = "3d"

[[platforms]]
name = "Haiku"
tier = "unsupported"
interested_parties = ["haiku-port@ports.example"]
"#;

/// A multipart mail with a text body and `files` (name, content type, body as sent, transfer encoding).
fn mail_with_files(from: &str, id: &str, headers: &str, text: &str, files: &[(&str, &str, &str, &str)]) -> String {
    let mut mail = format!(
        "From: {from}\r\nTo: security@flask.example\r\nMessage-ID: <{id}>\r\n{headers}MIME-Version: 1.0\r\n\
         Content-Type: multipart/mixed; boundary=\"part\"\r\n\r\n--part\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{text}\r\n"
    );
    for (name, ctype, body, encoding) in files {
        mail.push_str(&format!(
            "--part\r\nContent-Type: {ctype}; name=\"{name}\"\r\nContent-Disposition: attachment; filename=\"{name}\"\r\n\
             Content-Transfer-Encoding: {encoding}\r\n\r\n{body}\r\n"
        ));
    }
    mail.push_str("--part--\r\n");
    mail
}

/// The PGP/MIME mail's text, opened with `gpg`.
fn decrypt(gpg: &Gpg, mail: &str) -> String {
    let start = mail.find("-----BEGIN PGP MESSAGE-----").unwrap();
    let end = mail.find("-----END PGP MESSAGE-----").unwrap() + 25;
    String::from_utf8(gpg.run(&["--decrypt"], mail[start..end].replace("\r\n", "\n").as_bytes())).unwrap()
}

/// The body of a mail, with soft line breaks of quoted-printable undone.
pub(crate) fn body(mail: &str) -> String {
    let body = mail.split_once("\r\n\r\n").or_else(|| mail.split_once("\n\n")).map_or(mail, |(_, b)| b);
    body.replace("=\r\n", "").replace("=\n", "").replace("=3D", "=")
}

fn flow(instance: &Instance) {
    if !have("gpg", &["--version"]) {
        return;
    }
    let Some(sink) = Sink::start() else { return };
    instance.ok(&["admin", "org", "create", "pallets", "--name", "Pallets"]);
    instance.ok(&["admin", "project", "create", "pallets/flask", "--name", "Flask", "--package", "PyPI:flask"]);
    instance.ok(&["mail", "route", "set", "security@flask.example", "pallets/flask"]);
    let out = instance
        .run(&["admin", "user", "create", "--email", "lead@example.org", "--name", "Lead"], b"a long password 1\n");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    instance.ok(&["admin", "member", "add", "pallets", "--email", "lead@example.org"]);
    let policy = instance.dir.join("pallets.toml");
    std::fs::write(&policy, POLICY).unwrap();
    instance.ok(&["policy", "apply", "pallets", policy.to_str().unwrap()]);
    std::fs::write(
        instance.dir.join("embargo.toml"),
        format!(
            "public_url = \"https://security.example.org\"\n\n[mail]\nfrom = \"security@embargo.example\"\n\n\
             [mail.relay]\nhost = \"127.0.0.1\"\nport = {}\nsecurity = \"none\"\n",
            sink.port
        ),
    )
    .unwrap();
    // Carla's key is known (her mail comes back encrypted); Ada's is not.
    let gpg = Gpg::new();
    gpg.generate("Carla <carla@example.org>");
    let carla = gpg.run(&["--armor", "--export", "carla@example.org"], b"");
    let out = instance.run(&["mail", "key", "import", "--email", "carla@example.org", "-"], &carla);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    // A banned reporter's mail is refused (the MTA bounces it) and nothing is stored.
    let out = instance
        .run(&["admin", "user", "create", "--email", "mallory@example.net", "--name", "M"], b"a long password 2\n");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    instance.ok(&["admin", "user", "ban", "mallory@example.net"]);
    let banned = "From: mallory@example.net\r\nTo: security@flask.example\r\nSubject: again\r\n\
                  Message-ID: <mallory-1@example.net>\r\n\r\nCVSS 10\r\n";
    let out = instance.run(
        &["mail", "ingest", "--sender", "mallory@example.net", "--recipient", "security@flask.example"],
        banned.as_bytes(),
    );
    assert_eq!(out.status.code(), Some(65), "{}", stdout(&out));
    assert!(String::from_utf8_lossy(&out.stderr).contains("the sender may not report"));
    assert!(!instance.lead(&["report", "list"]).contains("again"), "nothing stored");
    let _server = instance.serve();

    // Ada's report: fields on lines of their own, her own CVSS score, a PoC and a PDF.
    let text = "The session cookie survives a password change.\r\nPlatform: Haiku\r\n\
                My score: CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H\r\n";
    let first = mail_with_files(
        "Ada Reporter <ada@example.org>",
        "ada-1@example.org",
        "Subject: Session fixation after password change\r\n",
        text,
        &[
            ("poc.py", "text/x-python", "import sys\r\nsys.exit(1)\r\n", "7bit"),
            ("writeup.pdf", "application/pdf", "JVBERi0xLjQKJcOkw7zDtsOfCjEgMCBvYmoK", "base64"),
        ],
    );
    let filed = instance.ingest(&first, "security@flask.example");
    assert!(filed.contains("filed as report"), "{filed}");
    let report = filed.trim().rsplit(' ').next().unwrap().to_owned();
    let shown = instance.lead(&["report", "show", &report]);
    for expected in [
        "channel",
        "email",
        "Haiku",
        "Ada Reporter",
        "acknowledge by",
        "You gave a severity or CVSS score",
        "Haiku is not a supported platform",
        "The policy asks for the versions you tested",
        "--- attachment poc.py ---\nimport sys\nsys.exit(1)",
    ] {
        assert!(shown.contains(expected), "{expected:?} in {shown}");
    }
    assert!(!shown.contains("writeup") && !shown.contains("%PDF"), "the PDF is not kept: {shown}");
    let provenance = instance.lead(&["mail", "show", &report]);
    assert!(provenance.contains("refused: an attachment (a PDF document, 27 bytes) was not kept"), "{provenance}");
    assert!(instance.ingest(&first, "security@flask.example").contains("already filed"), "a Message-ID is filed once");

    // Her receipt is in clear: what she sent that was refused, and the notices that name nothing of the report.
    let receipt = sink.wait_for_mail("ada@example.org", "your report was received");
    let text = body(&receipt);
    assert!(text.contains("Not everything you sent was kept"), "{text}");
    assert!(text.contains("an attachment (a PDF document, 27 bytes) was not kept"), "{text}");
    assert!(text.contains("You gave a severity or CVSS score"), "{text}");
    assert!(text.contains("The policy asks for the versions you tested"), "{text}");
    assert!(text.contains("1 more remark(s) on your report that name its details"), "{text}");
    for private in ["Haiku", "writeup", "Session fixation", "cookie"] {
        assert!(!receipt.contains(private), "{private:?} went out in clear: {receipt}");
    }

    // Carla writes too; her receipt is encrypted and says everything.
    let carla_mail = mail_with_files(
        "Carla <carla@example.org>",
        "carla-1@example.org",
        "Subject: Crash on Haiku\r\n",
        "Platform: haiku\r\nVersions tested: 3.1.0\r\nThe PoC is in the archive.",
        &[("poc.zip", "application/zip", "UEsDBBQAAAAIAMMkdl3tMOuy0P4AAAAAAAQJAAAA", "base64")],
    );
    assert!(instance.ingest(&carla_mail, "security@flask.example").contains("filed as report"));
    let carla_receipt = sink.wait_for_mail("carla@example.org", "your report was received");
    assert!(header(&carla_receipt, "Content-Type").unwrap().starts_with("multipart/encrypted"), "{carla_receipt}");
    let opened = decrypt(&gpg, &carla_receipt);
    assert!(opened.contains("Haiku is not a supported platform"), "{opened}");
    assert!(opened.contains("shared with the parties interested in that platform"), "{opened}");
    assert!(opened.contains("an attachment (an archive (zip), 30 bytes) was not kept"), "{opened}");
    assert!(!opened.contains("versions you tested"), "she stated them: {opened}");

    // Ada answers her receipt with two more files: the report may carry two, it has one.
    let reply_to = header(&receipt, "Reply-To").unwrap();
    let reply = mail_with_files(
        "ada@example.org",
        "ada-2@example.org",
        &format!("Subject: Re: report\r\nIn-Reply-To: {}\r\n", header(&receipt, "Message-ID").unwrap()),
        "Two more scripts.",
        &[("second.sh", "text/x-sh", "exit 1\r\n", "7bit"), ("third.sh", "text/x-sh", "exit 0\r\n", "7bit")],
    );
    let answered = instance.ingest(&reply.replace("To: security@flask.example", &format!("To: {reply_to}")), &reply_to);
    assert!(answered.contains(&format!("on report {report}")), "{answered}");
    let shown = instance.lead(&["report", "show", &report]);
    assert!(shown.contains("Two more scripts.") && shown.contains("--- attachment second.sh ---"), "{shown}");
    assert!(!shown.contains("third.sh"), "{shown}");
    let provenance = instance.lead(&["mail", "show", &report]);
    assert!(provenance.contains("was not kept: a report may carry at most 2 attachments"), "{provenance}");
    sink.wait_for_mail("lead@example.org", "the reporter wrote a message");

    // Triage, an advisory crediting her, publication: the notice reaches her with the credit line.
    for state in ["acknowledged", "triaging", "accepted", "fixing", "fixed"] {
        instance.lead(&["report", "transition", &report, state]);
    }
    let draft = instance.lead(&["advisory", "draft", &report]);
    let advisory = draft.lines().find_map(|l| l.strip_prefix("id")).unwrap().trim().to_owned();
    let details = instance.dir.join("details.md");
    std::fs::write(&details, "Sessions survived a password change.\n").unwrap();
    instance.lead(&[
        "advisory",
        "edit",
        &advisory,
        "--summary",
        "Sessions survive a password change",
        "--details-file",
        details.to_str().unwrap(),
        "--affected",
        "PyPI:flask:0:3.1.1",
        "--reference",
        "FIX=https://github.com/pallets/flask/pull/1",
    ]);
    assert!(instance.lead(&["advisory", "publish", &advisory]).contains("revision 1"));
    let notice = sink.wait_for_mail("ada@example.org", &format!("advisory {advisory} was published"));
    let text = body(&notice);
    assert!(text.contains(&format!("{advisory}: Sessions survive a password change")), "{text}");
    assert!(text.contains("Credited: Ada Reporter."), "{text}");
    assert!(text.contains(&format!("https://security.example.org/advisories/{advisory}")), "{text}");
    assert!(instance.ok(&["audit", "verify"]).contains("intact"));
}

#[test]
fn a_mail_report_from_intake_to_publication_on_sqlite() {
    flow(&Instance::sqlite());
}

#[test]
fn a_mail_report_from_intake_to_publication_on_postgres() {
    let Some(instance) = Instance::postgres() else { return };
    flow(&instance);
}
