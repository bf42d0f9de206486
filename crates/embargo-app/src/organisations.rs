//! Organisations, projects, team members and release lines.

use embargo_core::id::{AdvisoryPrefix, UserId};
use embargo_core::organisation::Organisation;
use embargo_core::permission::{Action, Actor, ProjectAccess};
use embargo_core::project::{LineName, LineStatus, Package, Project, ReleaseLine};
use embargo_core::text::{Email, FieldErrors, MAX_SHORT_CHARS, OrgOrProject, Slug, TextError, one_line};
use embargo_core::user::{Membership, TeamScope};
use embargo_store::organisations::Member;
use embargo_store::{Reader, StoreExt};
use serde_json::json;

use crate::audit::record;
use crate::entropy::NewIds;
use crate::{App, AppError, require};

/// A new organisation.
#[derive(Debug, Clone)]
pub struct NewOrganisation {
    /// Its URL name.
    pub slug: String,
    /// Its display name.
    pub name: String,
    /// The advisory id prefix; derived from the slug when absent.
    pub advisory_prefix: Option<String>,
}

/// Changes to an organisation; absent fields stay.
#[derive(Debug, Clone, Default)]
pub struct OrganisationPatch {
    /// A new display name.
    pub name: Option<String>,
    /// A new advisory id prefix (ids already given keep theirs).
    pub advisory_prefix: Option<String>,
}

/// A new project.
#[derive(Debug, Clone)]
pub struct NewProject {
    /// Its URL name within the organisation.
    pub slug: String,
    /// Its display name.
    pub name: String,
    /// Where its source lives.
    pub repository_url: Option<String>,
    /// The packages it ships: (ecosystem, name).
    pub packages: Vec<(String, String)>,
}

/// Changes to a project; absent fields stay.
#[derive(Debug, Clone, Default)]
pub struct ProjectPatch {
    /// A new display name.
    pub name: Option<String>,
    /// A new repository URL; `Some(None)` removes it.
    pub repository_url: Option<Option<String>>,
    /// The new list of packages.
    pub packages: Option<Vec<(String, String)>>,
}

/// A release line's status and dates.
#[derive(Debug, Clone)]
pub struct ReleaseLineInput {
    /// `feature`, `prerelease`, `bugfix`, `security` or `end-of-life`.
    pub status: String,
    /// When its first release came out.
    /// (Left out when saving an existing line: the stored date stays.)
    pub released_on: Option<time::Date>,
    /// When support ends.
    pub end_of_life_on: Option<time::Date>,
}

/// Which security team: an organisation's or a project's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TeamRef {
    /// `ORG`
    Organisation(Slug),
    /// `ORG/PROJECT`
    Project(Slug, Slug),
}

impl From<OrgOrProject> for TeamRef {
    fn from(target: OrgOrProject) -> Self {
        match target {
            OrgOrProject::Organisation(org) => TeamRef::Organisation(org),
            OrgOrProject::Project(path) => TeamRef::Project(path.org, path.project),
        }
    }
}

fn packages(list: &[(String, String)]) -> Result<Vec<Package>, AppError> {
    let packages = list.iter().map(|(ecosystem, name)| Package::new(ecosystem, name)).collect::<Result<Vec<_>, _>>()?;
    if packages.len() > 50 {
        return Err(AppError::invalid("packages", "at most 50 packages"));
    }
    Ok(packages)
}

fn repository_url(url: Option<&str>) -> Result<Option<String>, AppError> {
    url.map(str::trim)
        .filter(|u| !u.is_empty())
        .map(|u| embargo_core::advisory::check_url("repository_url", u).map_err(AppError::from))
        .transpose()
}

fn advisory_prefix(value: &str) -> Result<AdvisoryPrefix, AppError> {
    value.parse().map_err(|_| {
        AppError::invalid("advisory_prefix", "2 to 16 upper-case letters or digits, starting with a letter")
    })
}

/// Looks up an organisation by slug.
pub(crate) async fn find_organisation(reader: &mut dyn Reader, slug: &Slug) -> Result<Organisation, AppError> {
    reader.organisation_by_slug(slug).await?.ok_or(AppError::NotFound)
}

