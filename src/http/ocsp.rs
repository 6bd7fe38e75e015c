//! OCSP over HTTP (RFC 6960 appendix A, RFC 5019): POST and GET, per CA and shared.
//! The responder itself is `crate::ocsp`; this file decodes the transport, asks the
//! lock-free cache, else holds the state lock around the responder's decisions, and
//! writes the RFC 5019 headers.

use axum::body::Bytes;
use axum::extract::{OriginalUri, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use x509_ocsp::OcspResponseStatus;

use super::error::plain;
use super::{http_date, AppState};
use crate::ocsp::{self, Answered, Endpoint};
use crate::rules::CertKind;

/// Largest accepted POST body (larger: 413, from the body-limit layer).
pub const MAX_REQUEST_BYTES: usize = 64 * 1024;
/// Longest accepted GET path (a request of a few CertIDs, base64 and escaped, fits).
pub const MAX_GET_PATH: usize = 8 * 1024;

fn respond(answered: Answered) -> Response {
    let mut response = (
        [(header::CONTENT_TYPE, "application/ocsp-response")],
        answered.der,
    )
        .into_response();
    response.extensions_mut().insert(answered.outcome);
    response
}

fn endpoint_of(path: &str) -> Option<Endpoint> {
    match path {
        "/ocsp" | "/ocsp/" => Some(Endpoint::Shared),
        "/ocsp/sign" => Some(Endpoint::Only(CertKind::Sign)),
        "/ocsp/auth" => Some(Endpoint::Only(CertKind::Auth)),
        _ => None,
    }
}

/// The POST routes (each path is its own route).
pub const POST_ROUTES: [&str; 3] = ["/ocsp", "/ocsp/sign", "/ocsp/auth"];
/// The GET route: a wildcard, because base64 contains `/`.
pub const GET_ROUTE: &str = "/ocsp/{*request}";

/// `POST /ocsp`, `/ocsp/sign`, `/ocsp/auth`.
pub async fn post(
    State(state): State<AppState>,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    post_response(&state, uri.path(), &headers, &body)
}

/// The answer to an OCSP POST (the route's handler and the lane share it).
pub(super) fn post_response(
    state: &AppState,
    path: &str,
    headers: &HeaderMap,
    body: &[u8],
) -> Response {
    let Some(endpoint) = endpoint_of(path) else {
        return plain(StatusCode::NOT_FOUND, "no such OCSP endpoint");
    };
    if super::media_type(headers).as_deref() != Some("application/ocsp-request") {
        return plain(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "an OCSP request must be sent as Content-Type: application/ocsp-request",
        );
    }
    respond(answer(state, endpoint, body))
}

/// `GET /ocsp/{base64}`, `/ocsp/sign/{base64}`, `/ocsp/auth/{base64}`: the base64 may
/// arrive raw or percent-escaped; `+` is never a space and `//` is kept.
pub async fn get(
    State(state): State<AppState>,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
) -> Response {
    get_response(&state, uri.path(), &headers)
}

/// The answer to an OCSP GET (the route's handler and the lane share it).
pub(super) fn get_response(state: &AppState, path: &str, headers: &HeaderMap) -> Response {
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
        return respond(Answered::error(OcspResponseStatus::MalformedRequest));
    };
    let Some(der) = decode_base64(&decoded) else {
        return respond(Answered::error(OcspResponseStatus::MalformedRequest));
    };
    let answered = answer(state, endpoint, &der);
    let Some(cached) = answered.cached.clone() else {
        return respond(answered);
    };
    let now = state.responder().now().unwrap_or(cached.this_update);
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
    let mut response = if super::not_modified(headers, &cached.etag) {
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

/// Answers one DER request: from the cache without any lock when it can, else the
/// responder decides under the state lock and signs outside it.
fn answer(state: &AppState, endpoint: Endpoint, der: &[u8]) -> Answered {
    let responder = state.responder();
    if let Some(hit) = responder.answer_cached(endpoint, der) {
        return hit;
    }
    let request = match ocsp::parse(der) {
        Ok(request) => request,
        Err(status) => return Answered::error(status),
    };
    let plan = match state.lock() {
        Ok(mut guard) => {
            let shared = &mut *guard;
            responder.plan(
                &mut shared.authority,
                &mut shared.faults,
                endpoint,
                (der, &request),
            )
        }
        Err(_) => return Answered::error(OcspResponseStatus::InternalError),
    };
    let (answered, keep) = plan.sign();
    if let Some(keep) = keep {
        responder.keep(keep);
    }
    answered
}
