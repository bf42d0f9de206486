//! Embargo's published formats: pure functions from domain types to the
//! documents scanners and databases consume. No IO, no clock.

pub mod osv;
