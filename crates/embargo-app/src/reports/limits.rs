//! Intake limits and bans (issue 12), applied by the one intake use case to
//! every channel. New reports are counted per client address, reporter
//! account, contact e-mail address and project, in the database (so every
//! replica shares the counts) and in the report's own transaction (so a
//! refused report leaves nothing behind). The project's team and the
//! administrators are never counted. A contact address that belongs to a
//! banned account is refused as that account would be.

use std::net::IpAddr;

use embargo_core::Timestamp;
use embargo_core::permission::{Action, Actor, ProjectAccess, intake_limits_apply};
use embargo_core::policy::Policy;
use embargo_core::text::Email;
use embargo_core::throttle::{self, IntakeLimit, ThrottleScope};
use embargo_store::{Reader, Writer};

use crate::auth::user_actor;
use crate::throttle::email_digest;
use crate::{AppError, BanRefusal, require};

/// The keys one new report is counted under, each with its limit.
#[derive(Debug, Clone, Default)]
pub(crate) struct IntakeKeys(Vec<(String, IntakeLimit, ThrottleScope)>);

impl IntakeKeys {
    /// The keys of a report by `actor` to `project`, sent from `client` with
    /// the contact address `contact`; none for the project's team. The
    /// limits are the project's policy's (`[limits]`), else the defaults.
    pub(crate) fn new(
        actor: &Actor,
        project: ProjectAccess,
        client: Option<IpAddr>,
        contact: Option<&Email>,
        policy: &Policy,
    ) -> Self {
        if !intake_limits_apply(actor, project) {
            return IntakeKeys::default();
        }
        let per_hour = |limit: IntakeLimit, max_reports: u32| IntakeLimit { max_reports, ..limit };
        let limits = &policy.limits;
        let mut keys = Vec::new();
        if let Some(address) = client {
            keys.push((
                throttle::address_key(address),
                per_hour(throttle::REPORTS_PER_ADDRESS, limits.per_address.value),
                ThrottleScope::ReportsFromAddress,
            ));
        }
        if let Some(user) = actor.user_id() {
            let limit = per_hour(throttle::REPORTS_PER_ACCOUNT, limits.per_account.value);
            keys.push((format!("account:{user}"), limit, ThrottleScope::ReportsFromAccount));
        }
        if let Some(email) = contact {
            let key = format!("email:{}", email_digest(email.as_str()));
            keys.push((
                key,
                per_hour(throttle::REPORTS_PER_EMAIL, limits.per_email.value),
                ThrottleScope::ReportsFromEmail,
            ));
        }
        let key = format!("project:{}", project.project);
        keys.push((
            key,
            per_hour(throttle::REPORTS_PER_PROJECT, limits.per_project.value),
            ThrottleScope::ReportsToProject,
        ));
        IntakeKeys(keys)
    }

    /// Counts the report under each key, inside its transaction: past a
    /// limit, [`AppError::Throttled`] (which undoes the transaction, the
    /// counts with it). Forgets counts no window needs any more when a key
    /// starts a window (a new key is the only way the table grows), rather
    /// than on every report of a flood.
    pub(crate) async fn count(&self, tx: &mut dyn Writer, now: Timestamp) -> Result<(), AppError> {
        let mut window_started = false;
        for (key, limit, scope) in &self.0 {
            let counted = tx.count_report(key, now, now - limit.window).await?;
            if let Some(retry_after) = limit.refuse(counted.reports, counted.window_start, now) {
                return Err(AppError::Throttled { scope: *scope, retry_after });
            }
            window_started |= counted.reports == 1;
        }
        if window_started {
            tx.prune_intake_counts(now - throttle::LONGEST_INTAKE_WINDOW).await?;
        }
        Ok(())
    }
}

/// What a banned reporter is told about `policy`'s rule and whom to write to.
pub(crate) fn ban_refusal(policy: &Policy) -> BanRefusal {
    BanRefusal {
        code_of_conduct: policy.conduct.code_of_conduct.value.clone(),
        ban_after: policy.conduct.ban_after.value,
        appeal_to: policy.channels.email.value.as_ref().map(|e| e.as_str().to_owned()),
    }
}

/// Refuses a report whose sender may not report: `actor` itself, or the
/// account its contact address belongs to (so a ban holds when the same
/// person reports anonymously, or by mail). The refusal names `policy`'s rule.
pub(crate) async fn require_may_report(
    reader: &mut dyn Reader,
    actor: &Actor,
    contact: Option<&Email>,
    policy: &Policy,
) -> Result<(), AppError> {
    let with_rule = |error| match error {
        AppError::Banned(_) => AppError::Banned(ban_refusal(policy)),
        other => other,
    };
    require(actor, Action::SubmitReport).map_err(with_rule)?;
    let Some(contact) = contact else { return Ok(()) };
    let Some(owner) = reader.user_by_email(contact).await? else { return Ok(()) };
    if actor.user_id() == Some(owner.id) {
        return Ok(());
    }
    // The contact's account as the permission function sees it: only its
    // ban can refuse here, never its token scopes (it presented none).
    let owner = Actor::User(user_actor(reader, &owner, None).await?);
    if let Err(AppError::Banned(_)) = require(&owner, Action::SubmitReport) {
        return Err(AppError::Banned(ban_refusal(policy)));
    }
    Ok(())
}
