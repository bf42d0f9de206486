//! The audit log for administrators: its current signed checkpoint, and its
//! events filtered by report, person and time. Events hold ids, actions and
//! states, never private text.

use axum::extract::State;
use axum::http::StatusCode;
use embargo_app::AuditQuery;
use embargo_store::audit::AuditRecord;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::{IntoParams, ToSchema};

use crate::AppState;
use crate::error::{ApiError, ErrorBody};
use crate::extract::{CurrentActor, Query};

/// A signed checkpoint of the audit log.
#[derive(Serialize, ToSchema)]
pub(crate) struct CheckpointJson {
    /// How many events the log held.
    events: u64,
    /// The last event's hash, as hex.
    head: String,
    /// When the checkpoint was made.
    #[serde(with = "time::serde::rfc3339")]
    time: OffsetDateTime,
    /// The signed text, for `embargo audit verify --checkpoint FILE`.
    text: String,
}

/// Which events to list.
#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub(crate) struct AuditListQuery {
    /// Only events about this report (its id).
    #[param(format = Uuid)]
    report: Option<String>,
    /// Only events done by this person (their user id).
    #[param(format = Uuid)]
    person: Option<String>,
    /// Only events at or after this time (RFC 3339).
    #[param(format = DateTime)]
    since: Option<String>,
    /// Only events before this time (RFC 3339).
    #[param(format = DateTime)]
    until: Option<String>,
    /// Only events before this sequence number (the next page). Event numbers are
    /// 63-bit, as the database stores them.
    #[param(value_type = Option<i64>, minimum = 0)]
    before: Option<u64>,
    /// At most this many (default 100; a larger number counts as 500).
    #[param(value_type = Option<u64>, maximum = 4294967295.0)]
    limit: Option<u32>,
}

/// One audit event.
#[derive(Serialize, ToSchema)]
pub(crate) struct AuditEventJson {
    /// Its position in the chain, from 1.
    seq: u64,
    /// When it happened.
    #[serde(with = "time::serde::rfc3339")]
    at: OffsetDateTime,
    /// Who did it (`user:ID`, `anonymous`, `cli`, ...).
    actor: String,
    /// What happened (`report.submitted`).
    action: String,
    /// What it happened to (`report:ID`).
    subject: String,
    /// Non-private facts about it.
    #[schema(value_type = Object)]
    details: serde_json::Value,
}

impl From<&AuditRecord> for AuditEventJson {
    fn from(record: &AuditRecord) -> Self {
        AuditEventJson {
            seq: record.seq,
            at: record.at,
            actor: record.actor.clone(),
            action: record.action.clone(),
            subject: record.subject.clone(),
            details: serde_json::from_str(&record.details).unwrap_or(serde_json::Value::Null),
        }
    }
}

fn bad_query(message: &'static str) -> ApiError {
    ApiError::new(StatusCode::BAD_REQUEST, "invalid_query", message)
}

fn time_param(value: Option<&str>, message: &'static str) -> Result<Option<OffsetDateTime>, ApiError> {
    value
        .map(|v| OffsetDateTime::parse(v, &time::format_description::well_known::Rfc3339))
        .transpose()
        .map_err(|_| bad_query(message))
}

/// The current signed checkpoint of the audit log (administrators). Keep a
/// copy outside the server; `embargo audit verify --checkpoint FILE` later
/// shows whether the log still extends it.
#[utoipa::path(
    get,
    path = "/api/v1/audit/checkpoint",
    tag = "audit",
    security(("session" = []), ("bearer" = [])),
    responses((status = 200, body = CheckpointJson), (status = 404, body = ErrorBody))
)]
pub(crate) async fn get_checkpoint(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
) -> Result<axum::Json<CheckpointJson>, ApiError> {
    let current = state.app.audit_checkpoint(&actor).await?;
    let head = current.checkpoint.head.iter().map(|b| format!("{b:02x}")).collect();
    Ok(axum::Json(CheckpointJson {
        events: current.checkpoint.events,
        head,
        time: current.checkpoint.time,
        text: current.text,
    }))
}

/// Audit events, newest first, filtered by report, person and time (administrators).
#[utoipa::path(
    get,
    path = "/api/v1/audit/events",
    tag = "audit",
    params(AuditListQuery),
    security(("session" = []), ("bearer" = [])),
    responses((status = 200, body = [AuditEventJson]), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody))
)]
pub(crate) async fn list_events(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    Query(query): Query<AuditListQuery>,
) -> Result<axum::Json<Vec<AuditEventJson>>, ApiError> {
    let report =
        query.report.as_deref().map(str::parse).transpose().map_err(|_| bad_query("report must be a report id"))?;
    let person =
        query.person.as_deref().map(str::parse).transpose().map_err(|_| bad_query("person must be a user id"))?;
    let since = time_param(query.since.as_deref(), "since must be an RFC 3339 time")?;
    let until = time_param(query.until.as_deref(), "until must be an RFC 3339 time")?;
    if query.before.is_some_and(|n| i64::try_from(n).is_err()) {
        return Err(bad_query("before must be an event number (at most 9223372036854775807)"));
    }
    let query = AuditQuery { report, person, since, until, before: query.before, limit: query.limit };
    let events = state.app.audit_events(&actor, query).await?;
    Ok(axum::Json(events.iter().map(AuditEventJson::from).collect()))
}
