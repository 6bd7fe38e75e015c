//! `jpki-mock export`: a self-contained bundle, byte-identical for the same seed,
//! clock and history, whose pre-signed OCSP responses openssl accepts.

mod support;

use std::path::PathBuf;

use support::{adult_at, files_under, openssl, p, strs, Scratch};

/// Runs the binary on the scratch state with a fixed seed and clock; requires success.
fn jpki(s: &Scratch, now: &str, args: &[&str]) -> String {
    s.ok(&[&["--seed", "export-test", "--now", now][..], args].concat())
}

/// One history: init, two cards (RSA and P-256), a lost card, a phone on card 1
/// suspended and resumed (its signing certificate held and re-issued, its auth hold
/// lifted), then export. Returns the bundle and the held phone signing serial.
fn export(s: &Scratch) -> (PathBuf, u64) {
    let out = s.path("bundle");
    jpki(s, "2021-03-01", &["init"]);
    for (name, alg) in [("山田 太郎", "rsa2048"), ("佐藤 花子", "p256")] {
        jpki(
            s,
            "2021-03-15T10:00:00+09:00",
            &[
                "issue",
                "--name",
                name,
                "--birth",
                "1990-10-01",
                "--gender",
                "female",
                "--address",
                "東京都品川区広町2-1-36",
                "--key-alg",
                alg,
            ],
        );
    }
    jpki(
        s,
        "2021-04-01",
        &["revoke", "--card", "2", "--cause", "lost"],
    );
    let phone = ["--card", "1", "--platform", "ios"];
    let issued = jpki(s, "2021-04-02", &[&["phone", "issue"][..], &phone].concat());
    let issued: serde_json::Value = serde_json::from_str(&issued).unwrap();
    jpki(
        s,
        "2021-04-03",
        &[&["phone", "suspend"][..], &phone].concat(),
    );
    jpki(
        s,
        "2021-04-04",
        &[&["phone", "resume"][..], &phone].concat(),
    );
    jpki(s, "2021-05-01", &["export", "--out", p(&out)]);
    (out, issued["sign"]["serial"].as_u64().unwrap())
}

#[test]
fn two_exports_of_the_same_history_are_byte_identical() {
    let a = Scratch::new();
    let b = Scratch::new();
    let first = files_under(&export(&a).0, |_| true);
    let second = files_under(&export(&b).0, |_| true);
    // Per CA: generation 1's certificate, responder, CRL and ARL, and the current
    // generation's certificate, responder and ARL under the names without a number;
    // the manifest; 4 card and 3 phone certificates x (pem, key, ocsp).
    assert_eq!(
        first.len(),
        2 * (4 + 3) + 1 + 21,
        "{:?}",
        first.iter().map(|f| &f.0).collect::<Vec<_>>()
    );
    for ((name, x), (other, y)) in first.iter().zip(&second) {
        assert_eq!(name, other);
        assert!(x == y, "{name} differs between two exports");
    }
}

#[test]
fn the_bundle_is_self_contained_and_openssl_accepts_its_ocsp_responses() {
    let s = Scratch::new();
    let (out, held) = export(&s);
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("manifest.json")).unwrap()).unwrap();
    let cards = manifest["cards"].as_array().unwrap();
    assert_eq!(cards.len(), 2);
    // The responses are dated 2021-05-01: verify the responder at that time, and let the
    // status times be years old (openssl checks them against the real clock).
    let at = "1619870400";
    for card in cards {
        for cert in card["certificates"].as_array().unwrap() {
            let kind = cert["kind"].as_str().unwrap();
            for key in ["certificate", "key", "ocsp_response"] {
                assert!(out.join(cert[key].as_str().unwrap()).is_file(), "{cert}");
            }
            let (_, text) = openssl(&[
                "ocsp",
                "-no_nonce",
                "-validity_period",
                "630720000",
                "-attime",
                at,
                "-respin",
                p(&out.join(cert["ocsp_response"].as_str().unwrap())),
                "-issuer",
                p(&out.join(format!("ca/{kind}.pem"))),
                "-cert",
                p(&out.join(cert["certificate"].as_str().unwrap())),
                "-VAfile",
                p(&out.join(format!("ca/responder-{kind}.pem"))),
            ]);
            assert!(text.contains("Response verify OK"), "{text}");
            // Card 2 was lost; of the phone, only the held signing certificate stays
            // revoked (its auth hold was lifted).
            let expected = if card["card_id"] == 2 || cert["serial"] == held {
                "revoked"
            } else {
                "good"
            };
            let phone = cert["serial"].as_u64().unwrap() >= held;
            assert_eq!(cert["platform"] == "ios", phone, "{cert}");
            assert_eq!(cert["status"], expected);
            assert!(text.contains(&format!(": {expected}")), "{text}");
            if expected == "revoked" {
                assert!(text.contains("Reason: certificateHold"), "{text}");
            }
        }
    }
    // The CRL in the bundle lists the lost card's two certificates.
    let (ok, text) = openssl(&[
        "crl",
        "-inform",
        "DER",
        "-noout",
        "-text",
        "-in",
        p(&out.join("crl/sign.crl")),
    ]);
    assert!(ok, "{text}");
    // The lost card's and the held phone's signing certificates.
    assert_eq!(text.matches("Certificate Hold").count(), 2, "{text}");

    // With the bundle's CRL and ARL, openssl checks the whole chain (-crl_check_all):
    // card 1's signing certificate is good, card 2's is on hold; without the ARL the
    // CA itself has no CRL in scope.
    let pem_of = |name: &str| {
        let path = out.join(format!("{name}.pem"));
        let (ok, text) = openssl(&[
            "crl",
            "-inform",
            "DER",
            "-in",
            p(&out.join(format!("{name}.crl"))),
            "-out",
            p(&path),
        ]);
        assert!(ok, "{text}");
        path
    };
    let (crl, arl) = (pem_of("crl/sign"), pem_of("arl/sign"));
    let verify = |cert: &str, lists: &[&std::path::Path]| {
        let mut args = vec!["verify", "-attime", at, "-crl_check_all", "-CAfile"];
        let ca = out.join("ca/sign.pem");
        args.push(p(&ca));
        for list in lists {
            args.extend(["-CRLfile", p(list)]);
        }
        let cert = out.join(cert);
        args.push(p(&cert));
        openssl(&args)
    };
    let sign_of = |card: usize| {
        cards[card]["certificates"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["kind"] == "sign")
            .unwrap()["certificate"]
            .as_str()
            .unwrap()
            .to_string()
    };
    let (ok, text) = verify(&sign_of(0), &[&crl, &arl]);
    assert!(ok, "{text}");
    let (ok, text) = verify(&sign_of(1), &[&crl, &arl]);
    assert!(!ok && text.contains("certificate revoked"), "{text}");
    let (ok, text) = verify(&sign_of(0), &[&crl]);
    assert!(!ok && text.contains("different CRL scope"), "{text}");
}

