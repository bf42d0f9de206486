//! The policy file: TOML an organisation or project keeps in version
//! control, applies with `embargo policy apply`, and gets back from
//! `embargo policy show` in the same canonical form.
//!
//! Parse errors name the line and column; unknown fields are errors.

use std::collections::BTreeMap;

use embargo_core::policy::{
    AdvisoriesDraft, ChannelsDraft, ConductDraft, Criterion, DisclosureDraft, Lab, LabLine, Level, LimitsDraft,
    Platform, Policy, PolicyDraft, PolicyError, ReleasesDraft, ReportDraft, ResponseDraft, ScopeDraft, Source, Sourced,
    ThreatModel,
};
use embargo_core::project::{LineName, LineStatus, ReleaseLine};
use serde::{Deserialize, Serialize};

/// A release line as a project's policy file lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineSpec {
    /// Its name.
    pub name: LineName,
    /// Its status.
    pub status: LineStatus,
    /// First release.
    pub released_on: Option<time::Date>,
    /// End of support.
    pub end_of_life_on: Option<time::Date>,
}

/// A parsed policy file: one level's draft, and for projects the release lines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyFile {
    /// What the level says.
    pub draft: PolicyDraft,
    /// The project's release lines, when the file lists them.
    pub lines: Option<Vec<LineSpec>>,
}

/// Why a policy file was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PolicyFileError {
    /// Not valid TOML, an unknown field, or a value of the wrong type.
    #[error("line {line}, column {column}: {message}")]
    Syntax {
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// What is wrong, naming the field.
        message: String,
    },
    /// Valid TOML that breaks a policy rule.
    #[error("{}", .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "))]
    Invalid(Vec<Located>),
}

/// A broken policy rule and where in the file the field is written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Located {
    /// 1-based line and column of the field's value (or of the nearest
    /// enclosing table written), when the file writes it at all.
    pub at: Option<(usize, usize)>,
    /// The rule broken, naming the field's path.
    pub error: PolicyError,
}

impl std::fmt::Display for Located {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.at {
            Some((line, column)) => write!(f, "line {line}, column {column}: {}", self.error),
            None => write!(f, "{}", self.error),
        }
    }
}

/// A place in a parsed TOML document while a field path is followed.
enum Node<'a> {
    Item(&'a toml_edit::Item),
    Table(&'a toml_edit::Table),
    Value(&'a toml_edit::Value),
}

impl<'a> Node<'a> {
    fn span(&self) -> Option<std::ops::Range<usize>> {
        match self {
            Node::Item(item) => item.span(),
            Node::Table(table) => table.span(),
            Node::Value(value) => value.span(),
        }
    }

    fn key(&self, key: &str) -> Option<Node<'a>> {
        match *self {
            Node::Item(toml_edit::Item::Table(table)) | Node::Table(table) => table.get(key).map(Node::Item),
            Node::Item(toml_edit::Item::Value(toml_edit::Value::InlineTable(table)))
            | Node::Value(toml_edit::Value::InlineTable(table)) => table.get(key).map(Node::Value),
            _ => None,
        }
    }

    fn index(&self, i: usize) -> Option<Node<'a>> {
        match *self {
            Node::Item(toml_edit::Item::ArrayOfTables(tables)) => tables.get(i).map(Node::Table),
            Node::Item(toml_edit::Item::Value(toml_edit::Value::Array(array)))
            | Node::Value(toml_edit::Value::Array(array)) => array.get(i).map(Node::Value),
            _ => None,
        }
    }
}

/// Where the field `path` (`releases.lines[2].status`, `advisories.cve_pool[1]`)
/// is written in `text`: its value, else the deepest part of the path written.
fn locate(text: &str, path: &str) -> Option<(usize, usize)> {
    let document = toml_edit::ImDocument::parse(text).ok()?;
    let mut node = Node::Table(document.as_table());
    let mut found = None;
    for segment in path.split('.') {
        let (key, indexes) = segment.split_once('[').map_or((segment, ""), |(k, rest)| (k, rest));
        let Some(next) = node.key(key) else { break };
        node = next;
        found = node.span().or(found);
        for index in indexes.split('[').filter(|i| !i.is_empty()) {
            let Some(next) = index.trim_end_matches(']').parse().ok().and_then(|i| node.index(i)) else {
                return found.map(|span| line_column(text, span.start));
            };
            node = next;
            found = node.span().or(found);
        }
    }
    found.map(|span| line_column(text, span.start))
}

