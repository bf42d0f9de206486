//! `embargo report …`, acting as a user.

use std::path::PathBuf;

use clap::{Args, Subcommand};
use embargo_core::id::ReportId;
use embargo_core::text::ProjectPath;

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
    /// List (or search) the reports the user may see, newest first.
    #[command(after_help = "Examples:\n  embargo report list --as lead@example.org --state new\n  \
                            embargo report list --as lead@example.org --search 'sandbox escape cwe:94 state:open'\n  \
                            embargo report list --as lead@example.org --search 'cve:CVE-2026-1234'\n  \
                            embargo report list --as lead@example.org --limit 50 --cursor CURSOR_FROM_THE_LAST_PAGE\n\n\
                            When more reports follow, the last line (stderr) names the --cursor of the next page.")]
    List {
        #[command(flatten)]
        user: AsUser,
        /// Only this project's (ORG/PROJECT).
        #[arg(long)]
        project: Option<ProjectPath>,
        /// Only in this state.
        #[arg(long)]
        state: Option<String>,
        /// A private search: words (3+ characters each find the words they begin) and state:, project:, cwe:,
        /// cve:, assignee: filters.
        #[arg(long)]
        search: Option<String>,
        /// At most this many (default 100).
        #[arg(long)]
        limit: Option<u32>,
        /// Start where the previous page ended (the cursor it printed).
        #[arg(long)]
        cursor: Option<String>,
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
    /// Show, decline or rename your credit on a report you found (its reporter, or a co-finder).
    #[command(after_help = "Examples:\n  embargo report credit ID --as finder@example.org\n  \
                      embargo report credit ID --decline --as finder@example.org\n  \
                      embargo report credit ID --name 'A. Lovelace' --as finder@example.org")]
    Credit {
        /// The report's id.
        id: ReportId,
        /// Do not credit me.
        #[arg(long, conflicts_with = "name")]
        decline: bool,
        /// The name to show (an empty one keeps the name given with the report or the account).
        #[arg(long)]
        name: Option<String>,
        #[command(flatten)]
        user: AsUser,
    },
    /// List every finder's credit on a report: its reporter, the reporters of its duplicates, co-finders.
    #[command(after_help = "Example:\n  embargo report credits ID --as lead@example.org")]
    Credits {
        /// The report's id.
        id: ReportId,
        #[command(flatten)]
        user: AsUser,
    },
    /// A public issue from a report declined as an ordinary bug: make its text, answer, mark it made public.
    #[command(subcommand)]
    PublicIssue(PublicIssueCommand),
    /// Cyber Resilience Act reporting clocks (Article 14): start, show, details, file, content.
    #[command(subcommand)]
    Cra(super::CraCommand),
}

/// `report public-issue …`
#[derive(Debug, Subcommand)]
pub enum PublicIssueCommand {
    /// Make (or make again) the text of a public issue from a declined report, and ask the reporter (the team).
    #[command(after_help = "Examples:\n  embargo report public-issue draft ID --as lead@example.org\n  \
                      embargo report public-issue draft ID --include-poc --as lead@example.org")]
    Draft {
        /// The report's id.
        id: ReportId,
        /// Include the proof of concept.
        #[arg(long)]
        include_poc: bool,
        #[command(flatten)]
        user: AsUser,
    },
    /// Print the public issue's title and Markdown body, and where it stands.
    #[command(after_help = "Example:\n  embargo report public-issue show ID --as lead@example.org > issue.md")]
    Show {
        /// The report's id.
        id: ReportId,
        #[command(flatten)]
        user: AsUser,
    },
    /// Answer as the reporter: named, anonymous or objected.
    #[command(after_help = "Example:\n  embargo report public-issue answer ID anonymous --as reporter@example.org")]
    Answer {
        /// The report's id.
        id: ReportId,
        /// named, anonymous or objected.
        answer: String,
        #[command(flatten)]
        user: AsUser,
    },
    /// Mark the public issue made public at its URL (the team; the reporter must have agreed).
    #[command(
        after_help = "Example:\n  embargo report public-issue published ID https://github.com/org/project/issues/12 \
                      --as lead@example.org"
    )]
    Published {
        /// The report's id.
        id: ReportId,
        /// The public issue's URL.
        url: String,
        #[command(flatten)]
        user: AsUser,
    },
}
