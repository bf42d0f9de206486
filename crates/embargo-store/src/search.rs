//! Private search's index (issue 15, migration 1501): the terms each report
//! holds (core's `search` module says which), kept as keyed hashes
//! (`Sealer::search_term`). Messages (`text`), the team's fields (`team`,
//! replaced when they change), internal notes (`internal`) and the CVE ids of
//! the advisory drafted from the report (`advisory`, replaced when the advisory
//! is saved, migration 1541) are indexed in the transaction that writes them;
//! pairs of adjacent words come with the text. A new report's content is not:
//! its hundreds of term rows would cost intake more than everything else it
//! writes, so `insert_report` only queues the report (`search_queue`, migration
//! 1530, one row) and `backfill_terms` indexes queued reports in later
//! transactions, oldest first, a batch at a time (the server in the background,
//! and every search first, so a search finds every report filed before it
//! began). The listing reads it
//! (`ReportFilter::search`).

use std::collections::BTreeSet;
use std::ops::DerefMut;

use embargo_core::advisory::Advisory;
use embargo_core::id::ReportId;
use embargo_core::report::{ReportContent, TeamFields};
use embargo_core::search::{cve_term, cwe_term, text_terms};

use crate::StoreError;
use crate::handle::Handle;
use crate::sql::{Conn, Value, built_query, query};

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
    fn as_str(self) -> &'static str {
        match self {
            Source::Text => "text",
            Source::Team => "team",
            Source::Internal => "internal",
            Source::Advisory => "advisory",
        }
    }
}

/// Terms inserted per statement (three parameters each).
const CHUNK: usize = 300;

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

impl<H> Handle<H>
where
    H: DerefMut + Send,
    H::Target: Conn,
{
    /// Adds terms to a report's index (those it holds already stay).
    pub(crate) async fn index_terms(
        &mut self,
        report: ReportId,
        source: Source,
        terms: &BTreeSet<String>,
    ) -> Result<(), StoreError> {
        let terms: Vec<&String> = terms.iter().collect();
        for chunk in terms.chunks(CHUNK) {
            let mut params = vec![Value::from(report), Value::from(source.as_str())];
            let mut rows = Vec::with_capacity(chunk.len());
            for term in chunk {
                params.push(Value::from(self.sealer.search_term(term)));
                rows.push(format!("(${}, $1, $2)", params.len()));
            }
            let sql = format!(
                "INSERT INTO report_terms (term, report_id, source) VALUES {} ON CONFLICT DO NOTHING",
                rows.join(", ")
            );
            self.execute(built_query(sql, params)).await?;
        }
        Ok(())
    }

    /// Replaces the terms one source put in a report's index.
    pub(crate) async fn reindex_terms(
        &mut self,
        report: ReportId,
        source: Source,
        terms: &BTreeSet<String>,
    ) -> Result<(), StoreError> {
        self.execute(
            query("DELETE FROM report_terms WHERE report_id = $1 AND source = $2").bind(report).bind(source.as_str()),
        )
        .await?;
        self.index_terms(report, source, terms).await
    }
}

impl<H> Handle<H>
where
    H: DerefMut + Send,
    H::Target: Conn,
{
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
    /// queued by `insert_report`, or filed before migration 1501), oldest
    /// first; answers how many.
    pub(crate) async fn backfill_terms(&mut self, batch: u32) -> Result<u64, StoreError> {
        use crate::reports::{ReportReads, Thread};
        use crate::sql::RowRead;
        let queued = self
            .fetch_all(query("SELECT seq, report_id FROM search_queue ORDER BY seq LIMIT $1").bind(i64::from(batch)))
            .await?
            .iter()
            .map(|row| Ok((row.int("seq")?, ReportId::from_uuid(row.uuid("report_id")?))))
            .collect::<Result<Vec<_>, StoreError>>()?;
        let mut done = 0;
        for (seq, id) in queued {
            if let Some(report) = self.report(id).await? {
                self.index_terms(id, Source::Text, &content_terms(report.content.expose())).await?;
                self.reindex_terms(id, Source::Team, &team_terms(&report.team)).await?;
                for message in self.messages(id, Thread::WithInternal).await? {
                    let source = match message.visibility {
                        embargo_core::message::Visibility::ReporterVisible => Source::Text,
                        embargo_core::message::Visibility::Internal => Source::Internal,
                    };
                    self.index_terms(id, source, &text_terms(message.body.expose())).await?;
                }
                use crate::advisories::AdvisoryReads;
                if let Some(advisory) = self.advisory_for_report(id).await? {
                    self.reindex_terms(id, Source::Advisory, &advisory_terms(&advisory)).await?;
                }
            }
            self.execute(query("DELETE FROM search_queue WHERE seq = $1").bind(seq)).await?;
            done += 1;
        }
        Ok(done)
    }
}
