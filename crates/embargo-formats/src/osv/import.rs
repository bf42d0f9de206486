//! OSV import: one OSV JSON file becomes an advisory's content, its id and
//! its times, or an error naming the field that is wrong. Nothing here is
//! trusted: sizes are bounded and every value goes through the same domain
//! checks as the editor's.

use std::collections::BTreeMap;

use embargo_core::Timestamp;
use embargo_core::advisory::{
    AdvisoryContent, Affected, AffectedSource, Credit, CreditKind, FixKind, FixStrategy, Informational, Range,
    RangeEvent, RangeKind, RawJson, Reference, ReferenceKind, ScoredSeverity, SourceFields,
};
use embargo_core::id::{AdvisoryId, AliasId, CweId};
use embargo_core::project::Package;
use embargo_core::severity::{Cvss, CvssVersion, Severity};

use super::{Event, Object, Record};

/// The largest OSV file accepted, in bytes.
pub const MAX_FILE_BYTES: usize = 1024 * 1024;

/// Why an OSV file was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OsvError {
    /// The file is larger than [`MAX_FILE_BYTES`].
    #[error("the file is {bytes} bytes; at most {max} are accepted")]
    TooLarge {
        /// Its size.
        bytes: usize,
        /// The limit.
        max: usize,
    },
    /// Not JSON, or JSON not in the OSV shape.
    #[error("not an OSV record (line {line}, column {column}): {reason}")]
    Shape {
        /// Where the parser stopped.
        line: usize,
        /// Where the parser stopped.
        column: usize,
        /// What the parser expected, naming the field.
        reason: String,
    },
    /// A field has a value Embargo refuses.
    #[error("{field}: {reason}")]
    Field {
        /// The field's path in the record (`affected[0].ranges[1].type`).
        field: String,
        /// What is wrong with it.
        reason: String,
    },
}

fn refused(field: impl Into<String>, reason: impl std::fmt::Display) -> OsvError {
    OsvError::Field { field: field.into(), reason: reason.to_string() }
}

/// An imported OSV record.
#[derive(Debug, Clone, PartialEq)]
pub struct Imported {
    /// The record's id, kept.
    pub id: AdvisoryId,
    /// What it says.
    pub content: AdvisoryContent,
    /// `published` (or `modified` when absent).
    pub published: Timestamp,
    /// `modified`.
    pub modified: Timestamp,
    /// `withdrawn`, if given.
    pub withdrawn: Option<Timestamp>,
    /// The paths of fields present in the file that Embargo does not keep.
    pub dropped: Vec<String>,
}

fn note_other(dropped: &mut Vec<String>, path: &str, other: &BTreeMap<String, serde_json::Value>) {
    for key in other.keys() {
        dropped.push(if path.is_empty() { key.clone() } else { format!("{path}.{key}") });
    }
}

fn range(path: &str, r: super::Range, dropped: &mut Vec<String>) -> Result<Range, OsvError> {
    note_other(dropped, path, &r.other);
    let kind: RangeKind = r.kind.parse().map_err(|e| refused(format!("{path}.type"), e))?;
    let events: Vec<RangeEvent> = r
        .events
        .into_iter()
        .map(|e| match e {
            Event::Introduced(v) => RangeEvent::Introduced(v),
            Event::Fixed(v) => RangeEvent::Fixed(v),
            Event::LastAffected(v) => RangeEvent::LastAffected(v),
            Event::Limit(v) => RangeEvent::Limit(v),
        })
        .collect();
    if !events.iter().any(|e| matches!(e, RangeEvent::Introduced(_))) {
        return Err(refused(format!("{path}.events"), "a range needs an introduced event"));
    }
    if kind == RangeKind::Git && r.repo.is_none() {
        return Err(refused(format!("{path}.repo"), "a GIT range needs repo"));
    }
    // OSV 1.7 schema: "GIT ranges must use full-length commit hashes", and
    // a range with `last_affected` has no `fixed`.
    if kind == RangeKind::Git {
        for (k, e) in events.iter().enumerate() {
            let (name, value) = event_parts(e);
            if !is_full_commit(value) {
                return Err(refused(
                    format!("{path}.events[{k}].{name}"),
                    format!("{:?} is not a full commit hash (40 or 64 hex digits) or \"0\"", cut(value)),
                ));
            }
        }
    }
    if events.iter().any(|e| matches!(e, RangeEvent::LastAffected(_)))
        && events.iter().any(|e| matches!(e, RangeEvent::Fixed(_)))
    {
        return Err(refused(format!("{path}.events"), "a range has last_affected or fixed events, not both"));
    }
    let repo = r
        .repo
        .map(|url| embargo_core::advisory::check_url("repo", &url).map_err(|e| refused(format!("{path}.repo"), e)))
        .transpose()?;
    Ok(Range { kind, repo, events, database_specific: r.database_specific.map(raw) })
}

