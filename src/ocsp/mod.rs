//! The OCSP responder (RFC 6960, RFC 5019) without its transport: a request's DER in,
//! a signed answer out. Shaped like boulder's responder: the authority is the source of
//! statuses and signatures, and the response cache and the fault injection wrap that
//! source. The HTTP layer decodes GET and POST, tries [`Responder::answer_cached`]
//! (no lock), else holds the state lock around [`Responder::plan`], signs outside it,
//! hands the answer to [`Responder::keep`], and writes headers.

mod cache;
mod faults;

use std::sync::Arc;

use bytes::Bytes;
use time::OffsetDateTime;
use x509_ocsp::OcspResponseStatus;

use crate::authority::Authority;
use crate::config::ResponderIdKind;
use crate::error::{Error, Result};
use crate::faults::{FaultFamily, FaultSet, FaultsArmed};
use crate::issuer::Issuer;
use crate::pki::ocsp::{
    error_response, parse_request, CertIdHash, OcspStatus, ParsedRequest, SingleAnswer,
};
use crate::rules::{CertKind, Serial};
use crate::store::ChangeCounter;

pub use cache::CachedResponse;
use cache::{CacheKey, CacheVersion, ResponseCache};

/// Which endpoint a request came to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Endpoint {
    /// `/ocsp/sign` or `/ocsp/auth`: CertIDs of that CA only.
    Only(CertKind),
    /// `/ocsp`: either CA, chosen by the CertID.
    Shared,
}

/// One CertID of a logged request.
#[derive(Clone, Debug, serde::Serialize, utoipa::ToSchema, PartialEq, Eq)]
pub struct LoggedCertId {
    /// sha1 | sha256.
    pub hash_algorithm: &'static str,
    /// The serial, if it fits four bytes.
    pub serial: Option<u32>,
    /// sign | auth | null (not our CA).
    pub issuer: Option<&'static str>,
}

/// What the responder answered, for the request log and the metrics.
#[derive(Clone, Debug, Default)]
pub struct OcspOutcome {
    /// The request's CertIDs (empty if it did not decode).
    pub cert_ids: Vec<LoggedCertId>,
    /// Whether the request carried a nonce.
    pub nonce: bool,
    /// `successful`, `malformedRequest`, `unauthorized`, …
    pub response_status: &'static str,
    /// good / revoked / unknown per CertID (successful responses).
    pub cert_statuses: Vec<&'static str>,
    /// Whether the response came from the cache.
    pub cache_hit: bool,
}

/// An answered request: the OCSPResponse, its cache entry when cacheable (no nonce,
/// one CertID), and what it said.
#[derive(Clone, Debug)]
pub struct Answered {
    /// The OCSPResponse, DER.
    pub der: Bytes,
    /// The cache entry, when the answer is cacheable (for RFC 5019 headers).
    pub cached: Option<CachedResponse>,
    /// What it said.
    pub outcome: OcspOutcome,
}

impl Answered {
    /// A cached answer (the CertIDs asked about are the caller's to fill in).
    fn from_cache(cached: CachedResponse) -> Self {
        Answered {
            der: cached.der.clone(),
            outcome: OcspOutcome {
                response_status: "successful",
                cert_statuses: vec![cached.status],
                cache_hit: true,
                ..OcspOutcome::default()
            },
            cached: Some(cached),
        }
    }

    /// An unsuccessful OCSPResponse with this status.
    pub fn error(status: OcspResponseStatus) -> Self {
        Answered {
            der: Bytes::from(error_response(status)),
            cached: None,
            outcome: OcspOutcome {
                response_status: response_status_name(status),
                ..OcspOutcome::default()
            },
        }
    }
}

fn response_status_name(status: OcspResponseStatus) -> &'static str {
    match status {
        OcspResponseStatus::Successful => "successful",
        OcspResponseStatus::MalformedRequest => "malformedRequest",
        OcspResponseStatus::InternalError => "internalError",
        OcspResponseStatus::TryLater => "tryLater",
        OcspResponseStatus::SigRequired => "sigRequired",
        OcspResponseStatus::Unauthorized => "unauthorized",
    }
}

