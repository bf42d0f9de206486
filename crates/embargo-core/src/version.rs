//! Version orderings per ecosystem, and whether a version or a commit falls
//! in an advisory's affected ranges (OSV schema 1.7, "Evaluation" of
//! `affected[].ranges[]`: events sorted by version, `introduced` opens,
//! `fixed` closes at, `last_affected` closes after, `limit` bounds).
//!
//! Known orderings: Semantic Versioning 2.0 (`SEMVER` ranges, and the
//! `ECOSYSTEM` ranges of crates.io, npm, Go, Hex, Pub and SwiftURL), and
//! PEP 440 (`ECOSYSTEM` ranges of PyPI). For other ecosystems only the
//! `versions` list matches. `GIT` ranges match a commit only where the
//! range names it (see [`commit_affected`]): without the repository's
//! history nothing else can be known.

use std::cmp::Ordering;

use crate::advisory::{Affected, Range, RangeEvent, RangeKind};

/// How an ecosystem orders its versions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum VersionScheme {
    /// Semantic Versioning 2.0 (a leading `v` is ignored, missing minor or patch parts count as 0).
    SemVer,
    /// Python's PEP 440.
    Pep440,
    /// An ordering Embargo does not know: versions only compare equal.
    Opaque,
}

impl VersionScheme {
    /// The ordering of an OSV ecosystem's `ECOSYSTEM` ranges. An ecosystem
    /// name may carry a suffix after `:` (`Debian:12`), which does not change it.
    pub fn of_ecosystem(ecosystem: &str) -> VersionScheme {
        let base = ecosystem.split_once(':').map_or(ecosystem, |(base, _)| base);
        match base {
            "PyPI" => VersionScheme::Pep440,
            "crates.io" | "npm" | "Go" | "Hex" | "Pub" | "SwiftURL" => VersionScheme::SemVer,
            _ => VersionScheme::Opaque,
        }
    }

    /// The ordering of a range of `kind` in `ecosystem`; `None` for `GIT`.
    pub fn of_range(kind: RangeKind, ecosystem: Option<&str>) -> Option<VersionScheme> {
        match kind {
            RangeKind::Semver => Some(VersionScheme::SemVer),
            RangeKind::Ecosystem => Some(ecosystem.map_or(VersionScheme::Opaque, VersionScheme::of_ecosystem)),
            RangeKind::Git => None,
        }
    }

    /// Parses a version in this ordering; `None` if it is not one (or the ordering is unknown).
    pub fn parse(self, version: &str) -> Option<Version> {
        let version = version.trim();
        match self {
            VersionScheme::SemVer => parse_semver(version).map(Version::SemVer),
            VersionScheme::Pep440 => version.parse::<pep440_rs::Version>().ok().map(Version::Pep440),
            VersionScheme::Opaque => None,
        }
    }
}

/// A parsed version of a known ordering.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Version {
    /// A SemVer version.
    SemVer(semver::Version),
    /// A PEP 440 version.
    Pep440(pep440_rs::Version),
}

impl Version {
    /// Compares two versions of the same ordering; `None` across orderings.
    pub fn compare(&self, other: &Version) -> Option<Ordering> {
        match (self, other) {
            (Version::SemVer(a), Version::SemVer(b)) => Some(a.cmp(b)),
            (Version::Pep440(a), Version::Pep440(b)) => Some(a.cmp(b)),
            (Version::SemVer(_), Version::Pep440(_)) | (Version::Pep440(_), Version::SemVer(_)) => None,
        }
    }
}

fn parse_semver(version: &str) -> Option<semver::Version> {
    let version = version.strip_prefix('v').unwrap_or(version);
    if let Ok(v) = semver::Version::parse(version) {
        return Some(v);
    }
    // Lenient: "1.2" and "1" mean "1.2.0" and "1.0.0" (Go and npm data has them).
    let split = version.find(['-', '+']).unwrap_or(version.len());
    let (core, rest) = version.split_at(split);
    let parts = core.split('.').count();
    let padded = match parts {
        1 => format!("{core}.0.0{rest}"),
        2 => format!("{core}.0{rest}"),
        _ => return None,
    };
    semver::Version::parse(&padded).ok()
}

/// Where a range event sits, with `introduced: "0"` before every version.
enum Bound {
    Start,
    At(Version),
}

fn event_version(scheme: VersionScheme, event: &RangeEvent) -> Option<Bound> {
    match event {
        RangeEvent::Introduced(v) if v == "0" => Some(Bound::Start),
        RangeEvent::Introduced(v) | RangeEvent::Fixed(v) | RangeEvent::LastAffected(v) | RangeEvent::Limit(v) => {
            scheme.parse(v).map(Bound::At)
        }
    }
}

fn at_or_after(version: &Version, bound: &Bound) -> bool {
    match bound {
        Bound::Start => true,
        Bound::At(b) => version.compare(b).is_some_and(Ordering::is_ge),
    }
}

