//! GitHub repository security advisories (REST API
//! `GET /repos/{owner}/{repo}/security-advisories[/{ghsa_id}]`, schema
//! `repository-advisory`), the history a team leaving GitHub's private
//! vulnerability reporting brings, as OSV records that [`crate::osv::parse`]
//! then checks like any other: the mapping GitHub's own OSV export uses
//! (`github/advisory-database`): `ghsa_id` → `id`, `cve_id` and the other
//! identifiers → `aliases`, `summary`, `description` → `details`, the dates,
//! one `affected` entry per vulnerability (GitHub's ecosystem names → OSV's,
//! `vulnerable_version_range` → an `ECOSYSTEM` range, `patched_versions`,
//! `vulnerable_functions` → `ecosystem_specific.affected_functions`),
//! `cvss_severities` (or `cvss`) → `severity`, `cwe_ids` and `severity` →
//! `database_specific`, accepted `credits_detailed` (or `credits`) →
//! `credits` with the user's GitHub page as contact, `html_url` → an
//! `ADVISORY` reference.
//!
//! Not kept, and named per advisory: the people (`author`, `publisher`,
//! `collaborating_users`, `collaborating_teams`), `private_fork`,
//! `submission`, credits not accepted, and ranges that cannot be read.

use embargo_core::Timestamp;
use serde_json::{Map, Value, json};
use time::format_description::well_known::Rfc3339;

/// The state of a repository advisory on GitHub.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GhsaState {
    /// Public.
    Published,
    /// Public, then withdrawn.
    Withdrawn,
    /// Private: a draft the maintainers made or accepted.
    Draft,
    /// Private: a vulnerability report someone sent, still in triage.
    Triage,
    /// Closed without publication.
    Closed,
}

/// One GitHub advisory as an OSV record.
#[derive(Debug, Clone)]
pub struct Converted {
    /// Its GHSA id.
    pub id: String,
    /// The OSV record.
    pub osv: Value,
    /// Its state on GitHub.
    pub state: GhsaState,
    /// What was not kept, by field.
    pub not_kept: Vec<String>,
    /// What the advisory says of the report it came from (its history).
    pub report: GhsaReport,
}

/// The report behind a GitHub advisory, as far as the advisory tells it:
/// `embargo import ghsa` files one report per advisory with this history.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GhsaReport {
    /// `created_at`: when the report or draft was made.
    pub created: Option<Timestamp>,
    /// `updated_at`.
    pub updated: Option<Timestamp>,
    /// `published_at`.
    pub published: Option<Timestamp>,
    /// `closed_at`.
    pub closed: Option<Timestamp>,
    /// The affected packages' names, in order, once each.
    pub packages: Vec<String>,
    /// Each `vulnerable_version_range` as GitHub wrote it.
    pub vulnerable_ranges: Vec<String>,
    /// The login of the first accepted `reporter` (else `finder`) credit.
    pub reporter: Option<String>,
}

/// Why a file is not a GitHub advisory.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GhsaError {
    /// Not JSON.
    #[error("not JSON: {0}")]
    Json(String),
    /// Neither an advisory object nor a list of them.
    #[error("neither a repository advisory nor a list of them")]
    NotAdvisories,
    /// A field is missing or of the wrong kind.
    #[error("{field}: {reason}")]
    Field {
        /// The field's path.
        field: String,
        /// What is wrong.
        reason: String,
    },
}

fn field(field: impl Into<String>, reason: impl Into<String>) -> GhsaError {
    GhsaError::Field { field: field.into(), reason: reason.into() }
}

/// The advisories of a file: one advisory object, or a list of them (as
/// the list endpoint answers).
pub fn records(text: &str) -> Result<Vec<Value>, GhsaError> {
    let value: Value = serde_json::from_str(text).map_err(|e| GhsaError::Json(e.to_string()))?;
    match value {
        Value::Array(list) if list.iter().all(|v| v.get("ghsa_id").is_some()) => Ok(list),
        Value::Object(ref map) if map.contains_key("ghsa_id") => Ok(vec![value]),
        _ => Err(GhsaError::NotAdvisories),
    }
}

/// GitHub's ecosystem names (`security-advisory-ecosystems`) as OSV's.
pub fn ecosystem(github: &str) -> Option<&'static str> {
    Some(match github {
        "pip" => "PyPI",
        "npm" => "npm",
        "rubygems" => "RubyGems",
        "maven" => "Maven",
        "nuget" => "NuGet",
        "composer" => "Packagist",
        "go" => "Go",
        "rust" => "crates.io",
        "erlang" => "Hex",
        "actions" => "GitHub Actions",
        "pub" => "Pub",
        "swift" => "SwiftURL",
        _ => return None,
    })
}

