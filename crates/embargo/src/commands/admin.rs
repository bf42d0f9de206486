//! `embargo admin`: accounts, organisations, projects, teams, release lines
//! and settings, done as the operator (who already holds the database).

use std::io::IsTerminal;
use std::process::ExitCode;

use anyhow::{Context, bail};
use embargo_app::{App, NewAccount, NewOrganisation, NewProject, ReleaseLineInput, TeamRef};
use embargo_core::permission::Actor;
use embargo_core::private::Private;

use crate::cli::{
    AdminCommand, MemberCommand, OrganisationCommand, ProjectCommand, ReleaseLineCommand, RotationCommand, UserCommand,
};

const OPERATOR: Actor = Actor::Operator;

/// Runs an admin command.
pub async fn run(app: &App, command: AdminCommand) -> anyhow::Result<ExitCode> {
    match command {
        AdminCommand::User(command) => user(app, command).await?,
        AdminCommand::Organisation(command) => organisation(app, command).await?,
        AdminCommand::Project(command) => project(app, command).await?,
        AdminCommand::Member(command) => member(app, command).await?,
        AdminCommand::ReleaseLine(command) => release_line(app, command).await?,
        AdminCommand::Rotation(command) => rotation(app, command).await?,
        AdminCommand::Settings(args) => {
            let mut settings = app.settings().await?;
            if let Some(signup) = args.signup {
                settings.signup_open = signup == "open";
            }
            if let Some(factor) = args.second_factor {
                settings.second_factor_required = factor == "required";
            }
            if let Some(mail) = args.checkpoint_mail {
                settings.checkpoint_mail = mail == "daily";
            }
            if let Some(org) = args.security_txt_org {
                app.organisation(&org).await?;
                settings.security_txt_org = Some(org.to_string());
            }
            settings = app.update_settings(&OPERATOR, settings).await?;
            println!("signup            {}", if settings.signup_open { "open" } else { "closed" });
            println!("security_txt_org  {}", settings.security_txt_org.as_deref().unwrap_or("(the only organisation)"));
            println!("second_factor     {}", if settings.second_factor_required { "required" } else { "optional" });
            println!("checkpoint_mail   {}", if settings.checkpoint_mail { "daily" } else { "off" });
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// The password: from standard input when it is not a terminal, else asked twice.
fn read_password() -> anyhow::Result<String> {
    if std::io::stdin().is_terminal() {
        let first = rpassword::prompt_password("Password (at least 10 characters): ")?;
        let second = rpassword::prompt_password("Repeat: ")?;
        if first != second {
            bail!("the passwords do not match");
        }
        Ok(first)
    } else {
        let mut line = String::new();
        std::io::stdin().read_line(&mut line).context("cannot read the password from standard input")?;
        Ok(line.trim_end_matches(['\n', '\r']).to_owned())
    }
}

async fn user(app: &App, command: UserCommand) -> anyhow::Result<()> {
    match command {
        UserCommand::Create { email, name, admin } => {
            let name = name.unwrap_or_else(|| email.split('@').next().unwrap_or(&email).to_owned());
            let password = read_password()?;
            let account = NewAccount { email, name, password: Private::new(password) };
            let user = app.create_user(&OPERATOR, account, admin).await?;
            println!("created {} {}{}", user.id, user.email, if user.is_admin { " (administrator)" } else { "" });
        }
        UserCommand::Ban { email } => {
            let user = app.user_by_email(&OPERATOR, &email).await?;
            app.set_banned(&OPERATOR, user.id, true).await?;
            println!("banned {email}");
        }
        UserCommand::Unban { email } => {
            let user = app.user_by_email(&OPERATOR, &email).await?;
            app.set_banned(&OPERATOR, user.id, false).await?;
            println!("unbanned {email}");
        }
        UserCommand::TimeZone { zone, user } => {
            let actor = app.act_as(&user.email).await?;
            let zone = match zone {
                Some(name) => app.set_time_zone(&actor, &name).await?,
                None => app.own_time_zone(&actor).await?,
            };
            println!("{} reads dates in {}", user.email, zone.name());
        }
        UserCommand::List => {
            crate::output::rows(
                &app.users(&OPERATOR).await?,
                |user| {
                    serde_json::json!({"id": user.id.to_string(), "email": user.email.as_str(), "name": user.name,
                        "admin": user.is_admin, "banned": user.banned_at.is_some()})
                },
                |user| {
                    let admin = if user.is_admin { "admin" } else { "" };
                    let banned = if user.banned_at.is_some() { "banned" } else { "" };
                    format!("{}  {:<40} {:<30} {admin}{banned}", user.id, user.email.as_str(), user.name)
                },
            );
        }
    }
    Ok(())
}

async fn organisation(app: &App, command: OrganisationCommand) -> anyhow::Result<()> {
    match command {
        OrganisationCommand::Create { slug, name, advisory_prefix } => {
            let org = app.create_organisation(&OPERATOR, NewOrganisation { slug, name, advisory_prefix }).await?;
            println!("created {} (advisories {}-YEAR-N)", org.slug, org.advisory_prefix);
        }
        OrganisationCommand::List => {
            crate::output::rows(
                &app.organisations().await?,
                |org| {
                    serde_json::json!({"slug": org.slug.as_str(), "name": org.name,
                        "advisory_prefix": org.advisory_prefix.as_str()})
                },
                |org| format!("{:<30} {:<12} {}", org.slug.as_str(), org.advisory_prefix.as_str(), org.name),
            );
        }
        OrganisationCommand::Show { slug } => {
            let org = app.organisation(&slug).await?;
            if crate::output::json() {
                println!("{}", embargo_web::bodies::organisation(&org)?);
                return Ok(());
            }
            let projects = app.projects(Some(&org.slug)).await?;
            println!("{:<20} {}", "slug", org.slug);
            println!("{:<20} {}", "name", org.name);
            println!("{:<20} {}-YEAR-N", "advisory ids", org.advisory_prefix);
            println!("{:<20} {}", "created", crate::output::when(org.created_at));
            println!("{:<20} {}", "projects", projects.iter().map(|p| p.slug.as_str()).collect::<Vec<_>>().join(" "));
        }
        OrganisationCommand::CveServices { slug, url, short_name, user, api_key_file, pool_size } => {
            crate::commands::cve_services::run(
                app,
                &slug,
                crate::commands::cve_services::Set { url, short_name, user, api_key_file, pool_size },
            )
            .await?;
        }
    }
    Ok(())
}

fn package(spec: &str) -> anyhow::Result<(String, String)> {
    let (ecosystem, name) =
        spec.split_once(':').with_context(|| format!("--package {spec:?} is not ECOSYSTEM:NAME"))?;
    Ok((ecosystem.to_owned(), name.to_owned()))
}

async fn project(app: &App, command: ProjectCommand) -> anyhow::Result<()> {
    match command {
        ProjectCommand::Create { path, name, repository, packages } => {
            let (org, slug) = (&path.org, &path.project);
            let packages = packages.iter().map(|p| package(p)).collect::<anyhow::Result<Vec<_>>>()?;
            let new = NewProject { slug: slug.to_string(), name, repository_url: repository, packages };
            let project = app.create_project(&OPERATOR, org, new).await?;
            println!("created {org}/{}", project.slug);
        }
        ProjectCommand::List { org } => {
            let orgs = app.organisations().await?;
            let projects = app.projects(org.as_ref()).await?;
            let path = |project: &embargo_core::project::Project| {
                let org = orgs.iter().find(|o| o.id == project.org_id).map(|o| o.slug.to_string()).unwrap_or_default();
                format!("{org}/{}", project.slug)
            };
            let packages = |project: &embargo_core::project::Project| -> Vec<String> {
                project.packages.iter().map(|p| format!("{}:{}", p.ecosystem, p.name)).collect()
            };
            crate::output::rows(
                &projects,
                |project| serde_json::json!({"path": path(project), "name": project.name, "packages": packages(project)}),
                |project| format!("{:<40} {:<30} {}", path(project), project.name, packages(project).join(" ")),
            );
        }
        ProjectCommand::Show { path } => {
            let (org, project) = app.project(&path.org, &path.project).await?;
            if crate::output::json() {
                println!("{}", embargo_web::bodies::project(&org.slug, &project)?);
                return Ok(());
            }
            let lines = app.release_lines(&org.slug, &project.slug).await?;
            println!("{:<20} {}/{}", "project", org.slug, project.slug);
            println!("{:<20} {}", "name", project.name);
            if let Some(url) = &project.repository_url {
                println!("{:<20} {url}", "repository");
            }
            let packages: Vec<String> =
                project.packages.iter().map(|p| format!("{}:{}", p.ecosystem, p.name)).collect();
            println!("{:<20} {}", "packages", packages.join(" "));
            println!(
                "{:<20} {}",
                "release lines",
                lines.iter().map(|l| format!("{} ({})", l.name, l.status)).collect::<Vec<_>>().join(", ")
            );
            println!("{:<20} {}", "created", crate::output::when(project.created_at));
        }
    }
    Ok(())
}

fn team(spec: &embargo_core::text::OrgOrProject) -> TeamRef {
    TeamRef::from(spec.clone())
}

async fn member(app: &App, command: MemberCommand) -> anyhow::Result<()> {
    match command {
        MemberCommand::Add { team: spec, email } => {
            let member = app.add_member(&OPERATOR, &team(&spec), &email).await?;
            println!("{} is on the security team of {spec}", member.user.email);
        }
        MemberCommand::Remove { team: spec, email } => {
            let user = app.user_by_email(&OPERATOR, &email).await?;
            app.remove_member(&OPERATOR, &team(&spec), user.id).await?;
            println!("{email} is no longer on the security team of {spec}");
        }
        MemberCommand::List { team: spec } => {
            crate::output::rows(
                &app.members(&OPERATOR, &team(&spec)).await?,
                |member| serde_json::json!({"email": member.user.email.as_str(), "name": member.user.name}),
                |member| format!("{:<40} {}", member.user.email.as_str(), member.user.name),
            );
        }
    }
    Ok(())
}

fn date(value: Option<&str>, flag: &str) -> anyhow::Result<Option<time::Date>> {
    let format = time::macros::format_description!("[year]-[month]-[day]");
    value.map(|v| time::Date::parse(v, format).with_context(|| format!("{flag} {v:?} is not YYYY-MM-DD"))).transpose()
}

async fn release_line(app: &App, command: ReleaseLineCommand) -> anyhow::Result<()> {
    match command {
        ReleaseLineCommand::Set { path, name, status, released_on, end_of_life_on } => {
            let (org, project) = (&path.org, &path.project);
            let input = ReleaseLineInput {
                status,
                released_on: date(released_on.as_deref(), "--released-on")?,
                end_of_life_on: date(end_of_life_on.as_deref(), "--end-of-life-on")?,
            };
            let line = app.put_release_line(&OPERATOR, org, project, &name, input).await?;
            println!("{path} {} is {}", line.name, line.status);
        }
        ReleaseLineCommand::List { path } => {
            let (org, project) = (&path.org, &path.project);
            let show = |d: Option<time::Date>| d.map(|d| d.to_string()).unwrap_or_else(|| "-".into());
            crate::output::rows(
                &app.release_lines(org, project).await?,
                |line| {
                    serde_json::json!({"name": line.name.as_str(), "status": line.status.as_str(),
                        "released_on": line.released_on.map(|d| d.to_string()),
                        "end_of_life_on": line.end_of_life_on.map(|d| d.to_string())})
                },
                |line| {
                    format!(
                        "{:<12} {:<12} {:<12} {}",
                        line.name.as_str(),
                        line.status.as_str(),
                        show(line.released_on),
                        show(line.end_of_life_on)
                    )
                },
            );
        }
    }
    Ok(())
}

/// `admin rotation …`, as the operator.
async fn rotation(app: &App, command: RotationCommand) -> anyhow::Result<()> {
    let (path, view) = match command {
        RotationCommand::Set { path, idle_days, coordinator, away } => {
            let (org, project) = (&path.org, &path.project);
            let mut coordinators: Vec<(String, bool)> = coordinator.into_iter().map(|c| (c, false)).collect();
            coordinators.extend(away.into_iter().map(|c| (c, true)));
            let input = embargo_app::RotationInput { idle_days, coordinators };
            let view = app.set_rotation(&OPERATOR, org, project, input).await?;
            (path, view)
        }
        RotationCommand::Show { path } => {
            let (org, project) = (&path.org, &path.project);
            let view = app.rotation(&OPERATOR, org, project).await?;
            (path, view)
        }
    };
    let Some(view) = view else {
        println!("{path} keeps no rotation");
        return Ok(());
    };
    println!("idle days  {}", view.idle_days);
    for (user, away) in &view.coordinators {
        println!("{}{}", user.email, if *away { "  (away)" } else { "" });
    }
    match &view.next {
        Some(next) => println!("next       {}", next.email),
        None => println!("next       nobody: everyone is away"),
    }
    Ok(())
}
