//! The store conformance suite: every case runs against SQLite (always) and
//! PostgreSQL (when `EMBARGO_TEST_POSTGRES_URL` is set), each on a fresh database.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::print_stderr,
    reason = "tests may unwrap and report on stderr (STYLE.md, Tests)"
)]

mod fixture;

mod advisories;
mod audit;
mod collaborators;
mod coordination;
mod cra;
mod factors;
mod finders;
mod jobs;
mod lab;
mod mail;
mod migrations;
mod oidc;
mod organisations;
mod policies;
mod publication;
mod queue;
mod reports;
mod sealing;
mod settings;
mod signups;
mod throttle;
mod users;
mod webauthn;
mod webhooks;
mod writes;

mod imported;
mod lab_shares;
mod zones;

/// Declares one test per backend for each named case `async fn case(db: &Db)`.
#[macro_export]
macro_rules! conformance {
    ($($case:ident),* $(,)?) => {$(
        mod $case {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let db = $crate::fixture::Db::sqlite().await;
                super::$case(&db).await;
                db.finish().await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                let Some(db) = $crate::fixture::Db::postgres().await else { return };
                super::$case(&db).await;
                db.finish().await;
            }
        }
    )*};
}
