//! The JSON API, one module per resource; `routes` gathers them, at the
//! paths and methods their OpenAPI annotations name.

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

use crate::AppState;

/// Registers one path's handlers on an axum router, at the path and methods
/// their `#[utoipa::path]` annotation names (`utoipa::Path::path` and
/// `methods`), so that what is served and what is described cannot differ.
/// Reads nothing else of the annotation: the description is built only by
/// `documented`, and the binary leaves that code out.
macro_rules! route {
    ($router:expr, $($module:ident :: $handler:ident),+) => {{
        #[allow(unused_imports)]
        use utoipa::Path as _;
        use utoipa_axum::PathItemExt as _;
        let mut path = None;
        let mut methods = axum::routing::MethodRouter::new();
        $(
            utoipa_axum::paste! {
                path.get_or_insert_with($module::[<__path_ $handler>]::path);
                for method in $module::[<__path_ $handler>]::methods() {
                    methods = methods.on(method.to_method_filter(), $module::$handler);
                }
            }
        )+
        $router.route(&path.unwrap_or_default(), methods)
    }};
}

/// The API's paths, listed once: each group is one path's handlers.
/// `routes` serves them; `documented` (tests only) collects their OpenAPI
/// descriptions for `openapi.json`.
macro_rules! api {
    ($( ( $($module:ident :: $handler:ident),+ $(,)? ) ),* $(,)?) => {
        /// Every API route.
        pub(crate) fn routes() -> axum::Router<AppState> {
            let router = axum::Router::new();
            $( let router = route!(router, $($module::$handler),+); )*
            router
        }

        /// Every API route with its OpenAPI description: what `openapi.json`
        /// is made from (`openapi::tests`).
        /// Each path's handlers' paths, as their annotations name them:
        /// `route!` registers a group at its first handler's path, so all
        /// must be the same (`openapi::tests`).
        #[cfg(test)]
        pub(crate) fn path_groups() -> Vec<Vec<String>> {
            #[allow(unused_imports)]
            use utoipa::Path as _;
            vec![$( vec![$( utoipa_axum::paste! { $module::[<__path_ $handler>]::path() } ),+] ),*]
        }

        #[cfg(test)]
        pub(crate) fn documented() -> utoipa_axum::router::OpenApiRouter<AppState> {
            utoipa_axum::router::OpenApiRouter::new()
                $( .routes(utoipa_axum::routes!($($module::$handler),+)) )*
        }
    };
}

api! {
    (health::healthz),
    (health::readyz),
    (accounts::setup),
    (accounts::sign_in, accounts::sign_out, accounts::whoami),
    (accounts::create_user, accounts::list_users),
    (accounts::confirm_signup),
    (accounts::create_token, accounts::list_tokens),
    (accounts::revoke_token),
    (accounts::list_sessions),
    (accounts::end_session),
    (accounts::end_user_sessions),
    (accounts::get_settings, accounts::put_settings),
    (organisations::list_organisations, organisations::create_organisation),
    (organisations::get_organisation, organisations::update_organisation),
    (organisations::list_projects, organisations::create_project),
    (organisations::list_org_members),
    (organisations::add_org_member),
    (organisations::remove_org_member),
    (organisations::get_project, organisations::update_project),
    (organisations::list_project_members),
    (organisations::add_project_member),
    (organisations::remove_project_member),
    (organisations::list_release_lines),
    (organisations::put_release_line, organisations::delete_release_line),
    (reports::submit_report),
    (reports::check_report),
    (reports::share_report),
    (collaborators::invite_collaborator, collaborators::list_collaborators),
    (collaborators::revoke_collaborator),
    (rotation::get_rotation, rotation::put_rotation),
    (schedule::schedule_publication),
    (conduct::conduct_export),
    (response_times::project_response_times),
    (response_times::organisation_response_times),
    (policies::get_org_policy, policies::put_org_policy),
    (policies::get_org_policy_toml),
    (policies::get_project_policy, policies::put_project_policy),
    (policies::get_project_policy_toml),
    (policies::get_security_md),
    (policies::get_openpgp_key),
    (policies::get_security_txt),
    (advisories::assign_cve),
    (accounts::ban_user),
    (reports::list_reports),
    (reports::get_report, reports::update_report),
    (reports::post_message),
    (reports::transition_report),
    (advisories::draft_advisory),
    (advisories::list_advisories),
    (advisories::get_advisory, advisories::update_advisory),
    (advisories::publish_advisory),
    (advisories::withdraw_advisory),
    (advisories::state_not_affected, advisories::take_back_not_affected),
    (cwes::list_cwes),
    (lab::queue_lab_runs),
    (lab::get_lab),
    (lab::accept_lab_matrix),
    (audit::get_checkpoint),
    (audit::list_events),
    (webhooks::list_org_webhooks, webhooks::create_org_webhook),
    (webhooks::delete_org_webhook),
    (webhooks::list_project_webhooks, webhooks::create_project_webhook),
    (webhooks::delete_project_webhook),
    (lab::share_lab, lab::unshare_lab),
    (credits::get_credit, credits::put_credit),
    (credits::list_credits),
    (public_issue::get_public_issue, public_issue::draft_public_issue),
    (public_issue::answer_public_issue),
    (public_issue::mark_public_issue),
    (cra::get_cra, cra::start_cra, cra::update_cra),
    (cra::cra_content, cra::file_cra_stage),
    (webhook_resend::resend_org_delivery),
    (webhook_resend::resend_project_delivery),
    (forge::get_forge_hook, forge::put_forge_hook, forge::receive_forge_delivery),
    (forge::get_fix),
    (forge::get_fix_polling, forge::put_fix_polling),
    (cve_services::get_cve_services, cve_services::put_cve_services),
    (security_keys::list_security_keys),
    (zones::get_time_zone, zones::put_time_zone),
}
