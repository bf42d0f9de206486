//! A listing's search (`ReportQuery::q`) read with core's `search::parse`:
//! its words become the store's search terms (hashed there, never stored as
//! text), its filters stand in for the query's own when those are absent.
//! `cve:` matches the CVE ids of the advisory drafted from a report, for the
//! team only (an unpublished advisory's CVE id is private).

use embargo_core::id::UserId;
use embargo_core::permission::Actor;
use embargo_core::text::{FieldErrors, OrgOrProject, Slug, TextError};

use super::ReportQuery;
use crate::AppError;

/// The listing's filters, with the search's folded in.
#[derive(Debug, Clone, Default)]
pub(crate) struct Search {
    pub(crate) terms: Vec<String>,
    pub(crate) org: Option<Slug>,
    pub(crate) project: Option<Slug>,
    pub(crate) state: Option<String>,
    pub(crate) open_only: bool,
    pub(crate) assignee: Option<UserId>,
}

fn refused(reason: String) -> AppError {
    AppError::Invalid(FieldErrors(vec![TextError::Refused { field: "q", reason }]))
}

impl Search {
    /// Reads the query's search; a query without one keeps its own filters.
    pub(crate) fn read(actor: &Actor, query: &ReportQuery) -> Result<Search, AppError> {
        let mut out = Search {
            terms: Vec::new(),
            org: query.org.clone(),
            project: query.project.clone(),
            state: query.state.clone(),
            open_only: query.open_only,
            assignee: query.assignee,
        };
        let Some(text) = query.q.as_deref().map(str::trim).filter(|q| !q.is_empty()) else {
            return Ok(out);
        };
        if text.len() > 500 {
            return Err(refused("a search is at most 500 bytes".to_owned()));
        }
        let parsed = embargo_core::search::parse(text).map_err(|e| refused(e.to_string()))?;
        // A CVE id is indexed as the advisory holds it: anything else could never match.
        for cve in parsed.terms.iter().filter_map(|t| t.strip_prefix("cve:")) {
            if cve.to_uppercase().parse::<embargo_core::id::CveId>().is_err() {
                return Err(refused(format!("cve:{cve} is not a CVE id (such as CVE-2026-1234)")));
            }
        }
        out.terms = parsed.terms;
        match parsed.state.as_deref() {
            None => {}
            Some("open") => {
                out.open_only = true;
                out.state = None;
            }
            Some(state) => {
                out.state = Some(state.to_owned());
                out.open_only = false;
            }
        }
        if let Some(place) = parsed.project {
            match place.parse::<OrgOrProject>().map_err(|e| refused(format!("project:{place}: {e}")))? {
                OrgOrProject::Organisation(org) => {
                    out.org = Some(org);
                    out.project = None;
                }
                OrgOrProject::Project(path) => {
                    out.org = Some(path.org);
                    out.project = Some(path.project);
                }
            }
        }
        if let Some(who) = parsed.assignee {
            out.assignee = Some(match who.as_str() {
                "me" => {
                    actor.user().map(|u| u.id).ok_or_else(|| refused("assignee:me needs a signed-in user".into()))?
                }
                id => id.parse().map_err(|_| refused(format!("assignee:{id} is not me nor a user id")))?,
            });
        }
        Ok(out)
    }
}

/// Reports indexed per transaction: small, so that the writer goes back to
/// new reports between batches.
pub const INDEX_BATCH: u32 = 64;

/// The most batches a search indexes before it reads (256 reports: well under
/// a second in a release build).
pub const CATCH_UP_ROUNDS: u64 = 4;

impl crate::App {
    /// How many writes this process has asked the store for so far
    /// (`Store::writes_asked`): the background indexer reads it to yield the
    /// writer to everything else.
    pub fn writes_asked(&self) -> u64 {
        self.store.writes_asked()
    }

    /// Indexes up to `batch` reports waiting for the search index (new
    /// reports are queued at intake, see `embargo-store`'s `search.rs`), in
    /// one transaction; answers how many. Housekeeping: `embargo serve` calls
    /// it in the background, and every search first catches up.
    pub async fn index_pending_search(&self, batch: u32) -> Result<u64, AppError> {
        use embargo_store::StoreExt;
        let batch = batch.max(1);
        Ok(self
            .store
            .write::<u64, embargo_store::StoreError, _>(move |tx| {
                Box::pin(async move { tx.backfill_search(batch).await })
            })
            .await?)
    }

    /// Indexes what waited when the search began, up to
    /// [`CATCH_UP_ROUNDS`] batches, so that it finds every report filed
    /// before it unless a backlog is larger than that (after a flood, or the
    /// re-indexing an upgrade queues): then the search answers at once from
    /// what is indexed and the rest is left to the background indexer, since
    /// indexing 100,000 reports first held each search past the request
    /// timeout (408). Reports filed while it runs are left to the background too.
    pub(crate) async fn catch_up_search(&self) -> Result<(), AppError> {
        let pending = self.store.reader().await?.search_pending().await?;
        let mut rounds = pending.div_ceil(u64::from(INDEX_BATCH)).min(CATCH_UP_ROUNDS);
        while rounds > 0 {
            if self.index_pending_search(INDEX_BATCH).await? < u64::from(INDEX_BATCH) {
                break;
            }
            rounds -= 1;
        }
        Ok(())
    }
}
