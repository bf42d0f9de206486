//! CVE JSON 5 records (CVE Record Format 5.2, <https://github.com/CVEProject/cve-schema>):
//! a full record whose `containers.cna` is the CNA container a CNA submits
//! (to CVE Services, [`cna_container`]), for a published advisory that has a
//! CVE id among its aliases. Records validate against the 5.2.0 and the 5.1.1
//! schemas alike (`packageURL` without a version is the one 5.2 addition used).
//!
//! Mapping: `descriptions` from the details (plain text, cut at the
//! schema's 4,096 characters with a link to the full advisory), `affected`
//! from the OSV ranges (`introduced`/`fixed` → `version`/`lessThan`,
//! `last_affected` → `lessThanOrEqual`, an open range → `lessThan: "*"`,
//! `versionType` from the range's ordering), `problemTypes` from the CWEs
//! with their names from the shipped CWE list, `metrics` with the 3.x base
//! score and the 4.0 base score (CVSS-B; the vector keeps every metric),
//! `references` with the advisory's own page first, the fix strategy as
//! `solutions` (a patch or a dependency update) and `workarounds` (a mitigation).

use embargo_core::advisory::{CreditKind, FixKind, FixStrategy, RangeEvent, RangeKind, ReferenceKind};
use embargo_core::id::CveId;
use embargo_core::severity::{Cvss, CvssVersion};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::{Document, rfc3339};

/// The CVE record format version written.
pub const DATA_VERSION: &str = "5.2";

/// The CNA that publishes the record (from CVE Services).
#[derive(Debug, Clone)]
pub struct Cna {
    /// The CNA's organisation UUID.
    pub org_id: Uuid,
    /// Its short name (2 to 32 characters).
    pub short_name: String,
}

/// Why no CVE record can be made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CveError {
    /// The advisory has no CVE id among its aliases.
    #[error("{advisory} has no CVE id among its aliases")]
    NoCveId {
        /// The advisory's id.
        advisory: String,
    },
    /// Withdrawn advisories are rejected in CVE Services, not exported as published records.
    #[error("{advisory} was withdrawn: reject its CVE id in CVE Services instead")]
    Withdrawn {
        /// The advisory's id.
        advisory: String,
    },
}

const MAX_DESCRIPTION_CHARS: usize = 4096;

fn cut(text: &str, max: usize, tail: &str) -> String {
    if text.chars().count() <= max {
        return text.to_owned();
    }
    let keep = max.saturating_sub(tail.chars().count());
    let mut out: String = text.chars().take(keep).collect();
    out.push_str(tail);
    out
}

/// The CVE `versionType` of a range's ordering.
fn version_type(kind: RangeKind, ecosystem: Option<&str>) -> &'static str {
    match (kind, ecosystem.map(|e| e.split(':').next().unwrap_or(e))) {
        (RangeKind::Git, _) => "git",
        (RangeKind::Semver, _) => "semver",
        (RangeKind::Ecosystem, Some("PyPI")) => "python",
        (RangeKind::Ecosystem, Some("Maven")) => "maven",
        (RangeKind::Ecosystem, Some("crates.io" | "npm" | "Go" | "Hex" | "Pub")) => "semver",
        (RangeKind::Ecosystem, _) => "custom",
    }
}

/// Where an ecosystem's packages are collected (CVE `collectionURL`).
fn collection_url(ecosystem: &str) -> Option<&'static str> {
    match ecosystem {
        "PyPI" => Some("https://pypi.python.org"),
        "npm" => Some("https://www.npmjs.com"),
        "crates.io" => Some("https://crates.io"),
        "Go" => Some("https://pkg.go.dev"),
        "Maven" => Some("https://repo.maven.apache.org/maven2"),
        "RubyGems" => Some("https://rubygems.org"),
        "NuGet" => Some("https://www.nuget.org"),
        "Packagist" => Some("https://packagist.org"),
        "Hex" => Some("https://hex.pm"),
        "Pub" => Some("https://pub.dev"),
        _ => None,
    }
}

