//! Package URLs (purl, <https://github.com/package-url/purl-spec>) for OSV
//! packages, through the `packageurl` crate: the purl of a package
//! ([`of_package`]; OSV 1.7 `affected[].package.purl`, CSAF 2.0
//! `product_identification_helper.purl`, CVE 5.2 `packageURL`), a purl
//! without its version ([`without_version`]; CVE 5.2 wants none), and the
//! package a purl names ([`package_of`]; the OSV API's `package.purl`).
//!
//! The ecosystem ⇄ purl type table follows OSV's own
//! (`osv/purl_helpers.py` of google/osv.dev): only ecosystems with a plain
//! mapping are listed; distributions (Debian, Alpine, ...) need qualifiers
//! OSV does not carry and get no purl.

use std::str::FromStr;

use embargo_core::project::Package;
use packageurl::PackageUrl;

/// Why a purl was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PurlError {
    /// Not a purl at all.
    #[error("{purl:?} is not a package URL: {reason}")]
    Malformed {
        /// The text, cut to 200 characters.
        purl: String,
        /// What the parser said.
        reason: String,
    },
    /// A purl type no OSV ecosystem maps to.
    #[error("the purl type {0:?} names no OSV ecosystem")]
    UnknownType(String),
}

/// OSV ecosystem and purl type, one to one.
const TYPES: &[(&str, &str)] = &[
    ("crates.io", "cargo"),
    ("PyPI", "pypi"),
    ("npm", "npm"),
    ("Go", "golang"),
    ("Maven", "maven"),
    ("NuGet", "nuget"),
    ("RubyGems", "gem"),
    ("Packagist", "composer"),
    ("Hex", "hex"),
    ("Pub", "pub"),
    ("Hackage", "hackage"),
    ("CRAN", "cran"),
    ("ConanCenter", "conan"),
    ("SwiftURL", "swift"),
    ("GitHub Actions", "github"),
    ("Bitnami", "bitnami"),
];

/// Distribution purls the OSV API reads, by type and namespace
/// (`pkg:deb/debian/NAME`, `pkg:rpm/redhat/NAME`), as OSV.dev's
/// `purl_helpers.py` maps them; exports write none, as OSV's purls for them
/// carry qualifiers.
const DISTRIBUTIONS: &[(&str, &str, &str)] = &[
    ("Debian", "deb", "debian"),
    ("Ubuntu", "deb", "ubuntu"),
    ("Alpine", "apk", "alpine"),
    ("Wolfi", "apk", "wolfi"),
    ("Chainguard", "apk", "chainguard"),
    ("AlmaLinux", "rpm", "almalinux"),
    ("Mageia", "rpm", "mageia"),
    ("openSUSE", "rpm", "opensuse"),
    ("Red Hat", "rpm", "redhat"),
    ("Rocky Linux", "rpm", "rocky-linux"),
    ("SUSE", "rpm", "suse"),
];

/// Splits a package name into purl namespace and name where the ecosystem
/// writes both in one (`group:artifact`, `@scope/name`, `vendor/name`,
/// `host/path/name`).
fn split<'n>(purl_type: &str, name: &'n str) -> (Option<&'n str>, &'n str) {
    match purl_type {
        "maven" => name.split_once(':').map_or((None, name), |(ns, n)| (Some(ns), n)),
        "npm" if name.starts_with('@') => name.split_once('/').map_or((None, name), |(ns, n)| (Some(ns), n)),
        "composer" | "golang" | "github" | "swift" => {
            name.rsplit_once('/').map_or((None, name), |(ns, n)| (Some(ns), n))
        }
        _ => (None, name),
    }
}

/// The purl of a package (no version), or `None` for an ecosystem without a
/// plain purl type.
pub fn of_package(package: &Package) -> Option<String> {
    let base = package.ecosystem.split(':').next().unwrap_or_default();
    let (_, purl_type) = TYPES.iter().find(|(ecosystem, _)| *ecosystem == base)?;
    let (namespace, name) = split(purl_type, &package.name);
    let mut purl = PackageUrl::new(*purl_type, name).ok()?;
    if let Some(namespace) = namespace {
        purl.with_namespace(namespace).ok()?;
    }
    Some(purl.to_string())
}

