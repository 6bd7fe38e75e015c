//! The admin API: router tests without a socket (tower's oneshot) and one end-to-end
//! test over real TCP. Cards, events, renewal at the window edges with the virtual
//! clock, reissue, the PIN-protected virtual card (lockout, reset, restart), notices,
//! statuses at the clock's now, and the admin token.

mod common;

use std::path::Path;

use axum::body::Body;
use axum::http::Request;
use base64::Engine;
use jpki_mock::authority::{Authority, Options};
use jpki_mock::config::Config;
use jpki_mock::http::{router, AppState};
use jpki_mock::store::sqlite::SqliteStore;
use serde_json::{json, Value};
use tower::ServiceExt;

fn app(dir: &Path, token: Option<&str>) -> AppState {
    let mut store = SqliteStore::create(dir).unwrap();
    Authority::init(
        &mut store,
        &Config::default(),
        &Options::default(),
        None,
        None,
    )
    .unwrap();
    let authority =
        Authority::open(Box::new(store), Config::default(), Options::default()).unwrap();
    AppState::new(authority, token.map(str::to_string))
}

async fn call(app: &AppState, method: &str, uri: &str, body: Option<Value>) -> (u16, Value) {
    let mut builder = Request::builder().method(method).uri(uri);
    let body = match body {
        Some(v) => {
            builder = builder.header("content-type", "application/json");
            Body::from(v.to_string())
        }
        None => Body::empty(),
    };
    let response = router(app.clone())
        .oneshot(builder.body(body).unwrap())
        .await
        .unwrap();
    let status = response.status().as_u16();
    let bytes = axum::body::to_bytes(response.into_body(), 1 << 22)
        .await
        .unwrap();
    (
        status,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    )
}

async fn set_clock(app: &AppState, now: &str) {
    let (status, body) = call(app, "PUT", "/api/v1/clock", Some(json!({"now": now}))).await;
    assert_eq!(status, 200, "{body}");
}

fn holder(key_alg: &str) -> Value {
    json!({"name": "山田 太郎", "birth": "1990-10-01", "gender": "male",
           "address": "東京都品川区広町2-1-36", "sign_pin": "ABC123", "auth_pin": "1234",
           "key_alg": key_alg})
}

/// Card 1 issued 2021-03-15 (expiring 2025-10-01).
async fn with_card(dir: &Path, key_alg: &str) -> AppState {
    let app = app(dir, None);
    set_clock(&app, "2021-03-15T10:00:00+09:00").await;
    let (status, card) = call(&app, "POST", "/api/v1/cards", Some(holder(key_alg))).await;
    assert_eq!(status, 201, "{card}");
    assert_eq!(card["card_id"], 1);
    assert_eq!(card["fee_yen"], 0);
    assert_eq!(card["card_expiry"], "2030-10-01");
    assert_eq!(card["sign"]["not_after"], "2025-10-01T14:59:59Z");
    for field in [
        "serial",
        "not_before",
        "not_after",
        "cert_pem",
        "key_pem",
        "chain_pem",
    ] {
        assert!(!card["auth"][field].is_null(), "{field}");
    }
    app
}

#[tokio::test]
async fn events_show_in_the_card_status_the_crl_and_ocsp() {
    let dir = tempfile::tempdir().unwrap();
    let app = with_card(dir.path(), "p256").await;
    let (status, report) = call(
        &app,
        "POST",
        "/api/v1/cards/1/events",
        Some(json!({"cause": "stolen"})),
    )
    .await;
    assert_eq!(status, 200, "{report}");
    let revoked = report["revoked"].as_array().unwrap();
    assert_eq!(revoked.len(), 2);
    assert!(revoked.iter().all(|r| r["reason"] == "keyCompromise"));
    let (_, card) = call(&app, "GET", "/api/v1/cards/1", None).await;
    for cert in card["certificates"].as_array().unwrap() {
        assert_eq!(cert["status"], "revoked");
        assert_eq!(cert["reason"], "keyCompromise");
        assert_eq!(cert["revoked_at"], "2021-03-15T01:00:00Z");
    }
    let serial = revoked[0]["serial"].as_u64().unwrap();
    let (_, cert) = call(&app, "GET", &format!("/api/v1/certs/{serial}"), None).await;
    assert_eq!(cert["status"], "revoked");

    // The CRL lists it.
    let response = router(app.clone())
        .oneshot(Request::get("/crl/sign.crl").body(Body::empty()).unwrap())
        .await
        .unwrap();
    let der = axum::body::to_bytes(response.into_body(), 1 << 20)
        .await
        .unwrap();
    use x509_parser::prelude::FromDer;
    let (_, crl) = x509_parser::revocation_list::CertificateRevocationList::from_der(&der).unwrap();
    let listed: Vec<u64> = crl
        .iter_revoked_certificates()
        .map(|r| u64::try_from(r.serial()).unwrap())
        .collect();
    assert!(listed.contains(&serial));
}

