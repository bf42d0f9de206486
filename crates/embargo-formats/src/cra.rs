//! What each stage of Cyber Resilience Act reporting tells ENISA's single reporting platform,
//! as JSON and as text, ready to paste. Fields follow Regulation (EU) 2024/2847, Article 14:
//!
//! - vulnerability early warning, 14(2)(a): the product and, where applicable, the member
//!   states where it has been made available;
//! - vulnerability notification, 14(2)(b): general information about the product, the
//!   general nature of the exploit and of the vulnerability, corrective or mitigating measures
//!   taken and those users can take, and how sensitive the information is;
//! - vulnerability final report, 14(2)(c): a description of the vulnerability with its
//!   severity and impact, information on any malicious actor, details of the security update
//!   or other corrective measures made available;
//! - incident early warning, 14(4)(a): whether the incident is suspected of being caused by
//!   unlawful or malicious acts, and member states;
//! - incident notification, 14(4)(b): the nature of the incident, an initial assessment,
//!   corrective or mitigating measures taken and those users can take, sensitivity;
//! - incident final report, 14(4)(c): a detailed description with severity and impact, the
//!   type of threat or root cause, applied and ongoing mitigation measures.
//!
//! ENISA publishes no schema for the platform yet; the JSON keys are ours and stable.

use embargo_core::cra::{CraKind, CraRole, CraStage, MEMBER_STATES, Sensitivity};
use serde_json::{Map, Value, json};

/// The team's own words for ENISA (each optional).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CraDetails {
    /// Member states where the product has been made available (ISO codes).
    pub member_states: Vec<String>,
    /// How sensitive the team considers the information.
    pub sensitivity: Option<Sensitivity>,
    /// The general nature of the exploit (or of the incident).
    pub exploit: Option<String>,
    /// Corrective or mitigating measures taken.
    pub measures_taken: Option<String>,
    /// Corrective or mitigating measures users can take.
    pub measures_for_users: Option<String>,
    /// What is known of a malicious actor (or, for an incident, whether unlawful or malicious acts are suspected).
    pub malicious_actor: Option<String>,
    /// The severity and impact, described.
    pub impact: Option<String>,
    /// The security update or other corrective measures made available.
    pub security_update: Option<String>,
    /// The type of threat or root cause (incidents).
    pub root_cause: Option<String>,
}

/// Everything a stage's content is built from.
#[derive(Debug, Clone)]
pub struct CraInput<'a> {
    /// Exploited vulnerability or severe incident.
    pub kind: CraKind,
    /// The stage.
    pub stage: CraStage,
    /// The organisation's role.
    pub role: CraRole,
    /// The organisation's name.
    pub organisation: &'a str,
    /// The product (the project's name).
    pub product: &'a str,
    /// Its packages (`ecosystem/name`).
    pub packages: Vec<String>,
    /// Its repository, if known.
    pub repository: Option<&'a str>,
    /// The versions affected, as the team or report states them.
    pub versions: Vec<String>,
    /// The report's id.
    pub report: String,
    /// The report's title, which names the vulnerability.
    pub title: &'a str,
    /// CWE ids (`CWE-79`).
    pub cwes: Vec<String>,
    /// CVSS vectors with scores (`CVSS:3.1/... (9.8)`).
    pub cvss: Vec<String>,
    /// Aliases (CVE ids) and the advisory's public page, once published.
    pub identifiers: Vec<String>,
    /// When the organisation became aware, for people (in its offset and UTC).
    pub aware_at: String,
    /// When a corrective or mitigating measure became available, for people.
    pub fix_available_at: Option<String>,
    /// The team's details.
    pub details: &'a CraDetails,
}

const NOT_STATED: &str = "(not stated yet)";

fn text(value: Option<&String>) -> Value {
    value.map_or(Value::Null, |v| Value::String(v.clone()))
}

fn state_names(codes: &[String]) -> Vec<Value> {
    codes
        .iter()
        .map(|code| {
            let name = MEMBER_STATES.iter().find(|(c, _)| *c == code.as_str()).map_or(code.as_str(), |(_, n)| *n);
            json!({"code": code, "name": name})
        })
        .collect()
}

