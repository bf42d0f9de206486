//! The trusted CSAF provider (CSAF 2.0 section 7.1): every file the
//! instance serves under `/.well-known/csaf/`, built in one place for the
//! web routes (one file per request) and for `embargo export csaf` (the
//! whole tree, for a static web server).
//!
//! - `provider-metadata.json` (requirement 7) with the signing keys
//!   (`public_openpgp_keys`, requirement 20), served under `openpgp/`;
//! - `white/` (TLP:WHITE, requirement 11) with `index.txt`, `changes.csv`
//!   (requirements 12, 13), the ROLIE feed (requirement 15), a folder per
//!   year of initial release (requirement 14) and per document its JSON, its
//!   `.sha256` and `.sha512` (requirement 18) and its detached OpenPGP
//!   signature `.asc` (requirement 19), made with the organisation's key
//!   pair from the key store, the one that signs its security.txt;
//! - per published advisory that is not withdrawn, its CSAF VEX document
//!   `YEAR/ID-vex.json` (with the team's VEX statements), listed, hashed
//!   and signed like the advisories;
//! - the same statements as OpenVEX 0.2.0, `openvex/YEAR/NAME.json`
//!   (linked from the advisory page and from its CSAF VEX document);
//! - directory listings of `white/` and each year folder (web only: a
//!   static server lists folders itself).
//!
//! A document is signed when its bytes are asked for: the signature's time
//! is the clock's.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt::Write as _;

use embargo_core::Timestamp;
use embargo_core::id::{AdvisoryId, OrgId};
use embargo_core::vex::NotAffected;
use embargo_formats::{csaf, vex};
use embargo_store::mail::{KeyOwner, StoredKey};
use sha2::{Digest, Sha256, Sha512};

use crate::publication::PublishedDocument;
use crate::signing::sign_file_blocking;
use crate::{App, AppError};

/// One file of the provider.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProviderFile {
    /// Its media type.
    pub content_type: &'static str,
    /// Its exact bytes (the hashes and the signature are over these).
    pub body: Vec<u8>,
    /// When its content last changed.
    pub modified: Timestamp,
}

impl ProviderFile {
    fn new(content_type: &'static str, body: impl Into<Vec<u8>>, modified: Timestamp) -> ProviderFile {
        ProviderFile { content_type, body: body.into(), modified }
    }
}

const JSON: &str = "application/json";
const TEXT: &str = "text/plain; charset=utf-8";
const CSV: &str = "text/csv; charset=utf-8";
const HTML: &str = "text/html; charset=utf-8";
const KEY: &str = "application/pgp-keys";
const SIGNATURE: &str = "application/pgp-signature";

/// What one request (or one export) needs: the published documents, the
/// keys that sign them, the URLs.
struct Provider {
    base: String,
    page_base: String,
    publisher: csaf::Publisher,
    documents: Vec<PublishedDocument>,
    keys: HashMap<OrgId, StoredKey>,
    statements: HashMap<AdvisoryId, Vec<NotAffected>>,
    now: Timestamp,
}

/// A listed file: an advisory or its VEX document.
struct Entry {
    listed: csaf::Listed,
    index: usize,
    vex: bool,
}

impl Provider {
    fn page(&self, d: &PublishedDocument) -> String {
        format!("{}/advisories/{}", self.page_base, d.advisory.id)
    }

    fn entries(&self) -> Vec<Entry> {
        let mut out = Vec::new();
        for (index, d) in self.documents.iter().enumerate() {
            let page = self.page(d);
            let doc = d.document(&page);
            let modified = csaf::current_release(&doc);
            out.push(Entry {
                listed: csaf::Listed {
                    id: d.advisory.id.to_string(),
                    title: doc.title().to_owned(),
                    path: csaf::file_path(&doc),
                    published: doc.published,
                    modified,
                },
                index,
                vex: false,
            });
            if doc.withdrawn.is_none() {
                let stated = self.statements.get(&d.advisory.id).into_iter().flatten().map(|n| n.stated_at).max();
                out.push(Entry {
                    listed: csaf::Listed {
                        id: vex::vex_id(&d.advisory.id),
                        title: format!("VEX: {}", doc.title()),
                        path: vex::csaf_file_path(&doc),
                        published: doc.published,
                        modified: stated.map_or(modified, |s| s.max(modified)),
                    },
                    index,
                    vex: true,
                });
            }
        }
        out
    }

