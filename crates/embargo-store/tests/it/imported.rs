//! Reports filed by imports (issue 14): found again by project, source and
//! record id; one report per record.

use crate::conformance;
use crate::fixture::{Db, at};

conformance!(imported_reports_are_found_by_source_record_issue_14);

async fn imported_reports_are_found_by_source_record_issue_14(db: &Db) {
    let org = db.organisation("octo").await;
    let one = db.project(&org, "one").await;
    let two = db.project(&org, "two").await;
    let (report, _) = db.report(&one, None, "imported", 0).await;
    let (project, id) = (one.id, report.id);
    db.write(move |tx| {
        Box::pin(async move { tx.insert_imported_report(project, "ghsa", "GHSA-abcd-1234-efgh", id, at(1)).await })
    })
    .await
    .unwrap();
    let mut read = db.read().await;
    assert_eq!(read.imported_report(one.id, "ghsa", "GHSA-abcd-1234-efgh").await.unwrap(), Some(report.id));
    assert_eq!(read.imported_report(two.id, "ghsa", "GHSA-abcd-1234-efgh").await.unwrap(), None, "per project");
    assert_eq!(read.imported_report(one.id, "osv", "GHSA-abcd-1234-efgh").await.unwrap(), None, "per source");
    drop(read);
    let again = db
        .write(move |tx| {
            Box::pin(async move { tx.insert_imported_report(project, "ghsa", "GHSA-abcd-1234-efgh", id, at(2)).await })
        })
        .await;
    assert!(again.is_err(), "one report per record");
}
