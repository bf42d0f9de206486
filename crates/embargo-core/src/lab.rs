//! The evidence lab's domain: what a proof-of-concept run concluded, and
//! which identifiers a report names (the grounding check).
//!
//! The contract a policy states for a PoC: it exits 1 when the code it runs
//! against is vulnerable and 0 when it is not. Anything else (another code, a
//! signal, a timeout) proves nothing either way. Running it is the
//! `embargo-lab` crate's job; this module only interprets.

use std::collections::BTreeSet;
use std::fmt;
use std::str::FromStr;

use crate::text::UnknownName;

/// What one run says about one release line (or fix).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LabResult {
    /// The PoC exited 1.
    Vulnerable,
    /// The PoC exited 0.
    NotVulnerable,
    /// Anything else: another exit code, a signal, a timeout, no sandbox.
    Inconclusive,
}

impl LabResult {
    /// The name in the API and the database.
    pub const fn as_str(self) -> &'static str {
        match self {
            LabResult::Vulnerable => "vulnerable",
            LabResult::NotVulnerable => "not_vulnerable",
            LabResult::Inconclusive => "inconclusive",
        }
    }
}

impl fmt::Display for LabResult {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for LabResult {
    type Err = UnknownName;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "vulnerable" => Ok(LabResult::Vulnerable),
            "not_vulnerable" => Ok(LabResult::NotVulnerable),
            "inconclusive" => Ok(LabResult::Inconclusive),
            other => Err(UnknownName::new("lab result", other, "vulnerable, not_vulnerable or inconclusive")),
        }
    }
}

/// How a sandboxed process ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ending {
    /// It exited with this code.
    Exited(i32),
    /// A signal ended it.
    Signalled(i32),
    /// It ran past the time limit and was killed.
    TimedOut {
        /// The limit, in seconds.
        seconds: u64,
    },
}

/// The verdict on a PoC that ended as `ending`, with the reason shown beside it.
pub fn verdict(ending: Ending) -> (LabResult, String) {
    match ending {
        Ending::Exited(1) => (LabResult::Vulnerable, "exit code 1".into()),
        Ending::Exited(0) => (LabResult::NotVulnerable, "exit code 0".into()),
        Ending::Exited(code) => (LabResult::Inconclusive, format!("exit code {code}")),
        Ending::Signalled(signal) => (LabResult::Inconclusive, format!("killed by signal {signal}")),
        Ending::TimedOut { seconds } => (LabResult::Inconclusive, format!("timed out after {seconds} s")),
    }
}

/// Whether a run is against a release line or against a named fix.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RunPurpose {
    /// Against a release line's ref from the policy.
    Line,
    /// Against the ref the team names as the fix.
    Fix,
}

impl RunPurpose {
    /// The name in the API and the database.
    pub const fn as_str(self) -> &'static str {
        match self {
            RunPurpose::Line => "line",
            RunPurpose::Fix => "fix",
        }
    }
}

impl FromStr for RunPurpose {
    type Err = UnknownName;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "line" => Ok(RunPurpose::Line),
            "fix" => Ok(RunPurpose::Fix),
            other => Err(UnknownName::new("lab run purpose", other, "line or fix")),
        }
    }
}

/// The most identifiers one report is checked for.
pub const MAX_IDENTIFIERS: usize = 40;

/// Words that look like identifiers in prose or a PoC but name nothing of the
/// project: the languages' keywords and built-ins, the standard modules PoCs
/// import, shell commands.
const COMMON: &[&str] = &[
    "and",
    "as",
    "assert",
    "async",
    "await",
    "bash",
    "bin",
    "break",
    "bytes",
    "cat",
    "class",
    "continue",
    "def",
    "del",
    "dict",
    "echo",
    "elif",
    "else",
    "env",
    "eval",
    "except",
    "exec",
    "exit",
    "false",
    "finally",
    "float",
    "for",
    "from",
    "getattr",
    "global",
    "if",
    "import",
    "in",
    "int",
    "is",
    "isinstance",
    "json",
    "lambda",
    "len",
    "list",
    "main",
    "none",
    "nonlocal",
    "not",
    "open",
    "or",
    "os",
    "pass",
    "path",
    "print",
    "python",
    "python3",
    "raise",
    "range",
    "re",
    "read",
    "return",
    "self",
    "set",
    "sh",
    "socket",
    "str",
    "subprocess",
    "super",
    "sys",
    "tempfile",
    "then",
    "true",
    "try",
    "tuple",
    "type",
    "while",
    "with",
    "write",
    "yield",
    "argv",
    "stdout",
    "stderr",
    "stdin",
    "environ",
    "join",
    "split",
    "strip",
    "encode",
    "decode",
    "append",
    "format",
    "items",
    "keys",
    "values",
    "__name__",
    "__main__",
    "__init__",
    "fi",
    "do",
    "done",
    "local",
    "test",
    "set_e",
    "usr",
    "let",
    "const",
    "var",
    "function",
    "fn",
    "pub",
    "use",
    "mut",
    "struct",
    "impl",
    "null",
    "undefined",
    "require",
    "http",
    "https",
    "www",
];