/// The purl of a GitHub repository (`pkg:github/OWNER/REPO`) from its
/// URL, for a `GIT` range's commits; `None` for other hosts.
pub fn of_github_repository(url: &str) -> Option<String> {
    let path = url.trim().strip_prefix("https://github.com/")?;
    let path = path.trim_end_matches('/').trim_end_matches(".git");
    let (owner, repo) = path.split_once('/')?;
    if owner.is_empty() || repo.is_empty() || repo.contains('/') {
        return None;
    }
    let mut purl = PackageUrl::new("github", repo.to_ascii_lowercase()).ok()?;
    purl.with_namespace(owner.to_ascii_lowercase()).ok()?;
    Some(purl.to_string())
}

/// The same purl without its version (CVE 5.2 `packageURL` must not name
/// one), or the text unchanged if it does not parse.
pub fn without_version(purl: &str) -> String {
    match PackageUrl::from_str(purl) {
        Ok(mut parsed) => parsed.without_version().to_string(),
        Err(_) => purl.to_owned(),
    }
}

/// The same purl naming one version (CSAF `product_version` helpers), or
/// `None` if it does not parse or the version is not allowed.
pub fn with_version(purl: &str, version: &str) -> Option<String> {
    let mut parsed = PackageUrl::from_str(purl).ok()?;
    parsed.with_version(version.to_owned()).ok()?;
    Some(parsed.to_string())
}

/// Checks that a text is a purl.
pub fn check(purl: &str) -> Result<(), PurlError> {
    PackageUrl::from_str(purl).map(|_| ()).map_err(|e| malformed(purl, &e))
}

fn malformed(purl: &str, e: &packageurl::Error) -> PurlError {
    PurlError::Malformed { purl: purl.chars().take(200).collect(), reason: e.to_string() }
}

/// A package and version named by a purl, as the OSV API reads one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PurlQuery {
    /// The OSV ecosystem.
    pub ecosystem: String,
    /// The package name as OSV writes it.
    pub name: String,
    /// The purl's version, if it has one.
    pub version: Option<String>,
}

