//! Triage: messages, lifecycle transitions (declining names a criterion),
//! the team's fields, and sharing with a platform's interested parties.

use embargo_core::id::ReportId;
use std::sync::Arc;

use embargo_core::Timestamp;
use embargo_core::lifecycle::{Performer, ReportState, TransitionRequest};
use embargo_core::message::{AuthorRole, Channel, Message, Visibility};
use embargo_core::permission::{Action, Actor, Decision, decide};
use embargo_core::policy::Tier;
use embargo_core::private::Private;
use embargo_core::report::{Report, Share};
use embargo_core::severity::Severity;
use embargo_core::text::{
    FieldErrors, MAX_SHORT_CHARS, MAX_TEXT_BYTES, TextError, one_line, plain_text, required_text,
};
use embargo_store::{StoreExt, Writer};
use serde_json::json;

use super::transition::{self, Transition};
use super::{ReportView, TeamPatch, TransitionInput, ViewerRole, access, is_team_member, role_of};
use crate::audit::record;
use crate::entropy::{Entropy, NewIds};
use crate::events::{Event, emit};
use crate::policies::project_policy;
use crate::secret::{Token, TokenKind};
use crate::{App, AppError, require};

/// The effective policy of a report's project, inside a transaction.
pub(crate) async fn policy_of(tx: &mut dyn Writer, report: &Report) -> Result<embargo_core::policy::Policy, AppError> {
    let org = tx.organisation(report.org_id).await?.ok_or(AppError::NotFound)?;
    let project = tx.project(report.project_id).await?.ok_or(AppError::NotFound)?;
    project_policy(tx, &org, &project).await
}

/// Stores a message on `report` (locked by the caller), with its audit
/// event and [`Event::MessagePosted`]. Every channel's messages pass here. A
/// reporter's answer to a report that needs information moves it back to
/// triage by itself.
pub(crate) async fn store_message(
    tx: &mut dyn Writer,
    ids: &dyn Entropy,
    now: Timestamp,
    actor: &Actor,
    report: &mut Report,
    message: &Message,
    details: serde_json::Value,
) -> Result<(), AppError> {
    tx.insert_message(message).await?;
    report.updated_at = now;
    tx.update_report(report).await?;
    record(tx, now, actor, "report.message_posted", format!("report:{}", report.id), details).await?;
    let (id, visibility) = (message.id, message.visibility);
    emit(tx, ids, now, &Event::MessagePosted { report: report.id, message: id, visibility }).await?;
    if report.state == ReportState::NeedsInfo
        && message.author_role == AuthorRole::Reporter
        && visibility == Visibility::ReporterVisible
    {
        let policy = policy_of(tx, report).await?;
        let change = Transition {
            actor,
            performer: Performer::System,
            request: TransitionRequest { to: ReportState::Triaging, reason: None, duplicate_of: None },
            policy: &policy,
            audit: json!({"answered_by": id.to_string()}),
        };
        transition::apply(tx, ids, now, report, change).await?;
    }
    Ok(())
}

impl App {
    /// Posts a message: reporter-visible (both sides) or internal (team only).
    pub async fn post_message(
        &self,
        actor: &Actor,
        id: ReportId,
        body: &str,
        visibility: Visibility,
        channel: Channel,
    ) -> Result<Message, AppError> {
        let body = required_text("body", body, MAX_TEXT_BYTES)?;
        let now = self.now();
        let (message_id, actor, entropy) = (self.entropy.message_id()?, actor.clone(), Arc::clone(&self.entropy));
        self.store
            .write(move |tx| {
                Box::pin(async move {
                    let mut report = tx.lock_report(id).await?.ok_or(AppError::NotFound)?;
                    let access = access(&report);
                    require(&actor, Action::ViewReport(access))?;
                    match visibility {
                        Visibility::ReporterVisible => require(&actor, Action::Reply(access))?,
                        Visibility::Internal => require(&actor, Action::AddInternalNote(access))?,
                    }
                    let author_role = match role_of(&actor, &report) {
                        ViewerRole::Team => AuthorRole::Team,
                        // A co-finder or collaborator writes on the reporter's side of the thread.
                        ViewerRole::Reporter | ViewerRole::Collaborator | ViewerRole::InterestedParty => {
                            AuthorRole::Reporter
                        }
                    };
                    let message = Message {
                        id: message_id,
                        report_id: id,
                        author_id: actor.user_id(),
                        author_role,
                        visibility,
                        channel,
                        body: Private::new(body),
                        created_at: now,
                    };
                    let details = json!({"visibility": visibility.as_str(), "message": message_id.to_string()});
                    store_message(tx, entropy.as_ref(), now, &actor, &mut report, &message, details).await?;
                    Ok(message)
                })
            })
            .await
    }

