//! Unit tests of time zone names and of instants shown in a zone.

use time::macros::datetime;

use super::*;

fn check(zone: &str, at: Timestamp, expected: &str) {
    assert_eq!(Zone::parse(zone).unwrap().show(at), expected, "{zone} at {at}");
}

#[test]
fn instants_are_shown_in_the_zone_with_its_offset_on_each_side_of_daylight_saving() {
    // Europe/Berlin leaves CET (+01:00) for CEST (+02:00) at 01:00 UTC on 29 March 2026
    // and returns on 25 October 2026.
    check(
        "Europe/Berlin",
        datetime!(2026-03-28 13:00 UTC),
        "2026-03-28 14:00 Europe/Berlin (UTC+01:00), 2026-03-28 13:00 UTC",
    );
    check(
        "Europe/Berlin",
        datetime!(2026-03-30 13:00 UTC),
        "2026-03-30 15:00 Europe/Berlin (UTC+02:00), 2026-03-30 13:00 UTC",
    );
    check(
        "Europe/Berlin",
        datetime!(2026-03-29 00:59 UTC),
        "2026-03-29 01:59 Europe/Berlin (UTC+01:00), 2026-03-29 00:59 UTC",
    );
    check(
        "Europe/Berlin",
        datetime!(2026-03-29 01:00 UTC),
        "2026-03-29 03:00 Europe/Berlin (UTC+02:00), 2026-03-29 01:00 UTC",
    );
    check(
        "Europe/Berlin",
        datetime!(2026-10-25 00:30 UTC),
        "2026-10-25 02:30 Europe/Berlin (UTC+02:00), 2026-10-25 00:30 UTC",
    );
    check(
        "Europe/Berlin",
        datetime!(2026-10-25 01:30 UTC),
        "2026-10-25 02:30 Europe/Berlin (UTC+01:00), 2026-10-25 01:30 UTC",
    );
    // America/New_York: EDT (-04:00) until 1 November 2026 06:00 UTC, then EST (-05:00).
    check(
        "America/New_York",
        datetime!(2026-10-31 16:00 UTC),
        "2026-10-31 12:00 America/New_York (UTC-04:00), 2026-10-31 16:00 UTC",
    );
    check(
        "America/New_York",
        datetime!(2026-11-02 17:00 UTC),
        "2026-11-02 12:00 America/New_York (UTC-05:00), 2026-11-02 17:00 UTC",
    );
    // The date differs from UTC's; quarter-hour offsets; UTC is shown once.
    check(
        "Pacific/Auckland",
        datetime!(2026-06-01 20:00 UTC),
        "2026-06-02 08:00 Pacific/Auckland (UTC+12:00), 2026-06-01 20:00 UTC",
    );
    check(
        "Asia/Kathmandu",
        datetime!(2026-06-01 12:00 UTC),
        "2026-06-01 17:45 Asia/Kathmandu (UTC+05:45), 2026-06-01 12:00 UTC",
    );
    check("UTC", datetime!(2026-06-01 12:00 UTC), "2026-06-01 12:00 UTC");
    assert_eq!(Zone::default().show(datetime!(2026-06-01 12:00 +02:00)), "2026-06-01 10:00 UTC");
}

#[test]
fn zone_names_are_canonical_and_unknown_ones_refused() {
    assert_eq!(Zone::parse(" europe/berlin ").unwrap().name(), "Europe/Berlin");
    assert_eq!(Zone::parse("utc").unwrap().name(), "UTC");
    assert!(Zone::parse("UTC").unwrap().is_utc());
    let summer = datetime!(2026-07-01 00:00 UTC);
    assert_eq!(Zone::parse("America/New_York").unwrap().offset_at(summer), UtcOffset::from_hms(-4, 0, 0).unwrap());
    for bad in [
        "",
        "Mars/Olympus_Mons",
        "Europe/Berlin/",
        "+02:00",
        "UTC+2",
        "../etc/passwd",
        "Etc/Unknown",
        "Europe/Berlin\u{0}",
    ] {
        let refused = Zone::parse(bad).unwrap_err();
        assert_eq!(refused, ZoneError::Unknown { name: bad.trim().to_owned() }, "{bad:?}");
        assert!(refused.to_string().contains("is not a time zone name such as Europe/Berlin"), "{refused}");
    }
    let long = "A".repeat(200);
    assert_eq!(Zone::parse(&long), Err(ZoneError::Unknown { name: "A".repeat(64) }));
}
