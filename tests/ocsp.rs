//! The OCSP responder against real clients: `openssl ocsp` over POST, GET with the
//! request in the path (raw and escaped), the shared endpoint, SHA-256 CertIDs, several
//! CertIDs, nonces; and a second implementation (x509-ocsp + aws-lc-rs) verifying the
//! signature against the delegated responder certificate.

mod common;

use base64::Engine;
use common::{adult, openssl, p, strs, Cli, Server};
use der::{Decode, Encode};

struct Setup {
    cli: Cli,
    server: Server,
    ca_sign: std::path::PathBuf,
    ca_auth: std::path::PathBuf,
}

/// A server, and two cards issued now (RSA signing keys for card 1).
fn setup() -> Setup {
    let cli = Cli::new();
    let server = Server::start(&cli, &[]);
    let now = jpki_mock::clock::rfc3339(time::OffsetDateTime::now_utc());
    for (n, alg) in [("1", "rsa2048"), ("2", "p256")] {
        let mut args = adult(&now, alg);
        args.extend([
            "--out".into(),
            cli.path(&format!("card{n}")).display().to_string(),
        ]);
        cli.ok(&strs(&args));
    }
    Setup {
        ca_sign: cli.ca_pem("sign"),
        ca_auth: cli.ca_pem("auth"),
        cli,
        server,
    }
}

impl Setup {
    fn leaf(&self, card: u8, kind: &str) -> String {
        p(&self.cli.path(&format!("card{card}/{kind}.pem"))).to_string()
    }

    /// `openssl ocsp` with the given options (put -sha256 etc. first).
    fn ocsp(&self, options: &[&str], certs: &[String], kind: &str, path: &str) -> String {
        let ca = if kind == "sign" {
            &self.ca_sign
        } else {
            &self.ca_auth
        };
        let url = format!("{}{path}", self.server.base);
        let mut args: Vec<&str> = vec!["ocsp"];
        args.extend(options);
        args.extend(["-issuer", p(ca)]);
        for cert in certs {
            args.extend(["-cert", cert.as_str()]);
        }
        args.extend(["-url", &url, "-CAfile", p(ca)]);
        let (_, text) = openssl(&args);
        text
    }
}

#[test]
fn good_revoked_and_unknown_with_openssl() {
    let s = setup();
    let text = s.ocsp(&[], &[s.leaf(1, "sign")], "sign", "/ocsp/sign");
    assert!(
        text.contains("Response verify OK") && text.contains("sign.pem: good"),
        "{text}"
    );
    assert!(!text.contains("WARNING"), "the nonce is echoed: {text}");

    s.cli
        .ok(&["revoke", "--card", "1", "--cause", "address_change"]);
    let text = s.ocsp(&["-no_nonce"], &[s.leaf(1, "sign")], "sign", "/ocsp/sign");
    assert!(
        text.contains("sign.pem: revoked") && text.contains("Reason: affiliationChanged"),
        "{text}"
    );
    let text = s.ocsp(&[], &[s.leaf(1, "auth")], "auth", "/ocsp/auth");
    assert!(
        text.contains("auth.pem: good"),
        "address_change keeps the auth certificate: {text}"
    );

    s.cli.ok(&["revoke", "--card", "2", "--cause", "lost"]);
    let text = s.ocsp(&["-sha256"], &[s.leaf(2, "auth")], "auth", "/ocsp/auth");
    assert!(
        text.contains("revoked") && text.contains("Reason: certificateHold"),
        "{text}"
    );

    // A serial of our CA that is in no certificate: unknown.
    let (_, text) = openssl(&[
        "ocsp",
        "-issuer",
        p(&s.ca_sign),
        "-serial",
        "0x7ffffff0",
        "-url",
        &format!("{}/ocsp/sign", s.server.base),
        "-CAfile",
        p(&s.ca_sign),
    ]);
    assert!(
        text.contains("Response verify OK") && text.contains(": unknown"),
        "{text}"
    );
}

#[test]
fn two_cert_ids_sha256_the_shared_endpoint_and_the_vafile() {
    let s = setup();
    s.cli
        .ok(&["revoke", "--card", "2", "--cause", "name_change"]);
    let text = s.ocsp(
        &["-sha256"],
        &[s.leaf(1, "sign"), s.leaf(2, "sign")],
        "sign",
        "/ocsp",
    );
    assert!(text.contains("Response verify OK"), "{text}");
    assert!(text.contains("card1/sign.pem: good"), "{text}");
    assert!(
        text.contains("card2/sign.pem: revoked") && text.contains("affiliationChanged"),
        "{text}"
    );
    // The shared endpoint serves the auth CA too.
    let text = s.ocsp(&[], &[s.leaf(1, "auth")], "auth", "/ocsp");
    assert!(text.contains("auth.pem: good"), "{text}");
    // -VAfile with the responder certificate from a response.
    let response = s.cli.path("resp.der");
    s.ocsp(
        &["-respout", p(&response)],
        &[s.leaf(1, "sign")],
        "sign",
        "/ocsp/sign",
    );
    let (_, printed) = openssl(&["ocsp", "-respin", p(&response), "-resp_text", "-noverify"]);
    let responder_pem = printed
        .split("-----BEGIN CERTIFICATE-----")
        .nth(1)
        .map(|rest| {
            format!(
                "-----BEGIN CERTIFICATE-----{}",
                rest.split("-----END CERTIFICATE-----").next().unwrap()
            ) + "-----END CERTIFICATE-----\n"
        })
        .expect("the responder certificate is in the response");
    let responder = s.cli.write("responder.pem", &responder_pem);
    let (_, text) = openssl(&[
        "ocsp",
        "-issuer",
        p(&s.ca_sign),
        "-cert",
        &s.leaf(1, "sign"),
        "-url",
        &format!("{}/ocsp/sign", s.server.base),
        "-VAfile",
        p(&responder),
    ]);
    assert!(
        text.contains("Response verify OK") && text.contains(": good"),
        "{text}"
    );
    // A CertID of the auth CA at the sign endpoint: unauthorized.
    let text = s.ocsp(&[], &[s.leaf(1, "auth")], "auth", "/ocsp/sign");
    assert!(text.contains("Responder Error: unauthorized (6)"), "{text}");
}

