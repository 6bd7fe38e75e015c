//! The response cache: one signed answer per (CA generation, serial, CertID hash) for
//! requests without a nonce, emptied whenever the state changes (any process) or a
//! publication boundary passes, and refreshed at half its validity.

use std::collections::HashMap;

use bytes::Bytes;
use time::OffsetDateTime;

use crate::pki::ocsp::{CertIdHash, RequestedCert};
use crate::rules::{CertKind, Serial};

/// Most cached responses kept before the cache is emptied.
const MAX_CACHED: usize = 100_000;

/// A signed response kept for reuse.
#[derive(Clone, Debug)]
pub struct CachedResponse {
    /// The OCSPResponse, DER.
    pub der: Bytes,
    /// Its thisUpdate.
    pub this_update: OffsetDateTime,
    /// Its nextUpdate.
    pub next_update: OffsetDateTime,
    /// Its strong ETag.
    pub etag: String,
    /// good | revoked | unknown.
    pub status: &'static str,
}

/// What a cached response answers: the CA, the serial, the CertID hash, and whether
/// the CertID's hash AlgorithmIdentifier carried (NULL) parameters — the only other
/// way two CertIDs naming the same certificate of our CA can differ, and the response
/// echoes the CertID exactly.
pub(super) type CacheKey = (CertKind, u32, Serial, CertIdHash, bool);

/// The cache key of a single CertID, if its answer may be cached.
pub(super) fn key_of(
    (kind, generation): (CertKind, u32),
    requested: &RequestedCert,
) -> Option<CacheKey> {
    match (
        requested.serial,
        requested.cert_id.hash_algorithm.parameters.as_ref(),
    ) {
        (Some(serial), None) => Some((kind, generation, serial, requested.hash, false)),
        (Some(serial), Some(p))
            if der::Tagged::tag(p) == der::Tag::Null && p.value().is_empty() =>
        {
            Some((kind, generation, serial, requested.hash, true))
        }
        _ => None,
    }
}

/// What a cached answer is valid for: the published version of the OCSP data.
pub(super) use crate::authority::PublishedVersion as CacheVersion;

/// The cached responses of both CAs, valid for one version of the published state.
#[derive(Debug, Default)]
pub(super) struct ResponseCache {
    revision: CacheVersion,
    entries: HashMap<CacheKey, CachedResponse>,
}

impl ResponseCache {
    /// Empties the cache when the published state moved to another version.
    pub(super) fn follow(&mut self, revision: CacheVersion) {
        if self.revision != revision {
            self.entries.clear();
            self.revision = revision;
        }
    }

    /// A cached answer still in its first half-life at `now`.
    pub(super) fn fresh(&self, key: &CacheKey, now: OffsetDateTime) -> Option<&CachedResponse> {
        self.entries.get(key).filter(|cached| {
            let half_life = (cached.next_update - cached.this_update) / 2;
            now >= cached.this_update && now < cached.this_update + half_life
        })
    }

    /// Keeps an answer signed for `revision`, unless the state has moved on since.
    pub(super) fn keep(&mut self, revision: CacheVersion, key: CacheKey, cached: CachedResponse) {
        if self.revision != revision {
            return;
        }
        if self.entries.len() >= MAX_CACHED {
            self.entries.clear();
        }
        self.entries.insert(key, cached);
    }
}
