use super::*;

fn content() -> ReportContent {
    ReportContent {
        title: "Crash on empty header (MARKER-TITLE) from ada@example.org".into(),
        body: "Ada Lovelace found that an empty header crashes.\nContact ADA@EXAMPLE.ORG.".into(),
        component: Some("http/parser".into()),
        versions_tested: Some("3.0.0rc1".into()),
        versions_vulnerable: Some("3.0.0rc1".into()),
        lines: vec!["3.0".into()],
        platform: Some("Linux".into()),
        threat_model: Some("MARKER-THREAT-MODEL".into()),
        proof_of_concept: Some("print('MARKER-POC')\n```inner```".into()),
        patch: Some("MARKER-PATCH".into()),
        reporter_name: Some("Ada Lovelace".into()),
        reporter_email: Some("ada@example.org".parse().unwrap()),
    }
}

fn identity() -> Vec<String> {
    vec!["Ada Lovelace".into(), "ada@example.org".into()]
}

#[test]
fn an_anonymous_issue_names_nobody_and_holds_no_address_patch_or_threat_model() {
    let (content, identity) = (content(), identity());
    let source = Source {
        content: &content,
        state: ReportState::NotVulnerable,
        project: "Flask",
        include_poc: false,
        named: None,
        identity: &identity,
    };
    let text = compose(&source);
    let all = format!("{}\n{}", text.title, text.body);
    for private in ["Ada", "ada@", "ADA@", "MARKER-POC", "MARKER-PATCH", "MARKER-THREAT-MODEL"] {
        assert!(!all.contains(private), "{private} in:\n{all}");
    }
    assert!(text.title.contains("MARKER-TITLE"), "the title is the report's");
    assert!(text.body.contains("[reporter] found that"), "{}", text.body);
    assert!(text.body.contains("- **Component:** http/parser"), "{}", text.body);
    assert!(text.body.contains("not a security vulnerability"), "{}", text.body);
}

#[test]
fn a_named_reporter_is_credited_but_their_address_never_shows() {
    let (content, identity) = (content(), identity());
    let source = Source {
        content: &content,
        state: ReportState::OutOfScope,
        project: "Flask",
        include_poc: true,
        named: Some("Ada Lovelace"),
        identity: &identity,
    };
    let text = compose(&source);
    let all = format!("{}\n{}", text.title, text.body);
    assert!(!all.to_lowercase().contains("ada@example.org"), "{all}");
    assert!(text.body.contains("Reported by Ada Lovelace."), "{}", text.body);
    assert!(text.body.contains("outside the scope"), "{}", text.body);
    assert!(
        text.body.contains("````\nprint('MARKER-POC')\n```inner```\n````"),
        "a fence longer than the PoC's: {}",
        text.body
    );
}

#[test]
fn only_ordinary_declines_qualify() {
    let qualifying: Vec<ReportState> = ReportState::ALL.into_iter().filter(|s| qualifies(*s)).collect();
    assert_eq!(qualifying, vec![ReportState::NotVulnerable, ReportState::OutOfScope]);
}

#[test]
fn answers_round_trip_and_only_consent_allows_publication() {
    for answer in Answer::ALL {
        assert_eq!(answer.as_str().parse::<Answer>().unwrap(), answer);
    }
    assert!(Answer::Named.allows_publication() && Answer::Anonymous.allows_publication());
    assert!(!Answer::Pending.allows_publication() && !Answer::Objected.allows_publication());
    assert!("maybe".parse::<Answer>().is_err());
}
