//! Helpers shared by the HTTP integration tests (`http_crl`, `http_ocsp`, `http_admin`):
//! a state directory, the server in-process (router without a socket, or served on a
//! real port from its own runtime), the real binary as a child process, a small
//! blocking HTTP client, openssl runs, and OCSP requests built by hand with x509-ocsp.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use base64::Engine;
use der::{Decode, Encode};
use jpki_mock::authority::{Authority, Options};
use jpki_mock::config::Config;
use jpki_mock::http::{router, AppState};
use jpki_mock::store::sqlite::SqliteStore;
use serde_json::{json, Value};
use sha2::Digest;
use time::OffsetDateTime;

/// The binary under test.
pub const BIN: &str = env!("CARGO_BIN_EXE_jpki-mock");

/// OID of id-pkix-ocsp-nonce.
pub const OCSP_NONCE: &str = "1.3.6.1.5.5.7.48.1.2";
/// OID of id-pkix-ocsp-nocheck.
pub const OCSP_NOCHECK: &str = "1.3.6.1.5.5.7.48.1.5";
/// OID of id-kp-OCSPSigning.
pub const KP_OCSP_SIGNING: &str = "1.3.6.1.5.5.7.3.9";
/// OID of sha256WithRSAEncryption.
pub const SHA256_WITH_RSA: &str = "1.2.840.113549.1.1.11";
/// OID of SHA-1.
pub const SHA1_OID: &str = "1.3.14.3.2.26";
/// OID of SHA-256.
pub const SHA256_OID: &str = "2.16.840.1.101.3.4.2.1";
/// OID of SHA-512 (not accepted in CertIDs).
pub const SHA512_OID: &str = "2.16.840.1.101.3.4.2.3";

// ---------------------------------------------------------------------------------
// Scratch directory and state.

/// A temporary directory holding the state (`state/`) and scratch files.
pub struct Scratch {
    pub dir: tempfile::TempDir,
}

impl Scratch {
    pub fn new() -> Self {
        Self {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    pub fn state(&self) -> PathBuf {
        self.dir.path().join("state")
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// Writes a file in the scratch directory and returns its path as a string.
    pub fn write(&self, name: &str, bytes: impl AsRef<[u8]>) -> String {
        let path = self.path(name);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).unwrap();
        }
        std::fs::write(&path, bytes).unwrap();
        path.to_str().unwrap().to_string()
    }
}

/// Creates the CAs in `state` (SQLite), recording `base_url`; `created` is the instant
/// the CAs are made at (default: the real now).
pub fn init_state(state: &Path, base_url: Option<&str>, created: Option<OffsetDateTime>) {
    let mut store = SqliteStore::create(state).unwrap();
    Authority::init(
        &mut store,
        &Config::default(),
        &Options {
            now: created,
            key_seed: None,
        },
        base_url,
        None,
    )
    .unwrap();
}

/// Opens an initialised state as the server's app state.
pub fn open_app(state: &Path, token: Option<&str>) -> AppState {
    let store = SqliteStore::open(state).unwrap();
    let authority =
        Authority::open(Box::new(store), Config::default(), Options::default()).unwrap();
    AppState::new(authority, token.map(str::to_string))
}

/// An instant, RFC 3339 or a date (00:00 JST), as the mock parses it.
pub fn instant(text: &str) -> OffsetDateTime {
    jpki_mock::clock::parse_instant(text).unwrap()
}

/// The real now, to the second.
pub fn now_seconds() -> OffsetDateTime {
    let now = OffsetDateTime::now_utc();
    now.replace_nanosecond(0).unwrap()
}

/// Today in Japan.
pub fn today_jst() -> time::Date {
    OffsetDateTime::now_utc()
        .to_offset(time::UtcOffset::from_hms(9, 0, 0).unwrap())
        .date()
}

/// RFC 3339 (UTC), as the mock prints instants.
pub fn rfc3339(t: OffsetDateTime) -> String {
    jpki_mock::clock::rfc3339(t)
}

/// An HTTP date (IMF-fixdate).
pub fn http_date(t: OffsetDateTime) -> String {
    let format = time::macros::format_description!(
        "[weekday repr:short], [day] [month repr:short] [year] [hour]:[minute]:[second] GMT"
    );
    t.to_offset(time::UtcOffset::UTC).format(&format).unwrap()
}

/// A strong ETag of a body as the server is expected to make it.
pub fn etag_of(body: &[u8]) -> String {
    format!("\"{}\"", hex::encode(&sha2::Sha256::digest(body)[..16]))
}

// ---------------------------------------------------------------------------------
// Replies (from the router or from a socket).

/// A response, whatever it came through.
#[derive(Debug, Clone)]
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Reply {
    /// A header's value (the first one), case-insensitive name.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| {
            panic!(
                "not JSON ({e}), status {}: {}",
                self.status,
                String::from_utf8_lossy(&self.body)
            )
        })
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).to_string()
    }
}

