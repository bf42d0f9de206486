//! Rendering helpers: sanitised Markdown and times for people.

use embargo_core::Timestamp;

/// Markdown as HTML, sanitised: links get `rel="noopener noreferrer nofollow"`,
/// only http, https and mailto URLs survive, raw HTML is cleaned.
pub(crate) fn markdown(text: &str) -> String {
    use pulldown_cmark::{Options, Parser, html};
    let mut options = Options::empty();
    options.insert(Options::ENABLE_TABLES);
    options.insert(Options::ENABLE_STRIKETHROUGH);
    options.insert(Options::ENABLE_FOOTNOTES);
    let mut unsafe_html = String::with_capacity(text.len() * 2);
    html::push_html(&mut unsafe_html, Parser::new_ext(text, options));
    ammonia::Builder::default()
        .url_schemes(["http", "https", "mailto"].into_iter().collect())
        .link_rel(Some("noopener noreferrer nofollow"))
        .clean(&unsafe_html)
        .to_string()
}

/// Whether a text uses Markdown: a heading, list, quote, code, emphasis, link,
/// table or rule. Paragraphs, line breaks and raw HTML alone do not count, so
/// plain text (and text that only holds markup) stays plain.
pub(crate) fn uses_markdown(text: &str) -> bool {
    use pulldown_cmark::{Event, Options, Parser, Tag};
    Parser::new_ext(text, Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH).any(|event| match event {
        Event::Start(tag) => matches!(
            tag,
            Tag::Heading { .. }
                | Tag::BlockQuote(_)
                | Tag::CodeBlock(_)
                | Tag::List(_)
                | Tag::Emphasis
                | Tag::Strong
                | Tag::Strikethrough
                | Tag::Link { .. }
                | Tag::Table(_)
        ),
        Event::Code(_) | Event::Rule => true,
        _ => false,
    })
}

/// Text people wrote (a report, a message) as HTML: sanitised Markdown where
/// the writer used Markdown, else the text as written (escaped, line breaks
/// kept by the `text` class). The stored text is never changed.
pub(crate) fn written(text: &str) -> String {
    if uses_markdown(text) {
        format!("<div class=\"markdown written\">{}</div>", markdown(text))
    } else {
        format!("<div class=\"text\">{}</div>", escape(text))
    }
}

/// Text escaped for HTML content and attribute values.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#x27;"),
            c => out.push(c),
        }
    }
    out
}

/// A timestamp for people: `2026-05-04 09:00 UTC`.
pub(crate) fn when(t: Timestamp) -> String {
    let format = time::macros::format_description!("[year]-[month]-[day] [hour]:[minute] UTC");
    t.format(format).unwrap_or_default()
}

/// A date for people: `2026-05-04`.
pub(crate) fn day(t: Timestamp) -> String {
    let format = time::macros::format_description!("[year]-[month]-[day]");
    t.format(format).unwrap_or_default()
}

/// How long ago: `3 days ago`, `5 h ago`, `just now`.
pub(crate) fn ago(t: Timestamp, now: Timestamp) -> String {
    let elapsed = now - t;
    if elapsed.whole_minutes() < 1 {
        "just now".to_owned()
    } else {
        format!("{} ago", embargo_core::deadline::human(elapsed))
    }
}

/// A deadline for people: `acknowledge within 2 days`, or `acknowledge: overdue by 5 h`.
pub(crate) fn deadline(due: &embargo_core::deadline::Due, now: Timestamp) -> (String, bool) {
    let remaining = due.remaining(now);
    if due.is_overdue(now) {
        (format!("{} — overdue by {}", capitalised(due.kind.verb()), embargo_core::deadline::human(remaining)), true)
    } else {
        (format!("{} within {}", capitalised(due.kind.verb()), embargo_core::deadline::human(remaining)), false)
    }
}

/// The text with its first letter upper-case.
pub(crate) fn capitalised(word: &str) -> String {
    let mut chars = word.chars();
    chars.next().map(|c| c.to_uppercase().chain(chars).collect()).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markdown_is_sanitised() {
        let html = markdown(
            "# Hi\n\n<script>alert(1)</script>\n\n[x](javascript:alert(1)) <img src=x onerror=alert(1)>\n\n[y](https://example.org)",
        );
        assert!(!html.contains("<script"), "{html}");
        assert!(!html.contains("href=\"javascript:"), "{html}");
        assert!(!html.contains("onerror"), "{html}");
        assert!(html.contains(r#"<a href="https://example.org" rel="noopener noreferrer nofollow">y</a>"#), "{html}");
        assert!(html.contains("<h1>Hi</h1>"));
    }

    #[test]
    fn written_text_is_markdown_only_where_the_writer_used_it() {
        let plain = "Line one\nline two <b>not bold</b>\n\nA second paragraph.";
        assert!(!uses_markdown(plain));
        assert_eq!(
            written(plain),
            "<div class=\"text\">Line one\nline two &lt;b&gt;not bold&lt;/b&gt;\n\nA second paragraph.</div>"
        );
        let rich = "## Steps\n\n1. Run `orbit -c 'x'`\n2. See **the crash**";
        assert!(uses_markdown(rich));
        let html = written(rich);
        assert!(html.contains("<h2>Steps</h2>") && html.contains("<code>orbit -c 'x'</code>"), "{html}");
        assert!(html.contains("<strong>the crash</strong>"), "{html}");
    }
}
