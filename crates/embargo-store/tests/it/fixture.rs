//! Fresh databases and test data.

use std::sync::Arc;

use embargo_core::Timestamp;
use embargo_core::id::{OrgId, ProjectId, ReportId, UserId};
use embargo_core::lifecycle::ReportState;
use embargo_core::message::Channel;
use embargo_core::organisation::Organisation;
use embargo_core::private::Private;
use embargo_core::project::{Package, Project};
use embargo_core::report::{Report, ReportContent, TeamFields};
use embargo_core::user::User;
use embargo_store::prelude::*;
use embargo_store::seal::SecretKey;
use embargo_store::users::TokenHash;
use embargo_store::{DatabaseUrl, OpenOptions, StoreError};
use sqlx::Connection;
use time::macros::datetime;
use uuid::Uuid;

/// A random UUID from the OS (tests may read the RNG; the code under test may not).
pub fn new_uuid() -> Uuid {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).unwrap();
    uuid::Builder::from_random_bytes(bytes).into_uuid()
}

/// A random token hash.
pub fn token_hash() -> TokenHash {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).unwrap();
    TokenHash(bytes)
}

/// A fixed instant, plus `minutes`.
pub fn at(minutes: i64) -> Timestamp {
    datetime!(2026-03-01 12:00:00.123456 UTC) + time::Duration::minutes(minutes)
}

enum Backend {
    Sqlite { _dir: tempfile::TempDir, path: std::path::PathBuf },
    Postgres { base: String, schema: String, url: String },
}

/// A fresh database with an open store.
pub struct Db {
    store: Arc<dyn Store>,
    backend: Backend,
    secret: SecretKey,
}

fn secret() -> SecretKey {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).unwrap();
    SecretKey::from_bytes(bytes)
}

impl Db {
    pub async fn sqlite() -> Db {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("embargo.db");
        let secret = secret();
        let store = embargo_store::open(OpenOptions {
            url: DatabaseUrl::Sqlite(path.clone()),
            secret: secret.clone(),
            create: true,
        })
        .await
        .unwrap();
        Db { store, backend: Backend::Sqlite { _dir: dir, path }, secret }
    }

    /// A fresh schema on the server named by `EMBARGO_TEST_POSTGRES_URL`, or
    /// `None` (with a note on stderr) when the variable is unset.
    pub async fn postgres() -> Option<Db> {
        let Ok(base) = std::env::var("EMBARGO_TEST_POSTGRES_URL") else {
            eprintln!("EMBARGO_TEST_POSTGRES_URL is unset: the PostgreSQL half of this test did not run");
            return None;
        };
        let schema = format!("embargo_t_{}", new_uuid().simple());
        let mut admin = sqlx::PgConnection::connect(&base).await.unwrap();
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE SCHEMA {schema}"))).execute(&mut admin).await.unwrap();
        admin.close().await.unwrap();
        let separator = if base.contains('?') { '&' } else { '?' };
        let url = format!("{base}{separator}options=-c%20search_path%3D{schema}");
        let secret = secret();
        let store = embargo_store::open(OpenOptions {
            url: DatabaseUrl::Postgres(url.clone()),
            secret: secret.clone(),
            create: true,
        })
        .await
        .unwrap();
        Some(Db { store, backend: Backend::Postgres { base, schema, url }, secret })
    }

    pub fn is_postgres(&self) -> bool {
        matches!(self.backend, Backend::Postgres { .. })
    }

    pub fn shared(&self) -> Arc<dyn Store> {
        Arc::clone(&self.store)
    }

    pub fn store(&self) -> &dyn Store {
        self.store.as_ref()
    }

    /// Reopens the same database with a new store (as after a restart).
    pub async fn reopen(&self) -> Arc<dyn Store> {
        let url = match &self.backend {
            Backend::Sqlite { path, .. } => DatabaseUrl::Sqlite(path.clone()),
            Backend::Postgres { url, .. } => DatabaseUrl::Postgres(url.clone()),
        };
        embargo_store::open(OpenOptions { url, secret: self.secret.clone(), create: false }).await.unwrap()
    }

    /// Runs raw SQL behind the store's back, as an attacker with the database would.
    pub async fn tamper(&self, sql: &str) {
        match &self.backend {
            Backend::Sqlite { path, .. } => {
                let mut conn = sqlx::SqliteConnection::connect(&format!("sqlite://{}", path.display())).await.unwrap();
                sqlx::query(sqlx::AssertSqlSafe(sql.to_owned())).execute(&mut conn).await.unwrap();
                conn.close().await.unwrap();
            }
            Backend::Postgres { url, .. } => {
                let mut conn = sqlx::PgConnection::connect(url).await.unwrap();
                sqlx::query(sqlx::AssertSqlSafe(sql.to_owned())).execute(&mut conn).await.unwrap();
                conn.close().await.unwrap();
            }
        }
    }

