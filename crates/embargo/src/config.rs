//! Configuration: defaults, then `DATA_DIR/embargo.toml`, then `EMBARGO_*`
//! variables, then flags. Validated before anything starts; an unsafe or
//! malformed value stops the program naming the setting.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use embargo_store::DatabaseUrl;
use embargo_store::seal::SecretKey;
use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use serde::{Deserialize, Serialize};

/// The settings a config file or the environment may hold.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    /// Where the HTTP server listens.
    pub listen: String,
    /// The address people reach the instance at (for links); default `http://LISTEN`.
    pub public_url: Option<String>,
    /// `sqlite://PATH` or `postgres://…`; default SQLite inside the data directory.
    pub database_url: Option<String>,
    /// The largest request body accepted, in bytes.
    pub max_body_bytes: usize,
    /// How long a browser session lasts, in days.
    pub session_days: u32,
    /// Send cookies with the Secure flag; default: when `public_url` is https.
    pub secure_cookies: Option<bool>,
    /// A file holding the instance secret (base64); default `DATA_DIR/secret.key`.
    pub secret_key_file: Option<PathBuf>,
    /// Log filter (`info`, `embargo=debug,info`).
    pub log: String,
    /// `text` or `json` log lines.
    pub log_format: String,
    /// Serve `/metrics` on the main listener.
    pub metrics: bool,
    /// Serve `/metrics` on a listener of its own (and not on the main one).
    pub metrics_listen: Option<String>,
    /// Let outgoing calls (webhooks) reach loopback and private addresses.
    #[serde(default)]
    pub outbound_allow_private: bool,
    /// Seconds a claimed job stays leased without a heartbeat.
    pub job_lease_secs: u32,
    /// How many background jobs a replica runs at once.
    pub job_concurrency: usize,
    /// The e-mail channel (`[mail]`).
    #[serde(default)]
    pub mail: crate::config_mail::MailSettings,
    /// Single sign-on (`[oidc]`).
    #[serde(default)]
    pub oidc: crate::config_oidc::OidcSettings,
    /// Caches and memory (`[performance]`).
    #[serde(default)]
    pub performance: crate::config_performance::PerformanceSettings,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            listen: "127.0.0.1:8080".into(),
            public_url: None,
            database_url: None,
            max_body_bytes: 256 * 1024,
            session_days: 14,
            secure_cookies: None,
            secret_key_file: None,
            log: "info".into(),
            log_format: "text".into(),
            metrics: false,
            metrics_listen: None,
            outbound_allow_private: false,
            job_lease_secs: 15,
            job_concurrency: embargo_app::DEFAULT_JOB_CONCURRENCY,
            mail: crate::config_mail::MailSettings::default(),
            oidc: crate::config_oidc::OidcSettings::default(),
            performance: crate::config_performance::PerformanceSettings::default(),
        }
    }
}

/// The commented configuration `embargo init` writes: every default, commented out.
pub const TEMPLATE: &str = r#"# Embargo configuration.
#
# Every setting below shows its default. Each can also be set with an
# environment variable EMBARGO_<NAME> (for example EMBARGO_LISTEN), which wins
# over this file; command-line flags win over both.

# Where the HTTP server listens.
# listen = "127.0.0.1:8080"

# The address people reach this instance at, used in links and cookies.
# Set it when Embargo runs behind a reverse proxy (https://security.example.org).
# public_url = "http://127.0.0.1:8080"

# The database: sqlite://PATH (the default, inside the data directory) or
# postgres://USER:PASSWORD@HOST/DATABASE for several replicas.
# database_url = "sqlite://<data dir>/embargo.db"

# The largest request body accepted, in bytes (256 KiB of text by default).
# max_body_bytes = 262144

# How long a browser session lasts, in days.
# session_days = 14

# Send cookies only over HTTPS. Defaults to true when public_url is https.
# secure_cookies = false

# The instance secret that seals private text at rest and keys the audit log.
# It lives outside the database; back it up separately. With PostgreSQL every
# replica needs the same secret (or set EMBARGO_SECRET_KEY).
# secret_key_file = "<data dir>/secret.key"

# Log filter, as for RUST_LOG. An invalid filter stops the program naming it.
# Every request is logged at info (target embargo::access): method, route,
# status, time and request id; the secret of a private link is never logged.
# log = "info"

# Log lines as "text" (colour only on a terminal) or "json" (one object per
# line, for log collectors). Also --log-format.
# log_format = "text"

