//! CSAF 2.0 as typed structs (the parts Embargo writes), after the schema
//! `csaf_json_schema.json` of CSAF 2.0 (section 3). Lists the schema wants
//! non-empty (`minItems: 1`: branches, product ids, notes, revision history,
//! ...) are [`NonEmpty`], which cannot be built empty; a product status must
//! name some product ([`ProductStatus::of`]); a branch holds either branches
//! or a product ([`Branch::node`], [`Branch::leaf`]). So a document with empty
//! branches or an empty product status (the `pysec-2022-15` bug) cannot be written.

use serde::Serialize;

/// A list with at least one item (the schema's `minItems: 1`).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(transparent)]
pub struct NonEmpty<T>(Vec<T>);

impl<T> NonEmpty<T> {
    /// The list, unless it is empty.
    pub fn new(items: Vec<T>) -> Option<Self> {
        (!items.is_empty()).then_some(NonEmpty(items))
    }

    /// A list of one.
    pub fn one(item: T) -> Self {
        NonEmpty(vec![item])
    }

    /// Adds an item.
    pub fn push(&mut self, item: T) {
        self.0.push(item);
    }

    /// The items.
    pub fn as_slice(&self) -> &[T] {
        &self.0
    }
}

/// A whole CSAF document (section 3.1).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Csaf {
    /// Document-level metadata (3.2.1).
    pub document: DocumentMeta,
    /// The products (3.2.2); none in a withdrawn advisory's last revision.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub product_tree: Option<ProductTree>,
    /// The vulnerabilities (3.2.3); none in a withdrawn advisory's last revision.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vulnerabilities: Option<NonEmpty<Vulnerability>>,
}

/// `document` (3.2.1).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DocumentMeta {
    /// `csaf_security_advisory`, `csaf_vex` or `csaf_base`.
    pub category: &'static str,
    /// Always `2.0`.
    pub csaf_version: &'static str,
    /// TLP:WHITE.
    pub distribution: Distribution,
    /// `en`.
    pub lang: &'static str,
    /// Document notes.
    pub notes: NonEmpty<Note>,
    /// The publisher.
    pub publisher: Publisher,
    /// References.
    pub references: NonEmpty<Reference>,
    /// The title.
    pub title: String,
    /// Tracking (3.2.1.12).
    pub tracking: Tracking,
}

/// `distribution` (3.2.1.5).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Distribution {
    /// The traffic light.
    pub tlp: Tlp,
}

/// `distribution.tlp` (3.2.1.5.2).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Tlp {
    /// `WHITE`.
    pub label: &'static str,
}

impl Distribution {
    /// TLP:WHITE.
    pub const fn white() -> Self {
        Distribution { tlp: Tlp { label: "WHITE" } }
    }
}

/// A note's category (3.2.1.6.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum NoteCategory {
    /// `description`.
    Description,
    /// `details`.
    Details,
    /// `general`.
    General,
    /// `other`.
    Other,
    /// `summary`.
    Summary,
}

/// A note (3.1.6).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Note {
    /// Its category.
    pub category: NoteCategory,
    /// Its title.
    pub title: String,
    /// Its text.
    pub text: String,
}

impl Note {
    /// A note.
    pub fn new(category: NoteCategory, title: &str, text: impl Into<String>) -> Self {
        Note { category, title: title.to_owned(), text: text.into() }
    }
}

/// `document.publisher` (3.2.1.8).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Publisher {
    /// `vendor` (`crate::csaf::PUBLISHER_CATEGORY`).
    pub category: &'static str,
    /// The name.
    pub name: String,
    /// A URL identifying the publisher.
    pub namespace: String,
}

/// A reference's category (3.1.8.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ReferenceCategory {
    /// `self`: this document.
    #[serde(rename = "self")]
    Itself,
    /// `external`.
    External,
}

/// A reference (3.1.8).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Reference {
    /// Its category.
    pub category: ReferenceCategory,
    /// What it is.
    pub summary: String,
    /// Where.
    pub url: String,
}