    /// The published advisory of an entry.
    fn document_of(&self, e: &Entry) -> Result<&PublishedDocument, AppError> {
        self.documents.get(e.index).ok_or(AppError::NotFound)
    }

    /// The advisory's own path (`YEAR/NAME.json`) of an entry.
    fn listed_advisory_path(&self, e: &Entry) -> String {
        self.document_of(e).map(|d| csaf::file_path(&d.document(&self.page(d)))).unwrap_or_default()
    }

    fn listed(&self) -> Vec<csaf::Listed> {
        self.entries().into_iter().map(|e| e.listed).collect()
    }

    fn last_updated(&self) -> Timestamp {
        self.listed().iter().map(|l| l.modified).max().unwrap_or(self.now)
    }

    fn key_url(&self, key: &StoredKey) -> String {
        format!("{}{}/{}.asc", self.base, csaf::KEYS_DIR, key.fingerprint)
    }

    /// Every document can be signed: the provider is a trusted one.
    fn trusted(&self, signer: bool) -> bool {
        signer && self.documents.iter().all(|d| self.keys.contains_key(&d.org.id))
    }

    fn metadata(&self, signer: bool) -> ProviderFile {
        let mut keys: Vec<csaf::OpenPgpKey> = self
            .keys
            .values()
            .map(|k| csaf::OpenPgpKey { fingerprint: k.fingerprint.clone(), url: self.key_url(k) })
            .collect();
        keys.sort_by(|a, b| a.fingerprint.cmp(&b.fingerprint));
        keys.dedup();
        let value =
            csaf::provider_metadata(&self.publisher, &self.base, self.last_updated(), &keys, self.trusted(signer));
        ProviderFile::new(JSON, pretty(&value), self.last_updated())
    }

    fn document_bytes(&self, d: &PublishedDocument, as_vex: bool) -> (String, ProviderFile) {
        let page = self.page(d);
        let doc = d.document(&page);
        let statements = self.statements.get(&d.advisory.id).map_or(&[][..], Vec::as_slice);
        let path = if as_vex { vex::csaf_file_path(&doc) } else { csaf::file_path(&doc) };
        let url = format!("{}{}/{path}", self.base, csaf::WHITE_DIR);
        let value = if as_vex {
            let openvex = format!("{}{}/{}", self.base, vex::OPENVEX_DIR, csaf::file_path(&doc));
            vex::csaf(&doc, &self.publisher, &url, &openvex, statements)
        } else {
            csaf::document(&doc, &self.publisher, &url)
        };
        let stated = statements.iter().map(|n| n.stated_at).max();
        let modified = csaf::current_release(&doc);
        let modified = if as_vex { stated.map_or(modified, |s| s.max(modified)) } else { modified };
        (path, ProviderFile::new(JSON, pretty(&value), modified))
    }

    /// The OpenVEX document of the advisory at `index`: (path below the provider, file).
    fn openvex(&self, d: &PublishedDocument) -> (String, ProviderFile) {
        let page = self.page(d);
        let doc = d.document(&page);
        let statements = self.statements.get(&d.advisory.id).map_or(&[][..], Vec::as_slice);
        let path = format!("{}/{}", vex::OPENVEX_DIR, csaf::file_path(&doc));
        let value = vex::openvex(&doc, &format!("{}{path}", self.base), statements);
        let stated = statements.iter().map(|n| n.stated_at).max();
        let modified = csaf::current_release(&doc);
        (path, ProviderFile::new(JSON, pretty(&value), stated.map_or(modified, |s| s.max(modified))))
    }

    fn years(&self) -> BTreeSet<String> {
        self.listed().into_iter().filter_map(|l| l.path.split_once('/').map(|(y, _)| y.to_owned())).collect()
    }
}

fn pretty(value: &impl serde::Serialize) -> Vec<u8> {
    let mut bytes = serde_json::to_vec_pretty(value).unwrap_or_default();
    bytes.push(b'\n');
    bytes
}

/// Lower-case hex.
fn hex(bytes: &[u8]) -> String {
    bytes.iter().fold(String::with_capacity(bytes.len() * 2), |mut out, b| {
        let _ = write!(out, "{b:02x}");
        out
    })
}

