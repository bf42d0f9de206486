use time::macros::date;
use uuid::Uuid;

use super::*;
use crate::eligibility::{eligibility, fix_lines_sentence, report_eligibility};
use crate::id::ProjectId;
use crate::policy::{Platform, PolicyDraft, ReleasesDraft, ReportDraft, ThreatModel, resolve};

fn line(name: &str, status: LineStatus) -> ReleaseLine {
    ReleaseLine {
        project_id: ProjectId::from_uuid(Uuid::from_u128(1)),
        name: name.parse().unwrap(),
        status,
        released_on: Some(date!(2024 - 01 - 01)),
        end_of_life_on: None,
    }
}

fn runtime_lines() -> Vec<ReleaseLine> {
    vec![
        line("3.15", LineStatus::Feature),
        line("3.14", LineStatus::Prerelease),
        line("3.13", LineStatus::Bugfix),
        line("3.12", LineStatus::Security),
        line("3.8", LineStatus::EndOfLife),
    ]
}

fn runtime() -> PolicyDraft {
    PolicyDraft {
        threat_models: Some(vec![ThreatModel {
            id: "untrusted-data".into(),
            title: "Untrusted data".into(),
            text: "x".into(),
        }]),
        releases: ReleasesDraft { experimental: Some(vec!["free-threading".into()]), ..ReleasesDraft::default() },
        platforms: Some(vec![Platform {
            name: "AIX".into(),
            tier: crate::policy::Tier::Unsupported,
            interested_parties: vec!["aix-port@example.org".parse().unwrap()],
        }]),
        report: ReportDraft {
            required: Some(vec![ReportField::VersionsTested]),
            recommended: Some(vec![ReportField::ProofOfConcept, ReportField::ThreatModel]),
            ..ReportDraft::default()
        },
        ..PolicyDraft::default()
    }
}

fn content() -> ReportContent {
    ReportContent {
        title: "Heap overflow in the tokenizer".into(),
        body: "Crafted source overflows a buffer.".into(),
        versions_tested: Some("3.13.1".into()),
        lines: vec!["3.13".into()],
        ..ReportContent::default()
    }
}

fn codes(notices: &[IntakeNotice]) -> Vec<&'static str> {
    notices.iter().map(IntakeNotice::code).collect()
}

#[test]
fn required_fields_known_lines_and_threat_models() {
    let policy = resolve(&runtime(), None);
    let lines = runtime_lines();
    assert_eq!(check_required(&policy, &lines, &content(), false), Ok(()));

    let missing = ReportContent { versions_tested: None, ..content() };
    let errors = check_required(&policy, &lines, &missing, false).unwrap_err();
    assert_eq!(errors.0[0].field(), "versions_tested");

    let unknown_line = ReportContent { lines: vec!["2.7".into()], ..content() };
    let message = check_required(&policy, &lines, &unknown_line, false).unwrap_err().to_string();
    assert!(message.contains("\"2.7\" is not a release line") && message.contains("3.13"), "{message}");

    let unknown_model = ReportContent { threat_model: Some("my-own".into()), ..content() };
    let message = check_required(&policy, &lines, &unknown_model, false).unwrap_err().to_string();
    assert!(message.contains("untrusted-data"), "{message}");
}

#[test]
fn a_signed_in_reporter_needs_no_contact_address() {
    let draft = PolicyDraft {
        report: ReportDraft { required: Some(vec![ReportField::ReporterEmail]), ..ReportDraft::default() },
        ..PolicyDraft::default()
    };
    let policy = resolve(&draft, None);
    assert!(check_required(&policy, &[], &ReportContent::default(), false).is_err());
    assert_eq!(check_required(&policy, &[], &ReportContent::default(), true), Ok(()));
}

#[test]
fn recommended_fields_are_flagged_not_required() {
    let policy = resolve(&runtime(), None);
    let notices = notices(&policy, &runtime_lines(), &content());
    assert_eq!(
        notices,
        vec![
            IntakeNotice::Missing { field: ReportField::ProofOfConcept },
            IntakeNotice::Missing { field: ReportField::ThreatModel }
        ]
    );
    let complete = ReportContent {
        proof_of_concept: Some("exit 1".into()),
        threat_model: Some("untrusted-data".into()),
        ..content()
    };
    assert!(notices_of(&complete).is_empty());
}

