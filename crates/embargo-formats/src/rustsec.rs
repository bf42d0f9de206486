//! RustSec advisories (`crates/<crate>/RUSTSEC-*.md` in rustsec/advisory-db:
//! a TOML front matter in a fenced block, then a `# title` and Markdown) as
//! OSV 1.7 records, converted as the RustSec project's own OSV export does
//! (the `rustsec` crate's `osv` module): one `affected[]` entry for the
//! crate with `purl` `pkg:cargo/NAME`, a `SEMVER` range that is the
//! complement of `patched` and `unaffected` (an exclusive bound becomes the
//! next SemVer version, `1.2.3` → `1.2.4-0`; no bound below is `0.0.0-0`),
//! `ecosystem_specific.affects` (arch, os, function paths),
//! `database_specific` with `categories`, `cvss` and `informational`
//! (`null` for a vulnerability), and the record's `database_specific.license`.
//! References: crates.io page, RustSec page, `url`, then `references`, each
//! typed by RustSec's guess. Times: `published` (and `withdrawn`) is the
//! date at 12:00 UTC; the export's `modified` is the file's last git commit,
//! which a file alone does not carry, so it is the date too.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::{Value, json};

/// Why a RustSec file was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RustsecError {
    /// No fenced TOML block at the start.
    #[error("no ```toml front matter")]
    NoFrontMatter,
    /// The TOML is not a RustSec advisory.
    #[error("front matter: {0}")]
    Toml(String),
    /// No `# title` line after the front matter.
    #[error("no `# title` after the front matter")]
    NoTitle,
    /// A version requirement RustSec's converter refuses too.
    #[error("versions.{field}: {reason}")]
    Versions {
        /// `patched` or `unaffected`.
        field: &'static str,
        /// What is wrong.
        reason: String,
    },
}

#[derive(Deserialize)]
struct File {
    advisory: Metadata,
    #[serde(default)]
    versions: Versions,
    #[serde(default)]
    affected: Option<AffectedTable>,
}

#[derive(Deserialize)]
struct Metadata {
    id: String,
    package: String,
    date: String,
    #[serde(default)]
    url: Option<String>,
    #[serde(default)]
    categories: Vec<String>,
    #[serde(default)]
    aliases: Vec<String>,
    #[serde(default)]
    related: Vec<String>,
    #[serde(default)]
    cvss: Option<String>,
    #[serde(default)]
    informational: Option<String>,
    #[serde(default)]
    withdrawn: Option<String>,
    #[serde(default)]
    references: Vec<String>,
    #[serde(default)]
    license: Option<String>,
}

#[derive(Deserialize, Default)]
struct Versions {
    #[serde(default)]
    patched: Vec<String>,
    #[serde(default)]
    unaffected: Vec<String>,
}

#[derive(Deserialize, Default)]
struct AffectedTable {
    #[serde(default)]
    arch: Vec<String>,
    #[serde(default)]
    os: Vec<String>,
    #[serde(default)]
    functions: BTreeMap<String, Vec<String>>,
}

/// Converts one RustSec advisory file to OSV JSON (a `serde_json::Value`).
pub fn to_osv(text: &str) -> Result<Value, RustsecError> {
    let rest = text.trim_start().strip_prefix("```toml").ok_or(RustsecError::NoFrontMatter)?;
    let (front, body) = rest.split_once("\n```").ok_or(RustsecError::NoFrontMatter)?;
    let file: File = toml::from_str(front).map_err(|e| RustsecError::Toml(e.message().to_owned()))?;
    let body = body.trim_start_matches(|c| c != '\n').trim_start();
    let heading = body.strip_prefix("# ").ok_or(RustsecError::NoTitle)?;
    let (title, details) = heading.split_once('\n').unwrap_or((heading, ""));
    let m = file.advisory;
    let at_noon = |date: &str| format!("{date}T12:00:00Z");
    let ranges = events(&file.versions)?;
    let affected = file.affected.unwrap_or_default();
    let mut urls = vec![
        format!("https://crates.io/crates/{}", m.package),
        format!("https://rustsec.org/advisories/{}.html", m.id),
    ];
    urls.extend(m.url.clone());
    urls.extend(m.references.iter().cloned());
    let severity: Vec<Value> = m
        .cvss
        .iter()
        .map(|v| json!({"type": if v.starts_with("CVSS:4") { "CVSS_V4" } else { "CVSS_V3" }, "score": v}))
        .collect();
    let mut record = json!({
        "schema_version": crate::osv::SCHEMA_VERSION,
        "id": m.id,
        "modified": at_noon(&m.date),
        "published": at_noon(&m.date),
        "aliases": m.aliases,
        "related": m.related,
        "summary": title.trim(),
        "details": details.trim(),
        "severity": severity,
        "affected": [{
            "package": {"ecosystem": "crates.io", "name": m.package, "purl": format!("pkg:cargo/{}", m.package)},
            "ranges": [{"type": "SEMVER", "events": ranges}],
            "versions": [],
            "ecosystem_specific": {
                "affects": {"arch": affected.arch, "os": affected.os, "functions": affected.functions.keys().collect::<Vec<_>>()},
                "affected_functions": null,
            },
            "database_specific": {"categories": m.categories, "cvss": m.cvss, "informational": m.informational},
        }],
        "references": urls.iter().map(|u| json!({"type": guess_kind(u), "url": u})).collect::<Vec<_>>(),
        "database_specific": {"license": m.license.as_deref().unwrap_or("CC0-1.0")},
    });
    if let (Some(withdrawn), Some(map)) = (m.withdrawn, record.as_object_mut()) {
        map.insert("withdrawn".into(), Value::String(at_noon(&withdrawn)));
    }
    Ok(record)
}

