//! The report lifecycle: states and the one transition table.
//!
//! ```text
//! new → acknowledged → triaging → accepted → fixing → fixed → disclosed
//!  └──────────┴────────────┴→ not_vulnerable | duplicate | out_of_scope | spam | withdrawn
//!             acknowledged | triaging ⇄ needs_info (the reporter's answer moves it back)
//! ```
//!
//! Beyond the main line: an accepted report may still turn out not to be a
//! vulnerability (or a duplicate) on closer look; closed-by-decision reports
//! (not a vulnerability, duplicate, out of scope, spam) may be reopened into
//! triage; `disclosed` is reached only by publishing the report's advisory.

use std::fmt;
use std::str::FromStr;

use crate::id::ReportId;
use crate::text::UnknownName;

/// Where a report is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ReportState {
    /// Received, not yet acknowledged.
    New,
    /// The team has confirmed receipt.
    Acknowledged,
    /// The team is assessing it.
    Triaging,
    /// The team asked the reporter for something and waits for the answer.
    NeedsInfo,
    /// Accepted as a vulnerability.
    Accepted,
    /// A fix is being prepared.
    Fixing,
    /// The fix is public.
    Fixed,
    /// The advisory is published.
    Disclosed,
    /// Declined: not a vulnerability (with the reason).
    NotVulnerable,
    /// Declined: already reported.
    Duplicate,
    /// Declined: outside the policy's scope.
    OutOfScope,
    /// Discarded without reply.
    Spam,
    /// Withdrawn by the reporter.
    Withdrawn,
}

impl ReportState {
    /// Every state, in table order.
    pub const ALL: [ReportState; 13] = [
        ReportState::New,
        ReportState::Acknowledged,
        ReportState::Triaging,
        ReportState::NeedsInfo,
        ReportState::Accepted,
        ReportState::Fixing,
        ReportState::Fixed,
        ReportState::Disclosed,
        ReportState::NotVulnerable,
        ReportState::Duplicate,
        ReportState::OutOfScope,
        ReportState::Spam,
        ReportState::Withdrawn,
    ];

