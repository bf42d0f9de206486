//! `embargo bench bare`: one file's bytes at every path and method, with
//! nothing else in the way: bare axum on the same runtime settings as
//! `embargo serve`, the ceiling `bench/run` compares cached public pages with
//! ("at least half of bare axum serving the same bytes").

use std::process::ExitCode;

use anyhow::Context;
use axum::body::Bytes;
use axum::http::{HeaderValue, header};
use axum::response::IntoResponse;

use crate::cli::BenchBareArgs;

/// Serves `--file` until stopped.
pub async fn run(args: &BenchBareArgs) -> anyhow::Result<ExitCode> {
    let body = Bytes::from(std::fs::read(&args.file).with_context(|| format!("cannot read {}", args.file.display()))?);
    let content_type = HeaderValue::from_str(&args.content_type).context("--content-type")?;
    let router = axum::Router::new().fallback(move || {
        let (body, content_type) = (body.clone(), content_type.clone());
        async move { ([(header::CONTENT_TYPE, content_type)], body).into_response() }
    });
    let listener = tokio::net::TcpListener::bind(args.address)
        .await
        .with_context(|| format!("cannot listen on {}", args.address))?;
    crate::output::note(&format!("bench bare: {} on {}", args.file.display(), args.address));
    axum::serve(listener, router).await.context("bench bare")?;
    Ok(ExitCode::SUCCESS)
}
