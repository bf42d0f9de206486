//! The e-mail channel's records: security addresses (routes), reply-address
//! tokens, Message-IDs received and sent, OpenPGP keys, and delivered
//! notifications. Secret keys, receipt tokens and refusal notes are sealed here.

use std::fmt;
use std::ops::DerefMut;
use std::str::FromStr;

use embargo_core::Timestamp;
use embargo_core::id::{JobId, MessageId, OrgId, ProjectId, ReportId};
use embargo_core::private::Private;
use embargo_core::text::{Email, UnknownName};

use crate::StoreError;
use crate::handle::Handle;
use crate::seal::Place;
use crate::sql::{Conn, RowRead, query};

/// The route address that catches mail for no configured address.
pub const CATCH_ALL: &str = "*";

/// A security address and the project its mail is filed into.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MailRoute {
    /// The address, lower-cased, or [`CATCH_ALL`].
    pub address: String,
    /// The project.
    pub project_id: ProjectId,
}

/// A report's mail thread: the secret token of its reply address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MailThread {
    /// The report.
    pub report_id: ReportId,
    /// The token in `local+TOKEN@domain`; whoever knows it may try to reply,
    /// but only a participant's mail is attached.
    pub reply_token: Private<String>,
}

/// Whether a Message-ID was received or sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// Received and filed.
    In,
    /// Sent by us (a notification), or the synthetic root of a report's thread.
    Out,
}

impl Direction {
    /// `in` or `out`, as stored and shown.
    pub const fn as_str(self) -> &'static str {
        match self {
            Direction::In => "in",
            Direction::Out => "out",
        }
    }
}

impl FromStr for Direction {
    type Err = UnknownName;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "in" => Ok(Direction::In),
            "out" => Ok(Direction::Out),
            other => Err(UnknownName::new("mail direction", other, "in or out")),
        }
    }
}

/// What checking an OpenPGP signature found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignatureState {
    /// Made by the key named in `signer`, which we hold, and intact.
    Good,
    /// Made by a key we hold, but it does not verify: altered or forged.
    Bad,
    /// Made by a key we do not hold (`signer` is its issuer id).
    UnknownKey,
}

impl SignatureState {
    /// The name in storage and output.
    pub const fn as_str(self) -> &'static str {
        match self {
            SignatureState::Good => "good",
            SignatureState::Bad => "bad",
            SignatureState::UnknownKey => "unknown-key",
        }
    }
}

impl fmt::Display for SignatureState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for SignatureState {
    type Err = UnknownName;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "good" => Ok(SignatureState::Good),
            "bad" => Ok(SignatureState::Bad),
            "unknown-key" => Ok(SignatureState::UnknownKey),
            other => Err(UnknownName::new("signature state", other, "good, bad or unknown-key")),
        }
    }
}

/// A Message-ID we received or sent, and what we know about that mail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MailRecord {
    /// The Message-ID without angle brackets (or `sha256:HEX` of a mail without one).
    pub message_id: String,
    /// The report it was filed on or sent about; none for mail that was dropped.
    pub report_id: Option<ReportId>,
    /// Received or sent.
    pub direction: Direction,
    /// The message it became, when it was filed as a reply.
    pub message_ref: Option<MessageId>,
    /// Whether it arrived encrypted (and was decrypted).
    pub encrypted: bool,
    /// The result of checking its signature, if it was signed.
    pub signature: Option<SignatureState>,
    /// The signing key's fingerprint (good, bad) or issuer id (unknown key).
    pub signer: Option<String>,
    /// What was refused from it (attachments), one line each, for the receipt.
    pub refused: Option<Private<String>>,
    /// When.
    pub created_at: Timestamp,
}

/// Who an OpenPGP key belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyOwner {
    /// An organisation: its key pair, which signs the `security.txt` that
    /// speaks for it and which mail may be encrypted to.
    Organisation(OrgId),
    /// A project: its key pair, which mail to its address is encrypted to.
    Project(ProjectId),
    /// A person: a public key to encrypt notifications to.
    Email(Email),
}

impl KeyOwner {
    fn key(&self) -> String {
        match self {
            KeyOwner::Organisation(id) => format!("organisation:{id}"),
            KeyOwner::Project(id) => format!("project:{id}"),
            KeyOwner::Email(email) => format!("email:{email}"),
        }
    }

