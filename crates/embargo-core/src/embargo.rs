//! Embargo ends and scheduled publications: an instant kept in UTC with the
//! UTC offset the team gave it (RFC 3339), shown to everyone both in that
//! offset and in UTC, and bounded by the policy's longest embargo.

use time::format_description::well_known::Rfc3339;
use time::{OffsetDateTime, UtcOffset};

use crate::Timestamp;
use crate::policy::Span;

/// A moment as the team stated it: the instant, and the offset it was given in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Moment {
    /// The instant, in UTC.
    pub at: Timestamp,
    /// The offset from UTC the team gave (daylight saving included, as the client knew it).
    pub offset: UtcOffset,
}

/// Why a moment was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MomentError {
    /// Not RFC 3339 with an explicit offset.
    #[error("{field} must be a date and time with its offset, such as 2026-06-01T14:00:00+02:00")]
    Malformed {
        /// Which field.
        field: &'static str,
    },
    /// Not in the future.
    #[error("{field} must be in the future")]
    Past {
        /// Which field.
        field: &'static str,
    },
    /// Past the policy's longest embargo.
    #[error("{field} is later than the policy's longest embargo ({max}) allows")]
    TooLate {
        /// Which field.
        field: &'static str,
        /// The policy's limit.
        max: Span,
    },
}

impl Moment {
    /// Reads an RFC 3339 date and time with its offset (`Z` counts as UTC).
    pub fn parse(field: &'static str, text: &str) -> Result<Moment, MomentError> {
        let parsed = OffsetDateTime::parse(text.trim(), &Rfc3339).map_err(|_| MomentError::Malformed { field })?;
        Ok(Moment { at: parsed.to_offset(UtcOffset::UTC), offset: parsed.offset() })
    }

    /// Checks that the moment lies after `now` and, with a limit, no later than `now + max`.
    pub fn check(&self, field: &'static str, now: Timestamp, max: Option<Span>) -> Result<(), MomentError> {
        if self.at <= now {
            return Err(MomentError::Past { field });
        }
        match max {
            Some(max) if self.at > now + max.duration() => Err(MomentError::TooLate { field, max }),
            Some(_) | None => Ok(()),
        }
    }

    /// RFC 3339 in the team's offset (`2026-06-01T14:00:00+02:00`).
    pub fn rfc3339(&self) -> String {
        self.at.to_offset(self.offset).format(&Rfc3339).unwrap_or_default()
    }

    /// For people: in the team's offset and in UTC (`2026-06-01 14:00 (UTC+02:00), 2026-06-01 12:00 UTC`).
    pub fn both(&self) -> String {
        let local = self.at.to_offset(self.offset);
        let utc = self.at.to_offset(UtcOffset::UTC);
        let (h, m, _) = self.offset.as_hms();
        let sign = if self.offset.is_negative() { '-' } else { '+' };
        format!(
            "{} {:02}:{:02} (UTC{sign}{:02}:{:02}), {} {:02}:{:02} UTC",
            local.date(),
            local.hour(),
            local.minute(),
            h.unsigned_abs(),
            m.unsigned_abs(),
            utc.date(),
            utc.hour(),
            utc.minute()
        )
    }
}

#[cfg(test)]
mod tests {
    use time::macros::datetime;

    use super::*;

    #[test]
    fn moments_keep_their_offset_across_daylight_saving() {
        // Europe/Berlin: CET (+01:00) before 29 March 2026, CEST (+02:00) after.
        let winter = Moment::parse("at", "2026-03-28T14:00:00+01:00").unwrap();
        let summer = Moment::parse("at", "2026-03-30T14:00:00+02:00").unwrap();
        assert_eq!(winter.at, datetime!(2026-03-28 13:00 UTC));
        assert_eq!(summer.at, datetime!(2026-03-30 12:00 UTC));
        assert_eq!(winter.both(), "2026-03-28 14:00 (UTC+01:00), 2026-03-28 13:00 UTC");
        assert_eq!(summer.both(), "2026-03-30 14:00 (UTC+02:00), 2026-03-30 12:00 UTC");
        assert_eq!(summer.rfc3339(), "2026-03-30T14:00:00+02:00");
        let west = Moment::parse("at", "2026-11-01T01:30:00-04:00").unwrap();
        assert_eq!(west.both(), "2026-11-01 01:30 (UTC-04:00), 2026-11-01 05:30 UTC");
        assert_eq!(Moment::parse("at", "2026-06-01T12:00:00Z").unwrap().offset, UtcOffset::UTC);
    }

    #[test]
    fn moments_without_an_offset_in_the_past_or_too_late_are_refused() {
        assert_eq!(Moment::parse("at", "2026-06-01 12:00"), Err(MomentError::Malformed { field: "at" }));
        assert_eq!(Moment::parse("at", "2026-06-01T12:00:00"), Err(MomentError::Malformed { field: "at" }));
        let now = datetime!(2026-05-01 00:00 UTC);
        let june = Moment::parse("at", "2026-06-01T12:00:00Z").unwrap();
        assert_eq!(june.check("at", now, None), Ok(()));
        assert_eq!(june.check("at", datetime!(2026-07-01 00:00 UTC), None), Err(MomentError::Past { field: "at" }));
        let max = Span::days(30);
        assert_eq!(june.check("at", now, Some(max)), Err(MomentError::TooLate { field: "at", max }));
        assert_eq!(june.check("at", now, Some(Span::days(90))), Ok(()));
    }
}