/// Looks up a project by its organisation's slug and its own.
pub(crate) async fn find_project(
    reader: &mut dyn Reader,
    org: &Slug,
    project: &Slug,
) -> Result<(Organisation, Project), AppError> {
    let org = find_organisation(reader, org).await?;
    let project = reader.project_by_slug(org.id, project).await?.ok_or(AppError::NotFound)?;
    Ok((org, project))
}

impl App {
    /// Every organisation (public).
    pub async fn organisations(&self) -> Result<Vec<Organisation>, AppError> {
        Ok(self.store.reader().await?.organisations().await?)
    }

    /// One organisation (public).
    pub async fn organisation(&self, slug: &Slug) -> Result<Organisation, AppError> {
        find_organisation(self.store.reader().await?.as_mut(), slug).await
    }

    /// Creates an organisation (administrators).
    pub async fn create_organisation(&self, actor: &Actor, new: NewOrganisation) -> Result<Organisation, AppError> {
        require(actor, Action::CreateOrganisation)?;
        let mut errors = FieldErrors(Vec::new());
        let slug = errors.take(Slug::organisation(&new.slug));
        let name = errors.take(one_line("name", &new.name, MAX_SHORT_CHARS));
        let prefix = match (&new.advisory_prefix, &slug) {
            (Some(prefix), _) => Some(advisory_prefix(prefix)?),
            (None, Some(slug)) => AdvisoryPrefix::from_slug(slug),
            (None, None) => None,
        };
        let (slug, name) = errors.finish(|| Some((slug?, name?)))?;
        let prefix =
            prefix.ok_or_else(|| AppError::invalid("advisory_prefix", "needed when the slug has no letters"))?;
        let org =
            Organisation { id: self.entropy.org_id()?, slug, name, advisory_prefix: prefix, created_at: self.now() };
        let (stored, actor) = (org.clone(), actor.clone());
        self.store
            .write(move |tx| {
                Box::pin(async move {
                    if tx.organisation_by_slug(&stored.slug).await?.is_some() {
                        return Err(AppError::Conflict { what: "an organisation with this slug" });
                    }
                    tx.insert_organisation(&stored).await?;
                    let details = json!({"slug": stored.slug.as_str()});
                    record(
                        tx,
                        stored.created_at,
                        &actor,
                        "organisation.created",
                        format!("organisation:{}", stored.id),
                        details,
                    )
                    .await
                })
            })
            .await?;
        Ok(org)
    }

    /// Renames an organisation or changes its advisory prefix.
    pub async fn update_organisation(
        &self,
        actor: &Actor,
        slug: &Slug,
        patch: OrganisationPatch,
    ) -> Result<Organisation, AppError> {
        let mut org = self.organisation(slug).await?;
        require(actor, Action::ManageOrganisation(org.id))?;
        if let Some(name) = &patch.name {
            org.name = one_line("name", name, MAX_SHORT_CHARS)?;
        }
        if let Some(prefix) = &patch.advisory_prefix {
            org.advisory_prefix = advisory_prefix(prefix)?;
        }
        let (stored, now, actor) = (org.clone(), self.now(), actor.clone());
        self.store
            .write(move |tx| {
                Box::pin(async move {
                    tx.update_organisation(&stored).await?;
                    let details =
                        json!({"name": patch.name.is_some(), "advisory_prefix": patch.advisory_prefix.is_some()});
                    record(tx, now, &actor, "organisation.updated", format!("organisation:{}", stored.id), details)
                        .await
                })
            })
            .await?;
        Ok(org)
    }

    /// Projects of one organisation, or of all (public).
    pub async fn projects(&self, org: Option<&Slug>) -> Result<Vec<Project>, AppError> {
        let mut reader = self.store.reader().await?;
        let org_id = match org {
            Some(slug) => Some(find_organisation(reader.as_mut(), slug).await?.id),
            None => None,
        };
        Ok(reader.projects(org_id).await?)
    }

    /// One project and its organisation (public).
    pub async fn project(&self, org: &Slug, project: &Slug) -> Result<(Organisation, Project), AppError> {
        find_project(self.store.reader().await?.as_mut(), org, project).await
    }

