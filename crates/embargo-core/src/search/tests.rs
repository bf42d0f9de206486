//! Unit tests of the search words and queries.

use super::*;

fn check(query: &str, terms: &[&str]) {
    assert_eq!(parse(query).unwrap().terms, terms, "{query}");
}

#[test]
fn text_is_indexed_under_every_prefix_of_three_or_more() {
    let terms = text_terms("XSS in Jinja2's sandbox!");
    for term in ["xss", "jin", "jinj", "jinja", "jinja2", "san", "sandbox"] {
        assert!(terms.contains(term), "{term}");
    }
    for absent in ["in", "s", "xs", "jinja2's", "x"] {
        assert!(!terms.contains(absent), "{absent}");
    }
    let long = "a".repeat(40);
    assert!(text_terms(&long).iter().all(|t| t.chars().count() <= MAX_PREFIX));
    assert!(text_terms("Überlauf").contains("übe"));
}

#[test]
fn adjacent_words_are_indexed_as_pairs_for_phrases() {
    let terms = text_terms("Overflow in the parser. Buffer");
    for pair in ["overflow in", "in the", "the parser", "parser buffer"] {
        assert!(terms.contains(pair), "{pair}");
    }
    assert!(!terms.contains("overflow the") && !terms.contains("parser overflow"));
    // A phrase's pairs are among the text's only when its words stand together, in order.
    let phrase = parse("\"overflow in the parser\"").unwrap().terms;
    assert!(phrase.iter().all(|t| terms.contains(t)), "{phrase:?}");
    let reversed = parse("\"parser overflow\"").unwrap().terms;
    assert!(!reversed.iter().all(|t| terms.contains(t)), "{reversed:?}");
    let long = format!("{} tail", "x".repeat(30));
    assert!(text_terms(&long).contains(&format!("{} tail", "x".repeat(MAX_PREFIX))));
}

#[test]
fn queries_read_words_phrases_and_filters() {
    check("Sandbox escape", &["escape", "sandbox"]);
    check("\"template injection\"", &["template injection"]);
    check("\"overflow in the parser\" xss", &["in the", "overflow in", "the parser", "xss"]);
    check("\"a\" sandbox", &["sandbox"]);
    check("\"sandbox\" \"jinja2's sandbox", &["jinja2 s", "s sandbox", "sandbox"]);
    check("cwe:79 CVE:CVE-2026-1234 san", &["cve:cve-2026-1234", "cwe:79", "san"]);
    check("cwe:CWE-79", &["cwe:79"]);
    let q = parse("state:fixed project:pallets/flask assignee:me overflow").unwrap();
    assert_eq!(q.state.as_deref(), Some("fixed"));
    assert_eq!(q.project.as_deref(), Some("pallets/flask"));
    assert_eq!(q.assignee.as_deref(), Some("me"));
    assert_eq!(parse(&format!("{} tail", "x".repeat(30))).unwrap().terms, ["tail".to_owned(), "x".repeat(MAX_PREFIX)]);
}

#[test]
fn bad_queries_are_refused_by_name() {
    assert_eq!(parse("xs"), Err(SearchError::TooShort("xs".into())));
    assert_eq!(parse(""), Err(SearchError::Nothing));
    assert_eq!(parse("colour:red"), Err(SearchError::UnknownFilter("colour".into())));
    assert_eq!(parse("state:"), Err(SearchError::Empty("state".into())));
    assert_eq!(parse("aaa bbb ccc ddd eee fff ggg hhh iii"), Err(SearchError::TooMany));
    assert_eq!(cwe_term(&"CWE-79".parse().unwrap()), "cwe:79");
}

#[test]
fn only_filter_terms_name_fields() {
    for term in text_terms("Overflow in the parser: cve 2026 jinja2's") {
        assert!(!is_field(&term), "{term:?}");
    }
    assert!(is_field(&cwe_term(&"CWE-79".parse().unwrap())));
    assert!(is_field(&cve_term("CVE-2026-1234")));
}
