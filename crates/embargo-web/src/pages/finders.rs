//! The report page's sections for finders and declined reports (issue 10):
//! a finder's own credit (decline it or choose the name shown), the team's
//! list of every finder's choice, and the public issue made from a declined
//! report (the team makes the text and marks it made public; the reporter
//! answers). Every action is a form post that answers with a page.

use axum::extract::State;
use axum::response::Response;
use embargo_app::{AppError, CreditInput, ReportView};
use embargo_core::permission::Actor;
use embargo_core::public_issue::Answer;

use super::form::apply_errors;
use super::reports::{Kept, reshow, visible_report};
use super::{FormData, PageError, Path, Viewer, fixable, form_status, see_other, when};
use crate::AppState;

/// A finder's own credit form.
pub(super) struct CreditForm {
    /// The name given with the report or the account.
    pub(super) usual: String,
    /// They declined.
    pub(super) declined: bool,
    /// The name they chose (or typed, on a failed submit).
    pub(super) name: String,
    /// How the advisory credits them now.
    pub(super) credited_as: String,
    pub(super) errors: Vec<String>,
}

/// One finder as the team's list shows them.
pub(super) struct CreditRow {
    pub(super) kind: &'static str,
    pub(super) report: String,
    pub(super) credited_as: String,
    pub(super) choice: String,
}

/// The public issue section.
pub(super) struct PublicIssueSection {
    /// The text, once made: (title, body).
    pub(super) text: Option<(String, String)>,
    pub(super) include_poc: bool,
    pub(super) answer: String,
    pub(super) url: Option<String>,
    pub(super) published: Option<String>,
    /// The team may make (or make again) the text.
    pub(super) can_draft: bool,
    pub(super) can_answer: bool,
    pub(super) can_mark_public: bool,
    pub(super) url_value: String,
    pub(super) errors: Vec<String>,
}

/// What the report page shows of these.
#[derive(Default)]
pub(super) struct FinderSections {
    pub(super) credit: Option<CreditForm>,
    pub(super) credits: Vec<CreditRow>,
    pub(super) public_issue: Option<PublicIssueSection>,
}

/// What a re-shown page keeps from a failed form here.
#[derive(Default)]
pub(super) struct FinderKept {
    credit: Option<(FormData, Vec<String>)>,
    public_issue: Option<(FormData, Vec<String>)>,
}

fn answer_text(answer: Answer) -> &'static str {
    match answer {
        Answer::Pending => "The reporter has not answered yet.",
        Answer::Named => "The reporter agreed, to be named.",
        Answer::Anonymous => "The reporter agreed, without their name.",
        Answer::Objected => "The reporter objected: it is not made public.",
    }
}

/// The sections for this viewer.
pub(super) async fn finder_sections(
    state: &AppState,
    actor: &Actor,
    view: &ReportView,
    kept: FinderKept,
) -> Result<FinderSections, PageError> {
    let hidden = |e: &AppError| matches!(e, AppError::NotFound | AppError::Forbidden | AppError::Unauthenticated);
    let credit = match state.app.my_credit(actor, view.id).await {
        Ok(mine) => {
            let (form, errors) = kept.credit.unwrap_or_default();
            let typed = !errors.is_empty();
            Some(CreditForm {
                usual: mine.usual.clone().unwrap_or_default(),
                declined: if typed { form.get("credit") == "declined" } else { mine.declined },
                name: if typed { form.get("name") } else { mine.name.clone().unwrap_or_default() },
                credited_as: mine.credited_as.unwrap_or_default(),
                errors,
            })
        }
        Err(e) if hidden(&e) => None,
        Err(e) => return Err(e.into()),
    };
    let credits = match state.app.credits(actor, view.id).await {
        Ok(list) => list
            .into_iter()
            .map(|c| CreditRow {
                kind: c.kind,
                report: c.report.to_string(),
                credited_as: c.credited_as.unwrap_or_default(),
                choice: match (c.declined, &c.name, c.updated_at) {
                    (true, _, _) => "declined the credit".to_owned(),
                    (false, Some(_), _) => "chose the name shown".to_owned(),
                    (false, None, Some(_)) => "keeps the name given".to_owned(),
                    (false, None, None) => "has not chosen".to_owned(),
                },
            })
            .collect(),
        Err(e) if hidden(&e) => Vec::new(),
        Err(e) => return Err(e.into()),
    };
    let issue = match state.app.public_issue(actor, view.id).await {
        Ok(issue) => Some(issue),
        Err(e) if hidden(&e) => None,
        Err(e) => return Err(e.into()),
    };
    let can_draft = state.app.may_draft_public_issue(actor, view.id).await?;
    let (form, errors) = kept.public_issue.unwrap_or_default();
    let public_issue = match issue {
        Some(Some(issue)) => Some(PublicIssueSection {
            text: Some((issue.text.title.clone(), issue.text.body.clone())),
            include_poc: issue.include_poc,
            answer: answer_text(issue.answer).to_owned(),
            url: issue.url.clone(),
            published: issue.published_at.map(when),
            can_draft: issue.can_redraft,
            can_answer: issue.can_answer,
            can_mark_public: issue.can_mark_public,
            url_value: form.get("url"),
            errors,
        }),
        Some(None) if can_draft => Some(PublicIssueSection {
            text: None,
            include_poc: false,
            answer: String::new(),
            url: None,
            published: None,
            can_draft,
            can_answer: false,
            can_mark_public: false,
            url_value: String::new(),
            errors,
        }),
        Some(None) | None => None,
    };
    Ok(FinderSections { credit, credits, public_issue })
}

