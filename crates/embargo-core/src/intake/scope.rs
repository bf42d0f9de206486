//! The policy's scope applied at intake: whether a report's component or
//! title names something the policy lists as out of scope or as never a
//! security issue.
//!
//! Scope entries are sentences written for people ("Code shown in tutorials
//! and examples"), so a report is matched to them by their significant words:
//! lower-cased, short and common words left out, a plural's `s` dropped. An
//! entry matches a text when they share at least two such words and those
//! cover half the entry or the whole text. An out-of-scope entry counts only
//! when no in-scope entry matches the same text as well or better, so a
//! report the policy names as in scope is never flagged.

use crate::policy::Policy;
use crate::report::ReportContent;

/// Which of the policy's lists an entry comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScopeList {
    /// `scope.out_of_scope`.
    OutOfScope,
    /// `scope.not_security`.
    NotSecurity,
}

/// A scope entry a report appears to be about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScopeMatch {
    /// The list the entry is on.
    pub list: ScopeList,
    /// The entry, as the policy words it.
    pub entry: String,
}

/// Words too common to say what a report is about.
const COMMON: &[&str] = &[
    "the",
    "and",
    "for",
    "with",
    "from",
    "into",
    "onto",
    "that",
    "this",
    "these",
    "those",
    "its",
    "are",
    "was",
    "were",
    "not",
    "but",
    "any",
    "all",
    "can",
    "may",
    "via",
    "when",
    "which",
    "who",
    "how",
    "what",
    "has",
    "have",
    "our",
    "your",
    "their",
    "them",
    "they",
    "there",
    "other",
    "such",
    "also",
    "only",
    "than",
    "then",
    "does",
    "issue",
    "issues",
    "bug",
    "bugs",
    "vulnerability",
    "vulnerabilities",
    "security",
    "report",
    "problem",
];

/// A word as compared: lower case, a plural ending taken off.
fn stem(word: &str) -> String {
    let w = word.to_lowercase();
    if let Some(base) = w.strip_suffix("ies").filter(|b| b.len() >= 3) {
        format!("{base}y")
    } else if w.ends_with('s') && !w.ends_with("ss") && w.len() > 3 {
        w[..w.len() - 1].to_owned()
    } else {
        w
    }
}

/// The significant words of a text, each once.
fn words(text: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for word in text.split(|c: char| !c.is_alphanumeric()) {
        if word.chars().count() < 3 || COMMON.contains(&word.to_lowercase().as_str()) {
            continue;
        }
        let s = stem(word);
        if !out.contains(&s) {
            out.push(s);
        }
    }
    out
}

/// How many words of `text` an entry shares, when that is enough to say the
/// text is about the entry.
fn strength(entry: &str, text: &[String]) -> Option<usize> {
    let entry = words(entry);
    let shared = text.iter().filter(|w| entry.contains(w)).count();
    (shared >= 2 && (shared * 2 >= entry.len() || shared == text.len())).then_some(shared)
}

/// The best entry of a list for a text.
fn best<'a>(entries: &'a [String], text: &[String]) -> Option<(usize, &'a String)> {
    entries.iter().filter_map(|e| strength(e, text).map(|s| (s, e))).max_by_key(|(s, _)| *s)
}

/// The out-of-scope or not-security entry the report's component (else its
/// title) appears to be about, if any and unless an in-scope entry fits it as well.
pub fn scope_match(policy: &Policy, content: &ReportContent) -> Option<ScopeMatch> {
    let scope = &policy.scope;
    let texts = [content.component.as_deref(), Some(content.title.as_str())];
    for text in texts.into_iter().flatten() {
        let text = words(text);
        let inside = best(&scope.in_scope.value, &text).map_or(0, |(s, _)| s);
        let lists =
            [(ScopeList::NotSecurity, &scope.not_security.value), (ScopeList::OutOfScope, &scope.out_of_scope.value)];
        let found = lists
            .into_iter()
            .filter_map(|(list, entries)| best(entries, &text).map(|(s, e)| (s, list, e)))
            .max_by_key(|(s, _, _)| *s);
        if let Some((s, list, entry)) = found
            && s > inside
        {
            return Some(ScopeMatch { list, entry: entry.clone() });
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plurals_and_common_words_do_not_count() {
        assert_eq!(words("Code shown in tutorials and examples"), ["code", "shown", "tutorial", "example"]);
        assert_eq!(words("Extensions maintained by third parties"), ["extension", "maintained", "third", "party"]);
        assert_eq!(stem("access"), "access");
    }

    #[test]
    fn one_shared_word_is_not_enough() {
        assert_eq!(strength("Code shown in tutorials and examples", &words("example parser")), None);
        assert_eq!(strength("Code shown in tutorials and examples", &words("the tutorial examples")), Some(2));
    }
}
