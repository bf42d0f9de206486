//! Organisations, projects, their packages, members and release lines.

use std::collections::HashMap;
use std::ops::DerefMut;

use embargo_core::Timestamp;
use embargo_core::id::{OrgId, ProjectId, UserId};
use embargo_core::organisation::Organisation;
use embargo_core::project::{LineName, Package, Project, ReleaseLine};
use embargo_core::text::Slug;
use embargo_core::user::{Membership, TeamScope, User};

use crate::StoreError;
use crate::handle::Handle;
use crate::sql::{Conn, RowRead, query};

/// A security-team member with their account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    /// The member.
    pub user: User,
    /// Since when.
    pub since: Timestamp,
}

/// Reading organisations and projects.
#[async_trait::async_trait]
pub trait OrganisationReads {
    /// Every organisation, by slug.
    async fn organisations(&mut self) -> Result<Vec<Organisation>, StoreError>;
    /// An organisation by id.
    async fn organisation(&mut self, id: OrgId) -> Result<Option<Organisation>, StoreError>;
    /// An organisation by slug.
    async fn organisation_by_slug(&mut self, slug: &Slug) -> Result<Option<Organisation>, StoreError>;
    /// Projects of one organisation, or of all, by slug.
    async fn projects(&mut self, org: Option<OrgId>) -> Result<Vec<Project>, StoreError>;
    /// A project by id.
    async fn project(&mut self, id: ProjectId) -> Result<Option<Project>, StoreError>;
    /// A project by its organisation and slug.
    async fn project_by_slug(&mut self, org: OrgId, slug: &Slug) -> Result<Option<Project>, StoreError>;
    /// The members of an organisation's or a project's security team.
    async fn members(&mut self, scope: TeamScope) -> Result<Vec<Member>, StoreError>;
    /// A project's release lines, newest first.
    async fn release_lines(&mut self, project: ProjectId) -> Result<Vec<ReleaseLine>, StoreError>;
    /// The project settings sequence (migration 1710): a counter that moves in
    /// the same transaction as every change of an organisation, a project, its
    /// packages, a policy or a release line. One row, read by intake's cache
    /// of what it reads per project, on every replica.
    async fn project_settings_sequence(&mut self) -> Result<i64, StoreError>;
}

/// Changing organisations and projects.
#[async_trait::async_trait]
pub trait OrganisationWrites {
    /// Adds an organisation; `Conflict` if the slug is taken.
    async fn insert_organisation(&mut self, org: &Organisation) -> Result<(), StoreError>;
    /// Saves an organisation's name and advisory prefix.
    async fn update_organisation(&mut self, org: &Organisation) -> Result<(), StoreError>;
    /// Adds a project; `Conflict` if the slug is taken in its organisation.
    async fn insert_project(&mut self, project: &Project) -> Result<(), StoreError>;
    /// Saves a project's name, repository and packages.
    async fn update_project(&mut self, project: &Project) -> Result<(), StoreError>;
    /// Adds a member; `false` if they already were one.
    async fn add_member(&mut self, membership: &Membership) -> Result<bool, StoreError>;
    /// Removes a member; `false` if they were not one.
    async fn remove_member(&mut self, user: UserId, scope: TeamScope) -> Result<bool, StoreError>;
    /// Adds or replaces a release line.
    async fn upsert_release_line(&mut self, line: &ReleaseLine) -> Result<(), StoreError>;
    /// Removes a release line; `false` if there was none.
    async fn delete_release_line(&mut self, project: ProjectId, name: &LineName) -> Result<bool, StoreError>;
}

fn organisation_from(row: &impl RowRead) -> Result<Organisation, StoreError> {
    Ok(Organisation {
        id: OrgId::from_uuid(row.uuid("id")?),
        slug: row.parsed("slug")?,
        name: row.text("name")?,
        advisory_prefix: row.parsed("advisory_prefix")?,
        created_at: row.time("created_at")?,
    })
}

fn project_from(row: &impl RowRead) -> Result<Project, StoreError> {
    Ok(Project {
        id: ProjectId::from_uuid(row.uuid("id")?),
        org_id: OrgId::from_uuid(row.uuid("org_id")?),
        slug: row.parsed("slug")?,
        name: row.text("name")?,
        repository_url: row.opt_text("repository_url")?,
        packages: Vec::new(),
        created_at: row.time("created_at")?,
    })
}

const PROJECT_COLUMNS: &str = "id, org_id, slug, name, repository_url, created_at";

