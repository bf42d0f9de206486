//! The publication marker: it changes whenever what the public sees changes
//! (a revision is published, an advisory is withdrawn), and never for drafts.

use embargo_core::advisory::{Advisory, AdvisoryContent, AdvisoryState, Revision};

use crate::conformance;
use crate::fixture::{Db, at};

conformance!(the_marker_moves_with_publications_only);

async fn the_marker_moves_with_publications_only(db: &Db) {
    let org = db.organisation("psf").await;
    let cpython = db.project(&org, "cpython").await;
    let empty = db.read().await.publication_marker().await.unwrap();

    let content =
        AdvisoryContent { summary: "tempfile".into(), details: "Upgrade.".into(), ..AdvisoryContent::default() };
    let mut advisory = Advisory {
        id: "PSF-2024-1".parse().unwrap(),
        org_id: org.id,
        project_id: cpython.id,
        report_id: None,
        state: AdvisoryState::Draft,
        draft: content.clone(),
        published: None,
        created_at: at(1),
        updated_at: at(1),
        first_published_at: None,
        withdrawn_at: None,
    };
    let draft = advisory.clone();
    db.write(move |tx| Box::pin(async move { tx.insert_advisory(&draft).await })).await.unwrap();
    assert_eq!(db.read().await.publication_marker().await.unwrap(), empty, "a draft changes nothing public");

    advisory.state = AdvisoryState::Published;
    advisory.first_published_at = Some(at(2));
    let published = advisory.clone();
    db.write(move |tx| {
        Box::pin(async move {
            tx.insert_revision(&published.id, &Revision { number: 1, content, published_at: at(2) }).await?;
            tx.update_advisory(&published).await
        })
    })
    .await
    .unwrap();
    let first = db.read().await.publication_marker().await.unwrap();
    assert_ne!(first, empty);
    assert_eq!(db.read().await.publication_marker().await.unwrap(), first, "stable while nothing changes");

    advisory.state = AdvisoryState::Withdrawn;
    advisory.withdrawn_at = Some(at(3));
    db.write(move |tx| Box::pin(async move { tx.update_advisory(&advisory).await })).await.unwrap();
    let withdrawn = db.read().await.publication_marker().await.unwrap();
    assert_ne!(withdrawn, first);
}
