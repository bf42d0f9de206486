//! Users, team memberships, roles and API token scopes.

use std::collections::BTreeSet;
use std::fmt;
use std::str::FromStr;

use crate::Timestamp;
use crate::id::{OrgId, ProjectId, UserId};
use crate::text::{Email, UnknownName};

/// A user account. Reporters, team members and administrators are all users;
/// what they may do follows from [`Membership`]s and the admin flag.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    /// The account's id.
    pub id: UserId,
    /// The sign-in address, lower-cased and unique.
    pub email: Email,
    /// The display name, also used for credits.
    pub name: String,
    /// Instance administrators manage organisations, projects and users.
    pub is_admin: bool,
    /// When the account was made.
    pub created_at: Timestamp,
    /// Set when the account was banned for repeatedly ignoring the policy.
    pub banned_at: Option<Timestamp>,
}

/// Where a security-team membership applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum TeamScope {
    /// Every project of the organisation.
    Organisation(OrgId),
    /// One project.
    Project(ProjectId),
}

/// A user's membership of a security team.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Membership {
    /// The member.
    pub user_id: UserId,
    /// The organisation or project whose team it is.
    pub scope: TeamScope,
    /// When it was granted.
    pub created_at: Timestamp,
}

/// The roles the permission function knows, from most to least powerful.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    /// Manages the instance: organisations, projects, users and settings.
    InstanceAdmin,
    /// The security team of an organisation: every project of it.
    OrganisationTeam,
    /// The security team of one project.
    ProjectTeam,
    /// A signed-in reporter, or the holder of a report's follow-up token.
    Reporter,
    /// Anyone else.
    Anonymous,
}

/// What an API token may be used for. A token never grants more than its
/// user may do; it only narrows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum TokenScope {
    /// Read what the user may read.
    Read,
    /// Submit reports and take part in one's own reports as a reporter.
    Report,
    /// Triage: messages, transitions and team fields on the team's reports.
    Triage,
    /// Draft, edit and publish advisories.
    Publish,
    /// Manage organisations, projects, members and the instance.
    Admin,
}

impl TokenScope {
    /// Every scope, in a stable order.
    pub const ALL: [TokenScope; 5] =
        [TokenScope::Read, TokenScope::Report, TokenScope::Triage, TokenScope::Publish, TokenScope::Admin];

    /// The scope's name in requests and storage.
    pub const fn as_str(self) -> &'static str {
        match self {
            TokenScope::Read => "read",
            TokenScope::Report => "report",
            TokenScope::Triage => "triage",
            TokenScope::Publish => "publish",
            TokenScope::Admin => "admin",
        }
    }
}

impl fmt::Display for TokenScope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for TokenScope {
    type Err = UnknownName;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        TokenScope::ALL
            .into_iter()
            .find(|scope| scope.as_str() == s)
            .ok_or_else(|| UnknownName::new("token scope", s, "read, report, triage, publish or admin"))
    }
}

/// A set of token scopes.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TokenScopes(BTreeSet<TokenScope>);

impl TokenScopes {
    /// Whether the set holds `scope`.
    pub fn contains(&self, scope: TokenScope) -> bool {
        self.0.contains(&scope)
    }

    /// The scopes in a stable order.
    pub fn iter(&self) -> impl Iterator<Item = TokenScope> + '_ {
        self.0.iter().copied()
    }

    /// Whether the set is empty.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl FromIterator<TokenScope> for TokenScopes {
    fn from_iter<I: IntoIterator<Item = TokenScope>>(iter: I) -> Self {
        TokenScopes(iter.into_iter().collect())
    }
}

impl fmt::Display for TokenScopes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<&str> = self.iter().map(TokenScope::as_str).collect();
        f.write_str(&names.join(" "))
    }
}

impl FromStr for TokenScopes {
    type Err = UnknownName;

    /// Parses space-separated scope names, as stored.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        s.split_whitespace().map(str::parse).collect()
    }
}
