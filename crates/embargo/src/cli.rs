//! The command line: every command, its flags, and its help with examples.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};
use embargo_core::id::{AdvisoryId, ReportId};
use embargo_core::text::{OrgOrProject, ProjectPath, Slug};

/// What `--help` shows after the list of commands.
const AFTER_HELP: &str = "\
Examples:
  embargo serve       (127.0.0.1:8080, SQLite in ./embargo-data)
  embargo admin user create --email me@example.org --admin
  embargo cvss CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H
  embargo import osv ./advisories --project python/cpython
  embargo export osv --out ./osv
  embargo audit verify --checkpoint ./yesterday.checkpoint

Exit codes:
  0  success
  1  failure (the reason is printed)
  2  usage error
  3  the audit log was tampered with, or no longer extends the checkpoint (audit verify)
  65, 67, 75  mail ingest: refused, no such address, try again later (sysexits)";

/// Embargo: private vulnerability reports in, coordinated advisories out.
#[derive(Debug, Parser)]
#[command(name = "embargo", version, about, after_help = AFTER_HELP)]
pub struct Cli {
    /// Where Embargo keeps its data (SQLite database, secret key, config).
    #[arg(long, global = true, env = "EMBARGO_DATA_DIR", default_value = "./embargo-data")]
    pub data_dir: PathBuf,

    /// The database: sqlite://PATH or postgres://USER:PASSWORD@HOST/DB (default: SQLite in the data dir).
    #[arg(long, global = true, env = "EMBARGO_DATABASE_URL", hide_env_values = true)]
    pub database_url: Option<String>,

    /// Where the server listens (also the default public_url for links printed by any command).
    #[arg(long, global = true, env = "EMBARGO_LISTEN")]
    pub listen: Option<String>,

    /// Print JSON instead of text (list and show commands, backup, doctor).
    #[arg(long, global = true)]
    pub json: bool,

    /// Log lines as text (colour only on a terminal) or json.
    #[arg(long, global = true, env = "EMBARGO_LOG_FORMAT", value_parser = ["text", "json"])]
    pub log_format: Option<String>,

    /// The command.
    #[command(subcommand)]
    pub command: Command,
}

/// Every command.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the server.
    #[command(after_help = "Examples:\n  embargo serve\n  embargo serve --listen 0.0.0.0:8080 \
                            --database-url postgres://embargo@db/embargo\n\n\
                            With no administrator yet, it prints a one-time token to create the first one.")]
    Serve(ServeArgs),
    /// Create the data directory, a commented config file and the secret key.
    #[command(after_help = "Examples:\n  embargo init\n  embargo --data-dir /var/lib/embargo init\n  \
                            embargo init --print-secret   # a new secret for EMBARGO_SECRET_KEY")]
    Init(InitArgs),
    /// Manage users, organisations, projects, teams and settings (as the operator).
    #[command(subcommand)]
    Admin(AdminCommand),
    /// Work on reports from the shell.
    #[command(subcommand)]
    Report(ReportCommand),
    /// Draft, edit and publish advisories from the shell.
    #[command(subcommand)]
    Advisory(AdvisoryCommand),
    /// Check, apply and show security policies (TOML).
    #[command(subcommand)]
    Policy(PolicyCommand),
    /// Check the audit log.
    #[command(subcommand)]
    Audit(AuditCommand),
    /// The outbox: list what waits, or run what is due (what `serve` does every few seconds).
    #[command(subcommand)]
    Jobs(JobsCommand),
    /// Score a CVSS 3.0, 3.1 or 4.0 vector: prints score, severity and the normalised vector.
    #[command(after_help = "Examples:\n  embargo cvss CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H\n    \
                            9.8 CRITICAL CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H\n  \
                            embargo cvss CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N/E:U\n    \
                            8.1 HIGH CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N/E:U (CVSS-BT)\n\n\
                            A 4.0 score covers every metric given: CVSS-B (base), -BT (threat), -BE (environmental), -BTE.\n\
                            Exit 1 with the reason when the vector is not valid.")]
    Cvss(CvssArgs),
    /// Import advisories from files.
    #[command(subcommand)]
    Import(ImportCommand),
    /// Write every published advisory to a directory, one file per advisory.
    #[command(after_help = "Examples:\n  embargo export osv --out ./osv\n  \
                            embargo export cve --out ./cve --cna-org-id b3476cb9-2e3d-41a6-98d0-0f47421a65b6 --cna-short-name pallets --org pallets\n  \
                            embargo export csaf --out /var/www/example.org/.well-known/csaf\n\n\
                            Files are named by id (OSV: the advisory id; CVE: the CVE id).\n\
                            csaf writes the whole CSAF provider for a static web server to serve at /.well-known/csaf/:\n\
                            provider-metadata.json, openpgp/ keys, white/ with index.txt, changes.csv, the ROLIE feed and\n\
                            YEAR/ID.json with .sha256, .sha512 and an OpenPGP .asc signature (organisations with a key pair).\n\
                            Only published revisions are written; CVE records only for advisories with a CVE id.")]
    Export(ExportArgs),
    /// The e-mail channel: take in mail, security addresses, OpenPGP keys.
    #[command(subcommand)]
    Mail(crate::cli_mail::MailCommand),
    /// The evidence lab: run reports' proofs of concept in a sandbox.
    #[command(subcommand)]
    Lab(LabCommand),
    /// Copy a running SQLite instance into one file, then check the copy.
    #[command(after_help = "Examples:\n  embargo backup --out /backups/embargo-$(date +%F).db\n  \
                            embargo backup --out embargo.db --with-secret   # restorable on its own; keep it safe\n\n\
                            The copy is consistent while the server runs (SQLite VACUUM INTO), then checked:\n\
                            SQLite's integrity check and the audit log's hash chain.\n\
                            Without --with-secret the backup cannot be read without the instance secret\n\
                            (secret.key or EMBARGO_SECRET_KEY): back that up separately.\n\
                            PostgreSQL: use pg_dump (see README, \"Back up and restore\").")]
    Backup(BackupArgs),
    /// Restore a backup file into an empty data directory.
    #[command(
        after_help = "Examples:\n  embargo --data-dir /var/lib/embargo restore /backups/embargo-2026-11-30.db\n\n\
                            The data directory must hold no database and no secret key. A backup made\n\
                            --with-secret restores its key to secret.key; otherwise put the original\n\
                            secret key in place (or set EMBARGO_SECRET_KEY) first, so the audit log can be checked."
    )]
    Restore(RestoreArgs),
    /// Check the installation: permissions, secret key, database, migrations, mail relay, public_url, clock.
    #[command(after_help = "Examples:\n  embargo doctor\n  embargo --data-dir /var/lib/embargo doctor --json\n\n\
                            Exit 0 when every check passes, 1 when one fails (warnings do not fail).")]
    Doctor(DoctorArgs),
    /// Ask a running server whether it is ready (GET /readyz); for container health checks.
    #[command(after_help = "Examples:\n  embargo healthcheck\n  embargo healthcheck --url http://127.0.0.1:8080\n\n\
                            Exit 0 when /readyz answers 200 within 5 seconds, 1 otherwise.")]
    Healthcheck(HealthcheckArgs),
    /// Print a shell completion script.
    #[command(after_help = "Examples:\n  embargo completions bash > /etc/bash_completion.d/embargo\n  \
                            embargo completions zsh > \"${fpath[1]}/_embargo\"\n  \
                            embargo completions fish > ~/.config/fish/completions/embargo.fish")]
    Completions(CompletionsArgs),
    /// Print the man page (roff), or write one page per command into a directory.
    #[command(after_help = "Examples:\n  embargo man | man -l -\n  embargo man --out /usr/local/share/man/man1")]
    Man(ManArgs),
}

