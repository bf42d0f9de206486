//! `embargo init`: the data directory, a commented config file, the secret key.

use std::process::ExitCode;

use crate::cli::InitArgs;
use crate::config::{Config, ensure_data_dir, new_secret, template};

/// Prepares a data directory (idempotent: keeps what exists).
pub async fn run(config: Config, args: InitArgs) -> anyhow::Result<ExitCode> {
    if args.print_secret {
        println!("{}", new_secret()?.to_base64());
        return Ok(ExitCode::SUCCESS);
    }
    ensure_data_dir(&config.data_dir)?;
    let file = config.data_dir.join("embargo.toml");
    if file.exists() {
        println!("kept      {}", file.display());
    } else {
        std::fs::write(&file, template())?;
        println!("wrote     {}", file.display());
    }
    let app = super::open(&config, true).await?;
    app.close().await;
    println!("database  {}", config.database);
    println!();
    println!("Next: `embargo --data-dir {} serve`, then create the first administrator.", config.data_dir.display());
    Ok(ExitCode::SUCCESS)
}