#[test]
fn export_refuses_a_directory_that_is_not_empty() {
    let s = Scratch::new();
    jpki(&s, "2021-03-01", &["init"]);
    let out = s.path("full");
    std::fs::create_dir_all(&out).unwrap();
    std::fs::write(out.join("keep.txt"), "mine").unwrap();
    let output = s.run(&["export", "--out", p(&out)]);
    assert_eq!(output.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&output.stderr).contains("not empty"));
    assert_eq!(std::fs::read_dir(&out).unwrap().count(), 1);
}

#[test]
fn the_bundle_carries_every_generation_each_partition_and_each_arl() {
    let s = Scratch::new();
    let config = s.write("layout.toml", "[crl]\nlayout = \"municipality\"\n");
    jpki(&s, "2021-03-01", &["--config", &config, "init"]);
    let holder = |now: &str, address: &str| {
        let args = adult_at(now, "p256", address);
        s.ok(&[&["--seed", "export-test"][..], &strs(&args)].concat());
    };
    holder("2021-03-15T10:00:00+09:00", "東京都品川区広町2-1-36");
    jpki(&s, "2021-06-01", &["ca", "rollover", "sign"]);
    holder("2021-07-01T10:00:00+09:00", "大阪府大阪市北区梅田1-1-3");
    jpki(
        &s,
        "2021-08-01",
        &["revoke", "--card", "1", "--cause", "lost"],
    );
    let out = s.path("bundle");
    jpki(&s, "2021-09-01", &["export", "--out", p(&out)]);
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("manifest.json")).unwrap()).unwrap();
    let sign = &manifest["cas"]["sign"];
    let generations = sign["generations"].as_array().unwrap();
    assert_eq!(generations.len(), 2, "{sign}");
    assert_eq!(generations[1]["current"], true);
    // The current generation under the plain names.
    let read = |path: &serde_json::Value| std::fs::read(out.join(path.as_str().unwrap())).unwrap();
    assert_eq!(
        read(&sign["certificate"]),
        read(&generations[1]["certificate"])
    );
    assert_eq!(manifest["cards"][1]["certificates"][0]["generation"], 2);

    // Each generation's partitions: Shinagawa in 1, Osaka in 2, each signed by its CA.
    for (generation, municipality) in [(0, "Shinagawa-ku"), (1, "Osaka-shi")] {
        let entry = &generations[generation];
        let partitions = entry["partitions"].as_array().unwrap();
        assert_eq!(partitions.len(), 1, "{entry}");
        let crl = out.join(partitions[0]["crl"].as_str().unwrap());
        assert!(
            p(&crl).ends_with(&format!("/{municipality}.crl")),
            "{crl:?}"
        );
        let ca = out.join(entry["certificate"].as_str().unwrap());
        let (_, text) = openssl(&[
            "crl",
            "-inform",
            "DER",
            "-in",
            p(&crl),
            "-CAfile",
            p(&ca),
            "-noout",
            "-text",
        ]);
        assert!(text.contains("verify OK"), "{text}");
        assert!(
            text.contains(&format!("CN = {municipality} CRLDP")),
            "{text}"
        );
        // Card 1 (Shinagawa, generation 1) is on hold; Osaka's partition is empty.
        assert_eq!(text.contains("Certificate Hold"), generation == 0, "{text}");
        let arl = out.join(entry["arl"].as_str().unwrap());
        let (ok, text) = openssl(&[
            "crl",
            "-inform",
            "DER",
            "-in",
            p(&arl),
            "-CAfile",
            p(&ca),
            "-noout",
        ]);
        assert!(ok && text.contains("verify OK"), "{text}");
    }
}
