//! Participants' time zones: an IANA name (`Europe/Berlin`) checked against
//! the time zone database bundled into the program (so it resolves in a
//! container without `/usr/share/zoneinfo`), and instants shown to a person
//! in their zone, with its name and offset at that instant, beside UTC.

use jiff::tz::TimeZone;
use time::UtcOffset;

use crate::Timestamp;

/// The longest zone name accepted (the longest IANA name has 32 characters).
const MAX_NAME: usize = 64;

/// A participant's time zone, by its canonical IANA name.
#[derive(Debug, Clone)]
pub struct Zone {
    name: String,
    tz: TimeZone,
}

impl PartialEq for Zone {
    fn eq(&self, other: &Zone) -> bool {
        self.name == other.name
    }
}

impl Eq for Zone {}

impl Default for Zone {
    fn default() -> Zone {
        Zone::utc()
    }
}

/// Why a time zone name was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ZoneError {
    /// Not a name in the time zone database.
    #[error("{name:?} is not a time zone name such as Europe/Berlin, America/New_York or UTC")]
    Unknown {
        /// The name given (cut to 64 characters).
        name: String,
    },
}

impl Zone {
    /// Coordinated Universal Time, everyone's default.
    pub fn utc() -> Zone {
        Zone { name: "UTC".to_owned(), tz: TimeZone::UTC }
    }

    /// Reads an IANA time zone name (any letter case; surrounding blanks
    /// ignored) and keeps its canonical spelling. Fixed offsets, POSIX rules
    /// and paths are refused: a zone follows its region's daylight saving.
    pub fn parse(text: &str) -> Result<Zone, ZoneError> {
        let name = text.trim();
        let unknown = || ZoneError::Unknown { name: name.chars().take(MAX_NAME).collect() };
        if name.is_empty()
            || name.len() > MAX_NAME
            || !name.chars().all(|c| c.is_ascii_alphanumeric() || "/_-+".contains(c))
        {
            return Err(unknown());
        }
        let tz = TimeZone::get(name).map_err(|_| unknown())?;
        let canonical = tz.iana_name().ok_or_else(unknown)?.to_owned();
        if canonical == "Etc/Unknown" {
            return Err(unknown());
        }
        Ok(Zone { name: canonical, tz })
    }

    /// The canonical IANA name (`Europe/Berlin`, `UTC`).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Whether this is UTC itself (then an instant is shown once).
    pub fn is_utc(&self) -> bool {
        self.name == "UTC"
    }

    /// The zone's offset from UTC at `at` (daylight saving included).
    pub fn offset_at(&self, at: Timestamp) -> UtcOffset {
        let seconds = instant(at).map_or(0, |ts| self.tz.to_offset(ts).seconds());
        UtcOffset::from_whole_seconds(seconds).unwrap_or(UtcOffset::UTC)
    }

    /// For a person in this zone: the local date and time with the zone's
    /// name and its offset at that instant, then UTC
    /// (`2026-03-28 14:00 Europe/Berlin (UTC+01:00), 2026-03-28 13:00 UTC`);
    /// in UTC, just `2026-03-28 13:00 UTC`.
    pub fn show(&self, at: Timestamp) -> String {
        let utc = at.to_offset(UtcOffset::UTC);
        let utc_text = format!("{} {:02}:{:02} UTC", utc.date(), utc.hour(), utc.minute());
        if self.is_utc() {
            return utc_text;
        }
        let offset = self.offset_at(at);
        let local = at.to_offset(offset);
        format!(
            "{} {:02}:{:02} {} ({}), {utc_text}",
            local.date(),
            local.hour(),
            local.minute(),
            self.name,
            offset_text(offset)
        )
    }
}

/// `UTC+01:00`, `UTC-04:00`, `UTC+05:45`.
pub fn offset_text(offset: UtcOffset) -> String {
    let (h, m, _) = offset.as_hms();
    let sign = if offset.is_negative() { '-' } else { '+' };
    format!("UTC{sign}{:02}:{:02}", h.unsigned_abs(), m.unsigned_abs())
}

fn instant(at: Timestamp) -> Option<jiff::Timestamp> {
    jiff::Timestamp::from_second(at.unix_timestamp()).ok()
}

#[cfg(test)]
mod tests;