/// `document.tracking` (3.2.1.12).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Tracking {
    /// The latest revision's date.
    pub current_release_date: String,
    /// What wrote it.
    pub generator: Generator,
    /// The tracking id.
    pub id: String,
    /// The first revision's date.
    pub initial_release_date: String,
    /// Every revision.
    pub revision_history: NonEmpty<RevisionEntry>,
    /// `final`.
    pub status: &'static str,
    /// The latest revision's number.
    pub version: String,
}

/// `tracking.generator` (3.2.1.12.4).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Generator {
    /// The engine.
    pub engine: Engine,
}

/// `generator.engine`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Engine {
    /// `Embargo`.
    pub name: &'static str,
    /// Its version.
    pub version: &'static str,
}

/// One `revision_history` entry (3.2.1.12.6).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RevisionEntry {
    /// The number.
    pub number: String,
    /// When.
    pub date: String,
    /// What changed.
    pub summary: String,
}

/// `product_tree` (3.2.2).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ProductTree {
    /// The branches.
    pub branches: NonEmpty<Branch>,
}

/// A branch's category (3.1.2.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum BranchCategory {
    /// `vendor`.
    Vendor,
    /// `product_name`.
    ProductName,
    /// `product_version`.
    ProductVersion,
    /// `product_version_range`.
    ProductVersionRange,
}

/// A branch (3.1.2): either more branches or one product.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Branch {
    category: BranchCategory,
    name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    branches: Option<NonEmpty<Branch>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    product: Option<FullProductName>,
}

impl Branch {
    /// A branch holding branches.
    pub fn node(category: BranchCategory, name: impl Into<String>, branches: NonEmpty<Branch>) -> Self {
        Branch { category, name: name.into(), branches: Some(branches), product: None }
    }

    /// A branch naming one product.
    pub fn leaf(category: BranchCategory, name: impl Into<String>, product: FullProductName) -> Self {
        Branch { category, name: name.into(), branches: None, product: Some(product) }
    }
}

/// A product's full name (3.1.3).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FullProductName {
    /// Its name.
    pub name: String,
    /// Its id in this document.
    pub product_id: String,
    /// Its Package URL.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub product_identification_helper: Option<Helper>,
}

/// `product_identification_helper` (3.1.3.3).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Helper {
    /// A Package URL.
    pub purl: String,
}

/// A vulnerability (3.2.3).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Vulnerability {
    /// Credits (3.2.3.1).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub acknowledgments: Option<NonEmpty<Acknowledgment>>,
    /// The CVE id (3.2.3.2).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cve: Option<String>,
    /// One CWE (3.2.3.3).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cwe: Option<Cwe>,
    /// Flags (3.2.3.5): VEX justifications.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub flags: Option<NonEmpty<Flag>>,
    /// Other ids (3.2.3.6).
    pub ids: NonEmpty<Id>,
    /// Notes (3.2.3.8).
    pub notes: NonEmpty<Note>,
    /// Product status (3.2.3.9).
    pub product_status: ProductStatus,
    /// References (3.2.3.10).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub references: Option<NonEmpty<Reference>>,
    /// Release date (3.2.3.11).
    pub release_date: String,
    /// Remediations (3.2.3.12).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub remediations: Option<NonEmpty<Remediation>>,
    /// Scores (3.2.3.13).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scores: Option<NonEmpty<Score>>,
    /// Threats (3.2.3.14): VEX impact statements.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub threats: Option<NonEmpty<Threat>>,
    /// Title (3.2.3.15).
    pub title: String,
}

/// An acknowledgment (3.1.1).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Acknowledgment {
    /// Who.
    pub names: NonEmpty<String>,
    /// For what.
    pub summary: String,
}

/// `cwe` (3.2.3.3).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Cwe {
    /// `CWE-NNN`.
    pub id: String,
    /// Its name.
    pub name: String,
}

/// A flag (3.2.3.5).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Flag {
    /// The justification's label.
    pub label: &'static str,
    /// The products.
    pub product_ids: NonEmpty<String>,
}

/// An id in another system (3.2.3.6).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Id {
    /// The system.
    pub system_name: String,
    /// The id.
    pub text: String,
}

