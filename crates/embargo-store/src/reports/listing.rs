//! The report listing's first step: which reports make a page, decided from
//! the queue indexes alone (migration 1500), so that the answer takes the
//! same time at a thousand reports and at a million.
//!
//! The caller's scope (core's `ReportScope`) becomes one branch per kind: the
//! reports of each organisation, of each project, the caller's own, and
//! reports named by id. Newest first, each branch reads its index from the
//! keyset cursor and stops after a page; the union of the branches is sorted
//! once more and cut to a page (at most a page per organisation or project).
//! Every filter is a column of the index it runs on, so no report row (and no
//! sealed content) is read to decide whether it matches. The second step
//! (`ReportReads::reports`) then reads and opens only the page's rows.
//!
//! The deadline order reads the same way from the deadline indexes
//! (migration 1540: soonest `due_key` first, then newest first), with a
//! keyset cursor of three parts. A project or assignee filter reads that
//! project's or person's index instead of one per organisation (one branch,
//! the scope checked on the index's columns), so a small project or a rare
//! assignee does not walk an organisation's whole index. The lab order cannot come from an index (the
//! lab rank lives in another table): it sorts the matching ids and pages by
//! offset, reading no sealed content either.
//!
//! A search (`ReportFilter::search`) adds one condition per term: the report
//! holds the term's keyed hash (`report_terms`). The team's branches match
//! every source; a reporter's own reports and invitations match only the
//! report's text and reporter-visible messages (`text`), so nobody learns a
//! word of a note or field they may not read. When one term is rare (fewer
//! reports hold it than [`driver_limit`] allows), its postings drive the
//! query instead of the queue indexes: the few reports holding it are checked
//! and sorted. Either way a search reads a bounded number of rows when its
//! terms go together (two words most reports hold: a page of the queue, each
//! report probed).
//!
//! Only the placeholders and the branches present vary between statements:
//! every value is bound.

use super::{NO_DEADLINE, ReportFilter, open_states_sql};
use crate::search::TEXT_SOURCE;
use crate::sql::{Dialect, Value};

/// A search term as the index holds it: its keyed hash, and the table holding it.
#[derive(Debug, Clone)]
pub(super) struct Term {
    pub(super) hash: Vec<u8>,
    /// `report_terms` (words, prefixes, pairs) or `report_field_terms` (`cwe:`, `cve:`).
    pub(super) table: &'static str,
}

/// A search as the index holds it: its terms, and which term (if any) is
/// rare enough to drive the query.
#[derive(Debug, Default)]
pub(super) struct Search {
    pub(super) terms: Vec<Term>,
    pub(super) driver: Option<usize>,
}

/// The most postings a term may have to drive a search over `reports`
/// indexed reports for a page of `limit`. Driven, a search reads the term's
/// postings (and their reports) and sorts them: about `n` rows for a term
/// `n` reports hold. Read from the queue indexes instead, it probes each
/// report newest first until a page matches: about `limit × reports / n`
/// rows when the terms go together. Both stay under about
/// `2 × √(limit × reports)` rows when the rarest term drives below that
/// bound and the queue indexes drive above it.
pub(super) fn driver_limit(limit: u32, reports: i64) -> i64 {
    let balance = (4.0 * f64::from(limit.max(1)) * reports.max(0) as f64).sqrt();
    // At least a few hundred: below that, any postings are cheap to sort.
    (balance as i64).max(500)
}

/// A listing statement and its parameters.
pub(super) struct Listing {
    pub(super) sql: String,
    pub(super) params: Vec<Value>,
}

/// Parameters, numbered as they are added.
#[derive(Default)]
struct Params(Vec<Value>);

impl Params {
    /// Adds a value; answers its placeholder.
    fn add(&mut self, value: impl Into<Value>) -> String {
        self.0.push(value.into());
        format!("${}", self.0.len())
    }
}

/// Whether the filter's order comes from the indexes (newest first, or the
/// deadline order), so the listing pages with the keyset cursor.
pub(super) fn keyset(filter: &ReportFilter) -> bool {
    !filter.lab_first
}

