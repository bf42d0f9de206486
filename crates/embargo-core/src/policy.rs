//! The security policy: what an organisation promises and decides by, set
//! once per organisation and overridden per project field by field.
//!
//! A [`PolicyDraft`] is what one level says (every field optional); [`resolve`]
//! merges the project's draft over the organisation's over the defaults into
//! a [`Policy`] whose every field remembers where it came from ([`Source`]).

mod draft;
mod lab;
mod span;

pub use draft::{
    AdvisoriesDraft, ChannelsDraft, ConductDraft, CraDraft, DisclosureDraft, Level, PolicyDraft, PolicyError,
    ReleasesDraft, ReportDraft, ResponseDraft, ScopeDraft,
};
pub use draft::{LimitsDraft, MAX_HOURLY_LIMIT};
pub use lab::{
    Lab, LabLine, LabPackage, MAX_LAB_LINES, PackageError, PackageKind, package_index, package_version, safe_argument,
};
pub use span::Span;

use std::fmt;
use std::str::FromStr;

use crate::id::AdvisoryPrefix;
use crate::project::LineStatus;
use crate::text::{Email, UnknownName};

/// Where an effective field's value comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Source {
    /// Embargo's built-in default.
    Default,
    /// The organisation's policy.
    Organisation,
    /// The project's override.
    Project,
}

impl Source {
    /// The name shown beside a field.
    pub const fn as_str(self) -> &'static str {
        match self {
            Source::Default => "default",
            Source::Organisation => "organisation",
            Source::Project => "project",
        }
    }
}

/// An effective value and where it comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sourced<T> {
    /// The value.
    pub value: T,
    /// Its origin.
    pub source: Source,
}

/// A model of a threat the reporter must check a report against.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ThreatModel {
    /// A short id a report can cite (`untrusted-data`).
    pub id: String,
    /// A title.
    pub title: String,
    /// What the model assumes.
    pub text: String,
}

/// A criterion the team decides by; declining a report names one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Criterion {
    /// A short id (`documented-behaviour`).
    pub id: String,
    /// A title.
    pub title: String,
    /// What the reporter is told when a report is declined for it.
    pub explanation: String,
}

/// How a project supports its releases.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Support {
    /// Named release lines, each with a lifecycle status.
    Lines,
    /// Only the latest build is supported.
    LatestOnly,
}

impl Support {
    /// The name in policy files.
    pub const fn as_str(self) -> &'static str {
        match self {
            Support::Lines => "lines",
            Support::LatestOnly => "latest-only",
        }
    }
}

impl FromStr for Support {
    type Err = UnknownName;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "lines" => Ok(Support::Lines),
            "latest-only" => Ok(Support::LatestOnly),
            other => Err(UnknownName::new("support model", other, "lines or latest-only")),
        }
    }
}

/// A platform's support tier (as PEP 11 names them).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Tier {
    /// Tier 1: fully supported.
    Tier1,
    /// Tier 2.
    Tier2,
    /// Tier 3.
    Tier3,
    /// Not supported: reports may go to the platform's interested parties.
    Unsupported,
}

impl Tier {
    /// The name in policy files.
    pub const fn as_str(self) -> &'static str {
        match self {
            Tier::Tier1 => "tier-1",
            Tier::Tier2 => "tier-2",
            Tier::Tier3 => "tier-3",
            Tier::Unsupported => "unsupported",
        }
    }
}

impl FromStr for Tier {
    type Err = UnknownName;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "tier-1" => Ok(Tier::Tier1),
            "tier-2" => Ok(Tier::Tier2),
            "tier-3" => Ok(Tier::Tier3),
            "unsupported" => Ok(Tier::Unsupported),
            other => Err(UnknownName::new("platform tier", other, "tier-1, tier-2, tier-3 or unsupported")),
        }
    }
}

/// A platform and who cares about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Platform {
    /// Its name as reporters write it (`FreeBSD`, `wasm32-wasi`).
    pub name: String,
    /// Its tier.
    pub tier: Tier,
    /// Addresses that may receive reports about it (unsupported platforms).
    pub interested_parties: Vec<Email>,
}

