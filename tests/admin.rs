//! The admin JSON API, through the router without a socket (`tower::ServiceExt::oneshot`)
//! and over real TCP: cards and events reflected in the card, certificate, CRL and
//! OCSP views; renewal at the window edges with the virtual clock; reissue; the
//! PIN-protected virtual card (lockout, reset, restart, hashed storage); signatures
//! checked by openssl; notices; statuses at the clock's now; the admin token (and the
//! binary's refusal to serve a public address without one); every error status with
//! the state left unchanged; and the served binary sharing its state with the CLI.

mod support;

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

use base64::Engine;
use serde_json::{json, Value};
use support::{
    command, crl_entries, free_port, holder, instant, ocsp_request, openssl, query_rows,
    serial_of_pem, statuses, Binary, Client, InProcess, IssuerHashes, Reply, Scratch,
};

/// The mock in-process on the scratch state, its CAs made on 2021-01-01 (so that the
/// virtual clock can go back to 2021), with an optional admin token. Starting it again
/// on the same state is a restart.
fn admin_server(s: &Scratch, token: Option<&str>) -> InProcess {
    InProcess::start(&s.state(), token, Some(instant("2021-01-01")))
}

/// A certificate of a card view, by serial.
fn cert<'a>(view: &'a Value, serial: &Value) -> &'a Value {
    view["certificates"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["serial"] == *serial)
        .unwrap_or_else(|| panic!("no certificate {serial} in {view}"))
}

/// Asserts an error reply: the status and `{error: code, message: non-empty}`.
fn assert_error(reply: &Reply, status: u16, code: &str, what: &str) {
    assert_eq!(reply.status, status, "{what}: {}", reply.text());
    let body = reply.json();
    assert_eq!(body["error"], json!(code), "{what}: {body}");
    assert!(
        !body["message"].as_str().unwrap_or("").is_empty(),
        "{what}: {body}"
    );
}

fn renew(c: &Client, id: i64) -> Reply {
    c.api(
        "POST",
        &format!("/api/v1/cards/{id}/renew"),
        Some(json!({})),
    )
}

/// Issues a card and reports it lost through `c`, checking the issuance, the OCSP
/// answers and CRLs before and after, the card view and the certificate view.
fn issue_then_event_is_reflected_everywhere(c: &Client) {
    c.set_clock("2021-03-15T10:00:00+09:00");
    let created = c.issue(holder("p256"));
    assert_eq!(created["card_id"], json!(1));
    assert_eq!(created["fee_yen"], json!(0));
    assert_eq!(created["card_expiry"], json!("2030-10-01"));
    assert_eq!(created["sign"]["not_after"], json!("2025-10-01T14:59:59Z"));
    let ca_pem = |kind: &str| c.get(&format!("/ca/{kind}.pem")).text();
    for kind in ["sign", "auth"] {
        let issued = &created[kind];
        for field in [
            "serial",
            "not_before",
            "not_after",
            "cert_pem",
            "key_pem",
            "chain_pem",
        ] {
            assert!(
                !issued[field].is_null(),
                "{kind}.{field} missing: {created}"
            );
        }
        let cert_pem = issued["cert_pem"].as_str().unwrap();
        assert_eq!(
            u64::from(serial_of_pem(cert_pem)),
            issued["serial"].as_u64().unwrap()
        );
        assert!(issued["key_pem"]
            .as_str()
            .unwrap()
            .starts_with("-----BEGIN PRIVATE KEY-----"));
        assert_eq!(
            issued["chain_pem"].as_str().unwrap(),
            format!("{cert_pem}{}", ca_pem(kind))
        );
    }
    let serial = |kind: &str| u32::try_from(created[kind]["serial"].as_u64().unwrap()).unwrap();
    let ocsp = |kind: &str| {
        let ca = c.get(&format!("/ca/{kind}.cer")).body;
        let request = ocsp_request(
            &[IssuerHashes::of(&ca).cert_id(false, serial(kind), true)],
            None,
        );
        statuses(&c.ocsp_post(&format!("/ocsp/{kind}"), &request).body)
    };
    assert_eq!(ocsp("sign"), ["good"]);
    assert_eq!(ocsp("auth"), ["good"]);
    assert!(crl_entries(&c.crl("sign")).is_empty());
    assert!(crl_entries(&c.crl("auth")).is_empty());

    let report = c.event(1, json!({"cause": "lost"}));
    let revoked = report["revoked"].as_array().unwrap();
    assert_eq!(revoked.len(), 2, "{report}");
    for (entry, kind) in revoked.iter().zip(["sign", "auth"]) {
        assert_eq!(entry["serial"], created[kind]["serial"]);
        assert_eq!(entry["kind"], json!(kind));
        assert_eq!(entry["reason"], json!("certificateHold"));
        // At the virtual clock's now.
        assert_eq!(entry["revoked_at"], json!("2021-03-15T01:00:00Z"));
    }
    assert_eq!(ocsp("sign"), ["revoked:CertificateHold"]);
    assert_eq!(ocsp("auth"), ["revoked:CertificateHold"]);
    for kind in ["sign", "auth"] {
        let revoked_at = instant(revoked[0]["revoked_at"].as_str().unwrap()).unix_timestamp();
        assert_eq!(
            crl_entries(&c.crl(kind)),
            vec![(serial(kind), Some(6), revoked_at)],
            "{kind}"
        );
    }
    let view = c.card(1);
    for kind in ["sign", "auth"] {
        let cert = cert(&view, &created[kind]["serial"]);
        assert_eq!(cert["status"], json!("revoked"));
        assert_eq!(cert["reason"], json!("certificateHold"));
        assert_eq!(cert["revoked_at"], revoked[0]["revoked_at"]);
    }
    // The certificate view agrees.
    for kind in ["sign", "auth"] {
        let reply = c.api("GET", &format!("/api/v1/certs/{}", serial(kind)), None);
        assert_eq!(reply.status, 200, "{}", reply.text());
        let body = reply.json();
        assert_eq!(body["status"], json!("revoked"), "{body}");
        assert_eq!(body["reason"], json!("certificateHold"), "{body}");
        assert_eq!(body["card_id"], json!(1), "{body}");
    }
}

#[test]
fn issue_and_event_show_in_card_cert_crl_and_ocsp_over_tcp() {
    let s = Scratch::new();
    let server = admin_server(&s, None);
    issue_then_event_is_reflected_everywhere(&server.client());
}

#[test]
fn issue_and_event_show_in_card_cert_crl_and_ocsp_through_the_router() {
    let s = Scratch::new();
    let server = admin_server(&s, None);
    issue_then_event_is_reflected_everywhere(&server.oneshot());
}

#[test]
fn renewal_is_refused_before_the_window_and_after_expiry_and_allowed_at_its_edges() {
    let s = Scratch::new();
    let server = admin_server(&s, None);
    let c = server.oneshot();
    c.set_clock("2021-03-15T10:00:00+09:00");
    let mut cards = Vec::new();
    for _ in 0..4 {
        let issued = c.issue(holder("p256"));
        assert_eq!(issued["card_expiry"], json!("2030-10-01"));
        for kind in ["sign", "auth"] {
            assert_eq!(issued[kind]["expiry"], json!("2025-10-01"), "{issued}");
            assert_eq!(issued[kind]["not_after"], json!("2025-10-01T14:59:59Z"));
        }
        cards.push(issued);
    }

    // The day before the window opens.
    c.set_clock("2025-07-01T23:59:59+09:00");
    let refused = renew(&c, 1);
    assert_error(&refused, 409, "refused", "renewal on 2025-07-01");
    let message = refused.json()["message"].as_str().unwrap().to_string();
    assert!(message.contains("2025-07-02"), "{message}");
    let only_sign = c.api(
        "POST",
        "/api/v1/cards/1/renew",
        Some(json!({"certs": ["sign"]})),
    );
    assert_error(&only_sign, 409, "refused", "sign renewal on 2025-07-01");

    let check_renewed = |reply: &Reply, old: &Value, expiry: &str, at: &str| {
        assert_eq!(reply.status, 200, "{}", reply.text());
        let body = reply.json();
        assert_eq!(body["card_id"], old["card_id"]);
        assert_eq!(body["fee_yen"], json!(0));
        for kind in ["sign", "auth"] {
            assert_eq!(body[kind]["expiry"], json!(expiry), "{kind}: {body}");
            assert_eq!(
                body[kind]["not_after"],
                json!(format!("{expiry}T14:59:59Z"))
            );
            assert_eq!(body[kind]["not_before"], json!(at));
            assert_ne!(body[kind]["serial"], old[kind]["serial"]);
        }
        let revoked: Vec<(Value, Value, Value)> = body["revoked"]
            .as_array()
            .expect("the superseded certificates are reported")
            .iter()
            .map(|r| {
                (
                    r["serial"].clone(),
                    r["reason"].clone(),
                    r["revoked_at"].clone(),
                )
            })
            .collect();
        assert_eq!(
            revoked,
            vec![
                (
                    old["sign"]["serial"].clone(),
                    json!("superseded"),
                    json!(at)
                ),
                (
                    old["auth"]["serial"].clone(),
                    json!("superseded"),
                    json!(at)
                ),
            ]
        );
        body
    };

    // The first day of the window (midnight JST). A renewal runs to the sixth birthday
    // counted from the renewal day, the old expiry 2025-10-01 being the first:
    // 2030-10-01, also the card's expiry (the fifth birthday would be 2029-10-01).
    c.set_clock("2025-07-02T00:00:00+09:00");
    let first = renew(&c, 1);
    let renewed = check_renewed(&first, &cards[0], "2030-10-01", "2025-07-01T15:00:00Z");

    // domain.md §3: renewed 2025-08-01 → 2030-10-01 (naming both certificates is the
    // same as naming none).
    c.set_clock("2025-08-01T10:00:00+09:00");
    check_renewed(
        &c.api(
            "POST",
            "/api/v1/cards/2/renew",
            Some(json!({"certs": ["sign", "auth"]})),
        ),
        &cards[1],
        "2030-10-01",
        "2025-08-01T01:00:00Z",
    );

    // The expiry date itself, its last second: that birthday counts as the first, so the
    // sixth is again 2030-10-01.
    c.set_clock("2025-10-01T23:59:59+09:00");
    check_renewed(
        &renew(&c, 3),
        &cards[2],
        "2030-10-01",
        "2025-10-01T14:59:59Z",
    );

    // The day after expiry: a new issuance, not a renewal.
    c.set_clock("2025-10-02T00:00:00+09:00");
    let expired = renew(&c, 4);
    assert_error(&expired, 409, "refused", "renewal on 2025-10-02");
    let message = expired.json()["message"].as_str().unwrap().to_string();
    assert!(message.contains("expired"), "{message}");
    assert!(message.contains("2025-10-01"), "{message}");

    // Card 1's new certificates are far from their window now.
    let again = renew(&c, 1);
    assert_error(&again, 409, "refused", "second renewal");
    assert!(again.json()["message"]
        .as_str()
        .unwrap()
        .contains("2030-07-02"));

    // The card shows the old certificates revoked (superseded) and the new ones good.
    let view = c.card(1);
    let listed: Vec<&str> = view["certificates"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["status"].as_str().unwrap())
        .collect();
    assert_eq!(listed, ["revoked", "revoked", "good", "good"], "{view}");
    for kind in ["sign", "auth"] {
        let old = cert(&view, &cards[0][kind]["serial"]);
        assert_eq!(old["status"], json!("revoked"));
        assert_eq!(old["reason"], json!("superseded"));
        assert_eq!(old["revoked_at"], json!("2025-07-01T15:00:00Z"));
        let new = cert(&view, &renewed[kind]["serial"]);
        assert_eq!(new["status"], json!("good"));
        assert_eq!(new["renewal_window"], json!(["2030-07-02", "2030-10-01"]));
    }
    // Card 4 was not renewed: its certificates are expired.
    let view = c.card(4);
    for kind in ["sign", "auth"] {
        assert_eq!(
            cert(&view, &cards[3][kind]["serial"])["status"],
            json!("expired")
        );
    }
}

