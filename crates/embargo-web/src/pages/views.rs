//! Small view models shared by several pages: badges and links.

use embargo_core::advisory::AdvisoryState;
use embargo_core::lifecycle::ReportState;
use embargo_core::organisation::Organisation;
use embargo_core::project::Project;
use embargo_core::severity::{Cvss, SeverityLevel};

/// A badge: a CSS class for colour and the words that carry the meaning.
#[derive(Debug, Clone)]
pub(crate) struct Badge {
    /// The class (`state-new`, `severity-high`).
    pub(crate) class: String,
    /// The text.
    pub(crate) label: String,
}

impl Badge {
    /// A report state.
    pub(crate) fn state(state: ReportState) -> Self {
        Badge { class: format!("state-{}", state.as_str()), label: state.label().to_owned() }
    }

    /// A severity rating.
    pub(crate) fn severity(level: SeverityLevel) -> Self {
        let label = match level {
            SeverityLevel::None => "No impact",
            SeverityLevel::Low => "Low",
            SeverityLevel::Medium => "Medium",
            SeverityLevel::High => "High",
            SeverityLevel::Critical => "Critical",
        };
        Badge { class: format!("severity-{}", level.as_str()), label: label.to_owned() }
    }

    /// An advisory's state.
    pub(crate) fn advisory(state: AdvisoryState) -> Self {
        let (class, label) = match state {
            AdvisoryState::Draft => ("state-draft", "Draft"),
            AdvisoryState::Published => ("state-published", "Published"),
            AdvisoryState::Withdrawn => ("state-withdrawn-advisory", "Withdrawn"),
        };
        Badge { class: class.to_owned(), label: label.to_owned() }
    }
}

/// A project with the links pages need.
#[derive(Debug, Clone)]
pub(crate) struct ProjectLink {
    /// The organisation's name.
    pub(crate) org_name: String,
    /// The project's name.
    pub(crate) name: String,
    /// `/{org}/{project}`.
    pub(crate) path: String,
    /// `org/project`, for filters and headings.
    pub(crate) key: String,
}

impl ProjectLink {
    /// The links of a project.
    pub(crate) fn new(org: &Organisation, project: &Project) -> Self {
        ProjectLink {
            org_name: org.name.clone(),
            name: project.name.clone(),
            path: format!("/{}/{}", org.slug, project.slug),
            key: format!("{}/{}", org.slug, project.slug),
        }
    }
}

/// A CVSS vector as shown: score, rating badge, vector.
#[derive(Debug, Clone)]
pub(crate) struct CvssView {
    /// `CVSS 3.1` or `CVSS 4.0`.
    pub(crate) version: String,
    /// The base score, one decimal.
    pub(crate) score: String,
    /// The rating.
    pub(crate) badge: Badge,
    /// The vector.
    pub(crate) vector: String,
}

impl CvssView {
    /// The view of a vector.
    pub(crate) fn new(cvss: &Cvss) -> Self {
        let vector = cvss.vector().to_owned();
        let version = vector.split('/').next().unwrap_or("CVSS").replace(':', " ");
        CvssView { version, score: format!("{:.1}", cvss.score()), badge: Badge::severity(cvss.level()), vector }
    }
}