fn versions(affected: &embargo_core::advisory::Affected) -> Vec<Value> {
    let ecosystem = affected.package.as_ref().map(|p| p.ecosystem.as_str());
    let mut out = Vec::new();
    for range in &affected.ranges {
        let kind = version_type(range.kind, ecosystem);
        let mut start: Option<&str> = None;
        let mut closed = true;
        for event in &range.events {
            match event {
                RangeEvent::Introduced(v) => {
                    if let (Some(open), false) = (start, closed) {
                        out.push(json!({"version": open, "status": "affected", "versionType": kind, "lessThan": "*"}));
                    }
                    start = Some(v);
                    closed = false;
                }
                RangeEvent::Fixed(v) => {
                    let from = start.unwrap_or("0");
                    out.push(json!({"version": from, "status": "affected", "versionType": kind, "lessThan": v}));
                    closed = true;
                }
                RangeEvent::LastAffected(v) => {
                    let from = start.unwrap_or("0");
                    out.push(json!({"version": from, "status": "affected", "versionType": kind, "lessThanOrEqual": v}));
                    closed = true;
                }
                RangeEvent::Limit(_) => {}
            }
        }
        if let (Some(open), false) = (start, closed) {
            out.push(json!({"version": open, "status": "affected", "versionType": kind, "lessThan": "*"}));
        }
    }
    for version in &affected.versions {
        out.push(json!({"version": version, "status": "affected"}));
    }
    // The schema wants `versions` items unique (`uniqueItems`): two ranges
    // or a range and a listed version may name the same entry.
    let mut seen = std::collections::BTreeSet::new();
    out.retain(|v| seen.insert(v.to_string()));
    out
}

fn product(doc: &Document<'_>, affected: &embargo_core::advisory::Affected) -> Value {
    let mut entry = json!({"vendor": doc.vendor});
    if let Some(map) = entry.as_object_mut() {
        match &affected.package {
            Some(package) => {
                map.insert("product".into(), json!(package.name));
                map.insert("packageName".into(), json!(package.name));
                if let Some(url) = collection_url(&package.ecosystem) {
                    map.insert("collectionURL".into(), json!(url));
                }
                // CVE 5.2 `packageURL`: a purl without a version (5.1.1 allows
                // the property too).
                if let Some(purl) = affected.source.purl.clone().or_else(|| crate::purl::of_package(package)) {
                    map.insert("packageURL".into(), json!(crate::purl::without_version(&purl)));
                }
            }
            None => {
                map.insert("product".into(), json!(doc.product));
            }
        }
        if let Some(repo) = affected.ranges.iter().find_map(|r| r.repo.as_ref()) {
            map.insert("repo".into(), json!(repo));
        }
        let versions = versions(affected);
        let status = if affected.ranges.is_empty() && affected.versions.is_empty() { "affected" } else { "unaffected" };
        map.insert("defaultStatus".into(), json!(status));
        if !versions.is_empty() {
            map.insert("versions".into(), Value::Array(versions));
        }
    }
    entry
}

fn reference_tags(kind: ReferenceKind) -> Vec<&'static str> {
    match kind {
        ReferenceKind::Advisory => vec!["third-party-advisory"],
        ReferenceKind::Article => vec!["technical-description"],
        ReferenceKind::Detection | ReferenceKind::Git | ReferenceKind::Introduced | ReferenceKind::Web => vec![],
        ReferenceKind::Discussion => vec!["mailing-list"],
        ReferenceKind::Report => vec!["issue-tracking"],
        ReferenceKind::Fix => vec!["patch"],
        ReferenceKind::Package => vec!["product"],
        ReferenceKind::Evidence => vec!["exploit"],
    }
}

fn credit_type(kind: CreditKind) -> &'static str {
    match kind {
        CreditKind::Finder => "finder",
        CreditKind::Reporter => "reporter",
        CreditKind::Analyst => "analyst",
        CreditKind::Coordinator => "coordinator",
        CreditKind::RemediationDeveloper => "remediation developer",
        CreditKind::RemediationReviewer => "remediation reviewer",
        CreditKind::RemediationVerifier => "remediation verifier",
        CreditKind::Tool => "tool",
        CreditKind::Sponsor => "sponsor",
        CreditKind::Other => "other",
    }
}

