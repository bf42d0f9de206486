//! How many failed sign-ins are allowed, and for how long a key is then
//! locked; how many reports one sender may file (issue 12). Sign-ins are
//! counted per account and per client address, reports per client address,
//! reporter account, contact e-mail address and project; the counts live in
//! the database so that every replica shares them.

use std::net::IpAddr;

use time::Duration;

use crate::Timestamp;

/// A limit on failed attempts for one kind of key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ThrottleRule {
    /// Failures allowed in a window before the key is locked.
    pub max_failures: u32,
    /// How long failures are remembered.
    pub window: Duration,
    /// The first lock; each further failure doubles it.
    pub first_lock: Duration,
    /// The longest lock.
    pub max_lock: Duration,
}

/// Per account (by address, known or not, so a lock reveals nothing): 5
/// failures in 15 minutes lock it for 1 minute, doubling to at most 15.
pub const ACCOUNT: ThrottleRule = ThrottleRule {
    max_failures: 5,
    window: Duration::minutes(15),
    first_lock: Duration::minutes(1),
    max_lock: Duration::minutes(15),
};

/// Per client address (an IPv6 /64 counts as one): 20 failures in 15
/// minutes lock it for 5 minutes, doubling to at most an hour.
pub const CLIENT_ADDRESS: ThrottleRule = ThrottleRule {
    max_failures: 20,
    window: Duration::minutes(15),
    first_lock: Duration::minutes(5),
    max_lock: Duration::hours(1),
};

/// Single sign-on starts per client address (an IPv6 /64 counts as one): each
/// start keeps a pending sign-in in the database, so 30 starts in 15 minutes
/// lock the address for 5 minutes, doubling to at most an hour.
pub const SSO_STARTS: ThrottleRule = ThrottleRule {
    max_failures: 30,
    window: Duration::minutes(15),
    first_lock: Duration::minutes(5),
    max_lock: Duration::hours(1),
};

impl ThrottleRule {
    /// After `failures` in the window, how long the key is locked, if at all.
    pub fn lock_after(&self, failures: u32) -> Option<Duration> {
        let over = failures.checked_sub(self.max_failures)?;
        let factor = 1_i32.checked_shl(over.min(16)).unwrap_or(i32::MAX);
        Some(self.first_lock.checked_mul(factor).unwrap_or(self.max_lock).min(self.max_lock))
    }
}

/// How long until `locked_until`, in whole seconds rounded up, if it is still ahead.
pub fn retry_after(locked_until: Option<Timestamp>, now: Timestamp) -> Option<u64> {
    let left = locked_until? - now;
    if left <= Duration::ZERO {
        return None;
    }
    let seconds = left.whole_seconds() + i64::from(left.subsec_nanoseconds() > 0);
    u64::try_from(seconds).ok()
}

/// Which kind of key refused an attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ThrottleScope {
    /// Too many failures for the account.
    Account,
    /// Too many failures from the client's address.
    ClientAddress,
    /// Too many reports from the client's address.
    ReportsFromAddress,
    /// Too many reports from the reporter's account.
    ReportsFromAccount,
    /// Too many reports from one contact e-mail address (a form's or a mail's sender).
    ReportsFromEmail,
    /// Too many reports to the project, from everyone together.
    ReportsToProject,
}

/// A limit on new reports under one key: at most `max_reports` in a fixed
/// window that starts with the first report counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IntakeLimit {
    /// Reports taken in a window; the next one is refused until the window ends.
    pub max_reports: u32,
    /// How long a window lasts.
    pub window: Duration,
}

/// Per client address (IPv6 by /64): 10 reports an hour.
pub const REPORTS_PER_ADDRESS: IntakeLimit = IntakeLimit { max_reports: 10, window: Duration::hours(1) };
/// Per reporter account: 10 reports an hour.
pub const REPORTS_PER_ACCOUNT: IntakeLimit = IntakeLimit { max_reports: 10, window: Duration::hours(1) };
/// Per contact e-mail address (lower-cased): 10 reports an hour.
pub const REPORTS_PER_EMAIL: IntakeLimit = IntakeLimit { max_reports: 10, window: Duration::hours(1) };
/// Per project, from everyone: 100 reports an hour.
pub const REPORTS_PER_PROJECT: IntakeLimit = IntakeLimit { max_reports: 100, window: Duration::hours(1) };

