//! Embargo's domain: identifiers, the model of organisations, projects, reports
//! and advisories, the report lifecycle, and the one permission function.
//!
//! This crate does no IO, no async, and reads no clock or random source:
//! the current time and new identifiers are always arguments.

pub mod advisory;
pub mod attachment;
pub mod collaborator;
pub mod cra;
pub mod credit;
pub mod cwe;
pub mod deadline;
pub mod duplicates;
pub mod eligibility;
pub mod embargo;
pub mod forge;
pub mod id;
pub mod intake;
pub mod lab;
pub mod lifecycle;
pub mod message;
pub mod organisation;
pub mod permission;
pub mod policy;
pub mod private;
pub mod project;
pub mod public_issue;
pub mod report;
pub mod response_times;
pub mod rotation;
pub mod search;
pub mod severity;
pub mod text;
pub mod throttle;
pub mod user;
pub mod version;
pub mod vex;
pub mod zone;

/// A point in time, always UTC in Embargo.
pub type Timestamp = time::OffsetDateTime;
