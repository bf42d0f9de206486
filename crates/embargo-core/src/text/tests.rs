use super::*;

fn check_slug(input: &str, ok: bool) {
    assert_eq!(input.parse::<Slug>().is_ok(), ok, "slug {input:?}");
}

fn check_email(input: &str, expected: Option<&str>) {
    let got = input.parse::<Email>().ok().map(|e| e.to_string());
    assert_eq!(got.as_deref(), expected, "email {input:?}");
}

#[test]
fn slugs() {
    check_slug("pallets", true);
    check_slug("python-security", true);
    check_slug("a", true);
    check_slug("x1", true);
    check_slug("", false);
    check_slug("-lead", false);
    check_slug("trail-", false);
    check_slug("Upper", false);
    check_slug("under_score", false);
    check_slug("dot.ted", false);
    check_slug("api", true);
    check_slug(&"a".repeat(41), false);
}

#[test]
fn issue_16_slug_api_is_a_fine_project_and_a_refused_organisation_saying_why() {
    assert_eq!(Slug::project("api").map(|s| s.to_string()), Ok("api".to_owned()));
    let refused = Slug::organisation("api").unwrap_err().to_string();
    assert!(refused.contains("/api is one of Embargo's own addresses"), "{refused}");
    assert!(refused.contains("a project may be called \"api\""), "{refused}");
    let refused = Slug::project("team").unwrap_err().to_string();
    assert!(refused.contains("/ORG/team is the organisation's team page"), "{refused}");
    assert!(Slug::organisation("pallets").is_ok() && Slug::project("flask").is_ok());
    assert!(Slug::organisation("Bad").is_err() && Slug::project("-x").is_err());
}

#[test]
fn emails() {
    check_email("Alice@Example.ORG", Some("alice@example.org"));
    check_email("  bob@localhost ", Some("bob@localhost"));
    check_email("no-at-sign", None);
    check_email("@example.org", None);
    check_email("a@b", None);
    check_email("a@.example.org", None);
    check_email("a b@example.org", None);
    check_email("a@example..org", None);
    check_email("<a@example.org>", None);
}

#[test]
fn email_debug_hides_the_local_part() {
    let email: Email = "secret.person@example.org".parse().unwrap();
    assert_eq!(format!("{email:?}"), "email:…@example.org");
}

#[test]
fn plain_text_refuses_control_characters_but_keeps_layout() {
    assert_eq!(plain_text("body", "a\r\nb\tc\rd", 100).unwrap(), "a\nb\tc\nd");
    assert_eq!(plain_text("body", "nul\0byte", 100), Err(TextError::NotPlainText { field: "body", code: 0 }));
    assert_eq!(plain_text("body", "bell\u{7}", 100), Err(TextError::NotPlainText { field: "body", code: 7 }));
    assert_eq!(plain_text("body", "12345", 4), Err(TextError::TooLong { field: "body", max: 4, unit: "bytes" }));
    assert_eq!(required_text("body", "  \n ", 100), Err(TextError::Empty { field: "body" }));
}

#[test]
fn one_line_fields() {
    assert_eq!(one_line("title", "  XSS in template  ", 200).unwrap(), "XSS in template");
    assert_eq!(one_line("title", "two\nlines", 200), Err(TextError::MultiLine { field: "title" }));
    assert_eq!(one_line("title", "", 200), Err(TextError::Empty { field: "title" }));
    assert_eq!(one_line("title", "ééé", 2), Err(TextError::TooLong { field: "title", max: 2, unit: "characters" }));
    assert_eq!(optional_line("platform", Some("  "), 10).unwrap(), None);
    assert_eq!(optional_line("platform", Some(" linux "), 10).unwrap(), Some("linux".to_owned()));
}
