//! The request log and /metrics after a known sequence of requests, sent both through
//! the router (no socket) and over TCP, where OCSP requests take the server's lane
//! past the router: both ways must be logged and counted alike.

mod support;

use jpki_mock::{CertKind, TestCa};
use serde_json::{json, Value};
use support::{holder_request, openssl, p, Client, InProcess, Reply, Scratch};

struct Setup {
    _s: Scratch,
    server: InProcess,
    c: Client,
    serial: u32,
    ocsp_request: Vec<u8>,
}

/// How the requests reach the test CA.
#[derive(Clone, Copy, Debug)]
enum Via {
    /// The router through `oneshot`.
    Router,
    /// TCP: the served lane in front of the router.
    Tcp,
}

const BOTH: [Via; 2] = [Via::Router, Via::Tcp];

/// A test CA (state in memory) with one card (P-256), an OCSP request for its signing
/// certificate made by openssl, and a client that goes `via` the router or TCP.
fn setup(via: Via) -> Setup {
    let s = Scratch::new();
    let server = InProcess::with(TestCa::builder().state_in_memory());
    let issued = server
        .block_on(server.ca().issue(holder_request("p256")))
        .unwrap();
    let sign = issued.sign.unwrap();
    let leaf = s.write("leaf.pem", &sign.cert_pem);
    let ca = s.write("ca.pem", server.ca().ca_certificate_pem(CertKind::Sign));
    let request = s.path("req.der");
    let (ok, text) = openssl(&[
        "ocsp",
        "-no_nonce",
        "-issuer",
        &ca,
        "-cert",
        &leaf,
        "-reqout",
        p(&request),
    ]);
    assert!(ok, "{text}");
    let c = match via {
        Via::Router => server.oneshot(),
        Via::Tcp => server.client(),
    };
    Setup {
        serial: sign.serial,
        ocsp_request: std::fs::read(&request).unwrap(),
        c,
        server,
        _s: s,
    }
}

fn ocsp_post(c: &Client, body: &[u8]) -> Reply {
    c.ocsp_post("/ocsp/sign", body)
}

fn requests(c: &Client, query: &str) -> Vec<Value> {
    let reply = c.get(&format!("/api/v1/requests{query}"));
    assert_eq!(reply.status, 200, "{}", reply.text());
    reply.json()["requests"].as_array().unwrap().clone()
}

#[test]
fn the_request_log_records_ocsp_and_crl_requests_in_order() {
    for via in BOTH {
        request_log_in_order(via);
    }
}

fn request_log_in_order(via: Via) {
    let s = setup(via);
    let c = &s.c;
    ocsp_post(c, &s.ocsp_request);
    ocsp_post(c, b"garbage");
    c.get("/crl/sign.crl");
    c.get("/healthz"); // not an OCSP or CRL request: not logged

    let all = requests(c, "");
    assert_eq!(all.len(), 3, "{via:?}: {all:?}");
    assert_eq!(all[0]["route"], "/ocsp/sign");
    assert_eq!(all[0]["method"], "POST");
    assert_eq!(all[0]["nonce"], false);
    assert_eq!(all[0]["ocsp_status"], "successful");
    assert_eq!(all[0]["cert_statuses"], json!(["good"]));
    assert_eq!(all[0]["cert_ids"][0]["serial"], s.serial);
    assert_eq!(all[0]["cert_ids"][0]["hash_algorithm"], "sha1");
    assert_eq!(all[0]["cert_ids"][0]["issuer"], "sign");
    assert_eq!(all[1]["ocsp_status"], "malformedRequest");
    assert_eq!(all[1]["cert_ids"], json!([]));
    assert_eq!(all[2]["path"], "/crl/sign.crl");
    assert_eq!(all[2]["http_status"], 200);
    // The library sees the same log.
    assert_eq!(s.server.ca().requests().len(), 3);

    // Filter by serial: only the request that asked about it.
    assert_eq!(requests(c, &format!("?serial={}", s.serial)).len(), 1);
    assert_eq!(requests(c, "?serial=12345").len(), 0);
    // Filter by time: nothing arrived after the year 2999.
    assert_eq!(requests(c, "?since=2999-01-01").len(), 0);
    assert_eq!(c.get("/api/v1/requests?since=yesterday").status, 400);

    // DELETE clears it.
    let cleared = c.api("DELETE", "/api/v1/requests", None);
    assert_eq!(cleared.status, 200, "{}", cleared.text());
    assert_eq!(cleared.json()["cleared"], 3);
    assert_eq!(requests(c, "").len(), 0);
}

#[test]
fn metrics_count_routes_statuses_ocsp_answers_and_cache_hits() {
    for via in BOTH {
        metrics_after_known_requests(via);
    }
}

fn metrics_after_known_requests(via: Via) {
    let s = setup(via);
    let c = &s.c;
    for _ in 0..3 {
        ocsp_post(c, &s.ocsp_request);
    }
    ocsp_post(c, b"\x30\x00");
    c.get("/no/such/path");
    let reply = c.get("/metrics");
    assert_eq!(reply.status, 200);
    let text = reply.text();
    for line in [
        "jpki_mock_http_requests_total{route=\"/ocsp/sign\",status=\"200\"} 4",
        "jpki_mock_http_requests_total{route=\"unmatched\",status=\"404\"} 1",
        "jpki_mock_ocsp_answers_total{status=\"good\"} 3",
        "jpki_mock_ocsp_answers_total{status=\"malformedRequest\"} 1",
        "jpki_mock_ocsp_cache_total{result=\"hit\"} 2",
        "jpki_mock_ocsp_cache_total{result=\"miss\"} 1",
    ] {
        assert!(
            text.lines().any(|l| l == line),
            "{via:?}: missing {line:?} in\n{text}"
        );
    }
}
