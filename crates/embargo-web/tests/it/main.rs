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
mod cve_services;
mod duplicates;
mod embargo;
mod fixture;
mod flow;
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
mod second_factor;
mod signup;
mod throttle;
mod webhooks;
