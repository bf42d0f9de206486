//! Projects, the packages they ship and their release lines.

use std::fmt;
use std::str::FromStr;

use crate::Timestamp;
use crate::id::{OrgId, ProjectId};
use crate::text::{Slug, TextError, UnknownName, one_line};

/// A project of an organisation: one repository, some packages, release lines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Project {
    /// Its id.
    pub id: ProjectId,
    /// The organisation it belongs to.
    pub org_id: OrgId,
    /// Its URL name, unique within the organisation.
    pub slug: Slug,
    /// Its display name.
    pub name: String,
    /// Where its source lives, if public.
    pub repository_url: Option<String>,
    /// The packages it ships, for advisories' `affected` entries.
    pub packages: Vec<Package>,
    /// When it was made.
    pub created_at: Timestamp,
}

/// A package a project ships: an OSV ecosystem and a name (OSV `affected[].package`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Package {
    /// The OSV ecosystem, such as `PyPI` or `crates.io`.
    pub ecosystem: String,
    /// The package's name in that ecosystem.
    pub name: String,
}

/// The ecosystems OSV 1.7 knows (`$defs/ecosystemName` of its schema), plus
/// `GIT`. An ecosystem may carry a `:suffix` (`Debian:12`, `Ubuntu:22.04:LTS`).
pub const OSV_ECOSYSTEMS: [&str; 49] = [
    "AlmaLinux",
    "Alpaquita",
    "Alpine",
    "Android",
    "Azure Linux",
    "BellSoft Hardened Containers",
    "Bioconductor",
    "Bitnami",
    "Chainguard",
    "CleanStart",
    "ConanCenter",
    "CRAN",
    "crates.io",
    "Debian",
    "Docker Hardened Images",
    "Echo",
    "FreeBSD",
    "GHC",
    "GitHub Actions",
    "Go",
    "Hackage",
    "Hex",
    "Julia",
    "Kubernetes",
    "Linux",
    "Mageia",
    "Maven",
    "MinimOS",
    "npm",
    "NuGet",
    "opam",
    "openEuler",
    "openSUSE",
    "OSS-Fuzz",
    "Packagist",
    "Photon OS",
    "Pub",
    "PyPI",
    "Red Hat",
    "Rocky Linux",
    "Root",
    "RubyGems",
    "SUSE",
    "SwiftURL",
    "TuxCare",
    "Ubuntu",
    "VSCode",
    "Wolfi",
    "GIT",
];

/// An ecosystem as OSV spells it (`pypi` becomes `PyPI`), or why it is not one.
fn ecosystem(text: &str) -> Result<String, TextError> {
    let text = one_line("ecosystem", text, 100)?;
    let (base, suffix) = match text.split_once(':') {
        Some((base, suffix)) if !suffix.is_empty() => (base, Some(suffix)),
        Some(_) => return Err(TextError::Malformed { field: "ecosystem", expected: "a suffix after the colon" }),
        None => (text.as_str(), None),
    };
    let Some(known) = OSV_ECOSYSTEMS.iter().find(|known| known.eq_ignore_ascii_case(base)) else {
        return Err(TextError::Refused {
            field: "ecosystem",
            reason: format!("{base:?} is not an OSV ecosystem; use one of {}", OSV_ECOSYSTEMS.join(", ")),
        });
    };
    Ok(match suffix {
        Some(suffix) => format!("{known}:{suffix}"),
        None => (*known).to_owned(),
    })
}

impl Package {
    /// Checks both parts: an OSV ecosystem (spelt as OSV does) and a name of one line.
    pub fn new(ecosystem_name: &str, name: &str) -> Result<Self, TextError> {
        Ok(Package { ecosystem: ecosystem(ecosystem_name)?, name: one_line("package", name, 200)? })
    }
}

/// The name of a release line (`3.1`, `2.x`, `main`): 1 to 40 ASCII letters,
/// digits and `.`, `_`, `+`, `-`.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct LineName(String);

impl LineName {
    /// The name as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for LineName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for LineName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line:{}", self.0)
    }
}

impl FromStr for LineName {
    type Err = TextError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let ok = (1..=40).contains(&s.len())
            && s.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'+' | b'-'));
        if ok {
            Ok(LineName(s.to_owned()))
        } else {
            Err(TextError::Malformed { field: "name", expected: "1 to 40 letters, digits, '.', '_', '+' or '-'" })
        }
    }
}

