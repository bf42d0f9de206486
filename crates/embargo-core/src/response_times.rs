//! Public response times: how fast a team answers, computed from report
//! history over a window (the last 12 months), as medians and 90th
//! percentiles (nearest rank) and the share of reports answered within the
//! times the policy promised. A figure over fewer than [`MIN_REPORTS`]
//! reports is withheld, so that no single report can be inferred.

use time::Duration;

use crate::Timestamp;
use crate::lifecycle::{Outcome, ReportState};

/// The fewest reports a figure is shown for.
pub const MIN_REPORTS: usize = 5;

/// One report's history, as the figures need it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Timeline {
    /// When it arrived.
    pub received: Timestamp,
    /// The acknowledgement the policy promised at intake, if any.
    pub acknowledge_due: Option<Timestamp>,
    /// The decision the policy promised at intake, if any.
    pub triage_due: Option<Timestamp>,
    /// The states it reached and when, oldest first (its arrival excluded).
    pub changes: Vec<(ReportState, Timestamp)>,
}

impl Timeline {
    /// When the team first answered: the first move out of `new`.
    fn acknowledged(&self) -> Option<Timestamp> {
        self.changes.iter().find(|(to, _)| *to != ReportState::New).map(|(_, at)| *at)
    }

    /// When the team decided: accepted, or declined (not a vulnerability, duplicate, out of scope).
    fn decided(&self) -> Option<Timestamp> {
        self.changes
            .iter()
            .find(|(to, _)| matches!(to.outcome(), Outcome::Accepted | Outcome::Declined))
            .map(|(_, at)| *at)
    }

    fn disclosed(&self) -> Option<Timestamp> {
        self.changes.iter().find(|(to, _)| *to == ReportState::Disclosed).map(|(_, at)| *at)
    }

    fn spam(&self) -> bool {
        self.changes.iter().any(|(to, _)| *to == ReportState::Spam)
    }
}

/// A median and a 90th percentile over some reports; both withheld below [`MIN_REPORTS`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Figure {
    /// How many reports it is computed from.
    pub reports: usize,
    /// The median (nearest rank), if shown.
    pub median: Option<Duration>,
    /// The 90th percentile (nearest rank), if shown.
    pub p90: Option<Duration>,
}

/// A share of reports answered in time; withheld below [`MIN_REPORTS`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Share {
    /// Reports the policy promised a time for, whose time passed or which were answered.
    pub reports: usize,
    /// Of those, answered in time, if shown.
    pub within: Option<usize>,
}

/// The figures of a project or an organisation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ResponseStats {
    /// Reports in the window (spam left out).
    pub reports: usize,
    /// From arrival to the first answer.
    pub acknowledge: Figure,
    /// From arrival to a decision.
    pub triage: Figure,
    /// From arrival to disclosure.
    pub disclosure: Figure,
    /// Acknowledged within the promised time.
    pub acknowledged_in_time: Share,
    /// Decided within the promised time.
    pub decided_in_time: Share,
}

/// The `p`-th percentile of sorted `values` by nearest rank.
fn nearest_rank(sorted: &[Duration], p: usize) -> Option<Duration> {
    let rank = (p * sorted.len()).div_ceil(100).max(1);
    sorted.get(rank - 1).copied()
}

fn figure(mut values: Vec<Duration>) -> Figure {
    values.sort();
    let shown = values.len() >= MIN_REPORTS;
    Figure {
        reports: values.len(),
        median: shown.then(|| nearest_rank(&values, 50)).flatten(),
        p90: shown.then(|| nearest_rank(&values, 90)).flatten(),
    }
}

fn share(results: impl Iterator<Item = bool>) -> Share {
    let results: Vec<bool> = results.collect();
    let within = results.iter().filter(|r| **r).count();
    Share { reports: results.len(), within: (results.len() >= MIN_REPORTS).then_some(within) }
}

/// Whether an answer came in time: answered by `due`, or not yet answered with `due` still ahead (left out).
fn in_time(answered: Option<Timestamp>, due: Option<Timestamp>, now: Timestamp) -> Option<bool> {
    match (answered, due) {
        (_, None) => None,
        (Some(at), Some(due)) => Some(at <= due),
        (None, Some(due)) => (now > due).then_some(false),
    }
}

