//! The audit log: append-only, each event keyed-hash-chained to the one
//! before, so that modifying, inserting or deleting an event is detected by
//! [`AuditCheck`] (`embargo audit verify`).
//!
//! `hash(n) = HMAC-SHA256(audit key, seq ‖ at ‖ actor ‖ action ‖ subject ‖
//! details ‖ hash(n-1))`, each text part length-prefixed. The key is derived
//! from the instance secret, which is not in the database, so an attacker
//! with only the database cannot forge a consistent chain. A head row holds
//! the last sequence number and hash, so a cut tail is detected too.

use std::fmt;
use std::ops::DerefMut;

use embargo_core::Timestamp;
use time::format_description::BorrowedFormatItem;
use time::macros::format_description;

use crate::StoreError;
use crate::checkpoint::{Checkpoint, CheckpointError, CheckpointProblem};
use crate::handle::Handle;
use crate::seal::hmac_sha256;
use crate::sql::{Conn, Dialect, RowRead, query};

/// An event to append. Details are metadata only, never private text.
#[derive(Debug, Clone, PartialEq)]
pub struct AuditEntry {
    /// When it happened.
    pub at: Timestamp,
    /// Who did it: `user:ID`, `followup:REPORT`, `anonymous`, `cli` or `system`.
    pub actor: String,
    /// What happened, as `resource.verb` (`report.submitted`).
    pub action: String,
    /// What it happened to, as `kind:ID`.
    pub subject: String,
    /// Non-private facts (states, fields changed), as JSON.
    pub details: serde_json::Value,
}

/// A stored event.
#[derive(Clone, PartialEq, Eq)]
pub struct AuditRecord {
    /// Its position in the chain, from 1.
    pub seq: u64,
    /// When it happened.
    pub at: Timestamp,
    /// Who did it.
    pub actor: String,
    /// What happened.
    pub action: String,
    /// What it happened to.
    pub subject: String,
    /// The details' JSON text, exactly as hashed.
    pub details: String,
    /// The previous event's hash (zeros for the first).
    pub prev_hash: [u8; 32],
    /// This event's hash.
    pub hash: [u8; 32],
}

impl fmt::Debug for AuditRecord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "AuditRecord(#{} {} {} {})", self.seq, self.actor, self.action, self.subject)
    }
}

/// Reading the audit log.
#[async_trait::async_trait]
pub trait AuditReads {
    /// Up to `limit` events after `after`, in order.
    async fn audit_events(&mut self, after: u64, limit: u32) -> Result<Vec<AuditRecord>, StoreError>;
    /// The chain head: the last sequence number and hash, if any event exists.
    async fn audit_head(&mut self) -> Result<Option<(u64, [u8; 32])>, StoreError>;
    /// Events about one subject, in order.
    async fn audit_events_for(&mut self, subject: &str) -> Result<Vec<AuditRecord>, StoreError>;
    /// Up to `limit` events after `after`, in order, each read on its own:
    /// a row that cannot be read is answered as [`MalformedEvent`] naming
    /// its sequence number and cause, instead of failing the whole page.
    async fn audit_rows(
        &mut self,
        after: u64,
        limit: u32,
    ) -> Result<Vec<Result<AuditRecord, MalformedEvent>>, StoreError>;
    /// Events matching `filter`, newest first, at most `filter.limit`.
    async fn audit_search(&mut self, filter: &AuditFilter) -> Result<Vec<AuditRecord>, StoreError>;
}

/// A stored event that cannot be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MalformedEvent {
    /// Its sequence number (the one after the last readable event when even that cannot be read).
    pub seq: u64,
    /// What is wrong with it (a column and why), never its content.
    pub cause: String,
}

/// Which events an administrator wants to read.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditFilter {
    /// Only events about this subject (`report:ID`).
    pub subject: Option<String>,
    /// Only events by this actor (`user:ID`).
    pub actor: Option<String>,
    /// Only events at or after this time.
    pub since: Option<Timestamp>,
    /// Only events before this time.
    pub until: Option<Timestamp>,
    /// Only events before this sequence number (paging backwards).
    pub before: Option<u64>,
    /// The most events answered.
    pub limit: u32,
}

