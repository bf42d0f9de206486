//! The public cache (issue 15, item 4): published revisions do not change,
//! so the public advisory page, OSV `vulns/{id}` and `query`, and the Atom
//! feed are answered from memory, with a strong `ETag` (a hash of the bytes),
//! the handler's `Last-Modified`, and 304 to `If-None-Match` or
//! `If-Modified-Since` (RFC 9110 sections 8.8.3, 8.8.2, 13.1.1, 13.1.3, 15.4.5).
//!
//! What may be kept: answers 200 to requests that carry no credential (no
//! `Authorization`, no session or private-link cookie) on those routes, which
//! serve published content only (a draft or a private advisory answers 404,
//! and errors are never kept), and that set no cookie. Per-user pages never
//! reach the cache. `query` is a POST: it is kept by its body with the JSON
//! keys sorted and the spacing dropped, when the body is small.
//!
//! When it is stale: every entry was made at a publication sequence (the
//! store's `publication_sequence`, moved by the database in the transaction
//! of each publication, revision, withdrawal or rename, on any replica). The
//! cache reads the sequence again when [`PublicCacheConfig::recheck`] has
//! passed on the application clock since the last reading, or at once after
//! this process answered any request that may change data (every method but
//! GET, HEAD and OPTIONS; OSV's POSTs only read), and empties itself when it
//! moved. Work of this process outside HTTP (a scheduled publication run by
//! the job worker) counts as another replica's. So this replica's
//! own publications show at once, and another replica's within `recheck`
//! (one second by default) plus one database read. In the steady state a
//! cached answer reads nothing from the database.
//!
//! Memory: entries count their bytes against [`PublicCacheConfig::budget_bytes`];
//! an answer larger than a quarter of it is not kept, and when the budget is
//! full the least recently used entries go first.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError, RwLock};
use std::time::Instant;

use axum::body::{Body, Bytes, HttpBody};
use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use embargo_core::Timestamp;
use sha2::{Digest, Sha256};

use crate::AppState;

/// Settings of the public cache.
#[derive(Debug, Clone)]
pub struct PublicCacheConfig {
    /// The most bytes of answers kept (0 turns the cache off).
    pub budget_bytes: usize,
    /// How long an answer is served before the publication sequence is read
    /// again: the longest another replica's publication stays unseen.
    pub recheck: time::Duration,
}

impl Default for PublicCacheConfig {
    fn default() -> Self {
        PublicCacheConfig { budget_bytes: 8 * 1024 * 1024, recheck: time::Duration::seconds(1) }
    }
}

/// `Cache-Control` of the kept answers: anyone may keep them for a minute,
/// then asks again (cheap, with `If-None-Match`).
pub(crate) const CACHE_CONTROL: &str = "public, max-age=60";

/// The largest `query` body kept as a key.
const MAX_KEY_BODY: usize = 4096;

/// What an entry costs beyond its body and key: headers and bookkeeping.
const ENTRY_OVERHEAD: usize = 256;

/// One kept answer.
#[derive(Debug)]
struct Entry {
    body: Bytes,
    content_type: HeaderValue,
    etag: HeaderValue,
    last_modified: Option<HeaderValue>,
    /// When it was last answered, in ticks of [`PublicCache::tick`].
    used: AtomicU64,
    cost: usize,
}

/// The kept answers and the sequence they were made at.
#[derive(Debug, Default)]
struct Entries {
    /// The publication sequence every entry was made at.
    sequence: Option<i64>,
    /// When the sequence was last read (application clock).
    checked_at: Option<Timestamp>,
    /// The count of writes this process had answered when it was read.
    checked_writes: u64,
    map: HashMap<String, Arc<Entry>>,
    bytes: usize,
}

/// The cache, shared by every clone of the router's state.
#[derive(Debug)]
pub(crate) struct PublicCache {
    config: PublicCacheConfig,
    entries: RwLock<Entries>,
    /// Requests answered by this process that may have changed data.
    writes: AtomicU64,
    /// A recheck is under way (others serve what is kept meanwhile).
    checking: AtomicBool,
    tick: AtomicU64,
    /// Serialises inserts and evictions.
    evicting: Mutex<()>,
}

