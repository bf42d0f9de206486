//! Environments per release line: the project's repository fetched into a
//! bare mirror, each ref's tree unpacked into its own directory, and the
//! line's setup command run there once inside the sandbox. Prepared
//! environments are cached by (repository, commit, setup), so a tag is
//! prepared once and a branch again only when it moves.
//!
//! `git` and `tar` run as real processes with a time limit, with a cleared
//! environment, never reading the user's or system's git configuration.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use embargo_core::lab::Ending;
use embargo_core::policy::safe_argument;
use sha2::{Digest, Sha256};
use tokio::process::Command;

use crate::sandbox::{Limits, Program, RunSpec, Sandbox, SandboxError};

/// Where the lab keeps mirrors and environments, and how long git may take.
#[derive(Debug, Clone)]
pub struct Environments {
    pub(crate) root: PathBuf,
    git_timeout: Duration,
    pub(crate) setup_limits: Limits,
    pub(crate) sandbox_uid: Option<u32>,
}

/// A prepared environment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Prepared {
    /// The checkout (no `.git`): the PoC's working directory.
    pub path: PathBuf,
    /// The bare mirror the checkout came from, for `git grep`.
    pub mirror: PathBuf,
    /// The full commit id the ref resolved to.
    pub commit: String,
}

/// What to prepare.
#[derive(Debug, Clone, Copy)]
pub struct Want<'a> {
    /// The repository URL or path.
    pub repository: &'a str,
    /// The tag, branch or commit.
    pub git_ref: &'a str,
    /// The setup command, if any.
    pub setup: Option<&'a str>,
    /// Whether the setup command may use the network.
    pub setup_network: bool,
}

/// Why an environment could not be prepared.
#[derive(Debug, thiserror::Error)]
pub enum PrepareError {
    /// The repository, ref, version or index would be read as an option, or is not one line.
    #[error("{field} {value:?} cannot be given to git or pip")]
    Unsafe {
        /// `repository` or `ref`.
        field: &'static str,
        /// The value, cut short.
        value: String,
    },
    /// A git or tar command failed.
    #[error("{step} failed: {detail}")]
    Command {
        /// What was being done (`git clone`).
        step: &'static str,
        /// Its stderr, cut short.
        detail: String,
    },
    /// A git or tar command ran past its time limit.
    #[error("{step} took longer than {seconds} s")]
    TimedOut {
        /// What was being done.
        step: &'static str,
        /// The limit.
        seconds: u64,
    },
    /// The ref names no commit of the repository.
    #[error("the ref {0:?} is not in the repository")]
    UnknownRef(String),
    /// The setup command did not exit 0.
    #[error("the setup command ended with {ending:?}: {output}")]
    Setup {
        /// How it ended.
        ending: Ending,
        /// The end of its output.
        output: String,
    },
    /// The sandbox could not run the setup command.
    #[error(transparent)]
    Sandbox(#[from] SandboxError),
    /// The cache directory could not be written.
    #[error("lab directory: {0}")]
    Io(#[from] std::io::Error),
}

pub(crate) fn short(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(bytes);
    let text = text.trim();
    let skip = text.chars().count().saturating_sub(400);
    text.chars().skip(skip).collect()
}

pub(crate) fn hex_digest(parts: &[&str]) -> String {
    let mut hash = Sha256::new();
    for part in parts {
        hash.update((part.len() as u64).to_be_bytes());
        hash.update(part.as_bytes());
    }
    hash.finalize().iter().take(16).map(|b| format!("{b:02x}")).collect()
}

/// Runs a command with a cleared environment and a time limit; answers its stdout.
pub(crate) async fn run_tool(
    step: &'static str,
    program: &str,
    args: &[&str],
    home: &Path,
    timeout: Duration,
) -> Result<(i32, Vec<u8>, Vec<u8>), PrepareError> {
    let mut command = Command::new(program);
    command
        .args(args)
        .env_clear()
        .env("PATH", "/usr/local/bin:/usr/bin:/bin")
        .env("HOME", home)
        .env("LANG", "C.UTF-8")
        .env("GIT_TERMINAL_PROMPT", "0")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    let child = command.spawn().map_err(|e| PrepareError::Command { step, detail: e.to_string() })?;
    match tokio::time::timeout(timeout, child.wait_with_output()).await {
        Err(_) => Err(PrepareError::TimedOut { step, seconds: timeout.as_secs() }),
        Ok(Err(e)) => Err(PrepareError::Command { step, detail: e.to_string() }),
        Ok(Ok(out)) => Ok((out.status.code().unwrap_or(-1), out.stdout, out.stderr)),
    }
}

async fn must(
    step: &'static str,
    program: &str,
    args: &[&str],
    home: &Path,
    timeout: Duration,
) -> Result<Vec<u8>, PrepareError> {
    let (code, stdout, stderr) = run_tool(step, program, args, home, timeout).await?;
    if code == 0 { Ok(stdout) } else { Err(PrepareError::Command { step, detail: short(&stderr) }) }
}

fn text(path: &Path) -> Result<&str, PrepareError> {
    path.to_str().ok_or_else(|| PrepareError::Io(std::io::Error::other("the lab directory's path is not UTF-8")))
}

/// Makes a directory the sandbox user can enter and read.
pub(crate) fn open_dir(path: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(path)?;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755))
}

