//! Private search's words (issue 15): how report text becomes the terms its
//! index holds, and how a query is read. The store keeps each term only as a
//! keyed hash (the key derived from the instance secret), never as text, so
//! a database dump shows none of the indexed words.
//!
//! A term is a prefix of 3 to [`MAX_PREFIX`] characters of a word (lowercase,
//! split at anything not a letter or digit), so that a query word of 3 or
//! more characters finds the words it begins. Structured fields are terms in
//! their own namespaces (`cwe:79`, `cve:cve-2026-1234`), which no word can
//! spell because words never hold `:`.
//!
//! Each pair of adjacent words is a term too (`overflow in`, the two words
//! separated by a space, which no word holds either): a quoted phrase matches
//! the reports holding each of its adjacent pairs, so its words must stand
//! together and in its order, with no positions kept in the index. (A text
//! holding every pair apart, as "in the" here and "the parser" there, matches
//! as well: the pairs say which words touch, not where.)

use std::collections::BTreeSet;

/// Query words shorter than this are refused (and shorter words are not indexed).
pub const MIN_PREFIX: usize = 3;
/// Prefixes are indexed up to this many characters; a longer query word matches by its prefix.
pub const MAX_PREFIX: usize = 12;
/// At most this many words in one query.
pub const MAX_WORDS: usize = 8;

/// The words of a text: lowercase, split at anything not a letter or digit.
pub fn words(text: &str) -> impl Iterator<Item = String> + '_ {
    text.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()).map(str::to_lowercase)
}

/// Every prefix of 3 to [`MAX_PREFIX`] characters of a word (the word itself among them when short enough).
fn prefixes(word: &str) -> impl Iterator<Item = String> + '_ {
    let ends: Vec<usize> = word.char_indices().map(|(i, c)| i + c.len_utf8()).collect();
    ends.into_iter()
        .enumerate()
        .filter(|(n, _)| (MIN_PREFIX..=MAX_PREFIX).contains(&(n + 1)))
        .map(|(_, end)| word.get(..end).unwrap_or(word).to_owned())
}

/// The terms a text is indexed under: its words' prefixes and its pairs of adjacent words.
pub fn text_terms(text: &str) -> BTreeSet<String> {
    let words: Vec<String> = words(text).collect();
    let mut terms: BTreeSet<String> = words.iter().flat_map(|w| prefixes(w).collect::<Vec<_>>()).collect();
    terms.extend(words.windows(2).filter_map(|pair| match pair {
        [a, b] => Some(pair_term(a, b)),
        _ => None,
    }));
    terms
}

/// The term of two adjacent words: each cut to [`MAX_PREFIX`] characters, a space between.
fn pair_term(a: &str, b: &str) -> String {
    format!("{} {}", word_term(a), word_term(b))
}

/// A quoted phrase's terms: its adjacent pairs, or its one word (skipped when short).
fn phrase_terms(words: &[String]) -> Vec<String> {
    match words {
        [] => Vec::new(),
        [one] if one.chars().count() < MIN_PREFIX => Vec::new(),
        [one] => vec![word_term(one)],
        many => many.windows(2).filter_map(|p| p.first().zip(p.get(1))).map(|(a, b)| pair_term(a, b)).collect(),
    }
}

/// The term a weakness is indexed under (`cwe:79`).
pub fn cwe_term(cwe: &crate::id::CweId) -> String {
    let text = cwe.to_string().to_lowercase();
    format!("cwe:{}", text.trim_start_matches("cwe-"))
}

/// The term a CVE id is indexed under (`cve:cve-2026-1234`).
pub fn cve_term(cve: &str) -> String {
    format!("cve:{}", cve.trim().to_lowercase())
}

/// Whether a term names a structured field (`cwe:79`, `cve:cve-2026-1234`)
/// rather than text: only those hold `:`, which no word or pair of words can.
pub fn is_field(term: &str) -> bool {
    term.contains(':')
}

/// A query word's term: the word, cut to [`MAX_PREFIX`] characters.
fn word_term(word: &str) -> String {
    word.chars().take(MAX_PREFIX).collect()
}

/// A search as typed, read: the terms every match holds, and the filters.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SearchQuery {
    /// Terms every matching report holds (words, prefixes, phrases' pairs of words, `cwe:`, `cve:`).
    pub terms: Vec<String>,
    /// `state:NAME` (or `state:open`).
    pub state: Option<String>,
    /// `project:ORG/PROJECT` or `project:ORG`.
    pub project: Option<String>,
    /// `assignee:me` or `assignee:USER-ID`.
    pub assignee: Option<String>,
}

/// Why a query was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SearchError {
    /// A word is too short to search for.
    #[error("search words need at least {MIN_PREFIX} characters: {0:?} is shorter")]
    TooShort(String),
    /// Too many words.
    #[error("a search takes at most {MAX_WORDS} words")]
    TooMany,
    /// A filter this search does not know.
    #[error("unknown search filter {0:?}: use state:, project:, cve:, cwe: or assignee:")]
    UnknownFilter(String),
    /// A filter without its value.
    #[error("the search filter {0:?} needs a value")]
    Empty(String),
    /// Nothing to search for.
    #[error("the search is empty")]
    Nothing,
}

/// Reads a query: words, quoted phrases (their adjacent pairs of words), and filters
/// `state:`, `project:`, `cve:`, `cwe:`, `assignee:`.
pub fn parse(query: &str) -> Result<SearchQuery, SearchError> {
    let mut out = SearchQuery::default();
    // The words of the quoted phrase being read (an unclosed one ends with the query).
    let mut phrase: Vec<String> = Vec::new();
    let mut quoted = false;
    for raw in query.split_whitespace() {
        let opens = raw.starts_with('"');
        let closes = (raw.len() > 1 && raw.ends_with('"')) || (raw == "\"" && quoted);
        let inside = quoted || opens;
        quoted = if closes { false } else { quoted || opens };
        let part = raw.trim_matches('"');
        if let Some((name, value)) = part.split_once(':') {
            let value = value.trim_matches('"').trim();
            if value.is_empty() {
                return Err(SearchError::Empty(name.to_owned()));
            }
            match name.to_lowercase().as_str() {
                "state" => out.state = Some(value.to_lowercase()),
                "project" => out.project = Some(value.to_lowercase()),
                "assignee" => out.assignee = Some(value.to_lowercase()),
                "cwe" => {
                    let number = value.to_lowercase();
                    out.terms.push(format!("cwe:{}", number.trim_start_matches("cwe-")));
                }
                "cve" => out.terms.push(cve_term(value)),
                _ => return Err(SearchError::UnknownFilter(name.to_owned())),
            }
            continue;
        }
        if inside {
            phrase.extend(words(part));
            if !quoted {
                out.terms.extend(phrase_terms(&phrase));
                phrase.clear();
            }
            continue;
        }
        for word in words(part) {
            if word.chars().count() < MIN_PREFIX {
                return Err(SearchError::TooShort(word));
            }
            out.terms.push(word_term(&word));
        }
    }
    out.terms.extend(phrase_terms(&phrase));
    out.terms.sort();
    out.terms.dedup();
    if out.terms.len() > MAX_WORDS {
        return Err(SearchError::TooMany);
    }
    if out.terms.is_empty() && out.state.is_none() && out.project.is_none() && out.assignee.is_none() {
        return Err(SearchError::Nothing);
    }
    Ok(out)
}

#[cfg(test)]
mod tests;
