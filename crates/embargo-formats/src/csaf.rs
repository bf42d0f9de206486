//! CSAF 2.0 (OASIS, <https://docs.oasis-open.org/csaf/csaf/v2.0/csaf-v2.0.html>):
//! one `csaf_security_advisory` document per published advisory, and what a
//! CSAF provider serves beside them (section 7.1): `provider-metadata.json`
//! (requirement 7), the TLP:WHITE directory's `index.txt` and `changes.csv`
//! (requirements 12 and 13) and a ROLIE feed (requirement 15).
//!
//! Mapping: the product tree is vendor → package → one `product_version_range`
//! per affected range (named with a `vers:` expression, or the commits of a
//! `GIT` range) and one `product_version` per fixed or listed version;
//! `known_affected`, `fixed` and a `vendor_fix` remediation come from them.
//! The fix strategy: a patch or a dependency update is said in each
//! `vendor_fix` (with the team's text unless there is a mitigation), a
//! mitigation is a `mitigation` remediation of the known affected products
//! carrying the team's text.
//! CSAF 2.0 scores know CVSS 2 and 3 only, so a 4.0 vector is given as a
//! note. CSAF 2.0 has one CWE per vulnerability: the first; the others are
//! named in a note.

use std::collections::BTreeMap;

use embargo_core::Timestamp;
use embargo_core::advisory::{Affected, CreditKind, FixKind, FixStrategy, RangeEvent, RangeKind};
use embargo_core::id::AdvisoryId;
use embargo_core::severity::{Cvss, CvssVersion};
use embargo_core::vex::NotAffected;
use serde_json::{Value, json};

use crate::{Document, rfc3339};

/// A mitigation's details when the team wrote none.
const MITIGATION_DEFAULT: &str = "A mitigation is available: see the advisory.";

/// What a `vendor_fix` remediation says: the version to upgrade to, the kind
/// of fix, and the team's text unless a mitigation remediation carries it.
fn vendor_fix_details(fix: &FixStrategy, version: &str) -> String {
    let mut details = format!("Upgrade to {version} or later.");
    let shipped: Vec<&str> = fix.kinds.iter().filter(|k| k.is_new_version()).map(|k| k.label()).collect();
    if !shipped.is_empty() {
        details.push_str(&format!(" Fix strategy: {}.", shipped.join(" and ").to_lowercase()));
    }
    if !fix.text.is_empty() && !fix.has(FixKind::Mitigation) {
        details.push_str("\n\n");
        details.push_str(&fix.text);
    }
    details
}

/// Who publishes: the organisation in each document, the instance in the provider metadata.
#[derive(Debug, Clone)]
pub struct Publisher {
    /// The publisher's name.
    pub name: String,
    /// A URL that identifies the publisher.
    pub namespace: String,
}

/// The folder of TLP:WHITE documents, relative to the provider's base URL.
pub const WHITE_DIR: &str = "white";

/// The ROLIE feed's file name in [`WHITE_DIR`].
pub const FEED_FILE: &str = "feed-tlp-white.json";

/// A document's path below [`WHITE_DIR`]: `YEAR/NAME.json`, the year of its
/// initial release, the name the lower-cased id with every character other
/// than `+`, `-`, `a`-`z`, `0`-`9` replaced by `_` (CSAF 2.0 section 5.1).
pub fn file_path(doc: &Document<'_>) -> String {
    file_path_of(doc.id, doc.published)
}

/// [`file_path`] from the id and the initial release alone.
pub fn file_path_of(id: &AdvisoryId, published: Timestamp) -> String {
    let name: String = id
        .as_str()
        .to_ascii_lowercase()
        .chars()
        .map(|c| if c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '+' | '-') { c } else { '_' })
        .collect();
    format!("{}/{name}.json", published.year())
}

fn vers_scheme(kind: RangeKind, ecosystem: Option<&str>) -> &'static str {
    match (kind, ecosystem.map(|e| e.split(':').next().unwrap_or(e))) {
        (RangeKind::Semver, _) => "semver",
        (_, Some("PyPI")) => "pypi",
        (_, Some("npm")) => "npm",
        (_, Some("crates.io")) => "cargo",
        (_, Some("Go")) => "golang",
        (_, Some("Maven")) => "maven",
        (_, Some("RubyGems")) => "gem",
        (_, Some("NuGet")) => "nuget",
        (_, Some("Packagist")) => "composer",
        (_, Some("Hex")) => "hex",
        (_, Some("Pub")) => "pub",
        _ => "generic",
    }
}

