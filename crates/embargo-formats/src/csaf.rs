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
//! The documents are typed structs ([`model`]), so the schema's non-empty
//! lists and product status cannot be written empty.
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

pub mod model;

use model::{
    Acknowledgment, Branch, BranchCategory, Csaf, CvssV3, Cwe, Distribution, DocumentMeta, Engine, Flag,
    FullProductName, Generator, Helper, Id, NonEmpty, Note, NoteCategory, ProductStatus, ProductTree,
    ProviderDistribution, ProviderMetadata, PublicKey, Reference, ReferenceCategory, Remediation, RemediationCategory,
    RevisionEntry, Rolie, RolieFeedRef, Score, Threat, Tracking, Vulnerability,
};

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

fn cvss_v3(cvss: &Cvss) -> CvssV3 {
    let version = if cvss.vector().starts_with("CVSS:3.0/") { "3.0" } else { "3.1" };
    CvssV3 {
        version,
        vector_string: cvss.vector().to_owned(),
        base_score: cvss.score(),
        base_severity: cvss.level().as_str().to_ascii_uppercase(),
    }
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
    tree: BTreeMap<String, Vec<Branch>>,
    ids: BTreeMap<(String, String), String>,
    known_affected: Vec<String>,
    fixed: Vec<String>,
    fixes: Vec<(String, NonEmpty<String>)>,
    under_investigation: Vec<String>,
}

