//! The JSON shape a policy level is stored in (`org_policies.body`,
//! `project_policies.body`): a compatibility promise, kept apart from the
//! domain types. Fields are only ever added, with defaults.

use embargo_core::policy::{
    AdvisoriesDraft, ChannelsDraft, ConductDraft, Criterion, DisclosureDraft, Lab, LabLine, LimitsDraft, Platform,
    PolicyDraft, ReleasesDraft, ReportDraft, ResponseDraft, ScopeDraft, ThreatModel,
};
use serde::{Deserialize, Serialize};

use crate::StoreError;

fn parse<T: std::str::FromStr>(field: &str, value: Option<&str>) -> Result<Option<T>, StoreError>
where
    T::Err: std::fmt::Display,
{
    value.map(|v| v.parse().map_err(|e| StoreError::corrupt(field, e))).transpose()
}

fn parse_list<T: std::str::FromStr>(field: &str, values: &Option<Vec<String>>) -> Result<Option<Vec<T>>, StoreError>
where
    T::Err: std::fmt::Display,
{
    values
        .as_ref()
        .map(|list| list.iter().map(|v| v.parse().map_err(|e| StoreError::corrupt(field, e))).collect())
        .transpose()
}

fn names<T: ToString>(values: &Option<Vec<T>>) -> Option<Vec<String>> {
    values.as_ref().map(|list| list.iter().map(ToString::to_string).collect())
}

#[derive(Serialize, Deserialize)]
struct StoredModel {
    id: String,
    title: String,
    text: String,
}

#[derive(Serialize, Deserialize)]
struct StoredCriterion {
    id: String,
    title: String,
    explanation: String,
}

#[derive(Serialize, Deserialize)]
struct StoredLabLine {
    name: String,
    #[serde(rename = "ref", default)]
    git_ref: Option<String>,
    #[serde(default)]
    version: Option<String>,
    #[serde(default)]
    setup: Option<String>,
}

#[derive(Serialize, Deserialize)]
struct StoredLab {
    #[serde(default)]
    repository: Option<String>,
    /// `pypi:NAME` (issue 17).
    #[serde(default)]
    package: Option<String>,
    #[serde(default)]
    index: Option<String>,
    #[serde(default)]
    setup_network: bool,
    lines: Vec<StoredLabLine>,
}

#[derive(Serialize, Deserialize)]
struct StoredPlatform {
    name: String,
    tier: String,
    #[serde(default)]
    interested_parties: Vec<String>,
}

/// One policy level as stored.
#[derive(Serialize, Deserialize, Default)]
pub(crate) struct StoredPolicy {
    #[serde(default)]
    web_form: Option<bool>,
    #[serde(default)]
    api: Option<bool>,
    #[serde(default)]
    email: Option<String>,
    #[serde(default)]
    openpgp_key: Option<String>,
    #[serde(default)]
    languages: Option<Vec<String>>,
    #[serde(default)]
    in_scope: Option<Vec<String>>,
    #[serde(default)]
    out_of_scope: Option<Vec<String>>,
    #[serde(default)]
    not_security: Option<Vec<String>>,
    #[serde(default)]
    threat_models: Option<Vec<StoredModel>>,
    #[serde(default)]
    criteria: Option<Vec<StoredCriterion>>,
    #[serde(default)]
    support: Option<String>,
    #[serde(default)]
    latest: Option<String>,
    #[serde(default)]
    cve_eligible: Option<Vec<String>>,
    #[serde(default)]
    fix_by_default: Option<Vec<String>>,
    #[serde(default)]
    fix_on_request: Option<Vec<String>>,
    #[serde(default)]
    experimental: Option<Vec<String>>,
    #[serde(default)]
    platforms: Option<Vec<StoredPlatform>>,
    #[serde(default)]
    required: Option<Vec<String>>,
    #[serde(default)]
    recommended: Option<Vec<String>>,
    #[serde(default)]
    max_attachments: Option<u32>,
    #[serde(default)]
    max_attachment_bytes: Option<u32>,
    #[serde(default)]
    acknowledge: Option<String>,
    #[serde(default)]
    triage: Option<String>,
    #[serde(default)]
    fix: Option<String>,
    #[serde(default)]
    disclosure: Option<String>,
    #[serde(default)]
    close_unanswered: Option<String>,
    expectations: Option<Vec<String>>,
    #[serde(default)]
    disclosure_rule: Option<String>,
    #[serde(default)]
    embargo: Option<String>,
    #[serde(default)]
    max_embargo: Option<String>,
    #[serde(default)]
    embargo_reminder: Option<String>,
    #[serde(default)]
    prefix: Option<String>,
    #[serde(default)]
    cna: Option<String>,
    #[serde(default)]
    cve_pool: Option<Vec<String>>,
    #[serde(default)]
    code_of_conduct: Option<String>,
    #[serde(default)]
    ban_after: Option<u32>,
    #[serde(default)]
    team_second_factor: Option<bool>,
    #[serde(default)]
    lab: Option<StoredLab>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    cra_role: Option<String>,
    limit_per_address: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    limit_per_account: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    limit_per_email: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    limit_per_project: Option<u32>,
}