/// `vulnerable_version_range` (`>= 1.0.0, < 1.0.1`, `< 2`, `<= 1.4`, `= 1.2`)
/// and `patched_versions` as OSV events or single versions.
fn range(text: &str, patched: Option<&str>) -> Option<(Vec<Value>, Vec<String>)> {
    let mut introduced: Option<String> = None;
    let mut upper: Option<Value> = None;
    let mut exact = Vec::new();
    for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let (op, version) = ["<=", ">=", "<", ">", "="]
            .iter()
            .find_map(|op| part.strip_prefix(op).map(|v| (*op, v.trim().to_owned())))?;
        if version.is_empty() || version.contains(' ') {
            return None;
        }
        match op {
            ">=" => introduced = Some(version),
            "<" => upper = Some(json!({"fixed": version})),
            "<=" => upper = Some(json!({"last_affected": version})),
            "=" => exact.push(version),
            _ => return None,
        }
    }
    if !exact.is_empty() {
        return (introduced.is_none() && upper.is_none()).then_some((Vec::new(), exact));
    }
    if upper.is_none()
        && let Some(p) = patched.map(str::trim).filter(|p| !p.is_empty() && !p.contains([',', ' ']))
    {
        upper = Some(json!({"fixed": p}));
    }
    let mut events = vec![json!({"introduced": introduced.unwrap_or_else(|| "0".into())})];
    events.extend(upper);
    Some((events, Vec::new()))
}

fn credit_type(github: &str) -> &'static str {
    match github {
        "finder" => "FINDER",
        "reporter" => "REPORTER",
        "analyst" => "ANALYST",
        "coordinator" => "COORDINATOR",
        "remediation_developer" => "REMEDIATION_DEVELOPER",
        "remediation_reviewer" => "REMEDIATION_REVIEWER",
        "remediation_verifier" => "REMEDIATION_VERIFIER",
        "tool" => "TOOL",
        "sponsor" => "SPONSOR",
        _ => "OTHER",
    }
}

fn text<'a>(advisory: &'a Value, key: &str) -> Option<&'a str> {
    advisory.get(key).and_then(Value::as_str).filter(|s| !s.trim().is_empty())
}

/// A date field (RFC 3339, as GitHub writes them); absent or `null` is `None`.
fn date(advisory: &Value, id: &str, key: &str) -> Result<Option<Timestamp>, GhsaError> {
    text(advisory, key)
        .map(|t| Timestamp::parse(t, &Rfc3339).map_err(|_| field(format!("{id}.{key}"), "not an RFC 3339 time")))
        .transpose()
}

/// The report's facts: dates, packages, ranges and the reporter's login.
fn report_of(advisory: &Value, id: &str) -> Result<GhsaReport, GhsaError> {
    let mut report = GhsaReport {
        created: date(advisory, id, "created_at")?,
        updated: date(advisory, id, "updated_at")?,
        published: date(advisory, id, "published_at")?,
        closed: date(advisory, id, "closed_at")?,
        ..GhsaReport::default()
    };
    for v in advisory.get("vulnerabilities").and_then(Value::as_array).into_iter().flatten() {
        if let Some(name) = v.get("package").and_then(|p| p.get("name")).and_then(Value::as_str)
            && !name.trim().is_empty()
            && !report.packages.iter().any(|p| p == name)
        {
            report.packages.push(name.to_owned());
        }
        if let Some(range) = v.get("vulnerable_version_range").and_then(Value::as_str)
            && !range.trim().is_empty()
        {
            report.vulnerable_ranges.push(range.trim().to_owned());
        }
    }
    let credits = advisory.get("credits_detailed").and_then(Value::as_array).into_iter().flatten();
    let accepted: Vec<(&str, &str)> = credits
        .filter(|c| c.get("state").and_then(Value::as_str).is_none_or(|s| s == "accepted"))
        .filter_map(|c| {
            let login = c.get("user").and_then(|u| u.get("login")).and_then(Value::as_str)?;
            Some((c.get("type").and_then(Value::as_str).unwrap_or(""), login))
        })
        .collect();
    report.reporter = ["reporter", "finder"]
        .iter()
        .find_map(|kind| accepted.iter().find(|(k, _)| k == kind).map(|(_, login)| (*login).to_owned()));
    Ok(report)
}