/// `lab …`
#[derive(Debug, Subcommand)]
pub enum LabCommand {
    /// Run queued lab runs: each report's PoC against each release line of its project's `[lab]` policy,
    /// in a bubblewrap sandbox (no network, read-only system, private /tmp, time, memory and process limits).
    #[command(after_help = "Examples:
  embargo lab worker                       (runs jobs until stopped)
  embargo lab worker --once                (runs what is queued, then exits)
  embargo --database-url postgres://embargo@db/embargo lab worker --lab-dir /var/cache/embargo-lab

The worker may run on another machine than the server: it needs the database
URL and the instance secret (EMBARGO_SECRET_KEY or secret.key in the data dir),
bubblewrap (Debian package bubblewrap), util-linux (prlimit, setpriv) and git.
Run as root, it runs each sandbox as --sandbox-uid (default 65534, nobody);
the process limit counts every process of that user, so give each worker its own.
Without a working sandbox it refuses to start and says why (exit 1).")]
    Worker(LabWorkerArgs),
    /// Queue runs of a report's PoC again: every release line of the `[lab]` policy, some, or a fix.
    #[command(after_help = "Examples:
  embargo lab run 0190a0b2-7c1e-4d2a-9f3b-0a1b2c3d4e5f --as lead@example.org
  embargo lab run ID --line 2.0 --as lead@example.org
  embargo lab run ID --ref fix/header-overflow --as lead@example.org   (verify a fix)

Prints the ids of the runs queued; `embargo lab worker` runs them.")]
    Run {
        /// The report's id.
        id: ReportId,
        /// Only this release line of the `[lab]` policy (repeatable; with --ref, the line the fix is for).
        #[arg(long = "line")]
        lines: Vec<String>,
        /// A fix to verify: a branch, tag or commit.
        #[arg(long = "ref", value_name = "REF")]
        fix_ref: Option<String>,
        #[command(flatten)]
        user: AsUser,
    },
    /// Show a report's affected matrix and grounding list (the reporter sees only whether it reproduced).
    #[command(after_help = "Example:
  embargo lab show 0190a0b2-7c1e-4d2a-9f3b-0a1b2c3d4e5f --as lead@example.org")]
    Show {
        /// The report's id.
        id: ReportId,
        #[command(flatten)]
        user: AsUser,
    },
    /// Accept the matrix: the release lines found vulnerable join the report's affected versions.
    #[command(after_help = "Example:
  embargo lab accept 0190a0b2-7c1e-4d2a-9f3b-0a1b2c3d4e5f --as lead@example.org

The affected versions decide CVE eligibility and the fix lines. Exit 1 when
no release line was found vulnerable (nothing changes).")]
    Accept {
        /// The report's id.
        id: ReportId,
        #[command(flatten)]
        user: AsUser,
    },
}