/// One affected range as (product name, fixed version if any, the
/// repository of a `GIT` range).
fn range_names(affected: &Affected) -> Vec<(String, Option<String>, Option<String>)> {
    let ecosystem = affected.package.as_ref().map(|p| p.ecosystem.as_str());
    let mut out = Vec::new();
    for range in &affected.ranges {
        let git = range.kind == RangeKind::Git;
        let git_repo = if git { range.repo.clone() } else { None };
        let scheme = vers_scheme(range.kind, ecosystem);
        let name = |from: &str, to: Option<(&str, &str)>| {
            if git {
                let repo = range.repo.as_deref().unwrap_or("the repository");
                match (from, to) {
                    ("0", Some((_, to))) => format!("commits of {repo} before {to}"),
                    (from, Some((_, to))) => format!("commits of {repo} from {from} before {to}"),
                    (from, None) => format!("commits of {repo} from {from}"),
                }
            } else {
                let lower = (from != "0").then(|| format!(">={from}"));
                let upper = to.map(|(op, v)| format!("{op}{v}"));
                let parts: Vec<String> = lower.into_iter().chain(upper).collect();
                if parts.is_empty() { format!("vers:{scheme}/*") } else { format!("vers:{scheme}/{}", parts.join("|")) }
            }
        };
        let mut start: Option<&str> = None;
        let mut closed = true;
        for event in &range.events {
            match event {
                RangeEvent::Introduced(v) => {
                    if let (Some(open), false) = (start, closed) {
                        out.push((name(open, None), None, git_repo.clone()));
                    }
                    start = Some(v);
                    closed = false;
                }
                RangeEvent::Fixed(v) => {
                    out.push((name(start.unwrap_or("0"), Some(("<", v))), Some(v.clone()), git_repo.clone()));
                    closed = true;
                }
                RangeEvent::LastAffected(v) => {
                    out.push((name(start.unwrap_or("0"), Some(("<=", v))), None, git_repo.clone()));
                    closed = true;
                }
                RangeEvent::Limit(_) => {}
            }
        }
        if let (Some(open), false) = (start, closed) {
            out.push((name(open, None), None, git_repo.clone()));
        }
    }
    out
}

fn cvss_v3(cvss: &Cvss) -> Value {
    let version = if cvss.vector().starts_with("CVSS:3.0/") { "3.0" } else { "3.1" };
    json!({
        "version": version,
        "vectorString": cvss.vector(),
        "baseScore": cvss.score(),
        "baseSeverity": cvss.level().as_str().to_ascii_uppercase(),
    })
}

fn credit_role(kind: CreditKind) -> &'static str {
    match kind {
        CreditKind::Finder => "found the vulnerability",
        CreditKind::Reporter => "reported the vulnerability",
        CreditKind::Analyst => "analysed the vulnerability",
        CreditKind::Coordinator => "coordinated the response",
        CreditKind::RemediationDeveloper => "developed the fix",
        CreditKind::RemediationReviewer => "reviewed the fix",
        CreditKind::RemediationVerifier => "verified the fix",
        CreditKind::Tool => "tool that found the vulnerability",
        CreditKind::Sponsor => "sponsored the work",
        CreditKind::Other => "contributed",
    }
}

/// Builds the product tree; answers it with the known-affected and fixed
/// product ids and (fixed version, product ids it remedies) pairs.
struct Products {
    next: usize,
    tree: BTreeMap<String, Vec<Value>>,
    ids: BTreeMap<(String, String), String>,
    known_affected: Vec<String>,
    fixed: Vec<String>,
    fixes: Vec<(String, Vec<String>)>,
    under_investigation: Vec<String>,
}