fn severity_name(cvss: &Cvss) -> String {
    cvss.level().as_str().to_ascii_uppercase()
}

fn metric(cvss: &Cvss) -> Value {
    let base = cvss.base();
    match cvss.version() {
        CvssVersion::V3 => {
            let (key, version) =
                if cvss.vector().starts_with("CVSS:3.0/") { ("cvssV3_0", "3.0") } else { ("cvssV3_1", "3.1") };
            json!({key: {"version": version, "vectorString": cvss.vector(), "baseScore": cvss.score(), "baseSeverity": severity_name(cvss)}})
        }
        CvssVersion::V4 => json!({"cvssV4_0": {
            "version": "4.0",
            "vectorString": cvss.vector(),
            "baseScore": base.score(),
            "baseSeverity": severity_name(&base),
        }}),
    }
}

/// The CNA container of an advisory with CVE id `cve`.
fn container(doc: &Document<'_>, cna: &Cna) -> Value {
    let c = doc.content;
    let text = if c.details.trim().is_empty() { doc.title() } else { c.details.trim() };
    let tail = format!(" … (the full advisory: {})", doc.page_url);
    let mut references = vec![json!({"url": doc.page_url, "tags": ["vendor-advisory"]})];
    let mut seen = vec![doc.page_url];
    for reference in &c.references {
        if seen.contains(&reference.url.as_str()) {
            continue;
        }
        seen.push(&reference.url);
        let tags = reference_tags(reference.kind);
        references.push(if tags.is_empty() {
            json!({"url": reference.url})
        } else {
            json!({"url": reference.url, "tags": tags})
        });
    }
    let mut affected: Vec<Value> = c.affected.iter().map(|a| product(doc, a)).collect();
    if affected.is_empty() {
        affected.push(json!({"vendor": doc.vendor, "product": doc.product, "defaultStatus": "unknown"}));
    }
    let mut cna_container = json!({
        "providerMetadata": {"orgId": cna.org_id.hyphenated().to_string(), "shortName": cna.short_name, "dateUpdated": rfc3339(doc.modified)},
        "datePublic": rfc3339(doc.published),
        "title": cut(doc.title(), 256, "…"),
        "descriptions": [{"lang": "en", "value": cut(text, MAX_DESCRIPTION_CHARS, &tail)}],
        "affected": affected,
        "references": references,
    });
    if let Some(map) = cna_container.as_object_mut() {
        if !c.cwes.is_empty() {
            let descriptions: Vec<Value> = c
                .cwes
                .iter()
                .map(|cwe| {
                    let description =
                        embargo_core::cwe::name(*cwe).map_or_else(|| cwe.to_string(), |name| format!("{cwe}: {name}"));
                    json!({"lang": "en", "cweId": cwe.to_string(), "description": description, "type": "CWE"})
                })
                .collect();
            map.insert("problemTypes".into(), json!([{"descriptions": descriptions}]));
        }
        let metrics: Vec<Value> =
            [&c.severity.cvss_v4, &c.severity.cvss_v3].into_iter().flatten().map(metric).collect();
        if !metrics.is_empty() {
            map.insert("metrics".into(), Value::Array(metrics));
        }
        if !c.fix.is_empty() {
            let (solution, workaround) = fix_texts(&c.fix, fixed_version(c).as_deref());
            if let Some(text) = solution {
                map.insert(
                    "solutions".into(),
                    json!([{"lang": "en", "value": cut(&text, MAX_DESCRIPTION_CHARS, "…")}]),
                );
            }
            if let Some(text) = workaround {
                map.insert(
                    "workarounds".into(),
                    json!([{"lang": "en", "value": cut(&text, MAX_DESCRIPTION_CHARS, "…")}]),
                );
            }
        }
        if !c.credits.is_empty() {
            let credits: Vec<Value> = c
                .credits
                .iter()
                .map(|cr| json!({"lang": "en", "value": cr.name, "type": credit_type(cr.kind)}))
                .collect();
            map.insert("credits".into(), Value::Array(credits));
        }
    }
    cna_container
}

