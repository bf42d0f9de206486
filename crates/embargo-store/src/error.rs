//! The store's error type: every driver error maps to one of four kinds.

/// Why a store operation failed. Messages never contain private text.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A row that had to exist does not.
    #[error("not found")]
    NotFound,
    /// A uniqueness or foreign-key rule refused the change.
    #[error("conflict with existing data ({constraint})")]
    Conflict {
        /// The rule, as the database names it (`users.email`, `users_email_key`).
        constraint: String,
    },
    /// The database cannot be reached or is shutting down; retrying may help.
    #[error("database unavailable: {0}")]
    Unavailable(String),
    /// Anything else: a bug, or data that does not decode.
    #[error("database error: {0}")]
    Other(String),
}

impl StoreError {
    /// A stored value that does not decode into its domain type.
    pub(crate) fn corrupt(column: &str, why: impl std::fmt::Display) -> Self {
        StoreError::Other(format!("column {column} holds an invalid value: {why}"))
    }
}

impl From<sqlx::Error> for StoreError {
    fn from(error: sqlx::Error) -> Self {
        match error {
            sqlx::Error::RowNotFound => StoreError::NotFound,
            sqlx::Error::Database(db) => {
                let constraint = db.constraint().map(str::to_owned).unwrap_or_else(|| {
                    // SQLite names the columns in the message: "UNIQUE constraint failed: users.email".
                    db.message().rsplit_once(": ").map(|(_, cols)| cols.to_owned()).unwrap_or_default()
                });
                if db.is_unique_violation() || db.is_foreign_key_violation() || db.is_check_violation() {
                    StoreError::Conflict { constraint }
                } else if db.code().as_deref().is_some_and(|code| matches!(code, "5" | "6" | "517" | "261")) {
                    // SQLITE_BUSY, SQLITE_LOCKED and their extended codes: another process holds the lock.
                    StoreError::Unavailable(db.message().to_owned())
                } else {
                    StoreError::Other(db.message().to_owned())
                }
            }
            sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::Io(_) | sqlx::Error::Tls(_) => {
                StoreError::Unavailable(error.to_string())
            }
            other => StoreError::Other(other.to_string()),
        }
    }
}

impl From<sqlx::migrate::MigrateError> for StoreError {
    fn from(error: sqlx::migrate::MigrateError) -> Self {
        StoreError::Other(format!("migration failed: {error}"))
    }
}
