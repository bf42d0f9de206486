//! The grounding check: each identifier a report names is looked up with
//! `git grep` (and file paths with `git ls-tree`) in the project's source at
//! the commit the lab prepared.

use std::path::Path;
use std::time::Duration;

use embargo_core::lab::Grounding;

use crate::environment::{PrepareError, run_tool};

/// Looks each of `names` up in `mirror` at `commit`.
pub async fn check(
    mirror: &Path,
    commit: &str,
    names: &[String],
    timeout: Duration,
) -> Result<Vec<Grounding>, PrepareError> {
    let Some(mirror_text) = mirror.to_str() else {
        return Err(PrepareError::Io(std::io::Error::other("the mirror's path is not UTF-8")));
    };
    let home = mirror.parent().unwrap_or(mirror);
    let mut files: Option<Vec<String>> = None;
    let mut out = Vec::with_capacity(names.len());
    for name in names {
        let location = if looks_like_path(name) {
            if files.is_none() {
                let (code, stdout, stderr) = run_tool(
                    "git ls-tree",
                    "git",
                    &["-C", mirror_text, "ls-tree", "-r", "--name-only", "--full-tree", commit],
                    home,
                    timeout,
                )
                .await?;
                if code != 0 {
                    return Err(PrepareError::Command {
                        step: "git ls-tree",
                        detail: String::from_utf8_lossy(&stderr).trim().chars().take(300).collect(),
                    });
                }
                files = Some(String::from_utf8_lossy(&stdout).lines().map(str::to_owned).collect());
            }
            let wanted = name.trim_start_matches("./");
            files
                .as_deref()
                .unwrap_or_default()
                .iter()
                .find(|f| *f == wanted || f.ends_with(&format!("/{wanted}")))
                .cloned()
        } else {
            grep(mirror_text, home, commit, name, timeout).await?
        };
        out.push(Grounding { name: name.clone(), found: location.is_some(), location });
    }
    Ok(out)
}

fn looks_like_path(name: &str) -> bool {
    !name.starts_with('-') && (name.contains('/') || name.contains('.'))
}

/// The first `path:line` where `name` occurs at `commit`, as a whole word when it is one.
async fn grep(
    mirror: &str,
    home: &Path,
    commit: &str,
    name: &str,
    timeout: Duration,
) -> Result<Option<String>, PrepareError> {
    let word = name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    let mut args = vec!["-C", mirror, "grep", "-n", "-I", "-F", "--max-count=1"];
    if word {
        args.push("-w");
    }
    args.extend(["-e", name, commit, "--"]);
    let (code, stdout, stderr) = run_tool("git grep", "git", &args, home, timeout).await?;
    match code {
        0 => {
            // `COMMIT:path:line:text`
            let text = String::from_utf8_lossy(&stdout);
            let first = text.lines().next().unwrap_or_default();
            let mut parts = first.splitn(4, ':');
            let (_, path, line) = (parts.next(), parts.next(), parts.next());
            Ok(Some(match (path, line) {
                (Some(path), Some(line)) => format!("{path}:{line}"),
                _ => first.chars().take(200).collect(),
            }))
        }
        1 => Ok(None),
        _ => Err(PrepareError::Command {
            step: "git grep",
            detail: String::from_utf8_lossy(&stderr).trim().chars().take(300).collect(),
        }),
    }
}
