//! The CVE Services client (issue 11): an organisation whose policy's CNA
//! mode is `cve-services` stores its CVE Services credentials (checked against
//! CVE Services when set; the API key sealed at rest). Embargo then reserves
//! ids (on demand from the advisory, and keeping a small pool topped up when
//! the organisation asks for one), publishes the CNA container when the
//! advisory is published, updates it when a new revision is published, and
//! rejects the id when the advisory is withdrawn or the id is released
//! ([`release`]: taken off an advisory that never published it).
//!
//! Each of these is an operation (`cve_operations`) carried out by a leased
//! job of kind [`OPERATION_KIND`]: the operation's id is its idempotency key
//! (one that is done is never done again, whichever replica runs the job),
//! failures for later (no answer, 429, 5xx) are retried after
//! [`RETRY_AFTER`], refusals (bad credentials, a record CVE Services does not
//! take) fail the operation at once and change nothing else. Outcomes show on
//! the advisory and in the audit log; a reserved id given to an advisory emits
//! [`Event::CveReserved`], a publication [`Event::CvePublished`], a rejection
//! [`Event::CveRejected`].
//!
//! Before each reservation call an intent is noted with a reconciling job
//! ([`reconcile`]), so ids CVE Services reserved but Embargo never stored (no
//! answer, or a crash) are found and adopted into the pool.

mod client;
pub(crate) mod reconcile;
pub(crate) mod release;

use std::sync::Arc;

use async_trait::async_trait;
use embargo_core::Timestamp;
use embargo_core::advisory::{Advisory, AdvisoryState};
use embargo_core::id::{AdvisoryId, AliasId, CveId, CveOperationId, JobId, OrgId};
use embargo_core::permission::{Action, Actor};
use embargo_core::policy::CnaMode;
use embargo_core::private::Private;
use embargo_core::text::{FieldErrors, Slug, TextError};
use embargo_store::cve_services::{CveAttempt, CveOperation, CveOperationKind, CveOperationState, CveServicesAccount};
use embargo_store::jobs::NewJob;
use embargo_store::{StoreExt, Writer};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::audit::record;
use crate::entropy::{Entropy, NewIds};
use crate::events::{Event, emit};
use crate::jobs::DeliveryError;
use crate::outbound::Method;
use crate::policies::project_policy;
use crate::subscribers::Subscriber;
use crate::{App, AppError, require};
use client::{Answer, Credentials};

/// The job kind of one attempt at an operation.
pub(crate) const OPERATION_KIND: &str = "cve_services_operation";

/// How long to wait before each retry of an operation that got no answer
/// (or a 429 or 5xx); then it fails.
pub const RETRY_AFTER: [time::Duration; 5] = [
    time::Duration::minutes(1),
    time::Duration::minutes(5),
    time::Duration::minutes(30),
    time::Duration::hours(2),
    time::Duration::hours(6),
];

/// The largest pool of reserved ids an organisation may keep at hand.
pub const MAX_POOL: u32 = 20;
/// Operations shown per advisory.
const OPERATIONS_SHOWN: u32 = 20;

/// Credentials as typed.
#[derive(Debug, Clone)]
pub struct CveServicesInput {
    /// The API's base URL: the part before `/cve-id` (`https://cveawg.mitre.org/api`).
    pub url: String,
    /// The CNA's short name.
    pub short_name: String,
    /// The CVE Services user name.
    pub user: String,
    /// The API key.
    pub api_key: Private<String>,
    /// How many unassigned reserved ids to keep at hand (none: 0).
    pub pool_size: Option<u32>,
}

/// What an organisation's administrators see of its CVE Services account: never the key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CveServicesStatus {
    /// The account, when credentials are set.
    pub account: Option<CveServicesAccount>,
    /// Reserved ids no advisory has yet.
    pub unassigned: Vec<CveId>,
}

/// The payload of an operation's job.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct OperationJob {
    #[serde(with = "crate::events::as_text")]
    operation: CveOperationId,
}