#[derive(Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct File {
    #[serde(default)]
    channels: Channels,
    #[serde(default)]
    scope: Scope,
    #[serde(default)]
    releases: Releases,
    #[serde(default)]
    report: Report,
    #[serde(default)]
    response: Response,
    #[serde(default)]
    disclosure: Disclosure,
    #[serde(default)]
    advisories: Advisories,
    #[serde(default)]
    conduct: Conduct,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    threat_models: Option<Vec<Model>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    criteria: Option<Vec<Crit>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    platforms: Option<Vec<Plat>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    lab: Option<LabSection>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    cra: Option<CraSection>,
    #[serde(default, skip_serializing_if = "Limits::is_empty")]
    limits: Limits,
}

/// `[cra]`: the organisation's role under the Cyber Resilience Act (`manufacturer` or `open-source-steward`).
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct CraSection {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    role: Option<String>,
}

/// `[lab]`: where the evidence lab gets the project's code.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct LabSection {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    repository: Option<String>,
    /// `pypi:NAME`: install the package at each line's version instead (issue 17).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    package: Option<String>,
    /// Where the package comes from: an index URL or a directory of wheels and sdists.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    index: Option<String>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    setup_network: bool,
    #[serde(default)]
    lines: Vec<LabLineSection>,
}

/// `[[lab.lines]]`: one release line's ref and setup command.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct LabLineSection {
    name: String,
    #[serde(rename = "ref", default, skip_serializing_if = "Option::is_none")]
    git_ref: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    version: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    setup: Option<String>,
}

macro_rules! section {
    ($name:ident { $($field:ident : $ty:ty),* $(,)? }) => {
        #[derive(Serialize, Deserialize, Default)]
        #[serde(deny_unknown_fields)]
        struct $name {
            $(
                #[serde(default, skip_serializing_if = "Option::is_none")]
                $field: Option<$ty>,
            )*
        }
    };
}

section!(Channels { web_form: bool, api: bool, email: String, openpgp_key: String, languages: Vec<String> });
section!(Scope { in_scope: Vec<String>, out_of_scope: Vec<String>, not_security: Vec<String> });
section!(Releases {
    support: String,
    latest: String,
    cve_eligible: Vec<String>,
    fix_by_default: Vec<String>,
    fix_on_request: Vec<String>,
    experimental: Vec<String>,
    lines: Vec<Line>,
});
section!(Report { required: Vec<String>, recommended: Vec<String>, max_attachments: u32, max_attachment_bytes: u32 });
section!(Response {
    acknowledge: String,
    triage: String,
    fix: String,
    disclosure: String,
    close_unanswered: String,
    expectations: Vec<String>
});
section!(Disclosure { rule: String, embargo: String, max_embargo: String, embargo_reminder: String });
section!(Advisories { prefix: String, cna: String, cve_pool: Vec<String> });
section!(Conduct { code_of_conduct: String, ban_after: u32, team_second_factor: bool });
section!(Limits { per_address: u32, per_account: u32, per_email: u32, per_project: u32 });

