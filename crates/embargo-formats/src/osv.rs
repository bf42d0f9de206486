//! OSV export (OSV schema 1.7, <https://ossf.github.io/osv-schema/>).
//!
//! One published advisory revision becomes one OSV record. Field notes:
//! `modified` is the revision's publication time; `published` the first
//! publication; CWEs go to `database_specific.cwe_ids` as GitHub's database does.

use embargo_core::Timestamp;
use embargo_core::advisory::{AdvisoryContent, RangeEvent};
use embargo_core::id::AdvisoryId;
use serde::Serialize;

/// The OSV schema version written.
pub const SCHEMA_VERSION: &str = "1.7.0";

/// What an OSV record is made from.
#[derive(Debug, Clone, Copy)]
pub struct Published<'a> {
    /// The advisory's id.
    pub id: &'a AdvisoryId,
    /// The published content.
    pub content: &'a AdvisoryContent,
    /// First publication.
    pub published: Timestamp,
    /// This revision's publication.
    pub modified: Timestamp,
    /// When withdrawn, if it was.
    pub withdrawn: Option<Timestamp>,
}

/// An OSV record (the fields Embargo writes).
#[derive(Debug, Serialize)]
pub struct Record {
    schema_version: &'static str,
    id: String,
    #[serde(with = "time::serde::rfc3339")]
    modified: Timestamp,
    #[serde(with = "time::serde::rfc3339")]
    published: Timestamp,
    #[serde(with = "time::serde::rfc3339::option", skip_serializing_if = "Option::is_none")]
    withdrawn: Option<Timestamp>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    aliases: Vec<String>,
    summary: String,
    details: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    severity: Vec<Severity>,
    affected: Vec<Affected>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    references: Vec<Reference>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    credits: Vec<Credit>,
    #[serde(skip_serializing_if = "Option::is_none")]
    database_specific: Option<DatabaseSpecific>,
}

#[derive(Debug, Serialize)]
struct Severity {
    #[serde(rename = "type")]
    kind: &'static str,
    score: String,
}

#[derive(Debug, Serialize)]
struct Package {
    ecosystem: String,
    name: String,
}

#[derive(Debug, Serialize)]
struct Affected {
    package: Package,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    ranges: Vec<Range>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    versions: Vec<String>,
}

#[derive(Debug, Serialize)]
struct Range {
    #[serde(rename = "type")]
    kind: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    repo: Option<String>,
    events: Vec<Event>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "snake_case")]
enum Event {
    Introduced(String),
    Fixed(String),
    LastAffected(String),
    Limit(String),
}

#[derive(Debug, Serialize)]
struct Reference {
    #[serde(rename = "type")]
    kind: &'static str,
    url: String,
}

#[derive(Debug, Serialize)]
struct Credit {
    name: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    contact: Vec<String>,
    #[serde(rename = "type")]
    kind: &'static str,
}

#[derive(Debug, Serialize)]
struct DatabaseSpecific {
    cwe_ids: Vec<String>,
}

