//! A finder's choice about their credit (issue 10, item 4): each finder an
//! advisory credits (the reporter of the original, the reporters of its
//! duplicates, the co-finders the team invited) may decline the credit or
//! choose the name shown.

use std::fmt;
use std::str::FromStr;

use crate::Timestamp;
use crate::id::{CollaboratorId, ReportId};
use crate::text::{MAX_SHORT_CHARS, TextError, UnknownName, optional_line};

/// Who a credit choice is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Finder {
    /// The reporter of this report.
    Reporter(ReportId),
    /// A co-finder the team invited (an invitation with the `reporter` role).
    CoFinder(CollaboratorId),
}

impl fmt::Display for Finder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Finder::Reporter(report) => write!(f, "report:{report}"),
            Finder::CoFinder(collaborator) => write!(f, "collaborator:{collaborator}"),
        }
    }
}

impl FromStr for Finder {
    type Err = UnknownName;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let unknown = || UnknownName::new("finder", s, "report:ID or collaborator:ID");
        match s.split_once(':') {
            Some(("report", id)) => id.parse().map(Finder::Reporter).map_err(|_| unknown()),
            Some(("collaborator", id)) => id.parse().map(Finder::CoFinder).map_err(|_| unknown()),
            _ => Err(unknown()),
        }
    }
}

/// What a finder chose.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreditChoice {
    /// Who.
    pub finder: Finder,
    /// The report the choice was made on.
    pub report: ReportId,
    /// They decline to be credited.
    pub declined: bool,
    /// The name to show instead of the one the report or account gives.
    pub name: Option<String>,
    /// When they chose.
    pub updated_at: Timestamp,
}

/// Checks the name a finder asks to be shown: one line, at most
/// [`MAX_SHORT_CHARS`] characters; blank means "the name I gave".
pub fn check_name(name: Option<&str>) -> Result<Option<String>, TextError> {
    optional_line("name", name, MAX_SHORT_CHARS)
}

/// The name an advisory credits for a finder whose usual name is `usual`:
/// none when they declined, the chosen name when they gave one.
pub fn credited(usual: Option<String>, choice: Option<&CreditChoice>) -> Option<String> {
    match choice {
        Some(c) if c.declined => None,
        Some(CreditChoice { name: Some(name), .. }) => Some(name.clone()),
        Some(_) | None => usual,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use uuid::Uuid;

    fn choice(declined: bool, name: Option<&str>) -> CreditChoice {
        let report = ReportId::from_uuid(Uuid::from_u128(1));
        CreditChoice {
            finder: Finder::Reporter(report),
            report,
            declined,
            name: name.map(str::to_owned),
            updated_at: Timestamp::UNIX_EPOCH,
        }
    }

    #[test]
    fn a_declined_credit_names_nobody_and_a_chosen_name_wins() {
        assert_eq!(credited(Some("Ada".into()), None), Some("Ada".into()));
        assert_eq!(credited(Some("Ada".into()), Some(&choice(true, Some("A. L.")))), None);
        assert_eq!(credited(Some("Ada".into()), Some(&choice(false, Some("A. L.")))), Some("A. L.".into()));
        assert_eq!(credited(None, Some(&choice(false, Some("A. L.")))), Some("A. L.".into()));
        assert_eq!(credited(Some("Ada".into()), Some(&choice(false, None))), Some("Ada".into()));
    }

    #[test]
    fn finders_round_trip_through_text() {
        let finder = Finder::CoFinder(CollaboratorId::from_uuid(Uuid::from_u128(9)));
        assert_eq!(finder.to_string().parse::<Finder>().unwrap(), finder);
        let finder = Finder::Reporter(ReportId::from_uuid(Uuid::from_u128(9)));
        assert_eq!(finder.to_string().parse::<Finder>().unwrap(), finder);
        assert!("user:1".parse::<Finder>().is_err());
    }

    #[test]
    fn names_are_one_line() {
        assert_eq!(check_name(Some("  ")).unwrap(), None);
        assert!(check_name(Some("two\nlines")).is_err());
        assert_eq!(check_name(Some(" Ada ")).unwrap(), Some("Ada".into()));
    }
}
