//! Revocation causes, renewal, reissue and CRLs, over the CLI and over HTTP: every
//! cause's certificates, reasons and idempotency; chosen certificates and a backdated
//! `--at`; the renewal window's edges and superseded entries; reissue; CRLs written
//! by the CLI and served over HTTP (headers and conditional GET), read by `openssl crl
//! -text`, `openssl verify -crl_check` and x509-parser; a revocation by the CLI in
//! another process while the binary serves; expiry leaving the CRL; the CA
//! certificate and plain routes.

mod support;

use std::collections::BTreeMap;

use serde_json::{json, Value};
use support::{
    adult, adult_at, crl_entries, crl_number, crl_times, epoch, etag_of, from_pem, holder,
    http_date, instant, now_seconds, openssl, openssl_crl_entries, openssl_ocsp, p, rfc3339,
    rsa_sha256_verifies, serial_of_pem, strs, subject_key_id, to_pem, Binary, Client, InProcess,
    Scratch,
};
use x509_parser::extensions::{DistributionPointName, GeneralName, ParsedExtension};

/// CRLReason codes (RFC 5280).
const KEY_COMPROMISE: u8 = 1;
const AFFILIATION_CHANGED: u8 = 3;
const SUPERSEDED: u8 = 4;
const CESSATION_OF_OPERATION: u8 = 5;
const CERTIFICATE_HOLD: u8 = 6;

/// A holder in another municipality (Osaka-fu / Osaka-shi).
fn osaka_holder() -> Value {
    let mut body = holder("p256");
    body["name"] = json!("大阪 花子");
    body["gender"] = json!("female");
    body["address"] = json!("大阪府大阪市北区梅田1");
    body
}

fn serial(card: &Value, kind: &str) -> u32 {
    u32::try_from(card[kind]["serial"].as_u64().unwrap()).unwrap()
}

/// The entries of a CRL as serial → reason code.
fn reasons(der: &[u8]) -> BTreeMap<u32, Option<u8>> {
    let entries = crl_entries(der);
    let map: BTreeMap<u32, Option<u8>> = entries.iter().map(|(s, r, _)| (*s, *r)).collect();
    assert_eq!(map.len(), entries.len(), "a serial is listed twice");
    map
}

#[test]
fn crl_is_served_with_etag_last_modified_and_max_age_and_answers_304() {
    let s = Scratch::new();
    let server = InProcess::start(&s.state(), None, None);
    let c = server.client();
    let now = now_seconds();
    c.set_clock(&rfc3339(now));
    let card = c.issue(holder("p256"));
    c.event(1, json!({"cause": "lost"}));

    let first = c.get("/crl/sign.crl");
    assert_eq!(first.status, 200);
    assert_eq!(first.header("content-type"), Some("application/pkix-crl"));
    let (this_update, next_update) = crl_times(&first.body);
    // thisUpdate is backdated 5 minutes, nextUpdate is a day later.
    assert_eq!(this_update, now.unix_timestamp() - 300);
    assert_eq!(next_update, this_update + 86_400);
    let etag = etag_of(&first.body);
    assert_eq!(first.header("etag"), Some(etag.as_str()));
    assert_eq!(
        first.header("last-modified"),
        Some(http_date(now - time::Duration::seconds(300)).as_str())
    );
    // The clock is fixed: nextUpdate − now exactly.
    assert_eq!(first.header("cache-control"), Some("max-age=86100"));
    assert_eq!(
        reasons(&first.body),
        BTreeMap::from([(serial(&card, "sign"), Some(CERTIFICATE_HOLD))])
    );

    // Unchanged state: the same bytes, the same ETag.
    let again = c.get("/crl/sign.crl");
    assert_eq!(again.body, first.body);

    let not_modified = c.get_with("/crl/sign.crl", &[("if-none-match", &etag)]);
    assert_eq!(not_modified.status, 304);
    assert!(not_modified.body.is_empty());
    assert_eq!(not_modified.header("etag"), Some(etag.as_str()));
    let listed = c.get_with(
        "/crl/sign.crl",
        &[("if-none-match", &format!("\"0000\", {etag}"))],
    );
    assert_eq!(listed.status, 304, "an ETag in a list matches");

    let other = c.get_with("/crl/sign.crl", &[("if-none-match", "\"00000000\"")]);
    assert_eq!(other.status, 200);
    assert_eq!(other.body, first.body);

    // A change makes the old ETag stale.
    let second = c.issue(holder("p256"));
    c.event(2, json!({"cause": "stolen"}));
    let changed = c.get_with("/crl/sign.crl", &[("if-none-match", &etag)]);
    assert_eq!(changed.status, 200);
    assert_ne!(changed.header("etag"), Some(etag.as_str()));
    assert_eq!(
        changed.header("etag"),
        Some(etag_of(&changed.body).as_str())
    );
    assert!(crl_number(&changed.body) > crl_number(&first.body));
    assert_eq!(
        reasons(&changed.body),
        BTreeMap::from([
            (serial(&card, "sign"), Some(CERTIFICATE_HOLD)),
            (serial(&second, "sign"), Some(KEY_COMPROMISE)),
        ])
    );

    // The auth CRL is served the same way.
    let auth = c.get("/crl/auth.crl");
    assert_eq!(auth.status, 200);
    assert_eq!(auth.header("content-type"), Some("application/pkix-crl"));
    assert_eq!(auth.header("etag"), Some(etag_of(&auth.body).as_str()));
    assert_eq!(auth.header("cache-control"), Some("max-age=86100"));
    assert_eq!(
        reasons(&auth.body),
        BTreeMap::from([
            (serial(&card, "auth"), Some(CERTIFICATE_HOLD)),
            (serial(&second, "auth"), Some(KEY_COMPROMISE)),
        ])
    );
}

/// Four cards: 1 lost, 2 (Osaka) address change, 3 stolen, 4 good.
struct Revoked {
    s: Scratch,
    server: InProcess,
    cards: Vec<Value>,
}

fn four_cards() -> Revoked {
    let s = Scratch::new();
    let server = InProcess::start(&s.state(), None, None);
    let c = server.client();
    let cards = vec![
        c.issue(holder("p256")),
        c.issue(osaka_holder()),
        c.issue(holder("p256")),
        c.issue(holder("p256")),
    ];
    for (i, card) in cards.iter().enumerate() {
        assert_eq!(card["card_id"], json!(i + 1));
    }
    c.event(1, json!({"cause": "lost"}));
    c.event(2, json!({"cause": "address_change"}));
    c.event(3, json!({"cause": "stolen"}));
    for (i, card) in cards.iter().enumerate() {
        for kind in ["sign", "auth"] {
            s.write(
                &format!("card{}/{kind}.pem", i + 1),
                card[kind]["cert_pem"].as_str().unwrap(),
            );
        }
    }
    for kind in ["sign", "auth"] {
        let pem = c.get(&format!("/ca/{kind}.pem"));
        assert_eq!(pem.status, 200);
        s.write(&format!("ca-{kind}.pem"), &pem.body);
        let crl = c.crl(kind);
        s.write(&format!("{kind}.crl"), &crl);
        s.write(
            &format!("{kind}-crl.pem"),
            support::to_pem("X509 CRL", &crl),
        );
    }
    Revoked { s, server, cards }
}

