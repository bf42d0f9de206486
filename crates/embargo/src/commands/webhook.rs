//! `embargo webhook`: outgoing webhooks from the shell.

use std::process::ExitCode;

use embargo_app::{App, AppError, NewWebhook, TeamRef};
use embargo_store::webhooks::Delivery;
use serde_json::json;

use crate::cli::WebhookCommand;
use crate::output::{note, rows, when};

fn delivery_json(d: &Delivery) -> serde_json::Value {
    let last = d.last.as_ref();
    json!({
        "id": d.id.to_string(),
        "event_type": d.event_type,
        "state": d.state.as_str(),
        "attempts": d.attempts,
        "last_attempt_at": last.map(|a| when(a.at)),
        "response_status": last.and_then(|a| a.status),
        "error": last.and_then(|a| a.error.clone()),
        "next_attempt_at": d.next_attempt_at.map(when),
    })
}

/// Runs a webhook command.
pub async fn run(app: &App, command: WebhookCommand) -> anyhow::Result<ExitCode> {
    match command {
        WebhookCommand::List { team, user } => {
            let actor = app.act_as(&user.email).await?;
            let views = app.webhooks(&actor, &TeamRef::from(team)).await?;
            rows(
                &views,
                |v| {
                    json!({
                        "id": v.webhook.id.to_string(),
                        "url": v.webhook.url,
                        "events": v.webhook.events,
                        "created_at": when(v.webhook.created_at),
                    })
                },
                |v| {
                    let failed = v.deliveries.iter().filter(|d| d.state.as_str() == "failed").count();
                    format!(
                        "{}  {}  {}  ({} recent deliveries, {failed} failed)",
                        v.webhook.id,
                        v.webhook.url,
                        v.webhook.events.join(","),
                        v.deliveries.len()
                    )
                },
            );
        }
        WebhookCommand::Add { team, url, events, user } => {
            let actor = app.act_as(&user.email).await?;
            let made = app.create_webhook(&actor, &TeamRef::from(team), NewWebhook { url, events }).await?;
            println!("{}  {}", made.webhook.id, made.secret.expose());
            note("The signing secret is shown this once: give it to the receiver now.");
        }
        WebhookCommand::Remove { team, id, user } => {
            let actor = app.act_as(&user.email).await?;
            app.delete_webhook(&actor, &TeamRef::from(team), &id).await?;
            println!("removed {id}");
        }
        WebhookCommand::Deliveries { team, id, user } => {
            let actor = app.act_as(&user.email).await?;
            let views = app.webhooks(&actor, &TeamRef::from(team)).await?;
            let view = views.into_iter().find(|v| v.webhook.id.to_string() == id).ok_or(AppError::NotFound)?;
            rows(&view.deliveries, delivery_json, |d| {
                let answer = d
                    .last
                    .as_ref()
                    .map(|a| match (a.status, &a.error) {
                        (Some(status), _) => status.to_string(),
                        (None, Some(error)) => error.clone(),
                        (None, None) => String::new(),
                    })
                    .unwrap_or_default();
                format!(
                    "{}  {}  {}  {} attempts  {}  {answer}",
                    d.id,
                    when(d.created_at),
                    d.event_type,
                    d.attempts,
                    d.state.as_str()
                )
            });
        }
        WebhookCommand::Resend { team, id, delivery, user } => {
            let actor = app.act_as(&user.email).await?;
            app.resend_delivery(&actor, &TeamRef::from(team), &id, &delivery).await?;
            println!("queued {delivery} again");
            note("The job runner (`embargo serve`, or `embargo jobs run`) sends it.");
        }
    }
    Ok(ExitCode::SUCCESS)
}
