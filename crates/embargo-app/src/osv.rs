//! The OSV-compatible query service over published advisories: an index
//! built from the published revisions, rebuilt whenever the store's
//! publication marker moves (so every replica sees new publications on its
//! next request), and the query, batch query and lookup of the OSV.dev API.
//! Drafts are never in it: it is built from published revisions only.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, RwLock};

use embargo_core::advisory::{AdvisoryState, RangeEvent, RangeKind};
use embargo_core::version::{MIN_COMMIT_CHARS, commit_affected, normalise_package_name, version_affected};
use embargo_formats::osv::{self, Record};
use embargo_formats::purl::PurlError;
use embargo_store::advisories::{PublicationMarker, PublishedAdvisory, PublishedFilter};

use crate::{App, AppError};

/// The most queries one batch may hold (as OSV.dev).
pub const MAX_BATCH: usize = 1000;

/// One query (OSV.dev `/v1/query`): a package and version, a package alone,
/// or a commit.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OsvQuery {
    /// The package's ecosystem (with `name`), or none with a commit.
    pub ecosystem: Option<String>,
    /// The package's name.
    pub name: Option<String>,
    /// A Package URL (`pkg:pypi/flask@2.0.0`), instead of ecosystem and name.
    pub purl: Option<String>,
    /// The version to check; without it, every advisory of the package.
    pub version: Option<String>,
    /// A commit hash to check instead of a version.
    pub commit: Option<String>,
}

/// Why a query was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OsvQueryError {
    /// Neither a package nor a commit.
    #[error("give a package (ecosystem and name, or purl) or a commit")]
    Empty,
    /// A version without a package.
    #[error("a version needs a package (ecosystem and name, or purl)")]
    VersionWithoutPackage,
    /// Both a version and a commit.
    #[error("give a version or a commit, not both")]
    VersionAndCommit,
    /// Only one of ecosystem and name.
    #[error("a package needs both ecosystem and name")]
    HalfPackage,
    /// A purl that cannot be read, or given with ecosystem and name.
    #[error("{purl:?} is not a Package URL Embargo understands (pkg:TYPE/NAME[@VERSION]); {reason}")]
    BadPurl {
        /// The purl, cut to a safe length.
        purl: String,
        /// What is wrong.
        reason: &'static str,
    },
    /// Too many queries in one batch.
    #[error("a batch holds at most {max} queries; this one has {got}")]
    BatchTooLarge {
        /// The limit.
        max: usize,
        /// The number given.
        got: usize,
    },
}

/// A checked query: what to look up.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Lookup {
    Package { ecosystem: String, name: String, version: Option<String> },
    Commit(String),
}

impl OsvQuery {
    fn check(&self) -> Result<Lookup, OsvQueryError> {
        let given = |v: &Option<String>| v.as_deref().map(str::trim).filter(|v| !v.is_empty()).map(str::to_owned);
        let (ecosystem, name, purl, mut version, commit) =
            (given(&self.ecosystem), given(&self.name), given(&self.purl), given(&self.version), given(&self.commit));
        let package = match (ecosystem, name, purl) {
            (None, None, None) => None,
            (Some(ecosystem), Some(name), None) => Some((ecosystem, name)),
            (Some(_), None, None) | (None, Some(_), None) => return Err(OsvQueryError::HalfPackage),
            (None, None, Some(purl)) => {
                let bad = |reason| OsvQueryError::BadPurl { purl: purl.chars().take(200).collect(), reason };
                let named = embargo_formats::purl::package_of(&purl).map_err(|e| match e {
                    PurlError::Malformed { .. } => bad("it is not a valid package URL"),
                    PurlError::UnknownType(_) => bad("its type has no OSV ecosystem"),
                })?;
                if let Some(v) = named.version {
                    if version.is_some() {
                        return Err(bad("it has a version and the query has one too"));
                    }
                    version = Some(v);
                }
                Some((named.ecosystem, named.name))
            }
            (Some(_), _, Some(_)) | (None, Some(_), Some(_)) => {
                let purl = self.purl.clone().unwrap_or_default();
                return Err(OsvQueryError::BadPurl {
                    purl: purl.chars().take(200).collect(),
                    reason: "give a purl or ecosystem and name, not both",
                });
            }
        };
        match (package, version, commit) {
            (_, Some(_), Some(_)) => Err(OsvQueryError::VersionAndCommit),
            (None, Some(_), None) => Err(OsvQueryError::VersionWithoutPackage),
            (None, None, None) => Err(OsvQueryError::Empty),
            (_, None, Some(commit)) => Ok(Lookup::Commit(commit.to_ascii_lowercase())),
            (Some((ecosystem, name)), version, None) => Ok(Lookup::Package { ecosystem, name, version }),
        }
    }
}

