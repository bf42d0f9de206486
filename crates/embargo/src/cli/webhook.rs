//! `embargo webhook …`: an organisation's or a project's outgoing webhooks, as a member of its team.

use clap::Subcommand;
use embargo_core::text::OrgOrProject;

use super::AsUser;

/// `webhook …`
#[derive(Debug, Subcommand)]
pub enum WebhookCommand {
    /// List the webhooks of ORG or ORG/PROJECT, with how many deliveries each has in its last 20.
    #[command(after_help = "Example:\n  embargo webhook list pallets/flask --as lead@example.org")]
    List {
        /// ORG or ORG/PROJECT.
        team: OrgOrProject,
        #[command(flatten)]
        user: AsUser,
    },
    /// Subscribe a URL to events. Prints the id and the signing secret, shown this once.
    #[command(after_help = "Example:\n  embargo webhook add pallets --url https://chat.example/hooks/security \
                      --event report.submitted --event advisory.published --as lead@example.org\n\n\
                      Events: report.submitted, report.state_changed, report.message_posted, report.assignee_changed,\n\
                      advisory.published, advisory.revised, advisory.withdrawn, cve.reserved, cve.published,\n\
                      advisory.vex_changed, cve.rejected.")]
    Add {
        /// ORG or ORG/PROJECT.
        team: OrgOrProject,
        /// Where deliveries are posted (https://..., or http:// to a test receiver).
        #[arg(long)]
        url: String,
        /// An event type (repeatable).
        #[arg(long = "event", required = true)]
        events: Vec<String>,
        #[command(flatten)]
        user: AsUser,
    },
    /// Remove a webhook and its deliveries.
    #[command(after_help = "Example:\n  embargo webhook remove pallets WEBHOOK_ID --as lead@example.org")]
    Remove {
        /// ORG or ORG/PROJECT.
        team: OrgOrProject,
        /// The webhook's id (from `embargo webhook list`).
        id: String,
        #[command(flatten)]
        user: AsUser,
    },
    /// List a webhook's newest deliveries with their state and the receiver's answer.
    #[command(after_help = "Example:\n  embargo webhook deliveries pallets WEBHOOK_ID --as lead@example.org")]
    Deliveries {
        /// ORG or ORG/PROJECT.
        team: OrgOrProject,
        /// The webhook's id.
        id: String,
        #[command(flatten)]
        user: AsUser,
    },
    /// Send a delivered or failed delivery again, now, with the same webhook-id.
    #[command(after_help = "Example:\n  embargo webhook resend pallets WEBHOOK_ID DELIVERY_ID --as lead@example.org")]
    Resend {
        /// ORG or ORG/PROJECT.
        team: OrgOrProject,
        /// The webhook's id.
        id: String,
        /// The delivery's id (from `embargo webhook deliveries`).
        delivery: String,
        #[command(flatten)]
        user: AsUser,
    },
}
