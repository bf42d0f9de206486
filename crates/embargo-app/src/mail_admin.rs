//! The mail channel's settings and records: security addresses (routes),
//! the OpenPGP key store (organisations' and projects' key pairs, people's
//! public keys), and what mail brought to a report.

use embargo_core::id::{OrgId, ReportId};
use embargo_core::permission::{Action, Actor, ProjectAccess};
use embargo_core::private::Private;
use embargo_core::project::Project;
use embargo_core::text::{Email, FieldErrors, TextError};
use embargo_core::text::{ProjectPath, Slug};
use embargo_store::StoreExt;
use embargo_store::mail::{CATCH_ALL, Direction, KeyOwner, MailRecord, MailRoute, StoredKey};
use serde_json::json;

use crate::audit::record;
use crate::organisations::{find_organisation, find_project};
use crate::reports::access;
use crate::signing::sign_blocking;
use crate::{App, AppError, require};

/// A security address as listed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouteView {
    /// The address, or `*` for the catch-all.
    pub address: String,
    /// The project mail to it is filed into.
    pub project: ProjectPath,
}

/// A key as listed (never its secret part).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyView {
    /// `ORG`, `ORG/PROJECT` or the address.
    pub owner: String,
    /// The primary key's fingerprint.
    pub fingerprint: String,
    /// Whether the secret part is held (organisations' and projects' keys).
    pub has_secret: bool,
}

/// Whose key: an organisation's (by `ORG`), a project's (by `ORG/PROJECT`)
/// or a person's (by address).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyFor {
    /// `ORG`: the key pair that signs the organisation's security.txt.
    Organisation(Slug),
    /// `ORG` and `PROJECT`: the key pair mail to the project is encrypted to.
    Project(Slug, Slug),
    /// An address: the public key notifications to it are encrypted to.
    Email(String),
}

/// A key to store: armored public key, fingerprint, and for organisations and
/// projects the armored secret key.
#[derive(Debug, Clone)]
pub struct NewKey {
    /// The primary key's fingerprint, upper-case hex.
    pub fingerprint: String,
    /// The armored public key.
    pub public_key: String,
    /// The armored secret key (organisations' and projects' keys only).
    pub secret_key: Option<Private<String>>,
}

/// The keys an arriving mail is read with ([`App::mail_keys`]).
#[derive(Debug, Clone, Default)]
pub struct MailKeys {
    /// The armored secret keys mail may be encrypted to.
    pub decryption: Vec<Private<String>>,
    /// The armored public keys signatures are checked with.
    pub verification: Vec<String>,
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
    async fn managed_project(&self, actor: &Actor, org: &Slug, project: &Slug) -> Result<Project, AppError> {
        let mut reader = self.store.reader().await?;
        let (_, project) = find_project(reader.as_mut(), org, project).await?;
        require(actor, Action::ManageProject(ProjectAccess { org: project.org_id, project: project.id }))?;
        Ok(project)
    }