# Metrics in the Prometheus text format at /metrics. Off by default: metrics
# are never public unless you say so. Either serve them on the main listener
# (then restrict /metrics at your reverse proxy)...
# metrics = false
# ...or on a listener of their own, e.g. on loopback or a private network
# (also --metrics-listen); /metrics is then not served on the main listener.
# metrics_listen = "127.0.0.1:9090"

# Outgoing webhooks never call loopback, private or link-local addresses
# (checked on the address a name resolves to), so a webhook URL cannot reach
# services inside your network. Allow them only on a closed network.
# outbound_allow_private = false

# Background jobs (notification mail, timers) are leased to one replica at a
# time. A worker renews its lease every third of this while a job runs; when
# a replica dies, another takes its jobs over this many seconds after its
# last renewal. Between 3 and 600.
# job_lease_secs = 15

# How many background jobs a replica runs at once. The runner claims due
# jobs in batches, taking every kind of job in turn (a flood of notices never
# holds back a timer or a webhook), and keeps this many running, so mail
# waiting on the relay does not hold the rest back. Jobs mostly wait on the
# database, the relay or a receiver: a few per core is right. Between 1 and 256.
# job_concurrency = 8
"#;

/// The whole commented configuration: the settings above, `[mail]`, `[oidc]` and `[performance]`.
pub fn template() -> String {
    format!(
        "{TEMPLATE}{}{}{}",
        crate::config_mail::TEMPLATE,
        crate::config_oidc::TEMPLATE,
        crate::config_performance::TEMPLATE
    )
}

/// Everything a command needs, resolved and validated.
#[derive(Debug, Clone)]
pub struct Config {
    /// The data directory.
    pub data_dir: PathBuf,
    /// The validated settings.
    pub settings: Settings,
    /// The parsed listen address.
    pub listen: SocketAddr,
    /// The parsed database URL.
    pub database: DatabaseUrl,
    /// The public URL, without a trailing slash.
    pub public_url: String,
    /// Whether cookies get the Secure flag.
    pub secure_cookies: bool,
    /// How log lines are written.
    pub log_format: crate::logging::LogFormat,
    /// Where `/metrics` is served, if anywhere.
    pub metrics: MetricsAt,
}

/// Where `/metrics` is served.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MetricsAt {
    /// Nowhere (the default).
    Off,
    /// On the main listener.
    Main,
    /// On a listener of its own.
    Listen(SocketAddr),
}

/// Values given on the command line, which win over everything else.
#[derive(Debug, Default, Clone)]
pub struct Overrides {
    /// `--data-dir` / `EMBARGO_DATA_DIR`.
    pub data_dir: PathBuf,
    /// `--database-url` / `EMBARGO_DATABASE_URL`.
    pub database_url: Option<String>,
    /// `--listen` / `EMBARGO_LISTEN`.
    pub listen: Option<String>,
    /// `--log-format` / `EMBARGO_LOG_FORMAT`.
    pub log_format: Option<String>,
    /// `serve --metrics-listen` / `EMBARGO_METRICS_LISTEN`.
    pub metrics_listen: Option<String>,
}

/// The environment variables that are settings (others with the prefix,
/// like `EMBARGO_DATA_DIR`, are read elsewhere).
const ENV_SETTINGS: [&str; 14] = [
    "listen",
    "public_url",
    "database_url",
    "max_body_bytes",
    "session_days",
    "secure_cookies",
    "secret_key_file",
    "log",
    "log_format",
    "metrics",
    "metrics_listen",
    "outbound_allow_private",
    "job_lease_secs",
    "job_concurrency",
];

