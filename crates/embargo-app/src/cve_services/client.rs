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

    /// `GET /cve-id`: one page of the organisation's RESERVED ids reserved
    /// after `after` and before `before` (RFC 3339 times; the filters the
    /// OpenAPI document names `time_reserved.gt` and `time_reserved.lt`).
    pub(crate) async fn reserved_page(&self, http: &dyn Outbound, after: &str, before: &str, page: u32) -> Answer {
        let path = format!("/cve-id?state=RESERVED&time_reserved.gt={after}&time_reserved.lt={before}&page={page}");
        answer(http.call(Method::Get, self.request(&path, String::new())).await)
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

/// One id of a listing (`schemas/cve-id/list-cve-ids-response.json`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub(crate) struct Listed {
    /// The id.
    pub(crate) cve_id: String,
    /// The CNA that owns it.
    #[serde(default)]
    pub(crate) owning_cna: String,
    /// Who reserved it.
    #[serde(default)]
    pub(crate) requested_by: RequestedBy,
    /// When it was reserved (RFC 3339).
    #[serde(default)]
    pub(crate) reserved: String,
}

/// Who reserved an id.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub(crate) struct RequestedBy {
    /// The CNA's short name.
    #[serde(default)]
    pub(crate) cna: String,
    /// The user name.
    #[serde(default)]
    pub(crate) user: String,
}

/// The ids of one page of a listing, and the next page's number when there is one.
pub(crate) fn listed_ids(body: &str) -> Result<(Vec<Listed>, Option<u32>), String> {
    #[derive(Deserialize)]
    struct Page {
        cve_ids: Vec<Listed>,
        #[serde(rename = "nextPage")]
        next_page: Option<u32>,
    }
    let page: Page =
        serde_json::from_str(body).map_err(|e| format!("CVE Services' list of reserved ids does not read: {e}"))?;
    Ok((page.cve_ids, page.next_page))
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

    #[test]
    fn listings_are_read_with_their_next_page() {
        let body = r#"{"totalCount":3,"itemsPerPage":2,"pageCount":2,"currentPage":1,"nextPage":2,
            "cve_ids":[{"cve_id":"CVE-2026-10000","owning_cna":"acme","state":"RESERVED",
            "requested_by":{"cna":"acme","user":"a@acme"},"reserved":"2026-05-04T09:00:00.000Z"}]}"#;
        let (ids, next) = listed_ids(body).unwrap();
        assert_eq!(next, Some(2));
        assert_eq!((ids[0].cve_id.as_str(), ids[0].requested_by.user.as_str()), ("CVE-2026-10000", "a@acme"));
        let (_, last) = listed_ids(r#"{"cve_ids":[]}"#).unwrap();
        assert_eq!(last, None);
        assert!(listed_ids("{}").is_err());
    }
}
