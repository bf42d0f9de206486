//! `embargo advisory`: drafting, editing and publishing from the shell.

use std::process::ExitCode;

use anyhow::Context;
use embargo_app::{AdvisoryPatch, AdvisoryQuery, AdvisoryView, AffectedInput, App, RangeInput};
use embargo_core::advisory::{AdvisoryContent, RangeEvent};

use super::read_text;
use crate::cli::AdvisoryCommand;
use crate::output::when;

/// Runs an advisory command.
pub async fn run(app: &App, command: AdvisoryCommand) -> anyhow::Result<ExitCode> {
    match command {
        AdvisoryCommand::Draft { report, user } => {
            let actor = app.act_as(&user.email).await?;
            print_advisory(&app.draft_advisory(&actor, report).await?);
        }
        AdvisoryCommand::List { user } => {
            let actor = app.act_as(&user.email).await?;
            let views = app.advisories(&actor, &AdvisoryQuery::default()).await?;
            let summary = |view: &embargo_app::AdvisoryView| {
                view.draft
                    .as_ref()
                    .or(view.published.as_ref().map(|r| &r.content))
                    .map(|c| c.summary.clone())
                    .unwrap_or_default()
            };
            crate::output::rows(
                &views,
                |view| {
                    serde_json::json!({"id": view.id.as_str(), "state": view.state.as_str(),
                        "project": format!("{}/{}", view.org.slug, view.project.slug), "summary": summary(view)})
                },
                |view| {
                    format!(
                        "{:<22} {:<10} {:<24} {}",
                        view.id.as_str(),
                        view.state.as_str(),
                        format!("{}/{}", view.org.slug, view.project.slug),
                        summary(view)
                    )
                },
            );
        }
        AdvisoryCommand::Show { id, user } => {
            let actor = app.act_as(&user.email).await?;
            let view = app.advisory(&actor, &id).await?;
            if crate::output::json() {
                println!("{}", embargo_web::bodies::advisory(&view)?);
            } else {
                print_advisory(&view);
            }
        }
        AdvisoryCommand::Edit {
            id,
            summary,
            details_file,
            aliases,
            affected,
            references,
            credits,
            cvss_v3,
            cvss_v4,
            cwes,
            fix_kinds,
            fix_text,
            user,
        } => {
            let actor = app.act_as(&user.email).await?;
            let patch = AdvisoryPatch {
                summary,
                details: details_file.map(|f| read_text(&f)).transpose()?,
                aliases: (!aliases.is_empty()).then_some(aliases),
                affected: if affected.is_empty() {
                    None
                } else {
                    Some(affected.iter().map(|a| affected_spec(a)).collect::<anyhow::Result<_>>()?)
                },
                cvss_v3: cvss_v3.map(Some),
                cvss_v4: cvss_v4.map(Some),
                cwes: (!cwes.is_empty()).then_some(cwes),
                fix_kinds: (!fix_kinds.is_empty()).then_some(fix_kinds),
                fix_text,
                references: if references.is_empty() {
                    None
                } else {
                    Some(
                        references
                            .iter()
                            .map(|r| {
                                r.split_once('=')
                                    .map(|(kind, url)| (kind.to_owned(), url.to_owned()))
                                    .with_context(|| format!("--reference {r:?} is not TYPE=URL"))
                            })
                            .collect::<anyhow::Result<_>>()?,
                    )
                },
                credits: (!credits.is_empty()).then(|| {
                    credits
                        .iter()
                        .map(|c| match c.rsplit_once('=') {
                            Some((name, kind)) => (name.to_owned(), kind.to_owned(), Vec::new()),
                            None => (c.clone(), "FINDER".to_owned(), Vec::new()),
                        })
                        .collect()
                }),
            };
            print_advisory(&app.update_advisory(&actor, &id, patch).await?);
        }
        AdvisoryCommand::Cve { id, user } => {
            let actor = app.act_as(&user.email).await?;
            print_advisory(&app.assign_cve(&actor, &id).await?);
        }
        AdvisoryCommand::NotAffected { id, line, justification, impact, take_back, user } => {
            let actor = app.act_as(&user.email).await?;
            let statements = if take_back {
                app.take_back_not_affected(&actor, &id, &line).await?
            } else {
                let input =
                    embargo_app::NotAffectedInput { line, justification: justification.unwrap_or_default(), impact };
                app.state_not_affected(&actor, &id, input).await?
            };
            if statements.is_empty() {
                println!("{id}: no release line is stated not affected");
            }
            for s in statements {
                println!("{id}: release line {} not affected: {}", s.line, s.justification);
            }
        }
        AdvisoryCommand::Withdraw { id, user } => {
            let actor = app.act_as(&user.email).await?;
            let view = app.withdraw_advisory(&actor, &id).await?;
            println!("withdrew {}", view.id);
        }
        AdvisoryCommand::Schedule { id, at, user } => {
            let actor = app.act_as(&user.email).await?;
            let schedule = app.schedule_publication(&actor, &id, &at).await?;
            let shown = app.time_zone(&actor).await?.show(schedule.at.at);
            println!("{} will be published {shown}", schedule.advisory);
        }
        AdvisoryCommand::Publish { id, user } => {
            let actor = app.act_as(&user.email).await?;
            let view = app.publish_advisory(&actor, &id).await?;
            let revision = view.published.as_ref().map_or(0, |r| r.number);
            println!("published {} (revision {revision})", view.id);
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// `ECOSYSTEM:NAME:INTRODUCED:FIXED` (FIXED may be empty: no fix yet).
fn affected_spec(spec: &str) -> anyhow::Result<AffectedInput> {
    let parts: Vec<&str> = spec.splitn(4, ':').collect();
    let [ecosystem, name, introduced, fixed] = parts.as_slice() else {
        anyhow::bail!("--affected {spec:?} is not ECOSYSTEM:NAME:INTRODUCED:FIXED");
    };
    let mut events = vec![("introduced".to_owned(), (*introduced).to_owned())];
    if !fixed.is_empty() {
        events.push(("fixed".to_owned(), (*fixed).to_owned()));
    }
    Ok(AffectedInput {
        package: Some(((*ecosystem).to_owned(), (*name).to_owned())),
        ranges: vec![RangeInput { kind: "ECOSYSTEM".into(), repo: None, events }],
        versions: Vec::new(),
    })
}

fn print_content(content: &AdvisoryContent) {
    println!("summary     {}", content.summary);
    if !content.aliases.is_empty() {
        let aliases: Vec<&str> = content.aliases.iter().map(|a| a.as_str()).collect();
        println!("aliases     {}", aliases.join(", "));
    }
    for affected in &content.affected {
        let ranges: Vec<String> = affected
            .ranges
            .iter()
            .map(|r| {
                let events: Vec<String> = r
                    .events
                    .iter()
                    .map(|e| match e {
                        RangeEvent::Introduced(v) => format!(">= {v}"),
                        RangeEvent::Fixed(v) => format!("< {v}"),
                        RangeEvent::LastAffected(v) => format!("<= {v}"),
                        RangeEvent::Limit(v) => format!("limit {v}"),
                    })
                    .collect();
                events.join(", ")
            })
            .collect();
        let package =
            affected.package.as_ref().map_or_else(|| "(commits)".to_owned(), |p| format!("{}:{}", p.ecosystem, p.name));
        println!("affected    {package} {}", ranges.join("; "));
    }
    if let Some(level) = content.severity.level() {
        println!("severity    {level}");
    }
    for credit in &content.credits {
        println!("credit      {} ({})", credit.name, credit.kind.as_str());
    }
    for reference in &content.references {
        println!("reference   {} {}", reference.kind.as_str(), reference.url);
    }
    if !content.details.is_empty() {
        println!("\n{}", content.details);
    }
}

fn print_advisory(view: &AdvisoryView) {
    println!("id          {}", view.id);
    println!("project     {}/{}", view.org.slug, view.project.slug);
    println!("state       {}", view.state);
    if let Some(at) = view.first_published_at {
        println!("published   {}", when(at));
    }
    if let Some(eligibility) = &view.eligibility {
        println!("eligibility {}", eligibility.explanation);
    }
    match (&view.draft, &view.published) {
        (Some(draft), _) => print_content(draft),
        (None, Some(revision)) => print_content(&revision.content),
        (None, None) => {}
    }
}
