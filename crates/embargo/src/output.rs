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

/// Whether `--json` was given: list and show commands then print JSON.
static JSON: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Records `--json` once, at start.
pub fn set_json(json: bool) {
    JSON.store(json, std::sync::atomic::Ordering::Relaxed);
}

/// Whether to print JSON instead of text.
pub fn json() -> bool {
    JSON.load(std::sync::atomic::Ordering::Relaxed)
}

/// Prints a list as one JSON array (with `--json`), or else each row's text line.
pub fn rows<T>(items: &[T], to_json: impl Fn(&T) -> serde_json::Value, to_text: impl Fn(&T) -> String) {
    if json() {
        println!("{}", serde_json::Value::Array(items.iter().map(to_json).collect()));
    } else {
        for item in items {
            println!("{}", to_text(item));
        }
    }
}

/// Formats a timestamp for people.
pub fn when(t: time::OffsetDateTime) -> String {
    let format = time::macros::format_description!("[year]-[month]-[day] [hour]:[minute] UTC");
    t.format(format).unwrap_or_else(|_| t.to_string())
}
