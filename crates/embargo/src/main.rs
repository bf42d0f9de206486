//! The `embargo` binary: parses the command line, loads the configuration,
//! wires the application and runs one command. No business logic lives here.

mod cli;
mod cli_mail;
mod commands;
mod config;
mod config_mail;
mod config_oidc;
mod config_performance;
mod logging;
mod malloc;
mod output;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    let cli = cli::Cli::parse_from(&args);
    if matches!(cli.command, cli::Command::Serve(_)) {
        malloc::tune(&args);
    }
    // `mail ingest` runs once per received mail (an MTA's pipe) and awaits
    // one thing at a time: a runtime on this thread starts no worker threads.
    let one_shot = matches!(cli.command, cli::Command::Mail(cli_mail::MailCommand::Ingest { .. }));
    let mut builder = if one_shot {
        tokio::runtime::Builder::new_current_thread()
    } else {
        tokio::runtime::Builder::new_multi_thread()
    };
    let runtime = match builder.enable_all().build() {
        Ok(runtime) => runtime,
        Err(e) => {
            output::error(&format!("cannot start the runtime: {e}"));
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(commands::run(cli)) {
        Ok(code) => code,
        Err(e) => {
            output::error(&format!("{e:#}"));
            ExitCode::FAILURE
        }
    }
}
