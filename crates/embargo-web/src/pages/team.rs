//! A security team's page: its members, its outgoing webhooks with their
//! deliveries and, for a project, its release lines and its coordinator
//! rotation. The team manages them itself; administrators may too.

use super::Path;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use embargo_app::{AppError, EVENT_TYPES, NewWebhook, ReleaseLineInput, TeamRef, WebhookView};
use embargo_core::id::UserId;
use embargo_core::project::{LineStatus, newest_first};
use embargo_core::text::Slug;

use super::form::apply_errors;
use super::render::{day, when};
use super::{Field, FieldKind, FieldsExt, FormData, Nav, PageError, Viewer, html_status, see_other};
use crate::AppState;

/// A member row.
struct MemberRow {
    id: String,
    name: String,
    email: String,
    since: String,
}

/// A release line row.
struct LineRow {
    name: String,
    status: String,
    released: String,
    end_of_life: String,
}

/// A webhook row with its newest deliveries.
struct WebhookRow {
    id: String,
    url: String,
    events: String,
    deliveries: Vec<DeliveryRow>,
}

/// One delivery as the team sees it.
struct DeliveryRow {
    id: String,
    /// Delivered or failed: the team may resend it.
    resendable: bool,
    event_type: String,
    state: &'static str,
    attempts: u32,
    last_attempt: String,
    answer: String,
    next_attempt: String,
}

fn webhook_rows(views: &[WebhookView]) -> Vec<WebhookRow> {
    views
        .iter()
        .map(|v| WebhookRow {
            id: v.webhook.id.to_string(),
            url: v.webhook.url.clone(),
            events: v.webhook.events.join(", "),
            deliveries: v
                .deliveries
                .iter()
                .map(|d| DeliveryRow {
                    id: d.id.to_string(),
                    resendable: d.state != embargo_store::webhooks::DeliveryState::Pending,
                    event_type: d.event_type.clone(),
                    state: d.state.as_str(),
                    attempts: d.attempts,
                    last_attempt: d.last.as_ref().map(|a| when(a.at)).unwrap_or_default(),
                    answer: d
                        .last
                        .as_ref()
                        .map(|a| match (a.status, &a.response, &a.error) {
                            (Some(status), Some(body), _) => {
                                format!("{status} {}", body.chars().take(200).collect::<String>())
                            }
                            (Some(status), None, _) => status.to_string(),
                            (None, _, Some(error)) => error.clone(),
                            (None, _, None) => String::new(),
                        })
                        .unwrap_or_default(),
                    next_attempt: d.next_attempt_at.map(when).unwrap_or_default(),
                })
                .collect(),
        })
        .collect()
}

#[derive(askama::Template)]
#[template(path = "team.html")]
struct TeamPage {
    nav: Nav,
    title: String,
    base: String,
    policy_path: String,
    org_team_path: String,
    members: Vec<MemberRow>,
    lines: Option<Vec<LineRow>>,
    member_fields: Vec<Field>,
    line_fields: Vec<Field>,
    webhooks: Vec<WebhookRow>,
    webhook_fields: Vec<Field>,
    /// The secret of a webhook just made, shown this once.
    new_secret: Option<String>,
    /// The project's coordinator rotation: (coordinators in turn, next, form fields).
    rotation: Option<RotationSection>,
    errors: Vec<String>,
}

fn webhook_fields(form: &FormData) -> Vec<Field> {
    let chosen = form.all("events");
    let events =
        EVENT_TYPES.iter().map(|e| ((*e).to_owned(), (*e).to_owned(), chosen.iter().any(|c| c == e))).collect();
    vec![
        Field::of_form("webhook", "url", "URL", FieldKind::Text)
            .hint("Deliveries are posted here, signed as Standard Webhooks describes.")
            .value(form.get("url"))
            .required(),
        Field::of_form("webhook", "events", "Events", FieldKind::Checkboxes(events)),
    ]
}

/// The coordinator rotation on a project's team page.
struct RotationSection {
    /// (name, email, away) in turn order.
    coordinators: Vec<(String, String, bool)>,
    next: Option<String>,
    idle_days: Option<u32>,
    fields: Vec<Field>,
}

