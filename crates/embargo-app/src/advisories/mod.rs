//! Advisories: drafted from an accepted report, edited by the team,
//! published once the fix is public (which discloses the report), withdrawn
//! when they were wrong. State changes pass through `lifecycle.rs`.

pub(crate) mod lifecycle;
mod vex;

use embargo_core::text::Slug;
use std::collections::HashMap;
use std::sync::Arc;

use embargo_core::Timestamp;
use embargo_core::advisory::{
    Advisory, AdvisoryContent, AdvisoryError, AdvisoryState, Affected, AffectedSource, Credit, CreditKind, FixKind,
    FixStrategy, Range, RangeEvent, RangeKind, Reference, ReferenceKind, Revision, SourceFields, check_draft,
    check_url,
};
use embargo_core::eligibility::report_eligibility;
use embargo_core::id::{AdvisoryId, AliasId, CweId, ReportId};
use embargo_core::organisation::Organisation;
use embargo_core::permission::{Action, Actor, Decision, ProjectAccess, ReportAccess, decide};
use embargo_core::policy::CnaMode;
use embargo_core::project::{Package, Project};
use embargo_core::severity::Severity;
use embargo_core::text::{FieldErrors, TextError};
use embargo_store::StoreExt;
use embargo_store::advisories::{PublishedAdvisory, PublishedFilter};
use serde_json::json;

use crate::audit::record;
use crate::organisations::{find_organisation, find_project};
use crate::policies::project_policy;
use crate::reports::affected_lines;
use crate::{App, AppError, require};
use lifecycle::AdvisoryChange;
pub use vex::NotAffectedInput;

/// An advisory as one viewer may see it.
#[derive(Debug, Clone, PartialEq)]
pub struct AdvisoryView {
    /// Its id.
    pub id: AdvisoryId,
    /// The issuing organisation.
    pub org: Organisation,
    /// The project it is about.
    pub project: Project,
    /// Where it stands.
    pub state: AdvisoryState,
    /// The latest published revision: what the public sees.
    pub published: Option<Revision>,
    /// The team's working copy (team only).
    pub draft: Option<AdvisoryContent>,
    /// The report it came from (team only).
    pub report_id: Option<ReportId>,
    /// When it was first published.
    pub first_published_at: Option<Timestamp>,
    /// When it was withdrawn.
    pub withdrawn_at: Option<Timestamp>,
    /// When the working copy last changed (team only).
    pub updated_at: Option<Timestamp>,
    /// What the policy says about CVE ids and fixes for the report's affected lines (team only).
    pub eligibility: Option<embargo_core::eligibility::Eligibility>,
    /// Whether the viewer may take a CVE id from the organisation's pool now:
    /// the policy's CNA mode is `id-pool` or `cve-services`, the report is
    /// eligible, and the advisory has no CVE id yet.
    pub can_take_cve: bool,
    /// Its operations in CVE Services (reserve, publish, update, reject) with
    /// their outcomes, newest first (team only, on the single view).
    pub cve_operations: Vec<embargo_store::cve_services::CveOperation>,
}

/// Which advisories to list.
#[derive(Debug, Clone, Default)]
pub struct AdvisoryQuery {
    /// Only this organisation's.
    pub org: Option<Slug>,
    /// Only this project's (needs `org`).
    pub project: Option<Slug>,
}

/// One version range as typed: `kind` is `SEMVER`, `ECOSYSTEM` or `GIT`;
/// events are `(introduced|fixed|last_affected|limit, version)`.
#[derive(Debug, Clone, Default)]
pub struct RangeInput {
    /// The ordering.
    pub kind: String,
    /// The repository, for `GIT`.
    pub repo: Option<String>,
    /// The events in order.
    pub events: Vec<(String, String)>,
}

/// One affected package as typed.
#[derive(Debug, Clone, Default)]
pub struct AffectedInput {
    /// The package as (OSV ecosystem, name); `None` for an entry with `GIT` ranges only.
    pub package: Option<(String, String)>,
    /// Version ranges.
    pub ranges: Vec<RangeInput>,
    /// Versions one by one.
    pub versions: Vec<String>,
}

