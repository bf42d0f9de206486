//! Reporting clocks of the EU Cyber Resilience Act, Regulation (EU) 2024/2847, Article 14.
//!
//! A report flagged as an actively exploited vulnerability (Article 14(1), (2)) or a severe
//! incident (Article 14(3), (4)) starts three clocks from the moment the organisation became
//! aware of it:
//!
//! - early warning: 24 hours after awareness (14(2)(a), 14(4)(a));
//! - notification: 72 hours after awareness (14(2)(b), 14(4)(b));
//! - final report: for a vulnerability, 14 days after a corrective or mitigating measure is
//!   available (14(2)(c)); for an incident, one month after the incident notification was
//!   submitted (14(4)(c): "within one month after the submission of the incident notification
//!   under point (b)"). Until that moment is known the final report has no due time.
//!
//! The organisation's role (its policy's `cra.role`) decides which clocks apply
//! ([`applies`]): a manufacturer has both. An open-source steward has both too, within the
//! limits of Article 24(3): Article 14(1) (and so the vulnerability clocks of 14(2)) applies
//! "to the extent that they are involved in the development" of the product, and 14(3) (the
//! incident clocks) "to the extent that severe incidents ... affect network and information
//! systems provided by the open-source software stewards for the development" of it. Which
//! of its reports meet those limits is the steward's judgement, so Embargo lets it start
//! either clock and names the limit in the content it produces. An organisation whose policy
//! states no role has no clocks (the Act binds manufacturers and stewards only).

use std::fmt;
use std::str::FromStr;

use time::Duration;

use crate::Timestamp;

/// What a report is, for Article 14.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CraKind {
    /// An actively exploited vulnerability (Article 14(1)).
    ExploitedVulnerability,
    /// A severe incident having an impact on the security of the product (Article 14(3)).
    SevereIncident,
}

/// A stage of the reporting to ENISA's single reporting platform.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum CraStage {
    /// The early warning.
    EarlyWarning,
    /// The (vulnerability or incident) notification.
    Notification,
    /// The final report.
    FinalReport,
}

/// The organisation's role under the Act.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CraRole {
    /// A manufacturer (Article 3(13)): Article 14 applies in full.
    Manufacturer,
    /// An open-source software steward (Article 3(14)): Article 24(3) applies.
    OpenSourceSteward,
}

/// A name that is not one of an enumeration's.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{value:?} is not a {what}: use {expected}")]
pub struct UnknownCraName {
    /// What was expected.
    pub what: &'static str,
    /// The value given.
    pub value: String,
    /// The names allowed.
    pub expected: &'static str,
}

macro_rules! names {
    ($ty:ident, $what:literal, $expected:literal, { $($variant:ident => $name:literal),* $(,)? }) => {
        impl $ty {
            /// Its name in the API, policy files and payloads.
            pub const fn as_str(self) -> &'static str {
                match self {
                    $($ty::$variant => $name,)*
                }
            }
        }

        impl fmt::Display for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl FromStr for $ty {
            type Err = UnknownCraName;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                match s.trim() {
                    $($name => Ok($ty::$variant),)*
                    other => Err(UnknownCraName { what: $what, value: other.to_owned(), expected: $expected }),
                }
            }
        }
    };
}

names!(CraKind, "kind", "exploited-vulnerability or severe-incident", {
    ExploitedVulnerability => "exploited-vulnerability",
    SevereIncident => "severe-incident",
});
names!(CraStage, "stage", "early-warning, notification or final-report", {
    EarlyWarning => "early-warning",
    Notification => "notification",
    FinalReport => "final-report",
});
names!(CraRole, "role", "manufacturer or open-source-steward", {
    Manufacturer => "manufacturer",
    OpenSourceSteward => "open-source-steward",
});

impl CraStage {
    /// Every stage, in order.
    pub const ALL: [CraStage; 3] = [CraStage::EarlyWarning, CraStage::Notification, CraStage::FinalReport];

    /// For people.
    pub const fn title(self) -> &'static str {
        match self {
            CraStage::EarlyWarning => "Early warning",
            CraStage::Notification => "Notification",
            CraStage::FinalReport => "Final report",
        }
    }
}

impl CraKind {
    /// For people.
    pub const fn title(self) -> &'static str {
        match self {
            CraKind::ExploitedVulnerability => "Actively exploited vulnerability",
            CraKind::SevereIncident => "Severe incident",
        }
    }

    /// The paragraph of Article 14 that sets a stage's content and time.
    pub const fn article(self, stage: CraStage) -> &'static str {
        match (self, stage) {
            (CraKind::ExploitedVulnerability, CraStage::EarlyWarning) => "Article 14(2)(a)",
            (CraKind::ExploitedVulnerability, CraStage::Notification) => "Article 14(2)(b)",
            (CraKind::ExploitedVulnerability, CraStage::FinalReport) => "Article 14(2)(c)",
            (CraKind::SevereIncident, CraStage::EarlyWarning) => "Article 14(4)(a)",
            (CraKind::SevereIncident, CraStage::Notification) => "Article 14(4)(b)",
            (CraKind::SevereIncident, CraStage::FinalReport) => "Article 14(4)(c)",
        }
    }
}