fn notices_of(content: &ReportContent) -> Vec<IntakeNotice> {
    notices(&resolve(&runtime(), None), &runtime_lines(), content)
}

#[test]
fn a_reporter_score_is_noted_as_not_the_teams() {
    for body in
        ["CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", "I rate this severity: critical", "cvss 9.8", "Severity High"]
    {
        let c = ReportContent {
            body: body.into(),
            proof_of_concept: Some("x".into()),
            threat_model: Some("untrusted-data".into()),
            ..content()
        };
        assert_eq!(codes(&notices_of(&c)), ["reporter_severity"], "{body}");
    }
}

#[test]
fn end_of_life_and_prerelease_only_reports_are_told_they_get_no_cve() {
    let complete = |lines: &[&str]| ReportContent {
        lines: lines.iter().map(|l| (*l).to_owned()).collect(),
        proof_of_concept: Some("x".into()),
        threat_model: Some("untrusted-data".into()),
        ..content()
    };
    let n = notices_of(&complete(&["3.8", "3.14"]));
    assert_eq!(
        n,
        vec![IntakeNotice::UnsupportedLines {
            lines: vec![("3.8".into(), LineStatus::EndOfLife), ("3.14".into(), LineStatus::Prerelease)]
        }]
    );
    assert!(n[0].message().contains("not eligible for a CVE"));
    assert!(notices_of(&complete(&["3.8", "3.13"])).is_empty(), "one supported line suffices");
    assert!(notices_of(&complete(&[])).is_empty(), "no lines named, nothing to say");
}

#[test]
fn experimental_features_and_unsupported_platforms() {
    let c = ReportContent {
        component: Some("The free-threading build".into()),
        platform: Some("aix".into()),
        proof_of_concept: Some("x".into()),
        threat_model: Some("untrusted-data".into()),
        ..content()
    };
    let n = notices_of(&c);
    assert_eq!(codes(&n), ["experimental_feature", "unsupported_platform"]);
    assert!(n[1].message().contains("shared with the parties interested"));
    assert!(n.iter().all(IntakeNotice::names_report_details), "both name what the report is about");
}

#[test]
fn notices_that_name_nothing_of_the_report_may_travel_in_clear() {
    let check = |notice: IntakeNotice, names: bool| assert_eq!(notice.names_report_details(), names, "{notice:?}");
    check(IntakeNotice::ReporterSeverity, false);
    check(IntakeNotice::Missing { field: ReportField::Platform }, false);
    check(IntakeNotice::OnlyLatestSupported { latest: "main".into() }, false);
    check(IntakeNotice::UnsupportedLines { lines: vec![("3.8".into(), LineStatus::EndOfLife)] }, true);
    check(IntakeNotice::ExperimentalFeature { feature: "jit".into() }, true);
    check(IntakeNotice::UnsupportedPlatform { platform: "AIX".into(), has_interested_parties: false }, true);
}

#[test]
fn latest_only_projects_tell_reporters_of_older_builds() {
    let draft = PolicyDraft {
        releases: ReleasesDraft {
            support: Some(crate::policy::Support::LatestOnly),
            latest: Some("main".into()),
            ..ReleasesDraft::default()
        },
        ..PolicyDraft::default()
    };
    let policy = resolve(&draft, None);
    let older = ReportContent { lines: vec![OLDER_BUILD.into()], ..content() };
    assert_eq!(check_required(&policy, &[], &older, false), Ok(()));
    let n = notices(&policy, &[], &older);
    assert_eq!(n, vec![IntakeNotice::OnlyLatestSupported { latest: "main".into() }]);
    assert!(n[0].message().contains("Only the latest build (main) is supported"));
    let latest = ReportContent { lines: vec!["main".into()], ..content() };
    assert!(notices(&policy, &[], &latest).is_empty());
    assert!(check_required(&policy, &[], &ReportContent { lines: vec!["v1.2".into()], ..content() }, false).is_err());

    let e = eligibility(&policy, &[], &["main".into()]);
    assert!(e.cve);
    assert_eq!(e.fix_by_default, vec!["main".to_owned()]);
    assert!(!eligibility(&policy, &[], &[OLDER_BUILD.into()]).cve);
}