#[test]
fn reissue_charges_200_yen_invalidates_the_old_card_and_issues_a_new_one() {
    let s = Scratch::new();
    let server = admin_server(&s, None);
    let c = server.oneshot();
    c.set_clock("2021-03-15T10:00:00+09:00");
    let old = c.issue(holder("p256"));
    let notice_cards = |on: &str| -> Vec<(Value, Value)> {
        let reply = c.api("GET", &format!("/api/v1/notices?on={on}"), None);
        assert_eq!(reply.status, 200, "{}", reply.text());
        reply.json()["notices"]
            .as_array()
            .unwrap()
            .iter()
            .map(|n| (n["card_id"].clone(), n["kind"].clone()))
            .collect()
    };
    assert_eq!(
        notice_cards("2025-07-01"),
        [(json!(1), json!("sign")), (json!(1), json!("auth"))]
    );
    c.set_clock("2022-01-10T10:00:00+09:00");

    let reply = c.api("POST", "/api/v1/cards/1/reissue", Some(json!({})));
    assert_eq!(reply.status, 201, "{}", reply.text());
    let new = reply.json();
    assert_eq!(new["card_id"], json!(2));
    assert_eq!(new["fee_yen"], json!(200));
    // Expiry from the reissue date: card 2031-10-01, certificates 2026-10-01.
    assert_eq!(new["card_expiry"], json!("2031-10-01"));
    for kind in ["sign", "auth"] {
        assert_eq!(new[kind]["expiry"], json!("2026-10-01"));
        assert_ne!(new[kind]["serial"], old[kind]["serial"]);
    }
    let revoked: Vec<(Value, Value, Value)> = new["revoked"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["serial"].clone(), r["kind"].clone(), r["reason"].clone()))
        .collect();
    assert_eq!(
        revoked,
        vec![
            (
                old["sign"]["serial"].clone(),
                json!("sign"),
                json!("cessationOfOperation")
            ),
            (
                old["auth"]["serial"].clone(),
                json!("auth"),
                json!("cessationOfOperation")
            ),
        ]
    );

    let old_view = c.card(1);
    assert_eq!(old_view["replaced_by"], json!(2));
    for kind in ["sign", "auth"] {
        let c = cert(&old_view, &old[kind]["serial"]);
        assert_eq!(c["status"], json!("revoked"));
        assert_eq!(c["reason"], json!("cessationOfOperation"));
        assert_eq!(c["cause"], json!("card_invalidated"));
        assert_eq!(c["revoked_at"], json!("2022-01-10T01:00:00Z"));
    }
    let new_view = c.card(2);
    assert_eq!(new_view["replaces"], json!(1));
    assert_eq!(new_view["fee_yen"], json!(200));
    assert_eq!(new_view["name"], old_view["name"]);
    for kind in ["sign", "auth"] {
        assert_eq!(
            cert(&new_view, &new[kind]["serial"])["status"],
            json!("good")
        );
    }
    for kind in ["sign", "auth"] {
        let crl = c.send("GET", &format!("/crl/{kind}.crl"), &[], Vec::new());
        let entries: Vec<(u32, Option<u8>)> = crl_entries(&crl.body)
            .into_iter()
            .map(|(s, r, _)| (s, r))
            .collect();
        assert_eq!(
            entries,
            vec![(
                u32::try_from(old[kind]["serial"].as_u64().unwrap()).unwrap(),
                Some(5)
            )]
        );
    }
    // The old card's certificates no longer get notices; the new card's do.
    assert_eq!(notice_cards("2025-07-01"), []);
    assert_eq!(
        notice_cards("2026-07-01"),
        [(json!(2), json!("sign")), (json!(2), json!("auth"))]
    );
    // The old card cannot be reissued twice.
    let twice = c.api("POST", "/api/v1/cards/1/reissue", None);
    assert_error(&twice, 409, "refused", "second reissue");
    assert!(c.api("GET", "/api/v1/cards/3", None).status == 404);
}

fn use_pin(c: &Client, id: i64, kind: &str, pin: &str) -> Reply {
    let route = if kind == "sign" {
        "sign"
    } else {
        "authenticate"
    };
    c.api(
        "POST",
        &format!("/api/v1/cards/{id}/{route}"),
        Some(json!({"pin": pin, "data_base64": "aGVsbG8="})),
    )
}

fn assert_wrong(c: &Client, kind: &str, pin: &str, remaining: u32) {
    let reply = use_pin(c, 1, kind, pin);
    assert_error(&reply, 403, "wrong_pin", &format!("{kind} PIN {pin}"));
    assert_eq!(
        reply.json()["remaining_tries"],
        json!(remaining),
        "{kind}: {}",
        reply.text()
    );
}

fn assert_locked(c: &Client, kind: &str, pin: &str) {
    let reply = use_pin(c, 1, kind, pin);
    assert_error(&reply, 423, "pin_locked", &format!("locked {kind} PIN"));
}

fn assert_accepted(c: &Client, kind: &str, pin: &str) {
    let reply = use_pin(c, 1, kind, pin);
    assert_eq!(reply.status, 200, "{kind} PIN {pin}: {}", reply.text());
}

#[test]
fn pins_lock_after_5_and_3_wrong_tries_reset_unlocks_and_counters_survive_a_restart() {
    let s = Scratch::new();
    let server = admin_server(&s, None);
    let c = server.oneshot();
    c.set_clock("2021-03-15T10:00:00+09:00");
    c.issue(holder("p256"));

    // A right PIN clears the count; a PIN of the wrong shape is 400 and not a try.
    assert_wrong(&c, "sign", "ABC124", 4);
    assert_wrong(&c, "sign", "ABC125", 3);
    assert_accepted(&c, "sign", "ABC123");
    assert_wrong(&c, "sign", "ABC124", 4);
    let malformed = use_pin(&c, 1, "sign", "abc");
    assert_error(&malformed, 400, "bad_input", "malformed sign PIN");
    assert_wrong(&c, "sign", "ABC124", 3);
    assert_accepted(&c, "sign", "ABC123");

    // Sign: five wrong tries, then locked, even for the right PIN.
    for remaining in [4, 3, 2, 1, 0] {
        assert_wrong(&c, "sign", "ZZZ999", remaining);
    }
    assert_locked(&c, "sign", "ABC123");
    assert_locked(&c, "sign", "ZZZ999");
    // The auth PIN is separate.
    assert_accepted(&c, "auth", "1234");

    // Auth: three wrong tries.
    for remaining in [2, 1, 0] {
        assert_wrong(&c, "auth", "4321", remaining);
    }
    assert_locked(&c, "auth", "1234");

    // pin-reset unlocks with a new PIN, no old PIN needed.
    let bad_reset = c.api(
        "POST",
        "/api/v1/cards/1/pin-reset",
        Some(json!({"kind": "sign", "new_pin": "short"})),
    );
    assert_error(&bad_reset, 400, "bad_input", "reset to a malformed PIN");
    assert_locked(&c, "sign", "ABC123");
    let reset = c.api(
        "POST",
        "/api/v1/cards/1/pin-reset",
        Some(json!({"kind": "sign", "new_pin": "NEW456"})),
    );
    assert_eq!(reset.status, 200, "{}", reset.text());
    assert_wrong(&c, "sign", "ABC123", 4);
    assert_accepted(&c, "sign", "NEW456");
    assert_locked(&c, "auth", "1234");

    // Counters survive a restart: two wrong sign tries, restart, three more lock it.
    assert_wrong(&c, "sign", "ZZZ999", 4);
    assert_wrong(&c, "sign", "ZZZ999", 3);
    drop(server);
    let server = admin_server(&s, None);
    let c = server.oneshot();
    assert_wrong(&c, "sign", "ZZZ999", 2);
    assert_wrong(&c, "sign", "ZZZ999", 1);
    drop(server);
    let server = admin_server(&s, None);
    let c = server.oneshot();
    assert_wrong(&c, "sign", "ZZZ999", 0);
    // A lock survives a restart too.
    assert_locked(&c, "auth", "1234");
    drop(server);
    let server = admin_server(&s, None);
    let c = server.oneshot();
    assert_locked(&c, "sign", "NEW456");
    assert_locked(&c, "auth", "1234");
    let reset = c.api(
        "POST",
        "/api/v1/cards/1/pin-reset",
        Some(json!({"kind": "auth", "new_pin": "9876"})),
    );
    assert_eq!(reset.status, 200, "{}", reset.text());
    assert_accepted(&c, "auth", "9876");
    assert_locked(&c, "sign", "NEW456");

    // PINs are stored hashed (Argon2), never in clear.
    let hashes = query_rows(&s.state(), "SELECT hash FROM pins");
    assert_eq!(hashes.len(), 2, "{hashes:?}");
    for row in &hashes {
        let hash = &row[0];
        assert!(hash.starts_with("$argon2"), "{hash}");
        for pin in ["NEW456", "9876", "ABC123", "1234"] {
            assert!(!hash.contains(pin), "{pin} in {hash}");
        }
    }
}