impl CraRole {
    /// For people.
    pub const fn title(self) -> &'static str {
        match self {
            CraRole::Manufacturer => "manufacturer",
            CraRole::OpenSourceSteward => "open-source software steward",
        }
    }

    /// The limit Article 24(3) sets on a steward's obligation of `kind`; none for a manufacturer.
    pub const fn limit(self, kind: CraKind) -> Option<&'static str> {
        match (self, kind) {
            (CraRole::Manufacturer, _) => None,
            (CraRole::OpenSourceSteward, CraKind::ExploitedVulnerability) => Some(
                "Reported by an open-source software steward under Article 24(3): to the extent that it is \
                 involved in the development of the product.",
            ),
            (CraRole::OpenSourceSteward, CraKind::SevereIncident) => Some(
                "Reported by an open-source software steward under Article 24(3): the incident affects network \
                 and information systems the steward provides for the development of the product.",
            ),
        }
    }
}

/// Whether an organisation with `role` (none: its policy states none) reports `kind` under Article 14.
pub const fn applies(role: Option<CraRole>, kind: CraKind) -> bool {
    match (role, kind) {
        (Some(CraRole::Manufacturer | CraRole::OpenSourceSteward), _) => true,
        (None, CraKind::ExploitedVulnerability | CraKind::SevereIncident) => false,
    }
}

/// Early warnings are due this long after awareness.
pub const EARLY_WARNING: Duration = Duration::hours(24);
/// Notifications are due this long after awareness.
pub const NOTIFICATION: Duration = Duration::hours(72);
/// A vulnerability's final report is due this long after a measure is available.
pub const VULNERABILITY_FINAL: Duration = Duration::days(14);

/// When a stage falls due, or what it waits for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Due {
    /// At this instant (UTC).
    At(Timestamp),
    /// Fourteen days after a corrective or mitigating measure is available, which is not yet.
    AfterFix,
    /// One month after the notification is submitted, which it is not yet.
    AfterNotification,
}

/// What the clocks count from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClockStart {
    /// The kind.
    pub kind: CraKind,
    /// When the organisation became aware.
    pub aware_at: Timestamp,
    /// When a corrective or mitigating measure became available, if it has.
    pub fix_available_at: Option<Timestamp>,
    /// When the notification was filed, if it was.
    pub notification_filed_at: Option<Timestamp>,
}

/// One calendar month after `at` (the same day of the next month, or that month's last day).
pub fn one_month_after(at: Timestamp) -> Timestamp {
    let (year, month) = match at.month() {
        time::Month::December => (at.year() + 1, time::Month::January),
        other => (at.year(), other.next()),
    };
    let day = at.day().min(month.length(year));
    time::Date::from_calendar_date(year, month, day).map_or(at + Duration::days(31), |date| at.replace_date(date))
}

/// When `stage` falls due.
pub fn due(start: &ClockStart, stage: CraStage) -> Due {
    match (stage, start.kind) {
        (CraStage::EarlyWarning, _) => Due::At(start.aware_at + EARLY_WARNING),
        (CraStage::Notification, _) => Due::At(start.aware_at + NOTIFICATION),
        (CraStage::FinalReport, CraKind::ExploitedVulnerability) => {
            start.fix_available_at.map_or(Due::AfterFix, |fix| Due::At(fix + VULNERABILITY_FINAL))
        }
        (CraStage::FinalReport, CraKind::SevereIncident) => {
            start.notification_filed_at.map_or(Due::AfterNotification, |filed| Due::At(one_month_after(filed)))
        }
    }
}

/// An EU member state, by its ISO 3166-1 alpha-2 code (Greece as `GR`; `EL` is accepted for it).
pub const MEMBER_STATES: [(&str, &str); 27] = [
    ("AT", "Austria"),
    ("BE", "Belgium"),
    ("BG", "Bulgaria"),
    ("CY", "Cyprus"),
    ("CZ", "Czechia"),
    ("DE", "Germany"),
    ("DK", "Denmark"),
    ("EE", "Estonia"),
    ("ES", "Spain"),
    ("FI", "Finland"),
    ("FR", "France"),
    ("GR", "Greece"),
    ("HR", "Croatia"),
    ("HU", "Hungary"),
    ("IE", "Ireland"),
    ("IT", "Italy"),
    ("LT", "Lithuania"),
    ("LU", "Luxembourg"),
    ("LV", "Latvia"),
    ("MT", "Malta"),
    ("NL", "Netherlands"),
    ("PL", "Poland"),
    ("PT", "Portugal"),
    ("RO", "Romania"),
    ("SE", "Sweden"),
    ("SI", "Slovenia"),
    ("SK", "Slovakia"),
];

/// The canonical code of a member state (`de` → `DE`, `EL` → `GR`), or `None`.
pub fn member_state(code: &str) -> Option<&'static str> {
    let upper = code.trim().to_ascii_uppercase();
    let upper = if upper == "EL" { "GR".to_owned() } else { upper };
    MEMBER_STATES.iter().find(|(c, _)| *c == upper).map(|(c, _)| *c)
}

