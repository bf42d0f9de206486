//! The time zone forms (issue 10): on the account page for a signed-in
//! user, and on a report's page for whoever reads it there (a private link's
//! holder sets their link's zone, a signed-in user their account's).

use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::Response;

use super::form::apply_errors;
use super::reports::{Kept, reshow, visible_report};
use super::security::{AccountForm, after, signed_in, to_sign_in};
use super::{FormData, PageError, Viewer, fixable, form_status, see_other};
use crate::AppState;

/// `POST /account/time-zone`: the zone the account reads dates in.
pub(crate) async fn account_zone(
    State(state): State<AppState>,
    viewer: Viewer,
    headers: HeaderMap,
    form: FormData,
) -> Result<Response, PageError> {
    let Some(actor) = signed_in(&viewer) else {
        return Ok(to_sign_in());
    };
    let result = state.app.set_time_zone(actor, &form.get("time_zone")).await.map(drop);
    after(&state, &viewer, &headers, AccountForm::Zone, &form, result, "time-zone").await
}

/// `POST /reports/{id}/time-zone`: the zone the report's reader reads dates
/// in, set for the actor through whom they read it (their link, or their account).
pub(crate) async fn report_zone(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    form: FormData,
) -> Result<Response, PageError> {
    let (_, actor) = visible_report(&state, &viewer, &id).await?;
    match state.app.set_time_zone(&actor, &form.get("time_zone")).await {
        Ok(_) => Ok(see_other(&format!("/reports/{id}#time-zone"))),
        Err(e) if fixable(&e) => {
            let errors = apply_errors(&mut [], &e);
            let status = form_status(&e);
            reshow(&state, &viewer, &id, Kept::zone(form, errors), status).await
        }
        Err(e) => Err(e.into()),
    }
}
