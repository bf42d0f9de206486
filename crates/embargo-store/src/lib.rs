//! Embargo's storage: one [`Store`] trait with a SQLite and a PostgreSQL
//! implementation, chosen once from the database URL by [`open()`].
//!
//! Reads go through a [`Reader`], which can only read. Changes go through
//! [`StoreExt::write`]: a use case is a closure run inside one transaction
//! with a [`Writer`], answered only after it committed. On SQLite one writer
//! task batches concurrent closures into one transaction, each in its own
//! savepoint; on PostgreSQL each closure has its own transaction.
//!
//! Private text (report content, messages, reasons, draft advisories) passes
//! through [`seal`] on its way in and out, so a database dump alone does not
//! disclose it. Every change appends to a hash-chained audit log ([`audit`]).

mod error;
mod handle;
mod open;
mod postgres;
mod search;
mod sql;
mod sqlite;
mod stored;
mod stored_policy;
mod work;

pub mod advisories;
pub mod attachments;
pub mod audit;
pub mod backup;
pub mod checkpoint;
pub mod collaborators;
pub mod cra;
pub mod credits;
pub mod cve_services;
pub mod embargoes;
pub mod factors;
pub mod forge;
pub mod imported;
pub mod jobs;
pub mod lab;
pub mod lab_shares;
pub mod mail;
pub mod oidc;
pub mod operations;
pub mod organisations;
pub mod policies;
pub mod public_issues;
pub mod reports;
pub mod response_times;
pub mod rotations;
pub mod seal;
pub mod sessions;
pub mod settings;
pub mod shares;
pub mod signups;
pub mod status;
pub mod throttle;
pub mod users;
pub mod webauthn;
pub mod webhooks;
pub mod zones;

pub use error::StoreError;
pub use open::{DatabaseUrl, InvalidDatabaseUrl, OpenOptions, Tuning, open, open_tuned};
pub use work::{Store, StoreExt, TxFuture, WriteError};

/// Everything a use case may read, inside or outside a transaction.
pub trait Reader:
    users::UserReads
    + settings::SettingReads
    + organisations::OrganisationReads
    + reports::ReportReads
    + advisories::AdvisoryReads
    + attachments::AttachmentReads
    + policies::PolicyReads
    + shares::ShareReads
    + collaborators::CollaboratorReads
    + rotations::RotationReads
    + embargoes::EmbargoReads
    + response_times::ResponseTimeReads
    + audit::AuditReads
    + jobs::JobReads
    + lab::LabReads
    + mail::MailReads
    + sessions::SessionReads
    + factors::FactorReads
    + throttle::ThrottleReads
    + signups::SignupReads
    + operations::OperationReads
    + webhooks::WebhookReads
    + imported::ImportedReads
    + lab_shares::LabShareReads
    + credits::CreditReads
    + public_issues::PublicIssueReads
    + cra::CraReads
    + forge::ForgeReads
    + cve_services::CveServicesReads
    + webauthn::WebauthnReads
    + oidc::OidcReads
    + zones::ZoneReads
    + Send
{
}

impl<T> Reader for T where
    T: users::UserReads
        + settings::SettingReads
        + organisations::OrganisationReads
        + reports::ReportReads
        + advisories::AdvisoryReads
        + attachments::AttachmentReads
        + policies::PolicyReads
        + shares::ShareReads
        + collaborators::CollaboratorReads
        + rotations::RotationReads
        + embargoes::EmbargoReads
        + response_times::ResponseTimeReads
        + audit::AuditReads
        + jobs::JobReads
        + lab::LabReads
        + mail::MailReads
        + sessions::SessionReads
        + factors::FactorReads
        + throttle::ThrottleReads
        + signups::SignupReads
        + operations::OperationReads
        + webhooks::WebhookReads
        + imported::ImportedReads
        + lab_shares::LabShareReads
        + credits::CreditReads
        + public_issues::PublicIssueReads
        + cra::CraReads
        + forge::ForgeReads
        + cve_services::CveServicesReads
        + webauthn::WebauthnReads
        + oidc::OidcReads
        + zones::ZoneReads
        + Send
{
}

