//! Reservations lost in a crash. Before each reservation call Embargo notes
//! an intent (when, how many, as which CVE Services user) and queues a
//! reconciling job for [`RECONCILE_AFTER`] later, in one transaction. The
//! transaction that stores CVE Services' answer closes the intent; an intent
//! left open (no answer came, or the process died before the answer was
//! stored) is reconciled by that job: it lists the organisation's RESERVED ids
//! (`GET /cve-id`, filtered by reservation time, page by page) and adopts
//! into the organisation's pool, for each open intent oldest first, up to the
//! number it asked for of the ids that its user reserved at or after it
//! (to the second: CVE Services stamps whole seconds) and that Embargo does
//! not know. Ids reserved by other users, or before the intent, are never
//! adopted. A listing that fails is retried after [`super::RETRY_AFTER`];
//! then the intent is closed as not reconciled (`cve.reconcile_failed`).
//! While an intent of the organisation is open its next reservation waits,
//! so one lost answer never makes two reservations.

use std::collections::HashSet;

use embargo_core::Timestamp;
use embargo_core::id::{CveId, OrgId};
use embargo_core::permission::Actor;
use embargo_store::cve_services::{CveOperation, ReservationIntent};
use embargo_store::jobs::NewJob;
use embargo_store::{StoreExt, Writer};
use serde::{Deserialize, Serialize};
use serde_json::json;
use time::format_description::well_known::Rfc3339;
use uuid::Uuid;

use super::client::{self, Answer, Credentials, Listed};
use crate::audit::record;
use crate::entropy::{Entropy, EntropyExt, NewIds};
use crate::jobs::DeliveryError;
use crate::{App, AppError};

/// The job kind of a reconciliation.
pub(crate) const RECONCILE_KIND: &str = "cve_services_reconcile";

/// How long after an intent its reconciliation runs: longer than a call may
/// take (the outbound client gives up after 10 seconds) and a job's lease.
pub const RECONCILE_AFTER: time::Duration = time::Duration::minutes(2);

/// Pages of a listing read at most (CVE Services gives 500 ids a page).
const MAX_PAGES: u32 = 100;

/// The payload of a reconciliation's job.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct ReconcileJob {
    /// The organisation whose open intents it reconciles.
    #[serde(with = "crate::events::as_text")]
    org: OrgId,
    /// Failed listings so far.
    attempt: u32,
}

/// Queues a reconciliation of `org` at `at`.
async fn schedule(
    tx: &mut dyn Writer,
    ids: &dyn Entropy,
    now: Timestamp,
    at: Timestamp,
    org: OrgId,
    attempt: u32,
) -> Result<(), AppError> {
    let payload = serde_json::to_value(ReconcileJob { org, attempt })
        .map_err(|e| AppError::Internal(format!("reconciliation payload: {e}")))?;
    tx.enqueue_job(&NewJob { id: ids.job_id()?, kind: RECONCILE_KIND.to_owned(), payload, run_at: at }, now).await?;
    Ok(())
}

/// Notes the intent of a reservation call and queues its reconciliation, in one transaction.
pub(crate) async fn note(
    app: &App,
    operation: &CveOperation,
    api_user: &str,
    amount: u32,
    now: Timestamp,
) -> Result<Uuid, AppError> {
    let intent = ReservationIntent {
        id: app.entropy.uuid()?,
        org_id: operation.org_id,
        operation_id: operation.id,
        api_user: api_user.to_owned(),
        amount,
        requested_at: now,
    };
    let (id, entropy) = (intent.id, std::sync::Arc::clone(&app.entropy));
    app.store
        .write(move |tx| {
            Box::pin(async move {
                tx.insert_reservation_intent(&intent).await?;
                schedule(tx, entropy.as_ref(), now, now + RECONCILE_AFTER, intent.org_id, 0).await
            })
        })
        .await?;
    Ok(id)
}

/// When a reservation of an organisation with open intents should be tried
/// again: after the oldest one's reconciliation.
pub(crate) fn wait_for(open: &[ReservationIntent], now: Timestamp) -> Option<Timestamp> {
    let oldest = open.iter().map(|i| i.requested_at).min()?;
    Some(std::cmp::max(oldest + RECONCILE_AFTER, now) + time::Duration::seconds(5))
}

/// A time as the listing's filters take it (RFC 3339, whole seconds, UTC).
fn stamp(at: Timestamp) -> String {
    at.to_offset(time::UtcOffset::UTC)
        .replace_nanosecond(0)
        .ok()
        .and_then(|t| t.format(&Rfc3339).ok())
        .unwrap_or_default()
}

