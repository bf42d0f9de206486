//! HTTP-level tests: the real router on a real database, called in-process.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::print_stderr,
    clippy::disallowed_methods,
    reason = "tests may unwrap (STYLE.md, Tests)"
)]

mod audit;
mod authorization;
mod bad_input;
mod clocks;
mod collaborators;
mod conduct;
mod cra;
mod duplicates;
mod embargo;
mod finders;
mod fixture;
mod flow;
mod forge;
mod intake_limits;
mod issue_9;
mod lab;
mod lifecycle;
mod openapi;
mod osv_api;
mod pages;
mod policy;
mod privacy;
mod published;
mod response_times;
mod search;
mod second_factor;
mod security_keys;
mod signup;
mod sso;
mod throttle;
mod webhooks;

mod cve_services;
mod ghsa_import;
mod jobs_runner;
mod public_cache;
mod time_zones;
