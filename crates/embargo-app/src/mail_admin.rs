//! The mail channel's settings and records: security addresses (routes),
//! the OpenPGP key store, and what mail brought to a report.

use embargo_core::id::ReportId;
use embargo_core::permission::{Action, Actor, ProjectAccess};
use embargo_core::private::Private;
use embargo_core::project::Project;
use embargo_core::text::Email;
use embargo_store::StoreExt;
use embargo_store::mail::{CATCH_ALL, Direction, KeyOwner, MailRecord, MailRoute, StoredKey};
use serde_json::json;

use crate::audit::record;
use crate::mail_intake::access;
use crate::organisations::find_project;
use crate::{App, AppError, require};

/// A security address as listed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouteView {
    /// The address, or `*` for the catch-all.
    pub address: String,
    /// `ORG/PROJECT`.
    pub project: String,
}

/// A key as listed (never its secret part).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyView {
    /// `ORG/PROJECT` or the address.
    pub owner: String,
    /// The primary key's fingerprint.
    pub fingerprint: String,
    /// Whether the secret part is held (project keys).
    pub has_secret: bool,
}

/// Whose key: a project's (by `ORG/PROJECT`) or a person's (by address).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyFor {
    /// `ORG` and `PROJECT`.
    Project(String, String),
    /// An address.
    Email(String),
}

/// A key to store: armored public key, fingerprint, and for projects the armored secret key.
#[derive(Debug, Clone)]
pub struct NewKey {
    /// The primary key's fingerprint, upper-case hex.
    pub fingerprint: String,
    /// The armored public key.
    pub public_key: String,
    /// The armored secret key (project keys only).
    pub secret_key: Option<Private<String>>,
}

/// Normalises a security address: lower-case, or `*`.
fn route_address(address: &str) -> Result<String, AppError> {
    let address = address.trim();
    if address == CATCH_ALL {
        return Ok(CATCH_ALL.to_owned());
    }
    let email: Email = address.parse()?;
    Ok(email.to_string())
}

impl App {
    async fn managed_project(&self, actor: &Actor, org: &str, project: &str) -> Result<Project, AppError> {
        let mut reader = self.store.reader().await?;
        let (_, project) = find_project(reader.as_mut(), org, project).await?;
        require(actor, Action::ManageProject(ProjectAccess { org: project.org_id, project: project.id }))?;
        Ok(project)
    }

    /// Files mail for `address` (or `*`, the catch-all) into a project.
    pub async fn set_mail_route(&self, actor: &Actor, address: &str, org: &str, project: &str) -> Result<(), AppError> {
        let address = route_address(address)?;
        let project = self.managed_project(actor, org, project).await?;
        let (now, actor) = (self.now(), actor.clone());
        let route = MailRoute { address, project_id: project.id };
        self.store
            .write(move |tx| {
                Box::pin(async move {
                    tx.set_mail_route(&route, now).await?;
                    let details = json!({"address": route.address, "project": route.project_id.to_string()});
                    record(tx, now, &actor, "mail.route_set", format!("project:{}", route.project_id), details).await
                })
            })
            .await
    }

    /// Stops filing mail for `address`.
    pub async fn remove_mail_route(&self, actor: &Actor, address: &str) -> Result<(), AppError> {
        require(actor, Action::ManageInstance)?;
        let address = route_address(address)?;
        let (now, actor) = (self.now(), actor.clone());
        self.store
            .write(move |tx| {
                Box::pin(async move {
                    if !tx.remove_mail_route(&address).await? {
                        return Err(AppError::NotFound);
                    }
                    record(tx, now, &actor, "mail.route_removed", "instance".into(), json!({"address": address})).await
                })
            })
            .await
    }

    /// Every security address and its project.
    pub async fn mail_routes(&self, actor: &Actor) -> Result<Vec<RouteView>, AppError> {
        require(actor, Action::ManageInstance)?;
        let mut reader = self.store.reader().await?;
        let mut views = Vec::new();
        for route in reader.mail_routes().await? {
            let project = reader.project(route.project_id).await?.ok_or(AppError::NotFound)?;
            let org = reader.organisation(project.org_id).await?.ok_or(AppError::NotFound)?;
            views.push(RouteView { address: route.address, project: format!("{}/{}", org.slug, project.slug) });
        }
        Ok(views)
    }

