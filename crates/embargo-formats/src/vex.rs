//! VEX documents of a published advisory, two profiles of the same
//! statements:
//!
//! - CSAF 2.0's VEX profile (section 4.5, `csaf_vex`), built by
//!   [`crate::csaf`] from the same product tree as the security advisory,
//!   with tracking id `ID-VEX`, served beside it in the provider;
//! - OpenVEX 0.2.0 (<https://github.com/openvex/spec>): one statement per
//!   range with a fix (`fixed` at the fixed version, `affected` before it
//!   with the action statement "upgrade"), per range without one and per
//!   listed version (`affected`), and per release line the team stated not
//!   affected (`not_affected` with its justification).
//!
//! Products are named by Package URL where the package has one; a release
//! line by an IRI below the advisory's page.

use embargo_core::advisory::RangeEvent;
use embargo_core::id::AdvisoryId;
use embargo_core::vex::NotAffected;
use serde_json::{Value, json};

use crate::csaf::Publisher;
use crate::{Document, rfc3339};

/// The CSAF VEX document's tracking id.
pub fn vex_id(id: &AdvisoryId) -> String {
    format!("{}-VEX", id.as_str())
}

/// The CSAF VEX document's path below the provider's `white/` folder.
pub fn csaf_file_path(doc: &Document<'_>) -> String {
    let path = crate::csaf::file_path(doc);
    format!("{}-vex.json", path.trim_end_matches(".json"))
}

/// The folder of the OpenVEX documents, beside `white/` in the provider:
/// `openvex/YEAR/NAME.json`, named as the advisory's CSAF document.
pub const OPENVEX_DIR: &str = "openvex";

/// The CSAF VEX document, served at `url`, referring to the OpenVEX one at `openvex_url`.
pub fn csaf(
    doc: &Document<'_>,
    publisher: &Publisher,
    url: &str,
    openvex_url: &str,
    not_affected: &[NotAffected],
) -> crate::csaf::model::Csaf {
    use crate::csaf::model::{Reference, ReferenceCategory};
    let mut csaf = crate::csaf::build(doc, publisher, url, Some(not_affected));
    csaf.document.references.push(Reference {
        category: ReferenceCategory::External,
        summary: "The same statements as OpenVEX".into(),
        url: openvex_url.to_owned(),
    });
    csaf
}

/// The OpenVEX 0.2.0 document, served at `url` (its `@id`); `author` is the
/// organisation.
pub fn openvex(doc: &Document<'_>, url: &str, not_affected: &[NotAffected]) -> Value {
    let c = doc.content;
    let vulnerability = {
        let mut aliases: Vec<&str> = c.aliases.iter().map(|a| a.as_str()).collect();
        aliases.dedup();
        let mut v = json!({"@id": doc.page_url, "name": doc.id.as_str(), "description": doc.title()});
        if !aliases.is_empty()
            && let Some(map) = v.as_object_mut()
        {
            map.insert("aliases".into(), json!(aliases));
        }
        v
    };
    let timestamp = rfc3339(doc.modified);
    let mut statements = Vec::new();
    let mut statement = |products: Vec<Value>, status: &str, extra: Value| {
        let mut s = json!({
            "vulnerability": vulnerability,
            "timestamp": timestamp,
            "products": products,
            "status": status,
        });
        if let (Some(map), Value::Object(extra)) = (s.as_object_mut(), extra) {
            map.extend(extra);
        }
        statements.push(s);
    };
    for affected in &c.affected {
        let purl = affected
            .package
            .as_ref()
            .and_then(|pkg| affected.source.purl.clone().or_else(|| crate::purl::of_package(pkg)));
        let name = affected.package.as_ref().map_or(doc.product, |p| p.name.as_str());
        let product = |version: Option<&str>| match (&purl, version) {
            (Some(purl), Some(v)) => {
                let at = crate::purl::with_version(purl, v).unwrap_or_else(|| purl.clone());
                json!({"@id": at, "identifiers": {"purl": at}})
            }
            (Some(purl), None) => json!({"@id": purl, "identifiers": {"purl": purl}}),
            (None, v) => {
                let fragment: String = format!("{name}-{}", v.unwrap_or("all"))
                    .chars()
                    .map(|ch| if ch.is_ascii_alphanumeric() || matches!(ch, '.' | '-' | '_') { ch } else { '_' })
                    .collect();
                json!({"@id": format!("{}#{fragment}", doc.page_url)})
            }
        };
        let mut named = false;
        for range in &affected.ranges {
            let mut from: Option<&str> = None;
            for event in &range.events {
                match event {
                    RangeEvent::Introduced(v) => from = Some(v),
                    RangeEvent::Fixed(v) => {
                        named = true;
                        let notes = match from {
                            Some(f) if f != "0" => format!("Versions from {f} before {v} are affected."),
                            _ => format!("Versions before {v} are affected."),
                        };
                        statement(
                            vec![product(None)],
                            "affected",
                            json!({"status_notes": notes, "action_statement": format!("Upgrade {name} to {v} or later.")}),
                        );
                        statement(vec![product(Some(v))], "fixed", json!({}));
                        from = None;
                    }
                    RangeEvent::LastAffected(v) => {
                        named = true;
                        statement(
                            vec![product(Some(v))],
                            "affected",
                            json!({"action_statement": "No fixed version is named yet: follow the advisory for updates."}),
                        );
                        from = None;
                    }
                    RangeEvent::Limit(_) => {}
                }
            }
            if let Some(f) = from {
                named = true;
                let notes = if f == "0" {
                    "Every version is affected.".to_owned()
                } else {
                    format!("Versions from {f} on are affected.")
                };
                statement(
                    vec![product(None)],
                    "affected",
                    json!({"status_notes": notes, "action_statement": "No fixed version is named yet: follow the advisory for updates."}),
                );
            }
        }
        if !affected.versions.is_empty() {
            named = true;
            let products: Vec<Value> = affected.versions.iter().map(|v| product(Some(v))).collect();
            statement(
                products,
                "affected",
                json!({"action_statement": "Upgrade to a version this advisory names as fixed."}),
            );
        }
        if !named {
            statement(
                vec![product(None)],
                "affected",
                json!({"status_notes": "Every version is affected.", "action_statement": "Follow the advisory for updates."}),
            );
        }
    }
    for n in not_affected {
        let fragment: String = n
            .line
            .chars()
            .map(|ch| if ch.is_ascii_alphanumeric() || matches!(ch, '.' | '-' | '_') { ch } else { '_' })
            .collect();
        let mut extra = json!({
            "justification": n.justification.as_str(),
            "status_notes": format!("Release line {} of {}: {}.", n.line, doc.product, n.justification.label()),
            "timestamp": rfc3339(n.stated_at),
        });
        if let (Some(impact), Some(map)) = (&n.impact, extra.as_object_mut()) {
            map.insert("impact_statement".into(), json!(impact));
        }
        statement(vec![json!({"@id": format!("{}#line-{fragment}", doc.page_url)})], "not_affected", extra);
    }
    // Each affected entry and each line made a statement: with neither, say so.
    if c.affected.is_empty() && not_affected.is_empty() {
        statement(
            vec![json!({"@id": format!("{}#{}", doc.page_url, "all")})],
            "under_investigation",
            json!({"status_notes": format!("The advisory names no package of {}.", doc.product)}),
        );
    }
    let last =
        not_affected.iter().map(|n| n.stated_at).chain(std::iter::once(doc.modified)).max().unwrap_or(doc.modified);
    json!({
        "@context": "https://openvex.dev/ns/v0.2.0",
        "@id": url,
        "author": doc.vendor,
        "role": "vendor",
        "timestamp": rfc3339(doc.published),
        "last_updated": rfc3339(last),
        "version": doc.revisions.last().map_or(1, |(n, _)| *n) + u32::try_from(not_affected.len()).unwrap_or(0),
        "tooling": format!("Embargo {}", env!("CARGO_PKG_VERSION")),
        "statements": statements,
    })
}

