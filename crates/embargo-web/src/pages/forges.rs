//! A project's forge hooks and fix polling (issue 11), linked from its team
//! page: whether each forge's webhook secret is set, a form to set or rotate
//! it (an empty secret makes one, shown this once), the URL to give the
//! forge, and the repository and branch polled for fix commits.

use super::Path;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use embargo_app::{AppError, FixPollView, ForgeHookView, parse_forge};
use embargo_core::private::Private;
use embargo_core::text::Slug;

use super::form::apply_errors;
use super::render::when;
use super::{Field, FieldKind, FieldsExt, FormData, Nav, PageError, Viewer, html_status, see_other};
use crate::AppState;

/// One forge's row.
struct HookRow {
    forge: &'static str,
    label: &'static str,
    set_at: Option<String>,
    url: String,
}

#[derive(askama::Template)]
#[template(path = "forges.html")]
struct ForgesPage {
    nav: Nav,
    title: String,
    base: String,
    hooks: Vec<HookRow>,
    secret_fields: Vec<Field>,
    /// The forge whose secret Embargo just made.
    new_secret_forge: String,
    /// The secret Embargo just made, shown this once.
    new_secret: Option<String>,
    polling: Option<FixPollView>,
    polled_at: String,
    polling_fields: Vec<Field>,
    errors: Vec<String>,
}

fn secret_fields(form: &FormData) -> Vec<Field> {
    let forges =
        embargo_core::forge::Forge::ALL.iter().map(|f| (f.as_str().to_owned(), f.label().to_owned())).collect();
    vec![
        Field::of_form("hook", "forge", "Forge", FieldKind::Select(forges)).value(form.get("forge")).required(),
        Field::of_form("hook", "secret", "Secret", FieldKind::Text)
            .hint("The webhook secret you set on the forge (16 to 256 characters). Leave empty to have one made.")
            .autocomplete("off"),
    ]
}

fn polling_fields(form: &FormData, current: Option<&FixPollView>) -> Vec<Field> {
    let or_current = |name: &str, value: Option<&String>| form.opt(name).or_else(|| value.cloned()).unwrap_or_default();
    vec![
        Field::of_form("poll", "repository", "Repository", FieldKind::Text)
            .hint("An https URL git can fetch, for forges that send no webhooks.")
            .value(or_current("repository", current.map(|c| &c.repository)))
            .required(),
        Field::of_form("poll", "branch", "Branch", FieldKind::Text)
            .hint("The branch fixes land on.")
            .value(or_current("branch", current.map(|c| &c.branch)))
            .required(),
    ]
}

async fn forges_page(
    state: &AppState,
    viewer: &Viewer,
    org: &Slug,
    project: &Slug,
    failed: Option<(&str, &FormData, &AppError)>,
    new_secret: Option<(String, String)>,
) -> Result<ForgesPage, PageError> {
    let (new_secret_forge, new_secret) = match new_secret {
        Some((forge, secret)) => (forge, Some(secret)),
        None => (String::new(), None),
    };
    let hooks: Vec<ForgeHookView> = state.app.forge_hooks(&viewer.actor, org, project).await?;
    let polling = state.app.fix_polling(&viewer.actor, org, project).await?;
    let (_, p) = state.app.project(org, project).await?;
    let public = state.config.public_url.trim_end_matches('/');
    let empty = FormData::default();
    let form_of = |which: &str| failed.filter(|(f, _, _)| *f == which).map(|(_, form, _)| form).unwrap_or(&empty);
    let mut secret_fields = secret_fields(form_of("hook"));
    let mut polling_fields = polling_fields(form_of("poll"), polling.as_ref());
    let errors = match failed {
        Some(("hook", _, e)) => apply_errors(&mut secret_fields, e),
        Some((_, _, e)) => apply_errors(&mut polling_fields, e),
        None => Vec::new(),
    };
    Ok(ForgesPage {
        nav: viewer.nav(true),
        title: format!("{} — forges and fixes", p.name),
        base: format!("/{org}/{project}"),
        hooks: hooks
            .iter()
            .map(|h| HookRow {
                forge: h.forge.as_str(),
                label: h.forge.label(),
                set_at: h.set_at.map(when),
                url: format!("{public}/api/v1/projects/{org}/{project}/hooks/{}", h.forge.as_str()),
            })
            .collect(),
        secret_fields,
        new_secret_forge,
        new_secret,
        polled_at: polling.as_ref().and_then(|p| p.polled_at).map(when).unwrap_or_default(),
        polling,
        polling_fields,
        errors,
    })
}

/// `GET /{org}/{project}/team/forges`
pub(crate) async fn forges(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((org, project)): Path<(Slug, Slug)>,
) -> Result<Response, PageError> {
    Ok(html_status(StatusCode::OK, &forges_page(&state, &viewer, &org, &project, None, None).await?))
}

async fn refused(
    state: &AppState,
    viewer: &Viewer,
    org: &Slug,
    project: &Slug,
    which: &str,
    form: &FormData,
    error: AppError,
) -> Result<Response, PageError> {
    match error {
        e @ AppError::Invalid(_) => {
            let page = forges_page(state, viewer, org, project, Some((which, form, &e)), None).await?;
            Ok(html_status(StatusCode::UNPROCESSABLE_ENTITY, &page))
        }
        e => Err(e.into()),
    }
}

/// `POST /{org}/{project}/team/forges`: sets or rotates a forge's secret.
pub(crate) async fn set_forge_secret(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((org, project)): Path<(Slug, Slug)>,
    form: FormData,
) -> Result<Response, PageError> {
    let forge = match parse_forge(form.get("forge").trim()) {
        Ok(forge) => forge,
        Err(_) => {
            let e = AppError::invalid("forge", "GitHub, GitLab, Forgejo or Gitea");
            return refused(&state, &viewer, &org, &project, "hook", &form, e).await;
        }
    };
    let secret = Some(form.get("secret")).filter(|s| !s.is_empty()).map(Private::new);
    match state.app.set_forge_secret(&viewer.actor, &org, &project, forge, secret).await {
        Ok(set) => match set.secret {
            Some(made) => {
                let shown = Some((forge.label().to_owned(), made.expose().clone()));
                let page = forges_page(&state, &viewer, &org, &project, None, shown).await?;
                Ok(html_status(StatusCode::OK, &page))
            }
            None => Ok(see_other(&format!("/{org}/{project}/team/forges"))),
        },
        Err(e) => refused(&state, &viewer, &org, &project, "hook", &form, e).await,
    }
}

/// `POST /{org}/{project}/team/fix-polling`: names the repository and branch to poll.
pub(crate) async fn set_fix_polling(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((org, project)): Path<(Slug, Slug)>,
    form: FormData,
) -> Result<Response, PageError> {
    let (repository, branch) = (form.get("repository"), form.get("branch"));
    match state.app.set_fix_polling(&viewer.actor, &org, &project, &repository, &branch).await {
        Ok(_) => Ok(see_other(&format!("/{org}/{project}/team/forges"))),
        Err(e) => refused(&state, &viewer, &org, &project, "poll", &form, e).await,
    }
}
