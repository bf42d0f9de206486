//! A wrapper for private text whose `Debug` never shows the content.

use std::fmt;

/// Private text or secrets: report bodies, messages, tokens, passwords.
///
/// `Debug` prints `Private(<redacted>)` so that a stray `{:?}` in a log or an
/// error cannot disclose what is inside. Read it with [`Private::expose`].
#[derive(Clone, PartialEq, Eq, Default)]
pub struct Private<T>(T);

impl<T> Private<T> {
    /// Wraps a private value.
    pub const fn new(value: T) -> Self {
        Private(value)
    }

    /// The value inside; the call site is where private data is used.
    pub fn expose(&self) -> &T {
        &self.0
    }

    /// Unwraps the value.
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T> fmt::Debug for Private<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Private(<redacted>)")
    }
}

impl<T> From<T> for Private<T> {
    fn from(value: T) -> Self {
        Private(value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_redacts() {
        let secret = Private::new(String::from("exploit goes here"));
        assert_eq!(format!("{secret:?}"), "Private(<redacted>)");
        assert_eq!(secret.expose(), "exploit goes here");
    }
}