/// The first fixed version the advisory names, if any.
fn fixed_version(c: &embargo_core::advisory::AdvisoryContent) -> Option<String> {
    c.affected.iter().flat_map(|a| &a.ranges).flat_map(|r| &r.events).find_map(|e| match e {
        RangeEvent::Fixed(v) => Some(v.clone()),
        _ => None,
    })
}

/// The fix strategy as a CVE `solutions` text (a patch or a dependency
/// update: the upgrade and, without a mitigation, the team's text) and a
/// `workarounds` text (a mitigation: the team's text).
fn fix_texts(fix: &FixStrategy, fixed: Option<&str>) -> (Option<String>, Option<String>) {
    let shipped = FixStrategy::new(fix.kinds.iter().copied().filter(|k| k.is_new_version()), "");
    let mitigation = fix.has(FixKind::Mitigation);
    let mut solution = shipped.kinds_sentence().map(|kinds| {
        let upgrade =
            fixed.map_or_else(|| "Upgrade to a fixed version.".to_owned(), |v| format!("Upgrade to {v} or later."));
        format!("Fix strategy: {}. {}", kinds.to_lowercase(), shipped.steps(&upgrade).join(" "))
    });
    if !mitigation && !fix.text.is_empty() {
        solution = Some(match solution {
            Some(s) => format!("{s}\n\n{}", fix.text),
            None => fix.text.clone(),
        });
    }
    let workaround = mitigation.then(|| {
        if fix.text.is_empty() { "A mitigation is available: see the advisory.".to_owned() } else { fix.text.clone() }
    });
    (solution, workaround)
}

/// The CNA container of a published advisory (what a CNA sends to CVE
/// Services' `/cve/{id}/cna`), and its CVE id.
pub fn cna_container(doc: &Document<'_>, cna: &Cna) -> Result<(CveId, Value), CveError> {
    let cve = doc.content.cve_id().ok_or_else(|| CveError::NoCveId { advisory: doc.id.to_string() })?;
    if doc.withdrawn.is_some() {
        return Err(CveError::Withdrawn { advisory: doc.id.to_string() });
    }
    Ok((cve, container(doc, cna)))
}

