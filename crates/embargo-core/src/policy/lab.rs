//! The `[lab]` section of a project's policy: where the evidence lab gets
//! each release line's code, and how it prepares it. Either a git
//! repository with a ref per line, or a package installed at each line's
//! version (`package = "pypi:NAME"`, issue 17).

use std::collections::BTreeSet;
use std::fmt;
use std::str::FromStr;

use super::PolicyError;
use crate::project::LineName;

/// The longest repository URL, ref or setup command accepted.
const MAX_LAB_TEXT: usize = 2000;

/// The longest package name or version accepted.
const MAX_PACKAGE_TEXT: usize = 200;

/// The most release lines the lab prepares for one project.
pub const MAX_LAB_LINES: usize = 20;

/// One release line's environment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LabLine {
    /// The release line (`2.0`).
    pub name: LineName,
    /// The tag, branch or commit its code is at (`v2.0.1`); a git lab only.
    pub git_ref: Option<String>,
    /// The package version to install (`2.0.1`); a package lab only, where
    /// the line's name stands for it when absent.
    pub version: Option<String>,
    /// A shell command run once in the fresh checkout (or, for a package,
    /// after the install), inside the sandbox
    /// (`python3 -m venv .venv && .venv/bin/pip install --no-index -e .`).
    pub setup: Option<String>,
}

impl LabLine {
    /// What a run of this line is against: the git ref, else the package version (or the line's name).
    pub fn target(&self) -> String {
        self.git_ref.clone().or_else(|| self.version.clone()).unwrap_or_else(|| self.name.to_string())
    }
}

/// A package registry the lab installs from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PackageKind {
    /// The Python Package Index (or an index or directory of the same kind), with `pip`.
    Pypi,
}

/// A package the lab installs at each line's version, instead of a git checkout.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LabPackage {
    /// Where it comes from.
    pub kind: PackageKind,
    /// Its name (`tinyparse`).
    pub name: String,
}

impl fmt::Display for LabPackage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.kind {
            PackageKind::Pypi => write!(f, "pypi:{}", self.name),
        }
    }
}

/// Why a `package` value is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("give pypi:NAME, where NAME is a Python package name (letters, digits, '.', '_', '-')")]
pub struct PackageError;

impl FromStr for LabPackage {
    type Err = PackageError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let name = s.strip_prefix("pypi:").ok_or(PackageError)?;
        // PEP 508 names: letters and digits, with '.', '_' and '-' inside.
        let ends_ok = |c: Option<char>| c.is_some_and(|c| c.is_ascii_alphanumeric());
        let valid = name.len() <= MAX_PACKAGE_TEXT
            && ends_ok(name.chars().next())
            && ends_ok(name.chars().last())
            && name.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'));
        if !valid {
            return Err(PackageError);
        }
        Ok(LabPackage { kind: PackageKind::Pypi, name: name.to_owned() })
    }
}

/// Whether `s` can be a package version the lab installs (PEP 440's
/// characters: letters, digits, `.`, `+`, `!`, `_`, `-`; a letter or digit first).
pub fn package_version(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= MAX_PACKAGE_TEXT
        && s.starts_with(|c: char| c.is_ascii_alphanumeric())
        && s.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '+' | '!' | '_' | '-'))
}

/// Whether `s` can be a package index: an `http(s)://` URL (the install may
/// use the network) or an absolute path to a directory of wheels and sdists
/// on the worker's machine (it may not).
pub fn package_index(s: &str) -> bool {
    safe_argument(s)
        && !s.contains(['\'', '"', '\\'])
        && (s.starts_with("https://") || s.starts_with("http://") || s.starts_with('/'))
}