    /// Creates a project in an organisation.
    pub async fn create_project(&self, actor: &Actor, org: &Slug, new: NewProject) -> Result<Project, AppError> {
        let org = self.organisation(org).await?;
        require(actor, Action::ManageOrganisation(org.id))?;
        let mut errors = FieldErrors(Vec::new());
        let slug = errors.take(Slug::project(&new.slug));
        let name = errors.take(one_line("name", &new.name, MAX_SHORT_CHARS));
        let (slug, name) = errors.finish(|| Some((slug?, name?)))?;
        let project = Project {
            id: self.entropy.project_id()?,
            org_id: org.id,
            slug,
            name,
            repository_url: repository_url(new.repository_url.as_deref())?,
            packages: packages(&new.packages)?,
            created_at: self.now(),
        };
        let (stored, actor) = (project.clone(), actor.clone());
        self.store
            .write(move |tx| {
                Box::pin(async move {
                    if tx.project_by_slug(stored.org_id, &stored.slug).await?.is_some() {
                        return Err(AppError::Conflict { what: "a project with this slug in the organisation" });
                    }
                    tx.insert_project(&stored).await?;
                    let details = json!({"slug": stored.slug.as_str()});
                    record(tx, stored.created_at, &actor, "project.created", format!("project:{}", stored.id), details)
                        .await
                })
            })
            .await?;
        Ok(project)
    }

    /// Changes a project's name, repository or packages.
    pub async fn update_project(
        &self,
        actor: &Actor,
        org: &Slug,
        slug: &Slug,
        patch: ProjectPatch,
    ) -> Result<Project, AppError> {
        let (org, mut project) = self.project(org, slug).await?;
        require(actor, Action::ManageProject(ProjectAccess { org: org.id, project: project.id }))?;
        if let Some(name) = &patch.name {
            project.name = one_line("name", name, MAX_SHORT_CHARS)?;
        }
        if let Some(url) = &patch.repository_url {
            project.repository_url = repository_url(url.as_deref())?;
        }
        if let Some(list) = &patch.packages {
            project.packages = packages(list)?;
        }
        let (stored, now, actor) = (project.clone(), self.now(), actor.clone());
        self.store
            .write(move |tx| {
                Box::pin(async move {
                    tx.update_project(&stored).await?;
                    record(tx, now, &actor, "project.updated", format!("project:{}", stored.id), json!({})).await
                })
            })
            .await?;
        Ok(project)
    }

    async fn team_scope(&self, actor: &Actor, team: &TeamRef, manage: bool) -> Result<TeamScope, AppError> {
        match team {
            TeamRef::Organisation(slug) => {
                let org = self.organisation(slug).await?;
                require(actor, Action::ManageOrganisation(org.id)).map_err(|e| match (manage, e) {
                    (false, AppError::Forbidden) => AppError::NotFound,
                    (_, e) => e,
                })?;
                Ok(TeamScope::Organisation(org.id))
            }
            TeamRef::Project(org, project) => {
                let (org, project) = self.project(org, project).await?;
                let access = ProjectAccess { org: org.id, project: project.id };
                require(actor, if manage { Action::ManageProject(access) } else { Action::ViewProjectTeam(access) })?;
                Ok(TeamScope::Project(project.id))
            }
        }
    }

    /// The members of a security team (that team, its organisation's team, administrators).
    pub async fn members(&self, actor: &Actor, team: &TeamRef) -> Result<Vec<Member>, AppError> {
        let scope = self.team_scope(actor, team, false).await?;
        Ok(self.store.reader().await?.members(scope).await?)
    }

    /// Adds a user, by address, to a security team.
    pub async fn add_member(&self, actor: &Actor, team: &TeamRef, email: &str) -> Result<Member, AppError> {
        let scope = self.team_scope(actor, team, true).await?;
        let email: Email = email.parse()?;
        let user = self.store.reader().await?.user_by_email(&email).await?.ok_or_else(|| {
            AppError::Invalid(FieldErrors(vec![TextError::Malformed {
                field: "email",
                expected: "the address of an existing account",
            }]))
        })?;
        let membership = Membership { user_id: user.id, scope, created_at: self.now() };
        let (stored, actor) = (membership.clone(), actor.clone());
        self.store
            .write(move |tx| {
                Box::pin(async move {
                    if tx.add_member(&stored).await? {
                        let details = json!({"team": team_subject(stored.scope)});
                        record(
                            tx,
                            stored.created_at,
                            &actor,
                            "member.added",
                            format!("user:{}", stored.user_id),
                            details,
                        )
                        .await?;
                    }
                    Ok::<_, AppError>(())
                })
            })
            .await?;
        Ok(Member { user, since: membership.created_at })
    }

