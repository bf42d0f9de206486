//! `embargo report cra …`: the Cyber Resilience Act reporting clocks of a report, as a team member.

use clap::{Args, Subcommand};
use embargo_core::id::ReportId;

use super::AsUser;

/// The team's details for ENISA; each one given replaces the stored one (an empty one clears it).
#[derive(Debug, Args, Default)]
pub struct CraDetailsArgs {
    /// A member state where the product is available (two-letter code; repeatable; replaces the list).
    #[arg(long = "member-state")]
    pub member_states: Vec<String>,
    /// clear, green, amber, amber-strict or red (Traffic Light Protocol).
    #[arg(long)]
    pub sensitivity: Option<String>,
    /// The general nature of the exploit (or of the incident).
    #[arg(long)]
    pub exploit: Option<String>,
    /// Corrective or mitigating measures taken.
    #[arg(long)]
    pub measures_taken: Option<String>,
    /// Corrective or mitigating measures users can take.
    #[arg(long)]
    pub measures_for_users: Option<String>,
    /// What is known of a malicious actor (incidents: suspected malicious acts).
    #[arg(long)]
    pub malicious_actor: Option<String>,
    /// Severity and impact (incidents: the initial assessment).
    #[arg(long)]
    pub impact: Option<String>,
    /// The security update or other corrective measures made available.
    #[arg(long)]
    pub security_update: Option<String>,
    /// The type of threat or root cause (incidents).
    #[arg(long)]
    pub root_cause: Option<String>,
    /// When a fix or mitigation became available (RFC 3339 with offset); else when the report reached fixed.
    #[arg(long)]
    pub fix_available_at: Option<String>,
}

/// `report cra …`
#[derive(Debug, Subcommand)]
pub enum CraCommand {
    /// Start the clocks: early warning in 24 h, notification in 72 h, final report later.
    #[command(after_help = "Example:\n  embargo report cra start ID --kind exploited-vulnerability \
                      --aware-at 2026-10-01T09:30:00+02:00 --member-state DE --as lead@example.org")]
    Start {
        /// The report's id.
        id: ReportId,
        /// exploited-vulnerability or severe-incident.
        #[arg(long)]
        kind: String,
        /// When the organisation became aware: RFC 3339 with its offset.
        #[arg(long)]
        aware_at: String,
        #[command(flatten)]
        details: CraDetailsArgs,
        #[command(flatten)]
        user: AsUser,
    },
    /// Show the clocks: each stage's due time (in the offset given and UTC) and filing.
    #[command(after_help = "Example:\n  embargo report cra show ID --as lead@example.org")]
    Show {
        /// The report's id.
        id: ReportId,
        #[command(flatten)]
        user: AsUser,
    },
    /// Change the details for ENISA.
    #[command(after_help = "Example:\n  embargo report cra details ID --sensitivity amber \
                      --measures-for-users 'Upgrade to 3.1.1' --as lead@example.org")]
    Details {
        /// The report's id.
        id: ReportId,
        #[command(flatten)]
        details: CraDetailsArgs,
        #[command(flatten)]
        user: AsUser,
    },
    /// Record a stage as filed with ENISA, with its reference (again to correct it).
    #[command(
        after_help = "Example:\n  embargo report cra file ID early-warning --reference ENISA-2026-0042 --as lead@example.org"
    )]
    File {
        /// The report's id.
        id: ReportId,
        /// early-warning, notification or final-report.
        stage: String,
        /// The reference ENISA's platform gave it.
        #[arg(long)]
        reference: String,
        /// When it was filed (RFC 3339 with offset); now when absent.
        #[arg(long)]
        filed_at: Option<String>,
        #[command(flatten)]
        user: AsUser,
    },
    /// Print a stage's content for ENISA's platform, as text (default) or JSON.
    #[command(after_help = "Examples:\n  embargo report cra content ID notification --as lead@example.org\n  \
                      embargo report cra content ID final-report --format json --as lead@example.org")]
    Content {
        /// The report's id.
        id: ReportId,
        /// early-warning, notification or final-report.
        stage: String,
        /// text or json.
        #[arg(long, default_value = "text")]
        format: String,
        #[command(flatten)]
        user: AsUser,
    },
}
