//! Issuance end to end through the binary, checked by independent parsers: openssl
//! (`verify`, `x509 -text`, `asn1parse`) and x509-parser reading back every extension.

mod support;

use sha1::Digest;
use support::{adult, adult_at, epoch, openssl, p, strs, subject_key_id, Scratch};
use x509_parser::der_parser::asn1_rs::{Any, Tag};
use x509_parser::extensions::{DistributionPointName, GeneralName, ParsedExtension};
use x509_parser::prelude::{FromDer, X509Certificate};

fn issued(cli: &Scratch, key_alg: &str, out: &str) -> serde_json::Value {
    cli.ok(&["--now", "2021-03-01", "init"]);
    let mut args = adult("2021-03-15T10:00:00+09:00", key_alg);
    args.extend(["--out".to_string(), cli.path(out).display().to_string()]);
    cli.json(&strs(&args))
}

fn der_of(pem_text: &str) -> Vec<u8> {
    ::pem::parse(pem_text).unwrap().contents().to_vec()
}

#[test]
fn init_is_idempotent_and_keeps_the_keys() {
    let cli = Scratch::new();
    let first = cli.ok(&["init"]);
    assert!(
        first.contains("created the sign CA") && first.contains("created the auth CA"),
        "{first}"
    );
    let ca = cli.ok(&["ca", "sign", "--pem"]);
    let key = std::fs::read(cli.state().join("ca-sign.key")).unwrap();
    let second = cli.ok(&["init"]);
    assert!(second.contains("kept the existing sign CA"), "{second}");
    assert_eq!(ca, cli.ok(&["ca", "sign", "--pem"]));
    assert_eq!(key, std::fs::read(cli.state().join("ca-sign.key")).unwrap());
}

#[test]
fn both_chains_verify_with_openssl_rsa_and_p256() {
    for alg in ["rsa2048", "p256"] {
        let cli = Scratch::new();
        let card = issued(&cli, alg, "out");
        let at = epoch("2022-01-01");
        for kind in ["sign", "auth"] {
            let ca = cli.ca_pem(kind);
            let leaf = cli.path(&format!("out/{kind}.pem"));
            let (ok, text) = openssl(&["verify", "-attime", &at, "-CAfile", p(&ca), p(&leaf)]);
            assert!(ok && text.contains(": OK"), "{alg} {kind}: {text}");
            // The chain file holds the leaf then the CA.
            let chain =
                std::fs::read_to_string(cli.path(&format!("out/chain-{kind}.pem"))).unwrap();
            assert_eq!(chain.matches("BEGIN CERTIFICATE").count(), 2);
            assert!(chain.starts_with(card[kind]["cert_pem"].as_str().unwrap()));
        }
    }
}

#[test]
fn out_writes_six_files_with_private_keys_0600() {
    use std::os::unix::fs::PermissionsExt;
    let cli = Scratch::new();
    issued(&cli, "p256", "out");
    for name in [
        "sign.pem",
        "sign.key",
        "auth.pem",
        "auth.key",
        "chain-sign.pem",
        "chain-auth.pem",
    ] {
        let path = cli.path(&format!("out/{name}"));
        assert!(path.is_file(), "{name}");
        if name.ends_with(".key") {
            assert_eq!(
                std::fs::metadata(&path).unwrap().permissions().mode() & 0o777,
                0o600
            );
        }
    }
    for key in [
        "ca-sign.key",
        "ca-auth.key",
        "responder-sign.key",
        "responder-auth.key",
    ] {
        let mode = std::fs::metadata(cli.state().join(key))
            .unwrap()
            .permissions()
            .mode()
            & 0o777;
        assert_eq!(mode, 0o600, "{key}");
    }
}

