//! The lab against real tools: bubblewrap, prlimit, git, Python, and a
//! fixture project made by the test.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::print_stderr,
    reason = "tests may unwrap (STYLE.md, Tests); a test that did not run says so on stderr"
)]

mod environment;
mod fixture;
mod grounding;
mod package;
mod sandbox;
mod worker;
