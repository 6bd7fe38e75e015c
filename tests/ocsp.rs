//! The OCSP responder against real clients over TCP: `openssl ocsp` (good, revoked
//! with the reason, unknown, nonces, SHA-256 CertIDs, several CertIDs, the shared
//! endpoint, an unauthorized CertID of our other CA, stored GET responses, requests
//! made by openssl), RFC 5019 GET caching headers, a second implementation (x509-ocsp,
//! x509-parser and aws-lc-rs) checking the signature, the responder and the echoed
//! CertID and nonce, bad input, a revocation by the CLI in another process while the
//! binary serves, renewal, and cached answers.

mod support;

use base64::Engine;
use der::{Decode, Encode};
use serde_json::{json, Value};
use sha1::Digest;
use support::{
    cert_id_raw, etag_of, from_pem, holder, http_date, instant, ocsp_request, openssl, parse_ocsp,
    rfc3339, rsa_sha256_verifies, statuses, to_pem, today_jst, Binary, Client, InProcess,
    IssuerHashes, Reply, Scratch,
};
use x509_ocsp::{CertStatus, OcspResponseStatus, ResponderId};

/// A server with cards issued now (the CAs and responders are RSA).
struct Setup {
    s: Scratch,
    c: Client,
    cards: Vec<Value>,
    // Kept alive for the test.
    _server: Running,
}

/// The server a test talks to over TCP.
enum Running {
    InProcess(InProcess),
    Binary(Binary),
}

/// Issues one card per key algorithm in `card_keys` (card 1 first) through the admin
/// API and writes their certificates, the CA certificates and the responder
/// certificates to the scratch directory.
fn setup_with(server: Running, s: Scratch, card_keys: &[&str]) -> Setup {
    let c = match &server {
        Running::InProcess(p) => p.client(),
        Running::Binary(b) => b.client(),
    };
    let cards: Vec<Value> = card_keys.iter().map(|alg| c.issue(holder(alg))).collect();
    for (i, card) in cards.iter().enumerate() {
        for kind in ["sign", "auth"] {
            s.write(
                &format!("card{}/{kind}.pem", i + 1),
                card[kind]["cert_pem"].as_str().unwrap(),
            );
        }
    }
    let setup = Setup {
        s,
        c,
        cards,
        _server: server,
    };
    for kind in ["sign", "auth"] {
        let ca = setup.c.get(&format!("/ca/{kind}.cer")).body;
        setup
            .s
            .write(&format!("ca-{kind}.pem"), to_pem("CERTIFICATE", &ca));
        setup.write_responder(kind);
    }
    setup
}

/// An in-process server (`TestCa` on SQLite) with `cards` cards issued now (P-256 card
/// keys).
fn setup(cards: usize) -> Setup {
    setup_keys(&vec!["p256"; cards])
}

/// An in-process server with one card per key algorithm, issued now.
fn setup_keys(card_keys: &[&str]) -> Setup {
    let s = Scratch::new();
    let server = InProcess::start(&s.state(), None, None);
    setup_with(Running::InProcess(server), s, card_keys)
}

impl Setup {
    fn path(&self, name: &str) -> String {
        self.s.path(name).to_str().unwrap().to_string()
    }

    fn leaf(&self, card: usize, kind: &str) -> String {
        self.path(&format!("card{card}/{kind}.pem"))
    }

    fn serial(&self, card: usize, kind: &str) -> u32 {
        u32::try_from(self.cards[card - 1][kind]["serial"].as_u64().unwrap()).unwrap()
    }

    fn ca_der(&self, kind: &str) -> Vec<u8> {
        from_pem(&std::fs::read_to_string(self.path(&format!("ca-{kind}.pem"))).unwrap())
    }

    fn hashes(&self, kind: &str) -> IssuerHashes {
        IssuerHashes::of(&self.ca_der(kind))
    }

    /// A SHA-1 CertID (NULL parameters) of a card's certificate.
    fn cert_id(&self, card: usize, kind: &str) -> x509_ocsp::CertId {
        self.hashes(kind)
            .cert_id(false, self.serial(card, kind), true)
    }

    /// Asks for card 1's certificate and saves the responder certificate the response
    /// carries as `responder-KIND.pem`.
    fn write_responder(&self, kind: &str) {
        let reply = self.c.ocsp_post(
            &format!("/ocsp/{kind}"),
            &ocsp_request(&[self.cert_id(1, kind)], None),
        );
        let parsed = parse_ocsp(&reply.body);
        let certs = parsed.basic.unwrap().certs.expect("certs in the response");
        assert_eq!(certs.len(), 1, "certs holds the responder certificate only");
        self.s.write(
            &format!("responder-{kind}.pem"),
            to_pem("CERTIFICATE", &certs[0].to_der().unwrap()),
        );
    }

    /// `openssl ocsp`: `options` first (e.g. -sha256 must precede -cert), then the
    /// issuer, the certificates, the URL and the trust option (`-VAfile` responder, or
    /// `-CAfile` CA).
    fn openssl_ocsp(
        &self,
        kind: &str,
        options: &[&str],
        certs: &[String],
        path: &str,
        trust_ca: bool,
    ) -> (bool, String) {
        let ca = self.path(&format!("ca-{kind}.pem"));
        let responder = self.path(&format!("responder-{kind}.pem"));
        let url = format!("{}{path}", self.c.base());
        let mut args: Vec<&str> = vec!["ocsp"];
        args.extend(options);
        args.extend(["-issuer", &ca]);
        for cert in certs {
            args.extend(["-cert", cert.as_str()]);
        }
        args.extend(["-url", &url]);
        if trust_ca {
            args.extend(["-CAfile", &ca]);
        } else {
            args.extend(["-VAfile", &responder]);
        }
        openssl(&args)
    }
}

/// The status openssl prints for `name`, and the reason if revoked.
fn openssl_status(text: &str, name: &str) -> (String, Option<String>) {
    let prefix = format!("{name}: ");
    let mut lines = text.lines().skip_while(|l| !l.starts_with(&prefix));
    let status = lines
        .next()
        .unwrap_or_else(|| panic!("no status for {name} in:\n{text}"))[prefix.len()..]
        .trim()
        .to_string();
    let reason = lines
        .take_while(|l| l.starts_with('\t') || l.starts_with(' '))
        .find_map(|l| l.trim().strip_prefix("Reason: ").map(str::to_string));
    (status, reason)
}