    /// Moves a report through the lifecycle. Declining a report as not a
    /// vulnerability names one of the policy's criteria (when it has any),
    /// whose explanation the reporter receives; accepting starts the fix and
    /// disclosure deadlines.
    pub async fn transition_report(
        &self,
        actor: &Actor,
        id: ReportId,
        input: TransitionInput,
    ) -> Result<ReportView, AppError> {
        let mut errors = FieldErrors(Vec::new());
        let to = errors.take(
            input.to.parse::<ReportState>().map_err(|e| TextError::Refused { field: "to", reason: e.to_string() }),
        );
        let reason = errors.take(input.reason.as_deref().map(|r| plain_text("reason", r, 16 * 1024)).transpose());
        let duplicate_of = errors.take(
            input
                .duplicate_of
                .as_deref()
                .map(|d| d.parse::<ReportId>())
                .transpose()
                .map_err(|_| TextError::Malformed { field: "duplicate_of", expected: "a report id" }),
        );
        let (to, reason, duplicate_of) = errors.finish(|| Some((to?, reason?, duplicate_of?)))?;
        let reason = reason.filter(|r| !r.trim().is_empty());
        let criterion = input.criterion.filter(|c| !c.trim().is_empty());
        let (now, tx_actor, entropy) = (self.now(), actor.clone(), Arc::clone(&self.entropy));
        self.store
            .write(move |tx| {
                Box::pin(async move {
                    let actor = tx_actor;
                    let mut report = tx.lock_report(id).await?.ok_or(AppError::NotFound)?;
                    let access = access(&report);
                    let performer = if decide(&actor, Action::Triage(access)) == Decision::Allow {
                        Performer::Team
                    } else if to == ReportState::Withdrawn {
                        require(&actor, Action::Withdraw(access))?;
                        Performer::Reporter
                    } else {
                        require(&actor, Action::Triage(access))?;
                        Performer::Team
                    };
                    let policy = policy_of(tx, &report).await?;
                    let reason = match (to, &criterion) {
                        (ReportState::NotVulnerable, _) if !policy.criteria.value.is_empty() => {
                            let ids: Vec<&str> = policy.criteria.value.iter().map(|c| c.id.as_str()).collect();
                            let chosen = criterion.as_deref().and_then(|c| policy.criterion(c)).ok_or_else(|| {
                                AppError::Invalid(FieldErrors(vec![TextError::Refused {
                                    field: "criterion",
                                    reason: format!("choose the criterion that applies: {}", ids.join(", ")),
                                }]))
                            })?;
                            let mut text = format!("{}: {}", chosen.title, chosen.explanation);
                            if let Some(extra) = &reason {
                                text.push_str("\n\n");
                                text.push_str(extra);
                            }
                            Some(text)
                        }
                        (_, Some(_)) if to != ReportState::NotVulnerable => {
                            return Err(AppError::invalid("criterion", "only given when declining as not_vulnerable"));
                        }
                        _ => reason,
                    };
                    let change = Transition {
                        actor: &actor,
                        performer,
                        request: TransitionRequest { to, reason, duplicate_of },
                        policy: &policy,
                        audit: json!({"criterion": criterion}),
                    };
                    transition::apply(tx, entropy.as_ref(), now, &mut report, change).await
                })
            })
            .await?;
        self.report(actor, id).await
    }

