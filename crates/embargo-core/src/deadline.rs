//! Response deadlines: set from the policy's promised times when a report
//! arrives (acknowledge, triage) and when it is accepted (fix, disclosure).

use crate::Timestamp;
use crate::lifecycle::ReportState;
use crate::policy::Policy;

/// A report's deadlines; none where the policy promises nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Deadlines {
    /// Acknowledge by.
    pub acknowledge: Option<Timestamp>,
    /// Decide by.
    pub triage: Option<Timestamp>,
    /// Fix by.
    pub fix: Option<Timestamp>,
    /// Disclose by.
    pub disclosure: Option<Timestamp>,
}

/// Which deadline.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DeadlineKind {
    /// Acknowledge the report.
    Acknowledge,
    /// Decide: accept or decline.
    Triage,
    /// Fix it.
    Fix,
    /// Disclose it.
    Disclosure,
}

impl DeadlineKind {
    /// The name in requests and storage.
    pub const fn as_str(self) -> &'static str {
        match self {
            DeadlineKind::Acknowledge => "acknowledge",
            DeadlineKind::Triage => "triage",
            DeadlineKind::Fix => "fix",
            DeadlineKind::Disclosure => "disclosure",
        }
    }

    /// The verb for people ("acknowledge within 2 days").
    pub const fn verb(self) -> &'static str {
        match self {
            DeadlineKind::Acknowledge => "acknowledge",
            DeadlineKind::Triage => "decide",
            DeadlineKind::Fix => "fix",
            DeadlineKind::Disclosure => "disclose",
        }
    }
}

/// The deadline that matters now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Due {
    /// Which one.
    pub kind: DeadlineKind,
    /// When.
    pub at: Timestamp,
}

impl Due {
    /// Time left (negative: overdue by that much).
    pub fn remaining(&self, now: Timestamp) -> time::Duration {
        self.at - now
    }

    /// Whether it has passed.
    pub fn is_overdue(&self, now: Timestamp) -> bool {
        now > self.at
    }
}

impl Deadlines {
    /// The deadlines a report gets when it arrives.
    pub fn on_receipt(policy: &Policy, received: Timestamp) -> Self {
        let after = |span: Option<crate::policy::Span>| span.map(|s| received + s.duration());
        Deadlines {
            acknowledge: after(policy.response.acknowledge.value),
            triage: after(policy.response.triage.value),
            fix: None,
            disclosure: None,
        }
    }

    /// Adds the deadlines that start when the report is accepted.
    pub fn on_acceptance(&mut self, policy: &Policy, accepted: Timestamp) {
        let after = |span: Option<crate::policy::Span>| span.map(|s| accepted + s.duration());
        self.fix = after(policy.response.fix.value);
        self.disclosure = after(policy.response.disclosure.value);
    }

    /// The deadline that matters in `state`.
    pub fn current(&self, state: ReportState) -> Option<Due> {
        let due = |kind, at: Option<Timestamp>| at.map(|at| Due { kind, at });
        match state {
            ReportState::New => due(DeadlineKind::Acknowledge, self.acknowledge),
            // Asking the reporter does not stop the triage clock: the team still owes a decision.
            ReportState::Acknowledged | ReportState::Triaging | ReportState::NeedsInfo => {
                due(DeadlineKind::Triage, self.triage)
            }
            ReportState::Accepted | ReportState::Fixing => {
                due(DeadlineKind::Fix, self.fix).or_else(|| due(DeadlineKind::Disclosure, self.disclosure))
            }
            ReportState::Fixed => due(DeadlineKind::Disclosure, self.disclosure),
            ReportState::Disclosed
            | ReportState::NotVulnerable
            | ReportState::Duplicate
            | ReportState::OutOfScope
            | ReportState::Spam
            | ReportState::Withdrawn => None,
        }
    }
}

