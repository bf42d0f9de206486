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
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
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
