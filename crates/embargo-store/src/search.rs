//! Private search's index (issue 15): the terms each report holds (core's
//! `search` module says which), kept as keyed hashes (`Sealer::search_term`).
//! Messages (`text`), the team's fields (`team`, replaced when they change),
//! internal notes (`internal`) and the CVE ids of the advisory drafted from
//! the report (`advisory`, replaced when the advisory is saved, migration
//! 1541) are indexed in the transaction that writes them; pairs of adjacent
//! words come with the text. A new report's content is not: its hundreds of
//! term rows would cost intake more than everything else it writes, so
//! `insert_report` only queues the report (`search_queue`, migration 1530,
//! one row) and `backfill_terms` indexes queued reports in later
//! transactions, oldest first, a batch at a time (the server in the
//! background, and every search first, so a search finds every report filed
//! before it began). The listing reads it (`ReportFilter::search`).
//!
//! The index's layout (migration 1550) is chosen for its cost of writing,
//! which grows with the index: a report holds hundreds of terms.
//! - A report is named in it by a small integer (`search_reports.key`, given
//!   the first time the report is indexed), not its 36-character id, and a
//!   source by a small integer ([`Source`]), so a row is short.
//! - Text terms (`report_terms`: words, prefixes, pairs; sources `text` and
//!   `internal`) are never replaced, only added to, so their table has no
//!   second index by report: a row is written to one B-tree only. The few
//!   replaceable terms (`cwe:` and `cve:`, sources `team` and `advisory`) live
//!   in `report_field_terms`, which has that index for their replacement.
//!   Core's `search::is_field` says which table a term belongs to.
//! - A batch of queued reports is written sorted by term: the new rows of a
//!   term then land together at the end of that term's range (keys grow), so
//!   a batch touches each term's pages once instead of once per report.

use std::collections::{BTreeSet, HashMap};
use std::ops::DerefMut;

use embargo_core::advisory::Advisory;
use embargo_core::id::ReportId;
use embargo_core::report::{ReportContent, TeamFields};
use embargo_core::search::{cve_term, cwe_term, text_terms};

use crate::StoreError;
use crate::handle::Handle;
use crate::sql::{Conn, Dialect, Value, built_query, query};

/// What put a term in the index.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Source {
    /// The report's content and its messages.
    Text,
    /// The team's fields (replaced when they change).
    Team,
    /// Internal notes: the team's only.
    Internal,
    /// The CVE ids of the advisory drafted from the report (replaced when it
    /// is saved): the team's only, since a draft's CVE id is private.
    Advisory,
}

impl Source {
    /// The source as the index holds it.
    pub(crate) fn code(self) -> i64 {
        match self {
            Source::Text => TEXT_SOURCE,
            Source::Internal => 1,
            Source::Team => 2,
            Source::Advisory => 3,
        }
    }

    /// The table its terms live in: the replaceable ones apart (see the module's documentation).
    fn table(self) -> &'static str {
        match self {
            Source::Text | Source::Internal => "report_terms",
            Source::Team | Source::Advisory => "report_field_terms",
        }
    }
}

/// `Source::Text`'s code, as the listing writes it in its statements.
pub(crate) const TEXT_SOURCE: i64 = 0;

/// The table holding a query term: the fields' one for `cwe:` and `cve:`, else the text's.
pub(crate) fn table_of(term: &str) -> &'static str {
    if embargo_core::search::is_field(term) { "report_field_terms" } else { "report_terms" }
}

/// Rows inserted per statement (three parameters each).
const CHUNK: usize = 1000;

/// The placeholder of a statement's `n`th parameter (from 1). SQLite's are
/// anonymous (`?`, bound in order): it keeps named ones (`$n`) in a list it
/// searches from the start for every name, when parsing a statement and again
/// when binding each parameter, so a chunk's 3,000 named parameters cost
/// millions of string comparisons. Profiled while mail was filed (issue 15):
/// 32 % of the server's time went to `sqlite3_bind_parameter_name` and
/// `strncmp` in the background indexing of new reports.
fn placeholder(dialect: Dialect, n: usize) -> String {
    match dialect {
        Dialect::Sqlite => "?".to_owned(),
        Dialect::Postgres => format!("${n}"),
    }
}

