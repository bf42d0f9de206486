//! Organisations, projects and release lines.

use embargo_core::id::ProjectId;
use embargo_core::policy::{ChannelsDraft, PolicyDraft};
use embargo_core::project::{LineStatus, Package, Project, ReleaseLine};
use embargo_store::StoreError;
use time::macros::date;

use crate::conformance;
use crate::fixture::{Db, at, new_uuid};

conformance!(
    organisations_and_projects,
    release_lines_upsert_and_delete,
    the_project_settings_sequence_moves_with_every_setting_issue_15
);

async fn organisations_and_projects(db: &Db) {
    let pallets = db.organisation("pallets").await;
    let python = db.organisation("python").await;
    let flask = db.project(&pallets, "flask").await;
    let jinja = db.project(&pallets, "jinja").await;
    let cpython = db.project(&python, "cpython").await;

    let mut r = db.read().await;
    assert_eq!(r.organisations().await.unwrap(), vec![pallets.clone(), python.clone()]);
    assert_eq!(r.organisation_by_slug(&"python".parse().unwrap()).await.unwrap(), Some(python.clone()));
    assert_eq!(r.projects(Some(pallets.id)).await.unwrap(), vec![flask.clone(), jinja.clone()]);
    assert_eq!(r.projects(None).await.unwrap().len(), 3);
    assert_eq!(r.project_by_slug(python.id, &"cpython".parse().unwrap()).await.unwrap(), Some(cpython.clone()));
    assert_eq!(r.project_by_slug(pallets.id, &"cpython".parse().unwrap()).await.unwrap(), None);

    let duplicate = Project { id: ProjectId::from_uuid(new_uuid()), ..flask.clone() };
    let result = db.write(move |tx| Box::pin(async move { tx.insert_project(&duplicate).await })).await;
    assert!(matches!(result, Err(StoreError::Conflict { .. })), "{result:?}");
    assert_eq!(r.projects(Some(pallets.id)).await.unwrap().len(), 2);

    let mut renamed = flask.clone();
    renamed.name = "Flask".into();
    renamed.packages = vec![Package::new("PyPI", "flask").unwrap(), Package::new("npm", "flask-js").unwrap()];
    let stored = renamed.clone();
    db.write(move |tx| Box::pin(async move { tx.update_project(&stored).await })).await.unwrap();
    assert_eq!(r.project(flask.id).await.unwrap(), Some(renamed));
}

async fn release_lines_upsert_and_delete(db: &Db) {
    let org = db.organisation("python").await;
    let project = db.project(&org, "cpython").await;
    let line = |name: &str, status| ReleaseLine {
        project_id: project.id,
        name: name.parse().unwrap(),
        status,
        released_on: Some(date!(2024 - 10 - 07)),
        end_of_life_on: None,
    };
    let lines = vec![line("3.13", LineStatus::Bugfix), line("3.9", LineStatus::Security)];
    let stored = lines.clone();
    db.write(move |tx| {
        Box::pin(async move {
            for l in &stored {
                tx.upsert_release_line(l).await?;
            }
            Ok(())
        })
    })
    .await
    .unwrap();
    let mut r = db.read().await;
    assert_eq!(r.release_lines(project.id).await.unwrap(), lines);

    let eol = ReleaseLine { end_of_life_on: Some(date!(2025 - 10 - 31)), ..line("3.9", LineStatus::EndOfLife) };
    let stored = eol.clone();
    db.write(move |tx| Box::pin(async move { tx.upsert_release_line(&stored).await })).await.unwrap();
    assert_eq!(r.release_lines(project.id).await.unwrap()[1], eol);

    let name = "3.13".parse().unwrap();
    let id = project.id;
    let deleted = db.write(move |tx| Box::pin(async move { tx.delete_release_line(id, &name).await })).await.unwrap();
    assert!(deleted);
    assert_eq!(r.release_lines(project.id).await.unwrap(), vec![eol]);
}

/// The project settings sequence (migration 1710) moves in the same
/// transaction as every change of what intake keeps per project (an
/// organisation, a project and its packages, either policy, a release line),
/// also when another process makes it behind the store's back, and never for
/// a report or a rolled-back change.
async fn the_project_settings_sequence_moves_with_every_setting_issue_15(db: &Db) {
    let sequence = || async { db.read().await.project_settings_sequence().await.unwrap() };
    let mut last = sequence().await;
    let mut moved = |now: i64, what: &str| {
        assert!(now > last, "{what} moves the sequence ({last} then {now})");
        last = now;
    };
    let org = db.organisation("python").await;
    moved(sequence().await, "a new organisation");
    let project = db.project(&org, "cpython").await;
    moved(sequence().await, "a new project with its packages");

    let mut renamed = org.clone();
    renamed.name = "Python".into();
    db.write(move |tx| Box::pin(async move { tx.update_organisation(&renamed).await })).await.unwrap();
    moved(sequence().await, "a renamed organisation");
    let mut repackaged = project.clone();
    repackaged.packages.push(Package::new("PyPI", "cpython-extras").unwrap());
    db.write(move |tx| Box::pin(async move { tx.update_project(&repackaged).await })).await.unwrap();
    moved(sequence().await, "a project's new package");

    let closed = PolicyDraft {
        channels: ChannelsDraft { api: Some(false), ..ChannelsDraft::default() },
        ..PolicyDraft::default()
    };
    let (org_id, project_id, policy) = (org.id, project.id, closed.clone());
    db.write(move |tx| Box::pin(async move { tx.set_org_policy(org_id, &policy, at(1)).await })).await.unwrap();
    moved(sequence().await, "an organisation's policy");
    db.write(move |tx| Box::pin(async move { tx.set_project_policy(project_id, &closed, at(2)).await })).await.unwrap();
    moved(sequence().await, "a project's policy");

    let line = ReleaseLine {
        project_id: project.id,
        name: "3.13".parse().unwrap(),
        status: LineStatus::Bugfix,
        released_on: Some(date!(2024 - 10 - 07)),
        end_of_life_on: None,
    };
    db.write(move |tx| Box::pin(async move { tx.upsert_release_line(&line).await })).await.unwrap();
    moved(sequence().await, "a new release line");
    let name = "3.13".parse().unwrap();
    db.write(move |tx| Box::pin(async move { tx.delete_release_line(project_id, &name).await })).await.unwrap();
    moved(sequence().await, "a deleted release line");

    db.tamper("UPDATE project_policies SET updated_at = updated_at").await;
    moved(sequence().await, "a change by another process");

    let before = sequence().await;
    db.report(&project, None, "Heap overflow in the tokenizer", 3).await;
    assert_eq!(sequence().await, before, "a report is not a setting");
    let mut failed = project.clone();
    failed.name = "refused".into();
    let refused = db
        .write(move |tx| {
            Box::pin(async move {
                tx.update_project(&failed).await?;
                Err::<(), _>(StoreError::Conflict { constraint: "refused on purpose".into() })
            })
        })
        .await;
    assert!(refused.is_err());
    assert_eq!(sequence().await, before, "a rolled-back change leaves it");
}
