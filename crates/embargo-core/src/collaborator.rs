//! People the team invites to work on one report: an upstream maintainer, the
//! fix author (a *collaborator*), or a co-finder (a *reporter*, credited).
//! The invitation is a private link, like the reporter's; an invitee with an
//! account also sees the report under their own session.

use std::fmt;
use std::str::FromStr;

use crate::Timestamp;
use crate::id::{CollaboratorId, ReportId, UserId};
use crate::text::{Email, UnknownName};

/// What an invitee is to the report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CollaboratorRole {
    /// Reads the report and the reporter thread, posts; internal notes only when the team allows it.
    Collaborator,
    /// A co-finder: the same access, and credited with the reporter.
    Reporter,
}

impl CollaboratorRole {
    /// Every role.
    pub const ALL: [CollaboratorRole; 2] = [CollaboratorRole::Collaborator, CollaboratorRole::Reporter];

    /// The name in requests, answers and storage.
    pub const fn as_str(self) -> &'static str {
        match self {
            CollaboratorRole::Collaborator => "collaborator",
            CollaboratorRole::Reporter => "reporter",
        }
    }
}

impl fmt::Display for CollaboratorRole {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for CollaboratorRole {
    type Err = UnknownName;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        CollaboratorRole::ALL
            .into_iter()
            .find(|r| r.as_str() == s)
            .ok_or_else(|| UnknownName::new("collaborator role", s, "collaborator or reporter"))
    }
}

/// What an invitation grants, as the permission function sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Collaboration {
    /// The invitation.
    pub id: CollaboratorId,
    /// The one report it opens.
    pub report: ReportId,
    /// Collaborator or co-finder.
    pub role: CollaboratorRole,
    /// Whether the team let them read internal notes.
    pub sees_internal: bool,
}

/// An invitation to one report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Collaborator {
    /// Its id.
    pub id: CollaboratorId,
    /// The report.
    pub report_id: ReportId,
    /// Where the invitation went.
    pub email: Email,
    /// The invitee's account, when one had that address at the invitation.
    pub user_id: Option<UserId>,
    /// Collaborator or co-finder.
    pub role: CollaboratorRole,
    /// Whether they read internal notes.
    pub sees_internal: bool,
    /// Who invited them.
    pub invited_by: Option<UserId>,
    /// When.
    pub created_at: Timestamp,
    /// When the invitation was revoked; a revoked invitation opens nothing.
    pub revoked_at: Option<Timestamp>,
}

impl Collaborator {
    /// What this invitation grants; nothing once revoked.
    pub fn grant(&self) -> Option<Collaboration> {
        self.revoked_at.is_none().then_some(Collaboration {
            id: self.id,
            report: self.report_id,
            role: self.role,
            sees_internal: self.sees_internal,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_round_trip_and_unknown_ones_are_named() {
        for role in CollaboratorRole::ALL {
            assert_eq!(role.as_str().parse::<CollaboratorRole>().unwrap(), role);
        }
        let error = "owner".parse::<CollaboratorRole>().unwrap_err();
        assert!(error.to_string().contains("owner"), "{error}");
    }
}
