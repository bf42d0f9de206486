//! Validated text: slugs, e-mail addresses, titles and plain-text bodies.
//!
//! Every constructor names the field it checks so that an error can say
//! which input was wrong without repeating private text.

use std::fmt;
use std::str::FromStr;

/// The most bytes a free-text field (report body, message, PoC, patch) may hold.
pub const MAX_TEXT_BYTES: usize = 256 * 1024;
/// The most characters a title or summary may hold.
pub const MAX_TITLE_CHARS: usize = 200;
/// The most characters a short field (name, component, versions) may hold.
pub const MAX_SHORT_CHARS: usize = 500;

/// Why a text field was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TextError {
    /// The field is required but empty (or only whitespace).
    #[error("{field} must not be empty")]
    Empty {
        /// The field's name in the request.
        field: &'static str,
    },
    /// The field is longer than allowed.
    #[error("{field} is too long: at most {max} {unit}")]
    TooLong {
        /// The field's name in the request.
        field: &'static str,
        /// The limit.
        max: usize,
        /// `characters` or `bytes`.
        unit: &'static str,
    },
    /// The field holds control characters or NUL bytes, so it is not plain text.
    #[error("{field} must be plain text: it contains a control character (code {code})")]
    NotPlainText {
        /// The field's name in the request.
        field: &'static str,
        /// The first offending character's code point.
        code: u32,
    },
    /// A one-line field contains a line break.
    #[error("{field} must be a single line")]
    MultiLine {
        /// The field's name in the request.
        field: &'static str,
    },
    /// The value was parsed and refused, for the reason given.
    #[error("{field} is not valid: {reason}")]
    Refused {
        /// The field's name in the request.
        field: &'static str,
        /// What is wrong, naming the bad part of the value.
        reason: String,
    },
    /// The value does not have the required form.
    #[error("{field} is not valid: {expected}")]
    Malformed {
        /// The field's name in the request.
        field: &'static str,
        /// What a valid value looks like.
        expected: &'static str,
    },
}

impl TextError {
    /// The request field this error is about.
    pub fn field(&self) -> &'static str {
        match self {
            TextError::Empty { field }
            | TextError::TooLong { field, .. }
            | TextError::NotPlainText { field, .. }
            | TextError::MultiLine { field }
            | TextError::Refused { field, .. }
            | TextError::Malformed { field, .. } => field,
        }
    }
}

/// Every problem found in one request's fields, in field order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldErrors(pub Vec<TextError>);

impl fmt::Display for FieldErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let messages: Vec<String> = self.0.iter().map(ToString::to_string).collect();
        f.write_str(&messages.join("; "))
    }
}

impl std::error::Error for FieldErrors {}

impl FieldErrors {
    /// Collects the error of `result`, if any, and passes its value on.
    pub fn take<T>(&mut self, result: Result<T, TextError>) -> Option<T> {
        result.map_err(|e| self.0.push(e)).ok()
    }

    /// `Ok(value)` when nothing was collected, else every error.
    pub fn finish<T>(self, value: impl FnOnce() -> Option<T>) -> Result<T, FieldErrors> {
        if !self.0.is_empty() {
            return Err(self);
        }
        value().ok_or(self)
    }
}

/// Plain text: tabs and line breaks allowed, other control characters not.
/// Line endings are normalised to `\n`.
pub fn plain_text(field: &'static str, value: &str, max_bytes: usize) -> Result<String, TextError> {
    if value.len() > max_bytes {
        return Err(TextError::TooLong { field, max: max_bytes, unit: "bytes" });
    }
    if let Some(c) = value.chars().find(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t')) {
        return Err(TextError::NotPlainText { field, code: u32::from(c) });
    }
    Ok(value.replace("\r\n", "\n").replace('\r', "\n"))
}

/// Required plain text: like [`plain_text`] but not empty.
pub fn required_text(field: &'static str, value: &str, max_bytes: usize) -> Result<String, TextError> {
    let text = plain_text(field, value, max_bytes)?;
    if text.trim().is_empty() {
        return Err(TextError::Empty { field });
    }
    Ok(text)
}

/// A required single line, trimmed, of at most `max_chars` characters.
pub fn one_line(field: &'static str, value: &str, max_chars: usize) -> Result<String, TextError> {
    let trimmed = value.trim();
    if trimmed.is_empty() {
        return Err(TextError::Empty { field });
    }
    if trimmed.contains(['\n', '\r']) {
        return Err(TextError::MultiLine { field });
    }
    if let Some(c) = trimmed.chars().find(|c| c.is_control() && *c != '\t') {
        return Err(TextError::NotPlainText { field, code: u32::from(c) });
    }
    if trimmed.chars().count() > max_chars {
        return Err(TextError::TooLong { field, max: max_chars, unit: "characters" });
    }
    Ok(trimmed.to_owned())
}

/// An optional single line: empty input means "not given".
pub fn optional_line(field: &'static str, value: Option<&str>, max_chars: usize) -> Result<Option<String>, TextError> {
    match value.map(str::trim) {
        None | Some("") => Ok(None),
        Some(v) => one_line(field, v, max_chars).map(Some),
    }
}

/// A name (of a state, scope, channel, ...) that is not one of the known ones.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown {kind} {value:?}: expected {expected}")]
pub struct UnknownName {
    /// What kind of name was expected.
    pub kind: &'static str,
    /// The rejected input, cut to a safe length.
    pub value: String,
    /// The names that are accepted.
    pub expected: &'static str,
}

impl UnknownName {
    /// An error for `value`, which is not a known `kind`.
    pub fn new(kind: &'static str, value: &str, expected: &'static str) -> Self {
        UnknownName { kind, value: value.chars().take(40).collect(), expected }
    }
}

