//! The caller's time zone (issue 10): the IANA zone in which pages and mails
//! show them embargo ends and scheduled publications, beside UTC. A user's
//! belongs to their account; a private link's holder (follow-up or
//! invitation token) has their link's own. API answers keep giving times as
//! RFC 3339 whatever the zone.

use axum::extract::State;
use embargo_core::zone::Zone;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::AppState;
use crate::error::{ApiError, ErrorBody};
use crate::extract::{CurrentActor, Json};

/// A time zone to choose.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct TimeZoneRequest {
    /// An IANA time zone name, such as `Europe/Berlin`, `America/New_York` or `UTC`.
    time_zone: String,
}

/// The caller's time zone.
#[derive(Serialize, ToSchema)]
pub(crate) struct TimeZoneJson {
    /// Its canonical IANA name (`UTC` until one is chosen).
    time_zone: String,
}

fn zone_json(zone: &Zone) -> TimeZoneJson {
    TimeZoneJson { time_zone: zone.name().to_owned() }
}

/// The time zone the caller reads dates in: their account's, or their private link's.
#[utoipa::path(
    get,
    path = "/api/v1/time-zone",
    tag = "accounts",
    security(("session" = []), ("bearer" = [])),
    responses(
        (status = 200, body = TimeZoneJson),
        (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody, description = "A shared copy's holder has no time zone")
    )
)]
pub(crate) async fn get_time_zone(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
) -> Result<axum::Json<TimeZoneJson>, ApiError> {
    Ok(axum::Json(zone_json(&state.app.own_time_zone(&actor).await?)))
}

/// Chooses the time zone the caller reads dates in (their account's, or
/// their private link's only). An unknown name is refused and changes nothing.
#[utoipa::path(
    put,
    path = "/api/v1/time-zone",
    tag = "accounts",
    security(("session" = []), ("bearer" = [])),
    request_body = TimeZoneRequest,
    responses(
        (status = 200, body = TimeZoneJson),
        (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody, description = "A shared copy's holder has no time zone"),
        (status = 415, body = ErrorBody),
        (status = 422, body = ErrorBody, description = "Not a time zone name")
    )
)]
pub(crate) async fn put_time_zone(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    Json(body): Json<TimeZoneRequest>,
) -> Result<axum::Json<TimeZoneJson>, ApiError> {
    Ok(axum::Json(zone_json(&state.app.set_time_zone(&actor, &body.time_zone).await?)))
}
