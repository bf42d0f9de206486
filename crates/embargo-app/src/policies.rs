//! Policies: applying a level, the effective policy of a project, and what
//! is published from it (SECURITY.md, security.txt, the OpenPGP key).

use embargo_core::id::OrgId;
use embargo_core::organisation::Organisation;
use embargo_core::permission::{Action, Actor, ProjectAccess};
use embargo_core::policy::{Level, Policy, Source, resolve};
use embargo_core::project::{Project, ReleaseLine};
use embargo_core::text::{OrgOrProject, Slug};
use embargo_formats::policy_file::{self, PolicyFileError};
use embargo_formats::security_md::{self, Links, Names};
use embargo_formats::security_txt::SecurityTxt;
use embargo_store::mail::{KeyOwner, StoredKey};
use embargo_store::{Reader, StoreExt};
use serde_json::json;

use crate::audit::record;
use crate::organisations::{find_organisation, find_project};
use crate::{App, AppError, require};

/// Whose policy: an organisation's, or one of its projects'.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PolicyTarget {
    /// `ORG`
    Organisation(Slug),
    /// `ORG/PROJECT`
    Project(Slug, Slug),
}

impl From<OrgOrProject> for PolicyTarget {
    fn from(target: OrgOrProject) -> Self {
        match target {
            OrgOrProject::Organisation(org) => PolicyTarget::Organisation(org),
            OrgOrProject::Project(path) => PolicyTarget::Project(path.org, path.project),
        }
    }
}

impl PolicyTarget {
    /// Parses `ORG` or `ORG/PROJECT`.
    pub fn parse(text: &str) -> Result<PolicyTarget, AppError> {
        let target: OrgOrProject = text.parse()?;
        Ok(target.into())
    }

    fn level(&self) -> Level {
        match self {
            PolicyTarget::Organisation(_) => Level::Organisation,
            PolicyTarget::Project(..) => Level::Project,
        }
    }
}

/// The effective policy of an organisation or a project, with what it needs to be shown.
#[derive(Debug, Clone)]
pub struct EffectivePolicy {
    /// The organisation.
    pub org: Organisation,
    /// The project, for a project's policy.
    pub project: Option<Project>,
    /// The merged policy, each field with its source.
    pub policy: Policy,
    /// The project's release lines (none for an organisation).
    pub lines: Vec<ReleaseLine>,
}

impl EffectivePolicy {
    /// The level this policy is shown and applied at.
    pub fn level(&self) -> Level {
        if self.project.is_some() { Level::Project } else { Level::Organisation }
    }

    /// As canonical TOML that `apply` accepts back and shows again unchanged;
    /// with `sources`, each section starts with a comment saying where its
    /// fields come from.
    pub fn to_toml(&self, sources: bool) -> String {
        let lines = self.project.as_ref().map(|_| self.lines.as_slice());
        policy_file::render(&self.policy, self.level(), lines, sources)
    }

    /// As JSON of the same shape as the TOML, with each field's source.
    pub fn to_json(&self) -> serde_json::Value {
        let lines = self.project.as_ref().map(|_| self.lines.as_slice());
        let sources: serde_json::Map<String, serde_json::Value> = policy_file::sources(&self.policy)
            .into_iter()
            .map(|(field, source)| (field.to_owned(), json!(source.as_str())))
            .collect();
        json!({"policy": policy_file::to_json(&self.policy, self.level(), lines), "sources": sources})
    }
}

/// The team's view of one level's policy for editing.
#[derive(Debug, Clone)]
pub struct PolicyEditor {
    /// The effective policy, each field with its source.
    pub effective: EffectivePolicy,
    /// What this level itself says, as TOML (saving it unchanged changes nothing).
    pub own: String,
}

/// What a policy text would publish, before it is saved.
#[derive(Debug, Clone)]
pub struct PolicyPreview {
    /// The SECURITY.md it would render.
    pub security_md: String,
    /// The security.txt it would serve (organisations only; unsigned).
    pub security_txt: Option<String>,
}