/// Which listed ids each open intent adopts, oldest intent first: its user's,
/// reserved for the CNA at or after it (to the second), not `known`, not
/// taken by an earlier intent; the oldest first, at most as many as it asked for.
pub(crate) fn adoptions(
    intents: &[ReservationIntent],
    listed: &[Listed],
    short_name: &str,
    known: &HashSet<String>,
) -> Vec<(Uuid, Vec<CveId>)> {
    let mut candidates: Vec<(Timestamp, CveId, &Listed)> = listed
        .iter()
        .filter(|l| l.owning_cna == short_name && l.requested_by.cna == short_name && !known.contains(&l.cve_id))
        .filter_map(|l| {
            let at = Timestamp::parse(&l.reserved, &Rfc3339).ok()?;
            Some((at, l.cve_id.parse::<CveId>().ok()?, l))
        })
        .collect();
    candidates.sort_by(|a, b| a.0.cmp(&b.0).then_with(|| a.1.as_str().cmp(b.1.as_str())));
    let mut taken: HashSet<String> = HashSet::new();
    let mut intents: Vec<&ReservationIntent> = intents.iter().collect();
    intents.sort_by_key(|i| i.requested_at);
    intents
        .into_iter()
        .map(|intent| {
            let from = intent.requested_at.replace_nanosecond(0).unwrap_or(intent.requested_at);
            let mine: Vec<CveId> = candidates
                .iter()
                .filter(|(at, cve, l)| {
                    *at >= from && l.requested_by.user == intent.api_user && !taken.contains(cve.as_str())
                })
                .take(intent.amount as usize)
                .map(|(_, cve, _)| cve.clone())
                .collect();
            taken.extend(mine.iter().map(|c| c.as_str().to_owned()));
            (intent.id, mine)
        })
        .collect()
}

impl App {
    /// Reconciles an organisation's open reservation intents that are old
    /// enough (the [`RECONCILE_KIND`] job): lists its RESERVED ids and adopts
    /// what each intent reserved, closing it.
    pub(crate) async fn reconcile_cve_reservations(&self, job: ReconcileJob) -> Result<(), DeliveryError> {
        let temporary = |e: AppError| DeliveryError::Temporary(e.to_string());
        let now = self.now();
        let mut reader = self.store.reader().await.map_err(|e| temporary(e.into()))?;
        let open: Vec<ReservationIntent> = reader
            .open_reservation_intents(job.org)
            .await
            .map_err(|e| temporary(e.into()))?
            .into_iter()
            .filter(|i| i.requested_at + RECONCILE_AFTER <= now)
            .collect();
        if open.is_empty() {
            return Ok(());
        }
        let account = reader.cve_services_account(job.org).await.map_err(|e| temporary(e.into()))?;
        let key = reader.cve_services_key(job.org).await.map_err(|e| temporary(e.into()))?;
        drop(reader);
        let (Some(account), Some(key)) = (account, key) else {
            let why = "the organisation's CVE Services credentials are not set".to_owned();
            return self.reconcile_failed(&job, &open, now, Answer::Refused { status: 0, why, code: None }).await;
        };
        let credentials = Credentials {
            url: account.url.clone(),
            short_name: account.short_name.clone(),
            user: account.user.clone(),
            key,
        };
        let oldest = open.iter().map(|i| i.requested_at).min().unwrap_or(now);
        let (after, before) = (stamp(oldest - time::Duration::seconds(1)), stamp(now + time::Duration::seconds(1)));
        let mut listed = Vec::new();
        let mut page = 1;
        loop {
            let answer = credentials.reserved_page(self.outbound.as_ref(), &after, &before, page).await;
            let Answer::Done(body) = &answer else { return self.reconcile_failed(&job, &open, now, answer).await };
            match client::listed_ids(body) {
                Ok((ids, next)) => {
                    listed.extend(ids);
                    match next {
                        Some(next) if next > page && page < MAX_PAGES => page = next,
                        _ => break,
                    }
                }
                Err(why) => {
                    return self
                        .reconcile_failed(&job, &open, now, Answer::Refused { status: 200, why, code: None })
                        .await;
                }
            }
        }
        let mut reader = self.store.reader().await.map_err(|e| temporary(e.into()))?;
        let mut known = HashSet::new();
        for entry in &listed {
            if let Ok(cve) = entry.cve_id.parse::<CveId>()
                && reader.is_known_cve(&cve).await.map_err(|e| temporary(e.into()))?
            {
                known.insert(entry.cve_id.clone());
            }
        }
        drop(reader);
        let plan = adoptions(&open, &listed, &account.short_name, &known);
        let org = job.org;
        self.store
            .write(move |tx| {
                Box::pin(async move {
                    for (id, adopted) in plan {
                        let Some(intent) = open.iter().find(|i| i.id == id) else { continue };
                        let names: Vec<&str> = adopted.iter().map(CveId::as_str).collect();
                        let outcome = json!({"adopted": names}).to_string();
                        if !tx.close_reservation_intent(intent.id, now, &outcome).await? {
                            continue;
                        }
                        let mut stored = Vec::new();
                        for cve in &adopted {
                            if tx.insert_reserved_cve(org, cve, intent.operation_id, now).await? {
                                stored.push(cve.as_str().to_owned());
                            }
                        }
                        let details = json!({"adopted": stored, "operation": intent.operation_id.to_string(),
                            "intent_at": stamp(intent.requested_at), "user": intent.api_user});
                        record(tx, now, &Actor::Operator, "cve.reconciled", format!("org:{org}"), details).await?;
                    }
                    Ok::<(), AppError>(())
                })
            })
            .await
            .map_err(temporary)
    }

