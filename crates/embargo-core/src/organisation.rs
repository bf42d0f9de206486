//! Organisations: the owners of projects and of the canonical policy.

use crate::Timestamp;
use crate::id::{AdvisoryPrefix, OrgId};
use crate::text::Slug;

/// An organisation, such as a foundation or a group of related projects.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Organisation {
    /// Its id.
    pub id: OrgId,
    /// Its URL name, unique on the instance.
    pub slug: Slug,
    /// Its display name.
    pub name: String,
    /// The prefix of the advisory ids it allocates (`PREFIX-YEAR-N`).
    pub advisory_prefix: AdvisoryPrefix,
    /// When it was made.
    pub created_at: Timestamp,
}
