//! Tenants: isolated mocks under `/t/{tenant}` on one server (`POST /api/v1/tenants`,
//! `jpki-mock tenant`, `TestCa::tenant`), checked over TCP with openssl as the relying
//! party.

mod support;

use serde_json::{json, Value};
use support::*;

/// Creates a tenant through the server's admin API; returns the 201 body.
fn create(c: &Client, body: Value) -> Value {
    let reply = c.api("POST", "/api/v1/tenants", Some(body));
    assert_eq!(reply.status, 201, "{}", reply.text());
    reply.json()
}

fn listed(c: &Client) -> Vec<String> {
    let reply = c.get("/api/v1/tenants");
    assert_eq!(reply.status, 200, "{}", reply.text());
    reply.json()["tenants"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["tenant"].as_str().unwrap().to_string())
        .collect()
}

/// A card issued in one tenant, with its files for openssl.
struct TenantCard {
    client: Client,
    ca: String,
    sign: String,
}

impl TenantCard {
    fn issue(s: &Scratch, tenant: &Value) -> Self {
        let name = tenant["tenant"].as_str().unwrap();
        let client = Client::tcp(tenant["base_url"].as_str().unwrap());
        let issued = client.issue(holder("p256"));
        let ca = client.get("/ca/sign.pem");
        assert_eq!(ca.status, 200, "{}", ca.text());
        Self {
            ca: s.write(&format!("{name}-ca.pem"), ca.body),
            sign: s.write(
                &format!("{name}-sign.pem"),
                issued["sign"]["cert_pem"].as_str().unwrap(),
            ),
            client,
        }
    }

    /// `openssl ocsp` for this tenant's signing certificate, at the URL it carries
    /// (or `url`), trusting `ca`.
    fn ocsp(&self, ca: &str, cert: &str, url: Option<&str>) -> String {
        let carried = openssl(&["x509", "-in", cert, "-noout", "-ocsp_uri"]).1;
        let url = url.unwrap_or(carried.trim());
        let args = [
            "ocsp",
            "-issuer",
            ca,
            "-cert",
            cert,
            "-url",
            url,
            "-CAfile",
            ca,
            "-resp_text",
        ];
        openssl(&args).1
    }
}