#[test]
fn openssl_crl_text_shows_reasons_the_crl_number_and_the_idp_names() {
    let r = four_cards();
    let base = r.server.base_url();
    let path = |name: &str| r.s.path(name).to_str().unwrap().to_string();
    let hex = |card: usize, kind: &str| format!("{:08X}", serial(&r.cards[card], kind));

    for kind in ["sign", "auth"] {
        let der = std::fs::read(path(&format!("{kind}.crl"))).unwrap();
        let (ok, text) = openssl(&[
            "crl",
            "-inform",
            "DER",
            "-in",
            &path(&format!("{kind}.crl")),
            "-text",
            "-noout",
        ]);
        assert!(ok, "{text}");
        assert!(text.contains("Version 2 (0x1)"), "{text}");
        let number_line = text
            .lines()
            .skip_while(|l| !l.contains("X509v3 CRL Number:"))
            .nth(1)
            .unwrap_or_default()
            .trim()
            .to_string();
        assert_eq!(number_line, crl_number(&der).to_string(), "{text}");
        assert!(
            text.contains("X509v3 Issuing Distribution Point: critical"),
            "{text}"
        );
        let ou = if kind == "sign" {
            "JPKI for digital signature"
        } else {
            "JPKI for user authentication"
        };
        for (pref, muni) in [("Tokyo-to", "Shinagawa-ku"), ("Osaka-fu", "Osaka-shi")] {
            let name = format!(
                "DirName:C = JP, O = JPKI-MOCK, OU = {ou}, OU = CRL Distribution Points, OU = {pref}, CN = {muni} CRLDP"
            );
            assert!(text.contains(&name), "{name} missing:\n{text}");
        }
        assert!(
            text.contains(&format!("URI:{base}/crl/{kind}.crl")),
            "{text}"
        );
        let expected: BTreeMap<String, String> = if kind == "sign" {
            BTreeMap::from([
                (hex(0, "sign"), "Certificate Hold".to_string()),
                (hex(1, "sign"), "Affiliation Changed".to_string()),
                (hex(2, "sign"), "Key Compromise".to_string()),
            ])
        } else {
            BTreeMap::from([
                (hex(0, "auth"), "Certificate Hold".to_string()),
                (hex(2, "auth"), "Key Compromise".to_string()),
            ])
        };
        assert_eq!(openssl_crl_entries(&text), expected, "{text}");
    }
}

#[test]
fn openssl_verify_with_the_crl_rejects_revoked_and_accepts_kept_and_good_certificates() {
    let r = four_cards();
    let path = |name: &str| r.s.path(name).to_str().unwrap().to_string();
    let der = std::fs::read(path("sign.crl")).unwrap();
    let (this_update, next_update) = crl_times(&der);
    // Inside the CRL's validity and after every certificate was issued (the CRL's
    // thisUpdate is backdated to before the CAs existed).
    let newest = r
        .cards
        .iter()
        .map(|c| instant(c["auth"]["not_before"].as_str().unwrap()).unix_timestamp())
        .max()
        .unwrap();
    let at = newest + 60;
    assert!(this_update <= at && at < next_update);
    let attime = at.to_string();

    let verify = |kind: &str, card: usize| -> (bool, String) {
        let leaf = path(&format!("card{card}/{kind}.pem"));
        openssl(&[
            "verify",
            "-attime",
            &attime,
            "-crl_check",
            "-CRLfile",
            &path(&format!("{kind}-crl.pem")),
            "-CAfile",
            &path(&format!("ca-{kind}.pem")),
            &leaf,
        ])
    };
    let cases = [
        // (kind, card, revoked?)
        ("sign", 1, true),  // lost
        ("auth", 1, true),  // lost
        ("sign", 2, true),  // address change: sign revoked
        ("auth", 2, false), // address change: auth kept
        ("sign", 3, true),  // stolen
        ("auth", 3, true),
        ("sign", 4, false), // good
        ("auth", 4, false),
    ];
    for (kind, card, revoked) in cases {
        let (ok, text) = verify(kind, card);
        assert!(
            !text.contains("different CRL scope"),
            "{kind} of card {card}: {text}"
        );
        assert!(
            !text.contains("unable to get certificate CRL"),
            "{kind} of card {card}: {text}"
        );
        if revoked {
            assert!(!ok, "{kind} of card {card} verified: {text}");
            assert!(
                text.contains("error 23 at 0 depth lookup: certificate revoked"),
                "{kind} of card {card}: {text}"
            );
        } else {
            assert!(ok, "{kind} of card {card}: {text}");
            assert!(
                text.contains(&format!("card{card}/{kind}.pem: OK")),
                "{kind} of card {card}: {text}"
            );
        }
    }
}

