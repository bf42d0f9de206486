//! Audit checkpoints: the log's length and head hash at a moment, signed so
//! that a copy kept outside the server proves later that the log still
//! extends it (no cut tail, wiped log or rewritten history).
//!
//! The text format (version 1), one `key: value` per line, in this order,
//! each line ending in `\n`:
//!
//! ```text
//! embargo audit checkpoint v1
//! events: 42
//! head: <64 lower-case hex digits: the hash of event 42, zeros for an empty log>
//! time: 2026-11-30T15:00:00.000000Z
//! signature: hmac-sha256:<64 lower-case hex digits>
//! ```
//!
//! The signature is HMAC-SHA256 (RFC 2104) over the exact bytes of the first
//! four lines (newlines included), keyed with `HMAC-SHA256(instance secret,
//! "embargo/audit-checkpoint/v1")`: only the holder of the instance secret
//! can make or check one, and a checkpoint of one instance fails on another.
//! A trailing `\r` on a line and blank lines at the end are ignored.

use std::fmt::Write as _;

use embargo_core::Timestamp;
use time::format_description::BorrowedFormatItem;
use time::macros::format_description;

use crate::seal::hmac_sha256;

/// The first line of every checkpoint of this version.
pub const HEADER: &str = "embargo audit checkpoint v1";

const TIME_FORMAT: &[BorrowedFormatItem<'_>] =
    format_description!("[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:6]Z");

/// The log's state at a moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Checkpoint {
    /// How many events the log held (the last sequence number).
    pub events: u64,
    /// The last event's hash (zeros for an empty log).
    pub head: [u8; 32],
    /// When the checkpoint was made.
    pub time: Timestamp,
}

/// Why a checkpoint text was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CheckpointError {
    /// A line is missing or not what the format says.
    #[error("line {line} of the checkpoint should be {expected}")]
    Malformed {
        /// The line number, from 1.
        line: usize,
        /// What the line should hold.
        expected: &'static str,
    },
    /// The signature does not match: the text was altered, or it was made by
    /// an instance with another secret.
    #[error("the checkpoint's signature does not match: it was altered or made with another instance secret")]
    BadSignature,
}

/// Where the log stands against a checkpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CheckpointProblem {
    /// The log holds fewer events than the checkpoint saw (a cut tail or a wiped log).
    Shorter {
        /// Events at the checkpoint.
        checkpoint: u64,
        /// Events now.
        now: u64,
    },
    /// The event the checkpoint ends with is not the one it saw: history was rewritten.
    Rewritten {
        /// The checkpoint's last event.
        seq: u64,
    },
}

impl std::fmt::Display for CheckpointProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CheckpointProblem::Shorter { checkpoint, now } => write!(
                f,
                "the log no longer extends the checkpoint: it held {checkpoint} events then and holds {now} now"
            ),
            CheckpointProblem::Rewritten { seq } => {
                write!(f, "the log no longer extends the checkpoint: event {seq} or one before it was rewritten")
            }
        }
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().fold(String::with_capacity(bytes.len() * 2), |mut out, b| {
        let _ = write!(out, "{b:02x}");
        out
    })
}

fn unhex(text: &str) -> Option<[u8; 32]> {
    if text.len() != 64 || !text.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)) {
        return None;
    }
    let mut out = [0u8; 32];
    for (i, byte) in out.iter_mut().enumerate() {
        *byte = u8::from_str_radix(text.get(i * 2..i * 2 + 2)?, 16).ok()?;
    }
    Some(out)
}

impl Checkpoint {
    /// The four signed lines.
    fn body(&self) -> String {
        let time = self.time.to_offset(time::UtcOffset::UTC).format(TIME_FORMAT).unwrap_or_default();
        format!("{HEADER}\nevents: {}\nhead: {}\ntime: {time}\n", self.events, hex(&self.head))
    }

    /// The signed text, with `key` (the checkpoint key).
    pub(crate) fn sign(&self, key: &[u8; 32]) -> String {
        let body = self.body();
        let signature = hex(&hmac_sha256(key, body.as_bytes()));
        format!("{body}signature: hmac-sha256:{signature}\n")
    }

