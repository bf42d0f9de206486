//! The JSON shapes stored in text and sealed columns. They are a
//! compatibility promise to existing databases, so they are separate from the
//! domain types and converted explicitly; fields are only ever added, with
//! defaults.

use embargo_core::advisory::{
    AdvisoryContent, Affected, AffectedSource, Credit, CreditKind, FixKind, FixStrategy, Informational, Range,
    RangeEvent, RangeKind, RawJson, Reference, ReferenceKind, ScoredSeverity, SourceFields,
};
use embargo_core::id::{AliasId, CweId};
use embargo_core::intake::IntakeNotice;
use embargo_core::policy::ReportField;
use embargo_core::project::LineStatus;
use embargo_core::project::Package;
use embargo_core::report::{ReportContent, TeamFields};
use embargo_core::severity::Severity;
use serde::{Deserialize, Serialize};

use crate::StoreError;

fn parse_all<T: std::str::FromStr>(column: &str, values: &[String]) -> Result<Vec<T>, StoreError>
where
    T::Err: std::fmt::Display,
{
    values.iter().map(|v| v.parse().map_err(|e| StoreError::corrupt(column, e))).collect()
}

/// `reports.content`, sealed.
#[derive(Serialize, Deserialize)]
pub(crate) struct StoredReportContent {
    title: String,
    body: String,
    #[serde(default)]
    component: Option<String>,
    #[serde(default)]
    versions_tested: Option<String>,
    #[serde(default)]
    versions_vulnerable: Option<String>,
    #[serde(default)]
    lines: Vec<String>,
    #[serde(default)]
    platform: Option<String>,
    #[serde(default)]
    threat_model: Option<String>,
    #[serde(default)]
    proof_of_concept: Option<String>,
    #[serde(default)]
    patch: Option<String>,
    #[serde(default)]
    reporter_name: Option<String>,
    #[serde(default)]
    reporter_email: Option<String>,
    /// What the reporter was told at intake (kept sealed with the content it is about).
    #[serde(default)]
    intake: Vec<StoredNotice>,
}

/// An intake notice as stored.
#[derive(Serialize, Deserialize)]
#[serde(tag = "code", rename_all = "snake_case")]
pub(crate) enum StoredNotice {
    ReporterSeverity,
    UnsupportedLines { lines: Vec<(String, String)> },
    OnlyLatestSupported { latest: String },
    ExperimentalFeature { feature: String },
    UnsupportedPlatform { platform: String, has_interested_parties: bool },
    MissingField { field: String },
    OutOfScope { entry: String },
    NotSecurity { entry: String },
}

impl From<&IntakeNotice> for StoredNotice {
    fn from(n: &IntakeNotice) -> Self {
        match n {
            IntakeNotice::ReporterSeverity => StoredNotice::ReporterSeverity,
            IntakeNotice::UnsupportedLines { lines } => StoredNotice::UnsupportedLines {
                lines: lines.iter().map(|(l, s)| (l.clone(), s.as_str().to_owned())).collect(),
            },
            IntakeNotice::OnlyLatestSupported { latest } => {
                StoredNotice::OnlyLatestSupported { latest: latest.clone() }
            }
            IntakeNotice::ExperimentalFeature { feature } => {
                StoredNotice::ExperimentalFeature { feature: feature.clone() }
            }
            IntakeNotice::UnsupportedPlatform { platform, has_interested_parties } => {
                StoredNotice::UnsupportedPlatform {
                    platform: platform.clone(),
                    has_interested_parties: *has_interested_parties,
                }
            }
            IntakeNotice::Missing { field } => StoredNotice::MissingField { field: field.as_str().to_owned() },
            IntakeNotice::OutOfScope { entry } => StoredNotice::OutOfScope { entry: entry.clone() },
            IntakeNotice::NotSecurity { entry } => StoredNotice::NotSecurity { entry: entry.clone() },
        }
    }
}

