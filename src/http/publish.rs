//! Publication routes: CA certificates, CRLs and ARLs of every CA generation. A list
//! is rebuilt only when the state changed (any process), a publication boundary passed,
//! or its nextUpdate is near, and otherwise served from memory.

use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use time::OffsetDateTime;

use super::error::plain;
use super::{http_date, AppState};
use crate::authority::{CrlFaults, CrlScope, PublishedCrl, PublishedData, PublishedVersion};
use crate::error::{Error, Result};
use crate::faults::{FaultFamily, FaultKind};
use crate::rules::locality::Locality;
use crate::rules::CertKind;

/// A CRL kept in memory with what decides when to rebuild it.
#[derive(Clone, Debug)]
pub struct CachedCrl {
    version: PublishedVersion,
    der: bytes::Bytes,
    etag: String,
    this_update: OffsetDateTime,
    next_update: OffsetDateTime,
}

impl CachedCrl {
    /// Keeps a freshly signed list, built at `version`.
    fn new(crl: PublishedCrl, version: PublishedVersion) -> Self {
        CachedCrl {
            version,
            etag: crate::pki::fingerprint(&crl.der),
            der: crl.der.into(),
            this_update: crl.this_update,
            next_update: crl.next_update,
        }
    }

    /// The signed list, DER.
    pub fn der(&self) -> &[u8] {
        &self.der
    }

    /// Its thisUpdate and nextUpdate.
    pub fn times(&self) -> (OffsetDateTime, OffsetDateTime) {
        (self.this_update, self.next_update)
    }
}

fn kind_named(name: &str) -> Option<CertKind> {
    match name {
        "sign" => Some(CertKind::Sign),
        "auth" => Some(CertKind::Auth),
        _ => None,
    }
}

fn kind_of_file(file: &str, suffix: &str) -> Option<CertKind> {
    kind_named(file.strip_suffix(suffix)?)
}

/// A generation number from `N<suffix>`.
fn generation_of_file(file: &str, suffix: &str) -> Option<u32> {
    file.strip_suffix(suffix)?.parse().ok().filter(|&n| n >= 1)
}

/// The CA and generation of `/{crl,arl}/{kind}/{N}.crl`.
fn generation_list(kind: &str, file: &str) -> Option<(CertKind, u32)> {
    Some((kind_named(kind)?, generation_of_file(file, ".crl")?))
}

fn not_found(message: &str) -> Response {
    plain(StatusCode::NOT_FOUND, message)
}

/// `GET /ca/{sign,auth}.{cer,pem}`: the current generation.
pub async fn ca_certificate(state: State<AppState>, Path(file): Path<String>) -> Response {
    let (kind, as_pem) = if let Some(kind) = kind_of_file(&file, ".cer") {
        (kind, false)
    } else if let Some(kind) = kind_of_file(&file, ".pem") {
        (kind, true)
    } else {
        return not_found("no such CA certificate: try /ca/sign.cer or /ca/auth.cer");
    };
    serve_ca_certificate(state, kind, None, as_pem).await
}

/// `GET /ca/{sign,auth}/{N}.{cer,pem}`: one generation.
pub async fn ca_generation(
    state: State<AppState>,
    Path((kind, file)): Path<(String, String)>,
) -> Response {
    let kind = kind_named(&kind);
    let cer = generation_of_file(&file, ".cer").map(|n| (n, false));
    let pem = generation_of_file(&file, ".pem").map(|n| (n, true));
    let (Some(kind), Some((generation, as_pem))) = (kind, cer.or(pem)) else {
        return not_found("no such CA certificate: try /ca/sign/1.cer or /ca/auth/1.pem");
    };
    serve_ca_certificate(state, kind, Some(generation), as_pem).await
}