#[test]
fn two_tenants_have_their_own_cas_clocks_faults_and_revocations() {
    let s = Scratch::new();
    let server = Binary::start(&s.state(), &[]);
    let c = server.client();
    let a = create(&c, json!({"name": "pipeline-a"}));
    let b = create(&c, json!({"name": "pipeline-b"}));
    assert_eq!(a["base_url"], format!("{}/t/pipeline-a", server.base));
    assert_eq!(listed(&c), ["pipeline-a", "pipeline-b"]);
    let (ta, tb) = (TenantCard::issue(&s, &a), TenantCard::issue(&s, &b));

    // Each tenant has CAs of its own (the same DN, another key), and its certificates
    // carry its own URLs.
    let ca_a = openssl(&["x509", "-in", &ta.ca, "-noout", "-pubkey", "-subject"]).1;
    let ca_b = openssl(&["x509", "-in", &tb.ca, "-noout", "-pubkey", "-subject"]).1;
    assert_ne!(ca_a, ca_b);
    assert_eq!(ca_a.lines().last(), ca_b.lines().last(), "the same subject");
    let text = openssl(&["x509", "-in", &ta.sign, "-noout", "-text"]).1;
    assert!(
        text.contains(&format!("{}/t/pipeline-a/ocsp/sign", server.base))
            && text.contains(&format!("{}/t/pipeline-a/crl/", server.base)),
        "{text}"
    );
    // Both issued serial 1 of their own counter: the same serial, two certificates.
    assert_eq!(
        serial_of_pem(&std::fs::read_to_string(&ta.sign).unwrap()),
        serial_of_pem(&std::fs::read_to_string(&tb.sign).unwrap())
    );

    // A revocation in one never shows in the other.
    ta.client.event(1, json!({"cause": "lost"}));
    assert!(ta.ocsp(&ta.ca, &ta.sign, None).contains(": revoked"));
    let answer_b = tb.ocsp(&tb.ca, &tb.sign, None);
    assert!(answer_b.contains(": good"), "{answer_b}");
    let serial = serial_of_pem(&std::fs::read_to_string(&ta.sign).unwrap());
    let listed_serials = |t: &TenantCard| -> Vec<u32> {
        crl_entries(&t.client.crl("sign"))
            .iter()
            .map(|e| e.0)
            .collect()
    };
    assert_eq!(listed_serials(&ta), [serial]);
    assert_eq!(listed_serials(&tb), Vec::<u32>::new());
    // B's responder does not answer for A's CA, and the default tenant has no card.
    let b_url = format!("{}/ocsp/sign", b["base_url"].as_str().unwrap());
    let foreign = ta.ocsp(&ta.ca, &ta.sign, Some(&b_url));
    assert!(foreign.contains("unauthorized"), "{foreign}");
    assert_eq!(c.get("/api/v1/cards/1").status, 404);

    // Clocks and faults: at the same moment A answers from 2030 and with tryLater,
    // B from today and good.
    let a_api = &ta.client;
    a_api.set_clock("2030-06-01T00:00:00+09:00");
    let answer_a = ta.ocsp(&ta.ca, &ta.sign, None);
    assert!(
        answer_a.contains("This Update: May 31 15:00:00 2030 GMT"),
        "{answer_a}"
    );
    let answer_b = tb.ocsp(&tb.ca, &tb.sign, None);
    let year = today_jst().year().to_string();
    assert!(
        answer_b.contains(&format!("{year} GMT")) && !answer_b.contains("2030"),
        "{answer_b}"
    );
    let fault = a_api.api(
        "PUT",
        "/api/v1/faults",
        Some(json!([{"fault": "ocsp_status", "status": "tryLater", "count": 1}])),
    );
    assert_eq!(fault.status, 200, "{}", fault.text());
    assert_eq!(tb.client.get("/api/v1/faults").json()["faults"], json!([]));
    let answer_b = tb.ocsp(&tb.ca, &tb.sign, None);
    assert!(answer_b.contains(": good"), "{answer_b}");
    let answer_a = ta.ocsp(&ta.ca, &ta.sign, None);
    assert!(answer_a.contains("trylater"), "{answer_a}");
    // The fault was consumed in A, and each request log holds its own tenant's asks.
    assert_eq!(a_api.get("/api/v1/faults").json()["faults"], json!([]));
    let ocsp_statuses = |t: &TenantCard| -> Vec<String> {
        let log = t.client.get("/api/v1/requests").json();
        log["requests"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|r| r["ocsp_status"].as_str().map(str::to_string))
            .collect()
    };
    let (log_a, log_b) = (ocsp_statuses(&ta), ocsp_statuses(&tb));
    assert_eq!(
        log_a.iter().filter(|s| *s == "tryLater").count(),
        1,
        "{log_a:?}"
    );
    // B's log has its own asks, A's certificate asked of B among them, and no tryLater.
    assert!(log_b.iter().any(|s| s == "unauthorized"), "{log_b:?}");
    assert!(!log_b.iter().any(|s| s == "tryLater"), "{log_b:?}");
    assert_eq!(
        c.get("/api/v1/requests").json()["requests"],
        json!([]),
        "the default tenant saw none"
    );
}

