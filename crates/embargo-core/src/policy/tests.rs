use super::*;

fn org() -> PolicyDraft {
    PolicyDraft {
        channels: ChannelsDraft { email: Some("security@example.org".parse().unwrap()), ..ChannelsDraft::default() },
        criteria: Some(vec![Criterion {
            id: "documented-behaviour".into(),
            title: "Documented behaviour".into(),
            explanation: "Documented behaviour is not a vulnerability.".into(),
        }]),
        releases: ReleasesDraft {
            fix_by_default: Some(vec![LineStatus::Bugfix]),
            fix_on_request: Some(vec![LineStatus::Security]),
            ..ReleasesDraft::default()
        },
        response: ResponseDraft { acknowledge: Some(Span::days(3)), ..ResponseDraft::default() },
        ..PolicyDraft::default()
    }
}

#[test]
fn an_organisation_policy_fills_in_over_the_defaults() {
    let policy = resolve(&org(), None);
    assert_eq!(policy.channels.web_form, Sourced { value: true, source: Source::Default });
    assert_eq!(policy.channels.email.source, Source::Organisation);
    assert_eq!(policy.releases.fix_by_default.value, vec![LineStatus::Bugfix]);
    assert_eq!(policy.releases.cve_eligible, Sourced { value: DEFAULT_CVE_ELIGIBLE.to_vec(), source: Source::Default });
    assert_eq!(policy.response.acknowledge.value, Some(Span::days(3)));
    assert_eq!(policy.response.triage, Sourced { value: None, source: Source::Default });
}

#[test]
fn a_project_overrides_field_by_field() {
    let project = PolicyDraft {
        channels: ChannelsDraft { web_form: Some(false), ..ChannelsDraft::default() },
        releases: ReleasesDraft { support: Some(Support::LatestOnly), ..ReleasesDraft::default() },
        response: ResponseDraft { triage: Some(Span::days(10)), ..ResponseDraft::default() },
        ..PolicyDraft::default()
    };
    let policy = resolve(&org(), Some(&project));
    assert_eq!(policy.channels.web_form, Sourced { value: false, source: Source::Project });
    assert_eq!(policy.channels.email.source, Source::Organisation, "a sibling field is still inherited");
    assert_eq!(policy.releases.support, Sourced { value: Support::LatestOnly, source: Source::Project });
    assert_eq!(policy.releases.fix_on_request.source, Source::Organisation);
    assert_eq!(policy.response.acknowledge.source, Source::Organisation);
    assert_eq!(policy.response.triage, Sourced { value: Some(Span::days(10)), source: Source::Project });
    assert_eq!(policy.criterion("documented-behaviour").map(|c| c.title.as_str()), Some("Documented behaviour"));
}

#[test]
fn lists_are_replaced_whole() {
    let project = PolicyDraft { criteria: Some(Vec::new()), ..PolicyDraft::default() };
    let policy = resolve(&org(), Some(&project));
    assert_eq!(policy.criteria, Sourced { value: Vec::new(), source: Source::Project });
}

#[test]
fn checks_name_the_field() {
    let mut bad = org();
    bad.threat_models = Some(vec![
        ThreatModel { id: "Bad Id".into(), title: "t".into(), text: "x".into() },
        ThreatModel { id: "dup".into(), title: "t".into(), text: "x".into() },
        ThreatModel { id: "dup".into(), title: "".into(), text: "x".into() },
    ]);
    bad.report.required = Some(vec![ReportField::ProofOfConcept]);
    bad.report.recommended = Some(vec![ReportField::ProofOfConcept]);
    bad.channels.openpgp_key = Some("not a key".into());
    bad.conduct.code_of_conduct = Some("javascript:alert(1)".into());
    bad.advisories.prefix = Some("PALLETS".parse().unwrap());
    let fields: Vec<String> = bad.check(Level::Project).unwrap_err().into_iter().map(|e| e.field).collect();
    assert_eq!(
        fields,
        vec![
            "threat_models[0].id",
            "threat_models[2].id",
            "threat_models[2]",
            "report.recommended",
            "channels.openpgp_key",
            "conduct.code_of_conduct",
            "advisories.prefix",
        ]
    );
    assert_eq!(org().check(Level::Organisation), Ok(()));
}

#[test]
fn names_round_trip() {
    for field in ReportField::ALL {
        assert_eq!(field.as_str().parse::<ReportField>(), Ok(field));
    }
    for tier in [Tier::Tier1, Tier::Tier2, Tier::Tier3, Tier::Unsupported] {
        assert_eq!(tier.as_str().parse::<Tier>(), Ok(tier));
    }
    for mode in [CnaMode::None, CnaMode::IdPool, CnaMode::CveServices] {
        assert_eq!(mode.as_str().parse::<CnaMode>(), Ok(mode));
    }
    assert!("sometimes".parse::<DisclosureRule>().is_err());
}
