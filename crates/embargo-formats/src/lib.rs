//! Embargo's published formats: pure functions from domain types to the
//! documents scanners and databases consume. No IO, no clock.

pub mod osv;
pub mod policy_file;
pub mod security_md;
pub mod security_txt;