/// The terms of a report's content: title, description and structured fields.
pub(crate) fn content_terms(content: &ReportContent) -> BTreeSet<String> {
    let mut text = format!("{}\n{}", content.title, content.body);
    for field in [
        &content.component,
        &content.versions_tested,
        &content.versions_vulnerable,
        &content.platform,
        &content.threat_model,
        &content.proof_of_concept,
        &content.patch,
    ]
    .into_iter()
    .flatten()
    {
        text.push('\n');
        text.push_str(field);
    }
    for line in &content.lines {
        text.push('\n');
        text.push_str(line);
    }
    text_terms(&text)
}

/// The terms of the team's fields.
pub(crate) fn team_terms(team: &TeamFields) -> BTreeSet<String> {
    team.cwes.iter().map(cwe_term).collect()
}

/// The terms of an advisory: the CVE ids among its draft's and its published
/// revision's aliases (`cve:cve-2026-1234`).
pub(crate) fn advisory_terms(advisory: &Advisory) -> BTreeSet<String> {
    let published = advisory.published.iter().flat_map(|r| r.content.aliases.iter());
    advisory.draft.aliases.iter().chain(published).filter_map(|a| a.cve()).map(|cve| cve_term(cve.as_str())).collect()
}

/// One row of the index: a term's keyed hash, the report's key, the source's code.
type Row = (Vec<u8>, i64, i64);

