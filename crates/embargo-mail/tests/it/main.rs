//! The notifier against a real SMTP server (`aiosmtpd` on loopback): the
//! notice kinds the binary's tests cannot trigger (deadline reminders), state
//! changes, and a retried job that must not send twice; in `relay`, the
//! relay's STARTTLS, implicit TLS and AUTH with a private CA.
//!
//! A test whose peer (python3 with aiosmtpd, openssl) is missing says so and
//! does not run, except under CI (`CI` set), where that is a failure:
//! `.ci/run` installs them.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::print_stderr,
    reason = "tests may unwrap and report on stderr (STYLE.md, Tests)"
)]

mod openpgp;
mod relay;
mod zones;

use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use embargo_app::clock::SystemClock;
use embargo_app::entropy::OsEntropy;
use embargo_app::{
    App, AppConfig, Deadline, Envelope, NewAccount, NewOrganisation, NewProject, Notice, Notifier, Subscribers,
    TeamRef, TransitionInput,
};
use embargo_core::id::JobId;
use embargo_core::message::Channel;
use embargo_core::permission::Actor;
use embargo_core::private::Private;
use embargo_core::report::Submission;
use embargo_mail::outbound::{MailNotifier, OutboundConfig, Security};
use embargo_store::seal::SecretKey;
use embargo_store::{DatabaseUrl, OpenOptions};

struct Sink {
    child: Child,
    dir: tempfile::TempDir,
    port: u16,
}

impl Drop for Sink {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// Whether `program` runs with `args`; when not, says so, and fails under CI.
fn have(program: &str, args: &[&str]) -> bool {
    let found = Command::new(program).args(args).stdout(Stdio::null()).stderr(Stdio::null()).status();
    if found.is_ok_and(|s| s.success()) {
        return true;
    }
    assert!(std::env::var_os("CI").is_none(), "`{program} {args:?}` fails under CI; .ci/run installs it");
    eprintln!("`{program} {args:?}` fails: this test did not run (.ci/run installs what it needs)");
    false
}

/// Every mail in `maildir/new`.
fn maildir(dir: &std::path::Path) -> Vec<String> {
    std::fs::read_dir(dir.join("new"))
        .map(|entries| entries.filter_map(Result::ok).map(|e| std::fs::read_to_string(e.path()).unwrap()).collect())
        .unwrap_or_default()
}

/// Waits until something listens on `port` of loopback.
fn wait_for_port(port: u16, what: &str) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "{what} did not start");
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// An app on a fresh SQLite database with pallets/flask, a team lead, and one
/// report from ada@example.org; answers the app, the report and the directory to keep.
async fn fixture() -> (tempfile::TempDir, App, embargo_core::id::ReportId) {
    fixture_on(Arc::new(SystemClock)).await
}

/// The same on the given clock.
async fn fixture_on(clock: Arc<dyn embargo_app::clock::Clock>) -> (tempfile::TempDir, App, embargo_core::id::ReportId) {
    let tmp = tempfile::tempdir().unwrap();
    let mut secret = [0u8; 32];
    getrandom::fill(&mut secret).unwrap();
    let store = embargo_store::open(OpenOptions {
        url: DatabaseUrl::Sqlite(tmp.path().join("embargo.db")),
        secret: SecretKey::from_bytes(secret),
        create: true,
    })
    .await
    .unwrap();
    let app = App::new(store, clock, Arc::new(OsEntropy), AppConfig::default());
    let op = Actor::Operator;
    let org = NewOrganisation { slug: "pallets".into(), name: "Pallets".into(), advisory_prefix: None };
    app.create_organisation(&op, org).await.unwrap();
    let project = NewProject { slug: "flask".into(), name: "Flask".into(), repository_url: None, packages: Vec::new() };
    app.create_project(&op, &"pallets".parse().unwrap(), project).await.unwrap();
    let lead = NewAccount {
        email: "lead@example.org".into(),
        name: "Lead".into(),
        password: Private::new("a long password 1".into()),
    };
    app.create_user(&op, lead, false).await.unwrap();
    app.add_member(&op, &TeamRef::Organisation("pallets".parse().unwrap()), "lead@example.org").await.unwrap();
    let submission = Submission {
        title: "Secret title".into(),
        body: "Secret body".into(),
        reporter_email: Some("ada@example.org".into()),
        ..Submission::default()
    };
    let receipt = app
        .submit_report(
            &Actor::Anonymous,
            Envelope::form("pallets/flask".parse().unwrap(), submission, Vec::new(), Channel::Web),
        )
        .await
        .unwrap();
    (tmp, app, receipt.report_id)
}

