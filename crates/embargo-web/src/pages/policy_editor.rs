//! The team's policy editor: an organisation's or a project's own level as
//! TOML in a form, checked with the same errors as `embargo policy check`
//! (with line and column), nothing saved on error, the effective policy with
//! where each field comes from, and a preview of SECURITY.md and security.txt.

use super::Path;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use embargo_app::{AppError, PolicyEditor, PolicyTarget};
use embargo_core::text::Slug;

use super::render::markdown;
use super::{FormData, Nav, PageError, Viewer, html_status, see_other};
use crate::AppState;

#[derive(askama::Template)]
#[template(path = "policy_edit.html")]
struct PolicyEditPage {
    nav: Nav,
    title: String,
    /// The public policy page.
    policy_path: String,
    /// Where the form posts.
    action: String,
    /// Whether this is a project's level (which inherits from its organisation).
    project: bool,
    /// The text in the editor: this level's own TOML, or what was sent.
    text: String,
    /// The effective policy with provenance comments.
    effective: String,
    /// The errors of the text sent, each with its line and column.
    errors: Vec<String>,
    /// Saved just now.
    saved: bool,
    /// The preview of what the text would publish: SECURITY.md as HTML, and security.txt.
    preview: Option<(String, Option<String>)>,
}

fn target(org: &Slug, project: Option<&Slug>) -> PolicyTarget {
    match project {
        Some(p) => PolicyTarget::Project(org.to_owned(), p.to_owned()),
        None => PolicyTarget::Organisation(org.to_owned()),
    }
}

fn page(viewer: &Viewer, editor: &PolicyEditor, text: Option<String>) -> PolicyEditPage {
    let e = &editor.effective;
    let (title, path) = match &e.project {
        Some(p) => (format!("{} — {} policy", e.org.name, p.name), format!("/{}/{}", e.org.slug, p.slug)),
        None => (format!("{} policy", e.org.name), format!("/{}", e.org.slug)),
    };
    PolicyEditPage {
        nav: viewer.nav(true),
        title: format!("Edit the {title}"),
        policy_path: format!("{path}/policy"),
        action: format!("{path}/policy/edit"),
        project: e.project.is_some(),
        text: text.unwrap_or_else(|| editor.own.clone()),
        effective: e.to_toml(true),
        errors: Vec::new(),
        saved: false,
        preview: None,
    }
}

/// The messages of a refused policy text.
fn messages(error: &AppError) -> Option<Vec<String>> {
    match error {
        AppError::Invalid(errors) => Some(errors.0.iter().map(|e| e.to_string()).collect()),
        _ => None,
    }
}

/// The editor with this level's own text; `query` is `saved=1` right after a save.
async fn show(
    state: &AppState,
    viewer: &Viewer,
    org: &Slug,
    project: Option<&Slug>,
    query: Option<&str>,
) -> Result<Response, PageError> {
    let editor = state.app.policy_editor(&viewer.actor, &target(org, project)).await?;
    let mut page = page(viewer, &editor, None);
    page.saved = query == Some("saved=1");
    Ok(html_status(StatusCode::OK, &page))
}

async fn submit(
    state: &AppState,
    viewer: &Viewer,
    org: &Slug,
    project: Option<&Slug>,
    form: &FormData,
) -> Result<Response, PageError> {
    let target = target(org, project);
    // Not the caller's to edit: refused before the text is read.
    let editor = state.app.policy_editor(&viewer.actor, &target).await?;
    let text = form.get("policy");
    let result = if form.get("action") == "preview" {
        state.app.preview_policy(&viewer.actor, &target, &text).await.map(Some)
    } else {
        state.app.apply_policy(&viewer.actor, &target, &text).await.map(|_| None)
    };
    match result {
        Ok(None) => {
            let path = match project {
                Some(p) => format!("/{org}/{p}/policy/edit?saved=1"),
                None => format!("/{org}/policy/edit?saved=1"),
            };
            Ok(see_other(&path))
        }
        Ok(Some(preview)) => {
            let mut page = page(viewer, &editor, Some(text));
            page.preview = Some((markdown(&preview.security_md), preview.security_txt));
            Ok(html_status(StatusCode::OK, &page))
        }
        Err(e) => match messages(&e) {
            Some(errors) => {
                let mut page = page(viewer, &editor, Some(text));
                page.errors = errors;
                Ok(html_status(StatusCode::UNPROCESSABLE_ENTITY, &page))
            }
            None => Err(e.into()),
        },
    }
}

/// `GET /{org}/policy/edit`
pub(crate) async fn org_form(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(org): Path<Slug>,
    query: axum::extract::RawQuery,
) -> Result<Response, PageError> {
    show(&state, &viewer, &org, None, query.0.as_deref()).await
}

/// `POST /{org}/policy/edit`
pub(crate) async fn org_save(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(org): Path<Slug>,
    form: FormData,
) -> Result<Response, PageError> {
    submit(&state, &viewer, &org, None, &form).await
}

/// `GET /{org}/{project}/policy/edit`
pub(crate) async fn project_form(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((org, project)): Path<(Slug, Slug)>,
    query: axum::extract::RawQuery,
) -> Result<Response, PageError> {
    show(&state, &viewer, &org, Some(&project), query.0.as_deref()).await
}

/// `POST /{org}/{project}/policy/edit`
pub(crate) async fn project_save(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((org, project)): Path<(Slug, Slug)>,
    form: FormData,
) -> Result<Response, PageError> {
    submit(&state, &viewer, &org, Some(&project), &form).await
}
