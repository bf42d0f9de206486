//! The Cyber Resilience Act section of the report page (the team only): start the reporting
//! clocks, see each stage's due time (in the offset awareness was given in, and UTC), record a
//! stage as filed with ENISA's reference, state the details for ENISA, and open each stage's
//! content as JSON or text. Every form works without JavaScript.

use axum::extract::State;
use axum::response::Response;
use embargo_app::{CraDetailsInput, CraDue, CraView, FixSource};
use embargo_core::Timestamp;
use embargo_core::cra::{CraKind, CraStage, Sensitivity};
use embargo_core::embargo::Moment;

use super::Path;
use super::form::apply_errors;
use super::reports::{Kept, reshow, visible_report};
use super::{FormData, PageError, Viewer, fixable, form_status, see_other};
use crate::AppState;

/// One stage as the page lists it.
pub(super) struct CraStageRow {
    pub(super) stage: String,
    pub(super) title: String,
    pub(super) article: String,
    pub(super) due: String,
    pub(super) overdue: bool,
    pub(super) filed: Option<(String, String)>,
}

/// A detail field of the form: name, label, hint, current value, multi-line.
pub(super) struct CraField {
    pub(super) name: &'static str,
    pub(super) label: &'static str,
    pub(super) hint: &'static str,
    pub(super) value: String,
}

/// The section: the start form before the clocks run, the stages and forms after.
pub(super) struct CraSection {
    pub(super) started: bool,
    pub(super) kind: String,
    pub(super) role: String,
    pub(super) aware: String,
    pub(super) fix: String,
    pub(super) stages: Vec<CraStageRow>,
    pub(super) member_states: String,
    /// The sensitivity options: value, label, chosen.
    pub(super) sensitivities: Vec<(String, String, bool)>,
    pub(super) fields: Vec<CraField>,
    pub(super) errors: Vec<String>,
}

fn both(at: Timestamp, like: &Moment) -> String {
    Moment { at, offset: like.offset }.both()
}

/// The section for the team, from its clocks (none: not started), with a form's problems.
pub(super) fn cra_section(view: Option<CraView>, now: Timestamp, errors: Vec<String>) -> CraSection {
    let Some(view) = view else {
        return CraSection {
            started: false,
            kind: String::new(),
            role: String::new(),
            aware: String::new(),
            fix: String::new(),
            stages: Vec::new(),
            member_states: String::new(),
            sensitivities: Vec::new(),
            fields: Vec::new(),
            errors,
        };
    };
    let d = &view.details;
    let text = |v: &Option<String>| v.clone().unwrap_or_default();
    let incident = view.kind == CraKind::SevereIncident;
    let fields = vec![
        CraField {
            name: "exploit",
            label: if incident { "Nature of the incident" } else { "General nature of the exploit" },
            hint: "How it is exploited or what happened, in general terms.",
            value: text(&d.exploit),
        },
        CraField {
            name: "impact",
            label: if incident { "Initial assessment, then severity and impact" } else { "Severity and impact" },
            hint: "For the notification and the final report.",
            value: text(&d.impact),
        },
        CraField {
            name: "measures_taken",
            label: "Corrective or mitigating measures taken",
            hint: "What the organisation did.",
            value: text(&d.measures_taken),
        },
        CraField {
            name: "measures_for_users",
            label: "Corrective or mitigating measures users can take",
            hint: "What users should do now.",
            value: text(&d.measures_for_users),
        },
        CraField {
            name: "malicious_actor",
            label: if incident { "Suspected unlawful or malicious acts" } else { "Malicious actor" },
            hint: "What is known, if anything.",
            value: text(&d.malicious_actor),
        },
        CraField {
            name: "security_update",
            label: "Security update or other corrective measures made available",
            hint: "For the final report: versions, where to get them.",
            value: text(&d.security_update),
        },
        CraField {
            name: "root_cause",
            label: "Type of threat or root cause",
            hint: "For an incident's final report.",
            value: text(&d.root_cause),
        },
    ];
    CraSection {
        started: true,
        kind: view.kind.title().to_owned(),
        role: view.role.title().to_owned(),
        aware: view.aware_at.both(),
        fix: match view.fix_available_at {
            Some((at, FixSource::Stated)) => format!("{} (as the team stated)", both(at, &view.aware_at)),
            Some((at, FixSource::ReportFixed)) => format!("{} (when the report was fixed)", both(at, &view.aware_at)),
            None => "Not yet".to_owned(),
        },
        stages: view
            .stages
            .iter()
            .map(|s| CraStageRow {
                stage: s.stage.as_str().to_owned(),
                title: s.stage.title().to_owned(),
                article: view.kind.article(s.stage).to_owned(),
                due: match s.due {
                    CraDue::At(m) => m.both(),
                    CraDue::AfterFix => "14 days after a fix or mitigation is available".to_owned(),
                    CraDue::AfterNotification => "One month after the notification is filed".to_owned(),
                },
                overdue: s.overdue(now),
                filed: s.filing.as_ref().map(|f| (both(f.filed_at, &view.aware_at), f.reference.clone())),
            })
            .collect(),
        member_states: d.member_states.join(", "),
        sensitivities: std::iter::once((String::new(), "Not stated".to_owned(), d.sensitivity.is_none()))
            .chain(
                [
                    Sensitivity::Clear,
                    Sensitivity::Green,
                    Sensitivity::Amber,
                    Sensitivity::AmberStrict,
                    Sensitivity::Red,
                ]
                .into_iter()
                .map(|s| (s.as_str().to_owned(), s.label().to_owned(), d.sensitivity == Some(s))),
            )
            .collect(),
        fields,
        errors,
    }
}