#[test]
fn get_requests_raw_and_escaped_with_rfc5019_headers() {
    let s = setup();
    let request = s.cli.path("req.der");
    openssl(&[
        "ocsp",
        "-no_nonce",
        "-issuer",
        p(&s.ca_sign),
        "-cert",
        &s.leaf(1, "sign"),
        "-reqout",
        p(&request),
    ]);
    let der = std::fs::read(&request).unwrap();
    let b64 = base64::engine::general_purpose::STANDARD.encode(&der);
    let escaped: String =
        percent_encoding::utf8_percent_encode(&b64, percent_encoding::NON_ALPHANUMERIC).collect();
    let client = reqwest::blocking::Client::new();
    let mut etags = Vec::new();
    for path in [
        format!("/ocsp/sign/{b64}"),
        format!("/ocsp/sign/{escaped}"),
        format!("/ocsp/{escaped}"),
    ] {
        // reqwest keeps the path as given: raw `+`, `/` and `=` arrive raw.
        let response = client
            .get(format!("{}{path}", s.server.base))
            .send()
            .unwrap();
        assert_eq!(response.status(), 200, "{path}");
        let headers = response.headers().clone();
        assert_eq!(headers["content-type"], "application/ocsp-response");
        let cache = headers["cache-control"].to_str().unwrap();
        assert!(
            cache.starts_with("max-age=")
                && cache.ends_with(", public, no-transform, must-revalidate"),
            "{cache}"
        );
        for name in ["last-modified", "expires", "etag"] {
            assert!(headers.contains_key(name), "{name}");
        }
        etags.push(headers["etag"].to_str().unwrap().to_string());
        let body = response.bytes().unwrap();
        let saved = s.cli.path("resp-get.der");
        std::fs::write(&saved, &body).unwrap();
        let (_, text) = openssl(&[
            "ocsp",
            "-respin",
            p(&saved),
            "-issuer",
            p(&s.ca_sign),
            "-cert",
            &s.leaf(1, "sign"),
            "-CAfile",
            p(&s.ca_sign),
            "-no_nonce",
        ]);
        assert!(
            text.contains("Response verify OK") && text.contains(": good"),
            "{path}: {text}"
        );
    }
    assert_eq!(etags[0], etags[1], "the same cached response");
    let not_modified = client
        .get(format!("{}/ocsp/sign/{escaped}", s.server.base))
        .header("if-none-match", &etags[0])
        .send()
        .unwrap();
    assert_eq!(not_modified.status(), 304);

    // A revocation from another process invalidates the cached answer at once.
    s.cli.ok(&["revoke", "--card", "1", "--cause", "leak"]);
    let body = client
        .get(format!("{}/ocsp/sign/{escaped}", s.server.base))
        .send()
        .unwrap()
        .bytes()
        .unwrap();
    let saved = s.cli.path("resp-after.der");
    std::fs::write(&saved, &body).unwrap();
    let (_, text) = openssl(&[
        "ocsp",
        "-respin",
        p(&saved),
        "-issuer",
        p(&s.ca_sign),
        "-cert",
        &s.leaf(1, "sign"),
        "-CAfile",
        p(&s.ca_sign),
        "-no_nonce",
    ]);
    assert!(
        text.contains(": revoked") && text.contains("keyCompromise"),
        "{text}"
    );
}

#[test]
fn status_after_renewal() {
    let s = setup();
    let before = s.ocsp(&[], &[s.leaf(1, "sign")], "sign", "/ocsp/sign");
    assert!(before.contains(": good"));
    // Move the clock into the renewal window of certificates issued now (5th birthday).
    let card = s.cli.json(&["show", "card", "1"]);
    let first_day = card["certificates"][0]["renewal_window"][0]
        .as_str()
        .unwrap()
        .to_string();
    let renewed = s.cli.json(&[
        "--now", &first_day, "renew", "--card", "1", "--certs", "sign",
    ]);
    std::fs::write(
        s.cli.path("renewed.pem"),
        renewed["sign"]["cert_pem"].as_str().unwrap(),
    )
    .unwrap();
    let text = s.ocsp(&[], &[s.leaf(1, "sign")], "sign", "/ocsp/sign");
    assert!(
        text.contains(": revoked") && text.contains("Reason: superseded"),
        "{text}"
    );
    let text = s.ocsp(
        &[],
        &[p(&s.cli.path("renewed.pem")).to_string()],
        "sign",
        "/ocsp/sign",
    );
    assert!(text.contains(": good"), "{text}");
}