fn rotation_fields(form: &FormData, current: Option<&embargo_app::RotationView>) -> Vec<Field> {
    let kept = |name: &str| (!form.get(name).is_empty()).then(|| form.get(name));
    let idle = kept("idle_days").unwrap_or_else(|| current.map_or_else(|| "5".to_owned(), |r| r.idle_days.to_string()));
    let lines = kept("coordinators").unwrap_or_else(|| {
        current
            .map(|r| {
                r.coordinators
                    .iter()
                    .map(|(u, away)| if *away { format!("{} away", u.email) } else { u.email.to_string() })
                    .collect::<Vec<_>>()
                    .join("\n")
            })
            .unwrap_or_default()
    });
    vec![
        Field::of_form("rotation", "idle_days", "Idle days before a report is assigned", FieldKind::Text)
            .hint("From 1 to 365.")
            .value(idle)
            .required(),
        Field::of_form(
            "rotation",
            "coordinators",
            "Coordinators, in turn",
            FieldKind::TextArea { rows: 4, code: true },
        )
        .hint("One team member's address per line; add the word away after those who are away. Leave empty to stop.")
        .value(lines),
    ]
}

/// Reads the rotation form: idle days and `address [away]` lines.
fn rotation_input(form: &FormData) -> Result<embargo_app::RotationInput, AppError> {
    let idle_days = form
        .get("idle_days")
        .trim()
        .parse::<u32>()
        .map_err(|_| AppError::invalid("idle_days", "a number of days from 1 to 365"))?;
    let coordinators = form
        .get("coordinators")
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(|line| match line.strip_suffix(" away") {
            Some(email) => (email.trim().to_owned(), true),
            None => (line.to_owned(), false),
        })
        .collect();
    Ok(embargo_app::RotationInput { idle_days, coordinators })
}

fn member_fields(form: &FormData) -> Vec<Field> {
    vec![
        Field::of_form("member", "email", "Email address", FieldKind::Email)
            .hint("Of someone who already has an account.")
            .value(form.get("email"))
            .required(),
    ]
}

fn line_fields(form: &FormData) -> Vec<Field> {
    let statuses = LineStatus::ALL.iter().map(|s| (s.as_str().to_owned(), s.as_str().to_owned())).collect();
    vec![
        Field::of_form("line", "name", "Release line", FieldKind::Text)
            .hint("Like 3.1 or main. An existing line's name changes that line.")
            .value(form.get("name"))
            .required(),
        Field::of_form("line", "status", "Status", FieldKind::Select(statuses)).value(form.get("status")).required(),
        Field::of_form("line", "released_on", "First released", FieldKind::Date).value(form.get("released_on")),
        Field::of_form("line", "end_of_life_on", "Support ends", FieldKind::Date).value(form.get("end_of_life_on")),
    ]
}

fn team_ref(org: &Slug, project: Option<&Slug>) -> TeamRef {
    match project {
        Some(p) => TeamRef::Project(org.clone(), p.clone()),
        None => TeamRef::Organisation(org.clone()),
    }
}

async fn team_page(
    state: &AppState,
    viewer: &Viewer,
    org: &Slug,
    project: Option<&Slug>,
    failed: Option<(&str, &FormData, &AppError)>,
    new_secret: Option<String>,
) -> Result<TeamPage, PageError> {
    let members = state.app.members(&viewer.actor, &team_ref(org, project)).await?;
    // Those who see the team but may not manage it see no webhooks.
    let webhooks = state.app.webhooks(&viewer.actor, &team_ref(org, project)).await.unwrap_or_default();
    let rotation_view = match project {
        Some(p) => state.app.rotation(&viewer.actor, org, p).await?,
        None => None,
    };
    let (title, base, policy_path, lines) = match project {
        Some(p) => {
            let (o, pr) = state.app.project(org, p).await?;
            let mut lines = state.app.release_lines(org, p).await?;
            newest_first(&mut lines);
            let rows = lines
                .iter()
                .map(|l| LineRow {
                    name: l.name.as_str().to_owned(),
                    status: l.status.as_str().to_owned(),
                    released: l.released_on.map(|d| d.to_string()).unwrap_or_default(),
                    end_of_life: l.end_of_life_on.map(|d| d.to_string()).unwrap_or_default(),
                })
                .collect();
            (
                format!("{} — {} security team", o.name, pr.name),
                format!("/{org}/{p}"),
                format!("/{org}/{p}/policy"),
                Some(rows),
            )
        }
        None => {
            let o = state.app.organisation(org).await?;
            (format!("{} security team", o.name), format!("/{org}"), format!("/{org}/policy"), None)
        }
    };
    let empty = FormData::default();
    let form_of = |which: &str| failed.filter(|(f, _, _)| *f == which).map(|(_, form, _)| form).unwrap_or(&empty);
    let mut member_fields = member_fields(form_of("member"));
    let mut line_fields = line_fields(form_of("line"));
    let mut webhook_fields = webhook_fields(form_of("webhook"));
    let mut rotation_fields = rotation_fields(form_of("rotation"), rotation_view.as_ref());
    let errors = match failed {
        Some(("member", _, e)) => apply_errors(&mut member_fields, e),
        Some(("webhook", _, e)) => apply_errors(&mut webhook_fields, e),
        Some(("rotation", _, e)) => apply_errors(&mut rotation_fields, e),
        Some((_, _, e)) => apply_errors(&mut line_fields, e),
        None => Vec::new(),
    };
    Ok(TeamPage {
        nav: viewer.nav(true),
        title,
        base,
        policy_path,
        org_team_path: format!("/{org}/team"),
        members: members
            .into_iter()
            .map(|m| MemberRow {
                id: m.user.id.to_string(),
                name: m.user.name,
                email: m.user.email.to_string(),
                since: day(m.since),
            })
            .collect(),
        lines,
        member_fields,
        line_fields,
        webhooks: webhook_rows(&webhooks),
        webhook_fields,
        new_secret,
        rotation: project.map(|_| RotationSection {
            coordinators: rotation_view
                .iter()
                .flat_map(|r| &r.coordinators)
                .map(|(u, away)| (u.name.clone(), u.email.to_string(), *away))
                .collect(),
            next: rotation_view.as_ref().and_then(|r| r.next.as_ref()).map(|u| u.name.clone()),
            idle_days: rotation_view.as_ref().map(|r| r.idle_days),
            fields: rotation_fields,
        }),
        errors,
    })
}

