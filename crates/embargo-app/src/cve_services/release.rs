//! Releasing a CVE id: an id Embargo reserved in CVE Services (or adopted)
//! that is taken off an advisory before any revision published it is rejected
//! at CVE Services (`POST /cve/{id}/reject`), as an operation of kind
//! `release`. An id is released when the team removes it from the working
//! copy's aliases, or when the report is declined (not a vulnerability,
//! duplicate, out of scope, spam) or withdrawn by its reporter while its
//! advisory is still a draft: the id is then taken off the draft. Ids still in
//! the organisation's pool, never given to an advisory, stay there and are not
//! rejected; an id typed in by hand (not reserved through Embargo) is left alone.

use embargo_core::Timestamp;
use embargo_core::advisory::{Advisory, AdvisoryState};
use embargo_core::id::{AliasId, CveId};
use embargo_core::lifecycle::ReportState;
use embargo_core::permission::Actor;
use embargo_store::Writer;
use embargo_store::cve_services::CveOperationKind;
use serde_json::json;

use crate::AppError;
use crate::audit::record;
use crate::entropy::Entropy;

/// The reason CVE Services shows on a released id's rejected record: nothing
/// of the advisory, which was never published.
pub(crate) const REASON: &str =
    "This candidate was reserved by its CNA but not used: it was released before any record was published.";

/// Whether a report moving to `state` releases its draft advisory's CVE id.
pub(crate) const fn releases(state: ReportState) -> bool {
    matches!(
        state,
        ReportState::NotVulnerable
            | ReportState::Duplicate
            | ReportState::OutOfScope
            | ReportState::Spam
            | ReportState::Withdrawn
    )
}

/// The CVE aliases of an advisory's working copy.
pub(crate) fn draft_cves(advisory: &Advisory) -> Vec<CveId> {
    advisory.draft.aliases.iter().filter_map(AliasId::cve).collect()
}

/// Queues the rejection of each id in `before` that the working copy no
/// longer names, when the organisation reserved it in CVE Services and no
/// published revision carries it; audits `advisory.cve_released` for each.
/// `source` makes a retried job queue nothing twice (`None`: a request).
#[allow(clippy::too_many_arguments)]
pub(crate) async fn released(
    tx: &mut dyn Writer,
    ids: &dyn Entropy,
    now: Timestamp,
    actor: &Actor,
    before: &[CveId],
    advisory: &Advisory,
    why: &str,
    source: Option<&str>,
) -> Result<(), AppError> {
    let kept = draft_cves(advisory);
    let published: Vec<CveId> = advisory
        .published
        .as_ref()
        .map(|r| r.content.aliases.iter().filter_map(AliasId::cve).collect())
        .unwrap_or_default();
    for cve in before {
        if kept.contains(cve) || published.contains(cve) || !tx.is_reserved_cve(advisory.org_id, cve).await? {
            continue;
        }
        let source = source.map(|s| format!("{s}:release:{cve}"));
        let queued = super::queue(
            tx,
            ids,
            now,
            advisory.org_id,
            Some(&advisory.id),
            CveOperationKind::Release,
            Some(cve.clone()),
            source,
        )
        .await?;
        if queued {
            let details = json!({"cve": cve.as_str(), "why": why});
            record(tx, now, actor, "advisory.cve_released", format!("advisory:{}", advisory.id), details).await?;
        }
    }
    Ok(())
}

/// Takes the CVE ids reserved in CVE Services off the draft advisory of a
/// declined or withdrawn report and queues their rejection (the
/// `CveServicesSync` subscriber's work on a state change). Nothing happens
/// when the report moved on again, or its advisory was published.
pub(crate) async fn release_declined(
    tx: &mut dyn Writer,
    ids: &dyn Entropy,
    now: Timestamp,
    report: embargo_core::id::ReportId,
    source: &str,
) -> Result<(), AppError> {
    let Some(found) = tx.report(report).await? else { return Ok(()) };
    if !releases(found.state) {
        return Ok(());
    }
    let Some(advisory) = tx.advisory_for_report(report).await? else { return Ok(()) };
    let Some(mut advisory) = tx.lock_advisory(&advisory.id).await? else { return Ok(()) };
    if advisory.state != AdvisoryState::Draft || advisory.published.is_some() {
        return Ok(());
    }
    let before = draft_cves(&advisory);
    let mut taken = Vec::new();
    for cve in &before {
        if tx.is_reserved_cve(advisory.org_id, cve).await? {
            taken.push(cve.clone());
        }
    }
    if taken.is_empty() {
        return Ok(());
    }
    advisory.draft.aliases.retain(|a| a.cve().is_none_or(|c| !taken.contains(&c)));
    advisory.updated_at = now;
    tx.update_advisory(&advisory).await?;
    let why = format!("the report was {}", found.state.phrase());
    released(tx, ids, now, &Actor::Operator, &taken, &advisory, &why, Some(source)).await
}
