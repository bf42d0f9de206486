//! The CWE list that ships with the binary: names for CWE ids, and a search
//! for the advisory editor. The list is generated from MITRE's published CWE
//! list (see `cwe/list.rs` for its source and licence, `cwe/generate.py` to refresh it).

mod list;

use crate::id::CweId;

/// The CWE version the list was built from (`4.14`).
pub const LIST_VERSION: &str = list::VERSION;

/// One entry of the CWE list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CweEntry {
    /// The id.
    pub id: CweId,
    /// MITRE's name for it (deprecated entries start with `DEPRECATED:`).
    pub name: &'static str,
}

fn entry(&(number, name): &(u32, &'static str)) -> Option<CweEntry> {
    Some(CweEntry { id: CweId::from_number(number)?, name })
}

/// The name of a CWE id, if the list knows it.
pub fn name(id: CweId) -> Option<&'static str> {
    let index = list::ENTRIES.binary_search_by_key(&id.number(), |(number, _)| *number).ok()?;
    list::ENTRIES.get(index).map(|(_, name)| *name)
}

/// Every entry, by id.
pub fn entries() -> impl Iterator<Item = CweEntry> {
    list::ENTRIES.iter().filter_map(entry)
}

/// Entries matching what someone typed: an id (`79`, `CWE-79`) or words that
/// all appear in the name, case-insensitively. Deprecated entries come last.
pub fn search(query: &str) -> Vec<CweEntry> {
    let query = query.trim();
    if let Ok(id) = query.parse::<CweId>() {
        return entries().filter(|e| e.id == id).collect();
    }
    let words: Vec<String> = query.split_whitespace().map(str::to_lowercase).collect();
    let mut found: Vec<CweEntry> = entries()
        .filter(|e| {
            let name = e.name.to_lowercase();
            words.iter().all(|w| name.contains(w.as_str()))
        })
        .collect();
    found.sort_by_key(|e| (e.name.starts_with("DEPRECATED"), e.id));
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(query: &str, expected_first: Option<(&str, &str)>) {
        let found = search(query);
        let first = found.first().map(|e| (e.id.to_string(), e.name));
        assert_eq!(first.as_ref().map(|(id, name)| (id.as_str(), *name)), expected_first, "query {query:?}");
    }

    #[test]
    fn names_come_from_the_list() {
        assert_eq!(
            name("CWE-79".parse().unwrap()),
            Some("Improper Neutralization of Input During Web Page Generation ('Cross-site Scripting')")
        );
        assert_eq!(name("CWE-20".parse().unwrap()), Some("Improper Input Validation"));
        assert_eq!(name("CWE-999999".parse().unwrap()), None);
        assert!(entries().count() > 1000, "the whole list ships");
        assert_eq!(LIST_VERSION, "4.14");
    }

    #[test]
    fn search_by_id_or_words() {
        check(
            "CWE-22",
            Some(("CWE-22", "Improper Limitation of a Pathname to a Restricted Directory ('Path Traversal')")),
        );
        check("22", Some(("CWE-22", "Improper Limitation of a Pathname to a Restricted Directory ('Path Traversal')")));
        check(
            "cross-site scripting",
            Some(("CWE-79", "Improper Neutralization of Input During Web Page Generation ('Cross-site Scripting')")),
        );
        check("no such weakness anywhere", None);
        let deprecated_last = search("location");
        let first_deprecated = deprecated_last.iter().position(|e| e.name.starts_with("DEPRECATED"));
        if let Some(at) = first_deprecated {
            assert!(deprecated_last.iter().skip(at).all(|e| e.name.starts_with("DEPRECATED")));
        }
    }
}