/// Asserts openssl verified the response and reported `status` (and `reason`).
fn assert_openssl(result: (bool, String), name: &str, status: &str, reason: Option<&str>) {
    let (ok, text) = result;
    assert!(ok, "{text}");
    assert!(text.contains("Response verify OK"), "{text}");
    assert!(!text.contains("WARNING"), "{text}");
    assert_eq!(
        openssl_status(&text, name),
        (status.to_string(), reason.map(str::to_string)),
        "{text}"
    );
}

fn ocsp_status(reply: &Reply) -> OcspResponseStatus {
    assert_eq!(reply.status, 200, "{}", reply.text());
    assert_eq!(
        reply.header("content-type"),
        Some("application/ocsp-response")
    );
    parse_ocsp(&reply.body).status
}

fn unix(t: &x509_ocsp::OcspGeneralizedTime) -> i64 {
    i64::try_from(t.0.to_unix_duration().as_secs()).unwrap()
}

#[test]
fn openssl_sees_good_and_revoked_with_the_reason_trusting_the_responder_or_the_ca() {
    // Card 1 has RSA keys, cards 2 and 3 P-256 keys.
    let t = setup_keys(&["rsa2048", "p256", "p256"]);
    for kind in ["sign", "auth"] {
        for trust_ca in [false, true] {
            let result = t.openssl_ocsp(
                kind,
                &[],
                &[t.leaf(1, kind)],
                &format!("/ocsp/{kind}"),
                trust_ca,
            );
            assert_openssl(result, &t.leaf(1, kind), "good", None);
        }
    }

    let lost = t.c.event(1, json!({"cause": "lost"}));
    t.c.event(2, json!({"cause": "address_change"}));
    let cases = [
        (1, "sign", "revoked", Some("certificateHold")),
        (1, "auth", "revoked", Some("certificateHold")),
        (2, "sign", "revoked", Some("affiliationChanged")),
        (2, "auth", "good", None),
        (3, "sign", "good", None),
        (3, "auth", "good", None),
    ];
    for (card, kind, status, reason) in cases {
        for trust_ca in [false, true] {
            let result = t.openssl_ocsp(
                kind,
                &[],
                &[t.leaf(card, kind)],
                &format!("/ocsp/{kind}"),
                trust_ca,
            );
            assert_openssl(result, &t.leaf(card, kind), status, reason);
        }
    }

    // The revocation time is the event's.
    let reply =
        t.c.ocsp_post("/ocsp/sign", &ocsp_request(&[t.cert_id(1, "sign")], None));
    let basic = parse_ocsp(&reply.body).basic.unwrap();
    let CertStatus::Revoked(info) = &basic.tbs_response_data.responses[0].cert_status else {
        panic!("not revoked");
    };
    assert_eq!(
        unix(&info.revocation_time),
        instant(lost["revoked"][0]["revoked_at"].as_str().unwrap()).unix_timestamp()
    );
}

#[test]
fn a_serial_of_our_ca_that_is_not_in_the_state_is_unknown() {
    let t = setup(1);
    // openssl builds the CertID from the issuer and a bare serial; it verifies the
    // answer trusting the responder, or the CA.
    for trust in ["-VAfile", "-CAfile"] {
        let trusted = if trust == "-VAfile" {
            t.path("responder-sign.pem")
        } else {
            t.path("ca-sign.pem")
        };
        let (ok, text) = openssl(&[
            "ocsp",
            "-issuer",
            &t.path("ca-sign.pem"),
            "-serial",
            "0x76543210",
            "-url",
            &format!("{}/ocsp/sign", t.c.base()),
            trust,
            &trusted,
        ]);
        assert!(ok, "{trust}: {text}");
        assert!(text.contains("Response verify OK"), "{trust}: {text}");
        assert!(!text.contains("WARNING"), "{trust}: {text}");
        assert_eq!(
            openssl_status(&text, "0x76543210").0,
            "unknown",
            "{trust}: {text}"
        );
    }

    let hashes = t.hashes("sign");
    for sha256 in [false, true] {
        let id = hashes.cert_id(sha256, 0x7654_3210, true);
        for path in ["/ocsp/sign", "/ocsp"] {
            let reply =
                t.c.ocsp_post(path, &ocsp_request(std::slice::from_ref(&id), None));
            assert_eq!(ocsp_status(&reply), OcspResponseStatus::Successful);
            assert_eq!(statuses(&reply.body), ["unknown"], "{path}");
            let basic = parse_ocsp(&reply.body).basic.unwrap();
            assert_eq!(basic.tbs_response_data.responses[0].cert_id, id);
        }
    }
    // The auth certificate's serial under the sign CA's name is not ours either.
    let id = hashes.cert_id(false, t.serial(1, "auth"), true);
    let reply = t.c.ocsp_post("/ocsp/sign", &ocsp_request(&[id], None));
    assert_eq!(statuses(&reply.body), ["unknown"]);
}

#[test]
fn the_nonce_is_echoed_and_requests_without_one_are_answered() {
    let t = setup(1);
    for kind in ["sign", "auth"] {
        // openssl sends a nonce by default and warns if it does not come back.
        let result = t.openssl_ocsp(
            kind,
            &[],
            &[t.leaf(1, kind)],
            &format!("/ocsp/{kind}"),
            false,
        );
        assert_openssl(result, &t.leaf(1, kind), "good", None);
        let result = t.openssl_ocsp(
            kind,
            &["-no_nonce"],
            &[t.leaf(1, kind)],
            &format!("/ocsp/{kind}"),
            false,
        );
        assert_openssl(result, &t.leaf(1, kind), "good", None);
    }

    for length in [1usize, 16, 32, 128] {
        let nonce: Vec<u8> = (0..length).map(|i| (i * 7 + 3) as u8).collect();
        let request = ocsp_request(&[t.cert_id(1, "sign")], Some(&nonce));
        let reply = t.c.ocsp_post("/ocsp/sign", &request);
        assert_eq!(ocsp_status(&reply), OcspResponseStatus::Successful);
        let basic = parse_ocsp(&reply.body).basic.unwrap();
        let extensions = basic
            .tbs_response_data
            .response_extensions
            .expect("the nonce is echoed");
        assert_eq!(extensions.len(), 1, "only the nonce");
        let sent = support::nonce_extension(&nonce);
        assert_eq!(extensions[0].extn_id, sent.extn_id);
        assert!(!extensions[0].critical);
        assert_eq!(
            extensions[0].extn_value.as_bytes(),
            sent.extn_value.as_bytes(),
            "nonce of {length} bytes"
        );
    }
    let reply =
        t.c.ocsp_post("/ocsp/sign", &ocsp_request(&[t.cert_id(1, "sign")], None));
    let basic = parse_ocsp(&reply.body).basic.unwrap();
    assert!(basic.tbs_response_data.response_extensions.is_none());
}