impl<H> Handle<H>
where
    H: DerefMut + Send,
    H::Target: Conn,
{
    /// Fills in the packages of the given projects with one query
    /// (of `only` that project, when the list holds just one).
    async fn with_packages(
        &mut self,
        mut projects: Vec<Project>,
        only: Option<ProjectId>,
    ) -> Result<Vec<Project>, StoreError> {
        let rows = self
            .fetch_all(
                query(
                    "SELECT project_id, ecosystem, name FROM project_packages \
                     WHERE ($1 IS NULL OR project_id = $1) ORDER BY project_id, position",
                )
                .bind(only),
            )
            .await?;
        let mut by_project: HashMap<ProjectId, Vec<Package>> = HashMap::new();
        for row in &rows {
            let id = ProjectId::from_uuid(row.uuid("project_id")?);
            by_project
                .entry(id)
                .or_default()
                .push(Package { ecosystem: row.text("ecosystem")?, name: row.text("name")? });
        }
        for project in &mut projects {
            project.packages = by_project.remove(&project.id).unwrap_or_default();
        }
        Ok(projects)
    }

    async fn write_packages(&mut self, project: &Project) -> Result<(), StoreError> {
        self.execute(query("DELETE FROM project_packages WHERE project_id = $1").bind(project.id)).await?;
        for (position, package) in (0_i64..).zip(&project.packages) {
            self.execute(
                query("INSERT INTO project_packages (project_id, position, ecosystem, name) VALUES ($1, $2, $3, $4)")
                    .bind(project.id)
                    .bind(position)
                    .bind(package.ecosystem.as_str())
                    .bind(package.name.as_str()),
            )
            .await?;
        }
        Ok(())
    }
}