/// A field of the report form.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ReportField {
    /// The affected component.
    Component,
    /// The versions tested.
    VersionsTested,
    /// Which were vulnerable.
    VersionsVulnerable,
    /// The release lines affected, picked from the project's.
    Lines,
    /// The platform.
    Platform,
    /// The threat model cited.
    ThreatModel,
    /// A proof of concept.
    ProofOfConcept,
    /// A patch.
    Patch,
    /// A name to credit.
    ReporterName,
    /// A contact address (for reporters not signed in).
    ReporterEmail,
}

impl ReportField {
    /// Every field, in form order.
    pub const ALL: [ReportField; 10] = [
        ReportField::Component,
        ReportField::VersionsTested,
        ReportField::VersionsVulnerable,
        ReportField::Lines,
        ReportField::Platform,
        ReportField::ThreatModel,
        ReportField::ProofOfConcept,
        ReportField::Patch,
        ReportField::ReporterName,
        ReportField::ReporterEmail,
    ];

    /// The field's name in requests and policy files.
    pub const fn as_str(self) -> &'static str {
        match self {
            ReportField::Component => "component",
            ReportField::VersionsTested => "versions_tested",
            ReportField::VersionsVulnerable => "versions_vulnerable",
            ReportField::Lines => "lines",
            ReportField::Platform => "platform",
            ReportField::ThreatModel => "threat_model",
            ReportField::ProofOfConcept => "proof_of_concept",
            ReportField::Patch => "patch",
            ReportField::ReporterName => "reporter_name",
            ReportField::ReporterEmail => "reporter_email",
        }
    }

    /// A label for people.
    pub const fn label(self) -> &'static str {
        match self {
            ReportField::Component => "the affected component",
            ReportField::VersionsTested => "the versions you tested",
            ReportField::VersionsVulnerable => "which of them were vulnerable",
            ReportField::Lines => "the affected release lines",
            ReportField::Platform => "the platform",
            ReportField::ThreatModel => "the threat model you checked the report against",
            ReportField::ProofOfConcept => "a proof-of-concept script (exit 1 when vulnerable, 0 when not)",
            ReportField::Patch => "a patch",
            ReportField::ReporterName => "a name to credit",
            ReportField::ReporterEmail => "a contact address",
        }
    }
}

impl fmt::Display for ReportField {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for ReportField {
    type Err = UnknownName;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ReportField::ALL.into_iter().find(|f| f.as_str() == s).ok_or_else(|| {
            UnknownName::new(
                "report field",
                s,
                "component, versions_tested, versions_vulnerable, lines, platform, threat_model, proof_of_concept, \
                 patch, reporter_name or reporter_email",
            )
        })
    }
}

/// When an advisory is published.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DisclosureRule {
    /// Once the fix is public (for instance when its pull request is merged).
    FixPublic,
    /// On the embargo date agreed for the report.
    EmbargoDate,
}

impl DisclosureRule {
    /// The name in policy files.
    pub const fn as_str(self) -> &'static str {
        match self {
            DisclosureRule::FixPublic => "fix-public",
            DisclosureRule::EmbargoDate => "embargo-date",
        }
    }
}

impl FromStr for DisclosureRule {
    type Err = UnknownName;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "fix-public" => Ok(DisclosureRule::FixPublic),
            "embargo-date" => Ok(DisclosureRule::EmbargoDate),
            other => Err(UnknownName::new("disclosure rule", other, "fix-public or embargo-date")),
        }
    }
}

/// How CVE ids are obtained.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CnaMode {
    /// The team enters ids assigned elsewhere (or asks its CNA).
    None,
    /// The organisation is a CNA with a pool of reserved ids.
    IdPool,
    /// The organisation reserves ids through MITRE's CVE Services.
    CveServices,
}

impl CnaMode {
    /// The name in policy files.
    pub const fn as_str(self) -> &'static str {
        match self {
            CnaMode::None => "none",
            CnaMode::IdPool => "id-pool",
            CnaMode::CveServices => "cve-services",
        }
    }
}

