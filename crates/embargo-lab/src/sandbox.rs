//! The sandbox untrusted code runs in: bubblewrap (`bwrap`) inside
//! `prlimit`, as an unprivileged user when the worker runs as root.
//!
//! What the code sees: the system's `/usr` (read-only), a few files of
//! `/etc`, a private `/proc` and `/dev`, a private size-bounded tmpfs at
//! `/tmp`, the prepared checkout at its own path (read-only, except while a
//! setup command prepares it) and the script at `/lab/poc`. Nothing else of
//! the host: no Embargo data directory, no secrets, no home directories.
//! Namespaces: all of them (no network unless a setup command is allowed it),
//! no further user namespaces, all capabilities dropped.
//!
//! Limits: wall time (the worker kills the sandbox; killing `bwrap` ends its
//! PID namespace), address space, processes of the sandbox user, file size,
//! open files, CPU time, tmpfs size; output is kept up to a bound.

use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use embargo_core::lab::Ending;
use tokio::io::{AsyncRead, AsyncReadExt};
use tokio::process::Command;

/// The line the sandbox prints before it starts the program, so that a
/// failure of `bwrap` itself (which exits 1) is never read as the program's
/// exit code 1.
const STARTED: &[u8] = b"embargo-lab: started\n";

/// The unprivileged user sandboxes run as when the worker is root (`nobody`).
pub const DEFAULT_SANDBOX_UID: u32 = 65534;

/// What one sandboxed process may use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// Wall-clock time before the sandbox is killed.
    pub time: Duration,
    /// Address space of each process, in bytes (`RLIMIT_AS`).
    pub memory_bytes: u64,
    /// Processes the sandbox user may have at once (`RLIMIT_NPROC`).
    pub processes: u32,
    /// The largest file it may write, in bytes (`RLIMIT_FSIZE`).
    pub file_bytes: u64,
    /// The size of its private `/tmp`, in bytes.
    pub tmpfs_bytes: u64,
    /// Output kept (stdout and stderr together), in bytes; the rest is counted and dropped.
    pub output_bytes: usize,
}

impl Limits {
    /// The limits of a proof-of-concept run: 60 s, 512 MiB, 64 processes,
    /// 16 MiB files and `/tmp`, 64 KiB of output.
    pub fn poc() -> Self {
        Limits {
            time: Duration::from_secs(60),
            memory_bytes: 512 * 1024 * 1024,
            processes: 64,
            file_bytes: 16 * 1024 * 1024,
            tmpfs_bytes: 16 * 1024 * 1024,
            output_bytes: 64 * 1024,
        }
    }

    /// The limits of a setup command: 10 minutes, 2 GiB, 256 processes,
    /// 256 MiB files and `/tmp`, 64 KiB of output.
    pub fn setup() -> Self {
        Limits {
            time: Duration::from_secs(600),
            memory_bytes: 2 * 1024 * 1024 * 1024,
            processes: 256,
            file_bytes: 256 * 1024 * 1024,
            tmpfs_bytes: 256 * 1024 * 1024,
            output_bytes: 64 * 1024,
        }
    }
}

/// What to run.
#[derive(Debug, Clone, Copy)]
pub enum Program<'a> {
    /// A script (a PoC): run directly when it starts with `#!`, else with `/bin/sh`.
    Script(&'a [u8]),
    /// One line of shell (a setup command).
    Shell(&'a str),
    /// A program and its arguments, run without a shell (a package install).
    Argv(&'a [&'a str]),
}

/// One sandboxed run.
#[derive(Debug, Clone, Copy)]
pub struct RunSpec<'a> {
    /// What to run.
    pub program: Program<'a>,
    /// The prepared checkout: the working directory, in `EMBARGO_LAB_SOURCE`.
    pub source: &'a Path,
    /// Whether the checkout is writable (setup commands only).
    pub writable_source: bool,
    /// Whether the network is shared (setup commands, when the policy allows).
    pub network: bool,
    /// The limits.
    pub limits: &'a Limits,
    /// A host directory of the worker's own for this run's script; must be empty.
    pub scratch: &'a Path,
}