/// The effective policy of a project (its overrides over its organisation's policy).
pub(crate) async fn project_policy(
    reader: &mut dyn Reader,
    org: &Organisation,
    project: &Project,
) -> Result<Policy, AppError> {
    let org_draft = reader.org_policy(org.id).await?;
    let project_draft = reader.project_policy(project.id).await?;
    Ok(resolve(&org_draft, Some(&project_draft)))
}

impl App {
    /// The effective policy of an organisation or a project (public).
    pub async fn effective_policy(&self, target: &PolicyTarget) -> Result<EffectivePolicy, AppError> {
        let mut reader = self.store.reader().await?;
        match target {
            PolicyTarget::Organisation(org) => {
                let org = find_organisation(reader.as_mut(), org).await?;
                let policy = resolve(&reader.org_policy(org.id).await?, None);
                Ok(EffectivePolicy { org, project: None, policy, lines: Vec::new() })
            }
            PolicyTarget::Project(org, project) => {
                let (org, project) = find_project(reader.as_mut(), org, project).await?;
                let policy = project_policy(reader.as_mut(), &org, &project).await?;
                let lines = reader.release_lines(project.id).await?;
                Ok(EffectivePolicy { org, project: Some(project), policy, lines })
            }
        }
    }

    /// Checks a policy file without storing it (`embargo policy check`).
    pub fn check_policy(text: &str, level: Level) -> Result<(), PolicyFileError> {
        policy_file::parse(text, level).map(drop)
    }

    /// Replaces the policy of an organisation or a project with a policy file.
    /// A project's file may list its release lines, which then replace the stored ones.
    pub async fn apply_policy(
        &self,
        actor: &Actor,
        target: &PolicyTarget,
        text: &str,
    ) -> Result<EffectivePolicy, AppError> {
        let file = policy_file::parse(text, target.level()).map_err(policy_error)?;
        let now = self.now();
        match target {
            PolicyTarget::Organisation(slug) => {
                let mut org = self.organisation(slug).await?;
                require(actor, Action::ManageOrganisation(org.id))?;
                if let Some(prefix) = &file.draft.advisories.prefix {
                    org.advisory_prefix = prefix.clone();
                }
                let actor = actor.clone();
                self.store
                    .write(move |tx| {
                        Box::pin(async move {
                            tx.set_org_policy(org.id, &file.draft, now).await?;
                            tx.update_organisation(&org).await?;
                            record(tx, now, &actor, "policy.applied", format!("organisation:{}", org.id), json!({}))
                                .await
                        })
                    })
                    .await?;
            }
            PolicyTarget::Project(org, project) => {
                let (org, project) = self.project(org, project).await?;
                require(actor, Action::ManageProject(ProjectAccess { org: org.id, project: project.id }))?;
                let actor = actor.clone();
                self.store
                    .write(move |tx| {
                        Box::pin(async move {
                            tx.set_project_policy(project.id, &file.draft, now).await?;
                            if let Some(lines) = &file.lines {
                                for old in tx.release_lines(project.id).await? {
                                    if !lines.iter().any(|l| l.name == old.name) {
                                        tx.delete_release_line(project.id, &old.name).await?;
                                    }
                                }
                                for line in lines {
                                    tx.upsert_release_line(&ReleaseLine {
                                        project_id: project.id,
                                        name: line.name.clone(),
                                        status: line.status,
                                        released_on: line.released_on,
                                        end_of_life_on: line.end_of_life_on,
                                    })
                                    .await?;
                                }
                            }
                            let details = json!({"release_lines": file.lines.as_ref().map(Vec::len)});
                            record(tx, now, &actor, "policy.applied", format!("project:{}", project.id), details).await
                        })
                    })
                    .await?;
            }
        }
        self.effective_policy(target).await
    }

    /// The project's SECURITY.md, rendered from its effective policy.
    pub async fn security_md(&self, org: &Slug, project: &Slug) -> Result<String, AppError> {
        let effective = self.effective_policy(&PolicyTarget::Project(org.to_owned(), project.to_owned())).await?;
        if effective.project.is_none() {
            return Err(AppError::NotFound);
        }
        let key = self.published_key(&effective).await?.is_some();
        Ok(self.policy_document(&effective, key))
    }