#[test]
fn signatures_from_the_virtual_card_verify_with_openssl_against_the_certificate_key() {
    let s = Scratch::new();
    let server = admin_server(&s, None);
    let c = server.oneshot();
    let issued = c.issue(holder("rsa2048"));
    let data = "確定申告 2025: 署名してください".as_bytes();
    let data_path = s.write("data.bin", data);
    let tampered_path = s.write("tampered.bin", [data, b"!"].concat());

    for (kind, route, pin) in [("sign", "sign", "ABC123"), ("auth", "authenticate", "1234")] {
        let reply = c.api(
            "POST",
            &format!("/api/v1/cards/1/{route}"),
            Some(json!({
                "pin": pin,
                "data_base64": base64::engine::general_purpose::STANDARD.encode(data),
            })),
        );
        assert_eq!(reply.status, 200, "{}", reply.text());
        let body = reply.json();
        assert_eq!(body["algorithm"], json!("sha256WithRSAEncryption"));
        assert_eq!(body["serial"], issued[kind]["serial"]);
        assert_eq!(body["cert_pem"], issued[kind]["cert_pem"]);
        let signature = base64::engine::general_purpose::STANDARD
            .decode(body["signature_base64"].as_str().unwrap())
            .unwrap();
        assert_eq!(signature.len(), 256, "RSA-2048");
        let sig_path = s.write(&format!("{kind}.sig"), &signature);
        let cert_path = s.write(
            &format!("{kind}.pem"),
            issued[kind]["cert_pem"].as_str().unwrap(),
        );
        let (ok, pubkey) = openssl(&["x509", "-in", &cert_path, "-pubkey", "-noout"]);
        assert!(ok, "{pubkey}");
        let pub_path = s.write(&format!("{kind}-pub.pem"), &pubkey);
        // The key handed out at issuance is the certificate's key.
        let key_path = s.write(
            &format!("{kind}.key"),
            issued[kind]["key_pem"].as_str().unwrap(),
        );
        let (ok, from_key) = openssl(&["pkey", "-in", &key_path, "-pubout"]);
        assert!(ok, "{from_key}");
        assert_eq!(from_key, pubkey, "{kind}: key_pem does not match cert_pem");

        let (ok, text) = openssl(&[
            "dgst",
            "-sha256",
            "-verify",
            &pub_path,
            "-signature",
            &sig_path,
            &data_path,
        ]);
        assert!(ok, "{kind}: {text}");
        assert_eq!(text.trim(), "Verified OK");
        let (ok, text) = openssl(&[
            "dgst",
            "-sha256",
            "-verify",
            &pub_path,
            "-signature",
            &sig_path,
            &tampered_path,
        ]);
        assert!(!ok, "{kind}: a tampered message verified: {text}");
        assert!(text.contains("Verification failure"), "{text}");
    }
    // The signing key is not the auth key.
    let (ok, text) = openssl(&[
        "dgst",
        "-sha256",
        "-verify",
        &s.path("auth-pub.pem").to_string_lossy(),
        "-signature",
        &s.path("sign.sig").to_string_lossy(),
        &data_path,
    ]);
    assert!(!ok, "{text}");
}

#[test]
fn notices_list_the_certificates_whose_notice_date_it_is() {
    let s = Scratch::new();
    let server = admin_server(&s, None);
    let c = server.oneshot();
    c.set_clock("2021-03-15T10:00:00+09:00");
    let october = c.issue(holder("p256")); // expires 2025-10-01
    let mut june = holder("p256");
    june["birth"] = json!("1985-06-10"); // expires 2025-06-10
    let june = c.issue(june);
    let mut may = holder("p256");
    may["birth"] = json!("1990-05-31"); // expires 2025-05-31: notice on 2025-02-28
    let may = c.issue(may);
    let lost = c.issue(holder("p256")); // expires 2025-10-01, but revoked
    let report = c.api(
        "POST",
        "/api/v1/cards/4/events",
        Some(json!({"cause": "lost"})),
    );
    assert_eq!(report.status, 200);
    assert_eq!(lost["sign"]["expiry"], json!("2025-10-01"));

    let notices = |on: &'static str| {
        let reply = c.api("GET", &format!("/api/v1/notices?on={on}"), None);
        assert_eq!(reply.status, 200, "{}", reply.text());
        let body = reply.json();
        assert_eq!(body["on"], json!(on));
        let mut list: Vec<(Value, Value, Value, Value, Value, Value)> = body["notices"]
            .as_array()
            .unwrap()
            .iter()
            .map(|n| {
                (
                    n["card_id"].clone(),
                    n["serial"].clone(),
                    n["kind"].clone(),
                    n["expiry"].clone(),
                    n["notice_date"].clone(),
                    n["renewal_window"].clone(),
                )
            })
            .collect();
        list.sort_by_key(|n| n.1.as_u64());
        list
    };
    let expect = |card: &Value, expiry: &str, on: &str, opens: &str| {
        ["sign", "auth"]
            .iter()
            .map(|kind| {
                (
                    card["card_id"].clone(),
                    card[kind]["serial"].clone(),
                    json!(kind),
                    json!(expiry),
                    json!(on),
                    json!([opens, expiry]),
                )
            })
            .collect::<Vec<_>>()
    };
    assert_eq!(
        notices("2025-07-01"),
        expect(&october, "2025-10-01", "2025-07-01", "2025-07-02")
    );
    assert_eq!(
        notices("2025-03-10"),
        expect(&june, "2025-06-10", "2025-03-10", "2025-03-11")
    );
    assert_eq!(
        notices("2025-02-28"),
        expect(&may, "2025-05-31", "2025-02-28", "2025-03-01")
    );
    assert!(notices("2025-07-02").is_empty());
    assert!(notices("2025-06-30").is_empty());

    for query in [
        "",
        "?on=2023-02-29",
        "?on=2025-7-1",
        "?on=tomorrow",
        "?date=2025-07-01",
    ] {
        let reply = c.api("GET", &format!("/api/v1/notices{query}"), None);
        assert_error(&reply, 400, "bad_input", query);
    }
}

#[test]
fn card_and_certificate_statuses_are_judged_at_the_clocks_now() {
    let s = Scratch::new();
    let server = admin_server(&s, None);
    let c = server.oneshot();
    c.set_clock("2021-03-15T10:00:00+09:00");
    let good = c.issue(holder("p256"));
    let lost = c.issue(holder("p256"));
    c.set_clock("2022-01-01T00:00:00+09:00");
    let report = c.api(
        "POST",
        "/api/v1/cards/2/events",
        Some(json!({"cause": "lost"})),
    );
    assert_eq!(report.status, 200);

    let statuses = |view: &Value, card: &Value| {
        ["sign", "auth"]
            .iter()
            .map(|kind| {
                let c = cert(view, &card[kind]["serial"]);
                (
                    c["status"].clone(),
                    c["reason"].clone(),
                    c["revoked_at"].clone(),
                )
            })
            .collect::<Vec<_>>()
    };
    let good_now = (json!("good"), Value::Null, Value::Null);
    let held = (
        json!("revoked"),
        json!("certificateHold"),
        json!("2021-12-31T15:00:00Z"),
    );
    let expired = (json!("expired"), Value::Null, Value::Null);

    let view = c.card(1);
    assert_eq!(view["birth"], json!("1990-10-01"));
    assert_eq!(view["card_expiry"], json!("2030-10-01"));
    assert_eq!(statuses(&view, &good), vec![good_now.clone(); 2]);
    assert_eq!(statuses(&c.card(2), &lost), vec![held.clone(); 2]);

    // The last second of the expiry date, then the next.
    c.set_clock("2025-10-01T23:59:59+09:00");
    assert_eq!(statuses(&c.card(1), &good), vec![good_now.clone(); 2]);
    c.set_clock("2025-10-02T00:00:00+09:00");
    assert_eq!(statuses(&c.card(1), &good), vec![expired.clone(); 2]);
    // A revocation stays a revocation after expiry.
    assert_eq!(statuses(&c.card(2), &lost), vec![held.clone(); 2]);

    // /certs/{serial}, decimal or hex.
    let serial = good["sign"]["serial"].as_u64().unwrap();
    for path in [
        format!("/api/v1/certs/{serial}"),
        format!("/api/v1/certs/0x{serial:x}"),
    ] {
        let reply = c.api("GET", &path, None);
        assert_eq!(reply.status, 200, "{}", reply.text());
        let body = reply.json();
        assert_eq!(body["serial"], json!(serial));
        assert_eq!(body["kind"], json!("sign"));
        assert_eq!(body["card_id"], json!(1));
        assert_eq!(body["status"], json!("expired"));
    }
    let reply = c.api(
        "GET",
        &format!("/api/v1/certs/{}", lost["auth"]["serial"]),
        None,
    );
    assert_eq!(reply.json()["status"], json!("revoked"));
    assert_eq!(reply.json()["reason"], json!("certificateHold"));

    // Back in time: good again.
    c.set_clock("2023-01-01");
    assert_eq!(statuses(&c.card(1), &good), vec![good_now; 2]);
    let clock = c.api("GET", "/api/v1/clock", None).json();
    assert_eq!(clock["mode"], json!("fixed"));
    assert_eq!(clock["now"], json!("2022-12-31T15:00:00Z"));
    let system = c.api("DELETE", "/api/v1/clock", None);
    assert_eq!(system.status, 200);
    assert_eq!(system.json()["mode"], json!("system"));
}

#[test]
fn an_event_at_a_past_instant_is_recorded_at_that_instant_everywhere() {
    let s = Scratch::new();
    let server = admin_server(&s, None);
    let c = server.oneshot();
    c.set_clock("2021-03-15T10:00:00+09:00");
    let issued = c.issue(holder("p256"));
    c.set_clock("2021-06-01T10:00:00+09:00");
    let reply = c.api(
        "POST",
        "/api/v1/cards/1/events",
        Some(json!({"cause": "stolen", "at": "2021-05-20T08:30:00+09:00"})),
    );
    assert_eq!(reply.status, 200, "{}", reply.text());
    let report = reply.json();
    for (entry, kind) in report["revoked"]
        .as_array()
        .unwrap()
        .iter()
        .zip(["sign", "auth"])
    {
        assert_eq!(entry["kind"], json!(kind));
        assert_eq!(entry["revoked_at"], json!("2021-05-19T23:30:00Z"));
        assert_eq!(entry["reason"], json!("keyCompromise"));
    }
    let view = c.card(1);
    let at = instant("2021-05-20T08:30:00+09:00");
    for kind in ["sign", "auth"] {
        let shown = cert(&view, &issued[kind]["serial"]);
        assert_eq!(shown["revoked_at"], json!("2021-05-19T23:30:00Z"));
        assert_eq!(shown["cause"], json!("stolen"));
        assert_eq!(
            crl_entries(&c.crl(kind)),
            vec![(
                u32::try_from(issued[kind]["serial"].as_u64().unwrap()).unwrap(),
                Some(1),
                at.unix_timestamp()
            )]
        );
    }
}

