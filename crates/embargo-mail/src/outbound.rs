//! Notifications by mail through an SMTP relay: one mail per recipient,
//! encrypted (PGP/MIME, RFC 3156) when their key is known, otherwise saying
//! only that there is news and where; signed with the organisation's key
//! when the key store holds its key pair (inside the encryption, or as
//! `multipart/signed`). Every mail threads back into the report.

mod relay;

use std::fmt::Write as _;
use std::path::PathBuf;
use std::sync::Arc;

use embargo_app::{App, DeliveryError, News, Notice, NoticeMail, Notifier, Recipient, Side, SignupMailKind};
use embargo_core::Timestamp;
use embargo_core::collaborator::CollaboratorRole;
use embargo_core::id::{JobId, ProjectId, SignupId};
use embargo_core::message::{AuthorRole, Visibility};
use embargo_core::private::Private;
use embargo_core::text::Email;
use lettre::message::header::{ContentType, HeaderName, HeaderValue};
use lettre::message::{Mailbox, MultiPart, SinglePart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Certificate, TlsParameters};
use sha2::{Digest, Sha256};

use crate::openpgp;

/// How the connection to the relay is secured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Security {
    /// Plain SMTP; only for a relay on this machine.
    None,
    /// STARTTLS, required (port 587).
    StartTls,
    /// TLS from the first byte (port 465).
    Tls,
}

/// The SMTP relay and how mail is addressed.
#[derive(Debug, Clone)]
pub struct OutboundConfig {
    /// The relay's host name.
    pub host: String,
    /// Its port.
    pub port: u16,
    /// Connection security.
    pub security: Security,
    /// A user name to authenticate with.
    pub username: Option<String>,
    /// Its password.
    pub password: Option<Private<String>>,
    /// A PEM file of extra CA certificates for the relay (a private CA).
    pub ca_file: Option<PathBuf>,
    /// The sender address; reply addresses are `local+TOKEN@domain` of it.
    pub from: Email,
    /// Where people read reports (`https://security.example.org`).
    pub public_url: String,
    /// Never send private text, even encrypted (a policy may require this).
    pub link_only: bool,
    /// The most receipts one address gets per hour (no answer storms).
    pub receipts_per_hour: u64,
}

/// Why the relay could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum OutboundError {
    /// The relay's settings are wrong.
    #[error("mail relay {setting}: {reason}")]
    Setting {
        /// The setting.
        setting: &'static str,
        /// What is wrong.
        reason: String,
    },
}

/// Sends notices as mail.
#[derive(Debug, Clone)]
pub struct MailNotifier {
    config: OutboundConfig,
    relay: Arc<relay::Relay>,
}

impl MailNotifier {
    /// Connects lazily to the relay described by `config`.
    pub fn new(config: OutboundConfig) -> Result<MailNotifier, OutboundError> {
        let setting = |setting: &'static str| {
            move |e: lettre::transport::smtp::Error| OutboundError::Setting { setting, reason: e.to_string() }
        };
        let tls_parameters = || -> Result<TlsParameters, OutboundError> {
            let mut builder = TlsParameters::builder(config.host.clone());
            if let Some(path) = &config.ca_file {
                let pem = std::fs::read(path).map_err(|e| OutboundError::Setting {
                    setting: "ca_file",
                    reason: format!("cannot read {}: {e}", path.display()),
                })?;
                // A file without a certificate would leave the relay trusted by nothing but the system's CAs.
                if !pem.windows(27).any(|w| w == b"-----BEGIN CERTIFICATE-----") {
                    return Err(OutboundError::Setting {
                        setting: "ca_file",
                        reason: format!("{} holds no PEM certificate", path.display()),
                    });
                }
                builder = builder.add_root_certificate(Certificate::from_pem(&pem).map_err(setting("ca_file"))?);
            }
            builder.build_rustls().map_err(setting("host"))
        };
        let reach = match config.security {
            Security::None => relay::Reach::Plain,
            Security::StartTls => relay::Reach::StartTls(tls_parameters()?),
            Security::Tls => relay::Reach::Tls(tls_parameters()?),
        };
        let credentials = match (&config.username, &config.password) {
            (Some(user), Some(password)) => Some(Credentials::new(user.clone(), password.expose().clone())),
            _ => None,
        };
        let relay = relay::Relay::new(config.host.clone(), config.port, reach, credentials);
        Ok(MailNotifier { relay: Arc::new(relay), config })
    }

    /// Connects to the relay as a delivery does (TLS, credentials) without
    /// sending anything; on failure, says what is wrong and which setting to check.
    pub async fn check(&self) -> Result<(), String> {
        let relay = format!("{}:{}", self.config.host, self.config.port);
        match self.relay.check().await {
            Ok(true) => Ok(()),
            Ok(false) => Err(format!("the mail relay {relay} did not answer (check mail.relay.host and port)")),
            Err(e) => Err(match SendFailure::of(&e) {
                SendFailure::Relay(why) => why,
                SendFailure::Recipient | SendFailure::Temporary => {
                    format!("the mail relay {relay} cannot be used: {e} (check mail.relay.host and port)")
                }
            }),
        }
    }

    fn domain(&self) -> &str {
        self.config.from.as_str().rsplit_once('@').map_or("localhost", |(_, d)| d)
    }

    fn reply_address(&self, token: &str, internal: bool) -> String {
        let (local, domain) = self.config.from.as_str().rsplit_once('@').unwrap_or(("security", "localhost"));
        let suffix = if internal { embargo_app::INTERNAL_SUFFIX } else { "" };
        format!("{local}+{token}{suffix}@{domain}")
    }
}

