//! `embargo report public-issue`: a public issue from a declined report, from the shell.

use embargo_app::{App, PublicIssueView};

use crate::cli::PublicIssueCommand;
use crate::output::when;

/// Runs a public-issue command.
pub(super) async fn run(app: &App, command: PublicIssueCommand) -> anyhow::Result<()> {
    let view = match command {
        PublicIssueCommand::Draft { id, include_poc, user } => {
            let actor = app.act_as(&user.email).await?;
            app.draft_public_issue(&actor, id, include_poc).await?
        }
        PublicIssueCommand::Show { id, user } => {
            let actor = app.act_as(&user.email).await?;
            app.public_issue(&actor, id).await?.ok_or(embargo_app::AppError::NotFound)?
        }
        PublicIssueCommand::Answer { id, answer, user } => {
            let actor = app.act_as(&user.email).await?;
            app.answer_public_issue(&actor, id, &answer).await?
        }
        PublicIssueCommand::Published { id, url, user } => {
            let actor = app.act_as(&user.email).await?;
            app.mark_public_issue(&actor, id, &url).await?
        }
    };
    print(&view);
    Ok(())
}

/// The title as a Markdown heading, the body, then where it stands (on standard error, so the text can be piped).
fn print(view: &PublicIssueView) {
    println!("# {}\n\n{}", view.text.title, view.text.body);
    let mut state = format!("reporter's answer: {}", view.answer);
    if let (Some(url), Some(at)) = (&view.url, view.published_at) {
        state.push_str(&format!("; made public {} at {url}", when(at)));
    }
    crate::output::note(&state);
}
