//! `embargo policy`: check, apply and show policy files.

use std::process::ExitCode;

use embargo_app::{App, PolicyTarget};
use embargo_core::permission::Actor;
use embargo_core::policy::Level;

use super::read_text;
use crate::cli::PolicyCommand;

/// Checks a file; needs no database.
pub fn check(file: &std::path::Path, project: bool) -> anyhow::Result<ExitCode> {
    let text = read_text(file)?;
    let level = if project { Level::Project } else { Level::Organisation };
    match App::check_policy(&text, level) {
        Ok(()) => {
            println!("{}: valid", file.display());
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => {
            crate::output::error(&format!("{}: {e}", file.display()));
            Ok(ExitCode::FAILURE)
        }
    }
}

/// Runs a policy command that needs the database.
pub async fn run(app: &App, command: PolicyCommand) -> anyhow::Result<ExitCode> {
    match command {
        PolicyCommand::Check { file, project } => check(&file, project),
        PolicyCommand::Apply { target, file } => {
            let text = read_text(&file)?;
            let effective = app.apply_policy(&Actor::Operator, &PolicyTarget::from(target.clone()), &text).await?;
            println!("applied {} to {target}", file.display());
            let lines = effective.lines.len();
            if effective.project.is_some() {
                println!("{lines} release line(s)");
            }
            Ok(ExitCode::SUCCESS)
        }
        PolicyCommand::Show { target, sources } => {
            let effective = app.effective_policy(&PolicyTarget::from(target.clone())).await?;
            if crate::output::json() {
                println!("{}", embargo_web::bodies::policy(&effective)?);
            } else {
                print!("{}", effective.to_toml(sources));
            }
            Ok(ExitCode::SUCCESS)
        }
        PolicyCommand::SecurityMd { path } => {
            let (org, project) = (&path.org, &path.project);
            print!("{}", app.security_md(org, project).await?);
            Ok(ExitCode::SUCCESS)
        }
    }
}
