//! CVE Services (issue 11, migrations 1120 and 1130): an organisation's
//! credentials (the API key sealed at rest, read only to call CVE Services),
//! the ids it reserved there, each operation (reserve, publish, update,
//! reject, release) with the outcome of its last attempt, and the intent noted
//! before each reservation call (closed when the answer is stored, or when a
//! reconciliation found what the call reserved).

use std::ops::DerefMut;

use embargo_core::Timestamp;
use embargo_core::id::{AdvisoryId, CveId, CveOperationId, OrgId};
use embargo_core::private::Private;
use uuid::Uuid;

use crate::StoreError;
use crate::handle::Handle;
use crate::seal::Place;
use crate::sql::{Conn, RowRead, query};

/// An organisation's CVE Services account, without its API key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CveServicesAccount {
    /// The organisation.
    pub org_id: OrgId,
    /// The API's base URL (the part before `/cve-id`).
    pub url: String,
    /// The CNA's short name (`CVE-API-ORG`).
    pub short_name: String,
    /// The user (`CVE-API-USER`).
    pub user: String,
    /// The CNA's organisation UUID, as CVE Services answered it.
    pub cna_org_id: String,
    /// How many unassigned reserved ids to keep at hand (0: reserve on demand only).
    pub pool_size: u32,
    /// When the credentials were last set.
    pub updated_at: Timestamp,
}

/// What an operation does in CVE Services.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CveOperationKind {
    /// Reserve ids (`POST /cve-id`).
    Reserve,
    /// Publish the CNA container (`POST /cve/{id}/cna`).
    Publish,
    /// Update the published CNA container (`PUT /cve/{id}/cna`).
    Update,
    /// Reject the id (`POST`/`PUT /cve/{id}/reject`): its advisory was withdrawn.
    Reject,
    /// Reject a released id (`POST /cve/{id}/reject`): it was taken off an
    /// advisory that never published it (by the team, or because the report was declined).
    Release,
}

impl CveOperationKind {
    /// Its name in the database and the API.
    pub const fn as_str(self) -> &'static str {
        match self {
            CveOperationKind::Reserve => "reserve",
            CveOperationKind::Publish => "publish",
            CveOperationKind::Update => "update",
            CveOperationKind::Reject => "reject",
            CveOperationKind::Release => "release",
        }
    }

    fn parse(text: &str) -> Result<Self, StoreError> {
        match text {
            "reserve" => Ok(CveOperationKind::Reserve),
            "publish" => Ok(CveOperationKind::Publish),
            "update" => Ok(CveOperationKind::Update),
            "reject" => Ok(CveOperationKind::Reject),
            "release" => Ok(CveOperationKind::Release),
            other => Err(StoreError::corrupt("cve_operations.kind", other)),
        }
    }
}

/// Where an operation stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CveOperationState {
    /// Not done yet; an attempt is due.
    Pending,
    /// CVE Services accepted it.
    Done,
    /// Given up: refused (bad credentials, a record CVE Services would not take) or retries ran out.
    Failed,
}

impl CveOperationState {
    /// Its name in the database and the API.
    pub const fn as_str(self) -> &'static str {
        match self {
            CveOperationState::Pending => "pending",
            CveOperationState::Done => "done",
            CveOperationState::Failed => "failed",
        }
    }

    fn parse(text: &str) -> Result<Self, StoreError> {
        match text {
            "pending" => Ok(CveOperationState::Pending),
            "done" => Ok(CveOperationState::Done),
            "failed" => Ok(CveOperationState::Failed),
            other => Err(StoreError::corrupt("cve_operations.state", other)),
        }
    }
}

/// One operation in CVE Services and its outcome so far.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CveOperation {
    /// Its id (also its idempotency key: one operation is carried out once).
    pub id: CveOperationId,
    /// The organisation whose account it uses.
    pub org_id: OrgId,
    /// The advisory it is for (a reservation to top up the pool has none).
    pub advisory_id: Option<AdvisoryId>,
    /// What it does.
    pub kind: CveOperationKind,
    /// The CVE id it is about (for a reservation: the id given to the advisory, once reserved).
    pub cve_id: Option<CveId>,
    /// Where it stands.
    pub state: CveOperationState,
    /// Attempts made.
    pub attempts: u32,
    /// When it was queued.
    pub created_at: Timestamp,
    /// When the last attempt was made.
    pub last_attempt_at: Option<Timestamp>,
    /// CVE Services' HTTP status to the last attempt, when it answered.
    pub last_status: Option<u16>,
    /// Why the last attempt failed, when it did.
    pub last_error: Option<String>,
    /// When it was done or given up.
    pub finished_at: Option<Timestamp>,
}