/// Appending to the audit log.
#[async_trait::async_trait]
pub trait AuditWrites {
    /// Appends an event in the current transaction.
    async fn append_audit(&mut self, entry: AuditEntry) -> Result<(), StoreError>;
}

const TIME_FORMAT: &[BorrowedFormatItem<'_>] =
    format_description!("[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:6]Z");

/// Arbitrary key for PostgreSQL's transaction-scoped advisory lock that
/// serialises appends across replicas ("embarg" in ASCII).
const AUDIT_LOCK: i64 = 0x656d_6261_7267;

fn hash_input(
    seq: u64,
    at: Timestamp,
    actor: &str,
    action: &str,
    subject: &str,
    details: &str,
    prev: &[u8; 32],
) -> Vec<u8> {
    let at = at.to_offset(time::UtcOffset::UTC).format(TIME_FORMAT).unwrap_or_default();
    let mut input = Vec::with_capacity(128 + details.len());
    input.extend_from_slice(&seq.to_be_bytes());
    for part in [at.as_str(), actor, action, subject, details] {
        input.extend_from_slice(&(part.len() as u64).to_be_bytes());
        input.extend_from_slice(part.as_bytes());
    }
    input.extend_from_slice(prev);
    input
}

fn chain_hash(key: &[u8; 32], record: &AuditRecord) -> [u8; 32] {
    mac_at(key, record, record.seq)
}

/// The hash `record` would have at position `seq`.
fn mac_at(key: &[u8; 32], record: &AuditRecord, seq: u64) -> [u8; 32] {
    hmac_sha256(
        key,
        &hash_input(seq, record.at, &record.actor, &record.action, &record.subject, &record.details, &record.prev_hash),
    )
}

fn hash_from(row: &impl RowRead, col: &str) -> Result<[u8; 32], StoreError> {
    row.bytes(col)?.try_into().map_err(|_| StoreError::corrupt(col, "not 32 bytes"))
}

/// Reads one row, naming its sequence number when it cannot be read.
fn checked_record(row: &impl RowRead, after: u64) -> Result<AuditRecord, MalformedEvent> {
    record_from(row).map_err(|e| {
        let seq = row.int("seq").ok().and_then(|n| u64::try_from(n).ok()).filter(|n| *n > 0);
        let cause = match e {
            StoreError::Other(why) => why,
            other => other.to_string(),
        };
        // Without a readable number, name the place: the one after the last good event.
        MalformedEvent { seq: seq.unwrap_or(after + 1), cause }
    })
}

fn record_from(row: &impl RowRead) -> Result<AuditRecord, StoreError> {
    Ok(AuditRecord {
        seq: u64::try_from(row.int("seq")?).map_err(|e| StoreError::corrupt("seq", e))?,
        at: row.time("at")?,
        actor: row.text("actor")?,
        action: row.text("action")?,
        subject: row.text("subject")?,
        details: row.text("details")?,
        prev_hash: hash_from(row, "prev_hash")?,
        hash: hash_from(row, "hash")?,
    })
}

#[async_trait::async_trait]
impl<H> AuditReads for Handle<H>
where
    H: DerefMut + Send,
    H::Target: Conn,
{
    async fn audit_events(&mut self, after: u64, limit: u32) -> Result<Vec<AuditRecord>, StoreError> {
        let after = i64::try_from(after).unwrap_or(i64::MAX);
        let rows = self
            .fetch_all(
                query(
                    "SELECT seq, at, actor, action, subject, details, prev_hash, hash FROM audit_events \
                     WHERE seq > $1 ORDER BY seq LIMIT $2",
                )
                .bind(after)
                .bind(i64::from(limit)),
            )
            .await?;
        rows.iter().map(record_from).collect()
    }

    async fn audit_head(&mut self) -> Result<Option<(u64, [u8; 32])>, StoreError> {
        let row = self.fetch_optional(query("SELECT seq, hash FROM audit_head WHERE id = 1")).await?;
        row.map(|r| {
            Ok((u64::try_from(r.int("seq")?).map_err(|e| StoreError::corrupt("seq", e))?, hash_from(&r, "hash")?))
        })
        .transpose()
    }

    async fn audit_events_for(&mut self, subject: &str) -> Result<Vec<AuditRecord>, StoreError> {
        let rows = self
            .fetch_all(
                query(
                    "SELECT seq, at, actor, action, subject, details, prev_hash, hash FROM audit_events \
                     WHERE subject = $1 ORDER BY seq",
                )
                .bind(subject),
            )
            .await?;
        rows.iter().map(record_from).collect()
    }

    async fn audit_rows(
        &mut self,
        after: u64,
        limit: u32,
    ) -> Result<Vec<Result<AuditRecord, MalformedEvent>>, StoreError> {
        let start = i64::try_from(after).unwrap_or(i64::MAX);
        let rows = self
            .fetch_all(
                query(
                    "SELECT seq, at, actor, action, subject, details, prev_hash, hash FROM audit_events \
                     WHERE seq > $1 ORDER BY seq LIMIT $2",
                )
                .bind(start)
                .bind(i64::from(limit)),
            )
            .await?;
        let mut last = after;
        let mut out = Vec::with_capacity(rows.len());
        for row in &rows {
            let record = checked_record(row, last);
            last = match &record {
                Ok(r) => r.seq,
                Err(m) => m.seq,
            };
            out.push(record);
        }
        Ok(out)
    }

    async fn audit_search(&mut self, filter: &AuditFilter) -> Result<Vec<AuditRecord>, StoreError> {
        let before = filter.before.map(|b| i64::try_from(b).unwrap_or(i64::MAX));
        let rows = self
            .fetch_all(
                query(
                    "SELECT seq, at, actor, action, subject, details, prev_hash, hash FROM audit_events \
                     WHERE ($1 IS NULL OR subject = $1) AND ($2 IS NULL OR actor = $2) \
                     AND ($3 IS NULL OR at >= $3) AND ($4 IS NULL OR at < $4) AND ($5 IS NULL OR seq < $5) \
                     ORDER BY seq DESC LIMIT $6",
                )
                .bind(filter.subject.as_deref())
                .bind(filter.actor.as_deref())
                .bind(filter.since)
                .bind(filter.until)
                .bind(before)
                .bind(i64::from(filter.limit)),
            )
            .await?;
        rows.iter().map(record_from).collect()
    }
}

#[async_trait::async_trait]
impl<H> AuditWrites for Handle<H>
where
    H: DerefMut + Send,
    H::Target: Conn,
{
    async fn append_audit(&mut self, entry: AuditEntry) -> Result<(), StoreError> {
        if self.dialect() == Dialect::Postgres {
            self.execute(query("SELECT pg_advisory_xact_lock($1)").bind(AUDIT_LOCK)).await?;
        }
        let (last, prev_hash) = self.audit_head().await?.unwrap_or((0, [0; 32]));
        let details = serde_json::to_string(&entry.details).map_err(|e| StoreError::Other(e.to_string()))?;
        let mut record = AuditRecord {
            seq: last + 1,
            at: entry.at,
            actor: entry.actor,
            action: entry.action,
            subject: entry.subject,
            details,
            prev_hash,
            hash: [0; 32],
        };
        record.hash = chain_hash(self.sealer.audit_key(), &record);
        let seq = i64::try_from(record.seq).map_err(|e| StoreError::Other(e.to_string()))?;
        self.execute(
            query(
                "INSERT INTO audit_events (seq, at, actor, action, subject, details, prev_hash, hash) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            )
            .bind(seq)
            .bind(record.at)
            .bind(record.actor)
            .bind(record.action)
            .bind(record.subject)
            .bind(record.details)
            .bind(record.prev_hash.as_slice())
            .bind(record.hash.as_slice()),
        )
        .await?;
        self.execute(
            query(
                "INSERT INTO audit_head (id, seq, hash) VALUES (1, $1, $2) \
                 ON CONFLICT (id) DO UPDATE SET seq = excluded.seq, hash = excluded.hash",
            )
            .bind(seq)
            .bind(record.hash.as_slice()),
        )
        .await
        .map(drop)
    }
}

/// What is wrong with the chain, at the first place it goes wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuditProblem {
    /// The event's row cannot be read (a column holds an invalid value).
    Malformed {
        /// Its sequence number.
        seq: u64,
        /// Which column and why.
        cause: String,
    },
    /// The event's content no longer matches its hash.
    Modified {
        /// Its sequence number.
        seq: u64,
    },
    /// An event that the chain never held (its hash is not ours).
    Inserted {
        /// Its sequence number.
        seq: u64,
    },
    /// An event is missing.
    Deleted {
        /// The first missing sequence number.
        seq: u64,
    },
}

impl fmt::Display for AuditProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AuditProblem::Malformed { seq, cause } => write!(f, "event {seq} is malformed: {cause}"),
            AuditProblem::Modified { seq } => write!(f, "event {seq} was modified"),
            AuditProblem::Inserted { seq } => write!(f, "event {seq} was inserted"),
            AuditProblem::Deleted { seq } => write!(f, "event {seq} was deleted"),
        }
    }
}

