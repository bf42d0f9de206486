//! Advisories: id counters, working copy, revisions, and who sees which.

use embargo_core::advisory::{Advisory, AdvisoryContent, AdvisoryState, Credit, CreditKind, Revision};
use embargo_core::id::{AdvisoryId, AdvisoryPrefix};
use embargo_core::user::{Membership, TeamScope};
use embargo_store::StoreError;
use embargo_store::advisories::PublishedFilter;

use crate::conformance;
use crate::fixture::{Db, at};

conformance!(
    advisory_numbers_count_per_prefix_and_year,
    drafts_revisions_and_visibility,
    vex_statements_are_kept_per_line
);

async fn advisory_numbers_count_per_prefix_and_year(db: &Db) {
    let numbers = db
        .write(|tx| {
            Box::pin(async move {
                let a: AdvisoryPrefix = "PALLETS".parse().unwrap();
                let b: AdvisoryPrefix = "PSF".parse().unwrap();
                Ok(vec![
                    tx.next_advisory_number(&a, 2026).await?,
                    tx.next_advisory_number(&a, 2026).await?,
                    tx.next_advisory_number(&b, 2026).await?,
                    tx.next_advisory_number(&a, 2027).await?,
                    tx.next_advisory_number(&a, 2026).await?,
                ])
            })
        })
        .await
        .unwrap();
    assert_eq!(numbers, vec![1, 2, 1, 1, 3]);
}

async fn drafts_revisions_and_visibility(db: &Db) {
    let org = db.organisation("pallets").await;
    let flask = db.project(&org, "flask").await;
    let team = db.user("team@example.org").await;
    let outsider = db.user("outsider@example.org").await;
    let m = Membership { user_id: team.id, scope: TeamScope::Project(flask.id), created_at: at(0) };
    db.write(move |tx| Box::pin(async move { tx.add_member(&m).await })).await.unwrap();
    let (report, _) = db.report(&flask, None, "flaw", 0).await;

    let draft = Advisory {
        id: "PALLETS-2026-1".parse().unwrap(),
        org_id: org.id,
        project_id: flask.id,
        report_id: Some(report.id),
        state: AdvisoryState::Draft,
        draft: AdvisoryContent {
            summary: "XSS in debugger".into(),
            details: "The debugger page reflected input.".into(),
            credits: vec![Credit { name: "Ada".into(), kind: CreditKind::Finder, contact: vec![] }],
            fix: embargo_core::advisory::FixStrategy::new(
                [embargo_core::advisory::FixKind::DependencyUpdate, embargo_core::advisory::FixKind::Mitigation],
                "Update the bundled template engine, or turn the debugger off.",
            ),
            ..AdvisoryContent::default()
        },
        published: None,
        created_at: at(1),
        updated_at: at(1),
        first_published_at: None,
        withdrawn_at: None,
    };
    let stored = draft.clone();
    db.write(move |tx| Box::pin(async move { tx.insert_advisory(&stored).await })).await.unwrap();
    let second = Advisory { id: "PALLETS-2026-2".parse().unwrap(), ..draft.clone() };
    let result = db.write(move |tx| Box::pin(async move { tx.insert_advisory(&second).await })).await;
    assert!(matches!(result, Err(StoreError::Conflict { .. })), "one advisory per report: {result:?}");

    let mut r = db.read().await;
    assert_eq!(r.advisory(&draft.id).await.unwrap(), Some(draft.clone()));
    assert_eq!(r.advisory_for_report(report.id).await.unwrap(), Some(draft.clone()));
    assert_eq!(r.team_advisories(team.id, None).await.unwrap(), vec![draft.clone()]);
    assert!(r.team_advisories(outsider.id, None).await.unwrap().is_empty());
    assert!(r.published_advisories(&PublishedFilter::default()).await.unwrap().is_empty(), "drafts are not public");
    assert_eq!(r.published_advisory(&draft.id).await.unwrap(), None);

    let revision = Revision { number: 1, content: draft.draft.clone(), published_at: at(2) };
    let mut published = draft.clone();
    published.state = AdvisoryState::Published;
    published.first_published_at = Some(at(2));
    published.updated_at = at(2);
    let (stored, stored_revision) = (published.clone(), revision.clone());
    db.write(move |tx| {
        Box::pin(async move {
            tx.lock_advisory(&stored.id).await?;
            tx.update_advisory(&stored).await?;
            tx.insert_revision(&stored.id, &stored_revision).await
        })
    })
    .await
    .unwrap();

    // The team edits the working copy: the public still sees revision 1.
    let mut edited = published.clone();
    edited.draft.summary = "XSS in the debugger page".into();
    let stored = edited.clone();
    db.write(move |tx| Box::pin(async move { tx.update_advisory(&stored).await })).await.unwrap();
    let public = r.published_advisory(&draft.id).await.unwrap().unwrap();
    assert_eq!(public.revision, revision);
    assert_eq!(public.state, AdvisoryState::Published);
    assert_eq!(
        r.published_advisories(&PublishedFilter { project: Some(flask.id), org: None }).await.unwrap(),
        vec![public]
    );

    let second_revision = Revision { number: 2, content: edited.draft.clone(), published_at: at(3) };
    let (id, stored) = (draft.id.clone(), second_revision.clone());
    db.write(move |tx| Box::pin(async move { tx.insert_revision(&id, &stored).await })).await.unwrap();
    assert_eq!(r.revisions(&draft.id).await.unwrap(), vec![revision, second_revision.clone()]);
    assert_eq!(r.advisory(&draft.id).await.unwrap().unwrap().published, Some(second_revision));
    let missing: AdvisoryId = "PALLETS-2026-99".parse().unwrap();
    assert_eq!(r.advisory(&missing).await.unwrap(), None);
}