/// `lab worker`
#[derive(Debug, Args)]
pub struct LabWorkerArgs {
    /// Run what is queued now, then exit.
    #[arg(long)]
    pub once: bool,
    /// Where repositories and prepared environments are cached (default: DATA_DIR/lab).
    /// The sandbox user must be able to enter it and its parents.
    #[arg(long, env = "EMBARGO_LAB_DIR")]
    pub lab_dir: Option<PathBuf>,
    /// The uid sandboxes run as when the worker runs as root.
    #[arg(long, default_value_t = 65534)]
    pub sandbox_uid: u32,
    /// Seconds a PoC may run.
    #[arg(long, default_value_t = 60)]
    pub time_limit: u64,
    /// Mebibytes of address space a PoC's process may use.
    #[arg(long, default_value_t = 512)]
    pub memory_limit: u64,
    /// The worker's name in leases (default: embargo-lab-PID).
    #[arg(long)]
    pub name: Option<String>,
}

/// `backup`
#[derive(Debug, Args)]
pub struct BackupArgs {
    /// The file to write (must not exist).
    #[arg(long)]
    pub out: PathBuf,
    /// Put the instance secret into the backup, so that it can be restored on its own.
    /// Whoever holds such a backup can read every sealed report.
    #[arg(long)]
    pub with_secret: bool,
}

/// `restore FILE`
#[derive(Debug, Args)]
pub struct RestoreArgs {
    /// A file written by `embargo backup`.
    pub file: PathBuf,
}

/// `doctor`
#[derive(Debug, Args)]
pub struct DoctorArgs {}

/// `healthcheck`
#[derive(Debug, Args)]
pub struct HealthcheckArgs {
    /// The server's address (default: http://LISTEN from the configuration).
    #[arg(long)]
    pub url: Option<String>,
}

/// `completions SHELL`
#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell.
    pub shell: clap_complete::Shell,
}

/// `man`
#[derive(Debug, Args)]
pub struct ManArgs {
    /// Write embargo.1 and a page per subcommand (embargo-admin-user-list.1 …) here instead.
    #[arg(long)]
    pub out: Option<PathBuf>,
}

/// `cvss`
#[derive(Debug, Args)]
pub struct CvssArgs {
    /// The vector, starting with CVSS:3.0/, CVSS:3.1/ or CVSS:4.0/.
    pub vector: String,
}

/// `import …`
#[derive(Debug, Subcommand)]
pub enum ImportCommand {
    /// Import OSV JSON files (every *.json below DIR) and RustSec advisories (RUSTSEC-*.md) into a project as published advisories.
    /// All files are checked first and written in one transaction: one bad file and nothing is stored.
    #[command(
        after_help = "Example:\n  embargo import osv ./advisory-database/advisories --project python/cpython\n\n\
                            Every OSV 1.7 field is kept (related, upstream, purl, severities, database_specific\n\
                            and ecosystem_specific at every level); a record that fails the OSV schema is refused\n\
                            naming the field, and keys OSV does not define are listed per file. Importing again adds a revision to\n\
                            advisories whose content changed and leaves the others alone."
    )]
    Osv {
        /// The directory to read.
        dir: PathBuf,
        /// The project the advisories belong to (ORG/PROJECT).
        #[arg(long)]
        project: ProjectPath,
    },
    /// Import GitHub repository security advisories (the REST API's JSON) into a project.
    /// All files are checked first and written in one transaction: one bad file and nothing is stored.
    #[command(after_help = "Examples:\n  gh api repos/OWNER/REPO/security-advisories --paginate > advisories.json\n  \
                            embargo import ghsa advisories.json --project pallets/flask\n  \
                            embargo import ghsa ./github-advisories --project pallets/flask   # every *.json below\n\n\
                            A file holds one advisory or a list of them. Published and withdrawn advisories become\n\
                            published advisories; drafts and reports in triage become draft advisories only the team\n\
                            sees; closed ones are not imported and are named. Credits, CVSS, CWEs and dates are kept;\n\
                            what is not (authors, collaborators, private forks) is named per advisory.")]
    Ghsa {
        /// A JSON file, or a directory of them.
        path: PathBuf,
        /// The project the advisories belong to (ORG/PROJECT).
        #[arg(long)]
        project: ProjectPath,
    },
}

/// `export FORMAT --out DIR`
#[derive(Debug, Args)]
pub struct ExportArgs {
    /// osv, cve or csaf.
    #[arg(value_parser = ["osv", "cve", "csaf"])]
    pub format: String,
    /// The directory to write into (created if missing; files of the same name are replaced).
    #[arg(long)]
    pub out: PathBuf,
    /// For cve: the CNA's organisation UUID in CVE Services.
    #[arg(long, env = "EMBARGO_CNA_ORG_ID")]
    pub cna_org_id: Option<String>,
    /// For cve: the CNA's short name in CVE Services.
    #[arg(long, env = "EMBARGO_CNA_SHORT_NAME")]
    pub cna_short_name: Option<String>,
    /// Only this organisation's advisories (its slug); a CNA exports its own.
    #[arg(long)]
    pub org: Option<Slug>,
}

