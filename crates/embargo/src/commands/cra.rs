//! `embargo report cra`: the Cyber Resilience Act reporting clocks from the shell.

use embargo_app::{App, CraDetailsInput, CraDue, CraView};

use crate::cli::{CraCommand, CraDetailsArgs};
use crate::output::when;

fn input(args: CraDetailsArgs) -> CraDetailsInput {
    CraDetailsInput {
        member_states: (!args.member_states.is_empty()).then_some(args.member_states),
        sensitivity: args.sensitivity,
        exploit: args.exploit,
        measures_taken: args.measures_taken,
        measures_for_users: args.measures_for_users,
        malicious_actor: args.malicious_actor,
        impact: args.impact,
        security_update: args.security_update,
        root_cause: args.root_cause,
        fix_available_at: args.fix_available_at,
    }
}

fn print(view: &CraView, now: embargo_core::Timestamp) {
    println!("{}: {} (reporting as {})", view.report, view.kind.title(), view.role.title());
    println!("became aware  {}", view.aware_at.both());
    if let Some((at, _)) = view.fix_available_at {
        println!("fix available {}", when(at));
    }
    for stage in &view.stages {
        let due = match stage.due {
            CraDue::At(m) => m.both(),
            CraDue::AfterFix => "14 days after a fix or mitigation is available".to_owned(),
            CraDue::AfterNotification => "one month after the notification is filed".to_owned(),
        };
        let status = match &stage.filing {
            Some(f) => format!("filed {} as {}", when(f.filed_at), f.reference),
            None if stage.overdue(now) => "OVERDUE".to_owned(),
            None => "not filed".to_owned(),
        };
        println!("{:<14} due {due}  {status}", stage.stage.as_str());
    }
}

/// Runs a CRA command.
pub async fn run(app: &App, command: CraCommand) -> anyhow::Result<()> {
    match command {
        CraCommand::Start { id, kind, aware_at, details, user } => {
            let actor = app.act_as(&user.email).await?;
            let view = app.start_cra(&actor, id, &kind, &aware_at, &input(details)).await?;
            print(&view, app.now());
        }
        CraCommand::Show { id, user } => {
            let actor = app.act_as(&user.email).await?;
            match app.cra(&actor, id).await? {
                Some(view) => print(&view, app.now()),
                None => anyhow::bail!("no reporting clocks were started for {id}: use `embargo report cra start`"),
            }
        }
        CraCommand::Details { id, details, user } => {
            let actor = app.act_as(&user.email).await?;
            let view = app.update_cra(&actor, id, &input(details)).await?;
            print(&view, app.now());
        }
        CraCommand::File { id, stage, reference, filed_at, user } => {
            let actor = app.act_as(&user.email).await?;
            let view = app.file_cra_stage(&actor, id, &stage, &reference, filed_at.as_deref()).await?;
            print(&view, app.now());
        }
        CraCommand::Content { id, stage, format, user } => {
            let actor = app.act_as(&user.email).await?;
            let content = app.cra_content(&actor, id, &stage).await?;
            match format.as_str() {
                "text" => print!("{}", content.text),
                "json" => println!("{}", serde_json::to_string_pretty(&content.json)?),
                other => anyhow::bail!("--format {other}: use text or json"),
            }
        }
    }
    Ok(())
}
