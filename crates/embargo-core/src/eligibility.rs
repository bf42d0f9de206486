//! Which affected release lines make a report CVE-eligible, and which lines
//! should get the fix (by default or on request), as the policy says; and
//! whether the report's feature or platform takes eligibility away.

use crate::intake::{IntakeNotice, experimental_feature, unsupported_platform};
use crate::policy::{Policy, Support};
use crate::project::{LineStatus, ReleaseLine};
use crate::report::ReportContent;

/// What the policy says about a vulnerability affecting some lines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Eligibility {
    /// Whether a CVE id may be requested.
    pub cve: bool,
    /// The affected lines the CVE covers.
    pub cve_lines: Vec<String>,
    /// Affected lines that get the fix by default.
    pub fix_by_default: Vec<String>,
    /// Affected lines that get the fix only on request.
    pub fix_on_request: Vec<String>,
    /// Affected lines the policy gives neither CVE nor fix (end of life, prereleases, ...).
    pub unsupported: Vec<(String, Option<LineStatus>)>,
    /// Why, in one sentence for the advisory editor.
    pub explanation: String,
}

/// Applies the policy to the affected lines (names; unknown names count as unsupported).
pub fn eligibility(policy: &Policy, lines: &[ReleaseLine], affected: &[String]) -> Eligibility {
    let mut result = Eligibility {
        cve: false,
        cve_lines: Vec::new(),
        fix_by_default: Vec::new(),
        fix_on_request: Vec::new(),
        unsupported: Vec::new(),
        explanation: String::new(),
    };
    if affected.is_empty() {
        result.explanation = "Name the affected release lines to see whether a CVE may be requested.".to_owned();
        return result;
    }
    match policy.releases.support.value {
        Support::LatestOnly => {
            let latest = &policy.releases.latest.value;
            for name in affected {
                if name == latest {
                    result.cve_lines.push(name.clone());
                    result.fix_by_default.push(name.clone());
                } else {
                    result.unsupported.push((name.clone(), None));
                }
            }
            result.cve = !result.cve_lines.is_empty();
            result.explanation = if result.cve {
                format!("The latest build ({latest}) is affected: a CVE may be requested and the fix goes into it.")
            } else {
                format!("Only the latest build ({latest}) is supported and it is not named as affected.")
            };
        }
        Support::Lines => {
            for name in affected {
                let status = lines.iter().find(|l| l.name.as_str() == name).map(|l| l.status);
                let Some(status) = status else {
                    result.unsupported.push((name.clone(), None));
                    continue;
                };
                let mut supported = false;
                if policy.releases.cve_eligible.value.contains(&status) {
                    result.cve_lines.push(name.clone());
                    supported = true;
                }
                if policy.releases.fix_by_default.value.contains(&status) {
                    result.fix_by_default.push(name.clone());
                    supported = true;
                } else if policy.releases.fix_on_request.value.contains(&status) {
                    result.fix_on_request.push(name.clone());
                    supported = true;
                }
                if !supported {
                    result.unsupported.push((name.clone(), Some(status)));
                }
            }
            result.cve = !result.cve_lines.is_empty();
            let statuses: Vec<&str> = policy.releases.cve_eligible.value.iter().map(|s| s.as_str()).collect();
            result.explanation = if result.cve {
                format!(
                    "A CVE may be requested for {} (lines with status {}).",
                    result.cve_lines.join(", "),
                    statuses.join(" or ")
                )
            } else {
                format!(
                    "No affected line has status {}: not eligible for a CVE; handle it as an ordinary bug.",
                    statuses.join(" or ")
                )
            };
        }
    }
    result
}

/// [`eligibility`] for a report: its affected lines as the policy treats
/// them, except that a report about an experimental feature, or about an
/// unsupported platform only, is never eligible for a CVE (as the intake
/// notices told the reporter). The fix lines stay: a bug still gets fixed.
pub fn report_eligibility(
    policy: &Policy,
    lines: &[ReleaseLine],
    affected: &[String],
    content: &ReportContent,
) -> Eligibility {
    let mut result = eligibility(policy, lines, affected);
    let reason = match (experimental_feature(policy, content), unsupported_platform(policy, content)) {
        (Some(IntakeNotice::ExperimentalFeature { feature }), _) => format!(
            "{feature} is an experimental feature: under the policy it is not eligible for a CVE; \
             handle it as an ordinary bug."
        ),
        (_, Some(IntakeNotice::UnsupportedPlatform { platform, .. })) => format!(
            "{platform} is not a supported platform: under the policy an issue only there is not eligible for a \
             CVE; handle it as an ordinary bug."
        ),
        _ => return result,
    };
    result.cve = false;
    result.cve_lines.clear();
    result.explanation = reason;
    result
}

/// Who gets the fix, in one sentence for the report page: the affected lines
/// fixed by default and those fixed only on request; `None` when no
/// affected line gets a fix.
pub fn fix_lines_sentence(result: &Eligibility) -> Option<String> {
    match (result.fix_by_default.is_empty(), result.fix_on_request.is_empty()) {
        (true, true) => None,
        (false, true) => Some(format!("Fixed by default in {}.", result.fix_by_default.join(", "))),
        (true, false) => Some(format!("Fixed only on request in {}.", result.fix_on_request.join(", "))),
        (false, false) => Some(format!(
            "Fixed by default in {}; on request in {}.",
            result.fix_by_default.join(", "),
            result.fix_on_request.join(", ")
        )),
    }
}