/// `policy …`
#[derive(Debug, Subcommand)]
pub enum PolicyCommand {
    /// Check a policy file without applying it; errors name the line and column.
    #[command(
        after_help = "Examples:\n  embargo policy check policy.toml\n  embargo policy check --project flask.toml"
    )]
    Check {
        /// The policy file.
        file: PathBuf,
        /// Check it as a project's overrides (which may list release lines).
        #[arg(long)]
        project: bool,
    },
    /// Apply a policy file to an organisation (ORG) or a project (ORG/PROJECT).
    #[command(
        after_help = "Examples:\n  embargo policy apply pallets policy.toml\n  embargo policy apply pallets/flask flask.toml"
    )]
    Apply {
        /// ORG or ORG/PROJECT.
        target: OrgOrProject,
        /// The policy file.
        file: PathBuf,
    },
    /// Print the effective policy as TOML that `apply` accepts back unchanged
    /// (with --json, as `GET /api/v1/projects/{org}/{project}/policy` answers: the policy and each field's source).
    #[command(
        after_help = "Examples:\n  embargo policy show pallets\n  embargo policy show pallets/flask --sources\n  \
                      embargo --json policy show pallets/flask"
    )]
    Show {
        /// ORG or ORG/PROJECT.
        target: OrgOrProject,
        /// Start each section with a comment saying where its fields come from.
        #[arg(long)]
        sources: bool,
    },
    /// Print a project's SECURITY.md, rendered from its policy.
    #[command(name = "security-md", after_help = "Example:\n  embargo policy security-md pallets/flask > SECURITY.md")]
    SecurityMd {
        /// ORG/PROJECT
        path: ProjectPath,
    },
}

/// `serve`
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Load three example organisations with their policies, projects and
    /// example reports (once; a demo team account is printed).
    #[arg(long)]
    pub demo: bool,
    /// Also take mail by SMTP on this address (off by default), e.g. 0.0.0.0:25.
    #[arg(long, env = "EMBARGO_SMTP_LISTEN", value_name = "ADDR")]
    pub smtp_listen: Option<String>,
    /// Serve /metrics (Prometheus) on this address of its own, e.g. 127.0.0.1:9090 (off by default).
    #[arg(long, env = "EMBARGO_METRICS_LISTEN", value_name = "ADDR")]
    pub metrics_listen: Option<String>,
}

/// `init`
#[derive(Debug, Args)]
pub struct InitArgs {
    /// Print a new secret key (for EMBARGO_SECRET_KEY) and do nothing else.
    #[arg(long)]
    pub print_secret: bool,
}

/// `admin …`
#[derive(Debug, Subcommand)]
pub enum AdminCommand {
    /// User accounts.
    #[command(subcommand)]
    User(UserCommand),
    /// Organisations.
    #[command(subcommand, name = "org")]
    Organisation(OrganisationCommand),
    /// Projects.
    #[command(subcommand)]
    Project(ProjectCommand),
    /// Security-team members.
    #[command(subcommand)]
    Member(MemberCommand),
    /// Release lines of a project.
    #[command(subcommand, name = "release-line")]
    ReleaseLine(ReleaseLineCommand),
    /// A project's coordinator rotation (auto-assignment of idle reports, escalations).
    #[command(subcommand)]
    Rotation(RotationCommand),
    /// Instance settings.
    #[command(
        after_help = "Examples:\n  embargo admin settings --signup closed\n  embargo admin settings --second-factor required\n  embargo admin settings --checkpoint-mail daily"
    )]
    Settings(SettingsArgs),
}

/// `admin user …`
#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Create an account. The password is read from standard input when it is
    /// not a terminal, else asked for twice.
    #[command(after_help = "Examples:\n  embargo admin user create --email admin@example.org --admin\n  \
                            printf '%s\\n' \"$PASSWORD\" | embargo admin user create --email team@example.org --name 'Team'")]
    Create {
        /// The sign-in address.
        #[arg(long)]
        email: String,
        /// The display name (default: the part of the address before @).
        #[arg(long)]
        name: Option<String>,
        /// Make an instance administrator.
        #[arg(long)]
        admin: bool,
    },
    /// List accounts.
    #[command(after_help = "Example:\n  embargo admin user list")]
    List,
    /// Ban a reporter who repeatedly ignores the policy (they can still read their reports).
    #[command(after_help = "Example:\n  embargo admin user ban spammer@example.org")]
    Ban {
        /// The account's address.
        email: String,
    },
    /// Lift a ban.
    #[command(after_help = "Example:\n  embargo admin user unban reporter@example.org")]
    Unban {
        /// The account's address.
        email: String,
    },
}

/// `admin org …`
#[derive(Debug, Subcommand)]
pub enum OrganisationCommand {
    /// Create an organisation.
    #[command(after_help = "Example:\n  embargo admin org create pallets --name 'Pallets' --advisory-prefix PALLETS")]
    Create {
        /// Its URL name: lower-case letters, digits, hyphens.
        slug: String,
        /// Its display name.
        #[arg(long)]
        name: String,
        /// The prefix of its advisory ids (default: from the slug).
        #[arg(long)]
        advisory_prefix: Option<String>,
    },
    /// List organisations.
    #[command(after_help = "Example:\n  embargo admin org list")]
    List,
    /// Show an organisation (with --json, as `GET /api/v1/orgs/{org}` answers).
    #[command(after_help = "Examples:\n  embargo admin org show pallets\n  embargo --json admin org show pallets")]
    Show {
        /// Its URL name.
        slug: Slug,
    },
}

