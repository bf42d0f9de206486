//! Importing OSV files into a project: every file is parsed and checked
//! first, then all of them are written in one transaction, so an import is
//! atomic per run: one bad file, or one id that belongs elsewhere, and
//! nothing is stored.

use embargo_core::advisory::{Advisory, AdvisoryState, Revision};
use embargo_core::id::AdvisoryId;
use embargo_core::permission::{Action, Actor, ProjectAccess};
use embargo_core::text::Slug;
use embargo_core::text::{FieldErrors, TextError};
use embargo_formats::osv::{self, Imported};
use embargo_store::StoreExt;
use serde_json::json;

use crate::audit::record;
use crate::organisations::find_project;
use crate::{App, AppError, require};

/// One file to import.
#[derive(Debug, Clone)]
pub struct ImportFile {
    /// Its name, for messages.
    pub name: String,
    /// Its text.
    pub text: String,
}

/// What happened to one file's advisory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImportOutcome {
    /// A new published advisory.
    Created,
    /// A new revision of an advisory imported before.
    Revised,
    /// Already there, unchanged.
    Unchanged,
}

/// One imported file.
#[derive(Debug, Clone)]
pub struct ImportedFile {
    /// The file's name.
    pub name: String,
    /// The advisory's id.
    pub id: AdvisoryId,
    /// What happened.
    pub outcome: ImportOutcome,
    /// Fields of the file Embargo does not keep.
    pub dropped: Vec<String>,
}

/// Progress of an import, for a progress display.
#[derive(Debug, Clone, Copy)]
pub enum ImportProgress<'a> {
    /// A file was read and checked (`done` of `total`).
    Checked {
        /// Files checked so far.
        done: usize,
        /// Files in all.
        total: usize,
        /// The file's name.
        name: &'a str,
    },
    /// Every file passed; writing them all in one transaction.
    Writing {
        /// Advisories to write.
        total: usize,
    },
}

fn file_error(name: &str, error: &dyn std::fmt::Display) -> TextError {
    TextError::Refused { field: "osv", reason: format!("{}: {error}", name.chars().take(200).collect::<String>()) }
}

impl App {
    /// Imports OSV files into the project `org`/`project` as published
    /// advisories (ids, times, aliases, ranges, severity, credits and
    /// references kept). An id imported before into the same project gets a
    /// new revision when its content changed. Atomic per run.
    pub async fn import_osv(
        &self,
        actor: &Actor,
        org: &Slug,
        project: &Slug,
        files: Vec<ImportFile>,
        progress: &(dyn Fn(ImportProgress<'_>) + Sync),
    ) -> Result<Vec<ImportedFile>, AppError> {
        let (org, project) = {
            let mut reader = self.store.reader().await?;
            find_project(reader.as_mut(), org, project).await?
        };
        let access = ProjectAccess { org: org.id, project: project.id };
        require(actor, Action::ImportAdvisories(access))?;
        let total = files.len();
        let mut errors = FieldErrors(Vec::new());
        let mut parsed: Vec<(String, Imported)> = Vec::with_capacity(total);
        for (done, file) in files.into_iter().enumerate() {
            match osv::parse(&file.text) {
                Ok(imported) => {
                    if parsed.iter().any(|(_, p)| p.id == imported.id) {
                        errors.0.push(file_error(&file.name, &format!("{} appears in two files", imported.id)));
                    }
                    parsed.push((file.name.clone(), imported));
                }
                Err(e) => errors.0.push(file_error(&file.name, &e)),
            }
            progress(ImportProgress::Checked { done: done + 1, total, name: &file.name });
        }
        errors.finish(|| Some(()))?;
        progress(ImportProgress::Writing { total: parsed.len() });
        let (now, tx_actor) = (self.now(), actor.clone());
        self.store
            .write(move |tx| {
                Box::pin(async move {
                    let actor = tx_actor;
                    let mut results = Vec::with_capacity(parsed.len());
                    for (name, imported) in parsed {
                        let state = if imported.withdrawn.is_some() {
                            AdvisoryState::Withdrawn
                        } else {
                            AdvisoryState::Published
                        };
                        let outcome = match tx.lock_advisory(&imported.id).await? {
                            None => {
                                let advisory = Advisory {
                                    id: imported.id.clone(),
                                    org_id: org.id,
                                    project_id: project.id,
                                    report_id: None,
                                    state,
                                    draft: imported.content.clone(),
                                    published: None,
                                    created_at: imported.published,
                                    updated_at: imported.modified,
                                    first_published_at: Some(imported.published),
                                    withdrawn_at: imported.withdrawn,
                                };
                                tx.insert_advisory(&advisory).await?;
                                let revision = Revision {
                                    number: 1,
                                    content: imported.content.clone(),
                                    published_at: imported.modified,
                                };
                                tx.insert_revision(&advisory.id, &revision).await?;
                                ImportOutcome::Created
                            }
                            Some(existing) if existing.project_id != project.id || existing.report_id.is_some() => {
                                return Err(AppError::Invalid(FieldErrors(vec![file_error(
                                    &name,
                                    &format!("{} already exists and was not imported into this project", imported.id),
                                )])));
                            }
                            Some(mut existing) => {
                                let same = existing.published.as_ref().is_some_and(|r| {
                                    r.content == imported.content && r.published_at == imported.modified
                                }) && existing.withdrawn_at == imported.withdrawn;
                                if same {
                                    ImportOutcome::Unchanged
                                } else {
                                    let number = existing.published.as_ref().map_or(1, |r| r.number + 1);
                                    let revision = Revision {
                                        number,
                                        content: imported.content.clone(),
                                        published_at: imported.modified,
                                    };
                                    tx.insert_revision(&existing.id, &revision).await?;
                                    existing.state = state;
                                    existing.draft = imported.content.clone();
                                    existing.updated_at = imported.modified;
                                    existing.withdrawn_at = imported.withdrawn;
                                    tx.update_advisory(&existing).await?;
                                    ImportOutcome::Revised
                                }
                            }
                        };
                        if outcome != ImportOutcome::Unchanged {
                            let details = json!({"source": "osv", "file": name.chars().take(200).collect::<String>()});
                            record(tx, now, &actor, "advisory.imported", format!("advisory:{}", imported.id), details)
                                .await?;
                        }
                        results.push(ImportedFile { name, id: imported.id, outcome, dropped: imported.dropped });
                    }
                    Ok(results)
                })
            })
            .await
    }
}