/// How a sandboxed run went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunOutput {
    /// How the program ended.
    pub ending: Ending,
    /// Its output (stdout, then stderr), at most the limit.
    pub output: Vec<u8>,
    /// Whether output was dropped.
    pub truncated: bool,
    /// How long it ran.
    pub elapsed: Duration,
}

/// Why the sandbox could not run something.
#[derive(Debug, thiserror::Error)]
pub enum SandboxError {
    /// A tool the sandbox needs is not installed.
    #[error("{tool} is not installed (Debian package {package}); the lab runs nothing without it")]
    Missing {
        /// The program.
        tool: &'static str,
        /// Where to get it.
        package: &'static str,
    },
    /// `bwrap` could not make a sandbox on this machine.
    #[error("bubblewrap cannot create a sandbox here: {reason}")]
    Unavailable {
        /// What bwrap said (user namespaces disabled, seccomp, ...).
        reason: String,
    },
    /// Starting or watching the process failed.
    #[error("running the sandbox: {0}")]
    Io(#[from] std::io::Error),
}

/// A working sandbox: the tools found and checked by [`Sandbox::probe`].
#[derive(Debug, Clone)]
pub struct Sandbox {
    bwrap: PathBuf,
    prlimit: PathBuf,
    /// `setpriv` and the uid to switch to, when the worker runs as root.
    switch: Option<(PathBuf, u32)>,
}

fn find(tool: &'static str, package: &'static str) -> Result<PathBuf, SandboxError> {
    ["/usr/bin", "/bin", "/usr/local/bin", "/usr/sbin", "/sbin"]
        .iter()
        .map(|dir| Path::new(dir).join(tool))
        .find(|p| p.is_file())
        .ok_or(SandboxError::Missing { tool, package })
}

/// Whether this process runs as root (the owner of its `/proc/self`).
fn running_as_root() -> bool {
    std::fs::metadata("/proc/self").is_ok_and(|m| m.uid() == 0)
}

impl Sandbox {
    /// Finds `bwrap`, `prlimit` (and `setpriv` when root) and runs `true` in
    /// a sandbox built as every run's is; answers why not when it cannot.
    pub async fn probe(sandbox_uid: u32) -> Result<Sandbox, SandboxError> {
        let bwrap = find("bwrap", "bubblewrap")?;
        let prlimit = find("prlimit", "util-linux")?;
        let switch = if running_as_root() { Some((find("setpriv", "util-linux")?, sandbox_uid)) } else { None };
        let sandbox = Sandbox { bwrap, prlimit, switch };
        let scratch = tempfile::Builder::new().prefix("embargo-lab-probe").tempdir()?;
        let source = scratch.path().join("source");
        let script = scratch.path().join("script");
        for dir in [scratch.path(), &source, &script] {
            std::fs::create_dir_all(dir)?;
            std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o755))?;
        }
        let limits = Limits { time: Duration::from_secs(20), ..Limits::poc() };
        let spec = RunSpec {
            program: Program::Script(b"#!/bin/sh\nexit 0\n"),
            source: &source,
            writable_source: false,
            network: false,
            limits: &limits,
            scratch: &script,
        };
        match sandbox.run(&spec).await {
            Ok(out) if out.ending == Ending::Exited(0) => Ok(sandbox),
            Ok(out) => Err(SandboxError::Unavailable { reason: reason_of(&out) }),
            Err(SandboxError::Io(e)) => Err(SandboxError::Unavailable { reason: e.to_string() }),
            Err(e) => Err(e),
        }
    }

    /// Whether sandboxes run as another user (the worker is root).
    pub fn switches_user(&self) -> bool {
        self.switch.is_some()
    }

    /// Runs `spec` and waits for it within its time limit.
    pub async fn run(&self, spec: &RunSpec<'_>) -> Result<RunOutput, SandboxError> {
        let limits = spec.limits;
        let mut command = Command::new(&self.prlimit);
        command
            .env_clear()
            .arg(format!("--as={}", limits.memory_bytes))
            .arg(format!("--nproc={}", limits.processes))
            .arg(format!("--fsize={}", limits.file_bytes))
            .arg(format!("--cpu={}", limits.time.as_secs().saturating_add(1)))
            .arg("--nofile=256")
            .arg("--core=0")
            .arg("--");
        if let Some((setpriv, uid)) = &self.switch {
            command.arg(setpriv).args([
                format!("--reuid={uid}"),
                format!("--regid={uid}"),
                "--clear-groups".into(),
                "--inh-caps=-all".into(),
                "--bounding-set=-all".into(),
                "--".into(),
            ]);
        }
        command.arg(&self.bwrap).args(self.bwrap_args(spec)?);
        command.stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped()).kill_on_drop(true);

        let started = tokio::time::Instant::now();
        let mut child = command.spawn()?;
        let stdout = child.stdout.take();
        let stderr = child.stderr.take();
        let cap = limits.output_bytes.saturating_add(STARTED.len());
        let reading = async { tokio::join!(bounded(stdout, cap), bounded(stderr, cap)) };
        let finished = tokio::time::timeout(limits.time, async {
            let (out, err) = reading.await;
            let status = child.wait().await;
            (out, err, status)
        })
        .await;
        let elapsed = started.elapsed();
        let Ok((out, err, status)) = finished else {
            // Killing bwrap ends its PID namespace and everything in it.
            child.start_kill()?;
            child.wait().await?;
            return Ok(RunOutput {
                ending: Ending::TimedOut { seconds: limits.time.as_secs() },
                output: Vec::new(),
                truncated: false,
                elapsed,
            });
        };
        let status = status?;
        let (stdout, stdout_dropped) = out?;
        let (mut stderr, stderr_dropped) = err?;
        let ran = stderr.starts_with(STARTED);
        if ran {
            stderr.drain(..STARTED.len());
        }
        let mut output = stdout;
        output.extend_from_slice(&stderr);
        let truncated = stdout_dropped || stderr_dropped || output.len() > limits.output_bytes;
        output.truncate(limits.output_bytes);
        let ending = match (ran, status.code()) {
            // bwrap reports a program killed by signal N as 128 + N.
            (true, Some(code)) if code > 128 => Ending::Signalled(code - 128),
            (true, Some(code)) => Ending::Exited(code),
            (true, None) | (false, _) => {
                return Err(SandboxError::Unavailable { reason: String::from_utf8_lossy(&output).trim().to_owned() });
            }
        };
        Ok(RunOutput { ending, output, truncated, elapsed })
    }

    fn bwrap_args(&self, spec: &RunSpec<'_>) -> Result<Vec<String>, SandboxError> {
        let source = path_text(spec.source)?;
        let mut args: Vec<String> = Vec::new();
        let mut add = |items: &[&str]| args.extend(items.iter().map(|s| (*s).to_owned()));
        add(&["--unshare-all", "--unshare-user"]);
        if spec.network {
            add(&["--share-net"]);
        }
        add(&["--disable-userns", "--die-with-parent", "--new-session", "--cap-drop", "ALL"]);
        add(&["--hostname", "embargo-lab", "--ro-bind", "/usr", "/usr"]);
        for (link, target) in [("/bin", "usr/bin"), ("/sbin", "usr/sbin"), ("/lib", "usr/lib"), ("/lib64", "usr/lib64")]
        {
            if std::fs::read_link(link).is_ok() {
                add(&["--symlink", target, link]);
            } else if Path::new(link).is_dir() {
                add(&["--ro-bind", link, link]);
            }
        }
        for file in ETC {
            add(&["--ro-bind-try", file, file]);
        }
        if spec.network {
            for file in ["/etc/resolv.conf", "/etc/hosts", "/etc/nsswitch.conf", "/etc/gai.conf"] {
                add(&["--ro-bind-try", file, file]);
            }
        }
        add(&["--proc", "/proc", "--dev", "/dev"]);
        let tmpfs = spec.limits.tmpfs_bytes.to_string();
        add(&["--size", &tmpfs, "--tmpfs", "/tmp"]);
        add(&[if spec.writable_source { "--bind" } else { "--ro-bind" }, &source, &source]);
        let script = match spec.program {
            Program::Script(bytes) => {
                let path = spec.scratch.join("poc");
                std::fs::write(&path, bytes)?;
                std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755))?;
                std::fs::set_permissions(spec.scratch, std::fs::Permissions::from_mode(0o755))?;
                let scratch = path_text(spec.scratch)?;
                add(&["--ro-bind", &scratch, "/lab"]);
                if bytes.starts_with(b"#!") {
                    vec!["/lab/poc".to_owned()]
                } else {
                    vec!["/bin/sh".into(), "/lab/poc".into()]
                }
            }
            Program::Shell(line) => vec!["/bin/sh".into(), "-c".into(), line.to_owned()],
            Program::Argv(argv) => argv.iter().map(|a| (*a).to_owned()).collect(),
        };
        add(&["--remount-ro", "/", "--chdir", &source, "--clearenv"]);
        for (name, value) in [
            ("PATH", "/usr/local/bin:/usr/bin:/bin"),
            ("HOME", "/tmp"),
            ("TMPDIR", "/tmp"),
            ("LANG", "C.UTF-8"),
            ("PYTHONDONTWRITEBYTECODE", "1"),
            ("EMBARGO_LAB_SOURCE", source.as_str()),
        ] {
            add(&["--setenv", name, value]);
        }
        // A marker on stderr, then the program in the shell's place.
        add(&["/bin/sh", "-c", "printf 'embargo-lab: started\\n' >&2; exec \"$@\"", "sh"]);
        args.extend(script);
        Ok(args)
    }
}

