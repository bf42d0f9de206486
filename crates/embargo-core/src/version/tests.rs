use super::*;
use crate::project::Package;

fn range(kind: RangeKind, events: &[(&str, &str)]) -> Range {
    let events = events
        .iter()
        .map(|(kind, v)| match *kind {
            "introduced" => RangeEvent::Introduced((*v).into()),
            "fixed" => RangeEvent::Fixed((*v).into()),
            "last_affected" => RangeEvent::LastAffected((*v).into()),
            _ => RangeEvent::Limit((*v).into()),
        })
        .collect();
    Range { kind, repo: None, events, database_specific: None }
}

fn affected(ecosystem: &str, ranges: Vec<Range>, versions: &[&str]) -> Affected {
    Affected {
        package: Some(Package::new(ecosystem, "pkg").unwrap()),
        ranges,
        versions: versions.iter().map(|v| (*v).to_owned()).collect(),
        source: Default::default(),
    }
}

fn check(a: &Affected, version: &str, expected: bool) {
    assert_eq!(version_affected(a, version), expected, "version {version} of {a:?}");
}

#[test]
fn pep440_ranges_order_as_python_does() {
    let a = affected("PyPI", vec![range(RangeKind::Ecosystem, &[("introduced", "0"), ("fixed", "2.2.5")])], &[]);
    check(&a, "2.2.4", true);
    check(&a, "2.2.5", false);
    check(&a, "2.2.5rc1", true);
    check(&a, "2.2.10", false);
    check(&a, "0.1", true);
    check(&a, "2.2.5.post1", false);
    check(&a, "not a version", false);

    let two = affected(
        "PyPI",
        vec![range(
            RangeKind::Ecosystem,
            &[("introduced", "1.0"), ("fixed", "1.4.2"), ("introduced", "2.0a1"), ("fixed", "2.1")],
        )],
        &[],
    );
    check(&two, "0.9", false);
    check(&two, "1.0.0", true);
    check(&two, "1.4.2", false);
    check(&two, "1.9", false);
    check(&two, "2.0b3", true);
    check(&two, "2.1", false);
}

#[test]
fn semver_ranges_and_last_affected() {
    let a = affected(
        "crates.io",
        vec![range(RangeKind::Ecosystem, &[("introduced", "0.3.0"), ("last_affected", "0.4.1")])],
        &[],
    );
    check(&a, "0.2.9", false);
    check(&a, "0.3.0", true);
    check(&a, "0.4.1", true);
    check(&a, "0.4.2", false);
    check(&a, "0.4.1-alpha.1", true);

    let semver_in_pypi =
        affected("PyPI", vec![range(RangeKind::Semver, &[("introduced", "1.0.0"), ("fixed", "1.2.0")])], &[]);
    check(&semver_in_pypi, "1.1.9", true);
    check(&semver_in_pypi, "v1.1", true);
    check(&semver_in_pypi, "1.2.0", false);

    let go = affected("Go", vec![range(RangeKind::Ecosystem, &[("introduced", "0"), ("fixed", "1.20.3")])], &[]);
    check(&go, "v1.20.2", true);
    check(&go, "v1.20.3", false);
}

#[test]
fn limits_bound_a_range() {
    let a = affected("npm", vec![range(RangeKind::Semver, &[("introduced", "0"), ("limit", "2.0.0")])], &[]);
    check(&a, "1.9.9", true);
    check(&a, "2.0.0", false);
}

#[test]
fn unknown_orderings_match_listed_versions_only() {
    let a = affected(
        "Maven",
        vec![range(RangeKind::Ecosystem, &[("introduced", "0"), ("fixed", "2.17.1")])],
        &["2.14.1", "2.15.0"],
    );
    check(&a, "2.14.1", true);
    check(&a, "2.16.0", false);
    let listed = affected("PyPI", vec![], &["1.0"]);
    check(&listed, "1.0.0", true);
    check(&listed, "1.0.1", false);
}

#[test]
fn commits_match_only_where_a_git_range_names_them() {
    let mut a = affected("PyPI", vec![], &[]);
    a.ranges.push(Range {
        kind: RangeKind::Git,
        repo: Some("https://github.com/python/cpython".into()),
        events: vec![RangeEvent::Introduced("aaaa1111".into()), RangeEvent::Fixed("bbbb2222".into())],
        database_specific: None,
    });
    assert!(commit_affected(&a, "AAAA1111"));
    assert!(!commit_affected(&a, "bbbb2222"));
    assert!(commit_affected(&a, "aaaa1111deadbeef"), "a full hash of the abbreviated one");
    assert!(!commit_affected(&a, "aaaa11"), "fewer than 7 digits name nothing");
    a.versions.push("0123456789abcdef0123456789abcdef01234567".into());
    assert!(commit_affected(&a, "0123456"), "a listed commit, abbreviated");
    assert!(!commit_affected(&a, "0123457"));
    assert!(!commit_affected(&a, ""));
    check(&a, "aaaa1111", false);
}

#[test]
fn pypi_names_are_normalised() {
    assert_eq!(normalise_package_name("PyPI", "Flask_SQLAlchemy"), "flask-sqlalchemy");
    assert_eq!(normalise_package_name("PyPI", "zope.interface"), "zope-interface");
    assert_eq!(normalise_package_name("PyPI", "a--__b"), "a-b");
    assert_eq!(normalise_package_name("npm", "Left_Pad"), "Left_Pad");
}