/// The CVE record of a published advisory, and its CVE id (the file name).
pub fn record(doc: &Document<'_>, cna: &Cna) -> Result<(CveId, Value), CveError> {
    let cve = doc.content.cve_id().ok_or_else(|| CveError::NoCveId { advisory: doc.id.to_string() })?;
    if doc.withdrawn.is_some() {
        return Err(CveError::Withdrawn { advisory: doc.id.to_string() });
    }
    let record = json!({
        "dataType": "CVE_RECORD",
        "dataVersion": DATA_VERSION,
        "cveMetadata": {
            "cveId": cve.as_str(),
            "assignerOrgId": cna.org_id.hyphenated().to_string(),
            "assignerShortName": cna.short_name,
            "state": "PUBLISHED",
            "datePublished": rfc3339(doc.published),
            "dateUpdated": rfc3339(doc.modified),
        },
        "containers": {"cna": container(doc, cna)},
    });
    Ok((cve, record))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::fixture::Fixture;

    fn cna() -> Cna {
        Cna { org_id: "b3476cb9-2e3d-41a6-98d0-0f47421a65b6".parse().unwrap(), short_name: "pallets".into() }
    }

    #[test]
    fn an_advisory_with_a_cve_id_becomes_a_record() {
        let f = Fixture::new();
        let (cve, record) = record(&f.document(), &cna()).unwrap();
        assert_eq!(cve.as_str(), "CVE-2026-12345");
        let c = &record["containers"]["cna"];
        assert_eq!(record["cveMetadata"]["state"], "PUBLISHED");
        assert_eq!(c["providerMetadata"]["orgId"], "b3476cb9-2e3d-41a6-98d0-0f47421a65b6");
        assert_eq!(
            c["affected"][0]["versions"],
            json!([
                {"version": "0", "status": "affected", "versionType": "python", "lessThan": "2.3.9"},
                {"version": "3.0.0", "status": "affected", "versionType": "python", "lessThan": "3.1.1"},
                {"version": "3.1.0", "status": "affected"}
            ])
        );
        assert_eq!(c["affected"][0]["defaultStatus"], "unaffected");
        assert_eq!(c["problemTypes"][0]["descriptions"][0]["description"], "CWE-613: Insufficient Session Expiration");
        assert_eq!(c["metrics"][0]["cvssV4_0"]["baseScore"], json!(9.3), "the base score, not CVSS-BT");
        assert_eq!(c["metrics"][1]["cvssV3_1"]["baseScore"], json!(9.1));
        assert_eq!(c["references"][0]["url"], "https://security.example.org/advisories/PALLETS-2026-1");
        assert_eq!(c["references"][1]["tags"], json!(["patch"]));
        assert_eq!(c["credits"][1]["type"], "remediation developer");
    }

    #[test]
    fn the_fix_strategy_becomes_solutions_and_workarounds_issue_16() {
        use embargo_core::advisory::{FixKind, FixStrategy};
        let mut f = Fixture::new();
        let (_, written) = record(&f.document(), &cna()).unwrap();
        assert!(written["containers"]["cna"].get("solutions").is_none(), "nothing said, nothing written");
        f.content.fix = FixStrategy::new([FixKind::Patch, FixKind::Mitigation], "Set `SESSION_REFRESH_EACH_REQUEST`.");
        let (_, written) = record(&f.document(), &cna()).unwrap();
        let c = &written["containers"]["cna"];
        assert_eq!(
            c["solutions"],
            json!([{"lang": "en", "value": "Fix strategy: patch. Upgrade to 2.3.9 or later. The fix is a patch to the project's own code."}])
        );
        assert_eq!(c["workarounds"], json!([{"lang": "en", "value": "Set `SESSION_REFRESH_EACH_REQUEST`."}]));
        f.content.fix = FixStrategy::new([FixKind::DependencyUpdate], "Rebuild the image.");
        let (_, written) = record(&f.document(), &cna()).unwrap();
        let solution = written["containers"]["cna"]["solutions"][0]["value"].as_str().unwrap().to_owned();
        assert!(
            solution.starts_with("Fix strategy: dependency update.") && solution.ends_with("\n\nRebuild the image.")
        );
        assert!(written["containers"]["cna"].get("workarounds").is_none());
    }

    #[test]
    fn duplicate_versions_are_merged_issue_14() {
        let mut f = Fixture::new();
        let first = f.content.affected[0].ranges[0].clone();
        f.content.affected[0].ranges.push(first);
        f.content.affected[0].versions.push("3.1.0".into());
        let (_, record) = record(&f.document(), &cna()).unwrap();
        let versions = record["containers"]["cna"]["affected"][0]["versions"].as_array().unwrap().clone();
        assert_eq!(versions.len(), 3, "{versions:?}");
        assert_eq!(record["containers"]["cna"]["affected"][0]["packageURL"], "pkg:pypi/flask");
    }

    #[test]
    fn long_details_are_cut_with_a_link() {
        let mut f = Fixture::new();
        f.content.details = "x".repeat(10_000);
        let (_, record) = record(&f.document(), &cna()).unwrap();
        let value = record["containers"]["cna"]["descriptions"][0]["value"].as_str().unwrap();
        assert_eq!(value.chars().count(), MAX_DESCRIPTION_CHARS);
        assert!(value.ends_with("(the full advisory: https://security.example.org/advisories/PALLETS-2026-1)"));
    }

    #[test]
    fn no_cve_id_no_record() {
        let mut f = Fixture::new();
        f.content.aliases.retain(|a| a.cve().is_none());
        assert_eq!(record(&f.document(), &cna()).unwrap_err(), CveError::NoCveId { advisory: "PALLETS-2026-1".into() });
    }
}
