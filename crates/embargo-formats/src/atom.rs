//! An Atom 1.0 feed of published advisories (RFC 4287): the feed's `id`,
//! `title`, `updated`, `author` and `self` link (section 4.1.1), and per
//! advisory an entry with a stable `id` (the advisory page's URL), `title`,
//! `updated`, `published`, an `alternate` link to the page and a text
//! `summary` (section 4.1.2). Text is XML-escaped here; nothing else is
//! written, so no XML library is needed.

use embargo_core::Timestamp;

use crate::{Document, rfc3339};

/// The feed around the entries.
#[derive(Debug, Clone)]
pub struct Feed<'a> {
    /// The feed's own URL (its `id` and `self` link).
    pub url: &'a str,
    /// Its title.
    pub title: &'a str,
    /// The author named for every entry (the instance).
    pub author: &'a str,
    /// When the newest entry changed (or any fixed time for an empty feed).
    pub updated: Timestamp,
}

/// Escapes text for XML element content and attribute values.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            // Characters XML 1.0 does not allow at all are left out.
            c if c.is_control() && !matches!(c, '\n' | '\r' | '\t') => {}
            c => out.push(c),
        }
    }
    out
}

/// The feed as XML text; `documents` newest first.
pub fn feed(feed: &Feed<'_>, documents: &[Document<'_>]) -> String {
    let mut out =
        String::from("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<feed xmlns=\"http://www.w3.org/2005/Atom\">\n");
    out.push_str(&format!("  <id>{}</id>\n", escape(feed.url)));
    out.push_str(&format!("  <title>{}</title>\n", escape(feed.title)));
    out.push_str(&format!("  <updated>{}</updated>\n", rfc3339(feed.updated)));
    out.push_str(&format!("  <author><name>{}</name></author>\n", escape(feed.author)));
    out.push_str(&format!("  <link rel=\"self\" type=\"application/atom+xml\" href=\"{}\"/>\n", escape(feed.url)));
    out.push_str("  <generator>Embargo</generator>\n");
    for doc in documents {
        let title = match doc.withdrawn {
            Some(_) => format!("[withdrawn] {}: {}", doc.id, doc.title()),
            None => format!("{}: {}", doc.id, doc.title()),
        };
        let summary = if doc.content.details.trim().is_empty() { doc.title() } else { doc.content.details.trim() };
        out.push_str("  <entry>\n");
        out.push_str(&format!("    <id>{}</id>\n", escape(doc.page_url)));
        out.push_str(&format!("    <title>{}</title>\n", escape(&title)));
        out.push_str(&format!("    <updated>{}</updated>\n", rfc3339(doc.modified)));
        out.push_str(&format!("    <published>{}</published>\n", rfc3339(doc.published)));
        out.push_str(&format!("    <link rel=\"alternate\" type=\"text/html\" href=\"{}\"/>\n", escape(doc.page_url)));
        for alias in &doc.content.aliases {
            out.push_str(&format!("    <category term=\"{}\"/>\n", escape(alias.as_str())));
        }
        out.push_str(&format!("    <summary type=\"text\">{}</summary>\n", escape(summary)));
        out.push_str("  </entry>\n");
    }
    out.push_str("</feed>\n");
    out
}

#[cfg(test)]
mod tests {
    use time::macros::datetime;

    use super::*;
    use crate::fixture::Fixture;

    #[test]
    fn entries_are_escaped_and_complete() {
        let mut f = Fixture::new();
        f.content.summary = "<script>alert(\"x\")</script> & more".into();
        let feed_text = feed(
            &Feed {
                url: "https://security.example.org/advisories.atom",
                title: "Security advisories",
                author: "security.example.org",
                updated: datetime!(2026-05-05 10:30 UTC),
            },
            &[f.document()],
        );
        assert!(
            feed_text.contains(
                "<title>PALLETS-2026-1: &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; more</title>"
            )
        );
        assert!(!feed_text.contains("<script>"));
        for element in [
            "<id>",
            "<updated>2026-05-05T10:30:00Z</updated>",
            "<published>2026-05-04T09:00:00Z</published>",
            "<author>",
            "rel=\"self\"",
            "rel=\"alternate\"",
            "<category term=\"CVE-2026-12345\"/>",
        ] {
            assert!(feed_text.contains(element), "{element} missing from {feed_text}");
        }
        assert_eq!(escape("a\u{1}b\nc"), "ab\nc");
    }
}
