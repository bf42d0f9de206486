use super::*;

fn check<T: FromStr + fmt::Display>(input: &str, expected: Option<&str>) {
    let got = input.parse::<T>().ok().map(|v| v.to_string());
    assert_eq!(got.as_deref(), expected, "input {input:?}");
}

#[test]
fn report_ids_round_trip_and_reject_garbage() {
    check::<ReportId>("0190a0b2-7c1e-4d2a-9f3b-0a1b2c3d4e5f", Some("0190a0b2-7c1e-4d2a-9f3b-0a1b2c3d4e5f"));
    check::<ReportId>("0190A0B2-7C1E-4D2A-9F3B-0A1B2C3D4E5F", Some("0190a0b2-7c1e-4d2a-9f3b-0a1b2c3d4e5f"));
    check::<ReportId>("not-a-uuid", None);
    check::<ReportId>("", None);
    check::<ReportId>("../etc/passwd", None);
}

#[test]
fn advisory_ids_follow_osv_id_rules() {
    check::<AdvisoryId>("PSF-2024-1", Some("PSF-2024-1"));
    check::<AdvisoryId>("GHSA-xxxx-yyyy-zzzz", Some("GHSA-xxxx-yyyy-zzzz"));
    check::<AdvisoryId>("RUSTSEC-2021-0001", Some("RUSTSEC-2021-0001"));
    check::<AdvisoryId>("nodash", None);
    check::<AdvisoryId>("-2024-1", None);
    check::<AdvisoryId>("PSF-", None);
    check::<AdvisoryId>("PSF-2024 1", None);
    check::<AdvisoryId>("PSF-2024-1/../x", None);
}

#[test]
fn allocated_advisory_ids_are_prefix_year_number() {
    let prefix: AdvisoryPrefix = "PALLETS".parse().unwrap();
    assert_eq!(AdvisoryId::allocated(&prefix, 2026, 3).as_str(), "PALLETS-2026-3");
}

#[test]
fn advisory_prefixes_are_short_upper_case_words() {
    check::<AdvisoryPrefix>("PSF", Some("PSF"));
    check::<AdvisoryPrefix>("P1", Some("P1"));
    check::<AdvisoryPrefix>("psf", None);
    check::<AdvisoryPrefix>("1PSF", None);
    check::<AdvisoryPrefix>("P", None);
    check::<AdvisoryPrefix>("ABCDEFGHIJKLMNOPQ", None);
    let slug: crate::text::Slug = "pallets-eco".parse().unwrap();
    assert_eq!(AdvisoryPrefix::from_slug(&slug).unwrap().as_str(), "PALLETSECO");
    let numeric: crate::text::Slug = "42".parse().unwrap();
    assert!(AdvisoryPrefix::from_slug(&numeric).is_none());
}

#[test]
fn cve_ids_are_normalised_to_upper_case() {
    check::<CveId>("CVE-2024-3094", Some("CVE-2024-3094"));
    check::<CveId>("cve-2021-44228", Some("CVE-2021-44228"));
    check::<CveId>("CVE-2024-123", None);
    check::<CveId>("CVE-24-1234", None);
    check::<CveId>("GHSA-2024-1234", None);
}

#[test]
fn cwe_ids_accept_prefix_or_number() {
    check::<CweId>("CWE-79", Some("CWE-79"));
    check::<CweId>("cwe-1333", Some("CWE-1333"));
    check::<CweId>("22", Some("CWE-22"));
    check::<CweId>("CWE-0", None);
    check::<CweId>("CWE-+5", None);
    check::<CweId>("CWE-x", None);
}

#[test]
fn aliases_keep_other_databases_ids_and_normalise_cves() {
    check::<AliasId>("cve-2023-6597", Some("CVE-2023-6597"));
    check::<AliasId>("GHSA-xxxx-yyyy-zzzz", Some("GHSA-xxxx-yyyy-zzzz"));
    check::<AliasId>("PYSEC-2021-371", Some("PYSEC-2021-371"));
    check::<AliasId>("not an id", None);
    check::<AliasId>("", None);
    assert_eq!("CVE-2023-6597".parse::<AliasId>().unwrap().cve(), Some("CVE-2023-6597".parse().unwrap()));
    assert_eq!("GHSA-xxxx-yyyy-zzzz".parse::<AliasId>().unwrap().cve(), None);
    assert_eq!(CweId::from_number(0), None);
    assert_eq!(CweId::from_number(79).map(|c| c.to_string()).as_deref(), Some("CWE-79"));
}