impl Products {
    /// A product's id, made on first use. `purl` (CSAF 2.0 section 3.1.3.3
    /// `product_identification_helper.purl`) names the package, with the
    /// version for a `product_version`.
    fn id(&mut self, product: &str, name: &str, category: &str, purl: Option<String>) -> String {
        if let Some(id) = self.ids.get(&(product.to_owned(), name.to_owned())) {
            return id.clone();
        }
        self.next += 1;
        let id = format!("CSAFPID-{:04}", self.next);
        self.ids.insert((product.to_owned(), name.to_owned()), id.clone());
        let mut full = json!({"name": format!("{product} {name}"), "product_id": id});
        if let (Some(purl), Some(map)) = (purl, full.as_object_mut()) {
            map.insert("product_identification_helper".into(), json!({"purl": purl}));
        }
        self.tree.entry(product.to_owned()).or_default().push(json!({
            "category": category,
            "name": name,
            "product": full,
        }));
        id
    }

    fn build(doc: &Document<'_>) -> Products {
        let mut p = Products {
            next: 0,
            tree: BTreeMap::new(),
            ids: BTreeMap::new(),
            known_affected: Vec::new(),
            fixed: Vec::new(),
            fixes: Vec::new(),
            under_investigation: Vec::new(),
        };
        for affected in &doc.content.affected {
            let product = affected.package.as_ref().map_or(doc.product, |pkg| pkg.name.as_str());
            let purl = affected
                .package
                .as_ref()
                .and_then(|pkg| affected.source.purl.clone().or_else(|| crate::purl::of_package(pkg)));
            let at = |version: &str| purl.as_deref().and_then(|p| crate::purl::with_version(p, version));
            let mut affected_here = Vec::new();
            for (name, fixed, repo) in range_names(affected) {
                // A GIT range names commits of a repository: a GitHub one has a purl of its own.
                let range_purl = match &repo {
                    Some(repo) => crate::purl::of_github_repository(repo),
                    None => purl.clone(),
                };
                let id = p.id(product, &name, "product_version_range", range_purl.clone());
                affected_here.push(id.clone());
                if let Some(version) = fixed {
                    let helper = match &repo {
                        Some(_) => range_purl.as_deref().and_then(|p| crate::purl::with_version(p, &version)),
                        None => at(&version),
                    };
                    let fixed_id = p.id(product, &version, "product_version", helper);
                    p.fixed.push(fixed_id);
                    p.fixes.push((format!("{product} {version}"), vec![id]));
                }
            }
            for version in &affected.versions {
                affected_here.push(p.id(product, version, "product_version", at(version)));
            }
            if affected_here.is_empty() {
                // No range and no version: every version (OSV 1.7 section "affected").
                let scheme = vers_scheme(RangeKind::Ecosystem, affected.package.as_ref().map(|p| p.ecosystem.as_str()));
                affected_here.push(p.id(product, &format!("vers:{scheme}/*"), "product_version_range", purl.clone()));
            }
            p.known_affected.extend(affected_here);
        }
        if doc.content.affected.is_empty() {
            // Nothing named: the project itself, under investigation, so that
            // the product tree and the product status are never empty.
            let id = p.id(doc.product, "all versions", "product_version_range", None);
            p.under_investigation.push(id);
        }
        p.known_affected.sort();
        p.known_affected.dedup();
        p.fixed.sort();
        p.fixed.dedup();
        p.fixed.retain(|id| !p.known_affected.contains(id));
        p
    }
}

/// The CSAF 2.0 document of a published advisory, served at `url`.
pub fn document(doc: &Document<'_>, publisher: &Publisher, url: &str) -> Value {
    build(doc, publisher, url, None)
}

