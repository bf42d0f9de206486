//! Advisories: the public, credited account of a fixed vulnerability.
//!
//! The content mirrors the OSV schema 1.7 (`summary`, `details`,
//! `aliases`, `affected[]` with `ranges[]` of events, `severity`,
//! `references[]`, `credits[]`) so that every export format is a conversion.

use std::fmt;
use std::str::FromStr;

use crate::Timestamp;
use crate::id::{AdvisoryId, AliasId, CveId, CweId, OrgId, ProjectId, ReportId};
use crate::lifecycle::ReportState;
use crate::project::Package;
use crate::severity::Severity;
pub use fix::{FixKind, FixStrategy};
pub use source::{AffectedSource, Informational, RawJson, ScoredSeverity, SourceFields};

mod fix;
mod source;

use crate::text::{FieldErrors, MAX_SHORT_CHARS, MAX_TITLE_CHARS, TextError, UnknownName, one_line, plain_text};

/// Where an advisory is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AdvisoryState {
    /// Being written; visible to the project's team only.
    Draft,
    /// Public.
    Published,
    /// Was public, then withdrawn (kept, marked withdrawn).
    Withdrawn,
}

impl AdvisoryState {
    /// The name in requests and storage.
    pub const fn as_str(self) -> &'static str {
        match self {
            AdvisoryState::Draft => "draft",
            AdvisoryState::Published => "published",
            AdvisoryState::Withdrawn => "withdrawn",
        }
    }
}

impl fmt::Display for AdvisoryState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for AdvisoryState {
    type Err = UnknownName;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "draft" => Ok(AdvisoryState::Draft),
            "published" => Ok(AdvisoryState::Published),
            "withdrawn" => Ok(AdvisoryState::Withdrawn),
            other => Err(UnknownName::new("advisory state", other, "draft, published or withdrawn")),
        }
    }
}

/// How a range's versions are ordered (OSV `ranges[].type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RangeKind {
    /// Semantic Versioning 2.0.
    Semver,
    /// The package ecosystem's own ordering.
    Ecosystem,
    /// Git commits.
    Git,
}

impl RangeKind {
    /// The OSV name.
    pub const fn as_str(self) -> &'static str {
        match self {
            RangeKind::Semver => "SEMVER",
            RangeKind::Ecosystem => "ECOSYSTEM",
            RangeKind::Git => "GIT",
        }
    }
}

impl FromStr for RangeKind {
    type Err = UnknownName;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "SEMVER" => Ok(RangeKind::Semver),
            "ECOSYSTEM" => Ok(RangeKind::Ecosystem),
            "GIT" => Ok(RangeKind::Git),
            other => Err(UnknownName::new("range type", other, "SEMVER, ECOSYSTEM or GIT")),
        }
    }
}

/// One event of a range (OSV `ranges[].events[]`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum RangeEvent {
    /// The vulnerability appears in this version (`"0"`: from the start).
    Introduced(String),
    /// The first version with the fix.
    Fixed(String),
    /// The last affected version, when no fix exists.
    LastAffected(String),
    /// An upper limit on the range, for git branches.
    Limit(String),
}

/// A version range of an affected package.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Range {
    /// How the versions are ordered.
    pub kind: RangeKind,
    /// The repository, for `GIT` ranges.
    pub repo: Option<String>,
    /// The events, in order.
    pub events: Vec<RangeEvent>,
    /// The source's `ranges[].database_specific`, kept as it came.
    pub database_specific: Option<RawJson>,
}

/// A package an advisory affects, with its ranges and explicit versions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Affected {
    /// The package; `None` for an entry that names only a repository's
    /// commits (OSV 1.7 `affected[].package` is optional with `GIT` ranges).
    pub package: Option<Package>,
    /// Affected version ranges.
    pub ranges: Vec<Range>,
    /// Affected versions listed one by one.
    pub versions: Vec<String>,
    /// What an imported source said of this entry beyond the above.
    pub source: AffectedSource,
}

/// The kind of a reference (OSV `references[].type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ReferenceKind {
    /// A published security advisory.
    Advisory,
    /// An article or blog post.
    Article,
    /// A way to detect the vulnerability.
    Detection,
    /// A discussion (mailing list, issue).
    Discussion,
    /// A report (issue tracker entry).
    Report,
    /// A fix (commit, pull request).
    Fix,
    /// The change that introduced it.
    Introduced,
    /// A git repository.
    Git,
    /// A package page.
    Package,
    /// Evidence of exploitation.
    Evidence,
    /// Any other web page.
    Web,
}