fn field(field: &'static str, reason: String) -> AppError {
    AppError::Invalid(FieldErrors(vec![TextError::Refused { field, reason }]))
}

fn one_line(name: &'static str, value: &str, max: usize) -> Result<String, AppError> {
    let value = value.trim();
    if value.is_empty() || value.chars().count() > max || value.chars().any(char::is_control) {
        return Err(field(name, format!("one line of 1 to {max} characters")));
    }
    Ok(value.to_owned())
}

/// Checks typed credentials; answers them cleaned (the URL without a final `/`).
fn check_input(input: &CveServicesInput) -> Result<(String, String, String, u32), AppError> {
    let url = input.url.trim().trim_end_matches('/');
    let rest = url.strip_prefix("https://").or_else(|| url.strip_prefix("http://"));
    let host = rest.and_then(|r| r.split(['/', '?', '#']).next()).unwrap_or("");
    if rest.is_none()
        || host.is_empty()
        || host.contains('@')
        || url.contains(['?', '#'])
        || !url.chars().all(|c| c.is_ascii_graphic())
        || url.len() > 500
    {
        return Err(field("url", "an http or https URL with a host, without user, query or fragment".into()));
    }
    let short_name = one_line("short_name", &input.short_name, 32)?;
    if short_name.chars().count() < 2 || !short_name.chars().all(|c| c.is_ascii_alphanumeric() || "_-".contains(c)) {
        return Err(field("short_name", "the CNA's short name: 2 to 32 letters, digits, _ or -".into()));
    }
    let user = one_line("user", &input.user, 128)?;
    one_line("api_key", input.api_key.expose(), 256)?;
    let pool = input.pool_size.unwrap_or(0);
    if pool > MAX_POOL {
        return Err(field("pool_size", format!("0 to {MAX_POOL}")));
    }
    Ok((url.to_owned(), short_name, user, pool))
}

/// The CVE alias of an advisory's working copy, if any.
fn draft_cve(advisory: &Advisory) -> Option<CveId> {
    advisory.draft.aliases.iter().find_map(AliasId::cve)
}

/// Queues an operation and the job of its first attempt; `false` when
/// `source` already queued one (a retried job).
#[allow(clippy::too_many_arguments)]
pub(crate) async fn queue(
    tx: &mut dyn Writer,
    ids: &dyn Entropy,
    now: Timestamp,
    org: OrgId,
    advisory: Option<&AdvisoryId>,
    kind: CveOperationKind,
    cve: Option<CveId>,
    source: Option<String>,
) -> Result<bool, AppError> {
    let operation = CveOperation {
        id: ids.cve_operation_id()?,
        org_id: org,
        advisory_id: advisory.cloned(),
        kind,
        cve_id: cve,
        state: CveOperationState::Pending,
        attempts: 0,
        created_at: now,
        last_attempt_at: None,
        last_status: None,
        last_error: None,
        finished_at: None,
    };
    let source = source.unwrap_or_else(|| format!("operation:{}", operation.id));
    if !tx.insert_cve_operation(&operation, &source).await? {
        return Ok(false);
    }
    schedule(tx, ids, now, now, operation.id).await?;
    Ok(true)
}

/// Queues the job of one attempt at `at`.
async fn schedule(
    tx: &mut dyn Writer,
    ids: &dyn Entropy,
    now: Timestamp,
    at: Timestamp,
    operation: CveOperationId,
) -> Result<(), AppError> {
    let payload = serde_json::to_value(OperationJob { operation })
        .map_err(|e| AppError::Internal(format!("operation payload: {e}")))?;
    tx.enqueue_job(&NewJob { id: ids.job_id()?, kind: OPERATION_KIND.to_owned(), payload, run_at: at }, now).await?;
    Ok(())
}

