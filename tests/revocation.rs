//! Causes, renewal, reissue and CRLs through the binary, checked with `openssl crl`,
//! `openssl verify -crl_check`, x509-parser, and over real HTTP while a second process
//! revokes.

mod common;

use common::{adult, epoch, openssl, p, strs, Cli, Server};
use x509_parser::prelude::FromDer;
use x509_parser::revocation_list::CertificateRevocationList;

/// A fresh state with one adult card (P-256) issued 2021-03-15.
fn one_card() -> Cli {
    let cli = Cli::new();
    cli.ok(&["--now", "2021-03-01", "init"]);
    cli.ok(&strs(&adult("2021-03-15", "p256")));
    cli
}

fn revoked_kinds(report: &serde_json::Value) -> Vec<(String, String)> {
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

#[test]
fn every_cause_revokes_exactly_what_domain_md_says_with_its_reason() {
    let both = |r: &str| {
        vec![
            ("sign".to_string(), r.to_string()),
            ("auth".to_string(), r.to_string()),
        ]
    };
    let sign_only = |r: &str| vec![("sign".to_string(), r.to_string())];
    for (cause, expected) in [
        ("stop", both("cessationOfOperation")),
        ("lost", both("certificateHold")),
        ("stolen", both("keyCompromise")),
        ("card_invalidated", both("cessationOfOperation")),
        ("name_change", sign_only("affiliationChanged")),
        ("address_change", sign_only("affiliationChanged")),
        ("ex_officio", both("affiliationChanged")),
        ("leak", both("keyCompromise")),
    ] {
        let cli = one_card();
        let report = cli.json(&[
            "--now",
            "2021-04-01",
            "revoke",
            "--card",
            "1",
            "--cause",
            cause,
        ]);
        assert_eq!(revoked_kinds(&report), expected, "{cause}");
        // Idempotent: a second time revokes nothing, adds no event, and says so.
        let again = cli.json(&[
            "--now",
            "2021-04-02",
            "revoke",
            "--card",
            "1",
            "--cause",
            cause,
        ]);
        assert_eq!(again["revoked"], serde_json::json!([]), "{cause}");
        assert!(
            again["message"]
                .as_str()
                .unwrap()
                .contains("already revoked"),
            "{again}"
        );
        let card = cli.json(&["--now", "2021-04-02", "show", "card", "1"]);
        for cert in card["certificates"].as_array().unwrap() {
            let revoked = expected
                .iter()
                .any(|(kind, _)| cert["kind"] == kind.as_str());
            assert_eq!(
                cert["status"],
                if revoked { "revoked" } else { "good" },
                "{cause}: {cert}"
            );
            if revoked {
                assert_eq!(cert["revoked_at"], "2021-03-31T15:00:00Z");
            }
        }
    }
}

#[test]
fn chosen_certificates_and_at_for_stop() {
    let cli = one_card();
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
}

#[test]
fn renewal_window_edges_with_now() {
    // Expiry 2025-10-01: the window is 2025-07-02 ..= 2025-10-01.
    for (day, ok) in [
        ("2025-07-01", false),
        ("2025-07-02", true),
        ("2025-10-01", true),
        ("2025-10-02", false),
    ] {
        let cli = one_card();
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
    // Renewed 2025-08-01: new expiry 2029-10-01 (domain.md §3), old ones superseded.
    let cli = one_card();
    let renewed = cli.json(&["--now", "2025-08-01", "renew", "--card", "1"]);
    assert_eq!(renewed["sign"]["expiry"], "2029-10-01");
    assert_eq!(renewed["auth"]["expiry"], "2029-10-01");
    assert_eq!(renewed["fee_yen"], 0);
    assert_eq!(revoked_kinds(&renewed).len(), 2);
    assert!(revoked_kinds(&renewed)
        .iter()
        .all(|(_, r)| r == "superseded"));
}

#[test]
fn reissue_invalidates_the_old_card_and_charges_200_yen() {
    let cli = one_card();
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

fn write_crl(cli: &Cli, kind: &str, now: &str) -> std::path::PathBuf {
    let path = cli.path(&format!("{kind}.crl.pem"));
    cli.ok(&["--now", now, "crl", kind, "--pem", "--out", p(&path)]);
    path
}

#[test]
fn openssl_reads_the_crl_and_checks_certificates_against_it() {
    let cli = one_card();
    let out = cli.path("out");
    let mut second = adult("2021-03-15", "p256");
    second.extend(["--out".into(), out.display().to_string()]);
    cli.ok(&strs(&second)); // card 2, whose files we keep
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
    let (_, text) = openssl(&["crl", "-in", p(&crl), "-noout", "-text"]);
    for needle in [
        "Version 2 (0x1)",
        "X509v3 CRL Number: \n                1",
        "X509v3 Issuing Distribution Point: critical",
        "DirName:C = JP, O = JPKI-MOCK, OU = JPKI for digital signature, OU = CRL Distribution Points, OU = Tokyo-to, CN = Shinagawa-ku CRLDP",
        "URI:http://127.0.0.1:8080/crl/sign.crl",
        "Affiliation Changed",
        "Certificate Hold",
        "Last Update: Apr  1 14:55:00 2021 GMT",
        "Next Update: Apr  2 14:55:00 2021 GMT",
    ] {
        assert!(text.contains(needle), "missing {needle:?} in\n{text}");
    }
    // A second CRL has a higher number.
    let again = write_crl(&cli, "sign", "2021-04-02");
    let (_, number) = openssl(&["crl", "-in", p(&again), "-noout", "-crlnumber"]);
    assert_eq!(number.trim(), "crlNumber=0x02");

    let at = epoch("2021-04-02T06:00:00Z");
    let ca_sign = cli.ca_pem("sign");
    let ca_auth = cli.ca_pem("auth");
    let auth_crl = write_crl(&cli, "auth", "2021-04-02");
    let (ok, text) = openssl(&[
        "verify",
        "-attime",
        &at,
        "-crl_check",
        "-CAfile",
        p(&ca_sign),
        "-CRLfile",
        p(&crl),
        p(&out.join("sign.pem")),
    ]);
    assert!(!ok && text.contains("certificate revoked"), "{text}");
    let (ok, text) = openssl(&[
        "verify",
        "-attime",
        &at,
        "-crl_check",
        "-CAfile",
        p(&ca_auth),
        "-CRLfile",
        p(&auth_crl),
        p(&out.join("auth.pem")),
    ]);
    assert!(
        ok && text.contains(": OK"),
        "the auth certificate survives an address change: {text}"
    );
    assert!(!text.contains("different CRL scope"));

    // x509-parser agrees: v2, AKI, number, critical IDP, a reason per entry.
    let der = ::pem::parse(std::fs::read(&crl).unwrap())
        .unwrap()
        .contents()
        .to_vec();
    let (_, parsed) = CertificateRevocationList::from_der(&der).unwrap();
    assert_eq!(parsed.version().map(|v| v.0), Some(1));
    let oids: Vec<(String, bool)> = parsed
        .extensions()
        .iter()
        .map(|e| (e.oid.to_id_string(), e.critical))
        .collect();
    assert_eq!(
        oids,
        [
            ("2.5.29.35".to_string(), false),
            ("2.5.29.20".into(), false),
            ("2.5.29.28".into(), true)
        ]
    );
    let reasons: Vec<u8> = parsed
        .iter_revoked_certificates()
        .map(|r| r.reason_code().unwrap().1 .0)
        .collect();
    assert_eq!(
        reasons,
        [6, 3],
        "certificateHold (card 1), affiliationChanged (card 2)"
    );
}

#[test]
fn expired_certificates_leave_the_crl() {
    let cli = one_card();
    cli.ok(&[
        "--now",
        "2021-04-01",
        "revoke",
        "--card",
        "1",
        "--cause",
        "leak",
    ]);
    let count = |now: &str| {
        let crl = write_crl(&cli, "sign", now);
        let (_, text) = openssl(&["crl", "-in", p(&crl), "-noout", "-text"]);
        text.matches("Serial Number").count()
    };
    assert_eq!(
        count("2025-10-01"),
        1,
        "valid through 23:59:59 JST on the expiry date"
    );
    assert_eq!(count("2025-10-02"), 0);
}

#[test]
fn over_http_a_cli_revoke_shows_in_the_next_crl_with_a_higher_number() {
    let cli = Cli::new();
    let server = Server::start(&cli, &[]);
    let card = cli.json(&strs(&adult(
        &jpki_mock::clock::rfc3339(time::OffsetDateTime::now_utc()),
        "p256",
    )));
    let serial = card["sign"]["serial"].as_u64().unwrap();
    assert!(card["sign"]["cert_pem"].as_str().is_some());

    let first = server.get("/crl/sign.crl");
    assert_eq!(first.status(), 200);
    assert_eq!(first.headers()["content-type"], "application/pkix-crl");
    assert!(first.headers()["cache-control"]
        .to_str()
        .unwrap()
        .starts_with("max-age="));
    assert!(first.headers().contains_key("last-modified"));
    let etag = first.headers()["etag"].to_str().unwrap().to_string();
    let first = first.bytes().unwrap();
    let (_, crl1) = CertificateRevocationList::from_der(&first).unwrap();
    assert_eq!(crl1.iter_revoked_certificates().count(), 0);

    // Unchanged state: the same CRL from memory, and 304 for its ETag.
    let client = reqwest::blocking::Client::new();
    let cached = client
        .get(format!("{}/crl/sign.crl", server.base))
        .header("if-none-match", &etag)
        .send()
        .unwrap();
    assert_eq!(cached.status(), 304);

    cli.ok(&["revoke", "--card", "1", "--cause", "lost"]);
    let second = server.get("/crl/sign.crl");
    assert_ne!(second.headers()["etag"].to_str().unwrap(), etag);
    let second = second.bytes().unwrap();
    let (_, crl2) = CertificateRevocationList::from_der(&second).unwrap();
    let serials: Vec<u64> = crl2
        .iter_revoked_certificates()
        .map(|r| u64::try_from(r.serial()).unwrap())
        .collect();
    assert_eq!(serials, [serial]);
    assert!(crl2.crl_number().unwrap() > crl1.crl_number().unwrap());

    // The CA certificates, 404 and 405.
    let ca = server.get("/ca/sign.cer");
    assert_eq!(ca.headers()["content-type"], "application/pkix-cert");
    assert!(server
        .get("/ca/auth.pem")
        .text()
        .unwrap()
        .starts_with("-----BEGIN CERTIFICATE-----"));
    assert_eq!(server.get("/no/such/thing").status(), 404);
    assert_eq!(server.get("/crl/nope.crl").status(), 404);
    let post = client
        .post(format!("{}/crl/sign.crl", server.base))
        .send()
        .unwrap();
    assert_eq!(post.status(), 405);
    assert_eq!(server.get("/healthz").text().unwrap(), "ok\n");
}
