//! The calls Embargo makes to CVE Services (API 2.3.3, the OpenAPI document
//! in `conformance/cve-services/`): the three authentication headers, the
//! paths, and what an answer means (done, refused for good, or worth a retry).

use embargo_core::private::Private;
use serde::Deserialize;

use crate::outbound::{Method, Outbound, OutboundError, OutboundRequest, OutboundResponse};

/// Who calls: an organisation's account.
#[derive(Debug, Clone)]
pub(crate) struct Credentials {
    /// The API's base URL (the part before `/cve-id`), without a final `/`.
    pub(crate) url: String,
    /// `CVE-API-ORG`.
    pub(crate) short_name: String,
    /// `CVE-API-USER`.
    pub(crate) user: String,
    /// `CVE-API-KEY`.
    pub(crate) key: Private<String>,
}

/// How a call went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Answer {
    /// A 2xx, with its body.
    Done(String),
    /// CVE Services refused: bad credentials, or a request it will never take. Not retried.
    Refused {
        /// The HTTP status.
        status: u16,
        /// What CVE Services said (its `error` and `message`, and `details` if any).
        why: String,
        /// Its `error` code (`CVE_RECORD_EXISTS`, ...), if any.
        code: Option<String>,
    },
    /// No answer, or one that says "later" (429, 5xx). Retried.
    Later {
        /// The HTTP status, if any.
        status: Option<u16>,
        /// What went wrong.
        why: String,
    },
}

impl Answer {
    /// The HTTP status, if CVE Services answered.
    pub(crate) fn status(&self) -> Option<u16> {
        match self {
            Answer::Done(_) => Some(200),
            Answer::Refused { status, .. } => Some(*status),
            Answer::Later { status, .. } => *status,
        }
    }

    /// Whether CVE Services answered with this error code.
    pub(crate) fn is(&self, wanted: &str) -> bool {
        matches!(self, Answer::Refused { code: Some(code), .. } if code == wanted)
    }
}

/// CVE Services' error body (`schemas/errors/generic.json`, `bad-request.json`).
#[derive(Debug, Deserialize)]
struct ErrorBody {
    error: Option<String>,
    message: Option<String>,
    details: Option<serde_json::Value>,
}

fn answer(outcome: Result<OutboundResponse, OutboundError>) -> Answer {
    let response = match outcome {
        Ok(response) => response,
        Err(OutboundError::Refused(why)) => {
            return Answer::Refused { status: 0, why: format!("the call may not be made: {why}"), code: None };
        }
        Err(OutboundError::Failed(why)) => return Answer::Later { status: None, why },
    };
    let status = response.status;
    if (200..300).contains(&status) {
        return Answer::Done(response.body);
    }
    let parsed: Option<ErrorBody> = serde_json::from_str(&response.body).ok();
    let code = parsed.as_ref().and_then(|b| b.error.clone());
    let mut why = match &parsed {
        Some(ErrorBody { error, message, .. }) => {
            [error.as_deref(), message.as_deref()].into_iter().flatten().collect::<Vec<_>>().join(": ")
        }
        None => response.body.chars().take(300).collect(),
    };
    if let Some(details) = parsed.as_ref().and_then(|b| b.details.as_ref()) {
        let details = details.to_string();
        why = format!("{why} ({})", details.chars().take(600).collect::<String>());
    }
    let why = match status {
        401 | 403 if code.as_deref() != Some("CVE_RECORD_EXISTS") => {
            format!("CVE Services refused the credentials (HTTP {status}): {why}")
        }
        _ => format!("CVE Services answered HTTP {status}: {why}"),
    };
    if status == 429 || status >= 500 {
        Answer::Later { status: Some(status), why }
    } else {
        Answer::Refused { status, why, code }
    }
}

impl Credentials {
    fn request(&self, path: &str, body: String) -> OutboundRequest {
        OutboundRequest {
            url: format!("{}{path}", self.url),
            headers: vec![
                ("content-type", "application/json".to_owned()),
                ("CVE-API-ORG", self.short_name.clone()),
                ("CVE-API-USER", self.user.clone()),
                ("CVE-API-KEY", self.key.expose().clone()),
            ],
            body,
        }
    }

