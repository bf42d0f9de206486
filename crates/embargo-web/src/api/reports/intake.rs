//! The report form's API: submitting (anonymous or signed in), checking a draft against the policy, the receipt.

use axum::extract::State;
use axum::http::StatusCode;
use embargo_app::{Envelope, Upload};
use embargo_core::message::Channel;
use embargo_core::report::Submission;
use embargo_core::text::{ProjectPath, Slug};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::ToSchema;

use super::bodies::*;
use crate::AppState;
use crate::api::json::ProjectRef;
use crate::error::{ApiError, ErrorBody};
use crate::extract::{ClientAddr, CurrentActor, Json, Path};

/// A new report. Plain text only; the team assesses severity itself.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct SubmissionRequest {
    /// A one-line summary.
    title: String,
    /// A few sentences: what is wrong and why it is a security issue.
    body: String,
    /// The affected component.
    component: Option<String>,
    /// The versions tested.
    versions_tested: Option<String>,
    /// Which of those were vulnerable.
    versions_vulnerable: Option<String>,
    /// The project's release lines affected (names from its policy; `older` for an
    /// older build of a project that supports only its latest).
    #[serde(default)]
    lines: Vec<String>,
    /// The platform, if it matters.
    platform: Option<String>,
    /// The threat model the report was checked against.
    threat_model: Option<String>,
    /// A proof-of-concept script: exits 1 when vulnerable, 0 when not.
    proof_of_concept: Option<String>,
    /// A minimal patch.
    patch: Option<String>,
    /// The name to credit.
    reporter_name: Option<String>,
    /// Where to reach you if you are not signed in.
    reporter_email: Option<String>,
    /// Plain-text files (a proof of concept, a patch); binaries are refused by content.
    #[serde(default)]
    attachments: Vec<UploadJson>,
}

/// A file sent with a report.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct UploadJson {
    /// Its name.
    filename: String,
    /// Its content, base64-encoded.
    content_base64: String,
}

/// What the policy says about a submission before it is sent.
#[derive(Serialize, ToSchema)]
pub(crate) struct CheckJson {
    /// What the reporter would be told.
    notices: Vec<NoticeJson>,
}

/// The receipt: keep the follow-up token secret, it opens this report.
#[derive(Serialize, ToSchema)]
pub(crate) struct ReceiptJson {
    /// The report's reference.
    id: String,
    /// Reads and answers this report only: send it as `Authorization: Bearer`.
    followup_token: String,
    /// Where the report went.
    project: ProjectRef,
    /// Where it stands (`new`).
    state: String,
    /// When it arrived.
    #[serde(with = "time::serde::rfc3339")]
    submitted_at: OffsetDateTime,
    /// When the team promised to acknowledge it, if it did.
    #[serde(with = "time::serde::rfc3339::option")]
    acknowledge_by: Option<OffsetDateTime>,
    /// What the policy has to say about the report.
    notices: Vec<NoticeJson>,
}

/// Submits a report, anonymously or signed in. The answer holds the report's
/// id and a secret follow-up token that reads and answers this report only.
#[utoipa::path(
    post,
    path = "/api/v1/projects/{org}/{project}/reports",
    tag = "reports",
    params(("org" = String, Path), ("project" = String, Path)),
    request_body = SubmissionRequest,
    responses(
        (status = 201, description = "Received and stored", body = ReceiptJson),
        (status = 403, description = "The sender, or the account of the contact address, is banned (`banned`): the message names the rule and whom to write to", body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 413, body = ErrorBody),
        (status = 422, body = ErrorBody),
        (status = 429, description = "Too many reports from this address, account or contact address, or to this project (`rate_limited`); nothing was filed; see Retry-After", body = ErrorBody),
    )
)]
pub(crate) async fn submit_report(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    Path((org, project)): Path<(Slug, Slug)>,
    ClientAddr(client): ClientAddr,
    Json(body): Json<SubmissionRequest>,
) -> Result<(StatusCode, axum::Json<ReceiptJson>), ApiError> {
    let (submission, uploads) = submission(body)?;
    let envelope = Envelope::form(ProjectPath { org, project }, submission, uploads, Channel::Api).from_client(client);
    let receipt = state.app.submit_report(&actor, envelope).await?;
    Ok((
        StatusCode::CREATED,
        axum::Json(ReceiptJson {
            id: receipt.report_id.to_string(),
            followup_token: receipt.followup.expose().to_owned(),
            project: ProjectRef::new(&receipt.org, &receipt.project),
            state: "new".into(),
            submitted_at: receipt.submitted_at,
            acknowledge_by: receipt.acknowledge_by,
            notices: notices_json(&receipt.notices),
        }),
    ))
}

fn submission(body: SubmissionRequest) -> Result<(Submission, Vec<Upload>), ApiError> {
    use base64::Engine as _;
    let uploads = body
        .attachments
        .into_iter()
        .map(|a| {
            let bytes = base64::engine::general_purpose::STANDARD.decode(a.content_base64.trim()).map_err(|_| {
                ApiError::from(embargo_app::AppError::invalid("attachments", "content_base64 holding base64 text"))
            })?;
            Ok(Upload { filename: a.filename, bytes })
        })
        .collect::<Result<Vec<_>, ApiError>>()?;
    let submission = Submission {
        title: body.title,
        body: body.body,
        component: body.component,
        versions_tested: body.versions_tested,
        versions_vulnerable: body.versions_vulnerable,
        lines: body.lines,
        platform: body.platform,
        threat_model: body.threat_model,
        proof_of_concept: body.proof_of_concept,
        patch: body.patch,
        reporter_name: body.reporter_name,
        reporter_email: body.reporter_email,
    };
    Ok((submission, uploads))
}

/// Checks a report against the project's policy without submitting it: what
/// the reporter would be told, or (422) what must change.
#[utoipa::path(
    post,
    path = "/api/v1/projects/{org}/{project}/reports/check",
    tag = "reports",
    params(("org" = String, Path), ("project" = String, Path)),
    request_body = SubmissionRequest,
    responses((status = 200, body = CheckJson), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody))
)]
pub(crate) async fn check_report(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    Path((org, project)): Path<(Slug, Slug)>,
    Json(body): Json<SubmissionRequest>,
) -> Result<axum::Json<CheckJson>, ApiError> {
    let (submission, uploads) = submission(body)?;
    let notices = state.app.check_submission(&actor, &org, &project, &submission, &uploads, Channel::Api).await?;
    Ok(axum::Json(CheckJson { notices: notices_json(&notices) }))
}