#[test]
fn with_a_token_the_admin_api_needs_it_and_publication_stays_open() {
    let s = Scratch::new();
    let server = admin_server(&s, Some("secret"));
    // Over TCP: the Authorization header as a real client sends it.
    let c = server.client();
    let body = holder("p256").to_string();
    let json_ct = ("content-type", "application/json");

    for auth in [
        None,
        Some("Bearer wrong"),
        Some("Bearer secre"),
        Some("Bearer secret2"),
        Some("secret"),
        Some("Basic secret"),
        Some("Bearer "),
    ] {
        let mut headers = vec![json_ct];
        if let Some(a) = auth {
            headers.push(("authorization", a));
        }
        for (method, uri, payload) in [
            ("POST", "/api/v1/cards", body.clone()),
            ("GET", "/api/v1/cards/1", String::new()),
            ("GET", "/api/v1/clock", String::new()),
            (
                "PUT",
                "/api/v1/clock",
                json!({"now": "2030-01-01"}).to_string(),
            ),
            ("GET", "/api/v1/notices?on=2025-07-01", String::new()),
        ] {
            let reply = c.send(method, uri, &headers, payload);
            assert_error(
                &reply,
                401,
                "unauthorized",
                &format!("{method} {uri} with {auth:?}"),
            );
        }
    }
    let bearer = [json_ct, ("authorization", "Bearer secret")];
    // Nothing was created or changed by the refused requests.
    let reply = c.send("GET", "/api/v1/cards/1", &bearer, Vec::new());
    assert_error(&reply, 404, "not_found", "card 1 before issuance");
    let clock = c.send("GET", "/api/v1/clock", &bearer, Vec::new());
    assert_eq!(clock.status, 200);
    assert_eq!(clock.json()["mode"], json!("system"));

    let created = c.send("POST", "/api/v1/cards", &bearer, body.clone());
    assert_eq!(created.status, 201, "{}", created.text());
    let created = created.json();
    let reply = c.send("GET", "/api/v1/cards/1", &bearer, Vec::new());
    assert_eq!(reply.status, 200);

    // Publication and OCSP need no token.
    let ca = c.send("GET", "/ca/sign.cer", &[], Vec::new());
    assert_eq!(ca.status, 200);
    let serial = u32::try_from(created["sign"]["serial"].as_u64().unwrap()).unwrap();
    let request = ocsp_request(
        &[IssuerHashes::of(&ca.body).cert_id(false, serial, true)],
        None,
    );
    for path in ["/ocsp/sign", "/ocsp"] {
        let reply = c.send(
            "POST",
            path,
            &[("content-type", "application/ocsp-request")],
            request.clone(),
        );
        assert_eq!(reply.status, 200);
        assert_eq!(statuses(&reply.body), ["good"]);
    }
    let get = format!(
        "/ocsp/sign/{}",
        base64::engine::general_purpose::STANDARD.encode(&request)
    );
    for path in [
        get.as_str(),
        "/crl/sign.crl",
        "/crl/auth.crl",
        "/ca/auth.pem",
        "/healthz",
    ] {
        let reply = c.send("GET", path, &[], Vec::new());
        assert_eq!(reply.status, 200, "{path}");
    }
}

#[test]
fn the_bearer_scheme_is_case_insensitive() {
    let s = Scratch::new();
    let server = admin_server(&s, Some("secret"));
    let c = server.oneshot();
    for scheme in ["bearer", "BEARER", "Bearer"] {
        let value = format!("{scheme} secret");
        let reply = c.send(
            "GET",
            "/api/v1/clock",
            &[("authorization", value.as_str())],
            Vec::new(),
        );
        assert_eq!(reply.status, 200, "{scheme}: {}", reply.text());
    }
}

