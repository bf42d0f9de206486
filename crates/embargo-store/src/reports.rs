//! Reports, their state history and their messages. Reporter content,
//! reasons and message bodies are sealed here, and only here.

use std::ops::DerefMut;

use embargo_core::Timestamp;
use embargo_core::deadline::Deadlines;
use embargo_core::id::{MessageId, OrgId, ProjectId, ReportId, UserId};
use embargo_core::lifecycle::{Outcome, ReportState};
use embargo_core::message::{Message, Visibility};
use embargo_core::permission::ReportScope;
use embargo_core::private::Private;
use embargo_core::report::{Report, StateChange};

use crate::StoreError;
use crate::handle::Handle;
use crate::seal::Place;
use crate::search::{Source, team_terms};
use crate::sql::{Conn, Dialect, RowRead, built_query, query};
use crate::stored::{StoredReportContent, StoredTeamFields, from_json, to_json};
use crate::users::TokenHash;

mod listing;

/// Where the previous page of a listing ended: its last report's deadline
/// (in the deadline order), creation time and id. The next page starts after it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReportCursor {
    /// The last report's current deadline (`Deadlines::current` in its state;
    /// `None` when it has none): read by the deadline order only.
    pub due: Option<Timestamp>,
    /// The last report's creation time.
    pub created_at: Timestamp,
    /// The last report's id (ties on the time are ordered by id, descending).
    pub id: ReportId,
}

impl ReportCursor {
    /// The position just after `report`, in either keyset order.
    pub fn after(report: &Report) -> ReportCursor {
        ReportCursor {
            due: report.deadlines.current(report.state).map(|due| due.at),
            created_at: report.created_at,
            id: report.id,
        }
    }
}

/// Which reports to list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportFilter {
    /// The reports the caller may see, as core's `permission::visible_reports`
    /// states them; the query filters by it and adds no rule of its own.
    pub scope: ReportScope,
    /// Only this organisation's.
    pub org: Option<OrgId>,
    /// Only this project's.
    pub project: Option<ProjectId>,
    /// Only in this state.
    pub state: Option<ReportState>,
    /// Only the open ones (not closed, as core's lifecycle says).
    pub open_only: bool,
    /// Only assigned to this user.
    pub assignee: Option<UserId>,
    /// Only those with this lab signal, among the reports of the viewer's
    /// teams (a reporter's own reports never match: their lab record is the team's).
    pub lab: Option<crate::lab::LabSignal>,
    /// Reproduced first, then not run, then not reproduced (newest first within each).
    pub lab_first: bool,
    /// Soonest deadline first (the one that matters in each report's state;
    /// reports without one last), instead of newest first.
    pub deadline_first: bool,
    /// At most this many, newest first.
    pub limit: u32,
    /// Skip this many (after the cursor, if any).
    pub offset: u32,
    /// Start after this report (keyset paging, served by the queue indexes
    /// whatever the depth), newest first and in the deadline order. The lab
    /// order ignores it and pages by `offset`.
    pub after: Option<ReportCursor>,
    /// Only reports holding every one of these search terms (core's
    /// `search::parse` makes them); a reporter's own reports match only on
    /// their text and reporter-visible messages, the team's on everything.
    pub search: Vec<String>,
}

/// Which messages to read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Thread {
    /// Reporter-visible messages and internal notes: the team's view.
    WithInternal,
    /// Reporter-visible messages only: what a reporter may receive.
    ReporterVisible,
}

/// How a signed-in reporter's reports ended so far.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ReporterRecord {
    /// Reports in all.
    pub total: u64,
    /// Accepted as vulnerabilities.
    pub accepted: u64,
    /// Declined: not a vulnerability, out of scope or duplicate.
    pub declined: u64,
    /// Discarded as spam.
    pub spam: u64,
}

