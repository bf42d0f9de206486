//! Reports, their history and messages, and who sees which.

use embargo_core::id::{MessageId, ReportId};
use embargo_core::lifecycle::ReportState;
use embargo_core::message::{AuthorRole, Channel, Message, Visibility};
use embargo_core::permission::{Actor, ReportScope, UserActor, visible_reports};
use embargo_core::private::Private;
use embargo_core::report::StateChange;
use embargo_core::severity::Severity;
use embargo_core::user::{Membership, TeamScope};
use embargo_store::reports::{ReportFilter, Thread};

use crate::conformance;
use crate::fixture::{Db, at, new_uuid};

conformance!(
    reports_round_trip,
    report_listing_follows_visibility,
    report_filters_and_paging,
    history_and_thread,
    the_queue_sorts_by_the_deadline_that_matters_now,
    issue_15_a_new_report_waits_in_the_search_queue_until_indexed,
    issue_15_search_pages_agree_whichever_term_drives
);

fn filter(scope: ReportScope) -> ReportFilter {
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
        limit: 100,
        offset: 0,
        after: None,
        search: Vec::new(),
    }
}

fn titles(reports: &[embargo_core::report::Report]) -> Vec<String> {
    reports.iter().map(|r| r.content.expose().title.clone()).collect()
}

async fn reports_round_trip(db: &Db) {
    let org = db.organisation("pallets").await;
    let flask = db.project(&org, "flask").await;
    let alice = db.user("alice@example.org").await;
    let (report, hash) = db.report(&flask, Some(alice.id), "XSS in templates", 0).await;
    let mut r = db.read().await;
    assert_eq!(r.report(report.id).await.unwrap(), Some(report.clone()));
    assert_eq!(r.report_by_followup(&hash).await.unwrap(), Some(report.id));
    assert_eq!(r.report(ReportId::from_uuid(new_uuid())).await.unwrap(), None);

    let mut changed = report.clone();
    changed.state = ReportState::Acknowledged;
    changed.team.severity = Severity::parse(Some("CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N"), None).unwrap();
    changed.team.cwes = vec!["CWE-79".parse().unwrap()];
    changed.team.assignee = Some(alice.id);
    changed.team.affected_versions = vec!["< 3.0.3".into()];
    changed.updated_at = at(10);
    let stored = changed.clone();
    db.write(move |tx| Box::pin(async move { tx.update_report(&stored).await })).await.unwrap();
    assert_eq!(r.report(report.id).await.unwrap(), Some(changed.clone()));
    let id = report.id;
    let locked = db.write(move |tx| Box::pin(async move { tx.lock_report(id).await })).await.unwrap();
    assert_eq!(locked, Some(changed));
}

async fn report_listing_follows_visibility(db: &Db) {
    let pallets = db.organisation("pallets").await;
    let python = db.organisation("python").await;
    let flask = db.project(&pallets, "flask").await;
    let jinja = db.project(&pallets, "jinja").await;
    let cpython = db.project(&python, "cpython").await;
    let reporter = db.user("reporter@example.org").await;
    let stranger = db.user("stranger@example.org").await;
    let (flask_report, _) = db.report(&flask, Some(reporter.id), "flask", 1).await;
    db.report(&jinja, None, "jinja", 2).await;
    db.report(&cpython, Some(reporter.id), "cpython", 3).await;

    // The scopes are core's, for users on these teams; the store only applies them.
    let user = |id, team_orgs, team_projects| {
        visible_reports(&Actor::User(UserActor { team_orgs, team_projects, ..UserActor::named(id) }))
    };
    let org_team = user(db.user("org-team@example.org").await.id, vec![pallets.id], vec![]);
    let jinja_team = user(db.user("jinja-team@example.org").await.id, vec![], vec![jinja.id]);
    let mut r = db.read().await;
    assert_eq!(titles(&r.reports(&filter(org_team)).await.unwrap()), ["jinja", "flask"]);
    assert_eq!(titles(&r.reports(&filter(jinja_team)).await.unwrap()), ["jinja"]);
    assert_eq!(titles(&r.reports(&filter(user(reporter.id, vec![], vec![]))).await.unwrap()), ["cpython", "flask"]);
    assert!(r.reports(&filter(user(stranger.id, vec![], vec![]))).await.unwrap().is_empty());
    let follow_up = visible_reports(&Actor::FollowUp(flask_report.id));
    assert_eq!(titles(&r.reports(&filter(follow_up)).await.unwrap()), ["flask"]);
    // Several teams at once, and nothing at all.
    let both = user(stranger.id, vec![python.id], vec![jinja.id]);
    assert_eq!(titles(&r.reports(&filter(both)).await.unwrap()), ["cpython", "jinja"]);
    assert!(r.reports(&filter(ReportScope::default())).await.unwrap().is_empty());
}