    fn parse(value: &str) -> Result<Self, StoreError> {
        let corrupt = || StoreError::corrupt("openpgp_keys.owner", "not organisation:ID, project:ID or email:ADDRESS");
        match value.split_once(':') {
            Some(("organisation", id)) => id.parse().map(KeyOwner::Organisation).map_err(|_| corrupt()),
            Some(("project", id)) => id.parse().map(KeyOwner::Project).map_err(|_| corrupt()),
            Some(("email", email)) => email.parse().map(KeyOwner::Email).map_err(|_| corrupt()),
            _ => Err(corrupt()),
        }
    }
}

/// An OpenPGP key in the instance key store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredKey {
    /// Whose.
    pub owner: KeyOwner,
    /// The primary key's fingerprint, upper-case hex.
    pub fingerprint: String,
    /// The armored public key (transferable public key).
    pub public_key: String,
    /// The armored secret key, for organisations' and projects' keys.
    pub secret_key: Option<Private<String>>,
    /// When it was stored.
    pub created_at: Timestamp,
}

/// Reading the mail channel's records.
#[async_trait::async_trait]
pub trait MailReads {
    /// The project an address files into (exact address only; see [`CATCH_ALL`]).
    async fn mail_route(&mut self, address: &str) -> Result<Option<ProjectId>, StoreError>;
    /// Every route, by address.
    async fn mail_routes(&mut self) -> Result<Vec<MailRoute>, StoreError>;
    /// A report's mail thread.
    async fn mail_thread(&mut self, report: ReportId) -> Result<Option<MailThread>, StoreError>;
    /// The report whose reply address holds `token`.
    async fn report_by_reply_token(&mut self, token: &str) -> Result<Option<ReportId>, StoreError>;
    /// The follow-up token kept for a report's receipt, until it is sent.
    async fn receipt_token(&mut self, report: ReportId) -> Result<Option<Private<String>>, StoreError>;
    /// What we know of a Message-ID.
    async fn mail_record(&mut self, message_id: &str) -> Result<Option<MailRecord>, StoreError>;
    /// The mail received for and sent about a report, oldest first.
    async fn mail_records(&mut self, report: ReportId) -> Result<Vec<MailRecord>, StoreError>;
    /// A key by owner.
    async fn openpgp_key(&mut self, owner: &KeyOwner) -> Result<Option<StoredKey>, StoreError>;
    /// Every key (secret parts included), by owner.
    async fn openpgp_keys(&mut self) -> Result<Vec<StoredKey>, StoreError>;
    /// Whether the notification of `job` already reached `recipient`.
    async fn mail_sent(&mut self, job: JobId, recipient: &str) -> Result<bool, StoreError>;
    /// How many notifications reached `recipient` at or after `since`,
    /// counted up to `at_most` (a cap is checked against it: counting stops
    /// there, however many were sent).
    async fn mails_sent_since(&mut self, recipient: &str, since: Timestamp, at_most: u64) -> Result<u64, StoreError>;
}

/// Changing the mail channel's records.
#[async_trait::async_trait]
pub trait MailWrites {
    /// Files mail for `address` into `project` (replacing an earlier route).
    async fn set_mail_route(&mut self, route: &MailRoute, now: Timestamp) -> Result<(), StoreError>;
    /// Removes a route; answers whether there was one.
    async fn remove_mail_route(&mut self, address: &str) -> Result<bool, StoreError>;
    /// Gives a report its mail thread, with the follow-up token for its receipt if any.
    async fn insert_mail_thread(
        &mut self,
        thread: &MailThread,
        receipt_token: Option<&Private<String>>,
        now: Timestamp,
    ) -> Result<(), StoreError>;
    /// Forgets the follow-up token once the receipt holding it went out.
    async fn clear_receipt_token(&mut self, report: ReportId) -> Result<(), StoreError>;
    /// Records a Message-ID; answers `false`, changing nothing, when it is known already.
    async fn insert_mail_record(&mut self, record: &MailRecord) -> Result<bool, StoreError>;
    /// Stores a key, replacing the owner's earlier one.
    async fn put_openpgp_key(&mut self, key: &StoredKey) -> Result<(), StoreError>;
    /// Removes a key; answers whether there was one.
    async fn remove_openpgp_key(&mut self, owner: &KeyOwner) -> Result<bool, StoreError>;
    /// Notes that the notification of `job` reached `recipient` as `message_id`.
    async fn record_mail_sent(
        &mut self,
        job: JobId,
        recipient: &str,
        message_id: &str,
        at: Timestamp,
    ) -> Result<(), StoreError>;
    /// Notes that the notification of `job` for `recipient` is about to be
    /// handed to the relay; answers `false`, changing nothing, when an
    /// earlier attempt noted it and never said how it ended (the mail may
    /// have gone out).
    async fn begin_mail_sending(&mut self, job: JobId, recipient: &str, now: Timestamp) -> Result<bool, StoreError>;
    /// Forgets the note of [`MailWrites::begin_mail_sending`]: the relay did
    /// not take the mail, so a later attempt may send it.
    async fn forget_mail_sending(&mut self, job: JobId, recipient: &str) -> Result<(), StoreError>;
}