impl FromStr for CnaMode {
    type Err = UnknownName;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "none" => Ok(CnaMode::None),
            "id-pool" => Ok(CnaMode::IdPool),
            "cve-services" => Ok(CnaMode::CveServices),
            other => Err(UnknownName::new("CNA mode", other, "none, id-pool or cve-services")),
        }
    }
}

/// The private channels.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Channels {
    /// Reports through the web form.
    pub web_form: Sourced<bool>,
    /// Reports through the API.
    pub api: Sourced<bool>,
    /// The security address, if reports are taken by e-mail.
    pub email: Sourced<Option<Email>>,
    /// The OpenPGP public key (armoured) to encrypt reports to.
    pub openpgp_key: Sourced<Option<String>>,
    /// Languages reports may be written in (RFC 5646 tags).
    pub languages: Sourced<Vec<String>>,
}

/// What is in scope.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scope {
    /// In scope.
    pub in_scope: Sourced<Vec<String>>,
    /// Out of scope.
    pub out_of_scope: Sourced<Vec<String>>,
    /// Never treated as a security issue.
    pub not_security: Sourced<Vec<String>>,
}

/// Which releases are supported and what that means.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Releases {
    /// Named lines, or the latest build only.
    pub support: Sourced<Support>,
    /// For latest-only support: the name of the latest build (`main`).
    pub latest: Sourced<String>,
    /// Statuses whose lines get CVE ids.
    pub cve_eligible: Sourced<Vec<LineStatus>>,
    /// Statuses whose lines get fixes by default.
    pub fix_by_default: Sourced<Vec<LineStatus>>,
    /// Statuses whose lines get fixes on request.
    pub fix_on_request: Sourced<Vec<LineStatus>>,
    /// Experimental features: not eligible as vulnerabilities.
    pub experimental: Sourced<Vec<String>>,
}

/// What a report must or should contain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportRules {
    /// Fields a report must have (title and description always must).
    pub required: Sourced<Vec<ReportField>>,
    /// Fields a report should have: their absence is flagged, not refused.
    pub recommended: Sourced<Vec<ReportField>>,
    /// The most attachments one report may carry.
    pub max_attachments: Sourced<u32>,
    /// The largest attachment, in bytes. Attachments are plain text only.
    pub max_attachment_bytes: Sourced<u32>,
}

/// The response times the team promises (none: no promise).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResponseTimes {
    /// Acknowledge a new report within.
    pub acknowledge: Sourced<Option<Span>>,
    /// Decide (accept or decline) within, from receipt.
    pub triage: Sourced<Option<Span>>,
    /// Have a fix within, from acceptance.
    pub fix: Sourced<Option<Span>>,
    /// Disclose at the latest within, from acceptance.
    pub disclosure: Sourced<Option<Span>>,
    /// Close a report that waits for the reporter's answer (`needs_info`) after
    /// this long without one, telling the reporter first. Off unless set.
    pub close_unanswered: Sourced<Option<Span>>,
    /// What a reporter may expect, in the team's own words (`Initial
    /// acknowledgment: within a reasonable timeframe`), for teams that
    /// promise no times or want to say more than the times.
    pub expectations: Sourced<Vec<String>>,
}

/// When advisories are published.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Disclosure {
    /// The rule.
    pub rule: Sourced<DisclosureRule>,
    /// The default embargo, for the embargo-date rule: a report accepted
    /// under that rule gets an embargo end this long after acceptance.
    pub embargo: Sourced<Span>,
    /// The longest embargo the team may set, counted from when it is set (none: no limit).
    pub max_embargo: Sourced<Option<Span>>,
    /// How long before an embargo ends its participants are reminded.
    pub embargo_reminder: Sourced<Span>,
}

/// Advisory ids and CVE ids.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Advisories {
    /// The prefix of advisory ids (organisation only; none: from the slug).
    pub prefix: Sourced<Option<AdvisoryPrefix>>,
    /// How CVE ids are obtained.
    pub cna: Sourced<CnaMode>,
    /// Reserved CVE ids, for the id-pool mode (organisation only).
    pub cve_pool: Sourced<Vec<crate::id::CveId>>,
}