fn raw_header(name: &'static str, value: &str) -> HeaderValue {
    HeaderValue::new(HeaderName::new_from_ascii_str(name), value.to_owned())
}

fn short(report: &embargo_core::id::ReportId) -> String {
    report.to_string().chars().take(8).collect()
}

/// The headline: what happened, without private text.
fn headline(news: &News, to: &Recipient) -> String {
    let side = to.side;
    match news {
        News::Received if side == Side::Reporter => "your report was received".into(),
        News::Received => "a new report arrived".into(),
        News::Message { author: AuthorRole::Reporter, .. } => "the reporter wrote a message".into(),
        News::Message { visibility: Visibility::Internal, .. } => "a team member added an internal note".into(),
        News::Message { .. } => "the security team wrote a message".into(),
        News::State { to } => format!("the report is now {}", to.phrase()),
        News::Deadline { deadline, due } => {
            let date = due.date();
            format!("the {deadline} deadline falls due on {date}")
        }
        News::Published { advisory, .. } => format!("advisory {advisory} was published"),
        News::OriginalEnded { original, to } => {
            format!("the report yours duplicates ({}) is now {}", short(original), to.phrase())
        }
        News::Embargo { until: Some(until) } => format!("the embargo now ends {}", to.zone.show(until.at)),
        News::Embargo { until: None } => "the embargo end was lifted".into(),
        News::EmbargoEnding { until } => format!("the embargo ends {}", to.zone.show(until.at)),
        News::PublicationRefused { advisory } => {
            format!("the scheduled publication of {advisory} was refused: the report is not fixed")
        }
        News::Overdue { deadline, due } => {
            let date = due.date();
            format!("the {deadline} deadline passed on {date}: the whole team is told")
        }
        News::Invited { role: CollaboratorRole::Reporter, .. } => {
            "the security team invited you to this report as a co-finder".into()
        }
        News::Invited { role: CollaboratorRole::Collaborator, .. } => {
            "the security team invited you to work on this report".into()
        }
        News::Shared { platform, .. } => format!("a report concerning {platform} is shared with you"),
        News::CreditChosen => "a finder changed how the advisory credits them".into(),
        News::PublicIssueProposed => {
            "the security team proposes to make your declined report a public issue: please answer".into()
        }
        News::PublicIssueAnswered { answer } => match answer {
            embargo_core::public_issue::Answer::Named => "the reporter agreed to a public issue naming them".into(),
            embargo_core::public_issue::Answer::Anonymous => {
                "the reporter agreed to a public issue without their name".into()
            }
            embargo_core::public_issue::Answer::Objected => "the reporter objected to a public issue".into(),
            embargo_core::public_issue::Answer::Pending => "the public issue waits for the reporter's answer".into(),
        },
    }
}

/// Whether replies from this recipient become internal notes.
fn replies_are_internal(news: &News, side: Side) -> bool {
    side == Side::Team
        && matches!(
            news,
            News::Message { visibility: Visibility::Internal, .. } | News::Deadline { .. } | News::Overdue { .. }
        )
}