#[tokio::test]
async fn renewal_at_the_window_edges_with_the_clock() {
    let dir = tempfile::tempdir().unwrap();
    let app = with_card(dir.path(), "p256").await;
    set_clock(&app, "2025-07-01T12:00:00+09:00").await;
    let (status, body) = call(&app, "POST", "/api/v1/cards/1/renew", None).await;
    assert_eq!(status, 409, "{body}");
    assert_eq!(body["error"], "refused");
    assert!(
        body["message"].as_str().unwrap().contains("2025-07-02"),
        "{body}"
    );
    set_clock(&app, "2025-10-02T00:00:00+09:00").await;
    let (status, body) = call(&app, "POST", "/api/v1/cards/1/renew", None).await;
    assert_eq!(status, 409);
    assert!(
        body["message"].as_str().unwrap().contains("expired"),
        "{body}"
    );
    // Expired, not revoked, at the clock's now.
    let (_, card) = call(&app, "GET", "/api/v1/cards/1", None).await;
    assert!(card["certificates"]
        .as_array()
        .unwrap()
        .iter()
        .all(|c| c["status"] == "expired"));

    set_clock(&app, "2025-08-01T10:00:00+09:00").await;
    let (status, renewed) = call(
        &app,
        "POST",
        "/api/v1/cards/1/renew",
        Some(json!({"certs": ["sign", "auth"]})),
    )
    .await;
    assert_eq!(status, 200, "{renewed}");
    assert_eq!(renewed["sign"]["expiry"], "2029-10-01");
    assert_eq!(renewed["fee_yen"], 0);
    let (_, card) = call(&app, "GET", "/api/v1/cards/1", None).await;
    let statuses: Vec<&str> = card["certificates"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses, ["revoked", "revoked", "good", "good"]);
    assert_eq!(card["certificates"][0]["reason"], "superseded");

    // The last day of the window is still in it.
    let dir = tempfile::tempdir().unwrap();
    let app = with_card(dir.path(), "p256").await;
    set_clock(&app, "2025-10-01T23:00:00+09:00").await;
    assert_eq!(
        call(&app, "POST", "/api/v1/cards/1/renew", None).await.0,
        200
    );
}

#[tokio::test]
async fn reissue_and_notices() {
    let dir = tempfile::tempdir().unwrap();
    let app = with_card(dir.path(), "p256").await;
    let (_, notices) = call(&app, "GET", "/api/v1/notices?on=2025-07-01", None).await;
    let due: Vec<&str> = notices["notices"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["kind"].as_str().unwrap())
        .collect();
    assert_eq!(due, ["sign", "auth"]);
    assert_eq!(notices["notices"][0]["expiry"], "2025-10-01");
    let (_, none) = call(&app, "GET", "/api/v1/notices?on=2025-07-02", None).await;
    assert_eq!(none["notices"], json!([]));

    set_clock(&app, "2022-01-10").await;
    let (status, new) = call(&app, "POST", "/api/v1/cards/1/reissue", None).await;
    assert_eq!(status, 201, "{new}");
    assert_eq!(new["card_id"], 2);
    assert_eq!(new["fee_yen"], 200);
    assert_eq!(new["revoked"].as_array().unwrap().len(), 2);
    let (_, old) = call(&app, "GET", "/api/v1/cards/1", None).await;
    assert_eq!(old["replaced_by"], 2);
    // The old card's certificates no longer get notices.
    let (_, notices) = call(&app, "GET", "/api/v1/notices?on=2025-07-01", None).await;
    assert_eq!(notices["notices"], json!([]));
}

