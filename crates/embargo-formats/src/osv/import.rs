//! OSV import: one OSV JSON file becomes an advisory's content, its id and
//! its times, or an error naming the field that is wrong. Nothing here is
//! trusted: sizes are bounded and every value goes through the same domain
//! checks as the editor's.

use std::collections::BTreeMap;

use embargo_core::Timestamp;
use embargo_core::advisory::{
    AdvisoryContent, Affected, Credit, CreditKind, Range, RangeEvent, RangeKind, Reference, ReferenceKind,
};
use embargo_core::id::{AdvisoryId, AliasId, CweId};
use embargo_core::project::Package;
use embargo_core::severity::{Cvss, CvssVersion, Severity};

use super::{Event, Record};

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
    let repo = r
        .repo
        .map(|url| embargo_core::advisory::check_url("repo", &url).map_err(|e| refused(format!("{path}.repo"), e)))
        .transpose()?;
    Ok(Range { kind, repo, events })
}

fn severity(record_severity: Vec<super::Severity>, dropped: &mut Vec<String>) -> Result<Severity, OsvError> {
    let mut result = Severity::default();
    for (i, s) in record_severity.into_iter().enumerate() {
        let path = format!("severity[{i}]");
        let wanted = match s.kind.as_str() {
            "CVSS_V3" if result.cvss_v3.is_none() => CvssVersion::V3,
            "CVSS_V4" if result.cvss_v4.is_none() => CvssVersion::V4,
            _ => {
                dropped.push(format!("{path} ({})", s.kind));
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
    Ok(result)
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
    note_other(&mut dropped, "", &record.other);
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
            let package = match a.package {
                Some(p) => {
                    note_other(&mut dropped, &format!("{path}.package"), &p.other);
                    Some(Package::new(&p.ecosystem, &p.name).map_err(|e| refused(format!("{path}.package"), e))?)
                }
                None => None,
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
            Ok(Affected { package, ranges, versions: a.versions })
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
    if let Some(database) = record.database_specific {
        note_other(&mut dropped, "database_specific", &database.other);
        for (i, cwe) in database.cwe_ids.iter().enumerate() {
            cwes.push(cwe.parse::<CweId>().map_err(|e| refused(format!("database_specific.cwe_ids[{i}]"), e))?);
        }
    }
    let content = AdvisoryContent {
        summary: record.summary.unwrap_or_default(),
        details: record.details.unwrap_or_default(),
        aliases,
        affected,
        severity: severity(record.severity, &mut dropped)?,
        cwes,
        references,
        credits,
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