impl Sink {
    fn start() -> Option<Sink> {
        if !have("python3", &["-c", "import aiosmtpd"]) {
            return None;
        }
        let (dir, port) = (tempfile::tempdir().unwrap(), free_port());
        let child = Command::new("python3")
            .args(["-m", "aiosmtpd", "-n", "-l", &format!("127.0.0.1:{port}"), "-c", "aiosmtpd.handlers.Mailbox"])
            .arg(dir.path().join("maildir"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        wait_for_port(port, "aiosmtpd");
        Some(Sink { child, dir, port })
    }

    fn mails(&self) -> Vec<String> {
        maildir(&self.dir.path().join("maildir"))
    }
}

/// The subject, unfolded (RFC 5322 section 2.2.3).
fn subject(mail: &str) -> String {
    let unfolded = mail.replace("\r\n ", " ").replace("\n ", " ");
    unfolded.lines().find_map(|l| l.strip_prefix("Subject: ")).unwrap_or_default().to_owned()
}

/// A header's value, unfolded (RFC 5322 section 2.2.3), from the mail's header block.
fn header_value(mail: &str, name: &str) -> Option<String> {
    let mail = mail.replace("\r\n", "\n");
    let head = mail.split("\n\n").next().unwrap_or_default();
    let unfolded = head.replace("\n ", " ").replace("\n\t", " ");
    unfolded.lines().find_map(|l| l.strip_prefix(&format!("{name}: ")).map(str::to_owned))
}

fn new_job() -> JobId {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).unwrap();
    JobId::from_uuid(uuid::Builder::from_random_bytes(bytes).into_uuid())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deadline_reminders_reach_the_team_state_changes_the_reporter_and_nothing_goes_twice() {
    let Some(sink) = Sink::start() else { return };
    let (_tmp, app, report) = fixture().await;
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
    let run = app.run_due_jobs("test", &Subscribers::standard(Arc::new(notifier.clone())), 10).await.unwrap();
    assert_eq!(run.done, 4, "the report's event fanned out, then the jobs of the mail, lab and webhook subscribers");
    assert_eq!(sink.mails().len(), 2, "a receipt to the reporter, news to the team");

    let reminder = Notice::DeadlineReminder {
        report,
        deadline: Deadline::Acknowledge,
        due: time::macros::datetime!(2026-03-04 12:00 UTC),
    };
    let job = new_job();
    notifier.deliver_job(&app, job, &reminder).await.unwrap();
    notifier.deliver_job(&app, job, &reminder).await.unwrap();
    let mails = sink.mails();
    assert_eq!(mails.len(), 3, "a retried job does not send again");
    let reminder_mail = mails.iter().find(|m| subject(m).contains("deadline")).unwrap();
    assert!(subject(reminder_mail).contains("the acknowledge deadline falls due on 2026-03-04"));
    assert!(reminder_mail.contains("To: Lead <lead@example.org>"), "{reminder_mail}");
    assert!(reminder_mail.contains("-internal@embargo.example"), "the team's replies to a reminder are internal");
    assert!(!reminder_mail.contains("Secret"), "no private text without the team member's key");

    let lead = app.act_as("lead@example.org").await.unwrap();
    app.transition_report(&lead, report, TransitionInput { to: "acknowledged".into(), ..TransitionInput::default() })
        .await
        .unwrap();
    app.run_due_jobs("test", &Subscribers::standard(Arc::new(notifier.clone())), 10).await.unwrap();
    let mails = sink.mails();
    let state = mails.iter().find(|m| subject(m).contains("now acknowledged")).unwrap();
    assert!(state.contains("To: ada@example.org"), "{state}");
    assert_eq!(mails.len(), 4, "state changes go to the reporter only");
}

/// Issue 10: an invitation goes to the invitee alone, with their private link
/// and none of the report's private text (no key of theirs is known), and the
/// link is forgotten once sent.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_invitation_reaches_the_invitee_alone_with_its_link_and_nothing_private() {
    let Some(sink) = Sink::start() else { return };
    let (_tmp, app, report) = fixture().await;
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
    let subscribers = Subscribers::standard(Arc::new(notifier.clone()));
    app.run_due_jobs("test", &subscribers, 10).await.unwrap();
    let before = sink.mails().len();

    let lead = app.act_as("lead@example.org").await.unwrap();
    app.post_message(&lead, report, "MARKER-INTERNAL-NOTE", embargo_core::message::Visibility::Internal, Channel::Web)
        .await
        .unwrap();
    app.run_due_jobs("test", &subscribers, 10).await.unwrap();
    // The note's author is the whole team here: nobody else is told of it.
    let before_invitation = sink.mails().len();
    assert_eq!(before_invitation, before);
    let new = embargo_app::NewCollaborator {
        email: "maintainer@upstream.example".into(),
        role: "collaborator".into(),
        sees_internal: false,
    };
    let invitation = app.invite_collaborator(&lead, report, new).await.unwrap();
    app.run_due_jobs("test", &subscribers, 10).await.unwrap();
    let mails = sink.mails();
    assert_eq!(mails.len(), before_invitation + 1, "one mail, to the invitee alone");
    let mail = mails.iter().find(|m| m.contains("To: maintainer@upstream.example")).unwrap();
    assert!(subject(mail).contains("invited you to work on this report"), "{}", subject(mail));
    // Quoted-printable soft line breaks (RFC 2045 section 6.7) may split the link.
    let unfolded = mail.replace("=\r\n", "").replace("=\n", "");
    let link = format!("https://security.example.org/follow/{}", invitation.token.expose());
    assert!(unfolded.contains(&link), "{mail}");
    for private in ["Secret title", "Secret body", "ada@example.org", "MARKER-INTERNAL-NOTE", "lead@example.org"] {
        assert!(!unfolded.contains(private), "{private} leaked into the invitation:\n{mail}");
    }
    let notice = Notice::CollaboratorInvited { report, collaborator: invitation.collaborator.id };
    let again = app.notice_mail(&notice).await.unwrap().unwrap();
    assert!(again.followup.is_none(), "the link is not kept once mailed");
}

const HAIKU: &str = "[[platforms]]\nname = \"Haiku\"\ntier = \"unsupported\"\n\
                     interested_parties = [\"haiku-port@ports.example\", \"haiku-keyed@ports.example\"]\n";

/// Issue 10, item 7: sharing a report with a platform's interested parties
/// mails each of them their redacted link, and nothing else of the report:
/// in clear to a party without a known key, encrypted to one whose key is
/// known. The link is forgotten once mailed, and the team sees when.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_share_reaches_each_party_with_their_link_encrypted_where_a_key_is_known_and_nothing_private() {
    let Some(sink) = Sink::start() else { return };
    let (_tmp, app, report) = fixture().await;
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
    let subscribers = Subscribers::standard(Arc::new(notifier.clone()));
    app.run_due_jobs("test", &subscribers, 10).await.unwrap();
    let before = sink.mails().len();
    let target = embargo_app::PolicyTarget::parse("pallets/flask").unwrap();
    app.apply_policy(&Actor::Operator, &target, HAIKU).await.unwrap();
    let key = embargo_mail::openpgp::generate_key("Haiku port <haiku-keyed@ports.example>").unwrap();
    let new_key = embargo_app::NewKey {
        fingerprint: key.fingerprint.clone(),
        public_key: key.public_key.clone(),
        secret_key: None,
    };
    app.put_openpgp_key(&Actor::Operator, &embargo_app::KeyFor::Email("haiku-keyed@ports.example".into()), new_key)
        .await
        .unwrap();
    let lead = app.act_as("lead@example.org").await.unwrap();
    app.post_message(&lead, report, "MARKER-INTERNAL-NOTE", embargo_core::message::Visibility::Internal, Channel::Web)
        .await
        .unwrap();
    let shares = app.share_report(&lead, report, "Haiku").await.unwrap();
    app.run_due_jobs("test", &subscribers, 20).await.unwrap();
    let mails = sink.mails();
    assert_eq!(mails.len(), before + 2, "one mail to each party, nobody else");
    let private = ["Secret title", "Secret body", "ada@example.org", "MARKER-INTERNAL-NOTE", "lead@example.org"];

