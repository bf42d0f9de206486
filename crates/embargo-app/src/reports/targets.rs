//! What intake reads about a project before it files a report: its
//! organisation, the project, the resolved policy and the release lines.
//!
//! Read afresh for every report, these five reads and the policy's decoding
//! were a third of the server's request-side work at intake (issue 15). They
//! change only when a team edits them, so intake keeps them in memory per
//! project and reads one row instead: the project settings sequence
//! (migration 1710), which triggers move with every change of those tables,
//! on every replica and from every process (a command line's `policy apply`
//! included). A sequence other than the one the cache was filled at empties it.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use embargo_core::id::ProjectId;
use embargo_core::organisation::Organisation;
use embargo_core::policy::Policy;
use embargo_core::project::{Project, ReleaseLine};
use embargo_core::text::Slug;
use embargo_store::Reader;

use crate::AppError;
use crate::organisations::find_project;
use crate::policies::project_policy;

/// The project a report is for, as intake read it.
#[derive(Debug)]
pub(super) struct Target {
    pub(super) org: Organisation,
    pub(super) project: Project,
    pub(super) policy: Policy,
    pub(super) lines: Vec<ReleaseLine>,
}

/// How an intake names its project: by slugs (a form, the API, the command
/// line) or by id (a mail whose address routes to it).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(super) enum TargetKey {
    Slugs(Slug, Slug),
    Project(ProjectId),
}

/// The most projects kept at once. Only projects that exist are kept, so a
/// real instance stays far below it; past it the cache starts over.
const MOST_KEPT: usize = 4096;

/// Intake's projects, as read at one project settings sequence.
#[derive(Default)]
pub(crate) struct TargetCache(Mutex<Kept>);

#[derive(Default)]
struct Kept {
    sequence: i64,
    targets: HashMap<TargetKey, Arc<Target>>,
}

impl std::fmt::Debug for TargetCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let kept = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        f.debug_struct("TargetCache").field("sequence", &kept.sequence).field("projects", &kept.targets.len()).finish()
    }
}

impl TargetCache {
    /// The project `key` names, read through `reader` unless it was read at
    /// the current sequence. The sequence is read first, so what is read
    /// after it is at least as new as the sequence it is kept under.
    pub(super) async fn target(&self, reader: &mut dyn Reader, key: &TargetKey) -> Result<Arc<Target>, AppError> {
        let sequence = reader.project_settings_sequence().await?;
        if let Some(target) = self.kept(sequence, key) {
            return Ok(target);
        }
        let (org, project) = match key {
            TargetKey::Slugs(org, project) => find_project(reader, org, project).await?,
            TargetKey::Project(id) => {
                let project = reader.project(*id).await?.ok_or(AppError::NotFound)?;
                let org = reader.organisation(project.org_id).await?.ok_or(AppError::NotFound)?;
                (org, project)
            }
        };
        let policy = project_policy(reader, &org, &project).await?;
        let lines = reader.release_lines(project.id).await?;
        let target = Arc::new(Target { org, project, policy, lines });
        self.keep(sequence, key.clone(), Arc::clone(&target));
        Ok(target)
    }

    fn kept(&self, sequence: i64, key: &TargetKey) -> Option<Arc<Target>> {
        let kept = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        if kept.sequence != sequence {
            return None;
        }
        kept.targets.get(key).cloned()
    }

    fn keep(&self, sequence: i64, key: TargetKey, target: Arc<Target>) {
        let mut kept = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        // A read that raced a newer one's keeping is not kept: it may be older.
        if sequence < kept.sequence {
            return;
        }
        if sequence > kept.sequence || kept.targets.len() >= MOST_KEPT {
            kept.targets.clear();
            kept.sequence = sequence;
        }
        kept.targets.insert(key, target);
    }
}