    /// Files mail for `address` (or `*`, the catch-all) into a project.
    pub async fn set_mail_route(
        &self,
        actor: &Actor,
        address: &str,
        org: &Slug,
        project: &Slug,
    ) -> Result<(), AppError> {
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
            views.push(RouteView {
                address: route.address,
                project: ProjectPath { org: org.slug, project: project.slug },
            });
        }
        Ok(views)
    }

    /// Whose key `owner` names, if `actor` may manage it.
    async fn key_owner(&self, actor: &Actor, owner: &KeyFor) -> Result<KeyOwner, AppError> {
        Ok(match owner {
            KeyFor::Organisation(slug) => {
                let org = find_organisation(self.store.reader().await?.as_mut(), slug).await?;
                require(actor, Action::ManageOrganisation(org.id))?;
                KeyOwner::Organisation(org.id)
            }
            KeyFor::Project(org, project) => KeyOwner::Project(self.managed_project(actor, org, project).await?.id),
            KeyFor::Email(address) => {
                require(actor, Action::ManageInstance)?;
                KeyOwner::Email(address.parse()?)
            }
        })
    }

    /// Stores a key in the instance key store, replacing the owner's earlier one.
    /// An organisation's key must be a secret key that signs (when a signer is
    /// wired, a test signature proves it), as it signs the organisation's security.txt.
    pub async fn put_openpgp_key(&self, actor: &Actor, owner: &KeyFor, key: NewKey) -> Result<(), AppError> {
        let owner = self.key_owner(actor, owner).await?;
        let now = self.now();
        match (&owner, &key.secret_key) {
            (KeyOwner::Email(_), Some(_)) => {
                return Err(AppError::invalid(
                    "key",
                    "a public key: only organisations' and projects' secret keys are kept",
                ));
            }
            (KeyOwner::Organisation(_), None) => {
                return Err(AppError::invalid("key", "a secret key: an organisation's key signs its security.txt"));
            }
            (KeyOwner::Organisation(_), Some(secret)) => {
                if let Some(signer) = self.signer.clone() {
                    sign_blocking(signer, secret.clone(), "probe".into(), now).await.map_err(|e| {
                        AppError::Invalid(FieldErrors(vec![TextError::Refused { field: "key", reason: e.to_string() }]))
                    })?;
                }
            }
            (KeyOwner::Project(_) | KeyOwner::Email(_), _) => {}
        }
        let actor = actor.clone();
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

    /// Removes the owner's key from the key store: an organisation's
    /// security.txt is served unsigned from then on; mail encrypted to a
    /// removed key can no longer be read.
    pub async fn remove_openpgp_key(&self, actor: &Actor, owner: &KeyFor) -> Result<(), AppError> {
        let owner = self.key_owner(actor, owner).await?;
        let (now, actor) = (self.now(), actor.clone());
        self.store
            .write(move |tx| {
                Box::pin(async move {
                    let Some(key) = tx.openpgp_key(&owner).await? else {
                        return Err(AppError::NotFound);
                    };
                    tx.remove_openpgp_key(&owner).await?;
                    let details = json!({"fingerprint": key.fingerprint});
                    record(tx, now, &actor, "mail.key_removed", "instance".into(), details).await
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
                KeyOwner::Organisation(id) => {
                    reader.organisation(*id).await?.ok_or(AppError::NotFound)?.slug.to_string()
                }
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

    /// An organisation's or a project's public key (armored), to publish, or
    /// a person's (administrators).
    pub async fn public_key(&self, actor: &Actor, owner: &KeyFor) -> Result<String, AppError> {
        let mut reader = self.store.reader().await?;
        let owner = match owner {
            KeyFor::Organisation(slug) => KeyOwner::Organisation(find_organisation(reader.as_mut(), slug).await?.id),
            KeyFor::Project(org, project) => KeyOwner::Project(find_project(reader.as_mut(), org, project).await?.1.id),
            KeyFor::Email(address) => {
                require(actor, Action::ManageInstance)?;
                KeyOwner::Email(address.parse()?)
            }
        };
        let key = reader.openpgp_key(&owner).await?.ok_or(AppError::NotFound)?;
        Ok(key.public_key)
    }

    /// The keys an arriving mail is read with, from one read of the key
    /// store: the secret keys mail may be encrypted to (every organisation's
    /// and project's) and every public key (people's and projects'), to
    /// check signatures with. For the mail channel only (the system
    /// decrypting what arrives); no person is served by it.
    pub async fn mail_keys(&self) -> Result<MailKeys, AppError> {
        let keys = self.store.reader().await?.openpgp_keys().await?;
        let mut found = MailKeys::default();
        for key in keys {
            found.verification.push(key.public_key);
            if let Some(secret) = key.secret_key {
                found.decryption.push(secret);
            }
        }
        Ok(found)
    }

    /// The organisation's secret key, which signs the mail sent in its name
    /// (RFC 3156), when the key store holds its key pair. For the mail
    /// channel only; no person is served by it.
    pub async fn mail_signing_key(&self, org: OrgId) -> Result<Option<Private<String>>, AppError> {
        let key = self.store.reader().await?.openpgp_key(&KeyOwner::Organisation(org)).await?;
        Ok(key.and_then(|k| k.secret_key))
    }

    /// What arrived by mail for a report: encryption and signature results, refused parts.
    pub async fn report_mail(&self, actor: &Actor, id: ReportId) -> Result<Vec<MailRecord>, AppError> {
        let mut reader = self.store.reader().await?;
        let report = reader.report(id).await?.ok_or(AppError::NotFound)?;
        require(actor, Action::ViewReport(access(&report)))?;
        require(actor, Action::ViewInternal(access(&report)))?;
        let records = reader.mail_records(id).await?;
        Ok(records.into_iter().filter(|r| r.direction == Direction::In).collect())
    }
}