/// The stage's content as JSON: `stage`, `kind`, `article`, `reporter`, `product`, and the fields
/// Article 14 names for that stage (absent ones as `null`).
pub fn to_json(input: &CraInput<'_>) -> Value {
    let d = input.details;
    let mut out = Map::new();
    out.insert("stage".into(), json!(input.stage.as_str()));
    out.insert("kind".into(), json!(input.kind.as_str()));
    out.insert("article".into(), json!(input.kind.article(input.stage)));
    out.insert(
        "reporter".into(),
        json!({
            "organisation": input.organisation,
            "role": input.role.as_str(),
            "limit": input.role.limit(input.kind),
        }),
    );
    out.insert(
        "product".into(),
        json!({
            "name": input.product,
            "packages": input.packages,
            "repository": input.repository,
            "versions_affected": input.versions,
        }),
    );
    out.insert("reference".into(), json!(input.report));
    out.insert("aware_at".into(), json!(input.aware_at));
    let vulnerability = json!({
        "title": input.title,
        "cwes": input.cwes,
        "cvss": input.cvss,
        "identifiers": input.identifiers,
    });
    let sensitivity = d.sensitivity.map_or(Value::Null, |s| json!(s.label()));
    match (input.kind, input.stage) {
        (CraKind::ExploitedVulnerability, CraStage::EarlyWarning) => {
            out.insert("vulnerability".into(), vulnerability);
            out.insert("member_states".into(), Value::Array(state_names(&d.member_states)));
        }
        (CraKind::SevereIncident, CraStage::EarlyWarning) => {
            out.insert("incident".into(), vulnerability);
            out.insert("suspected_malicious".into(), text(d.malicious_actor.as_ref()));
            out.insert("member_states".into(), Value::Array(state_names(&d.member_states)));
        }
        (CraKind::ExploitedVulnerability, CraStage::Notification) => {
            out.insert("vulnerability".into(), vulnerability);
            out.insert("nature_of_exploit".into(), text(d.exploit.as_ref()));
            out.insert("measures_taken".into(), text(d.measures_taken.as_ref()));
            out.insert("measures_for_users".into(), text(d.measures_for_users.as_ref()));
            out.insert("sensitivity".into(), sensitivity);
            out.insert("member_states".into(), Value::Array(state_names(&d.member_states)));
        }
        (CraKind::SevereIncident, CraStage::Notification) => {
            out.insert("incident".into(), vulnerability);
            out.insert("nature_of_incident".into(), text(d.exploit.as_ref()));
            out.insert("initial_assessment".into(), text(d.impact.as_ref()));
            out.insert("measures_taken".into(), text(d.measures_taken.as_ref()));
            out.insert("measures_for_users".into(), text(d.measures_for_users.as_ref()));
            out.insert("sensitivity".into(), sensitivity);
            out.insert("member_states".into(), Value::Array(state_names(&d.member_states)));
        }
        (CraKind::ExploitedVulnerability, CraStage::FinalReport) => {
            out.insert("vulnerability".into(), vulnerability);
            out.insert("severity_and_impact".into(), text(d.impact.as_ref()));
            out.insert("malicious_actor".into(), text(d.malicious_actor.as_ref()));
            out.insert("security_update".into(), text(d.security_update.as_ref()));
            out.insert("fix_available_at".into(), json!(input.fix_available_at));
            out.insert("sensitivity".into(), sensitivity);
        }
        (CraKind::SevereIncident, CraStage::FinalReport) => {
            out.insert("incident".into(), vulnerability);
            out.insert("description".into(), text(d.exploit.as_ref()));
            out.insert("severity_and_impact".into(), text(d.impact.as_ref()));
            out.insert("root_cause".into(), text(d.root_cause.as_ref()));
            out.insert("mitigation_measures".into(), text(d.measures_taken.as_ref()));
            out.insert("sensitivity".into(), sensitivity);
        }
    }
    Value::Object(out)
}

fn line(out: &mut String, label: &str, value: &str) {
    out.push_str(label);
    out.push_str(": ");
    out.push_str(if value.trim().is_empty() { NOT_STATED } else { value });
    out.push('\n');
}

fn list(values: &[String]) -> String {
    values.join(", ")
}

