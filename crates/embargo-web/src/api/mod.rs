//! The JSON API, one module per resource; `routes` gathers them with their
//! OpenAPI descriptions.

mod accounts;
pub(crate) mod advisories;
mod audit;
mod collaborators;
mod conduct;
pub(crate) mod cra;
mod cwes;
mod health;
mod json;
mod lab;

pub(crate) use lab::reproduced as lab_reproduced;
mod credits;
pub(crate) mod cve_services;
pub(crate) mod forge;
pub(crate) mod organisations;
pub(crate) mod policies;
mod public_issue;
pub(crate) mod reports;
mod response_times;
mod rotation;
mod schedule;
mod security_keys;
mod webhook_resend;
mod webhooks;
mod zones;

use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;

/// Every API route.
pub(crate) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(health::healthz))
        .routes(routes!(health::readyz))
        .routes(routes!(accounts::setup))
        .routes(routes!(accounts::sign_in, accounts::sign_out, accounts::whoami))
        .routes(routes!(accounts::create_user, accounts::list_users))
        .routes(routes!(accounts::confirm_signup))
        .routes(routes!(accounts::create_token, accounts::list_tokens))
        .routes(routes!(accounts::revoke_token))
        .routes(routes!(accounts::list_sessions))
        .routes(routes!(accounts::end_session))
        .routes(routes!(accounts::end_user_sessions))
        .routes(routes!(accounts::get_settings, accounts::put_settings))
        .routes(routes!(organisations::list_organisations, organisations::create_organisation))
        .routes(routes!(organisations::get_organisation, organisations::update_organisation))
        .routes(routes!(organisations::list_projects, organisations::create_project))
        .routes(routes!(organisations::list_org_members))
        .routes(routes!(organisations::add_org_member))
        .routes(routes!(organisations::remove_org_member))
        .routes(routes!(organisations::get_project, organisations::update_project))
        .routes(routes!(organisations::list_project_members))
        .routes(routes!(organisations::add_project_member))
        .routes(routes!(organisations::remove_project_member))
        .routes(routes!(organisations::list_release_lines))
        .routes(routes!(organisations::put_release_line, organisations::delete_release_line))
        .routes(routes!(reports::submit_report))
        .routes(routes!(reports::check_report))
        .routes(routes!(reports::share_report))
        .routes(routes!(collaborators::invite_collaborator, collaborators::list_collaborators))
        .routes(routes!(collaborators::revoke_collaborator))
        .routes(routes!(rotation::get_rotation, rotation::put_rotation))
        .routes(routes!(schedule::schedule_publication))
        .routes(routes!(conduct::conduct_export))
        .routes(routes!(response_times::project_response_times))
        .routes(routes!(response_times::organisation_response_times))
        .routes(routes!(policies::get_org_policy, policies::put_org_policy))
        .routes(routes!(policies::get_org_policy_toml))
        .routes(routes!(policies::get_project_policy, policies::put_project_policy))
        .routes(routes!(policies::get_project_policy_toml))
        .routes(routes!(policies::get_security_md))
        .routes(routes!(policies::get_openpgp_key))
        .routes(routes!(policies::get_security_txt))
        .routes(routes!(advisories::assign_cve))
        .routes(routes!(accounts::ban_user))
        .routes(routes!(reports::list_reports))
        .routes(routes!(reports::get_report, reports::update_report))
        .routes(routes!(reports::post_message))
        .routes(routes!(reports::transition_report))
        .routes(routes!(advisories::draft_advisory))
        .routes(routes!(advisories::list_advisories))
        .routes(routes!(advisories::get_advisory, advisories::update_advisory))
        .routes(routes!(advisories::publish_advisory))
        .routes(routes!(advisories::withdraw_advisory))
        .routes(routes!(advisories::state_not_affected, advisories::take_back_not_affected))
        .routes(routes!(cwes::list_cwes))
        .routes(routes!(lab::queue_lab_runs))
        .routes(routes!(lab::get_lab))
        .routes(routes!(lab::accept_lab_matrix))
        .routes(routes!(audit::get_checkpoint))
        .routes(routes!(audit::list_events))
        .routes(routes!(webhooks::list_org_webhooks, webhooks::create_org_webhook))
        .routes(routes!(webhooks::delete_org_webhook))
        .routes(routes!(webhooks::list_project_webhooks, webhooks::create_project_webhook))
        .routes(routes!(webhooks::delete_project_webhook))
        .routes(routes!(lab::share_lab, lab::unshare_lab))
        .routes(routes!(credits::get_credit, credits::put_credit))
        .routes(routes!(credits::list_credits))
        .routes(routes!(public_issue::get_public_issue, public_issue::draft_public_issue))
        .routes(routes!(public_issue::answer_public_issue))
        .routes(routes!(public_issue::mark_public_issue))
        .routes(routes!(cra::get_cra, cra::start_cra, cra::update_cra))
        .routes(routes!(cra::cra_content, cra::file_cra_stage))
        .routes(routes!(webhook_resend::resend_org_delivery))
        .routes(routes!(webhook_resend::resend_project_delivery))
        .routes(routes!(forge::get_forge_hook, forge::put_forge_hook, forge::receive_forge_delivery))
        .routes(routes!(forge::get_fix))
        .routes(routes!(forge::get_fix_polling, forge::put_fix_polling))
        .routes(routes!(cve_services::get_cve_services, cve_services::put_cve_services))
        .routes(routes!(security_keys::list_security_keys))
        .routes(routes!(zones::get_time_zone, zones::put_time_zone))
}
