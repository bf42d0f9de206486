//! `embargo bench load`: fills the configured instance through the product's
//! own write path (the demo, then reports through the intake use case), so
//! that `bench/run` can serve it with `embargo serve` and measure it from
//! outside, as a user would.

use std::process::ExitCode;

use anyhow::Context;
use embargo_app::PolicyTarget;
use embargo_app::{AdvisoryQuery, App};
use embargo_core::permission::Actor;
use embargo_core::policy::MAX_HOURLY_LIMIT;
use serde_json::json;

use crate::cli::BenchLoadArgs;

/// The demo's administrator, who files the reports (the intake limits spare administrators).
const ADMIN: &str = "admin@demo.embargo.example";

/// The `[limits]` section the bench's organisations get: the policy maximum
/// under every key, so that the intake benchmark's anonymous reports from one
/// address are counted (the real path) but not refused below that.
fn bench_limits() -> String {
    let n = MAX_HOURLY_LIMIT;
    format!("\n[limits]\nper_address = {n}\nper_account = {n}\nper_email = {n}\nper_project = {n}\n")
}

/// Loads the demo (once, with the bench's limits), files `--add` reports and
/// prints what `bench/run` needs as one JSON object.
pub async fn run(app: &App, args: &BenchLoadArgs) -> anyhow::Result<ExitCode> {
    let accounts = super::super::demo::load(app).await?;
    if accounts.is_some() {
        for (target, file) in super::super::demo::POLICIES.iter().filter(|(target, _)| !target.contains('/')) {
            app.apply_policy(&Actor::Operator, &PolicyTarget::parse(target)?, &format!("{file}{}", bench_limits()))
                .await
                .with_context(|| format!("the bench's limits for {target}"))?;
        }
    }
    let filer = app.act_as(ADMIN).await.context("no demo administrator: give bench load an instance of its own")?;
    let to = args.start.checked_add(args.add).context("--start + --add is too large")?;
    let rates = super::load(app, &filer, args.start, to, args.concurrency).await?;
    let advisory = app
        .advisories(&Actor::Anonymous, &AdvisoryQuery::default())
        .await?
        .into_iter()
        .find(|a| a.published.is_some())
        .map(|a| a.id.to_string());
    let account =
        |pair: Option<&(String, String)>| pair.map(|(email, password)| json!({"email": email, "password": password}));
    let out = json!({
        "created": accounts.is_some(),
        "admin": account(accounts.as_ref().map(|a| &a.admin)),
        "team": account(accounts.as_ref().map(|a| &a.team)),
        "reporter": account(accounts.as_ref().map(|a| &a.reporter)),
        "advisory": advisory,
        "filed": args.add,
        "reports_per_second": (rates.filing * 10.0).round() / 10.0,
        "indexed_per_second": (rates.indexing * 10.0).round() / 10.0,
    });
    println!("{out}");
    Ok(ExitCode::SUCCESS)
}
