//! Phone certificates (スマホ用電子証明書), their causes and the temporary suspension,
//! and a new signing certificate on the same card (new facts, use abroad), seen as a
//! relying party sees them: `openssl ocsp` and `openssl crl`.

mod support;

use std::collections::BTreeMap;

use serde_json::{json, Value};
use support::{
    adult, holder, openssl, openssl_crl_entries, openssl_ocsp, state_digest, strs, Client,
    InProcess, Scratch,
};

/// The mock's clock in these tests.
const NOW: &str = "2026-04-01T10:00:00+09:00";

/// Issues a phone set through the admin API; returns the 201 body.
fn phone(c: &Client, card: i64, body: Value) -> Value {
    let reply = c.api("POST", &format!("/api/v1/cards/{card}/phones"), Some(body));
    assert_eq!(reply.status, 201, "{}", reply.text());
    reply.json()
}

fn serial_hex(issued: &Value, kind: &str) -> String {
    format!("{:08X}", issued[kind]["serial"].as_u64().unwrap())
}

fn pem(issued: &Value, kind: &str) -> String {
    issued[kind]["cert_pem"].as_str().unwrap().to_string()
}

/// A CA's CRL entries as `openssl crl -text` reads them: serial (hex) → reason.
fn crl(s: &Scratch, c: &Client, kind: &str) -> BTreeMap<String, String> {
    let file = s.write(&format!("{kind}.crl"), c.crl(kind));
    let (ok, text) = openssl(&["crl", "-inform", "DER", "-in", &file, "-noout", "-text"]);
    assert!(ok, "{text}");
    openssl_crl_entries(&text)
}

/// The status and reason `openssl ocsp` prints for a certificate, checked at the mock's
/// now.
fn ocsp(s: &Scratch, c: &Client, kind: &str, pem: &str) -> String {
    let clock = c.get("/api/v1/clock").json();
    let text = openssl_ocsp(s, c, kind, pem, clock["now"].as_str().unwrap());
    let status = text
        .lines()
        .find_map(|l| l.split_once("asked.pem: "))
        .unwrap_or_else(|| panic!("no status line: {text}"))
        .1
        .to_string();
    match text.lines().find_map(|l| l.trim().strip_prefix("Reason: ")) {
        Some(reason) => format!("{status} {reason}"),
        None => status,
    }
}