/// How the evidence lab gets a project's code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lab {
    /// A git repository: a URL, or a path on the worker's machine (a git lab).
    pub repository: Option<String>,
    /// A package installed at each line's version (a package lab).
    pub package: Option<LabPackage>,
    /// Where the package comes from: an index URL or a directory of wheels
    /// and sdists (`pip --no-index --find-links`); none: the registry itself.
    pub index: Option<String>,
    /// Whether setup commands may use the network (never the PoC). Default: no.
    /// A package install from a URL may always (only the install).
    pub setup_network: bool,
    /// The release lines, each with its ref or version.
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
        match (&self.repository, &self.package) {
            (Some(_), Some(_)) => bad("lab.package".into(), "give either repository (git) or package, not both"),
            (None, None) => bad("lab.repository".into(), "give a repository (git) or a package (pypi:NAME)"),
            (Some(repository), None) if !safe_argument(repository) => {
                bad("lab.repository".into(), "give a repository URL or path, without spaces, not starting with '-'");
            }
            (Some(_) | None, _) => {}
        }
        if let Some(index) = &self.index {
            if self.package.is_none() {
                bad("lab.index".into(), "an index is for a package lab (package = \"pypi:NAME\")");
            } else if !package_index(index) {
                bad("lab.index".into(), "give an http(s):// index URL or an absolute directory path, without spaces");
            }
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
            if self.package.is_some() {
                if line.git_ref.is_some() {
                    bad(format!("lab.lines[{i}].ref"), "a package lab installs versions: give version, not ref");
                }
                let version = line.version.clone().unwrap_or_else(|| line.name.to_string());
                if !package_version(&version) {
                    bad(
                        format!("lab.lines[{i}].version"),
                        "give a package version (letters, digits, '.', '+', '!', '_', '-'), or a line name that is one",
                    );
                }
            } else {
                if line.version.is_some() {
                    bad(format!("lab.lines[{i}].version"), "a version is for a package lab: give ref");
                }
                match &line.git_ref {
                    Some(r) if safe_argument(r) && !r.contains("..") => {}
                    _ => bad(
                        format!("lab.lines[{i}].ref"),
                        "give a tag, branch or commit, without spaces, not starting with '-'",
                    ),
                }
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

#[cfg(test)]
mod tests {
    use super::*;

    fn line(name: &str, git_ref: Option<&str>, version: Option<&str>) -> LabLine {
        LabLine {
            name: name.parse().unwrap(),
            git_ref: git_ref.map(str::to_owned),
            version: version.map(str::to_owned),
            setup: None,
        }
    }

    fn fields(lab: &Lab) -> Vec<String> {
        lab.check().into_iter().map(|e| e.field).collect()
    }

    #[test]
    fn a_package_lab_installs_each_lines_version_issue_17() {
        let package: LabPackage = "pypi:tiny-parse.x".parse().unwrap();
        assert_eq!(package.to_string(), "pypi:tiny-parse.x");
        for bad in ["tinyparse", "npm:left-pad", "pypi:", "pypi:-x", "pypi:a b", "pypi:a;rm", "pypi:a'b"] {
            assert!(bad.parse::<LabPackage>().is_err(), "{bad}");
        }
        let lab = Lab {
            repository: None,
            package: Some(package),
            index: Some("/srv/wheels".into()),
            setup_network: false,
            lines: vec![line("1.0", None, Some("1.0.3")), line("2.0", None, None)],
        };
        assert!(fields(&lab).is_empty(), "{:?}", lab.check());
        assert_eq!((lab.lines[0].target(), lab.lines[1].target()), ("1.0.3".to_owned(), "2.0".to_owned()));
        let mut wrong = lab.clone();
        wrong.lines = vec![line("1.0", Some("v1.0"), Some("1.0;rm -rf /"))];
        wrong.index = Some("relative/dir".into());
        assert_eq!(fields(&wrong), ["lab.index", "lab.lines[0].ref", "lab.lines[0].version"]);
        let both = Lab { repository: Some("https://example.org/x.git".into()), ..lab.clone() };
        assert_eq!(fields(&both), ["lab.package"]);
        let neither = Lab { package: None, index: None, ..lab };
        assert_eq!(fields(&neither)[0], "lab.repository");
    }

    #[test]
    fn a_git_lab_needs_a_ref_per_line_and_no_versions() {
        let lab = Lab {
            repository: Some("https://example.org/x.git".into()),
            package: None,
            index: Some("https://pypi.org/simple".into()),
            setup_network: false,
            lines: vec![line("1.0", None, Some("1.0"))],
        };
        assert_eq!(fields(&lab), ["lab.index", "lab.lines[0].version", "lab.lines[0].ref"]);
        assert!(package_index("https://pypi.org/simple") && package_index("/srv/wheels"));
        assert!(!package_index("file:///x") && !package_index("/a b") && !package_index("/a'b"));
    }
}
