//! Package environments (issue 17): for a project whose `[lab]` policy says
//! `package = "pypi:NAME"`, each release line's environment is a virtual
//! environment with the package installed at the line's version, instead of
//! a git checkout. The install runs in the sandbox like a setup command,
//! without a shell (the name and version are checked, then passed as
//! arguments): with the network only when the index is a URL (or PyPI
//! itself), never when it is a directory of wheels and sdists on the
//! worker's machine, whose distribution files (`*.whl`, `*.tar.gz`, `*.zip`,
//! top level only, no links) are copied in for the install and removed after.
//! The line's setup command, if any, runs after the install. The PoC itself
//! never has the network. Environments are cached by (package, version,
//! index, setup), so each version is prepared once.

use std::path::Path;

use embargo_core::lab::Ending;
use embargo_core::policy::{LabPackage, PackageKind, package_index, package_version};

use crate::environment::{Environments, PrepareError, Prepared, chown_tree, hex_digest, open_dir, short};
use crate::sandbox::{Program, RunSpec, Sandbox};

/// The package environment to prepare.
#[derive(Debug, Clone, Copy)]
pub struct PackageWant<'a> {
    /// The package.
    pub package: &'a LabPackage,
    /// The version to install.
    pub version: &'a str,
    /// An index URL or a directory of distribution files; none: the registry itself.
    pub index: Option<&'a str>,
    /// The line's setup command, run after the install.
    pub setup: Option<&'a str>,
    /// Whether the setup command may use the network.
    pub setup_network: bool,
}

/// The distribution files of a local index directory.
fn distribution_file(path: &Path) -> bool {
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
    [".whl", ".tar.gz", ".zip"].iter().any(|ext| name.ends_with(ext))
}

/// Copies the distribution files of `from` (top level, regular files only) into `to`.
fn copy_index(from: &Path, to: &Path) -> Result<usize, PrepareError> {
    open_dir(to)?;
    let mut copied = 0;
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let path = entry.path();
        if entry.file_type()?.is_file() && distribution_file(&path) {
            std::fs::copy(&path, to.join(entry.file_name()))?;
            copied += 1;
        }
    }
    Ok(copied)
}

impl Environments {
    /// Prepares (or finds in the cache) the package environment `want` describes.
    pub async fn prepare_package(&self, sandbox: &Sandbox, want: PackageWant<'_>) -> Result<Prepared, PrepareError> {
        if !package_version(want.version) {
            return Err(PrepareError::Unsafe { field: "version", value: want.version.chars().take(80).collect() });
        }
        if let Some(index) = want.index
            && !package_index(index)
        {
            return Err(PrepareError::Unsafe { field: "index", value: index.chars().take(80).collect() });
        }
        let PackageKind::Pypi = want.package.kind;
        let requirement = format!("{}=={}", want.package.name, want.version);
        let network = if want.setup_network { "network" } else { "offline" };
        let package = want.package.to_string();
        let key = hex_digest(&[
            "package",
            &package,
            want.version,
            want.index.unwrap_or(""),
            want.setup.unwrap_or(""),
            network,
        ]);
        let envs = self.root.join("envs");
        let path = envs.join(&key);
        let ready = envs.join(format!("{key}.ready"));
        let prepared = Prepared { path: path.clone(), mirror: path.clone(), commit: requirement.clone() };
        if ready.is_file() && path.is_dir() {
            return Ok(prepared);
        }
        if path.exists() {
            std::fs::remove_dir_all(&path)?;
        }
        open_dir(&path)?;
        let local = path.join(".lab-index");
        let local_text = local.to_str().unwrap_or_default().to_owned();
        let (index_args, install_network): (Vec<&str>, bool) = match want.index {
            Some(dir) if dir.starts_with('/') => {
                copy_index(Path::new(dir), &local)?;
                (vec!["--no-index", "--find-links", &local_text], false)
            }
            Some(url) => (vec!["--index-url", url], true),
            None => (Vec::new(), true),
        };
        if let Some(uid) = self.sandbox_uid {
            chown_tree(&path, uid)?;
        }
        let mut install = vec![
            ".venv/bin/python",
            "-m",
            "pip",
            "install",
            "--no-cache-dir",
            "--disable-pip-version-check",
            "--no-input",
        ];
        install.extend(index_args);
        install.push(&requirement);
        let mut steps: Vec<(Program<'_>, bool)> = vec![
            (Program::Argv(&["python3", "-m", "venv", ".venv"]), false),
            (Program::Argv(&install), install_network),
        ];
        if let Some(setup) = want.setup {
            steps.push((Program::Shell(setup), want.setup_network));
        }
        let mut log = Vec::new();
        for (i, (program, network)) in steps.into_iter().enumerate() {
            let scratch = tempfile::Builder::new().prefix("setup").tempdir_in(&self.root)?;
            let run = sandbox
                .run(&RunSpec {
                    program,
                    source: &path,
                    writable_source: true,
                    network,
                    limits: &self.setup_limits,
                    scratch: scratch.path(),
                })
                .await?;
            log.extend_from_slice(&run.output);
            if run.ending != Ending::Exited(0) {
                std::fs::write(envs.join(format!("{key}.setup.log")), &log)?;
                return Err(PrepareError::Setup { ending: run.ending, output: short(&run.output) });
            }
            // The copied index is gone before the setup command or any PoC runs.
            if i == 1 && local.exists() {
                std::fs::remove_dir_all(&local)?;
            }
        }
        std::fs::write(envs.join(format!("{key}.setup.log")), &log)?;
        std::fs::write(&ready, requirement.as_bytes())?;
        Ok(prepared)
    }
}