async fn report_filters_and_paging(db: &Db) {
    let org = db.organisation("pallets").await;
    let flask = db.project(&org, "flask").await;
    let jinja = db.project(&org, "jinja").await;
    let team = db.user("team@example.org").await;
    let m = Membership { user_id: team.id, scope: TeamScope::Organisation(org.id), created_at: at(0) };
    db.write(move |tx| Box::pin(async move { tx.add_member(&m).await })).await.unwrap();
    let (mut first, _) = db.report(&flask, None, "one", 1).await;
    db.report(&flask, None, "two", 2).await;
    let (mut third, _) = db.report(&jinja, None, "three", 3).await;
    third.state = ReportState::OutOfScope;
    let closed = third.clone();
    db.write(move |tx| Box::pin(async move { tx.update_report(&closed).await })).await.unwrap();
    first.state = ReportState::Acknowledged;
    first.team.assignee = Some(team.id);
    let stored = first.clone();
    db.write(move |tx| Box::pin(async move { tx.update_report(&stored).await })).await.unwrap();

    let mut r = db.read().await;
    let base = filter(ReportScope { orgs: vec![org.id], ..ReportScope::default() });
    let by_project = ReportFilter { project: Some(flask.id), ..base.clone() };
    assert_eq!(titles(&r.reports(&by_project).await.unwrap()), ["two", "one"]);
    let by_state = ReportFilter { state: Some(ReportState::Acknowledged), ..base.clone() };
    assert_eq!(titles(&r.reports(&by_state).await.unwrap()), ["one"]);
    let by_assignee = ReportFilter { assignee: Some(team.id), ..base.clone() };
    assert_eq!(titles(&r.reports(&by_assignee).await.unwrap()), ["one"]);
    // Issue 16: the queue's default, open reports only, follows core's lifecycle.
    let open = ReportFilter { open_only: true, ..base.clone() };
    assert_eq!(titles(&r.reports(&open).await.unwrap()), ["two", "one"]);
    assert_eq!(titles(&r.reports(&base).await.unwrap()), ["three", "two", "one"]);
    let page = ReportFilter { limit: 1, offset: 1, ..base };
    assert_eq!(titles(&r.reports(&page).await.unwrap()), ["two"]);
}

/// Issue 10: "deadline first" orders by the deadline of each report's state
/// (the disclosure one when no fix deadline was set), reports without one last.
async fn the_queue_sorts_by_the_deadline_that_matters_now(db: &Db) {
    let org = db.organisation("pallets").await;
    let flask = db.project(&org, "flask").await;
    let team = db.user("team@example.org").await;
    let m = Membership { user_id: team.id, scope: TeamScope::Organisation(org.id), created_at: at(0) };
    db.write(move |tx| Box::pin(async move { tx.add_member(&m).await })).await.unwrap();
    let cases = [
        ("new, acknowledge soon", ReportState::New, [Some(100), Some(300), None, None]),
        ("accepted, disclosure sooner", ReportState::Accepted, [Some(1), Some(2), None, Some(50)]),
        (
            "triaging, its acknowledge deadline no longer counts",
            ReportState::Triaging,
            [Some(10), Some(200), None, None],
        ),
        ("no deadline", ReportState::New, [None, None, None, None]),
    ];
    for (i, (title, state, due)) in cases.into_iter().enumerate() {
        let (mut report, _) = db.report(&flask, None, title, i64::try_from(i).unwrap()).await;
        report.state = state;
        let [acknowledge, triage, fix, disclosure] = due.map(|m| m.map(at));
        report.deadlines = embargo_core::deadline::Deadlines { acknowledge, triage, fix, disclosure };
        db.write(move |tx| Box::pin(async move { tx.update_report(&report).await })).await.unwrap();
    }
    let mut r = db.read().await;
    let sorted =
        ReportFilter { deadline_first: true, ..filter(ReportScope { orgs: vec![org.id], ..ReportScope::default() }) };
    assert_eq!(
        titles(&r.reports(&sorted).await.unwrap()),
        [
            "accepted, disclosure sooner",
            "new, acknowledge soon",
            "triaging, its acknowledge deadline no longer counts",
            "no deadline"
        ]
    );
    let newest = filter(ReportScope { orgs: vec![org.id], ..ReportScope::default() });
    assert_eq!(titles(&r.reports(&newest).await.unwrap())[0], "no deadline");
}