impl PublicCache {
    pub(crate) fn new(config: PublicCacheConfig) -> Self {
        PublicCache {
            config,
            entries: RwLock::new(Entries::default()),
            writes: AtomicU64::new(0),
            checking: AtomicBool::new(false),
            tick: AtomicU64::new(0),
            evicting: Mutex::new(()),
        }
    }

    /// The sequence the kept entries are valid at, reading it again when
    /// due; `None` when it cannot be read (then nothing is served from, or
    /// kept in, the cache).
    async fn current(&self, state: &AppState) -> Option<i64> {
        let now = state.app.now();
        let writes = self.writes.load(Ordering::Acquire);
        let (sequence, must, expired) = {
            let entries = self.entries.read().unwrap_or_else(PoisonError::into_inner);
            let expired = entries.checked_at.is_none_or(|at| now < at || now - at >= self.config.recheck);
            (entries.sequence, entries.checked_writes != writes || entries.sequence.is_none(), expired)
        };
        if !must && !expired {
            return sequence;
        }
        // Only an expired interval: one request reads, the others keep
        // serving what is kept meanwhile.
        if !must && self.checking.swap(true, Ordering::AcqRel) {
            return sequence;
        }
        let read = state.app.publication_sequence().await;
        if !must {
            self.checking.store(false, Ordering::Release);
        }
        let read = match read {
            Ok(read) => read,
            Err(e) => {
                tracing::warn!(error = %e, "cannot read the publication sequence; the public cache is bypassed");
                return None;
            }
        };
        let mut entries = self.entries.write().unwrap_or_else(PoisonError::into_inner);
        if entries.sequence != Some(read) {
            entries.map.clear();
            entries.bytes = 0;
            entries.sequence = Some(read);
        }
        entries.checked_at = Some(now);
        entries.checked_writes = entries.checked_writes.max(writes);
        Some(read)
    }

    fn get(&self, key: &str) -> Option<Arc<Entry>> {
        let entries = self.entries.read().unwrap_or_else(PoisonError::into_inner);
        let entry = entries.map.get(key)?;
        entry.used.store(self.tick.fetch_add(1, Ordering::Relaxed), Ordering::Relaxed);
        Some(Arc::clone(entry))
    }

    /// Keeps `entry` if the sequence is still the one it was made at and no
    /// write of this process came in between; evicts the least recently used
    /// entries beyond the budget.
    fn insert(&self, key: String, entry: Entry, made_at: i64, writes: u64) {
        let cost = entry.cost;
        let _evicting = self.evicting.lock().unwrap_or_else(PoisonError::into_inner);
        let mut entries = self.entries.write().unwrap_or_else(PoisonError::into_inner);
        if entries.sequence != Some(made_at) || self.writes.load(Ordering::Acquire) != writes {
            return;
        }
        if let Some(old) = entries.map.insert(key, Arc::new(entry)) {
            entries.bytes = entries.bytes.saturating_sub(old.cost);
        }
        entries.bytes += cost;
        if entries.bytes > self.config.budget_bytes {
            // Down to three quarters, so that evictions come in batches.
            let target = self.config.budget_bytes / 4 * 3;
            let mut by_use: Vec<(u64, String, usize)> =
                entries.map.iter().map(|(k, e)| (e.used.load(Ordering::Relaxed), k.clone(), e.cost)).collect();
            by_use.sort_unstable_by_key(|(used, _, _)| *used);
            for (_, key, cost) in by_use {
                if entries.bytes <= target {
                    break;
                }
                entries.map.remove(&key);
                entries.bytes = entries.bytes.saturating_sub(cost);
            }
            metrics::counter!("embargo_public_cache_evictions_total").increment(1);
        }
    }
}