/// The document, or with `vex` its CSAF VEX profile (section 4.5,
/// `csaf_vex`): the same products and statuses plus the release lines the
/// team stated not affected (`known_not_affected` with a flag naming the
/// justification and, when given, an impact threat), and an action
/// statement for every known-affected product (mandatory test 6.1.27.10).
pub(crate) fn build(doc: &Document<'_>, publisher: &Publisher, url: &str, vex: Option<&[NotAffected]>) -> Value {
    let c = doc.content;
    let mut products = Products::build(doc);
    let mut not_affected: Vec<(&NotAffected, String)> = Vec::new();
    for statement in vex.unwrap_or_default() {
        let id = products.id(doc.product, &format!("release line {}", statement.line), "product_version_range", None);
        not_affected.push((statement, id));
    }
    let branches: Vec<Value> = products
        .tree
        .iter()
        .map(|(product, versions)| json!({"category": "product_name", "name": product, "branches": versions}))
        .collect();
    let mut notes = vec![json!({"category": "summary", "title": "Summary", "text": doc.title()})];
    if !c.details.trim().is_empty() {
        notes.push(json!({"category": "details", "title": "Details", "text": c.details}));
    }
    let mut references = vec![
        json!({"category": "self", "summary": "This advisory as a CSAF document", "url": url}),
        json!({"category": "self", "summary": "This advisory", "url": doc.page_url}),
    ];
    references
        .extend(c.references.iter().map(|r| json!({"category": "external", "summary": r.kind.as_str(), "url": r.url})));
    let history = revision_history(doc);
    let revision_history: Vec<Value> = history
        .iter()
        .map(|r| json!({"number": r.number.to_string(), "date": rfc3339(r.date), "summary": r.summary}))
        .collect();
    let version = history.last().map_or(1, |r| r.number);
    let current = current_release(doc);
    let mut vulnerability = json!({
        "notes": [{"category": "description", "title": "Details", "text": if c.details.trim().is_empty() { doc.title() } else { c.details.as_str() }}],
        "product_status": {},
        "release_date": rfc3339(doc.published),
        "title": doc.title(),
    });
    if let Some(v) = vulnerability.as_object_mut() {
        if let Some(cve) = c.cve_id() {
            v.insert("cve".into(), json!(cve.as_str()));
        }
        let ids: Vec<Value> = std::iter::once(json!({"system_name": doc.vendor, "text": doc.id.as_str()}))
            .chain(c.aliases.iter().filter(|a| a.cve().is_none()).map(|a| {
                let system = a.as_str().split('-').next().unwrap_or("alias");
                json!({"system_name": system, "text": a.as_str()})
            }))
            .collect();
        v.insert("ids".into(), Value::Array(ids));
        if let Some(first) = c.cwes.first() {
            let name = embargo_core::cwe::name(*first).unwrap_or("");
            v.insert("cwe".into(), json!({"id": first.to_string(), "name": name}));
        }
        let mut extra_notes = Vec::new();
        if c.cwes.len() > 1 {
            let others: Vec<String> = c.cwes.iter().skip(1).map(ToString::to_string).collect();
            extra_notes.push(json!({"category": "other", "title": "Other weaknesses", "text": others.join(", ")}));
        }
        if let Some(v4) = &c.severity.cvss_v4 {
            let text = format!(
                "{} ({:.1} {}, {})",
                v4.vector(),
                v4.score(),
                v4.level().as_str().to_ascii_uppercase(),
                v4.nomenclature().map_or("CVSS-B", |n| n.as_str())
            );
            extra_notes.push(json!({"category": "other", "title": "CVSS v4.0", "text": text}));
        }
        if let Some(Value::Array(notes)) = v.get_mut("notes") {
            notes.extend(extra_notes);
        }
        let mut status = serde_json::Map::new();
        if !products.known_affected.is_empty() {
            status.insert("known_affected".into(), json!(products.known_affected));
        }
        if !products.fixed.is_empty() {
            status.insert("fixed".into(), json!(products.fixed));
        }
        if !products.under_investigation.is_empty() {
            status.insert("under_investigation".into(), json!(products.under_investigation));
        }
        if !not_affected.is_empty() {
            let ids: Vec<&String> = not_affected.iter().map(|(_, id)| id).collect();
            status.insert("known_not_affected".into(), json!(ids));
            let mut flags: BTreeMap<&str, Vec<&String>> = BTreeMap::new();
            for (statement, id) in &not_affected {
                flags.entry(statement.justification.as_str()).or_default().push(id);
            }
            let flags: Vec<Value> =
                flags.into_iter().map(|(label, ids)| json!({"label": label, "product_ids": ids})).collect();
            v.insert("flags".into(), Value::Array(flags));
            let threats: Vec<Value> = not_affected
                .iter()
                .map(|(statement, id)| {
                    let details =
                        statement.impact.clone().unwrap_or_else(|| statement.justification.label().to_owned());
                    json!({"category": "impact", "details": details, "product_ids": [id]})
                })
                .collect();
            v.insert("threats".into(), Value::Array(threats));
        }
        v.insert("product_status".into(), Value::Object(status));
        let mut remediations: Vec<Value> = products
            .fixes
            .iter()
            .map(|(version, ids)| json!({"category": "vendor_fix", "details": vendor_fix_details(&c.fix, version), "product_ids": ids}))
            .collect();
        if c.fix.has(FixKind::Mitigation) && !products.known_affected.is_empty() {
            let details = if c.fix.text.is_empty() { MITIGATION_DEFAULT } else { c.fix.text.as_str() };
            remediations
                .push(json!({"category": "mitigation", "details": details, "product_ids": products.known_affected}));
        } else {
            // Every known-affected product gets an action (optional test 6.2.2; mandatory 6.1.27.10 for VEX).
            let remedied: Vec<&String> = products.fixes.iter().flat_map(|(_, ids)| ids).collect();
            let bare: Vec<&String> = products.known_affected.iter().filter(|id| !remedied.contains(id)).collect();
            if !bare.is_empty() {
                remediations.push(json!({
                    "category": "none_available",
                    "details": "This advisory names no fixed version for these products.",
                    "product_ids": bare,
                }));
            }
        }
        if !remediations.is_empty() {
            v.insert("remediations".into(), Value::Array(remediations));
        }
        if let Some(v3) = c.severity.cvss_v3.as_ref().filter(|s| s.version() == CvssVersion::V3)
            && !products.known_affected.is_empty()
        {
            v.insert("scores".into(), json!([{"cvss_v3": cvss_v3(v3), "products": products.known_affected}]));
        }
        if !c.credits.is_empty() {
            let acknowledgments: Vec<Value> =
                c.credits.iter().map(|cr| json!({"names": [cr.name], "summary": credit_role(cr.kind)})).collect();
            v.insert("acknowledgments".into(), Value::Array(acknowledgments));
        }
        if !c.references.is_empty() {
            let refs: Vec<Value> = c
                .references
                .iter()
                .map(|r| json!({"category": "external", "summary": r.kind.as_str(), "url": r.url}))
                .collect();
            v.insert("references".into(), Value::Array(refs));
        }
    }
    let withdrawn = doc.withdrawn.map(|at| {
        json!({
            "category": "general",
            "title": "Withdrawn",
            "text": format!(
                "This advisory was withdrawn on {}: it no longer states that any product is affected.",
                rfc3339(at)
            ),
        })
    });
    let category = match (&withdrawn, vex) {
        (Some(_), _) => CATEGORY_WITHDRAWN,
        (None, Some(_)) => "csaf_vex",
        (None, None) => "csaf_security_advisory",
    };
    let tracking_id = if vex.is_some() { crate::vex::vex_id(doc.id) } else { doc.id.as_str().to_owned() };
    notes.extend(withdrawn.clone());
    let mut csaf = json!({
        "document": {
            "category": category,
            "csaf_version": "2.0",
            "distribution": {"tlp": {"label": "WHITE"}},
            "lang": "en",
            "notes": notes,
            "publisher": {"category": PUBLISHER_CATEGORY, "name": doc.vendor, "namespace": publisher.namespace},
            "references": references,
            "title": doc.title(),
            "tracking": {
                "current_release_date": rfc3339(current),
                "generator": {"engine": {"name": "Embargo", "version": env!("CARGO_PKG_VERSION")}},
                "id": tracking_id,
                "initial_release_date": rfc3339(doc.published),
                "revision_history": revision_history,
                "status": "final",
                "version": version.to_string(),
            },
        },
    });
    if withdrawn.is_none()
        && let Some(map) = csaf.as_object_mut()
    {
        map.insert(
            "product_tree".into(),
            json!({"branches": [{"category": "vendor", "name": doc.vendor, "branches": branches}]}),
        );
        map.insert("vulnerabilities".into(), json!([vulnerability]));
    }
    csaf
}

