//! `embargo admin org cve-services ORG`: set an organisation's CVE Services
//! credentials (checked with CVE Services first; the API key sealed at rest)
//! or show whether they are set.

use std::path::PathBuf;

use anyhow::Context;
use embargo_app::{App, CveServicesInput, CveServicesStatus};
use embargo_core::permission::Actor;
use embargo_core::private::Private;
use embargo_core::text::Slug;

/// What to set; nothing (no `url`) shows the account instead.
pub(crate) struct Set {
    pub(crate) url: Option<String>,
    pub(crate) short_name: Option<String>,
    pub(crate) user: Option<String>,
    pub(crate) api_key_file: Option<PathBuf>,
    pub(crate) pool_size: Option<u32>,
}

fn api_key(file: Option<&PathBuf>) -> anyhow::Result<String> {
    let key = match file {
        Some(path) => std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?,
        None => std::env::var("EMBARGO_CVE_API_KEY")
            .context("give the API key with --api-key-file FILE or in EMBARGO_CVE_API_KEY")?,
    };
    Ok(key.trim().to_owned())
}

fn print(status: &CveServicesStatus) {
    let unassigned: Vec<&str> = status.unassigned.iter().map(|c| c.as_str()).collect();
    let Some(account) = &status.account else {
        if crate::output::json() {
            println!("{}", serde_json::json!({"configured": false}));
        } else {
            println!("no CVE Services credentials are set");
        }
        return;
    };
    if crate::output::json() {
        let json = serde_json::json!({"configured": true, "url": account.url, "short_name": account.short_name,
            "user": account.user, "cna_org_id": account.cna_org_id, "pool_size": account.pool_size,
            "unassigned": unassigned});
        println!("{json}");
        return;
    }
    println!("{:<20} {}", "url", account.url);
    println!("{:<20} {}", "short name", account.short_name);
    println!("{:<20} {}", "user", account.user);
    println!("{:<20} {}", "CNA org UUID", account.cna_org_id);
    println!("{:<20} {}", "pool size", account.pool_size);
    println!("{:<20} {}", "reserved, unused", unassigned.join(" "));
    println!("{:<20} {}", "set", crate::output::when(account.updated_at));
}

/// Runs the command as the operator.
pub(crate) async fn run(app: &App, org: &Slug, set: Set) -> anyhow::Result<()> {
    let Some(url) = set.url else {
        print(&app.cve_services(&Actor::Operator, org).await?);
        return Ok(());
    };
    let input = CveServicesInput {
        url,
        short_name: set.short_name.unwrap_or_default(),
        user: set.user.unwrap_or_default(),
        api_key: Private::new(api_key(set.api_key_file.as_ref())?),
        pool_size: set.pool_size,
    };
    let status = app.set_cve_services(&Actor::Operator, org, input).await?;
    if !crate::output::json() {
        println!("CVE Services accepted the credentials; they are stored");
    }
    print(&status);
    Ok(())
}