impl MailNotifier {
    /// The text of one mail: everything when it will be encrypted, else only the news and the link.
    fn text(&self, mail: &NoticeMail, to: &Recipient, encrypted: bool) -> String {
        if let (Side::Interested, News::Shared { platform, .. }) = (to.side, &mail.news) {
            return self.share_text(mail, platform);
        }
        let link = format!("{}/reports/{}", self.config.public_url, mail.report);
        // A reporter without an account reads the report through the private
        // link of their receipt; the report's own address is not theirs.
        let followup = match &mail.followup {
            Some(token) if encrypted || !mail.arrived_encrypted => Some(token),
            Some(_) | None => None,
        };
        // So does an invitee without an account, through the link of their invitation.
        let anonymous_reporter = to.side != Side::Team && !to.account;
        let link = match (anonymous_reporter, followup) {
            (false, _) => link,
            (true, Some(token)) => format!("{}/follow/{}", self.config.public_url, token.expose()),
            (true, None) if to.side == Side::Collaborator => {
                format!("the private link of your invitation (in the browser where you opened it: {link})")
            }
            (true, None) => {
                format!("the private follow-up link of your receipt (in the browser where you opened it: {link})")
            }
        };
        let mut text = String::new();
        let _ = writeln!(
            text,
            "Report {} of {}/{}: {}.",
            mail.report,
            mail.org.slug,
            mail.project.slug,
            headline(&mail.news, to)
        );
        let _ = writeln!(text);
        if encrypted {
            let details = mail.details.expose();
            let _ = writeln!(text, "Title: {}", details.title);
            if let Some(author) = &details.author {
                let _ = writeln!(text, "From: {author}");
            }
            if let Some(body) = &details.text {
                let _ = writeln!(text, "\n{body}\n");
            }
        } else {
            let _ = writeln!(text, "For your privacy and the report's, this mail holds no details.");
        }
        let _ = writeln!(text, "Read it at {link}");
        if let Some(original) = mail.duplicate_of {
            let _ = writeln!(
                text,
                "\nIt duplicates report {original}, reported earlier. You will hear how that report ends."
            );
        }
        if let News::Published { advisory, summary, credit } = &mail.news {
            let _ =
                writeln!(text, "\n{advisory}: {summary}\n{credit}\n{}/advisories/{advisory}", self.config.public_url);
        }
        if let (Side::Collaborator, News::Invited { .. }) = (to.side, &mail.news) {
            let _ = writeln!(
                text,
                "\nThe link above is yours alone: it opens this one report until the team revokes the invitation."
            );
        }
        if to.side == Side::Reporter && mail.news == News::Received {
            match &mail.followup {
                Some(token) if encrypted || !mail.arrived_encrypted => {
                    let _ = writeln!(
                        text,
                        "\nKeep this private follow-up token: with it you can read and answer the report.\n  {}",
                        token.expose()
                    );
                }
                Some(_) => {
                    let _ = writeln!(
                        text,
                        "\nYou wrote encrypted: send us your OpenPGP key to get your private follow-up link."
                    );
                }
                None => {}
            }
            if !mail.refused.is_empty() {
                let _ = writeln!(text, "\nNot everything you sent was kept:");
                for line in &mail.refused {
                    let _ = writeln!(text, "- {line}");
                }
            }
            // A notice that names what the report is about (its platform, lines or
            // feature) goes out only where the report's text may.
            let (said, withheld): (Vec<_>, Vec<_>) =
                mail.notices.iter().partition(|n| encrypted || !n.names_report_details());
            if !said.is_empty() {
                let _ = writeln!(text, "\nWhat the security policy says about your report:");
                for notice in said {
                    let _ = writeln!(text, "- {}", notice.message());
                }
            }
            if !withheld.is_empty() {
                let _ = writeln!(
                    text,
                    "\nThe security policy has {} more remark(s) on your report that name its details: \
                     read them with the report.",
                    withheld.len()
                );
            }
        }
        let answer = if replies_are_internal(&mail.news, to.side) {
            "Replies to this mail become internal notes of the team."
        } else if to.side == Side::Team {
            "Replies to this mail go to the reporter."
        } else if to.side == Side::Collaborator {
            "Write to the team on the report's page: replies to this mail are not read."
        } else {
            "Reply to this mail to answer the security team."
        };
        let _ = writeln!(text, "\n{answer}");
        text
    }

