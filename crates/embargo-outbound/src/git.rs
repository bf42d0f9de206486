//! Git polling's reader, the app's [`GitLog`] (issue 11): real `git`, run
//! with a cleared environment (no system or global configuration, no
//! terminal prompt, only the allowed protocols), a time limit per command
//! and a bound on the output read. The branch is fetched into a bare cache
//! repository per URL, then its newest commits are read with `git log`.
//!
//! Like HTTP calls, a repository on a loopback or private address, a local
//! path or a `file://` URL is refused unless the operator allows private
//! addresses (`outbound_allow_private`). The host is checked when the poll
//! starts; git resolves it again itself, so this check does not pin the
//! address as the HTTP client does.

use std::hash::{Hash, Hasher};
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use embargo_app::{BranchCommit, GitError, GitLog};
use tokio::io::AsyncReadExt;
use tokio::process::Command;

use crate::address::is_public;

/// The most output read from one `git log`.
const MAX_OUTPUT: u64 = 4 * 1024 * 1024;
/// The longest commit message kept.
const MAX_MESSAGE: usize = 8 * 1024;

/// Reads branches with `git`, caching fetched repositories under a directory.
#[derive(Debug, Clone)]
pub struct GitPoller {
    cache: PathBuf,
    allow_private: bool,
    timeout: Duration,
}

impl GitPoller {
    /// A poller caching under `cache`, with a 120-second limit per git command.
    pub fn new(cache: impl Into<PathBuf>, allow_private: bool) -> Self {
        GitPoller { cache: cache.into(), allow_private, timeout: Duration::from_secs(120) }
    }