#[tokio::test]
async fn pin_lockout_reset_and_survival_across_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let app = with_card(dir.path(), "p256").await;
    let data = base64::engine::general_purpose::STANDARD.encode(b"to be signed");
    let try_pin = |app: AppState, route: &'static str, pin: &'static str| {
        let data = data.clone();
        async move {
            call(
                &app,
                "POST",
                &format!("/api/v1/cards/1/{route}"),
                Some(json!({"pin": pin, "data_base64": data})),
            )
            .await
        }
    };
    // Sign PIN: 5 tries. A right PIN in between resets the counter.
    let (status, body) = try_pin(app.clone(), "sign", "ZZZ999").await;
    assert_eq!(
        (status, body["remaining_tries"].as_u64()),
        (403, Some(4)),
        "{body}"
    );
    assert_eq!(try_pin(app.clone(), "sign", "ABC123").await.0, 200);
    for remaining in [4, 3, 2, 1, 0] {
        let (status, body) = try_pin(app.clone(), "sign", "ZZZ999").await;
        assert_eq!(status, 403);
        assert_eq!(body["error"], "wrong_pin");
        assert_eq!(body["remaining_tries"], remaining);
    }
    let (status, body) = try_pin(app.clone(), "sign", "ABC123").await;
    assert_eq!((status, body["error"].as_str()), (423, Some("pin_locked")));
    // Auth PIN: 3 tries.
    for remaining in [2, 1, 0] {
        assert_eq!(
            try_pin(app.clone(), "authenticate", "0000").await.1["remaining_tries"],
            remaining
        );
    }
    assert_eq!(try_pin(app.clone(), "authenticate", "1234").await.0, 423);

    // A restart keeps the counters.
    drop(app);
    let store = SqliteStore::open(dir.path()).unwrap();
    let app = AppState::new(
        Authority::open(Box::new(store), Config::default(), Options::default()).unwrap(),
        None,
    );
    assert_eq!(try_pin(app.clone(), "sign", "ABC123").await.0, 423);
    assert_eq!(try_pin(app.clone(), "authenticate", "1234").await.0, 423);
    // pin-reset needs no old PIN and unlocks.
    let (status, body) = call(
        &app,
        "POST",
        "/api/v1/cards/1/pin-reset",
        Some(json!({"kind": "sign", "new_pin": "NEW456"})),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(try_pin(app.clone(), "sign", "ABC123").await.0, 403);
    assert_eq!(try_pin(app.clone(), "sign", "NEW456").await.0, 200);
    // PINs are stored hashed, never in clear.
    let db = rusqlite::Connection::open(dir.path().join(jpki_mock::store::sqlite::DATABASE_FILE))
        .unwrap();
    let hashes: Vec<String> = db
        .prepare("SELECT hash FROM pins")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(hashes.len(), 2);
    assert!(hashes
        .iter()
        .all(|h| h.starts_with("$argon2") && !h.contains("NEW456") && !h.contains("1234")));
}

#[tokio::test]
async fn the_signature_verifies_with_openssl_dgst() {
    let dir = tempfile::tempdir().unwrap();
    let app = with_card(dir.path(), "rsa2048").await;
    let data = b"e-Tax return, 2021";
    let (status, signed) = call(&app, "POST", "/api/v1/cards/1/sign",
        Some(json!({"pin": "ABC123", "data_base64": base64::engine::general_purpose::STANDARD.encode(data)}))).await;
    assert_eq!(status, 200, "{signed}");
    assert_eq!(signed["algorithm"], "sha256WithRSAEncryption");
    let files = tempfile::tempdir().unwrap();
    let f = |n: &str| files.path().join(n);
    std::fs::write(f("cert.pem"), signed["cert_pem"].as_str().unwrap()).unwrap();
    std::fs::write(f("data.bin"), data).unwrap();
    std::fs::write(
        f("sig.bin"),
        base64::engine::general_purpose::STANDARD
            .decode(signed["signature_base64"].as_str().unwrap())
            .unwrap(),
    )
    .unwrap();
    let (_, pubkey) = common::openssl(&[
        "x509",
        "-in",
        common::p(&f("cert.pem")),
        "-pubkey",
        "-noout",
    ]);
    std::fs::write(f("pub.pem"), pubkey).unwrap();
    let (ok, text) = common::openssl(&[
        "dgst",
        "-sha256",
        "-verify",
        common::p(&f("pub.pem")),
        "-signature",
        common::p(&f("sig.bin")),
        common::p(&f("data.bin")),
    ]);
    assert!(ok && text.contains("Verified OK"), "{text}");
    // Tampered data does not verify.
    std::fs::write(f("data.bin"), b"e-Tax return, 2022").unwrap();
    let (ok, _) = common::openssl(&[
        "dgst",
        "-sha256",
        "-verify",
        common::p(&f("pub.pem")),
        "-signature",
        common::p(&f("sig.bin")),
        common::p(&f("data.bin")),
    ]);
    assert!(!ok);
}

