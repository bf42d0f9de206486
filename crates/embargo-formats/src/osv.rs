//! OSV (schema 1.7, <https://ossf.github.io/osv-schema/>): export of a
//! published advisory revision, and import of OSV files ([`parse`]).
//!
//! One published revision becomes one OSV record. Field notes:
//! `modified` is the revision's publication time and `published` the first
//! publication; CWEs go to `database_specific.cwe_ids` as GitHub's and the
//! PSF's databases do (written only when there are some); the fix strategy
//! goes to `database_specific.fix_strategy` (`kinds`, `text`), read back on import.
//!
//! Fields Embargo does not keep on import (each is reported by name, see
//! [`Imported::dropped`]): `related`, `upstream`, `affected[].package.purl`,
//! `affected[].severity`, `affected[].ecosystem_specific`,
//! `affected[].database_specific`, `ranges[].database_specific`,
//! `database_specific` other than `cwe_ids`, and severities other than the
//! first `CVSS_V3` and the first `CVSS_V4` (so `CVSS_V2` and `Ubuntu`).
//! `schema_version` is derived: exports say [`SCHEMA_VERSION`].
//!
//! OSV 1.7 ids start with a prefix registered with OSV (`PSF-`, `GHSA-`,
//! ...) or with `x_` (schema `$defs.prefix`). An advisory whose prefix is
//! not registered is exported as `x_` + its id ([`osv_id`]); import strips
//! the `x_` again, so a round trip keeps the id.

mod import;

use std::collections::BTreeMap;

use embargo_core::Timestamp;
use embargo_core::advisory::{AdvisoryContent, RangeEvent, RawJson, ScoredSeverity};
use embargo_core::id::AdvisoryId;
use serde::{Deserialize, Serialize};

pub use import::{Imported, MAX_FILE_BYTES, OsvError, parse};

/// The OSV schema version written.
pub const SCHEMA_VERSION: &str = "1.7.0";

/// The id prefixes registered with OSV, as the OSV 1.7 schema lists them
/// (`$defs.prefix`, ossf/osv-schema `validation/schema.json`).
const REGISTERED_PREFIXES: &[&str] = &[
    "ASB-A",
    "PUB-A",
    "ALPINE",
    "ALSA",
    "ALBA",
    "ALEA",
    "AZL",
    "BELL",
    "BIT",
    "CGA",
    "CLEANSTART",
    "CLSA",
    "CURL",
    "CVE",
    "DEBIAN",
    "DHI",
    "DRUPAL",
    "DSA",
    "DLA",
    "ELA",
    "DTSA",
    "ECHO",
    "EEF",
    "FreeBSD",
    "GHSA",
    "GO",
    "GSD",
    "HSEC",
    "JLSEC",
    "KUBE",
    "LBSEC",
    "LSN",
    "MAL",
    "MINI",
    "MGASA",
    "OESA",
    "OSEC",
    "OSV",
    "openSUSE-SU",
    "PHSA",
    "PSF",
    "PYSEC",
    "RHBA",
    "RHEA",
    "RHSA",
    "RLSA",
    "RXSA",
    "RSEC",
    "ROOT",
    "RUSTSEC",
    "SUSE-SU",
    "SUSE-RU",
    "SUSE-FU",
    "SUSE-OU",
    "UBUNTU",
    "USN",
    "V8",
];

/// The OSV id of an advisory: its own id when its prefix is registered with
/// OSV, else `x_` + its id.
pub fn osv_id(id: &AdvisoryId) -> String {
    let text = id.as_str();
    let registered =
        REGISTERED_PREFIXES.iter().any(|prefix| text.strip_prefix(prefix).is_some_and(|rest| rest.starts_with('-')));
    if registered { text.to_owned() } else { format!("x_{text}") }
}

/// The advisory id an OSV id names (`x_` removed); `None` if it names none.
pub fn advisory_id(osv_id: &str) -> Option<AdvisoryId> {
    osv_id.strip_prefix("x_").unwrap_or(osv_id).parse().ok()
}

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

/// A JSON object a source attached (`database_specific`,
/// `ecosystem_specific`), kept as it came.
type Object = serde_json::Map<String, serde_json::Value>;

