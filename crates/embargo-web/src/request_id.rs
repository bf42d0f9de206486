//! Request ids (`x-request-id`), made without a system call (issue 15,
//! item 4): tower-http's `MakeRequestUuid` asks the operating system for 16
//! random bytes on every request, a measurable share of a cached public
//! answer. Here a process draws one random key at start (from the
//! application's injected entropy) and numbers its requests; each id is the
//! number mixed with the key (a bijection on each half; only the six
//! version and variant bits are then fixed, so ids of one process, and of
//! two processes with their different keys, repeat no more often than
//! random UUIDs would), written as a version-4 UUID as before. Ids correlate log lines with answers; they are
//! no secret and grant nothing.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use axum::http::{HeaderValue, Request};
use tower_http::request_id::{MakeRequestId, RequestId};

/// The header that carries the id, in requests and answers.
pub(crate) const HEADER: &str = "x-request-id";

/// Makes request ids; clones share the numbering.
#[derive(Debug, Clone)]
pub(crate) struct RequestIds {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    key: [u64; 2],
    next: AtomicU64,
}

impl RequestIds {
    /// Ids mixed with `key` (random, drawn once per process).
    pub(crate) fn new(key: [u8; 16]) -> Self {
        let (high, low) = key.split_at(8);
        let word = |bytes: &[u8]| u64::from_le_bytes(bytes.try_into().unwrap_or([0; 8]));
        RequestIds { inner: Arc::new(Inner { key: [word(high), word(low)], next: AtomicU64::new(0) }) }
    }

    /// The next id, as a header value.
    pub(crate) fn next(&self) -> HeaderValue {
        let n = self.inner.next.fetch_add(1, Ordering::Relaxed);
        let [a, b] = self.inner.key;
        let uuid = uuid::Builder::from_u128((u128::from(mix(n ^ a)) << 64) | u128::from(mix(n.rotate_left(32) ^ b)))
            .with_version(uuid::Version::Random)
            .with_variant(uuid::Variant::RFC4122)
            .into_uuid();
        let mut text = [0u8; uuid::fmt::Hyphenated::LENGTH];
        HeaderValue::from_str(uuid.hyphenated().encode_lower(&mut text)).unwrap_or(HeaderValue::from_static("-"))
    }
}

/// SplitMix64's finaliser: a bijection on 64-bit words that spreads every
/// input bit over the output (Steele, Lea and Flood, "Fast splittable
/// pseudorandom number generators", 2014).
fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

impl MakeRequestId for RequestIds {
    fn make_request_id<B>(&mut self, _request: &Request<B>) -> Option<RequestId> {
        Some(RequestId::new(self.next()))
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    #[test]
    fn ids_are_uuids_that_do_not_repeat_and_differ_between_keys() {
        let ids = RequestIds::new([7; 16]);
        let seen: HashSet<String> = (0..10_000).map(|_| ids.next().to_str().unwrap().to_owned()).collect();
        assert_eq!(seen.len(), 10_000);
        for id in seen.iter().take(50) {
            let uuid = uuid::Uuid::parse_str(id).unwrap();
            assert_eq!(uuid.get_version(), Some(uuid::Version::Random), "{id}");
        }
        let other = RequestIds::new([8; 16]);
        assert!(!seen.contains(other.next().to_str().unwrap()));
    }
}
