//! What an imported advisory's source said that Embargo keeps without
//! editing it: the OSV 1.7 fields outside the editor's model (`related`,
//! `upstream`, `database_specific` and `ecosystem_specific` at every level,
//! `affected[].severity`, `affected[].package.purl`, severities other than
//! CVSS 3.x and 4.0), so that an export writes back what an import read.
//!
//! RustSec's `informational` kind is read out of them ([`Informational`]):
//! such a record is a notice (unmaintained, unsound), not a vulnerability.

use std::fmt;
use std::str::FromStr;

use crate::text::UnknownName;

/// JSON text a source attached, kept as it came (compact, an object).
/// Formats check it is JSON before making one; the domain never reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawJson(String);

impl RawJson {
    /// Wraps JSON text that the caller has parsed and written back
    /// compactly (`embargo-formats` and the store do).
    pub fn from_checked(text: String) -> Self {
        RawJson(text)
    }

    /// The JSON text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// One severity entry as OSV writes it (`severity[]`): a type and a score.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScoredSeverity {
    /// `CVSS_V2`, `CVSS_V3`, `CVSS_V4`, `Ubuntu`, ...
    pub kind: String,
    /// The vector or rating.
    pub score: String,
}

/// RustSec's informational advisories (`informational` in its advisory
/// format, `affected[].database_specific.informational` in its OSV export):
/// notices about a crate, not vulnerabilities.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Informational {
    /// No longer maintained.
    Unmaintained,
    /// Unsound API, not (yet) a vulnerability.
    Unsound,
    /// Anything else worth knowing.
    Notice,
}

impl Informational {
    /// The name RustSec uses.
    pub const fn as_str(self) -> &'static str {
        match self {
            Informational::Unmaintained => "unmaintained",
            Informational::Unsound => "unsound",
            Informational::Notice => "notice",
        }
    }

    /// A label for people.
    pub const fn label(self) -> &'static str {
        match self {
            Informational::Unmaintained => "Notice: unmaintained",
            Informational::Unsound => "Notice: unsound",
            Informational::Notice => "Notice",
        }
    }
}

impl fmt::Display for Informational {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Informational {
    type Err = UnknownName;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "unmaintained" => Ok(Informational::Unmaintained),
            "unsound" => Ok(Informational::Unsound),
            "notice" => Ok(Informational::Notice),
            other => Err(UnknownName::new("informational kind", other, "unmaintained, unsound or notice")),
        }
    }
}

/// The record-level fields kept from a source (OSV 1.7 top level).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SourceFields {
    /// `related`: ids of closely related records that are not aliases.
    pub related: Vec<String>,
    /// `upstream`: ids of the records this one was derived from.
    pub upstream: Vec<String>,
    /// `database_specific`, whole (with `cwe_ids`, which the editor's CWEs
    /// replace on export).
    pub database_specific: Option<RawJson>,
    /// `severity[]` entries other than the first CVSS 3.x and 4.0 vectors
    /// (which are the advisory's severity), in order.
    pub other_severity: Vec<ScoredSeverity>,
    /// Set when the record is a RustSec informational notice.
    pub informational: Option<Informational>,
}

/// The fields kept from a source for one `affected[]` entry.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AffectedSource {
    /// `package.purl` as the source wrote it (already checked as a purl).
    pub purl: Option<String>,
    /// `severity[]` of this package.
    pub severity: Vec<ScoredSeverity>,
    /// `ecosystem_specific`.
    pub ecosystem_specific: Option<RawJson>,
    /// `database_specific`.
    pub database_specific: Option<RawJson>,
}