/// `admin project …`
#[derive(Debug, Subcommand)]
pub enum ProjectCommand {
    /// Create a project.
    #[command(after_help = "Example:\n  embargo admin project create pallets/flask --name Flask \
                            --repository https://github.com/pallets/flask --package PyPI:flask")]
    Create {
        /// ORG/PROJECT
        path: ProjectPath,
        /// Its display name.
        #[arg(long)]
        name: String,
        /// Where its source lives.
        #[arg(long)]
        repository: Option<String>,
        /// A package it ships, as ECOSYSTEM:NAME (repeatable).
        #[arg(long = "package")]
        packages: Vec<String>,
    },
    /// List projects.
    #[command(after_help = "Example:\n  embargo admin project list pallets")]
    List {
        /// Only this organisation's.
        org: Option<Slug>,
    },
    /// Show a project (with --json, as `GET /api/v1/projects/{org}/{project}` answers).
    #[command(
        after_help = "Examples:\n  embargo admin project show pallets/flask\n  embargo --json admin project show pallets/flask"
    )]
    Show {
        /// ORG/PROJECT
        path: ProjectPath,
    },
}

/// `admin member …`
#[derive(Debug, Subcommand)]
pub enum MemberCommand {
    /// Put an account on a security team.
    #[command(after_help = "Examples:\n  embargo admin member add pallets --email lead@example.org\n  \
                            embargo admin member add pallets/flask --email maintainer@example.org")]
    Add {
        /// ORG (the organisation's team) or ORG/PROJECT (one project's team).
        team: OrgOrProject,
        /// The account's address.
        #[arg(long)]
        email: String,
    },
    /// Take an account off a security team.
    #[command(after_help = "Example:\n  embargo admin member remove pallets/flask --email maintainer@example.org")]
    Remove {
        /// ORG or ORG/PROJECT.
        team: OrgOrProject,
        /// The account's address.
        #[arg(long)]
        email: String,
    },
    /// List a team.
    #[command(after_help = "Example:\n  embargo admin member list pallets")]
    List {
        /// ORG or ORG/PROJECT.
        team: OrgOrProject,
    },
}

/// `admin rotation …`
#[derive(Debug, Subcommand)]
pub enum RotationCommand {
    /// Set who takes up reports nobody took after the idle days, in turn (replaces the rotation).
    #[command(after_help = "Examples:\n  embargo admin rotation set pallets/flask --idle-days 5 \
                            --coordinator lead@example.org --coordinator maintainer@example.org\n  \
                            embargo admin rotation set pallets/flask --idle-days 5 --coordinator lead@example.org \
                            --away maintainer@example.org\n  embargo admin rotation set pallets/flask --idle-days 5  \
                            # no coordinator: removes the rotation")]
    Set {
        /// ORG/PROJECT
        path: ProjectPath,
        /// Days a report may sit unassigned without activity (1 to 365).
        #[arg(long)]
        idle_days: u32,
        /// A team member taking turns (repeat, in turn order).
        #[arg(long)]
        coordinator: Vec<String>,
        /// A team member in the rotation who is away for now (repeat; skipped until back).
        #[arg(long)]
        away: Vec<String>,
    },
    /// Show a project's rotation and who is next.
    #[command(after_help = "Example:\n  embargo admin rotation show pallets/flask")]
    Show {
        /// ORG/PROJECT
        path: ProjectPath,
    },
}

/// `admin release-line …`
#[derive(Debug, Subcommand)]
pub enum ReleaseLineCommand {
    /// Add or change a release line.
    #[command(
        after_help = "Example:\n  embargo admin release-line set python/cpython 3.13 --status bugfix --released-on 2024-10-07"
    )]
    Set {
        /// ORG/PROJECT
        path: ProjectPath,
        /// The line's name (3.13, 2.x, main).
        name: String,
        /// feature, prerelease, bugfix, security or end-of-life.
        #[arg(long)]
        status: String,
        /// First release, YYYY-MM-DD.
        #[arg(long)]
        released_on: Option<String>,
        /// End of support, YYYY-MM-DD.
        #[arg(long)]
        end_of_life_on: Option<String>,
    },
    /// List a project's release lines.
    #[command(after_help = "Example:\n  embargo admin release-line list python/cpython")]
    List {
        /// ORG/PROJECT
        path: ProjectPath,
    },
}

/// `admin settings`
#[derive(Debug, Args)]
pub struct SettingsArgs {
    /// Whether reporters may create their own accounts: open or closed.
    #[arg(long, value_parser = ["open", "closed"])]
    pub signup: Option<String>,
    /// The organisation whose channels /.well-known/security.txt lists (when there are several).
    #[arg(long)]
    pub security_txt_org: Option<Slug>,
    /// Whether security-team members and administrators must use a second factor: required or optional.
    #[arg(long, value_parser = ["required", "optional"])]
    pub second_factor: Option<String>,
    /// Whether the audit checkpoint is mailed to the administrators every day: daily or off.
    #[arg(long, value_parser = ["daily", "off"])]
    pub checkpoint_mail: Option<String>,
}