    /// The organisation's policy document, which its projects inherit; the
    /// report links lead to the page that asks which project.
    pub async fn org_security_md(&self, org: &Slug) -> Result<String, AppError> {
        let effective = self.effective_policy(&PolicyTarget::Organisation(org.to_owned())).await?;
        let key = self.published_key(&effective).await?.is_some();
        Ok(self.policy_document(&effective, key))
    }

    /// The policy as a document, with links to this instance; `key` says
    /// whether the organisation publishes an OpenPGP key.
    fn policy_document(&self, effective: &EffectivePolicy, key: bool) -> String {
        let base = &self.config.public_url;
        let o = effective.org.slug.as_str();
        let (path, api_project) = match &effective.project {
            Some(p) => (format!("{o}/{}", p.slug), p.slug.to_string()),
            None => (o.to_owned(), "PROJECT".to_owned()),
        };
        let links = Links {
            policy: format!("{base}/{path}/policy"),
            form: format!("{base}/{path}/report"),
            api: format!("{base}/api/v1/projects/{o}/{api_project}/reports"),
            advisories: format!("{base}/advisories"),
            openpgp_key: key.then(|| format!("{base}/api/v1/orgs/{o}/openpgp.asc")),
        };
        let names =
            Names { organisation: &effective.org.name, project: effective.project.as_ref().map(|p| p.name.as_str()) };
        security_md::render(names, &effective.policy, &effective.lines, &links)
    }

    /// The instance's `/.well-known/security.txt`: the channels of the
    /// organisation the instance names for it (or its only organisation).
    /// RFC 9116 section 2.5.3 lets web URIs only be `https://`, so on an
    /// instance served over plain HTTP the file holds no web URIs.
    /// When the instance holds that organisation's key pair, the file is
    /// clear-signed with it (RFC 9116 section 2.3; see `signing.rs`).
    pub async fn security_txt(&self) -> Result<String, AppError> {
        let orgs = self.organisations().await?;
        let org = match orgs.as_slice() {
            [only] => only.clone(),
            _ => {
                let chosen = self.settings().await?.security_txt_org;
                orgs.into_iter().find(|o| Some(o.slug.as_str()) == chosen.as_deref()).ok_or(AppError::NotFound)?
            }
        };
        let effective = self.effective_policy(&PolicyTarget::Organisation(org.slug.clone())).await?;
        let held = self.held_key(org.id).await?;
        let text = self.security_txt_of(&effective, held.is_some());
        Ok(self.clear_signed(held, text).await)
    }

    /// The security.txt text (unsigned) of an organisation's effective policy;
    /// `held` says whether the key store holds the organisation's key pair.
    fn security_txt_of(&self, effective: &EffectivePolicy, held: bool) -> String {
        let base = &self.config.public_url;
        let web = |path: String| base.starts_with("https://").then(|| format!("{base}{path}"));
        let o = effective.org.slug.as_str();
        let channels = &effective.policy.channels;
        let mut contacts = Vec::new();
        if let Some(email) = &channels.email.value {
            contacts.push(format!("mailto:{email}"));
        }
        if channels.web_form.value {
            contacts.extend(web(format!("/{o}/report")));
        }
        if contacts.is_empty() {
            contacts.extend(web(format!("/{o}/policy")));
        }
        let key = channels.openpgp_key.value.is_some() || held;
        // Expires is counted from the start of today (UTC), so the file is
        // the same all day long and its signature can be kept until midnight.
        let today = self.now().to_offset(time::UtcOffset::UTC).replace_time(time::Time::MIDNIGHT);
        SecurityTxt {
            contacts,
            expires: today + time::Duration::days(180),
            encryption: key.then(|| web(format!("/api/v1/orgs/{o}/openpgp.asc"))).flatten(),
            acknowledgments: web("/advisories".into()),
            preferred_languages: channels.languages.value.clone(),
            canonical: web("/.well-known/security.txt".into()).into_iter().collect(),
            policy: web(format!("/{o}/policy")),
            csaf: web("/.well-known/csaf/provider-metadata.json".into()),
        }
        .render()
    }