async fn answer<T>(
    state: &AppState,
    viewer: &Viewer,
    id: &str,
    result: Result<T, embargo_app::AppError>,
) -> Result<Response, PageError> {
    match result {
        Ok(_) => Ok(see_other(&format!("/reports/{id}#cra"))),
        Err(e) if fixable(&e) => {
            let kept = Kept::cra(apply_errors(&mut [], &e));
            reshow(state, viewer, id, kept, form_status(&e)).await
        }
        Err(e) => Err(e.into()),
    }
}

/// `POST /reports/{id}/cra`: starts the clocks (`kind`, `aware_at`).
pub(crate) async fn start(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    form: FormData,
) -> Result<Response, PageError> {
    let (_, actor) = visible_report(&state, &viewer, &id).await?;
    let report = crate::extract::report_id(&id)?;
    let result = state
        .app
        .start_cra(&actor, report, &form.get("kind"), &form.get("aware_at"), &CraDetailsInput::default())
        .await;
    answer(&state, &viewer, &id, result).await
}

/// `POST /reports/{id}/cra/details`: the details for ENISA and the time a fix became available.
pub(crate) async fn details(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    form: FormData,
) -> Result<Response, PageError> {
    let (_, actor) = visible_report(&state, &viewer, &id).await?;
    // Only the fields the form sent: an empty one clears what was stated.
    let given = |name: &str| form.has(name).then(|| form.get(name));
    let input = CraDetailsInput {
        member_states: given("member_states").map(|v| v.split([',', ' ']).map(str::to_owned).collect()),
        sensitivity: given("sensitivity"),
        exploit: given("exploit"),
        measures_taken: given("measures_taken"),
        measures_for_users: given("measures_for_users"),
        malicious_actor: given("malicious_actor"),
        impact: given("impact"),
        security_update: given("security_update"),
        root_cause: given("root_cause"),
        fix_available_at: form.opt("fix_available_at"),
    };
    let result = state.app.update_cra(&actor, crate::extract::report_id(&id)?, &input).await;
    answer(&state, &viewer, &id, result).await
}

/// `POST /reports/{id}/cra/stages/{stage}`: records a stage as filed (`reference`, optional `filed_at`).
pub(crate) async fn file(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((id, stage)): Path<(String, String)>,
    form: FormData,
) -> Result<Response, PageError> {
    let (_, actor) = visible_report(&state, &viewer, &id).await?;
    let report = crate::extract::report_id(&id)?;
    // An unknown stage is a page that does not exist.
    stage.parse::<CraStage>().map_err(|_| embargo_app::AppError::NotFound)?;
    let filed_at = form.opt("filed_at");
    let result = state.app.file_cra_stage(&actor, report, &stage, &form.get("reference"), filed_at.as_deref()).await;
    answer(&state, &viewer, &id, result).await
}
