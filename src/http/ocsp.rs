//! OCSP over HTTP (RFC 6960 appendix A, RFC 5019): POST and GET, per CA and shared.
//! A response to a request without a nonce is cached per (CA, serial, hash) and
//! re-signed only when the state changes or the response ages.

use std::collections::HashMap;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{OriginalUri, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use time::OffsetDateTime;
use x509_ocsp::OcspResponseStatus;

use super::error::plain;
use super::observe::{LoggedCertId, OcspOutcome};
use super::{http_date, AppState, Shared};
use crate::authority::FaultyResponder;
use crate::config::ResponderIdKind;
use crate::error::Result;
use crate::faults::{FaultFamily, FaultKind, OcspErrorStatus};
use crate::issuer::Issuer;
use crate::pki::cert::Serial;
use crate::pki::ocsp::{
    error_response, parse_request, CertIdHash, OcspStatus, ParsedRequest, SingleAnswer,
};
use crate::pki::oids;
use crate::rules::CertKind;

/// Largest accepted POST body (larger: 413, from the body-limit layer).
pub const MAX_REQUEST_BYTES: usize = 64 * 1024;
/// Longest accepted GET path (a request of a few CertIDs, base64 and escaped, fits).
pub const MAX_GET_PATH: usize = 8 * 1024;
/// Most cached responses kept before the cache is emptied.
const MAX_CACHED: usize = 100_000;

/// A signed response kept for reuse.
#[derive(Clone, Debug)]
pub struct CachedResponse {
    der: Bytes,
    this_update: OffsetDateTime,
    next_update: OffsetDateTime,
    etag: String,
    status: &'static str,
}

/// What a cached response answers: the CA, the serial, the CertID hash, and whether
/// the CertID's hash AlgorithmIdentifier carried (NULL) parameters — the only other
/// way two CertIDs naming the same certificate of our CA can differ, and the response
/// echoes the CertID exactly.
type CacheKey = (CertKind, Serial, CertIdHash, bool);

/// The response cache of both CAs, emptied whenever the state changes.
#[derive(Debug, Default)]
pub struct ResponseCache {
    revision: u64,
    entries: HashMap<CacheKey, CachedResponse>,
}

/// Which endpoint a request came to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Endpoint {
    Only(CertKind),
    Shared,
}

/// An answered request: the OCSPResponse, its cache entry when cacheable, and what it
/// said (for the log and metrics).
struct Answered {
    der: Bytes,
    cached: Option<CachedResponse>,
    outcome: OcspOutcome,
}

impl Answered {
    fn error(status: OcspResponseStatus) -> Self {
        Answered {
            der: Bytes::from(error_response(status)),
            cached: None,
            outcome: OcspOutcome {
                response_status: status_name(status),
                ..OcspOutcome::default()
            },
        }
    }

    fn into_response(self) -> Response {
        let mut response = (
            [(header::CONTENT_TYPE, "application/ocsp-response")],
            self.der,
        )
            .into_response();
        response.extensions_mut().insert(self.outcome);
        response
    }
}

fn status_name(status: OcspResponseStatus) -> &'static str {
    match status {
        OcspResponseStatus::Successful => "successful",
        OcspResponseStatus::MalformedRequest => "malformedRequest",
        OcspResponseStatus::InternalError => "internalError",
        OcspResponseStatus::TryLater => "tryLater",
        OcspResponseStatus::SigRequired => "sigRequired",
        OcspResponseStatus::Unauthorized => "unauthorized",
    }
}

fn cert_status_name(status: &OcspStatus) -> &'static str {
    match status {
        OcspStatus::Good => "good",
        OcspStatus::Revoked { .. } => "revoked",
        OcspStatus::Unknown => "unknown",
    }
}

fn endpoint_of(path: &str) -> Option<Endpoint> {
    match path {
        "/ocsp" | "/ocsp/" => Some(Endpoint::Shared),
        "/ocsp/sign" => Some(Endpoint::Only(CertKind::Sign)),
        "/ocsp/auth" => Some(Endpoint::Only(CertKind::Auth)),
        _ => None,
    }
}

/// `POST /ocsp`, `/ocsp/sign`, `/ocsp/auth`.
pub async fn post(
    State(state): State<AppState>,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let Some(endpoint) = endpoint_of(uri.path()) else {
        return plain(StatusCode::NOT_FOUND, "no such OCSP endpoint");
    };
    if super::media_type(&headers).as_deref() != Some("application/ocsp-request") {
        return plain(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "an OCSP request must be sent as Content-Type: application/ocsp-request",
        );
    }
    answer(&state, endpoint, &body).await.into_response()
}