    /// Removes a user from a security team.
    pub async fn remove_member(&self, actor: &Actor, team: &TeamRef, user: UserId) -> Result<(), AppError> {
        let scope = self.team_scope(actor, team, true).await?;
        let (now, actor) = (self.now(), actor.clone());
        self.store
            .write(move |tx| {
                Box::pin(async move {
                    if !tx.remove_member(user, scope).await? {
                        return Err(AppError::NotFound);
                    }
                    let details = json!({"team": team_subject(scope)});
                    record(tx, now, &actor, "member.removed", format!("user:{user}"), details).await
                })
            })
            .await
    }

    /// A project's release lines (public: they say which versions are supported).
    pub async fn release_lines(&self, org: &Slug, project: &Slug) -> Result<Vec<ReleaseLine>, AppError> {
        let mut reader = self.store.reader().await?;
        let (_, project) = find_project(reader.as_mut(), org, project).await?;
        Ok(reader.release_lines(project.id).await?)
    }

    /// Adds or changes a release line.
    pub async fn put_release_line(
        &self,
        actor: &Actor,
        org: &Slug,
        project: &Slug,
        name: &str,
        input: ReleaseLineInput,
    ) -> Result<ReleaseLine, AppError> {
        let (org, project) = self.project(org, project).await?;
        require(actor, Action::ManageProject(ProjectAccess { org: org.id, project: project.id }))?;
        let mut errors = FieldErrors(Vec::new());
        let name = errors.take(name.parse::<LineName>());
        let status = errors.take(input.status.parse::<LineStatus>().map_err(|_| TextError::Malformed {
            field: "status",
            expected: "one of feature, prerelease, bugfix, security, end-of-life",
        }));
        if let (Some(released), Some(eol)) = (input.released_on, input.end_of_life_on)
            && eol < released
        {
            errors.0.push(TextError::Malformed { field: "end_of_life_on", expected: "a date after released_on" });
        }
        let (name, status) = errors.finish(|| Some((name?, status?)))?;
        let line = ReleaseLine {
            project_id: project.id,
            name,
            status,
            released_on: input.released_on,
            end_of_life_on: input.end_of_life_on,
        };
        let (mut stored, now, actor) = (line, self.now(), actor.clone());
        self.store
            .write(move |tx| {
                Box::pin(async move {
                    // Saving a line again changes what was given: a date left out keeps the stored one.
                    if let Some(before) =
                        tx.release_lines(stored.project_id).await?.into_iter().find(|l| l.name == stored.name)
                    {
                        stored.released_on = stored.released_on.or(before.released_on);
                        stored.end_of_life_on = stored.end_of_life_on.or(before.end_of_life_on);
                    }
                    if let (Some(released), Some(eol)) = (stored.released_on, stored.end_of_life_on)
                        && eol < released
                    {
                        return Err(AppError::invalid("end_of_life_on", "a date after released_on"));
                    }
                    tx.upsert_release_line(&stored).await?;
                    let details = json!({"name": stored.name.as_str(), "status": stored.status.as_str()});
                    record(tx, now, &actor, "release_line.saved", format!("project:{}", stored.project_id), details)
                        .await?;
                    Ok(stored)
                })
            })
            .await
    }

    /// Removes a release line.
    pub async fn delete_release_line(
        &self,
        actor: &Actor,
        org: &Slug,
        project: &Slug,
        name: &str,
    ) -> Result<(), AppError> {
        let (org, project) = self.project(org, project).await?;
        require(actor, Action::ManageProject(ProjectAccess { org: org.id, project: project.id }))?;
        let name: LineName = name.parse().map_err(|_| AppError::NotFound)?;
        let (now, actor, project_id) = (self.now(), actor.clone(), project.id);
        self.store
            .write(move |tx| {
                Box::pin(async move {
                    if !tx.delete_release_line(project_id, &name).await? {
                        return Err(AppError::NotFound);
                    }
                    let details = json!({"name": name.as_str()});
                    record(tx, now, &actor, "release_line.deleted", format!("project:{project_id}"), details).await
                })
            })
            .await
    }
}

pub(crate) fn team_subject(scope: TeamScope) -> String {
    match scope {
        TeamScope::Organisation(org) => format!("organisation:{org}"),
        TeamScope::Project(project) => format!("project:{project}"),
    }
}