#[test]
fn a_revocation_by_the_cli_in_another_process_shows_in_the_next_crl() {
    let s = Scratch::new();
    let binary = Binary::start(&s.state(), &[]);
    let c = binary.client();
    let card = c.issue(holder("p256"));
    let first = c.get("/crl/sign.crl");
    assert_eq!(first.status, 200);
    assert_eq!(first.header("content-type"), Some("application/pkix-crl"));
    let cache = first.header("cache-control").expect("a Cache-Control");
    assert!(cache.starts_with("max-age="), "{cache}");
    assert!(first.header("last-modified").is_some());
    let etag = first.header("etag").expect("an ETag").to_string();
    assert_eq!(etag, etag_of(&first.body));
    let before = first.body;
    let before_auth = c.crl("auth");
    assert!(crl_entries(&before).is_empty());
    // Unchanged state: 304 for its ETag.
    let cached = c.get_with("/crl/sign.crl", &[("if-none-match", &etag)]);
    assert_eq!(cached.status, 304);

    let output = s.run(&["revoke", "--card", "1", "--cause", "lost"]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let report: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(report["revoked"].as_array().unwrap().len(), 2, "{report}");

    // The old ETag is stale at once: a full answer with a new ETag.
    let changed = c.get_with("/crl/sign.crl", &[("if-none-match", &etag)]);
    assert_eq!(changed.status, 200, "a stale ETag must not get 304");
    assert_ne!(changed.header("etag"), Some(etag.as_str()));
    assert_eq!(
        changed.header("etag"),
        Some(etag_of(&changed.body).as_str())
    );
    let after = changed.body;
    assert_eq!(
        reasons(&after),
        BTreeMap::from([(serial(&card, "sign"), Some(CERTIFICATE_HOLD))])
    );
    assert!(crl_number(&after) > crl_number(&before));
    let after_auth = c.crl("auth");
    assert_eq!(
        reasons(&after_auth),
        BTreeMap::from([(serial(&card, "auth"), Some(CERTIFICATE_HOLD))])
    );
    assert!(crl_number(&after_auth) > crl_number(&before_auth));
    // The revocation time is the one the CLI reported.
    let revoked_at = report["revoked"][0]["revoked_at"].as_str().unwrap();
    assert_eq!(
        crl_entries(&after)[0].2,
        instant(revoked_at).unix_timestamp()
    );
}

#[test]
fn the_crl_parsed_with_x509_parser_is_v2_with_aki_crl_number_critical_idp_and_reasons() {
    let r = four_cards();
    let c = r.server.client();
    for kind in ["sign", "auth"] {
        let der = c.crl(kind);
        let ca_der = c.get(&format!("/ca/{kind}.cer")).body;
        let (_, ca) = x509_parser::parse_x509_certificate(&ca_der).unwrap();
        let (_, crl) = x509_parser::parse_x509_crl(&der).unwrap();

        assert_eq!(crl.version(), Some(x509_parser::x509::X509Version::V2));
        assert_eq!(crl.issuer().as_raw(), ca.subject().as_raw());
        assert_eq!(
            crl.signature_algorithm.algorithm.to_id_string(),
            support::SHA256_WITH_RSA
        );
        // Signed by the CA key (not the responder).
        assert!(rsa_sha256_verifies(
            &ca.public_key().subject_public_key.data,
            support::first_element(&der),
            &crl.signature_value.data,
        ));

        let ca_ski = subject_key_id(&ca);
        let mut seen = Vec::new();
        for extension in crl.extensions() {
            match extension.parsed_extension() {
                ParsedExtension::AuthorityKeyIdentifier(aki) => {
                    assert!(!extension.critical);
                    assert_eq!(
                        aki.key_identifier.as_ref().map(|k| k.0.to_vec()),
                        Some(ca_ski.clone())
                    );
                    seen.push("aki");
                }
                ParsedExtension::CRLNumber(number) => {
                    assert!(!extension.critical);
                    assert!(number.to_u64_digits().first().copied().unwrap_or(0) >= 1);
                    seen.push("number");
                }
                ParsedExtension::IssuingDistributionPoint(idp) => {
                    assert!(extension.critical, "the IDP must be critical");
                    let Some(DistributionPointName::FullName(names)) = &idp.distribution_point
                    else {
                        panic!("the IDP has no fullName: {idp:?}");
                    };
                    // Every certificate's CRL distribution point names are in the IDP,
                    // byte for byte.
                    for card in 1..=4 {
                        let pem =
                            std::fs::read_to_string(r.s.path(&format!("card{card}/{kind}.pem")))
                                .unwrap();
                        let leaf_der = from_pem(&pem);
                        let (_, leaf) = x509_parser::parse_x509_certificate(&leaf_der).unwrap();
                        let cdp = leaf
                            .extensions()
                            .iter()
                            .find_map(|e| match e.parsed_extension() {
                                ParsedExtension::CRLDistributionPoints(points) => {
                                    Some(points.points.clone())
                                }
                                _ => None,
                            })
                            .expect("a CRL distribution point");
                        assert_eq!(cdp.len(), 1);
                        let Some(DistributionPointName::FullName(leaf_names)) =
                            &cdp[0].distribution_point
                        else {
                            panic!("no fullName in the certificate's CRL DP");
                        };
                        for name in leaf_names {
                            let found = names.iter().any(|n| match (n, name) {
                                (GeneralName::DirectoryName(a), GeneralName::DirectoryName(b)) => {
                                    a.as_raw() == b.as_raw()
                                }
                                (GeneralName::URI(a), GeneralName::URI(b)) => a == b,
                                _ => false,
                            });
                            assert!(found, "{name:?} of card {card} is not in the IDP {names:?}");
                        }
                    }
                    assert!(names.iter().any(|n| matches!(n, GeneralName::URI(u)
                        if *u == format!("{}/crl/{kind}.crl", r.server.base_url()))));
                    seen.push("idp");
                }
                other => panic!("unexpected CRL extension {other:?}"),
            }
        }
        // In this order: AKI, cRLNumber, IDP.
        assert_eq!(seen, ["aki", "number", "idp"]);

        let expected: BTreeMap<u32, u8> = if kind == "sign" {
            BTreeMap::from([
                (serial(&r.cards[0], "sign"), CERTIFICATE_HOLD),
                (serial(&r.cards[1], "sign"), AFFILIATION_CHANGED),
                (serial(&r.cards[2], "sign"), KEY_COMPROMISE),
            ])
        } else {
            BTreeMap::from([
                (serial(&r.cards[0], "auth"), CERTIFICATE_HOLD),
                (serial(&r.cards[2], "auth"), KEY_COMPROMISE),
            ])
        };
        let mut listed = BTreeMap::new();
        for entry in crl.iter_revoked_certificates() {
            let (critical, code) = entry.reason_code().expect("every entry has a reasonCode");
            assert!(!critical, "reasonCode is non-critical");
            let serial = u32::try_from(entry.serial().to_u64_digits()[0]).unwrap();
            listed.insert(serial, code.0);
        }
        assert_eq!(listed, expected);
    }
}

/// What a cause revokes on a fresh card, and with which reason.
fn expected_for(cause: &str) -> Vec<(&'static str, u8, &'static str)> {
    let both = |code, name| vec![("sign", code, name), ("auth", code, name)];
    match cause {
        "stop" => both(CESSATION_OF_OPERATION, "cessationOfOperation"),
        "lost" => both(CERTIFICATE_HOLD, "certificateHold"),
        "stolen" => both(KEY_COMPROMISE, "keyCompromise"),
        "leak" => both(KEY_COMPROMISE, "keyCompromise"),
        "card_invalidated" => both(CESSATION_OF_OPERATION, "cessationOfOperation"),
        "name_change" | "address_change" | "emigration" => {
            vec![("sign", AFFILIATION_CHANGED, "affiliationChanged")]
        }
        "ex_officio" => both(AFFILIATION_CHANGED, "affiliationChanged"),
        other => panic!("no expectation for {other}"),
    }
}

#[test]
fn every_cause_revokes_exactly_the_certificates_and_reasons_of_the_profile() {
    let s = Scratch::new();
    let server = InProcess::start(&s.state(), None, None);
    let c = server.client();
    let now = now_seconds();
    c.set_clock(&rfc3339(now));
    let mut expected: BTreeMap<&str, BTreeMap<u32, Option<u8>>> =
        BTreeMap::from([("sign", BTreeMap::new()), ("auth", BTreeMap::new())]);
    let mut cards = BTreeMap::new();
    for cause in [
        "stop",
        "lost",
        "stolen",
        "leak",
        "card_invalidated",
        "name_change",
        "address_change",
        "ex_officio",
        "emigration",
    ] {
        let card = c.issue(holder("p256"));
        let id = card["card_id"].as_i64().unwrap();
        let report = c.event(id, json!({ "cause": cause }));
        let want = expected_for(cause);
        let got: Vec<(String, u32, String, String)> = report["revoked"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| {
                (
                    v["kind"].as_str().unwrap().to_string(),
                    u32::try_from(v["serial"].as_u64().unwrap()).unwrap(),
                    v["reason"].as_str().unwrap().to_string(),
                    v["revoked_at"].as_str().unwrap().to_string(),
                )
            })
            .collect();
        let want_report: Vec<(String, u32, String, String)> = want
            .iter()
            .map(|(kind, _, name)| {
                (
                    kind.to_string(),
                    serial(&card, kind),
                    name.to_string(),
                    rfc3339(now),
                )
            })
            .collect();
        assert_eq!(got, want_report, "{cause}: {report}");
        // Idempotent: the same cause again revokes nothing, and says so.
        let again = c.event(id, json!({ "cause": cause }));
        assert_eq!(again["revoked"], json!([]), "{cause}: {again}");
        let unchanged: Vec<(&str, &str)> = again["unchanged"]
            .as_array()
            .expect("unchanged listed")
            .iter()
            .map(|u| (u["kind"].as_str().unwrap(), u["status"].as_str().unwrap()))
            .collect();
        let want_unchanged: Vec<(&str, &str)> =
            want.iter().map(|(kind, _, _)| (*kind, "revoked")).collect();
        assert_eq!(unchanged, want_unchanged, "{cause}: {again}");
        assert!(
            again["message"]
                .as_str()
                .unwrap()
                .contains("already revoked"),
            "{cause}: {again}"
        );
        // The card view: what the cause targets is revoked at its instant, the rest good.
        let view = c.card(id);
        let certificates = view["certificates"].as_array().unwrap();
        assert_eq!(certificates.len(), 2, "{view}");
        for cert in certificates {
            let target = want.iter().find(|(kind, _, _)| cert["kind"] == *kind);
            match target {
                Some((_, _, name)) => {
                    assert_eq!(cert["status"], json!("revoked"), "{cause}: {cert}");
                    assert_eq!(cert["reason"], json!(name), "{cause}: {cert}");
                    assert_eq!(cert["cause"], json!(cause), "{cause}: {cert}");
                    assert_eq!(cert["revoked_at"], json!(rfc3339(now)), "{cause}: {cert}");
                }
                None => {
                    assert_eq!(cert["status"], json!("good"), "{cause}: {cert}");
                    assert!(cert.get("revoked_at").is_none(), "{cause}: {cert}");
                }
            }
        }
        for (kind, code, _) in want {
            expected
                .get_mut(kind)
                .unwrap()
                .insert(serial(&card, kind), Some(code));
        }
        cards.insert(cause, card);
    }
    // stop, ex_officio and leak may name the certificates.
    for (cause, certs, kind, code) in [
        ("stop", "sign", "sign", CESSATION_OF_OPERATION),
        ("leak", "auth", "auth", KEY_COMPROMISE),
        ("ex_officio", "auth", "auth", AFFILIATION_CHANGED),
    ] {
        let card = c.issue(holder("p256"));
        let id = card["card_id"].as_i64().unwrap();
        let report = c.event(id, json!({ "cause": cause, "certs": [certs] }));
        let revoked = report["revoked"].as_array().unwrap();
        assert_eq!(revoked.len(), 1, "{report}");
        assert_eq!(revoked[0]["kind"], json!(kind));
        expected
            .get_mut(kind)
            .unwrap()
            .insert(serial(&card, kind), Some(code));
    }
    for kind in ["sign", "auth"] {
        assert_eq!(reasons(&c.crl(kind)), expected[kind], "{kind} CRL");
    }

    // A second cause on revoked certificates changes nothing and says so.
    let numbers: Vec<u64> = ["sign", "auth"]
        .iter()
        .map(|k| crl_number(&c.crl(k)))
        .collect();
    let lost = &cards["lost"];
    let report = c.event(
        lost["card_id"].as_i64().unwrap(),
        json!({"cause": "stolen"}),
    );
    assert_eq!(report["revoked"], json!([]), "{report}");
    let unchanged = report["unchanged"].as_array().expect("unchanged listed");
    assert_eq!(unchanged.len(), 2, "{report}");
    for entry in unchanged {
        assert_eq!(entry["status"], json!("revoked"), "{report}");
    }
    assert!(
        report["message"]
            .as_str()
            .unwrap()
            .contains("nothing to revoke"),
        "{report}"
    );
    // Half revoked: address change, then lost revokes the auth certificate only.
    let moved = &cards["address_change"];
    let report = c.event(moved["card_id"].as_i64().unwrap(), json!({"cause": "lost"}));
    let revoked = report["revoked"].as_array().unwrap();
    assert_eq!(revoked.len(), 1, "{report}");
    assert_eq!(revoked[0]["kind"], json!("auth"));
    assert_eq!(revoked[0]["reason"], json!("certificateHold"));
    assert_eq!(report["unchanged"][0]["kind"], json!("sign"), "{report}");
    expected
        .get_mut("auth")
        .unwrap()
        .insert(serial(moved, "auth"), Some(CERTIFICATE_HOLD));
    for (i, kind) in ["sign", "auth"].iter().enumerate() {
        let der = c.crl(kind);
        // Same entries (the first reason stays), no duplicate.
        assert_eq!(reasons(&der), expected[*kind], "{kind} CRL");
        assert!(crl_number(&der) > numbers[i]);
    }
}

#[test]
fn expired_certificates_leave_the_crl() {
    let s = Scratch::new();
    let server = InProcess::start(&s.state(), None, Some(instant("2021-01-01")));
    let c = server.client();
    c.set_clock("2021-03-15T10:00:00+09:00");
    // Expires 2025-10-01.
    let early = c.issue(holder("p256"));
    assert_eq!(early["sign"]["not_after"], json!("2025-10-01T14:59:59Z"));
    // Born 1 December: expires 2025-12-01.
    let mut body = holder("p256");
    body["birth"] = json!("1990-12-01");
    let late = c.issue(body);
    assert_eq!(late["sign"]["not_after"], json!("2025-12-01T14:59:59Z"));
    c.event(1, json!({"cause": "lost"}));
    c.event(2, json!({"cause": "leak"}));

    let both = |kind: &str| {
        BTreeMap::from([
            (serial(&early, kind), Some(CERTIFICATE_HOLD)),
            (serial(&late, kind), Some(KEY_COMPROMISE)),
        ])
    };
    // The last second of the expiry date: still listed.
    c.set_clock("2025-10-01T23:59:59+09:00");
    for kind in ["sign", "auth"] {
        assert_eq!(reasons(&c.crl(kind)), both(kind), "{kind}");
    }
    // One second later it is past notAfter.
    c.set_clock("2025-10-02T00:00:00+09:00");
    for kind in ["sign", "auth"] {
        assert_eq!(
            reasons(&c.crl(kind)),
            BTreeMap::from([(serial(&late, kind), Some(KEY_COMPROMISE))]),
            "{kind}"
        );
    }
    c.set_clock("2025-12-02");
    for kind in ["sign", "auth"] {
        assert!(crl_entries(&c.crl(kind)).is_empty(), "{kind}");
    }
    // Moving the clock back brings them back: the CRL is a function of now.
    c.set_clock("2025-09-30");
    assert_eq!(reasons(&c.crl("sign")), both("sign"));
}

#[test]
fn ca_certificates_health_and_unknown_routes() {
    let s = Scratch::new();
    let server = InProcess::start(&s.state(), None, None);
    let c: Client = server.client();

    for (kind, ou) in [
        ("sign", "JPKI for digital signature"),
        ("auth", "JPKI for user authentication"),
    ] {
        let cli_der = s.run(&["ca", kind]).stdout;
        let der = c.get(&format!("/ca/{kind}.cer"));
        assert_eq!(der.status, 200);
        assert_eq!(der.header("content-type"), Some("application/pkix-cert"));
        assert_eq!(der.body, cli_der);
        let (_, ca) = x509_parser::parse_x509_certificate(&der.body).unwrap();
        assert_eq!(
            ca.subject().to_string(),
            format!(
                "C=JP, O=JPKI-MOCK, OU={ou}, OU=Japan Agency for Local Authority Information Systems"
            )
        );
        let pem = c.get(&format!("/ca/{kind}.pem"));
        assert_eq!(pem.status, 200);
        let text = pem.text();
        assert!(text.starts_with("-----BEGIN CERTIFICATE-----\n"), "{text}");
        assert!(
            text.trim_end().ends_with("-----END CERTIFICATE-----"),
            "{text}"
        );
        assert_eq!(from_pem(&text), cli_der);
        assert_eq!(
            text,
            s.ok(&["ca", kind, "--pem"]),
            "the same PEM as the CLI"
        );

        // The CA's CRL distribution point (its own DN and the ARL's URL, the real CAs'
        // extension order) leads to an ARL served here, in scope for CA certificates.
        let extensions: Vec<String> = ca
            .extensions()
            .iter()
            .map(|e| e.oid.to_id_string())
            .collect();
        assert_eq!(
            extensions,
            [
                "2.5.29.15",
                "2.5.29.17",
                "2.5.29.19",
                "2.5.29.31",
                "2.5.29.14"
            ],
            "KU, SAN, BC, CRLDP, SKI"
        );
        // The ARL of the generation: a URL that keeps serving this generation's ARL.
        let arl_url = format!("{}/arl/{kind}/1.crl", server.base_url());
        let crldp = ca
            .extensions()
            .iter()
            .find_map(|e| match e.parsed_extension() {
                ParsedExtension::CRLDistributionPoints(points) => Some(format!("{points:?}")),
                _ => None,
            })
            .unwrap();
        assert!(crldp.contains(&arl_url), "{crldp}");
        let arl = c.get(&format!("/arl/{kind}.crl"));
        assert_eq!(arl.status, 200);
        assert_eq!(arl.header("content-type"), Some("application/pkix-crl"));
        let (_, list) = x509_parser::parse_x509_crl(&arl.body).unwrap();
        assert_eq!(list.issuer(), ca.subject());
        assert_eq!(list.iter_revoked_certificates().count(), 0);
        let idp = list
            .extensions()
            .iter()
            .find_map(|e| match e.parsed_extension() {
                ParsedExtension::IssuingDistributionPoint(idp) => Some(format!("{idp:?}")),
                _ => None,
            })
            .expect("the ARL has an issuingDistributionPoint");
        assert!(idp.contains("only_contains_ca_certs: true"), "{idp}");
        assert!(idp.contains(&arl_url), "{idp}");
    }

    let health = c.get("/healthz");
    assert_eq!(health.status, 200);
    assert_eq!(health.text(), "ok\n");

    for path in [
        "/nope",
        "/crl/other.crl",
        "/crl/sign.der",
        "/ca/sign.der",
        "/ca/other.cer",
        "/crl",
    ] {
        assert_eq!(c.get(path).status, 404, "{path}");
    }
    for (method, path) in [
        ("POST", "/crl/sign.crl"),
        ("PUT", "/crl/auth.crl"),
        ("DELETE", "/ca/sign.cer"),
        ("POST", "/healthz"),
    ] {
        let reply = c.send(method, path, &[], Vec::new());
        assert_eq!(reply.status, 405, "{method} {path}");
        assert!(
            reply.text().contains(method),
            "{method} {path}: {}",
            reply.text()
        );
        assert!(
            reply.header("allow").is_some(),
            "{method} {path}: an Allow header"
        );
    }
    // A leaf of ours is not a CA certificate route.
    let card = c.issue(holder("p256"));
    let leaf = serial_of_pem(card["sign"]["cert_pem"].as_str().unwrap());
    assert_eq!(c.get(&format!("/ca/{leaf}.cer")).status, 404);
}

// ---------------------------------------------------------------------------------
// Through the CLI, with --now.

/// A fresh state (CAs of 2021-03-01) with one adult card (P-256) issued 2021-03-15;
/// returns the issue output too.
fn one_card() -> (Scratch, Value) {
    let cli = Scratch::new();
    cli.ok(&["--now", "2021-03-01", "init"]);
    let issued = cli.json(&strs(&adult("2021-03-15", "p256")));
    assert_eq!(issued["card_id"], json!(1));
    (cli, issued)
}

/// The (kind, reason) pairs a report revoked, in order.
fn revoked_kinds(report: &Value) -> Vec<(String, String)> {
    report["revoked"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["kind"].as_str().unwrap().into(),
                r["reason"].as_str().unwrap().into(),
            )
        })
        .collect()
}