impl Config {
    /// Loads and validates the configuration.
    pub fn load(overrides: &Overrides) -> anyhow::Result<Config> {
        let data_dir = overrides.data_dir.clone();
        let file = data_dir.join("embargo.toml");
        let mut figment = Figment::from(Serialized::defaults(Settings::default()))
            .merge(Toml::file(&file))
            .merge(Env::prefixed("EMBARGO_").only(&ENV_SETTINGS))
            .merge(
                Env::prefixed("EMBARGO_OIDC_")
                    .only(&crate::config_oidc::ENV_KEYS)
                    .map(|key| format!("oidc.{key}").into()),
            )
            .merge(
                Env::prefixed("EMBARGO_PERFORMANCE_")
                    .only(&crate::config_performance::ENV_KEYS)
                    .map(|key| format!("performance.{key}").into()),
            );
        if let Some(url) = &overrides.database_url {
            figment = figment.merge(Serialized::default("database_url", url));
        }
        if let Some(listen) = &overrides.listen {
            figment = figment.merge(Serialized::default("listen", listen));
        }
        if let Some(format) = &overrides.log_format {
            figment = figment.merge(Serialized::default("log_format", format));
        }
        if let Some(addr) = &overrides.metrics_listen {
            figment = figment.merge(Serialized::default("metrics_listen", addr));
        }
        let settings: Settings = figment.extract().map_err(|e| anyhow::anyhow!("invalid configuration: {e}"))?;
        let listen: SocketAddr = settings.listen.parse().with_context(|| {
            format!("setting listen: {:?} is not an address such as 127.0.0.1:8080", settings.listen)
        })?;
        let database = match &settings.database_url {
            Some(url) => url.parse::<DatabaseUrl>().context("setting database_url")?,
            None => DatabaseUrl::Sqlite(data_dir.join("embargo.db")),
        };
        let public_url = settings.public_url.clone().unwrap_or_else(|| format!("http://{listen}"));
        let public_url = public_url.trim_end_matches('/').to_owned();
        if !(public_url.starts_with("http://") || public_url.starts_with("https://")) {
            bail!("setting public_url: {public_url:?} must start with http:// or https://");
        }
        if !(1024..=64 * 1024 * 1024).contains(&settings.max_body_bytes) {
            bail!("setting max_body_bytes: {} must be between 1024 and 67108864", settings.max_body_bytes);
        }
        if !(1..=365).contains(&settings.session_days) {
            bail!("setting session_days: {} must be between 1 and 365", settings.session_days);
        }
        if !(3..=600).contains(&settings.job_lease_secs) {
            bail!("setting job_lease_secs: {} must be between 3 and 600", settings.job_lease_secs);
        }
        if !(1..=256).contains(&settings.job_concurrency) {
            bail!("setting job_concurrency: {} must be between 1 and 256", settings.job_concurrency);
        }
        let https = public_url.starts_with("https://");
        let secure_cookies = settings.secure_cookies.unwrap_or(https);
        if https && !secure_cookies {
            bail!("setting secure_cookies: must not be false when public_url is https");
        }
        settings.mail.outbound(&public_url)?;
        settings.oidc.wire(&public_url, settings.outbound_allow_private)?;
        settings.performance.check()?;
        crate::logging::parse_filter(&settings.log)?;
        let log_format = settings.log_format.parse().context("setting log_format")?;
        let metrics = match (&settings.metrics_listen, settings.metrics) {
            (Some(addr), _) => MetricsAt::Listen(addr.parse().with_context(|| {
                format!("setting metrics_listen: {addr:?} is not an address such as 127.0.0.1:9090")
            })?),
            (None, true) => MetricsAt::Main,
            (None, false) => MetricsAt::Off,
        };
        if let MetricsAt::Listen(addr) = metrics
            && addr == listen
        {
            bail!("setting metrics_listen: {addr} is the main listener; set metrics = true instead");
        }
        Ok(Config { data_dir, listen, database, public_url, secure_cookies, log_format, metrics, settings })
    }

    /// Whether the database is an SQLite file.
    pub fn is_sqlite(&self) -> bool {
        matches!(self.database, DatabaseUrl::Sqlite(_))
    }

    /// Refuses to serve when the data directory, the secret key file or the
    /// SQLite database can be read by others than their owner, naming the
    /// file and the fix. Files that do not exist yet are made private later.
    pub fn check_private_files(&self) -> anyhow::Result<()> {
        let mut paths = vec![("data directory", self.data_dir.clone())];
        if std::env::var_os("EMBARGO_SECRET_KEY").is_none() {
            paths.push(("secret key file", self.secret_key_path()));
        }
        if let DatabaseUrl::Sqlite(path) = &self.database {
            paths.push(("database", path.clone()));
        }
        for (what, path) in paths {
            check_private(what, &path)?;
        }
        Ok(())
    }

    fn secret_key_path(&self) -> PathBuf {
        self.settings.secret_key_file.clone().unwrap_or_else(|| self.data_dir.join("secret.key"))
    }