/// Which kept answer a request asks for, if it may be served from the cache.
/// `body_size` is the most bytes the body may have, when known.
fn key_of(method: &Method, uri: &axum::http::Uri, headers: &HeaderMap, body_size: Option<u64>) -> Option<Key> {
    if headers.contains_key(header::AUTHORIZATION) || has_credential_cookie(headers) {
        return None;
    }
    let path = uri.path();
    if *method == Method::GET && uri.query().is_none() {
        let cacheable = path == "/advisories/feed.atom"
            || path.strip_prefix("/osv/v1/vulns/").is_some_and(single_segment)
            || path.strip_prefix("/advisories/").is_some_and(single_segment);
        return cacheable.then(|| Key::Get(format!("GET {path}")));
    }
    // A browser's POST (it says where it comes from) is left to the
    // stack's cross-site check, which this cache runs before.
    let from_browser = headers.contains_key(header::ORIGIN) || headers.contains_key("sec-fetch-site");
    if *method == Method::POST && path == "/osv/v1/query" && uri.query().is_none() && !from_browser {
        return (body_size? <= MAX_KEY_BODY as u64).then_some(Key::Query);
    }
    None
}

fn single_segment(rest: &str) -> bool {
    !rest.is_empty() && !rest.contains('/')
}

/// A session or private-link cookie makes the page the viewer's own.
fn has_credential_cookie(headers: &HeaderMap) -> bool {
    headers.get_all(header::COOKIE).iter().any(|value| {
        value.to_str().map_or(true, |text| {
            text.split(';').any(|pair| {
                let name = pair.split_once('=').map_or(pair, |(name, _)| name).trim();
                name == crate::extract::SESSION_COOKIE || name == crate::pages::LINK_COOKIE
            })
        })
    })
}

enum Key {
    Get(String),
    /// `POST /osv/v1/query`: the key is made from the body.
    Query,
}

/// JSON written with sorted keys and no spacing, so that the same query
/// spelt differently is one entry.
fn canonical_json(value: &serde_json::Value, out: &mut String) {
    match value {
        serde_json::Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            out.push('{');
            for (i, key) in keys.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&serde_json::Value::String(key.clone()).to_string());
                out.push(':');
                if let Some(v) = map.get(key) {
                    canonical_json(v, out);
                }
            }
            out.push('}');
        }
        serde_json::Value::Array(list) => {
            out.push('[');
            for (i, v) in list.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                canonical_json(v, out);
            }
            out.push(']');
        }
        other => {
            let _ = write!(out, "{other}");
        }
    }
}

/// The strong validator of a body: a hash of its bytes.
fn etag_of(body: &[u8]) -> Option<HeaderValue> {
    let digest = Sha256::digest(body);
    let mut tag = String::with_capacity(34);
    tag.push('"');
    for byte in digest.iter().take(16) {
        let _ = write!(tag, "{byte:02x}");
    }
    tag.push('"');
    HeaderValue::from_str(&tag).ok()
}

/// Whether `If-None-Match` names the entity tag (weak comparison, RFC 9110 section 13.1.2).
fn none_match(header: &HeaderValue, etag: &HeaderValue) -> bool {
    let Ok(text) = header.to_str() else { return false };
    let ours = etag.as_bytes();
    text.split(',').map(str::trim).any(|tag| tag == "*" || tag.trim_start_matches("W/").as_bytes() == ours)
}

/// Whether `If-Modified-Since` is at or after `Last-Modified`.
fn not_modified_since(header: &HeaderValue, last_modified: &HeaderValue) -> bool {
    let parse = |v: &HeaderValue| v.to_str().ok().and_then(crate::published::parse_http_date);
    match (parse(header), parse(last_modified)) {
        (Some(since), Some(modified)) => modified <= since,
        _ => false,
    }
}

/// The request's validators, all an answer from the cache looks at.
struct Validators {
    if_none_match: Option<HeaderValue>,
    if_modified_since: Option<HeaderValue>,
}

impl Validators {
    fn of(request: &HeaderMap) -> Self {
        Validators {
            if_none_match: request.get(header::IF_NONE_MATCH).cloned(),
            if_modified_since: request.get(header::IF_MODIFIED_SINCE).cloned(),
        }
    }
}