/// Reading reports.
#[async_trait::async_trait]
pub trait ReportReads {
    /// How a reporter's reports ended so far.
    async fn reporter_record(&mut self, reporter: UserId) -> Result<ReporterRecord, StoreError>;
    /// A report by id.
    async fn report(&mut self, id: ReportId) -> Result<Option<Report>, StoreError>;
    /// The report a follow-up token belongs to.
    async fn report_by_followup(&mut self, hash: &TokenHash) -> Result<Option<ReportId>, StoreError>;
    /// Reports the viewer may see, newest first (or as the filter orders).
    /// Chosen from the queue indexes; only the page's rows are read and opened.
    async fn reports(&mut self, filter: &ReportFilter) -> Result<Vec<Report>, StoreError>;
    /// The database's plan for the listing's first step, one line per step
    /// (`EXPLAIN QUERY PLAN` on SQLite, `EXPLAIN` on PostgreSQL): what the
    /// tests and `embargo bench` check for index use.
    async fn report_listing_plan(&mut self, filter: &ReportFilter) -> Result<Vec<String>, StoreError>;
    /// A report's messages, oldest first.
    async fn messages(&mut self, report: ReportId, thread: Thread) -> Result<Vec<Message>, StoreError>;
    /// The names of everyone who wrote on a report, one query for the whole thread.
    async fn message_authors(&mut self, report: ReportId) -> Result<Vec<(UserId, String)>, StoreError>;
    /// A report's state history, oldest first.
    async fn state_changes(&mut self, report: ReportId) -> Result<Vec<StateChange>, StoreError>;
    /// The reports marked as duplicates of `original`, oldest first.
    async fn duplicates_of(&mut self, original: ReportId) -> Result<Vec<Report>, StoreError>;
    /// A project's open reports (core's open states), oldest first, at most 500.
    async fn open_reports(&mut self, project: ProjectId) -> Result<Vec<Report>, StoreError>;
    /// How many reports wait for their words to be indexed (`backfill_search`).
    async fn search_pending(&mut self) -> Result<u64, StoreError>;
}

/// Changing reports.
#[async_trait::async_trait]
pub trait ReportWrites {
    /// A report, locked against concurrent changes until the transaction ends.
    async fn lock_report(&mut self, id: ReportId) -> Result<Option<Report>, StoreError>;
    /// Adds a report with the hash of its follow-up token.
    async fn insert_report(&mut self, report: &Report, followup: &TokenHash) -> Result<(), StoreError>;
    /// Saves a report's state, team fields, duplicate link and update time.
    async fn update_report(&mut self, report: &Report) -> Result<(), StoreError>;
    /// Appends to a report's state history.
    async fn insert_state_change(&mut self, change: &StateChange) -> Result<(), StoreError>;
    /// Adds a message.
    async fn insert_message(&mut self, message: &Message) -> Result<(), StoreError>;
    /// Indexes for search up to `batch` of the reports waiting for it: those
    /// filed since (`insert_report` queues each) and those filed before the
    /// index existed; answers how many (0: none left).
    async fn backfill_search(&mut self, batch: u32) -> Result<u64, StoreError>;
}

const REPORT_COLUMNS: &str = "r.id, r.org_id, r.project_id, r.reporter_id, r.channel, r.content, r.state, r.team, \
                              r.assignee_id, r.duplicate_of, r.created_at, r.updated_at, r.acknowledge_due, \
                              r.triage_due, r.fix_due, r.disclosure_due";

/// What `due_key` holds for a report without a deadline in its state: a
/// far-future time, so that such reports sort last on both backends
/// (migration 1540 writes the same value as the column's default).
pub const NO_DEADLINE: Timestamp = time::macros::datetime!(9999-12-31 23:59:59 UTC);

/// The deadline that matters in a report's state (core's `Deadlines::current`),
/// as the `due_key` column holds it: the deadline order's index key.
fn due_key(report: &Report) -> Timestamp {
    report.deadlines.current(report.state).map_or(NO_DEADLINE, |due| due.at)
}

/// The open states (core's `ReportState::is_closed`) as an SQL list: `'new', 'acknowledged', …`.
pub(crate) fn open_states_sql() -> String {
    let open: Vec<String> =
        ReportState::ALL.iter().filter(|s| !s.is_closed()).map(|s| format!("'{}'", s.as_str())).collect();
    open.join(", ")
}

/// The rows of a listing's page, by id (a JSON array).
const PAGE_ROWS_SQLITE: &str = const_format::concatcp!(
    "SELECT ",
    REPORT_COLUMNS,
    " FROM reports r WHERE r.id IN (SELECT value FROM json_each($1))"
);
const PAGE_ROWS_POSTGRES: &str = const_format::concatcp!(
    "SELECT ",
    REPORT_COLUMNS,
    " FROM reports r WHERE r.id IN (SELECT value::uuid FROM jsonb_array_elements_text(CAST($1 AS jsonb)))"
);