#[test]
fn eligibility_follows_line_statuses() {
    let policy = resolve(&runtime(), None);
    let lines = runtime_lines();
    let affected: Vec<String> = ["3.14", "3.13", "3.12", "3.8"].iter().map(|s| (*s).to_owned()).collect();
    let e = eligibility(&policy, &lines, &affected);
    assert!(e.cve);
    assert_eq!(e.cve_lines, vec!["3.13", "3.12"]);
    assert_eq!(e.fix_by_default, vec!["3.13", "3.12"]);
    assert_eq!(
        e.unsupported,
        vec![("3.14".into(), Some(LineStatus::Prerelease)), ("3.8".into(), Some(LineStatus::EndOfLife))]
    );

    let prerelease_only = eligibility(&policy, &lines, &["3.14".into()]);
    assert!(!prerelease_only.cve);
    assert!(prerelease_only.explanation.contains("not eligible"));

    let shared = PolicyDraft {
        releases: ReleasesDraft {
            fix_by_default: Some(vec![LineStatus::Bugfix]),
            fix_on_request: Some(vec![LineStatus::Security]),
            ..ReleasesDraft::default()
        },
        ..PolicyDraft::default()
    };
    let e = eligibility(&resolve(&shared, None), &lines, &["3.13".into(), "3.12".into()]);
    assert_eq!((e.fix_by_default, e.fix_on_request), (vec!["3.13".to_owned()], vec!["3.12".to_owned()]));
    assert!(eligibility(&policy, &lines, &[]).explanation.contains("Name the affected release lines"));
}

#[test]
fn issue_16_experimental_feature_and_unsupported_platform_reports_are_not_cve_eligible() {
    let policy = resolve(&runtime(), None);
    let lines = runtime_lines();
    let affected: Vec<String> = vec!["3.13".into(), "3.12".into()];
    let ordinary = report_eligibility(&policy, &lines, &affected, &content());
    assert!(ordinary.cve, "{ordinary:?}");
    let jit = ReportContent { component: Some("the free-threading build".into()), ..content() };
    let e = report_eligibility(&policy, &lines, &affected, &jit);
    assert!(!e.cve && e.cve_lines.is_empty(), "{e:?}");
    assert!(e.explanation.contains("free-threading is an experimental feature"), "{}", e.explanation);
    assert!(!e.explanation.contains("may be requested"), "{}", e.explanation);
    assert_eq!(e.fix_by_default, vec!["3.13", "3.12"], "still fixed: a bug is a bug");
    let aix = ReportContent { platform: Some("aix".into()), ..content() };
    let e = report_eligibility(&policy, &lines, &affected, &aix);
    assert!(!e.cve);
    assert!(e.explanation.contains("AIX is not a supported platform"), "{}", e.explanation);
}

#[test]
fn issue_16_the_report_page_names_fix_by_default_and_on_request_lines() {
    let shared = PolicyDraft {
        releases: ReleasesDraft {
            fix_by_default: Some(vec![LineStatus::Bugfix]),
            fix_on_request: Some(vec![LineStatus::Security]),
            ..ReleasesDraft::default()
        },
        ..PolicyDraft::default()
    };
    let lines = runtime_lines();
    let e = eligibility(&resolve(&shared, None), &lines, &["3.13".into(), "3.12".into()]);
    assert_eq!(fix_lines_sentence(&e).as_deref(), Some("Fixed by default in 3.13; on request in 3.12."));
    let e = eligibility(&resolve(&shared, None), &lines, &["3.12".into()]);
    assert_eq!(fix_lines_sentence(&e).as_deref(), Some("Fixed only on request in 3.12."));
    let e = eligibility(&resolve(&shared, None), &lines, &["3.8".into()]);
    assert_eq!(fix_lines_sentence(&e), None);
}