    /// Stores a key in the instance key store, replacing the owner's earlier one.
    pub async fn put_openpgp_key(&self, actor: &Actor, owner: &KeyFor, key: NewKey) -> Result<(), AppError> {
        let owner = match owner {
            KeyFor::Project(org, project) => KeyOwner::Project(self.managed_project(actor, org, project).await?.id),
            KeyFor::Email(address) => {
                require(actor, Action::ManageInstance)?;
                if key.secret_key.is_some() {
                    return Err(AppError::invalid("key", "a public key: only projects' secret keys are kept"));
                }
                KeyOwner::Email(address.parse()?)
            }
        };
        let (now, actor) = (self.now(), actor.clone());
        let stored = StoredKey {
            owner,
            fingerprint: key.fingerprint,
            public_key: key.public_key,
            secret_key: key.secret_key,
            created_at: now,
        };
        self.store
            .write(move |tx| {
                Box::pin(async move {
                    tx.put_openpgp_key(&stored).await?;
                    let details = json!({"fingerprint": stored.fingerprint, "secret": stored.secret_key.is_some()});
                    record(tx, now, &actor, "mail.key_stored", "instance".into(), details).await
                })
            })
            .await
    }

    /// Every key in the key store (fingerprints only).
    pub async fn openpgp_keys(&self, actor: &Actor) -> Result<Vec<KeyView>, AppError> {
        require(actor, Action::ManageInstance)?;
        let mut reader = self.store.reader().await?;
        let mut views = Vec::new();
        for key in reader.openpgp_keys().await? {
            let owner = match &key.owner {
                KeyOwner::Project(id) => {
                    let project = reader.project(*id).await?.ok_or(AppError::NotFound)?;
                    let org = reader.organisation(project.org_id).await?.ok_or(AppError::NotFound)?;
                    format!("{}/{}", org.slug, project.slug)
                }
                KeyOwner::Email(email) => email.to_string(),
            };
            views.push(KeyView { owner, fingerprint: key.fingerprint, has_secret: key.secret_key.is_some() });
        }
        Ok(views)
    }

    /// A project's public key (armored), to publish.
    pub async fn project_public_key(&self, org: &str, project: &str) -> Result<String, AppError> {
        let mut reader = self.store.reader().await?;
        let (_, project) = find_project(reader.as_mut(), org, project).await?;
        let key = reader.openpgp_key(&KeyOwner::Project(project.id)).await?.ok_or(AppError::NotFound)?;
        Ok(key.public_key)
    }

    /// The secret keys mail may be encrypted to: every project's. For the
    /// mail channel only (the system decrypting what arrives); no person is served by it.
    pub async fn decryption_keys(&self) -> Result<Vec<Private<String>>, AppError> {
        let keys = self.store.reader().await?.openpgp_keys().await?;
        Ok(keys.into_iter().filter_map(|k| k.secret_key).collect())
    }

    /// Every public key in the store (people's and projects'), to check signatures with.
    pub async fn verification_keys(&self) -> Result<Vec<String>, AppError> {
        let keys = self.store.reader().await?.openpgp_keys().await?;
        Ok(keys.into_iter().map(|k| k.public_key).collect())
    }

    /// What arrived by mail for a report: encryption and signature results, refused parts.
    pub async fn report_mail(&self, actor: &Actor, id: &str) -> Result<Vec<MailRecord>, AppError> {
        let id: ReportId = id.parse().map_err(|_| AppError::NotFound)?;
        let mut reader = self.store.reader().await?;
        let report = reader.report(id).await?.ok_or(AppError::NotFound)?;
        require(actor, Action::ViewReport(access(&report)))?;
        require(actor, Action::ViewInternal(access(&report)))?;
        let records = reader.mail_records(id).await?;
        Ok(records.into_iter().filter(|r| r.direction == Direction::In).collect())
    }
}