#[test]
fn openssl_text_shows_usage_policies_and_the_jpki_dates() {
    let cli = Scratch::new();
    issued(&cli, "rsa2048", "out");
    let sign = cli.path("out/sign.pem");
    let auth = cli.path("out/auth.pem");
    // Born 1990-10-01, issued 2021-03-15: both expire on the 5th birthday, 2025-10-01.
    for leaf in [&sign, &auth] {
        let (_, end) = openssl(&["x509", "-in", p(leaf), "-noout", "-enddate"]);
        assert_eq!(end.trim(), "notAfter=Oct  1 14:59:59 2025 GMT");
        let (_, start) = openssl(&["x509", "-in", p(leaf), "-noout", "-startdate"]);
        assert_eq!(start.trim(), "notBefore=Mar 15 01:00:00 2021 GMT");
    }
    let (_, text) = openssl(&[
        "x509",
        "-in",
        p(&sign),
        "-noout",
        "-text",
        "-nameopt",
        "utf8",
    ]);
    for needle in [
        "X509v3 Key Usage: critical\n                Digital Signature, Non Repudiation",
        "X509v3 Certificate Policies: critical\n                Policy: 1.2.392.200149.8.5.1.1.20\n                  CPS: http://www.jpki.go.jp/cps.html",
        "Subject: C=JP, L=Tokyo-to, L=Shinagawa-ku, CN=20210315100000",
        "othername: 1.2.392.200149.8.5.5.1::山田\u{3000}太郎",
        "othername: 1.2.392.200149.8.5.5.4::419901001",
        "othername: 1.2.392.200149.8.5.5.5::東京都品川区広町２－１－３６",
        "OCSP - URI:http://127.0.0.1:8080/ocsp/sign",
        "Public-Key: (2048 bit)",
        "Signature Algorithm: sha256WithRSAEncryption",
    ] {
        assert!(text.contains(needle), "missing {needle:?} in\n{text}");
    }
    assert!(!text.contains("Extended Key Usage") && !text.contains("Basic Constraints"));
    let (_, text) = openssl(&["x509", "-in", p(&auth), "-noout", "-text"]);
    for needle in [
        "X509v3 Key Usage: critical\n                Digital Signature\n",
        "X509v3 Extended Key Usage: \n                TLS Web Client Authentication",
        "Policy: 1.2.392.200149.8.5.1.3.30",
        "OU = JPKI for user authentication, OU = CRL Distribution Points",
        "URI:http://127.0.0.1:8080/crl/auth.crl",
    ] {
        assert!(text.contains(needle), "missing {needle:?} in\n{text}");
    }
    assert!(
        !text.contains("Subject Alternative Name"),
        "the auth certificate has no SAN"
    );
    let ca = cli.ca_pem("sign");
    let (_, text) = openssl(&["x509", "-in", p(&ca), "-noout", "-text"]);
    for needle in [
        "Subject: C = JP, O = JPKI-MOCK, OU = JPKI for digital signature, OU = Japan Agency for Local Authority Information Systems",
        "X509v3 Key Usage: critical\n                Certificate Sign, CRL Sign",
        "X509v3 Basic Constraints: critical\n                CA:TRUE\n",
    ] {
        assert!(text.contains(needle), "missing {needle:?} in\n{text}");
    }
}

#[test]
fn asn1parse_shows_the_six_other_names_in_the_real_order() {
    let cli = Scratch::new();
    issued(&cli, "p256", "out");
    let cert = cli.path("out/sign.pem");
    let (_, outer) = openssl(&["asn1parse", "-in", p(&cert)]);
    // The SAN's value is the OCTET STRING after its OID: parse inside it.
    let lines: Vec<&str> = outer.lines().collect();
    let at = lines
        .iter()
        .position(|l| l.contains(":X509v3 Subject Alternative Name"))
        .expect("a SAN");
    let octets = lines[at + 1..]
        .iter()
        .find(|l| l.contains("OCTET STRING"))
        .unwrap();
    let offset = octets.split(':').next().unwrap().trim();
    let (_, text) = openssl(&["asn1parse", "-in", p(&cert), "-strparse", offset]);
    let order: Vec<&str> = text
        .lines()
        .filter_map(|l| l.split(":1.2.392.200149.8.5.5.").nth(1))
        .collect();
    assert_eq!(order, ["1", "4", "3", "5", "2", "6"], "{text}");
}

fn utf8_other_name(value: &[u8]) -> String {
    // x509-parser leaves the [0] EXPLICIT wrapper on: one more parse.
    let (_, wrapper) = Any::from_der(value).unwrap();
    assert_eq!(wrapper.tag(), Tag(0));
    let (_, inner) = Any::from_der(wrapper.data).unwrap();
    assert_eq!(inner.tag(), Tag::Utf8String);
    String::from_utf8(inner.data.to_vec()).unwrap()
}