const RECORD_COLUMNS: &str =
    "message_id, report_id, direction, message_ref, encrypted, signature, signer, refused, created_at";

impl<H> Handle<H>
where
    H: DerefMut + Send,
    H::Target: Conn,
{
    fn mail_record_from(&self, row: &impl RowRead) -> Result<MailRecord, StoreError> {
        let message_id = row.text("message_id")?;
        let refused = row
            .opt_bytes("refused")?
            .map(|sealed| {
                self.sealer.open_text(Place { table: "mail_message_ids", column: "refused", row: &message_id }, &sealed)
            })
            .transpose()?
            .map(Private::new);
        Ok(MailRecord {
            report_id: row.opt_uuid("report_id")?.map(ReportId::from_uuid),
            direction: row.parsed("direction")?,
            message_ref: row.opt_uuid("message_ref")?.map(MessageId::from_uuid),
            encrypted: row.bool("encrypted")?,
            signature: row.opt_parsed("signature")?,
            signer: row.opt_text("signer")?,
            refused,
            created_at: row.time("created_at")?,
            message_id,
        })
    }

    fn stored_key_from(&self, row: &impl RowRead) -> Result<StoredKey, StoreError> {
        let owner_key = row.text("owner")?;
        let secret_key = row
            .opt_bytes("secret_key")?
            .map(|sealed| {
                self.sealer.open_text(Place { table: "openpgp_keys", column: "secret_key", row: &owner_key }, &sealed)
            })
            .transpose()?
            .map(Private::new);
        Ok(StoredKey {
            owner: KeyOwner::parse(&owner_key)?,
            fingerprint: row.text("fingerprint")?,
            public_key: row.text("public_key")?,
            secret_key,
            created_at: row.time("created_at")?,
        })
    }
}

