//! `embargo forge secret | show | poll | link`: forge hooks, fix polling and
//! fix links, as a user (issue 11).

use std::process::ExitCode;

use embargo_app::{App, parse_forge};
use embargo_core::private::Private;

use crate::cli::ForgeCommand;

/// Runs one `forge` command.
pub async fn run(app: &App, command: ForgeCommand) -> anyhow::Result<ExitCode> {
    match command {
        ForgeCommand::Secret { project, forge, secret_file, user } => {
            let actor = app.act_as(&user.email).await?;
            let Ok(forge) = parse_forge(&forge) else {
                anyhow::bail!("unknown forge {forge:?}: github, gitlab, forgejo or gitea");
            };
            let secret = match secret_file {
                Some(path) => Some(Private::new(super::read_text(&path)?.trim_end_matches(['\n', '\r']).to_owned())),
                None => None,
            };
            let set = app.set_forge_secret(&actor, &project.org, &project.project, forge, secret).await?;
            match set.secret {
                Some(made) => {
                    println!("{}", made.expose());
                    crate::output::note(&format!("the {} secret is set; it is shown this once", forge.label()));
                }
                None => crate::output::note(&format!("the {} secret is set", forge.label())),
            }
        }
        ForgeCommand::Show { project, user } => {
            let actor = app.act_as(&user.email).await?;
            for hook in app.forge_hooks(&actor, &project.org, &project.project).await? {
                let set = hook.set_at.map_or_else(|| "not set".to_owned(), |at| format!("set {at}"));
                println!("{:<8} {set}", hook.forge.as_str());
            }
            if let Some(poll) = app.fix_polling(&actor, &project.org, &project.project).await? {
                let last =
                    poll.last_error.map_or_else(|| poll.last_commit.unwrap_or_default(), |e| format!("failed: {e}"));
                println!("polling  {} {} {last}", poll.repository, poll.branch);
            }
        }
        ForgeCommand::Poll { project, repository, branch, user } => {
            let actor = app.act_as(&user.email).await?;
            app.set_fix_polling(&actor, &project.org, &project.project, &repository, &branch).await?;
            crate::output::note("polling set; the server polls every five minutes");
        }
        ForgeCommand::Link { id, url, clear, user } => {
            let actor = app.act_as(&user.email).await?;
            let url = if clear { None } else { url };
            app.link_fix(&actor, id, url.as_deref()).await?;
            crate::output::note(if clear { "unlinked" } else { "linked" });
        }
    }
    app.close().await;
    Ok(ExitCode::SUCCESS)
}