#[test]
fn sha256_cert_ids_several_cert_ids_and_the_shared_endpoint() {
    let t = setup(3);
    t.c.event(1, json!({"cause": "stolen"}));
    t.c.event(2, json!({"cause": "name_change"}));

    // -sha256 must come before -cert.
    for kind in ["sign", "auth"] {
        for (card, status, reason) in [(1, "revoked", Some("keyCompromise")), (3, "good", None)] {
            let result = t.openssl_ocsp(
                kind,
                &["-sha256"],
                &[t.leaf(card, kind)],
                &format!("/ocsp/{kind}"),
                false,
            );
            assert_openssl(result, &t.leaf(card, kind), status, reason);
        }
    }
    // Two SHA-256 CertIDs in one request to the shared endpoint, trusting the CA.
    let (ok, text) = t.openssl_ocsp(
        "sign",
        &["-sha256"],
        &[t.leaf(2, "sign"), t.leaf(3, "sign")],
        "/ocsp",
        true,
    );
    assert!(ok && text.contains("Response verify OK"), "{text}");
    assert!(!text.contains("WARNING"), "{text}");
    assert_eq!(
        openssl_status(&text, &t.leaf(2, "sign")),
        (
            "revoked".to_string(),
            Some("affiliationChanged".to_string())
        ),
        "{text}"
    );
    assert_eq!(
        openssl_status(&text, &t.leaf(3, "sign")).0,
        "good",
        "{text}"
    );
    // A name change keeps the auth certificate.
    let result = t.openssl_ocsp("auth", &[], &[t.leaf(2, "auth")], "/ocsp", true);
    assert_openssl(result, &t.leaf(2, "auth"), "good", None);
    let id = t.hashes("sign").cert_id(true, t.serial(2, "sign"), true);
    let reply =
        t.c.ocsp_post("/ocsp/sign", &ocsp_request(std::slice::from_ref(&id), None));
    let basic = parse_ocsp(&reply.body).basic.unwrap();
    assert_eq!(basic.tbs_response_data.responses[0].cert_id, id);
    assert_eq!(
        basic.tbs_response_data.responses[0]
            .cert_id
            .hash_algorithm
            .oid
            .to_string(),
        support::SHA256_OID
    );

    // Two -cert in one request: two answers.
    let (ok, text) = t.openssl_ocsp(
        "sign",
        &[],
        &[t.leaf(1, "sign"), t.leaf(3, "sign")],
        "/ocsp/sign",
        false,
    );
    assert!(ok && text.contains("Response verify OK"), "{text}");
    assert_eq!(
        openssl_status(&text, &t.leaf(1, "sign")),
        ("revoked".to_string(), Some("keyCompromise".to_string())),
        "{text}"
    );
    assert_eq!(
        openssl_status(&text, &t.leaf(3, "sign")).0,
        "good",
        "{text}"
    );

    // Three CertIDs, mixed hashes: answers in order, each CertID echoed.
    let hashes = t.hashes("auth");
    let ids = [
        hashes.cert_id(false, t.serial(1, "auth"), true),
        hashes.cert_id(true, 0x7654_3210, true),
        hashes.cert_id(true, t.serial(3, "auth"), false),
    ];
    let reply = t.c.ocsp_post("/ocsp/auth", &ocsp_request(&ids, None));
    assert_eq!(
        statuses(&reply.body),
        ["revoked:KeyCompromise", "unknown", "good"]
    );
    let basic = parse_ocsp(&reply.body).basic.unwrap();
    let echoed: Vec<_> = basic
        .tbs_response_data
        .responses
        .iter()
        .map(|r| r.cert_id.clone())
        .collect();
    assert_eq!(echoed, ids);

    // The shared endpoint answers for both CAs, each signed by its own responder.
    for kind in ["sign", "auth"] {
        for card in [1, 3] {
            let result = t.openssl_ocsp(kind, &[], &[t.leaf(card, kind)], "/ocsp", false);
            let (status, reason) = if card == 1 {
                ("revoked", Some("keyCompromise"))
            } else {
                ("good", None)
            };
            assert_openssl(result, &t.leaf(card, kind), status, reason);
        }
        let reply =
            t.c.ocsp_post("/ocsp", &ocsp_request(&[t.cert_id(3, kind)], None));
        let basic = parse_ocsp(&reply.body).basic.unwrap();
        let responder =
            from_pem(&std::fs::read_to_string(t.path(&format!("responder-{kind}.pem"))).unwrap());
        assert_eq!(
            basic.certs.unwrap()[0].to_der().unwrap(),
            responder,
            "{kind}"
        );

        // openssl finds the same responder certificate in a response it saved.
        let saved = t.path(&format!("resp-{kind}.der"));
        let result = t.openssl_ocsp(
            kind,
            &["-respout", &saved],
            &[t.leaf(3, kind)],
            &format!("/ocsp/{kind}"),
            true,
        );
        assert_openssl(result, &t.leaf(3, kind), "good", None);
        let (ok, printed) = openssl(&["ocsp", "-respin", &saved, "-resp_text", "-noverify"]);
        assert!(ok, "{printed}");
        assert!(
            printed.contains("-----BEGIN CERTIFICATE-----"),
            "the responder certificate is in the response: {printed}"
        );
        assert_eq!(from_pem(&printed), responder, "{kind}: {printed}");
    }

    // A CertID of the auth CA at the sign endpoint: unauthorized, as openssl sees it.
    let (_, text) = t.openssl_ocsp("auth", &[], &[t.leaf(3, "auth")], "/ocsp/sign", true);
    assert!(text.contains("Responder Error: unauthorized (6)"), "{text}");
}

/// A SHA-1 request for `id` whose base64 holds `+`, `//` and `=` (found by varying the
/// nonce), with that base64.
fn request_with_awkward_base64(id: &x509_ocsp::CertId) -> (Vec<u8>, String) {
    for n in 0u32..100_000 {
        // The length decides the padding, the bytes decide + and /.
        let pad = vec![b'.'; (n % 3) as usize];
        // Hashing n varies every byte of the nonce, so the search ends quickly
        // whatever the (random) CA key makes of the CertID's base64.
        let varied = <sha2::Sha256 as sha2::Digest>::digest(n.to_be_bytes());
        let nonce = [&varied[..24], b"jpki-mock".as_slice(), &pad].concat();
        let der = ocsp_request(std::slice::from_ref(id), Some(&nonce));
        let text = base64::engine::general_purpose::STANDARD.encode(&der);
        if text.contains('+') && text.contains("//") && text.ends_with('=') {
            return (der, text);
        }
    }
    panic!("no nonce gives +, // and = in the base64");
}

