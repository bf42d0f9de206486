//! Commands on published formats and policies: CVSS, imports, exports, policy files.

use std::path::PathBuf;

use clap::{Args, Subcommand};
use embargo_core::text::{OrgOrProject, ProjectPath, Slug};

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
    /// Import GitHub repository security advisories (the REST API's JSON) into a project, as reports and advisories.
    /// All files are checked first and written in one transaction: one bad file and nothing is stored.
    #[command(after_help = "Examples:\n  gh api repos/OWNER/REPO/security-advisories --paginate > advisories.json\n  \
                            embargo import ghsa advisories.json --project pallets/flask\n  \
                            embargo import ghsa ./github-advisories --project pallets/flask   # every *.json below\n\n\
                            A file holds one advisory or a list of them. Each becomes a report with its history\n\
                            (triage -> triaging, draft -> accepted, published and withdrawn -> disclosed, closed ->\n\
                            declined as not a vulnerability) and, unless closed, an advisory linked to it: published\n\
                            and withdrawn ones published, drafts and reports in triage as drafts only the team sees.\n\
                            Credits, CVSS, CWEs and dates are kept; what is not (authors, collaborators, private\n\
                            forks) is named per advisory. Importing again files no report twice.")]
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