/// Whether a package's ecosystem answers a query's: the same, or the query
/// names the ecosystem without the package's release suffix (`Debian` finds
/// `Debian:12`).
fn ecosystem_matches(package: &str, query: &str) -> bool {
    package == query || (!query.contains(':') && package.split_once(':').is_some_and(|(base, _)| base == query))
}

/// One advisory in the index.
#[derive(Debug)]
struct Indexed {
    advisory: PublishedAdvisory,
    record: Arc<Record>,
}

/// The published advisories, indexed by package and by commit.
#[derive(Debug)]
pub(crate) struct OsvIndex {
    marker: PublicationMarker,
    entries: Vec<Indexed>,
    by_id: HashMap<String, usize>,
    by_package: HashMap<(String, String), Vec<usize>>,
    /// Commits a GIT range's `introduced`/`last_affected` or an entry's
    /// listed versions name, lower-cased; ordered for abbreviation lookups.
    by_commit: BTreeMap<String, Vec<usize>>,
}

impl OsvIndex {
    fn build(marker: PublicationMarker, advisories: Vec<PublishedAdvisory>) -> OsvIndex {
        let mut index = OsvIndex {
            marker,
            entries: Vec::with_capacity(advisories.len()),
            by_id: HashMap::new(),
            by_package: HashMap::new(),
            by_commit: BTreeMap::new(),
        };
        for advisory in advisories {
            let at = index.entries.len();
            let content = &advisory.revision.content;
            for affected in &content.affected {
                if let Some(package) = &affected.package {
                    let name = normalise_package_name(&package.ecosystem, &package.name);
                    // `Debian:12` is found by `Debian` too, as on OSV.dev.
                    let base = package.ecosystem.split_once(':').map(|(base, _)| base.to_owned());
                    for ecosystem in std::iter::once(package.ecosystem.clone()).chain(base) {
                        let list = index.by_package.entry((ecosystem, name.clone())).or_default();
                        if list.last() != Some(&at) {
                            list.push(at);
                        }
                    }
                }
                let git = affected.ranges.iter().any(|r| r.kind == RangeKind::Git);
                let listed = affected.versions.iter().filter(|_| git);
                let commits = affected.ranges.iter().flat_map(|r| &r.events).filter_map(|event| match event {
                    RangeEvent::Introduced(commit) | RangeEvent::LastAffected(commit) => Some(commit),
                    RangeEvent::Fixed(_) | RangeEvent::Limit(_) => None,
                });
                for commit in commits.chain(listed) {
                    let list = index.by_commit.entry(commit.to_ascii_lowercase()).or_default();
                    if list.last() != Some(&at) {
                        list.push(at);
                    }
                }
            }
            let record = osv::record(osv::Published {
                id: &advisory.id,
                content,
                published: advisory.first_published_at,
                modified: advisory.revision.published_at,
                withdrawn: match advisory.state {
                    AdvisoryState::Withdrawn => advisory.withdrawn_at,
                    AdvisoryState::Published | AdvisoryState::Draft => None,
                },
            });
            index.by_id.insert(advisory.id.as_str().to_owned(), at);
            index.by_id.insert(osv::osv_id(&advisory.id), at);
            index.entries.push(Indexed { advisory, record: Arc::new(record) });
        }
        index
    }