    /// The mail to an interested party (issue 10, item 7): the redacted,
    /// read-only link and what it is, nothing of the report itself (the
    /// link shows the redacted copy: what is wrong, not who found it).
    fn share_text(&self, mail: &NoticeMail, platform: &str) -> String {
        let mut text = String::new();
        let _ = writeln!(
            text,
            "The security team of {}/{} shares a report with you, because it concerns {platform}, a platform \
             you maintain.",
            mail.org.slug, mail.project.slug
        );
        let _ = writeln!(text);
        match &mail.followup {
            Some(token) => {
                let _ = writeln!(
                    text,
                    "Read the redacted, read-only copy at:\n  {}/shared/{}",
                    self.config.public_url,
                    token.expose()
                );
                let _ = writeln!(
                    text,
                    "\nThe link is yours alone: keep it private and do not forward this mail. The vulnerability is \
                     not public yet."
                );
            }
            None => {
                let _ = writeln!(text, "Ask the security team for the link: it was not kept for this mail.");
            }
        }
        let _ = writeln!(text, "\nWrite to the security team to answer: replies to this mail are not read.");
        text
    }

    /// Builds one mail: encrypted (and signed) when the recipient's key is
    /// known, else signed when the organisation holds a key pair (RFC 3156),
    /// else plain. `signing_key` is the organisation's secret key; `now`
    /// the signatures' time.
    fn compose(
        &self,
        job: JobId,
        mail: &NoticeMail,
        to: &Recipient,
        signing_key: Option<&Private<String>>,
        now: Timestamp,
    ) -> Result<(lettre::Message, String, bool), DeliveryError> {
        let permanent = |what: &str, e: String| DeliveryError::Permanent(format!("{what}: {e}"));
        let key = to.public_key.as_deref().filter(|_| !self.config.link_only);
        let recipient_hash: String =
            Sha256::digest(to.email.as_str().as_bytes()).iter().take(6).map(|b| format!("{b:02x}")).collect();
        let message_id = format!("{job}.{recipient_hash}@{}", self.domain());
        let root = format!("report.{}@{}", mail.report, self.domain());
        let mut references = vec![format!("<{root}>")];
        if let Some(original) = &mail.original {
            references.push(format!("<{original}>"));
        }
        let in_reply_to = references.last().cloned().unwrap_or_default();
        let internal = replies_are_internal(&mail.news, to.side);
        let reply: Mailbox = self
            .reply_address(mail.reply_token.expose(), internal)
            .parse()
            .map_err(|e: lettre::address::AddressError| permanent("reply address", e.to_string()))?;
        let from = Mailbox::new(
            Some(format!("{} security", mail.org.name)),
            self.config
                .from
                .as_str()
                .parse()
                .map_err(|e: lettre::address::AddressError| permanent("from", e.to_string()))?,
        );
        let to_box = Mailbox::new(
            to.name.clone(),
            to.email.as_str().parse().map_err(|e: lettre::address::AddressError| permanent("to", e.to_string()))?,
        );
        let subject = format!(
            "[{}/{}] Report {}: {}",
            mail.org.slug,
            mail.project.slug,
            short(&mail.report),
            headline(&mail.news, to)
        );
        let builder = lettre::Message::builder()
            .from(from)
            .to(to_box)
            .reply_to(reply)
            .subject(subject)
            .message_id(Some(format!("<{message_id}>")))
            .in_reply_to(in_reply_to)
            .references(references.join(" "));
        let mut message = match (key, signing_key) {
            (Some(key), _) => {
                let entity = format!(
                    "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n{}",
                    self.text(mail, to, true).replace('\n', "\r\n")
                );
                let armored = match signing_key {
                    // RFC 3156 section 6.2: signed and encrypted in one OpenPGP message.
                    Some(secret) => openpgp::sign_and_encrypt(key, secret, entity.as_bytes(), now).or_else(|e| {
                        tracing::error!(report = %mail.report, error = %e, "the organisation's key cannot sign: mail sent unsigned");
                        openpgp::encrypt(key, entity.as_bytes())
                    }),
                    None => openpgp::encrypt(key, entity.as_bytes()),
                }
                .map_err(|e| permanent("encrypting to the recipient's key", e.to_string()))?;
                let control = SinglePart::builder()
                    .header(
                        ContentType::parse("application/pgp-encrypted")
                            .map_err(|e| permanent("content type", e.to_string()))?,
                    )
                    .body(String::from("Version: 1\r\n"));
                let data = SinglePart::builder()
                    .header(
                        ContentType::parse("application/octet-stream; name=\"encrypted.asc\"")
                            .map_err(|e| permanent("content type", e.to_string()))?,
                    )
                    .body(armored);
                let parts =
                    MultiPart::encrypted("application/pgp-encrypted".into()).singlepart(control).singlepart(data);
                builder.multipart(parts).map_err(|e| permanent("composing", e.to_string()))?
            }
            (None, Some(secret)) => {
                let text = SinglePart::plain(self.text(mail, to, false));
                match signed(text.clone(), secret, now) {
                    Ok(parts) => builder.multipart(parts),
                    Err(e) => {
                        tracing::error!(report = %mail.report, error = %e, "the organisation's key cannot sign: mail sent unsigned");
                        builder.singlepart(text)
                    }
                }
                .map_err(|e| permanent("composing", e.to_string()))?
            }
            (None, None) => builder
                .header(ContentType::TEXT_PLAIN)
                .body(self.text(mail, to, false))
                .map_err(|e| permanent("composing", e.to_string()))?,
        };
        // RFC 3834 section 5: an automatic message, so responders do not answer it.
        message.headers_mut().insert_raw(raw_header("Auto-Submitted", "auto-generated"));
        message.headers_mut().insert_raw(raw_header("X-Auto-Response-Suppress", "All"));
        Ok((message, message_id, key.is_some()))
    }