    /// The same poller with another limit per git command.
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Refuses what may not be fetched from (see the module's documentation).
    async fn check(&self, repository: &str) -> Result<(), GitError> {
        let local = repository.starts_with('/') || repository.starts_with("file://");
        if local {
            return if self.allow_private {
                Ok(())
            } else {
                Err(GitError("local repositories are allowed only with outbound_allow_private".to_owned()))
            };
        }
        let Some((_, rest)) = repository.split_once("://") else {
            return Err(GitError("the repository is not a URL".to_owned()));
        };
        let authority = rest.split('/').next().unwrap_or("");
        let host_port = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
        let host = if let Some(v6) = host_port.strip_prefix('[') {
            v6.split(']').next().unwrap_or("")
        } else {
            host_port.split(':').next().unwrap_or("")
        };
        if host.is_empty() {
            return Err(GitError("the repository URL has no host".to_owned()));
        }
        if self.allow_private {
            return Ok(());
        }
        let addresses: Vec<IpAddr> = match host.parse::<IpAddr>() {
            Ok(ip) => vec![ip],
            Err(_) => tokio::time::timeout(Duration::from_secs(10), tokio::net::lookup_host((host, 443)))
                .await
                .map_err(|_| GitError(format!("resolving {host} took too long")))?
                .map_err(|e| GitError(format!("cannot resolve {host}: {e}")))?
                .map(|a| a.ip())
                .collect(),
        };
        if addresses.is_empty() || addresses.iter().any(|ip| !is_public(*ip)) {
            return Err(GitError(format!(
                "{host} is a loopback, private or internal address (allowed only with outbound_allow_private)"
            )));
        }
        Ok(())
    }

    fn command(&self, home: &Path) -> Command {
        let protocols = if self.allow_private { "https:http:git:ssh:file" } else { "https:http:git:ssh" };
        let mut command = Command::new("git");
        command
            .env_clear()
            .env("PATH", "/usr/local/bin:/usr/bin:/bin")
            .env("HOME", home)
            .env("LANG", "C.UTF-8")
            .env("GIT_TERMINAL_PROMPT", "0")
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .env("GIT_ALLOW_PROTOCOL", protocols)
            .stdin(Stdio::null())
            .kill_on_drop(true);
        command
    }

    /// Runs git to its end within the limit; answers its (bounded) standard output.
    async fn git(&self, home: &Path, args: &[&str]) -> Result<Vec<u8>, GitError> {
        let mut command = self.command(home);
        command.args(args).stdout(Stdio::piped()).stderr(Stdio::piped());
        let step = args.iter().find(|a| !a.starts_with('-')).copied().unwrap_or("git").to_owned();
        let mut child = command.spawn().map_err(|e| GitError(format!("cannot run git: {e}")))?;
        let (Some(stdout), Some(mut stderr)) = (child.stdout.take(), child.stderr.take()) else {
            return Err(GitError("git gave no output pipes".to_owned()));
        };
        let work = async {
            let mut out = Vec::new();
            let mut err = Vec::new();
            let mut limited = stdout.take(MAX_OUTPUT);
            let mut limited_err = (&mut stderr).take(64 * 1024);
            let (read_out, _) = tokio::join!(limited.read_to_end(&mut out), limited_err.read_to_end(&mut err));
            read_out.map_err(|e| GitError(format!("git {step}: {e}")))?;
            // Output past the bound is not read: the process is ended rather than waited on.
            if out.len() as u64 >= MAX_OUTPUT {
                let _ = child.start_kill();
            }
            let status = child.wait().await.map_err(|e| GitError(format!("git {step}: {e}")))?;
            Ok::<_, GitError>((status, out, err))
        };
        let (status, out, err) = tokio::time::timeout(self.timeout, work)
            .await
            .map_err(|_| GitError(format!("git {step} took more than {} seconds", self.timeout.as_secs())))??;
        if !status.success() && (out.len() as u64) < MAX_OUTPUT {
            let why: String = String::from_utf8_lossy(&err).lines().last().unwrap_or("").chars().take(300).collect();
            return Err(GitError(format!("git {step} failed: {why}")));
        }
        Ok(out)
    }
}

fn cache_name(repository: &str) -> String {
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    repository.hash(&mut hasher);
    format!("{:016x}.git", hasher.finish())
}

/// Reads `git log -z --format=%H%x1f%B` output.
fn parse_log(out: &[u8]) -> Vec<BranchCommit> {
    String::from_utf8_lossy(out)
        .split('\0')
        .filter_map(|entry| {
            let (id, message) = entry.trim_start_matches('\n').split_once('\u{1f}')?;
            let id = id.trim();
            (id.len() >= 40 && id.bytes().all(|b| b.is_ascii_hexdigit()))
                .then(|| BranchCommit { id: id.to_owned(), message: message.chars().take(MAX_MESSAGE).collect() })
        })
        .collect()
}

#[async_trait::async_trait]
impl GitLog for GitPoller {
    async fn branch_log(&self, repository: &str, branch: &str, limit: usize) -> Result<Vec<BranchCommit>, GitError> {
        self.check(repository).await?;
        if repository.starts_with('-') || branch.starts_with('-') || branch.contains("..") {
            return Err(GitError("the repository or branch would be read as an option".to_owned()));
        }
        tokio::fs::create_dir_all(&self.cache).await.map_err(|e| GitError(format!("cannot make the cache: {e}")))?;
        let dir = self.cache.join(cache_name(repository));
        let dir_text = dir.to_str().ok_or_else(|| GitError("the cache path is not UTF-8".to_owned()))?;
        if !dir.join("HEAD").exists() {
            self.git(&self.cache, &["init", "--quiet", "--bare", dir_text]).await?;
        }
        let refspec = format!("+refs/heads/{branch}:refs/heads/{branch}");
        let depth = format!("--depth={limit}");
        self.git(&self.cache, &["-C", dir_text, "fetch", "--quiet", "--no-tags", &depth, "--", repository, &refspec])
            .await?;
        let count = format!("--max-count={limit}");
        let reference = format!("refs/heads/{branch}");
        let out = self
            .git(&self.cache, &["-C", dir_text, "log", "-z", "--format=%H%x1f%B", &count, &reference, "--"])
            .await?;
        Ok(parse_log(&out))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_output_is_read_per_commit() {
        let a = "a".repeat(40);
        let b = "b".repeat(40);
        let out = format!("{a}\u{1f}Fix ACME-2026-1\n\nbody\n\0\n{b}\u{1f}Initial\n");
        let commits = parse_log(out.as_bytes());
        assert_eq!(commits.len(), 2);
        assert_eq!(commits[0].id, a);
        assert!(commits[0].message.starts_with("Fix ACME-2026-1"));
        assert_eq!(commits[1].id, b);
    }

    #[tokio::test]
    async fn private_and_local_repositories_are_refused_unless_allowed() {
        let closed = GitPoller::new("/nonexistent", false);
        for repo in ["/srv/git/x.git", "file:///srv/git/x.git", "https://127.0.0.1/x.git", "http://[::1]:8080/x.git"] {
            assert!(closed.check(repo).await.is_err(), "{repo}");
        }
        let open = GitPoller::new("/nonexistent", true);
        assert!(open.check("/srv/git/x.git").await.is_ok());
        assert!(open.check("https://127.0.0.1/x.git").await.is_ok());
    }
}