/// The answer for a kept entry: 304 when the request's validators match
/// (`If-None-Match` wins over `If-Modified-Since`, RFC 9110 section 13.2.2), else the bytes.
fn answer(entry: &Entry, method: &Method, request: &Validators, vary_cookie: bool) -> Response {
    let conditional = *method == Method::GET;
    let not_modified = conditional
        && match &request.if_none_match {
            Some(tags) => none_match(tags, &entry.etag),
            None => request
                .if_modified_since
                .as_ref()
                .zip(entry.last_modified.as_ref())
                .is_some_and(|(since, modified)| not_modified_since(since, modified)),
        };
    let mut response = if not_modified {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        let mut response = Response::new(Body::from(entry.body.clone()));
        response.headers_mut().insert(header::CONTENT_TYPE, entry.content_type.clone());
        response
    };
    let headers = response.headers_mut();
    headers.insert(header::ETAG, entry.etag.clone());
    if let Some(modified) = &entry.last_modified {
        headers.insert(header::LAST_MODIFIED, modified.clone());
    }
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(CACHE_CONTROL));
    if vary_cookie {
        headers.insert(header::VARY, HeaderValue::from_static("Cookie, Authorization"));
    }
    response
}

/// What the rest of the middleware stack adds to an answer, added to one
/// the cache makes: the security headers (`headers::apply`, the same list)
/// and the request id (`request_id`), then the request is counted and
/// logged (`telemetry::record`, the same line and metrics).
fn finish(response: &mut Response, request_id: HeaderValue, seen: &crate::telemetry::Seen<'_>, started: Instant) {
    let headers = response.headers_mut();
    crate::headers::apply(headers);
    headers.insert(crate::request_id::HEADER, request_id.clone());
    let seen = crate::telemetry::Seen { request_id: Some(&request_id), ..*seen };
    crate::telemetry::record(&seen, response.status().as_u16(), started);
}

