//! `forge …`: publish when the fix merges (issue 11), from the shell.

use std::path::PathBuf;

use clap::Subcommand;
use embargo_core::id::ReportId;
use embargo_core::text::ProjectPath;

use super::AsUser;

/// `forge …`
#[derive(Debug, Subcommand)]
pub enum ForgeCommand {
    /// Set or rotate a project's webhook secret for a forge (github, gitlab, forgejo, gitea).
    #[command(after_help = "Examples:
  embargo forge secret pallets/flask github --as lead@example.org
      (makes a secret and prints it once: enter it as the webhook's secret on GitHub)
  printf '%s' \"$SECRET\" | embargo forge secret pallets/flask gitlab --secret-file - --as lead@example.org

The forge posts to https://YOUR-HOST/api/v1/projects/ORG/PROJECT/hooks/FORGE (content type JSON).
A merged pull or merge request whose title or description names a report's advisory id
(PALLETS-2026-1) or report id, or that the team linked with `forge link`, moves the report to
fixed and publishes its advisory as the policy says.")]
    Secret {
        /// The project, as ORG/PROJECT.
        project: ProjectPath,
        /// github, gitlab, forgejo or gitea.
        forge: String,
        /// Read the secret from this file (`-`: standard input) instead of making one.
        #[arg(long, value_name = "PATH")]
        secret_file: Option<PathBuf>,
        #[command(flatten)]
        user: AsUser,
    },
    /// Show which forge secrets are set for a project (never the secrets) and the polled repository.
    #[command(after_help = "Examples:\n  embargo forge show pallets/flask --as lead@example.org")]
    Show {
        /// The project, as ORG/PROJECT.
        project: ProjectPath,
        #[command(flatten)]
        user: AsUser,
    },
    /// Poll a repository's branch for fix commits, for forges without webhooks.
    #[command(after_help = "Examples:
  embargo forge poll pallets/flask --repository https://git.example.org/pallets/flask.git --branch main --as lead@example.org

Every five minutes the server fetches the branch with git; a commit whose message names an
advisory or report id, or a commit a report links (…/commit/SHA), marks that report's fix merged.")]
    Poll {
        /// The project, as ORG/PROJECT.
        project: ProjectPath,
        /// The repository URL (https, http, git or ssh).
        #[arg(long)]
        repository: String,
        /// The branch fixes land on.
        #[arg(long)]
        branch: String,
        #[command(flatten)]
        user: AsUser,
    },
    /// Link a report to the pull or merge request that fixes it (`--clear` unlinks it).
    #[command(after_help = "Examples:
  embargo forge link 0190a0b2-7c1e-4d2a-9f3b-0a1b2c3d4e5f https://github.com/pallets/flask/pull/5712 --as lead@example.org
  embargo forge link 0190a0b2-7c1e-4d2a-9f3b-0a1b2c3d4e5f --clear --as lead@example.org")]
    Link {
        /// The report's id.
        id: ReportId,
        /// The pull or merge request's URL.
        #[arg(required_unless_present = "clear")]
        url: Option<String>,
        /// Unlink the report.
        #[arg(long, conflicts_with = "url")]
        clear: bool,
        #[command(flatten)]
        user: AsUser,
    },
}
