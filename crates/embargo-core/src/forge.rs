//! Publish when the fix merges (issue 11): the forges whose webhooks Embargo
//! hears, and the report and advisory ids a pull or merge request (or a
//! commit message) names, which link it to its reports.

use std::fmt;
use std::str::FromStr;

use crate::id::{AdvisoryId, AdvisoryPrefix, ReportId};
use crate::text::UnknownName;

/// A forge that signs its webhook deliveries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Forge {
    /// GitHub: `X-Hub-Signature-256`, `sha256=` and the hex HMAC-SHA256 of the body.
    GitHub,
    /// GitLab: the secret itself in `X-Gitlab-Token`.
    GitLab,
    /// Forgejo: `X-Forgejo-Signature`, the hex HMAC-SHA256 of the body.
    Forgejo,
    /// Gitea: `X-Gitea-Signature`, the hex HMAC-SHA256 of the body.
    Gitea,
}

impl Forge {
    /// Every forge, in path order.
    pub const ALL: [Forge; 4] = [Forge::GitHub, Forge::GitLab, Forge::Forgejo, Forge::Gitea];

    /// Its name in paths and storage.
    pub const fn as_str(self) -> &'static str {
        match self {
            Forge::GitHub => "github",
            Forge::GitLab => "gitlab",
            Forge::Forgejo => "forgejo",
            Forge::Gitea => "gitea",
        }
    }

    /// Its name for people.
    pub const fn label(self) -> &'static str {
        match self {
            Forge::GitHub => "GitHub",
            Forge::GitLab => "GitLab",
            Forge::Forgejo => "Forgejo",
            Forge::Gitea => "Gitea",
        }
    }
}

impl fmt::Display for Forge {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Forge {
    type Err = UnknownName;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Forge::ALL
            .into_iter()
            .find(|f| f.as_str() == s)
            .ok_or_else(|| UnknownName::new("forge", s, "github, gitlab, forgejo or gitea"))
    }
}

/// The ids a text names: report ids (UUIDs) and advisory ids an organisation
/// allocates (`PREFIX-YEAR-N`, such as `ACME-2026-1`), each once, in order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NamedIds {
    /// Report ids.
    pub reports: Vec<ReportId>,
    /// Advisory ids.
    pub advisories: Vec<AdvisoryId>,
}

/// The most ids taken from one text: a request naming more links none beyond.
pub const MAX_NAMED: usize = 20;

/// Finds the report and advisory ids `texts` name.
pub fn named_ids(texts: &[&str]) -> NamedIds {
    let mut named = NamedIds::default();
    for text in texts {
        for word in text.split(|c: char| !(c.is_ascii_alphanumeric() || c == '-')) {
            if named.reports.len() + named.advisories.len() >= MAX_NAMED {
                return named;
            }
            if let Ok(report) = word.parse::<ReportId>() {
                if word.len() == 36 && !named.reports.contains(&report) {
                    named.reports.push(report);
                }
            } else if let Some(advisory) = allocated_advisory(word)
                && !named.advisories.contains(&advisory)
            {
                named.advisories.push(advisory);
            }
        }
    }
    named
}

/// `word` as an allocated advisory id: a valid prefix, a four-digit year, a number.
fn allocated_advisory(word: &str) -> Option<AdvisoryId> {
    let mut parts = word.split('-');
    let (prefix, year, number) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() {
        return None;
    }
    let prefix: AdvisoryPrefix = prefix.parse().ok()?;
    let year: i32 = year.parse().ok().filter(|_| year.len() == 4 && year.bytes().all(|b| b.is_ascii_digit()))?;
    let number: u64 =
        number.parse().ok().filter(|_| !number.is_empty() && number.bytes().all(|b| b.is_ascii_digit()))?;
    Some(AdvisoryId::allocated(&prefix, year, number))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(text: &str, reports: usize, advisories: &[&str]) {
        let named = named_ids(&[text]);
        assert_eq!(named.reports.len(), reports, "{text}");
        let found: Vec<&str> = named.advisories.iter().map(AdvisoryId::as_str).collect();
        assert_eq!(found, advisories, "{text}");
    }

    #[test]
    fn finds_advisory_and_report_ids() {
        check("Fix ACME-2026-1: bound the header parser", 0, &["ACME-2026-1"]);
        check("fixes ACME-2026-1 and ACME-2026-1, see PALLETS-2025-12.", 0, &["ACME-2026-1", "PALLETS-2025-12"]);
        check("report 0192c6b2-7a4e-7d1e-9f3a-1b2c3d4e5f60 fixed", 1, &[]);
        check("(0192C6B2-7A4E-7D1E-9F3A-1B2C3D4E5F60)", 1, &[]);
        check("acme-2026-1 A-2026-1 ACME-26-1 ACME-2026- ACME-2026-1-2 CVE-2026-12345x", 0, &[]);
        check("Update the README with new information.", 0, &[]);
        check("0192c6b27a4e7d1e9f3a1b2c3d4e5f60", 0, &[]);
    }

    #[test]
    fn forges_parse_by_name() {
        for forge in Forge::ALL {
            assert_eq!(forge.as_str().parse::<Forge>().unwrap(), forge);
        }
        assert!("bitbucket".parse::<Forge>().is_err());
    }
}