impl Products {
    /// A product's id, made on first use. `purl` (CSAF 2.0 section 3.1.3.3
    /// `product_identification_helper.purl`) names the package, with the
    /// version for a `product_version`.
    fn id(&mut self, product: &str, name: &str, category: BranchCategory, purl: Option<String>) -> String {
        if let Some(id) = self.ids.get(&(product.to_owned(), name.to_owned())) {
            return id.clone();
        }
        self.next += 1;
        let id = format!("CSAFPID-{:04}", self.next);
        self.ids.insert((product.to_owned(), name.to_owned()), id.clone());
        let full = FullProductName {
            name: format!("{product} {name}"),
            product_id: id.clone(),
            product_identification_helper: purl.map(|purl| Helper { purl }),
        };
        self.tree.entry(product.to_owned()).or_default().push(Branch::leaf(category, name, full));
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
                let id = p.id(product, &name, BranchCategory::ProductVersionRange, range_purl.clone());
                affected_here.push(id.clone());
                if let Some(version) = fixed {
                    let helper = match &repo {
                        Some(_) => range_purl.as_deref().and_then(|p| crate::purl::with_version(p, &version)),
                        None => at(&version),
                    };
                    let fixed_id = p.id(product, &version, BranchCategory::ProductVersion, helper);
                    p.fixed.push(fixed_id);
                    p.fixes.push((format!("{product} {version}"), NonEmpty::one(id)));
                }
            }
            for version in &affected.versions {
                affected_here.push(p.id(product, version, BranchCategory::ProductVersion, at(version)));
            }
            if affected_here.is_empty() {
                // No range and no version: every version (OSV 1.7 section "affected").
                let scheme = vers_scheme(RangeKind::Ecosystem, affected.package.as_ref().map(|p| p.ecosystem.as_str()));
                let name = format!("vers:{scheme}/*");
                affected_here.push(p.id(product, &name, BranchCategory::ProductVersionRange, purl.clone()));
            }
            p.known_affected.extend(affected_here);
        }
        if doc.content.affected.is_empty() {
            // Nothing named: the project itself, under investigation, so that
            // the product tree and the product status are never empty.
            let id = p.id(doc.product, "all versions", BranchCategory::ProductVersionRange, None);
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
pub fn document(doc: &Document<'_>, publisher: &Publisher, url: &str) -> Csaf {
    build(doc, publisher, url, None)
}

fn external(summary: &str, url: &str) -> Reference {
    Reference { category: ReferenceCategory::External, summary: summary.to_owned(), url: url.to_owned() }
}

/// The vulnerability's notes: the details, other CWEs, a CVSS 4.0 vector.
fn vulnerability_notes(doc: &Document<'_>) -> NonEmpty<Note> {
    let c = doc.content;
    let details = if c.details.trim().is_empty() { doc.title() } else { c.details.as_str() };
    let mut notes = NonEmpty::one(Note::new(NoteCategory::Description, "Details", details));
    if c.cwes.len() > 1 {
        let others: Vec<String> = c.cwes.iter().skip(1).map(ToString::to_string).collect();
        notes.push(Note::new(NoteCategory::Other, "Other weaknesses", others.join(", ")));
    }
    if let Some(v4) = &c.severity.cvss_v4 {
        let text = format!(
            "{} ({:.1} {}, {})",
            v4.vector(),
            v4.score(),
            v4.level().as_str().to_ascii_uppercase(),
            v4.nomenclature().map_or("CVSS-B", |n| n.as_str())
        );
        notes.push(Note::new(NoteCategory::Other, "CVSS v4.0", text));
    }
    notes
}

/// The remediations: a `vendor_fix` per fixed version, a `mitigation` for
/// the known affected products, else `none_available` for those without a fix.
fn remediations(doc: &Document<'_>, products: &Products) -> Option<NonEmpty<Remediation>> {
    let c = doc.content;
    let mut out: Vec<Remediation> = products
        .fixes
        .iter()
        .map(|(version, ids)| Remediation {
            category: RemediationCategory::VendorFix,
            details: vendor_fix_details(&c.fix, version),
            product_ids: ids.clone(),
        })
        .collect();
    let known_affected = NonEmpty::new(products.known_affected.clone());
    if let (true, Some(ids)) = (c.fix.has(FixKind::Mitigation), known_affected) {
        let details = if c.fix.text.is_empty() { MITIGATION_DEFAULT } else { c.fix.text.as_str() };
        out.push(Remediation {
            category: RemediationCategory::Mitigation,
            details: details.to_owned(),
            product_ids: ids,
        });
    } else {
        // Every known-affected product gets an action (optional test 6.2.2; mandatory 6.1.27.10 for VEX).
        let remedied: Vec<&String> = products.fixes.iter().flat_map(|(_, ids)| ids.as_slice()).collect();
        let bare: Vec<String> = products.known_affected.iter().filter(|id| !remedied.contains(id)).cloned().collect();
        if let Some(ids) = NonEmpty::new(bare) {
            out.push(Remediation {
                category: RemediationCategory::NoneAvailable,
                details: "This advisory names no fixed version for these products.".into(),
                product_ids: ids,
            });
        }
    }
    NonEmpty::new(out)
}

/// The document, or with `vex` its CSAF VEX profile (section 4.5,
/// `csaf_vex`): the same products and statuses plus the release lines the
/// team stated not affected (`known_not_affected` with a flag naming the
/// justification and, when given, an impact threat), and an action
/// statement for every known-affected product (mandatory test 6.1.27.10).
pub(crate) fn build(doc: &Document<'_>, publisher: &Publisher, url: &str, vex: Option<&[NotAffected]>) -> Csaf {
    let c = doc.content;
    let mut products = Products::build(doc);
    let mut not_affected: Vec<(&NotAffected, String)> = Vec::new();
    for statement in vex.unwrap_or_default() {
        let name = format!("release line {}", statement.line);
        let id = products.id(doc.product, &name, BranchCategory::ProductVersionRange, None);
        not_affected.push((statement, id));
    }
    let branches: Vec<Branch> = std::mem::take(&mut products.tree)
        .into_iter()
        .filter_map(|(product, versions)| {
            NonEmpty::new(versions).map(|v| Branch::node(BranchCategory::ProductName, product, v))
        })
        .collect();
    let mut notes = NonEmpty::one(Note::new(NoteCategory::Summary, "Summary", doc.title()));
    if !c.details.trim().is_empty() {
        notes.push(Note::new(NoteCategory::Details, "Details", c.details.as_str()));
    }
    let mut references = NonEmpty::one(Reference {
        category: ReferenceCategory::Itself,
        summary: "This advisory as a CSAF document".into(),
        url: url.to_owned(),
    });
    references.push(Reference {
        category: ReferenceCategory::Itself,
        summary: "This advisory".into(),
        url: doc.page_url.to_owned(),
    });
    for r in &c.references {
        references.push(external(r.kind.as_str(), &r.url));
    }
    let history = revision_history(doc);
    let version = history.last().map_or(1, |r| r.number);
    let entries: Vec<RevisionEntry> = history
        .iter()
        .map(|r| RevisionEntry { number: r.number.to_string(), date: rfc3339(r.date), summary: r.summary.clone() })
        .collect();
    let revision_history = NonEmpty::new(entries).unwrap_or_else(|| {
        NonEmpty::one(RevisionEntry {
            number: "1".into(),
            date: rfc3339(doc.published),
            summary: "Initial publication".into(),
        })
    });
    let current = current_release(doc);
    let mut ids = NonEmpty::one(Id { system_name: doc.vendor.to_owned(), text: doc.id.as_str().to_owned() });
    for alias in c.aliases.iter().filter(|a| a.cve().is_none()) {
        let system = alias.as_str().split('-').next().unwrap_or("alias");
        ids.push(Id { system_name: system.to_owned(), text: alias.as_str().to_owned() });
    }
    let mut flags: BTreeMap<&'static str, Vec<String>> = BTreeMap::new();
    for (statement, id) in &not_affected {
        flags.entry(statement.justification.as_str()).or_default().push(id.clone());
    }
    let flags: Vec<Flag> = flags
        .into_iter()
        .filter_map(|(label, ids)| NonEmpty::new(ids).map(|product_ids| Flag { label, product_ids }))
        .collect();
    let threats: Vec<Threat> = not_affected
        .iter()
        .map(|(statement, id)| Threat {
            category: "impact",
            details: statement.impact.clone().unwrap_or_else(|| statement.justification.label().to_owned()),
            product_ids: NonEmpty::one(id.clone()),
        })
        .collect();
    let known_not_affected: Vec<String> = not_affected.iter().map(|(_, id)| id.clone()).collect();
    let status = ProductStatus::of(
        products.fixed.clone(),
        products.known_affected.clone(),
        known_not_affected,
        products.under_investigation.clone(),
    );
    let scores = match (
        c.severity.cvss_v3.as_ref().filter(|s| s.version() == CvssVersion::V3),
        NonEmpty::new(products.known_affected.clone()),
    ) {
        (Some(v3), Some(products)) => Some(NonEmpty::one(Score { cvss_v3: cvss_v3(v3), products })),
        _ => None,
    };
    let acknowledgments = NonEmpty::new(
        c.credits
            .iter()
            .map(|cr| Acknowledgment {
                names: NonEmpty::one(cr.name.clone()),
                summary: credit_role(cr.kind).to_owned(),
            })
            .collect(),
    );
    let vulnerability = status.map(|product_status| Vulnerability {
        acknowledgments,
        cve: c.cve_id().map(|cve| cve.as_str().to_owned()),
        cwe: c
            .cwes
            .first()
            .map(|first| Cwe { id: first.to_string(), name: embargo_core::cwe::name(*first).unwrap_or("").to_owned() }),
        flags: NonEmpty::new(flags),
        ids,
        notes: vulnerability_notes(doc),
        product_status,
        references: NonEmpty::new(c.references.iter().map(|r| external(r.kind.as_str(), &r.url)).collect()),
        release_date: rfc3339(doc.published),
        remediations: remediations(doc, &products),
        scores,
        threats: NonEmpty::new(threats),
        title: doc.title().to_owned(),
    });
    let withdrawn = doc.withdrawn.map(|at| {
        Note::new(
            NoteCategory::General,
            "Withdrawn",
            format!(
                "This advisory was withdrawn on {}: it no longer states that any product is affected.",
                rfc3339(at)
            ),
        )
    });
    let category = match (&withdrawn, vex) {
        (Some(_), _) => CATEGORY_WITHDRAWN,
        (None, Some(_)) => "csaf_vex",
        (None, None) => "csaf_security_advisory",
    };
    let tracking_id = if vex.is_some() { crate::vex::vex_id(doc.id) } else { doc.id.as_str().to_owned() };
    let withdrawn_now = withdrawn.is_some();
    if let Some(note) = withdrawn {
        notes.push(note);
    }
    let document = DocumentMeta {
        category,
        csaf_version: "2.0",
        distribution: Distribution::white(),
        lang: "en",
        notes,
        publisher: model::Publisher {
            category: PUBLISHER_CATEGORY,
            name: doc.vendor.to_owned(),
            namespace: publisher.namespace.clone(),
        },
        references,
        title: doc.title().to_owned(),
        tracking: Tracking {
            current_release_date: rfc3339(current),
            generator: Generator { engine: Engine { name: "Embargo", version: env!("CARGO_PKG_VERSION") } },
            id: tracking_id,
            initial_release_date: rfc3339(doc.published),
            revision_history,
            status: "final",
            version: version.to_string(),
        },
    };
    // A withdrawn advisory's last revision states no product (CSAF 2.1's `csaf_withdrawn` in 2.0 terms).
    let product_tree = NonEmpty::new(branches)
        .map(|branches| ProductTree {
            branches: NonEmpty::one(Branch::node(BranchCategory::Vendor, doc.vendor, branches)),
        })
        .filter(|_| !withdrawn_now);
    let vulnerabilities = vulnerability.map(NonEmpty::one).filter(|_| !withdrawn_now);
    Csaf { document, product_tree, vulnerabilities }
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
) -> ProviderMetadata {
    let mut distributions =
        NonEmpty::one(ProviderDistribution::Directory { directory_url: format!("{base_url}{WHITE_DIR}/") });
    distributions.push(ProviderDistribution::Rolie {
        rolie: Rolie {
            feeds: NonEmpty::one(RolieFeedRef {
                summary: "TLP:WHITE advisories".into(),
                tlp_label: "WHITE",
                url: format!("{base_url}{WHITE_DIR}/{FEED_FILE}"),
            }),
        },
    });
    ProviderMetadata {
        canonical_url: format!("{base_url}provider-metadata.json"),
        distributions,
        last_updated: rfc3339(last_updated),
        list_on_csaf_aggregators: true,
        metadata_version: "2.0",
        mirror_on_csaf_aggregators: true,
        public_openpgp_keys: keys
            .iter()
            .map(|k| PublicKey { fingerprint: k.fingerprint.clone(), url: k.url.clone() })
            .collect(),
        publisher: model::Publisher {
            category: PUBLISHER_CATEGORY,
            name: publisher.name.clone(),
            namespace: publisher.namespace.clone(),
        },
        role: if trusted { "csaf_trusted_provider" } else { "csaf_provider" },
    }
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
        let csaf = serde_json::to_value(document(
            &doc,
            &publisher(),
            "https://x/.well-known/csaf/white/2026/pallets-2026-1.json",
        ))
        .unwrap();
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
        let csaf = serde_json::to_value(document(&f.document(), &publisher(), "https://x/a.json")).unwrap();
        let remediations = csaf["vulnerabilities"][0]["remediations"].as_array().unwrap().clone();
        let categories: Vec<&str> = remediations.iter().map(|r| r["category"].as_str().unwrap()).collect();
        assert_eq!(categories, ["vendor_fix", "vendor_fix", "mitigation"]);
        assert_eq!(remediations[0]["details"], "Upgrade to flask 2.3.9 or later. Fix strategy: dependency update.");
        assert_eq!(remediations[2]["details"], "Turn uploads off.");
        assert_eq!(remediations[2]["product_ids"], json!(["CSAFPID-0001", "CSAFPID-0003", "CSAFPID-0005"]));
        f.content.fix = FixStrategy::new([FixKind::Patch], "Restart after upgrading.");
        let csaf = serde_json::to_value(document(&f.document(), &publisher(), "https://x/a.json")).unwrap();
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
        let metadata = serde_json::to_value(provider_metadata(
            &publisher(),
            "https://x/.well-known/csaf/",
            datetime!(2026-03-01 0:00 UTC),
            &[],
            false,
        ))
        .unwrap();
        assert_eq!(metadata["canonical_url"], "https://x/.well-known/csaf/provider-metadata.json");
    }
}
