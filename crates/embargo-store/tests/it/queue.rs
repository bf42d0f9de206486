//! Issue 15: the queue at any size. Keyset pages walk every visible report
//! once, whatever the scope's branches and ties; and the database answers the
//! listing from the queue indexes (migrations 1500 and 1540: newest first and
//! soonest deadline first, and the project and assignee filters), never by
//! scanning or sorting the reports table.

use embargo_core::lifecycle::ReportState;
use embargo_core::permission::{Actor, ReportScope, UserActor, visible_reports};
use embargo_store::reports::{ReportCursor, ReportFilter};

use crate::conformance;
use crate::fixture::{Db, at, new_uuid};

conformance!(
    keyset_pages_walk_every_visible_report_once,
    the_listing_reads_the_queue_indexes,
    deadline_pages_walk_soonest_first_once
);

fn filter(scope: ReportScope, limit: u32) -> ReportFilter {
    ReportFilter {
        scope,
        org: None,
        project: None,
        state: None,
        open_only: false,
        assignee: None,
        lab: None,
        lab_first: false,
        deadline_first: false,
        limit,
        offset: 0,
        after: None,
        search: Vec::new(),
    }
}

fn titles(reports: &[embargo_core::report::Report]) -> Vec<String> {
    reports.iter().map(|r| r.content.expose().title.clone()).collect()
}

/// Every page of `filter`, following the cursor of each page's last report.
async fn walk(db: &Db, mut filter: ReportFilter) -> Vec<String> {
    let mut r = db.read().await;
    let mut seen = Vec::new();
    for _ in 0..50 {
        let page = r.reports(&filter).await.unwrap();
        assert!(page.len() <= filter.limit as usize);
        seen.extend(titles(&page));
        let Some(last) = page.last() else { break };
        filter.after = Some(ReportCursor::after(last));
    }
    seen
}

async fn keyset_pages_walk_every_visible_report_once(db: &Db) {
    let pallets = db.organisation("pallets").await;
    let python = db.organisation("python").await;
    let flask = db.project(&pallets, "flask").await;
    let jinja = db.project(&pallets, "jinja").await;
    let cpython = db.project(&python, "cpython").await;
    let pip = db.project(&python, "pip").await;
    let reporter = db.user("reporter@example.org").await;
    // Ties on the creation time, reports seen through two branches at once
    // (the reporter's own in the team's organisation), and reports of other teams.
    for (n, minutes) in [1, 2, 2, 2, 3, 5, 5, 8, 9, 9].into_iter().enumerate() {
        let project = if n % 2 == 0 { &flask } else { &jinja };
        db.report(project, (n == 3).then_some(reporter.id), &format!("pallets {n}"), minutes).await;
    }
    db.report(&cpython, Some(reporter.id), "own cpython", 4).await;
    db.report(&cpython, None, "stranger's cpython", 6).await;
    let (mut pip_report, _) = db.report(&pip, None, "pip", 7).await;
    pip_report.state = ReportState::Spam;
    let closed = pip_report.clone();
    db.write(move |tx| Box::pin(async move { tx.update_report(&closed).await })).await.unwrap();

    let team = visible_reports(&Actor::User(UserActor {
        team_orgs: vec![pallets.id],
        team_projects: vec![pip.id],
        ..UserActor::named(reporter.id)
    }));
    let everything = titles(&db.read().await.reports(&filter(team.clone(), 100)).await.unwrap());
    assert_eq!(everything.len(), 12, "{everything:?}");
    assert!(!everything.contains(&"stranger's cpython".to_owned()));
    for limit in [1, 2, 3, 5, 11] {
        assert_eq!(walk(db, filter(team.clone(), limit)).await, everything, "pages of {limit}");
    }
    // Filters and the cursor together; the open queue leaves the spam out.
    let open = ReportFilter { open_only: true, ..filter(team.clone(), 2) };
    let open_titles = walk(db, open).await;
    assert_eq!(open_titles.len(), 11);
    assert!(!open_titles.contains(&"pip".to_owned()));
    let jinja_only = ReportFilter { project: Some(jinja.id), ..filter(team, 2) };
    let one_page = titles(&db.read().await.reports(&ReportFilter { limit: 100, ..jinja_only.clone() }).await.unwrap());
    let mut sorted = one_page.clone();
    sorted.sort();
    // "pallets 1" and "pallets 3" arrived at the same minute: their order is their ids'.
    assert_eq!(sorted, ["pallets 1", "pallets 3", "pallets 5", "pallets 7", "pallets 9"]);
    assert_eq!(walk(db, jinja_only).await, one_page);
}