    /// The mail a sign-up asks for (issue 12): the confirmation link, or,
    /// when the address has an account, a note saying so. Either way the
    /// sealed token is then forgotten.
    async fn deliver_signup(&self, app: &App, request: SignupId) -> Result<(), DeliveryError> {
        let temporary = |e: embargo_app::AppError| DeliveryError::Temporary(e.to_string());
        let permanent = |what: &str, e: String| DeliveryError::Permanent(format!("{what}: {e}"));
        let Some(mail) = app.signup_mail(request).await.map_err(temporary)? else { return Ok(()) };
        let url = &self.config.public_url;
        let hours = embargo_app::SIGNUP_LINK_TTL.whole_hours();
        let (subject, text) = match &mail.kind {
            SignupMailKind::Confirm { token } => (
                "Confirm your address to finish signing up",
                format!(
                    "Hello {},\n\nTo finish creating your account on {url}, open this link within {hours} hours \
                     and confirm:\n\n  {url}/signup/confirm/{}\n\n\
                     If you did not ask for an account, ignore this mail: nothing is made without the link.\n",
                    mail.name,
                    token.expose()
                ),
            ),
            SignupMailKind::AlreadyRegistered => (
                "You already have an account",
                format!(
                    "Hello,\n\nSomeone asked to create an account on {url} with this address, which already \
                     has one. To use it, sign in at {url}/login.\n\n\
                     If it was not you, you can ignore this mail: nothing changed.\n"
                ),
            ),
        };
        let from: Mailbox = self
            .config
            .from
            .as_str()
            .parse()
            .map_err(|e: lettre::address::AddressError| permanent("from", e.to_string()))?;
        let to: Mailbox =
            mail.email.as_str().parse().map_err(|e: lettre::address::AddressError| permanent("to", e.to_string()))?;
        let mut message = lettre::Message::builder()
            .from(from)
            .to(to)
            .subject(subject)
            .message_id(Some(format!("<signup.{request}@{}>", self.domain())))
            .header(ContentType::TEXT_PLAIN)
            .body(text)
            .map_err(|e| permanent("composing", e.to_string()))?;
        message.headers_mut().insert_raw(raw_header("Auto-Submitted", "auto-generated"));
        match self.relay.send(&message).await {
            Ok(_) => {
                metrics::counter!("embargo_mail_sent_total").increment(1);
                app.signup_mail_sent(request).await.map_err(temporary)
            }
            Err(e) => match SendFailure::of(&e) {
                SendFailure::Relay(why) => Err(DeliveryError::Temporary(why)),
                SendFailure::Recipient => {
                    tracing::error!(error = %e, "the relay refused a sign-up mail for good");
                    app.signup_mail_sent(request).await.map_err(temporary)
                }
                SendFailure::Temporary => Err(DeliveryError::Temporary(e.to_string())),
            },
        }
    }

