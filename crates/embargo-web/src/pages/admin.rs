//! Administration for instance administrators: organisations, projects,
//! users and settings.

use super::Path;
use axum::extract::FromRequestParts;
use axum::extract::State;
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use embargo_app::{AppError, InstanceSettings, NewAccount, NewOrganisation, NewProject};
use embargo_core::id::UserId;
use embargo_core::permission::{Action, Actor, Decision, decide};
use embargo_core::private::Private;

use super::form::apply_errors;
use super::render::day;
use super::{Field, FieldKind, FieldsExt, FormData, Nav, PageError, Viewer, html_status, see_other};
use crate::AppState;

/// Which admin form a re-shown page marks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum AdminForm {
    Organisation,
    Project,
    User,
    Settings,
}

/// An organisation with its projects, for the admin page.
struct OrgRow {
    slug: String,
    name: String,
    prefix: String,
    projects: Vec<(String, String)>,
}

/// A user, for the admin page.
struct UserRow {
    id: String,
    name: String,
    email: String,
    admin: bool,
    banned: bool,
    since: String,
}

#[derive(askama::Template)]
#[template(path = "admin.html")]
struct AdminPage {
    nav: Nav,
    me: String,
    orgs: Vec<OrgRow>,
    users: Vec<UserRow>,
    org_fields: Vec<Field>,
    project_fields: Vec<Field>,
    user_fields: Vec<Field>,
    settings_fields: Vec<Field>,
    errors: Vec<String>,
    failed: Option<&'static str>,
}

/// A viewer who is an instance administrator. The admin pages are for
/// them: the anonymous are asked to sign in, other users see "not found".
pub(crate) struct Admin(Viewer);

impl FromRequestParts<AppState> for Admin {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let viewer = Viewer::from_request_parts(parts, state).await.map_err(IntoResponse::into_response)?;
        if decide(&viewer.actor, Action::ManageInstance) == Decision::Allow {
            return Ok(Admin(viewer));
        }
        match &viewer.actor {
            Actor::Anonymous => Err(see_other("/login?next=/admin")),
            Actor::User(_) | Actor::FollowUp(_) | Actor::Interested(_) | Actor::Operator | Actor::Collaborator(_) => {
                Err(PageError::not_found().into_response())
            }
        }
    }
}

fn org_fields(form: &FormData) -> Vec<Field> {
    vec![
        Field::of_form("org", "slug", "Short name", FieldKind::Text)
            .hint("Lower-case letters, digits and hyphens; used in addresses, like pallets.")
            .value(form.get("slug"))
            .required(),
        Field::of_form("org", "name", "Name", FieldKind::Text).value(form.get("name")).required(),
        Field::of_form("org", "advisory_prefix", "Advisory id prefix", FieldKind::Text)
            .hint("Capital letters, like PALLETS for PALLETS-2026-1. Leave empty to derive it from the short name.")
            .value(form.get("advisory_prefix")),
    ]
}

fn project_fields(form: &FormData, orgs: &[OrgRow]) -> Vec<Field> {
    let options = orgs.iter().map(|o| (o.slug.clone(), o.name.clone())).collect();
    vec![
        Field::of_form("project", "org", "Organisation", FieldKind::Select(options)).value(form.get("org")).required(),
        Field::of_form("project", "slug", "Short name", FieldKind::Text)
            .hint("Lower-case letters, digits and hyphens, like flask.")
            .value(form.get("slug"))
            .required(),
        Field::of_form("project", "name", "Name", FieldKind::Text).value(form.get("name")).required(),
        Field::of_form("project", "repository_url", "Repository URL", FieldKind::Text)
            .hint("https://…")
            .value(form.get("repository_url")),
        Field::of_form("project", "packages", "Packages", FieldKind::TextArea { rows: 3, code: true })
            .hint("One per line as ECOSYSTEM:NAME, like PyPI:flask.")
            .value(form.get("packages")),
    ]
}

fn user_fields(form: &FormData) -> Vec<Field> {
    vec![
        Field::of_form("user", "name", "Name", FieldKind::Text).value(form.get("name")).required(),
        Field::of_form("user", "email", "Email address", FieldKind::Email).value(form.get("email")).required(),
        Field::of_form("user", "password", "Password", FieldKind::Password)
            .hint("At least 10 characters; tell it to them safely.")
            .required()
            .autocomplete("new-password"),
        Field::of_form(
            "user",
            "is_admin",
            "Role",
            FieldKind::Checkboxes(vec![("yes".into(), "Instance administrator".into(), form.get("is_admin") == "yes")]),
        ),
    ]
}

