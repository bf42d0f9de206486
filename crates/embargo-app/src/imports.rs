//! Importing OSV files, and GitHub repository advisories (converted to OSV
//! by `embargo_formats::ghsa`), into a project: every file is parsed and
//! checked first, then all of them are written in one transaction, so an
//! import is atomic per run: one bad file, or one id that belongs
//! elsewhere, and nothing is stored. A GitHub advisory also brings the
//! report behind it (`imports/reports.rs`).

mod reports;

use embargo_core::advisory::{Advisory, AdvisoryState, Revision};
use embargo_core::id::{AdvisoryId, ReportId};
use embargo_core::organisation::Organisation;
use embargo_core::permission::{Action, Actor, ProjectAccess};
use embargo_core::project::Project;
use embargo_core::text::{FieldErrors, Slug, TextError};
use embargo_formats::ghsa::{self, GhsaState};
use embargo_formats::osv::{self, Imported};
use embargo_store::StoreExt;
use serde_json::json;

use crate::audit::record;
use crate::entropy::Entropy;
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
    /// No advisory: a GitHub advisory closed without publication, imported
    /// as a declined report only.
    Declined,
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
    /// The report behind it (GitHub advisories), and whether this import filed it.
    pub report: Option<(ReportId, bool)>,
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
    /// Whether an advisory is written at all (not for a GitHub advisory closed without publication).
    advisory: bool,
    /// The report to file with it (GitHub advisories).
    report: Option<reports::ReportPlan>,
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
                Ok(imported) => parsed.push(Checked {
                    name: file.name.clone(),
                    imported,
                    draft: false,
                    advisory: true,
                    report: None,
                }),
                Err(e) => errors.0.push(file_error(&file.name, &e)),
            }
            progress(ImportProgress::Checked { done: done + 1, total, name: &file.name });
        }
        self.write_imported(actor, ProjectAccess { org: org.id, project: project.id }, "osv", parsed, errors, progress)
            .await
    }

    /// Imports GitHub repository security advisories (the REST API's JSON:
    /// one advisory or a list per file) into the project `org`/`project`, each
    /// as a report with its history (see `imports/reports.rs`) and an
    /// advisory linked to it: published and withdrawn ones as published
    /// advisories, drafts and reports in triage as draft advisories only the
    /// team sees; closed ones as declined reports without an advisory.
    /// Credits, CVSS, CWEs and dates are kept; what is not is named per
    /// advisory. Atomic per run.
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
                match osv::parse(&converted.osv.to_string()) {
                    Ok(mut imported) => {
                        let plan = match reports::plan(&converted.id, converted.state, &converted.report, &imported) {
                            Ok(plan) => plan,
                            Err(refused) => {
                                for e in refused.0 {
                                    errors.0.push(file_error(&name, &format!("report {e}")));
                                }
                                continue;
                            }
                        };
                        imported.dropped.extend(converted.not_kept);
                        let state = converted.state;
                        parsed.push(Checked {
                            name,
                            imported,
                            draft: matches!(state, GhsaState::Draft | GhsaState::Triage),
                            advisory: state != GhsaState::Closed,
                            report: Some(plan),
                        });
                    }
                    Err(e) => errors.0.push(file_error(&name, &e)),
                }
            }
            progress(ImportProgress::Checked { done: done + 1, total, name: &file.name });
        }
        self.write_imported(actor, ProjectAccess { org: org.id, project: project.id }, "ghsa", parsed, errors, progress)
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
        progress: &(dyn Fn(ImportProgress<'_>) + Sync),
    ) -> Result<Vec<ImportedFile>, AppError> {
        for (i, checked) in parsed.iter().enumerate() {
            if parsed.iter().take(i).any(|p| p.imported.id == checked.imported.id) {
                errors.0.push(file_error(&checked.name, &format!("{} appears in two files", checked.imported.id)));
            }
        }
        errors.finish(|| Some(()))?;
        let (org, project) = (access.org, access.project);
        progress(ImportProgress::Writing { total: parsed.len() });
        let (now, tx_actor, entropy) = (self.now(), actor.clone(), std::sync::Arc::clone(&self.entropy));
        self.store
            .write(move |tx| {
                Box::pin(async move {
                    let actor = tx_actor;
                    let mut results = Vec::with_capacity(parsed.len());
                    for Checked { name, imported, draft, advisory, report } in parsed {
                        let report = match report {
                            Some(plan) => Some(
                                reports::file(tx, entropy.as_ref() as &dyn Entropy, now, &actor, (org, project), plan)
                                    .await?,
                            ),
                            None => None,
                        };
                        let linked = report.map(|(id, _)| id);
                        if !advisory {
                            let outcome = ImportOutcome::Declined;
                            let mut dropped = imported.dropped;
                            dropped.push("the advisory (closed on GitHub without publication)".into());
                            results.push(ImportedFile { name, id: imported.id, outcome, dropped, report });
                            continue;
                        }
                        if draft {
                            let outcome = write_draft(tx, (org, project, linked), &name, &imported).await?;
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
                            let dropped = imported.dropped;
                            results.push(ImportedFile { name, id: imported.id, outcome, dropped, report });
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
                                    report_id: linked,
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
                            Some(existing)
                                if existing.project_id != project
                                    || existing.report_id.is_some_and(|r| Some(r) != linked) =>
                            {
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
                        let dropped = imported.dropped;
                        results.push(ImportedFile { name, id: imported.id, outcome, dropped, report });
                    }
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
    (org, project, linked): (embargo_core::id::OrgId, embargo_core::id::ProjectId, Option<ReportId>),
    name: &str,
    imported: &Imported,
) -> Result<ImportOutcome, AppError> {
    match tx.lock_advisory(&imported.id).await? {
        None => {
            let advisory = Advisory {
                id: imported.id.clone(),
                org_id: org,
                project_id: project,
                report_id: linked,
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
                || existing.report_id.is_some_and(|r| Some(r) != linked)
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