/// Adds `n` reports to `project` behind the store's back (the plans only
/// need rows to weigh).
async fn bulk_reports(db: &Db, project: &embargo_core::project::Project, n: u32) {
    let states = "'new', 'new', 'new', 'acknowledged', 'fixed', 'spam', 'disclosed'";
    let sql = if db.is_postgres() {
        format!(
            "INSERT INTO reports (id, org_id, project_id, channel, content, state, team, followup_hash, created_at, \
             updated_at) SELECT gen_random_uuid(), '{org}', '{project}', 'api', '\\x00', \
             (ARRAY[{states}])[1 + n % 7], '{{}}', decode(md5(n::text || '{salt}'), 'hex'), \
             now() - n * interval '1 minute', now() FROM generate_series(1, {n}) n",
            org = project.org_id,
            project = project.id,
            salt = new_uuid(),
        )
    } else {
        format!(
            "WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c WHERE n < {n}) \
             INSERT INTO reports (id, org_id, project_id, channel, content, state, team, followup_hash, created_at, \
             updated_at) SELECT lower(hex(randomblob(16))), '{org}', '{project}', 'api', x'00', json_extract(json_array({states}), '$[' || (n % 7) || ']'), '{{}}', \
             randomblob(32), strftime('%Y-%m-%dT%H:%M:%fZ', 'now', '-' || n || ' minutes'), \
             strftime('%Y-%m-%dT%H:%M:%fZ', 'now') FROM c",
            org = project.org_id,
            project = project.id,
        )
    };
    db.tamper(&sql).await;
    // SQLite plans as it runs in production, without statistics.
    if db.is_postgres() {
        db.tamper("ANALYZE reports").await;
    }
}

/// Whether the plan reads `index` and never scans or sorts the reports table
/// itself (the one sort allowed is the union's, over at most a page per branch).
fn assert_indexed(db: &Db, plan: &[String], index: &str) {
    let text = plan.join("\n");
    // PostgreSQL weighs its statistics: any index of the family serves.
    let index = if db.is_postgres() { index.trim_end_matches("_open").trim_end_matches("_state") } else { index };
    assert!(text.contains(index), "{index} unused:\n{text}");
    if db.is_postgres() {
        assert!(!text.contains("Seq Scan on reports"), "a full scan:\n{text}");
    } else {
        assert!(!plan.iter().any(|line| line.starts_with("SCAN r") || line.starts_with("SCAN x")), "a scan:\n{text}");
        assert!(text.matches("TEMP B-TREE FOR ORDER BY").count() <= 1, "a sort of the reports:\n{text}");
    }
}

async fn the_listing_reads_the_queue_indexes(db: &Db) {
    let pallets = db.organisation("pallets").await;
    let flask = db.project(&pallets, "flask").await;
    let reporter = db.user("reporter@example.org").await;
    bulk_reports(db, &flask, 3000).await;
    let (last, _) = db.report(&flask, Some(reporter.id), "a real one", -5000).await;
    let mut r = db.read().await;
    let org_team = filter(ReportScope { orgs: vec![pallets.id], ..ReportScope::default() }, 51);
    let project_team = filter(ReportScope { projects: vec![flask.id], ..ReportScope::default() }, 51);
    let own = filter(ReportScope { reporter: Some(reporter.id), ..ReportScope::default() }, 51);

    let open = ReportFilter { open_only: true, ..org_team.clone() };
    assert_indexed(db, &r.report_listing_plan(&open).await.unwrap(), "reports_queue_org_open");
    let deep = ReportFilter { after: Some(ReportCursor::after(&last)), ..open.clone() };
    assert_indexed(db, &r.report_listing_plan(&deep).await.unwrap(), "reports_queue_org_open");
    // The deadline order, from its own indexes, first page and deep.
    let soonest = ReportFilter { deadline_first: true, ..open.clone() };
    assert_indexed(db, &r.report_listing_plan(&soonest).await.unwrap(), "reports_deadline_org");
    let deep = ReportFilter { after: Some(ReportCursor::after(&last)), ..soonest.clone() };
    assert_indexed(db, &r.report_listing_plan(&deep).await.unwrap(), "reports_deadline_org");
    // A project filter within an organisation's scope reads the project's index.
    let in_project = ReportFilter { project: Some(flask.id), ..org_team.clone() };
    assert_indexed(db, &r.report_listing_plan(&in_project).await.unwrap(), "reports_queue_project");
    let in_project = ReportFilter { deadline_first: true, ..in_project };
    assert_indexed(db, &r.report_listing_plan(&in_project).await.unwrap(), "reports_deadline_project");
    // The queue's project filter as a team member's page asks for it (issue
    // 15): the organisation and the project named, open reports only, first
    // page and deep. The project's open reports are read from its index, and
    // the member's own reports (every signed-in user's scope holds them) from
    // the reporter's index, not by walking the project's index for them.
    let member = ReportScope { orgs: vec![pallets.id], reporter: Some(reporter.id), ..ReportScope::default() };
    let open_in_project =
        ReportFilter { org: Some(pallets.id), project: Some(flask.id), open_only: true, ..filter(member, 51) };
    let plan = r.report_listing_plan(&open_in_project).await.unwrap();
    assert_indexed(db, &plan, "reports_queue_project_open");
    assert_indexed(db, &plan, "reports_queue_reporter");
    let deep = ReportFilter { after: Some(ReportCursor::after(&last)), ..open_in_project };
    let plan = r.report_listing_plan(&deep).await.unwrap();
    assert_indexed(db, &plan, "reports_queue_project_open");
    // PostgreSQL weighs its statistics: past this cursor the project's range
    // is a few rows, and it may read the caller's own reports there.
    if !db.is_postgres() {
        assert_indexed(db, &plan, "reports_queue_reporter");
    }
    // An assignee filter reads the assignee's index, in either order.
    let assigned = ReportFilter { assignee: Some(reporter.id), ..org_team.clone() };
    assert_indexed(db, &r.report_listing_plan(&assigned).await.unwrap(), "reports_queue_assignee");
    let assigned = ReportFilter { deadline_first: true, ..assigned };
    assert_indexed(db, &r.report_listing_plan(&assigned).await.unwrap(), "reports_deadline_assignee");
    let fixed = ReportFilter { state: Some(ReportState::Fixed), ..org_team.clone() };
    assert_indexed(db, &r.report_listing_plan(&fixed).await.unwrap(), "reports_queue_org_state");
    assert_indexed(db, &r.report_listing_plan(&org_team).await.unwrap(), "reports_queue_org");
    let open_project = ReportFilter { open_only: true, ..project_team };
    assert_indexed(db, &r.report_listing_plan(&open_project).await.unwrap(), "reports_queue_project_open");
    assert_indexed(db, &r.report_listing_plan(&own).await.unwrap(), "reports_queue_reporter");
    // The page itself: one page, with only its rows opened.
    let page = r.reports(&own).await.unwrap();
    assert_eq!(titles(&page), ["a real one"]);
}

