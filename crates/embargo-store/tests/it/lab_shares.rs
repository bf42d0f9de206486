//! Whether the team shares a report's lab results with the reporter (issue 17).

use crate::conformance;
use crate::fixture::{Db, at};

conformance!(lab_results_are_shared_and_unshared_per_report_issue_17);

async fn lab_results_are_shared_and_unshared_per_report_issue_17(db: &Db) {
    let org = db.organisation("lab-org").await;
    let project = db.project(&org, "one").await;
    let team = db.user("team@example.org").await;
    let (report, _) = db.report(&project, None, "shared", 0).await;
    let (other, _) = db.report(&project, None, "not shared", 0).await;
    let (id, by) = (report.id, team.id);
    assert_eq!(db.read().await.lab_shared_at(id).await.unwrap(), None);
    let shared = db.write(move |tx| Box::pin(async move { tx.set_lab_shared(id, Some(by), Some(at(5))).await }));
    assert!(shared.await.unwrap());
    let again = db.write(move |tx| Box::pin(async move { tx.set_lab_shared(id, Some(by), Some(at(9))).await }));
    assert!(!again.await.unwrap(), "sharing twice changes nothing");
    assert_eq!(db.read().await.lab_shared_at(id).await.unwrap(), Some(at(5)));
    assert_eq!(db.read().await.lab_shared_at(other.id).await.unwrap(), None);
    let stopped = db.write(move |tx| Box::pin(async move { tx.set_lab_shared(id, None, None).await }));
    assert!(stopped.await.unwrap());
    assert_eq!(db.read().await.lab_shared_at(id).await.unwrap(), None);
}