/// The files of `/etc` a program may need to start (dynamic linking,
/// users, certificates, time zone); never the whole directory.
const ETC: &[&str] = &[
    "/etc/alternatives",
    "/etc/ld.so.cache",
    "/etc/ld.so.conf",
    "/etc/ld.so.conf.d",
    "/etc/passwd",
    "/etc/group",
    "/etc/localtime",
    "/etc/ssl/certs",
    "/etc/ca-certificates",
    "/etc/python3",
    "/etc/python3.11",
];

fn path_text(path: &Path) -> Result<String, SandboxError> {
    path.to_str()
        .map(str::to_owned)
        .ok_or_else(|| SandboxError::Io(std::io::Error::other(format!("{} is not UTF-8", path.display()))))
}

/// Reads a pipe to its end, keeping at most `cap` bytes; answers whether any were dropped.
async fn bounded(pipe: Option<impl AsyncRead + Unpin>, cap: usize) -> std::io::Result<(Vec<u8>, bool)> {
    let Some(mut pipe) = pipe else { return Ok((Vec::new(), false)) };
    let mut kept = Vec::new();
    let mut dropped = false;
    let mut buf = [0u8; 8192];
    loop {
        let n = pipe.read(&mut buf).await?;
        if n == 0 {
            return Ok((kept, dropped));
        }
        let chunk = buf.get(..n).unwrap_or_default();
        let room = cap.saturating_sub(kept.len());
        kept.extend_from_slice(chunk.get(..room.min(n)).unwrap_or_default());
        dropped |= n > room;
    }
}

/// A short reason from a failed run's output, for an error.
fn reason_of(out: &RunOutput) -> String {
    let text = String::from_utf8_lossy(&out.output);
    let text = text.trim();
    if text.is_empty() { format!("{:?}", out.ending) } else { text.chars().take(300).collect() }
}