/// The figures of `timelines` (those received since `since`), as of `now`.
pub fn summarise(timelines: &[Timeline], since: Timestamp, now: Timestamp) -> ResponseStats {
    let counted: Vec<&Timeline> = timelines.iter().filter(|t| t.received >= since && !t.spam()).collect();
    let span = |at: Option<Timestamp>, t: &Timeline| at.map(|at| at - t.received);
    ResponseStats {
        reports: counted.len(),
        acknowledge: figure(counted.iter().filter_map(|t| span(t.acknowledged(), t)).collect()),
        triage: figure(counted.iter().filter_map(|t| span(t.decided(), t)).collect()),
        disclosure: figure(counted.iter().filter_map(|t| span(t.disclosed(), t)).collect()),
        acknowledged_in_time: share(counted.iter().filter_map(|t| in_time(t.acknowledged(), t.acknowledge_due, now))),
        decided_in_time: share(counted.iter().filter_map(|t| in_time(t.decided(), t.triage_due, now))),
    }
}

#[cfg(test)]
mod tests {
    use time::macros::datetime;

    use super::*;

    fn timeline(hours_to_ack: i64, decided_after: Option<i64>, spam: bool) -> Timeline {
        let received = datetime!(2026-05-01 00:00 UTC);
        let mut changes = vec![(ReportState::Acknowledged, received + Duration::hours(hours_to_ack))];
        if let Some(h) = decided_after {
            changes.push((ReportState::Accepted, received + Duration::hours(h)));
        }
        if spam {
            changes = vec![(ReportState::Spam, received + Duration::hours(1))];
        }
        Timeline {
            received,
            acknowledge_due: Some(received + Duration::hours(48)),
            triage_due: Some(received + Duration::hours(24 * 7)),
            changes,
        }
    }

    #[test]
    fn medians_and_percentiles_by_nearest_rank_withheld_below_five() {
        let since = datetime!(2025-06-01 00:00 UTC);
        let now = datetime!(2026-06-01 00:00 UTC);
        let ten: Vec<Timeline> = (1..=10).map(|h| timeline(h * 10, Some(h * 20), false)).collect();
        let stats = summarise(&ten, since, now);
        assert_eq!(stats.reports, 10);
        assert_eq!(stats.acknowledge.median, Some(Duration::hours(50)));
        assert_eq!(stats.acknowledge.p90, Some(Duration::hours(90)));
        assert_eq!(stats.triage.median, Some(Duration::hours(100)));
        assert_eq!(stats.acknowledged_in_time, Share { reports: 10, within: Some(4) }, "10 to 40 hours of 48");
        assert_eq!(stats.decided_in_time, Share { reports: 10, within: Some(8) }, "up to 160 hours of 168");
        assert_eq!(stats.disclosure, Figure { reports: 0, median: None, p90: None });

        let four = summarise(&ten[..4], since, now);
        assert_eq!(four.acknowledge, Figure { reports: 4, median: None, p90: None }, "too few to show");
        assert_eq!(four.acknowledged_in_time.within, None);

        let mut with_spam = ten.clone();
        with_spam.push(timeline(1, None, true));
        assert_eq!(summarise(&with_spam, since, now).reports, 10, "spam is left out");
        let later = datetime!(2026-05-02 00:00 UTC);
        assert_eq!(summarise(&ten, later, now).reports, 0, "outside the window");
    }

    #[test]
    fn unanswered_reports_count_as_late_once_their_time_passed() {
        let waiting = Timeline { changes: Vec::new(), ..timeline(1, None, false) };
        let early = datetime!(2026-05-01 12:00 UTC);
        assert_eq!(in_time(None, waiting.acknowledge_due, early), None, "not due yet: left out");
        assert_eq!(in_time(None, waiting.acknowledge_due, datetime!(2026-05-04 00:00 UTC)), Some(false));
        assert_eq!(in_time(Some(early), None, early), None, "no promise: left out");
    }
}