#[test]
fn a_suspended_phone_is_held_and_on_resume_its_auth_is_good_again_and_its_signing_certificate_new()
{
    let s = Scratch::new();
    let server = InProcess::start(&s.state(), None, None);
    let c = server.client();
    c.set_clock(NOW);
    let card = c.issue(holder("p256"));
    let android = phone(
        &c,
        1,
        json!({"platform": "android", "device_id": "pixel-8"}),
    );
    assert_eq!(android["platform"], "android");
    assert_eq!(android["device_id"], "pixel-8");
    assert_eq!(android["card_id"], 1);
    // The phone's certificates are the card's holder's, from the card's CAs.
    for kind in ["sign", "auth"] {
        assert_eq!(ocsp(&s, &c, kind, &pem(&android, kind)), "good");
    }

    let held = c.api("POST", "/api/v1/cards/1/phones/android/suspend", None);
    assert_eq!(held.status, 200, "{}", held.text());
    assert_eq!(held.json()["cause"], "phone_lost");
    for kind in ["sign", "auth"] {
        assert_eq!(
            ocsp(&s, &c, kind, &pem(&android, kind)),
            "revoked certificateHold",
            "{kind}"
        );
        assert_eq!(
            crl(&s, &c, kind)
                .get(&serial_hex(&android, kind))
                .map(String::as_str),
            Some("Certificate Hold"),
            "{kind}"
        );
        // The card's own certificates are untouched.
        assert_eq!(ocsp(&s, &c, kind, &pem(&card, kind)), "good");
    }

    let resumed = c.api("POST", "/api/v1/cards/1/phones/android/resume", None);
    assert_eq!(resumed.status, 200, "{}", resumed.text());
    let resumed = resumed.json();
    assert_eq!(resumed["lifted"], json!([android["auth"]["serial"]]));
    assert!(resumed.get("auth").is_none(), "{resumed}");
    assert_eq!(resumed["device_id"], "pixel-8");
    // The auth hold is lifted: OCSP says good, the entry left the CRL (removeFromCRL).
    assert_eq!(ocsp(&s, &c, "auth", &pem(&android, "auth")), "good");
    assert!(!crl(&s, &c, "auth").contains_key(&serial_hex(&android, "auth")));
    // The held signing certificate stays revoked; the re-issued one is good.
    assert_eq!(
        ocsp(&s, &c, "sign", &pem(&android, "sign")),
        "revoked certificateHold"
    );
    assert_eq!(ocsp(&s, &c, "sign", &pem(&resumed, "sign")), "good");
    let sign_crl = crl(&s, &c, "sign");
    assert!(sign_crl.contains_key(&serial_hex(&android, "sign")));
    assert!(!sign_crl.contains_key(&serial_hex(&resumed, "sign")));
    // The new signing certificate follows the held one; its pair is the phone's auth.
    let links = c
        .get(&format!(
            "/api/v1/certs/{}/links",
            android["sign"]["serial"]
        ))
        .json();
    assert_eq!(
        links["successors"],
        json!([{"serial": resumed["sign"]["serial"], "event": "phone_lost"}])
    );
    let new_links = c
        .get(&format!(
            "/api/v1/certs/{}/links",
            resumed["sign"]["serial"]
        ))
        .json();
    assert_eq!(new_links["pair"], android["auth"]["serial"]);
    // Expiry notices are the card's: its two certificates, not the phone's.
    let expiry = card["sign"]["expiry"].as_str().unwrap();
    assert_eq!(android["sign"]["expiry"], expiry);
    let on = c.card(1)["certificates"][0]["renewal_window"][0]
        .as_str()
        .unwrap()
        .to_string();
    let day_before = time::Date::parse(
        &on,
        &time::macros::format_description!("[year]-[month]-[day]"),
    )
    .unwrap()
    .previous_day()
    .unwrap();
    let notices = c.get(&format!("/api/v1/notices?on={day_before}")).json();
    let serials: Vec<&Value> = notices["notices"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| &n["serial"])
        .collect();
    assert_eq!(serials, [&card["sign"]["serial"], &card["auth"]["serial"]]);
    // Resuming twice is refused: the phone is no longer suspended.
    let again = c.api("POST", "/api/v1/cards/1/phones/android/resume", None);
    assert_eq!(again.status, 409, "{}", again.text());
    assert!(again.json()["message"]
        .as_str()
        .unwrap()
        .contains("not suspended"));
    // The card view shows which certificates are the phone's.
    let view = c.card(1);
    let lifted = view["certificates"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["serial"] == android["auth"]["serial"])
        .unwrap();
    assert_eq!(lifted["platform"], "android");
    assert_eq!(lifted["status"], "good");
    assert!(lifted["hold_lifted_at"].is_string(), "{lifted}");
}

/// A card (id 1) and a phone on each platform, issued at NOW.
struct Holder {
    s: Scratch,
    server: InProcess,
    card: Value,
    android: Value,
    ios: Value,
}

fn holder_with_two_phones() -> Holder {
    let s = Scratch::new();
    let server = InProcess::start(&s.state(), None, None);
    let c = server.client();
    c.set_clock(NOW);
    let card = c.issue(holder("p256"));
    let android = phone(&c, 1, json!({"platform": "android"}));
    let ios = phone(&c, 1, json!({"platform": "ios"}));
    Holder {
        s,
        server,
        card,
        android,
        ios,
    }
}

#[test]
fn each_cause_reaches_the_card_or_the_phones_as_the_rules_say() {
    let Holder {
        s,
        server,
        card,
        android,
        ios,
    } = holder_with_two_phones();
    let c = server.client();
    assert!(android["device_id"]
        .as_str()
        .unwrap()
        .starts_with("android-"));

    // A lost card leaves the phones alone.
    c.event(1, json!({"cause": "lost"}));
    for kind in ["sign", "auth"] {
        assert_eq!(
            ocsp(&s, &c, kind, &pem(&card, kind)),
            "revoked certificateHold"
        );
        assert_eq!(ocsp(&s, &c, kind, &pem(&android, kind)), "good");
        assert_eq!(ocsp(&s, &c, kind, &pem(&ios, kind)), "good");
    }
    // A stolen phone: both its certificates, keyCompromise; the other phone is good.
    let stolen = c.event(1, json!({"cause": "phone_stolen", "platform": "ios"}));
    assert_eq!(stolen["revoked"].as_array().unwrap().len(), 2, "{stolen}");
    for kind in ["sign", "auth"] {
        assert_eq!(
            ocsp(&s, &c, kind, &pem(&ios, kind)),
            "revoked keyCompromise"
        );
        assert_eq!(ocsp(&s, &c, kind, &pem(&android, kind)), "good");
    }
}