#[cfg(test)]
mod tests {
    use embargo_core::vex::Justification;
    use time::macros::datetime;

    use super::*;
    use crate::fixture::Fixture;

    fn line_2() -> NotAffected {
        NotAffected {
            line: "2.x".into(),
            justification: Justification::VulnerableCodeNotPresent,
            impact: Some("Sessions were stored server-side in 2.x.".into()),
            stated_at: datetime!(2026-05-06 8:00 UTC),
        }
    }

    #[test]
    fn openvex_states_fixed_affected_and_not_affected() {
        let f = Fixture::new();
        let doc = f.document();
        let vex = openvex(&doc, "https://x/advisories/PALLETS-2026-1/openvex.json", &[line_2()]);
        let statements = vex["statements"].as_array().unwrap();
        let of = |status: &str| statements.iter().filter(|s| s["status"] == status).collect::<Vec<_>>();
        assert_eq!(of("fixed").len(), 2);
        assert_eq!(of("fixed")[1]["products"][0]["@id"], "pkg:pypi/flask@3.1.1");
        assert_eq!(of("affected").len(), 3, "two ranges and the listed version");
        assert!(of("affected").iter().all(|s| s["action_statement"].is_string()), "OpenVEX wants an action");
        let not = of("not_affected");
        assert_eq!(not[0]["justification"], "vulnerable_code_not_present");
        assert_eq!(not[0]["impact_statement"], "Sessions were stored server-side in 2.x.");
        assert_eq!(vex["statements"][0]["vulnerability"]["aliases"][0], "CVE-2026-12345");
    }

    #[test]
    fn csaf_vex_marks_lines_not_affected_with_a_flag() {
        let f = Fixture::new();
        let doc = f.document();
        let publisher = Publisher { name: "p".into(), namespace: "https://x".into() };
        let vex =
            serde_json::to_value(csaf(&doc, &publisher, "https://x/v.json", "https://x/o.json", &[line_2()])).unwrap();
        assert_eq!(vex["document"]["category"], "csaf_vex");
        assert_eq!(vex["document"]["tracking"]["id"], "PALLETS-2026-1-VEX");
        let v = &vex["vulnerabilities"][0];
        let not = v["product_status"]["known_not_affected"][0].as_str().unwrap();
        assert_eq!(v["flags"][0]["label"], "vulnerable_code_not_present");
        assert_eq!(v["flags"][0]["product_ids"][0], not);
        let remedied: Vec<&str> = v["remediations"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|r| r["product_ids"].as_array().unwrap().iter().map(|id| id.as_str().unwrap()))
            .collect();
        for id in v["product_status"]["known_affected"].as_array().unwrap() {
            assert!(remedied.contains(&id.as_str().unwrap()), "{id} has no action statement");
        }
        assert_eq!(csaf_file_path(&doc), "2026/pallets-2026-1-vex.json");
    }
}