/// The outcome of one attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CveAttempt {
    /// When it was made.
    pub at: Timestamp,
    /// CVE Services' HTTP status, when it answered.
    pub status: Option<u16>,
    /// Why it failed, when it did.
    pub error: Option<String>,
    /// The state it leaves the operation in.
    pub state: CveOperationState,
    /// The CVE id it settled on (a reservation), if any.
    pub cve_id: Option<CveId>,
}

/// A reservation call about to be made (or made without its answer stored).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReservationIntent {
    /// Its id.
    pub id: Uuid,
    /// The organisation whose account makes the call.
    pub org_id: OrgId,
    /// The reservation operation it is an attempt of.
    pub operation_id: CveOperationId,
    /// The CVE Services user that makes the call (`requested_by.user` of the ids it reserves).
    pub api_user: String,
    /// How many ids it asks for.
    pub amount: u32,
    /// When it was noted (before the call).
    pub requested_at: Timestamp,
}

/// Reading CVE Services accounts, reserved ids and operations.
#[async_trait::async_trait]
pub trait CveServicesReads {
    /// An organisation's account, if its credentials are set.
    async fn cve_services_account(&mut self, org: OrgId) -> Result<Option<CveServicesAccount>, StoreError>;
    /// An organisation's API key, unsealed for a call.
    async fn cve_services_key(&mut self, org: OrgId) -> Result<Option<Private<String>>, StoreError>;
    /// One operation.
    async fn cve_operation(&mut self, id: CveOperationId) -> Result<Option<CveOperation>, StoreError>;
    /// An advisory's operations, newest first.
    async fn cve_operations_of(&mut self, advisory: &AdvisoryId, limit: u32) -> Result<Vec<CveOperation>, StoreError>;
    /// Ids the organisation reserved that no advisory has yet, oldest first.
    async fn unassigned_reserved_cves(&mut self, org: OrgId) -> Result<Vec<CveId>, StoreError>;
    /// Whether `cve` is an id the organisation reserved (or adopted) in CVE Services.
    async fn is_reserved_cve(&mut self, org: OrgId, cve: &CveId) -> Result<bool, StoreError>;
    /// Whether Embargo knows `cve` at all: reserved or adopted by any organisation, or given to an advisory.
    async fn is_known_cve(&mut self, cve: &CveId) -> Result<bool, StoreError>;
    /// The organisation's open reservation intents, oldest first.
    async fn open_reservation_intents(&mut self, org: OrgId) -> Result<Vec<ReservationIntent>, StoreError>;
}

/// Changing CVE Services accounts, reserved ids and operations.
#[async_trait::async_trait]
pub trait CveServicesWrites {
    /// Sets (or replaces) an organisation's account, with its API key sealed.
    async fn put_cve_services_account(
        &mut self,
        account: &CveServicesAccount,
        key: &Private<String>,
    ) -> Result<(), StoreError>;
    /// Stores a pending operation queued by `source` (a job or a request id);
    /// `false` when that source already queued one (a retried job).
    async fn insert_cve_operation(&mut self, operation: &CveOperation, source: &str) -> Result<bool, StoreError>;
    /// Records an attempt on an operation.
    async fn record_cve_attempt(&mut self, id: CveOperationId, attempt: &CveAttempt) -> Result<(), StoreError>;
    /// Records an id reserved in CVE Services; `false` if it was known already.
    async fn insert_reserved_cve(
        &mut self,
        org: OrgId,
        cve: &CveId,
        operation: CveOperationId,
        at: Timestamp,
    ) -> Result<bool, StoreError>;
    /// Notes a reservation call about to be made.
    async fn insert_reservation_intent(&mut self, intent: &ReservationIntent) -> Result<(), StoreError>;
    /// Closes an intent with what came of it; `false` if it was closed already.
    async fn close_reservation_intent(&mut self, id: Uuid, at: Timestamp, outcome: &str) -> Result<bool, StoreError>;
}

fn place(row: &str) -> Place<'_> {
    Place { table: "cve_services", column: "api_key", row }
}

const OPERATION_COLUMNS: &str = "id, org_id, advisory_id, kind, cve_id, state, attempts, created_at, \
     last_attempt_at, COALESCE(last_status, 0) AS last_status, last_error, finished_at";

fn account_from(row: &impl RowRead) -> Result<CveServicesAccount, StoreError> {
    Ok(CveServicesAccount {
        org_id: OrgId::from_uuid(row.uuid("org_id")?),
        url: row.text("url")?,
        short_name: row.text("short_name")?,
        user: row.text("api_user")?,
        cna_org_id: row.text("cna_org_id")?,
        pool_size: u32::try_from(row.int("pool_size")?).map_err(|e| StoreError::corrupt("pool_size", e))?,
        updated_at: row.time("updated_at")?,
    })
}

