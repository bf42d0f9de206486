//! Public response times per project and per organisation, over the last
//! twelve months, computed from report history by core's `summarise` (which
//! withholds figures over fewer than five reports). Public: anyone may ask.

use embargo_core::Timestamp;
use embargo_core::response_times::{ResponseStats, summarise};
use embargo_core::text::Slug;
use embargo_store::Reader;

use crate::organisations::{find_organisation, find_project};
use crate::{App, AppError};

/// The window the figures cover.
pub const WINDOW_DAYS: i64 = 365;

/// Response times with the window they cover.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ResponseTimes {
    /// From.
    pub since: Timestamp,
    /// To.
    pub until: Timestamp,
    /// The figures.
    pub stats: ResponseStats,
}

async fn timelines(
    reader: &mut dyn Reader,
    projects: &[embargo_core::id::ProjectId],
    since: Timestamp,
) -> Result<Vec<embargo_core::response_times::Timeline>, AppError> {
    let mut all = Vec::new();
    for project in projects {
        all.extend(reader.timelines(*project, since).await?);
    }
    Ok(all)
}

impl App {
    /// A project's public response times.
    pub async fn project_response_times(&self, org: &Slug, project: &Slug) -> Result<ResponseTimes, AppError> {
        let mut reader = self.store.reader().await?;
        let (_, project) = find_project(reader.as_mut(), org, project).await?;
        let (until, since) = (self.now(), self.now() - time::Duration::days(WINDOW_DAYS));
        let all = timelines(reader.as_mut(), &[project.id], since).await?;
        Ok(ResponseTimes { since, until, stats: summarise(&all, since, until) })
    }

    /// An organisation's public response times (every project of it together).
    pub async fn organisation_response_times(&self, org: &Slug) -> Result<ResponseTimes, AppError> {
        let mut reader = self.store.reader().await?;
        let org = find_organisation(reader.as_mut(), org).await?;
        let projects: Vec<_> = reader.projects(Some(org.id)).await?.into_iter().map(|p| p.id).collect();
        let (until, since) = (self.now(), self.now() - time::Duration::days(WINDOW_DAYS));
        let all = timelines(reader.as_mut(), &projects, since).await?;
        Ok(ResponseTimes { since, until, stats: summarise(&all, since, until) })
    }
}
