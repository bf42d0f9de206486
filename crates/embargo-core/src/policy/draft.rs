//! What one level (organisation or project) of a policy says, and its checks.

use std::collections::BTreeSet;

use super::{CnaMode, Criterion, DisclosureRule, Platform, ReportField, Span, Support, ThreatModel, Tier};
use crate::id::{AdvisoryPrefix, CveId};
use crate::project::LineStatus;
use crate::text::Email;

/// Channel settings of one level.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ChannelsDraft {
    /// See [`super::Channels::web_form`].
    pub web_form: Option<bool>,
    /// See [`super::Channels::api`].
    pub api: Option<bool>,
    /// See [`super::Channels::email`].
    pub email: Option<Email>,
    /// See [`super::Channels::openpgp_key`].
    pub openpgp_key: Option<String>,
    /// See [`super::Channels::languages`].
    pub languages: Option<Vec<String>>,
}

/// Scope of one level.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ScopeDraft {
    /// See [`super::Scope::in_scope`].
    pub in_scope: Option<Vec<String>>,
    /// See [`super::Scope::out_of_scope`].
    pub out_of_scope: Option<Vec<String>>,
    /// See [`super::Scope::not_security`].
    pub not_security: Option<Vec<String>>,
}

/// Release rules of one level.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReleasesDraft {
    /// See [`super::Releases::support`].
    pub support: Option<Support>,
    /// See [`super::Releases::latest`].
    pub latest: Option<String>,
    /// See [`super::Releases::cve_eligible`].
    pub cve_eligible: Option<Vec<LineStatus>>,
    /// See [`super::Releases::fix_by_default`].
    pub fix_by_default: Option<Vec<LineStatus>>,
    /// See [`super::Releases::fix_on_request`].
    pub fix_on_request: Option<Vec<LineStatus>>,
    /// See [`super::Releases::experimental`].
    pub experimental: Option<Vec<String>>,
}

/// Report rules of one level.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReportDraft {
    /// See [`super::ReportRules::required`].
    pub required: Option<Vec<ReportField>>,
    /// See [`super::ReportRules::recommended`].
    pub recommended: Option<Vec<ReportField>>,
    /// See [`super::ReportRules::max_attachments`].
    pub max_attachments: Option<u32>,
    /// See [`super::ReportRules::max_attachment_bytes`].
    pub max_attachment_bytes: Option<u32>,
}

/// Response times of one level.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ResponseDraft {
    /// See [`super::ResponseTimes::acknowledge`].
    pub acknowledge: Option<Span>,
    /// See [`super::ResponseTimes::triage`].
    pub triage: Option<Span>,
    /// See [`super::ResponseTimes::fix`].
    pub fix: Option<Span>,
    /// See [`super::ResponseTimes::disclosure`].
    pub disclosure: Option<Span>,
    /// See [`super::ResponseTimes::close_unanswered`].
    pub close_unanswered: Option<Span>,
    /// See [`super::ResponseTimes::expectations`].
    pub expectations: Option<Vec<String>>,
}

/// Disclosure rules of one level.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DisclosureDraft {
    /// See [`super::Disclosure::rule`].
    pub rule: Option<DisclosureRule>,
    /// See [`super::Disclosure::embargo`].
    pub embargo: Option<Span>,
    /// See [`super::Disclosure::max_embargo`].
    pub max_embargo: Option<Span>,
    /// See [`super::Disclosure::embargo_reminder`].
    pub embargo_reminder: Option<Span>,
}

/// Advisory settings of one level.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AdvisoriesDraft {
    /// See [`super::Advisories::prefix`].
    pub prefix: Option<AdvisoryPrefix>,
    /// See [`super::Advisories::cna`].
    pub cna: Option<CnaMode>,
    /// See [`super::Advisories::cve_pool`].
    pub cve_pool: Option<Vec<CveId>>,
}

/// Conduct settings of one level.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ConductDraft {
    /// See [`super::Conduct::code_of_conduct`].
    pub code_of_conduct: Option<String>,
    /// See [`super::Conduct::ban_after`].
    pub ban_after: Option<u32>,
    /// See [`super::Conduct::team_second_factor`].
    pub team_second_factor: Option<bool>,
}