/// Changes to an advisory's working copy; absent fields stay.
#[derive(Debug, Clone, Default)]
pub struct AdvisoryPatch {
    /// One line.
    pub summary: Option<String>,
    /// Markdown.
    pub details: Option<String>,
    /// CVE ids.
    pub aliases: Option<Vec<String>>,
    /// Affected packages.
    pub affected: Option<Vec<AffectedInput>>,
    /// A CVSS 3.x vector; `Some(None)` clears.
    pub cvss_v3: Option<Option<String>>,
    /// A CVSS 4.0 vector; `Some(None)` clears.
    pub cvss_v4: Option<Option<String>>,
    /// CWE ids.
    pub cwes: Option<Vec<String>>,
    /// `(kind, url)` pairs.
    pub references: Option<Vec<(String, String)>>,
    /// `(name, kind, contacts)`.
    pub credits: Option<Vec<(String, String, Vec<String>)>>,
    /// The fix strategy's kinds (`patch`, `dependency-update`, `mitigation`); replaces the list.
    pub fix_kinds: Option<Vec<String>>,
    /// What users should do, in the team's words (Markdown).
    pub fix_text: Option<String>,
}

fn refused(field: &'static str) -> impl Fn(String) -> TextError {
    move |reason| TextError::Refused { field, reason }
}

fn parse_range(input: &RangeInput) -> Result<Range, TextError> {
    let kind = input.kind.parse::<RangeKind>().map_err(|e| refused("affected")(e.to_string()))?;
    let events = input
        .events
        .iter()
        .map(|(event, version)| match event.as_str() {
            "introduced" => Ok(RangeEvent::Introduced(version.clone())),
            "fixed" => Ok(RangeEvent::Fixed(version.clone())),
            "last_affected" => Ok(RangeEvent::LastAffected(version.clone())),
            "limit" => Ok(RangeEvent::Limit(version.clone())),
            other => Err(refused("affected")(format!(
                "unknown range event {other:?}: expected introduced, fixed, last_affected or limit"
            ))),
        })
        .collect::<Result<Vec<_>, _>>()?;
    let repo = input.repo.as_deref().map(|r| check_url("affected", r)).transpose()?;
    if kind == RangeKind::Git && repo.is_none() {
        return Err(refused("affected")("a GIT range needs repo".into()));
    }
    if !events.iter().any(|e| matches!(e, RangeEvent::Introduced(_))) {
        return Err(refused("affected")("each range needs an introduced event (\"0\" for all versions)".into()));
    }
    Ok(Range { kind, repo, events, database_specific: None })
}