impl StoredNotice {
    fn into_domain(self) -> Result<IntakeNotice, StoreError> {
        Ok(match self {
            StoredNotice::ReporterSeverity => IntakeNotice::ReporterSeverity,
            StoredNotice::UnsupportedLines { lines } => IntakeNotice::UnsupportedLines {
                lines: lines
                    .into_iter()
                    .map(|(l, s)| {
                        Ok((l, s.parse::<LineStatus>().map_err(|e| StoreError::corrupt("content.intake", e))?))
                    })
                    .collect::<Result<_, StoreError>>()?,
            },
            StoredNotice::OnlyLatestSupported { latest } => IntakeNotice::OnlyLatestSupported { latest },
            StoredNotice::ExperimentalFeature { feature } => IntakeNotice::ExperimentalFeature { feature },
            StoredNotice::UnsupportedPlatform { platform, has_interested_parties } => {
                IntakeNotice::UnsupportedPlatform { platform, has_interested_parties }
            }
            StoredNotice::MissingField { field } => IntakeNotice::Missing {
                field: field.parse::<ReportField>().map_err(|e| StoreError::corrupt("content.intake", e))?,
            },
            StoredNotice::OutOfScope { entry } => IntakeNotice::OutOfScope { entry },
            StoredNotice::NotSecurity { entry } => IntakeNotice::NotSecurity { entry },
        })
    }
}

impl StoredReportContent {
    /// The stored shape of a report's content and intake notices.
    pub(crate) fn new(c: &ReportContent, intake: &[IntakeNotice]) -> Self {
        StoredReportContent { intake: intake.iter().map(StoredNotice::from).collect(), ..StoredReportContent::from(c) }
    }

    /// The intake notices.
    pub(crate) fn take_intake(&mut self) -> Result<Vec<IntakeNotice>, StoreError> {
        std::mem::take(&mut self.intake).into_iter().map(StoredNotice::into_domain).collect()
    }
}

impl From<&ReportContent> for StoredReportContent {
    fn from(c: &ReportContent) -> Self {
        StoredReportContent {
            title: c.title.clone(),
            body: c.body.clone(),
            component: c.component.clone(),
            versions_tested: c.versions_tested.clone(),
            versions_vulnerable: c.versions_vulnerable.clone(),
            lines: c.lines.clone(),
            platform: c.platform.clone(),
            threat_model: c.threat_model.clone(),
            proof_of_concept: c.proof_of_concept.clone(),
            patch: c.patch.clone(),
            reporter_name: c.reporter_name.clone(),
            reporter_email: c.reporter_email.as_ref().map(ToString::to_string),
            intake: Vec::new(),
        }
    }
}

impl StoredReportContent {
    pub(crate) fn into_domain(self) -> Result<ReportContent, StoreError> {
        Ok(ReportContent {
            title: self.title,
            body: self.body,
            component: self.component,
            versions_tested: self.versions_tested,
            versions_vulnerable: self.versions_vulnerable,
            lines: self.lines,
            platform: self.platform,
            threat_model: self.threat_model,
            proof_of_concept: self.proof_of_concept,
            patch: self.patch,
            reporter_name: self.reporter_name,
            reporter_email: self
                .reporter_email
                .map(|e| e.parse().map_err(|err| StoreError::corrupt("content.reporter_email", err)))
                .transpose()?,
        })
    }
}

/// `reports.team` (the assignee has its own column, to filter on).
#[derive(Serialize, Deserialize, Default)]
pub(crate) struct StoredTeamFields {
    #[serde(default)]
    cvss_v3: Option<String>,
    #[serde(default)]
    cvss_v4: Option<String>,
    #[serde(default)]
    cwes: Vec<String>,
    #[serde(default)]
    affected_versions: Vec<String>,
    #[serde(default)]
    fix_lines: Vec<String>,
}