#[test]
fn a_change_of_address_revokes_every_signing_certificate_and_a_new_phone_replaces_the_old() {
    let Holder {
        s,
        server,
        card,
        android,
        ios,
    } = holder_with_two_phones();
    let c = server.client();
    let report = c.event(1, json!({"cause": "address_change"}));
    let revoked: Vec<u64> = report["revoked"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["serial"].as_u64().unwrap())
        .collect();
    assert_eq!(revoked.len(), 3, "{report}");
    for issued in [&card, &android, &ios] {
        assert_eq!(
            ocsp(&s, &c, "sign", &pem(issued, "sign")),
            "revoked affiliationChanged"
        );
        assert_eq!(ocsp(&s, &c, "auth", &pem(issued, "auth")), "good");
    }
    // A phone needs the card's signing certificate: refused until a new one is issued.
    let refused = c.api(
        "POST",
        "/api/v1/cards/1/phones",
        Some(json!({"platform": "android"})),
    );
    assert_eq!(refused.status, 409, "{}", refused.text());
    let new_sign = c.api(
        "POST",
        "/api/v1/cards/1/certs/sign",
        Some(json!({"address": "大阪府大阪市北区中之島1-3-20"})),
    );
    assert_eq!(new_sign.status, 201, "{}", new_sign.text());
    // A new android phone replaces the old one: its still-good auth certificate is
    // revoked (device_change, cessationOfOperation) in the same call.
    let second = phone(&c, 1, json!({"platform": "android", "device_id": "new"}));
    assert_eq!(
        second["revoked"],
        json!([{"serial": android["auth"]["serial"], "kind": "auth",
                "reason": "cessationOfOperation", "revoked_at": "2026-04-01T01:00:00Z"}])
    );
    assert_eq!(
        ocsp(&s, &c, "auth", &pem(&android, "auth")),
        "revoked cessationOfOperation"
    );
    assert_eq!(ocsp(&s, &c, "auth", &pem(&second, "auth")), "good");
    let links = c
        .get(&format!(
            "/api/v1/certs/{}/links",
            android["auth"]["serial"]
        ))
        .json();
    assert_eq!(
        links["successors"],
        json!([{"serial": second["auth"]["serial"], "event": "device_change"}])
    );
    // A phone handed on: device_disposed.
    let disposed = c.event(
        1,
        json!({"cause": "device_disposed", "platform": "android"}),
    );
    assert_eq!(
        disposed["revoked"].as_array().unwrap().len(),
        2,
        "{disposed}"
    );
    assert_eq!(
        ocsp(&s, &c, "sign", &pem(&second, "sign")),
        "revoked cessationOfOperation"
    );
}