/// One GitHub advisory as an OSV record.
pub fn to_osv(advisory: &Value) -> Result<Converted, GhsaError> {
    let id = text(advisory, "ghsa_id").ok_or_else(|| field("ghsa_id", "missing"))?.to_owned();
    let at = |f: &str| format!("{id}.{f}");
    let state = match text(advisory, "state") {
        Some("published") => GhsaState::Published,
        Some("withdrawn") => GhsaState::Withdrawn,
        Some("draft") => GhsaState::Draft,
        Some("triage") => GhsaState::Triage,
        Some("closed") => GhsaState::Closed,
        other => return Err(field(at("state"), format!("unknown state {other:?}"))),
    };
    let mut not_kept = Vec::new();
    for key in ["author", "publisher", "collaborating_users", "collaborating_teams", "private_fork", "submission"] {
        if advisory.get(key).is_some_and(|v| !v.is_null() && v != &json!([])) {
            not_kept.push(at(key));
        }
    }
    let mut osv = Map::new();
    osv.insert("schema_version".into(), json!("1.7.0"));
    osv.insert("id".into(), json!(id));
    let modified = text(advisory, "updated_at").ok_or_else(|| field(at("updated_at"), "missing"))?;
    osv.insert("modified".into(), json!(modified));
    if let Some(published) = text(advisory, "published_at").or_else(|| text(advisory, "created_at")) {
        osv.insert("published".into(), json!(published));
    }
    if let Some(withdrawn) = text(advisory, "withdrawn_at") {
        osv.insert("withdrawn".into(), json!(withdrawn));
    }
    let mut aliases: Vec<String> = Vec::new();
    if let Some(cve) = text(advisory, "cve_id") {
        aliases.push(cve.to_owned());
    }
    for identifier in advisory.get("identifiers").and_then(Value::as_array).into_iter().flatten() {
        if let Some(value) = identifier.get("value").and_then(Value::as_str)
            && value != id
            && !aliases.iter().any(|a| a == value)
        {
            aliases.push(value.to_owned());
        }
    }
    if !aliases.is_empty() {
        osv.insert("aliases".into(), json!(aliases));
    }
    if let Some(summary) = text(advisory, "summary") {
        osv.insert("summary".into(), json!(summary));
    }
    if let Some(details) = text(advisory, "description") {
        osv.insert("details".into(), json!(details));
    }
    let mut affected = Vec::new();
    for (i, v) in advisory.get("vulnerabilities").and_then(Value::as_array).into_iter().flatten().enumerate() {
        let path = at(&format!("vulnerabilities[{i}]"));
        let package = v.get("package").filter(|p| !p.is_null());
        let github = package.and_then(|p| p.get("ecosystem")).and_then(Value::as_str).unwrap_or("");
        let name = package.and_then(|p| p.get("name")).and_then(Value::as_str).unwrap_or("");
        let Some(ecosystem) = ecosystem(github).filter(|_| !name.is_empty()) else {
            not_kept.push(format!("{path}.package ({github:?} is not an ecosystem OSV names)"));
            continue;
        };
        let mut entry = Map::new();
        entry.insert("package".into(), json!({"ecosystem": ecosystem, "name": name}));
        let vulnerable = v.get("vulnerable_version_range").and_then(Value::as_str).unwrap_or("");
        let patched = v.get("patched_versions").and_then(Value::as_str);
        match range(vulnerable, patched) {
            Some((events, versions)) => {
                if !events.is_empty() {
                    entry.insert("ranges".into(), json!([{"type": "ECOSYSTEM", "events": events}]));
                }
                if !versions.is_empty() {
                    entry.insert("versions".into(), json!(versions));
                }
            }
            None => not_kept.push(format!("{path}.vulnerable_version_range ({vulnerable:?} cannot be read)")),
        }
        let functions: Vec<&Value> =
            v.get("vulnerable_functions").and_then(Value::as_array).into_iter().flatten().collect();
        if !functions.is_empty() {
            entry.insert("ecosystem_specific".into(), json!({"affected_functions": functions}));
        }
        affected.push(Value::Object(entry));
    }
    if !affected.is_empty() {
        osv.insert("affected".into(), json!(affected));
    }
    let mut severity = Vec::new();
    let cvss = advisory.get("cvss_severities");
    for (key, kind) in [("cvss_v3", "CVSS_V3"), ("cvss_v4", "CVSS_V4")] {
        if let Some(vector) = cvss.and_then(|c| c.get(key)).and_then(|c| c.get("vector_string")).and_then(Value::as_str)
        {
            severity.push(json!({"type": kind, "score": vector}));
        }
    }
    if severity.is_empty()
        && let Some(vector) = advisory.get("cvss").and_then(|c| c.get("vector_string")).and_then(Value::as_str)
    {
        severity.push(json!({"type": "CVSS_V3", "score": vector}));
    }
    if !severity.is_empty() {
        osv.insert("severity".into(), json!(severity));
    }
    let mut database_specific = Map::new();
    let cwes: Vec<&Value> = advisory.get("cwe_ids").and_then(Value::as_array).into_iter().flatten().collect();
    database_specific.insert("cwe_ids".into(), json!(cwes));
    if let Some(level) = text(advisory, "severity") {
        database_specific.insert("severity".into(), json!(level.to_ascii_uppercase()));
    }
    osv.insert("database_specific".into(), Value::Object(database_specific));
    let mut credits = Vec::new();
    if let Some(detailed) = advisory.get("credits_detailed").and_then(Value::as_array) {
        for (i, c) in detailed.iter().enumerate() {
            let login = c.get("user").and_then(|u| u.get("login")).and_then(Value::as_str);
            let accepted = c.get("state").and_then(Value::as_str).is_none_or(|s| s == "accepted");
            match (login, accepted) {
                (Some(login), true) => {
                    let kind = credit_type(c.get("type").and_then(Value::as_str).unwrap_or(""));
                    let page = c.get("user").and_then(|u| u.get("html_url")).and_then(Value::as_str);
                    let mut credit = Map::new();
                    credit.insert("name".into(), json!(login));
                    credit.insert("type".into(), json!(kind));
                    if let Some(page) = page {
                        credit.insert("contact".into(), json!([page]));
                    }
                    credits.push(Value::Object(credit));
                }
                _ => not_kept.push(at(&format!("credits_detailed[{i}] (not accepted)"))),
            }
        }
    } else if let Some(simple) = advisory.get("credits").and_then(Value::as_array) {
        for c in simple {
            if let Some(login) = c.get("login").and_then(Value::as_str) {
                let kind = credit_type(c.get("type").and_then(Value::as_str).unwrap_or(""));
                credits.push(json!({"name": login, "type": kind}));
            }
        }
    }
    if !credits.is_empty() {
        osv.insert("credits".into(), json!(credits));
    }
    if let Some(page) = text(advisory, "html_url") {
        osv.insert("references".into(), json!([{"type": "ADVISORY", "url": page}]));
    }
    let report = report_of(advisory, &id)?;
    Ok(Converted { id, osv: Value::Object(osv), state, not_kept, report })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_read_as_github_writes_them() {
        let (events, _) = range(">= 1.0.0, < 1.0.1", Some("1.0.1")).unwrap();
        assert_eq!(events, vec![json!({"introduced": "1.0.0"}), json!({"fixed": "1.0.1"})]);
        let (events, _) = range("<= 2.4", None).unwrap();
        assert_eq!(events, vec![json!({"introduced": "0"}), json!({"last_affected": "2.4"})]);
        let (events, _) = range(">= 3.0", Some("3.2.1")).unwrap();
        assert_eq!(events, vec![json!({"introduced": "3.0"}), json!({"fixed": "3.2.1"})]);
        assert_eq!(range("= 1.2", None).unwrap(), (Vec::new(), vec!["1.2".to_owned()]));
        assert!(range("~> 1.2", None).is_none());
    }

    #[test]
    fn the_report_behind_an_advisory_keeps_its_dates_packages_and_reporter() {
        let advisory = json!({
            "ghsa_id": "GHSA-aaaa-bbbb-cccc", "state": "closed", "updated_at": "2026-02-02T00:00:00Z",
            "created_at": "2026-01-01T10:00:00Z", "closed_at": "2026-02-01T00:00:00Z", "published_at": null,
            "vulnerabilities": [{"package": {"ecosystem": "pip", "name": "a-package"},
                                 "vulnerable_version_range": "< 1.2"}],
            "credits_detailed": [
                {"user": {"login": "bob"}, "type": "analyst", "state": "accepted"},
                {"user": {"login": "eve"}, "type": "reporter", "state": "declined"},
                {"user": {"login": "carol"}, "type": "finder", "state": "accepted"}
            ]
        });
        let converted = to_osv(&advisory).unwrap();
        assert_eq!(converted.state, GhsaState::Closed);
        let report = converted.report;
        assert_eq!(report.created, Some(time::macros::datetime!(2026-01-01 10:00 UTC)));
        assert_eq!(report.closed, Some(time::macros::datetime!(2026-02-01 0:00 UTC)));
        assert_eq!(report.published, None);
        assert_eq!(report.packages, ["a-package"]);
        assert_eq!(report.vulnerable_ranges, ["< 1.2"]);
        assert_eq!(report.reporter.as_deref(), Some("carol"), "declined credits are not the reporter");
        let bad = json!({"ghsa_id": "GHSA-a", "state": "draft", "updated_at": "2026-02-02T00:00:00Z", "created_at": "yesterday"});
        assert!(matches!(to_osv(&bad), Err(GhsaError::Field { field, .. }) if field == "GHSA-a.created_at"));
    }

    #[test]
    fn a_file_is_one_advisory_or_a_list() {
        assert_eq!(records(r#"[{"ghsa_id": "GHSA-a"}, {"ghsa_id": "GHSA-b"}]"#).unwrap().len(), 2);
        assert_eq!(records(r#"{"ghsa_id": "GHSA-a"}"#).unwrap().len(), 1);
        assert_eq!(records(r#"{"id": "PSF-1"}"#).unwrap_err(), GhsaError::NotAdvisories);
        assert!(matches!(records("{"), Err(GhsaError::Json(_))));
    }
}