/// A project's open reports; the open states are core's.
static OPEN_REPORTS_SQL: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
    let open = open_states_sql();
    format!(
        "SELECT {REPORT_COLUMNS} FROM reports r WHERE r.project_id = $1 AND r.state IN ({}) \
         ORDER BY r.created_at, r.id LIMIT 500",
        open
    )
});

impl<H> Handle<H>
where
    H: DerefMut + Send,
    H::Target: Conn,
{
    fn report_from(&self, row: &impl RowRead) -> Result<Report, StoreError> {
        let id = ReportId::from_uuid(row.uuid("id")?);
        let row_id = id.to_string();
        let content = self
            .sealer
            .open_text(Place { table: "reports", column: "content", row: &row_id }, &row.bytes("content")?)?;
        let mut stored = from_json::<StoredReportContent>("reports.content", &content)?;
        let intake = stored.take_intake()?;
        let content = stored.into_domain()?;
        let assignee = row.opt_uuid("assignee_id")?.map(UserId::from_uuid);
        Ok(Report {
            id,
            org_id: OrgId::from_uuid(row.uuid("org_id")?),
            project_id: ProjectId::from_uuid(row.uuid("project_id")?),
            reporter_id: row.opt_uuid("reporter_id")?.map(UserId::from_uuid),
            channel: row.parsed("channel")?,
            content: Private::new(content),
            state: row.parsed("state")?,
            team: from_json::<StoredTeamFields>("reports.team", &row.text("team")?)?.into_domain(assignee)?,
            duplicate_of: row.opt_uuid("duplicate_of")?.map(ReportId::from_uuid),
            deadlines: Deadlines {
                acknowledge: row.opt_time("acknowledge_due")?,
                triage: row.opt_time("triage_due")?,
                fix: row.opt_time("fix_due")?,
                disclosure: row.opt_time("disclosure_due")?,
            },
            intake,
            created_at: row.time("created_at")?,
            updated_at: row.time("updated_at")?,
        })
    }

    /// The filter's search terms as the index holds them, and the rarest one
    /// when few enough reports hold it to drive the query (`listing::driver_limit`).
    async fn search_plan(&mut self, filter: &ReportFilter) -> Result<listing::Search, StoreError> {
        let terms: Vec<listing::Term> = filter
            .search
            .iter()
            .map(|t| listing::Term { hash: self.sealer.search_term(t), table: crate::search::table_of(t) })
            .collect();
        if terms.is_empty() {
            return Ok(listing::Search::default());
        }
        // The reports indexed so far: keys are given in order, so the last one counts them.
        let indexed = self
            .fetch_optional(query("SELECT COALESCE(MAX(key), 0) AS n FROM search_reports"))
            .await?
            .map(|r| r.int("n"))
            .transpose()?
            .unwrap_or(0);
        let most = listing::driver_limit(filter.limit, indexed);
        let mut driver: Option<(usize, i64)> = None;
        for (i, term) in terms.iter().enumerate() {
            let sql = format!("SELECT COUNT(*) AS n FROM (SELECT 1 FROM {} WHERE term = $1 LIMIT $2) c", term.table);
            let row = self.fetch_optional(built_query(sql, Vec::new()).bind(term.hash.clone()).bind(most + 1)).await?;
            let n = row.map(|r| r.int("n")).transpose()?.unwrap_or(0);
            if n <= most && driver.is_none_or(|(_, least)| n < least) {
                driver = Some((i, n));
            }
        }
        Ok(listing::Search { terms, driver: driver.map(|(i, _)| i) })
    }

    fn reason_place(report: ReportId, seq: i64) -> String {
        format!("{report}:{seq}")
    }
}