fn escape(b64: &str) -> String {
    b64.replace('+', "%2B")
        .replace('/', "%2F")
        .replace('=', "%3D")
}

#[test]
fn get_with_the_request_in_the_path_raw_and_escaped_verifies_with_openssl_respin() {
    let t = setup(2);
    t.c.event(2, json!({"cause": "lost"}));
    for (card, kind, status, reason) in [
        (1, "sign", "good", None),
        (1, "auth", "good", None),
        (2, "sign", "revoked", Some("certificateHold")),
    ] {
        let (_, b64) = request_with_awkward_base64(&t.cert_id(card, kind));
        let plain = base64::engine::general_purpose::STANDARD
            .encode(ocsp_request(&[t.cert_id(card, kind)], None));
        for (i, path) in [
            format!("/ocsp/{kind}/{b64}"),
            format!("/ocsp/{kind}/{}", escape(&b64)),
            format!("/ocsp/{b64}"),
            format!("/ocsp/{}", escape(&b64)),
            format!("/ocsp/{kind}/{plain}"),
            format!("/ocsp/{}", escape(&plain)),
        ]
        .iter()
        .enumerate()
        {
            // The client sends the path as written (+, / and = unescaped).
            let url = reqwest::Url::parse(&format!("{}{path}", t.c.base())).unwrap();
            assert_eq!(url.path(), path.as_str());
            let reply = t.c.get(path);
            assert_eq!(
                ocsp_status(&reply),
                OcspResponseStatus::Successful,
                "{path}"
            );
            let file =
                t.s.write(&format!("resp-{card}-{kind}-{i}.der"), &reply.body);
            let result = openssl(&[
                "ocsp",
                "-respin",
                &file,
                "-issuer",
                &t.path(&format!("ca-{kind}.pem")),
                "-cert",
                &t.leaf(card, kind),
                "-VAfile",
                &t.path(&format!("responder-{kind}.pem")),
                "-no_nonce",
            ]);
            assert_openssl(result, &t.leaf(card, kind), status, reason);
        }
    }

    // A request made by openssl itself (no nonce), sent raw and escaped, to the sign
    // endpoint and the shared one: the raw and the escaped path get the same cached
    // response, and openssl verifies each trusting the CA.
    let request = t.path("req-openssl.der");
    let (ok, text) = openssl(&[
        "ocsp",
        "-no_nonce",
        "-issuer",
        &t.path("ca-sign.pem"),
        "-cert",
        &t.leaf(1, "sign"),
        "-reqout",
        &request,
    ]);
    assert!(ok, "{text}");
    let b64 = base64::engine::general_purpose::STANDARD.encode(std::fs::read(&request).unwrap());
    let mut etags = Vec::new();
    for (i, path) in [
        format!("/ocsp/sign/{b64}"),
        format!("/ocsp/sign/{}", escape(&b64)),
        format!("/ocsp/{}", escape(&b64)),
    ]
    .iter()
    .enumerate()
    {
        let reply = t.c.get(path);
        assert_eq!(
            ocsp_status(&reply),
            OcspResponseStatus::Successful,
            "{path}"
        );
        etags.push(reply.header("etag").expect("an ETag").to_string());
        let file = t.s.write(&format!("resp-openssl-{i}.der"), &reply.body);
        let result = openssl(&[
            "ocsp",
            "-respin",
            &file,
            "-issuer",
            &t.path("ca-sign.pem"),
            "-cert",
            &t.leaf(1, "sign"),
            "-CAfile",
            &t.path("ca-sign.pem"),
            "-no_nonce",
        ]);
        assert_openssl(result, &t.leaf(1, "sign"), "good", None);
    }
    assert_eq!(
        etags[0], etags[1],
        "raw and escaped: the same cached response"
    );
}

#[test]
fn get_responses_carry_rfc5019_cache_headers_and_answer_304() {
    let s = Scratch::new();
    let server = InProcess::start(&s.state(), None, Some(instant("2026-01-01")));
    let c = server.client();
    c.set_clock("2026-03-04T05:06:07Z");
    let card = c.issue(holder("p256"));
    let ca = c.get("/ca/sign.cer").body;
    let serial = u32::try_from(card["sign"]["serial"].as_u64().unwrap()).unwrap();
    let request = ocsp_request(&[IssuerHashes::of(&ca).cert_id(false, serial, true)], None);
    let path = format!(
        "/ocsp/sign/{}",
        base64::engine::general_purpose::STANDARD.encode(&request)
    );

    let check = |reply: &Reply, now: &str| {
        assert_eq!(reply.status, 200, "{}", reply.text());
        assert_eq!(
            reply.header("content-type"),
            Some("application/ocsp-response")
        );
        let basic = parse_ocsp(&reply.body).basic.unwrap();
        let single = &basic.tbs_response_data.responses[0];
        let this_update = unix(&single.this_update);
        let next_update = unix(single.next_update.as_ref().expect("a nextUpdate"));
        assert_eq!(next_update - this_update, 86_400);
        let now = instant(now).unix_timestamp();
        assert!(this_update <= now && now < next_update);
        assert_eq!(
            reply.header("cache-control").map(str::to_string),
            Some(format!(
                "max-age={}, public, no-transform, must-revalidate",
                next_update - now
            ))
        );
        let at = |t: i64| http_date(time::OffsetDateTime::from_unix_timestamp(t).unwrap());
        assert_eq!(
            reply.header("last-modified").map(str::to_string),
            Some(at(this_update))
        );
        assert_eq!(
            reply.header("expires").map(str::to_string),
            Some(at(next_update))
        );
        assert_eq!(
            reply.header("etag").map(str::to_string),
            Some(etag_of(&reply.body))
        );
    };

    let first = c.get(&path);
    check(&first, "2026-03-04T05:06:07Z");
    // The exact values at the fixed clock.
    assert_eq!(
        first.header("cache-control"),
        Some("max-age=86400, public, no-transform, must-revalidate")
    );
    assert_eq!(
        first.header("last-modified"),
        Some("Wed, 04 Mar 2026 05:06:07 GMT")
    );
    assert_eq!(
        first.header("expires"),
        Some("Thu, 05 Mar 2026 05:06:07 GMT")
    );
    let etag = first.header("etag").unwrap().to_string();

    let not_modified = c.get_with(&path, &[("if-none-match", &etag)]);
    assert_eq!(not_modified.status, 304);
    assert!(not_modified.body.is_empty());
    assert_eq!(not_modified.header("etag"), Some(etag.as_str()));
    let other = c.get_with(&path, &[("if-none-match", "\"nope\"")]);
    check(&other, "2026-03-04T05:06:07Z");

    // An hour later the headers still agree with the body and the clock.
    c.set_clock("2026-03-04T06:06:07Z");
    let later = c.get(&path);
    check(&later, "2026-03-04T06:06:07Z");

    // The same request by POST: the same content type, a successful answer.
    let posted = c.ocsp_post("/ocsp/sign", &request);
    assert_eq!(ocsp_status(&posted), OcspResponseStatus::Successful);
    assert_eq!(statuses(&posted.body), ["good"]);
}