    /// `GET /org/{short_name}`: the organisation, to check the credentials and learn its UUID.
    pub(crate) async fn organisation(&self, http: &dyn Outbound) -> Answer {
        let path = format!("/org/{}", self.short_name);
        answer(http.call(Method::Get, self.request(&path, String::new())).await)
    }

    /// `POST /cve-id`: reserves `amount` ids of `year`, in sequence.
    pub(crate) async fn reserve(&self, http: &dyn Outbound, amount: u32, year: i32) -> Answer {
        let mut path = format!("/cve-id?amount={amount}&cve_year={year}&short_name={}", self.short_name);
        if amount > 1 {
            path.push_str("&batch_type=sequential");
        }
        answer(http.call(Method::Post, self.request(&path, String::new())).await)
    }

    /// `POST` or `PUT /cve/{id}/{what}` (`cna` or `reject`) with `{"cnaContainer": container}`.
    pub(crate) async fn container(
        &self,
        http: &dyn Outbound,
        method: Method,
        cve: &str,
        what: &str,
        container: &serde_json::Value,
    ) -> Answer {
        let body = serde_json::json!({ "cnaContainer": container }).to_string();
        answer(http.call(method, self.request(&format!("/cve/{cve}/{what}"), body)).await)
    }
}

/// The ids in a reservation's answer (`schemas/cve-id/create-cve-ids-response.json`).
pub(crate) fn reserved_ids(body: &str) -> Result<Vec<String>, String> {
    #[derive(Deserialize)]
    struct Reserved {
        cve_ids: Vec<Entry>,
    }
    #[derive(Deserialize)]
    struct Entry {
        cve_id: String,
    }
    let reserved: Reserved =
        serde_json::from_str(body).map_err(|e| format!("CVE Services' answer to a reservation does not read: {e}"))?;
    Ok(reserved.cve_ids.into_iter().map(|e| e.cve_id).collect())
}

/// The UUID in an organisation's answer (`schemas/org/get-org-response.json`).
pub(crate) fn organisation_uuid(body: &str) -> Option<String> {
    #[derive(Deserialize)]
    struct Org {
        #[serde(rename = "UUID")]
        uuid: String,
    }
    serde_json::from_str::<Org>(body).ok().map(|o| o.uuid)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn response(status: u16, body: &str) -> Result<OutboundResponse, OutboundError> {
        Ok(OutboundResponse { status, body: body.to_owned() })
    }

    #[test]
    fn answers_are_done_refused_or_for_later() {
        assert_eq!(answer(response(200, "{}")), Answer::Done("{}".into()));
        let bad = answer(response(401, r#"{"error":"UNAUTHORIZED","message":"Unauthorized"}"#));
        assert!(matches!(&bad, Answer::Refused { status: 401, why, .. } if why.contains("refused the credentials")));
        let exists = answer(response(403, r#"{"error":"CVE_RECORD_EXISTS","message":"exists"}"#));
        assert!(exists.is("CVE_RECORD_EXISTS"));
        assert!(matches!(answer(response(503, "busy")), Answer::Later { status: Some(503), .. }));
        assert!(matches!(answer(Err(OutboundError::Failed("x".into()))), Answer::Later { status: None, .. }));
        assert!(matches!(answer(Err(OutboundError::Refused("x".into()))), Answer::Refused { .. }));
    }

    #[test]
    fn reservations_and_organisations_are_read() {
        let body = r#"{"cve_ids":[{"cve_id":"CVE-2026-10000","state":"RESERVED"}],"meta":{"remaining_quota":9}}"#;
        assert_eq!(reserved_ids(body).unwrap(), vec!["CVE-2026-10000"]);
        assert!(reserved_ids("[]").is_err());
        assert_eq!(organisation_uuid(r#"{"short_name":"acme","UUID":"u-1"}"#).as_deref(), Some("u-1"));
    }
}
