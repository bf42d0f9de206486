//! Embargo's e-mail channel: inbound MIME and OpenPGP, the built-in SMTP
//! listener, and notifications sent through an SMTP relay.

pub mod inbound;
pub mod openpgp;