#[async_trait::async_trait]
impl<H> ReportReads for Handle<H>
where
    H: DerefMut + Send,
    H::Target: Conn,
{
    async fn reporter_record(&mut self, reporter: UserId) -> Result<ReporterRecord, StoreError> {
        let rows = self
            .fetch_all(
                query("SELECT state, COUNT(*) AS n FROM reports WHERE reporter_id = $1 GROUP BY state").bind(reporter),
            )
            .await?;
        let mut record = ReporterRecord::default();
        for row in &rows {
            let n = u64::try_from(row.int("n")?).unwrap_or(0);
            let state: ReportState = row.parsed("state")?;
            record.total += n;
            match state.outcome() {
                Outcome::Accepted => record.accepted += n,
                Outcome::Declined => record.declined += n,
                Outcome::Spam => record.spam += n,
                Outcome::Open => {}
            }
        }
        Ok(record)
    }

    async fn report(&mut self, id: ReportId) -> Result<Option<Report>, StoreError> {
        const SQL: &str = const_format::concatcp!("SELECT ", REPORT_COLUMNS, " FROM reports r WHERE r.id = $1");
        let row = self.fetch_optional(query(SQL).bind(id)).await?;
        row.map(|r| self.report_from(&r)).transpose()
    }

    async fn report_by_followup(&mut self, hash: &TokenHash) -> Result<Option<ReportId>, StoreError> {
        let row = self
            .fetch_optional(query("SELECT id FROM reports WHERE followup_hash = $1").bind(hash.0.as_slice()))
            .await?;
        row.map(|r| r.uuid("id").map(ReportId::from_uuid)).transpose()
    }

    async fn reports(&mut self, filter: &ReportFilter) -> Result<Vec<Report>, StoreError> {
        if filter.scope.is_empty() || filter.limit == 0 {
            return Ok(Vec::new());
        }
        let search = self.search_plan(filter).await?;
        let plan = listing::listing(self.dialect(), filter, &search);
        let rows = self.fetch_all(built_query(plan.sql, plan.params)).await?;
        let ids = rows.iter().map(|row| row.uuid("id")).collect::<Result<Vec<_>, _>>()?;
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        // The page's rows only, in the order the first step chose.
        let sql = match self.dialect() {
            Dialect::Sqlite => PAGE_ROWS_SQLITE,
            Dialect::Postgres => PAGE_ROWS_POSTGRES,
        };
        let rows = self.fetch_all(query(sql).bind(listing::id_list(ids.iter().copied()))).await?;
        let mut reports = rows.iter().map(|r| self.report_from(r)).collect::<Result<Vec<_>, _>>()?;
        let position: std::collections::HashMap<uuid::Uuid, usize> =
            ids.iter().enumerate().map(|(i, id)| (*id, i)).collect();
        reports.sort_by_key(|r| position.get(&r.id.as_uuid()).copied().unwrap_or(usize::MAX));
        Ok(reports)
    }

    async fn report_listing_plan(&mut self, filter: &ReportFilter) -> Result<Vec<String>, StoreError> {
        let search = self.search_plan(filter).await?;
        let plan = listing::listing(self.dialect(), filter, &search);
        let (sql, column) = match self.dialect() {
            Dialect::Sqlite => (format!("EXPLAIN QUERY PLAN {}", plan.sql), "detail"),
            Dialect::Postgres => (format!("EXPLAIN {}", plan.sql), "QUERY PLAN"),
        };
        let rows = self.fetch_all(built_query(sql, plan.params)).await?;
        rows.iter().map(|row| row.text(column)).collect()
    }

    async fn message_authors(&mut self, report: ReportId) -> Result<Vec<(UserId, String)>, StoreError> {
        let rows = self
            .fetch_all(
                query(
                    "SELECT DISTINCT u.id, u.name FROM messages m JOIN users u ON u.id = m.author_id \
                     WHERE m.report_id = $1 ORDER BY u.name, u.id",
                )
                .bind(report),
            )
            .await?;
        rows.iter().map(|row| Ok((UserId::from_uuid(row.uuid("id")?), row.text("name")?))).collect()
    }

    async fn messages(&mut self, report: ReportId, thread: Thread) -> Result<Vec<Message>, StoreError> {
        let only = match thread {
            Thread::WithInternal => None,
            Thread::ReporterVisible => Some(Visibility::ReporterVisible.as_str()),
        };
        let rows = self
            .fetch_all(
                query(
                    "SELECT id, report_id, author_id, author_role, visibility, channel, body, created_at \
                     FROM messages WHERE report_id = $1 AND ($2 IS NULL OR visibility = $2) \
                     ORDER BY created_at, id",
                )
                .bind(report)
                .bind(only),
            )
            .await?;
        rows.iter()
            .map(|row| {
                let id = MessageId::from_uuid(row.uuid("id")?);
                let row_id = id.to_string();
                let body = self
                    .sealer
                    .open_text(Place { table: "messages", column: "body", row: &row_id }, &row.bytes("body")?)?;
                Ok(Message {
                    id,
                    report_id: ReportId::from_uuid(row.uuid("report_id")?),
                    author_id: row.opt_uuid("author_id")?.map(UserId::from_uuid),
                    author_role: row.parsed("author_role")?,
                    visibility: row.parsed("visibility")?,
                    channel: row.parsed("channel")?,
                    body: Private::new(body),
                    created_at: row.time("created_at")?,
                })
            })
            .collect()
    }

    async fn open_reports(&mut self, project: ProjectId) -> Result<Vec<Report>, StoreError> {
        let rows = self.fetch_all(query(OPEN_REPORTS_SQL.as_str()).bind(project)).await?;
        rows.iter().map(|r| self.report_from(r)).collect()
    }

    async fn search_pending(&mut self) -> Result<u64, StoreError> {
        self.search_pending_count().await
    }

    async fn duplicates_of(&mut self, original: ReportId) -> Result<Vec<Report>, StoreError> {
        const SQL: &str = const_format::concatcp!(
            "SELECT ",
            REPORT_COLUMNS,
            " FROM reports r WHERE r.duplicate_of = $1 ORDER BY r.created_at, r.id"
        );
        let rows = self.fetch_all(query(SQL).bind(original)).await?;
        rows.iter().map(|r| self.report_from(r)).collect()
    }

    async fn state_changes(&mut self, report: ReportId) -> Result<Vec<StateChange>, StoreError> {
        let rows = self
            .fetch_all(
                query(
                    "SELECT seq, from_state, to_state, reason, actor_id, at FROM report_states \
                     WHERE report_id = $1 ORDER BY seq",
                )
                .bind(report),
            )
            .await?;
        rows.iter()
            .map(|row| {
                let place = Self::reason_place(report, row.int("seq")?);
                let reason = row
                    .opt_bytes("reason")?
                    .map(|sealed| {
                        self.sealer.open_text(Place { table: "report_states", column: "reason", row: &place }, &sealed)
                    })
                    .transpose()?;
                Ok(StateChange {
                    report_id: report,
                    from: row.opt_parsed("from_state")?,
                    to: row.parsed("to_state")?,
                    reason: reason.map(Private::new),
                    actor_id: row.opt_uuid("actor_id")?.map(UserId::from_uuid),
                    at: row.time("at")?,
                })
            })
            .collect()
    }
}

