//! Opening a store from a database URL: the one place that picks the backend.

use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;
use std::sync::Arc;

use crate::postgres::PgStore;
use crate::seal::{Sealer, SecretKey};
use crate::sqlite::SqliteStore;
use crate::{Store, StoreError};

/// A database URL: `sqlite://PATH` (or `sqlite:PATH`) or `postgres://…`.
/// A URL without a known scheme is refused, so a typo never creates a database.
#[derive(Clone, PartialEq, Eq)]
pub enum DatabaseUrl {
    /// An SQLite file.
    Sqlite(PathBuf),
    /// A PostgreSQL server (the full URL, credentials included).
    Postgres(String),
}

impl fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DatabaseUrl::Sqlite(path) => write!(f, "sqlite://{}", path.display()),
            // The URL may hold a password.
            DatabaseUrl::Postgres(_) => f.write_str("postgres://…"),
        }
    }
}

impl fmt::Display for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self, f)
    }
}

/// Why a database URL was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("database URL must start with sqlite:// or postgres:// (got {scheme:?})")]
pub struct InvalidDatabaseUrl {
    /// What stood where the scheme should be.
    pub scheme: String,
}

impl FromStr for DatabaseUrl {
    type Err = InvalidDatabaseUrl;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim();
        if let Some(path) = s.strip_prefix("sqlite://").or_else(|| s.strip_prefix("sqlite:")) {
            let path = path.split('?').next().unwrap_or(path);
            if !path.is_empty() {
                return Ok(DatabaseUrl::Sqlite(PathBuf::from(path)));
            }
        }
        if s.starts_with("postgres://") || s.starts_with("postgresql://") {
            return Ok(DatabaseUrl::Postgres(s.to_owned()));
        }
        Err(InvalidDatabaseUrl { scheme: s.split(':').next().unwrap_or_default().chars().take(20).collect() })
    }
}

/// How to open a store.
#[derive(Debug, Clone)]
pub struct OpenOptions {
    /// Where the data is.
    pub url: DatabaseUrl,
    /// The instance secret that seals private text and keys the audit chain.
    pub secret: SecretKey,
    /// Whether a missing SQLite file may be created (`serve`, `init`) or not
    /// (every other command, so a wrong path is an error, not a new database).
    pub create: bool,
}

/// What the store keeps in memory (issue 15, item 7), set by the operator's
/// `[performance]` settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tuning {
    /// SQLite: connections that read at once.
    pub sqlite_readers: u32,
    /// SQLite: each connection's page cache, in KiB (`PRAGMA cache_size`).
    pub sqlite_cache_kib: u32,
}

impl Default for Tuning {
    fn default() -> Self {
        Tuning { sqlite_readers: 8, sqlite_cache_kib: 4000 }
    }
}

/// Opens the store the URL names, applying any pending migrations.
pub async fn open(options: OpenOptions) -> Result<Arc<dyn Store>, StoreError> {
    open_tuned(options, Tuning::default()).await
}

/// [`open`] with the memory settings `tuning`.
pub async fn open_tuned(options: OpenOptions, tuning: Tuning) -> Result<Arc<dyn Store>, StoreError> {
    let sealer = Arc::new(Sealer::new(&options.secret));
    let store: Arc<dyn Store> = match options.url {
        DatabaseUrl::Sqlite(path) => Arc::new(SqliteStore::open(&path, options.create, sealer, tuning).await?),
        DatabaseUrl::Postgres(url) => Arc::new(PgStore::open(&url, sealer).await?),
    };
    // Reports waiting for the search index (`search_queue`) are indexed by
    // the server in the background and before every search, not here: opening
    // stays cheap for commands run once per mail.
    Ok(store)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(input: &str, expected: Option<DatabaseUrl>) {
        assert_eq!(input.parse::<DatabaseUrl>().ok(), expected, "{input}");
    }

    #[test]
    fn urls_need_a_known_scheme() {
        check("sqlite://./data/embargo.db", Some(DatabaseUrl::Sqlite("./data/embargo.db".into())));
        check("sqlite:/var/lib/embargo.db?mode=rwc", Some(DatabaseUrl::Sqlite("/var/lib/embargo.db".into())));
        check("postgres://u:p@db/embargo", Some(DatabaseUrl::Postgres("postgres://u:p@db/embargo".into())));
        check("postgresql://db/embargo", Some(DatabaseUrl::Postgres("postgresql://db/embargo".into())));
        check("./embargo.db", None);
        check("sqlite://", None);
        check("postgress://db", None);
        check("mysql://db", None);
    }

    #[test]
    fn postgres_urls_hide_credentials_when_printed() {
        let url: DatabaseUrl = "postgres://admin:hunter2@db/embargo".parse().unwrap();
        assert_eq!(url.to_string(), "postgres://…");
    }
}