/// Intake limits of one level (issue 12): reports taken an hour, per key.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LimitsDraft {
    /// See [`super::IntakeLimits::per_address`].
    pub per_address: Option<u32>,
    /// See [`super::IntakeLimits::per_account`].
    pub per_account: Option<u32>,
    /// See [`super::IntakeLimits::per_email`].
    pub per_email: Option<u32>,
    /// See [`super::IntakeLimits::per_project`].
    pub per_project: Option<u32>,
}

/// The most reports an hour a policy may allow under one key.
pub const MAX_HOURLY_LIMIT: u32 = 100_000;

/// What one level of a policy says; anything absent is inherited.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PolicyDraft {
    /// Channels.
    pub channels: ChannelsDraft,
    /// Scope.
    pub scope: ScopeDraft,
    /// Threat models (replaces the inherited list as a whole).
    pub threat_models: Option<Vec<ThreatModel>>,
    /// Acceptance criteria (replaces the inherited list as a whole).
    pub criteria: Option<Vec<Criterion>>,
    /// Release rules.
    pub releases: ReleasesDraft,
    /// Platform tiers (replaces the inherited list as a whole).
    pub platforms: Option<Vec<Platform>>,
    /// Report rules.
    pub report: ReportDraft,
    /// Response times.
    pub response: ResponseDraft,
    /// Disclosure.
    pub disclosure: DisclosureDraft,
    /// Advisory ids.
    pub advisories: AdvisoriesDraft,
    /// Conduct.
    pub conduct: ConductDraft,
    /// The evidence lab (project level only).
    pub lab: Option<super::Lab>,
    /// The Cyber Resilience Act (organisation level only).
    pub cra: CraDraft,
    /// Intake limits (issue 12).
    pub limits: LimitsDraft,
}

/// What one level says about the Cyber Resilience Act.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CraDraft {
    /// See [`super::Cra::role`].
    pub role: Option<crate::cra::CraRole>,
}

/// Which level a draft is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    /// An organisation's canonical policy.
    Organisation,
    /// A project's overrides.
    Project,
}

/// A rule a policy breaks, with the field it is about.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct PolicyError {
    /// The field's path (`threat_models[1].id`).
    pub field: String,
    /// What is wrong.
    pub message: String,
}

/// The most response expectations a policy states.
const MAX_EXPECTATIONS: usize = 12;

fn err(field: impl Into<String>, message: impl Into<String>) -> PolicyError {
    PolicyError { field: field.into(), message: message.into() }
}