/// Walks the chain in order and finds the first problem.
///
/// An event whose hash fails is judged by what follows: if the next event
/// is genuine one position earlier than it now stands, the failing event was
/// inserted (and the rest renumbered); otherwise it was modified. An event
/// genuine one position later than it stands was renumbered after a deletion.
#[derive(Debug)]
pub struct AuditCheck {
    key: [u8; 32],
    checkpoint_key: [u8; 32],
    next_seq: u64,
    prev_hash: [u8; 32],
    checked: u64,
    /// An event that failed its hash while linked correctly, awaiting the next one.
    suspect: Option<u64>,
    problem: Option<AuditProblem>,
}

impl AuditCheck {
    /// Starts a check with the instance's sealer (which holds the audit key).
    pub fn new(sealer: &crate::seal::Sealer) -> Self {
        AuditCheck {
            key: *sealer.audit_key(),
            checkpoint_key: *sealer.checkpoint_key(),
            next_seq: 1,
            prev_hash: [0; 32],
            checked: 0,
            suspect: None,
            problem: None,
        }
    }

    /// Signs a checkpoint with this instance's checkpoint key.
    pub fn sign_checkpoint(&self, checkpoint: &Checkpoint) -> String {
        checkpoint.sign(&self.checkpoint_key)
    }