/// Whether `version` falls in `range` (OSV 1.7 evaluation). A range whose
/// events do not parse in its ordering matches nothing.
fn in_range(version: &Version, scheme: VersionScheme, range: &Range) -> bool {
    let Some(mut events) = range
        .events
        .iter()
        .map(|e| event_version(scheme, e).map(|bound| (bound, e)))
        .collect::<Option<Vec<(Bound, &RangeEvent)>>>()
    else {
        return false;
    };
    events.sort_by(|(a, _), (b, _)| match (a, b) {
        (Bound::Start, Bound::Start) => Ordering::Equal,
        (Bound::Start, Bound::At(_)) => Ordering::Less,
        (Bound::At(_), Bound::Start) => Ordering::Greater,
        (Bound::At(a), Bound::At(b)) => a.compare(b).unwrap_or(Ordering::Equal),
    });
    let limits: Vec<&Bound> =
        events.iter().filter(|(_, e)| matches!(e, RangeEvent::Limit(_))).map(|(bound, _)| bound).collect();
    if !limits.is_empty() && !limits.iter().any(|limit| !at_or_after(version, limit)) {
        return false;
    }
    let mut vulnerable = false;
    for (bound, event) in &events {
        match event {
            RangeEvent::Introduced(_) if at_or_after(version, bound) => vulnerable = true,
            RangeEvent::Fixed(_) if at_or_after(version, bound) => vulnerable = false,
            RangeEvent::LastAffected(_) => {
                if let Bound::At(last) = bound
                    && version.compare(last).is_some_and(Ordering::is_gt)
                {
                    vulnerable = false;
                }
            }
            RangeEvent::Introduced(_) | RangeEvent::Fixed(_) | RangeEvent::Limit(_) => {}
        }
    }
    vulnerable
}

/// Whether `version` of the affected entry's package is affected: listed in
/// `versions` (equal as text, or equal in the ecosystem's ordering), or inside
/// one of its `SEMVER` / `ECOSYSTEM` ranges.
pub fn version_affected(affected: &Affected, version: &str) -> bool {
    let version = version.trim();
    let ecosystem = affected.package.as_ref().map(|p| p.ecosystem.as_str());
    let scheme = ecosystem.map_or(VersionScheme::Opaque, VersionScheme::of_ecosystem);
    let parsed = scheme.parse(version);
    let listed = affected.versions.iter().any(|v| {
        v == version
            || parsed
                .as_ref()
                .is_some_and(|p| scheme.parse(v).is_some_and(|listed| listed.compare(p) == Some(Ordering::Equal)))
    });
    listed
        || affected.ranges.iter().any(|range| {
            let Some(range_scheme) = VersionScheme::of_range(range.kind, ecosystem) else {
                return false;
            };
            range_scheme.parse(version).is_some_and(|v| in_range(&v, range_scheme, range))
        })
}

/// Whether a commit is affected, as far as the advisory alone can tell: it is
/// an `introduced` or `last_affected` commit of one of the entry's `GIT`
/// ranges (compared case-insensitively, as full hashes). Commits in between
/// need the repository's history, which Embargo does not keep.
pub fn commit_affected(affected: &Affected, commit: &str) -> bool {
    let commit = commit.trim();
    let git: Vec<_> = affected.ranges.iter().filter(|r| r.kind == RangeKind::Git).collect();
    !commit.is_empty()
        && (git.iter().any(|r| {
            r.events.iter().any(|e| match e {
                RangeEvent::Introduced(c) | RangeEvent::LastAffected(c) => same_commit(c, commit),
                RangeEvent::Fixed(_) | RangeEvent::Limit(_) => false,
            })
        }) || (!git.is_empty() && affected.versions.iter().any(|v| same_commit(v, commit))))
}

/// The shortest commit hash compared, as `git` abbreviates by default.
pub const MIN_COMMIT_CHARS: usize = 7;

/// Whether two commit hashes name the same commit: equal, or one an
/// abbreviation (at least [`MIN_COMMIT_CHARS`] hex digits) of the other.
pub fn same_commit(a: &str, b: &str) -> bool {
    let hex = |s: &str| s.len() >= MIN_COMMIT_CHARS && s.bytes().all(|c| c.is_ascii_hexdigit());
    if a.eq_ignore_ascii_case(b) {
        return true;
    }
    if !hex(a) || !hex(b) {
        return false;
    }
    let (short, long) = if a.len() <= b.len() { (a, b) } else { (b, a) };
    long.get(..short.len()).is_some_and(|prefix| prefix.eq_ignore_ascii_case(short))
}

/// A package name as an ecosystem compares it: PyPI names are normalised as
/// PEP 503 says (lower case, runs of `-`, `_`, `.` as one `-`); others are kept.
pub fn normalise_package_name(ecosystem: &str, name: &str) -> String {
    if ecosystem != "PyPI" {
        return name.to_owned();
    }
    let mut out = String::with_capacity(name.len());
    let mut separator = false;
    for c in name.trim().chars() {
        if matches!(c, '-' | '_' | '.') {
            separator = true;
        } else {
            if separator && !out.is_empty() {
                out.push('-');
            }
            separator = false;
            out.extend(c.to_lowercase());
        }
    }
    out
}

#[cfg(test)]
mod tests;
