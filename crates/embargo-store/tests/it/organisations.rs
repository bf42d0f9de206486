//! Organisations, projects and release lines.

use embargo_core::id::ProjectId;
use embargo_core::project::{LineStatus, Package, Project, ReleaseLine};
use embargo_store::StoreError;
use time::macros::date;

use crate::conformance;
use crate::fixture::{Db, new_uuid};

conformance!(organisations_and_projects, release_lines_upsert_and_delete);

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