/// Calls the router without a socket (`tower::ServiceExt::oneshot`).
pub async fn call(
    app: &AppState,
    method: &str,
    uri: &str,
    headers: &[(&str, &str)],
    body: impl Into<Vec<u8>>,
) -> Reply {
    use tower::ServiceExt;
    let mut builder = axum::http::Request::builder().method(method).uri(uri);
    for (name, value) in headers {
        builder = builder.header(*name, *value);
    }
    let request = builder.body(axum::body::Body::from(body.into())).unwrap();
    let response = router(app.clone()).oneshot(request).await.unwrap();
    let status = response.status().as_u16();
    let headers = response
        .headers()
        .iter()
        .map(|(n, v)| (n.as_str().to_string(), v.to_str().unwrap_or("").to_string()))
        .collect();
    let body = axum::body::to_bytes(response.into_body(), 1 << 26)
        .await
        .unwrap()
        .to_vec();
    Reply {
        status,
        headers,
        body,
    }
}

/// Calls an admin route with an optional JSON body (and the right content type).
pub async fn api(app: &AppState, method: &str, uri: &str, body: Option<Value>) -> Reply {
    match body {
        Some(v) => {
            call(
                app,
                method,
                uri,
                &[("content-type", "application/json")],
                v.to_string(),
            )
            .await
        }
        None => call(app, method, uri, &[], Vec::new()).await,
    }
}

// ---------------------------------------------------------------------------------
// A blocking client for a server on a real port.

/// A blocking HTTP client bound to a base URL.
#[derive(Clone)]
pub struct Client {
    pub base: String,
    http: reqwest::blocking::Client,
    token: Option<String>,
}

impl Client {
    pub fn new(base: &str) -> Self {
        Self {
            base: base.to_string(),
            http: reqwest::blocking::Client::builder()
                .timeout(Duration::from_secs(30))
                .build()
                .unwrap(),
            token: None,
        }
    }

    /// Sends a request; `path` is appended to the base URL as is.
    pub fn send(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: impl Into<Vec<u8>>,
    ) -> Reply {
        let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let mut request = self
            .http
            .request(method, format!("{}{path}", self.base))
            .body(body.into());
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        if let Some(token) = &self.token {
            request = request.header("authorization", format!("Bearer {token}"));
        }
        let response = request.send().unwrap();
        let status = response.status().as_u16();
        let headers = response
            .headers()
            .iter()
            .map(|(n, v)| (n.as_str().to_string(), v.to_str().unwrap_or("").to_string()))
            .collect();
        let body = response.bytes().unwrap().to_vec();
        Reply {
            status,
            headers,
            body,
        }
    }

    pub fn get(&self, path: &str) -> Reply {
        self.send("GET", path, &[], Vec::new())
    }

    pub fn get_with(&self, path: &str, headers: &[(&str, &str)]) -> Reply {
        self.send("GET", path, headers, Vec::new())
    }