impl AdvisoryPatch {
    /// Applies the patch to a working copy, checking every field given.
    fn apply(self, content: &mut AdvisoryContent) -> Result<(), FieldErrors> {
        let mut errors = FieldErrors(Vec::new());
        if let Some(summary) = self.summary {
            content.summary = summary.trim().to_owned();
        }
        if let Some(details) = self.details {
            content.details = details;
        }
        if let Some(aliases) = self.aliases {
            let parsed = aliases.iter().map(|a| a.parse::<AliasId>()).collect::<Result<Vec<_>, _>>();
            if let Some(v) = errors.take(parsed.map_err(|e| refused("aliases")(e.to_string()))) {
                content.aliases = v;
            }
        }
        if let Some(affected) = self.affected {
            // What an imported source said of a package stays with it.
            let kept = |package: &Option<Package>| {
                content.affected.iter().find(|a| &a.package == package).map(|a| a.source.clone()).unwrap_or_default()
            };
            let parsed = affected
                .iter()
                .map(|a| {
                    let package =
                        a.package.as_ref().map(|(ecosystem, name)| Package::new(ecosystem, name)).transpose()?;
                    if package.is_none() && !a.ranges.iter().any(|r| r.kind.eq_ignore_ascii_case("GIT")) {
                        return Err(refused("affected")("an entry without a package needs a GIT range".into()));
                    }
                    Ok(Affected {
                        source: kept(&package),
                        package,
                        ranges: a.ranges.iter().map(parse_range).collect::<Result<Vec<_>, _>>()?,
                        versions: a.versions.clone(),
                    })
                })
                .collect::<Result<Vec<_>, TextError>>();
            if let Some(v) = errors.take(parsed) {
                content.affected = v;
            }
        }
        let severity = Severity::parse(
            self.cvss_v3
                .clone()
                .unwrap_or_else(|| content.severity.cvss_v3.as_ref().map(|c| c.vector().to_owned()))
                .as_deref(),
            self.cvss_v4
                .clone()
                .unwrap_or_else(|| content.severity.cvss_v4.as_ref().map(|c| c.vector().to_owned()))
                .as_deref(),
        );
        if let Some(v) = errors.take(severity.map_err(|e| refused("severity")(e.to_string()))) {
            content.severity = v;
        }
        if let Some(cwes) = self.cwes {
            let parsed = cwes.iter().map(|c| c.parse::<CweId>()).collect::<Result<Vec<_>, _>>();
            if let Some(v) = errors.take(parsed.map_err(|e| refused("cwes")(e.to_string()))) {
                content.cwes = v;
            }
        }
        if let Some(references) = self.references {
            let parsed = references
                .iter()
                .map(|(kind, url)| {
                    Ok(Reference {
                        kind: kind.parse::<ReferenceKind>().map_err(|e| refused("references")(e.to_string()))?,
                        url: check_url("references", url)?,
                    })
                })
                .collect::<Result<Vec<_>, TextError>>();
            if let Some(v) = errors.take(parsed) {
                content.references = v;
            }
        }
        if let Some(credits) = self.credits {
            let parsed = credits
                .iter()
                .map(|(name, kind, contact)| {
                    Ok(Credit {
                        name: name.trim().to_owned(),
                        kind: kind.parse::<CreditKind>().map_err(|e| refused("credits")(e.to_string()))?,
                        contact: contact.clone(),
                    })
                })
                .collect::<Result<Vec<_>, TextError>>();
            if let Some(v) = errors.take(parsed) {
                content.credits = v;
            }
        }
        if let Some(kinds) = self.fix_kinds {
            let parsed = kinds.iter().map(|k| k.trim().parse::<FixKind>()).collect::<Result<Vec<_>, _>>();
            if let Some(kinds) = errors.take(parsed.map_err(|e| refused("fix")(e.to_string()))) {
                content.fix = FixStrategy::new(kinds, &content.fix.text);
            }
        }
        if let Some(text) = self.fix_text {
            content.fix = FixStrategy::new(content.fix.kinds.iter().copied(), &text);
        }
        errors.finish(|| Some(()))?;
        content.check()
    }
}

pub(crate) fn project_access(advisory: &Advisory) -> ProjectAccess {
    ProjectAccess { org: advisory.org_id, project: advisory.project_id }
}

impl App {
    fn team_view(advisory: Advisory, org: Organisation, project: Project) -> AdvisoryView {
        AdvisoryView {
            id: advisory.id,
            org,
            project,
            state: advisory.state,
            published: advisory.published,
            draft: Some(advisory.draft),
            report_id: advisory.report_id,
            first_published_at: advisory.first_published_at,
            withdrawn_at: advisory.withdrawn_at,
            updated_at: Some(advisory.updated_at),
            eligibility: None,
            can_take_cve: false,
            cve_operations: Vec::new(),
        }
    }

    fn public_view(advisory: PublishedAdvisory, org: Organisation, project: Project) -> AdvisoryView {
        AdvisoryView {
            id: advisory.id,
            org,
            project,
            state: advisory.state,
            published: Some(advisory.revision),
            draft: None,
            report_id: None,
            first_published_at: Some(advisory.first_published_at),
            withdrawn_at: advisory.withdrawn_at,
            updated_at: None,
            eligibility: None,
            can_take_cve: false,
            cve_operations: Vec::new(),
        }
    }