/// The DER CRL `jpki-mock crl KIND` writes to stdout at `now`.
fn cli_crl(cli: &Scratch, kind: &str, now: &str) -> Vec<u8> {
    let output = cli.run(&["--now", now, "crl", kind]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    output.stdout
}

/// The PEM CRL `jpki-mock crl KIND --pem --out` writes at `now`; returns its path.
fn write_crl(cli: &Scratch, kind: &str, now: &str) -> String {
    let path = cli.path(&format!("{kind}.crl.pem"));
    cli.ok(&["--now", now, "crl", kind, "--pem", "--out", p(&path)]);
    p(&path).to_string()
}

#[test]
fn chosen_certificates_and_at_for_stop() {
    let (cli, issued) = one_card();
    let report = cli.json(&[
        "--now",
        "2021-05-01",
        "revoke",
        "--card",
        "1",
        "--cause",
        "stop",
        "--certs",
        "auth",
        "--at",
        "2021-04-15T12:00:00+09:00",
    ]);
    assert_eq!(
        revoked_kinds(&report),
        [("auth".to_string(), "cessationOfOperation".to_string())]
    );
    assert_eq!(report["revoked"][0]["revoked_at"], "2021-04-15T03:00:00Z");
    // The CRL entry carries the backdated instant; the sign certificate is not listed.
    assert_eq!(
        crl_entries(&cli_crl(&cli, "auth", "2021-05-01")),
        [(
            serial(&issued, "auth"),
            Some(CESSATION_OF_OPERATION),
            instant("2021-04-15T03:00:00Z").unix_timestamp()
        )]
    );
    assert!(crl_entries(&cli_crl(&cli, "sign", "2021-05-01")).is_empty());
}

#[test]
fn renewal_window_edges_and_the_superseded_certificates_in_the_crl() {
    // Expiry 2025-10-01: the window is 2025-07-02 ..= 2025-10-01.
    for (day, ok) in [
        ("2025-07-01", false),
        ("2025-07-02", true),
        ("2025-10-01", true),
        ("2025-10-02", false),
    ] {
        let (cli, _) = one_card();
        let output = cli.run(&["--now", day, "renew", "--card", "1"]);
        assert_eq!(
            output.status.success(),
            ok,
            "{day}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        if !ok {
            let stderr = String::from_utf8_lossy(&output.stderr);
            assert_eq!(output.status.code(), Some(1));
            assert!(
                stderr.contains(if day == "2025-07-01" {
                    "opens on 2025-07-02"
                } else {
                    "expired"
                }),
                "{stderr}"
            );
        }
    }
    // Renewed 2025-08-01: the sixth birthday counted from that day, 2030-10-01 (also
    // the card's expiry; domain.md §3), the old ones superseded.
    let (cli, issued) = one_card();
    let renewed = cli.json(&["--now", "2025-08-01", "renew", "--card", "1"]);
    assert_eq!(renewed["sign"]["expiry"], "2030-10-01");
    assert_eq!(renewed["auth"]["expiry"], "2030-10-01");
    assert_eq!(renewed["fee_yen"], 0);
    assert_eq!(
        revoked_kinds(&renewed),
        [
            ("sign".to_string(), "superseded".to_string()),
            ("auth".to_string(), "superseded".to_string())
        ]
    );
    // The CRLs list the old certificates as superseded at the renewal instant, and
    // not the new ones.
    for (i, kind) in ["sign", "auth"].iter().enumerate() {
        assert_ne!(serial(&renewed, kind), serial(&issued, kind));
        let revoked_at = renewed["revoked"][i]["revoked_at"].as_str().unwrap();
        assert_eq!(revoked_at, "2025-07-31T15:00:00Z");
        assert_eq!(
            crl_entries(&cli_crl(&cli, kind, "2025-08-02")),
            [(
                serial(&issued, kind),
                Some(SUPERSEDED),
                instant(revoked_at).unix_timestamp()
            )],
            "{kind}"
        );
    }

    // Renewing the signing certificate alone leaves the auth certificate as it was.
    let (cli, issued) = one_card();
    let renewed = cli.json(&[
        "--now",
        "2025-08-01",
        "renew",
        "--card",
        "1",
        "--certs",
        "sign",
    ]);
    assert!(renewed["sign"]["cert_pem"].as_str().is_some(), "{renewed}");
    assert!(renewed.get("auth").is_none(), "{renewed}");
    assert_eq!(
        revoked_kinds(&renewed),
        [("sign".to_string(), "superseded".to_string())]
    );
    assert_eq!(
        reasons(&cli_crl(&cli, "sign", "2025-08-02")),
        BTreeMap::from([(serial(&issued, "sign"), Some(SUPERSEDED))])
    );
    assert!(crl_entries(&cli_crl(&cli, "auth", "2025-08-02")).is_empty());
    let card = cli.json(&["--now", "2025-08-02", "show", "card", "1"]);
    let statuses: Vec<(u32, &str, &str)> = card["certificates"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                u32::try_from(c["serial"].as_u64().unwrap()).unwrap(),
                c["kind"].as_str().unwrap(),
                c["status"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        statuses,
        [
            (serial(&issued, "sign"), "sign", "revoked"),
            (serial(&issued, "auth"), "auth", "good"),
            (serial(&renewed, "sign"), "sign", "good"),
        ],
        "{card}"
    );
}

#[test]
fn reissue_invalidates_the_old_card_and_charges_200_yen() {
    let (cli, _) = one_card();
    let new = cli.json(&["--now", "2022-01-10", "reissue", "--card", "1"]);
    assert_eq!(new["card_id"], 2);
    assert_eq!(new["fee_yen"], 200);
    assert_eq!(
        revoked_kinds(&new),
        [
            ("sign".into(), "cessationOfOperation".into()),
            ("auth".into(), "cessationOfOperation".into())
        ]
    );
    let old = cli.json(&["--now", "2022-01-10", "show", "card", "1"]);
    assert_eq!(old["replaced_by"], 2);
    let again = cli.run(&["--now", "2022-01-10", "reissue", "--card", "1"]);
    assert_eq!(again.status.code(), Some(1));
}

#[test]
fn openssl_reads_the_crl_the_cli_writes() {
    let (cli, first) = one_card();
    let second = cli.json(&strs(&adult("2021-03-15", "p256")));
    assert_eq!(second["card_id"], json!(2));
    // Card 2 first, then card 1.
    cli.ok(&[
        "--now",
        "2021-04-01",
        "revoke",
        "--card",
        "2",
        "--cause",
        "address_change",
    ]);
    cli.ok(&[
        "--now",
        "2021-04-01",
        "revoke",
        "--card",
        "1",
        "--cause",
        "lost",
    ]);

    let crl = write_crl(&cli, "sign", "2021-04-02");
    let (ok, text) = openssl(&["crl", "-in", &crl, "-noout", "-text"]);
    assert!(ok, "{text}");
    for needle in [
        "Version 2 (0x1)",
        "X509v3 CRL Number: \n                1",
        "X509v3 Issuing Distribution Point: critical",
        "DirName:C = JP, O = JPKI-MOCK, OU = JPKI for digital signature, OU = CRL Distribution Points, OU = Tokyo-to, CN = Shinagawa-ku CRLDP",
        // A state initialised without a base URL names the default one.
        "URI:http://127.0.0.1:8080/crl/sign.crl",
        "Affiliation Changed",
        "Certificate Hold",
        // thisUpdate backdated 5 minutes from --now (00:00 JST), nextUpdate a day on.
        "Last Update: Apr  1 14:55:00 2021 GMT",
        "Next Update: Apr  2 14:55:00 2021 GMT",
    ] {
        assert!(text.contains(needle), "missing {needle:?} in\n{text}");
    }
    // The entries are in serial order, not in the order of the revocations.
    let at = instant("2021-04-01").unix_timestamp();
    assert_eq!(
        crl_entries(&from_pem(&std::fs::read_to_string(&crl).unwrap())),
        [
            (serial(&first, "sign"), Some(CERTIFICATE_HOLD), at),
            (serial(&second, "sign"), Some(AFFILIATION_CHANGED), at),
        ]
    );
    // A second CRL has the next number.
    let again = write_crl(&cli, "sign", "2021-04-02");
    let (_, number) = openssl(&["crl", "-in", &again, "-noout", "-crlnumber"]);
    assert_eq!(number.trim(), "crlNumber=0x02");
}

#[test]
fn without_the_url_in_the_distribution_point_the_crl_still_covers_the_certificate() {
    let cli = Scratch::new();
    // Production's layout: the municipality's directoryName alone. Set at init and
    // recorded: the later commands run without the config.
    let config = cli.write("production-dp.toml", "[profile]\ncrl_dp_uri = false\n");
    cli.ok(&["--config", &config, "--now", "2021-03-01", "init"]);
    let mut args = adult("2021-03-15T10:00:00+09:00", "p256");
    args.extend(["--out".to_string(), cli.path("card").display().to_string()]);
    cli.json(&strs(&args));
    let sign = cli.path("card/sign.pem");
    let (ok, text) = openssl(&[
        "x509",
        "-in",
        p(&sign),
        "-noout",
        "-ext",
        "crlDistributionPoints",
    ]);
    assert!(ok, "{text}");
    assert!(
        text.contains("DirName:") && text.contains("CN = Shinagawa-ku CRLDP"),
        "{text}"
    );
    assert!(!text.contains("URI:"), "no URL in the point: {text}");

    cli.ok(&[
        "--now",
        "2021-04-01",
        "revoke",
        "--card",
        "1",
        "--cause",
        "address_change",
    ]);
    let crl = cli.path("sign.crl.pem");
    cli.ok(&[
        "--now",
        "2021-04-01",
        "crl",
        "sign",
        "--pem",
        "--out",
        p(&crl),
    ]);
    let ca = cli.ca_pem("sign");
    // openssl matches the point by its name: in scope, so revoked (a scope mismatch
    // would say "different CRL scope" instead).
    let (ok, text) = openssl(&[
        "verify",
        "-attime",
        &epoch("2021-04-01T12:00:00+09:00"),
        "-crl_check",
        "-CAfile",
        &ca,
        "-CRLfile",
        p(&crl),
        p(&sign),
    ]);
    assert!(!ok && text.contains("certificate revoked"), "{text}");
}

#[test]
fn the_crl_index_maps_each_named_distribution_point_to_the_crl_that_covers_it() {
    let cli = Scratch::new();
    let config = cli.write("production-dp.toml", "[profile]\ncrl_dp_uri = false\n");
    // At the real now: the server's CRL is dated by the real clock.
    let now = rfc3339(now_seconds());
    cli.ok(&["--config", &config, "--now", &now, "init"]);
    let mut points = Vec::new();
    for (card, address) in [
        ("tokyo", "東京都品川区広町2-1-36"),
        ("osaka", "大阪府大阪市北区梅田1-1-3"),
    ] {
        let mut args = adult_at(&now, "p256", address);
        args.extend(["--out".to_string(), cli.path(card).display().to_string()]);
        cli.json(&strs(&args));
        // The point as openssl reads it ("C = JP, O = …, CN = …"), written as RFC 4514
        // (the RDNs reversed, comma-separated).
        let cert = cli.path(&format!("{card}/sign.pem"));
        let (ok, text) = openssl(&[
            "x509",
            "-in",
            p(&cert),
            "-noout",
            "-ext",
            "crlDistributionPoints",
        ]);
        assert!(ok, "{text}");
        let oneline = text
            .lines()
            .find_map(|l| l.trim().strip_prefix("DirName:"))
            .unwrap_or_else(|| panic!("no DirName: {text}"));
        let mut rdns: Vec<String> = oneline
            .split(", ")
            .map(|rdn| rdn.replacen(" = ", "=", 1))
            .collect();
        rdns.reverse();
        let point = rdns.join(",");
        points.push((cert, point));
    }
    let server = Binary::start(&cli.state(), &[]);
    let index = server.client().get("/crl/index.json");
    assert_eq!(index.status, 200, "{}", index.text());
    let index = index.json();
    let entries = index.as_array().unwrap();
    let ca = cli.ca_pem("sign");
    for (cert, point) in &points {
        let entry = entries
            .iter()
            .find(|e| e["ca"] == "sign" && e["distribution_point"] == json!(point))
            .unwrap_or_else(|| panic!("{point} is not in {index}"));
        assert_eq!(entry["generation"], 1);
        let url = entry["url"].as_str().unwrap();
        assert_eq!(url, format!("{}/crl/sign.crl", server.base));
        // The CRL at that URL covers the certificate: in scope, and good.
        let crl = reqwest::blocking::get(url).unwrap().bytes().unwrap();
        let crl_pem = cli.write("index.crl.pem", to_pem("X509 CRL", &crl));
        let (ok, text) = openssl(&[
            "verify",
            "-crl_check",
            "-CAfile",
            &ca,
            "-CRLfile",
            &crl_pem,
            p(cert),
        ]);
        assert!(ok, "{point}: {text}");
    }
    // Only the points certificates name: the two of the signing certificates.
    assert_eq!(
        entries.iter().filter(|e| e["ca"] == "sign").count(),
        2,
        "{index}"
    );
}

/// `populate` issues and revokes through the real code: `openssl crl` counts on each CA's
/// CRL exactly the revoked certificates `list` shows, a populated certificate verifies
/// with `openssl verify` against its CA, and `list` has every card.
#[test]
fn populate_makes_cards_that_list_openssl_crl_and_openssl_verify_agree_on() {
    let cli = Scratch::new();
    cli.ok(&["--now", "2021-03-01", "init"]);
    let now = "2021-03-15T10:00:00+09:00";
    let summary = cli.json(&[
        "--now",
        now,
        "--json",
        "populate",
        "--cards",
        "200",
        "--revoked",
        "0.2",
        "--key-alg",
        "p256",
        "--key-pool",
        "4",
        "--batch",
        "64",
    ]);
    let cards = cli.json(&["--now", now, "list"]);
    let cards = cards.as_array().unwrap();
    assert_eq!(cards.len(), 200);
    assert_eq!(summary["cards"], json!(200));
    let certificates: Vec<&Value> = cards
        .iter()
        .flat_map(|c| c["certificates"].as_array().unwrap())
        .collect();
    assert_eq!(summary["certificates"], json!(certificates.len()));
    // Adults get both certificates, the few holders under 15 an auth one only.
    let auth = certificates.iter().filter(|c| c["kind"] == "auth").count();
    assert_eq!(auth, 200);
    assert!(certificates.len() > 380, "{}", certificates.len());
    // 20% of the cards had a cause applied.
    let touched = cards
        .iter()
        .filter(|c| {
            c["certificates"]
                .as_array()
                .unwrap()
                .iter()
                .any(|x| x["status"] == "revoked")
        })
        .count();
    assert!((30..=40).contains(&touched), "{touched} cards revoked");
    let mut revoked_total = 0;
    for kind in ["sign", "auth"] {
        let revoked = certificates
            .iter()
            .filter(|c| c["kind"] == kind && c["status"] == "revoked")
            .count();
        revoked_total += revoked;
        let crl = write_crl(&cli, kind, "2021-03-15T10:00:01+09:00");
        let (ok, text) = openssl(&["crl", "-in", &crl, "-noout", "-text"]);
        assert!(ok, "{text}");
        assert_eq!(
            text.matches("Serial Number:").count(),
            revoked,
            "{kind} CRL:\n{text}"
        );
    }
    assert!(revoked_total > 0);
    assert_eq!(summary["revoked"], json!(revoked_total));

    // A good populated signing certificate verifies against the sign CA.
    let good = certificates
        .iter()
        .find(|c| c["kind"] == "sign" && c["status"] == "good")
        .unwrap();
    let leaf = cli.write("populated-sign.pem", good["cert_pem"].as_str().unwrap());
    let at = (instant(now).unix_timestamp() + 60).to_string();
    let (ok, text) = openssl(&[
        "verify",
        "-attime",
        &at,
        "-CAfile",
        &cli.ca_pem("sign"),
        &leaf,
    ]);
    assert!(ok && text.contains(": OK"), "{text}");
    // And the holder's facts are in it, as `issue` writes them.
    let (_, subject) = openssl(&["x509", "-in", &leaf, "-noout", "-subject"]);
    assert!(subject.contains("L = "), "{subject}");
}

/// With `--key-pool 1` every certificate carries the one public key, which the state
/// keeps once; `export` still writes each certificate's key.
#[test]
fn populate_with_a_pool_of_one_key_shares_it_and_stores_it_once() {
    let cli = Scratch::new();
    cli.ok(&["--now", "2021-03-01", "init"]);
    let now = "2021-03-15T10:00:00+09:00";
    cli.ok(&[
        "--now",
        now,
        "populate",
        "--cards",
        "3",
        "--revoked",
        "0",
        "--key-alg",
        "p256",
        "--key-pool",
        "1",
    ]);
    let cards = cli.json(&["--now", now, "list"]);
    let pems: Vec<String> = cards
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|c| c["certificates"].as_array().unwrap().clone())
        .map(|c| c["cert_pem"].as_str().unwrap().to_string())
        .collect();
    assert!(pems.len() >= 3, "{}", pems.len());
    let public_keys: Vec<String> = pems
        .iter()
        .enumerate()
        .map(|(i, pem)| {
            let path = cli.write(&format!("leaf-{i}.pem"), pem);
            let (ok, key) = openssl(&["x509", "-in", &path, "-noout", "-pubkey"]);
            assert!(ok, "{key}");
            key
        })
        .collect();
    assert!(public_keys.iter().all(|k| k == &public_keys[0]));
    assert_eq!(
        support::query_rows(&cli.state(), "SELECT COUNT(*) FROM card_keys"),
        [["Integer(1)"]]
    );
    // The serials differ: they are different certificates.
    let mut serials: Vec<&String> = pems.iter().collect();
    serials.dedup();
    assert_eq!(serials.len(), pems.len());
    let out = cli.path("bundle");
    cli.ok(&["--now", now, "export", "--out", p(&out)]);
    let keys: Vec<Vec<u8>> = std::fs::read_dir(out.join("cards/1"))
        .unwrap()
        .chain(std::fs::read_dir(out.join("cards/2")).unwrap())
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "key"))
        .map(|p| std::fs::read(p).unwrap())
        .collect();
    assert!(keys.len() >= 2);
    assert!(keys.iter().all(|k| k == &keys[0]));
}

