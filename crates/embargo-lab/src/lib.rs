//! The evidence lab: runs a report's proof of concept against each release
//! line in a sandbox, and checks that what a report names exists in the source.
//!
//! - [`sandbox`]: bubblewrap inside `prlimit`; no network, read-only system,
//!   private tmpfs, time, memory, process and output limits.
//! - [`environment`]: a bare mirror per repository, a checkout per commit, the
//!   line's setup command run once in the sandbox; cached.
//! - [`package`]: a package installed at a line's version (`pip`) in the
//!   sandbox, network only for that install; cached per version.
//! - [`grounding`]: identifiers looked up with `git grep` at the line's commit.
//! - [`worker`]: `embargo lab worker`, which claims queued runs with leases
//!   through the app's use cases and records their results.
//!
//! The server never runs untrusted code: only the worker uses this crate.

pub mod environment;
pub mod grounding;
pub mod package;
pub mod sandbox;
pub mod worker;