/// Acting as a user, for the report and advisory commands.
#[derive(Debug, Args)]
pub struct AsUser {
    /// The account to act as; every action is audited as that user.
    #[arg(long = "as", env = "EMBARGO_AS", value_name = "EMAIL")]
    pub email: String,
}

/// `report …`
#[derive(Debug, Subcommand)]
pub enum ReportCommand {
    /// Submit a report (anonymously unless --as is given). Prints its id and follow-up token.
    #[command(
        after_help = "Example:\n  embargo report submit pallets/flask --title 'XSS in debugger' --body-file report.txt \
                            --poc-file poc.sh"
    )]
    Submit {
        /// ORG/PROJECT
        path: ProjectPath,
        /// A one-line summary.
        #[arg(long)]
        title: String,
        /// The description (or use --body-file).
        #[arg(long, conflicts_with = "body_file")]
        body: Option<String>,
        /// A file with the description; - for standard input.
        #[arg(long)]
        body_file: Option<PathBuf>,
        /// A proof-of-concept script file.
        #[arg(long)]
        poc_file: Option<PathBuf>,
        /// The versions tested.
        #[arg(long)]
        versions_tested: Option<String>,
        /// Which of them were vulnerable.
        #[arg(long)]
        versions_vulnerable: Option<String>,
        /// An affected release line (repeatable; `older` for an older build of a latest-only project).
        #[arg(long = "line")]
        lines: Vec<String>,
        /// A plain-text file to attach (repeatable).
        #[arg(long = "attach")]
        attachments: Vec<PathBuf>,
        /// The name to credit.
        #[arg(long)]
        reporter_name: Option<String>,
        /// Submit as this account instead of anonymously.
        #[arg(long = "as", env = "EMBARGO_AS", value_name = "EMAIL")]
        as_user: Option<String>,
    },
    /// List the reports the user may see.
    #[command(after_help = "Example:\n  embargo report list --as lead@example.org --state new")]
    List {
        #[command(flatten)]
        user: AsUser,
        /// Only this project's (ORG/PROJECT).
        #[arg(long)]
        project: Option<ProjectPath>,
        /// Only in this state.
        #[arg(long)]
        state: Option<String>,
    },
    /// Show a report and its thread (with --json, as `GET /api/v1/reports/{id}` answers the same user).
    #[command(
        after_help = "Examples:\n  embargo report show 0190a0b2-7c1e-4d2a-9f3b-0a1b2c3d4e5f --as lead@example.org\n  \
                      embargo --json report show 0190a0b2-7c1e-4d2a-9f3b-0a1b2c3d4e5f --as lead@example.org"
    )]
    Show {
        /// The report's id.
        id: ReportId,
        #[command(flatten)]
        user: AsUser,
    },
    /// Move a report to another state.
    #[command(after_help = "Examples:\n  embargo report transition ID acknowledged --as lead@example.org\n  \
                            embargo report transition ID not_vulnerable --reason 'Documented behaviour' --as lead@example.org")]
    Transition {
        /// The report's id.
        id: ReportId,
        /// The target state.
        to: String,
        /// Why (required for not_vulnerable and out_of_scope; sent to the reporter).
        #[arg(long)]
        reason: Option<String>,
        /// The original report, for duplicate.
        #[arg(long)]
        duplicate_of: Option<String>,
        /// The policy's criterion, for not_vulnerable (its explanation goes to the reporter).
        #[arg(long)]
        criterion: Option<String>,
        #[command(flatten)]
        user: AsUser,
    },
    /// Share a report (redacted, read-only) with the parties interested in an unsupported platform.
    #[command(after_help = "Example:\n  embargo report share ID --platform AIX --as lead@example.org")]
    Share {
        /// The report's id.
        id: ReportId,
        /// An unsupported platform of the policy.
        #[arg(long)]
        platform: String,
        #[command(flatten)]
        user: AsUser,
    },
    /// Export a report's conversation for a code-of-conduct team, vulnerability details removed.
    #[command(after_help = "Examples:\n  embargo report conduct-export ID --as lead@example.org > conduct.txt\n  \
                            embargo report conduct-export ID --format json --as lead@example.org")]
    ConductExport {
        /// The report's id.
        id: ReportId,
        /// text or json.
        #[arg(long, default_value = "text")]
        format: String,
        #[command(flatten)]
        user: AsUser,
    },
    /// Set or lift a report's embargo end; every participant is told.
    #[command(
        after_help = "Examples:\n  embargo report embargo ID --until 2026-06-01T14:00:00+02:00 --as lead@example.org\n  \
                            embargo report embargo ID --lift --as lead@example.org"
    )]
    Embargo {
        /// The report's id.
        id: ReportId,
        /// When it ends: RFC 3339 with its offset from UTC.
        #[arg(long, required_unless_present = "lift", conflicts_with = "lift")]
        until: Option<String>,
        /// Lift the embargo end.
        #[arg(long)]
        lift: bool,
        #[command(flatten)]
        user: AsUser,
    },
    /// Invite a person to work on one report: they get a private link by mail.
    #[command(
        after_help = "Examples:\n  embargo report invite ID --email maintainer@upstream.example --as lead@example.org\n  \
                      embargo report invite ID --email cofinder@example.org --role reporter --as lead@example.org"
    )]
    Invite {
        /// The report's id.
        id: ReportId,
        /// Where to send the invitation.
        #[arg(long = "email", id = "invitee")]
        invitee: String,
        /// collaborator (reads, posts) or reporter (a co-finder, credited).
        #[arg(long, default_value = "collaborator")]
        role: String,
        /// Let them read the team's internal notes.
        #[arg(long)]
        internal_notes: bool,
        #[command(flatten)]
        user: AsUser,
    },
    /// List the people invited to a report, revoked invitations included.
    #[command(after_help = "Example:\n  embargo report collaborators ID --as lead@example.org")]
    Collaborators {
        /// The report's id.
        id: ReportId,
        #[command(flatten)]
        user: AsUser,
    },
    /// Revoke an invitation: its link and the invitee's access end at once.
    #[command(after_help = "Example:\n  embargo report revoke ID INVITATION_ID --as lead@example.org")]
    Revoke {
        /// The report's id.
        id: ReportId,
        /// The invitation's id (from `embargo report collaborators`).
        collaborator: embargo_core::id::CollaboratorId,
        #[command(flatten)]
        user: AsUser,
    },
    /// Post a message to the reporter, or an internal note.
    #[command(after_help = "Example:\n  embargo report message ID --body 'Thanks, confirmed.' --as lead@example.org")]
    Message {
        /// The report's id.
        id: ReportId,
        /// The text (or use --body-file).
        #[arg(long, conflicts_with = "body_file")]
        body: Option<String>,
        /// A file with the text; - for standard input.
        #[arg(long)]
        body_file: Option<PathBuf>,
        /// A note for the team only.
        #[arg(long)]
        internal: bool,
        #[command(flatten)]
        user: AsUser,
    },
    /// Set the team's fields.
    #[command(
        after_help = "Example:\n  embargo report update ID --cvss-v3 CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H \
                            --cwe CWE-79 --assignee lead@example.org --as lead@example.org"
    )]
    Update {
        /// The report's id.
        id: ReportId,
        /// A CVSS 3.x vector.
        #[arg(long)]
        cvss_v3: Option<String>,
        /// A CVSS 4.0 vector.
        #[arg(long)]
        cvss_v4: Option<String>,
        /// A CWE id (repeatable; replaces the list).
        #[arg(long = "cwe")]
        cwes: Vec<String>,
        /// The team member handling it, by address.
        #[arg(long)]
        assignee: Option<String>,
        /// An affected version or line (repeatable; replaces the list).
        #[arg(long = "affected")]
        affected_versions: Vec<String>,
        /// A release line that gets the fix (repeatable; replaces the list).
        #[arg(long = "fix-line")]
        fix_lines: Vec<String>,
        #[command(flatten)]
        user: AsUser,
    },
}