#[test]
fn deleting_a_tenant_removes_its_state_and_every_route() {
    let s = Scratch::new();
    let server = Binary::start(&s.state(), &[]);
    let c = server.client();
    let tenant = create(&c, json!({"name": "short"}));
    let card = TenantCard::issue(&s, &tenant);
    let dir = s.state().join("tenants/short");
    assert!(dir.join("tenant.json").exists());

    let reply = c.api("DELETE", "/api/v1/tenants/short", None);
    assert_eq!(reply.status, 204, "{}", reply.text());
    assert!(!dir.exists(), "its state is gone");
    assert!(listed(&c).is_empty());
    for path in [
        "/t/short/ca/sign.cer",
        "/t/short/crl/sign.crl",
        "/t/short/api/v1/cards/1",
    ] {
        let reply = c.get(path);
        assert_eq!(reply.status, 404, "{path}: {}", reply.text());
        assert!(
            reply.text().contains("no tenant named short"),
            "{}",
            reply.text()
        );
    }
    let ocsp = c.ocsp_post("/t/short/ocsp", b"\x30\x00");
    assert_eq!(ocsp.status, 404);
    let answer = card.ocsp(&card.ca, &card.sign, None);
    assert!(answer.contains("404"), "{answer}");
    // The API's reply is JSON, and a second delete finds nothing.
    let again = c.api("DELETE", "/api/v1/tenants/short", None);
    assert_eq!(again.status, 404);
    assert_eq!(again.json()["error"], "not_found");
    let cli = run(&s.state(), &["--tenant", "short", "list"]);
    assert_eq!(cli.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&cli.stderr).contains("no tenant named short"));
}

#[test]
fn a_time_to_live_runs_on_real_time_whatever_the_virtual_clocks_say() {
    let s = Scratch::new();
    let server = Binary::start(&s.state(), &[]);
    let c = server.client();
    let brief = create(&c, json!({"name": "brief", "ttl_seconds": 2}));
    let lasting = create(&c, json!({"name": "lasting", "ttl_seconds": 3600}));
    // Every virtual clock far ahead: none of them may expire a tenant.
    c.set_clock("2090-01-01T00:00:00+09:00");
    Client::tcp(lasting["base_url"].as_str().unwrap()).set_clock("2090-01-01T00:00:00+09:00");
    let view = c.get("/api/v1/tenants").json();
    let lasting_view = &view["tenants"][1];
    let created = instant(lasting_view["created_at"].as_str().unwrap());
    let expires = instant(lasting_view["expires_at"].as_str().unwrap());
    assert_eq!((expires - created).whole_seconds(), 3600);
    assert!(
        (created - now_seconds()).whole_seconds().abs() < 60,
        "real time"
    );

    let brief_url = format!("{}/api/v1/clock", brief["base_url"].as_str().unwrap());
    let brief_path = brief_url.trim_start_matches(&server.base).to_string();
    assert_eq!(c.get(&brief_path).status, 200);
    let gone = (0..100).any(|_| {
        std::thread::sleep(std::time::Duration::from_millis(100));
        c.get(&brief_path).status == 404
    });
    assert!(gone, "the two-second tenant outlived ten seconds");
    assert_eq!(listed(&c), ["lasting"]);
    assert!(!s.state().join("tenants/brief").exists());
}