/// `GET /{org}/team`
pub(crate) async fn org_team(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(org): Path<Slug>,
) -> Result<Response, PageError> {
    Ok(html_status(StatusCode::OK, &team_page(&state, &viewer, &org, None, None, None).await?))
}

/// `GET /{org}/{project}/team`
pub(crate) async fn project_team(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((org, project)): Path<(Slug, Slug)>,
) -> Result<Response, PageError> {
    Ok(html_status(StatusCode::OK, &team_page(&state, &viewer, &org, Some(&project), None, None).await?))
}

async fn after_team(
    state: &AppState,
    viewer: &Viewer,
    org: &Slug,
    project: Option<&Slug>,
    which: &str,
    form: &FormData,
    result: Result<(), AppError>,
) -> Result<Response, PageError> {
    let base = project.map_or_else(|| format!("/{org}"), |p| format!("/{org}/{p}"));
    match result {
        Ok(()) => Ok(see_other(&format!("{base}/team"))),
        Err(e @ (AppError::Invalid(_) | AppError::Conflict { .. })) => {
            let page = team_page(state, viewer, org, project, Some((which, form, &e)), None).await?;
            Ok(html_status(StatusCode::UNPROCESSABLE_ENTITY, &page))
        }
        Err(e) => Err(e.into()),
    }
}

async fn add(
    state: &AppState,
    viewer: &Viewer,
    org: &Slug,
    project: Option<&Slug>,
    form: &FormData,
) -> Result<Response, PageError> {
    let team = team_ref(org, project);
    let result = match state.app.add_member(&viewer.actor, &team, form.get("email").trim()).await {
        Ok(_) => Ok(()),
        Err(AppError::NotFound) => Err(AppError::invalid("email", "the address of someone who has an account")),
        Err(e) => Err(e),
    };
    after_team(state, viewer, org, project, "member", form, result).await
}

/// `POST /{org}/team/members`
pub(crate) async fn add_org_member(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(org): Path<Slug>,
    form: FormData,
) -> Result<Response, PageError> {
    add(&state, &viewer, &org, None, &form).await
}

/// `POST /{org}/{project}/team/members`
pub(crate) async fn add_member(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((org, project)): Path<(Slug, Slug)>,
    form: FormData,
) -> Result<Response, PageError> {
    add(&state, &viewer, &org, Some(&project), &form).await
}

async fn remove(
    state: &AppState,
    viewer: &Viewer,
    org: &Slug,
    project: Option<&Slug>,
    user: &str,
) -> Result<Response, PageError> {
    let user: UserId = user.parse().map_err(|_| PageError::not_found())?;
    state.app.remove_member(&viewer.actor, &team_ref(org, project), user).await?;
    let base = project.map_or_else(|| format!("/{org}"), |p| format!("/{org}/{p}"));
    Ok(see_other(&format!("{base}/team")))
}

/// `POST /{org}/team/members/{user}/remove`
pub(crate) async fn remove_org_member(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((org, user)): Path<(Slug, String)>,
) -> Result<Response, PageError> {
    remove(&state, &viewer, &org, None, &user).await
}

/// `POST /{org}/{project}/team/members/{user}/remove`
pub(crate) async fn remove_member(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((org, project, user)): Path<(Slug, Slug, String)>,
) -> Result<Response, PageError> {
    remove(&state, &viewer, &org, Some(&project), &user).await
}