/// `advisory …`
#[derive(Debug, Subcommand)]
pub enum AdvisoryCommand {
    /// Draft an advisory from an accepted report.
    #[command(after_help = "Example:\n  embargo advisory draft REPORT_ID --as lead@example.org")]
    Draft {
        /// The report's id.
        report: ReportId,
        #[command(flatten)]
        user: AsUser,
    },
    /// List advisories (published ones, and the user's teams' drafts).
    #[command(after_help = "Example:\n  embargo advisory list --as lead@example.org")]
    List {
        #[command(flatten)]
        user: AsUser,
    },
    /// Show an advisory (with --json, as `GET /api/v1/advisories/{id}` answers the same user).
    #[command(after_help = "Examples:\n  embargo advisory show PALLETS-2026-1 --as lead@example.org\n  \
                      embargo --json advisory show PALLETS-2026-1 --as lead@example.org")]
    Show {
        /// The advisory's id.
        id: AdvisoryId,
        #[command(flatten)]
        user: AsUser,
    },
    /// Edit an advisory's working copy.
    #[command(
        after_help = "Example:\n  embargo advisory edit PALLETS-2026-1 --details-file details.md --alias CVE-2026-1234 \
                            --affected PyPI:flask:0:3.1.1 --reference FIX=https://github.com/pallets/flask/pull/1 \
                            --as lead@example.org\n  embargo advisory edit RELAY-2026-1 --fix dependency-update --fix mitigation \
                            --fix-text 'Rebuild on the new base image, or turn uploads off.' --as lead@example.org"
    )]
    Edit {
        /// The advisory's id.
        id: AdvisoryId,
        /// One line.
        #[arg(long)]
        summary: Option<String>,
        /// A Markdown file with the details; - for standard input.
        #[arg(long)]
        details_file: Option<PathBuf>,
        /// A CVE id (repeatable; replaces the list).
        #[arg(long = "alias")]
        aliases: Vec<String>,
        /// ECOSYSTEM:NAME:INTRODUCED:FIXED, an ECOSYSTEM range (repeatable; replaces the list).
        #[arg(long = "affected")]
        affected: Vec<String>,
        /// TYPE=URL (repeatable; replaces the list).
        #[arg(long = "reference")]
        references: Vec<String>,
        /// NAME or NAME=TYPE (repeatable; replaces the list).
        #[arg(long = "credit")]
        credits: Vec<String>,
        /// A CVSS 3.x vector.
        #[arg(long)]
        cvss_v3: Option<String>,
        /// A CVSS 4.0 vector.
        #[arg(long)]
        cvss_v4: Option<String>,
        /// A CWE id (repeatable; replaces the list).
        #[arg(long = "cwe")]
        cwes: Vec<String>,
        /// How the risk is removed: patch, dependency-update or mitigation (repeatable; replaces the list).
        #[arg(long = "fix")]
        fix_kinds: Vec<String>,
        /// What users should do, in the team's words (Markdown; "" clears).
        #[arg(long)]
        fix_text: Option<String>,
        #[command(flatten)]
        user: AsUser,
    },
    /// Take the next CVE id from the organisation's pool (CNA mode id-pool).
    #[command(after_help = "Example:\n  embargo advisory cve PSF-2026-1 --as lead@example.org")]
    Cve {
        /// The advisory's id.
        id: AdvisoryId,
        #[command(flatten)]
        user: AsUser,
    },
    /// Schedule an advisory's publication: the job runner publishes it then, or tells the team why not.
    #[command(
        after_help = "Example:\n  embargo advisory schedule PALLETS-2026-1 --at 2026-06-01T14:00:00+02:00 --as lead@example.org"
    )]
    Schedule {
        /// The advisory's id.
        id: AdvisoryId,
        /// When: RFC 3339 with its offset from UTC.
        #[arg(long)]
        at: String,
        #[command(flatten)]
        user: AsUser,
    },
    /// Publish an advisory (its report must be fixed); the report becomes disclosed.
    #[command(after_help = "Example:\n  embargo advisory publish PALLETS-2026-1 --as lead@example.org")]
    Publish {
        /// The advisory's id.
        id: AdvisoryId,
        #[command(flatten)]
        user: AsUser,
    },
    /// Withdraw a published advisory: it stays public, marked withdrawn, and scanners stop matching it.
    #[command(after_help = "Example:\n  embargo advisory withdraw PALLETS-2026-1 --as lead@example.org")]
    Withdraw {
        /// The advisory's id.
        id: AdvisoryId,
        #[command(flatten)]
        user: AsUser,
    },
    /// State that a release line of the project is not affected (VEX), or take it back.
    #[command(after_help = "Examples:\n  \
        embargo advisory not-affected PALLETS-2026-1 --line 2.3 --justification vulnerable_code_not_present \
        --impact 'send_file came in 3.0' --as lead@example.org\n  \
        embargo advisory not-affected PALLETS-2026-1 --line 2.3 --take-back --as lead@example.org\n\n\
        Justifications (OpenVEX): component_not_present, vulnerable_code_not_present,\n\
        vulnerable_code_not_in_execute_path, vulnerable_code_cannot_be_controlled_by_adversary,\n\
        inline_mitigations_already_exist. The advisory's CSAF VEX and OpenVEX documents carry the statement.")]
    NotAffected {
        /// The advisory's id.
        id: AdvisoryId,
        /// A release line of the project.
        #[arg(long)]
        line: String,
        /// Why it is not affected.
        #[arg(long, required_unless_present = "take_back")]
        justification: Option<String>,
        /// More words on why.
        #[arg(long, conflicts_with = "take_back")]
        impact: Option<String>,
        /// Take the statement back instead.
        #[arg(long, conflicts_with = "justification")]
        take_back: bool,
        #[command(flatten)]
        user: AsUser,
    },
}

