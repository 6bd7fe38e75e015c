//! Every injectable fault, seen by an independent client: `openssl ocsp`, `openssl
//! verify -crl_check`, an HTTP client, or x509-ocsp as a second parser. One test per
//! row of the README's fault table.

use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

use der::Decode;
use jpki_mock::authority::IssueRequest;
use jpki_mock::config::Config;
use jpki_mock::faults::Fault;
use jpki_mock::rules::{Cause, CertKind};
use jpki_mock::testca::TestCa;

struct Env {
    ca: TestCa,
    dir: tempfile::TempDir,
    card_id: jpki_mock::store::CardId,
}

impl Env {
    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    async fn inject(&self, json: &str) {
        let fault: Fault = serde_json::from_str(json).unwrap();
        self.ca.inject(fault).await.unwrap();
    }

    /// `openssl ocsp` against /ocsp/sign for the card's signing certificate.
    async fn openssl_ocsp(&self, extra: &[&str]) -> String {
        let mut command = Command::new("openssl");
        command
            .arg("ocsp")
            .args(extra)
            .arg("-issuer")
            .arg(self.path("ca.pem"))
            .arg("-cert")
            .arg(self.path("sign.pem"))
            .arg("-url")
            .arg(format!("{}/ocsp/sign", self.ca.base_url()))
            .arg("-CAfile")
            .arg(self.path("ca.pem"));
        run(command).await
    }

    /// `openssl verify -crl_check` of the signing certificate with the CRL as served.
    async fn verify_with_crl(&self) -> String {
        let der = http_get(&format!("{}/crl/sign.crl", self.ca.base_url()))
            .await
            .unwrap()
            .1;
        std::fs::write(self.path("crl.der"), &der).unwrap();
        let mut convert = Command::new("openssl");
        convert
            .args(["crl", "-inform", "DER", "-in"])
            .arg(self.path("crl.der"))
            .arg("-out")
            .arg(self.path("crl.pem"));
        run(convert).await;
        let mut verify = Command::new("openssl");
        verify
            .args(["verify", "-crl_check", "-CAfile"])
            .arg(self.path("ca.pem"))
            .arg("-CRLfile")
            .arg(self.path("crl.pem"))
            .arg(self.path("sign.pem"));
        run(verify).await
    }
}

async fn run(mut command: Command) -> String {
    tokio::task::spawn_blocking(move || {
        let output = command.output().expect("openssl runs");
        String::from_utf8_lossy(&output.stdout).to_string()
            + &String::from_utf8_lossy(&output.stderr)
    })
    .await
    .unwrap()
}

/// (status, body, content type), or the transport error.
async fn http_get(url: &str) -> Result<(u16, Vec<u8>, String), String> {
    let url = url.to_string();
    tokio::task::spawn_blocking(move || {
        let response = reqwest::blocking::get(&url).map_err(|e| e.to_string())?;
        let status = response.status().as_u16();
        let content_type = response
            .headers()
            .get("content-type")
            .map(|v| v.to_str().unwrap_or("").to_string())
            .unwrap_or_default();
        let body = response.bytes().map_err(|e| format!("body: {e}"))?;
        Ok((status, body.to_vec(), content_type))
    })
    .await
    .unwrap()
}

async fn env() -> Env {
    let mut config = Config::default();
    config.profile.key_alg = jpki_mock::pki::keys::KeyAlg::P256;
    let ca = TestCa::builder().config(config).start().await.unwrap();
    let card = ca
        .issue(IssueRequest {
            name: "山田 太郎".into(),
            birth: "1990-10-01".into(),
            gender: "male".into(),
            address: "東京都品川区広町2-1-36".into(),
            ..IssueRequest::default()
        })
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("sign.pem"), card.sign.unwrap().cert_pem).unwrap();
    std::fs::write(
        dir.path().join("ca.pem"),
        ca.ca_certificate_pem(CertKind::Sign),
    )
    .unwrap();
    Env {
        ca,
        dir,
        card_id: card.card_id,
    }
}