    /// The entries naming a commit: the same hash, hashes it abbreviates,
    /// and abbreviations of it (at least 7 digits either way).
    fn commit_candidates(&self, commit: &str) -> Vec<usize> {
        let mut found: Vec<usize> = self
            .by_commit
            .range(commit.to_owned()..)
            .take_while(|(key, _)| key.starts_with(commit))
            .flat_map(|(_, list)| list.iter().copied())
            .collect();
        for end in MIN_COMMIT_CHARS..commit.len() {
            if let Some(list) = commit.get(..end).and_then(|prefix| self.by_commit.get(prefix)) {
                found.extend(list);
            }
        }
        found.sort_unstable();
        found.dedup();
        found
    }

    fn find(&self, lookup: &Lookup) -> Vec<Arc<Record>> {
        // Like OSV.dev, queries leave withdrawn records out; `/vulns/{id}`
        // still serves them.
        let hits = |candidates: Option<&Vec<usize>>, matches: &dyn Fn(&Indexed) -> bool| -> Vec<Arc<Record>> {
            candidates
                .into_iter()
                .flatten()
                .filter_map(|&i| self.entries.get(i))
                .filter(|e| e.advisory.state != AdvisoryState::Withdrawn && matches(e))
                .map(|e| Arc::clone(&e.record))
                .collect()
        };
        match lookup {
            Lookup::Package { ecosystem, name, version } => {
                let key = (ecosystem.clone(), normalise_package_name(ecosystem, name));
                hits(self.by_package.get(&key), &|entry| {
                    entry.advisory.revision.content.affected.iter().any(|a| {
                        a.package.as_ref().is_some_and(|p| {
                            ecosystem_matches(&p.ecosystem, ecosystem)
                                && normalise_package_name(&p.ecosystem, &p.name) == key.1
                        }) && version.as_deref().is_none_or(|v| version_affected(a, v))
                    })
                })
            }
            Lookup::Commit(commit) => hits(Some(&self.commit_candidates(commit)), &|entry| {
                entry.advisory.revision.content.affected.iter().any(|a| commit_affected(a, commit))
            }),
        }
    }
}

/// The cached index, shared by clones of the [`App`].
#[derive(Debug, Default)]
pub(crate) struct OsvCache(RwLock<Option<Arc<OsvIndex>>>);

impl App {
    async fn osv_index(&self) -> Result<Arc<OsvIndex>, AppError> {
        let mut reader = self.store.reader().await?;
        let marker = reader.publication_marker().await?;
        let cached = self.osv.0.read().unwrap_or_else(std::sync::PoisonError::into_inner).clone();
        if let Some(index) = cached.filter(|index| index.marker == marker) {
            return Ok(index);
        }
        let advisories = reader.published_advisories(&PublishedFilter::default()).await?;
        let index = Arc::new(OsvIndex::build(marker, advisories));
        *self.osv.0.write().unwrap_or_else(std::sync::PoisonError::into_inner) = Some(Arc::clone(&index));
        Ok(index)
    }

    /// The published advisories affecting what `query` names (OSV.dev `/v1/query`).
    pub async fn osv_query(&self, query: &OsvQuery) -> Result<Vec<Arc<Record>>, OsvError> {
        let lookup = query.check()?;
        let index = self.osv_index().await?;
        Ok(index.find(&lookup))
    }

    /// Many queries at once (OSV.dev `/v1/querybatch`); answers per query
    /// the matching advisories, in the order of the queries.
    pub async fn osv_query_batch(&self, queries: &[OsvQuery]) -> Result<Vec<Vec<Arc<Record>>>, OsvError> {
        if queries.len() > MAX_BATCH {
            return Err(OsvQueryError::BatchTooLarge { max: MAX_BATCH, got: queries.len() }.into());
        }
        let lookups = queries.iter().map(OsvQuery::check).collect::<Result<Vec<_>, _>>()?;
        let index = self.osv_index().await?;
        Ok(lookups.iter().map(|lookup| index.find(lookup)).collect())
    }