    let clear = mails.iter().find(|m| m.contains("To: haiku-port@ports.example")).unwrap();
    assert!(subject(clear).contains("a report concerning Haiku is shared with you"), "{}", subject(clear));
    let unfolded = clear.replace("=\r\n", "").replace("=\n", "");
    let (plain_share, plain_token) =
        shares.iter().find(|(s, _)| s.party.as_str() == "haiku-port@ports.example").unwrap();
    assert!(unfolded.contains(&format!("https://security.example.org/shared/{}", plain_token.expose())), "{clear}");
    for marker in private {
        assert!(!unfolded.contains(marker), "{marker} leaked into the share mail:\n{clear}");
    }

    let sealed = mails.iter().find(|m| m.contains("To: haiku-keyed@ports.example")).unwrap();
    assert!(sealed.contains("multipart/encrypted"), "encrypted to the party's key:\n{sealed}");
    let (_, keyed_token) = shares.iter().find(|(s, _)| s.party.as_str() == "haiku-keyed@ports.example").unwrap();
    assert!(!sealed.contains(keyed_token.expose()), "the link is not in clear");
    let armored = &sealed[sealed.find("-----BEGIN PGP MESSAGE-----").unwrap()..];
    let armored = &armored[..armored.find("-----END PGP MESSAGE-----").unwrap() + 25];
    let ring = embargo_mail::openpgp::Keyring::new(&[key.secret_key.clone().unwrap()], &[]);
    let (plain, _) = ring.decrypt(armored.replace("\r\n", "\n").as_bytes()).unwrap();
    let plain = String::from_utf8(plain.expose().clone()).unwrap();
    assert!(plain.contains(&format!("https://security.example.org/shared/{}", keyed_token.expose())), "{plain}");
    for marker in private {
        assert!(!plain.contains(marker), "{marker} leaked into the encrypted share mail:\n{plain}");
    }

    // Mailed: the link is forgotten, and the team sees when it went out.
    let notice = Notice::ShareLink { report, share: plain_share.id };
    assert!(app.notice_mail(&notice).await.unwrap().unwrap().followup.is_none());
    let view = app.report(&lead, report).await.unwrap();
    let listed = view.team.unwrap().shares;
    assert_eq!(listed.len(), 2);
    assert!(listed.iter().all(|s| s.mailed_at.is_some()), "{listed:?}");
}