/// The identifiers a report names, from its body, PoC and component, in the
/// order first seen, without duplicates and at most [`MAX_IDENTIFIERS`]:
/// calls (`parse_header(`), dotted and `::` paths (`pkg.module.func`),
/// source file paths (`src/parser.py`), long command-line flags (`--max-size`),
/// `snake_case` and `camelCase` names, and whatever is quoted in backticks.
pub fn identifiers(texts: &[&str]) -> Vec<String> {
    let mut seen = BTreeSet::new();
    let mut out = Vec::new();
    for text in texts {
        for candidate in candidates(text) {
            if out.len() >= MAX_IDENTIFIERS {
                return out;
            }
            if seen.insert(candidate.clone()) {
                out.push(candidate);
            }
        }
    }
    out
}

fn is_ident_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

fn is_common(word: &str) -> bool {
    COMMON.contains(&word.to_ascii_lowercase().as_str())
}

/// Whether a word is an identifier by its shape (not just an English word).
fn shaped(word: &str) -> bool {
    let len = word.chars().count();
    if !(3..=80).contains(&len) || word.starts_with(|c: char| c.is_ascii_digit()) || is_common(word) {
        return false;
    }
    let inner_underscore = word.trim_matches('_').contains('_');
    let camel = word.chars().skip(1).any(|c| c.is_ascii_uppercase()) && word.chars().any(|c| c.is_ascii_lowercase());
    inner_underscore || camel || (word.starts_with("__") && word.ends_with("__"))
}

const SOURCE_EXTENSIONS: &[&str] =
    &["py", "rs", "c", "h", "cc", "cpp", "go", "js", "ts", "rb", "java", "php", "toml", "cfg", "ini", "yaml", "yml"];

/// Splits a text into tokens of identifier characters and path separators,
/// each with whether a `(` follows it (a call).
fn tokens(text: &str) -> Vec<(&str, bool)> {
    let is_token = |c: char| is_ident_char(c) || matches!(c, '.' | ':' | '/' | '-');
    let mut out = Vec::new();
    let mut start = None;
    for (i, c) in text.char_indices() {
        match (is_token(c), start) {
            (true, None) => start = Some(i),
            (false, Some(s)) => {
                out.push((text.get(s..i).unwrap_or_default(), c == '('));
                start = None;
            }
            _ => {}
        }
    }
    if let Some(s) = start {
        out.push((text.get(s..).unwrap_or_default(), false));
    }
    out
}

fn candidates(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for (raw, call) in tokens(text) {
        let token = raw.trim_matches(|c: char| matches!(c, '.' | ':' | '/' | '-'));
        if let Some(flag) = raw.strip_prefix("--") {
            let flag = flag.trim_end_matches(|c: char| !is_ident_char(c));
            if flag.len() >= 2 && flag.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') {
                out.push(format!("--{flag}"));
            }
            continue;
        }
        if token.contains('/') {
            let extension = token.rsplit('.').next().unwrap_or_default();
            if token.contains('.') && SOURCE_EXTENSIONS.contains(&extension) && !token.contains("://") {
                out.push(token.trim_start_matches("./").to_owned());
            }
            continue;
        }
        let segments: Vec<&str> = token.split(['.', ':']).filter(|s| !s.is_empty()).collect();
        let Some(last) = segments.last() else { continue };
        if segments.len() > 1 {
            let extension = *last;
            if segments.len() == 2 && SOURCE_EXTENSIONS.contains(&extension) {
                out.push(token.to_owned());
                continue;
            }
            // A dotted path names its last segment; the rest may be modules or variables.
            if segments.iter().all(|s| s.chars().all(is_ident_char)) && !last.starts_with(|c: char| c.is_ascii_digit())
            {
                let named = last.chars().count() >= 3 && !is_common(last);
                if named && (call || shaped(last) || segments.len() > 2) {
                    out.push((*last).to_owned());
                }
            }
            continue;
        }
        if !token.chars().all(is_ident_char) {
            continue;
        }
        if (call && token.chars().count() >= 3 && !is_common(token)) || shaped(token) {
            out.push(token.to_owned());
        }
    }
    for quoted in backticked(text) {
        let word = quoted.trim().trim_end_matches("()");
        if word.chars().all(is_ident_char) && word.chars().count() >= 3 && !is_common(word) {
            out.push(word.to_owned());
        }
    }
    out
}

/// The spans of a text quoted in single backticks.
fn backticked(text: &str) -> Vec<&str> {
    text.split('`').skip(1).step_by(2).collect()
}

/// One identifier looked up in the source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grounding {
    /// The identifier as the report names it.
    pub name: String,
    /// Whether the source at the checked ref contains it.
    pub found: bool,
    /// Where it was first found (`path:line`), if found.
    pub location: Option<String>,
}

/// The fewest identifiers a report must name before it can be flagged.
pub const FLAG_MIN_NAMES: usize = 3;

/// Whether a report "names things not in the source": at least
/// [`FLAG_MIN_NAMES`] identifiers, and more than half of them not found.
/// A signal for the team, never a reason to decline.
pub fn grounding_flagged(checked: &[Grounding]) -> bool {
    let missing = checked.iter().filter(|g| !g.found).count();
    flagged_counts(checked.len(), missing)
}

/// [`grounding_flagged`] from counts: `names` checked, `missing` of them not found.
pub fn flagged_counts(names: usize, missing: usize) -> bool {
    names >= FLAG_MIN_NAMES && missing.saturating_mul(2) > names
}

#[cfg(test)]
mod tests;