fn event_parts(e: &RangeEvent) -> (&'static str, &str) {
    match e {
        RangeEvent::Introduced(v) => ("introduced", v),
        RangeEvent::Fixed(v) => ("fixed", v),
        RangeEvent::LastAffected(v) => ("last_affected", v),
        RangeEvent::Limit(v) => ("limit", v),
    }
}

/// `^(0|[a-f0-9]{40}|[a-f0-9]{64})$`, the schema's pattern for GIT events.
fn is_full_commit(value: &str) -> bool {
    value == "0"
        || (matches!(value.len(), 40 | 64) && value.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)))
}

fn cut(value: &str) -> String {
    value.chars().take(80).collect()
}

/// A kept JSON object as compact text.
fn raw(object: Object) -> RawJson {
    RawJson::from_checked(serde_json::Value::Object(object).to_string())
}

/// Checks one severity entry against the schema (`$defs.severity`).
fn scored(path: &str, s: super::Severity) -> Result<ScoredSeverity, OsvError> {
    match s.kind.as_str() {
        "CVSS_V3" | "CVSS_V4" => {
            s.score.parse::<Cvss>().map_err(|e| refused(format!("{path}.score"), e))?;
        }
        "CVSS_V2" => {
            if s.score.is_empty() || !s.score.split('/').all(|m| m.split_once(':').is_some()) {
                return Err(refused(format!("{path}.score"), format!("{:?} is not a CVSS 2 vector", cut(&s.score))));
            }
        }
        "Ubuntu" => {
            if !["negligible", "low", "medium", "high", "critical"].contains(&s.score.as_str()) {
                return Err(refused(format!("{path}.score"), format!("{:?} is not an Ubuntu priority", cut(&s.score))));
            }
        }
        other => {
            return Err(refused(
                format!("{path}.type"),
                format!("{:?} is not CVSS_V2, CVSS_V3, CVSS_V4 or Ubuntu", cut(other)),
            ));
        }
    }
    Ok(ScoredSeverity { kind: s.kind, score: s.score })
}

/// The record's severity: the first CVSS 3.x and 4.0 vectors are the
/// advisory's; every other entry is kept as it came.
fn severity(record_severity: Vec<super::Severity>) -> Result<(Severity, Vec<ScoredSeverity>), OsvError> {
    let mut result = Severity::default();
    let mut others = Vec::new();
    for (i, s) in record_severity.into_iter().enumerate() {
        let path = format!("severity[{i}]");
        let wanted = match s.kind.as_str() {
            "CVSS_V3" if result.cvss_v3.is_none() => CvssVersion::V3,
            "CVSS_V4" if result.cvss_v4.is_none() => CvssVersion::V4,
            _ => {
                others.push(scored(&path, s)?);
                continue;
            }
        };
        let cvss: Cvss = s.score.parse().map_err(|e| refused(format!("{path}.score"), e))?;
        if cvss.version() != wanted {
            return Err(refused(format!("{path}.score"), format!("the vector does not match the type {}", s.kind)));
        }
        match wanted {
            CvssVersion::V3 => result.cvss_v3 = Some(cvss),
            CvssVersion::V4 => result.cvss_v4 = Some(cvss),
        }
    }
    Ok((result, others))
}

