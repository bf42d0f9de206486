//! A public issue made from a declined report (issue 10, item 6).
//!
//! Some reports are ordinary bugs, declined as a security matter: not a
//! vulnerability (a prerelease, an experimental feature, a bug without a
//! security impact) or outside the policy's scope. The team may turn such a
//! report into the text of a public issue for the project's tracker. Before
//! the team marks it made public, the reporter is asked: to be named, to stay
//! anonymous, or to object.
//!
//! What the text holds: the report's title, its description, the component,
//! the versions tested and found affected, the platform, the proof of concept
//! only when the team includes it, and a line saying the report was declined
//! privately as a security matter and why (the lifecycle state, never the
//! team's free-text reason). The reporter's name only when they agreed to be
//! named. Never: the reporter's contact address, the patch, the threat model,
//! attachments, the conversation, internal notes, the team's assessment
//! (severity, CWEs, assignee), other reporters (duplicates), invitees, the
//! report's id or times. When the reporter is not named, their name and
//! address are also blanked where their own text repeats them.

use std::fmt;
use std::str::FromStr;

use crate::lifecycle::ReportState;
use crate::report::ReportContent;
use crate::text::UnknownName;

/// Whether a report in `state` may become a public issue: declined as an
/// ordinary bug (not a vulnerability, or out of scope). Duplicates, spam and
/// withdrawn reports do not qualify; nor does anything still open or accepted.
pub const fn qualifies(state: ReportState) -> bool {
    match state {
        ReportState::NotVulnerable | ReportState::OutOfScope => true,
        ReportState::New
        | ReportState::Acknowledged
        | ReportState::Triaging
        | ReportState::NeedsInfo
        | ReportState::Accepted
        | ReportState::Fixing
        | ReportState::Fixed
        | ReportState::Disclosed
        | ReportState::Duplicate
        | ReportState::Spam
        | ReportState::Withdrawn => false,
    }
}

/// The reporter's answer to the team's question.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Answer {
    /// Not answered yet.
    Pending,
    /// Name me in the public issue.
    Named,
    /// Make it public without my name.
    Anonymous,
    /// Do not make it public.
    Objected,
}

impl Answer {
    /// Every answer.
    pub const ALL: [Answer; 4] = [Answer::Pending, Answer::Named, Answer::Anonymous, Answer::Objected];

    /// The name in requests, answers and storage.
    pub const fn as_str(self) -> &'static str {
        match self {
            Answer::Pending => "pending",
            Answer::Named => "named",
            Answer::Anonymous => "anonymous",
            Answer::Objected => "objected",
        }
    }

    /// Whether the team may mark the issue made public after this answer.
    pub const fn allows_publication(self) -> bool {
        match self {
            Answer::Named | Answer::Anonymous => true,
            Answer::Pending | Answer::Objected => false,
        }
    }

    /// Whether a reporter may give this answer (pending is where one starts).
    pub const fn is_answer(self) -> bool {
        !matches!(self, Answer::Pending)
    }
}

impl fmt::Display for Answer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Answer {
    type Err = UnknownName;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Answer::ALL
            .into_iter()
            .find(|a| a.as_str() == s)
            .ok_or_else(|| UnknownName::new("answer", s, "named, anonymous or objected"))
    }
}

/// What the text is made from.
#[derive(Debug, Clone, Copy)]
pub struct Source<'a> {
    /// The report's content.
    pub content: &'a ReportContent,
    /// How it was declined.
    pub state: ReportState,
    /// The project's name.
    pub project: &'a str,
    /// Whether the team includes the proof of concept.
    pub include_poc: bool,
    /// The reporter's name when they agreed to be named; `None` otherwise.
    pub named: Option<&'a str>,
    /// Words to blank from the reporter's own text when they are not named
    /// (their name and address, from the report and their account).
    pub identity: &'a [String],
}

/// A public issue's text: a title and a Markdown body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssueText {
    /// One line.
    pub title: String,
    /// Markdown.
    pub body: String,
}

/// The blank that replaces the reporter's name or address in their text.
pub const BLANKED: &str = "[reporter]";