/// The publisher category of every document and of the provider metadata:
/// an organisation publishes advisories about its own projects.
pub const PUBLISHER_CATEGORY: &str = "vendor";

/// The category of a withdrawn advisory's last revision. CSAF 2.0 has no
/// withdrawn status or category; CSAF 2.1's `csaf_withdrawn` is a
/// `csaf_base` document with no product tree and no vulnerabilities and a
/// note saying why, which is what a 2.0 consumer can read too.
pub const CATEGORY_WITHDRAWN: &str = "csaf_base";

/// One entry of `tracking.revision_history`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Revision {
    /// Its number (`tracking.version` of the latest).
    pub number: u32,
    /// When it was released.
    pub date: Timestamp,
    /// What changed.
    pub summary: String,
}

/// The revision history (CSAF 2.0 section 3.2.1.12.6): the first revision
/// dated at the initial release (a source's `published`, not its later
/// `modified`), dates never going back, and for a withdrawn advisory one
/// more revision dated at its withdrawal.
pub fn revision_history(doc: &Document<'_>) -> Vec<Revision> {
    let mut out: Vec<Revision> = Vec::new();
    let mut last = doc.published;
    for (number, at) in doc.revisions {
        let date = if *number == 1 { doc.published } else { (*at).max(last) };
        let summary = if *number == 1 { "Initial publication".to_owned() } else { format!("Revision {number}") };
        last = date;
        out.push(Revision { number: *number, date, summary });
    }
    if out.is_empty() {
        out.push(Revision { number: 1, date: doc.published, summary: "Initial publication".into() });
    }
    if let Some(withdrawn) = doc.withdrawn {
        let number = out.last().map_or(1, |r| r.number) + 1;
        out.push(Revision { number, date: withdrawn.max(last), summary: "Withdrawn".into() });
    }
    out
}