    /// Reads a signed text and checks its signature with `key`.
    pub(crate) fn read(text: &str, key: &[u8; 32]) -> Result<Checkpoint, CheckpointError> {
        let mut lines = text.split('\n').map(|l| l.strip_suffix('\r').unwrap_or(l));
        let mut line = |n: usize, prefix: &'static str, expected: &'static str| {
            lines
                .next()
                .and_then(|l| l.strip_prefix(prefix))
                .map(str::to_owned)
                .ok_or(CheckpointError::Malformed { line: n, expected })
        };
        let header = line(1, "", "the header \"embargo audit checkpoint v1\"")?;
        if header != HEADER {
            return Err(CheckpointError::Malformed { line: 1, expected: "the header \"embargo audit checkpoint v1\"" });
        }
        let events = line(2, "events: ", "\"events: \" and a number")?
            .parse::<u64>()
            .map_err(|_| CheckpointError::Malformed { line: 2, expected: "\"events: \" and a number" })?;
        let head_expected = "\"head: \" and 64 lower-case hex digits";
        let head = unhex(&line(3, "head: ", head_expected)?)
            .ok_or(CheckpointError::Malformed { line: 3, expected: head_expected })?;
        let time_expected = "\"time: \" and a UTC time such as 2026-11-30T15:00:00.000000Z";
        let time = time::PrimitiveDateTime::parse(&line(4, "time: ", time_expected)?, TIME_FORMAT)
            .map_err(|_| CheckpointError::Malformed { line: 4, expected: time_expected })?
            .assume_utc();
        let signature_expected = "\"signature: hmac-sha256:\" and 64 lower-case hex digits";
        let signature = unhex(&line(5, "signature: hmac-sha256:", signature_expected)?)
            .ok_or(CheckpointError::Malformed { line: 5, expected: signature_expected })?;
        if lines.any(|rest| !rest.trim().is_empty()) {
            return Err(CheckpointError::Malformed { line: 6, expected: "the end of the checkpoint" });
        }
        let checkpoint = Checkpoint { events, head, time };
        // Compare every byte, so the time taken says nothing about where they differ.
        let expected = hmac_sha256(key, checkpoint.body().as_bytes());
        let differ = expected.iter().zip(signature.iter()).fold(0u8, |acc, (a, b)| acc | (a ^ b));
        if differ != 0 {
            return Err(CheckpointError::BadSignature);
        }
        Ok(checkpoint)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: [u8; 32] = [7; 32];

    fn sample() -> Checkpoint {
        Checkpoint { events: 42, head: [0xab; 32], time: time::macros::datetime!(2026-11-30 15:00:00 UTC) }
    }

    #[test]
    fn a_signed_checkpoint_reads_back() {
        let text = sample().sign(&KEY);
        assert!(text.starts_with("embargo audit checkpoint v1\nevents: 42\nhead: abab"), "{text}");
        assert!(text.contains("time: 2026-11-30T15:00:00.000000Z\nsignature: hmac-sha256:"), "{text}");
        assert_eq!(Checkpoint::read(&text, &KEY), Ok(sample()));
        assert_eq!(Checkpoint::read(&text.replace('\n', "\r\n"), &KEY), Ok(sample()), "CRLF is fine");
        assert_eq!(Checkpoint::read(&format!("{text}\n\n"), &KEY), Ok(sample()), "trailing blank lines are fine");
    }

    #[test]
    fn an_altered_or_foreign_checkpoint_is_refused() {
        let text = sample().sign(&KEY);
        assert_eq!(
            Checkpoint::read(&text.replace("events: 42", "events: 41"), &KEY),
            Err(CheckpointError::BadSignature)
        );
        assert_eq!(Checkpoint::read(&text, &[8; 32]), Err(CheckpointError::BadSignature));
    }

    #[test]
    fn malformed_lines_are_named() {
        let text = sample().sign(&KEY);
        let line = |t: &str| match Checkpoint::read(t, &KEY) {
            Err(CheckpointError::Malformed { line, .. }) => line,
            other => panic!("{other:?}"),
        };
        assert_eq!(line(""), 1);
        assert_eq!(line(&text.replace("v1", "v2")), 1);
        assert_eq!(line(&text.replace("events: 42", "events: many")), 2);
        assert_eq!(line(&text.replace("head: ab", "head: AB")), 3);
        assert_eq!(line(&text.replace("T15", " 15")), 4);
        assert_eq!(line(&text.replace("hmac-sha256:", "sha256:")), 5);
        assert_eq!(line(&format!("{text}extra: 1\n")), 6);
        assert_eq!(line(&text.lines().take(3).collect::<Vec<_>>().join("\n")), 4);
    }
}