#[test]
fn a_second_implementation_verifies_the_signature_and_the_responder() {
    let s = setup();
    let request = s.cli.path("req.der");
    openssl(&[
        "ocsp",
        "-issuer",
        p(&s.ca_sign),
        "-cert",
        &s.leaf(1, "sign"),
        "-reqout",
        p(&request),
    ]);
    let der = std::fs::read(&request).unwrap();
    let response = reqwest::blocking::Client::new()
        .post(format!("{}/ocsp/sign", s.server.base))
        .header("content-type", "application/ocsp-request")
        .body(der.clone())
        .send()
        .unwrap()
        .bytes()
        .unwrap();
    let response = x509_ocsp::OcspResponse::from_der(&response).unwrap();
    assert_eq!(
        response.response_status,
        x509_ocsp::OcspResponseStatus::Successful
    );
    let bytes = response.response_bytes.unwrap();
    assert_eq!(bytes.response_type.to_string(), "1.3.6.1.5.5.7.48.1.1");
    let basic = x509_ocsp::BasicOcspResponse::from_der(bytes.response.as_bytes()).unwrap();
    let certs = basic.certs.clone().unwrap();
    assert_eq!(certs.len(), 1, "the responder certificate only");
    let responder = &certs[0];

    // The signature over ResponseData verifies with the responder's RSA key.
    let tbs = basic.tbs_response_data.to_der().unwrap();
    let key = responder
        .tbs_certificate
        .subject_public_key_info
        .subject_public_key
        .raw_bytes();
    assert_eq!(
        basic.signature_algorithm.oid.to_string(),
        "1.2.840.113549.1.1.11"
    );
    aws_lc_rs::signature::UnparsedPublicKey::new(
        &aws_lc_rs::signature::RSA_PKCS1_2048_8192_SHA256,
        key,
    )
    .verify(&tbs, basic.signature.raw_bytes())
    .expect("the response signature verifies");

    // responderID byKey = SHA-1 of the responder key.
    use sha1::Digest;
    match &basic.tbs_response_data.responder_id {
        x509_ocsp::ResponderId::ByKey(hash) => {
            assert_eq!(hash.as_bytes(), &sha1::Sha1::digest(key)[..])
        }
        other => panic!("{other:?}"),
    }
    // The responder: issued by the sign CA, EKU OCSPSigning, ocsp-nocheck.
    let ca_pem = std::fs::read_to_string(&s.ca_sign).unwrap();
    let ca = x509_cert::Certificate::from_der(::pem::parse(ca_pem).unwrap().contents()).unwrap();
    assert_eq!(responder.tbs_certificate.issuer, ca.tbs_certificate.subject);
    let ca_key = ca
        .tbs_certificate
        .subject_public_key_info
        .subject_public_key
        .raw_bytes();
    aws_lc_rs::signature::UnparsedPublicKey::new(
        &aws_lc_rs::signature::RSA_PKCS1_2048_8192_SHA256,
        ca_key,
    )
    .verify(
        &responder.tbs_certificate.to_der().unwrap(),
        responder.signature.raw_bytes(),
    )
    .expect("the CA signed the responder certificate");
    let extensions = responder.tbs_certificate.extensions.clone().unwrap();
    let ids: Vec<String> = extensions.iter().map(|e| e.extn_id.to_string()).collect();
    assert!(
        ids.contains(&"1.3.6.1.5.5.7.48.1.5".to_string()),
        "ocsp-nocheck: {ids:?}"
    );
    let eku = extensions
        .iter()
        .find(|e| e.extn_id.to_string() == "2.5.29.37")
        .unwrap();
    assert!(
        eku.extn_value
            .as_bytes()
            .windows(8)
            .any(|w| w == [0x2b, 6, 1, 5, 5, 7, 3, 9]),
        "id-kp-OCSPSigning"
    );

    // The CertID is echoed byte for byte, and the nonce too.
    let request = x509_ocsp::OcspRequest::from_der(&der).unwrap();
    let asked = request.tbs_request.request_list[0]
        .req_cert
        .to_der()
        .unwrap();
    let answered = basic.tbs_response_data.responses[0]
        .cert_id
        .to_der()
        .unwrap();
    assert_eq!(asked, answered);
    let nonce_in = request.tbs_request.request_extensions.unwrap()[0].clone();
    let nonce_out = basic.tbs_response_data.response_extensions.unwrap()[0].clone();
    assert_eq!(nonce_in.to_der().unwrap(), nonce_out.to_der().unwrap());
    assert!(!nonce_out.critical);
    let single = &basic.tbs_response_data.responses[0];
    assert!(single.next_update.is_some());
}
