//! Embargo's published formats: pure functions from domain types to the
//! documents scanners and databases consume, one module per format, and the
//! OSV import. No IO, no clock: times come in as arguments.

pub mod atom;
pub mod cra;
pub mod csaf;
pub mod cve;
pub mod ghsa;
pub mod osv;
pub mod policy_file;
pub mod purl;
pub mod rustsec;
pub mod security_md;
pub mod security_txt;
pub mod vex;

use embargo_core::Timestamp;
use embargo_core::advisory::AdvisoryContent;
use embargo_core::id::AdvisoryId;

/// A published advisory with what the richer formats (CVE, CSAF, Atom) need
/// around it. Only published revisions ever become one.
#[derive(Debug, Clone, Copy)]
pub struct Document<'a> {
    /// The advisory's id.
    pub id: &'a AdvisoryId,
    /// The latest published content.
    pub content: &'a AdvisoryContent,
    /// First publication.
    pub published: Timestamp,
    /// The latest revision's publication.
    pub modified: Timestamp,
    /// When withdrawn, if it was.
    pub withdrawn: Option<Timestamp>,
    /// Every published revision as (number, publication time), oldest first.
    pub revisions: &'a [(u32, Timestamp)],
    /// The issuing organisation's name (the vendor).
    pub vendor: &'a str,
    /// The project's name (the product).
    pub product: &'a str,
    /// The advisory's public page.
    pub page_url: &'a str,
}

impl<'a> Document<'a> {
    /// The OSV view of the same advisory.
    pub fn osv(&self) -> osv::Published<'a> {
        osv::Published {
            id: self.id,
            content: self.content,
            published: self.published,
            modified: self.modified,
            withdrawn: self.withdrawn,
        }
    }

    /// The title to show: the summary, or the id when there is none.
    pub fn title(&self) -> &'a str {
        let summary = self.content.summary.trim();
        if summary.is_empty() { self.id.as_str() } else { summary }
    }
}

/// RFC 3339 text of a time, in UTC.
pub(crate) fn rfc3339(at: Timestamp) -> String {
    at.to_offset(time::UtcOffset::UTC)
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_else(|_| at.unix_timestamp().to_string())
}

#[cfg(test)]
pub(crate) mod fixture;
