//! VEX (Vulnerability Exploitability eXchange): what a team states about a
//! published advisory beyond its affected ranges. Here: that a release line
//! of the project is not affected, and why, in OpenVEX's words (OpenVEX 0.2.0
//! `justification`), which are also CSAF 2.0's flag labels (section
//! 3.2.3.5), so both VEX documents carry the same statement.

use std::fmt;
use std::str::FromStr;

use crate::Timestamp;

/// Why a product is not affected (OpenVEX `justification`, CSAF `flags[].label`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Justification {
    /// The vulnerable component is not included in the product.
    ComponentNotPresent,
    /// The component is included, but not the vulnerable code.
    VulnerableCodeNotPresent,
    /// The vulnerable code is present but cannot be executed.
    VulnerableCodeNotInExecutePath,
    /// The vulnerable code cannot be controlled by an adversary.
    VulnerableCodeCannotBeControlledByAdversary,
    /// The product has mitigations that prevent exploitation.
    InlineMitigationsAlreadyExist,
}

impl Justification {
    /// Every justification, in OpenVEX's order.
    pub const ALL: [Justification; 5] = [
        Justification::ComponentNotPresent,
        Justification::VulnerableCodeNotPresent,
        Justification::VulnerableCodeNotInExecutePath,
        Justification::VulnerableCodeCannotBeControlledByAdversary,
        Justification::InlineMitigationsAlreadyExist,
    ];

    /// The word OpenVEX and CSAF use.
    pub fn as_str(self) -> &'static str {
        match self {
            Justification::ComponentNotPresent => "component_not_present",
            Justification::VulnerableCodeNotPresent => "vulnerable_code_not_present",
            Justification::VulnerableCodeNotInExecutePath => "vulnerable_code_not_in_execute_path",
            Justification::VulnerableCodeCannotBeControlledByAdversary => {
                "vulnerable_code_cannot_be_controlled_by_adversary"
            }
            Justification::InlineMitigationsAlreadyExist => "inline_mitigations_already_exist",
        }
    }

    /// A sentence for people.
    pub fn label(self) -> &'static str {
        match self {
            Justification::ComponentNotPresent => "The vulnerable component is not included",
            Justification::VulnerableCodeNotPresent => "The vulnerable code is not included",
            Justification::VulnerableCodeNotInExecutePath => "The vulnerable code cannot be executed",
            Justification::VulnerableCodeCannotBeControlledByAdversary => {
                "The vulnerable code cannot be controlled by an attacker"
            }
            Justification::InlineMitigationsAlreadyExist => "Mitigations in the product prevent exploitation",
        }
    }
}

impl fmt::Display for Justification {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A word that is not one of OpenVEX's justifications.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "not a VEX justification: {0:?} (one of component_not_present, vulnerable_code_not_present, vulnerable_code_not_in_execute_path, vulnerable_code_cannot_be_controlled_by_adversary, inline_mitigations_already_exist)"
)]
pub struct UnknownJustification(pub String);

impl FromStr for Justification {
    type Err = UnknownJustification;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Justification::ALL
            .into_iter()
            .find(|j| j.as_str() == s.trim())
            .ok_or_else(|| UnknownJustification(s.to_owned()))
    }
}

/// "This release line is not affected", stated by the team.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotAffected {
    /// The release line's name.
    pub line: String,
    /// Why.
    pub justification: Justification,
    /// More words, if the team gave them (OpenVEX `impact_statement`).
    pub impact: Option<String>,
    /// When it was stated.
    pub stated_at: Timestamp,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn justifications_read_back_and_unknown_words_are_named() {
        for j in Justification::ALL {
            assert_eq!(j.as_str().parse::<Justification>(), Ok(j));
        }
        let error = "not_present".parse::<Justification>().unwrap_err();
        assert!(error.to_string().contains("\"not_present\""), "{error}");
    }
}