    /// Reads a checkpoint text and checks it was signed by this instance.
    pub fn read_checkpoint(&self, text: &str) -> Result<Checkpoint, CheckpointError> {
        Checkpoint::read(text, &self.checkpoint_key)
    }

    /// The first problem found so far.
    pub fn problem(&self) -> Option<AuditProblem> {
        self.problem.clone()
    }

    /// Records a row that cannot be read; the chain cannot be followed past it.
    pub fn malformed(&mut self, event: MalformedEvent) {
        if self.problem.is_none() {
            self.checked += 1;
            self.problem = Some(AuditProblem::Malformed { seq: event.seq, cause: event.cause });
        }
    }

    /// How many events were checked.
    pub fn checked(&self) -> u64 {
        self.checked
    }

    fn genuine_at(&self, record: &AuditRecord, seq: u64) -> bool {
        mac_at(&self.key, record, seq) == record.hash
    }

    /// Checks the next event; stops looking after the first problem.
    pub fn feed(&mut self, record: &AuditRecord) {
        if self.problem.is_some() {
            return;
        }
        self.checked += 1;
        if let Some(seq) = self.suspect.take() {
            let shifted_up = record.seq > 1 && self.genuine_at(record, record.seq - 1);
            self.problem =
                Some(if shifted_up { AuditProblem::Inserted { seq } } else { AuditProblem::Modified { seq } });
            return;
        }
        if record.seq > self.next_seq {
            self.problem = Some(AuditProblem::Deleted { seq: self.next_seq });
            return;
        }
        let genuine = self.genuine_at(record, record.seq);
        let linked = record.prev_hash == self.prev_hash && record.seq == self.next_seq;
        match (genuine, linked) {
            (true, true) => {}
            // A genuine event whose predecessor is not the one it was chained to.
            (true, false) => self.problem = Some(AuditProblem::Deleted { seq: record.seq.saturating_sub(1).max(1) }),
            (false, _) if self.genuine_at(record, record.seq + 1) => {
                self.problem = Some(AuditProblem::Deleted { seq: record.seq });
            }
            (false, true) => self.suspect = Some(record.seq),
            (false, false) => self.problem = Some(AuditProblem::Inserted { seq: record.seq }),
        }
        self.next_seq = record.seq + 1;
        self.prev_hash = record.hash;
    }