#[test]
fn a_second_implementation_verifies_the_signature_the_responder_and_the_echoed_cert_id() {
    let s = Scratch::new();
    let server = InProcess::start(&s.state(), None, Some(instant("2026-01-01")));
    let c = server.client();
    let now = "2026-03-04T05:06:07Z";
    c.set_clock(now);
    let card = c.issue(holder("p256"));
    for kind in ["sign", "auth"] {
        let ca_der = c.get(&format!("/ca/{kind}.cer")).body;
        let (_, ca) = x509_parser::parse_x509_certificate(&ca_der).unwrap();
        let serial = u32::try_from(card[kind]["serial"].as_u64().unwrap()).unwrap();
        let hashes = IssuerHashes::of(&ca_der);
        // Without NULL hash parameters (not openssl's form): echoed as sent.
        for (sha256, null_params) in [(false, true), (false, false), (true, true), (true, false)] {
            let id = hashes.cert_id(sha256, serial, null_params);
            let id_der = id.to_der().unwrap();
            let reply = c.ocsp_post(
                &format!("/ocsp/{kind}"),
                &ocsp_request(std::slice::from_ref(&id), Some(b"0123456789abcdef")),
            );
            let parsed = parse_ocsp(&reply.body);
            assert_eq!(parsed.status, OcspResponseStatus::Successful);
            let basic = parsed.basic.unwrap();
            let tbs_raw = support::first_element(&parsed.basic_der);
            assert_eq!(tbs_raw, basic.tbs_response_data.to_der().unwrap());

            // The CertID comes back byte for byte.
            let echoed = &basic.tbs_response_data.responses[0].cert_id;
            assert_eq!(echoed.to_der().unwrap(), id_der);
            assert!(
                tbs_raw.windows(id_der.len()).any(|w| w == id_der),
                "the request's CertID bytes are in the response"
            );

            // One certificate: the delegated responder, issued by the CA.
            let certs = basic.certs.as_ref().expect("certs");
            assert_eq!(certs.len(), 1);
            let responder_der = certs[0].to_der().unwrap();
            let (_, responder) = x509_parser::parse_x509_certificate(&responder_der).unwrap();
            assert_eq!(responder.issuer().as_raw(), ca.subject().as_raw());
            assert_ne!(responder.raw_serial(), ca.raw_serial());
            assert!(
                rsa_sha256_verifies(
                    &ca.public_key().subject_public_key.data,
                    responder.tbs_certificate.as_ref(),
                    &responder.signature_value.data,
                ),
                "the responder certificate is signed by the {kind} CA"
            );
            let eku = responder
                .extended_key_usage()
                .unwrap()
                .expect("an EKU")
                .value;
            assert!(eku.ocsp_signing);
            assert!(!eku.server_auth && !eku.client_auth && !eku.any);
            let nocheck = responder
                .extensions()
                .iter()
                .find(|e| e.oid.to_id_string() == support::OCSP_NOCHECK)
                .expect("id-pkix-ocsp-nocheck");
            assert!(!nocheck.critical);
            let key_usage = responder.key_usage().unwrap().expect("a key usage").value;
            assert!(key_usage.digital_signature());
            assert!(!key_usage.key_cert_sign());
            let at = instant(now).unix_timestamp();
            assert!(responder.validity().not_before.timestamp() <= at);
            assert!(at < responder.validity().not_after.timestamp());

            // responderID byKey: SHA-1 of the responder's key BIT STRING contents.
            let responder_key = &responder.public_key().subject_public_key.data;
            match &basic.tbs_response_data.responder_id {
                ResponderId::ByKey(hash) => {
                    assert_eq!(hash.as_bytes(), &sha1::Sha1::digest(responder_key)[..])
                }
                other => panic!("responderID is not byKey: {other:?}"),
            }

            // sha256WithRSAEncryption (NULL parameters), verified with the responder key.
            assert_eq!(
                basic.signature_algorithm.oid.to_string(),
                support::SHA256_WITH_RSA
            );
            assert_eq!(
                basic
                    .signature_algorithm
                    .parameters
                    .as_ref()
                    .map(|p| p.to_der().unwrap()),
                Some(vec![0x05, 0x00])
            );
            let signature = basic.signature.as_bytes().unwrap();
            assert!(rsa_sha256_verifies(responder_key, tbs_raw, signature));
            let mut tampered = tbs_raw.to_vec();
            let last = tampered.len() - 1;
            tampered[last] ^= 1;
            assert!(!rsa_sha256_verifies(responder_key, &tampered, signature));

            // Times: producedAt and thisUpdate are now, nextUpdate a day later.
            let data = &basic.tbs_response_data;
            assert_eq!(unix(&data.produced_at), at);
            assert_eq!(unix(&data.responses[0].this_update), at);
            assert_eq!(
                unix(data.responses[0].next_update.as_ref().unwrap()),
                at + 86_400
            );
            assert!(matches!(data.responses[0].cert_status, CertStatus::Good(_)));
        }

        // A request made by openssl (with openssl's nonce): its CertID and its nonce
        // extension come back byte for byte, the nonce non-critical.
        let ca_path = s.write(&format!("ca-{kind}.pem"), to_pem("CERTIFICATE", &ca_der));
        let leaf = s.write(
            &format!("{kind}.pem"),
            card[kind]["cert_pem"].as_str().unwrap(),
        );
        let request_path = s.path(&format!("req-{kind}.der"));
        let (ok, text) = openssl(&[
            "ocsp",
            "-issuer",
            &ca_path,
            "-cert",
            &leaf,
            "-reqout",
            request_path.to_str().unwrap(),
        ]);
        assert!(ok, "{text}");
        let request_der = std::fs::read(&request_path).unwrap();
        let request = x509_ocsp::OcspRequest::from_der(&request_der).unwrap();
        let reply = c.ocsp_post(&format!("/ocsp/{kind}"), &request_der);
        let parsed = parse_ocsp(&reply.body);
        assert_eq!(parsed.status, OcspResponseStatus::Successful);
        let data = parsed.basic.unwrap().tbs_response_data;
        assert_eq!(
            data.responses[0].cert_id.to_der().unwrap(),
            request.tbs_request.request_list[0]
                .req_cert
                .to_der()
                .unwrap()
        );
        let nonce_in = request
            .tbs_request
            .request_extensions
            .expect("openssl sends a nonce");
        let nonce_out = data.response_extensions.expect("the nonce is echoed");
        assert_eq!(nonce_in.len(), 1);
        assert_eq!(nonce_out.len(), 1);
        assert_eq!(nonce_in[0].extn_id.to_string(), support::OCSP_NONCE);
        assert_eq!(
            nonce_out[0].to_der().unwrap(),
            nonce_in[0].to_der().unwrap()
        );
        assert!(!nonce_out[0].critical);
        assert!(data.responses[0].next_update.is_some());
    }
}