/// `jobs …`
#[derive(Debug, Subcommand)]
pub enum JobsCommand {
    /// List the jobs that wait: events for subscribers, subscribers' deliveries, timers.
    #[command(after_help = "Example:\n  embargo jobs list")]
    List,
    /// Run the jobs that are due once, with the configured mail relay, then exit.
    /// Useful when no `serve` runs (a script, a one-off import).
    #[command(after_help = "Example:\n  embargo jobs run")]
    Run,
}

/// `audit …`
#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Check that no audit event was modified, inserted or deleted; exit 3 if one was.
    ///
    /// With --checkpoint, also check that the log still extends a checkpoint
    /// printed earlier by `embargo audit checkpoint` (a cut tail, a wiped log or
    /// rewritten history fail with exit code 3).
    #[command(after_help = "Examples:\n  embargo audit verify\n  \
                            embargo audit verify --checkpoint /mnt/offsite/embargo-2026-11-30.checkpoint")]
    Verify {
        /// A checkpoint file printed by `embargo audit checkpoint`.
        #[arg(long, value_name = "FILE")]
        checkpoint: Option<PathBuf>,
    },
    /// Print a signed checkpoint of the audit log (its length and last hash).
    ///
    /// Keep it somewhere the server cannot write (another machine, a mailbox):
    /// `embargo audit verify --checkpoint FILE` later proves the log still
    /// extends it. The signature uses a key derived from the instance secret.
    #[command(after_help = "Example:\n  embargo audit checkpoint > /mnt/offsite/embargo-$(date +%F).checkpoint")]
    Checkpoint,
}