/// Gives `cve` to the advisory: recorded as assigned, added to its aliases,
/// audited and told (`Event::CveReserved`).
async fn give(
    tx: &mut dyn Writer,
    ids: &dyn Entropy,
    now: Timestamp,
    actor: &Actor,
    advisory: &mut Advisory,
    cve: CveId,
) -> Result<(), AppError> {
    tx.assign_cve(advisory.org_id, &cve, &advisory.id, now).await?;
    advisory.draft.aliases.push(AliasId::from(cve.clone()));
    advisory.updated_at = now;
    tx.update_advisory(advisory).await?;
    let details = json!({"cve": cve.as_str(), "source": "cve-services"});
    record(tx, now, actor, "advisory.cve_assigned", format!("advisory:{}", advisory.id), details).await?;
    emit(tx, ids, now, &Event::CveReserved { advisory: advisory.id.clone(), cve }).await
}

/// Queues a reservation that tops the organisation's pool up to its size, when it is short.
async fn top_up(
    tx: &mut dyn Writer,
    ids: &dyn Entropy,
    now: Timestamp,
    account: &CveServicesAccount,
) -> Result<(), AppError> {
    let unassigned = tx.unassigned_reserved_cves(account.org_id).await?.len();
    if account.pool_size as usize > unassigned {
        queue(tx, ids, now, account.org_id, None, CveOperationKind::Reserve, None, None).await?;
    }
    Ok(())
}

/// The CVE Services part of taking a CVE id for an advisory (`App::assign_cve`
/// in `cve-services` mode, once the report is found eligible): an id from the
/// organisation's pool when one is at hand, else a reservation queued.
pub(crate) async fn take_for_advisory(
    tx: &mut dyn Writer,
    ids: &dyn Entropy,
    now: Timestamp,
    actor: &Actor,
    advisory: &mut Advisory,
) -> Result<(), AppError> {
    let Some(account) = tx.cve_services_account(advisory.org_id).await? else {
        return Err(AppError::CveUnavailable(
            "the organisation has not set its CVE Services credentials (PUT /api/v1/orgs/{org}/cve-services)".into(),
        ));
    };
    if let Some(cve) = tx.unassigned_reserved_cves(advisory.org_id).await?.into_iter().next() {
        give(tx, ids, now, actor, advisory, cve).await?;
        return top_up(tx, ids, now, &account).await;
    }
    let pending = tx.cve_operations_of(&advisory.id, OPERATIONS_SHOWN).await?;
    if pending.iter().any(|o| o.kind == CveOperationKind::Reserve && o.state == CveOperationState::Pending) {
        return Ok(());
    }
    queue(tx, ids, now, advisory.org_id, Some(&advisory.id), CveOperationKind::Reserve, None, None).await?;
    let details = json!({"source": "cve-services"});
    record(tx, now, actor, "advisory.cve_reservation_queued", format!("advisory:{}", advisory.id), details).await
}

impl App {
    /// The organisation, once `actor` may manage its CVE Services account
    /// (its administrators: instance administrators and its organisation-level
    /// team); others are told it is not found.
    async fn cve_services_org(&self, actor: &Actor, org: &Slug) -> Result<OrgId, AppError> {
        let org = self.organisation(org).await?;
        require(actor, Action::ManageOrganisation(org.id)).map_err(|e| match e {
            AppError::Forbidden | AppError::Unauthenticated if *actor != Actor::Anonymous => AppError::NotFound,
            e => e,
        })?;
        Ok(org.id)
    }

    /// Whether an organisation's credentials are set (never the key), and its unassigned reserved ids.
    pub async fn cve_services(&self, actor: &Actor, org: &Slug) -> Result<CveServicesStatus, AppError> {
        let org = self.cve_services_org(actor, org).await?;
        let mut reader = self.store.reader().await?;
        let account = reader.cve_services_account(org).await?;
        let unassigned = reader.unassigned_reserved_cves(org).await?;
        Ok(CveServicesStatus { account, unassigned })
    }

