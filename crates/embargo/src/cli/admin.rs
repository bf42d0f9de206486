//! `embargo admin …`: users, organisations, projects, teams, rotations, release lines and settings.

use clap::{Args, Subcommand};
use embargo_core::text::{OrgOrProject, ProjectPath, Slug};

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
    /// Show or choose the time zone an account reads embargo ends and
    /// scheduled publications in (beside UTC), on the pages, in mails and here.
    #[command(
        name = "time-zone",
        after_help = "Examples:\n  embargo admin user time-zone Europe/Berlin --as lead@example.org\n  \
                      embargo admin user time-zone --as lead@example.org"
    )]
    TimeZone {
        /// An IANA time zone name, such as Europe/Berlin, America/New_York or UTC; without it, shows the current one.
        zone: Option<String>,
        #[command(flatten)]
        user: super::report::AsUser,
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
    /// Set the organisation's CVE Services credentials (checked with CVE Services first), or
    /// show whether they are set (never the key).
    #[command(
        name = "cve-services",
        after_help = "Examples:\n  embargo admin org cve-services pallets\n  \
                      embargo admin org cve-services pallets --url https://cveawg.mitre.org/api \\\n    \
                      --short-name pallets --user cna@pallets.example --api-key-file ./cve-api-key --pool-size 3\n\n\
                      The API key is read from --api-key-file, else from EMBARGO_CVE_API_KEY; it is sealed at rest.\n\
                      --url is the API's base, the part before /cve-id. Credentials CVE Services refuses are not stored.\n\
                      The organisation's policy needs [advisories] cna = \"cve-services\" for ids to be reserved."
    )]
    CveServices {
        /// The organisation's URL name.
        slug: Slug,
        /// The API's base URL (the part before /cve-id); with it, the credentials are set.
        #[arg(long, requires_all = ["short_name", "user"])]
        url: Option<String>,
        /// The CNA's short name in CVE Services.
        #[arg(long)]
        short_name: Option<String>,
        /// The CVE Services user name.
        #[arg(long)]
        user: Option<String>,
        /// A file holding the API key (else EMBARGO_CVE_API_KEY).
        #[arg(long)]
        api_key_file: Option<std::path::PathBuf>,
        /// How many reserved ids to keep at hand for new advisories (0 to 20).
        #[arg(long)]
        pool_size: Option<u32>,
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