/// `GET /ocsp/{base64}`, `/ocsp/sign/{base64}`, `/ocsp/auth/{base64}`: the base64 may
/// arrive raw or percent-escaped; `+` is never a space and `//` is kept.
pub async fn get(
    State(state): State<AppState>,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
) -> Response {
    let path = uri.path();
    if path.len() > MAX_GET_PATH {
        return plain(StatusCode::URI_TOO_LONG, "OCSP GET path too long");
    }
    let rest = path.strip_prefix("/ocsp/").unwrap_or("");
    let (endpoint, encoded) = if let Some(r) = rest.strip_prefix("sign/") {
        (Endpoint::Only(CertKind::Sign), r)
    } else if let Some(r) = rest.strip_prefix("auth/") {
        (Endpoint::Only(CertKind::Auth), r)
    } else {
        (Endpoint::Shared, rest)
    };
    let Ok(decoded) = percent_encoding::percent_decode_str(encoded).decode_utf8() else {
        return Answered::error(OcspResponseStatus::MalformedRequest).into_response();
    };
    let Some(der) = decode_base64(&decoded) else {
        return Answered::error(OcspResponseStatus::MalformedRequest).into_response();
    };
    let answered = answer(&state, endpoint, &der).await;
    let Some(cached) = answered.cached.clone() else {
        return answered.into_response();
    };
    let now = match state.lock() {
        Ok(shared) => shared.now(),
        Err(_) => return Answered::error(OcspResponseStatus::InternalError).into_response(),
    };
    let max_age = (cached.next_update - now.max(cached.this_update))
        .whole_seconds()
        .max(0);
    let mut response_headers = HeaderMap::new();
    let value = |text: String| HeaderValue::from_str(&text).expect("ASCII header value");
    response_headers.insert(
        header::CACHE_CONTROL,
        value(format!(
            "max-age={max_age}, public, no-transform, must-revalidate"
        )),
    );
    response_headers.insert(header::LAST_MODIFIED, value(http_date(cached.this_update)));
    response_headers.insert(header::EXPIRES, value(http_date(cached.next_update)));
    response_headers.insert(header::ETAG, value(cached.etag.clone()));
    let not_modified = headers
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|tag| tag.trim() == cached.etag);
    let mut response = if not_modified {
        (StatusCode::NOT_MODIFIED, response_headers).into_response()
    } else {
        response_headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/ocsp-response"),
        );
        (response_headers, answered.der).into_response()
    };
    response.extensions_mut().insert(answered.outcome);
    response
}

fn decode_base64(text: &str) -> Option<Vec<u8>> {
    use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};
    let text = text.trim();
    [STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD]
        .iter()
        .find_map(|engine| engine.decode(text).ok())
}

/// What the locked part of a request decided.
enum Plan {
    /// A finished response (error, or a cache hit).
    Done(Answered),
    /// Sign this.
    Sign {
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
        revision: u64,
    },
}

/// Answers one DER request: the OCSPResponse, with its cache entry when the response
/// is cacheable (no nonce, one CertID).
async fn answer(state: &AppState, endpoint: Endpoint, der: &[u8]) -> Answered {
    let request = match parse_request(der) {
        Ok(r) => r,
        Err(e) => {
            tracing::debug!(error = %e, "malformed OCSP request");
            return Answered::error(OcspResponseStatus::MalformedRequest);
        }
    };
    let (plan, cert_ids) = {
        let mut shared = match state.lock() {
            Ok(guard) => guard,
            Err(_) => return Answered::error(OcspResponseStatus::InternalError),
        };
        let issuers: Vec<Option<CertKind>> = request
            .certs
            .iter()
            .map(|c| shared.authority.ca_of_cert_id(c))
            .collect();
        let cert_ids: Vec<LoggedCertId> = request
            .certs
            .iter()
            .zip(&issuers)
            .map(|(c, issuer)| LoggedCertId {
                hash_algorithm: match c.hash {
                    CertIdHash::Sha1 => "sha1",
                    CertIdHash::Sha256 => "sha256",
                },
                serial: c.serial.map(|s| s.0),
                issuer: issuer.map(CertKind::as_str),
            })
            .collect();
        (plan(&mut shared, endpoint, &request, &issuers), cert_ids)
    };
    let nonce = request.nonce.is_some();
    let mut answered = match plan {
        Ok(plan) => sign_plan(state, plan),
        Err(e) => {
            tracing::error!(error = %e, "OCSP lookup failed");
            Answered::error(OcspResponseStatus::InternalError)
        }
    };
    answered.outcome.cert_ids = cert_ids;
    answered.outcome.nonce = nonce;
    answered
}