    /// Sets an organisation's CVE Services credentials, once CVE Services
    /// accepted them (`GET /org/{short_name}`, which also gives the CNA's
    /// UUID). Credentials it refuses are not stored, and the error says why.
    pub async fn set_cve_services(
        &self,
        actor: &Actor,
        org: &Slug,
        input: CveServicesInput,
    ) -> Result<CveServicesStatus, AppError> {
        let org_id = self.cve_services_org(actor, org).await?;
        let (url, short_name, user, pool_size) = check_input(&input)?;
        let credentials =
            Credentials { url: url.clone(), short_name: short_name.clone(), user: user.clone(), key: input.api_key };
        let cna_org_id = match credentials.organisation(self.outbound.as_ref()).await {
            Answer::Done(body) => client::organisation_uuid(&body)
                .ok_or_else(|| field("url", "CVE Services' answer names no organisation UUID".into()))?,
            Answer::Refused { status: 401 | 403, why, .. } => return Err(field("api_key", why)),
            Answer::Refused { status: 404, why, .. } => return Err(field("short_name", why)),
            Answer::Refused { why, .. } | Answer::Later { why, .. } => {
                return Err(field("url", format!("CVE Services could not be reached or refused the call: {why}")));
            }
        };
        let account =
            CveServicesAccount { org_id, url, short_name, user, cna_org_id, pool_size, updated_at: self.now() };
        let (now, actor, entropy, key) =
            (self.now(), actor.clone(), Arc::clone(&self.entropy), credentials.key.clone());
        let stored = account.clone();
        self.store
            .write(move |tx| {
                Box::pin(async move {
                    tx.put_cve_services_account(&stored, &key).await?;
                    let details = json!({"url": stored.url, "short_name": stored.short_name, "user": stored.user,
                        "pool_size": stored.pool_size});
                    record(tx, now, &actor, "org.cve_services_set", format!("org:{}", stored.org_id), details).await?;
                    top_up(tx, entropy.as_ref(), now, &stored).await
                })
            })
            .await?;
        self.cve_services(&Actor::Operator, org).await
    }

    /// The CNA of an organisation's CVE records (its short name and UUID in
    /// CVE Services), when its credentials are set.
    pub async fn cna_of(&self, org: OrgId) -> Result<Option<embargo_formats::cve::Cna>, AppError> {
        let account = self.store.reader().await?.cve_services_account(org).await?;
        Ok(account.and_then(|a| {
            let org_id = a.cna_org_id.parse().ok()?;
            Some(embargo_formats::cve::Cna { org_id, short_name: a.short_name })
        }))
    }

    /// The CVE record of a published advisory whose organisation has a CNA
    /// identity in CVE Services; not found for drafts, withdrawn advisories
    /// and advisories without a CVE alias.
    pub async fn cve_record(&self, id: &str) -> Result<serde_json::Value, AppError> {
        let document = self.published_document(id).await?;
        let cna = self.cna_of(document.org.id).await?.ok_or(AppError::NotFound)?;
        let page = format!("{}/advisories/{}", self.config.public_url, document.advisory.id);
        let (_, record) =
            embargo_formats::cve::record(&document.document(&page), &cna).map_err(|_| AppError::NotFound)?;
        Ok(record)
    }

    /// Queues the operation an advisory event calls for (the
    /// [`CveServicesSync`] subscriber's work); a retried `job` queues none twice.
    async fn queue_cve_sync(&self, job: JobId, event: &Event) -> Result<(), AppError> {
        let (now, entropy) = (self.now(), Arc::clone(&self.entropy));
        if let Event::StateChanged { report, to, .. } = event {
            if !release::releases(*to) {
                return Ok(());
            }
            let (report, source) = (*report, format!("job:{job}"));
            return self
                .store
                .write(move |tx| {
                    Box::pin(async move { release::release_declined(tx, entropy.as_ref(), now, report, &source).await })
                })
                .await;
        }
        let (id, kind) = match event {
            Event::AdvisoryPublished { advisory } => (advisory.clone(), CveOperationKind::Publish),
            Event::AdvisoryRevised { advisory, .. } => (advisory.clone(), CveOperationKind::Update),
            Event::AdvisoryWithdrawn { advisory } => (advisory.clone(), CveOperationKind::Reject),
            _ => return Ok(()),
        };
        self.store
            .write(move |tx| {
                Box::pin(async move {
                    let Some(published) = tx.published_advisory(&id).await? else { return Ok(()) };
                    let Some(cve) = published.revision.content.cve_id() else { return Ok(()) };
                    let org = tx.organisation(published.org_id).await?.ok_or(AppError::NotFound)?;
                    let project = tx.project(published.project_id).await?.ok_or(AppError::NotFound)?;
                    if project_policy(tx, &org, &project).await?.advisories.cna.value != CnaMode::CveServices
                        || tx.cve_services_account(org.id).await?.is_none()
                    {
                        return Ok(());
                    }
                    let source = Some(format!("job:{job}"));
                    queue(tx, entropy.as_ref(), now, org.id, Some(&id), kind, Some(cve), source).await.map(drop)
                })
            })
            .await
    }

