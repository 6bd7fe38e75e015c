//! Publication routes: CA certificates and CRLs. The CRL is rebuilt only when the state
//! changed (any process) or its nextUpdate is near, and otherwise served from memory.

use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use time::OffsetDateTime;

use super::error::plain;
use super::{http_date, AppState};
use crate::authority::{CrlFaults, PublishedCrl};
use crate::error::Result;
use crate::faults::{FaultFamily, FaultKind};
use crate::rules::CertKind;

/// A CRL kept in memory with what decides when to rebuild it.
#[derive(Clone, Debug)]
pub struct CachedCrl {
    revision: u64,
    der: bytes::Bytes,
    etag: String,
    this_update: OffsetDateTime,
    next_update: OffsetDateTime,
}

impl CachedCrl {
    /// Keeps a freshly signed CRL, built at state `revision`.
    fn new(crl: PublishedCrl, revision: u64) -> Self {
        CachedCrl {
            revision,
            etag: crate::pki::fingerprint(&crl.der),
            der: crl.der.into(),
            this_update: crl.this_update,
            next_update: crl.next_update,
        }
    }
}

fn kind_of_file(file: &str, suffix: &str) -> Option<CertKind> {
    match file.strip_suffix(suffix)? {
        "sign" => Some(CertKind::Sign),
        "auth" => Some(CertKind::Auth),
        _ => None,
    }
}

impl CachedCrl {
    /// The signed CRL, DER.
    pub fn der(&self) -> &[u8] {
        &self.der
    }
}

/// `GET /ca/{sign,auth}.{cer,pem}`.
pub async fn ca_certificate(State(state): State<AppState>, Path(file): Path<String>) -> Response {
    let (kind, as_pem) = if let Some(kind) = kind_of_file(&file, ".cer") {
        (kind, false)
    } else if let Some(kind) = kind_of_file(&file, ".pem") {
        (kind, true)
    } else {
        return plain(
            StatusCode::NOT_FOUND,
            "no such CA certificate: try /ca/sign.cer or /ca/auth.cer",
        );
    };
    let der = state.ca_der(kind);
    if as_pem {
        (
            [(header::CONTENT_TYPE, "application/x-pem-file")],
            crate::pki::pem_encode("CERTIFICATE", &der),
        )
            .into_response()
    } else {
        ([(header::CONTENT_TYPE, "application/pkix-cert")], der).into_response()
    }
}

/// `GET /crl/{sign,auth}.crl`.
pub async fn crl(state: State<AppState>, file: Path<String>, headers: HeaderMap) -> Response {
    serve_list(state, file, headers, RevocationList::Crl).await
}

/// `GET /crl/index.json`: every distribution point a certificate names, and the URL of
/// its CRL.
pub async fn crl_index(State(state): State<AppState>) -> Response {
    match state.blocking(|s| s.authority.crl_index()).await {
        Ok(index) => axum::Json(index).into_response(),
        Err(e) => e.into_response(),
    }
}

/// `GET /arl/{sign,auth}.crl`: the ARL a CA certificate's CRL distribution point names.
pub async fn arl(state: State<AppState>, file: Path<String>, headers: HeaderMap) -> Response {
    serve_list(state, file, headers, RevocationList::Arl).await
}

async fn serve_list(
    State(state): State<AppState>,
    Path(file): Path<String>,
    headers: HeaderMap,
    list: RevocationList,
) -> Response {
    let Some(kind) = kind_of_file(&file, ".crl") else {
        let (what, dir) = match list {
            RevocationList::Crl => ("CRL", "crl"),
            RevocationList::Arl => ("ARL", "arl"),
        };
        return plain(
            StatusCode::NOT_FOUND,
            &format!("no such {what}: try /{dir}/sign.crl or /{dir}/auth.crl"),
        );
    };
    let built = state
        .blocking(move |s| {
            let cached = match list {
                RevocationList::Crl => crl_to_serve(s, kind)?,
                RevocationList::Arl => current_list(s, kind, list)?,
            };
            Ok((cached, s.now()))
        })
        .await;
    match built {
        Ok((cached, now)) => list_response(cached, now, &headers),
        Err(e) => e.into_response(),
    }
}

/// A CRL or ARL with its cache headers, or 304 when the client has it.
fn list_response(cached: CachedCrl, now: OffsetDateTime, headers: &HeaderMap) -> Response {
    let max_age = (cached.next_update - now).whole_seconds().max(0);
    let mut response_headers = HeaderMap::new();
    let etag = HeaderValue::from_str(&cached.etag).expect("hex ETag is a valid header");
    response_headers.insert(header::ETAG, etag);
    response_headers.insert(
        header::LAST_MODIFIED,
        HeaderValue::from_str(&http_date(cached.this_update)).expect("HTTP date is ASCII"),
    );
    response_headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_str(&format!("max-age={max_age}")).expect("ASCII"),
    );
    if super::not_modified(headers, &cached.etag) {
        return (StatusCode::NOT_MODIFIED, response_headers).into_response();
    }
    response_headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/pkix-crl"),
    );
    (response_headers, cached.der).into_response()
}

/// The CRL to serve: spoiled afresh when a CRL fault applies, else the current one.
fn crl_to_serve(shared: &mut super::Shared, kind: CertKind) -> Result<CachedCrl> {
    let faults = shared.faults.take(FaultFamily::Crl, Some(kind), &[]);
    if faults.is_empty() {
        return current_list(shared, kind, RevocationList::Crl);
    }
    let mut spoil = CrlFaults::default();
    for fault in &faults {
        match fault {
            FaultKind::CrlExpired => spoil.expired = true,
            FaultKind::CrlBadSignature => spoil.bad_signature = true,
            FaultKind::CrlWrongIdp => spoil.wrong_idp = true,
            FaultKind::CrlMissingReason => spoil.missing_reason = true,
            _ => {}
        }
    }
    shared.authority.sync()?;
    // A spoiled CRL is never cached: the revision no state has.
    Ok(CachedCrl::new(
        shared.authority.crl_with_faults(kind, spoil)?,
        u64::MAX,
    ))
}

/// Which list a CA publishes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum RevocationList {
    /// The CRL of end-entity certificates.
    Crl,
    /// The ARL of CA certificates.
    Arl,
}

/// The list to serve now: the cached one unless the state changed, the clock moved
/// before its thisUpdate, or less than a tenth of its validity is left.
pub(crate) fn current_list(
    shared: &mut super::Shared,
    kind: CertKind,
    list: RevocationList,
) -> Result<CachedCrl> {
    shared.authority.sync()?;
    let revision = shared.authority.seen_revision();
    let now = shared.now();
    let slots = match list {
        RevocationList::Crl => &shared.crls,
        RevocationList::Arl => &shared.arls,
    };
    if let Some(cached) = &slots[kind as usize] {
        let margin = (cached.next_update - cached.this_update) / 10;
        if cached.revision == revision
            && now >= cached.this_update
            && now < cached.next_update - margin
        {
            return Ok(cached.clone());
        }
    }
    let built = match list {
        RevocationList::Crl => shared.authority.crl(kind)?,
        RevocationList::Arl => shared.authority.arl(kind)?,
    };
    let cached = CachedCrl::new(built, revision);
    let slots = match list {
        RevocationList::Crl => &mut shared.crls,
        RevocationList::Arl => &mut shared.arls,
    };
    slots[kind as usize] = Some(cached.clone());
    Ok(cached)
}
