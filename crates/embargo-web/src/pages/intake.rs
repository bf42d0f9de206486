//! The report form, built from the project's policy, and the receipt.

use super::Path;
use axum::extract::{FromRequest, Multipart, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;
use embargo_app::{AppError, EffectivePolicy, Envelope, PolicyTarget, Upload};
use embargo_core::deadline::{DeadlineKind, human};
use embargo_core::intake::OLDER_BUILD;
use embargo_core::message::Channel;
use embargo_core::policy::{ReportField, Support};
use embargo_core::report::Submission;
use embargo_core::text::{ProjectPath, Slug};

use super::form::apply_errors;
use super::views::ProjectLink;
use super::{
    Field, FieldKind, FieldsExt, FormData, LINK_COOKIE, LINK_MAX_AGE, Nav, PageError, Viewer, html, html_status,
    see_other, when,
};
use crate::AppState;
use crate::cookies::{cookie, set_cookie};
use crate::extract::ClientAddr;

/// What the form says about the policy, beside the fields.
struct PolicySummary {
    acknowledge: Option<String>,
    triage: Option<String>,
    /// The policy's response expectations, in the team's words.
    expectations: Vec<String>,
    out_of_scope: Vec<String>,
    not_security: Vec<String>,
    threat_models: Vec<(String, String)>,
    max_attachments: u32,
    max_attachment_kib: u32,
    email: Option<String>,
    languages: Vec<String>,
}

fn summary(effective: &EffectivePolicy) -> PolicySummary {
    let policy = &effective.policy;
    let span = |s: &Option<embargo_core::policy::Span>| s.map(|s| human(s.duration()));
    PolicySummary {
        acknowledge: span(&policy.response.acknowledge.value),
        triage: span(&policy.response.triage.value),
        expectations: policy.response.expectations.value.clone(),
        out_of_scope: policy.scope.out_of_scope.value.clone(),
        not_security: policy.scope.not_security.value.clone(),
        threat_models: policy.threat_models.value.iter().map(|m| (m.title.clone(), m.text.clone())).collect(),
        max_attachments: policy.report.max_attachments.value,
        max_attachment_kib: policy.report.max_attachment_bytes.value / 1024,
        email: policy.channels.email.value.as_ref().map(ToString::to_string),
        languages: policy.channels.languages.value.clone(),
    }
}

#[derive(askama::Template)]
#[template(path = "report_form.html")]
struct ReportForm {
    nav: Nav,
    project: ProjectLink,
    open: bool,
    signed_in: bool,
    errors: Vec<String>,
    fields: Vec<Field>,
    policy: PolicySummary,
    /// After "Check": what the policy would tell the reporter, and whether files must be chosen again.
    checked: Option<(Vec<String>, bool)>,
}

/// The form's fields, from the policy, holding what was typed.
fn fields(effective: &EffectivePolicy, form: &FormData, signed_in: bool) -> Vec<Field> {
    let policy = &effective.policy;
    let required = |field: ReportField| policy.report.required.value.contains(&field);
    let recommended = |field: ReportField| policy.report.recommended.value.contains(&field);
    let mark = |mut f: Field, field: ReportField| {
        if required(field) {
            f = f.required();
        } else if recommended(field) {
            f = f.recommended();
        }
        f
    };
    let mut list = vec![
        Field::new("title", "Summary", FieldKind::Text)
            .hint("One line: what is wrong and where, for example \"Path traversal in the static file handler\".")
            .value(form.get("title"))
            .required(),
        Field::new("body", "Description", FieldKind::TextArea { rows: 10, code: false })
            .hint(
                "A few sentences: what is wrong, how to reproduce it, and why it is a security issue. \
                 Plain text. Please do not give a severity or CVSS score: the team assesses it.",
            )
            .value(form.get("body"))
            .required(),
        mark(
            Field::new("component", "Affected component", FieldKind::Text)
                .hint("The module, feature or file, for example \"multipart parser\".")
                .value(form.get("component")),
            ReportField::Component,
        ),
    ];
    let chosen = form.all("lines");
    let options: Vec<(String, String, bool)> = match policy.releases.support.value {
        Support::Lines => effective
            .lines
            .iter()
            .map(|l| {
                let name = l.name.as_str().to_owned();
                (name.clone(), format!("{name} ({})", l.status), chosen.contains(&name))
            })
            .collect(),
        Support::LatestOnly => {
            let latest = policy.releases.latest.value.clone();
            vec![
                (latest.clone(), format!("The latest build ({latest})"), chosen.contains(&latest)),
                (OLDER_BUILD.to_owned(), "An older build".to_owned(), chosen.iter().any(|c| c == OLDER_BUILD)),
            ]
        }
    };
    if !options.is_empty() {
        list.push(mark(
            Field::new("lines", "Affected release lines", FieldKind::Checkboxes(options))
                .hint("Tick every line you found vulnerable."),
            ReportField::Lines,
        ));
    }
    list.push(mark(
        Field::new("versions_tested", "Versions tested", FieldKind::Text)
            .hint("Exact versions or commits, for example \"3.1.2 and main at 4f2a9c1\".")
            .value(form.get("versions_tested")),
        ReportField::VersionsTested,
    ));
    list.push(mark(
        Field::new("versions_vulnerable", "Versions found vulnerable", FieldKind::Text)
            .value(form.get("versions_vulnerable")),
        ReportField::VersionsVulnerable,
    ));
    let platforms: Vec<String> = policy.platforms.value.iter().map(|p| p.name.clone()).collect();
    list.push(mark(
        Field::new("platform", "Platform", FieldKind::Text)
            .hint(if platforms.is_empty() {
                "Only if it matters: operating system, architecture or runtime.".to_owned()
            } else {
                format!("Only if it matters. Platforms the policy names: {}.", platforms.join(", "))
            })
            .value(form.get("platform")),
        ReportField::Platform,
    ));
    if !policy.threat_models.value.is_empty() {
        let mut options = vec![(String::new(), "Choose a threat model".to_owned())];
        options.extend(policy.threat_models.value.iter().map(|m| (m.id.clone(), m.title.clone())));
        list.push(mark(
            Field::new("threat_model", "Threat model", FieldKind::Select(options))
                .hint("Which of the policy's threat models the problem breaks (see the policy beside this form).")
                .value(form.get("threat_model")),
            ReportField::ThreatModel,
        ));
    }
    list.push(mark(
        Field::new("proof_of_concept", "Proof of concept", FieldKind::TextArea { rows: 8, code: true })
            .hint("A script that exits 1 when the version is vulnerable and 0 when it is not.")
            .value(form.get("proof_of_concept")),
        ReportField::ProofOfConcept,
    ));
    list.push(mark(
        Field::new("patch", "Patch", FieldKind::TextArea { rows: 6, code: true })
            .hint("A minimal fix as a unified diff, if you have one.")
            .value(form.get("patch")),
        ReportField::Patch,
    ));
    list.push(Field::new("attachments", "Files", FieldKind::Files).hint(format!(
        "Plain text only (scripts, logs, diffs): at most {} files of {} KiB each. \
             PDFs, images, archives and binaries are refused.",
        policy.report.max_attachments.value,
        policy.report.max_attachment_bytes.value / 1024
    )));
    list.push(mark(
        Field::new("reporter_name", "Name to credit", FieldKind::Text)
            .hint("How the advisory should credit you. Leave empty to stay anonymous.")
            .value(form.get("reporter_name"))
            .autocomplete("name"),
        ReportField::ReporterName,
    ));
    if !signed_in {
        list.push(mark(
            Field::new("reporter_email", "Email address", FieldKind::Email)
                .hint("So the team can reach you. Without it, only your private link shows their answers.")
                .value(form.get("reporter_email"))
                .autocomplete("email"),
            ReportField::ReporterEmail,
        ));
    }
    list
}

async fn project_policy(state: &AppState, org: &Slug, project: &Slug) -> Result<EffectivePolicy, PageError> {
    Ok(state.app.effective_policy(&PolicyTarget::Project(org.to_owned(), project.to_owned())).await?)
}

fn form_page(
    viewer: &Viewer,
    effective: &EffectivePolicy,
    errors: Vec<String>,
    fields: Vec<Field>,
) -> Result<ReportForm, PageError> {
    let project = effective.project.as_ref().ok_or_else(PageError::not_found)?;
    Ok(ReportForm {
        nav: viewer.nav(false),
        project: ProjectLink::new(&effective.org, project),
        open: effective.policy.channels.web_form.value,
        signed_in: viewer.actor.user().is_some(),
        errors,
        fields,
        policy: summary(effective),
        checked: None,
    })
}

/// `GET /{org}/{project}/report`
pub(crate) async fn form(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((org, project)): Path<(Slug, Slug)>,
) -> Result<Response, PageError> {
    let effective = project_policy(&state, &org, &project).await?;
    let fields = fields(&effective, &FormData::default(), viewer.actor.user().is_some());
    Ok(html(&form_page(&viewer, &effective, Vec::new(), fields)?))
}

/// A multipart form read into its text fields and its files.
async fn read_multipart(request: Request, state: &AppState) -> Result<(FormData, Vec<Upload>), AppError> {
    let too_big = || AppError::invalid("attachments", "files that together fit the size limit");
    let mut multipart = Multipart::from_request(request, state).await.map_err(|_| too_big())?;
    let mut form = FormData::default();
    let mut uploads = Vec::new();
    while let Some(field) = multipart.next_field().await.map_err(|_| too_big())? {
        let name = field.name().unwrap_or_default().to_owned();
        let filename = field.file_name().map(str::to_owned);
        let bytes = field.bytes().await.map_err(|_| too_big())?;
        match filename {
            Some(filename) if name == "attachments" => {
                // Browsers send an empty part when no file was chosen.
                if !(filename.is_empty() && bytes.is_empty()) {
                    uploads.push(Upload { filename, bytes: bytes.to_vec() });
                }
            }
            _ => form.push(name, String::from_utf8_lossy(&bytes).into_owned()),
        }
    }
    Ok((form, uploads))
}

fn submission(form: &FormData) -> Submission {
    Submission {
        title: form.get("title"),
        body: form.get("body"),
        component: form.opt("component"),
        versions_tested: form.opt("versions_tested"),
        versions_vulnerable: form.opt("versions_vulnerable"),
        lines: form.all("lines"),
        platform: form.opt("platform"),
        threat_model: form.opt("threat_model"),
        proof_of_concept: form.opt("proof_of_concept"),
        patch: form.opt("patch"),
        reporter_name: form.opt("reporter_name"),
        reporter_email: form.opt("reporter_email"),
    }
}

/// `POST /{org}/{project}/report`: submits, then shows the receipt; on a
/// problem, the form again with every answer kept and the problems marked.
pub(crate) async fn submit(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((org, project)): Path<(Slug, Slug)>,
    ClientAddr(client): ClientAddr,
    request: Request,
) -> Result<Response, PageError> {
    // The policy is read here only to show the form again; submitting reads it itself.
    let effective = || project_policy(&state, &org, &project);
    let signed_in = viewer.actor.user().is_some();
    let (form, uploads, read_error) = match read_multipart(request, &state).await {
        Ok((form, uploads)) => (form, uploads, None),
        Err(e) => (FormData::default(), Vec::new(), Some(e)),
    };
    let had_files = !uploads.is_empty();
    if read_error.is_none() && form.get("action") == "check" {
        let checked =
            state.app.check_submission(&viewer.actor, &org, &project, &submission(&form), &uploads, Channel::Web).await;
        let notices = match checked {
            Ok(notices) => notices,
            Err(e @ AppError::Invalid(_)) => {
                return refused(&viewer, &effective().await?, &form, signed_in, &e, had_files);
            }
            Err(e) => return Err(e.into()),
        };
        let effective = effective().await?;
        let mut page = form_page(&viewer, &effective, Vec::new(), fields(&effective, &form, signed_in))?;
        page.checked = Some((notices.iter().map(|n| n.message()).collect(), had_files));
        return Ok(html(&page));
    }
    let result = match read_error {
        Some(e) => Err(e),
        None => {
            state
                .app
                .submit_report(
                    &viewer.actor,
                    Envelope::form(
                        ProjectPath { org: org.clone(), project: project.clone() },
                        submission(&form),
                        uploads,
                        Channel::Web,
                    )
                    .from_client(client),
                )
                .await
        }
    };
    match result {
        Ok(receipt) => {
            let mut response = see_other(&format!("/reports/{}/receipt", receipt.report_id));
            let link = set_cookie(&state.config, LINK_COOKIE, receipt.followup.expose(), LINK_MAX_AGE);
            response.headers_mut().append(header::SET_COOKIE, link);
            Ok(response)
        }
        Err(e @ AppError::Invalid(_)) => refused(&viewer, &effective().await?, &form, signed_in, &e, had_files),
        Err(e @ AppError::Throttled { retry_after, .. }) => {
            // The draft is kept: the form comes back filled in, to send again later.
            let mut response = refused(&viewer, &effective().await?, &form, signed_in, &e, had_files)?;
            *response.status_mut() = StatusCode::TOO_MANY_REQUESTS;
            response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(retry_after));
            Ok(response)
        }
        Err(e) => Err(e.into()),
    }
}