    /// A flood's notice (issue 12): the team is not mailed for each report
    /// beyond the first few while they keep arriving, and one mail says so
    /// and where they are. Names only: nothing about any report.
    async fn deliver_flood(&self, app: &App, job: JobId, project: ProjectId) -> Result<(), DeliveryError> {
        let permanent = |what: &str, e: String| DeliveryError::Permanent(format!("{what}: {e}"));
        let temporary = |e: embargo_app::AppError| DeliveryError::Temporary(e.to_string());
        let Some(mail) = app.flood_mail(project).await.map_err(temporary)? else { return Ok(()) };
        let path = format!("{}/{}", mail.org.slug, mail.project.slug);
        let (after, minutes) =
            (embargo_core::throttle::COALESCE_AFTER, embargo_core::throttle::COALESCE_WINDOW.whole_minutes());
        let text = format!(
            "Reports to {path} are arriving quickly: more than {after} in {minutes} minutes. To keep your inbox \
             usable, the team is not mailed for each further report until fewer than {after} arrive in \
             {minutes} minutes. Every one of them is in the queue:\n\n  {}/reports?project={path}\n",
            self.config.public_url
        );
        let from = Mailbox::new(
            Some(format!("{} security", mail.org.name)),
            self.config
                .from
                .as_str()
                .parse()
                .map_err(|e: lettre::address::AddressError| permanent("from", e.to_string()))?,
        );
        let mut failure = None;
        for (n, (email, name)) in mail.recipients.iter().enumerate() {
            let to = Mailbox::new(
                Some(name.clone()),
                email.as_str().parse().map_err(|e: lettre::address::AddressError| permanent("to", e.to_string()))?,
            );
            let mut message = lettre::Message::builder()
                .from(from.clone())
                .to(to)
                .subject(format!("[{path}] Many reports are arriving: notices are held"))
                .message_id(Some(format!("<{job}.digest.{n}@{}>", self.domain())))
                .header(ContentType::TEXT_PLAIN)
                .body(text.clone())
                .map_err(|e| permanent("composing", e.to_string()))?;
            message.headers_mut().insert_raw(raw_header("Auto-Submitted", "auto-generated"));
            match self.relay.send(&message).await {
                Ok(_) => metrics::counter!("embargo_mail_sent_total").increment(1),
                Err(e) => match SendFailure::of(&e) {
                    SendFailure::Relay(why) => return Err(DeliveryError::Temporary(why)),
                    SendFailure::Recipient => tracing::error!(error = %e, "the relay refused a digest for good"),
                    SendFailure::Temporary => failure = Some(e.to_string()),
                },
            }
        }
        match failure {
            Some(why) => Err(DeliveryError::Temporary(why)),
            None => Ok(()),
        }
    }

    /// The daily audit checkpoint (issue 12), in plain text to each
    /// administrator: it holds the log's length and head hash and its
    /// signature, nothing private. A retried job may send it again to some.
    async fn deliver_checkpoint(&self, app: &App, job: JobId) -> Result<(), DeliveryError> {
        let permanent = |what: &str, e: String| DeliveryError::Permanent(format!("{what}: {e}"));
        let mail = app.checkpoint_mail().await.map_err(|e| DeliveryError::Temporary(e.to_string()))?;
        let from: Mailbox = self
            .config
            .from
            .as_str()
            .parse()
            .map_err(|e: lettre::address::AddressError| permanent("from", e.to_string()))?;
        let events = mail.checkpoint.checkpoint.events;
        let text = format!(
            "The audit log of {} holds {events} events. Its signed checkpoint:\n\n{}\n\
             Keep this mail. To check later that the log still extends it (nothing cut, wiped or rewritten), \
             save the checkpoint to a file and run on the server:\n  embargo audit verify --checkpoint FILE\n",
            self.config.public_url, mail.checkpoint.text
        );
        let mut failure = None;
        for (n, to) in mail.recipients.iter().enumerate() {
            let to: Mailbox =
                to.as_str().parse().map_err(|e: lettre::address::AddressError| permanent("to", e.to_string()))?;
            let mut message = lettre::Message::builder()
                .from(from.clone())
                .to(to)
                .subject(format!("Audit checkpoint: {events} events"))
                .message_id(Some(format!("<{job}.checkpoint.{n}@{}>", self.domain())))
                .header(ContentType::TEXT_PLAIN)
                .body(text.clone())
                .map_err(|e| permanent("composing", e.to_string()))?;
            message.headers_mut().insert_raw(raw_header("Auto-Submitted", "auto-generated"));
            match self.relay.send(&message).await {
                Ok(_) => metrics::counter!("embargo_mail_sent_total").increment(1),
                Err(e) => match SendFailure::of(&e) {
                    SendFailure::Relay(why) => return Err(DeliveryError::Temporary(why)),
                    SendFailure::Recipient => {
                        tracing::error!(error = %e, "the relay refused a checkpoint mail for good")
                    }
                    SendFailure::Temporary => failure = Some(e.to_string()),
                },
            }
        }
        match failure {
            Some(why) => Err(DeliveryError::Temporary(why)),
            None => Ok(()),
        }
    }
}