    /// Drafts an advisory from an accepted report, prefilled from it.
    pub async fn draft_advisory(&self, actor: &Actor, report_id: ReportId) -> Result<AdvisoryView, AppError> {
        let (now, tx_actor, entropy) = (self.now(), actor.clone(), Arc::clone(&self.entropy));
        let id = self
            .store
            .write(move |tx| {
                Box::pin(async move {
                    let actor = tx_actor;
                    let report = tx.lock_report(report_id).await?.ok_or(AppError::NotFound)?;
                    let access = ReportAccess {
                        id: report.id,
                        org: report.org_id,
                        project: report.project_id,
                        reporter: report.reporter_id,
                    };
                    require(&actor, Action::ViewReport(access))?;
                    require(
                        &actor,
                        Action::EditAdvisory(ProjectAccess { org: report.org_id, project: report.project_id }),
                    )?;
                    check_draft(report.state)?;
                    if tx.advisory_for_report(report.id).await?.is_some() {
                        return Err(AppError::Conflict { what: "an advisory for this report" });
                    }
                    let org = tx.organisation(report.org_id).await?.ok_or(AppError::NotFound)?;
                    let project = tx.project(report.project_id).await?.ok_or(AppError::NotFound)?;
                    let number = tx.next_advisory_number(&org.advisory_prefix, now.year()).await?;
                    // Every finder: the reporter, then those of its duplicates in order of report
                    // time, then the co-finders the team invited; each as they chose to be credited.
                    let credit_names = crate::credits::credit_names(&mut *tx, &report).await?;
                    let content = report.content.expose();
                    let advisory = Advisory {
                        id: AdvisoryId::allocated(&org.advisory_prefix, now.year(), number),
                        org_id: org.id,
                        project_id: project.id,
                        report_id: Some(report.id),
                        state: AdvisoryState::Draft,
                        draft: AdvisoryContent {
                            summary: content.title.clone(),
                            details: String::new(),
                            aliases: Vec::new(),
                            affected: project
                                .packages
                                .iter()
                                .map(|p| Affected {
                                    package: Some(p.clone()),
                                    ranges: Vec::new(),
                                    versions: Vec::new(),
                                    source: AffectedSource::default(),
                                })
                                .collect(),
                            severity: report.team.severity.clone(),
                            cwes: report.team.cwes.clone(),
                            references: Vec::new(),
                            credits: credit_names
                                .into_iter()
                                .map(|name| Credit { name, kind: CreditKind::Reporter, contact: Vec::new() })
                                .collect(),
                            fix: FixStrategy::default(),
                            source: SourceFields::default(),
                        },
                        published: None,
                        created_at: now,
                        updated_at: now,
                        first_published_at: None,
                        withdrawn_at: None,
                    };
                    tx.insert_advisory(&advisory).await?;
                    let mut advisory = advisory;
                    let drafted = AdvisoryChange::Drafted;
                    lifecycle::apply(tx, entropy.as_ref(), now, &actor, &mut advisory, None, drafted).await?;
                    Ok(advisory.id)
                })
            })
            .await?;
        self.advisory(actor, &id).await
    }

    /// Edits an advisory's working copy. A CVE id the organisation reserved in
    /// CVE Services that the edit takes off the aliases, and that no published
    /// revision carries, is released: its rejection is queued.
    pub async fn update_advisory(
        &self,
        actor: &Actor,
        id: &AdvisoryId,
        patch: AdvisoryPatch,
    ) -> Result<AdvisoryView, AppError> {
        let id = id.clone();
        let (now, tx_actor, tx_id, entropy) = (self.now(), actor.clone(), id.clone(), Arc::clone(&self.entropy));
        self.store
            .write(move |tx| {
                Box::pin(async move {
                    let (actor, id) = (tx_actor, tx_id);
                    let mut advisory = tx.lock_advisory(&id).await?.ok_or(AppError::NotFound)?;
                    require(&actor, Action::EditAdvisory(project_access(&advisory)))?;
                    if advisory.state == AdvisoryState::Withdrawn {
                        return Err(AdvisoryError::Withdrawn.into());
                    }
                    let before = crate::cve_services::release::draft_cves(&advisory);
                    patch.apply(&mut advisory.draft)?;
                    advisory.updated_at = now;
                    tx.update_advisory(&advisory).await?;
                    record(tx, now, &actor, "advisory.updated", format!("advisory:{id}"), json!({})).await?;
                    // A CVE id reserved in CVE Services taken off an unpublished advisory is released.
                    let why = "the team took it off the advisory";
                    crate::cve_services::release::released(
                        tx,
                        entropy.as_ref(),
                        now,
                        &actor,
                        &before,
                        &advisory,
                        why,
                        None,
                    )
                    .await
                })
            })
            .await?;
        self.advisory(actor, &id).await
    }

    /// Publishes the working copy as a new revision; the report becomes disclosed.
    pub async fn publish_advisory(&self, actor: &Actor, id: &AdvisoryId) -> Result<AdvisoryView, AppError> {
        let id = id.clone();
        self.change_advisory(actor, id, AdvisoryChange::Published).await
    }