/// Conduct.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Conduct {
    /// The code of conduct reports are subject to.
    pub code_of_conduct: Sourced<Option<String>>,
    /// After this many reports declined as spam or out of scope, a reporter may be banned.
    pub ban_after: Sourced<Option<u32>>,
    /// Whether the security team (the organisation's, or the project's) must
    /// sign in with a second factor; members without one enrol at their next sign-in.
    pub team_second_factor: Sourced<bool>,
}

/// How many new reports an hour are taken under each key (issue 12); the
/// defaults are `throttle`'s. A project's team and administrators are never counted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IntakeLimits {
    /// Per client address (an IPv6 /64 counts as one).
    pub per_address: Sourced<u32>,
    /// Per reporter account.
    pub per_account: Sourced<u32>,
    /// Per contact e-mail address.
    pub per_email: Sourced<u32>,
    /// Per project, from everyone.
    pub per_project: Sourced<u32>,
}

/// The effective policy of a project or an organisation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Policy {
    /// Private channels.
    pub channels: Channels,
    /// Scope.
    pub scope: Scope,
    /// Threat models.
    pub threat_models: Sourced<Vec<ThreatModel>>,
    /// Acceptance criteria.
    pub criteria: Sourced<Vec<Criterion>>,
    /// Release support.
    pub releases: Releases,
    /// Platform tiers.
    pub platforms: Sourced<Vec<Platform>>,
    /// Report requirements.
    pub report: ReportRules,
    /// Response times.
    pub response: ResponseTimes,
    /// Disclosure.
    pub disclosure: Disclosure,
    /// Advisory and CVE ids.
    pub advisories: Advisories,
    /// Conduct.
    pub conduct: Conduct,
    /// The evidence lab's environments (project level only; none: the lab runs nothing).
    pub lab: Sourced<Option<Lab>>,
    /// The Cyber Resilience Act.
    pub cra: Cra,
    /// Intake limits.
    pub limits: IntakeLimits,
}

/// The Cyber Resilience Act (Regulation (EU) 2024/2847), organisation level only.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cra {
    /// The organisation's role, which decides which Article 14 clocks apply
    /// (`crate::cra::applies`); none: the organisation states none, and has no clocks.
    pub role: Sourced<Option<crate::cra::CraRole>>,
}

fn pick<T: Clone>(project: Option<&Option<T>>, org: &Option<T>, default: T) -> Sourced<T> {
    match (project.and_then(Option::as_ref), org) {
        (Some(value), _) => Sourced { value: value.clone(), source: Source::Project },
        (None, Some(value)) => Sourced { value: value.clone(), source: Source::Organisation },
        (None, None) => Sourced { value: default, source: Source::Default },
    }
}

/// Like [`pick`] for fields whose default is "not set".
fn pick_some<T: Clone>(project: Option<&Option<T>>, org: &Option<T>) -> Sourced<Option<T>> {
    match (project.and_then(Option::as_ref), org) {
        (Some(value), _) => Sourced { value: Some(value.clone()), source: Source::Project },
        (None, Some(value)) => Sourced { value: Some(value.clone()), source: Source::Organisation },
        (None, None) => Sourced { value: None, source: Source::Default },
    }
}

/// The defaults: web form and API open, fixes and CVEs for bugfix and
/// security lines, text attachments up to 1 MiB, no promised times, publish
/// when the fix is public.
pub const DEFAULT_CVE_ELIGIBLE: [LineStatus; 2] = [LineStatus::Bugfix, LineStatus::Security];

