//! `embargo advisory …`, acting as a user.

use std::path::PathBuf;

use super::*;
use clap::Subcommand;
use embargo_core::id::{AdvisoryId, ReportId};

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
