//! The fix strategy of an advisory: how the team removes the risk (a patch
//! in a release, an update of a dependency, a mitigation users apply), any
//! combination of these, with the team's own words for users.

use std::fmt;
use std::str::FromStr;

use crate::text::{TextError, UnknownName, plain_text};

/// The most the strategy's text may hold, in bytes.
pub const MAX_FIX_TEXT_BYTES: usize = 8 * 1024;

/// One way an advisory's risk is removed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum FixKind {
    /// A code change released in a fixed version.
    Patch,
    /// A dependency (a library, the base image, a tool) updated to one without the flaw.
    DependencyUpdate,
    /// A change of configuration or deployment that removes or reduces the risk without a new version.
    Mitigation,
}

impl FixKind {
    /// Every kind, in the order they are shown.
    pub const ALL: [FixKind; 3] = [FixKind::Patch, FixKind::DependencyUpdate, FixKind::Mitigation];

    /// The name in requests, storage and exports.
    pub const fn as_str(self) -> &'static str {
        match self {
            FixKind::Patch => "patch",
            FixKind::DependencyUpdate => "dependency-update",
            FixKind::Mitigation => "mitigation",
        }
    }

    /// The name for people.
    pub const fn label(self) -> &'static str {
        match self {
            FixKind::Patch => "Patch",
            FixKind::DependencyUpdate => "Dependency update",
            FixKind::Mitigation => "Mitigation",
        }
    }

    /// Whether users get the fix by installing a new version (a patch or a
    /// dependency update), rather than by changing how they run it.
    pub const fn is_new_version(self) -> bool {
        matches!(self, FixKind::Patch | FixKind::DependencyUpdate)
    }
}

impl fmt::Display for FixKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for FixKind {
    type Err = UnknownName;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        FixKind::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| UnknownName::new("fix kind", s, "patch, dependency-update or mitigation"))
    }
}

/// How an advisory's risk is removed. Empty when the team has not said (an
/// advisory is then read as "upgrade to a fixed version", as before).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct FixStrategy {
    /// The kinds, each once, in [`FixKind::ALL`]'s order.
    pub kinds: Vec<FixKind>,
    /// What users should do, in the team's words (Markdown); may be empty.
    pub text: String,
}

impl FixStrategy {
    /// A strategy from kinds in any order (duplicates dropped) and a text (trimmed).
    pub fn new(kinds: impl IntoIterator<Item = FixKind>, text: &str) -> FixStrategy {
        let mut kinds: Vec<FixKind> = kinds.into_iter().collect();
        kinds.sort();
        kinds.dedup();
        FixStrategy { kinds, text: text.trim().to_owned() }
    }

    /// Whether the team has said nothing.
    pub fn is_empty(&self) -> bool {
        self.kinds.is_empty() && self.text.is_empty()
    }

    /// Whether the strategy has this kind.
    pub fn has(&self, kind: FixKind) -> bool {
        self.kinds.contains(&kind)
    }

    /// The kinds for people: `Patch and mitigation`.
    pub fn kinds_sentence(&self) -> Option<String> {
        let words: Vec<String> = self
            .kinds
            .iter()
            .enumerate()
            .map(|(i, k)| if i == 0 { k.label().to_owned() } else { k.label().to_lowercase() })
            .collect();
        match words.as_slice() {
            [] => None,
            [one] => Some(one.clone()),
            [rest @ .., last] => Some(format!("{} and {last}", rest.join(", "))),
        }
    }

    /// What users are told to do, one sentence per kind; `upgrade` says how
    /// to get a fixed version (`Upgrade to 2.0.1 or later.`), and alone is
    /// the whole answer when the team has named no kind.
    pub fn steps(&self, upgrade: &str) -> Vec<String> {
        if self.kinds.is_empty() {
            return vec![upgrade.to_owned()];
        }
        self.kinds
            .iter()
            .map(|kind| match kind {
                FixKind::Patch => format!("{upgrade} The fix is a patch to the project's own code."),
                FixKind::DependencyUpdate => {
                    format!(
                        "{upgrade} The fix updates a dependency; if you build it yourself, update that dependency too."
                    )
                }
                FixKind::Mitigation => {
                    "Apply the mitigation the team describes; it removes or reduces the risk without a new version."
                        .to_owned()
                }
            })
            .collect()
    }

    /// Checks the text: plain Markdown of bounded size.
    pub fn check(&self) -> Result<(), TextError> {
        plain_text("fix", &self.text, MAX_FIX_TEXT_BYTES).map(drop)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_are_ordered_once_and_read_as_a_sentence() {
        let fix = FixStrategy::new([FixKind::Mitigation, FixKind::Patch, FixKind::Mitigation], "  Set X.  ");
        assert_eq!(fix.kinds, [FixKind::Patch, FixKind::Mitigation]);
        assert_eq!(fix.text, "Set X.");
        assert_eq!(fix.kinds_sentence().as_deref(), Some("Patch and mitigation"));
        let all = FixStrategy::new(FixKind::ALL, "");
        assert_eq!(all.kinds_sentence().as_deref(), Some("Patch, dependency update and mitigation"));
        assert_eq!("dependency-update".parse::<FixKind>(), Ok(FixKind::DependencyUpdate));
        assert!("upgrade".parse::<FixKind>().unwrap_err().to_string().contains("patch, dependency-update"));
    }

    #[test]
    fn steps_say_upgrade_only_for_kinds_that_ship_a_version() {
        let upgrade = "Upgrade to 2.0.1 or later.";
        assert_eq!(FixStrategy::default().steps(upgrade), [upgrade]);
        let mitigation = FixStrategy::new([FixKind::Mitigation], "Turn off uploads.");
        let steps = mitigation.steps(upgrade);
        assert_eq!(steps.len(), 1);
        assert!(!steps[0].contains("Upgrade"), "{steps:?}");
        let update = FixStrategy::new([FixKind::DependencyUpdate], "");
        assert!(update.steps(upgrade)[0].starts_with("Upgrade to 2.0.1 or later. The fix updates a dependency"));
    }
}