/// RustSec's reference type guess (`guess_url_kind`).
fn guess_kind(url: &str) -> &'static str {
    if (url.contains("://github.com/") || url.contains("://gitlab.")) && url.contains("/issues/") {
        "REPORT"
    } else if url.contains("/advisories/") || url.contains("://cve.mitre.org/") {
        "ADVISORY"
    } else if url.contains("://crates.io/crates/") {
        "PACKAGE"
    } else {
        "WEB"
    }
}

#[derive(Clone, PartialEq, Eq, Debug)]
enum Bound {
    Unbounded,
    Exclusive(semver::Version),
    Inclusive(semver::Version),
}

impl Bound {
    fn version(&self) -> Option<&semver::Version> {
        match self {
            Bound::Unbounded => None,
            Bound::Exclusive(v) | Bound::Inclusive(v) => Some(v),
        }
    }
}

/// `start <= end` for a start bound and an end bound.
fn start_not_after(start: &Bound, end: &Bound) -> bool {
    match (start.version(), end.version()) {
        (None, _) | (_, None) => true,
        (Some(s), Some(e)) if s < e => true,
        (Some(s), Some(e)) => matches!((start, end), (Bound::Inclusive(_), Bound::Inclusive(_))) && s == e,
    }
}

fn comparator_version(c: &semver::Comparator) -> semver::Version {
    semver::Version {
        major: c.major,
        minor: c.minor.unwrap_or(0),
        patch: c.patch.unwrap_or(0),
        pre: c.pre.clone(),
        build: semver::BuildMetadata::EMPTY,
    }
}

fn lowest_pre(mut v: semver::Version) -> semver::Version {
    v.pre = semver::Prerelease::new("0").unwrap_or(semver::Prerelease::EMPTY);
    v
}

/// One `patched`/`unaffected` requirement as an unaffected interval.
fn interval(field: &'static str, text: &str) -> Result<(Bound, Bound), RustsecError> {
    let bad = |reason: String| RustsecError::Versions { field, reason };
    let req = semver::VersionReq::parse(text).map_err(|e| bad(format!("{text:?}: {e}")))?;
    let alone = || {
        if req.comparators.len() == 1 { Ok(()) } else { Err(bad(format!("{text:?} must be alone in its range"))) }
    };
    let (mut start, mut end) = (Bound::Unbounded, Bound::Unbounded);
    for c in &req.comparators {
        let v = comparator_version(c);
        match c.op {
            semver::Op::Greater | semver::Op::GreaterEq if start != Bound::Unbounded => {
                return Err(bad(format!("{text:?} has two lower bounds")));
            }
            semver::Op::Less | semver::Op::LessEq if end != Bound::Unbounded => {
                return Err(bad(format!("{text:?} has two upper bounds")));
            }
            semver::Op::Greater => start = Bound::Exclusive(v),
            semver::Op::GreaterEq => start = Bound::Inclusive(v),
            semver::Op::Less => end = Bound::Exclusive(v),
            semver::Op::LessEq => end = Bound::Inclusive(v),
            semver::Op::Exact => {
                alone()?;
                (start, end) = (Bound::Inclusive(v.clone()), Bound::Inclusive(v));
            }
            semver::Op::Caret => {
                alone()?;
                let upper = if v.major > 0 {
                    semver::Version::new(v.major + 1, 0, 0)
                } else {
                    match (c.minor, c.patch) {
                        (Some(0), Some(patch)) => semver::Version::new(0, 0, patch + 1),
                        (Some(minor), _) => semver::Version::new(0, minor + 1, 0),
                        (None, _) => semver::Version::new(1, 0, 0),
                    }
                };
                (start, end) = (Bound::Inclusive(v), Bound::Exclusive(lowest_pre(upper)));
            }
            semver::Op::Tilde => {
                alone()?;
                let upper = match c.minor {
                    None => semver::Version::new(c.major + 1, 0, 0),
                    Some(minor) => semver::Version::new(c.major, minor + 1, 0),
                };
                (start, end) = (Bound::Inclusive(v), Bound::Exclusive(lowest_pre(upper)));
            }
            _ => return Err(bad(format!("{text:?}: unsupported operator"))),
        }
    }
    if !start_not_after(&start, &end) {
        return Err(bad(format!("{text:?} is empty")));
    }
    Ok((start, end))
}