#[test]
fn a_new_signing_certificate_after_emigration_carries_the_address_abroad() {
    let s = Scratch::new();
    let server = InProcess::start(&s.state(), None, None);
    let c = server.client();
    c.set_clock(NOW);
    let mut consenting = holder("p256");
    consenting["latest_facts_consent"] = json!(true);
    let card = c.issue(consenting);
    // Still good: refused.
    let early = c.api("POST", "/api/v1/cards/1/certs/sign", None);
    assert_eq!(early.status, 409, "{}", early.text());
    c.set_clock("2026-06-10T10:00:00+09:00");
    c.event(1, json!({"cause": "emigration", "at": "2026-06-01"}));
    // An address abroad is free text; the table cannot place it, so it needs a locality.
    let abroad = "アメリカ合衆国カリフォルニア州ロサンゼルス市";
    let unplaced = c.api(
        "POST",
        "/api/v1/cards/1/certs/sign",
        Some(json!({"address": abroad})),
    );
    assert_eq!(unplaced.status, 400, "{}", unplaced.text());
    assert!(unplaced.json()["message"]
        .as_str()
        .unwrap()
        .starts_with("address: "));
    let issued = c.api(
        "POST",
        "/api/v1/cards/1/certs/sign",
        Some(json!({"address": abroad, "locality": "Tokyo-to/Chiyoda-ku"})),
    );
    assert_eq!(issued.status, 201, "{}", issued.text());
    let issued = issued.json();
    assert!(issued.get("auth").is_none(), "{issued}");
    assert_eq!(ocsp(&s, &c, "sign", &pem(&issued, "sign")), "good");
    assert_eq!(
        ocsp(&s, &c, "sign", &pem(&card, "sign")),
        "revoked affiliationChanged"
    );
    // The certificate carries the address (openssl's reading of the SAN otherName), and
    // so do the latest facts and the card.
    let file = s.write("abroad.pem", pem(&issued, "sign"));
    let text = openssl(&["x509", "-in", &file, "-noout", "-text", "-nameopt", "utf8"]).1;
    let address = text
        .split("1.2.392.200149.8.5.5.5::")
        .nth(1)
        .expect("the address otherName")
        .split(", othername")
        .next()
        .unwrap()
        .trim()
        .to_string();
    assert!(address.starts_with("アメリカ合衆国"), "{address}");
    let serial = card["sign"]["serial"].as_u64().unwrap();
    let facts = c
        .get(&format!("/api/v1/certs/{serial}/latest-facts"))
        .json();
    assert_eq!(facts["address"], address.as_str());
    assert_eq!(c.card(1)["address"], abroad);
    let links = c.get(&format!("/api/v1/certs/{serial}/links")).json();
    assert_eq!(
        links,
        json!({"serial": serial, "pair": card["auth"]["serial"], "predecessor": null,
               "successors": [{"serial": issued["sign"]["serial"], "event": "emigration"}],
               "current": issued["sign"]["serial"]})
    );
}

#[test]
fn bad_phone_requests_get_a_clear_error_and_change_nothing() {
    let s = Scratch::new();
    let server = InProcess::start(&s.state(), None, None);
    let c = server.client();
    c.set_clock(NOW);
    c.issue(holder("p256"));
    phone(&c, 1, json!({"platform": "ios"}));
    let before = state_digest(&s.state());
    let cases: [(&str, &str, Value, u16, &str); 10] = [
        (
            "POST",
            "/api/v1/cards/1/phones",
            json!({"platform": "windows"}),
            400,
            "platform: unknown platform \"windows\"",
        ),
        (
            "POST",
            "/api/v1/cards/1/phones",
            json!({"platform": "ios", "device_id": "a b"}),
            400,
            "device_id: ",
        ),
        (
            "POST",
            "/api/v1/cards/1/phones",
            json!({"platform": "ios", "x": 1}),
            400,
            "unknown field",
        ),
        (
            "POST",
            "/api/v1/cards/9/phones",
            json!({"platform": "ios"}),
            404,
            "no card 9",
        ),
        (
            "POST",
            "/api/v1/cards/1/events",
            json!({"cause": "phone_lost"}),
            400,
            "platform: phone_lost is about a phone",
        ),
        (
            "POST",
            "/api/v1/cards/1/events",
            json!({"cause": "lost", "platform": "ios"}),
            400,
            "platform: only the phone causes",
        ),
        (
            "POST",
            "/api/v1/cards/1/events",
            json!({"cause": "phone_stolen", "platform": "android"}),
            409,
            "no android phone certificates",
        ),
        (
            "POST",
            "/api/v1/cards/1/phones/ios/resume",
            json!({}),
            409,
            "not suspended",
        ),
        (
            "POST",
            "/api/v1/cards/1/phones/nokia/suspend",
            json!({}),
            400,
            "unknown platform \"nokia\"",
        ),
        (
            "POST",
            "/api/v1/cards/1/certs/sign",
            json!({"locality": "Tokyo-to/Chiyoda-ku"}),
            400,
            "locality: give it with the new address",
        ),
    ];
    for (method, path, body, status, says) in cases {
        let reply = c.api(method, path, Some(body.clone()));
        assert_eq!(reply.status, status, "{path} {body}: {}", reply.text());
        let message = reply.json()["message"].as_str().unwrap().to_string();
        assert!(message.contains(says), "{path} {body}: {message}");
    }
    assert_eq!(state_digest(&s.state()), before);
}

