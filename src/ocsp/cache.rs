//! The response cache: one signed answer per (CA generation, serial, CertID hash) for
//! requests without a nonce, emptied whenever the state changes (any process) or a
//! publication boundary passes, and refreshed at half its validity. Hits take no lock
//! and run no query: the change counter tells whether the snapshot is still current
//! (on PostgreSQL, whose counter is polled, a hit runs the one query that reads the
//! stored revision, so that other replicas' changes count at once).

use std::sync::Arc;
use std::time::{Duration, Instant};

use arc_swap::ArcSwapOption;
use bytes::Bytes;
use dashmap::DashMap;
use time::OffsetDateTime;

use crate::authority::{Authority, PublishedData};
use crate::clock::Clock;
use crate::error::Result;
use crate::pki::ocsp::{CertIdHash, RequestedCert};
use crate::rules::{CertKind, Serial};
use crate::store::ChangeCounter;

/// Most cached responses kept before the cache is emptied: about 70 MB of answers of
/// about 1.3 kB (the responder certificate rides in each).
const MAX_CACHED: usize = 50_000;

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

/// How long the lock-free path trusts the change counter alone before the next request
/// compares the stored revision (a writer that died between commit and bump).
const RECHECK: Duration = Duration::from_secs(1);

/// The cached responses of both CAs, readable without the state lock: an immutable
/// snapshot of what a lookup needs, swapped whenever the published state moves on,
/// around a concurrent map of the answers signed for that version.
#[derive(Debug)]
pub(super) struct ResponseCache {
    changes: ChangeCounter,
    snapshot: ArcSwapOption<Snapshot>,
}

/// The answers signed for one published version: by cache key, and the cache key of
/// each request seen, by its DER, so that a request seen before is answered without
/// being decoded again.
#[derive(Debug, Default)]
struct Answers {
    by_key: DashMap<CacheKey, CachedResponse>,
    by_request: DashMap<Box<[u8]>, CacheKey>,
}

/// Longest request DER remembered (a single-CertID request is about 100 bytes).
const MAX_REMEMBERED_REQUEST: usize = 1024;

/// One published version, as the lock-free path sees it.
#[derive(Debug)]
struct Snapshot {
    /// The change counter read before the version was.
    stamp: u64,
    /// When the version was last compared with the state.
    checked: Instant,
    version: CacheVersion,
    clock: Clock,
    /// The next publication boundary: the version changes there.
    fresh_until: Option<OffsetDateTime>,
    answers: Arc<Answers>,
}

impl ResponseCache {
    pub(super) fn new(changes: ChangeCounter) -> Self {
        Self {
            changes,
            snapshot: ArcSwapOption::empty(),
        }
    }

    /// Lock-free: the cache key and a fresh cached answer for a request seen before
    /// (byte for byte), if nothing changed since the snapshot (`None`: ask the
    /// authority).
    pub(super) fn hit(&self, request_der: &[u8]) -> Option<(CacheKey, CachedResponse)> {
        let guard = self.snapshot.load();
        let snapshot = guard.as_deref()?;
        let now = snapshot.current_at(self.changes.load().ok()?)?;
        let key = *snapshot.answers.by_request.get(request_der)?;
        let cached = snapshot.answers.by_key.get(&key)?;
        is_fresh(&cached, now).then(|| (key, cached.clone()))
    }

    /// The clock's now as of the snapshot (no lock).
    pub(super) fn now(&self) -> Option<OffsetDateTime> {
        self.snapshot.load().as_deref().map(|s| s.clock.now())
    }

    /// Under the state lock: catches up with the state and swaps the snapshot if the
    /// published version moved (keeping the answers if it did not). Returns the version.
    pub(super) fn follow(&self, authority: &mut Authority) -> Result<CacheVersion> {
        // Read before the state: a change committed after this read bumps past it.
        let stamp = self.changes.load()?;
        let current = self.snapshot.load_full();
        // Nothing changed since the snapshot: the authority is in step with the state
        // (every change in this process bumps the counter too), no query needed.
        if let Some(s) = current.as_deref().filter(|s| s.current_at(stamp).is_some()) {
            return Ok(s.version);
        }
        let version = authority.published_version(PublishedData::Ocsp)?;
        let answers = match current.as_deref() {
            Some(s) if s.version == version => s.answers.clone(),
            _ => Arc::default(),
        };
        self.snapshot.store(Some(Arc::new(Snapshot {
            stamp,
            checked: Instant::now(),
            version,
            clock: authority.clock_in_force(),
            fresh_until: authority.next_publication(PublishedData::Ocsp),
            answers,
        })));
        Ok(version)
    }

    /// A cached answer still in its first half-life at `now`.
    pub(super) fn fresh(&self, key: &CacheKey, now: OffsetDateTime) -> Option<CachedResponse> {
        let guard = self.snapshot.load();
        let cached = guard.as_deref()?.answers.by_key.get(key)?;
        is_fresh(&cached, now).then(|| cached.clone())
    }

    /// The answers of `version`, unless the state has moved on since.
    fn answers_of(&self, version: CacheVersion) -> Option<Arc<Answers>> {
        let guard = self.snapshot.load();
        guard
            .as_deref()
            .filter(|s| s.version == version)
            .map(|s| s.answers.clone())
    }

    /// Remembers which cache key a request's DER asks for.
    pub(super) fn remember(&self, version: CacheVersion, request_der: &[u8], key: CacheKey) {
        let Some(answers) = self.answers_of(version) else {
            return;
        };
        if request_der.len() <= MAX_REMEMBERED_REQUEST && answers.by_request.len() < MAX_CACHED {
            answers.by_request.insert(request_der.into(), key);
        }
    }

    /// Keeps an answer signed for `version`, unless the state has moved on since.
    pub(super) fn keep(&self, version: CacheVersion, key: CacheKey, cached: CachedResponse) {
        let Some(answers) = self.answers_of(version) else {
            return;
        };
        if answers.by_key.len() >= MAX_CACHED {
            answers.by_key.clear();
            answers.by_request.clear();
        }
        answers.by_key.insert(key, cached);
    }
}

impl Snapshot {
    /// The clock's now, if the snapshot still describes the state: the change counter
    /// still reads `stamp`, the stored revision was compared less than [`RECHECK`] ago,
    /// and no publication boundary has passed.
    fn current_at(&self, stamp: u64) -> Option<OffsetDateTime> {
        if self.stamp != stamp || self.checked.elapsed() >= RECHECK {
            return None;
        }
        let now = self.clock.now();
        self.fresh_until
            .is_none_or(|until| now < until)
            .then_some(now)
    }
}

fn is_fresh(cached: &CachedResponse, now: OffsetDateTime) -> bool {
    let half_life = (cached.next_update - cached.this_update) / 2;
    now >= cached.this_update && now < cached.this_update + half_life
}