/// Builds the OSV record of a published revision.
pub fn record(advisory: Published<'_>) -> Record {
    let c = advisory.content;
    let mut severity = Vec::new();
    if let Some(v3) = &c.severity.cvss_v3 {
        severity.push(Severity { kind: "CVSS_V3", score: v3.vector().to_owned() });
    }
    if let Some(v4) = &c.severity.cvss_v4 {
        severity.push(Severity { kind: "CVSS_V4", score: v4.vector().to_owned() });
    }
    Record {
        schema_version: SCHEMA_VERSION,
        id: advisory.id.to_string(),
        modified: advisory.modified,
        published: advisory.published,
        withdrawn: advisory.withdrawn,
        aliases: c.aliases.iter().map(ToString::to_string).collect(),
        summary: c.summary.clone(),
        details: c.details.clone(),
        severity,
        affected: c
            .affected
            .iter()
            .map(|a| Affected {
                package: Package { ecosystem: a.package.ecosystem.clone(), name: a.package.name.clone() },
                ranges: a
                    .ranges
                    .iter()
                    .map(|r| Range {
                        kind: r.kind.as_str(),
                        repo: r.repo.clone(),
                        events: r
                            .events
                            .iter()
                            .map(|e| match e {
                                RangeEvent::Introduced(v) => Event::Introduced(v.clone()),
                                RangeEvent::Fixed(v) => Event::Fixed(v.clone()),
                                RangeEvent::LastAffected(v) => Event::LastAffected(v.clone()),
                                RangeEvent::Limit(v) => Event::Limit(v.clone()),
                            })
                            .collect(),
                    })
                    .collect(),
                versions: a.versions.clone(),
            })
            .collect(),
        references: c.references.iter().map(|r| Reference { kind: r.kind.as_str(), url: r.url.clone() }).collect(),
        credits: c
            .credits
            .iter()
            .map(|cr| Credit { name: cr.name.clone(), contact: cr.contact.clone(), kind: cr.kind.as_str() })
            .collect(),
        database_specific: (!c.cwes.is_empty())
            .then(|| DatabaseSpecific { cwe_ids: c.cwes.iter().map(ToString::to_string).collect() }),
    }
}

/// The OSV JSON text of a published revision.
pub fn to_json(advisory: Published<'_>) -> Result<String, serde_json::Error> {
    serde_json::to_string_pretty(&record(advisory))
}

#[cfg(test)]
mod tests {
    use embargo_core::advisory::{
        Affected as DomainAffected, Credit as DomainCredit, CreditKind, Range as DomainRange, RangeKind,
    };
    use embargo_core::project::Package as DomainPackage;
    use embargo_core::severity::Severity as DomainSeverity;
    use serde_json::json;
    use time::macros::datetime;

    use super::*;

    #[test]
    fn a_published_revision_becomes_an_osv_record() {
        let id: AdvisoryId = "PALLETS-2026-1".parse().unwrap();
        let content = AdvisoryContent {
            summary: "Session cookie accepted after logout".into(),
            details: "Upgrade to 3.1.1.".into(),
            aliases: vec!["CVE-2026-12345".parse().unwrap()],
            affected: vec![DomainAffected {
                package: DomainPackage::new("PyPI", "flask").unwrap(),
                ranges: vec![DomainRange {
                    kind: RangeKind::Ecosystem,
                    repo: None,
                    events: vec![RangeEvent::Introduced("0".into()), RangeEvent::Fixed("3.1.1".into())],
                }],
                versions: vec![],
            }],
            severity: DomainSeverity::parse(Some("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:N"), None).unwrap(),
            cwes: vec!["CWE-613".parse().unwrap()],
            references: vec![],
            credits: vec![DomainCredit { name: "Ada".into(), kind: CreditKind::Reporter, contact: vec![] }],
        };
        let published = Published {
            id: &id,
            content: &content,
            published: datetime!(2026-05-04 9:00 UTC),
            modified: datetime!(2026-05-05 10:30 UTC),
            withdrawn: None,
        };
        let value: serde_json::Value = serde_json::from_str(&to_json(published).unwrap()).unwrap();
        assert_eq!(
            value,
            json!({
                "schema_version": "1.7.0",
                "id": "PALLETS-2026-1",
                "modified": "2026-05-05T10:30:00Z",
                "published": "2026-05-04T09:00:00Z",
                "aliases": ["CVE-2026-12345"],
                "summary": "Session cookie accepted after logout",
                "details": "Upgrade to 3.1.1.",
                "severity": [{"type": "CVSS_V3", "score": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:N"}],
                "affected": [{
                    "package": {"ecosystem": "PyPI", "name": "flask"},
                    "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "3.1.1"}]}]
                }],
                "credits": [{"name": "Ada", "type": "REPORTER"}],
                "database_specific": {"cwe_ids": ["CWE-613"]}
            })
        );
    }
}