    /// A listing that failed: retried later while retries remain, else the
    /// intents are closed as not reconciled, with the reason in the audit log.
    async fn reconcile_failed(
        &self,
        job: &ReconcileJob,
        open: &[ReservationIntent],
        now: Timestamp,
        answer: Answer,
    ) -> Result<(), DeliveryError> {
        let wait = super::RETRY_AFTER.get(job.attempt as usize).copied();
        let why = match &answer {
            Answer::Done(_) => String::new(),
            Answer::Refused { why, .. } | Answer::Later { why, .. } => why.clone(),
        };
        tracing::warn!(org = %job.org, error = %why, "CVE Services reservations could not be reconciled");
        let (entropy, org, attempt, open) = (std::sync::Arc::clone(&self.entropy), job.org, job.attempt, open.to_vec());
        let later = matches!(answer, Answer::Later { .. });
        self.store
            .write(move |tx| {
                Box::pin(async move {
                    if let (true, Some(wait)) = (later, wait) {
                        return schedule(tx, entropy.as_ref(), now, now + wait, org, attempt + 1).await;
                    }
                    let outcome = json!({"failed": why}).to_string();
                    let mut closed = 0;
                    for intent in &open {
                        if tx.close_reservation_intent(intent.id, now, &outcome).await? {
                            closed += 1;
                        }
                    }
                    if closed > 0 {
                        let details = json!({"error": why, "intents": closed});
                        record(tx, now, &Actor::Operator, "cve.reconcile_failed", format!("org:{org}"), details)
                            .await?;
                    }
                    Ok(())
                })
            })
            .await
            .map_err(|e| DeliveryError::Temporary(e.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cve_services::client::RequestedBy;
    use embargo_core::id::CveOperationId;

    fn listed(id: &str, user: &str, at: &str) -> Listed {
        Listed {
            cve_id: id.into(),
            owning_cna: "acme".into(),
            requested_by: RequestedBy { cna: "acme".into(), user: user.into() },
            reserved: at.into(),
        }
    }

    fn intent(at: &str, amount: u32) -> ReservationIntent {
        ReservationIntent {
            id: Uuid::from_u128(u128::from(amount) << 64 | u128::from(at.len() as u64)),
            org_id: OrgId::from_uuid(Uuid::nil()),
            operation_id: CveOperationId::from_uuid(Uuid::nil()),
            api_user: "bot@acme".into(),
            amount,
            requested_at: Timestamp::parse(at, &Rfc3339).unwrap(),
        }
    }

    #[test]
    fn an_intent_adopts_its_users_ids_reserved_after_it_and_unknown() {
        let ids = [
            listed("CVE-2026-1000", "bot@acme", "2026-05-04T09:00:59.000Z"),
            listed("CVE-2026-1001", "bot@acme", "2026-05-04T09:01:00.000Z"),
            listed("CVE-2026-1002", "alice@acme", "2026-05-04T09:01:00.000Z"),
            listed("CVE-2026-1003", "bot@acme", "2026-05-04T09:01:01.000Z"),
            listed("CVE-2026-1004", "bot@acme", "2026-05-04T09:01:02.000Z"),
        ];
        let known: HashSet<String> = ["CVE-2026-1003".to_owned()].into();
        let one = intent("2026-05-04T09:01:00.400Z", 2);
        let plan = adoptions(std::slice::from_ref(&one), &ids, "acme", &known);
        let names: Vec<&str> = plan[0].1.iter().map(CveId::as_str).collect();
        assert_eq!(names, ["CVE-2026-1001", "CVE-2026-1004"]);
        // Two intents share nothing; another CNA's ids are never taken.
        let later = intent("2026-05-04T09:01:01.000Z", 5);
        let plan = adoptions(&[later.clone(), one.clone()], &ids, "acme", &HashSet::new());
        assert_eq!(plan[0].0, one.id);
        assert_eq!(plan[0].1.len(), 2);
        assert_eq!(plan[1].1.iter().map(CveId::as_str).collect::<Vec<_>>(), ["CVE-2026-1004"]);
        assert!(adoptions(&[one], &ids, "other", &HashSet::new())[0].1.is_empty());
    }

    #[test]
    fn a_reservation_waits_for_the_oldest_open_intent() {
        let now = Timestamp::parse("2026-05-04T09:02:00Z", &Rfc3339).unwrap();
        assert_eq!(wait_for(&[], now), None);
        let open = [intent("2026-05-04T09:01:00Z", 1)];
        assert_eq!(wait_for(&open, now), Some(now + time::Duration::seconds(65)));
        let late = now + time::Duration::minutes(10);
        assert_eq!(wait_for(&open, late), Some(late + time::Duration::seconds(5)));
    }
}
