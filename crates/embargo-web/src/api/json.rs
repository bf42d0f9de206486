//! JSON shapes shared by several resources.

use embargo_core::organisation::Organisation;
use embargo_core::project::Project;
use embargo_core::user::User;
use serde::Serialize;
use time::OffsetDateTime;
use utoipa::ToSchema;

time::serde::format_description!(pub(crate) iso_date, Date, "[year]-[month]-[day]");

/// A user account.
#[derive(Serialize, ToSchema)]
pub(crate) struct UserJson {
    /// The account's id.
    pub(crate) id: String,
    /// The sign-in address.
    pub(crate) email: String,
    /// The display name.
    pub(crate) name: String,
    /// Instance administrator.
    pub(crate) is_admin: bool,
    /// Banned for ignoring the policy.
    pub(crate) banned: bool,
    /// When the account was made.
    #[serde(with = "time::serde::rfc3339")]
    pub(crate) created_at: OffsetDateTime,
}

impl From<&User> for UserJson {
    fn from(u: &User) -> Self {
        UserJson {
            id: u.id.to_string(),
            email: u.email.to_string(),
            name: u.name.clone(),
            is_admin: u.is_admin,
            banned: u.banned_at.is_some(),
            created_at: u.created_at,
        }
    }
}

/// A short reference to a user: who did something.
#[derive(Serialize, ToSchema)]
pub(crate) struct UserRef {
    /// The account's id.
    pub(crate) id: String,
    /// The display name.
    pub(crate) name: String,
}

impl From<&User> for UserRef {
    fn from(u: &User) -> Self {
        UserRef { id: u.id.to_string(), name: u.name.clone() }
    }
}

/// Where something belongs: organisation and project slugs.
#[derive(Serialize, ToSchema)]
pub(crate) struct ProjectRef {
    /// The organisation's slug.
    pub(crate) organisation: String,
    /// The project's slug.
    pub(crate) project: String,
    /// The project's display name.
    pub(crate) name: String,
}

impl ProjectRef {
    pub(crate) fn new(org: &Organisation, project: &Project) -> Self {
        ProjectRef { organisation: org.slug.to_string(), project: project.slug.to_string(), name: project.name.clone() }
    }
}
