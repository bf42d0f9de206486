//! Intake checks: what the policy requires of a report, and the notices a
//! reporter gets about it before and after submitting. Notices explain; they
//! never reject a report on their own.

use crate::policy::{Policy, ReportField, Support, Tier};
use crate::project::{LineStatus, ReleaseLine};
use crate::report::ReportContent;
use crate::text::{FieldErrors, TextError};

mod scope;
pub use scope::{ScopeList, ScopeMatch, scope_match};

/// The special line value a reporter picks for "an older build" on a
/// project that supports only its latest build.
pub const OLDER_BUILD: &str = "older";

/// Something the reporter should know about their report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IntakeNotice {
    /// The reporter gave a severity or CVSS score.
    ReporterSeverity,
    /// Every release line named is one the policy gives no CVE to.
    UnsupportedLines {
        /// The lines and their statuses.
        lines: Vec<(String, LineStatus)>,
    },
    /// Only the latest build is supported and the report names an older one.
    OnlyLatestSupported {
        /// The latest build's name.
        latest: String,
    },
    /// The component is an experimental feature.
    ExperimentalFeature {
        /// The feature.
        feature: String,
    },
    /// The platform is not supported.
    UnsupportedPlatform {
        /// The platform.
        platform: String,
        /// Whether interested parties exist who may receive the report.
        has_interested_parties: bool,
    },
    /// The report appears to be about something the policy puts out of scope.
    OutOfScope {
        /// The policy's out-of-scope entry.
        entry: String,
    },
    /// The report appears to be about something the policy never treats as a security issue.
    NotSecurity {
        /// The policy's not-security entry.
        entry: String,
    },
    /// A field the policy asks for is missing.
    Missing {
        /// The field.
        field: ReportField,
    },
}

impl IntakeNotice {
    /// A stable code.
    pub fn code(&self) -> &'static str {
        match self {
            IntakeNotice::ReporterSeverity => "reporter_severity",
            IntakeNotice::UnsupportedLines { .. } => "unsupported_lines",
            IntakeNotice::OnlyLatestSupported { .. } => "only_latest_supported",
            IntakeNotice::ExperimentalFeature { .. } => "experimental_feature",
            IntakeNotice::UnsupportedPlatform { .. } => "unsupported_platform",
            IntakeNotice::OutOfScope { .. } => "out_of_scope",
            IntakeNotice::NotSecurity { .. } => "not_security",
            IntakeNotice::Missing { .. } => "missing_field",
        }
    }

    /// Whether the message names something of the report itself (its release
    /// lines, feature or platform), so that it may only travel where the
    /// report's text may (an encrypted mail, the report's page).
    pub fn names_report_details(&self) -> bool {
        match self {
            IntakeNotice::UnsupportedLines { .. }
            | IntakeNotice::ExperimentalFeature { .. }
            | IntakeNotice::UnsupportedPlatform { .. } => true,
            IntakeNotice::ReporterSeverity
            | IntakeNotice::OnlyLatestSupported { .. }
            | IntakeNotice::OutOfScope { .. }
            | IntakeNotice::NotSecurity { .. }
            | IntakeNotice::Missing { .. } => false,
        }
    }

    /// What the reporter is told.
    pub fn message(&self) -> String {
        match self {
            IntakeNotice::ReporterSeverity => {
                "You gave a severity or CVSS score. It is noted, but it is not the team's \
                assessment: the team scores every report itself."
                    .to_owned()
            }
            IntakeNotice::UnsupportedLines { lines } => {
                let named: Vec<String> = lines.iter().map(|(l, s)| format!("{l} ({s})")).collect();
                format!(
                    "The release lines you named ({}) do not receive CVE ids under this policy. A vulnerability that \
                     affects only them is not eligible for a CVE and is handled as an ordinary bug.",
                    named.join(", ")
                )
            }
            IntakeNotice::OnlyLatestSupported { latest } => format!(
                "Only the latest build ({latest}) is supported. Please check whether the issue reproduces on it: \
                 older builds and images get no fixes."
            ),
            IntakeNotice::ExperimentalFeature { feature } => format!(
                "{feature} is an experimental feature. Experimental features are not eligible as security \
                 vulnerabilities; the team may ask you to open a public issue instead."
            ),
            IntakeNotice::UnsupportedPlatform { platform, has_interested_parties } => {
                let share = if *has_interested_parties {
                    " The report may be shared with the parties interested in that platform."
                } else {
                    ""
                };
                format!(
                    "{platform} is not a supported platform. Issues that affect only unsupported platforms are not \
                     treated as vulnerabilities of the project.{share}"
                )
            }
            IntakeNotice::OutOfScope { entry } => format!(
                "Your report appears to be about something this policy puts out of scope: \u{201c}{entry}\u{201d}. \
                 The team will check; a report that is out of scope is closed as such, without an advisory."
            ),
            IntakeNotice::NotSecurity { entry } => format!(
                "Your report appears to be about something this policy does not treat as a security issue: \
                 \u{201c}{entry}\u{201d}. The team will check; if so, the report is closed and you are welcome to \
                 raise it in public."
            ),
            IntakeNotice::Missing { field } => {
                format!("The policy asks for {}; it helps the team to assess the report.", field.label())
            }
        }
    }
}