fn logged_cert_id(
    hash: CertIdHash,
    serial: Option<Serial>,
    issuer: Option<CertKind>,
) -> LoggedCertId {
    LoggedCertId {
        hash_algorithm: match hash {
            CertIdHash::Sha1 => "sha1",
            CertIdHash::Sha256 => "sha256",
        },
        serial: serial.map(|s| s.0),
        issuer: issuer.map(CertKind::as_str),
    }
}

fn cert_status_name(status: &OcspStatus) -> &'static str {
    match status {
        OcspStatus::Good => "good",
        OcspStatus::Revoked { .. } => "revoked",
        OcspStatus::Unknown => "unknown",
    }
}

/// Decodes a request; an undecodable one is answered with the status returned.
pub fn parse(der: &[u8]) -> std::result::Result<ParsedRequest, OcspResponseStatus> {
    parse_request(der).map_err(|e| {
        tracing::debug!(error = %e, "malformed OCSP request");
        OcspResponseStatus::MalformedRequest
    })
}

/// A response to sign, decided under the state lock and signed outside it.
pub(crate) struct Signing {
    /// Whose key signs (the responder, unless a fault says otherwise).
    signer: Arc<Issuer>,
    /// Whose certificate goes in `certs` and the responderID.
    presented: Arc<Issuer>,
    by_key: bool,
    produced_at: OffsetDateTime,
    answers: Vec<SingleAnswer>,
    extensions: Vec<x509_cert::ext::Extension>,
    corrupt_signature: bool,
    cache_key: Option<CacheKey>,
    revision: CacheVersion,
}

/// What the locked part of a request decided.
pub struct Plan {
    action: Action,
    cert_ids: Vec<LoggedCertId>,
    nonce: bool,
}

enum Action {
    /// A finished answer (an error, or a cache hit).
    Done(Answered),
    /// Sign this.
    Sign(Box<Signing>),
}

/// A signed answer the cache may keep, handed back to [`Responder::keep`].
pub struct Keep {
    revision: CacheVersion,
    key: CacheKey,
    cached: CachedResponse,
}

/// The responder's own state: the response cache, shared by every request thread.
#[derive(Debug)]
pub struct Responder {
    cache: ResponseCache,
    faults_armed: FaultsArmed,
}

impl Responder {
    /// A responder over the state whose change signal is `changes`, that leaves its
    /// cache alone while `faults_armed` says a fault is in force.
    pub fn new(changes: ChangeCounter, faults_armed: FaultsArmed) -> Self {
        Self {
            cache: ResponseCache::new(changes),
            faults_armed,
        }
    }

    /// The hot path, without the state lock or decoding: the cached answer to a
    /// request seen before byte for byte (so without a nonce and about one
    /// certificate), when no fault is in force and the state has not changed since it
    /// was signed. `None`: decode it and go through [`Responder::plan`].
    pub fn answer_cached(&self, endpoint: Endpoint, request_der: &[u8]) -> Option<Answered> {
        if self.faults_armed.get() {
            return None;
        }
        let ((kind, _, serial, hash, _), cached) = self.cache.hit(request_der)?;
        if matches!(endpoint, Endpoint::Only(only) if only != kind) {
            return None;
        }
        let mut answered = Answered::from_cache(cached);
        answered.outcome.cert_ids = vec![logged_cert_id(hash, Some(serial), Some(kind))];
        Some(answered)
    }

    /// The clock's now, without the state lock (`None` before the first request).
    pub fn now(&self) -> Option<OffsetDateTime> {
        self.cache.now()
    }