#[test]
fn bad_input_gets_the_right_status_and_the_server_keeps_answering() {
    let t = setup(1);
    let good = ocsp_request(&[t.cert_id(1, "sign")], None);
    let hashes = t.hashes("sign");
    let serial = t.serial(1, "sign");
    let malformed = OcspResponseStatus::MalformedRequest;
    let unauthorized = OcspResponseStatus::Unauthorized;

    // After each bad input, /healthz and a real answer.
    let still_answers = |name: &str| {
        assert_eq!(t.c.get("/healthz").status, 200, "/healthz after {name}");
        assert_eq!(
            statuses(&t.c.ocsp_post("/ocsp/sign", &good).body),
            ["good"],
            "after {name}"
        );
    };
    let mut cases: Vec<(String, Reply, Option<OcspResponseStatus>, u16)> = Vec::new();
    let mut post =
        |name: &str, path: &str, body: Vec<u8>, want: Option<OcspResponseStatus>, http: u16| {
            let reply = t.c.ocsp_post(path, &body);
            still_answers(name);
            cases.push((name.to_string(), reply, want, http));
        };
    post("empty body", "/ocsp/sign", Vec::new(), Some(malformed), 200);
    post(
        "100 bytes of 0xff",
        "/ocsp/sign",
        vec![0xff; 100],
        Some(malformed),
        200,
    );
    post(
        "the first 10 bytes of a request",
        "/ocsp/sign",
        good[..10].to_vec(),
        Some(malformed),
        200,
    );
    post(
        "2000 nested indefinite-length SEQUENCEs",
        "/ocsp/sign",
        [[0x30u8, 0x80]; 2000].concat(),
        Some(malformed),
        200,
    );
    post(
        "70 000 bytes of 0x30",
        "/ocsp/sign",
        vec![0x30; 70_000],
        None,
        413,
    );
    post(
        "garbage",
        "/ocsp/sign",
        b"hello, responder".to_vec(),
        Some(malformed),
        200,
    );
    post(
        "empty SEQUENCE",
        "/ocsp",
        vec![0x30, 0x00],
        Some(malformed),
        200,
    );
    post(
        "truncated DER",
        "/ocsp/sign",
        good[..good.len() - 3].to_vec(),
        Some(malformed),
        200,
    );
    post(
        "trailing bytes",
        "/ocsp/sign",
        [good.as_slice(), &[0, 0]].concat(),
        Some(malformed),
        200,
    );
    post(
        "a length over the body",
        "/ocsp/sign",
        vec![0x30, 0x84, 0x7f, 0xff, 0xff, 0xff, 0x30],
        Some(malformed),
        200,
    );
    post(
        "no CertID",
        "/ocsp/sign",
        ocsp_request(&[], None),
        Some(malformed),
        200,
    );
    post(
        "64 KiB of garbage (at the limit)",
        "/ocsp/sign",
        vec![0x41; 64 * 1024],
        Some(malformed),
        200,
    );
    post(
        "a body over 64 KiB",
        "/ocsp/sign",
        vec![0x41; 64 * 1024 + 1],
        None,
        413,
    );
    post(
        "a nonce of 129 bytes",
        "/ocsp/sign",
        ocsp_request(&[t.cert_id(1, "sign")], Some(&[7u8; 129])),
        Some(malformed),
        200,
    );
    post(
        "a CertID of another issuer",
        "/ocsp/sign",
        ocsp_request(
            &[cert_id_raw(
                support::SHA1_OID,
                &[1; 20],
                &[2; 20],
                serial,
                true,
            )],
            None,
        ),
        Some(unauthorized),
        200,
    );
    post(
        "a CertID of another issuer on the shared endpoint",
        "/ocsp",
        ocsp_request(
            &[cert_id_raw(
                support::SHA256_OID,
                &[1; 32],
                &[2; 32],
                serial,
                true,
            )],
            None,
        ),
        Some(unauthorized),
        200,
    );
    post(
        "our name hash with another key hash",
        "/ocsp/sign",
        ocsp_request(
            &[cert_id_raw(
                support::SHA1_OID,
                &hashes.name_sha1,
                &[2; 20],
                serial,
                true,
            )],
            None,
        ),
        Some(unauthorized),
        200,
    );
    post(
        "a SHA-512 CertID",
        "/ocsp/sign",
        ocsp_request(
            &[cert_id_raw(
                support::SHA512_OID,
                &[1; 64],
                &[2; 64],
                serial,
                true,
            )],
            None,
        ),
        Some(malformed),
        200,
    );
    post(
        "a SHA-512 CertID next to a good one",
        "/ocsp/sign",
        ocsp_request(
            &[
                t.cert_id(1, "sign"),
                cert_id_raw(support::SHA512_OID, &[1; 64], &[2; 64], serial, true),
            ],
            None,
        ),
        Some(malformed),
        200,
    );
    for (name, content_type) in [
        ("text/plain", Some("text/plain")),
        ("application/json", Some("application/json")),
        ("no content type", None),
    ] {
        let headers: Vec<(&str, &str)> = content_type
            .map(|ct| vec![("content-type", ct)])
            .unwrap_or_default();
        let reply = t.c.send("POST", "/ocsp/sign", &headers, good.clone());
        still_answers(name);
        cases.push((format!("content type: {name}"), reply, None, 415));
    }
    for (name, path) in [
        ("bad base64", "/ocsp/sign/!!!not*base64!!!"),
        ("base64 of garbage", "/ocsp/sign/aGVsbG8gd29ybGQ="),
        ("bad percent escape", "/ocsp/%ZZ%ZZ"),
        (
            "base64 of a truncated request",
            &*format!(
                "/ocsp/sign/{}",
                base64::engine::general_purpose::STANDARD.encode(&good[..good.len() - 3])
            ),
        ),
    ] {
        let reply = t.c.get(path);
        still_answers(&format!("GET {name}"));
        cases.push((format!("GET {name}"), reply, Some(malformed), 200));
    }

    assert!(!cases.is_empty());
    for (name, reply, want, http) in &cases {
        assert_eq!(reply.status, *http, "{name}: {}", reply.text());
        if let Some(want) = want {
            assert_eq!(
                reply.header("content-type"),
                Some("application/ocsp-response"),
                "{name}"
            );
            assert_eq!(parse_ocsp(&reply.body).status, *want, "{name}");
            assert!(
                parse_ocsp(&reply.body).basic.is_none(),
                "{name}: an error response carries no responseBytes"
            );
        }
    }
    // After all that the server still answers.
    let health = t.c.get("/healthz");
    assert_eq!(health.status, 200);
    let reply = t.c.ocsp_post("/ocsp/sign", &good);
    assert_eq!(statuses(&reply.body), ["good"]);
    // A nonce of exactly 128 bytes is fine.
    let reply = t.c.ocsp_post(
        "/ocsp/sign",
        &ocsp_request(&[t.cert_id(1, "sign")], Some(&[7u8; 128])),
    );
    assert_eq!(statuses(&reply.body), ["good"]);
}