async fn history_and_thread(db: &Db) {
    let org = db.organisation("pallets").await;
    let flask = db.project(&org, "flask").await;
    let team = db.user("team@example.org").await;
    let (report, _) = db.report(&flask, None, "flaw", 0).await;
    let changes = vec![
        StateChange { report_id: report.id, from: None, to: ReportState::New, reason: None, actor_id: None, at: at(0) },
        StateChange {
            report_id: report.id,
            from: Some(ReportState::New),
            to: ReportState::OutOfScope,
            reason: Some(Private::new("documented behaviour".into())),
            actor_id: Some(team.id),
            at: at(5),
        },
    ];
    let message = |visibility, body: &str, minutes| Message {
        id: MessageId::from_uuid(new_uuid()),
        report_id: report.id,
        author_id: Some(team.id),
        author_role: AuthorRole::Team,
        visibility,
        channel: Channel::Web,
        body: Private::new(body.to_owned()),
        created_at: at(minutes),
    };
    let messages =
        vec![message(Visibility::ReporterVisible, "thanks", 1), message(Visibility::Internal, "looks like a dupe", 2)];
    let (stored_changes, stored_messages) = (changes.clone(), messages.clone());
    db.write(move |tx| {
        Box::pin(async move {
            for c in &stored_changes {
                tx.insert_state_change(c).await?;
            }
            for m in &stored_messages {
                tx.insert_message(m).await?;
            }
            Ok(())
        })
    })
    .await
    .unwrap();
    let mut r = db.read().await;
    assert_eq!(r.state_changes(report.id).await.unwrap(), changes);
    assert_eq!(r.messages(report.id, Thread::WithInternal).await.unwrap(), messages);
    assert_eq!(r.messages(report.id, Thread::ReporterVisible).await.unwrap(), messages[..1].to_vec());
    // Issue 9: the report page reads the authors' names in one query, once per author.
    assert_eq!(r.message_authors(report.id).await.unwrap(), vec![(team.id, team.name.clone())]);
    assert_eq!(r.message_authors(ReportId::from_uuid(new_uuid())).await.unwrap(), vec![]);
}

/// Issue 15 (intake at the writer's ceiling): a new report's words are not
/// indexed in its own transaction; it is queued, and found once indexed.
async fn issue_15_a_new_report_waits_in_the_search_queue_until_indexed(db: &Db) {
    let org = db.organisation("pallets").await;
    let flask = db.project(&org, "flask").await;
    let (first, _) = db.report(&flask, None, "Quokkaflaw in the loader", 1).await;
    let (second, _) = db.report(&flask, None, "Wombatbug in the loader", 2).await;
    let team = ReportFilter {
        search: vec!["loader".to_owned()],
        ..filter(ReportScope { orgs: vec![org.id], ..ReportScope::default() })
    };
    let mut r = db.read().await;
    assert_eq!(r.search_pending().await.unwrap(), 2);
    assert!(r.reports(&team).await.unwrap().is_empty(), "nothing is indexed at intake");

    // Oldest first, a batch at a time.
    let done = db.write(|tx| Box::pin(async move { tx.backfill_search(1).await })).await.unwrap();
    assert_eq!(done, 1);
    assert_eq!(r.search_pending().await.unwrap(), 1);
    let quokka = ReportFilter { search: vec!["quokka".to_owned()], ..team.clone() };
    assert_eq!(r.reports(&quokka).await.unwrap().iter().map(|x| x.id).collect::<Vec<_>>(), [first.id]);
    assert!(r.reports(&ReportFilter { search: vec!["wombat".to_owned()], ..team.clone() }).await.unwrap().is_empty());

    let done = db.write(|tx| Box::pin(async move { tx.backfill_search(10).await })).await.unwrap();
    assert_eq!(done, 1);
    assert_eq!(r.search_pending().await.unwrap(), 0);
    let mut found: Vec<ReportId> = r.reports(&team).await.unwrap().iter().map(|x| x.id).collect();
    found.sort();
    let mut both = vec![first.id, second.id];
    both.sort();
    assert_eq!(found, both);
    assert_eq!(db.write(|tx| Box::pin(async move { tx.backfill_search(10).await })).await.unwrap(), 0);
}

