//! The admin JSON API through the real router, with arbitrary bytes as the JSON body.
//!
//! Input: one route byte, one card byte, then the body.
//!   route % 8: 0 `POST /cards`, 1 `POST /cards/{id}/events`, 2 `…/renew`,
//!              3 `…/reissue`, 4 `…/sign`, 5 `…/authenticate`, 6 `…/pin-reset`,
//!              7 `PUT /clock` (inert here: the harness's clock is frozen by `--now`)
//!   card % 5:  the card id (0 does not exist; 1 good, 2 revoked, 3 good with PINs;
//!              new cards appear as the fuzzer issues and reissues)
//!
//! Checks: no panic, no 5xx, every answer is JSON, and every 4xx carries
//! `{error, message}`.
#![no_main]

use axum::http::Method;
use jpki_mock_fuzz::call;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let [route, card, body @ ..] = data else {
        return;
    };
    let card = card % 5;
    let (method, uri) = match route % 8 {
        0 => (Method::POST, "/api/v1/cards".to_string()),
        1 => (Method::POST, format!("/api/v1/cards/{card}/events")),
        2 => (Method::POST, format!("/api/v1/cards/{card}/renew")),
        3 => (Method::POST, format!("/api/v1/cards/{card}/reissue")),
        4 => (Method::POST, format!("/api/v1/cards/{card}/sign")),
        5 => (Method::POST, format!("/api/v1/cards/{card}/authenticate")),
        6 => (Method::POST, format!("/api/v1/cards/{card}/pin-reset")),
        _ => (Method::PUT, "/api/v1/clock".to_string()),
    };
    let Some((status, response)) = call(method, &uri, Some("application/json"), body.to_vec())
    else {
        return;
    };
    let json: serde_json::Value = serde_json::from_slice(&response).unwrap_or_else(|e| {
        panic!(
            "{uri}: HTTP {status} with a body that is not JSON ({e}): {}",
            String::from_utf8_lossy(&response)
        )
    });
    if (400..500).contains(&status) {
        assert!(
            json.get("error").is_some_and(|v| v.is_string())
                && json.get("message").is_some_and(|v| v.is_string()),
            "{uri}: HTTP {status} without {{error, message}}: {json}"
        );
    }
});
