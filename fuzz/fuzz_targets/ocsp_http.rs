//! OCSP over HTTP through the real router: the GET path form (RFC 6960 appendix A:
//! percent-decoding, base64 in its four alphabets, then the DER parser, signing and
//! the response cache) and POST bodies, plus arbitrary GET paths anywhere.
//!
//! Input: one selector byte, then the payload.
//!   selector & 0b11:      endpoint: 0 `/ocsp`, 1 `/ocsp/sign`, 2 `/ocsp/auth`,
//!                         3 arbitrary path (`/` + payload, GET)
//!   (selector >> 2) & 0b11 for GET: 0 payload used verbatim as the path suffix,
//!                         1 base64 (standard), 2 base64url without padding,
//!                         3 base64 then percent-escaped (`+`, `/`, `=` as %2B %2F %3D)
//!   selector & 0x10:      POST the payload (DER) instead of GET
//!
//! Checks: no panic, no 5xx; a DER request that arrives intact (base64 modes, POST)
//! gets HTTP 200 with an OCSPResponse whose status is malformedRequest exactly when
//! `parse_request` refuses it, and successful or unauthorized otherwise.
#![no_main]

use axum::http::Method;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use jpki_mock_fuzz::{call, ocsp_response_status};
use libfuzzer_sys::fuzz_target;
use percent_encoding::{utf8_percent_encode, AsciiSet, CONTROLS};

const ESCAPED: &AsciiSet = &CONTROLS.add(b'+').add(b'/').add(b'=');
const MALFORMED: u8 = 1;
const SUCCESSFUL: u8 = 0;
const UNAUTHORIZED: u8 = 6;

fuzz_target!(|data: &[u8]| {
    let Some((&selector, payload)) = data.split_first() else {
        return;
    };
    let prefix = match selector & 0b11 {
        0 => "/ocsp",
        1 => "/ocsp/sign",
        2 => "/ocsp/auth",
        _ => {
            // Any GET path at all, as the router sees it.
            if let Ok(text) = std::str::from_utf8(payload) {
                let _ = call(Method::GET, &format!("/{text}"), None, vec![]);
            }
            return;
        }
    };
    let expected = jpki_mock::internals::parse_request(payload).is_ok();
    let check = |status: u16, body: &[u8], what: &str| {
        assert_eq!(status, 200, "{what}: HTTP {status}");
        let response_status = ocsp_response_status(body)
            .unwrap_or_else(|| panic!("{what}: the body is not an OCSPResponse"));
        if expected {
            assert!(
                response_status == SUCCESSFUL || response_status == UNAUTHORIZED,
                "{what}: parse_request accepts the request, but the responseStatus is {response_status}"
            );
        } else {
            assert_eq!(
                response_status, MALFORMED,
                "{what}: parse_request refuses the request, but the responseStatus is {response_status}"
            );
        }
    };
    if selector & 0x10 != 0 {
        if let Some((status, body)) = call(
            Method::POST,
            prefix,
            Some("application/ocsp-request"),
            payload.to_vec(),
        ) {
            check(status, &body, "POST");
        }
        return;
    }
    let suffix = match (selector >> 2) & 0b11 {
        0 => match std::str::from_utf8(payload) {
            Ok(text) => text.to_string(),
            Err(_) => return,
        },
        1 => STANDARD.encode(payload),
        2 => URL_SAFE_NO_PAD.encode(payload),
        _ => utf8_percent_encode(&STANDARD.encode(payload), ESCAPED).to_string(),
    };
    let uri = format!("{prefix}/{suffix}");
    let Some((status, body)) = call(Method::GET, &uri, None, vec![]) else {
        return;
    };
    if (selector >> 2) & 0b11 != 0 && !payload.is_empty() {
        if status == 414 {
            assert!(uri.len() > jpki_mock::internals::MAX_GET_PATH, "414 for a short path");
            return;
        }
        check(status, &body, "GET");
    }
});