/// `database_specific.fix_strategy`, as the export writes it.
fn fix_strategy(value: &serde_json::Value) -> Result<FixStrategy, OsvError> {
    let field = "database_specific.fix_strategy";
    let object = value.as_object().ok_or_else(|| refused(field, "expected an object with kinds and text"))?;
    let kinds = match object.get("kinds") {
        None => Vec::new(),
        Some(serde_json::Value::Array(kinds)) => kinds
            .iter()
            .enumerate()
            .map(|(i, k)| {
                let at = || format!("{field}.kinds[{i}]");
                k.as_str()
                    .ok_or_else(|| refused(at(), "expected a string"))?
                    .parse::<FixKind>()
                    .map_err(|e| refused(at(), e))
            })
            .collect::<Result<Vec<_>, OsvError>>()?,
        Some(_) => return Err(refused(format!("{field}.kinds"), "expected a list")),
    };
    let text = match object.get("text") {
        None => "",
        Some(t) => t.as_str().ok_or_else(|| refused(format!("{field}.text"), "expected a string"))?,
    };
    Ok(FixStrategy::new(kinds, text))
}

/// RustSec's `informational` (in `affected[].database_specific`, as its OSV
/// export writes it; `null` for a vulnerability).
fn informational(path: &str, database_specific: Option<&Object>) -> Result<Option<Informational>, OsvError> {
    match database_specific.and_then(|d| d.get("informational")) {
        None | Some(serde_json::Value::Null) => Ok(None),
        Some(serde_json::Value::String(kind)) => kind
            .parse::<Informational>()
            .map(Some)
            .map_err(|e| refused(format!("{path}.database_specific.informational"), e)),
        Some(_) => Err(refused(format!("{path}.database_specific.informational"), "expected a string")),
    }
}

/// Parses one OSV JSON file.
pub fn parse(text: &str) -> Result<Imported, OsvError> {
    if text.len() > MAX_FILE_BYTES {
        return Err(OsvError::TooLarge { bytes: text.len(), max: MAX_FILE_BYTES });
    }
    let record: Record = serde_json::from_str(text).map_err(|e| OsvError::Shape {
        line: e.line(),
        column: e.column(),
        reason: e.to_string().split(" at line ").next().unwrap_or_default().to_owned(),
    })?;
    from_record(record)
}