#[async_trait::async_trait]
impl<H> OrganisationReads for Handle<H>
where
    H: DerefMut + Send,
    H::Target: Conn,
{
    async fn organisations(&mut self) -> Result<Vec<Organisation>, StoreError> {
        let rows = self
            .fetch_all(query("SELECT id, slug, name, advisory_prefix, created_at FROM organisations ORDER BY slug"))
            .await?;
        rows.iter().map(organisation_from).collect()
    }

    async fn organisation(&mut self, id: OrgId) -> Result<Option<Organisation>, StoreError> {
        let row = self
            .fetch_optional(
                query("SELECT id, slug, name, advisory_prefix, created_at FROM organisations WHERE id = $1").bind(id),
            )
            .await?;
        row.map(|r| organisation_from(&r)).transpose()
    }

    async fn organisation_by_slug(&mut self, slug: &Slug) -> Result<Option<Organisation>, StoreError> {
        let row = self
            .fetch_optional(
                query("SELECT id, slug, name, advisory_prefix, created_at FROM organisations WHERE slug = $1")
                    .bind(slug.as_str()),
            )
            .await?;
        row.map(|r| organisation_from(&r)).transpose()
    }

    async fn projects(&mut self, org: Option<OrgId>) -> Result<Vec<Project>, StoreError> {
        const SQL: &str = "SELECT p.id, p.org_id, p.slug, p.name, p.repository_url, p.created_at \
                           FROM projects p JOIN organisations o ON o.id = p.org_id \
                           WHERE ($1 IS NULL OR p.org_id = $1) ORDER BY o.slug, p.slug";
        let rows = self.fetch_all(query(SQL).bind(org)).await?;
        let projects = rows.iter().map(project_from).collect::<Result<Vec<_>, _>>()?;
        self.with_packages(projects, None).await
    }

    async fn project(&mut self, id: ProjectId) -> Result<Option<Project>, StoreError> {
        const SQL: &str = const_format::concatcp!("SELECT ", PROJECT_COLUMNS, " FROM projects WHERE id = $1");
        let Some(row) = self.fetch_optional(query(SQL).bind(id)).await? else {
            return Ok(None);
        };
        let project = project_from(&row)?;
        let only = Some(project.id);
        Ok(self.with_packages(vec![project], only).await?.pop())
    }

    async fn project_by_slug(&mut self, org: OrgId, slug: &Slug) -> Result<Option<Project>, StoreError> {
        const SQL: &str =
            const_format::concatcp!("SELECT ", PROJECT_COLUMNS, " FROM projects WHERE org_id = $1 AND slug = $2");
        let Some(row) = self.fetch_optional(query(SQL).bind(org).bind(slug.as_str())).await? else {
            return Ok(None);
        };
        let project = project_from(&row)?;
        let only = Some(project.id);
        Ok(self.with_packages(vec![project], only).await?.pop())
    }

    async fn members(&mut self, scope: TeamScope) -> Result<Vec<Member>, StoreError> {
        let q = match scope {
            TeamScope::Organisation(org) => query(
                "SELECT u.id, u.email, u.name, u.is_admin, u.created_at, u.banned_at, m.created_at AS since \
                 FROM org_members m JOIN users u ON u.id = m.user_id WHERE m.org_id = $1 ORDER BY u.email",
            )
            .bind(org),
            TeamScope::Project(project) => query(
                "SELECT u.id, u.email, u.name, u.is_admin, u.created_at, u.banned_at, m.created_at AS since \
                 FROM project_members m JOIN users u ON u.id = m.user_id WHERE m.project_id = $1 ORDER BY u.email",
            )
            .bind(project),
        };
        let rows = self.fetch_all(q).await?;
        rows.iter()
            .map(|row| {
                Ok(Member {
                    user: User {
                        id: UserId::from_uuid(row.uuid("id")?),
                        email: row.parsed("email")?,
                        name: row.text("name")?,
                        is_admin: row.bool("is_admin")?,
                        created_at: row.time("created_at")?,
                        banned_at: row.opt_time("banned_at")?,
                    },
                    since: row.time("since")?,
                })
            })
            .collect()
    }

    async fn project_settings_sequence(&mut self) -> Result<i64, StoreError> {
        let row = self
            .fetch_optional(query("SELECT value FROM project_settings_sequence WHERE id = 1"))
            .await?
            .ok_or(StoreError::NotFound)?;
        row.int("value")
    }

    async fn release_lines(&mut self, project: ProjectId) -> Result<Vec<ReleaseLine>, StoreError> {
        let rows = self
            .fetch_all(
                query(
                    "SELECT project_id, name, status, released_on, end_of_life_on FROM release_lines \
                     WHERE project_id = $1 ORDER BY name",
                )
                .bind(project),
            )
            .await?;
        let mut lines = rows
            .iter()
            .map(|row| {
                Ok(ReleaseLine {
                    project_id: ProjectId::from_uuid(row.uuid("project_id")?),
                    name: row.parsed("name")?,
                    status: row.parsed("status")?,
                    released_on: row.opt_date("released_on")?,
                    end_of_life_on: row.opt_date("end_of_life_on")?,
                })
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        embargo_core::project::newest_first(&mut lines);
        Ok(lines)
    }
}

#[async_trait::async_trait]
impl<H> OrganisationWrites for Handle<H>
where
    H: DerefMut + Send,
    H::Target: Conn,
{
    async fn insert_organisation(&mut self, org: &Organisation) -> Result<(), StoreError> {
        self.execute(
            query(
                "INSERT INTO organisations (id, slug, name, advisory_prefix, created_at) VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(org.id)
            .bind(org.slug.as_str())
            .bind(org.name.as_str())
            .bind(org.advisory_prefix.as_str())
            .bind(org.created_at),
        )
        .await
        .map(drop)
    }

    async fn update_organisation(&mut self, org: &Organisation) -> Result<(), StoreError> {
        self.execute_one(
            query("UPDATE organisations SET name = $1, advisory_prefix = $2 WHERE id = $3")
                .bind(org.name.as_str())
                .bind(org.advisory_prefix.as_str())
                .bind(org.id),
        )
        .await
    }

    async fn insert_project(&mut self, project: &Project) -> Result<(), StoreError> {
        self.execute(
            query(
                "INSERT INTO projects (id, org_id, slug, name, repository_url, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(project.id)
            .bind(project.org_id)
            .bind(project.slug.as_str())
            .bind(project.name.as_str())
            .bind(project.repository_url.clone())
            .bind(project.created_at),
        )
        .await?;
        self.write_packages(project).await
    }

    async fn update_project(&mut self, project: &Project) -> Result<(), StoreError> {
        self.execute_one(
            query("UPDATE projects SET name = $1, repository_url = $2 WHERE id = $3")
                .bind(project.name.as_str())
                .bind(project.repository_url.clone())
                .bind(project.id),
        )
        .await?;
        self.write_packages(project).await
    }

    async fn add_member(&mut self, membership: &Membership) -> Result<bool, StoreError> {
        let q = match membership.scope {
            TeamScope::Organisation(org) => query(
                "INSERT INTO org_members (org_id, user_id, created_at) VALUES ($1, $2, $3) \
                 ON CONFLICT (org_id, user_id) DO NOTHING",
            )
            .bind(org),
            TeamScope::Project(project) => query(
                "INSERT INTO project_members (project_id, user_id, created_at) VALUES ($1, $2, $3) \
                 ON CONFLICT (project_id, user_id) DO NOTHING",
            )
            .bind(project),
        };
        Ok(self.execute(q.bind(membership.user_id).bind(membership.created_at)).await? > 0)
    }

    async fn remove_member(&mut self, user: UserId, scope: TeamScope) -> Result<bool, StoreError> {
        let q = match scope {
            TeamScope::Organisation(org) => {
                query("DELETE FROM org_members WHERE org_id = $1 AND user_id = $2").bind(org)
            }
            TeamScope::Project(project) => {
                query("DELETE FROM project_members WHERE project_id = $1 AND user_id = $2").bind(project)
            }
        };
        Ok(self.execute(q.bind(user)).await? > 0)
    }

    async fn upsert_release_line(&mut self, line: &ReleaseLine) -> Result<(), StoreError> {
        self.execute(
            query(
                "INSERT INTO release_lines (project_id, name, status, released_on, end_of_life_on) \
                 VALUES ($1, $2, $3, $4, $5) ON CONFLICT (project_id, name) DO UPDATE SET \
                 status = excluded.status, released_on = excluded.released_on, \
                 end_of_life_on = excluded.end_of_life_on",
            )
            .bind(line.project_id)
            .bind(line.name.as_str())
            .bind(line.status.as_str())
            .bind(line.released_on)
            .bind(line.end_of_life_on),
        )
        .await
        .map(drop)
    }

    async fn delete_release_line(&mut self, project: ProjectId, name: &LineName) -> Result<bool, StoreError> {
        let changed = self
            .execute(
                query("DELETE FROM release_lines WHERE project_id = $1 AND name = $2")
                    .bind(project)
                    .bind(name.as_str()),
            )
            .await?;
        Ok(changed > 0)
    }
}