    /// Withdraws a published advisory: it stays public, marked withdrawn,
    /// and scanners stop matching it.
    pub async fn withdraw_advisory(&self, actor: &Actor, id: &AdvisoryId) -> Result<AdvisoryView, AppError> {
        let id = id.clone();
        self.change_advisory(actor, id, AdvisoryChange::Withdrawn).await
    }

    async fn change_advisory(
        &self,
        actor: &Actor,
        id: AdvisoryId,
        change: AdvisoryChange,
    ) -> Result<AdvisoryView, AppError> {
        let (now, tx_actor, tx_id, entropy) = (self.now(), actor.clone(), id.clone(), Arc::clone(&self.entropy));
        self.store
            .write(move |tx| {
                Box::pin(async move {
                    let (actor, id) = (tx_actor, tx_id);
                    let mut advisory = tx.lock_advisory(&id).await?.ok_or(AppError::NotFound)?;
                    require(&actor, Action::PublishAdvisory(project_access(&advisory)))?;
                    let mut report = match advisory.report_id {
                        Some(report) => Some(tx.lock_report(report).await?.ok_or(AppError::NotFound)?),
                        None => None,
                    };
                    lifecycle::apply(tx, entropy.as_ref(), now, &actor, &mut advisory, report.as_mut(), change).await
                })
            })
            .await?;
        self.advisory(actor, &id).await
    }

    /// Takes the next unused CVE id from the organisation's pool (CNA mode
    /// `id-pool`) for an advisory whose report the policy makes CVE-eligible;
    /// in `cve-services` mode, an id reserved in CVE Services (from the
    /// organisation's pool of reserved ids, else a reservation is queued and
    /// its outcome shows on the advisory).
    pub async fn assign_cve(&self, actor: &Actor, id: &AdvisoryId) -> Result<AdvisoryView, AppError> {
        let id = id.clone();
        let (now, tx_actor, tx_id, entropy) = (self.now(), actor.clone(), id.clone(), Arc::clone(&self.entropy));
        self.store
            .write(move |tx| {
                Box::pin(async move {
                    let (actor, id) = (tx_actor, tx_id);
                    let mut advisory = tx.lock_advisory(&id).await?.ok_or(AppError::NotFound)?;
                    require(&actor, Action::EditAdvisory(project_access(&advisory)))?;
                    if let Some(cve) = advisory.draft.aliases.iter().find_map(AliasId::cve) {
                        return Err(AppError::CveUnavailable(format!("the advisory already has {cve}")));
                    }
                    let org = tx.organisation(advisory.org_id).await?.ok_or(AppError::NotFound)?;
                    let project = tx.project(advisory.project_id).await?.ok_or(AppError::NotFound)?;
                    let policy = project_policy(tx, &org, &project).await?;
                    if !matches!(policy.advisories.cna.value, CnaMode::IdPool | CnaMode::CveServices) {
                        return Err(AppError::CveUnavailable(format!(
                            "the policy's CNA mode is {}: enter a CVE id assigned elsewhere as an alias",
                            policy.advisories.cna.value.as_str()
                        )));
                    }
                    if let Some(report) = advisory.report_id {
                        let report = tx.report(report).await?.ok_or(AppError::NotFound)?;
                        let lines = tx.release_lines(project.id).await?;
                        let affected = affected_lines(&report, &lines, &policy.releases.latest.value);
                        let verdict = report_eligibility(&policy, &lines, &affected, report.content.expose());
                        if !verdict.cve {
                            return Err(AppError::CveUnavailable(verdict.explanation));
                        }
                    }
                    if policy.advisories.cna.value == CnaMode::CveServices {
                        return crate::cve_services::take_for_advisory(
                            tx,
                            entropy.as_ref(),
                            now,
                            &actor,
                            &mut advisory,
                        )
                        .await;
                    }
                    let taken = tx.assigned_cves(org.id).await?;
                    let Some(cve) = policy.advisories.cve_pool.value.iter().find(|c| !taken.contains(c)).cloned()
                    else {
                        return Err(AppError::CveUnavailable(
                            "the organisation's pool of reserved CVE ids is used up".into(),
                        ));
                    };
                    tx.assign_cve(org.id, &cve, &id, now).await?;
                    advisory.draft.aliases.push(AliasId::from(cve.clone()));
                    advisory.updated_at = now;
                    tx.update_advisory(&advisory).await?;
                    let details = json!({"cve": cve.as_str()});
                    record(tx, now, &actor, "advisory.cve_assigned", format!("advisory:{id}"), details).await
                })
            })
            .await?;
        self.advisory(actor, &id).await
    }