impl Deadlines {
    /// The deadline of `kind`, where the policy set one.
    pub fn of(&self, kind: DeadlineKind) -> Option<Timestamp> {
        match kind {
            DeadlineKind::Acknowledge => self.acknowledge,
            DeadlineKind::Triage => self.triage,
            DeadlineKind::Fix => self.fix,
            DeadlineKind::Disclosure => self.disclosure,
        }
    }
}

/// When to remind the team of a deadline that runs from `start` to `due`:
/// once three quarters of the time have passed.
pub fn reminder_at(start: Timestamp, due: Timestamp) -> Timestamp {
    start + (due - start) * 3 / 4
}

/// "2 days", "5 h", "40 min": a duration for people, rounded down.
pub fn human(duration: time::Duration) -> String {
    let minutes = duration.whole_minutes().abs();
    match minutes {
        m if m >= 2 * 24 * 60 => format!("{} days", m / (24 * 60)),
        m if m >= 24 * 60 => "1 day".to_owned(),
        m if m >= 60 => format!("{} h", m / 60),
        m => format!("{m} min"),
    }
}

#[cfg(test)]
mod tests {
    use time::macros::datetime;

    use super::*;
    use crate::policy::{PolicyDraft, ResponseDraft, Span, resolve};

    #[test]
    fn deadlines_follow_the_promised_times_and_the_state() {
        let draft = PolicyDraft {
            response: ResponseDraft {
                acknowledge: Some(Span::days(2)),
                triage: Some(Span::days(7)),
                fix: Some(Span::days(90)),
                disclosure: None,
                close_unanswered: None,
                expectations: None,
            },
            ..PolicyDraft::default()
        };
        let policy = resolve(&draft, None);
        let received = datetime!(2026-05-04 9:00 UTC);
        let mut deadlines = Deadlines::on_receipt(&policy, received);
        assert_eq!(deadlines.acknowledge, Some(datetime!(2026-05-06 9:00 UTC)));
        let due = deadlines.current(ReportState::New).unwrap();
        assert_eq!(due.kind, DeadlineKind::Acknowledge);
        assert!(due.is_overdue(datetime!(2026-05-06 14:00 UTC)));
        assert_eq!(human(due.remaining(datetime!(2026-05-06 14:00 UTC))), "5 h");
        assert_eq!(deadlines.current(ReportState::Triaging).unwrap().at, datetime!(2026-05-11 9:00 UTC));
        assert_eq!(deadlines.current(ReportState::Accepted), None, "no fix deadline before acceptance");
        deadlines.on_acceptance(&policy, datetime!(2026-05-10 9:00 UTC));
        assert_eq!(deadlines.current(ReportState::Fixing).unwrap().kind, DeadlineKind::Fix);
        assert_eq!(deadlines.current(ReportState::Fixed), None, "no disclosure deadline promised");
        assert_eq!(deadlines.current(ReportState::Spam), None);
        assert_eq!(Deadlines::on_receipt(&resolve(&PolicyDraft::default(), None), received), Deadlines::default());
    }

    #[test]
    fn reminders_come_when_three_quarters_of_the_time_passed() {
        let start = datetime!(2026-05-04 9:00 UTC);
        assert_eq!(reminder_at(start, datetime!(2026-05-08 9:00 UTC)), datetime!(2026-05-07 9:00 UTC));
        assert_eq!(reminder_at(start, datetime!(2026-05-04 13:00 UTC)), datetime!(2026-05-04 12:00 UTC));
        let deadlines = Deadlines { triage: Some(start), ..Deadlines::default() };
        assert_eq!(deadlines.of(DeadlineKind::Triage), Some(start));
        assert_eq!(deadlines.of(DeadlineKind::Fix), None);
    }

    #[test]
    fn human_durations() {
        assert_eq!(human(time::Duration::minutes(40)), "40 min");
        assert_eq!(human(time::Duration::hours(-5)), "5 h");
        assert_eq!(human(time::Duration::hours(30)), "1 day");
        assert_eq!(human(time::Duration::days(3)), "3 days");
    }
}