/// Everything a use case may change, inside its transaction.
pub trait Writer:
    Reader
    + users::UserWrites
    + settings::SettingWrites
    + organisations::OrganisationWrites
    + reports::ReportWrites
    + advisories::AdvisoryWrites
    + attachments::AttachmentWrites
    + policies::PolicyWrites
    + shares::ShareWrites
    + collaborators::CollaboratorWrites
    + rotations::RotationWrites
    + embargoes::EmbargoWrites
    + audit::AuditWrites
    + jobs::JobWrites
    + lab::LabWrites
    + mail::MailWrites
    + sessions::SessionWrites
    + factors::FactorWrites
    + throttle::ThrottleWrites
    + signups::SignupWrites
    + webhooks::WebhookWrites
    + imported::ImportedWrites
    + lab_shares::LabShareWrites
    + credits::CreditWrites
    + public_issues::PublicIssueWrites
    + cra::CraWrites
    + forge::ForgeWrites
    + cve_services::CveServicesWrites
    + webauthn::WebauthnWrites
    + oidc::OidcWrites
    + zones::ZoneWrites
{
}

impl<T> Writer for T where
    T: Reader
        + users::UserWrites
        + settings::SettingWrites
        + organisations::OrganisationWrites
        + reports::ReportWrites
        + advisories::AdvisoryWrites
        + attachments::AttachmentWrites
        + policies::PolicyWrites
        + shares::ShareWrites
        + collaborators::CollaboratorWrites
        + rotations::RotationWrites
        + embargoes::EmbargoWrites
        + audit::AuditWrites
        + jobs::JobWrites
        + lab::LabWrites
        + lab::LabWrites
        + mail::MailWrites
        + sessions::SessionWrites
        + factors::FactorWrites
        + throttle::ThrottleWrites
        + signups::SignupWrites
        + webhooks::WebhookWrites
        + imported::ImportedWrites
        + lab_shares::LabShareWrites
        + credits::CreditWrites
        + public_issues::PublicIssueWrites
        + cra::CraWrites
        + forge::ForgeWrites
        + cve_services::CveServicesWrites
        + webauthn::WebauthnWrites
        + oidc::OidcWrites
        + zones::ZoneWrites
{
}

/// The read and write traits, to bring their methods into scope.
pub mod prelude {
    pub use crate::advisories::{AdvisoryReads as _, AdvisoryWrites as _};
    pub use crate::attachments::{AttachmentReads as _, AttachmentWrites as _};
    pub use crate::audit::{AuditReads as _, AuditWrites as _};
    pub use crate::collaborators::{CollaboratorReads as _, CollaboratorWrites as _};
    pub use crate::cra::{CraReads as _, CraWrites as _};
    pub use crate::credits::{CreditReads as _, CreditWrites as _};
    pub use crate::cve_services::{CveServicesReads as _, CveServicesWrites as _};
    pub use crate::embargoes::{EmbargoReads as _, EmbargoWrites as _};
    pub use crate::factors::{FactorReads as _, FactorWrites as _};
    pub use crate::forge::{ForgeReads as _, ForgeWrites as _};
    pub use crate::imported::{ImportedReads as _, ImportedWrites as _};
    pub use crate::jobs::{JobReads as _, JobWrites as _};
    pub use crate::lab::{LabReads as _, LabWrites as _};
    pub use crate::lab_shares::{LabShareReads as _, LabShareWrites as _};
    pub use crate::mail::{MailReads as _, MailWrites as _};
    pub use crate::oidc::{OidcReads as _, OidcWrites as _};
    pub use crate::organisations::{OrganisationReads as _, OrganisationWrites as _};
    pub use crate::policies::{PolicyReads as _, PolicyWrites as _};
    pub use crate::public_issues::{PublicIssueReads as _, PublicIssueWrites as _};
    pub use crate::reports::{ReportReads as _, ReportWrites as _};
    pub use crate::response_times::ResponseTimeReads as _;
    pub use crate::rotations::{RotationReads as _, RotationWrites as _};
    pub use crate::sessions::{SessionReads as _, SessionWrites as _};
    pub use crate::settings::{SettingReads as _, SettingWrites as _};
    pub use crate::shares::{ShareReads as _, ShareWrites as _};
    pub use crate::signups::{SignupReads as _, SignupWrites as _};
    pub use crate::throttle::{ThrottleReads as _, ThrottleWrites as _};
    pub use crate::users::{UserReads as _, UserWrites as _};
    pub use crate::webauthn::{WebauthnReads as _, WebauthnWrites as _};
    pub use crate::webhooks::{WebhookReads as _, WebhookWrites as _};
    pub use crate::zones::{ZoneReads as _, ZoneWrites as _};
    pub use crate::{Reader, Store, StoreExt, Writer};
}