impl ReferenceKind {
    /// Every kind.
    pub const ALL: [ReferenceKind; 11] = [
        ReferenceKind::Advisory,
        ReferenceKind::Article,
        ReferenceKind::Detection,
        ReferenceKind::Discussion,
        ReferenceKind::Report,
        ReferenceKind::Fix,
        ReferenceKind::Introduced,
        ReferenceKind::Git,
        ReferenceKind::Package,
        ReferenceKind::Evidence,
        ReferenceKind::Web,
    ];

    /// The OSV name.
    pub const fn as_str(self) -> &'static str {
        match self {
            ReferenceKind::Advisory => "ADVISORY",
            ReferenceKind::Article => "ARTICLE",
            ReferenceKind::Detection => "DETECTION",
            ReferenceKind::Discussion => "DISCUSSION",
            ReferenceKind::Report => "REPORT",
            ReferenceKind::Fix => "FIX",
            ReferenceKind::Introduced => "INTRODUCED",
            ReferenceKind::Git => "GIT",
            ReferenceKind::Package => "PACKAGE",
            ReferenceKind::Evidence => "EVIDENCE",
            ReferenceKind::Web => "WEB",
        }
    }
    /// A label for people.
    pub const fn label(self) -> &'static str {
        match self {
            ReferenceKind::Advisory => "Advisory",
            ReferenceKind::Article => "Article",
            ReferenceKind::Detection => "Detection",
            ReferenceKind::Discussion => "Discussion",
            ReferenceKind::Report => "Report",
            ReferenceKind::Fix => "Fix",
            ReferenceKind::Introduced => "Introduced by",
            ReferenceKind::Git => "Repository",
            ReferenceKind::Package => "Package",
            ReferenceKind::Evidence => "Evidence",
            ReferenceKind::Web => "Web page",
        }
    }
}

impl FromStr for ReferenceKind {
    type Err = UnknownName;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ReferenceKind::ALL.into_iter().find(|k| k.as_str() == s).ok_or_else(|| {
            UnknownName::new(
                "reference type",
                s,
                "ADVISORY, ARTICLE, DETECTION, DISCUSSION, REPORT, FIX, INTRODUCED, GIT, PACKAGE, EVIDENCE or WEB",
            )
        })
    }
}

/// A link from an advisory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reference {
    /// What it links to.
    pub kind: ReferenceKind,
    /// An `http` or `https` URL.
    pub url: String,
}

/// The kind of a credit (OSV `credits[].type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CreditKind {
    /// Found the vulnerability.
    Finder,
    /// Reported it.
    Reporter,
    /// Analysed it.
    Analyst,
    /// Coordinated the response.
    Coordinator,
    /// Wrote the fix.
    RemediationDeveloper,
    /// Reviewed the fix.
    RemediationReviewer,
    /// Verified the fix.
    RemediationVerifier,
    /// A tool that found it.
    Tool,
    /// Sponsored the work.
    Sponsor,
    /// Anything else.
    Other,
}

impl CreditKind {
    /// Every kind.
    pub const ALL: [CreditKind; 10] = [
        CreditKind::Finder,
        CreditKind::Reporter,
        CreditKind::Analyst,
        CreditKind::Coordinator,
        CreditKind::RemediationDeveloper,
        CreditKind::RemediationReviewer,
        CreditKind::RemediationVerifier,
        CreditKind::Tool,
        CreditKind::Sponsor,
        CreditKind::Other,
    ];

    /// The OSV name.
    pub const fn as_str(self) -> &'static str {
        match self {
            CreditKind::Finder => "FINDER",
            CreditKind::Reporter => "REPORTER",
            CreditKind::Analyst => "ANALYST",
            CreditKind::Coordinator => "COORDINATOR",
            CreditKind::RemediationDeveloper => "REMEDIATION_DEVELOPER",
            CreditKind::RemediationReviewer => "REMEDIATION_REVIEWER",
            CreditKind::RemediationVerifier => "REMEDIATION_VERIFIER",
            CreditKind::Tool => "TOOL",
            CreditKind::Sponsor => "SPONSOR",
            CreditKind::Other => "OTHER",
        }
    }
    /// A label for people.
    pub const fn label(self) -> &'static str {
        match self {
            CreditKind::Finder => "Found by",
            CreditKind::Reporter => "Reported by",
            CreditKind::Analyst => "Analysed by",
            CreditKind::Coordinator => "Coordinated by",
            CreditKind::RemediationDeveloper => "Fixed by",
            CreditKind::RemediationReviewer => "Fix reviewed by",
            CreditKind::RemediationVerifier => "Fix verified by",
            CreditKind::Tool => "Found with",
            CreditKind::Sponsor => "Sponsored by",
            CreditKind::Other => "Thanks to",
        }
    }
}

