use embargo_core::policy::{Level, Source, resolve};

use super::*;

const ORG: &str = r#"
[channels]
email = "security@example.org"
languages = ["en", "de"]

[releases]
fix_by_default = ["bugfix"]
fix_on_request = ["security"]

[response]
acknowledge = "2d"

[[criteria]]
id = "documented-behaviour"
title = "Documented behaviour"
explanation = "Behaviour the documentation describes is not a vulnerability."
"#;

fn check_syntax(text: &str, line: usize, needle: &str) {
    match parse(text, Level::Organisation) {
        Err(PolicyFileError::Syntax { line: l, message, .. }) => {
            assert_eq!(l, line, "{message}");
            assert!(message.contains(needle), "{message:?} should mention {needle:?}");
        }
        other => panic!("expected a syntax error, got {other:?}"),
    }
}

#[test]
fn a_policy_file_parses_into_a_draft() {
    let file = parse(ORG, Level::Organisation).unwrap();
    assert_eq!(file.draft.channels.email.as_ref().map(ToString::to_string).as_deref(), Some("security@example.org"));
    assert_eq!(file.draft.releases.fix_on_request, Some(vec![LineStatus::Security]));
    assert_eq!(file.draft.criteria.as_ref().map(Vec::len), Some(1));
    assert_eq!(file.lines, None);
}