#[test]
fn a_cli_revocation_while_the_binary_serves_shows_in_the_very_next_answer() {
    let s = Scratch::new();
    let binary = Binary::start(&s.state(), &[]);
    let t = setup_with(Running::Binary(binary), s, &["p256"; 3]);
    for (card, cause, reason, openssl_reason) in [
        (1, "lost", "revoked:CertificateHold", "certificateHold"),
        (
            2,
            "address_change",
            "revoked:AffiliationChanged",
            "affiliationChanged",
        ),
        (3, "stolen", "revoked:KeyCompromise", "keyCompromise"),
    ] {
        let request = ocsp_request(&[t.cert_id(card, "sign")], None);
        let path = format!(
            "/ocsp/sign/{}",
            base64::engine::general_purpose::STANDARD.encode(&request)
        );
        // Warm the caches: the GET response and the POST response without a nonce.
        let first = t.c.get(&path);
        assert_eq!(statuses(&first.body), ["good"]);
        let second = t.c.get(&path);
        assert_eq!(statuses(&second.body), ["good"]);
        let etag = second.header("etag").expect("an ETag").to_string();
        assert_eq!(
            statuses(&t.c.ocsp_post("/ocsp/sign", &request).body),
            ["good"]
        );
        assert_eq!(statuses(&t.c.ocsp_post("/ocsp", &request).body), ["good"]);

        let output = support::run(
            &t.s.state(),
            &["revoke", "--card", &card.to_string(), "--cause", cause],
        );
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );

        // The very next answers, by every route, say revoked.
        let got = t.c.get(&path);
        assert_eq!(statuses(&got.body), [reason], "GET after {cause}");
        let conditional = t.c.get_with(&path, &[("if-none-match", &etag)]);
        assert_eq!(conditional.status, 200, "a stale ETag must not get 304");
        assert_eq!(statuses(&conditional.body), [reason]);
        assert_eq!(
            statuses(&t.c.ocsp_post("/ocsp/sign", &request).body),
            [reason]
        );
        assert_eq!(statuses(&t.c.ocsp_post("/ocsp", &request).body), [reason]);
        let with_nonce = ocsp_request(&[t.cert_id(card, "sign")], Some(b"fresh nonce"));
        assert_eq!(
            statuses(&t.c.ocsp_post("/ocsp/sign", &with_nonce).body),
            [reason]
        );
        let result = t.openssl_ocsp("sign", &[], &[t.leaf(card, "sign")], "/ocsp/sign", false);
        assert_openssl(
            result,
            &t.leaf(card, "sign"),
            "revoked",
            Some(openssl_reason),
        );
    }
    // The auth certificates of cards 1 and 3 went too; card 2's stayed good.
    for (card, want) in [
        (1, "revoked:CertificateHold"),
        (2, "good"),
        (3, "revoked:KeyCompromise"),
    ] {
        let reply = t.c.ocsp_post(
            "/ocsp/auth",
            &ocsp_request(&[t.cert_id(card, "auth")], None),
        );
        assert_eq!(statuses(&reply.body), [want], "auth of card {card}");
    }
}