/// Carries out a plan: a finished answer, or signing (outside the state lock).
fn sign_plan(state: &AppState, plan: Plan) -> Answered {
    match plan {
        Plan::Done(answered) => answered,
        Plan::Sign {
            signer,
            presented,
            by_key,
            produced_at,
            answers,
            extensions,
            corrupt_signature,
            cache_key,
            revision,
        } => match signer.sign_ocsp_as(
            &presented,
            by_key,
            produced_at,
            &answers,
            extensions,
            corrupt_signature,
        ) {
            Ok(der) => {
                let der = Bytes::from(der);
                let outcome = OcspOutcome {
                    response_status: "successful",
                    cert_statuses: answers
                        .iter()
                        .map(|a| cert_status_name(&a.status))
                        .collect(),
                    ..OcspOutcome::default()
                };
                let Some(key) = cache_key else {
                    return Answered {
                        der,
                        cached: None,
                        outcome,
                    };
                };
                let this_update = answers[0].this_update;
                let cached = CachedResponse {
                    etag: super::etag(&der),
                    der: der.clone(),
                    this_update,
                    next_update: answers[0].next_update.unwrap_or(this_update),
                    status: cert_status_name(&answers[0].status),
                };
                if let Ok(mut shared) = state.lock() {
                    let cache = &mut shared.ocsp;
                    if cache.revision == revision {
                        if cache.entries.len() >= MAX_CACHED {
                            cache.entries.clear();
                        }
                        cache.entries.insert(key, cached.clone());
                    }
                }
                Answered {
                    der,
                    cached: Some(cached),
                    outcome,
                }
            }
            Err(e) => {
                tracing::error!(error = %e, "OCSP signing failed");
                Answered::error(OcspResponseStatus::InternalError)
            }
        },
    }
}

/// Decides the answer under the state lock: `issuers` holds the CA each CertID names.
fn plan(
    shared: &mut Shared,
    endpoint: Endpoint,
    request: &ParsedRequest,
    issuers: &[Option<CertKind>],
) -> Result<Plan> {
    if shared.authority.sync()? {
        shared.ocsp.entries.clear();
    }
    let revision = shared.authority.seen_revision();
    shared.ocsp.revision = revision;
    let now = shared.now();

    let mut kind = None;
    for &issuer in issuers {
        let acceptable = match (issuer, endpoint) {
            (None, _) => false,
            (Some(k), Endpoint::Only(e)) => k == e,
            (Some(_), Endpoint::Shared) => true,
        };
        if !acceptable || (kind.is_some() && kind != issuer) {
            return Ok(Plan::Done(Answered::error(
                OcspResponseStatus::Unauthorized,
            )));
        }
        kind = issuer;
    }
    let kind = kind.expect("a parsed request has at least one CertID");
    let serials: Vec<u32> = request
        .certs
        .iter()
        .filter_map(|c| c.serial.map(|s| s.0))
        .collect();
    let faults = shared.faults.take(FaultFamily::Ocsp, Some(kind), &serials);

    // A faulted answer is made afresh and never cached.
    let cache_key = match (&request.nonce, request.certs.as_slice(), faults.is_empty()) {
        (None, [single], true) => match (
            single.serial,
            single.cert_id.hash_algorithm.parameters.as_ref(),
        ) {
            (Some(serial), None) => Some((kind, serial, single.hash, false)),
            (Some(serial), Some(p))
                if der::Tagged::tag(p) == der::Tag::Null && p.value().is_empty() =>
            {
                Some((kind, serial, single.hash, true))
            }
            _ => None,
        },
        _ => None,
    };
    if let Some(key) = &cache_key {
        if let Some(cached) = shared.ocsp.entries.get(key) {
            let half_life = (cached.next_update - cached.this_update) / 2;
            if now >= cached.this_update && now < cached.this_update + half_life {
                return Ok(Plan::Done(Answered {
                    der: cached.der.clone(),
                    cached: Some(cached.clone()),
                    outcome: OcspOutcome {
                        response_status: "successful",
                        cert_statuses: vec![cached.status],
                        cache_hit: true,
                        ..OcspOutcome::default()
                    },
                }));
            }
        }
    }

    let validity = shared.authority.config().ocsp.validity;
    let mut answers = Vec::with_capacity(request.certs.len());
    for requested in &request.certs {
        answers.push(SingleAnswer {
            cert_id: requested.cert_id.clone(),
            status: shared.authority.ocsp_status(kind, requested.serial)?,
            this_update: now,
            next_update: Some(now + validity),
        });
    }
    let by_key = shared.authority.config().ocsp.responder_id == ResponderIdKind::ByKey;
    let responder = shared.authority.responder(kind, now)?;
    let mut plan = Plan::Sign {
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
        if let Some(done) = apply_fault(&mut shared.authority, kind, &mut plan, fault, now)? {
            return Ok(Plan::Done(done));
        }
    }
    Ok(plan)
}