/// Issue 15: a search of words most reports hold is read from the queue's
/// indexes (each report probed newest first), one with a rare word from that
/// word's postings; either way a page is the newest matching reports, and the
/// cursor walks every match once. A query word longer than the indexed
/// prefixes matches by its prefix; another word does not.
async fn issue_15_search_pages_agree_whichever_term_drives(db: &Db) {
    use embargo_store::reports::ReportCursor;
    let org = db.organisation("pallets").await;
    let flask = db.project(&org, "flask").await;
    // More reports than the fewest postings that may drive (500), so the two common words do not.
    let mut all = Vec::new();
    for i in 0..520 {
        let tag = if i % 20 == 0 { "rarebird" } else { "plain" };
        let (report, _) = db.report(&flask, None, &format!("Lanternflaw overflow {tag} {i}"), i % 97).await;
        all.push(report);
    }
    let (long, _) = db.report(&flask, None, "Deserialisation of the loader", 600).await;
    // A rare word in a report's text and in its internal note: still one match.
    let note = Message {
        id: MessageId::from_uuid(new_uuid()),
        report_id: all.first().unwrap().id,
        author_id: None,
        author_role: AuthorRole::Team,
        visibility: Visibility::Internal,
        channel: Channel::Web,
        body: Private::new("rarebird again".to_owned()),
        created_at: at(700),
    };
    db.write(move |tx| Box::pin(async move { tx.insert_message(&note).await })).await.unwrap();
    db.write(|tx| Box::pin(async move { tx.backfill_search(1000).await })).await.unwrap();
    all.sort_by_key(|x| std::cmp::Reverse((x.created_at, x.id)));
    let team = filter(ReportScope { orgs: vec![org.id], ..ReportScope::default() });
    let search = |q: &str| embargo_core::search::parse(q).unwrap().terms;
    let mut r = db.read().await;
    for (q, rare) in [("lanternflaw overflow", false), ("overflow rarebird", true)] {
        let expected: Vec<ReportId> =
            all.iter().filter(|x| !rare || x.content.expose().title.contains("rarebird")).map(|x| x.id).collect();
        let page = ReportFilter { search: search(q), limit: 7, ..team.clone() };
        let first: Vec<ReportId> = r.reports(&page).await.unwrap().iter().map(|x| x.id).collect();
        assert_eq!(first, expected.get(..7).unwrap(), "{q}");
        let mut walked = Vec::new();
        let mut next = page.clone();
        for _ in 0..100 {
            let got = r.reports(&next).await.unwrap();
            walked.extend(got.iter().map(|x| x.id));
            let Some(last) = got.last() else { break };
            next.after = Some(ReportCursor::after(last));
        }
        assert_eq!(walked, expected, "{q}");
    }
    drop(r);
    let found = |q: &str| {
        let f = ReportFilter { search: search(q), ..team.clone() };
        async move { db.read().await.reports(&f).await.unwrap().iter().map(|x| x.id).collect::<Vec<_>>() }
    };
    assert_eq!(found("deserialisation").await, [long.id]);
    assert_eq!(found("deserialis loader").await, [long.id]);
    assert_eq!(found("\"of the loader\"").await, [long.id]);
    assert!(found("deserialize").await.is_empty());
    assert!(found("\"the of\"").await.is_empty());
}