/// How sensitive the organisation considers the notified information (Article 14(2)(b)), as
/// Traffic Light Protocol 2.0 labels, which CSIRTs use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Sensitivity {
    /// TLP:CLEAR.
    Clear,
    /// TLP:GREEN.
    Green,
    /// TLP:AMBER.
    Amber,
    /// TLP:AMBER+STRICT.
    AmberStrict,
    /// TLP:RED.
    Red,
}

names!(Sensitivity, "sensitivity", "clear, green, amber, amber-strict or red", {
    Clear => "clear",
    Green => "green",
    Amber => "amber",
    AmberStrict => "amber-strict",
    Red => "red",
});

impl Sensitivity {
    /// The TLP 2.0 label.
    pub const fn label(self) -> &'static str {
        match self {
            Sensitivity::Clear => "TLP:CLEAR",
            Sensitivity::Green => "TLP:GREEN",
            Sensitivity::Amber => "TLP:AMBER",
            Sensitivity::AmberStrict => "TLP:AMBER+STRICT",
            Sensitivity::Red => "TLP:RED",
        }
    }
}

#[cfg(test)]
mod tests {
    use time::macros::datetime;

    use super::*;

    fn start(kind: CraKind) -> ClockStart {
        ClockStart {
            kind,
            aware_at: datetime!(2026-09-30 22:00 UTC),
            fix_available_at: None,
            notification_filed_at: None,
        }
    }

    #[test]
    fn early_warning_and_notification_count_from_awareness() {
        for kind in [CraKind::ExploitedVulnerability, CraKind::SevereIncident] {
            assert_eq!(due(&start(kind), CraStage::EarlyWarning), Due::At(datetime!(2026-10-01 22:00 UTC)));
            assert_eq!(due(&start(kind), CraStage::Notification), Due::At(datetime!(2026-10-03 22:00 UTC)));
        }
    }

    #[test]
    fn a_vulnerabilitys_final_report_counts_from_the_fix() {
        let mut s = start(CraKind::ExploitedVulnerability);
        assert_eq!(due(&s, CraStage::FinalReport), Due::AfterFix);
        s.notification_filed_at = Some(datetime!(2026-10-02 10:00 UTC));
        assert_eq!(due(&s, CraStage::FinalReport), Due::AfterFix);
        s.fix_available_at = Some(datetime!(2026-10-10 09:30 UTC));
        assert_eq!(due(&s, CraStage::FinalReport), Due::At(datetime!(2026-10-24 09:30 UTC)));
    }

    #[test]
    fn an_incidents_final_report_counts_a_month_from_the_notification() {
        let mut s = start(CraKind::SevereIncident);
        s.fix_available_at = Some(datetime!(2026-10-10 09:30 UTC));
        assert_eq!(due(&s, CraStage::FinalReport), Due::AfterNotification);
        s.notification_filed_at = Some(datetime!(2026-10-02 10:00 UTC));
        assert_eq!(due(&s, CraStage::FinalReport), Due::At(datetime!(2026-11-02 10:00 UTC)));
    }

    #[test]
    fn one_month_keeps_the_day_or_takes_the_months_last() {
        assert_eq!(one_month_after(datetime!(2027-01-31 08:00 UTC)), datetime!(2027-02-28 08:00 UTC));
        assert_eq!(one_month_after(datetime!(2028-01-31 08:00 UTC)), datetime!(2028-02-29 08:00 UTC));
        assert_eq!(one_month_after(datetime!(2026-12-15 08:00 UTC)), datetime!(2027-01-15 08:00 UTC));
    }

    #[test]
    fn names_parse_back() {
        for kind in [CraKind::ExploitedVulnerability, CraKind::SevereIncident] {
            assert_eq!(kind.as_str().parse::<CraKind>(), Ok(kind));
        }
        for stage in CraStage::ALL {
            assert_eq!(stage.as_str().parse::<CraStage>(), Ok(stage));
        }
        assert_eq!("open-source-steward".parse::<CraRole>(), Ok(CraRole::OpenSourceSteward));
        assert!("vendor".parse::<CraRole>().unwrap_err().to_string().contains("manufacturer or open-source-steward"));
    }

    #[test]
    fn the_role_decides_which_clocks_apply() {
        assert!(applies(Some(CraRole::Manufacturer), CraKind::SevereIncident));
        assert!(applies(Some(CraRole::OpenSourceSteward), CraKind::ExploitedVulnerability));
        assert!(applies(Some(CraRole::OpenSourceSteward), CraKind::SevereIncident));
        assert!(!applies(None, CraKind::ExploitedVulnerability));
        assert!(CraRole::OpenSourceSteward.limit(CraKind::SevereIncident).unwrap().contains("Article 24(3)"));
        assert_eq!(CraRole::Manufacturer.limit(CraKind::ExploitedVulnerability), None);
    }

    #[test]
    fn member_states_by_code() {
        assert_eq!(member_state("de"), Some("DE"));
        assert_eq!(member_state("EL"), Some("GR"));
        assert_eq!(member_state("UK"), None);
        assert_eq!(member_state("CH"), None);
    }
}
