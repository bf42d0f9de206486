//! `embargo completions SHELL` and `embargo man`: shell completion scripts
//! (clap_complete) and roff man pages (clap_mangen), both from the same
//! command definitions as `--help`.

use std::path::Path;
use std::process::ExitCode;

use anyhow::Context;
use clap::CommandFactory;

use crate::cli::{Cli, CompletionsArgs, ManArgs};

/// Prints the completion script for a shell.
pub fn completions(args: &CompletionsArgs) -> anyhow::Result<ExitCode> {
    let mut command = Cli::command();
    // Into a buffer first: clap_complete panics when its writer fails (a closed pipe).
    let mut script = Vec::new();
    clap_complete::generate(args.shell, &mut command, "embargo", &mut script);
    std::io::Write::write_all(&mut std::io::stdout(), &script).context("cannot write the completion script")?;
    Ok(ExitCode::SUCCESS)
}

/// Prints `embargo(1)`, or writes a page per command into a directory.
pub fn man(args: &ManArgs) -> anyhow::Result<ExitCode> {
    let command = Cli::command();
    match &args.out {
        None => {
            clap_mangen::Man::new(command).render(&mut std::io::stdout()).context("cannot write the man page")?;
        }
        Some(dir) => {
            std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
            let count = write_pages(command, dir)?;
            println!("wrote {count} man pages to {}", dir.display());
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Writes the page of `command` and of each subcommand (embargo-admin-user.1 …).
fn write_pages(command: clap::Command, dir: &Path) -> anyhow::Result<usize> {
    let command = command.disable_help_subcommand(true);
    let mut count = 0;
    clap_mangen::generate_to(command, dir).context("cannot write the man pages")?;
    for entry in std::fs::read_dir(dir)? {
        if entry?.path().extension().is_some_and(|e| e == "1") {
            count += 1;
        }
    }
    Ok(count)
}