    /// Reads raw bytes of every row of one column, behind the store's back.
    pub async fn raw_column(&self, sql: &str) -> Vec<Vec<u8>> {
        use sqlx::Row;
        match &self.backend {
            Backend::Sqlite { path, .. } => {
                let mut conn = sqlx::SqliteConnection::connect(&format!("sqlite://{}", path.display())).await.unwrap();
                let rows = sqlx::query(sqlx::AssertSqlSafe(sql.to_owned())).fetch_all(&mut conn).await.unwrap();
                rows.iter().map(|r| r.get::<Vec<u8>, _>(0)).collect()
            }
            Backend::Postgres { url, .. } => {
                let mut conn = sqlx::PgConnection::connect(url).await.unwrap();
                let rows = sqlx::query(sqlx::AssertSqlSafe(sql.to_owned())).fetch_all(&mut conn).await.unwrap();
                rows.iter().map(|r| r.get::<Vec<u8>, _>(0)).collect()
            }
        }
    }

    /// PostgreSQL only: the first column of one row of `sql` as a number,
    /// read behind the store's back on a connection of its own.
    pub async fn pg_number(&self, sql: &str) -> i64 {
        use sqlx::Row;
        let Backend::Postgres { url, .. } = &self.backend else { panic!("PostgreSQL only") };
        let mut conn = sqlx::PgConnection::connect(url).await.unwrap();
        let row = sqlx::query(sqlx::AssertSqlSafe(sql.to_owned())).fetch_one(&mut conn).await.unwrap();
        conn.close().await.unwrap();
        row.get::<i64, _>(0)
    }

    pub async fn finish(self) {
        self.store.close().await;
        if let Backend::Postgres { base, schema, .. } = &self.backend {
            let mut admin = sqlx::PgConnection::connect(base).await.unwrap();
            sqlx::query(sqlx::AssertSqlSafe(format!("DROP SCHEMA {schema} CASCADE")))
                .execute(&mut admin)
                .await
                .unwrap();
            admin.close().await.unwrap();
        }
    }

    /// Runs `f` in a write transaction and returns its value.
    pub async fn write<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: for<'a> FnOnce(&'a mut dyn Writer) -> embargo_store::TxFuture<'a, T, StoreError> + Send + 'static,
    {
        self.store.write(f).await
    }

    pub async fn read(&self) -> Box<dyn Reader> {
        self.store.reader().await.unwrap()
    }

    pub async fn user(&self, email: &str) -> User {
        let user = User {
            id: UserId::from_uuid(new_uuid()),
            email: email.parse().unwrap(),
            name: email.split('@').next().unwrap().to_owned(),
            is_admin: false,
            created_at: at(0),
            banned_at: None,
        };
        let stored = user.clone();
        self.write(move |tx| Box::pin(async move { tx.insert_user(&stored, Some("$argon2id$test".into())).await }))
            .await
            .unwrap();
        user
    }

    pub async fn organisation(&self, slug: &str) -> Organisation {
        let org = Organisation {
            id: OrgId::from_uuid(new_uuid()),
            slug: slug.parse().unwrap(),
            name: format!("The {slug} organisation"),
            advisory_prefix: slug.to_uppercase().replace('-', "").parse().unwrap(),
            created_at: at(0),
        };
        let stored = org.clone();
        self.write(move |tx| Box::pin(async move { tx.insert_organisation(&stored).await })).await.unwrap();
        org
    }

    pub async fn project(&self, org: &Organisation, slug: &str) -> Project {
        let project = Project {
            id: ProjectId::from_uuid(new_uuid()),
            org_id: org.id,
            slug: slug.parse().unwrap(),
            name: slug.to_owned(),
            repository_url: Some(format!("https://example.org/{slug}")),
            packages: vec![Package::new("PyPI", slug).unwrap()],
            created_at: at(0),
        };
        let stored = project.clone();
        self.write(move |tx| Box::pin(async move { tx.insert_project(&stored).await })).await.unwrap();
        project
    }

    /// A new report on `project`, with the given reporter and title, created `minutes` after the epoch.
    pub async fn report(
        &self,
        project: &Project,
        reporter: Option<UserId>,
        title: &str,
        minutes: i64,
    ) -> (Report, TokenHash) {
        let report = Report {
            id: ReportId::from_uuid(new_uuid()),
            org_id: project.org_id,
            project_id: project.id,
            reporter_id: reporter,
            channel: Channel::Api,
            content: Private::new(ReportContent {
                title: title.to_owned(),
                body: format!("{title}: secret details of the flaw"),
                proof_of_concept: Some("exit 1".into()),
                ..ReportContent::default()
            }),
            state: ReportState::New,
            team: TeamFields::default(),
            duplicate_of: None,
            deadlines: Default::default(),
            intake: Vec::new(),
            created_at: at(minutes),
            updated_at: at(minutes),
        };
        let hash = token_hash();
        let stored = report.clone();
        self.write(move |tx| Box::pin(async move { tx.insert_report(&stored, &hash).await })).await.unwrap();
        (report, hash)
    }
}