/// Whether the filter reads the deadline order from its indexes.
fn by_deadline(filter: &ReportFilter) -> bool {
    filter.deadline_first && !filter.lab_first
}

/// The order a branch reads its index in, on alias `r`.
fn order(filter: &ReportFilter) -> &'static str {
    if by_deadline(filter) { "r.due_key, r.created_at DESC, r.id DESC" } else { "r.created_at DESC, r.id DESC" }
}

/// The ids of a JSON array parameter, as a subquery.
fn ids_of(dialect: Dialect, param: &str) -> String {
    match dialect {
        Dialect::Sqlite => format!("SELECT value FROM json_each({param})"),
        Dialect::Postgres => format!("SELECT value::uuid FROM jsonb_array_elements_text(CAST({param} AS jsonb))"),
    }
}

/// A JSON array of ids, as the listing's id-list parameters take them.
pub(super) fn id_list(ids: impl Iterator<Item = uuid::Uuid>) -> String {
    let ids: Vec<String> = ids.map(|id| id.hyphenated().to_string()).collect();
    serde_json::to_string(&ids).unwrap_or_else(|_| "[]".to_owned())
}

/// The conditions every branch applies, on alias `r`.
///
/// The caller's own reports and invitations (`team` false) are read from the
/// reporter's index, or by id: on SQLite, whose planner takes no statistics,
/// their filter columns are written `+r.column` so that no filter's index (a
/// project's, an organisation's) is chosen instead, which would walk all of
/// that project's reports looking for the caller's few (issue 15: the
/// project filter took 56 ms at 100,000 reports so).
fn conditions(
    dialect: Dialect,
    filter: &ReportFilter,
    search: &Search,
    params: &mut Params,
    keyset: bool,
    team: bool,
) -> String {
    let plus = if !team && dialect == Dialect::Sqlite { "+" } else { "" };
    let mut terms = Vec::new();
    for term in &search.terms {
        let (hash, table) = (params.add(term.hash.clone()), term.table);
        let source = if team { String::new() } else { format!(" AND t.source = {TEXT_SOURCE}") };
        terms.push(format!(
            "EXISTS (SELECT 1 FROM search_reports k JOIN {table} t ON t.report = k.key \
             WHERE k.report_id = r.id AND t.term = {hash}{source})"
        ));
    }
    if let Some(org) = filter.org {
        terms.push(format!("{plus}r.org_id = {}", params.add(org)));
    }
    if let Some(project) = filter.project {
        terms.push(format!("{plus}r.project_id = {}", params.add(project)));
    }
    if let Some(state) = filter.state {
        terms.push(format!("{plus}r.state = {}", params.add(state.as_str())));
    }
    if filter.open_only {
        // Written exactly as the `_open` indexes' condition, so they serve it (the team's branches).
        terms.push(format!("{plus}r.state IN ({})", open_states_sql()));
    }
    if let Some(assignee) = filter.assignee {
        terms.push(format!("{plus}r.assignee_id = {}", params.add(assignee)));
    }
    if let Some(lab) = filter.lab {
        let signal = params.add(lab.as_str());
        terms.push(format!(
            "CASE WHEN {signal} = 'grounding_flagged' \
               THEN COALESCE((SELECT ls.flagged FROM lab_signals ls WHERE ls.report_id = r.id), FALSE) \
               ELSE COALESCE((SELECT ls.outcome FROM lab_signals ls WHERE ls.report_id = r.id), 'not_run') = {signal} END"
        ));
    }
    if keyset && let Some(after) = &filter.after {
        if by_deadline(filter) {
            let due = params.add(after.due.unwrap_or(NO_DEADLINE));
            let at = params.add(after.created_at);
            let id = params.add(after.id);
            terms.push(format!(
                "r.due_key >= {due} AND (r.due_key > {due} OR r.created_at < {at} OR (r.created_at = {at} AND r.id < {id}))"
            ));
        } else {
            let at = params.add(after.created_at);
            let id = params.add(after.id);
            terms.push(format!("r.created_at <= {at} AND (r.created_at < {at} OR r.id < {id})"));
        }
    }
    if terms.is_empty() { "TRUE".to_owned() } else { terms.join(" AND ") }
}

