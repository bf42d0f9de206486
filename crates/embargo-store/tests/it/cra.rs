//! CRA clocks: started once, details sealed at rest, filings recorded and corrected.

use embargo_core::cra::{CraKind, CraStage};
use embargo_core::embargo::Moment;
use embargo_core::private::Private;
use embargo_store::cra::{CraClock, CraFiling};

use crate::conformance;
use crate::fixture::{Db, at};

conformance!(clocks_start_once_keep_details_sealed_and_record_filings);

async fn clocks_start_once_keep_details_sealed_and_record_filings(db: &Db) {
    let org = db.organisation("acme").await;
    let project = db.project(&org, "runtime").await;
    let (report, _) = db.report(&project, None, "Exploited in the wild", 0).await;
    let aware_at = Moment::parse("aware_at", "2026-10-01T09:30:00+02:00").unwrap();
    let clock = CraClock {
        report_id: report.id,
        kind: CraKind::ExploitedVulnerability,
        aware_at,
        fix_available_at: None,
        details: Private::new(r#"{"exploit":"cra-marker-exploit"}"#.to_owned()),
        started_at: at(5),
    };
    let c = clock.clone();
    assert!(db.write(move |tx| Box::pin(async move { tx.insert_cra_clock(&c).await })).await.unwrap());
    let c = clock.clone();
    assert!(!db.write(move |tx| Box::pin(async move { tx.insert_cra_clock(&c).await })).await.unwrap(), "once");
    assert_eq!(db.read().await.cra_clock(report.id).await.unwrap(), Some(clock.clone()));
    let raw = db.raw_column("SELECT details FROM cra_clocks").await;
    assert!(raw.iter().all(|b| !String::from_utf8_lossy(b).contains("cra-marker")), "sealed at rest");

    let id = report.id;
    db.write(move |tx| {
        Box::pin(async move {
            tx.update_cra_clock(id, &Private::new("{}".to_owned()), Some(at(60))).await?;
            for (stage, reference, minutes) in [
                (CraStage::Notification, "ENISA-2", 30),
                (CraStage::EarlyWarning, "ENISA-1", 10),
                (CraStage::EarlyWarning, "ENISA-1b", 11),
            ] {
                let filing =
                    CraFiling { stage, filed_at: at(minutes), reference: reference.into(), recorded_at: at(minutes) };
                tx.put_cra_filing(id, &filing).await?;
            }
            Ok(())
        })
    })
    .await
    .unwrap();
    let mut r = db.read().await;
    let stored = r.cra_clock(id).await.unwrap().unwrap();
    assert_eq!((stored.fix_available_at, stored.details.expose().as_str()), (Some(at(60)), "{}"));
    let filings = r.cra_filings(id).await.unwrap();
    let seen: Vec<_> = filings.iter().map(|f| (f.stage, f.reference.as_str(), f.filed_at)).collect();
    assert_eq!(seen, vec![(CraStage::EarlyWarning, "ENISA-1b", at(11)), (CraStage::Notification, "ENISA-2", at(30))]);
}
