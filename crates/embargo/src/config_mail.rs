//! The `[mail]` section of the configuration: the SMTP relay for
//! notifications, the sender address, limits, and the built-in listener.

use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::{Context, bail};
use embargo_core::private::Private;
use embargo_core::text::Email;
use embargo_mail::inbound::Limits;
use embargo_mail::outbound::{OutboundConfig, Security};
use serde::{Deserialize, Serialize};

/// `[mail]`
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MailSettings {
    /// The sender of notifications; replies go to `local+TOKEN@domain` of it.
    pub from: Option<String>,
    /// The largest mail taken in, in bytes.
    pub max_bytes: usize,
    /// Never put private text in mail, even encrypted (only news and a link).
    pub link_only: bool,
    /// The most receipts one address gets per hour.
    pub receipts_per_hour: u64,
    /// Take mail by SMTP on this address (like `serve --smtp-listen`).
    pub smtp_listen: Option<String>,
    /// The relay notifications go through; none: notifications are only logged.
    pub relay: Option<RelaySettings>,
}

impl Default for MailSettings {
    fn default() -> Self {
        MailSettings {
            from: None,
            max_bytes: Limits::default().max_bytes,
            link_only: false,
            receipts_per_hour: 5,
            smtp_listen: None,
            relay: None,
        }
    }
}

/// `[mail.relay]`
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RelaySettings {
    /// The relay's host name.
    pub host: String,
    /// Its port (default: 587 for starttls, 465 for tls, 25 for none).
    pub port: Option<u16>,
    /// `starttls` (default), `tls`, or `none` (only for a relay on this machine).
    #[serde(default = "default_security")]
    pub security: String,
    /// A user name, if the relay wants one.
    pub username: Option<String>,
    /// A file holding the password (or set EMBARGO_SMTP_PASSWORD).
    pub password_file: Option<PathBuf>,
    /// A PEM file of CA certificates for a relay with a private CA.
    pub ca_file: Option<PathBuf>,
}

fn default_security() -> String {
    "starttls".into()
}

/// The commented `[mail]` section `embargo init` writes.
pub const TEMPLATE: &str = r#"
# The e-mail channel. Mail comes in through `embargo mail ingest` (an MTA's
# pipe) or the built-in listener; `embargo mail route set` says which address
# files into which project. See README.md, "E-mail".
# [mail]
# The sender of notifications; replies come back to security+TOKEN@domain.
# from = "security@embargo.example"
# The largest mail taken in, in bytes.
# max_bytes = 10485760
# Never put private text in mail, even encrypted to a known key.
# link_only = false
# The most receipts one address gets per hour (no answer storms).
# receipts_per_hour = 5
# Take mail by SMTP here too (same as serve --smtp-listen); off by default.
# smtp_listen = "0.0.0.0:25"
#
# The relay notifications go through; without it they are only logged.
# [mail.relay]
# host = "smtp.example.org"
# port = 587
# security = "starttls"      # or "tls" (465), or "none" (a relay on this machine only)
# username = "embargo"
# password_file = "/etc/embargo/smtp-password"   # or EMBARGO_SMTP_PASSWORD
# ca_file = "/etc/embargo/relay-ca.pem"
"#;

impl MailSettings {
    /// The limits for inbound mail.
    pub fn limits(&self) -> Limits {
        Limits { max_bytes: self.max_bytes, ..Limits::default() }
    }

    /// The listener's address: the flag, else the setting.
    pub fn smtp_listen(&self, flag: Option<&str>) -> anyhow::Result<Option<SocketAddr>> {
        let Some(value) = flag.or(self.smtp_listen.as_deref()) else { return Ok(None) };
        let addr = value
            .parse()
            .with_context(|| format!("setting mail.smtp_listen: {value:?} is not an address such as 0.0.0.0:25"))?;
        Ok(Some(addr))
    }

    /// Checks the section; answers the relay's settings when one is configured.
    pub fn outbound(&self, public_url: &str) -> anyhow::Result<Option<OutboundConfig>> {
        if !(1024..=256 * 1024 * 1024).contains(&self.max_bytes) {
            bail!("setting mail.max_bytes: {} must be between 1024 and 268435456", self.max_bytes);
        }
        let Some(relay) = &self.relay else { return Ok(None) };
        let Some(from) = &self.from else {
            bail!("setting mail.from: needed when mail.relay is set (the sender of notifications)");
        };
        let from: Email = from.parse().with_context(|| format!("setting mail.from: {from:?}"))?;
        let security = match relay.security.as_str() {
            "starttls" => Security::StartTls,
            "tls" => Security::Tls,
            "none" => Security::None,
            other => bail!("setting mail.relay.security: {other:?} must be starttls, tls or none"),
        };
        let loopback = matches!(relay.host.as_str(), "localhost" | "127.0.0.1" | "::1");
        if security == Security::None && !loopback {
            bail!("setting mail.relay.security: none is only allowed for a relay on this machine (localhost)");
        }
        let password = match (std::env::var("EMBARGO_SMTP_PASSWORD").ok(), &relay.password_file) {
            (Some(p), _) => Some(p),
            (None, Some(path)) => Some(
                std::fs::read_to_string(path)
                    .with_context(|| format!("setting mail.relay.password_file: cannot read {}", path.display()))?
                    .trim_end()
                    .to_owned(),
            ),
            (None, None) => None,
        };
        if relay.username.is_some() != password.is_some() {
            bail!("setting mail.relay.username: give both a user name and a password (password_file), or neither");
        }
        let port = relay.port.unwrap_or(match security {
            Security::StartTls => 587,
            Security::Tls => 465,
            Security::None => 25,
        });
        Ok(Some(OutboundConfig {
            host: relay.host.clone(),
            port,
            security,
            username: relay.username.clone(),
            password: password.map(Private::new),
            ca_file: relay.ca_file.clone(),
            from,
            public_url: public_url.to_owned(),
            link_only: self.link_only,
            receipts_per_hour: self.receipts_per_hour,
        }))
    }
}