/// Hands a tree to `uid` (so that a setup command running as it may write there).
pub(crate) fn chown_tree(path: &Path, uid: u32) -> std::io::Result<()> {
    std::os::unix::fs::lchown(path, Some(uid), Some(uid))?;
    if std::fs::symlink_metadata(path)?.is_dir() {
        for entry in std::fs::read_dir(path)? {
            chown_tree(&entry?.path(), uid)?;
        }
    }
    Ok(())
}

impl Environments {
    /// Environments under `root` (created, readable by the sandbox user,
    /// whose uid is given when the worker switches to one).
    pub fn new(root: PathBuf, sandbox_uid: Option<u32>) -> Result<Self, PrepareError> {
        open_dir(&root)?;
        open_dir(&root.join("mirrors"))?;
        open_dir(&root.join("envs"))?;
        Ok(Environments { root, git_timeout: Duration::from_secs(300), setup_limits: Limits::setup(), sandbox_uid })
    }

    /// Changes the time limit of each git command.
    pub fn with_git_timeout(mut self, timeout: Duration) -> Self {
        self.git_timeout = timeout;
        self
    }

    /// Changes the limits of setup commands.
    pub fn with_setup_limits(mut self, limits: Limits) -> Self {
        self.setup_limits = limits;
        self
    }

    /// Fetches the repository and resolves `git_ref` to a commit; answers the mirror and the commit.
    pub async fn resolve(&self, repository: &str, git_ref: &str) -> Result<(PathBuf, String), PrepareError> {
        if !safe_argument(repository) {
            return Err(PrepareError::Unsafe { field: "repository", value: repository.chars().take(80).collect() });
        }
        if !safe_argument(git_ref) {
            return Err(PrepareError::Unsafe { field: "ref", value: git_ref.chars().take(80).collect() });
        }
        let mirror = self.root.join("mirrors").join(format!("{}.git", hex_digest(&[repository])));
        let mirror_text = text(&mirror)?;
        let home = &self.root;
        let t = self.git_timeout;
        if mirror.join("HEAD").is_file() {
            must(
                "git fetch",
                "git",
                &[
                    "-C",
                    mirror_text,
                    "fetch",
                    "--quiet",
                    "--prune",
                    "--force",
                    "--tags",
                    "origin",
                    "+refs/heads/*:refs/heads/*",
                ],
                home,
                t,
            )
            .await?;
        } else {
            if mirror.exists() {
                std::fs::remove_dir_all(&mirror)?;
            }
            must("git clone", "git", &["clone", "--quiet", "--bare", "--", repository, mirror_text], home, t).await?;
        }
        let spec = format!("{git_ref}^{{commit}}");
        let (code, stdout, _) = run_tool(
            "git rev-parse",
            "git",
            &["-C", mirror_text, "rev-parse", "--verify", "--quiet", "--end-of-options", &spec],
            home,
            t,
        )
        .await?;
        let commit = String::from_utf8_lossy(&stdout).trim().to_owned();
        if code != 0 || commit.len() < 40 || !commit.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(PrepareError::UnknownRef(git_ref.to_owned()));
        }
        Ok((mirror, commit))
    }

    /// Prepares (or finds in the cache) the environment `want` describes.
    pub async fn prepare(&self, sandbox: &Sandbox, want: Want<'_>) -> Result<Prepared, PrepareError> {
        let (mirror, commit) = self.resolve(want.repository, want.git_ref).await?;
        let network = if want.setup_network { "network" } else { "offline" };
        let key = hex_digest(&[want.repository, &commit, want.setup.unwrap_or(""), network]);
        let path = self.root.join("envs").join(&key);
        let ready = self.root.join("envs").join(format!("{key}.ready"));
        let prepared = Prepared { path: path.clone(), mirror: mirror.clone(), commit: commit.clone() };
        if ready.is_file() && path.is_dir() {
            return Ok(prepared);
        }
        if path.exists() {
            std::fs::remove_dir_all(&path)?;
        }
        open_dir(&path)?;
        let archive = self.root.join("envs").join(format!("{key}.tar"));
        let t = self.git_timeout;
        must(
            "git archive",
            "git",
            &["-C", text(&mirror)?, "archive", "--format=tar", "-o", text(&archive)?, &commit],
            &self.root,
            t,
        )
        .await?;
        let untar =
            must("tar", "tar", &["-x", "--no-same-owner", "-f", text(&archive)?, "-C", text(&path)?], &self.root, t)
                .await;
        std::fs::remove_file(&archive)?;
        untar?;
        if let Some(setup) = want.setup {
            if let Some(uid) = self.sandbox_uid {
                chown_tree(&path, uid)?;
            }
            let scratch = tempfile::Builder::new().prefix("setup").tempdir_in(&self.root)?;
            let run = sandbox
                .run(&RunSpec {
                    program: Program::Shell(setup),
                    source: &path,
                    writable_source: true,
                    network: want.setup_network,
                    limits: &self.setup_limits,
                    scratch: scratch.path(),
                })
                .await?;
            std::fs::write(self.root.join("envs").join(format!("{key}.setup.log")), &run.output)?;
            if run.ending != Ending::Exited(0) {
                return Err(PrepareError::Setup { ending: run.ending, output: short(&run.output) });
            }
        }
        std::fs::write(&ready, commit.as_bytes())?;
        Ok(prepared)
    }
}
