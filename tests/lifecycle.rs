//! The JPKI lifecycle around the bytes: CA generations that share one DN (rollover,
//! validity, a compromise drill on the ARL), the production CRL layout with one CRL
//! per distribution point, and publication timing. Checked with `openssl verify`,
//! `openssl crl`, `openssl ocsp` and x509-parser, over the CLI and over HTTP.

mod support;

use serde_json::{json, Value};
use support::{
    adult, adult_at, crl_entries, crl_number, epoch, now_rfc3339, openssl, p, serial_of_pem,
    statuses, strs, to_pem, Binary, IssuerHashes, Scratch,
};

const INIT: &str = "2021-03-01T10:00:00+09:00";

/// Issues the usual holder at `now` (optionally at another address) into `out/`;
/// returns the issue JSON.
fn issue(cli: &Scratch, now: &str, address: Option<&str>, out: &str) -> Value {
    let mut args = match address {
        Some(address) => adult_at(now, "p256", address),
        None => adult(now, "p256"),
    };
    args.extend(["--out".to_string(), cli.path(out).display().to_string()]);
    cli.json(&strs(&args))
}

/// `init` at `now` with a configuration file holding `toml`; returns the file's path
/// (for the commands that need it again).
fn init_with(cli: &Scratch, now: &str, toml: &str) -> String {
    let config = cli.write("config.toml", toml);
    cli.ok(&["--config", &config, "--now", now, "init"]);
    config
}

/// A CA generation's certificate as PEM, written through the CLI; returns its path.
fn ca_generation_pem(cli: &Scratch, kind: &str, generation: u32) -> String {
    let path = cli.path(&format!("ca-{kind}-{generation}.pem"));
    cli.ok(&[
        "ca",
        kind,
        "--generation",
        &generation.to_string(),
        "--pem",
        "--out",
        p(&path),
    ]);
    path.display().to_string()
}

/// Concatenates PEM files into one (a CAfile or a CRLfile with several entries).
fn bundle(cli: &Scratch, name: &str, files: &[&str]) -> String {
    let text: String = files
        .iter()
        .map(|f| std::fs::read_to_string(f).unwrap())
        .collect();
    cli.write(name, text)
}

/// A CRL or ARL written through the CLI as PEM at `now`; returns its path.
fn list_pem(cli: &Scratch, now: &str, args: &[&str], name: &str) -> String {
    let path = cli.path(name);
    let all = [&["--now", now][..], args, &["--pem", "--out", p(&path)][..]].concat();
    cli.ok(&all);
    path.display().to_string()
}

/// `openssl verify` at `at` with these trust anchors and CRLs.
fn verify(at: &str, ca_file: &str, crls: &[&str], flag: &str, cert: &str) -> (bool, String) {
    let at = epoch(at);
    let mut args = vec!["verify", "-attime", &at, "-CAfile", ca_file];
    if !flag.is_empty() {
        args.push(flag);
    }
    for crl in crls {
        args.extend(["-CRLfile", crl]);
    }
    args.push(cert);
    openssl(&args)
}

/// One line of `openssl x509 -noout <option>`.
fn x509(cert: &str, option: &[&str]) -> String {
    let (ok, text) = openssl(&[&["x509", "-in", cert, "-noout"][..], option].concat());
    assert!(ok, "{text}");
    text
}