impl FromStr for CreditKind {
    type Err = UnknownName;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        CreditKind::ALL.into_iter().find(|k| k.as_str() == s).ok_or_else(|| {
            UnknownName::new(
                "credit type",
                s,
                "FINDER, REPORTER, ANALYST, COORDINATOR, REMEDIATION_DEVELOPER, REMEDIATION_REVIEWER, \
                 REMEDIATION_VERIFIER, TOOL, SPONSOR or OTHER",
            )
        })
    }
}

/// Credit for someone's part.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Credit {
    /// The name to print.
    pub name: String,
    /// Their part.
    pub kind: CreditKind,
    /// Ways to reach them they agreed to publish.
    pub contact: Vec<String>,
}

/// What an advisory says.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct AdvisoryContent {
    /// One line.
    pub summary: String,
    /// Markdown, sanitised when rendered.
    pub details: String,
    /// Other ids of the same vulnerability (CVE, GHSA, ...).
    pub aliases: Vec<AliasId>,
    /// Affected packages and versions.
    pub affected: Vec<Affected>,
    /// The team's severity.
    pub severity: Severity,
    /// Weaknesses.
    pub cwes: Vec<CweId>,
    /// Links.
    pub references: Vec<Reference>,
    /// Credits.
    pub credits: Vec<Credit>,
    /// How the risk is removed (patch, dependency update, mitigation) and what users do.
    pub fix: FixStrategy,
    /// What an imported source said beyond the above (empty for advisories
    /// written here).
    pub source: SourceFields,
}

/// A published revision, kept for ever.
#[derive(Debug, Clone, PartialEq)]
pub struct Revision {
    /// 1 for the first publication, then counting up.
    pub number: u32,
    /// What was published.
    pub content: AdvisoryContent,
    /// When.
    pub published_at: Timestamp,
}

/// An advisory: a private working copy and, once published, its public revisions.
#[derive(Debug, Clone, PartialEq)]
pub struct Advisory {
    /// Its id.
    pub id: AdvisoryId,
    /// The organisation that issues it.
    pub org_id: OrgId,
    /// The project it is about.
    pub project_id: ProjectId,
    /// The report it was drafted from, if any (imported advisories have none).
    pub report_id: Option<ReportId>,
    /// Where it stands.
    pub state: AdvisoryState,
    /// The working copy the team edits. Private until published.
    pub draft: AdvisoryContent,
    /// The latest published revision, if any: the only part the public sees.
    pub published: Option<Revision>,
    /// When it was drafted.
    pub created_at: Timestamp,
    /// When the working copy last changed.
    pub updated_at: Timestamp,
    /// When it was first published.
    pub first_published_at: Option<Timestamp>,
    /// When it was withdrawn, if it was.
    pub withdrawn_at: Option<Timestamp>,
}

/// Why an advisory may not be drafted or published.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AdvisoryError {
    /// Only accepted reports get advisories.
    #[error("the report is {state}, not accepted as a vulnerability")]
    ReportNotAccepted {
        /// The report's state.
        state: ReportState,
    },
    /// The fix must be public before the advisory is.
    #[error("the report is {state}: mark it fixed once the fix is public, then publish")]
    FixNotPublic {
        /// The report's state.
        state: ReportState,
    },
    /// A withdrawn advisory stays withdrawn.
    #[error("the advisory was withdrawn")]
    Withdrawn,
    /// Only a published advisory can be withdrawn.
    #[error("only a published advisory can be withdrawn; this one is a draft")]
    NotPublished,
    /// Nothing to publish: the working copy equals the published revision.
    #[error("nothing changed since the last published revision")]
    Unchanged,
    /// A required part is missing.
    #[error("the advisory needs {field} before it can be published")]
    Incomplete {
        /// The missing part.
        field: &'static str,
    },
}

/// The most bytes an advisory's details may hold.
pub const MAX_DETAILS_BYTES: usize = 64 * 1024;