/// The statement answering the page's ids (and creation times), in order.
pub(super) fn listing(dialect: Dialect, filter: &ReportFilter, search: &Search) -> Listing {
    let keyset = keyset(filter);
    let mut params = Params::default();
    let conds = conditions(dialect, filter, search, &mut params, keyset, true);
    let own_conds = conditions(dialect, filter, search, &mut params, keyset, false);
    let scope = &filter.scope;
    if let Some(driver) = search.driver.and_then(|i| search.terms.get(i)) {
        return driven(dialect, filter, driver, params, &conds, &own_conds);
    }
    let limit = params.add(i64::from(filter.limit));
    let offset = params.add(i64::from(filter.offset));
    // A branch must yield the rows the outer offset skips as well.
    let reach = params.add(i64::from(filter.limit) + i64::from(filter.offset));
    let newest = order(filter);
    let mut branches = Vec::new();
    // The lab's signals are the team's: a reporter's own reports and
    // invitations never match a lab filter.
    let team_only = filter.lab.is_some();
    if !scope.reports.is_empty() && !team_only {
        let ids = ids_of(dialect, &params.add(id_list(scope.reports.iter().map(|id| id.as_uuid()))));
        branches
            .push(format!("SELECT r.id, r.created_at, r.due_key FROM reports r WHERE r.id IN ({ids}) AND {own_conds}"));
    }
    if let (Some(reporter), false) = (scope.reporter, team_only) {
        let reporter = params.add(reporter);
        branches.push(if keyset {
            format!(
                "SELECT b.id, b.created_at, b.due_key FROM (SELECT r.id, r.created_at, r.due_key FROM reports r \
                 WHERE r.reporter_id = {reporter} AND {own_conds} ORDER BY {newest} LIMIT {reach}) b"
            )
        } else {
            format!(
                "SELECT r.id, r.created_at, r.due_key FROM reports r WHERE r.reporter_id = {reporter} AND {own_conds}"
            )
        });
    }
    let orgs = id_list(scope.orgs.iter().map(|id| id.as_uuid()));
    let projects = id_list(scope.projects.iter().map(|id| id.as_uuid()));
    let narrow = filter.assignee.is_some() || filter.project.is_some();
    if keyset && narrow && (orgs != "[]" || projects != "[]") {
        // One project's or one person's reports: their index (the filter's
        // condition is in `conds`), the scope checked on its columns.
        let (orgs, projects) = (ids_of(dialect, &params.add(orgs)), ids_of(dialect, &params.add(projects)));
        // SQLite: `+` keeps the scope's lists from choosing the index.
        let plus = if dialect == Dialect::Sqlite { "+" } else { "" };
        branches.push(format!(
            "SELECT b.id, b.created_at, b.due_key FROM (SELECT r.id, r.created_at, r.due_key FROM reports r \
             WHERE ({plus}r.org_id IN ({orgs}) OR {plus}r.project_id IN ({projects})) \
             AND {conds} ORDER BY {newest} LIMIT {reach}) b"
        ));
    } else {
        for (column, list) in [("org_id", orgs), ("project_id", projects)] {
            if list == "[]" {
                continue;
            }
            let list = params.add(list);
            branches.push(match (keyset, dialect) {
                // Per organisation or project: its index, in order, one page.
                (true, Dialect::Sqlite) => format!(
                    "SELECT x.id, x.created_at, x.due_key FROM json_each({list}) s JOIN reports x ON x.rowid IN \
                     (SELECT r.rowid FROM reports r WHERE r.{column} = s.value AND {conds} \
                      ORDER BY {newest} LIMIT {reach})"
                ),
                (true, Dialect::Postgres) => format!(
                    "SELECT x.id, x.created_at, x.due_key FROM jsonb_array_elements_text(CAST({list} AS jsonb)) \
                     s(scope_id) CROSS JOIN LATERAL (SELECT r.id, r.created_at, r.due_key FROM reports r \
                     WHERE r.{column} = s.scope_id::uuid AND {conds} ORDER BY {newest} LIMIT {reach}) x"
                ),
                (false, _) => format!(
                    "SELECT r.id, r.created_at, r.due_key FROM reports r WHERE r.{column} IN ({}) AND {conds}",
                    ids_of(dialect, &list)
                ),
            });
        }
    }
    let union = branches.join(" UNION ");
    let sql = outer(filter, &union, branches.is_empty(), keyset, &limit, &offset);
    Listing { sql, params: params.0 }
}

