//! Identifiers: newtypes with `FromStr` and a canonical `Display`.
//!
//! Bare strings or integers never cross crates as ids.

use std::fmt;
use std::str::FromStr;

use uuid::Uuid;

/// Why a string is not a valid identifier.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{value:?} is not a valid {kind} id")]
pub struct InvalidId {
    /// Which kind of id was expected (`report`, `user`, ...).
    pub kind: &'static str,
    /// The rejected input, cut to a safe length.
    pub value: String,
}

impl InvalidId {
    pub(crate) fn new(kind: &'static str, value: &str) -> Self {
        InvalidId { kind, value: value.chars().take(80).collect() }
    }
}

macro_rules! uuid_id {
    ($(#[$doc:meta])* $name:ident, $kind:literal) => {
        $(#[$doc])*
        #[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(Uuid);

        impl $name {
            /// Wraps a UUID made by the caller (who owns the random source).
            pub const fn from_uuid(uuid: Uuid) -> Self {
                $name(uuid)
            }

            /// The UUID inside.
            pub const fn as_uuid(&self) -> Uuid {
                self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.hyphenated().fmt(f)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, concat!($kind, ":{}"), self.0.hyphenated())
            }
        }

        impl FromStr for $name {
            type Err = InvalidId;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Uuid::try_parse(s).map($name).map_err(|_| InvalidId::new($kind, s))
            }
        }
    };
}

uuid_id!(
    /// A user account (reporter, team member or administrator).
    UserId,
    "user"
);
uuid_id!(
    /// An organisation.
    OrgId,
    "organisation"
);
uuid_id!(
    /// A project within an organisation.
    ProjectId,
    "project"
);
uuid_id!(
    /// A private vulnerability report. Made from 122 random bits, so it is unguessable.
    ReportId,
    "report"
);
uuid_id!(
    /// A message on a report.
    MessageId,
    "message"
);
uuid_id!(
    /// An API token (the id, not the secret).
    TokenId,
    "token"
);
uuid_id!(
    /// A background job.
    JobId,
    "job"
);
uuid_id!(
    /// An attachment of a report.
    AttachmentId,
    "attachment"
);
uuid_id!(
    /// A report shared with a party interested in a platform.
    ShareId,
    "share"
);
uuid_id!(
    /// A person invited to work on one report.
    CollaboratorId,
    "collaborator"
);
uuid_id!(
    /// One run of a report's proof of concept in the evidence lab.
    LabRunId,
    "lab run"
);
uuid_id!(
    /// A browser session (the id, not the secret), for listing and ending it.
    SessionId,
    "session"
);
uuid_id!(
    /// A request to sign up, waiting for its address to be confirmed by mail.
    SignupId,
    "sign-up"
);
uuid_id!(
    /// An outgoing webhook: a URL subscribed to events of an organisation or a project.
    WebhookId,
    "webhook"
);
uuid_id!(
    /// One event's delivery to one webhook (its Standard Webhooks `webhook-id`, kept across retries).
    DeliveryId,
    "delivery"
);
uuid_id!(
    /// One call, with its retries, to CVE Services: a reservation, publication, update or rejection.
    CveOperationId,
    "CVE Services operation"
);

/// An advisory id such as `PALLETS-2026-3`, or an id kept from an imported
/// OSV record (`PSF-2024-1`, `PYSEC-2021-371`, `GHSA-xxxx-xxxx-xxxx`).
///
/// OSV 1.7 `id`: a database prefix, a hyphen, then an entry id made of
/// letters, digits and `.`, `_`, `:` and `-`.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AdvisoryId(String);

impl AdvisoryId {
    /// The id an organisation allocates: `PREFIX-YEAR-N`.
    pub fn allocated(prefix: &AdvisoryPrefix, year: i32, number: u64) -> Self {
        AdvisoryId(format!("{}-{year}-{number}", prefix.as_str()))
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for AdvisoryId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for AdvisoryId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "advisory:{}", self.0)
    }
}

impl FromStr for AdvisoryId {
    type Err = InvalidId;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let valid_char = |c: char| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_' | ':');
        let Some((prefix, rest)) = s.split_once('-') else {
            return Err(InvalidId::new("advisory", s));
        };
        let ok = s.len() <= 100
            && !prefix.is_empty()
            && prefix.chars().all(|c| c.is_ascii_alphanumeric())
            && !rest.is_empty()
            && rest.chars().all(valid_char);
        if ok { Ok(AdvisoryId(s.to_owned())) } else { Err(InvalidId::new("advisory", s)) }
    }
}