    /// Changes the team's fields: severity, CWEs, assignee, affected versions, fix lines.
    pub async fn update_report(&self, actor: &Actor, id: ReportId, patch: TeamPatch) -> Result<ReportView, AppError> {
        let mut errors = FieldErrors(Vec::new());
        let refused = |field: &'static str| {
            move |e: embargo_core::severity::SeverityError| TextError::Refused { field, reason: e.to_string() }
        };
        let cvss_v3 = errors.take(
            patch
                .cvss_v3
                .as_ref()
                .map(|v| Severity::parse(v.as_deref(), None).map(|s| s.cvss_v3))
                .transpose()
                .map_err(refused("cvss_v3")),
        );
        let cvss_v4 = errors.take(
            patch
                .cvss_v4
                .as_ref()
                .map(|v| Severity::parse(None, v.as_deref()).map(|s| s.cvss_v4))
                .transpose()
                .map_err(refused("cvss_v4")),
        );
        let cwes = errors.take(
            patch
                .cwes
                .as_ref()
                .map(|list| list.iter().map(|c| c.parse::<embargo_core::id::CweId>()).collect::<Result<Vec<_>, _>>())
                .transpose()
                .map_err(|e| TextError::Refused { field: "cwes", reason: e.to_string() }),
        );
        let lines_of = |field: &'static str, list: &Option<Vec<String>>| {
            list.as_ref()
                .map(|l| l.iter().map(|v| one_line(field, v, MAX_SHORT_CHARS)).collect::<Result<Vec<_>, _>>())
                .transpose()
        };
        let affected = errors.take(lines_of("affected_versions", &patch.affected_versions));
        let fix_lines = errors.take(lines_of("fix_lines", &patch.fix_lines));
        let (cvss_v3, cvss_v4, cwes, affected, fix_lines) =
            errors.finish(|| Some((cvss_v3?, cvss_v4?, cwes?, affected?, fix_lines?)))?;
        let (now, tx_actor, assignee) = (self.now(), actor.clone(), patch.assignee);
        let entropy = Arc::clone(&self.entropy);
        self.store
            .write(move |tx| {
                Box::pin(async move {
                    let actor = tx_actor;
                    let mut report = tx.lock_report(id).await?.ok_or(AppError::NotFound)?;
                    require(&actor, Action::Triage(access(&report)))?;
                    let mut changed = Vec::new();
                    if let Some(v) = cvss_v3 {
                        report.team.severity.cvss_v3 = v;
                        changed.push("cvss_v3");
                    }
                    if let Some(v) = cvss_v4 {
                        report.team.severity.cvss_v4 = v;
                        changed.push("cvss_v4");
                    }
                    if let Some(v) = cwes {
                        report.team.cwes = v;
                        changed.push("cwes");
                    }
                    if let Some(v) = affected {
                        report.team.affected_versions = v;
                        changed.push("affected_versions");
                    }
                    if let Some(v) = fix_lines {
                        let known = tx.release_lines(report.project_id).await?;
                        let latest = policy_of(tx, &report).await?.releases.latest.value;
                        if let Some(unknown) =
                            v.iter().find(|l| !known.iter().any(|k| k.name.as_str() == l.as_str()) && **l != latest)
                        {
                            return Err(AppError::Invalid(FieldErrors(vec![TextError::Refused {
                                field: "fix_lines",
                                reason: format!("{unknown:?} is not a release line of this project"),
                            }])));
                        }
                        report.team.fix_lines = v;
                        changed.push("fix_lines");
                    }
                    if let Some(v) = assignee {
                        if let Some(user) = v
                            && !is_team_member(tx, user, &report).await?
                        {
                            return Err(AppError::invalid("assignee", "a member of the project's security team"));
                        }
                        if report.team.assignee != v {
                            report.team.assignee = v;
                            changed.push("assignee");
                            emit(tx, entropy.as_ref(), now, &Event::AssigneeChanged { report: id, assignee: v })
                                .await?;
                        }
                    }
                    report.updated_at = now;
                    tx.update_report(&report).await?;
                    record(tx, now, &actor, "report.updated", format!("report:{id}"), json!({"fields": changed})).await
                })
            })
            .await?;
        self.report(actor, id).await
    }

    /// Shares a report, redacted and read-only, with the parties interested
    /// in an unsupported platform of the policy. Answers each share with its
    /// secret token (shown once).
    pub async fn share_report(
        &self,
        actor: &Actor,
        id: ReportId,
        platform: &str,
    ) -> Result<Vec<(Share, Token)>, AppError> {
        let now = self.now();
        let (tx_actor, platform) = (actor.clone(), platform.trim().to_owned());
        let entropy = std::sync::Arc::clone(&self.entropy);
        self.store
            .write(move |tx| {
                Box::pin(async move {
                    let actor = tx_actor;
                    let report = tx.lock_report(id).await?.ok_or(AppError::NotFound)?;
                    require(&actor, Action::Share(access(&report)))?;
                    let policy = policy_of(tx, &report).await?;
                    let Some(platform) = policy.platform(&platform).filter(|p| p.tier == Tier::Unsupported) else {
                        return Err(AppError::invalid(
                            "platform",
                            "an unsupported platform of the policy with interested parties",
                        ));
                    };
                    if platform.interested_parties.is_empty() {
                        return Err(AppError::invalid(
                            "platform",
                            "a platform whose interested parties the policy lists",
                        ));
                    }
                    let mut shares = Vec::new();
                    for party in &platform.interested_parties {
                        let token = Token::generate(TokenKind::Share, entropy.as_ref())?;
                        let share = Share {
                            id: entropy.share_id()?,
                            report_id: id,
                            party: party.clone(),
                            platform: platform.name.clone(),
                            created_at: now,
                            mailed_at: None,
                            first_opened_at: None,
                            last_opened_at: None,
                        };
                        tx.insert_share(&share, &token.hash()).await?;
                        // Kept sealed for the party's mail, then forgotten (`App::share_mailed`).
                        tx.keep_share_link(share.id, &Private::new(token.expose().to_owned())).await?;
                        let event = Event::SharedWithParty { report: id, share: share.id };
                        emit(tx, entropy.as_ref(), now, &event).await?;
                        shares.push((share, token));
                    }
                    let details = json!({"platform": platform.name, "parties": shares.len()});
                    record(tx, now, &actor, "report.shared", format!("report:{id}"), details).await?;
                    Ok(shares)
                })
            })
            .await
    }
}