/// The deadline order pages by keyset too: every report once, soonest
/// deadline first (the one that matters in its state; none last), newest
/// first among equal deadlines, whatever the page size; with the project
/// and assignee filters as well.
async fn deadline_pages_walk_soonest_first_once(db: &Db) {
    let pallets = db.organisation("pallets").await;
    let flask = db.project(&pallets, "flask").await;
    let jinja = db.project(&pallets, "jinja").await;
    let assignee = db.user("team@example.org").await;
    // (state, acknowledge, triage, fix, disclosure) in minutes; equal deadlines and none at all.
    let cases: [(ReportState, [Option<i64>; 4]); 9] = [
        (ReportState::New, [Some(300), None, None, None]),
        (ReportState::New, [Some(100), None, None, None]),
        (ReportState::Triaging, [Some(5), Some(200), None, None]),
        (ReportState::Accepted, [None, None, None, Some(100)]),
        (ReportState::New, [None, None, None, None]),
        (ReportState::Fixing, [None, None, Some(50), Some(400)]),
        (ReportState::New, [Some(100), None, None, None]),
        (ReportState::Spam, [Some(1), None, None, None]),
        (ReportState::New, [None, None, None, None]),
    ];
    for (n, (state, due)) in cases.into_iter().enumerate() {
        let project = if n % 3 == 0 { &jinja } else { &flask };
        let minutes = i64::try_from(n).unwrap();
        let (mut report, _) = db.report(project, None, &format!("r{n}"), minutes).await;
        report.state = state;
        let [acknowledge, triage, fix, disclosure] = due.map(|m| m.map(at));
        report.deadlines = embargo_core::deadline::Deadlines { acknowledge, triage, fix, disclosure };
        report.team.assignee = (n % 2 == 0).then_some(assignee.id);
        db.write(move |tx| Box::pin(async move { tx.update_report(&report).await })).await.unwrap();
    }
    let team = ReportScope { orgs: vec![pallets.id], ..ReportScope::default() };
    let soonest = ReportFilter { deadline_first: true, ..filter(team, 100) };
    let everything = titles(&db.read().await.reports(&soonest).await.unwrap());
    // r5 fix 50; r1, r3 and r6 at 100 (newest first); r2 triage 200; r0 300;
    // then the ones without a deadline (spam has none), newest first.
    assert_eq!(everything, ["r5", "r6", "r3", "r1", "r2", "r0", "r8", "r7", "r4"]);
    for limit in [1, 2, 3, 4] {
        assert_eq!(walk(db, ReportFilter { limit, ..soonest.clone() }).await, everything, "pages of {limit}");
    }
    let flask_only = ReportFilter { project: Some(flask.id), limit: 2, ..soonest.clone() };
    assert_eq!(walk(db, flask_only).await, ["r5", "r1", "r2", "r8", "r7", "r4"]);
    let assigned = ReportFilter { assignee: Some(assignee.id), limit: 2, ..soonest.clone() };
    assert_eq!(walk(db, assigned).await, ["r6", "r2", "r0", "r8", "r4"]);
    let open = ReportFilter { open_only: true, limit: 3, ..soonest };
    assert_eq!(walk(db, open).await, ["r5", "r6", "r3", "r1", "r2", "r0", "r8", "r4"]);
}