/// A GET-form OCSP request for the card's signing certificate, made by openssl.
async fn ocsp_get_url(env: &Env) -> String {
    let mut command = Command::new("openssl");
    command
        .args(["ocsp", "-no_nonce", "-issuer"])
        .arg(env.path("ca.pem"))
        .arg("-cert")
        .arg(env.path("sign.pem"))
        .arg("-reqout")
        .arg(env.path("req.der"));
    run(command).await;
    use base64::Engine;
    let b64 = base64::engine::general_purpose::STANDARD
        .encode(std::fs::read(env.path("req.der")).unwrap());
    let escaped: String =
        percent_encoding::utf8_percent_encode(&b64, percent_encoding::NON_ALPHANUMERIC).collect();
    format!("{}/ocsp/sign/{escaped}", env.ca.base_url())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ocsp_response_status_faults() {
    let env = env().await;
    for (status, shown) in [
        ("malformedRequest", "malformedrequest (1)"),
        ("internalError", "internalerror (2)"),
        ("tryLater", "trylater (3)"),
        ("sigRequired", "sigrequired (5)"),
        ("unauthorized", "unauthorized (6)"),
    ] {
        env.inject(&format!(
            r#"{{"fault": "ocsp_status", "status": "{status}", "count": 1}}"#
        ))
        .await;
        let out = env.openssl_ocsp(&[]).await;
        assert!(
            out.contains(&format!("Responder Error: {shown}")),
            "{status}: {out}"
        );
    }
    // The count ran out: the next answer is right again.
    assert!(env.openssl_ocsp(&[]).await.contains(": good"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ocsp_signature_and_responder_faults() {
    let env = env().await;
    for (fault, expected) in [
        ("bad_signature", "signature failure"),
        ("wrong_key", "signature failure"),
        (
            "responder_without_ocsp_signing",
            "missing ocspsigning usage",
        ),
        ("expired_responder", "certificate has expired"),
    ] {
        env.inject(&format!(r#"{{"fault": "{fault}", "count": 1}}"#))
            .await;
        let out = env.openssl_ocsp(&[]).await;
        assert!(out.contains("Response Verify Failure"), "{fault}: {out}");
        assert!(out.contains(expected), "{fault}: {out}");
    }
    assert!(env.openssl_ocsp(&[]).await.contains("Response verify OK"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ocsp_cert_id_and_nonce_faults() {
    let env = env().await;
    for fault in ["cert_id_mismatch", "wrong_serial"] {
        env.inject(&format!(r#"{{"fault": "{fault}", "count": 1}}"#))
            .await;
        let out = env.openssl_ocsp(&[]).await;
        assert!(out.contains("No Status found"), "{fault}: {out}");
    }
    env.inject(r#"{"fault": "missing_nonce", "count": 1}"#)
        .await;
    let out = env.openssl_ocsp(&[]).await;
    assert!(out.contains("WARNING: no nonce in response"), "{out}");
    env.inject(r#"{"fault": "wrong_nonce", "count": 1}"#).await;
    let out = env.openssl_ocsp(&[]).await;
    assert!(out.contains("Nonce Verify error"), "{out}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ocsp_time_faults() {
    let env = env().await;
    env.inject(r#"{"fault": "stale", "count": 1}"#).await;
    let out = env.openssl_ocsp(&[]).await;
    assert!(
        out.contains("Status times invalid") && out.contains("status expired"),
        "{out}"
    );
    env.inject(r#"{"fault": "future_dated", "count": 1}"#).await;
    let out = env.openssl_ocsp(&[]).await;
    assert!(
        out.contains("Status times invalid") && out.contains("status not yet valid"),
        "{out}"
    );
    env.inject(r#"{"fault": "no_next_update", "count": 1}"#)
        .await;
    let out = env.openssl_ocsp(&[]).await;
    assert!(
        out.contains(": good") && out.contains("This Update"),
        "{out}"
    );
    assert!(!out.contains("Next Update"), "{out}");
    assert!(env.openssl_ocsp(&[]).await.contains("Next Update"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ocsp_forced_revocation_scoped_to_a_serial() {
    let env = env().await;
    // Scoped to another serial: no effect on this certificate.
    env.inject(r#"{"fault": "revoked", "reason": "keyCompromise", "serial": 1}"#)
        .await;
    assert!(env.openssl_ocsp(&[]).await.contains(": good"));
    env.ca.clear_faults().await.unwrap();
    env.inject(r#"{"fault": "revoked", "reason": "keyCompromise", "ca": "sign"}"#)
        .await;
    let out = env.openssl_ocsp(&[]).await;
    assert!(
        out.contains(": revoked") && out.contains("Reason: keyCompromise"),
        "{out}"
    );
    // Until cleared: still revoked, then good again.
    assert!(env.openssl_ocsp(&[]).await.contains(": revoked"));
    env.ca.clear_faults().await.unwrap();
    assert!(env.openssl_ocsp(&[]).await.contains(": good"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ocsp_unknown_critical_extension_and_empty_body() {
    let env = env().await;
    let url = ocsp_get_url(&env).await;
    env.inject(r#"{"fault": "unknown_critical_extension", "count": 1}"#)
        .await;
    let (status, body, _) = http_get(&url).await.unwrap();
    assert_eq!(status, 200);
    let response = x509_ocsp::OcspResponse::from_der(&body).unwrap();
    let basic = x509_ocsp::BasicOcspResponse::from_der(
        response.response_bytes.unwrap().response.as_bytes(),
    )
    .unwrap();
    let extensions = basic.tbs_response_data.response_extensions.unwrap();
    assert!(
        extensions
            .iter()
            .any(|e| e.critical && e.extn_id.to_string() == "1.3.6.1.4.1.32473.1.1"),
        "{extensions:?}"
    );

    env.inject(r#"{"fault": "empty_body", "count": 1}"#).await;
    let (status, body, content_type) = http_get(&url).await.unwrap();
    assert_eq!((status, body.len()), (200, 0));
    assert_eq!(content_type, "application/ocsp-response");
    let out = env.openssl_ocsp(&[]).await;
    assert!(out.contains("good"), "the fault was used up: {out}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http_faults() {
    let env = env().await;
    let url = ocsp_get_url(&env).await;
    env.inject(r#"{"fault": "delay", "ms": 400, "count": 1}"#)
        .await;
    let started = Instant::now();
    assert_eq!(http_get(&url).await.unwrap().0, 200);
    assert!(started.elapsed() >= Duration::from_millis(400));

    for status in [500u16, 503, 404] {
        env.inject(&format!(
            r#"{{"fault": "http_status", "status": {status}, "count": 1}}"#
        ))
        .await;
        assert_eq!(http_get(&url).await.unwrap().0, status);
    }
    env.inject(r#"{"fault": "http_status", "status": 503, "count": 1}"#)
        .await;
    let out = env.openssl_ocsp(&[]).await;
    assert!(out.contains("code=503"), "{out}");

    env.inject(r#"{"fault": "wrong_content_type", "count": 1}"#)
        .await;
    let out = env.openssl_ocsp(&[]).await;
    assert!(out.contains("unexpected content type"), "{out}");

    env.inject(r#"{"fault": "close_connection", "count": 1}"#)
        .await;
    // The response stops half-way: the client gets no complete response.
    assert!(http_get(&url).await.is_err());
    env.inject(r#"{"fault": "close_connection", "count": 1}"#)
        .await;
    let out = env.openssl_ocsp(&[]).await;
    assert!(out.contains("Error querying OCSP responder"), "{out}");

    // HTTP faults apply to CRLs too, and scoped to the other CA they leave this one be.
    env.inject(r#"{"fault": "http_status", "status": 500, "ca": "auth"}"#)
        .await;
    assert_eq!(
        http_get(&format!("{}/crl/sign.crl", env.ca.base_url()))
            .await
            .unwrap()
            .0,
        200
    );
    assert_eq!(
        http_get(&format!("{}/crl/auth.crl", env.ca.base_url()))
            .await
            .unwrap()
            .0,
        500
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn crl_faults() {
    let env = env().await;
    env.ca.revoke(env.card_id, Cause::Stolen).await.unwrap();
    let out = env.verify_with_crl().await;
    assert!(
        out.contains("certificate revoked") && !out.contains("CRL has expired"),
        "{out}"
    );

    env.inject(r#"{"fault": "crl_expired", "count": 1}"#).await;
    assert!(env.verify_with_crl().await.contains("CRL has expired"));
    env.inject(r#"{"fault": "crl_bad_signature", "count": 1}"#)
        .await;
    assert!(env
        .verify_with_crl()
        .await
        .contains("CRL signature failure"));
    env.inject(r#"{"fault": "crl_wrong_idp", "count": 1}"#)
        .await;
    assert!(env.verify_with_crl().await.contains("different CRL scope"));

    env.inject(r#"{"fault": "crl_missing_reason", "count": 1}"#)
        .await;
    env.verify_with_crl().await;
    let mut text = Command::new("openssl");
    text.args(["crl", "-noout", "-text", "-in"])
        .arg(env.path("crl.pem"));
    let out = run(text).await;
    assert!(
        out.contains("Serial Number") && !out.contains("Reason Code"),
        "{out}"
    );
    // And back to the real CRL, with its reason.
    env.verify_with_crl().await;
    let mut text = Command::new("openssl");
    text.args(["crl", "-noout", "-text", "-in"])
        .arg(env.path("crl.pem"));
    assert!(run(text).await.contains("Key Compromise"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_admin_api_sets_lists_and_clears_faults() {
    use axum::body::Body;
    use axum::http::Request;
    use tower::ServiceExt;
    let dir = tempfile::tempdir().unwrap();
    let mut store = jpki_mock::store::sqlite::SqliteStore::create(dir.path()).unwrap();
    let options = jpki_mock::authority::Options::default();
    jpki_mock::authority::Authority::init(&mut store, &Config::default(), &options, None, None)
        .unwrap();
    let authority =
        jpki_mock::authority::Authority::open(Box::new(store), Config::default(), options).unwrap();
    let state = jpki_mock::http::AppState::new(authority, None);
    let call = |request: Request<Body>| {
        let state = state.clone();
        async move {
            let response = jpki_mock::http::router(state)
                .oneshot(request)
                .await
                .unwrap();
            let status = response.status().as_u16();
            let body = axum::body::to_bytes(response.into_body(), 1 << 20)
                .await
                .unwrap();
            (
                status,
                serde_json::from_slice::<serde_json::Value>(&body).unwrap(),
            )
        }
    };
    let put = |body: &str| {
        Request::put("/api/v1/faults")
            .header("content-type", "application/json")
            .body(Body::from(body.to_string()))
            .unwrap()
    };
    let (status, body) = call(put(
        r#"[{"fault": "stale", "ca": "sign", "count": 2}, {"fault": "delay", "ms": 5}]"#,
    ))
    .await;
    assert_eq!(status, 200, "{body}");
    let (_, listed) = call(Request::get("/api/v1/faults").body(Body::empty()).unwrap()).await;
    assert_eq!(listed["faults"].as_array().unwrap().len(), 2);
    assert_eq!(listed["faults"][0]["fault"], "stale");
    assert_eq!(listed["faults"][0]["count"], 2);
    // A bad fault is refused whole and changes nothing.
    let (status, body) = call(put(r#"[{"fault": "stale"}, {"fault": "gremlins"}]"#)).await;
    assert_eq!(status, 400);
    assert!(
        body["message"].as_str().unwrap().contains("unknown fault"),
        "{body}"
    );
    let (_, listed) = call(Request::get("/api/v1/faults").body(Body::empty()).unwrap()).await;
    assert_eq!(listed["faults"].as_array().unwrap().len(), 2);
    let (status, _) = call(
        Request::delete("/api/v1/faults")
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(status, 200);
    let (_, listed) = call(Request::get("/api/v1/faults").body(Body::empty()).unwrap()).await;
    assert_eq!(listed["faults"], serde_json::json!([]));
}
