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

conformance!(what_a_source_said_is_stored_as_it_came_issue_14);

/// OSV fields outside the editor's model (issue 14) survive the stored
/// shape, in drafts and revisions alike.
async fn what_a_source_said_is_stored_as_it_came_issue_14(db: &Db) {
    use embargo_core::advisory::{
        Affected, AffectedSource, Informational, Range, RangeEvent, RangeKind, RawJson, ScoredSeverity, SourceFields,
    };
    use embargo_core::project::Package;
    let org = db.organisation("rustsec").await;
    let crates = db.project(&org, "crates").await;
    let raw = |text: &str| Some(RawJson::from_checked(text.to_owned()));
    let content = AdvisoryContent {
        summary: "unmaintained".into(),
        affected: vec![Affected {
            package: Some(Package::new("crates.io", "aes-soft").unwrap()),
            ranges: vec![Range {
                kind: RangeKind::Semver,
                repo: None,
                events: vec![RangeEvent::Introduced("0.0.0-0".into())],
                database_specific: raw(r#"{"source":"x"}"#),
            }],
            versions: vec![],
            source: AffectedSource {
                purl: Some("pkg:cargo/aes-soft?repository_url=https://example.org".into()),
                severity: vec![ScoredSeverity { kind: "Ubuntu".into(), score: "low".into() }],
                ecosystem_specific: raw(r#"{"affects":{"arch":[],"functions":["a::b"],"os":[]}}"#),
                database_specific: raw(r#"{"categories":[],"cvss":null,"informational":"unmaintained"}"#),
            },
        }],
        source: SourceFields {
            related: vec!["GHSA-aaaa-bbbb-cccc".into()],
            upstream: vec!["CVE-2021-1".into()],
            database_specific: raw(r#"{"license":"CC0-1.0"}"#),
            other_severity: vec![ScoredSeverity { kind: "CVSS_V2".into(), score: "AV:N/AC:L/Au:N/C:P/I:P/A:P".into() }],
            informational: Some(Informational::Unmaintained),
        },
        ..AdvisoryContent::default()
    };
    let advisory = Advisory {
        id: "RUSTSEC-2021-0060".parse().unwrap(),
        org_id: org.id,
        project_id: crates.id,
        report_id: None,
        state: AdvisoryState::Published,
        draft: content.clone(),
        published: Some(Revision { number: 1, content: content.clone(), published_at: at(2) }),
        created_at: at(1),
        updated_at: at(2),
        first_published_at: Some(at(2)),
        withdrawn_at: None,
    };
    let stored = advisory.clone();
    db.write(move |tx| {
        Box::pin(async move {
            tx.insert_advisory(&stored).await?;
            let revision = stored.published.clone().unwrap();
            tx.insert_revision(&stored.id, &revision).await
        })
    })
    .await
    .unwrap();
    let back = db.read().await.advisory(&advisory.id).await.unwrap().unwrap();
    assert_eq!(back.draft, content);
    assert_eq!(back.published.map(|r| r.content), Some(content));
}

conformance!(the_publication_sequence_moves_in_the_publishing_transaction_issue_15);

/// The publication sequence (migration 1510) moves with every change the
/// public reads (a revision, a withdrawal, a renamed project), in the same
/// transaction, and never for a draft or a saved working copy.
async fn the_publication_sequence_moves_in_the_publishing_transaction_issue_15(db: &Db) {
    let sequence = || async { db.read().await.publication_sequence().await.unwrap() };
    let org = db.organisation("psf").await;
    let cpython = db.project(&org, "cpython").await;
    let start = sequence().await;

    let content = AdvisoryContent { summary: "zipfile".into(), ..AdvisoryContent::default() };
    let mut advisory = Advisory {
        id: "PSF-2024-2".parse().unwrap(),
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
    assert_eq!(sequence().await, start, "a draft is not public");

    advisory.state = AdvisoryState::Published;
    advisory.first_published_at = Some(at(2));
    let published = advisory.clone();
    let revision = Revision { number: 1, content: content.clone(), published_at: at(2) };
    db.write(move |tx| {
        Box::pin(async move {
            tx.insert_revision(&published.id, &revision).await?;
            tx.update_advisory(&published).await
        })
    })
    .await
    .unwrap();
    let after_publishing = sequence().await;
    assert!(after_publishing > start, "publishing moves it");

    advisory.draft.summary = "zipfile, worse than thought".into();
    advisory.updated_at = at(3);
    let edited = advisory.clone();
    db.write(move |tx| Box::pin(async move { tx.update_advisory(&edited).await })).await.unwrap();
    assert_eq!(sequence().await, after_publishing, "editing the working copy changes nothing public");

    let revision = Revision { number: 2, content: advisory.draft.clone(), published_at: at(4) };
    let id = advisory.id.clone();
    db.write(move |tx| Box::pin(async move { tx.insert_revision(&id, &revision).await })).await.unwrap();
    let after_revising = sequence().await;
    assert!(after_revising > after_publishing, "a revision moves it");

    // A failed transaction leaves it where it was.
    let id = advisory.id.clone();
    let failed = db
        .write(move |tx| {
            Box::pin(async move {
                tx.insert_revision(
                    &id,
                    &Revision { number: 3, content: AdvisoryContent::default(), published_at: at(5) },
                )
                .await?;
                Err::<(), _>(embargo_store::StoreError::Conflict { constraint: "refused on purpose".into() })
            })
        })
        .await;
    assert!(failed.is_err());
    assert_eq!(sequence().await, after_revising, "a rolled-back revision leaves it");

    let mut renamed = cpython.clone();
    renamed.name = "CPython (renamed)".into();
    db.write(move |tx| Box::pin(async move { tx.update_project(&renamed).await })).await.unwrap();
    let after_renaming = sequence().await;
    assert!(after_renaming > after_revising, "the project's name is on the advisory page");

    advisory.state = AdvisoryState::Withdrawn;
    advisory.withdrawn_at = Some(at(6));
    db.write(move |tx| Box::pin(async move { tx.update_advisory(&advisory).await })).await.unwrap();
    assert!(sequence().await > after_renaming, "a withdrawal moves it");
}