/// `part` signed with the organisation's key: a PGP/MIME `multipart/signed`
/// (RFC 3156 section 5) whose second part is a detached signature over the
/// first exactly as it goes out (headers included, CRLF line endings; the
/// line ending before the next delimiter belongs to the delimiter).
fn signed(part: SinglePart, secret_key: &Private<String>, now: Timestamp) -> Result<MultiPart, openpgp::PgpError> {
    let entity = part.formatted();
    let content = entity.strip_suffix(b"\r\n").unwrap_or(&entity);
    let signature = openpgp::sign_detached(secret_key, content, now)?;
    let signature = SinglePart::builder()
        .header(
            ContentType::parse("application/pgp-signature; name=\"signature.asc\"")
                .map_err(|e| openpgp::PgpError::Failed(e.to_string()))?,
        )
        .body(signature);
    Ok(MultiPart::signed("application/pgp-signature".into(), "pgp-sha256".into())
        .singlepart(part)
        .singlepart(signature))
}

/// What a failed send means for the job.
#[derive(Debug, Clone, PartialEq, Eq)]
enum SendFailure {
    /// The relay cannot be used as configured (TLS, credentials): no mail
    /// can go out until a setting is fixed. Says which.
    Relay(String),
    /// The relay refused this one mail for good (an unknown recipient).
    Recipient,
    /// Worth trying again later.
    Temporary,
}

impl SendFailure {
    fn of(error: &relay::RelayError) -> SendFailure {
        let error = match error {
            // Refused, unreachable or timed out: the relay may be back later.
            relay::RelayError::Connect(_) => return SendFailure::Temporary,
            relay::RelayError::Smtp(error) => error,
        };
        // RFC 4954 section 6: 530 authentication required, 534 mechanism too
        // weak, 535 credentials invalid, 538 encryption required; 454 is a
        // temporary authentication failure.
        const AUTH_CODES: [u16; 5] = [454, 530, 534, 535, 538];
        // lettre reports a failed handshake (an untrusted certificate) as a
        // connection error with rustls's reason in its text.
        let text = error.to_string().to_ascii_lowercase();
        let handshake =
            error.status().is_none() && ["certificate", "handshake", "tls"].iter().any(|w| text.contains(w));
        if error.is_tls() || handshake {
            return SendFailure::Relay(format!(
                "TLS with the mail relay failed (check mail.relay.host, security and ca_file): {error}"
            ));
        }
        if error.status().is_some_and(|code| AUTH_CODES.contains(&u16::from(code)))
            || (error.is_client() && text.contains("authentication"))
        {
            return SendFailure::Relay(format!(
                "the mail relay refused our session (check mail.relay.security, username and password): {error}"
            ));
        }
        if error.is_permanent() { SendFailure::Recipient } else { SendFailure::Temporary }
    }
}

#[async_trait::async_trait]
impl Notifier for MailNotifier {
    async fn deliver(&self, _app: &App, _notice: &Notice) -> Result<(), DeliveryError> {
        Err(DeliveryError::Permanent("mail notices are sent from the job runner, which names the job".into()))
    }

