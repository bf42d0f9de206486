//! Logging: a filter (setting `log`, as for `RUST_LOG`), text or JSON lines
//! (setting `log_format`), on standard error. Colour only when standard error
//! is a terminal, so files and journals get plain text.

use std::io::IsTerminal;

use anyhow::Context;
use tracing_subscriber::EnvFilter;

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    /// One human-readable line per event.
    Text,
    /// One JSON object per event (for log collectors).
    Json,
}

impl std::str::FromStr for LogFormat {
    type Err = anyhow::Error;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "text" => Ok(LogFormat::Text),
            "json" => Ok(LogFormat::Json),
            other => anyhow::bail!("{other:?} is not a log format: text or json"),
        }
    }
}

/// Checks a filter; the error names the setting and the value.
pub fn parse_filter(filter: &str) -> anyhow::Result<EnvFilter> {
    EnvFilter::builder()
        .parse(filter)
        .with_context(|| format!("setting log: {filter:?} is not a log filter such as `info` or `embargo=debug,info`"))
}

/// Starts logging. A second initialisation in one process is ignored.
pub fn init(filter: &str, format: LogFormat) -> anyhow::Result<()> {
    let filter = parse_filter(filter)?;
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    let _ = match format {
        LogFormat::Text => builder.with_ansi(std::io::stderr().is_terminal()).try_init(),
        LogFormat::Json => builder.json().flatten_event(true).with_current_span(true).try_init(),
    };
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_invalid_filter_is_refused_naming_it() {
        let error = format!("{:#}", parse_filter("embargo=loud").unwrap_err());
        assert!(error.contains("setting log") && error.contains("embargo=loud"), "{error}");
        assert!(parse_filter("embargo=debug,info").is_ok());
    }

    #[test]
    fn formats_are_text_or_json() {
        assert_eq!("json".parse::<LogFormat>().unwrap(), LogFormat::Json);
        assert_eq!("text".parse::<LogFormat>().unwrap(), LogFormat::Text);
        assert!("yaml".parse::<LogFormat>().is_err());
    }
}