    /// Makes one attempt at an operation and records it.
    pub(crate) async fn attempt_cve_operation(&self, job: OperationJob) -> Result<(), DeliveryError> {
        let temporary = |e: AppError| DeliveryError::Temporary(e.to_string());
        let mut reader = self.store.reader().await.map_err(|e| temporary(e.into()))?;
        let Some(operation) = reader.cve_operation(job.operation).await.map_err(|e| temporary(e.into()))? else {
            return Ok(());
        };
        if operation.state != CveOperationState::Pending {
            return Ok(());
        }
        let account = reader.cve_services_account(operation.org_id).await.map_err(|e| temporary(e.into()))?;
        let key = reader.cve_services_key(operation.org_id).await.map_err(|e| temporary(e.into()))?;
        let unassigned = reader.unassigned_reserved_cves(operation.org_id).await.map_err(|e| temporary(e.into()))?;
        let open = reader.open_reservation_intents(operation.org_id).await.map_err(|e| temporary(e.into()))?;
        drop(reader);
        let now = self.now();
        let (Some(account), Some(key)) = (account, key) else {
            let why = "the organisation's CVE Services credentials are not set".to_owned();
            return self.settle_cve(&operation, now, Answer::Refused { status: 0, why, code: None }, None, None).await;
        };
        let credentials = Credentials {
            url: account.url.clone(),
            short_name: account.short_name.clone(),
            user: account.user.clone(),
            key,
        };
        let http = self.outbound.as_ref();
        let (answer, reserved, answered) = match operation.kind {
            CveOperationKind::Reserve => {
                let wanted = account.pool_size as usize + usize::from(operation.advisory_id.is_some());
                let amount = wanted.saturating_sub(unassigned.len());
                if amount == 0 {
                    (Answer::Done(String::new()), Vec::new(), None)
                } else {
                    // An earlier call's answer may be lost: wait until it is reconciled.
                    if let Some(at) = reconcile::wait_for(&open, now) {
                        return self.postpone_cve(operation.id, now, at).await;
                    }
                    let amount = u32::try_from(amount).unwrap_or(1);
                    let intent =
                        reconcile::note(self, &operation, &account.user, amount, now).await.map_err(temporary)?;
                    let answer = credentials.reserve(http, amount, now.year()).await;
                    // Without an answer (or with one that does not read) the ids may be
                    // reserved all the same: the intent stays open for its reconciliation.
                    let answered = Some(intent).filter(|_| answer.status().is_some());
                    match &answer {
                        Answer::Done(body) => match client::reserved_ids(body) {
                            Ok(ids) => {
                                let parsed: Result<Vec<CveId>, _> = ids.iter().map(|i| i.parse::<CveId>()).collect();
                                match parsed {
                                    Ok(ids) => (answer, ids, answered),
                                    Err(e) => {
                                        let why = format!("CVE Services answered an id that does not read: {e}");
                                        (Answer::Refused { status: 200, why, code: None }, Vec::new(), None)
                                    }
                                }
                            }
                            Err(why) => (Answer::Refused { status: 200, why, code: None }, Vec::new(), None),
                        },
                        _ => (answer, Vec::new(), answered),
                    }
                }
            }
            CveOperationKind::Publish | CveOperationKind::Update => {
                (self.send_record(&credentials, &operation).await, Vec::new(), None)
            }
            CveOperationKind::Reject => (self.send_rejection(&credentials, &operation).await, Vec::new(), None),
            CveOperationKind::Release => (self.send_release(&credentials, &operation).await, Vec::new(), None),
        };
        self.settle_cve(&operation, now, answer, Some(reserved), answered).await
    }