#[test]
fn x509_parser_reads_back_every_extension() {
    let cli = Scratch::new();
    let card = issued(&cli, "rsa2048", "out");
    let ca_der = der_of(&cli.ok(&["ca", "sign", "--pem"]));
    let (_, ca) = X509Certificate::from_der(&ca_der).unwrap();
    let sign_der = der_of(card["sign"]["cert_pem"].as_str().unwrap());
    let (_, sign) = X509Certificate::from_der(&sign_der).unwrap();
    assert_eq!(sign.version().0, 2);
    assert_eq!(
        sign.signature_algorithm.algorithm.to_id_string(),
        "1.2.840.113549.1.1.11"
    );
    assert_eq!(
        sign.signature_algorithm.parameters.as_ref().unwrap().tag(),
        Tag::Null
    );
    assert_eq!(sign.raw_serial().len(), 4);
    assert!(sign.raw_serial()[0] < 0x80);

    let oids: Vec<(String, bool)> = sign
        .extensions()
        .iter()
        .map(|e| (e.oid.to_id_string(), e.critical))
        .collect();
    let expected = [
        ("2.5.29.15", true),
        ("2.5.29.17", false),
        ("2.5.29.32", true),
        ("2.5.29.18", false),
        ("2.5.29.31", false),
        ("1.3.6.1.5.5.7.1.1", false),
        ("2.5.29.35", false),
        ("2.5.29.14", false),
    ];
    assert_eq!(oids, expected.map(|(o, c)| (o.to_string(), c)));

    // Subject RDN order and string types.
    let subject: Vec<(String, Tag, String)> = sign
        .subject()
        .iter_attributes()
        .map(|a| {
            (
                a.attr_type().to_id_string(),
                a.attr_value().tag(),
                a.as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        subject[0],
        ("2.5.4.6".into(), Tag::PrintableString, "JP".into())
    );
    assert_eq!(
        subject[1],
        ("2.5.4.7".into(), Tag::Utf8String, "Tokyo-to".into())
    );
    assert_eq!(
        subject[2],
        ("2.5.4.7".into(), Tag::Utf8String, "Shinagawa-ku".into())
    );
    assert_eq!(subject[3].0, "2.5.4.3");
    assert_eq!(subject[3].1, Tag::Utf8String);
    assert_eq!(subject[3].2.len(), 28);
    assert!(subject[3].2.starts_with("20210315100000"));
    for attribute in ca.subject().iter_attributes() {
        let tag = attribute.attr_value().tag();
        let expected = if attribute.attr_type().to_id_string() == "2.5.4.6" {
            Tag::PrintableString
        } else {
            Tag::Utf8String
        };
        assert_eq!(tag, expected);
    }

    let mut other_names = Vec::new();
    for extension in sign.extensions() {
        match extension.parsed_extension() {
            ParsedExtension::SubjectAlternativeName(san) => {
                for name in &san.general_names {
                    let GeneralName::OtherName(oid, value) = name else {
                        panic!("{name:?}")
                    };
                    other_names.push((oid.to_id_string(), utf8_other_name(value)));
                }
            }
            ParsedExtension::AuthorityKeyIdentifier(aki) => {
                let ca_ski = subject_key_id(&ca);
                assert_eq!(aki.key_identifier.as_ref().unwrap().0, ca_ski.as_slice());
                let issuer = aki.authority_cert_issuer.as_ref().unwrap();
                assert!(
                    matches!(&issuer[0], GeneralName::DirectoryName(n) if n.as_raw() == ca.issuer().as_raw())
                );
                assert_eq!(aki.authority_cert_serial.unwrap(), ca.raw_serial());
            }
            ParsedExtension::SubjectKeyIdentifier(ski) => {
                let key_bits = sign.public_key().subject_public_key.data.as_ref();
                assert_eq!(ski.0, &sha1::Sha1::digest(key_bits)[..]);
            }
            ParsedExtension::CRLDistributionPoints(points) => {
                let Some(DistributionPointName::FullName(names)) =
                    &points.points[0].distribution_point
                else {
                    panic!()
                };
                let GeneralName::DirectoryName(dn) = &names[0] else {
                    panic!("{names:?}")
                };
                assert_eq!(
                    dn.to_string(),
                    "C=JP, O=JPKI-MOCK, OU=JPKI for digital signature, OU=CRL Distribution Points, OU=Tokyo-to, CN=Shinagawa-ku CRLDP"
                );
                assert!(matches!(
                    names[1],
                    GeneralName::URI("http://127.0.0.1:8080/crl/sign.crl")
                ));
            }
            ParsedExtension::AuthorityInfoAccess(aia) => {
                assert_eq!(
                    aia.accessdescs[0].access_method.to_id_string(),
                    "1.3.6.1.5.5.7.48.1"
                );
                assert!(matches!(
                    aia.accessdescs[0].access_location,
                    GeneralName::URI("http://127.0.0.1:8080/ocsp/sign")
                ));
            }
            ParsedExtension::IssuerAlternativeName(ian) => {
                let GeneralName::DirectoryName(dn) = &ian.general_names[0] else {
                    panic!()
                };
                let texts: Vec<&str> = dn.iter_attributes().map(|a| a.as_str().unwrap()).collect();
                assert_eq!(
                    texts,
                    [
                        "JP",
                        "公的個人認証サービス",
                        "公的個人認証サービス署名用",
                        "地方公共団体情報システム機構"
                    ]
                );
            }
            ParsedExtension::KeyUsage(ku) => {
                assert!(ku.digital_signature() && ku.non_repudiation() && !ku.key_cert_sign())
            }
            ParsedExtension::CertificatePolicies(policies) => {
                assert_eq!(
                    policies[0].policy_id.to_id_string(),
                    "1.2.392.200149.8.5.1.1.20"
                );
            }
            other => panic!("unexpected extension {other:?}"),
        }
    }
    assert_eq!(
        other_names,
        [
            (
                "1.2.392.200149.8.5.5.1".to_string(),
                "山田\u{3000}太郎".to_string()
            ),
            ("1.2.392.200149.8.5.5.4".into(), "419901001".into()),
            ("1.2.392.200149.8.5.5.3".into(), "1".into()),
            (
                "1.2.392.200149.8.5.5.5".into(),
                "東京都品川区広町２－１－３６".into()
            ),
            ("1.2.392.200149.8.5.5.2".into(), "00000".into()),
            ("1.2.392.200149.8.5.5.6".into(), "00000000000000".into()),
        ]
    );

    // The auth certificate: no SAN, EKU clientAuth, its own extension order.
    let auth_der = der_of(card["auth"]["cert_pem"].as_str().unwrap());
    let (_, auth) = X509Certificate::from_der(&auth_der).unwrap();
    let oids: Vec<String> = auth
        .extensions()
        .iter()
        .map(|e| e.oid.to_id_string())
        .collect();
    assert_eq!(
        oids,
        [
            "2.5.29.15",
            "2.5.29.37",
            "2.5.29.32",
            "2.5.29.18",
            "2.5.29.31",
            "1.3.6.1.5.5.7.1.1",
            "2.5.29.35",
            "2.5.29.14"
        ]
    );
    let cn = auth
        .subject()
        .iter_common_name()
        .next()
        .unwrap()
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(cn.len(), 23);
    assert!(cn
        .chars()
        .all(|c| c.is_ascii_digit() || c.is_ascii_uppercase()));
    assert_eq!(auth.subject().iter_attributes().count(), 2, "C and CN only");
}

#[test]
fn a_minor_under_15_gets_only_the_auth_certificate() {
    let cli = Scratch::new();
    cli.ok(&["--now", "2023-01-01", "init"]);
    let minor = [
        "--now",
        "2023-01-20",
        "issue",
        "--name",
        "鈴木 花子",
        "--birth",
        "2010-04-01",
        "--gender",
        "female",
        "--address",
        "大阪府大阪市北区梅田1-1-3",
        "--key-alg",
        "p256",
    ];
    let card = cli.json(&minor);
    assert_eq!(card["card_expiry"], "2027-04-01");
    assert_eq!(card["auth"]["expiry"], "2027-04-01");
    assert!(card.get("sign").is_none());
    let refused = cli.run(&[&minor[..], &["--only", "sign"]].concat());
    assert_eq!(refused.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&refused.stderr).contains("force_sign"));
    let forced = cli.json(&[&minor[..], &["--only", "sign", "--force-sign"]].concat());
    assert!(forced["sign"]["serial"].is_number() && forced.get("auth").is_none());
    // show/list reflect what was issued; serials are unique across both CAs.
    let list = cli.json(&["--now", "2023-01-20", "list"]);
    assert_eq!(list.as_array().unwrap().len(), 2);
    let one = cli.json(&["--now", "2023-01-20", "show", "card", "1"]);
    assert_eq!(one["certificates"][0]["status"], "good");
    assert_eq!(one["locality"], "Osaka-fu/Osaka-shi");
    let serial = forced["sign"]["serial"].as_u64().unwrap().to_string();
    let cert = cli.json(&["--now", "2023-01-20", "show", "cert", &serial]);
    assert_eq!(cert["kind"], "sign");
}

#[test]
fn the_locality_override_goes_into_the_subject() {
    let cli = Scratch::new();
    cli.ok(&["--now", "2021-03-01", "init"]);
    // The usual adult, living in Fuchū (Hiroshima), with the locality given explicitly.
    let mut args = adult_at("2021-03-15", "p256", "広島県府中市府川町315");
    args.extend(["--locality".into(), "Hiroshima-ken/Fuchu-shi".into()]);
    let card = cli.json(&strs(&args));
    let der = der_of(card["sign"]["cert_pem"].as_str().unwrap());
    let (_, cert) = X509Certificate::from_der(&der).unwrap();
    let localities: Vec<&str> = cert
        .subject()
        .iter_locality()
        .map(|l| l.as_str().unwrap())
        .collect();
    assert_eq!(localities, ["Hiroshima-ken", "Fuchu-shi"]);
}

/// The locality from an address with a district (郡) before the village, seen by openssl
/// in the subject and the CRL distribution point; the ward setting and a code as
/// `--locality` through the same binary.
#[test]
fn a_district_address_and_the_ward_setting_reach_the_certificate() {
    let cli = Scratch::new();
    cli.ok(&["--now", "2021-03-01", "init"]);
    let issue = |dir: &str, address: &str, extra: &[&str]| {
        let mut args = adult_at("2021-03-15", "p256", address);
        args.extend(["--out".into(), cli.path(dir).display().to_string()]);
        args.extend(extra.iter().map(|a| a.to_string()));
        cli.json(&strs(&args));
        let pem = cli.path(&format!("{dir}/sign.pem"));
        let (ok, subject) = openssl(&["x509", "-in", p(&pem), "-noout", "-subject"]);
        assert!(ok, "{subject}");
        let (ok, text) = openssl(&["x509", "-in", p(&pem), "-noout", "-text"]);
        assert!(ok, "{text}");
        (subject, text)
    };
    let (subject, text) = issue("shimukappu", "北海道勇払郡占冠村字中央1", &[]);
    assert!(
        subject.contains("L = Hokkaido, L = Shimukappu-mura,"),
        "{subject}"
    );
    assert!(
        text.contains("OU = Hokkaido, CN = Shimukappu-mura CRLDP"),
        "{text}"
    );

    // A designated city's ward: the city by default, the ward with the setting.
    let (subject, _) = issue("city", "大阪府大阪市北区梅田1", &[]);
    assert!(
        subject.contains("L = Osaka-fu, L = Osaka-shi,"),
        "{subject}"
    );
    let config = cli.write(
        "wards.toml",
        "[locality]\ndesignated_city_wards = \"ward\"\n",
    );
    let (subject, text) = issue("ward", "大阪府大阪市北区梅田1", &["--config", &config]);
    assert!(
        subject.contains("L = Osaka-fu, L = Osaka-shi-Kita-ku,"),
        "{subject}"
    );
    assert!(text.contains("CN = Osaka-shi-Kita-ku CRLDP"), "{text}");

    // --locality as a code; an unknown one names the nearest and issues nothing.
    let (subject, _) = issue("code", "東京都品川区広町2-1-36", &["--locality", "131091"]);
    assert!(
        subject.contains("L = Tokyo-to, L = Shinagawa-ku,"),
        "{subject}"
    );
    let mut args = adult("2021-03-15", "p256");
    args.extend(["--locality".into(), "131092".into()]);
    let refused = cli.run(&strs(&args));
    assert_eq!(refused.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(stderr.contains("nearest: 東京都品川区 (131091"), "{stderr}");
}

#[test]
fn out_rewrites_existing_key_files_as_0600() {
    use std::os::unix::fs::PermissionsExt;
    let cli = Scratch::new();
    let out = cli.path("out");
    std::fs::create_dir_all(&out).unwrap();
    std::fs::write(out.join("sign.key"), "old").unwrap();
    std::fs::set_permissions(out.join("sign.key"), std::fs::Permissions::from_mode(0o644)).unwrap();
    issued(&cli, "p256", "out");
    let mode = std::fs::metadata(out.join("sign.key"))
        .unwrap()
        .permissions()
        .mode()
        & 0o777;
    assert_eq!(mode, 0o600);
    assert!(std::fs::read_to_string(out.join("sign.key"))
        .unwrap()
        .contains("PRIVATE KEY"));
}

#[test]
fn an_unusable_out_directory_issues_nothing() {
    let cli = Scratch::new();
    cli.ok(&["init"]);
    let not_a_dir = cli.write("file", "x");
    let mut args = adult("2021-03-15", "p256");
    args.extend(["--out".into(), not_a_dir]);
    let output = cli.run(&strs(&args));
    assert_eq!(output.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&output.stderr).contains("--out"));
    assert_eq!(cli.json(&["list"]), serde_json::json!([]));
}

#[test]
fn the_jpki_test_preset_is_fixed_at_init_and_openssl_sees_it() {
    let cli = Scratch::new();
    // An unknown preset: a clear error, and no state at all.
    let unknown = cli.run(&["init", "--preset", "jpki-prod"]);
    assert_eq!(unknown.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&unknown.stderr);
    assert!(
        stderr.contains("--preset") && stderr.contains("jpki-test"),
        "{stderr}"
    );
    assert!(!cli.state().exists());

    let init = cli.ok(&["--now", "2021-03-01", "init", "--preset", "jpki-test"]);
    assert!(init.contains("O=JPKI-TEST (preset jpki-test)"), "{init}");
    // A later command with a configuration of its own still issues the test profile:
    // the preset was recorded with the state.
    let config = cli.write("production.toml", "[profile]\norg = \"JPKI\"\n");
    let mut args = adult("2021-03-15T10:00:00+09:00", "p256");
    args.splice(0..0, ["--config".to_string(), config]);
    args.extend(["--out".to_string(), cli.path("card").display().to_string()]);
    cli.json(&strs(&args));
    for (kind, policy) in [
        ("sign", "1.2.392.200149.8.5.1.0.20"),
        ("auth", "1.2.392.200149.8.5.1.2.30"),
    ] {
        let pem = cli.path(&format!("card/{kind}.pem"));
        let (ok, text) = openssl(&["x509", "-in", p(&pem), "-noout", "-text"]);
        assert!(ok, "{text}");
        assert!(
            text.contains("O = JPKI-TEST, OU = JPKI for"),
            "{kind}: {text}"
        );
        assert!(
            text.contains(&format!("Policy: {policy}")),
            "{kind}: {text}"
        );
        let ca = cli.ca_pem(kind);
        let (ok, text) = openssl(&[
            "verify",
            "-attime",
            &epoch("2021-04-01"),
            "-CAfile",
            &ca,
            p(&pem),
        ]);
        assert!(ok, "{kind}: {text}");
    }

    // The preset is chosen once: another is refused, and nothing changes.
    let before = cli.digest();
    let other = cli.run(&[
        "init",
        "--preset",
        "mine",
        "--config",
        &cli.write("mine.toml", "[presets.mine]\norg = \"JPKI\"\n"),
    ]);
    assert_eq!(other.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&other.stderr);
    assert!(stderr.contains("preset jpki-test"), "{stderr}");
    assert_eq!(before, cli.digest());
}

/// Whether openssl's `-text` shows ecdsa-with-SHA384 and, when `key`, a P-384 key.
fn shows_p384(text: &str, key: bool) -> bool {
    text.contains("Signature Algorithm: ecdsa-with-SHA384")
        && !text.contains("sha256WithRSAEncryption")
        && !text.contains("ecdsa-with-SHA256")
        && (!key || (text.contains("ASN1 OID: secp384r1") && text.contains("NIST CURVE: P-384")))
}

/// The holder's (born 1 October) 10th birthday after `day`.
fn tenth_birthday_after(day: time::Date) -> String {
    let first = if (u8::from(day.month()), day.day()) < (10, 1) {
        day.year()
    } else {
        day.year() + 1
    };
    format!("{}-10-01", first + 9)
}

#[test]
fn the_next_gen_preset_signs_with_p384_and_sha384_and_openssl_verifies_it() {
    let cli = Scratch::new();
    // Real time throughout: `openssl ocsp` checks the responder at its own clock.
    let init = cli.ok(&["init", "--preset", "next-gen"]);
    assert!(init.contains("(preset next-gen)"), "{init}");
    let today = support::today_jst();

    // A card with the preset's default key (no --key-alg), and one issued by a later
    // command whose configuration says RSA and 5 years: the recorded preset wins.
    let mut args = adult(&support::now_rfc3339(), "-");
    let at = args.iter().position(|a| a == "--key-alg").unwrap();
    args.drain(at..at + 2);
    let mut kept = args.clone();
    args.extend(["--out".to_string(), cli.path("card").display().to_string()]);
    let card = cli.json(&strs(&args));
    let config = cli.write(
        "rsa.toml",
        "[profile]\nkey_alg = \"rsa2048\"\n[validity]\ncert_birthdays = 5\n",
    );
    kept.splice(0..0, ["--config".to_string(), config]);
    kept.extend(["--out".to_string(), cli.path("lost").display().to_string()]);
    let lost = cli.json(&strs(&kept));
    // Ten years, capped by a card of ten years.
    for issued in [&card, &lost] {
        let expiry = tenth_birthday_after(today);
        assert_eq!(issued["card_expiry"], serde_json::json!(expiry), "{issued}");
        for kind in ["sign", "auth"] {
            assert_eq!(
                issued[kind]["expiry"],
                serde_json::json!(expiry),
                "{issued}"
            );
        }
    }
    let lost_id = lost["card_id"].to_string();
    cli.ok(&["revoke", "--card", &lost_id, "--cause", "stolen"]);
    // The CA generations last 20 years, so a card issued nine years on still gets its
    // ten (with 10-year generations it would end with the generation).
    let generation = &cli.json(&["ca", "list", "sign"])[0];
    let ends = generation["not_after"].as_str().unwrap();
    assert!(
        ends.starts_with(&(today.year() + 20).to_string()),
        "{generation}"
    );
    let later = today + time::Duration::days(9 * 365);
    let late = cli.json(&strs(&adult(&format!("{later}"), "p256")));
    assert_eq!(
        late["sign"]["expiry"],
        serde_json::json!(tenth_birthday_after(later)),
        "{late}"
    );

    for kind in ["sign", "auth"] {
        // The CA certificate: self-signed with its P-384 key.
        let ca = cli.ca_pem(kind);
        let (ok, text) = openssl(&["x509", "-in", &ca, "-noout", "-text"]);
        assert!(ok && shows_p384(&text, true), "{kind} CA: {text}");
        let (ok, text) = openssl(&["verify", "-CAfile", &ca, &ca]);
        assert!(ok && text.contains(": OK"), "{kind} CA: {text}");
        // Both cards' certificates.
        for dir in ["card", "lost"] {
            let leaf = cli.path(&format!("{dir}/{kind}.pem"));
            let (ok, text) = openssl(&["x509", "-in", p(&leaf), "-noout", "-text"]);
            assert!(ok && shows_p384(&text, true), "{dir} {kind}: {text}");
            let (ok, text) = openssl(&["verify", "-CAfile", &ca, p(&leaf)]);
            assert!(ok && text.contains(": OK"), "{dir} {kind}: {text}");
            let key = cli.path(&format!("{dir}/{kind}.key"));
            let (ok, text) = openssl(&["pkey", "-in", p(&key), "-noout", "-text"]);
            assert!(
                ok && text.contains("NIST CURVE: P-384"),
                "{dir} {kind}: {text}"
            );
        }
        // The CRL (and the ARL): signed with ecdsa-with-SHA384, verified by the CA,
        // the stolen card on it.
        let crl = cli.path(&format!("crl-{kind}.pem"));
        cli.ok(&["crl", kind, "--pem", "--out", p(&crl)]);
        let (ok, text) = openssl(&["crl", "-in", p(&crl), "-CAfile", &ca, "-noout", "-text"]);
        assert!(ok && text.contains("verify OK"), "{kind} CRL: {text}");
        assert!(shows_p384(&text, false), "{kind} CRL: {text}");
        let revoked = lost[kind]["serial_hex"].as_str().unwrap();
        assert!(
            text.contains(&format!("Serial Number: {revoked}")),
            "{text}"
        );
        for (dir, expected) in [("card", ": OK"), ("lost", "certificate revoked")] {
            let leaf = cli.path(&format!("{dir}/{kind}.pem"));
            let (_, text) = openssl(&[
                "verify",
                "-crl_check",
                "-CAfile",
                &ca,
                "-CRLfile",
                p(&crl),
                p(&leaf),
            ]);
            assert!(text.contains(expected), "{dir} {kind} with the CRL: {text}");
        }
        let arl = cli.path(&format!("arl-{kind}.pem"));
        cli.ok(&["arl", kind, "--pem", "--out", p(&arl)]);
        let (ok, text) = openssl(&["crl", "-in", p(&arl), "-CAfile", &ca, "-noout", "-text"]);
        assert!(
            ok && text.contains("verify OK") && shows_p384(&text, false),
            "{text}"
        );
    }

    // OCSP from the served binary, whose own configuration names no preset: the
    // response and its responder are P-384, and openssl verifies them.
    let server = support::Binary::start(&cli.state(), &[]);
    for kind in ["sign", "auth"] {
        let ca = cli.ca_pem(kind);
        let url = format!("{}/ocsp/{kind}", server.base);
        for (dir, status) in [("card", ": good"), ("lost", ": revoked")] {
            let leaf = cli.path(&format!("{dir}/{kind}.pem"));
            let (ok, text) = openssl(&[
                "ocsp",
                "-issuer",
                &ca,
                "-cert",
                p(&leaf),
                "-url",
                &url,
                "-CAfile",
                &ca,
                "-resp_text",
            ]);
            assert!(
                ok && text.contains("Response verify OK"),
                "{dir} {kind}: {text}"
            );
            assert!(text.contains(status), "{dir} {kind}: {text}");
            assert!(shows_p384(&text, true), "{dir} {kind}: {text}");
        }
    }
    // A card issued through the served API without a key_alg: P-384, ten years.
    let mut body = support::holder("p256");
    body.as_object_mut().unwrap().remove("key_alg");
    let served = server.client().issue(body);
    let pem = cli.write("served.pem", served["sign"]["cert_pem"].as_str().unwrap());
    let (ok, text) = openssl(&["x509", "-in", &pem, "-noout", "-text"]);
    assert!(ok && shows_p384(&text, true), "{text}");
    assert_eq!(
        served["sign"]["expiry"],
        serde_json::json!(tenth_birthday_after(today))
    );
}

#[test]
fn p384_is_a_key_algorithm_of_its_own_outside_the_preset() {
    // The default profile keeps RSA CAs and five-year certificates; a P-384 card key
    // is signed by the RSA CA.
    let cli = Scratch::new();
    let card = issued(&cli, "p384", "out");
    assert_eq!(card["sign"]["expiry"], serde_json::json!("2025-10-01"));
    let ca = cli.ca_pem("sign");
    let (_, text) = openssl(&["x509", "-in", &ca, "-noout", "-text"]);
    assert!(text.contains("sha256WithRSAEncryption"), "{text}");
    let leaf = cli.path("out/sign.pem");
    let (_, text) = openssl(&["x509", "-in", p(&leaf), "-noout", "-text"]);
    assert!(
        text.contains("NIST CURVE: P-384") && text.contains("sha256WithRSAEncryption"),
        "{text}"
    );
    let (ok, text) = openssl(&[
        "verify",
        "-attime",
        &epoch("2022-01-01"),
        "-CAfile",
        &ca,
        p(&leaf),
    ]);
    assert!(ok && text.contains(": OK"), "{text}");
}