    /// Decides the answer to `request` (decoded from `request_der`) under the state
    /// lock: a cache hit, an error, or the response to sign (with the faults in force
    /// applied).
    pub fn plan(
        &self,
        authority: &mut Authority,
        faults: &mut FaultSet,
        endpoint: Endpoint,
        (request_der, request): (&[u8], &ParsedRequest),
    ) -> Plan {
        let issuers: Vec<Option<(CertKind, u32)>> = request
            .certs
            .iter()
            .map(|c| authority.ca_of_cert_id(c))
            .collect();
        let cert_ids = request
            .certs
            .iter()
            .zip(&issuers)
            .map(|(c, issuer)| logged_cert_id(c.hash, c.serial, issuer.map(|(kind, _)| kind)))
            .collect();
        let action = self
            .decide(
                authority,
                faults,
                endpoint,
                (request_der, request),
                &issuers,
            )
            .unwrap_or_else(|e| {
                tracing::error!(error = %e, "OCSP lookup failed");
                Action::Done(Answered::error(OcspResponseStatus::InternalError))
            });
        Plan {
            action,
            cert_ids,
            nonce: request.nonce.is_some(),
        }
    }

    fn decide(
        &self,
        authority: &mut Authority,
        faults: &mut FaultSet,
        endpoint: Endpoint,
        (request_der, request): (&[u8], &ParsedRequest),
        issuers: &[Option<(CertKind, u32)>],
    ) -> Result<Action> {
        let revision = self.cache.follow(authority)?;
        let now = authority.now();

        // One responder signs the answer: every CertID must name the same generation.
        let mut issuer = None;
        for &named in issuers {
            // Why not, in words: an `unauthorized` alone puzzles whoever sees it.
            let refusal = match (named, endpoint) {
                (None, _) => Some(
                    "a CertID names no CA of this state (its issuerNameHash/issuerKeyHash \
                     match no generation: a certificate from another state or CA?)"
                        .to_string(),
                ),
                (Some((k, _)), Endpoint::Only(e)) if k != e => Some(format!(
                    "a CertID of the {k} CA was sent to the {e} endpoint (/ocsp/{e})"
                )),
                _ if issuer.is_some() && issuer != named => {
                    Some("the CertIDs name two CA generations; ask each separately".into())
                }
                _ => None,
            };
            if let Some(reason) = refusal {
                tracing::warn!(%reason, "OCSP request answered unauthorized");
                return Ok(Action::Done(Answered::error(
                    OcspResponseStatus::Unauthorized,
                )));
            }
            issuer = named;
        }
        let issuer = issuer.expect("a parsed request has at least one CertID");
        let kind = issuer.0;
        let serials: Vec<u32> = request
            .certs
            .iter()
            .filter_map(|c| c.serial.map(|s| s.0))
            .collect();
        let faults = faults.take(FaultFamily::Ocsp, Some(kind), &serials);

        // A faulted answer is made afresh and never cached.
        let cache_key = match (&request.nonce, request.certs.as_slice(), faults.is_empty()) {
            (None, [single], true) => cache::key_of(issuer, single),
            _ => None,
        };
        if let Some(key) = cache_key {
            self.cache.remember(revision, request_der, key);
        }
        if let Some(cached) = cache_key.as_ref().and_then(|k| self.cache.fresh(k, now)) {
            return Ok(Action::Done(Answered::from_cache(cached)));
        }

        let answers = request
            .certs
            .iter()
            .map(|c| single_answer(authority, issuer, c.cert_id.clone(), c.serial, now))
            .collect::<Result<Vec<_>>>()?;
        let (responder, by_key) = signer(authority, issuer, now)?;
        let mut signing = Signing {
            signer: responder.clone(),
            presented: responder,
            by_key,
            produced_at: now,
            answers,
            // The nonce is echoed, always non-critical (RFC 8954).
            extensions: request
                .nonce
                .iter()
                .cloned()
                .map(|mut nonce| {
                    nonce.critical = false;
                    nonce
                })
                .collect(),
            corrupt_signature: false,
            cache_key,
            revision,
        };
        for fault in faults {
            if let Some(done) = faults::apply_fault(authority, issuer, &mut signing, fault, now)? {
                return Ok(Action::Done(done));
            }
        }
        Ok(Action::Sign(Box::new(signing)))
    }