#[test]
fn generations_share_the_dn_and_openssl_picks_each_by_its_key() {
    let cli = Scratch::new();
    cli.ok(&["--now", INIT, "init"]);
    issue(&cli, "2021-03-15T10:00:00+09:00", None, "old");
    let rolled = cli.json(&["--now", "2021-06-01", "ca", "rollover", "sign"]);
    assert_eq!(
        (&rolled["ca"], &rolled["generation"], &rolled["current"]),
        (&json!("sign"), &json!(2), &json!(true))
    );
    issue(&cli, "2021-07-01T10:00:00+09:00", None, "new");

    let list = cli.json(&["--now", "2021-07-01", "ca", "list"]);
    let list = list.as_array().unwrap();
    let shape: Vec<(String, u64, bool, bool)> = list
        .iter()
        .map(|g| {
            (
                g["ca"].as_str().unwrap().to_string(),
                g["generation"].as_u64().unwrap(),
                g["current"].as_bool().unwrap(),
                g["revoked"].as_bool().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        shape,
        [
            ("sign".into(), 1, false, false),
            ("sign".into(), 2, true, false),
            ("auth".into(), 1, true, false),
        ]
    );
    // Before the rollover's --at, generation 1 was the one issuing.
    let earlier = cli.json(&["--now", "2021-05-31", "ca", "list", "sign"]);
    assert_eq!(earlier[0]["current"], true, "{earlier}");
    // Validity: backdated 10 years from the instant of creation, 10 years after it.
    assert_eq!(list[1]["not_before"], "2011-05-31T15:00:00Z");
    assert_eq!(list[1]["not_after"], "2031-06-01T14:59:59Z");

    let one = ca_generation_pem(&cli, "sign", 1);
    let two = ca_generation_pem(&cli, "sign", 2);
    // The same DN, different keys (SKI), each self-signed.
    assert_eq!(x509(&one, &["-subject"]), x509(&two, &["-subject"]));
    let ski = |f: &str| x509(f, &["-ext", "subjectKeyIdentifier"]);
    assert_ne!(ski(&one), ski(&two));
    let listed_ski = list[1]["ski_hex"].as_str().unwrap();
    let colons: Vec<&str> = (0..listed_ski.len() / 2)
        .map(|i| &listed_ski[2 * i..2 * i + 2])
        .collect();
    assert!(ski(&two).contains(&colons.join(":")), "{}", ski(&two));
    // The current generation is the plain `ca sign`.
    assert_eq!(
        std::fs::read_to_string(&two).unwrap(),
        std::fs::read_to_string(cli.ca_pem("sign")).unwrap()
    );

    let (old, new) = (cli.path("old/sign.pem"), cli.path("new/sign.pem"));
    let (old, new) = (p(&old), p(&new));
    // Each certificate's issuer is found by its key among CAs of one name.
    let both = bundle(&cli, "both.pem", &[&one, &two]);
    for cert in [old, new] {
        let (ok, text) = verify("2021-07-02T00:00:00+09:00", &both, &[], "", cert);
        assert!(ok, "{cert}: {text}");
    }
    // A relying party that kept only the new generation cannot check the old
    // certificate, and the other way round.
    let (ok, text) = verify("2021-07-02T00:00:00+09:00", &two, &[], "", old);
    assert!(!ok, "{text}");
    let (ok, text) = verify("2021-07-02T00:00:00+09:00", &one, &[], "", new);
    assert!(!ok, "{text}");

    // Each certificate carries its generation's CRL URL: generation 1 keeps the URL it
    // had, generation 2 has its own.
    let points = |cert: &str| x509(cert, &["-ext", "crlDistributionPoints"]);
    assert!(points(old).contains("/crl/sign.crl"), "{}", points(old));
    assert!(points(new).contains("/crl/sign/2.crl"), "{}", points(new));

    // Each generation's CRL lists what it issued, signed by its own key.
    for card in ["1", "2"] {
        cli.ok(&[
            "--now",
            "2021-08-01",
            "revoke",
            "--card",
            card,
            "--cause",
            "lost",
        ]);
    }
    let now = "2021-08-02T00:00:00+09:00";
    let crl_one = list_pem(&cli, now, &["crl", "sign", "--generation", "1"], "one.crl");
    let crl_two = list_pem(&cli, now, &["crl", "sign", "--generation", "2"], "two.crl");
    let entries = |crl: &str| -> Vec<u32> {
        crl_entries(&support::from_pem(&std::fs::read_to_string(crl).unwrap()))
            .iter()
            .map(|e| e.0)
            .collect()
    };
    let serial = |cert: &str| serial_of_pem(&std::fs::read_to_string(cert).unwrap());
    assert_eq!(entries(&crl_one), [serial(old)]);
    assert_eq!(entries(&crl_two), [serial(new)]);
    let crl_verifies = |crl: &str, ca: &str| {
        let (_, text) = openssl(&["crl", "-in", crl, "-noout", "-CAfile", ca]);
        text.contains("verify OK")
    };
    assert!(crl_verifies(&crl_one, &one) && !crl_verifies(&crl_one, &two));
    assert!(crl_verifies(&crl_two, &two) && !crl_verifies(&crl_two, &one));
    let crls = bundle(&cli, "crls.pem", &[&crl_one, &crl_two]);
    for cert in [old, new] {
        let (ok, text) = verify(now, &both, &[&crls], "-crl_check", cert);
        assert!(
            !ok && text.contains("certificate revoked"),
            "{cert}: {text}"
        );
    }
}

#[test]
fn a_generation_issues_only_inside_its_validity_and_caps_what_it_issues() {
    let cli = Scratch::new();
    let config = init_with(&cli, INIT, "[ca]\nbackdate_years = 2\nvalidity_years = 3\n");
    // Born 1990-10-01: the certificates would run to 2025-10-01, past the CA's end.
    issue(&cli, "2021-03-15T10:00:00+09:00", None, "capped");
    let end = x509(p(&cli.path("capped/sign.pem")), &["-enddate"]);
    assert_eq!(end.trim(), "notAfter=Mar  1 14:59:59 2024 GMT");
    let ca_end = x509(&cli.ca_pem("sign"), &["-enddate"]);
    assert_eq!(end, ca_end);
    // Backdated: the clock may go two years into the past.
    issue(&cli, "2019-03-02T10:00:00+09:00", None, "past");
    let digest = cli.digest();
    for now in ["2019-02-28T10:00:00+09:00", "2024-03-02T10:00:00+09:00"] {
        let output = cli.run(&strs(&adult(now, "p256")));
        let error = String::from_utf8_lossy(&output.stderr);
        assert!(!output.status.success(), "{now}: issued");
        assert!(
            error.contains("valid from") && error.contains("ca rollover"),
            "{now}: {error}"
        );
    }
    assert_eq!(cli.digest(), digest, "a refused issuance changed the state");
    // A new generation issues again.
    cli.ok(&[
        "--config",
        &config,
        "--now",
        "2024-03-02",
        "ca",
        "rollover",
        "sign",
    ]);
    cli.ok(&[
        "--config",
        &config,
        "--now",
        "2024-03-02",
        "ca",
        "rollover",
        "auth",
    ]);
    issue(&cli, "2024-03-02T10:00:00+09:00", None, "after");
}

#[test]
fn a_revoked_generation_is_on_every_arl_of_its_ca_and_stops_issuing() {
    let cli = Scratch::new();
    cli.ok(&["--now", INIT, "init"]);
    issue(&cli, "2021-03-15T10:00:00+09:00", None, "card");
    cli.ok(&["--now", "2021-06-01", "ca", "rollover", "sign"]);
    let cert = cli.path("card/sign.pem");
    let cert = p(&cert);
    let one = ca_generation_pem(&cli, "sign", 1);
    let now = "2021-07-01T10:00:00+09:00";
    let crl = list_pem(&cli, now, &["crl", "sign", "--generation", "1"], "crl.pem");
    let arl = |name: &str, generation: &str| {
        list_pem(
            &cli,
            now,
            &["arl", "sign", "--generation", generation],
            name,
        )
    };
    // The CA certificate names its ARL; with every list, the chain checks out.
    let points = x509(&one, &["-ext", "crlDistributionPoints"]);
    assert!(points.contains("/arl/sign/1.crl"), "{points}");
    let before = arl("arl-before.pem", "1");
    let (ok, text) = verify(now, &one, &[&crl, &before], "-crl_check_all", cert);
    assert!(ok, "{text}");

    // Bad input changes nothing and says what is wrong.
    let digest = cli.digest();
    for (args, expected) in [
        (
            vec!["--generation", "9", "--reason", "cACompromise"],
            "no generation 9",
        ),
        (
            vec!["--generation", "1", "--reason", "oops"],
            "keyCompromise",
        ),
    ] {
        let all = [&["--now", now, "ca", "revoke", "sign"][..], &args].concat();
        let output = cli.run(&all);
        let error = String::from_utf8_lossy(&output.stderr);
        assert!(
            !output.status.success() && error.contains(expected),
            "{error}"
        );
    }
    assert_eq!(cli.digest(), digest);

    let revoked = cli.json(&[
        "--now",
        now,
        "ca",
        "revoke",
        "sign",
        "--generation",
        "1",
        "--reason",
        "cACompromise",
    ]);
    assert_eq!(revoked["revoked"], true);
    assert_eq!(revoked["revocation"]["reason"], "cACompromise");
    let ca_serial = serial_of_pem(&std::fs::read_to_string(&one).unwrap());
    for generation in ["1", "2"] {
        let arl = arl(&format!("arl-{generation}.pem"), generation);
        let der = support::from_pem(&std::fs::read_to_string(&arl).unwrap());
        assert_eq!(
            crl_entries(&der)[0].0,
            ca_serial,
            "ARL of generation {generation}"
        );
        assert_eq!(crl_entries(&der)[0].1, Some(2), "cACompromise");
    }
    let after = arl("arl-after.pem", "1");
    let (ok, text) = verify(now, &one, &[&crl, &after], "-crl_check_all", cert);
    assert!(!ok && text.contains("certificate revoked"), "{text}");

    // A revoked current generation refuses to issue until the next rollover.
    cli.ok(&[
        "--now",
        now,
        "ca",
        "revoke",
        "sign",
        "--generation",
        "2",
        "--reason",
        "keyCompromise",
    ]);
    let output = cli.run(&strs(&adult(now, "p256")));
    let error = String::from_utf8_lossy(&output.stderr);
    assert!(
        !output.status.success() && error.contains("is revoked"),
        "{error}"
    );
}

#[test]
fn ocsp_picks_the_generation_from_the_issuer_key_hash() {
    let cli = Scratch::new();
    // At the real now: openssl checks the response times against its own clock.
    let now = now_rfc3339();
    cli.ok(&["--now", &now, "init"]);
    issue(&cli, &now, None, "old");
    // A server already running follows a rollover made by another process. (Its
    // --base-url re-signs the CA certificates, so generation 1's is read after it.)
    let server = Binary::start(&cli.state(), &[]);
    let one = ca_generation_pem(&cli, "sign", 1);
    cli.ok(&["--now", &now, "ca", "rollover", "sign"]);
    issue(&cli, &now, None, "new");
    let two = ca_generation_pem(&cli, "sign", 2);
    let (old, new) = (cli.path("old/sign.pem"), cli.path("new/sign.pem"));
    let url = format!("{}/ocsp/sign", server.base);
    let ask = |issuer: &str, cert: &str| {
        openssl(&[
            "ocsp", "-issuer", issuer, "-cert", cert, "-url", &url, "-CAfile", issuer,
        ])
    };
    for (issuer, cert) in [(&one, p(&old)), (&two, p(&new))] {
        let (ok, text) = ask(issuer, cert);
        assert!(ok && text.contains("Response verify OK"), "{text}");
        assert!(text.contains(": good"), "{text}");
    }
    // The other generation's CertID (same name hash, other key hash): unknown, never
    // good.
    let hashes = IssuerHashes::of_pem(&std::fs::read_to_string(&two).unwrap());
    let old_serial = serial_of_pem(&std::fs::read_to_string(&old).unwrap());
    let request = support::ocsp_request(&[hashes.cert_id(false, old_serial, true)], None);
    let reply = server.client().ocsp_post("/ocsp/sign", &request);
    assert_eq!(statuses(&reply.body), ["unknown"]);
    // The CA certificates of every generation are served.
    for (generation, pem) in [(1, &one), (2, &two)] {
        let served = server.get(&format!("/ca/sign/{generation}.pem")).text();
        assert_eq!(served, std::fs::read_to_string(pem).unwrap());
    }
    assert_eq!(
        server.get("/ca/sign.pem").text(),
        std::fs::read_to_string(&two).unwrap()
    );
    assert_eq!(server.get("/ca/sign/3.cer").status, 404);
    let listed = server.client().api("GET", "/api/v1/ca", None).json();
    assert_eq!(listed.as_array().unwrap().len(), 3, "{listed}");
}

#[test]
fn the_municipality_layout_serves_one_crl_per_distribution_point() {
    let cli = Scratch::new();
    let now = now_rfc3339();
    // Recorded at init: the later commands and the server run without the config.
    init_with(
        &cli,
        &now,
        "[crl]\nlayout = \"municipality\"\n[profile]\ncrl_dp_uri = false\n",
    );
    issue(&cli, &now, None, "tokyo");
    issue(&cli, &now, Some("大阪府大阪市北区梅田1-1-3"), "osaka");
    let server = Binary::start(&cli.state(), &[]);
    let index = server.client().get("/crl/index.json").json();
    let url_of = |municipality: &str| -> String {
        index
            .as_array()
            .unwrap()
            .iter()
            .find(|e| {
                e["ca"] == "sign"
                    && e["distribution_point"]
                        .as_str()
                        .unwrap()
                        .starts_with(&format!("CN={municipality} CRLDP"))
            })
            .unwrap_or_else(|| panic!("{municipality} not in {index}"))["url"]
            .as_str()
            .unwrap()
            .to_string()
    };
    let tokyo_url = url_of("Shinagawa-ku");
    assert_eq!(
        tokyo_url,
        format!("{}/crl/sign/1/Tokyo-to/Shinagawa-ku.crl", server.base)
    );
    let fetch = |url: &str, name: &str| -> (Vec<u8>, String) {
        let path = url.strip_prefix(&server.base).unwrap();
        let reply = server.get(path);
        assert_eq!(reply.status, 200, "{url}: {}", reply.text());
        let pem = cli.write(name, to_pem("X509 CRL", &reply.body));
        (reply.body, pem)
    };
    let (tokyo, tokyo_pem) = fetch(&tokyo_url, "tokyo.crl");
    let (_, osaka_pem) = fetch(&url_of("Osaka-shi"), "osaka.crl");
    // Each partition's IDP names exactly its own point.
    let (ok, text) = openssl(&["crl", "-in", &tokyo_pem, "-noout", "-text"]);
    assert!(ok && text.contains("CN = Shinagawa-ku CRLDP"), "{text}");
    assert!(!text.contains("Osaka"), "{text}");
    assert_eq!(crl_number(&tokyo), 1);

    let ca = cli.ca_pem("sign");
    let cert = cli.path("tokyo/sign.pem");
    let cert = p(&cert);
    let (ok, text) = verify(&now, &ca, &[&tokyo_pem], "-crl_check", cert);
    assert!(ok, "{text}");
    let (ok, text) = verify(&now, &ca, &[&osaka_pem], "-crl_check", cert);
    assert!(!ok && text.contains("different CRL scope"), "{text}");

    cli.ok(&["--now", &now, "revoke", "--card", "1", "--cause", "stolen"]);
    let (tokyo, tokyo_pem) = fetch(&tokyo_url, "tokyo-2.crl");
    let (osaka, _) = fetch(&url_of("Osaka-shi"), "osaka-2.crl");
    let serial = serial_of_pem(&std::fs::read_to_string(cert).unwrap());
    assert_eq!(crl_entries(&tokyo)[0].0, serial);
    assert!(crl_entries(&osaka).is_empty());
    // Each partition numbers its own CRLs.
    assert_eq!((crl_number(&tokyo), crl_number(&osaka)), (2, 2));
    let (ok, text) = verify(&now, &ca, &[&tokyo_pem], "-crl_check", cert);
    assert!(!ok && text.contains("certificate revoked"), "{text}");

    // The CLI writes the same partition, named by romaji, code or Japanese name.
    for partition in ["Tokyo-to/Shinagawa-ku", "131091", "東京都品川区"] {
        let out = list_pem(
            &cli,
            &now,
            &["crl", "sign", "--partition", partition],
            "cli.crl",
        );
        let der = support::from_pem(&std::fs::read_to_string(out).unwrap());
        assert_eq!(crl_entries(&der)[0].0, serial, "{partition}");
    }
    let output = cli.run(&["crl", "sign", "--partition", "Tokyo-to/Atlantis-shi"]);
    let error = String::from_utf8_lossy(&output.stderr);
    assert!(
        !output.status.success() && error.contains("index.json"),
        "{error}"
    );
    assert_eq!(
        server.get("/crl/sign/1/Tokyo-to/Atlantis-shi.crl").status,
        404
    );
}

#[test]
fn a_revocation_is_visible_from_the_first_publication_boundary_after_it() {
    let cli = Scratch::new();
    let config = init_with(
        &cli,
        INIT,
        "[publication]\ncrl = \"daily 03:00\"\nocsp_refresh_minutes = 15\n",
    );
    let card = issue(&cli, "2026-04-01T09:00:00+09:00", None, "card");
    let serial = card["sign"]["serial"].as_u64().unwrap() as u32;
    let server = Binary::start(&cli.state(), &["--config", &config]);
    let client = server.client();
    let ca = std::fs::read_to_string(cli.ca_pem("sign")).unwrap();
    let request = support::ocsp_request(
        &[IssuerHashes::of_pem(&ca).cert_id(false, serial, true)],
        None,
    );
    let at = |now: &str| {
        client.set_clock(now);
        let ocsp = statuses(&client.ocsp_post("/ocsp/sign", &request).body)[0].clone();
        let crl = client.crl("sign");
        let listed = crl_entries(&crl).iter().any(|e| e.0 == serial);
        (ocsp, listed)
    };
    client.set_clock("2026-04-01T10:07:00+09:00");
    let revoked = client.event(1, json!({"cause": "stolen"}));
    assert_eq!(revoked["revoked"].as_array().unwrap().len(), 2, "{revoked}");
    // Recorded, but not yet published: OCSP says good and the CRL does not list it.
    assert_eq!(at("2026-04-01T10:14:59+09:00"), ("good".into(), false));
    // The OCSP data refreshes at 10:15; the CRL only at 03:00 the next day.
    let revoked_status = "revoked:KeyCompromise".to_string();
    assert_eq!(
        at("2026-04-01T10:15:00+09:00"),
        (revoked_status.clone(), false)
    );
    assert_eq!(
        at("2026-04-02T02:59:59+09:00"),
        (revoked_status.clone(), false)
    );
    assert_eq!(
        at("2026-04-02T03:00:00+09:00"),
        (revoked_status.clone(), true)
    );
    // Back before the boundary, the past is as it was.
    assert_eq!(at("2026-04-01T10:10:00+09:00"), ("good".into(), false));
    let publication = client.api("GET", "/api/v1/publication", None).json();
    assert_eq!(
        publication,
        json!({
            "crl": {"schedule": "daily 03:00", "last": "2026-03-31T18:00:00Z", "next": "2026-04-01T18:00:00Z"},
            "ocsp": {"schedule": "every 15 minutes", "last": "2026-04-01T01:00:00Z", "next": "2026-04-01T01:15:00Z"},
        })
    );
    // Publishing now makes everything recorded so far visible at once.
    let published = client.api("POST", "/api/v1/publish", None);
    assert_eq!(published.status, 200, "{}", published.text());
    assert_eq!(published.json()["crl"]["last"], "2026-04-01T01:10:00Z");
    let ocsp = statuses(&client.ocsp_post("/ocsp/sign", &request).body)[0].clone();
    let listed = crl_entries(&client.crl("sign"))
        .iter()
        .any(|e| e.0 == serial);
    assert_eq!((ocsp, listed), (revoked_status, true));
}

#[test]
fn test_ca_rolls_over_and_serves_each_generation_and_partition() {
    let config = jpki_mock::Config::from_toml(
        "[crl]\nlayout = \"municipality\"\n[profile]\nkey_alg = \"p256\"\n",
    )
    .unwrap();
    let server = support::InProcess::with(
        jpki_mock::TestCa::builder()
            .state_in_memory()
            .config(config),
    );
    let ca = server.ca();
    let first = server
        .block_on(ca.issue(support::holder_request("p256")))
        .unwrap();
    let rolled = server
        .block_on(ca.rollover(jpki_mock::CertKind::Sign))
        .unwrap();
    assert_eq!((rolled.generation, rolled.current), (2, true));
    let second = server
        .block_on(ca.issue(support::holder_request("p256")))
        .unwrap();
    let generations = server.block_on(ca.ca_generations()).unwrap();
    let sign: Vec<&jpki_mock::CaView> = generations
        .iter()
        .filter(|g| g.ca == jpki_mock::CertKind::Sign)
        .collect();
    assert_eq!(sign.len(), 2);
    // Each certificate chains to its own generation (openssl, with that CA alone).
    let s = Scratch::new();
    for (card, generation) in [(&first, sign[0]), (&second, sign[1])] {
        let ca_file = s.write("ca.pem", &generation.cert_pem);
        let cert = s.write("cert.pem", &card.sign.as_ref().unwrap().cert_pem);
        let (ok, text) = openssl(&["verify", "-CAfile", &ca_file, &cert]);
        assert!(ok, "generation {}: {text}", generation.generation);
    }
    assert_eq!(
        ca.ca_certificate_pem(jpki_mock::CertKind::Sign),
        sign[1].cert_pem
    );
    // The partition of generation 2 for Shinagawa, and an unknown one refused.
    let shinagawa = jpki_mock::Locality {
        prefecture: "Tokyo-to".into(),
        municipality: "Shinagawa-ku".into(),
    };
    let scope = |generation, municipality: &str| jpki_mock::CrlScope {
        kind: jpki_mock::CertKind::Sign,
        generation,
        partition: Some(jpki_mock::Locality {
            municipality: municipality.into(),
            ..shinagawa.clone()
        }),
    };
    let crl = server
        .block_on(ca.crl_of(scope(2, "Shinagawa-ku")))
        .unwrap();
    let (_, parsed) = x509_parser::parse_x509_crl(&crl).unwrap();
    assert!(parsed.iter_revoked_certificates().next().is_none());
    let crl_file = s.write("p.crl", to_pem("X509 CRL", &crl));
    let ca_file = s.write("ca.pem", &sign[1].cert_pem);
    let (_, text) = openssl(&["crl", "-in", &crl_file, "-CAfile", &ca_file, "-noout"]);
    assert!(text.contains("verify OK"), "{text}");
    let missing = server.block_on(ca.crl_of(scope(2, "Atlantis-shi")));
    assert!(missing.unwrap_err().to_string().contains("index.json"));
}

/// A CA certificate, CRL or ARL written to a terminal is PEM (DER would garble it); the
/// same command into a pipe writes DER, as before (each CRL written is a new one, with
/// the next number, so only the certificate is compared byte for byte).
#[test]
fn der_objects_are_pem_on_a_terminal_and_der_in_a_pipe() {
    let cli = Scratch::new();
    cli.ok(&["--now", INIT, "init"]);
    for (args, label) in [
        (&["ca", "sign"][..], "CERTIFICATE"),
        (&["crl", "auth"][..], "X509 CRL"),
        (&["arl", "sign"][..], "X509 CRL"),
    ] {
        let (ok, shown) = cli.on_terminal(args);
        assert!(ok, "{args:?}: {shown}");
        assert!(
            shown.starts_with(&format!("-----BEGIN {label}-----\n")),
            "{args:?} on a terminal: {shown}"
        );
        let piped = cli.run(args);
        assert!(piped.status.success());
        assert_eq!(piped.stdout[0], 0x30, "{args:?} into a pipe is DER");
        if label == "CERTIFICATE" {
            assert_eq!(
                to_pem(label, &piped.stdout).trim_end(),
                shown.trim_end(),
                "{args:?}: the same certificate"
            );
        }
    }
}