async fn serve_ca_certificate(
    State(state): State<AppState>,
    kind: CertKind,
    generation: Option<u32>,
    as_pem: bool,
) -> Response {
    let der = match state.blocking(move |s| s.ca_der(kind, generation)).await {
        Ok(der) => der,
        Err(e) => return e.into_response(),
    };
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

/// `GET /crl/{sign,auth}.crl`: generation 1's whole CRL (the URL its certificates
/// carry).
pub async fn crl(state: State<AppState>, Path(file): Path<String>, headers: HeaderMap) -> Response {
    let Some(kind) = kind_of_file(&file, ".crl") else {
        return not_found("no such CRL: try /crl/sign.crl or /crl/auth.crl");
    };
    serve_list(state, headers, List::Crl(CrlScope::whole(kind, 1))).await
}

/// `GET /crl/{sign,auth}/{N}.crl`: generation N's whole CRL.
pub async fn crl_generation(
    state: State<AppState>,
    Path((kind, file)): Path<(String, String)>,
    headers: HeaderMap,
) -> Response {
    let Some((kind, generation)) = generation_list(&kind, &file) else {
        return not_found("no such CRL: try /crl/sign/1.crl or /crl/auth/1.crl");
    };
    serve_list(state, headers, List::Crl(CrlScope::whole(kind, generation))).await
}

/// `GET /crl/{sign,auth}/{N}/{Pref}/{Muni}.crl`: one distribution point's partition.
pub async fn crl_partition(
    state: State<AppState>,
    Path((kind, generation, prefecture, file)): Path<(String, String, String, String)>,
    headers: HeaderMap,
) -> Response {
    let kind = kind_named(&kind);
    let generation = generation.parse::<u32>().ok().filter(|&n| n >= 1);
    let municipality = file.strip_suffix(".crl");
    let (Some(kind), Some(generation), Some(municipality)) = (kind, generation, municipality)
    else {
        return not_found(
            "no such CRL partition: try /crl/sign/1/Tokyo-to/Shinagawa-ku.crl; GET \
             /crl/index.json lists them",
        );
    };
    let scope = CrlScope {
        kind,
        generation,
        partition: Some(Locality {
            prefecture,
            municipality: municipality.to_string(),
        }),
    };
    serve_list(state, headers, List::Crl(scope)).await
}

/// `GET /crl/index.json`: every distribution point a certificate names, and the URL of
/// its CRL.
pub async fn crl_index(State(state): State<AppState>) -> Response {
    match state
        .blocking(|s| {
            s.authority.sync()?;
            s.authority.crl_index()
        })
        .await
    {
        Ok(index) => super::json::JsonReply(index).into_response(),
        Err(e) => e.into_response(),
    }
}

/// `GET /arl/{sign,auth}.crl`: the current generation's ARL.
pub async fn arl(state: State<AppState>, Path(file): Path<String>, headers: HeaderMap) -> Response {
    let Some(kind) = kind_of_file(&file, ".crl") else {
        return not_found("no such ARL: try /arl/sign.crl or /arl/auth.crl");
    };
    serve_list(state, headers, List::Arl(kind, None)).await
}

/// `GET /arl/{sign,auth}/{N}.crl`: the ARL generation N's CA certificate names.
pub async fn arl_generation(
    state: State<AppState>,
    Path((kind, file)): Path<(String, String)>,
    headers: HeaderMap,
) -> Response {
    let Some((kind, generation)) = generation_list(&kind, &file) else {
        return not_found("no such ARL: try /arl/sign/1.crl or /arl/auth/1.crl");
    };
    serve_list(state, headers, List::Arl(kind, Some(generation))).await
}

/// A list a CA publishes.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) enum List {
    /// A CRL of end-entity certificates (whole or a partition).
    Crl(CrlScope),
    /// The ARL of a generation (`None`: the current one).
    Arl(CertKind, Option<u32>),
}

async fn serve_list(State(state): State<AppState>, headers: HeaderMap, list: List) -> Response {
    let built = state
        .blocking(move |s| {
            let cached = match &list {
                List::Crl(scope) => crl_to_serve(s, scope)?,
                List::Arl(..) => current_list(s, &list)?,
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
fn crl_to_serve(shared: &mut super::Shared, scope: &CrlScope) -> Result<CachedCrl> {
    let faults = shared.faults.take(FaultFamily::Crl, Some(scope.kind), &[]);
    if faults.is_empty() {
        return current_list(shared, &List::Crl(scope.clone()));
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
        shared.authority.crl_with_faults(scope, spoil)?,
        (u64::MAX, None),
    ))
}

/// The list to serve now: the cached one unless the state changed, a publication
/// boundary passed, the clock moved before its thisUpdate, or less than a tenth of its
/// validity is left.
pub(crate) fn current_list(shared: &mut super::Shared, list: &List) -> Result<CachedCrl> {
    let version = shared.authority.published_version(PublishedData::Crl)?;
    let now = shared.now();
    let list = match list {
        List::Arl(kind, None) => List::Arl(*kind, Some(shared.authority.ca(*kind).number)),
        other => other.clone(),
    };
    if let Some(cached) = shared.lists.get(&list) {
        let margin = (cached.next_update - cached.this_update) / 10;
        if cached.version == version
            && now >= cached.this_update
            && now < cached.next_update - margin
        {
            return Ok(cached.clone());
        }
    }
    let built = match &list {
        List::Crl(scope) => shared.authority.crl(scope)?,
        List::Arl(kind, generation) => {
            let generation = generation.ok_or_else(|| Error::Internal("resolved above".into()))?;
            shared.authority.arl(*kind, generation)?
        }
    };
    let cached = CachedCrl::new(built, version);
    if shared.lists.len() >= MAX_CACHED_LISTS {
        shared.lists.clear();
    }
    shared.lists.insert(list, cached.clone());
    Ok(cached)
}

/// Most lists kept (a municipality layout has one per distribution point).
const MAX_CACHED_LISTS: usize = 4096;