/// `list` and `show` print a table on a terminal (statuses with reason and cause, no
/// PEM), and JSON through a pipe or with `--json`; `show cert --pem` the certificate.
#[test]
fn list_and_show_print_a_table_on_a_terminal_and_json_otherwise() {
    let s = Scratch::new();
    s.ok(&["init"]);
    let card = s.json(&strs(&adult("2021-03-15", "p256")));
    s.ok(&[
        "--now",
        "2021-04-01",
        "revoke",
        "--card",
        "1",
        "--cause",
        "address_change",
    ]);
    let (sign, auth) = (serial(&card, "sign"), serial(&card, "auth"));
    let (ok, table) = s.on_terminal(&["--now", "2021-05-01", "list"]);
    assert!(ok, "{table}");
    let lines: Vec<&str> = table.lines().collect();
    let words = |line: &str| line.split_whitespace().collect::<Vec<_>>().join(" ");
    assert_eq!(
        words(lines[0]),
        "CARD CARD EXPIRY KIND SERIAL EXPIRY STATUS HOLDER",
        "{table}"
    );
    assert_eq!(
        words(lines[1]),
        format!(
            "1 2030-10-01 sign {sign} 2025-10-01 revoked (affiliationChanged, address_change) 山田 太郎"
        ),
        "{table}"
    );
    assert_eq!(
        words(lines[2]),
        format!("auth {auth} 2025-10-01 good"),
        "{table}"
    );
    // The columns line up: each row's serial starts under the header's SERIAL.
    let column = lines[0].find("SERIAL").unwrap();
    assert_eq!(lines[1].find(&sign.to_string()), Some(column), "{table}");
    assert_eq!(lines[2].find(&auth.to_string()), Some(column), "{table}");
    assert!(!table.contains("BEGIN CERTIFICATE"), "{table}");

    let (ok, shown) = s.on_terminal(&["--now", "2021-05-01", "show", "card", "1"]);
    assert!(ok && shown.contains("card expiry  2030-10-01"), "{shown}");
    assert!(
        shown.contains("locality     Tokyo-to/Shinagawa-ku"),
        "{shown}"
    );
    let (ok, shown) = s.on_terminal(&["--now", "2021-05-01", "show", "cert", &sign.to_string()]);
    assert!(ok, "{shown}");
    assert!(
        shown.contains(&format!("serial         {sign} (0x{sign:08X})")),
        "{shown}"
    );
    assert!(
        shown.contains("revoked (affiliationChanged, address_change)"),
        "{shown}"
    );

    // `--json` on a terminal, and a pipe without it: JSON with the PEMs.
    let (ok, forced) = s.on_terminal(&["--now", "2021-05-01", "--json", "list"]);
    let forced: Value = serde_json::from_str(&forced).unwrap_or_else(|e| panic!("{e}: {forced}"));
    assert!(ok);
    let piped = s.json(&["--now", "2021-05-01", "list"]);
    assert_eq!(forced, piped);
    assert_eq!(
        piped[0]["certificates"][0]["reason"],
        json!("affiliationChanged")
    );
    let pem = s.ok(&["show", "cert", &sign.to_string(), "--pem"]);
    assert!(pem.starts_with("-----BEGIN CERTIFICATE-----"), "{pem}");
    assert_eq!(json!(pem), piped[0]["certificates"][0]["cert_pem"]);
}