/// The longest window of the intake limits: counts older than this are forgotten.
pub const LONGEST_INTAKE_WINDOW: Duration = Duration::hours(1);

/// Beyond this many new reports of one project in [`COALESCE_WINDOW`], the
/// team is not mailed for each one: a flood does not queue a mail per report.
pub const COALESCE_AFTER: u32 = 3;
/// The window in which new reports of a project are counted for coalescing.
pub const COALESCE_WINDOW: Duration = Duration::minutes(15);

impl IntakeLimit {
    /// Whether the `reports`-th report of a window that began at
    /// `window_start` is refused, and then for how many seconds.
    pub fn refuse(&self, reports: u32, window_start: Timestamp, now: Timestamp) -> Option<u64> {
        if reports <= self.max_reports {
            return None;
        }
        Some(retry_after(Some(window_start + self.window), now).unwrap_or(1))
    }
}

/// Whether the team's notice of a new report is one of a flood, given how
/// many reports of its project arrived in the [`COALESCE_WINDOW`] before it.
pub fn coalesced(earlier_reports: u32) -> bool {
    earlier_reports >= COALESCE_AFTER
}

/// The key counting failures from a client address: IPv4 as is, IPv6 by its
/// /64 prefix (one site usually holds a whole /64).
pub fn address_key(address: IpAddr) -> String {
    match address {
        IpAddr::V4(v4) => format!("address:{v4}"),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => format!("address:{v4}"),
            None => {
                let s = v6.segments();
                format!("address:{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
            }
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locks_start_at_the_limit_and_double_up_to_the_maximum() {
        let check = |failures, expected: Option<Duration>| assert_eq!(ACCOUNT.lock_after(failures), expected);
        check(0, None);
        check(4, None);
        check(5, Some(Duration::minutes(1)));
        check(6, Some(Duration::minutes(2)));
        check(8, Some(Duration::minutes(8)));
        check(9, Some(Duration::minutes(15)));
        check(u32::MAX, Some(Duration::minutes(15)));
        assert_eq!(CLIENT_ADDRESS.lock_after(19), None);
        assert_eq!(CLIENT_ADDRESS.lock_after(20), Some(Duration::minutes(5)));
        assert_eq!(CLIENT_ADDRESS.lock_after(40), Some(Duration::hours(1)));
    }

    #[test]
    fn retry_after_rounds_up_and_ends() {
        let now = time::macros::datetime!(2026-11-30 15:00:00 UTC);
        assert_eq!(retry_after(None, now), None);
        assert_eq!(retry_after(Some(now), now), None);
        assert_eq!(retry_after(Some(now - Duration::seconds(1)), now), None);
        assert_eq!(retry_after(Some(now + Duration::milliseconds(1500)), now), Some(2));
        assert_eq!(retry_after(Some(now + Duration::minutes(1)), now), Some(60));
    }

    #[test]
    fn intake_windows_refuse_past_the_limit_until_they_end() {
        let start = time::macros::datetime!(2026-11-30 15:00:00 UTC);
        let check = |reports, minutes, expected: Option<u64>| {
            assert_eq!(REPORTS_PER_ADDRESS.refuse(reports, start, start + Duration::minutes(minutes)), expected)
        };
        check(1, 0, None);
        check(10, 59, None);
        check(11, 0, Some(3600));
        check(11, 45, Some(900));
        check(11, 60, Some(1));
        assert_eq!(REPORTS_PER_PROJECT.refuse(100, start, start), None);
        assert_eq!(REPORTS_PER_PROJECT.refuse(101, start, start), Some(3600));
    }

    #[test]
    fn a_flood_is_coalesced_from_the_fourth_report() {
        assert!(!coalesced(0));
        assert!(!coalesced(2));
        assert!(coalesced(3));
        assert!(coalesced(500));
    }

    #[test]
    fn addresses_are_keyed_by_host_or_ipv6_prefix() {
        let check = |a: &str, expected: &str| assert_eq!(address_key(a.parse().unwrap()), expected, "{a}");
        check("192.0.2.7", "address:192.0.2.7");
        check("::ffff:192.0.2.7", "address:192.0.2.7");
        check("2001:db8:1:2:3:4:5:6", "address:2001:db8:1:2::/64");
        check("2001:db8:1:2::ffff", "address:2001:db8:1:2::/64");
    }
}