/// The statement around the branches: one more sort, and the page.
fn outer(filter: &ReportFilter, union: &str, empty: bool, keyset: bool, limit: &str, offset: &str) -> String {
    let newest = "r.created_at DESC, r.id DESC";
    if empty {
        // No scope: nothing (the caller answers before asking).
        "SELECT r.id, r.created_at FROM reports r WHERE FALSE".to_owned()
    } else if keyset {
        let order = order(filter).replace("r.", "u.");
        format!("SELECT u.id, u.created_at FROM ({union}) u ORDER BY {order} LIMIT {limit} OFFSET {offset}")
    } else {
        let lab = if filter.lab_first {
            "CASE WHEN ls.outcome = 'reproduced' THEN 0 WHEN ls.outcome = 'not_reproduced' THEN 2 ELSE 1 END, "
        } else {
            ""
        };
        let order = if filter.deadline_first { format!("r.due_key, {newest}") } else { newest.to_owned() };
        format!(
            "SELECT r.id, r.created_at FROM reports r LEFT JOIN lab_signals ls ON ls.report_id = r.id \
             WHERE r.id IN (SELECT u.id FROM ({union}) u) ORDER BY {lab}{order} LIMIT {limit} OFFSET {offset}"
        )
    }
}

/// A search driven by a rare term's postings: the reports holding it, checked
/// against the scope (one branch for the team's scope, one for the caller's
/// own reports and invitations, which match only on text) and the filters.
fn driven(
    dialect: Dialect,
    filter: &ReportFilter,
    driver: &Term,
    mut params: Params,
    conds: &str,
    own_conds: &str,
) -> Listing {
    let scope = &filter.scope;
    let keyset = keyset(filter);
    let limit = params.add(i64::from(filter.limit));
    let offset = params.add(i64::from(filter.offset));
    let (table, driver) = (driver.table, params.add(driver.hash.clone()));
    // SQLite takes CROSS JOIN's order as given: the postings first, then their reports.
    let from = format!(
        "FROM {table} d CROSS JOIN search_reports k CROSS JOIN reports r \
         WHERE d.term = {driver} AND k.key = d.report AND r.id = k.report_id"
    );
    let mut team = Vec::new();
    for (column, ids) in [
        ("org_id", id_list(scope.orgs.iter().map(|id| id.as_uuid()))),
        ("project_id", id_list(scope.projects.iter().map(|id| id.as_uuid()))),
    ] {
        if ids != "[]" {
            team.push(format!("r.{column} IN ({})", ids_of(dialect, &params.add(ids))));
        }
    }
    let mut own = Vec::new();
    if filter.lab.is_none() {
        if let Some(reporter) = scope.reporter {
            own.push(format!("r.reporter_id = {}", params.add(reporter)));
        }
        if !scope.reports.is_empty() {
            let ids = id_list(scope.reports.iter().map(|id| id.as_uuid()));
            own.push(format!("r.id IN ({})", ids_of(dialect, &params.add(ids))));
        }
    }
    let mut branches = Vec::new();
    if !team.is_empty() {
        // DISTINCT: a term in a report's text and in its internal notes is two postings.
        branches.push(format!(
            "SELECT DISTINCT r.id, r.created_at, r.due_key {from} AND ({}) AND {conds}",
            team.join(" OR ")
        ));
    }
    if !own.is_empty() {
        branches.push(format!(
            "SELECT r.id, r.created_at, r.due_key {from} AND d.source = {TEXT_SOURCE} AND ({}) AND {own_conds}",
            own.join(" OR ")
        ));
    }
    let union = branches.join(" UNION ");
    let sql = outer(filter, &union, branches.is_empty(), keyset, &limit, &offset);
    Listing { sql, params: params.0 }
}