/// Spoils a plan as a fault says; returns the whole answer when the fault replaces it.
fn apply_fault(
    authority: &mut crate::authority::Authority,
    kind: CertKind,
    plan: &mut Plan,
    fault: FaultKind,
    now: OffsetDateTime,
) -> Result<Option<Answered>> {
    let Plan::Sign {
        signer,
        presented,
        answers,
        extensions,
        corrupt_signature,
        ..
    } = plan
    else {
        return Ok(None);
    };
    let validity = authority.config().ocsp.validity;
    match fault {
        FaultKind::OcspStatus { status } => {
            return Ok(Some(Answered::error(match status {
                OcspErrorStatus::MalformedRequest => OcspResponseStatus::MalformedRequest,
                OcspErrorStatus::InternalError => OcspResponseStatus::InternalError,
                OcspErrorStatus::TryLater => OcspResponseStatus::TryLater,
                OcspErrorStatus::SigRequired => OcspResponseStatus::SigRequired,
                OcspErrorStatus::Unauthorized => OcspResponseStatus::Unauthorized,
            })))
        }
        FaultKind::EmptyBody => {
            return Ok(Some(Answered {
                der: Bytes::new(),
                cached: None,
                outcome: OcspOutcome {
                    response_status: "empty",
                    ..OcspOutcome::default()
                },
            }))
        }
        FaultKind::BadSignature => *corrupt_signature = true,
        FaultKind::WrongKey => {
            *signer = authority.faulty_responder(kind, FaultyResponder::WithoutOcspSigning)?
        }
        FaultKind::ResponderWithoutOcspSigning => {
            let faulty = authority.faulty_responder(kind, FaultyResponder::WithoutOcspSigning)?;
            *signer = faulty.clone();
            *presented = faulty;
        }
        FaultKind::ExpiredResponder => {
            let faulty = authority.faulty_responder(kind, FaultyResponder::Expired)?;
            *signer = faulty.clone();
            *presented = faulty;
        }
        FaultKind::MissingNonce => extensions.retain(|e| e.extn_id != oids::OCSP_NONCE),
        FaultKind::WrongNonce => {
            extensions.retain(|e| e.extn_id != oids::OCSP_NONCE);
            extensions.push(x509_cert::ext::Extension {
                extn_id: oids::OCSP_NONCE,
                critical: false,
                extn_value: der::asn1::OctetString::new(der::Encode::to_der(
                    &der::asn1::OctetString::new(*b"not your nonce!!")?,
                )?)?,
            });
        }
        FaultKind::UnknownCriticalExtension => extensions.push(x509_cert::ext::Extension {
            extn_id: UNKNOWN_CRITICAL_EXTENSION,
            critical: true,
            extn_value: der::asn1::OctetString::new(der::Encode::to_der(&der::asn1::Null)?)?,
        }),
        kind => {
            for answer in answers.iter_mut() {
                match &kind {
                    FaultKind::Stale => {
                        answer.this_update = now - validity * 2;
                        answer.next_update = Some(now - validity);
                    }
                    FaultKind::FutureDated => {
                        answer.this_update = now + time::Duration::days(1);
                        answer.next_update = Some(answer.this_update + validity);
                    }
                    FaultKind::NoNextUpdate => answer.next_update = None,
                    FaultKind::Revoked { reason } => {
                        answer.status = OcspStatus::Revoked {
                            at: now,
                            reason: reason
                                .parse()
                                .unwrap_or(crate::rules::CrlReason::KeyCompromise),
                        }
                    }
                    FaultKind::CertIdMismatch => {
                        let mut hash = answer.cert_id.issuer_name_hash.as_bytes().to_vec();
                        if let Some(first) = hash.first_mut() {
                            *first ^= 0xff;
                        }
                        answer.cert_id.issuer_name_hash = der::asn1::OctetString::new(hash)?;
                    }
                    FaultKind::WrongSerial => {
                        let serial = Serial::from_x509(&answer.cert_id.serial_number)
                            .map_or(1, |s| s.0.wrapping_add(1));
                        answer.cert_id.serial_number = Serial(serial).to_x509()?;
                    }
                    _ => {}
                }
            }
        }
    }
    Ok(None)
}

/// A private OID nobody implements: the unknown critical extension a client must
/// refuse.
const UNKNOWN_CRITICAL_EXTENSION: der::asn1::ObjectIdentifier =
    der::asn1::ObjectIdentifier::new_unwrap("1.3.6.1.4.1.32473.1.1");