    /// Keeps a signed answer for later requests, unless the state changed meanwhile.
    pub fn keep(&self, keep: Keep) {
        self.cache.keep(keep.revision, keep.key, keep.cached);
    }
}

impl Plan {
    /// Carries out the plan outside the state lock: signs if there is something to
    /// sign. Returns the answer, and what the cache may keep.
    pub fn sign(self) -> (Answered, Option<Keep>) {
        let (mut answered, keep) = match self.action {
            Action::Done(answered) => (answered, None),
            Action::Sign(signing) => sign(*signing),
        };
        answered.outcome.cert_ids = self.cert_ids;
        answered.outcome.nonce = self.nonce;
        (answered, keep)
    }
}

fn sign(signing: Signing) -> (Answered, Option<Keep>) {
    let Signing {
        signer,
        presented,
        by_key,
        produced_at,
        answers,
        extensions,
        corrupt_signature,
        cache_key,
        revision,
    } = signing;
    let der = match signer.sign_ocsp_as(
        &presented,
        by_key,
        produced_at,
        &answers,
        extensions,
        corrupt_signature,
    ) {
        Ok(der) => Bytes::from(der),
        Err(e) => {
            tracing::error!(error = %e, "OCSP signing failed");
            return (Answered::error(OcspResponseStatus::InternalError), None);
        }
    };
    let outcome = OcspOutcome {
        response_status: "successful",
        cert_statuses: answers
            .iter()
            .map(|a| cert_status_name(&a.status))
            .collect(),
        ..OcspOutcome::default()
    };
    let Some(key) = cache_key else {
        let answered = Answered {
            der,
            cached: None,
            outcome,
        };
        return (answered, None);
    };
    let this_update = answers[0].this_update;
    let cached = CachedResponse {
        etag: crate::pki::fingerprint(&der),
        der: der.clone(),
        this_update,
        next_update: answers[0].next_update.unwrap_or(this_update),
        status: cert_status_name(&answers[0].status),
    };
    let answered = Answered {
        der,
        cached: Some(cached.clone()),
        outcome,
    };
    let keep = Keep {
        revision,
        key,
        cached,
    };
    (answered, Some(keep))
}

/// The answer for one CertID of a CA generation at `now`.
fn single_answer(
    authority: &Authority,
    (kind, generation): (CertKind, u32),
    cert_id: x509_ocsp::CertId,
    serial: Option<Serial>,
    now: OffsetDateTime,
) -> Result<SingleAnswer> {
    Ok(SingleAnswer {
        cert_id,
        status: authority.ocsp_status(kind, generation, serial)?,
        this_update: now,
        next_update: Some(now + authority.config().ocsp.validity),
    })
}

/// The responder that signs for a CA generation at `now`, and whether it names
/// itself by key.
fn signer(
    authority: &mut Authority,
    (kind, generation): (CertKind, u32),
    now: OffsetDateTime,
) -> Result<(Arc<Issuer>, bool)> {
    let by_key = authority.config().ocsp.responder_id == ResponderIdKind::ByKey;
    Ok((authority.responder(kind, generation, now)?, by_key))
}

/// A signed response for one of our certificates (SHA-1 CertID, no nonce), as the
/// responder answers it at the clock's now: for export bundles and stapling.
pub fn single_response(authority: &mut Authority, serial: Serial) -> Result<Vec<u8>> {
    let now = authority.now();
    let issuer = authority
        .issuer_of(serial)?
        .ok_or_else(|| Error::NotFound(format!("no certificate with serial {serial}")))?;
    let cert_id = authority
        .generation(issuer.0, issuer.1)?
        .hashes
        .cert_id(CertIdHash::Sha1, serial)?;
    let answer = single_answer(authority, issuer, cert_id, Some(serial), now)?;
    let (responder, by_key) = signer(authority, issuer, now)?;
    responder.sign_ocsp(by_key, now, &[answer], vec![])
}