impl Limits {
    /// Whether the section says nothing (then it is not written).
    fn is_empty(&self) -> bool {
        [self.per_address, self.per_account, self.per_email, self.per_project].iter().all(Option::is_none)
    }
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Line {
    name: String,
    status: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    released_on: Option<toml::value::Datetime>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    end_of_life_on: Option<toml::value::Datetime>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Model {
    id: String,
    title: String,
    text: String,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Crit {
    id: String,
    title: String,
    explanation: String,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Plat {
    name: String,
    tier: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    interested_parties: Vec<String>,
}

/// Collects conversion errors under their field paths.
#[derive(Default)]
struct Errors(Vec<PolicyError>);

impl Errors {
    fn one<T, E: std::fmt::Display>(
        &mut self,
        field: &str,
        value: Option<&str>,
        parse: impl Fn(&str) -> Result<T, E>,
    ) -> Option<T> {
        let value = value?;
        match parse(value) {
            Ok(v) => Some(v),
            Err(e) => {
                self.0.push(PolicyError { field: field.to_owned(), message: e.to_string() });
                None
            }
        }
    }

    fn list<T, E: std::fmt::Display>(
        &mut self,
        field: &str,
        values: Option<&Vec<String>>,
        parse: impl Fn(&str) -> Result<T, E>,
    ) -> Option<Vec<T>> {
        let values = values?;
        let mut out = Vec::with_capacity(values.len());
        for (i, v) in values.iter().enumerate() {
            match parse(v) {
                Ok(parsed) => out.push(parsed),
                Err(e) => self.0.push(PolicyError { field: format!("{field}[{i}]"), message: e.to_string() }),
            }
        }
        Some(out)
    }
}

fn date(field: &str, errors: &mut Errors, value: Option<&toml::value::Datetime>) -> Option<time::Date> {
    let value = value?;
    match (value.date, value.time) {
        (Some(d), None) => {
            let month = time::Month::try_from(d.month).ok();
            month.and_then(|m| time::Date::from_calendar_date(i32::from(d.year), m, d.day).ok()).or_else(|| {
                errors.0.push(PolicyError { field: field.to_owned(), message: "not a calendar date".into() });
                None
            })
        }
        _ => {
            errors.0.push(PolicyError { field: field.to_owned(), message: "write a date such as 2024-10-07".into() });
            None
        }
    }
}

fn toml_date(date: time::Date) -> toml::value::Datetime {
    toml::value::Datetime {
        date: Some(toml::value::Date {
            year: u16::try_from(date.year()).unwrap_or(0),
            month: u8::from(date.month()),
            day: date.day(),
        }),
        time: None,
        offset: None,
    }
}

/// Parses and checks a policy file for `level`.
pub fn parse(text: &str, level: Level) -> Result<PolicyFile, PolicyFileError> {
    let file: File = toml::from_str(text).map_err(|e| {
        let (line, column) = e.span().map_or((1, 1), |span| line_column(text, span.start));
        PolicyFileError::Syntax { line, column, message: e.message().trim().to_owned() }
    })?;
    let mut errors = Errors::default();
    let c = &file.channels;
    let r = &file.releases;
    let draft = PolicyDraft {
        channels: ChannelsDraft {
            web_form: c.web_form,
            api: c.api,
            email: errors.one("channels.email", c.email.as_deref(), str::parse),
            openpgp_key: c.openpgp_key.clone(),
            languages: c.languages.clone(),
        },
        scope: ScopeDraft {
            in_scope: file.scope.in_scope.clone(),
            out_of_scope: file.scope.out_of_scope.clone(),
            not_security: file.scope.not_security.clone(),
        },
        threat_models: file.threat_models.as_ref().map(|l| {
            l.iter().map(|m| ThreatModel { id: m.id.clone(), title: m.title.clone(), text: m.text.clone() }).collect()
        }),
        criteria: file.criteria.as_ref().map(|l| {
            l.iter()
                .map(|c| Criterion { id: c.id.clone(), title: c.title.clone(), explanation: c.explanation.clone() })
                .collect()
        }),
        releases: ReleasesDraft {
            support: errors.one("releases.support", r.support.as_deref(), str::parse),
            latest: r.latest.clone(),
            cve_eligible: errors.list("releases.cve_eligible", r.cve_eligible.as_ref(), str::parse),
            fix_by_default: errors.list("releases.fix_by_default", r.fix_by_default.as_ref(), str::parse),
            fix_on_request: errors.list("releases.fix_on_request", r.fix_on_request.as_ref(), str::parse),
            experimental: r.experimental.clone(),
        },
        platforms: file.platforms.as_ref().map(|l| {
            l.iter()
                .enumerate()
                .filter_map(|(i, p)| {
                    let tier = errors.one(&format!("platforms[{i}].tier"), Some(&p.tier), str::parse)?;
                    let parties = errors.list(
                        &format!("platforms[{i}].interested_parties"),
                        Some(&p.interested_parties),
                        str::parse,
                    )?;
                    Some(Platform { name: p.name.clone(), tier, interested_parties: parties })
                })
                .collect()
        }),
        report: ReportDraft {
            required: errors.list("report.required", file.report.required.as_ref(), str::parse),
            recommended: errors.list("report.recommended", file.report.recommended.as_ref(), str::parse),
            max_attachments: file.report.max_attachments,
            max_attachment_bytes: file.report.max_attachment_bytes,
        },
        response: ResponseDraft {
            acknowledge: errors.one("response.acknowledge", file.response.acknowledge.as_deref(), str::parse),
            triage: errors.one("response.triage", file.response.triage.as_deref(), str::parse),
            fix: errors.one("response.fix", file.response.fix.as_deref(), str::parse),
            disclosure: errors.one("response.disclosure", file.response.disclosure.as_deref(), str::parse),
            close_unanswered: errors.one(
                "response.close_unanswered",
                file.response.close_unanswered.as_deref(),
                str::parse,
            ),
            expectations: file.response.expectations.clone(),
        },
        disclosure: DisclosureDraft {
            rule: errors.one("disclosure.rule", file.disclosure.rule.as_deref(), str::parse),
            embargo: errors.one("disclosure.embargo", file.disclosure.embargo.as_deref(), str::parse),
            max_embargo: errors.one("disclosure.max_embargo", file.disclosure.max_embargo.as_deref(), str::parse),
            embargo_reminder: errors.one(
                "disclosure.embargo_reminder",
                file.disclosure.embargo_reminder.as_deref(),
                str::parse,
            ),
        },
        advisories: AdvisoriesDraft {
            prefix: errors.one("advisories.prefix", file.advisories.prefix.as_deref(), str::parse),
            cna: errors.one("advisories.cna", file.advisories.cna.as_deref(), str::parse),
            cve_pool: errors.list("advisories.cve_pool", file.advisories.cve_pool.as_ref(), str::parse),
        },
        conduct: ConductDraft {
            code_of_conduct: file.conduct.code_of_conduct.clone(),
            ban_after: file.conduct.ban_after,
            team_second_factor: file.conduct.team_second_factor,
        },
        limits: LimitsDraft {
            per_address: file.limits.per_address,
            per_account: file.limits.per_account,
            per_email: file.limits.per_email,
            per_project: file.limits.per_project,
        },
        lab: file.lab.as_ref().map(|lab| Lab {
            repository: lab.repository.clone(),
            package: errors.one("lab.package", lab.package.as_deref(), str::parse),
            index: lab.index.clone(),
            setup_network: lab.setup_network,
            lines: lab
                .lines
                .iter()
                .enumerate()
                .filter_map(|(i, l)| {
                    let name = errors.one(&format!("lab.lines[{i}].name"), Some(&l.name), str::parse)?;
                    Some(LabLine {
                        name,
                        git_ref: l.git_ref.clone(),
                        version: l.version.clone(),
                        setup: l.setup.clone(),
                    })
                })
                .collect(),
        }),
        cra: embargo_core::policy::CraDraft {
            role: errors.one("cra.role", file.cra.as_ref().and_then(|c| c.role.as_deref()), str::parse),
        },
    };
    let lines = r.lines.as_ref().map(|lines| {
        lines
            .iter()
            .enumerate()
            .filter_map(|(i, l)| {
                let name = errors.one(&format!("releases.lines[{i}].name"), Some(&l.name), str::parse)?;
                let status = errors.one(&format!("releases.lines[{i}].status"), Some(&l.status), str::parse)?;
                Some(LineSpec {
                    name,
                    status,
                    released_on: date(&format!("releases.lines[{i}].released_on"), &mut errors, l.released_on.as_ref()),
                    end_of_life_on: date(
                        &format!("releases.lines[{i}].end_of_life_on"),
                        &mut errors,
                        l.end_of_life_on.as_ref(),
                    ),
                })
            })
            .collect::<Vec<_>>()
    });
    if lines.is_some() && level == Level::Organisation {
        errors.0.push(PolicyError {
            field: "releases.lines".into(),
            message: "release lines belong to projects: list them in a project's policy".into(),
        });
    }
    if let Some(lines) = &lines {
        let mut seen = std::collections::BTreeSet::new();
        for (i, l) in lines.iter().enumerate() {
            if !seen.insert(l.name.clone()) {
                errors.0.push(PolicyError {
                    field: format!("releases.lines[{i}].name"),
                    message: format!("{} appears twice", l.name),
                });
            }
        }
    }
    if let Err(mut problems) = draft.check(level) {
        errors.0.append(&mut problems);
    }
    if errors.0.is_empty() {
        return Ok(PolicyFile { draft, lines });
    }
    let located = errors.0.into_iter().map(|error| Located { at: locate(text, &error.field), error }).collect();
    Err(PolicyFileError::Invalid(located))
}

fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let before = text.get(..offset).unwrap_or(text);
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}

fn strings<T: ToString>(values: &[T]) -> Vec<String> {
    values.iter().map(ToString::to_string).collect()
}

fn status_names(values: &[LineStatus]) -> Vec<String> {
    values.iter().map(|s| s.as_str().to_owned()).collect()
}

fn line_specs(lines: &[ReleaseLine]) -> Vec<Line> {
    lines
        .iter()
        .map(|l| Line {
            name: l.name.to_string(),
            status: l.status.as_str().to_owned(),
            released_on: l.released_on.map(toml_date),
            end_of_life_on: l.end_of_life_on.map(toml_date),
        })
        .collect()
}

/// A value some level of the policy set, none for a default.
fn said(field: &Sourced<u32>) -> Option<u32> {
    (field.source != Source::Default).then_some(field.value)
}

fn file_of(p: &Policy, level: Level, lines: Option<&[ReleaseLine]>) -> File {
    let org = level == Level::Organisation;
    File {
        channels: Channels {
            web_form: Some(p.channels.web_form.value),
            api: Some(p.channels.api.value),
            email: p.channels.email.value.as_ref().map(ToString::to_string),
            openpgp_key: p.channels.openpgp_key.value.clone(),
            languages: Some(p.channels.languages.value.clone()),
        },
        scope: Scope {
            in_scope: Some(p.scope.in_scope.value.clone()),
            out_of_scope: Some(p.scope.out_of_scope.value.clone()),
            not_security: Some(p.scope.not_security.value.clone()),
        },
        releases: Releases {
            support: Some(p.releases.support.value.as_str().to_owned()),
            latest: Some(p.releases.latest.value.clone()),
            cve_eligible: Some(status_names(&p.releases.cve_eligible.value)),
            fix_by_default: Some(status_names(&p.releases.fix_by_default.value)),
            fix_on_request: Some(status_names(&p.releases.fix_on_request.value)),
            experimental: Some(p.releases.experimental.value.clone()),
            lines: lines.map(line_specs),
        },
        report: Report {
            required: Some(strings(&p.report.required.value)),
            recommended: Some(strings(&p.report.recommended.value)),
            max_attachments: Some(p.report.max_attachments.value),
            max_attachment_bytes: Some(p.report.max_attachment_bytes.value),
        },
        response: Response {
            acknowledge: p.response.acknowledge.value.map(|s| s.to_string()),
            triage: p.response.triage.value.map(|s| s.to_string()),
            fix: p.response.fix.value.map(|s| s.to_string()),
            disclosure: p.response.disclosure.value.map(|s| s.to_string()),
            close_unanswered: p.response.close_unanswered.value.map(|s| s.to_string()),
            expectations: Some(p.response.expectations.value.clone()),
        },
        disclosure: Disclosure {
            rule: Some(p.disclosure.rule.value.as_str().to_owned()),
            embargo: Some(p.disclosure.embargo.value.to_string()),
            max_embargo: p.disclosure.max_embargo.value.map(|s| s.to_string()),
            embargo_reminder: Some(p.disclosure.embargo_reminder.value.to_string()),
        },
        advisories: Advisories {
            prefix: p.advisories.prefix.value.as_ref().filter(|_| org).map(ToString::to_string),
            cna: Some(p.advisories.cna.value.as_str().to_owned()),
            cve_pool: org.then(|| strings(&p.advisories.cve_pool.value)),
        },
        conduct: Conduct {
            code_of_conduct: p.conduct.code_of_conduct.value.clone(),
            ban_after: p.conduct.ban_after.value,
            // Written only when on: off is the default.
            team_second_factor: p.conduct.team_second_factor.value.then_some(true),
        },
        threat_models: Some(
            p.threat_models
                .value
                .iter()
                .map(|m| Model { id: m.id.clone(), title: m.title.clone(), text: m.text.clone() })
                .collect(),
        ),
        criteria: Some(
            p.criteria
                .value
                .iter()
                .map(|c| Crit { id: c.id.clone(), title: c.title.clone(), explanation: c.explanation.clone() })
                .collect(),
        ),
        platforms: Some(
            p.platforms
                .value
                .iter()
                .map(|pl| Plat {
                    name: pl.name.clone(),
                    tier: pl.tier.as_str().to_owned(),
                    interested_parties: strings(&pl.interested_parties),
                })
                .collect(),
        ),
        // Written only where a policy says them: the defaults follow the instance.
        limits: Limits {
            per_address: said(&p.limits.per_address),
            per_account: said(&p.limits.per_account),
            per_email: said(&p.limits.per_email),
            per_project: said(&p.limits.per_project),
        },
        lab: p.lab.value.as_ref().filter(|_| !org).map(|lab| LabSection {
            repository: lab.repository.clone(),
            package: lab.package.as_ref().map(ToString::to_string),
            index: lab.index.clone(),
            setup_network: lab.setup_network,
            lines: lab
                .lines
                .iter()
                .map(|l| LabLineSection {
                    name: l.name.to_string(),
                    git_ref: l.git_ref.clone(),
                    version: l.version.clone(),
                    setup: l.setup.clone(),
                })
                .collect(),
        }),
        cra: p.cra.role.value.filter(|_| org).map(|role| CraSection { role: Some(role.as_str().to_owned()) }),
    }
}

/// Where each field of the effective policy comes from, by `section.field`.
pub fn sources(p: &Policy) -> BTreeMap<&'static str, Source> {
    fn s<T>(f: &Sourced<T>) -> Source {
        f.source
    }
    BTreeMap::from([
        ("channels.web_form", s(&p.channels.web_form)),
        ("channels.api", s(&p.channels.api)),
        ("channels.email", s(&p.channels.email)),
        ("channels.openpgp_key", s(&p.channels.openpgp_key)),
        ("channels.languages", s(&p.channels.languages)),
        ("scope.in_scope", s(&p.scope.in_scope)),
        ("scope.out_of_scope", s(&p.scope.out_of_scope)),
        ("scope.not_security", s(&p.scope.not_security)),
        ("threat_models", s(&p.threat_models)),
        ("criteria", s(&p.criteria)),
        ("releases.support", s(&p.releases.support)),
        ("releases.latest", s(&p.releases.latest)),
        ("releases.cve_eligible", s(&p.releases.cve_eligible)),
        ("releases.fix_by_default", s(&p.releases.fix_by_default)),
        ("releases.fix_on_request", s(&p.releases.fix_on_request)),
        ("releases.experimental", s(&p.releases.experimental)),
        ("platforms", s(&p.platforms)),
        ("report.required", s(&p.report.required)),
        ("report.recommended", s(&p.report.recommended)),
        ("report.max_attachments", s(&p.report.max_attachments)),
        ("report.max_attachment_bytes", s(&p.report.max_attachment_bytes)),
        ("response.acknowledge", s(&p.response.acknowledge)),
        ("response.triage", s(&p.response.triage)),
        ("response.fix", s(&p.response.fix)),
        ("response.disclosure", s(&p.response.disclosure)),
        ("response.close_unanswered", s(&p.response.close_unanswered)),
        ("response.expectations", s(&p.response.expectations)),
        ("disclosure.rule", s(&p.disclosure.rule)),
        ("disclosure.embargo", s(&p.disclosure.embargo)),
        ("disclosure.max_embargo", s(&p.disclosure.max_embargo)),
        ("disclosure.embargo_reminder", s(&p.disclosure.embargo_reminder)),
        ("advisories.prefix", s(&p.advisories.prefix)),
        ("advisories.cna", s(&p.advisories.cna)),
        ("advisories.cve_pool", s(&p.advisories.cve_pool)),
        ("conduct.code_of_conduct", s(&p.conduct.code_of_conduct)),
        ("conduct.ban_after", s(&p.conduct.ban_after)),
        ("conduct.team_second_factor", s(&p.conduct.team_second_factor)),
        ("lab", s(&p.lab)),
        ("cra.role", s(&p.cra.role)),
        ("limits.per_address", s(&p.limits.per_address)),
        ("limits.per_account", s(&p.limits.per_account)),
        ("limits.per_email", s(&p.limits.per_email)),
        ("limits.per_project", s(&p.limits.per_project)),
    ])
}

/// The effective policy as canonical TOML, which `parse` accepts back at the
/// same `level` (a project's omits what only an organisation sets). With
/// `provenance`, each section starts with a comment naming where its fields
/// come from (comments do not change what the file says).
pub fn render(policy: &Policy, level: Level, lines: Option<&[ReleaseLine]>, provenance: bool) -> String {
    let text = toml::to_string_pretty(&file_of(policy, level, lines)).unwrap_or_default();
    if !provenance {
        return text;
    }
    let sources = sources(policy);
    let mut out = String::with_capacity(text.len() + 512);
    let mut seen_sections = std::collections::BTreeSet::new();
    for line in text.lines() {
        let header = line.trim().trim_start_matches('[').trim_end_matches(']');
        if line.starts_with('[') && !header.contains('.') && seen_sections.insert(header.to_owned()) {
            let mut by_source: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
            for (path, source) in &sources {
                let (section, field) = path.split_once('.').unwrap_or((path, ""));
                let org_only = matches!(*path, "advisories.prefix" | "advisories.cve_pool" | "cra.role");
                if section == header && *source != Source::Default && (level == Level::Organisation || !org_only) {
                    by_source.entry(source.as_str()).or_default().push(if field.is_empty() { section } else { field });
                }
            }
            let summary: Vec<String> =
                by_source.iter().map(|(source, fields)| format!("{} from the {source}", fields.join(", "))).collect();
            let note = if summary.is_empty() { "all defaults".to_owned() } else { summary.join("; ") };
            if !out.is_empty() && !out.ends_with("\n\n") {
                out.push('\n');
            }
            out.push_str(&format!("# {header}: {note}\n"));
        }
        out.push_str(line);
        out.push('\n');
    }
    out
}

/// What one level itself says, as TOML that `parse` accepts back at that
/// level: only the fields whose source is `own` (and a project's release
/// lines), so that saving it again keeps every other field inherited.
pub fn render_own(policy: &Policy, level: Level, own: Source, lines: Option<&[ReleaseLine]>) -> String {
    // Through the text, so that dates come back as TOML dates (a `toml::Value`
    // made straight from the structs would hold them as private tables).
    let text = toml::to_string(&file_of(policy, level, lines)).unwrap_or_default();
    let Ok(mut table) = text.parse::<toml::Table>() else {
        return String::new();
    };
    for (path, source) in sources(policy) {
        if source == own {
            continue;
        }
        match path.split_once('.') {
            Some((section, field)) => {
                if let Some(toml::Value::Table(fields)) = table.get_mut(section) {
                    fields.remove(field);
                }
            }
            None => {
                table.remove(path);
            }
        }
    }
    table.retain(|_, value| !matches!(value, toml::Value::Table(t) if t.is_empty()));
    toml::to_string_pretty(&table).unwrap_or_default()
}

/// The effective policy as JSON of the same shape as the TOML file.
pub fn to_json(policy: &Policy, level: Level, lines: Option<&[ReleaseLine]>) -> serde_json::Value {
    serde_json::to_value(file_of(policy, level, lines)).unwrap_or(serde_json::Value::Null)
}

#[cfg(test)]
mod tests;