/// The prefix of an organisation's advisory ids: 2 to 16 upper-case ASCII
/// letters or digits, starting with a letter (`PALLETS`, `PSF`).
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct AdvisoryPrefix(String);

impl AdvisoryPrefix {
    /// The prefix as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// A prefix derived from an organisation slug: upper-cased, hyphens
    /// dropped, cut to 16 characters; `None` if nothing usable remains.
    pub fn from_slug(slug: &crate::text::Slug) -> Option<Self> {
        let candidate: String = slug
            .as_str()
            .chars()
            .filter(|c| c.is_ascii_alphanumeric())
            .map(|c| c.to_ascii_uppercase())
            .take(16)
            .collect();
        candidate.parse().ok()
    }
}

impl fmt::Display for AdvisoryPrefix {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for AdvisoryPrefix {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "prefix:{}", self.0)
    }
}

impl FromStr for AdvisoryPrefix {
    type Err = InvalidId;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let mut chars = s.chars();
        let starts_with_letter = chars.next().is_some_and(|c| c.is_ascii_uppercase());
        let ok = starts_with_letter
            && (2..=16).contains(&s.len())
            && chars.all(|c| c.is_ascii_uppercase() || c.is_ascii_digit());
        if ok { Ok(AdvisoryPrefix(s.to_owned())) } else { Err(InvalidId::new("advisory prefix", s)) }
    }
}

/// Another id of the same vulnerability (OSV `aliases[]`): a CVE id
/// (normalised as [`CveId`]), a GHSA id, another database's id. Same syntax
/// as an OSV `id`.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AliasId(String);

impl AliasId {
    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The CVE id, when this alias is one.
    pub fn cve(&self) -> Option<CveId> {
        self.0.parse().ok()
    }
}

impl From<CveId> for AliasId {
    fn from(cve: CveId) -> Self {
        AliasId(cve.0)
    }
}

impl fmt::Display for AliasId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for AliasId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for AliasId {
    type Err = InvalidId;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if let Ok(cve) = s.parse::<CveId>() {
            return Ok(cve.into());
        }
        let id: AdvisoryId = s.trim().parse().map_err(|_| InvalidId::new("alias", s))?;
        Ok(AliasId(id.0))
    }
}

/// A CVE id, `CVE-YYYY-NNNN` with four or more digits in the sequence part
/// (CVE JSON 5 `cveId` pattern).
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CveId(String);

impl CveId {
    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for CveId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for CveId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for CveId {
    type Err = InvalidId;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let upper = s.trim().to_ascii_uppercase();
        let mut parts = upper.splitn(3, '-');
        let ok = parts.next() == Some("CVE")
            && parts.next().is_some_and(|y| y.len() == 4 && y.bytes().all(|b| b.is_ascii_digit()))
            && parts.next().is_some_and(|n| (4..=19).contains(&n.len()) && n.bytes().all(|b| b.is_ascii_digit()));
        if ok { Ok(CveId(upper)) } else { Err(InvalidId::new("CVE", s)) }
    }
}

/// A CWE id (`CWE-79`).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CweId(u32);

impl CweId {
    /// The number after `CWE-`.
    pub const fn number(self) -> u32 {
        self.0
    }

    /// The id with this number; `None` for 0.
    pub const fn from_number(number: u32) -> Option<Self> {
        if number == 0 { None } else { Some(CweId(number)) }
    }
}

impl fmt::Display for CweId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CWE-{}", self.0)
    }
}

impl fmt::Debug for CweId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CWE-{}", self.0)
    }
}

impl FromStr for CweId {
    type Err = InvalidId;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let trimmed = s.trim();
        let digits = trimmed
            .get(..4)
            .filter(|p| p.eq_ignore_ascii_case("CWE-"))
            .and_then(|_| trimmed.get(4..))
            .unwrap_or(trimmed);
        match digits.parse::<u32>() {
            Ok(n) if n > 0 && digits.bytes().all(|b| b.is_ascii_digit()) => Ok(CweId(n)),
            _ => Err(InvalidId::new("CWE", s)),
        }
    }
}

#[cfg(test)]
mod tests;
