//! The API's JSON bodies for callers outside HTTP: the command line's
//! `--json` prints a report, an advisory, an organisation, a project or a policy in
//! exactly the shape `GET /api/v1/...` answers (described in the OpenAPI
//! document), so a script can move between the two.

use embargo_app::{AdvisoryView, EffectivePolicy, ReportView};
use embargo_core::Timestamp;
use embargo_core::organisation::Organisation;
use embargo_core::project::Project;

use crate::api::{advisories, organisations, policies, reports};

/// A report as `GET /api/v1/reports/{id}` answers it to the same caller at `now`.
pub fn report(view: &ReportView, now: Timestamp) -> Result<serde_json::Value, serde_json::Error> {
    serde_json::to_value(reports::report_json(view, now))
}

/// An advisory as `GET /api/v1/advisories/{id}` answers it.
pub fn advisory(view: &AdvisoryView) -> Result<serde_json::Value, serde_json::Error> {
    serde_json::to_value(advisories::advisory_json(view))
}

/// An organisation as `GET /api/v1/orgs/{org}` answers it.
pub fn organisation(org: &Organisation) -> Result<serde_json::Value, serde_json::Error> {
    serde_json::to_value(organisations::OrganisationJson::from(org))
}

/// A project of the organisation `org` (its slug) as `GET /api/v1/projects/{org}/{project}` answers it.
pub fn project(org: &embargo_core::text::Slug, project: &Project) -> Result<serde_json::Value, serde_json::Error> {
    serde_json::to_value(organisations::project_json(org, project))
}

/// An effective policy as `GET /api/v1/orgs/{org}/policy` or `GET /api/v1/projects/{org}/{project}/policy` answers it.
pub fn policy(effective: &EffectivePolicy) -> Result<serde_json::Value, serde_json::Error> {
    serde_json::to_value(policies::policy_json(effective))
}