fn intent_from(row: &impl RowRead) -> Result<ReservationIntent, StoreError> {
    Ok(ReservationIntent {
        id: row.uuid("id")?,
        org_id: OrgId::from_uuid(row.uuid("org_id")?),
        operation_id: CveOperationId::from_uuid(row.uuid("operation_id")?),
        api_user: row.text("api_user")?,
        amount: u32::try_from(row.int("amount")?).map_err(|e| StoreError::corrupt("amount", e))?,
        requested_at: row.time("requested_at")?,
    })
}

fn operation_from(row: &impl RowRead) -> Result<CveOperation, StoreError> {
    Ok(CveOperation {
        id: CveOperationId::from_uuid(row.uuid("id")?),
        org_id: OrgId::from_uuid(row.uuid("org_id")?),
        advisory_id: row.opt_parsed("advisory_id")?,
        kind: CveOperationKind::parse(&row.text("kind")?)?,
        cve_id: row.opt_parsed("cve_id")?,
        state: CveOperationState::parse(&row.text("state")?)?,
        attempts: u32::try_from(row.int("attempts")?).map_err(|e| StoreError::corrupt("attempts", e))?,
        created_at: row.time("created_at")?,
        last_attempt_at: row.opt_time("last_attempt_at")?,
        last_status: u16::try_from(row.int("last_status")?).ok().filter(|s| *s != 0),
        last_error: row.opt_text("last_error")?,
        finished_at: row.opt_time("finished_at")?,
    })
}

#[async_trait::async_trait]
impl<H> CveServicesReads for Handle<H>
where
    H: DerefMut + Send,
    H::Target: Conn,
{
    async fn cve_services_account(&mut self, org: OrgId) -> Result<Option<CveServicesAccount>, StoreError> {
        const SQL: &str = "SELECT org_id, url, short_name, api_user, cna_org_id, pool_size, updated_at \
                           FROM cve_services WHERE org_id = $1";
        self.fetch_optional(query(SQL).bind(org)).await?.as_ref().map(account_from).transpose()
    }

    async fn cve_services_key(&mut self, org: OrgId) -> Result<Option<Private<String>>, StoreError> {
        let Some(row) =
            self.fetch_optional(query("SELECT api_key FROM cve_services WHERE org_id = $1").bind(org)).await?
        else {
            return Ok(None);
        };
        let row_id = org.to_string();
        Ok(Some(Private::new(self.sealer.open_text(place(&row_id), &row.bytes("api_key")?)?)))
    }

    async fn cve_operation(&mut self, id: CveOperationId) -> Result<Option<CveOperation>, StoreError> {
        const SQL: &str = const_format::concatcp!("SELECT ", OPERATION_COLUMNS, " FROM cve_operations WHERE id = $1");
        self.fetch_optional(query(SQL).bind(id)).await?.as_ref().map(operation_from).transpose()
    }

    async fn cve_operations_of(&mut self, advisory: &AdvisoryId, limit: u32) -> Result<Vec<CveOperation>, StoreError> {
        const SQL: &str = const_format::concatcp!(
            "SELECT ",
            OPERATION_COLUMNS,
            " FROM cve_operations WHERE advisory_id = $1 ORDER BY created_at DESC, id DESC LIMIT $2"
        );
        let rows = self.fetch_all(query(SQL).bind(advisory.as_str()).bind(i64::from(limit))).await?;
        rows.iter().map(operation_from).collect()
    }

    async fn unassigned_reserved_cves(&mut self, org: OrgId) -> Result<Vec<CveId>, StoreError> {
        const SQL: &str = "SELECT r.cve_id FROM cve_reserved_ids r \
                           WHERE r.org_id = $1 AND NOT EXISTS (SELECT 1 FROM cve_assignments a WHERE a.cve_id = r.cve_id) \
                           ORDER BY r.reserved_at, r.cve_id";
        let rows = self.fetch_all(query(SQL).bind(org)).await?;
        rows.iter().map(|r| r.parsed("cve_id")).collect()
    }

    async fn is_reserved_cve(&mut self, org: OrgId, cve: &CveId) -> Result<bool, StoreError> {
        const SQL: &str = "SELECT cve_id FROM cve_reserved_ids WHERE org_id = $1 AND cve_id = $2";
        Ok(self.fetch_optional(query(SQL).bind(org).bind(cve.as_str())).await?.is_some())
    }

    async fn is_known_cve(&mut self, cve: &CveId) -> Result<bool, StoreError> {
        const SQL: &str = "SELECT cve_id FROM cve_reserved_ids WHERE cve_id = $1 \
                           UNION SELECT cve_id FROM cve_assignments WHERE cve_id = $2";
        Ok(self.fetch_optional(query(SQL).bind(cve.as_str()).bind(cve.as_str())).await?.is_some())
    }

    async fn open_reservation_intents(&mut self, org: OrgId) -> Result<Vec<ReservationIntent>, StoreError> {
        const SQL: &str = "SELECT id, org_id, operation_id, api_user, amount, requested_at \
                           FROM cve_reservation_intents WHERE org_id = $1 AND closed_at IS NULL \
                           ORDER BY requested_at, id";
        let rows = self.fetch_all(query(SQL).bind(org)).await?;
        rows.iter().map(intent_from).collect()
    }
}

