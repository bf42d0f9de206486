//! What the binary prints: results on standard output, errors on standard error.

/// Prints an error line to standard error.
#[expect(clippy::print_stderr, reason = "reporting errors is the binary's job")]
pub fn error(message: &str) {
    eprintln!("error: {message}");
}

/// Prints a warning or note to standard error, keeping standard output for results.
#[expect(clippy::print_stderr, reason = "notes go to standard error, results to standard output")]
pub fn note(message: &str) {
    eprintln!("{message}");
}

/// Formats a timestamp for people.
pub fn when(t: time::OffsetDateTime) -> String {
    let format = time::macros::format_description!("[year]-[month]-[day] [hour]:[minute] UTC");
    t.format(format).unwrap_or_else(|_| t.to_string())
}