    /// Puts an operation's next attempt off until `at`, without counting an attempt.
    async fn postpone_cve(
        &self,
        operation: CveOperationId,
        now: Timestamp,
        at: Timestamp,
    ) -> Result<(), DeliveryError> {
        let entropy = Arc::clone(&self.entropy);
        self.store
            .write(move |tx| Box::pin(async move { schedule(tx, entropy.as_ref(), now, at, operation).await }))
            .await
            .map_err(|e| DeliveryError::Temporary(e.to_string()))
    }

    /// Rejects a released id (`POST /cve/{id}/reject`), unless its advisory
    /// names it again; an id with a record (published outside Embargo) is left alone.
    async fn send_release(&self, credentials: &Credentials, operation: &CveOperation) -> Answer {
        let (Some(advisory), Some(cve)) = (&operation.advisory_id, &operation.cve_id) else {
            return Answer::Refused { status: 0, why: "the operation names no advisory or CVE id".into(), code: None };
        };
        let found = match self.store.reader().await {
            Ok(mut reader) => reader.advisory(advisory).await.map_err(AppError::from),
            Err(e) => Err(AppError::from(e)),
        };
        match found {
            Ok(Some(found)) if release::draft_cves(&found).contains(cve) => {
                let why = format!("not rejected: the advisory {advisory} names {cve} again");
                return Answer::Refused { status: 0, why, code: None };
            }
            Ok(_) => {}
            Err(e) => return Answer::Later { status: None, why: format!("the advisory cannot be read: {e}") },
        }
        let container = json!({"rejectedReasons": [{"lang": "en", "value": release::REASON}]});
        credentials.container(self.outbound.as_ref(), Method::Post, cve.as_str(), "reject", &container).await
    }

    /// Publishes (`POST`, or `PUT` when the record exists) or updates (`PUT`,
    /// or `POST` when there is none yet) an advisory's CNA container.
    async fn send_record(&self, credentials: &Credentials, operation: &CveOperation) -> Answer {
        let (Some(advisory), Some(cve)) = (&operation.advisory_id, &operation.cve_id) else {
            return Answer::Refused { status: 0, why: "the operation names no advisory or CVE id".into(), code: None };
        };
        let document = match self.published_document(advisory.as_str()).await {
            Ok(document) => document,
            Err(e) => return Answer::Later { status: None, why: format!("the advisory cannot be read: {e}") },
        };
        let Some(cna) = credentials_cna(self, operation.org_id).await else {
            return Answer::Refused { status: 0, why: "the CNA's UUID is not known".into(), code: None };
        };
        let page = format!("{}/advisories/{}", self.config.public_url, advisory);
        let container = match embargo_formats::cve::cna_container(&document.document(&page), &cna) {
            Ok((_, container)) => container,
            Err(e) => return Answer::Refused { status: 0, why: e.to_string(), code: None },
        };
        let http = self.outbound.as_ref();
        let (first, second, fallback_on) = match operation.kind {
            CveOperationKind::Update => (Method::Put, Method::Post, "CVE_RECORD_DNE"),
            _ => (Method::Post, Method::Put, "CVE_RECORD_EXISTS"),
        };
        let answer = credentials.container(http, first, cve.as_str(), "cna", &container).await;
        if answer.is(fallback_on) {
            return credentials.container(http, second, cve.as_str(), "cna", &container).await;
        }
        answer
    }