impl From<&PolicyDraft> for StoredPolicy {
    fn from(p: &PolicyDraft) -> Self {
        let text = |v: &Option<embargo_core::policy::Span>| v.map(|s| s.to_string());
        StoredPolicy {
            web_form: p.channels.web_form,
            api: p.channels.api,
            email: p.channels.email.as_ref().map(ToString::to_string),
            openpgp_key: p.channels.openpgp_key.clone(),
            languages: p.channels.languages.clone(),
            in_scope: p.scope.in_scope.clone(),
            out_of_scope: p.scope.out_of_scope.clone(),
            not_security: p.scope.not_security.clone(),
            threat_models: p.threat_models.as_ref().map(|list| {
                list.iter()
                    .map(|m| StoredModel { id: m.id.clone(), title: m.title.clone(), text: m.text.clone() })
                    .collect()
            }),
            criteria: p.criteria.as_ref().map(|list| {
                list.iter()
                    .map(|c| StoredCriterion {
                        id: c.id.clone(),
                        title: c.title.clone(),
                        explanation: c.explanation.clone(),
                    })
                    .collect()
            }),
            support: p.releases.support.map(|s| s.as_str().to_owned()),
            latest: p.releases.latest.clone(),
            cve_eligible: names(&p.releases.cve_eligible),
            fix_by_default: names(&p.releases.fix_by_default),
            fix_on_request: names(&p.releases.fix_on_request),
            experimental: p.releases.experimental.clone(),
            platforms: p.platforms.as_ref().map(|list| {
                list.iter()
                    .map(|pl| StoredPlatform {
                        name: pl.name.clone(),
                        tier: pl.tier.as_str().to_owned(),
                        interested_parties: pl.interested_parties.iter().map(ToString::to_string).collect(),
                    })
                    .collect()
            }),
            required: names(&p.report.required),
            recommended: names(&p.report.recommended),
            max_attachments: p.report.max_attachments,
            max_attachment_bytes: p.report.max_attachment_bytes,
            acknowledge: text(&p.response.acknowledge),
            triage: text(&p.response.triage),
            fix: text(&p.response.fix),
            disclosure: text(&p.response.disclosure),
            close_unanswered: text(&p.response.close_unanswered),
            expectations: p.response.expectations.clone(),
            disclosure_rule: p.disclosure.rule.map(|r| r.as_str().to_owned()),
            embargo: text(&p.disclosure.embargo),
            max_embargo: text(&p.disclosure.max_embargo),
            embargo_reminder: text(&p.disclosure.embargo_reminder),
            prefix: p.advisories.prefix.as_ref().map(ToString::to_string),
            cna: p.advisories.cna.map(|c| c.as_str().to_owned()),
            cve_pool: names(&p.advisories.cve_pool),
            code_of_conduct: p.conduct.code_of_conduct.clone(),
            ban_after: p.conduct.ban_after,
            team_second_factor: p.conduct.team_second_factor,
            lab: p.lab.as_ref().map(|lab| StoredLab {
                repository: lab.repository.clone(),
                package: lab.package.as_ref().map(ToString::to_string),
                index: lab.index.clone(),
                setup_network: lab.setup_network,
                lines: lab
                    .lines
                    .iter()
                    .map(|l| StoredLabLine {
                        name: l.name.to_string(),
                        git_ref: l.git_ref.clone(),
                        version: l.version.clone(),
                        setup: l.setup.clone(),
                    })
                    .collect(),
            }),
            cra_role: p.cra.role.map(|r| r.as_str().to_owned()),
            limit_per_address: p.limits.per_address,
            limit_per_account: p.limits.per_account,
            limit_per_email: p.limits.per_email,
            limit_per_project: p.limits.per_project,
        }
    }
}