/// `tracking.current_release_date`: the latest revision's date, or the
/// source's `modified` when an imported first revision was changed later
/// without a new revision.
pub fn current_release(doc: &Document<'_>) -> Timestamp {
    revision_history(doc).last().map_or(doc.published, |r| r.date).max(doc.modified)
}

/// One document as listed in the directory files and the ROLIE feed.
#[derive(Debug, Clone)]
pub struct Listed {
    /// The advisory id (the document's `tracking.id`).
    pub id: String,
    /// Its title.
    pub title: String,
    /// Its path below [`WHITE_DIR`] ([`file_path`]).
    pub path: String,
    /// Initial release.
    pub published: Timestamp,
    /// Current release.
    pub modified: Timestamp,
}

/// `provider-metadata.json` (CSAF 2.0 section 7.1.7), for a provider whose
/// `.well-known/csaf/` folder is at `base_url` (ending in `/`).
/// `keys` are the OpenPGP keys the documents are signed with
/// (`public_openpgp_keys`, requirement 20); `trusted` when every document
/// has its hashes and signature (requirements 18 and 19), which makes the
/// role `csaf_trusted_provider`.
pub fn provider_metadata(
    publisher: &Publisher,
    base_url: &str,
    last_updated: Timestamp,
    keys: &[OpenPgpKey],
    trusted: bool,
) -> Value {
    let keys: Vec<Value> = keys.iter().map(|k| json!({"fingerprint": k.fingerprint, "url": k.url})).collect();
    json!({
        "canonical_url": format!("{base_url}provider-metadata.json"),
        "distributions": [
            {"directory_url": format!("{base_url}{WHITE_DIR}/")},
            {"rolie": {"feeds": [{
                "summary": "TLP:WHITE advisories",
                "tlp_label": "WHITE",
                "url": format!("{base_url}{WHITE_DIR}/{FEED_FILE}"),
            }]}},
        ],
        "last_updated": rfc3339(last_updated),
        "list_on_CSAF_aggregators": true,
        "metadata_version": "2.0",
        "mirror_on_CSAF_aggregators": true,
        "public_openpgp_keys": keys,
        "publisher": {"category": PUBLISHER_CATEGORY, "name": publisher.name, "namespace": publisher.namespace},
        "role": if trusted { "csaf_trusted_provider" } else { "csaf_provider" },
    })
}

/// A public OpenPGP key that signs documents, as `provider-metadata.json` names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenPgpKey {
    /// The primary key's fingerprint, 40 hex digits.
    pub fingerprint: String,
    /// Where the armored public key is served.
    pub url: String,
}

/// The folder of the public keys, relative to the provider's base URL.
pub const KEYS_DIR: &str = "openpgp";

/// A hash file's text (requirement 18): the digest in lower-case hex, two
/// spaces and the document's file name, as `sha256sum` and `sha512sum` write
/// and check it.
pub fn hash_file(hex_digest: &str, path: &str) -> String {
    let name = path.rsplit('/').next().unwrap_or(path);
    format!("{hex_digest}  {name}\n")
}