/// An OSV record: every field of OSV 1.7. Top-level keys the schema does
/// not know land in `other` on import, which refuses them (the schema has
/// `additionalProperties: false`); they are never written.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Record {
    #[serde(default)]
    schema_version: Option<String>,
    id: String,
    #[serde(with = "time::serde::rfc3339")]
    modified: Timestamp,
    #[serde(default, with = "time::serde::rfc3339::option", skip_serializing_if = "Option::is_none")]
    published: Option<Timestamp>,
    #[serde(default, with = "time::serde::rfc3339::option", skip_serializing_if = "Option::is_none")]
    withdrawn: Option<Timestamp>,
    #[serde(default, deserialize_with = "null_as_empty", skip_serializing_if = "Vec::is_empty")]
    aliases: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    related: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    upstream: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    summary: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    details: Option<String>,
    #[serde(default, deserialize_with = "null_as_empty", skip_serializing_if = "Vec::is_empty")]
    severity: Vec<Severity>,
    #[serde(default, deserialize_with = "null_as_empty", skip_serializing_if = "Vec::is_empty")]
    affected: Vec<Affected>,
    #[serde(default, deserialize_with = "null_as_empty", skip_serializing_if = "Vec::is_empty")]
    references: Vec<Reference>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    credits: Vec<Credit>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    database_specific: Option<Object>,
    #[serde(flatten, skip_serializing)]
    other: BTreeMap<String, serde_json::Value>,
}