#[async_trait::async_trait]
impl<H> ReportWrites for Handle<H>
where
    H: DerefMut + Send,
    H::Target: Conn,
{
    async fn lock_report(&mut self, id: ReportId) -> Result<Option<Report>, StoreError> {
        const SQLITE: &str = const_format::concatcp!("SELECT ", REPORT_COLUMNS, " FROM reports r WHERE r.id = $1");
        const POSTGRES: &str =
            const_format::concatcp!("SELECT ", REPORT_COLUMNS, " FROM reports r WHERE r.id = $1 FOR UPDATE");
        let sql = match self.dialect() {
            // SQLite has one writer at a time: the transaction itself is the lock.
            Dialect::Sqlite => SQLITE,
            Dialect::Postgres => POSTGRES,
        };
        let row = self.fetch_optional(query(sql).bind(id)).await?;
        row.map(|r| self.report_from(&r)).transpose()
    }

    async fn insert_report(&mut self, report: &Report, followup: &TokenHash) -> Result<(), StoreError> {
        let row_id = report.id.to_string();
        let content = to_json("reports.content", &StoredReportContent::new(report.content.expose(), &report.intake))?;
        let sealed = self.sealer.seal_text(Place { table: "reports", column: "content", row: &row_id }, &content)?;
        let team = to_json("reports.team", &StoredTeamFields::from(&report.team))?;
        self.execute(
            query(
                "INSERT INTO reports (id, org_id, project_id, reporter_id, channel, content, state, team, \
                 assignee_id, duplicate_of, followup_hash, created_at, updated_at, acknowledge_due, triage_due, \
                 fix_due, disclosure_due, due_key) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18)",
            )
            .bind(report.id)
            .bind(report.org_id)
            .bind(report.project_id)
            .bind(report.reporter_id)
            .bind(report.channel.as_str())
            .bind(sealed)
            .bind(report.state.as_str())
            .bind(team)
            .bind(report.team.assignee)
            .bind(report.duplicate_of)
            .bind(followup.0.as_slice())
            .bind(report.created_at)
            .bind(report.updated_at)
            .bind(report.deadlines.acknowledge)
            .bind(report.deadlines.triage)
            .bind(report.deadlines.fix)
            .bind(report.deadlines.disclosure)
            .bind(due_key(report)),
        )
        .await?;
        // Its words are indexed after the commit, off the intake path (`search.rs`): a
        // report's hundreds of term rows cost more than everything else intake writes.
        self.queue_for_index(report.id).await
    }

    async fn update_report(&mut self, report: &Report) -> Result<(), StoreError> {
        let team = to_json("reports.team", &StoredTeamFields::from(&report.team))?;
        self.execute_one(
            query(
                "UPDATE reports SET state = $1, team = $2, assignee_id = $3, duplicate_of = $4, updated_at = $5, \
                 acknowledge_due = $6, triage_due = $7, fix_due = $8, disclosure_due = $9, due_key = $10 \
                 WHERE id = $11",
            )
            .bind(report.state.as_str())
            .bind(team)
            .bind(report.team.assignee)
            .bind(report.duplicate_of)
            .bind(report.updated_at)
            .bind(report.deadlines.acknowledge)
            .bind(report.deadlines.triage)
            .bind(report.deadlines.fix)
            .bind(report.deadlines.disclosure)
            .bind(due_key(report))
            .bind(report.id),
        )
        .await?;
        self.reindex_terms(report.id, Source::Team, &team_terms(&report.team)).await
    }

    async fn insert_state_change(&mut self, change: &StateChange) -> Result<(), StoreError> {
        let next = self
            .fetch_optional(
                query("SELECT COALESCE(MAX(seq), 0) + 1 AS next FROM report_states WHERE report_id = $1")
                    .bind(change.report_id),
            )
            .await?
            .map(|r| r.int("next"))
            .transpose()?
            .unwrap_or(1);
        let place = Self::reason_place(change.report_id, next);
        let reason = change
            .reason
            .as_ref()
            .map(|r| self.sealer.seal_text(Place { table: "report_states", column: "reason", row: &place }, r.expose()))
            .transpose()?;
        self.execute(
            query(
                "INSERT INTO report_states (report_id, seq, from_state, to_state, reason, actor_id, at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7)",
            )
            .bind(change.report_id)
            .bind(next)
            .bind(change.from.map(|s| s.as_str()))
            .bind(change.to.as_str())
            .bind(reason)
            .bind(change.actor_id)
            .bind(change.at),
        )
        .await
        .map(drop)
    }

    async fn insert_message(&mut self, message: &Message) -> Result<(), StoreError> {
        let row_id = message.id.to_string();
        let body =
            self.sealer.seal_text(Place { table: "messages", column: "body", row: &row_id }, message.body.expose())?;
        self.execute(
            query(
                "INSERT INTO messages (id, report_id, author_id, author_role, visibility, channel, body, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            )
            .bind(message.id)
            .bind(message.report_id)
            .bind(message.author_id)
            .bind(message.author_role.as_str())
            .bind(message.visibility.as_str())
            .bind(message.channel.as_str())
            .bind(body)
            .bind(message.created_at),
        )
        .await?;
        // Internal notes are the team's: a reporter's search never matches their words.
        let source = match message.visibility {
            Visibility::ReporterVisible => Source::Text,
            Visibility::Internal => Source::Internal,
        };
        self.index_terms(message.report_id, source, &embargo_core::search::text_terms(message.body.expose())).await
    }

    async fn backfill_search(&mut self, batch: u32) -> Result<u64, StoreError> {
        self.backfill_terms(batch).await
    }
}