/// A directory listing (requirement 14 wants the directories browsable):
/// an HTML page linking each entry, names relative to the folder.
pub fn directory_listing(title: &str, entries: &[String]) -> String {
    let escape = |s: &str| s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;");
    let mut out = format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{0}</title></head>\n<body><h1>{0}</h1>\n<ul>\n",
        escape(title)
    );
    for entry in entries {
        out.push_str(&format!("<li><a href=\"{0}\">{0}</a></li>\n", escape(entry)));
    }
    out.push_str("</ul>\n</body></html>\n");
    out
}

/// `index.txt`: every document's path, one a line (requirement 12).
pub fn index_txt(documents: &[Listed]) -> String {
    documents.iter().map(|d| format!("{}\n", d.path)).collect()
}

/// `changes.csv`: path and current release date, newest first (requirement 13).
pub fn changes_csv(documents: &[Listed]) -> String {
    let mut sorted: Vec<&Listed> = documents.iter().collect();
    sorted.sort_by(|a, b| b.modified.cmp(&a.modified).then_with(|| a.path.cmp(&b.path)));
    sorted.iter().map(|d| format!("\"{}\",\"{}\"\n", d.path, rfc3339(d.modified))).collect()
}

/// The ROLIE feed of the TLP:WHITE documents (requirement 15, RFC 8322 in JSON).
pub fn rolie_feed(base_url: &str, documents: &[Listed], updated: Timestamp) -> Value {
    let entries: Vec<Value> = documents
        .iter()
        .map(|d| {
            let url = format!("{base_url}{WHITE_DIR}/{}", d.path);
            json!({
                "id": d.id,
                "title": d.title,
                "link": [
                    {"rel": "self", "href": url},
                    {"rel": "hash", "href": format!("{url}.sha256")},
                    {"rel": "hash", "href": format!("{url}.sha512")},
                    {"rel": "signature", "href": format!("{url}.asc")},
                ],
                "published": rfc3339(d.published),
                "updated": rfc3339(d.modified),
                "content": {"type": "application/json", "src": url},
                "format": {"schema": "https://docs.oasis-open.org/csaf/csaf/v2.0/csaf_json_schema.json", "version": "2.0"},
            })
        })
        .collect();
    json!({"feed": {
        "id": "embargo-csaf-feed-tlp-white",
        "title": "CSAF feed (TLP:WHITE)",
        "link": [{"rel": "self", "href": format!("{base_url}{WHITE_DIR}/{FEED_FILE}")}],
        "category": [{"scheme": "urn:ietf:params:rolie:category:information-type", "term": "csaf"}],
        "updated": rfc3339(updated),
        "entry": entries,
    }})
}

#[cfg(test)]
mod tests {
    use serde_json::json;
    use time::macros::datetime;

    use super::*;
    use crate::fixture::Fixture;

    fn publisher() -> Publisher {
        Publisher { name: "Embargo at security.example.org".into(), namespace: "https://security.example.org".into() }
    }

    #[test]
    fn a_published_advisory_becomes_a_security_advisory() {
        let f = Fixture::new();
        let doc = f.document();
        assert_eq!(file_path(&doc), "2026/pallets-2026-1.json");
        let csaf = document(&doc, &publisher(), "https://x/.well-known/csaf/white/2026/pallets-2026-1.json");
        let tracking = &csaf["document"]["tracking"];
        assert_eq!((tracking["id"].as_str(), tracking["version"].as_str()), (Some("PALLETS-2026-1"), Some("2")));
        assert_eq!(tracking["revision_history"].as_array().unwrap().len(), 2);
        let flask = &csaf["product_tree"]["branches"][0]["branches"][0];
        let helpers: Vec<&str> = flask["branches"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|b| b["product"]["product_identification_helper"]["purl"].as_str())
            .collect();
        assert!(helpers.contains(&"pkg:pypi/flask@3.1.1"), "{helpers:?}");
        assert!(helpers.contains(&"pkg:pypi/flask"), "{helpers:?}");
        let names: Vec<&str> =
            flask["branches"].as_array().unwrap().iter().map(|b| b["name"].as_str().unwrap()).collect();
        assert_eq!(names, vec!["vers:pypi/<2.3.9", "2.3.9", "vers:pypi/>=3.0.0|<3.1.1", "3.1.1", "3.1.0"]);
        let v = &csaf["vulnerabilities"][0];
        assert_eq!(v["product_status"]["known_affected"], json!(["CSAFPID-0001", "CSAFPID-0003", "CSAFPID-0005"]));
        assert_eq!(v["product_status"]["fixed"], json!(["CSAFPID-0002", "CSAFPID-0004"]));
        assert_eq!(v["cve"], "CVE-2026-12345");
        assert_eq!(v["cwe"], json!({"id": "CWE-613", "name": "Insufficient Session Expiration"}));
        assert_eq!(v["scores"][0]["cvss_v3"]["baseScore"], json!(9.1));
        assert_eq!(v["ids"][1], json!({"system_name": "GHSA", "text": "GHSA-abcd-efgh-ijkl"}));
    }