    async fn deliver_job(&self, app: &App, job: JobId, notice: &Notice) -> Result<(), DeliveryError> {
        let temporary = |e: embargo_app::AppError| DeliveryError::Temporary(e.to_string());
        match notice {
            Notice::AuditCheckpoint => return self.deliver_checkpoint(app, job).await,
            Notice::SignupConfirmation { request } => return self.deliver_signup(app, *request).await,
            Notice::IntakeFlood { project } => return self.deliver_flood(app, job, *project).await,
            Notice::ReportReceived { .. }
            | Notice::MessagePosted { .. }
            | Notice::StateChanged { .. }
            | Notice::AdvisoryPublished { .. }
            | Notice::DeadlineReminder { .. }
            | Notice::DeadlinePassed { .. }
            | Notice::CollaboratorInvited { .. }
            | Notice::OriginalEnded { .. }
            | Notice::EmbargoChanged { .. }
            | Notice::EmbargoEnding { .. }
            | Notice::PublicationRefused { .. }
            | Notice::ShareLink { .. }
            | Notice::CreditChosen { .. }
            | Notice::PublicIssueProposed { .. }
            | Notice::PublicIssueAnswered { .. } => {}
        }
        let Some(mail) = app.notice_mail(notice).await.map_err(temporary)? else {
            return Ok(());
        };
        let root = format!("report.{}@{}", mail.report, self.domain());
        app.record_thread_root(mail.report, &root).await.map_err(temporary)?;
        let signing_key = app.mail_signing_key(mail.org.id).await.map_err(temporary)?;
        let mut failure = None;
        for to in &mail.recipients {
            if app.mail_already_sent(job, &to.email).await.map_err(temporary)? {
                continue;
            }
            let is_receipt = to.side == Side::Reporter && mail.news == News::Received;
            if is_receipt
                && app
                    .mails_sent_recently(&to.email, time::Duration::hours(1), self.config.receipts_per_hour)
                    .await
                    .map_err(temporary)?
                    >= self.config.receipts_per_hour
            {
                tracing::warn!(report = %mail.report, "receipt not sent: this address got too many mails in the last hour");
                continue;
            }
            let (message, message_id, encrypted) = match self.compose(job, &mail, to, signing_key.as_ref(), app.now()) {
                Ok(composed) => composed,
                Err(e) => {
                    tracing::error!(report = %mail.report, error = %e, "a notification cannot be composed");
                    continue;
                }
            };
            // Noted before the relay hears of it: a note found here means an
            // earlier attempt died between handing the mail over and saying so.
            if !app.begin_mail_sending(job, &to.email).await.map_err(temporary)? {
                tracing::warn!(
                    report = %mail.report, job = %job,
                    "a notification was being sent when its worker stopped; not sent again (at most once)"
                );
                metrics::counter!("embargo_mail_in_doubt_total").increment(1);
                continue;
            }
            let sent = self.relay.send(&message).await;
            if sent.is_err() {
                // The relay did not confirm taking it, so a retry may send it. A
                // connection lost between the end of data and the relay's reply is
                // the one case where the relay may have it anyway (RFC 5321 section
                // 6.1): that retry repeats the mail.
                app.forget_mail_sending(job, &to.email).await.map_err(temporary)?;
            }
            match sent {
                Ok(_) => {
                    tracing::info!(report = %mail.report, encrypted, "notification sent");
                    metrics::counter!("embargo_mail_sent_total").increment(1);
                    app.record_mail_sent(job, mail.report, &to.email, &message_id, is_receipt)
                        .await
                        .map_err(temporary)?;
                    if let News::Invited { collaborator, .. } = &mail.news {
                        app.invitation_sent(*collaborator).await.map_err(temporary)?;
                    }
                    if let News::Shared { share, .. } = &mail.news {
                        app.share_mailed(*share).await.map_err(temporary)?;
                    }
                }
                Err(e) => match SendFailure::of(&e) {
                    SendFailure::Relay(why) => {
                        // Every other mail would fail alike: the job waits for the setting to be fixed.
                        tracing::error!(report = %mail.report, error = %why, "the mail relay cannot be used; will retry");
                        return Err(DeliveryError::Temporary(why));
                    }
                    SendFailure::Recipient => {
                        tracing::error!(report = %mail.report, error = %e, "the relay refused a notification for good");
                    }
                    SendFailure::Temporary => {
                        tracing::warn!(report = %mail.report, error = %e, "the relay failed; will retry");
                        failure = Some(e.to_string());
                    }
                },
            }
        }
        match failure {
            Some(why) => Err(DeliveryError::Temporary(why)),
            None => Ok(()),
        }
    }
}