    /// The state's name in requests and storage.
    pub const fn as_str(self) -> &'static str {
        match self {
            ReportState::New => "new",
            ReportState::Acknowledged => "acknowledged",
            ReportState::Triaging => "triaging",
            ReportState::NeedsInfo => "needs_info",
            ReportState::Accepted => "accepted",
            ReportState::Fixing => "fixing",
            ReportState::Fixed => "fixed",
            ReportState::Disclosed => "disclosed",
            ReportState::NotVulnerable => "not_vulnerable",
            ReportState::Duplicate => "duplicate",
            ReportState::OutOfScope => "out_of_scope",
            ReportState::Spam => "spam",
            ReportState::Withdrawn => "withdrawn",
        }
    }

    /// A short label for people.
    pub const fn label(self) -> &'static str {
        match self {
            ReportState::New => "New",
            ReportState::Acknowledged => "Acknowledged",
            ReportState::Triaging => "Triaging",
            ReportState::NeedsInfo => "Needs information",
            ReportState::Accepted => "Accepted",
            ReportState::Fixing => "Fixing",
            ReportState::Fixed => "Fixed",
            ReportState::Disclosed => "Disclosed",
            ReportState::NotVulnerable => "Not a vulnerability",
            ReportState::Duplicate => "Duplicate",
            ReportState::OutOfScope => "Out of scope",
            ReportState::Spam => "Spam",
            ReportState::Withdrawn => "Withdrawn",
        }
    }

    /// Where the report stands, as a sentence ends: "the report is now …".
    pub const fn phrase(self) -> &'static str {
        match self {
            ReportState::New => "new",
            ReportState::Acknowledged => "acknowledged",
            ReportState::Triaging => "being assessed",
            ReportState::NeedsInfo => "waiting for information from the reporter",
            ReportState::Accepted => "accepted as a vulnerability",
            ReportState::Fixing => "being fixed",
            ReportState::Fixed => "fixed",
            ReportState::Disclosed => "disclosed",
            ReportState::NotVulnerable => "declined as not a vulnerability",
            ReportState::Duplicate => "closed as a duplicate",
            ReportState::OutOfScope => "closed as out of scope",
            ReportState::Spam => "closed as spam",
            ReportState::Withdrawn => "withdrawn",
        }
    }

    /// Whether the report is accepted as a vulnerability (and not since declined).
    pub const fn is_accepted(self) -> bool {
        match self {
            ReportState::Accepted | ReportState::Fixing | ReportState::Fixed | ReportState::Disclosed => true,
            ReportState::New
            | ReportState::Acknowledged
            | ReportState::Triaging
            | ReportState::NeedsInfo
            | ReportState::NotVulnerable
            | ReportState::Duplicate
            | ReportState::OutOfScope
            | ReportState::Spam
            | ReportState::Withdrawn => false,
        }
    }

    /// How the report ended, for a reporter's record (and a ban threshold).
    pub const fn outcome(self) -> Outcome {
        match self {
            ReportState::Accepted | ReportState::Fixing | ReportState::Fixed | ReportState::Disclosed => {
                Outcome::Accepted
            }
            ReportState::NotVulnerable | ReportState::OutOfScope | ReportState::Duplicate => Outcome::Declined,
            ReportState::Spam => Outcome::Spam,
            ReportState::New
            | ReportState::Acknowledged
            | ReportState::Triaging
            | ReportState::NeedsInfo
            | ReportState::Withdrawn => Outcome::Open,
        }
    }

    /// Whether the report is still waiting for a triage decision.
    pub const fn is_in_triage(self) -> bool {
        matches!(self, ReportState::New | ReportState::Acknowledged | ReportState::Triaging | ReportState::NeedsInfo)
    }

    /// Whether the report is closed: no further work is expected.
    pub const fn is_closed(self) -> bool {
        match self {
            ReportState::Disclosed
            | ReportState::NotVulnerable
            | ReportState::Duplicate
            | ReportState::OutOfScope
            | ReportState::Spam
            | ReportState::Withdrawn => true,
            ReportState::New
            | ReportState::Acknowledged
            | ReportState::Triaging
            | ReportState::NeedsInfo
            | ReportState::Accepted
            | ReportState::Fixing
            | ReportState::Fixed => false,
        }
    }

    /// The states a report may move to from this one, by anyone.
    pub const fn successors(self) -> &'static [ReportState] {
        use ReportState::*;
        match self {
            New => &[Acknowledged, NotVulnerable, Duplicate, OutOfScope, Spam, Withdrawn],
            Acknowledged => &[Triaging, NeedsInfo, NotVulnerable, Duplicate, OutOfScope, Spam, Withdrawn],
            Triaging => &[Accepted, NeedsInfo, NotVulnerable, Duplicate, OutOfScope, Spam, Withdrawn],
            NeedsInfo => &[Triaging, NotVulnerable, Duplicate, OutOfScope, Spam, Withdrawn],
            Accepted => &[Fixing, NotVulnerable, Duplicate],
            Fixing => &[Fixed],
            Fixed => &[Disclosed],
            NotVulnerable | Duplicate | OutOfScope | Spam => &[Triaging],
            Disclosed | Withdrawn => &[],
        }
    }
}

/// How a report ended, as a reporter's record counts it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Outcome {
    /// Accepted as a vulnerability.
    Accepted,
    /// Declined: not a vulnerability, out of scope, or a duplicate.
    Declined,
    /// Discarded as spam.
    Spam,
    /// Not decided (or withdrawn by the reporter): counts for nothing.
    Open,
}

impl fmt::Display for ReportState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for ReportState {
    type Err = UnknownName;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ReportState::ALL.into_iter().find(|state| state.as_str() == s).ok_or_else(|| {
            UnknownName::new(
                "report state",
                s,
                "new, acknowledged, triaging, needs_info, accepted, fixing, fixed, disclosed, not_vulnerable, \
                 duplicate, out_of_scope, spam or withdrawn",
            )
        })
    }
}