#[async_trait::async_trait]
impl<H> MailReads for Handle<H>
where
    H: DerefMut + Send,
    H::Target: Conn,
{
    async fn mail_route(&mut self, address: &str) -> Result<Option<ProjectId>, StoreError> {
        let row =
            self.fetch_optional(query("SELECT project_id FROM mail_routes WHERE address = $1").bind(address)).await?;
        row.map(|r| r.uuid("project_id").map(ProjectId::from_uuid)).transpose()
    }

    async fn mail_routes(&mut self) -> Result<Vec<MailRoute>, StoreError> {
        let rows = self.fetch_all(query("SELECT address, project_id FROM mail_routes ORDER BY address")).await?;
        rows.iter()
            .map(|r| {
                Ok(MailRoute { address: r.text("address")?, project_id: ProjectId::from_uuid(r.uuid("project_id")?) })
            })
            .collect()
    }

    async fn mail_thread(&mut self, report: ReportId) -> Result<Option<MailThread>, StoreError> {
        let row = self
            .fetch_optional(query("SELECT reply_token FROM mail_threads WHERE report_id = $1").bind(report))
            .await?;
        row.map(|r| Ok(MailThread { report_id: report, reply_token: Private::new(r.text("reply_token")?) })).transpose()
    }

    async fn report_by_reply_token(&mut self, token: &str) -> Result<Option<ReportId>, StoreError> {
        let row =
            self.fetch_optional(query("SELECT report_id FROM mail_threads WHERE reply_token = $1").bind(token)).await?;
        row.map(|r| r.uuid("report_id").map(ReportId::from_uuid)).transpose()
    }

    async fn receipt_token(&mut self, report: ReportId) -> Result<Option<Private<String>>, StoreError> {
        let row = self
            .fetch_optional(query("SELECT receipt_token FROM mail_threads WHERE report_id = $1").bind(report))
            .await?;
        let Some(sealed) = row.map(|r| r.opt_bytes("receipt_token")).transpose()?.flatten() else {
            return Ok(None);
        };
        let row_id = report.to_string();
        let token =
            self.sealer.open_text(Place { table: "mail_threads", column: "receipt_token", row: &row_id }, &sealed)?;
        Ok(Some(Private::new(token)))
    }

    async fn mail_record(&mut self, message_id: &str) -> Result<Option<MailRecord>, StoreError> {
        const SQL: &str =
            const_format::concatcp!("SELECT ", RECORD_COLUMNS, " FROM mail_message_ids WHERE message_id = $1");
        let row = self.fetch_optional(query(SQL).bind(message_id)).await?;
        row.map(|r| self.mail_record_from(&r)).transpose()
    }

    async fn mail_records(&mut self, report: ReportId) -> Result<Vec<MailRecord>, StoreError> {
        const SQL: &str = const_format::concatcp!(
            "SELECT ",
            RECORD_COLUMNS,
            " FROM mail_message_ids WHERE report_id = $1 ORDER BY created_at, message_id"
        );
        let rows = self.fetch_all(query(SQL).bind(report)).await?;
        rows.iter().map(|r| self.mail_record_from(r)).collect()
    }

    async fn openpgp_key(&mut self, owner: &KeyOwner) -> Result<Option<StoredKey>, StoreError> {
        let row = self
            .fetch_optional(
                query(
                    "SELECT owner, fingerprint, public_key, secret_key, created_at FROM openpgp_keys WHERE owner = $1",
                )
                .bind(owner.key()),
            )
            .await?;
        row.map(|r| self.stored_key_from(&r)).transpose()
    }

    async fn openpgp_keys(&mut self) -> Result<Vec<StoredKey>, StoreError> {
        let rows = self
            .fetch_all(query(
                "SELECT owner, fingerprint, public_key, secret_key, created_at FROM openpgp_keys ORDER BY owner",
            ))
            .await?;
        rows.iter().map(|r| self.stored_key_from(r)).collect()
    }

    async fn mail_sent(&mut self, job: JobId, recipient: &str) -> Result<bool, StoreError> {
        let row = self
            .fetch_optional(
                query("SELECT message_id FROM mail_sent WHERE job_id = $1 AND recipient = $2")
                    .bind(job)
                    .bind(recipient),
            )
            .await?;
        Ok(row.is_some())
    }

    async fn mails_sent_since(&mut self, recipient: &str, since: Timestamp, at_most: u64) -> Result<u64, StoreError> {
        // The CAST keeps SQLite from preparing the statement again at each bind (see `project_reports_before`).
        let row = self
            .fetch_optional(
                query(
                    "SELECT COUNT(*) AS n FROM (SELECT 1 FROM mail_sent WHERE recipient = $1 AND sent_at >= $2 \
                     LIMIT CAST($3 AS BIGINT)) AS recent",
                )
                .bind(recipient)
                .bind(since)
                .bind(i64::try_from(at_most).unwrap_or(i64::MAX)),
            )
            .await?;
        let n = row.map(|r| r.int("n")).transpose()?.unwrap_or(0);
        Ok(u64::try_from(n).unwrap_or(0))
    }
}

