//! The listing's page cursor: an opaque token naming where the next page
//! starts. Newest first, it is the last report's creation time and id (the
//! store's keyset position, served by the queue indexes whatever the depth);
//! in the deadline order, the last report's deadline as well (read from the
//! deadline indexes the same way); in the lab order, which is sorted rather
//! than read from an index, it is the number of reports already shown.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use embargo_core::id::ReportId;
use embargo_core::text::{FieldErrors, TextError};
use embargo_store::reports::ReportCursor;

use crate::AppError;

/// Where a page starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PageCursor {
    /// After this report (newest first).
    After(ReportCursor),
    /// After this report (soonest deadline first).
    Deadline(ReportCursor),
    /// After this many reports (the sorted orders).
    Skip(u32),
}

impl PageCursor {
    /// The token clients send back.
    pub(crate) fn encode(self) -> String {
        let text = match self {
            PageCursor::After(c) => format!("k:{}:{}", c.created_at.unix_timestamp_nanos(), c.id),
            PageCursor::Deadline(c) => {
                let due = c.due.map_or_else(|| "-".to_owned(), |due| due.unix_timestamp_nanos().to_string());
                format!("d:{due}:{}:{}", c.created_at.unix_timestamp_nanos(), c.id)
            }
            PageCursor::Skip(n) => format!("o:{n}"),
        };
        URL_SAFE_NO_PAD.encode(text)
    }

    /// Reads a token; anything this code did not write is refused.
    pub(crate) fn decode(token: &str) -> Result<PageCursor, AppError> {
        let bytes = URL_SAFE_NO_PAD.decode(token.trim()).map_err(|_| refused())?;
        let text = String::from_utf8(bytes).map_err(|_| refused())?;
        let time = |nanos: &str| -> Result<embargo_core::Timestamp, AppError> {
            let nanos: i128 = nanos.parse().map_err(|_| refused())?;
            embargo_core::Timestamp::from_unix_timestamp_nanos(nanos).map_err(|_| refused())
        };
        let parts: Vec<&str> = text.split(':').collect();
        let cursor = match parts.as_slice() {
            ["k", nanos, id] => {
                let id: ReportId = id.parse().map_err(|_| refused())?;
                PageCursor::After(ReportCursor { due: None, created_at: time(nanos)?, id })
            }
            ["d", due, nanos, id] => {
                let due = if *due == "-" { None } else { Some(time(due)?) };
                let id: ReportId = id.parse().map_err(|_| refused())?;
                PageCursor::Deadline(ReportCursor { due, created_at: time(nanos)?, id })
            }
            ["o", n] => PageCursor::Skip(n.parse().map_err(|_| refused())?),
            _ => return Err(refused()),
        };
        Ok(cursor)
    }
}

/// The error for a token this listing did not give (or gave for another order).
pub(crate) fn refused() -> AppError {
    AppError::Invalid(FieldErrors(vec![TextError::Refused {
        field: "cursor",
        reason: "not a cursor this listing gave for this order (start again from the first page)".to_owned(),
    }]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_strangers_are_refused() {
        let id: ReportId = "0191e6a4-7c2b-7d4e-9a51-2f3c4d5e6f70".parse().unwrap();
        let created_at = embargo_core::Timestamp::from_unix_timestamp_nanos(1_780_000_000_123_456_000).unwrap();
        for cursor in [
            PageCursor::After(ReportCursor { due: None, created_at, id }),
            PageCursor::Deadline(ReportCursor { due: Some(created_at), created_at, id }),
            PageCursor::Deadline(ReportCursor { due: None, created_at, id }),
            PageCursor::Skip(150),
        ] {
            assert_eq!(PageCursor::decode(&cursor.encode()).unwrap(), cursor);
        }
        for bad in [
            "",
            "x",
            "b2Zmc2V0",
            &URL_SAFE_NO_PAD.encode("o:-1"),
            &URL_SAFE_NO_PAD.encode("k:1:nope"),
            &URL_SAFE_NO_PAD.encode("d:x:1:nope"),
        ] {
            assert!(matches!(PageCursor::decode(bad), Err(AppError::Invalid(_))), "{bad}");
        }
    }
}
