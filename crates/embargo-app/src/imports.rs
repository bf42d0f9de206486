//! Importing OSV files, and GitHub repository advisories (converted to OSV
//! by `embargo_formats::ghsa`), into a project: every file is parsed and
//! checked first, then all of them are written in one transaction, so an
//! import is atomic per run: one bad file, or one id that belongs
//! elsewhere, and nothing is stored.

use embargo_core::advisory::{Advisory, AdvisoryState, Revision};
use embargo_core::id::AdvisoryId;
use embargo_core::organisation::Organisation;
use embargo_core::permission::{Action, Actor, ProjectAccess};
use embargo_core::project::Project;
use embargo_core::text::{FieldErrors, Slug, TextError};
use embargo_formats::ghsa::{self, GhsaState};
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
    /// A private draft (GitHub's `draft` and `triage` states): a draft
    /// advisory only the project's team sees, or its working copy updated.
    Draft,
    /// Not imported (a GitHub advisory closed without publication).
    Skipped,
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

/// A checked record, ready to be written.
struct Checked {
    name: String,
    imported: Imported,
    /// Written as a private draft advisory, not published.
    draft: bool,
}

impl App {
    /// The project an import goes into, if `actor` may import into it.
    async fn import_target(
        &self,
        actor: &Actor,
        org: &Slug,
        project: &Slug,
    ) -> Result<(Organisation, Project), AppError> {
        let (org, project) = find_project(self.store.reader().await?.as_mut(), org, project).await?;
        require(actor, Action::ImportAdvisories(ProjectAccess { org: org.id, project: project.id }))?;
        Ok((org, project))
    }

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
        let (org, project) = self.import_target(actor, org, project).await?;
        let total = files.len();
        let mut errors = FieldErrors(Vec::new());
        let mut parsed: Vec<Checked> = Vec::with_capacity(total);
        for (done, file) in files.into_iter().enumerate() {
            match osv::parse(&file.text) {
                Ok(imported) => parsed.push(Checked { name: file.name.clone(), imported, draft: false }),
                Err(e) => errors.0.push(file_error(&file.name, &e)),
            }
            progress(ImportProgress::Checked { done: done + 1, total, name: &file.name });
        }
        self.write_imported(
            actor,
            ProjectAccess { org: org.id, project: project.id },
            "osv",
            parsed,
            errors,
            Vec::new(),
            progress,
        )
        .await
    }

    /// Imports GitHub repository security advisories (the REST API's JSON:
    /// one advisory or a list per file) into the project `org`/`project`:
    /// published and withdrawn ones as published advisories, drafts and
    /// reports in triage as draft advisories only the team sees; closed ones
    /// are not imported and are named. Credits, CVSS, CWEs and dates are
    /// kept; what is not is named per advisory. Atomic per run.
    pub async fn import_ghsa(
        &self,
        actor: &Actor,
        org: &Slug,
        project: &Slug,
        files: Vec<ImportFile>,
        progress: &(dyn Fn(ImportProgress<'_>) + Sync),
    ) -> Result<Vec<ImportedFile>, AppError> {
        let (org, project) = self.import_target(actor, org, project).await?;
        let total = files.len();
        let mut errors = FieldErrors(Vec::new());
        let mut parsed: Vec<Checked> = Vec::new();
        let mut skipped = Vec::new();
        for (done, file) in files.into_iter().enumerate() {
            let records = match ghsa::records(&file.text) {
                Ok(records) => records,
                Err(e) => {
                    errors.0.push(file_error(&file.name, &e));
                    continue;
                }
            };
            for record in &records {
                let converted = match ghsa::to_osv(record) {
                    Ok(converted) => converted,
                    Err(e) => {
                        errors.0.push(file_error(&file.name, &e));
                        continue;
                    }
                };
                let name = format!("{} ({})", file.name, converted.id);
                if converted.state == GhsaState::Closed {
                    skipped.push((name, converted.id));
                    continue;
                }
                match osv::parse(&converted.osv.to_string()) {
                    Ok(mut imported) => {
                        imported.dropped.extend(converted.not_kept);
                        parsed.push(Checked { name, imported, draft: converted.state == GhsaState::Draft });
                    }
                    Err(e) => errors.0.push(file_error(&name, &e)),
                }
            }
            progress(ImportProgress::Checked { done: done + 1, total, name: &file.name });
        }
        self.write_imported(
            actor,
            ProjectAccess { org: org.id, project: project.id },
            "ghsa",
            parsed,
            errors,
            skipped,
            progress,
        )
        .await
    }

    /// Writes checked records in one transaction, unless `errors` holds any.
    #[allow(clippy::too_many_arguments)]
    async fn write_imported(
        &self,
        actor: &Actor,
        access: ProjectAccess,
        source: &'static str,
        parsed: Vec<Checked>,
        mut errors: FieldErrors,
        skipped: Vec<(String, String)>,
        progress: &(dyn Fn(ImportProgress<'_>) + Sync),
    ) -> Result<Vec<ImportedFile>, AppError> {
        for (i, checked) in parsed.iter().enumerate() {
            if parsed.iter().take(i).any(|p| p.imported.id == checked.imported.id) {
                errors.0.push(file_error(&checked.name, &format!("{} appears in two files", checked.imported.id)));
            }
        }
        let mut skipped_files = Vec::new();
        for (name, id) in skipped {
            match id.parse::<AdvisoryId>() {
                Ok(id) => skipped_files.push(ImportedFile {
                    name,
                    id,
                    outcome: ImportOutcome::Skipped,
                    dropped: vec!["closed on GitHub without publication".into()],
                }),
                Err(e) => errors.0.push(file_error(&name, &e)),
            }
        }
        errors.finish(|| Some(()))?;
        let (org, project) = (access.org, access.project);
        progress(ImportProgress::Writing { total: parsed.len() });
        let (now, tx_actor) = (self.now(), actor.clone());
        self.store
            .write(move |tx| {
                Box::pin(async move {
                    let actor = tx_actor;
                    let mut results = Vec::with_capacity(parsed.len());
                    for Checked { name, imported, draft } in parsed {
                        if draft {
                            let outcome = write_draft(tx, org, project, &name, &imported).await?;
                            if outcome != ImportOutcome::Unchanged {
                                let details =
                                    json!({"source": source, "file": name.chars().take(200).collect::<String>()});
                                record(
                                    tx,
                                    now,
                                    &actor,
                                    "advisory.imported",
                                    format!("advisory:{}", imported.id),
                                    details,
                                )
                                .await?;
                            }
                            results.push(ImportedFile { name, id: imported.id, outcome, dropped: imported.dropped });
                            continue;
                        }
                        let state = if imported.withdrawn.is_some() {
                            AdvisoryState::Withdrawn
                        } else {
                            AdvisoryState::Published
                        };
                        let outcome = match tx.lock_advisory(&imported.id).await? {
                            None => {
                                let advisory = Advisory {
                                    id: imported.id.clone(),
                                    org_id: org,
                                    project_id: project,
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
                            Some(existing) if existing.project_id != project || existing.report_id.is_some() => {
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
                            let details = json!({"source": source, "file": name.chars().take(200).collect::<String>()});
                            record(tx, now, &actor, "advisory.imported", format!("advisory:{}", imported.id), details)
                                .await?;
                        }
                        results.push(ImportedFile { name, id: imported.id, outcome, dropped: imported.dropped });
                    }
                    results.extend(skipped_files);
                    Ok(results)
                })
            })
            .await
    }
}

/// A private draft from another tracker: a draft advisory (no revision), or
/// the working copy of one imported before updated.
async fn write_draft(
    tx: &mut dyn embargo_store::Writer,
    org: embargo_core::id::OrgId,
    project: embargo_core::id::ProjectId,
    name: &str,
    imported: &Imported,
) -> Result<ImportOutcome, AppError> {
    match tx.lock_advisory(&imported.id).await? {
        None => {
            let advisory = Advisory {
                id: imported.id.clone(),
                org_id: org,
                project_id: project,
                report_id: None,
                state: AdvisoryState::Draft,
                draft: imported.content.clone(),
                published: None,
                created_at: imported.published,
                updated_at: imported.modified,
                first_published_at: None,
                withdrawn_at: None,
            };
            tx.insert_advisory(&advisory).await?;
            Ok(ImportOutcome::Draft)
        }
        Some(existing)
            if existing.project_id != project
                || existing.report_id.is_some()
                || existing.state != AdvisoryState::Draft =>
        {
            Err(AppError::Invalid(FieldErrors(vec![file_error(
                name,
                &format!("{} already exists, and is not a draft imported into this project", imported.id),
            )])))
        }
        Some(mut existing) if existing.draft != imported.content => {
            existing.draft = imported.content.clone();
            existing.updated_at = imported.modified;
            tx.update_advisory(&existing).await?;
            Ok(ImportOutcome::Draft)
        }
        Some(_) => Ok(ImportOutcome::Unchanged),
    }
}