impl<H> Handle<H>
where
    H: DerefMut + Send,
    H::Target: Conn,
{
    /// The report's key in the index (`search_reports`), given now if it has none.
    async fn search_key(&mut self, report: ReportId) -> Result<i64, StoreError> {
        use crate::sql::RowRead;
        let select = query("SELECT key FROM search_reports WHERE report_id = $1").bind(report);
        if let Some(row) = self.fetch_optional(select).await? {
            return row.int("key");
        }
        let insert = query("INSERT INTO search_reports (report_id) VALUES ($1) RETURNING key").bind(report);
        match self.fetch_optional(insert).await? {
            Some(row) => row.int("key"),
            None => Err(StoreError::Other("no search key was given".to_owned())),
        }
    }

    /// Writes index rows to `table`, sorted, a chunk per statement (rows it holds already stay).
    async fn insert_rows(&mut self, table: &str, mut rows: Vec<Row>) -> Result<(), StoreError> {
        rows.sort();
        rows.dedup();
        let dialect = self.dialect();
        for chunk in rows.chunks(CHUNK) {
            let mut params = Vec::with_capacity(chunk.len() * 3);
            let mut values = Vec::with_capacity(chunk.len());
            for (term, key, source) in chunk {
                params.push(Value::from(term.clone()));
                params.push(Value::from(*key));
                params.push(Value::from(*source));
                let n = params.len();
                let [a, b, c] = [n - 2, n - 1, n].map(|n| placeholder(dialect, n));
                values.push(format!("({a}, {b}, {c})"));
            }
            let sql = format!(
                "INSERT INTO {table} (term, report, source) VALUES {} ON CONFLICT DO NOTHING",
                values.join(", ")
            );
            self.execute(built_query(sql, params)).await?;
        }
        Ok(())
    }

    /// Adds terms to a report's index (those it holds already stay).
    pub(crate) async fn index_terms(
        &mut self,
        report: ReportId,
        source: Source,
        terms: &BTreeSet<String>,
    ) -> Result<(), StoreError> {
        let key = self.search_key(report).await?;
        let rows = terms.iter().map(|t| (self.sealer.search_term(t), key, source.code())).collect();
        self.insert_rows(source.table(), rows).await
    }

    /// Replaces the terms one source put in a report's index.
    pub(crate) async fn reindex_terms(
        &mut self,
        report: ReportId,
        source: Source,
        terms: &BTreeSet<String>,
    ) -> Result<(), StoreError> {
        match source {
            // Text terms are only ever added to (their table has no index by report).
            Source::Text | Source::Internal => return self.index_terms(report, source, terms).await,
            Source::Team | Source::Advisory => {}
        }
        let key = self.search_key(report).await?;
        let delete = query("DELETE FROM report_field_terms WHERE report = $1 AND source = $2");
        self.execute(delete.bind(key).bind(source.code())).await?;
        let rows = terms.iter().map(|t| (self.sealer.search_term(t), key, source.code())).collect();
        self.insert_rows(source.table(), rows).await
    }

    /// Queues a new report for indexing (`search_queue`): one row, in the
    /// report's own transaction, so a committed report is always indexed later.
    pub(crate) async fn queue_for_index(&mut self, report: ReportId) -> Result<(), StoreError> {
        self.execute(query("INSERT INTO search_queue (report_id) VALUES ($1)").bind(report)).await.map(drop)
    }

    /// How many reports wait to be indexed.
    pub(crate) async fn search_pending_count(&mut self) -> Result<u64, StoreError> {
        let row = self.fetch_optional(query("SELECT COUNT(*) AS n FROM search_queue")).await?;
        let n = match row {
            Some(row) => crate::sql::RowRead::int(&row, "n")?,
            None => 0,
        };
        u64::try_from(n).map_err(|e| StoreError::corrupt("n", e))
    }

    /// Indexes up to `batch` of the reports waiting for it (`search_queue`:
    /// queued by `insert_report`, or by a migration), oldest first; answers
    /// how many. The batch's text terms are written together, sorted (see the
    /// module's documentation), each distinct term hashed once.
    pub(crate) async fn backfill_terms(&mut self, batch: u32) -> Result<u64, StoreError> {
        use crate::advisories::AdvisoryReads;
        use crate::reports::{ReportReads, Thread};
        use crate::sql::RowRead;
        use embargo_core::message::Visibility;
        let queued = self
            .fetch_all(query("SELECT seq, report_id FROM search_queue ORDER BY seq LIMIT $1").bind(i64::from(batch)))
            .await?
            .iter()
            .map(|row| Ok((row.int("seq")?, ReportId::from_uuid(row.uuid("report_id")?))))
            .collect::<Result<Vec<_>, StoreError>>()?;
        let mut hashes: HashMap<String, Vec<u8>> = HashMap::new();
        let mut rows: Vec<Row> = Vec::new();
        let mut done = 0;
        for (seq, id) in queued {
            if let Some(report) = self.report(id).await? {
                let key = self.search_key(id).await?;
                let mut texts = vec![(Source::Text, content_terms(report.content.expose()))];
                for message in self.messages(id, Thread::WithInternal).await? {
                    let source = match message.visibility {
                        Visibility::ReporterVisible => Source::Text,
                        Visibility::Internal => Source::Internal,
                    };
                    texts.push((source, text_terms(message.body.expose())));
                }
                for (source, terms) in texts {
                    for term in terms {
                        let hash = match hashes.get(&term) {
                            Some(hash) => hash.clone(),
                            None => {
                                let hash = self.sealer.search_term(&term);
                                hashes.insert(term, hash.clone());
                                hash
                            }
                        };
                        rows.push((hash, key, source.code()));
                    }
                }
                self.reindex_terms(id, Source::Team, &team_terms(&report.team)).await?;
                if let Some(advisory) = self.advisory_for_report(id).await? {
                    self.reindex_terms(id, Source::Advisory, &advisory_terms(&advisory)).await?;
                }
            }
            self.execute(query("DELETE FROM search_queue WHERE seq = $1").bind(seq)).await?;
            done += 1;
        }
        self.insert_rows("report_terms", rows).await?;
        Ok(done)
    }
}
