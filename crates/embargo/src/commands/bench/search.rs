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
pub(super) const ROWS: [&str; 3] = [
    "deadline order, 20th page (cursor)",
    "search, two words every report holds (first page)",
    "search, a rare word and a common one",
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

/// Counts filed reports and says how far the loading has come.
pub(super) struct Progress {
    done: AtomicU64,
    total: u64,
    step: u64,
    start: Instant,
}

impl Progress {
    /// Progress over `total` reports.
    pub(super) fn new(total: u64) -> Progress {
        Progress { done: AtomicU64::new(0), total, step: (total / 10).max(10_000), start: Instant::now() }
    }

    /// One more report filed; a note at every step.
    pub(super) fn tick(&self) {
        let done = self.done.fetch_add(1, Ordering::Relaxed) + 1;
        if done.is_multiple_of(self.step) && done < self.total {
            let seconds = self.start.elapsed().as_secs_f64().max(1e-9);
            crate::output::note(&format!("  {done} of {} filed ({:.0} reports/s)", self.total, done as f64 / seconds));
        }
    }
}
