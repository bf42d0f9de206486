//! The grounding check with `git grep` on the fixture project.

use std::time::Duration;

use embargo_core::lab::{Grounding, grounding_flagged, identifiers};
use embargo_lab::environment::Environments;
use embargo_lab::grounding::check;

use crate::fixture::{open_tempdir, project};

#[tokio::test]
async fn names_are_found_or_not_at_the_named_version() {
    let dir = open_tempdir();
    let repo = project(dir.path());
    let envs = Environments::new(dir.path().join("lab"), None).unwrap();
    let (mirror, v1) = envs.resolve(repo.to_str().unwrap(), "v1.0.0").await.unwrap();
    let body = "parse_header in tinyparse/__init__.py does not honour MAX_LEN; with --strict-headers too. \
                Also `frobnicate_headers` and HeaderValidator.validate_all() are affected.";
    let names = identifiers(&[body]);
    let checked = check(&mirror, &v1, &names, Duration::from_secs(30)).await.unwrap();
    let found = |name: &str| checked.iter().find(|g| g.name == name).cloned().unwrap();
    assert_eq!(
        found("parse_header"),
        Grounding { name: "parse_header".into(), found: true, location: Some("tinyparse/__init__.py:6".into()) }
    );
    assert_eq!(found("tinyparse/__init__.py").location.as_deref(), Some("tinyparse/__init__.py"));
    assert_eq!(found("MAX_LEN").location.as_deref(), Some("tinyparse/__init__.py:3"));
    assert_eq!(found("--strict-headers").location.as_deref(), Some("README.md:1"));
    assert!(!found("frobnicate_headers").found);
    assert!(!found("validate_all").found);
    assert!(!grounding_flagged(&checked), "most names exist: {checked:?}");

    let invented = identifiers(&["The `sanitize_header_block` helper calls HeaderValidator.check_bounds() and \
                                  tinyparse/validate.py reads --max-header-size"]);
    let checked = check(&mirror, &v1, &invented, Duration::from_secs(30)).await.unwrap();
    assert!(checked.iter().all(|g| !g.found), "{checked:?}");
    assert!(grounding_flagged(&checked));
}
