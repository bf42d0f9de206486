//! Likely duplicates among a project's open reports, each with why it was
//! suggested: the same affected component, the same versions, a similar
//! title or description (shared words, Jaccard similarity).

use std::collections::BTreeSet;

use crate::id::ReportId;
use crate::report::ReportContent;

/// A report suggested as a likely duplicate, with the reasons.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Suggestion {
    /// The other report.
    pub report: ReportId,
    /// Why: `same component`, `same versions tested`, `similar title (60% shared words)`, …
    pub reasons: Vec<String>,
}

/// Words of three letters or more, lower-cased.
fn words(text: &str) -> BTreeSet<String> {
    text.split(|c: char| !c.is_alphanumeric()).filter(|w| w.chars().count() >= 3).map(str::to_lowercase).collect()
}

/// Shared words over all words, in percent.
fn similarity(a: &str, b: &str) -> u32 {
    let (a, b) = (words(a), words(b));
    let union = a.union(&b).count();
    if union == 0 {
        return 0;
    }
    let shared = a.intersection(&b).count();
    u32::try_from(shared * 100 / union).unwrap_or(0)
}

fn same(a: Option<&String>, b: Option<&String>) -> bool {
    match (a, b) {
        (Some(a), Some(b)) => !a.trim().is_empty() && a.trim().eq_ignore_ascii_case(b.trim()),
        _ => false,
    }
}

/// The reports among `others` that look like duplicates of `report`, most reasons first.
pub fn suggest(report: &ReportContent, others: &[(ReportId, &ReportContent)]) -> Vec<Suggestion> {
    let mut found: Vec<Suggestion> = others
        .iter()
        .filter_map(|(id, other)| {
            let mut reasons = Vec::new();
            if same(report.component.as_ref(), other.component.as_ref()) {
                reasons.push("same component".to_owned());
            }
            if same(report.versions_tested.as_ref(), other.versions_tested.as_ref()) {
                reasons.push("same versions tested".to_owned());
            }
            if same(report.versions_vulnerable.as_ref(), other.versions_vulnerable.as_ref()) {
                reasons.push("same versions found vulnerable".to_owned());
            }
            let title = similarity(&report.title, &other.title);
            if title >= 50 {
                reasons.push(format!("similar title ({title}% shared words)"));
            }
            let body = similarity(&report.body, &other.body);
            if body >= 40 {
                reasons.push(format!("similar description ({body}% shared words)"));
            }
            let strong = reasons.iter().any(|r| r.starts_with("similar") || r == "same component");
            strong.then_some(Suggestion { report: *id, reasons })
        })
        .collect();
    found.sort_by_key(|s| std::cmp::Reverse(s.reasons.len()));
    found
}

#[cfg(test)]
mod tests {
    use uuid::Uuid;

    use super::*;

    fn content(title: &str, body: &str, component: Option<&str>, versions: Option<&str>) -> ReportContent {
        ReportContent {
            title: title.into(),
            body: body.into(),
            component: component.map(Into::into),
            versions_tested: versions.map(Into::into),
            ..ReportContent::default()
        }
    }

    #[test]
    fn suggestions_say_why() {
        let report =
            content("XSS in the login form", "The next parameter is reflected unescaped.", Some("auth"), Some("3.1"));
        let twin = content(
            "Reflected XSS in login form",
            "Parameter next reflected unescaped in page.",
            Some("Auth"),
            Some("3.1"),
        );
        let same_place = content("Crash on upload", "A large file kills the worker.", Some("auth"), None);
        let unrelated = content("Typo in docs", "A word is misspelled.", Some("docs"), Some("3.1"));
        let ids: Vec<ReportId> = (1..=3).map(|n| ReportId::from_uuid(Uuid::from_u128(n))).collect();
        let others = [(ids[0], &twin), (ids[1], &same_place), (ids[2], &unrelated)];
        let found = suggest(&report, &others);
        assert_eq!(found.len(), 2, "{found:?}");
        assert_eq!(found[0].report, ids[0]);
        assert!(found[0].reasons.contains(&"same component".to_owned()));
        assert!(found[0].reasons.contains(&"same versions tested".to_owned()));
        assert!(found[0].reasons.iter().any(|r| r.starts_with("similar title")), "{:?}", found[0].reasons);
        assert_eq!(found[1].reasons, vec!["same component".to_owned()]);
        assert_eq!(similarity("", ""), 0);
    }
}