fn date(form: &FormData, name: &'static str) -> Result<Option<time::Date>, AppError> {
    let format = time::macros::format_description!("[year]-[month]-[day]");
    form.opt(name)
        .map(|d| time::Date::parse(&d, format).map_err(|_| AppError::invalid(name, "a date like 2026-05-04")))
        .transpose()
}

/// `POST /{org}/{project}/team/release-lines`: adds or changes a line.
pub(crate) async fn save_release_line(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((org, project)): Path<(Slug, Slug)>,
    form: FormData,
) -> Result<Response, PageError> {
    let result = async {
        let input = ReleaseLineInput {
            status: form.get("status"),
            released_on: date(&form, "released_on")?,
            end_of_life_on: date(&form, "end_of_life_on")?,
        };
        state.app.put_release_line(&viewer.actor, &org, &project, form.get("name").trim(), input).await.map(drop)
    }
    .await;
    after_team(&state, &viewer, &org, Some(&project), "line", &form, result).await
}

/// `POST /{org}/{project}/team/rotation`: sets the coordinator rotation.
pub(crate) async fn save_rotation(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((org, project)): Path<(Slug, Slug)>,
    form: FormData,
) -> Result<Response, PageError> {
    let result = async {
        let input = rotation_input(&form)?;
        state.app.set_rotation(&viewer.actor, &org, &project, input).await.map(drop)
    }
    .await;
    after_team(&state, &viewer, &org, Some(&project), "rotation", &form, result).await
}

/// `POST /{org}/{project}/team/release-lines/{name}/remove`
pub(crate) async fn remove_release_line(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((org, project, name)): Path<(Slug, Slug, String)>,
) -> Result<Response, PageError> {
    state.app.delete_release_line(&viewer.actor, &org, &project, &name).await?;
    Ok(see_other(&format!("/{org}/{project}/team")))
}

async fn add_webhook(
    state: &AppState,
    viewer: &Viewer,
    org: &Slug,
    project: Option<&Slug>,
    form: &FormData,
) -> Result<Response, PageError> {
    let new = NewWebhook { url: form.get("url").trim().to_owned(), events: form.all("events") };
    match state.app.create_webhook(&viewer.actor, &team_ref(org, project), new).await {
        Ok(made) => {
            let secret = Some(made.secret.expose().clone());
            Ok(html_status(StatusCode::CREATED, &team_page(state, viewer, org, project, None, secret).await?))
        }
        Err(e) => after_team(state, viewer, org, project, "webhook", form, Err(e)).await,
    }
}

/// `POST /{org}/team/webhooks`: subscribes a URL to the organisation's events.
pub(crate) async fn add_org_webhook(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(org): Path<Slug>,
    form: FormData,
) -> Result<Response, PageError> {
    add_webhook(&state, &viewer, &org, None, &form).await
}

/// `POST /{org}/{project}/team/webhooks`: subscribes a URL to the project's events.
pub(crate) async fn add_project_webhook(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((org, project)): Path<(Slug, Slug)>,
    form: FormData,
) -> Result<Response, PageError> {
    add_webhook(&state, &viewer, &org, Some(&project), &form).await
}

/// `POST /{org}/team/webhooks/{id}/remove`
pub(crate) async fn remove_org_webhook(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((org, id)): Path<(Slug, String)>,
) -> Result<Response, PageError> {
    state.app.delete_webhook(&viewer.actor, &team_ref(&org, None), &id).await?;
    Ok(see_other(&format!("/{org}/team")))
}

/// `POST /{org}/{project}/team/webhooks/{id}/remove`
pub(crate) async fn remove_project_webhook(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((org, project, id)): Path<(Slug, Slug, String)>,
) -> Result<Response, PageError> {
    state.app.delete_webhook(&viewer.actor, &team_ref(&org, Some(&project)), &id).await?;
    Ok(see_other(&format!("/{org}/{project}/team")))
}

/// `POST /{org}/team/webhooks/{id}/deliveries/{delivery}/resend`
pub(crate) async fn resend_org_delivery(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((org, id, delivery)): Path<(Slug, String, String)>,
) -> Result<Response, PageError> {
    state.app.resend_delivery(&viewer.actor, &team_ref(&org, None), &id, &delivery).await?;
    Ok(see_other(&format!("/{org}/team")))
}

/// `POST /{org}/{project}/team/webhooks/{id}/deliveries/{delivery}/resend`
pub(crate) async fn resend_project_delivery(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((org, project, id, delivery)): Path<(Slug, Slug, String, String)>,
) -> Result<Response, PageError> {
    state.app.resend_delivery(&viewer.actor, &team_ref(&org, Some(&project)), &id, &delivery).await?;
    Ok(see_other(&format!("/{org}/{project}/team")))
}
