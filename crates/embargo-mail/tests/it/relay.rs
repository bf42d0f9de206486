//! The relay connection with real peers: a throwaway CA and server
//! certificate made by `openssl` for this run, and `aiosmtpd`
//! (`tests/peers/smtp_server.py`) requiring STARTTLS or speaking TLS from the
//! first byte, with AUTH required. The notifier trusts the private CA through
//! `ca_file`; a wrong CA, a wrong password or no TLS fails with an error that
//! names the setting to check, and nothing is sent.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use embargo_app::{DeliveryError, Notice, Notifier};
use embargo_core::private::Private;
use embargo_mail::outbound::{MailNotifier, OutboundConfig, OutboundError, Security};

use crate::{fixture, free_port, have, maildir, new_job, subject, wait_for_port};

const USER: &str = "embargo";
const PASSWORD: &str = "relay password 1";

/// A CA, a server certificate it signed for 127.0.0.1, and an unrelated CA.
struct Pki {
    dir: tempfile::TempDir,
}

impl Pki {
    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn make() -> Pki {
        let pki = Pki { dir: tempfile::tempdir().unwrap() };
        let openssl = |args: &[&str]| {
            let out = Command::new("openssl").args(args).current_dir(pki.dir.path()).output().unwrap();
            assert!(out.status.success(), "openssl {args:?}: {}", String::from_utf8_lossy(&out.stderr));
        };
        let ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];
        for ca in ["ca", "other-ca"] {
            openssl(
                &[
                    &["req", "-x509", "-days", "2", "-subj", &format!("/CN=Embargo test {ca}")][..],
                    &ec,
                    &["-keyout", &format!("{ca}.key"), "-out", &format!("{ca}.pem")],
                    &[
                        "-addext",
                        "basicConstraints=critical,CA:TRUE",
                        "-addext",
                        "keyUsage=critical,keyCertSign,cRLSign",
                    ],
                ]
                .concat(),
            );
        }
        openssl(
            &[&["req", "-subj", "/CN=127.0.0.1"][..], &ec, &["-keyout", "server.key", "-out", "server.csr"]].concat(),
        );
        std::fs::write(
            pki.path("server.ext"),
            "subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=critical,CA:FALSE\n\
             keyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\n",
        )
        .unwrap();
        openssl(&[
            "x509",
            "-req",
            "-in",
            "server.csr",
            "-CA",
            "ca.pem",
            "-CAkey",
            "ca.key",
            "-set_serial",
            "2",
            "-days",
            "2",
            "-extfile",
            "server.ext",
            "-out",
            "server.pem",
        ]);
        pki
    }
}

/// `tests/peers/smtp_server.py` on loopback, killed on drop.
struct TlsServer {
    child: Child,
    maildir: tempfile::TempDir,
    port: u16,
}