/// An `unauthorized` answer says why in the server's log: a CertID at the other CA's
/// endpoint, or one that names no CA of this state (a certificate from another state).
#[test]
fn unauthorized_answers_are_logged_with_the_reason() {
    let s = Scratch::new();
    let log = s.path("serve.log");
    let binary = Binary::start_logging(&s.state(), &log);
    let t = setup_with(Running::Binary(binary), s, &["p256"]);
    let hashes = t.hashes("sign");
    let foreign = cert_id_raw(
        support::SHA1_OID,
        &[1; 20],
        &[2; 20],
        t.serial(1, "sign"),
        true,
    );
    for (path, id) in [
        ("/ocsp/sign", t.cert_id(1, "auth")),
        ("/ocsp", foreign),
        (
            "/ocsp/sign",
            hashes.cert_id(false, t.serial(1, "sign"), true),
        ),
    ] {
        let reply = t.c.ocsp_post(path, &ocsp_request(&[id], None));
        assert_eq!(reply.status, 200);
        let _ = parse_ocsp(&reply.body);
    }
    let wanted = [
        "a CertID of the auth CA was sent to the sign endpoint",
        "a CertID names no CA of this state",
    ];
    let started = std::time::Instant::now();
    let text = loop {
        let text = std::fs::read_to_string(&log).unwrap();
        if wanted.iter().all(|w| text.contains(w))
            || started.elapsed() > std::time::Duration::from_secs(3)
        {
            break text;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    };
    for w in wanted {
        assert!(text.contains(w), "{w:?} not in the log:\n{text}");
    }
    assert_eq!(
        text.matches("answered unauthorized").count(),
        2,
        "only the two refusals are logged as such:\n{text}"
    );
}

/// The lock-free path recognises a request it has answered by its bytes; the same
/// bytes at an endpoint for the other CA must still be refused.
#[test]
fn a_cached_answer_is_given_only_at_an_endpoint_that_serves_its_ca() {
    let t = setup(1);
    let request = ocsp_request(&[t.cert_id(1, "auth")], None);
    for _ in 0..3 {
        let reply = t.c.ocsp_post("/ocsp/auth", &request);
        assert_eq!(statuses(&reply.body), ["good"]);
    }
    let refused = parse_ocsp(&t.c.ocsp_post("/ocsp/sign", &request).body);
    assert_eq!(refused.status, OcspResponseStatus::Unauthorized);
    assert_eq!(statuses(&t.c.ocsp_post("/ocsp", &request).body), ["good"]);
    // The set-up asked each CA once (two misses, the same bytes for auth); then three
    // hits at /ocsp/auth and one at /ocsp. The refused answer is neither.
    let metrics = t.c.get("/metrics").text();
    for line in [
        "jpki_mock_ocsp_cache_total{result=\"hit\"} 4",
        "jpki_mock_ocsp_cache_total{result=\"miss\"} 2",
    ] {
        assert!(metrics.lines().any(|l| l == line), "{line} in {metrics}");
    }
}

/// The server learns of another process's change from the change counter it maps; if
/// that signal is lost (here: the counter file is deleted, so the CLI bumps a new one
/// the server never sees), it still compares the stored revision once a second.
#[test]
fn a_change_whose_signal_is_lost_still_shows_within_seconds() {
    let s = Scratch::new();
    let binary = Binary::start(&s.state(), &[]);
    let t = setup_with(Running::Binary(binary), s, &["p256"]);
    let request = ocsp_request(&[t.cert_id(1, "sign")], None);
    for _ in 0..2 {
        assert_eq!(
            statuses(&t.c.ocsp_post("/ocsp/sign", &request).body),
            ["good"]
        );
    }
    let counter = t.s.state().join("jpki-mock.changes");
    std::fs::remove_file(&counter).expect("the state has a change counter file");
    support::ok(
        &t.s.state(),
        &["revoke", "--card", "1", "--cause", "stolen"],
    );
    assert!(counter.is_file(), "the CLI maps a new counter file");
    let started = std::time::Instant::now();
    loop {
        let got = statuses(&t.c.ocsp_post("/ocsp/sign", &request).body);
        if got == ["revoked:KeyCompromise"] {
            break;
        }
        assert_eq!(got, ["good"]);
        assert!(
            started.elapsed() < std::time::Duration::from_secs(5),
            "still good 5 s after the revocation"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}

#[test]
fn after_renewal_the_old_serial_is_revoked_superseded_and_the_new_one_is_good() {
    let s = Scratch::new();
    let server = InProcess::start(&s.state(), None, None);
    // A card expiring in 30 days: its certificates are inside the renewal window now.
    let mut body = holder("p256");
    let expiry = today_jst() + time::Duration::days(30);
    body["card_expiry"] = json!(expiry.to_string());
    let old = server.client().issue(body);
    assert_eq!(old["sign"]["expiry"], json!(expiry.to_string()));
    let t = Setup {
        s,
        c: server.client(),
        cards: vec![old.clone()],
        _server: Running::InProcess(server),
    };
    for kind in ["sign", "auth"] {
        t.s.write(
            &format!("card1/{kind}.pem"),
            old[kind]["cert_pem"].as_str().unwrap(),
        );
        let ca = t.c.get(&format!("/ca/{kind}.cer")).body;
        t.s.write(&format!("ca-{kind}.pem"), to_pem("CERTIFICATE", &ca));
        t.write_responder(kind);
    }

    let renewed = t.c.api("POST", "/api/v1/cards/1/renew", Some(json!({})));
    assert_eq!(renewed.status, 200, "{}", renewed.text());
    let renewed = renewed.json();
    for kind in ["sign", "auth"] {
        let new_pem = renewed[kind]["cert_pem"].as_str().unwrap();
        let new_path = t.s.write(&format!("new-{kind}.pem"), new_pem);
        let new_serial = u32::try_from(renewed[kind]["serial"].as_u64().unwrap()).unwrap();
        assert_ne!(new_serial, t.serial(1, kind));

        let result = t.openssl_ocsp(
            kind,
            &[],
            &[t.leaf(1, kind)],
            &format!("/ocsp/{kind}"),
            false,
        );
        assert_openssl(result, &t.leaf(1, kind), "revoked", Some("superseded"));
        let result = t.openssl_ocsp(
            kind,
            &[],
            std::slice::from_ref(&new_path),
            &format!("/ocsp/{kind}"),
            true,
        );
        assert_openssl(result, &new_path, "good", None);

        let hashes = t.hashes(kind);
        let reply = t.c.ocsp_post(
            "/ocsp",
            &ocsp_request(
                &[
                    hashes.cert_id(false, t.serial(1, kind), true),
                    hashes.cert_id(false, new_serial, true),
                ],
                None,
            ),
        );
        assert_eq!(statuses(&reply.body), ["revoked:Superseded", "good"]);
        // Revoked at the renewal instant, which is the new certificate's notBefore.
        let basic = parse_ocsp(&reply.body).basic.unwrap();
        let CertStatus::Revoked(info) = &basic.tbs_response_data.responses[0].cert_status else {
            panic!("not revoked");
        };
        assert_eq!(
            rfc3339(
                time::OffsetDateTime::from_unix_timestamp(unix(&info.revocation_time)).unwrap()
            ),
            renewed[kind]["not_before"].as_str().unwrap()
        );
    }
}

#[test]
fn cached_answers_still_echo_each_requests_cert_id_exactly() {
    let t = setup(1);
    let hashes = t.hashes("sign");
    let serial = t.serial(1, "sign");
    // Without a nonce the response may come from the cache; the CertID must still be
    // the one of this request (openssl sends NULL hash parameters, others omit them).
    for (sha256, first_null, then_null) in [(false, true, false), (true, false, true)] {
        let first = hashes.cert_id(sha256, serial, first_null);
        let then = hashes.cert_id(sha256, serial, then_null);
        assert_ne!(first.to_der().unwrap(), then.to_der().unwrap());
        for (id, transport) in [
            (&first, "POST"),
            (&then, "POST"),
            (&first, "GET"),
            (&then, "GET"),
        ] {
            let request = ocsp_request(std::slice::from_ref(id), None);
            let reply = if transport == "POST" {
                t.c.ocsp_post("/ocsp/sign", &request)
            } else {
                t.c.get(&format!(
                    "/ocsp/sign/{}",
                    base64::engine::general_purpose::STANDARD.encode(&request)
                ))
            };
            let basic = parse_ocsp(&reply.body).basic.unwrap();
            assert_eq!(
                basic.tbs_response_data.responses[0]
                    .cert_id
                    .to_der()
                    .unwrap(),
                id.to_der().unwrap(),
                "{transport} with NULL parameters: {}",
                id.hash_algorithm.parameters.is_some()
            );
        }
    }
}