/// An event whose time comes from the clock, before a certificate was issued, is
/// refused naming that clock (not an `at` the caller never sent), and changes nothing;
/// so is a rollover before the newest generation starts.
#[test]
fn an_event_before_issuance_names_the_clock_it_took_its_time_from() {
    let s = Scratch::new();
    s.ok(&["init"]);
    s.ok(&strs(&adult("2021-03-15", "p256")));
    s.ok(&["clock", "set", "2021-01-01"]);
    let before = s.digest();
    let output = s.run(&["revoke", "--card", "1", "--cause", "lost"]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("by the virtual clock")
            && stderr.contains("before certificate")
            && stderr.contains("jpki-mock clock reset"),
        "{stderr}"
    );
    assert!(!stderr.contains("at:"), "{stderr}");
    let output = s.run(&[
        "--now",
        "2021-02-01",
        "revoke",
        "--card",
        "1",
        "--cause",
        "lost",
    ]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("by --now"), "{stderr}");
    // A rollover at a clock before the newest generation's start names the clock too.
    let output = s.run(&["ca", "rollover", "sign"]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("by the virtual clock") && stderr.contains("before generation 1 issues"),
        "{stderr}"
    );
    assert_eq!(s.digest(), before);
    // An `at` the caller sent is the one named.
    s.ok(&["clock", "reset"]);
    let before = s.digest();
    let output = s.run(&[
        "revoke",
        "--card",
        "1",
        "--cause",
        "lost",
        "--at",
        "2021-02-01",
    ]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("at: 2021-01-31T15:00:00Z is before certificate"),
        "{stderr}"
    );
    assert_eq!(s.digest(), before);
}

