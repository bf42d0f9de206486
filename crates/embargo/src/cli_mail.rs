//! The `embargo mail …` commands and their help.

use std::path::PathBuf;

use clap::Subcommand;

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
    /// The OpenPGP key store: projects' key pairs and recipients' public keys.
    #[command(subcommand)]
    Key(KeyCommand),
    /// What arrived by mail for a report: encryption, signatures, refused parts.
    #[command(after_help = "Example:\n  embargo mail show REPORT_ID --as lead@example.org")]
    Show {
        /// The report's id.
        report: String,
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
        project: String,
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
    /// Make a new key pair for a project; prints the public key to publish.
    #[command(
        after_help = "Example:\n  embargo mail key generate pallets/flask --user-id 'Flask security <security@flask.example>'"
    )]
    Generate {
        /// ORG/PROJECT
        project: String,
        /// The key's user id.
        #[arg(long)]
        user_id: String,
    },
    /// Import a project's secret key (unprotected: it is sealed at rest), or a person's public key.
    #[command(
        after_help = "Examples:\n  gpg --export-secret-keys --armor security@flask.example | embargo mail key import --project pallets/flask -\n  \
                            embargo mail key import --email ada@example.org ada.asc"
    )]
    Import {
        /// The project whose secret key this is.
        #[arg(long, conflicts_with = "email", required_unless_present = "email")]
        project: Option<String>,
        /// The address whose public key this is.
        #[arg(long)]
        email: Option<String>,
        /// The armored key file, or `-` for standard input.
        file: PathBuf,
    },
    /// Print a project's public key.
    #[command(after_help = "Example:\n  embargo mail key export pallets/flask > flask-security.asc")]
    Export {
        /// ORG/PROJECT
        project: String,
    },
    /// List the keys (fingerprints only).
    #[command(after_help = "Example:\n  embargo mail key list")]
    List,
}