/// Where a release line is in its life, as the policies describe it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LineStatus {
    /// Under development; not yet released.
    Feature,
    /// Alphas, betas and release candidates.
    Prerelease,
    /// Released; gets bug fixes and security fixes.
    Bugfix,
    /// Released; gets security fixes only.
    Security,
    /// No longer supported.
    EndOfLife,
}

impl LineStatus {
    /// Every status, in lifecycle order.
    pub const ALL: [LineStatus; 5] =
        [LineStatus::Feature, LineStatus::Prerelease, LineStatus::Bugfix, LineStatus::Security, LineStatus::EndOfLife];

    /// The status's name in requests and storage.
    pub const fn as_str(self) -> &'static str {
        match self {
            LineStatus::Feature => "feature",
            LineStatus::Prerelease => "prerelease",
            LineStatus::Bugfix => "bugfix",
            LineStatus::Security => "security",
            LineStatus::EndOfLife => "end-of-life",
        }
    }
}

impl fmt::Display for LineStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for LineStatus {
    type Err = UnknownName;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        LineStatus::ALL.into_iter().find(|status| status.as_str() == s).ok_or_else(|| {
            UnknownName::new("release line status", s, "feature, prerelease, bugfix, security or end-of-life")
        })
    }
}

impl LineName {
    /// Orders line names as versions: numeric parts by value (`3.9` before
    /// `3.10`), other parts as text; names without numbers last.
    pub fn version_cmp(&self, other: &LineName) -> std::cmp::Ordering {
        fn parts(name: &str) -> Vec<Result<u64, &str>> {
            name.split(['.', '-', '_', '+']).map(|p| p.parse::<u64>().map_err(|_| p)).collect()
        }
        let (a, b) = (parts(self.as_str()), parts(other.as_str()));
        for (x, y) in a.iter().zip(&b) {
            let order = match (x, y) {
                (Ok(x), Ok(y)) => x.cmp(y),
                (Ok(_), Err(_)) => std::cmp::Ordering::Greater,
                (Err(_), Ok(_)) => std::cmp::Ordering::Less,
                (Err(x), Err(y)) => x.cmp(y),
            };
            if order != std::cmp::Ordering::Equal {
                return order;
            }
        }
        a.len().cmp(&b.len())
    }
}

/// Sorts release lines newest first (by version order of their names).
pub fn newest_first(lines: &mut [ReleaseLine]) {
    lines.sort_by(|a, b| b.name.version_cmp(&a.name));
}

/// A release line of a project and its lifecycle status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReleaseLine {
    /// The project it belongs to.
    pub project_id: ProjectId,
    /// Its name, unique within the project.
    pub name: LineName,
    /// Where it is in its life.
    pub status: LineStatus,
    /// When its first release came out, if known.
    pub released_on: Option<time::Date>,
    /// When support ends or ended, if known.
    pub end_of_life_on: Option<time::Date>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ecosystems_are_osv_ones_spelt_as_osv_does() {
        assert_eq!(Package::new("pypi", "flask").unwrap().ecosystem, "PyPI");
        assert_eq!(Package::new("Debian:12", "openssl").unwrap().ecosystem, "Debian:12");
        assert_eq!(Package::new("CRATES.IO", "orbit").unwrap().ecosystem, "crates.io");
        let unknown = Package::new("pip", "flask").unwrap_err().to_string();
        assert!(unknown.contains("\"pip\" is not an OSV ecosystem") && unknown.contains("PyPI"), "{unknown}");
        assert!(Package::new("Debian:", "x").is_err());
        assert!(Package::new("PyPI", "").is_err());
    }

    #[test]
    fn line_names_order_as_versions() {
        let names = |list: &[&str]| list.iter().map(|n| n.parse::<LineName>().unwrap()).collect::<Vec<_>>();
        let mut lines: Vec<ReleaseLine> = names(&["3.9", "3.11", "4.0", "3.10", "main", "3.10.1"])
            .into_iter()
            .map(|name| ReleaseLine {
                project_id: ProjectId::from_uuid(uuid::Uuid::from_u128(1)),
                name,
                status: LineStatus::Bugfix,
                released_on: None,
                end_of_life_on: None,
            })
            .collect();
        newest_first(&mut lines);
        let order: Vec<&str> = lines.iter().map(|l| l.name.as_str()).collect();
        assert_eq!(order, ["4.0", "3.11", "3.10.1", "3.10", "3.9", "main"]);
    }
}