    #[test]
    fn the_fix_strategy_becomes_remediation_categories_issue_16() {
        use embargo_core::advisory::{FixKind, FixStrategy};
        let mut f = Fixture::new();
        f.content.fix = FixStrategy::new([FixKind::DependencyUpdate, FixKind::Mitigation], "Turn uploads off.");
        let csaf = document(&f.document(), &publisher(), "https://x/a.json");
        let remediations = csaf["vulnerabilities"][0]["remediations"].as_array().unwrap().clone();
        let categories: Vec<&str> = remediations.iter().map(|r| r["category"].as_str().unwrap()).collect();
        assert_eq!(categories, ["vendor_fix", "vendor_fix", "mitigation"]);
        assert_eq!(remediations[0]["details"], "Upgrade to flask 2.3.9 or later. Fix strategy: dependency update.");
        assert_eq!(remediations[2]["details"], "Turn uploads off.");
        assert_eq!(remediations[2]["product_ids"], json!(["CSAFPID-0001", "CSAFPID-0003", "CSAFPID-0005"]));
        f.content.fix = FixStrategy::new([FixKind::Patch], "Restart after upgrading.");
        let csaf = document(&f.document(), &publisher(), "https://x/a.json");
        let remediations = csaf["vulnerabilities"][0]["remediations"].as_array().unwrap().clone();
        // No mitigation: the product without a fixed version gets `none_available` (issue 14's rule).
        let categories: Vec<&str> = remediations.iter().map(|r| r["category"].as_str().unwrap()).collect();
        assert_eq!(categories, ["vendor_fix", "vendor_fix", "none_available"], "{remediations:?}");
        assert_eq!(remediations[2]["product_ids"], json!(["CSAFPID-0005"]));
        assert_eq!(
            remediations[1]["details"],
            "Upgrade to flask 3.1.1 or later. Fix strategy: patch.\n\nRestart after upgrading."
        );
    }

    #[test]
    fn directory_files_and_feed_list_every_document() {
        let listed = vec![
            Listed {
                id: "A-1".into(),
                title: "a".into(),
                path: "2026/a-1.json".into(),
                published: datetime!(2026-01-01 0:00 UTC),
                modified: datetime!(2026-01-02 0:00 UTC),
            },
            Listed {
                id: "A-2".into(),
                title: "b".into(),
                path: "2026/a-2.json".into(),
                published: datetime!(2026-01-01 0:00 UTC),
                modified: datetime!(2026-03-01 0:00 UTC),
            },
        ];
        assert_eq!(index_txt(&listed), "2026/a-1.json\n2026/a-2.json\n");
        assert_eq!(
            changes_csv(&listed),
            "\"2026/a-2.json\",\"2026-03-01T00:00:00Z\"\n\"2026/a-1.json\",\"2026-01-02T00:00:00Z\"\n"
        );
        let feed = rolie_feed("https://x/.well-known/csaf/", &listed, datetime!(2026-03-01 0:00 UTC));
        assert_eq!(feed["feed"]["entry"][1]["content"]["src"], "https://x/.well-known/csaf/white/2026/a-2.json");
        let metadata =
            provider_metadata(&publisher(), "https://x/.well-known/csaf/", datetime!(2026-03-01 0:00 UTC), &[], false);
        assert_eq!(metadata["canonical_url"], "https://x/.well-known/csaf/provider-metadata.json");
    }
}