/// The OSV package a purl names, with its version if given. Qualifiers and
/// subpath are ignored, as OSV.dev does.
pub fn package_of(purl: &str) -> Result<PurlQuery, PurlError> {
    let parsed = PackageUrl::from_str(purl).map_err(|e| malformed(purl, &e))?;
    let version = parsed.version().map(str::to_owned);
    // `pkg:deb/debian/openssl`: the namespace is the distribution.
    let namespace = parsed.namespace().map(str::to_ascii_lowercase);
    if let Some((ecosystem, _, _)) =
        DISTRIBUTIONS.iter().find(|(_, t, ns)| *t == parsed.ty() && namespace.as_deref() == Some(*ns))
    {
        return Ok(PurlQuery { ecosystem: (*ecosystem).to_owned(), name: parsed.name().to_owned(), version });
    }
    let unknown = || {
        let ty = match parsed.namespace() {
            Some(ns) if DISTRIBUTIONS.iter().any(|(_, t, _)| *t == parsed.ty()) => format!("{}/{ns}", parsed.ty()),
            _ => parsed.ty().to_owned(),
        };
        PurlError::UnknownType(ty.chars().take(40).collect())
    };
    let (ecosystem, purl_type) = TYPES.iter().find(|(_, t)| *t == parsed.ty()).ok_or_else(unknown)?;
    let name = match (parsed.namespace(), *purl_type) {
        (Some(ns), "maven") => format!("{ns}:{}", parsed.name()),
        (Some(ns), _) => format!("{ns}/{}", parsed.name()),
        (None, _) => parsed.name().to_owned(),
    };
    Ok(PurlQuery { ecosystem: (*ecosystem).to_owned(), name, version })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check_of(ecosystem: &str, name: &str, expected: Option<&str>) {
        let package = Package::new(ecosystem, name).unwrap();
        assert_eq!(of_package(&package).as_deref(), expected, "{ecosystem} {name}");
    }

    #[test]
    fn packages_get_their_purl() {
        check_of("PyPI", "Jinja2", Some("pkg:pypi/jinja2"));
        check_of("PyPI", "zope_interface", Some("pkg:pypi/zope-interface"));
        check_of("crates.io", "tokio", Some("pkg:cargo/tokio"));
        check_of("npm", "@babel/core", Some("pkg:npm/%40babel/core"));
        check_of("Maven", "org.apache.logging.log4j:log4j-core", Some("pkg:maven/org.apache.logging.log4j/log4j-core"));
        check_of("Go", "github.com/gin-gonic/gin", Some("pkg:golang/github.com/gin-gonic/gin"));
        check_of("Debian:12", "openssl", None);
    }

    #[test]
    fn purls_name_packages() {
        let q = |s: &str| package_of(s).map(|p| (p.ecosystem, p.name, p.version));
        assert_eq!(q("pkg:pypi/flask@3.1.0"), Ok(("PyPI".into(), "flask".into(), Some("3.1.0".into()))));
        assert_eq!(q("pkg:cargo/tokio"), Ok(("crates.io".into(), "tokio".into(), None)));
        assert_eq!(q("pkg:npm/%40babel/core@7.0.0"), Ok(("npm".into(), "@babel/core".into(), Some("7.0.0".into()))));
        assert_eq!(
            q("pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1?type=jar"),
            Ok(("Maven".into(), "org.apache.logging.log4j:log4j-core".into(), Some("2.14.1".into())))
        );
        assert_eq!(
            q("pkg:deb/debian/openssl@3.0.11-1"),
            Ok(("Debian".into(), "openssl".into(), Some("3.0.11-1".into())))
        );
        assert_eq!(
            q("pkg:rpm/redhat/curl@7.61.1-22.el8"),
            Ok(("Red Hat".into(), "curl".into(), Some("7.61.1-22.el8".into())))
        );
        assert_eq!(q("pkg:deb/ubuntu/openssl?arch=amd64"), Ok(("Ubuntu".into(), "openssl".into(), None)));
        assert_eq!(q("pkg:apk/wolfi/glibc@2.38-r1"), Ok(("Wolfi".into(), "glibc".into(), Some("2.38-r1".into()))));
        assert_eq!(q("pkg:rpm/rocky-linux/kernel"), Ok(("Rocky Linux".into(), "kernel".into(), None)));
        assert_eq!(
            q("pkg:swift/github.com/apple/swift-nio@2.0.0"),
            Ok(("SwiftURL".into(), "github.com/apple/swift-nio".into(), Some("2.0.0".into())))
        );
        assert_eq!(q("pkg:hackage/aeson"), Ok(("Hackage".into(), "aeson".into(), None)));
        assert_eq!(
            q("pkg:github/actions/checkout@v4"),
            Ok(("GitHub Actions".into(), "actions/checkout".into(), Some("v4".into())))
        );
        assert_eq!(package_of("pkg:rpm/fedora/curl"), Err(PurlError::UnknownType("rpm/fedora".into())));
        assert_eq!(package_of("pkg:bitbucket/a/b"), Err(PurlError::UnknownType("bitbucket".into())));
        assert!(matches!(package_of("not a purl"), Err(PurlError::Malformed { .. })));
        assert_eq!(without_version("pkg:pypi/flask@3.1.0"), "pkg:pypi/flask");
        assert_eq!(
            of_github_repository("https://github.com/python/cpython.git").as_deref(),
            Some("pkg:github/python/cpython")
        );
        assert_eq!(of_github_repository("https://gitlab.com/a/b"), None);
    }
}