/// OSV allows `null` for some lists (`aliases`, `affected`, `references`,
/// `severity`); it means the same as absent.
fn null_as_empty<'de, D, T>(deserializer: D) -> Result<Vec<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    Ok(Option::<Vec<T>>::deserialize(deserializer)?.unwrap_or_default())
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Severity {
    #[serde(rename = "type")]
    kind: String,
    score: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Package {
    ecosystem: String,
    name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    purl: Option<String>,
    #[serde(flatten, skip_serializing)]
    other: BTreeMap<String, serde_json::Value>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Affected {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    package: Option<Package>,
    #[serde(default, deserialize_with = "null_as_empty", skip_serializing_if = "Vec::is_empty")]
    severity: Vec<Severity>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    ranges: Vec<Range>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    versions: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    ecosystem_specific: Option<Object>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    database_specific: Option<Object>,
    #[serde(flatten, skip_serializing)]
    other: BTreeMap<String, serde_json::Value>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Range {
    #[serde(rename = "type")]
    kind: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    repo: Option<String>,
    events: Vec<Event>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    database_specific: Option<Object>,
    #[serde(flatten, skip_serializing)]
    other: BTreeMap<String, serde_json::Value>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
enum Event {
    Introduced(String),
    Fixed(String),
    LastAffected(String),
    Limit(String),
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Reference {
    #[serde(rename = "type")]
    kind: String,
    url: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Credit {
    name: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    contact: Vec<String>,
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    kind: Option<String>,
}

/// Kept JSON text back to an object; `None` if it is not one (it always is:
/// only [`Object`]s are kept).
fn object(raw: Option<&RawJson>) -> Option<Object> {
    raw.and_then(|r| serde_json::from_str::<Object>(r.as_str()).ok())
}

fn scored(list: &[ScoredSeverity]) -> Vec<Severity> {
    list.iter().map(|s| Severity { kind: s.kind.clone(), score: s.score.clone() }).collect()
}

impl Record {
    /// The record's id.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// When the record last changed.
    pub fn modified(&self) -> Timestamp {
        self.modified
    }

    /// When the record was withdrawn, if it was.
    pub fn withdrawn(&self) -> Option<Timestamp> {
        self.withdrawn
    }
}

fn event(e: &RangeEvent) -> Event {
    match e {
        RangeEvent::Introduced(v) => Event::Introduced(v.clone()),
        RangeEvent::Fixed(v) => Event::Fixed(v.clone()),
        RangeEvent::LastAffected(v) => Event::LastAffected(v.clone()),
        RangeEvent::Limit(v) => Event::Limit(v.clone()),
    }
}

/// The `database_specific` key that holds the advisory's fix strategy (OSV
/// has no field of its own for remediation).
pub const FIX_STRATEGY: &str = "fix_strategy";

/// The fix strategy as `database_specific.fix_strategy`: `kinds` (`patch`,
/// `dependency-update`, `mitigation`) and the team's `text` when there is one.
fn fix_strategy(fix: &embargo_core::advisory::FixStrategy) -> serde_json::Value {
    let mut value = Object::new();
    value.insert("kinds".into(), fix.kinds.iter().map(|k| serde_json::Value::from(k.as_str())).collect());
    if !fix.text.is_empty() {
        value.insert("text".into(), serde_json::Value::String(fix.text.clone()));
    }
    serde_json::Value::Object(value)
}

/// Builds the OSV record of a published revision.
pub fn record(advisory: Published<'_>) -> Record {
    let c = advisory.content;
    let mut severity = Vec::new();
    if let Some(v3) = &c.severity.cvss_v3 {
        severity.push(Severity { kind: "CVSS_V3".into(), score: v3.vector().to_owned() });
    }
    if let Some(v4) = &c.severity.cvss_v4 {
        severity.push(Severity { kind: "CVSS_V4".into(), score: v4.vector().to_owned() });
    }
    severity.extend(scored(&c.source.other_severity));
    // `cwe_ids` is the editor's list; the source's other keys stay.
    let mut database_specific = object(c.source.database_specific.as_ref()).unwrap_or_default();
    database_specific.remove("cwe_ids");
    database_specific.remove(FIX_STRATEGY);
    if !c.fix.is_empty() {
        database_specific.insert(FIX_STRATEGY.into(), fix_strategy(&c.fix));
    }
    if !c.cwes.is_empty() {
        database_specific.insert(
            "cwe_ids".into(),
            serde_json::Value::Array(c.cwes.iter().map(|w| serde_json::Value::String(w.to_string())).collect()),
        );
    }
    let text = |s: &str| (!s.is_empty()).then(|| s.to_owned());
    Record {
        schema_version: Some(SCHEMA_VERSION.to_owned()),
        id: osv_id(advisory.id),
        modified: advisory.modified,
        published: Some(advisory.published),
        withdrawn: advisory.withdrawn,
        aliases: c.aliases.iter().map(ToString::to_string).collect(),
        related: c.source.related.clone(),
        upstream: c.source.upstream.clone(),
        summary: text(&c.summary),
        details: text(&c.details),
        severity,
        affected: c
            .affected
            .iter()
            .map(|a| Affected {
                package: a.package.as_ref().map(|p| Package {
                    ecosystem: p.ecosystem.clone(),
                    name: p.name.clone(),
                    purl: a.source.purl.clone().or_else(|| crate::purl::of_package(p)),
                    other: BTreeMap::new(),
                }),
                severity: scored(&a.source.severity),
                ranges: a
                    .ranges
                    .iter()
                    .map(|r| Range {
                        kind: r.kind.as_str().to_owned(),
                        repo: r.repo.clone(),
                        events: r.events.iter().map(event).collect(),
                        database_specific: object(r.database_specific.as_ref()),
                        other: BTreeMap::new(),
                    })
                    .collect(),
                versions: a.versions.clone(),
                ecosystem_specific: object(a.source.ecosystem_specific.as_ref()),
                database_specific: object(a.source.database_specific.as_ref()),
                other: BTreeMap::new(),
            })
            .collect(),
        references: c
            .references
            .iter()
            .map(|r| Reference { kind: r.kind.as_str().to_owned(), url: r.url.clone() })
            .collect(),
        credits: c
            .credits
            .iter()
            .map(|cr| Credit {
                name: cr.name.clone(),
                contact: cr.contact.clone(),
                kind: Some(cr.kind.as_str().to_owned()),
            })
            .collect(),
        database_specific: (!database_specific.is_empty()).then_some(database_specific),
        other: BTreeMap::new(),
    }
}

/// The OSV JSON text of a published revision.
pub fn to_json(advisory: Published<'_>) -> Result<String, serde_json::Error> {
    serde_json::to_string_pretty(&record(advisory))
}

#[cfg(test)]
mod tests;