/// The form again, with every answer kept and the problems marked.
fn refused(
    viewer: &Viewer,
    effective: &EffectivePolicy,
    form: &FormData,
    signed_in: bool,
    error: &AppError,
    had_files: bool,
) -> Result<Response, PageError> {
    let mut fields = fields(effective, form, signed_in);
    let mut errors = apply_errors(&mut fields, error);
    if had_files {
        errors.push("Choose your files again: browsers do not keep them after a problem.".to_owned());
    }
    let page = form_page(viewer, effective, errors, fields)?;
    Ok(html_status(StatusCode::UNPROCESSABLE_ENTITY, &page))
}

#[derive(askama::Template)]
#[template(path = "receipt.html")]
struct ReceiptPage {
    nav: Nav,
    id: String,
    project: ProjectLink,
    submitted: String,
    acknowledge_by: Option<String>,
    notices: Vec<String>,
    link: Option<String>,
    signed_in: bool,
}

/// `GET /reports/{id}/receipt`: the confirmation, with the private link
/// (read back from the cookie set on submission, so a reload shows it again).
pub(crate) async fn receipt(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    headers: axum::http::HeaderMap,
) -> Result<Response, PageError> {
    let (view, actor) = super::reports::visible_report(&state, &viewer, &id).await?;
    let link = cookie(&headers, LINK_COOKIE)
        .filter(|_| matches!(actor, embargo_core::permission::Actor::FollowUp(r) if r == view.id))
        .map(|token| format!("{}/follow/{token}", state.config.public_url.trim_end_matches('/')));
    let acknowledge_by = view.deadline.as_ref().filter(|d| d.kind == DeadlineKind::Acknowledge).map(|d| when(d.at));
    let page = ReceiptPage {
        nav: viewer.nav(true),
        id: view.id.to_string(),
        project: ProjectLink::new(&view.org, &view.project),
        submitted: when(view.created_at),
        acknowledge_by,
        notices: view.intake.iter().map(|n| n.message()).collect(),
        link,
        signed_in: viewer.actor.user().is_some(),
    };
    Ok(html(&page))
}