#[async_trait::async_trait]
impl<H> CveServicesWrites for Handle<H>
where
    H: DerefMut + Send,
    H::Target: Conn,
{
    async fn put_cve_services_account(
        &mut self,
        account: &CveServicesAccount,
        key: &Private<String>,
    ) -> Result<(), StoreError> {
        let row_id = account.org_id.to_string();
        let sealed = self.sealer.seal_text(place(&row_id), key.expose())?;
        self.execute(query("DELETE FROM cve_services WHERE org_id = $1").bind(account.org_id)).await?;
        self.execute(
            query(
                "INSERT INTO cve_services (org_id, url, short_name, api_user, api_key, cna_org_id, pool_size, \
                 updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            )
            .bind(account.org_id)
            .bind(account.url.as_str())
            .bind(account.short_name.as_str())
            .bind(account.user.as_str())
            .bind(sealed)
            .bind(account.cna_org_id.as_str())
            .bind(i64::from(account.pool_size))
            .bind(account.updated_at),
        )
        .await
        .map(drop)
    }

    async fn insert_cve_operation(&mut self, operation: &CveOperation, source: &str) -> Result<bool, StoreError> {
        let changed = self
            .execute(
                query(
                    "INSERT INTO cve_operations (id, org_id, advisory_id, kind, cve_id, source, state, attempts, \
                     created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (source) DO NOTHING",
                )
                .bind(operation.id)
                .bind(operation.org_id)
                .bind(operation.advisory_id.as_ref().map(AdvisoryId::as_str))
                .bind(operation.kind.as_str())
                .bind(operation.cve_id.as_ref().map(CveId::as_str))
                .bind(source)
                .bind(operation.state.as_str())
                .bind(i64::from(operation.attempts))
                .bind(operation.created_at),
            )
            .await?;
        Ok(changed > 0)
    }

    async fn record_cve_attempt(&mut self, id: CveOperationId, attempt: &CveAttempt) -> Result<(), StoreError> {
        let finished = (attempt.state != CveOperationState::Pending).then_some(attempt.at);
        self.execute_one(
            query(
                "UPDATE cve_operations SET attempts = attempts + 1, last_attempt_at = $1, last_status = $2, \
                 last_error = $3, state = $4, finished_at = $5, cve_id = COALESCE($6, cve_id) WHERE id = $7",
            )
            .bind(attempt.at)
            .bind(attempt.status.map(i64::from))
            .bind(attempt.error.clone())
            .bind(attempt.state.as_str())
            .bind(finished)
            .bind(attempt.cve_id.as_ref().map(CveId::as_str))
            .bind(id),
        )
        .await
    }

    async fn insert_reserved_cve(
        &mut self,
        org: OrgId,
        cve: &CveId,
        operation: CveOperationId,
        at: Timestamp,
    ) -> Result<bool, StoreError> {
        let changed = self
            .execute(
                query(
                    "INSERT INTO cve_reserved_ids (cve_id, org_id, operation_id, reserved_at) VALUES ($1, $2, $3, $4) \
                     ON CONFLICT (cve_id) DO NOTHING",
                )
                .bind(cve.as_str())
                .bind(org)
                .bind(operation)
                .bind(at),
            )
            .await?;
        Ok(changed > 0)
    }

    async fn insert_reservation_intent(&mut self, intent: &ReservationIntent) -> Result<(), StoreError> {
        self.execute(
            query(
                "INSERT INTO cve_reservation_intents (id, org_id, operation_id, api_user, amount, requested_at) \
                 VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(intent.id)
            .bind(intent.org_id)
            .bind(intent.operation_id)
            .bind(intent.api_user.as_str())
            .bind(i64::from(intent.amount))
            .bind(intent.requested_at),
        )
        .await
        .map(drop)
    }

    async fn close_reservation_intent(&mut self, id: Uuid, at: Timestamp, outcome: &str) -> Result<bool, StoreError> {
        let changed = self
            .execute(
                query(
                    "UPDATE cve_reservation_intents SET closed_at = $1, outcome = $2 \
                     WHERE id = $3 AND closed_at IS NULL",
                )
                .bind(at)
                .bind(outcome)
                .bind(id),
            )
            .await?;
        Ok(changed > 0)
    }
}