    /// Compares the end of the chain with the head row.
    pub fn finish(&mut self, head: Option<(u64, [u8; 32])>) -> Option<AuditProblem> {
        if self.problem.is_some() {
            return self.problem.clone();
        }
        if let Some(seq) = self.suspect.take() {
            // The last event failed: beyond the head it was added behind our back.
            let beyond_head = head.is_none_or(|(head_seq, _)| head_seq < seq);
            self.problem =
                Some(if beyond_head { AuditProblem::Inserted { seq } } else { AuditProblem::Modified { seq } });
            return self.problem.clone();
        }
        let last = self.next_seq - 1;
        self.problem = match head {
            None if last == 0 => None,
            None => Some(AuditProblem::Modified { seq: last }),
            Some((seq, _)) if seq > last => Some(AuditProblem::Deleted { seq: last + 1 }),
            Some((seq, _)) if seq < last => Some(AuditProblem::Inserted { seq: seq + 1 }),
            Some((_, hash)) if hash != self.prev_hash => Some(AuditProblem::Modified { seq: last }),
            Some(_) => None,
        };
        self.problem.clone()
    }
}

/// The outcome of checking the whole chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verification {
    /// How many events were checked.
    pub checked: u64,
    /// The first problem, if any.
    pub problem: Option<AuditProblem>,
}

/// Checks the whole audit chain of `store`, a page at a time.
pub async fn verify(store: &dyn crate::Store) -> Result<Verification, StoreError> {
    const PAGE: u32 = 1000;
    let mut check = store.audit_check();
    let mut reader = store.reader().await?;
    let mut after = 0;
    loop {
        let events = reader.audit_rows(after, PAGE).await?;
        let Some(last) = events.last() else { break };
        after = match last {
            Ok(event) => event.seq,
            Err(malformed) => malformed.seq,
        };
        for event in events {
            match event {
                Ok(event) => check.feed(&event),
                Err(malformed) => check.malformed(malformed),
            }
        }
        if check.problem().is_some() {
            break;
        }
    }
    let problem = check.finish(reader.audit_head().await?);
    Ok(Verification { checked: check.checked(), problem })
}

/// A signed checkpoint of the log as it stands, made at `time`.
pub async fn checkpoint(store: &dyn crate::Store, time: Timestamp) -> Result<(Checkpoint, String), StoreError> {
    let head = store.reader().await?.audit_head().await?;
    let (events, head) = head.unwrap_or((0, [0; 32]));
    let checkpoint = Checkpoint { events, head, time };
    let text = store.audit_check().sign_checkpoint(&checkpoint);
    Ok((checkpoint, text))
}

/// Whether the log still extends `checkpoint`: it holds at least as many
/// events, and the event the checkpoint ended with still has its hash (the
/// chain links every earlier event to it, which [`verify`] checks).
pub async fn compare_checkpoint(
    store: &dyn crate::Store,
    checkpoint: &Checkpoint,
) -> Result<Option<CheckpointProblem>, StoreError> {
    if checkpoint.events == 0 {
        return Ok(None);
    }
    let mut reader = store.reader().await?;
    let now = reader.audit_head().await?.map_or(0, |(seq, _)| seq);
    let at_checkpoint = reader.audit_rows(checkpoint.events - 1, 1).await?;
    Ok(match at_checkpoint.first() {
        Some(Ok(event)) if event.seq == checkpoint.events && event.hash == checkpoint.head => None,
        Some(Ok(event)) if event.seq == checkpoint.events => Some(CheckpointProblem::Rewritten { seq: event.seq }),
        _ if now < checkpoint.events => Some(CheckpointProblem::Shorter { checkpoint: checkpoint.events, now }),
        _ => Some(CheckpointProblem::Rewritten { seq: checkpoint.events }),
    })
}