fn settings_fields(settings: &InstanceSettings, orgs: &[OrgRow], form: Option<&FormData>) -> Vec<Field> {
    let signup = form.map_or(settings.signup_open, |f| f.get("signup_open") == "yes");
    let second_factor = form.map_or(settings.second_factor_required, |f| f.get("second_factor_required") == "yes");
    let checkpoint_mail = form.map_or(settings.checkpoint_mail, |f| f.get("checkpoint_mail") == "yes");
    let chosen =
        form.map_or_else(|| settings.security_txt_org.clone().unwrap_or_default(), |f| f.get("security_txt_org"));
    let mut options = vec![(String::new(), "The only organisation (none chosen)".to_owned())];
    options.extend(orgs.iter().map(|o| (o.slug.clone(), o.name.clone())));
    vec![
        Field::of_form(
            "settings",
            "signup_open",
            "Sign-up",
            FieldKind::Checkboxes(vec![("yes".into(), "Reporters may create accounts themselves".into(), signup)]),
        ),
        Field::of_form(
            "settings",
            "second_factor_required",
            "Second factor",
            FieldKind::Checkboxes(vec![(
                "yes".into(),
                "Security-team members and administrators must use a second factor".into(),
                second_factor,
            )]),
        )
        .hint("Those without one are walked through setting up an authenticator app at their next sign-in."),
        Field::of_form(
            "settings",
            "checkpoint_mail",
            "Audit checkpoint",
            FieldKind::Checkboxes(vec![(
                "yes".into(),
                "Mail the audit log's signed checkpoint to the administrators every day".into(),
                checkpoint_mail,
            )]),
        )
        .hint("Copies kept outside this server show later whether the log was cut or rewritten."),
        Field::of_form("settings", "security_txt_org", "security.txt lists", FieldKind::Select(options))
            .hint("Whose channels /.well-known/security.txt names when there are several organisations.")
            .value(chosen),
    ]
}

async fn admin_page(
    state: &AppState,
    viewer: &Viewer,
    failed: Option<(AdminForm, &FormData, &AppError)>,
) -> Result<AdminPage, PageError> {
    let mut orgs = Vec::new();
    for org in state.app.organisations().await? {
        let projects = state.app.projects(Some(&org.slug)).await?;
        orgs.push(OrgRow {
            slug: org.slug.to_string(),
            name: org.name.clone(),
            prefix: org.advisory_prefix.to_string(),
            projects: projects.iter().map(|p| (format!("/{}/{}", org.slug, p.slug), p.name.clone())).collect(),
        });
    }
    let users = state
        .app
        .users(&viewer.actor)
        .await?
        .into_iter()
        .map(|u| UserRow {
            id: u.id.to_string(),
            name: u.name,
            email: u.email.to_string(),
            admin: u.is_admin,
            banned: u.banned_at.is_some(),
            since: day(u.created_at),
        })
        .collect();
    let settings = state.app.settings().await?;
    let empty = FormData::default();
    let form_of = |which: AdminForm| failed.filter(|(f, _, _)| *f == which).map(|(_, form, _)| form).unwrap_or(&empty);
    let mut org_fields = org_fields(form_of(AdminForm::Organisation));
    let mut project_fields = project_fields(form_of(AdminForm::Project), &orgs);
    let mut user_fields = user_fields(form_of(AdminForm::User));
    let settings_form = failed.filter(|(f, _, _)| *f == AdminForm::Settings).map(|(_, form, _)| form);
    let mut settings_fields = settings_fields(&settings, &orgs, settings_form);
    let mut errors = Vec::new();
    let mut failed_name = None;
    if let Some((which, _, error)) = failed {
        let (fields, name) = match which {
            AdminForm::Organisation => (&mut org_fields, "organisation"),
            AdminForm::Project => (&mut project_fields, "project"),
            AdminForm::User => (&mut user_fields, "user"),
            AdminForm::Settings => (&mut settings_fields, "settings"),
        };
        errors = apply_errors(fields, error);
        failed_name = Some(name);
    }
    Ok(AdminPage {
        nav: viewer.nav(false),
        me: viewer.actor.user().map(|u| u.id.to_string()).unwrap_or_default(),
        orgs,
        users,
        org_fields,
        project_fields,
        user_fields,
        settings_fields,
        errors,
        failed: failed_name,
    })
}

/// `GET /admin`
pub(crate) async fn page(State(state): State<AppState>, Admin(viewer): Admin) -> Result<Response, PageError> {
    Ok(html_status(StatusCode::OK, &admin_page(&state, &viewer, None).await?))
}