    /// Rejects an advisory's CVE id (`POST`, or `PUT` when a record exists).
    async fn send_rejection(&self, credentials: &Credentials, operation: &CveOperation) -> Answer {
        let (Some(advisory), Some(cve)) = (&operation.advisory_id, &operation.cve_id) else {
            return Answer::Refused { status: 0, why: "the operation names no advisory or CVE id".into(), code: None };
        };
        let reason = format!(
            "This candidate was withdrawn by its CNA: the advisory {advisory} that it was assigned to was withdrawn."
        );
        let container = json!({"rejectedReasons": [{"lang": "en", "value": reason}]});
        let http = self.outbound.as_ref();
        let answer = credentials.container(http, Method::Post, cve.as_str(), "reject", &container).await;
        if answer.is("CVE_RECORD_EXISTS") {
            return credentials.container(http, Method::Put, cve.as_str(), "reject", &container).await;
        }
        answer
    }

    /// Records an attempt's outcome, and what it brought: reserved ids
    /// stored (one given to the advisory), a publication told, a retry scheduled.
    async fn settle_cve(
        &self,
        operation: &CveOperation,
        now: Timestamp,
        answer: Answer,
        reserved: Option<Vec<CveId>>,
        answered: Option<uuid::Uuid>,
    ) -> Result<(), DeliveryError> {
        let wait = RETRY_AFTER.get(usize::try_from(operation.attempts).unwrap_or(usize::MAX)).copied();
        let (state, error, next) = match (&answer, wait) {
            (Answer::Done(_), _) => (CveOperationState::Done, None, None),
            (Answer::Later { why, .. }, Some(wait)) => {
                (CveOperationState::Pending, Some(why.clone()), Some(now + wait))
            }
            (Answer::Later { why, .. } | Answer::Refused { why, .. }, _) => {
                (CveOperationState::Failed, Some(why.clone()), None)
            }
        };
        if let Some(why) = &error {
            tracing::warn!(operation = %operation.id, kind = operation.kind.as_str(), state = state.as_str(), error = %why,
                "CVE Services operation did not succeed");
        }
        let status = answer.status().filter(|s| *s != 0);
        let (entropy, operation, reserved) =
            (Arc::clone(&self.entropy), operation.clone(), reserved.unwrap_or_default());
        self.store
            .write(move |tx| {
                Box::pin(async move {
                    let ids = entropy.as_ref();
                    let actor = Actor::Operator;
                    let mut cve = None;
                    for id in &reserved {
                        tx.insert_reserved_cve(operation.org_id, id, operation.id, now).await?;
                    }
                    if let Some(intent) = answered {
                        let outcome = json!({"status": status, "stored": reserved.iter().map(CveId::as_str).collect::<Vec<_>>()});
                        tx.close_reservation_intent(intent, now, &outcome.to_string()).await?;
                    }
                    let subject = operation.advisory_id.as_ref().map_or_else(
                        || format!("org:{}", operation.org_id),
                        |a| format!("advisory:{a}"),
                    );
                    if state == CveOperationState::Done {
                        match operation.kind {
                            CveOperationKind::Reserve => {
                                if let Some(id) = &operation.advisory_id
                                    && let Some(mut advisory) = tx.lock_advisory(id).await?
                                    && draft_cve(&advisory).is_none()
                                    && advisory.state != AdvisoryState::Withdrawn
                                    && let Some(free) = tx.unassigned_reserved_cves(operation.org_id).await?.into_iter().next()
                                {
                                    cve = Some(free.clone());
                                    give(tx, ids, now, &actor, &mut advisory, free).await?;
                                }
                                let details = json!({"reserved": reserved.iter().map(CveId::as_str).collect::<Vec<_>>()});
                                record(tx, now, &actor, "cve.reserved", subject, details).await?;
                            }
                            CveOperationKind::Publish | CveOperationKind::Update => {
                                if let (Some(advisory), Some(cve)) = (&operation.advisory_id, &operation.cve_id) {
                                    let details = json!({"cve": cve.as_str(), "kind": operation.kind.as_str()});
                                    record(tx, now, &actor, "cve.published", subject, details).await?;
                                    let event = Event::CvePublished { advisory: advisory.clone(), cve: cve.clone() };
                                    emit(tx, ids, now, &event).await?;
                                }
                            }
                            CveOperationKind::Reject | CveOperationKind::Release => {
                                let details = json!({"cve": operation.cve_id.as_ref().map(CveId::as_str),
                                    "kind": operation.kind.as_str()});
                                record(tx, now, &actor, "cve.rejected", subject, details).await?;
                                if let (Some(advisory), Some(cve)) = (&operation.advisory_id, &operation.cve_id) {
                                    let event = Event::CveRejected { advisory: advisory.clone(), cve: cve.clone() };
                                    emit(tx, ids, now, &event).await?;
                                }
                            }
                        }
                    } else if state == CveOperationState::Failed {
                        let details = json!({"kind": operation.kind.as_str(), "cve": operation.cve_id.as_ref().map(CveId::as_str),
                            "status": status, "error": error});
                        record(tx, now, &actor, "cve.operation_failed", subject, details).await?;
                    }
                    let attempt = CveAttempt { at: now, status, error: error.clone(), state, cve_id: cve };
                    tx.record_cve_attempt(operation.id, &attempt).await?;
                    if let Some(at) = next {
                        schedule(tx, ids, now, at, operation.id).await?;
                    }
                    Ok::<(), AppError>(())
                })
            })
            .await
            .map_err(|e| DeliveryError::Temporary(e.to_string()))
    }
}