    /// The instance secret: `EMBARGO_SECRET_KEY`, else the key file. With
    /// `create`, a missing key file is made (SQLite only: replicas of a
    /// PostgreSQL instance must share one secret, so it is never invented).
    pub fn secret_key(&self, create: bool) -> anyhow::Result<SecretKey> {
        if let Ok(value) = std::env::var("EMBARGO_SECRET_KEY") {
            return value.parse().context("EMBARGO_SECRET_KEY");
        }
        let path = self.secret_key_path();
        match std::fs::read_to_string(&path) {
            Ok(text) => text.parse().with_context(|| format!("secret key file {}", path.display())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && create && self.is_sqlite() => {
                let key = new_secret()?;
                write_private_file(&path, &format!("{}\n", key.to_base64()))?;
                Ok(key)
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && !self.is_sqlite() => bail!(
                "no instance secret: with PostgreSQL set EMBARGO_SECRET_KEY (the same on every replica) \
                 or secret_key_file; make one with `embargo init --print-secret`"
            ),
            Err(e) => Err(e).with_context(|| format!("cannot read the secret key file {}", path.display())),
        }
    }
}

/// How many password hashes may run at once on this machine: sized from the
/// memory available (`MemAvailable` in `/proc/meminfo`, else 1 GiB) and the cores.
pub fn password_hash_slots() -> usize {
    let available = std::fs::read_to_string("/proc/meminfo").ok().and_then(|text| {
        let line = text.lines().find(|l| l.starts_with("MemAvailable:"))?;
        let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
        kib.checked_mul(1024)
    });
    let cpus = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
    embargo_app::secret::hash_slots_for(available.unwrap_or(1 << 30), cpus)
}

/// A new random secret.
pub fn new_secret() -> anyhow::Result<SecretKey> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| anyhow::anyhow!("no randomness: {e}"))?;
    Ok(SecretKey::from_bytes(bytes))
}

/// Creates the data directory, readable by its owner only.
pub fn ensure_data_dir(path: &Path) -> anyhow::Result<()> {
    use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
    if path.exists() {
        let mode = std::fs::metadata(path)?.permissions().mode() & 0o777;
        if mode & 0o077 != 0 {
            tracing::warn!(path = %path.display(), mode = format!("{mode:o}"), "the data directory is readable by others");
        }
        return Ok(());
    }
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(path)
        .with_context(|| format!("cannot create the data directory {}", path.display()))?;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o700))?;
    Ok(())
}

/// Fails, naming the file, when `path` exists and its group or others have
/// any access to it (a missing path passes).
pub fn check_private(what: &str, path: &Path) -> anyhow::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let mode = match std::fs::metadata(path) {
        Ok(meta) => meta.permissions().mode() & 0o777,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(e).with_context(|| format!("cannot read the {what} {}", path.display())),
    };
    if mode & 0o077 != 0 {
        let fix = if std::fs::metadata(path).is_ok_and(|m| m.is_dir()) { "700" } else { "600" };
        bail!(
            "the {what} {} is readable by others (mode {mode:o}); refusing to start: run `chmod {fix} {}`",
            path.display(),
            path.display()
        );
    }
    Ok(())
}