    /// One published advisory as an OSV record, by its id or OSV id
    /// (OSV.dev `/v1/vulns/{id}`).
    pub async fn osv_vulnerability(&self, id: &str) -> Result<Arc<Record>, AppError> {
        let index = self.osv_index().await?;
        let at = index.by_id.get(id).copied().ok_or(AppError::NotFound)?;
        index.entries.get(at).map(|e| Arc::clone(&e.record)).ok_or(AppError::NotFound)
    }
}

/// Why an OSV query failed: the caller's query, or the service.
#[derive(Debug, thiserror::Error)]
pub enum OsvError {
    /// The query is not valid.
    #[error("{0}")]
    Query(#[from] OsvQueryError),
    /// The service failed.
    #[error("{0}")]
    App(#[from] AppError),
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(query: OsvQuery, expected: Result<Lookup, OsvQueryError>) {
        assert_eq!(query.check(), expected, "{query:?}");
    }

    fn package(ecosystem: &str, name: &str, version: Option<&str>) -> Lookup {
        Lookup::Package { ecosystem: ecosystem.into(), name: name.into(), version: version.map(Into::into) }
    }

    #[test]
    fn queries_name_a_package_or_a_commit() {
        let q = |e: Option<&str>, n: Option<&str>, p: Option<&str>, v: Option<&str>, c: Option<&str>| OsvQuery {
            ecosystem: e.map(Into::into),
            name: n.map(Into::into),
            purl: p.map(Into::into),
            version: v.map(Into::into),
            commit: c.map(Into::into),
        };
        check(q(Some("PyPI"), Some("flask"), None, Some("2.0"), None), Ok(package("PyPI", "flask", Some("2.0"))));
        check(q(Some("PyPI"), Some("flask"), None, None, None), Ok(package("PyPI", "flask", None)));
        check(q(None, None, Some("pkg:pypi/flask@2.0.1"), None, None), Ok(package("PyPI", "flask", Some("2.0.1"))));
        check(
            q(None, None, Some("pkg:npm/%40babel/core@7.0.0"), None, None),
            Ok(package("npm", "@babel/core", Some("7.0.0"))),
        );
        check(
            q(None, None, Some("pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1"), None, None),
            Ok(package("Maven", "org.apache.logging.log4j:log4j-core", Some("2.14.1"))),
        );
        check(q(None, None, None, None, Some("ABC123")), Ok(Lookup::Commit("abc123".into())));
        check(q(None, None, None, None, None), Err(OsvQueryError::Empty));
        check(q(None, None, None, Some("1.0"), None), Err(OsvQueryError::VersionWithoutPackage));
        check(q(Some("PyPI"), None, None, Some("1.0"), None), Err(OsvQueryError::HalfPackage));
        check(q(Some("PyPI"), Some("x"), None, Some("1.0"), Some("abc")), Err(OsvQueryError::VersionAndCommit));
        assert!(matches!(q(None, None, Some("pkg:unknown/x"), None, None).check(), Err(OsvQueryError::BadPurl { .. })));
        assert!(matches!(q(None, None, Some("flask"), None, None).check(), Err(OsvQueryError::BadPurl { .. })));
        assert!(matches!(
            q(None, None, Some("pkg:pypi/x@1"), Some("2"), None).check(),
            Err(OsvQueryError::BadPurl { .. })
        ));
    }

    #[test]
    fn an_ecosystem_without_its_release_finds_every_release() {
        assert!(ecosystem_matches("Debian:12", "Debian"));
        assert!(ecosystem_matches("Debian:12", "Debian:12"));
        assert!(!ecosystem_matches("Debian:12", "Debian:11"));
        assert!(!ecosystem_matches("Debian", "Debian:12"), "a release asks for that release");
        assert!(!ecosystem_matches("Ubuntu:22.04", "Debian"));
    }
}
