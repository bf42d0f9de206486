//! `embargo report`: intake and triage from the shell.

use std::process::ExitCode;

use anyhow::Context;
use embargo_app::{App, Envelope, ReportQuery, ReportView, TeamPatch, TransitionInput, Upload, ViewerRole};
use embargo_core::message::{AuthorRole, Channel, Visibility};
use embargo_core::permission::Actor;
use embargo_core::report::Submission;

use super::read_text;
use crate::cli::ReportCommand;
use crate::output::when;

/// Runs a report command.
pub async fn run(app: &App, command: ReportCommand) -> anyhow::Result<ExitCode> {
    match command {
        ReportCommand::Submit {
            path,
            title,
            body,
            body_file,
            poc_file,
            versions_tested,
            versions_vulnerable,
            lines,
            attachments,
            reporter_name,
            as_user,
        } => {
            let actor = match as_user {
                Some(email) => app.act_as(&email).await?,
                None => Actor::Anonymous,
            };
            let body = match (body, body_file) {
                (Some(body), _) => body,
                (None, Some(file)) => read_text(&file)?,
                (None, None) => anyhow::bail!("give the description with --body or --body-file"),
            };
            let proof_of_concept = poc_file.map(|f| read_text(&f)).transpose()?;
            let submission = Submission {
                title,
                body,
                versions_tested,
                versions_vulnerable,
                lines,
                proof_of_concept,
                reporter_name,
                ..Submission::default()
            };
            let uploads = attachments
                .iter()
                .map(|path| {
                    let bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
                    let filename = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
                    Ok(Upload { filename, bytes })
                })
                .collect::<anyhow::Result<Vec<_>>>()?;
            let receipt =
                app.submit_report(&actor, Envelope::form(path.clone(), submission, uploads, Channel::Cli)).await?;
            println!("id              {}", receipt.report_id);
            println!("followup_token  {}", receipt.followup.expose());
            if let Some(by) = receipt.acknowledge_by {
                println!("acknowledge_by  {}", when(by));
            }
            for notice in &receipt.notices {
                println!("notice          {}: {}", notice.code(), notice.message());
            }
            crate::output::note("Keep the follow-up token secret: it reads and answers this report.");
        }
        ReportCommand::List { user, project, state, search, limit, cursor } => {
            let actor = app.act_as(&user.email).await?;
            let (org, project) = match project {
                Some(path) => (Some(path.org), Some(path.project)),
                None => (None, None),
            };
            let query = ReportQuery { org, project, state, q: search, limit, cursor, ..ReportQuery::default() };
            let page = app.reports(&actor, &query).await?;
            let reports = page.reports;
            crate::output::rows(
                &reports,
                |r| {
                    serde_json::json!({"id": r.id.to_string(), "state": r.state.as_str(),
                        "severity": r.severity.map(|s| s.as_str()),
                        "project": format!("{}/{}", r.org.slug, r.project.slug), "title": r.title})
                },
                |r| {
                    format!(
                        "{}  {:<14} {:<9} {:<24} {}",
                        r.id,
                        r.state.as_str(),
                        r.severity.map(|s| s.as_str()).unwrap_or("-"),
                        format!("{}/{}", r.org.slug, r.project.slug),
                        r.title
                    )
                },
            );
            if let Some(next) = page.next {
                crate::output::note(&format!("more reports follow: --cursor {next}"));
            }
        }
        ReportCommand::Show { id, user } => {
            let actor = app.act_as(&user.email).await?;
            let view = app.report(&actor, id).await?;
            if crate::output::json() {
                println!("{}", embargo_web::bodies::report(&view, app.now())?);
            } else {
                print_report(&view);
            }
        }
        ReportCommand::Transition { id, to, reason, duplicate_of, criterion, user } => {
            let actor = app.act_as(&user.email).await?;
            let view =
                app.transition_report(&actor, id, TransitionInput { to, reason, duplicate_of, criterion }).await?;
            println!("{} is {}", view.id, view.state);
        }
        ReportCommand::Share { id, platform, user } => {
            let actor = app.act_as(&user.email).await?;
            for (share, token) in app.share_report(&actor, id, &platform).await? {
                println!("{}  {}  {}", share.party, share.platform, token.expose());
            }
            crate::output::note("Send each party its token: it opens a redacted, read-only copy of this report.");
        }
        ReportCommand::ConductExport { id, format, user } => {
            let actor = app.act_as(&user.email).await?;
            let export = app.conduct_export(&actor, id, &format).await?;
            if format == "json" {
                let entries: Vec<serde_json::Value> = export
                    .entries
                    .iter()
                    .map(|e| serde_json::json!({"at": e.at.to_string(), "who": e.who, "kind": e.kind, "text": e.text}))
                    .collect();
                let json = serde_json::json!({
                    "report": export.report.to_string(),
                    "project": export.project.to_string(),
                    "reporter": export.reporter,
                    "received": export.received.to_string(),
                    "state": export.state,
                    "removed": export.removed,
                    "entries": entries,
                });
                println!("{json:#}");
            } else {
                print!("{}", export.text());
            }
        }
        ReportCommand::Embargo { id, until, lift: _, user } => {
            let actor = app.act_as(&user.email).await?;
            match app.set_embargo(&actor, id, until.as_deref()).await? {
                Some(until) => println!("the embargo of {id} ends {}", app.time_zone(&actor).await?.show(until.at)),
                None => println!("the embargo of {id} is lifted"),
            }
        }
        ReportCommand::Invite { id, invitee, role, internal_notes, user } => {
            let actor = app.act_as(&user.email).await?;
            let new = embargo_app::NewCollaborator { email: invitee, role, sees_internal: internal_notes };
            let invitation = app.invite_collaborator(&actor, id, new).await?;
            let c = &invitation.collaborator;
            println!("{}  {}  {}  {}", c.id, c.email, c.role, invitation.token.expose());
            crate::output::note("The invitee gets this private link by mail as soon as the job runner sends it.");
        }
        ReportCommand::Collaborators { id, user } => {
            let actor = app.act_as(&user.email).await?;
            for c in app.collaborators(&actor, id).await? {
                let state = match c.revoked_at {
                    Some(at) => format!("revoked {}", when(at)),
                    None => "active".to_owned(),
                };
                let notes = if c.sees_internal { "internal notes" } else { "no internal notes" };
                println!("{}  {}  {}  {notes}  invited {}  {state}", c.id, c.email, c.role, when(c.created_at));
            }
        }
        ReportCommand::Revoke { id, collaborator, user } => {
            let actor = app.act_as(&user.email).await?;
            app.revoke_collaborator(&actor, id, collaborator).await?;
            println!("revoked {collaborator}");
        }
        ReportCommand::Message { id, body, body_file, internal, user } => {
            let actor = app.act_as(&user.email).await?;
            let body = match (body, body_file) {
                (Some(body), _) => body,
                (None, Some(file)) => read_text(&file)?,
                (None, None) => anyhow::bail!("give the text with --body or --body-file"),
            };
            let visibility = if internal { Visibility::Internal } else { Visibility::ReporterVisible };
            let message = app.post_message(&actor, id, &body, visibility, Channel::Cli).await?;
            println!("posted {} ({})", message.id, message.visibility);
        }
        ReportCommand::Update { id, cvss_v3, cvss_v4, cwes, assignee, affected_versions, fix_lines, user } => {
            let actor = app.act_as(&user.email).await?;
            let assignee = match assignee {
                Some(email) => Some(Some(
                    app.user_by_email(&Actor::Operator, &email)
                        .await
                        .with_context(|| format!("--assignee {email}"))?
                        .id,
                )),
                None => None,
            };
            let patch = TeamPatch {
                cvss_v3: cvss_v3.map(Some),
                cvss_v4: cvss_v4.map(Some),
                cwes: (!cwes.is_empty()).then_some(cwes),
                assignee,
                affected_versions: (!affected_versions.is_empty()).then_some(affected_versions),
                fix_lines: (!fix_lines.is_empty()).then_some(fix_lines),
            };
            let view = app.update_report(&actor, id, patch).await?;
            print_report(&view);
        }
        ReportCommand::Credit { id, decline, name, user } => {
            let actor = app.act_as(&user.email).await?;
            let credit = if decline || name.is_some() {
                app.choose_credit(&actor, id, embargo_app::CreditInput { declined: decline, name }).await?
            } else {
                app.my_credit(&actor, id).await?
            };
            print_credit(&credit);
        }
        ReportCommand::Credits { id, user } => {
            let actor = app.act_as(&user.email).await?;
            for credit in app.credits(&actor, id).await? {
                print_credit(&credit);
            }
        }
        ReportCommand::PublicIssue(command) => super::public_issue::run(app, command).await?,
        ReportCommand::Cra(command) => super::cra::run(app, command).await?,
    }
    Ok(ExitCode::SUCCESS)
}