#[test]
fn errors_name_the_line_and_the_field() {
    check_syntax("[channels]\nweb_form = true\nwebform = false\n", 3, "webform");
    check_syntax("[channels]\nweb_form = \"yes\"\n", 2, "bool");
    check_syntax("[chanels]\nweb_form = true\n", 1, "chanels");
    check_syntax("[channels\n", 1, "");
    let invalid = parse(
        "[response]\nacknowledge = \"soon\"\n\n[releases]\ncve_eligible = [\"bugfix\", \"stable\"]\n",
        Level::Organisation,
    );
    match invalid {
        Err(PolicyFileError::Invalid(errors)) => {
            let fields: Vec<&str> = errors.iter().map(|e| e.error.field.as_str()).collect();
            assert_eq!(fields, ["releases.cve_eligible[1]", "response.acknowledge"]);
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn release_lines_belong_to_projects() {
    let text = "[releases]\nsupport = \"lines\"\n\n[[releases.lines]]\nname = \"3.13\"\nstatus = \"bugfix\"\nreleased_on = 2024-10-07\n";
    let file = parse(text, Level::Project).unwrap();
    let lines = file.lines.unwrap();
    assert_eq!(lines[0].name.as_str(), "3.13");
    assert_eq!(lines[0].released_on, Some(time::macros::date!(2024 - 10 - 07)));
    assert!(matches!(parse(text, Level::Organisation), Err(PolicyFileError::Invalid(_))));
    let twice = format!("{text}\n[[releases.lines]]\nname = \"3.13\"\nstatus = \"security\"\n");
    assert!(parse(&twice, Level::Project).is_err());
}

#[test]
fn show_after_apply_gives_the_same_toml() {
    let applied = parse(ORG, Level::Organisation).unwrap();
    let shown = render(&resolve(&applied.draft, None), Level::Organisation, None, false);
    let reapplied = parse(&shown, Level::Organisation).unwrap();
    assert_eq!(resolve(&reapplied.draft, None).criteria.value, resolve(&applied.draft, None).criteria.value);
    let shown_again = render(&resolve(&reapplied.draft, None), Level::Organisation, None, false);
    assert_eq!(shown, shown_again);
    // A file already in canonical form comes back byte for byte.
    assert_eq!(
        render(&resolve(&parse(&shown, Level::Organisation).unwrap().draft, None), Level::Organisation, None, false),
        shown
    );
}

#[test]
fn provenance_comments_say_where_fields_come_from() {
    let org = parse(ORG, Level::Organisation).unwrap().draft;
    let project = parse("[channels]\nweb_form = false\n", Level::Project).unwrap().draft;
    let policy = resolve(&org, Some(&project));
    let shown = render(&policy, Level::Project, None, true);
    assert!(shown.contains("# channels: email, languages from the organisation; web_form from the project"), "{shown}");
    assert!(shown.contains("# scope: all defaults"), "{shown}");
    assert_eq!(sources(&policy)["channels.api"], Source::Default);
    // Comments change nothing: the shown file applies as the same policy.
    let back = parse(&shown, Level::Project).unwrap().draft;
    assert!(!resolve(&back, None).channels.web_form.value);
}

const LAB: &str = r#"
[lab]
repository = "https://example.org/tinyparse.git"

[[lab.lines]]
name = "2.0"
ref = "v2.0.1"
setup = "python3 -m venv .venv && .venv/bin/pip install --no-index -e ."

[[lab.lines]]
name = "1.0"
ref = "v1.0.4"
"#;

#[test]
fn the_lab_section_parses_and_shows_back_for_projects_only() {
    let file = parse(LAB, Level::Project).unwrap();
    let lab = file.draft.lab.clone().unwrap();
    assert_eq!(lab.repository.as_deref(), Some("https://example.org/tinyparse.git"));
    assert!(!lab.setup_network, "setup commands get no network unless the policy says so");
    assert_eq!(lab.lines[0].name.as_str(), "2.0");
    assert_eq!(lab.lines[0].git_ref.as_deref(), Some("v2.0.1"));
    assert_eq!(lab.lines[1].setup, None);
    let org = parse(ORG, Level::Organisation).unwrap().draft;
    let policy = resolve(&org, Some(&file.draft));
    assert_eq!(policy.lab.source, Source::Project);
    let shown = render(&policy, Level::Project, None, false);
    assert!(shown.contains("[lab]") && shown.contains("ref = \"v2.0.1\""), "{shown}");
    assert_eq!(parse(&shown, Level::Project).unwrap().draft.lab, Some(lab));
    assert!(!render(&policy, Level::Organisation, None, false).contains("[lab]"));

    let Err(PolicyFileError::Invalid(errors)) = parse(LAB, Level::Organisation) else {
        panic!("accepted at org level")
    };
    assert_eq!(errors[0].error.field, "lab");
    let bad = LAB.replace("v2.0.1", "--upload-pack=evil").replace("https://example.org/tinyparse.git", "-x");
    let Err(PolicyFileError::Invalid(errors)) = parse(&bad, Level::Project) else { panic!("accepted") };
    let fields: Vec<&str> = errors.iter().map(|e| e.error.field.as_str()).collect();
    assert_eq!(fields, ["lab.repository", "lab.lines[0].ref"]);
    let twice = LAB.replace("\"1.0\"", "\"2.0\"");
    assert!(parse(&twice, Level::Project).is_err());
    assert!(matches!(
        parse("[lab]\nrepository = \"x\"\nbranch = \"y\"\n", Level::Project),
        Err(PolicyFileError::Syntax { .. })
    ));
}

fn check_located(text: &str, level: Level, expected: &[(&str, (usize, usize))]) {
    match parse(text, level) {
        Err(PolicyFileError::Invalid(errors)) => {
            let got: Vec<(&str, Option<(usize, usize)>)> =
                errors.iter().map(|e| (e.error.field.as_str(), e.at)).collect();
            let expected: Vec<(&str, Option<(usize, usize)>)> =
                expected.iter().map(|(f, at)| (*f, Some(*at))).collect();
            assert_eq!(got, expected, "{text}");
            for e in &errors {
                let (line, column) = e.at.unwrap();
                assert!(e.to_string().starts_with(&format!("line {line}, column {column}: {}", e.error.field)), "{e}");
            }
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn issue_16_every_policy_error_gives_line_and_column_not_only_the_first() {
    check_located(
        "[response]\nacknowledge = \"soon\"\n\n[releases]\ncve_eligible = [\"bugfix\", \"stable\"]\n",
        Level::Organisation,
        &[("releases.cve_eligible[1]", (5, 27)), ("response.acknowledge", (2, 15))],
    );
    check_located(
        "[[releases.lines]]\nname = \"3.13\"\nstatus = \"bugfix\"\n\n[[releases.lines]]\nname = \"3.12\"\nstatus = \"old\"\n",
        Level::Project,
        &[("releases.lines[1].status", (7, 10))],
    );
    check_located(
        "[advisories]\ncve_pool = [\n  \"CVE-2026-1000\",\n  \"CVE-26-1\",\n]\n\n[[platforms]]\nname = \"AIX\"\ntier = \"tier-9\"\n",
        Level::Organisation,
        &[("platforms[0].tier", (9, 8)), ("advisories.cve_pool[1]", (4, 3))],
    );
}

#[test]
fn one_level_renders_only_what_it_says_and_parses_back_to_the_same_draft_issue_16() {
    let org = parse(ORG, Level::Organisation).unwrap().draft;
    let project_text =
        "[report]\nrecommended = [\"proof_of_concept\"]\n\n[[releases.lines]]\nname = \"3.1\"\nstatus = \"bugfix\"\n";
    let project = parse(project_text, Level::Project).unwrap();
    let effective = resolve(&org, Some(&project.draft));
    let lines = vec![ReleaseLine {
        project_id: embargo_core::id::ProjectId::from_uuid(uuid::Uuid::from_u128(1)),
        name: "3.1".parse().unwrap(),
        status: LineStatus::Bugfix,
        released_on: Some(time::macros::date!(2024 - 11 - 13)),
        end_of_life_on: None,
    }];
    let own = render_own(&effective, Level::Project, Source::Project, Some(&lines));
    assert!(own.contains("released_on = 2024-11-13"), "dates stay TOML dates:\n{own}");
    let back = parse(&own, Level::Project).unwrap();
    assert_eq!(back.draft, project.draft, "only the project's own field:\n{own}");
    assert_eq!(back.lines.as_ref().map(|l| l[0].released_on), Some(lines[0].released_on));
    assert!(!own.contains("security@example.org"), "the organisation's fields stay inherited:\n{own}");
    let org_own = render_own(&resolve(&org, None), Level::Organisation, Source::Organisation, None);
    assert_eq!(parse(&org_own, Level::Organisation).unwrap().draft, org, "{org_own}");
}

/// A package lab (issue 17): `package = "pypi:NAME"`, an optional index, a
/// version per line (the line's name when absent); parsed, shown back, checked.
#[test]
fn a_package_lab_parses_shows_back_and_is_checked_issue_17() {
    let text = "[lab]\npackage = \"pypi:tinyparse\"\nindex = \"/srv/wheels\"\n\n\
                [[lab.lines]]\nname = \"2.0\"\nversion = \"2.0.1\"\n\n[[lab.lines]]\nname = \"1.0\"\n";
    let file = parse(text, Level::Project).unwrap();
    let lab = file.draft.lab.clone().unwrap();
    assert_eq!(lab.package.as_ref().map(ToString::to_string).as_deref(), Some("pypi:tinyparse"));
    assert_eq!((lab.repository.as_deref(), lab.index.as_deref()), (None, Some("/srv/wheels")));
    assert_eq!((lab.lines[0].target(), lab.lines[1].target()), ("2.0.1".to_owned(), "1.0".to_owned()));
    let org = parse(ORG, Level::Organisation).unwrap().draft;
    let shown = render(&resolve(&org, Some(&file.draft)), Level::Project, None, false);
    assert!(shown.contains("package = \"pypi:tinyparse\"") && shown.contains("version = \"2.0.1\""), "{shown}");
    assert_eq!(parse(&shown, Level::Project).unwrap().draft.lab, Some(lab));

    for (bad, field) in [
        (text.replace("pypi:tinyparse", "npm:tinyparse"), "lab.package"),
        (text.replace("2.0.1", "2.0; curl evil"), "lab.lines[0].version"),
        (text.replace("/srv/wheels", "wheels"), "lab.index"),
    ] {
        let Err(PolicyFileError::Invalid(errors)) = parse(&bad, Level::Project) else { panic!("accepted: {bad}") };
        let fields: Vec<&str> = errors.iter().map(|e| e.error.field.as_str()).collect();
        assert!(fields.contains(&field), "{field}: {fields:?}");
    }
    let mixed = text.replace("index = \"/srv/wheels\"", "repository = \"https://example.org/x.git\"");
    assert!(parse(&mixed, Level::Project).is_err(), "either a repository or a package");
}
