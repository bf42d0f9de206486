//! Published advisories with what the export formats need around them
//! (organisation, project, revision history): public data only, for the
//! `export` command, the CSAF provider files and the Atom feed.

use std::collections::HashMap;

use embargo_core::Timestamp;
use embargo_core::advisory::AdvisoryState;
use embargo_core::organisation::Organisation;
use embargo_core::project::Project;
use embargo_formats::Document;
use embargo_store::advisories::{PublishedAdvisory, PublishedFilter};

use crate::{App, AppError};

/// A published (or withdrawn) advisory and its surroundings.
#[derive(Debug, Clone)]
pub struct PublishedDocument {
    /// The advisory's latest published revision.
    pub advisory: PublishedAdvisory,
    /// Its organisation.
    pub org: Organisation,
    /// Its project.
    pub project: Project,
    /// Every revision as (number, publication time), oldest first; only the
    /// latest unless the history was asked for.
    pub revisions: Vec<(u32, Timestamp)>,
}

impl PublishedDocument {
    /// The view the formats take, with the advisory's public page at `page_url`.
    pub fn document<'a>(&'a self, page_url: &'a str) -> Document<'a> {
        Document {
            id: &self.advisory.id,
            content: &self.advisory.revision.content,
            published: self.advisory.first_published_at,
            modified: self.advisory.revision.published_at,
            withdrawn: match self.advisory.state {
                AdvisoryState::Withdrawn => self.advisory.withdrawn_at,
                AdvisoryState::Published | AdvisoryState::Draft => None,
            },
            revisions: &self.revisions,
            vendor: &self.org.name,
            product: &self.project.name,
            page_url,
        }
    }
}

impl App {
    /// The publication sequence: it grows in the transaction of every change
    /// of what the public reads about advisories, on any replica. Public
    /// caches compare it with the one their answers were made at.
    pub async fn publication_sequence(&self) -> Result<i64, AppError> {
        Ok(self.store.reader().await?.publication_sequence().await?)
    }

    /// Every published advisory, newest first publication first; with
    /// `revisions`, each one's revision history too (one more query each).
    pub async fn published_documents(&self, revisions: bool) -> Result<Vec<PublishedDocument>, AppError> {
        let mut reader = self.store.reader().await?;
        let orgs: HashMap<_, _> = reader.organisations().await?.into_iter().map(|o| (o.id, o)).collect();
        let projects: HashMap<_, _> = reader.projects(None).await?.into_iter().map(|p| (p.id, p)).collect();
        let mut out = Vec::new();
        for advisory in reader.published_advisories(&PublishedFilter::default()).await? {
            let (Some(org), Some(project)) = (orgs.get(&advisory.org_id), projects.get(&advisory.project_id)) else {
                continue;
            };
            let history = if revisions {
                reader.revisions(&advisory.id).await?.iter().map(|r| (r.number, r.published_at)).collect()
            } else {
                vec![(advisory.revision.number, advisory.revision.published_at)]
            };
            out.push(PublishedDocument { advisory, org: org.clone(), project: project.clone(), revisions: history });
        }
        Ok(out)
    }

    /// One published advisory with its revision history; `None` for drafts and unknown ids.
    pub async fn published_document(&self, id: &str) -> Result<PublishedDocument, AppError> {
        let id: embargo_core::id::AdvisoryId = id.parse().map_err(|_| AppError::NotFound)?;
        let mut reader = self.store.reader().await?;
        let advisory = reader.published_advisory(&id).await?.ok_or(AppError::NotFound)?;
        let org = reader.organisation(advisory.org_id).await?.ok_or(AppError::NotFound)?;
        let project = reader.project(advisory.project_id).await?.ok_or(AppError::NotFound)?;
        let revisions = reader.revisions(&id).await?.iter().map(|r| (r.number, r.published_at)).collect();
        Ok(PublishedDocument { advisory, org, project, revisions })
    }
}