fn from_record(record: Record) -> Result<Imported, OsvError> {
    let mut dropped = Vec::new();
    // The schema allows no other top-level field.
    if let Some(key) = record.other.keys().next() {
        return Err(refused(key.chars().take(80).collect::<String>(), "not an OSV 1.7 field"));
    }
    if !record.severity.is_empty() && record.affected.iter().any(|a| !a.severity.is_empty()) {
        return Err(refused("severity", "a record has severity at the top or in affected[], not both"));
    }
    let mut notice = None;
    let id: AdvisoryId = super::advisory_id(&record.id).ok_or_else(|| {
        refused("id", format!("{:?} is not an OSV id", record.id.chars().take(80).collect::<String>()))
    })?;
    let aliases = record
        .aliases
        .iter()
        .enumerate()
        .map(|(i, a)| a.parse::<AliasId>().map_err(|e| refused(format!("aliases[{i}]"), e)))
        .collect::<Result<Vec<_>, _>>()?;
    let affected = record
        .affected
        .into_iter()
        .enumerate()
        .map(|(i, a)| {
            let path = format!("affected[{i}]");
            note_other(&mut dropped, &path, &a.other);
            let mut purl = None;
            let package = match a.package {
                Some(p) => {
                    note_other(&mut dropped, &format!("{path}.package"), &p.other);
                    let package =
                        Package::new(&p.ecosystem, &p.name).map_err(|e| refused(format!("{path}.package"), e))?;
                    if let Some(text) = p.purl {
                        crate::purl::check(&text).map_err(|e| refused(format!("{path}.package.purl"), e))?;
                        // The purl an export derives anyway is not kept.
                        if crate::purl::of_package(&package).as_deref() != Some(text.as_str()) {
                            purl = Some(text);
                        }
                    }
                    Some(package)
                }
                None => None,
            };
            if let Some(kind) = informational(&path, a.database_specific.as_ref())? {
                notice = Some(kind);
            }
            let severity = a
                .severity
                .into_iter()
                .enumerate()
                .map(|(j, s)| scored(&format!("{path}.severity[{j}]"), s))
                .collect::<Result<Vec<_>, _>>()?;
            let source = AffectedSource {
                purl,
                severity,
                ecosystem_specific: a.ecosystem_specific.map(raw),
                database_specific: a.database_specific.map(raw),
            };
            let ranges = a
                .ranges
                .into_iter()
                .enumerate()
                .map(|(j, r)| range(&format!("{path}.ranges[{j}]"), r, &mut dropped))
                .collect::<Result<Vec<_>, _>>()?;
            if package.is_none() && !ranges.iter().any(|r| r.kind == RangeKind::Git) {
                return Err(refused(path, "an entry without a package needs a GIT range"));
            }
            Ok(Affected { package, ranges, versions: a.versions, source })
        })
        .collect::<Result<Vec<_>, OsvError>>()?;
    let references = record
        .references
        .into_iter()
        .enumerate()
        .map(|(i, r)| {
            Ok(Reference {
                kind: r.kind.parse::<ReferenceKind>().map_err(|e| refused(format!("references[{i}].type"), e))?,
                url: r.url,
            })
        })
        .collect::<Result<Vec<_>, OsvError>>()?;
    let credits = record
        .credits
        .into_iter()
        .enumerate()
        .map(|(i, c)| {
            let kind = match c.kind {
                Some(kind) => kind.parse::<CreditKind>().map_err(|e| refused(format!("credits[{i}].type"), e))?,
                None => CreditKind::Other,
            };
            Ok(Credit { name: c.name, kind, contact: c.contact })
        })
        .collect::<Result<Vec<_>, OsvError>>()?;
    let mut cwes = Vec::new();
    if let Some(database) = &record.database_specific {
        match database.get("cwe_ids") {
            None | Some(serde_json::Value::Null) => {}
            Some(serde_json::Value::Array(ids)) => {
                for (i, cwe) in ids.iter().enumerate() {
                    let field = || format!("database_specific.cwe_ids[{i}]");
                    let text = cwe.as_str().ok_or_else(|| refused(field(), "expected a string"))?;
                    cwes.push(text.parse::<CweId>().map_err(|e| refused(field(), e))?);
                }
            }
            Some(_) => return Err(refused("database_specific.cwe_ids", "expected a list")),
        }
    }
    let fix = match record.database_specific.as_ref().and_then(|d| d.get(super::FIX_STRATEGY)) {
        None | Some(serde_json::Value::Null) => FixStrategy::default(),
        Some(value) => fix_strategy(value)?,
    };
    let (severity, other_severity) = severity(record.severity)?;
    let source = SourceFields {
        related: record.related,
        upstream: record.upstream,
        // `cwe_ids` is the content's CWEs; the rest is kept as it came.
        database_specific: record
            .database_specific
            .map(|mut d| {
                d.remove("cwe_ids");
                d.remove(super::FIX_STRATEGY);
                d
            })
            .filter(|d| !d.is_empty())
            .map(raw),
        other_severity,
        informational: notice,
    };
    let content = AdvisoryContent {
        summary: record.summary.unwrap_or_default(),
        details: record.details.unwrap_or_default(),
        aliases,
        affected,
        severity,
        cwes,
        references,
        credits,
        fix,
        source,
    };
    content.check().map_err(|errors| {
        let field = errors.0.first().map_or("content", |e| e.field());
        refused(field, errors)
    })?;
    Ok(Imported {
        id,
        content,
        published: record.published.unwrap_or(record.modified),
        modified: record.modified,
        withdrawn: record.withdrawn,
        dropped,
    })
}