/// Merges a project's draft over its organisation's draft over the defaults.
pub fn resolve(org: &PolicyDraft, project: Option<&PolicyDraft>) -> Policy {
    macro_rules! p {
        ($section:ident . $field:ident, $default:expr) => {
            pick(project.map(|p| &p.$section.$field), &org.$section.$field, $default)
        };
        ($field:ident, $default:expr) => {
            pick(project.map(|p| &p.$field), &org.$field, $default)
        };
    }
    macro_rules! s {
        ($section:ident . $field:ident) => {
            pick_some(project.map(|p| &p.$section.$field), &org.$section.$field)
        };
    }
    Policy {
        channels: Channels {
            web_form: p!(channels.web_form, true),
            api: p!(channels.api, true),
            email: s!(channels.email),
            openpgp_key: s!(channels.openpgp_key),
            languages: p!(channels.languages, vec!["en".to_owned()]),
        },
        scope: Scope {
            in_scope: p!(scope.in_scope, Vec::new()),
            out_of_scope: p!(scope.out_of_scope, Vec::new()),
            not_security: p!(scope.not_security, Vec::new()),
        },
        threat_models: p!(threat_models, Vec::new()),
        criteria: p!(criteria, Vec::new()),
        releases: Releases {
            support: p!(releases.support, Support::Lines),
            latest: p!(releases.latest, "main".to_owned()),
            cve_eligible: p!(releases.cve_eligible, DEFAULT_CVE_ELIGIBLE.to_vec()),
            fix_by_default: p!(releases.fix_by_default, DEFAULT_CVE_ELIGIBLE.to_vec()),
            fix_on_request: p!(releases.fix_on_request, Vec::new()),
            experimental: p!(releases.experimental, Vec::new()),
        },
        platforms: p!(platforms, Vec::new()),
        report: ReportRules {
            required: p!(report.required, Vec::new()),
            recommended: p!(report.recommended, Vec::new()),
            max_attachments: p!(report.max_attachments, 5),
            max_attachment_bytes: p!(report.max_attachment_bytes, 1024 * 1024),
        },
        response: ResponseTimes {
            acknowledge: s!(response.acknowledge),
            triage: s!(response.triage),
            fix: s!(response.fix),
            disclosure: s!(response.disclosure),
            close_unanswered: s!(response.close_unanswered),
            expectations: p!(response.expectations, Vec::new()),
        },
        disclosure: Disclosure {
            rule: p!(disclosure.rule, DisclosureRule::FixPublic),
            embargo: p!(disclosure.embargo, Span::days(90)),
            max_embargo: s!(disclosure.max_embargo),
            embargo_reminder: p!(disclosure.embargo_reminder, Span::days(7)),
        },
        advisories: Advisories {
            prefix: s!(advisories.prefix),
            cna: p!(advisories.cna, CnaMode::None),
            cve_pool: p!(advisories.cve_pool, Vec::new()),
        },
        conduct: Conduct {
            code_of_conduct: s!(conduct.code_of_conduct),
            ban_after: s!(conduct.ban_after),
            // A project may ask more of its team than its organisation does, never less.
            team_second_factor: match org.conduct.team_second_factor {
                Some(true) => pick(None, &org.conduct.team_second_factor, false),
                Some(false) | None => p!(conduct.team_second_factor, false),
            },
        },
        // Only a project describes where its code is; an organisation's draft cannot say (checked).
        lab: pick_some(project.map(|p| &p.lab), &None),
        // Only the organisation states its role (a project's draft cannot say: checked).
        cra: Cra { role: pick_some(None, &org.cra.role) },
        limits: IntakeLimits {
            per_address: p!(limits.per_address, crate::throttle::REPORTS_PER_ADDRESS.max_reports),
            per_account: p!(limits.per_account, crate::throttle::REPORTS_PER_ACCOUNT.max_reports),
            per_email: p!(limits.per_email, crate::throttle::REPORTS_PER_EMAIL.max_reports),
            per_project: p!(limits.per_project, crate::throttle::REPORTS_PER_PROJECT.max_reports),
        },
    }
}

impl Policy {
    /// A criterion by id.
    pub fn criterion(&self, id: &str) -> Option<&Criterion> {
        self.criteria.value.iter().find(|c| c.id == id)
    }

    /// A platform by name (case-insensitive).
    pub fn platform(&self, name: &str) -> Option<&Platform> {
        self.platforms.value.iter().find(|p| p.name.eq_ignore_ascii_case(name.trim()))
    }
}

#[cfg(test)]
mod tests;