/// Writes a file only its owner may read, refusing to overwrite.
pub fn write_private_file(path: &Path, content: &str) -> anyhow::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .with_context(|| format!("cannot create {}", path.display()))?;
    file.write_all(content.as_bytes())?;
    file.sync_all()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(dir: &Path, database_url: Option<&str>) -> anyhow::Result<Config> {
        Config::load(&Overrides {
            data_dir: dir.to_owned(),
            database_url: database_url.map(str::to_owned),
            ..Overrides::default()
        })
    }

    #[test]
    fn defaults_put_sqlite_in_the_data_dir() {
        let dir = tempfile::tempdir().unwrap();
        let config = load(dir.path(), None).unwrap();
        assert_eq!(config.database, DatabaseUrl::Sqlite(dir.path().join("embargo.db")));
        assert_eq!(config.public_url, "http://127.0.0.1:8080");
        assert!(!config.secure_cookies);
    }

    #[test]
    fn a_url_without_a_scheme_is_refused_naming_the_setting() {
        let dir = tempfile::tempdir().unwrap();
        let error = format!("{:#}", load(dir.path(), Some("./embargo.db")).unwrap_err());
        assert!(error.contains("database_url"), "{error}");
    }

    #[test]
    fn the_config_file_is_read_and_unknown_keys_refused() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("embargo.toml"), "public_url = \"https://security.example.org/\"\n").unwrap();
        let config = load(dir.path(), None).unwrap();
        assert_eq!(config.public_url, "https://security.example.org");
        assert!(config.secure_cookies, "https implies secure cookies");
        std::fs::write(dir.path().join("embargo.toml"), "lisen = \"0.0.0.0:80\"\n").unwrap();
        let error = format!("{:#}", load(dir.path(), None).unwrap_err());
        assert!(error.contains("lisen"), "{error}");
    }

    #[test]
    fn metrics_are_off_unless_asked_for_and_bad_values_name_the_setting() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(load(dir.path(), None).unwrap().metrics, MetricsAt::Off);
        std::fs::write(dir.path().join("embargo.toml"), "metrics = true\n").unwrap();
        assert_eq!(load(dir.path(), None).unwrap().metrics, MetricsAt::Main);
        std::fs::write(dir.path().join("embargo.toml"), "metrics_listen = \"127.0.0.1:9090\"\n").unwrap();
        assert_eq!(load(dir.path(), None).unwrap().metrics, MetricsAt::Listen("127.0.0.1:9090".parse().unwrap()));
        for (file, setting) in [
            ("metrics_listen = \"nowhere\"\n", "metrics_listen"),
            ("log = \"embargo=loud\"\n", "setting log"),
            ("log_format = \"yaml\"\n", "log_format"),
        ] {
            std::fs::write(dir.path().join("embargo.toml"), file).unwrap();
            let error = format!("{:#}", load(dir.path(), None).unwrap_err());
            assert!(error.contains(setting), "{file}: {error}");
        }
    }

    #[test]
    fn single_sign_on_is_checked_at_load_naming_the_setting_issue_12() {
        let dir = tempfile::tempdir().unwrap();
        let secret = dir.path().join("oidc-secret");
        std::fs::write(&secret, "s3cret\n").unwrap();
        let base = format!(
            "outbound_allow_private = true\n[oidc]\nissuer = \"http://127.0.0.1:9999\"\nclient_id = \"embargo\"\n\
             client_secret_file = {secret:?}\ndisplay_name = \"Pallets ID\"\ngroup_claim = \"groups\"\n\
             [oidc.groups]\n\"flask-sec\" = \"pallets/flask\"\n"
        );
        std::fs::write(dir.path().join("embargo.toml"), &base).unwrap();
        let config = load(dir.path(), None).unwrap();
        let wired = config.settings.oidc.wire(&config.public_url, true).unwrap().unwrap();
        assert_eq!(wired.provider.redirect_uri, "http://127.0.0.1:8080/login/sso/callback");
        assert_eq!(wired.provider.client_secret.expose(), "s3cret");
        assert_eq!(wired.settings.display_name, "Pallets ID");
        assert_eq!(wired.settings.groups.len(), 1);
        for (change, setting) in [
            (base.replace("outbound_allow_private = true\n", ""), "oidc.issuer"),
            (base.replace("client_id = \"embargo\"\n", ""), "oidc.client_id"),
            (base.replace(&format!("client_secret_file = {secret:?}\n"), ""), "oidc.client_secret_file"),
            (base.replace("\"pallets/flask\"", "\"a/b/c\""), "oidc.groups.flask-sec"),
            (base.replace("group_claim = \"groups\"\n", ""), "oidc.group_claim"),
        ] {
            std::fs::write(dir.path().join("embargo.toml"), &change).unwrap();
            let error = format!("{:#}", load(dir.path(), None).unwrap_err());
            assert!(error.contains(setting), "{setting}: {error}");
        }
        std::fs::write(dir.path().join("embargo.toml"), "").unwrap();
        assert!(
            load(dir.path(), None).unwrap().settings.oidc.wire("http://x", false).unwrap().is_none(),
            "off by default"
        );
    }

    #[test]
    fn the_template_parses_and_holds_only_defaults() {
        let settings: Settings = Figment::from(Serialized::defaults(Settings::default()))
            .merge(Toml::string(&template()))
            .extract()
            .unwrap();
        assert_eq!(settings.listen, Settings::default().listen);
        for key in ENV_SETTINGS {
            assert!(TEMPLATE.contains(&format!("# {key} =")), "the template documents {key}");
        }
        for key in crate::config_oidc::ENV_KEYS {
            assert!(crate::config_oidc::TEMPLATE.contains(&format!("# {key} =")), "the template documents oidc.{key}");
        }
        assert!(settings.oidc.issuer.is_none(), "single sign-on is off by default");
    }
}