/// Runs `serve` and waits for it to exit (killing it and failing if it keeps running).
fn serve_expecting_exit(state: &Path, args: &[&str]) -> (Option<i32>, String) {
    let mut child = command(state)
        .arg("serve")
        .args(args)
        .env("JPKI_MOCK_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            let mut stderr = String::new();
            use std::io::Read;
            child
                .stderr
                .take()
                .unwrap()
                .read_to_string(&mut stderr)
                .unwrap();
            return (status.code(), stderr);
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("`serve {args:?}` started instead of refusing");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// The banner of `serve` started with `args` on `state`: its lines up to `health:`,
/// and a warning if one follows within half a second.
fn banner_of(state: &Path, args: &[&str]) -> String {
    use std::io::BufRead;
    let mut child = command(state)
        .arg("serve")
        .args(args)
        .env("JPKI_MOCK_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let (lines, received) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(stdout)
            .lines()
            .map_while(Result::ok)
        {
            if lines.send(line).is_err() {
                break;
            }
        }
    });
    let mut banner = String::new();
    let mut wait = Duration::from_secs(30);
    while let Ok(line) = received.recv_timeout(wait) {
        if line.starts_with("health:") {
            wait = Duration::from_millis(500);
        }
        banner.push_str(&line);
        banner.push('\n');
    }
    let _ = child.kill();
    let _ = child.wait();
    banner
}

/// The banner shows what this listener serves (OCSP and the admin API included), and
/// warns when the certificates' recorded base URL is a loopback address at another port.
#[test]
fn the_banner_shows_what_is_served_and_warns_when_certificates_point_elsewhere() {
    let s = Scratch::new();
    s.ok(&["init", "--base-url", "http://127.0.0.1:8080"]);
    let port = free_port();
    let listen = format!("127.0.0.1:{port}");
    let banner = banner_of(&s.state(), &["--listen", &listen]);
    for served in [
        format!("listening on http://{listen}"),
        "base URL in certificates: http://127.0.0.1:8080".to_string(),
        format!("http://{listen}/ocsp/sign"),
        format!("http://{listen}/api/v1/"),
        format!("http://{listen}/crl/sign.crl"),
    ] {
        assert!(banner.contains(&served), "{served:?} in\n{banner}");
    }
    assert!(
        banner.contains("warning: certificates carry the base URL http://127.0.0.1:8080"),
        "{banner}"
    );
    assert!(
        banner.contains(&format!("--base-url http://{listen}")),
        "{banner}"
    );

    // Recorded where it listens: no warning.
    let s = Scratch::new();
    let port = free_port();
    let listen = format!("127.0.0.1:{port}");
    s.ok(&["init", "--base-url", &format!("http://{listen}")]);
    let banner = banner_of(&s.state(), &["--listen", &listen]);
    assert!(banner.contains("health:"), "{banner}");
    assert!(!banner.contains("warning"), "{banner}");
}

#[test]
fn the_binary_refuses_a_public_listen_address_without_a_token() {
    let s = Scratch::new();
    for extra in [&[][..], &["--admin-token", ""][..]] {
        let listen = format!("0.0.0.0:{}", free_port());
        let mut args = vec!["--listen", listen.as_str()];
        args.extend(extra);
        let (code, stderr) = serve_expecting_exit(&s.state(), &args);
        assert_eq!(code, Some(1), "{stderr}");
        assert_eq!(stderr.trim().lines().count(), 1, "one line: {stderr}");
        assert!(stderr.contains("token"), "{stderr}");
        assert!(stderr.contains("--admin-token"), "{stderr}");
        assert!(stderr.contains(&listen), "{stderr}");
    }

    // With a token it serves, and the admin API wants the token.
    struct Kill(std::process::Child);
    impl Drop for Kill {
        fn drop(&mut self) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
    let port = free_port();
    let _serving = Kill(
        command(&s.state())
            .args([
                "serve",
                "--listen",
                &format!("0.0.0.0:{port}"),
                "--admin-token",
                "s3cret",
            ])
            .env("JPKI_MOCK_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let c = Client::tcp(&format!("http://127.0.0.1:{port}"));
    c.wait_healthy();
    let refused = c.get("/api/v1/clock");
    assert_eq!(refused.status, 401, "{}", refused.text());
    let allowed = c.get_with("/api/v1/clock", &[("authorization", "Bearer s3cret")]);
    assert_eq!(allowed.status, 200, "{}", allowed.text());
    assert_eq!(c.get("/crl/sign.crl").status, 200);
}

/// The state a bad request must not change: card 1, card 2's absence, the CRLs'
/// entries and the clock.
fn snapshot(c: &Client) -> Value {
    let card1 = c.api("GET", "/api/v1/cards/1", None);
    let card2 = c.api("GET", "/api/v1/cards/2", None);
    let clock = c.api("GET", "/api/v1/clock", None);
    let mut crls = Vec::new();
    for kind in ["sign", "auth"] {
        let crl = c.send("GET", &format!("/crl/{kind}.crl"), &[], Vec::new());
        crls.push(json!(crl_entries(&crl.body)));
    }
    json!({
        "card1": card1.json(),
        "card2_status": card2.status,
        "clock": clock.json(),
        "crls": crls,
    })
}

#[test]
fn every_error_status_and_no_bad_request_changes_the_state() {
    let s = Scratch::new();
    let server = admin_server(&s, None);
    let c = server.oneshot();
    c.set_clock("2021-03-15T10:00:00+09:00");
    let issued = c.issue(holder("p256"));
    let report = c.api(
        "POST",
        "/api/v1/cards/1/events",
        Some(json!({"cause": "address_change"})),
    );
    assert_eq!(report.status, 200);
    let before = snapshot(&c);
    // And the database, row by row, with the key files.
    let digest = s.digest();

    let with = |changes: Value| {
        let mut body = holder("p256");
        for (k, v) in changes.as_object().unwrap() {
            body[k] = v.clone();
        }
        body.to_string()
    };
    let mut unknown_field = holder("p256");
    unknown_field["nickname"] = json!("taro");
    let sign = |pin: Value, data: &str| json!({"pin": pin, "data_base64": data}).to_string();
    let json_ct = "application/json";
    let big_address = "東".repeat(25_000); // 75 KB of UTF-8
    let exactly_64_kib = || {
        let head = "{\"cause\": \"lost\", \"x\": \"";
        let body = format!("{head}{}\"}}", "a".repeat(64 * 1024 - head.len() - 2));
        assert_eq!(body.len(), 64 * 1024);
        body
    };
    #[allow(clippy::type_complexity)]
    let cases: Vec<(&str, String, Option<&str>, String, u16, &str)> = vec![
        // 400: bad JSON, unknown fields, wrong types, bad dates, bad PINs.
        (
            "POST",
            "/api/v1/cards".into(),
            Some(json_ct),
            "{".into(),
            400,
            "bad_input",
        ),
        (
            "POST",
            "/api/v1/cards".into(),
            Some(json_ct),
            "[]".into(),
            400,
            "bad_input",
        ),
        (
            "POST",
            "/api/v1/cards".into(),
            Some(json_ct),
            "{}".into(),
            400,
            "bad_input",
        ),
        (
            "POST",
            "/api/v1/cards".into(),
            Some(json_ct),
            unknown_field.to_string(),
            400,
            "bad_input",
        ),
        (
            "POST",
            "/api/v1/cards".into(),
            Some(json_ct),
            with(json!({"force_sign": "yes"})),
            400,
            "bad_input",
        ),
        (
            "POST",
            "/api/v1/cards".into(),
            Some(json_ct),
            with(json!({"birth": 19901001})),
            400,
            "bad_input",
        ),
        (
            "POST",
            "/api/v1/cards".into(),
            Some(json_ct),
            with(json!({"birth": "2023-02-29"})),
            400,
            "bad_input",
        ),
        (
            "POST",
            "/api/v1/cards".into(),
            Some(json_ct),
            with(json!({"birth": "1990-13-01"})),
            400,
            "bad_input",
        ),
        (
            "POST",
            "/api/v1/cards".into(),
            Some(json_ct),
            with(json!({"birth": "1990/10/01"})),
            400,
            "bad_input",
        ),
        (
            "POST",
            "/api/v1/cards".into(),
            Some(json_ct),
            with(json!({"issued_on": "2021-02-30"})),
            400,
            "bad_input",
        ),
        (
            "POST",
            "/api/v1/cards".into(),
            Some(json_ct),
            with(json!({"card_expiry": "2030-02-29"})),
            400,
            "bad_input",
        ),
        (
            "POST",
            "/api/v1/cards".into(),
            Some(json_ct),
            with(json!({"sign_pin": "abc123"})),
            400,
            "bad_input",
        ),
        (
            "POST",
            "/api/v1/cards".into(),
            Some(json_ct),
            with(json!({"sign_pin": "ABCDEF"})),
            400,
            "bad_input",
        ),
        (
            "POST",
            "/api/v1/cards".into(),
            Some(json_ct),
            with(json!({"sign_pin": "AB12"})),
            400,
            "bad_input",
        ),
        (
            "POST",
            "/api/v1/cards".into(),
            Some(json_ct),
            with(json!({"auth_pin": "12345"})),
            400,
            "bad_input",
        ),
        (
            "POST",
            "/api/v1/cards".into(),
            Some(json_ct),
            with(json!({"auth_pin": "12a4"})),
            400,
            "bad_input",
        ),
        (
            "POST",
            "/api/v1/cards".into(),
            Some(json_ct),
            with(json!({"gender": "x"})),
            400,
            "bad_input",
        ),
        (
            "POST",
            "/api/v1/cards".into(),
            Some(json_ct),
            with(json!({"key_alg": "rsa1024"})),
            400,
            "bad_input",
        ),
        (
            "POST",
            "/api/v1/cards".into(),
            Some(json_ct),
            with(json!({"only": "both"})),
            400,
            "bad_input",
        ),
        (
            "POST",
            "/api/v1/cards".into(),
            Some(json_ct),
            with(json!({"name": 42})),
            400,
            "bad_input",
        ),
        (
            "POST",
            "/api/v1/cards/1/events".into(),
            Some(json_ct),
            "{\"cause\": \"lost\", \"extra\": 1}".into(),
            400,
            "bad_input",
        ),
        (
            "POST",
            "/api/v1/cards/1/events".into(),
            Some(json_ct),
            "{\"cause\": 5}".into(),
            400,
            "bad_input",
        ),
        (
            "POST",
            "/api/v1/cards/1/events".into(),
            Some(json_ct),
            "{\"cause\": \"sneezed\"}".into(),
            400,
            "bad_input",
        ),
        (
            "POST",
            "/api/v1/cards/1/events".into(),
            Some(json_ct),
            "{\"cause\": \"superseded\"}".into(),
            400,
            "bad_input",
        ),
        (
            "POST",
            "/api/v1/cards/1/events".into(),
            Some(json_ct),
            "{\"cause\": \"stop\", \"certs\": [\"both\"]}".into(),
            400,
            "bad_input",
        ),
        (
            "POST",
            "/api/v1/cards/1/events".into(),
            Some(json_ct),
            "{\"cause\": \"stop\", \"certs\": \"sign\"}".into(),
            400,
            "bad_input",
        ),
        (
            "POST",
            "/api/v1/cards/1/events".into(),
            Some(json_ct),
            "{\"cause\": \"lost\", \"at\": \"2023-02-29\"}".into(),
            400,
            "bad_input",
        ),
        (
            "POST",
            "/api/v1/cards/1/events".into(),
            Some(json_ct),
            "{\"cause\": \"lost\", \"at\": \"2099-01-01\"}".into(),
            400,
            "bad_input",
        ),
        (
            "POST",
            "/api/v1/cards/1/events".into(),
            Some(json_ct),
            "{\"cause\": \"lost\", \"at\": \"2020-01-01\"}".into(),
            400,
            "bad_input",
        ),
        (
            "POST",
            "/api/v1/cards/1/events".into(),
            Some(json_ct),
            "{}".into(),
            400,
            "bad_input",
        ),
        (
            "POST",
            "/api/v1/cards/1/events".into(),
            Some(json_ct),
            "null".into(),
            400,
            "bad_input",
        ),
        (
            "POST",
            "/api/v1/cards/abc/events".into(),
            Some(json_ct),
            "{\"cause\": \"lost\"}".into(),
            400,
            "bad_input",
        ),
        (
            "POST",
            "/api/v1/cards/1/renew".into(),
            Some(json_ct),
            "{\"certs\": \"sign\"}".into(),
            400,
            "bad_input",
        ),
        (
            "POST",
            "/api/v1/cards/1/renew".into(),
            Some(json_ct),
            "{\"certs\": []}".into(),
            400,
            "bad_input",
        ),
        (
            "POST",
            "/api/v1/cards/1/renew".into(),
            Some(json_ct),
            "{\"certs\": [\"face\"]}".into(),
            400,
            "bad_input",
        ),
        (
            "POST",
            "/api/v1/cards/1/reissue".into(),
            Some(json_ct),
            "{\"fee\": 0}".into(),
            400,
            "bad_input",
        ),
        (
            "POST",
            "/api/v1/cards/1/sign".into(),
            Some(json_ct),
            sign(json!(123456), "AA=="),
            400,
            "bad_input",
        ),
        (
            "POST",
            "/api/v1/cards/1/sign".into(),
            Some(json_ct),
            sign(json!("ABC123"), "***"),
            400,
            "bad_input",
        ),
        (
            "POST",
            "/api/v1/cards/1/sign".into(),
            Some(json_ct),
            sign(json!("abc"), "AA=="),
            400,
            "bad_input",
        ),
        (
            "POST",
            "/api/v1/cards/1/authenticate".into(),
            Some(json_ct),
            sign(json!("12345"), "AA=="),
            400,
            "bad_input",
        ),
        (
            "POST",
            "/api/v1/cards/1/pin-reset".into(),
            Some(json_ct),
            "{\"kind\": \"sign\", \"new_pin\": \"abc\"}".into(),
            400,
            "bad_input",
        ),
        (
            "POST",
            "/api/v1/cards/1/pin-reset".into(),
            Some(json_ct),
            "{\"kind\": \"face\", \"new_pin\": \"ABC123\"}".into(),
            400,
            "bad_input",
        ),
        (
            "POST",
            "/api/v1/cards/1/pin-reset".into(),
            Some(json_ct),
            "{\"kind\": \"auth\"}".into(),
            400,
            "bad_input",
        ),
        (
            "PUT",
            "/api/v1/clock".into(),
            Some(json_ct),
            "{\"now\": \"2023-02-29\"}".into(),
            400,
            "bad_input",
        ),
        (
            "PUT",
            "/api/v1/clock".into(),
            Some(json_ct),
            "{\"now\": \"soon\"}".into(),
            400,
            "bad_input",
        ),
        (
            "PUT",
            "/api/v1/clock".into(),
            Some(json_ct),
            "{\"now\": \"2021-03-15\", \"offset_seconds\": 5}".into(),
            400,
            "bad_input",
        ),
        (
            "PUT",
            "/api/v1/clock".into(),
            Some(json_ct),
            "{\"now\": 1700000000}".into(),
            400,
            "bad_input",
        ),
        (
            "PUT",
            "/api/v1/clock".into(),
            Some(json_ct),
            "{\"later\": true}".into(),
            400,
            "bad_input",
        ),
        (
            "GET",
            "/api/v1/notices?on=2023-02-29".into(),
            None,
            String::new(),
            400,
            "bad_input",
        ),
        (
            "GET",
            "/api/v1/certs/abc".into(),
            None,
            String::new(),
            400,
            "bad_input",
        ),
        (
            "GET",
            "/api/v1/cards/one".into(),
            None,
            String::new(),
            400,
            "bad_input",
        ),
        // 404: unknown card, serial, route.
        (
            "GET",
            "/api/v1/cards/999".into(),
            None,
            String::new(),
            404,
            "not_found",
        ),
        (
            "POST",
            "/api/v1/cards/999/events".into(),
            Some(json_ct),
            "{\"cause\": \"lost\"}".into(),
            404,
            "not_found",
        ),
        (
            "POST",
            "/api/v1/cards/999/renew".into(),
            Some(json_ct),
            "{}".into(),
            404,
            "not_found",
        ),
        (
            "POST",
            "/api/v1/cards/999/reissue".into(),
            Some(json_ct),
            "{}".into(),
            404,
            "not_found",
        ),
        (
            "POST",
            "/api/v1/cards/999/sign".into(),
            Some(json_ct),
            sign(json!("ABC123"), "AA=="),
            404,
            "not_found",
        ),
        (
            "POST",
            "/api/v1/cards/999/pin-reset".into(),
            Some(json_ct),
            "{\"kind\": \"sign\", \"new_pin\": \"ABC123\"}".into(),
            404,
            "not_found",
        ),
        (
            "GET",
            "/api/v1/certs/4294967295".into(),
            None,
            String::new(),
            404,
            "not_found",
        ),
        (
            "GET",
            "/api/v1/certs/0x7654321".into(),
            None,
            String::new(),
            404,
            "not_found",
        ),
        (
            "GET",
            "/api/v1/nope".into(),
            None,
            String::new(),
            404,
            "not_found",
        ),
        (
            "POST",
            "/api/v1/cards/1/nope".into(),
            Some(json_ct),
            "{}".into(),
            404,
            "not_found",
        ),
        // 409: rules refuse.
        (
            "POST",
            "/api/v1/cards/1/renew".into(),
            Some(json_ct),
            "{}".into(),
            409,
            "refused",
        ),
        (
            "POST",
            "/api/v1/cards".into(),
            Some(json_ct),
            with(json!({"birth": "2010-04-01", "only": "sign"})),
            409,
            "refused",
        ),
        // A body of exactly 64 KiB is read (and refused for its unknown field).
        (
            "POST",
            "/api/v1/cards/1/events".into(),
            Some(json_ct),
            exactly_64_kib(),
            400,
            "bad_input",
        ),
        // 413: a body over 64 KiB.
        (
            "POST",
            "/api/v1/cards".into(),
            Some(json_ct),
            with(json!({"address": big_address})),
            413,
            "too_large",
        ),
        (
            "POST",
            "/api/v1/cards/1/events".into(),
            Some(json_ct),
            format!("{{\"cause\": \"lost\", \"x\": \"{}\"}}", "a".repeat(70_000)),
            413,
            "too_large",
        ),
        // 415: JSON sent as something else.
        (
            "POST",
            "/api/v1/cards".into(),
            Some("text/plain"),
            holder("p256").to_string(),
            415,
            "unsupported_media_type",
        ),
        (
            "POST",
            "/api/v1/cards".into(),
            None,
            holder("p256").to_string(),
            415,
            "unsupported_media_type",
        ),
        (
            "POST",
            "/api/v1/cards/1/events".into(),
            Some("application/x-www-form-urlencoded"),
            "cause=lost".into(),
            415,
            "unsupported_media_type",
        ),
        (
            "PUT",
            "/api/v1/clock".into(),
            Some("text/json"),
            "{\"now\": \"2030-01-01\"}".into(),
            415,
            "unsupported_media_type",
        ),
    ];
    for (method, uri, content_type, body, status, code) in &cases {
        let headers: Vec<(&str, &str)> = content_type
            .map(|ct| vec![("content-type", ct)])
            .unwrap_or_default();
        let reply = c.send(method, uri, &headers, body.clone());
        let what = format!(
            "{method} {uri} {}",
            body.chars().take(60).collect::<String>()
        );
        assert_error(&reply, *status, code, &what);
        assert_eq!(snapshot(&c), before, "{what} changed the state");
        assert!(s.digest() == digest, "{what} changed the database");
    }
    // A wrong method is 405.
    for (method, uri) in [
        ("DELETE", "/api/v1/cards/1"),
        ("GET", "/api/v1/cards/1/events"),
        ("PUT", "/api/v1/cards"),
    ] {
        let reply = c.send(method, uri, &[], Vec::new());
        assert_error(
            &reply,
            405,
            "method_not_allowed",
            &format!("{method} {uri}"),
        );
        assert!(reply.text().contains(method), "{}", reply.text());
        assert!(
            reply.header("allow").is_some(),
            "{method} {uri}: an Allow header"
        );
    }
    // The PIN counter did not move either: a wrong PIN has all its tries left.
    let reply = use_pin(&c, 1, "sign", "ZZZ999");
    assert_eq!(
        reply.json()["remaining_tries"],
        json!(4),
        "{}",
        reply.text()
    );
    // 423, for completeness: lock the auth PIN.
    for remaining in [2, 1, 0] {
        assert_wrong(&c, "auth", "4321", remaining);
    }
    assert_locked(&c, "auth", "1234");
    assert_eq!(snapshot(&c)["card1"], before["card1"]);
    let _ = issued;
}

#[test]
fn issuance_follows_the_expiry_rules_of_domain_md() {
    let s = Scratch::new();
    let server = admin_server(&s, None);
    let c = server.oneshot();
    // (clock, birth, card expiry, auth expiry, sign expiry or None)
    let cases = [
        (
            "2021-03-15",
            "1990-10-01",
            "2030-10-01",
            "2025-10-01",
            Some("2025-10-01"),
        ),
        (
            "2020-06-10",
            "1985-06-10",
            "2030-06-10",
            "2025-06-10",
            Some("2025-06-10"),
        ),
        ("2023-01-20", "2010-04-01", "2027-04-01", "2027-04-01", None),
        // 29 February: the birthday falls on 28 February in other years.
        (
            "2021-03-15",
            "2000-02-29",
            "2031-02-28",
            "2026-02-28",
            Some("2026-02-28"),
        ),
        // On the 18th birthday the holder is 18: ten years.
        (
            "2021-03-15",
            "2003-03-15",
            "2031-03-15",
            "2026-03-15",
            Some("2026-03-15"),
        ),
        // The day before: a minor, five years (the first birthday is tomorrow).
        (
            "2021-03-15",
            "2003-03-16",
            "2025-03-16",
            "2025-03-16",
            Some("2025-03-16"),
        ),
        // 15 on the day: a signing certificate; 14: none.
        (
            "2021-03-15",
            "2006-03-15",
            "2026-03-15",
            "2026-03-15",
            Some("2026-03-15"),
        ),
        ("2021-03-15", "2006-03-16", "2025-03-16", "2025-03-16", None),
    ];
    for (now, birth, card_expiry, auth_expiry, sign_expiry) in cases {
        c.set_clock(&format!("{now}T12:00:00+09:00"));
        let mut body = holder("p256");
        body["birth"] = json!(birth);
        let issued = c.issue(body);
        let what = format!(
            "born {birth}, issued {now}: card {}, auth {}, sign {}",
            issued["card_expiry"], issued["auth"]["expiry"], issued["sign"]["expiry"]
        );
        assert_eq!(issued["card_expiry"], json!(card_expiry), "{what}");
        assert_eq!(issued["fee_yen"], json!(0), "{what}");
        assert_eq!(issued["auth"]["expiry"], json!(auth_expiry), "{what}");
        assert_eq!(
            issued["auth"]["not_before"],
            json!(format!("{now}T03:00:00Z")),
            "{what}"
        );
        match sign_expiry {
            Some(expiry) => assert_eq!(issued["sign"]["expiry"], json!(expiry), "{what}"),
            None => assert!(issued.get("sign").is_none(), "{what}"),
        }
    }
    // force_sign issues it to the 14-year-old.
    let mut body = holder("p256");
    body["birth"] = json!("2006-03-16");
    body["force_sign"] = json!(true);
    let issued = c.issue(body);
    assert_eq!(issued["sign"]["expiry"], json!("2025-03-16"));
}

#[test]
fn renewal_window_clamps_at_month_end_and_a_renewed_sign_is_capped_by_the_auth() {
    let s = Scratch::new();
    let server = admin_server(&s, None);
    let c = server.oneshot();
    c.set_clock("2021-03-15T10:00:00+09:00");
    let mut body = holder("p256");
    body["birth"] = json!("1990-05-31"); // expires 2025-05-31: window from 2025-03-01
    let may = c.issue(body);
    assert_eq!(may["sign"]["expiry"], json!("2025-05-31"));
    let october = c.issue(holder("p256")); // expires 2025-10-01

    c.set_clock("2025-02-28T12:00:00+09:00");
    let refused = renew(&c, 1);
    assert_error(&refused, 409, "refused", "renewal on 2025-02-28");
    assert!(refused.json()["message"]
        .as_str()
        .unwrap()
        .contains("2025-03-01"));
    c.set_clock("2025-03-01T00:00:00+09:00");
    let renewed = renew(&c, 1);
    assert_eq!(renewed.status, 200, "{}", renewed.text());
    // The sixth birthday counted from 2025-03-01 (2025-05-31 the first) is 2030-05-31,
    // also the card's expiry; the fifth would be 2029-05-31.
    assert_eq!(renewed.json()["sign"]["expiry"], json!("2030-05-31"));

    // Renewing only the signing certificate while the auth one expires 2025-10-01:
    // the new signing certificate is capped by it (domain.md §2).
    c.set_clock("2025-08-01T10:00:00+09:00");
    let reply = c.api(
        "POST",
        "/api/v1/cards/2/renew",
        Some(json!({"certs": ["sign"]})),
    );
    assert_eq!(reply.status, 200, "{}", reply.text());
    let body = reply.json();
    assert_eq!(body["sign"]["expiry"], json!("2025-10-01"), "{body}");
    assert!(body.get("auth").is_none(), "{body}");
    let revoked = body["revoked"].as_array().unwrap();
    assert_eq!(revoked.len(), 1);
    assert_eq!(revoked[0]["serial"], october["sign"]["serial"]);
    assert_eq!(revoked[0]["reason"], json!("superseded"));
    let view = c.card(2);
    assert_eq!(
        cert(&view, &october["auth"]["serial"])["status"],
        json!("good")
    );
}

#[test]
fn the_served_binary_and_the_cli_in_another_process_share_one_state() {
    let s = Scratch::new();
    let server = Binary::start(&s.state(), &[]);
    let c = server.client();
    c.set_clock("2021-03-15");
    let created = c.issue(holder("p256"));
    assert_eq!(created["card_id"], json!(1));
    // The CLI in another process sees the same clock and card.
    let shown = s.json(&["show", "card", "1"]);
    assert_eq!(shown["issued_on"], json!("2021-03-15"));
    assert_eq!(shown["certificates"][0]["status"], json!("good"), "{shown}");
    let report = c.event(1, json!({"cause": "lost"}));
    assert_eq!(report["revoked"].as_array().unwrap().len(), 2, "{report}");
    let shown = s.json(&["show", "card", "1"]);
    for cert in shown["certificates"].as_array().unwrap() {
        assert_eq!(cert["status"], json!("revoked"), "{shown}");
    }
    let clock = c.api("DELETE", "/api/v1/clock", None);
    assert_eq!(clock.status, 200, "{}", clock.text());
    assert_eq!(clock.json()["mode"], json!("system"));
}

#[test]
fn the_clock_command_sets_the_clock_the_api_reads_and_other_commands_say_so() {
    let s = Scratch::new();
    s.ok(&["init"]);
    let notice = |args: &[&str]| {
        let output = s.run(args);
        assert!(output.status.success(), "{args:?}: {output:?}");
        String::from_utf8_lossy(&output.stderr).to_string()
    };
    // Real time: no notice.
    assert_eq!(notice(&["list"]), "");
    let set = s.json(&["clock", "set", "2021-03-15T10:00:00+09:00"]);
    assert_eq!(set["mode"], json!("fixed"));
    assert_eq!(set["now"], json!("2021-03-15T01:00:00Z"));
    let line = notice(&["list"]);
    assert!(
        line.contains("virtual clock says 2021-03-15T01:00:00Z (fixed)")
            && line.contains("clock reset"),
        "{line}"
    );
    // --now is asked for: no notice.
    assert_eq!(notice(&["--now", "2021-04-01", "list"]), "");
    // The served binary reads the same clock.
    let server = Binary::start(&s.state(), &[]);
    let clock = server.client().api("GET", "/api/v1/clock", None).json();
    assert_eq!(clock["now"], json!("2021-03-15T01:00:00Z"), "{clock}");
    let offset = s.json(&["clock", "offset", "-86400"]);
    assert_eq!(
        (&offset["mode"], &offset["offset_seconds"]),
        (&json!("offset"), &json!(-86400))
    );
    assert!(notice(&["list"]).contains("(-86400 s from real time)"));
    let clock = server.client().api("GET", "/api/v1/clock", None).json();
    assert_eq!(clock["mode"], json!("offset"), "{clock}");
    // A bad instant is a usage error and changes nothing.
    let before = s.digest();
    let output = s.run(&["clock", "set", "yesterday"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("yesterday"));
    assert_eq!(s.digest(), before);
    let reset = s.json(&["clock", "reset"]);
    assert_eq!(reset["mode"], json!("system"));
    assert_eq!(notice(&["list"]), "");
}

/// `serve --ephemeral --listen 127.0.0.1:0`: a free port, a state in memory (nothing
/// written), and the ready line last, naming the bound address and the base URL that
/// the certificates then carry; `healthcheck` exits 0 against it and 1 once it stopped.
#[test]
fn an_ephemeral_server_says_when_it_is_ready_and_healthcheck_follows_it() {
    use std::io::BufRead;
    let s = Scratch::new();
    let mut child = command(&s.state())
        .args(["serve", "--ephemeral", "--listen", "127.0.0.1:0"])
        .env("JPKI_MOCK_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = std::io::BufReader::new(child.stdout.take().unwrap()).lines();
    let mut banner = Vec::new();
    let ready: Value = loop {
        let line = lines.next().expect("a ready line").unwrap();
        if let Ok(value) = serde_json::from_str::<Value>(&line) {
            break value;
        }
        banner.push(line);
    };
    assert_eq!(ready["jpki_mock"], json!("ready"), "{ready}");
    let listen = ready["listen"].as_str().unwrap().to_string();
    assert_ne!(listen, "127.0.0.1:0", "the bound port, not the asked one");
    let base = format!("http://{listen}");
    assert_eq!(ready["base_url"], json!(base));
    assert_eq!(ready["admin_token_required"], json!(false));
    assert_eq!(ready["state"], Value::Null);
    let banner = banner.join("\n");
    assert!(banner.contains("Its keys are in memory"), "{banner}");

    let c = Client::tcp(&base);
    let card = c.issue(holder("p256"));
    let pem = card["sign"]["cert_pem"].as_str().unwrap();
    let cert_file = s.write("sign.pem", pem);
    let (ok, text) = openssl(&[
        "x509",
        "-in",
        &cert_file,
        "-noout",
        "-ext",
        "crlDistributionPoints",
    ]);
    assert!(
        ok && text.contains(&format!("URI:{base}/crl/sign.crl")),
        "{text}"
    );
    assert!(
        !s.state().exists(),
        "--ephemeral wrote {}",
        s.state().display()
    );

    let healthcheck = |url: &str| {
        command(&s.state())
            .args(["healthcheck", "--url", url])
            .output()
            .unwrap()
    };
    let up = healthcheck(&base);
    assert!(up.status.success(), "{up:?}");
    let _ = child.kill();
    let _ = child.wait();
    let down = healthcheck(&base);
    assert_eq!(down.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&down.stderr).contains("did not answer"),
        "{down:?}"
    );
    let https = healthcheck("https://127.0.0.1:1");
    assert_eq!(https.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&https.stderr).contains("http://"),
        "{https:?}"
    );
}

/// `--version` names the commit; `completions` and `manpage` print what their shells
/// and `man` read.
#[test]
fn version_completions_and_manual_page() {
    let s = Scratch::new();
    let run = |args: &[&str]| {
        let output = command(&s.state()).args(args).output().unwrap();
        assert!(output.status.success(), "{args:?}: {output:?}");
        String::from_utf8(output.stdout).unwrap()
    };
    let version = run(&["--version"]);
    assert!(
        version.starts_with(&format!("jpki-mock {} (commit ", env!("CARGO_PKG_VERSION"))),
        "{version}"
    );
    // bash, given the script, completes a command name.
    let script = s.write("jpki-mock.bash", run(&["completions", "bash"]));
    let completed = std::process::Command::new("bash")
        .arg("-c")
        .arg(format!(
            "source '{script}'; COMP_WORDS=(jpki-mock heal); COMP_CWORD=1; \
             _jpki__mock jpki-mock heal jpki-mock; echo \"${{COMPREPLY[@]}}\""
        ))
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&completed.stdout).trim(),
        "healthcheck",
        "{completed:?}"
    );
    assert!(run(&["completions", "zsh"]).starts_with("#compdef jpki-mock"));
    assert!(run(&["completions", "fish"]).contains("complete -c jpki-mock"));
    let page = run(&["manpage"]);
    assert!(
        page.contains(".TH jpki-mock 1") && page.contains("serve"),
        "{page}"
    );
    let output = command(&s.state())
        .args(["completions", "tcsh"])
        .output()
        .unwrap();
    assert_eq!(
        output.status.code(),
        Some(2),
        "an unknown shell is a usage error"
    );
}

/// `PUT /api/v1/base-url`: certificates issued after it carry the new URLs; each CA
/// certificate is re-signed with its own key, name, serial and validity, so that the
/// ARL URL it carries follows and a certificate issued before still verifies against
/// it (keeping its own URLs). Bad input changes nothing.
#[test]
fn a_new_base_url_reaches_new_certificates_and_the_ca_certificates() {
    let s = Scratch::new();
    let server = admin_server(&s, None);
    let c = server.client();
    let old_base = server.base_url().to_string();
    let before = s.write(
        "before.pem",
        c.issue(holder("p256"))["sign"]["cert_pem"]
            .as_str()
            .unwrap(),
    );
    let old_ca = c.get("/ca/sign.pem").text();

    let digest = s.digest();
    for body in [
        json!({"url": "ftp://mock.example"}),
        json!({"url": "http://x", "port": 1}),
        json!({}),
    ] {
        let reply = c.api("PUT", "/api/v1/base-url", Some(body.clone()));
        assert_eq!(reply.status, 400, "{body}: {}", reply.text());
        assert_eq!(reply.json()["error"], json!("bad_input"));
    }
    assert_eq!(s.digest(), digest, "refused base URLs changed the state");

    let new_base = "http://mock.example:9999";
    let reply = c.api(
        "PUT",
        "/api/v1/base-url",
        Some(json!({"url": format!("{new_base}/")})),
    );
    assert_eq!(reply.status, 200, "{}", reply.text());
    assert_eq!(reply.json(), json!({"base_url": new_base}));
    assert_eq!(
        c.api("GET", "/api/v1/base-url", None).json(),
        json!({"base_url": new_base})
    );

    let new_ca = c.get("/ca/sign.pem").text();
    assert_ne!(new_ca, old_ca);
    let ca_file = s.write("ca-sign.pem", &new_ca);
    let old_ca_file = s.write("ca-sign-old.pem", &old_ca);
    let field = |file: &str, option: &str| {
        let (ok, text) = openssl(&["x509", "-in", file, "-noout", option]);
        assert!(ok, "{text}");
        text
    };
    for option in ["-serial", "-subject", "-startdate", "-enddate", "-pubkey"] {
        assert_eq!(
            field(&ca_file, option),
            field(&old_ca_file, option),
            "{option}"
        );
    }
    let (_, arl) = openssl(&[
        "x509",
        "-in",
        &ca_file,
        "-noout",
        "-ext",
        "crlDistributionPoints",
    ]);
    assert!(
        arl.contains(&format!("URI:{new_base}/arl/sign/1.crl")),
        "{arl}"
    );
    let after = s.write(
        "after.pem",
        c.issue(holder("p256"))["sign"]["cert_pem"]
            .as_str()
            .unwrap(),
    );
    for (leaf, base) in [(&before, old_base.as_str()), (&after, new_base)] {
        let (ok, text) = openssl(&["verify", "-CAfile", &ca_file, leaf]);
        assert!(ok, "{leaf} against the re-signed CA: {text}");
        let (_, urls) = openssl(&[
            "x509",
            "-in",
            leaf,
            "-noout",
            "-ext",
            "crlDistributionPoints,authorityInfoAccess",
        ]);
        assert!(
            urls.contains(&format!("URI:{base}/crl/sign.crl"))
                && urls.contains(&format!("URI:{base}/ocsp/sign")),
            "{leaf}: {urls}"
        );
    }
    // The ARL names its own new URL too, and the change outlives a restart.
    let arl_file = s.write("arl.der", c.get("/arl/sign.crl").body);
    let (ok, arl) = openssl(&["crl", "-inform", "DER", "-in", &arl_file, "-noout", "-text"]);
    assert!(
        ok && arl.contains(&format!("URI:{new_base}/arl/sign/1.crl")),
        "{arl}"
    );
    drop(server);
    let server = admin_server(&s, None);
    assert_eq!(server.client().get("/ca/sign.pem").text(), new_ca);
}

/// The admin API's OpenAPI document, `GET /api/v1/openapi.json` (behind the token like
/// every admin route), is the committed `docs/openapi.json`: pretty-printed, keys
/// sorted, one trailing newline.
#[test]
fn the_served_openapi_document_is_docs_openapi_json() {
    let s = Scratch::new();
    let server = admin_server(&s, Some("secret"));
    let c = server.oneshot();
    assert_error(
        &c.get("/api/v1/openapi.json"),
        401,
        "unauthorized",
        "without the token",
    );
    let reply = c.with_token("secret").get("/api/v1/openapi.json");
    assert_eq!(reply.status, 200, "{}", reply.text());
    assert_eq!(reply.header("content-type"), Some("application/json"));
    let served = format!("{}\n", serde_json::to_string_pretty(&reply.json()).unwrap());
    assert_eq!(reply.json()["openapi"], "3.1.0");
    let file = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/openapi.json");
    let committed = std::fs::read_to_string(&file).unwrap_or_default();
    if served != committed {
        let line = served
            .lines()
            .zip(committed.lines().chain(std::iter::repeat("(end of file)")))
            .position(|(a, b)| a != b)
            .unwrap_or(served.lines().count());
        panic!(
            "docs/openapi.json is not the document the server serves (first difference at \
             line {}: served {:?}, committed {:?}); regenerate it with \
             `cargo run --quiet -- openapi > docs/openapi.json`",
            line + 1,
            served.lines().nth(line).unwrap_or("(end)"),
            committed.lines().nth(line).unwrap_or("(end)"),
        );
    }
}

/// Every route the router serves under `/api/v1`, with each method it answers, is an
/// operation of the OpenAPI document, and every operation is served: a route cannot
/// be added without its description.
#[test]
fn every_admin_route_is_in_the_openapi_document() {
    let s = Scratch::new();
    let server = admin_server(&s, None);
    let c = server.oneshot();
    let document = c.get("/api/v1/openapi.json").json();
    let documented = document["paths"].as_object().unwrap();
    // axum has no list of its routes, but its Debug form shows every path it matches.
    let router = format!("{:?}", server.router());
    let served: BTreeSet<&str> = router
        .split('"')
        .filter(|p| p.starts_with("/api/v1/") && !p.contains("__private__"))
        .collect();
    assert!(
        served.contains("/api/v1/cards/{id}"),
        "no admin path found in the router's Debug form (has axum's changed?): {router}"
    );
    assert_eq!(
        served,
        documented.keys().map(String::as_str).collect(),
        "the router's /api/v1 paths against the document's"
    );
    for path in served {
        let concrete = path
            .replace("{id}", "1")
            .replace("{serial}", "1")
            .replace("{kind}", "sign")
            .replace("{generation}", "1");
        for method in ["GET", "PUT", "POST", "DELETE", "PATCH"] {
            // A body that no JSON route reads (415), so that probing changes nothing.
            let reply = c.send(method, &concrete, &[("content-type", "text/plain")], "x");
            let is_documented = documented[path]
                .as_object()
                .unwrap()
                .contains_key(&method.to_ascii_lowercase());
            assert_eq!(
                reply.status != 405,
                is_documented,
                "{method} {path}: {} {}",
                reply.status,
                reply.text()
            );
        }
    }
}

#[test]
fn the_dashboard_renders_its_data_in_the_html_and_asks_for_the_token_off_loopback() {
    let s = Scratch::new();
    let server = Binary::start(&s.state(), &[]);
    let c = server.client();
    let issued = c.issue(holder("p256"));
    let serial = issued["sign"]["serial"].as_i64().unwrap();
    let phone = c.api(
        "POST",
        "/api/v1/cards/1/phones",
        Some(json!({"platform": "ios", "device_id": "iphone-admin-1"})),
    );
    assert_eq!(phone.status, 201, "{}", phone.text());
    let phone = phone.json();
    c.event(1, json!({"cause": "lost"}));
    // The data is in the served HTML: a tool without JavaScript sees it.
    let list = c.get("/ui");
    assert_eq!(list.status, 200);
    assert_eq!(
        list.header("content-type"),
        Some("text/html; charset=utf-8")
    );
    let html = list.text();
    assert!(
        html.contains("山田 太郎") && html.contains("revoked (certificateHold)"),
        "{html}"
    );
    let card = c.get("/ui/cards/1").text();
    assert!(
        card.contains(&format!("signing certificate {serial}")),
        "{card}"
    );
    assert!(
        card.contains("1990-10-01") && card.contains("/ocsp/sign"),
        "{card}"
    );
    // The phone's certificates, apart from the card's, under their platform; a lost
    // card leaves them good.
    let phones = &card[card.find(r#"id="phones""#).expect("a phone section")..];
    assert!(
        phones.contains(r#"data-platform="ios""#) && phones.contains("iphone-admin-1"),
        "{phones}"
    );
    for kind in ["sign", "auth"] {
        let serial = phone[kind]["serial"].as_i64().unwrap();
        let label = if kind == "sign" {
            "signing"
        } else {
            "authentication"
        };
        assert!(
            phones.contains(&format!("iOS phone {label} certificate {serial}"))
                && phones.contains(&format!(r#"data-status="{serial}">good<"#)),
            "{phones}"
        );
    }
    assert!(!card[..card.find(r#"id="phones""#).unwrap()].contains("iOS phone"));
    let pem = c.get(&format!("/ui/certs/{serial}.pem"));
    assert_eq!(pem.text(), issued["sign"]["cert_pem"].as_str().unwrap());
    assert!(pem
        .header("content-disposition")
        .unwrap()
        .starts_with("attachment"));
    assert_eq!(c.get("/ui/cards/99").status, 404);
    // Markup in the data is escaped, never interpreted.
    let mut odd = holder("p256");
    odd["name"] = json!("<script>x</script> 太郎");
    c.issue(odd);
    let html = c.get("/ui").text();
    assert!(html.contains("&lt;script&gt;x&lt;/script&gt;") && !html.contains("<script>x"));

    // With a token, the pages want the session cookie that the login sets.
    let guarded = Binary::start_env(
        &s.path("guarded"),
        &[],
        &[("JPKI_MOCK_ADMIN_TOKEN", "t0k=n;")],
    );
    let g = guarded.client();
    let redirected = g.get("/ui");
    assert_eq!(redirected.status, 303);
    assert_eq!(redirected.header("location"), Some("/ui/login"));
    let form = |token: &str| {
        let body = format!("token={}", token.replace('=', "%3D").replace(';', "%3B"));
        g.send(
            "POST",
            "/ui/login",
            &[("content-type", "application/x-www-form-urlencoded")],
            body,
        )
    };
    assert_eq!(form("wrong").status, 401);
    let login = form("t0k=n;");
    assert_eq!(login.status, 303);
    let cookie = login.header("set-cookie").unwrap().to_string();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"),
        "{cookie}"
    );
    let session = cookie.split(';').next().unwrap().to_string();
    assert_eq!(g.get_with("/ui", &[("cookie", &session)]).status, 200);
    // The same cookie works for the admin API calls the pages make.
    assert_eq!(
        g.get_with("/api/v1/clock", &[("cookie", &session)]).status,
        200
    );
    assert_eq!(g.get("/api/v1/clock").status, 401);
}

#[test]
fn links_follow_a_certificate_through_renewal_and_card_reissue() {
    let s = Scratch::new();
    let server = InProcess::start(&s.state(), None, None);
    let c = server.client();
    c.set_clock("2021-03-15T10:00:00+09:00");
    let first = c.issue(holder("p256"));
    let window = c.card(1)["certificates"][0]["renewal_window"][0]
        .as_str()
        .unwrap()
        .to_string();
    c.set_clock(&format!("{window}T10:00:00+09:00"));
    let renewed = c.api("POST", "/api/v1/cards/1/renew", None);
    assert_eq!(renewed.status, 200, "{}", renewed.text());
    let renewed = renewed.json();
    let reissued = c.api("POST", "/api/v1/cards/1/reissue", None);
    assert_eq!(reissued.status, 201, "{}", reissued.text());
    let reissued = reissued.json();
    let serial = |card: &Value, kind: &str| card[kind]["serial"].as_u64().unwrap();
    let (s1, a1) = (serial(&first, "sign"), serial(&first, "auth"));
    let (s2, a2) = (serial(&renewed, "sign"), serial(&renewed, "auth"));
    let (s3, a3) = (serial(&reissued, "sign"), serial(&reissued, "auth"));
    let links = |serial: u64| {
        let reply = c.get(&format!("/api/v1/certs/{serial}/links"));
        assert_eq!(reply.status, 200, "{}", reply.text());
        reply.json()
    };
    assert_eq!(
        links(s1),
        json!({"serial": s1, "pair": a1, "predecessor": null,
               "successors": [{"serial": s2, "event": "superseded"}], "current": s3})
    );
    assert_eq!(
        links(s2),
        json!({"serial": s2, "pair": a2, "predecessor": s1,
               "successors": [{"serial": s3, "event": "card_invalidated"}], "current": s3})
    );
    assert_eq!(
        links(a3),
        json!({"serial": a3, "pair": s3, "predecessor": a2, "successors": [], "current": a3})
    );
    // The chain is one holder's, as the certificates themselves say (openssl).
    let name = |pem: &str| {
        let file = s.write("cert.pem", pem);
        let text = openssl(&["x509", "-in", &file, "-noout", "-text", "-nameopt", "utf8"]).1;
        let start = text
            .find("1.2.392.200149.8.5.5.1::")
            .expect("the name otherName");
        text[start..].split(',').next().unwrap().to_string()
    };
    let pem = |card: &Value| card["sign"]["cert_pem"].as_str().unwrap().to_string();
    assert_eq!(name(&pem(&first)), name(&pem(&reissued)));
    // Bad input: not a serial, no such certificate.
    assert_eq!(c.get("/api/v1/certs/abc/links").status, 400);
    let unknown = c.get("/api/v1/certs/999/links");
    assert_eq!(unknown.status, 404);
    assert_eq!(unknown.json()["error"], "not_found");
}

#[test]
fn latest_facts_are_given_only_with_the_cards_consent_as_the_certificate_carries_them() {
    let s = Scratch::new();
    let server = InProcess::start(&s.state(), None, None);
    let c = server.client();
    let card = c.issue(holder("p256"));
    let serial = card["sign"]["serial"].as_u64().unwrap();
    let facts = |serial: u64| c.get(&format!("/api/v1/certs/{serial}/latest-facts"));
    // No consent by default: 403, saying how to give it.
    let refused = facts(serial);
    assert_eq!(refused.status, 403, "{}", refused.text());
    assert_eq!(refused.json()["error"], "forbidden");
    assert!(refused.json()["message"]
        .as_str()
        .unwrap()
        .contains("/api/v1/cards/1/latest-facts-consent"));
    // Bad input changes nothing.
    for body in [
        json!({"consent": "yes"}),
        json!({}),
        json!({"consent": true, "x": 1}),
    ] {
        let reply = c.api("PUT", "/api/v1/cards/1/latest-facts-consent", Some(body));
        assert_eq!(reply.status, 400, "{}", reply.text());
    }
    assert_eq!(facts(serial).status, 403);
    let unknown = c.api(
        "PUT",
        "/api/v1/cards/9/latest-facts-consent",
        Some(json!({"consent": true})),
    );
    assert_eq!(unknown.status, 404);
    let given = c.api(
        "PUT",
        "/api/v1/cards/1/latest-facts-consent",
        Some(json!({"consent": true})),
    );
    assert_eq!(given.status, 200, "{}", given.text());
    assert_eq!(
        given.json(),
        json!({"card_id": 1, "latest_facts_consent": true})
    );
    let view = facts(serial).json();
    // The same four facts as the certificate's subjectAltName (read by openssl).
    let pem = s.write("sign.pem", card["sign"]["cert_pem"].as_str().unwrap());
    let text = openssl(&["x509", "-in", &pem, "-noout", "-text", "-nameopt", "utf8"]).1;
    let other_name = |oid: &str| {
        let start = text.find(&format!("{oid}::")).expect(oid) + oid.len() + 2;
        text[start..]
            .split(", othername")
            .next()
            .unwrap()
            .trim()
            .to_string()
    };
    assert_eq!(view["name"], other_name("1.2.392.200149.8.5.5.1"));
    assert_eq!(view["birth_date"], other_name("1.2.392.200149.8.5.5.4"));
    assert_eq!(view["gender"], other_name("1.2.392.200149.8.5.5.3"));
    assert_eq!(view["address"], other_name("1.2.392.200149.8.5.5.5"));
    assert_eq!(view["card_id"], 1);
    // After a reissue the facts come from the newest card; consent can be withdrawn.
    let reissued = c.api("POST", "/api/v1/cards/1/reissue", None);
    assert_eq!(reissued.status, 201);
    assert_eq!(facts(serial).json()["card_id"], 2);
    c.api(
        "PUT",
        "/api/v1/cards/1/latest-facts-consent",
        Some(json!({"consent": false})),
    );
    assert_eq!(facts(serial).status, 403);
    // Consent given at issuance.
    let mut consenting = holder("p256");
    consenting["latest_facts_consent"] = json!(true);
    let issued = c.issue(consenting);
    assert_eq!(
        facts(issued["auth"]["serial"].as_u64().unwrap()).status,
        200
    );
}