    /// One advisory: the team sees its working copy; everyone else sees the
    /// published revision, and nothing at all of a draft.
    pub async fn advisory(&self, actor: &Actor, id: &AdvisoryId) -> Result<AdvisoryView, AppError> {
        let id = id.clone();
        let mut reader = self.store.reader().await?;
        let advisory = reader.advisory(&id).await?.ok_or(AppError::NotFound)?;
        let org = reader.organisation(advisory.org_id).await?.ok_or(AppError::NotFound)?;
        let project = reader.project(advisory.project_id).await?.ok_or(AppError::NotFound)?;
        if decide(actor, Action::ViewDraftAdvisory(project_access(&advisory))) == Decision::Allow {
            let policy = project_policy(reader.as_mut(), &org, &project).await?;
            let eligibility = match advisory.report_id {
                Some(report) => match reader.report(report).await? {
                    Some(report) => {
                        let lines = reader.release_lines(project.id).await?;
                        let affected = affected_lines(&report, &lines, &policy.releases.latest.value);
                        Some(report_eligibility(&policy, &lines, &affected, report.content.expose()))
                    }
                    None => None,
                },
                None => None,
            };
            let can_take_cve = matches!(policy.advisories.cna.value, CnaMode::IdPool | CnaMode::CveServices)
                && eligibility.as_ref().is_some_and(|e| e.cve)
                && !advisory.draft.aliases.iter().any(|a| a.cve().is_some())
                && decide(actor, Action::EditAdvisory(project_access(&advisory))) == Decision::Allow;
            let cve_operations = reader.cve_operations_of(&id, 20).await?;
            return Ok(AdvisoryView {
                eligibility,
                can_take_cve,
                cve_operations,
                ..Self::team_view(advisory, org, project)
            });
        }
        let published = reader.published_advisory(&id).await?.ok_or(AppError::NotFound)?;
        Ok(Self::public_view(published, org, project))
    }

    /// Published advisories, newest first; for a team member also the
    /// drafts of their projects.
    pub async fn advisories(&self, actor: &Actor, query: &AdvisoryQuery) -> Result<Vec<AdvisoryView>, AppError> {
        let mut reader = self.store.reader().await?;
        let filter = match (&query.org, &query.project) {
            (Some(org), Some(project)) => {
                let (org, project) = find_project(reader.as_mut(), org, project).await?;
                PublishedFilter { org: Some(org.id), project: Some(project.id) }
            }
            (Some(org), None) => {
                PublishedFilter { org: Some(find_organisation(reader.as_mut(), org).await?.id), project: None }
            }
            // A project is named within its organisation: without one, `project` names none.
            (None, Some(_)) => return Err(AppError::NotFound),
            (None, None) => PublishedFilter::default(),
        };
        let orgs: HashMap<_, _> = reader.organisations().await?.into_iter().map(|o| (o.id, o)).collect();
        let projects: HashMap<_, _> = reader.projects(None).await?.into_iter().map(|p| (p.id, p)).collect();
        let place = |org, project| Some((orgs.get(&org)?.clone(), projects.get(&project)?.clone()));
        let mut views = Vec::new();
        if let Some(user) = actor.user() {
            for advisory in reader.team_advisories(user.id, filter.project).await? {
                let visible = decide(actor, Action::ViewDraftAdvisory(project_access(&advisory))) == Decision::Allow;
                let in_org = filter.org.is_none_or(|org| org == advisory.org_id);
                if let (true, true, Some((org, project))) =
                    (visible, in_org, place(advisory.org_id, advisory.project_id))
                {
                    views.push(Self::team_view(advisory, org, project));
                }
            }
        }
        for advisory in reader.published_advisories(&filter).await? {
            if views.iter().any(|v| v.id == advisory.id) {
                continue;
            }
            if let Some((org, project)) = place(advisory.org_id, advisory.project_id) {
                views.push(Self::public_view(advisory, org, project));
            }
        }
        Ok(views)
    }
}
