//! Every injectable fault, seen by an independent client: `openssl ocsp`, `openssl
//! verify -crl_check`, an HTTP client, or x509-ocsp as a second parser. One test per
//! row of the README's fault table.

mod support;

use std::time::{Duration, Instant};

use base64::Engine;
use der::Decode;
use jpki_mock::{CardId, Cause, CertKind, Config, Fault, KeyAlg, TestCa};
use serde_json::json;
use support::{holder_request, openssl, p, Client, InProcess, Scratch};

struct Env {
    server: InProcess,
    s: Scratch,
    card_id: CardId,
}

impl Env {
    fn client(&self) -> Client {
        self.server.client()
    }

    fn inject(&self, json: &str) {
        let fault: Fault = serde_json::from_str(json).unwrap();
        self.server
            .block_on(self.server.ca().inject(fault))
            .unwrap();
    }

    fn clear_faults(&self) {
        self.server
            .block_on(self.server.ca().clear_faults())
            .unwrap();
    }

    /// `openssl ocsp` against /ocsp/sign for the card's signing certificate; stdout
    /// then stderr.
    fn openssl_ocsp(&self, extra: &[&str]) -> String {
        let url = format!("{}/ocsp/sign", self.server.base_url());
        let ca = self.s.path("ca.pem");
        let sign = self.s.path("sign.pem");
        let mut args = vec!["ocsp"];
        args.extend(extra);
        args.extend(["-issuer", p(&ca), "-cert", p(&sign), "-url", &url]);
        args.extend(["-CAfile", p(&ca)]);
        openssl(&args).1
    }

    /// `openssl verify -crl_check` of the signing certificate with the CRL as served.
    fn verify_with_crl(&self) -> String {
        let der = self.client().crl("sign");
        let crl_der = self.s.write("crl.der", &der);
        let crl_pem = self.s.path("crl.pem");
        let (ok, out) = openssl(&[
            "crl",
            "-inform",
            "DER",
            "-in",
            &crl_der,
            "-out",
            p(&crl_pem),
        ]);
        assert!(ok, "{out}");
        openssl(&[
            "verify",
            "-crl_check",
            "-CAfile",
            p(&self.s.path("ca.pem")),
            "-CRLfile",
            p(&crl_pem),
            p(&self.s.path("sign.pem")),
        ])
        .1
    }

    /// `openssl crl -text` of the CRL last fetched by [`Env::verify_with_crl`].
    fn crl_text(&self) -> String {
        let (ok, out) = openssl(&["crl", "-noout", "-text", "-in", p(&self.s.path("crl.pem"))]);
        assert!(ok, "{out}");
        out
    }
}

fn env() -> Env {
    let mut config = Config::default();
    config.profile.key_alg = KeyAlg::P256;
    let server = InProcess::with(TestCa::builder().config(config));
    let card = server
        .block_on(server.ca().issue(holder_request("p256")))
        .unwrap();
    let s = Scratch::new();
    s.write("sign.pem", card.sign.unwrap().cert_pem);
    s.write("ca.pem", server.ca().ca_certificate_pem(CertKind::Sign));
    Env {
        server,
        s,
        card_id: card.card_id,
    }
}

/// The path of a GET-form OCSP request for the card's signing certificate, made by
/// openssl.
fn ocsp_get_path(env: &Env) -> String {
    let request = env.s.path("req.der");
    let (ok, out) = openssl(&[
        "ocsp",
        "-no_nonce",
        "-issuer",
        p(&env.s.path("ca.pem")),
        "-cert",
        p(&env.s.path("sign.pem")),
        "-reqout",
        p(&request),
    ]);
    assert!(ok, "{out}");
    let b64 = base64::engine::general_purpose::STANDARD.encode(std::fs::read(&request).unwrap());
    let escaped: String =
        percent_encoding::utf8_percent_encode(&b64, percent_encoding::NON_ALPHANUMERIC).collect();
    format!("/ocsp/sign/{escaped}")
}