/// Two `serve` replicas share one PostgreSQL state (`JPKI_MOCK_TEST_POSTGRES`, a schema
/// of this test's own): they sign with one CA and take distinct serials; a revocation
/// acknowledged by A is in B's very next OCSP answer (asked by `openssl ocsp`, after B
/// cached the good answer) and CRL (read by `openssl crl`), every time; once A is
/// killed (SIGKILL), B still answers, with nothing A acknowledged lost.
#[test]
fn two_replicas_on_postgres_answer_a_revocation_made_through_either_at_once() {
    let Some(schema) = jpki_mock::internals::TestSchema::new("two_replicas") else {
        return;
    };
    let s = Scratch::new();
    let a = Binary::start_replica(schema.url(), None);
    let b = Binary::start_replica(schema.url(), Some(&a.base));
    let (ca_a, ca_b) = (a.get("/ca/sign.cer").body, b.get("/ca/sign.cer").body);
    assert_eq!(ca_a, ca_b, "one CA for both replicas");
    let ca = s.write("ca-sign.pem", to_pem("CERTIFICATE", &ca_a));
    let ocsp_url = format!("{}/ocsp/sign", b.base);
    // Without a nonce: answers B may cache.
    let ask_b = |cert: &str| {
        let (ok, text) = openssl(&[
            "ocsp",
            "-issuer",
            &ca,
            "-cert",
            cert,
            "-url",
            &ocsp_url,
            "-CAfile",
            &ca,
            "-no_nonce",
        ]);
        assert!(ok && text.contains("Response verify OK"), "{text}");
        text
    };
    let crl_of_b = |name: &str| {
        let crl = s.write(name, b.client().crl("sign"));
        let (ok, text) = openssl(&[
            "crl", "-inform", "DER", "-in", &crl, "-CAfile", &ca, "-noout", "-text",
        ]);
        assert!(ok && text.contains("verify OK"), "{text}");
        text
    };
    let mut serials = std::collections::BTreeSet::new();
    let mut stale = Vec::new();
    for round in 0..5 {
        // Issued through either replica: never the same serial.
        let issuer = if round % 2 == 0 { &a } else { &b };
        let card = issuer.client().issue(holder("p256"));
        let sign = serial(&card, "sign");
        assert!(serials.insert(sign) && serials.insert(serial(&card, "auth")));
        let cert = s.write(
            &format!("card-{round}.pem"),
            card["sign"]["cert_pem"].as_str().unwrap(),
        );
        // B answers good twice (the second from its cache) and lists nothing.
        for _ in 0..2 {
            assert!(ask_b(&cert).contains(": good"));
        }
        let hex = format!("{sign:X}");
        assert!(!crl_of_b("before.der").contains(&hex));
        a.client()
            .event(card["card_id"].as_i64().unwrap(), json!({"cause": "lost"}));
        if !ask_b(&cert).contains(": revoked") {
            stale.push(format!("OCSP of {hex} in round {round}"));
        }
        if !crl_of_b("after.der").contains(&hex) {
            stale.push(format!("CRL without {hex} in round {round}"));
        }
    }
    assert!(stale.is_empty(), "stale answers from replica B: {stale:?}");

    // A revokes, acknowledges, and is killed: B has it, and carries on alone.
    let card = a.client().issue(holder("p256"));
    let cert = s.write("last.pem", card["sign"]["cert_pem"].as_str().unwrap());
    a.client()
        .event(card["card_id"].as_i64().unwrap(), json!({"cause": "lost"}));
    drop(a);
    assert!(ask_b(&cert).contains(": revoked"));
    let after = b.client().issue(holder("p256"));
    assert!(!serials.contains(&serial(&after, "sign")));
    // Every signing certificate revoked through A: six.
    let text = crl_of_b("alone.der");
    assert_eq!(text.matches("Serial Number:").count(), 6, "{text}");
}