/// The lowest SemVer version above `v` (`1.2.3` → `1.2.4-0`, `1.2.3-a` →
/// `1.2.3-a.0`).
fn increment(v: &semver::Version) -> semver::Version {
    let mut next = v.clone();
    next.build = semver::BuildMetadata::EMPTY;
    if v.pre.is_empty() {
        next.patch += 1;
        lowest_pre(next)
    } else {
        next.pre = semver::Prerelease::new(&format!("{}.0", v.pre)).unwrap_or_else(|_| v.pre.clone());
        next
    }
}

/// The affected ranges: the complement of every unaffected interval.
fn events(versions: &Versions) -> Result<Vec<Value>, RustsecError> {
    let mut intervals = Vec::new();
    for text in &versions.unaffected {
        intervals.push(interval("unaffected", text)?);
    }
    for text in &versions.patched {
        intervals.push(interval("patched", text)?);
    }
    let mut out = Vec::new();
    let introduced =
        |v: Option<semver::Version>| json!({"introduced": v.map_or_else(|| "0.0.0-0".to_owned(), |v| v.to_string())});
    if intervals.is_empty() {
        out.push(introduced(None));
        return Ok(out);
    }
    for (i, a) in intervals.iter().enumerate() {
        for b in intervals.iter().skip(i + 1) {
            if start_not_after(&a.0, &b.1) && start_not_after(&b.0, &a.1) {
                return Err(RustsecError::Versions { field: "patched", reason: "overlapping ranges".into() });
            }
        }
    }
    intervals.sort_by(|a, b| a.0.version().cmp(&b.0.version()));
    let fixed = |v: semver::Version| json!({"fixed": v.to_string()});
    if let Some((start, _)) = intervals.first() {
        match start {
            Bound::Unbounded => {}
            Bound::Exclusive(v) => out.extend([introduced(None), fixed(increment(v))]),
            Bound::Inclusive(v) => out.extend([introduced(None), fixed(v.clone())]),
        }
    }
    for pair in intervals.windows(2) {
        let [(_, end), (start, _)] = pair else { continue };
        let from = match end {
            Bound::Unbounded => continue,
            Bound::Exclusive(v) => v.clone(),
            Bound::Inclusive(v) => increment(v),
        };
        let to = match start {
            Bound::Unbounded => continue,
            Bound::Exclusive(v) => increment(v),
            Bound::Inclusive(v) => v.clone(),
        };
        out.extend([introduced(Some(from)), fixed(to)]);
    }
    if let Some((_, end)) = intervals.last() {
        match end {
            Bound::Unbounded => {}
            Bound::Exclusive(v) => out.push(introduced(Some(v.clone()))),
            Bound::Inclusive(v) => out.push(introduced(Some(increment(v)))),
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(patched: &[&str], unaffected: &[&str], expected: Value) {
        let versions = Versions {
            patched: patched.iter().map(|s| (*s).to_owned()).collect(),
            unaffected: unaffected.iter().map(|s| (*s).to_owned()).collect(),
        };
        assert_eq!(Value::Array(events(&versions).unwrap()), expected, "{patched:?} {unaffected:?}");
    }

    #[test]
    fn ranges_are_the_complement_of_patched_and_unaffected() {
        check(&[], &[], json!([{"introduced": "0.0.0-0"}]));
        check(&[">= 1.2.3"], &[], json!([{"introduced": "0.0.0-0"}, {"fixed": "1.2.3"}]));
        check(&[">= 1.2.3"], &["< 0.5"], json!([{"introduced": "0.5.0"}, {"fixed": "1.2.3"}]));
        check(
            &["^0.9.5", ">= 1.0.1"],
            &[],
            json!([{"introduced": "0.0.0-0"}, {"fixed": "0.9.5"}, {"introduced": "0.10.0-0"}, {"fixed": "1.0.1"}]),
        );
        check(&["> 1.2.3"], &[], json!([{"introduced": "0.0.0-0"}, {"fixed": "1.2.4-0"}]));
        check(&[], &["<= 0.2.0"], json!([{"introduced": "0.2.1-0"}]));
        assert!(interval("patched", ">= 1, >= 2").is_err());
        assert!(interval("patched", "not a version").is_err());
    }
}