#[async_trait::async_trait]
impl<H> MailWrites for Handle<H>
where
    H: DerefMut + Send,
    H::Target: Conn,
{
    async fn set_mail_route(&mut self, route: &MailRoute, now: Timestamp) -> Result<(), StoreError> {
        self.execute(
            query(
                "INSERT INTO mail_routes (address, project_id, created_at) VALUES ($1, $2, $3) \
                 ON CONFLICT (address) DO UPDATE SET project_id = excluded.project_id, created_at = excluded.created_at",
            )
            .bind(route.address.as_str())
            .bind(route.project_id)
            .bind(now),
        )
        .await
        .map(drop)
    }

    async fn remove_mail_route(&mut self, address: &str) -> Result<bool, StoreError> {
        Ok(self.execute(query("DELETE FROM mail_routes WHERE address = $1").bind(address)).await? > 0)
    }

    async fn insert_mail_thread(
        &mut self,
        thread: &MailThread,
        receipt_token: Option<&Private<String>>,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        let row_id = thread.report_id.to_string();
        let sealed = receipt_token
            .map(|t| {
                self.sealer
                    .seal_text(Place { table: "mail_threads", column: "receipt_token", row: &row_id }, t.expose())
            })
            .transpose()?;
        self.execute(
            query(
                "INSERT INTO mail_threads (report_id, reply_token, receipt_token, created_at) VALUES ($1, $2, $3, $4)",
            )
            .bind(thread.report_id)
            .bind(thread.reply_token.expose().as_str())
            .bind(sealed)
            .bind(now),
        )
        .await
        .map(drop)
    }

    async fn clear_receipt_token(&mut self, report: ReportId) -> Result<(), StoreError> {
        self.execute(query("UPDATE mail_threads SET receipt_token = NULL WHERE report_id = $1").bind(report))
            .await
            .map(drop)
    }

    async fn insert_mail_record(&mut self, record: &MailRecord) -> Result<bool, StoreError> {
        let refused = record
            .refused
            .as_ref()
            .map(|text| {
                self.sealer.seal_text(
                    Place { table: "mail_message_ids", column: "refused", row: &record.message_id },
                    text.expose(),
                )
            })
            .transpose()?;
        let inserted = self
            .execute(
                query(
                    "INSERT INTO mail_message_ids (message_id, report_id, direction, message_ref, encrypted, \
                     signature, signer, refused, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
                     ON CONFLICT (message_id) DO NOTHING",
                )
                .bind(record.message_id.as_str())
                .bind(record.report_id)
                .bind(record.direction.as_str())
                .bind(record.message_ref)
                .bind(record.encrypted)
                .bind(record.signature.map(SignatureState::as_str))
                .bind(record.signer.clone())
                .bind(refused)
                .bind(record.created_at),
            )
            .await?;
        Ok(inserted > 0)
    }

    async fn put_openpgp_key(&mut self, key: &StoredKey) -> Result<(), StoreError> {
        let owner = key.owner.key();
        let sealed = key
            .secret_key
            .as_ref()
            .map(|k| {
                self.sealer.seal_text(Place { table: "openpgp_keys", column: "secret_key", row: &owner }, k.expose())
            })
            .transpose()?;
        self.execute(
            query(
                "INSERT INTO openpgp_keys (owner, fingerprint, public_key, secret_key, created_at) \
                 VALUES ($1, $2, $3, $4, $5) ON CONFLICT (owner) DO UPDATE SET fingerprint = excluded.fingerprint, \
                 public_key = excluded.public_key, secret_key = excluded.secret_key, created_at = excluded.created_at",
            )
            .bind(owner.as_str())
            .bind(key.fingerprint.as_str())
            .bind(key.public_key.as_str())
            .bind(sealed)
            .bind(key.created_at),
        )
        .await
        .map(drop)
    }

    async fn remove_openpgp_key(&mut self, owner: &KeyOwner) -> Result<bool, StoreError> {
        Ok(self.execute(query("DELETE FROM openpgp_keys WHERE owner = $1").bind(owner.key())).await? > 0)
    }

    async fn record_mail_sent(
        &mut self,
        job: JobId,
        recipient: &str,
        message_id: &str,
        at: Timestamp,
    ) -> Result<(), StoreError> {
        self.execute(
            query(
                "INSERT INTO mail_sent (job_id, recipient, message_id, sent_at) VALUES ($1, $2, $3, $4) \
                 ON CONFLICT (job_id, recipient) DO NOTHING",
            )
            .bind(job)
            .bind(recipient)
            .bind(message_id)
            .bind(at),
        )
        .await?;
        self.forget_mail_sending(job, recipient).await
    }

    async fn begin_mail_sending(&mut self, job: JobId, recipient: &str, now: Timestamp) -> Result<bool, StoreError> {
        let inserted = self
            .execute(
                query(
                    "INSERT INTO mail_sending (job_id, recipient, started_at) VALUES ($1, $2, $3) \
                     ON CONFLICT (job_id, recipient) DO NOTHING",
                )
                .bind(job)
                .bind(recipient)
                .bind(now),
            )
            .await?;
        Ok(inserted > 0)
    }

    async fn forget_mail_sending(&mut self, job: JobId, recipient: &str) -> Result<(), StoreError> {
        self.execute(query("DELETE FROM mail_sending WHERE job_id = $1 AND recipient = $2").bind(job).bind(recipient))
            .await
            .map(drop)
    }
}