/// The hash files of a document: `(".sha256", text)`, `(".sha512", text)`.
fn hash_files(path: &str, document: &ProviderFile) -> [(&'static str, ProviderFile); 2] {
    let sha256 = csaf::hash_file(&hex(&Sha256::digest(&document.body)), path);
    let sha512 = csaf::hash_file(&hex(&Sha512::digest(&document.body)), path);
    [
        (".sha256", ProviderFile::new(TEXT, sha256, document.modified)),
        (".sha512", ProviderFile::new(TEXT, sha512, document.modified)),
    ]
}

impl App {
    async fn csaf_provider(&self, history: bool) -> Result<Provider, AppError> {
        let documents = self.published_documents(history).await?;
        let mut keys = HashMap::new();
        let mut reader = self.store.reader().await?;
        let orgs: BTreeMap<OrgId, ()> = documents.iter().map(|d| (d.org.id, ())).collect();
        for org in orgs.keys() {
            if let Some(key) = reader.openpgp_key(&KeyOwner::Organisation(*org)).await?
                && key.secret_key.is_some()
            {
                keys.insert(*org, key);
            }
        }
        let mut statements: HashMap<AdvisoryId, Vec<NotAffected>> = HashMap::new();
        for (id, statement) in reader.all_vex_statements().await? {
            statements.entry(id).or_default().push(statement);
        }
        let page_base = self.config.public_url.trim_end_matches('/').to_owned();
        let host = page_base.split_once("://").map_or(page_base.as_str(), |(_, host)| host).to_owned();
        Ok(Provider {
            base: format!("{page_base}/.well-known/csaf/"),
            publisher: csaf::Publisher { name: format!("Embargo at {host}"), namespace: page_base.clone() },
            page_base,
            documents,
            keys,
            statements,
            now: self.now(),
        })
    }

    /// The detached signature of a document's bytes by its organisation's key.
    async fn csaf_signature(&self, key: &StoredKey, body: &[u8]) -> Result<Option<String>, AppError> {
        let (Some(signer), Some(secret)) = (self.signer.clone(), key.secret_key.clone()) else {
            return Ok(None);
        };
        match sign_file_blocking(signer, secret, body.to_vec(), self.now()).await {
            Ok(signature) => Ok(Some(signature)),
            Err(error) => {
                tracing::error!(%error, fingerprint = %key.fingerprint, "the organisation's key cannot sign a CSAF document");
                Ok(None)
            }
        }
    }

    /// The provider's file at `path`, relative to `/.well-known/csaf/`
    /// (`white/` and `white/YEAR/` are directory listings). Published
    /// advisories only; anything else is [`AppError::NotFound`].
    pub async fn csaf_file(&self, path: &str) -> Result<ProviderFile, AppError> {
        let white = format!("{}/", csaf::WHITE_DIR);
        if path == "provider-metadata.json" {
            return Ok(self.csaf_provider(false).await?.metadata(self.signer.is_some()));
        }
        if let Some(file) = path.strip_prefix(&format!("{}/", csaf::KEYS_DIR)) {
            let provider = self.csaf_provider(false).await?;
            let key = provider.keys.values().find(|k| format!("{}.asc", k.fingerprint) == file);
            return key.map(|k| ProviderFile::new(KEY, k.public_key.clone(), k.created_at)).ok_or(AppError::NotFound);
        }
        let provider = self.csaf_provider(false).await?;
        if path.starts_with(&format!("{}/", vex::OPENVEX_DIR)) {
            let found = provider
                .entries()
                .into_iter()
                .find(|e| e.vex && format!("{}/{}", vex::OPENVEX_DIR, provider.listed_advisory_path(e)) == path)
                .ok_or(AppError::NotFound)?;
            let document = self.published_document(provider.document_of(&found)?.advisory.id.as_str()).await?;
            return Ok(provider.openvex(&document).1);
        }
        let Some(rest) = path.strip_prefix(&white) else {
            return Err(AppError::NotFound);
        };
        let listed = provider.listed();
        let updated = provider.last_updated();
        match rest {
            "" => {
                let mut entries: Vec<String> = vec!["index.txt".into(), "changes.csv".into(), csaf::FEED_FILE.into()];
                entries.extend(provider.years().into_iter().map(|y| format!("{y}/")));
                let title = format!("Index of /.well-known/csaf/{white}");
                return Ok(ProviderFile::new(HTML, csaf::directory_listing(&title, &entries), updated));
            }
            "index.txt" => return Ok(ProviderFile::new(TEXT, csaf::index_txt(&listed), updated)),
            "changes.csv" => return Ok(ProviderFile::new(CSV, csaf::changes_csv(&listed), updated)),
            feed if feed == csaf::FEED_FILE => {
                let value = csaf::rolie_feed(&provider.base, &listed, updated);
                return Ok(ProviderFile::new(JSON, pretty(&value), updated));
            }
            _ => {}
        }
        if let Some(year) = rest.strip_suffix('/')
            && provider.years().contains(year)
        {
            let mut entries = Vec::new();
            for e in provider.entries().iter().filter(|e| e.listed.path.starts_with(&format!("{year}/"))) {
                let name = e.listed.path.rsplit('/').next().unwrap_or(&e.listed.path);
                entries.extend([name.to_owned(), format!("{name}.sha256"), format!("{name}.sha512")]);
                let org = provider.document_of(e)?.org.id;
                if self.signer.is_some() && provider.keys.contains_key(&org) {
                    entries.push(format!("{name}.asc"));
                }
            }
            let title = format!("Index of /.well-known/csaf/{white}{year}/");
            return Ok(ProviderFile::new(HTML, csaf::directory_listing(&title, &entries), updated));
        }
        let (json_path, suffix) = [".sha256", ".sha512", ".asc"]
            .iter()
            .find_map(|s| rest.strip_suffix(s).map(|p| (p, *s)))
            .unwrap_or((rest, ""));
        let entries = provider.entries();
        let found = entries.iter().find(|e| e.listed.path == json_path).ok_or(AppError::NotFound)?;
        // The listing holds the latest revision; the document wants them all.
        let document = self.published_document(provider.document_of(found)?.advisory.id.as_str()).await?;
        let (path, file) = provider.document_bytes(&document, found.vex);
        match suffix {
            "" => Ok(file),
            ".asc" => {
                let key = provider.keys.get(&document.org.id).ok_or(AppError::NotFound)?;
                let signature = self.csaf_signature(key, &file.body).await?.ok_or(AppError::NotFound)?;
                Ok(ProviderFile::new(SIGNATURE, signature, file.modified))
            }
            _ => hash_files(&path, &file)
                .into_iter()
                .find(|(s, _)| *s == suffix)
                .map(|(_, f)| f)
                .ok_or(AppError::NotFound),
        }
    }

    /// Every file of the provider, by path relative to `.well-known/csaf/`,
    /// for `embargo export csaf` to write where a static web server serves
    /// them (which lists the folders itself).
    pub async fn csaf_tree(&self) -> Result<Vec<(String, ProviderFile)>, AppError> {
        let provider = self.csaf_provider(true).await?;
        let white = csaf::WHITE_DIR;
        let listed = provider.listed();
        let updated = provider.last_updated();
        let mut files = vec![("provider-metadata.json".to_owned(), provider.metadata(self.signer.is_some()))];
        for key in provider.keys.values() {
            let path = format!("{}/{}.asc", csaf::KEYS_DIR, key.fingerprint);
            files.push((path, ProviderFile::new(KEY, key.public_key.clone(), key.created_at)));
        }
        files.push((format!("{white}/index.txt"), ProviderFile::new(TEXT, csaf::index_txt(&listed), updated)));
        files.push((format!("{white}/changes.csv"), ProviderFile::new(CSV, csaf::changes_csv(&listed), updated)));
        let feed = csaf::rolie_feed(&provider.base, &listed, updated);
        files.push((format!("{white}/{}", csaf::FEED_FILE), ProviderFile::new(JSON, pretty(&feed), updated)));
        for e in provider.entries() {
            let d = provider.document_of(&e)?;
            let (path, file) = provider.document_bytes(d, e.vex);
            for (suffix, hash) in hash_files(&path, &file) {
                files.push((format!("{white}/{path}{suffix}"), hash));
            }
            if let Some(key) = provider.keys.get(&d.org.id)
                && let Some(signature) = self.csaf_signature(key, &file.body).await?
            {
                files.push((format!("{white}/{path}.asc"), ProviderFile::new(SIGNATURE, signature, file.modified)));
            }
            files.push((format!("{white}/{path}"), file));
            if e.vex {
                files.push(provider.openvex(d));
            }
        }
        Ok(files)
    }
}
