//! The request log and /metrics after a known sequence of requests (router, no socket).

use axum::body::Body;
use axum::http::{Request, StatusCode};
use jpki_mock::authority::{Authority, IssueRequest, Options};
use jpki_mock::config::Config;
use jpki_mock::http::{router, AppState};
use jpki_mock::store::sqlite::SqliteStore;
use tower::ServiceExt;

struct Setup {
    _dir: tempfile::TempDir,
    state: AppState,
    serial: u32,
    ocsp_request: Vec<u8>,
}

/// A state with one card (P-256), and an OCSP request for its signing certificate made
/// by openssl.
fn setup() -> Setup {
    let dir = tempfile::tempdir().unwrap();
    let mut store = SqliteStore::create(dir.path()).unwrap();
    Authority::init(
        &mut store,
        &Config::default(),
        &Options::default(),
        None,
        None,
    )
    .unwrap();
    let mut authority =
        Authority::open(Box::new(store), Config::default(), Options::default()).unwrap();
    let issued = authority
        .issue(&IssueRequest {
            name: "山田 太郎".into(),
            birth: "1990-10-01".into(),
            gender: "male".into(),
            address: "東京都品川区広町2-1-36".into(),
            key_alg: Some("p256".into()),
            ..IssueRequest::default()
        })
        .unwrap();
    let sign = issued.sign.unwrap();
    let leaf = dir.path().join("leaf.pem");
    let ca = dir.path().join("ca.pem");
    let request = dir.path().join("req.der");
    std::fs::write(&leaf, &sign.cert_pem).unwrap();
    std::fs::write(
        &ca,
        jpki_mock::pki::pem_encode(
            "CERTIFICATE",
            authority
                .ca(jpki_mock::rules::CertKind::Sign)
                .ca
                .certificate_der(),
        ),
    )
    .unwrap();
    let status = std::process::Command::new("openssl")
        .args(["ocsp", "-no_nonce", "-issuer"])
        .arg(&ca)
        .arg("-cert")
        .arg(&leaf)
        .arg("-reqout")
        .arg(&request)
        .output()
        .unwrap();
    assert!(status.status.success(), "{status:?}");
    Setup {
        serial: sign.serial,
        ocsp_request: std::fs::read(&request).unwrap(),
        state: AppState::new(authority, None),
        _dir: dir,
    }
}

async fn call(state: &AppState, request: Request<Body>) -> (StatusCode, Vec<u8>) {
    let response = router(state.clone()).oneshot(request).await.unwrap();
    let status = response.status();
    let body = axum::body::to_bytes(response.into_body(), 1 << 24)
        .await
        .unwrap();
    (status, body.to_vec())
}

fn ocsp_post(body: &[u8]) -> Request<Body> {
    Request::post("/ocsp/sign")
        .header("content-type", "application/ocsp-request")
        .body(Body::from(body.to_vec()))
        .unwrap()
}

fn get(path: &str) -> Request<Body> {
    Request::get(path).body(Body::empty()).unwrap()
}

fn json(body: &[u8]) -> serde_json::Value {
    serde_json::from_slice(body).unwrap()
}

#[tokio::test]
async fn the_request_log_records_ocsp_and_crl_requests_in_order() {
    let s = setup();
    call(&s.state, ocsp_post(&s.ocsp_request)).await;
    call(&s.state, ocsp_post(b"garbage")).await;
    call(&s.state, get("/crl/sign.crl")).await;
    call(&s.state, get("/healthz")).await; // not an OCSP or CRL request: not logged

    let (status, body) = call(&s.state, get("/api/v1/requests")).await;
    assert_eq!(status, StatusCode::OK);
    let all = json(&body)["requests"].as_array().unwrap().clone();
    assert_eq!(all.len(), 3, "{all:?}");
    assert_eq!(all[0]["route"], "/ocsp/sign");
    assert_eq!(all[0]["method"], "POST");
    assert_eq!(all[0]["nonce"], false);
    assert_eq!(all[0]["ocsp_status"], "successful");
    assert_eq!(all[0]["cert_statuses"], serde_json::json!(["good"]));
    assert_eq!(all[0]["cert_ids"][0]["serial"], s.serial);
    assert_eq!(all[0]["cert_ids"][0]["hash_algorithm"], "sha1");
    assert_eq!(all[0]["cert_ids"][0]["issuer"], "sign");
    assert_eq!(all[1]["ocsp_status"], "malformedRequest");
    assert_eq!(all[1]["cert_ids"], serde_json::json!([]));
    assert_eq!(all[2]["path"], "/crl/sign.crl");
    assert_eq!(all[2]["http_status"], 200);

    // Filter by serial: only the request that asked about it.
    let (_, body) = call(
        &s.state,
        get(&format!("/api/v1/requests?serial={}", s.serial)),
    )
    .await;
    assert_eq!(json(&body)["requests"].as_array().unwrap().len(), 1);
    let (_, body) = call(&s.state, get("/api/v1/requests?serial=12345")).await;
    assert_eq!(json(&body)["requests"].as_array().unwrap().len(), 0);
    // Filter by time: nothing arrived after the year 2999.
    let (_, body) = call(&s.state, get("/api/v1/requests?since=2999-01-01")).await;
    assert_eq!(json(&body)["requests"].as_array().unwrap().len(), 0);
    let (status, _) = call(&s.state, get("/api/v1/requests?since=yesterday")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);

    // DELETE clears it.
    let (status, body) = call(
        &s.state,
        Request::delete("/api/v1/requests")
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(json(&body)["cleared"], 3);
    let (_, body) = call(&s.state, get("/api/v1/requests")).await;
    assert_eq!(json(&body)["requests"].as_array().unwrap().len(), 0);
}

#[tokio::test]
async fn metrics_count_routes_statuses_ocsp_answers_and_cache_hits() {
    let s = setup();
    for _ in 0..3 {
        call(&s.state, ocsp_post(&s.ocsp_request)).await;
    }
    call(&s.state, ocsp_post(b"\x30\x00")).await;
    call(&s.state, get("/no/such/path")).await;
    let (status, body) = call(&s.state, get("/metrics")).await;
    assert_eq!(status, StatusCode::OK);
    let text = String::from_utf8(body).unwrap();
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
            "missing {line:?} in\n{text}"
        );
    }
}