#[test]
fn ocsp_response_status_faults() {
    let env = env();
    for (status, shown) in [
        ("malformedRequest", "malformedrequest (1)"),
        ("internalError", "internalerror (2)"),
        ("tryLater", "trylater (3)"),
        ("sigRequired", "sigrequired (5)"),
        ("unauthorized", "unauthorized (6)"),
    ] {
        env.inject(&format!(
            r#"{{"fault": "ocsp_status", "status": "{status}", "count": 1}}"#
        ));
        let out = env.openssl_ocsp(&[]);
        assert!(
            out.contains(&format!("Responder Error: {shown}")),
            "{status}: {out}"
        );
    }
    // The count ran out: the next answer is right again.
    assert!(env.openssl_ocsp(&[]).contains(": good"));
}

#[test]
fn ocsp_signature_and_responder_faults() {
    let env = env();
    for (fault, expected) in [
        ("bad_signature", "signature failure"),
        ("wrong_key", "signature failure"),
        (
            "responder_without_ocsp_signing",
            "missing ocspsigning usage",
        ),
        ("expired_responder", "certificate has expired"),
    ] {
        env.inject(&format!(r#"{{"fault": "{fault}", "count": 1}}"#));
        let out = env.openssl_ocsp(&[]);
        assert!(out.contains("Response Verify Failure"), "{fault}: {out}");
        assert!(out.contains(expected), "{fault}: {out}");
    }
    assert!(env.openssl_ocsp(&[]).contains("Response verify OK"));
}

#[test]
fn ocsp_cert_id_and_nonce_faults() {
    let env = env();
    for fault in ["cert_id_mismatch", "wrong_serial"] {
        env.inject(&format!(r#"{{"fault": "{fault}", "count": 1}}"#));
        let out = env.openssl_ocsp(&[]);
        assert!(out.contains("No Status found"), "{fault}: {out}");
    }
    env.inject(r#"{"fault": "missing_nonce", "count": 1}"#);
    let out = env.openssl_ocsp(&[]);
    assert!(out.contains("WARNING: no nonce in response"), "{out}");
    env.inject(r#"{"fault": "wrong_nonce", "count": 1}"#);
    let out = env.openssl_ocsp(&[]);
    assert!(out.contains("Nonce Verify error"), "{out}");
}

#[test]
fn ocsp_time_faults() {
    let env = env();
    env.inject(r#"{"fault": "stale", "count": 1}"#);
    let out = env.openssl_ocsp(&[]);
    assert!(
        out.contains("Status times invalid") && out.contains("status expired"),
        "{out}"
    );
    env.inject(r#"{"fault": "future_dated", "count": 1}"#);
    let out = env.openssl_ocsp(&[]);
    assert!(
        out.contains("Status times invalid") && out.contains("status not yet valid"),
        "{out}"
    );
    env.inject(r#"{"fault": "no_next_update", "count": 1}"#);
    let out = env.openssl_ocsp(&[]);
    assert!(
        out.contains(": good") && out.contains("This Update"),
        "{out}"
    );
    assert!(!out.contains("Next Update"), "{out}");
    assert!(env.openssl_ocsp(&[]).contains("Next Update"));
}

#[test]
fn ocsp_forced_revocation_scoped_to_a_serial() {
    let env = env();
    // Scoped to another serial: no effect on this certificate.
    env.inject(r#"{"fault": "revoked", "reason": "keyCompromise", "serial": 1}"#);
    assert!(env.openssl_ocsp(&[]).contains(": good"));
    env.clear_faults();
    env.inject(r#"{"fault": "revoked", "reason": "keyCompromise", "ca": "sign"}"#);
    let out = env.openssl_ocsp(&[]);
    assert!(
        out.contains(": revoked") && out.contains("Reason: keyCompromise"),
        "{out}"
    );
    // Until cleared: still revoked, then good again.
    assert!(env.openssl_ocsp(&[]).contains(": revoked"));
    env.clear_faults();
    assert!(env.openssl_ocsp(&[]).contains(": good"));
}

#[test]
fn ocsp_unknown_critical_extension_and_empty_body() {
    let env = env();
    let url = ocsp_get_path(&env);
    let c = env.client();
    env.inject(r#"{"fault": "unknown_critical_extension", "count": 1}"#);
    let reply = c.get(&url);
    let (status, body) = (reply.status, reply.body);
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

    env.inject(r#"{"fault": "empty_body", "count": 1}"#);
    let reply = c.get(&url);
    assert_eq!((reply.status, reply.body.len()), (200, 0));
    assert_eq!(
        reply.header("content-type"),
        Some("application/ocsp-response")
    );
    let out = env.openssl_ocsp(&[]);
    assert!(out.contains("good"), "the fault was used up: {out}");
}

#[test]
fn http_faults() {
    let env = env();
    let url = ocsp_get_path(&env);
    let c = env.client();
    env.inject(r#"{"fault": "delay", "ms": 400, "count": 1}"#);
    let started = Instant::now();
    assert_eq!(c.get(&url).status, 200);
    assert!(started.elapsed() >= Duration::from_millis(400));

    for status in [500u16, 503, 404] {
        env.inject(&format!(
            r#"{{"fault": "http_status", "status": {status}, "count": 1}}"#
        ));
        assert_eq!(c.get(&url).status, status);
    }
    env.inject(r#"{"fault": "http_status", "status": 503, "count": 1}"#);
    let out = env.openssl_ocsp(&[]);
    assert!(out.contains("code=503"), "{out}");

    env.inject(r#"{"fault": "wrong_content_type", "count": 1}"#);
    let out = env.openssl_ocsp(&[]);
    assert!(out.contains("unexpected content type"), "{out}");

    env.inject(r#"{"fault": "close_connection", "count": 1}"#);
    // The response stops half-way: the client gets no complete response.
    assert!(c.try_get(&url).is_err());
    env.inject(r#"{"fault": "close_connection", "count": 1}"#);
    let out = env.openssl_ocsp(&[]);
    assert!(out.contains("Error querying OCSP responder"), "{out}");

    // HTTP faults apply to CRLs too, and scoped to the other CA they leave this one be.
    env.inject(r#"{"fault": "http_status", "status": 500, "ca": "auth"}"#);
    assert_eq!(c.get("/crl/sign.crl").status, 200);
    assert_eq!(c.get("/crl/auth.crl").status, 500);
}

#[test]
fn crl_faults() {
    let env = env();
    env.server
        .block_on(env.server.ca().revoke(env.card_id, Cause::Stolen))
        .unwrap();
    let out = env.verify_with_crl();
    assert!(
        out.contains("certificate revoked") && !out.contains("CRL has expired"),
        "{out}"
    );

    env.inject(r#"{"fault": "crl_expired", "count": 1}"#);
    assert!(env.verify_with_crl().contains("CRL has expired"));
    env.inject(r#"{"fault": "crl_bad_signature", "count": 1}"#);
    assert!(env.verify_with_crl().contains("CRL signature failure"));
    env.inject(r#"{"fault": "crl_wrong_idp", "count": 1}"#);
    assert!(env.verify_with_crl().contains("different CRL scope"));

    env.inject(r#"{"fault": "crl_missing_reason", "count": 1}"#);
    env.verify_with_crl();
    let out = env.crl_text();
    assert!(
        out.contains("Serial Number") && !out.contains("Reason Code"),
        "{out}"
    );
    // And back to the real CRL, with its reason.
    env.verify_with_crl();
    assert!(env.crl_text().contains("Key Compromise"));
}

#[test]
fn the_admin_api_sets_lists_and_clears_faults() {
    let server = InProcess::with(TestCa::builder().state_in_memory());
    let c = server.oneshot();
    let put = |body: &str| {
        c.send(
            "PUT",
            "/api/v1/faults",
            &[("content-type", "application/json")],
            body,
        )
    };
    let listed = || {
        let reply = c.get("/api/v1/faults");
        assert_eq!(reply.status, 200, "{}", reply.text());
        reply.json()
    };
    let reply =
        put(r#"[{"fault": "stale", "ca": "sign", "count": 2}, {"fault": "delay", "ms": 5}]"#);
    assert_eq!(reply.status, 200, "{}", reply.text());
    let faults = listed();
    assert_eq!(faults["faults"].as_array().unwrap().len(), 2);
    assert_eq!(faults["faults"][0]["fault"], "stale");
    assert_eq!(faults["faults"][0]["count"], 2);
    // A bad fault is refused whole and changes nothing.
    let reply = put(r#"[{"fault": "stale"}, {"fault": "gremlins"}]"#);
    assert_eq!(reply.status, 400);
    let body = reply.json();
    assert!(
        body["message"].as_str().unwrap().contains("unknown fault"),
        "{body}"
    );
    assert_eq!(listed()["faults"].as_array().unwrap().len(), 2);
    assert_eq!(c.api("DELETE", "/api/v1/faults", None).status, 200);
    assert_eq!(listed()["faults"], json!([]));
}
