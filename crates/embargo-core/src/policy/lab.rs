//! The `[lab]` section of a project's policy: where the evidence lab gets
//! each release line's code, and how it prepares it.

use std::collections::BTreeSet;

use super::PolicyError;
use crate::project::LineName;

/// The longest repository URL, ref or setup command accepted.
const MAX_LAB_TEXT: usize = 2000;

/// The most release lines the lab prepares for one project.
pub const MAX_LAB_LINES: usize = 20;

/// One release line's environment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LabLine {
    /// The release line (`2.0`).
    pub name: LineName,
    /// The tag, branch or commit its code is at (`v2.0.1`).
    pub git_ref: String,
    /// A shell command run once in the fresh checkout, inside the sandbox
    /// (`python3 -m venv .venv && .venv/bin/pip install --no-index -e .`).
    pub setup: Option<String>,
}

/// How the evidence lab gets a project's code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lab {
    /// A git repository: a URL, or a path on the worker's machine.
    pub repository: String,
    /// Whether setup commands may use the network (never the PoC). Default: no.
    pub setup_network: bool,
    /// The release lines, each with its ref.
    pub lines: Vec<LabLine>,
}

impl Lab {
    /// The line named `name`.
    pub fn line(&self, name: &str) -> Option<&LabLine> {
        self.lines.iter().find(|l| l.name.as_str() == name)
    }

    /// The rules a `[lab]` section follows.
    pub(crate) fn check(&self) -> Vec<PolicyError> {
        let mut errors = Vec::new();
        let mut bad = |field: String, message: &str| errors.push(PolicyError { field, message: message.into() });
        if !safe_argument(&self.repository) {
            bad("lab.repository".into(), "give a repository URL or path, without spaces, not starting with '-'");
        }
        if self.lines.is_empty() {
            bad("lab.lines".into(), "list at least one release line");
        }
        if self.lines.len() > MAX_LAB_LINES {
            bad("lab.lines".into(), "list at most 20 release lines");
        }
        let mut names = BTreeSet::new();
        for (i, line) in self.lines.iter().enumerate() {
            if !names.insert(line.name.as_str()) {
                bad(format!("lab.lines[{i}].name"), "appears twice");
            }
            if !safe_argument(&line.git_ref) || line.git_ref.contains("..") {
                bad(
                    format!("lab.lines[{i}].ref"),
                    "give a tag, branch or commit, without spaces, not starting with '-'",
                );
            }
            if let Some(setup) = &line.setup
                && (setup.trim().is_empty() || setup.len() > MAX_LAB_TEXT || setup.contains(['\0', '\n', '\r']))
            {
                bad(format!("lab.lines[{i}].setup"), "give one line of shell, at most 2000 bytes");
            }
        }
        errors
    }
}

/// Whether `s` can be handed to git as a positional argument: not empty, not
/// an option, no whitespace or control characters.
pub fn safe_argument(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= MAX_LAB_TEXT
        && !s.starts_with('-')
        && !s.chars().any(|c| c.is_whitespace() || c.is_control())
}