/// VEX (issue 14): one statement per advisory and line, replaced when
/// restated, taken back by line; listed per advisory and for all.
async fn vex_statements_are_kept_per_line(db: &Db) {
    use embargo_core::vex::{Justification, NotAffected};
    let org = db.organisation("pallets").await;
    let flask = db.project(&org, "flask").await;
    let advisory = Advisory {
        id: "PALLETS-2026-9".parse().unwrap(),
        org_id: org.id,
        project_id: flask.id,
        report_id: None,
        state: AdvisoryState::Draft,
        draft: AdvisoryContent { summary: "flaw".into(), ..AdvisoryContent::default() },
        published: None,
        created_at: at(1),
        updated_at: at(1),
        first_published_at: None,
        withdrawn_at: None,
    };
    let id = advisory.id.clone();
    db.write(move |tx| Box::pin(async move { tx.insert_advisory(&advisory).await })).await.unwrap();
    let statement = |line: &str, justification, impact: Option<&str>, minute| NotAffected {
        line: line.into(),
        justification,
        impact: impact.map(Into::into),
        stated_at: at(minute),
    };
    let first = statement("2.3", Justification::ComponentNotPresent, None, 2);
    let second = statement("3.0", Justification::VulnerableCodeNotPresent, Some("came in 3.1"), 3);
    let restated = statement("2.3", Justification::InlineMitigationsAlreadyExist, Some("sandboxed"), 4);
    let (tx_id, a, b, c) = (id.clone(), first, second.clone(), restated.clone());
    db.write(move |tx| {
        Box::pin(async move {
            tx.put_vex_statement(&tx_id, &a).await?;
            tx.put_vex_statement(&tx_id, &b).await?;
            tx.put_vex_statement(&tx_id, &c).await
        })
    })
    .await
    .unwrap();
    let mut r = db.read().await;
    assert_eq!(r.vex_statements(&id).await.unwrap(), vec![restated.clone(), second.clone()]);
    assert_eq!(r.all_vex_statements().await.unwrap(), vec![(id.clone(), restated), (id.clone(), second.clone())]);
    drop(r);
    let tx_id = id.clone();
    let removed = db
        .write(move |tx| {
            Box::pin(async move {
                Ok((tx.remove_vex_statement(&tx_id, "2.3").await?, tx.remove_vex_statement(&tx_id, "2.3").await?))
            })
        })
        .await
        .unwrap();
    assert_eq!(removed, (true, false), "a second take-back finds nothing");
    assert_eq!(db.read().await.vex_statements(&id).await.unwrap(), vec![second]);
}