    /// Whom a policy edit is for: the team may edit its own level, as `decide` says.
    fn require_policy_editor(actor: &Actor, effective: &EffectivePolicy) -> Result<(), AppError> {
        match &effective.project {
            Some(project) => {
                require(actor, Action::ManageProject(ProjectAccess { org: effective.org.id, project: project.id }))
            }
            None => require(actor, Action::ManageOrganisation(effective.org.id)),
        }
    }

    /// The policy editor of an organisation or a project: what this level
    /// itself says, as TOML, and the effective policy with provenance.
    pub async fn policy_editor(&self, actor: &Actor, target: &PolicyTarget) -> Result<PolicyEditor, AppError> {
        let effective = self.effective_policy(target).await?;
        App::require_policy_editor(actor, &effective)?;
        let own = match &effective.project {
            Some(_) => {
                policy_file::render_own(&effective.policy, Level::Project, Source::Project, Some(&effective.lines))
            }
            None => policy_file::render_own(&effective.policy, Level::Organisation, Source::Organisation, None),
        };
        Ok(PolicyEditor { effective, own })
    }

    /// What SECURITY.md and security.txt would say with `text` as this
    /// level's policy, without storing anything; a broken file is refused
    /// with the same errors as `policy check`.
    pub async fn preview_policy(
        &self,
        actor: &Actor,
        target: &PolicyTarget,
        text: &str,
    ) -> Result<PolicyPreview, AppError> {
        let mut effective = self.effective_policy(target).await?;
        App::require_policy_editor(actor, &effective)?;
        let file = policy_file::parse(text, target.level()).map_err(policy_error)?;
        let mut reader = self.store.reader().await?;
        effective.policy = match &effective.project {
            Some(_) => resolve(&reader.org_policy(effective.org.id).await?, Some(&file.draft)),
            None => resolve(&file.draft, None),
        };
        if let (Some(project), Some(lines)) = (&effective.project, &file.lines) {
            effective.lines = lines
                .iter()
                .map(|l| ReleaseLine {
                    project_id: project.id,
                    name: l.name.clone(),
                    status: l.status,
                    released_on: l.released_on,
                    end_of_life_on: l.end_of_life_on,
                })
                .collect();
        }
        let held = self.held_key(effective.org.id).await?.is_some();
        let key = held || effective.policy.channels.openpgp_key.value.is_some();
        Ok(PolicyPreview {
            security_md: self.policy_document(&effective, key),
            security_txt: effective.project.is_none().then(|| self.security_txt_of(&effective, held)),
        })
    }

    /// The organisation's armoured OpenPGP key: the one its policy names,
    /// else the public part of its key pair in the key store (the key its
    /// security.txt is signed with).
    pub async fn openpgp_key(&self, org: &Slug) -> Result<String, AppError> {
        let effective = self.effective_policy(&PolicyTarget::Organisation(org.to_owned())).await?;
        self.published_key(&effective).await?.ok_or(AppError::NotFound)
    }

    /// What [`App::openpgp_key`] answers for the organisation of `effective`.
    async fn published_key(&self, effective: &EffectivePolicy) -> Result<Option<String>, AppError> {
        if let Some(key) = &effective.policy.channels.openpgp_key.value {
            return Ok(Some(key.clone()));
        }
        Ok(self.held_key(effective.org.id).await?.map(|k| k.public_key))
    }

    /// The organisation's key pair, if the key store holds one.
    async fn held_key(&self, org: OrgId) -> Result<Option<StoredKey>, AppError> {
        Ok(self.store.reader().await?.openpgp_key(&KeyOwner::Organisation(org)).await?)
    }
}

fn policy_error(error: PolicyFileError) -> AppError {
    use embargo_core::text::{FieldErrors, TextError};
    match error {
        PolicyFileError::Syntax { line, column, message } => AppError::Invalid(FieldErrors(vec![TextError::Refused {
            field: "policy",
            reason: format!("line {line}, column {column}: {message}"),
        }])),
        PolicyFileError::Invalid(errors) => AppError::Invalid(FieldErrors(
            errors.into_iter().map(|e| TextError::Refused { field: "policy", reason: e.to_string() }).collect(),
        )),
    }
}