impl StoredPolicy {
    pub(crate) fn into_domain(self) -> Result<PolicyDraft, StoreError> {
        Ok(PolicyDraft {
            channels: ChannelsDraft {
                web_form: self.web_form,
                api: self.api,
                email: parse("policy.email", self.email.as_deref())?,
                openpgp_key: self.openpgp_key,
                languages: self.languages,
            },
            scope: ScopeDraft {
                in_scope: self.in_scope,
                out_of_scope: self.out_of_scope,
                not_security: self.not_security,
            },
            threat_models: self
                .threat_models
                .map(|list| list.into_iter().map(|m| ThreatModel { id: m.id, title: m.title, text: m.text }).collect()),
            criteria: self.criteria.map(|list| {
                list.into_iter().map(|c| Criterion { id: c.id, title: c.title, explanation: c.explanation }).collect()
            }),
            releases: ReleasesDraft {
                support: parse("policy.support", self.support.as_deref())?,
                latest: self.latest,
                cve_eligible: parse_list("policy.cve_eligible", &self.cve_eligible)?,
                fix_by_default: parse_list("policy.fix_by_default", &self.fix_by_default)?,
                fix_on_request: parse_list("policy.fix_on_request", &self.fix_on_request)?,
                experimental: self.experimental,
            },
            platforms: self
                .platforms
                .map(|list| {
                    list.into_iter()
                        .map(|p| {
                            Ok(Platform {
                                tier: p.tier.parse().map_err(|e| StoreError::corrupt("policy.platforms.tier", e))?,
                                name: p.name,
                                interested_parties: p
                                    .interested_parties
                                    .iter()
                                    .map(|e| e.parse().map_err(|err| StoreError::corrupt("policy.platforms", err)))
                                    .collect::<Result<_, _>>()?,
                            })
                        })
                        .collect::<Result<Vec<_>, StoreError>>()
                })
                .transpose()?,
            limits: LimitsDraft {
                per_address: self.limit_per_address,
                per_account: self.limit_per_account,
                per_email: self.limit_per_email,
                per_project: self.limit_per_project,
            },
            report: ReportDraft {
                required: parse_list("policy.required", &self.required)?,
                recommended: parse_list("policy.recommended", &self.recommended)?,
                max_attachments: self.max_attachments,
                max_attachment_bytes: self.max_attachment_bytes,
            },
            response: ResponseDraft {
                acknowledge: parse("policy.acknowledge", self.acknowledge.as_deref())?,
                triage: parse("policy.triage", self.triage.as_deref())?,
                fix: parse("policy.fix", self.fix.as_deref())?,
                disclosure: parse("policy.disclosure", self.disclosure.as_deref())?,
                close_unanswered: parse("policy.close_unanswered", self.close_unanswered.as_deref())?,
                expectations: self.expectations,
            },
            disclosure: DisclosureDraft {
                rule: parse("policy.disclosure_rule", self.disclosure_rule.as_deref())?,
                embargo: parse("policy.embargo", self.embargo.as_deref())?,
                max_embargo: parse("policy.max_embargo", self.max_embargo.as_deref())?,
                embargo_reminder: parse("policy.embargo_reminder", self.embargo_reminder.as_deref())?,
            },
            advisories: AdvisoriesDraft {
                prefix: parse("policy.prefix", self.prefix.as_deref())?,
                cna: parse("policy.cna", self.cna.as_deref())?,
                cve_pool: parse_list("policy.cve_pool", &self.cve_pool)?,
            },
            conduct: ConductDraft {
                code_of_conduct: self.code_of_conduct,
                ban_after: self.ban_after,
                team_second_factor: self.team_second_factor,
            },
            lab: self
                .lab
                .map(|lab| {
                    Ok::<_, StoreError>(Lab {
                        repository: lab.repository,
                        package: lab
                            .package
                            .map(|p| p.parse().map_err(|e| StoreError::corrupt("policy.lab.package", e)))
                            .transpose()?,
                        index: lab.index,
                        setup_network: lab.setup_network,
                        lines: lab
                            .lines
                            .into_iter()
                            .map(|l| {
                                Ok(LabLine {
                                    name: l
                                        .name
                                        .parse()
                                        .map_err(|e| StoreError::corrupt("policy.lab.lines.name", e))?,
                                    git_ref: l.git_ref,
                                    version: l.version,
                                    setup: l.setup,
                                })
                            })
                            .collect::<Result<_, StoreError>>()?,
                    })
                })
                .transpose()?,
            cra: embargo_core::policy::CraDraft { role: parse("policy.cra_role", self.cra_role.as_deref())? },
        })
    }
}
