//! `embargo mail …`: take in one mail from an MTA, manage security addresses
//! and the OpenPGP key store, show what mail brought to a report.

use embargo_core::text::{ProjectPath, Slug};
use std::io::Read as _;
use std::process::ExitCode;

use anyhow::Context;
use embargo_app::{App, KeyFor, NewKey};
use embargo_core::permission::Actor;
use embargo_core::private::Private;
use embargo_mail::handoff::{exit, verdict};
use embargo_mail::inbound::{Envelope, Limits};
use embargo_mail::{ingest, openpgp};

use crate::cli_mail::{KeyCommand, MailCommand, RouteCommand};
use crate::commands::read_text;
use crate::output::{error, when};

/// Runs a mail command.
pub async fn run(app: &App, command: MailCommand, limits: Limits) -> anyhow::Result<ExitCode> {
    match command {
        MailCommand::Ingest { sender, recipients } => Ok(ingest_stdin(app, sender, recipients, limits).await),
        MailCommand::Route(command) => route(app, command).await,
        MailCommand::Key(command) => key(app, command).await,
        MailCommand::Show { report, actor } => {
            let actor = app.act_as(&actor.email).await?;
            let records = app.report_mail(&actor, report).await?;
            if crate::output::json() {
                // Refusal notes are shown as the text command shows them: to the team that may read the report.
                let rows: Vec<serde_json::Value> = records
                    .iter()
                    .map(|r| {
                        serde_json::json!({
                            "message_id": r.message_id,
                            "direction": r.direction.as_str(),
                            "encrypted": r.encrypted,
                            "signature": r.signature.as_ref().map(ToString::to_string),
                            "signer": r.signer,
                            "refused": r.refused.as_ref().map(|n| n.expose().lines().map(str::to_owned).collect::<Vec<_>>()),
                            "at": r.created_at.format(&time::format_description::well_known::Rfc3339).ok(),
                        })
                    })
                    .collect();
                println!("{}", serde_json::Value::Array(rows));
                return Ok(ExitCode::SUCCESS);
            }
            for record in records {
                let signature = match (&record.signature, &record.signer) {
                    (Some(state), Some(signer)) => format!("signature {state} ({signer})"),
                    (Some(state), None) => format!("signature {state}"),
                    (None, _) => "not signed".to_owned(),
                };
                let encrypted = if record.encrypted { "encrypted" } else { "not encrypted" };
                println!("{}  <{}>  {encrypted}, {signature}", when(record.created_at), record.message_id);
                if let Some(refused) = &record.refused {
                    for line in refused.expose().lines() {
                        println!("    refused: {line}");
                    }
                }
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// Reads standard input (up to the limit) and files it; the exit code tells the MTA what to do.
async fn ingest_stdin(app: &App, sender: Option<String>, recipients: Vec<String>, limits: Limits) -> ExitCode {
    let mut raw = Vec::new();
    let cap = u64::try_from(limits.max_bytes).unwrap_or(u64::MAX).saturating_add(1);
    if let Err(e) = std::io::stdin().lock().take(cap).read_to_end(&mut raw) {
        error(&format!("cannot read the mail from standard input: {e}"));
        return ExitCode::from(exit::TEMPFAIL);
    }
    let envelope = Envelope { sender, recipients };
    let (code, line) = verdict(&ingest(app, &raw, &envelope, limits).await);
    if code == exit::OK {
        println!("{line}");
    } else {
        error(&line);
    }
    ExitCode::from(code)
}

async fn route(app: &App, command: RouteCommand) -> anyhow::Result<ExitCode> {
    match command {
        RouteCommand::Set { address, project } => {
            let (org, name) = (&project.org, &project.project);
            app.set_mail_route(&Actor::Operator, &address, org, name).await?;
            println!("mail to {address} is filed into {project}");
        }
        RouteCommand::Remove { address } => {
            app.remove_mail_route(&Actor::Operator, &address).await?;
            println!("mail to {address} is no longer taken");
        }
        RouteCommand::List => {
            crate::output::rows(
                &app.mail_routes(&Actor::Operator).await?,
                |route| serde_json::json!({"address": route.address.to_string(), "project": route.project.to_string()}),
                |route| format!("{}\t{}", route.address, route.project),
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Whose key the options name: exactly one of them is given (clap checks it).
fn key_for(org: Option<Slug>, project: Option<ProjectPath>, email: Option<String>) -> anyhow::Result<KeyFor> {
    match (org, project, email) {
        (Some(org), None, None) => Ok(KeyFor::Organisation(org)),
        (None, Some(project), None) => Ok(KeyFor::Project(project.org, project.project)),
        (None, None, Some(email)) => Ok(KeyFor::Email(email)),
        _ => anyhow::bail!("give one of --org, --project or --email"),
    }
}

/// How a key's owner is named in messages.
fn owner_name(owner: &KeyFor) -> String {
    match owner {
        KeyFor::Organisation(org) => format!("organisation {org}"),
        KeyFor::Project(org, project) => format!("{org}/{project}"),
        KeyFor::Email(email) => email.clone(),
    }
}

async fn key(app: &App, command: KeyCommand) -> anyhow::Result<ExitCode> {
    match command {
        KeyCommand::Generate { project, org, user_id } => {
            let owner = key_for(org, project, None)?;
            let key = openpgp::generate_key(&user_id).context("cannot make a key")?;
            let new = NewKey {
                fingerprint: key.fingerprint.clone(),
                public_key: key.public_key.clone(),
                secret_key: key.secret_key,
            };
            app.put_openpgp_key(&Actor::Operator, &owner, new).await?;
            let name = owner_name(&owner);
            crate::output::note(&format!("made key {} for {name}; publish this public key:", key.fingerprint));
            if let KeyFor::Organisation(_) = owner {
                crate::output::note("/.well-known/security.txt is signed with it from now on");
            }
            print!("{}", key.public_key);
        }
        KeyCommand::Import { org, project, email, file } => {
            let armored = read_text(&file)?;
            let owner = key_for(org, project, email)?;
            let key = match owner {
                KeyFor::Organisation(_) | KeyFor::Project(..) => openpgp::read_secret_key(&Private::new(armored))
                    .context("an organisation's or a project's key must be an unprotected secret key")?,
                KeyFor::Email(_) => openpgp::read_public_key(&armored)?,
            };
            let fingerprint = key.fingerprint.clone();
            let new = NewKey { fingerprint: key.fingerprint, public_key: key.public_key, secret_key: key.secret_key };
            app.put_openpgp_key(&Actor::Operator, &owner, new).await?;
            println!("imported key {fingerprint} for {}", owner_name(&owner));
        }
        KeyCommand::Export { project, org } => {
            print!("{}", app.public_key(&Actor::Operator, &key_for(org, project, None)?).await?);
        }
        KeyCommand::Remove { org, project, email } => {
            let owner = key_for(org, project, email)?;
            app.remove_openpgp_key(&Actor::Operator, &owner).await?;
            println!("removed the key of {}", owner_name(&owner));
        }
        KeyCommand::List => {
            crate::output::rows(
                &app.openpgp_keys(&Actor::Operator).await?,
                |key| {
                    serde_json::json!({"owner": key.owner.to_string(), "fingerprint": key.fingerprint.to_string(),
                        "key_pair": key.has_secret})
                },
                |key| {
                    let kind = if key.has_secret { "key pair" } else { "public key" };
                    format!("{}\t{}\t{kind}", key.owner, key.fingerprint)
                },
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}