impl From<&TeamFields> for StoredTeamFields {
    fn from(t: &TeamFields) -> Self {
        StoredTeamFields {
            cvss_v3: t.severity.cvss_v3.as_ref().map(|c| c.vector().to_owned()),
            cvss_v4: t.severity.cvss_v4.as_ref().map(|c| c.vector().to_owned()),
            cwes: t.cwes.iter().map(ToString::to_string).collect(),
            affected_versions: t.affected_versions.clone(),
            fix_lines: t.fix_lines.clone(),
        }
    }
}

impl StoredTeamFields {
    pub(crate) fn into_domain(self, assignee: Option<embargo_core::id::UserId>) -> Result<TeamFields, StoreError> {
        Ok(TeamFields {
            severity: Severity::parse(self.cvss_v3.as_deref(), self.cvss_v4.as_deref())
                .map_err(|e| StoreError::corrupt("team.severity", e))?,
            cwes: parse_all::<CweId>("team.cwes", &self.cwes)?,
            assignee,
            affected_versions: self.affected_versions,
            fix_lines: self.fix_lines,
        })
    }
}

#[derive(Serialize, Deserialize)]
struct StoredRange {
    kind: String,
    #[serde(default)]
    repo: Option<String>,
    events: Vec<StoredEvent>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    database_specific: Option<serde_json::Value>,
}

/// A source's JSON kept as a JSON value in the column.
fn raw_to_value(raw: Option<&RawJson>) -> Option<serde_json::Value> {
    raw.and_then(|r| serde_json::from_str(r.as_str()).ok())
}

fn value_to_raw(value: Option<serde_json::Value>) -> Option<RawJson> {
    value.map(|v| RawJson::from_checked(v.to_string()))
}

#[derive(Serialize, Deserialize)]
struct StoredScored {
    kind: String,
    score: String,
}

fn scored_to_stored(list: &[ScoredSeverity]) -> Vec<StoredScored> {
    list.iter().map(|s| StoredScored { kind: s.kind.clone(), score: s.score.clone() }).collect()
}

fn stored_to_scored(list: Vec<StoredScored>) -> Vec<ScoredSeverity> {
    list.into_iter().map(|s| ScoredSeverity { kind: s.kind, score: s.score }).collect()
}

/// What an imported source said beyond the editor's fields (OSV 1.7).
#[derive(Serialize, Deserialize, Default)]
struct StoredSource {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    related: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    upstream: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    database_specific: Option<serde_json::Value>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    other_severity: Vec<StoredScored>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    informational: Option<String>,
}

impl StoredSource {
    fn is_empty(&self) -> bool {
        self.related.is_empty()
            && self.upstream.is_empty()
            && self.database_specific.is_none()
            && self.other_severity.is_empty()
            && self.informational.is_none()
    }
}

#[derive(Serialize, Deserialize, Default)]
struct StoredAffectedSource {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    purl: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    severity: Vec<StoredScored>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    ecosystem_specific: Option<serde_json::Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    database_specific: Option<serde_json::Value>,
}

