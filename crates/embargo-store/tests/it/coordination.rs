//! Issue 10's other records: embargo ends and publication schedules (settled
//! once), report timelines for response times, duplicates and open reports.

use embargo_core::advisory::{Advisory, AdvisoryContent, AdvisoryState};
use embargo_core::embargo::Moment;
use embargo_core::lifecycle::ReportState;
use embargo_core::report::StateChange;

use crate::conformance;
use crate::fixture::{Db, at};

conformance!(embargo_ends_and_schedules_round_trip_and_settle_once, timelines_duplicates_and_open_reports);

async fn embargo_ends_and_schedules_round_trip_and_settle_once(db: &Db) {
    let org = db.organisation("psf").await;
    let project = db.project(&org, "cpython").await;
    let (report, _) = db.report(&project, None, "flaw", 0).await;
    let until = Moment::parse("until", "2026-10-25T01:30:00+02:00").unwrap();
    let id = report.id;
    db.write(move |tx| Box::pin(async move { tx.put_embargo(id, Some(until), at(1)).await })).await.unwrap();
    assert_eq!(db.read().await.embargo(report.id).await.unwrap(), Some(until), "the offset is kept");
    db.write(move |tx| Box::pin(async move { tx.put_embargo(id, None, at(2)).await })).await.unwrap();
    assert_eq!(db.read().await.embargo(report.id).await.unwrap(), None);

    let advisory = Advisory {
        id: "PSF-2026-1".parse().unwrap(),
        org_id: org.id,
        project_id: project.id,
        report_id: Some(report.id),
        state: AdvisoryState::Draft,
        draft: AdvisoryContent::default(),
        published: None,
        created_at: at(1),
        updated_at: at(1),
        first_published_at: None,
        withdrawn_at: None,
    };
    let (stored, aid) = (advisory.clone(), advisory.id.clone());
    let when = Moment::parse("at", "2026-06-01T12:00:00-04:00").unwrap();
    db.write(move |tx| {
        Box::pin(async move {
            tx.insert_advisory(&stored).await?;
            tx.put_schedule(&stored.id, when, at(3)).await
        })
    })
    .await
    .unwrap();
    let schedule = db.read().await.schedule(&aid).await.unwrap().unwrap();
    assert_eq!((schedule.at, schedule.outcome), (when, None));
    let (a, b) = (aid.clone(), aid.clone());
    let settled = db
        .write(move |tx| {
            Box::pin(async move {
                let stale = tx.settle_schedule(&a, at(999), "published", at(4)).await?;
                let first = tx.settle_schedule(&a, when.at, "published", at(4)).await?;
                let again = tx.settle_schedule(&b, when.at, "published", at(5)).await?;
                Ok::<_, embargo_store::StoreError>((stale, first, again))
            })
        })
        .await
        .unwrap();
    assert_eq!(settled, (false, true, false), "another time does nothing; the schedule settles once");
    assert_eq!(db.read().await.schedule(&aid).await.unwrap().unwrap().outcome.as_deref(), Some("published"));
}

async fn timelines_duplicates_and_open_reports(db: &Db) {
    let org = db.organisation("psf").await;
    let project = db.project(&org, "cpython").await;
    let (original, _) = db.report(&project, None, "original", 0).await;
    let (mut duplicate, _) = db.report(&project, None, "duplicate", 10).await;
    let (mut closed, _) = db.report(&project, None, "closed", 20).await;
    duplicate.state = ReportState::Duplicate;
    duplicate.duplicate_of = Some(original.id);
    closed.state = ReportState::Spam;
    let (d, c, id) = (duplicate.clone(), closed.clone(), original.id);
    db.write(move |tx| {
        Box::pin(async move {
            tx.update_report(&d).await?;
            tx.update_report(&c).await?;
            for (to, minutes) in [(ReportState::New, 0), (ReportState::Acknowledged, 30), (ReportState::Triaging, 40)] {
                let change = StateChange {
                    report_id: id,
                    from: (to != ReportState::New).then_some(ReportState::New),
                    to,
                    reason: None,
                    actor_id: None,
                    at: at(minutes),
                };
                tx.insert_state_change(&change).await?;
            }
            Ok::<_, embargo_store::StoreError>(())
        })
    })
    .await
    .unwrap();
    let mut r = db.read().await;
    let dups: Vec<_> = r.duplicates_of(original.id).await.unwrap().into_iter().map(|d| d.id).collect();
    assert_eq!(dups, vec![duplicate.id]);
    let open: Vec<_> = r.open_reports(project.id).await.unwrap().into_iter().map(|o| o.id).collect();
    assert_eq!(open, vec![original.id], "duplicates and spam are closed");
    let timelines = r.timelines(project.id, at(-1)).await.unwrap();
    assert_eq!(timelines.len(), 3);
    assert_eq!(timelines[0].received, at(0));
    let states: Vec<ReportState> = timelines[0].changes.iter().map(|(s, _)| *s).collect();
    assert_eq!(states, vec![ReportState::Acknowledged, ReportState::Triaging], "the arrival is not a change");
    assert_eq!(r.timelines(project.id, at(15)).await.unwrap().len(), 1, "the window starts at `since`");
}