#[test]
fn the_cli_issues_suspends_and_resumes_a_phone_and_the_policy_oids_are_settings() {
    let s = Scratch::new();
    let config = s.write(
        "config.toml",
        "[phones]\nsign_policy_oid = \"1.2.392.200149.8.5.1.1.99\"\nvalidity = \"own\"\n",
    );
    let cli = |args: &[&str]| {
        let mut all = vec!["--config", config.as_str(), "--now", "2026-04-01"];
        all.extend_from_slice(args);
        s.json(&all)
    };
    s.ok(&["--config", &config, "init"]);
    let mut issue = vec!["--config".to_string(), config.clone()];
    issue.extend(adult("2026-04-01", "p256"));
    issue.extend(["--card-expiry".into(), "2035-10-01".into()]);
    let card = s.json(&strs(&issue));
    let issued = cli(&["phone", "issue", "--card", "1", "--platform", "ios"]);
    assert_eq!(issued["platform"], "ios");
    // "own": the card's rules from the phone's issue date (the 5th birthday), not the
    // card certificates' end.
    assert_eq!(card["sign"]["expiry"], "2030-10-01");
    assert_eq!(issued["sign"]["expiry"], "2030-10-01");
    let policy = |pem: &str| {
        let file = s.write("phone.pem", pem);
        openssl(&[
            "x509",
            "-in",
            &file,
            "-noout",
            "-ext",
            "certificatePolicies",
        ])
        .1
    };
    assert!(policy(&pem(&issued, "sign")).contains("1.2.392.200149.8.5.1.1.99"));
    assert!(policy(&pem(&card, "sign")).contains("1.2.392.200149.8.5.1.1.20"));
    // The auth policy was left "": the card's.
    assert!(policy(&pem(&issued, "auth")).contains("1.2.392.200149.8.5.1.3.30"));
    let held = cli(&["phone", "suspend", "--card", "1", "--platform", "ios"]);
    assert_eq!(held["revoked"].as_array().unwrap().len(), 2, "{held}");
    let resumed = cli(&["phone", "resume", "--card", "1", "--platform", "ios"]);
    assert_eq!(resumed["lifted"], json!([issued["auth"]["serial"]]));
    let bad = s.run(&["phone", "issue", "--card", "1", "--platform", "symbian"]);
    assert_eq!(bad.status.code(), Some(2));
}

#[test]
fn with_an_ocsp_schedule_a_lifted_hold_shows_at_the_next_boundary_like_a_hold() {
    let config =
        jpki_mock::Config::from_toml("[publication]\nocsp_refresh_minutes = 15\n").unwrap();
    let s = Scratch::new();
    let server = InProcess::with(
        jpki_mock::TestCa::builder()
            .state_dir(s.state())
            .config(config),
    );
    let c = server.client();
    let ca = server.ca();
    c.set_clock("2026-04-01T10:01:00+09:00");
    let card = jpki_mock::CardId(c.issue(holder("p256"))["card_id"].as_i64().unwrap());
    let issued = server
        .block_on(ca.issue_phone(
            card,
            jpki_mock::RawPhoneRequest {
                platform: "android".into(),
                device_id: None,
            },
        ))
        .unwrap();
    let auth = issued.auth.unwrap().cert_pem;
    let android = jpki_mock::Platform::Android;
    let at = |now: &str| {
        c.set_clock(now);
        ocsp(&s, &c, "auth", &auth)
    };
    c.set_clock("2026-04-01T10:16:00+09:00");
    server.block_on(ca.suspend_phone(card, android)).unwrap();
    // Published at 10:30 JST, the next 15-minute boundary.
    assert_eq!(at("2026-04-01T10:29:00+09:00"), "good");
    assert_eq!(at("2026-04-01T10:31:00+09:00"), "revoked certificateHold");
    let resumed = server.block_on(ca.resume_phone(card, android)).unwrap();
    assert_eq!(resumed.lifted.len(), 1);
    // The lifted hold too waits for the boundary (10:45).
    assert_eq!(at("2026-04-01T10:44:00+09:00"), "revoked certificateHold");
    assert_eq!(at("2026-04-01T10:46:00+09:00"), "good");
    let links = server
        .block_on(ca.links(jpki_mock::Serial(issued.sign.unwrap().serial)))
        .unwrap();
    assert_eq!(links.current, resumed.sign.unwrap().serial);
}
