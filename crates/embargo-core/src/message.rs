//! Messages on a report: the private conversation with the reporter and the
//! team's internal notes.

use std::fmt;
use std::str::FromStr;

use crate::Timestamp;
use crate::id::{MessageId, ReportId, UserId};
use crate::private::Private;
use crate::text::UnknownName;

/// Who may read a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Visibility {
    /// The reporter and the team.
    ReporterVisible,
    /// The team only; never in anything a reporter or the public receives.
    Internal,
}

impl Visibility {
    /// The name in requests and storage.
    pub const fn as_str(self) -> &'static str {
        match self {
            Visibility::ReporterVisible => "reporter-visible",
            Visibility::Internal => "internal",
        }
    }
}

impl fmt::Display for Visibility {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Visibility {
    type Err = UnknownName;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "reporter-visible" => Ok(Visibility::ReporterVisible),
            "internal" => Ok(Visibility::Internal),
            other => Err(UnknownName::new("visibility", other, "reporter-visible or internal")),
        }
    }
}

/// The side a message's author is on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AuthorRole {
    /// The reporter.
    Reporter,
    /// A member of the security team.
    Team,
}

impl AuthorRole {
    /// The name in storage.
    pub const fn as_str(self) -> &'static str {
        match self {
            AuthorRole::Reporter => "reporter",
            AuthorRole::Team => "team",
        }
    }
}

impl FromStr for AuthorRole {
    type Err = UnknownName;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "reporter" => Ok(AuthorRole::Reporter),
            "team" => Ok(AuthorRole::Team),
            other => Err(UnknownName::new("author role", other, "reporter or team")),
        }
    }
}

/// How something reached Embargo.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Channel {
    /// The web form.
    Web,
    /// The JSON API.
    Api,
    /// E-mail to a security address.
    Email,
    /// The command line on the server.
    Cli,
}

impl Channel {
    /// Every channel.
    pub const ALL: [Channel; 4] = [Channel::Web, Channel::Api, Channel::Email, Channel::Cli];

    /// The name in requests and storage.
    pub const fn as_str(self) -> &'static str {
        match self {
            Channel::Web => "web",
            Channel::Api => "api",
            Channel::Email => "email",
            Channel::Cli => "cli",
        }
    }
}

impl fmt::Display for Channel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Channel {
    type Err = UnknownName;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Channel::ALL
            .into_iter()
            .find(|c| c.as_str() == s)
            .ok_or_else(|| UnknownName::new("channel", s, "web, api, email or cli"))
    }
}

/// A message on a report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    /// Its id.
    pub id: MessageId,
    /// The report it belongs to.
    pub report_id: ReportId,
    /// The signed-in author, if any (a follow-up-token reporter has none).
    pub author_id: Option<UserId>,
    /// The author's side.
    pub author_role: AuthorRole,
    /// Who may read it.
    pub visibility: Visibility,
    /// How it arrived.
    pub channel: Channel,
    /// The text.
    pub body: Private<String>,
    /// When it was posted.
    pub created_at: Timestamp,
}