/// Words that may not name an organisation because they name routes at the
/// top of the site (`/api`, `/admin`).
const RESERVED_SLUGS: &[&str] = &[
    "admin",
    "api",
    "assets",
    "advisories",
    "feed",
    "follow",
    "healthz",
    "login",
    "logout",
    "new",
    "osv",
    "policy",
    "readyz",
    "report",
    "reports",
    "settings",
    "setup",
    "shared",
    "signup",
    "static",
    "team",
    "well-known",
];

/// A URL-safe name for an organisation or project: 1 to 40 lower-case ASCII
/// letters, digits and inner hyphens.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Slug(String);

impl Slug {
    /// The slug as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Slug {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for Slug {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "slug:{}", self.0)
    }
}

impl FromStr for Slug {
    type Err = TextError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        const EXPECTED: &str = "1 to 40 lower-case letters, digits and hyphens, not starting or ending with a hyphen";
        let ok = (1..=40).contains(&s.len())
            && s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            && !s.starts_with('-')
            && !s.ends_with('-');
        if !ok {
            return Err(TextError::Malformed { field: "slug", expected: EXPECTED });
        }
        Ok(Slug(s.to_owned()))
    }
}

/// A slug arrives in paths, forms and query strings as text: it is parsed
/// there, once, and travels typed from then on. Text that is not a slug is a
/// deserialisation error (a path segment that does not parse names nothing).
impl<'de> serde::Deserialize<'de> for Slug {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

/// A project named by its organisation's slug and its own, written
/// `ORG/PROJECT` on the command line and in mail routes.
#[derive(Clone, PartialEq, Eq, Hash, Debug)]
pub struct ProjectPath {
    /// The organisation's slug.
    pub org: Slug,
    /// The project's slug.
    pub project: Slug,
}

impl FromStr for ProjectPath {
    type Err = TextError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (org, project) = s
            .split_once('/')
            .ok_or(TextError::Malformed { field: "project", expected: "ORG/PROJECT, such as pallets/flask" })?;
        Ok(ProjectPath { org: org.parse()?, project: project.parse()? })
    }
}

impl fmt::Display for ProjectPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.org, self.project)
    }
}

/// An organisation (`ORG`) or one of its projects (`ORG/PROJECT`): whose
/// team, whose policy.
#[derive(Clone, PartialEq, Eq, Hash, Debug)]
pub enum OrgOrProject {
    /// `ORG`
    Organisation(Slug),
    /// `ORG/PROJECT`
    Project(ProjectPath),
}

impl FromStr for OrgOrProject {
    type Err = TextError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s.contains('/') { Ok(OrgOrProject::Project(s.parse()?)) } else { Ok(OrgOrProject::Organisation(s.parse()?)) }
    }
}

impl fmt::Display for OrgOrProject {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            OrgOrProject::Organisation(org) => org.fmt(f),
            OrgOrProject::Project(path) => path.fmt(f),
        }
    }
}

/// Words that may not name a project because they name an organisation's
/// own pages (`/ORG/policy`).
const RESERVED_PROJECT_SLUGS: &[&str] = &["policy", "report", "team"];

impl Slug {
    /// A new organisation's slug: well formed, and not one of the site's
    /// own addresses (`api` is `/api`).
    pub fn organisation(s: &str) -> Result<Slug, TextError> {
        let slug: Slug = s.parse()?;
        if RESERVED_SLUGS.contains(&s) {
            return Err(TextError::Refused {
                field: "slug",
                reason: format!(
                    "an organisation cannot be called \"{s}\": /{s} is one of Embargo's own addresses; \
                     choose another name, such as \"{s}-security\" (a project may be called \"{s}\")"
                ),
            });
        }
        Ok(slug)
    }

    /// A new project's slug: well formed, and not one of its organisation's
    /// own pages (`policy` is `/ORG/policy`). Other route words (`api`) are
    /// fine: a project's pages are under its organisation's.
    pub fn project(s: &str) -> Result<Slug, TextError> {
        let slug: Slug = s.parse()?;
        if RESERVED_PROJECT_SLUGS.contains(&s) {
            return Err(TextError::Refused {
                field: "slug",
                reason: format!(
                    "a project cannot be called \"{s}\": /ORG/{s} is the organisation's {s} page; \
                     choose another name, such as \"{s}-service\""
                ),
            });
        }
        Ok(slug)
    }
}

/// An e-mail address, lower-cased. Checked for shape only: a local part, one
/// `@`, a domain with a dot (or `localhost`), no spaces, at most 254 bytes.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Email(String);

impl Email {
    /// The address as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Addresses are personal data: logs see the domain only.
        let domain = self.0.rsplit_once('@').map_or("", |(_, d)| d);
        write!(f, "email:…@{domain}")
    }
}

impl FromStr for Email {
    type Err = TextError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let malformed = TextError::Malformed { field: "email", expected: "an address such as name@example.org" };
        let s = s.trim().to_lowercase();
        if s.len() > 254 || s.chars().any(|c| c.is_whitespace() || c.is_control() || matches!(c, '<' | '>' | ',')) {
            return Err(malformed);
        }
        let Some((local, domain)) = s.rsplit_once('@') else {
            return Err(malformed);
        };
        let domain_ok = domain == "localhost"
            || (domain.contains('.') && !domain.starts_with('.') && !domain.ends_with('.') && !domain.contains(".."));
        if local.is_empty() || local.contains('@') || !domain_ok {
            return Err(malformed);
        }
        Ok(Email(s))
    }
}

#[cfg(test)]
mod tests;