#[test]
fn bad_tenant_input_is_refused_clearly_and_changes_nothing() {
    let s = Scratch::new();
    let config = s.write("one-tenant.toml", "[server]\nmax_tenants = 1\n");
    let server = Binary::start(&s.state(), &["--config", &config]);
    let c = server.client();
    create(&c, json!({"name": "only"}));
    let before = files_under(&s.state().join("tenants"), |_| true);

    let refused = |body: Value, status: u16, message: &str| {
        let reply = c.api("POST", "/api/v1/tenants", Some(body.clone()));
        assert_eq!(reply.status, status, "{body}: {}", reply.text());
        let text = reply.json()["message"].as_str().unwrap().to_string();
        assert!(text.contains(message), "{body}: {text}");
    };
    refused(
        json!({"name": "Upper"}),
        400,
        "1 to 63 characters of a-z, 0-9 and -",
    );
    refused(json!({"name": "a/b"}), 400, "1 to 63 characters");
    refused(json!({"name": "x".repeat(64)}), 400, "1 to 63 characters");
    refused(
        json!({"ttl_seconds": 0}),
        400,
        "ttl_seconds: 0 is outside 1 to",
    );
    refused(json!({"preset": "nope"}), 400, "unknown preset");
    refused(json!({"colour": "red"}), 400, "colour");
    refused(json!({"name": "only"}), 409, "a tenant named only exists");
    refused(
        json!({"name": "second"}),
        409,
        "cap of 1 tenants (server.max_tenants)",
    );
    assert_eq!(listed(&c), ["only"]);
    assert_eq!(files_under(&s.state().join("tenants"), |_| true), before);

    // A name outside the alphabet in a path is 400, an unknown one 404, on every route.
    for (path, status) in [
        ("/t/Only/ca/sign.cer", 400),
        ("/t/Only/api/v1/clock", 400),
        ("/t/nobody/ca/sign.cer", 404),
        ("/t/nobody/crl/sign.crl", 404),
        ("/t/nobody/ocsp/sign/MAA=", 404),
        ("/t/nobody/api/v1/clock", 404),
        ("/t/nobody", 404),
    ] {
        let reply = c.get(path);
        assert_eq!(reply.status, status, "{path}: {}", reply.text());
        if path.contains("/api/") {
            assert!(reply.json()["message"].is_string());
        }
    }
    assert_eq!(c.api("DELETE", "/api/v1/tenants/Only", None).status, 400);
    // Tenants do not nest.
    let nested = c.api("POST", "/t/only/api/v1/tenants", Some(json!({})));
    assert_eq!(nested.status, 404, "{}", nested.text());
    assert!(nested.text().contains("server's own admin API"));
}

#[test]
fn with_a_server_token_each_tenant_accepts_its_own_token_or_the_servers() {
    let s = Scratch::new();
    let server = Binary::start_env(
        &s.state(),
        &[],
        &[("JPKI_MOCK_ADMIN_TOKEN", "server-secret")],
    );
    let anonymous = server.client();
    let admin = anonymous.with_token("server-secret");
    assert_eq!(
        anonymous
            .api("POST", "/api/v1/tenants", Some(json!({})))
            .status,
        401
    );
    let a = create(&admin, json!({"name": "a"}));
    let b = create(&admin, json!({"name": "b"}));
    let token_a = a["admin_token"].as_str().unwrap();
    let token_b = b["admin_token"].as_str().unwrap();
    assert!(token_a.len() >= 32 && token_a != token_b);

    let status = |token: Option<&str>, method: &str, path: &str| {
        let client = match token {
            Some(token) => anonymous.with_token(token),
            None => anonymous.with_token(""),
        };
        client.api(method, path, None).status
    };
    assert_eq!(status(Some(token_a), "GET", "/t/a/api/v1/clock"), 200);
    assert_eq!(
        status(Some("server-secret"), "GET", "/t/a/api/v1/clock"),
        200
    );
    assert_eq!(status(Some(token_a), "GET", "/t/b/api/v1/clock"), 401);
    assert_eq!(status(None, "GET", "/t/a/api/v1/clock"), 401);
    assert_eq!(status(Some(token_a), "GET", "/api/v1/clock"), 401);
    assert_eq!(status(Some(token_a), "GET", "/api/v1/tenants"), 401);
    // The published routes stay open, as for the default tenant.
    assert_eq!(status(None, "GET", "/t/a/ca/sign.cer"), 200);
    // One pipeline cannot delete another's tenant; it can delete its own.
    assert_eq!(status(Some(token_a), "DELETE", "/api/v1/tenants/b"), 401);
    assert_eq!(status(Some(token_b), "DELETE", "/api/v1/tenants/b"), 204);
    assert_eq!(listed(&admin), ["a"]);
}

