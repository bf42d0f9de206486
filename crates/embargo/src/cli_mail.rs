//! The `embargo mail …` commands and their help.

use std::path::PathBuf;

use clap::{ArgGroup, Subcommand};
use embargo_core::id::ReportId;
use embargo_core::text::{ProjectPath, Slug};

use crate::cli::AsUser;

/// `mail …`
#[derive(Debug, Subcommand)]
pub enum MailCommand {
    /// File one mail read from standard input (for an MTA's pipe transport).
    #[command(after_help = "\
Reads one RFC 5322 message on standard input and files it: a new report, a
message on the report it answers, or nothing (a duplicate, an auto-reply).

Example (Postfix), /etc/postfix/master.cf:
  embargo   unix  -       n       n       -       -       pipe
    flags=Rq user=embargo argv=/usr/local/bin/embargo --data-dir /var/lib/embargo
    mail ingest --sender ${sender} --recipient ${recipient}
and /etc/postfix/transport (postmap it; set transport_maps and recipient_delimiter = +):
  security@flask.example   embargo:
  security@embargo.example embargo:

Exit codes (sysexits, as MTAs read them):
  0   filed, or dropped on purpose (duplicate, auto-reply, bounce)
  65  the mail is refused (too large, malformed, unreadable encryption); the MTA bounces it
  67  no project takes mail for its address
  75  temporary failure (database unavailable); the MTA keeps the mail and retries")]
    Ingest {
        /// The envelope sender (MAIL FROM); empty for bounces.
        #[arg(long)]
        sender: Option<String>,
        /// An envelope recipient (RCPT TO); repeatable. Default: the mail's headers.
        #[arg(long = "recipient")]
        recipients: Vec<String>,
    },
    /// Which address files into which project.
    #[command(subcommand)]
    Route(RouteCommand),
    /// The OpenPGP key store: organisations' and projects' key pairs, recipients' public keys.
    #[command(subcommand)]
    Key(KeyCommand),
    /// What arrived by mail for a report: encryption, signatures, refused parts (with --json, one object per mail).
    #[command(after_help = "Examples:\n  embargo mail show REPORT_ID --as lead@example.org\n  \
                      embargo --json mail show REPORT_ID --as lead@example.org")]
    Show {
        /// The report's id.
        report: ReportId,
        /// Who is asking.
        #[command(flatten)]
        actor: AsUser,
    },
}

/// `mail route …`
#[derive(Debug, Subcommand)]
pub enum RouteCommand {
    /// File mail for ADDRESS into ORG/PROJECT; ADDRESS `*` is the instance's catch-all.
    #[command(after_help = "Examples:\n  embargo mail route set security@flask.example pallets/flask\n  \
                            embargo mail route set '*' pallets/triage")]
    Set {
        /// The security address, or `*`.
        address: String,
        /// ORG/PROJECT
        project: ProjectPath,
    },
    /// Stop filing mail for ADDRESS.
    #[command(after_help = "Example:\n  embargo mail route remove security@flask.example")]
    Remove {
        /// The address, or `*`.
        address: String,
    },
    /// List the routes.
    #[command(after_help = "Example:\n  embargo mail route list")]
    List,
}

/// `mail key …`
#[derive(Debug, Subcommand)]
pub enum KeyCommand {
    /// Make a new key pair for a project, or with --org for an organisation; prints the public key to publish.
    #[command(after_help = "\
A project's key pair: mail to its security address may be encrypted to it.
An organisation's key pair clear-signs its /.well-known/security.txt (RFC 9116
section 2.3) and is served at /api/v1/orgs/ORG/openpgp.asc, unless the
organisation's policy names another key (channels.openpgp_key).

Examples:
  embargo mail key generate pallets/flask --user-id 'Flask security <security@flask.example>'
  embargo mail key generate --org pallets --user-id 'Pallets security <security@pallets.example>'")]
    Generate {
        /// ORG/PROJECT
        #[arg(conflicts_with = "org", required_unless_present = "org")]
        project: Option<ProjectPath>,
        /// The organisation whose key pair this is (it signs the organisation's security.txt).
        #[arg(long)]
        org: Option<Slug>,
        /// The key's user id.
        #[arg(long)]
        user_id: String,
    },
    /// Import an organisation's or a project's secret key (unprotected: it is sealed at rest), or a person's public key.
    #[command(
        group(ArgGroup::new("owner").required(true).args(["org", "project", "email"])),
        after_help = "\
An organisation's key must be able to sign: it clear-signs the organisation's
/.well-known/security.txt from then on.

Examples:
  gpg --export-secret-keys --armor security@flask.example | embargo mail key import --project pallets/flask -
  gpg --export-secret-keys --armor security@pallets.example | embargo mail key import --org pallets -
  embargo mail key import --email ada@example.org ada.asc"
    )]
    Import {
        /// The organisation whose secret key this is.
        #[arg(long)]
        org: Option<Slug>,
        /// The project (ORG/PROJECT) whose secret key this is.
        #[arg(long)]
        project: Option<ProjectPath>,
        /// The address whose public key this is.
        #[arg(long)]
        email: Option<String>,
        /// The armored key file, or `-` for standard input.
        file: PathBuf,
    },
    /// Print a project's public key, or with --org an organisation's.
    #[command(after_help = "Examples:\n  embargo mail key export pallets/flask > flask-security.asc\n  \
                            embargo mail key export --org pallets > pallets-security.asc")]
    Export {
        /// ORG/PROJECT
        #[arg(conflicts_with = "org", required_unless_present = "org")]
        project: Option<ProjectPath>,
        /// The organisation whose public key to print.
        #[arg(long)]
        org: Option<Slug>,
    },
    /// Remove a key from the key store; without its organisation's key, security.txt is served unsigned.
    #[command(
        group(ArgGroup::new("owner").required(true).args(["org", "project", "email"])),
        after_help = "\
Mail encrypted to a removed organisation's or project's key can no longer be read.

Examples:
  embargo mail key remove --org pallets
  embargo mail key remove --email ada@example.org"
    )]
    Remove {
        /// The organisation whose key pair to remove.
        #[arg(long)]
        org: Option<Slug>,
        /// The project (ORG/PROJECT) whose key pair to remove.
        #[arg(long)]
        project: Option<ProjectPath>,
        /// The address whose public key to remove.
        #[arg(long)]
        email: Option<String>,
    },
    /// List the keys (fingerprints only).
    #[command(after_help = "Example:\n  embargo mail key list")]
    List,
}