/// Who asks for a transition.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Performer {
    /// The project's security team.
    Team,
    /// The reporter (signed in or with the follow-up token).
    Reporter,
    /// Embargo itself, as part of another use case (publishing an advisory).
    System,
}

/// A request to move a report to another state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransitionRequest {
    /// The target state.
    pub to: ReportState,
    /// Why; required for `not_vulnerable`, `out_of_scope` and `needs_info` (what is asked), sent to the reporter.
    pub reason: Option<String>,
    /// The original report; required for `duplicate`.
    pub duplicate_of: Option<ReportId>,
}

/// Why a transition is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TransitionError {
    /// The table has no edge from `from` to `to`.
    #[error("a report cannot move from {from} to {to}")]
    Illegal {
        /// The current state.
        from: ReportState,
        /// The requested state.
        to: ReportState,
    },
    /// The target state needs a reason for the reporter.
    #[error("moving a report to {to} needs a reason")]
    ReasonRequired {
        /// The requested state.
        to: ReportState,
    },
    /// `duplicate` needs the original report's id.
    #[error("moving a report to duplicate needs duplicate_of, the original report's id")]
    DuplicateOfRequired,
    /// A report cannot duplicate itself.
    #[error("a report cannot be a duplicate of itself")]
    DuplicateOfSelf,
    /// `duplicate_of` was given for another target state.
    #[error("duplicate_of is only allowed when moving to duplicate")]
    UnexpectedDuplicateOf,
    /// Reporters may only withdraw their reports.
    #[error("a reporter may only withdraw a report, not move it to {to}")]
    NotForReporter {
        /// The requested state.
        to: ReportState,
    },
    /// `disclosed` is reached by publishing the advisory.
    #[error("a report becomes disclosed when its advisory is published; publish the advisory instead")]
    DiscloseByPublishing,
}

/// Checks a transition against the table and its requirements.
pub fn check_transition(
    report: ReportId,
    from: ReportState,
    request: &TransitionRequest,
    performer: Performer,
) -> Result<(), TransitionError> {
    let to = request.to;
    if !from.successors().contains(&to) {
        return Err(TransitionError::Illegal { from, to });
    }
    match performer {
        Performer::Reporter if to != ReportState::Withdrawn => return Err(TransitionError::NotForReporter { to }),
        Performer::Team if to == ReportState::Disclosed => return Err(TransitionError::DiscloseByPublishing),
        Performer::Reporter | Performer::Team | Performer::System => {}
    }
    // Declining tells the reporter why; asking for information says what is needed.
    let needs_reason = matches!(to, ReportState::NotVulnerable | ReportState::OutOfScope | ReportState::NeedsInfo);
    let has_reason = request.reason.as_deref().is_some_and(|r| !r.trim().is_empty());
    if needs_reason && !has_reason {
        return Err(TransitionError::ReasonRequired { to });
    }
    match (to, request.duplicate_of) {
        (ReportState::Duplicate, None) => Err(TransitionError::DuplicateOfRequired),
        (ReportState::Duplicate, Some(original)) if original == report => Err(TransitionError::DuplicateOfSelf),
        (ReportState::Duplicate, Some(_)) | (_, None) => Ok(()),
        (_, Some(_)) => Err(TransitionError::UnexpectedDuplicateOf),
    }
}

/// The states `performer` may move a report to from `from`: what a page offers.
pub fn allowed_transitions(from: ReportState, performer: Performer) -> Vec<ReportState> {
    from.successors()
        .iter()
        .copied()
        .filter(|to| match performer {
            Performer::Team => *to != ReportState::Disclosed,
            Performer::Reporter => *to == ReportState::Withdrawn,
            Performer::System => true,
        })
        .collect()
}

#[cfg(test)]
mod tests;
