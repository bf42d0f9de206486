//! An organisation's CVE Services credentials page (`/{org}/team/cve-services`,
//! its administrators): whether they are set (never the key), the reserved
//! ids at hand, and a form to set them. Credentials CVE Services refuses come
//! back with its answer beside the field, and nothing is stored.

use super::Path;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use embargo_app::{AppError, CveServicesInput, CveServicesStatus};
use embargo_core::private::Private;
use embargo_core::text::Slug;

use super::form::apply_errors;
use super::render::when;
use super::{Field, FieldKind, FieldsExt, FormData, Nav, PageError, Viewer, html_status, see_other};
use crate::AppState;

#[derive(askama::Template)]
#[template(path = "cve_services.html")]
struct CveServicesPage {
    nav: Nav,
    title: String,
    team_path: String,
    /// (label, value) rows of the account, when set.
    account: Vec<(&'static str, String)>,
    unassigned: String,
    fields: Vec<Field>,
    errors: Vec<String>,
}

fn fields(form: &FormData, status: &CveServicesStatus) -> Vec<Field> {
    let kept = |name: &str, current: Option<String>| {
        if form.get(name).is_empty() { current.unwrap_or_default() } else { form.get(name) }
    };
    let a = status.account.as_ref();
    vec![
        Field::of_form("cve", "url", "API URL", FieldKind::Text)
            .hint("The part before /cve-id, such as https://cveawg.mitre.org/api.")
            .value(kept("url", a.map(|a| a.url.clone())))
            .required(),
        Field::of_form("cve", "short_name", "CNA short name", FieldKind::Text)
            .value(kept("short_name", a.map(|a| a.short_name.clone())))
            .required(),
        Field::of_form("cve", "user", "User", FieldKind::Text)
            .value(kept("user", a.map(|a| a.user.clone())))
            .required(),
        Field::of_form("cve", "api_key", "API key", FieldKind::Password)
            .hint("Sealed at rest and never shown again. CVE Services checks the credentials before they are saved.")
            .required(),
        Field::of_form("cve", "pool_size", "Reserved ids to keep at hand", FieldKind::Text)
            .hint("0 to 20. With 0, an id is reserved when the team asks for one.")
            .value(kept("pool_size", Some(a.map_or(0, |a| a.pool_size).to_string()))),
    ]
}

async fn page(
    state: &AppState,
    viewer: &Viewer,
    org: &Slug,
    failed: Option<(&FormData, &AppError)>,
) -> Result<CveServicesPage, PageError> {
    let status = state.app.cve_services(&viewer.actor, org).await?;
    let organisation = state.app.organisation(org).await?;
    let empty = FormData::default();
    let mut fields = fields(failed.map_or(&empty, |(form, _)| form), &status);
    let errors = failed.map(|(_, e)| apply_errors(&mut fields, e)).unwrap_or_default();
    let account = status
        .account
        .as_ref()
        .map(|a| {
            vec![
                ("API URL", a.url.clone()),
                ("CNA short name", a.short_name.clone()),
                ("User", a.user.clone()),
                ("CNA organisation UUID", a.cna_org_id.clone()),
                ("Reserved ids kept at hand", a.pool_size.to_string()),
                ("Set", when(a.updated_at)),
            ]
        })
        .unwrap_or_default();
    Ok(CveServicesPage {
        nav: viewer.nav(true),
        title: format!("{} — CVE Services", organisation.name),
        team_path: format!("/{org}/team"),
        account,
        unassigned: status.unassigned.iter().map(|c| c.as_str()).collect::<Vec<_>>().join(", "),
        fields,
        errors,
    })
}

/// `GET /{org}/team/cve-services`
pub(crate) async fn show(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(org): Path<Slug>,
) -> Result<Response, PageError> {
    Ok(html_status(StatusCode::OK, &page(&state, &viewer, &org, None).await?))
}

/// `POST /{org}/team/cve-services`: sets the credentials once CVE Services accepts them.
pub(crate) async fn save(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(org): Path<Slug>,
    form: FormData,
) -> Result<Response, PageError> {
    let pool = form.get("pool_size");
    let pool_size = match pool.trim() {
        "" => Ok(None),
        text => text.parse::<u32>().map(Some).map_err(|_| AppError::invalid("pool_size", "a number from 0 to 20")),
    };
    let result = match pool_size {
        Ok(pool_size) => {
            let input = CveServicesInput {
                url: form.get("url"),
                short_name: form.get("short_name"),
                user: form.get("user"),
                api_key: Private::new(form.get("api_key")),
                pool_size,
            };
            state.app.set_cve_services(&viewer.actor, &org, input).await.map(drop)
        }
        Err(e) => Err(e),
    };
    match result {
        Ok(()) => Ok(see_other(&format!("/{org}/team/cve-services"))),
        Err(e @ AppError::Invalid(_)) => {
            Ok(html_status(StatusCode::UNPROCESSABLE_ENTITY, &page(&state, &viewer, &org, Some((&form, &e))).await?))
        }
        Err(e) => Err(e.into()),
    }
}