#[tokio::test]
async fn the_admin_token_guards_the_admin_api_only() {
    let dir = tempfile::tempdir().unwrap();
    let app = app(dir.path(), Some("s3cret"));
    let request = |auth: Option<&str>| {
        let mut builder = Request::get("/api/v1/clock");
        if let Some(value) = auth {
            builder = builder.header("authorization", value);
        }
        builder.body(Body::empty()).unwrap()
    };
    for (auth, expected) in [
        (None, 401),
        (Some("Bearer wrong"), 401),
        (Some("s3cret"), 401),
        (Some("Bearer s3cret"), 200),
    ] {
        let response = router(app.clone()).oneshot(request(auth)).await.unwrap();
        assert_eq!(response.status().as_u16(), expected, "{auth:?}");
    }
    for open in ["/crl/sign.crl", "/ca/sign.cer", "/healthz"] {
        let response = router(app.clone())
            .oneshot(Request::get(open).body(Body::empty()).unwrap())
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), 200, "{open}");
    }
}

#[test]
fn serve_refuses_a_non_loopback_address_without_a_token() {
    let cli = common::Cli::new();
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_jpki-mock"))
        .arg("--state")
        .arg(cli.state())
        .args(["serve", "--listen", "0.0.0.0:0"])
        .env_remove("JPKI_MOCK_ADMIN_TOKEN")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&output.stderr).contains("admin-token"));
}

#[test]
fn end_to_end_over_real_tcp() {
    let cli = common::Cli::new();
    let server = common::Server::start(&cli, &[]);
    let client = reqwest::blocking::Client::new();
    let api = |path: &str| format!("{}/api/v1{path}", server.base);
    let put = client
        .put(api("/clock"))
        .json_body(&json!({"now": "2021-03-15"}));
    assert_eq!(put.send().unwrap().status(), 200);
    let created: Value = serde_json::from_str(
        &client
            .post(api("/cards"))
            .json_body(&holder("p256"))
            .send()
            .unwrap()
            .text()
            .unwrap(),
    )
    .unwrap();
    assert_eq!(created["card_id"], 1);
    // The CLI in another process sees the same clock and card.
    let shown = cli.json(&["show", "card", "1"]);
    assert_eq!(shown["issued_on"], "2021-03-15");
    let events = client
        .post(api("/cards/1/events"))
        .json_body(&json!({"cause": "lost"}))
        .send()
        .unwrap();
    assert_eq!(events.status(), 200);
    let shown = cli.json(&["show", "card", "1"]);
    assert_eq!(shown["certificates"][0]["status"], "revoked");
    let clock: Value =
        serde_json::from_str(&client.delete(api("/clock")).send().unwrap().text().unwrap())
            .unwrap();
    assert_eq!(clock["mode"], "system");
}

/// `reqwest::blocking::RequestBuilder::json` needs reqwest's `json` feature; this is
/// the same by hand.
trait JsonBody {
    fn json_body(self, value: &Value) -> Self;
}

impl JsonBody for reqwest::blocking::RequestBuilder {
    fn json_body(self, value: &Value) -> Self {
        self.header("content-type", "application/json")
            .body(value.to_string())
    }
}