/// One finder's credit on a line: finder, kind, report, what an advisory credits.
fn print_credit(credit: &embargo_app::FinderCredit) {
    let credited = match (&credit.credited_as, credit.declined) {
        (_, true) => "declined".to_owned(),
        (Some(name), false) => format!("credited as {name}"),
        (None, false) => "no name known".to_owned(),
    };
    println!("{}  {}  {}  {credited}", credit.finder, credit.kind, credit.report);
}

fn line(label: &str, value: Option<&str>) {
    if let Some(value) = value {
        println!("{label:<20} {value}");
    }
}

fn print_report(view: &ReportView) {
    let content = view.content.expose();
    line("id", Some(&view.id.to_string()));
    line("project", Some(&format!("{}/{}", view.org.slug, view.project.slug)));
    line("state", Some(view.state.as_str()));
    line("channel", Some(view.channel.as_str()));
    line("received", Some(&when(view.created_at)));
    line("title", Some(&content.title));
    line("component", content.component.as_deref());
    line("versions tested", content.versions_tested.as_deref());
    line("versions vulnerable", content.versions_vulnerable.as_deref());
    line("platform", content.platform.as_deref());
    line("threat model", content.threat_model.as_deref());
    line("reporter", content.reporter_name.as_deref());
    if let Some(team) = &view.team {
        line(
            "cvss v3",
            team.severity.cvss_v3.as_ref().map(|c| format!("{:.1} {} {}", c.score(), c.level(), c.vector())).as_deref(),
        );
        line(
            "cvss v4",
            team.severity.cvss_v4.as_ref().map(|c| format!("{:.1} {} {}", c.score(), c.level(), c.vector())).as_deref(),
        );
        let cwes: Vec<String> = team.cwes.iter().map(ToString::to_string).collect();
        line("cwe", (!cwes.is_empty()).then(|| cwes.join(", ")).as_deref());
        line("assignee", team.assignee.as_ref().map(|u| u.email.to_string()).as_deref());
        line("affected", (!team.affected_versions.is_empty()).then(|| team.affected_versions.join(", ")).as_deref());
        line("fix lines", (!team.fix_lines.is_empty()).then(|| team.fix_lines.join(", ")).as_deref());
        line("eligibility", Some(&team.eligibility.explanation));
        if let Some((record, ban)) = &team.reporter_record {
            let flag = if *ban { " (ban threshold reached)" } else { "" };
            line(
                "reporter record",
                Some(&format!(
                    "{} reports: {} accepted, {} declined, {} spam{flag}",
                    record.total, record.accepted, record.declined, record.spam
                )),
            );
        }
    }
    if let Some(due) = &view.deadline {
        line("deadline", Some(&format!("{} by {}", due.kind.verb(), when(due.at))));
    }
    for notice in &view.intake {
        line("notice", Some(&notice.message()));
    }
    line("advisory", view.advisory.as_ref().map(ToString::to_string).as_deref());
    let next: Vec<&str> = view.allowed_transitions.iter().map(|s| s.as_str()).collect();
    line("may move to", (!next.is_empty()).then(|| next.join(", ")).as_deref());
    println!();
    println!("{}", content.body);
    if let Some(poc) = &content.proof_of_concept {
        println!("\n--- proof of concept ---\n{poc}");
    }
    if let Some(patch) = &content.patch {
        println!("\n--- patch ---\n{patch}");
    }
    for attachment in &view.attachments {
        println!("\n--- attachment {} ---\n{}", attachment.filename, attachment.text.expose());
    }
    println!("\n--- history ---");
    for change in &view.history {
        let reason = change.reason.as_ref().map(|r| format!(": {}", r.expose())).unwrap_or_default();
        println!("{}  {}{reason}", when(change.at), change.to);
    }
    println!("\n--- messages ---");
    for message in &view.messages {
        let who = match message.author_role {
            AuthorRole::Reporter => "reporter",
            AuthorRole::Team => "team",
        };
        let name = message.author_id.and_then(|id| view.authors.get(&id)).map(|n| format!(" {n}")).unwrap_or_default();
        let internal = if message.visibility == Visibility::Internal { " [INTERNAL]" } else { "" };
        println!("{}  {who}{name}{internal}\n{}\n", when(message.created_at), message.body.expose());
    }
    match view.viewer {
        ViewerRole::Team => {}
        ViewerRole::Reporter => println!("(reporter's view)"),
        ViewerRole::Collaborator => println!("(invited collaborator's view)"),
        ViewerRole::InterestedParty => println!("(redacted copy for an interested party)"),
    }
}