/// `product_status` (3.2.3.9): at least one list, each non-empty.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ProductStatus {
    #[serde(skip_serializing_if = "Option::is_none")]
    fixed: Option<NonEmpty<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    known_affected: Option<NonEmpty<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    known_not_affected: Option<NonEmpty<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    under_investigation: Option<NonEmpty<String>>,
}

impl ProductStatus {
    /// The status from its lists; `None` when every list is empty (the schema's `minProperties: 1`).
    pub fn of(
        fixed: Vec<String>,
        known_affected: Vec<String>,
        known_not_affected: Vec<String>,
        under_investigation: Vec<String>,
    ) -> Option<Self> {
        let status = ProductStatus {
            fixed: NonEmpty::new(fixed),
            known_affected: NonEmpty::new(known_affected),
            known_not_affected: NonEmpty::new(known_not_affected),
            under_investigation: NonEmpty::new(under_investigation),
        };
        let any = status.fixed.is_some()
            || status.known_affected.is_some()
            || status.known_not_affected.is_some()
            || status.under_investigation.is_some();
        any.then_some(status)
    }
}

/// A remediation's category (3.2.3.12.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RemediationCategory {
    /// `mitigation`.
    Mitigation,
    /// `none_available`.
    NoneAvailable,
    /// `vendor_fix`.
    VendorFix,
}

/// A remediation (3.2.3.12).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Remediation {
    /// Its category.
    pub category: RemediationCategory,
    /// What to do.
    pub details: String,
    /// For which products.
    pub product_ids: NonEmpty<String>,
}

/// A score (3.2.3.13).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Score {
    /// The CVSS 3.x score.
    pub cvss_v3: CvssV3,
    /// The products it applies to.
    pub products: NonEmpty<String>,
}

/// A CVSS 3.x score, as the CVSS JSON schema names its fields.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CvssV3 {
    /// `3.0` or `3.1`.
    pub version: &'static str,
    /// The vector.
    #[serde(rename = "vectorString")]
    pub vector_string: String,
    /// The base score.
    #[serde(rename = "baseScore")]
    pub base_score: f64,
    /// `LOW`, `MEDIUM`, ...
    #[serde(rename = "baseSeverity")]
    pub base_severity: String,
}

/// A threat (3.2.3.14).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Threat {
    /// `impact`.
    pub category: &'static str,
    /// What it means.
    pub details: String,
    /// The products.
    pub product_ids: NonEmpty<String>,
}

/// `provider-metadata.json` (section 7.1.7, the provider metadata schema).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ProviderMetadata {
    /// Where this file is served.
    pub canonical_url: String,
    /// The directory and the ROLIE feed.
    pub distributions: NonEmpty<ProviderDistribution>,
    /// When it last changed.
    pub last_updated: String,
    /// Aggregators may list it.
    #[serde(rename = "list_on_CSAF_aggregators")]
    pub list_on_csaf_aggregators: bool,
    /// `2.0`.
    pub metadata_version: &'static str,
    /// Aggregators may mirror it.
    #[serde(rename = "mirror_on_CSAF_aggregators")]
    pub mirror_on_csaf_aggregators: bool,
    /// The keys documents are signed with.
    pub public_openpgp_keys: Vec<PublicKey>,
    /// The publisher.
    pub publisher: Publisher,
    /// `csaf_provider` or `csaf_trusted_provider`.
    pub role: &'static str,
}

/// One distribution of the provider: a directory or ROLIE feeds.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum ProviderDistribution {
    /// `{"directory_url": ...}`.
    Directory {
        /// The directory's URL.
        directory_url: String,
    },
    /// `{"rolie": {"feeds": [...]}}`.
    Rolie {
        /// The feeds.
        rolie: Rolie,
    },
}

/// `rolie` of a distribution.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Rolie {
    /// The feeds.
    pub feeds: NonEmpty<RolieFeedRef>,
}

/// A ROLIE feed as the metadata names it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RolieFeedRef {
    /// What it holds.
    pub summary: String,
    /// Its TLP label.
    pub tlp_label: &'static str,
    /// Its URL.
    pub url: String,
}

/// A public OpenPGP key in the metadata.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PublicKey {
    /// The fingerprint.
    pub fingerprint: String,
    /// Where the key is served.
    pub url: String,
}