fn is_id(s: &str) -> bool {
    (1..=60).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

fn is_http_url(s: &str) -> bool {
    (s.starts_with("https://") || s.starts_with("http://")) && !s.contains(char::is_whitespace) && s.len() < 2000
}

impl PolicyDraft {
    /// Checks the rules a policy file must follow; answers every problem.
    pub fn check(&self, level: Level) -> Result<(), Vec<PolicyError>> {
        let mut errors = Vec::new();
        if let Some(models) = &self.threat_models {
            let mut ids = BTreeSet::new();
            for (i, m) in models.iter().enumerate() {
                if !is_id(&m.id) {
                    errors.push(err(format!("threat_models[{i}].id"), "use lower-case letters, digits and hyphens"));
                }
                if !ids.insert(m.id.as_str()) {
                    errors.push(err(format!("threat_models[{i}].id"), format!("{:?} appears twice", m.id)));
                }
                if m.title.trim().is_empty() || m.text.trim().is_empty() {
                    errors.push(err(format!("threat_models[{i}]"), "needs a title and a text"));
                }
            }
        }
        if let Some(expectations) = &self.response.expectations {
            if expectations.len() > MAX_EXPECTATIONS {
                errors.push(err("response.expectations", format!("at most {MAX_EXPECTATIONS} sentences")));
            }
            for (i, line) in expectations.iter().enumerate() {
                if line.trim().is_empty() || line.contains('\n') || line.chars().count() > 300 {
                    errors.push(err(
                        format!("response.expectations[{i}]"),
                        "write one sentence of at most 300 characters on one line",
                    ));
                }
            }
        }
        if let Some(criteria) = &self.criteria {
            let mut ids = BTreeSet::new();
            for (i, c) in criteria.iter().enumerate() {
                if !is_id(&c.id) {
                    errors.push(err(format!("criteria[{i}].id"), "use lower-case letters, digits and hyphens"));
                }
                if !ids.insert(c.id.as_str()) {
                    errors.push(err(format!("criteria[{i}].id"), format!("{:?} appears twice", c.id)));
                }
                if c.title.trim().is_empty() || c.explanation.trim().is_empty() {
                    errors.push(err(format!("criteria[{i}]"), "needs a title and an explanation for the reporter"));
                }
            }
        }
        if let Some(platforms) = &self.platforms {
            let mut names = BTreeSet::new();
            for (i, p) in platforms.iter().enumerate() {
                if p.name.trim().is_empty() {
                    errors.push(err(format!("platforms[{i}].name"), "must not be empty"));
                }
                if !names.insert(p.name.to_lowercase()) {
                    errors.push(err(format!("platforms[{i}].name"), format!("{:?} appears twice", p.name)));
                }
                if p.tier != Tier::Unsupported && !p.interested_parties.is_empty() {
                    errors.push(err(
                        format!("platforms[{i}].interested_parties"),
                        "only unsupported platforms have interested parties",
                    ));
                }
            }
        }
        if let (Some(required), Some(recommended)) = (&self.report.required, &self.report.recommended)
            && let Some(both) = required.iter().find(|f| recommended.contains(f))
        {
            errors.push(err("report.recommended", format!("{both} is already required")));
        }
        if self.report.max_attachment_bytes.is_some_and(|b| !(1..=16 * 1024 * 1024).contains(&b)) {
            errors.push(err("report.max_attachment_bytes", "must be between 1 and 16777216"));
        }
        if self.report.max_attachments.is_some_and(|n| n > 50) {
            errors.push(err("report.max_attachments", "must be at most 50"));
        }
        if let Some(key) = &self.channels.openpgp_key
            && !key.contains("-----BEGIN PGP PUBLIC KEY BLOCK-----")
        {
            errors.push(err("channels.openpgp_key", "must be an ASCII-armoured OpenPGP public key"));
        }
        if let Some(languages) = &self.channels.languages
            && languages
                .iter()
                .any(|l| l.is_empty() || l.len() > 35 || !l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'))
        {
            errors.push(err("channels.languages", "use language tags such as en or pt-BR"));
        }
        if let Some(url) = &self.conduct.code_of_conduct
            && !is_http_url(url)
        {
            errors.push(err("conduct.code_of_conduct", "must be an http:// or https:// URL"));
        }
        let limits = [
            ("limits.per_address", self.limits.per_address),
            ("limits.per_account", self.limits.per_account),
            ("limits.per_email", self.limits.per_email),
            ("limits.per_project", self.limits.per_project),
        ];
        for (field, limit) in limits {
            if limit.is_some_and(|n| !(1..=MAX_HOURLY_LIMIT).contains(&n)) {
                errors.push(err(field, "must be a number of reports an hour from 1 to 100000"));
            }
        }
        if self.conduct.ban_after == Some(0) {
            errors.push(err("conduct.ban_after", "must be at least 1"));
        }
        if let Some(latest) = &self.releases.latest
            && latest.parse::<crate::project::LineName>().is_err()
        {
            errors.push(err("releases.latest", "use letters, digits, '.', '_', '+' or '-'"));
        }
        if let Some(pool) = &self.advisories.cve_pool {
            let unique: BTreeSet<_> = pool.iter().collect();
            if unique.len() != pool.len() {
                errors.push(err("advisories.cve_pool", "an id appears twice"));
            }
        }
        if let Some(lab) = &self.lab {
            if level == Level::Organisation {
                errors.push(err("lab", "describes one project's code: set it in the project's policy"));
            }
            errors.extend(lab.check());
        }
        if level == Level::Project {
            if self.advisories.prefix.is_some() {
                errors.push(err("advisories.prefix", "is set for the whole organisation, not per project"));
            }
            if self.advisories.cve_pool.is_some() {
                errors.push(err("advisories.cve_pool", "is kept by the organisation, not per project"));
            }
            if self.cra.role.is_some() {
                errors.push(err("cra.role", "is the organisation's role: set it in the organisation's policy"));
            }
        }
        if errors.is_empty() { Ok(()) } else { Err(errors) }
    }
}