/// Checks a URL for a reference: `http` or `https`, no spaces, at most 2,000 bytes.
pub fn check_url(field: &'static str, url: &str) -> Result<String, TextError> {
    let url = url.trim();
    let scheme_ok = url.starts_with("https://") || url.starts_with("http://");
    let host_ok = url.split_once("://").is_some_and(|(_, rest)| !rest.is_empty() && !rest.starts_with('/'));
    if scheme_ok && host_ok && url.len() <= 2000 && !url.chars().any(|c| c.is_whitespace() || c.is_control()) {
        Ok(url.to_owned())
    } else {
        Err(TextError::Malformed { field, expected: "an http:// or https:// URL" })
    }
}

impl AdvisoryContent {
    /// Checks what a team typed: a one-line summary, plain-text details of
    /// bounded size, http(s) references, credits with names, packages named.
    pub fn check(&self) -> Result<(), FieldErrors> {
        let mut errors = FieldErrors(Vec::new());
        if !self.summary.is_empty() {
            errors.take(one_line("summary", &self.summary, MAX_TITLE_CHARS));
        }
        errors.take(plain_text("details", &self.details, MAX_DETAILS_BYTES));
        errors.take(self.fix.check());
        for reference in &self.references {
            errors.take(check_url("references", &reference.url));
        }
        for credit in &self.credits {
            errors.take(one_line("credits", &credit.name, MAX_SHORT_CHARS));
        }
        for affected in &self.affected {
            if let Some(package) = &affected.package {
                errors.take(Package::new(&package.ecosystem, &package.name));
            }
            for version in affected.versions.iter().chain(affected.ranges.iter().flat_map(|r| {
                r.events.iter().map(|e| match e {
                    RangeEvent::Introduced(v)
                    | RangeEvent::Fixed(v)
                    | RangeEvent::LastAffected(v)
                    | RangeEvent::Limit(v) => v,
                })
            })) {
                errors.take(one_line("affected", version, MAX_SHORT_CHARS));
            }
        }
        errors.finish(|| Some(()))
    }
}

impl AdvisoryContent {
    /// The RustSec informational kind when this is a notice (unmaintained,
    /// unsound), which is not counted as a vulnerability.
    pub fn informational(&self) -> Option<Informational> {
        self.source.informational
    }

    /// The CVE id among the aliases, if there is one (the first).
    pub fn cve_id(&self) -> Option<CveId> {
        self.aliases.iter().find_map(AliasId::cve)
    }
}

/// Whether a draft may be made from a report in `state`.
pub fn check_draft(state: ReportState) -> Result<(), AdvisoryError> {
    if state.is_accepted() { Ok(()) } else { Err(AdvisoryError::ReportNotAccepted { state }) }
}

/// Whether `advisory` may be withdrawn: only a published one, once.
pub fn check_withdraw(advisory: &Advisory) -> Result<(), AdvisoryError> {
    match advisory.state {
        AdvisoryState::Published => Ok(()),
        AdvisoryState::Draft => Err(AdvisoryError::NotPublished),
        AdvisoryState::Withdrawn => Err(AdvisoryError::Withdrawn),
    }
}

/// Whether `advisory` may be published now, given its report's state.
pub fn check_publish(advisory: &Advisory, report_state: Option<ReportState>) -> Result<(), AdvisoryError> {
    match advisory.state {
        AdvisoryState::Withdrawn => return Err(AdvisoryError::Withdrawn),
        AdvisoryState::Draft | AdvisoryState::Published => {}
    }
    if let Some(state) = report_state {
        match state {
            ReportState::Fixed | ReportState::Disclosed => {}
            ReportState::Accepted | ReportState::Fixing => return Err(AdvisoryError::FixNotPublic { state }),
            ReportState::New
            | ReportState::Acknowledged
            | ReportState::Triaging
            | ReportState::NeedsInfo
            | ReportState::NotVulnerable
            | ReportState::Duplicate
            | ReportState::OutOfScope
            | ReportState::Spam
            | ReportState::Withdrawn => return Err(AdvisoryError::ReportNotAccepted { state }),
        }
    }
    if advisory.draft.summary.trim().is_empty() {
        return Err(AdvisoryError::Incomplete { field: "a summary" });
    }
    if advisory.draft.details.trim().is_empty() {
        return Err(AdvisoryError::Incomplete { field: "details" });
    }
    if advisory.published.as_ref().is_some_and(|r| r.content == advisory.draft) {
        return Err(AdvisoryError::Unchanged);
    }
    Ok(())
}

#[cfg(test)]
mod tests;
