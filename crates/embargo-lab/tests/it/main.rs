//! The lab against real tools: bubblewrap, prlimit, git, Python, and a
//! fixture project made by the test.

mod environment;
mod fixture;
mod grounding;
mod sandbox;
mod worker;
