//! `embargo healthcheck`: asks a running server's `/readyz` and exits 0 when
//! it answers 200. A plain HTTP/1.1 request over TCP, so that a container
//! image needs no curl.

use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context, bail};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::cli::HealthcheckArgs;
use crate::config::Config;

/// How long the whole check may take.
const TIMEOUT: Duration = Duration::from_secs(5);

/// Runs the check.
pub async fn run(config: &Config, args: HealthcheckArgs) -> anyhow::Result<ExitCode> {
    let url = args.url.unwrap_or_else(|| format!("http://{}", config.listen));
    let status = tokio::time::timeout(TIMEOUT, ready_status(&url))
        .await
        .with_context(|| format!("{url}/readyz did not answer within {} s", TIMEOUT.as_secs()))??;
    if status == 200 {
        println!("ready");
        Ok(ExitCode::SUCCESS)
    } else {
        crate::output::error(&format!("{url}/readyz answered {status}"));
        Ok(ExitCode::FAILURE)
    }
}

async fn ready_status(url: &str) -> anyhow::Result<u16> {
    let Some(authority) = url.strip_prefix("http://") else {
        bail!("{url:?}: healthcheck speaks plain http:// to the server's own listener");
    };
    let authority = authority.trim_end_matches('/');
    // 0.0.0.0 and [::] are where a server listens, not where one connects.
    let target = authority.replace("0.0.0.0", "127.0.0.1").replace("[::]", "[::1]");
    let mut stream =
        tokio::net::TcpStream::connect(&target).await.with_context(|| format!("cannot connect to {target}"))?;
    let request = format!("GET /readyz HTTP/1.1\r\nHost: {authority}\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await?;
    let mut head = vec![0u8; 64];
    let n = stream.read(&mut head).await?;
    let line = String::from_utf8_lossy(head.get(..n).unwrap_or_default()).into_owned();
    line.split(' ')
        .nth(1)
        .and_then(|code| code.parse().ok())
        .with_context(|| format!("{target} did not answer HTTP: {:?}", line.lines().next().unwrap_or_default()))
}