impl StoredAffectedSource {
    fn is_empty(&self) -> bool {
        self.purl.is_none()
            && self.severity.is_empty()
            && self.ecosystem_specific.is_none()
            && self.database_specific.is_none()
    }
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
enum StoredEvent {
    Introduced(String),
    Fixed(String),
    LastAffected(String),
    Limit(String),
}

#[derive(Serialize, Deserialize)]
struct StoredAffected {
    /// Absent for an entry that names only a repository's commits.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    ecosystem: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    package: Option<String>,
    #[serde(default)]
    ranges: Vec<StoredRange>,
    #[serde(default)]
    versions: Vec<String>,
    #[serde(default, skip_serializing_if = "StoredAffectedSource::is_empty")]
    source: StoredAffectedSource,
}

#[derive(Serialize, Deserialize)]
struct StoredReference {
    kind: String,
    url: String,
}

#[derive(Serialize, Deserialize)]
struct StoredCredit {
    name: String,
    kind: String,
    #[serde(default)]
    contact: Vec<String>,
}

/// `advisories.draft` (sealed) and `advisory_revisions.content` (public).
#[derive(Serialize, Deserialize)]
pub(crate) struct StoredAdvisoryContent {
    summary: String,
    details: String,
    #[serde(default)]
    aliases: Vec<String>,
    #[serde(default)]
    affected: Vec<StoredAffected>,
    #[serde(default)]
    cvss_v3: Option<String>,
    #[serde(default)]
    cvss_v4: Option<String>,
    #[serde(default)]
    cwes: Vec<String>,
    #[serde(default)]
    references: Vec<StoredReference>,
    #[serde(default)]
    credits: Vec<StoredCredit>,
    /// The fix strategy (absent in rows written before it existed: none said).
    #[serde(default, skip_serializing_if = "StoredFix::is_empty")]
    fix: StoredFix,
    #[serde(default, skip_serializing_if = "StoredSource::is_empty")]
    source: StoredSource,
}

/// An advisory's fix strategy as stored.
#[derive(Serialize, Deserialize, Default)]
pub(crate) struct StoredFix {
    #[serde(default)]
    kinds: Vec<String>,
    #[serde(default)]
    text: String,
}

impl StoredFix {
    fn is_empty(&self) -> bool {
        self.kinds.is_empty() && self.text.is_empty()
    }
}

impl From<&AdvisoryContent> for StoredAdvisoryContent {
    fn from(c: &AdvisoryContent) -> Self {
        StoredAdvisoryContent {
            summary: c.summary.clone(),
            details: c.details.clone(),
            aliases: c.aliases.iter().map(ToString::to_string).collect(),
            affected: c
                .affected
                .iter()
                .map(|a| StoredAffected {
                    ecosystem: a.package.as_ref().map(|p| p.ecosystem.clone()),
                    package: a.package.as_ref().map(|p| p.name.clone()),
                    ranges: a
                        .ranges
                        .iter()
                        .map(|r| StoredRange {
                            kind: r.kind.as_str().to_owned(),
                            repo: r.repo.clone(),
                            database_specific: raw_to_value(r.database_specific.as_ref()),
                            events: r
                                .events
                                .iter()
                                .map(|e| match e {
                                    RangeEvent::Introduced(v) => StoredEvent::Introduced(v.clone()),
                                    RangeEvent::Fixed(v) => StoredEvent::Fixed(v.clone()),
                                    RangeEvent::LastAffected(v) => StoredEvent::LastAffected(v.clone()),
                                    RangeEvent::Limit(v) => StoredEvent::Limit(v.clone()),
                                })
                                .collect(),
                        })
                        .collect(),
                    versions: a.versions.clone(),
                    source: StoredAffectedSource {
                        purl: a.source.purl.clone(),
                        severity: scored_to_stored(&a.source.severity),
                        ecosystem_specific: raw_to_value(a.source.ecosystem_specific.as_ref()),
                        database_specific: raw_to_value(a.source.database_specific.as_ref()),
                    },
                })
                .collect(),
            cvss_v3: c.severity.cvss_v3.as_ref().map(|v| v.vector().to_owned()),
            cvss_v4: c.severity.cvss_v4.as_ref().map(|v| v.vector().to_owned()),
            cwes: c.cwes.iter().map(ToString::to_string).collect(),
            references: c
                .references
                .iter()
                .map(|r| StoredReference { kind: r.kind.as_str().to_owned(), url: r.url.clone() })
                .collect(),
            credits: c
                .credits
                .iter()
                .map(|cr| StoredCredit {
                    name: cr.name.clone(),
                    kind: cr.kind.as_str().to_owned(),
                    contact: cr.contact.clone(),
                })
                .collect(),
            fix: StoredFix {
                kinds: c.fix.kinds.iter().map(|k| k.as_str().to_owned()).collect(),
                text: c.fix.text.clone(),
            },
            source: StoredSource {
                related: c.source.related.clone(),
                upstream: c.source.upstream.clone(),
                database_specific: raw_to_value(c.source.database_specific.as_ref()),
                other_severity: scored_to_stored(&c.source.other_severity),
                informational: c.source.informational.map(|i| i.as_str().to_owned()),
            },
        }
    }
}

impl StoredAdvisoryContent {
    pub(crate) fn into_domain(self) -> Result<AdvisoryContent, StoreError> {
        let corrupt = |what: &str, e: &dyn std::fmt::Display| StoreError::corrupt(what, e);
        let affected = self
            .affected
            .into_iter()
            .map(|a| {
                let ranges = a
                    .ranges
                    .into_iter()
                    .map(|r| {
                        Ok(Range {
                            kind: r.kind.parse::<RangeKind>().map_err(|e| corrupt("affected.ranges.kind", &e))?,
                            repo: r.repo,
                            database_specific: value_to_raw(r.database_specific),
                            events: r
                                .events
                                .into_iter()
                                .map(|e| match e {
                                    StoredEvent::Introduced(v) => RangeEvent::Introduced(v),
                                    StoredEvent::Fixed(v) => RangeEvent::Fixed(v),
                                    StoredEvent::LastAffected(v) => RangeEvent::LastAffected(v),
                                    StoredEvent::Limit(v) => RangeEvent::Limit(v),
                                })
                                .collect(),
                        })
                    })
                    .collect::<Result<Vec<_>, StoreError>>()?;
                let package = match (a.ecosystem, a.package) {
                    (Some(ecosystem), Some(name)) => Some(Package { ecosystem, name }),
                    (None, None) => None,
                    (Some(_), None) | (None, Some(_)) => {
                        return Err(StoreError::corrupt(
                            "affected",
                            "an ecosystem without a package name or the reverse",
                        ));
                    }
                };
                let source = AffectedSource {
                    purl: a.source.purl,
                    severity: stored_to_scored(a.source.severity),
                    ecosystem_specific: value_to_raw(a.source.ecosystem_specific),
                    database_specific: value_to_raw(a.source.database_specific),
                };
                Ok(Affected { package, ranges, versions: a.versions, source })
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        let references = self
            .references
            .into_iter()
            .map(|r| {
                Ok(Reference {
                    kind: r.kind.parse::<ReferenceKind>().map_err(|e| corrupt("references.kind", &e))?,
                    url: r.url,
                })
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        let credits = self
            .credits
            .into_iter()
            .map(|c| {
                Ok(Credit {
                    name: c.name,
                    kind: c.kind.parse::<CreditKind>().map_err(|e| corrupt("credits.kind", &e))?,
                    contact: c.contact,
                })
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        Ok(AdvisoryContent {
            summary: self.summary,
            details: self.details,
            aliases: parse_all::<AliasId>("aliases", &self.aliases)?,
            affected,
            severity: Severity::parse(self.cvss_v3.as_deref(), self.cvss_v4.as_deref())
                .map_err(|e| corrupt("severity", &e))?,
            cwes: parse_all::<CweId>("cwes", &self.cwes)?,
            references,
            credits,
            fix: FixStrategy::new(parse_all::<FixKind>("fix.kinds", &self.fix.kinds)?, &self.fix.text),
            source: SourceFields {
                related: self.source.related,
                upstream: self.source.upstream,
                database_specific: value_to_raw(self.source.database_specific),
                other_severity: stored_to_scored(self.source.other_severity),
                informational: self
                    .source
                    .informational
                    .map(|i| i.parse::<Informational>().map_err(|e| corrupt("source.informational", &e)))
                    .transpose()?,
            },
        })
    }
}

/// Serialises a stored shape.
pub(crate) fn to_json<T: Serialize>(column: &str, value: &T) -> Result<String, StoreError> {
    serde_json::to_string(value).map_err(|e| StoreError::Other(format!("cannot encode {column}: {e}")))
}

/// Deserialises a stored shape.
pub(crate) fn from_json<'a, T: Deserialize<'a>>(column: &str, text: &'a str) -> Result<T, StoreError> {
    serde_json::from_str(text).map_err(|e| StoreError::corrupt(column, e))
}