/// After an admin form: back to the page, or the page again with the problem.
async fn after(
    state: &AppState,
    viewer: &Viewer,
    which: AdminForm,
    form: &FormData,
    result: Result<(), AppError>,
    anchor: &str,
) -> Result<Response, PageError> {
    match result {
        Ok(()) => Ok(see_other(&format!("/admin#{anchor}"))),
        Err(e @ (AppError::Invalid(_) | AppError::Conflict { .. })) => {
            let status = if matches!(e, AppError::Conflict { .. }) {
                StatusCode::CONFLICT
            } else {
                StatusCode::UNPROCESSABLE_ENTITY
            };
            Ok(html_status(status, &admin_page(state, viewer, Some((which, form, &e))).await?))
        }
        Err(e) => Err(e.into()),
    }
}

/// `POST /admin/organisations`
pub(crate) async fn create_organisation(
    State(state): State<AppState>,
    Admin(viewer): Admin,
    form: FormData,
) -> Result<Response, PageError> {
    let new = NewOrganisation {
        slug: form.get("slug").trim().to_owned(),
        name: form.get("name"),
        advisory_prefix: form.opt("advisory_prefix"),
    };
    let result = state.app.create_organisation(&viewer.actor, new).await.map(drop);
    after(&state, &viewer, AdminForm::Organisation, &form, result, "organisations").await
}

/// Packages typed as `ECOSYSTEM:NAME` lines.
fn packages(text: &str) -> Result<Vec<(String, String)>, AppError> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(|l| {
            l.split_once(':')
                .map(|(e, n)| (e.trim().to_owned(), n.trim().to_owned()))
                .ok_or_else(|| AppError::invalid("packages", "one package per line as ECOSYSTEM:NAME"))
        })
        .collect()
}

/// `POST /admin/projects`
pub(crate) async fn create_project(
    State(state): State<AppState>,
    Admin(viewer): Admin,
    form: FormData,
) -> Result<Response, PageError> {
    let result = match packages(&form.get("packages")) {
        Ok(packages) => {
            let new = NewProject {
                slug: form.get("slug").trim().to_owned(),
                name: form.get("name"),
                repository_url: form.opt("repository_url"),
                packages,
            };
            let org = form.get("org").parse::<embargo_core::text::Slug>();
            let created = match org {
                Ok(org) => state.app.create_project(&viewer.actor, &org, new).await,
                Err(_) => Err(AppError::NotFound),
            };
            match created {
                Ok(_) => Ok(()),
                Err(AppError::NotFound) => Err(AppError::invalid("org", "an organisation from the list")),
                Err(e) => Err(e),
            }
        }
        Err(e) => Err(e),
    };
    after(&state, &viewer, AdminForm::Project, &form, result, "organisations").await
}

/// `POST /admin/users`
pub(crate) async fn create_user(
    State(state): State<AppState>,
    Admin(viewer): Admin,
    form: FormData,
) -> Result<Response, PageError> {
    let account = NewAccount {
        email: form.get("email").trim().to_owned(),
        name: form.get("name"),
        password: Private::new(form.get("password")),
    };
    let result = state.app.create_user(&viewer.actor, account, form.get("is_admin") == "yes").await.map(drop);
    after(&state, &viewer, AdminForm::User, &form, result, "users").await
}

/// `POST /admin/users/{id}/ban`: `banned=true` bans, anything else lifts the ban.
pub(crate) async fn ban(
    State(state): State<AppState>,
    Admin(viewer): Admin,
    Path(id): Path<String>,
    form: FormData,
) -> Result<Response, PageError> {
    let user: UserId = id.parse().map_err(|_| PageError::not_found())?;
    state.app.set_banned(&viewer.actor, user, form.get("banned") == "true").await?;
    Ok(see_other("/admin#users"))
}

/// `POST /admin/settings`
pub(crate) async fn settings(
    State(state): State<AppState>,
    Admin(viewer): Admin,
    form: FormData,
) -> Result<Response, PageError> {
    let settings = InstanceSettings {
        signup_open: form.get("signup_open") == "yes",
        security_txt_org: form.opt("security_txt_org"),
        second_factor_required: form.get("second_factor_required") == "yes",
        checkpoint_mail: form.get("checkpoint_mail") == "yes",
    };
    let result = state.app.update_settings(&viewer.actor, settings).await.map(drop);
    after(&state, &viewer, AdminForm::Settings, &form, result, "settings").await
}

/// `POST /admin/users/{id}/sessions/end`: signs the user out everywhere.
pub(crate) async fn end_user_sessions(
    State(state): State<AppState>,
    Admin(viewer): Admin,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let user: UserId = id.parse().map_err(|_| PageError::not_found())?;
    state.app.end_user_sessions(&viewer.actor, user).await?;
    Ok(see_other("/admin#users"))
}