/// The middleware: serves kept answers, keeps new ones, and notes writes.
///
/// It is the outermost layer (`router`): a kept answer goes out without
/// passing through the rest of the stack (request span, timeout, panic
/// guard, CSRF check), which cost more than the answer itself; [`finish`]
/// adds what those layers would have added that a client or an operator
/// sees. Every other request goes through the whole stack.
pub(crate) async fn serve(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let started = Instant::now();
    let cache = Arc::clone(&state.public_cache);
    let method = request.method().clone();
    // OSV queries are POSTs that change nothing.
    let reads_only = matches!(method, Method::GET | Method::HEAD | Method::OPTIONS)
        || (method == Method::POST && request.uri().path().starts_with("/osv/v1/"));
    if !reads_only {
        let response = next.run(request).await;
        cache.writes.fetch_add(1, Ordering::AcqRel);
        return response;
    }
    if cache.config.budget_bytes == 0 {
        return next.run(request).await;
    }
    let body_size = HttpBody::size_hint(request.body()).upper();
    let Some(key) = key_of(&method, request.uri(), request.headers(), body_size) else {
        return next.run(request).await;
    };
    // A page varies with the viewer (cookies); OSV and the feed do not.
    let vary_cookie =
        request.uri().path().starts_with("/advisories/") && request.uri().path() != "/advisories/feed.atom";
    let (request, key) = match key {
        Key::Get(key) => (request, key),
        Key::Query => {
            let (parts, body) = request.into_parts();
            let Ok(bytes) = axum::body::to_bytes(body, MAX_KEY_BODY).await else {
                return StatusCode::BAD_REQUEST.into_response();
            };
            let key = serde_json::from_slice::<serde_json::Value>(&bytes).ok().map(|value| {
                let mut key = String::from("POST /osv/v1/query ");
                canonical_json(&value, &mut key);
                key
            });
            let request = Request::from_parts(parts, Body::from(bytes));
            match key {
                Some(key) => (request, key),
                // Not JSON: the handler answers the error, which is not kept.
                None => return next.run(request).await,
            }
        }
    };
    let writes = cache.writes.load(Ordering::Acquire);
    let Some(sequence) = cache.current(&state).await else {
        return next.run(request).await;
    };
    let validators = Validators::of(request.headers());
    if let Some(entry) = cache.get(&key) {
        metrics::counter!("embargo_public_cache_total", "result" => "hit").increment(1);
        let mut response = answer(&entry, &method, &validators, vary_cookie);
        // A client's own id is kept, as `SetRequestIdLayer` keeps it.
        let request_id = match request.headers().get(crate::request_id::HEADER) {
            Some(id) => id.clone(),
            None => state.request_ids.next(),
        };
        let route = request.extensions().get::<MatchedPath>();
        let seen = crate::telemetry::Seen { method: &method, route, path: request.uri().path(), request_id: None };
        finish(&mut response, request_id, &seen, started);
        return response;
    }
    metrics::counter!("embargo_public_cache_total", "result" => "miss").increment(1);
    let response = next.run(request).await;
    if response.status() != StatusCode::OK || response.headers().contains_key(header::SET_COOKIE) {
        return response;
    }
    // Handlers answer whole bodies, whose size is known: a larger one than a
    // quarter of the budget (or one of unknown size) goes out uncached.
    let limit = cache.config.budget_bytes / 4;
    let size = HttpBody::size_hint(response.body()).exact();
    if size.is_none_or(|size| size > limit as u64) {
        return response;
    }
    let (parts, body) = response.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, limit).await else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    let (Some(content_type), Some(etag)) = (parts.headers.get(header::CONTENT_TYPE).cloned(), etag_of(&bytes)) else {
        return Response::from_parts(parts, Body::from(bytes));
    };
    let entry = Entry {
        cost: bytes.len() + key.len() + ENTRY_OVERHEAD,
        body: bytes,
        content_type,
        etag,
        last_modified: parts.headers.get(header::LAST_MODIFIED).cloned(),
        used: AtomicU64::new(cache.tick.fetch_add(1, Ordering::Relaxed)),
    };
    // The stack already logged and counted this answer and gave it its
    // security headers and request id; the kept form carries the same.
    let mut response = answer(&entry, &method, &validators, vary_cookie);
    crate::headers::apply(response.headers_mut());
    if let Some(id) = parts.headers.get(crate::request_id::HEADER) {
        response.headers_mut().insert(crate::request_id::HEADER, id.clone());
    }
    cache.insert(key, entry, sequence, writes);
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    fn canonical(text: &str) -> String {
        let mut out = String::new();
        canonical_json(&serde_json::from_str(text).unwrap(), &mut out);
        out
    }

    #[test]
    fn the_same_query_spelt_differently_is_one_key() {
        let a = canonical(r#"{"version": "2.0", "package": {"name": "flask", "ecosystem": "PyPI"}}"#);
        let b = canonical(r#"{"package":{"ecosystem":"PyPI","name":"flask"},"version":"2.0"}"#);
        assert_eq!(a, b);
        assert_eq!(a, r#"{"package":{"ecosystem":"PyPI","name":"flask"},"version":"2.0"}"#);
        assert_ne!(a, canonical(r#"{"package":{"ecosystem":"PyPI","name":"flask"},"version":"2.1"}"#));
        assert_eq!(canonical(r#"{"a":["x\"y",1,null,true]}"#), r#"{"a":["x\"y",1,null,true]}"#);
    }

    #[test]
    fn if_none_match_compares_weakly_and_takes_lists() {
        let ours = HeaderValue::from_static("\"abc\"");
        let check = |header: &str, expected: bool| {
            assert_eq!(none_match(&HeaderValue::from_str(header).unwrap(), &ours), expected, "{header}");
        };
        check("\"abc\"", true);
        check("W/\"abc\"", true);
        check("\"x\", \"abc\"", true);
        check("*", true);
        check("\"abd\"", false);
        check("abc", false);
    }

    fn entry(size: usize, tick: u64) -> Entry {
        let body = Bytes::from(vec![b'x'; size]);
        Entry {
            etag: etag_of(&body).unwrap(),
            cost: size + ENTRY_OVERHEAD,
            body,
            content_type: HeaderValue::from_static("text/plain"),
            last_modified: None,
            used: AtomicU64::new(tick),
        }
    }

    #[test]
    fn the_budget_holds_and_the_least_recently_read_go_first() {
        let budget = 10 * (1000 + ENTRY_OVERHEAD);
        let cache = PublicCache::new(PublicCacheConfig { budget_bytes: budget, ..PublicCacheConfig::default() });
        cache.entries.write().unwrap().sequence = Some(7);
        for i in 0..10u64 {
            cache.insert(format!("k{i}"), entry(1000 - "k0".len(), i), 7, 0);
        }
        assert_eq!(cache.entries.read().unwrap().map.len(), 10, "ten fit");
        cache.tick.store(100, Ordering::Relaxed);
        assert!(cache.get("k0").is_some(), "k0 is read again, so it is the most recent");
        cache.insert("k10".into(), entry(1000 - "k10".len(), 101), 7, 0);
        let entries = cache.entries.read().unwrap();
        assert!(entries.bytes <= budget, "{} > {budget}", entries.bytes);
        assert_eq!(entries.bytes, entries.map.values().map(|e| e.cost).sum::<usize>());
        assert!(entries.map.contains_key("k0") && entries.map.contains_key("k10"), "the recent stay");
        assert!(!entries.map.contains_key("k1"), "the least recently read went first");
        drop(entries);
        // An answer made at an older sequence, or across a write, is not kept.
        cache.insert("old".into(), entry(10, 102), 6, 0);
        cache.writes.fetch_add(1, Ordering::AcqRel);
        cache.insert("raced".into(), entry(10, 103), 7, 0);
        let entries = cache.entries.read().unwrap();
        assert!(!entries.map.contains_key("old") && !entries.map.contains_key("raced"));
    }

    #[test]
    fn only_anonymous_reads_of_the_public_routes_are_kept() {
        let check = |method: Method, uri: &str, headers: &[(&str, &str)], expected: Option<&str>| {
            let size = headers.iter().find(|(name, _)| *name == "content-length").map(|(_, v)| v.parse().unwrap());
            let mut map = HeaderMap::new();
            for (name, value) in headers {
                map.insert(
                    axum::http::HeaderName::from_bytes(name.as_bytes()).unwrap(),
                    HeaderValue::from_str(value).unwrap(),
                );
            }
            let key = key_of(&method, &uri.parse().unwrap(), &map, size).map(|k| match k {
                Key::Get(key) => key,
                Key::Query => "query".to_owned(),
            });
            assert_eq!(key.as_deref(), expected, "{method} {uri} {headers:?}");
        };
        check(Method::GET, "/advisories/PSF-2024-1", &[], Some("GET /advisories/PSF-2024-1"));
        check(Method::GET, "/osv/v1/vulns/PSF-2024-1", &[], Some("GET /osv/v1/vulns/PSF-2024-1"));
        check(Method::GET, "/advisories/feed.atom", &[], Some("GET /advisories/feed.atom"));
        check(Method::POST, "/osv/v1/query", &[("content-length", "40")], Some("query"));
        check(Method::POST, "/osv/v1/query", &[("content-length", "5000")], None);
        check(Method::POST, "/osv/v1/query", &[], None);
        check(Method::POST, "/osv/v1/querybatch", &[("content-length", "40")], None);
        check(Method::GET, "/advisories/PSF-2024-1", &[("cookie", "embargo_session=x")], None);
        check(Method::GET, "/advisories/PSF-2024-1", &[("cookie", "theme=dark; embargo_link=x")], None);
        check(Method::GET, "/advisories/PSF-2024-1", &[("cookie", "theme=dark")], Some("GET /advisories/PSF-2024-1"));
        check(Method::GET, "/osv/v1/vulns/PSF-2024-1", &[("authorization", "Bearer x")], None);
        check(Method::GET, "/advisories/PSF-2024-1?x=1", &[], None);
        check(Method::GET, "/advisories/PSF-2024-1/edit", &[], None);
        check(Method::GET, "/advisories", &[], None);
        check(Method::GET, "/reports/x", &[], None);
    }
}