/// The stage's content as plain text, one labelled field per paragraph, for pasting into the platform's form.
pub fn to_text(input: &CraInput<'_>) -> String {
    let d = input.details;
    let mut out = format!(
        "{} — {} ({}, Regulation (EU) 2024/2847)\n\n",
        input.stage.title(),
        input.kind.title(),
        input.kind.article(input.stage)
    );
    line(&mut out, "Reporting organisation", &format!("{} ({})", input.organisation, input.role.title()));
    if let Some(limit) = input.role.limit(input.kind) {
        line(&mut out, "Scope", limit);
    }
    line(&mut out, "Product", input.product);
    line(&mut out, "Packages", &list(&input.packages));
    if let Some(repository) = input.repository {
        line(&mut out, "Repository", repository);
    }
    line(&mut out, "Versions affected", &list(&input.versions));
    line(&mut out, "Internal reference", &input.report);
    line(&mut out, "Became aware", &input.aware_at);
    let subject = match input.kind {
        CraKind::ExploitedVulnerability => "Vulnerability",
        CraKind::SevereIncident => "Incident",
    };
    line(&mut out, subject, input.title);
    line(&mut out, "Weaknesses (CWE)", &list(&input.cwes));
    line(&mut out, "Severity (CVSS)", &list(&input.cvss));
    line(&mut out, "Identifiers", &list(&input.identifiers));
    let states: Vec<String> = d
        .member_states
        .iter()
        .map(|code| {
            MEMBER_STATES.iter().find(|(c, _)| *c == code.as_str()).map_or(code.clone(), |(c, n)| format!("{n} ({c})"))
        })
        .collect();
    let opt = |v: &Option<String>| v.clone().unwrap_or_default();
    let sensitivity = d.sensitivity.map(|s| s.label().to_owned()).unwrap_or_default();
    match (input.kind, input.stage) {
        (CraKind::ExploitedVulnerability, CraStage::EarlyWarning) => {
            line(&mut out, "Member states where the product is available", &list(&states));
        }
        (CraKind::SevereIncident, CraStage::EarlyWarning) => {
            line(&mut out, "Suspected unlawful or malicious acts", &opt(&d.malicious_actor));
            line(&mut out, "Member states where the product is available", &list(&states));
        }
        (CraKind::ExploitedVulnerability, CraStage::Notification) => {
            line(&mut out, "General nature of the exploit", &opt(&d.exploit));
            line(&mut out, "Corrective or mitigating measures taken", &opt(&d.measures_taken));
            line(&mut out, "Corrective or mitigating measures users can take", &opt(&d.measures_for_users));
            line(&mut out, "Sensitivity", &sensitivity);
            line(&mut out, "Member states where the product is available", &list(&states));
        }
        (CraKind::SevereIncident, CraStage::Notification) => {
            line(&mut out, "Nature of the incident", &opt(&d.exploit));
            line(&mut out, "Initial assessment", &opt(&d.impact));
            line(&mut out, "Corrective or mitigating measures taken", &opt(&d.measures_taken));
            line(&mut out, "Corrective or mitigating measures users can take", &opt(&d.measures_for_users));
            line(&mut out, "Sensitivity", &sensitivity);
            line(&mut out, "Member states where the product is available", &list(&states));
        }
        (CraKind::ExploitedVulnerability, CraStage::FinalReport) => {
            line(&mut out, "Severity and impact", &opt(&d.impact));
            line(&mut out, "Malicious actor", &opt(&d.malicious_actor));
            line(&mut out, "Security update or other corrective measures", &opt(&d.security_update));
            line(&mut out, "Measure available since", &input.fix_available_at.clone().unwrap_or_default());
            line(&mut out, "Sensitivity", &sensitivity);
        }
        (CraKind::SevereIncident, CraStage::FinalReport) => {
            line(&mut out, "Description", &opt(&d.exploit));
            line(&mut out, "Severity and impact", &opt(&d.impact));
            line(&mut out, "Type of threat or root cause", &opt(&d.root_cause));
            line(&mut out, "Applied and ongoing mitigation measures", &opt(&d.measures_taken));
            line(&mut out, "Sensitivity", &sensitivity);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(details: &CraDetails, kind: CraKind, stage: CraStage) -> CraInput<'_> {
        CraInput {
            kind,
            stage,
            role: CraRole::Manufacturer,
            organisation: "ACME",
            product: "Runtime",
            packages: vec!["PyPI/acme-runtime".into()],
            repository: Some("https://git.example/acme/runtime"),
            versions: vec!["< 2.4.1".into()],
            report: "R-1".into(),
            title: "Heap overflow in the parser",
            cwes: vec!["CWE-122".into()],
            cvss: vec!["CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H (9.8)".into()],
            identifiers: Vec::new(),
            aware_at: "2026-10-01 09:30 (UTC+02:00), 2026-10-01 07:30 UTC".into(),
            fix_available_at: None,
            details,
        }
    }

    #[test]
    fn each_stage_carries_the_fields_article_14_names() {
        let details = CraDetails {
            member_states: vec!["DE".into(), "FR".into()],
            sensitivity: Some(Sensitivity::Amber),
            exploit: Some("remote, unauthenticated".into()),
            measures_taken: Some("patched in 2.4.1".into()),
            ..CraDetails::default()
        };
        let early = to_json(&input(&details, CraKind::ExploitedVulnerability, CraStage::EarlyWarning));
        assert_eq!(early["member_states"][0], json!({"code": "DE", "name": "Germany"}));
        assert_eq!(early["article"], "Article 14(2)(a)");
        assert!(early.get("nature_of_exploit").is_none());
        let notification = to_json(&input(&details, CraKind::ExploitedVulnerability, CraStage::Notification));
        assert_eq!(notification["nature_of_exploit"], "remote, unauthenticated");
        assert_eq!(notification["sensitivity"], "TLP:AMBER");
        assert_eq!(notification["measures_for_users"], Value::Null);
        let final_report = to_json(&input(&details, CraKind::ExploitedVulnerability, CraStage::FinalReport));
        for key in ["severity_and_impact", "malicious_actor", "security_update"] {
            assert!(final_report.get(key).is_some(), "{key}");
        }
        let incident = to_json(&input(&details, CraKind::SevereIncident, CraStage::FinalReport));
        assert_eq!(incident["root_cause"], Value::Null);
        assert_eq!(incident["article"], "Article 14(4)(c)");
        let text = to_text(&input(&details, CraKind::ExploitedVulnerability, CraStage::Notification));
        assert!(text.contains("General nature of the exploit: remote, unauthenticated\n"), "{text}");
        assert!(text.contains("Corrective or mitigating measures users can take: (not stated yet)\n"), "{text}");
        assert!(text.contains("Member states where the product is available: Germany (DE), France (FR)\n"), "{text}");
    }
}
