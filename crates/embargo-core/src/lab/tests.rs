use super::*;

fn check(texts: &[&str], expected: &[&str]) {
    assert_eq!(identifiers(texts), expected, "identifiers of {texts:?}");
}

#[test]
fn identifiers_by_shape() {
    check(&["The parse_header function overflows"], &["parse_header"]);
    check(&["calls render( with a long name"], &["render"]);
    check(&["see `decode_chunk` and `Frame`"], &["decode_chunk", "Frame"]);
    check(&["in src/parser/header.py line 3"], &["src/parser/header.py"]);
    check(&["run with --max-size=5 or --x"], &["--max-size"]);
    check(&["the HeaderParser class"], &["HeaderParser"]);
    check(&["tinyparse.core.parse_header(data)"], &["parse_header"]);
    check(&["std::str::from_utf8 and crate::lex::tokenize("], &["from_utf8", "tokenize"]);
    check(&["a file named setup.cfg"], &["setup.cfg"]);
    check(&["__reduce__ is reachable"], &["__reduce__"]);
}

#[test]
fn prose_keywords_and_common_modules_are_not_identifiers() {
    check(&["The server crashes when the header is long. It is bad."], &[]);
    check(&["import sys\nimport os\nsys.exit(1)\nprint(x)"], &[]);
    check(&["see https://example.org/a/b.py for details"], &[]);
    check(&["version 2.0.1 and 1.2"], &[]);
}

#[test]
fn identifiers_are_deduplicated_across_texts_and_bounded() {
    check(&["parse_header", "`parse_header` and read_frame"], &["parse_header", "read_frame"]);
    let many: String = (0..100).map(|i| format!("name_{i} ")).collect();
    assert_eq!(identifiers(&[&many]).len(), MAX_IDENTIFIERS);
}

#[test]
fn verdicts_follow_the_contract() {
    assert_eq!(verdict(Ending::Exited(1)).0, LabResult::Vulnerable);
    assert_eq!(verdict(Ending::Exited(0)).0, LabResult::NotVulnerable);
    assert_eq!(verdict(Ending::Exited(2)), (LabResult::Inconclusive, "exit code 2".into()));
    assert_eq!(verdict(Ending::Signalled(9)), (LabResult::Inconclusive, "killed by signal 9".into()));
    assert_eq!(verdict(Ending::TimedOut { seconds: 5 }), (LabResult::Inconclusive, "timed out after 5 s".into()));
    for r in [LabResult::Vulnerable, LabResult::NotVulnerable, LabResult::Inconclusive] {
        assert_eq!(r.as_str().parse::<LabResult>().unwrap(), r);
    }
    assert!("maybe".parse::<LabResult>().is_err());
}

fn g(found: bool) -> Grounding {
    Grounding { name: "x".into(), found, location: None }
}

#[test]
fn flagged_when_most_names_are_missing() {
    assert!(!grounding_flagged(&[]));
    assert!(!grounding_flagged(&[g(false), g(false)]), "too few names to judge");
    assert!(grounding_flagged(&[g(false), g(false), g(true)]));
    assert!(!grounding_flagged(&[g(false), g(true), g(true)]));
    assert!(!grounding_flagged(&[g(false), g(false), g(true), g(true)]), "half is not most");
}