/// The CNA identity of an organisation, for its containers.
async fn credentials_cna(app: &App, org: OrgId) -> Option<embargo_formats::cve::Cna> {
    app.cna_of(org).await.ok().flatten()
}

/// Hears advisory publications, revisions and withdrawals and queues the
/// matching operation in CVE Services for organisations in `cve-services` mode;
/// hears reports declined or withdrawn and releases their draft advisory's id.
#[derive(Debug)]
pub struct CveServicesSync;

#[async_trait]
impl Subscriber for CveServicesSync {
    fn name(&self) -> &'static str {
        "cve_services"
    }

    fn wants(&self, event: &Event) -> bool {
        match event {
            Event::AdvisoryPublished { .. } | Event::AdvisoryRevised { .. } | Event::AdvisoryWithdrawn { .. } => true,
            Event::StateChanged { to, .. } => release::releases(*to),
            _ => false,
        }
    }

    async fn handle(&self, app: &App, job: JobId, event: &Event) -> Result<(), DeliveryError> {
        app.queue_cve_sync(job, event).await.map_err(|e| DeliveryError::Temporary(e.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(url: &str, short_name: &str) -> CveServicesInput {
        CveServicesInput {
            url: url.into(),
            short_name: short_name.into(),
            user: "alice@acme.example".into(),
            api_key: Private::new("key".into()),
            pool_size: None,
        }
    }

    #[test]
    fn credentials_are_checked_before_any_call() {
        let (url, ..) = check_input(&input("https://cveawg.mitre.org/api/", "acme")).unwrap();
        assert_eq!(url, "https://cveawg.mitre.org/api");
        for (url, short_name) in [
            ("ftp://cveawg.mitre.org/api", "acme"),
            ("https://user:pw@cveawg.mitre.org/api", "acme"),
            ("https://cveawg.mitre.org/api?x=1", "acme"),
            ("https://cveawg.mitre.org/api", "a"),
            ("https://cveawg.mitre.org/api", "acme corp"),
        ] {
            assert!(check_input(&input(url, short_name)).is_err(), "{url} {short_name}");
        }
        let mut big = input("https://cveawg.mitre.org/api", "acme");
        big.pool_size = Some(MAX_POOL + 1);
        assert!(check_input(&big).is_err());
        let mut keyless = input("https://cveawg.mitre.org/api", "acme");
        keyless.api_key = Private::new(" ".into());
        assert!(check_input(&keyless).is_err());
    }

    #[test]
    fn retries_stop_within_a_day() {
        let total: time::Duration = RETRY_AFTER.iter().copied().sum();
        assert!(total < time::Duration::days(1), "{total}");
    }
}