    /// An admin call with an optional JSON body.
    pub fn api(&self, method: &str, path: &str, body: Option<Value>) -> Reply {
        match body {
            Some(v) => self.send(
                method,
                path,
                &[("content-type", "application/json")],
                v.to_string(),
            ),
            None => self.send(method, path, &[], Vec::new()),
        }
    }

    /// Fixes the virtual clock.
    pub fn set_clock(&self, now: &str) {
        let reply = self.api("PUT", "/api/v1/clock", Some(json!({ "now": now })));
        assert_eq!(reply.status, 200, "{}", reply.text());
    }

    /// Issues a card through the admin API; returns the 201 body.
    pub fn issue(&self, body: Value) -> Value {
        let reply = self.api("POST", "/api/v1/cards", Some(body));
        assert_eq!(reply.status, 201, "{}", reply.text());
        reply.json()
    }

    /// Applies a cause through the admin API; returns the report.
    pub fn event(&self, card: i64, body: Value) -> Value {
        let reply = self.api("POST", &format!("/api/v1/cards/{card}/events"), Some(body));
        assert_eq!(reply.status, 200, "{}", reply.text());
        reply.json()
    }

    /// POSTs a DER OCSP request.
    pub fn ocsp_post(&self, path: &str, request: &[u8]) -> Reply {
        self.send(
            "POST",
            path,
            &[("content-type", "application/ocsp-request")],
            request.to_vec(),
        )
    }

    /// Fetches a CRL and returns its DER.
    pub fn crl(&self, kind: &str) -> Vec<u8> {
        let reply = self.get(&format!("/crl/{kind}.crl"));
        assert_eq!(reply.status, 200, "{}", reply.text());
        reply.body
    }

    /// Waits until `/healthz` answers.
    pub fn wait_healthy(&self) {
        for _ in 0..200 {
            if self
                .http
                .get(format!("{}/healthz", self.base))
                .send()
                .is_ok_and(|r| r.status().is_success())
            {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("the server at {} did not come up", self.base);
    }
}

/// The admin JSON body of a holder born 1990-10-01 in Shinagawa, with PINs.
pub fn holder(key_alg: &str) -> Value {
    json!({
        "name": "山田 太郎",
        "birth": "1990-10-01",
        "gender": "male",
        "address": "東京都品川区広町2-1-36",
        "sign_pin": "ABC123",
        "auth_pin": "1234",
        "key_alg": key_alg,
    })
}

// ---------------------------------------------------------------------------------
// The server in-process on a real port.

/// The router served on 127.0.0.1 (ephemeral port) from its own runtime, so that tests
/// can use blocking clients, openssl and the CLI against it. Stops on drop.
pub struct InProcess {
    pub base: String,
    pub app: AppState,
    runtime: Option<tokio::runtime::Runtime>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
}

impl InProcess {
    /// Initialises `state` (CAs created at `created`, default now) with the base URL of
    /// the port it binds, and serves it.
    pub fn start(state: &Path, token: Option<&str>, created: Option<OffsetDateTime>) -> Self {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let listener = runtime
            .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
            .unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        init_state(state, Some(&base), created);
        let app = open_app(state, token);
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let _guard = runtime.enter();
        runtime.spawn(jpki_mock::http::serve(
            listener,
            router(app.clone()),
            Duration::from_secs(10),
            async {
                let _ = stopped.await;
            },
        ));
        drop(_guard);
        let server = Self {
            base,
            app,
            runtime: Some(runtime),
            stop: Some(stop),
        };
        server.client().wait_healthy();
        server
    }

    pub fn client(&self) -> Client {
        Client::new(&self.base)
    }
}

impl Drop for InProcess {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_timeout(Duration::from_secs(2));
        }
    }
}

// ---------------------------------------------------------------------------------
// The real binary.