#[test]
fn the_cli_creates_lists_deletes_and_acts_on_a_tenant() {
    let s = Scratch::new();
    let server = Binary::start(&s.state(), &[]);
    let c = server.client();
    // Made by another process while the server runs: served on the first request.
    let made = s.json(&[
        "tenant",
        "create",
        "--name",
        "from-cli",
        "--ttl-seconds",
        "600",
    ]);
    assert_eq!(made["base_url"], format!("{}/t/from-cli", server.base));
    let issued = s.json(&[
        "--tenant",
        "from-cli",
        "issue",
        "--name",
        "佐藤 花子",
        "--birth",
        "1985-04-02",
        "--gender",
        "female",
        "--address",
        "東京都品川区広町2-1-36",
    ]);
    let card = c.get("/t/from-cli/api/v1/cards/1");
    assert_eq!(card.status, 200, "{}", card.text());
    assert_eq!(card.json()["name"], "佐藤 花子");
    assert_eq!(issued["card_id"], 1);
    assert_eq!(
        c.get("/api/v1/cards/1").status,
        404,
        "not in the default tenant"
    );
    let list = s.json(&["tenant", "list"]);
    assert_eq!(list["tenants"][0]["tenant"], "from-cli");
    assert!(list["tenants"][0]["expires_at"].is_string());

    // --tenant names one tenant: init and serve refuse it as a usage error.
    let refused = s.run(&["--tenant", "from-cli", "init"]);
    assert_eq!(refused.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&refused.stderr).contains("act on the whole state"));
    let bad = s.run(&["--tenant", "No", "list"]);
    assert_eq!(bad.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("1 to 63 characters"));

    // Deleted by the CLI: the server stops serving it within its one-second recheck.
    s.ok(&["tenant", "delete", "from-cli"]);
    let gone = (0..50).any(|_| {
        std::thread::sleep(std::time::Duration::from_millis(100));
        c.get("/t/from-cli/api/v1/cards/1").status == 404
    });
    assert!(gone, "still served five seconds after its deletion");
    let again = s.run(&["tenant", "delete", "from-cli"]);
    assert_eq!(again.status.code(), Some(1));
}

#[test]
fn a_test_ca_gives_each_test_a_tenant_of_its_own() {
    use jpki_mock::{Cause, CertKind, TenantRequest, TestCa};
    let server = InProcess::with(TestCa::builder().state_in_memory());
    let ca = server.ca();
    let one = server
        .block_on(ca.tenant(TenantRequest::default()))
        .unwrap();
    let two = server
        .block_on(ca.tenant(TenantRequest {
            name: Some("second".into()),
            ..Default::default()
        }))
        .unwrap();
    assert!(one
        .base_url()
        .starts_with(&format!("{}/t/t-", ca.base_url())));
    assert_eq!(two.tenant_name(), Some("second"));
    let card = server.block_on(one.issue(holder_request("p256"))).unwrap();
    server
        .block_on(one.revoke(card.card_id, Cause::Leak))
        .unwrap();
    let crl = |t: &TestCa| crl_entries(&server.block_on(t.crl(CertKind::Sign)).unwrap()).len();
    assert_eq!((crl(&one), crl(&two), crl(ca)), (1, 0, 0));
    // Served over HTTP under its prefix, by the server's listener.
    let c = server.client();
    let reply = c.get(&format!("/t/{}/crl/sign.crl", one.tenant_name().unwrap()));
    assert_eq!(crl_entries(&reply.body).len(), 1);
    // Dropping a tenant's test CA deletes the tenant.
    drop(one);
    assert_eq!(listed(&c), ["second"]);
    server.block_on(two.stop());
    assert!(listed(&c).is_empty());
}