#[test]
fn emigration_revokes_the_signing_certificate_on_the_departure_date_and_keeps_the_card() {
    let s = Scratch::new();
    let server = InProcess::start(&s.state(), None, None);
    let c = server.client();
    c.set_clock("2026-04-01T10:00:00+09:00");
    let card = c.issue(holder("p256"));
    c.set_clock("2026-06-10T10:00:00+09:00");
    // Reported after the departure: revoked as of the departure date.
    let report = c.event(1, json!({"cause": "emigration", "at": "2026-06-01"}));
    assert_eq!(report["revoked"].as_array().unwrap().len(), 1, "{report}");
    assert_eq!(report["revoked"][0]["kind"], "sign");
    // A relying party asking by OCSP (openssl, at the mock's date) sees the signing
    // certificate revoked on 1 June (00:00 JST), affiliationChanged; the auth one good.
    let ask = |kind: &str| {
        let pem = card[kind]["cert_pem"].as_str().unwrap();
        openssl_ocsp(&s, &c, kind, pem, "2026-06-10T10:00:00+09:00")
    };
    let sign = ask("sign");
    assert!(sign.contains(": revoked"), "{sign}");
    assert!(sign.contains("Reason: affiliationChanged"), "{sign}");
    assert!(
        sign.contains("Revocation Time: May 31 15:00:00 2026 GMT"),
        "{sign}"
    );
    let auth = ask("auth");
    assert!(auth.contains(": good"), "{auth}");
    // Only the signing certificate can be named, like an address change.
    let refused = c.api(
        "POST",
        "/api/v1/cards/1/events",
        Some(json!({"cause": "emigration", "certs": ["auth"]})),
    );
    assert_eq!(refused.status, 400, "{}", refused.text());
}
