//! `embargo bench`'s figures for the queue's search and deadline order
//! (issue 15), timed at both sizes like the queue's other rows, and the
//! loading's progress (a million reports through the intake use case take a
//! while: a line every tenth of the way, with the rate so far).

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use embargo_app::{App, ReportQuery};
use embargo_core::permission::Actor;

use super::{Timing, time};

/// The rows [`timings`] answers, in order.
pub(super) const ROWS: [&str; 4] = [
    "deadline order, 20th page (cursor)",
    "search, two words every report holds (first page)",
    "search, a rare word and a common one",
    "search, a quoted phrase of two common words",
];

/// The timings of [`ROWS`] at the size loaded now, as the team sees them.
pub(super) async fn timings(app: &App, team: &Actor, rounds: u32) -> anyhow::Result<Vec<Timing>> {
    let mut out = Vec::new();
    let deadline = ReportQuery { open_only: true, deadline_first: true, limit: Some(50), ..ReportQuery::default() };
    let deep = super::twentieth_page(app, team, deadline).await?;
    out.push(time(rounds, || async { app.reports(team, &deep).await.map(drop).map_err(Into::into) }).await?);
    // The generated bodies are made of the same 48 words: these two are in nearly every report.
    let common = ReportQuery { q: Some("overflow parser".into()), limit: Some(50), ..ReportQuery::default() };
    out.push(time(rounds, || async { app.reports(team, &common).await.map(drop).map_err(Into::into) }).await?);
    // Titles end "(bench N)": "4242" begins the numbers of a few reports only.
    let rare = ReportQuery { q: Some("bench 4242".into()), limit: Some(50), ..ReportQuery::default() };
    out.push(time(rounds, || async { app.reports(team, &rare).await.map(drop).map_err(Into::into) }).await?);
    // Two of the 48 words side by side, in some of the reports only.
    let phrase = ReportQuery { q: Some("\"parser overflow\"".into()), limit: Some(50), ..ReportQuery::default() };
    out.push(time(rounds, || async { app.reports(team, &phrase).await.map(drop).map_err(Into::into) }).await?);
    Ok(out)
}

/// Prints [`ROWS`] in the queue table's format.
pub(super) fn print_rows(small: &[Timing], large: &[Timing]) {
    for ((label, s), l) in ROWS.iter().zip(small).zip(large) {
        let ratio = l.p50.as_secs_f64() / s.p50.as_secs_f64().max(1e-9);
        println!(
            "| {label} | {} / {} | {} / {} | ×{ratio:.2} |",
            Timing::ms(s.p50),
            Timing::ms(s.p90),
            Timing::ms(l.p50),
            Timing::ms(l.p90)
        );
    }
}

/// Counts filed (or indexed) reports and says how far the loading has come.
pub(super) struct Progress {
    done: AtomicU64,
    total: u64,
    step: u64,
    start: Instant,
    /// What is done to the reports: `filed` or `indexed`.
    what: &'static str,
}

impl Progress {
    /// Progress over `total` reports.
    pub(super) fn new(total: u64) -> Progress {
        Progress {
            done: AtomicU64::new(0),
            total,
            step: (total / 10).max(10_000),
            start: Instant::now(),
            what: "filed",
        }
    }

    /// The same, saying `what` is done to the reports.
    pub(super) fn named(self, what: &'static str) -> Progress {
        Progress { what, ..self }
    }

    /// One more report done; a note at every step.
    pub(super) fn tick(&self) {
        self.add(1);
    }

    /// `n` more reports done; a note at every step passed, with the rate so far.
    pub(super) fn add(&self, n: u64) {
        let before = self.done.fetch_add(n, Ordering::Relaxed);
        let done = before + n;
        if done / self.step > before / self.step && done < self.total {
            let seconds = self.start.elapsed().as_secs_f64().max(1e-9);
            let (what, total) = (self.what, self.total);
            crate::output::note(&format!("  {done} of {total} {what} ({:.0} reports/s)", done as f64 / seconds));
        }
    }
}