/// A free port on 127.0.0.1 (bound then released).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Runs the binary on a state; returns the output whatever the exit code.
pub fn jpki(state: &Path, args: &[&str]) -> Output {
    Command::new(BIN)
        .arg("--state")
        .arg(state)
        .args(args)
        .env_remove("JPKI_MOCK_NOW")
        .env_remove("JPKI_MOCK_ADMIN_TOKEN")
        .env_remove("JPKI_MOCK_CONFIG")
        .output()
        .unwrap()
}

/// Runs the binary and requires success; returns stdout.
pub fn jpki_ok(state: &Path, args: &[&str]) -> String {
    let output = jpki(state, args);
    assert!(
        output.status.success(),
        "jpki-mock {args:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

/// `jpki-mock serve` as a child process on a free port; killed on drop.
pub struct Binary {
    child: std::process::Child,
    pub base: String,
}

impl Binary {
    pub fn start(state: &Path) -> Self {
        let port = free_port();
        let base = format!("http://127.0.0.1:{port}");
        let child = Command::new(BIN)
            .arg("--state")
            .arg(state)
            .args([
                "serve",
                "--listen",
                &format!("127.0.0.1:{port}"),
                "--base-url",
                &base,
            ])
            .env("JPKI_MOCK_LOG", "warn")
            .env_remove("JPKI_MOCK_NOW")
            .env_remove("JPKI_MOCK_ADMIN_TOKEN")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let server = Self { child, base };
        server.client().wait_healthy();
        server
    }

    pub fn client(&self) -> Client {
        Client::new(&self.base)
    }
}

impl Drop for Binary {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

// ---------------------------------------------------------------------------------
// openssl.

/// Runs openssl; returns whether it succeeded and stdout then stderr.
pub fn openssl(args: &[&str]) -> (bool, String) {
    let output = Command::new("openssl").args(args).output().unwrap();
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).to_string()
            + &String::from_utf8_lossy(&output.stderr),
    )
}

/// PEM of a DER blob.
pub fn to_pem(label: &str, der: &[u8]) -> String {
    let b64 = base64::engine::general_purpose::STANDARD.encode(der);
    let mut out = format!("-----BEGIN {label}-----\n");
    for line in b64.as_bytes().chunks(64) {
        out.push_str(std::str::from_utf8(line).unwrap());
        out.push('\n');
    }
    out.push_str(&format!("-----END {label}-----\n"));
    out
}

/// DER of the first PEM block in `text`.
pub fn from_pem(text: &str) -> Vec<u8> {
    let body: String = text
        .lines()
        .skip_while(|l| !l.starts_with("-----BEGIN"))
        .skip(1)
        .take_while(|l| !l.starts_with("-----END"))
        .collect();
    base64::engine::general_purpose::STANDARD
        .decode(body.trim())
        .unwrap()
}

// ---------------------------------------------------------------------------------
// Certificates and OCSP, parsed independently of the crate.

/// The serial of a PEM certificate.
pub fn serial_of_pem(pem: &str) -> u32 {
    let der = from_pem(pem);
    let (_, cert) = x509_parser::parse_x509_certificate(&der).unwrap();
    let bytes = cert.raw_serial();
    let mut value = 0u64;
    for b in bytes {
        value = value << 8 | u64::from(*b);
    }
    u32::try_from(value).unwrap()
}

/// Splits a DER TLV at the start of `bytes`: (header length, content length).
pub fn tlv(bytes: &[u8]) -> (usize, usize) {
    let first = bytes[1];
    if first & 0x80 == 0 {
        return (2, usize::from(first));
    }
    let count = usize::from(first & 0x7f);
    let mut length = 0usize;
    for b in &bytes[2..2 + count] {
        length = length << 8 | usize::from(*b);
    }
    (2 + count, length)
}

/// The first element of a SEQUENCE, raw (e.g. tbsResponseData of a BasicOCSPResponse,
/// tbsCertList of a CRL).
pub fn first_element(sequence: &[u8]) -> &[u8] {
    let (header, _) = tlv(sequence);
    let inner = &sequence[header..];
    let (h, len) = tlv(inner);
    &inner[..h + len]
}

/// Verifies an RSA PKCS#1 v1.5 SHA-256 signature with the key of a SubjectPublicKeyInfo
/// (its BIT STRING contents, RSAPublicKey).
pub fn rsa_sha256_verifies(public_key_bits: &[u8], message: &[u8], signature: &[u8]) -> bool {
    use aws_lc_rs::signature::{UnparsedPublicKey, RSA_PKCS1_2048_8192_SHA256};
    UnparsedPublicKey::new(&RSA_PKCS1_2048_8192_SHA256, public_key_bits)
        .verify(message, signature)
        .is_ok()
}

/// An issuer's CertID material.
pub struct IssuerHashes {
    pub name_sha1: Vec<u8>,
    pub key_sha1: Vec<u8>,
    pub name_sha256: Vec<u8>,
    pub key_sha256: Vec<u8>,
}

impl IssuerHashes {
    /// Hashes of a CA certificate (DER): its subject DN and its key BIT STRING contents.
    pub fn of(ca_der: &[u8]) -> Self {
        let ca = x509_cert::Certificate::from_der(ca_der).unwrap();
        let name = ca.tbs_certificate.subject.to_der().unwrap();
        let key = ca
            .tbs_certificate
            .subject_public_key_info
            .subject_public_key
            .raw_bytes()
            .to_vec();
        Self {
            name_sha1: sha1::Sha1::digest(&name).to_vec(),
            key_sha1: sha1::Sha1::digest(&key).to_vec(),
            name_sha256: sha2::Sha256::digest(&name).to_vec(),
            key_sha256: sha2::Sha256::digest(&key).to_vec(),
        }
    }

    /// A CertID for `serial`, SHA-1 or SHA-256, with NULL hash parameters (as openssl
    /// sends them) or none.
    pub fn cert_id(&self, sha256: bool, serial: u32, null_params: bool) -> x509_ocsp::CertId {
        let (oid, name, key) = if sha256 {
            (SHA256_OID, &self.name_sha256, &self.key_sha256)
        } else {
            (SHA1_OID, &self.name_sha1, &self.key_sha1)
        };
        cert_id_raw(oid, name, key, serial, null_params)
    }
}

/// A CertID from its parts.
pub fn cert_id_raw(
    hash_oid: &str,
    name_hash: &[u8],
    key_hash: &[u8],
    serial: u32,
    null_params: bool,
) -> x509_ocsp::CertId {
    x509_ocsp::CertId {
        hash_algorithm: spki::AlgorithmIdentifierOwned {
            oid: der::asn1::ObjectIdentifier::new_unwrap(hash_oid),
            parameters: null_params.then(|| der::asn1::AnyRef::NULL.into()),
        },
        issuer_name_hash: der::asn1::OctetString::new(name_hash.to_vec()).unwrap(),
        issuer_key_hash: der::asn1::OctetString::new(key_hash.to_vec()).unwrap(),
        serial_number: x509_cert::serial_number::SerialNumber::new(&serial.to_be_bytes()).unwrap(),
    }
}

/// The nonce extension (RFC 8954: extnValue holds an OCTET STRING of the nonce).
pub fn nonce_extension(nonce: &[u8]) -> x509_cert::ext::Extension {
    let inner = der::asn1::OctetString::new(nonce.to_vec())
        .unwrap()
        .to_der()
        .unwrap();
    x509_cert::ext::Extension {
        extn_id: der::asn1::ObjectIdentifier::new_unwrap(OCSP_NONCE),
        critical: false,
        extn_value: der::asn1::OctetString::new(inner).unwrap(),
    }
}

/// A DER OCSPRequest of these CertIDs, with a nonce if given.
pub fn ocsp_request(ids: &[x509_ocsp::CertId], nonce: Option<&[u8]>) -> Vec<u8> {
    x509_ocsp::OcspRequest {
        tbs_request: x509_ocsp::TbsRequest {
            version: x509_ocsp::Version::V1,
            requestor_name: None,
            request_list: ids
                .iter()
                .map(|id| x509_ocsp::Request {
                    req_cert: id.clone(),
                    single_request_extensions: None,
                })
                .collect(),
            request_extensions: nonce.map(|n| vec![nonce_extension(n)]),
        },
        optional_signature: None,
    }
    .to_der()
    .unwrap()
}

/// A parsed OCSPResponse: its status and, when successful, the BasicOCSPResponse and
/// the raw bytes of the BasicOCSPResponse.
pub struct ParsedOcsp {
    pub status: x509_ocsp::OcspResponseStatus,
    pub basic: Option<x509_ocsp::BasicOcspResponse>,
    pub basic_der: Vec<u8>,
}

pub fn parse_ocsp(der: &[u8]) -> ParsedOcsp {
    let response = x509_ocsp::OcspResponse::from_der(der)
        .unwrap_or_else(|e| panic!("not an OCSPResponse ({e}): {}", hex::encode(der)));
    match response.response_bytes {
        None => ParsedOcsp {
            status: response.response_status,
            basic: None,
            basic_der: Vec::new(),
        },
        Some(bytes) => {
            assert_eq!(bytes.response_type.to_string(), "1.3.6.1.5.5.7.48.1.1");
            let basic_der = bytes.response.as_bytes().to_vec();
            ParsedOcsp {
                status: response.response_status,
                basic: Some(x509_ocsp::BasicOcspResponse::from_der(&basic_der).unwrap()),
                basic_der,
            }
        }
    }
}

/// The certificate statuses of a successful response, as `good`, `revoked:<reason>`
/// or `unknown`, in order.
pub fn statuses(der: &[u8]) -> Vec<String> {
    let parsed = parse_ocsp(der);
    assert_eq!(
        parsed.status,
        x509_ocsp::OcspResponseStatus::Successful,
        "the response is not successful"
    );
    parsed
        .basic
        .unwrap()
        .tbs_response_data
        .responses
        .iter()
        .map(|r| match &r.cert_status {
            x509_ocsp::CertStatus::Good(_) => "good".to_string(),
            x509_ocsp::CertStatus::Unknown(_) => "unknown".to_string(),
            x509_ocsp::CertStatus::Revoked(info) => format!(
                "revoked:{}",
                info.revocation_reason
                    .map(|r| format!("{r:?}"))
                    .unwrap_or_else(|| "none".into())
            ),
        })
        .collect()
}

/// The revoked entries of a DER CRL: (serial, reason code, revocation date as Unix
/// seconds), in CRL order.
pub fn crl_entries(der: &[u8]) -> Vec<(u32, Option<u8>, i64)> {
    let (_, crl) = x509_parser::parse_x509_crl(der).unwrap();
    crl.iter_revoked_certificates()
        .map(|e| {
            let mut serial = 0u64;
            for b in e.raw_serial() {
                serial = serial << 8 | u64::from(*b);
            }
            (
                u32::try_from(serial).unwrap(),
                e.reason_code().map(|(_, code)| code.0),
                e.revocation_date.timestamp(),
            )
        })
        .collect()
}

/// The cRLNumber of a DER CRL.
pub fn crl_number(der: &[u8]) -> u64 {
    let (_, crl) = x509_parser::parse_x509_crl(der).unwrap();
    let number = crl.crl_number().expect("a cRLNumber");
    let digits = number.to_u64_digits();
    assert!(digits.len() <= 1, "cRLNumber over 64 bits");
    digits.first().copied().unwrap_or(0)
}

/// thisUpdate and nextUpdate of a DER CRL, Unix seconds.
pub fn crl_times(der: &[u8]) -> (i64, i64) {
    let (_, crl) = x509_parser::parse_x509_crl(der).unwrap();
    (
        crl.last_update().timestamp(),
        crl.next_update().expect("a nextUpdate").timestamp(),
    )
}