impl Drop for TlsServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl TlsServer {
    fn start(mode: &str, pki: &Pki) -> TlsServer {
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/peers/smtp_server.py");
        let (maildir, port) = (tempfile::tempdir().unwrap(), free_port());
        let child = Command::new("python3")
            .arg(script)
            .args([mode, &port.to_string()])
            .arg(pki.path("server.pem"))
            .arg(pki.path("server.key"))
            .args([USER, PASSWORD])
            .arg(maildir.path().join("maildir"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        wait_for_port(port, "the TLS SMTP server");
        TlsServer { child, maildir, port }
    }

    fn mails(&self) -> Vec<String> {
        maildir(&self.maildir.path().join("maildir"))
    }
}

fn config(port: u16, security: Security, ca_file: &Path, password: &str) -> OutboundConfig {
    OutboundConfig {
        host: "127.0.0.1".into(),
        port,
        security,
        username: Some(USER.into()),
        password: Some(Private::new(password.into())),
        ca_file: Some(ca_file.to_owned()),
        from: "security@embargo.example".parse().unwrap(),
        public_url: "https://security.example.org".into(),
        link_only: false,
        receipts_per_hour: 5,
    }
}

fn peers_here() -> bool {
    have("python3", &["-c", "import aiosmtpd"]) && have("openssl", &["version"])
}

/// Delivers the report's receipt notice through `config`; answers the result.
async fn deliver(config: OutboundConfig) -> Result<(), DeliveryError> {
    let (_tmp, app, report) = fixture().await;
    let notifier = MailNotifier::new(config).unwrap();
    notifier.deliver_job(&app, new_job(), &Notice::ReportReceived { report }).await
}

fn failure(result: Result<(), DeliveryError>) -> String {
    match result {
        Err(DeliveryError::Temporary(why)) => why,
        other => panic!("expected a failure to retry, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn starttls_and_auth_with_a_private_ca_deliver_and_wrong_settings_fail_clearly() {
    if !peers_here() {
        return;
    }
    let pki = Pki::make();
    let server = TlsServer::start("starttls", &pki);
    let ca = pki.path("ca.pem");

    deliver(config(server.port, Security::StartTls, &ca, PASSWORD)).await.unwrap();
    let check = |security, ca: PathBuf, password: &'static str| {
        let notifier = MailNotifier::new(config(server.port, security, &ca, password)).unwrap();
        async move { notifier.check().await }
    };
    check(Security::StartTls, ca.clone(), PASSWORD).await.unwrap();
    let checked = check(Security::StartTls, pki.path("other-ca.pem"), PASSWORD).await.unwrap_err();
    assert!(checked.contains("ca_file"), "the start-up check names the setting: {checked}");
    let checked = check(Security::StartTls, ca.clone(), "not the password").await.unwrap_err();
    assert!(checked.contains("password"), "the start-up check names the setting: {checked}");
    let mails = server.mails();
    assert_eq!(mails.len(), 2, "the receipt and the team's news arrived over STARTTLS");
    assert!(mails.iter().all(|m| subject(m).starts_with("[pallets/flask] Report ")), "{mails:?}");
    assert!(mails.iter().any(|m| m.contains("To: ada@example.org")));

    let wrong_ca = failure(deliver(config(server.port, Security::StartTls, &pki.path("other-ca.pem"), PASSWORD)).await);
    assert!(wrong_ca.contains("TLS with the mail relay failed") && wrong_ca.contains("ca_file"), "{wrong_ca}");
    let wrong_password = failure(deliver(config(server.port, Security::StartTls, &ca, "not the password")).await);
    assert!(wrong_password.contains("refused") && wrong_password.contains("password"), "{wrong_password}");
    assert!(wrong_password.contains("535"), "the relay's answer is kept: {wrong_password}");
    // Without TLS the server does not even take the credentials.
    let plain = failure(deliver(config(server.port, Security::None, &ca, PASSWORD)).await);
    assert!(plain.contains("mail.relay.security"), "{plain}");
    assert_eq!(server.mails().len(), 2, "nothing more arrived");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn implicit_tls_and_auth_with_a_private_ca_deliver_and_a_wrong_ca_fails_clearly() {
    if !peers_here() {
        return;
    }
    let pki = Pki::make();
    let server = TlsServer::start("tls", &pki);
    deliver(config(server.port, Security::Tls, &pki.path("ca.pem"), PASSWORD)).await.unwrap();
    assert_eq!(server.mails().len(), 2, "the receipt and the team's news arrived over TLS");
    let wrong_ca = failure(deliver(config(server.port, Security::Tls, &pki.path("other-ca.pem"), PASSWORD)).await);
    assert!(wrong_ca.contains("TLS with the mail relay failed"), "{wrong_ca}");
    let wrong_password = failure(deliver(config(server.port, Security::Tls, &pki.path("ca.pem"), "nope")).await);
    assert!(wrong_password.contains("refused"), "{wrong_password}");
    assert_eq!(server.mails().len(), 2, "nothing more arrived");
}

#[tokio::test]
async fn a_ca_file_that_is_missing_or_not_pem_stops_the_notifier_naming_the_setting() {
    let dir = tempfile::tempdir().unwrap();
    let missing =
        MailNotifier::new(config(25, Security::StartTls, &dir.path().join("none.pem"), PASSWORD)).unwrap_err();
    let not_pem = dir.path().join("garbage.pem");
    std::fs::write(&not_pem, "this is not a certificate").unwrap();
    let garbage = MailNotifier::new(config(25, Security::StartTls, &not_pem, PASSWORD)).unwrap_err();
    for error in [missing, garbage] {
        let OutboundError::Setting { setting, .. } = &error;
        assert_eq!(*setting, "ca_file", "{error}");
        assert!(error.to_string().starts_with("mail relay ca_file: "), "{error}");
        assert!(error.to_string().contains(".pem"), "the file is named: {error}");
    }
}