fn has(content: &ReportContent, field: ReportField) -> bool {
    let given = |v: &Option<String>| v.as_deref().is_some_and(|s| !s.trim().is_empty());
    match field {
        ReportField::Component => given(&content.component),
        ReportField::VersionsTested => given(&content.versions_tested),
        ReportField::VersionsVulnerable => given(&content.versions_vulnerable),
        ReportField::Lines => !content.lines.is_empty(),
        ReportField::Platform => given(&content.platform),
        ReportField::ThreatModel => given(&content.threat_model),
        ReportField::ProofOfConcept => given(&content.proof_of_concept),
        ReportField::Patch => given(&content.patch),
        ReportField::ReporterName => given(&content.reporter_name),
        ReportField::ReporterEmail => content.reporter_email.is_some(),
    }
}

/// What the policy requires: required fields present, release lines known,
/// the threat model one of the policy's. `signed_in` reporters need no contact address.
pub fn check_required(
    policy: &Policy,
    lines: &[ReleaseLine],
    content: &ReportContent,
    signed_in: bool,
) -> Result<(), FieldErrors> {
    let mut errors = Vec::new();
    for field in &policy.report.required.value {
        if *field == ReportField::ReporterEmail && signed_in {
            continue;
        }
        if !has(content, *field) {
            errors.push(TextError::Refused {
                field: field.as_str(),
                reason: format!("the policy requires {}", field.label()),
            });
        }
    }
    let known: Vec<&str> = match policy.releases.support.value {
        Support::Lines => lines.iter().map(|l| l.name.as_str()).collect(),
        Support::LatestOnly => vec![policy.releases.latest.value.as_str(), OLDER_BUILD],
    };
    if let Some(unknown) = content.lines.iter().find(|l| !known.contains(&l.as_str())) {
        let choices = if known.is_empty() { "none are listed for this project".to_owned() } else { known.join(", ") };
        errors.push(TextError::Refused {
            field: "lines",
            reason: format!("{unknown:?} is not a release line of this project; choose from: {choices}"),
        });
    }
    let models = &policy.threat_models.value;
    if let Some(cited) = content.threat_model.as_deref().map(str::trim).filter(|c| !c.is_empty())
        && !models.is_empty()
        && !models.iter().any(|m| m.id == cited)
    {
        let ids: Vec<&str> = models.iter().map(|m| m.id.as_str()).collect();
        errors.push(TextError::Refused {
            field: "threat_model",
            reason: format!("{cited:?} is not one of this policy's threat models: {}", ids.join(", ")),
        });
    }
    if errors.is_empty() { Ok(()) } else { Err(FieldErrors(errors)) }
}

/// Whether the reporter's text carries a severity judgement of their own.
fn mentions_severity(text: &str) -> bool {
    let lower = text.to_lowercase();
    lower.contains("cvss")
        || lower
            .split(|c: char| !c.is_alphanumeric())
            .collect::<Vec<_>>()
            .windows(2)
            .any(|w| matches!(w, ["severity", "critical" | "high" | "medium" | "moderate" | "low"]))
        || lower.contains("severity:")
}

/// The notice for a report whose component is one of the policy's experimental features.
pub fn experimental_feature(policy: &Policy, content: &ReportContent) -> Option<IntakeNotice> {
    let lower = content.component.as_deref()?.to_lowercase();
    let feature =
        policy.releases.experimental.value.iter().find(|f| !f.is_empty() && lower.contains(&f.to_lowercase()))?;
    Some(IntakeNotice::ExperimentalFeature { feature: feature.clone() })
}

/// The notice for a report about a platform the policy does not support.
pub fn unsupported_platform(policy: &Policy, content: &ReportContent) -> Option<IntakeNotice> {
    let platform = policy.platform(content.platform.as_deref()?)?;
    (platform.tier == Tier::Unsupported).then(|| IntakeNotice::UnsupportedPlatform {
        platform: platform.name.clone(),
        has_interested_parties: !platform.interested_parties.is_empty(),
    })
}

/// The notice for a report about something the policy's scope leaves out.
pub fn scope_notice(policy: &Policy, content: &ReportContent) -> Option<IntakeNotice> {
    let found = scope_match(policy, content)?;
    Some(match found.list {
        ScopeList::OutOfScope => IntakeNotice::OutOfScope { entry: found.entry },
        ScopeList::NotSecurity => IntakeNotice::NotSecurity { entry: found.entry },
    })
}

/// The notices a report earns under the policy.
pub fn notices(policy: &Policy, lines: &[ReleaseLine], content: &ReportContent) -> Vec<IntakeNotice> {
    let mut notices = Vec::new();
    let texts = [Some(&content.title), Some(&content.body), content.proof_of_concept.as_ref()];
    if texts.into_iter().flatten().any(|t| mentions_severity(t)) {
        notices.push(IntakeNotice::ReporterSeverity);
    }
    match policy.releases.support.value {
        Support::Lines => {
            let named: Vec<(String, LineStatus)> = content
                .lines
                .iter()
                .filter_map(|n| lines.iter().find(|l| l.name.as_str() == n).map(|l| (n.clone(), l.status)))
                .collect();
            let eligible = &policy.releases.cve_eligible.value;
            if !named.is_empty() && named.iter().all(|(_, status)| !eligible.contains(status)) {
                notices.push(IntakeNotice::UnsupportedLines { lines: named });
            }
        }
        Support::LatestOnly => {
            let latest = &policy.releases.latest.value;
            if !content.lines.is_empty() && !content.lines.iter().any(|l| l == latest) {
                notices.push(IntakeNotice::OnlyLatestSupported { latest: latest.clone() });
            }
        }
    }
    notices.extend(scope_notice(policy, content));
    notices.extend(experimental_feature(policy, content));
    notices.extend(unsupported_platform(policy, content));
    for field in &policy.report.recommended.value {
        if !has(content, *field) {
            notices.push(IntakeNotice::Missing { field: *field });
        }
    }
    notices
}

#[cfg(test)]
mod tests;