#[test]
fn on_postgres_every_replica_serves_every_tenant() {
    let Some(schema) = jpki_mock::internals::TestSchema::new("tenant_replicas") else {
        return;
    };
    let s = Scratch::new();
    let a = Binary::start_replica(schema.url(), None);
    let b = Binary::start_replica(schema.url(), Some(&a.base));
    // Made through A, served by B from the shared database.
    let tenant = create(&a.client(), json!({"name": "shared"}));
    assert_eq!(tenant["base_url"], format!("{}/t/shared", a.base));
    assert_eq!(listed(&b.client()), ["shared"]);
    let on_b = Client::tcp(&format!("{}/t/shared", b.base));
    let issued = on_b.issue(holder("p256"));
    let sign = s.write("sign.pem", issued["sign"]["cert_pem"].as_str().unwrap());
    let ca = s.write("ca.pem", on_b.get("/ca/sign.pem").body);
    let ask = |replica: &Binary| {
        let url = format!("{}/t/shared/ocsp/sign", replica.base);
        openssl(&[
            "ocsp", "-issuer", &ca, "-cert", &sign, "-url", &url, "-CAfile", &ca,
        ])
        .1
    };
    assert!(ask(&a).contains(": good"), "{}", ask(&a));
    // Revoked through A: B's next answer says so.
    Client::tcp(&format!("{}/t/shared", a.base)).event(1, json!({"cause": "leak"}));
    let answer = ask(&b);
    assert!(
        answer.contains(": revoked") && answer.contains("Response verify OK"),
        "{answer}"
    );
    // The default tenants of the replicas saw nothing.
    assert_eq!(a.client().get("/api/v1/cards/1").status, 404);
    // Deleted through B: A stops serving it within its one-second recheck.
    assert_eq!(
        b.client()
            .api("DELETE", "/api/v1/tenants/shared", None)
            .status,
        204
    );
    let gone = (0..50).any(|_| {
        std::thread::sleep(std::time::Duration::from_millis(100));
        a.client().get("/t/shared/ca/sign.cer").status == 404
    });
    assert!(gone, "A still serves a tenant deleted through B");
    assert!(listed(&a.client()).is_empty());
}

#[test]
fn a_next_gen_tenant_signs_with_p384_beside_an_rsa_server() {
    let s = Scratch::new();
    let server = Binary::start(&s.state(), &[]);
    let c = server.client();
    let tenant = create(&c, json!({"name": "next", "preset": "next-gen"}));
    let client = Client::tcp(tenant["base_url"].as_str().unwrap());
    // A card without key_alg: the preset's P-384, and ten years.
    let mut body = holder("p256");
    body.as_object_mut().unwrap().remove("key_alg");
    let issued = client.issue(body);
    let expiry = issued["sign"]["expiry"].as_str().unwrap();
    let years = expiry[..4].parse::<i32>().unwrap() - today_jst().year();
    assert!((9..=10).contains(&years), "{issued}");
    let ca = client.get("/ca/sign.pem");
    assert_eq!(ca.status, 200, "{}", ca.text());
    let ca = s.write("next-ca.pem", ca.body);
    let sign = s.write(
        "next-sign.pem",
        issued["sign"]["cert_pem"].as_str().unwrap(),
    );
    let card = TenantCard {
        client,
        ca: ca.clone(),
        sign: sign.clone(),
    };
    let text = card.ocsp(&card.ca, &card.sign, None);
    assert!(text.contains("Response verify OK"), "{text}");
    assert!(text.contains(": good"), "{text}");
    assert!(
        text.contains("ecdsa-with-SHA384") && text.contains("NIST CURVE: P-384"),
        "{text}"
    );
    let (ok, text) = openssl(&["verify", "-CAfile", &ca, &sign]);
    assert!(ok, "{text}");
    // The server's own CA stays RSA.
    let own = s.write("own-ca.pem", c.get("/ca/sign.pem").body);
    let (_, text) = openssl(&["x509", "-in", &own, "-noout", "-text"]);
    assert!(text.contains("sha256WithRSAEncryption"), "{text}");
}