async fn again(
    state: &AppState,
    viewer: &Viewer,
    id: &str,
    kept: FinderKept,
    error: &AppError,
) -> Result<Response, PageError> {
    let status = form_status(error);
    reshow(state, viewer, id, Kept::finders(kept), status).await
}

/// Where a public-issue form leads: back to the section when `done`, or the
/// page again with the form kept and the problems named.
async fn public_issue_answered<T>(
    state: &AppState,
    viewer: &Viewer,
    id: &str,
    form: FormData,
    done: Result<T, AppError>,
) -> Result<Response, PageError> {
    match done {
        Ok(_) => Ok(see_other(&format!("/reports/{id}#public-issue"))),
        Err(e) if fixable(&e) => {
            let kept = FinderKept { public_issue: Some((form, problems(&e))), ..FinderKept::default() };
            again(state, viewer, id, kept, &e).await
        }
        Err(e) => Err(e.into()),
    }
}

fn problems(error: &AppError) -> Vec<String> {
    match error {
        AppError::Conflict { .. } => vec![error.to_string()],
        _ => apply_errors(&mut [], error),
    }
}

/// `POST /reports/{id}/credit`: a finder declines their credit (`credit=declined`) or chooses the name shown.
pub(crate) async fn credit(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    form: FormData,
) -> Result<Response, PageError> {
    let (_, actor) = visible_report(&state, &viewer, &id).await?;
    let input = CreditInput { declined: form.get("credit") == "declined", name: form.opt("name") };
    match state.app.choose_credit(&actor, crate::extract::report_id(&id)?, input).await {
        Ok(_) => Ok(see_other(&format!("/reports/{id}#credit"))),
        Err(e) if fixable(&e) => {
            let kept = FinderKept { credit: Some((form, problems(&e))), ..FinderKept::default() };
            again(&state, &viewer, &id, kept, &e).await
        }
        Err(e) => Err(e.into()),
    }
}

/// `POST /reports/{id}/public-issue`: the team makes the public issue's text (`include_poc=yes` to include the PoC).
pub(crate) async fn draft_public_issue(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    form: FormData,
) -> Result<Response, PageError> {
    let (_, actor) = visible_report(&state, &viewer, &id).await?;
    let include_poc = form.get("include_poc") == "yes";
    let done = state.app.draft_public_issue(&actor, crate::extract::report_id(&id)?, include_poc).await;
    public_issue_answered(&state, &viewer, &id, form, done).await
}

/// `POST /reports/{id}/public-issue/answer`: the reporter answers (`answer=named|anonymous|objected`).
pub(crate) async fn answer_public_issue(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    form: FormData,
) -> Result<Response, PageError> {
    let (_, actor) = visible_report(&state, &viewer, &id).await?;
    let done = state.app.answer_public_issue(&actor, crate::extract::report_id(&id)?, &form.get("answer")).await;
    public_issue_answered(&state, &viewer, &id, form, done).await
}

/// `POST /reports/{id}/public-issue/published`: the team marks it made public at `url`.
pub(crate) async fn mark_public_issue(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    form: FormData,
) -> Result<Response, PageError> {
    let (_, actor) = visible_report(&state, &viewer, &id).await?;
    let done = state.app.mark_public_issue(&actor, crate::extract::report_id(&id)?, &form.get("url")).await;
    public_issue_answered(&state, &viewer, &id, form, done).await
}
