//! Spans of time in policies: `2d`, `48h`, `6w`.

use std::fmt;
use std::str::FromStr;

/// A span of whole hours, written with a unit: `h` hours, `d` days, `w` weeks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Span {
    hours: u32,
}

impl Span {
    /// A span of `n` days.
    pub const fn days(n: u32) -> Self {
        Span { hours: n * 24 }
    }

    /// A span of `n` hours.
    pub const fn hours(n: u32) -> Self {
        Span { hours: n }
    }

    /// The span as a duration.
    pub fn duration(self) -> time::Duration {
        time::Duration::hours(i64::from(self.hours))
    }
}

impl fmt::Display for Span {
    /// The shortest exact form: `2w`, `3d`, `36h`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.hours {
            h if h % (24 * 7) == 0 && h > 0 => write!(f, "{}w", h / (24 * 7)),
            h if h % 24 == 0 && h > 0 => write!(f, "{}d", h / 24),
            h => write!(f, "{h}h"),
        }
    }
}

/// A span that is not a number followed by `h`, `d` or `w`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not a span of time such as 48h, 2d or 6w (at most 10 years)")]
pub struct InvalidSpan(pub String);

impl FromStr for Span {
    type Err = InvalidSpan;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let invalid = || InvalidSpan(s.chars().take(20).collect());
        let s = s.trim();
        let (number, unit) = s.split_at_checked(s.len().saturating_sub(1)).ok_or_else(invalid)?;
        let n: u32 = number.parse().map_err(|_| invalid())?;
        let hours = match unit {
            "h" => Some(n),
            "d" => n.checked_mul(24),
            "w" => n.checked_mul(24 * 7),
            _ => None,
        }
        .filter(|h| *h > 0 && *h <= 24 * 366 * 10)
        .ok_or_else(invalid)?;
        Ok(Span { hours })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(input: &str, expected: Option<&str>) {
        assert_eq!(input.parse::<Span>().ok().map(|s| s.to_string()).as_deref(), expected, "{input}");
    }

    #[test]
    fn spans_parse_and_print_their_shortest_form() {
        check("48h", Some("2d"));
        check("2d", Some("2d"));
        check("14d", Some("2w"));
        check("36h", Some("36h"));
        check(" 90d ", Some("90d"));
        check("0d", None);
        check("2", None);
        check("d", None);
        check("2m", None);
        check("-2d", None);
        check("99999w", None);
        assert_eq!(Span::days(2).duration(), time::Duration::hours(48));
    }
}