fn scrub(text: &str, identity: &[String]) -> String {
    let mut out = text.to_owned();
    // Longest first, so that an address is blanked whole before a name inside it.
    let mut words: Vec<&String> = identity.iter().filter(|w| w.trim().chars().count() >= 3).collect();
    words.sort_by_key(|w| std::cmp::Reverse(w.len()));
    for word in words {
        out = replace_case_insensitive(&out, word.trim(), BLANKED);
    }
    out
}

fn replace_case_insensitive(text: &str, needle: &str, with: &str) -> String {
    let (lower_text, lower_needle) = (text.to_lowercase(), needle.to_lowercase());
    // Lower-casing may change byte lengths outside ASCII: then only exact matches are replaced.
    if lower_text.len() != text.len() || lower_needle.len() != needle.len() || lower_needle.is_empty() {
        return text.replace(needle, with);
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = 0;
    for (at, _) in lower_text.match_indices(&lower_needle) {
        if at < rest {
            continue;
        }
        out.push_str(text.get(rest..at).unwrap_or_default());
        out.push_str(with);
        rest = at + needle.len();
    }
    out.push_str(text.get(rest..).unwrap_or_default());
    out
}

/// A fence longer than any run of backticks in `text` (CommonMark 0.31, section 4.5).
fn fence(text: &str) -> String {
    let mut longest = 0;
    let mut run = 0;
    for c in text.chars() {
        run = if c == '`' { run + 1 } else { 0 };
        longest = longest.max(run);
    }
    "`".repeat((longest + 1).max(3))
}

/// One line of Markdown-safe text: characters that would start markup are escaped.
fn inline(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '#' | '|' | '!') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// The public issue's text (see the module's documentation for what it holds).
pub fn compose(source: &Source<'_>) -> IssueText {
    let clean = |text: &str| match source.named {
        Some(_) => text.to_owned(),
        None => scrub(text, source.identity),
    };
    // The address is never shown, named or not.
    let never = |text: &str| {
        let addresses: Vec<String> = source.identity.iter().filter(|w| w.contains('@')).cloned().collect();
        scrub(&clean(text), &addresses)
    };
    let content = source.content;
    let title = never(&content.title);
    let mut body = String::new();
    body.push_str(never(&content.body).trim_end());
    body.push_str("\n\n");
    let facts = [
        ("Component", &content.component),
        ("Versions tested", &content.versions_tested),
        ("Versions affected", &content.versions_vulnerable),
        ("Platform", &content.platform),
    ];
    let mut any = false;
    for (label, value) in facts {
        if let Some(value) = value {
            body.push_str(&format!("- **{label}:** {}\n", inline(&never(value))));
            any = true;
        }
    }
    if !content.lines.is_empty() {
        let lines: Vec<String> = content.lines.iter().map(|l| inline(&never(l))).collect();
        body.push_str(&format!("- **Release lines:** {}\n", lines.join(", ")));
        any = true;
    }
    if any {
        body.push('\n');
    }
    if source.include_poc
        && let Some(poc) = &content.proof_of_concept
    {
        let poc = never(poc);
        let fence = fence(&poc);
        body.push_str(&format!("### Reproducing\n\n{fence}\n{}\n{fence}\n\n", poc.trim_end()));
    }
    let why = match source.state {
        ReportState::OutOfScope => "outside the scope of its security policy",
        ReportState::NotVulnerable
        | ReportState::New
        | ReportState::Acknowledged
        | ReportState::Triaging
        | ReportState::NeedsInfo
        | ReportState::Accepted
        | ReportState::Fixing
        | ReportState::Fixed
        | ReportState::Disclosed
        | ReportState::Duplicate
        | ReportState::Spam
        | ReportState::Withdrawn => "not a security vulnerability",
    };
    body.push_str(&format!(
        "---\n\nThis was reported privately to the {} security team, which found it {why} \
         and made it public as an ordinary issue.",
        inline(source.project)
    ));
    match source.named {
        Some(name) => body.push_str(&format!(" Reported by {}.\n", inline(name))),
        None => body.push('\n'),
    }
    IssueText { title, body }
}

#[cfg(test)]
mod tests;
